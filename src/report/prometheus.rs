//! The Prometheus text exposition format (0.0.4) of endpoint results and of
//! the exporter's own counters: the metrics `pqready exporter` serves.
//!
//! Owns: metric names, help texts, label names and values, and the text
//! format (families grouped, HELP and TYPE once, label values escaped).
//! Must not: judge (every value is a fact of the probe or a conclusion
//! `assess` already drew) or know about HTTP. docs/metrics.md lists every
//! metric; the names follow the blackbox exporter where it has the fact.
//!
//! Written by hand rather than with a client library: the crates model
//! long-lived instrumented counters in a registry, while these metrics are
//! snapshots rebuilt from stored results on each scrape (a target that
//! disappears must disappear from the page), and the `prometheus-client`
//! crate writes only OpenMetrics. The format itself is a few lines.

use super::TargetReport;
use crate::assess::edges::Edge;
use crate::assess::Finding;
use crate::vocab::{CheckStatus, FindingKind, PqStatus, Severity, Standing, ToleranceVariant};
use crate::vocab::{DeadlineTable, ToleranceOutcome, ToleranceVerdict};
use std::fmt::Write as _;

/// A metric family: its name, help text and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The metric name.
    pub name: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// `gauge` or `counter`.
    pub kind: Kind,
}

/// The Prometheus metric types pqready uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A value that only goes up (its name ends in `_total`).
    Counter,
}

const fn gauge(name: &'static str, help: &'static str) -> Metric {
    Metric {
        name,
        help,
        kind: Kind::Gauge,
    }
}

const fn counter(name: &'static str, help: &'static str) -> Metric {
    Metric {
        name,
        help,
        kind: Kind::Counter,
    }
}

/// Certificates per endpoint that get series: a served chain is short, and a
/// hostile server must not be able to multiply the exporter's series.
pub const MAX_CERTIFICATES: usize = 8;
/// A sample without labels.
pub const NO_LABELS: &[(&str, &str)] = &[];
/// Longest label value taken from a peer (a subject name); longer ones are cut.
const MAX_LABEL_CHARS: usize = 256;

/// 1 when the endpoint was reached and answered TLS.
pub const PROBE_SUCCESS: Metric = gauge(
    "probe_success",
    "Whether the endpoint was reached and answered TLS (1) or not (0).",
);
/// Why the endpoint could not be probed.
pub const PROBE_ERROR: Metric = gauge(
    "pqready_probe_error_info",
    "Why the endpoint could not be probed (resolve, refused, timeout, not-tls, ...).",
);
/// Seconds the probe took.
pub const PROBE_DURATION: Metric = gauge(
    "probe_duration_seconds",
    "How long the probe of the endpoint took, in seconds.",
);
/// The negotiated version.
pub const TLS_VERSION: Metric = gauge(
    "probe_tls_version_info",
    "The TLS version a post-quantum-first client negotiated.",
);
/// Earliest notAfter of the served chains.
pub const EARLIEST_EXPIRY: Metric = gauge(
    "probe_ssl_earliest_cert_expiry",
    "notAfter (unix seconds) of the served certificate that expires first.",
);
/// Each supported group.
pub const GROUP_INFO: Metric = gauge(
    "probe_tls_group_info",
    "A key-exchange group the server supports (IANA name and codepoint).",
);
/// 1 for a standard post-quantum group.
pub const PQ_READY: Metric = gauge(
    "pqready_pq_ready",
    "Whether the endpoint supports a standard post-quantum key exchange (ML-KEM).",
);
/// The status as a state set.
pub const PQ_STATUS: Metric = gauge(
    "pqready_pq_status",
    "The endpoint's post-quantum key-exchange status: 1 for the current one.",
);
/// The standing as a state set.
pub const STANDING: Metric = gauge(
    "pqready_standing",
    "Where the endpoint stands (pq, draft-only, classical, no-tls, unreachable, error, unknown): 1 for the current one.",
);
/// Where each client→server edge of a cluster stands, as a state set.
pub const EDGE_STANDING: Metric = gauge(
    "pqready_edge_standing",
    "Where a client→server edge of the cluster stands (pq, draft-only, classical, no-tls, unreachable, error, unknown): 1 for the current one.",
);
/// What the PQ-first handshake negotiated.
pub const HANDSHAKE_GROUP: Metric = gauge(
    "pqready_handshake_group_info",
    "The key-exchange group a post-quantum-first rustls client negotiated.",
);
/// Each key-exchange method an SSH server offers.
pub const SSH_KEX: Metric = gauge(
    "pqready_ssh_kex_info",
    "A key-exchange method the SSH server offers (pq: whether it is a post-quantum hybrid).",
);
/// SSH methods per endpoint that get series (a server lists about ten; a
/// hostile one must not multiply the exporter's series).
pub const MAX_SSH_KEX: usize = 32;
/// What each replayed client profile negotiates.
pub const CLIENT_GROUP: Metric = gauge(
    "pqready_client_group_info",
    "The key-exchange group each replayed client profile negotiates (empty when it fails).",
);
/// 1 when a client profile gets a standard PQ group.
pub const CLIENT_PQ: Metric = gauge(
    "pqready_client_pq",
    "Whether a replayed client profile negotiates a standard post-quantum group.",
);
/// The tolerance verdict as a state set.
pub const TOLERANCE: Metric = gauge(
    "pqready_hello_tolerance",
    "The big-ClientHello tolerance verdict: 1 for the current one.",
);
/// Each tolerance variant.
pub const TOLERANCE_VARIANT: Metric = gauge(
    "pqready_hello_tolerance_variant_ok",
    "Whether a big-ClientHello variant worked like the small control.",
);
/// ML-DSA authentication.
pub const AUTH_MLDSA: Metric = gauge(
    "pqready_authentication_mldsa",
    "Whether the server authenticates with an ML-DSA certificate.",
);
/// Classical authentication.
pub const AUTH_CLASSICAL: Metric = gauge(
    "pqready_authentication_classical",
    "Whether the server authenticates with a classical certificate.",
);
/// Findings per kind.
pub const FINDINGS: Metric = gauge("pqready_findings", "Findings of one kind for the endpoint.");
/// Each check's outcome.
pub const CHECK_SUCCESS: Metric = gauge(
    "pqready_check_success",
    "Whether a probe check completed (1) or failed (0).",
);
/// Connections the probe opened.
pub const CONNECTIONS: Metric = gauge("pqready_connections", "TCP connections the probe opened.");
/// A served certificate.
pub const CERT_INFO: Metric = gauge("pqready_certificate_info", "A certificate the server sent.");
/// Its notAfter.
pub const CERT_NOT_AFTER: Metric = gauge(
    "pqready_certificate_not_after_timestamp_seconds",
    "The certificate's notAfter, unix seconds.",
);
/// Its quantum safety.
pub const CERT_QUANTUM_SAFE: Metric = gauge(
    "pqready_certificate_quantum_safe",
    "Whether the certificate's key and signature are post-quantum.",
);
/// NIST IR 8547 dates for its key.
pub const CERT_DEADLINE: Metric = gauge(
    "pqready_certificate_nist_deadline_timestamp_seconds",
    "When NIST IR 8547 deprecates or disallows the certificate's key algorithm, unix seconds.",
);
/// Time left until the next NIST IR 8547 date.
pub const CERT_DEADLINE_REMAINING: Metric = gauge(
    "pqready_certificate_nist_deadline_remaining_seconds",
    "Seconds until the next NIST IR 8547 milestone for the certificate's key (0 once past).",
);

/// Exporter build.
pub const BUILD_INFO: Metric = gauge("pqready_exporter_build_info", "pqready's version.");
/// Endpoints the schedule covers.
pub const TARGETS: Metric = gauge(
    "pqready_exporter_targets",
    "Endpoints the scheduled scan covers.",
);
/// This replica's shard (`--shard I/N`), when the scan is split.
pub const SHARD: Metric = gauge(
    "pqready_exporter_shard",
    "This replica's share of the scheduled targets (--shard I/N): always 1, the labels say which.",
);
/// Last scan's duration.
pub const SCAN_DURATION: Metric = gauge(
    "pqready_exporter_scan_duration_seconds",
    "Duration of the last completed scheduled scan, in seconds.",
);
/// Last scan's endpoints.
pub const SCAN_ENDPOINTS: Metric = gauge(
    "pqready_exporter_scan_endpoints",
    "Endpoints in the last completed scheduled scan.",
);
/// Last scan's failures.
pub const SCAN_ERRORS: Metric = gauge(
    "pqready_exporter_scan_errors",
    "Endpoints of the last completed scheduled scan that could not be probed.",
);
/// When the last scan completed.
pub const LAST_SCAN: Metric = gauge(
    "pqready_exporter_last_scan_success_timestamp_seconds",
    "When the last scheduled scan completed, unix seconds.",
);
/// Scans run.
pub const SCANS: Metric = counter(
    "pqready_exporter_scans_total",
    "Scheduled scans run, by result (failure: the scan could not run at all).",
);
/// Probes run.
pub const PROBES: Metric = counter(
    "pqready_exporter_probes_total",
    "Probes run against endpoints, by source (scan or /probe).",
);
/// /probe requests.
pub const PROBE_REQUESTS: Metric = counter(
    "pqready_exporter_probe_requests_total",
    "/probe requests by outcome.",
);
/// /probe probes running.
pub const PROBES_IN_FLIGHT: Metric = gauge(
    "pqready_exporter_probes_in_flight",
    "/probe probes running now.",
);

/// Labels that identify an endpoint on `/metrics` (none on `/probe`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointLabels {
    /// `host:port`.
    pub target: Option<String>,
    /// The cluster component's category.
    pub category: Option<String>,
    /// The cluster component's name.
    pub component: Option<String>,
}

impl EndpointLabels {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if let Some(t) = &self.target {
            out.push(("target", t.as_str()));
        }
        if let Some(c) = &self.category {
            out.push(("category", c.as_str()));
        }
        if let Some(c) = &self.component {
            out.push(("component", c.as_str()));
        }
        out
    }
}

/// One served certificate, as much of it as the metrics show.
#[derive(Debug, Clone, PartialEq)]
struct CertificateMetrics {
    role: String,
    fingerprint: String,
    subject: String,
    key_algorithm: String,
    signature_algorithm: String,
    not_after: i64,
    quantum_safe: bool,
    /// NIST IR 8547: first second past the deprecation and disallowance years.
    deprecated_at: Option<i64>,
    disallowed_at: Option<i64>,
}

/// Everything the metrics of one endpoint show, kept instead of the whole
/// report (a scan of thousands of endpoints holds only this).
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointMetrics {
    success: bool,
    error_kind: Option<&'static str>,
    duration_seconds: f64,
    version: Option<String>,
    earliest_expiry: Option<i64>,
    groups: Vec<(String, String)>,
    status: PqStatus,
    standing: Standing,
    handshake_group: Option<(String, String)>,
    ssh_kex: Vec<String>,
    clients: Vec<ClientMetrics>,
    tolerance: Option<(ToleranceVerdict, Vec<(ToleranceVariant, bool)>)>,
    authentication: Option<(bool, bool)>,
    findings: FindingCounts,
    checks: Vec<(&'static str, bool)>,
    connections: u32,
    certificates: Vec<CertificateMetrics>,
}

#[derive(Debug, Clone, PartialEq)]
struct ClientMetrics {
    profile: String,
    group: Option<(String, String)>,
    pq: bool,
    standard_pq: bool,
}

fn group_labels(group: crate::wire::NamedGroup) -> (String, String) {
    (group.to_string(), format!("0x{:04x}", group.0))
}

fn date_to_unix_after(day: &str) -> Option<i64> {
    // `2030-12-31` → the first second of 2031: the deadline "after 2030".
    crate::time::unix_of_rfc3339_seconds(&format!("{day}T00:00:00Z")).map(|t| t + 86_400)
}

impl EndpointMetrics {
    /// What the metrics of `report` show.
    pub fn of(report: &TargetReport) -> Self {
        let obs = &report.observed;
        let answered = report.error.is_none();
        let ssh_answered = obs.ssh.as_ref().is_some_and(|s| s.complete());
        let success = answered
            && (ssh_answered
                || obs.handshake.version.is_some()
                || !obs.groups.supported.is_empty()
                || !obs.tls_versions.is_empty()
                || obs
                    .authentication
                    .as_ref()
                    .is_some_and(|a| a.mldsa || a.classical));
        let mut findings = FindingCounts::default();
        findings.add(&report.assessed.findings);
        let certificates: Vec<CertificateMetrics> = report
            .assessed
            .certificates
            .iter()
            .take(MAX_CERTIFICATES)
            .map(|c| {
                let nist = c.deadlines.iter().find(|d| d.table == DeadlineTable::Nist);
                let vulnerable = !c.quantum_safe;
                let at = |day: Option<&String>| {
                    day.filter(|_| vulnerable)
                        .and_then(|d| date_to_unix_after(d))
                };
                CertificateMetrics {
                    role: c.facts.role.clone().unwrap_or_default(),
                    fingerprint: c.facts.fingerprint_sha256.clone(),
                    subject: c.facts.subject.clone(),
                    key_algorithm: c.facts.key.key_algorithm.clone(),
                    signature_algorithm: c.facts.signature_algorithm.clone(),
                    not_after: c.facts.not_after_unix,
                    quantum_safe: c.quantum_safe,
                    deprecated_at: at(nist.and_then(|d| d.deprecated_after.as_ref())),
                    disallowed_at: at(nist.and_then(|d| d.disallowed_after.as_ref())),
                }
            })
            .collect();
        EndpointMetrics {
            success,
            error_kind: report.error_kind.map(|k| k.name()),
            duration_seconds: obs.elapsed_ms as f64 / 1000.0,
            version: obs
                .handshake
                .version
                .map(|v| v.to_string().replace("TLSv", "TLS ")),
            earliest_expiry: report
                .assessed
                .certificates
                .iter()
                .map(|c| c.facts.not_after_unix)
                .min(),
            groups: obs
                .groups
                .supported
                .iter()
                .map(|g| group_labels(*g))
                .collect(),
            status: report.assessed.verdict.status,
            standing: report.standing(),
            handshake_group: obs.handshake.negotiated_group.map(group_labels),
            ssh_kex: obs
                .ssh
                .iter()
                .flat_map(|s| {
                    s.kex
                        .iter()
                        .filter(|k| !crate::wire::ssh::is_pseudo_kex(k))
                        .take(MAX_SSH_KEX)
                        .cloned()
                })
                .collect(),
            clients: obs
                .clients
                .iter()
                .map(|c| ClientMetrics {
                    profile: c.profile.clone(),
                    group: c.negotiated_group.map(group_labels),
                    pq: c.pq,
                    standard_pq: c
                        .negotiated_group
                        .is_some_and(|g| g.is_standard_post_quantum()),
                })
                .collect(),
            tolerance: report.assessed.hello_tolerance.as_ref().map(|t| {
                (
                    t.verdict,
                    t.variants
                        .iter()
                        .map(|v| (v.observed.name, v.outcome == ToleranceOutcome::Ok))
                        .collect(),
                )
            }),
            authentication: obs.authentication.as_ref().map(|a| (a.mldsa, a.classical)),
            findings,
            checks: obs
                .checks
                .iter()
                .filter(|c| c.status != CheckStatus::NotRun)
                .map(|c| (c.id.name(), c.status == CheckStatus::Completed))
                .collect(),
            connections: obs.connections,
            certificates,
        }
    }

    /// True when the endpoint could not be probed.
    pub fn failed(&self) -> bool {
        !self.success
    }

    /// Counts more findings for this endpoint: those of the cluster's
    /// edges it is the server of.
    pub fn add_findings(&mut self, findings: &[Finding]) {
        self.findings.add(findings);
    }

    /// Writes this endpoint's series into `out`, labelled with `labels`;
    /// remaining time to deadlines counts from `now` (unix seconds).
    pub fn write<'a>(&'a self, labels: &'a EndpointLabels, now: i64, out: &mut Exposition) {
        let base = labels.pairs();
        let with = |extra: &[(&'static str, &'a str)]| joined(&base, extra);
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        out.sample(&PROBE_SUCCESS, &with(&[]), flag(self.success));
        out.sample(&PROBE_DURATION, &with(&[]), self.duration_seconds);
        if let Some(kind) = self.error_kind {
            out.sample(&PROBE_ERROR, &with(&[("kind", kind)]), 1.0);
        }
        if let Some(v) = &self.version {
            out.sample(&TLS_VERSION, &with(&[("version", v)]), 1.0);
        }
        if let Some(t) = self.earliest_expiry {
            out.sample(&EARLIEST_EXPIRY, &with(&[]), t as f64);
        }
        for (name, id) in &self.groups {
            out.sample(&GROUP_INFO, &with(&[("group", name), ("id", id)]), 1.0);
        }
        out.sample(&PQ_READY, &with(&[]), flag(self.status == PqStatus::Pq));
        for status in PqStatus::ALL {
            out.sample(
                &PQ_STATUS,
                &with(&[("status", status.name())]),
                flag(*status == self.status),
            );
        }
        for standing in Standing::ALL {
            out.sample(
                &STANDING,
                &with(&[("standing", standing.name())]),
                flag(*standing == self.standing),
            );
        }
        if let Some((name, id)) = &self.handshake_group {
            out.sample(&HANDSHAKE_GROUP, &with(&[("group", name), ("id", id)]), 1.0);
        }
        for kex in &self.ssh_kex {
            let pq = match crate::catalog::ssh::is_pq_kex(kex) {
                true => "true",
                false => "false",
            };
            out.sample(&SSH_KEX, &with(&[("kex", kex), ("pq", pq)]), 1.0);
        }
        for c in &self.clients {
            let (name, id) = c
                .group
                .as_ref()
                .map(|(n, i)| (n.as_str(), i.as_str()))
                .unwrap_or(("", ""));
            let pq = if c.pq { "true" } else { "false" };
            out.sample(
                &CLIENT_GROUP,
                &with(&[
                    ("client", &c.profile),
                    ("group", name),
                    ("id", id),
                    ("pq", pq),
                ]),
                1.0,
            );
            out.sample(
                &CLIENT_PQ,
                &with(&[("client", &c.profile)]),
                flag(c.standard_pq),
            );
        }
        if let Some((verdict, variants)) = &self.tolerance {
            for v in ToleranceVerdict::ALL {
                out.sample(
                    &TOLERANCE,
                    &with(&[("verdict", v.name())]),
                    flag(v == verdict),
                );
            }
            for (variant, ok) in variants {
                out.sample(
                    &TOLERANCE_VARIANT,
                    &with(&[("variant", variant.name())]),
                    flag(*ok),
                );
            }
        }
        if let Some((mldsa, classical)) = self.authentication {
            out.sample(&AUTH_MLDSA, &with(&[]), flag(mldsa));
            out.sample(&AUTH_CLASSICAL, &with(&[]), flag(classical));
        }
        self.findings.write(&base, out);
        for (check, ok) in &self.checks {
            out.sample(&CHECK_SUCCESS, &with(&[("check", check)]), flag(*ok));
        }
        out.sample(&CONNECTIONS, &with(&[]), f64::from(self.connections));
        for c in &self.certificates {
            let id = [
                ("role", c.role.as_str()),
                ("fingerprint_sha256", &c.fingerprint),
            ];
            let mut info = id.to_vec();
            info.extend([
                ("subject", c.subject.as_str()),
                ("key_algorithm", &c.key_algorithm),
                ("signature_algorithm", &c.signature_algorithm),
            ]);
            out.sample(&CERT_INFO, &with(&info), 1.0);
            out.sample(&CERT_NOT_AFTER, &with(&id), c.not_after as f64);
            out.sample(&CERT_QUANTUM_SAFE, &with(&id), flag(c.quantum_safe));
            for (milestone, at) in [
                ("deprecated", c.deprecated_at),
                ("disallowed", c.disallowed_at),
            ] {
                if let Some(at) = at {
                    let mut labels = id.to_vec();
                    labels.push(("milestone", milestone));
                    out.sample(&CERT_DEADLINE, &with(&labels), at as f64);
                }
            }
            let next = [c.deprecated_at, c.disallowed_at]
                .into_iter()
                .flatten()
                .find(|at| *at > now);
            if c.deprecated_at.is_some() || c.disallowed_at.is_some() {
                let remaining = next.map(|at| at - now).unwrap_or(0);
                out.sample(&CERT_DEADLINE_REMAINING, &with(&id), remaining as f64);
            }
        }
    }
}

/// Findings counted by kind and severity, in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingCounts(Vec<(FindingKind, Severity, u32)>);

impl FindingCounts {
    /// Counts `findings`.
    pub fn add(&mut self, findings: &[Finding]) {
        for f in findings {
            match self
                .0
                .iter_mut()
                .find(|(k, s, _)| (*k, *s) == (f.id, f.severity))
            {
                Some(entry) => entry.2 += 1,
                None => self.0.push((f.id, f.severity, 1)),
            }
        }
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One `pqready_findings` series per kind and severity, after `base`.
    fn write(&self, base: &[(&'static str, &str)], out: &mut Exposition) {
        for (kind, severity, count) in &self.0 {
            out.sample(
                &FINDINGS,
                &joined(
                    base,
                    &[("kind", kind.name()), ("severity", severity.name())],
                ),
                f64::from(*count),
            );
        }
    }
}

/// One client→server edge of a cluster, as much of it as its series show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeMetrics {
    client_kind: &'static str,
    client: String,
    server_category: &'static str,
    server: String,
    /// The negotiated group's IANA name; empty when there is none.
    group: String,
    standing: Standing,
}

impl EdgeMetrics {
    /// What the series of `edge` show.
    pub fn of(edge: &Edge) -> Self {
        EdgeMetrics {
            client_kind: edge.client.kind.name(),
            client: edge.client.name.clone(),
            server_category: edge.server.category.name(),
            server: edge.server.name.clone(),
            group: edge
                .negotiated_group
                .map(|g| g.to_string())
                .unwrap_or_default(),
            standing: edge.standing,
        }
    }

    fn labels(&self) -> [(&'static str, &str); 5] {
        [
            ("client_kind", self.client_kind),
            ("client", &self.client),
            ("server_category", self.server_category),
            ("server", &self.server),
            ("group", &self.group),
        ]
    }
}

/// What a scheduled cluster scan shows beyond its endpoints: each edge's
/// standing, and the findings of edges to components that have no
/// endpoint series (no address to probe), under their category and name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterMetrics {
    /// Every edge, in the document's order.
    pub edges: Vec<EdgeMetrics>,
    /// Edge findings of components without an address: (category, name, counts).
    pub unprobed: Vec<(String, String, FindingCounts)>,
}

impl ClusterMetrics {
    /// Writes the edges' series. An edge whose labels repeat an earlier
    /// one's (two workloads of one name) is written once: Prometheus
    /// rejects a whole page that holds a series twice.
    pub fn write(&self, out: &mut Exposition) {
        let mut seen = std::collections::HashSet::new();
        for e in &self.edges {
            let labels = e.labels();
            if !seen.insert(labels) {
                continue;
            }
            for standing in Standing::ALL {
                out.sample(
                    &EDGE_STANDING,
                    &joined(&labels, &[("standing", standing.name())]),
                    if *standing == e.standing { 1.0 } else { 0.0 },
                );
            }
        }
        for (category, component, counts) in &self.unprobed {
            counts.write(
                &[("category", category.as_str()), ("component", component)],
                out,
            );
        }
    }
}

/// An endpoint's labels followed by a series' own, borrowed (a page of
/// tens of thousands of series copies no label value before writing it).
fn joined<'a>(
    base: &[(&'static str, &'a str)],
    extra: &[(&'static str, &'a str)],
) -> Vec<(&'static str, &'a str)> {
    base.iter().chain(extra).copied().collect()
}

/// The exporter's own numbers, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExporterStats {
    /// Endpoints the schedule covers.
    pub targets: usize,
    /// The last completed scan: its duration, endpoints and errors.
    pub last_scan: Option<ScanStats>,
    /// Scans that ran, and scans that could not run.
    pub scans_succeeded: u64,
    /// Scans that could not run at all.
    pub scans_failed: u64,
    /// Probes run by the schedule.
    pub probes_scan: u64,
    /// Probes run for `/probe`.
    pub probes_on_demand: u64,
    /// `/probe` requests by outcome, in [`PROBE_OUTCOMES`] order.
    pub probe_requests: [u64; PROBE_OUTCOMES.len()],
    /// `/probe` probes running now.
    pub in_flight: usize,
    /// This replica's shard and the shard count, when split.
    pub shard: Option<(u32, u32)>,
}

/// One completed scheduled scan.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScanStats {
    /// How long it took.
    pub duration_seconds: f64,
    /// Endpoints it covered.
    pub endpoints: usize,
    /// Endpoints that could not be probed.
    pub errors: usize,
    /// When it completed (unix seconds).
    pub completed_at: i64,
}

/// The outcomes of a `/probe` request, as the `result` label names them.
pub const PROBE_OUTCOMES: [&str; 7] = [
    "probed", "shared", "cached", "refused", "invalid", "busy", "scan",
];

impl ExporterStats {
    /// Writes the exporter's own series.
    pub fn write(&self, out: &mut Exposition) {
        out.sample(
            &BUILD_INFO,
            &[("version", env!("CARGO_PKG_VERSION").to_string())],
            1.0,
        );
        out.sample(&TARGETS, NO_LABELS, self.targets as f64);
        if let Some((index, count)) = self.shard {
            out.sample(
                &SHARD,
                &[("index", index.to_string()), ("count", count.to_string())],
                1.0,
            );
        }
        if let Some(scan) = &self.last_scan {
            out.sample(&SCAN_DURATION, NO_LABELS, scan.duration_seconds);
            out.sample(&SCAN_ENDPOINTS, NO_LABELS, scan.endpoints as f64);
            out.sample(&SCAN_ERRORS, NO_LABELS, scan.errors as f64);
            out.sample(&LAST_SCAN, NO_LABELS, scan.completed_at as f64);
        }
        for (result, n) in [
            ("success", self.scans_succeeded),
            ("failure", self.scans_failed),
        ] {
            out.sample(&SCANS, &[("result", result.to_string())], n as f64);
        }
        for (source, n) in [("scan", self.probes_scan), ("probe", self.probes_on_demand)] {
            out.sample(&PROBES, &[("source", source.to_string())], n as f64);
        }
        for (result, n) in PROBE_OUTCOMES.iter().zip(self.probe_requests) {
            out.sample(&PROBE_REQUESTS, &[("result", result.to_string())], n as f64);
        }
        out.sample(&PROBES_IN_FLIGHT, NO_LABELS, self.in_flight as f64);
    }
}

/// Handshakes seen by `observe --exporter`.
pub const OBSERVED_HANDSHAKES: Metric = counter(
    "pqready_observed_handshakes_total",
    "TLS handshakes seen on the wire, by client, server, negotiated group, version and HelloRetryRequest.",
);
/// New flows the flow table had no room for.
pub const OBSERVED_FLOWS_DROPPED: Metric = counter(
    "pqready_observed_flows_dropped_total",
    "New TCP flows and QUIC connections not read because the flow table was full (--max-flows).",
);
/// Packets read.
pub const OBSERVED_PACKETS: Metric = counter(
    "pqready_observed_packets_total",
    "Packets the live capture read (after --filter).",
);
/// The kernel's drops.
pub const OBSERVED_PACKETS_DROPPED: Metric = counter(
    "pqready_observed_packets_dropped_total",
    "Packets the kernel dropped because the capture's socket buffer was full.",
);
/// Connections reported.
pub const OBSERVED_CONNECTIONS: Metric = counter(
    "pqready_observed_connections_total",
    "Connections whose TLS hellos were read.",
);
/// Handshakes past the series cap.
pub const OBSERVED_SERIES_DROPPED: Metric = counter(
    "pqready_observed_series_dropped_total",
    "Handshakes not counted in pqready_observed_handshakes_total because it had reached its cap on distinct series.",
);
/// Distinct `pqready_observed_handshakes_total` series: client addresses
/// and processes come from the network, and must not grow the page
/// without bound.
pub const MAX_OBSERVED_SERIES: usize = 2048;

/// The handshake counters of `observe --exporter`, one per label set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedMetrics {
    /// (client, server, group, version, hello_retry) → handshakes.
    series: std::collections::BTreeMap<[String; 5], u64>,
    /// Handshakes not counted because [`MAX_OBSERVED_SERIES`] were held.
    series_dropped: u64,
}

impl ObservedMetrics {
    /// Counts one connection's handshake.
    pub fn add(&mut self, c: &crate::observe::ObservedConnection) {
        let client = match &c.client_process {
            Some(p) => match &p.go_version {
                Some(v) => format!("{} {v}", p.comm),
                None => p.comm.clone(),
            },
            None => c
                .client
                .parse::<std::net::SocketAddr>()
                .map_or_else(|_| c.client.clone(), |a| a.ip().to_string()),
        };
        let server = c.server_hello.as_ref();
        let group = server
            .and_then(|s| s.negotiated_group)
            .map_or_else(|| "unknown".to_string(), |g| g.to_string());
        let version = server.and_then(|s| s.version).map_or_else(
            || "unknown".to_string(),
            |v| v.to_string().replace("TLSv", "TLS "),
        );
        let retry = server.is_some_and(|s| s.hello_retry).to_string();
        // One address:port over TCP and over QUIC are two servers, as in
        // the edges (`ObservedEdge::server_label`).
        let server = match c.transport {
            crate::vocab::Transport::Tcp => c.server.clone(),
            crate::vocab::Transport::Quic => format!("{} (QUIC)", c.server),
        };
        let key = [client, server, group, version, retry];
        if let Some(n) = self.series.get_mut(&key) {
            *n += 1;
        } else if self.series.len() < MAX_OBSERVED_SERIES {
            self.series.insert(key, 1);
        } else {
            self.series_dropped += 1;
        }
    }

    /// Writes the handshake counters, the capture's counts and the
    /// findings `assess` drew from the running totals.
    pub fn write(
        &self,
        stats: &crate::observe::CaptureStats,
        findings: &[Finding],
        out: &mut Exposition,
    ) {
        for ([client, server, group, version, retry], n) in &self.series {
            out.sample(
                &OBSERVED_HANDSHAKES,
                &[
                    ("client", client.as_str()),
                    ("server", server),
                    ("group", group),
                    ("version", version),
                    ("hello_retry", retry),
                ],
                *n as f64,
            );
        }
        out.sample(
            &OBSERVED_SERIES_DROPPED,
            NO_LABELS,
            self.series_dropped as f64,
        );
        out.sample(
            &OBSERVED_FLOWS_DROPPED,
            NO_LABELS,
            stats.flows_dropped as f64,
        );
        out.sample(&OBSERVED_PACKETS, NO_LABELS, stats.packets as f64);
        out.sample(
            &OBSERVED_PACKETS_DROPPED,
            NO_LABELS,
            stats.packets_dropped as f64,
        );
        out.sample(&OBSERVED_CONNECTIONS, NO_LABELS, stats.connections as f64);
        let mut counts = FindingCounts::default();
        counts.add(findings);
        counts.write(NO_LABELS, out);
    }
}

/// A page of metrics being built: families in order of first use, each
/// with its HELP and TYPE once, then its samples.
#[derive(Debug, Default)]
pub struct Exposition {
    families: Vec<(Metric, String)>,
}

impl Exposition {
    /// Adds one sample of `metric`.
    pub fn sample<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        metric: &Metric,
        labels: &[(K, V)],
        value: f64,
    ) {
        let index = match self
            .families
            .iter()
            .position(|(m, _)| m.name == metric.name)
        {
            Some(i) => i,
            None => {
                self.families.push((*metric, String::new()));
                self.families.len() - 1
            }
        };
        let lines = &mut self.families[index].1;
        lines.push_str(metric.name);
        if !labels.is_empty() {
            lines.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    lines.push(',');
                }
                lines.push_str(k.as_ref());
                lines.push_str("=\"");
                escape_label_value(v.as_ref(), lines);
                lines.push('"');
            }
            lines.push('}');
        }
        lines.push(' ');
        write_value(value, lines);
        lines.push('\n');
    }

    /// The page.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.families.iter().map(|(_, s)| s.len() + 128).sum());
        for (metric, lines) in &self.families {
            let kind = match metric.kind {
                Kind::Gauge => "gauge",
                Kind::Counter => "counter",
            };
            let _ = writeln!(out, "# HELP {} {}", metric.name, metric.help);
            let _ = writeln!(out, "# TYPE {} {kind}", metric.name);
            out.push_str(lines);
        }
        out
    }
}

/// The exposition format's escapes for a label value (backslash, quote,
/// newline); other control characters are dropped, and a value from a
/// peer is cut at [`MAX_LABEL_CHARS`].
fn escape_label_value(value: &str, out: &mut String) {
    for c in value.chars().take(MAX_LABEL_CHARS) {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

fn write_value(value: f64, out: &mut String) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        let _ = write!(out, "{}", value as i64);
    } else {
        let _ = write!(out, "{value}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(client: &str, server: &str) -> crate::observe::ObservedConnection {
        serde_json::from_value(serde_json::json!({
            "time": "2026-01-01T00:00:00Z", "client": client, "server": server,
            "sides": "both", "client_hello": null, "error": null, "conflicting_segments": 0,
            "server_hello": {"version": null, "cipher_suite": null, "negotiated_group": null,
                             "hello_retry": true, "hello_retry_group": null},
        }))
        .unwrap()
    }

    #[test]
    fn observed_handshakes_are_capped_in_series_and_count_the_rest() {
        let mut m = ObservedMetrics::default();
        m.add(&observed("10.0.0.1:5000", "10.0.0.2:443"));
        m.add(&observed("10.0.0.1:5001", "10.0.0.2:443"));
        for i in 0..MAX_OBSERVED_SERIES + 2 {
            m.add(&observed(
                &format!("10.1.{}.{}:5000", i / 256, i % 256),
                "10.0.0.2:443",
            ));
        }
        let mut out = Exposition::default();
        m.write(&crate::observe::CaptureStats::default(), &[], &mut out);
        let text = out.text();
        // One series per client address (not per port), until the cap.
        assert!(text.contains("pqready_observed_handshakes_total{client=\"10.0.0.1\",server=\"10.0.0.2:443\",group=\"unknown\",version=\"unknown\",hello_retry=\"true\"} 2\n"), "{text}");
        let series = text
            .lines()
            .filter(|l| l.starts_with("pqready_observed_handshakes_total{"))
            .count();
        assert_eq!(series, MAX_OBSERVED_SERIES);
        assert!(
            text.contains("pqready_observed_series_dropped_total 3\n"),
            "{text}"
        );
    }

    #[test]
    fn an_ssh_server_gets_one_kex_series_per_method_without_pseudo_methods() {
        let mut obs = crate::probe::TargetObservation::with_groups(&[], &[]);
        let ssh = crate::probe::ssh::SshObservation {
            kex: ["mlkem768x25519-sha256", "curve25519-sha256", "ext-info-s"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        let assessed = crate::assess::ssh::endpoint(&ssh);
        obs.ssh = Some(ssh);
        let report = TargetReport::probed("n:22", obs, assessed);
        let labels = EndpointLabels {
            target: Some("n:22".into()),
            category: None,
            component: None,
        };
        let mut page = Exposition::default();
        EndpointMetrics::of(&report).write(&labels, 0, &mut page);
        let text = page.text();
        let kex: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("pqready_ssh_kex_info{"))
            .collect();
        assert_eq!(
            kex,
            [
                r#"pqready_ssh_kex_info{target="n:22",kex="mlkem768x25519-sha256",pq="true"} 1"#,
                r#"pqready_ssh_kex_info{target="n:22",kex="curve25519-sha256",pq="false"} 1"#,
            ]
        );
        assert!(text.contains("probe_success{target=\"n:22\"} 1"), "{text}");
        assert!(text.contains("pqready_standing{target=\"n:22\",standing=\"pq\"} 1"));
    }

    #[test]
    fn families_are_grouped_with_help_and_type_once() {
        let mut page = Exposition::default();
        page.sample(&PROBE_SUCCESS, &[("target", "a:1")], 1.0);
        page.sample(&PQ_READY, &[("target", "a:1")], 0.0);
        page.sample(&PROBE_SUCCESS, &[("target", "b:2")], 0.0);
        let text = page.text();
        assert_eq!(
            text,
            "# HELP probe_success Whether the endpoint was reached and answered TLS (1) or not (0).\n\
             # TYPE probe_success gauge\n\
             probe_success{target=\"a:1\"} 1\n\
             probe_success{target=\"b:2\"} 0\n\
             # HELP pqready_pq_ready Whether the endpoint supports a standard post-quantum key exchange (ML-KEM).\n\
             # TYPE pqready_pq_ready gauge\n\
             pqready_pq_ready{target=\"a:1\"} 0\n"
        );
    }

    #[test]
    fn label_values_are_escaped_and_bounded() {
        let mut page = Exposition::default();
        let hostile = format!("CN=a\"b\\c\nd\u{7}{}", "x".repeat(1000));
        page.sample(&CERT_INFO, &[("subject", hostile.as_str())], 1.0);
        let text = page.text();
        let line = text.lines().nth(2).unwrap();
        assert!(
            line.starts_with(r#"pqready_certificate_info{subject="CN=a\"b\\c\nd"#),
            "{line}"
        );
        assert!(line.len() < MAX_LABEL_CHARS + 64, "{}", line.len());
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn edges_are_a_state_set_written_once_and_unprobed_findings_keep_their_component() {
        let edge = |client: &str, standing| EdgeMetrics {
            client_kind: "workload",
            client: client.into(),
            server_category: "apiserver",
            server: "kube-apiserver".into(),
            group: String::new(),
            standing,
        };
        let mut counts = FindingCounts::default();
        let finding = Finding::new(
            FindingKind::UnknownClientBuild,
            "x".into(),
            String::new(),
            Vec::new(),
        );
        counts.add(&[finding.clone(), finding]);
        let cluster = ClusterMetrics {
            // Two workloads of one name (a Deployment and a StatefulSet).
            edges: vec![
                edge("shop/cart", Standing::Unknown),
                edge("shop/cart", Standing::Unknown),
                edge("shop/web", Standing::Classical),
            ],
            unprobed: vec![("webhook".into(), "policy".into(), counts)],
        };
        let mut page = Exposition::default();
        cluster.write(&mut page);
        let text = page.text();
        let series: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("pqready_edge_standing{"))
            .collect();
        assert_eq!(series.len(), 2 * Standing::ALL.len(), "{text}");
        assert!(text.contains(
            "pqready_edge_standing{client_kind=\"workload\",client=\"shop/web\",server_category=\"apiserver\",server=\"kube-apiserver\",group=\"\",standing=\"classical\"} 1\n"
        ));
        let ones = series.iter().filter(|l| l.ends_with(" 1")).count();
        assert_eq!(ones, 2, "{text}");
        assert!(text.contains(
            "pqready_findings{category=\"webhook\",component=\"policy\",kind=\"unknown-client-build\",severity=\"info\"} 2\n"
        ), "{text}");
    }

    #[test]
    fn values_print_as_prometheus_reads_them() {
        let mut s = String::new();
        for v in [
            1.0,
            0.0,
            1.5,
            1_700_000_000.0,
            f64::NAN,
            f64::INFINITY,
            -3.0,
        ] {
            write_value(v, &mut s);
            s.push(' ');
        }
        assert_eq!(s, "1 0 1.5 1700000000 NaN +Inf -3 ");
    }

    #[test]
    fn deadline_dates_become_the_first_second_after_the_year() {
        assert_eq!(date_to_unix_after("2030-12-31"), Some(1_924_992_000));
        assert_eq!(
            crate::time::rfc3339_seconds(1_924_992_000),
            "2031-01-01T00:00:00Z"
        );
    }
}
