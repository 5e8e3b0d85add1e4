//! `-o sarif` and `-o markdown` from the real binary: every SARIF document
//! validates against the official SARIF 2.1.0 schema (tests/data, origin in
//! tests/data/README.md); one rule per finding kind, one result per finding
//! of the same run's `-o json`, endpoints as logical locations and files as
//! physical ones. The Markdown summary keeps its shape and stays short.

use pqready::vocab::FindingKind;
use serde_json::Value;
use std::path::Path;

use crate::support;
use support::command::run;

/// `pqready ARGS`: its exit code and stdout.
fn output(args: &[&str]) -> (Option<i32>, String) {
    let out = run(args);
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8 output"),
    )
}

/// The one SARIF document `args` prints, validated against the schema.
fn sarif(args: &[&str], code: i32) -> Value {
    let (status, text) = output(args);
    assert_eq!(status, Some(code), "`pqready {}`", args.join(" "));
    assert_eq!(text.lines().count(), 1, "one document on one line");
    let doc: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let errors = support::formats::sarif_violations(&doc);
    assert!(
        errors.is_empty(),
        "`pqready {}` is not valid SARIF 2.1.0:\n{}",
        args.join(" "),
        errors.join("\n")
    );
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(
        doc["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    check_rules(&doc);
    doc
}

/// One rule per finding kind, in `FindingKind::ALL` order, each result
/// pointing at its rule with the rule's level.
fn check_rules(doc: &Value) {
    let run = &doc["runs"][0];
    assert_eq!(doc["runs"].as_array().unwrap().len(), 1);
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "pqready");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), FindingKind::ALL.len());
    for (rule, kind) in rules.iter().zip(FindingKind::ALL) {
        assert_eq!(rule["id"], kind.name());
        assert_eq!(rule["shortDescription"]["text"], kind.title());
        assert_eq!(rule["help"]["text"], kind.remediation());
        let level = level_of(kind.severity().name());
        assert_eq!(rule["defaultConfiguration"]["level"], level, "{kind}");
        assert_eq!(rule["properties"]["tags"][1], "post-quantum");
    }
    let mut fingerprints = std::collections::BTreeSet::new();
    for result in results_of(doc) {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(result["ruleId"], rules[index]["id"]);
        // The rule's level, unless the finding is about something that
        // carries secrets (a classical edge to etcd): then its raised one.
        let raised = FindingKind::ALL[index]
            .sensitive_severity()
            .filter(|s| result["properties"]["severity"] == s.name());
        match raised {
            Some(s) => assert_eq!(result["level"], level_of(s.name()), "{result}"),
            None => assert_eq!(
                result["level"], rules[index]["defaultConfiguration"]["level"],
                "{result}"
            ),
        }
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        assert_eq!(result["locations"].as_array().unwrap().len(), 1);
        let fp = result["partialFingerprints"]["pqreadyFinding/v1"]
            .as_str()
            .unwrap();
        assert_eq!(fp.len(), 64);
        assert!(fingerprints.insert(fp.to_string()), "duplicate fingerprint");
    }
}

/// The SARIF level of a severity.
fn level_of(severity: &str) -> &'static str {
    match severity {
        "high" => "error",
        "medium" => "warning",
        _ => "note",
    }
}

fn results_of(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().unwrap()
}

/// Every finding in JSON documents: (id, detail) of each.
fn findings_of(docs: &[Value], pointer: &str) -> Vec<(String, String)> {
    docs.iter()
        .flat_map(|d| {
            d.pointer(pointer)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn demo_sarif_has_one_result_per_finding_at_its_endpoint() {
    let args = ["demo", "--clients", "all", "-o", "sarif"];
    let doc = sarif(&args, 0);
    let (_, json) = output(&["demo", "--clients", "all", "-o", "json"]);
    let targets = json_lines(&json);
    let findings = findings_of(&targets, "/findings");
    assert!(findings.len() >= 8, "the demo servers have findings");
    let results = results_of(&doc);
    assert_eq!(results.len(), findings.len());
    // The demo's keys are new each run: compare ids, and the messages of
    // findings that name no certificate.
    let got: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = findings.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(got, want, "the same findings, in the same order");
    for (r, (_, detail)) in results.iter().zip(&findings) {
        if r["properties"]["certificates"].is_null() {
            assert_eq!(r["message"]["text"], detail.as_str());
        }
    }
    let names: Vec<&str> = targets
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    for r in results {
        let logical = &r["locations"][0]["logicalLocations"][0];
        assert!(r["locations"][0]["physicalLocation"].is_null());
        let name = logical["name"].as_str().unwrap();
        assert!(names.contains(&name), "{name}");
        assert_eq!(logical["fullyQualifiedName"], format!("endpoint/{name}"));
        assert_eq!(logical["kind"], "resource");
        assert!(logical["properties"]["address"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"));
    }
    assert!(results.iter().any(|r| r["level"] == "error"));
    assert_eq!(
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
    // Fingerprints of findings that name no certificate hold across runs
    // (the demo's ports and keys change).
    let again = sarif(&args, 0);
    let fps = |d: &Value| -> Vec<Value> {
        results_of(d)
            .iter()
            .filter(|r| r["properties"]["certificates"].is_null())
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert!(!fps(&doc).is_empty());
    assert_eq!(fps(&doc), fps(&again));
}

/// A CA and an expired ECDSA leaf, an ML-DSA key, and a file that is not a
/// certificate at all.
fn cert_files(dir: &Path) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sarif CA");
    ca_params.not_after = rcgen::date_time_ymd(2040, 1, 1);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let mut leaf_params = rcgen::CertificateParams::new(vec!["sarif.test".into()]).unwrap();
    leaf_params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    leaf_params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    std::fs::write(dir.join("chain.pem"), format!("{}{}", leaf.pem(), ca.pem())).unwrap();
    let mldsa = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_65).unwrap();
    std::fs::write(dir.join("mldsa.key"), mldsa.serialize_pem()).unwrap();
}

#[test]
fn certs_sarif_points_at_each_file() {
    let dir = tempfile::tempdir().unwrap();
    cert_files(dir.path());
    let chain = dir.path().join("chain.pem");
    let key = dir.path().join("mldsa.key");
    let chain = chain.to_str().unwrap();
    let key = key.to_str().unwrap();
    let doc = sarif(&["certs", chain, key, "-o", "sarif"], 0);
    let (_, json) = output(&["certs", chain, key, "-o", "json"]);
    let files = json_lines(&json)[0]["files"].as_array().unwrap().clone();
    let findings = findings_of(&files, "/findings");
    let results = results_of(&doc);
    assert_eq!(results.len(), findings.len());
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"certificate-expired"), "{ids:?}");
    assert!(ids.contains(&"quantum-vulnerable-key"), "{ids:?}");
    for r in results {
        let physical = &r["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            format!("file://{chain}"),
            "only the chain has findings"
        );
        assert_eq!(physical["region"]["startLine"], 1);
        assert_eq!(r["properties"]["certificates"].as_array().unwrap().len(), 1);
    }
    let again = sarif(&["certs", chain, key, "-o", "sarif"], 0);
    let fps = |d: &[Value]| -> Vec<Value> {
        d.iter().map(|r| r["partialFingerprints"].clone()).collect()
    };
    assert_eq!(
        fps(results_of(&again)),
        fps(results),
        "fingerprints hold across runs"
    );
    let expired = results
        .iter()
        .find(|r| r["ruleId"] == "certificate-expired")
        .unwrap();
    assert_eq!(expired["level"], "error");

    // An unreadable file is a tool notification, not a result.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "-----BEGIN CERTIFICATE-----\nnot base64\n").unwrap();
    let doc = sarif(&["certs", chain, junk.to_str().unwrap(), "-o", "sarif"], 2);
    assert_eq!(results_of(&doc).len(), findings.len());
    let invocation = &doc["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "error");
}

#[test]
fn binaries_sarif_reports_a_go_binary_without_ml_kem() {
    if !support::peers::require(&["goclient-1.23", "goclient-1.24"]) {
        return;
    }
    let old = support::peers::bin("goclient-1.23");
    let new = support::peers::bin("goclient-1.24");
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let doc = sarif(&["binaries", old, new, "-o", "sarif"], 0);
    let results = results_of(&doc);
    assert_eq!(results.len(), 1, "only Go 1.23 lacks ML-KEM");
    let r = &results[0];
    assert_eq!(r["ruleId"], "classical-binary");
    assert_eq!(r["level"], "warning");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!("file://{old}")
    );
    assert!(r["message"]["text"]
        .as_str()
        .unwrap()
        .contains("X25519Kyber768Draft00"));
    let (_, json) = output(&["binaries", old, new, "-o", "json"]);
    let doc = &json_lines(&json)[0];
    assert_eq!(doc["binaries"][0]["findings"][0]["id"], "classical-binary");
    assert_eq!(doc["binaries"][1]["findings"], serde_json::json!([]));
}

#[test]
fn demo_markdown_is_a_short_summary() {
    let (code, md) = output(&["demo", "--clients", "all", "-o", "markdown"]);
    assert_eq!(code, Some(0));
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "### pqready: post-quantum TLS audit");
    assert!(
        lines[2].starts_with("**4 endpoints**: 2 pq, 2 classical · "),
        "{}",
        lines[2]
    );
    assert!(lines.contains(&"| Endpoint | Status | Findings |"));
    assert!(lines.iter().any(|l| l.starts_with("| `pq-only` | pq | ")));
    assert!(lines.contains(&"#### Top findings"));
    let first = lines.iter().position(|l| l.starts_with("- **")).unwrap();
    assert!(
        lines[first].starts_with("- **high** `"),
        "most severe first"
    );
    assert!(lines[first + 1].starts_with("  - Fix: "));
    assert!(lines.len() < 60, "{md}");

    // A real CommonMark + GFM-tables parser (the one rustdoc uses) reads it
    // as a pull-request comment would be read: a heading, one table with a
    // row per endpoint, and the findings as a list.
    let parser = pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    assert!(
        html.starts_with("<h3>pqready: post-quantum TLS audit</h3>"),
        "{html}"
    );
    assert_eq!(html.matches("<table>").count(), 1, "{html}");
    assert_eq!(
        html.matches("<tr>").count(),
        1 + 4,
        "header + one row per demo server: {html}"
    );
    assert!(html.contains("<td><code>pq-only</code></td>"), "{html}");
    assert!(
        html.contains("<h4>Top findings</h4>") && html.contains("<li><strong>high</strong>"),
        "{html}"
    );
}

/// Two silent downgrades that need different fixes (kubectl 1.32 against
/// a Go 1.24 server: upgrade kubectl; kubectl 1.33 against a Go 1.23
/// server: upgrade the server): the Markdown names both fixes.
#[test]
fn markdown_names_every_distinct_fix_of_a_kind() {
    if !support::peers::require(&["goserver-1.23", "goserver-1.24"]) {
        return;
    }
    let go123 = support::peers::go_server("1.23");
    let go124 = support::peers::go_server("1.24");
    let (code, md) = output(&[
        "probe",
        &go123.addr.to_string(),
        &go124.addr.to_string(),
        "--clients",
        "kubectl1.32,kubectl1.33",
        "-o",
        "markdown",
    ]);
    assert_eq!(code, Some(0), "{md}");
    let lines: Vec<&str> = md.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("`silent-downgrade` ×2"))
        .unwrap_or_else(|| panic!("no silent-downgrade ×2 in:\n{md}"));
    let fixes: Vec<&str> = lines[at + 1..]
        .iter()
        .take_while(|l| l.starts_with("  - Fix: "))
        .copied()
        .collect();
    assert_eq!(fixes.len(), 2, "{md}");
    assert!(fixes.iter().any(|f| f.contains("upgrade kubectl")), "{md}");
    assert!(
        fixes.iter().any(|f| f.contains("upgrade the server")),
        "{md}"
    );
}

#[test]
fn markdown_of_many_files_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![format!("host{i}.test")])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(dir.path().join(format!("c{i:02}.pem")), cert.pem()).unwrap();
    }
    let (code, md) = output(&["certs", dir.path().to_str().unwrap(), "-o", "markdown"]);
    assert_eq!(code, Some(0));
    assert!(md.lines().count() <= 60, "{md}");
    assert!(
        md.contains("**40 files**: 40 quantum-vulnerable · 40 findings: 40 high"),
        "{md}"
    );
    assert!(md.contains("| … and 25 more | | |"), "{md}");
    assert!(md.contains("`valid-past-disallowance` ×40"), "{md}");
    assert!(md.contains("(and 39 more)"), "{md}");
}

#[test]
fn catalog_commands_refuse_findings_formats() {
    for args in [
        ["profiles", "-o", "sarif"],
        ["profiles", "-o", "markdown"],
        ["matrix", "-o", "sarif"],
        ["matrix", "-o", "markdown"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: no empty document");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("pqready: error: -o "), "{err}");
        assert!(err.contains(&format!("`{}`", args[0])), "{err}");
        assert!(err.contains(&format!("-o {}", args[2])), "{err}");
    }
}

/// The gate's decision travels in the run's property bag, and in the
/// Markdown summary's first line; both still validate.
#[test]
fn the_gate_is_in_sarif_and_markdown() {
    let doc = sarif(
        &[
            "demo",
            "--clients",
            "all",
            "--fail-on",
            "high",
            "-o",
            "sarif",
        ],
        1,
    );
    let gate = &doc["runs"][0]["properties"]["gate"];
    assert_eq!(gate["fail_on"], "high");
    assert_eq!(gate["failed"], true);
    let high = results_of(&doc)
        .iter()
        .filter(|r| r["properties"]["severity"] == "high")
        .count();
    assert_eq!(gate["findings_at_or_above"], high as u64);

    let (code, text) = output(&["demo", "--fail-on", "high", "-o", "markdown"]);
    assert_eq!(code, Some(0));
    let first = text.lines().find(|l| l.contains("gate:")).unwrap();
    assert!(
        first.starts_with("✅ **gate: passed (--fail-on high)"),
        "{text}"
    );
}

/// The logical location of `result` at `index` (0: where it is, 1: the
/// client of an edge).
fn logical(result: &Value, index: usize) -> &Value {
    &result["locations"][0]["logicalLocations"][index]
}

#[test]
fn cluster_sarif_has_a_result_per_edge_finding_at_its_edge() {
    if !support::peers::require(&crate::exporter::EDGE_PEERS) {
        return;
    }
    let cluster = crate::exporter::edge_cluster();
    let config = cluster.config.to_str().unwrap();
    let doc = sarif(&["cluster", "--kubeconfig", config, "-o", "sarif"], 0);
    let json = support::command::json_lines(&["cluster", "--kubeconfig", config, "-o", "json"]);
    let cluster_doc = &json[0];
    let results = results_of(&doc);
    // One result per finding of the document, edge findings included.
    assert_eq!(
        results.len(),
        cluster_doc["findings"].as_array().unwrap().len(),
        "{doc:#}"
    );
    let mut edge_findings = 0;
    for e in cluster_doc["edges"].as_array().unwrap() {
        for f in e["findings"].as_array().unwrap() {
            edge_findings += 1;
            let at: Vec<&Value> = results
                .iter()
                .filter(|r| r["ruleId"] == f["id"] && r["message"]["text"] == f["detail"])
                .collect();
            assert_eq!(at.len(), 1, "{f}: {at:#?}");
            let r = at[0];
            let server = logical(r, 0);
            let qualified = format!(
                "cluster/{}/{}",
                e["server"]["category"].as_str().unwrap(),
                e["server"]["name"].as_str().unwrap()
            );
            assert_eq!(server["fullyQualifiedName"], qualified.as_str(), "{r:#}");
            assert_eq!(
                server["properties"]["address"], e["server"]["address"],
                "{r:#}"
            );
            let client = logical(r, 1);
            assert_eq!(client["name"], e["client"]["name"], "{r:#}");
            assert_eq!(
                client["fullyQualifiedName"],
                format!(
                    "cluster/client/{}/{}",
                    e["client"]["kind"].as_str().unwrap(),
                    e["client"]["name"].as_str().unwrap()
                )
                .as_str()
            );
            assert_eq!(client["properties"]["kind"], e["client"]["kind"]);
            let edge = &r["properties"]["edge"];
            assert_eq!(edge["client"], e["client"]["name"]);
            assert_eq!(edge["server"], e["server"]["name"]);
            assert_eq!(edge["standing"], e["standing"]);
            assert_eq!(edge["negotiated_group"], e["negotiated_group"]);
            assert_eq!(r["properties"]["severity"], f["severity"]);
        }
    }
    assert!(edge_findings >= 5, "{:#}", cluster_doc["edges"]);
    // The silent downgrade of the old kubelet: an error at the API server,
    // from kubelet old-1.
    let downgrade = results
        .iter()
        .find(|r| r["ruleId"] == "silent-downgrade-edge" && logical(r, 1)["name"] == "old-1")
        .unwrap_or_else(|| panic!("no downgrade from old-1: {doc:#}"));
    assert_eq!(downgrade["level"], "error");
    assert_eq!(
        logical(downgrade, 0)["fullyQualifiedName"],
        "cluster/apiserver/kube-apiserver"
    );
    assert_eq!(logical(downgrade, 1)["properties"]["profile"], "go1.23");
    let unknown = results
        .iter()
        .find(|r| r["ruleId"] == "unknown-client-build")
        .expect("the workload of unknown build");
    assert_eq!(logical(unknown, 1)["name"], "shop/cart");
    assert_eq!(unknown["level"], "note");
}
