//! The JSON renderer. Streamed results (probed targets, inspected clients)
//! are JSON Lines, one object per line as each is ready, so memory stays
//! flat on large scans; whole documents (binaries, certs, profiles, matrix,
//! the inspect summary) are one object each. With `--baseline`, what changed is
//! one more line; with `--fail-on`, the gate's decision is one more line, last. The field contract is docs/json.md
//! and the JSON Schemas under docs/schema/.

use super::binaries::BinaryReport;
use super::{binaries, catalog, inspect, Part, Renderer, SCHEMA};
use crate::assess::baseline::BaselineDiff;
use crate::assess::gate::GateDecision;
use crate::vocab::DocumentKind;
use serde::Serialize;

/// One value as a single JSON line.
pub fn line<T: Serialize + ?Sized>(value: &T) -> String {
    // Plain data with string keys cannot fail to serialise.
    serde_json::to_string(value).expect("report serialises") + "\n"
}

/// The JSON renderer; keeps only the binaries and certificate files it must
/// print as one document.
#[derive(Default)]
pub struct JsonRenderer {
    binaries: Vec<BinaryReport>,
    cert_files: Vec<super::cert_files::FileReport>,
}

impl Renderer for JsonRenderer {
    fn part(&mut self, part: Part<'_>) -> String {
        match part {
            Part::Target(report) => line(report),
            Part::Cluster(report) => line(report),
            Part::InspectRecord(record) => line(record),
            Part::InspectSummary(summary) => line(&inspect::SummaryDocument::new(summary)),
            Part::ObservedConnection(record) => line(record),
            Part::ObserveSummary(summary) => line(summary),
            Part::Binary(report) => {
                self.binaries.push(report.clone());
                String::new()
            }
            Part::BinaryTotals { counts, errors } => {
                let binaries = std::mem::take(&mut self.binaries);
                line(&binaries::Document::new(binaries, *counts, errors.to_vec()))
            }
            // `certs` is one document, written with the summary.
            Part::CertFile(file) => {
                self.cert_files.push(file.clone());
                String::new()
            }
            Part::CertSummary(summary) => {
                let files = std::mem::take(&mut self.cert_files);
                line(&super::cert_files::Document::new(files, summary.clone()))
            }
            Part::Profiles(profiles) => profiles.iter().map(line).collect(),
            Part::Matrix {
                clients,
                servers,
                cells,
            } => line(&catalog::MatrixDocument::new(clients, servers, cells)),
        }
    }

    fn baseline(&mut self, diff: &BaselineDiff) -> String {
        line(&BaselineDocument::new(diff))
    }

    fn gate(&mut self, decision: &GateDecision) -> String {
        line(&GateDocument::new(decision))
    }

    fn finish(&mut self) -> String {
        String::new()
    }
}

/// What changed since `--baseline`, as a JSON line before the gate's.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BaselineDocument<'a> {
    /// Always `pqready/v1`.
    #[schemars(with = "String", extend("const" = SCHEMA))]
    pub schema: crate::report::Schema,
    /// Always `baseline`.
    #[schemars(with = "String", extend("const" = "baseline"))]
    pub kind: DocumentKind,
    /// The changes.
    #[serde(flatten)]
    pub diff: &'a BaselineDiff,
}

impl<'a> BaselineDocument<'a> {
    /// The document of `diff`.
    pub fn new(diff: &'a BaselineDiff) -> Self {
        BaselineDocument {
            schema: crate::report::Schema,
            kind: DocumentKind::Baseline,
            diff,
        }
    }
}

/// The `--fail-on` decision as the last JSON line of a run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GateDocument<'a> {
    /// Always `pqready/v1`.
    #[schemars(with = "String", extend("const" = SCHEMA))]
    pub schema: crate::report::Schema,
    /// Always `gate`.
    #[schemars(with = "String", extend("const" = "gate"))]
    pub kind: DocumentKind,
    /// The decision.
    #[serde(flatten)]
    pub decision: &'a GateDecision,
}

impl<'a> GateDocument<'a> {
    /// The document of `decision`.
    pub fn new(decision: &'a GateDecision) -> Self {
        GateDocument {
            schema: crate::report::Schema,
            kind: DocumentKind::Gate,
            decision,
        }
    }
}
