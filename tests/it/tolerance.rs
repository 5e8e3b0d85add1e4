//! Big-ClientHello tolerance against real servers behind two small proxies
//! written for these tests, each modelling a real bug class. Both must be
//! reported intolerant, with the variant that breaks them named; the real
//! servers themselves are reported tolerant in tests/it/interop.rs.

use pqready::assess::ToleranceVerdict;
use pqready::report::TargetReport;
use pqready::wire::{ClientHello, HandshakeReassembler, RecordHeader};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::loopback;
use crate::support::peers;

/// True if `bytes` hold one complete ClientHello (reassembled across records).
pub(crate) fn complete_hello(bytes: &[u8]) -> bool {
    let mut re = HandshakeReassembler::new(1 << 16);
    let mut rest = bytes;
    while rest.len() >= 5 {
        let Ok(h) = RecordHeader::parse(&rest[..5].try_into().unwrap()) else {
            return false;
        };
        if rest.len() < 5 + h.len || re.push(&rest[5..5 + h.len]).is_err() {
            return false;
        }
        if let Ok(Some(msg)) = re.next_message() {
            let whole = pqready::wire::record::handshake_message(msg.typ, &msg.body);
            return ClientHello::parse(&whole).is_ok();
        }
        rest = &rest[5 + h.len..];
    }
    false
}

async fn splice(mut client: TcpStream, upstream: SocketAddr, first: &[u8]) {
    if let Ok(mut up) = TcpStream::connect(upstream).await {
        if up.write_all(first).await.is_ok() {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
        }
    }
}

/// Models the ingress-nginx SSL-passthrough bug: the proxy reads the client's
/// first bytes *once*, looks for the ClientHello (to route on SNI) in what
/// that single read returned, and when it is incomplete sends the connection
/// to its default backend — another server, with another certificate.
async fn single_read_router(real: SocketAddr, default_backend: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let Ok(n) = client.read(&mut buf).await else {
                    return;
                };
                let target = if complete_hello(&buf[..n]) {
                    real
                } else {
                    default_backend
                };
                splice(client, target, &buf[..n]).await;
            });
        }
    });
    addr
}

/// Models middleboxes that cannot reassemble a ClientHello split across TLS
/// records: the proxy reads the first record and drops the connection when
/// the handshake message does not fit in it.
async fn multi_record_dropper(backend: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut header = [0u8; 5];
                if client.read_exact(&mut header).await.is_err() {
                    return;
                }
                let len = u16::from_be_bytes([header[3], header[4]]) as usize;
                let mut record = header.to_vec();
                record.resize(5 + len, 0);
                if client.read_exact(&mut record[5..]).await.is_err() {
                    return;
                }
                let message_len = if len >= 4 {
                    ((record[6] as usize) << 16) | ((record[7] as usize) << 8) | record[8] as usize
                } else {
                    usize::MAX
                };
                if 4 + message_len > len {
                    return; // drop: the hello continues in another record
                }
                splice(client, backend, &record).await;
            });
        }
    });
    addr
}

async fn probe(addr: SocketAddr) -> TargetReport {
    loopback::probe(addr, Some("localhost"), Duration::from_secs(5)).await
}

fn outcomes(r: &TargetReport) -> Vec<(&'static str, &'static str)> {
    r.assessed
        .hello_tolerance
        .as_ref()
        .unwrap()
        .variants
        .iter()
        .map(|v| (v.observed.name.name(), v.outcome.name()))
        .collect()
}

#[tokio::test]
async fn single_read_router_misroutes_split_hellos() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let real = peers::s_server(&["-www"]);
    let fallback = peers::s_server(&["-www"]); // its own certificate: a different server
    let proxy = single_read_router(real.addr, fallback.addr).await;
    let r = probe(proxy).await;
    assert_eq!(r.error, None);
    let t = r.assessed.hello_tolerance.as_ref().unwrap();
    assert_eq!(t.verdict, ToleranceVerdict::Intolerant, "{t:?}");
    assert_eq!(
        outcomes(&r),
        [
            ("control", "ok"),
            ("pq-one-segment", "ok"),
            ("pq-split-segments", "different-certificate"),
            ("pq-multi-record", "ok"),
            ("padded-4k", "ok"),
        ]
    );
    // Caught with the pause the path asks for: on loopback (a round trip of
    // microseconds) the floor, not the 200 ms cap.
    let pauses: Vec<Option<u64>> = t.variants.iter().map(|v| v.observed.pause_ms).collect();
    let floor = pqready::probe::tolerance::SPLIT_PAUSE_FLOOR.as_millis() as u64;
    assert_eq!(pauses, [None, None, Some(floor), None, None]);
    let finding = r
        .assessed
        .findings
        .iter()
        .find(|f| f.id == "hello-intolerance")
        .expect("a finding");
    assert!(
        finding
            .detail
            .contains("pq-split-segments: different-certificate"),
        "{}",
        finding.detail
    );
}

#[tokio::test]
async fn multi_record_dropper_is_caught() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let real = peers::s_server(&["-www"]);
    let proxy = multi_record_dropper(real.addr).await;
    let r = probe(proxy).await;
    assert_eq!(r.error, None);
    let t = r.assessed.hello_tolerance.as_ref().unwrap();
    assert_eq!(t.verdict, ToleranceVerdict::Intolerant, "{t:?}");
    let got = outcomes(&r);
    assert_eq!(got[3].0, "pq-multi-record");
    assert!(matches!(got[3].1, "closed" | "reset"), "{got:?}");
    for (name, outcome) in [got[0], got[1], got[2], got[4]] {
        assert_eq!(outcome, "ok", "{name}: {got:?}");
    }
    // Intolerance repeats: the failure was confirmed on a second connection.
    let multi = &t.variants[3].observed;
    assert_eq!(multi.attempts, 2, "{multi:?}");
    assert!(multi.detail.contains("twice"), "{}", multi.detail);
    assert!(t
        .variants
        .iter()
        .enumerate()
        .all(|(i, v)| i == 3 || v.observed.attempts == 1));
}

/// Models a server whose accept queue overflowed once: the first connection
/// whose first read is the split variant's 8-byte first segment is reset;
/// every other connection, the retry included, goes through.
async fn resets_one_split_hello(backend: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let split_hellos = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let split_hellos = split_hellos.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let Ok(n) = client.read(&mut buf).await else {
                    return;
                };
                // The split variant's first write is 8 bytes.
                if n == 8 && split_hellos.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    let _ = client.set_zero_linger();
                    return; // dropped with linger 0: a reset
                }
                splice(client, backend, &buf[..n]).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_reset_that_does_not_repeat_is_not_intolerance() {
    if !peers::require(&["openssl"]) {
        return;
    }
    let real = peers::s_server(&["-www"]);
    let proxy = resets_one_split_hello(real.addr).await;
    let r = probe(proxy).await;
    assert_eq!(r.error, None);
    let t = r.assessed.hello_tolerance.as_ref().unwrap();
    assert_eq!(t.verdict, ToleranceVerdict::Tolerant, "{t:?}");
    assert!(
        outcomes(&r).iter().all(|(_, o)| *o == "ok"),
        "{:?}",
        outcomes(&r)
    );
    let split = &t.variants[2].observed;
    assert_eq!(split.name.name(), "pq-split-segments");
    assert_eq!(split.attempts, 2, "{split:?}");
    assert!(
        split.detail.contains("second attempt") && split.detail.contains("reset"),
        "{}",
        split.detail
    );
    assert!(!r
        .assessed
        .findings
        .iter()
        .any(|f| f.id == "hello-intolerance"));
}
