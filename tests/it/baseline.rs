//! `--baseline OLD.json` on the real binary: an earlier `-o json` run,
//! edited to simulate an earlier state, compared with a new run — the
//! `baseline` JSON line, the table section, SARIF `baselineState`,
//! `--fail-on-change` exit codes, a certs baseline, and bad baselines.

use crate::support;

use serde_json::{json, Value};
use std::path::Path;
use support::command::run;

const BASELINE_SCHEMA: &str = include_str!("../../docs/schema/baseline.schema.json");

fn assert_valid(schema: &str, doc: &Value) {
    let schema: Value = serde_json::from_str(schema).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_lines(path: &Path, docs: &[Value]) {
    let text: String = docs.iter().map(|d| format!("{d}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// A demo run, edited into an "earlier" state: classical-only was pq and had
/// a silent-downgrade finding (fixed since), pq-only had no
/// hello-tolerance-inconclusive finding (new since), tls12-only was not
/// there (new since), and a target that is gone now.
fn earlier_demo(dir: &Path) -> std::path::PathBuf {
    let old = dir.join("old.json");
    let out = run(&["demo", "-o", "json", "--output-file", old.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let mut docs = lines(&std::fs::read(&old).unwrap());
    assert_eq!(docs.len(), 4);
    docs.retain(|d| d["target"] != "tls12-only");
    for d in &mut docs {
        match d["target"].as_str().unwrap() {
            "classical-only" => {
                d["verdict"]["status"] = json!("pq");
                d["findings"].as_array_mut().unwrap().push(json!({
                    "id": "silent-downgrade",
                    "severity": "high",
                    "title": "Silent downgrade",
                    "detail": "curl was downgraded",
                    "remediation": "",
                    "profiles": ["curl-8"],
                    "certificates": [],
                    "exception": null,
                }));
            }
            "pq-only" => d["findings"]
                .as_array_mut()
                .unwrap()
                .retain(|f| f["id"] != "hello-tolerance-inconclusive"),
            _ => {}
        }
    }
    let mut gone = docs[0].clone();
    gone["target"] = json!("gone.example:443");
    gone["findings"] = json!([]);
    docs.push(gone);
    docs.push(json!({"schema": "pqready/v1", "kind": "gate", "failed": false}));
    write_lines(&old, &docs);
    old
}

/// The findings of `diff[key]` without a certificate (the demo's
/// certificates are new on every run), as (subject, id).
fn keyless(diff: &Value, key: &str) -> Vec<(String, String)> {
    diff[key]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["certificates"].as_array().unwrap().is_empty())
        .map(|f| {
            (
                f["subject"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_demo_run_against_an_edited_earlier_run() {
    let dir = tempfile::tempdir().unwrap();
    let old = earlier_demo(dir.path());
    let old = old.to_str().unwrap();

    let out = run(&["demo", "--baseline", old, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "no --fail-on-change: exit 0");
    let docs = lines(&out.stdout);
    let diff = docs.last().unwrap();
    assert_eq!(diff["kind"], "baseline");
    assert_eq!(diff["schema"], "pqready/v1");
    assert_valid(BASELINE_SCHEMA, diff);
    assert_eq!(diff["new_subjects"], json!(["tls12-only"]));
    assert_eq!(diff["gone_subjects"], json!(["gone.example:443"]));
    assert_eq!(
        diff["regressions"],
        json!([{"subject": "classical-only", "from": "pq", "to": "classical"}])
    );
    assert_eq!(diff["improvements"], json!([]));
    assert_eq!(
        keyless(diff, "new_findings"),
        pairs(&[
            ("pq-only", "hello-tolerance-inconclusive"),
            // A new subject's findings are new: tls12-only is classical.
            ("tls12-only", "classical-key-exchange")
        ])
    );
    assert_eq!(
        keyless(diff, "fixed_findings"),
        pairs(&[("classical-only", "silent-downgrade")])
    );
    // Each target's certificate is new on every demo run: its finding is
    // new, the old one fixed — except for the target that is new (its
    // finding is new) and the one that is gone (not fixed, gone).
    let with_cert = |key: &str| {
        diff[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !f["certificates"].as_array().unwrap().is_empty())
            .count()
    };
    assert_eq!(with_cert("new_findings"), 4);
    assert_eq!(with_cert("fixed_findings"), 3);
    // classical-only's classical-key-exchange is in both runs.
    assert_eq!(diff["unchanged_findings"], 1);
    assert_eq!(diff["changed"], true);
    assert_eq!(diff["failed"], false);

    // --fail-on-change: exit 1 on a change; the gate line stays last.
    let fail = run(&[
        "demo",
        "--baseline",
        old,
        "--fail-on-change",
        "--fail-on",
        "high",
        "-o",
        "json",
    ]);
    assert_eq!(fail.status.code(), Some(1));
    let docs = lines(&fail.stdout);
    assert_eq!(docs[docs.len() - 2]["kind"], "baseline");
    assert_eq!(docs[docs.len() - 2]["failed"], true);
    assert_eq!(docs[docs.len() - 1]["kind"], "gate");
    assert_eq!(docs[docs.len() - 1]["failed"], false);

    // The table: a section of changes.
    let table = run(&["demo", "--baseline", old]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("changes since baseline: 1 regression, 6 new findings, 4 fixed findings"),
        "{text}"
    );
    assert!(text.contains("  regression: classical-only pq -> classical\n"));
    assert!(text.contains("  gone: gone.example:443\n"));
    assert!(text.contains("  new: tls12-only\n"));
}

#[test]
fn sarif_marks_new_unchanged_and_absent_results() {
    let dir = tempfile::tempdir().unwrap();
    let old = earlier_demo(dir.path());
    let out = run(&["demo", "--baseline", old.to_str().unwrap(), "-o", "sarif"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = support::formats::sarif_violations(&doc);
    assert!(errors.is_empty(), "{errors:?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let state = |rule: &str, s: &str| {
        results
            .iter()
            .filter(|r| r["ruleId"] == rule && r["baselineState"] == s)
            .count()
    };
    assert_eq!(state("hello-tolerance-inconclusive", "new"), 1);
    assert_eq!(state("silent-downgrade", "absent"), 1);
    assert_eq!(state("quantum-vulnerable-key", "new"), 4);
    assert_eq!(state("quantum-vulnerable-key", "absent"), 3);
    assert!(results.iter().all(|r| r["baselineState"].is_string()));
}

#[test]
fn a_certs_baseline_and_fail_on_change() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    std::fs::create_dir(&pki).unwrap();
    let cert = |name: &str| {
        let key = rcgen::generate_simple_self_signed(vec![format!("{name}.example")]).unwrap();
        std::fs::write(pki.join(format!("{name}.pem")), key.cert.pem()).unwrap();
    };
    cert("a");
    let old = dir.path().join("old.json");
    let first = run(&[
        "certs",
        pki.to_str().unwrap(),
        "-o",
        "json",
        "--output-file",
        old.to_str().unwrap(),
    ]);
    assert_eq!(first.status.code(), Some(0));

    // Nothing changed: exit 0 even with --fail-on-change.
    let args = |format: &'static str| {
        vec![
            "certs".to_string(),
            pki.to_str().unwrap().to_string(),
            "--baseline".into(),
            old.to_str().unwrap().to_string(),
            "--fail-on-change".into(),
            "-o".into(),
            format.to_string(),
        ]
    };
    let same = run(&args("json").iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(same.status.code(), Some(0));
    let diff = lines(&same.stdout).pop().unwrap();
    assert_eq!(diff["kind"], "baseline");
    assert_eq!(diff["unchanged_findings"], 1);
    assert_eq!(diff["changed"], false);
    assert_eq!(diff["new_findings"], json!([]));

    // A new file with a quantum-vulnerable key: a new subject, a new finding, exit 1.
    cert("b");
    let changed = run(&args("json").iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(changed.status.code(), Some(1));
    let diff = lines(&changed.stdout).pop().unwrap();
    let b = pki.join("b.pem").to_str().unwrap().to_string();
    assert_eq!(diff["new_subjects"], json!([b]));
    let new: Vec<(&str, &str)> = diff["new_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["subject"].as_str().unwrap(), f["id"].as_str().unwrap()))
        .collect();
    assert_eq!(new, [(b.as_str(), "valid-past-disallowance")]);
    assert_eq!(diff["unchanged_findings"], 1);
    assert_eq!(diff["failed"], true);

    // The other formats show it too.
    let md = run(&args("markdown")
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert!(String::from_utf8_lossy(&md.stdout).contains("#### Changes"));
    let cbom = run(&args("cbom").iter().map(String::as_str).collect::<Vec<_>>());
    let doc: Value = serde_json::from_slice(&cbom.stdout).unwrap();
    assert!(doc["properties"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "pqready:baseline:new-findings", "value": "1"})));
    let html = run(&args("html").iter().map(String::as_str).collect::<Vec<_>>());
    assert!(String::from_utf8_lossy(&html.stdout).contains("<h2>Changes since baseline</h2>"));
}

#[test]
fn a_bad_baseline_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("sarif.json", "{\"version\":\"2.1.0\",\"runs\":[]}"),
        ("text.json", "hello"),
        ("empty.json", ""),
        (
            "profile.json",
            "{\"schema\":\"pqready/v1\",\"kind\":\"profile\"}",
        ),
    ];
    for (name, text) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = run(&["demo", "--baseline", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(
            err.contains(&format!("--baseline {}", path.display())),
            "{err}"
        );
    }
    let missing = run(&["demo", "--baseline", "/nonexistent/old.json"]);
    assert_eq!(missing.status.code(), Some(2));
    // Commands without findings refuse it; --fail-on-change needs it.
    let profiles = run(&["profiles", "--baseline", "x.json"]);
    assert_eq!(profiles.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&profiles.stderr).contains("--baseline"));
    let alone = run(&["demo", "--fail-on-change"]);
    assert_eq!(alone.status.code(), Some(2));
}

/// Issue #20: `probe --baseline certs.json`, `certs --baseline probe.json`
/// and `binaries --baseline certs.json` exited 0 with every subject new and
/// every old one gone. Real documents of each command, fed to the others:
/// one error line naming both kinds, exit 2, nothing on stdout.
#[test]
fn a_baseline_of_another_command_is_refused() {
    if !support::peers::require(&["openssl", "goclient-1.26"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // certs: an OpenSSL 3.5 certificate.
    support::peers::openssl_in(
        d,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-subj",
            "/CN=ca", "-days", "365", "-out", "ca.crt",
        ],
    );
    let save = |name: &str, args: &[&str]| {
        let path = d.join(name);
        let mut all: Vec<&str> = args.to_vec();
        all.extend_from_slice(&["-o", "json", "--output-file", path.to_str().unwrap()]);
        let out = run(&all);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    };
    let ca = d.join("ca.crt");
    let go = support::peers::bin("goclient-1.26");
    let certs = save("certs.json", &["certs", ca.to_str().unwrap()]);
    let probe = save("probe.json", &["demo"]);
    let binaries = save("binaries.json", &["binaries", go.to_str().unwrap()]);
    let refusing = support::peers::RefusingPort::new();
    let target = refusing.addr.to_string();
    for (args, baseline, kinds) in [
        (
            vec!["probe", target.as_str()],
            &certs,
            "results of certs, not of probe or demo",
        ),
        (
            vec!["demo"],
            &binaries,
            "results of binaries, not of probe or demo",
        ),
        (
            vec!["certs", ca.to_str().unwrap()],
            &probe,
            "results of probe or demo, not of certs",
        ),
        (
            vec!["binaries", go.to_str().unwrap()],
            &certs,
            "results of certs, not of binaries",
        ),
    ] {
        let mut all = args.clone();
        all.extend_from_slice(&["--baseline", baseline.to_str().unwrap()]);
        let out = run(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
        assert!(out.stdout.is_empty(), "{all:?}: nothing on stdout");
        assert_eq!(err.lines().count(), 1, "{all:?}: {err}");
        assert!(
            err.starts_with("pqready: error: --baseline ") && err.contains(kinds),
            "{all:?}: {err}"
        );
    }
    // The same command's results are still a baseline.
    for (args, baseline) in [
        (vec!["certs", ca.to_str().unwrap()], &certs),
        (vec!["binaries", go.to_str().unwrap()], &binaries),
    ] {
        let mut all = args.clone();
        all.extend_from_slice(&["--baseline", baseline.to_str().unwrap(), "-o", "json"]);
        let out = run(&all);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{all:?}");
        let diff = lines(&out.stdout).pop().unwrap();
        assert_eq!(diff["kind"], "baseline", "{all:?}");
        assert_eq!(diff["new_subjects"], json!([]), "{all:?}");
        assert_eq!(diff["gone_subjects"], json!([]), "{all:?}");
    }
}
