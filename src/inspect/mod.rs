//! `pqready inspect`: what clients offer, seen from the server side.
//!
//! Owns: accepting client connections, capturing each ClientHello within
//! hard limits ([`capture`]), describing it ([`ClientObservation`]: groups,
//! key shares, versions, suites, sizes, how many TCP reads and TLS records it
//! took, a JA4 fingerprint, the closest client profile), and then either
//! terminating TLS like a normal PQ-enabled server with a certificate of a
//! chosen type ([`cert`]) or forwarding every byte unchanged to an upstream
//! ([`serve`]), what the server answered ([`answer`]: the negotiated group,
//! version and HelloRetryRequest) and, in terminate mode, whether the
//! handshake completed.
//!
//! Must not: judge (the offer's verdict and the downgrade flag come from
//! `assess::inspected`) or format (`report::inspect` builds the record and
//! the summary).

pub mod answer;
pub mod capture;
pub mod cert;
pub mod ja4;
pub mod serve;

use crate::catalog::profile::closest;
use crate::vocab::CertType;
use crate::wire::{CipherSuite, ClientHello, NamedGroup, ProtocolVersion, SignatureScheme};
use answer::ServerAnswer;
use capture::Capture;
use serde::Serialize;
use std::net::SocketAddr;
use std::time::SystemTime;

/// Why the upstream's answer to a forwarded hello is unknown (the
/// record's `upstream_error`).
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The upstream's name did not resolve.
    #[error("upstream unreachable: {host}:{port}: {why}")]
    Unresolved {
        /// The `--forward` host.
        host: String,
        /// The `--forward` port.
        port: u16,
        /// What resolving it said.
        why: crate::net::NetError,
    },
    /// The connection to the upstream failed: refused, timed out, or
    /// unreachable.
    #[error("{}: {addr}: {why}", connect_failure(why))]
    Connect {
        /// The upstream's address.
        addr: SocketAddr,
        /// How connecting failed.
        why: crate::net::NetError,
    },
    /// Writing the captured hello upstream failed.
    #[error("upstream closed: writing the hello to {addr}: {why}")]
    WriteHello {
        /// The upstream's address.
        addr: SocketAddr,
        /// The write's error.
        why: std::io::Error,
    },
    /// Reading the upstream failed before its answer was known (the I/O
    /// error's message; the error itself ends the session).
    #[error("upstream reset: {0}")]
    Reset(String),
    /// The upstream closed, or sent what is not a TLS answer: the
    /// observer's reason.
    #[error("{0}")]
    Unreadable(String),
    /// The session ended in a way the forwarder did not name.
    #[error("upstream session ended before its answer")]
    Ended,
    /// No answer within the step timeout.
    #[error("upstream timed out: no answer within {0:?}")]
    NoAnswer(std::time::Duration),
}

fn connect_failure(why: &crate::net::NetError) -> &'static str {
    match why {
        crate::net::NetError::Refused => "upstream refused",
        crate::net::NetError::Timeout(_) => "upstream timed out",
        _ => "upstream unreachable",
    }
}

/// One key share as offered: its group and its length in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ShareSize {
    /// The group.
    pub group: NamedGroup,
    /// Payload length on the wire.
    pub length: usize,
}

/// Everything observed about one client connection: the facts of its JSON
/// Lines record. Field names are a contract (docs/guides/inspect.md, "JSON
/// Lines records"): add, never rename.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ClientObservation {
    /// When the connection was accepted (RFC 3339, UTC).
    pub time: String,
    /// The client's address.
    pub peer: String,
    /// SNI host name, if sent.
    pub sni: Option<String>,
    /// ALPN protocols, in order.
    pub alpn: Vec<String>,
    /// Offered versions (supported_versions, else legacy_version).
    pub versions: Vec<ProtocolVersion>,
    /// supported_groups, in offered order.
    pub groups: Vec<NamedGroup>,
    /// key_share entries with their sizes, in order.
    pub key_shares: Vec<ShareSize>,
    /// signature_algorithms, in order.
    pub signature_schemes: Vec<SignatureScheme>,
    /// signature_algorithms contains an ML-DSA scheme (mldsa44, mldsa65 or
    /// mldsa87); false when no hello was read.
    pub offers_mldsa: bool,
    /// cipher_suites, in order.
    pub cipher_suites: Vec<CipherSuite>,
    /// Length of the ClientHello handshake message in bytes (0 if incomplete).
    pub client_hello_len: usize,
    /// TCP reads it took to receive the hello.
    pub tcp_reads: u32,
    /// TLS records it arrived in.
    pub records: u32,
    /// JA4 fingerprint.
    pub ja4: Option<String>,
    /// Closest built-in client profile.
    pub profile_match: Option<String>,
    /// True if the offer is identical to that profile's.
    pub profile_match_exact: bool,
    /// Other profiles with exactly the same offer.
    pub profile_equivalents: Vec<String>,
    /// Why the hello could not be read (or the connection was refused), or null.
    pub error: Option<String>,
    /// The key-exchange group the server selected (after a HelloRetryRequest:
    /// the final ServerHello's); null when its answer could not be read.
    pub negotiated_group: Option<NamedGroup>,
    /// The server sent a HelloRetryRequest first; null when unknown.
    pub hello_retry: Option<bool>,
    /// The version the server selected; null when unknown.
    pub server_version: Option<ProtocolVersion>,
    /// Forward mode: why the upstream's answer is unknown (`upstream
    /// refused: …`, `upstream not TLS: …`, `upstream closed …`, `upstream
    /// alert: …`, `upstream timed out …`); null when it was read, and in
    /// terminate mode.
    #[serde(default)]
    pub upstream_error: Option<String>,
    /// Terminate mode: the key-exchange groups pqready's own TLS endpoint
    /// can negotiate, in its order (what this connection could get, not what
    /// a real server would give the client); null in forward mode.
    #[serde(default)]
    pub inspector_groups: Option<Vec<NamedGroup>>,
    /// Terminate mode: the type of the certificate served (null for a
    /// `--cert` of another type); null in forward mode.
    pub cert_type: Option<CertType>,
    /// Terminate mode: the TLS handshake with this client completed (false
    /// when it failed, or was never attempted because no hello was read or
    /// the connection was refused: see `error`); null in forward mode.
    pub handshake_completed: Option<bool>,
    /// Terminate mode: why the TLS handshake failed, as the server saw it
    /// (e.g. `peer is incompatible: NoSignatureSchemesInCommon`, `received
    /// fatal alert: BadCertificate`); null otherwise.
    pub handshake_error: Option<String>,
    /// Terminate mode: the client closed or reset the connection during the
    /// handshake without sending an alert (a browser's spare connection, a
    /// client that gave up): it said nothing about the certificate.
    #[serde(default)]
    pub handshake_abandoned: bool,
    /// Every field of the hello was read (a connection refused afterwards
    /// still was); not serialised: `verdict` is null otherwise.
    #[serde(skip)]
    pub hello_described: bool,
}

impl ClientObservation {
    /// Describes one capture.
    pub fn from_capture(peer: SocketAddr, accepted: SystemTime, cap: &Capture) -> Self {
        let mut record = ClientObservation {
            time: crate::time::rfc3339(accepted),
            peer: peer.to_string(),
            sni: None,
            alpn: Vec::new(),
            versions: Vec::new(),
            groups: Vec::new(),
            key_shares: Vec::new(),
            signature_schemes: Vec::new(),
            offers_mldsa: false,
            cipher_suites: Vec::new(),
            client_hello_len: cap.hello_len,
            tcp_reads: cap.tcp_reads,
            records: cap.records,
            ja4: None,
            profile_match: None,
            profile_match_exact: false,
            profile_equivalents: Vec::new(),
            error: None,
            negotiated_group: None,
            hello_retry: None,
            server_version: None,
            upstream_error: None,
            inspector_groups: None,
            cert_type: None,
            handshake_completed: None,
            handshake_error: None,
            handshake_abandoned: false,
            hello_described: false,
        };
        let hello = match &cap.result {
            Ok(hello) => hello,
            Err(e) => {
                record.error = Some(e.to_string());
                return record;
            }
        };
        if let Err(e) = record.fill(hello) {
            record.error = Some(format!("malformed ClientHello extension: {e}"));
        }
        record
    }

    /// Adds what the server answered (`None`: its answer could not be read).
    pub fn set_answer(&mut self, answer: Option<&ServerAnswer>) {
        self.negotiated_group = answer.and_then(|a| a.group);
        self.hello_retry = answer.map(|a| a.hello_retry);
        self.server_version = answer.map(|a| a.version);
    }

    /// Forward mode: the upstream's answer, or why it is unknown.
    pub fn set_upstream(&mut self, answer: Result<ServerAnswer, UpstreamError>) {
        match answer {
            Ok(answer) => self.set_answer(Some(&answer)),
            Err(why) => {
                self.set_answer(None);
                self.upstream_error = Some(why.to_string());
            }
        }
    }

    /// Terminate mode: the certificate served and how the handshake ended
    /// (`Err`: why it failed, `None` inside when it was never attempted).
    pub fn set_handshake(
        &mut self,
        cert_type: Option<CertType>,
        outcome: Result<(), Option<String>>,
    ) {
        self.cert_type = cert_type;
        self.handshake_completed = Some(outcome.is_ok());
        self.handshake_error = outcome.err().flatten();
    }

    /// Terminate mode: the handshake failed because the client left
    /// without an alert (`error` is the I/O error the handshake ended with).
    pub fn set_abandoned_by(&mut self, error: &std::io::Error) {
        use std::io::ErrorKind as K;
        self.handshake_abandoned = matches!(
            error.kind(),
            K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe
        );
    }

    /// True when a complete ClientHello was read and described.
    pub fn hello_read(&self) -> bool {
        self.hello_described
    }

    fn fill(&mut self, hello: &ClientHello) -> Result<(), crate::wire::WireError> {
        self.cipher_suites = hello.cipher_suites.clone();
        self.ja4 = Some(ja4::ja4(hello));
        self.sni = hello.server_name()?;
        self.alpn = hello
            .alpn()?
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        self.versions = hello.versions()?;
        if self.versions.is_empty() {
            self.versions = vec![hello.legacy_version];
        }
        self.groups = hello.groups()?;
        let shares = hello.key_shares()?;
        self.key_shares = shares
            .iter()
            .map(|k| ShareSize {
                group: k.group,
                length: k.payload.len(),
            })
            .collect();
        self.signature_schemes = hello.signature_schemes()?;
        self.offers_mldsa = self.signature_schemes.iter().any(|s| s.is_mldsa());
        let share_groups: Vec<NamedGroup> = shares.iter().map(|k| k.group).collect();
        if let Some(m) = closest(&self.groups, &share_groups, &self.signature_schemes) {
            self.profile_match = Some(m.id.clone());
            self.profile_match_exact = m.exact;
            self.profile_equivalents = m.equivalent.into_iter().filter(|id| *id != m.id).collect();
        }
        self.hello_described = true;
        Ok(())
    }
}
