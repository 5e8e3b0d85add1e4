//! Which pre-1.3 protocol versions a server accepts.
//!
//! Owns: one hello per version (TLS 1.2, 1.1, 1.0), each offering only that
//! version with a broad list of that era's cipher suites, run concurrently.
//! A version counts as accepted only when the server's ServerHello selects
//! exactly it. TLS 1.3 acceptance comes from group discovery and the full
//! handshake, which already speak it. Observations only.

use super::exchange::{ReadUntil, Reply};
use super::Session;
use crate::wire::{CipherSuite, ClientHelloSpec, NamedGroup, ProtocolVersion};

const LEGACY_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
];

fn legacy_hello(version: ProtocolVersion) -> ClientHelloSpec {
    let groups = vec![
        NamedGroup::X25519,
        NamedGroup::SECP256R1,
        NamedGroup::SECP384R1,
        NamedGroup::SECP521R1,
        NamedGroup::X448,
        NamedGroup::FFDHE2048,
        NamedGroup::FFDHE3072,
    ];
    let mut spec = ClientHelloSpec::tls13(groups, Vec::new());
    spec.versions = vec![version];
    spec.cipher_suites = LEGACY_SUITES.to_vec();
    spec.session_id = Vec::new();
    spec
}

async fn accepts(session: &Session, version: ProtocolVersion) -> bool {
    match session
        .hello(legacy_hello(version), ReadUntil::ServerHello)
        .await
    {
        Ok(Reply::Hello { hello, .. }) => hello.selected_version().ok() == Some(version),
        _ => false,
    }
}

/// The pre-1.3 versions the server accepts, newest first.
pub async fn probe_legacy_versions(session: &Session) -> Vec<ProtocolVersion> {
    let (v12, v11, v10) = tokio::join!(
        accepts(session, ProtocolVersion::TLS1_2),
        accepts(session, ProtocolVersion::TLS1_1),
        accepts(session, ProtocolVersion::TLS1_0),
    );
    [
        (v12, ProtocolVersion::TLS1_2),
        (v11, ProtocolVersion::TLS1_1),
        (v10, ProtocolVersion::TLS1_0),
    ]
    .into_iter()
    .filter_map(|(ok, v)| ok.then_some(v))
    .collect()
}
