//! Load test for `pqready inspect`: how many ClientHellos per second it
//! captures, parses, fingerprints and records on this machine, over loopback.
//!
//! Run with `cargo bench --bench inspect`. The load generator shares the
//! machine (and its 2 cores) with the inspector, so the numbers are a floor.
//! Three workloads:
//! - hello only: each client sends a Go 1.24-style post-quantum ClientHello
//!   (1.4 KB, one record) and hangs up — the capture/record path alone;
//! - full handshake: a rustls client (X25519MLKEM768 first) completes TLS
//!   with the inspector in terminate mode — what a real client costs;
//! - forward mode: the same client completes TLS with an in-process rustls
//!   server (the demo's hybrid one) through `inspect --forward`, which
//!   records each ClientHello and the server's answer and copies every byte.

use pqready::catalog::profile;
use pqready::inspect::capture::CaptureLimits;
use pqready::inspect::cert::generate;
use pqready::inspect::serve::{run, terminate_config, Mode, ServeConfig};
use pqready::report::inspect::{InspectRecord, Summary};
use pqready::vocab::CertType;
use pqready::wire::record::fragment;
use pqready::wire::ProtocolVersion;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

fn terminate() -> Mode {
    Mode::Terminate(terminate_config(generate(CertType::EcdsaP256).unwrap()).unwrap())
}

async fn measure(
    name: &str,
    mode: Mode,
    total: u64,
    concurrency: usize,
    client: impl Fn(std::net::SocketAddr) -> tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = ServeConfig {
        mode,
        limits: CaptureLimits {
            max_hello: 65536,
            timeout: Duration::from_secs(10),
        },
        step_timeout: Duration::from_secs(10),
        max_connections: 1024,
        max_pending_per_source: 1024,
        stop_after: Some(total),
    };
    let started = Instant::now();
    let server = tokio::spawn(async move {
        // The same work as the command: judge each observation, tally it.
        let (mut pq, mut summary) = (0u64, Summary::default());
        run(
            listener,
            config,
            |observed| {
                let assessed = pqready::assess::Judge::default().inspected(&observed);
                let record = InspectRecord::new(observed, assessed);
                pq += u64::from(record.assessed.verdict.is_some());
                summary.add(&record);
            },
            std::future::pending(),
        )
        .await;
        (summary, pq)
    });
    let permits = Arc::new(Semaphore::new(concurrency));
    for _ in 0..total {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let task = client(addr);
        tokio::spawn(async move {
            let _ = task.await;
            drop(permit);
        });
    }
    let (summary, parsed) = server.await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name:<34} {total} clients, concurrency {concurrency}: {secs:.2} s, {:.0} ClientHellos/s ({parsed} parsed, {} errors)",
        summary.total as f64 / secs,
        summary.errors.values().sum::<u64>()
    );
}

#[tokio::main]
async fn main() {
    let hello = Arc::new(fragment(
        &profile::find("go1.24")
            .unwrap()
            .client_hello(Some("bench.test".into()))
            .encode(),
        16384,
        ProtocolVersion::TLS1_0,
    ));
    println!("pqready inspect load test (loopback, generator and inspector on the same 2 cores)");
    for concurrency in [16, 64] {
        let hello = hello.clone();
        measure(
            "hello only (1.4 KB PQ hello)",
            terminate(),
            20_000,
            concurrency,
            move |addr| {
                let hello = hello.clone();
                tokio::spawn(async move {
                    if let Ok(mut s) = TcpStream::connect(addr).await {
                        let _ = s.write_all(&hello).await;
                    }
                })
            },
        )
        .await;
    }
    // The probe's own PQ-first client configuration (certificates captured, not checked).
    let client_config = pqready::probe::handshake::client_config(false).unwrap();
    let upstream = pqready::demo::start_all()
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("the demo's hybrid server");
    let upstream_addr = upstream.target();
    let workloads = [
        ("full TLS handshake (X25519MLKEM768)", None),
        ("forward mode, full handshake upstream", Some(upstream_addr)),
    ];
    for ((name, forward), concurrency) in workloads
        .iter()
        .flat_map(|w| [16, 64].map(|c| (w.clone(), c)))
    {
        let client_config = client_config.clone();
        let mode = match forward {
            None => terminate(),
            Some(target) => Mode::Forward {
                host: target.host.clone(),
                port: target.port,
            },
        };
        measure(name, mode, 3_000, concurrency, move |addr| {
            let connector = tokio_rustls::TlsConnector::from(client_config.clone());
            tokio::spawn(async move {
                if let Ok(s) = TcpStream::connect(addr).await {
                    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                    if let Ok(mut tls) = connector.connect(name, s).await {
                        let _ = tls.shutdown().await;
                    }
                }
            })
        })
        .await;
    }
}
