//! The dates by which quantum-vulnerable public-key algorithms must go: one
//! table per authority, as data (`--deadlines nist|cnsa2`).
//!
//! Owns: the rules of each table and their sources. A rule matches an
//! algorithm by family, classical security strength (NIST SP 800-57 Part 1,
//! Table 2: RSA-2048 = 112 bits, RSA-3072 = 128, P-256 = 128, P-384 = 192) or
//! post-quantum category; the first matching rule of a table applies.
//! Must not: look at a particular certificate (`assess::certs` applies these
//! rules to one, and compares its validity with the dates).

use super::algorithms::Family;
use crate::vocab::{DeadlineStatus, DeadlineTable};

/// Which algorithms a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covers {
    /// Post-quantum algorithms, optionally of one family and category.
    PostQuantum {
        /// Only this family, if set.
        family: Option<Family>,
        /// Only this NIST category, if set.
        level: Option<u8>,
    },
    /// Quantum-vulnerable algorithms of known strength ≥ `min_security`,
    /// optionally of one family.
    Classical {
        /// Only this family, if set.
        family: Option<Family>,
        /// Lowest classical security strength covered, in bits.
        min_security: u16,
    },
    /// Every quantum-vulnerable algorithm, of known strength or not.
    AnyClassical,
}

/// One row of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// What it covers.
    pub covers: Covers,
    /// Where those algorithms stand.
    pub status: DeadlineStatus,
    /// Usable through the end of this year, deprecated afterwards.
    pub deprecated_after: Option<i64>,
    /// Disallowed after the end of this year.
    pub disallowed_after: Option<i64>,
    /// The rule in words, for the README and the table.
    pub text: &'static str,
}

/// One authority's table.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// Its id (`--deadlines`).
    pub id: DeadlineTable,
    /// Its name as printed.
    pub name: &'static str,
    /// Where the rules come from.
    pub source: &'static str,
    /// The rules, first match wins.
    pub rules: &'static [Rule],
}

const fn rule(
    covers: Covers,
    status: DeadlineStatus,
    deprecated_after: Option<i64>,
    disallowed_after: Option<i64>,
    text: &'static str,
) -> Rule {
    Rule {
        covers,
        status,
        deprecated_after,
        disallowed_after,
        text,
    }
}

/// NIST IR 8547 (initial public draft, November 2024), Tables 2 and 3.
pub const NIST: Table = Table {
    id: DeadlineTable::Nist,
    name: "NIST IR 8547 (initial public draft, 2024-11)",
    source: "NIST IR 8547 ipd, Transition to Post-Quantum Cryptography Standards, Tables 2-3; \
             strengths from SP 800-57 Part 1 Rev. 5 Table 2; below 112 bits: SP 800-131A Rev. 2",
    rules: &[
        rule(
            Covers::PostQuantum {
                family: None,
                level: None,
            },
            DeadlineStatus::Acceptable,
            None,
            None,
            "ML-DSA, SLH-DSA, ML-KEM (and composites with them): quantum-safe",
        ),
        rule(
            Covers::Classical {
                family: None,
                min_security: 128,
            },
            DeadlineStatus::Vulnerable,
            None,
            Some(2035),
            "RSA ≥ 3072, ECDSA/ECDH P-256 and up, Ed25519, Ed448 (≥ 128-bit): disallowed after 2035",
        ),
        rule(
            Covers::Classical {
                family: None,
                min_security: 112,
            },
            DeadlineStatus::Vulnerable,
            Some(2030),
            Some(2035),
            "RSA-2048, P-224 (112-bit): deprecated after 2030, disallowed after 2035",
        ),
        rule(
            Covers::Classical {
                family: None,
                min_security: 0,
            },
            DeadlineStatus::Disallowed,
            None,
            None,
            "below 112-bit (RSA-1024, P-192): already disallowed",
        ),
        rule(
            Covers::AnyClassical,
            DeadlineStatus::Vulnerable,
            None,
            Some(2035),
            "other quantum-vulnerable algorithms: disallowed after 2035",
        ),
    ],
};

/// NSA CNSA 2.0 for web browsers, servers and cloud services: support and
/// prefer CNSA 2.0 by 2025, use it exclusively by 2033. CNSA 2.0 signs with
/// ML-DSA-87 only; until 2033 the CNSA 1.0 algorithms (RSA ≥ 3072, P-384)
/// remain allowed.
pub const CNSA2: Table = Table {
    id: DeadlineTable::Cnsa2,
    name: "NSA CNSA 2.0 (web servers and cloud services)",
    source: "NSA CNSSP 15 Annex B / CNSA 2.0 (Sep 2022) and its FAQ (Dec 2024): \
             prefer by 2025, exclusively by 2033; CNSA 1.0 for the classical sizes",
    rules: &[
        rule(
            Covers::PostQuantum {
                family: Some(Family::MlDsa),
                level: Some(5),
            },
            DeadlineStatus::Acceptable,
            None,
            None,
            "ML-DSA-87: CNSA 2.0",
        ),
        rule(
            Covers::PostQuantum {
                family: Some(Family::MlKem),
                level: Some(5),
            },
            DeadlineStatus::Acceptable,
            None,
            None,
            "ML-KEM-1024: CNSA 2.0",
        ),
        rule(
            Covers::PostQuantum {
                family: None,
                level: None,
            },
            DeadlineStatus::NotApproved,
            None,
            Some(2033),
            "other post-quantum sets (ML-DSA-44/65, SLH-DSA, composites): not CNSA 2.0; gone by 2033",
        ),
        rule(
            Covers::Classical {
                family: Some(Family::Rsa),
                min_security: 128,
            },
            DeadlineStatus::Vulnerable,
            Some(2025),
            Some(2033),
            "RSA ≥ 3072 (CNSA 1.0): no longer preferred after 2025, disallowed after 2033",
        ),
        rule(
            Covers::Classical {
                family: Some(Family::Ec),
                min_security: 192,
            },
            DeadlineStatus::Vulnerable,
            Some(2025),
            Some(2033),
            "ECDSA/ECDH P-384 and up (CNSA 1.0): no longer preferred after 2025, disallowed after 2033",
        ),
        rule(
            Covers::AnyClassical,
            DeadlineStatus::Disallowed,
            None,
            None,
            "other classical algorithms (RSA-2048, P-256, Ed25519): not CNSA approved",
        ),
    ],
};

/// Every table.
pub const TABLES: &[&Table] = &[&NIST, &CNSA2];

/// The table with this id.
pub fn table(id: DeadlineTable) -> &'static Table {
    TABLES.iter().find(|t| t.id == id).copied().unwrap_or(&NIST)
}

/// Parses `--deadlines`: a comma-separated list of table ids.
pub fn select(spec: &str) -> Result<Vec<DeadlineTable>, String> {
    let mut out = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let id = DeadlineTable::parse(name).ok_or_else(|| {
            format!(
                "invalid --deadlines '{name}': known tables are {}",
                DeadlineTable::ALL
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.is_empty() {
        return Err("empty --deadlines: name nist, cnsa2 or both".into());
    }
    Ok(out)
}

impl Table {
    /// The rule for an algorithm of `family` with classical strength
    /// `security_bits` or post-quantum category `level`; `None` for an
    /// algorithm pqready does not know.
    pub fn rule(
        &self,
        family: Family,
        security_bits: Option<u16>,
        level: Option<u8>,
    ) -> Option<&'static Rule> {
        self.rules.iter().find(|r| match r.covers {
            Covers::PostQuantum {
                family: f,
                level: l,
            } => {
                family.quantum_safe()
                    && f.is_none_or(|f| f == family)
                    && l.is_none_or(|l| Some(l) == level)
            }
            Covers::Classical {
                family: f,
                min_security,
            } => {
                family.quantum_vulnerable()
                    && f.is_none_or(|f| f == family)
                    && security_bits.is_some_and(|b| b >= min_security)
            }
            Covers::AnyClassical => family.quantum_vulnerable(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nist_dates_follow_strength() {
        let rsa2048 = NIST.rule(Family::Rsa, Some(112), None).unwrap();
        assert_eq!(
            (rsa2048.deprecated_after, rsa2048.disallowed_after),
            (Some(2030), Some(2035))
        );
        let p256 = NIST.rule(Family::Ec, Some(128), None).unwrap();
        assert_eq!(
            (p256.deprecated_after, p256.disallowed_after),
            (None, Some(2035))
        );
        assert_eq!(
            NIST.rule(Family::Rsa, Some(80), None).unwrap().status,
            DeadlineStatus::Disallowed
        );
        assert_eq!(
            NIST.rule(Family::MlDsa, None, Some(3)).unwrap().status,
            DeadlineStatus::Acceptable
        );
        assert!(NIST.rule(Family::Unknown, None, None).is_none());
    }

    #[test]
    fn cnsa2_wants_ml_dsa_87_and_cnsa1_sizes() {
        assert_eq!(
            CNSA2.rule(Family::MlDsa, None, Some(5)).unwrap().status,
            DeadlineStatus::Acceptable
        );
        assert_eq!(
            CNSA2.rule(Family::MlDsa, None, Some(3)).unwrap().status,
            DeadlineStatus::NotApproved
        );
        assert_eq!(
            CNSA2
                .rule(Family::Ec, Some(192), None)
                .unwrap()
                .disallowed_after,
            Some(2033)
        );
        assert_eq!(
            CNSA2.rule(Family::Ec, Some(128), None).unwrap().status,
            DeadlineStatus::Disallowed
        );
        assert_eq!(select("nist, cnsa2,nist").unwrap().len(), 2);
        assert!(select("fips").is_err());
    }
}
