//! `pqready report`: re-renders saved JSON in any format without probing
//! again. Each file (or standard input) holds JSON Lines or whole
//! documents, as `-o json` and `inspect --json-log` write them; each value is
//! read back into the report model and handed to the renderer as the parts a
//! live run would have produced. Several `cluster` documents of one
//! cluster (the outputs of `cluster --shard I/N`) are joined into one; the
//! JSON Lines of `probe --shard I/N` runs simply follow one another.

use super::output::Output;
use super::{CommandError, Outcome};
use crate::cli::ReportArgs;
use crate::gobin::{Counts, FileError};
use crate::report::binaries::BinaryReport;
use crate::report::cert_files::{self, FileReport};
use crate::report::cluster::ClusterReport;
use crate::report::inspect::{self, InspectRecord};
use crate::report::{Part, TargetReport, SCHEMA};
use serde::Deserialize;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// The most one input may hold: saved reports of very large scans fit; a
/// wrong file (a disk image, /dev/zero) is refused instead of filling memory.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// One value read back from saved JSON.
enum Saved {
    Target(Box<TargetReport>),
    Cluster(Box<ClusterReport>),
    Certs(CertsDocument),
    Binaries(BinariesDocument),
    InspectRecord(Box<InspectRecord>),
    InspectSummary(Box<inspect::Summary>),
}

/// A `certs` document as saved.
#[derive(Deserialize)]
struct CertsDocument {
    #[serde(rename = "schema")]
    _schema: String,
    #[serde(rename = "kind")]
    _kind: String,
    files: Vec<FileReport>,
    summary: cert_files::Summary,
}

/// A `binaries` document as saved.
#[derive(Deserialize)]
struct BinariesDocument {
    #[serde(rename = "schema")]
    _schema: String,
    #[serde(rename = "kind")]
    _kind: String,
    binaries: Vec<BinaryReport>,
    counts: Counts,
    errors: Vec<FileError>,
}

/// Runs `pqready report`.
pub fn run(args: ReportArgs) -> Result<Outcome, CommandError> {
    if args.output.policy.is_some() {
        return Err(CommandError(
            "--policy is not available for `report`: saved results already carry the policy they were produced with"
                .into(),
        ));
    }
    let mut saved = Vec::new();
    let mut stdin_read = false;
    for path in &args.files {
        let (name, text) = if path.as_os_str() == "-" {
            if stdin_read {
                return Err(CommandError("standard input (-) given twice".into()));
            }
            stdin_read = true;
            ("standard input".to_string(), read_stdin()?)
        } else {
            (path.display().to_string(), read_file(path)?)
        };
        parse(&name, &text, &mut saved)?;
    }
    if saved.is_empty() {
        return Err(CommandError(
            "no pqready results in the input: nothing to report".into(),
        ));
    }
    let saved = join_cluster_shards(saved)?;
    let mut output = Output::open(args.output)?;
    let mut records = inspect::Summary::default();
    let mut any_record = false;
    for item in &saved {
        match item {
            Saved::Target(report) => output.part(Part::Target(report)),
            Saved::Cluster(report) => output.part(Part::Cluster(report)),
            Saved::Certs(doc) => {
                for file in &doc.files {
                    output.part(Part::CertFile(file));
                }
                output.part(Part::CertSummary(&doc.summary));
            }
            Saved::Binaries(doc) => {
                for binary in &doc.binaries {
                    output.part(Part::Binary(binary));
                }
                output.part(Part::BinaryTotals {
                    counts: &doc.counts,
                    errors: &doc.errors,
                });
            }
            Saved::InspectRecord(record) => {
                any_record = true;
                records.add(record);
                output.part(Part::InspectRecord(record));
            }
            Saved::InspectSummary(summary) => output.part(Part::InspectSummary(summary)),
        }
    }
    if any_record {
        output.part(Part::InspectSummary(&records));
    }
    output.finish();
    Ok(Outcome::Complete)
}

/// Several `cluster` documents are the shards of one run (`pqready cluster
/// --shard I/N`): they are joined into one document, where the first one was.
/// Documents of different clusters are refused.
fn join_cluster_shards(saved: Vec<Saved>) -> Result<Vec<Saved>, CommandError> {
    let clusters = saved
        .iter()
        .filter(|s| matches!(s, Saved::Cluster(_)))
        .count();
    if clusters < 2 {
        return Ok(saved);
    }
    let mut docs = Vec::with_capacity(clusters);
    let mut out = Vec::with_capacity(saved.len() - clusters + 1);
    let mut first_at = None;
    for item in saved {
        match item {
            Saved::Cluster(doc) => {
                first_at.get_or_insert(out.len());
                docs.push(*doc);
            }
            other => out.push(other),
        }
    }
    let merged = ClusterReport::merge(docs).map_err(CommandError)?;
    out.insert(
        first_at.expect("at least two cluster documents"),
        Saved::Cluster(Box::new(merged)),
    );
    Ok(out)
}

fn read_stdin() -> Result<String, CommandError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CommandError(format!("cannot read standard input: {e}")))?;
    text_of("standard input", bytes)
}

fn read_file(path: &Path) -> Result<String, CommandError> {
    let name = path.display();
    let file =
        std::fs::File::open(path).map_err(|e| CommandError(format!("cannot read {name}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CommandError(format!("cannot read {name}: {e}")))?;
    text_of(&name.to_string(), bytes)
}

fn text_of(name: &str, bytes: Vec<u8>) -> Result<String, CommandError> {
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(CommandError(format!(
            "{name}: larger than {MAX_INPUT_BYTES} bytes"
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| CommandError(format!("{name}: not UTF-8 text, not pqready JSON")))
}

/// Reads every JSON value of `text` (JSON Lines, or documents one after
/// another) into `out`, in order.
fn parse(name: &str, text: &str, out: &mut Vec<Saved>) -> Result<(), CommandError> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let offset = values.byte_offset();
        let value = match values.next() {
            None => return Ok(()),
            Some(Ok(value)) => value,
            Some(Err(e)) => {
                return Err(CommandError(format!(
                    "{name}: not JSON (line {}, column {}): pqready report reads the -o json output of pqready",
                    e.line(),
                    e.column()
                )))
            }
        };
        let at =
            |why: String| CommandError(format!("{name}: line {}: {why}", line_of(text, offset)));
        if let Some(saved) = classify(value).map_err(at)? {
            out.push(saved);
        }
    }
}

/// The line on which the value that starts after `offset` begins.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let rest = &text[offset..];
    let skipped = rest.len() - rest.trim_start().len();
    text[..offset + skipped].matches('\n').count() + 1
}

/// Puts back what a saved binary's JSON carries only once: the runtime
/// offer (serialised next to its verdict, not inside the build info) and
/// whether it is known (its verdict is null exactly when it is not).
fn restore_binaries(mut doc: BinariesDocument) -> BinariesDocument {
    for b in &mut doc.binaries {
        if let Some(rt) = &mut b.runtime {
            rt.offer.known = rt.verdict.is_some();
        }
        b.binary.runtime = b.runtime.as_ref().map(|r| r.offer.clone());
    }
    doc
}

/// What one saved JSON value is; `None` for a `gate` or `baseline` line
/// (recomputed by `--fail-on` or `--baseline`, never copied).
fn classify(value: Value) -> Result<Option<Saved>, String> {
    let Value::Object(map) = &value else {
        return Err("not a pqready result (not a JSON object)".into());
    };
    if let Some(schema) = map.get("schema") {
        if schema.as_str() != Some(SCHEMA) {
            return Err(format!(
                "schema {schema} is not {SCHEMA}: not a result this pqready can read"
            ));
        }
    }
    let read = |what: &str, e: serde_json::Error| format!("not a valid {what}: {e}");
    if let Some(kind) = map.get("kind") {
        let kind = kind.as_str().unwrap_or_default();
        let saved = match kind {
            // Decisions about the saved run: recomputed from the flags given now.
            "gate" | "baseline" => return Ok(None),
            "cluster" => Saved::Cluster(Box::new(
                serde_json::from_value(value).map_err(|e| read("cluster document", e))?,
            )),
            "certs" => Saved::Certs(
                serde_json::from_value(value).map_err(|e| read("certs document", e))?,
            ),
            "binaries" => Saved::Binaries(restore_binaries(
                serde_json::from_value(value).map_err(|e| read("binaries document", e))?,
            )),
            "inspect-summary" => Saved::InspectSummary(Box::new(
                serde_json::from_value(value).map_err(|e| read("inspect summary", e))?,
            )),
            "profiles" | "matrix" => {
                return Err(format!(
                    "a {kind} document lists pqready's catalog, not results: run `pqready {kind}` instead"
                ))
            }
            other => return Err(format!("unknown document kind '{other}'")),
        };
        return Ok(Some(saved));
    }
    if map.contains_key("schema") && map.contains_key("target") {
        return serde_json::from_value(value)
            .map(|r| Some(Saved::Target(Box::new(r))))
            .map_err(|e| read("probe result", e));
    }
    if map.contains_key("ja4") && map.contains_key("peer") {
        return serde_json::from_value(value)
            .map(|r| Some(Saved::InspectRecord(Box::new(r))))
            .map_err(|e| read("inspect record", e));
    }
    Err("not a pqready result (no schema, kind or inspect record fields)".into())
}
