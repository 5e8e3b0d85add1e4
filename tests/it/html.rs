//! `-o html` through the real binary, checked the way a reader sees it: the
//! file is rendered by Debian's Chromium from the peer prefix
//! (`scripts/install-peers`), headless, with JavaScript irrelevant (the page
//! has none). `--dump-dom` gives the DOM Chromium built, whose text must hold
//! the targets, statuses, findings and the client × server matrix; a
//! `--screenshot` at 1280×2000 must be a PNG of that size, of a reasonable
//! weight, and far from a blank page's.
//!
//! The file itself must reference nothing outside it (no URL, no script, no
//! stylesheet link) and escape what peers and files say: a certificate whose
//! subject is `<script>…</script>` stays text.
//!
//! Without the prefix's chromium the rendering tests skip with one line;
//! `scripts/test` (PQREADY_REQUIRE_PEERS=1) fails instead.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use crate::support;

use support::peers;

fn run(args: &[&str]) -> Output {
    support::command::run(args)
}

/// Headless Chromium from the prefix (tests/it/support/clients.rs); it must
/// finish within 120 s and succeed.
fn chromium(args: &[&str]) -> Output {
    let out = support::clients::chromium(args, Duration::from_secs(120));
    assert!(
        out.status.success(),
        "chromium {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The DOM Chromium built from `page`.
pub(crate) fn dump_dom(page: &Path) -> String {
    let out = chromium(&["--dump-dom", &file_url(page)]);
    String::from_utf8(out.stdout).expect("UTF-8 DOM")
}

/// The visible text of a serialised DOM: tags dropped, the five entities decoded.
pub(crate) fn visible_text(dom: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in dom.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A 1280×2000 screenshot of `page`: its bytes.
fn screenshot(page: &Path, dir: &Path, name: &str) -> Vec<u8> {
    let png: PathBuf = dir.join(name);
    chromium(&[
        &format!("--screenshot={}", png.display()),
        "--window-size=1280,2000",
        &file_url(page),
    ]);
    std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot {}: {e}", png.display()))
}

/// The width and height in a PNG's IHDR chunk; panics if it is not a PNG.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24, "PNG of {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&png[12..16], b"IHDR", "PNG without IHDR first");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// What a self-contained, script-free page must not contain.
pub(crate) fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for needle in [
        "http://",
        "https://",
        "<script",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "url(",
        "src=",
        "href=",
        "//fonts",
        "javascript:",
    ] {
        assert!(
            !lower.contains(needle),
            "the page contains {needle:?}:\n{}",
            &html[..html.len().min(4000)]
        );
    }
    assert!(html.starts_with("<!DOCTYPE html>"), "no doctype");
    assert!(html.trim_end().ends_with("</html>"), "not a whole document");
}

/// A screenshot of the report must be a real page: 1280×2000, 20 KB–5 MB,
/// and much heavier than the same-size render of an empty page.
pub(crate) fn assert_screenshot(report: &Path, dir: &Path) {
    let shot = screenshot(report, dir, "report.png");
    assert_eq!(png_size(&shot), (1280, 2000));
    assert!(
        (20_000..5_000_000).contains(&shot.len()),
        "screenshot of {} bytes",
        shot.len()
    );
    let blank_page = dir.join("blank.html");
    std::fs::write(
        &blank_page,
        "<!DOCTYPE html><html><head><title>blank</title></head><body></body></html>",
    )
    .unwrap();
    let blank = screenshot(&blank_page, dir, "blank.png");
    assert_eq!(png_size(&blank), (1280, 2000));
    assert!(
        shot.len() > 4 * blank.len(),
        "the report's screenshot ({} bytes) is not much more than a blank page's ({} bytes)",
        shot.len(),
        blank.len()
    );
}

/// `demo --clients all -o html`: four loopback servers, every client profile
/// replayed, the `--fail-on high` gate; rendered by Chromium.
#[test]
fn demo_with_every_client_renders_in_chromium() {
    if !peers::require(&["chromium"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("demo.html");
    let out = run(&[
        "demo",
        "--clients",
        "all",
        "-o",
        "html",
        "--fail-on",
        "high",
        "--output-file",
        report.to_str().unwrap(),
    ]);
    // The demo's classical servers raise high findings: the gate fails.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "the report went to the file");
    let html = std::fs::read_to_string(&report).unwrap();
    assert_self_contained(&html);

    let text = visible_text(&dump_dom(&report));
    for expected in [
        "pqready report",
        "4 targets",
        "Gate FAILED (--fail-on high)",
        "Key exchange: post-quantum or not",
        "Certificate validity against the deadlines",
        "nist disallowed 2035-12-31",
        // The targets and their statuses.
        "pq-hybrid pq PQ key exchange: yes",
        "classical-only classical PQ key exchange: no",
        "pq-only pq",
        "tls12-only classical",
        // Findings with their fix.
        "Findings",
        "HIGH",
        "classical-client",
        // The matrix: a header row of targets, a row per profile.
        "Client × server matrix",
        "Client profile pq-hybrid classical-only pq-only tls12-only",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not rendered in:\n{text}"
        );
    }
    // Every client profile is a row, and cells name a group or a failure.
    let profiles = run(&["profiles", "-o", "json"]);
    let profiles = String::from_utf8(profiles.stdout).unwrap();
    let ids: Vec<String> = profiles
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(ids.len() > 5, "{profiles}");
    let matrix = &text[text.find("Client × server matrix").unwrap()..];
    for id in &ids {
        assert!(
            matrix.contains(id.as_str()),
            "profile {id} missing from the matrix:\n{matrix}"
        );
    }
    assert!(matrix.contains("X25519MLKEM768"), "{matrix}");
    assert!(matrix.contains("fails"), "{matrix}");
    assert!(matrix.contains("x25519"), "{matrix}");

    assert_screenshot(&report, dir.path());
}

/// A plain-HTTP server and a closed port are counted as "no-tls" and
/// "unreachable" in the summary, not as errors of the targets, and the
/// terminal table says the same words.
#[test]
fn plain_http_and_closed_targets_are_counted_as_such() {
    if !peers::require(&["chromium", "nginx"]) {
        return;
    }
    let http = peers::nginx_plain_http();
    let refusing = peers::RefusingPort::new();
    let closed = refusing.addr;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("probe.html");
    let out = run(&[
        "probe",
        &http.addr.to_string(),
        &closed.to_string(),
        "-o",
        "html",
        "--output-file",
        report.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = visible_text(&dump_dom(&report));
    for expected in ["unreachable 1", "no-tls 1", "error 0"] {
        assert!(
            text.contains(expected),
            "{expected:?} not rendered in:\n{text}"
        );
    }
    // The terminal summary says the same word, and why it could not be probed.
    let table = run(&["probe", &http.addr.to_string(), &closed.to_string()]);
    let table = String::from_utf8_lossy(&table.stdout);
    for (target, status) in [(http.addr, "no-tls"), (closed, "unreachable (refused)")] {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(&target.to_string()) && l.contains(status)),
            "{target} {status} not in:\n{table}"
        );
    }
    // Each target's row carries its own badge.
    for row in [
        format!("{} no-tls", http.addr),
        format!("{closed} unreachable"),
    ] {
        assert!(text.contains(&row), "{row:?} not rendered in:\n{text}");
    }
}

/// A certificate rcgen made, PEM.
fn rcgen_pem(alg: &'static rcgen::SignatureAlgorithm, cn: &str, year: i32) -> String {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["html.test".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(year, 6, 1);
    params.self_signed(&key).unwrap().pem()
}

const HOSTILE_CN: &str = "<script>alert(\"pqready\")</script>";

/// `certs -o html` over rcgen and OpenSSL 3.5 certificates: ML-DSA ones,
/// a P-256 one valid past 2035 whose CN is a script tag.
#[test]
fn certs_with_a_hostile_subject_render_escaped() {
    if !peers::require(&["chromium", "openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("pki");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(
        files.join("mldsa65.pem"),
        rcgen_pem(&rcgen::PKCS_ML_DSA_65, "mldsa.html.test", 2028),
    )
    .unwrap();
    std::fs::write(
        files.join("hostile.pem"),
        rcgen_pem(&rcgen::PKCS_ECDSA_P256_SHA256, HOSTILE_CN, 2040),
    )
    .unwrap();
    peers::openssl_in(
        &files,
        &[
            "req",
            "-x509",
            "-newkey",
            "ML-DSA-44",
            "-keyout",
            "/dev/null",
            "-nodes",
            "-subj",
            "/CN=openssl-mldsa44.html.test",
            "-days",
            "365",
            "-out",
            "openssl-mldsa44.pem",
        ],
    );
    let report = dir.path().join("certs.html");
    let out = run(&[
        "certs",
        files.to_str().unwrap(),
        "-o",
        "html",
        "--output-file",
        report.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert_self_contained(&html);
    assert!(
        html.contains("&lt;script&gt;alert(&quot;pqready&quot;)&lt;/script&gt;"),
        "the hostile subject is not escaped"
    );

    let dom = dump_dom(&report);
    // Chromium built no script element: the subject stayed text.
    assert!(!dom.to_ascii_lowercase().contains("<script"), "{dom}");
    let text = visible_text(&dom);
    for expected in [
        "Certificate files",
        "Certificate validity against the deadlines",
        HOSTILE_CN,
        "mldsa.html.test",
        "ML-DSA-65",
        "openssl-mldsa44.html.test",
        "ML-DSA-44",
        "EC P-256",
        "disallowed after 2035-12-31 (valid past disallowance)",
        "Findings",
        "HIGH",
        "3 files: 3 certificates",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not rendered in:\n{text}"
        );
    }
    assert_screenshot(&report, dir.path());
}

/// The catalog commands refuse `-o html` with one line and exit 2 (inspect
/// renders its clients; see tests/it/report_cmd.rs).
#[test]
fn commands_without_results_refuse_html() {
    for args in [&["profiles", "-o", "html"][..], &["matrix", "-o", "html"]] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!(
                "pqready: error: -o html is not available for `{}`",
                args[0]
            )),
            "{args:?}: {stderr}"
        );
    }
}

/// The key of a line of the cluster graph, from the JSON document: edges
/// alike in everything but the names at their ends.
fn line_key(e: &serde_json::Value) -> String {
    let c = &e["client"];
    [
        &c["kind"],
        &c["version"],
        &c["profile"],
        &e["server"]["category"],
        &e["negotiated_group"],
        &e["standing"],
        &e["findings"][0]["id"],
        &e["hello_retry"],
        &e["silent_downgrade"],
    ]
    .map(|v| v.to_string())
    .join("|")
}

const HOSTILE_WORKLOAD: &str = "<script>alert(1)</script>";

/// `pqready cluster` on a cluster mid-upgrade (three kubelets v1.32.4 on a
/// Go 1.23 server, one v1.33.2 on Go 1.24, a classical etcd, a workload of
/// unknown build named `<script>alert(1)</script>`), its document rendered
/// by `report -o html`: the connections are an SVG graph with one line per
/// kind of edge, the silent downgrades dashed and named, the hostile name
/// escaped; Chromium renders it. `report -o markdown` lists the same edges.
#[test]
fn a_cluster_s_connections_are_drawn_as_a_graph() {
    use support::apiserver::{kubeadm, Cluster, TestApiServer};
    if !peers::require(&["chromium", "goserver-1.23", "goserver-1.24", "usr/bin/etcd"]) {
        return;
    }
    let kubelet_132 = peers::go_server("1.23");
    let kubelet_133 = peers::go_server("1.24");
    let etcd = peers::etcd(&[]);
    let etcd_url = format!("https://{}", etcd.addr);
    let loopback = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let cluster = Cluster::new()
        .version("v1.33.2", "go1.24.4")
        .node_version("old-1", kubelet_132.addr, "v1.32.4")
        .node_version("old-2", kubelet_132.addr, "v1.32.4")
        .node_version("old-3", kubelet_132.addr, "v1.32.4")
        .node_version("new-1", kubelet_133.addr, "v1.33.2")
        .static_pod(
            "kube-apiserver",
            "new-1",
            kubeadm::apiserver(loopback, 6443, &etcd_url),
        )
        .static_pod("etcd", "new-1", kubeadm::etcd("new-1", &etcd_url))
        .workload(
            "deployments",
            "shop",
            HOSTILE_WORKLOAD,
            &[("app", "ghcr.io/example/app:2.1")],
            true,
        );
    let server = TestApiServer::start(cluster);
    let dir = tempfile::tempdir().unwrap();
    let config = support::kubeconfig::token(dir.path(), &server);
    // No kubectl on PATH: the edges are the cluster's alone.
    let empty = dir.path().join("bin");
    std::fs::create_dir(&empty).unwrap();
    let pqready = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pqready"))
            .args(args)
            .env("NO_COLOR", "1")
            .env("PATH", &empty)
            .env("HOME", "/nonexistent")
            .env_remove("KUBECONFIG")
            .output()
            .expect("run pqready")
    };
    let out = pqready(&[
        "cluster",
        "--kubeconfig",
        config.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved = dir.path().join("cluster.json");
    std::fs::write(&saved, &out.stdout).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let edges = doc["edges"].as_array().unwrap();
    let mut lines: Vec<String> = edges.iter().map(line_key).collect();
    lines.sort();
    lines.dedup();
    let silent_lines = {
        let mut s: Vec<String> = edges
            .iter()
            .filter(|e| e["silent_downgrade"] == true)
            .map(line_key)
            .collect();
        s.sort();
        s.dedup();
        s.len()
    };
    // The old kubelets to the API server and back, at least.
    assert!(silent_lines >= 2, "{edges:#?}");
    assert!(lines.len() < edges.len(), "nothing grouped: {edges:#?}");

    let report = dir.path().join("cluster.html");
    let out = pqready(&[
        "report",
        saved.to_str().unwrap(),
        "-o",
        "html",
        "--output-file",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&report).unwrap();
    // The cluster's URLs (the API server, etcd) are printed as text, never linked.
    assert_self_contained(&html.replace("https://127.0.0.1:", "127.0.0.1:"));
    let start = html
        .find("<svg role=\"img\" aria-label=\"cluster connections\"")
        .expect("the graph");
    let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
    assert_eq!(
        svg.matches("<path class=\"edge ").count(),
        lines.len(),
        "one line per kind of edge:\n{svg}"
    );
    assert_eq!(
        svg.matches("<path class=\"edge s-bad sd\"").count(),
        silent_lines,
        "{svg}"
    );
    assert_eq!(
        svg.matches("· silent downgrade</tspan>").count(),
        silent_lines,
        "{svg}"
    );
    assert!(svg.contains(">kubelet ×3</text>"), "{svg}");
    assert!(svg.contains(">v1.32.4 (go1.23)</text>"), "{svg}");
    // The hostile name is text wherever it is printed.
    assert!(!html.contains(HOSTILE_WORKLOAD));
    assert!(html.contains("shop/&lt;script&gt;alert(1)&lt;/script&gt;"));

    let dom = dump_dom(&report);
    assert!(!dom.to_ascii_lowercase().contains("<script"), "{dom}");
    // Chromium built the SVG: its lines are in the DOM.
    assert_eq!(
        dom.matches("<path class=\"edge ").count(),
        lines.len(),
        "{dom}"
    );
    let text = visible_text(&dom);
    for expected in [
        "Connections: client → server",
        "kubelet ×3",
        "x25519 ×3 · silent downgrade",
        "X25519MLKEM768",
        "Upgrade first",
        "HIGH upgrade 3 kubelets from v1.32.4",
        "Edge (client → server)",
        "kubelet ×3 → kube-apiserver",
        "old-1, old-2, old-3",
        &format!("workload shop/{HOSTILE_WORKLOAD} → kube-apiserver"),
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not rendered in:\n{text}"
        );
    }
    assert_screenshot(&report, dir.path());

    let md = pqready(&["report", saved.to_str().unwrap(), "-o", "markdown"]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("#### Edges"), "{md}");
    assert!(
        md.contains("| `kubelet ×3 → kube-apiserver` | v1.32.4 (go1.23) | x25519 | classical (**silent downgrade**) |"),
        "{md}"
    );
    assert!(
        md.contains("\n1. **high** upgrade 3 kubelets from v1.32.4"),
        "{md}"
    );
}
