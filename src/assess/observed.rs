//! Judging connections seen in a capture (`pqready observe`).
//!
//! Owns: each observed connection's standing (by the group it negotiated)
//! and findings, and the same aggregated per edge — client address → server
//! address:port and transport (TCP or QUIC: one address:port over each is
//! two servers) — with counts by negotiated group. A QUIC connection is
//! judged exactly as a TCP one. The findings and their
//! severities (`severity.rs`):
//! - `observed-silent-downgrade` (high): the connection negotiated a
//!   classical group although its client offered a post-quantum group and
//!   the same server was seen, in this capture, negotiating a post-quantum
//!   group or asking for one by HelloRetryRequest: the two ends share none,
//!   and neither says so. High, as `silent-downgrade` is for a probe.
//! - `observed-classical` (medium): any other classical connection (as
//!   `classical-edge`); high when the edge carries Secrets or credentials,
//!   which packets do not tell but a matched cluster audit edge does (its
//!   `carries`), as does a server that is the API server's Service
//!   (`default/kubernetes`: every client sends its credentials), or a
//!   policy's `sensitive` target.
//! - `observed-draft` (medium): the client's only post-quantum group is
//!   X25519Kyber768Draft00 (Go 1.23): as `draft-only`.
//! - `observed-hrr` (low): a HelloRetryRequest for a post-quantum group
//!   cost a round trip; a cost, not a weakness (as `pq-not-preferred`).
//! - `observed-contradicts-prediction` (medium, `observe --cluster-report`):
//!   the connection negotiated another group than the cluster audit's edge
//!   it matches predicted (the audit replayed another build or settings than
//!   run): the audit's verdict on that edge does not hold.
//!
//! Matching a connection to a cluster audit's edge ([`ClusterPrediction`]):
//! the server by address:port (a host name by the connection's SNI and
//! port), the client by the strongest fact both sides know: its Pod, its
//! process name (the component), its executable's Go release, else the
//! profile its ClientHello matched ([`PredictionBasis`]). Only edges whose
//! replay negotiated a group predict one; several matching edges that
//! predict different groups leave the connection without a prediction.
//!
//! Must not: read packets (that is `observe`) or format (`report::observe`).

use super::edges::Edge;
use super::policy::Subject;
use super::{Finding, Judge};
use crate::observe::ObservedConnection;
use crate::vocab::{FindingKind, PredictionBasis, Standing, Transport};
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
    /// What the cluster audit's edge predicted for it (`--cluster-report`);
    /// absent without one, or when no edge matched or its group was not seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<ConnectionPrediction>,
}

/// A cluster audit's prediction for one observed connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConnectionPrediction {
    /// The cluster edge, as `pqready cluster` names it
    /// (`kube-apiserver → kubelet node-1`).
    pub cluster_edge: String,
    /// How the connection's client was matched to the edge's client.
    pub matched_by: PredictionBasis,
    /// The group the audit's replay of the client's profile negotiated.
    pub predicted_group: NamedGroup,
    /// The connection negotiated the predicted group.
    pub agrees: bool,
}

/// A cluster audit's edge and the observed connections of one observed
/// edge that matched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EdgePrediction {
    /// The cluster edge, as `pqready cluster` names it.
    pub cluster_edge: String,
    /// The profile the audit replayed for its client (`go1.23`).
    pub client_profile: Option<String>,
    /// The server address the audit probed.
    pub server_address: String,
    /// How the observed client was matched (the first matched connection's
    /// basis; all connections of one observed edge share their facts).
    pub matched_by: PredictionBasis,
    /// The group the audit predicted.
    pub predicted_group: NamedGroup,
    /// Observed connections that matched it.
    pub connections: u64,
    /// Those connections by negotiated group.
    pub observed_groups: BTreeMap<String, u64>,
    /// Every one of them negotiated the predicted group.
    pub agrees: bool,
}

/// How the observation compares with a cluster audit (`--cluster-report`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PredictionSummary {
    /// The audit's edges that predict a group (their replay completed).
    pub cluster_edges: u64,
    /// Those no observed connection matched (the capture saw only one node's
    /// traffic, or a window without them), by name.
    pub cluster_edges_not_observed: Vec<String>,
    /// Observed connections matched to an audit edge.
    pub connections_matched: u64,
    /// Of those, connections that negotiated the predicted group.
    pub connections_agreeing: u64,
    /// Of those, connections that negotiated another group.
    pub connections_contradicting: u64,
    /// Observed connections with a negotiated group that no audit edge
    /// matched (a server or client the audit does not list).
    pub connections_unmatched: u64,
    /// Observed connections that audit edges with different predictions
    /// matched alike (left without a prediction).
    pub connections_ambiguous: u64,
    /// Observed edges none of whose connections matched an audit edge.
    pub observed_edges_unmatched: u64,
}

/// The edges of a cluster audit an observation is compared with.
#[derive(Debug, Clone, Copy)]
pub struct ClusterPrediction<'a> {
    /// The audit's edges (`pqready cluster -o json`'s `edges`).
    pub edges: &'a [Edge],
}

/// All connections between one client address and one server address:port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ObservedEdge {
    /// The client's address (without its ephemeral port).
    pub client: String,
    /// The server's address and port.
    pub server: String,
    /// `tcp` or `quic` (QUIC over UDP: `server`'s port is a UDP port).
    #[serde(default)]
    pub transport: Transport,
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
    /// The container of the client's Pod, when the Kubernetes API matched
    /// its container ID; connections of different containers are different
    /// edges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_container: Option<String>,
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
    /// What its traffic carries, when known: from the cluster audit edges
    /// its connections matched, or `credentials` for the API server's
    /// Service (`default/kubernetes`). Secrets or credentials make its
    /// `observed-classical` high.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carries: Vec<crate::vocab::Cargo>,
    /// One finding per kind, counting the connections that raised it.
    pub findings: Vec<Finding>,
    /// The cluster audit's edges its connections matched
    /// (`--cluster-report`): empty when none did; absent without an audit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictions: Option<Vec<EdgePrediction>>,
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
    /// How the connections compare with a cluster audit's predictions
    /// (`--cluster-report`); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<PredictionSummary>,
}

impl ObservedEdge {
    /// The server as shown to a reader: its address, marked `(QUIC)` for
    /// a QUIC edge so that one address:port over TCP and over UDP read apart.
    pub fn server_label(&self) -> String {
        match self.transport {
            Transport::Tcp => self.server.clone(),
            Transport::Quic => format!("{} (QUIC)", self.server),
        }
    }
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

/// The API server's Service, as `server_workload` names it.
const API_SERVER_SERVICE: &str = "service default/kubernetes";

/// An edge: client host, client process, server address, client Pod, its
/// container, transport.
type EdgeKey = (
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Transport,
);

/// Judges every connection of a capture, and their edges.
pub fn observed(connections: &[ObservedConnection]) -> ObserveAssessment {
    judge(connections.iter().map(|c| (c, 1)), None, &Judge::default())
}

/// As [`observed`] (against `cluster` when given), with `judge`'s policy
/// applied to each edge's findings as to a cluster edge's: its severity
/// overrides and exceptions, the edge as the subject (`policy_subject`).
pub fn observed_with(
    connections: &[ObservedConnection],
    cluster: Option<ClusterPrediction<'_>>,
    judge_with: &Judge,
) -> ObserveAssessment {
    judge(connections.iter().map(|c| (c, 1)), cluster, judge_with)
}

/// The edge's name for a policy's patterns, baselines and places: the
/// client (its Pod and container, or its address and process) and the
/// server (its address and, when the API named it, its Pod or Service),
/// e.g. `shop/cart-5f6d (cart) → 10.96.0.10:443 (service shop/cart-db)`.
pub fn edge_label(e: &ObservedEdge) -> String {
    let client = match (&e.client_pod, &e.client_container, &e.client_process) {
        (Some(pod), Some(container), _) => format!("{pod} ({container})"),
        (Some(pod), None, _) => pod.clone(),
        (None, _, Some(process)) => format!("{} ({process})", e.client),
        (None, _, None) => e.client.clone(),
    };
    match &e.server_workload {
        Some(w) => format!("{client} → {} ({w})", e.server),
        None => format!("{client} → {}", e.server),
    }
}

/// What a policy's `target` patterns match for an observed edge: the
/// server's address:port, or the edge's [`edge_label`].
fn policy_subject<'a>(e: &'a ObservedEdge, label: &'a str) -> Subject<'a> {
    Subject {
        target: &e.server,
        name: Some(label),
        category: None,
    }
}

/// The cluster audit edge a connection matches.
enum Matched<'e> {
    /// One edge (or several that predict the same group: the first).
    One(usize, &'e Edge, PredictionBasis),
    /// Several edges that predict different groups.
    Ambiguous,
    /// None: no edge names its server and client.
    Unmatched,
}

/// `go1.23` of `go1.23.4`, `go1.23rc1`, `go1.23+tlskyber=0`.
fn go_release(v: &str) -> Option<String> {
    let rest = v.strip_prefix("go")?;
    let mut parts = rest.split(|c: char| !c.is_ascii_digit());
    let major = parts.next().filter(|p| !p.is_empty())?;
    let minor = parts.next().filter(|p| !p.is_empty())?;
    rest[major.len()..]
        .starts_with('.')
        .then(|| format!("go{major}.{minor}"))
}

/// The server an audit edge names is the connection's: the same address
/// and port, or (an address that is a host name) the same port and SNI.
fn same_server(address: &str, c: &ObservedConnection) -> bool {
    let canonical = |a: std::net::SocketAddr| (a.ip().to_canonical(), a.port());
    let Ok(seen) = c.server.parse::<std::net::SocketAddr>() else {
        return false;
    };
    if let Ok(a) = address.parse::<std::net::SocketAddr>() {
        return canonical(a) == canonical(seen);
    }
    let Some((host, port)) = address.rsplit_once(':') else {
        return false;
    };
    port.parse::<u16>().ok() == Some(seen.port())
        && c.client_hello
            .as_ref()
            .and_then(|h| h.sni.as_deref())
            .is_some_and(|sni| sni.eq_ignore_ascii_case(host.trim_end_matches('.')))
}

/// The audit client is the Pod `namespace/pod` (container `container`): a
/// workload's Pods are named after it (`name-…`), a static Pod's client is
/// named as the Pod; a client of several containers names its container.
fn same_pod(client: &str, namespace: &str, pod: &str, container: Option<&str>) -> bool {
    let (name, wanted) = match client.rsplit_once(" (") {
        Some((name, c)) => (name, c.strip_suffix(')')),
        None => (client, None),
    };
    if wanted.is_some() && wanted != container {
        return false;
    }
    let prefixed = |n: &str| pod == n || pod.strip_prefix(n).is_some_and(|r| r.starts_with('-'));
    match name.split_once('/') {
        Some((ns, n)) => ns == namespace && prefixed(n),
        None => pod == name,
    }
}

/// Which audit edge predicts `c`'s group, by the strongest fact about its
/// client that the connection carries.
fn matched<'e>(c: &ObservedConnection, edges: &'e [Edge]) -> Matched<'e> {
    let servers = edges.iter().enumerate().filter(|(_, e)| {
        e.negotiated_group.is_some()
            && e.server
                .address
                .as_deref()
                .is_some_and(|a| same_server(a, c))
    });
    let process = c.client_process.as_ref();
    let hello_profile = c
        .client_hello
        .as_ref()
        .and_then(|h| h.profile_match.as_deref());
    let pod = process.and_then(|p| Some((p.namespace.as_deref()?, p.pod.as_deref()?)));
    // The component a process name is: `comm` holds at most 15 bytes.
    let component = process.and_then(|p| {
        crate::vocab::ClientKind::ALL.iter().copied().find(|k| {
            *k != crate::vocab::ClientKind::Workload
                && k.name().get(..15).unwrap_or(k.name()) == p.comm
        })
    });
    let go = process
        .and_then(|p| p.go_version.as_deref())
        .and_then(go_release);
    let (basis, found): (PredictionBasis, Vec<(usize, &Edge)>) = if let Some((ns, name)) = pod {
        let container = process.and_then(|p| p.container.as_deref());
        (
            PredictionBasis::Pod,
            servers
                .filter(|(_, e)| same_pod(&e.client.name, ns, name, container))
                .collect(),
        )
    } else if let Some(kind) = component {
        (
            PredictionBasis::Process,
            servers.filter(|(_, e)| e.client.kind == kind).collect(),
        )
    } else if let Some(go) = go {
        (
            PredictionBasis::GoVersion,
            servers
                .filter(|(_, e)| {
                    let audit = e
                        .client
                        .go_version
                        .as_deref()
                        .or(e.client.profile.as_deref());
                    audit.and_then(go_release).as_deref() == Some(go.as_str())
                })
                .collect(),
        )
    } else if let Some(profile) = hello_profile {
        (
            PredictionBasis::Profile,
            servers
                .filter(|(_, e)| e.client.profile.as_deref() == Some(profile))
                .collect(),
        )
    } else {
        return Matched::Unmatched;
    };
    let Some((i, first)) = found.first().copied() else {
        return Matched::Unmatched;
    };
    if found
        .iter()
        .any(|(_, e)| e.negotiated_group != first.negotiated_group)
    {
        return Matched::Ambiguous;
    }
    Matched::One(i, first, basis)
}

/// Running totals of a capture that does not end (`observe --exporter`):
/// connections folded into what judging them needs, each with its count,
/// so memory grows with the distinct kinds of connection, not their number
/// — and at most [`RunningTotals::MAX_KINDS`] of those.
#[derive(Debug, Default)]
pub struct RunningTotals {
    kinds: BTreeMap<String, (ObservedConnection, u64)>,
    /// Connections not counted because the totals held `MAX_KINDS` kinds.
    pub dropped: u64,
}

impl RunningTotals {
    /// Distinct kinds of connection kept (client, its process, server,
    /// what was offered and answered).
    pub const MAX_KINDS: usize = 4096;

    /// Counts one connection.
    pub fn add(&mut self, c: &ObservedConnection) {
        let kind = fold(c);
        let key = serde_json::to_string(&kind).unwrap_or_default();
        if let Some(entry) = self.kinds.get_mut(&key) {
            entry.1 += 1;
        } else if self.kinds.len() < Self::MAX_KINDS {
            self.kinds.insert(key, (kind, 1));
        } else {
            self.dropped += 1;
        }
    }

    /// The judgement of every connection counted so far (its per-connection
    /// list holds one entry per kind).
    pub fn assess(&self) -> ObserveAssessment {
        judge(
            self.kinds.values().map(|(c, n)| (c, *n)),
            None,
            &Judge::default(),
        )
    }
}

/// `c` without what judging it does not read (its time, ports, sizes,
/// fingerprints), so equal kinds fold together.
fn fold(c: &ObservedConnection) -> ObservedConnection {
    let client = match c.client.parse::<std::net::SocketAddr>() {
        Ok(a) => std::net::SocketAddr::new(a.ip(), 0).to_string(),
        Err(_) => c.client.clone(),
    };
    ObservedConnection {
        time: String::new(),
        transport: c.transport,
        client,
        server: c.server.clone(),
        sides: c.sides,
        client_hello: c.client_hello.as_ref().map(|h| crate::observe::HelloFacts {
            sni: None,
            alpn: Vec::new(),
            versions: Vec::new(),
            groups: h.groups.clone(),
            key_shares: h.key_shares.clone(),
            signature_schemes: Vec::new(),
            cipher_suites: Vec::new(),
            length: 0,
            records: 0,
            ja4: String::new(),
            profile_match: h.profile_match.clone(),
            profile_match_exact: false,
        }),
        server_hello: c.server_hello.clone(),
        error: None,
        conflicting_segments: 0,
        quic: None,
        client_process: c
            .client_process
            .as_ref()
            .map(|p| crate::observe::who::ProcessFacts {
                pid: 0,
                ..p.clone()
            }),
        server_process: None,
        // The edge names the server's Pod or Service.
        server_workload: c.server_workload.clone(),
    }
}

/// Judges connections, each standing for `n` alike, and compares them with
/// `cluster`'s predictions when given.
fn judge<'a>(
    connections: impl Iterator<Item = (&'a ObservedConnection, u64)> + Clone,
    cluster: Option<ClusterPrediction<'_>>,
    judge_with: &Judge,
) -> ObserveAssessment {
    // What each server was seen to support, across the whole capture.
    let mut server_pq: HashMap<(Transport, &str), BTreeSet<NamedGroup>> = HashMap::new();
    for (c, _) in connections.clone() {
        if let Some(s) = &c.server_hello {
            for g in [s.negotiated_group, s.hello_retry_group]
                .into_iter()
                .flatten()
            {
                if g.is_post_quantum() {
                    server_pq
                        .entry((c.transport, c.server.as_str()))
                        .or_default()
                        .insert(g);
                }
            }
        }
    }
    let mut out = ObserveAssessment::default();
    let mut summary = cluster.map(|cl| PredictionSummary {
        cluster_edges: cl
            .edges
            .iter()
            .filter(|e| e.negotiated_group.is_some())
            .count() as u64,
        ..PredictionSummary::default()
    });
    let mut observed_cluster_edges: BTreeSet<usize> = BTreeSet::new();
    // Per edge: connections and, per finding kind, how many and a sample
    // detail; and the audit edges its connections matched, by index.
    type Raised = BTreeMap<FindingKind, (u64, String)>;
    type Predicted = BTreeMap<usize, EdgePrediction>;
    let mut edges: BTreeMap<EdgeKey, (ObservedEdge, Raised, Predicted)> = BTreeMap::new();
    for (c, n) in connections {
        let standing = standing(c);
        let offered = offered_pq(c);
        let seen = server_pq.get(&(c.transport, c.server.as_str()));
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
        let got = c.server_hello.as_ref().and_then(|s| s.negotiated_group);
        let mut prediction = None;
        let mut predicted_by = None;
        if let (Some(cl), Some(got), Some(summary)) = (cluster, got, summary.as_mut()) {
            match matched(c, cl.edges) {
                Matched::One(i, e, basis) => {
                    let predicted = e.negotiated_group.expect("matched edges predict a group");
                    let agrees = predicted == got;
                    summary.connections_matched += n;
                    if agrees {
                        summary.connections_agreeing += n;
                    } else {
                        summary.connections_contradicting += n;
                        findings.push((
                            FindingKind::ObservedContradictsPrediction,
                            format!(
                                "the cluster audit's edge {} ({} replayed against {}) predicted {predicted}, this connection got {got}",
                                e.label(),
                                e.client.profile.as_deref().unwrap_or("the client's profile"),
                                e.server.address.as_deref().unwrap_or("the server"),
                            ),
                        ));
                    }
                    observed_cluster_edges.insert(i);
                    prediction = Some(ConnectionPrediction {
                        cluster_edge: e.label(),
                        matched_by: basis,
                        predicted_group: predicted,
                        agrees,
                    });
                    predicted_by = Some((i, e, basis, predicted, agrees));
                }
                Matched::Ambiguous => summary.connections_ambiguous += n,
                Matched::Unmatched => summary.connections_unmatched += n,
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
        let container = pod
            .as_ref()
            .and_then(|_| c.client_process.as_ref()?.container.clone());
        let key = (
            host(&c.client),
            process,
            c.server.clone(),
            pod,
            container,
            c.transport,
        );
        let (edge, raised, predicted) = edges.entry(key.clone()).or_insert_with(|| {
            (
                ObservedEdge {
                    client: key.0.clone(),
                    server: key.2.clone(),
                    transport: key.5,
                    connections: 0,
                    groups: BTreeMap::new(),
                    standings: BTreeMap::new(),
                    hello_retries: 0,
                    profiles: Vec::new(),
                    client_process: key.1.clone(),
                    client_pod: key.3.clone(),
                    client_container: key.4.clone(),
                    server_workload: c
                        .server_workload
                        .as_ref()
                        .map(|w| format!("{} {}/{}", w.kind, w.namespace, w.name)),
                    carries: Vec::new(),
                    findings: Vec::new(),
                    predictions: cluster.map(|_| Vec::new()),
                },
                BTreeMap::new(),
                BTreeMap::new(),
            )
        });
        if let (Some((i, e, basis, group, agrees)), Some(got)) = (predicted_by, got) {
            let p = predicted.entry(i).or_insert_with(|| EdgePrediction {
                cluster_edge: e.label(),
                client_profile: e.client.profile.clone(),
                server_address: e.server.address.clone().unwrap_or_default(),
                matched_by: basis,
                predicted_group: group,
                connections: 0,
                observed_groups: BTreeMap::new(),
                agrees: true,
            });
            p.connections += n;
            *p.observed_groups.entry(got.to_string()).or_default() += n;
            p.agrees &= agrees;
            // What the audit knows the edge carries, packets do not.
            for c in &e.carries {
                if !edge.carries.contains(c) {
                    edge.carries.push(*c);
                }
            }
        }
        edge.connections += n;
        *edge.groups.entry(negotiated.clone()).or_default() += n;
        *edge.standings.entry(standing).or_default() += n;
        *out.groups.entry(negotiated).or_default() += n;
        *out.standings.entry(standing).or_default() += n;
        if c.server_hello.as_ref().is_some_and(|s| s.hello_retry) {
            edge.hello_retries += n;
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
            raised.entry(*kind).or_insert((0, detail.clone())).0 += n;
        }
        out.connections.push(ConnectionJudgement {
            standing,
            findings: findings.into_iter().map(|(k, _)| k).collect(),
            prediction,
        });
    }
    for (_, (mut edge, raised, predicted)) in edges {
        if let Some(list) = edge.predictions.as_mut() {
            list.extend(predicted.into_values());
            if list.is_empty() {
                if let Some(s) = summary.as_mut() {
                    s.observed_edges_unmatched += 1;
                }
            }
        }
        // The API server's own Service: whoever connects sends credentials.
        if edge.server_workload.as_deref() == Some(API_SERVER_SERVICE)
            && !edge.carries.contains(&crate::vocab::Cargo::Credentials)
        {
            edge.carries.push(crate::vocab::Cargo::Credentials);
        }
        edge.carries.sort();
        let label = edge_label(&edge);
        let marked = judge_with
            .policy
            .as_deref()
            .and_then(|p| p.marks_sensitive(&policy_subject(&edge, &label)));
        let sensitive = super::edges::sensitive(&edge.carries) || marked.is_some();
        for (kind, (count, detail)) in raised {
            let carried = match (kind, edge.carries.is_empty()) {
                (FindingKind::ObservedClassical, false) => {
                    format!("; it carries {}", super::edges::cargo_text(&edge.carries))
                }
                _ => String::new(),
            };
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
                ) + &carried,
                kind.remediation().into(),
                edge.profiles.clone(),
            ));
        }
        if sensitive {
            for f in edge.findings.iter_mut() {
                if let Some(raised) = f.id.sensitive_severity() {
                    f.severity = raised;
                }
            }
        }
        let mut findings = std::mem::take(&mut edge.findings);
        judge_with.finish(&policy_subject(&edge, &label), &mut findings);
        edge.findings = findings;
        out.edges.push(edge);
    }
    out.edges.sort_by_key(|e| {
        (
            std::cmp::Reverse(e.findings.first().map(|f| f.severity)),
            std::cmp::Reverse(e.standings.get(&Standing::Classical).copied().unwrap_or(0)),
            std::cmp::Reverse(e.connections),
        )
    });
    if let (Some(mut s), Some(cl)) = (summary, cluster) {
        s.cluster_edges_not_observed = cl
            .edges
            .iter()
            .enumerate()
            .filter(|(i, e)| e.negotiated_group.is_some() && !observed_cluster_edges.contains(i))
            .map(|(_, e)| e.label())
            .collect();
        out.prediction = Some(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::ShareSize;
    use crate::observe::{HelloFacts, ServerFacts};
    use crate::vocab::ObservedSides;

    fn conn(
        port: u16,
        server: &str,
        offered: &[NamedGroup],
        got: NamedGroup,
    ) -> ObservedConnection {
        ObservedConnection {
            time: format!("2026-01-01T00:00:{:02}Z", port % 60),
            transport: Transport::Tcp,
            client: format!("10.0.0.1:{port}"),
            server: server.into(),
            sides: ObservedSides::Both,
            client_hello: Some(HelloFacts {
                sni: Some(format!("h{port}")),
                alpn: Vec::new(),
                versions: vec![ProtocolVersion::TLS1_3],
                groups: offered.to_vec(),
                key_shares: vec![ShareSize {
                    group: offered[0],
                    length: 32,
                }],
                signature_schemes: Vec::new(),
                cipher_suites: Vec::new(),
                length: 200 + usize::from(port),
                records: 1,
                ja4: format!("ja4-{port}"),
                profile_match: None,
                profile_match_exact: false,
            }),
            server_hello: Some(ServerFacts {
                version: Some(ProtocolVersion::TLS1_3),
                cipher_suite: None,
                negotiated_group: Some(got),
                hello_retry: false,
                hello_retry_group: None,
            }),
            error: None,
            conflicting_segments: 0,
            quic: None,
            client_process: None,
            server_process: None,
            server_workload: None,
        }
    }

    #[test]
    fn running_totals_judge_as_the_whole_list_in_memory_bounded_by_kinds() {
        let pq = [NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        let draft = [NamedGroup::X25519KYBER768DRAFT00, NamedGroup::X25519];
        let classical = [NamedGroup::X25519];
        let mut all = Vec::new();
        for port in 40000..40300u16 {
            let (offered, got, server): (&[NamedGroup], _, _) = match port % 3 {
                0 => (&pq, NamedGroup::X25519MLKEM768, "10.0.0.9:443"),
                1 => (&draft, NamedGroup::X25519, "10.0.0.9:443"),
                _ => (&classical, NamedGroup::X25519, "10.0.0.8:443"),
            };
            all.push(conn(port, server, offered, got));
        }
        let mut running = RunningTotals::default();
        for c in &all {
            running.add(c);
        }
        // Ports, times, sizes and fingerprints do not make new kinds.
        assert_eq!(running.kinds.len(), 3);
        assert_eq!(running.dropped, 0);
        let whole = observed(&all);
        let folded = running.assess();
        assert_eq!(folded.edges, whole.edges);
        assert_eq!(folded.groups, whole.groups);
        assert_eq!(folded.standings, whole.standings);
        assert!(whole
            .findings()
            .any(|f| f.id == FindingKind::ObservedSilentDowngrade));
    }

    #[test]
    fn a_classical_connection_to_the_api_servers_service_carries_credentials_and_is_high() {
        let classical = [NamedGroup::X25519];
        let mut to_apiserver = conn(1, "10.96.0.1:443", &classical, NamedGroup::X25519);
        to_apiserver.server_workload = Some(crate::observe::Workload {
            kind: crate::vocab::WorkloadKind::Service,
            namespace: "default".into(),
            name: "kubernetes".into(),
        });
        let elsewhere = conn(2, "10.0.0.9:443", &classical, NamedGroup::X25519);
        let a = observed(&[to_apiserver, elsewhere]);
        let finding = |server: &str| {
            let e = a.edges.iter().find(|e| e.server == server).unwrap();
            (e.carries.clone(), e.findings[0].clone())
        };
        let (carries, f) = finding("10.96.0.1:443");
        assert_eq!(carries, [crate::vocab::Cargo::Credentials]);
        assert_eq!(f.id, FindingKind::ObservedClassical);
        assert_eq!(f.severity, crate::vocab::Severity::High);
        assert!(
            f.detail.ends_with("; it carries credentials"),
            "{}",
            f.detail
        );
        // What packets alone say nothing about stays medium.
        let (carries, f) = finding("10.0.0.9:443");
        assert!(carries.is_empty());
        assert_eq!(f.severity, crate::vocab::Severity::Medium);
    }

    #[test]
    fn one_address_over_tcp_and_over_quic_is_two_servers() {
        let pq = [NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        let tcp = conn(1, "10.0.0.2:443", &pq, NamedGroup::X25519MLKEM768);
        let mut quic = conn(2, "10.0.0.2:443", &pq, NamedGroup::X25519);
        quic.transport = Transport::Quic;
        let a = observed(&[tcp.clone(), quic.clone()]);
        assert_eq!(a.edges.len(), 2);
        let q = a
            .edges
            .iter()
            .find(|e| e.transport == Transport::Quic)
            .unwrap();
        assert_eq!(q.server_label(), "10.0.0.2:443 (QUIC)");
        // The QUIC server was never seen with a PQ group: classical, not a
        // silent downgrade borrowed from the TCP listener's answers.
        let kinds: Vec<_> = q.findings.iter().map(|f| f.id).collect();
        assert_eq!(kinds, [FindingKind::ObservedClassical]);
        // Judged as a TCP connection would be: a QUIC PQ answer seen too
        // makes the classical one a silent downgrade.
        let mut quic_pq = conn(3, "10.0.0.2:443", &pq, NamedGroup::X25519MLKEM768);
        quic_pq.transport = Transport::Quic;
        let a = observed(&[tcp, quic, quic_pq]);
        let q = a
            .edges
            .iter()
            .find(|e| e.transport == Transport::Quic)
            .unwrap();
        let kinds: Vec<_> = q.findings.iter().map(|f| f.id).collect();
        assert_eq!(kinds, [FindingKind::ObservedSilentDowngrade]);
        let t = a
            .edges
            .iter()
            .find(|e| e.transport == Transport::Tcp)
            .unwrap();
        assert_eq!(t.server_label(), "10.0.0.2:443");
    }

    #[test]
    fn running_totals_stop_growing_at_their_cap_and_count_the_rest() {
        let mut running = RunningTotals::default();
        let n = RunningTotals::MAX_KINDS + 5;
        for i in 0..n {
            let server = format!("10.{}.{}.1:443", i / 256, i % 256);
            running.add(&conn(1, &server, &[NamedGroup::X25519], NamedGroup::X25519));
        }
        assert_eq!(running.kinds.len(), RunningTotals::MAX_KINDS);
        assert_eq!(running.dropped, 5);
        assert_eq!(
            running.assess().edges.len(),
            RunningTotals::MAX_KINDS,
            "one edge per server"
        );
    }

    /// A cluster audit edge from a client of `kind` `name` (profile
    /// `profile`) to `address`, predicting `group`.
    fn audit_edge(
        kind: crate::vocab::ClientKind,
        name: &str,
        profile: &str,
        address: &str,
        group: Option<NamedGroup>,
    ) -> Edge {
        use crate::discover::cluster::{Category, ClusterClient};
        Edge {
            client: ClusterClient {
                kind,
                name: name.into(),
                version: None,
                go_version: None,
                profile: Some(profile.into()),
                basis: crate::vocab::ClientBasis::ImageTag,
                source: String::new(),
                image: None,
            },
            server: super::super::edges::EdgeServer {
                category: Category::Apiserver,
                name: "kube-apiserver".into(),
                address: Some(address.into()),
                supports_pq: Some(true),
            },
            negotiated_group: group,
            hello_retry: false,
            standing: Standing::Classical,
            silent_downgrade: false,
            mldsa: super::super::edges::EdgeMldsa {
                client_accepts: None,
                server_offers: None,
                possible: false,
            },
            carries: Vec::new(),
            note: None,
            findings: Vec::new(),
        }
    }

    fn with_profile(mut c: ObservedConnection, profile: &str) -> ObservedConnection {
        c.client_hello.as_mut().unwrap().profile_match = Some(profile.into());
        c
    }

    fn process(comm: &str, go: Option<&str>) -> crate::observe::who::ProcessFacts {
        crate::observe::who::ProcessFacts {
            pid: 7,
            comm: comm.into(),
            exe: None,
            go_version: go.map(Into::into),
            tls_godebug: Vec::new(),
            tls_godebug_env: Vec::new(),
            container_id: None,
            container_runtime: None,
            pod_uid: None,
            pod: None,
            namespace: None,
            container: None,
        }
    }

    #[test]
    fn a_connection_agrees_or_contradicts_the_audit_edge_of_its_profile() {
        use crate::vocab::ClientKind;
        let server = "10.0.0.9:443";
        let pq = [NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        let draft = [NamedGroup::X25519KYBER768DRAFT00, NamedGroup::X25519];
        let connections = [
            with_profile(conn(1, server, &draft, NamedGroup::X25519), "go1.23"),
            with_profile(conn(2, server, &pq, NamedGroup::X25519MLKEM768), "go1.24"),
            // Another server: no audit edge names it.
            with_profile(
                conn(3, "10.0.0.8:443", &pq, NamedGroup::X25519MLKEM768),
                "go1.24",
            ),
        ];
        let audit = [
            audit_edge(
                ClientKind::Kubelet,
                "old-1",
                "go1.23",
                server,
                Some(NamedGroup::X25519),
            ),
            // Predicts wrongly for the Go 1.24 client.
            audit_edge(
                ClientKind::Kubelet,
                "new-1",
                "go1.24",
                server,
                Some(NamedGroup::X25519),
            ),
            // Its replay did not complete: it predicts nothing.
            audit_edge(ClientKind::Kubectl, "kubectl", "kubectl1.33", server, None),
            audit_edge(
                ClientKind::Kubelet,
                "gone",
                "go1.24",
                "10.0.0.7:443",
                Some(NamedGroup::X25519MLKEM768),
            ),
        ];
        let a = observed_with(
            &connections,
            Some(ClusterPrediction { edges: &audit }),
            &Judge::default(),
        );
        let p = |i: usize| a.connections[i].prediction.clone();
        assert_eq!(
            p(0),
            Some(ConnectionPrediction {
                cluster_edge: "kubelet old-1 → kube-apiserver".into(),
                matched_by: PredictionBasis::Profile,
                predicted_group: NamedGroup::X25519,
                agrees: true,
            })
        );
        assert!(!a.connections[0]
            .findings
            .contains(&FindingKind::ObservedContradictsPrediction));
        assert_eq!(p(1).map(|p| p.agrees), Some(false));
        assert!(a.connections[1]
            .findings
            .contains(&FindingKind::ObservedContradictsPrediction));
        assert_eq!(p(2), None);
        let summary = a.prediction.clone().unwrap();
        assert_eq!(summary.cluster_edges, 3);
        assert_eq!(
            (
                summary.connections_matched,
                summary.connections_agreeing,
                summary.connections_contradicting,
                summary.connections_unmatched,
                summary.connections_ambiguous,
                summary.observed_edges_unmatched,
            ),
            (2, 1, 1, 1, 0, 1)
        );
        assert_eq!(
            summary.cluster_edges_not_observed,
            ["kubelet gone → kube-apiserver"]
        );
        // One observed edge (one client address, one server) holds both
        // predictions, each with its own connections.
        let edge = a.edges.iter().find(|e| e.server == server).unwrap();
        let predictions = edge.predictions.as_ref().unwrap();
        assert_eq!(predictions.len(), 2);
        assert!(predictions[0].agrees && !predictions[1].agrees);
        assert_eq!(predictions[1].observed_groups["X25519MLKEM768"], 1);
        let finding = edge
            .findings
            .iter()
            .find(|f| f.id == FindingKind::ObservedContradictsPrediction)
            .unwrap();
        assert_eq!(finding.severity, crate::vocab::Severity::Medium);
        assert!(
            finding
                .detail
                .contains("predicted x25519, this connection got X25519MLKEM768"),
            "{}",
            finding.detail
        );
        // Without an audit, nothing is said about predictions.
        let plain = observed(&connections);
        assert!(plain.prediction.is_none() && plain.edges.iter().all(|e| e.predictions.is_none()));
    }

    #[test]
    fn the_strongest_client_fact_decides_and_disagreeing_matches_are_ambiguous() {
        use crate::vocab::ClientKind;
        let server = "10.0.0.9:443";
        let offered = [NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        let mut kubelet = with_profile(
            conn(1, server, &offered, NamedGroup::X25519MLKEM768),
            "go1.23",
        );
        kubelet.client_process = Some(process("kubelet", Some("go1.24.4")));
        let mut pod = conn(2, server, &offered, NamedGroup::X25519MLKEM768);
        pod.client_process = Some(crate::observe::who::ProcessFacts {
            pod: Some("cart-5f6d8-x2k9z".into()),
            namespace: Some("shop".into()),
            container: Some("cart".into()),
            ..process("cart", Some("go1.23.1"))
        });
        let mut go = conn(3, server, &offered, NamedGroup::X25519MLKEM768);
        go.client_process = Some(process("operator", Some("go1.24.2")));
        let audit = [
            // The process name wins over the hello's profile.
            audit_edge(
                ClientKind::Kubelet,
                "node-a",
                "go1.24",
                server,
                Some(NamedGroup::X25519MLKEM768),
            ),
            audit_edge(
                ClientKind::Workload,
                "shop/cart (cart)",
                "go1.24",
                server,
                Some(NamedGroup::X25519MLKEM768),
            ),
            audit_edge(
                ClientKind::Workload,
                "shop/cart (sidecar)",
                "go1.23",
                server,
                Some(NamedGroup::X25519),
            ),
            // Two Go 1.24 clients predicting different groups.
            audit_edge(
                ClientKind::Workload,
                "ops/a",
                "go1.24",
                server,
                Some(NamedGroup::X25519MLKEM768),
            ),
            audit_edge(
                ClientKind::Workload,
                "ops/b",
                "go1.24+tlsmlkem=0",
                server,
                Some(NamedGroup::X25519),
            ),
        ];
        let a = observed_with(
            &[kubelet, pod, go],
            Some(ClusterPrediction { edges: &audit }),
            &Judge::default(),
        );
        let p0 = a.connections[0].prediction.clone().unwrap();
        assert_eq!(
            (p0.matched_by, p0.cluster_edge.as_str()),
            (PredictionBasis::Process, "kubelet node-a → kube-apiserver")
        );
        let p1 = a.connections[1].prediction.clone().unwrap();
        assert_eq!(
            (p1.matched_by, p1.cluster_edge.as_str(), p1.agrees),
            (
                PredictionBasis::Pod,
                "workload shop/cart (cart) → kube-apiserver",
                true
            )
        );
        assert_eq!(a.connections[2].prediction, None);
        assert_eq!(a.prediction.unwrap().connections_ambiguous, 1);
    }

    #[test]
    fn a_server_named_by_host_is_matched_by_sni_and_port() {
        let mut c = with_profile(
            conn(
                1,
                "10.96.0.1:443",
                &[NamedGroup::X25519],
                NamedGroup::X25519,
            ),
            "go1.23",
        );
        c.client_hello.as_mut().unwrap().sni = Some("kubernetes.default.svc".into());
        let edge = |address: &str| {
            audit_edge(
                crate::vocab::ClientKind::Kubelet,
                "n",
                "go1.23",
                address,
                Some(NamedGroup::X25519),
            )
        };
        for (address, matches) in [
            ("kubernetes.default.svc:443", true),
            ("KUBERNETES.default.svc.:443", true),
            ("kubernetes.default.svc:6443", false),
            ("10.96.0.1:443", true),
            ("[::ffff:10.96.0.1]:443", true),
            ("10.96.0.2:443", false),
        ] {
            let a = observed_with(
                std::slice::from_ref(&c),
                Some(ClusterPrediction {
                    edges: &[edge(address)],
                }),
                &Judge::default(),
            );
            assert_eq!(a.connections[0].prediction.is_some(), matches, "{address}");
        }
        assert_eq!(go_release("go1.23.4").as_deref(), Some("go1.23"));
        assert_eq!(go_release("go1.24+tlsmlkem=0").as_deref(), Some("go1.24"));
        assert_eq!(go_release("go1.26rc1").as_deref(), Some("go1.26"));
        assert_eq!(go_release("kubectl1.33"), None);
    }
}
