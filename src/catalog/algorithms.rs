//! The public-key, curve and signature algorithms pqready names, by OID.
//!
//! Owns: the OID → name table (RSA, EC curves, EdDSA, DSA, ML-DSA, all twelve
//! SLH-DSA sets, the composite ML-DSA sets of draft-ietf-lamps-pq-composite-sigs,
//! ML-KEM, X25519/X448) with each algorithm's family and classical security
//! strength (NIST SP 800-57 Part 1, Table 2). Facts about algorithms only:
//! which algorithm must be replaced by when is `catalog::deadlines`.
//!
//! Written by hand because the OID registries in crates stop before the
//! post-quantum algorithms, and the names must be exactly the ones in our JSON.

use serde::Serialize;

/// What kind of algorithm a key or signature is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// RSA (PKCS#1 v1.5 or PSS).
    Rsa,
    /// ECDSA / ECDH over a named curve.
    Ec,
    /// Ed25519 or Ed448.
    EdDsa,
    /// X25519 or X448 (key agreement keys).
    Xdh,
    /// Finite-field DSA.
    Dsa,
    /// ML-DSA (FIPS 204).
    MlDsa,
    /// SLH-DSA (FIPS 205).
    SlhDsa,
    /// Composite ML-DSA: ML-DSA and a classical algorithm together.
    CompositeMlDsa,
    /// ML-KEM (FIPS 203).
    MlKem,
    /// Not known to pqready.
    Unknown,
}

impl Family {
    /// True if a quantum computer does not break it (a composite is safe as
    /// long as its ML-DSA half is).
    pub fn quantum_safe(self) -> bool {
        matches!(
            self,
            Family::MlDsa | Family::SlhDsa | Family::CompositeMlDsa | Family::MlKem
        )
    }

    /// True if a quantum computer running Shor's algorithm breaks it.
    pub fn quantum_vulnerable(self) -> bool {
        matches!(
            self,
            Family::Rsa | Family::Ec | Family::EdDsa | Family::Xdh | Family::Dsa
        )
    }
}

/// One named public-key algorithm (or, for EC, one named curve).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAlgorithm {
    /// Dotted OID (for EC: the curve's OID).
    pub oid: &'static str,
    /// The name in JSON: `Ed25519`, `ML-DSA-65`, `SLH-DSA-SHA2-128s`, `P-256`…
    pub name: &'static str,
    /// Its family.
    pub family: Family,
    /// Classical security strength in bits; `None` when it depends on the
    /// key size (RSA, DSA) or is not classical (post-quantum sets carry their
    /// NIST category instead).
    pub security_bits: Option<u16>,
    /// NIST post-quantum security category (1, 3, 5), for PQ algorithms.
    pub nist_level: Option<u8>,
}

const fn key(
    oid: &'static str,
    name: &'static str,
    family: Family,
    security_bits: Option<u16>,
    nist_level: Option<u8>,
) -> KeyAlgorithm {
    KeyAlgorithm {
        oid,
        name,
        family,
        security_bits,
        nist_level,
    }
}

/// rsaEncryption.
pub const OID_RSA: &str = "1.2.840.113549.1.1.1";
/// id-RSASSA-PSS (also used as a key algorithm restricted to PSS).
pub const OID_RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
/// id-ecPublicKey: the curve is in the parameters.
pub const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// id-dsa.
pub const OID_DSA: &str = "1.2.840.10040.4.1";

use Family::*;

/// Public-key algorithms whose OID names them completely.
pub const KEY_ALGORITHMS: &[KeyAlgorithm] = &[
    key(OID_RSA, "RSA", Rsa, None, None),
    key(OID_RSASSA_PSS, "RSA-PSS", Rsa, None, None),
    key(OID_DSA, "DSA", Dsa, None, None),
    key("1.3.101.112", "Ed25519", EdDsa, Some(128), None),
    key("1.3.101.113", "Ed448", EdDsa, Some(224), None),
    key("1.3.101.110", "X25519", Xdh, Some(128), None),
    key("1.3.101.111", "X448", Xdh, Some(224), None),
    key("2.16.840.1.101.3.4.3.17", "ML-DSA-44", MlDsa, None, Some(2)),
    key("2.16.840.1.101.3.4.3.18", "ML-DSA-65", MlDsa, None, Some(3)),
    key("2.16.840.1.101.3.4.3.19", "ML-DSA-87", MlDsa, None, Some(5)),
    key(
        "2.16.840.1.101.3.4.3.20",
        "SLH-DSA-SHA2-128s",
        SlhDsa,
        None,
        Some(1),
    ),
    key(
        "2.16.840.1.101.3.4.3.21",
        "SLH-DSA-SHA2-128f",
        SlhDsa,
        None,
        Some(1),
    ),
    key(
        "2.16.840.1.101.3.4.3.22",
        "SLH-DSA-SHA2-192s",
        SlhDsa,
        None,
        Some(3),
    ),
    key(
        "2.16.840.1.101.3.4.3.23",
        "SLH-DSA-SHA2-192f",
        SlhDsa,
        None,
        Some(3),
    ),
    key(
        "2.16.840.1.101.3.4.3.24",
        "SLH-DSA-SHA2-256s",
        SlhDsa,
        None,
        Some(5),
    ),
    key(
        "2.16.840.1.101.3.4.3.25",
        "SLH-DSA-SHA2-256f",
        SlhDsa,
        None,
        Some(5),
    ),
    key(
        "2.16.840.1.101.3.4.3.26",
        "SLH-DSA-SHAKE-128s",
        SlhDsa,
        None,
        Some(1),
    ),
    key(
        "2.16.840.1.101.3.4.3.27",
        "SLH-DSA-SHAKE-128f",
        SlhDsa,
        None,
        Some(1),
    ),
    key(
        "2.16.840.1.101.3.4.3.28",
        "SLH-DSA-SHAKE-192s",
        SlhDsa,
        None,
        Some(3),
    ),
    key(
        "2.16.840.1.101.3.4.3.29",
        "SLH-DSA-SHAKE-192f",
        SlhDsa,
        None,
        Some(3),
    ),
    key(
        "2.16.840.1.101.3.4.3.30",
        "SLH-DSA-SHAKE-256s",
        SlhDsa,
        None,
        Some(5),
    ),
    key(
        "2.16.840.1.101.3.4.3.31",
        "SLH-DSA-SHAKE-256f",
        SlhDsa,
        None,
        Some(5),
    ),
    key("2.16.840.1.101.3.4.4.1", "ML-KEM-512", MlKem, None, Some(1)),
    key("2.16.840.1.101.3.4.4.2", "ML-KEM-768", MlKem, None, Some(3)),
    key(
        "2.16.840.1.101.3.4.4.3",
        "ML-KEM-1024",
        MlKem,
        None,
        Some(5),
    ),
    // draft-ietf-lamps-pq-composite-sigs: the IANA-assigned arc 1.3.6.1.5.5.7.6.
    key(
        "1.3.6.1.5.5.7.6.37",
        "MLDSA44-RSA2048-PSS-SHA256",
        CompositeMlDsa,
        None,
        Some(2),
    ),
    key(
        "1.3.6.1.5.5.7.6.38",
        "MLDSA44-RSA2048-PKCS15-SHA256",
        CompositeMlDsa,
        None,
        Some(2),
    ),
    key(
        "1.3.6.1.5.5.7.6.39",
        "MLDSA44-Ed25519-SHA512",
        CompositeMlDsa,
        None,
        Some(2),
    ),
    key(
        "1.3.6.1.5.5.7.6.40",
        "MLDSA44-ECDSA-P256-SHA256",
        CompositeMlDsa,
        None,
        Some(2),
    ),
    key(
        "1.3.6.1.5.5.7.6.41",
        "MLDSA65-RSA3072-PSS-SHA512",
        CompositeMlDsa,
        None,
        Some(3),
    ),
    key(
        "1.3.6.1.5.5.7.6.42",
        "MLDSA65-RSA3072-PKCS15-SHA512",
        CompositeMlDsa,
        None,
        Some(3),
    ),
    key(
        "1.3.6.1.5.5.7.6.43",
        "MLDSA65-RSA4096-PSS-SHA512",
        CompositeMlDsa,
        None,
        Some(3),
    ),
    key(
        "1.3.6.1.5.5.7.6.44",
        "MLDSA65-RSA4096-PKCS15-SHA512",
        CompositeMlDsa,
        None,
        Some(3),
    ),
    key(
        "1.3.6.1.5.5.7.6.45",
        "MLDSA65-ECDSA-P256-SHA512",
        CompositeMlDsa,
        None,
        Some(3),
    ),
    key(
        "1.3.6.1.5.5.7.6.46",
        "MLDSA65-ECDSA-P384-SHA512",
        CompositeMlDsa,
        None,
        Some(3),
    ),
    key(
        "1.3.6.1.5.5.7.6.47",
        "MLDSA65-ECDSA-brainpoolP256r1-SHA512",
        CompositeMlDsa,
        None,
        Some(3),
    ),
    key(
        "1.3.6.1.5.5.7.6.48",
        "MLDSA65-Ed25519-SHA512",
        CompositeMlDsa,
        None,
        Some(3),
    ),
    key(
        "1.3.6.1.5.5.7.6.49",
        "MLDSA87-ECDSA-P384-SHA512",
        CompositeMlDsa,
        None,
        Some(5),
    ),
    key(
        "1.3.6.1.5.5.7.6.50",
        "MLDSA87-ECDSA-brainpoolP384r1-SHA512",
        CompositeMlDsa,
        None,
        Some(5),
    ),
    key(
        "1.3.6.1.5.5.7.6.51",
        "MLDSA87-Ed448-SHAKE256",
        CompositeMlDsa,
        None,
        Some(5),
    ),
    key(
        "1.3.6.1.5.5.7.6.52",
        "MLDSA87-RSA3072-PSS-SHA512",
        CompositeMlDsa,
        None,
        Some(5),
    ),
    key(
        "1.3.6.1.5.5.7.6.53",
        "MLDSA87-RSA4096-PSS-SHA512",
        CompositeMlDsa,
        None,
        Some(5),
    ),
    key(
        "1.3.6.1.5.5.7.6.54",
        "MLDSA87-ECDSA-P521-SHA512",
        CompositeMlDsa,
        None,
        Some(5),
    ),
];

/// Named elliptic curves (the parameter of id-ecPublicKey).
pub const CURVES: &[KeyAlgorithm] = &[
    key("1.2.840.10045.3.1.1", "P-192", Ec, Some(80), None),
    key("1.3.132.0.33", "P-224", Ec, Some(112), None),
    key("1.2.840.10045.3.1.7", "P-256", Ec, Some(128), None),
    key("1.3.132.0.34", "P-384", Ec, Some(192), None),
    key("1.3.132.0.35", "P-521", Ec, Some(256), None),
    key("1.3.132.0.10", "secp256k1", Ec, Some(128), None),
    key(
        "1.3.36.3.3.2.8.1.1.7",
        "brainpoolP256r1",
        Ec,
        Some(128),
        None,
    ),
    key(
        "1.3.36.3.3.2.8.1.1.11",
        "brainpoolP384r1",
        Ec,
        Some(192),
        None,
    ),
    key(
        "1.3.36.3.3.2.8.1.1.13",
        "brainpoolP512r1",
        Ec,
        Some(256),
        None,
    ),
    key("1.2.156.10197.1.301", "SM2", Ec, Some(128), None),
];

/// The key algorithm with this OID.
pub fn key_algorithm(oid: &str) -> Option<&'static KeyAlgorithm> {
    KEY_ALGORITHMS.iter().find(|a| a.oid == oid)
}

/// The curve with this OID.
pub fn curve(oid: &str) -> Option<&'static KeyAlgorithm> {
    CURVES.iter().find(|a| a.oid == oid)
}

/// Classical security strength of an RSA or DSA key of `bits` (SP 800-57
/// Part 1 Table 2: 1024 → 80, 2048 → 112, 3072 → 128, 7680 → 192, 15360 → 256).
pub fn modulus_security_bits(bits: u32) -> u16 {
    match bits {
        15360.. => 256,
        7680.. => 192,
        3072.. => 128,
        2048.. => 112,
        1024.. => 80,
        _ => 0,
    }
}

/// The classical strength a NIST post-quantum security category stands for:
/// categories 1, 3 and 5 are as hard as key search on AES-128/192/256,
/// categories 2 and 4 as collision search on SHA-256/384 (128 and 192 bits).
pub fn category_classical_bits(category: u8) -> u16 {
    match category {
        0 => 0,
        1 | 2 => 128,
        3 | 4 => 192,
        _ => 256,
    }
}

/// A hash used by a signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// MD5: broken.
    Md5,
    /// SHA-1: broken for signatures.
    Sha1,
    /// SHA-2 or SHA-3 family, or a hash built into the algorithm.
    Strong,
}

/// One signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureAlgorithm {
    /// Dotted OID.
    pub oid: &'static str,
    /// The name in JSON, as OpenSSL prints it for the classical ones.
    pub name: &'static str,
    /// The family of the signing key.
    pub family: Family,
    /// Its hash.
    pub hash: Hash,
}

const fn sig(
    oid: &'static str,
    name: &'static str,
    family: Family,
    hash: Hash,
) -> SignatureAlgorithm {
    SignatureAlgorithm {
        oid,
        name,
        family,
        hash,
    }
}

/// Signature algorithms with their own OIDs. The post-quantum ones reuse the
/// key OIDs and are looked up there.
pub const SIGNATURE_ALGORITHMS: &[SignatureAlgorithm] = &[
    sig(
        "1.2.840.113549.1.1.4",
        "md5WithRSAEncryption",
        Rsa,
        Hash::Md5,
    ),
    sig(
        "1.2.840.113549.1.1.5",
        "sha1WithRSAEncryption",
        Rsa,
        Hash::Sha1,
    ),
    sig(
        "1.2.840.113549.1.1.14",
        "sha224WithRSAEncryption",
        Rsa,
        Hash::Strong,
    ),
    sig(
        "1.2.840.113549.1.1.11",
        "sha256WithRSAEncryption",
        Rsa,
        Hash::Strong,
    ),
    sig(
        "1.2.840.113549.1.1.12",
        "sha384WithRSAEncryption",
        Rsa,
        Hash::Strong,
    ),
    sig(
        "1.2.840.113549.1.1.13",
        "sha512WithRSAEncryption",
        Rsa,
        Hash::Strong,
    ),
    sig(OID_RSASSA_PSS, "RSASSA-PSS", Rsa, Hash::Strong),
    sig("1.2.840.10045.4.1", "ecdsa-with-SHA1", Ec, Hash::Sha1),
    sig("1.2.840.10045.4.3.1", "ecdsa-with-SHA224", Ec, Hash::Strong),
    sig("1.2.840.10045.4.3.2", "ecdsa-with-SHA256", Ec, Hash::Strong),
    sig("1.2.840.10045.4.3.3", "ecdsa-with-SHA384", Ec, Hash::Strong),
    sig("1.2.840.10045.4.3.4", "ecdsa-with-SHA512", Ec, Hash::Strong),
    sig("1.2.840.10040.4.3", "dsa-with-SHA1", Dsa, Hash::Sha1),
    sig(
        "2.16.840.1.101.3.4.3.2",
        "dsa-with-SHA256",
        Dsa,
        Hash::Strong,
    ),
];

/// The signature algorithm with this OID: a classical one, or a post-quantum
/// (or EdDSA) one named like its key.
pub fn signature_algorithm(oid: &str) -> Option<SignatureAlgorithm> {
    if let Some(s) = SIGNATURE_ALGORITHMS.iter().find(|s| s.oid == oid) {
        return Some(*s);
    }
    key_algorithm(oid)
        .filter(|k| !matches!(k.family, Rsa | Dsa | Xdh | MlKem))
        .map(|k| sig(k.oid, k.name, k.family, Hash::Strong))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_are_unique_and_pq_families_are_safe() {
        let mut oids: Vec<&str> = KEY_ALGORITHMS.iter().chain(CURVES).map(|a| a.oid).collect();
        oids.extend(
            SIGNATURE_ALGORITHMS
                .iter()
                .map(|s| s.oid)
                .filter(|o| *o != OID_RSASSA_PSS),
        );
        let n = oids.len();
        oids.sort();
        oids.dedup();
        assert_eq!(oids.len(), n);
        assert_eq!(
            KEY_ALGORITHMS.iter().filter(|k| k.family == SlhDsa).count(),
            12
        );
        assert_eq!(
            key_algorithm("2.16.840.1.101.3.4.3.25").unwrap().name,
            "SLH-DSA-SHA2-256f"
        );
        assert!(signature_algorithm("2.16.840.1.101.3.4.3.18")
            .unwrap()
            .family
            .quantum_safe());
        assert!(signature_algorithm("1.2.840.10045.4.3.2")
            .unwrap()
            .family
            .quantum_vulnerable());
        assert_eq!(modulus_security_bits(2048), 112);
        assert_eq!(modulus_security_bits(4096), 128);
        assert_eq!(modulus_security_bits(1024), 80);
    }
}
