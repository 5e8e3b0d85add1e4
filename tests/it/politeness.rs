//! The scan's manners, seen from the servers' side: `--per-host` bounds the
//! connections open at once to one address across every endpoint of a run,
//! counted by the test's own listeners (hung servers that hold every
//! connection until the client gives up, so connections pile up if allowed).

use std::io::{ErrorKind, Read};
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
/// so the count never runs ahead of what the client holds, nor behind it.
/// True while the client keeps `stream` open. What it sent (its
/// ClientHello) is read and dropped first: a peek would see those bytes and
/// not the FIN behind them, and the count would then depend on when the
/// bytes arrived.
fn still_open(mut stream: &TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return false,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
}

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
                    held.open.retain(still_open);
                    held.open.push(stream);
                    held.most = held.most.max(held.open.len());
                }
            });
            addr
        })
        .collect()
}

/// Probes 12 hung servers with `per_host` and `timeout`, and returns the
/// most connections they held at once. With `until_all_held`, the run is
/// stopped as soon as all 12 are held at once (or when it ends by itself):
/// a long timeout then keeps every connection open for as long as the
/// machine needs to make them, so the count does not depend on its speed.
fn most_open(per_host: &str, timeout: &str, until_all_held: bool) -> usize {
    const SERVERS: usize = 12;
    let held = Arc::new(Mutex::new(Held::default()));
    let targets = hung_servers(SERVERS, &held);
    let mut args = vec![
        "probe",
        "--timeout",
        timeout,
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
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if until_all_held {
        while held.lock().unwrap().most < SERVERS && child.try_wait().unwrap().is_none() {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        return held.lock().unwrap().most;
    }
    let out = child.wait_with_output().unwrap();
    // Every target is hung: each fails with a timeout, and the run says so.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(lines, SERVERS);
    let most = held.lock().unwrap().most;
    most
}

#[test]
fn per_host_caps_connections_to_one_address_across_endpoints() {
    let capped = most_open("3", "300ms", false);
    assert!(
        capped <= 3,
        "{capped} connections were open at once with --per-host 3"
    );
    // Without a cap all 12 are open at once; a 60 s timeout leaves room for
    // a loaded machine, and the run is stopped as soon as they are.
    let uncapped = most_open("0", "60s", true);
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
