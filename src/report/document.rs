//! Saved JSON read back: the one typed reader behind `pqready report`,
//! `--baseline` and the joining of `cluster --shard I/N` documents.
//!
//! Owns: recognising what each JSON value of a saved output is (its
//! [`DocumentKind`]) and reading it into the same report types the commands
//! write, so a field is declared once for writing and reading. A value's
//! kind comes from its `kind` field; the JSON Lines without one are told
//! apart by their fields (`target`: a probed endpoint; `ja4` and `peer`: an
//! inspected client).
//!
//! Must not: read files (commands hand over the text), judge, or format.

use super::binaries;
use super::cert_files;
use super::cluster::ClusterReport;
use super::inspect::{self, InspectRecord};
use super::observe::{ObserveSummary, ObservedRecord};
use super::{Part, TargetReport, SCHEMA};
use crate::vocab::DocumentKind;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// One value of a saved output, read into its report type.
#[derive(Debug, Clone)]
pub enum Document {
    /// A probed endpoint (`probe`, `demo`).
    Target(Box<TargetReport>),
    /// A `cluster` document.
    Cluster(Box<ClusterReport>),
    /// A `certs` document.
    Certs(Box<cert_files::Document>),
    /// A `binaries` document.
    Binaries(Box<binaries::Document>),
    /// One inspected client connection.
    InspectRecord(Box<InspectRecord>),
    /// The end of an inspect session.
    InspectSummary(Box<inspect::Summary>),
    /// One connection seen by `observe`, with its own judgement.
    ObservedConnection(Box<ObservedRecord>),
    /// The end of an `observe` run: its edges, totals and findings, judged
    /// over the whole capture when it was read.
    ObserveSummary(Box<ObserveSummary>),
    /// A decision about the saved run (`gate`, `baseline`): its content is
    /// recomputed by whoever reads the results again, never copied.
    Decision(DocumentKind),
}

impl Document {
    /// What it is.
    pub fn kind(&self) -> DocumentKind {
        match self {
            Document::Target(_) => DocumentKind::Target,
            Document::Cluster(_) => DocumentKind::Cluster,
            Document::Certs(_) => DocumentKind::Certs,
            Document::Binaries(_) => DocumentKind::Binaries,
            Document::InspectRecord(_) => DocumentKind::InspectRecord,
            Document::InspectSummary(_) => DocumentKind::InspectSummary,
            Document::ObservedConnection(_) => DocumentKind::ObservedConnection,
            Document::ObserveSummary(_) => DocumentKind::ObserveSummary,
            Document::Decision(kind) => *kind,
        }
    }

    /// The parts a live run hands the renderer for this document, in order
    /// (none for a decision).
    pub fn parts(&self) -> Vec<Part<'_>> {
        match self {
            Document::Target(report) => vec![Part::Target(report)],
            Document::Cluster(report) => vec![Part::Cluster(report)],
            Document::Certs(doc) => doc
                .files
                .iter()
                .map(Part::CertFile)
                .chain([Part::CertSummary(&doc.summary)])
                .collect(),
            Document::Binaries(doc) => doc
                .binaries
                .iter()
                .map(Part::Binary)
                .chain([Part::BinaryTotals {
                    counts: &doc.counts,
                    errors: &doc.errors,
                }])
                .collect(),
            Document::InspectRecord(record) => vec![Part::InspectRecord(record)],
            Document::InspectSummary(summary) => vec![Part::InspectSummary(summary)],
            Document::ObservedConnection(record) => vec![Part::ObservedConnection(record)],
            Document::ObserveSummary(summary) => vec![Part::ObserveSummary(summary)],
            Document::Decision(_) => Vec::new(),
        }
    }
}

/// Why a saved output cannot be read: one line naming the input and, for a
/// bad value, the line it starts on.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The text is not a sequence of JSON values.
    #[error("{input}: not JSON (line {line}, column {column}): not the -o json output of pqready")]
    NotJson {
        /// The file (or `standard input`).
        input: String,
        /// Where the syntax error is.
        line: usize,
        /// Where the syntax error is.
        column: usize,
    },
    /// One value is JSON but not a document this pqready reads.
    #[error("{input}: line {line}: {why}")]
    Value {
        /// The file (or `standard input`).
        input: String,
        /// The line on which the value starts.
        line: usize,
        /// What is wrong with it.
        why: ValueError,
    },
}

/// What is wrong with one JSON value.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    /// An array, a string, a number.
    #[error("not a pqready result (not a JSON object)")]
    NotObject,
    /// A `schema` other than [`SCHEMA`].
    #[error("schema '{0}' is not {SCHEMA}: not a result this pqready can read")]
    Schema(String),
    /// A `kind` pqready never writes.
    #[error("unknown document kind '{0}'")]
    UnknownKind(String),
    /// The catalog (`matrix`): no results to read.
    #[error("a {0} document lists pqready's catalog, not results: run `pqready {0}` instead")]
    Catalog(DocumentKind),
    /// An object with none of the fields that tell what it is.
    #[error("not a pqready result (no schema, kind or inspect record fields)")]
    Unrecognised,
    /// The kind is known but a field is missing or of the wrong type.
    #[error("not a valid {kind} document: {error}")]
    Invalid {
        /// What the value said it was.
        kind: DocumentKind,
        /// What serde found.
        error: serde_json::Error,
    },
}

/// The fields that tell what a value is; every other field is skipped.
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, deserialize_with = "present")]
    target: bool,
    #[serde(default, deserialize_with = "present")]
    ja4: bool,
    #[serde(default, deserialize_with = "present")]
    peer: bool,
}

/// True for a field that is there, whatever its value (null included).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

/// Reads every JSON value of `text` (JSON Lines, or documents one after
/// another, as `-o json` and `inspect --json-log` write them) into its
/// report type, in order. `input` names the text in errors.
pub fn read(input: &str, text: &str) -> Result<Vec<Document>, ReadError> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    let mut out = Vec::new();
    loop {
        let offset = values.byte_offset();
        let raw = match values.next() {
            None => return Ok(out),
            Some(Ok(raw)) => raw,
            Some(Err(e)) => {
                return Err(ReadError::NotJson {
                    input: input.to_string(),
                    line: e.line(),
                    column: e.column(),
                })
            }
        };
        let document = value(raw.get()).map_err(|why| ReadError::Value {
            input: input.to_string(),
            line: line_of(text, offset),
            why,
        })?;
        out.push(document);
    }
}

/// Reads one JSON value (known to be well-formed) into its document.
fn value(json: &str) -> Result<Document, ValueError> {
    if !json.starts_with('{') {
        return Err(ValueError::NotObject);
    }
    let header: Header = serde_json::from_str(json).map_err(|_| ValueError::Unrecognised)?;
    if let Some(schema) = &header.schema {
        if schema != SCHEMA {
            return Err(ValueError::Schema(schema.clone()));
        }
    }
    let kind = match &header.kind {
        Some(kind) => DocumentKind::parse(kind)
            .filter(|k| !matches!(k, DocumentKind::Target | DocumentKind::InspectRecord))
            .ok_or_else(|| ValueError::UnknownKind(kind.clone()))?,
        None if header.schema.is_some() && header.target => DocumentKind::Target,
        None if header.ja4 && header.peer => DocumentKind::InspectRecord,
        None => return Err(ValueError::Unrecognised),
    };
    fn typed<T: serde::de::DeserializeOwned>(
        kind: DocumentKind,
        json: &str,
    ) -> Result<Box<T>, ValueError> {
        serde_json::from_str(json).map_err(|error| ValueError::Invalid { kind, error })
    }
    Ok(match kind {
        DocumentKind::Target => Document::Target(typed(kind, json)?),
        DocumentKind::Cluster => Document::Cluster(typed(kind, json)?),
        DocumentKind::Certs => Document::Certs(typed(kind, json)?),
        DocumentKind::Binaries => {
            Document::Binaries(Box::new(typed::<binaries::Document>(kind, json)?.restore()))
        }
        DocumentKind::InspectRecord => Document::InspectRecord(typed(kind, json)?),
        DocumentKind::InspectSummary => Document::InspectSummary(typed(kind, json)?),
        DocumentKind::Gate | DocumentKind::Baseline => Document::Decision(kind),
        DocumentKind::Matrix => return Err(ValueError::Catalog(kind)),
        DocumentKind::ObservedConnection => Document::ObservedConnection(typed(kind, json)?),
        DocumentKind::ObserveSummary => Document::ObserveSummary(typed(kind, json)?),
    })
}

/// The line on which the value that starts after `offset` begins.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let rest = &text[offset..];
    let skipped = rest.len() - rest.trim_start().len();
    text[..offset + skipped].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_kinds_apart_and_refuses_what_it_cannot_read() {
        let docs = read(
            "t",
            "{\"schema\":\"pqready/v1\",\"kind\":\"gate\",\"failed\":false}\n\
             {\"schema\":\"pqready/v1\",\"kind\":\"baseline\"}",
        )
        .unwrap();
        let kinds: Vec<DocumentKind> = docs.iter().map(Document::kind).collect();
        assert_eq!(kinds, [DocumentKind::Gate, DocumentKind::Baseline]);
        assert!(docs.iter().all(|d| d.parts().is_empty()));
        assert!(read("t", "").unwrap().is_empty());
        for (text, says) in [
            ("not json", "t: not JSON (line 1, column 2)"),
            (
                "\n\n[1]",
                "t: line 3: not a pqready result (not a JSON object)",
            ),
            ("{\"version\":\"2.1.0\"}", "no schema, kind or inspect"),
            (
                "{\"schema\":\"pqready/v9\",\"target\":\"a\"}",
                "schema 'pqready/v9'",
            ),
            (
                "{\"schema\":\"pqready/v1\",\"kind\":\"weather\"}",
                "unknown document kind 'weather'",
            ),
            (
                "{\"schema\":\"pqready/v1\",\"kind\":\"target\"}",
                "unknown document kind 'target'",
            ),
            ("{\"schema\":\"pqready/v1\",\"kind\":\"matrix\"}", "catalog"),
            (
                "{\"schema\":\"pqready/v1\",\"target\":7}",
                "not a valid target document",
            ),
            (
                "{\"schema\":\"pqready/v1\",\"kind\":\"certs\",\"files\":[]}",
                "not a valid certs document",
            ),
        ] {
            let err = read("t", text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
            assert!(!err.contains('\n'), "{text}: {err}");
        }
    }
}
