//! `pqready report FILE...`: saved JSON re-rendered in every format, as a
//! live run of the same results renders it, without probing again.

use serde_json::Value;
use std::process::{Command, Output};

use crate::support;
use support::command::save;

use support::inspector::Inspector;
use support::peers;

fn run(args: &[&str]) -> Output {
    support::command::run(args)
}

/// `pqready ARGS`, which must succeed: its stdout.
fn stdout_of(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "`pqready {}` failed ({}):\n{stderr}",
        args.join(" "),
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// `pqready ARGS` must fail with exit status 2 and one `pqready: error:` line.
fn one_error_line(args: &[&str], input: Option<&[u8]>) -> String {
    let out = support::command::run_with_stdin(args, input.unwrap_or_default());
    support::command::one_error_line_of(&out, args)
}

/// The parts of a demo table that differ from one run to the next: the
/// loopback ports, timings and the freshly generated certificates.
fn stable(table: &str) -> String {
    let mut out = String::new();
    for line in table.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        let masked: Vec<&str> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let next = words.get(i + 1).copied();
                let prev = i.checked_sub(1).map(|p| words[p]);
                if w.contains("127.0.0.1:") {
                    "ADDR"
                } else if prev == Some("sha256") {
                    "HASH"
                } else if next.is_some_and(|n| n.starts_with("ms"))
                    && w.chars().all(|c| c.is_ascii_digit())
                {
                    "N"
                } else {
                    w
                }
            })
            .collect();
        out.push_str(&masked.join(" "));
        out.push('\n');
    }
    out
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn assert_valid_sarif(text: &str) -> Value {
    assert_eq!(text.lines().count(), 1, "one SARIF document");
    let doc: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let errors = support::formats::sarif_violations(&doc);
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
    doc
}

#[test]
fn demo_json_re_renders_byte_identical_and_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let saved = stdout_of(&["demo", "--clients", "all", "-o", "json"]);
    let file = save(dir.path(), "demo.jsonl", &saved);
    let lines = json_lines(&saved);
    assert!(lines.len() >= 3, "one line per demo server:\n{saved}");

    // JSON: the same lines, byte for byte (the model round-trips).
    assert_eq!(stdout_of(&["report", &file, "-o", "json"]), saved);
    // From standard input too.
    let out = Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(["report", "-", "--json"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), saved);

    // A field added by a newer pqready/v1 is ignored, as docs/json.md asks.
    let newer = saved.replace(
        "{\"schema\":\"pqready/v1\",",
        "{\"schema\":\"pqready/v1\",\"added\":[1],",
    );
    assert_ne!(newer, saved);
    let newer = save(dir.path(), "newer.jsonl", &newer);
    assert_eq!(stdout_of(&["report", &newer, "-o", "json"]), saved);

    // Table: the live table of a demo run, but for what varies between runs.
    let live = stdout_of(&["demo", "--clients", "all"]);
    let table = stdout_of(&["report", &file]);
    assert_eq!(stable(&table), stable(&live));
    for line in &lines {
        let target = line["target"].as_str().unwrap();
        assert!(table.contains(target), "{target} in\n{table}");
    }

    // SARIF: valid, one result per finding of the saved lines.
    let doc = assert_valid_sarif(&stdout_of(&["report", &file, "-o", "sarif"]));
    let findings: usize = lines
        .iter()
        .map(|l| l["findings"].as_array().unwrap().len())
        .sum();
    assert!(findings > 0, "the demo has findings");
    assert_eq!(
        doc["runs"][0]["results"].as_array().unwrap().len(),
        findings
    );
    let live_sarif = assert_valid_sarif(&stdout_of(&["demo", "--clients", "all", "-o", "sarif"]));
    assert_eq!(
        doc["runs"][0]["tool"]["driver"]["rules"],
        live_sarif["runs"][0]["tool"]["driver"]["rules"]
    );

    // Markdown: every target and every finding's title.
    let md = stdout_of(&["report", &file, "-o", "markdown"]);
    let live_md = stdout_of(&["demo", "--clients", "all", "-o", "markdown"]);
    assert_eq!(stable(&md), stable(&live_md));
    for line in &lines {
        assert!(md.contains(line["target"].as_str().unwrap()), "{md}");
    }

    // CBOM and HTML render too.
    let cbom: Value = serde_json::from_str(&stdout_of(&["report", &file, "-o", "cbom"])).unwrap();
    assert_eq!(cbom["bomFormat"], "CycloneDX");
    let html = stdout_of(&["report", &file, "-o", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
}

#[test]
fn a_saved_gate_line_is_ignored_and_fail_on_recomputes_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["demo", "-o", "json", "--fail-on", "high"]);
    let saved = String::from_utf8(out.stdout).unwrap();
    let lines = json_lines(&saved);
    let gate = lines.last().unwrap();
    assert_eq!(gate["kind"], "gate");
    // A baseline comparison line (`--baseline`) is a decision too: ignored.
    let with_baseline = format!(
        "{saved}{}\n",
        r#"{"schema":"pqready/v1","kind":"baseline","changed":false}"#
    );
    let file = save(dir.path(), "gated.jsonl", &with_baseline);
    // Without --fail-on: the targets only.
    let plain = stdout_of(&["report", &file, "-o", "json"]);
    assert_eq!(json_lines(&plain).len(), lines.len() - 1);
    assert!(!plain.contains("\"kind\":\"gate\""));
    // With it: the same decision and exit status as the live run.
    let again = run(&["report", &file, "-o", "json", "--fail-on", "high"]);
    assert_eq!(again.status.code(), out.status.code());
    assert_eq!(String::from_utf8(again.stdout).unwrap(), saved);
}

#[test]
fn a_certs_document_round_trips() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("pki");
    std::fs::create_dir(&certs).unwrap();
    peers::openssl_in(
        &certs,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-out",
            "rsa.crt", "-subj", "/CN=rsa", "-days", "4000",
        ],
    );
    peers::openssl_in(
        &certs,
        &[
            "req",
            "-x509",
            "-newkey",
            "mldsa65",
            "-nodes",
            "-keyout",
            "mldsa.key",
            "-out",
            "mldsa.crt",
            "-subj",
            "/CN=mldsa",
            "-days",
            "20",
        ],
    );
    let certs = certs.to_str().unwrap();
    let saved = stdout_of(&["certs", certs, "--deadlines", "nist,cnsa2", "-o", "json"]);
    let file = save(dir.path(), "certs.json", &saved);
    assert_eq!(stdout_of(&["report", &file, "-o", "json"]), saved);
    for format in ["table", "sarif", "markdown", "html"] {
        let live = stdout_of(&["certs", certs, "--deadlines", "nist,cnsa2", "-o", format]);
        assert_eq!(
            stdout_of(&["report", &file, "-o", format]),
            live,
            "-o {format}"
        );
    }
    assert_valid_sarif(&stdout_of(&["report", &file, "-o", "sarif"]));
}

#[test]
fn a_binaries_document_round_trips_with_its_runtime_godebug() {
    if !peers::require(&["goclient-1.24", "goserver-1.26"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = save(dir.path(), "app.env", "GODEBUG=tlsmlkem=0\n");
    let client = peers::bin("goclient-1.24");
    let server = peers::bin("goserver-1.26");
    let args = |format: &str| -> Vec<String> {
        [
            "binaries",
            client.to_str().unwrap(),
            server.to_str().unwrap(),
            "--godebug-from",
            &env,
            "-o",
            format,
        ]
        .map(String::from)
        .to_vec()
    };
    let live = |format: &str| {
        let a = args(format);
        stdout_of(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let saved = live("json");
    assert!(saved.contains("\"runtime\":{"), "{saved}");
    let file = save(dir.path(), "binaries.json", &saved);
    assert_eq!(stdout_of(&["report", &file, "-o", "json"]), saved);
    for format in ["table", "sarif", "markdown", "html"] {
        assert_eq!(
            stdout_of(&["report", &file, "-o", format]),
            live(format),
            "-o {format}"
        );
    }
}

#[test]
fn an_inspect_json_log_re_renders_as_its_summary() {
    if !peers::require(&["goclient-1.24", "goclient-1.26"]) {
        return;
    }
    let list = [
        support::clients::goclient("1.24"),
        support::clients::goclient("1.26"),
    ];
    let inspector = Inspector::start(&["-o", "json"], list.len());
    for client in &list {
        assert!(client.run(inspector.addr).succeeded(), "{}", client.name);
    }
    // A client exits once its handshake is done; the inspector writes its
    // record just after: wait for both lines before saving the log.
    let log = inspector.log.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let saved_log = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.lines().count() >= list.len() || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let keep = tempfile::tempdir().unwrap();
    let file = save(keep.path(), "clients.jsonl", &saved_log);
    let (records, summary, _) = inspector.finish();
    assert_eq!(records.len(), 2);

    // JSON: the records as logged, then the summary the live run printed.
    let again = stdout_of(&["report", &file, "-o", "json"]);
    assert_eq!(again, format!("{saved_log}{summary}"));

    // Table: the summary (same counts), after one line per record.
    let table = stdout_of(&["report", &file]);
    assert!(table.contains("2 client connections"), "{table}");
    let md = stdout_of(&["report", &file, "-o", "markdown"]);
    assert!(!md.is_empty());
    assert_valid_sarif(&stdout_of(&["report", &file, "-o", "sarif"]));

    // HTML: the distinct clients with their offers, self-contained.
    let html = stdout_of(&["report", &file, "-o", "html"]);
    assert!(html.contains("<h2>Inspected clients</h2>"), "{html}");
    assert!(
        html.contains("2 inspected connections from 2 distinct clients"),
        "{html}"
    );
    assert!(
        html.contains("X25519MLKEM768") && !html.contains("<script"),
        "{html}"
    );

    // The inspect summary document alone re-renders as itself.
    let summary_file = save(keep.path(), "summary.json", &summary);
    assert_eq!(stdout_of(&["report", &summary_file, "-o", "json"]), summary);
    // CycloneDX: each distinct client an application that depends on the
    // algorithms it offered (the hybrid from its parts), valid 1.7.
    let cbom: Value = serde_json::from_str(&stdout_of(&["report", &file, "-o", "cbom"])).unwrap();
    let errors = support::formats::cyclonedx_violations("1.7", &cbom);
    assert!(errors.is_empty(), "{errors:?}");
    let components = cbom["components"].as_array().unwrap();
    let clients: Vec<&Value> = components
        .iter()
        .filter(|c| c["description"] == "a TLS client seen by pqready inspect")
        .collect();
    assert_eq!(clients.len(), 2, "{cbom}");
    let names: Vec<&str> = components
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        names.contains(&"ML-KEM-768") && names.contains(&"X25519"),
        "{names:?}"
    );
}

#[test]
fn input_that_is_not_pqready_json_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let demo = stdout_of(&["demo", "-o", "json"]);
    let first = demo.lines().next().unwrap();
    let cases: Vec<(&str, String)> = vec![
        ("not JSON", "this is a table, not JSON\n".into()),
        ("truncated", first[..first.len() / 2].to_string()),
        ("an array", "[1, 2, 3]\n".into()),
        (
            "someone else's JSON",
            "{\"name\": \"x\", \"version\": 1}\n".into(),
        ),
        ("a future schema", first.replace("pqready/v1", "pqready/v9")),
        (
            "an unknown kind",
            "{\"schema\":\"pqready/v1\",\"kind\":\"weather\"}\n".into(),
        ),
        (
            "a target with a wrong field type",
            first.replacen("\"target\":\"", "\"target\":7,\"x\":\"", 1),
        ),
        (
            "an unknown group name",
            first.replace("X25519MLKEM768", "NOT-A-GROUP"),
        ),
        ("empty", String::new()),
    ];
    for (what, text) in cases {
        let file = save(dir.path(), "bad.json", &text);
        let err = one_error_line(&["report", &file, "-o", "json"], None);
        if !text.is_empty() {
            assert!(err.contains("bad.json"), "{what}: names the file: {err}");
        }
    }
    // The profiles catalog is not a result.
    let profiles = stdout_of(&["matrix", "-o", "json"]);
    let file = save(dir.path(), "matrix.json", &profiles);
    let err = one_error_line(&["report", &file], None);
    assert!(err.contains("catalog"), "{err}");
    // Missing files and bad standard input.
    one_error_line(&["report", "/nonexistent/pqready.json"], None);
    one_error_line(&["report", "-"], Some(b"\x00\xff\xfe binary"));
    one_error_line(&["report", "-"], Some(b"{\"schema\":\"pqready/v1\"}"));
}

#[test]
fn a_cluster_document_round_trips() {
    let server = support::apiserver::TestApiServer::start(support::apiserver::Cluster::new());
    let dir = tempfile::tempdir().unwrap();
    let config = support::kubeconfig::token(dir.path(), &server);
    let config = config.to_str().unwrap();
    let audit = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_pqready"))
            .args(["cluster", "--kubeconfig", config, "-o", format])
            .env("NO_COLOR", "1")
            .env("PATH", "/usr/bin:/bin")
            .env_remove("KUBECONFIG")
            .env("HOME", "/nonexistent")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let saved = audit("json");
    assert_eq!(saved.lines().count(), 1, "one cluster document");
    let doc: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(doc["kind"], "cluster");
    let file = save(dir.path(), "cluster.json", &saved);
    assert_eq!(stdout_of(&["report", &file, "-o", "json"]), saved);
    let table = stdout_of(&["report", &file]);
    assert_eq!(stable(&table), stable(&audit("table")));
    assert!(table.contains("kube-apiserver"), "{table}");
    assert_valid_sarif(&stdout_of(&["report", &file, "-o", "sarif"]));
    let md = stdout_of(&["report", &file, "-o", "markdown"]);
    assert_eq!(stable(&md), stable(&audit("markdown")));
}
