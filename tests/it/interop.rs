//! Interop: pqready against real TLS servers on loopback, asserting exactly
//! what it must report for each. The servers come from Debian's packages via
//! `scripts/install-peers` (the README's test command runs it first):
//! OpenSSL 3.5 `s_server`, nginx (linked with OpenSSL 3.5), Debian's etcd, and
//! a minimal Go `crypto/tls` server with the default configuration built with
//! each Go toolchain (tests/peers/goserver).
//!
//! Expected values are what each implementation does, from its source and
//! cross-checked by hand with OpenSSL 3.5 `s_client`:
//! - Go ≤1.23 picks in its own order but prefers any group the client sent a
//!   key share for; Go 1.24+ additionally puts post-quantum groups first, even
//!   at the cost of a HelloRetryRequest (crypto/tls handshake_server_tls13.go).
//! - OpenSSL 3.5 walks its group *tuples* in its own order; inside a tuple it
//!   follows the client's order (or its own with -serverpref) and prefers a
//!   group with a key share (SSL_CTX_set1_groups_list(3)).

use peers::*;
use pqready::assess::{PqStatus, ToleranceVerdict};
use pqready::probe::ProbeConfig;
use pqready::report::TargetReport;
use pqready::scan::scan_one;
use pqready::vocab::{DiscoveryMethod as Method, Selection};
use pqready::wire::{NamedGroup as G, ProtocolVersion as V};
use std::time::Duration;

use crate::support::loopback;
use crate::support::peers;

async fn probe(peer: &Peer) -> TargetReport {
    let report = loopback::probe(peer.addr, Some("localhost"), Duration::from_secs(10)).await;
    assert_eq!(report.error, None, "peer log:\n{}", peer.log());
    assert!(
        report.observed.groups.notes.is_empty(),
        "unexpected notes: {:?}",
        report.observed.groups.notes
    );
    // No real server here mishandles a large or split ClientHello.
    let tolerance = report
        .assessed
        .hello_tolerance
        .as_ref()
        .expect("tolerance is checked by default");
    assert_ne!(
        tolerance.verdict,
        ToleranceVerdict::Intolerant,
        "{tolerance:?}"
    );
    report
}

const GO_CLASSICAL: [G; 4] = [G::X25519, G::SECP256R1, G::SECP384R1, G::SECP521R1];
/// Go 1.24 and 1.25's default groups (and etcd's with GODEBUG=tlsmlkem=1).
const GO124_DEFAULT: [G; 5] = [
    G::X25519MLKEM768,
    G::X25519,
    G::SECP256R1,
    G::SECP384R1,
    G::SECP521R1,
];

// ---- OpenSSL 3.5 s_server -------------------------------------------------

/// OpenSSL 3.5's default groups, as s_server and nginx (ssl_ecdh_curve auto) use them.
fn assert_tolerant(r: &TargetReport) {
    let t = r.assessed.hello_tolerance.as_ref().unwrap();
    assert_eq!(t.verdict, ToleranceVerdict::Tolerant, "{t:?}");
    assert!(t.variants.iter().all(|v| v.outcome == "ok"), "{t:?}");
}

fn assert_openssl35_defaults(r: &TargetReport) {
    assert_tolerant(r);
    assert_eq!(r.observed.tls_versions, [V::TLS1_3, V::TLS1_2]);
    assert_eq!(
        r.observed.groups.supported,
        [
            G::X25519MLKEM768,
            G::X25519,
            G::X448,
            G::SECP256R1,
            G::SECP384R1,
            G::SECP521R1,
            G::FFDHE2048,
            G::FFDHE3072
        ]
    );
    // Tuples: X25519MLKEM768 / x25519:secp256r1 / x448:secp384r1:secp521r1 / ffdhe2048:ffdhe3072.
    assert_eq!(
        r.observed.groups.server_order.as_deref(),
        Some(
            &[
                G::X25519MLKEM768,
                G::X25519,
                G::SECP256R1,
                G::X448,
                G::SECP384R1,
                G::SECP521R1,
                G::FFDHE2048,
                G::FFDHE3072
            ][..]
        )
    );
    assert_eq!(r.observed.groups.selection, Some(Selection::ServerOrder));
    assert_eq!(r.observed.groups.pq_over_key_share, Some(true));
    assert_eq!(
        r.observed.handshake.negotiated_group,
        Some(G::X25519MLKEM768)
    );
    assert!(!r.observed.handshake.hello_retry);
    assert_eq!(r.assessed.verdict.status, PqStatus::Pq);
    assert_eq!(
        r.assessed.verdict.text,
        "PQ key exchange: yes (X25519MLKEM768, preferred)"
    );
}

#[tokio::test]
async fn openssl35_default_groups() {
    if !require(&["openssl"]) {
        return;
    }
    assert_openssl35_defaults(&probe(&s_server(&[])).await);
}

#[tokio::test]
async fn openssl35_pq_only() {
    if !require(&["openssl"]) {
        return;
    }
    let peer = s_server(&["-groups", "X25519MLKEM768"]);
    let r = probe(&peer).await;
    assert_eq!(r.observed.tls_versions, [V::TLS1_3]);
    assert_eq!(r.observed.groups.supported, [G::X25519MLKEM768]);
    assert_eq!(r.observed.groups.selection, Some(Selection::SingleGroup));
    assert_eq!(
        r.observed.handshake.negotiated_group,
        Some(G::X25519MLKEM768)
    );
    assert_eq!(r.assessed.verdict.status, PqStatus::Pq);
    // S+1 discovery, 3 legacy versions, 1 handshake (nothing to choose between),
    // the 2 certificates handshakes and 4 big-hello variants (pq-one-segment
    // is the handshake's connection).
    assert_eq!(r.observed.connections, 2 + 3 + 1 + 2 + 4);
    // The classical control cannot connect to a PQ-only server: nothing to compare with.
    assert_eq!(
        r.assessed.hello_tolerance.unwrap().verdict,
        ToleranceVerdict::Inconclusive
    );
}

#[tokio::test]
async fn openssl35_secp256r1mlkem768_and_x25519() {
    if !require(&["openssl"]) {
        return;
    }
    let peer = s_server(&["-groups", "SecP256r1MLKEM768:x25519"]);
    let r = probe(&peer).await;
    assert_eq!(
        r.observed.groups.supported,
        [G::SECP256R1MLKEM768, G::X25519]
    );
    assert_eq!(r.observed.groups.selection, Some(Selection::ClientOrder));
    assert_eq!(r.observed.groups.server_order, None);
    // rustls does not offer SecP256r1MLKEM768 by default: a PQ-first client still lands on x25519.
    assert_eq!(r.observed.handshake.negotiated_group, Some(G::X25519));
    assert_eq!(r.assessed.verdict.status, PqStatus::Pq);
    assert_eq!(
        r.assessed.verdict.text,
        "PQ key exchange: yes (SecP256r1MLKEM768, if the client prefers it); a PQ-first client still got x25519"
    );
}

#[tokio::test]
async fn openssl35_one_tuple_follows_client_and_key_share() {
    if !require(&["openssl"]) {
        return;
    }
    let peer = s_server(&["-groups", "x25519:secp256r1:X25519MLKEM768"]);
    let r = probe(&peer).await;
    assert_eq!(
        r.observed.groups.supported,
        [G::X25519MLKEM768, G::X25519, G::SECP256R1]
    );
    assert_eq!(
        r.observed.groups.selection,
        Some(Selection::KeyShareThenClientOrder)
    );
    assert_eq!(
        r.observed.handshake.negotiated_group,
        Some(G::X25519MLKEM768)
    );
}

#[tokio::test]
async fn openssl35_serverpref_classical_first() {
    if !require(&["openssl"]) {
        return;
    }
    let peer = s_server(&["-groups", "x25519:secp256r1:X25519MLKEM768", "-serverpref"]);
    let r = probe(&peer).await;
    assert_eq!(
        r.observed.groups.server_order.as_deref(),
        Some(&[G::X25519, G::SECP256R1, G::X25519MLKEM768][..])
    );
    assert_eq!(
        r.observed.groups.selection,
        Some(Selection::KeyShareThenServerOrder)
    );
    assert_eq!(r.observed.handshake.negotiated_group, Some(G::X25519));
    assert_eq!(r.assessed.verdict.status, PqStatus::Pq);
    assert_eq!(
        r.assessed.verdict.text,
        "PQ key exchange: yes (X25519MLKEM768, but the server prefers x25519); a PQ-first client still got x25519"
    );
}

#[tokio::test]
async fn openssl35_pure_mlkem_and_p384_hybrid() {
    if !require(&["openssl"]) {
        return;
    }
    let peer = s_server(&["-groups", "MLKEM1024:SecP384r1MLKEM1024:MLKEM512"]);
    let r = probe(&peer).await;
    assert_eq!(r.observed.tls_versions, [V::TLS1_3]);
    assert_eq!(
        r.observed.groups.supported,
        [G::SECP384R1MLKEM1024, G::MLKEM512, G::MLKEM1024]
    );
    assert_eq!(
        r.observed.groups.selection,
        Some(Selection::KeyShareThenClientOrder)
    );
    // None of these is in rustls' default offer: the PQ-first client is locked out.
    assert_eq!(r.observed.handshake.negotiated_group, None);
    assert!(r
        .observed
        .handshake
        .error
        .as_deref()
        .unwrap()
        .contains("HandshakeFailure"));
    assert_eq!(r.assessed.verdict.status, PqStatus::Pq);
}

#[tokio::test]
async fn openssl35_tls12_only() {
    if !require(&["openssl"]) {
        return;
    }
    let peer = s_server(&["-no_tls1_3"]);
    let r = probe(&peer).await;
    assert_eq!(r.observed.tls_versions, [V::TLS1_2]);
    assert_eq!(r.observed.groups.method, Method::Tls12ServerKeyExchange);
    assert_eq!(
        r.observed.groups.supported,
        [G::X25519, G::X448, G::SECP256R1, G::SECP384R1, G::SECP521R1]
    );
    assert_eq!(r.observed.handshake.version, Some(V::TLS1_2));
    assert_eq!(r.assessed.verdict.status, PqStatus::Classical);
}

#[tokio::test]
async fn openssl35_accepting_tls10_and_tls11_is_reported() {
    if !require(&["openssl"]) {
        return;
    }
    let peer = s_server(&["-min_protocol", "TLSv1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    let r = probe(&peer).await;
    assert_eq!(
        r.observed.tls_versions,
        [V::TLS1_3, V::TLS1_2, V::TLS1_1, V::TLS1_0]
    );
    assert_eq!(r.assessed.verdict.status, PqStatus::Pq);
}

// ---- Go crypto/tls servers with the default configuration ------------------

#[tokio::test]
async fn go122_server_is_classical() {
    if !require(&["goserver-1.22"]) {
        return;
    }
    let peer = go_server("1.22");
    let r = probe(&peer).await;
    assert_tolerant(&r);
    assert_eq!(r.observed.tls_versions, [V::TLS1_3, V::TLS1_2]);
    assert_eq!(r.observed.groups.supported, GO_CLASSICAL);
    assert_eq!(
        r.observed.groups.server_order.as_deref(),
        Some(&GO_CLASSICAL[..])
    );
    assert_eq!(
        r.observed.groups.selection,
        Some(Selection::KeyShareThenServerOrder)
    );
    assert_eq!(r.observed.handshake.negotiated_group, Some(G::X25519));
    assert_eq!(r.assessed.verdict.status, PqStatus::Classical);
}

#[tokio::test]
async fn go123_server_offers_only_the_kyber_draft() {
    if !require(&["goserver-1.23"]) {
        return;
    }
    let peer = go_server("1.23");
    let r = probe(&peer).await;
    assert_tolerant(&r);
    let expected = [
        G::X25519KYBER768DRAFT00,
        G::X25519,
        G::SECP256R1,
        G::SECP384R1,
        G::SECP521R1,
    ];
    assert_eq!(r.observed.groups.supported, expected);
    assert_eq!(
        r.observed.groups.server_order.as_deref(),
        Some(&expected[..])
    );
    // A classical key share beats the draft: Go 1.23 only prefers shares.
    assert_eq!(
        r.observed.groups.selection,
        Some(Selection::KeyShareThenServerOrder)
    );
    assert_eq!(r.observed.groups.pq_over_key_share, Some(false));
    assert_eq!(r.observed.handshake.negotiated_group, Some(G::X25519));
    assert_eq!(r.assessed.verdict.status, PqStatus::DraftOnly);
}

async fn assert_go124_like(version: &str, expected: &[G]) {
    let peer = go_server(version);
    let r = probe(&peer).await;
    assert_tolerant(&r);
    assert_eq!(r.observed.tls_versions, [V::TLS1_3, V::TLS1_2]);
    assert_eq!(r.observed.groups.supported, expected);
    assert_eq!(r.observed.groups.server_order.as_deref(), Some(expected));
    assert_eq!(
        r.observed.groups.selection,
        Some(Selection::PqThenKeyShareThenServerOrder)
    );
    assert_eq!(r.observed.groups.pq_over_key_share, Some(true));
    assert_eq!(
        r.observed.handshake.negotiated_group,
        Some(G::X25519MLKEM768)
    );
    assert!(!r.observed.handshake.hello_retry);
    assert_eq!(
        r.assessed.verdict.text,
        "PQ key exchange: yes (X25519MLKEM768, preferred)"
    );
}

#[tokio::test]
async fn go124_server_prefers_x25519mlkem768() {
    if !require(&["goserver-1.24"]) {
        return;
    }
    assert_go124_like("1.24", &GO124_DEFAULT).await;
}

#[tokio::test]
async fn go125_server_prefers_x25519mlkem768() {
    if !require(&["goserver-1.25"]) {
        return;
    }
    assert_go124_like("1.25", &GO124_DEFAULT).await;
}

#[tokio::test]
async fn go126_server_adds_nist_hybrids() {
    if !require(&["goserver-1.26"]) {
        return;
    }
    assert_go124_like(
        "1.26",
        &[
            G::X25519MLKEM768,
            G::SECP256R1MLKEM768,
            G::SECP384R1MLKEM1024,
            G::X25519,
            G::SECP256R1,
            G::SECP384R1,
            G::SECP521R1,
        ],
    )
    .await;
}

/// Go 1.27 (Debian sid's 1.27.3) keeps Go 1.26's key exchange: MLKEM1024
/// is known but not enabled by default. `pqready probe`, as a user runs it,
/// must see exactly the groups of server model `go1.27`, in its order.
#[tokio::test]
async fn go127_server_keeps_go126_groups_as_its_model_says() {
    if !require(&["goserver-1.27"]) {
        return;
    }
    let model = pqready::catalog::server::select("go1.27")
        .unwrap()
        .remove(0);
    let groups = model.groups();
    assert!(!groups.contains(&G::MLKEM1024));
    assert_go124_like("1.27", &groups).await;

    let peer = go_server("1.27");
    let addr = peer.addr.to_string();
    let lines = crate::support::command::json_lines(&["probe", &addr, "-o", "json"]);
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap_or_else(|| panic!("not a list: {v}"))
            .iter()
            .map(|g| g.as_str().unwrap().to_string())
            .collect()
    };
    let expected: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    assert_eq!(
        names(&lines[0]["groups"]["supported"]),
        expected,
        "{}",
        lines[0]
    );
    assert_eq!(
        names(&lines[0]["groups"]["server_order"]),
        expected,
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[0]["groups"]["selection"], "pq_then_key_share_then_server_order",
        "{}",
        lines[0]
    );
}

// ---- nginx and etcd ------------------------------------------------------------

#[tokio::test]
async fn nginx_with_openssl35_defaults() {
    if !require(&["nginx"]) {
        return;
    }
    assert_openssl35_defaults(&probe(&nginx()).await);
}

#[tokio::test]
async fn haproxy_with_openssl35_defaults() {
    if !require(&["haproxy"]) {
        return;
    }
    assert_openssl35_defaults(&probe(&haproxy()).await);
}

#[tokio::test]
async fn debian_etcd_is_classical_only() {
    if !require(&["etcd"]) {
        return;
    }
    // Debian builds etcd with Go 1.24 but `tlsmlkem=0` in its default GODEBUG.
    let peer = etcd(&[]);
    let r = probe(&peer).await;
    assert_tolerant(&r);
    assert_eq!(r.observed.tls_versions, [V::TLS1_3, V::TLS1_2]);
    assert_eq!(r.observed.groups.supported, GO_CLASSICAL);
    assert_eq!(
        r.observed.groups.selection,
        Some(Selection::KeyShareThenServerOrder)
    );
    assert_eq!(r.observed.handshake.negotiated_group, Some(G::X25519));
    assert_eq!(r.assessed.verdict.status, PqStatus::Classical);
}

#[tokio::test]
async fn debian_etcd_with_tlsmlkem_on_is_pq() {
    if !require(&["etcd"]) {
        return;
    }
    let peer = etcd(&[("GODEBUG", "tlsmlkem=1")]);
    let r = probe(&peer).await;
    assert_eq!(r.observed.groups.supported, GO124_DEFAULT);
    assert_eq!(
        r.observed.handshake.negotiated_group,
        Some(G::X25519MLKEM768)
    );
    assert_eq!(r.assessed.verdict.status, PqStatus::Pq);
}

// ---- Client profiles: the offline matrix agrees with live replay -----------------

/// Replays every built-in client profile against `peer` and checks that the
/// offline prediction of server model `model` is identical for each one.
async fn assert_matrix_agrees(peer: &Peer, model: &str) {
    let profiles: Vec<_> = pqready::catalog::profile::all().iter().collect();
    let target = loopback::target(peer.addr, Some("localhost"));
    let config = ProbeConfig {
        clients: profiles.clone(),
        ..loopback::config(Duration::from_secs(10))
    };
    let report = scan_one(&target, &config).await;
    assert_eq!(report.error, None, "peer log:\n{}", peer.log());
    let server = pqready::catalog::server::select(model).unwrap().remove(0);
    assert!(!profiles.is_empty(), "no client profiles to replay");
    assert_eq!(
        report.observed.clients.len(),
        profiles.len(),
        "one live result per client profile"
    );
    let mismatches: Vec<String> = report
        .observed
        .clients
        .iter()
        .zip(&profiles)
        .filter_map(|(live, profile)| {
            let predicted = server.predict(profile);
            let live_view = (live.negotiated_group, live.hello_retry, live.failed);
            let predicted_view = (
                predicted.negotiated_group,
                predicted.hello_retry,
                predicted.failed,
            );
            (live_view != predicted_view).then(|| {
                format!(
                    "{}: live {:?}, predicted {:?} ({:?})",
                    profile.id, live_view, predicted_view, live.detail
                )
            })
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "model {model} disagrees with the live server:\n{}",
        mismatches.join("\n")
    );
}

#[tokio::test]
async fn matrix_agrees_with_live_go_servers() {
    if !require(&[
        "goserver-1.22",
        "goserver-1.23",
        "goserver-1.24",
        "goserver-1.25",
        "goserver-1.26",
        "goserver-1.27",
    ]) {
        return;
    }
    for version in ["1.22", "1.23", "1.24", "1.25", "1.26", "1.27"] {
        assert_matrix_agrees(&go_server(version), &format!("go{version}")).await;
    }
}

#[tokio::test]
async fn matrix_agrees_with_live_openssl35_and_nginx() {
    if !require(&["openssl", "nginx"]) {
        return;
    }
    assert_matrix_agrees(&s_server(&[]), "openssl3.5").await;
    assert_matrix_agrees(&nginx(), "openssl3.5").await;
}

#[tokio::test]
async fn matrix_agrees_with_live_etcd() {
    if !require(&["etcd"]) {
        return;
    }
    assert_matrix_agrees(&etcd(&[]), "go1.24+tlsmlkem=0").await;
}

#[tokio::test]
async fn matrix_agrees_with_live_rustls() {
    let cfg = pqready::demo::demo_configs()
        .into_iter()
        .find(|c| c.name == "pq-hybrid")
        .unwrap();
    let server = pqready::demo::start(cfg).await.unwrap();
    let profiles: Vec<_> = pqready::catalog::profile::all().iter().collect();
    let config = ProbeConfig {
        clients: profiles.clone(),
        ..ProbeConfig::default()
    };
    let report = scan_one(&server.target(), &config).await;
    let model = pqready::catalog::server::select("rustls0.23")
        .unwrap()
        .remove(0);
    assert_eq!(report.error, None);
    assert!(!profiles.is_empty(), "no client profiles to replay");
    assert_eq!(
        report.observed.clients.len(),
        profiles.len(),
        "one live result per client profile"
    );
    for (live, profile) in report.observed.clients.iter().zip(&profiles) {
        let p = model.predict(profile);
        assert_eq!(
            (live.negotiated_group, live.hello_retry, live.failed),
            (p.negotiated_group, p.hello_retry, p.failed),
            "{}",
            profile.id
        );
    }
}
