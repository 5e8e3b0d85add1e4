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
//!   `classical-edge`; what the server carries is not known from packets).
//! - `observed-draft` (medium): the client's only post-quantum group is
//!   X25519Kyber768Draft00 (Go 1.23): as `draft-only`.
//! - `observed-hrr` (low): a HelloRetryRequest for a post-quantum group
//!   cost a round trip; a cost, not a weakness (as `pq-not-preferred`).
//!
//! Must not: read packets (that is `observe`) or format (`report::observe`).

use super::Finding;
use crate::observe::ObservedConnection;
use crate::vocab::{FindingKind, Standing, Transport};
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

/// An edge: client host, client process, server address, client Pod, transport.
type EdgeKey = (String, Option<String>, String, Option<String>, Transport);

/// Judges every connection of a capture, and their edges.
pub fn observed(connections: &[ObservedConnection]) -> ObserveAssessment {
    judge(connections.iter().map(|c| (c, 1)))
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
        judge(self.kinds.values().map(|(c, n)| (c, *n)))
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

/// Judges connections, each standing for `n` alike.
fn judge<'a>(
    connections: impl Iterator<Item = (&'a ObservedConnection, u64)> + Clone,
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
    // Per edge: connections and, per finding kind, how many and a sample detail.
    type Raised = BTreeMap<FindingKind, (u64, String)>;
    let mut edges: BTreeMap<EdgeKey, (ObservedEdge, Raised)> = BTreeMap::new();
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
        let process = c.client_process.as_ref().map(|p| match &p.go_version {
            Some(v) => format!("{} {v}", p.comm),
            None => p.comm.clone(),
        });
        let pod = c
            .client_process
            .as_ref()
            .and_then(|p| Some(format!("{}/{}", p.namespace.as_deref()?, p.pod.as_deref()?)));
        let key = (host(&c.client), process, c.server.clone(), pod, c.transport);
        let (edge, raised) = edges.entry(key.clone()).or_insert_with(|| {
            (
                ObservedEdge {
                    client: key.0.clone(),
                    server: key.2.clone(),
                    transport: key.4,
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
}
