//! Judging connections seen in a capture (`pqready observe`).
//!
//! Owns: each observed connection's standing (by the group it negotiated)
//! and findings, and the same aggregated per edge — client address → server
//! address:port — with counts by negotiated group. The findings and their
//! severities (`severity.rs`):
//! - `observed-silent-downgrade` (high): the connection negotiated a
//!   classical group although its client offered a post-quantum group and
//!   the same server was seen, in this capture, negotiating a post-quantum
//!   group or asking for one by HelloRetryRequest: the two ends share none,
//!   and neither says so. High, as `silent-downgrade` is for a probe.
//! - `observed-classical` (medium): any other classical connection (as
//!   `classical-edge`; what the server carries is not known from packets).
//! - `observed-draft` (medium): the client's only post-quantum group is
//!   X25519Kyber768Draft00 (Go 1.23): as `draft-only`.
//! - `observed-hrr` (low): a HelloRetryRequest for a post-quantum group
//!   cost a round trip; a cost, not a weakness (as `pq-not-preferred`).
//!
//! Must not: read packets (that is `observe`) or format (`report::observe`).

use super::Finding;
use crate::observe::ObservedConnection;
use crate::vocab::{FindingKind, Standing};
use crate::wire::{NamedGroup, ProtocolVersion};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The judgement of one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConnectionJudgement {
    /// `pq` (a standard post-quantum group), `draft-only` (the Kyber
    /// draft), `classical`, or `unknown` (the server's answer was not seen).
    pub standing: Standing,
    /// The findings this connection raised (their details are at its edge).
    pub findings: Vec<FindingKind>,
}

/// All connections between one client address and one server address:port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ObservedEdge {
    /// The client's address (without its ephemeral port).
    pub client: String,
    /// The server's address and port.
    pub server: String,
    /// Connections seen.
    pub connections: u64,
    /// Connections by negotiated group (`unknown` when not seen).
    pub groups: BTreeMap<String, u64>,
    /// Connections by standing.
    pub standings: BTreeMap<Standing, u64>,
    /// Connections that needed a HelloRetryRequest.
    pub hello_retries: u64,
    /// Client profiles their hellos matched (`pqready profiles`).
    pub profiles: Vec<String>,
    /// The client process on a live capture (`comm` and Go version, e.g.
    /// `goclient-1.23 go1.23.4`): connections of different client
    /// processes from one address are different edges. Absent when not
    /// known (a capture file, a client on another host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_process: Option<String>,
    /// The client process's Pod (`namespace/pod`), when the Kubernetes API
    /// named it; connections of different Pods are different edges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_pod: Option<String>,
    /// What the Kubernetes API names the server address by (`pod
    /// namespace/name` or `service namespace/name`), when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_workload: Option<String>,
    /// One finding per kind, counting the connections that raised it.
    pub findings: Vec<Finding>,
}

/// The judgement of a whole capture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ObserveAssessment {
    /// One per connection, in the order given.
    #[serde(skip)]
    pub connections: Vec<ConnectionJudgement>,
    /// Edges, worst first.
    pub edges: Vec<ObservedEdge>,
    /// Connections by negotiated group, over all edges.
    pub groups: BTreeMap<String, u64>,
    /// Connections by standing, over all edges.
    pub standings: BTreeMap<Standing, u64>,
}

impl ObserveAssessment {
    /// Every finding of every edge.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.edges.iter().flat_map(|e| e.findings.iter())
    }
}

fn group_label(g: Option<NamedGroup>) -> String {
    g.map_or_else(|| "unknown".to_string(), |g| g.to_string())
}

/// The address part of `addr:port` (`[v6]:port` too).
fn host(addr: &str) -> String {
    match addr.parse::<std::net::SocketAddr>() {
        Ok(a) => a.ip().to_string(),
        Err(_) => addr.to_string(),
    }
}

/// A connection's standing from what its server answered.
pub fn standing(c: &ObservedConnection) -> Standing {
    let Some(server) = &c.server_hello else {
        return Standing::Unknown;
    };
    match (server.version, server.negotiated_group) {
        (_, Some(g)) if g.is_standard_post_quantum() => Standing::Pq,
        (_, Some(g)) if g.is_post_quantum() => Standing::DraftOnly,
        (_, Some(_)) => Standing::Classical,
        // TLS 1.2 without a named group: RSA or finite-field DH, classical.
        (Some(v), None) if v < ProtocolVersion::TLS1_3 => Standing::Classical,
        _ => Standing::Unknown,
    }
}

fn offered_pq(c: &ObservedConnection) -> BTreeSet<NamedGroup> {
    c.client_hello
        .iter()
        .flat_map(|h| h.groups.iter().chain(h.key_shares.iter().map(|k| &k.group)))
        .copied()
        .filter(|g| g.is_post_quantum())
        .collect()
}

/// An edge: client host, client process, server address, client Pod.
type EdgeKey = (String, Option<String>, String, Option<String>);

/// Judges every connection of a capture, and their edges.
pub fn observed(connections: &[ObservedConnection]) -> ObserveAssessment {
    // What each server was seen to support, across the whole capture.
    let mut server_pq: HashMap<&str, BTreeSet<NamedGroup>> = HashMap::new();
    for c in connections {
        if let Some(s) = &c.server_hello {
            for g in [s.negotiated_group, s.hello_retry_group]
                .into_iter()
                .flatten()
            {
                if g.is_post_quantum() {
                    server_pq.entry(c.server.as_str()).or_default().insert(g);
                }
            }
        }
    }
    let mut out = ObserveAssessment::default();
    // Per edge: connections and, per finding kind, how many and a sample detail.
    type Raised = BTreeMap<FindingKind, (u64, String)>;
    let mut edges: BTreeMap<EdgeKey, (ObservedEdge, Raised)> = BTreeMap::new();
    for c in connections {
        let standing = standing(c);
        let offered = offered_pq(c);
        let seen = server_pq.get(c.server.as_str());
        let negotiated = group_label(c.server_hello.as_ref().and_then(|s| s.negotiated_group));
        let mut findings: Vec<(FindingKind, String)> = Vec::new();
        if standing == Standing::Classical {
            match seen {
                Some(server) if !offered.is_empty() => findings.push((
                    FindingKind::ObservedSilentDowngrade,
                    format!(
                        "the client offered {}, the server was seen with {}, this connection got {negotiated}",
                        super::join(&offered.iter().copied().collect::<Vec<_>>()),
                        super::join(&server.iter().copied().collect::<Vec<_>>()),
                    ),
                )),
                _ => findings.push((
                    FindingKind::ObservedClassical,
                    format!(
                        "negotiated {negotiated}{}",
                        if offered.is_empty() {
                            " (the client offered no post-quantum group)"
                        } else {
                            " (the server was not seen with a post-quantum group)"
                        }
                    ),
                )),
            }
        }
        if !offered.is_empty() && offered.iter().all(|g| !g.is_standard_post_quantum()) {
            findings.push((
                FindingKind::ObservedDraft,
                format!(
                    "the client's only post-quantum group is {}",
                    super::join(&offered.iter().copied().collect::<Vec<_>>())
                ),
            ));
        }
        if let Some(s) = &c.server_hello {
            if let Some(g) = s.hello_retry_group.filter(|g| g.is_post_quantum()) {
                findings.push((
                    FindingKind::ObservedHrr,
                    format!("the server asked for {g} by HelloRetryRequest"),
                ));
            }
        }
        let process = c.client_process.as_ref().map(|p| match &p.go_version {
            Some(v) => format!("{} {v}", p.comm),
            None => p.comm.clone(),
        });
        let pod = c
            .client_process
            .as_ref()
            .and_then(|p| Some(format!("{}/{}", p.namespace.as_deref()?, p.pod.as_deref()?)));
        let key = (host(&c.client), process, c.server.clone(), pod);
        let (edge, raised) = edges.entry(key.clone()).or_insert_with(|| {
            (
                ObservedEdge {
                    client: key.0.clone(),
                    server: key.2.clone(),
                    connections: 0,
                    groups: BTreeMap::new(),
                    standings: BTreeMap::new(),
                    hello_retries: 0,
                    profiles: Vec::new(),
                    client_process: key.1.clone(),
                    client_pod: key.3.clone(),
                    server_workload: c
                        .server_workload
                        .as_ref()
                        .map(|w| format!("{} {}/{}", w.kind, w.namespace, w.name)),
                    findings: Vec::new(),
                },
                BTreeMap::new(),
            )
        });
        edge.connections += 1;
        *edge.groups.entry(negotiated.clone()).or_default() += 1;
        *edge.standings.entry(standing).or_default() += 1;
        *out.groups.entry(negotiated).or_default() += 1;
        *out.standings.entry(standing).or_default() += 1;
        if c.server_hello.as_ref().is_some_and(|s| s.hello_retry) {
            edge.hello_retries += 1;
        }
        if let Some(p) = c
            .client_hello
            .as_ref()
            .and_then(|h| h.profile_match.clone())
        {
            if !edge.profiles.contains(&p) {
                edge.profiles.push(p);
            }
        }
        for (kind, detail) in &findings {
            raised.entry(*kind).or_insert((0, detail.clone())).0 += 1;
        }
        out.connections.push(ConnectionJudgement {
            standing,
            findings: findings.into_iter().map(|(k, _)| k).collect(),
        });
    }
    for (_, (mut edge, raised)) in edges {
        for (kind, (count, detail)) in raised {
            edge.findings.push(Finding::new(
                kind,
                format!(
                    "{}{}{} → {}: {count} of {} connection{}: {detail}",
                    edge.client,
                    edge.client_pod
                        .as_ref()
                        .map(|p| format!(" {p}"))
                        .unwrap_or_default(),
                    edge.client_process
                        .as_ref()
                        .map(|p| format!(" ({p})"))
                        .unwrap_or_default(),
                    edge.server,
                    edge.connections,
                    if edge.connections == 1 { "" } else { "s" }
                ),
                kind.remediation().into(),
                edge.profiles.clone(),
            ));
        }
        edge.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        out.edges.push(edge);
    }
    out.edges.sort_by_key(|e| {
        (
            std::cmp::Reverse(e.findings.first().map(|f| f.severity)),
            std::cmp::Reverse(e.standings.get(&Standing::Classical).copied().unwrap_or(0)),
            std::cmp::Reverse(e.connections),
        )
    });
    out
}
