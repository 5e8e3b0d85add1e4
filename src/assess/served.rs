//! The certificates a probed server presented, judged: each chain's
//! certificates with their role, quantum safety and deadlines, the chain
//! findings, and whether the server fails to authenticate with ML-DSA
//! although clients it was replayed against could.
//!
//! Owns: merging the captured chains (the `handshake` check's first, then
//! the ML-DSA and classical handshakes') into one list, unique by
//! fingerprint, leaf first per chain; naming each certificate's place in
//! its chain (`leaf`, `intermediate`, `root`); and the
//! `no-mldsa-authentication` rule. Must not: parse certificates (that is
//! `pki`, through `probe`) or format anything.

use super::certs::{self, CertRules, JudgedCertificate};
use super::{unique, Finding};
use crate::catalog::profile;
use crate::probe::certificates::{is_mldsa, CapturedChain};
use crate::probe::TargetObservation;
use crate::vocab::{AuthKind, CheckId, CheckStatus, FindingKind};
use serde::Serialize;

/// A certificate the server sent that pqready could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct UnreadCertificate {
    /// SHA-256 of its DER, lower-case hex.
    pub fingerprint_sha256: String,
    /// Its place in the chain: `leaf`, `intermediate` or `root`.
    pub role: String,
    /// Why it could not be read.
    pub error: String,
}

/// The served certificates, judged, and the findings about them.
#[derive(Debug, Clone, Default)]
pub struct Served {
    /// Every certificate read, unique by fingerprint, in chain order.
    pub certificates: Vec<JudgedCertificate>,
    /// Every certificate that could not be read.
    pub unread: Vec<UnreadCertificate>,
    /// Chain findings, then `no-mldsa-authentication`.
    pub findings: Vec<Finding>,
}

/// A certificate's place in a chain of `len`: the first is the leaf, a
/// self-signed one at the end is the root, the others are intermediates.
pub fn role(position: usize, len: usize, self_signed: bool) -> &'static str {
    match position {
        0 => "leaf",
        p if p + 1 == len && self_signed => "root",
        _ => "intermediate",
    }
}

/// Judges the chains of `obs` with `rules`.
pub fn served(obs: &TargetObservation, rules: &CertRules) -> Served {
    let mut out = Served::default();
    let mut findings = Vec::new();
    for chain in &obs.chains {
        let judged = judge_chain(chain, rules, &mut out.unread);
        findings.extend(certs::chain_findings(&judged, rules));
        for cert in judged {
            if !out
                .certificates
                .iter()
                .any(|c| c.facts.fingerprint_sha256 == cert.facts.fingerprint_sha256)
            {
                out.certificates.push(cert);
            }
        }
    }
    out.findings = unique(findings.into_iter());
    out.findings.extend(no_mldsa_authentication(obs));
    out
}

/// The readable certificates of one chain, judged with their roles; the
/// unreadable ones go to `unread` (once each).
fn judge_chain(
    chain: &CapturedChain,
    rules: &CertRules,
    unread: &mut Vec<UnreadCertificate>,
) -> Vec<JudgedCertificate> {
    let len = chain.certificates.len();
    let mut facts = Vec::new();
    for (position, cert) in chain.certificates.iter().enumerate() {
        match &cert.facts {
            Ok(f) => {
                let mut f = f.clone();
                f.role = Some(role(position, len, f.self_signed).to_string());
                facts.push(f);
            }
            Err(error) => {
                if !unread
                    .iter()
                    .any(|u| u.fingerprint_sha256 == cert.fingerprint_sha256)
                {
                    unread.push(UnreadCertificate {
                        fingerprint_sha256: cert.fingerprint_sha256.clone(),
                        role: role(position, len, false).to_string(),
                        error: error.to_string(),
                    });
                }
            }
        }
    }
    certs::chain(&facts, rules)
}

/// `no-mldsa-authentication`: the certificates check completed, the server
/// refused the ML-DSA-only handshake but completed the classical one, and a
/// client profile it was replayed against (and that connected) offers ML-DSA
/// signature schemes.
fn no_mldsa_authentication(obs: &TargetObservation) -> Option<Finding> {
    let completed = obs
        .checks
        .iter()
        .any(|c| c.id == CheckId::Certificates && c.status == CheckStatus::Completed);
    let auth = obs.authentication.as_ref()?;
    let refused = auth.attempt(AuthKind::Mldsa)?;
    let classical = auth.attempt(AuthKind::Classical)?;
    if !completed || auth.mldsa || !classical.completed || !refused.answered() {
        return None;
    }
    let capable: Vec<(&str, Vec<String>)> = obs
        .clients
        .iter()
        .filter(|c| !c.failed)
        .filter_map(|c| {
            let offered: Vec<String> = profile::find(&c.profile)?
                .signature_schemes
                .iter()
                .filter(|s| is_mldsa(**s))
                .map(|s| s.to_string())
                .collect();
            (!offered.is_empty()).then_some((c.profile.as_str(), offered))
        })
        .collect();
    let (_, offered) = capable.first()?;
    let profiles: Vec<String> = capable.iter().map(|(p, _)| p.to_string()).collect();
    let used = classical
        .scheme
        .map(|s| s.to_string())
        .unwrap_or_else(|| "a classical scheme".into());
    let detail = format!(
        "{} {} ML-DSA signatures ({}), but the server refused a handshake offering only \
         ML-DSA ({}) and authenticates with {used} only",
        profiles.join(", "),
        if profiles.len() == 1 {
            "offers"
        } else {
            "offer"
        },
        offered.join(", "),
        refused
            .error
            .as_deref()
            .map(|e| e.trim_start_matches("handshake failed: "))
            .unwrap_or("no ML-DSA signature"),
    );
    let finding = Finding::new(
        FindingKind::NoMldsaAuthentication,
        detail,
        FindingKind::NoMldsaAuthentication.remediation().into(),
        profiles,
    );
    Some(match classical.chain.first() {
        Some(leaf) => finding.about_certificate(leaf),
        None => finding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::certificates::{AuthAttempt, AuthenticationObservation};
    use crate::probe::checks::CheckRecord;
    use crate::probe::clients::ClientResult;
    use crate::vocab::ErrorKind;
    use crate::wire::SignatureScheme;

    fn observed(clients: &[&str], mldsa_error: ErrorKind) -> TargetObservation {
        let attempt =
            |kind, scheme: Option<SignatureScheme>, error: Option<ErrorKind>| AuthAttempt {
                kind,
                completed: scheme.is_some(),
                scheme,
                version: None,
                chain: scheme.iter().map(|_| "ab".repeat(32)).collect(),
                error: error.map(|k| format!("handshake failed: {k}")),
                error_kind: error,
            };
        TargetObservation {
            protocol: crate::vocab::Protocol::Tls,
            address: None,
            sni: None,
            tls_versions: Vec::new(),
            groups: Default::default(),
            handshake: Default::default(),
            clients: clients
                .iter()
                .map(|id| ClientResult {
                    profile: id.to_string(),
                    negotiated_group: None,
                    hello_retry: false,
                    failed: false,
                    pq: false,
                    version: None,
                    detail: None,
                    error_kind: None,
                })
                .collect(),
            authentication: Some(AuthenticationObservation {
                mldsa: false,
                classical: true,
                schemes: vec![SignatureScheme::ED25519],
                attempts: vec![
                    attempt(AuthKind::Mldsa, None, Some(mldsa_error)),
                    attempt(AuthKind::Classical, Some(SignatureScheme::ED25519), None),
                ],
            }),
            chains: Vec::new(),
            hello_tolerance: None,
            checks: vec![CheckRecord {
                status: CheckStatus::Completed,
                ..CheckRecord::not_run(CheckId::Certificates)
            }],
            quic: None,
            ssh: None,
            connections: 0,
            elapsed_ms: 0,
        }
    }

    #[test]
    fn no_mldsa_authentication_needs_a_capable_client_and_a_refusal() {
        let f = no_mldsa_authentication(&observed(&["go1.24", "openssl3.5"], ErrorKind::Alert))
            .expect("openssl3.5 offers ML-DSA");
        assert_eq!(f.id, FindingKind::NoMldsaAuthentication);
        assert_eq!(f.profiles, ["openssl3.5"]);
        assert_eq!(f.certificates, ["ab".repeat(32)]);
        assert!(
            f.detail.contains("(mldsa65, mldsa87, mldsa44)"),
            "{}",
            f.detail
        );
        assert!(
            f.detail.contains("authenticates with ed25519 only"),
            "{}",
            f.detail
        );
        // No client that could, or no real refusal: no finding.
        assert_eq!(
            no_mldsa_authentication(&observed(&["go1.24"], ErrorKind::Alert)),
            None
        );
        assert_eq!(
            no_mldsa_authentication(&observed(&[], ErrorKind::Alert)),
            None
        );
        assert_eq!(
            no_mldsa_authentication(&observed(&["openssl3.5"], ErrorKind::Timeout)),
            None
        );
    }

    #[test]
    fn roles_by_position() {
        assert_eq!(role(0, 1, true), "leaf");
        assert_eq!(role(0, 2, false), "leaf");
        assert_eq!(role(1, 2, true), "root");
        assert_eq!(role(1, 3, false), "intermediate");
        assert_eq!(role(1, 2, false), "intermediate");
    }
}
