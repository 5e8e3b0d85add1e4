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
fn dump_dom(page: &Path) -> String {
    let out = chromium(&["--dump-dom", &file_url(page)]);
    String::from_utf8(out.stdout).expect("UTF-8 DOM")
}

/// The visible text of a serialised DOM: tags dropped, the five entities decoded.
fn visible_text(dom: &str) -> String {
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
fn assert_self_contained(html: &str) {
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
fn assert_screenshot(report: &Path, dir: &Path) {
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
