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
    /// Quantum-vulnerable algorithms of known strength from `min_security`
    /// to `max_security`, optionally of one family.
    Classical {
        /// Only this family, if set.
        family: Option<Family>,
        /// Lowest classical security strength covered, in bits.
        min_security: u16,
        /// Highest classical security strength covered, in bits (CNSA 1.0
        /// names P-384 alone: P-521 is not one of its curves).
        max_security: u16,
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
    /// The rule in words, for docs/guides/certificates.md and the table.
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

/// `max_security` of a rule with no upper bound.
const ANY_STRENGTH: u16 = u16::MAX;

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
                max_security: ANY_STRENGTH,
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
                max_security: ANY_STRENGTH,
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
                max_security: ANY_STRENGTH,
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

/// NSA CNSA 2.0 for web browsers, servers and cloud services.
///
/// CNSA 2.0 (CNSSP 15 Annex B, September 2022; FAQ updated December 2024)
/// signs with ML-DSA-87 and establishes keys with ML-KEM-1024, nothing else
/// public-key. Its timeline per category: software/firmware signing and
/// networking equipment support and prefer CNSA 2.0 by 2025/2026 and use it
/// exclusively by 2030; web browsers, servers and cloud services support and
/// prefer it by 2025 and use it exclusively by 2033 (so do operating systems
/// and niche equipment); the whole NSS transition ends in 2035 (NSM-10).
/// Until the exclusive date the CNSA 1.0 algorithms stay allowed, and CNSA
/// 1.0 (CNSSP 15, 2016) is RSA with a modulus of 3072 bits or more and
/// ECDH/ECDSA on P-384 only: RSA-2048, P-256, P-521 and EdDSA were never
/// CNSA, so they are disallowed today, not at a later date.
pub const CNSA2: Table = Table {
    id: DeadlineTable::Cnsa2,
    name: "NSA CNSA 2.0 (web servers and cloud services)",
    source: "NSA CNSSP 15 Annex B / CNSA 2.0 (Sep 2022) and its FAQ (Dec 2024): web browsers, \
             servers and cloud services support and prefer CNSA 2.0 by 2025, use it exclusively \
             by 2033 (software/firmware signing and networking equipment by 2030, the whole \
             transition by 2035); CNSA 1.0 (RSA ≥ 3072, P-384) until then",
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
            None,
            "other post-quantum sets (ML-DSA-44/65, SLH-DSA, composites): quantum-safe, \
             not CNSA 2.0 (which signs with ML-DSA-87 only)",
        ),
        rule(
            Covers::Classical {
                family: Some(Family::Rsa),
                min_security: 128,
                max_security: ANY_STRENGTH,
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
                max_security: 192,
            },
            DeadlineStatus::Vulnerable,
            Some(2025),
            Some(2033),
            "ECDSA/ECDH P-384 (CNSA 1.0): no longer preferred after 2025, disallowed after 2033",
        ),
        rule(
            Covers::AnyClassical,
            DeadlineStatus::Disallowed,
            None,
            None,
            "RSA below 3072, P-256, P-521, Ed25519, Ed448 and other classical algorithms: \
             never CNSA (CNSA 1.0 is RSA ≥ 3072 or P-384), disallowed now",
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
pub fn select(spec: &str) -> Result<Vec<DeadlineTable>, super::SelectError> {
    let mut out = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let id = DeadlineTable::parse(name).ok_or_else(|| super::SelectError::UnknownTable {
            name: name.to_string(),
        })?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.is_empty() {
        return Err(super::SelectError::NoTables);
    }
    Ok(out)
}

/// The table names `--deadlines` accepts, for its error message.
pub(super) fn known_tables() -> String {
    DeadlineTable::ALL
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
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
                max_security,
            } => {
                family.quantum_vulnerable()
                    && f.is_none_or(|f| f == family)
                    && security_bits.is_some_and(|b| (min_security..=max_security).contains(&b))
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

    /// Every CNSA 2.0 row against the published suite: ML-DSA-87 and
    /// ML-KEM-1024 only; CNSA 1.0 (RSA ≥ 3072, P-384) until 2033 for web
    /// servers and cloud services, preferred no more after 2025; everything
    /// else classical (RSA-2048, P-256, P-521, EdDSA) was never CNSA.
    #[test]
    fn cnsa2_rows_match_the_published_suite() {
        let row = |family, bits, level| CNSA2.rule(family, bits, level).unwrap();
        let dates = |r: &Rule| (r.status, r.deprecated_after, r.disallowed_after);
        use DeadlineStatus::*;
        // Post-quantum: ML-DSA-87 and ML-KEM-1024 are CNSA 2.0, nothing else.
        assert_eq!(
            dates(row(Family::MlDsa, None, Some(5))),
            (Acceptable, None, None)
        );
        assert_eq!(
            dates(row(Family::MlKem, None, Some(5))),
            (Acceptable, None, None)
        );
        for (family, level) in [
            (Family::MlDsa, Some(2)),
            (Family::MlDsa, Some(3)),
            (Family::MlKem, Some(3)),
            (Family::SlhDsa, Some(5)),
            (Family::CompositeMlDsa, Some(5)),
        ] {
            assert_eq!(dates(row(family, None, level)), (NotApproved, None, None));
        }
        // CNSA 1.0 sizes: allowed until the 2033 exclusive date.
        for bits in [128, 152] {
            // RSA-3072, RSA-4096
            assert_eq!(
                dates(row(Family::Rsa, Some(bits), None)),
                (Vulnerable, Some(2025), Some(2033))
            );
        }
        assert_eq!(
            dates(row(Family::Ec, Some(192), None)),
            (Vulnerable, Some(2025), Some(2033))
        );
        // Never CNSA: disallowed now, with no date.
        for (family, bits) in [
            (Family::Rsa, Some(112)),   // RSA-2048
            (Family::Rsa, Some(80)),    // RSA-1024
            (Family::Ec, Some(128)),    // P-256
            (Family::Ec, Some(256)),    // P-521: CNSA 1.0 names P-384 only
            (Family::EdDsa, Some(128)), // Ed25519
            (Family::EdDsa, Some(224)), // Ed448
            (Family::Dsa, Some(112)),
            (Family::Rsa, None),
        ] {
            assert_eq!(
                dates(row(family, bits, None)),
                (Disallowed, None, None),
                "{family:?} {bits:?}"
            );
        }
        assert!(CNSA2.rule(Family::Unknown, None, None).is_none());
        for date in ["2025", "2030", "2033", "2035"] {
            assert!(CNSA2.source.contains(date), "{date}");
        }
        assert_eq!(select("nist, cnsa2,nist").unwrap().len(), 2);
        assert_eq!(
            select("fips"),
            Err(crate::catalog::SelectError::UnknownTable {
                name: "fips".into()
            })
        );
        assert_eq!(
            select("fips").unwrap_err().to_string(),
            "invalid --deadlines 'fips': known tables are nist, cnsa2"
        );
        assert_eq!(select(" "), Err(crate::catalog::SelectError::NoTables));
    }
}
