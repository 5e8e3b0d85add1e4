//! `pqready inspect` end to end, as a user runs it: the real binary on a
//! loopback port, real clients (kubectl 1.29/1.32/1.33, OpenSSL 3.0 and 3.5
//! `s_client`, curl, Go 1.22–1.27 clients) in terminate mode and, in forward
//! mode, in front of real servers (a Go 1.24 `crypto/tls` server and nginx).
//! Records are read back from the JSON Lines log and compared with exactly
//! what each client offers (its profile, proven by tests/it/client_profiles.rs).
//! Hostile clients are modelled by raw sockets, each named for what it models.

use pqready::catalog::profile::{self, share_len};
use pqready::wire::record::fragment;
use pqready::wire::{ClientHelloSpec, NamedGroup, ProtocolVersion};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::clients::{self, RealClient};
use support::inspector::Inspector;
use support::peers;

use crate::support;

fn names(groups: &[NamedGroup]) -> Vec<String> {
    groups.iter().map(|g| g.to_string()).collect()
}

/// Checks one record against the client that produced it.
fn assert_record(r: &Value, client: &RealClient) {
    let p = profile::find(&client.profile).unwrap();
    let who = &client.name;
    assert_eq!(r["error"], Value::Null, "{who}: {r}");
    let groups: Vec<String> = serde_json::from_value(r["groups"].clone()).unwrap();
    assert_eq!(groups, names(&p.groups), "{who}: groups");
    let shares: Vec<(String, usize)> = r["key_shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["group"].as_str().unwrap().to_string(),
                k["length"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    let expected: Vec<(String, usize)> = p
        .key_shares
        .iter()
        .map(|g| (g.to_string(), share_len(*g)))
        .collect();
    assert_eq!(shares, expected, "{who}: key shares");
    let verdict = if p.offers_standard_pq() {
        "pq"
    } else if p.offers_pq() {
        "draft-only"
    } else {
        "classical"
    };
    assert_eq!(r["verdict"], verdict, "{who}");
    let matched = r["profile_match"].as_str().unwrap();
    let equivalents: Vec<String> =
        serde_json::from_value(r["profile_equivalents"].clone()).unwrap();
    assert!(
        matched == client.profile || equivalents.contains(&client.profile),
        "{who}: matched {matched} {equivalents:?}"
    );
    assert_eq!(r["profile_match_exact"], true, "{who}");
    let len = r["client_hello_len"].as_u64().unwrap();
    // A post-quantum share makes the hello larger than one typical TCP segment.
    if p.offers_pq() {
        assert!(len > 1400, "{who}: {len}");
    } else {
        assert!((200..700).contains(&len), "{who}: {len}");
    }
    assert!(r["tcp_reads"].as_u64().unwrap() >= 1);
    assert_eq!(r["records"], 1, "{who}: these clients send one record");
    assert!(r["ja4"].as_str().unwrap().starts_with("t13"), "{who}");
    assert!(r["time"].as_str().unwrap().ends_with('Z'));
    assert!(r["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    for field in [
        "sni",
        "alpn",
        "versions",
        "signature_schemes",
        "cipher_suites",
    ] {
        assert!(r.get(field).is_some(), "{who}: missing {field}");
    }
}

fn clients_under_test() -> Vec<RealClient> {
    let mut list: Vec<RealClient> = ["1.29", "1.32", "1.33"]
        .iter()
        .map(|v| clients::kubectl(v))
        .collect();
    list.extend([clients::openssl30(), clients::curl(), clients::openssl35()]);
    list.extend(clients::GO_VERSIONS.iter().map(|v| clients::goclient(v)));
    list
}

#[test]
fn terminate_mode_records_every_real_client() {
    if !peers::require(&clients::needs(&clients_under_test())) {
        return;
    }
    let list = clients_under_test();
    let inspector = Inspector::start(&[], list.len());
    for (i, client) in list.iter().enumerate() {
        let run = client.run(inspector.addr);
        assert!(
            run.succeeded(),
            "{} failed against inspect: {}",
            client.name,
            run.output
        );
        // Records then follow the order of `list` (see wait_for_records).
        inspector.wait_for_records(i + 1);
    }
    let (records, summary, live) = inspector.finish();
    assert_eq!(records.len(), list.len(), "{live}");
    for (r, client) in records.iter().zip(&list) {
        assert_record(r, client);
        // rustls (every group, ML-KEM first) answers from the shares sent.
        let p = profile::find(&client.profile).unwrap();
        let group = if p.offers_standard_pq() {
            "X25519MLKEM768"
        } else {
            "x25519"
        };
        assert_eq!(r["negotiated_group"], group, "{}: {r}", client.name);
        assert_eq!(r["server_version"], "TLSv1.3", "{}: {r}", client.name);
        assert_eq!(r["hello_retry"], false, "{}: {r}", client.name);
        // The default certificate: every one of these clients completes.
        assert_eq!(r["cert_type"], "ecdsa-p256", "{}: {r}", client.name);
        assert_eq!(r["handshake_completed"], true, "{}: {r}", client.name);
        assert_eq!(r["handshake_error"], Value::Null, "{}: {r}", client.name);
        // rustls has no Kyber draft: a draft-only client's x25519 here is
        // pqready's limit, never the client's downgrade.
        assert_eq!(r["downgraded"], false, "{}: {r}", client.name);
        let lacks: Vec<String> = serde_json::from_value(r["inspector_lacks"].clone()).unwrap();
        let endpoint: Vec<String> = serde_json::from_value(r["inspector_groups"].clone()).unwrap();
        let expected: Vec<String> = p
            .groups
            .iter()
            .filter(|g| g.is_post_quantum() && !endpoint.contains(&g.to_string()))
            .map(|g| g.to_string())
            .collect();
        assert_eq!(lacks, expected, "{}: {r}", client.name);
        if p.offers_pq() && !p.offers_standard_pq() {
            assert_eq!(lacks, ["X25519Kyber768Draft00"], "{}: {r}", client.name);
        }
    }
    assert!(summary.contains("0 downgraded"), "{summary}");
    assert!(!live.contains("DOWNGRADED |"), "{live}");
    assert!(
        summary.contains(&format!("{} client connections", list.len())),
        "{summary}"
    );
    assert!(
        summary.contains("classical only") && summary.contains("only the obsolete Kyber draft"),
        "{summary}"
    );
    assert_eq!(
        live.lines().count(),
        list.len(),
        "one live line per client:\n{live}"
    );
}

/// The record of the client whose profile match is `id`.
fn by_profile<'a>(records: &'a [Value], id: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["profile_match"] == id)
        .unwrap_or_else(|| panic!("no record matching {id}: {records:?}"))
}

/// `servers` of a record as (server, negotiated group, downgraded).
fn outlook(r: &Value) -> Vec<(String, String, bool)> {
    r["servers"]
        .as_array()
        .unwrap_or_else(|| panic!("no servers: {r}"))
        .iter()
        .map(|o| {
            (
                o["server"].as_str().unwrap().to_string(),
                o["negotiated_group"]
                    .as_str()
                    .unwrap_or("fails")
                    .to_string(),
                o["downgraded"] == true,
            )
        })
        .collect()
}

/// Issue #20: terminate mode marked real kubectl 1.32 (Go 1.23, Kyber
/// draft) DOWNGRADED because pqready's own rustls endpoint has no Kyber
/// draft. Now the record says what the endpoint lacks, is not a downgrade,
/// and says what a server of each generation would give each client — a
/// downgrade only where the client is behind (the draft against Go 1.24+).
#[test]
fn terminate_mode_does_not_blame_clients_for_its_own_missing_kyber_draft() {
    if !peers::require(&["kubectl.1.32", "kubectl.1.33"]) {
        return;
    }
    let inspector = Inspector::start(&[], 2);
    for v in ["1.32", "1.33"] {
        let run = clients::kubectl(v).run(inspector.addr);
        assert!(
            run.output.contains("pqready inspect recorded"),
            "kubectl {v}: {}",
            run.output
        );
    }
    let (records, summary, live) = inspector.finish();
    assert_eq!(records.len(), 2, "{live}");
    let k132 = by_profile(&records, "go1.23");
    assert_eq!(k132["negotiated_group"], "x25519", "{k132}");
    assert_eq!(k132["downgraded"], false, "{k132}");
    assert_eq!(
        k132["inspector_lacks"],
        serde_json::json!(["X25519Kyber768Draft00"])
    );
    let s = |server: &str, group: &str, downgraded: bool| {
        (server.to_string(), group.to_string(), downgraded)
    };
    assert_eq!(
        outlook(k132),
        [
            s("go1.22", "x25519", false),
            s("go1.23", "X25519Kyber768Draft00", false),
            s("go1.24", "x25519", true),
            s("go1.25", "x25519", true),
            s("go1.26", "x25519", true),
            s("go1.27", "x25519", true),
            s("openssl3.5", "x25519", true),
        ]
    );
    let k133 = by_profile(&records, "go1.24");
    assert_eq!(k133["negotiated_group"], "X25519MLKEM768", "{k133}");
    assert_eq!(k133["downgraded"], false, "{k133}");
    assert_eq!(k133["inspector_lacks"], serde_json::json!([]));
    assert_eq!(
        outlook(k133),
        [
            s("go1.22", "x25519", false),
            // A draft-only server is behind, not the client.
            s("go1.23", "x25519", false),
            s("go1.24", "X25519MLKEM768", false),
            s("go1.25", "X25519MLKEM768", false),
            s("go1.26", "X25519MLKEM768", false),
            s("go1.27", "X25519MLKEM768", false),
            s("openssl3.5", "X25519MLKEM768", false),
        ]
    );
    let line132 = live
        .lines()
        .find(|l| l.contains("X25519Kyber768Draft00(1216)"))
        .unwrap();
    assert!(
        line132.contains("| negotiated x25519 (pqready's endpoint has no X25519Kyber768Draft00: its limit, not the client's downgrade)"),
        "{line132}"
    );
    assert!(
        line132.ends_with(
            "| servers: go1.22 x25519; go1.23 X25519Kyber768Draft00; go1.24-openssl3.5 x25519 DOWNGRADED"
        ),
        "{line132}"
    );
    assert!(summary.contains("0 downgraded"), "{summary}");
}

/// `inspect` names the kubectl releases a Go profile stands for, in the
/// live line and the summary (real kubectl 1.29 and 1.33).
#[test]
fn inspect_names_the_kubectl_releases_matching_a_go_profile() {
    if !peers::require(&["kubectl.1.29", "kubectl.1.33"]) {
        return;
    }
    let inspector = Inspector::start(&[], 2);
    for v in ["1.29", "1.33"] {
        let _ = clients::kubectl(v).run(inspector.addr);
    }
    let (records, summary, live) = inspector.finish();
    assert_eq!(records.len(), 2, "{live}");
    for label in [
        // 1.30 and 1.31 are Go 1.23 builds with tlskyber=0: Go 1.22's offer.
        "go1.22 = kubectl1.27,kubectl1.28,kubectl1.29,kubectl1.30,kubectl1.31",
        "go1.24 = kubectl1.33,kubectl1.34,kubectl1.35",
    ] {
        assert_eq!(
            live.matches(&format!(" {label} | groups")).count(),
            1,
            "{label}:\n{live}"
        );
        assert!(summary.contains(label), "{label}:\n{summary}");
    }
}

#[test]
fn terminate_mode_uses_the_given_certificate() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["inspect.test".into()]).unwrap();
    let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    std::fs::write(&c, cert.cert.pem()).unwrap();
    std::fs::write(&k, cert.signing_key.serialize_pem()).unwrap();
    let inspector = Inspector::start(
        &["--cert", c.to_str().unwrap(), "--key", k.to_str().unwrap()],
        1,
    );
    let out = Command::new(peers::bin("openssl"))
        .args([
            "s_client",
            "-connect",
            &inspector.addr.to_string(),
            "-servername",
            "inspect.test",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace('\n', "");
    let ours = cert.cert.pem().replace(['\r', '\n'], "");
    assert!(
        text.contains(&ours),
        "s_client did not receive the --cert certificate: {text}"
    );
    assert!(
        text.contains("Negotiated TLS1.3 group: X25519MLKEM768"),
        "{text}"
    );
    assert!(
        text.contains("Negotiated TLS1.3 group: X25519MLKEM768"),
        "{text}"
    );
    let (records, _, _) = inspector.finish();
    assert_eq!(records[0]["sni"], "inspect.test");
}

/// What the server must answer one client: the negotiated group and
/// whether that is a downgrade (ground truth: docs in tests/support and
/// PEERS.md, "Negotiated, client → server").
struct Expect {
    client: RealClient,
    group: &'static str,
    downgraded: bool,
}

fn expect(client: RealClient, group: &'static str, downgraded: bool) -> Expect {
    Expect {
        client,
        group,
        downgraded,
    }
}

/// Runs every client through `inspect --forward` in front of `upstream` and
/// checks each record: the offer, and the server's answer read off the wire.
fn forward_through(upstream: SocketAddr, list: &[Expect]) -> (String, String) {
    let inspector = Inspector::start(&["--forward", &upstream.to_string()], list.len());
    for (i, Expect { client, .. }) in list.iter().enumerate() {
        let run = client.run(inspector.addr);
        assert!(
            run.succeeded(),
            "{} failed through inspect --forward: {}",
            client.name,
            run.output
        );
        if client.name.starts_with("kubectl") {
            assert_eq!(
                run.last_line(),
                "ok",
                "{}: the upstream's answer must come through",
                client.name
            );
        }
        // Records then follow the order of `list` (see wait_for_records).
        inspector.wait_for_records(i + 1);
    }
    let (records, summary, live) = inspector.finish();
    assert_eq!(records.len(), list.len(), "one record per client:\n{live}");
    for (r, e) in records.iter().zip(list) {
        assert_record(r, &e.client);
        let who = &e.client.name;
        assert_eq!(r["negotiated_group"], e.group, "{who}: {r}");
        assert_eq!(r["downgraded"], e.downgraded, "{who}: {r}");
        assert_eq!(r["hello_retry"], false, "{who}: {r}");
        assert_eq!(r["server_version"], "TLSv1.3", "{who}: {r}");
    }
    let downgrades = list.iter().filter(|e| e.downgraded).count();
    assert!(
        summary.contains(&format!("{downgrades} downgraded")),
        "{summary}"
    );
    assert_eq!(
        live.matches("DOWNGRADED").count(),
        downgrades,
        "one marker per downgraded client:\n{live}"
    );
    (summary, live)
}

#[test]
fn forward_mode_in_front_of_a_go124_server() {
    let needs = [
        "goserver-1.24",
        "kubectl.1.33",
        "kubectl.1.32",
        "kubectl.1.29",
        "/usr/bin/curl",
        "/usr/bin/openssl",
        "openssl",
        "goclient-1.22",
        "goclient-1.24",
        "goclient-1.26",
    ];
    if !peers::require(&needs) {
        return;
    }
    let server = peers::go_server("1.24");
    let list = vec![
        expect(clients::kubectl("1.33"), "X25519MLKEM768", false),
        // Go 1.23's Kyber draft meets a server that dropped it: the silent downgrade.
        expect(clients::kubectl("1.32"), "x25519", true),
        expect(clients::kubectl("1.29"), "x25519", false),
        expect(clients::curl(), "x25519", false),
        expect(clients::openssl30(), "x25519", false),
        expect(clients::openssl35(), "X25519MLKEM768", false),
        expect(clients::goclient("1.22"), "x25519", false),
        expect(clients::goclient("1.24"), "X25519MLKEM768", false),
        expect(clients::goclient("1.26"), "X25519MLKEM768", false),
    ];
    let (summary, _) = forward_through(server.addr, &list);
    assert!(
        summary.contains("negotiated: x25519 5, X25519MLKEM768 4"),
        "{summary}"
    );
}

#[test]
fn forward_mode_in_front_of_a_go123_server() {
    let needs = [
        "goserver-1.23",
        "kubectl.1.32",
        "kubectl.1.33",
        "openssl",
        "/usr/bin/openssl",
        "goclient-1.22",
        "goclient-1.24",
    ];
    if !peers::require(&needs) {
        return;
    }
    let server = peers::go_server("1.23");
    let list = vec![
        expect(clients::kubectl("1.32"), "X25519Kyber768Draft00", false),
        // ML-KEM clients meet a server that only knows the draft.
        expect(clients::kubectl("1.33"), "x25519", true),
        expect(clients::openssl35(), "x25519", true),
        expect(clients::openssl30(), "x25519", false),
        expect(clients::goclient("1.22"), "x25519", false),
        expect(clients::goclient("1.24"), "x25519", true),
    ];
    forward_through(server.addr, &list);
}

#[test]
fn forward_mode_in_front_of_nginx() {
    let needs = [
        "nginx",
        "openssl",
        "kubectl.1.33",
        "kubectl.1.32",
        "/usr/bin/openssl",
        "goclient-1.22",
    ];
    if !peers::require(&needs) {
        return;
    }
    let server = peers::nginx();
    let list = vec![
        expect(clients::openssl35(), "X25519MLKEM768", false),
        expect(clients::kubectl("1.33"), "X25519MLKEM768", false),
        expect(clients::kubectl("1.32"), "x25519", true),
        expect(clients::openssl30(), "x25519", false),
        expect(clients::goclient("1.22"), "x25519", false),
    ];
    forward_through(server.addr, &list);
}

#[test]
fn forward_mode_reports_the_final_group_after_a_hello_retry_request() {
    if !peers::require(&["goserver-1.23", "openssl"]) {
        return;
    }
    // OpenSSL 3.5 told to list X25519MLKEM768 then x25519 sends one key share,
    // for X25519MLKEM768; a Go 1.23 server knows only x25519 of the two and
    // asks again with a HelloRetryRequest.
    let server = peers::go_server("1.23");
    let inspector = Inspector::start(&["--forward", &server.addr.to_string()], 1);
    let out = Command::new(peers::bin("openssl"))
        .args([
            "s_client",
            "-connect",
            &inspector.addr.to_string(),
            "-groups",
            "X25519MLKEM768:X25519",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Peer Temp Key: X25519"), "{text}");
    let (records, summary, live) = inspector.finish();
    assert_eq!(records.len(), 1, "{live}");
    let r = &records[0];
    assert_eq!(r["error"], Value::Null, "{r}");
    assert_eq!(r["key_shares"][0]["group"], "X25519MLKEM768", "{r}");
    assert_eq!(r["key_shares"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["hello_retry"], true, "{r}");
    assert_eq!(r["negotiated_group"], "x25519", "{r}");
    assert_eq!(r["server_version"], "TLSv1.3", "{r}");
    assert_eq!(r["downgraded"], true, "{r}");
    assert!(
        live.contains("| negotiated x25519 after HelloRetryRequest DOWNGRADED"),
        "{live}"
    );
    assert!(summary.contains("1 downgraded"), "{summary}");
}

/// Opens `n` TCP connections to `addr` from `source` (any 127.0.0.0/8
/// address) that send nothing, or one byte of a hello when `drip`.
fn idle_connections(addr: SocketAddr, source: [u8; 4], n: usize, drip: bool) -> Vec<TcpStream> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind((source, 0).into()).unwrap();
            let stream = socket.connect(addr).await.unwrap().into_std().unwrap();
            stream.set_nonblocking(false).unwrap();
            if drip {
                (&stream).write_all(&[22]).unwrap();
            }
            out.push(stream);
        }
        out
    })
}

#[test]
fn forward_mode_serves_real_clients_while_hundreds_of_connections_idle() {
    if !peers::require(&["goserver-1.24", "kubectl.1.33", "goclient-1.24"]) {
        return;
    }
    let server = peers::go_server("1.24");
    let list = [clients::kubectl("1.33"), clients::goclient("1.24")];
    let (idle, drip) = (200, 150);
    let inspector = Inspector::start(
        &["--forward", &server.addr.to_string()],
        list.len() + idle + drip,
    );
    // Idle and 1-byte-drip connections from other loopback addresses, below
    // the per-source limit, so every one of them is held open.
    let mut flood = idle_connections(inspector.addr, [127, 0, 0, 2], idle, false);
    flood.extend(idle_connections(inspector.addr, [127, 0, 0, 3], drip, true));
    for (i, client) in list.iter().enumerate() {
        let run = client.run(inspector.addr);
        assert!(run.succeeded(), "{} starved: {}", client.name, run.output);
        // Served records then follow the order of `list`.
        inspector.wait_for_matching(i + 1, |r| r["error"].is_null());
    }
    drop(flood);
    let (records, _, live) = inspector.finish();
    assert_eq!(records.len(), list.len() + idle + drip, "{live}");
    let served: Vec<&Value> = records.iter().filter(|r| r["error"].is_null()).collect();
    assert_eq!(served.len(), list.len(), "{live}");
    for (r, client) in served.iter().zip(&list) {
        assert_record(r, client);
        assert_eq!(r["negotiated_group"], "X25519MLKEM768", "{r}");
        assert_eq!(r["downgraded"], false, "{r}");
    }
}

#[test]
fn forward_mode_refuses_a_source_over_its_pending_limit_but_not_others() {
    if !peers::require(&["goserver-1.24", "goclient-1.24"]) {
        return;
    }
    let server = peers::go_server("1.24");
    let inspector = Inspector::start(
        &[
            "--forward",
            &server.addr.to_string(),
            "--max-pending-per-source",
            "5",
            "--hello-timeout",
            "20s",
        ],
        9,
    );
    let flood = idle_connections(inspector.addr, [127, 0, 0, 2], 8, false);
    let run = clients::goclient("1.24").run(inspector.addr);
    assert!(run.succeeded(), "{}", run.output);
    drop(flood);
    let (records, _, live) = inspector.finish();
    assert_eq!(records.len(), 9, "{live}");
    let refused = records
        .iter()
        .filter(|r| {
            r["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("refused: more than 5 connections"))
        })
        .count();
    assert_eq!(refused, 3, "{live}");
    let served: Vec<&Value> = records.iter().filter(|r| r["error"].is_null()).collect();
    assert_eq!(served.len(), 1, "{live}");
    assert_eq!(served[0]["negotiated_group"], "X25519MLKEM768");
}

// ---- hostile and odd clients ------------------------------------------------

fn pq_hello(pad_to: Option<usize>) -> Vec<u8> {
    let p = profile::find("go1.24").unwrap();
    let mut spec: ClientHelloSpec = p.client_hello(Some("tap.test".into()));
    spec.pad_to = pad_to;
    spec.encode()
}

/// An echo server standing in for an upstream: it proves forward mode passes
/// bytes through unchanged even when the inspector cannot parse them.
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = stream;
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// Sends `chunks` through `inspector`, each once the inspector has read the
/// one before (so each is a TCP read of its own however loaded the machine
/// is), and reads `expect` bytes back.
fn send_and_read_back(inspector: &Inspector, chunks: &[Vec<u8>], expect: usize) -> Vec<u8> {
    let mut s = TcpStream::connect(inspector.addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for c in chunks {
        s.write_all(c).unwrap();
        inspector.wait_read(&s);
    }
    let mut got = vec![0u8; expect];
    s.read_exact(&mut got).unwrap();
    got
}

#[test]
fn forward_mode_passes_bytes_it_cannot_parse_and_split_hellos_unchanged() {
    let upstream = echo_server();
    let inspector = Inspector::start(&["--forward", &upstream.to_string()], 2);
    // Models a non-TLS protocol on the port: it must still work through the tap.
    let garbage = b"\x00\x01PING not a TLS record at all\r\n".to_vec();
    assert_eq!(
        send_and_read_back(&inspector, std::slice::from_ref(&garbage), garbage.len()),
        garbage
    );
    // A post-quantum hello cut into 250-byte records, sent in 3 TCP writes.
    let hello = pq_hello(None);
    let record_count = hello.len().div_ceil(250);
    let records = fragment(&hello, 250, ProtocolVersion::TLS1_0);
    let thirds: Vec<Vec<u8>> = records
        .chunks(records.len() / 3 + 1)
        .map(|c| c.to_vec())
        .collect();
    assert_eq!(
        send_and_read_back(&inspector, &thirds, records.len()),
        records
    );
    let (logged, _, _) = inspector.finish();
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(
        logged[0]["error"].as_str().unwrap().starts_with("not TLS"),
        "{}",
        logged[0]
    );
    assert_eq!(logged[1]["error"], Value::Null);
    assert_eq!(logged[1]["records"], record_count);
    assert_eq!(logged[1]["client_hello_len"], hello.len());
    assert_eq!(logged[1]["tcp_reads"], 3);
    assert_eq!(logged[1]["sni"], "tap.test");
    assert_eq!(logged[1]["verdict"], "pq");
    // The echo server answers with the client's own hello: not a ServerHello.
    for r in &logged {
        assert_eq!(r["negotiated_group"], Value::Null, "{r}");
        assert_eq!(r["downgraded"], Value::Null, "{r}");
    }
}

#[test]
fn forward_mode_closes_sessions_over_max_connections_instead_of_queueing() {
    let upstream = echo_server();
    let inspector = Inspector::start(
        &["--forward", &upstream.to_string(), "--max-connections", "1"],
        2,
    );
    let hello = fragment(&pq_hello(None), 16384, ProtocolVersion::TLS1_0);
    // The first session stays open (the echo server answers it)...
    let mut held = TcpStream::connect(inspector.addr).unwrap();
    held.write_all(&hello).unwrap();
    held.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut echoed = vec![0u8; hello.len()];
    held.read_exact(&mut echoed).unwrap();
    // ...so the next one is closed at once, not queued behind it.
    let mut extra = TcpStream::connect(inspector.addr).unwrap();
    extra.write_all(&hello).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = extra.read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "the refused client got {} bytes",
        rest.len()
    );
    // Each record is written when its session's answer is known, so their
    // order is not fixed: each is found by the client socket it describes.
    let (held_peer, extra_peer) = (
        held.local_addr().unwrap().to_string(),
        extra.local_addr().unwrap().to_string(),
    );
    // Ending the held session lets the inspector exit promptly.
    drop(held);
    let (records, summary, live) = inspector.finish();
    assert_eq!(records.len(), 2, "{live}");
    let of = |peer: &str| {
        let found: Vec<&Value> = records.iter().filter(|r| r["peer"] == peer).collect();
        assert_eq!(found.len(), 1, "one record for {peer}: {records:?}");
        found[0]
    };
    let (held, refused) = (of(&held_peer), of(&extra_peer));
    assert_eq!(held["error"], Value::Null, "{held}");
    assert_eq!(held["verdict"], "pq", "{held}");
    assert_eq!(
        refused["error"], "refused: 1 sessions already open (--max-connections)",
        "{refused}"
    );
    // The hello was still read and described.
    assert_eq!(refused["verdict"], "pq", "{refused}");
    assert!(summary.contains("error: refused"), "{summary}");
}

/// Issue #20: with nothing listening upstream, or a plain-HTTP upstream,
/// real kubectl fails (`EOF`) and the record used to say nothing. Now
/// `upstream_error` says why, in the JSON, the live line and the summary;
/// the hello itself was read fine (`error` stays null).
#[test]
fn forward_mode_records_why_the_upstream_gave_no_answer() {
    if !peers::require(&["kubectl.1.33", "/usr/bin/python3"]) {
        return;
    }
    let refusing = peers::RefusingPort::new();
    let closed = refusing.addr;
    let http = peers::launch(
        peers::Setup::new(),
        std::path::Path::new("/usr/bin/python3"),
        &["-m", "http.server", "--bind", "127.0.0.1", "{port}"],
        &[],
    );
    for (upstream, why) in [
        (
            closed,
            format!("upstream refused: {closed}: connection refused"),
        ),
        // http.server reads the hello as an HTTP/0.9 request: its error page, no status line.
        (
            http.addr,
            "upstream not TLS: it sent \"<!DOCTYPE HTML>\"".to_string(),
        ),
    ] {
        let inspector = Inspector::start(&["--forward", &upstream.to_string()], 1);
        let run = clients::kubectl("1.33").run(inspector.addr);
        assert!(
            !run.succeeded(),
            "kubectl through a dead upstream: {}",
            run.output
        );
        let (records, summary, live) = inspector.finish();
        assert_eq!(records.len(), 1, "{live}");
        let r = &records[0];
        assert_eq!(r["error"], Value::Null, "{r}");
        assert_eq!(r["verdict"], "pq", "{r}");
        assert_eq!(r["negotiated_group"], Value::Null, "{r}");
        let recorded = r["upstream_error"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"));
        assert!(recorded.starts_with(&why), "{recorded:?} vs {why:?}");
        assert!(live.contains(&format!("| {why}")), "{live}");
        let kind = why.split(':').next().unwrap();
        assert!(summary.contains(&format!("    1  {kind}\n")), "{summary}");
    }
}

#[test]
fn hostile_clients_are_recorded_and_the_inspector_keeps_serving() {
    if !peers::require(&["goclient-1.24"]) {
        return;
    }
    let inspector = Inspector::start(&["--timeout", "1s", "--max-hello", "4096"], 6);
    let addr = inspector.addr;
    // Each client stays connected until the inspector has recorded it (the
    // inspector closes it), so what it is never depends on how long the
    // inspector takes to read it; only the one modelling a hang-up closes.
    // Each is recorded before the next connects: five clients waiting for
    // their hello at once would be over the per-address limit.
    let send = |bytes: &[u8]| {
        let mut s = TcpStream::connect(addr).unwrap();
        let _ = s.write_all(bytes);
        s
    };
    let mut open = Vec::new();
    for (i, bytes) in [
        // Models a plain HTTP client on the TLS port.
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        // Models a hello far beyond any real client (padded to 20 KB, cap 4 KB).
        fragment(&pq_hello(Some(20_000)), 16384, ProtocolVersion::TLS1_0),
        // Models a record header announcing more than TLS allows.
        vec![22, 3, 1, 0xff, 0xff, 1],
    ]
    .iter()
    .enumerate()
    {
        open.push(send(bytes));
        inspector.wait_for_records(i + 1);
    }
    // Models a client that stops halfway through its hello and hangs up.
    drop(send(
        &fragment(&pq_hello(None), 16384, ProtocolVersion::TLS1_0)[..700],
    ));
    inspector.wait_for_records(4);
    // Models a slow-loris sender: one byte, then silence past the deadline.
    open.push(send(&[22]));
    // And a normal client is still served.
    let run = clients::goclient("1.24").run(addr);
    assert!(run.succeeded(), "{}", run.output);
    let (records, _, _) = inspector.finish();
    drop(open);
    // Handlers run concurrently, so records arrive in completion order.
    let mut errors: Vec<String> = records
        .iter()
        .map(|r| r["error"].as_str().unwrap_or("").to_string())
        .collect();
    errors.sort();
    let expected_prefixes = [
        "",
        "ClientHello of ",
        "client closed the connection before a complete ClientHello",
        "malformed ClientHello: record length 65535 exceeds limit",
        "not TLS: client sent \"GET / HTTP/1.1\"",
        "timed out waiting for the ClientHello",
    ];
    assert_eq!(errors.len(), expected_prefixes.len(), "{errors:?}");
    for (got, want) in errors.iter().zip(expected_prefixes) {
        assert!(
            got.starts_with(want),
            "{got:?} should start with {want:?}; all: {errors:?}"
        );
    }
    let served = records.iter().find(|r| r["error"].is_null()).unwrap();
    assert_eq!(served["verdict"], "pq");
    assert_eq!(served["handshake_completed"], true, "{served}");
    // The others never got to a handshake: false, and `error` says why.
    for r in records.iter().filter(|r| r["error"].is_string()) {
        assert_eq!(r["handshake_completed"], false, "{r}");
        assert_eq!(r["handshake_error"], Value::Null, "{r}");
        assert_eq!(r["cert_type"], "ecdsa-p256", "{r}");
    }
}

#[test]
fn sigterm_prints_the_summary_and_exits_cleanly() {
    if !peers::require(&["kubectl.1.33"]) {
        return;
    }
    let inspector = Inspector::start(&[], 1000);
    let run = clients::kubectl("1.33").run(inspector.addr);
    assert!(run.succeeded(), "{}", run.output);
    // Wait for the record to be logged, then stop it the way an operator would.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&inspector.log)
        .unwrap_or_default()
        .lines()
        .count()
        < 1
    {
        assert!(Instant::now() < deadline, "no record logged");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-TERM", &inspector.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (records, summary, _) = inspector.finish();
    assert_eq!(records.len(), 1);
    assert!(summary.contains("1 client connections"), "{summary}");
    assert!(summary.contains("go1.24"), "{summary}");
}

#[test]
fn forward_mode_drops_idle_clients_instead_of_starving_others() {
    if !peers::require(&["goserver-1.24", "goclient-1.24"]) {
        return;
    }
    // Models a slow-loris: connections that never send a hello must not keep
    // the only connection slot forever.
    let server = peers::go_server("1.24");
    let inspector = Inspector::start(
        &[
            "--forward",
            &server.addr.to_string(),
            "--timeout",
            "1s",
            "--max-connections",
            "1",
        ],
        2,
    );
    // The idle connection is accepted first, so a slot taken at accept
    // would starve the real client.
    let idle = TcpStream::connect(inspector.addr).unwrap();
    inspector.wait_accepted(&idle);
    let run = clients::goclient("1.24").run(inspector.addr);
    assert!(
        run.succeeded(),
        "the real client was starved: {}",
        run.output
    );
    // The idle client stays connected until its hello deadline records it.
    let (records, _, _) = inspector.finish();
    drop(idle);
    let errors: Vec<&str> = records
        .iter()
        .map(|r| r["error"].as_str().unwrap_or(""))
        .collect();
    assert!(
        errors.contains(&"timed out waiting for the ClientHello"),
        "{errors:?}"
    );
    assert!(errors.contains(&""), "{errors:?}");
}

// ---- which clients accept an ML-DSA server certificate -----------------------

/// A real browser: Debian's Chromium offers ML-DSA signature schemes and
/// completes a TLS 1.3 handshake with an ML-DSA-65 server certificate
/// (certificate errors ignored: the certificate is self-signed).
#[test]
fn chromium_accepts_an_mldsa65_certificate() {
    if !support::peers::require(&["chromium"]) {
        return;
    }
    // Chromium may open a second, spare socket and leave it mid-handshake:
    // inspect records every connection (no --count, which would refuse the
    // second and make Chromium give up), and is stopped once one completed.
    let inspector = Inspector::start(&["--cert-type", "mldsa65", "-o", "json"], 100);
    let url = format!("https://{}/", inspector.addr);
    let _ = clients::chromium(
        &["--ignore-certificate-errors", "--dump-dom", &url],
        Duration::from_secs(60),
    );
    let completed = |r: &Value| r["handshake_completed"] == true;
    inspector.wait_for_record(completed);
    let (records, summary, live) = inspector.stop();
    let r = records
        .iter()
        .find(|r| completed(r))
        .unwrap_or_else(|| panic!("no Chromium connection completed:\n{live}"));
    assert_eq!(r["profile_match"], "chrome", "{live}");
    assert_eq!(r["offers_mldsa"], true, "{r}");
    assert_eq!(r["cert_type"], "mldsa65", "{r}");
    assert_eq!(r["negotiated_group"], "X25519MLKEM768", "{r}");
    assert_eq!(r["accepts_mldsa_cert"], true, "{r}");
    // A spare connection Chromium left without an alert is no rejection.
    for other in records.iter().filter(|r| !completed(r)) {
        assert_eq!(other["handshake_abandoned"], true, "{other}");
        assert_eq!(other["accepts_mldsa_cert"], Value::Null, "{other}");
    }
    let summary: Value = serde_json::from_str(&summary).unwrap();
    assert!(
        summary["accepts_mldsa_cert"].as_u64().unwrap() >= 1,
        "{summary}"
    );
    assert_eq!(summary["rejects_mldsa_cert"], 0, "{summary}");
    assert_eq!(summary["handshake_failed"], 0, "{summary}");
}

/// A real Go 1.27 client: `inspect` names it `go1.27` (not `go1.26`, whose
/// groups and key shares it shares: its ML-DSA signature schemes tell them
/// apart) and sees it complete a TLS 1.3 handshake with an ML-DSA-65
/// certificate, which the real Go 1.26 client next to it cannot.
#[test]
fn go127_client_is_named_go127_and_accepts_an_mldsa65_certificate() {
    let list = [clients::goclient("1.27"), clients::goclient("1.26")];
    if !peers::require(&clients::needs(&list)) {
        return;
    }
    let inspector = Inspector::start(&["--cert-type", "mldsa65"], list.len());
    let mut runs = Vec::new();
    for (i, client) in list.iter().enumerate() {
        runs.push(client.run(inspector.addr));
        inspector.wait_for_records(i + 1);
    }
    let (records, summary, live) = inspector.finish();
    assert_eq!(records.len(), 2, "{live}");
    let (go127, go126) = (&records[0], &records[1]);

    assert!(runs[0].succeeded(), "goclient-1.27: {}", runs[0].output);
    assert_eq!(go127["profile_match"], "go1.27", "{go127}");
    assert_eq!(go127["profile_match_exact"], true, "{go127}");
    assert_eq!(
        go127["profile_equivalents"],
        serde_json::json!([]),
        "{go127}"
    );
    assert_eq!(go127["offers_mldsa"], true, "{go127}");
    let schemes: Vec<String> = serde_json::from_value(go127["signature_schemes"].clone()).unwrap();
    assert_eq!(schemes[..3], ["mldsa44", "mldsa65", "mldsa87"], "{go127}");
    assert_eq!(go127["cert_type"], "mldsa65", "{go127}");
    assert_eq!(go127["handshake_completed"], true, "{go127}");
    assert_eq!(go127["server_version"], "TLSv1.3", "{go127}");
    assert_eq!(go127["negotiated_group"], "X25519MLKEM768", "{go127}");
    assert_eq!(go127["accepts_mldsa_cert"], true, "{go127}");
    assert_record(go127, &list[0]);

    assert!(!runs[1].succeeded(), "goclient-1.26: {}", runs[1].output);
    assert_eq!(go126["profile_match"], "go1.26", "{go126}");
    let equivalents: Vec<String> =
        serde_json::from_value(go126["profile_equivalents"].clone()).unwrap();
    assert!(
        equivalents.contains(&"kubectl1.37".to_string())
            && !equivalents.contains(&"go1.27".to_string()),
        "{go126}"
    );
    assert_eq!(go126["offers_mldsa"], false, "{go126}");
    assert_eq!(go126["handshake_completed"], false, "{go126}");
    assert_eq!(go126["accepts_mldsa_cert"], false, "{go126}");

    assert!(
        summary.contains("would accept an ML-DSA server certificate: 1 yes, 1 no, 0 unknown"),
        "{summary}"
    );
    assert_eq!(live.matches(" go1.27 ").count(), 1, "{live}");
}

/// `--count 1` records exactly one connection although headless Chromium
/// opens two at once (a preconnected spare): the accept loop admits exactly
/// `--count` connections, one decision per connection, and closes the rest
/// unrecorded, so how the two race does not matter.
#[test]
fn count_one_records_exactly_one_connection_from_a_browser_opening_two() {
    if !support::peers::require(&["chromium"]) {
        return;
    }
    let inspector = Inspector::start(&["-o", "json"], 1);
    let mut browser = clients::Browser::open(clients::BrowserKind::Chromium, inspector.addr);
    let (records, summary, live) = inspector.finish();
    // Let Chromium finish too, so its second connection has been made (it
    // is refused at TCP level once inspect has exited, or closed unrecorded).
    let _ = browser.output_after_exit(Duration::from_secs(60));
    assert_eq!(records.len(), 1, "{live}");
    assert_eq!(records[0]["profile_match"], "chrome", "{live}");
    let summary: Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["total"], 1, "{summary}");
    assert_eq!(live.lines().count(), 1, "{live}");
}

/// One real client against `inspect --cert-type T`: whether its hello offers
/// an ML-DSA signature scheme and whether it completes the handshake.
struct CertCase {
    client: RealClient,
    offers_mldsa: bool,
    completes: bool,
}

fn case(client: RealClient, offers_mldsa: bool, completes: bool) -> CertCase {
    CertCase {
        client,
        offers_mldsa,
        completes,
    }
}

/// Runs every client against `inspect --cert-type cert_type` and checks,
/// client by client, its exit status, its record (the offer, `offers_mldsa`,
/// `cert_type`, `handshake_completed` with the server's reason on failure,
/// the negotiated group only when it completed) and the summary's counts.
fn serve_cert_type(cert_type: &str, list: &[CertCase]) -> (Vec<Value>, String, String) {
    let inspector = Inspector::start(&["--cert-type", cert_type], list.len());
    for (i, c) in list.iter().enumerate() {
        let run = c.client.run(inspector.addr);
        let who = &c.client.name;
        assert_eq!(
            run.succeeded(),
            c.completes,
            "{who} against a {cert_type} certificate: {}",
            run.output
        );
        if !c.completes {
            // The server ends the handshake with an alert, not a bare close.
            assert!(
                run.output.contains("handshake failure"),
                "{who} should see a handshake_failure alert: {}",
                run.output
            );
        }
        // A failed handshake's record may come after the client exited:
        // waiting keeps the records in the order of `list`.
        inspector.wait_for_records(i + 1);
    }
    let (records, summary, live) = inspector.finish();
    assert_eq!(records.len(), list.len(), "one record per client:\n{live}");
    for (r, c) in records.iter().zip(list) {
        let who = &c.client.name;
        assert_record(r, &c.client);
        assert_eq!(r["offers_mldsa"], c.offers_mldsa, "{who}: {r}");
        let schemes: Vec<String> = serde_json::from_value(r["signature_schemes"].clone()).unwrap();
        assert_eq!(
            schemes.iter().any(|s| s.starts_with("mldsa")),
            c.offers_mldsa,
            "{who}: {schemes:?}"
        );
        assert_eq!(r["cert_type"], cert_type, "{who}: {r}");
        assert_eq!(r["handshake_completed"], c.completes, "{who}: {r}");
        if c.completes {
            assert_eq!(r["handshake_error"], Value::Null, "{who}: {r}");
            assert_eq!(r["server_version"], "TLSv1.3", "{who}: {r}");
            assert!(r["negotiated_group"].is_string(), "{who}: {r}");
        } else {
            // rustls finds no signature scheme the client offered for this key.
            assert_eq!(
                r["handshake_error"], "peer is incompatible: NoSignatureSchemesInCommon",
                "{who}: {r}"
            );
            assert_eq!(r["negotiated_group"], Value::Null, "{who}: {r}");
            assert_eq!(r["downgraded"], Value::Null, "{who}: {r}");
        }
    }
    let completed = list.iter().filter(|c| c.completes).count();
    let offered = list.iter().filter(|c| c.offers_mldsa).count();
    for want in [
        format!(
            "{offered} of {} readable hellos offered ML-DSA signature schemes",
            list.len()
        ),
        format!(
            "certificate served: {cert_type}; handshakes: {completed} completed, {} failed",
            list.len() - completed
        ),
    ] {
        assert!(summary.contains(&want), "{want}:\n{summary}");
    }
    assert_eq!(
        live.matches("handshake FAILED").count(),
        list.len() - completed,
        "{live}"
    );
    (records, summary, live)
}

/// The clients of issue 11, in the order they run.
fn mldsa_clients() -> Vec<RealClient> {
    let mut list = vec![clients::openssl35(), clients::openssl30(), clients::curl()];
    list.extend(clients::GO_VERSIONS.iter().map(|v| clients::goclient(v)));
    list.extend([clients::kubectl("1.29"), clients::kubectl("1.33")]);
    list
}

/// The clients that offer ML-DSA signature schemes (measured).
fn offers_mldsa(client: &RealClient) -> bool {
    matches!(
        client.name.as_str(),
        "openssl-3.5 s_client" | "goclient-1.27"
    )
}

#[test]
fn an_mldsa65_certificate_is_accepted_only_by_openssl35_and_go127() {
    if !peers::require(&clients::needs(&mldsa_clients())) {
        return;
    }
    // Measured: of these, only OpenSSL 3.5 (mldsa65, mldsa87, mldsa44 first
    // in its signature_algorithms) and Go 1.27 (mldsa44, mldsa65, mldsa87
    // first) offer ML-DSA. Go 1.22-1.26 (kubectl 1.29 is Go 1.22, kubectl
    // 1.33 Go 1.24) and OpenSSL 3.0 (s_client and curl) offer none, so the
    // server cannot sign for them at all.
    let list: Vec<CertCase> = mldsa_clients()
        .into_iter()
        .map(|c| {
            let pq_signer = offers_mldsa(&c);
            case(c, pq_signer, pq_signer)
        })
        .collect();
    let (records, summary, _) = serve_cert_type("mldsa65", &list);
    let judged: Vec<&Value> = records.iter().map(|r| &r["accepts_mldsa_cert"]).collect();
    let expected: Vec<Value> = list.iter().map(|c| Value::Bool(c.offers_mldsa)).collect();
    assert_eq!(judged, expected.iter().collect::<Vec<_>>());
    let yes = list.iter().filter(|c| c.offers_mldsa).count();
    assert_eq!(yes, 2, "OpenSSL 3.5 and Go 1.27");
    assert!(
        summary.contains(&format!(
            "would accept an ML-DSA server certificate: {yes} yes, {} no, 0 unknown",
            list.len() - yes
        )),
        "{summary}"
    );
    assert!(summary.contains("ML-DSA  HANDSHAKE"), "{summary}");
}

#[test]
fn an_ecdsa_p256_certificate_is_accepted_by_every_client() {
    if !peers::require(&clients::needs(&mldsa_clients())) {
        return;
    }
    let list: Vec<CertCase> = mldsa_clients()
        .into_iter()
        .map(|c| {
            let pq_signer = offers_mldsa(&c);
            case(c, pq_signer, true)
        })
        .collect();
    let (records, summary, _) = serve_cert_type("ecdsa-p256", &list);
    // Offering ML-DSA is necessary, not sufficient: OpenSSL 3.5 and Go 1.27
    // stay unknown.
    for (r, c) in records.iter().zip(&list) {
        let expected = if c.offers_mldsa {
            Value::Null
        } else {
            Value::Bool(false)
        };
        assert_eq!(r["accepts_mldsa_cert"], expected, "{}: {r}", c.client.name);
    }
    let unknown = list.iter().filter(|c| c.offers_mldsa).count();
    assert!(
        summary.contains(&format!(
            "would accept an ML-DSA server certificate: 0 yes, {} no, {unknown} unknown",
            list.len() - unknown
        )),
        "{summary}"
    );
}

#[test]
fn the_default_certificate_is_ecdsa_p256() {
    if !peers::require(&["goclient-1.24"]) {
        return;
    }
    let inspector = Inspector::start(&[], 1);
    let run = clients::goclient("1.24").run(inspector.addr);
    assert!(run.succeeded(), "{}", run.output);
    let (records, summary, _) = inspector.finish();
    assert_eq!(records[0]["cert_type"], "ecdsa-p256", "{}", records[0]);
    assert_eq!(records[0]["handshake_completed"], true, "{}", records[0]);
    assert!(
        summary.contains("certificate served: ecdsa-p256; handshakes: 1 completed, 0 failed"),
        "{summary}"
    );
}

/// `openssl s_client` (3.5) against `addr`, with `extra` arguments; its output.
fn openssl35_s_client(addr: SocketAddr, extra: &[&str]) -> (bool, String) {
    let out = Command::new(peers::bin("openssl"))
        .args(["s_client", "-connect", &addr.to_string(), "-showcerts"])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn openssl35_accepts_every_generated_certificate_type_and_verifies_it() {
    if !peers::require(&["openssl"]) {
        return;
    }
    for (cert_type, key, signature) in [
        ("mldsa44", "ML-DSA-44", "mldsa44"),
        ("mldsa65", "ML-DSA-65", "mldsa65"),
        ("mldsa87", "ML-DSA-87", "mldsa87"),
        ("ecdsa-p256", "EC, (prime256v1)", "ecdsa_secp256r1_sha256"),
        ("rsa2048", "RSA, 2048", "rsa_pss_rsae_"),
    ] {
        let inspector = Inspector::start(&["--cert-type", cert_type], 2);
        let (ok, text) = openssl35_s_client(inspector.addr, &["-servername", "localhost"]);
        assert!(ok, "{cert_type}: {text}");
        for want in [
            format!("a:PKEY: {key}"),
            format!("Peer signature type: {signature}"),
            "subject=CN=pqready-inspect".into(),
            "Negotiated TLS1.3 group: X25519MLKEM768".into(),
        ] {
            assert!(text.contains(&want), "{cert_type}: no {want:?} in {text}");
        }
        // Trusting the served certificate, a verifying client accepts it
        // for both of its names.
        let pem_start = text.find("-----BEGIN CERTIFICATE-----").unwrap();
        let pem_end = text.find("-----END CERTIFICATE-----").unwrap() + 25;
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("served.pem");
        std::fs::write(&ca, format!("{}\n", &text[pem_start..pem_end])).unwrap();
        let (ok, text) = openssl35_s_client(
            inspector.addr,
            &[
                "-CAfile",
                ca.to_str().unwrap(),
                "-verify_return_error",
                "-verify_ip",
                "127.0.0.1",
            ],
        );
        assert!(ok, "{cert_type}: {text}");
        assert!(
            text.contains("Verify return code: 0 (ok)"),
            "{cert_type}: {text}"
        );
        let (records, _, _) = inspector.finish();
        for r in &records {
            assert_eq!(r["cert_type"], cert_type, "{r}");
            assert_eq!(r["handshake_completed"], true, "{r}");
            assert_eq!(r["offers_mldsa"], true, "{r}");
        }
        let judged = records[0]["accepts_mldsa_cert"].clone();
        let mldsa = cert_type.starts_with("mldsa");
        assert_eq!(
            judged,
            if mldsa {
                Value::Bool(true)
            } else {
                Value::Null
            }
        );
    }
}

#[test]
fn an_rsa2048_certificate_is_accepted_by_classical_clients() {
    let list = [
        clients::openssl30(),
        clients::curl(),
        clients::goclient("1.22"),
    ];
    if !peers::require(&clients::needs(&list)) {
        return;
    }
    let cases: Vec<CertCase> = list.into_iter().map(|c| case(c, false, true)).collect();
    serve_cert_type("rsa2048", &cases);
}

#[test]
fn a_given_certificate_is_typed_from_its_key() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_87).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["mldsa.test".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    let inspector = Inspector::start(
        &["--cert", c.to_str().unwrap(), "--key", k.to_str().unwrap()],
        1,
    );
    let (ok, text) = openssl35_s_client(inspector.addr, &["-servername", "mldsa.test"]);
    assert!(
        ok && text.contains("Peer signature type: mldsa87"),
        "{text}"
    );
    let (records, _, _) = inspector.finish();
    assert_eq!(records[0]["cert_type"], "mldsa87", "{}", records[0]);
    assert_eq!(records[0]["accepts_mldsa_cert"], true, "{}", records[0]);
}

#[test]
fn forward_mode_records_the_mldsa_offer_but_no_handshake() {
    if !peers::require(&["goserver-1.24", "openssl", "goclient-1.24"]) {
        return;
    }
    let server = peers::go_server("1.24");
    let list = [clients::openssl35(), clients::goclient("1.24")];
    let inspector = Inspector::start(&["--forward", &server.addr.to_string()], list.len());
    for client in &list {
        let run = client.run(inspector.addr);
        assert!(run.succeeded(), "{}: {}", client.name, run.output);
    }
    let (records, summary, _) = inspector.finish();
    assert_eq!(records.len(), 2);
    for (r, offers) in records.iter().zip([true, false]) {
        assert_eq!(r["offers_mldsa"], offers, "{r}");
        assert_eq!(r["cert_type"], Value::Null, "{r}");
        assert_eq!(r["handshake_completed"], Value::Null, "{r}");
        assert_eq!(r["handshake_error"], Value::Null, "{r}");
        let judged = if offers {
            Value::Null
        } else {
            Value::Bool(false)
        };
        assert_eq!(r["accepts_mldsa_cert"], judged, "{r}");
    }
    assert!(!summary.contains("HANDSHAKE"), "{summary}");
    assert!(!summary.contains("certificate served"), "{summary}");
    assert!(
        summary.contains("1 of 2 readable hellos offered ML-DSA signature schemes"),
        "{summary}"
    );
}
