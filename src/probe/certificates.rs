//! Can the server authenticate post-quantum? Two complete rustls handshakes,
//! one offering only the ML-DSA signature schemes (0x0904–0x0906, TLS 1.3)
//! and one offering every classical scheme, so that a server holding both an
//! ML-DSA and a classical certificate is seen with both; and the certificate
//! chains they (and the `handshake` check) captured, parsed into facts.
//!
//! Owns: those two handshakes (charged to the `certificates` check; QUIC
//! connections on a `quic` target, [`super::quic::handshake`]), which
//! signature scheme the server's handshake signature used — verified for
//! real with aws-lc-rs by the capturing verifier of [`super::handshake`],
//! never assumed from the certificate —, and turning captured DER chains
//! into [`CapturedChain`]s with `pki` (a certificate pki cannot read stays
//! in its chain with the error). A server that refuses a hello (an alert) is
//! an answer, recorded in its attempt; the check fails only when neither
//! handshake got an answer at all (refused, timeout, no TLS).
//!
//! Must not: trust or reject a chain, judge keys, deadlines or findings
//! (that is `assess::certs`), or format anything.

use super::handshake::{self, Signatures, MLDSA_SCHEMES};
use super::{ProbeError, Session};
use crate::pki::{self, CertificateFacts};
use crate::vocab::{AuthKind, ErrorKind};
use crate::wire::{ProtocolVersion, SignatureScheme};
use serde::Serialize;

/// One handshake of the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct AuthAttempt {
    /// Which schemes it offered: `mldsa` (ML-DSA only) or `classical` (all but ML-DSA).
    pub kind: AuthKind,
    /// True if the handshake completed, with the server's signature verified.
    pub completed: bool,
    /// The signature scheme of the server's verified handshake signature.
    pub scheme: Option<SignatureScheme>,
    /// The negotiated protocol version.
    pub version: Option<ProtocolVersion>,
    /// SHA-256 fingerprints (lower-case hex) of the certificates the server
    /// sent, leaf first; empty when the handshake failed.
    pub chain: Vec<String>,
    /// Why the handshake failed (e.g. the server's alert), if it did.
    pub error: Option<String>,
    /// The kind of that failure.
    pub error_kind: Option<ErrorKind>,
}

impl AuthAttempt {
    /// True if the server took part: the handshake completed, or the server
    /// refused it in TLS (an alert, a protocol violation), as opposed to no
    /// answer at all (refused, timeout, reset, not TLS).
    pub fn answered(&self) -> bool {
        self.completed
            || matches!(
                self.error_kind,
                Some(
                    ErrorKind::Alert
                        | ErrorKind::PeerMisbehaved
                        | ErrorKind::Malformed
                        | ErrorKind::Tls
                )
            )
    }
}

/// Whether the server authenticates with ML-DSA and with classical
/// signatures, and with which schemes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct AuthenticationObservation {
    /// A handshake offering only ML-DSA completed with an ML-DSA signature.
    pub mldsa: bool,
    /// A handshake offering only classical schemes completed with one.
    pub classical: bool,
    /// Each scheme the server completed a handshake with, ML-DSA first.
    pub schemes: Vec<SignatureScheme>,
    /// The two handshakes, ML-DSA first.
    pub attempts: Vec<AuthAttempt>,
}

impl AuthenticationObservation {
    /// The attempt of `kind`, if it ran.
    pub fn attempt(&self, kind: AuthKind) -> Option<&AuthAttempt> {
        self.attempts.iter().find(|a| a.kind == kind)
    }

    fn from_attempts(attempts: Vec<AuthAttempt>) -> Self {
        let used = |mldsa: bool| {
            attempts
                .iter()
                .filter(|a| a.completed)
                .filter_map(|a| a.scheme)
                .filter(move |s| is_mldsa(*s) == mldsa)
        };
        let mut schemes: Vec<SignatureScheme> = Vec::new();
        for s in used(true).chain(used(false)) {
            if !schemes.contains(&s) {
                schemes.push(s);
            }
        }
        AuthenticationObservation {
            mldsa: used(true).next().is_some(),
            classical: used(false).next().is_some(),
            schemes,
            attempts,
        }
    }
}

/// True for ML-DSA-44, -65 and -87.
pub fn is_mldsa(scheme: SignatureScheme) -> bool {
    MLDSA_SCHEMES.iter().any(|s| u16::from(*s) == scheme.0)
}

/// Which handshake captured a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainSource {
    /// The `handshake` check's PQ-first handshake (every scheme offered).
    Handshake,
    /// One of this check's handshakes.
    Auth(AuthKind),
}

/// One certificate as the server sent it, read by `pki`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedCertificate {
    /// SHA-256 of its DER, lower-case hex.
    pub fingerprint_sha256: String,
    /// What it says, or why `pki` could not read it.
    pub facts: Result<CertificateFacts, pki::PkiError>,
}

/// A chain as the server sent it, leaf first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedChain {
    /// Which handshake captured it.
    pub source: ChainSource,
    /// Its certificates, in the order sent.
    pub certificates: Vec<CapturedCertificate>,
}

impl CapturedChain {
    /// Reads each DER certificate of a chain; one that cannot be read keeps
    /// its place with the error.
    pub fn parse<C: AsRef<[u8]>>(source: ChainSource, chain: &[C]) -> Self {
        CapturedChain {
            source,
            certificates: chain
                .iter()
                .map(|der| {
                    let der = der.as_ref();
                    CapturedCertificate {
                        fingerprint_sha256: fingerprint(der),
                        facts: pki::parse_certificate(der),
                    }
                })
                .collect(),
        }
    }
}

fn fingerprint(der: &[u8]) -> String {
    pki::hex_lower(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref())
}

/// What the check found: the observation, the chains it captured, and the
/// check's failure when neither handshake got an answer.
#[derive(Debug, Clone)]
pub struct CertificatesCheck {
    /// Serialised per target as `authentication`.
    pub observation: AuthenticationObservation,
    /// The chains of the completed handshakes, ML-DSA first.
    pub chains: Vec<CapturedChain>,
    /// Set when neither handshake got an answer from the server.
    pub failure: Option<ProbeError>,
}

/// Runs the ML-DSA-only then the classical-only handshake.
pub async fn check(session: &Session) -> CertificatesCheck {
    let mut attempts = Vec::new();
    let mut chains = Vec::new();
    for kind in [AuthKind::Mldsa, AuthKind::Classical] {
        // After a handshake that timed out the next would wait as long
        // again: the endpoint stalls mid-handshake whatever is offered.
        if attempts
            .iter()
            .any(|a: &AuthAttempt| a.error_kind == Some(ErrorKind::Timeout))
        {
            attempts.push(AuthAttempt {
                kind,
                completed: false,
                scheme: None,
                version: None,
                chain: Vec::new(),
                error: Some("not tried: the previous handshake timed out".into()),
                error_kind: Some(ErrorKind::Timeout),
            });
            continue;
        }
        let (attempt, der) = attempt(session, kind).await;
        if attempt.completed {
            chains.push(CapturedChain::parse(ChainSource::Auth(kind), &der));
        }
        attempts.push(attempt);
    }
    let failure = (!attempts.iter().any(AuthAttempt::answered)).then(|| {
        let first = &attempts[0];
        ProbeError::new(
            first.error_kind.unwrap_or(ErrorKind::Io),
            attempts
                .iter()
                .map(|a| format!("{}: {}", a.kind, a.error.as_deref().unwrap_or("no answer")))
                .collect::<Vec<_>>()
                .join("; "),
        )
    });
    CertificatesCheck {
        observation: AuthenticationObservation::from_attempts(attempts),
        chains,
        failure,
    }
}

/// One handshake offering the `kind` schemes; its chain as DER when it completed.
async fn attempt(session: &Session, kind: AuthKind) -> (AuthAttempt, Vec<Vec<u8>>) {
    let signatures = match kind {
        AuthKind::Mldsa => Signatures::MlDsa,
        AuthKind::Classical => Signatures::Classical,
    };
    let run = async {
        let (config, verifier) = handshake::capturing_client(handshake::provider(), signatures)
            .map_err(|e| ProbeError::new(ErrorKind::Internal, e.to_string()))?;
        // A `quic` target's handshakes are QUIC connections, with the same
        // client configuration and verifier.
        let seen = match session.quic() {
            Some(_) => super::quic::handshake::connect(session, config).await?,
            None => {
                let tls = handshake::connect(session, config).await?;
                handshake::observe(tls.get_ref().1)
            }
        };
        let (version, der) = (seen.version, seen.der_chain);
        let scheme = verifier
            .scheme_used()
            .map(|s| SignatureScheme(u16::from(s)));
        Ok::<_, ProbeError>((scheme, version, der))
    };
    let result = match tokio::time::timeout(session.timeout, run).await {
        Ok(result) => result,
        Err(_) => {
            session.mark_stalled();
            Err(ProbeError::new(
                ErrorKind::Timeout,
                "timed out during the handshake".into(),
            ))
        }
    };
    match result {
        Ok((scheme, version, der)) => {
            tracing::debug!(
                target = %session.addr,
                %kind,
                scheme = %scheme.map(|s| s.to_string()).unwrap_or_default(),
                certificates = der.len(),
                "authentication handshake completed"
            );
            (
                AuthAttempt {
                    kind,
                    // A handshake without a verified signature proves nothing.
                    completed: scheme.is_some(),
                    scheme,
                    version,
                    chain: der.iter().map(|c| fingerprint(c)).collect(),
                    error: scheme
                        .is_none()
                        .then(|| "the server's handshake signature was not seen".into()),
                    error_kind: scheme.is_none().then_some(ErrorKind::Internal),
                },
                der,
            )
        }
        Err(e) => {
            tracing::debug!(target = %session.addr, %kind, error = %e, "authentication handshake failed");
            (
                AuthAttempt {
                    kind,
                    completed: false,
                    scheme: None,
                    version: None,
                    chain: Vec::new(),
                    error: Some(e.message),
                    error_kind: Some(e.kind),
                },
                Vec::new(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(
        kind: AuthKind,
        scheme: Option<SignatureScheme>,
        error: Option<ErrorKind>,
    ) -> AuthAttempt {
        AuthAttempt {
            kind,
            completed: scheme.is_some(),
            scheme,
            version: scheme.map(|_| ProtocolVersion::TLS1_3),
            chain: Vec::new(),
            error: error.map(|k| k.to_string()),
            error_kind: error,
        }
    }

    #[test]
    fn schemes_and_kinds_follow_the_completed_attempts() {
        let both = AuthenticationObservation::from_attempts(vec![
            attempt(AuthKind::Mldsa, Some(SignatureScheme::MLDSA65), None),
            attempt(
                AuthKind::Classical,
                Some(SignatureScheme::ECDSA_SECP256R1_SHA256),
                None,
            ),
        ]);
        assert!(both.mldsa && both.classical);
        assert_eq!(
            both.schemes,
            [
                SignatureScheme::MLDSA65,
                SignatureScheme::ECDSA_SECP256R1_SHA256
            ]
        );
        let classical = AuthenticationObservation::from_attempts(vec![
            attempt(AuthKind::Mldsa, None, Some(ErrorKind::Alert)),
            attempt(AuthKind::Classical, Some(SignatureScheme::ED25519), None),
        ]);
        assert!(!classical.mldsa && classical.classical);
        assert!(classical.attempts[0].answered());
        assert!(!attempt(AuthKind::Mldsa, None, Some(ErrorKind::Timeout)).answered());
    }

    #[test]
    fn an_unreadable_certificate_keeps_its_place() {
        let good = rcgen::generate_simple_self_signed(vec!["a.test".into()]).unwrap();
        let chain = CapturedChain::parse(
            ChainSource::Handshake,
            &[good.cert.der().to_vec(), b"not a certificate".to_vec()],
        );
        assert_eq!(chain.certificates.len(), 2);
        let leaf = chain.certificates[0].facts.as_ref().unwrap();
        assert_eq!(
            leaf.fingerprint_sha256,
            chain.certificates[0].fingerprint_sha256
        );
        assert!(chain.certificates[1].facts.is_err());
        assert_eq!(chain.certificates[1].fingerprint_sha256.len(), 64);
    }
}
