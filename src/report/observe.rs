//! Rendering for `pqready observe`: one JSON Lines record per connection
//! (`observed-connection`), the closing summary (`observe-summary`: edges
//! worst first, totals, findings, what the capture held), and the summary
//! table. Both read back (`pqready report`): each record carries its own
//! judgement and the summary the capture-wide one, so nothing is judged again.

use super::style::Style;
use crate::assess::observed::{
    ConnectionJudgement, EdgePrediction, ObserveAssessment, ObservedEdge, PredictionSummary,
};
use crate::assess::Finding;
use crate::observe::{CaptureStats, ObservedConnection};
use crate::vocab::{DocumentKind, Standing};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One observed connection as reported (one JSON line): the facts and the
/// judgement side by side.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ObservedRecord {
    /// Always `pqready/v1`.
    #[schemars(with = "String", extend("const" = crate::report::SCHEMA))]
    pub schema: crate::report::Schema,
    /// Always `observed-connection`.
    #[schemars(with = "String", extend("const" = "observed-connection"))]
    pub kind: DocumentKind,
    /// The facts.
    #[serde(flatten)]
    pub observed: ObservedConnection,
    /// The judgement.
    #[serde(flatten)]
    pub judged: ConnectionJudgement,
}

impl ObservedRecord {
    /// The record of one connection.
    pub fn new(observed: ObservedConnection, judged: ConnectionJudgement) -> Self {
        ObservedRecord {
            schema: crate::report::Schema,
            kind: DocumentKind::ObservedConnection,
            observed,
            judged,
        }
    }
}

/// The end of an observe run (the last JSON line).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ObserveSummary {
    /// Always `pqready/v1`.
    #[schemars(with = "String", extend("const" = crate::report::SCHEMA))]
    pub schema: crate::report::Schema,
    /// Always `observe-summary`.
    #[schemars(with = "String", extend("const" = "observe-summary"))]
    pub kind: DocumentKind,
    /// What the capture held: packets, flows, drops, notes.
    pub capture: CaptureStats,
    /// Edges worst first, and totals.
    #[serde(flatten)]
    pub assessed: ObserveAssessment,
    /// Every finding of every edge (also under `edges[].findings`).
    pub findings: Vec<Finding>,
}

impl ObserveSummary {
    /// The summary of `assessed`.
    pub fn new(capture: CaptureStats, assessed: ObserveAssessment) -> Self {
        let findings = assessed.findings().cloned().collect();
        ObserveSummary {
            schema: crate::report::Schema,
            kind: DocumentKind::ObserveSummary,
            capture,
            assessed,
            findings,
        }
    }
}

/// `group ×n, …`, most connections first.
pub(crate) fn counts(map: &std::collections::BTreeMap<String, u64>) -> String {
    let mut v: Vec<_> = map.iter().collect();
    v.sort_by_key(|(g, n)| (std::cmp::Reverse(**n), (*g).clone()));
    v.iter()
        .map(|(g, n)| format!("{g} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The edge of `standing` counts that decides its colour: its worst.
pub(crate) fn worst(standings: &std::collections::BTreeMap<Standing, u64>) -> Standing {
    standings
        .keys()
        .copied()
        .filter(|s| s.rank().is_some())
        .max_by_key(|s| s.rank())
        .unwrap_or(Standing::Unknown)
}

/// The summary as a table: edges by count, worst first, then totals,
/// findings and what the capture held.
pub fn summary_table(s: &ObserveSummary, style: Style) -> String {
    let mut out = String::new();
    let a = &s.assessed;
    let _ = writeln!(
        out,
        "{:<24} {:<28} {:>6}  {:<40} FINDINGS",
        "CLIENT", "SERVER", "CONNS", "NEGOTIATED"
    );
    for e in &a.edges {
        let findings: Vec<String> = e.findings.iter().map(|f| f.id.to_string()).collect();
        let groups = counts(&e.groups);
        let client = match (client_pod(e), &e.client_process) {
            (Some(pod), _) => pod,
            (None, Some(p)) => format!("{} {p}", e.client),
            (None, None) => e.client.clone(),
        };
        let server = match &e.server_workload {
            Some(w) => format!("{} ({w})", e.server_label()),
            None => e.server_label(),
        };
        let _ = writeln!(
            out,
            "{:<24} {:<28} {:>6}  {} {}",
            super::printable(&client),
            super::printable(&server),
            e.connections,
            style.standing(worst(&e.standings), &format!("{groups:<40}")),
            if findings.is_empty() {
                "-".to_string()
            } else {
                findings.join(",")
            }
        );
    }
    let _ = writeln!(out, "\n{}", totals_sentence(a, ": "));
    if let Some(p) = &a.prediction {
        let _ = writeln!(out, "cluster audit: {}", prediction_sentence(p));
        for e in &a.edges {
            for p in e.predictions.iter().flatten() {
                let _ = writeln!(
                    out,
                    "  {} → {}: {}",
                    super::printable(&e.client),
                    super::printable(&e.server),
                    super::printable(&edge_prediction_text(p))
                );
            }
        }
    }
    let c = &s.capture;
    let _ = writeln!(out, "capture: {}", capture_sentence(c));
    for note in &c.notes {
        let _ = writeln!(out, "note: {}", super::printable(note));
    }
    if !s.findings.is_empty() {
        let _ = writeln!(out);
    }
    for f in &s.findings {
        let _ = writeln!(
            out,
            "{} {}: {}\n    {}",
            style.severity(f.severity),
            f.id,
            f.title,
            super::printable(&f.detail)
        );
    }
    out
}

/// "N connections on M edges{joiner}groups ×counts": the totals line of the
/// table (joined by ": ") and of the HTML page ("; negotiated: ").
pub fn totals_sentence(a: &ObserveAssessment, joiner: &str) -> String {
    let total: u64 = a.groups.values().sum();
    format!(
        "{total} connection{} on {} edge{}{joiner}{}",
        if total == 1 { "" } else { "s" },
        a.edges.len(),
        if a.edges.len() == 1 { "" } else { "s" },
        if a.groups.is_empty() {
            "none".to_string()
        } else {
            counts(&a.groups)
        }
    )
}

/// What the capture held and what was left out, in one sentence (the
/// table's `capture:` line, the HTML page's).
pub fn capture_sentence(c: &CaptureStats) -> String {
    format!(
        "{} file{}, {} packets ({} bytes), {} skipped, {} cut by the snapshot length; {} flows (TCP and QUIC), {} without a TLS hello, {} dropped by the flow cap",
        c.files,
        if c.files == 1 { "" } else { "s" },
        c.packets,
        c.bytes,
        c.packets_skipped,
        c.packets_cut,
        c.flows,
        c.flows_without_hello,
        c.flows_dropped
    )
}

/// The client's Pod as the edge names it: `namespace/pod`, with `
/// (container)` when the API named the container.
pub fn client_pod(e: &ObservedEdge) -> Option<String> {
    let pod = e.client_pod.as_ref()?;
    Some(match &e.client_container {
        Some(c) => format!("{pod} ({c})"),
        None => pod.clone(),
    })
}

/// One audit edge's prediction for an observed edge, in a sentence: `the
/// audit's kube-apiserver → kubelet node-a (go1.23, matched by profile)
/// predicted x25519: agrees (x25519 ×2)`.
pub fn edge_prediction_text(p: &EdgePrediction) -> String {
    format!(
        "the audit's {} ({}, matched by {}) predicted {}: {} ({})",
        p.cluster_edge,
        p.client_profile.as_deref().unwrap_or("unknown build"),
        p.matched_by,
        p.predicted_group,
        if p.agrees { "agrees" } else { "contradicts" },
        counts(&p.observed_groups)
    )
}

/// How the capture compares with the cluster audit, in one sentence.
pub fn prediction_sentence(p: &PredictionSummary) -> String {
    format!(
        "{} connection{} matched an audit edge: {} agree, {} contradict; {} unmatched, {} ambiguous; {} observed edge{} without a prediction; {} of {} audit edges not observed",
        p.connections_matched,
        if p.connections_matched == 1 { "" } else { "s" },
        p.connections_agreeing,
        p.connections_contradicting,
        p.connections_unmatched,
        p.connections_ambiguous,
        p.observed_edges_unmatched,
        if p.observed_edges_unmatched == 1 { "" } else { "s" },
        p.cluster_edges_not_observed.len(),
        p.cluster_edges
    )
}
