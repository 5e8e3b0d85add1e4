//! Certificates and keys as facts: what a certificate, public key, CSR or
//! private key *is* (names, algorithms, sizes, validity), never what it means.
//!
//! Owns: turning DER into [`CertificateFacts`] and [`KeyFacts`] with
//! x509-parser (a maintained parser: no hand-written ASN.1 for X.509), naming
//! algorithms from `catalog::algorithms`, and the readers that find
//! certificates in files (PEM, DER, kubeconfigs, Kubernetes Secrets, kubeadm
//! PKI directories). Every reader takes hostile input: it returns an error per
//! input and never panics; sizes are bounded by the caller's read limit.
//!
//! Must not: judge (quantum safety, deadlines and findings are `assess`),
//! open network connections, or ever copy private key material or tokens into
//! a fact: a private key yields its algorithm and size only.

pub mod files;
pub mod keys;

use crate::catalog::algorithms::{self as algorithm, Family};
use serde::Serialize;
use x509_parser::prelude::*;

/// What a public key is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct KeyFacts {
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `ML-DSA-65`, `SLH-DSA-SHA2-128s`,
    /// `MLDSA65-ECDSA-P256-SHA512` (composite), … or `unknown`.
    pub key_algorithm: String,
    /// The algorithm's OID as written in the key (for EC, id-ecPublicKey).
    pub key_algorithm_oid: String,
    /// RSA (and DSA) modulus size in bits.
    pub key_bits: Option<u32>,
    /// EC curve: `P-256`, `P-384`, `P-521`, … (or the curve's OID when unknown).
    pub curve: Option<String>,
    /// The family behind the name.
    pub family: Family,
    /// Classical security strength in bits (SP 800-57), for classical keys.
    pub security_bits: Option<u16>,
    /// NIST post-quantum security category, for post-quantum keys.
    pub nist_level: Option<u8>,
}

impl KeyFacts {
    /// A key whose algorithm is only an OID.
    pub fn unknown(oid: String) -> Self {
        KeyFacts {
            key_algorithm: "unknown".into(),
            key_algorithm_oid: oid,
            key_bits: None,
            curve: None,
            family: Family::Unknown,
            security_bits: None,
            nist_level: None,
        }
    }

    /// A key named by `oid`, with an optional curve OID (EC) and modulus
    /// size (RSA, DSA).
    pub fn from_oids(oid: &str, curve_oid: Option<&str>, modulus_bits: Option<u32>) -> Self {
        if oid == algorithm::OID_EC_PUBLIC_KEY {
            let known = curve_oid.and_then(algorithm::curve);
            return KeyFacts {
                key_algorithm: "EC".into(),
                key_algorithm_oid: oid.into(),
                key_bits: None,
                curve: known
                    .map(|c| c.name.to_string())
                    .or(curve_oid.map(str::to_string)),
                family: Family::Ec,
                security_bits: known.and_then(|c| c.security_bits),
                nist_level: None,
            };
        }
        match algorithm::key_algorithm(oid) {
            Some(a) => KeyFacts {
                key_algorithm: a.name.into(),
                key_algorithm_oid: oid.into(),
                key_bits: modulus_bits.filter(|_| matches!(a.family, Family::Rsa | Family::Dsa)),
                curve: None,
                family: a.family,
                security_bits: a
                    .security_bits
                    .or(modulus_bits.map(algorithm::modulus_security_bits))
                    .filter(|_| !a.family.quantum_safe()),
                nist_level: a.nist_level,
            },
            None => KeyFacts::unknown(oid.into()),
        }
    }

    /// One short description: `RSA-2048`, `EC P-256`, `ML-DSA-65`.
    pub fn describe(&self) -> String {
        match (&self.key_bits, &self.curve) {
            (Some(bits), _) => format!("{}-{bits}", self.key_algorithm),
            (None, Some(curve)) => format!("{} {curve}", self.key_algorithm),
            _ if self.family == Family::Unknown && self.key_algorithm == "unknown" => {
                format!("unknown ({})", self.key_algorithm_oid)
            }
            _ => self.key_algorithm.clone(),
        }
    }
}

/// Reads a SubjectPublicKeyInfo already parsed by x509-parser.
pub fn key_facts(spki: &SubjectPublicKeyInfo<'_>) -> KeyFacts {
    let oid = spki.algorithm.algorithm.to_id_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let modulus_bits = match (oid.as_str(), spki.parsed()) {
        (_, Ok(x509_parser::public_key::PublicKey::RSA(rsa))) => Some(unsigned_bits(rsa.modulus)),
        (algorithm::OID_RSASSA_PSS, _) => {
            x509_parser::public_key::RSAPublicKey::from_der(&spki.subject_public_key.data)
                .ok()
                .map(|(_, rsa)| unsigned_bits(rsa.modulus))
        }
        _ => None,
    };
    KeyFacts::from_oids(&oid, curve.as_deref(), modulus_bits)
}

/// Bits in a big-endian unsigned integer, ignoring leading zero bytes.
pub fn unsigned_bits(bytes: &[u8]) -> u32 {
    let trimmed: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => return 0,
    };
    (trimmed.len() as u32 - 1) * 8 + (8 - trimmed[0].leading_zeros())
}

/// What a certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct CertificateFacts {
    /// Subject distinguished name (RFC 4514 style).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// subjectAltName entries, `DNS:name`, `IP:addr`, `email:…`, `URI:…`.
    pub sans: Vec<String>,
    /// Serial number, upper-case hex.
    pub serial: String,
    /// SHA-256 of the DER, lower-case hex.
    pub fingerprint_sha256: String,
    /// What the certificate is for where pqready recognises it (a kubeadm
    /// PKI file, a kubeconfig's client certificate, a chain position).
    pub role: Option<String>,
    /// The subject public key.
    #[serde(flatten)]
    pub key: KeyFacts,
    /// The issuer's signature algorithm: `sha256WithRSAEncryption`,
    /// `ecdsa-with-SHA256`, `ML-DSA-65`, … or `unknown`.
    pub signature_algorithm: String,
    /// Its OID.
    pub signature_algorithm_oid: String,
    /// Start of validity (RFC 3339, UTC).
    pub not_before: String,
    /// End of validity (RFC 3339, UTC).
    pub not_after: String,
    /// notBefore in seconds since 1970.
    #[serde(skip)]
    pub not_before_unix: i64,
    /// notAfter in seconds since 1970.
    #[serde(skip)]
    pub not_after_unix: i64,
    /// Issuer equals subject (and the key identifiers agree where present).
    pub self_signed: bool,
    /// basicConstraints says CA.
    pub is_ca: bool,
}

/// Reads back [`CertificateFacts`] as `pqready report` finds them in saved
/// JSON: the validity in seconds (not serialised) is recomputed from the
/// RFC 3339 `not_before` and `not_after`.
pub fn deserialize_certificate_facts<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<CertificateFacts, D::Error> {
    use serde::de::Error;
    let mut facts = <CertificateFacts as serde::Deserialize>::deserialize(d)?;
    let unix = |text: &str| {
        crate::time::unix_of_rfc3339_seconds(text)
            .ok_or_else(|| D::Error::custom(format!("invalid certificate validity '{text}'")))
    };
    facts.not_before_unix = unix(&facts.not_before)?;
    facts.not_after_unix = unix(&facts.not_after)?;
    Ok(facts)
}

impl CertificateFacts {
    /// The family of the signature algorithm.
    pub fn signature_family(&self) -> Family {
        algorithm::signature_algorithm(&self.signature_algorithm_oid)
            .map(|s| s.family)
            .unwrap_or(Family::Unknown)
    }

    /// The hash of the signature algorithm, when known.
    pub fn signature_hash(&self) -> Option<algorithm::Hash> {
        algorithm::signature_algorithm(&self.signature_algorithm_oid).map(|s| s.hash)
    }

    /// The subject's common name, or the whole subject.
    pub fn short_name(&self) -> String {
        self.subject
            .split(", ")
            .find_map(|part| part.strip_prefix("CN="))
            .unwrap_or(&self.subject)
            .to_string()
    }
}

/// Why bytes are not a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PkiError(pub String);

/// Parses one DER certificate.
pub fn parse_certificate(der: &[u8]) -> Result<CertificateFacts, PkiError> {
    let (rest, cert) = X509Certificate::from_der(der)
        .map_err(|e| PkiError(format!("not an X.509 certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(PkiError(format!(
            "{} bytes after the certificate",
            rest.len()
        )));
    }
    let der = &der[..der.len() - rest.len()];
    let mut sans = Vec::new();
    let mut subject_key_id = None;
    let mut authority_key_id = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                sans.extend(san.general_names.iter().map(general_name))
            }
            ParsedExtension::SubjectKeyIdentifier(id) => subject_key_id = Some(id.0),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                authority_key_id = aki.key_identifier.as_ref().map(|id| id.0)
            }
            _ => {}
        }
    }
    let signature_oid = cert.signature_algorithm.algorithm.to_id_string();
    let names_match = cert.subject().as_raw() == cert.issuer().as_raw();
    let ids_agree = match (subject_key_id, authority_key_id) {
        (Some(s), Some(a)) => s == a,
        _ => true,
    };
    let not_before = cert.validity().not_before.timestamp();
    let not_after = cert.validity().not_after.timestamp();
    Ok(CertificateFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        serial: hex_upper(cert.raw_serial()),
        fingerprint_sha256: hex_lower(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref(),
        ),
        role: None,
        key: key_facts(cert.public_key()),
        signature_algorithm: algorithm::signature_algorithm(&signature_oid)
            .map(|s| s.name.to_string())
            .unwrap_or_else(|| "unknown".into()),
        signature_algorithm_oid: signature_oid,
        not_before: crate::time::rfc3339_seconds(not_before),
        not_after: crate::time::rfc3339_seconds(not_after),
        not_before_unix: not_before,
        not_after_unix: not_after,
        self_signed: names_match && ids_agree,
        is_ca: cert.is_ca(),
    })
}

fn general_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(s) => format!("DNS:{s}"),
        GeneralName::RFC822Name(s) => format!("email:{s}"),
        GeneralName::URI(s) => format!("URI:{s}"),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => format!(
                "IP:{}",
                std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])
            ),
            16 => {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(bytes);
                format!("IP:{}", std::net::Ipv6Addr::from(octets))
            }
            _ => format!("IP:{}", hex_lower(bytes)),
        },
        GeneralName::DirectoryName(n) => format!("DirName:{n}"),
        GeneralName::RegisteredID(oid) => format!("RID:{oid}"),
        GeneralName::OtherName(oid, _) => format!("othername:{oid}"),
        _ => "other".into(),
    }
}

/// Lower-case hex.
pub fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_rcgen_ml_dsa_certificate() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_65).unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["pq.test".into(), "127.0.0.1".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "pq.test");
        let cert = params.self_signed(&key).unwrap();
        let facts = parse_certificate(cert.der()).unwrap();
        assert_eq!(facts.key.key_algorithm, "ML-DSA-65");
        assert_eq!(facts.signature_algorithm, "ML-DSA-65");
        assert_eq!(facts.key.nist_level, Some(3));
        assert!(facts.self_signed);
        assert_eq!(facts.sans, vec!["DNS:pq.test", "IP:127.0.0.1"]);
        assert_eq!(facts.short_name(), "pq.test");
        assert_eq!(facts.fingerprint_sha256.len(), 64);
    }

    #[test]
    fn reads_an_ecdsa_certificate_and_rejects_junk() {
        let cert = rcgen::generate_simple_self_signed(vec!["a.test".into()]).unwrap();
        let facts = parse_certificate(cert.cert.der()).unwrap();
        assert_eq!(facts.key.key_algorithm, "EC");
        assert_eq!(facts.key.curve.as_deref(), Some("P-256"));
        assert_eq!(facts.key.security_bits, Some(128));
        assert_eq!(facts.signature_algorithm, "ecdsa-with-SHA256");
        assert_eq!(facts.key.describe(), "EC P-256");
        assert!(parse_certificate(b"\x30\x03\x02\x01\x01").is_err());
        assert!(parse_certificate(&[]).is_err());
        let mut trailing = cert.cert.der().to_vec();
        trailing.push(0);
        assert!(parse_certificate(&trailing).is_err());
    }

    #[test]
    fn counts_modulus_bits() {
        assert_eq!(unsigned_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(unsigned_bits(&[0x01]), 1);
        assert_eq!(unsigned_bits(&[0, 0]), 0);
    }
}
