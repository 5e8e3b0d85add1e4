//! Golden test of the JSON contract (docs/json.md: fields are added, never
//! renamed). `pqready demo --clients all --json` runs the in-process demo
//! servers on loopback, so it needs nothing from the host; every key path of
//! its output with the JSON type(s) seen there must still be present, as
//! recorded in tests/golden/demo-clients-all.paths. New paths are allowed; a
//! removed or renamed field, or a path whose type set changed, fails the test
//! with every such path listed. A few values that must not change are checked
//! too.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

use crate::support::command;

const GOLDEN: &str = include_str!("../golden/demo-clients-all.paths");

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn walk(path: String, v: &Value, seen: &mut BTreeMap<String, BTreeSet<&'static str>>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(child, x, seen);
            }
        }
        Value::Array(items) => {
            for x in items {
                walk(format!("{path}[]"), x, seen);
            }
        }
        _ => {}
    }
    if !path.is_empty() {
        seen.entry(path).or_default().insert(type_name(v));
    }
}

/// Every key path of `docs` (keys joined with `.`, array elements as `[]`)
/// followed by `:` and the JSON types seen there over all of them, sorted and
/// joined with `|`: e.g. `clients[].negotiated_group:null|string`.
fn json_paths(docs: &[Value]) -> BTreeSet<String> {
    let mut seen = BTreeMap::new();
    for doc in docs {
        walk(String::new(), doc, &mut seen);
    }
    seen.into_iter()
        .map(|(path, types)| {
            let types: Vec<&str> = types.into_iter().collect();
            format!("{path}:{}", types.join("|"))
        })
        .collect()
}

/// The golden file's lines, comments and blank lines left out.
fn golden_paths(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// The golden paths `current` no longer has, in order.
fn missing<'a>(golden: &'a BTreeSet<String>, current: &BTreeSet<String>) -> Vec<&'a str> {
    golden
        .iter()
        .filter(|p| !current.contains(*p))
        .map(String::as_str)
        .collect()
}

fn demo_clients_all() -> Vec<Value> {
    command::json_lines(&["demo", "--clients", "all", "--json"])
}

#[test]
fn demo_json_keeps_every_golden_path() {
    let docs = demo_clients_all();
    let current = json_paths(&docs);
    if std::env::var_os("PQREADY_GOLDEN_PRINT").is_some() {
        for p in &current {
            println!("{p}");
        }
    }
    let golden = golden_paths(GOLDEN);
    assert!(golden.len() > 50, "golden file too short: {golden:?}");
    let gone = missing(&golden, &current);
    assert!(
        gone.is_empty(),
        "{} of {} golden JSON paths are missing from `pqready demo --clients all --json` \
         (removed, renamed or retyped; see tests/golden/demo-clients-all.paths):\n  {}",
        gone.len(),
        golden.len(),
        gone.join("\n  ")
    );
}

#[test]
fn demo_json_stable_values() {
    let docs = demo_clients_all();
    let expected: [(&str, &str, &str, &[&str]); 4] = [
        (
            "pq-hybrid",
            "pq",
            "tolerant",
            &["silent-downgrade", "classical-client"],
        ),
        (
            "classical-only",
            "classical",
            "tolerant",
            &["classical-server"],
        ),
        (
            "pq-only",
            "pq",
            "inconclusive",
            &["pq-only-lockout", "hello-tolerance-inconclusive"],
        ),
        ("tls12-only", "classical", "tolerant", &["classical-server"]),
    ];
    assert_eq!(docs.len(), expected.len(), "one line per demo server");
    for (doc, (target, status, tolerance, findings)) in docs.iter().zip(expected) {
        assert_eq!(doc["schema"], "pqready/v1", "{target}");
        assert_eq!(doc["target"], target);
        assert_eq!(doc["error"], Value::Null, "{target}");
        assert_eq!(doc["verdict"]["status"], status, "{target}");
        assert_eq!(doc["hello_tolerance"]["verdict"], tolerance, "{target}");
        let ids: Vec<&str> = doc["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("{target}: no findings array"))
            .iter()
            .filter_map(|f| f["id"].as_str())
            .collect();
        for id in findings {
            assert!(
                ids.contains(id),
                "{target}: finding {id} missing from {ids:?}"
            );
        }
        let clients = doc["clients"]
            .as_array()
            .unwrap_or_else(|| panic!("{target}: no clients array"));
        assert!(!clients.is_empty(), "{target}: --clients all replayed none");
        for id in ["kubectl1.33", "go1.24", "openssl3.5", "chrome"] {
            assert!(
                clients.iter().any(|c| c["profile"] == id),
                "{target}: no client {id}"
            );
        }
    }
}

// ---- the comparison itself -----------------------------------------------------

fn docs(lines: &[&str]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn paths_collapse_indices_and_union_types() {
    let got = json_paths(&docs(&[
        r#"{"a":{"b":[{"c":1},{"c":null}]},"d":null,"e":[]}"#,
        r#"{"a":{"b":[{"c":"x","f":true}]},"d":"s"}"#,
    ]));
    let want: BTreeSet<String> = [
        "a:object",
        "a.b:array",
        "a.b[]:object",
        "a.b[].c:null|number|string",
        "a.b[].f:bool",
        "d:null|string",
        "e:array",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(got, want);
}

#[test]
fn a_removed_renamed_or_retyped_field_is_missing() {
    let golden = golden_paths("# comment\n\na:object\na.b:string\nc:null|number\n");
    let same = json_paths(&docs(&[
        r#"{"a":{"b":"x"},"c":1}"#,
        r#"{"a":{"b":"y"},"c":null}"#,
    ]));
    assert_eq!(missing(&golden, &same), Vec::<&str>::new());
    let added = json_paths(&docs(&[
        r#"{"a":{"b":"x","new":1},"c":1,"d":[]}"#,
        r#"{"a":{"b":"y"},"c":null}"#,
    ]));
    assert_eq!(missing(&golden, &added), Vec::<&str>::new());
    let removed = json_paths(&docs(&[r#"{"a":{},"c":1}"#, r#"{"a":{},"c":null}"#]));
    assert_eq!(missing(&golden, &removed), ["a.b:string"]);
    let renamed = json_paths(&docs(&[
        r#"{"a":{"bb":"x"},"c":1}"#,
        r#"{"a":{"bb":"x"},"c":null}"#,
    ]));
    assert_eq!(missing(&golden, &renamed), ["a.b:string"]);
    let retyped = json_paths(&docs(&[r#"{"a":{"b":1},"c":1}"#]));
    assert_eq!(missing(&golden, &retyped), ["a.b:string", "c:null|number"]);
}

#[test]
fn the_golden_file_matches_todays_demo_without_a_field() {
    // Dropping a path from today's output must be caught.
    let golden = golden_paths(GOLDEN);
    let mut current = json_paths(&demo_clients_all());
    assert!(current.remove("handshake.negotiated_group:string"));
    assert_eq!(
        missing(&golden, &current),
        ["handshake.negotiated_group:string"]
    );
}
