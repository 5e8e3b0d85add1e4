//! Issue #21: key exchange is judged by default, on real peers. Without
//! `--clients`, a server with no post-quantum group raises
//! `classical-key-exchange` and fails `--fail-on medium`; one that offers
//! only the Kyber draft raises `draft-only-key-exchange`; one that supports
//! X25519MLKEM768 but puts x25519 first raises `pq-not-preferred` (low); a
//! PQ-preferred server passes. The policy's `sensitive` list raises the
//! classical finding to high, its `severity_overrides` lower or raise any
//! finding, and every format carries the finding.
//!
//! Peers: OpenSSL 3.5 `s_server` (group lists set by `-groups`), the Go
//! 1.22/1.23/1.24 `crypto/tls` goserver with its defaults, and Debian's
//! Caddy 2.11 (trixie-backports, built with tlsmlkem=0 in its
//! DefaultGODEBUG) as shipped and with GODEBUG=tlsmlkem=1.

use crate::support;

use serde_json::Value;
use std::process::Output;
use support::command::{run, save};
use support::formats::{cyclonedx_violations, sarif_violations};
use support::peers;

const TIMEOUT: &str = "10s";

/// `pqready probe TARGET ARGS…` (a generous per-step timeout for loaded machines).
fn probe(target: &str, args: &[&str]) -> Output {
    let mut all = vec!["probe", target, "--timeout", TIMEOUT];
    all.extend_from_slice(args);
    run(&all)
}

/// The target's JSON document, from a `-o json` run that may have failed the gate.
fn document(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    serde_json::from_str(first).unwrap()
}

/// The (id, severity) of each key-exchange finding of a target document.
fn key_exchange(doc: &Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let id = f["id"].as_str().unwrap();
            id.ends_with("key-exchange") || id == "pq-not-preferred"
        })
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(id: &str, severity: &str) -> Vec<(String, String)> {
    vec![(id.to_string(), severity.to_string())]
}

/// Probes `target` with `--fail-on medium -o json`: its exit status and key-exchange findings.
fn gate_medium(target: &str) -> (Option<i32>, Vec<(String, String)>) {
    let out = probe(target, &["--fail-on", "medium", "-o", "json"]);
    let doc = document(&out);
    (out.status.code(), key_exchange(&doc))
}

/// OpenSSL 3.5 `s_server -groups GROUPS` with a year-long P-256
/// certificate (the default test certificate is valid past 2035: a high
/// finding of its own would hide what the gate says about key exchange).
fn openssl_with_groups(groups: &str) -> peers::Peer {
    peers::s_server_self_signed(
        "EC -pkeyopt ec_paramgen_curve:P-256",
        &["-quiet", "-groups", groups],
    )
}

#[test]
fn openssl_classical_fails_the_medium_gate_and_pq_preferred_passes() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let classical = openssl_with_groups("X25519:P-256");
    let (code, found) = gate_medium(&classical.addr.to_string());
    assert_eq!(found, pair("classical-key-exchange", "medium"));
    assert_eq!(code, Some(1), "a classical server fails --fail-on medium");

    let pq = openssl_with_groups("X25519MLKEM768:X25519");
    let (code, found) = gate_medium(&pq.addr.to_string());
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(
        code,
        Some(0),
        "a PQ-preferred server passes --fail-on medium"
    );

    // OpenSSL tuples: x25519 in a tuple before X25519MLKEM768 is chosen
    // whenever the client offers both.
    let classical_first = openssl_with_groups("X25519/X25519MLKEM768");
    let target = classical_first.addr.to_string();
    let (code, found) = gate_medium(&target);
    assert_eq!(found, pair("pq-not-preferred", "low"));
    assert_eq!(code, Some(0), "low passes --fail-on medium");
    let low = probe(&target, &["--fail-on", "low", "-o", "json"]);
    assert_eq!(low.status.code(), Some(1));
}

#[test]
fn go_defaults_by_version() {
    if !peers::require(&["goserver-1.22", "goserver-1.23", "goserver-1.24"]) {
        return;
    }
    let go122 = peers::go_server("1.22");
    let go123 = peers::go_server("1.23");
    let go124 = peers::go_server("1.24");
    let (code, found) = gate_medium(&go122.addr.to_string());
    assert_eq!(
        (code, found),
        (Some(1), pair("classical-key-exchange", "medium"))
    );
    let (code, found) = gate_medium(&go123.addr.to_string());
    assert_eq!(
        (code, found),
        (Some(1), pair("draft-only-key-exchange", "medium")),
        "Go 1.23 offers only X25519Kyber768Draft00"
    );
    let (code, found) = gate_medium(&go124.addr.to_string());
    assert_eq!((code, found), (Some(0), Vec::new()));
}

#[test]
fn caddy_as_debian_builds_it_and_with_tlsmlkem_on() {
    if !peers::require(&["caddy"]) {
        return;
    }
    // Debian's Caddy 2.11 carries tlsmlkem=0 in its DefaultGODEBUG (its
    // go.mod's go line is old): classical, as `pqready binaries` says too.
    let classical = peers::caddy(&[]);
    let out = probe(
        &classical.addr.to_string(),
        &["--fail-on", "medium", "-o", "json"],
    );
    let doc = document(&out);
    assert_eq!(doc["verdict"]["status"], "classical", "{}", classical.log());
    assert_eq!(key_exchange(&doc), pair("classical-key-exchange", "medium"));
    assert_eq!(out.status.code(), Some(1));

    let pq = peers::caddy(&[("GODEBUG", "tlsmlkem=1")]);
    let (code, found) = gate_medium(&pq.addr.to_string());
    assert_eq!((code, found), (Some(0), Vec::new()), "{}", pq.log());
}

#[test]
fn the_policy_marks_targets_sensitive_and_overrides_severities() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let classical = openssl_with_groups("X25519:P-256");
    let target = classical.addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    let sensitive = save(
        dir.path(),
        "sensitive.yaml",
        "sensitive:\n  - target: \"127.0.0.1:*\"\n",
    );
    let out = probe(
        &target,
        &["--policy", &sensitive, "--fail-on", "high", "-o", "json"],
    );
    let doc = document(&out);
    assert_eq!(key_exchange(&doc), pair("classical-key-exchange", "high"));
    let finding = &doc["findings"][0];
    assert_eq!(
        finding["id"], "classical-key-exchange",
        "the most severe first"
    );
    assert!(
        finding["detail"]
            .as_str()
            .unwrap()
            .contains("the policy marks it sensitive"),
        "{finding}"
    );
    assert_eq!(out.status.code(), Some(1));

    let lowered = save(
        dir.path(),
        "lowered.yaml",
        &format!(
            "severity_overrides:\n  - finding: classical-key-exchange\n    target: \"{target}\"\n    severity: low\n"
        ),
    );
    let out = probe(
        &target,
        &["--policy", &lowered, "--fail-on", "medium", "-o", "json"],
    );
    assert_eq!(
        key_exchange(&document(&out)),
        pair("classical-key-exchange", "low")
    );
    assert_eq!(out.status.code(), Some(0), "lowered below the gate");

    // An override for another target leaves this one alone.
    let elsewhere = save(
        dir.path(),
        "elsewhere.yaml",
        "severity_overrides:\n  - finding: classical-key-exchange\n    target: \"10.*\"\n    severity: low\n",
    );
    let out = probe(
        &target,
        &["--policy", &elsewhere, "--fail-on", "medium", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(1));

    let bad = save(
        dir.path(),
        "bad.yaml",
        "severity_overrides:\n  - finding: classical-key-exchange\n    severity: dire\n",
    );
    let out = probe(&target, &["--policy", &bad]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad severity is a usage error"
    );
}

#[test]
fn every_format_carries_the_finding() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let classical = openssl_with_groups("X25519:P-256");
    let target = classical.addr.to_string();
    let text = |out: &Output| String::from_utf8_lossy(&out.stdout).into_owned();

    let table = text(&probe(&target, &[]));
    assert!(table.contains("MEDIUM classical-key-exchange"), "{table}");

    let sarif: Value = serde_json::from_str(&text(&probe(&target, &["-o", "sarif"]))).unwrap();
    assert!(sarif_violations(&sarif).is_empty());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let result = results
        .iter()
        .find(|r| r["ruleId"] == "classical-key-exchange")
        .unwrap_or_else(|| panic!("{results:#?}"));
    assert_eq!(result["level"], "warning");

    let markdown = text(&probe(&target, &["-o", "markdown"]));
    assert!(markdown.contains("classical-key-exchange"), "{markdown}");

    let html = text(&probe(&target, &["-o", "html"]));
    assert!(html.contains("classical-key-exchange"));

    let cbom: Value = serde_json::from_str(&text(&probe(&target, &["-o", "cbom"]))).unwrap();
    assert!(cyclonedx_violations("1.7", &cbom).is_empty());
    let props: Vec<&Value> = cbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["properties"].as_array())
        .flatten()
        .filter(|p| p["name"] == "pqready:finding:classical-key-exchange")
        .collect();
    assert!(!props.is_empty(), "{cbom:#}");
    assert!(props.iter().all(|p| p["value"] == "medium"));
    // Prometheus: tests/exporter.rs reads pqready_findings for the same kinds.
}

#[test]
fn pqready_report_judges_saved_results_as_a_run_today_would() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let classical = openssl_with_groups("X25519:P-256");
    let out = probe(&classical.addr.to_string(), &["-o", "json"]);
    let dir = tempfile::tempdir().unwrap();
    let saved = save(
        dir.path(),
        "saved.json",
        &String::from_utf8_lossy(&out.stdout),
    );
    let again = run(&["report", &saved, "--fail-on", "medium"]);
    let table = String::from_utf8_lossy(&again.stdout);
    assert_eq!(
        table.matches("classical-key-exchange").count(),
        1,
        "{table}"
    );
    assert_eq!(again.status.code(), Some(1));

    // A run saved before key exchange was judged by default has no such
    // finding: `report` judges its saved observation again.
    let mut older = document(&out);
    older["findings"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["id"] != "classical-key-exchange");
    let older = save(dir.path(), "older.json", &older.to_string());
    let again = run(&["report", &older, "--fail-on", "medium", "-o", "json"]);
    assert_eq!(
        key_exchange(&document(&again)),
        pair("classical-key-exchange", "medium")
    );
    assert_eq!(again.status.code(), Some(1));
}
