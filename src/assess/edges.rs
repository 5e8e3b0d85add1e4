//! Judgements about a cluster's edges: each client→server pair (a kubelet
//! and the API server, the API server and etcd...), what their connections
//! negotiate, whether that is a silent downgrade, what the traffic carries
//! and so how much a classical edge matters, and which upgrades fix the
//! most edges.
//!
//! The group an edge gets is never computed here: it is the client's own
//! ClientHello replayed against the server (`probe::clients::replay`, the
//! engine of `--clients`). This module reads that answer next to what the
//! server was seen to support.
//!
//! Must not: probe, read the Kubernetes API or format anything.

use super::policy::Subject;
use super::{Finding, Judge};
use crate::catalog::profile::{self, ClientProfile};
use crate::discover::cluster::{Category, ClusterClient, Component};
use crate::probe::clients::ClientResult;
use crate::probe::TargetObservation;
use crate::vocab::{Cargo, CheckId, ClientKind, FindingKind, Severity, Standing};
use crate::wire::NamedGroup;
use serde::Serialize;
use std::collections::BTreeMap;

/// The server end of an edge: a component of the cluster document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct EdgeServer {
    /// The component's category.
    pub category: Category,
    /// The component's name.
    pub name: String,
    /// The address probed; null when it has none.
    pub address: Option<String>,
    /// It supports a standard post-quantum group (ML-KEM); null when its
    /// groups were not probed.
    pub supports_pq: Option<bool>,
}

/// Whether an edge could authenticate post-quantum today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct EdgeMldsa {
    /// The client's profile offers ML-DSA signature schemes (so its build
    /// verifies ML-DSA certificates); null for a client of unknown build.
    pub client_accepts: Option<bool>,
    /// The server completed a handshake signed with ML-DSA; null when its
    /// authentication was not probed.
    pub server_offers: Option<bool>,
    /// Both: the edge could authenticate with ML-DSA today.
    pub possible: bool,
}

/// One client→server edge of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Edge {
    /// Who connects: its kind, name, version, Go version, the profile
    /// replayed for it (null for a client of unknown build) and where its
    /// version was read.
    pub client: ClusterClient,
    /// To what.
    pub server: EdgeServer,
    /// The group the client's replay negotiated; null when it did not
    /// complete (or was not replayed).
    pub negotiated_group: Option<NamedGroup>,
    /// True when the server asked for another key share first (one more round trip).
    pub hello_retry: bool,
    /// Where the edge stands: the negotiated group's standing, else why
    /// there is none (`unreachable`, `error`, `unknown` for a client of
    /// unknown build).
    pub standing: Standing,
    /// Both sides are post-quantum capable, they share no post-quantum
    /// group, and the edge is classical.
    pub silent_downgrade: bool,
    /// ML-DSA on this edge.
    pub mldsa: EdgeMldsa,
    /// What its traffic carries.
    pub carries: Vec<Cargo>,
    /// Why it has no group, when it has none.
    pub note: Option<String>,
    /// Its findings, most severe first.
    pub findings: Vec<Finding>,
}

impl Edge {
    /// `kubelet node-1 → kube-apiserver`, as details and tables name it
    /// (the kind is left out where the name already says it).
    pub fn label(&self) -> String {
        format!(
            "{} → {}",
            named(self.client.kind.name(), &self.client.name),
            named(self.server.category.name(), &self.server.name)
        )
    }
}

/// `kind name`, or the name alone when it already holds the kind
/// (`kube-apiserver`, `etcd-node-a`).
pub fn named(kind: &str, name: &str) -> String {
    if name.contains(kind) {
        name.to_string()
    } else {
        format!("{kind} {name}")
    }
}

/// What an edge's traffic carries, by who connects to what.
pub fn cargo(client: ClientKind, server: Category) -> Vec<Cargo> {
    match (client, server) {
        (ClientKind::KubeApiserver, Category::Etcd) => vec![Cargo::Secrets],
        (ClientKind::KubeApiserver, Category::Webhook) => {
            vec![Cargo::AdmissionObjects, Cargo::Secrets]
        }
        (ClientKind::KubeApiserver, Category::Apiservice) => vec![Cargo::Credentials],
        (ClientKind::KubeApiserver, _) => vec![Cargo::Streams],
        (ClientKind::Kubelet, _) => vec![Cargo::Secrets, Cargo::Credentials],
        (ClientKind::KubeControllerManager, _) => vec![Cargo::Secrets, Cargo::Credentials],
        (ClientKind::Kubectl, _) => vec![Cargo::Secrets, Cargo::Credentials],
        (ClientKind::Workload, _) => vec![Cargo::Credentials],
        (ClientKind::KubeScheduler | ClientKind::KubeProxy, _) => vec![Cargo::ClusterState],
    }
}

/// True when recorded traffic of this kind stays valuable for years:
/// Secrets and credentials (a classical edge carrying them is high).
pub(super) fn sensitive(carries: &[Cargo]) -> bool {
    carries
        .iter()
        .any(|c| matches!(c, Cargo::Secrets | Cargo::Credentials))
}

pub(super) fn cargo_text(carries: &[Cargo]) -> String {
    carries
        .iter()
        .map(|c| match c {
            Cargo::Secrets => "Secrets",
            Cargo::Credentials => "credentials",
            Cargo::AdmissionObjects => "admission objects",
            Cargo::Streams => "exec/log streams",
            Cargo::ClusterState => "cluster state",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The server end of an edge, as probed.
pub struct ServerSide<'a> {
    /// The component.
    pub component: &'a Component,
    /// Where it stands.
    pub standing: Standing,
    /// Its probe's observation, when it was probed.
    pub observed: Option<&'a TargetObservation>,
}

/// Judges one edge: `replay` is the client's profile replayed against the
/// server (none when it was not replayed: an unknown build, a server that
/// could not be probed).
pub fn edge(
    client: &ClusterClient,
    server: &ServerSide<'_>,
    replay: Option<&ClientResult>,
    judge: &Judge,
) -> Edge {
    let component = server.component;
    let carries = cargo(client.kind, component.category);
    let profile = client.profile.as_deref().and_then(profile::find);
    let server_offers = server
        .observed
        .and_then(|o| o.authentication.as_ref())
        .map(|a| a.mldsa);
    let client_accepts = profile.map(ClientProfile::accepts_mldsa);
    let mut edge = Edge {
        client: ClusterClient {
            profile: profile.map(|p| p.id.clone()),
            ..client.clone()
        },
        server: EdgeServer {
            category: component.category,
            name: component.name.clone(),
            address: component.address.clone(),
            supports_pq: server
                .observed
                .filter(|o| o.completed(CheckId::Groups))
                .map(|o| {
                    o.groups
                        .supported
                        .iter()
                        .any(|g| g.is_standard_post_quantum())
                }),
        },
        negotiated_group: None,
        hello_retry: false,
        standing: Standing::Unknown,
        silent_downgrade: false,
        mldsa: EdgeMldsa {
            client_accepts,
            server_offers,
            possible: client_accepts == Some(true) && server_offers == Some(true),
        },
        carries,
        note: None,
        findings: Vec::new(),
    };
    let label = edge.label();
    let Some(profile) = profile else {
        edge.note = Some(format!("no client profile: {}", unknown_reason(client)));
        edge.findings.push(Finding::new(
            FindingKind::UnknownClientBuild,
            format!(
                "{label}: {}; what it negotiates is not predicted",
                unknown_reason(client)
            ),
            FindingKind::UnknownClientBuild.remediation().into(),
            Vec::new(),
        ));
        finish(judge, &mut edge);
        return edge;
    };
    match (server.standing, replay) {
        (Standing::Unreachable | Standing::NoTls | Standing::Error, _) => {
            edge.standing = server.standing;
            edge.note = Some(format!(
                "the server could not be probed ({})",
                server.standing
            ));
        }
        (_, None) => {
            edge.note = Some("the server was not asked".into());
        }
        (_, Some(r)) if r.unanswered() => {
            edge.standing = Standing::Unreachable;
            edge.note = r.detail.clone();
        }
        (_, Some(r)) if r.failed || r.negotiated_group.is_none() => {
            edge.standing = Standing::Error;
            edge.note = Some(format!(
                "the client's handshake fails: {}",
                r.detail.as_deref().unwrap_or("no group")
            ));
        }
        (_, Some(r)) => {
            let group = r.negotiated_group.expect("checked above");
            edge.negotiated_group = Some(group);
            edge.hello_retry = r.hello_retry;
            edge.standing = if group.is_standard_post_quantum() {
                Standing::Pq
            } else if group.is_post_quantum() {
                Standing::DraftOnly
            } else {
                Standing::Classical
            };
            let server_pq: Vec<NamedGroup> = server
                .observed
                .filter(|o| o.completed(CheckId::Groups))
                .map(|o| {
                    o.groups
                        .supported
                        .iter()
                        .copied()
                        .filter(|g| g.is_post_quantum())
                        .collect()
                })
                .unwrap_or_default();
            let client_pq: Vec<NamedGroup> = profile
                .groups
                .iter()
                .copied()
                .filter(|g| g.is_post_quantum())
                .collect();
            let common = client_pq.iter().any(|g| server_pq.contains(g));
            edge.silent_downgrade = edge.standing == Standing::Classical
                && !client_pq.is_empty()
                && !server_pq.is_empty()
                && !common;
            let build = client_build(client, profile);
            if edge.silent_downgrade {
                edge.findings.push(Finding::new(
                    FindingKind::SilentDowngradeEdge,
                    format!(
                        "{label}: {build} offers {}, the server supports {}: no group in common, \
                         the edge gets {group}",
                        super::join(&client_pq),
                        super::join(&server_pq)
                    ),
                    FindingKind::SilentDowngradeEdge.remediation().into(),
                    vec![profile.id.clone()],
                ));
            } else if edge.standing == Standing::Classical {
                edge.findings.push(Finding::new(
                    FindingKind::ClassicalEdge,
                    format!(
                        "{label}: {build} gets {group}{}; it carries {}",
                        if server_pq.is_empty() {
                            " (the server supports no post-quantum group)".to_string()
                        } else if client_pq.is_empty() {
                            " (the client offers no post-quantum group)".to_string()
                        } else {
                            String::new()
                        },
                        cargo_text(&edge.carries)
                    ),
                    FindingKind::ClassicalEdge.remediation().into(),
                    vec![profile.id.clone()],
                ));
            }
        }
    }
    finish(judge, &mut edge);
    edge
}

/// `kubelet v1.32.4 (go1.23)`: what the client runs, for details.
fn client_build(client: &ClusterClient, profile: &ClientProfile) -> String {
    match &client.version {
        Some(v) => format!("{} {v} ({})", client.kind, profile.id),
        None => format!("{} ({})", client.kind, profile.id),
    }
}

fn unknown_reason(client: &ClusterClient) -> String {
    match (&client.image, &client.version) {
        (Some(image), _) => {
            format!("its image {image} is not a Kubernetes component pqready knows")
        }
        (None, Some(v)) => format!("version {v} is not in pqready's catalog"),
        (None, None) => "its version is not reported".into(),
    }
}

/// Severity by what the edge carries (or the policy's `sensitive`), then
/// the judge's overrides and exceptions, with the server as the subject.
fn finish(judge: &Judge, edge: &mut Edge) {
    let mut findings = std::mem::take(&mut edge.findings);
    let target = edge.server.address.as_deref().unwrap_or(&edge.server.name);
    let label = edge.label();
    let subject = Subject {
        target,
        name: Some(&label),
        category: Some(edge.server.category),
    };
    let marked = judge
        .policy
        .as_deref()
        .and_then(|p| p.marks_sensitive(&subject));
    for f in findings.iter_mut() {
        if sensitive(&edge.carries) || marked.is_some() {
            if let Some(raised) = f.id.sensitive_severity() {
                f.severity = raised;
            }
        }
    }
    judge.finish(&subject, &mut findings);
    edge.findings = findings;
}

/// One upgrade and the bad edges it fixes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Action {
    /// What to do, in a sentence naming how many edges it fixes.
    pub action: String,
    /// How many classical or silently downgraded edges it fixes.
    pub fixes_edges: usize,
    /// What those edges carry.
    pub carries: Vec<Cargo>,
    /// The components to upgrade (`kubelet node-1`, `etcd etcd-cp-1`).
    pub components: Vec<String>,
    /// The edges it fixes.
    pub edges: Vec<String>,
    /// The most severe finding among those edges.
    pub severity: Severity,
}

/// The side of a bad edge that must change: the server when it supports no
/// standard post-quantum group, else the client.
enum Side {
    Client,
    Server,
}

/// The upgrades that fix the classical and silently downgraded edges,
/// most edges fixed first, then the most severe, then by name. One action
/// per kind of component and version: the three kubelets of v1.32.4 are one
/// upgrade, fixing their edges to the API server and the API server's to them.
pub fn actions(edges: &[Edge]) -> Vec<Action> {
    #[derive(Default)]
    struct Group {
        components: Vec<String>,
        edges: Vec<String>,
        carries: Vec<Cargo>,
        severity: Option<Severity>,
        server_side: bool,
    }
    let mut groups: BTreeMap<(String, Option<String>), Group> = BTreeMap::new();
    for e in edges {
        let bad = e.silent_downgrade || e.standing == Standing::Classical;
        if !bad {
            continue;
        }
        let side = match e.server.supports_pq {
            Some(false) => Side::Server,
            _ => Side::Client,
        };
        let (kind, name, version) = match side {
            Side::Client => (
                e.client.kind.to_string(),
                e.client.name.clone(),
                e.client.version.clone(),
            ),
            Side::Server => (
                server_kind(e.server.category).to_string(),
                e.server.name.clone(),
                server_version(edges, &e.server),
            ),
        };
        let group = groups.entry((kind.clone(), version)).or_default();
        let unit = named(&kind, &name);
        if !group.components.contains(&unit) {
            group.components.push(unit);
        }
        group.edges.push(e.label());
        for c in &e.carries {
            if !group.carries.contains(c) {
                group.carries.push(*c);
            }
        }
        let worst = e.findings.iter().map(|f| f.severity).max();
        group.severity = group.severity.max(worst);
        group.server_side |= matches!(side, Side::Server);
    }
    let mut out: Vec<Action> = groups
        .into_iter()
        .map(|((kind, version), g)| {
            let mut g = g;
            // Sorted, so joined shards list them as one run does.
            g.components.sort();
            g.edges.sort();
            let n = g.components.len();
            let what = if n == 1 {
                g.components[0].clone()
            } else {
                format!("{n} {}", plural(&kind))
            };

            // A release whose build already offers X25519MLKEM768 and still
            // gets classical is not fixed by an upgrade: something in front
            // of it, or an override of its defaults, is.
            let already = version
                .as_deref()
                .and_then(crate::catalog::kubernetes::component_profile)
                .and_then(|id| profile::find(&id))
                .is_some_and(ClientProfile::offers_standard_pq);
            let to = match kind.as_str() {
                _ if already => {
                    "(its release already offers X25519MLKEM768): find what terminates TLS in \
                     front of it or overrides its defaults (GODEBUG=tlsmlkem=0, \
                     --tls-curve-preferences)"
                }
                "kube-apiserver"
                | "kubelet"
                | "kube-proxy"
                | "kube-scheduler"
                | "kube-controller-manager" => "to v1.33 or later (Go 1.24+, X25519MLKEM768)",
                "kubectl" => "to kubectl 1.33 or later",
                _ => "to a build with X25519MLKEM768 (Go 1.24+ defaults, OpenSSL 3.5+)",
            };
            let verb = if already { "fix" } else { "upgrade" };
            let from = version
                .as_deref()
                .map(|v| format!(" {} {v}", if already { "at" } else { "from" }))
                .unwrap_or_default();
            let fixes = g.edges.len();
            // One or two edges are named; more are in `edges`.
            let which = if fixes <= 2 {
                format!("{}, ", g.edges.join(", "))
            } else {
                String::new()
            };
            let mut carries = g.carries;
            carries.sort();
            Action {
                action: format!(
                    "{verb} {what}{from} {to}: fixes {fixes} edge{} ({which}carries {})",
                    if fixes == 1 { "" } else { "s" },
                    cargo_text(&carries)
                ),
                fixes_edges: fixes,
                carries,
                components: g.components,
                edges: g.edges,
                severity: g.severity.unwrap_or(Severity::Medium),
            }
        })
        .collect();
    // What the edges carry breaks ties: Secrets first, then credentials.
    let weight = |a: &Action| {
        (
            a.carries.contains(&Cargo::Secrets),
            a.carries.contains(&Cargo::Credentials),
        )
    };
    out.sort_by(|a, b| {
        b.fixes_edges
            .cmp(&a.fixes_edges)
            .then(b.severity.cmp(&a.severity))
            .then(weight(b).cmp(&weight(a)))
            .then(a.action.cmp(&b.action))
    });
    out
}

/// The kind of component a server category names, as actions count them.
fn server_kind(category: Category) -> &'static str {
    match category {
        Category::Apiserver => "kube-apiserver",
        Category::Kubelet => "kubelet",
        Category::Controller => "controller",
        other => other.name(),
    }
}

/// A server's version, when it is also a client whose version is known
/// (a kubelet's Node reports it; the API server's `/version`).
fn server_version(edges: &[Edge], server: &EdgeServer) -> Option<String> {
    let as_client = match server.category {
        Category::Kubelet => Some(ClientKind::Kubelet),
        Category::Apiserver => Some(ClientKind::KubeApiserver),
        _ => None,
    }?;
    edges
        .iter()
        .find(|e| {
            e.client.kind == as_client
                && (as_client == ClientKind::KubeApiserver || e.client.name == server.name)
        })
        .and_then(|e| e.client.version.clone())
}

fn plural(kind: &str) -> String {
    match kind {
        "etcd" => "etcd members".into(),
        "kube-proxy" => "kube-proxies".into(),
        other => format!("{other}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::ClientBasis;
    use crate::wire::ProtocolVersion;
    use NamedGroup as G;

    fn server(category: Category, name: &str) -> Component {
        Component {
            category,
            name: name.into(),
            namespace: None,
            source: "test".into(),
            address: Some(format!("{name}:443")),
            flags: BTreeMap::new(),
            note: None,
            target: None,
            fallbacks: Vec::new(),
        }
    }

    fn supporting(groups: &[NamedGroup]) -> TargetObservation {
        TargetObservation::with_completed_groups(groups, &[ProtocolVersion::TLS1_3])
    }

    fn client(kind: ClientKind, name: &str, version: Option<&str>) -> ClusterClient {
        ClusterClient::component(
            kind,
            name.into(),
            version.map(str::to_string),
            ClientBasis::NodeInfo,
            "test".into(),
            None,
        )
    }

    fn got(profile: &str, group: Option<NamedGroup>) -> ClientResult {
        ClientResult {
            profile: profile.into(),
            negotiated_group: group,
            hello_retry: false,
            failed: group.is_none(),
            pq: group.is_some_and(|g| g.is_post_quantum()),
            version: Some(ProtocolVersion::TLS1_3),
            detail: None,
            error_kind: None,
        }
    }

    fn judged(
        c: &ClusterClient,
        component: &Component,
        obs: &TargetObservation,
        group: Option<NamedGroup>,
        judge: &Judge,
    ) -> Edge {
        let side = ServerSide {
            component,
            standing: Standing::Pq,
            observed: Some(obs),
        };
        let replay = c.profile.as_deref().map(|p| got(p, group));
        edge(c, &side, replay.as_ref(), judge)
    }

    #[test]
    fn a_pair_of_pq_builds_without_a_common_group_is_a_silent_downgrade() {
        let api = server(Category::Apiserver, "kube-apiserver");
        let pq = supporting(&[G::X25519MLKEM768, G::X25519]);
        let old = client(ClientKind::Kubelet, "node-a", Some("v1.32.4"));
        let e = judged(&old, &api, &pq, Some(G::X25519), &Judge::default());
        assert!(e.silent_downgrade);
        assert_eq!(e.standing, Standing::Classical);
        assert_eq!(e.findings.len(), 1);
        assert_eq!(e.findings[0].id, FindingKind::SilentDowngradeEdge);
        assert_eq!(e.findings[0].severity, Severity::High);
        assert_eq!(e.server.supports_pq, Some(true));
        assert_eq!(e.mldsa.client_accepts, Some(false));
        assert_eq!(e.mldsa.server_offers, None, "authentication not probed");
        let new = client(ClientKind::Kubelet, "node-b", Some("v1.33.0"));
        let e = judged(&new, &api, &pq, Some(G::X25519MLKEM768), &Judge::default());
        assert_eq!((e.standing, e.findings.len()), (Standing::Pq, 0));
    }

    #[test]
    fn a_classical_edge_is_high_where_it_carries_secrets() {
        let classical = supporting(&[G::X25519, G::SECP256R1]);
        let api = client(ClientKind::KubeApiserver, "kube-apiserver", Some("v1.33.1"));
        let etcd = server(Category::Etcd, "etcd-a");
        let e = judged(&api, &etcd, &classical, Some(G::X25519), &Judge::default());
        assert!(!e.silent_downgrade, "etcd offers no PQ group at all");
        assert_eq!(e.findings[0].id, FindingKind::ClassicalEdge);
        assert_eq!(e.findings[0].severity, Severity::High);
        assert_eq!(e.carries, [Cargo::Secrets]);
        // The API server's streams to a classical kubelet: medium.
        let kubelet = server(Category::Kubelet, "node-a");
        let e = judged(
            &api,
            &kubelet,
            &classical,
            Some(G::X25519),
            &Judge::default(),
        );
        assert_eq!(e.findings[0].severity, Severity::Medium);
        // kube-proxy reads cluster state: medium.
        let api_server = server(Category::Apiserver, "kube-apiserver");
        let proxy = client(ClientKind::KubeProxy, "node-a", Some("v1.31.0"));
        let pq = supporting(&[G::X25519MLKEM768, G::X25519]);
        let e = judged(&proxy, &api_server, &pq, Some(G::X25519), &Judge::default());
        assert_eq!(
            e.findings[0].id,
            FindingKind::ClassicalEdge,
            "1.31: tlskyber=0"
        );
        assert_eq!(e.findings[0].severity, Severity::Medium);
    }

    #[test]
    fn the_policy_overrides_edge_severities_by_the_server() {
        let policy = crate::assess::policy::Policy::from_yaml(
            "severity_overrides:\n  - finding: classical-edge\n    category: etcd\n    severity: low\n",
        )
        .unwrap();
        let judge = Judge::new(Default::default(), Some(std::sync::Arc::new(policy)));
        let classical = supporting(&[G::X25519]);
        let api = client(ClientKind::KubeApiserver, "kube-apiserver", Some("v1.33.1"));
        let e = judged(
            &api,
            &server(Category::Etcd, "etcd-a"),
            &classical,
            Some(G::X25519),
            &judge,
        );
        assert_eq!(e.findings[0].severity, Severity::Low);
    }

    #[test]
    fn a_client_of_unknown_build_is_listed_never_guessed() {
        let api = server(Category::Apiserver, "kube-apiserver");
        let pq = supporting(&[G::X25519MLKEM768, G::X25519]);
        let mut cart = client(ClientKind::Workload, "shop/cart", None);
        cart.image = Some("example/cart:1".into());
        assert_eq!(
            (cart.profile.as_deref(), cart.basis),
            (None, ClientBasis::Unknown)
        );
        let e = judged(&cart, &api, &pq, None, &Judge::default());
        assert_eq!(e.standing, Standing::Unknown);
        assert_eq!(e.negotiated_group, None);
        assert_eq!(e.findings[0].id, FindingKind::UnknownClientBuild);
        assert_eq!(e.findings[0].severity, Severity::Info);
        assert!(e.findings[0].detail.contains("example/cart:1"));
    }

    #[test]
    fn actions_group_by_component_and_version_most_edges_first() {
        let api = server(Category::Apiserver, "kube-apiserver");
        let pq = supporting(&[G::X25519MLKEM768, G::X25519]);
        let draft = supporting(&[G::X25519KYBER768DRAFT00, G::X25519]);
        let classical = supporting(&[G::X25519]);
        let apiserver = client(ClientKind::KubeApiserver, "kube-apiserver", Some("v1.33.1"));
        let judge = Judge::default();
        let mut edges = Vec::new();
        for node in ["a", "b"] {
            let kubelet = client(ClientKind::Kubelet, node, Some("v1.32.4"));
            edges.push(judged(&kubelet, &api, &pq, Some(G::X25519), &judge));
            let as_server = server(Category::Kubelet, node);
            edges.push(judged(
                &apiserver,
                &as_server,
                &draft,
                Some(G::X25519),
                &judge,
            ));
        }
        let etcd = server(Category::Etcd, "etcd-a");
        edges.push(judged(
            &apiserver,
            &etcd,
            &classical,
            Some(G::X25519),
            &judge,
        ));
        let fine = client(ClientKind::Kubelet, "c", Some("v1.33.1"));
        edges.push(judged(&fine, &api, &pq, Some(G::X25519MLKEM768), &judge));
        let actions = actions(&edges);
        assert_eq!(actions.len(), 2, "{actions:#?}");
        assert_eq!(actions[0].fixes_edges, 4);
        assert!(
            actions[0]
                .action
                .starts_with("upgrade 2 kubelets from v1.32.4 to v1.33"),
            "{}",
            actions[0].action
        );
        assert_eq!(actions[0].components, ["kubelet a", "kubelet b"]);
        assert_eq!(actions[1].fixes_edges, 1);
        assert_eq!(actions[1].carries, [Cargo::Secrets]);
        assert!(
            actions[1].action.contains("etcd-a"),
            "{}",
            actions[1].action
        );
    }

    #[test]
    fn a_release_that_should_be_pq_is_fixed_not_upgraded() {
        // A v1.33 kubelet whose server answers classically: its release
        // offers X25519MLKEM768, so something in front of it does not.
        let classical = supporting(&[G::X25519]);
        let apiserver = client(ClientKind::KubeApiserver, "kube-apiserver", Some("v1.33.1"));
        let judge = Judge::default();
        let mut edges = Vec::new();
        let new_kubelet = client(ClientKind::Kubelet, "node-a", Some("v1.33.1"));
        let api = server(Category::Apiserver, "kube-apiserver");
        let pq = supporting(&[G::X25519MLKEM768, G::X25519]);
        edges.push(judged(
            &new_kubelet,
            &api,
            &pq,
            Some(G::X25519MLKEM768),
            &judge,
        ));
        let kubelet = server(Category::Kubelet, "node-a");
        edges.push(judged(
            &apiserver,
            &kubelet,
            &classical,
            Some(G::X25519),
            &judge,
        ));
        let actions = actions(&edges);
        assert_eq!(actions.len(), 1);
        assert!(
            actions[0]
                .action
                .starts_with("fix kubelet node-a at v1.33.1 (its release already offers"),
            "{}",
            actions[0].action
        );
    }
}
