//! The JSON Schemas of pqready's output.
//!
//! Owns: the list of JSON documents pqready emits — one entry per kind of
//! object a command prints with `-o json` (or `--json-log`) — and their
//! schemas, generated from the report types themselves (draft 2020-12).
//! The committed copies live in docs/schema/; tests/it/schema.rs checks that
//! they match what this module generates and validates real output against
//! them.
//!
//! The schemas describe what pqready *writes*: every field a type serialises
//! is required (an absent value is `null`, never a missing key), and an
//! object accepts no field its type does not declare, so a renamed field or
//! an unknown label fails validation.
//!
//! Must not: format output or describe anything but those documents.

use super::binaries::Document as BinariesDocument;
use super::catalog::MatrixDocument;
use super::inspect::InspectRecord;
use super::inspect::SummaryDocument;
use super::TargetReport;
use crate::catalog::profile::ClientProfile;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

/// Where the committed schema files live, relative to the repository root.
pub const DIRECTORY: &str = "docs/schema";

/// The `$id` of the schema called `name` (as listed by [`documents`]).
pub fn id(name: &str) -> String {
    format!("urn:pqready:schema:v1:{name}")
}

/// Applied to every subschema: closes objects and turns unit enums into
/// string enums.
fn tighten(schema: &mut Schema) {
    close_object(schema);
    string_enum(schema);
}

/// Every object with declared properties accepts no other property. Maps
/// (`settings`, the summary's `clients`) declare none and keep their
/// `additionalProperties` schema.
fn close_object(schema: &mut Schema) {
    if let Some(object) = schema.as_object_mut() {
        if object.contains_key("properties")
            && !object.contains_key("additionalProperties")
            && !object.contains_key("unevaluatedProperties")
        {
            object.insert("additionalProperties".into(), false.into());
        }
    }
}

/// A unit-only enum derives as a `oneOf` of documented string constants;
/// this makes it one string `enum` of exactly those spellings (what code
/// generators expect) and keeps each value's doc as a line of the
/// description.
fn string_enum(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let Some(Value::Array(variants)) = object.get("oneOf") else {
        return;
    };
    let mut values = Vec::new();
    let mut lines = Vec::new();
    for variant in variants {
        let Some(variant) = variant.as_object() else {
            return;
        };
        let only_strings = variant.get("type") == Some(&Value::from("string"))
            && variant
                .keys()
                .all(|k| matches!(k.as_str(), "type" | "const" | "enum" | "description"));
        let spellings: Vec<Value> = match (variant.get("const"), variant.get("enum")) {
            (Some(c @ Value::String(_)), None) => vec![c.clone()],
            (None, Some(Value::Array(e))) if e.iter().all(Value::is_string) => e.clone(),
            _ => return,
        };
        if !only_strings {
            return;
        }
        if let Some(doc) = variant.get("description").and_then(Value::as_str) {
            for value in &spellings {
                lines.push(format!(
                    "- `{}`: {}",
                    value.as_str().unwrap_or_default(),
                    doc
                ));
            }
        }
        values.extend(spellings);
    }
    object.remove("oneOf");
    object.insert("type".into(), "string".into());
    object.insert("enum".into(), values.into());
    if !lines.is_empty() {
        let mut description = object
            .get("description")
            .and_then(Value::as_str)
            .map(|d| format!("{d}\n\n"))
            .unwrap_or_default();
        description.push_str(&lines.join("\n"));
        object.insert("description".into(), description.into());
    }
}

/// The schema of `T` as pqready serialises it, with its `$id`, title and description.
fn document<T: JsonSchema + ?Sized>(name: &str, description: &str) -> Schema {
    let generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .with_transform(RecursiveTransform(tighten))
        .into_generator();
    titled::<T>(generator, name, description)
}

/// The schema of a file pqready reads (`T` as it deserialises: fields with
/// defaults are optional, unknown fields are refused).
fn input<T: JsonSchema + ?Sized>(name: &str, description: &str) -> Schema {
    titled::<T>(
        SchemaSettings::draft2020_12()
            .for_deserialize()
            .into_generator(),
        name,
        description,
    )
}

fn titled<T: JsonSchema + ?Sized>(
    mut generator: schemars::SchemaGenerator,
    name: &str,
    description: &str,
) -> Schema {
    let mut schema = generator.root_schema_for::<T>();
    let object = schema.ensure_object();
    object.insert("$id".into(), id(name).into());
    object.insert(
        "title".into(),
        format!("pqready {} ({})", name, super::SCHEMA).into(),
    );
    object.insert("description".into(), description.into());
    schema
}

/// Every JSON document pqready emits (and the policy file it reads), by name, with its schema. The file
/// for `name` is `docs/schema/<name>.schema.json`.
pub fn documents() -> Vec<(&'static str, Schema)> {
    vec![
        (
            "probe-target",
            document::<TargetReport>(
                "probe-target",
                "One line of `pqready probe -o json` or `pqready demo -o json` (JSON Lines): \
                 everything observed about one target and what it means. See docs/json.md.",
            ),
        ),
        (
            "cluster",
            document::<super::cluster::ClusterReport>(
                "cluster",
                "The document `pqready cluster -o json` prints: the cluster, every component \
                 discovered through its API with its probe result, the local kubectl, \
                 findings and a summary.",
            ),
        ),
        (
            "inspect-record",
            document::<InspectRecord>(
                "inspect-record",
                "One line of `pqready inspect --json-log FILE` (JSON Lines): what one client \
                 offered in its ClientHello.",
            ),
        ),
        (
            "inspect-summary",
            document::<SummaryDocument<'static>>(
                "inspect-summary",
                "The summary `pqready inspect -o json` prints on exit: clients grouped by \
                 fingerprint and offer, and failed captures by error.",
            ),
        ),
        (
            "observed-connection",
            document::<super::observe::ObservedRecord>(
                "observed-connection",
                "One line of `pqready observe -o json` (JSON Lines): one TLS connection seen \
                 in a packet capture, what each side sent in clear and its judgement.",
            ),
        ),
        (
            "observe-summary",
            document::<super::observe::ObserveSummary>(
                "observe-summary",
                "The last line of `pqready observe -o json`: client → server edges worst \
                 first with counts by negotiated group, totals, findings, and what the \
                 capture held (packets, flows, drops, notes).",
            ),
        ),
        (
            "binaries",
            document::<BinariesDocument>(
                "binaries",
                "The document `pqready binaries -o json` prints: every Go binary found, \
                 its default key-exchange offer, and the files that could not be read.",
            ),
        ),
        (
            "certs",
            document::<super::cert_files::Document>(
                "certs",
                "The document `pqready certs -o json` prints: every file read, with its \
                 certificates, keys and certificate requests (algorithm and size only), \
                 their deadlines and findings, and a summary.",
            ),
        ),
        (
            "gate",
            document::<super::json::GateDocument<'static>>(
                "gate",
                "The last line of `-o json` output when `--fail-on` is given: whether a \
                 finding at or above the threshold remains (exit status 1), and every \
                 finding of the run counted by severity.",
            ),
        ),
        (
            "baseline",
            document::<super::json::BaselineDocument<'static>>(
                "baseline",
                "The line of `-o json` output that `--baseline` adds (before the gate line): \
                 what changed since an earlier run, per subject (a target `host:port`, a \
                 cluster component `category/name`, a file or binary path): new and gone \
                 subjects, status regressions and improvements, new and fixed findings.",
            ),
        ),
        (
            "policy",
            input::<crate::assess::policy::Policy>(
                "policy",
                "A `--policy` file (YAML or JSON), read by probe, demo, cluster and certs: \
                 rules that become findings (post-quantum key exchange required per \
                 component category or target pattern, draft-only forbidden, big-ClientHello \
                 tolerance required, a latest notAfter for quantum-vulnerable certificates) \
                 and accepted exceptions, each with a reason and an expiry date.",
            ),
        ),
        (
            "profile",
            document::<ClientProfile>(
                "profile",
                "One line of `pqready profiles -o json` (JSON Lines): one built-in client profile.",
            ),
        ),
        (
            "matrix",
            document::<MatrixDocument<'static>>(
                "matrix",
                "The document `pqready matrix -o json` prints: the offline client × server \
                 prediction, cell by cell.",
            ),
        ),
    ]
}

/// The schema called `name`, if pqready emits such a document.
pub fn schema(name: &str) -> Option<Schema> {
    documents()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
}

/// A schema as the committed file holds it: pretty JSON and a final newline.
pub fn to_file_text(schema: &Schema) -> String {
    serde_json::to_string_pretty(schema).expect("a schema serialises") + "\n"
}
