//! Assessment: the only place where observations become judgements.
//!
//! Owns: the per-endpoint post-quantum verdict — its status (a stable value
//! for machines) and its one line of text (for people). Must not: send
//! traffic or format tables; it reads `probe` observations and returns values
//! that `report` renders.

pub mod inspected;

use crate::catalog::profile::ClientProfile;
use crate::probe::groups::Selection;
use crate::probe::TargetObservation;
use crate::wire::{GroupKind, NamedGroup, ProtocolVersion};
use serde::Serialize;

/// The post-quantum key-exchange status of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PqStatus {
    /// A standard post-quantum group (ML-KEM hybrid or pure ML-KEM) is supported.
    Pq,
    /// The only post-quantum group is the obsolete X25519Kyber768Draft00.
    DraftOnly,
    /// Classical key exchange only.
    Classical,
    /// The endpoint could not be probed.
    Error,
}

/// One endpoint's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Stable status for machines.
    pub status: PqStatus,
    /// One line for people, e.g. `PQ key exchange: yes (X25519MLKEM768, preferred)`.
    pub text: String,
}

/// The verdict for an endpoint that could not be probed.
pub fn error_verdict() -> Verdict {
    Verdict {
        status: PqStatus::Error,
        text: "PQ key exchange: unknown (the endpoint could not be probed)".into(),
    }
}

fn kind(g: NamedGroup) -> Option<GroupKind> {
    g.info().map(|i| i.kind)
}

/// Judges one endpoint's observations.
pub fn verdict(obs: &TargetObservation) -> Verdict {
    let groups = &obs.groups;
    let standard: Vec<NamedGroup> = groups
        .supported
        .iter()
        .copied()
        .filter(|g| kind(*g).is_some_and(|k| k.is_standard_post_quantum()))
        .collect();
    let has_draft = groups
        .supported
        .contains(&NamedGroup::X25519KYBER768DRAFT00);
    let no_tls13 = !obs.tls_versions.contains(&ProtocolVersion::TLS1_3);

    if standard.is_empty() {
        if has_draft {
            return Verdict {
                status: PqStatus::DraftOnly,
                text: "PQ key exchange: only the obsolete X25519Kyber768Draft00 \
                       (current clients offer X25519MLKEM768 and fall back to classical)"
                    .into(),
            };
        }
        let why = if no_tls13 {
            let best = obs
                .tls_versions
                .first()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "no TLS".into());
            format!("{best} only: post-quantum key exchange needs TLS 1.3")
        } else if groups.supported.is_empty() {
            "no supported group found".to_string()
        } else {
            format!("classical groups only: {}", join(&groups.supported))
        };
        return Verdict {
            status: PqStatus::Classical,
            text: format!("PQ key exchange: no ({why})"),
        };
    }

    // Which group would a client offering every group get without a round trip?
    let favourite = match (&groups.server_order, groups.selection) {
        (Some(order), _) => order.first().copied(),
        (None, Selection::ClientOrder | Selection::KeyShareThenClientOrder) => None,
        _ => None,
    };
    let best = favourite
        .filter(|g| standard.contains(g))
        .unwrap_or(standard[0]);
    let mut text = match favourite {
        Some(fav) if standard.contains(&fav) => format!("PQ key exchange: yes ({fav}, preferred)"),
        Some(fav) => format!("PQ key exchange: yes ({best}, but the server prefers {fav})"),
        None => format!("PQ key exchange: yes ({best}, if the client prefers it)"),
    };
    if let Some(got) = obs.handshake.negotiated_group {
        if !got.is_post_quantum() {
            text.push_str(&format!("; a PQ-first client still got {got}"));
        }
    } else if obs.handshake.error.is_some() {
        text.push_str("; the PQ-first client handshake failed");
    }
    Verdict {
        status: PqStatus::Pq,
        text,
    }
}

fn join(groups: &[NamedGroup]) -> String {
    groups
        .iter()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Should be planned for.
    Low,
    /// Weakens post-quantum protection today.
    Medium,
    /// Post-quantum protection silently lost, or clients locked out.
    High,
}

/// One finding about a target, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable identifier (`silent-downgrade`, `classical-client`, ...).
    pub id: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// What was observed, naming the clients.
    pub detail: String,
    /// What to do.
    pub remediation: String,
    /// The client profiles it concerns.
    pub profiles: Vec<String>,
}

/// One affected client, before findings are grouped.
struct Hit {
    id: &'static str,
    profile: String,
    got: Option<NamedGroup>,
    offers: Vec<NamedGroup>,
    common: Vec<NamedGroup>,
    why: String,
    fix: String,
}

/// Unique values, in first-seen order.
fn unique<T: PartialEq + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn names(groups: &[NamedGroup]) -> String {
    if groups.is_empty() {
        "none".into()
    } else {
        join(groups)
    }
}

/// Findings from replaying client profiles against a target: silent
/// downgrades, PQ-capable servers with classical clients (and the reverse),
/// draft-only agreements and clients locked out by a PQ-only server. One
/// finding per kind, naming every affected client.
pub fn client_findings(obs: &TargetObservation, profiles: &[ClientProfile]) -> Vec<Finding> {
    let server = &obs.groups.supported;
    let server_pq: Vec<NamedGroup> = server
        .iter()
        .copied()
        .filter(|g| g.is_post_quantum())
        .collect();
    let server_classical = server.iter().any(|g| !g.is_post_quantum());
    let server_fix = "upgrade the server's TLS stack to one that supports X25519MLKEM768 \
                      (Go 1.24+ with default settings, OpenSSL 3.5+, rustls 0.23 with aws-lc-rs)";
    let mut hits: Vec<Hit> = Vec::new();
    for (result, profile) in obs.clients.iter().zip(profiles) {
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
        let client_fix = profile.upgrade_hint.clone();
        let id = if result.failed {
            if !server_pq.is_empty() && !server_classical && common.is_empty() {
                "pq-only-lockout"
            } else {
                "handshake-failure"
            }
        } else if got == Some(NamedGroup::X25519KYBER768DRAFT00) {
            "draft-only"
        } else if got.is_none_or(|g| g.is_post_quantum()) {
            continue;
        } else if !offers.is_empty() && !server_pq.is_empty() && common.is_empty() {
            "silent-downgrade"
        } else if !common.is_empty() {
            "pq-not-selected"
        } else if !server_pq.is_empty() {
            "classical-client"
        } else if !offers.is_empty() {
            "classical-server"
        } else {
            continue;
        };
        let fix = match id {
            "silent-downgrade" if profile.offers_standard_pq() => server_fix.to_string(),
            "classical-server" => server_fix.to_string(),
            "pq-not-selected" => "make the server prefer X25519MLKEM768 over classical groups \
                                  (Go 1.24+ does by default; in OpenSSL list it first, in its own tuple)"
                .to_string(),
            "draft-only" => "move both sides to X25519MLKEM768 (Go 1.24+, kubectl 1.33+, OpenSSL 3.5+)".to_string(),
            "pq-only-lockout" => format!(
                "{client_fix}; or, until every client offers X25519MLKEM768, let the server accept x25519 after it"
            ),
            "handshake-failure" => "check the server's TLS configuration against this client".to_string(),
            _ => client_fix,
        };
        hits.push(Hit {
            id,
            profile: profile.id.clone(),
            got,
            offers,
            common,
            why: result.detail.clone().unwrap_or_default(),
            fix,
        });
    }
    let ids = unique(hits.iter().map(|h| h.id));
    let mut findings: Vec<Finding> = ids
        .into_iter()
        .map(|id| {
            let group: Vec<&Hit> = hits.iter().filter(|h| h.id == id).collect();
            let who = group.iter().map(|h| h.profile.as_str()).collect::<Vec<_>>().join(", ");
            let got = names(&unique(group.iter().filter_map(|h| h.got)));
            let offers = names(&unique(group.iter().flat_map(|h| h.offers.iter().copied())));
            let common = names(&unique(group.iter().flat_map(|h| h.common.iter().copied())));
            let spq = names(&server_pq);
            let (severity, title, detail) = match id {
                "silent-downgrade" => (
                    Severity::High,
                    "Silent downgrade to classical key exchange",
                    format!("{who} offer {offers}; the server supports {spq}. No post-quantum group in common, so they settle on {got} without any error"),
                ),
                "classical-client" => (
                    Severity::Medium,
                    "Post-quantum-capable server, classical client",
                    format!("{who} offer no post-quantum group and get {got}; the server supports {spq}"),
                ),
                "classical-server" => (
                    Severity::Medium,
                    "Post-quantum client, classical server",
                    format!("{who} offer {offers}, but the server supports only classical groups: they get {got}"),
                ),
                "pq-not-selected" => (
                    Severity::Medium,
                    "Post-quantum group in common but not chosen",
                    format!("{who} and the server both support {common}, yet the server chooses {got}"),
                ),
                "draft-only" => (
                    Severity::Medium,
                    "Only the obsolete X25519Kyber768Draft00 in common",
                    format!("{who} negotiate X25519Kyber768Draft00, a pre-standard draft that current clients and servers are dropping"),
                ),
                "pq-only-lockout" => (
                    Severity::High,
                    "Post-quantum-only server locks clients out",
                    format!("{who} cannot connect: the server accepts only {spq}"),
                ),
                _ => (
                    Severity::Medium,
                    "Client handshake fails",
                    group.iter().map(|h| format!("{}: {}", h.profile, h.why)).collect::<Vec<_>>().join("; "),
                ),
            };
            let fixes = unique(group.iter().map(|h| h.fix.clone()));
            let remediation = fixes
                .iter()
                .map(|fix| {
                    let for_whom: Vec<&str> =
                        group.iter().filter(|h| &h.fix == fix).map(|h| h.profile.as_str()).collect();
                    if fixes.len() == 1 {
                        fix.clone()
                    } else {
                        format!("{}: {fix}", for_whom.join(", "))
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            Finding {
                id,
                severity,
                title: title.to_string(),
                detail,
                remediation,
                profiles: group.iter().map(|h| h.profile.clone()).collect(),
            }
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

    /// An observation of `server` (a catalog model) as probing would record it,
    /// with each client's result predicted by the model.
    fn observed(server: &ServerModel, clients: &[ClientProfile]) -> TargetObservation {
        TargetObservation {
            address: "127.0.0.1:443".parse().unwrap(),
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
                    }
                })
                .collect(),
            hello_tolerance: None,
            connections: 0,
            elapsed_ms: 0,
        }
    }

    fn findings(server_id: &str, clients: &[&str]) -> Vec<Finding> {
        let server = servers().into_iter().find(|s| s.id == server_id).unwrap();
        let profiles: Vec<ClientProfile> = clients.iter().map(|c| find(c).unwrap()).collect();
        client_findings(&observed(&server, &profiles), &profiles)
    }

    #[test]
    fn emits_silent_downgrade_for_kubectl132_against_k8s133() {
        let f = findings("k8s1.33", &["kubectl1.32", "kubectl1.33"]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].id, f[0].severity),
            ("silent-downgrade", Severity::High)
        );
        assert_eq!(f[0].profiles, ["kubectl1.32"]);
        assert!(
            f[0].detail.contains("settle on x25519 without any error"),
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
        assert_eq!(f[0].id, "classical-client");
        let f = findings("go1.22", &["kubectl1.33"]);
        assert_eq!(f[0].id, "classical-server");
        assert!(f[0].remediation.contains("server"));
    }

    #[test]
    fn emits_draft_only_between_go123_peers() {
        let f = findings("k8s1.32", &["kubectl1.32"]);
        assert_eq!(f[0].id, "draft-only");
    }

    #[test]
    fn emits_lockout_for_pq_only_server() {
        let pq_only = ServerModel {
            tuples: vec![vec![NamedGroup::X25519MLKEM768]],
            ..servers().into_iter().find(|s| s.id == "go1.24").unwrap()
        };
        let profiles: Vec<ClientProfile> = ["kubectl1.30", "kubectl1.32", "kubectl1.33"]
            .iter()
            .map(|c| find(c).unwrap())
            .collect();
        let f = client_findings(&observed(&pq_only, &profiles), &profiles);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].id, f[0].severity),
            ("pq-only-lockout", Severity::High)
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

/// What a client offers, judged: the verdict of `pqready inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OfferVerdict {
    /// Offers a standard ML-KEM group (X25519MLKEM768 and friends).
    Pq,
    /// Its only post-quantum group is the obsolete X25519Kyber768Draft00.
    DraftOnly,
    /// Classical groups only.
    Classical,
}

/// Judges a client's supported_groups.
pub fn offer_verdict(groups: &[NamedGroup]) -> OfferVerdict {
    if groups
        .iter()
        .any(|g| kind(*g).is_some_and(|k| k.is_standard_post_quantum()))
    {
        OfferVerdict::Pq
    } else if groups.contains(&NamedGroup::X25519KYBER768DRAFT00) {
        OfferVerdict::DraftOnly
    } else {
        OfferVerdict::Classical
    }
}

/// The big-ClientHello tolerance verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToleranceVerdict {
    /// Every post-quantum-sized variant worked like the control.
    Tolerant,
    /// A variant failed, or was answered by a different server, while the control worked.
    Intolerant,
    /// The control failed too, so nothing can be concluded.
    Inconclusive,
}

/// One variant, judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToleranceVariant {
    /// Variant name.
    pub name: &'static str,
    /// `ok`, `reset`, `timeout`, `closed`, `alert`, `error` or `different-certificate`.
    pub outcome: &'static str,
    /// What happened.
    pub detail: String,
}

/// The `hello_tolerance` report of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelloTolerance {
    /// The verdict.
    pub verdict: ToleranceVerdict,
    /// Every variant, in the order sent.
    pub variants: Vec<ToleranceVariant>,
}

/// Judges the tolerance variants; also returns a finding when they show a problem.
pub fn hello_tolerance(
    variants: &[crate::probe::tolerance::VariantObservation],
) -> (HelloTolerance, Option<Finding>) {
    use crate::probe::tolerance::Ending;
    let control = variants.iter().find(|v| v.name == "control");
    let reference_cert = control.and_then(|c| c.leaf_sha256.clone());
    let judged: Vec<ToleranceVariant> = variants
        .iter()
        .map(|v| {
            let moved = v.ending == Ending::Completed
                && v.leaf_sha256.is_some()
                && reference_cert.is_some()
                && v.leaf_sha256 != reference_cert;
            let outcome = match (v.ending, moved) {
                (_, true) => "different-certificate",
                (Ending::Completed, _) => "ok",
                (Ending::Reset, _) => "reset",
                (Ending::Timeout, _) => "timeout",
                (Ending::Closed, _) => "closed",
                (Ending::Alert, _) => "alert",
                (Ending::Error, _) => "error",
            };
            let detail = if moved {
                format!("{}; but a different certificate than the control: the hello was routed to another server", v.detail)
            } else {
                v.detail.clone()
            };
            ToleranceVariant { name: v.name, outcome, detail }
        })
        .collect();
    let control_ok = judged
        .iter()
        .any(|v| v.name == "control" && v.outcome == "ok");
    let failed: Vec<&ToleranceVariant> = judged
        .iter()
        .filter(|v| v.name != "control" && v.outcome != "ok")
        .collect();
    let verdict = if !control_ok {
        ToleranceVerdict::Inconclusive
    } else if failed.is_empty() {
        ToleranceVerdict::Tolerant
    } else {
        ToleranceVerdict::Intolerant
    };
    let finding = match verdict {
        ToleranceVerdict::Tolerant => None,
        ToleranceVerdict::Intolerant => Some(Finding {
            id: "hello-intolerance",
            severity: Severity::High,
            title: "Post-quantum-sized ClientHellos break this endpoint".into(),
            detail: format!(
                "{}. A post-quantum key share makes the ClientHello ~1.5 KB, more than one TCP segment on real networks: \
                 clients that offer X25519MLKEM768 (kubectl 1.33+, Go 1.24+, Chrome, Firefox) will fail or reach the wrong backend here",
                failed.iter().map(|v| format!("{}: {} ({})", v.name, v.outcome, v.detail)).collect::<Vec<_>>().join("; ")
            ),
            remediation: "find the component that reads the hello in one piece (TLS-passthrough proxies, SNI routers, \
                          firewalls with TLS inspection) and upgrade or reconfigure it to reassemble ClientHellos \
                          across segments and records; until then PQ clients need a path that bypasses it"
                .into(),
            profiles: Vec::new(),
        }),
        ToleranceVerdict::Inconclusive => Some(Finding {
            id: "hello-tolerance-inconclusive",
            severity: Severity::Low,
            title: "Big-ClientHello tolerance could not be tested".into(),
            detail: format!(
                "the small classical control hello failed too ({}), so failures of the larger variants say nothing about their size",
                control.map(|c| c.detail.as_str()).unwrap_or("not run")
            ),
            remediation: "make the endpoint accept a plain TLS handshake first, then probe again".into(),
            profiles: Vec::new(),
        }),
    };
    (
        HelloTolerance {
            verdict,
            variants: judged,
        },
        finding,
    )
}
