//! Judgements about one connection `pqready inspect` saw: what the client
//! offered against what the connection settled on, and whether it would
//! accept an ML-DSA server certificate.
//!
//! Owns: the downgrade rule and the ML-DSA certificate rule. Must not: read
//! sockets or bytes, or format anything; `inspect` supplies the offer, the
//! negotiated group and the handshake's outcome, `report` renders the answer.

use crate::inspect::ClientObservation;
use crate::vocab::{CertType, OfferVerdict};
use crate::wire::NamedGroup;
use serde::Serialize;

/// What `assess` concludes about one inspected connection.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct ClientAssessment {
    /// `pq`, `draft-only` or `classical`; null when no hello was parsed.
    pub verdict: Option<OfferVerdict>,
    /// The client offered a post-quantum group and the connection settled on
    /// a classical one ([`downgraded`]); null when the negotiated group is unknown.
    pub downgraded: Option<bool>,
    /// Whether this client accepts an ML-DSA server certificate
    /// ([`accepts_mldsa_cert`]): measured when one was served, false when it
    /// offers no ML-DSA signature scheme; null when unknown.
    pub accepts_mldsa_cert: Option<bool>,
}

/// Judges one inspected connection: its offer and, when the server's answer
/// is known, whether it was downgraded.
pub fn client(observed: &ClientObservation) -> ClientAssessment {
    ClientAssessment {
        verdict: observed
            .hello_read()
            .then(|| super::offer(&observed.groups)),
        downgraded: downgraded(&observed.groups, observed.negotiated_group),
        accepts_mldsa_cert: accepts_mldsa_cert(observed),
    }
}

/// True for the ML-DSA certificate types.
pub fn is_mldsa(cert_type: CertType) -> bool {
    matches!(
        cert_type,
        CertType::Mldsa44 | CertType::Mldsa65 | CertType::Mldsa87
    )
}

/// Whether the client accepts an ML-DSA server certificate:
/// - served one (terminate mode, `--cert-type mldsa*`): whether the
///   handshake completed with it or failed — the client's answer for that
///   ML-DSA level;
/// - otherwise false when its hello offers no ML-DSA signature scheme: a TLS
///   1.3 server can only prove it holds an ML-DSA key with an ML-DSA
///   CertificateVerify, which the client must have offered (and TLS 1.2 has
///   no ML-DSA at all);
/// - null when it offers one (necessary, not sufficient: the certificate
///   chain must verify too) or no hello was read.
pub fn accepts_mldsa_cert(observed: &ClientObservation) -> Option<bool> {
    if !observed.hello_read() {
        return None;
    }
    if observed.cert_type.is_some_and(is_mldsa) {
        // A handshake that was never attempted (a refused connection) says nothing.
        if observed.handshake_completed == Some(true) {
            return Some(true);
        }
        if observed.handshake_error.is_some() {
            return Some(false);
        }
    }
    (!observed.offers_mldsa).then_some(false)
}

/// Whether a connection was downgraded: the client offered a post-quantum
/// group (the obsolete Kyber draft counts: it was meant to be post-quantum)
/// and the connection settled on a classical one. `None` when the negotiated
/// group is unknown (the server's answer could not be read, or it named none).
pub fn downgraded(offered: &[NamedGroup], negotiated: Option<NamedGroup>) -> Option<bool> {
    let negotiated = negotiated?;
    Some(offered.iter().any(|g| g.is_post_quantum()) && !negotiated.is_post_quantum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::capture::Capture;
    use crate::wire::{ClientHello, ClientHelloSpec, SignatureScheme};
    use std::time::UNIX_EPOCH;

    const GO123: &[NamedGroup] = &[NamedGroup::X25519KYBER768DRAFT00, NamedGroup::X25519];
    const GO124: &[NamedGroup] = &[NamedGroup::X25519MLKEM768, NamedGroup::X25519];
    const CLASSICAL: &[NamedGroup] = &[NamedGroup::X25519, NamedGroup::SECP256R1];

    #[test]
    fn a_pq_offer_settling_on_a_classical_group_is_a_downgrade() {
        assert_eq!(downgraded(GO123, Some(NamedGroup::X25519)), Some(true));
        assert_eq!(downgraded(GO124, Some(NamedGroup::SECP256R1)), Some(true));
    }

    #[test]
    fn a_pq_result_or_a_classical_offer_is_not() {
        assert_eq!(
            downgraded(GO124, Some(NamedGroup::X25519MLKEM768)),
            Some(false)
        );
        assert_eq!(
            downgraded(GO123, Some(NamedGroup::X25519KYBER768DRAFT00)),
            Some(false)
        );
        assert_eq!(downgraded(CLASSICAL, Some(NamedGroup::X25519)), Some(false));
        assert_eq!(downgraded(&[], Some(NamedGroup::X25519)), Some(false));
    }

    /// An observation of a TLS 1.3 hello with `schemes`, and nothing else.
    fn observed(schemes: &[SignatureScheme]) -> ClientObservation {
        let mut spec = ClientHelloSpec::tls13(GO124.to_vec(), vec![]);
        spec.signature_schemes = schemes.to_vec();
        let cap = Capture {
            raw: vec![1],
            tcp_reads: 1,
            records: 1,
            hello_len: 100,
            result: Ok(ClientHello::parse(&spec.encode()).unwrap()),
        };
        ClientObservation::from_capture("127.0.0.1:1".parse().unwrap(), UNIX_EPOCH, &cap)
    }

    const WITH_MLDSA: &[SignatureScheme] = &[
        SignatureScheme::MLDSA65,
        SignatureScheme::ECDSA_SECP256R1_SHA256,
    ];
    const WITHOUT: &[SignatureScheme] = &[
        SignatureScheme::ECDSA_SECP256R1_SHA256,
        SignatureScheme::RSA_PSS_RSAE_SHA256,
    ];

    #[test]
    fn a_served_mldsa_certificate_decides_by_the_handshake() {
        let mut ok = observed(WITH_MLDSA);
        ok.set_handshake(Some(CertType::Mldsa65), Ok(()));
        assert_eq!(accepts_mldsa_cert(&ok), Some(true));
        let mut failed = observed(WITH_MLDSA);
        failed.set_handshake(Some(CertType::Mldsa87), Err(Some("alert".into())));
        assert_eq!(accepts_mldsa_cert(&failed), Some(false));
        let mut failed = observed(WITHOUT);
        failed.set_handshake(Some(CertType::Mldsa44), Err(Some("no scheme".into())));
        assert_eq!(accepts_mldsa_cert(&failed), Some(false));
        // Refused before any handshake: only the offer speaks.
        let mut refused = observed(WITH_MLDSA);
        refused.set_handshake(Some(CertType::Mldsa65), Err(None));
        assert_eq!(accepts_mldsa_cert(&refused), None);
    }

    #[test]
    fn without_an_mldsa_certificate_only_a_missing_offer_decides() {
        let mut ecdsa = observed(WITH_MLDSA);
        ecdsa.set_handshake(Some(CertType::EcdsaP256), Ok(()));
        assert_eq!(accepts_mldsa_cert(&ecdsa), None);
        let mut ecdsa = observed(WITHOUT);
        ecdsa.set_handshake(Some(CertType::EcdsaP256), Ok(()));
        assert_eq!(accepts_mldsa_cert(&ecdsa), Some(false));
        // Forward mode.
        assert_eq!(accepts_mldsa_cert(&observed(WITH_MLDSA)), None);
        assert_eq!(accepts_mldsa_cert(&observed(WITHOUT)), Some(false));
        assert!(observed(WITH_MLDSA).offers_mldsa && !observed(WITHOUT).offers_mldsa);
        // No hello: nothing to judge.
        let none = Capture {
            raw: vec![],
            tcp_reads: 0,
            records: 0,
            hello_len: 0,
            result: Err(crate::inspect::capture::CaptureError::Timeout),
        };
        let none =
            ClientObservation::from_capture("127.0.0.1:1".parse().unwrap(), UNIX_EPOCH, &none);
        assert_eq!(client(&none).accepts_mldsa_cert, None);
    }

    #[test]
    fn an_unknown_result_is_unknown() {
        assert_eq!(downgraded(GO124, None), None);
        assert_eq!(downgraded(CLASSICAL, None), None);
    }
}
