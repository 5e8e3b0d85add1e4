//! Which pre-1.3 protocol versions a server accepts.
//!
//! Owns: one hello per version (TLS 1.2, 1.1, 1.0), each offering only that
//! version with a broad list of that era's cipher suites, run concurrently.
//! A version counts as accepted only when the server's ServerHello selects
//! exactly it. TLS 1.3 acceptance comes from group discovery and the full
//! handshake, which already speak it. Observations only.

use super::exchange::{ReadUntil, Reply};
use super::{ProbeError, Session};
use crate::net::NetError;
use crate::wire::registry::{TLS12_ECDHE_AEAD_SUITES, TLS12_ECDHE_CBC_SUITES};
use crate::wire::{CipherSuite, ClientHelloSpec, NamedGroup, ProtocolVersion};

/// Suites of the TLS 1.0–1.2 era beyond ECDHE: DHE, static RSA, 3DES, and the
/// renegotiation SCSV, so old servers find something they accept.
const OLDER_SUITES: &[CipherSuite] = &[
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
    spec.cipher_suites = [
        TLS12_ECDHE_AEAD_SUITES,
        TLS12_ECDHE_CBC_SUITES,
        OLDER_SUITES,
    ]
    .concat();
    spec.session_id = Vec::new();
    spec
}

/// Whether the server accepts `version`: a ServerHello selecting exactly it.
/// An alert, a close or a reset (how servers refuse old versions) or another
/// version is "no"; a connection that cannot be made or an answer that does
/// not come in time is a failed check, never a "no".
async fn accepts(session: &Session, version: ProtocolVersion) -> Result<bool, ProbeError> {
    match session
        .hello(legacy_hello(version), ReadUntil::ServerHello)
        .await
    {
        Ok(Reply::Hello { hello, .. }) => Ok(hello.selected_version().ok() == Some(version)),
        Ok(_) => Ok(false),
        Err(NetError::Closed | NetError::Reset) => Ok(false),
        Err(e) => Err(ProbeError::new(e.kind(), format!("{version} probe: {e}"))),
    }
}

/// The pre-1.3 versions the server accepts, newest first.
pub async fn probe_legacy_versions(session: &Session) -> Result<Vec<ProtocolVersion>, ProbeError> {
    let (v12, v11, v10) = tokio::join!(
        accepts(session, ProtocolVersion::TLS1_2),
        accepts(session, ProtocolVersion::TLS1_1),
        accepts(session, ProtocolVersion::TLS1_0),
    );
    Ok([
        (v12?, ProtocolVersion::TLS1_2),
        (v11?, ProtocolVersion::TLS1_1),
        (v10?, ProtocolVersion::TLS1_0),
    ]
    .into_iter()
    .filter_map(|(ok, v)| ok.then_some(v))
    .collect())
}
