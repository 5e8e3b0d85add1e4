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
use crate::report::cluster::ClusterReport;
use crate::report::document::{self, Document};
use crate::report::{inspect, Part};
use std::io::Read;
use std::path::Path;

/// The most one input may hold: saved reports of very large scans fit; a
/// wrong file (a disk image, /dev/zero) is refused instead of filling memory.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

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
        saved.extend(document::read(&name, &text).map_err(|e| CommandError(e.to_string()))?);
    }
    // Decisions about the saved run are recomputed from the flags given now.
    saved.retain(|d| !matches!(d, Document::Decision(_)));
    if saved.is_empty() {
        return Err(CommandError(
            "no pqready results in the input: nothing to report".into(),
        ));
    }
    let saved = rejudge(join_cluster_shards(saved)?);
    let mut output = Output::open(args.output)?;
    let mut records = inspect::Summary::default();
    let mut any_record = false;
    for item in &saved {
        for part in item.parts() {
            if let Part::InspectRecord(record) = part {
                any_record = true;
                records.add(record);
            }
            output.part(part);
        }
    }
    if any_record {
        output.part(Part::InspectSummary(&records));
    }
    output.finish();
    Ok(Outcome::Complete)
}

/// Saved endpoints get the findings of rules added since they were judged
/// (key exchange, judged by default since issue 21), so an older saved run
/// reports what a run today would; what they carry stays as saved.
fn rejudge(saved: Vec<Document>) -> Vec<Document> {
    let judge = crate::assess::Judge::default();
    let endpoint = |r: &mut crate::report::TargetReport, name: Option<&str>, category| {
        let target = r.target.clone();
        let subject = crate::assess::policy::Subject {
            target: &target,
            name,
            category,
        };
        judge.saved_endpoint(&r.observed, &mut r.assessed, &subject);
    };
    saved
        .into_iter()
        .map(|document| match document {
            Document::Target(mut r) => {
                endpoint(&mut r, None, None);
                Document::Target(r)
            }
            Document::Cluster(doc) => Document::Cluster(Box::new(doc.with_component_findings(
                |r, category, name| endpoint(r, Some(name), Some(category)),
            ))),
            other => other,
        })
        .collect()
}

/// Several `cluster` documents are the shards of one run (`pqready cluster
/// --shard I/N`): they are joined into one document, where the first one was.
/// Documents of different clusters are refused.
fn join_cluster_shards(saved: Vec<Document>) -> Result<Vec<Document>, CommandError> {
    let clusters = saved
        .iter()
        .filter(|s| matches!(s, Document::Cluster(_)))
        .count();
    if clusters < 2 {
        return Ok(saved);
    }
    let mut docs = Vec::with_capacity(clusters);
    let mut out = Vec::with_capacity(saved.len() - clusters + 1);
    let mut first_at = None;
    for item in saved {
        match item {
            Document::Cluster(doc) => {
                first_at.get_or_insert(out.len());
                docs.push(*doc);
            }
            other => out.push(other),
        }
    }
    let merged = ClusterReport::merge(docs).map_err(|e| CommandError(e.to_string()))?;
    out.insert(
        first_at.expect("at least two cluster documents"),
        Document::Cluster(Box::new(merged)),
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

pub(super) fn read_file(path: &Path) -> Result<String, CommandError> {
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
