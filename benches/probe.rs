//! Probe cost per endpoint, on real peers over loopback: connections used and
//! wall time (median and 90th percentile of repeated probes), then the
//! throughput of a many-target scan against in-process rustls servers.
//!
//! Run with `cargo bench --bench probe` (peers from scripts/install-peers;
//! peers that are not installed are skipped with a note). Prints numbers; it
//! asserts nothing — correctness lives in tests/it/interop.rs.

#[path = "../tests/it/support/peers.rs"]
mod peers;

use pqready::demo;
use pqready::discover::Target;
use pqready::probe::ProbeConfig;
use pqready::scan::{scan, scan_one};
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn target_for(addr: std::net::SocketAddr) -> Target {
    Target {
        label: addr.to_string(),
        host: addr.ip().to_string(),
        port: addr.port(),
        sni: Some("localhost".into()),
        protocol: pqready::vocab::Protocol::Tls,
    }
}

async fn measure(name: &str, target: Target) {
    for hello_tolerance in [false, true] {
        measure_one(name, target.clone(), hello_tolerance).await;
    }
}

async fn measure_one(name: &str, target: Target, hello_tolerance: bool) {
    let config = ProbeConfig {
        timeout: Duration::from_secs(10),
        checks: checks(hello_tolerance),
        ..ProbeConfig::default()
    };
    let name = if hello_tolerance {
        format!("{name} +big-hello")
    } else {
        name.to_string()
    };
    let mut times = Vec::with_capacity(RUNS);
    let mut connections = 0;
    let mut supported = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let report = scan_one(&target, &config).await;
        times.push(started.elapsed());
        if let Some(err) = report.error {
            println!("{name:<38} error: {err}");
            return;
        }
        connections = report.observed.connections;
        supported = report.observed.groups.supported.len();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<38} S={supported:<2} connections={connections:<3} median={:>6.1} ms  p90={:>6.1} ms",
        ms(times[RUNS / 2]),
        ms(times[RUNS * 9 / 10])
    );
}

fn peers_installed() -> bool {
    std::env::var_os("PQREADY_PEERS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/pqready/peers")
        })
        .join("bin/openssl")
        .exists()
}

#[tokio::main]
async fn main() {
    println!("pqready probe cost per endpoint ({RUNS} probes each, loopback)");
    for cfg in demo::demo_configs() {
        let name = format!("rustls {}", cfg.name);
        let server = demo::start(cfg).await.expect("demo server");
        measure(&name, server.target()).await;
    }
    if peers_installed() {
        let list: Vec<(&str, peers::Peer)> = vec![
            ("openssl3.5 default", peers::s_server(&[])),
            (
                "openssl3.5 X25519MLKEM768",
                peers::s_server(&["-groups", "X25519MLKEM768"]),
            ),
            ("go1.22 crypto/tls", peers::go_server("1.22")),
            ("go1.23 crypto/tls", peers::go_server("1.23")),
            ("go1.24 crypto/tls", peers::go_server("1.24")),
            ("go1.26 crypto/tls", peers::go_server("1.26")),
            ("nginx (openssl3.5)", peers::nginx()),
            ("etcd 3.5 (debian)", peers::etcd(&[])),
        ];
        for (name, peer) in &list {
            measure(name, target_for(peer.addr)).await;
        }
    } else {
        println!("(real peers not installed: run scripts/install-peers for OpenSSL, Go, nginx and etcd rows)");
    }

    // Throughput: many targets at once against in-process rustls servers.
    let servers = demo::start_all().await.expect("demo servers");
    for (targets, concurrency, hello_tolerance) in [
        (400usize, 16usize, false),
        (400, 64, false),
        (400, 64, true),
        (400, 256, true),
    ] {
        let list: Vec<Target> = (0..targets)
            .map(|i| servers[i % servers.len()].target())
            .collect();
        let config = ProbeConfig {
            checks: checks(hello_tolerance),
            ..ProbeConfig::default()
        };
        let started = Instant::now();
        let mut done = 0usize;
        let judge = pqready::assess::Judge::default();
        let run = pqready::net::Concurrency::fixed(concurrency);
        scan(list, config, judge, run, |_| {}, |_| done += 1).await;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "scan of {done} endpoints, concurrency {concurrency:>3}, big-hello check {}: {secs:.2} s, {:.0} endpoints/s (probes and servers share the 2 cores)",
            if hello_tolerance { "on " } else { "off" },
            done as f64 / secs
        );
    }
}

/// The core checks (docs/guides/performance.md's table: groups, selection,
/// versions and the PQ-first handshake; not the two `certificates`
/// handshakes), with or without the big-hello variants.
fn checks(hello_tolerance: bool) -> pqready::probe::checks::CheckSet {
    let all =
        pqready::probe::checks::CheckSet::all().without(pqready::vocab::CheckId::Certificates);
    if hello_tolerance {
        all
    } else {
        all.without(pqready::vocab::CheckId::HelloTolerance)
    }
}
