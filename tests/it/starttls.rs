//! STARTTLS end to end: real servers from the peer prefix (PostgreSQL 17...)
//! probed through their plaintext preamble, each checked against OpenSSL's
//! own `s_client -starttls`, and scripted servers that model broken peers
//! (silent, garbage, closing after the go-ahead, refusing).

use crate::support::command;
use crate::support::loopback;
use crate::support::peers::{bin, free_port, peers_dir, require, write_cert};
use crate::support::scripted::broken_server;
use pqready::vocab::{ErrorKind, Protocol};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---- real peers ----------------------------------------------------------------

/// A server process of the peer prefix, killed (and reaped) when dropped,
/// with its working directory.
struct Server {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Waits until the server listens on its port.
    fn wait_listening(mut self) -> Server {
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("server exited ({status}) before listening:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "server did not listen on {}:\n{}",
                self.addr,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self
    }
}

/// `program` run as an unprivileged user without changing user: in a new
/// user namespace that maps the test's own user (root, under scripts/test)
/// to `nobody`. Servers that refuse to run as root (PostgreSQL) then see an
/// ordinary user that owns the files the test made, and the prefix under
/// /root (mode 0700) stays readable, which a real switch to `nobody` would
/// lose.
fn unprivileged(program: &Path) -> Command {
    let mut cmd = Command::new("/usr/bin/unshare");
    cmd.args(["--user", "--map-user=65534", "--map-group=65534", "--"])
        .arg(program);
    cmd
}

/// `program` (a path like `/usr/sbin/dovecot`) from the peer prefix's
/// `/usr`, as an unprivileged user ([`unprivileged`]) in a mount namespace
/// where the prefix's `usr` is bound over `/usr`: servers that run helpers
/// and read files at paths compiled in (Dovecot's `/usr/bin/doveconf`,
/// `/usr/lib/dovecot/imap-login`) find the prefix's, and the host's
/// merged-/usr loader link (`/lib64` → `usr/lib64`) finds trixie's loader.
/// The user namespace keeps the capability to mount (`--keep-caps`); the
/// host's mounts are not touched.
fn in_prefix_usr(program: &str, args: &[String]) -> Command {
    let mut cmd = Command::new("/usr/bin/unshare");
    cmd.args([
        "--user",
        "--map-user=65534",
        "--map-group=65534",
        "--mount",
        "--keep-caps",
        "--",
        "/bin/sh",
        "-c",
        r#"mount --bind "$0/usr" /usr && exec "$@""#,
    ])
    .arg(peers_dir())
    .arg(program)
    .args(args);
    cmd
}

const PG_BIN: &str = "usr/lib/postgresql/17/bin";

/// PostgreSQL 17 from the peer prefix on a free loopback port, with `ssl`
/// on or off and a test certificate; no Unix socket.
fn postgres(ssl: bool) -> Server {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_cert(dir.path());
    // PostgreSQL refuses a key others can read.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let bin_dir = peers_dir().join(PG_BIN);
    let data = dir.path().join("data");
    let init = unprivileged(&bin_dir.join("initdb"))
        .args(["--no-sync", "-A", "trust", "-U", "postgres", "-D"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "initdb: {}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let child = unprivileged(&bin_dir.join("postgres"))
        .arg("-D")
        .arg(&data)
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(["-c", &format!("port={port}")])
        .args(["-c", "unix_socket_directories="])
        .args(["-c", &format!("ssl={}", if ssl { "on" } else { "off" })])
        .args(["-c", &format!("ssl_cert_file={}", cert.display())])
        .args(["-c", &format!("ssl_key_file={}", key.display())])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    Server {
        child,
        addr: format!("127.0.0.1:{port}").parse().unwrap(),
        dir,
    }
    .wait_listening()
}

/// Dovecot 2.4 from the peer prefix serving IMAP and POP3 (STARTTLS on
/// both) on free loopback ports, with a test certificate; returns the
/// server and the POP3 address (the server's is IMAP's).
fn dovecot() -> (Server, SocketAddr) {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_cert(dir.path());
    for sub in ["run", "state", "home"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    let (imap, pop3) = (free_port(), free_port());
    let d = dir.path().display();
    let config = format!(
        r#"dovecot_config_version = 2.4.1
dovecot_storage_version = 2.4.1
base_dir = {d}/run
state_dir = {d}/state
protocols = imap pop3
listen = 127.0.0.1
default_login_user = nobody
default_internal_user = nobody
default_internal_group = nogroup
log_path = {d}/server.log
ssl = yes
ssl_server_cert_file = {cert}
ssl_server_key_file = {key}
passdb static {{
  password = not-used
}}
userdb static {{
  fields {{
    uid = nobody
    gid = nogroup
    home = {d}/home
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"#,
        cert = cert.display(),
        key = key.display(),
    );
    let conf = dir.path().join("dovecot.conf");
    std::fs::write(&conf, config).unwrap();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    // -F: in the foreground, so that killing the child stops the server
    // (its processes exit with their master).
    let child = in_prefix_usr(
        "/usr/sbin/dovecot",
        &["-F".into(), "-c".into(), conf.display().to_string()],
    )
    .stdin(Stdio::null())
    .stdout(log.try_clone().unwrap())
    .stderr(log)
    .spawn()
    .unwrap();
    let server = Server {
        child,
        addr: format!("127.0.0.1:{imap}").parse().unwrap(),
        dir,
    }
    .wait_listening();
    (server, format!("127.0.0.1:{pop3}").parse().unwrap())
}

/// The group OpenSSL 3.5's `s_client -starttls PROTO` (its default groups)
/// negotiates with `addr`, in pqready's spelling.
fn openssl_group(proto: &str, addr: SocketAddr, extra: &[&str]) -> String {
    let out = Command::new(bin("openssl"))
        .args([
            "s_client",
            "-starttls",
            proto,
            "-connect",
            &addr.to_string(),
        ])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let group = text.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Negotiated TLS1.3 group: ")
            .map(str::to_string)
            .or_else(|| {
                l.trim()
                    .strip_prefix("Peer Temp Key: ")
                    .map(|k| k.split(", ").nth(1).unwrap_or(k).to_string())
            })
    });
    let group = group.unwrap_or_else(|| panic!("no group in s_client's output:\n{text}"));
    match group.as_str() {
        "prime256v1" => "secp256r1".into(),
        "X25519" => "x25519".into(),
        "X448" => "x448".into(),
        other => other.into(),
    }
}

/// `pqready probe TARGET -o json`: its one document (whatever the exit
/// status says of the target) and the wall time.
fn probe_json(target: &str) -> (serde_json::Value, Duration) {
    let started = Instant::now();
    let out = command::run(&["probe", target, "-o", "json"]);
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (serde_json::from_str(lines[0]).unwrap(), took)
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|g| g.as_str().unwrap().to_string())
        .collect()
}

/// Probes a real STARTTLS server and checks everything a TLS endpoint gets:
/// groups, versions, the handshake's group (the same as OpenSSL's client
/// negotiates), certificates, hello tolerance. Returns the document.
fn assert_audited(
    scheme: &str,
    proto: &str,
    addr: SocketAddr,
    groups: &[&str],
    log: impl Fn() -> String,
) -> serde_json::Value {
    let target = format!("{scheme}://{addr}");
    let (doc, took) = probe_json(&target);
    let context = || format!("{doc:#}\n{}", log());
    assert_eq!(doc["target"], target.as_str(), "{}", context());
    assert_eq!(doc["protocol"], scheme, "{}", context());
    assert!(doc["error"].is_null(), "{}", context());
    assert_eq!(
        strings(&doc["groups"]["supported"]),
        groups,
        "{}",
        context()
    );
    let negotiated = doc["handshake"]["negotiated_group"]
        .as_str()
        .unwrap_or_else(|| panic!("no handshake: {}", context()))
        .to_string();
    assert_eq!(negotiated, openssl_group(proto, addr, &[]), "{}", context());
    assert!(!strings(&doc["tls_versions"]).is_empty(), "{}", context());
    assert!(
        doc["certificates"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{}",
        context()
    );
    let connections = doc["connections"].as_u64().unwrap();
    // Measured for the issue's closing note (visible with --nocapture).
    eprintln!(
        "starttls::{scheme}: {connections} connections, pqready probe took {} ms (elapsed_ms {})",
        took.as_millis(),
        doc["elapsed_ms"]
    );
    doc
}

#[test]
fn postgres17_is_audited_after_its_sslrequest() {
    if !require(&["/usr/bin/unshare", "openssl", &format!("{PG_BIN}/postgres")]) {
        return;
    }
    let pg = postgres(true);
    // PostgreSQL 17 sets one curve (ssl_ecdh_curve, default prime256v1):
    // no post-quantum key exchange, whatever the OpenSSL underneath.
    let doc = assert_audited("postgres", "postgres", pg.addr, &["secp256r1"], || pg.log());
    assert_eq!(doc["handshake"]["negotiated_group"], "secp256r1");
    let kinds: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        kinds.iter().any(|k| k == "classical-key-exchange"),
        "{kinds:?}"
    );
    // The well-known port needs no scheme: the same preamble by port number
    // is covered by discover's unit tests (5432 is not free on loopback).
}

/// OpenSSL 3.5's default groups, as Dovecot leaves them, in pqready's
/// registry order (`groups.supported`).
const OPENSSL35_GROUPS: [&str; 8] = [
    "X25519MLKEM768",
    "x25519",
    "x448",
    "secp256r1",
    "secp384r1",
    "secp521r1",
    "ffdhe2048",
    "ffdhe3072",
];

#[test]
fn dovecot_imap_and_pop3_are_audited_after_starttls() {
    if !require(&["/usr/bin/unshare", "openssl", "usr/sbin/dovecot"]) {
        return;
    }
    let (dovecot, pop3) = dovecot();
    for (scheme, addr) in [("imap", dovecot.addr), ("pop3", pop3)] {
        let doc = assert_audited(scheme, scheme, addr, &OPENSSL35_GROUPS, || dovecot.log());
        assert_eq!(doc["handshake"]["negotiated_group"], "X25519MLKEM768");
        assert_eq!(doc["verdict"]["status"], "pq", "{doc:#}");
    }
}

#[test]
fn postgres_without_ssl_is_not_tls_in_its_own_words() {
    if !require(&["/usr/bin/unshare", &format!("{PG_BIN}/postgres")]) {
        return;
    }
    let pg = postgres(false);
    let target = format!("postgres://{}", pg.addr);
    let (doc, _) = probe_json(&target);
    assert_eq!(doc["error_kind"], "not-tls", "{doc:#}\n{}", pg.log());
    let error = doc["error"].as_str().unwrap();
    assert!(
        error.contains("the server refused postgres STARTTLS: the server does not accept SSL"),
        "{error}"
    );
    // The first connection's refusal ends the probe.
    assert_eq!(doc["connections"], 1, "{doc:#}");
}

// ---- broken peers ------------------------------------------------------------------

async fn probe_as(
    addr: SocketAddr,
    protocol: Protocol,
    timeout: Duration,
) -> pqready::report::TargetReport {
    let target = loopback::target(addr, None).speaking(protocol);
    pqready::scan::scan_one(&target, &loopback::config(timeout)).await
}

/// Models an SMTP server that accepts the connection and never greets (a
/// tarpit, or a firewall holding the connection).
#[tokio::test]
async fn a_silent_server_times_out_without_hanging() {
    let addr = broken_server(|mut s| async move {
        let mut buf = [0u8; 1024];
        while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
    let started = Instant::now();
    let r = probe_as(addr, Protocol::Smtp, Duration::from_millis(300)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::Timeout), "{:?}", r.error);
    assert_eq!(r.observed.protocol, Protocol::Smtp);
    assert_eq!(r.target, format!("smtp://{addr}"));
    // One step's deadline, not one per check: the first failure ends it.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Models a port that speaks something else (an HTTP server on the IMAP
/// port).
#[tokio::test]
async fn a_server_answering_garbage_is_not_tls() {
    let addr = broken_server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await;
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
    })
    .await;
    let r = probe_as(addr, Protocol::Imap, Duration::from_secs(2)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::NotTls), "{:?}", r.error);
    let error = r.error.unwrap();
    assert!(
        error.contains(
            "the server does not speak imap: not an IMAP greeting: HTTP/1.1 400 Bad Request"
        ),
        "{error}"
    );
}

/// Models a POP3 server that says yes to STLS and then hangs up (a broken
/// TLS setup behind a working plaintext side).
#[tokio::test]
async fn a_server_closing_after_the_go_ahead_is_not_tls() {
    let addr = broken_server(|mut s| async move {
        let _ = s.write_all(b"+OK POP3 ready\r\n").await;
        let mut buf = [0u8; 64];
        let mut got = Vec::new();
        while !got.ends_with(b"STLS\r\n") {
            match s.read(&mut buf).await {
                Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
                _ => return,
            }
        }
        let _ = s.write_all(b"+OK Begin TLS negotiation\r\n").await;
    })
    .await;
    let r = probe_as(addr, Protocol::Pop3, Duration::from_secs(2)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::NotTls), "{:?}", r.error);
    assert!(r.observed.connections >= 1);
    assert!(!r.observed.spoke_tls());
}

/// Models an SMTP server that lists STARTTLS but cannot start it (no
/// certificate configured): its 454 is the detail.
#[tokio::test]
async fn a_server_refusing_starttls_is_not_tls_in_its_own_words() {
    let addr = broken_server(|mut s| async move {
        let _ = s.write_all(b"220 mx.example ESMTP\r\n").await;
        let mut buf = [0u8; 256];
        let mut got = Vec::new();
        loop {
            let n = match s.read(&mut buf).await {
                Ok(n) if n > 0 => n,
                _ => return,
            };
            got.extend_from_slice(&buf[..n]);
            if got.ends_with(b"\r\n") {
                let line = String::from_utf8_lossy(&got).to_string();
                got.clear();
                let answer: &[u8] = if line.starts_with("EHLO") {
                    b"250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
                } else {
                    b"454 4.7.0 TLS not available due to local problem\r\n"
                };
                let _ = s.write_all(answer).await;
            }
        }
    })
    .await;
    let r = probe_as(addr, Protocol::Smtp, Duration::from_secs(2)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::NotTls), "{:?}", r.error);
    assert_eq!(
        r.error.as_deref(),
        Some("the server refused smtp STARTTLS: 454 4.7.0 TLS not available due to local problem")
    );
    assert_eq!(r.observed.connections, 1);
}
