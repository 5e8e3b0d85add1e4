//! The JSON Schemas of pqready's output (src/report/schema.rs), checked
//! three ways:
//!
//! 1. the committed files under docs/schema/ are exactly what the types
//!    generate (refresh them with `PQREADY_WRITE_SCHEMAS=1 cargo test --test
//!    schema`; never edit them by hand);
//! 2. real output of every command — `demo`, `probe` (a refused port and a
//!    live server), `profiles`, `matrix`, `binaries` (real Go binaries, and a
//!    directory with unreadable files), `certs` (rcgen-made material) and
//!    `inspect` (its JSON Lines log and its summary, with a real client) —
//!    validates against its schema;
//! 3. the schemas are strict: a renamed field, a missing field or an unknown
//!    label is rejected.

use pqready::report::schema;
use serde_json::Value;
use std::path::{Path, PathBuf};

use crate::support;

/// Set to 1 to (re)write docs/schema/*.schema.json from the types.
const WRITE: &str = "PQREADY_WRITE_SCHEMAS";

fn schema_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(schema::DIRECTORY)
        .join(format!("{name}.schema.json"))
}

#[test]
fn committed_schemas_match_the_types() {
    let write = std::env::var(WRITE).as_deref() == Ok("1");
    let mut stale = Vec::new();
    let documents = schema::documents();
    for (name, generated) in &documents {
        let text = schema::to_file_text(generated);
        let file = schema_file(name);
        if write {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &text).unwrap();
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
            stale.push(file.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "these schema files are missing or differ from what the types generate: {}\n\
         refresh them with `{WRITE}=1 cargo test --test it schema::` and commit the result",
        stale.join(", ")
    );
    // No stray files: every committed schema is a document pqready emits.
    let dir = schema_file("x").parent().unwrap().to_path_buf();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let name = file.strip_suffix(".schema.json").unwrap_or(&file);
        assert!(
            documents.iter().any(|(n, _)| *n == name),
            "{}: not a document pqready emits (src/report/schema.rs)",
            dir.join(&file).display()
        );
    }
}

#[test]
fn every_schema_is_a_valid_draft_2020_12_schema() {
    for (name, generated) in schema::documents() {
        let value = serde_json::to_value(&generated).unwrap();
        assert_eq!(
            value["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert_eq!(value["$id"], schema::id(name));
        if let Err(e) = jsonschema::meta::validate(&value) {
            panic!("{name}: not a valid JSON Schema: {e}");
        }
    }
}

#[test]
fn vocabulary_enums_list_exactly_the_serde_spellings() {
    use pqready::vocab::{CheckStatus, ErrorKind, PqStatus};
    let target = value_of("probe-target");
    let listed = |def: &str| target["$defs"][def]["enum"].clone();
    let names = |all: Vec<&str>| serde_json::json!(all);
    assert_eq!(
        listed("ErrorKind"),
        names(ErrorKind::ALL.iter().map(|k| k.name()).collect())
    );
    assert_eq!(
        listed("CheckStatus"),
        names(CheckStatus::ALL.iter().map(|k| k.name()).collect())
    );
    assert_eq!(
        listed("PqStatus"),
        names(PqStatus::ALL.iter().map(|k| k.name()).collect())
    );
    assert!(!listed("ErrorKind")
        .as_array()
        .unwrap()
        .contains(&"no-tls".into()));
    for schema in ["inspect-record", "inspect-summary"] {
        assert_eq!(
            value_of(schema)["$defs"]["CertType"]["enum"],
            names(
                pqready::vocab::CertType::ALL
                    .iter()
                    .map(|t| t.name())
                    .collect()
            ),
            "{schema}"
        );
    }
}

// ------------------------------------------------------------------ helpers

/// The generated schema called `name` as JSON (equal to the committed file,
/// which [`committed_schemas_match_the_types`] checks).
fn value_of(name: &str) -> Value {
    let schema = schema::schema(name).unwrap_or_else(|| panic!("no schema {name}"));
    serde_json::to_value(schema).unwrap()
}

/// Why `doc` does not match the schema called `name`, one line per error.
fn violations(name: &str, doc: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(&value_of(name))
        .unwrap_or_else(|e| panic!("{name}: bad schema: {e}"));
    validator
        .iter_errors(doc)
        .map(|e| format!("at {:?}: {e}", e.instance_path().to_string()))
        .collect()
}

/// Asserts that every one of `docs` (at least one) matches schema `name`.
pub(crate) fn assert_valid(name: &str, what: &str, docs: &[Value]) {
    assert!(!docs.is_empty(), "{what}: no output to validate");
    for doc in docs {
        let errors = violations(name, doc);
        assert!(
            errors.is_empty(),
            "{what}: output does not match docs/schema/{name}.schema.json:\n{}\n{doc}",
            errors.join("\n")
        );
    }
}

/// `pqready ARGS`: its exit code and its stdout as JSON values, one per line.
fn run_json(args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let out = support::command::run(args);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let docs = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (out.status.code(), docs)
}

/// `pqready ARGS`, which must exit 0.
fn json_ok(args: &[&str]) -> Vec<Value> {
    let (code, docs) = run_json(args);
    assert_eq!(code, Some(0), "`pqready {}` failed", args.join(" "));
    docs
}

// ------------------------------------------------------------- real output

#[test]
fn demo_output_matches_the_probe_target_schema() {
    let all = json_ok(&["demo", "--clients", "all", "-o", "json"]);
    assert_eq!(all.len(), 4, "one line per demo server");
    assert!(all
        .iter()
        .any(|t| !t["findings"].as_array().unwrap().is_empty()));
    assert!(all.iter().all(|t| t["hello_tolerance"].is_object()));
    assert_valid("probe-target", "demo --clients all", &all);

    let groups = json_ok(&["demo", "--only", "groups", "-o", "json"]);
    assert!(groups.iter().all(|t| t["hello_tolerance"].is_null()));
    assert_valid("probe-target", "demo --only groups", &groups);

    // Without the groups check the verdict may be `unknown`.
    let no_groups = json_ok(&["demo", "--skip", "groups", "-o", "json"]);
    assert!(no_groups
        .iter()
        .any(|t| t["verdict"]["status"] == "unknown"));
    assert_valid("probe-target", "demo --skip groups", &no_groups);
}

/// With `--fail-on`, the last JSON line is the gate's decision.
#[test]
fn the_gate_line_matches_the_gate_schema() {
    let (code, mut docs) = run_json(&[
        "demo",
        "--clients",
        "all",
        "--fail-on",
        "high",
        "-o",
        "json",
    ]);
    assert_eq!(code, Some(1), "demo --clients all has high findings");
    let gate = docs.pop().unwrap();
    assert_eq!(gate["kind"], "gate");
    assert_valid("gate", "demo --fail-on high", &[gate]);
    assert_valid("probe-target", "demo --fail-on high", &docs);
}

#[test]
fn probe_error_report_matches_the_probe_target_schema() {
    // Nothing listens on a loopback port the OS just handed out and took back.
    let target = support::kubeconfig::closed_port().to_string();
    let (code, docs) = run_json(&["probe", &target, "--clients", "all", "-o", "json"]);
    assert_eq!(code, Some(2), "an unprobed target exits 2");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["error_kind"], "refused");
    assert_eq!(docs[0]["verdict"]["status"], "error");
    assert_valid("probe-target", "probe of a refused port", &docs);
}

#[test]
fn probe_of_a_go_server_matches_the_probe_target_schema() {
    if !support::peers::require(&["goserver-1.24"]) {
        return;
    }
    let server = support::peers::go_server("1.24");
    let target = server.addr.to_string();
    let docs = json_ok(&["probe", &target, "--clients", "all", "-o", "json"]);
    assert_eq!(docs[0]["verdict"]["status"], "pq");
    assert_valid("probe-target", "probe of a Go 1.24 server", &docs);
}

#[test]
fn profiles_and_matrix_match_their_schemas() {
    let profiles = json_ok(&["profiles", "-o", "json"]);
    assert!(profiles.len() > 20);
    assert_valid("profile", "profiles -o json", &profiles);

    let matrix = json_ok(&[
        "matrix",
        "--clients",
        "all",
        "--servers",
        "all",
        "-o",
        "json",
    ]);
    assert_eq!(matrix.len(), 1, "one document");
    assert!(!matrix[0]["cells"].as_array().unwrap().is_empty());
    assert_valid("matrix", "matrix -o json", &matrix);
}

/// A directory holding a text file and a truncated executable (the first
/// 64 bytes of pqready itself): `binaries` is empty, `errors` is not; exit
/// code 2.
#[test]
fn binaries_errors_match_the_binaries_schema() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a program\n").unwrap();
    let exe = std::fs::read(env!("CARGO_BIN_EXE_pqready")).unwrap();
    std::fs::write(dir.path().join("truncated"), &exe[..64]).unwrap();
    let (code, docs) = run_json(&["binaries", dir.path().to_str().unwrap(), "-o", "json"]);
    assert_eq!(code, Some(2));
    assert_eq!(docs.len(), 1, "one document");
    assert_eq!(docs[0]["counts"]["skipped"], 1);
    assert_eq!(docs[0]["errors"].as_array().unwrap().len(), 1);
    assert_valid("binaries", "binaries on a directory without Go", &docs);
}

/// `certs` on rcgen-made material — an ML-DSA chain under an ECDSA CA, a
/// private key, a TLS Secret, a kubeconfig — next to a malformed PEM file:
/// every field of the document, errors included, matches the certs schema.
#[test]
fn certs_output_matches_the_certs_schema() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let dir = tempfile::tempdir().unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "schema CA");
    ca_params.not_after = rcgen::date_time_ymd(2040, 1, 1);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_65).unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["schema.test".into()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let chain = format!("{}{}", leaf.pem(), ca.pem());
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("chain.pem", &chain);
    write("leaf.key", &key.serialize_pem());
    write(
        "secret.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: s, namespace: n}}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: {}\n  tls.key: {}\n",
            b64(&chain),
            b64(&key.serialize_pem())
        ),
    );
    write(
        "kubeconfig",
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://127.0.0.1', certificate-authority-data: {}}}\nusers: []\n",
            b64(&ca.pem())
        ),
    );
    write(
        "broken.pem",
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    );
    let (code, docs) = run_json(&[
        "certs",
        dir.path().to_str().unwrap(),
        "-o",
        "json",
        "--deadlines",
        "nist,cnsa2",
    ]);
    assert_eq!(code, Some(2), "broken.pem is an error");
    assert_eq!(docs.len(), 1, "one document");
    assert_eq!(docs[0]["summary"]["files"], 5);
    assert!(docs[0]["summary"]["earliest_deadline_crossed"].is_object());
    assert_valid(
        "certs",
        "certs on certificates, keys, a Secret and a kubeconfig",
        &docs,
    );
    // A key must never grow a field the schema does not know.
    let mut doc = docs[0].clone();
    doc["files"][0]["keys"] = serde_json::json!([{"kind": "private", "private_key": "…"}]);
    assert!(!violations("certs", &doc).is_empty());
}

/// Real Go binaries of the peer prefix — a Go 1.24 server with module
/// information and Debian's etcd without — with a runtime GODEBUG from a
/// systemd unit, next to a non-Go file and a truncated Go binary.
#[test]
fn binaries_of_real_go_programs_match_the_binaries_schema() {
    if !support::peers::require(&["goserver-1.24", "usr/bin/etcd"]) {
        return;
    }
    let server = support::peers::bin("goserver-1.24");
    let etcd = support::peers::peers_dir().join("usr/bin/etcd");
    let dir = tempfile::tempdir().unwrap();
    let go = std::fs::read(&server).unwrap();
    std::fs::write(dir.path().join("truncated"), &go[..go.len() / 2]).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a program\n").unwrap();
    let unit = dir.path().join("etcd.service");
    std::fs::write(
        &unit,
        "[Service]\nEnvironment=GODEBUG=tlsmlkem=1\nExecStart=/usr/bin/etcd\n",
    )
    .unwrap();

    let docs = json_ok(&[
        "binaries",
        server.to_str().unwrap(),
        etcd.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(docs[0]["counts"]["go_binaries"], 2);
    assert!(docs[0]["binaries"][1]["main_module"].is_null());
    assert_valid("binaries", "binaries on Go programs", &docs);

    let (code, docs) = run_json(&[
        "binaries",
        server.to_str().unwrap(),
        etcd.to_str().unwrap(),
        dir.path().to_str().unwrap(),
        "--godebug-from",
        unit.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(code, Some(2), "the truncated binary is an error");
    assert!(docs[0]["binaries"][0]["runtime"].is_object());
    assert!(!docs[0]["errors"].as_array().unwrap().is_empty());
    assert_valid("binaries", "binaries with --godebug-from and errors", &docs);
}

/// `pqready inspect` with a JSON Lines log and a JSON summary: a
/// post-quantum ClientHello (the go1.24 profile's, as tests/it/inspect.rs
/// sends it) and a plain HTTP request, so the log holds a record of each
/// shape and the summary has clients and errors.
#[test]
fn inspect_log_and_summary_match_their_schemas() {
    use std::io::Write;
    use std::time::Duration;
    use support::inspector::Inspector;

    let inspector = Inspector::start(&["--timeout", "2s", "-o", "json"], 2);
    let addr = inspector.addr;
    let hello = pqready::catalog::profile::find("go1.24")
        .unwrap()
        .client_hello(Some("schema.test".into()))
        .encode();
    let hello =
        pqready::wire::record::fragment(&hello, 16384, pqready::wire::ProtocolVersion::TLS1_0);
    for bytes in [&hello[..], b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"] {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(bytes).unwrap();
        // Usually lets the inspector answer before the client hangs up; the
        // assertions below hold either way (every record must fit the schema).
        std::thread::sleep(Duration::from_millis(200));
    }

    let (records, stdout, _live) = inspector.finish();
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(records.iter().any(|r| r["verdict"] == "pq"));
    assert!(records.iter().any(|r| r["error"].is_string()));
    assert_valid("inspect-record", "inspect --json-log", &records);

    let summary: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(summary.len(), 1, "{stdout}");
    assert_eq!(summary[0]["total"], 2);
    assert_valid("inspect-summary", "inspect -o json", &summary);
}

// ------------------------------------------------------ strictness

/// One real line of `demo -o json` to mutate.
fn demo_line() -> Value {
    json_ok(&["demo", "--clients", "go1.24", "-o", "json"])
        .into_iter()
        .next()
        .unwrap()
}

#[test]
fn a_renamed_field_is_rejected() {
    let line = demo_line();
    assert!(violations("probe-target", &line).is_empty());

    // At the top level: `verdict` renamed (so also missing).
    let mut renamed = line.clone();
    let verdict = renamed.as_object_mut().unwrap().remove("verdict").unwrap();
    renamed["pq_verdict"] = verdict;
    let errors = violations("probe-target", &renamed);
    assert!(
        errors.iter().any(|e| e.contains("pq_verdict")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("verdict")), "{errors:?}");

    // Nested, inside a flattened type: a tolerance variant's `hello_bytes`.
    let mut nested = line.clone();
    let variant = nested["hello_tolerance"]["variants"][0]
        .as_object_mut()
        .unwrap();
    let bytes = variant.remove("hello_bytes").unwrap();
    variant.insert("hello_size".into(), bytes);
    assert!(!violations("probe-target", &nested).is_empty());

    // A field added that the type does not have.
    let mut added = line.clone();
    added["checks"][0]["extra"] = true.into();
    assert!(!violations("probe-target", &added).is_empty());

    // Every other document is just as strict.
    let mut profile = json_ok(&["profiles", "-o", "json"]).remove(0);
    let shares = profile
        .as_object_mut()
        .unwrap()
        .remove("key_shares")
        .unwrap();
    profile["keyshares"] = shares;
    assert!(!violations("profile", &profile).is_empty());
}

#[test]
fn a_wrong_label_is_rejected() {
    let line = demo_line();
    for (pointer, bad) in [
        ("/verdict/status", "maybe"),
        ("/checks/0/status", "done"),
        ("/groups/selection", "server-order"),
        ("/hello_tolerance/variants/0/outcome", "fine"),
        // A kind merged away is not accepted any more.
        ("/checks/0/error_kind", "no-tls"),
        // Group names are exact, and hex is lower-case.
        ("/groups/supported/0", "x25519mlkem768"),
        ("/groups/supported/0", "0x11EC"),
        ("/tls_versions/0", "TLS1.3"),
    ] {
        let mut bad_line = line.clone();
        *bad_line.pointer_mut(pointer).unwrap() = bad.into();
        assert!(
            !violations("probe-target", &bad_line).is_empty(),
            "{pointer} = {bad:?} was accepted"
        );
    }
    // Lower-case hex is how unknown codepoints are written: accepted.
    let mut hex = line.clone();
    *hex.pointer_mut("/groups/supported/0").unwrap() = "0xfe01".into();
    assert!(violations("probe-target", &hex).is_empty());
}
