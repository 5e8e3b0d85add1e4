//! Issue 23 §3: QUIC. `probe quic://HOST:PORT` (and `--quic`) sends its
//! ClientHellos in QUIC v1 Initials over UDP and reads the server's
//! Initials: groups, the server's order and choice, and whether a
//! post-quantum hello spanning two Initials is answered. The `handshake`
//! and `certificates` checks complete real QUIC handshakes (quinn with the
//! TCP path's rustls client): their group is the one the Initial probes
//! and the server's own evidence name, their chain the certificate the
//! server was given.
//!
//! Real peers: Debian's Caddy 2.11 (quic-go; classical as shipped, PQ with
//! GODEBUG=tlsmlkem=1), nginx with OpenSSL 3.5's QUIC (`listen … quic`,
//! also with `quic_retry on`), and Debian's quic-go 0.59 itself in a small
//! HTTP/3 server built with Go 1.25 (tests/peers/quicgoserver; PQ by
//! default, classical with GODEBUG=tlsmlkem=0). Each negotiated group is
//! confirmed by a real QUIC client: OpenSSL 3.5's `s_client -quic` (the
//! ServerHello it read), and for nginx and quic-go also by the server
//! itself, `$ssl_curve` or crypto/tls's CurveID served to trixie's curl over
//! HTTP/3; quic-go also logs the group of each of pqready's connections. Hostile loopback UDP
//! servers: one that never answers, one that answers garbage, one whose
//! Initial is cut short, one that only speaks another QUIC version.

use crate::support;

use pqready::scan::scan_one;
use pqready::wire::quic::{put_varint, seal_initial, InitialKeys};
use serde_json::Value;
use std::net::SocketAddr;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::command::run;
use support::peers;
use tokio::net::UdpSocket;

/// `pqready probe quic://ADDR -o json` (a generous per-step timeout for loaded machines).
fn probe(addr: SocketAddr, args: &[&str]) -> Value {
    let target = format!("quic://{addr}");
    let mut all = vec!["probe", &target, "--timeout", "10s", "-o", "json"];
    all.extend_from_slice(args);
    let out = run(&all);
    document(&out)
}

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

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn variant<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["hello_tolerance"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no {name} variant: {doc}"))
}

/// The group OpenSSL 3.5's own QUIC client (`s_client -quic -alpn h3`,
/// offering X25519MLKEM768 and x25519 key shares, as pqready's
/// `quic-two-initials` does) reads in the server's ServerHello, from its
/// `-trace`: the codepoint.
pub(crate) fn s_client_quic_group(addr: SocketAddr) -> u16 {
    let out = Command::new(peers::bin("openssl"))
        .args(["s_client", "-quic", "-alpn", "h3", "-trace", "-connect"])
        .arg(addr.to_string())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let hello = text
        .find("ServerHello, Length")
        .unwrap_or_else(|| panic!("no ServerHello in s_client's trace: {text}"));
    let after = &text[hello..];
    let share = &after[after.find("key_share(51)").expect("a key_share")..];
    // "NamedGroup: X25519MLKEM768 (4588)"
    let line = share.lines().find(|l| l.contains("NamedGroup:")).unwrap();
    let code = line.rsplit('(').next().unwrap().trim_end_matches(')');
    code.trim().parse().unwrap()
}

/// The body trixie's curl gets over HTTP/3 only.
pub(crate) fn curl_h3(addr: SocketAddr) -> String {
    let out = Command::new(peers::bin("curl"))
        .args(["-s", "--http3-only", "-k", "--max-time", "10"])
        .arg(format!("https://{addr}/"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl over HTTP/3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The QUIC `handshake` check completed over QUIC with `group` (no
/// HelloRetryRequest), the group the Initial probe's PQ-first
/// `quic-two-initials` hello got, and its chain is the certificate in
/// `cert` (PEM), byte for byte; the `certificates` check saw it too.
fn assert_quic_handshake(doc: &Value, group: &str, cert: &std::path::Path) {
    let hs = &doc["handshake"];
    assert_eq!(hs["over_quic"], true, "{hs}");
    assert_eq!(hs["error"], Value::Null, "{hs}");
    assert_eq!(hs["negotiated_group"], group, "{hs}");
    assert_eq!(hs["hello_retry"], false, "{hs}");
    assert_eq!(hs["version"], "TLSv1.3", "{hs}");
    assert_eq!(
        hs["negotiated_group"],
        variant(doc, "quic-two-initials")["negotiated_group"]
    );
    let pem = pem::parse(std::fs::read(cert).unwrap()).unwrap();
    let der = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pem.contents());
    assert_eq!(strings(&hs["certificate_chain"]), [der], "{hs}");
    let fingerprint = pqready::pki::hex_lower(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, pem.contents()).as_ref(),
    );
    let classical = doc["authentication"]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "classical")
        .unwrap();
    assert_eq!(classical["completed"], true, "{classical}");
    assert_eq!(strings(&classical["chain"]), [fingerprint], "{classical}");
}

pub(crate) fn codepoint(name: &Value) -> u16 {
    let name = name.as_str().unwrap();
    pqready::wire::GROUPS
        .iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("unknown group {name}"))
        .group
        .0
}

#[test]
fn caddy_over_quic_as_debian_builds_it_and_with_tlsmlkem_on() {
    if !peers::require(&["caddy", "openssl"]) {
        return;
    }
    let classical = peers::caddy(&[]);
    let doc = probe(classical.addr, &[]);
    assert_eq!(doc["protocol"], "quic", "{doc}");
    assert_eq!(doc["target"], format!("quic://{}", classical.addr));
    assert_eq!(doc["verdict"]["status"], "classical", "{doc}");
    assert_eq!(
        strings(&doc["groups"]["supported"]),
        ["x25519", "secp256r1"]
    );
    // The PQ-first offer (shares for X25519MLKEM768 and x25519) spans two
    // Initials; Caddy answers it, with x25519.
    let two = variant(&doc, "quic-two-initials");
    assert_eq!(two["outcome"], "ok", "{two}");
    assert_eq!(two["negotiated_group"], "x25519", "{two}");
    assert!(two["detail"]
        .as_str()
        .unwrap()
        .contains("in 2 Initial packets"));
    assert_eq!(doc["hello_tolerance"]["verdict"], "tolerant");
    // Every check but `versions` and `clients` (TLS 1.3 only; TCP
    // profiles) runs over QUIC, and completes.
    for check in doc["checks"].as_array().unwrap() {
        let id = check["id"].as_str().unwrap();
        let status = check["status"].as_str().unwrap();
        match id {
            "versions" | "clients" => assert_eq!(status, "not-run", "{check}"),
            _ => assert_eq!(status, "completed", "{check}"),
        }
    }
    // The full QUIC handshake gets what the Initial probe got for the
    // same PQ-first offer, with the certificate Caddy was given.
    assert_quic_handshake(&doc, "x25519", &classical.file("server.crt"));
    assert_eq!(doc["authentication"]["classical"], true, "{doc}");
    assert_eq!(doc["authentication"]["mldsa"], false, "{doc}");
    assert_eq!(doc["quic"]["retries"], 0);
    assert_eq!(
        s_client_quic_group(classical.addr),
        codepoint(&two["negotiated_group"]),
        "OpenSSL's QUIC client gets the same group"
    );

    let pq = peers::caddy(&[("GODEBUG", "tlsmlkem=1")]);
    let doc = probe(pq.addr, &[]);
    assert_eq!(doc["verdict"]["status"], "pq", "{doc}");
    assert_eq!(
        strings(&doc["groups"]["supported"]),
        ["X25519MLKEM768", "x25519", "secp256r1"]
    );
    let two = variant(&doc, "quic-two-initials");
    assert_eq!(two["negotiated_group"], "X25519MLKEM768", "{two}");
    assert_eq!(s_client_quic_group(pq.addr), 0x11ec);
    assert_quic_handshake(&doc, "X25519MLKEM768", &pq.file("server.crt"));
    crate::schema::assert_valid("probe-target", "a QUIC probe", std::slice::from_ref(&doc));
}

pub(crate) const NGINX_QUIC: &str = "daemon off; master_process off; worker_processes 1;
pid {dir}/nginx.pid; error_log {dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path {dir}; proxy_temp_path {dir}; fastcgi_temp_path {dir};
  uwsgi_temp_path {dir}; scgi_temp_path {dir};
  server {
    listen 127.0.0.1:{port} ssl;
    listen 127.0.0.1:{port} quic;
    ssl_certificate {cert}; ssl_certificate_key {key};
    RETRY
    location / { return 200 \"$ssl_curve\\n\"; }
  }
}
";

#[test]
fn nginx_over_quic_with_and_without_retry() {
    if !peers::require(&["nginx", "curl", "openssl"]) {
        return;
    }
    let plain = peers::nginx_with(peers::Setup::new(), &NGINX_QUIC.replace("RETRY", ""));
    let doc = probe(plain.addr, &[]);
    assert_eq!(doc["verdict"]["status"], "pq", "{doc}");
    let supported = strings(&doc["groups"]["supported"]);
    assert_eq!(supported[0], "X25519MLKEM768", "{doc}");
    assert!(supported.contains(&"x25519".to_string()), "{doc}");
    assert_eq!(doc["quic"]["retries"], 0);
    assert_eq!(
        variant(&doc, "quic-two-initials")["negotiated_group"],
        "X25519MLKEM768"
    );
    // nginx's own view ($ssl_curve) of a real HTTP/3 client's connection.
    assert_eq!(curl_h3(plain.addr), "0x11ec");
    assert_eq!(s_client_quic_group(plain.addr), 0x11ec);
    // The full QUIC handshake: the same group, nginx's certificate.
    assert_quic_handshake(&doc, "X25519MLKEM768", &plain.file("cert.pem"));
    assert_eq!(doc["handshake"]["negotiated_group"], supported[0].as_str());
    // The same groups as over TCP: one TLS stack behind both listeners.
    let tcp = run(&[
        "probe",
        &plain.addr.to_string(),
        "--timeout",
        "10s",
        "--only",
        "groups",
        "-o",
        "json",
    ]);
    assert_eq!(
        document(&tcp)["groups"]["supported"],
        doc["groups"]["supported"]
    );

    // With quic_retry on, every connection attempt is sent a Retry first:
    // the probe resends with the token and gets the same answers.
    let retry = peers::nginx_with(
        peers::Setup::new(),
        &NGINX_QUIC.replace("RETRY", "quic_retry on;"),
    );
    let with_retry = probe(retry.addr, &[]);
    assert_eq!(
        with_retry["groups"]["supported"], doc["groups"]["supported"],
        "{with_retry}"
    );
    assert_eq!(with_retry["quic"]["retries"], with_retry["connections"]);
    assert_eq!(
        variant(&with_retry, "quic-two-initials")["outcome"],
        "ok",
        "{with_retry}"
    );
    // quinn follows the Retry too: the handshakes complete, each after one.
    assert_quic_handshake(&with_retry, "X25519MLKEM768", &retry.file("cert.pem"));
}

/// nginx limited to one group by `ssl_ecdh_curve`, served over QUIC.
fn nginx_quic_with_curve(curve: &str) -> peers::Peer {
    peers::nginx_with(
        peers::Setup::new(),
        &NGINX_QUIC.replace("RETRY", &format!("ssl_ecdh_curve {curve};")),
    )
}

#[test]
fn a_classical_quic_server_gives_the_full_handshake_a_classical_group() {
    if !peers::require(&["nginx", "curl"]) {
        return;
    }
    let peer = nginx_quic_with_curve("X25519");
    let doc = probe(peer.addr, &[]);
    assert_eq!(doc["verdict"]["status"], "classical", "{doc}");
    assert_eq!(strings(&doc["groups"]["supported"]), ["x25519"], "{doc}");
    // The X25519MLKEM768 share is declined; the x25519 one sent beside it is taken.
    assert_quic_handshake(&doc, "x25519", &peer.file("cert.pem"));
    // nginx names the group as configured.
    assert_eq!(curl_h3(peer.addr), "X25519", "nginx's own $ssl_curve");
}

#[test]
fn a_hello_retry_over_quic_is_seen_by_the_full_handshake() {
    if !peers::require(&["nginx", "curl"]) {
        return;
    }
    // No share rustls sends first (X25519MLKEM768, x25519) is acceptable:
    // the server asks for secp384r1 with a HelloRetryRequest.
    let peer = nginx_quic_with_curve("secp384r1");
    let doc = probe(peer.addr, &["--only", "handshake"]);
    let hs = &doc["handshake"];
    assert_eq!(hs["over_quic"], true, "{hs}");
    assert_eq!(hs["negotiated_group"], "secp384r1", "{hs}");
    assert_eq!(hs["hello_retry"], true, "{hs}");
    assert_eq!(doc["connections"], 1, "{doc}");
    assert_eq!(curl_h3(peer.addr), "secp384r1", "nginx's own $ssl_curve");
}

// ---- hostile UDP servers -------------------------------------------------

const TIMEOUT: Duration = Duration::from_millis(600);

async fn scan_quic(addr: SocketAddr) -> pqready::report::TargetReport {
    let mut target = support::loopback::target(addr, None);
    target.protocol = pqready::vocab::Protocol::Quic;
    let config = support::loopback::config(TIMEOUT);
    let started = Instant::now();
    let report = scan_one(&target, &config).await;
    // The first exchange fails the target: one timeout, plus scheduling slack.
    assert!(
        started.elapsed() < TIMEOUT * 4,
        "probe took {:?}",
        started.elapsed()
    );
    report
}

/// A UDP server that hands each datagram to `answer` and sends back what it returns.
async fn udp_server(
    answer: fn(&[u8]) -> Vec<Vec<u8>>,
) -> (SocketAddr, tokio::task::JoinHandle<u32>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut seen = 0;
        let mut buf = vec![0u8; 65_536];
        while let Ok(Ok((n, from))) =
            tokio::time::timeout(Duration::from_secs(5), socket.recv_from(&mut buf)).await
        {
            seen += 1;
            for reply in answer(&buf[..n]) {
                let _ = socket.send_to(&reply, from).await;
            }
        }
        seen
    });
    (addr, task)
}

fn error(r: &pqready::report::TargetReport) -> (String, String) {
    (
        r.error_kind.map_or("none", |k| k.name()).to_string(),
        r.error.clone().unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_udp_port_that_never_answers_times_out_after_bounded_resends() {
    let (addr, task) = udp_server(|_| Vec::new()).await;
    let r = scan_quic(addr).await;
    assert_eq!(
        error(&r),
        (
            "timeout".into(),
            "timed out during the QUIC Initial exchange".into()
        )
    );
    assert_eq!(r.observed.connections, 1);
    let doc = serde_json::to_value(&r).unwrap();
    crate::schema::assert_valid("probe-target", "a failed QUIC probe", &[doc]);
    // The empty-key-share hello fits one Initial: sent once, resent at most twice.
    let quic = r
        .observed
        .quic
        .expect("a failed QUIC target keeps its counts");
    assert_eq!(quic.datagrams_received, 0);
    assert!((1..=3).contains(&quic.datagrams_sent), "{quic:?}");
    task.abort();
}

#[tokio::test]
async fn a_full_quic_handshake_to_a_silent_port_times_out_within_the_bound() {
    let (addr, task) = udp_server(|_| Vec::new()).await;
    let mut target = support::loopback::target(addr, None);
    target.protocol = pqready::vocab::Protocol::Quic;
    let mut config = support::loopback::config(TIMEOUT);
    config.checks = pqready::probe::checks::CheckSet::select(&["handshake".into()], &[]).unwrap();
    let started = Instant::now();
    let r = scan_one(&target, &config).await;
    assert!(
        started.elapsed() < TIMEOUT * 4,
        "probe took {:?}",
        started.elapsed()
    );
    assert_eq!(
        error(&r),
        (
            "timeout".into(),
            "timed out during the QUIC handshake".into()
        )
    );
    assert_eq!(r.observed.connections, 1);
    let quic = r
        .observed
        .quic
        .expect("a failed QUIC target keeps its counts");
    assert_eq!(quic.datagrams_received, 0);
    assert!(quic.datagrams_sent >= 1, "{quic:?}");
    // The server saw quinn's Initial(s): the handshake was really attempted.
    task.abort();
}

#[tokio::test]
async fn a_closed_udp_port_is_refused() {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    drop(socket);
    let r = scan_quic(addr).await;
    assert_eq!(error(&r).0, "refused", "{:?}", error(&r));
}

#[tokio::test]
async fn garbage_answers_are_not_quic() {
    let (addr, _task) = udp_server(|_| vec![b"HELLO, I AM NOT QUIC".to_vec()]).await;
    let r = scan_quic(addr).await;
    let (kind, message) = error(&r);
    assert_eq!(kind, "not-tls", "{message}");
    assert!(
        message.contains("a 20-byte datagram that is not a QUIC v1 answer")
            && message.contains("48 45 4c 4c 4f"),
        "{message}"
    );
}

/// Reads a client Initial's header far enough to answer it: (DCID, SCID).
fn client_ids(datagram: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let dlen = datagram[5] as usize;
    let dcid = datagram[6..6 + dlen].to_vec();
    let slen = datagram[6 + dlen] as usize;
    let scid = datagram[7 + dlen..7 + dlen + slen].to_vec();
    (dcid, scid)
}

/// A server Initial to the client that sent `datagram`, carrying `crypto`
/// at offset 0 in a CRYPTO frame.
fn server_initial(datagram: &[u8], crypto: &[u8]) -> Vec<u8> {
    let (dcid, scid) = client_ids(datagram);
    let keys = InitialKeys::new(&dcid).unwrap();
    let mut payload = vec![0x06, 0x00];
    put_varint(&mut payload, crypto.len() as u64);
    payload.extend_from_slice(crypto);
    payload.resize(payload.len().max(40), 0);
    seal_initial(&keys.server, &scid, &[0x55; 8], &[], 0, &payload).unwrap()
}

/// The first 60 bytes of a ServerHello: the message header promises 90.
const HALF_SERVER_HELLO: &[u8] = &[
    2, 0, 0, 90, 3, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 0, 0x13, 0x01, 0, 0, 0x2e, 0, 0x2b, 0, 2, 3, 4, 0,
    0x33, 0, 0x24, 0, 0x1d, 0, 0x20, 1, 2,
];

#[tokio::test]
async fn a_server_initial_cut_short_in_the_datagram_is_reported() {
    let (addr, _task) = udp_server(|d| {
        let packet = server_initial(d, HALF_SERVER_HELLO);
        vec![packet[..packet.len() - 30].to_vec()]
    })
    .await;
    let r = scan_quic(addr).await;
    let (kind, message) = error(&r);
    assert_eq!(kind, "not-tls", "{message}");
    assert!(message.contains("truncated packet"), "{message}");
}

#[tokio::test]
async fn a_server_hello_cut_short_across_initials_is_reported() {
    let (addr, _task) = udp_server(|d| vec![server_initial(d, HALF_SERVER_HELLO)]).await;
    let r = scan_quic(addr).await;
    let (kind, message) = error(&r);
    assert_eq!(kind, "malformed", "{message}");
    assert!(
        message.contains("carried 60 bytes of its first handshake message, then stopped"),
        "{message}"
    );
}

#[tokio::test]
async fn a_server_of_another_quic_version_is_named() {
    let (addr, _task) = udp_server(|d| {
        let (dcid, scid) = client_ids(d);
        let mut vn = vec![0x80, 0, 0, 0, 0, scid.len() as u8];
        vn.extend_from_slice(&scid);
        vn.push(dcid.len() as u8);
        vn.extend_from_slice(&dcid);
        vn.extend_from_slice(&0x6b33_43cfu32.to_be_bytes());
        vec![vn]
    })
    .await;
    let r = scan_quic(addr).await;
    let (kind, message) = error(&r);
    assert_eq!(kind, "not-tls", "{message}");
    assert!(
        message.contains("does not speak QUIC v1 (it lists 0x6b3343cf)"),
        "{message}"
    );
}

// ---- quic-go -------------------------------------------------------------

/// Debian's quic-go serving HTTP/3 (tests/peers/quicgoserver, built by
/// scripts/install-peers with Go 1.25 from trixie-backports' sources) on a
/// loopback UDP port the OS picks; killed when dropped. Its stdout — the
/// `listening`, `connection` and `request` lines — goes to a file.
pub(crate) struct QuicGo {
    child: std::process::Child,
    pub(crate) addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for QuicGo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl QuicGo {
    pub(crate) fn start(env: &[(&str, &str)]) -> QuicGo {
        let setup = peers::Setup::new();
        let stdout = std::fs::File::create(setup.dir.path().join("stdout.log")).unwrap();
        let stderr = std::fs::File::create(setup.dir.path().join("stderr.log")).unwrap();
        let mut cmd = Command::new(peers::bin("quicgoserver"));
        cmd.args(["-listen", "127.0.0.1:0", "-cert"])
            .arg(&setup.cert)
            .arg("-key")
            .arg(&setup.key)
            .stdin(std::process::Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start quicgoserver");
        let deadline = Instant::now() + Duration::from_secs(60);
        let out = setup.dir.path().join("stdout.log");
        loop {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            if let Some(addr) = text
                .lines()
                .find_map(|l| l.strip_prefix("listening "))
                .and_then(|a| a.trim().parse().ok())
            {
                return QuicGo {
                    child,
                    addr,
                    dir: setup.dir,
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                let err = std::fs::read_to_string(setup.dir.path().join("stderr.log"));
                panic!("quicgoserver exited ({status}) before listening: {err:?}");
            }
            assert!(Instant::now() < deadline, "quicgoserver did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The `key=value` fields of each stdout line starting with `kind`.
    pub(crate) fn lines(&self, kind: &str) -> Vec<std::collections::HashMap<String, String>> {
        let text = std::fs::read_to_string(self.dir.path().join("stdout.log")).unwrap();
        text.lines()
            .filter_map(|l| l.strip_prefix(kind)?.strip_prefix(' '))
            .map(|rest| {
                rest.split_whitespace()
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }
}

fn hex_codepoint(field: &str) -> u16 {
    u16::from_str_radix(field.trim_start_matches("0x"), 16).unwrap()
}

/// What pqready says about quic-go, against what quic-go's crypto/tls
/// logged for the very connections pqready made: every connection the
/// server answered with a ServerHello is logged with its group and with how
/// many Initial packets the client's ClientHello took, so pqready's
/// `quic-two-initials` connection is the one logged with `initials=2`.
/// Returns the probe's document.
fn quic_go_agrees(server: &QuicGo, pq: bool) -> Value {
    let doc = probe(server.addr, &[]);
    assert_eq!(doc["protocol"], "quic", "{doc}");
    let supported = strings(&doc["groups"]["supported"]);
    let expected = if pq { "X25519MLKEM768" } else { "x25519" };
    assert_eq!(supported[0], expected, "{doc}");
    assert!(supported.contains(&"x25519".to_string()), "{doc}");
    assert_eq!(
        supported.contains(&"X25519MLKEM768".to_string()),
        pq,
        "{doc}"
    );
    let two = variant(&doc, "quic-two-initials");
    assert_eq!(two["outcome"], "ok", "{two}");
    assert_eq!(two["negotiated_group"], expected, "{two}");
    assert!(
        two["detail"]
            .as_str()
            .unwrap()
            .contains("in 2 Initial packets"),
        "{two}"
    );
    assert_eq!(doc["hello_tolerance"]["verdict"], "tolerant", "{doc}");
    assert_eq!(doc["quic"]["retries"], 0, "{doc}");

    let logged = server.lines("connection");
    assert!(!logged.is_empty(), "quic-go logged no connection");
    assert!(
        logged.len() as u64 <= doc["connections"].as_u64().unwrap(),
        "quic-go logged {} connections, pqready made {}",
        logged.len(),
        doc["connections"]
    );
    // pqready's own two-Initial hello, plus the full handshakes' (rustls's
    // PQ-first hello through quinn, which spans two Initials as well): all
    // PQ-first, so all get the same group.
    let split: Vec<_> = logged.iter().filter(|c| c["initials"] == "2").collect();
    assert!(
        split.len() as u64 >= doc["quic"]["split_hellos"].as_u64().unwrap(),
        "{logged:?}"
    );
    let handshake = &doc["handshake"];
    assert_eq!(handshake["over_quic"], true, "{handshake}");
    assert_eq!(handshake["negotiated_group"], expected, "{handshake}");
    for conn in &split {
        assert_eq!(
            hex_codepoint(&conn["codepoint"]),
            codepoint(&two["negotiated_group"]),
            "quic-go's group for pqready's two-Initial hello: {conn:?}"
        );
    }
    let control = codepoint(&variant(&doc, "control")["negotiated_group"]);
    assert!(
        logged
            .iter()
            .any(|c| c["initials"] == "1" && hex_codepoint(&c["codepoint"]) == control),
        "no one-Initial connection logged with the control's group: {logged:?}"
    );
    // The server never chose a group pqready does not list as supported.
    for conn in &logged {
        let code = hex_codepoint(&conn["codepoint"]);
        assert!(
            supported
                .iter()
                .any(|s| codepoint(&Value::from(s.as_str())) == code),
            "{conn:?} vs {supported:?}"
        );
        assert_eq!(conn["alpn"], "h3");
        assert_eq!(conn["version"], "0x0304");
    }
    doc
}

/// Debian's quic-go with Go 1.25's defaults: X25519MLKEM768 first, and a
/// PQ hello spanning two Initials answered. Confirmed by the server's own
/// log of pqready's connections and by trixie's curl over HTTP/3 (the
/// server answers each request with its connection's group).
#[test]
fn quic_go_over_http3_prefers_x25519mlkem768_as_it_logs() {
    if !peers::require(&["quicgoserver", "curl"]) {
        return;
    }
    let server = QuicGo::start(&[]);
    let doc = quic_go_agrees(&server, true);
    assert_eq!(doc["verdict"]["status"], "pq", "{doc}");
    assert_eq!(
        variant(&doc, "quic-two-initials")["negotiated_group"],
        "X25519MLKEM768"
    );
    assert_eq!(curl_h3(server.addr), "0x11ec");
    let requests = server.lines("request");
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["codepoint"], "0x11ec");
    assert_eq!(requests[0]["proto"], "HTTP/3.0");
    crate::schema::assert_valid(
        "probe-target",
        "a quic-go probe",
        std::slice::from_ref(&doc),
    );
}

/// The same server with GODEBUG=tlsmlkem=0, the switch operators flip:
/// classical, and the two-Initial hello still answered, with x25519.
#[test]
fn quic_go_with_tlsmlkem_off_is_classical_as_it_logs() {
    if !peers::require(&["quicgoserver", "curl"]) {
        return;
    }
    let server = QuicGo::start(&[("GODEBUG", "tlsmlkem=0")]);
    let doc = quic_go_agrees(&server, false);
    assert_eq!(doc["verdict"]["status"], "classical", "{doc}");
    assert_eq!(curl_h3(server.addr), "0x001d");
    assert_eq!(server.lines("request")[0]["codepoint"], "0x001d");
}
