//! The Prometheus test harness (tests/it/support/prometheus.rs) against Debian's
//! real Prometheus and promtool from the peer prefix, and the exporter's
//! alert rules (deploy/exporter/alerts.yaml) under `promtool test rules`
//! (deploy/exporter/alerts.test.yaml).

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support;
use support::peers;
use support::prometheus::{self, check_metrics, output_text, run_promtool, values};

const EXPOSITION: &str = "# HELP pqready_test_up Whether the test target is up.
# TYPE pqready_test_up gauge
pqready_test_up{target=\"a\"} 1
";

/// What the scrape test serves: a test gauge and one endpoint's
/// big-ClientHello verdict (docs/metrics.md), for the alert rules.
const SCRAPED: &str = "# HELP pqready_test_up Whether the test target is up.
# TYPE pqready_test_up gauge
pqready_test_up{target=\"a\"} 1
# HELP pqready_hello_tolerance 1 for the endpoint's big-ClientHello verdict, 0 for the others.
# TYPE pqready_hello_tolerance gauge
pqready_hello_tolerance{target=\"a.example:443\",verdict=\"intolerant\"} 1
pqready_hello_tolerance{target=\"a.example:443\",verdict=\"tolerant\"} 0
pqready_hello_tolerance{target=\"a.example:443\",verdict=\"inconclusive\"} 0
";

/// A minimal HTTP server on 127.0.0.1:0 answering GET /metrics with `body`
/// (404 for any other path), in a detached thread. Returns its port.
fn serve_metrics(body: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let request = String::from_utf8_lossy(&request);
            let path = request.split(' ').nth(1).unwrap_or("");
            let response = if path == "/metrics" {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into()
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

#[test]
fn prometheus_scrapes_a_loopback_target_and_evaluates_the_alert_rules() {
    if !peers::require(&["prometheus"]) {
        return;
    }
    assert_eq!(check_metrics(SCRAPED), Ok(()));
    let port = serve_metrics(SCRAPED);
    let rules = exporter_dir().join("alerts.yaml");
    let prom = prometheus::start(
        &format!(
            "- job_name: pqready-test\n  static_configs:\n    - targets: [\"127.0.0.1:{port}\"]\n"
        ),
        &[&rules],
    );
    assert!(prom.url().starts_with("http://127.0.0.1:"));
    let answer = prom.wait_for("pqready_test_up", Duration::from_secs(30), |a| {
        values(a) == ["1"]
    });
    let metric = &answer["data"]["result"][0]["metric"];
    assert_eq!(metric["target"], "a", "{answer}");
    assert_eq!(metric["job"], "pqready-test", "{answer}");
    assert_eq!(metric["instance"], format!("127.0.0.1:{port}"), "{answer}");

    let targets = prom.targets();
    let active = targets["data"]["activeTargets"].as_array().unwrap();
    assert_eq!(active.len(), 1, "{targets}");
    assert_eq!(active[0]["health"], "up", "{targets}");
    assert_eq!(
        active[0]["scrapeUrl"],
        format!("http://127.0.0.1:{port}/metrics")
    );

    // The alert rules are loaded and evaluated against the scraped series:
    // the intolerant endpoint's alert is pending (its `for:` is 10m).
    let answer = prom.wait_for(
        "ALERTS{alertname=\"PqreadyHelloIntolerant\"}",
        Duration::from_secs(30),
        |a| values(a) == ["1"],
    );
    let metric = &answer["data"]["result"][0]["metric"];
    assert_eq!(metric["alertstate"], "pending", "{answer}");
    assert_eq!(metric["target"], "a.example:443", "{answer}");
    assert_eq!(metric["severity"], "warning", "{answer}");
    let groups = prom.rules();
    let group = &groups["data"]["groups"][0];
    assert_eq!(group["name"], "pqready", "{groups}");
    assert_eq!(group["rules"].as_array().unwrap().len(), 7, "{groups}");

    // A PromQL error is the API's `"status": "error"`: query() panics with it.
    let bad = std::panic::catch_unwind(|| prom.query("sum(")).unwrap_err();
    let message = bad
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(message.contains("bad_data"), "{message}");
}

#[test]
fn check_metrics_accepts_a_clean_exposition_and_rejects_lint_problems() {
    if !peers::require(&["promtool"]) {
        return;
    }
    assert_eq!(check_metrics(EXPOSITION), Ok(()));
    // A counter without `_total`: promtool exits 3 and names the problem.
    let err = check_metrics(
        "# HELP pqready_test_scans Scans.\n# TYPE pqready_test_scans counter\npqready_test_scans 3\n",
    )
    .unwrap_err();
    assert!(err.contains("should have \"_total\" suffix"), "{err}");
    // No HELP text is a lint problem too.
    let err = check_metrics("pqready_test_up 1\n").unwrap_err();
    assert!(err.contains("no help text"), "{err}");
    // Text that does not parse.
    let err = check_metrics("pqready_test_up{ 1\n").unwrap_err();
    assert!(err.contains("parsing error"), "{err}");
}

fn exporter_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/exporter")
}

#[test]
fn alert_rules_check_and_pass_their_unit_tests() {
    if !peers::require(&["promtool"]) {
        return;
    }
    let dir = exporter_dir();
    let rules = dir.join("alerts.yaml");
    let out = run_promtool(&["check", "rules", rules.to_str().unwrap()]);
    let text = output_text(&out);
    assert!(out.status.success(), "promtool check rules:\n{text}");
    assert!(text.contains("SUCCESS: 7 rules found"), "{text}");

    let tests = dir.join("alerts.test.yaml");
    let out = run_promtool(&["test", "rules", tests.to_str().unwrap()]);
    let text = output_text(&out);
    assert!(out.status.success(), "promtool test rules:\n{text}");
    assert!(text.contains("SUCCESS"), "{text}");
    assert!(!text.contains("FAILED"), "{text}");
}

/// The unit tests can fail: the same tests against a copy of the rules with
/// one threshold changed must not pass.
#[test]
fn alert_rule_unit_tests_catch_a_changed_threshold() {
    if !peers::require(&["promtool"]) {
        return;
    }
    let src = exporter_dir();
    let tmp = tempfile::tempdir().unwrap();
    let rules = std::fs::read_to_string(src.join("alerts.yaml")).unwrap();
    let original = "pqready_certificate_nist_deadline_remaining_seconds < 365 * 86400";
    assert!(rules.contains(original), "the rule under test moved");
    std::fs::write(
        tmp.path().join("alerts.yaml"),
        rules.replace(
            original,
            "pqready_certificate_nist_deadline_remaining_seconds < 30 * 86400",
        ),
    )
    .unwrap();
    let tests = tmp.path().join("alerts.test.yaml");
    std::fs::copy(src.join("alerts.test.yaml"), &tests).unwrap();

    let out = run_promtool(&["test", "rules", tests.to_str().unwrap()]);
    let text = output_text(&out);
    assert!(
        !out.status.success(),
        "promtool test rules passed with a changed threshold:\n{text}"
    );
    assert!(text.contains("FAILED"), "{text}");
    assert!(text.contains("PqreadyCertificateDeadlineNear"), "{text}");
}

/// A real Prometheus scrapes the exporter in cluster mode: the edges of a
/// cluster mid-upgrade are series it stores and PromQL selects by label.
#[test]
fn prometheus_stores_the_exporters_edge_series() {
    let mut needs = crate::exporter::EDGE_PEERS.to_vec();
    needs.push("prometheus");
    if !peers::require(&needs) {
        return;
    }
    let cluster = crate::exporter::edge_cluster();
    let exporter = support::exporter::Exporter::start(&[
        "--cluster",
        "--kubeconfig",
        cluster.config.to_str().unwrap(),
        "--only",
        "groups,handshake",
    ]);
    exporter.wait_ready(Duration::from_secs(90));
    let prom = prometheus::start(
        &format!(
            "- job_name: pqready\n  static_configs:\n    - targets: [\"{}\"]\n",
            exporter.addr
        ),
        &[],
    );
    let wait = Duration::from_secs(60);
    // Seven edges (three kubelets and a workload to the API server, the API
    // server to the three kubelets), one standing each.
    let edges = prom.wait_for("pqready_edge_standing{job=\"pqready\"} == 1", wait, |a| {
        a["data"]["result"].as_array().is_some_and(|r| r.len() == 7)
    });
    let stored: Vec<[String; 5]> = edges["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let m = &s["metric"];
            [
                "client_kind",
                "client",
                "server_category",
                "server",
                "standing",
            ]
            .map(|k| m[k].as_str().unwrap_or("").to_string())
        })
        .collect();
    let has = |row: [&str; 5]| {
        stored
            .iter()
            .any(|s| s.iter().zip(row).all(|(a, b)| a == b))
    };
    assert!(
        has(["kubelet", "new-1", "apiserver", "kube-apiserver", "pq"]),
        "{stored:?}"
    );
    assert!(
        has([
            "kubelet",
            "old-1",
            "apiserver",
            "kube-apiserver",
            "classical"
        ]),
        "{stored:?}"
    );
    // The PQ edge by its group; the downgraded ones are x25519 next to a
    // server that supports ML-KEM, and counted as their findings.
    let pq = prom.query("pqready_edge_standing{group=\"X25519MLKEM768\",standing=\"pq\"} == 1");
    let mut pq_clients: Vec<String> = pq["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["metric"]["client"].as_str().unwrap().to_string())
        .collect();
    pq_clients.sort();
    assert_eq!(pq_clients, ["kube-apiserver", "new-1"], "{pq}");
    let old = prom.query(
        "pqready_edge_standing{client=\"old-1\",server=\"kube-apiserver\",standing=\"classical\"}",
    );
    assert_eq!(values(&old), ["1"], "{old}");
    assert_eq!(old["data"]["result"][0]["metric"]["group"], "x25519");
    let downgrades = prom.query("sum(pqready_findings{kind=\"silent-downgrade-edge\"})");
    assert_eq!(values(&downgrades), ["2"], "{downgrades}");
    // `group=""` is no label at all to Prometheus: the edge of unknown build.
    let unknown = prom.query("pqready_edge_standing{group=\"\",standing=\"unknown\"} == 1");
    assert_eq!(
        unknown["data"]["result"][0]["metric"]["client"], "shop/cart",
        "{unknown}"
    );
}
