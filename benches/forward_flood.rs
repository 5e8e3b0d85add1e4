//! `pqready inspect --forward` on the critical path of a real client while
//! idle and slow clients flood it: how long a real kubectl 1.33
//! `get --raw /version` takes directly against a real Go 1.24 server,
//! through the inspector, and through the inspector while 1,500 connections
//! that never finish a hello are held open (half send nothing, half drip a
//! real hello one byte every 200 ms; each reconnects as soon as it is dropped at
//! the hello deadline, so the flood never lets up).
//!
//! Run with `cargo bench --bench forward_flood` after `scripts/install-peers`.
//! Everything runs on loopback on the same 2 cores, so the flood also costs
//! the client CPU; the numbers are wall-clock times of the whole kubectl
//! process (about 100 ms of it is kubectl starting up).

#[path = "../tests/it/support/mod.rs"]
mod support;

use pqready::catalog::profile;
use pqready::inspect::capture::CaptureLimits;
use pqready::inspect::serve::{
    run, Mode, ServeConfig, DEFAULT_MAX_PENDING_PER_SOURCE, FORWARD_HELLO_TIMEOUT,
};
use pqready::wire::record::fragment;
use pqready::wire::ProtocolVersion;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{clients, peers};
use tokio::io::AsyncWriteExt;

const SAMPLES: usize = 15;

/// Flood connections per source address (below the default per-source limit).
const PER_SOURCE: usize = 250;

fn measure(label: &str, addr: SocketAddr) -> Vec<Duration> {
    let kubectl = clients::kubectl("1.33");
    let mut times: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            // Spread the runs over a few seconds, across the flood's
            // reconnect waves at each hello deadline.
            std::thread::sleep(Duration::from_millis(200));
            let run = kubectl.run(addr);
            assert!(run.succeeded(), "{label}: kubectl failed: {}", run.output);
            run.elapsed
        })
        .collect();
    times.sort();
    println!(
        "{label:<58} min {:>4} ms  median {:>4} ms  max {:>4} ms",
        times[0].as_millis(),
        times[SAMPLES / 2].as_millis(),
        times[SAMPLES - 1].as_millis()
    );
    times
}

/// One flood connection, forever: connect from `source`, then say nothing
/// (or drip a byte every 200 ms) until dropped, then reconnect.
async fn flooder(
    addr: SocketAddr,
    source: [u8; 4],
    drip: Option<Arc<Vec<u8>>>,
    open: Arc<AtomicU64>,
) {
    loop {
        let socket = match tokio::net::TcpSocket::new_v4() {
            Ok(s) => s,
            Err(_) => return,
        };
        if socket.bind((source, 0).into()).is_err() {
            return;
        }
        let Ok(mut stream) = socket.connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        open.fetch_add(1, Ordering::Relaxed);
        if let Some(hello) = &drip {
            // A real post-quantum hello, one byte at a time: it stays a
            // valid hello in progress until the deadline cuts it off.
            for byte in hello.iter() {
                if stream.write_all(&[*byte]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        } else {
            let mut byte = [0u8; 1];
            let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut byte).await;
        }
        open.fetch_sub(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn main() {
    let server = peers::go_server("1.24");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let inspect_addr = listener.local_addr().unwrap();
    let config = ServeConfig {
        mode: Mode::Forward {
            host: "127.0.0.1".into(),
            port: server.addr.port(),
        },
        limits: CaptureLimits {
            max_hello: 65536,
            timeout: FORWARD_HELLO_TIMEOUT,
        },
        step_timeout: Duration::from_secs(10),
        max_connections: 512,
        max_pending_per_source: DEFAULT_MAX_PENDING_PER_SOURCE,
        stop_after: None,
    };
    let records = Arc::new(AtomicU64::new(0));
    let counted = records.clone();
    runtime.spawn(run(
        listener,
        config,
        move |_| {
            counted.fetch_add(1, Ordering::Relaxed);
        },
        std::future::pending(),
    ));
    println!(
        "pqready inspect --forward in front of a real Go 1.24 server: kubectl 1.33 get --raw /version, {SAMPLES} runs each"
    );
    measure("kubectl → Go 1.24 server directly", server.addr);
    measure("kubectl → inspect --forward → server", inspect_addr);

    let open = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let hello = Arc::new(fragment(
        &profile::find("go1.24")
            .unwrap()
            .client_hello(Some("flood.test".into()))
            .encode(),
        16384,
        ProtocolVersion::TLS1_0,
    ));
    // 1,500 flood connections from 127.0.0.2..=127.0.0.7, half idle, half dripping.
    for host in 2..=7u8 {
        for _ in 0..PER_SOURCE {
            let (open, stop) = (open.clone(), stop.clone());
            let drip = (host > 4).then(|| hello.clone());
            runtime.spawn(async move {
                let flood = flooder(inspect_addr, [127, 0, 0, host], drip, open);
                tokio::select! {
                    _ = flood => {}
                    _ = async { while !stop.load(Ordering::Relaxed) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    } } => {}
                }
            });
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while open.load(Ordering::Relaxed) < 6 * PER_SOURCE as u64
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let before = records.load(Ordering::Relaxed);
    println!(
        "flood: {} connections open (750 idle, 750 dripping a hello 1 byte/200 ms), reconnecting when dropped",
        open.load(Ordering::Relaxed)
    );
    let started = std::time::Instant::now();
    measure(
        "kubectl → inspect --forward → server, under the flood",
        inspect_addr,
    );
    let flood_records = records.load(Ordering::Relaxed) - before;
    println!(
        "  meanwhile {} flood connections were recorded and dropped at the {} s hello deadline ({:.0}/s), {} still open",
        flood_records.saturating_sub(SAMPLES as u64),
        FORWARD_HELLO_TIMEOUT.as_secs(),
        flood_records as f64 / started.elapsed().as_secs_f64(),
        open.load(Ordering::Relaxed)
    );
    stop.store(true, Ordering::Relaxed);
    runtime.shutdown_timeout(Duration::from_secs(1));
}
