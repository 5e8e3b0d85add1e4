//! The judgement of certificates and keys: quantum safety, where each
//! deadline table puts them, and the findings an operator acts on.
//!
//! Owns: applying `catalog::deadlines` to one certificate (or key), comparing
//! its validity with the dates, and the certificate findings: quantum-
//! vulnerable keys (with the date to replace them by), validity past a
//! deprecation or disallowance date, keys too small today, keys the deciding
//! table disallows today or does not approve, SHA-1/MD5 signatures, post-
//! quantum keys under a quantum-vulnerable signature, chains mixing
//! post-quantum and classical signatures, expired
//! and soon-expiring certificates, and a server that cannot authenticate with
//! ML-DSA although its clients could.
//! Must not: parse certificates (that is `pki`) or format anything.

use super::Finding;
use crate::catalog::algorithms::{Family, Hash};
use crate::catalog::deadlines;
use crate::pki::files::{is_chain, FileFacts};
use crate::pki::{CertificateFacts, KeyFacts};
use crate::time::{date, unix_of_date};
use crate::vocab::{DeadlineStatus, DeadlineTable, FindingKind, KeyKind};
use serde::Serialize;

/// How certificates are judged: which deadline tables, and when "now" is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRules {
    /// The tables to report, first one drives the findings (`--deadlines`).
    pub deadlines: Vec<DeadlineTable>,
    /// Seconds since 1970 taken as now (expiry checks).
    pub now: i64,
}

impl Default for CertRules {
    fn default() -> Self {
        CertRules {
            deadlines: vec![DeadlineTable::Nist],
            now: crate::time::now_unix(),
        }
    }
}

/// A certificate that expires within this many days gets a finding.
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

/// Where one table puts one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Deadline {
    /// The table (`nist`, `cnsa2`).
    pub table: DeadlineTable,
    /// Acceptable, not approved, vulnerable (with dates), disallowed or unknown.
    pub status: DeadlineStatus,
    /// Last day before the algorithm is deprecated (`2030-12-31`), if the table sets one.
    pub deprecated_after: Option<String>,
    /// Last day before the algorithm is disallowed (`2035-12-31`), if the table sets one.
    pub disallowed_after: Option<String>,
    /// The certificate's notAfter lies past `deprecated_after`.
    pub valid_past_deprecation: bool,
    /// The certificate's notAfter lies past `disallowed_after`.
    pub valid_past_disallowance: bool,
    /// The table's rule, in words.
    pub rule: String,
}

/// A certificate with its judgement, flattened into one JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct JudgedCertificate {
    /// What the certificate says.
    #[serde(
        flatten,
        deserialize_with = "crate::pki::deserialize_certificate_facts"
    )]
    pub facts: CertificateFacts,
    /// Its key and its signature are both post-quantum.
    pub quantum_safe: bool,
    /// Each selected table's status and dates for its key.
    pub deadlines: Vec<Deadline>,
}

/// A key (public, or a private key's public half) with its judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct JudgedKey {
    /// What the key is.
    #[serde(flatten)]
    pub facts: KeyFacts,
    /// A quantum computer does not break it.
    pub quantum_safe: bool,
    /// Each selected table's status and dates.
    pub deadlines: Vec<Deadline>,
}

fn end_of_year(year: i64) -> i64 {
    unix_of_date(year + 1, 1, 1)
}

/// Where each selected table puts `key`; `not_after` compares a validity.
pub fn deadlines(key: &KeyFacts, not_after: Option<i64>, rules: &CertRules) -> Vec<Deadline> {
    rules
        .deadlines
        .iter()
        .map(|id| {
            let table = deadlines::table(*id);
            match table.rule(key.family, key.security_bits, key.nist_level) {
                Some(rule) => {
                    let past = |year: Option<i64>| match (year, not_after) {
                        (Some(y), Some(t)) => t >= end_of_year(y),
                        _ => false,
                    };
                    Deadline {
                        table: *id,
                        status: rule.status,
                        deprecated_after: rule.deprecated_after.map(|y| format!("{y}-12-31")),
                        disallowed_after: rule.disallowed_after.map(|y| format!("{y}-12-31")),
                        valid_past_deprecation: past(rule.deprecated_after),
                        valid_past_disallowance: past(rule.disallowed_after),
                        rule: rule.text.to_string(),
                    }
                }
                None => Deadline {
                    table: *id,
                    status: DeadlineStatus::Unknown,
                    deprecated_after: None,
                    disallowed_after: None,
                    valid_past_deprecation: false,
                    valid_past_disallowance: false,
                    rule: format!("unknown algorithm {}", key.key_algorithm_oid),
                },
            }
        })
        .collect()
}

/// Judges one certificate.
pub fn certificate(facts: &CertificateFacts, rules: &CertRules) -> JudgedCertificate {
    JudgedCertificate {
        quantum_safe: facts.key.family.quantum_safe() && facts.signature_family().quantum_safe(),
        deadlines: deadlines(&facts.key, Some(facts.not_after_unix), rules),
        facts: facts.clone(),
    }
}

/// Judges one key.
pub fn key(facts: &KeyFacts, rules: &CertRules) -> JudgedKey {
    JudgedKey {
        quantum_safe: facts.family.quantum_safe(),
        deadlines: deadlines(facts, None, rules),
        facts: facts.clone(),
    }
}

fn name(cert: &JudgedCertificate) -> String {
    let role = cert
        .facts
        .role
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    format!(
        "{}{role}, {} signed with {}, sha256 {}",
        cert.facts.short_name(),
        cert.facts.key.describe(),
        cert.facts.signature_algorithm,
        &cert.facts.fingerprint_sha256[..16.min(cert.facts.fingerprint_sha256.len())]
    )
}

fn finding(kind: FindingKind, cert: &JudgedCertificate, detail: String) -> Finding {
    Finding::new(kind, detail, kind.remediation().into(), Vec::new())
        .about_certificate(&cert.facts.fingerprint_sha256)
}

/// The findings about one certificate on its own.
pub fn certificate_findings(cert: &JudgedCertificate, rules: &CertRules) -> Vec<Finding> {
    let mut out = Vec::new();
    let facts = &cert.facts;
    let what = name(cert);
    let weak_modulus = matches!(facts.key.family, Family::Rsa | Family::Dsa)
        && facts.key.key_bits.is_some_and(|b| b < 2048);
    let weak_curve =
        facts.key.family == Family::Ec && facts.key.security_bits.is_some_and(|b| b < 112);
    if weak_modulus || weak_curve {
        out.push(finding(
            FindingKind::WeakKey,
            cert,
            format!(
                "{what}: {} is below 112-bit security and already disallowed",
                facts.key.describe()
            ),
        ));
    }
    if !facts.self_signed && matches!(facts.signature_hash(), Some(Hash::Sha1 | Hash::Md5)) {
        out.push(finding(
            FindingKind::WeakSignatureHash,
            cert,
            format!("{what}: signed with {}", facts.signature_algorithm),
        ));
    }
    if rules.now > facts.not_after_unix || rules.now < facts.not_before_unix {
        let when = if rules.now > facts.not_after_unix {
            format!("expired on {}", date(facts.not_after_unix))
        } else {
            format!("not valid before {}", date(facts.not_before_unix))
        };
        out.push(finding(
            FindingKind::CertificateExpired,
            cert,
            format!("{what}: {when}"),
        ));
    } else if facts.not_after_unix - rules.now < EXPIRING_WITHIN_DAYS * 86_400 {
        out.push(finding(
            FindingKind::CertificateExpiring,
            cert,
            format!("{what}: expires on {}", date(facts.not_after_unix)),
        ));
    }
    let weak = weak_modulus || weak_curve;
    if let Some(f) = cert
        .deadlines
        .first()
        .and_then(|d| table_finding(d, &facts.key, &what, weak))
    {
        out.push(f.about_certificate(&facts.fingerprint_sha256));
    } else if facts.key.family.quantum_vulnerable() && !weak {
        if let Some(first) = cert.deadlines.first() {
            let table = deadlines::table(first.table).name;
            let until = date(facts.not_after_unix);
            let (kind, detail) = if first.valid_past_disallowance {
                (
                    FindingKind::ValidPastDisallowance,
                    format!(
                        "{what}: valid until {until}, past the disallowance date {} ({table})",
                        first.disallowed_after.as_deref().unwrap_or("?")
                    ),
                )
            } else if first.valid_past_deprecation {
                (
                    FindingKind::ValidPastDeprecation,
                    format!(
                        "{what}: valid until {until}, past the deprecation date {} ({table})",
                        first.deprecated_after.as_deref().unwrap_or("?")
                    ),
                )
            } else {
                let by = first
                    .deprecated_after
                    .as_deref()
                    .or(first.disallowed_after.as_deref())
                    .map(|d| format!("replace by {d}, per {table}"))
                    .unwrap_or_else(|| format!("{table}: {}", first.status));
                (
                    FindingKind::QuantumVulnerableKey,
                    format!("{what}: quantum-vulnerable key, {by}"),
                )
            };
            out.push(finding(kind, cert, detail));
        }
    }
    let signature = facts.signature_family();
    if facts.key.family.quantum_safe() && signature.quantum_vulnerable() {
        out.push(finding(
            FindingKind::QuantumVulnerableSignature,
            cert,
            format!(
                "{what}: its {} key is post-quantum, but the certificate is signed with {} by a \
                 quantum-vulnerable CA key ({})",
                facts.key.describe(),
                facts.signature_algorithm,
                facts.issuer
            ),
        ));
    }
    out
}

/// The finding the deciding table (`first`) makes about a key on its own
/// standing, if any: disallowed today (unless `weak` already says so), or
/// post-quantum but not approved. `what` names the key's holder.
fn table_finding(first: &Deadline, key: &KeyFacts, what: &str, weak: bool) -> Option<Finding> {
    let table = deadlines::table(first.table).name;
    let (kind, detail) = match first.status {
        DeadlineStatus::Disallowed if !weak => (
            FindingKind::DisallowedAlgorithm,
            format!(
                "{what}: {} is disallowed now by {table} ({})",
                key.describe(),
                first.rule
            ),
        ),
        DeadlineStatus::NotApproved => (
            FindingKind::NotApprovedAlgorithm,
            format!(
                "{what}: {} is not approved by {table} ({})",
                key.describe(),
                first.rule
            ),
        ),
        _ => return None,
    };
    Some(Finding::new(
        kind,
        detail,
        kind.remediation().into(),
        Vec::new(),
    ))
}

/// The findings about a chain (leaf first): each certificate's, plus a
/// chain that mixes post-quantum and classical signatures (which replaces
/// `quantum-vulnerable-signature` of its certificates). The leaf's key
/// counts as a signature too: it signs the handshake, so an ML-DSA leaf
/// issued by an ECDSA CA mixes them.
pub fn chain_findings(chain: &[JudgedCertificate], rules: &CertRules) -> Vec<Finding> {
    let mut out: Vec<Finding> = chain
        .iter()
        .flat_map(|c| certificate_findings(c, rules))
        .collect();
    let families: Vec<Family> = chain
        .iter()
        .map(|c| c.facts.signature_family())
        .chain(chain.first().map(|leaf| leaf.facts.key.family))
        .collect();
    let pq = families.iter().any(|f| f.quantum_safe());
    let classical = families.iter().any(|f| f.quantum_vulnerable());
    if pq && classical {
        if let Some(leaf) = chain.first() {
            let links = chain
                .iter()
                .map(|c| format!("{} ({})", c.facts.short_name(), c.facts.signature_algorithm))
                .collect::<Vec<_>>()
                .join(" <- ");
            // The chain's finding names each signature: a post-quantum key
            // under a classical CA needs no second finding of its own.
            out.retain(|f| f.id != FindingKind::QuantumVulnerableSignature);
            out.push(finding(
                FindingKind::MixedChain,
                leaf,
                format!("chain {links}"),
            ));
        }
    }
    out
}

/// The findings about certificates that came together (one PEM bundle, one
/// `tls.crt`): judged as a chain when they form one (`linked`: each issued
/// by the next), otherwise each on its own.
pub fn bundle_findings(
    certs: &[JudgedCertificate],
    linked: bool,
    rules: &CertRules,
) -> Vec<Finding> {
    if linked {
        chain_findings(certs, rules)
    } else {
        certs
            .iter()
            .flat_map(|c| certificate_findings(c, rules))
            .collect()
    }
}

/// The findings about a key found on its own (`what` names it, e.g.
/// `sa.pub (service-account-public-key)`): a key below 112-bit strength, and
/// for a public key or a certificate request, a quantum-vulnerable key with
/// the date to replace it by. A private key gets no quantum finding: its
/// certificate or public key carries it.
pub fn key_findings(key: &JudgedKey, kind: KeyKind, what: &str) -> Vec<Finding> {
    let facts = &key.facts;
    let mut out = Vec::new();
    let weak = match facts.family {
        Family::Rsa | Family::Dsa => facts.key_bits.is_some_and(|b| b < 2048),
        Family::Ec => facts.security_bits.is_some_and(|b| b < 112),
        _ => false,
    };
    let noun = match kind {
        KeyKind::Public => "public key",
        KeyKind::Private => "private key",
        KeyKind::Csr => "key in a certificate request",
    };
    let finding = |kind: FindingKind, detail: String| {
        Finding::new(kind, detail, kind.remediation().into(), Vec::new())
    };
    let table_says = match (kind, key.deadlines.first()) {
        (KeyKind::Private, _) | (_, None) => None,
        (_, Some(first)) => table_finding(first, facts, &format!("{what}: {noun}"), weak),
    };
    if weak {
        out.push(finding(
            FindingKind::WeakKey,
            format!(
                "{what}: {} {noun} is below 112-bit security and already disallowed",
                facts.describe()
            ),
        ));
    } else if let Some(f) = table_says {
        out.push(f);
    } else if kind != KeyKind::Private && facts.family.quantum_vulnerable() {
        if let Some(first) = key.deadlines.first() {
            let table = deadlines::table(first.table).name;
            let by = first
                .deprecated_after
                .as_deref()
                .or(first.disallowed_after.as_deref())
                .map(|d| format!("replace by {d}, per {table}"))
                .unwrap_or_else(|| format!("{table}: {}", first.status));
            out.push(finding(
                FindingKind::QuantumVulnerableKey,
                format!(
                    "{what}: {} {noun}, quantum-vulnerable, {by}",
                    facts.describe()
                ),
            ));
        }
    }
    out
}

/// Judges a whole chain (leaf first).
pub fn chain(facts: &[CertificateFacts], rules: &CertRules) -> Vec<JudgedCertificate> {
    facts.iter().map(|f| certificate(f, rules)).collect()
}

/// Everything judged about one file `certs` read, in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAssessment {
    /// Each certificate of the file, judged.
    pub certificates: Vec<JudgedCertificate>,
    /// For each certificate: whether those that came with it form a chain,
    /// each issued by the next (and were judged as one).
    pub linked: Vec<bool>,
    /// Each key and certificate request, judged.
    pub keys: Vec<JudgedKey>,
    /// The findings, most severe first.
    pub findings: Vec<Finding>,
}

/// Judges one file: certificates that came together (a bundle, a
/// `tls.crt`) as a chain when each is issued by the next, else one by one;
/// then each key, named by the file and its place in it.
pub fn file(facts: &FileFacts, rules: &CertRules) -> FileAssessment {
    let certificates: Vec<JudgedCertificate> = facts
        .certificates
        .iter()
        .map(|c| certificate(&c.facts, rules))
        .collect();
    let mut findings = Vec::new();
    let mut linked_by_certificate = vec![false; certificates.len()];
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, c) in facts.certificates.iter().enumerate() {
        match groups.iter_mut().find(|(chain, _)| *chain == c.chain) {
            Some((_, members)) => members.push(i),
            None => groups.push((c.chain, vec![i])),
        }
    }
    for (_, members) in groups {
        let group: Vec<JudgedCertificate> =
            members.iter().map(|i| certificates[*i].clone()).collect();
        let linked = is_chain(
            &members
                .iter()
                .map(|i| &facts.certificates[*i].facts)
                .collect::<Vec<_>>(),
        );
        findings.extend(bundle_findings(&group, linked, rules));
        for i in members {
            linked_by_certificate[i] = linked;
        }
    }
    let single = facts.certificates.len() + facts.keys.len() == 1;
    let keys: Vec<JudgedKey> = facts.keys.iter().map(|k| key(&k.facts, rules)).collect();
    for (facts_key, judged) in facts.keys.iter().zip(&keys) {
        let role = facts_key
            .role
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let what = if single && matches!(facts_key.source.as_str(), "block 1" | "DER") {
            format!("{}{role}", facts.path)
        } else {
            format!("{} {}{role}", facts.path, facts_key.source)
        };
        findings.extend(key_findings(judged, facts_key.kind, &what));
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    FileAssessment {
        certificates,
        linked: linked_by_certificate,
        keys,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ml_dsa_cert() -> CertificateFacts {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_65).unwrap();
        let params = rcgen::CertificateParams::new(vec!["pq.test".into()]).unwrap();
        crate::pki::parse_certificate(params.self_signed(&key).unwrap().der()).unwrap()
    }

    fn p256_cert(not_after_year: i32) -> CertificateFacts {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["ec.test".into()]).unwrap();
        params.not_after = rcgen::date_time_ymd(not_after_year, 6, 1);
        crate::pki::parse_certificate(params.self_signed(&key).unwrap().der()).unwrap()
    }

    fn finding_kinds(cert: &JudgedCertificate, rules: &CertRules) -> Vec<FindingKind> {
        certificate_findings(cert, rules)
            .iter()
            .map(|f| f.id)
            .collect()
    }

    fn rules(tables: &[DeadlineTable]) -> CertRules {
        CertRules {
            deadlines: tables.to_vec(),
            now: unix_of_date(2026, 11, 29),
        }
    }

    #[test]
    fn ml_dsa_is_safe_and_cnsa_wants_87() {
        let judged = certificate(
            &ml_dsa_cert(),
            &rules(&[DeadlineTable::Nist, DeadlineTable::Cnsa2]),
        );
        assert!(judged.quantum_safe);
        assert_eq!(judged.deadlines[0].status, DeadlineStatus::Acceptable);
        assert_eq!(judged.deadlines[1].status, DeadlineStatus::NotApproved);
        let findings = certificate_findings(&judged, &rules(&[DeadlineTable::Nist]));
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn p256_valid_past_2035_is_high() {
        let r = rules(&[DeadlineTable::Nist]);
        let judged = certificate(&p256_cert(2037), &r);
        assert!(!judged.quantum_safe);
        assert_eq!(
            judged.deadlines[0].disallowed_after.as_deref(),
            Some("2035-12-31")
        );
        assert!(judged.deadlines[0].valid_past_disallowance);
        assert!(!judged.deadlines[0].valid_past_deprecation);
        let kinds = finding_kinds(&judged, &r);
        assert_eq!(kinds, vec![FindingKind::ValidPastDisallowance]);
        let short = certificate(&p256_cert(2027), &r);
        let kinds = finding_kinds(&short, &r);
        assert_eq!(kinds, vec![FindingKind::QuantumVulnerableKey]);
        let expired = certificate(&p256_cert(2025), &r);
        let kinds = finding_kinds(&expired, &r);
        assert_eq!(
            kinds,
            vec![
                FindingKind::CertificateExpired,
                FindingKind::QuantumVulnerableKey
            ]
        );
    }

    #[test]
    fn cnsa2_judges_what_it_disallows_today_and_what_it_does_not_approve() {
        let r = rules(&[DeadlineTable::Cnsa2]);
        // P-256 was never CNSA: disallowed now, however short its validity.
        let p256 = certificate(&p256_cert(2027), &r);
        assert_eq!(p256.deadlines[0].status, DeadlineStatus::Disallowed);
        let findings = certificate_findings(&p256, &r);
        assert_eq!(
            findings.iter().map(|f| f.id).collect::<Vec<_>>(),
            vec![FindingKind::DisallowedAlgorithm]
        );
        assert_eq!(findings[0].severity, crate::vocab::Severity::High);
        assert!(findings[0].detail.contains("NSA CNSA 2.0"), "{findings:?}");
        // ML-DSA-65 is quantum-safe but not CNSA 2.0.
        let ml_dsa_65 = certificate(&ml_dsa_cert(), &r);
        assert_eq!(
            finding_kinds(&ml_dsa_65, &r),
            vec![FindingKind::NotApprovedAlgorithm]
        );
        // The same keys on their own, as public keys.
        let key = key(&p256.facts.key, &r);
        let kinds: Vec<_> = key_findings(&key, KeyKind::Public, "p256.pub")
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(kinds, vec![FindingKind::DisallowedAlgorithm]);
        assert!(key_findings(&key, KeyKind::Private, "p256.key").is_empty());
    }

    #[test]
    fn mixed_chains_are_found() {
        let r = rules(&[DeadlineTable::Nist]);
        let mixed = |facts: &[CertificateFacts]| {
            chain_findings(&chain(facts, &r), &r)
                .iter()
                .any(|f| f.id == FindingKind::MixedChain)
        };
        assert!(mixed(&[ml_dsa_cert(), p256_cert(2027)]));
        assert!(!mixed(&[ml_dsa_cert()]));
        assert!(!mixed(&[p256_cert(2027)]));
        // An ML-DSA leaf signed by an ECDSA CA: its certificate's signature
        // is classical, the handshake signature its key makes is not.
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = rcgen::Issuer::new(ca, ca_key);
        let leaf_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_65).unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["pq.test".into()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let leaf = crate::pki::parse_certificate(leaf.der()).unwrap();
        assert_eq!(leaf.signature_algorithm, "ecdsa-with-SHA256");
        assert!(mixed(std::slice::from_ref(&leaf)));
        // On its own (its CA elsewhere), the leaf still gets a finding: its
        // certificate's signature is the CA's quantum-vulnerable one.
        let judged = certificate(&leaf, &r);
        assert!(!judged.quantum_safe);
        assert_eq!(
            finding_kinds(&judged, &r),
            vec![FindingKind::QuantumVulnerableSignature]
        );
    }
}
