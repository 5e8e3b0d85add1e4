//! End-to-end tests of the probe engine against in-process peers: the real
//! rustls servers of `pqready demo`, and tiny broken servers that exist only
//! to model misbehaving endpoints (each says which failure it models).
//! All traffic stays on 127.0.0.1.

use pqready::assess::{PqStatus, ToleranceVerdict};
use pqready::demo;
use pqready::report::TargetReport;
use pqready::scan::scan_one;
use pqready::vocab::ErrorKind;
use pqready::vocab::{DiscoveryMethod as Method, Selection};
use pqready::wire::{CipherSuite, NamedGroup as G, ProtocolVersion as V};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

use crate::support::loopback;
use crate::support::scripted;
use loopback::config;
use scripted::*;

async fn probe_demo(name: &str) -> TargetReport {
    let cfg = demo::demo_configs()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap();
    let server = demo::start(cfg).await.unwrap();
    scan_one(&server.target(), &config(Duration::from_secs(5))).await
}

#[tokio::test]
async fn rustls_pq_hybrid_server() {
    let r = probe_demo("pq-hybrid").await;
    assert_eq!(r.error, None);
    assert_eq!(r.observed.tls_versions, [V::TLS1_3, V::TLS1_2]);
    assert_eq!(
        r.observed.groups.supported,
        [G::X25519MLKEM768, G::X25519, G::SECP256R1, G::SECP384R1]
    );
    // rustls servers take the first group in the client's list they support.
    assert_eq!(r.observed.groups.selection, Some(Selection::ClientOrder));
    assert_eq!(r.observed.groups.server_order, None);
    assert_eq!(r.observed.groups.key_share_preferred, Some(false));
    assert_eq!(r.observed.groups.method, Method::HelloRetryRequest);
    assert_eq!(
        r.observed.handshake.negotiated_group,
        Some(G::X25519MLKEM768)
    );
    assert_eq!(
        r.observed.handshake.cipher_suite,
        Some(CipherSuite::TLS_AES_256_GCM_SHA384)
    );
    assert!(!r.observed.handshake.hello_retry);
    assert_eq!(r.observed.handshake.certificate_chain.len(), 1);
    assert_eq!(r.assessed.verdict.status, PqStatus::Pq);
    // S+1 discovery, 2 selection checks, 3 legacy versions, 1 handshake,
    // 2 certificates handshakes (ML-DSA, classical), 4 big-hello variants
    // (the fifth, pq-one-segment, is the handshake's connection).
    assert_eq!(r.observed.connections, 4 + 1 + 2 + 3 + 1 + 2 + 4);
    let one_segment = &r.observed.hello_tolerance.as_ref().unwrap()[1];
    assert_eq!(one_segment.name.name(), "pq-one-segment");
    assert!(
        one_segment
            .detail
            .contains("the handshake check's connection")
            && one_segment.hello_bytes > 1_100
            && one_segment.negotiated_group == Some(G::X25519MLKEM768),
        "{one_segment:?}"
    );
    assert_eq!(
        r.assessed.hello_tolerance.as_ref().unwrap().verdict,
        ToleranceVerdict::Tolerant
    );
}

#[tokio::test]
async fn rustls_classical_server() {
    let r = probe_demo("classical-only").await;
    assert_eq!(
        r.observed.groups.supported,
        [G::X25519, G::SECP256R1, G::SECP384R1]
    );
    assert_eq!(r.observed.handshake.negotiated_group, Some(G::X25519));
    assert_eq!(r.assessed.verdict.status, PqStatus::Classical);
    assert_eq!(
        r.assessed.verdict.text,
        "PQ key exchange: no (classical groups only: x25519, secp256r1, secp384r1)"
    );
    assert_eq!(r.observed.connections, 3 + 1 + 2 + 3 + 1 + 2 + 4);
}

#[tokio::test]
async fn rustls_pq_only_server() {
    let r = probe_demo("pq-only").await;
    assert_eq!(r.observed.tls_versions, [V::TLS1_3]);
    assert_eq!(
        r.observed.groups.supported,
        [G::X25519MLKEM768, G::SECP256R1MLKEM768, G::MLKEM768]
    );
    assert_eq!(
        r.observed.handshake.negotiated_group,
        Some(G::X25519MLKEM768)
    );
    assert_eq!(r.assessed.verdict.status, PqStatus::Pq);
}

#[tokio::test]
async fn rustls_tls12_only_server() {
    let r = probe_demo("tls12-only").await;
    assert_eq!(r.observed.tls_versions, [V::TLS1_2]);
    assert_eq!(r.observed.groups.method, Method::Tls12ServerKeyExchange);
    assert_eq!(r.observed.groups.supported, [G::X25519, G::SECP256R1]);
    assert_eq!(r.observed.groups.selection, Some(Selection::ClientOrder));
    // A client-order server re-picking the curve kept last proves nothing is left.
    assert!(
        r.observed.groups.notes.is_empty(),
        "{:?}",
        r.observed.groups.notes
    );
    assert_eq!(r.observed.handshake.version, Some(V::TLS1_2));
    assert_eq!(r.assessed.verdict.status, PqStatus::Classical);
    assert_eq!(
        r.assessed.verdict.text,
        "PQ key exchange: no (TLSv1.2 only: post-quantum key exchange needs TLS 1.3)"
    );
}

#[tokio::test]
async fn user_added_codepoint_is_offered_and_reported() {
    let cfg = demo::demo_configs()
        .into_iter()
        .find(|c| c.name == "classical-only")
        .unwrap();
    let server = demo::start(cfg).await.unwrap();
    let mut config = config(Duration::from_secs(5));
    config.candidate_groups.push(G(0xfe01));
    let r = scan_one(&server.target(), &config).await;
    assert_eq!(
        r.observed.groups.supported,
        [G::X25519, G::SECP256R1, G::SECP384R1]
    );
}

#[tokio::test]
async fn probes_ipv6_loopback() {
    let cfg = demo::demo_configs()
        .into_iter()
        .find(|c| c.name == "pq-hybrid")
        .unwrap();
    let server = demo::start_on(cfg, "[::1]:0".parse().unwrap())
        .await
        .unwrap();
    let t = pqready::discover::parse_target(
        &format!("[::1]:{}", server.addr.port()),
        Some("localhost"),
    )
    .unwrap();
    let r = scan_one(&t, &config(Duration::from_secs(5))).await;
    assert_eq!(r.error, None);
    assert_eq!(
        r.observed.address.map(|a| a.to_string()),
        Some(format!("[::1]:{}", server.addr.port()))
    );
    assert_eq!(
        r.observed.groups.supported,
        [G::X25519MLKEM768, G::X25519, G::SECP256R1, G::SECP384R1]
    );
    assert_eq!(
        r.observed.handshake.negotiated_group,
        Some(G::X25519MLKEM768)
    );
}

#[tokio::test]
async fn plain_http_on_the_port_is_a_clear_error() {
    // Models a plain HTTP service on a port the user believed was TLS.
    let addr = replying(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
    let r = loopback::probe(addr, None, Duration::from_secs(2)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::NotTls));
    assert_eq!(
        r.error.as_deref(),
        Some("not a TLS server: it answered \"HTTP/1.1 400 Bad Request\"")
    );
    assert_eq!(r.assessed.verdict.status, PqStatus::Error);
    assert_eq!(r.observed.connections, 1);
}

#[tokio::test]
async fn silent_server_times_out_within_the_deadline() {
    // Models a black-holed endpoint: accepts TCP, never answers.
    let addr = broken_server(|mut s| async move {
        read_some(&mut s).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let started = Instant::now();
    let r = loopback::probe(addr, None, Duration::from_millis(300)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::Timeout));
    assert_eq!(r.error.as_deref(), Some("timed out during read"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn refused_port_is_a_clear_error() {
    // Bound and never listening: refused for the whole test, and no other
    // test's listener can take the port (as it could a released one).
    let refusing = crate::support::peers::RefusingPort::new();
    let addr = refusing.addr;
    let r = loopback::probe(addr, None, Duration::from_secs(2)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::Refused));
    assert_eq!(r.observed.address, Some(addr));
}

#[tokio::test]
async fn alerting_server_is_reported_without_tls() {
    // Models a TLS stack that refuses every hello with a fatal handshake_failure.
    let addr = replying(&[21, 3, 3, 0, 2, 2, 40]).await;
    let r = loopback::probe(addr, None, Duration::from_secs(2)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::NotTls));
    assert!(
        r.error
            .as_deref()
            .unwrap()
            .starts_with("no TLS handshake succeeded"),
        "{:?}",
        r.error
    );
}

#[tokio::test]
async fn resetting_server_is_reported_without_tls() {
    // Models a middlebox that kills the connection when it sees a ClientHello.
    let addr = broken_server(|mut s| async move {
        read_some(&mut s).await;
        let _ = s.set_zero_linger();
        drop(s);
    })
    .await;
    let r = loopback::probe(addr, None, Duration::from_secs(2)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::NotTls));
}

#[tokio::test]
async fn garbage_answer_is_not_tls() {
    // Models a non-TLS binary protocol answering on the port.
    let addr = replying(&[0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4]).await;
    let r = loopback::probe(addr, None, Duration::from_secs(2)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::NotTls));
    assert_eq!(
        r.error.as_deref(),
        Some("not a TLS server: it answered de ad be ef 00 01 02 03 04")
    );
}

#[tokio::test]
async fn oversized_record_is_malformed() {
    // Models a peer announcing a record longer than TLS allows.
    let addr = replying(&[22, 3, 3, 0xff, 0xff]).await;
    let r = loopback::probe(addr, None, Duration::from_secs(2)).await;
    assert_eq!(r.error_kind, Some(ErrorKind::Malformed));
    assert_eq!(
        r.error.as_deref(),
        Some("server sent a malformed answer (first record: record length 65535 exceeds limit 16640)")
    );
}

#[tokio::test]
async fn key_share_driven_server_is_found_with_real_shares() {
    // Models a TLS 1.3 server that refuses a hello without key shares (no
    // HelloRetryRequest support) and accepts only a share it can use, checking
    // that each share has its group's real size. It never finishes a handshake.
    const SUPPORTED: [G; 3] = [G::MLKEM1024, G::SECP384R1MLKEM1024, G::SECP256R1];
    let addr = broken_server(|mut s| async move {
        let Some(hello) = read_client_hello(&mut s).await else {
            return;
        };
        let shares = hello.key_shares().unwrap_or_default();
        let usable = shares.iter().find(|ks| {
            SUPPORTED.contains(&ks.group)
                && ks.payload.len() == ks.group.info().unwrap().client_share_len
        });
        let answer = match usable {
            Some(ks) if hello.versions().unwrap_or_default().contains(&V::TLS1_3) => {
                server_hello_record(ks.group)
            }
            _ => vec![21, 3, 3, 0, 2, 2, 47], // illegal_parameter
        };
        let _ = s.write_all(&answer).await;
    })
    .await;
    let r = loopback::probe(addr, None, Duration::from_secs(2)).await;
    assert_eq!(r.error, None);
    assert_eq!(r.observed.groups.method, Method::KeyShare);
    assert_eq!(
        r.observed.groups.supported,
        [G::SECP384R1MLKEM1024, G::MLKEM1024, G::SECP256R1]
    );
    assert_eq!(r.observed.tls_versions, [V::TLS1_3]);
    assert_eq!(r.assessed.verdict.status, PqStatus::Pq);
    assert!(r.observed.handshake.error.is_some());
    // One empty-share attempt, then one per group pqready can make a share for,
    // 3 versions, the handshake, the 2 certificates handshakes and 4
    // big-hello variants (pq-one-segment is the handshake's connection).
    assert_eq!(r.observed.connections, 1 + 11 + 3 + 1 + 2 + 4);
    // This stub never completes a handshake, so the control fails too.
    assert_eq!(
        r.assessed.hello_tolerance.as_ref().unwrap().verdict,
        ToleranceVerdict::Inconclusive
    );
}

#[tokio::test]
async fn json_report_has_the_contract_fields() {
    let r = probe_demo("pq-hybrid").await;
    let v: serde_json::Value = serde_json::from_str(&pqready::report::json::line(&r)).unwrap();
    assert_eq!(v["schema"], "pqready/v1");
    assert_eq!(v["error"], serde_json::Value::Null);
    assert_eq!(v["tls_versions"], serde_json::json!(["TLSv1.3", "TLSv1.2"]));
    assert_eq!(v["groups"]["supported"][0], "X25519MLKEM768");
    assert_eq!(v["groups"]["server_order"], serde_json::Value::Null);
    assert_eq!(v["groups"]["selection"], "client_order");
    assert_eq!(v["handshake"]["negotiated_group"], "X25519MLKEM768");
    assert_eq!(v["handshake"]["cipher_suite"], "TLS_AES_256_GCM_SHA384");
    assert_eq!(v["handshake"]["hello_retry"], false);
    assert_eq!(v["verdict"]["status"], "pq");
    assert_eq!(v["connections"], 17);
    assert_eq!(v["hello_tolerance"]["verdict"], "tolerant");
    assert_eq!(
        v["hello_tolerance"]["variants"].as_array().unwrap().len(),
        5
    );
    for key in ["target", "address"] {
        assert!(v[key].is_string(), "{key}");
    }
}

#[tokio::test]
async fn pq_only_server_locks_out_classical_client_profiles() {
    let cfg = demo::demo_configs()
        .into_iter()
        .find(|c| c.name == "pq-only")
        .unwrap();
    let server = demo::start(cfg).await.unwrap();
    let mut config = config(Duration::from_secs(5));
    config.clients =
        pqready::catalog::profile::select("kubectl1.31,kubectl1.32,kubectl1.33,chrome").unwrap();
    config.checks = config
        .checks
        .without(pqready::vocab::CheckId::HelloTolerance);
    let r = scan_one(&server.target(), &config).await;
    let got: Vec<(&str, Option<G>, bool)> = r
        .observed
        .clients
        .iter()
        .map(|c| (c.profile.as_str(), c.negotiated_group, c.failed))
        .collect();
    assert_eq!(
        got,
        [
            ("kubectl1.31", None, true),
            ("kubectl1.32", None, true),
            ("kubectl1.33", Some(G::X25519MLKEM768), false),
            ("chrome", Some(G::X25519MLKEM768), false),
        ]
    );
    assert_eq!(
        r.observed.clients[0].detail.as_deref(),
        Some("alert handshake_failure")
    );
    // The lockout, the demo certificate's quantum-vulnerable key, and no
    // ML-DSA authentication although `chrome` (like Chromium) offers ML-DSA.
    let ids: Vec<_> = r.assessed.findings.iter().map(|f| f.id.name()).collect();
    assert_eq!(
        ids,
        [
            "pq-only-lockout",
            "quantum-vulnerable-key",
            "no-mldsa-authentication"
        ]
    );
    assert_eq!(r.assessed.findings[2].profiles, ["chrome"]);
    assert_eq!(
        r.assessed.findings[0].profiles,
        ["kubectl1.31", "kubectl1.32"]
    );
    // S+1 discovery, order and same-kind share checks, 3 versions, 1 handshake,
    // one replay per distinct offer (the four profiles all differ) and the 2
    // certificates handshakes.
    assert_eq!(r.observed.connections, 4 + 1 + 1 + 3 + 1 + 4 + 2);
}
