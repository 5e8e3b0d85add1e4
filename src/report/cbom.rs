//! The CycloneDX CBOM renderer (`-o cbom`): one CycloneDX 1.7 (or 1.6)
//! JSON document of the cryptography a run found, written when the run ends.
//!
//! Owns: mapping the report model onto CycloneDX cryptographic assets —
//! a `protocol` asset per endpoint and TLS version (its negotiated suite with
//! the endpoint's groups and signature schemes), per edge of a cluster
//! (the group its client negotiates with its server) and per edge `observe`
//! saw in a capture (the groups its connections negotiated), `algorithm` assets (a hybrid
//! group is modelled from its parts: X25519MLKEM768 is ML-KEM-768 and
//! X25519), `certificate` assets, `related-crypto-material` assets for keys,
//! and Go binaries as `application` components — linked by `bom-ref`, each
//! algorithm once per document. Spec 1.6 gets the 1.6 shapes: no
//! `tlsGroups`/`tlsSignatureSchemes` and no certificate serial number (they
//! become `pqready:` properties), no certificate fingerprint field (the
//! certificate's `hashes` carry it), the
//! `…Ref` links instead of `relatedCryptographicAssets`.
//!
//! Must not: judge or read anything: names and levels come from the model
//! and from `catalog::algorithms`.

use super::binaries::BinaryReport;
use super::cert_files::{FileReport, KeyReport};
use super::cluster::ClusterReport;
use super::{Part, Renderer, TargetReport};
use crate::assess::certs::JudgedCertificate;
use crate::catalog::algorithms::{self, Family};
use crate::pki::KeyFacts;
use crate::vocab::KeyKind;
use crate::wire::{GroupPart, NamedGroup, ProtocolVersion, SignatureScheme};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// The CycloneDX specification version of the document (`--cbom-version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SpecVersion {
    /// CycloneDX 1.7 (the default): TLS groups and signature schemes per cipher suite.
    #[default]
    #[value(name = "1.7")]
    V1_7,
    /// CycloneDX 1.6, for tools not yet on 1.7.
    #[value(name = "1.6")]
    V1_6,
}

impl SpecVersion {
    /// `1.7` or `1.6`, as `specVersion` spells it.
    pub fn name(self) -> &'static str {
        match self {
            SpecVersion::V1_7 => "1.7",
            SpecVersion::V1_6 => "1.6",
        }
    }
}

/// One algorithm asset, before it is written in the version's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Algorithm {
    /// `ML-KEM-768`, `X25519`, `ECDH-P-256`, `ECDSA-P-256`, `RSA-2048`, …
    name: String,
    /// CycloneDX primitive: `kem`, `key-agree`, `signature`, `unknown`.
    primitive: &'static str,
    /// CycloneDX 1.7 algorithm family (`ML-KEM`, `ECDH`, `ML-DSA`, …).
    family: Option<&'static str>,
    /// `768`, `65`, `SHA2-128s`, `2048`.
    parameter_set: Option<String>,
    /// A curve name of the CycloneDX curve list (`nist/P-256`).
    curve: Option<&'static str>,
    /// Classical security in bits.
    classical_bits: Option<u16>,
    /// NIST post-quantum category, 0 for classical algorithms.
    nist_level: u8,
    /// Dotted OID, where there is one.
    oid: Option<String>,
    /// CycloneDX crypto functions.
    functions: &'static [&'static str],
}

const KEM: &[&str] = &["keygen", "encapsulate", "decapsulate"];
const AGREE: &[&str] = &["keygen", "keyderive"];
const SIGN: &[&str] = &["sign", "verify"];

impl Algorithm {
    fn bom_ref(&self) -> String {
        format!("crypto/algorithm/{}", self.name)
    }

    /// A catalog key algorithm by name (`ML-KEM-768`, `X25519`).
    fn named(name: &str) -> Option<Algorithm> {
        let a = algorithms::KEY_ALGORITHMS.iter().find(|a| a.name == name)?;
        Some(Self::of_key(&KeyFacts::from_oids(a.oid, None, None)))
    }

    /// ECDH over a named curve of the catalog (`P-256`, `brainpoolP256r1`).
    fn ecdh(curve_name: &str) -> Option<Algorithm> {
        let c = algorithms::CURVES.iter().find(|c| c.name == curve_name)?;
        Some(Algorithm {
            name: format!("ECDH-{}", c.name),
            primitive: "key-agree",
            family: Some("ECDH"),
            parameter_set: None,
            curve: curve_id(c.name),
            classical_bits: c.security_bits,
            nist_level: 0,
            oid: Some(c.oid.to_string()),
            functions: AGREE,
        })
    }

    /// Finite-field DH with an RFC 7919 group of `bits`.
    fn ffdh(bits: u32) -> Algorithm {
        Algorithm {
            name: format!("FFDH-{bits}"),
            primitive: "key-agree",
            family: Some("FFDH"),
            parameter_set: Some(bits.to_string()),
            curve: None,
            classical_bits: Some(algorithms::modulus_security_bits(bits)),
            nist_level: 0,
            oid: None,
            functions: AGREE,
        }
    }

    /// The algorithm of a public key (a certificate's, a key file's).
    fn of_key(k: &KeyFacts) -> Algorithm {
        let nist_level = k.nist_level.unwrap_or(0);
        let classical_bits = k
            .security_bits
            .or(k.nist_level.map(algorithms::category_classical_bits));
        let base = Algorithm {
            name: k.key_algorithm.clone(),
            primitive: "signature",
            family: None,
            parameter_set: None,
            curve: None,
            classical_bits,
            nist_level,
            oid: Some(k.key_algorithm_oid.clone()),
            functions: SIGN,
        };
        let suffix = |prefix: &str| k.key_algorithm.strip_prefix(prefix).map(str::to_string);
        match k.family {
            Family::Rsa | Family::Dsa => Algorithm {
                name: match k.key_bits {
                    Some(bits) => format!("{}-{bits}", k.key_algorithm),
                    None => k.key_algorithm.clone(),
                },
                family: (k.family == Family::Dsa).then_some("DSA"),
                parameter_set: k.key_bits.map(|b| b.to_string()),
                ..base
            },
            Family::Ec => Algorithm {
                name: format!("ECDSA-{}", k.curve.as_deref().unwrap_or("unknown-curve")),
                family: Some("ECDSA"),
                curve: k.curve.as_deref().and_then(curve_id),
                ..base
            },
            Family::EdDsa => Algorithm {
                family: Some("EdDSA"),
                curve: curve_id(&k.key_algorithm),
                ..base
            },
            Family::Xdh => Algorithm {
                primitive: "key-agree",
                family: Some("ECDH"),
                curve: curve_id(&k.key_algorithm),
                functions: AGREE,
                ..base
            },
            Family::MlDsa => Algorithm {
                family: Some("ML-DSA"),
                parameter_set: suffix("ML-DSA-"),
                ..base
            },
            Family::SlhDsa => Algorithm {
                family: Some("SLH-DSA"),
                parameter_set: suffix("SLH-DSA-"),
                ..base
            },
            // ML-DSA with a classical algorithm: no single CycloneDX family.
            Family::CompositeMlDsa => base,
            Family::MlKem => Algorithm {
                primitive: "kem",
                family: Some("ML-KEM"),
                parameter_set: suffix("ML-KEM-"),
                functions: KEM,
                ..base
            },
            Family::Unknown => Algorithm {
                name: format!("unknown-{}", k.key_algorithm_oid),
                primitive: "unknown",
                functions: &[],
                ..base
            },
        }
    }

    /// The algorithm a certificate was signed with.
    fn of_signature(name: &str, oid: &str) -> Algorithm {
        let Some(sig) = algorithms::signature_algorithm(oid) else {
            return Algorithm {
                name: name.to_string(),
                primitive: "signature",
                family: None,
                parameter_set: None,
                curve: None,
                classical_bits: None,
                nist_level: 0,
                oid: Some(oid.to_string()),
                functions: SIGN,
            };
        };
        let family = match sig.family {
            Family::Rsa if sig.oid == algorithms::OID_RSASSA_PSS => Some("RSASSA-PSS"),
            Family::Rsa => Some("RSASSA-PKCS1"),
            Family::Ec => Some("ECDSA"),
            Family::Dsa => Some("DSA"),
            // Post-quantum and EdDSA signatures are named like their keys.
            _ => return Self::of_key(&KeyFacts::from_oids(oid, None, None)),
        };
        Algorithm {
            name: sig.name.to_string(),
            primitive: "signature",
            family,
            parameter_set: None,
            curve: None,
            // The strength depends on the issuer's key, which is not here.
            classical_bits: None,
            nist_level: 0,
            oid: Some(sig.oid.to_string()),
            functions: SIGN,
        }
    }

    /// The algorithms a TLS group is made of, as the group registry lists
    /// them: a hybrid is its parts.
    fn of_group(group: NamedGroup) -> Vec<Algorithm> {
        let parts = group.info().map(|i| i.parts).unwrap_or_default();
        parts
            .iter()
            .filter_map(|part| match *part {
                GroupPart::Key(name) => Algorithm::named(name),
                GroupPart::Ecdh(curve) => Self::ecdh(curve),
                GroupPart::Ffdh(bits) => Some(Self::ffdh(bits)),
                GroupPart::Kyber768Draft => Some(kyber768_draft()),
            })
            .collect()
    }

    /// The algorithm behind a TLS signature scheme.
    fn of_scheme(scheme: SignatureScheme) -> Option<Algorithm> {
        let ecdsa = |curve: &str| {
            let c = algorithms::CURVES.iter().find(|c| c.name == curve)?;
            Some(Self::of_key(&KeyFacts::from_oids(
                algorithms::OID_EC_PUBLIC_KEY,
                Some(c.oid),
                None,
            )))
        };
        let rsa = |family: &'static str| Algorithm {
            name: family.to_string(),
            primitive: "signature",
            family: Some(family),
            parameter_set: None,
            curve: None,
            classical_bits: None,
            nist_level: 0,
            oid: None,
            functions: SIGN,
        };
        match scheme {
            SignatureScheme::ECDSA_SECP256R1_SHA256 => ecdsa("P-256"),
            SignatureScheme::ECDSA_SECP384R1_SHA384 => ecdsa("P-384"),
            SignatureScheme::ECDSA_SECP521R1_SHA512 => ecdsa("P-521"),
            SignatureScheme::ED25519 => Self::named("Ed25519"),
            SignatureScheme::ED448 => Self::named("Ed448"),
            SignatureScheme::RSA_PSS_RSAE_SHA256
            | SignatureScheme::RSA_PSS_RSAE_SHA384
            | SignatureScheme::RSA_PSS_RSAE_SHA512
            | SignatureScheme::RSA_PSS_PSS_SHA256
            | SignatureScheme::RSA_PSS_PSS_SHA384
            | SignatureScheme::RSA_PSS_PSS_SHA512 => Some(rsa("RSASSA-PSS")),
            SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
            | SignatureScheme::RSA_PKCS1_SHA1 => Some(rsa("RSASSA-PKCS1")),
            SignatureScheme::MLDSA44 => Self::named("ML-DSA-44"),
            SignatureScheme::MLDSA65 => Self::named("ML-DSA-65"),
            SignatureScheme::MLDSA87 => Self::named("ML-DSA-87"),
            _ => None,
        }
    }
}

/// The pre-standard Kyber of X25519Kyber768Draft00: not ML-KEM, so no family.
/// The key-agreement algorithms of an SSH key-exchange method, where the
/// catalog has them.
fn ssh_kex_algorithms(kex: &str) -> Vec<Algorithm> {
    let named = |names: &[&str]| names.iter().filter_map(|n| Algorithm::named(n)).collect();
    match kex {
        "mlkem768x25519-sha256" => named(&["ML-KEM-768", "X25519"]),
        k if k.starts_with("sntrup761x25519-sha512") => named(&["X25519"]),
        "curve25519-sha256" | "curve25519-sha256@libssh.org" => named(&["X25519"]),
        "ecdh-sha2-nistp256" => Algorithm::ecdh("P-256").into_iter().collect(),
        "ecdh-sha2-nistp384" => Algorithm::ecdh("P-384").into_iter().collect(),
        "ecdh-sha2-nistp521" => Algorithm::ecdh("P-521").into_iter().collect(),
        "diffie-hellman-group14-sha256" | "diffie-hellman-group14-sha1" => {
            vec![Algorithm::ffdh(2048)]
        }
        "diffie-hellman-group16-sha512" => vec![Algorithm::ffdh(4096)],
        "diffie-hellman-group18-sha512" => vec![Algorithm::ffdh(8192)],
        _ => Vec::new(),
    }
}

fn kyber768_draft() -> Algorithm {
    Algorithm {
        name: "Kyber768-Draft00".into(),
        primitive: "kem",
        family: None,
        parameter_set: Some("768".into()),
        curve: None,
        classical_bits: Some(algorithms::category_classical_bits(3)),
        nist_level: 3,
        oid: None,
        functions: KEM,
    }
}

/// Our curve names as the CycloneDX curve list spells them.
fn curve_id(name: &str) -> Option<&'static str> {
    Some(match name {
        "P-192" => "nist/P-192",
        "P-224" => "nist/P-224",
        "P-256" => "nist/P-256",
        "P-384" => "nist/P-384",
        "P-521" => "nist/P-521",
        "secp256k1" => "secg/secp256k1",
        "brainpoolP256r1" => "brainpool/brainpoolP256r1",
        "brainpoolP384r1" => "brainpool/brainpoolP384r1",
        "brainpoolP512r1" => "brainpool/brainpoolP512r1",
        "X25519" => "other/Curve25519",
        "X448" => "other/Curve448",
        "Ed25519" => "other/Ed25519",
        "Ed448" => "other/Ed448",
        _ => return None,
    })
}

/// Collects the parts of a run and writes one CycloneDX document at the end.
pub struct CbomRenderer {
    version: SpecVersion,
    components: Vec<Value>,
    refs: HashSet<String>,
    /// Each component's dependencies, in component order.
    dependencies: Vec<(String, Vec<String>)>,
    /// The `--fail-on`/`--policy` decision, as `pqready:gate:*` properties.
    gate: Option<crate::assess::gate::GateDecision>,
    /// What changed since `--baseline`, as `pqready:baseline:*` properties.
    baseline: Option<crate::assess::baseline::BaselineDiff>,
}

/// Extra `pqready:` properties of a protocol asset (a cluster component's name).
type Props = Vec<(String, String)>;

impl CbomRenderer {
    /// An empty document of spec `version`.
    pub fn new(version: SpecVersion) -> Self {
        CbomRenderer {
            version,
            components: Vec::new(),
            refs: HashSet::new(),
            dependencies: Vec::new(),
            gate: None,
            baseline: None,
        }
    }

    fn v17(&self) -> bool {
        self.version == SpecVersion::V1_7
    }

    /// Links a protocol asset to `related` (kind, bom-ref) assets:
    /// `relatedCryptographicAssets` in CycloneDX 1.7, `cryptoRefArray` in 1.6.
    fn relate(&self, protocol: &mut Map<String, Value>, related: &[(&str, &String)]) {
        if related.is_empty() {
            return;
        }
        if self.v17() {
            protocol.insert(
                "relatedCryptographicAssets".into(),
                json!(related
                    .iter()
                    .map(|(t, r)| json!({"type": t, "ref": r}))
                    .collect::<Vec<_>>()),
            );
        } else {
            protocol.insert(
                "cryptoRefArray".into(),
                json!(related.iter().map(|(_, r)| r).collect::<Vec<_>>()),
            );
        }
    }

    /// A `bom-ref` not used yet, from `wanted`.
    fn fresh_ref(&self, wanted: String) -> String {
        if !self.refs.contains(&wanted) {
            return wanted;
        }
        (2..)
            .map(|n| format!("{wanted}#{n}"))
            .find(|r| !self.refs.contains(r))
            .expect("an unused suffix")
    }

    fn push(&mut self, component: Value, depends_on: Vec<String>) {
        let bom_ref = component["bom-ref"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.refs.insert(bom_ref.clone());
        self.components.push(component);
        let mut unique: Vec<String> = Vec::new();
        for r in depends_on {
            if !unique.contains(&r) {
                unique.push(r);
            }
        }
        self.dependencies.push((bom_ref, unique));
    }

    /// The algorithm asset's `bom-ref`, adding the asset the first time.
    fn algorithm(&mut self, a: &Algorithm) -> String {
        let bom_ref = a.bom_ref();
        if self.refs.contains(&bom_ref) {
            return bom_ref;
        }
        let mut props = Map::new();
        props.insert("primitive".into(), json!(a.primitive));
        if let (Some(f), true) = (a.family, self.v17()) {
            props.insert("algorithmFamily".into(), json!(f));
        }
        if let Some(p) = &a.parameter_set {
            props.insert("parameterSetIdentifier".into(), json!(p));
        }
        if let Some(c) = a.curve {
            let field = if self.v17() { "ellipticCurve" } else { "curve" };
            props.insert(field.into(), json!(c));
        }
        if !a.functions.is_empty() {
            props.insert("cryptoFunctions".into(), json!(a.functions));
        }
        if let Some(bits) = a.classical_bits {
            props.insert("classicalSecurityLevel".into(), json!(bits));
        }
        props.insert("nistQuantumSecurityLevel".into(), json!(a.nist_level));
        let mut crypto = json!({"assetType": "algorithm", "algorithmProperties": props});
        if let Some(oid) = &a.oid {
            crypto["oid"] = json!(oid);
        }
        self.push(
            json!({
                "type": "cryptographic-asset",
                "bom-ref": bom_ref,
                "name": a.name,
                "cryptoProperties": crypto,
            }),
            Vec::new(),
        );
        bom_ref
    }

    /// A public, private or CSR key as `related-crypto-material`; its ref.
    fn key_material(&mut self, wanted: String, key: &KeyFacts, kind: &'static str) -> String {
        let bom_ref = self.fresh_ref(wanted);
        let algorithm =
            (key.family != Family::Unknown).then(|| self.algorithm(&Algorithm::of_key(key)));
        let mut material = Map::new();
        material.insert("type".into(), json!(kind));
        if let Some(bits) = key.key_bits {
            material.insert("size".into(), json!(bits));
        }
        if let Some(a) = &algorithm {
            if self.v17() {
                material.insert(
                    "relatedCryptographicAssets".into(),
                    json!([{"type": "algorithm", "ref": a}]),
                );
            } else {
                material.insert("algorithmRef".into(), json!(a));
            }
        }
        self.push(
            json!({
                "type": "cryptographic-asset",
                "bom-ref": bom_ref,
                "name": format!("{} {kind}", key.describe()),
                "cryptoProperties": {
                    "assetType": "related-crypto-material",
                    "relatedCryptoMaterialProperties": material,
                },
            }),
            algorithm.into_iter().collect(),
        );
        bom_ref
    }

    /// A certificate asset (once per fingerprint) with its key and signature; its ref.
    fn certificate(&mut self, c: &JudgedCertificate, mut props: Props) -> String {
        let f = &c.facts;
        let bom_ref = format!("crypto/certificate/{}", f.fingerprint_sha256);
        if self.refs.contains(&bom_ref) {
            return bom_ref;
        }
        let signature = self.algorithm(&Algorithm::of_signature(
            &f.signature_algorithm,
            &f.signature_algorithm_oid,
        ));
        let key = self.key_material(
            format!("crypto/public-key/{}", f.fingerprint_sha256),
            &f.key,
            "public-key",
        );
        let mut cert = Map::new();
        if self.v17() {
            cert.insert("serialNumber".into(), json!(f.serial));
        } else {
            props.push(("pqready:serial".into(), f.serial.clone()));
        }
        cert.insert("subjectName".into(), json!(f.subject));
        cert.insert("issuerName".into(), json!(f.issuer));
        cert.insert("notValidBefore".into(), json!(f.not_before));
        cert.insert("notValidAfter".into(), json!(f.not_after));
        cert.insert("certificateFormat".into(), json!("X.509"));
        if self.v17() {
            cert.insert(
                "fingerprint".into(),
                json!({"alg": "SHA-256", "content": f.fingerprint_sha256}),
            );
            cert.insert(
                "relatedCryptographicAssets".into(),
                json!([
                    {"type": "signatureAlgorithm", "ref": signature},
                    {"type": "publicKey", "ref": key},
                ]),
            );
        } else {
            cert.insert("signatureAlgorithmRef".into(), json!(signature));
            cert.insert("subjectPublicKeyRef".into(), json!(key));
        }
        if !f.sans.is_empty() {
            props.push(("pqready:sans".into(), f.sans.join(",")));
        }
        if let Some(role) = &f.role {
            props.push(("pqready:role".into(), role.clone()));
        }
        props.push(("pqready:quantum-safe".into(), c.quantum_safe.to_string()));
        let mut component = json!({
            "type": "cryptographic-asset",
            "bom-ref": bom_ref,
            "name": f.short_name(),
            "hashes": [{"alg": "SHA-256", "content": f.fingerprint_sha256}],
            "cryptoProperties": {"assetType": "certificate", "certificateProperties": cert},
        });
        set_properties(&mut component, &props);
        self.push(component, vec![signature, key]);
        bom_ref
    }

    /// A probed endpoint: a protocol asset per TLS version it accepts.
    fn target(&mut self, r: &TargetReport, extra: &Props) {
        if r.error.is_some() {
            return;
        }
        let obs = &r.observed;
        if let Some(ssh) = &obs.ssh {
            self.ssh(r, ssh, extra);
            return;
        }
        let certs: Vec<String> = r
            .assessed
            .certificates
            .iter()
            .map(|c| self.certificate(c, Vec::new()))
            .collect();
        let groups: Vec<NamedGroup> = obs
            .groups
            .server_order
            .clone()
            .unwrap_or_else(|| obs.groups.supported.clone());
        let schemes: Vec<SignatureScheme> = obs
            .authentication
            .as_ref()
            .map(|a| a.schemes.clone())
            .unwrap_or_default();
        for version in &obs.tls_versions {
            self.protocol(r, *version, &groups, &schemes, &certs, extra);
        }
    }

    /// An SSH server: one `ssh` protocol asset, its key-exchange methods'
    /// algorithms as related assets (sntrup761 has no algorithm entry of its
    /// own: its method names stay in `pqready:ssh-kex`).
    fn ssh(&mut self, r: &TargetReport, ssh: &crate::probe::ssh::SshObservation, extra: &Props) {
        let bom_ref = self.fresh_ref(format!("crypto/protocol/{}/ssh", r.target));
        let mut algorithms: Vec<String> = Vec::new();
        for kex in &ssh.kex {
            for a in ssh_kex_algorithms(kex) {
                algorithms.push(self.algorithm(&a));
            }
        }
        dedup(&mut algorithms);
        let mut protocol = Map::new();
        protocol.insert("type".into(), json!("ssh"));
        protocol.insert("version".into(), json!("2.0"));
        let related: Vec<(&str, &String)> = algorithms.iter().map(|a| ("algorithm", a)).collect();
        self.relate(&mut protocol, &related);
        let mut props: Props = vec![("pqready:target".into(), r.target.clone())];
        if let Some(addr) = r.observed.address {
            props.push(("pqready:address".into(), addr.to_string()));
        }
        if let Some(software) = &ssh.software {
            props.push(("pqready:ssh-software".into(), software.clone()));
        }
        props.push(("pqready:ssh-kex".into(), ssh.kex.join(",")));
        props.push(("pqready:ssh-host-key".into(), ssh.host_key.join(",")));
        props.push((
            "pqready:verdict".into(),
            label_of(&r.assessed.verdict.status),
        ));
        for f in &r.assessed.findings {
            props.push((
                format!("pqready:finding:{}", f.id),
                f.severity.name().to_string(),
            ));
        }
        props.extend(extra.iter().cloned());
        let mut component = json!({
            "type": "cryptographic-asset",
            "bom-ref": bom_ref,
            "name": "SSH 2.0",
            "cryptoProperties": {"assetType": "protocol", "protocolProperties": protocol},
        });
        set_properties(&mut component, &props);
        self.push(component, algorithms);
    }

    fn protocol(
        &mut self,
        r: &TargetReport,
        version: ProtocolVersion,
        groups: &[NamedGroup],
        schemes: &[SignatureScheme],
        certs: &[String],
        extra: &Props,
    ) {
        let obs = &r.observed;
        let label = version.to_string();
        let bom_ref = self.fresh_ref(format!("crypto/protocol/{}/{label}", r.target));
        let mut algorithms: Vec<String> = Vec::new();
        let mut suites = Vec::new();
        let negotiated = obs.handshake.version == Some(version);
        // Without a completed handshake (`--only groups`, a QUIC target
        // probed by its Initials) the groups were still seen, in TLS 1.3
        // hellos: that version's asset links them, without a suite.
        let groups_seen_only = obs.handshake.version.is_none()
            && version == ProtocolVersion::TLS1_3
            && !groups.is_empty();
        if negotiated || groups_seen_only {
            for g in groups {
                for a in Algorithm::of_group(*g) {
                    algorithms.push(self.algorithm(&a));
                }
            }
        }
        if let (true, Some(suite)) = (negotiated, obs.handshake.cipher_suite) {
            for s in schemes {
                if let Some(a) = Algorithm::of_scheme(*s) {
                    algorithms.push(self.algorithm(&a));
                }
            }
            dedup(&mut algorithms);
            let mut entry = json!({
                "name": suite.to_string(),
                "identifiers": [format!("0x{:02X}", suite.0 >> 8), format!("0x{:02X}", suite.0 & 0xff)],
            });
            if !algorithms.is_empty() {
                entry["algorithms"] = json!(algorithms);
            }
            if self.v17() {
                if !groups.is_empty() {
                    entry["tlsGroups"] =
                        json!(groups.iter().map(|g| g.to_string()).collect::<Vec<_>>());
                }
                if !schemes.is_empty() {
                    entry["tlsSignatureSchemes"] =
                        json!(schemes.iter().map(|s| s.to_string()).collect::<Vec<_>>());
                }
            }
            suites.push(entry);
        }
        let mut protocol = Map::new();
        protocol.insert("type".into(), json!("tls"));
        protocol.insert(
            "version".into(),
            json!(label.strip_prefix("TLSv").unwrap_or(&label)),
        );
        if !suites.is_empty() {
            protocol.insert("cipherSuites".into(), json!(suites));
        }
        let related: Vec<(&str, &String)> = algorithms
            .iter()
            .map(|a| ("algorithm", a))
            .chain(certs.iter().map(|c| ("certificate", c)))
            .collect();
        self.relate(&mut protocol, &related);
        let mut props: Props = vec![("pqready:target".into(), r.target.clone())];
        // TLS after a STARTTLS preamble, or inside QUIC: what carries it
        // (CycloneDX's protocol types have no word for either).
        if obs.protocol != crate::vocab::Protocol::Tls {
            props.push(("pqready:protocol".into(), obs.protocol.name().into()));
        }
        if let Some(addr) = obs.address {
            props.push(("pqready:address".into(), addr.to_string()));
        }
        if let Some(sni) = &obs.sni {
            props.push(("pqready:sni".into(), sni.clone()));
        }
        if groups_seen_only {
            props.push((
                "pqready:tls-groups".into(),
                groups
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            ));
        }
        if negotiated {
            if let Some(g) = obs.handshake.negotiated_group {
                props.push(("pqready:negotiated-group".into(), g.to_string()));
            }
            if !self.v17() {
                let names = |v: Vec<String>| v.join(",");
                if !groups.is_empty() {
                    props.push((
                        "pqready:tls-groups".into(),
                        names(groups.iter().map(|g| g.to_string()).collect()),
                    ));
                }
                if !schemes.is_empty() {
                    props.push((
                        "pqready:tls-signature-schemes".into(),
                        names(schemes.iter().map(|s| s.to_string()).collect()),
                    ));
                }
            }
        }
        props.push((
            "pqready:verdict".into(),
            label_of(&r.assessed.verdict.status),
        ));
        // The endpoint's own findings (key exchange, clients, tolerance);
        // those about a certificate go with that certificate's asset.
        for f in r
            .assessed
            .findings
            .iter()
            .filter(|f| f.certificates.is_empty())
        {
            props.push((
                format!("pqready:finding:{}", f.id),
                f.severity.name().to_string(),
            ));
        }
        props.extend(extra.iter().cloned());
        let mut component = json!({
            "type": "cryptographic-asset",
            "bom-ref": bom_ref,
            "name": label,
            "cryptoProperties": {"assetType": "protocol", "protocolProperties": protocol},
        });
        set_properties(&mut component, &props);
        let depends = algorithms.iter().chain(certs).cloned().collect();
        self.push(component, depends);
    }

    fn cluster(&mut self, report: &ClusterReport) {
        for c in &report.components {
            let Some(result) = &c.result else { continue };
            let mut props: Props = vec![
                ("pqready:component".into(), c.component.name.clone()),
                ("pqready:category".into(), label_of(&c.component.category)),
            ];
            if let Some(ns) = &c.component.namespace {
                props.push(("pqready:namespace".into(), ns.clone()));
            }
            self.target(result, &props);
        }
        for e in &report.edges {
            self.edge(e);
        }
    }

    /// A client→server edge of a cluster: a TLS protocol asset whose
    /// algorithms are the group the client's replay negotiated (none when
    /// it negotiated none).
    fn edge(&mut self, e: &crate::assess::edges::Edge) {
        let client = format!("{}/{}", e.client.kind.name(), e.client.name);
        let server = format!("{}/{}", e.server.category.name(), e.server.name);
        let bom_ref = self.fresh_ref(format!("crypto/edge/{client}/{server}"));
        let mut algorithms: Vec<String> = Vec::new();
        if let Some(g) = e.negotiated_group {
            for a in Algorithm::of_group(g) {
                algorithms.push(self.algorithm(&a));
            }
        }
        dedup(&mut algorithms);
        let mut protocol = Map::new();
        protocol.insert("type".into(), json!("tls"));
        let related: Vec<(&str, &String)> = algorithms.iter().map(|a| ("algorithm", a)).collect();
        self.relate(&mut protocol, &related);
        let mut props: Props = vec![
            ("pqready:edge:client".into(), client),
            ("pqready:edge:server".into(), server),
        ];
        if let Some(address) = &e.server.address {
            props.push(("pqready:edge:server-address".into(), address.clone()));
        }
        if let Some(v) = &e.client.version {
            props.push(("pqready:edge:client-version".into(), v.clone()));
        }
        if let Some(p) = &e.client.profile {
            props.push(("pqready:edge:client-profile".into(), p.clone()));
        }
        props.push((
            "pqready:edge:client-basis".into(),
            label_of(&e.client.basis),
        ));
        if let Some(g) = e.negotiated_group {
            props.push(("pqready:negotiated-group".into(), g.to_string()));
        }
        props.push(("pqready:edge:standing".into(), label_of(&e.standing)));
        props.push((
            "pqready:edge:silent-downgrade".into(),
            e.silent_downgrade.to_string(),
        ));
        props.push(("pqready:edge:hello-retry".into(), e.hello_retry.to_string()));
        if !e.carries.is_empty() {
            props.push((
                "pqready:edge:carries".into(),
                e.carries.iter().map(label_of).collect::<Vec<_>>().join(","),
            ));
        }
        for f in &e.findings {
            props.push((
                format!("pqready:finding:{}", f.id),
                f.severity.name().to_string(),
            ));
        }
        let mut component = json!({
            "type": "cryptographic-asset",
            "bom-ref": bom_ref,
            "name": e.label(),
            "cryptoProperties": {"assetType": "protocol", "protocolProperties": protocol},
        });
        set_properties(&mut component, &props);
        self.push(component, algorithms);
    }

    /// A client→server edge seen by `observe`: a TLS protocol asset whose
    /// algorithms are the groups its connections negotiated, with the
    /// count per group.
    fn observed_edge(&mut self, e: &crate::assess::observed::ObservedEdge) {
        let bom_ref = self.fresh_ref(format!("crypto/observed-edge/{}/{}", e.client, e.server));
        let mut algorithms: Vec<String> = Vec::new();
        // `unknown` (no ServerHello seen, or TLS 1.2 without a group) names no algorithm.
        for name in e.groups.keys() {
            if let Some(g) = NamedGroup::parse(name) {
                for a in Algorithm::of_group(g) {
                    algorithms.push(self.algorithm(&a));
                }
            }
        }
        dedup(&mut algorithms);
        let mut protocol = Map::new();
        protocol.insert("type".into(), json!("tls"));
        let related: Vec<(&str, &String)> = algorithms.iter().map(|a| ("algorithm", a)).collect();
        self.relate(&mut protocol, &related);
        let mut props: Props = vec![
            ("pqready:observed:client".into(), e.client.clone()),
            ("pqready:observed:server".into(), e.server.clone()),
            ("pqready:connections".into(), e.connections.to_string()),
        ];
        if let Some(process) = &e.client_process {
            props.push(("pqready:observed:client-process".into(), process.clone()));
        }
        if let Some((namespace, pod)) = e.client_pod.as_deref().and_then(|p| p.split_once('/')) {
            props.push(("pqready:observed:client-namespace".into(), namespace.into()));
            props.push(("pqready:observed:client-pod".into(), pod.into()));
        }
        if let Some(container) = &e.client_container {
            props.push((
                "pqready:observed:client-container".into(),
                container.clone(),
            ));
        }
        if let Some(workload) = &e.server_workload {
            props.push(("pqready:observed:server-workload".into(), workload.clone()));
        }
        for p in e.predictions.iter().flatten() {
            props.push((
                format!("pqready:observed:predicted-group:{}", p.cluster_edge),
                p.predicted_group.to_string(),
            ));
            props.push((
                format!("pqready:observed:prediction-agrees:{}", p.cluster_edge),
                p.agrees.to_string(),
            ));
        }
        for (group, n) in &e.groups {
            props.push((format!("pqready:negotiated-group:{group}"), n.to_string()));
        }
        for (standing, n) in &e.standings {
            props.push((
                format!("pqready:observed:standing:{}", label_of(standing)),
                n.to_string(),
            ));
        }
        props.push((
            "pqready:observed:hello-retries".into(),
            e.hello_retries.to_string(),
        ));
        if !e.profiles.is_empty() {
            props.push((
                "pqready:observed:client-profiles".into(),
                e.profiles.join(","),
            ));
        }
        for f in &e.findings {
            props.push((
                format!("pqready:finding:{}", f.id),
                f.severity.name().to_string(),
            ));
        }
        let mut component = json!({
            "type": "cryptographic-asset",
            "bom-ref": bom_ref,
            "name": match &e.client_process {
                Some(process) => format!("{} ({process}) → {}", e.client, e.server),
                None => format!("{} → {}", e.client, e.server),
            },
            "cryptoProperties": {"assetType": "protocol", "protocolProperties": protocol},
        });
        set_properties(&mut component, &props);
        self.push(component, algorithms);
    }

    fn cert_file(&mut self, file: &FileReport) {
        for c in &file.certificates {
            let props = vec![
                ("pqready:path".into(), file.path.clone()),
                ("pqready:source".into(), c.source.clone()),
            ];
            self.certificate(&c.certificate, props);
        }
        for k in &file.keys {
            self.key_file(file, k);
        }
    }

    fn key_file(&mut self, file: &FileReport, k: &KeyReport) {
        let kind = match k.kind {
            KeyKind::Private => "private-key",
            KeyKind::Public | KeyKind::Csr => "public-key",
        };
        let bom_ref = self.key_material(
            format!("crypto/{kind}/{}/{}", file.path, k.source),
            &k.key.facts,
            kind,
        );
        let mut props: Props = vec![
            ("pqready:path".into(), file.path.clone()),
            ("pqready:source".into(), k.source.clone()),
            ("pqready:kind".into(), label_of(&k.kind)),
            (
                "pqready:quantum-safe".into(),
                k.key.quantum_safe.to_string(),
            ),
        ];
        if let Some(role) = &k.role {
            props.push(("pqready:role".into(), role.clone()));
        }
        if let Some(subject) = &k.subject {
            props.push(("pqready:csr-subject".into(), subject.clone()));
        }
        if let Some(component) = self
            .components
            .iter_mut()
            .find(|c| c["bom-ref"] == bom_ref.as_str())
        {
            set_properties(component, &props);
        }
    }

    fn binary(&mut self, b: &BinaryReport) {
        let names = |groups: &[NamedGroup]| {
            groups
                .iter()
                .map(|g| g.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut algorithms = Vec::new();
        let runtime_groups = b.runtime.as_ref().map(|r| r.offer.groups.as_slice());
        for g in b.default_groups.iter().chain(runtime_groups.unwrap_or(&[])) {
            for a in Algorithm::of_group(*g) {
                algorithms.push(self.algorithm(&a));
            }
        }
        let name = b
            .package_path
            .clone()
            .or(b.main_module.as_ref().map(|m| m.path.clone()))
            .unwrap_or_else(|| b.path.clone());
        let mut props: Props = vec![
            ("pqready:path".into(), b.path.clone()),
            ("pqready:go-version".into(), b.go_version.clone()),
            ("pqready:default-groups".into(), names(&b.default_groups)),
            (
                "pqready:pq-default-groups".into(),
                names(&b.pq_default_groups),
            ),
            (
                "pqready:verdict".into(),
                b.verdict.map(|v| label_of(&v)).unwrap_or("unknown".into()),
            ),
        ];
        if let Some(g) = &b.default_godebug {
            props.push(("pqready:default-godebug".into(), g.clone()));
        }
        if let Some(rt) = &b.runtime {
            props.push(("pqready:runtime-godebug".into(), rt.offer.godebug.clone()));
            props.push((
                "pqready:runtime-godebug-source".into(),
                rt.offer.source.clone(),
            ));
            props.push(("pqready:runtime-groups".into(), names(&rt.offer.groups)));
            props.push((
                "pqready:runtime-verdict".into(),
                rt.verdict.map(|v| label_of(&v)).unwrap_or("unknown".into()),
            ));
        }
        let mut component = json!({
            "type": "application",
            "bom-ref": self.fresh_ref(format!("application/{}", b.path)),
            "name": name,
        });
        if let Some(m) = &b.main_module {
            component["version"] = json!(m.version);
        }
        set_properties(&mut component, &props);
        self.push(component, algorithms);
    }

    /// An `inspect` session: each distinct client offer as an application
    /// component that depends on the key-exchange algorithms it offered.
    fn inspected(&mut self, summary: &super::inspect::Summary) {
        for (key, e) in &summary.clients {
            let mut algorithms = Vec::new();
            for g in &e.groups {
                for a in Algorithm::of_group(*g) {
                    algorithms.push(self.algorithm(&a));
                }
            }
            let props: Props = vec![
                ("pqready:ja4".into(), e.ja4.clone()),
                ("pqready:connections".into(), e.count.to_string()),
                (
                    "pqready:offered-groups".into(),
                    e.groups
                        .iter()
                        .map(|g| g.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                ("pqready:offers-mldsa".into(), e.offers_mldsa.to_string()),
                (
                    "pqready:verdict".into(),
                    e.verdict.map(|v| label_of(&v)).unwrap_or("unknown".into()),
                ),
                ("pqready:sample".into(), e.sample.clone()),
            ];
            let mut component = json!({
                "type": "application",
                "bom-ref": self.fresh_ref(format!("client/{key}")),
                "name": e.profile,
                "description": "a TLS client seen by pqready inspect",
            });
            set_properties(&mut component, &props);
            self.push(component, algorithms);
        }
    }

    /// The whole document.
    fn document(&mut self) -> Value {
        let dependencies: Vec<Value> = std::mem::take(&mut self.dependencies)
            .into_iter()
            .map(|(r, on)| {
                if on.is_empty() {
                    json!({"ref": r})
                } else {
                    json!({"ref": r, "dependsOn": on})
                }
            })
            .collect();
        let mut doc = json!({
            "bomFormat": "CycloneDX",
            "specVersion": self.version.name(),
            "version": 1,
            "metadata": {
                "timestamp": crate::time::rfc3339(std::time::SystemTime::now()),
                "tools": {"components": [{
                    "type": "application",
                    "name": "pqready",
                    "version": env!("CARGO_PKG_VERSION"),
                }]},
            },
            "components": std::mem::take(&mut self.components),
            "dependencies": dependencies,
        });
        if let Some(serial) = serial_number() {
            doc["serialNumber"] = json!(serial);
        }
        let mut props = Vec::new();
        if let Some(d) = self.baseline.take() {
            let count = |name: &str, n: usize| json!({"name": format!("pqready:baseline:{name}"), "value": n.to_string()});
            props.extend([
                json!({"name": "pqready:baseline:changed", "value": d.changed.to_string()}),
                count("regressions", d.regressions.len()),
                count("improvements", d.improvements.len()),
                count("new-findings", d.new_findings.len()),
                count("fixed-findings", d.fixed_findings.len()),
                count("unchanged-findings", d.unchanged_findings as usize),
                count("new-subjects", d.new_subjects.len()),
                count("gone-subjects", d.gone_subjects.len()),
            ]);
            if d.fail_on_change {
                props.push(
                    json!({"name": "pqready:baseline:failed", "value": d.failed.to_string()}),
                );
            }
            for c in &d.regressions {
                props.push(json!({
                    "name": "pqready:baseline:regression",
                    "value": format!("{} {} -> {}", c.subject, c.from, c.to),
                }));
            }
        }
        if let Some(gate) = self.gate.take() {
            props.extend([
                json!({"name": "pqready:gate:failed", "value": gate.failed.to_string()}),
                json!({"name": "pqready:gate:excepted", "value": gate.excepted.to_string()}),
            ]);
            if let Some(threshold) = gate.fail_on {
                props.push(json!({"name": "pqready:gate:fail-on", "value": threshold.name()}));
                props.push(json!({
                    "name": "pqready:gate:findings-at-or-above",
                    "value": gate.findings_at_or_above.to_string(),
                }));
            }
            if let Some(violations) = gate.policy_violations {
                props.push(json!({
                    "name": "pqready:gate:policy-violations",
                    "value": violations.to_string(),
                }));
            }
        }
        if !props.is_empty() {
            doc["properties"] = json!(props);
        }
        doc
    }
}

fn dedup(refs: &mut Vec<String>) {
    let mut seen = HashSet::new();
    refs.retain(|r| seen.insert(r.clone()));
}

/// A label as its JSON spelling (`pq`, `apiserver`, `private`).
fn label_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Adds `props` to a component's `properties` (none: no field).
fn set_properties(component: &mut Value, props: &Props) {
    if props.is_empty() {
        return;
    }
    let list = component
        .as_object_mut()
        .map(|o| o.entry("properties").or_insert_with(|| json!([])));
    if let Some(Value::Array(list)) = list {
        list.extend(props.iter().map(|(n, v)| json!({"name": n, "value": v})));
    }
}

/// `urn:uuid:…`, a random (version 4) UUID; `None` without randomness.
fn serial_number() -> Option<String> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).ok()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Some(format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

impl Renderer for CbomRenderer {
    fn part(&mut self, part: Part<'_>) -> String {
        match part {
            Part::Target(report) => self.target(report, &Vec::new()),
            Part::Cluster(report) => self.cluster(report),
            Part::CertFile(file) => self.cert_file(file),
            Part::Binary(report) => self.binary(report),
            // Totals add no cryptographic asset; profiles and matrix refuse
            // `-o cbom` before they run.
            // Each record is in the summary that closes an inspect session.
            Part::InspectSummary(summary) => self.inspected(summary),
            Part::ObserveSummary(summary) => {
                for e in &summary.assessed.edges {
                    self.observed_edge(e);
                }
            }
            Part::BinaryTotals { .. }
            | Part::CertSummary(_)
            | Part::InspectRecord(_)
            // Each connection is counted in its edge, in the summary.
            | Part::ObservedConnection(_)
            | Part::Profiles(_)
            | Part::Matrix { .. } => {}
        }
        String::new()
    }

    fn baseline(&mut self, diff: &crate::assess::baseline::BaselineDiff) -> String {
        self.baseline = Some(diff.clone());
        String::new()
    }

    fn gate(&mut self, decision: &crate::assess::gate::GateDecision) -> String {
        self.gate = Some(decision.clone());
        String::new()
    }

    fn finish(&mut self) -> String {
        let doc = self.document();
        serde_json::to_string_pretty(&doc).expect("a JSON value serialises") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registry_group_part_is_a_catalog_algorithm() {
        for g in crate::wire::GROUPS {
            assert!(!g.parts.is_empty(), "{}", g.name);
            assert_eq!(
                Algorithm::of_group(g.group).len(),
                g.parts.len(),
                "{}: a part the algorithm catalog does not know",
                g.name
            );
        }
    }

    #[test]
    fn a_hybrid_group_is_its_parts() {
        let parts = Algorithm::of_group(NamedGroup::X25519MLKEM768);
        let names: Vec<&str> = parts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["ML-KEM-768", "X25519"]);
        assert_eq!(parts[0].primitive, "kem");
        assert_eq!(parts[0].parameter_set.as_deref(), Some("768"));
        assert_eq!(parts[0].nist_level, 3);
        assert_eq!(parts[0].classical_bits, Some(192));
        assert_eq!(parts[1].primitive, "key-agree");
        assert_eq!(parts[1].nist_level, 0);
        assert_eq!(parts[1].classical_bits, Some(128));
        assert_eq!(parts[1].curve, Some("other/Curve25519"));
        let p256 = Algorithm::of_group(NamedGroup::SECP256R1MLKEM768);
        assert_eq!(p256[1].name, "ECDH-P-256");
        assert!(Algorithm::of_group(NamedGroup(0xfe01)).is_empty());
    }

    #[test]
    fn signature_schemes_and_certificate_signatures_share_assets() {
        let scheme = Algorithm::of_scheme(SignatureScheme::MLDSA65).unwrap();
        let cert_sig = Algorithm::of_signature("ML-DSA-65", "2.16.840.1.101.3.4.3.18");
        assert_eq!(scheme, cert_sig);
        assert_eq!(scheme.parameter_set.as_deref(), Some("65"));
        let rsa = Algorithm::of_signature("sha256WithRSAEncryption", "1.2.840.113549.1.1.11");
        assert_eq!(rsa.family, Some("RSASSA-PKCS1"));
        let ecdsa = Algorithm::of_scheme(SignatureScheme::ECDSA_SECP256R1_SHA256).unwrap();
        assert_eq!(ecdsa.name, "ECDSA-P-256");
        assert_eq!(ecdsa.curve, Some("nist/P-256"));
    }

    #[test]
    fn serial_numbers_are_version_4_uuids() {
        let s = serial_number().unwrap();
        assert_eq!(s.len(), "urn:uuid:".len() + 36);
        assert_eq!(&s[23..24], "4");
        assert!(matches!(&s[28..29], "8" | "9" | "a" | "b"), "{s}");
        assert_ne!(s, serial_number().unwrap());
    }
}
