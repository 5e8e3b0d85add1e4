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
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    /// SIGTERM first, so that servers with helper processes (Postfix's
    /// smtpd, Dovecot's logins, PostgreSQL's backends) stop and reap them;
    /// SIGKILL if it has not exited within five seconds.
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid, which it still holds
        // (not reaped yet).
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub(crate) fn log(&self) -> String {
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

/// `program` (a path like `/usr/sbin/dovecot`) from the peer prefix's
/// `/usr`, in a mount namespace where the prefix's `usr` is bound over
/// `/usr`: servers that run helpers and read files at paths compiled in
/// (Dovecot's `/usr/bin/doveconf`, `/usr/lib/dovecot/imap-login`, initdb's
/// postgres) find the prefix's, and the host's merged-/usr loader link
/// (`/lib64` → `usr/lib64`) finds trixie's loader. The host's mounts are not
/// touched.
///
/// The servers run as an unprivileged user without changing user: in a new
/// user namespace that maps the test's own user (root, under scripts/test)
/// to `nobody`, keeping the capability to mount (`--keep-caps`). Servers that
/// refuse root (PostgreSQL) then see an ordinary user that owns the files
/// the test made, and the prefix under /root (mode 0700) stays readable,
/// which a real switch to `nobody` would lose. Postfix's master insists on
/// being root: `as_root` keeps the test's own (root) user and only adds the
/// mount namespace.
fn in_prefix_usr(program: &str, args: &[String], as_root: bool) -> Command {
    let mut cmd = Command::new("/usr/bin/unshare");
    match as_root {
        true => cmd.args(["--mount"]),
        false => cmd.args([
            "--user",
            "--map-user=65534",
            "--map-group=65534",
            "--mount",
            "--keep-caps",
        ]),
    };
    cmd.args([
        "--",
        "/bin/sh",
        "-c",
        r#"mount -t overlay overlay -o "lowerdir=$0/usr:/usr" /usr && exec "$@""#,
    ])
    .arg(peers_dir())
    .arg(program)
    .args(args);
    cmd
}

/// Starts `program args` from the prefix ([`in_prefix_usr`]) with its output
/// in `dir`/server.log and waits until it listens on `port`.
fn serve(
    dir: tempfile::TempDir,
    port: u16,
    program: &str,
    args: &[String],
    as_root: bool,
) -> Server {
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let child = in_prefix_usr(program, args, as_root)
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

fn path(p: &Path) -> String {
    p.display().to_string()
}

pub(crate) const PG_BIN: &str = "usr/lib/postgresql/17/bin";

/// PostgreSQL 17 from the peer prefix on a free loopback port, with `ssl`
/// on or off and a test certificate; no Unix socket.
pub(crate) fn postgres(ssl: bool) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_cert(dir.path());
    postgres_in(dir, &cert, &key, ssl)
}

/// PostgreSQL 17 serving `setup`'s certificate and key (any key OpenSSL
/// 3.5 loads, ML-DSA included).
fn postgres_serving(setup: crate::support::peers::Setup) -> Server {
    let (cert, key) = (setup.cert.clone(), setup.key.clone());
    postgres_in(setup.dir, &cert, &key, true)
}

fn postgres_in(dir: tempfile::TempDir, cert: &Path, key: &Path, ssl: bool) -> Server {
    let port = free_port();
    let args = postgres_args(&dir, cert, key, ssl, port);
    serve(dir, port, &format!("/{PG_BIN}/postgres"), &args, false)
}

/// A fresh data directory in `dir` (initdb) and the arguments that start
/// PostgreSQL on it, listening on 127.0.0.1:`port`.
fn postgres_args(
    dir: &tempfile::TempDir,
    cert: &Path,
    key: &Path,
    ssl: bool,
    port: u16,
) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt as _;
    // PostgreSQL refuses a key others can read.
    std::fs::set_permissions(key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let data = path(&dir.path().join("data"));
    let init = in_prefix_usr(
        &format!("/{PG_BIN}/initdb"),
        &["--no-sync", "-A", "trust", "-U", "postgres", "-D", &data].map(String::from),
        false,
    )
    .output()
    .unwrap();
    assert!(
        init.status.success(),
        "initdb: {}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );
    let mut args = vec!["-D".to_string(), data];
    for setting in [
        "listen_addresses=127.0.0.1".to_string(),
        format!("port={port}"),
        "unix_socket_directories=".into(),
        format!("ssl={}", if ssl { "on" } else { "off" }),
        format!("ssl_cert_file={}", path(cert)),
        format!("ssl_key_file={}", path(key)),
    ] {
        args.extend(["-c".to_string(), setting]);
    }
    args
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
    // -F: in the foreground, so that killing the child stops the server
    // (its processes exit with their master).
    let server = serve(
        dir,
        imap,
        "/usr/sbin/dovecot",
        &["-F".into(), "-c".into(), path(&conf)],
        false,
    );
    (server, format!("127.0.0.1:{pop3}").parse().unwrap())
}

/// OpenLDAP's slapd from the peer prefix, with no database (the StartTLS
/// operation needs none), on a free loopback port.
pub(crate) fn slapd() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_cert(dir.path());
    let port = free_port();
    let conf = dir.path().join("slapd.conf");
    std::fs::write(
        &conf,
        format!(
            "pidfile {}\nTLSCertificateFile {}\nTLSCertificateKeyFile {}\n",
            path(&dir.path().join("slapd.pid")),
            path(&cert),
            path(&key)
        ),
    )
    .unwrap();
    // -d 0: in the foreground, logging nothing.
    let args = [
        "-d",
        "0",
        "-f",
        &path(&conf),
        "-h",
        &format!("ldap://127.0.0.1:{port}/"),
    ];
    serve(dir, port, "/usr/sbin/slapd", &args.map(String::from), false)
}

/// MariaDB from the peer prefix with TLS, on a free loopback port: an empty
/// data directory and no grant tables are enough to greet and start TLS.
fn mariadb() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_cert(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let port = free_port();
    let d = dir.path();
    let args = [
        "--no-defaults".to_string(),
        format!("--datadir={}", path(&data)),
        "--bind-address=127.0.0.1".into(),
        format!("--port={port}"),
        format!("--socket={}", path(&d.join("mariadb.sock"))),
        format!("--pid-file={}", path(&d.join("mariadb.pid"))),
        "--skip-grant-tables".into(),
        format!("--ssl-cert={}", path(&cert)),
        format!("--ssl-key={}", path(&key)),
    ];
    serve(dir, port, "/usr/sbin/mariadbd", &args, false)
}

/// Prosody from the peer prefix: client connections on a free loopback
/// port for the domain `localhost`, STARTTLS offered.
fn prosody() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_cert(dir.path());
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let port = free_port();
    let d = path(dir.path());
    let conf = dir.path().join("prosody.cfg.lua");
    std::fs::write(
        &conf,
        format!(
            r#"pidfile = "{d}/prosody.pid"
data_path = "{d}/data"
log = {{ info = "{d}/prosody.log" }}
c2s_ports = {{ {port} }}
c2s_interfaces = {{ "127.0.0.1" }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
modules_enabled = {{ "tls", "saslauth", "disco" }}
modules_disabled = {{ "s2s", "http", "posix" }}
VirtualHost "localhost"
  ssl = {{ certificate = "{cert}", key = "{key}" }}
"#,
            cert = path(&cert),
            key = path(&key)
        ),
    )
    .unwrap();
    let args = [
        "/usr/bin/prosody".to_string(),
        "--config".into(),
        path(&conf),
    ];
    serve(dir, port, "/usr/bin/lua5.4", &args, false)
}

/// vsftpd from the peer prefix with explicit TLS (AUTH TLS), standalone in
/// the foreground as the launching user, on a free loopback port.
fn vsftpd() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_cert(dir.path());
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let port = free_port();
    let conf = dir.path().join("vsftpd.conf");
    std::fs::write(
        &conf,
        format!(
            "listen=YES\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n\
             run_as_launching_user=YES\nanonymous_enable=NO\nlocal_enable=YES\n\
             ssl_enable=YES\nrsa_cert_file={}\nrsa_private_key_file={}\n\
             secure_chroot_dir={}\nseccomp_sandbox=NO\nxferlog_enable=NO\n",
            path(&cert),
            path(&key),
            path(&empty)
        ),
    )
    .unwrap();
    serve(dir, port, "/usr/sbin/vsftpd", &[path(&conf)], false)
}

/// Postfix's master from the peer prefix running one smtpd with
/// opportunistic TLS on a free loopback port, as root (it insists) in a
/// mount namespace. Its processes run as Debian's `mail` user (uid 8; Postfix
/// wants a mail owner of its own, not `nobody`, its default_privs) with
/// `staff` as the setgid group, both in every Debian base system; the log
/// goes to `server.log` (there is no syslog here).
fn postfix() -> Server {
    use std::os::unix::fs::PermissionsExt as _;
    const MAIL_UID: u32 = 8;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (cert, key) = write_cert(dir.path());
    let d = dir.path();
    for sub in [
        "conf",
        "queue",
        "queue/pid",
        "queue/public",
        "queue/private",
        "data",
    ] {
        std::fs::create_dir(d.join(sub)).unwrap();
    }
    for owned in [
        "queue",
        "queue/pid",
        "queue/public",
        "queue/private",
        "data",
    ] {
        std::os::unix::fs::chown(d.join(owned), Some(MAIL_UID), None).unwrap();
    }
    let port = free_port();
    std::fs::write(
        d.join("conf/main.cf"),
        format!(
            "compatibility_level = 3.6\nqueue_directory = {q}\ndata_directory = {data}\n\
             mail_owner = mail\nsetgid_group = staff\ninet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\nmyhostname = localhost\nmydestination =\n\
             local_recipient_maps =\nalias_maps =\nalias_database =\n\
             maillog_file = {d}/server.log\nmaillog_file_prefixes = {d}\n\
             smtpd_tls_cert_file = {cert}\nsmtpd_tls_key_file = {key}\n\
             smtpd_tls_security_level = may\n",
            q = path(&d.join("queue")),
            data = path(&d.join("data")),
            d = path(d),
            cert = path(&cert),
            key = path(&key)
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("conf/master.cf"),
        format!(
            "127.0.0.1:{port} inet n - n - - smtpd\n\
             postlog unix-dgram n - n - 1 postlogd\n\
             proxymap unix - - n - - proxymap\n\
             tlsmgr unix - - n 1000? 1 tlsmgr\n\
             anvil unix - - n - 1 anvil\n"
        ),
    )
    .unwrap();
    // -d: in the foreground.
    let args = ["-c".to_string(), path(&d.join("conf")), "-d".into()];
    serve(dir, port, "/usr/lib/postfix/sbin/master", &args, true)
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
                l.trim().strip_prefix("Peer Temp Key: ").map(|k| {
                    // "ECDH, prime256v1, 256 bits" or "X25519, 253 bits".
                    let parts: Vec<&str> = k.split(", ").collect();
                    match parts[0] {
                        "ECDH" | "DH" => parts.get(1).unwrap_or(&k).to_string(),
                        first => first.to_string(),
                    }
                })
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
    s_client: &[&str],
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
    assert_eq!(
        negotiated,
        openssl_group(proto, addr, s_client),
        "{}",
        context()
    );
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
    let doc = assert_audited("postgres", "postgres", pg.addr, &["secp256r1"], &[], || {
        pg.log()
    });
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

#[test]
fn postgres_with_an_mldsa_certificate_authenticates_post_quantum_after_starttls() {
    if !require(&["/usr/bin/unshare", "openssl", &format!("{PG_BIN}/postgres")]) {
        return;
    }
    // The ML-DSA handshakes of the certificates check run after the
    // SSLRequest like every other connection.
    let pg = postgres_serving(crate::support::peers::self_signed_setup("mldsa65"));
    let (doc, _) = probe_json(&format!("postgres://{}", pg.addr));
    let context = || format!("{doc:#}\n{}", pg.log());
    assert!(doc["error"].is_null(), "{}", context());
    let auth = &doc["authentication"];
    assert_eq!(auth["mldsa"], true, "{}", context());
    assert_eq!(auth["schemes"][0], "mldsa65", "{}", context());
    assert_eq!(auth["classical"], false, "{}", context());
    let leaf = &doc["certificates"][0];
    assert_eq!(leaf["key_algorithm"], "ML-DSA-65", "{}", context());
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(ids.contains(&"no-classical-authentication"), "{ids:?}");
}

/// Written for this test, to model the tldr.fail bug behind a STARTTLS
/// protocol: a PostgreSQL-aware proxy that relays the SSLRequest and its
/// answer, then reads the ClientHello in one `read()` and drops the
/// connection when that read did not return all of it.
async fn single_read_postgres_proxy(backend: SocketAddr) -> SocketAddr {
    use tokio::net::{TcpListener, TcpStream as AsyncTcp};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 8];
                let Ok(mut server) = AsyncTcp::connect(backend).await else {
                    return;
                };
                if client.read_exact(&mut request).await.is_err()
                    || server.write_all(&request).await.is_err()
                {
                    return;
                }
                let mut answer = [0u8; 1];
                if server.read_exact(&mut answer).await.is_err()
                    || client.write_all(&answer).await.is_err()
                {
                    return;
                }
                let mut hello = vec![0u8; 16 * 1024];
                let Ok(n) = client.read(&mut hello).await else {
                    return;
                };
                if !crate::tolerance::complete_hello(&hello[..n]) {
                    return;
                }
                if server.write_all(&hello[..n]).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_proxy_reading_the_hello_in_one_read_after_starttls_is_intolerant() {
    if !require(&["/usr/bin/unshare", &format!("{PG_BIN}/postgres")]) {
        return;
    }
    let pg = postgres(true);
    let proxy = single_read_postgres_proxy(pg.addr).await;
    let mut target = loopback::target(proxy, None);
    target.protocol = Protocol::Postgres;
    let r = pqready::scan::scan_one(&target, &loopback::config(Duration::from_secs(5))).await;
    assert_eq!(r.error, None, "{r:?}");
    let t = r
        .assessed
        .hello_tolerance
        .as_ref()
        .expect("tolerance judged");
    assert_eq!(t.verdict.name(), "intolerant", "{t:?}");
    let outcomes: Vec<(&str, &str)> = t
        .variants
        .iter()
        .map(|v| (v.observed.name.name(), v.outcome.name()))
        .collect();
    // The split hello is cut; the others arrive in one read on loopback.
    assert!(
        outcomes.contains(&("control", "ok")) && outcomes.contains(&("pq-one-segment", "ok")),
        "{outcomes:?}"
    );
    let split = outcomes
        .iter()
        .find(|(name, _)| *name == "pq-split-segments")
        .unwrap();
    assert_ne!(split.1, "ok", "{outcomes:?}");
    assert!(
        r.assessed
            .findings
            .iter()
            .any(|f| f.id.name() == "hello-intolerance"),
        "{:?}",
        r.assessed.findings
    );
    // The same server without the proxy is tolerant.
    let mut direct = loopback::target(pg.addr, None);
    direct.protocol = Protocol::Postgres;
    let r = pqready::scan::scan_one(&direct, &loopback::config(Duration::from_secs(5))).await;
    let t = r
        .assessed
        .hello_tolerance
        .as_ref()
        .expect("tolerance judged");
    assert_eq!(t.verdict.name(), "tolerant", "{t:?}");
}

/// A bare `HOST:5432` (no scheme, no flag) is PostgreSQL: its well-known
/// port picks the SSLRequest. Port 5432 may be taken on the host's
/// loopback, so PostgreSQL and pqready both run in a network namespace of
/// this test's own (with its own loopback), PostgreSQL from the prefix as
/// in [`in_prefix_usr`]; the server's "ready" log line, not a delay, says
/// when to probe.
#[test]
fn a_bare_well_known_port_speaks_its_protocol() {
    if !require(&[
        "/usr/bin/unshare",
        "/usr/sbin/ip",
        &format!("{PG_BIN}/postgres"),
    ]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = write_cert(dir.path());
    let args = postgres_args(&dir, &cert, &key, true, 5432);
    let log = dir.path().join("server.log");
    let script = r#"
        /usr/sbin/ip link set lo up || exit 101
        mount -t overlay overlay -o "lowerdir=$1/usr:/usr" /usr || exit 102
        pqready=$2; log=$3; shift 3
        "$@" >"$log" 2>&1 &
        server=$!
        n=0
        until grep -q "ready to accept connections" "$log"; do
            n=$((n + 1)); [ $n -gt 600 ] && { kill $server; exit 103; }
            kill -0 $server 2>/dev/null || exit 104
            sleep 0.05
        done
        "$pqready" probe 127.0.0.1:5432 -o json
        status=$?
        kill $server; wait $server
        exit $status
    "#;
    let out = Command::new("/usr/bin/unshare")
        .args([
            "--user",
            "--map-user=65534",
            "--map-group=65534",
            "--mount",
            "--net",
            "--keep-caps",
            "--",
            "/bin/sh",
            "-c",
            script,
            "sh",
        ])
        .arg(peers_dir())
        .arg(env!("CARGO_BIN_EXE_pqready"))
        .arg(&log)
        .arg(format!("/{PG_BIN}/postgres"))
        .args(&args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let server_log = std::fs::read_to_string(&log).unwrap_or_default();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e} (exit {:?}): {}\n{}\n{server_log}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(doc["protocol"], "postgres", "{doc:#}\n{server_log}");
    assert_eq!(doc["target"], "postgres://127.0.0.1:5432", "{doc:#}");
    assert!(doc["error"].is_null(), "{doc:#}\n{server_log}");
    assert_eq!(doc["handshake"]["negotiated_group"], "secp256r1", "{doc:#}");
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
        let doc = assert_audited(scheme, scheme, addr, &OPENSSL35_GROUPS, &[], || {
            dovecot.log()
        });
        assert_eq!(doc["handshake"]["negotiated_group"], "X25519MLKEM768");
        assert_eq!(doc["verdict"]["status"], "pq", "{doc:#}");
    }
}

#[test]
fn slapd_is_audited_after_the_starttls_operation() {
    if !require(&["/usr/bin/unshare", "openssl", "usr/sbin/slapd"]) {
        return;
    }
    let ldap = slapd();
    let doc = assert_audited("ldap", "ldap", ldap.addr, &OPENSSL35_GROUPS, &[], || {
        ldap.log()
    });
    assert_eq!(doc["handshake"]["negotiated_group"], "X25519MLKEM768");
}

#[test]
fn mariadb_is_audited_after_its_ssl_request() {
    if !require(&["/usr/bin/unshare", "openssl", "usr/sbin/mariadbd"]) {
        return;
    }
    let db = mariadb();
    let doc = assert_audited("mysql", "mysql", db.addr, &OPENSSL35_GROUPS, &[], || {
        db.log()
    });
    assert_eq!(doc["handshake"]["negotiated_group"], "X25519MLKEM768");
}

#[test]
fn prosody_is_audited_after_starttls_in_the_stream() {
    if !require(&["/usr/bin/unshare", "openssl", "usr/bin/prosody"]) {
        return;
    }
    let xmpp = prosody();
    // The stream is addressed to the domain the server hosts (the SNI).
    let target = format!("xmpp://{}", xmpp.addr);
    let out = command::run(&["probe", &target, "--sni", "localhost", "-o", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    // Prosody (LuaSec) sets its own classical curves, client order.
    assert_eq!(
        strings(&doc["groups"]["supported"]),
        ["x25519", "secp256r1", "secp384r1"],
        "{doc:#}\n{}",
        xmpp.log()
    );
    let openssl = openssl_group("xmpp", xmpp.addr, &["-xmpphost", "localhost"]);
    assert_eq!(
        doc["handshake"]["negotiated_group"],
        openssl.as_str(),
        "{doc:#}"
    );
    assert_eq!(openssl, "x25519");
    eprintln!(
        "starttls::xmpp: {} connections, elapsed_ms {}",
        doc["connections"], doc["elapsed_ms"]
    );
    // Another domain gets the server's stream error as the detail.
    let out = command::run(&["probe", &target, "--sni", "elsewhere.example", "-o", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error_kind"], "not-tls", "{doc:#}");
    assert!(
        doc["error"].as_str().unwrap().contains("host-unknown"),
        "{doc:#}"
    );
    // By IP alone the stream names no domain Prosody hosts: the error
    // says how to name one.
    let (doc, _) = probe_json(&target);
    assert_eq!(doc["error_kind"], "not-tls", "{doc:#}");
    let error = doc["error"].as_str().unwrap();
    assert!(
        error.contains("host-unknown") && error.contains("--sni"),
        "{error}"
    );
}

#[test]
fn vsftpd_is_audited_after_auth_tls() {
    if !require(&["/usr/bin/unshare", "openssl", "usr/sbin/vsftpd"]) {
        return;
    }
    let ftp = vsftpd();
    // vsftpd sets one curve (P-256) itself.
    let doc = assert_audited("ftp", "ftp", ftp.addr, &["secp256r1"], &[], || ftp.log());
    assert_eq!(doc["handshake"]["negotiated_group"], "secp256r1");
}

#[test]
fn postfix_is_audited_after_ehlo_and_starttls() {
    if !require(&["/usr/bin/unshare", "openssl", "usr/lib/postfix/sbin/master"]) {
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        // Postfix's master runs only as root; scripts/test runs as root.
        assert!(
            std::env::var("PQREADY_REQUIRE_PEERS").as_deref() != Ok("1"),
            "postfix needs root"
        );
        return;
    }
    let smtp = postfix();
    // Postfix 3.10 sets its own groups (tls_eecdh_auto_curves,
    // tls_ffdhe_auto_groups): none post-quantum.
    let groups = [
        "x25519",
        "x448",
        "secp256r1",
        "secp384r1",
        "secp521r1",
        "ffdhe2048",
        "ffdhe3072",
    ];
    let doc = assert_audited("smtp", "smtp", smtp.addr, &groups, &[], || smtp.log());
    assert_eq!(doc["handshake"]["negotiated_group"], "x25519");
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

/// What a scripted server of `protocol` says, to the point where it agrees
/// to TLS: its greeting (for protocols where the server speaks first), then
/// one reply after each message of the client.
fn go_ahead_script(protocol: Protocol) -> (&'static [u8], Vec<&'static [u8]>) {
    const MYSQL_GREETING: &[u8] = b"\x3c\0\0\0\x0a11.8.3-MariaDB\0\x07\0\0\0abcdefgh\0\xfe\xff\x2d\x02\0\xff\x81\x15\0\0\0\0\0\0\0\0\0\0ijklmnopqrst\0";
    const LDAP_OK: &[u8] = b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00";
    match protocol {
        Protocol::Postgres => (b"", vec![b"S"]),
        Protocol::Mysql => (MYSQL_GREETING, vec![]),
        Protocol::Smtp => (
            b"220 mx ESMTP\r\n",
            vec![b"250-mx\r\n250 STARTTLS\r\n", b"220 2.0.0 go ahead\r\n"],
        ),
        Protocol::Imap => (b"* OK ready\r\n", vec![b"a OK begin TLS\r\n"]),
        Protocol::Pop3 => (b"+OK ready\r\n", vec![b"+OK begin TLS\r\n"]),
        Protocol::Ldap => (b"", vec![LDAP_OK]),
        Protocol::Xmpp => (
            b"",
            vec![
                b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
                b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
            ],
        ),
        Protocol::Ftp => (b"220 ftp ready\r\n", vec![b"234 AUTH TLS ok\r\n"]),
        other => panic!("{other} has no preamble"),
    }
}

const STARTTLS_PROTOCOLS: [Protocol; 8] = [
    Protocol::Postgres,
    Protocol::Mysql,
    Protocol::Smtp,
    Protocol::Imap,
    Protocol::Pop3,
    Protocol::Ldap,
    Protocol::Xmpp,
    Protocol::Ftp,
];

/// Models, for every protocol, a server that agrees to STARTTLS and then
/// hangs up when the ClientHello comes (a TLS side that is not set up):
/// the plaintext goes through, and the target is not TLS.
#[tokio::test]
async fn every_preamble_reaches_tls_and_a_closing_server_is_not_tls() {
    for protocol in STARTTLS_PROTOCOLS {
        let (greeting, replies) = go_ahead_script(protocol);
        let addr = broken_server(move |mut s| {
            let replies = replies.clone();
            async move {
                let _ = s.write_all(greeting).await;
                let mut buf = [0u8; 4096];
                for reply in replies {
                    if !matches!(s.read(&mut buf).await, Ok(n) if n > 0) {
                        return;
                    }
                    let _ = s.write_all(reply).await;
                }
                // The ClientHello (or, for MySQL, the SSL request first).
                let _ = s.read(&mut buf).await;
            }
        })
        .await;
        let r = probe_as(addr, protocol, Duration::from_secs(2)).await;
        assert_eq!(
            r.error_kind,
            Some(ErrorKind::NotTls),
            "{protocol}: {:?}",
            r.error
        );
        let error = r.error.clone().unwrap();
        // Past the preamble: the failure is TLS's, not the preamble's.
        assert!(
            !error.contains("STARTTLS") && !error.contains("does not speak"),
            "{protocol}: {error}"
        );
        assert_eq!(r.target, format!("{protocol}://{addr}"));
    }
}

/// Models, for every protocol, a port where something else answers with
/// bytes no such server sends.
#[tokio::test]
async fn every_preamble_calls_garbage_not_tls() {
    for protocol in STARTTLS_PROTOCOLS {
        let addr = broken_server(|mut s| async move {
            let _ = s.write_all(b"\xff\xfe\x00 no protocol at all\r\n").await;
            let mut buf = [0u8; 1024];
            while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
        })
        .await;
        let r = probe_as(addr, protocol, Duration::from_secs(2)).await;
        assert_eq!(
            r.error_kind,
            Some(ErrorKind::NotTls),
            "{protocol}: {:?}",
            r.error
        );
        let error = r.error.unwrap();
        assert!(
            error.starts_with(&format!("the server does not speak {protocol}: ")),
            "{protocol}: {error}"
        );
        assert_eq!(r.observed.connections, 1, "{protocol}");
    }
}

/// Models, for every protocol, a server that takes the connection and never
/// says a word (nor answers the client's first message).
#[tokio::test]
async fn every_preamble_times_out_on_a_silent_server() {
    for protocol in STARTTLS_PROTOCOLS {
        let addr = broken_server(|mut s| async move {
            let mut buf = [0u8; 1024];
            while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
        })
        .await;
        let started = Instant::now();
        let r = probe_as(addr, protocol, Duration::from_millis(200)).await;
        assert_eq!(
            r.error_kind,
            Some(ErrorKind::Timeout),
            "{protocol}: {:?}",
            r.error
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{protocol}");
    }
}
