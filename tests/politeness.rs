//! The scan's manners, seen from the servers' side: `--per-host` bounds the
//! connections open at once to one address across every endpoint of a run,
//! counted by the test's own listeners (hung servers that hold every
//! connection until the client gives up, so connections pile up if allowed).

use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Open connections now, and the most ever seen, across all listeners.
#[derive(Default)]
struct Gauge {
    open: AtomicUsize,
    most: AtomicUsize,
}

/// `n` hung servers on 127.0.0.1 that count open connections into `gauge`.
fn hung_servers(n: usize, gauge: &Arc<Gauge>) -> Vec<String> {
    (0..n)
        .map(|_| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap().to_string();
            let gauge = gauge.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let gauge = gauge.clone();
                    let now = gauge.open.fetch_add(1, Ordering::SeqCst) + 1;
                    gauge.most.fetch_max(now, Ordering::SeqCst);
                    std::thread::spawn(move || {
                        let mut stream = stream;
                        let mut buf = [0u8; 4096];
                        // Never answer; the connection ends when the client closes it.
                        while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
                        gauge.open.fetch_sub(1, Ordering::SeqCst);
                    });
                }
            });
            addr
        })
        .collect()
}

fn most_open(per_host: &str) -> usize {
    let gauge = Arc::new(Gauge::default());
    let targets = hung_servers(12, &gauge);
    let mut args = vec![
        "probe",
        "--timeout",
        "300ms",
        "--concurrency",
        "12",
        "--per-host",
        per_host,
        "--skip",
        "hello-tolerance",
        "-o",
        "json",
    ];
    args.extend(targets.iter().map(String::as_str));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(&args)
        .output()
        .unwrap();
    // Every target is hung: each fails with a timeout, and the run says so.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(lines, 12);
    gauge.most.load(Ordering::SeqCst)
}

#[test]
fn per_host_caps_connections_to_one_address_across_endpoints() {
    // The servers see a close a moment after the client's place is freed,
    // so their count may run one ahead of the cap for an instant.
    let capped = most_open("3");
    assert!(
        capped <= 4,
        "{capped} connections were open at once with --per-host 3"
    );
    let uncapped = most_open("0");
    assert!(
        uncapped >= 12,
        "without a cap only {uncapped} were open at once: the test proves nothing"
    );
    eprintln!("most connections open at once: --per-host 3: {capped}; no cap: {uncapped}");
}

#[test]
fn bad_per_host_values_give_one_error_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(["probe", "127.0.0.1:9", "--per-host", "-1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
