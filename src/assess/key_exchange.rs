//! The key-exchange rules: the one risk pqready exists for. Traffic recorded
//! today is decrypted later unless its key exchange is post-quantum, so an
//! endpoint without a standard post-quantum group is a finding on every
//! command that sees it, with or without `--clients`.
//!
//! Owns: `classical-key-exchange` (medium; high where the endpoint carries
//! secrets or credentials), `draft-only-key-exchange` and `pq-not-preferred`,
//! and which endpoints count as carrying secrets.
//!
//! Must not: look at client profiles (that is `assess::clients`: a pair's
//! outcome) or at certificates; it judges the server's own groups only, and
//! only when group discovery completed.

use super::policy::{Policy, Subject};
use super::{join, Finding, Verdict};
use crate::probe::TargetObservation;
use crate::vocab::{CheckId, ComponentCategory, FindingKind, PqStatus, Selection};
use crate::wire::NamedGroup;

/// Why an endpoint's traffic is worth more than most, when it is.
pub fn carries_secrets(subject: &Subject<'_>, policy: Option<&Policy>) -> Option<String> {
    let by_category = subject.category.and_then(|c| match c {
        ComponentCategory::Apiserver => Some(
            "the API server carries every credential and every Secret read or written through it",
        ),
        ComponentCategory::Etcd => {
            Some("the API server's traffic to etcd carries every Secret of the cluster")
        }
        ComponentCategory::Webhook => {
            Some("an admission or conversion webhook receives the objects it is sent, Secrets included")
        }
        ComponentCategory::Apiservice => Some(
            "an aggregated API receives requests the API server forwards, with the caller's identity",
        ),
        _ => None,
    });
    by_category
        .map(str::to_string)
        .or_else(|| policy.and_then(|p| p.marks_sensitive(subject)))
}

/// The key-exchange findings about one probed endpoint: nothing unless the
/// groups check completed (without it the groups are not known).
pub fn findings(
    obs: &TargetObservation,
    verdict: &Verdict,
    subject: &Subject<'_>,
    policy: Option<&Policy>,
) -> Vec<Finding> {
    let groups_ran = obs.completed(CheckId::Groups);
    if !groups_ran {
        return Vec::new();
    }
    let supported = &obs.groups.supported;
    let offered = if supported.is_empty() {
        "no key-exchange group was found".to_string()
    } else {
        format!("it supports {}", join(supported))
    };
    match verdict.status {
        PqStatus::Classical => {
            let kind = FindingKind::ClassicalKeyExchange;
            let why = if !obs
                .tls_versions
                .contains(&crate::wire::ProtocolVersion::TLS1_3)
            {
                let best = obs
                    .tls_versions
                    .first()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "no TLS version".into());
                format!("{best} at best, and post-quantum key exchange needs TLS 1.3")
            } else {
                format!("{offered}, none of them post-quantum")
            };
            let mut finding = Finding::new(
                kind,
                format!(
                    "no post-quantum key exchange ({why}): its traffic can be recorded today and \
                     decrypted later"
                ),
                kind.remediation().to_string(),
                Vec::new(),
            );
            if let Some(reason) = carries_secrets(subject, policy) {
                if let Some(raised) = kind.sensitive_severity() {
                    finding.severity = raised;
                }
                finding.detail.push_str(&format!("; {reason}"));
            }
            vec![finding]
        }
        PqStatus::DraftOnly => {
            let kind = FindingKind::DraftOnlyKeyExchange;
            vec![Finding::new(
                kind,
                format!(
                    "{offered}; its only post-quantum group is the obsolete X25519Kyber768Draft00, \
                     which no current client offers, so they all get classical key exchange"
                ),
                kind.remediation().to_string(),
                Vec::new(),
            )]
        }
        PqStatus::Pq => not_preferred(obs).into_iter().collect(),
        PqStatus::Error | PqStatus::Unknown => Vec::new(),
    }
}

/// `pq-not-preferred`: a client offering a standard post-quantum group and
/// classical ones, with key shares for both (browsers, Go 1.24+, rustls),
/// gets a classical group. Proven by the PQ-first handshake itself, or read
/// off the server's own order when it chooses by that order.
fn not_preferred(obs: &TargetObservation) -> Option<Finding> {
    let kind = FindingKind::PqNotPreferred;
    let detail = |got: NamedGroup, how: &str| {
        Finding::new(
            kind,
            format!(
                "it supports {} but {how} {got}: a client that offers both gets classical key \
                 exchange",
                join(
                    &obs.groups
                        .supported
                        .iter()
                        .copied()
                        .filter(|g| g.is_standard_post_quantum())
                        .collect::<Vec<_>>()
                ),
            ),
            kind.remediation().to_string(),
            Vec::new(),
        )
    };
    if let Some(got) = obs.handshake.negotiated_group {
        if !got.is_post_quantum() {
            return Some(detail(
                got,
                "a PQ-first client that also offered classical groups got",
            ));
        }
    }
    let by_own_order = matches!(
        obs.groups.selection,
        Some(Selection::ServerOrder | Selection::KeyShareThenServerOrder)
    );
    if !by_own_order {
        return None;
    }
    // The obsolete draft is skipped: no current client offers it.
    let favourite = obs
        .groups
        .server_order
        .as_ref()?
        .iter()
        .copied()
        .find(|g| *g != NamedGroup::X25519KYBER768DRAFT00)?;
    (!favourite.is_post_quantum())
        .then(|| detail(favourite, "chooses by its own order, which puts first"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::TargetObservation;
    use crate::vocab::Severity;
    use crate::wire::ProtocolVersion;

    fn observed(groups: &[NamedGroup], order: Option<&[NamedGroup]>) -> TargetObservation {
        let mut obs = TargetObservation::with_completed_groups(groups, &[ProtocolVersion::TLS1_3]);
        obs.groups.server_order = order.map(|o| o.to_vec());
        obs.groups.selection = order.map(|_| Selection::ServerOrder);
        obs
    }

    fn judge(
        obs: &TargetObservation,
        subject: &Subject<'_>,
        policy: Option<&Policy>,
    ) -> Vec<Finding> {
        findings(obs, &super::super::verdict(obs), subject, policy)
    }

    const PLAIN: Subject<'static> = Subject {
        target: "10.0.0.9:443",
        name: None,
        category: None,
    };

    #[test]
    fn a_classical_server_is_medium_and_high_where_it_carries_secrets() {
        let obs = observed(&[NamedGroup::X25519, NamedGroup::SECP256R1], None);
        let f = judge(&obs, &PLAIN, None);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].id, f[0].severity),
            (FindingKind::ClassicalKeyExchange, Severity::Medium)
        );
        assert!(f[0].detail.contains("x25519, secp256r1"), "{}", f[0].detail);
        let etcd = Subject {
            target: "10.0.0.5:2379",
            name: Some("etcd"),
            category: Some(ComponentCategory::Etcd),
        };
        let f = judge(&obs, &etcd, None);
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].detail.contains("every Secret"), "{}", f[0].detail);
        let kubelet = Subject {
            category: Some(ComponentCategory::Kubelet),
            ..etcd
        };
        assert_eq!(judge(&obs, &kubelet, None)[0].severity, Severity::Medium);
        let policy = Policy::from_yaml("sensitive: [{target: '10.0.0.9:*'}]").unwrap();
        let f = judge(&obs, &PLAIN, Some(&policy));
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].detail.contains("policy"), "{}", f[0].detail);
    }

    #[test]
    fn draft_only_and_not_preferred() {
        let obs = observed(
            &[NamedGroup::X25519KYBER768DRAFT00, NamedGroup::X25519],
            None,
        );
        let f = judge(&obs, &PLAIN, None);
        assert_eq!(
            (f[0].id, f[0].severity),
            (FindingKind::DraftOnlyKeyExchange, Severity::Medium)
        );

        let both = [NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        let classical_first = [NamedGroup::X25519, NamedGroup::X25519MLKEM768];
        let f = judge(&observed(&both, Some(&classical_first)), &PLAIN, None);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].id, f[0].severity),
            (FindingKind::PqNotPreferred, Severity::Low)
        );
        assert!(judge(&observed(&both, Some(&both)), &PLAIN, None).is_empty());
        // A server that follows the client's order has no favourite to judge.
        let mut client_order = observed(&both, None);
        client_order.groups.selection = Some(Selection::ClientOrder);
        assert!(judge(&client_order, &PLAIN, None).is_empty());
        // The PQ-first handshake's own answer is proof enough.
        client_order.handshake.negotiated_group = Some(NamedGroup::X25519);
        assert_eq!(
            judge(&client_order, &PLAIN, None)[0].id,
            FindingKind::PqNotPreferred
        );
    }

    #[test]
    fn says_nothing_when_the_groups_were_not_discovered() {
        let mut obs = observed(&[NamedGroup::X25519], None);
        obs.checks.clear();
        assert!(judge(&obs, &PLAIN, None).is_empty());
    }
}
