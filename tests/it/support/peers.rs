//! Real TLS peers for tests and benchmarks: start a server from the peer
//! prefix (`scripts/install-peers`) on a free loopback port, wait until it
//! listens, and kill it when dropped; and [`require`], which every
//! host-dependent test calls first so that a machine without the peers skips
//! it with one line (or, under `scripts/test`, fails). Shared by the tests
//! and benches/probe.rs.
#![allow(dead_code)] // each user compiles this file and uses part of it

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The peer prefix: `$PQREADY_PEERS_DIR`, default `~/.cache/pqready/peers`.
/// It may be missing; [`require`] says so.
pub fn peers_dir() -> PathBuf {
    std::env::var_os("PQREADY_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/pqready/peers")
        })
}

/// A program of the peer prefix (`bin/NAME`).
pub fn bin(name: &str) -> PathBuf {
    peers_dir().join("bin").join(name)
}

/// The directory holding `kubectl.1.NN`: where the `kubectl` on PATH really
/// lives (the machine image ships every build next to its dispatcher).
pub fn kubectl_dir() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let kubectl = std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())?;
    let real = std::fs::canonicalize(&kubectl).unwrap_or(kubectl);
    real.parent().map(Path::to_path_buf)
}

/// Set to 1 (scripts/test does) to make [`require`] fail instead of skip.
pub const REQUIRE_PEERS: &str = "PQREADY_REQUIRE_PEERS";

/// Checks that everything a host-dependent test needs is on the machine.
/// Each item of `what` is
/// - `kubectl.1.NN`: that kubectl build next to the `kubectl` on PATH;
/// - an absolute path: a host program (`/usr/bin/curl`);
/// - a relative path with a `/`: a file of the peer prefix (`usr/bin/etcd`);
/// - anything else: a program in the peer prefix's `bin/` (`openssl`,
///   `nginx`, `go1.26`, `goserver-1.24`).
///
/// Returns true when all are there. Otherwise it writes one line to stderr
/// (past the test harness's capture, so it shows in a passing run), e.g.
/// `skipping interop::nginx_with_openssl35_defaults: peer 'nginx' not
/// installed in ~/.cache/pqready/peers (run scripts/install-peers, or
/// scripts/test)`, and returns false: the test returns early. With
/// `PQREADY_REQUIRE_PEERS=1` it panics with that reason instead.
pub fn require(what: &[&str]) -> bool {
    let Some(reason) = missing(what) else {
        return true;
    };
    let test = test_name();
    if std::env::var(REQUIRE_PEERS).as_deref() == Ok("1") {
        panic!("{test}: {reason} [{REQUIRE_PEERS}=1]");
    }
    // One write, so the line does not interleave with the harness's output.
    let line = format!("skipping {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    false
}

/// Why `what` is not all there, in one line; `None` when it is.
fn missing(what: &[&str]) -> Option<String> {
    let (mut peers, mut kubectl, mut host) = (Vec::new(), Vec::new(), Vec::new());
    let sdk = kubectl_dir();
    for (i, &item) in what.iter().enumerate() {
        if what[..i].contains(&item) {
            continue; // listed twice
        }
        if item.starts_with("kubectl.") {
            if !sdk.as_ref().is_some_and(|d| d.join(item).is_file()) {
                kubectl.push(item);
            }
        } else if item.starts_with('/') {
            if !Path::new(item).is_file() {
                host.push(item);
            }
        } else {
            let path = if item.contains('/') {
                peers_dir().join(item)
            } else {
                bin(item)
            };
            if !path.exists() {
                peers.push(item);
            }
        }
    }
    let quoted = |items: &[&str]| {
        items
            .iter()
            .map(|i| format!("'{i}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let plural = |items: &[&str], one: &str, many: &str| {
        if items.len() == 1 { one } else { many }.to_string()
    };
    let mut reasons = Vec::new();
    if !peers.is_empty() {
        reasons.push(format!(
            "{} {} not installed in {} (run scripts/install-peers, or scripts/test)",
            plural(&peers, "peer", "peers"),
            quoted(&peers),
            peers_dir().display()
        ));
    }
    if !kubectl.is_empty() {
        let place = match &sdk {
            Some(dir) => format!(
                "not found in {}, next to the kubectl on PATH",
                dir.display()
            ),
            None => "not found: no kubectl on PATH".to_string(),
        };
        reasons.push(format!(
            "{} {} {place} (the builds come with the machine image)",
            plural(&kubectl, "kubectl build", "kubectl builds"),
            quoted(&kubectl)
        ));
    }
    if !host.is_empty() {
        reasons.push(format!(
            "{} {} not found",
            plural(&host, "host program", "host programs"),
            quoted(&host)
        ));
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// `crate::test` for the running test (the harness names each test's thread).
fn test_name() -> String {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("?");
    format!("{}::{name}", env!("CARGO_CRATE_NAME"))
}

/// A loopback port nothing listens on, never handed out twice in this
/// process (parallel tests would otherwise race for the same port).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A loopback port where connections are refused for as long as this is
/// held: a TCP socket bound to it and never listening. Unlike a port bound
/// and released, no other test's listener can take it in the meantime.
pub struct RefusingPort {
    /// Held only to keep the port; closed when dropped.
    _socket: std::os::fd::OwnedFd,
    /// Connecting here is refused.
    pub addr: SocketAddr,
}

impl RefusingPort {
    pub fn new() -> Self {
        use std::os::fd::FromRawFd;
        // SAFETY: plain socket calls on a descriptor this function owns;
        // the sockaddr structures are fully initialised before use.
        unsafe {
            let raw = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            assert!(raw >= 0, "socket: {}", std::io::Error::last_os_error());
            let fd = std::os::fd::OwnedFd::from_raw_fd(raw);
            let mut sin: libc::sockaddr_in = std::mem::zeroed();
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let bound = libc::bind(raw, (&sin as *const libc::sockaddr_in).cast(), len);
            assert_eq!(bound, 0, "bind: {}", std::io::Error::last_os_error());
            let mut got = len;
            let named =
                libc::getsockname(raw, (&mut sin as *mut libc::sockaddr_in).cast(), &mut got);
            assert_eq!(named, 0, "getsockname: {}", std::io::Error::last_os_error());
            let addr =
                SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, u16::from_be(sin.sin_port)));
            RefusingPort { _socket: fd, addr }
        }
    }
}

impl Default for RefusingPort {
    fn default() -> Self {
        Self::new()
    }
}

/// A running peer process; killed when dropped.
pub struct Peer {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// A file of its working directory (its certificate: `cert.pem` from
    /// [`Setup::new`], `server.crt` from [`self_signed_setup`]).
    #[allow(dead_code)]
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("peer.log")).unwrap_or_default()
    }
}

/// Writes a self-signed ECDSA P-256 certificate for localhost/127.0.0.1.
pub fn write_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.cert.pem()).unwrap();
    std::fs::write(&k, cert.signing_key.serialize_pem()).unwrap();
    (c, k)
}

/// A peer's working directory, port and certificate, before it starts.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Setup {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = write_cert(dir.path());
        Setup {
            dir,
            port: free_port(),
            cert,
            key,
        }
    }

    /// Replaces {port}, {cert}, {key} and {dir} in `text`.
    pub fn fill(&self, text: &str) -> String {
        text.replace("{port}", &self.port.to_string())
            .replace("{cert}", self.cert.to_str().unwrap())
            .replace("{key}", self.key.to_str().unwrap())
            .replace("{dir}", self.dir.path().to_str().unwrap())
    }
}

/// Starts `program args…` (args may use the {…} placeholders of [`Setup::fill`])
/// and waits until its TLS port accepts connections.
pub fn start(program: &Path, args: &[&str], extra_env: &[(&str, &str)]) -> Peer {
    launch(Setup::new(), program, args, extra_env)
}

pub fn launch(setup: Setup, program: &Path, args: &[&str], extra_env: &[(&str, &str)]) -> Peer {
    assert!(
        program.exists(),
        "{} is not installed: run scripts/install-peers (scripts/test does)",
        program.display()
    );
    let log = std::fs::File::create(setup.dir.path().join("peer.log")).unwrap();
    let mut cmd = Command::new(program);
    cmd.args(args.iter().map(|a| setup.fill(a)))
        .stdin(Stdio::piped()) // s_server exits on stdin EOF; keep it open
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let addr: SocketAddr = format!("127.0.0.1:{}", setup.port).parse().unwrap();
    let mut peer = Peer {
        child,
        addr,
        dir: setup.dir,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return peer;
        }
        if let Ok(Some(status)) = peer.child.try_wait() {
            panic!(
                "{} exited ({status}) before listening:\n{}",
                program.display(),
                peer.log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{} did not listen on {addr}:\n{}",
            program.display(),
            peer.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// OpenSSL 3.5 `s_server` with extra flags (e.g. `-groups LIST`).
pub fn s_server(groups: &[&str]) -> Peer {
    let mut args = vec!["-quiet"];
    args.extend_from_slice(groups);
    s_server_in(Setup::new(), &args)
}

/// OpenSSL 3.5 `s_server` on `setup`'s port and with its certificate and
/// key, plus `args` (`-quiet`, `-www`, `-groups LIST`...).
pub fn s_server_in(setup: Setup, args: &[&str]) -> Peer {
    let mut all = vec![
        "s_server",
        "-accept",
        "127.0.0.1:{port}",
        "-cert",
        "{cert}",
        "-key",
        "{key}",
    ];
    all.extend_from_slice(args);
    launch(setup, &bin("openssl"), &all, &[])
}

/// A peer setup whose certificate is self-signed for localhost/127.0.0.1,
/// valid for a year, with a key OpenSSL 3.5 makes with `req -x509 -newkey
/// NEWKEY` (`rsa:2048`, `mldsa65`, `EC -pkeyopt ec_paramgen_curve:P-256`:
/// split at spaces): unlike [`Setup::new`]'s (valid until
/// 4096, past every deadline), it raises no high certificate finding.
pub fn self_signed_setup(newkey: &str) -> Setup {
    let setup = Setup::new();
    let dir = setup.dir.path();
    let mut args = vec!["req", "-x509", "-newkey"];
    args.extend(newkey.split_whitespace());
    openssl_in(
        dir,
        &[
            &args[..],
            &[
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.crt",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-days",
                "365",
            ],
        ]
        .concat(),
    );
    Setup {
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
        ..setup
    }
}

/// OpenSSL 3.5 `s_server` holding only a [`self_signed_setup`] certificate
/// with a NEWKEY key, plus `args`.
pub fn s_server_self_signed(newkey: &str, args: &[&str]) -> Peer {
    s_server_in(self_signed_setup(newkey), args)
}

/// A Go `crypto/tls` server with the default configuration, built with Go `version`.
pub fn go_server(version: &str) -> Peer {
    start(
        &bin(&format!("goserver-{version}")),
        &["-listen", "127.0.0.1:{port}"],
        &[],
    )
}

const NGINX_CONF: &str = "daemon off; master_process off; worker_processes 1;
pid {dir}/nginx.pid; error_log {dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path {dir}; proxy_temp_path {dir}; fastcgi_temp_path {dir};
  uwsgi_temp_path {dir}; scgi_temp_path {dir};
  server {
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert}; ssl_certificate_key {key};
    location / { return 200 \"ok\\n\"; }
  }
}
";

/// nginx (OpenSSL 3.5) with its default TLS settings.
pub fn nginx() -> Peer {
    nginx_with(Setup::new(), NGINX_CONF)
}

/// nginx (OpenSSL 3.5) with `conf` (the {…} placeholders of [`Setup::fill`]
/// filled) as its whole configuration, in `setup`'s directory.
pub fn nginx_with(setup: Setup, conf: &str) -> Peer {
    std::fs::write(setup.dir.path().join("nginx.conf"), setup.fill(conf)).unwrap();
    launch(
        setup,
        &bin("nginx"),
        &["-p", "{dir}", "-c", "{dir}/nginx.conf"],
        &[],
    )
}

/// nginx serving plain HTTP only: a port that answers, but not with TLS.
pub fn nginx_plain_http() -> Peer {
    let conf = NGINX_CONF.replace(" ssl;", ";").replace(
        "    ssl_certificate {cert}; ssl_certificate_key {key};\n",
        "",
    );
    assert_ne!(conf, NGINX_CONF, "the TLS lines of NGINX_CONF changed");
    nginx_with(Setup::new(), &conf)
}

/// nginx (OpenSSL 3.5) with its default TLS settings whose access log,
/// `access.log` in its directory ([`Peer::file`]), has one line per request:
/// `$remote_port $ssl_protocol $ssl_curve`, what the server itself says each
/// connection negotiated (nginx 1.26 writes a group OpenSSL has no name for,
/// X25519MLKEM768 among them, as its codepoint: `0x11ec`).
pub fn nginx_logging_tls() -> Peer {
    let conf = NGINX_CONF.replace(
        "access_log off;",
        "log_format tls '$remote_port $ssl_protocol $ssl_curve';\n  access_log {dir}/access.log tls;",
    );
    assert_ne!(
        conf, NGINX_CONF,
        "the access_log line of NGINX_CONF changed"
    );
    nginx_with(Setup::new(), &conf)
}

/// Debian's etcd serving TLS on its client port.
pub fn etcd(extra_env: &[(&str, &str)]) -> Peer {
    let peer_port = free_port().to_string();
    let peer_url = format!("http://127.0.0.1:{peer_port}");
    let cluster = format!("default={peer_url}");
    start(
        &bin("etcd"),
        &[
            "--data-dir",
            "{dir}/data",
            "--listen-client-urls",
            "https://127.0.0.1:{port}",
            "--advertise-client-urls",
            "https://127.0.0.1:{port}",
            "--listen-peer-urls",
            &peer_url,
            "--initial-advertise-peer-urls",
            &peer_url,
            "--initial-cluster",
            &cluster,
            "--cert-file",
            "{cert}",
            "--key-file",
            "{key}",
        ],
        extra_env,
    )
}

const CADDYFILE: &str = "{
  admin off
  persist_config off
  auto_https off
  storage file_system {dir}/data
}
:{port} {
  bind 127.0.0.1
  tls {cert} {key}
  respond \"ok\"
}
";

/// Caddy 2.11 (trixie-backports) serving `respond ok` over TLS with its own
/// defaults and a year-long P-256 certificate. Debian builds it with
/// `tlsmlkem=0` in its DefaultGODEBUG, so it is classical unless
/// `extra_env` sets GODEBUG=tlsmlkem=1.
pub fn caddy(extra_env: &[(&str, &str)]) -> Peer {
    let setup = self_signed_setup("EC -pkeyopt ec_paramgen_curve:P-256");
    std::fs::write(setup.dir.path().join("Caddyfile"), setup.fill(CADDYFILE)).unwrap();
    let dir = setup.dir.path().to_str().unwrap().to_string();
    let mut env: Vec<(&str, &str)> = vec![
        ("HOME", dir.as_str()),
        ("XDG_DATA_HOME", dir.as_str()),
        ("XDG_CONFIG_HOME", dir.as_str()),
    ];
    env.extend_from_slice(extra_env);
    launch(
        setup,
        &bin("caddy"),
        &[
            "run",
            "--config",
            "{dir}/Caddyfile",
            "--adapter",
            "caddyfile",
        ],
        &env,
    )
}

/// A Bun HTTPS server (tests/peers/bunserver: Bun.serve, BoringSSL, Bun's
/// default TLS settings) answering `ok`, with [`Setup::new`]'s certificate
/// (`cert.pem`, [`Peer::file`]).
pub fn bun_server() -> Peer {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/bunserver/server.ts");
    launch(
        Setup::new(),
        &bin("bun"),
        &[script.to_str().unwrap(), "{port}", "{cert}", "{key}"],
        // Bun would otherwise cache the transpiled script under $HOME.
        &[("BUN_RUNTIME_TRANSPILER_CACHE_PATH", "0")],
    )
}

const HAPROXY_CONF: &str = "global
  maxconn 100
defaults
  mode http
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend tls
  bind 127.0.0.1:{port} ssl crt {dir}/combined.pem
  http-request return status 200 content-type text/plain string ok
";

/// haproxy terminating TLS with its defaults (OpenSSL 3.5), answering `ok`.
pub fn haproxy() -> Peer {
    let setup = Setup::new();
    let mut combined = std::fs::read_to_string(&setup.cert).unwrap();
    combined.push_str(&std::fs::read_to_string(&setup.key).unwrap());
    std::fs::write(setup.dir.path().join("combined.pem"), combined).unwrap();
    std::fs::write(
        setup.dir.path().join("haproxy.cfg"),
        setup.fill(HAPROXY_CONF),
    )
    .unwrap();
    // -db: stay in the foreground; no master-worker mode (a re-exec would skip the loader).
    launch(
        setup,
        &bin("haproxy"),
        &["-db", "-f", "{dir}/haproxy.cfg"],
        &[],
    )
}

/// Runs the peer prefix's OpenSSL 3.5 in `dir` (to make keys, certificates
/// and CSRs for a test); it must succeed. Returns its stdout.
#[allow(dead_code)]
pub fn openssl_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(bin("openssl"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
