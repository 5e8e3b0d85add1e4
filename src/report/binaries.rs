//! Rendering for `pqready binaries`: one line per Go binary as it is found,
//! then totals; or one JSON document. Pure formatting of `gobin` reports.

use super::style::Style;
use crate::assess::OfferVerdict;
use crate::gobin::{Counts, FileError, GoBinary, RuntimeOffer};
use serde::Serialize;

/// One Go binary as a few lines for a terminal.
pub fn binary_lines(b: &BinaryReport, style: Style) -> String {
    let standing = crate::assess::standing::offer(b.verdict);
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
        style.standing(standing, &format!("{standing:<10}")),
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
        let at_run_time = crate::assess::standing::offer(rt.verdict);
        out.push_str(&format!(
            "    at run time (GODEBUG={} from {}): {}\n",
            super::printable(&rt.offer.godebug),
            super::printable(&rt.offer.source),
            style.standing(at_run_time, at_run_time.name())
        ));
    }
    for note in &b.notes {
        out.push_str(&format!("    note: {}\n", super::printable(note)));
    }
    // The findings the gate counts are shown where the binary is.
    for f in &b.findings {
        out.push_str(&format!(
            "    {} {}: {}\n      fix: {}\n",
            style.severity(f.severity),
            f.id,
            super::printable(&f.detail),
            f.remediation
        ));
        if let Some(note) = super::exception_note(f) {
            out.push_str(&format!("      {note}\n"));
        }
    }
    out
}

/// `n` with the noun in the number it takes.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the walk counted, in words: `3 Go binaries, 1 other file skipped, 0 errors`.
pub fn counts_sentence(counts: &Counts) -> String {
    format!(
        "{}, {} skipped, {}",
        count(counts.go_binaries, "Go binary", "Go binaries"),
        count(counts.skipped, "other file", "other files"),
        count(counts.errors, "error", "errors")
    )
}

/// The reminder printed under verdicts that come from build defaults alone.
pub const DEFAULTS_ONLY: &str = "Defaults only: a GODEBUG environment variable at run time can \
     still change them (--godebug-from reads one from a systemd unit or pod spec).";

/// The closing totals; `runtime_applied` when `--godebug-from` applied a
/// run-time GODEBUG to the binaries (the verdicts are then no longer
/// defaults only).
pub fn totals(counts: &Counts, errors: &[FileError], runtime_applied: bool) -> String {
    let mut out = format!("{}\n", counts_sentence(counts));
    for e in errors {
        out.push_str(&format!(
            "error: {}: {}\n",
            super::printable(&e.path),
            super::printable(&e.error)
        ));
    }
    if !runtime_applied {
        out.push_str(DEFAULTS_ONLY);
        out.push('\n');
    }
    out
}

/// One Go binary as reported: its facts and the verdicts `assess` gave,
/// each declared once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct BinaryReport {
    /// What the build info says.
    #[serde(flatten)]
    pub binary: GoBinary,
    /// The verdict on the default offer (`pq`, `draft-only`, `classical`);
    /// null when the Go version is not understood.
    pub verdict: Option<OfferVerdict>,
    /// The offer with a runtime GODEBUG applied, when one was given.
    pub runtime: Option<RuntimeReport>,
    /// Findings: `classical-binary` when the offer that applies at run time
    /// has no standard post-quantum group.
    pub findings: Vec<crate::assess::Finding>,
}

/// The runtime offer with its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct RuntimeReport {
    /// What the runtime GODEBUG makes the binary offer.
    #[serde(flatten)]
    pub offer: RuntimeOffer,
    /// Its verdict; null when the Go version is not understood.
    pub verdict: Option<OfferVerdict>,
}

impl BinaryReport {
    /// Puts `binary`'s facts next to what the judge concluded
    /// ([`crate::assess::Judge::binary`]).
    pub fn new(
        binary: GoBinary,
        judged: crate::assess::BinaryAssessment,
        findings: Vec<crate::assess::Finding>,
    ) -> Self {
        let runtime = binary.runtime.clone().map(|offer| RuntimeReport {
            offer,
            verdict: judged.runtime_verdict,
        });
        BinaryReport {
            binary,
            verdict: judged.verdict,
            runtime,
            findings,
        }
    }

    /// The verdict that applies at run time: with the runtime GODEBUG when
    /// one was applied, else the default one.
    pub fn effective_verdict(&self) -> Option<OfferVerdict> {
        match &self.runtime {
            Some(r) => r.verdict,
            None => self.verdict,
        }
    }
}

impl std::ops::Deref for BinaryReport {
    type Target = GoBinary;

    fn deref(&self) -> &GoBinary {
        &self.binary
    }
}

/// The `pqready binaries` JSON document, as written and as read back.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Document {
    /// Always `pqready/v1`.
    #[schemars(with = "String", extend("const" = crate::report::SCHEMA))]
    pub schema: crate::report::Schema,
    /// Always `binaries`.
    #[schemars(with = "String", extend("const" = "binaries"))]
    pub kind: crate::vocab::DocumentKind,
    /// Every Go binary found, in walk order.
    pub binaries: Vec<BinaryReport>,
    /// What the walk saw.
    pub counts: Counts,
    /// Files that could not be read.
    pub errors: Vec<FileError>,
}

impl Document {
    /// The document of a walk.
    pub fn new(binaries: Vec<BinaryReport>, counts: Counts, errors: Vec<FileError>) -> Self {
        Document {
            schema: crate::report::Schema,
            kind: crate::vocab::DocumentKind::Binaries,
            binaries,
            counts,
            errors,
        }
    }

    /// Puts back what a saved binary's JSON carries only once: the runtime
    /// offer (serialised next to its verdict, not inside the build info) and
    /// whether it is known (its verdict is null exactly when it is not).
    pub fn restore(mut self) -> Self {
        for b in &mut self.binaries {
            if let Some(rt) = &mut b.runtime {
                rt.offer.known = rt.verdict.is_some();
            }
            b.binary.runtime = b.runtime.as_ref().map(|r| r.offer.clone());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(binary: GoBinary) -> BinaryReport {
        let (verdict, findings) = crate::assess::Judge::default().binary(&binary, "/x");
        BinaryReport::new(binary, verdict, findings)
    }
    use crate::gobin::tests::info;
    use crate::gobin::{combine_godebug, RuntimeGodebug};
    use crate::wire::NamedGroup;
    use std::path::Path;

    #[test]
    fn judges_default_offers_through_the_shared_rule() {
        let r = |v, g: Option<&str>| judged(GoBinary::new(Path::new("/x"), &info(v, g)));
        assert_eq!(r("go1.22.12", None).verdict, Some(OfferVerdict::Classical));
        let old = r("go1.22.12", None);
        assert_eq!(old.findings.len(), 1);
        assert_eq!(
            old.findings[0].id,
            crate::vocab::FindingKind::ClassicalBinary
        );
        assert!(old.findings[0]
            .detail
            .contains("classical groups only by default"));
        let draft = r("go1.23.8", None);
        assert!(draft.findings[0].detail.contains("X25519Kyber768Draft00"));
        assert!(r("go1.24.2", None).findings.is_empty());
        assert_eq!(
            r("go1.23.8", Some("winsymlink=0")).verdict,
            Some(OfferVerdict::DraftOnly)
        );
        assert_eq!(
            r("go1.23.8", Some("tls3des=1,tlskyber=0")).verdict,
            Some(OfferVerdict::Classical)
        );
        let mlkem = r("go1.24.2", None);
        assert_eq!(mlkem.verdict, Some(OfferVerdict::Pq));
        assert_eq!(mlkem.pq_default_groups, [NamedGroup::X25519MLKEM768]);
        assert_eq!(mlkem.default_godebug.as_deref(), Some(""));
        assert_eq!(
            r("go1.24.0", Some("tlsmlkem=0,x509rsacrt=0")).verdict,
            Some(OfferVerdict::Classical)
        );
        assert_eq!(r("go1.26.1", None).pq_default_groups.len(), 3);
        assert_eq!(
            r("go1.26.1", Some("tlssecpmlkem=0")).pq_default_groups,
            [NamedGroup::X25519MLKEM768]
        );
        let json = serde_json::to_value(r("go1.26.1", None)).unwrap();
        assert_eq!(
            json["pq_default_groups"],
            serde_json::json!(["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"])
        );
        assert_eq!(json["verdict"], "pq");
        assert_eq!(json["cgo_enabled"], false);
    }

    #[test]
    fn applies_a_runtime_godebug_on_top() {
        let mut binary = GoBinary::new(Path::new("/x"), &info("go1.24.0", Some("tlsmlkem=0")));
        assert_eq!(
            judged(binary.clone()).verdict,
            Some(OfferVerdict::Classical)
        );
        assert_eq!(judged(binary.clone()).findings.len(), 1);
        binary.apply_runtime(&RuntimeGodebug {
            value: "tlsmlkem=1".into(),
            source: "etcd.service".into(),
        });
        let r = judged(binary);
        let rt = r.runtime.as_ref().unwrap();
        assert_eq!(rt.offer.effective_godebug, "tlsmlkem=0,tlsmlkem=1");
        assert_eq!(rt.verdict, Some(OfferVerdict::Pq));
        assert_eq!(r.effective_verdict(), Some(OfferVerdict::Pq));
        assert!(r.findings.is_empty(), "the runtime GODEBUG restores ML-KEM");
        assert_eq!(r.verdict, Some(OfferVerdict::Classical));
        assert_eq!(combine_godebug("", "a=1"), "a=1");
        assert_eq!(combine_godebug("a=1", ""), "a=1");
    }
}
