//! Real TLS clients for tests: the kubectl builds shipped next to the host's
//! `kubectl` (1.27–1.33), the host's OpenSSL 3.0 `s_client` and curl, the
//! peer prefix's OpenSSL 3.5 `s_client` and the Go `crypto/tls` test client
//! built with each Go toolchain (`goclient-1.NN`, see tests/peers/goclient).
//!
//! Each client maps to the pqready client profile that should describe it.
//! A run connects to one loopback address, has a hard deadline (the process
//! is killed when it expires) and captures the client's output. Runs are
//! isolated from the user's environment: a throw-away HOME (no kubeconfig,
//! no .curlrc), no proxies, no GODEBUG.
#![allow(dead_code)] // each test binary uses part of it

use super::peers::bin;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Hard deadline for one client run.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(20);

/// kubectl builds on the machine.
pub const KUBECTL_VERSIONS: [&str; 7] = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"];
/// Go toolchains the peer prefix builds goclient with.
pub const GO_VERSIONS: [&str; 6] = ["1.22", "1.23", "1.24", "1.25", "1.26", "1.27"];

#[derive(Debug, Clone)]
enum Kind {
    Kubectl,
    OpenSsl,
    Curl,
    GoClient,
}

/// One real client program.
#[derive(Debug, Clone)]
pub struct RealClient {
    /// Human name, e.g. `kubectl.1.32`, `openssl-3.0 s_client`.
    pub name: String,
    /// The pqready profile id it should match, e.g. `kubectl1.32`.
    pub profile: String,
    /// What [`super::peers::require`] must find for it to run.
    pub need: String,
    program: PathBuf,
    kind: Kind,
}

/// Every real client, in a fixed order: kubectl 1.27–1.33, OpenSSL 3.0
/// s_client, curl, OpenSSL 3.5 s_client, goclient 1.22–1.27.
pub fn all() -> Vec<RealClient> {
    let mut out: Vec<RealClient> = KUBECTL_VERSIONS.iter().map(|v| kubectl(v)).collect();
    out.push(openssl30());
    out.push(curl());
    out.push(openssl35());
    out.extend(GO_VERSIONS.iter().map(|v| goclient(v)));
    out
}

/// The client called `name` (as in [`RealClient::name`]).
pub fn by_name(name: &str) -> RealClient {
    all()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no real client named {name}"))
}

pub use super::peers::kubectl_dir;

/// A new directory under `dir` whose `kubectl` is the machine's real
/// `kubectl.VERSION` build, to put on PATH as the local kubectl.
pub fn kubectl_on_path(dir: &Path, version: &str) -> PathBuf {
    let bin = dir.join(format!("kubectl-{version}"));
    std::fs::create_dir_all(&bin).unwrap();
    let real = kubectl_dir().unwrap().join(format!("kubectl.{version}"));
    std::os::unix::fs::symlink(real, bin.join("kubectl")).unwrap();
    bin
}

/// `kubectl.1.NN`, profile `kubectl1.NN`.
pub fn kubectl(version: &str) -> RealClient {
    RealClient {
        name: format!("kubectl.{version}"),
        profile: format!("kubectl{version}"),
        need: format!("kubectl.{version}"),
        program: kubectl_dir()
            .unwrap_or_default()
            .join(format!("kubectl.{version}")),
        kind: Kind::Kubectl,
    }
}

/// The host's OpenSSL 3.0 `s_client`, profile `openssl3.0`.
pub fn openssl30() -> RealClient {
    RealClient {
        name: "openssl-3.0 s_client".into(),
        profile: "openssl3.0".into(),
        need: "/usr/bin/openssl".into(),
        program: "/usr/bin/openssl".into(),
        kind: Kind::OpenSsl,
    }
}

/// The host's curl (linked with OpenSSL 3.0), profile `openssl3.0`.
pub fn curl() -> RealClient {
    RealClient {
        name: "curl".into(),
        profile: "openssl3.0".into(),
        need: "/usr/bin/curl".into(),
        program: "/usr/bin/curl".into(),
        kind: Kind::Curl,
    }
}

/// The peer prefix's OpenSSL 3.5 `s_client`, profile `openssl3.5`.
pub fn openssl35() -> RealClient {
    RealClient {
        name: "openssl-3.5 s_client".into(),
        profile: "openssl3.5".into(),
        need: "openssl".into(),
        program: bin("openssl"),
        kind: Kind::OpenSsl,
    }
}

/// The Go test client built with Go `version`, profile `go{version}`.
pub fn goclient(version: &str) -> RealClient {
    RealClient {
        name: format!("goclient-{version}"),
        profile: format!("go{version}"),
        need: format!("goclient-{version}"),
        program: bin(&format!("goclient-{version}")),
        kind: Kind::GoClient,
    }
}

/// What [`super::peers::require`] must find for all of `clients` to run.
pub fn needs(clients: &[RealClient]) -> Vec<&str> {
    clients.iter().map(|c| c.need.as_str()).collect()
}

/// How one run ended.
#[derive(Debug, Clone)]
pub struct ClientRun {
    /// Exit code; `None` when killed (timeout) or ended by a signal.
    pub exit: Option<i32>,
    /// The deadline expired and the process was killed.
    pub timed_out: bool,
    /// stdout then stderr, trimmed.
    pub output: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl ClientRun {
    /// The process exited 0. (kubectl exits 1 after a good TLS handshake
    /// when the server is not a Kubernetes API server.)
    pub fn succeeded(&self) -> bool {
        self.exit == Some(0)
    }

    /// The last line of output, for tables.
    pub fn last_line(&self) -> &str {
        self.output.lines().last().unwrap_or("").trim()
    }
}

impl RealClient {
    /// The command line for a connection to `addr`.
    fn command(&self, addr: SocketAddr, home: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        match self.kind {
            Kind::Kubectl => {
                cmd.args(["--server", &format!("https://{addr}")]);
                cmd.args(["--insecure-skip-tls-verify", "--token", "x"]);
                cmd.args(["get", "--raw", "/version"]);
            }
            Kind::OpenSsl => {
                cmd.args(["s_client", "-connect", &addr.to_string()]);
                cmd.args(["-servername", "localhost"]);
            }
            Kind::Curl => {
                cmd.args(["-sSk", &format!("https://{addr}/")]);
                cmd.args(["-o", "/dev/null", "--max-time", "10"]);
            }
            Kind::GoClient => {
                cmd.args(["-connect", &addr.to_string()]);
            }
        }
        for var in [
            "GODEBUG",
            "KUBECONFIG",
            "SSLKEYLOGFILE",
            "CURL_HOME",
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            // The host's OpenSSL reads the system configuration; the peer
            // prefix's openssl wrapper sets its own.
            "OPENSSL_CONF",
            "OPENSSL_MODULES",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", home)
            .env("NO_PROXY", "*")
            .env("no_proxy", "*")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs the client against `addr` with the default deadline.
    pub fn run(&self, addr: SocketAddr) -> ClientRun {
        self.run_with_timeout(addr, RUN_TIMEOUT)
    }

    /// Runs the client against `addr`, killing it after `timeout`.
    pub fn run_with_timeout(&self, addr: SocketAddr, timeout: Duration) -> ClientRun {
        assert!(addr.ip().is_loopback(), "clients only connect to loopback");
        assert!(
            self.program.is_file(),
            "{}: {} not found (kubectl.1.NN live next to the kubectl on PATH; \
             the rest come with the system or scripts/install-peers)",
            self.name,
            self.program.display()
        );
        let dir = tempfile::tempdir().expect("client temp dir");
        let out_path = dir.path().join("out.log");
        let out = std::fs::File::create(&out_path).expect("client log");
        let mut cmd = self.command(addr, dir.path());
        cmd.stdout(out.try_clone().expect("client log")).stderr(out);
        let start = Instant::now();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.program.display()));
        let mut timed_out = false;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if start.elapsed() >= timeout => {
                    timed_out = true;
                    let _ = child.kill();
                    break child.wait().ok();
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => break None,
            }
        };
        let output = std::fs::read(&out_path).unwrap_or_default();
        ClientRun {
            exit: if timed_out {
                None
            } else {
                status.and_then(|s| s.code())
            },
            timed_out,
            output: String::from_utf8_lossy(&output).trim().to_string(),
            elapsed: start.elapsed(),
        }
    }
}

/// The flags every headless Chromium here runs with: no sandbox, no GPU,
/// no QUIC and no network of its own (updates, sync, first-run pages).
pub const CHROMIUM_HEADLESS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Headless Chromium from the peer prefix with the flags this kind of machine
/// needs (no sandbox, no GPU, no network of its own) and a fresh profile;
/// killed after `timeout`. Returns its output whatever its exit status.
pub fn chromium(args: &[&str], timeout: Duration) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin("chromium"))
        .args(CHROMIUM_HEADLESS)
        .arg("--hide-scrollbars")
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + timeout;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// Which browser a [`Browser`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserKind {
    /// The peer prefix's headless Chromium (profile `chrome`).
    Chromium,
    /// The peer prefix's headless Firefox ESR (profile `firefox`).
    FirefoxEsr,
}

impl BrowserKind {
    /// The peer prefix program [`super::peers::require`] must find.
    pub fn need(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chromium",
            BrowserKind::FirefoxEsr => "firefox-esr",
        }
    }

    /// The pqready profile that should describe it.
    pub fn profile(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chrome",
            BrowserKind::FirefoxEsr => "firefox",
        }
    }
}

/// A headless browser loading one loopback `https://` URL, with a fresh
/// profile and every other destination sent to a closed loopback port (its
/// own background traffic never leaves the machine); it and its child
/// processes (one process group) are killed when dropped. Chromium ignores
/// certificate errors (the servers here are self-signed); Firefox stops at
/// its certificate error page, after the handshake.
pub struct Browser {
    child: std::process::Child,
    _profile: tempfile::TempDir,
}

/// Where the browsers' non-loopback traffic goes: nothing listens there.
pub const DEAD_END_PROXY: &str = "127.0.0.1:9";

impl Browser {
    /// Starts `kind` on `https://{addr}/`.
    pub fn open(kind: BrowserKind, addr: SocketAddr) -> Browser {
        use std::os::unix::process::CommandExt as _;
        assert!(addr.ip().is_loopback(), "browsers only connect to loopback");
        let profile = tempfile::tempdir().unwrap();
        let url = format!("https://{addr}/");
        let mut cmd = Command::new(bin(kind.need()));
        match kind {
            BrowserKind::Chromium => {
                cmd.args(CHROMIUM_HEADLESS)
                    .args([
                        "--ignore-certificate-errors",
                        &format!("--proxy-server={DEAD_END_PROXY}"),
                    ])
                    .arg(format!("--user-data-dir={}", profile.path().display()))
                    .args(["--dump-dom", &url]);
            }
            BrowserKind::FirefoxEsr => {
                let (host, port) = DEAD_END_PROXY.split_once(':').unwrap();
                let mut prefs = String::new();
                for (name, value) in [
                    // Loopback is never proxied (allow_hijacking_localhost is false).
                    ("network.proxy.type", "1".to_string()),
                    ("network.proxy.http", format!("\"{host}\"")),
                    ("network.proxy.http_port", port.to_string()),
                    ("network.proxy.ssl", format!("\"{host}\"")),
                    ("network.proxy.ssl_port", port.to_string()),
                    ("network.proxy.socks", format!("\"{host}\"")),
                    ("network.proxy.socks_port", port.to_string()),
                    ("network.proxy.socks_remote_dns", "true".into()),
                    ("network.http.http3.enable", "false".into()),
                    ("network.trr.mode", "5".into()),
                    ("network.dns.disablePrefetch", "true".into()),
                    ("network.prefetch-next", "false".into()),
                    ("network.predictor.enabled", "false".into()),
                    ("network.captive-portal-service.enabled", "false".into()),
                    ("network.connectivity-service.enabled", "false".into()),
                    ("app.update.auto", "false".into()),
                    ("app.normandy.enabled", "false".into()),
                    ("browser.safebrowsing.malware.enabled", "false".into()),
                    ("browser.safebrowsing.phishing.enabled", "false".into()),
                    ("datareporting.policy.dataSubmissionEnabled", "false".into()),
                    ("toolkit.telemetry.enabled", "false".into()),
                    ("dom.push.connection.enabled", "false".into()),
                    ("extensions.update.enabled", "false".into()),
                    ("services.settings.server", "\"http://127.0.0.1:9/\"".into()),
                    ("browser.shell.checkDefaultBrowser", "false".into()),
                ] {
                    prefs.push_str(&format!("user_pref(\"{name}\", {value});\n"));
                }
                std::fs::write(profile.path().join("user.js"), prefs).unwrap();
                cmd.args(["--headless", "-no-remote", "-profile"])
                    .arg(profile.path())
                    .arg(&url)
                    .env("HOME", profile.path());
            }
        }
        let out = std::fs::File::create(profile.path().join("stdout.log")).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", kind.need()));
        Browser {
            child,
            _profile: profile,
        }
    }
}

impl Browser {
    /// Waits up to `timeout` for the browser to exit by itself (Chromium's
    /// `--dump-dom` does once the page loaded) and returns its stdout; `None`
    /// if it was still running.
    pub fn output_after_exit(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        while self.child.try_wait().ok()?.is_none() {
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::read_to_string(self._profile.path().join("stdout.log")).ok()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: the browser's renderer, GPU and content processes too.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs tests/peers/denoclient (Deno.connectTls: rustls, Deno's default TLS
/// settings) against `addr`, trusting only the certificate in `ca`, with a
/// fresh DENO_DIR; it prints `ok status=...` and exits 0 once it has the
/// server's answer. Returns its output and its process id.
pub fn denoclient(addr: SocketAddr, ca: &Path) -> (std::process::Output, u32) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/denoclient/client.ts");
    let deno_dir = tempfile::tempdir().unwrap();
    let child = Command::new(bin("deno"))
        .args(["run", "--allow-net=127.0.0.1"])
        .arg(format!("--allow-read={}", ca.display()))
        .arg(&script)
        .arg(addr.to_string())
        .arg(ca)
        .env("DENO_DIR", deno_dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start deno");
    let pid = child.id();
    (child.wait_with_output().unwrap(), pid)
}
