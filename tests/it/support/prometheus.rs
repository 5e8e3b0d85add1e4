//! A real Prometheus and promtool for tests, from the peer prefix
//! (`scripts/install-peers` unpacks Debian trixie's `prometheus` and
//! `promtool`): lint an exposition with `promtool check metrics`, and start a
//! Prometheus on a free loopback port that scrapes what a test serves, then
//! ask it PromQL questions over its HTTP API. Tests call
//! `peers::require(&["prometheus", "promtool"])` first.
//!
//! HTTP is plain HTTP/1.1 over `std::net::TcpStream` (no client crate), to
//! 127.0.0.1 only.
#![allow(dead_code)] // each user compiles this file and uses part of it

use super::peers;
use serde_json::Value;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The prefix's `promtool`.
pub fn promtool() -> PathBuf {
    peers::bin("promtool")
}

/// The prefix's `prometheus` server.
pub fn prometheus_bin() -> PathBuf {
    peers::bin("prometheus")
}

/// Runs `promtool ARGS` and returns its output (whatever its exit status).
pub fn run_promtool(args: &[&str]) -> Output {
    Command::new(promtool())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", promtool().display()))
}

/// stdout then stderr of `out`, as one string.
pub fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Lints a text exposition with `promtool check metrics` (read from stdin).
///
/// promtool (2.53) exits 0 and prints nothing for a clean exposition, exits 3
/// and prints one line per lint problem on stderr (`foo counter metrics
/// should have "_total" suffix`, `foo no help text`), and exits 1 when the
/// text does not parse. Any output at all, or a non-zero status, is an `Err`
/// holding the status and what promtool printed.
pub fn check_metrics(exposition: &str) -> Result<(), String> {
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", promtool().display()))?;
    // Write from a thread: a big exposition must not fill the pipe while
    // promtool's own output fills the other one.
    let mut stdin = child.stdin.take().expect("piped stdin");
    let text = exposition.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("promtool check metrics: {e}"))?;
    // promtool may stop reading at a parse error (then the write fails with
    // a broken pipe); its status and output say why.
    let written = writer.join().expect("stdin writer panicked");
    let printed = output_text(&out);
    if !out.status.success() || !printed.trim().is_empty() {
        return Err(format!(
            "promtool check metrics ({}): {}",
            out.status,
            printed.trim()
        ));
    }
    written.map_err(|e| format!("promtool check metrics: writing its stdin: {e}"))
}

/// A Prometheus server on a free loopback port; killed when dropped.
pub struct Prometheus {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts Prometheus with a 1 s scrape and rule-evaluation interval.
///
/// `scrape_configs_yaml` is the YAML sequence that goes under
/// `scrape_configs:`, written verbatim after that key, e.g.
/// ```yaml
/// - job_name: exporter
///   static_configs:
///     - targets: ["127.0.0.1:PORT"]
/// ```
/// `rule_files` are loaded as they are (absolute paths are safest). The
/// configuration and the TSDB live in a temporary directory; the server's
/// output goes to a log ([`Prometheus::log`]). Waits up to 30 s for
/// `/-/ready`.
pub fn start(scrape_configs_yaml: &str, rule_files: &[&Path]) -> Prometheus {
    let program = prometheus_bin();
    assert!(
        program.exists(),
        "{} is not installed: run scripts/install-peers (scripts/test does)",
        program.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::from("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
    if !rule_files.is_empty() {
        config.push_str("rule_files:\n");
        for f in rule_files {
            // A JSON string is a valid YAML double-quoted scalar.
            let quoted = serde_json::to_string(f.to_str().expect("UTF-8 rule file path")).unwrap();
            config.push_str(&format!("  - {quoted}\n"));
        }
    }
    config.push_str("scrape_configs:\n");
    config.push_str(scrape_configs_yaml);
    if !config.ends_with('\n') {
        config.push('\n');
    }
    let config_file = dir.path().join("prometheus.yml");
    std::fs::write(&config_file, &config).unwrap();

    let port = peers::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let child = Command::new(&program)
        .arg(format!("--config.file={}", config_file.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={addr}"))
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let mut prom = Prometheus { child, addr, dir };

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok((200, _)) = http_get(prom.addr, "/-/ready") {
            return prom;
        }
        if let Ok(Some(status)) = prom.child.try_wait() {
            panic!(
                "prometheus exited ({status}) before it was ready.\nconfig:\n{config}\nlog:\n{}",
                prom.log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "prometheus was not ready on {addr} within 30 s:\n{}",
            prom.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Prometheus {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the server wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// The temporary directory with `prometheus.yml` and `data/`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// GET `path` and parse the JSON answer; panics unless it has
    /// `"status": "success"`.
    fn api(&self, path: &str) -> Value {
        let (status, body) = http_get(self.addr, path)
            .unwrap_or_else(|e| panic!("GET {}{path}: {e}\nlog:\n{}", self.url(), self.log()));
        let json: Value = serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!(
                "GET {}{path}: HTTP {status}, not JSON ({e}):\n{body}",
                self.url()
            )
        });
        assert_eq!(
            json["status"],
            "success",
            "GET {}{path}: HTTP {status}:\n{body}",
            self.url()
        );
        json
    }

    /// An instant query (`/api/v1/query`): the whole JSON answer
    /// (`{"status":"success","data":{"resultType":..,"result":[..]}}`).
    pub fn query(&self, promql: &str) -> Value {
        self.api(&format!("/api/v1/query?query={}", percent_encode(promql)))
    }

    /// Runs `promql` every 250 ms until `accept` takes its answer (returned)
    /// or `timeout` passes (panics with the last answer and the log).
    pub fn wait_for(
        &self,
        promql: &str,
        timeout: Duration,
        accept: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let answer = self.query(promql);
            if accept(&answer) {
                return answer;
            }
            if Instant::now() >= deadline {
                panic!(
                    "no acceptable answer to {promql:?} within {timeout:?}; last answer:\n{}\nprometheus log:\n{}",
                    serde_json::to_string_pretty(&answer).unwrap(),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// `/api/v1/targets`: the scrape targets and their health.
    pub fn targets(&self) -> Value {
        self.api("/api/v1/targets")
    }

    /// `/api/v1/rules`: the loaded rule groups and their health.
    pub fn rules(&self) -> Value {
        self.api("/api/v1/rules")
    }

    /// `/api/v1/alerts`: the pending and firing alerts.
    pub fn alerts(&self) -> Value {
        self.api("/api/v1/alerts")
    }
}

/// The sample values of an instant-vector answer of [`Prometheus::query`],
/// as Prometheus prints them (`"1"`, `"0.5"`), in its order.
pub fn values(answer: &Value) -> Vec<String> {
    answer["data"]["result"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|s| s["value"][1].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A one-shot HTTP/1.1 GET (`Connection: close`) to a loopback address:
/// (status, body). Understands `Content-Length`, chunked and read-to-close
/// bodies.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    assert!(addr.ip().is_loopback(), "tests only talk to loopback");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        }
    }
    let body = if chunked {
        dechunk(body).ok_or_else(|| bad("bad chunked body"))?
    } else if let Some(n) = length {
        body.get(..n)
            .ok_or_else(|| bad("body shorter than Content-Length"))?
            .to_vec()
    } else {
        body.to_vec()
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n")?;
        let size_field = std::str::from_utf8(&data[..eol]).ok()?;
        let size_hex = size_field.split(';').next()?.trim();
        let size = usize::from_str_radix(size_hex, 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
