//! `pqready observe --interface lo --exporter`: the real binary capturing
//! real Go handshakes on loopback and serving their counts on `/metrics`.
//! Root only (CAP_NET_RAW): skips like the peer tests, or fails under
//! PQREADY_REQUIRE_PEERS=1.

use crate::observe::{gated_proxy, KillOnDrop};
use crate::support::exporter::get;
use crate::support::peers::{bin, go_server, require};
use crate::support::prometheus;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Waits for "capturing on lo" and returns the address of the "listening
/// on" line; None (after saying why) when this host cannot capture.
fn wait_capturing(child: &mut Child, log: &Path) -> Option<SocketAddr> {
    let text = crate::observe::wait_capturing(child, log)?;
    let at = text.find("listening on http://").expect("a listening line");
    let rest = &text[at + "listening on http://".len()..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some(rest[..end].parse().expect("an address"))
}

/// The value of the one `name` series whose label text contains every
/// piece of `parts`, or None.
fn find(page: &str, name: &str, parts: &[&str]) -> Option<f64> {
    let mut hits = page
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| parts.iter().all(|p| l.contains(p)));
    let line = hits.next()?;
    assert!(hits.next().is_none(), "more than one {parts:?} in:\n{page}");
    line.rsplit(' ').next()?.parse().ok()
}

/// Scrapes until `done` holds of the page, for at most a generous minute.
fn poll(addr: SocketAddr, log: &Path, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = get(addr, "/metrics", &[]);
        assert_eq!(answer.status, 200, "{answer:?}");
        if done(&answer.body) {
            return answer.body;
        }
        assert!(
            Instant::now() < deadline,
            "not there after a minute:\n{}\n{}",
            answer.body,
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn observe_exporter_counts_live_handshakes_by_client_process_and_group() {
    if !require(&["goserver-1.24", "goclient-1.23", "goclient-1.24"]) {
        return;
    }
    let server = go_server("1.24");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("observe.log");
    // Each client's connection is held until its process was looked up
    // (observe.rs's gated proxy, which reads the `-v` log): a short-lived
    // client is attributed however slow the capture is.
    let (proxy, proxy_thread) = gated_proxy(server.addr, log.clone(), 3);
    let filter = format!("port {} or port {}", proxy.port(), server.addr.port());
    let mut observe = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_pqready"))
            .args(["-v", "observe", "--interface", "lo", "--filter", &filter])
            .args(["--exporter", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let Some(addr) = wait_capturing(&mut observe.0, &log) else {
        return;
    };
    assert_eq!(get(addr, "/readyz", &[]).status, 200);
    assert_eq!(get(addr, "/healthz", &[]).status, 200);
    assert_eq!(get(addr, "/nothing", &[]).status, 404);
    let server_label = format!("server=\"{proxy}\"");
    // go1.24 → go1.24 twice, go1.23 → go1.24 once (through the proxy).
    for version in ["1.24", "1.24", "1.23"] {
        let done = Command::new(bin(&format!("goclient-{version}")))
            .args(["-connect", &proxy.to_string()])
            .env_remove("GODEBUG")
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "goclient-{version}: {}",
            String::from_utf8_lossy(&done.stdout)
        );
    }
    proxy_thread.join().unwrap();
    let handshakes = "pqready_observed_handshakes_total";
    let client = |v: &str| format!("client=\"goclient-{v} go{v}.");
    let (c124, c123) = (client("1.24"), client("1.23"));
    // Three connections to the proxy and three from it to the server.
    let page = poll(addr, &log, |page| {
        crate::support::exporter::sample(page, "pqready_observed_connections_total", "")
            == Some(6.0)
    });
    assert_eq!(
        find(
            &page,
            handshakes,
            &[
                &c124,
                &server_label,
                "group=\"X25519MLKEM768\"",
                "version=\"TLS 1.3\"",
                "hello_retry=\"false\""
            ]
        ),
        Some(2.0),
        "{page}"
    );
    assert_eq!(
        find(
            &page,
            handshakes,
            &[
                &c123,
                &server_label,
                "group=\"x25519\"",
                "hello_retry=\"false\""
            ]
        ),
        Some(1.0),
        "{page}"
    );
    assert!(page.contains("# TYPE pqready_observed_handshakes_total counter\n"));
    assert_eq!(
        crate::support::exporter::sample(&page, "pqready_observed_flows_dropped_total", ""),
        Some(0.0),
        "{page}"
    );
    assert_eq!(
        crate::support::exporter::sample(&page, "pqready_observed_series_dropped_total", ""),
        Some(0.0)
    );
    assert!(
        crate::support::exporter::sample(&page, "pqready_observed_packets_total", "")
            .is_some_and(|n| n >= 6.0),
        "{page}"
    );
    // go1.23 offers only the Kyber draft, and gets x25519 from a server seen
    // with ML-KEM: assess's findings, counted by edge. Two edges raise each:
    // goclient-1.23 → the proxy, and the proxy (this test process, which
    // relays the same hellos) → the server.
    assert_eq!(
        find(&page, "pqready_findings", &["kind=\"observed-draft\""]),
        Some(2.0),
        "{page}"
    );
    assert_eq!(
        find(
            &page,
            "pqready_findings",
            &["kind=\"observed-silent-downgrade\""]
        ),
        Some(2.0),
        "{page}"
    );
    // promtool's lint (names, types, help) finds nothing to say.
    prometheus::check_metrics(&page).unwrap();
    // A real Prometheus scrapes it: the handshakes by group, per client.
    let prom = prometheus::start(
        &format!("- job_name: pqready-observe\n  static_configs:\n    - targets: [\"{addr}\"]\n"),
        &[],
    );
    let by_group = prom.wait_for(
        &format!(
            "sum by (group) (pqready_observed_handshakes_total{{job=\"pqready-observe\",server=\"{proxy}\"}})"
        ),
        Duration::from_secs(60),
        |a| a["data"]["result"].as_array().is_some_and(|r| r.len() == 2),
    );
    let mut got: Vec<(String, String)> = by_group["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["metric"]["group"].as_str().unwrap().to_string(),
                s["value"][1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("X25519MLKEM768".to_string(), "2".to_string()),
            ("x25519".to_string(), "1".to_string())
        ],
        "{by_group}"
    );
    drop(prom);
    // SIGTERM ends the capture and the server, cleanly.
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(observe.0.id() as i32, libc::SIGTERM) };
    let status = observe.0.wait().unwrap();
    assert!(
        status.success(),
        "{status:?}\n{}",
        std::fs::read_to_string(&log).unwrap()
    );
}
