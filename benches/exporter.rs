//! `pqready exporter` at 1,000 endpoints: scan time, memory (after each of
//! six scans: it must level off, not grow), the size of `/metrics`, and scrape
//! latency alone (plain and gzip, as Prometheus asks) and under load (32
//! clients scraping at once), plus
//! `/probe` answered from a fresh result under the same load. The full
//! probe is measured twice: on plain HTTP, and behind `--web.config.file`
//! with TLS and basic auth, scraped as Prometheus with `scheme: https`
//! does (each scrape here on a new connection: the handshake is counted).
//!
//! The fleet is one nginx (OpenSSL 3.5, one worker) listening on 200
//! loopback ports on each of 127.0.0.1 to 127.0.0.5: 1,000 endpoints.
//! Run with `cargo bench --bench exporter` (nginx from scripts/install-peers).
//! Prints numbers; asserts nothing (tests/it/exporter.rs checks correctness).

#[path = "../tests/it/support/exporter.rs"]
mod exporter;
#[path = "../tests/it/support/peers.rs"]
mod peers;

use exporter::{basic, raw_get, sample, tls_get, Exporter};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const USER: &str = "prometheus";
const PASSWORD: &str = "bench password";

/// How the bench reaches the exporter: plain HTTP, or TLS with basic auth.
#[derive(Clone)]
enum Scraper {
    Plain(SocketAddr),
    Tls { addr: SocketAddr, ca_pem: String },
}

impl Scraper {
    /// GET `path` on a new connection: (status, head, body).
    fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
        match self {
            Scraper::Plain(addr) => raw_get(*addr, path, headers),
            Scraper::Tls { addr, ca_pem } => {
                let auth = basic(USER, PASSWORD);
                let mut all = headers.to_vec();
                all.push(("Authorization", &auth));
                let a = tls_get(*addr, ca_pem, path, &all);
                (a.status, a.head.to_lowercase(), a.body)
            }
        }
    }

    /// The value of `name{labels}` on `/metrics`.
    fn metric(&self, name: &str, labels: &str) -> Option<f64> {
        let (_, _, body) = self.get("/metrics", &[]);
        sample(&String::from_utf8_lossy(&body), name, labels)
    }
}

/// `--web.config.file` for TLS (a self-signed certificate for 127.0.0.1)
/// and basic auth with a bcrypt hash of the cost `htpasswd -B` uses; the
/// certificate's PEM, which the scraper trusts.
fn web_config(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let tls = dir.join("tls");
    std::fs::create_dir_all(&tls).unwrap();
    let (cert, key) = peers::write_cert(&tls);
    let hash = bcrypt::hash(PASSWORD, 10).unwrap();
    let file = tls.join("web.yml");
    std::fs::write(
        &file,
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\nbasic_auth_users:\n  {USER}: \"{hash}\"\n",
            cert.display(),
            key.display()
        ),
    )
    .unwrap();
    (file, std::fs::read_to_string(cert).unwrap())
}

const PORTS: usize = 200;
const ADDRESSES: usize = 5;
const LOAD_CLIENTS: usize = 32;
const LOAD_SECONDS: u64 = 10;
/// Scans watched before the load (`PQREADY_BENCH_SCANS` overrides): memory
/// must level off, not grow per scan.
const SCANS: usize = 6;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !peers::bin("nginx").exists() {
        println!("exporter bench: nginx is not installed (scripts/install-peers); skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = peers::write_cert(dir.path());
    let ports: Vec<u16> = (0..PORTS).map(|_| peers::free_port()).collect();
    let mut listens = String::new();
    let mut targets = String::new();
    for a in 1..=ADDRESSES {
        for p in &ports {
            listens.push_str(&format!("    listen 127.0.0.{a}:{p} ssl;\n"));
            targets.push_str(&format!("127.0.0.{a}:{p}\n"));
        }
    }
    let d = dir.path().display();
    let conf = format!(
        "daemon off; master_process off; worker_processes 1; worker_rlimit_nofile 8192;
pid {d}/nginx.pid; error_log {d}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
  server {{
{listens}    ssl_certificate {}; ssl_certificate_key {};
    location / {{ return 200 \"ok\\n\"; }}
  }}
}}
",
        cert.display(),
        key.display()
    );
    std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
    let mut nginx = std::process::Command::new(peers::bin("nginx"))
        .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start nginx");
    let last = format!("127.0.0.{ADDRESSES}:{}", ports[PORTS - 1]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&last).is_err() {
        assert!(Instant::now() < deadline, "nginx did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    let list = dir.path().join("targets.txt");
    std::fs::write(&list, &targets).unwrap();
    let list = list.to_str().unwrap();

    println!(
        "pqready exporter, {} endpoints (nginx on {PORTS} ports x {ADDRESSES} addresses)",
        PORTS * ADDRESSES
    );
    let scans: usize = std::env::var("PQREADY_BENCH_SCANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SCANS);
    // `PQREADY_BENCH_ONLY=groups` runs only the groups-only variant,
    // `PQREADY_BENCH_ONLY=full` only the full probe (plain and TLS).
    let only = std::env::var("PQREADY_BENCH_ONLY").unwrap_or_default();
    let (web, ca_pem) = web_config(dir.path());
    let web = web.to_str().unwrap();
    for (label, extra, tls) in [
        ("full probe (default checks)", vec![], false),
        (
            "full probe, TLS + basic auth (--web.config.file)",
            vec!["--web.config.file", web],
            true,
        ),
        ("groups only", vec!["--only", "groups"], false),
    ] {
        let groups = extra.contains(&"groups");
        if (only == "groups" && !groups) || (only == "full" && groups) {
            continue;
        }
        let mut args = vec![
            "--targets-file",
            list,
            "--interval",
            "1s",
            "--jitter",
            "0",
            "--allow",
            "127.0.0.1/32",
            "--min-reprobe-interval",
            "60s",
        ];
        args.extend(extra);
        let exporter = Exporter::start(&args);
        let scraper = match tls {
            false => Scraper::Plain(exporter.addr),
            true => Scraper::Tls {
                addr: exporter.addr,
                ca_pem: ca_pem.clone(),
            },
        };
        let started = Instant::now();
        let mut rss_after = Vec::new();
        let mut scan_seconds = Vec::new();
        for scan in 1..=scans {
            let deadline = Instant::now() + Duration::from_secs(600);
            loop {
                let done = scraper
                    .metric("pqready_exporter_scans_total", "result=\"success\"")
                    .unwrap_or(0.0);
                if done >= scan as f64 {
                    break;
                }
                assert!(Instant::now() < deadline, "scan {scan} did not finish");
                std::thread::sleep(Duration::from_millis(100));
            }
            rss_after.push(exporter.rss_kib());
            scan_seconds.push(
                scraper
                    .metric("pqready_exporter_scan_duration_seconds", "")
                    .unwrap(),
            );
        }
        let first = started.elapsed();
        let page = String::from_utf8(scraper.get("/metrics", &[]).2).unwrap();
        let series = page.lines().filter(|l| !l.starts_with('#')).count();
        let errors = sample(&page, "pqready_exporter_scan_errors", "").unwrap_or(-1.0);
        println!("\n{label}");
        let list = |v: &[String]| v.join(" / ");
        println!(
            "  scans: {} s ({:.0} endpoints/s); errors {errors}; {scans} scans in {:.1} s",
            list(
                &scan_seconds
                    .iter()
                    .map(|s| format!("{s:.2}"))
                    .collect::<Vec<_>>()
            ),
            (PORTS * ADDRESSES) as f64 / scan_seconds[0],
            first.as_secs_f64()
        );
        println!(
            "  RSS after each scan: {} KiB; peak {} KiB",
            list(&rss_after.iter().map(|r| r.to_string()).collect::<Vec<_>>()),
            exporter.peak_rss_kib()
        );
        println!("  /metrics: {} bytes, {series} series", page.len());

        let mut alone = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            let (status, _, _) = scraper.get("/metrics", &[]);
            alone.push(t.elapsed());
            assert_eq!(status, 200);
        }
        println!("  scrape alone: {}", percentiles(&mut alone));

        // As Prometheus asks: gzip. Size from Content-Length (the body is
        // binary); time to the last byte, 50 scrapes.
        let mut gzipped = Vec::new();
        let mut gzip_bytes = 0;
        for _ in 0..50 {
            let t = Instant::now();
            let (status, head, _) = scraper.get("/metrics", &[("Accept-Encoding", "gzip")]);
            gzipped.push(t.elapsed());
            assert_eq!(status, 200);
            assert!(head.contains("content-encoding: gzip"), "{head}");
            gzip_bytes = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
        }
        println!(
            "  /metrics gzip: {gzip_bytes} bytes ({:.1}% of {}); scrape alone: {}",
            100.0 * gzip_bytes as f64 / page.len() as f64,
            page.len(),
            percentiles(&mut gzipped)
        );

        // Under load: LOAD_CLIENTS threads scraping /metrics (and a cached
        // /probe) as fast as they can while the scans go on.
        let probe_path = format!("/probe?target=127.0.0.1:{}", ports[0]);
        scraper.get(&probe_path, &[]);
        let stop = Instant::now() + Duration::from_secs(LOAD_SECONDS);
        let workers: Vec<_> = (0..LOAD_CLIENTS)
            .map(|i| {
                let (probe_path, scraper) = (probe_path.clone(), scraper.clone());
                std::thread::spawn(move || {
                    let (mut metrics, mut probes) = (Vec::new(), Vec::new());
                    while Instant::now() < stop {
                        let (path, into) = if i % 4 == 0 {
                            (probe_path.as_str(), &mut probes)
                        } else {
                            ("/metrics", &mut metrics)
                        };
                        let t = Instant::now();
                        let (status, _, _) = scraper.get(path, &[]);
                        into.push(t.elapsed());
                        assert_eq!(status, 200);
                    }
                    (metrics, probes)
                })
            })
            .collect();
        let (mut metrics, mut probes) = (Vec::new(), Vec::new());
        for w in workers {
            let (m, p) = w.join().unwrap();
            metrics.extend(m);
            probes.extend(p);
        }
        println!(
            "  under load ({LOAD_CLIENTS} clients, {LOAD_SECONDS} s, scans running): /metrics {} scrapes/s, {}",
            metrics.len() as u64 / LOAD_SECONDS,
            percentiles(&mut metrics)
        );
        println!(
            "                                             /probe (fresh result) {} /s, {}",
            probes.len() as u64 / LOAD_SECONDS,
            percentiles(&mut probes)
        );
        println!(
            "  probes run for /probe during the load: {}; RSS after the load {} KiB, peak {} KiB",
            scraper
                .metric("pqready_exporter_probes_total", "source=\"probe\"")
                .unwrap_or(-1.0),
            exporter.rss_kib(),
            exporter.peak_rss_kib()
        );
    }
    let _ = nginx.kill();
    let _ = nginx.wait();
}

fn percentiles(times: &mut [Duration]) -> String {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    format!(
        "p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (n={})",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        times.len()
    )
}
