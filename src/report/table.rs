//! Terminal rendering: a block per target, then a summary table when more
//! than one target was probed. Colour only when asked (the caller decides
//! from TTY, `--no-color` and `NO_COLOR`). Pure formatting.

use super::style::Tone;
use super::{binaries, catalog, inspect, Part, Renderer, Style, TargetReport};
use crate::vocab::{CheckId, CheckStatus, DiscoveryMethod as Method, Selection, Standing};
use crate::wire::NamedGroup;
use std::fmt::Write;

/// The table renderer: a block per target (and a summary table at the end
/// when there were several), a line per binary, tables for the rest.
pub struct TableRenderer {
    style: Style,
    summary: Vec<SummaryRow>,
    gate: Option<String>,
    baseline: Option<String>,
    /// A binary was shown with a run-time GODEBUG applied (`--godebug-from`).
    runtime_godebug: bool,
}

impl TableRenderer {
    /// A renderer with `style`.
    pub fn new(style: Style) -> Self {
        TableRenderer {
            style,
            summary: Vec::new(),
            gate: None,
            baseline: None,
            runtime_godebug: false,
        }
    }
}

impl Renderer for TableRenderer {
    fn part(&mut self, part: Part<'_>) -> String {
        let style = self.style;
        match part {
            Part::Target(report) => {
                self.summary.push(SummaryRow::of(report));
                format!("{}\n", render_target(report, style))
            }
            Part::Cluster(report) => super::cluster::table(report, style),
            Part::InspectRecord(record) => format!("{}\n", inspect::live_line(record, style)),
            Part::InspectSummary(summary) => inspect::summary_table(summary, style),
            // Connections are counted in the summary's edges; JSON lists each.
            Part::ObservedConnection(_) => String::new(),
            Part::ObserveSummary(summary) => super::observe::summary_table(summary, style),
            Part::Binary(report) => {
                self.runtime_godebug |= report.runtime.is_some();
                binaries::binary_lines(report, style)
            }
            Part::BinaryTotals { counts, errors } => {
                binaries::totals(counts, errors, self.runtime_godebug)
            }
            Part::CertFile(file) => super::cert_files::file_block(file, style),
            Part::CertSummary(summary) => super::cert_files::summary_lines(summary),
            Part::Profiles(profiles) => catalog::profiles_table(profiles),
            Part::Matrix {
                clients,
                servers,
                cells,
            } => catalog::matrix_table(clients, servers, cells, style),
        }
    }

    fn gate(&mut self, decision: &crate::assess::gate::GateDecision) -> String {
        self.gate = Some(gate_line(decision, self.style));
        String::new()
    }

    fn baseline(&mut self, diff: &crate::assess::baseline::BaselineDiff) -> String {
        let mut text = format!("{}\n", baseline_headline(diff, self.style));
        for item in baseline_items(diff) {
            let _ = writeln!(text, "  {item}");
        }
        self.baseline = Some(text);
        String::new()
    }

    fn finish(&mut self) -> String {
        let gate = self.baseline.take().unwrap_or_default() + &self.gate.take().unwrap_or_default();
        let rows = std::mem::take(&mut self.summary);
        let summary = if rows.len() > 1 {
            render_summary(&rows, self.style)
        } else {
            String::new()
        };
        summary + &gate
    }
}

/// `changes since baseline: 1 regression, 1 new finding, 2 fixed findings,
/// 1 new, 1 gone, 7 unchanged findings`, and `(--fail-on-change): FAILED` when
/// that fails the run.
pub fn baseline_headline(d: &crate::assess::baseline::BaselineDiff, style: Style) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let counts = [
        plural(d.regressions.len(), "regression", "regressions"),
        plural(d.new_findings.len(), "new finding", "new findings"),
        plural(d.fixed_findings.len(), "fixed finding", "fixed findings"),
        plural(d.improvements.len(), "improvement", "improvements"),
        format!("{} new", d.new_subjects.len()),
        format!("{} gone", d.gone_subjects.len()),
        plural(
            d.unchanged_findings as usize,
            "unchanged finding",
            "unchanged findings",
        ),
    ]
    .join(", ");
    let verdict = if !d.fail_on_change {
        String::new()
    } else if d.failed {
        format!(" (--fail-on-change: {})", style.paint(Tone::Bad, "FAILED"))
    } else {
        format!(" (--fail-on-change: {})", style.paint(Tone::Good, "passed"))
    };
    format!("changes since baseline{verdict}: {counts}")
}

/// One line per change since the baseline, worst first: regressions, new
/// findings, new and gone subjects, improvements, fixed findings. Text from
/// peers and files is escaped.
pub fn baseline_items(d: &crate::assess::baseline::BaselineDiff) -> Vec<String> {
    use crate::assess::baseline::{FindingChange, StatusChange};
    let p = |t: &str| super::printable(t).into_owned();
    let status = |label: &str, c: &StatusChange| {
        format!("{label}: {} {} -> {}", p(&c.subject), c.from, c.to)
    };
    let finding = |label: &str, f: &FindingChange| {
        format!("{label}: {} {}: {}", p(&f.subject), f.id, p(&f.detail))
    };
    let subject = |label: &str, s: &String| format!("{label}: {}", p(s));
    let mut items = Vec::new();
    items.extend(d.regressions.iter().map(|c| status("regression", c)));
    items.extend(d.new_findings.iter().map(|f| finding("new finding", f)));
    items.extend(d.new_subjects.iter().map(|s| subject("new", s)));
    items.extend(d.gone_subjects.iter().map(|s| subject("gone", s)));
    items.extend(d.improvements.iter().map(|c| status("improvement", c)));
    items.extend(d.fixed_findings.iter().map(|f| finding("fixed", f)));
    items
}

/// `gate: FAILED (--fail-on medium, --policy): 3 findings at or above medium, 1 policy
/// violation, 1 excepted (high 1, medium 2, low 4, info 0)`.
pub fn gate_line(d: &crate::assess::gate::GateDecision, style: Style) -> String {
    let word = if d.failed { "FAILED" } else { "passed" };
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut flags = Vec::new();
    let mut parts = Vec::new();
    if let Some(threshold) = d.fail_on {
        flags.push(format!("--fail-on {threshold}"));
        parts.push(format!(
            "{} at or above {threshold}",
            plural(d.findings_at_or_above, "finding", "findings")
        ));
    }
    if let Some(violations) = d.policy_violations {
        flags.push("--policy".to_string());
        parts.push(plural(violations, "policy violation", "policy violations"));
    }
    if d.excepted > 0 {
        parts.push(format!("{} excepted", d.excepted));
    }
    let f = &d.findings;
    format!(
        "gate: {} ({}): {} (high {}, medium {}, low {}, info {})\n",
        style.paint(super::style::decision(d.failed), word),
        flags.join(", "),
        parts.join(", "),
        f.high,
        f.medium,
        f.low,
        f.info
    )
}

fn groups_line(groups: &[NamedGroup], sep: &str) -> String {
    if groups.is_empty() {
        return "none found".into();
    }
    groups
        .iter()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

fn selection_text(selection: Selection, key_share_preferred: Option<bool>) -> &'static str {
    match selection {
        Selection::ServerOrder => "server's own order (ignores client order and key shares)",
        Selection::ClientOrder => "client's order",
        Selection::KeyShareThenServerOrder => {
            "a group the client sent a key share for, else server's order"
        }
        Selection::KeyShareThenClientOrder => {
            "a group the client sent a key share for, else client's order"
        }
        Selection::PqThenKeyShareThenServerOrder => {
            "post-quantum first (even at the cost of a HelloRetryRequest), then a group the client sent a key share for, else server's order"
        }
        Selection::Mixed => "mixed (neither server nor client order explains its choices)",
        Selection::SingleGroup => "single group",
        Selection::Unknown if key_share_preferred == Some(true) => {
            "prefers groups with a key share; order unknown"
        }
        Selection::Unknown => "unknown",
    }
}

/// The SSH lines of a target block: what the server identified as and
/// offered, and what each OpenSSH release negotiates with it.
fn render_ssh(
    out: &mut String,
    ssh: &crate::probe::ssh::SshObservation,
    judged: Option<&crate::assess::ssh::SshAssessment>,
    style: Style,
    row: &dyn Fn(&mut String, &str, &str),
) {
    if let Some(id) = &ssh.identification {
        row(out, "SSH server", id);
    }
    let kex: Vec<String> = ssh
        .kex
        .iter()
        .map(|k| match crate::catalog::ssh::is_pq_kex(k) {
            true => style.paint(Tone::Good, k),
            false => k.clone(),
        })
        .collect();
    row(out, "kex", &kex.join(", "));
    row(out, "host keys", &ssh.host_key.join(", "));
    row(out, "ciphers", &ssh.ciphers_s2c.join(", "));
    row(out, "MACs", &ssh.macs_s2c.join(", "));
    let Some(judged) = judged else { return };
    // Equal outcomes of consecutive releases share one line.
    let mut lines: Vec<(String, String, Option<String>)> = Vec::new();
    for c in &judged.clients {
        let name =
            crate::catalog::ssh::ssh_client(&c.profile).map_or(c.profile.as_str(), |p| p.name);
        match lines.last_mut() {
            Some((_, last, kex))
                if *kex == c.kex && !c.profile.contains("debian") && !last.contains("Debian") =>
            {
                *last = name.to_string();
            }
            _ => lines.push((name.to_string(), name.to_string(), c.kex.clone())),
        }
    }
    for (first, last, kex) in lines {
        let who = match first == last {
            true => first,
            false => format!("{first} – {}", last.trim_start_matches("OpenSSH ")),
        };
        let got = match kex.as_deref() {
            Some(k) if crate::catalog::ssh::is_pq_kex(k) => style.paint(Tone::Good, k),
            Some(k) => style.paint(Tone::Bad, k),
            None => style.paint(Tone::Bad, "no key exchange in common"),
        };
        row(out, "client", &format!("{who}: {got}"));
    }
}

/// The findings lines of a target block.
fn render_findings_of(out: &mut String, judged: &crate::assess::EndpointAssessment, style: Style) {
    let row = |out: &mut String, k: &str, v: &str| {
        let _ = writeln!(out, "  {k:<12} {v}");
    };
    for f in &judged.findings {
        row(
            out,
            "finding",
            &format!("{} {}: {}", style.severity(f.severity), f.id, f.title),
        );
        // Details name certificates, whose subjects come from the peer.
        row(out, "", &super::printable(&f.detail));
        if let Some(note) = super::exception_note(f) {
            row(out, "", &note);
        }
        row(out, "", &format!("fix: {}", f.remediation));
    }
}

/// Renders one target as a block of labelled lines.
pub fn render_target(report: &TargetReport, style: Style) -> String {
    let r = &report.observed;
    let judged = &report.assessed;
    let mut out = String::new();
    let addr = match &r.address {
        Some(a) if a.to_string() != report.target => format!(" ({a})"),
        _ => String::new(),
    };
    let sni = r
        .sni
        .as_ref()
        .map(|s| format!(" sni={s}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{}{addr}{sni}",
        style.paint(Tone::Heading, &report.target)
    );
    let row = |out: &mut String, k: &str, v: &str| {
        let _ = writeln!(out, "  {k:<12} {v}");
    };
    row(
        &mut out,
        "verdict",
        &style.standing(report.standing(), &judged.verdict.text),
    );
    if let Some(err) = &report.error {
        row(&mut out, "error", err);
        row(
            &mut out,
            "connections",
            &format!("{} in {} ms", r.connections, r.elapsed_ms),
        );
        return out;
    }
    if let Some(ssh) = &r.ssh {
        render_ssh(&mut out, ssh, judged.ssh_kex.as_ref(), style, &row);
        row(
            &mut out,
            "connections",
            &format!("{} in {} ms", r.connections, r.elapsed_ms),
        );
        render_findings_of(&mut out, judged, style);
        return out;
    }
    let ran = |id: CheckId| {
        r.checks
            .iter()
            .any(|c| c.id == id && c.status != CheckStatus::NotRun)
    };
    let versions: Vec<String> = r.tls_versions.iter().map(|v| v.to_string()).collect();
    if ran(CheckId::Versions) || ran(CheckId::Groups) || ran(CheckId::Handshake) {
        row(&mut out, "TLS", &versions.join(", "));
    }
    let g = &r.groups;
    if ran(CheckId::Groups) {
        match &g.server_order {
            Some(order) => row(
                &mut out,
                "groups",
                &format!(
                    "{}  (server preference, best first)",
                    groups_line(order, " > ")
                ),
            ),
            None => row(&mut out, "groups", &groups_line(&g.supported, ", ")),
        }
        let rule = match g.selection {
            Some(selection) => selection_text(selection, g.key_share_preferred),
            None => "not checked",
        };
        row(&mut out, "selection", rule);
    }
    match g.method {
        Method::KeyShare => row(
            &mut out,
            "method",
            "one real key share per group (server refuses empty key_share)",
        ),
        Method::Tls12ServerKeyExchange => {
            row(&mut out, "method", "TLS 1.2 ECDHE curves (no TLS 1.3)")
        }
        _ => {}
    }
    let h = &r.handshake;
    let got = match (&h.negotiated_group, &h.error) {
        (Some(group), _) => {
            let suite = h.cipher_suite.map(|c| c.to_string()).unwrap_or_default();
            let version = h.version.map(|v| v.to_string()).unwrap_or_default();
            let hrr = if h.hello_retry {
                "HelloRetryRequest"
            } else {
                "no HelloRetryRequest"
            };
            let certs = match h.certificate_chain.len() {
                1 => "1 certificate".to_string(),
                n => format!("{n} certificates"),
            };
            format!("{group}, {suite}, {version}, {hrr}, {certs}")
        }
        (None, Some(err)) => err.clone(),
        (None, None) => "no handshake".into(),
    };
    if ran(CheckId::Handshake) {
        row(&mut out, "PQ client", &format!("rustls gets {got}"));
    }
    if let Some(auth) = &r.authentication {
        row(&mut out, "auth", &super::certs::auth_text(auth));
    }
    if ran(CheckId::Certificates) {
        render_certificates(&mut out, judged, style);
    }
    for failed in r.checks.iter().filter(|c| c.status == CheckStatus::Failed) {
        row(
            &mut out,
            "check failed",
            &format!(
                "{} ({}): {}",
                failed.id,
                failed.error_kind.map(|k| k.name()).unwrap_or("error"),
                failed.error.as_deref().unwrap_or("")
            ),
        );
    }
    row(
        &mut out,
        "connections",
        &format!("{} in {} ms", r.connections, r.elapsed_ms),
    );
    if let Some(t) = &judged.hello_tolerance {
        let verdict = t.verdict.name();
        let parts: Vec<String> = t
            .variants
            .iter()
            .map(|v| format!("{} {}", v.observed.name, v.outcome))
            .collect();
        row(
            &mut out,
            "big hello",
            &format!(
                "{} ({})",
                style.paint(super::style::tolerance(t.verdict), verdict),
                parts.join(", ")
            ),
        );
    }
    if !r.clients.is_empty() {
        render_clients(&mut out, &r.clients, style);
    }
    render_findings_of(&mut out, judged, style);
    for note in &g.notes {
        row(&mut out, "note", note);
    }
    out
}

fn render_certificates(out: &mut String, judged: &crate::assess::EndpointAssessment, style: Style) {
    let certs = &judged.certificates;
    let table = certs
        .first()
        .and_then(|c| c.deadlines.first())
        .map(|d| {
            format!(
                "; deadlines: {}",
                crate::catalog::deadlines::table(d.table).name
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {:<12} {} seen, leaf first per chain{table}",
        "certificates",
        certs.len() + judged.certificate_errors.len()
    );
    if !certs.is_empty() {
        out.push_str(&super::certs::certificate_table(certs, "  ", true, style));
    }
    for unread in &judged.certificate_errors {
        let _ = writeln!(
            out,
            "  {:<12} {} sha256 {} cannot be read: {}",
            "",
            unread.role,
            unread.fingerprint_sha256,
            super::printable(&unread.error)
        );
    }
}

fn render_clients(out: &mut String, clients: &[crate::probe::clients::ClientResult], style: Style) {
    let width = clients
        .iter()
        .map(|c| c.profile.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        out,
        "  {:<12} {:<width$}  {:<22} {:<4} PQ",
        "clients", "PROFILE", "GETS", "HRR"
    );
    for c in clients {
        let got = match (c.failed, c.negotiated_group) {
            (true, _) => "handshake fails".to_string(),
            (false, Some(g)) => g.to_string(),
            (false, None) => c
                .version
                .map(|v| format!("{v}, no ECDHE"))
                .unwrap_or_else(|| "-".into()),
        };
        let line = format!(
            "{:<width$}  {:<22} {:<4} {}",
            c.profile,
            got,
            if c.hello_retry { "yes" } else { "no" },
            if c.pq { "yes" } else { "no" }
        );
        let tone = super::style::handshake(c.failed, !c.unanswered(), c.negotiated_group);
        let _ = writeln!(out, "  {:<12} {}", "", style.paint(tone, &line));
    }
}

/// One target's line in the closing summary: kept instead of the whole
/// report, so a long scan's memory does not grow with its results.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    cells: [String; 5],
    standing: Standing,
}

impl SummaryRow {
    /// The summary line of `report`.
    pub fn of(report: &TargetReport) -> Self {
        let r = &report.observed;
        let pq: Vec<NamedGroup> = r
            .groups
            .supported
            .iter()
            .copied()
            .filter(|g| g.is_post_quantum())
            .collect();
        let standing = report.standing();
        // An empty set proves "none" only when discovery ran to the end.
        let groups_completed = r.completed(CheckId::Groups);
        if let Some(ssh) = &report.assessed.ssh_kex {
            // An SSH server: its PQ hybrids, and what the newest OpenSSH gets.
            let newest = ssh.clients.last().and_then(|c| c.kex.clone());
            return SummaryRow {
                cells: [
                    report.target.clone(),
                    super::style::standing_text(standing, report.error_kind),
                    match ssh.pq_kex.is_empty() {
                        true => "none (ssh)".into(),
                        false => format!("{} (ssh)", ssh.pq_kex.join(",")),
                    },
                    newest.unwrap_or_else(|| "-".into()),
                    r.connections.to_string(),
                ],
                standing,
            };
        }
        SummaryRow {
            cells: [
                report.target.clone(),
                super::style::standing_text(standing, report.error_kind),
                if report.error.is_some() {
                    "-".into()
                } else if !groups_completed {
                    "not checked".into()
                } else if pq.is_empty() {
                    "none".into()
                } else {
                    groups_line(&pq, ",")
                },
                r.handshake
                    .negotiated_group
                    .map(|g| g.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.connections.to_string(),
            ],
            standing,
        }
    }
}

/// Renders the summary table for several targets.
pub fn render_summary(rows: &[SummaryRow], style: Style) -> String {
    let header = ["TARGET", "STATUS", "PQ GROUPS", "PQ CLIENT GETS", "CONN"];
    let cells: Vec<[String; 5]> = rows.iter().map(|r| r.cells.clone()).collect();
    let (head, lines) = super::style::columns(header, &cells);
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.paint(Tone::Heading, &head));
    for (text, row) in lines.iter().zip(rows) {
        let _ = writeln!(out, "{}", style.standing(row.standing, text));
    }
    out
}
