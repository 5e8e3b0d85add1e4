//! `pqready exporter` end to end: the real binary serving HTTP on loopback,
//! probing real peers (OpenSSL 3.5 `s_server`, Go 1.22/1.23/1.24
//! `crypto/tls` servers) on schedule and on request, against the test API
//! server in cluster mode, and under hostile use: targets outside
//! `--allow`, hundreds of concurrent scrapes, silent and closed ports.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::apiserver::{Cluster, TestApiServer, TOKEN};
use support::exporter::{get, sample, series_line, Exporter};
use support::{kubeconfig, peers, prometheus};

use crate::support;

const READY: Duration = Duration::from_secs(90);

/// A port that accepts connections (the kernel completes the handshake)
/// and never answers: models a hung server. Kept open while the listener lives.
fn silent_port() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

#[test]
fn scheduled_scans_report_each_peers_status() {
    if !peers::require(&["openssl", "goserver-1.22", "goserver-1.23", "goserver-1.24"]) {
        return;
    }
    let openssl = peers::s_server(&[]);
    let go122 = peers::go_server("1.22");
    let go123 = peers::go_server("1.23");
    let go124 = peers::go_server("1.24");
    let targets: Vec<String> = [&openssl, &go122, &go123, &go124]
        .iter()
        .map(|p| p.addr.to_string())
        .collect();
    let mut args = vec!["--interval", "1h", "--clients", "go1.23,go1.24"];
    for t in &targets {
        args.extend(["--target", t.as_str()]);
    }
    let exporter = Exporter::start(&args);
    exporter.wait_ready(READY);
    let page = exporter.get("/metrics");
    assert_eq!(page.status, 200);
    assert!(
        page.headers.contains("text/plain; version=0.0.4"),
        "{}",
        page.headers
    );
    let text = &page.body;
    let status = |target: &str, s: &str| {
        sample(
            text,
            "pqready_pq_status",
            &format!("target=\"{target}\",status=\"{s}\""),
        )
    };
    for (target, expected) in targets.iter().zip(["pq", "classical", "draft-only", "pq"]) {
        assert_eq!(status(target, expected), Some(1.0), "{target}: {text}");
        assert_eq!(
            sample(text, "probe_success", &format!("target=\"{target}\"")),
            Some(1.0)
        );
        let ready = if expected == "pq" { 1.0 } else { 0.0 };
        assert_eq!(
            sample(text, "pqready_pq_ready", &format!("target=\"{target}\"")),
            Some(ready)
        );
    }
    let (o, g122, g123, g124) = (&targets[0], &targets[1], &targets[2], &targets[3]);
    assert_eq!(
        sample(
            text,
            "probe_tls_group_info",
            &format!("target=\"{o}\",group=\"X25519MLKEM768\",id=\"0x11ec\"")
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            text,
            "probe_tls_group_info",
            &format!("target=\"{g123}\",group=\"X25519Kyber768Draft00\",id=\"0x6399\"")
        ),
        Some(1.0)
    );
    assert!(!text.contains(&format!(
        "probe_tls_group_info{{target=\"{g122}\",group=\"X25519MLKEM768\""
    )));
    // The trap, as a metric: a Go 1.23 client gets no PQ group from Go 1.24.
    assert_eq!(
        sample(
            text,
            "pqready_client_group_info",
            &format!(
                "target=\"{g124}\",client=\"go1.23\",group=\"x25519\",id=\"0x001d\",pq=\"false\""
            )
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            text,
            "pqready_client_pq",
            &format!("target=\"{g124}\",client=\"go1.24\"")
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            text,
            "pqready_findings",
            &format!("target=\"{g124}\",kind=\"silent-downgrade\",severity=\"high\"")
        ),
        Some(1.0),
        "{text}"
    );
    // Key exchange is judged without --clients: the Go 1.22 server is
    // classical, the Go 1.23 one offers only the Kyber draft.
    for (target, kind) in [
        (&targets[1], "classical-key-exchange"),
        (&targets[2], "draft-only-key-exchange"),
    ] {
        assert_eq!(
            sample(
                text,
                "pqready_findings",
                &format!("target=\"{target}\",kind=\"{kind}\",severity=\"medium\"")
            ),
            Some(1.0),
            "{text}"
        );
    }
    assert_eq!(
        sample(
            text,
            "pqready_hello_tolerance",
            &format!("target=\"{o}\",verdict=\"tolerant\"")
        ),
        Some(1.0)
    );
    let leaf = format!("target=\"{o}\",role=\"leaf\"");
    let leaf_safe = series_line(text, "pqready_certificate_quantum_safe", &leaf);
    assert!(
        leaf_safe.ends_with(" 0"),
        "an ECDSA leaf is not quantum-safe: {leaf_safe}"
    );
    // Certificate dates: a classical ECDSA key, disallowed after 2035 (P-256 is 128-bit).
    let deadline = series_line(
        text,
        "pqready_certificate_nist_deadline_timestamp_seconds",
        &leaf,
    );
    assert!(
        deadline.contains("milestone=\"disallowed\"") && deadline.ends_with(" 2082758400"),
        "{deadline}"
    );
    assert!(text.contains(&format!(
        "pqready_certificate_nist_deadline_remaining_seconds{{target=\"{o}\",role=\"leaf\""
    )));
    // The exporter's own numbers.
    assert_eq!(
        exporter.metric("pqready_exporter_scan_endpoints", ""),
        Some(4.0)
    );
    assert_eq!(
        exporter.metric("pqready_exporter_scan_errors", ""),
        Some(0.0)
    );
    assert_eq!(exporter.metric("pqready_exporter_targets", ""), Some(4.0));
    assert_eq!(
        exporter.metric("pqready_exporter_scans_total", "result=\"success\""),
        Some(1.0)
    );
    assert_eq!(
        exporter.metric("pqready_exporter_probes_total", "source=\"scan\""),
        Some(4.0)
    );
    assert!(
        exporter
            .metric("pqready_exporter_last_scan_success_timestamp_seconds", "")
            .unwrap()
            > 1.7e9
    );
    assert_eq!(
        exporter.metric(
            "pqready_exporter_build_info",
            &format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))
        ),
        Some(1.0)
    );
    // Scrapes read the last scan; they never start one.
    for _ in 0..5 {
        exporter.get("/metrics");
    }
    assert_eq!(
        exporter.metric("pqready_exporter_probes_total", "source=\"scan\""),
        Some(4.0)
    );
}

#[test]
fn probe_is_blackbox_style_and_only_for_allowed_targets() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let server = peers::s_server(&[]);
    let exporter = Exporter::start(&["--allow", "127.0.0.1/32"]);
    // Nothing scheduled: ready at once.
    assert_eq!(exporter.get("/readyz").status, 200);
    let answer = exporter.get(&format!(
        "/probe?target={}&checks=groups,handshake",
        server.addr
    ));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let text = &answer.body;
    assert_eq!(sample(text, "probe_success", ""), Some(1.0), "{text}");
    assert_eq!(sample(text, "pqready_pq_ready", ""), Some(1.0));
    assert_eq!(
        sample(text, "pqready_pq_status", "status=\"pq\""),
        Some(1.0)
    );
    assert_eq!(
        sample(text, "probe_tls_version_info", "version=\"TLS 1.3\""),
        Some(1.0)
    );
    assert_eq!(
        sample(
            text,
            "pqready_handshake_group_info",
            "group=\"X25519MLKEM768\",id=\"0x11ec\""
        ),
        Some(1.0)
    );
    assert!(
        !text.contains("target="),
        "no target label on /probe: {text}"
    );
    assert!(
        !text.contains("check=\"hello-tolerance\""),
        "checks= limits the checks"
    );

    // A name is checked at the address it resolves to.
    let by_name = exporter.get(&format!(
        "/probe?target=localhost:{}&checks=groups",
        server.addr.port()
    ));
    assert_eq!(by_name.status, 200, "{}", by_name.body);

    // Outside --allow: 403, a log line, and no connection at all.
    let outside = TcpListener::bind("127.0.0.2:0").unwrap();
    outside.set_nonblocking(true).unwrap();
    let refused = exporter.get(&format!("/probe?target={}", outside.local_addr().unwrap()));
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("not allowed"), "{}", refused.body);
    // Proving that something does not happen has no condition to wait for:
    // this pause gives a wrong exporter time to connect after answering. A
    // right one never connects, so the pause cannot make the test fail.
    std::thread::sleep(Duration::from_millis(300));
    match outside.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the refused target was connected to: {other:?}"),
    }
    assert!(
        exporter.log().contains("probe refused"),
        "{}",
        exporter.log()
    );

    // A name whose address (from /etc/hosts) lies outside --allow: 403, no connection.
    let narrow = Exporter::start(&["--allow", "127.0.0.2/32"]);
    let behind_name = TcpListener::bind("127.0.0.1:0").unwrap();
    behind_name.set_nonblocking(true).unwrap();
    let port = behind_name.local_addr().unwrap().port();
    let by_name = narrow.get(&format!("/probe?target=localhost:{port}"));
    assert_eq!(by_name.status, 403, "{}", by_name.body);
    assert!(
        by_name.body.contains("resolves to 127.0.0.1"),
        "{}",
        by_name.body
    );
    // As above: time for a wrong exporter to connect, none needed by a right one.
    std::thread::sleep(Duration::from_millis(300));
    match behind_name.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the refused name was connected to: {other:?}"),
    }

    // Bad parameters: 400, one line.
    for (query, says) in [
        ("/probe", "missing parameter: target"),
        ("/probe?target=", "invalid target"),
        ("/probe?target=a:1&checks=nope", "nope"),
        ("/probe?target=a:1&clients=nokia3310", "nokia3310"),
    ] {
        let a = exporter.get(query);
        assert_eq!(a.status, 400, "{query}: {}", a.body);
        assert!(a.body.contains(says), "{query}: {}", a.body);
    }
    assert_eq!(exporter.get("/nowhere").status, 404);
    assert_eq!(exporter.get("/healthz").status, 200);
    assert_eq!(
        exporter.metric(
            "pqready_exporter_probe_requests_total",
            "result=\"refused\""
        ),
        Some(1.0)
    );
    assert_eq!(
        exporter.metric(
            "pqready_exporter_probe_requests_total",
            "result=\"invalid\""
        ),
        Some(4.0)
    );
    assert_eq!(
        exporter.metric("pqready_exporter_probe_requests_total", "result=\"probed\""),
        Some(2.0)
    );
}

#[test]
fn an_empty_allow_list_refuses_every_probe() {
    let target = silent_port();
    let exporter = Exporter::start(&[]);
    let a = exporter.get(&format!("/probe?target={}", target.local_addr().unwrap()));
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("allow list is empty"), "{}", a.body);
}

/// A TCP forwarder that counts the connections it accepts: the test's own
/// view of how many connections reach the server behind it.
struct CountingProxy {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl CountingProxy {
    fn start(upstream: SocketAddr) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut c1, mut s1) = (client, server);
                std::thread::spawn(move || pipe(&mut c1, &mut s1));
                std::thread::spawn(move || pipe(&mut s2, &mut c2));
            }
        });
        CountingProxy { addr, accepted }
    }
}

fn pipe(from: &mut TcpStream, to: &mut TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

#[test]
fn concurrent_scrapes_share_one_probe() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let server = peers::s_server(&[]);
    let proxy = CountingProxy::start(server.addr);
    let exporter = Exporter::start(&["--allow", "127.0.0.1/32", "--min-reprobe-interval", "60s"]);
    let addr = exporter.addr;
    let path = format!("/probe?target={}", proxy.addr);
    let answers: Vec<_> = (0..200)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                if i % 4 == 0 {
                    get(addr, "/metrics", &[])
                } else {
                    get(addr, &path, &[])
                }
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let probes: Vec<_> = answers
        .iter()
        .filter(|a| a.body.contains("probe_success"))
        .collect();
    assert_eq!(probes.len(), 150);
    for a in &probes {
        assert_eq!(a.status, 200);
        assert_eq!(
            sample(&a.body, "probe_success", ""),
            Some(1.0),
            "{}",
            a.body
        );
    }
    // One probe ran, and the server saw only its connections.
    assert_eq!(
        exporter.metric("pqready_exporter_probes_total", "source=\"probe\""),
        Some(1.0)
    );
    let probed = exporter
        .metric("pqready_exporter_probe_requests_total", "result=\"probed\"")
        .unwrap();
    let shared = exporter
        .metric("pqready_exporter_probe_requests_total", "result=\"shared\"")
        .unwrap();
    let cached = exporter
        .metric("pqready_exporter_probe_requests_total", "result=\"cached\"")
        .unwrap();
    assert_eq!((probed, shared + cached), (1.0, 149.0));
    let per_probe = sample(&probes[0].body, "pqready_connections", "").unwrap() as usize;
    assert_eq!(proxy.accepted.load(Ordering::SeqCst), per_probe);
    eprintln!("200 concurrent requests: 1 probe, {per_probe} connections to the server");
}

#[test]
fn a_flood_of_distinct_targets_is_bounded() {
    // Twenty hung servers, ten concurrent requests for each, at most four
    // probes at once: the rest are told to come back (503), memory stays flat.
    let hung: Vec<TcpListener> = (0..20).map(|_| silent_port()).collect();
    let exporter = Exporter::start(&[
        "--allow",
        "127.0.0.1/32",
        "--max-probes",
        "4",
        "--timeout",
        "1s",
        "--min-reprobe-interval",
        "0s",
    ]);
    let before = exporter.rss_kib();
    let addr = exporter.addr;
    for round in 0..3 {
        let answers: Vec<_> = (0..200)
            .map(|i| {
                let target = hung[i % hung.len()].local_addr().unwrap();
                std::thread::spawn(move || {
                    get(
                        addr,
                        &format!("/probe?target={target}&checks=groups"),
                        &[("X-Prometheus-Scrape-Timeout-Seconds", "3")],
                    )
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        let busy = answers.iter().filter(|a| a.status == 503).count();
        let ok = answers.iter().filter(|a| a.status == 200).count();
        assert_eq!(busy + ok, 200, "round {round}: only 200 and 503");
        assert!(
            busy > 0,
            "round {round}: more than --max-probes distinct probes ran"
        );
        for a in answers.iter().filter(|a| a.status == 200) {
            assert_eq!(
                sample(&a.body, "probe_success", ""),
                Some(0.0),
                "{}",
                a.body
            );
        }
        assert!(
            exporter
                .metric("pqready_exporter_probes_in_flight", "")
                .unwrap()
                <= 4.0
        );
    }
    let probes = exporter
        .metric("pqready_exporter_probes_total", "source=\"probe\"")
        .unwrap();
    assert!(
        probes <= 3.0 * 20.0,
        "{probes} probes for 3 rounds of 20 targets"
    );
    let after = exporter.rss_kib();
    eprintln!("RSS before {before} KiB, after 600 flood requests {after} KiB, {probes} probes");
    assert!(
        after < before + 30 * 1024,
        "memory grew from {before} to {after} KiB"
    );
}

/// A port that answers every connection with an HTTP error page and closes:
/// models a hostile (or merely wrong) peer that does not speak TLS.
fn garbage_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    addr
}

#[test]
fn hung_closed_and_hostile_targets_time_out_and_are_reported() {
    let hung = silent_port();
    let closed = kubeconfig::closed_port();
    let garbage = garbage_port().to_string();
    let (h, c) = (hung.local_addr().unwrap().to_string(), closed.to_string());
    let started = Instant::now();
    let exporter = Exporter::start(&[
        "--target",
        &h,
        "--target",
        &c,
        "--target",
        &garbage,
        "--timeout",
        "1s",
    ]);
    assert_eq!(exporter.get("/healthz").status, 200);
    exporter.wait_ready(Duration::from_secs(30));
    eprintln!(
        "a scan of a hung, a closed and a non-TLS port took {:?}",
        started.elapsed()
    );
    let text = exporter.get("/metrics").body;
    let value = |name: &str, labels: String| sample(&text, name, &labels);
    for t in [&h, &c, &garbage] {
        assert_eq!(
            value("probe_success", format!("target=\"{t}\"")),
            Some(0.0),
            "{text}"
        );
        assert_eq!(
            value(
                "pqready_pq_status",
                format!("target=\"{t}\",status=\"error\"")
            ),
            Some(1.0)
        );
    }
    // Where each stands, in the words every table and chart uses.
    for (t, standing) in [
        (&h, "unreachable"),
        (&c, "unreachable"),
        (&garbage, "no-tls"),
    ] {
        assert_eq!(
            value(
                "pqready_standing",
                format!("target=\"{t}\",standing=\"{standing}\"")
            ),
            Some(1.0),
            "{t} {standing}: {text}"
        );
    }
    for (t, kind) in [(&h, "timeout"), (&c, "refused"), (&garbage, "not-tls")] {
        assert_eq!(
            value(
                "pqready_probe_error_info",
                format!("target=\"{t}\",kind=\"{kind}\"")
            ),
            Some(1.0),
            "{t} {kind}: {text}"
        );
    }
    assert_eq!(
        exporter.metric("pqready_exporter_scan_errors", ""),
        Some(3.0)
    );
}

#[test]
fn readiness_waits_for_the_first_scan_and_sigterm_stops_cleanly() {
    let hung = silent_port();
    let h = hung.local_addr().unwrap().to_string();
    let mut exporter =
        Exporter::start(&["--target", &h, "--timeout", "2s", "--log-format", "json"]);
    assert_eq!(exporter.get("/healthz").status, 200);
    let early = exporter.get("/readyz");
    assert_eq!(early.status, 503, "{}", early.body);
    exporter.wait_ready(Duration::from_secs(30));
    let status = exporter
        .terminate(Duration::from_secs(15))
        .expect("exits after SIGTERM");
    assert_eq!(status.code(), Some(0), "{}", exporter.log());
    let log = exporter.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("listening on http://")),
        "{log}"
    );
    assert!(messages.contains(&"scan completed"), "{log}");
    assert!(
        messages.contains(&"shutting down") && messages.contains(&"stopped"),
        "{log}"
    );
    let scan = lines
        .iter()
        .find(|l| l["fields"]["message"] == "scan completed")
        .unwrap();
    assert_eq!(scan["fields"]["errors"], 1);
    assert_eq!(scan["level"], "INFO");
}

#[test]
fn bad_settings_give_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("exporter.yaml");
    std::fs::write(&config, "listen: 127.0.0.1:0\nintervall: 5m\n").unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let missing = dir.path().join("missing.yaml");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--allow", "10.0.0.0/33"],
            "invalid --allow '10.0.0.0/33'",
        ),
        (vec!["--interval", "0s"], "invalid --interval"),
        (vec!["--jitter", "80%"], "invalid --jitter"),
        (vec!["--config", config.to_str().unwrap()], "intervall"),
        (
            vec!["--config", missing.to_str().unwrap()],
            "cannot read it",
        ),
        (vec!["--listen", &taken], "cannot listen on"),
        (vec!["--target", "a:99999"], "invalid target"),
        (vec!["--log-format", "xml"], "invalid --log-format"),
    ];
    for (args, says) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pqready"))
            .arg("exporter")
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("pqready: error:") && err.contains(says),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn the_example_config_file_runs() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let server = peers::s_server(&[]);
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/exporter/exporter.yaml"
    ))
    .unwrap();
    // The example's own targets are the operator's; here they point at the test peer.
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("targets.txt");
    std::fs::write(
        &targets,
        format!("# scanned every interval\n{}\n", server.addr),
    )
    .unwrap();
    let text = example
        .replace("0.0.0.0:9717", "127.0.0.1:0")
        .replace("/etc/pqready/targets.txt", targets.to_str().unwrap())
        .replace("cluster: true", "cluster: false")
        .replace("in_cluster: true", "in_cluster: false");
    let config = dir.path().join("exporter.yaml");
    std::fs::write(&config, text).unwrap();
    let exporter = Exporter::start(&["--config", config.to_str().unwrap()]);
    exporter.wait_ready(READY);
    assert_eq!(
        exporter.metric("pqready_pq_ready", &format!("target=\"{}\"", server.addr)),
        Some(1.0),
        "{}",
        exporter.get("/metrics").body
    );
}

#[test]
fn cluster_mode_labels_components_and_keeps_credentials_out() {
    if !peers::require(&["goserver-1.22", "goserver-1.24"]) {
        return;
    }
    let kubelet_pq = peers::go_server("1.24");
    let kubelet_classical = peers::go_server("1.22");
    let server = TestApiServer::start(
        Cluster::new()
            .version("v1.33.2", "go1.24.4")
            .node("node-a", kubelet_pq.addr)
            .node("node-b", kubelet_classical.addr),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let exporter = Exporter::start(&[
        "--cluster",
        "--kubeconfig",
        config.to_str().unwrap(),
        "--only",
        "groups,handshake",
    ]);
    exporter.wait_ready(READY);
    let text = exporter.get("/metrics").body;
    let pq = |target: SocketAddr, name: &str| {
        sample(
            &text,
            "pqready_pq_ready",
            &format!("target=\"{target}\",category=\"kubelet\",component=\"{name}\""),
        )
    };
    assert_eq!(pq(kubelet_pq.addr, "node-a"), Some(1.0), "{text}");
    assert_eq!(pq(kubelet_classical.addr, "node-b"), Some(0.0), "{text}");
    assert!(
        text.contains("category=\"apiserver\",component=\"kube-apiserver\""),
        "{text}"
    );
    assert_eq!(
        exporter.metric("pqready_exporter_scans_total", "result=\"success\""),
        Some(1.0)
    );
    for place in [&text, &exporter.log()] {
        assert!(!place.contains(TOKEN), "the token leaked");
    }
    // The API server going away later is a failed scan, not a crash.
    drop(exporter);
    let fast = Exporter::start(&[
        "--cluster",
        "--kubeconfig",
        config.to_str().unwrap(),
        "--only",
        "groups",
        "--interval",
        "1s",
        "--jitter",
        "0",
    ]);
    fast.wait_ready(READY);
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(60);
    while fast
        .metric("pqready_exporter_scans_total", "result=\"failure\"")
        .unwrap_or(0.0)
        < 1.0
    {
        assert!(Instant::now() < deadline, "{}", fast.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(fast.log().contains("scan could not run"), "{}", fast.log());
    // The last good scan's results stay until a scan succeeds again.
    assert!(fast.metric("pqready_exporter_scan_endpoints", "").unwrap() >= 3.0);
    // A kubeconfig that cannot be used stops the exporter at start.
    let broken = kubeconfig::malformed(dir.path());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args([
            "exporter",
            "--listen",
            "127.0.0.1:0",
            "--cluster",
            "--kubeconfig",
            broken.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// The series of a PromQL answer as (label value of `key`, label value of `of`).
fn pairs(answer: &serde_json::Value, key: &str, of: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = answer["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let m = &s["metric"];
            (
                m[key].as_str().unwrap_or("").to_string(),
                m[of].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_real_prometheus_scrapes_the_exporter_with_the_example_config() {
    if !peers::require(&[
        "openssl",
        "goserver-1.22",
        "goserver-1.23",
        "prometheus",
        "promtool",
    ]) {
        return;
    }
    let openssl = peers::s_server(&[]);
    let go122 = peers::go_server("1.22");
    let go123 = peers::go_server("1.23");
    let targets: Vec<String> = [&openssl, &go122, &go123]
        .iter()
        .map(|p| p.addr.to_string())
        .collect();
    let mut args = vec![
        "--allow",
        "127.0.0.1/32",
        "--clients",
        "go1.23,go1.24",
        "--interval",
        "1h",
    ];
    for t in &targets {
        args.extend(["--target", t.as_str()]);
    }
    let exporter = Exporter::start(&args);
    exporter.wait_ready(READY);

    // promtool accepts every page the exporter serves.
    let scheduled = exporter.get("/metrics").body;
    prometheus::check_metrics(&scheduled).unwrap_or_else(|e| panic!("/metrics: {e}\n{scheduled}"));
    for t in &targets {
        let page = exporter.get(&format!("/probe?target={t}&clients=all")).body;
        prometheus::check_metrics(&page).unwrap_or_else(|e| panic!("/probe {t}: {e}\n{page}"));
    }
    let closed = kubeconfig::closed_port();
    let failed = exporter.get(&format!("/probe?target={closed}")).body;
    assert_eq!(sample(&failed, "probe_success", ""), Some(0.0), "{failed}");
    prometheus::check_metrics(&failed).unwrap_or_else(|e| panic!("a failed /probe: {e}\n{failed}"));
    let refused = exporter.get("/probe?target=127.0.0.2:9");
    assert_eq!(refused.status, 403);

    // The example scrape config (deploy/exporter/prometheus.yml), pointed at
    // this exporter and these peers, with test-sized intervals.
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/exporter/prometheus.yml"
    ))
    .unwrap();
    let scrape_configs = example
        .split_once("\nscrape_configs:\n")
        .expect("the example has scrape_configs")
        .1
        .replace(
            "pqready-exporter.pqready.svc:9717",
            &exporter.addr.to_string(),
        )
        .replace(
            "          - apiserver.example:6443",
            &targets
                .iter()
                .map(|t| format!("          - {t}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
        .replace("scrape_interval: 60s", "scrape_interval: 1s")
        .replace("scrape_timeout: 30s", "scrape_timeout: 1s")
        .replace("scrape_interval: 5m", "scrape_interval: 3s")
        .replace("scrape_timeout: 60s", "scrape_timeout: 3s");
    let alerts = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/exporter/alerts.yaml"
    ));
    let prom = prometheus::start(&scrape_configs, &[alerts.as_path()]);
    let mut expected: Vec<(String, String)> = targets
        .iter()
        .cloned()
        .zip(["pq", "classical", "draft-only"].map(String::from))
        .collect();
    expected.sort();
    let wait = Duration::from_secs(60);
    let has_all =
        |a: &serde_json::Value| a["data"]["result"].as_array().is_some_and(|r| r.len() == 3);
    // /metrics: one series per scheduled target, labelled `target`.
    let scheduled = prom.wait_for("pqready_pq_status{job=\"pqready\"} == 1", wait, has_all);
    assert_eq!(
        pairs(&scheduled, "target", "status"),
        expected,
        "{scheduled}"
    );
    // /probe, blackbox style: the target became `instance`.
    let probed = prom.wait_for(
        "pqready_pq_status{job=\"pqready-probe\"} == 1",
        wait,
        has_all,
    );
    assert_eq!(pairs(&probed, "instance", "status"), expected, "{probed}");
    let up = prom.query("probe_success{job=\"pqready-probe\"}");
    assert_eq!(prometheus::values(&up), ["1", "1", "1"], "{up}");
    let kyber = prom.query("probe_tls_group_info{job=\"pqready-probe\",id=\"0x6399\"}");
    assert_eq!(
        pairs(&kyber, "instance", "group"),
        [(targets[2].clone(), "X25519Kyber768Draft00".to_string())]
    );

    // Every panel of the Grafana dashboard is valid PromQL over these series.
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/exporter/grafana-dashboard.json"
        ))
        .unwrap(),
    )
    .unwrap();
    // Each variable as "All" sets it (its allValue).
    let all_values: Vec<(String, String)> = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| {
            Some((
                format!("${}", v["name"].as_str()?),
                v["allValue"].as_str()?.to_string(),
            ))
        })
        .collect();
    assert_eq!(all_values.len(), 2, "{all_values:?}");
    let mut exprs = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().into_iter().flatten() {
            if let Some(e) = t["expr"].as_str() {
                let expr = all_values
                    .iter()
                    .fold(e.to_string(), |e, (var, all)| e.replace(var, all));
                exprs.push((panel["title"].as_str().unwrap_or("").to_string(), expr));
            }
        }
    }
    assert!(exprs.len() >= 15, "{exprs:?}");
    // Every query is valid PromQL (a query error panics), and the fleet has
    // every kind of series the panels ask for (PQ, classical and draft
    // endpoints, a client without PQ, certificates): each one gets data once
    // Prometheus has scraped twice (the rate panels need two samples).
    for (title, expr) in &exprs {
        let answer = prom.wait_for(expr, wait, |a| {
            a["data"]["result"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
        });
        assert_eq!(answer["status"], "success", "{title}: {expr}: {answer}");
    }
    let answered = prom.query("sum(pqready_pq_ready{category=~\".*\", target=~\".+\"})");
    assert_eq!(prometheus::values(&answered), ["1"], "{answered}");

    // The alert rules load and evaluate against the real series.
    let deadline = Instant::now() + wait;
    loop {
        let rules = prom.rules();
        let all: Vec<&serde_json::Value> = rules["data"]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .collect();
        assert_eq!(all.len(), 7, "{rules}");
        if all.iter().all(|r| r["health"] == "ok") {
            break;
        }
        assert!(Instant::now() < deadline, "rules not healthy: {rules}");
        std::thread::sleep(Duration::from_millis(500));
    }
    // The Go 1.23 server (Kyber draft only) and a Go 1.24 client (ML-KEM
    // only) share no PQ group: the silent-downgrade alert is pending (its
    // `for:` is 10m).
    let pending = prom.wait_for("ALERTS{alertname=\"PqreadySilentDowngrade\"}", wait, |a| {
        a["data"]["result"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    });
    assert!(pending.to_string().contains("pending"), "{pending}");
}

#[test]
fn idle_and_half_sent_requests_do_not_block_scrapes() {
    let exporter = Exporter::start(&["--allow", "127.0.0.1/32"]);
    // 300 clients that connect and send half a request line, then nothing.
    let stalled: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut s = TcpStream::connect(exporter.addr).unwrap();
            s.write_all(b"GET /metr").unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    assert_eq!(exporter.get("/healthz").status, 200);
    assert_eq!(exporter.get("/metrics").status, 200);
    // Scrapes stuck behind the stalled clients would wait out the exporter's
    // 10 s header timeout at least; 8 s tells that apart with room for a
    // loaded machine (2 s did not leave much).
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    // A request head over the limit is refused, not buffered: the same
    // path with a short query is served.
    assert_eq!(exporter.get("/healthz?pad=a").status, 200);
    let huge = format!("/healthz?pad={}", "a".repeat(64 * 1024));
    let a = exporter.get(&huge);
    assert!(
        a.status == 431 || a.status == 0,
        "an oversized request head got {}",
        a.status
    );
    assert_eq!(exporter.get("/healthz").status, 200);
    drop(stalled);
}

/// A cluster mid-upgrade for the edge series: the test API server v1.33.2
/// (X25519MLKEM768), a kubelet v1.32.4 on a Go 1.23 `crypto/tls` server
/// (only the Kyber draft: a silent downgrade both ways), one v1.33.2 on
/// Go 1.24 (PQ), one v1.29.8 on Go 1.22 (no PQ at all: classical), and a
/// workload of unknown build. The peers live as long as it does.
pub(crate) struct EdgeCluster {
    pub server: TestApiServer,
    pub config: std::path::PathBuf,
    pub old: SocketAddr,
    pub classical: SocketAddr,
    _peers: Vec<peers::Peer>,
    _dir: tempfile::TempDir,
}

/// The peers [`edge_cluster`] needs.
pub(crate) const EDGE_PEERS: [&str; 3] = ["goserver-1.22", "goserver-1.23", "goserver-1.24"];

pub(crate) fn edge_cluster() -> EdgeCluster {
    let old = peers::go_server("1.23");
    let new = peers::go_server("1.24");
    let classical = peers::go_server("1.22");
    let server = TestApiServer::start(
        Cluster::new()
            .version("v1.33.2", "go1.24.4")
            .node_version("old-1", old.addr, "v1.32.4")
            .node_version("new-1", new.addr, "v1.33.2")
            .node_version("mid-1", classical.addr, "v1.29.8")
            .workload(
                "deployments",
                "shop",
                "cart",
                &[("cart", "ghcr.io/example/cart:2.1")],
                true,
            ),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    EdgeCluster {
        server,
        config,
        old: old.addr,
        classical: classical.addr,
        _peers: vec![old, new, classical],
        _dir: dir,
    }
}

/// The labels of an exposition line (`name{a="x",b="y"} 1`), in order;
/// the values here hold no escaped quote.
pub(crate) fn labels_of(line: &str) -> Vec<(String, String)> {
    let inner = line
        .split_once('{')
        .and_then(|(_, rest)| rest.rsplit_once('}'))
        .map(|(inner, _)| inner)
        .unwrap_or("");
    let mut out = Vec::new();
    let mut rest = inner;
    while let Some((key, after)) = rest.split_once("=\"") {
        let end = after.find('"').expect("a closing quote");
        out.push((key.to_string(), after[..end].to_string()));
        rest = after[end + 1..].trim_start_matches(',');
    }
    out
}

/// Every `pqready_edge_standing` series at 1, as (client_kind, client,
/// server_category, server, group, standing).
fn edges_at_one(text: &str) -> std::collections::BTreeSet<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with("pqready_edge_standing{") && l.ends_with(" 1"))
        .map(|l| labels_of(l).into_iter().map(|(_, v)| v).collect())
        .collect()
}

#[test]
fn cluster_mode_exports_each_edge_as_pqready_cluster_judges_it() {
    let mut needs = EDGE_PEERS.to_vec();
    needs.push("promtool");
    if !peers::require(&needs) {
        return;
    }
    let cluster = edge_cluster();
    let config = cluster.config.to_str().unwrap();
    let exporter = Exporter::start(&["--cluster", "--kubeconfig", config]);
    exporter.wait_ready(READY);
    let text = exporter.get("/metrics").body;
    prometheus::check_metrics(&text).unwrap_or_else(|e| panic!("promtool: {e}\n{text}"));
    for place in [&text, &exporter.log()] {
        assert!(!place.contains(TOKEN), "the token leaked");
    }

    // The same edges as `pqready cluster`, given no kubectl on its PATH
    // (the exporter replays none).
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(["cluster", "--kubeconfig", config, "-o", "json"])
        .env("PATH", empty.path())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let edges = doc["edges"].as_array().unwrap();
    let expected: std::collections::BTreeSet<Vec<String>> = edges
        .iter()
        .map(|e| {
            [
                &e["client"]["kind"],
                &e["client"]["name"],
                &e["server"]["category"],
                &e["server"]["name"],
                &e["negotiated_group"],
                &e["standing"],
            ]
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect()
        })
        .collect();
    // 4 clients of the API server (3 kubelets, the workload), the API
    // server to 3 kubelets.
    assert_eq!(edges.len(), 7, "{:#}", doc["edges"]);
    assert_eq!(edges_at_one(&text), expected, "{text}");
    // A state set: each edge has all seven standings, one of them at 1.
    let series = text
        .lines()
        .filter(|l| l.starts_with("pqready_edge_standing{"))
        .count();
    assert_eq!(series, 7 * edges.len(), "{text}");
    let row = |kind: &str, client: &str, category: &str, server: &str, group: &str, standing| {
        vec![kind, client, category, server, group, standing]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let at_one = edges_at_one(&text);
    for want in [
        // Go 1.23 offers only the Kyber draft, the API server only ML-KEM.
        row(
            "kubelet",
            "old-1",
            "apiserver",
            "kube-apiserver",
            "x25519",
            "classical",
        ),
        row(
            "kube-apiserver",
            "kube-apiserver",
            "kubelet",
            "old-1",
            "x25519",
            "classical",
        ),
        row(
            "kubelet",
            "new-1",
            "apiserver",
            "kube-apiserver",
            "X25519MLKEM768",
            "pq",
        ),
        row(
            "kubelet",
            "mid-1",
            "apiserver",
            "kube-apiserver",
            "x25519",
            "classical",
        ),
        // Never guessed: no group, standing unknown.
        row(
            "workload",
            "shop/cart",
            "apiserver",
            "kube-apiserver",
            "",
            "unknown",
        ),
    ] {
        assert!(at_one.contains(&want), "no {want:?} in {at_one:#?}");
    }
    let line = series_line(
        &text,
        "pqready_edge_standing",
        "client_kind=\"kubelet\",client=\"old-1\"",
    );
    assert_eq!(
        labels_of(line)
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>(),
        [
            "client_kind",
            "client",
            "server_category",
            "server",
            "group",
            "standing"
        ]
    );

    // Edge findings count for their server's endpoint, as severities the
    // cluster document gives them.
    let api = format!(
        "target=\"{}\",category=\"apiserver\",component=\"kube-apiserver\"",
        cluster.server.addr()
    );
    let findings = |labels: &str, kind: &str, severity: &str| {
        sample(
            &text,
            "pqready_findings",
            &format!("{labels},kind=\"{kind}\",severity=\"{severity}\""),
        )
    };
    assert_eq!(
        findings(&api, "silent-downgrade-edge", "high"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        findings(&api, "classical-edge", "high"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        findings(&api, "unknown-client-build", "info"),
        Some(1.0),
        "{text}"
    );
    let old = format!(
        "target=\"{}\",category=\"kubelet\",component=\"old-1\"",
        cluster.old
    );
    assert_eq!(
        findings(&old, "silent-downgrade-edge", "high"),
        Some(1.0),
        "{text}"
    );
    let mid = format!(
        "target=\"{}\",category=\"kubelet\",component=\"mid-1\"",
        cluster.classical
    );
    // The API server's exec/log streams to a kubelet: medium.
    assert_eq!(
        findings(&mid, "classical-edge", "medium"),
        Some(1.0),
        "{text}"
    );
    // Every edge finding of the document is counted once.
    let edge_kinds = [
        "silent-downgrade-edge",
        "classical-edge",
        "unknown-client-build",
    ];
    let counted: f64 = text
        .lines()
        .filter(|l| l.starts_with("pqready_findings{"))
        .filter(|l| {
            labels_of(l)
                .iter()
                .any(|(k, v)| k == "kind" && edge_kinds.contains(&v.as_str()))
        })
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
        .sum();
    let in_doc = edges
        .iter()
        .map(|e| e["findings"].as_array().unwrap().len())
        .sum::<usize>();
    assert_eq!(counted, in_doc as f64, "{text}");
    assert_eq!(in_doc, 5, "{:#}", doc["edges"]);
}

#[test]
fn probe_answers_from_a_fresh_scheduled_scan_without_probing_again() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let server = peers::s_server(&[]);
    let proxy = CountingProxy::start(server.addr);
    let target = proxy.addr.to_string();
    let exporter = Exporter::start(&[
        "--target",
        &target,
        "--interval",
        "1h",
        "--allow",
        "127.0.0.1/32",
        "--min-reprobe-interval",
        "1h",
    ]);
    exporter.wait_ready(READY);
    let scanned = proxy.accepted.load(Ordering::SeqCst);
    assert!(scanned > 0, "the scheduled scan connected");
    // Same target, same (default) checks and clients: the scan's result.
    let a = exporter.get(&format!("/probe?target={target}"));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        sample(&a.body, "probe_success", ""),
        Some(1.0),
        "{}",
        a.body
    );
    assert_eq!(
        sample(&a.body, "pqready_connections", ""),
        exporter.metric("pqready_connections", &format!("target=\"{target}\"")),
        "the scan's own result: {}",
        a.body
    );
    assert_eq!(
        proxy.accepted.load(Ordering::SeqCst),
        scanned,
        "no new connection"
    );
    assert_eq!(
        exporter.metric("pqready_exporter_probe_requests_total", "result=\"scan\""),
        Some(1.0)
    );
    assert_eq!(
        exporter.metric("pqready_exporter_probes_total", "source=\"probe\""),
        Some(0.0)
    );
    // Other checks ask another question: a probe of its own.
    let a = exporter.get(&format!("/probe?target={target}&checks=groups"));
    assert_eq!(
        sample(&a.body, "probe_success", ""),
        Some(1.0),
        "{}",
        a.body
    );
    assert!(proxy.accepted.load(Ordering::SeqCst) > scanned);
    assert_eq!(
        exporter.metric("pqready_exporter_probe_requests_total", "result=\"probed\""),
        Some(1.0)
    );
}

#[test]
fn three_replicas_scan_each_target_once_as_a_real_prometheus_sees_them() {
    if !peers::require(&["prometheus"]) {
        return;
    }
    // Twelve scheduled targets that refuse at once: each is one endpoint
    // with its standing, whichever replica scans it.
    let refusing: Vec<peers::RefusingPort> = (0..12).map(|_| peers::RefusingPort::new()).collect();
    let targets: Vec<String> = refusing.iter().map(|p| p.addr.to_string()).collect();
    let replicas: Vec<Exporter> = (0..3)
        .map(|i| {
            let shard = format!("{i}/3");
            let mut args = vec!["--interval", "1h", "--timeout", "2s", "--shard", &shard];
            for t in &targets {
                args.extend(["--target", t.as_str()]);
            }
            let e = Exporter::start(&args);
            e.wait_ready(READY);
            e
        })
        .collect();
    // Each replica took its own share, and the shares add up to the list.
    let shares: Vec<f64> = replicas
        .iter()
        .enumerate()
        .map(|(i, e)| {
            assert_eq!(
                e.metric(
                    "pqready_exporter_shard",
                    &format!("index=\"{i}\",count=\"3\"")
                ),
                Some(1.0)
            );
            e.metric("pqready_exporter_targets", "").unwrap()
        })
        .collect();
    assert_eq!(shares.iter().sum::<f64>(), 12.0, "{shares:?}");
    let scrape = format!(
        "- job_name: pqready\n  static_configs:\n    - targets: [{}]\n",
        replicas
            .iter()
            .map(|e| format!("\"{}\"", e.addr))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let prom = support::prometheus::start(&scrape, &[]);
    prom.wait_for(
        "count(up{job=\"pqready\"} == 1)",
        Duration::from_secs(60),
        |a| support::prometheus::values(a) == ["3"],
    );
    // Every target once, over all three replicas' pages.
    let answer = prom.wait_for(
        "count by (target) (pqready_standing{job=\"pqready\"} == 1)",
        Duration::from_secs(60),
        |a| {
            a["data"]["result"]
                .as_array()
                .is_some_and(|r| r.len() == 12)
        },
    );
    let mut seen: Vec<String> = answer["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["value"][1], "1", "scanned by more than one replica: {s}");
            s["metric"]["target"].as_str().unwrap().to_string()
        })
        .collect();
    seen.sort();
    let mut want = targets.clone();
    want.sort();
    assert_eq!(seen, want);
}
