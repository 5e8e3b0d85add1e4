//! The exporter's own endpoint with `--web.config.file` (TLS with rustls,
//! basic auth, extra headers; docs/guides/exporter.md) and `/metrics` in
//! gzip: against a rustls client, OpenSSL 3.5's `s_client`, `pqready probe`
//! and a real Prometheus scraping over TLS with basic auth.

use crate::support;

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::exporter::{basic, header, raw_get, sample, tls_get, Exporter};
use support::peers;

const USER: &str = "prometheus";
const PASSWORD: &str = "correct horse";

/// A CA and the certificates it issues for 127.0.0.1 / localhost, each
/// with the serial number asked for.
struct Pki {
    ca_params: rcgen::CertificateParams,
    ca_key: rcgen::KeyPair,
    ca_pem: String,
}

impl Pki {
    fn new() -> Pki {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "pqready test CA");
        let key = rcgen::KeyPair::generate().unwrap();
        let ca = params.self_signed(&key).unwrap();
        Pki {
            ca_pem: ca.pem(),
            ca_params: params,
            ca_key: key,
        }
    }

    /// (certificate PEM, key PEM, certificate DER) with `serial`.
    fn leaf(&self, serial: u64) -> (String, String, Vec<u8>) {
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .unwrap();
        params.serial_number = Some(rcgen::SerialNumber::from(serial));
        let key = rcgen::KeyPair::generate().unwrap();
        let issuer = rcgen::Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }
}

/// A directory laid out as the kubelet lays out a projected Secret: the
/// files are links through `..data`, and an update renames a new `..data`
/// link over the old one.
struct Projected {
    dir: PathBuf,
    generation: u32,
}

impl Projected {
    fn new(dir: &Path, files: &[(&str, &str)]) -> Projected {
        let mut p = Projected {
            dir: dir.to_path_buf(),
            generation: 0,
        };
        p.update(files);
        for (name, _) in files {
            std::os::unix::fs::symlink(format!("..data/{name}"), dir.join(name)).unwrap();
        }
        p
    }

    fn update(&mut self, files: &[(&str, &str)]) {
        self.generation += 1;
        let stamped = format!("..2026_01_01_00_00_0{}", self.generation);
        std::fs::create_dir(self.dir.join(&stamped)).unwrap();
        for (name, text) in files {
            std::fs::write(self.dir.join(&stamped).join(name), text).unwrap();
        }
        let tmp = self.dir.join("..data_tmp");
        std::os::unix::fs::symlink(&stamped, &tmp).unwrap();
        std::fs::rename(&tmp, self.dir.join("..data")).unwrap();
    }
}

/// A bcrypt hash of `password` at the cost `htpasswd -B` uses.
fn hash(password: &str) -> String {
    bcrypt::hash(password, 10).unwrap()
}

/// Writes web.yml next to tls.crt / tls.key (served through `..data`).
fn web_config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("web.yml");
    std::fs::write(
        &path,
        format!(
            "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\nhttp_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\nbasic_auth_users:\n  {USER}: \"{}\"\n{extra}",
            hash(PASSWORD)
        ),
    )
    .unwrap();
    path
}

/// A TLS exporter on a projected-volume certificate with serial 1.
fn tls_exporter(dir: &Path, pki: &Pki, args: &[&str]) -> (Exporter, Projected) {
    let (cert, key, _) = pki.leaf(1);
    let projected = Projected::new(dir, &[("tls.crt", &cert), ("tls.key", &key)]);
    let web = web_config(dir, "");
    let mut all = vec!["--web.config.file", web.to_str().unwrap()];
    all.extend_from_slice(args);
    let exporter = Exporter::start(&all);
    assert!(
        exporter.log().contains("listening on https://"),
        "{}",
        exporter.log()
    );
    (exporter, projected)
}

#[test]
fn tls_and_basic_auth_guard_every_request_and_a_refused_probe_scans_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let (exporter, _files) = tls_exporter(
        dir.path(),
        &pki,
        &["--allow", "127.0.0.1/32", "--timeout", "2s"],
    );
    // A target /probe could reach: it must see no connection from a
    // request that fails auth.
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let target_addr = target.local_addr().unwrap();
    let probe = format!("/probe?target={target_addr}");

    for auth in [
        None,
        Some(basic(USER, "wrong")),
        Some(basic("nobody", PASSWORD)),
        Some(basic(USER, "")),
    ] {
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("Authorization", a)])
            .unwrap_or_default();
        for path in ["/metrics", probe.as_str(), "/"] {
            let a = tls_get(exporter.addr, &pki.ca_pem, path, &headers);
            assert_eq!(a.status, 401, "{path} with {auth:?}: {}", a.head);
            assert_eq!(
                header(&a.head, "WWW-Authenticate"),
                Some("Basic"),
                "{}",
                a.head
            );
            assert_eq!(
                header(&a.head, "X-Content-Type-Options"),
                Some("nosniff"),
                "the extra headers are on every answer: {}",
                a.head
            );
        }
    }
    // Liveness and readiness need no password (the kubelet has none).
    assert_eq!(
        tls_get(exporter.addr, &pki.ca_pem, "/healthz", &[]).status,
        200
    );

    let auth = basic(USER, PASSWORD);
    let with = [("Authorization", auth.as_str())];
    let page = tls_get(exporter.addr, &pki.ca_pem, "/metrics", &with);
    assert_eq!(page.status, 200, "{}", page.head);
    let text = String::from_utf8(page.body).unwrap();
    // Nothing was probed, nothing was even counted as a /probe request.
    assert_eq!(
        sample(&text, "pqready_exporter_probes_total", "source=\"probe\""),
        Some(0.0),
        "{text}"
    );
    for outcome in ["probed", "shared", "cached", "refused", "invalid", "busy"] {
        assert_eq!(
            sample(
                &text,
                "pqready_exporter_probe_requests_total",
                &format!("result=\"{outcome}\"")
            ),
            Some(0.0),
            "{outcome}: {text}"
        );
    }
    target.set_nonblocking(true).unwrap();
    assert!(
        matches!(target.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "a /probe that failed auth connected to the target"
    );

    // The same /probe with the password probes (so the counters above
    // could have moved); the target is gone by then, so it fails fast.
    drop(target);
    let a = tls_get(exporter.addr, &pki.ca_pem, &probe, &with);
    assert_eq!(a.status, 200, "{}", a.head);
    let text =
        String::from_utf8(tls_get(exporter.addr, &pki.ca_pem, "/metrics", &with).body).unwrap();
    assert_eq!(
        sample(&text, "pqready_exporter_probes_total", "source=\"probe\""),
        Some(1.0),
        "{text}"
    );
}

#[test]
fn the_exporter_negotiates_x25519mlkem768_with_rustls_openssl_and_pqready() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let (exporter, _files) = tls_exporter(dir.path(), &pki, &[]);
    let a = tls_get(exporter.addr, &pki.ca_pem, "/healthz", &[]);
    assert_eq!(a.group, Some(rustls::NamedGroup::X25519MLKEM768));

    std::fs::write(dir.path().join("ca.pem"), &pki.ca_pem).unwrap();
    let out = Command::new(peers::bin("openssl"))
        .args([
            "s_client",
            "-connect",
            &exporter.addr.to_string(),
            "-CAfile",
            dir.path().join("ca.pem").to_str().unwrap(),
            "-verify_return_error",
            "-brief",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("Negotiated TLS1.3 group: X25519MLKEM768"),
        "{text}"
    );
    assert!(text.contains("Verification: OK"), "{text}");

    let out = support::command::run(&[
        "probe",
        &exporter.addr.to_string(),
        "--timeout",
        "10s",
        "-o",
        "json",
    ]);
    let doc: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap())
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(doc["verdict"]["status"], "pq", "{doc:#}");
    let findings: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        !findings
            .iter()
            .any(|f| f.contains("key-exchange") || *f == "pq-not-preferred"),
        "{findings:?}"
    );
}

#[test]
fn the_certificate_reloads_when_the_kubelet_swaps_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let (cert1, key1, der1) = pki.leaf(1);
    let mut files = Projected::new(dir.path(), &[("tls.crt", &cert1), ("tls.key", &key1)]);
    let web = web_config(dir.path(), "");
    let exporter = Exporter::start(&["--web.config.file", web.to_str().unwrap()]);
    assert_eq!(
        tls_get(exporter.addr, &pki.ca_pem, "/healthz", &[]).leaf,
        der1
    );

    // Rotated: the next connection gets serial 2. Each handshake checks
    // the files, so no waiting is needed; the deadline only bounds a
    // failure.
    let (cert2, key2, der2) = pki.leaf(2);
    files.update(&[("tls.crt", &cert2), ("tls.key", &key2)]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tls_get(exporter.addr, &pki.ca_pem, "/healthz", &[]).leaf != der2 {
        assert!(
            Instant::now() < deadline,
            "not reloaded:\n{}",
            exporter.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(exporter.log().contains("reloaded the TLS certificate"));

    // A bad pair (serial 3's certificate with serial 2's key) keeps serial
    // 2 and is reported once, however many connections follow.
    let (cert3, _, _) = pki.leaf(3);
    files.update(&[("tls.crt", &cert3), ("tls.key", &key2)]);
    for _ in 0..3 {
        assert_eq!(
            tls_get(exporter.addr, &pki.ca_pem, "/healthz", &[]).leaf,
            der2
        );
    }
    let log = exporter.log();
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("cannot reload the TLS certificate"))
        .collect();
    assert_eq!(errors.len(), 1, "{log}");
    assert!(errors[0].contains("does not match"), "{log}");

    // A good pair after the bad one is taken.
    let (cert4, key4, der4) = pki.leaf(4);
    files.update(&[("tls.crt", &cert4), ("tls.key", &key4)]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tls_get(exporter.addr, &pki.ca_pem, "/healthz", &[]).leaf != der4 {
        assert!(
            Instant::now() < deadline,
            "not reloaded:\n{}",
            exporter.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_bad_web_config_is_one_line_and_a_non_zero_exit_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let (cert, key, _) = pki.leaf(1);
    let (_, other_key, _) = pki.leaf(2);
    std::fs::write(dir.path().join("tls.crt"), &cert).unwrap();
    std::fs::write(dir.path().join("tls.key"), &key).unwrap();
    std::fs::write(dir.path().join("other.key"), &other_key).unwrap();
    std::fs::write(dir.path().join("garbage.crt"), "not a certificate\n").unwrap();
    let tls = |cert: &str, key: &str| {
        format!("tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
    };
    for (yaml, expect) in [
        (tls("missing.crt", "tls.key"), "missing.crt"),
        (tls("garbage.crt", "tls.key"), "no CERTIFICATE"),
        (tls("tls.crt", "other.key"), "does not match"),
        (
            format!("{}  colour: blue\n", tls("tls.crt", "tls.key")),
            "colour",
        ),
        (
            format!(
                "{}  client_auth_type: RequireAnyClientCert\n",
                tls("tls.crt", "tls.key")
            ),
            "RequireAnyClientCert",
        ),
        ("basic_auth_users:\n  a: secret\n".to_string(), "bcrypt"),
    ] {
        let path = dir.path().join("web.yml");
        std::fs::write(&path, &yaml).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_pqready"))
            .args(["exporter", "--listen", "127.0.0.1:0", "--web.config.file"])
            .arg(&path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{yaml}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{yaml}: {stderr}");
        assert!(stderr.contains(expect), "{yaml}: {stderr}");
        assert!(!stderr.contains("listening"), "{stderr}");
    }
    // The missing file itself.
    let out = Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(["exporter", "--web.config.file", "/nonexistent/web.yml"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/web.yml"), "{stderr}");
}

#[test]
fn metrics_are_gzipped_for_scrapers_that_ask() {
    // A scheduled target (closed port) so the page has a scan's series.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let exporter = Exporter::start(&["--target", &closed.to_string(), "--interval", "1h"]);
    exporter.wait_ready(Duration::from_secs(60));
    let (status, head, plain) = raw_get(exporter.addr, "/metrics", &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&head, "Content-Encoding"), None, "{head}");
    assert_eq!(header(&head, "Vary"), Some("Accept-Encoding"), "{head}");
    let (status, head, body) = raw_get(exporter.addr, "/metrics", &[("Accept-Encoding", "gzip")]);
    assert_eq!(status, 200);
    assert_eq!(header(&head, "Content-Encoding"), Some("gzip"), "{head}");
    assert_eq!(header(&head, "Vary"), Some("Accept-Encoding"), "{head}");
    assert_eq!(
        header(&head, "Content-Length").and_then(|v| v.parse().ok()),
        Some(body.len()),
        "{head}"
    );
    // One gzip member (GzDecoder stops after the first).
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .expect("valid gzip");
    let plain = String::from_utf8(plain).unwrap();
    // The scan's series are the same text; the exporter's own counters
    // moved between the two scrapes, so compare the scan's part.
    let scan = |t: &str| {
        t.lines()
            .filter(|l| !l.contains("pqready_exporter_"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert!(plain.contains(&format!("target=\"{closed}\"")), "{plain}");
    assert_eq!(scan(&text), scan(&plain));
    assert!(text.contains("pqready_exporter_scans_total"), "{text}");
    // "identity" or q=0 gets plain text.
    let (_, head, _) = raw_get(
        exporter.addr,
        "/metrics",
        &[("Accept-Encoding", "gzip;q=0")],
    );
    assert_eq!(header(&head, "Content-Encoding"), None, "{head}");
}

#[test]
fn prometheus_scrapes_the_exporter_over_tls_with_basic_auth() {
    if !peers::require(&["prometheus"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let (exporter, _files) = tls_exporter(dir.path(), &pki, &[]);
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let job = |name: &str, password: &str| {
        format!(
            "- job_name: {name}\n  scheme: https\n  tls_config:\n    ca_file: {}\n  basic_auth:\n    username: {USER}\n    password: \"{password}\"\n  static_configs:\n    - targets: [\"{}\"]\n",
            ca.display(),
            exporter.addr
        )
    };
    let prom = support::prometheus::start(
        &format!(
            "{}{}",
            job("pqready-tls", PASSWORD),
            job("pqready-wrong", "nope")
        ),
        &[],
    );
    prom.wait_for("up{job=\"pqready-tls\"}", Duration::from_secs(60), |a| {
        support::prometheus::values(a) == ["1"]
    });
    prom.wait_for(
        "pqready_exporter_scans_total{job=\"pqready-tls\"}",
        Duration::from_secs(30),
        |a| !support::prometheus::values(a).is_empty(),
    );
    // The same scrape with a wrong password is down (401), and its error
    // says so.
    prom.wait_for("up{job=\"pqready-wrong\"}", Duration::from_secs(60), |a| {
        support::prometheus::values(a) == ["0"]
    });
    let targets = prom.targets();
    let wrong = targets["data"]["activeTargets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["labels"]["job"] == "pqready-wrong")
        .unwrap();
    assert!(
        wrong["lastError"].as_str().unwrap_or("").contains("401"),
        "{wrong:#}"
    );
}

/// `observe --exporter` serves through the same guard: the DaemonSet's
/// exporter variant opens its port on the node, so it takes the same web
/// config. Root only (the capture needs CAP_NET_RAW): skips, or fails under
/// PQREADY_REQUIRE_PEERS=1.
#[test]
fn observe_exporter_takes_the_same_web_config() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let (cert, key, _) = pki.leaf(7);
    let _files = Projected::new(dir.path(), &[("tls.crt", &cert), ("tls.key", &key)]);
    let web = web_config(dir.path(), "");
    let log = dir.path().join("observe.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(["observe", "--interface", "lo", "--exporter"])
        .args(["--listen", "127.0.0.1:0", "--web.config.file"])
        .arg(&web)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let Some(text) = crate::observe::wait_capturing(&mut child, &log) else {
        let _ = child.kill();
        let _ = child.wait();
        return;
    };
    let _child = crate::observe::KillOnDrop(child);
    let at = text
        .find("listening on https://")
        .expect("an https listening line");
    let rest = &text[at + "listening on https://".len()..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let addr: SocketAddr = rest[..end].parse().unwrap();
    let refused = tls_get(addr, &pki.ca_pem, "/metrics", &[]);
    assert_eq!(refused.status, 401, "{}", refused.head);
    assert_eq!(header(&refused.head, "WWW-Authenticate"), Some("Basic"));
    assert_eq!(
        header(&refused.head, "X-Content-Type-Options"),
        Some("nosniff")
    );
    assert_eq!(
        tls_get(addr, &pki.ca_pem, "/healthz", &[]).status,
        200,
        "the kubelet's probes have no password"
    );
    let auth = basic(USER, PASSWORD);
    let page = tls_get(addr, &pki.ca_pem, "/metrics", &[("Authorization", &auth)]);
    assert_eq!(page.status, 200, "{}", page.head);
    assert_eq!(page.group, Some(rustls::NamedGroup::X25519MLKEM768));
    let text = String::from_utf8(page.body).unwrap();
    assert!(
        text.contains("pqready_observed_flows_dropped_total"),
        "{text}"
    );

    // A web config it cannot use: one line, before anything listens.
    std::fs::write(
        dir.path().join("bad.yml"),
        "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args([
            "observe",
            "--interface",
            "lo",
            "--exporter",
            "--web.config.file",
        ])
        .arg(dir.path().join("bad.yml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--web.config.file") && !stderr.contains("listening"),
        "{stderr}"
    );
}
