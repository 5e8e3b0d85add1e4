//! Prediction accuracy: for every real server × real client pair, what the
//! real client negotiates (read off the wire by a recording pass-through,
//! tests/it/support/tap.rs) must equal what `pqready probe --clients PROFILE`
//! predicts for that client's profile: the key-exchange group, whether a
//! HelloRetryRequest happened, and whether the handshake failed.
//!
//! One test per server runs every client (tests/it/support/clients.rs) through
//! the tap one after another, then asks pqready once for all their profiles,
//! prints the whole column and fails listing every wrong cell at once.
//!
//! Servers: OpenSSL 3.5 `s_server -www` with its default groups,
//! `-groups X25519MLKEM768`, `-groups SecP256r1MLKEM768:x25519` and
//! `-groups x25519:secp256r1:X25519MLKEM768 -serverpref`; nginx (OpenSSL
//! 3.5); Go `crypto/tls` 1.22, 1.23, 1.24, 1.26 and 1.27 with defaults; Debian's
//! etcd; and `s_server -groups secp384r1`, where every client must retry
//! (no deployment above makes any of these clients do so). The last tests
//! check the tap itself against a scripted server.

use pqready::wire::record::{content_type, fragment, handshake_message};
use pqready::wire::server_hello::{HANDSHAKE_SERVER_HELLO, HELLO_RETRY_REQUEST_RANDOM};
use pqready::wire::{ClientHelloSpec, KeyShareEntry, NamedGroup, ProtocolVersion};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;
use support::clients::{self, ClientRun, RealClient};
use support::peers::{self, Peer};
use support::tap::{Observation, Tap};

use crate::support;

/// How long to wait for the tap to see a client's connection end.
const SETTLE: Duration = Duration::from_secs(10);

/// The three facts compared per cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Outcome {
    group: Option<NamedGroup>,
    hello_retry: bool,
    failed: bool,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.failed, self.group) {
            (true, _) => f.write_str("failed")?,
            (false, Some(g)) => write!(f, "{g}")?,
            (false, None) => f.write_str("no group")?,
        }
        if self.hello_retry {
            f.write_str(" +HRR")?;
        }
        Ok(())
    }
}

impl From<&Observation> for Outcome {
    fn from(o: &Observation) -> Self {
        Outcome {
            group: o.negotiated_group,
            hello_retry: o.hello_retry,
            failed: o.failed(),
        }
    }
}

/// One client run through the tap.
struct Cell {
    client: RealClient,
    run: ClientRun,
    /// The client's connections, in order (a client may retry).
    seen: Vec<Observation>,
}

impl Cell {
    /// What the client's first connection negotiated, or why there is nothing to compare.
    fn observed(&self) -> Result<Outcome, String> {
        if self.run.timed_out {
            return Err(format!("client timed out: {}", self.run.last_line()));
        }
        let Some(first) = self.seen.first() else {
            return Err(format!("client never connected: {}", self.run.last_line()));
        };
        if first.client_hellos.is_empty() {
            return Err(format!("tap read no ClientHello (notes {:?})", first.notes));
        }
        if !first.closed {
            return Err("connection still open after the client exited".into());
        }
        if first.hello_retry && first.client_hellos.len() != 2 {
            return Err(format!(
                "HelloRetryRequest but {} ClientHello(s) read (notes {:?})",
                first.client_hellos.len(),
                first.notes
            ));
        }
        let outcome = Outcome::from(first);
        // The wire and the client must agree, where the exit code says anything
        // about TLS (kubectl also fails on a server that is not Kubernetes).
        if outcome.failed && self.run.succeeded() {
            return Err(format!(
                "tap saw no ServerHello ({first}) but the client succeeded"
            ));
        }
        if !outcome.failed && !self.run.succeeded() && !self.client.name.starts_with("kubectl") {
            return Err(format!(
                "tap saw {first} but the client failed: {}",
                self.run.last_line()
            ));
        }
        Ok(outcome)
    }
}

/// Runs `client` against the tap and collects the connections it made.
fn through_tap(tap: &Tap, client: &RealClient) -> Cell {
    let first = tap.connections();
    let run = client.run(tap.addr());
    let mut seen = Vec::new();
    if let Some(obs) = tap.wait(first, SETTLE) {
        seen.push(obs);
        for index in first + 1..tap.connections() {
            seen.extend(tap.wait(index, SETTLE));
        }
    }
    Cell {
        client: client.clone(),
        run,
        seen,
    }
}

/// `pqready probe --clients IDS --json ADDR`: the prediction per profile id.
fn predict(addr: SocketAddr, ids: &[&str]) -> Result<HashMap<String, Outcome>, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(["probe", "--json", "--timeout", "10s", "--clients"])
        .arg(ids.join(","))
        .arg(addr.to_string())
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("cannot run pqready: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let target: Value = match stdout.lines().next() {
        Some(line) => serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {line}"))?,
        None => {
            return Err(format!(
                "`pqready probe --clients` printed nothing ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    if !target["error"].is_null() {
        return Err(format!(
            "pqready could not probe {addr}: {}",
            target["error"]
        ));
    }
    let list = target["clients"]
        .as_array()
        .ok_or_else(|| "no `clients` array in the probe's JSON".to_string())?;
    let mut out = HashMap::new();
    for c in list {
        let id = c["profile"]
            .as_str()
            .ok_or_else(|| format!("client entry without a profile: {c}"))?;
        let group = match &c["negotiated_group"] {
            Value::Null => None,
            Value::String(name) => Some(
                NamedGroup::parse(name).ok_or_else(|| format!("{id}: unknown group {name:?}"))?,
            ),
            other => return Err(format!("{id}: negotiated_group is {other}")),
        };
        let flag = |field: &str| {
            c[field]
                .as_bool()
                .ok_or_else(|| format!("{id}: `{field}` is not a boolean: {c}"))
        };
        out.insert(
            id.to_string(),
            Outcome {
                group,
                hello_retry: flag("hello_retry")?,
                failed: flag("failed")?,
            },
        );
    }
    Ok(out)
}

/// Every client against the peer `start` starts (which needs `server_needs`,
/// see [`peers::require`]) through a tap, then pqready's predictions for
/// their profiles; fails listing every cell where the two differ.
fn check_server(server: &str, server_needs: &[&str], start: impl FnOnce() -> Peer) {
    let all = clients::all();
    assert!(!all.is_empty(), "no real clients to run");
    let mut needs = server_needs.to_vec();
    needs.extend(clients::needs(&all));
    if !peers::require(&needs) {
        return;
    }
    let peer = start();
    let tap = Tap::start(peer.addr);
    let cells: Vec<Cell> = all.iter().map(|c| through_tap(&tap, c)).collect();

    let mut ids: Vec<&str> = Vec::new();
    for c in &cells {
        if !ids.contains(&c.client.profile.as_str()) {
            ids.push(&c.client.profile);
        }
    }
    let predictions = predict(peer.addr, &ids);

    let mut failures = Vec::new();
    println!("server {server}:");
    for cell in &cells {
        let observed = cell.observed();
        let predicted = match &predictions {
            Ok(map) => map
                .get(&cell.client.profile)
                .copied()
                .ok_or_else(|| format!("no prediction for profile {}", cell.client.profile)),
            Err(e) => Err(e.clone()),
        };
        let wire = cell.seen.first().map_or("-".to_string(), |o| o.to_string());
        println!(
            "  {:<22} observed {:<32} predicted {:<28} exit {:<4} conns {} {:>5} ms  {}",
            cell.client.name,
            wire,
            match &predicted {
                Ok(p) => p.to_string(),
                Err(_) => "?".into(),
            },
            cell.run.exit.map_or("-".into(), |c| c.to_string()),
            cell.seen.len(),
            cell.run.elapsed.as_millis(),
            cell.run.last_line().chars().take(80).collect::<String>(),
        );
        let failure = match (observed, predicted) {
            (Ok(o), Ok(p)) if o == p => None,
            (Ok(o), Ok(p)) => Some(format!("observed {o}, pqready predicted {p}")),
            (Err(e), _) => Some(format!("no observation: {e}")),
            (Ok(o), Err(e)) => Some(format!("observed {o}, no prediction: {e}")),
        };
        if let Some(f) = failure {
            failures.push(format!(
                "{server} × {} (profile {}): {f}",
                cell.client.name, cell.client.profile
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cells wrong for {server}:\n  {}\npeer log:\n{}",
        failures.len(),
        cells.len(),
        failures.join("\n  "),
        peer.log()
    );
}

#[test]
fn openssl35_default_groups() {
    check_server("openssl-3.5 s_server", &["openssl"], || {
        peers::s_server(&["-www"])
    });
}

#[test]
fn openssl35_pq_only() {
    check_server(
        "openssl-3.5 s_server -groups X25519MLKEM768",
        &["openssl"],
        || peers::s_server(&["-www", "-groups", "X25519MLKEM768"]),
    );
}

#[test]
fn openssl35_secp256r1mlkem768_and_x25519() {
    check_server(
        "openssl-3.5 s_server -groups SecP256r1MLKEM768:x25519",
        &["openssl"],
        || peers::s_server(&["-www", "-groups", "SecP256r1MLKEM768:x25519"]),
    );
}

#[test]
fn openssl35_serverpref_classical_first() {
    check_server(
        "openssl-3.5 s_server -groups x25519:secp256r1:X25519MLKEM768 -serverpref",
        &["openssl"],
        || {
            peers::s_server(&[
                "-www",
                "-groups",
                "x25519:secp256r1:X25519MLKEM768",
                "-serverpref",
            ])
        },
    );
}

/// Not one of the deployments above, but the only way to see every client
/// retry: each lists secp384r1 and none sends a share for it.
#[test]
fn openssl35_p384_only_forces_hello_retry() {
    check_server(
        "openssl-3.5 s_server -groups secp384r1",
        &["openssl"],
        || peers::s_server(&["-www", "-groups", "secp384r1"]),
    );
}

#[test]
fn nginx_openssl35() {
    check_server("nginx", &["nginx"], peers::nginx);
}

#[test]
fn go122_server() {
    check_server("go1.22 server", &["goserver-1.22"], || {
        peers::go_server("1.22")
    });
}

#[test]
fn go123_server() {
    check_server("go1.23 server", &["goserver-1.23"], || {
        peers::go_server("1.23")
    });
}

#[test]
fn go124_server() {
    check_server("go1.24 server", &["goserver-1.24"], || {
        peers::go_server("1.24")
    });
}

#[test]
fn go126_server() {
    check_server("go1.26 server", &["goserver-1.26"], || {
        peers::go_server("1.26")
    });
}

#[test]
fn go127_server() {
    check_server("go1.27 server", &["goserver-1.27"], || {
        peers::go_server("1.27")
    });
}

#[test]
fn debian_etcd() {
    check_server("etcd (Debian)", &["etcd"], || peers::etcd(&[]));
}

// ---- the tap itself, against a scripted server ------------------------------

fn server_hello(random: [u8; 32], share: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&random);
    body.push(0); // empty legacy_session_id
    body.extend_from_slice(&[0x13, 0x01, 0]); // TLS_AES_128_GCM_SHA256, no compression
    let mut ext = vec![0, 43, 0, 2, 3, 4]; // supported_versions: TLS 1.3
    ext.extend_from_slice(&[0, 51]);
    ext.extend_from_slice(&(share.len() as u16).to_be_bytes());
    ext.extend_from_slice(share);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    fragment(
        &handshake_message(HANDSHAKE_SERVER_HELLO, &body),
        1 << 14,
        ProtocolVersion::TLS1_2,
    )
}

fn record(typ: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![typ, 3, 3];
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn client_hello(groups: Vec<NamedGroup>, share: NamedGroup) -> Vec<u8> {
    let share = KeyShareEntry {
        group: share,
        payload: vec![1; 32],
    };
    fragment(
        &ClientHelloSpec::tls13(groups, vec![share]).encode(),
        100,
        ProtocolVersion::TLS1_0,
    )
}

/// Reads at least `n` bytes.
fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).unwrap();
    buf
}

#[test]
fn tap_records_hello_retry_then_server_hello() {
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    let ch1 = client_hello(
        vec![NamedGroup::SECP256R1, NamedGroup::X25519],
        NamedGroup::X25519,
    );
    let mut ch2 = record(content_type::CHANGE_CIPHER_SPEC, &[1]);
    ch2.extend(client_hello(
        vec![NamedGroup::SECP256R1],
        NamedGroup::SECP256R1,
    ));
    let mut hrr = server_hello(HELLO_RETRY_REQUEST_RANDOM, &[0, 0x17]);
    hrr.extend(record(content_type::CHANGE_CIPHER_SPEC, &[1]));
    let mut share = vec![0, 0x17, 0, 65];
    share.extend_from_slice(&[4; 65]);
    let mut sh = server_hello([5; 32], &share);
    // Encrypted from here: the tap must not try to read it.
    sh.extend(record(content_type::APPLICATION_DATA, &[0xee; 40]));
    sh.extend(record(content_type::HANDSHAKE, &[0xff; 40]));
    let (n1, n2) = (ch1.len(), ch2.len());
    let (hrr_sent, sh_sent) = (hrr.clone(), sh.clone());
    let server = std::thread::spawn(move || {
        let (mut s, _) = upstream.accept().unwrap();
        let first = read_n(&mut s, n1);
        s.write_all(&hrr_sent).unwrap();
        let second = read_n(&mut s, n2);
        s.write_all(&sh_sent).unwrap();
        (first, second)
    });

    let tap = Tap::start(upstream_addr);
    let mut client = TcpStream::connect(tap.addr()).unwrap();
    client.write_all(&ch1).unwrap();
    assert_eq!(
        read_n(&mut client, hrr.len()),
        hrr,
        "HRR forwarded unchanged"
    );
    client.write_all(&ch2).unwrap();
    assert_eq!(
        read_n(&mut client, sh.len()),
        sh,
        "ServerHello forwarded unchanged"
    );
    let (first, second) = server.join().unwrap();
    assert_eq!(
        (first, second),
        (ch1.clone(), ch2.clone()),
        "hellos forwarded unchanged"
    );
    drop(client);

    let obs = tap.wait(0, SETTLE).unwrap();
    assert!(obs.closed);
    assert_eq!(obs.notes, Vec::<String>::new());
    assert_eq!(obs.client_hellos.len(), 2);
    assert_eq!(
        obs.client_hellos[1].groups().unwrap(),
        [NamedGroup::SECP256R1]
    );
    assert!(obs.hello_retry);
    assert_eq!(obs.hello_retry_group, Some(NamedGroup::SECP256R1));
    assert!(!obs.failed());
    assert_eq!(obs.version, Some(ProtocolVersion::TLS1_3));
    assert_eq!(obs.negotiated_group, Some(NamedGroup::SECP256R1));
    assert_eq!(obs.server_share_len, Some(65));
    assert_eq!(obs.bytes_from_client, (ch1.len() + ch2.len()) as u64);
    assert_eq!(obs.bytes_from_server, (hrr.len() + sh.len()) as u64);
    assert_eq!(obs.to_string(), "secp256r1 after HRR(secp256r1)");
}

#[test]
fn tap_records_an_alert_instead_of_a_server_hello() {
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    let ch = client_hello(vec![NamedGroup::X25519], NamedGroup::X25519);
    let n = ch.len();
    let server = std::thread::spawn(move || {
        let (mut s, _) = upstream.accept().unwrap();
        read_n(&mut s, n);
        s.write_all(&record(content_type::ALERT, &[2, 40])).unwrap();
    });
    let tap = Tap::start(upstream_addr);
    let mut client = TcpStream::connect(tap.addr()).unwrap();
    client.write_all(&ch).unwrap();
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).unwrap();
    assert_eq!(answer, [21, 3, 3, 0, 2, 2, 40]);
    server.join().unwrap();
    drop(client);
    let obs = tap.wait(0, SETTLE).unwrap();
    assert!(obs.failed());
    assert_eq!(obs.to_string(), "failed (server alert handshake_failure)");
    assert_eq!(obs.negotiated_group, None);
}

#[test]
fn tap_notes_a_refused_upstream_and_closes() {
    // Nothing listens there, and no other test's listener can take the port.
    let refusing = peers::RefusingPort::new();
    let tap = Tap::start(refusing.addr);
    let mut client = TcpStream::connect(tap.addr()).unwrap();
    let _ = client.write_all(&client_hello(vec![NamedGroup::X25519], NamedGroup::X25519));
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest);
    let obs = tap.wait(0, SETTLE).unwrap();
    assert!(obs.closed && obs.failed());
    assert!(
        obs.notes.iter().any(|n| n.starts_with("upstream")),
        "{:?}",
        obs.notes
    );
}
