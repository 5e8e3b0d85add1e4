//! Reports: the one document model and the renderers that format it.
//!
//! Owns: the report types every command prints — [`TargetReport`] (a probed
//! endpoint's facts next to what `assess` concluded), and the inspect,
//! binaries, certs and catalog documents — handed over as a stream of [`Part`]s,
//! and one [`Renderer`] per output format (`table`,
//! `json`, `sarif`, `markdown`, `cbom`). A new format is one more `Renderer`; a new kind of result is one
//! more `Part` that each renderer formats.
//!
//! Must not: send traffic, read files or make judgements: a renderer only
//! formats what the model already says.

pub mod binaries;
pub mod catalog;
pub mod cbom;
pub mod cert_files;
pub mod certs;
pub mod cluster;
pub mod document;
pub mod html;
pub mod inspect;
pub mod json;
pub mod markdown;
pub mod observe;
pub mod prometheus;
pub mod reference;
pub mod sarif;
pub mod schema;
pub mod style;
pub mod table;

use crate::assess::EndpointAssessment;
use crate::probe::TargetObservation;
use crate::vocab::ErrorKind;
use serde::{Deserialize, Serialize};

pub use style::Style;

/// The JSON schema identifier; bumped only for incompatible changes.
pub const SCHEMA: &str = "pqready/v1";

/// The `schema` field of every document: written as [`SCHEMA`]; reading
/// refuses any other value, so a document of another (future, incompatible)
/// contract is refused rather than misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Schema;

impl Serialize for Schema {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(SCHEMA)
    }
}

impl<'de> Deserialize<'de> for Schema {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        if text == SCHEMA {
            Ok(Schema)
        } else {
            Err(serde::de::Error::custom(format!(
                "schema '{text}' is not {SCHEMA}"
            )))
        }
    }
}

/// Everything reported about one target: the facts (`probe`) and the
/// judgement (`assess`), side by side, each declared once. Field names are a
/// contract (docs/json.md): add fields, never rename them.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetReport {
    /// Always `pqready/v1` (`SCHEMA`): the version of this contract.
    #[schemars(with = "String", extend("const" = SCHEMA))]
    pub schema: Schema,
    /// The target as given, normalised to `host:port`.
    pub target: String,
    /// Why the target could not be probed, or null.
    pub error: Option<String>,
    /// A stable label for `error` (`resolve`, `refused`, `timeout`, `not-tls`, ...).
    pub error_kind: Option<ErrorKind>,
    /// What was observed.
    #[serde(flatten)]
    pub observed: TargetObservation,
    /// What it means.
    #[serde(flatten)]
    pub assessed: EndpointAssessment,
}

impl TargetReport {
    /// Where it stands, as `assess` derives it from its verdict and error kind.
    pub fn standing(&self) -> crate::vocab::Standing {
        crate::assess::standing::endpoint(self.assessed.verdict.status, self.error_kind)
    }

    /// A report of a probed target; one that could not be probed carries
    /// why (the observation's [`TargetObservation::failure`]).
    pub fn probed(target: &str, observed: TargetObservation, assessed: EndpointAssessment) -> Self {
        let failure = observed.failure();
        let (error, error_kind) = match &observed.ssh {
            // An SSH target runs no TLS check: its own probe says why not.
            Some(ssh) => (ssh.error.clone(), ssh.error_kind),
            None => (
                failure.and_then(|f| f.error.clone()),
                failure.and_then(|f| f.error_kind),
            ),
        };
        TargetReport {
            schema: Schema,
            target: target.to_string(),
            error,
            error_kind,
            observed,
            assessed,
        }
    }
}

/// One piece of a command's output. Streamed parts (a target, an inspected
/// client, a binary) arrive as they are ready; closing parts end a document.
#[derive(Debug, Clone, Copy)]
pub enum Part<'a> {
    /// A probed endpoint (`probe`, `demo`).
    Target(&'a TargetReport),
    /// A whole cluster audit (`cluster`).
    Cluster(&'a cluster::ClusterReport),
    /// One inspected client connection (`inspect`).
    InspectRecord(&'a inspect::InspectRecord),
    /// The end of an inspect session.
    InspectSummary(&'a inspect::Summary),
    /// One connection seen in a capture (`observe`).
    ObservedConnection(&'a observe::ObservedRecord),
    /// The end of an `observe` run: edges, totals, findings.
    ObserveSummary(&'a observe::ObserveSummary),
    /// One Go binary (`binaries`).
    Binary(&'a binaries::BinaryReport),
    /// The end of a binaries walk.
    BinaryTotals {
        /// What the walk saw.
        counts: &'a crate::gobin::Counts,
        /// Files that could not be read.
        errors: &'a [crate::gobin::FileError],
    },
    /// The client profile catalog (`profiles`).
    Profiles(&'a [&'a crate::catalog::profile::ClientProfile]),
    /// One file read by `certs`: its certificates, keys and findings.
    CertFile(&'a cert_files::FileReport),
    /// The end of a `certs` run.
    CertSummary(&'a cert_files::Summary),
    /// The offline client × server prediction (`matrix`).
    Matrix {
        /// Rows.
        clients: &'a [&'a crate::catalog::profile::ClientProfile],
        /// Columns.
        servers: &'a [&'a crate::catalog::server::ServerModel],
        /// Every cell, row by row.
        cells: &'a [crate::catalog::server::MatrixCell],
    },
}

impl Part<'_> {
    /// The findings this part carries (for the `--fail-on` gate): a target's,
    /// every finding of a cluster, a certificate file's, a Go binary's.
    pub fn findings(&self) -> &[crate::assess::Finding] {
        match self {
            Part::Target(report) => &report.assessed.findings,
            Part::Cluster(report) => &report.findings,
            Part::CertFile(file) => &file.findings,
            Part::Binary(report) => &report.findings,
            Part::ObserveSummary(summary) => &summary.findings,
            _ => &[],
        }
    }
}

/// Formats parts as text. Streaming formats return text per part; formats
/// that need the whole document keep what they need and return it from
/// [`Renderer::finish`].
pub trait Renderer {
    /// Text to write now for `part` (may be empty).
    fn part(&mut self, part: Part<'_>) -> String;
    /// The `--fail-on` gate's decision, given before [`Renderer::finish`]:
    /// text to write now, or kept for the closing document.
    fn gate(&mut self, decision: &crate::assess::gate::GateDecision) -> String;
    /// What changed since `--baseline`, given before [`Renderer::gate`]:
    /// text to write now, or kept for the closing document.
    fn baseline(&mut self, diff: &crate::assess::baseline::BaselineDiff) -> String;
    /// Text that closes the document (may be empty).
    fn finish(&mut self) -> String;
}

/// The output formats (`-o/--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable tables (the default).
    #[default]
    Table,
    /// JSON (JSON Lines for streamed results; see docs/json.md).
    Json,
    /// SARIF 2.1.0: one result per finding, for code scanning.
    Sarif,
    /// A short Markdown summary for a pull-request or issue comment.
    Markdown,
    /// A CycloneDX CBOM (cryptography bill of materials), one JSON document.
    Cbom,
    /// One self-contained HTML page: charts, tables, findings (no scripts,
    /// no external resources).
    Html,
}

impl Format {
    /// True for the formats of results (`sarif`, `markdown`, `cbom`, `html`):
    /// the catalog commands (`profiles`, `matrix`) have none to give.
    pub fn findings_only(self) -> bool {
        matches!(
            self,
            Format::Sarif | Format::Markdown | Format::Cbom | Format::Html
        )
    }
}

/// The renderer for `format`.
pub fn renderer(format: Format, style: Style) -> Box<dyn Renderer + Send> {
    match format {
        Format::Table => Box::new(table::TableRenderer::new(style)),
        Format::Json => Box::new(json::JsonRenderer::default()),
        Format::Sarif => Box::new(sarif::SarifRenderer::default()),
        Format::Markdown => Box::new(markdown::MarkdownRenderer::default()),
        Format::Cbom => Box::new(cbom::CbomRenderer::new(cbom::SpecVersion::default())),
        Format::Html => Box::new(html::HtmlRenderer::default()),
    }
}

/// The line shown under a finding a `--policy` exception covers.
pub fn exception_note(finding: &crate::assess::Finding) -> Option<String> {
    finding.exception.as_ref().map(|e| {
        if e.expired {
            format!(
                "exception EXPIRED on {} (counts again): {}",
                e.expires,
                printable(&e.reason)
            )
        } else {
            format!("accepted until {}: {}", e.expires, printable(&e.reason))
        }
    })
}

/// `text` with control characters escaped (`\u{1b}`, `\n`), for strings that
/// came from a peer or a file and are about to reach a terminal or a log line:
/// they must not move the cursor or forge extra lines.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        std::borrow::Cow::Owned(
            text.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn escapes_control_characters() {
        assert_eq!(printable("kube.example"), "kube.example");
        assert_eq!(printable("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\nc");
    }
}
