//! Keys and certificate requests as facts: private keys (PKCS#8, PKCS#1,
//! SEC1, encrypted PKCS#8), public keys (SubjectPublicKeyInfo, PKCS#1) and
//! certificate signing requests (PKCS#10), each reduced to [`KeyFacts`]:
//! its algorithm and size.
//!
//! Owns: reading those DER structures with x509-parser and the asn1-rs
//! parser it re-exports (no hand-written DER decoding), and the PEM labels
//! that name them.
//! Must not: keep or return key material. A private key is read only as far
//! as its algorithm OID, an EC key's curve and an RSA key's modulus length;
//! nothing else leaves this module, and no error quotes the input.

use super::{key_facts, unsigned_bits, KeyFacts, PkiError};
use crate::catalog::algorithms::{self as algorithm, Family};
use x509_parser::asn1_rs::{Any, Class, FromDer, Tag};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::SubjectPublicKeyInfo;
use x509_parser::x509::AlgorithmIdentifier;

/// The `key_algorithm` of a private key that is encrypted: its algorithm and
/// size cannot be known without the passphrase.
pub const ENCRYPTED: &str = "encrypted";

/// What a certificate signing request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrFacts {
    /// Subject distinguished name (RFC 4514 style).
    pub subject: String,
    /// The key it asks to certify.
    pub key: KeyFacts,
    /// The signature algorithm of its self-signature (`ML-DSA-65`,
    /// `sha256WithRSAEncryption`, … or `unknown`).
    pub signature_algorithm: String,
}

/// What a PEM block's label says it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemKind {
    /// `CERTIFICATE`, `X509 CERTIFICATE`.
    Certificate,
    /// `TRUSTED CERTIFICATE` (OpenSSL: a certificate followed by trust settings).
    TrustedCertificate,
    /// `CERTIFICATE REQUEST`, `NEW CERTIFICATE REQUEST`.
    Csr,
    /// `PUBLIC KEY` (SubjectPublicKeyInfo).
    PublicKey,
    /// `RSA PUBLIC KEY` (PKCS#1).
    RsaPublicKey,
    /// `PRIVATE KEY` (PKCS#8).
    PrivateKey,
    /// `RSA PRIVATE KEY` (PKCS#1).
    RsaPrivateKey,
    /// `EC PRIVATE KEY` (SEC1).
    EcPrivateKey,
    /// `ENCRYPTED PRIVATE KEY` (PKCS#8 EncryptedPrivateKeyInfo).
    EncryptedPrivateKey,
    /// `EC PARAMETERS`: written by `openssl ecparam` before its key; nothing to report.
    EcParameters,
}

impl PemKind {
    /// The kind of block labelled `label`, if pqready reads it.
    pub fn of_label(label: &str) -> Option<PemKind> {
        Some(match label {
            "CERTIFICATE" | "X509 CERTIFICATE" => PemKind::Certificate,
            "TRUSTED CERTIFICATE" => PemKind::TrustedCertificate,
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => PemKind::Csr,
            "PUBLIC KEY" => PemKind::PublicKey,
            "RSA PUBLIC KEY" => PemKind::RsaPublicKey,
            "PRIVATE KEY" => PemKind::PrivateKey,
            "RSA PRIVATE KEY" => PemKind::RsaPrivateKey,
            "EC PRIVATE KEY" => PemKind::EcPrivateKey,
            "ENCRYPTED PRIVATE KEY" => PemKind::EncryptedPrivateKey,
            "EC PARAMETERS" => PemKind::EcParameters,
            _ => return None,
        })
    }
}

fn bad(what: &str) -> PkiError {
    PkiError(format!("not {what}"))
}

/// The next DER element of `input`, advancing it.
fn next<'a>(input: &mut &'a [u8], what: &str) -> Result<Any<'a>, PkiError> {
    let (rest, any) = Any::from_der(input).map_err(|_| bad(what))?;
    *input = rest;
    Ok(any)
}

/// The contents of the one DER SEQUENCE that `der` must be, nothing after it.
fn sequence<'a>(der: &'a [u8], what: &str) -> Result<&'a [u8], PkiError> {
    let mut input = der;
    let any = next(&mut input, what)?;
    if !input.is_empty()
        || any.header.tag() != Tag::Sequence
        || any.header.class() != Class::Universal
    {
        return Err(bad(what));
    }
    Ok(any.data)
}

fn integer<'a>(input: &mut &'a [u8], what: &str) -> Result<&'a [u8], PkiError> {
    let any = next(input, what)?;
    if any.header.tag() != Tag::Integer || any.header.class() != Class::Universal {
        return Err(bad(what));
    }
    Ok(any.data)
}

fn octet_string<'a>(input: &mut &'a [u8], what: &str) -> Result<&'a [u8], PkiError> {
    let any = next(input, what)?;
    if any.header.tag() != Tag::OctetString || any.header.class() != Class::Universal {
        return Err(bad(what));
    }
    Ok(any.data)
}

fn algorithm_identifier(
    input: &mut &[u8],
    what: &str,
) -> Result<(String, Option<String>), PkiError> {
    let (rest, id) = AlgorithmIdentifier::from_der(input).map_err(|_| bad(what))?;
    *input = rest;
    let parameter_oid = id
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    Ok((id.algorithm.to_id_string(), parameter_oid))
}

const PKCS8: &str = "a PKCS#8 private key";
const PKCS1_PRIVATE: &str = "a PKCS#1 RSA private key";
const PKCS1_PUBLIC: &str = "a PKCS#1 RSA public key";
const SEC1: &str = "a SEC1 EC private key";
const ENCRYPTED_PKCS8: &str = "a PKCS#8 encrypted private key";

/// The modulus size of a PKCS#1 RSAPrivateKey
/// (`SEQUENCE { version, modulus, publicExponent, … }`).
fn rsa_private_modulus_bits(der: &[u8]) -> Result<u32, PkiError> {
    let mut input = sequence(der, PKCS1_PRIVATE)?;
    integer(&mut input, PKCS1_PRIVATE)?;
    let modulus = integer(&mut input, PKCS1_PRIVATE)?;
    integer(&mut input, PKCS1_PRIVATE)?;
    Ok(unsigned_bits(modulus))
}

/// The curve OID of a SEC1 ECPrivateKey
/// (`SEQUENCE { version, privateKey, [0] parameters OPTIONAL, [1] publicKey OPTIONAL }`).
fn sec1_curve(der: &[u8]) -> Result<Option<String>, PkiError> {
    let mut input = sequence(der, SEC1)?;
    integer(&mut input, SEC1)?;
    octet_string(&mut input, SEC1)?;
    while !input.is_empty() {
        let tagged = next(&mut input, SEC1)?;
        if tagged.header.class() == Class::ContextSpecific && tagged.header.tag() == Tag(0) {
            let mut inner = tagged.data;
            let parameters = next(&mut inner, SEC1)?;
            let oid = parameters.as_oid().map_err(|_| bad(SEC1))?;
            return Ok(Some(oid.to_id_string()));
        }
    }
    Ok(None)
}

/// Facts of a PKCS#8 PrivateKeyInfo / OneAsymmetricKey (`PRIVATE KEY`):
/// RSA, EC, Ed25519, Ed448, X25519, ML-DSA, SLH-DSA, ML-KEM, composites.
pub fn pkcs8_private_key_facts(der: &[u8]) -> Result<KeyFacts, PkiError> {
    let mut input = sequence(der, PKCS8)?;
    integer(&mut input, PKCS8)?;
    let (oid, parameter) = algorithm_identifier(&mut input, PKCS8)?;
    let private = octet_string(&mut input, PKCS8)?;
    Ok(match oid.as_str() {
        algorithm::OID_RSA | algorithm::OID_RSASSA_PSS => {
            KeyFacts::from_oids(&oid, None, Some(rsa_private_modulus_bits(private)?))
        }
        algorithm::OID_EC_PUBLIC_KEY => {
            let curve = match parameter {
                Some(curve) => Some(curve),
                None => sec1_curve(private)?,
            };
            KeyFacts::from_oids(&oid, curve.as_deref(), None)
        }
        _ => KeyFacts::from_oids(&oid, None, None),
    })
}

/// Facts of a PKCS#1 RSAPrivateKey (`RSA PRIVATE KEY`).
pub fn rsa_private_key_facts(der: &[u8]) -> Result<KeyFacts, PkiError> {
    let bits = rsa_private_modulus_bits(der)?;
    Ok(KeyFacts::from_oids(algorithm::OID_RSA, None, Some(bits)))
}

/// Facts of a SEC1 ECPrivateKey (`EC PRIVATE KEY`).
pub fn ec_private_key_facts(der: &[u8]) -> Result<KeyFacts, PkiError> {
    let curve = sec1_curve(der)?;
    Ok(KeyFacts::from_oids(
        algorithm::OID_EC_PUBLIC_KEY,
        curve.as_deref(),
        None,
    ))
}

/// Facts of a PKCS#1 RSAPublicKey (`RSA PUBLIC KEY`).
pub fn rsa_public_key_facts(der: &[u8]) -> Result<KeyFacts, PkiError> {
    let mut input = sequence(der, PKCS1_PUBLIC)?;
    let modulus = integer(&mut input, PKCS1_PUBLIC)?;
    integer(&mut input, PKCS1_PUBLIC)?;
    if !input.is_empty() {
        return Err(bad(PKCS1_PUBLIC));
    }
    Ok(KeyFacts::from_oids(
        algorithm::OID_RSA,
        None,
        Some(unsigned_bits(modulus)),
    ))
}

/// Facts of a PKCS#8 EncryptedPrivateKeyInfo (`ENCRYPTED PRIVATE KEY`):
/// only that it is encrypted, and with which scheme (its OID).
pub fn encrypted_private_key_facts(der: &[u8]) -> Result<KeyFacts, PkiError> {
    let mut input = sequence(der, ENCRYPTED_PKCS8)?;
    let (scheme, _) = algorithm_identifier(&mut input, ENCRYPTED_PKCS8)?;
    octet_string(&mut input, ENCRYPTED_PKCS8)?;
    if !input.is_empty() {
        return Err(bad(ENCRYPTED_PKCS8));
    }
    Ok(KeyFacts::encrypted(scheme))
}

/// Facts of a PKCS#10 certification request (`CERTIFICATE REQUEST`).
pub fn csr_facts(der: &[u8]) -> Result<CsrFacts, PkiError> {
    let (rest, csr) = X509CertificationRequest::from_der(der)
        .map_err(|_| bad("a PKCS#10 certificate request"))?;
    if !rest.is_empty() {
        return Err(PkiError(format!(
            "{} bytes after the certificate request",
            rest.len()
        )));
    }
    let info = &csr.certification_request_info;
    let oid = csr.signature_algorithm.algorithm.to_id_string();
    Ok(CsrFacts {
        subject: info.subject.to_string(),
        key: key_facts(&info.subject_pki),
        signature_algorithm: algorithm::signature_algorithm(&oid)
            .map(|s| s.name.to_string())
            .unwrap_or_else(|| "unknown".into()),
    })
}

/// Facts of a DER SubjectPublicKeyInfo (`PUBLIC KEY`), nothing after it.
pub fn spki_facts(der: &[u8]) -> Result<KeyFacts, PkiError> {
    let (rest, spki) = SubjectPublicKeyInfo::from_der(der)
        .map_err(|_| bad("a SubjectPublicKeyInfo public key"))?;
    if !rest.is_empty() {
        return Err(PkiError(format!(
            "{} bytes after the public key",
            rest.len()
        )));
    }
    Ok(key_facts(&spki))
}

/// The length of the first DER element of `der` (the certificate of a
/// `TRUSTED CERTIFICATE` block, before OpenSSL's trust settings).
pub fn first_element_len(der: &[u8]) -> Result<usize, PkiError> {
    let (rest, _) = Any::from_der(der).map_err(|_| bad("DER"))?;
    Ok(der.len() - rest.len())
}

impl KeyFacts {
    /// An encrypted private key: `scheme` is the encryption scheme's OID
    /// (PBES2), or empty for legacy PEM encryption (`Proc-Type: 4,ENCRYPTED`).
    pub fn encrypted(scheme: String) -> Self {
        KeyFacts {
            key_algorithm: ENCRYPTED.into(),
            key_algorithm_oid: scheme,
            key_bits: None,
            curve: None,
            family: Family::Unknown,
            security_bits: None,
            nist_level: None,
        }
    }
}

/// Runs every parser of this module on `bytes`, for fuzzing: none may panic.
pub fn fuzz_parse(bytes: &[u8]) {
    let _ = pkcs8_private_key_facts(bytes);
    let _ = rsa_private_key_facts(bytes);
    let _ = ec_private_key_facts(bytes);
    let _ = rsa_public_key_facts(bytes);
    let _ = encrypted_private_key_facts(bytes);
    let _ = csr_facts(bytes);
    let _ = spki_facts(bytes);
    let _ = first_element_len(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rcgen_keys_and_requests() {
        for (alg, name, bits, curve) in [
            (&rcgen::PKCS_ECDSA_P256_SHA256, "EC", None, Some("P-256")),
            (&rcgen::PKCS_ECDSA_P384_SHA384, "EC", None, Some("P-384")),
            (&rcgen::PKCS_ED25519, "Ed25519", None, None),
            (&rcgen::PKCS_ML_DSA_44, "ML-DSA-44", None, None),
            (&rcgen::PKCS_ML_DSA_87, "ML-DSA-87", None, None),
        ] {
            let key = rcgen::KeyPair::generate_for(alg).unwrap();
            let private = pkcs8_private_key_facts(&key.serialize_der()).unwrap();
            assert_eq!(private.key_algorithm, name);
            assert_eq!(private.key_bits, bits);
            assert_eq!(private.curve.as_deref(), curve);
            let public = spki_facts(&rcgen::PublicKeyData::subject_public_key_info(&key)).unwrap();
            assert_eq!(public, private);
            let mut params = rcgen::CertificateParams::new(vec!["csr.test".into()]).unwrap();
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, "csr.test");
            let csr = params.serialize_request(&key).unwrap();
            let facts = csr_facts(csr.der()).unwrap();
            assert_eq!(facts.subject, "CN=csr.test");
            assert_eq!(facts.key, public);
        }
    }

    #[test]
    fn rejects_junk_without_panicking() {
        for junk in [
            &b""[..],
            b"\x30",
            b"\x30\x03\x02\x01\x00",
            b"\x30\x80\x00\x00",
        ] {
            fuzz_parse(junk);
            assert!(pkcs8_private_key_facts(junk).is_err());
            assert!(rsa_public_key_facts(junk).is_err());
            assert!(csr_facts(junk).is_err());
        }
        assert_eq!(KeyFacts::encrypted(String::new()).describe(), "encrypted");
    }
}
