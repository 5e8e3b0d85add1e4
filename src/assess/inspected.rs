//! Judgements about one connection `pqready inspect` saw: what the client
//! offered against what the connection settled on, and whether it would
//! accept an ML-DSA server certificate.
//!
//! Owns: the downgrade rule (in terminate mode bounded by what pqready's own
//! endpoint can negotiate), the ML-DSA certificate rule, and the outlook:
//! what a server of each generation would give the observed offer (the
//! `catalog::server` models). Must not: read
//! sockets or bytes, or format anything; `inspect` supplies the offer, the
//! negotiated group and the handshake's outcome, `report` renders the answer.

use crate::catalog::{profile, server};
use crate::inspect::ClientObservation;
use crate::vocab::{CertType, OfferVerdict};
use crate::wire::NamedGroup;
use serde::Serialize;

/// What `assess` concludes about one inspected connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ClientAssessment {
    /// `pq`, `draft-only` or `classical`; null when no hello was parsed.
    pub verdict: Option<OfferVerdict>,
    /// The client offered a post-quantum group and the connection settled on
    /// a classical one ([`downgraded`]); null when the negotiated group is
    /// unknown. In terminate mode only a post-quantum group pqready's own
    /// endpoint can negotiate counts: a client whose only post-quantum offer
    /// is one the endpoint lacks (the Kyber draft) is not downgraded by it.
    pub downgraded: Option<bool>,
    /// Whether this client accepts an ML-DSA server certificate
    /// ([`accepts_mldsa_cert`]): measured when one was served, false when it
    /// offers no ML-DSA signature scheme; null when unknown.
    pub accepts_mldsa_cert: Option<bool>,
    /// Terminate mode: the post-quantum groups the client offered that
    /// pqready's own endpoint cannot negotiate (its classical result there
    /// is pqready's limit, not the client's); empty otherwise.
    #[serde(default)]
    pub inspector_lacks: Vec<NamedGroup>,
    /// What a server of each generation would give this client, predicted
    /// from its offer (`pqready matrix` models); empty when no hello was read.
    #[serde(default)]
    pub servers: Vec<ServerOutlook>,
}

/// What one server generation would negotiate with an observed client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ServerOutlook {
    /// The server model (`pqready matrix`): `go1.22` … `go1.27`, `openssl3.5`.
    pub server: String,
    /// The group it would negotiate; null when the handshake would fail.
    pub negotiated_group: Option<NamedGroup>,
    /// A HelloRetryRequest would come first.
    pub hello_retry: bool,
    /// No group in common: the handshake would fail.
    pub failed: bool,
    /// The client's downgrade: it offers a post-quantum group, the server
    /// offers a standard (ML-KEM) one, yet they would settle on a classical
    /// group (the Kyber draft alone against Go 1.24 and later). A classical
    /// result against a server with only the draft is the server's age.
    pub downgraded: bool,
}

/// The server generations an inspected client is predicted against: each Go
/// release's defaults (classical, Kyber draft, ML-KEM, ML-KEM + SecP hybrids)
/// and OpenSSL 3.5 (nginx, haproxy).
pub const SERVER_GENERATIONS: [&str; 7] = [
    "go1.22",
    "go1.23",
    "go1.24",
    "go1.25",
    "go1.26",
    "go1.27",
    "openssl3.5",
];

/// Judges one inspected connection: its offer and, when the server's answer
/// is known, whether it was downgraded.
pub fn client(observed: &ClientObservation) -> ClientAssessment {
    let inspector_lacks: Vec<NamedGroup> = match &observed.inspector_groups {
        Some(endpoint) => observed
            .groups
            .iter()
            .copied()
            .filter(|g| g.is_post_quantum() && !endpoint.contains(g))
            .collect(),
        None => Vec::new(),
    };
    let downgraded = match &observed.inspector_groups {
        // Terminate mode: only the PQ groups this endpoint could have chosen.
        Some(endpoint) => {
            let usable: Vec<NamedGroup> = observed
                .groups
                .iter()
                .copied()
                .filter(|g| endpoint.contains(g))
                .collect();
            downgraded(&usable, observed.negotiated_group)
        }
        None => downgraded(&observed.groups, observed.negotiated_group),
    };
    ClientAssessment {
        verdict: observed
            .hello_read()
            .then(|| super::offer(&observed.groups)),
        downgraded,
        accepts_mldsa_cert: accepts_mldsa_cert(observed),
        inspector_lacks,
        servers: if observed.hello_read() {
            outlook(observed)
        } else {
            Vec::new()
        },
    }
}

/// What each of [`SERVER_GENERATIONS`] would give the observed offer.
pub fn outlook(observed: &ClientObservation) -> Vec<ServerOutlook> {
    let shares: Vec<NamedGroup> = observed.key_shares.iter().map(|k| k.group).collect();
    // Only the offer fields matter to `predict`; the rest are placeholders.
    let offer = profile::ClientProfile {
        id: "observed".into(),
        description: "the observed ClientHello".into(),
        family: profile::Family::Browser,
        groups: observed.groups.clone(),
        key_shares: shares,
        versions: observed.versions.clone(),
        cipher_suites: observed.cipher_suites.clone(),
        signature_schemes: observed.signature_schemes.clone(),
        based_on: None,
        upgrade_hint: String::new(),
        source: String::new(),
    };
    let offers_pq = offer.offers_pq();
    SERVER_GENERATIONS
        .iter()
        .filter_map(|id| server::all().iter().find(|m| m.id == *id))
        .map(|model| {
            let o = model.predict(&offer);
            // The client is behind only where the server offers a standard
            // (ML-KEM) group: against a draft-only server a classical result
            // is the server's age, not the client's.
            let server_standard = model
                .groups()
                .iter()
                .any(|g| g.info().is_some_and(|i| i.kind.is_standard_post_quantum()));
            ServerOutlook {
                server: model.id.clone(),
                negotiated_group: o.negotiated_group,
                hello_retry: o.hello_retry,
                failed: o.failed,
                downgraded: offers_pq && server_standard && !o.failed && !o.pq(),
            }
        })
        .collect()
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
        // A client that left without an alert (a browser's spare
        // connection) did not reject the certificate.
        if observed.handshake_error.is_some() && !observed.handshake_abandoned {
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
    fn a_client_leaving_without_an_alert_did_not_reject_the_certificate() {
        let mut left = observed(WITH_MLDSA);
        left.set_handshake(
            Some(CertType::Mldsa65),
            Err(Some("tls handshake eof".into())),
        );
        left.set_abandoned_by(&std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        assert_eq!(client(&left).accepts_mldsa_cert, None);
        let mut alerted = observed(WITH_MLDSA);
        alerted.set_handshake(
            Some(CertType::Mldsa65),
            Err(Some("received fatal alert: BadCertificate".into())),
        );
        alerted.set_abandoned_by(&std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "received fatal alert: BadCertificate",
        ));
        assert_eq!(client(&alerted).accepts_mldsa_cert, Some(false));
        // Without ML-DSA in its hello it cannot accept one, whatever it did.
        let mut classical = observed(WITHOUT);
        classical.set_handshake(
            Some(CertType::Mldsa65),
            Err(Some("tls handshake eof".into())),
        );
        classical.set_abandoned_by(&std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        assert_eq!(client(&classical).accepts_mldsa_cert, Some(false));
    }

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

    /// A kubectl 1.32-like offer (Kyber draft + x25519) that got x25519.
    fn draft_client_got_x25519(endpoint: Option<Vec<NamedGroup>>) -> ClientObservation {
        let mut o = observed(WITHOUT);
        o.groups = GO123.to_vec();
        o.negotiated_group = Some(NamedGroup::X25519);
        o.inspector_groups = endpoint;
        o
    }

    #[test]
    fn terminate_mode_does_not_blame_the_client_for_a_group_the_endpoint_lacks() {
        let endpoint = vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        let judged = client(&draft_client_got_x25519(Some(endpoint.clone())));
        assert_eq!(judged.downgraded, Some(false));
        assert_eq!(judged.inspector_lacks, [NamedGroup::X25519KYBER768DRAFT00]);
        // Forward mode: a real server gave x25519 to a PQ offer.
        let judged = client(&draft_client_got_x25519(None));
        assert_eq!(judged.downgraded, Some(true));
        assert!(judged.inspector_lacks.is_empty());
        // Terminate mode, a group the endpoint has, still classical: the client's.
        let mut o = observed(WITHOUT);
        o.groups = GO124.to_vec();
        o.negotiated_group = Some(NamedGroup::X25519);
        o.inspector_groups = Some(endpoint);
        assert_eq!(client(&o).downgraded, Some(true));
    }

    #[test]
    fn the_outlook_marks_only_the_clients_own_downgrades() {
        let draft = outlook(&draft_client_got_x25519(None));
        let got: Vec<(&str, Option<NamedGroup>, bool)> = draft
            .iter()
            .map(|o| (o.server.as_str(), o.negotiated_group, o.downgraded))
            .collect();
        assert_eq!(got[0], ("go1.22", Some(NamedGroup::X25519), false));
        assert_eq!(
            got[1],
            ("go1.23", Some(NamedGroup::X25519KYBER768DRAFT00), false)
        );
        assert_eq!(got[2], ("go1.24", Some(NamedGroup::X25519), true));
        assert_eq!(got.len(), SERVER_GENERATIONS.len());
        // ML-KEM against a draft-only server: the server is behind.
        let mut mlkem = observed(WITHOUT);
        mlkem.groups = GO124.to_vec();
        let go123 = &outlook(&mlkem)[1];
        assert_eq!(go123.negotiated_group, Some(NamedGroup::X25519));
        assert!(!go123.downgraded);
    }

    #[test]
    fn an_unknown_result_is_unknown() {
        assert_eq!(downgraded(GO124, None), None);
        assert_eq!(downgraded(CLASSICAL, None), None);
    }
}
