//! Findings from replaying client profiles against an endpoint: silent
//! downgrades, PQ-capable servers with classical clients (and the reverse),
//! draft-only agreements, PQ groups in common but not chosen, clients locked
//! out by a PQ-only server. Each replayed result is matched to its profile by
//! id in the catalog, never by position.
//!
//! What the server supports comes from the `groups` check (which `clients`
//! needs); a finding never claims a fact about the server's groups that
//! was not observed. A failure that the server's ML-DSA-only authentication
//! explains is left to `no-classical-authentication`.

use super::authentication::explains_failure;
use super::{join, unique, Finding};
use crate::catalog::profile;
use crate::probe::TargetObservation;
use crate::vocab::{CheckId, FindingKind, SERVER_UPGRADE};
use crate::wire::NamedGroup;

/// One affected client, before findings are grouped.
struct Hit {
    kind: FindingKind,
    profile: String,
    got: Option<NamedGroup>,
    offers: Vec<NamedGroup>,
    common: Vec<NamedGroup>,
    why: String,
    fix: String,
}

fn names(groups: &[NamedGroup]) -> String {
    if groups.is_empty() {
        "none".into()
    } else {
        join(groups)
    }
}

/// `one` for a single client, `many` for several.
fn verb(count: usize, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 {
        one
    } else {
        many
    }
}

/// One finding per kind, naming every affected client, most severe first.
pub fn client_findings(obs: &TargetObservation) -> Vec<Finding> {
    // Without a completed discovery the server's set is unknown, not empty.
    let groups_known = obs.completed(CheckId::Groups);
    let server = &obs.groups.supported;
    let server_pq: Vec<NamedGroup> = server
        .iter()
        .copied()
        .filter(|g| g.is_post_quantum())
        .collect();
    let server_classical = server.iter().any(|g| !g.is_post_quantum());
    let mut hits: Vec<Hit> = Vec::new();
    for result in &obs.clients {
        // A result the server never answered says nothing about the client.
        if result.unanswered() {
            continue;
        }
        if result.failed && explains_failure(obs, &result.profile) {
            continue;
        }
        let Some(profile) = profile::find(&result.profile) else {
            continue;
        };
        let offers: Vec<NamedGroup> = profile
            .groups
            .iter()
            .copied()
            .filter(|g| g.is_post_quantum())
            .collect();
        let common: Vec<NamedGroup> = offers
            .iter()
            .copied()
            .filter(|g| server.contains(g))
            .collect();
        let got = result.negotiated_group;
        let kind = if result.failed {
            if groups_known && !server_pq.is_empty() && !server_classical && common.is_empty() {
                FindingKind::PqOnlyLockout
            } else {
                FindingKind::HandshakeFailure
            }
        } else if got == Some(NamedGroup::X25519KYBER768DRAFT00) {
            FindingKind::DraftOnly
        } else if got.is_none_or(|g| g.is_post_quantum()) || !groups_known {
            continue;
        } else if !offers.is_empty() && !server_pq.is_empty() && common.is_empty() {
            FindingKind::SilentDowngrade
        } else if !common.is_empty() {
            FindingKind::PqNotSelected
        } else if !server_pq.is_empty() {
            FindingKind::ClassicalClient
        } else if !offers.is_empty() {
            FindingKind::ClassicalServer
        } else {
            continue;
        };
        let client_fix = profile.upgrade_hint.clone();
        let fix = match kind {
            FindingKind::SilentDowngrade if profile.offers_standard_pq() => {
                SERVER_UPGRADE.to_string()
            }
            FindingKind::ClassicalServer => SERVER_UPGRADE.to_string(),
            FindingKind::PqNotSelected | FindingKind::DraftOnly | FindingKind::HandshakeFailure => {
                kind.remediation().to_string()
            }
            FindingKind::PqOnlyLockout => format!("{client_fix}; or, {}", kind.remediation()),
            _ => client_fix,
        };
        hits.push(Hit {
            kind,
            profile: profile.id.clone(),
            got,
            offers,
            common,
            why: result.detail.clone().unwrap_or_default(),
            fix,
        });
    }
    let kinds = unique(hits.iter().map(|h| h.kind));
    let mut findings: Vec<Finding> = kinds
        .into_iter()
        .map(|kind| {
            let group: Vec<&Hit> = hits.iter().filter(|h| h.kind == kind).collect();
            let who = group
                .iter()
                .map(|h| h.profile.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let got = names(&unique(group.iter().filter_map(|h| h.got)));
            let offers = names(&unique(group.iter().flat_map(|h| h.offers.iter().copied())));
            let common = names(&unique(group.iter().flat_map(|h| h.common.iter().copied())));
            let spq = names(&server_pq);
            let n = group.len();
            let offer = verb(n, "offers", "offer");
            let detail = match kind {
                FindingKind::SilentDowngrade => format!(
                    "{who} {offer} {offers}; the server supports {spq}. No post-quantum group in common, so {} on {got} without any error",
                    verb(n, "it settles", "they settle")
                ),
                FindingKind::ClassicalClient => format!(
                    "{who} {offer} no post-quantum group and {} {got}; the server supports {spq}",
                    verb(n, "gets", "get")
                ),
                FindingKind::ClassicalServer => format!(
                    "{who} {offer} {offers}, but the server supports only classical groups: {} {got}",
                    verb(n, "it gets", "they get")
                ),
                FindingKind::PqNotSelected => format!(
                    "{who} and the server both support {common}, yet the server chooses {got}"
                ),
                FindingKind::DraftOnly => format!(
                    "{who} {} X25519Kyber768Draft00, a pre-standard draft that current clients and servers are dropping",
                    verb(n, "negotiates", "negotiate")
                ),
                FindingKind::PqOnlyLockout => {
                    format!("{who} cannot connect: the server accepts only {spq}")
                }
                _ => group
                    .iter()
                    .map(|h| format!("{}: {}", h.profile, h.why))
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            let fixes = unique(group.iter().map(|h| h.fix.clone()));
            let remediation = fixes
                .iter()
                .map(|fix| {
                    let for_whom: Vec<&str> = group
                        .iter()
                        .filter(|h| &h.fix == fix)
                        .map(|h| h.profile.as_str())
                        .collect();
                    if fixes.len() == 1 {
                        fix.clone()
                    } else {
                        format!("{}: {fix}", for_whom.join(", "))
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            Finding::new(
                kind,
                detail,
                remediation,
                group.iter().map(|h| h.profile.clone()).collect(),
            )
        })
        .collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::profile::{find, ClientProfile};
    use crate::catalog::server::{all as servers, ServerModel};
    use crate::probe::clients::ClientResult;
    use crate::probe::groups::GroupsObservation;
    use crate::probe::handshake::HandshakeObservation;
    use crate::vocab::Severity;
    use crate::wire::ProtocolVersion;

    /// An observation of `server` (a catalog model) as probing would record it,
    /// with each client's result predicted by the model.
    fn observed(server: &ServerModel, clients: &[&ClientProfile]) -> TargetObservation {
        TargetObservation {
            protocol: crate::vocab::Protocol::Tls,
            address: Some("127.0.0.1:443".parse().unwrap()),
            sni: None,
            tls_versions: vec![ProtocolVersion::TLS1_3],
            groups: GroupsObservation {
                supported: server.groups(),
                ..GroupsObservation::default()
            },
            handshake: HandshakeObservation::default(),
            clients: clients
                .iter()
                .map(|p| {
                    let o = server.predict(p);
                    ClientResult {
                        profile: p.id.clone(),
                        negotiated_group: o.negotiated_group,
                        hello_retry: o.hello_retry,
                        failed: o.failed,
                        pq: o.pq(),
                        version: Some(ProtocolVersion::TLS1_3),
                        detail: o.failed.then(|| "alert handshake_failure".into()),
                        error_kind: o.failed.then_some(crate::vocab::ErrorKind::Alert),
                    }
                })
                .collect(),
            authentication: None,
            chains: Vec::new(),
            hello_tolerance: None,
            checks: vec![crate::probe::checks::CheckRecord {
                status: crate::vocab::CheckStatus::Completed,
                ..crate::probe::checks::CheckRecord::not_run(CheckId::Groups)
            }],
            quic: None,
            ssh: None,
            connections: 0,
            elapsed_ms: 0,
        }
    }

    fn findings(server_id: &str, clients: &[&str]) -> Vec<Finding> {
        let server = servers().iter().find(|s| s.id == server_id).unwrap();
        let profiles: Vec<&ClientProfile> = clients.iter().map(|c| find(c).unwrap()).collect();
        client_findings(&observed(server, &profiles))
    }

    #[test]
    fn emits_silent_downgrade_for_kubectl132_against_k8s133() {
        let f = findings("k8s1.33", &["kubectl1.32", "kubectl1.33"]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].id, f[0].severity),
            (FindingKind::SilentDowngrade, Severity::High)
        );
        assert_eq!(f[0].profiles, ["kubectl1.32"]);
        assert!(
            f[0].detail
                .starts_with("kubectl1.32 offers X25519Kyber768Draft00; ")
                && f[0]
                    .detail
                    .contains("it settles on x25519 without any error"),
            "{}",
            f[0].detail
        );
        assert!(
            f[0].remediation.contains("upgrade kubectl to 1.33"),
            "{}",
            f[0].remediation
        );
    }

    #[test]
    fn emits_classical_client_and_classical_server() {
        let f = findings("k8s1.33", &["kubectl1.29"]);
        assert_eq!(f[0].id, FindingKind::ClassicalClient);
        let f = findings("go1.22", &["kubectl1.33"]);
        assert_eq!(f[0].id, FindingKind::ClassicalServer);
        assert!(f[0].remediation.contains("server"));
    }

    #[test]
    fn claims_nothing_about_the_server_when_groups_did_not_run() {
        let server = servers().iter().find(|s| s.id == "go1.24").unwrap();
        let mut obs = observed(server, &[find("kubectl1.32").unwrap()]);
        obs.checks.clear();
        obs.groups = GroupsObservation::default();
        assert!(client_findings(&obs).is_empty());
    }

    #[test]
    fn emits_draft_only_between_go123_peers() {
        let f = findings("k8s1.32", &["kubectl1.32"]);
        assert_eq!(f[0].id, FindingKind::DraftOnly);
    }

    #[test]
    fn emits_lockout_for_pq_only_server() {
        let pq_only = ServerModel {
            tuples: vec![vec![NamedGroup::X25519MLKEM768]],
            ..servers().iter().find(|s| s.id == "go1.24").unwrap().clone()
        };
        let profiles: Vec<&ClientProfile> = ["kubectl1.30", "kubectl1.32", "kubectl1.33"]
            .iter()
            .map(|c| find(c).unwrap())
            .collect();
        let f = client_findings(&observed(&pq_only, &profiles));
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].id, f[0].severity),
            (FindingKind::PqOnlyLockout, Severity::High)
        );
        assert_eq!(f[0].profiles, ["kubectl1.30", "kubectl1.32"]);
    }

    #[test]
    fn emits_nothing_when_every_client_gets_mlkem() {
        assert!(findings(
            "k8s1.36",
            &["kubectl1.33", "go1.26", "openssl3.5", "chrome", "firefox"]
        )
        .is_empty());
    }
}
