//! `--policy FILE` on the real binary: the rules become findings, an
//! exception accepts a finding with its reason until it expires (and an
//! expired one counts again and says so), a remaining violation makes the
//! exit status 1, every format carries it, and a bad policy is one error line.

use crate::support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::command::run;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn findings<'a>(target: &'a Value, id: &str) -> Vec<&'a Value> {
    target["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

/// The demo servers: pq-hybrid, classical-only, pq-only (whose classical
/// control hello fails, so tolerance is inconclusive) and tls12-only, each
/// with a P-256 certificate valid for 90 days.
fn policy(expires: &str) -> String {
    format!(
        r#"{{
  "require_pq": [{{"target": "classical-*"}}, {{"target": "pq-*"}}],
  "forbid_draft_only": true,
  "require_hello_tolerance": true,
  "classical_certificates_not_after": "2000-01-01",
  "exceptions": [
    {{"target": "pq-only", "finding": "policy-hello-tolerance",
      "reason": "its control hello fails by design", "expires": "{expires}"}}
  ]
}}"#
    )
}

#[test]
fn rules_exceptions_and_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "policy.json", &policy("2099-12-31"));
    // JSON is YAML too; and the file matches the committed schema.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema/policy.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let as_json: Value = serde_json::from_str(&policy("2099-12-31")).unwrap();
    assert!(validator.is_valid(&as_json));
    assert!(!validator.is_valid(&serde_json::json!({"require_pq": [], "typo": 1})));

    let out = run(&["demo", "--policy", file.to_str().unwrap(), "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "policy violations fail the run");
    let mut docs = json_lines(&out.stdout);
    let gate = docs.pop().unwrap();
    let by_name = |name: &str| docs.iter().find(|d| d["target"] == name).unwrap();

    let classical = by_name("classical-only");
    assert_eq!(findings(classical, "policy-pq-required").len(), 1);
    assert!(findings(by_name("pq-hybrid"), "policy-pq-required").is_empty());
    // Every demo certificate is valid past 2000-01-01.
    for d in &docs {
        assert_eq!(
            findings(d, "policy-certificate-not-after").len(),
            1,
            "{}",
            d["target"]
        );
    }
    let accepted = findings(by_name("pq-only"), "policy-hello-tolerance");
    assert_eq!(accepted.len(), 1);
    assert_eq!(
        accepted[0]["exception"]["reason"],
        "its control hello fails by design"
    );
    assert_eq!(accepted[0]["exception"]["expired"], false);
    // The other demo servers tolerate big hellos: no violation there.
    assert!(findings(by_name("tls12-only"), "policy-hello-tolerance").is_empty());

    let counted: usize = docs
        .iter()
        .flat_map(|d| d["findings"].as_array().unwrap())
        .filter(|f| f["id"].as_str().unwrap().starts_with("policy-") && f["exception"].is_null())
        .count();
    assert_eq!(gate["kind"], "gate");
    assert_eq!(gate["policy_violations"], counted as u64);
    assert_eq!(gate["excepted"], 1);
    assert_eq!(gate["fail_on"], Value::Null);
    assert_eq!(gate["failed"], true);

    // Expired, the exception still shows but the finding counts again.
    let expired = write(dir.path(), "expired.json", &policy("2020-01-31"));
    let out = run(&["demo", "--policy", expired.to_str().unwrap(), "-o", "json"]);
    let mut docs = json_lines(&out.stdout);
    let gate2 = docs.pop().unwrap();
    let pq_only = docs.iter().find(|d| d["target"] == "pq-only").unwrap();
    assert_eq!(
        findings(pq_only, "policy-hello-tolerance")[0]["exception"]["expired"],
        true
    );
    assert_eq!(gate2["policy_violations"], counted as u64 + 1);
    assert_eq!(gate2["excepted"], 0);

    // The table says the same.
    let out = run(&["demo", "--policy", expired.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(
        "exception EXPIRED on 2020-01-31 (counts again): its control hello fails by design"
    ));
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("gate: FAILED (--policy):"),
        "{text}"
    );
}

#[test]
fn a_policy_without_violations_passes() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "policy.yaml",
        "# YAML, as operators write it\nrequire_pq:\n  - target: pq-hybrid\nforbid_draft_only: true\n",
    );
    let out = run(&[
        "demo",
        "--only",
        "groups,handshake",
        "--policy",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("gate: passed (--policy): 0 policy violations"),
        "{text}"
    );
}

#[test]
fn certificate_files_follow_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["long.test".into()]).unwrap();
    params.not_after = rcgen::date_time_ymd(2040, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let pem = write(dir.path(), "long.pem", &cert.pem());
    let file = write(
        dir.path(),
        "policy.yaml",
        "classical_certificates_not_after: 2030-12-31\n",
    );
    let out = run(&[
        "certs",
        pem.to_str().unwrap(),
        "--policy",
        file.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let docs = json_lines(&out.stdout);
    let ids: Vec<&str> = docs[0]["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"policy-certificate-not-after"), "{ids:?}");
    assert_eq!(docs[1]["kind"], "gate");
    assert_eq!(docs[1]["policy_violations"], 1);
}

#[test]
fn a_bad_policy_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            write(dir.path(), "typo.yaml", "require_pqq: []\n"),
            "unknown field",
        ),
        (
            write(
                dir.path(),
                "date.yaml",
                "classical_certificates_not_after: 31.12.2030\n",
            ),
            "use YYYY-MM-DD",
        ),
        (
            write(
                dir.path(),
                "reason.yaml",
                "exceptions:\n  - {target: x, reason: '', expires: 2027-01-01}\n",
            ),
            "has no reason",
        ),
        (dir.path().join("missing.yaml"), "cannot read it"),
    ];
    for (path, needle) in cases {
        let out = run(&["demo", "--policy", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("pqready: error:"))
            .collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(
            lines[0].contains("--policy") && lines[0].contains(needle),
            "{err}"
        );
        // The parser's own "error: " prefix is not repeated after ours.
        assert_eq!(lines[0].matches("error:").count(), 1, "{err}");
    }
}
