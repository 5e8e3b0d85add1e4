//! The HTML renderer (`-o html`): one self-contained HTML5 document, written
//! when the run ends. Inline CSS only, no script, no reference to anything
//! outside the file (no fonts, images or links to elsewhere), so it opens
//! offline and reads the same without JavaScript.
//!
//! It holds: a summary with charts drawn as inline SVG (post-quantum status
//! per component category, or over the probed targets; each judged
//! certificate's validity against the deadline dates its judgement names),
//! the `--fail-on` decision, a table per target or component, every finding
//! with its fix, the client × server matrix where client profiles were
//! replayed, a cluster's connections as a graph (an inline SVG laid out
//! here, alike edges drawn as one line) with what to upgrade first and a row
//! per line, the `certs` and `binaries` results, and the client → server
//! edges `observe` saw in a capture.
//!
//! Must not: judge. Every status, deadline and finding comes from the model;
//! this module only lays them out. Every string from a peer or a file is
//! HTML-escaped (a certificate subject can hold `<script>`).

use super::binaries::BinaryReport;
use super::cert_files::{FileReport, Summary as CertSummary};
use super::certs::{auth_text, deadline_text};
use super::cluster::{edge_rows, ClusterReport, EdgeRow};
use super::style::{self, Tone, Use};
use super::{printable, Part, Renderer, TargetReport};
use crate::assess::certs::JudgedCertificate;
use crate::assess::gate::GateDecision;
use crate::assess::Finding;
use crate::discover::cluster::Category;
use crate::gobin::{Counts, FileError};
use crate::vocab::{ClientKind, Severity, Standing};
use crate::wire::NamedGroup;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The HTML renderer: keeps every part until [`Renderer::finish`].
#[derive(Default)]
pub struct HtmlRenderer {
    targets: Vec<TargetReport>,
    clusters: Vec<ClusterReport>,
    cert_files: Vec<FileReport>,
    cert_summary: Option<CertSummary>,
    binaries: Vec<BinaryReport>,
    binary_totals: Option<(Counts, Vec<FileError>)>,
    gate: Option<GateDecision>,
    baseline: Option<crate::assess::baseline::BaselineDiff>,
    inspected: Option<super::inspect::Summary>,
    observed: Vec<super::observe::ObserveSummary>,
}

impl Renderer for HtmlRenderer {
    fn part(&mut self, part: Part<'_>) -> String {
        match part {
            Part::Target(report) => self.targets.push(report.clone()),
            Part::Cluster(report) => self.clusters.push(report.clone()),
            Part::CertFile(file) => self.cert_files.push(file.clone()),
            Part::CertSummary(summary) => self.cert_summary = Some(summary.clone()),
            Part::Binary(report) => self.binaries.push(report.clone()),
            Part::BinaryTotals { counts, errors } => {
                self.binary_totals = Some((*counts, errors.to_vec()))
            }
            // `inspect`, `profiles` and `matrix` refuse `-o html` before they
            // run (commands::output), so these never reach this renderer.
            // Each record is in the summary that closes the session.
            Part::InspectSummary(summary) => self.inspected = Some(summary.clone()),
            // Each observed connection is counted in its edge, in the summary.
            Part::ObserveSummary(summary) => self.observed.push(summary.clone()),
            Part::InspectRecord(_)
            | Part::Profiles(_)
            | Part::Matrix { .. }
            | Part::ObservedConnection(_) => {}
        }
        String::new()
    }

    fn baseline(&mut self, diff: &crate::assess::baseline::BaselineDiff) -> String {
        self.baseline = Some(diff.clone());
        String::new()
    }

    fn gate(&mut self, decision: &GateDecision) -> String {
        self.gate = Some(decision.clone());
        String::new()
    }

    fn finish(&mut self) -> String {
        let mut out = String::with_capacity(64 * 1024);
        out.push_str(HEAD);
        out.push_str(&style::stylesheet());
        out.push_str(BODY);
        let _ = writeln!(out, "<h1>pqready report</h1>");
        let _ = writeln!(out, "<p class=\"lead\">{}</p>", esc(&self.scope()));
        if let Some(gate) = &self.gate {
            gate_section(&mut out, gate);
        }
        self.summary_section(&mut out);
        if let Some(diff) = &self.baseline {
            baseline_section(&mut out, diff);
        }
        if !self.targets.is_empty() {
            targets_section(&mut out, &self.targets);
            matrix_section(&mut out, &self.targets);
        }
        for cluster in &self.clusters {
            cluster_section(&mut out, cluster);
        }
        if !self.cert_files.is_empty() || self.cert_summary.is_some() {
            certs_section(&mut out, &self.cert_files, self.cert_summary.as_ref());
        }
        if !self.binaries.is_empty() || self.binary_totals.is_some() {
            binaries_section(&mut out, &self.binaries, self.binary_totals.as_ref());
        }
        if let Some(summary) = &self.inspected {
            clients_section(&mut out, summary);
        }
        for summary in &self.observed {
            observed_section(&mut out, summary);
        }
        findings_section(&mut out, &self.findings());
        out.push_str("<footer>Generated by pqready ");
        out.push_str(env!("CARGO_PKG_VERSION"));
        out.push_str(". Self-contained: no scripts, no external resources.</footer>\n");
        out.push_str("</body>\n</html>\n");
        out
    }
}

impl HtmlRenderer {
    /// What the document covers, in one line.
    fn scope(&self) -> String {
        let mut parts = Vec::new();
        let n = |count: usize, one: &str, many: &str| {
            format!("{count} {}", if count == 1 { one } else { many })
        };
        if !self.targets.is_empty() {
            parts.push(n(self.targets.len(), "target", "targets"));
        }
        for c in &self.clusters {
            parts.push(format!(
                "cluster {} ({})",
                printable(&c.cluster.server),
                n(c.components.len(), "component", "components")
            ));
        }
        if !self.cert_files.is_empty() {
            parts.push(n(
                self.cert_files.len(),
                "certificate file",
                "certificate files",
            ));
        }
        if !self.binaries.is_empty() || self.binary_totals.is_some() {
            parts.push(n(self.binaries.len(), "Go binary", "Go binaries"));
        }
        if let Some(summary) = &self.inspected {
            parts.push(format!(
                "{} from {}",
                n(
                    summary.total as usize,
                    "inspected connection",
                    "inspected connections"
                ),
                n(summary.clients.len(), "distinct client", "distinct clients")
            ));
        }
        for s in &self.observed {
            let total: u64 = s.assessed.edges.iter().map(|e| e.connections).sum();
            parts.push(format!(
                "{} on {} seen in {}",
                n(
                    total as usize,
                    "observed connection",
                    "observed connections"
                ),
                n(s.assessed.edges.len(), "edge", "edges"),
                n(s.capture.files as usize, "capture", "captures")
            ));
        }
        if parts.is_empty() {
            "No results.".into()
        } else {
            parts.join(", ")
        }
    }

    /// Every finding, most severe first, with where it was raised.
    fn findings(&self) -> Vec<(String, Finding)> {
        let mut all: Vec<(String, Finding)> = Vec::new();
        for t in &self.targets {
            for f in &t.assessed.findings {
                all.push((t.target.clone(), f.clone()));
            }
        }
        for c in &self.clusters {
            for f in &c.findings {
                all.push((format!("cluster {}", c.cluster.server), f.clone()));
            }
        }
        for file in &self.cert_files {
            for f in &file.findings {
                all.push((file.path.clone(), f.clone()));
            }
        }
        for e in self.observed.iter().flat_map(|s| &s.assessed.edges) {
            for f in &e.findings {
                all.push((format!("{} → {}", e.client, e.server_label()), f.clone()));
            }
        }
        all.sort_by_key(|(_, f)| std::cmp::Reverse(f.severity));
        all
    }

    fn summary_section(&self, out: &mut String) {
        out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n");
        let mut rows: Vec<(String, StandingCounts)> = Vec::new();
        if !self.targets.is_empty() {
            let mut counts = [0; Standing::ALL.len()];
            for t in &self.targets {
                counts[t.standing() as usize] += 1;
            }
            rows.push(("probed targets".into(), counts));
        }
        for c in &self.clusters {
            let mut categories: Vec<(String, StandingCounts)> = Vec::new();
            for comp in &c.components {
                let bucket = comp.standing() as usize;
                let name = comp.component.category.to_string();
                match categories.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, counts)) => counts[bucket] += 1,
                    None => {
                        let mut counts = [0; Standing::ALL.len()];
                        counts[bucket] = 1;
                        categories.push((name, counts));
                    }
                }
            }
            rows.extend(categories);
        }
        if !self.binaries.is_empty() {
            let mut counts = [0; Standing::ALL.len()];
            for b in &self.binaries {
                counts[crate::assess::standing::offer(b.verdict) as usize] += 1;
            }
            rows.push(("Go binaries (default offer)".into(), counts));
        }
        if !self.observed.is_empty() {
            let mut counts = [0; Standing::ALL.len()];
            for (standing, n) in self.observed.iter().flat_map(|s| &s.assessed.standings) {
                counts[*standing as usize] += n;
            }
            rows.push(("observed connections".into(), counts));
        }
        if !rows.is_empty() {
            out.push_str("<h3>Key exchange: post-quantum or not</h3>\n");
            out.push_str(&status_chart(&rows));
        }
        let certs = self.judged_certificates();
        if !certs.is_empty() {
            out.push_str("<h3>Certificate validity against the deadlines</h3>\n");
            out.push_str(&timeline_chart(&certs));
        }
        if let Some(s) = &self.cert_summary {
            let _ = writeln!(
                out,
                "<p>{} files: {} certificates, {} keys and requests ({} quantum-safe, {} quantum-vulnerable, {} unknown); {} unreadable, {} skipped.</p>",
                s.files, s.certificates, s.keys, s.quantum_safe, s.quantum_vulnerable, s.unknown, s.unreadable, s.skipped
            );
            if let Some(c) = &s.earliest_deadline_crossed {
                let _ = writeln!(out, "<p>Earliest deadline crossed: {}.</p>", esc(&c.text()));
            }
        }
        let findings = self.findings();
        let count = |s: Severity| findings.iter().filter(|(_, f)| f.severity == s).count();
        let counts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .map(|s| {
                format!(
                    "<span class=\"{}\">{} {s}</span>",
                    style::severity_class(*s),
                    count(*s)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<p class=\"counts\">Findings: {}.</p>",
            counts.join(", ")
        );
        out.push_str("</section>\n");
    }

    /// Every judged certificate of the run, once per fingerprint.
    fn judged_certificates(&self) -> Vec<&JudgedCertificate> {
        let mut all: Vec<&JudgedCertificate> = Vec::new();
        let targets = self.targets.iter().chain(
            self.clusters
                .iter()
                .flat_map(|c| c.components.iter().filter_map(|c| c.result.as_ref())),
        );
        for t in targets {
            all.extend(&t.assessed.certificates);
        }
        all.extend(
            self.cert_files
                .iter()
                .flat_map(|f| f.certificates.iter().map(|c| &c.certificate)),
        );
        let mut seen = std::collections::HashSet::new();
        all.retain(|c| seen.insert(c.facts.fingerprint_sha256.clone()));
        all
    }
}

/// The document up to the stylesheet (`style::stylesheet`), and from it to the body.
const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pqready">
<title>pqready report</title>
<style>
"#;
const BODY: &str = "</style>\n</head>\n<body>\n";

/// `text` safe inside HTML text and attribute values (control characters
/// shown escaped, as in the table output).
pub fn esc(text: &str) -> String {
    let text = printable(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Subjects per standing, indexed by `Standing as usize` (the drawing order).
type StandingCounts = [u64; Standing::ALL.len()];

fn badge(standing: Standing) -> String {
    format!(
        "<span class=\"b {}\">{standing}</span>",
        style::standing(standing).class(Use::Badge)
    )
}

/// One horizontal stacked bar per row, with a legend of the totals.
fn status_chart(rows: &[(String, StandingCounts)]) -> String {
    const LABEL_W: u32 = 210;
    const BAR_W: u32 = 560;
    const ROW_H: u32 = 28;
    let height = ROW_H * rows.len() as u32 + 40;
    let width = LABEL_W + BAR_W + 20;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"post-quantum status\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n"
    );
    for (i, (label, counts)) in rows.iter().enumerate() {
        let y = i as u32 * ROW_H + 4;
        let total: u64 = counts.iter().sum();
        let _ = writeln!(
            svg,
            "<text x=\"0\" y=\"{}\">{} ({total})</text>",
            y + 16,
            esc(label)
        );
        let mut x = LABEL_W as f64;
        for (&standing, &n) in Standing::ALL.iter().zip(counts) {
            if n == 0 || total == 0 {
                continue;
            }
            let w = BAR_W as f64 * n as f64 / total as f64;
            let tone = style::standing(standing);
            let _ = writeln!(
                svg,
                "<rect class=\"{}\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\"><title>{standing}: {n}</title></rect>",
                tone.class(Use::Fill),
                ROW_H - 6
            );
            if w >= 22.0 {
                let dark = tone.light_fill();
                let _ = writeln!(
                    svg,
                    "<text{} x=\"{:.1}\" y=\"{}\">{n}</text>",
                    if dark { "" } else { " class=\"inv\"" },
                    x + 5.0,
                    y + 16
                );
            }
            x += w;
        }
    }
    // Legend: every bucket with its total over all rows.
    let ly = rows.len() as u32 * ROW_H + 20;
    let mut lx = 0u32;
    for (bucket, standing) in Standing::ALL.iter().enumerate() {
        let total: u64 = rows.iter().map(|(_, c)| c[bucket]).sum();
        let _ = writeln!(
            svg,
            "<rect class=\"{}\" x=\"{lx}\" y=\"{}\" width=\"12\" height=\"12\"/><text x=\"{}\" y=\"{}\">{standing} {total}</text>",
            style::standing(*standing).class(Use::Fill),
            ly - 10,
            lx + 16,
            ly
        );
        lx += 110;
    }
    svg.push_str("</svg>\n");
    svg
}

/// Seconds since 1970 of `YYYY-MM-DD`.
fn unix_of(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    Some(crate::time::unix_of_date(y, m, d))
}

/// Each certificate's validity as a line on a time axis, with the deadline
/// dates of the tables that judged them as dashed verticals.
fn timeline_chart(certs: &[&JudgedCertificate]) -> String {
    const SHOWN: usize = 40;
    const LABEL_W: f64 = 250.0;
    const PLOT_W: f64 = 540.0;
    const ROW_H: u32 = 18;
    // The deadline dates the judgements name: (date, "nist deprecated").
    let mut deadlines: Vec<(String, String)> = Vec::new();
    for c in certs {
        for d in &c.deadlines {
            for (date, what) in [
                (&d.deprecated_after, "deprecated"),
                (&d.disallowed_after, "disallowed"),
            ] {
                if let Some(date) = date {
                    let label = format!("{} {what}", d.table);
                    if !deadlines.iter().any(|(x, l)| x == date && *l == label) {
                        deadlines.push((date.clone(), label));
                    }
                }
            }
        }
    }
    deadlines.sort();
    let shown: Vec<&&JudgedCertificate> = certs.iter().take(SHOWN).collect();
    let year = 365 * 86_400;
    let times = shown
        .iter()
        .flat_map(|c| [c.facts.not_before_unix, c.facts.not_after_unix])
        .chain(deadlines.iter().filter_map(|(d, _)| unix_of(d)));
    let (lo, hi) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    // Whole years around everything drawn.
    let lo_year = crate::time::date(lo)[..4].parse::<i64>().unwrap_or(2000);
    let hi_year = crate::time::date(hi)[..4].parse::<i64>().unwrap_or(lo_year) + 1;
    let (t0, t1) = (
        crate::time::unix_of_date(lo_year, 1, 1),
        crate::time::unix_of_date(hi_year, 1, 1)
            .max(crate::time::unix_of_date(lo_year, 1, 1) + year),
    );
    let x = |t: i64| LABEL_W + PLOT_W * (t.clamp(t0, t1) - t0) as f64 / (t1 - t0) as f64;
    let label_rows = deadlines.len() as u32;
    let top = 16 * label_rows + 8;
    let height = top + ROW_H * shown.len() as u32 + 30;
    let width = (LABEL_W + PLOT_W + 20.0) as u32;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"certificate deadlines\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n"
    );
    // Year ticks along the bottom.
    let axis_y = top + ROW_H * shown.len() as u32 + 4;
    let span = (hi_year - lo_year).max(1);
    let step = (span / 10).max(1);
    let mut y = lo_year;
    while y <= hi_year {
        let tx = x(crate::time::unix_of_date(y, 1, 1));
        let _ = writeln!(
            svg,
            "<line class=\"axis\" x1=\"{tx:.1}\" y1=\"{top}\" x2=\"{tx:.1}\" y2=\"{axis_y}\"/><text x=\"{:.1}\" y=\"{}\">{y}</text>",
            tx - 14.0,
            axis_y + 16
        );
        y += step;
    }
    for (i, (date, label)) in deadlines.iter().enumerate() {
        let Some(t) = unix_of(date) else { continue };
        let dx = x(t);
        let _ = writeln!(
            svg,
            "<line class=\"dl\" x1=\"{dx:.1}\" y1=\"{}\" x2=\"{dx:.1}\" y2=\"{axis_y}\"/><text x=\"{:.1}\" y=\"{}\">{} {}</text>",
            16 * i as u32 + 10,
            (dx - 190.0).max(LABEL_W - 240.0),
            16 * i as u32 + 12,
            esc(label),
            esc(date)
        );
    }
    for (i, c) in shown.iter().enumerate() {
        let ry = top + ROW_H * i as u32 + ROW_H / 2;
        let (tone, meaning) = style::validity(c.quantum_safe, &c.deadlines);
        let class = tone.class(Use::Line);
        let name = c.facts.short_name();
        let short: String = name.chars().take(34).collect();
        let _ = writeln!(
            svg,
            "<text x=\"0\" y=\"{}\">{}{}</text>",
            ry + 4,
            esc(&short),
            if short.len() < name.len() { "…" } else { "" }
        );
        let _ = writeln!(
            svg,
            "<line class=\"{class}\" stroke-width=\"8\" x1=\"{:.1}\" y1=\"{ry}\" x2=\"{:.1}\" y2=\"{ry}\"><title>{}: {} until {} ({meaning})</title></line>",
            x(c.facts.not_before_unix),
            x(c.facts.not_after_unix).max(x(c.facts.not_before_unix) + 2.0),
            esc(&name),
            esc(&c.facts.key.describe()),
            esc(c.facts.not_after.get(..10).unwrap_or(&c.facts.not_after))
        );
    }
    svg.push_str("</svg>\n");
    let mut out = svg;
    let legend: Vec<String> = style::VALIDITIES
        .iter()
        .map(|(tone, meaning)| format!("{}: {meaning}", tone.called()))
        .collect();
    let _ = write!(
        out,
        "<p class=\"note\">Each line is a certificate's validity; {}. Dashed lines: the deadline dates of the tables applied.",
        legend.join(", ")
    );
    if certs.len() > SHOWN {
        let _ = write!(
            out,
            " The first {SHOWN} of {} certificates are drawn; the tables below list all.",
            certs.len()
        );
    }
    out.push_str("</p>\n");
    out
}

/// What changed since `--baseline`: the counts, then one item per change.
fn baseline_section(out: &mut String, d: &crate::assess::baseline::BaselineDiff) {
    let headline = super::table::baseline_headline(d, super::Style { color: false });
    let _ = writeln!(
        out,
        "<section id=\"baseline\">\n<h2>Changes since baseline</h2>\n<p>{}</p>",
        esc(&headline)
    );
    let items = super::table::baseline_items(d);
    if !items.is_empty() {
        out.push_str("<ul>\n");
        for item in items {
            let _ = writeln!(out, "<li>{}</li>", esc(&item));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn gate_section(out: &mut String, d: &GateDecision) {
    let class = style::decision(d.failed).class(Use::Badge);
    // The same words as the table's last line; nothing in it comes from a peer.
    let line = super::table::gate_line(d, super::Style { color: false });
    let text = line
        .trim_end()
        .strip_prefix("gate: ")
        .unwrap_or(line.trim_end());
    let _ = writeln!(
        out,
        "<div class=\"gate {class}\" id=\"gate\">Gate {}</div>",
        esc(text)
    );
}

fn groups(groups: &[NamedGroup]) -> String {
    if groups.is_empty() {
        return "-".into();
    }
    groups
        .iter()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The leaf certificate a target served: subject and key, its first
/// deadline, as two cells.
fn leaf_cells(r: &TargetReport) -> (String, String) {
    let certs = &r.assessed.certificates;
    let leaf = certs
        .iter()
        .find(|c| c.facts.role.as_deref() == Some("leaf"))
        .or(certs.first());
    match leaf {
        Some(c) => (
            format!(
                "{}<br><span class=\"mono\">{}, signed with {}</span>",
                esc(&c.facts.short_name()),
                esc(&c.facts.key.describe()),
                esc(&c.facts.signature_algorithm)
            ),
            c.deadlines
                .first()
                .map(|d| format!("{}: {}", d.table, esc(&deadline_text(d))))
                .unwrap_or_else(|| "-".into()),
        ),
        None => ("-".into(), "-".into()),
    }
}

fn targets_section(out: &mut String, targets: &[TargetReport]) {
    out.push_str("<section id=\"targets\">\n<h2>Targets</h2>\n<table>\n<tr><th>Target</th><th>Status</th><th>Verdict</th><th>TLS</th><th>Groups</th><th>PQ client gets</th><th>Leaf certificate</th><th>Deadline</th><th>Authentication</th></tr>\n");
    for t in targets {
        let r = &t.observed;
        let (leaf, deadline) = leaf_cells(t);
        let tls: Vec<String> = r.tls_versions.iter().map(|v| v.to_string()).collect();
        let gets = match (&r.handshake.negotiated_group, &r.handshake.error) {
            (Some(g), _) => g.to_string(),
            (None, Some(e)) => esc(e),
            (None, None) => "-".into(),
        };
        let verdict = match &t.error {
            Some(e) => format!("{}<br>error: {}", esc(&t.assessed.verdict.text), esc(e)),
            None => esc(&t.assessed.verdict.text),
        };
        if let Some(ssh) = &r.ssh {
            // An SSH server: its protocol, key exchange in its order, and
            // what the newest OpenSSH profile negotiates.
            let newest = t
                .assessed
                .ssh_kex
                .as_ref()
                .and_then(|j| j.clients.last())
                .and_then(|c| c.kex.clone())
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{verdict}</td><td>SSH {}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>-</td><td>-</td><td class=\"mono\">{}</td></tr>",
                esc(&t.target),
                badge(t.standing()),
                esc(ssh.software.as_deref().unwrap_or("")),
                esc(&ssh.kex.join(", ")),
                esc(&newest),
                esc(&ssh.host_key.join(", "))
            );
            continue;
        }
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{verdict}</td><td>{}</td><td>{}</td><td>{gets}</td><td>{leaf}</td><td>{deadline}</td><td>{}</td></tr>",
            esc(&t.target),
            badge(t.standing()),
            esc(&tls.join(", ")),
            esc(&groups(r.groups.server_order.as_deref().unwrap_or(&r.groups.supported))),
            r.authentication
                .as_ref()
                .map(|a| esc(&auth_text(a)))
                .unwrap_or_else(|| "-".into())
        );
    }
    out.push_str("</table>\n");
    for t in targets {
        let Some(judged) = &t.assessed.ssh_kex else {
            continue;
        };
        let _ = writeln!(
            out,
            "<h3>SSH key exchange of <span class=\"mono\">{}</span></h3>\n<table>\n<tr><th>Client</th><th>Negotiates</th><th>PQ</th></tr>",
            esc(&t.target)
        );
        for c in &judged.clients {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
                esc(crate::catalog::ssh::ssh_client(&c.profile)
                    .map_or(c.profile.as_str(), |p| p.name)),
                esc(c.kex.as_deref().unwrap_or("no key exchange in common")),
                if c.pq { "yes" } else { "no" }
            );
        }
        out.push_str("</table>\n");
    }
    for t in targets
        .iter()
        .filter(|t| !t.assessed.certificates.is_empty())
    {
        let _ = writeln!(
            out,
            "<h3>Certificates of <span class=\"mono\">{}</span></h3>",
            esc(&t.target)
        );
        certificate_table(out, t.assessed.certificates.iter().map(|c| (c, None)));
    }
    out.push_str("</section>\n");
}

/// Certificates as a table; `source` names where each was found (files).
fn certificate_table<'a>(
    out: &mut String,
    certs: impl Iterator<Item = (&'a JudgedCertificate, Option<&'a str>)>,
) {
    out.push_str("<table>\n<tr><th>Role</th><th>Subject</th><th>Key</th><th>Signed with</th><th>Not after</th><th>PQ</th><th>Deadlines</th><th>Where</th></tr>\n");
    for (c, source) in certs {
        let f = &c.facts;
        let deadlines: Vec<String> = c
            .deadlines
            .iter()
            .map(|d| format!("{}: {}", d.table, esc(&deadline_text(d))))
            .collect();
        let (tone, _) = style::validity(c.quantum_safe, &c.deadlines);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"mono\">{}</td></tr>",
            esc(f.role.as_deref().unwrap_or("-")),
            esc(&f.subject),
            esc(&f.key.describe()),
            esc(&f.signature_algorithm),
            esc(f.not_after.get(..10).unwrap_or(&f.not_after)),
            if c.quantum_safe { "yes" } else { "no" },
            match tone {
                Tone::Bad | Tone::Warn => style::emphasis(tone, true),
                _ => String::new(),
            },
            deadlines.join("<br>"),
            esc(source.unwrap_or("served"))
        );
    }
    out.push_str("</table>\n");
}

/// Rows = client profiles, columns = targets, where profiles were replayed.
fn matrix_section(out: &mut String, targets: &[TargetReport]) {
    let columns: Vec<&TargetReport> = targets
        .iter()
        .filter(|t| !t.observed.clients.is_empty())
        .collect();
    if columns.is_empty() {
        return;
    }
    let mut profiles: Vec<&str> = Vec::new();
    for t in &columns {
        for c in &t.observed.clients {
            if !profiles.contains(&c.profile.as_str()) {
                profiles.push(&c.profile);
            }
        }
    }
    let _ = write!(out, "<section id=\"matrix\">\n<h2>Client × server matrix</h2>\n<p>What each replayed client profile negotiated with each target: {}.</p>\n<table>\n<tr><th>Client profile</th>", style::handshake_legend());
    for t in &columns {
        let _ = write!(out, "<th class=\"mono\">{}</th>", esc(&t.target));
    }
    out.push_str("</tr>\n");
    for profile in profiles {
        let _ = write!(out, "<tr><th>{}</th>", esc(profile));
        for t in &columns {
            let cell = t.observed.clients.iter().find(|c| c.profile == profile);
            let tone = cell.map_or(Tone::Plain, |c| {
                style::handshake(c.failed, !c.unanswered(), c.negotiated_group)
            });
            let text = match cell {
                None => "-".to_string(),
                Some(c) if c.unanswered() => "no answer".to_string(),
                Some(c) if c.failed => "fails".to_string(),
                Some(c) => {
                    let group = c
                        .negotiated_group
                        .map(|g| g.to_string())
                        .or_else(|| c.version.map(|v| format!("{v}, no ECDHE")))
                        .unwrap_or_else(|| "-".into());
                    let hrr = if c.hello_retry { " (HRR)" } else { "" };
                    format!("{group}{hrr}")
                }
            };
            let _ = write!(
                out,
                "<td class=\"{}\">{}</td>",
                tone.class(Use::Badge),
                esc(&text)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</section>\n");
}

fn cluster_section(out: &mut String, r: &ClusterReport) {
    let c = &r.cluster;
    let _ = writeln!(
        out,
        "<section id=\"cluster\">\n<h2>Cluster <span class=\"mono\">{}</span></h2>\n<p>Kubernetes {} ({}){}</p>",
        esc(&c.server),
        esc(c.git_version.as_deref().unwrap_or("?")),
        esc(c.go_version.as_deref().unwrap_or("?")),
        c.context
            .as_deref()
            .map(|n| format!(", context {}", esc(n)))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "<p>{}.</p>", esc(&r.summary.sentence()));
    edges_section(out, r);
    let mut categories: Vec<_> = Vec::new();
    for comp in &r.components {
        if !categories.contains(&comp.component.category) {
            categories.push(comp.component.category);
        }
    }
    for category in categories {
        let _ = writeln!(out, "<h3>{category}</h3>\n<table>\n<tr><th>Component</th><th>Address</th><th>Status</th><th>PQ groups</th><th>PQ client gets</th><th>Leaf certificate</th><th>Deadline</th><th>Authentication</th><th>Notes</th></tr>");
        for comp in r
            .components
            .iter()
            .filter(|x| x.component.category == category)
        {
            let result = comp.result.as_ref();
            let pq: Vec<NamedGroup> = result
                .map(|r| {
                    r.observed
                        .groups
                        .supported
                        .iter()
                        .copied()
                        .filter(|g| g.is_post_quantum())
                        .collect()
                })
                .unwrap_or_default();
            let (leaf, deadline) = result
                .filter(|r| r.error.is_none())
                .map(leaf_cells)
                .unwrap_or_else(|| ("-".into(), "-".into()));
            let mut notes = Vec::new();
            if let Some(e) = &comp.expected {
                notes.push(format!(
                    "expected {} from its build ({}): {}",
                    e.verdict,
                    esc(&e.model),
                    esc(&groups(&e.groups))
                ));
            }
            if let Some(err) = result.and_then(|r| r.error.as_deref()) {
                notes.push(format!("error: {}", esc(err)));
            }
            if let Some(note) = &comp.component.note {
                notes.push(esc(note));
            }
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{leaf}</td><td>{deadline}</td><td>{}</td><td>{}</td></tr>",
                esc(&comp.component.name),
                esc(comp.component.address.as_deref().unwrap_or("-")),
                badge(comp.standing()),
                esc(&groups(&pq)),
                result
                    .and_then(|r| r.observed.handshake.negotiated_group)
                    .map(|g| g.to_string())
                    .unwrap_or_else(|| "-".into()),
                result
                    .and_then(|r| r.observed.authentication.as_ref())
                    .map(|a| esc(&auth_text(a)))
                    .unwrap_or_else(|| "-".into()),
                notes.join("<br>")
            );
        }
        out.push_str("</table>\n");
    }
    if !r.local_clients.is_empty() {
        out.push_str("<h3>kubectl on this machine</h3>\n<table>\n<tr><th>Program</th><th>Version</th><th>Profile</th><th>Gets</th><th>Advice</th></tr>\n");
        for k in &r.local_clients {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{} ({})</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
                esc(&k.path),
                esc(&k.git_version),
                esc(&k.go_version),
                esc(&k.profile),
                style::handshake(k.negotiated_group.is_none(), true, k.negotiated_group).class(Use::Badge),
                k.negotiated_group
                    .map(|g| g.to_string())
                    .unwrap_or_else(|| "fails".into()),
                esc(k.advice.as_deref().unwrap_or("-"))
            );
        }
        out.push_str("</table>\n");
    }
    for h in &r.hidden {
        let _ = writeln!(
            out,
            "<p class=\"note\">Not read: {} ({})</p>",
            esc(&h.resource),
            esc(&h.reason)
        );
    }
    out.push_str("</section>\n");
}

/// The cluster's connections: the graph, what to upgrade first, and a row
/// per line of the graph.
fn edges_section(out: &mut String, r: &ClusterReport) {
    if r.edges.is_empty() {
        return;
    }
    let rows = edge_rows(&r.edges);
    let _ = writeln!(
        out,
        "<h3>Connections: client → server</h3>\n<p>{}.</p>",
        esc(&r.summary.edges.sentence())
    );
    out.push_str(&edge_graph(&rows));
    let standings: Vec<String> = Standing::ALL
        .iter()
        .filter(|s| rows.iter().any(|row| row.first().standing == **s))
        .map(|s| format!("{} {s}", style::standing(*s).called()))
        .collect();
    let _ = writeln!(
        out,
        "<p class=\"note\">Each line is one or more connections alike but for the names at their ends, from a client (left) to the server it connects to; its colour is what they negotiate ({}); dashed: a silent downgrade (both sides post-quantum capable, no group in common); dotted: not predicted; thicker: more connections. Boxes group components of one kind and version. Hover a line or a box for its names.</p>",
        standings.join(", ")
    );
    if !r.actions.is_empty() {
        out.push_str("<h3>Upgrade first</h3>\n<ol class=\"actions\">\n");
        for a in &r.actions {
            let _ = writeln!(
                out,
                "<li><span class=\"{}\">{}</span> {}</li>",
                style::severity_class(a.severity),
                a.severity.name().to_uppercase(),
                esc(&a.action)
            );
        }
        out.push_str("</ol>\n");
    }
    out.push_str("<table class=\"edges\">\n<tr><th>Edge (client → server)</th><th>Client build</th><th>Group</th><th>Status</th><th>ML-DSA</th><th>Carries</th><th>Finding</th><th>Names and notes</th></tr>\n");
    for row in &rows {
        let e = row.first();
        let silent = if e.silent_downgrade {
            format!(
                " <span class=\"{}\">silent downgrade</span>",
                style::emphasis(Tone::Bad, true)
            )
        } else {
            String::new()
        };
        let finding = row
            .finding()
            .map(|f| {
                format!(
                    "<span class=\"{}\">{}</span><br>{}",
                    style::severity_class(f.severity),
                    f.severity.name().to_uppercase(),
                    f.id
                )
            })
            .unwrap_or_else(|| "-".into());
        let carries: Vec<&str> = e.carries.iter().map(|c| c.name()).collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{silent}</td><td>{}</td><td>{}</td><td>{finding}</td><td>{}</td></tr>",
            esc(&row.label()),
            esc(&row.build()),
            esc(&row.group()),
            badge(e.standing),
            esc(&mldsa_text(row)),
            esc(&carries.join(", ")),
            names_cell(row)
        );
    }
    out.push_str("</table>\n");
}

/// Whether a row's edges could authenticate with ML-DSA today, and if not,
/// which side lacks it.
fn mldsa_text(row: &EdgeRow<'_>) -> String {
    let n = row.edges.len();
    let possible = row.edges.iter().filter(|e| e.mldsa.possible).count();
    if possible == n {
        return "possible".into();
    }
    if possible > 0 {
        return format!("possible on {possible} of {n}");
    }
    let m = &row.first().mldsa;
    match (m.client_accepts, m.server_offers) {
        (Some(false), Some(false)) => "no (neither side)".into(),
        (client, server) => {
            let mut why = Vec::new();
            match client {
                Some(false) => why.push("the client does not accept it"),
                None => why.push("the client's build is unknown"),
                Some(true) => {}
            }
            match server {
                Some(false) => why.push("the server offers none"),
                None => why.push("the server was not asked"),
                Some(true) => {}
            }
            format!("no ({})", why.join(", "))
        }
    }
}

/// More names than fit on a line stay folded (`<details>` needs no script).
const NAMES_INLINE: usize = 10;

/// The names a grouped row stands for, and its edges' notes.
fn names_cell(row: &EdgeRow<'_>) -> String {
    let mut cell = String::new();
    let (kind, names) = if row.clients.len() > 1 {
        (row.first().client.kind.name(), &row.clients)
    } else {
        (row.first().server.category.name(), &row.servers)
    };
    if names.len() > 1 {
        let list = names.iter().map(|n| esc(n)).collect::<Vec<_>>().join(", ");
        if names.len() > NAMES_INLINE {
            let _ = write!(
                cell,
                "<details><summary>{} {kind} names</summary>{list}</details>",
                names.len()
            );
        } else {
            cell.push_str(&list);
        }
    }
    // Each note once, in the order first seen (a thousand workloads of
    // unknown build each have their own).
    let mut seen = std::collections::HashSet::new();
    let notes: Vec<&str> = row
        .edges
        .iter()
        .filter_map(|e| e.note.as_deref())
        .filter(|n| seen.insert(*n))
        .collect();
    for note in notes.iter().take(3) {
        if !cell.is_empty() {
            cell.push_str("<br>");
        }
        let _ = write!(cell, "<span class=\"note\">{}</span>", esc(note));
    }
    if notes.len() > 3 {
        let _ = write!(
            cell,
            "<br><span class=\"note\">… and {} other notes</span>",
            notes.len() - 3
        );
    }
    if cell.is_empty() {
        cell.push('-');
    }
    cell
}

/// Where a box of the graph stands: clients, the API server, the servers
/// it (or another client) connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Clients,
    Hub,
    Servers,
}

/// A box of the graph: one component, or several of one kind and version
/// whose connections are alike.
struct GraphNode<'a> {
    column: Column,
    /// Its place in its column: the kind's position among the kinds, its
    /// version, its first name.
    order: (usize, Option<&'a str>, &'a str),
    names: Vec<&'a str>,
    label: String,
    detail: String,
    addresses: Vec<&'a str>,
    y: f64,
    h: f64,
}

/// The cluster as a graph, drawn as an inline SVG: boxes in three columns
/// (clients, the API server, the servers it connects to), a line per
/// [`EdgeRow`] from client to server in the colour of its standing,
/// labelled with its group, dashed when it is a silent downgrade. Laid out
/// from the rows alone (no measuring, no randomness): the same document
/// draws the same picture.
fn edge_graph(rows: &[EdgeRow<'_>]) -> String {
    const WIDTH: f64 = 1180.0;
    const NODE_W: f64 = 250.0;
    const HUB_X: f64 = 510.0;
    const HUB_W: f64 = 160.0;
    const RIGHT_X: f64 = WIDTH - NODE_W - 1.0;
    const TOP: f64 = 36.0;
    const NODE_H: f64 = 40.0;
    const GAP: f64 = 14.0;
    const PORT: f64 = 18.0;
    let mut nodes: Vec<GraphNode<'_>> = Vec::new();
    // (row, from node, to node)
    let mut links: Vec<(usize, usize, usize)> = Vec::new();
    fn node_of<'a>(
        nodes: &mut Vec<GraphNode<'a>>,
        column: Column,
        row: &EdgeRow<'a>,
        client: bool,
        versions: &BTreeMap<(ClientKind, &str), &str>,
    ) -> usize {
        let e = row.first();
        let (names, rank, version) = if client {
            let rank = ClientKind::ALL.iter().position(|k| *k == e.client.kind);
            (&row.clients, rank.unwrap_or(0), e.client.version.as_deref())
        } else {
            let rank = Category::ALL.iter().position(|c| *c == e.server.category);
            (&row.servers, rank.unwrap_or(0), None)
        };
        // The API server is one box whether it connects or is connected to.
        let found = nodes.iter().position(|n| {
            n.column == column
                && n.names == *names
                && (column == Column::Hub || n.order.0 == rank && n.order.1 == version)
        });
        let at = match found {
            Some(at) => at,
            None => {
                nodes.push(GraphNode {
                    column,
                    order: (rank, version, names[0]),
                    names: names.clone(),
                    label: if client {
                        row.client_label()
                    } else {
                        row.server_label()
                    },
                    detail: if client {
                        row.build()
                    } else {
                        server_detail(row, versions)
                    },
                    addresses: Vec::new(),
                    y: 0.0,
                    h: NODE_H,
                });
                nodes.len() - 1
            }
        };
        if client && column == Column::Hub {
            // What the API server runs says more than whether it is PQ capable.
            nodes[at].detail = row.build();
        }
        if !client {
            for a in row.edges.iter().filter_map(|e| e.server.address.as_deref()) {
                if !nodes[at].addresses.contains(&a) {
                    nodes[at].addresses.push(a);
                }
            }
        }
        at
    }
    // A server's version, when it is also a client that reports one.
    let versions: BTreeMap<(ClientKind, &str), &str> = rows
        .iter()
        .flat_map(|r| &r.edges)
        .filter_map(|e| {
            Some((
                (e.client.kind, e.client.name.as_str()),
                e.client.version.as_deref()?,
            ))
        })
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let e = row.first();
        let client_hub = e.client.kind == ClientKind::KubeApiserver;
        let from = node_of(
            &mut nodes,
            if client_hub {
                Column::Hub
            } else {
                Column::Clients
            },
            row,
            true,
            &versions,
        );
        let server_hub = !client_hub && e.server.category == Category::Apiserver;
        let to = node_of(
            &mut nodes,
            if server_hub {
                Column::Hub
            } else {
                Column::Servers
            },
            row,
            false,
            &versions,
        );
        links.push((i, from, to));
    }
    // Heights: room for every line that leaves or enters a box.
    for (at, node) in nodes.iter_mut().enumerate() {
        let out = links.iter().filter(|l| l.1 == at).count() as f64;
        let into = links.iter().filter(|l| l.2 == at).count() as f64;
        node.h = NODE_H.max(out.max(into) * PORT + 12.0);
    }
    let column = |nodes: &[GraphNode<'_>], c: Column| -> Vec<usize> {
        let mut at: Vec<usize> = (0..nodes.len()).filter(|i| nodes[*i].column == c).collect();
        at.sort_by(|a, b| {
            nodes[*a]
                .order
                .cmp(&nodes[*b].order)
                .then(nodes[*a].names.cmp(&nodes[*b].names))
        });
        at
    };
    let stack = |nodes: &mut [GraphNode<'_>], at: &[usize], top: f64| -> f64 {
        let mut y = top;
        for i in at {
            nodes[*i].y = y;
            y += nodes[*i].h + GAP;
        }
        y - top - if at.is_empty() { 0.0 } else { GAP }
    };
    let (left, hub, right) = (
        column(&nodes, Column::Clients),
        column(&nodes, Column::Hub),
        column(&nodes, Column::Servers),
    );
    let tall = stack(&mut nodes, &left, TOP).max(stack(&mut nodes, &right, TOP));
    let hub_h: f64 = hub.iter().map(|i| nodes[*i].h + GAP).sum::<f64>() - GAP;
    let _ = stack(&mut nodes, &hub, TOP + ((tall - hub_h) / 2.0).max(0.0));
    let bottom = nodes.iter().map(|n| n.y + n.h).fold(TOP, f64::max);
    let x = |c: Column| match c {
        Column::Clients => (0.5, NODE_W),
        Column::Hub => (HUB_X, HUB_W),
        Column::Servers => (RIGHT_X, NODE_W),
    };
    // Where each line leaves and enters its boxes: spread along the side,
    // in the order of the other ends, so lines into one box do not cross.
    let centre = |n: &GraphNode<'_>| n.y + n.h / 2.0;
    let mut ends = vec![(0.0, 0.0); links.len()];
    for (at, node) in nodes.iter().enumerate() {
        for leaving in [true, false] {
            let mut mine: Vec<usize> = (0..links.len())
                .filter(|l| {
                    if leaving {
                        links[*l].1 == at
                    } else {
                        links[*l].2 == at
                    }
                })
                .collect();
            let other = |l: usize| if leaving { links[l].2 } else { links[l].1 };
            mine.sort_by(|a, b| {
                centre(&nodes[other(*a)])
                    .total_cmp(&centre(&nodes[other(*b)]))
                    .then(a.cmp(b))
            });
            let n = mine.len() as f64;
            for (k, l) in mine.iter().enumerate() {
                let y = node.y + node.h * (k as f64 + 1.0) / (n + 1.0);
                if leaving {
                    ends[*l].0 = y;
                } else {
                    ends[*l].1 = y;
                }
            }
        }
    }
    let legend_y = bottom + 30.0;
    let height = legend_y + 40.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"cluster connections\" class=\"graph\" width=\"{WIDTH}\" height=\"{height:.0}\" viewBox=\"0 0 {WIDTH} {height:.0}\">\n"
    );
    for (c, title) in [
        (Column::Clients, "clients"),
        (Column::Hub, "API server"),
        (Column::Servers, "servers"),
    ] {
        let _ = writeln!(
            svg,
            "<text class=\"col\" x=\"{:.1}\" y=\"16\">{title}</text>",
            x(c).0 + 4.0
        );
    }
    for (l, (i, from, to)) in links.iter().enumerate() {
        let row = &rows[*i];
        let e = row.first();
        let tone = style::standing(e.standing);
        let (x1, y1) = (
            x(nodes[*from].column).0 + x(nodes[*from].column).1,
            ends[l].0,
        );
        let (x2, y2) = (x(nodes[*to].column).0, ends[l].1);
        let bend = (x2 - x1) / 2.0;
        let n = row.edges.len();
        let width = (2.0 + (n as f64).log2() * 0.8).min(7.0);
        let mut class = format!("edge {}", tone.class(Use::Line));
        if e.silent_downgrade {
            class.push_str(" sd");
        } else if e.standing == Standing::Unknown {
            class.push_str(" unk");
        }
        let _ = writeln!(
            svg,
            "<path class=\"{class}\" stroke-width=\"{width:.1}\" d=\"M{x1:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1} M{:.1},{:.1} L{x2:.1},{y2:.1} L{:.1},{:.1}\"><title>{}</title></path>",
            x1 + bend,
            x2 - bend,
            x2 - 9.0,
            y2 - 5.0,
            x2 - 9.0,
            y2 + 5.0,
            esc(&edge_title(row))
        );
        let what = match e.negotiated_group {
            Some(_) => row.group(),
            None => e.standing.to_string(),
        };
        let times = if n > 1 {
            format!(" ×{n}")
        } else {
            String::new()
        };
        let silent = if e.silent_downgrade {
            format!(
                "<tspan class=\"{} heavy\"> · silent downgrade</tspan>",
                Tone::Bad.class(Use::Fill)
            )
        } else {
            String::new()
        };
        // Beside the box the line belongs to (the API server's side is
        // crowded): after a client's box, before a server's.
        let (lx, ly, anchor) = if nodes[*from].column == Column::Hub {
            (x2 - 12.0, y2 - 5.0, "end")
        } else {
            (x1 + 8.0, y1 - 5.0, "start")
        };
        let _ = writeln!(
            svg,
            "<text class=\"el\" x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"{anchor}\">{}{times}{silent}</text>",
            esc(&what)
        );
    }
    for node in &nodes {
        let (nx, w) = x(node.column);
        let class = if node.column == Column::Hub {
            format!(
                "node {} {}",
                Tone::Quiet.class(Use::Fill),
                Tone::Heading.class(Use::Line)
            )
        } else {
            format!(
                "node {} {}",
                Tone::Plain.class(Use::Fill),
                Tone::Muted.class(Use::Line)
            )
        };
        // Characters that fit: about 7 px each in bold 12 px, 6 in 11 px.
        let label = fit(&node.label, ((w - 14.0) / 7.2) as usize);
        let detail = fit(&node.detail, ((w - 14.0) / 6.2) as usize);
        let _ = writeln!(
            svg,
            "<g><title>{}</title><rect class=\"{class}\" x=\"{nx:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" rx=\"4\"/><text class=\"heavy\" x=\"{:.1}\" y=\"{:.1}\">{}</text><text class=\"sub\" x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            esc(&node_title(node)),
            node.y,
            node.h,
            nx + 7.0,
            node.y + node.h / 2.0 - 3.0,
            esc(&label),
            nx + 7.0,
            node.y + node.h / 2.0 + 12.0,
            esc(&detail)
        );
    }
    // The legend: each standing drawn, then what a dashed line means.
    let mut lx = 0.5;
    let mut items: Vec<(String, &str)> = Standing::ALL
        .iter()
        .filter(|s| rows.iter().any(|r| r.first().standing == **s))
        .map(|s| {
            let tone = style::standing(*s).class(Use::Line);
            let extra = if *s == Standing::Unknown { " unk" } else { "" };
            (format!("edge {tone}{extra}"), s.name())
        })
        .collect();
    items.push((
        format!(
            "edge {} sd",
            style::standing(Standing::Classical).class(Use::Line)
        ),
        "silent downgrade",
    ));
    for (class, text) in items {
        let _ = writeln!(
            svg,
            "<path class=\"key {class}\" stroke-width=\"3\" d=\"M{lx:.1},{legend_y:.1} L{:.1},{legend_y:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\">{text}</text>",
            lx + 30.0,
            lx + 36.0,
            legend_y + 4.0
        );
        lx += 60.0 + 7.5 * text.len() as f64;
    }
    let _ = writeln!(
        svg,
        "<text class=\"sub\" x=\"{lx:.1}\" y=\"{:.1}\">thicker: more connections</text>",
        legend_y + 4.0
    );
    svg.push_str("</svg>\n");
    svg
}

/// The servers of a row: their version when they are also clients that
/// report one (a kubelet's Node), and whether they support a standard
/// post-quantum group.
fn server_detail(row: &EdgeRow<'_>, versions: &BTreeMap<(ClientKind, &str), &str>) -> String {
    let seen: Vec<Option<bool>> = row.edges.iter().map(|e| e.server.supports_pq).collect();
    let pq = if seen.iter().all(|s| *s == Some(true)) {
        "post-quantum capable"
    } else if seen.iter().all(|s| *s == Some(false)) {
        "no post-quantum group"
    } else if seen.iter().all(Option::is_none) {
        "groups not probed"
    } else {
        "post-quantum on some"
    };
    let as_client = match row.first().server.category {
        Category::Kubelet => Some(ClientKind::Kubelet),
        Category::Apiserver => Some(ClientKind::KubeApiserver),
        _ => None,
    };
    let mut of = row
        .servers
        .iter()
        .map(|name| as_client.and_then(|k| versions.get(&(k, *name))));
    match of.next().flatten() {
        Some(v) if of.all(|w| w == Some(v)) => format!("{v} · {pq}"),
        _ => pq.to_string(),
    }
}

/// At most `max` characters of `text`, `…` for the rest.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Names listed in a hover text at most.
const TITLE_NAMES: usize = 20;

fn listed(names: &[&str]) -> String {
    let mut text = names
        .iter()
        .take(TITLE_NAMES)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > TITLE_NAMES {
        let _ = write!(text, ", … and {} more", names.len() - TITLE_NAMES);
    }
    text
}

/// A box's hover text: what it is, and every name it stands for (the
/// first [`TITLE_NAMES`]).
fn node_title(node: &GraphNode<'_>) -> String {
    let mut text = format!("{} ({})", node.label, node.detail);
    if node.names.len() > 1 {
        let _ = write!(text, ": {}", listed(&node.names));
    }
    if !node.addresses.is_empty() {
        let _ = write!(text, "; at {}", listed(&node.addresses));
    }
    text
}

/// A line's hover text: the edge, what it negotiates, what it carries, its
/// finding, and the names it stands for.
fn edge_title(row: &EdgeRow<'_>) -> String {
    let e = row.first();
    let n = row.edges.len();
    let mut text = format!(
        "{}: {n} connection{}, {} ({}), {}",
        row.label(),
        if n == 1 { "" } else { "s" },
        row.group(),
        row.build(),
        e.standing
    );
    if e.silent_downgrade {
        text.push_str(", silent downgrade");
    }
    let carries: Vec<&str> = e.carries.iter().map(|c| c.name()).collect();
    if !carries.is_empty() {
        let _ = write!(text, "; carries {}", carries.join(", "));
    }
    if let Some(f) = row.finding() {
        let _ = write!(text, "; {} ({})", f.id, f.severity);
    }
    for names in [&row.clients, &row.servers] {
        if names.len() > 1 {
            let _ = write!(text, "; {}", listed(names));
        }
    }
    text
}

fn certs_section(out: &mut String, files: &[FileReport], summary: Option<&CertSummary>) {
    out.push_str("<section id=\"certs\">\n<h2>Certificate files</h2>\n");
    if let Some(s) = summary {
        let tables: Vec<String> = s.deadlines.iter().map(|t| t.to_string()).collect();
        let _ = writeln!(out, "<p>Deadline tables: {}.</p>", esc(&tables.join(", ")));
    }
    for file in files {
        let _ = writeln!(
            out,
            "<h3 class=\"mono\">{} <span class=\"note\">({})</span></h3>",
            esc(if file.path == "-" {
                "- (stdin)"
            } else {
                &file.path
            }),
            file.format
                .map(|f| f.to_string())
                .unwrap_or_else(|| "unreadable".into())
        );
        if !file.certificates.is_empty() {
            let sources: Vec<String> = file
                .certificates
                .iter()
                .map(|c| format!("{} (chain {}, #{})", c.source, c.chain, c.position))
                .collect();
            certificate_table(
                out,
                file.certificates
                    .iter()
                    .zip(&sources)
                    .map(|(c, s)| (&c.certificate, Some(s.as_str()))),
            );
        }
        if !file.keys.is_empty() {
            out.push_str("<table>\n<tr><th>Kind</th><th>Role</th><th>Subject</th><th>Key</th><th>PQ</th><th>Deadlines</th><th>Where</th></tr>\n");
            for k in &file.keys {
                let deadlines: Vec<String> = k
                    .key
                    .deadlines
                    .iter()
                    .map(|d| format!("{}: {}", d.table, esc(&deadline_text(d))))
                    .collect();
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                    k.kind,
                    esc(k.role.as_deref().unwrap_or("-")),
                    esc(k.subject.as_deref().unwrap_or("-")),
                    esc(&k.key.facts.describe()),
                    if k.key.quantum_safe { "yes" } else { "no" },
                    deadlines.join("<br>"),
                    esc(&k.source)
                );
            }
            out.push_str("</table>\n");
        }
        for note in &file.notes {
            let _ = writeln!(out, "<p class=\"note\">note: {}</p>", esc(note));
        }
        if let Some(e) = &file.error {
            let _ = writeln!(
                out,
                "<p class=\"{}\">error: {}</p>",
                style::emphasis(Tone::Bad, true),
                esc(e)
            );
        }
    }
    out.push_str("</section>\n");
}

fn binaries_section(
    out: &mut String,
    binaries: &[BinaryReport],
    totals: Option<&(Counts, Vec<FileError>)>,
) {
    out.push_str("<section id=\"binaries\">\n<h2>Go binaries</h2>\n<table>\n<tr><th>Path</th><th>Go</th><th>Default offer</th><th>Default PQ groups</th><th>Module</th><th>At run time</th></tr>\n");
    for b in binaries {
        let module = b
            .main_module
            .as_ref()
            .map(|m| format!("{} {}", esc(&m.path), esc(&m.version)))
            .unwrap_or_else(|| "-".into());
        let runtime = b
            .runtime
            .as_ref()
            .map(|rt| {
                format!(
                    "GODEBUG={} from {}: {}",
                    esc(&rt.offer.godebug),
                    esc(&rt.offer.source),
                    badge(crate::assess::standing::offer(rt.verdict))
                )
            })
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{module}</td><td>{runtime}</td></tr>",
            esc(&b.path),
            esc(&b.go_version),
            badge(crate::assess::standing::offer(b.verdict)),
            esc(&groups(&b.pq_default_groups)),
        );
    }
    out.push_str("</table>\n");
    if let Some((counts, errors)) = totals {
        let defaults_only = if binaries.iter().any(|b| b.runtime.is_some()) {
            String::new()
        } else {
            format!(" {}", super::binaries::DEFAULTS_ONLY)
        };
        let _ = writeln!(
            out,
            "<p>{}.{}</p>",
            super::binaries::counts_sentence(counts),
            esc(&defaults_only)
        );
        for e in errors {
            let _ = writeln!(
                out,
                "<p class=\"{}\">error: {}: {}</p>",
                style::emphasis(Tone::Bad, true),
                esc(&e.path),
                esc(&e.error)
            );
        }
    }
    out.push_str("</section>\n");
}

/// What `inspect` saw: one row per distinct client offer, and how the
/// server answered them.
fn clients_section(out: &mut String, summary: &super::inspect::Summary) {
    out.push_str("<section id=\"clients\">\n<h2>Inspected clients</h2>\n<table>\n<tr><th>Client (closest profile)</th><th>Connections</th><th>Offer</th><th>Offered groups</th><th>ML-DSA</th><th>Handshakes</th><th>Sample</th><th>JA4</th></tr>\n");
    let mut entries: Vec<&super::inspect::SummaryEntry> = summary.clients.values().collect();
    entries.sort_by_key(|e| {
        (
            crate::assess::standing::offer(e.verdict),
            std::cmp::Reverse(e.count),
        )
    });
    for e in entries {
        let handshakes = match (e.handshake_completed, e.handshake_failed) {
            (0, 0) => "-".to_string(),
            (ok, failed) => format!("{ok} completed, {failed} failed"),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{handshakes}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
            esc(&e.profile),
            e.count,
            badge(crate::assess::standing::offer(e.verdict)),
            esc(&groups(&e.groups)),
            if e.offers_mldsa { "offered" } else { "no" },
            esc(&e.sample),
            esc(&e.ja4),
        );
    }
    out.push_str("</table>\n");
    let negotiated = summary
        .negotiated
        .iter()
        .map(|(g, n)| format!("{} {n}", esc(g)))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "<p>{} connections; the server selected: {}; {} offered post-quantum and settled on a classical group; {} offered ML-DSA signatures.</p>",
        summary.total,
        if negotiated.is_empty() { "-".to_string() } else { negotiated },
        summary.downgraded,
        summary.offered_mldsa
    );
    for (error, count) in &summary.errors {
        let _ = writeln!(
            out,
            "<p class=\"{}\">{count} × {}</p>",
            style::emphasis(Tone::Warn, true),
            esc(error)
        );
    }
    out.push_str("</section>\n");
}

/// `observe`: the client → server edges worst first (the order the
/// assessment gives), each with its connections by negotiated group, then the
/// totals and what the capture held.
fn observed_section(out: &mut String, s: &super::observe::ObserveSummary) {
    out.push_str("<section id=\"observed\">\n<h2>Observed connections</h2>\n");
    let a = &s.assessed;
    // Columns only a live capture (processes, the Pod lookup) or an audit
    // fills are shown when some edge has them, so a file's page stays narrow.
    let processes = a.edges.iter().any(|e| e.client_process.is_some());
    let pods = a.edges.iter().any(|e| e.client_pod.is_some());
    let workloads = a.edges.iter().any(|e| e.server_workload.is_some());
    let audit = a.prediction.is_some();
    if a.edges.is_empty() {
        out.push_str("<p>No TLS connection in the capture.</p>\n");
    } else {
        out.push_str("<table>\n<tr><th>Client</th><th>Server</th><th>Connections</th><th>Standing</th><th>Negotiated (connections)</th><th>Hello retries</th><th>Client profiles</th><th>Findings</th>");
        if processes {
            out.push_str("<th>Client process</th>");
        }
        if pods {
            out.push_str("<th>Client Pod (container)</th>");
        }
        if workloads {
            out.push_str("<th>Server workload</th>");
        }
        if audit {
            out.push_str("<th>Cluster audit prediction</th>");
        }
        out.push_str("</tr>\n");
    }
    let optional = |cell: Option<String>| match cell {
        Some(text) => format!("<td class=\"mono\">{}</td>", esc(&text)),
        None => "<td>-</td>".to_string(),
    };
    for e in &a.edges {
        let findings: Vec<String> = e
            .findings
            .iter()
            .map(|f| {
                format!(
                    "<span class=\"{}\">{}</span>",
                    style::severity_class(f.severity),
                    f.id
                )
            })
            .collect();
        let mut extra = String::new();
        if processes {
            extra.push_str(&optional(e.client_process.clone()));
        }
        if pods {
            extra.push_str(&optional(super::observe::client_pod(e)));
        }
        if workloads {
            extra.push_str(&optional(e.server_workload.clone()));
        }
        if audit {
            let predictions: Vec<String> = e
                .predictions
                .iter()
                .flatten()
                .map(|p| {
                    format!(
                        "<span class=\"{}\">{}</span>",
                        if p.agrees {
                            Tone::Good.class(Use::Text)
                        } else {
                            style::severity_class(
                                crate::vocab::FindingKind::ObservedContradictsPrediction.severity(),
                            )
                        },
                        esc(&super::observe::edge_prediction_text(p))
                    )
                })
                .collect();
            extra.push_str(&if predictions.is_empty() {
                "<td>no prediction</td>".to_string()
            } else {
                format!("<td>{}</td>", predictions.join("<br>"))
            });
        }
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{extra}</tr>",
            esc(&e.client),
            esc(&e.server_label()),
            e.connections,
            badge(super::observe::worst(&e.standings)),
            esc(&super::observe::counts(&e.groups)),
            e.hello_retries,
            if e.profiles.is_empty() {
                "-".to_string()
            } else {
                esc(&e.profiles.join(", "))
            },
            if findings.is_empty() {
                "-".to_string()
            } else {
                findings.join("<br>")
            }
        );
    }
    if !a.edges.is_empty() {
        out.push_str("</table>\n");
    }
    let _ = writeln!(
        out,
        "<p>{}.</p>",
        esc(&super::observe::totals_sentence(a, "; negotiated: "))
    );
    if let Some(p) = &a.prediction {
        let _ = writeln!(
            out,
            "<p>Cluster audit: {}.</p>",
            esc(&super::observe::prediction_sentence(p))
        );
    }
    let c = &s.capture;
    let _ = writeln!(
        out,
        "<p>Capture: {}.</p>",
        esc(&super::observe::capture_sentence(c))
    );
    for note in &c.notes {
        let _ = writeln!(
            out,
            "<p class=\"{}\">{}</p>",
            style::emphasis(Tone::Warn, true),
            esc(note)
        );
    }
    out.push_str("</section>\n");
}

fn findings_section(out: &mut String, findings: &[(String, Finding)]) {
    out.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    if findings.is_empty() {
        out.push_str("<p>No findings.</p>\n</section>\n");
        return;
    }
    out.push_str("<table>\n<tr><th>Severity</th><th>Finding</th><th>Where</th><th>Detail</th><th>Fix</th></tr>\n");
    for (place, f) in findings {
        let _ = writeln!(
            out,
            "<tr><td class=\"{}\">{}</td><td><span class=\"mono\">{}</span><br>{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            style::severity_class(f.severity),
            f.severity.name().to_uppercase(),
            f.id,
            esc(&f.title),
            esc(place),
            esc(&f.detail),
            Tone::Good.class(Use::Text),
            esc(&f.remediation)
        );
    }
    out.push_str("</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
    }

    #[test]
    fn an_empty_run_is_a_whole_document_without_scripts_or_urls() {
        let mut r = HtmlRenderer::default();
        let html = r.finish();
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.trim_end().ends_with("</html>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("http"), "{html}");
        assert!(html.contains("No results."), "{html}");
    }

    fn render_cluster(r: &ClusterReport) -> String {
        let mut renderer = HtmlRenderer::default();
        renderer.part(Part::Cluster(r));
        renderer.finish()
    }

    /// The graph's SVG in a page.
    fn graph_of(html: &str) -> &str {
        let start = html
            .find("<svg role=\"img\" aria-label=\"cluster connections\"")
            .expect("a graph");
        let end = start + html[start..].find("</svg>").expect("a whole SVG") + 6;
        &html[start..end]
    }

    #[test]
    fn a_cluster_is_drawn_with_a_line_per_row_of_alike_edges() {
        let doc = sample::cluster(3, 1);
        let html = render_cluster(&doc);
        let svg = graph_of(&html);
        let rows = edge_rows(&doc.edges);
        // etcd, webhook, kube-proxy, the workload, kubectl, and each
        // kubelet version both ways.
        assert_eq!(rows.len(), 9);
        assert_eq!(
            svg.matches("<path class=\"edge ").count(),
            rows.len(),
            "{svg}"
        );
        // Boxes: the API server once, the clients, the servers.
        assert_eq!(
            svg.matches("<rect class=\"node ").count(),
            1 + 5 + 4,
            "{svg}"
        );
        assert!(svg.contains(">kubelet ×3</text>"), "{svg}");
        assert!(svg.contains(">v1.32.4 (go1.23)</text>"), "{svg}");
        // The three silent downgrades (the old kubelets both ways, kube-proxy)
        // are dashed, red and say so.
        let silent = format!(
            "<path class=\"edge {} sd\"",
            style::standing(Standing::Classical).class(Use::Line)
        );
        assert_eq!(svg.matches(&silent).count(), 3, "{svg}");
        assert_eq!(
            svg.matches("· silent downgrade</tspan>").count(),
            3,
            "{svg}"
        );
        // API server → etcd: classical but not a silent downgrade (etcd has
        // no post-quantum group): red, solid.
        assert_eq!(
            svg.matches(&format!(
                "<path class=\"edge {}\"",
                style::standing(Standing::Classical).class(Use::Line)
            ))
            .count(),
            1,
            "{svg}"
        );
        assert!(svg.contains("x25519 ×3<tspan"), "{svg}");
        // Every line and box says what it is on hover.
        assert_eq!(svg.matches("<title>").count(), rows.len() + 10, "{svg}");
        // The actions, in order, and a table row per line.
        let actions = &html[html.find("<ol class=\"actions\">").expect("actions")..];
        assert!(
            actions.contains("upgrade 3 kubelets from v1.32.4"),
            "{actions}"
        );
        let first = actions.find("<li>").unwrap();
        assert!(
            actions[first..]
                .starts_with("<li><span class=\"fg-bad heavy\">HIGH</span> upgrade 3 kubelets"),
            "{actions}"
        );
        let table = &html[html.find("<table class=\"edges\">").expect("edges table")..];
        let table = &table[..table.find("</table>").unwrap()];
        assert_eq!(table.matches("<tr><td>").count(), rows.len(), "{table}");
        assert!(table.contains("kubelet ×3 → kube-apiserver"), "{table}");
        assert!(table.contains("node-0000, node-0001, node-0002"), "{table}");
        assert!(table.contains("<td>no (neither side)</td>"), "{table}");
        assert!(
            table.contains(
                "<td>no (the client&#39;s build is unknown, the server offers none)</td>"
            ),
            "{table}"
        );
    }

    #[test]
    fn a_hostile_workload_name_is_escaped_everywhere() {
        let html = render_cluster(&sample::cluster(1, 1));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains(sample::HOSTILE));
        let escaped = esc(sample::HOSTILE);
        // The box cuts the name before escaping it: no entity cut in half.
        assert!(
            graph_of(&html).contains(">workload &lt;script&gt;alert(1)&lt;/scri…</text>"),
            "{html}"
        );
        // Whole in the box's and the line's hover texts, the table, the note,
        // the finding.
        assert!(html.matches(&escaped).count() >= 4, "{html}");
    }

    #[test]
    fn a_thousand_kubelets_are_four_lines_not_two_thousand() {
        let small = render_cluster(&sample::cluster(3, 1));
        let big_doc = sample::cluster(600, 400);
        let big = render_cluster(&big_doc);
        let (small, svg) = (graph_of(&small), graph_of(&big));
        assert_eq!(svg.matches("<path class=\"edge ").count(), 9);
        assert!(svg.contains(">kubelet ×600</text>"), "{svg}");
        assert!(svg.contains("x25519 ×600<tspan"), "{svg}");
        // Hover texts list 20 names, then how many more.
        assert!(svg.contains("node-0019, … and 580 more"), "{svg}");
        // The same picture, a little longer hover texts: no box or line per kubelet.
        assert!(
            svg.len() < small.len() + 4 * 1024,
            "{} bytes for 1000 kubelets, {} for 4",
            svg.len(),
            small.len()
        );
        // The names are all in the table, folded.
        assert!(big.contains("<details><summary>600 kubelet names</summary>"));
        assert!(big.contains("node-0599</details>"));
    }

    #[test]
    fn boxes_of_a_column_do_not_overlap_and_lines_stay_inside() {
        let doc = sample::cluster(5, 2);
        let html = render_cluster(&doc);
        let svg = graph_of(&html);
        let num = |tag: &str, attr: &str| -> f64 {
            let at = tag.find(&format!(" {attr}=\"")).unwrap() + attr.len() + 3;
            tag[at..at + tag[at..].find('"').unwrap()].parse().unwrap()
        };
        let mut boxes: Vec<(f64, f64, f64)> = svg
            .match_indices("<rect class=\"node ")
            .map(|(at, _)| {
                let tag = &svg[at..at + svg[at..].find("/>").unwrap()];
                (num(tag, "x"), num(tag, "y"), num(tag, "height"))
            })
            .collect();
        boxes.sort_by(|a, b| a.partial_cmp(b).unwrap());
        for pair in boxes.windows(2) {
            if pair[0].0 == pair[1].0 {
                assert!(pair[0].1 + pair[0].2 < pair[1].1, "{pair:?} overlap");
            }
        }
        let width = num(svg, "width");
        let height = num(svg, "height");
        for (at, _) in svg.match_indices(" d=\"M") {
            let d = &svg[at + 4..at + 4 + svg[at + 4..].find('"').unwrap()];
            for point in d.split(|c: char| c == ' ' || c.is_ascii_alphabetic()) {
                let Some((x, y)) = point.split_once(',') else {
                    continue;
                };
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!(
                    (0.0..=width).contains(&x) && (0.0..=height).contains(&y),
                    "{d}"
                );
            }
        }
    }

    #[test]
    fn a_malicious_subject_is_escaped_in_tables_and_charts() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["x.test".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "<script>alert(1)</script>");
        let facts = crate::pki::parse_certificate(params.self_signed(&key).unwrap().der()).unwrap();
        let judged =
            crate::assess::certs::certificate(&facts, &crate::assess::certs::CertRules::default());
        let chart = timeline_chart(&[&judged]);
        let mut table = String::new();
        certificate_table(&mut table, [(&judged, None)].into_iter());
        for text in [chart, table] {
            assert!(!text.contains("<script"), "{text}");
            assert!(text.contains("&lt;script&gt;"), "{text}");
        }
    }
}

/// A cluster document with edges, as `pqready cluster` writes one for a
/// cluster mid-upgrade (tests/it/edges.rs runs the real one): `old`
/// kubelets at v1.32.4 (Go 1.23, the Kyber draft only) and `new` at v1.33.2
/// against an API server v1.33.2, a classical etcd, kube-proxy v1.32.4, a
/// webhook, and a workload of unknown build named `<script>alert(1)</script>`.
#[cfg(test)]
pub(crate) mod sample {
    use crate::assess::edges::{cargo, Edge, EdgeMldsa, EdgeServer};
    use crate::assess::Finding;
    use crate::discover::cluster::ClusterClient;
    use crate::discover::cluster::{Category, ClusterInfo, Component};
    use crate::report::cluster::{ClusterReport, ComponentReport};
    use crate::vocab::{ClientBasis, ClientKind, FindingKind, Standing};
    use crate::wire::NamedGroup;

    pub const HOSTILE: &str = "<script>alert(1)</script>";

    fn component(category: Category, name: &str, address: &str) -> ComponentReport {
        ComponentReport {
            component: Component {
                category,
                name: name.into(),
                namespace: None,
                source: format!("test/{name}"),
                address: Some(address.into()),
                flags: Default::default(),
                note: None,
                target: None,
                fallbacks: Vec::new(),
            },
            reachable: true,
            speaks_tls: Some(true),
            expected: None,
            result: None,
        }
    }

    /// One edge; its standing, silent downgrade and finding as `assess`
    /// judges them from the group and what each side supports.
    fn edge(
        client: (ClientKind, &str, Option<&str>, Option<&str>),
        server: (Category, &str, bool),
        group: Option<NamedGroup>,
    ) -> Edge {
        let (kind, name, version, profile) = client;
        let (category, server_name, server_pq) = server;
        // A Go 1.23 kubelet supports the Kyber draft: post-quantum, not ML-KEM.
        let server_draft = category == Category::Kubelet && !server_pq;
        let client_pq = matches!(profile, Some("go1.23" | "go1.24"));
        let standing = match (profile, group) {
            (None, _) => Standing::Unknown,
            (_, Some(g)) if g.is_standard_post_quantum() => Standing::Pq,
            (_, Some(_)) => Standing::Classical,
            (_, None) => Standing::Error,
        };
        let silent = standing == Standing::Classical && client_pq && (server_pq || server_draft);
        let carries = cargo(kind, category);
        let finding = match standing {
            Standing::Unknown => Some(FindingKind::UnknownClientBuild),
            Standing::Classical if silent => Some(FindingKind::SilentDowngradeEdge),
            Standing::Classical => Some(FindingKind::ClassicalEdge),
            _ => None,
        };
        let mut e = Edge {
            client: ClusterClient {
                kind,
                name: name.into(),
                version: version.map(Into::into),
                go_version: None,
                profile: profile.map(Into::into),
                basis: if profile.is_some() {
                    ClientBasis::NodeInfo
                } else {
                    ClientBasis::Unknown
                },
                source: String::new(),
                image: None,
            },
            server: EdgeServer {
                category,
                name: server_name.into(),
                address: Some(format!("{server_name}:443")),
                supports_pq: Some(server_pq),
            },
            negotiated_group: group,
            hello_retry: false,
            standing,
            silent_downgrade: silent,
            mldsa: EdgeMldsa {
                client_accepts: profile.map(|_| false),
                server_offers: Some(false),
                possible: false,
            },
            carries,
            note: profile
                .is_none()
                .then(|| format!("no client profile: its image {name}:1 is unknown")),
            findings: Vec::new(),
        };
        if let Some(kind) = finding {
            let mut f = Finding::new(
                kind,
                format!("{}: test", e.label()),
                kind.remediation().into(),
                Vec::new(),
            );
            if e.carries.iter().any(|c| {
                matches!(
                    c,
                    crate::vocab::Cargo::Secrets | crate::vocab::Cargo::Credentials
                )
            }) {
                f.severity = kind.sensitive_severity().unwrap_or(f.severity);
            }
            e.findings.push(f);
        }
        e
    }

    /// The document, with `old` and `new` kubelets.
    pub fn cluster(old: usize, new: usize) -> ClusterReport {
        let x25519 = Some(NamedGroup::X25519);
        let mlkem = Some(NamedGroup::X25519MLKEM768);
        let api = (Category::Apiserver, "kube-apiserver", true);
        let apiserver = (
            ClientKind::KubeApiserver,
            "kube-apiserver",
            Some("v1.33.2"),
            Some("go1.24"),
        );
        let mut components = vec![
            component(Category::Apiserver, "kube-apiserver", "10.0.0.1:6443"),
            component(Category::Etcd, "etcd-cp-1", "10.0.0.1:2379"),
            component(Category::Webhook, "policy.example.com", "10.0.0.9:443"),
        ];
        let mut edges = vec![
            edge(apiserver, (Category::Etcd, "etcd-cp-1", false), x25519),
            edge(
                apiserver,
                (Category::Webhook, "policy.example.com", true),
                mlkem,
            ),
            edge(
                (
                    ClientKind::KubeProxy,
                    "kube-system/kube-proxy",
                    Some("v1.32.4"),
                    Some("go1.23"),
                ),
                api,
                x25519,
            ),
            edge((ClientKind::Workload, HOSTILE, None, None), api, None),
            edge(
                (
                    ClientKind::Kubectl,
                    "kubectl",
                    Some("v1.33.1"),
                    Some("go1.24"),
                ),
                api,
                mlkem,
            ),
        ];
        for i in 0..old + new {
            let name = format!("node-{i:04}");
            let (version, profile, pq) = if i < old {
                ("v1.32.4", "go1.23", false)
            } else {
                ("v1.33.2", "go1.24", true)
            };
            components.push(component(Category::Kubelet, &name, "10.1.0.1:10250"));
            edges.push(edge(
                (ClientKind::Kubelet, &name, Some(version), Some(profile)),
                api,
                if pq { mlkem } else { x25519 },
            ));
            edges.push(edge(
                apiserver,
                (Category::Kubelet, &name, pq),
                if pq { mlkem } else { x25519 },
            ));
        }
        ClusterReport::new(
            ClusterInfo {
                server: "https://10.0.0.1:6443".into(),
                git_version: Some("v1.33.2".into()),
                go_version: Some("go1.24.4".into()),
                context: None,
            },
            components,
            Vec::new(),
            Vec::new(),
            Vec::new(),
            edges,
        )
    }
}
