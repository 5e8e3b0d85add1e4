//! The scan's manners, seen from the servers' side: `--per-host` bounds the
//! connections open at once to one address across every endpoint of a run,
//! counted by the test's own listeners (hung servers that hold every
//! connection until the client gives up, so connections pile up if allowed).

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Connections the hung servers hold, and the most held at once.
#[derive(Default)]
struct Held {
    open: Vec<TcpStream>,
    most: usize,
}

/// `n` hung servers on 127.0.0.1: they accept every connection and never
/// answer. At each accept, under one lock for all of them, connections the
/// client has closed are let go first (its FIN is already in the socket:
/// on loopback it arrives before the client's next connect even starts),
/// so the count never runs ahead of what the client holds.
fn hung_servers(n: usize, held: &Arc<Mutex<Held>>) -> Vec<String> {
    (0..n)
        .map(|_| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap().to_string();
            let held = held.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    stream.set_nonblocking(true).unwrap();
                    let mut held = held.lock().unwrap();
                    held.open.retain(|s| {
                        let mut byte = [0u8; 1];
                        matches!(s.peek(&mut byte), Err(e) if e.kind() == ErrorKind::WouldBlock)
                    });
                    held.open.push(stream);
                    held.most = held.most.max(held.open.len());
                }
            });
            addr
        })
        .collect()
}

fn most_open(per_host: &str) -> usize {
    let held = Arc::new(Mutex::new(Held::default()));
    let targets = hung_servers(12, &held);
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
    let most = held.lock().unwrap().most;
    most
}

#[test]
fn per_host_caps_connections_to_one_address_across_endpoints() {
    let capped = most_open("3");
    assert!(
        capped <= 3,
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
