//! A scan across a slow link: how many endpoints pqready works on at once
//! when every exchange costs a round trip of 100 ms.
//!
//! The link is modelled by tiny test-only relays (the machine's kernel has no
//! netem): each relay stands for one far host, delays every chunk of bytes by
//! 50 ms each way, and forwards to one real rustls server on loopback. The
//! relays record when each endpoint's first connection opened and its last
//! one closed, so the test sees how many endpoints were in flight at once.
//! Each endpoint's span is measured two ways, one that can only see more
//! overlap than there was (for "at least") and one that can only see less
//! (for "at most"), so neither bound depends on how fast the machine is.

use crate::support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ONE_WAY: Duration = Duration::from_millis(50);
const ENDPOINTS: usize = 48;

/// For each endpoint: when its first connection opened, when its last one
/// closed, when the relay last began handing the client a server's first
/// answer, and how many are open now.
#[derive(Default, Clone, Copy)]
struct Span {
    first: Option<Instant>,
    last: Option<Instant>,
    answered: Option<Instant>,
    open: usize,
}

/// Copies `from` to `to`, each chunk leaving `ONE_WAY` after it arrived, in
/// order; returns when `from` closed, and when the first chunk was about to
/// be written to `to` (read before the write: the other side cannot have
/// seen it earlier).
async fn delayed_copy(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
) -> (Instant, Option<Instant>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let reader = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = from.read(&mut buf).await.unwrap_or(0);
            // An empty chunk carries the close across the link too.
            if tx
                .send((Instant::now() + ONE_WAY, buf[..n].to_vec()))
                .is_err()
                || n == 0
            {
                return Instant::now();
            }
        }
    };
    let writer = async move {
        let mut first_write = None;
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due.into()).await;
            if chunk.is_empty() {
                break;
            }
            first_write.get_or_insert_with(Instant::now);
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
        first_write
    };
    tokio::join!(reader, writer)
}

/// One far host: a listener whose connections reach `server` across the
/// modelled link.
async fn far_host(server: SocketAddr, spans: Arc<Mutex<Vec<Span>>>, index: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            {
                let mut spans = spans.lock().unwrap();
                let span = &mut spans[index];
                span.first.get_or_insert_with(Instant::now);
                span.open += 1;
            }
            let spans = spans.clone();
            tokio::spawn(async move {
                // The span ends when the client hung up, not when the relay
                // has finished carrying the close across.
                let (mut client_closed, mut answered) = (Instant::now(), None);
                if let Ok(up) = TcpStream::connect(server).await {
                    let (client_r, client_w) = client.into_split();
                    let (up_r, up_w) = up.into_split();
                    ((client_closed, _), (_, answered)) =
                        tokio::join!(delayed_copy(client_r, up_w), delayed_copy(up_r, client_w));
                }
                let mut spans = spans.lock().unwrap();
                let span = &mut spans[index];
                span.open -= 1;
                span.last = span.last.max(Some(client_closed));
                span.answered = span.answered.max(answered);
            });
        }
    });
    addr
}

/// The most endpoints whose spans (first open to `end`) overlap.
fn most_in_flight(spans: &[Span], end: fn(&Span) -> Option<Instant>) -> usize {
    let mut edges: Vec<(Instant, i32)> = Vec::new();
    for span in spans {
        if let (Some(first), Some(last)) = (span.first, end(span)) {
            edges.push((first, 1));
            edges.push((last, -1));
        }
    }
    // A close and an open at the same instant do not overlap.
    edges.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, step) in edges {
        now += step;
        most = most.max(now);
    }
    most as usize
}

/// What a run across the slow link showed, as the relays saw it.
struct FarScan {
    /// The most endpoints in flight at once, each from its first accept to
    /// its last close as read by the relay. The relay reads a close a
    /// little after it was made (later on a loaded machine), so this can
    /// only see more overlap than there was: good for "at least".
    seen: usize,
    /// The same, each endpoint ending when the relay began handing its
    /// client the last of its servers' first answers. The client opened
    /// before the accept and closes after reading that answer, so these
    /// spans lie inside the client's own: this can only see less overlap
    /// than there was, good for "at most", on a loaded machine too.
    seen_within: usize,
    took: Duration,
}

/// Probes `ENDPOINTS` far hosts with `--only groups` and `extra` flags.
fn scan_far_hosts(extra: &[&str]) -> FarScan {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let spans = Arc::new(Mutex::new(vec![Span::default(); ENDPOINTS]));
    let (targets, _server) = runtime.block_on(async {
        let config = pqready::demo::demo_configs().remove(0);
        let server = pqready::demo::start(config).await.unwrap();
        let mut targets = Vec::new();
        for i in 0..ENDPOINTS {
            targets.push(far_host(server.addr, spans.clone(), i).await.to_string());
        }
        (targets, server)
    });
    let mut args = vec![
        "probe",
        "-v",
        "--only",
        "groups",
        "--timeout",
        "5s",
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    args.extend(targets.iter().map(String::as_str));
    let started = Instant::now();
    let out = support::command::run(&args);
    let took = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every answer is right: the server's four groups, PQ first among them.
    let text = String::from_utf8_lossy(&out.stdout);
    let reports: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), ENDPOINTS);
    for report in &reports {
        assert_eq!(report["verdict"]["status"], "pq", "{report}");
        let supported: Vec<&str> = report["groups"]["supported"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|g| g.as_str())
            .collect();
        assert_eq!(supported.len(), 4, "{supported:?}");
    }
    // The relays carry the last closes across the link: wait until every
    // endpoint's connections have ended (a condition, not a guess at how
    // long that takes on a loaded machine).
    let deadline = Instant::now() + Duration::from_secs(60);
    let spans = loop {
        let spans = spans.lock().unwrap().clone();
        if spans.iter().all(|s| s.open == 0 && s.last.is_some()) {
            break spans;
        }
        assert!(Instant::now() < deadline, "relays still open after 60 s");
        std::thread::sleep(Duration::from_millis(20));
    };
    FarScan {
        seen: most_in_flight(&spans, |s| s.last),
        seen_within: most_in_flight(&spans, |s| s.answered),
        took,
    }
}

#[test]
fn across_a_slow_link_more_endpoints_are_probed_at_once() {
    let fixed = scan_far_hosts(&["--concurrency", "16"]);
    let adaptive = scan_far_hosts(&[]);
    eprintln!(
        "at 100 ms RTT, {ENDPOINTS} endpoints: --concurrency 16 had {}..{} in flight ({:?}); \
         the default grew to {}..{} ({:?})",
        fixed.seen_within,
        fixed.seen,
        fixed.took,
        adaptive.seen_within,
        adaptive.seen,
        adaptive.took
    );
    // A fixed 16 never works on more; the default starts at 16 and grows.
    assert!(fixed.seen_within <= 16, "{}", fixed.seen_within);
    assert!(adaptive.seen >= 32, "{}", adaptive.seen);
}

#[test]
fn a_given_ceiling_is_kept() {
    let run = scan_far_hosts(&["--max-concurrency", "24"]);
    assert!(run.seen_within <= 24, "{}", run.seen_within);
    assert!(run.seen >= 17, "{}", run.seen);
}
