//! One complete handshake with rustls, as a modern post-quantum-first client.
//!
//! Owns: running rustls (aws-lc-rs provider, its default groups with
//! X25519MLKEM768 first) against the target and recording what was
//! negotiated — group, cipher suite, version, whether a HelloRetryRequest was
//! needed — and the certificate chain the server sent. The chain is captured,
//! not judged: certificate trust is deliberately not checked here (the
//! signature over the handshake still is), because an audit must see servers
//! with private CAs, and certificate analysis is a separate stage. The
//! handshake runs through the hello-tolerance check's first-flight pump,
//! unchanged (one record, one write), so the same connection is also that
//! check's `pq-one-segment` variant.
//!
//! Also owns the capturing client the other rustls-based checks share
//! ([`capturing_client`]): which signature schemes it offers, and which one
//! the server's CertificateVerify (or TLS 1.2 ServerKeyExchange) really used,
//! verified with aws-lc-rs.

use super::{ProbeError, Session};
use crate::net::{pump_first_flight, tls_error_kind, NetError, Segmenting};
use crate::vocab::ErrorKind;
use crate::wire::{CipherSuite, NamedGroup, ProtocolVersion};
use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, HandshakeKind, SignatureScheme};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one full rustls handshake negotiated.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct HandshakeObservation {
    /// The key-exchange group; `None` if the handshake failed.
    pub negotiated_group: Option<NamedGroup>,
    /// The cipher suite; `None` if the handshake failed.
    pub cipher_suite: Option<CipherSuite>,
    /// The protocol version; `None` if the handshake failed.
    pub version: Option<ProtocolVersion>,
    /// True if the server asked for another key share first.
    pub hello_retry: bool,
    /// The server's certificates, leaf first, DER in standard base64.
    pub certificate_chain: Vec<String>,
    /// Why the handshake failed, if it did.
    pub error: Option<String>,
    /// The kind of that failure.
    pub error_kind: Option<ErrorKind>,
    /// True when this handshake ran over QUIC v1 (a `quic` target, ALPN
    /// h3), not TCP; absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub over_quic: bool,
    /// The same chain as DER, for the `certificates` check to analyse.
    #[serde(skip)]
    pub der_chain: Vec<Vec<u8>>,
    /// Bytes of the ClientHello record sent (in one write): this connection
    /// is also the `pq-one-segment` variant of the hello-tolerance check.
    #[serde(skip)]
    pub hello_bytes: usize,
}

impl HandshakeObservation {
    /// A handshake that failed with `e`.
    pub fn failed(e: &ProbeError) -> Self {
        HandshakeObservation {
            error: Some(e.message.clone()),
            error_kind: Some(e.kind),
            ..Default::default()
        }
    }
}

/// The aws-lc-rs provider with its default groups (X25519MLKEM768 first).
pub fn provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// Runs the handshake. Failures are recorded in the observation, not returned.
pub async fn full_handshake(session: &Session) -> HandshakeObservation {
    let obs = match tokio::time::timeout(session.timeout, run(session)).await {
        Ok(Ok(obs)) => obs,
        Ok(Err(error)) => HandshakeObservation::failed(&error),
        Err(_) => {
            session.mark_stalled();
            HandshakeObservation::failed(&ProbeError::new(
                ErrorKind::Timeout,
                "timed out during the handshake".into(),
            ))
        }
    };
    match (&obs.negotiated_group, &obs.error) {
        (_, Some(error)) => {
            tracing::debug!(target = %session.addr, %error, "rustls handshake failed")
        }
        (group, None) => tracing::debug!(
            target = %session.addr,
            group = %group.map(|g| g.to_string()).unwrap_or_default(),
            version = %obs.version.map(|v| v.to_string()).unwrap_or_default(),
            hello_retry = obs.hello_retry,
            "rustls handshake completed"
        ),
    }
    obs
}

/// Why a capturing client configuration could not be built (a mismatch
/// between pqready and its crypto provider, not a fact about a server).
#[derive(Debug, thiserror::Error)]
pub enum ClientConfigError {
    /// The provider verifies none of the schemes asked for.
    #[error("the crypto provider verifies none of the requested signature schemes")]
    NoSchemes,
    /// rustls refused the protocol versions for the provider.
    #[error("{0}")]
    Versions(rustls::Error),
}

/// A session's SNI that is not a DNS name rustls accepts.
#[derive(Debug, thiserror::Error)]
#[error("invalid SNI: {0}")]
pub struct InvalidSni(rustls::pki_types::InvalidDnsNameError);

/// A rustls client configuration that captures (does not validate) the
/// server's certificate; `classical_only` drops every post-quantum group.
pub fn client_config(classical_only: bool) -> Result<Arc<rustls::ClientConfig>, ClientConfigError> {
    let mut provider = provider();
    if classical_only {
        provider
            .kx_groups
            .retain(|g| !NamedGroup(u16::from(g.name())).is_post_quantum());
    }
    Ok(capturing_client(provider, Signatures::All)?.0)
}

/// Which signature schemes a capturing client offers (signature_algorithms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signatures {
    /// Every scheme the aws-lc-rs provider verifies, ML-DSA included.
    All,
    /// Only ML-DSA-44/65/87; TLS 1.3 only, the only version that has them.
    MlDsa,
    /// Every scheme of the provider except ML-DSA.
    Classical,
}

/// The ML-DSA signature schemes (draft-ietf-tls-mldsa).
pub const MLDSA_SCHEMES: [SignatureScheme; 3] = [
    SignatureScheme::ML_DSA_44,
    SignatureScheme::ML_DSA_65,
    SignatureScheme::ML_DSA_87,
];

/// A client configuration for `provider` that offers `signatures`, and its
/// verifier, which tells afterwards which scheme the server signed with.
/// Build one per connection: the verifier records that connection only.
pub fn capturing_client(
    provider: CryptoProvider,
    signatures: Signatures,
) -> Result<(Arc<rustls::ClientConfig>, Arc<CaptureOnly>), ClientConfigError> {
    let provider = Arc::new(provider);
    let all = provider
        .signature_verification_algorithms
        .supported_schemes();
    let offered: Vec<SignatureScheme> = match signatures {
        Signatures::All => all,
        Signatures::MlDsa => all
            .into_iter()
            .filter(|s| MLDSA_SCHEMES.contains(s))
            .collect(),
        Signatures::Classical => all
            .into_iter()
            .filter(|s| !MLDSA_SCHEMES.contains(s))
            .collect(),
    };
    if offered.is_empty() {
        return Err(ClientConfigError::NoSchemes);
    }
    let verifier = Arc::new(CaptureOnly {
        provider: provider.clone(),
        offered,
        used: Mutex::new(None),
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider);
    let builder = match signatures {
        Signatures::MlDsa => builder.with_protocol_versions(&[&rustls::version::TLS13]),
        _ => builder.with_safe_default_protocol_versions(),
    }
    .map_err(ClientConfigError::Versions)?;
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    Ok((Arc::new(config), verifier))
}

/// The name rustls should use for this session: the SNI, else the IP.
pub fn server_name(session: &Session) -> Result<ServerName<'static>, InvalidSni> {
    match &session.sni {
        Some(sni) => ServerName::try_from(sni.clone()).map_err(InvalidSni),
        None => Ok(ServerName::IpAddress(session.addr.ip().into())),
    }
}

/// Connects and completes a rustls handshake with `config`.
pub async fn connect(
    session: &Session,
    config: Arc<rustls::ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<crate::net::HeldStream>, ProbeError> {
    let name =
        server_name(session).map_err(|e| ProbeError::new(ErrorKind::Internal, e.to_string()))?;
    let conn = session.connect().await?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, conn.into_held_stream())
        .await
        .map_err(|e| ProbeError::new(tls_error_kind(&e), format!("handshake failed: {e}")))
}

async fn run(session: &Session) -> Result<HandshakeObservation, ProbeError> {
    let config =
        client_config(false).map_err(|e| ProbeError::new(ErrorKind::Internal, e.to_string()))?;
    // Through the first-flight pump unchanged (one record, one write), which
    // also counts the hello's bytes.
    let facts = |state: &rustls::ClientConnection| observe(state);
    match pumped_handshake(session, config, ONE_WRITE, facts).await {
        Ok((obs, flight)) => Ok(HandshakeObservation {
            hello_bytes: flight.bytes,
            ..obs
        }),
        Err(failure) => {
            let message = match failure.connected {
                true => format!("handshake failed: {}", failure.detail),
                false => failure.detail,
            };
            Ok(HandshakeObservation {
                hello_bytes: failure.hello_bytes,
                ..HandshakeObservation::failed(&ProbeError::new(failure.kind, message))
            })
        }
    }
}

/// What a finished rustls connection negotiated, read from rustls itself
/// (over TCP here, over QUIC in [`super::quic::handshake`]): never computed.
pub fn observe(state: &rustls::CommonState) -> HandshakeObservation {
    let der_chain: Vec<Vec<u8>> = state
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect();
    HandshakeObservation {
        negotiated_group: state
            .negotiated_key_exchange_group()
            .map(|g| NamedGroup(u16::from(g.name()))),
        cipher_suite: state
            .negotiated_cipher_suite()
            .map(|s| CipherSuite(u16::from(s.suite()))),
        version: state
            .protocol_version()
            .map(|v| ProtocolVersion(u16::from(v))),
        hello_retry: state.handshake_kind() == Some(HandshakeKind::FullWithHelloRetryRequest),
        certificate_chain: der_chain
            .iter()
            .map(|c| base64::engine::general_purpose::STANDARD.encode(c))
            .collect(),
        der_chain,
        over_quic: false,
        error: None,
        error_kind: None,
        hello_bytes: 0,
    }
}

/// Re-frames a ClientHello record into other records.
pub type Reframe = fn(&[u8]) -> Vec<u8>;

/// How a handshake's first flight leaves: its ClientHello record re-framed
/// (or not), then cut into TCP writes.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Re-frames the ClientHello record into other records, if set.
    pub reframe: Option<Reframe>,
    /// How the (re-framed) first flight is written.
    pub segmenting: Segmenting,
}

/// The first flight as rustls makes it: one record, one write.
pub const ONE_WRITE: Shape = Shape {
    reframe: None,
    segmenting: Segmenting::OneWrite,
};

/// A failure of one pumped handshake: its kind, its words, and whether the
/// connection had been made (a failure after that is the handshake's).
pub struct Failure {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// Its words.
    pub detail: String,
    /// True once the TCP connection was made (the handshake failed).
    pub connected: bool,
    /// Bytes of the first flight sent before it failed.
    pub hello_bytes: usize,
    /// The pause between a split first flight's writes (zero when not split
    /// or not connected).
    pub pause: Duration,
}

impl Failure {
    /// A failure of our own (a bad name, a configuration).
    pub fn internal(detail: String) -> Self {
        Failure {
            kind: ErrorKind::Internal,
            detail,
            connected: false,
            hello_bytes: 0,
            pause: Duration::ZERO,
        }
    }
}

impl From<NetError> for Failure {
    fn from(e: NetError) -> Self {
        Failure {
            kind: e.kind(),
            detail: e.to_string(),
            connected: false,
            hello_bytes: 0,
            pause: Duration::ZERO,
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure {
            kind: tls_error_kind(&e),
            detail: e.to_string(),
            connected: true,
            hello_bytes: 0,
            pause: Duration::ZERO,
        }
    }
}

/// How a pumped handshake's first flight went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstFlight {
    /// Its bytes.
    pub bytes: usize,
    /// The pause between its two writes (zero in one write).
    pub pause: Duration,
}

/// Connects, completes a rustls handshake with `config` whose first flight
/// goes through the shaping pump (`shape`), and reads `facts` from the
/// finished connection. Returns them with how the first flight went out.
/// The caller bounds it in time.
pub async fn pumped_handshake<T>(
    session: &Session,
    config: std::sync::Arc<rustls::ClientConfig>,
    shape: Shape,
    facts: impl FnOnce(&rustls::ClientConnection) -> T,
) -> Result<(T, FirstFlight), Failure> {
    let server = server_name(session).map_err(|e| Failure::internal(e.to_string()))?;
    let tcp = session.connect().await?.into_held_stream();
    // A split pause follows this connection's path, measured by the kernel
    // since its handshake.
    let segmenting = shape.segmenting.for_path(tcp.smoothed_rtt());
    let pause = segmenting.pause();
    let (client_side, pump_side) = tokio::io::duplex(64 * 1024);
    let connector = tokio_rustls::TlsConnector::from(config);
    let (sent_tx, mut sent_rx) = tokio::sync::oneshot::channel();
    let reframe = |record: Vec<u8>| match shape.reframe {
        Some(reframe) => reframe(&record),
        None => record,
    };
    let pump = pump_first_flight(pump_side, tcp, reframe, segmenting, session.slot(), sent_tx);
    tokio::pin!(pump);
    let handshake = connector.connect(server, client_side);
    tokio::pin!(handshake);
    // The pump runs until the handshake ends; a reset surfaces there first.
    let mut pump_done = false;
    let (tls, hello_bytes) = loop {
        tokio::select! {
            done = &mut handshake => {
                let sent = sent_rx.try_recv().unwrap_or(0);
                let tls = done.map_err(|e| Failure { hello_bytes: sent, pause, ..Failure::from(e) })?;
                break (tls, sent);
            }
            ended = &mut pump, if !pump_done => {
                pump_done = true;
                ended?;
            }
        }
    };
    let (_, state) = tls.get_ref();
    Ok((
        facts(state),
        FirstFlight {
            bytes: hello_bytes,
            pause,
        },
    ))
}

/// Accepts any certificate chain (it is captured for later analysis) but
/// still verifies the handshake signature made with the leaf's key, with the
/// provider's algorithms (ML-DSA included), and refuses a signature scheme it
/// did not offer. Remembers the scheme the server signed with.
#[derive(Debug)]
pub struct CaptureOnly {
    provider: Arc<CryptoProvider>,
    offered: Vec<SignatureScheme>,
    used: Mutex<Option<SignatureScheme>>,
}

impl CaptureOnly {
    /// The scheme of the server's verified handshake signature, once there is one.
    pub fn scheme_used(&self) -> Option<SignatureScheme> {
        *self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The schemes this client offers, in order.
    pub fn offered(&self) -> &[SignatureScheme] {
        &self.offered
    }

    fn check(
        &self,
        dss: &DigitallySignedStruct,
        verified: Result<HandshakeSignatureValid, rustls::Error>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if !self.offered.contains(&dss.scheme) {
            return Err(rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme.into());
        }
        let valid = verified?;
        *self.used.lock().unwrap_or_else(|e| e.into_inner()) = Some(dss.scheme);
        Ok(valid)
    }
}

impl ServerCertVerifier for CaptureOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let verified = verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        );
        self.check(dss, verified)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let verified = verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        );
        self.check(dss, verified)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.offered.clone()
    }
}
