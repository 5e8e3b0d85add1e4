//! Rendering for `pqready binaries`: one line per Go binary as it is found,
//! then totals; or one JSON document. Pure formatting of `gobin` reports.

use super::table::Style;
use crate::assess::OfferVerdict;
use crate::gobin::{BinaryReport, Counts, FileError};
use serde::Serialize;

fn verdict_label(v: Option<OfferVerdict>) -> (&'static str, &'static str) {
    match v {
        Some(OfferVerdict::Pq) => ("pq", "32"),
        Some(OfferVerdict::DraftOnly) => ("draft-only", "33"),
        Some(OfferVerdict::Classical) => ("classical", "31"),
        None => ("unknown", "33"),
    }
}

/// One Go binary as a few lines for a terminal.
pub fn binary_lines(b: &BinaryReport, style: Style) -> String {
    let (label, code) = verdict_label(b.verdict);
    let module = b
        .main_module
        .as_ref()
        .map(|m| {
            format!(
                "{} {}",
                super::printable(&m.path),
                super::printable(&m.version)
            )
        })
        .unwrap_or_else(|| "(no module info)".into());
    let tls_debug: Vec<&str> = b
        .default_godebug
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|kv| kv.trim_start().starts_with("tls") || kv.trim_start().starts_with("fips"))
        .collect();
    let pq = if b.pq_default_groups.is_empty() {
        "no post-quantum group".to_string()
    } else {
        b.pq_default_groups
            .iter()
            .map(|g| g.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "{}  {}  {}  {}\n    module {module}; TLS GODEBUG {}; default PQ offer: {pq}\n",
        style.paint(code, &format!("{label:<10}")),
        super::printable(&b.go_version),
        super::printable(&b.path),
        if b.cgo_enabled == Some(true) {
            "cgo"
        } else {
            ""
        },
        if tls_debug.is_empty() {
            "none".to_string()
        } else {
            tls_debug.join(",")
        },
    );
    if let Some(rt) = &b.runtime {
        let (rl, rc) = verdict_label(rt.verdict);
        out.push_str(&format!(
            "    at run time (GODEBUG={} from {}): {}\n",
            super::printable(&rt.godebug),
            super::printable(&rt.source),
            style.paint(rc, rl)
        ));
    }
    for note in &b.notes {
        out.push_str(&format!("    note: {}\n", super::printable(note)));
    }
    out
}

/// The closing totals.
pub fn totals(counts: &Counts, errors: &[FileError]) -> String {
    let mut out = format!(
        "{} Go binaries, {} other files skipped, {} errors\n",
        counts.go_binaries, counts.skipped, counts.errors
    );
    for e in errors {
        out.push_str(&format!(
            "error: {}: {}\n",
            super::printable(&e.path),
            super::printable(&e.error)
        ));
    }
    out.push_str(
        "Defaults only: a GODEBUG environment variable at run time can still change them \
         (--godebug-from reads one from a systemd unit or pod spec).\n",
    );
    out
}

/// The `pqready binaries` JSON document.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Document<'a> {
    /// Always `pqready/v1`.
    #[schemars(extend("const" = crate::report::SCHEMA))]
    pub schema: &'static str,
    /// Always `binaries`.
    #[schemars(extend("const" = "binaries"))]
    pub kind: &'static str,
    /// Every Go binary found, in walk order.
    pub binaries: &'a [BinaryReport],
    /// What the walk saw.
    pub counts: &'a Counts,
    /// Files that could not be read.
    pub errors: &'a [FileError],
}
