//! The Markdown renderer (`-o markdown`): a short summary for a pull-request
//! or issue comment — a heading, one line of counts, a compact table of the
//! endpoints, components, files, binaries or clients with their status, a
//! cluster's edges (alike ones on one row) and what to upgrade first, and
//! the top findings with their fix. Long inputs are grouped and truncated
//! ("… and N more") so the comment stays under about 60 lines. Parts are
//! collected and written by [`Renderer::finish`]. Pure formatting.

use super::{Part, Renderer, TargetReport};
use crate::assess::Finding;
use crate::vocab::{FindingKind, Severity, Standing};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Rows shown in the table at most.
pub const MAX_ROWS: usize = 15;
/// Finding kinds listed at most.
pub const MAX_FINDINGS: usize = 8;
/// At most this many distinct fixes under one kind of finding.
pub const MAX_FIXES: usize = 3;
/// Rows of the edges table at most (the worst first): with the upgrades, a
/// cluster's comment stays about 60 lines.
pub const MAX_EDGE_ROWS: usize = 6;
/// Upgrades listed at most (those that fix the most edges first).
pub const MAX_ACTIONS: usize = 3;

/// One line of the table.
struct Row {
    name: String,
    /// Worst first (by [`Standing::rank`]): sorts the table so truncation
    /// keeps what matters.
    standing: Standing,
    /// The cell: the standing's word (with why, for a target that could not
    /// be probed), or a file's state.
    status: String,
    findings: Vec<Severity>,
}

impl Row {
    /// Its place in the table: worst first, `unknown` last.
    fn order(&self) -> std::cmp::Reverse<Option<u8>> {
        std::cmp::Reverse(self.standing.rank())
    }
}

/// The Markdown renderer.
#[derive(Default)]
pub struct MarkdownRenderer {
    /// What the rows are (`endpoint`, `component`, `file`, `binary`, `client`).
    noun: &'static str,
    rows: Vec<Row>,
    findings: Vec<Finding>,
    /// Lines under the counts (the cluster, errors of a walk).
    notes: Vec<String>,
    /// The `--fail-on`/`--policy` decision, shown first.
    gate: Option<String>,
    /// What changed since `--baseline`.
    changes: Option<String>,
    /// A cluster's edges and what to upgrade first, under the table.
    edges: Vec<String>,
}

/// Text safe inside a table cell or a list item: no control characters, no
/// column breaks, no code spans to escape from.
fn cell(text: &str) -> String {
    super::printable(text).replace('|', "\\|").replace('`', "'")
}

/// `text` cut to about `max` characters at a word boundary, with `…`.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let end = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end_matches([',', ';', ':']))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl MarkdownRenderer {
    fn target(&mut self, report: &TargetReport, name: String) {
        let standing = report.standing();
        self.rows.push(Row {
            name,
            standing,
            status: super::style::standing_text(standing, report.error_kind),
            findings: report
                .assessed
                .findings
                .iter()
                .map(|f| f.severity)
                .collect(),
        });
    }

    fn cluster(&mut self, r: &super::cluster::ClusterReport) {
        self.noun = "component";
        let version = r
            .cluster
            .git_version
            .as_deref()
            .unwrap_or("version unknown");
        self.notes.push(format!(
            "Cluster `{}` ({}){}",
            cell(&r.cluster.server),
            cell(version),
            r.cluster
                .context
                .as_deref()
                .map(|c| format!(", context `{}`", cell(c)))
                .unwrap_or_default()
        ));
        for c in &r.components {
            let name = format!("{}/{}", c.component.category, c.component.name);
            let standing = c.standing();
            self.rows.push(Row {
                name,
                standing,
                status: standing.to_string(),
                findings: c
                    .result
                    .iter()
                    .flat_map(|t| &t.assessed.findings)
                    .map(|f| f.severity)
                    .collect(),
            });
        }
        // The cluster document already holds every component's findings.
        self.findings.extend(r.findings.iter().cloned());
        if !r.edges.is_empty() {
            self.edges.push(edges(r));
        }
    }

    fn counts_line(&self) -> String {
        let mut statuses: BTreeMap<(std::cmp::Reverse<Option<u8>>, &str), usize> = BTreeMap::new();
        for row in &self.rows {
            *statuses.entry((row.order(), &row.status)).or_default() += 1;
        }
        let noun = if self.noun.is_empty() {
            "result"
        } else {
            self.noun
        };
        let mut line = format!("**{}**", plural(self.rows.len(), noun));
        if !statuses.is_empty() {
            // Best first, as the table is worst first.
            let parts: Vec<String> = statuses
                .iter()
                .rev()
                .map(|((_, s), n)| format!("{n} {s}"))
                .collect();
            let _ = write!(line, ": {}", parts.join(", "));
        }
        let mut severities: BTreeMap<Severity, usize> = BTreeMap::new();
        for f in &self.findings {
            *severities.entry(f.severity).or_default() += 1;
        }
        if severities.is_empty() {
            line.push_str(" · no findings");
        } else {
            let parts: Vec<String> = severities
                .iter()
                .rev()
                .map(|(s, n)| format!("{n} {s}"))
                .collect();
            let _ = write!(
                line,
                " · {}: {}",
                plural(self.findings.len(), "finding"),
                parts.join(", ")
            );
        }
        line
    }

    fn table(&mut self, out: &mut String) {
        if self.rows.is_empty() {
            return;
        }
        let noun = if self.noun.is_empty() {
            "Result"
        } else {
            self.noun
        };
        let mut title = noun.to_string();
        title[..1].make_ascii_uppercase();
        self.rows.sort_by_key(Row::order);
        let _ = writeln!(out, "| {title} | Status | Findings |\n| --- | --- | --- |");
        for row in self.rows.iter().take(MAX_ROWS) {
            let findings = match row.findings.iter().max() {
                None => "–".to_string(),
                Some(worst) => format!("{} (worst: {worst})", row.findings.len()),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {findings} |",
                cell(&row.name),
                cell(&row.status)
            );
        }
        if self.rows.len() > MAX_ROWS {
            let _ = writeln!(out, "| … and {} more | | |", self.rows.len() - MAX_ROWS);
        }
        out.push('\n');
    }

    fn top_findings(&self, out: &mut String) {
        if self.findings.is_empty() {
            return;
        }
        // One entry per kind and severity (a classical etcd is high, a
        // classical kubelet medium), most severe first, in first-seen order
        // within a severity.
        let mut kinds: Vec<((FindingKind, Severity), Vec<&Finding>)> = Vec::new();
        for f in &self.findings {
            match kinds.iter_mut().find(|(k, _)| *k == (f.id, f.severity)) {
                Some((_, list)) => list.push(f),
                None => kinds.push(((f.id, f.severity), vec![f])),
            }
        }
        kinds.sort_by_key(|((_, severity), _)| std::cmp::Reverse(*severity));
        out.push_str("#### Top findings\n\n");
        for ((kind, severity), list) in kinds.iter().take(MAX_FINDINGS) {
            let first = list[0];
            let times = if list.len() > 1 {
                format!(" ×{}", list.len())
            } else {
                String::new()
            };
            let more = if list.len() > 1 {
                format!(" (and {} more)", list.len() - 1)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "- **{}** `{}`{times}: {}. {}{more}",
                severity,
                kind.name(),
                kind.title(),
                cell(&shorten(&first.detail, 240)),
            );
            // Findings of one kind can need different fixes (a silent
            // downgrade is mended on the client or on the server): each
            // distinct fix once, so none is hidden behind the first.
            let mut fixes: Vec<&str> = Vec::new();
            for f in list {
                if !fixes.contains(&f.remediation.as_str()) {
                    fixes.push(&f.remediation);
                }
            }
            if let [only] = fixes.as_slice() {
                let _ = writeln!(out, "  - Fix: {}", cell(&shorten(only, 240)));
            } else {
                for fix in fixes.iter().take(MAX_FIXES) {
                    let _ = writeln!(out, "  - Fix: {}", cell(&shorten(fix, 240)));
                }
                if fixes.len() > MAX_FIXES {
                    let _ = writeln!(out, "  - … and {} other fixes", fixes.len() - MAX_FIXES);
                }
            }
        }
        if kinds.len() > MAX_FINDINGS {
            let rest: usize = kinds[MAX_FINDINGS..].iter().map(|(_, l)| l.len()).sum();
            let _ = writeln!(
                out,
                "- … and {} more of {} other kinds",
                plural(rest, "finding"),
                kinds.len() - MAX_FINDINGS
            );
        }
    }
}

/// A cluster's edges as the table prints them (edges alike but for their
/// names on one row), most severe finding first so that the cut keeps what
/// matters, then what to upgrade first.
fn edges(r: &super::cluster::ClusterReport) -> String {
    let mut out = format!("#### Edges\n\n{}\n\n", cell(&r.summary.edges.sentence()));
    let mut rows = super::cluster::edge_rows(&r.edges);
    // Stable: rows of one severity keep the document's order.
    rows.sort_by_key(|row| std::cmp::Reverse(row.finding().map(|f| f.severity)));
    out.push_str("| Edge (client → server) | Client build | Group | Status | Finding |\n| --- | --- | --- | --- | --- |\n");
    for row in rows.iter().take(MAX_EDGE_ROWS) {
        let e = row.first();
        let status = if e.silent_downgrade {
            format!("{} (**silent downgrade**)", e.standing)
        } else {
            e.standing.to_string()
        };
        let finding = row
            .finding()
            .map(|f| format!("`{}` ({})", f.id, f.severity))
            .unwrap_or_else(|| "–".into());
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {status} | {finding} |",
            cell(&row.label()),
            cell(&row.build()),
            cell(&row.group()),
        );
    }
    if rows.len() > MAX_EDGE_ROWS {
        let _ = writeln!(out, "| … and {} more | | | | |", rows.len() - MAX_EDGE_ROWS);
    }
    if !r.actions.is_empty() {
        out.push_str("\n**Upgrade first**\n");
        for (i, a) in r.actions.iter().take(MAX_ACTIONS).enumerate() {
            let _ = writeln!(out, "{}. **{}** {}", i + 1, a.severity, cell(&a.action));
        }
        if r.actions.len() > MAX_ACTIONS {
            let _ = writeln!(
                out,
                "{}. … and {} more upgrades",
                MAX_ACTIONS + 1,
                r.actions.len() - MAX_ACTIONS
            );
        }
    }
    out
}

impl Renderer for MarkdownRenderer {
    fn part(&mut self, part: Part<'_>) -> String {
        match part {
            Part::Target(report) => {
                self.noun = "endpoint";
                self.target(report, report.target.clone());
                self.findings
                    .extend(report.assessed.findings.iter().cloned());
            }
            Part::Cluster(report) => self.cluster(report),
            Part::CertFile(file) => {
                self.noun = "file";
                let safe = file
                    .certificates
                    .iter()
                    .map(|c| c.certificate.quantum_safe)
                    .chain(file.keys.iter().map(|k| k.key.quantum_safe));
                // A file has no standing; it sorts as the nearest one would.
                let (status, like) = match (&file.error, safe.clone().all(|s| s), safe.count()) {
                    (Some(_), _, _) => ("unreadable", Standing::Error),
                    (None, _, 0) => ("nothing read", Standing::Unknown),
                    (None, false, _) => ("quantum-vulnerable", Standing::Classical),
                    (None, true, _) => ("quantum-safe", Standing::Pq),
                };
                self.rows.push(Row {
                    name: file.path.clone(),
                    standing: like,
                    status: status.to_string(),
                    findings: file.findings.iter().map(|f| f.severity).collect(),
                });
                self.findings.extend(file.findings.iter().cloned());
            }
            Part::Binary(binary) => {
                self.noun = "binary";
                let standing = crate::assess::standing::offer(binary.effective_verdict());
                self.rows.push(Row {
                    name: format!("{} ({})", binary.path, binary.go_version),
                    standing,
                    status: standing.to_string(),
                    findings: binary.findings.iter().map(|f| f.severity).collect(),
                });
                self.findings.extend(binary.findings.iter().cloned());
            }
            Part::BinaryTotals { counts, errors } => {
                self.noun = "binary";
                if counts.skipped > 0 || !errors.is_empty() {
                    self.notes.push(format!(
                        "{} other files skipped, {} unreadable",
                        counts.skipped,
                        errors.len()
                    ));
                }
            }
            Part::CertSummary(summary) => {
                self.noun = "file";
                if let Some(d) = &summary.earliest_deadline_crossed {
                    self.notes
                        .push(format!("Earliest deadline crossed: {}", cell(&d.text())));
                }
            }
            Part::ObserveSummary(summary) => {
                self.noun = "edge";
                for e in &summary.assessed.edges {
                    let standing = e
                        .standings
                        .keys()
                        .copied()
                        .filter(|s| s.rank().is_some())
                        .max_by_key(|s| s.rank())
                        .unwrap_or(Standing::Unknown);
                    let mut groups: Vec<_> = e.groups.iter().collect();
                    groups.sort_by_key(|(g, n)| (std::cmp::Reverse(**n), (*g).clone()));
                    let mut client = e.client.clone();
                    if let Some(pod) = super::observe::client_pod(e) {
                        client.push_str(&format!(" {pod}"));
                    }
                    if let Some(process) = &e.client_process {
                        client.push_str(&format!(" ({process})"));
                    }
                    let server = match &e.server_workload {
                        Some(w) => format!("{} ({w})", e.server_label()),
                        None => e.server_label(),
                    };
                    let status = groups
                        .iter()
                        .map(|(g, n)| format!("{g} ×{n}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    // Each audit prediction is a note: the status column
                    // also feeds the counts line.
                    for p in e.predictions.iter().flatten() {
                        self.notes.push(cell(&format!(
                            "{client} → {server}: {}",
                            super::observe::edge_prediction_text(p)
                        )));
                    }
                    self.rows.push(Row {
                        name: format!("{client} → {server} ×{}", e.connections),
                        standing,
                        status,
                        findings: e.findings.iter().map(|f| f.severity).collect(),
                    });
                }
                if let Some(p) = &summary.assessed.prediction {
                    self.notes.push(cell(&format!(
                        "Cluster audit: {}",
                        super::observe::prediction_sentence(p)
                    )));
                }
                for note in &summary.capture.notes {
                    self.notes.push(cell(note));
                }
                self.findings.extend(summary.findings.iter().cloned());
            }
            Part::ObservedConnection(_) => {}
            Part::InspectSummary(summary) => {
                self.noun = "client";
                for entry in summary.clients.values() {
                    let standing = crate::assess::standing::offer(entry.verdict);
                    self.rows.push(Row {
                        name: format!("{} ×{}", entry.profile, entry.count),
                        standing,
                        status: standing.to_string(),
                        findings: Vec::new(),
                    });
                }
                if summary.downgraded > 0 {
                    self.notes.push(format!(
                        "{} of {} connections offered post-quantum and settled on a classical group",
                        summary.downgraded, summary.total
                    ));
                }
            }
            // The summary has every client; profiles and the matrix are
            // catalogs (the command refuses `-o markdown`).
            Part::InspectRecord(_) | Part::Profiles(_) | Part::Matrix { .. } => {}
        }
        String::new()
    }

    fn baseline(&mut self, diff: &crate::assess::baseline::BaselineDiff) -> String {
        let mut text = format!(
            "#### Changes\n\n**{}**\n",
            super::table::baseline_headline(diff, super::Style { color: false })
        );
        let items = super::table::baseline_items(diff);
        for item in items.iter().take(MAX_FINDINGS) {
            let _ = write!(text, "\n- {}", cell(item));
        }
        if items.len() > MAX_FINDINGS {
            let _ = write!(text, "\n- … and {} more", items.len() - MAX_FINDINGS);
        }
        self.changes = Some(text);
        String::new()
    }

    fn gate(&mut self, decision: &crate::assess::gate::GateDecision) -> String {
        let line = super::table::gate_line(decision, super::Style { color: false });
        let verdict = if decision.failed { "❌" } else { "✅" };
        self.gate = Some(format!(
            "{verdict} **{}**",
            line.trim_end().replace('|', "\\|")
        ));
        String::new()
    }

    fn finish(&mut self) -> String {
        let mut out = String::from("### pqready: post-quantum TLS audit\n\n");
        if let Some(gate) = self.gate.take() {
            let _ = writeln!(out, "{gate}\n");
        }
        let _ = writeln!(out, "{}\n", self.counts_line());
        for note in std::mem::take(&mut self.notes) {
            let _ = writeln!(out, "{note}\n");
        }
        self.table(&mut out);
        for section in std::mem::take(&mut self.edges) {
            let _ = writeln!(out, "{section}");
        }
        if let Some(changes) = self.changes.take() {
            let _ = writeln!(out, "{changes}\n");
        }
        self.top_findings(&mut out);
        self.rows.clear();
        self.findings.clear();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(r: &super::super::cluster::ClusterReport) -> String {
        let mut md = MarkdownRenderer::default();
        md.part(Part::Cluster(r));
        md.finish()
    }

    #[test]
    fn a_cluster_has_its_edges_and_upgrades() {
        let doc = crate::report::html::sample::cluster(3, 1);
        let md = render(&doc);
        let edges = &md[md.find("#### Edges\n").expect("an edges section")..];
        let table: Vec<&str> = edges
            .lines()
            .skip_while(|l| !l.starts_with("| Edge"))
            .take_while(|l| l.starts_with('|'))
            .collect();
        // The header, its rule, the first rows of alike edges, how many more.
        assert_eq!(crate::report::cluster::edge_rows(&doc.edges).len(), 9);
        assert_eq!(table.len(), 2 + MAX_EDGE_ROWS + 1, "{md}");
        assert_eq!(table[2 + MAX_EDGE_ROWS], "| … and 3 more | | | | |", "{md}");
        // Most severe first: the four high rows, the info one, then those
        // without a finding.
        assert!(table[2..6].iter().all(|l| l.ends_with("(high) |")), "{md}");
        assert!(table[6].contains("`unknown-client-build` (info)"), "{md}");
        assert!(table[7].ends_with("| X25519MLKEM768 | pq | – |"), "{md}");
        assert!(
            table.contains(
                &"| `kubelet ×3 → kube-apiserver` | v1.32.4 (go1.23) | x25519 | classical (**silent downgrade**) | `silent-downgrade-edge` (high) |"
            ),
            "{md}"
        );
        // Escaped for Markdown: the hostile name stays inside its code span.
        assert!(
            table.iter().any(|l| l.starts_with("| `workload <script>alert(1)</script> → kube-apiserver` |")),
            "{md}"
        );
        let upgrades = &md[md.find("\n**Upgrade first**\n").expect("the upgrades")..];
        assert!(
            upgrades.contains("\n1. **high** upgrade 3 kubelets from v1.32.4 to v1.33 or later"),
            "{md}"
        );
        // The edges come before the findings.
        assert!(md.find("#### Edges").unwrap() < md.find("#### Top findings").unwrap());
    }

    #[test]
    fn many_kinds_of_edges_are_cut_with_a_count() {
        let mut doc = crate::report::html::sample::cluster(2, 2);
        // Each kubelet another version: a row of its own.
        for (i, e) in doc.edges.iter_mut().enumerate() {
            if e.client.kind == crate::vocab::ClientKind::Kubelet {
                e.client.version = Some(format!("v1.33.{i}"));
            }
        }
        let extra: Vec<_> = (0..20)
            .map(|i| {
                let mut e = doc.edges[0].clone();
                e.client.version = Some(format!("v9.{i}"));
                e
            })
            .collect();
        doc.edges.extend(extra);
        let rows = crate::report::cluster::edge_rows(&doc.edges).len();
        assert!(rows > MAX_EDGE_ROWS);
        let md = render(&doc);
        let shown = md.lines().filter(|l| l.starts_with("| `")).count();
        // The components' table is cut at MAX_ROWS; the edges' at MAX_EDGE_ROWS.
        let components = doc.components.len().min(MAX_ROWS);
        assert_eq!(shown, components + MAX_EDGE_ROWS, "{md}");
        assert!(
            md.contains(&format!("| … and {} more | | | | |", rows - MAX_EDGE_ROWS)),
            "{md}"
        );
    }

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b`c\nd"), "a\\|b'c\\nd");
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(3, "file"), "3 files");
        assert_eq!(shorten("one two, three", 9), "one two…");
        assert_eq!(shorten("short", 9), "short");
    }
}
