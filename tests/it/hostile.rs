//! The prober against hostile servers: each test is a scripted loopback
//! server modelling one way a peer can misbehave, and asserts that probing it
//! ends with a clear per-endpoint error (or a sane result) well within the
//! timeout, without a panic. Memory stays bounded by construction — every
//! read is capped (record ≤ 16 KiB + 256, one answer ≤ 256 KiB) — and the
//! flood and drip cases below exercise those caps.

use pqready::report::TargetReport;
use pqready::scan::scan_one;
use pqready::vocab::ErrorKind;
use pqready::wire::NamedGroup as G;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

use crate::support::loopback;
use crate::support::scripted;
use scripted::*;

const TIMEOUT: Duration = Duration::from_millis(800);

/// Probes `addr` and checks the whole probe stayed within a few timeouts.
async fn probe(addr: SocketAddr) -> TargetReport {
    let target = loopback::target(addr, None);
    let config = loopback::config(TIMEOUT);
    let started = Instant::now();
    let report = scan_one(&target, &config).await;
    // Sequential steps each have their own deadline; 20 is a generous bound.
    assert!(
        started.elapsed() < TIMEOUT * 20,
        "probe took {:?}",
        started.elapsed()
    );
    report
}

fn error(r: &TargetReport) -> (&str, &str) {
    (
        r.error_kind.map_or("none", |k| k.name()),
        r.error.as_deref().unwrap_or("none"),
    )
}

#[tokio::test]
async fn garbage_bytes() {
    // Models a non-TLS binary protocol on the port.
    let r = probe(replying(&[0x00, 0xff, 0x13, 0x37, 0x42, 0x42, 0x42]).await).await;
    assert_eq!(
        error(&r),
        (
            "not-tls",
            "not a TLS server: it answered 00 ff 13 37 42 42 42"
        )
    );
}

#[tokio::test]
async fn plain_http_reply() {
    // Models an HTTP server (or a load balancer's HTTP listener) on the port.
    let r = probe(replying(b"HTTP/1.1 400 Bad Request\r\n\r\n").await).await;
    assert_eq!(
        error(&r),
        (
            "not-tls",
            "not a TLS server: it answered \"HTTP/1.1 400 Bad Request\""
        )
    );
}

#[tokio::test]
async fn truncated_server_hello() {
    // Models a server that crashes while writing its ServerHello.
    let addr = broken_server(|mut s| async move {
        read_some(&mut s).await;
        let full = server_hello_record(G::X25519);
        let _ = s.write_all(&full[..40]).await;
    })
    .await;
    let r = probe(addr).await;
    assert_eq!(r.error_kind, Some(ErrorKind::Malformed), "{:?}", r.error);
    assert!(r.error.unwrap().contains("truncated record"));
}

#[tokio::test]
async fn record_length_over_the_tls_limit() {
    // Models a peer announcing a record larger than TLS allows (2^14 + 256).
    let r = probe(replying(&[22, 3, 3, 0x50, 0x00]).await).await;
    assert_eq!(r.error_kind, Some(ErrorKind::Malformed), "{:?}", r.error);
    assert!(r
        .error
        .unwrap()
        .contains("record length 20480 exceeds limit 16640"));
}

#[tokio::test]
async fn handshake_message_longer_than_its_record() {
    // Models a ServerHello whose handshake header claims more bytes than the
    // server ever sends: the reader must wait for the rest only until the deadline.
    let addr = broken_server(|mut s| async move {
        read_some(&mut s).await;
        let _ = s.write_all(&record(22, &[2, 0, 0x40, 0, 3, 3, 0, 0])).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let r = probe(addr).await;
    assert_eq!(error(&r), ("timeout", "timed out during read"));
}

#[tokio::test]
async fn endless_one_byte_drip() {
    // Models a tarpit: a valid-looking record header, then one byte every 50 ms forever.
    let addr = broken_server(|mut s| async move {
        read_some(&mut s).await;
        let _ = s.write_all(&[22, 3, 3, 0x40, 0x00]).await;
        loop {
            if s.write_all(&[0x42]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let r = probe(addr).await;
    assert_eq!(error(&r), ("timeout", "timed out during read"));
}

#[tokio::test]
async fn silence() {
    // Models a black hole: the TCP connection opens, nothing ever comes back.
    let addr = broken_server(|mut s| async move {
        read_some(&mut s).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let r = probe(addr).await;
    assert_eq!(error(&r), ("timeout", "timed out during read"));
}

#[tokio::test]
async fn reset_mid_handshake() {
    // Models a middlebox that kills the connection halfway through the answer.
    let addr = broken_server(|mut s| async move {
        read_some(&mut s).await;
        let full = server_hello_record(G::X25519);
        let _ = s.write_all(&full[..60]).await;
        let _ = s.set_zero_linger();
        drop(s);
    })
    .await;
    let r = probe(addr).await;
    assert_eq!(r.error_kind, Some(ErrorKind::Malformed), "{:?}", r.error);
    assert!(r.error.unwrap().contains("truncated record"));
}

#[tokio::test]
async fn hello_retry_request_twice() {
    // Models a server stuck in a retry loop: it asks for x25519 on every hello,
    // also after the client has dropped x25519 from its offer.
    let addr = broken_server(|mut s| async move {
        while read_client_hello(&mut s).await.is_some() {
            if s.write_all(&hello_retry_record(G::X25519)).await.is_err() {
                return;
            }
        }
    })
    .await;
    let r = probe(addr).await;
    assert_eq!(
        error(&r),
        (
            "peer-misbehaved",
            "server selected x25519, which was not offered"
        )
    );
}

#[tokio::test]
async fn hello_retry_request_for_a_group_never_offered() {
    // Models a buggy server asking for a codepoint the client never listed.
    let r = probe(
        broken_server(|mut s| async move {
            read_some(&mut s).await;
            let _ = s.write_all(&hello_retry_record(G(0x1234))).await;
        })
        .await,
    )
    .await;
    assert_eq!(
        error(&r),
        (
            "peer-misbehaved",
            "server selected 0x1234, which was not offered"
        )
    );
}

#[tokio::test]
async fn unknown_version() {
    // Models a server selecting a protocol version nobody offered.
    let r = probe(
        broken_server(|mut s| async move {
            read_some(&mut s).await;
            let hello = server_hello(
                [7; 32],
                &[selected_version(0x7f1c), (51, vec![0, 0x1d, 0, 1, 9])],
            );
            let _ = s.write_all(&record(22, &hello)).await;
        })
        .await,
    )
    .await;
    assert_eq!(
        error(&r),
        (
            "peer-misbehaved",
            "server selected version 0x7f1c, which was not offered"
        )
    );
}

#[tokio::test]
async fn alert_flood() {
    // Models a server answering with thousands of alerts.
    let r = probe(
        broken_server(|mut s| async move {
            read_some(&mut s).await;
            let flood: Vec<u8> = std::iter::repeat_n(record(21, &[1, 90]), 5000)
                .flatten()
                .collect();
            let _ = s.write_all(&flood).await;
        })
        .await,
    )
    .await;
    assert_eq!(r.error_kind, Some(ErrorKind::NotTls), "{:?}", r.error);
    assert!(r.error.unwrap().starts_with("no TLS handshake succeeded"));
}

#[tokio::test]
async fn change_cipher_spec_flood_is_capped() {
    // Models a server streaming endless records that are skipped (CCS) so the
    // reader never gets an answer: the per-answer byte cap ends it.
    let r = probe(
        broken_server(|mut s| async move {
            read_some(&mut s).await;
            let chunk: Vec<u8> = std::iter::repeat_n(record(20, &[1]), 4096)
                .flatten()
                .collect();
            while s.write_all(&chunk).await.is_ok() {}
        })
        .await,
    )
    .await;
    assert_eq!(r.error_kind, Some(ErrorKind::Malformed), "{:?}", r.error);
    assert!(r.error.unwrap().contains("more than 262144 bytes"));
}

#[tokio::test]
async fn server_hello_with_duplicate_extensions() {
    // Models a ServerHello repeating an extension (RFC 8446 §4.2 forbids it).
    let r = probe(
        broken_server(|mut s| async move {
            read_some(&mut s).await;
            let hello = server_hello(
                [7; 32],
                &[selected_version(0x0304), selected_version(0x0304)],
            );
            let _ = s.write_all(&record(22, &hello)).await;
        })
        .await,
    )
    .await;
    assert_eq!(r.error_kind, Some(ErrorKind::Malformed), "{:?}", r.error);
    assert!(r.error.unwrap().contains("duplicate extension"));
}

#[tokio::test]
async fn warning_alert_before_the_answer_is_skipped() {
    // Models TLS stacks that send a warning (unrecognized_name) before their
    // hello: a warning is not a refusal, so discovery must read past it.
    let addr = broken_server(|mut s| async move {
        let Some(hello) = read_client_hello(&mut s).await else {
            return;
        };
        let offers_x25519 = hello.groups().unwrap_or_default().contains(&G::X25519);
        let mut answer = record(21, &[1, 112]);
        if offers_x25519 && hello.key_shares().unwrap_or_default().is_empty() {
            answer.extend(hello_retry_record(G::X25519));
        } else {
            answer.extend(record(21, &[2, 40]));
        }
        let _ = s.write_all(&answer).await;
    })
    .await;
    let r = probe(addr).await;
    assert_eq!(
        r.observed.groups.supported,
        [G::X25519],
        "{:?} {:?}",
        r.error,
        r.observed.groups.notes
    );
}
