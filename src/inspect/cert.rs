//! The certificate `pqready inspect` serves in terminate mode.
//!
//! Owns: generating a throw-away self-signed certificate of a chosen type
//! (`--cert-type`: ML-DSA-44/65/87, ECDSA P-256, RSA-2048; subject CN
//! `pqready-inspect`, SANs `localhost` and `127.0.0.1`), and reading which of
//! those types a given certificate (`--cert`) is. Must not: decide whether a
//! client should accept it (that is `assess::inspected`) or touch sockets.

use crate::vocab::CertType;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Subject common name of the generated certificates.
pub const SUBJECT_CN: &str = "pqready-inspect";

/// Subject alternative names of the generated certificates.
pub const SUBJECT_ALT_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// A certificate chain and its private key, with the type of the leaf's key.
#[derive(Debug)]
pub struct ServedCert {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// The leaf's type, when it is one pqready names (`None`: another key
    /// type, e.g. ECDSA P-384 or Ed25519 from `--cert`).
    pub cert_type: Option<CertType>,
}

/// A certificate of this type could not be generated (the key, its
/// parameters or the signature).
#[derive(Debug, thiserror::Error)]
#[error("cannot generate a {cert_type} certificate: {why}")]
pub struct GenerateError {
    /// The type asked for.
    pub cert_type: CertType,
    /// What rcgen said.
    pub why: rcgen::Error,
}

/// A fresh self-signed certificate of `cert_type` for [`SUBJECT_ALT_NAMES`].
pub fn generate(cert_type: CertType) -> Result<ServedCert, GenerateError> {
    let fail = |why: rcgen::Error| GenerateError { cert_type, why };
    let key = match cert_type {
        CertType::Mldsa44 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_44),
        CertType::Mldsa65 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_65),
        CertType::Mldsa87 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_87),
        CertType::EcdsaP256 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        CertType::Rsa2048 => {
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        }
    }
    .map_err(fail)?;
    let mut params = rcgen::CertificateParams::new(SUBJECT_ALT_NAMES.map(String::from).to_vec())
        .map_err(fail)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, SUBJECT_CN);
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok(ServedCert {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        cert_type: Some(cert_type),
    })
}

/// Which [`CertType`] the certificate `der` is, from its public key; `None`
/// for any other key (or a certificate that does not parse).
pub fn detect(der: &CertificateDer<'_>) -> Option<CertType> {
    let key = crate::pki::parse_certificate(der.as_ref()).ok()?.key;
    match (
        key.key_algorithm.as_str(),
        key.curve.as_deref(),
        key.key_bits,
    ) {
        ("ML-DSA-44", _, _) => Some(CertType::Mldsa44),
        ("ML-DSA-65", _, _) => Some(CertType::Mldsa65),
        ("ML-DSA-87", _, _) => Some(CertType::Mldsa87),
        ("EC", Some("P-256"), _) => Some(CertType::EcdsaP256),
        ("RSA", _, Some(2048)) => Some(CertType::Rsa2048),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_type_is_detected_as_itself_and_loads_in_rustls() {
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        for t in CertType::ALL {
            let served = generate(*t).unwrap();
            assert_eq!(served.cert_type, Some(*t));
            assert_eq!(detect(&served.chain[0]), Some(*t), "{t}");
            provider
                .key_provider
                .load_private_key(served.key.clone_key())
                .unwrap_or_else(|e| panic!("{t}: rustls cannot load the key: {e}"));
            let facts = crate::pki::parse_certificate(served.chain[0].as_ref()).unwrap();
            assert_eq!(facts.subject, "CN=pqready-inspect", "{t}");
            assert_eq!(facts.sans, ["DNS:localhost", "IP:127.0.0.1"], "{t}");
        }
    }

    #[test]
    fn other_key_types_are_not_named() {
        let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x.test".to_string()])
            .unwrap()
            .self_signed(&p384)
            .unwrap();
        assert_eq!(detect(cert.der()), None);
        let rsa =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072)
                .unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x.test".to_string()])
            .unwrap()
            .self_signed(&rsa)
            .unwrap();
        assert_eq!(detect(cert.der()), None);
        assert_eq!(detect(&CertificateDer::from(vec![0x30, 0x00])), None);
    }
}
