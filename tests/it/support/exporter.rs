//! A running `pqready exporter` (the real binary) on a loopback port the OS
//! picks, and a minimal HTTP/1.1 client to ask it things.
#![allow(dead_code)] // each user compiles this file and uses part of it

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The exporter process; killed when dropped.
pub struct Exporter {
    child: Child,
    /// Where it serves HTTP.
    pub addr: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// One HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Exporter {
    /// Starts `pqready exporter --listen 127.0.0.1:0 ARGS` and waits for its
    /// "listening" log line.
    pub fn start(args: &[&str]) -> Exporter {
        Self::start_with_env(args, &[])
    }

    /// As [`Exporter::start`], with extra environment variables.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Exporter {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("exporter.log");
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pqready"));
        cmd.args(["exporter", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start pqready exporter");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            // "listening on http://ADDR", or https:// with --web.config.file.
            let found = text
                .find("listening on http://")
                .map(|at| (at, "listening on http://"));
            let found = found.or_else(|| {
                text.find("listening on https://")
                    .map(|at| (at, "listening on https://"))
            });
            if let Some((at, line)) = found {
                let rest = &text[at + line.len()..];
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '"')
                    .unwrap_or(rest.len());
                let addr = rest[..end].parse().expect("address in the log line");
                return Exporter {
                    child,
                    addr,
                    log,
                    _dir: dir,
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the exporter exited ({status}) before listening:\n{text}");
            }
            assert!(Instant::now() < deadline, "no listening line:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// GET `path` (with the query).
    pub fn get(&self, path: &str) -> Answer {
        get(self.addr, path, &[])
    }

    /// Waits until `/readyz` answers 200.
    pub fn wait_ready(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.get("/readyz").status != 200 {
            assert!(
                Instant::now() < deadline,
                "not ready after {limit:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The value of the sample `name{labels}` exactly as written on `/metrics`
    /// (`labels` without braces, or "" for none).
    pub fn metric(&self, name: &str, labels: &str) -> Option<f64> {
        sample(&self.get("/metrics").body, name, labels)
    }

    /// Resident memory, in KiB (VmRSS).
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// Peak resident memory, in KiB (VmHWM).
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/PID/status"))
    }

    /// Sends SIGTERM and waits (bounded) for the exit.
    pub fn terminate(&mut self, limit: Duration) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET `path` from `addr` with extra request headers; one request per connection.
pub fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Answer {
    let (status, headers, body) = raw_get(addr, path, headers);
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// As [`get`], the body as bytes (a gzip body is not text).
pub fn raw_get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read the answer");
    split(&raw)
}

/// The value of `name{labels}` in an exposition.
pub fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    let key = if labels.is_empty() {
        format!("{name} ")
    } else {
        format!("{name}{{{labels}}} ")
    };
    text.lines()
        .find_map(|l| l.strip_prefix(key.as_str()))
        .and_then(|v| v.trim().parse().ok())
}

/// The line of the first series of `name` whose labels begin with
/// `labels_start` (the rest of the labels and the value follow).
pub fn series_line<'t>(text: &'t str, name: &str, labels_start: &str) -> &'t str {
    let prefix = format!("{name}{{{labels_start}");
    text.lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix}... in:\n{text}"))
}

/// What a TLS request saw.
pub struct TlsAnswer {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
    /// The server's certificate, DER.
    pub leaf: Vec<u8>,
    pub group: Option<rustls::NamedGroup>,
}

/// One GET over TLS on a connection of its own (rustls with aws-lc-rs'
/// defaults, trusting `ca_pem`), as a scraper with `scheme: https` sends it.
pub fn tls_get(addr: SocketAddr, ca_pem: &str, path: &str, headers: &[(&str, &str)]) -> TlsAnswer {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut raw = Vec::new();
    {
        let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
        tls.write_all(req.as_bytes()).unwrap();
        // The server closes after its answer; an unclean close still leaves
        // the answer read.
        let _ = tls.read_to_end(&mut raw);
    }
    let leaf = conn.peer_certificates().unwrap()[0].to_vec();
    let group = conn.negotiated_key_exchange_group().map(|g| g.name());
    let (status, head, body) = split(&raw);
    TlsAnswer {
        status,
        head,
        body,
        leaf,
        group,
    }
}

/// An HTTP answer's status, head and body.
pub fn split(raw: &[u8]) -> (u16, String, Vec<u8>) {
    // No blank line: all of it is the head (status 0 when it is not HTTP).
    let (head, body) = match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => (&raw[..at], raw[at + 4..].to_vec()),
        None => (raw, Vec::new()),
    };
    let head = String::from_utf8_lossy(head).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head, body)
}

pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

pub fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}
