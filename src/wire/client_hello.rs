//! ClientHello construction (and parsing, for round-trip tests and for tools
//! that read what clients send).
//!
//! Owns: turning a [`ClientHelloSpec`] — versions, groups, key shares, cipher
//! suites, signature schemes, SNI, ALPN, extra extensions, padding — into the
//! exact bytes of a ClientHello handshake message (RFC 8446 §4.1.2), and back.
//! It never decides *what* to offer (probes do) and never touches a socket.
//! Record framing is separate (`record::fragment`), so the same hello can be
//! sent in one record or split across many.

use super::codec::{put_u16, put_u16_list, put_u24, put_vec_u16, put_vec_u8, Reader, WireError};
use super::registry::{CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};

/// Handshake message type of a ClientHello.
pub const HANDSHAKE_CLIENT_HELLO: u8 = 1;

/// The largest ClientHello body `parse` accepts: a full TLS record's worth
/// several times over, far above any real client, small enough to bound memory.
pub const MAX_CLIENT_HELLO_LEN: usize = 1 << 16;

/// One entry of the key_share extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyShareEntry {
    /// The group the share is for.
    pub group: NamedGroup,
    /// The encoded public key (or hybrid concatenation).
    pub payload: Vec<u8>,
}

/// One raw extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// Its type.
    pub typ: ExtensionType,
    /// Its body, without the type and length header.
    pub body: Vec<u8>,
}

/// Everything a ClientHello can say that pqready varies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHelloSpec {
    /// Versions offered. If it contains TLS 1.3, the supported_versions
    /// extension lists them all and legacy_version is TLS 1.2; otherwise
    /// legacy_version is the highest entry and no supported_versions is sent.
    pub versions: Vec<ProtocolVersion>,
    /// Cipher suites in preference order.
    pub cipher_suites: Vec<CipherSuite>,
    /// supported_groups in preference order (omitted when empty).
    pub groups: Vec<NamedGroup>,
    /// key_share entries (sent whenever TLS 1.3 is offered, possibly empty).
    pub key_shares: Vec<KeyShareEntry>,
    /// signature_algorithms (omitted when empty).
    pub signature_schemes: Vec<SignatureScheme>,
    /// SNI host name.
    pub server_name: Option<String>,
    /// ALPN protocol names (omitted when empty).
    pub alpn: Vec<Vec<u8>>,
    /// Extensions appended verbatim after the ones above.
    pub extra_extensions: Vec<Extension>,
    /// If set, a padding extension (RFC 7685) grows the whole handshake
    /// message to at least this many bytes.
    pub pad_to: Option<usize>,
    /// The client random.
    pub random: [u8; 32],
    /// legacy_session_id (32 bytes in TLS 1.3 middlebox-compatibility mode).
    pub session_id: Vec<u8>,
}

impl ClientHelloSpec {
    /// A hello offering TLS 1.3 only with the usual suites and schemes, the
    /// given groups and shares, and nothing else. Callers adjust fields after.
    pub fn tls13(groups: Vec<NamedGroup>, key_shares: Vec<KeyShareEntry>) -> Self {
        ClientHelloSpec {
            versions: vec![ProtocolVersion::TLS1_3],
            cipher_suites: super::registry::TLS13_SUITES.to_vec(),
            groups,
            key_shares,
            signature_schemes: DEFAULT_SIGNATURE_SCHEMES.to_vec(),
            server_name: None,
            alpn: Vec::new(),
            extra_extensions: Vec::new(),
            pad_to: None,
            random: [0x5a; 32],
            session_id: vec![0xa5; 32],
        }
    }

    /// Encodes the complete handshake message (type, u24 length, body).
    pub fn encode(&self) -> Vec<u8> {
        let offers_tls13 = self.versions.contains(&ProtocolVersion::TLS1_3);
        let legacy_version = if offers_tls13 {
            ProtocolVersion::TLS1_2
        } else {
            self.versions
                .iter()
                .copied()
                .max()
                .unwrap_or(ProtocolVersion::TLS1_2)
        };

        let mut extensions: Vec<Extension> = Vec::new();
        if let Some(name) = &self.server_name {
            let mut entry = vec![0u8]; // host_name
            put_vec_u16(&mut entry, name.as_bytes());
            let mut body = Vec::new();
            put_vec_u16(&mut body, &entry);
            extensions.push(Extension {
                typ: ExtensionType::SERVER_NAME,
                body,
            });
        }
        if !offers_tls13 || self.versions.len() > 1 {
            // Pre-1.3 servers expect point formats with ECDHE; uncompressed only.
            extensions.push(Extension {
                typ: ExtensionType::EC_POINT_FORMATS,
                body: vec![1, 0],
            });
        }
        if !self.groups.is_empty() {
            let mut body = Vec::new();
            put_u16_list(
                &mut body,
                &self.groups.iter().map(|g| g.0).collect::<Vec<_>>(),
            );
            extensions.push(Extension {
                typ: ExtensionType::SUPPORTED_GROUPS,
                body,
            });
        }
        if !self.signature_schemes.is_empty() {
            let mut body = Vec::new();
            let codes: Vec<u16> = self.signature_schemes.iter().map(|s| s.0).collect();
            put_u16_list(&mut body, &codes);
            extensions.push(Extension {
                typ: ExtensionType::SIGNATURE_ALGORITHMS,
                body,
            });
        }
        if !self.alpn.is_empty() {
            let mut list = Vec::new();
            for proto in &self.alpn {
                put_vec_u8(&mut list, proto);
            }
            let mut body = Vec::new();
            put_vec_u16(&mut body, &list);
            extensions.push(Extension {
                typ: ExtensionType::ALPN,
                body,
            });
        }
        extensions.push(Extension {
            typ: ExtensionType::EXTENDED_MASTER_SECRET,
            body: vec![],
        });
        extensions.push(Extension {
            typ: ExtensionType::RENEGOTIATION_INFO,
            body: vec![0],
        });
        if offers_tls13 {
            let mut versions = Vec::new();
            for v in &self.versions {
                put_u16(&mut versions, v.0);
            }
            let mut body = Vec::new();
            put_vec_u8(&mut body, &versions);
            extensions.push(Extension {
                typ: ExtensionType::SUPPORTED_VERSIONS,
                body,
            });
            // psk_dhe_ke only: some servers refuse a 1.3 hello without it.
            extensions.push(Extension {
                typ: ExtensionType::PSK_KEY_EXCHANGE_MODES,
                body: vec![1, 1],
            });
            let mut shares = Vec::new();
            for share in &self.key_shares {
                put_u16(&mut shares, share.group.0);
                put_vec_u16(&mut shares, &share.payload);
            }
            let mut body = Vec::new();
            put_vec_u16(&mut body, &shares);
            extensions.push(Extension {
                typ: ExtensionType::KEY_SHARE,
                body,
            });
        }
        extensions.extend(self.extra_extensions.iter().cloned());

        let mut body = Vec::new();
        put_u16(&mut body, legacy_version.0);
        body.extend_from_slice(&self.random);
        put_vec_u8(&mut body, &self.session_id);
        let suites: Vec<u16> = self.cipher_suites.iter().map(|c| c.0).collect();
        put_u16_list(&mut body, &suites);
        put_vec_u8(&mut body, &[0]); // null compression only

        let mut ext_bytes = encode_extensions(&extensions);
        if let Some(target) = self.pad_to {
            // header(4) + body + extensions length(2) + extensions
            let current = 4 + body.len() + 2 + ext_bytes.len();
            if current + 4 <= target {
                let pad = target - current - 4;
                ext_bytes.extend(encode_extensions(&[Extension {
                    typ: ExtensionType::PADDING,
                    body: vec![0; pad],
                }]));
            }
        }
        put_vec_u16(&mut body, &ext_bytes);

        let mut msg = vec![HANDSHAKE_CLIENT_HELLO];
        put_u24(&mut msg, body.len());
        msg.extend_from_slice(&body);
        msg
    }
}

/// Signature schemes offered by default: everything a modern client offers,
/// plus ML-DSA so servers with post-quantum certificates can answer.
pub const DEFAULT_SIGNATURE_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::ED25519,
    SignatureScheme::ED448,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PSS_PSS_SHA256,
    SignatureScheme::RSA_PSS_PSS_SHA384,
    SignatureScheme::RSA_PSS_PSS_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::MLDSA44,
    SignatureScheme::MLDSA65,
    SignatureScheme::MLDSA87,
    SignatureScheme::RSA_PKCS1_SHA1,
    SignatureScheme::ECDSA_SHA1,
];

fn encode_extensions(extensions: &[Extension]) -> Vec<u8> {
    let mut out = Vec::new();
    for ext in extensions {
        put_u16(&mut out, ext.typ.0);
        put_vec_u16(&mut out, &ext.body);
    }
    out
}

/// Parses an extensions block, rejecting duplicates (RFC 8446 §4.2).
pub fn parse_extensions(bytes: &[u8], what: &'static str) -> Result<Vec<Extension>, WireError> {
    let mut r = Reader::new(bytes);
    let mut out: Vec<Extension> = Vec::new();
    while !r.is_empty() {
        let typ = ExtensionType(r.u16(what)?);
        let body = r.vec_u16(what)?.to_vec();
        out.push(Extension { typ, body });
    }
    // Sorting keeps the check O(n log n) for hostile hellos with thousands of extensions.
    let mut types: Vec<u16> = out.iter().map(|e| e.typ.0).collect();
    types.sort_unstable();
    if types.windows(2).any(|w| w[0] == w[1]) {
        return Err(WireError::Invalid("duplicate extension"));
    }
    Ok(out)
}

/// A decoded ClientHello: the raw fields plus the decoded extensions that
/// matter for key exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// legacy_version.
    pub legacy_version: ProtocolVersion,
    /// The client random.
    pub random: [u8; 32],
    /// legacy_session_id.
    pub session_id: Vec<u8>,
    /// Offered cipher suites, in order.
    pub cipher_suites: Vec<CipherSuite>,
    /// All extensions, in order.
    pub extensions: Vec<Extension>,
}

impl ClientHello {
    /// Parses a complete ClientHello handshake message (with its 4-byte header).
    pub fn parse(msg: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(msg);
        if r.u8("handshake type")? != HANDSHAKE_CLIENT_HELLO {
            return Err(WireError::Invalid("handshake type (expected ClientHello)"));
        }
        let len = r.u24("ClientHello length")?;
        if len > MAX_CLIENT_HELLO_LEN {
            return Err(WireError::TooLong {
                what: "ClientHello",
                len,
                max: MAX_CLIENT_HELLO_LEN,
            });
        }
        let body = r.take(len, "ClientHello")?;
        r.expect_end("ClientHello")?;

        let mut r = Reader::new(body);
        let legacy_version = ProtocolVersion(r.u16("legacy_version")?);
        let mut random = [0u8; 32];
        random.copy_from_slice(r.take(32, "random")?);
        let session_id = r.vec_u8("legacy_session_id")?;
        if session_id.len() > 32 {
            return Err(WireError::TooLong {
                what: "legacy_session_id",
                len: session_id.len(),
                max: 32,
            });
        }
        let cipher_suites = r
            .u16_list("cipher_suites")?
            .into_iter()
            .map(CipherSuite)
            .collect();
        r.vec_u8("compression_methods")?;
        let extensions = if r.is_empty() {
            Vec::new()
        } else {
            parse_extensions(r.vec_u16("extensions")?, "extension")?
        };
        r.expect_end("ClientHello")?;
        Ok(ClientHello {
            legacy_version,
            random,
            session_id: session_id.to_vec(),
            cipher_suites,
            extensions,
        })
    }

    fn extension(&self, typ: ExtensionType) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|e| e.typ == typ)
            .map(|e| e.body.as_slice())
    }

    /// supported_groups, in offered order (empty when absent).
    pub fn groups(&self) -> Result<Vec<NamedGroup>, WireError> {
        match self.extension(ExtensionType::SUPPORTED_GROUPS) {
            None => Ok(Vec::new()),
            Some(body) => {
                let mut r = Reader::new(body);
                let list = r.u16_list("supported_groups")?;
                r.expect_end("supported_groups")?;
                Ok(list.into_iter().map(NamedGroup).collect())
            }
        }
    }

    /// key_share entries, in offered order (empty when absent).
    pub fn key_shares(&self) -> Result<Vec<KeyShareEntry>, WireError> {
        let Some(body) = self.extension(ExtensionType::KEY_SHARE) else {
            return Ok(Vec::new());
        };
        let mut outer = Reader::new(body);
        let mut r = Reader::new(outer.vec_u16("key_share")?);
        outer.expect_end("key_share")?;
        let mut out = Vec::new();
        while !r.is_empty() {
            let group = NamedGroup(r.u16("key_share entry")?);
            let payload = r.vec_u16("key_share entry")?.to_vec();
            out.push(KeyShareEntry { group, payload });
        }
        Ok(out)
    }

    /// supported_versions (empty when absent).
    pub fn versions(&self) -> Result<Vec<ProtocolVersion>, WireError> {
        let Some(body) = self.extension(ExtensionType::SUPPORTED_VERSIONS) else {
            return Ok(Vec::new());
        };
        let mut r = Reader::new(body);
        let list = r.vec_u8("supported_versions")?;
        r.expect_end("supported_versions")?;
        if list.len() % 2 != 0 {
            return Err(WireError::Invalid("supported_versions"));
        }
        Ok(list
            .chunks_exact(2)
            .map(|c| ProtocolVersion(u16::from_be_bytes([c[0], c[1]])))
            .collect())
    }

    /// signature_algorithms (empty when absent).
    pub fn signature_schemes(&self) -> Result<Vec<SignatureScheme>, WireError> {
        match self.extension(ExtensionType::SIGNATURE_ALGORITHMS) {
            None => Ok(Vec::new()),
            Some(body) => {
                let mut r = Reader::new(body);
                let list = r.u16_list("signature_algorithms")?;
                r.expect_end("signature_algorithms")?;
                Ok(list.into_iter().map(SignatureScheme).collect())
            }
        }
    }

    /// ALPN protocol names, in offered order (empty when absent).
    pub fn alpn(&self) -> Result<Vec<Vec<u8>>, WireError> {
        let Some(body) = self.extension(ExtensionType::ALPN) else {
            return Ok(Vec::new());
        };
        let mut outer = Reader::new(body);
        let mut r = Reader::new(outer.vec_u16("alpn")?);
        outer.expect_end("alpn")?;
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(r.vec_u8("alpn protocol")?.to_vec());
        }
        Ok(out)
    }

    /// The SNI host name, if one was sent.
    pub fn server_name(&self) -> Result<Option<String>, WireError> {
        let Some(body) = self.extension(ExtensionType::SERVER_NAME) else {
            return Ok(None);
        };
        let mut outer = Reader::new(body);
        let mut r = Reader::new(outer.vec_u16("server_name")?);
        while !r.is_empty() {
            let kind = r.u8("server_name entry")?;
            let name = r.vec_u16("server_name entry")?;
            if kind == 0 {
                return Ok(Some(String::from_utf8_lossy(name).into_owned()));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ClientHelloSpec {
        let mut spec = ClientHelloSpec::tls13(
            vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519],
            vec![KeyShareEntry {
                group: NamedGroup::X25519,
                payload: vec![7; 32],
            }],
        );
        spec.server_name = Some("kubernetes.default.svc".into());
        spec.alpn = vec![b"h2".to_vec()];
        spec
    }

    #[test]
    fn parses_what_it_builds() {
        let spec = sample();
        let hello = ClientHello::parse(&spec.encode()).unwrap();
        assert_eq!(hello.groups().unwrap(), spec.groups);
        assert_eq!(hello.key_shares().unwrap(), spec.key_shares);
        assert_eq!(hello.versions().unwrap(), vec![ProtocolVersion::TLS1_3]);
        assert_eq!(
            hello.signature_schemes().unwrap(),
            DEFAULT_SIGNATURE_SCHEMES
        );
        assert_eq!(
            hello.server_name().unwrap().as_deref(),
            Some("kubernetes.default.svc")
        );
        assert_eq!(hello.cipher_suites, spec.cipher_suites);
        assert_eq!(hello.legacy_version, ProtocolVersion::TLS1_2);
        assert_eq!(hello.random, spec.random);
    }

    #[test]
    fn emits_empty_key_share_list() {
        let spec = ClientHelloSpec::tls13(vec![NamedGroup::X25519], vec![]);
        let hello = ClientHello::parse(&spec.encode()).unwrap();
        let ks = hello
            .extensions
            .iter()
            .find(|e| e.typ == ExtensionType::KEY_SHARE)
            .unwrap();
        assert_eq!(ks.body, [0, 0]);
    }

    #[test]
    fn pads_to_requested_size() {
        let mut spec = sample();
        spec.pad_to = Some(2000);
        assert_eq!(spec.encode().len(), 2000);
        spec.pad_to = Some(10); // already larger: no padding extension
        let hello = ClientHello::parse(&spec.encode()).unwrap();
        assert!(hello
            .extensions
            .iter()
            .all(|e| e.typ != ExtensionType::PADDING));
    }

    #[test]
    fn emits_tls12_hello_without_supported_versions() {
        let mut spec = sample();
        spec.versions = vec![ProtocolVersion::TLS1_1];
        let hello = ClientHello::parse(&spec.encode()).unwrap();
        assert_eq!(hello.legacy_version, ProtocolVersion::TLS1_1);
        assert!(hello.versions().unwrap().is_empty());
        assert!(hello.key_shares().unwrap().is_empty());
    }

    #[test]
    fn rejects_duplicate_extensions() {
        let mut spec = sample();
        spec.extra_extensions.push(Extension {
            typ: ExtensionType::SERVER_NAME,
            body: vec![],
        });
        assert_eq!(
            ClientHello::parse(&spec.encode()),
            Err(WireError::Invalid("duplicate extension"))
        );
    }

    #[test]
    fn rejects_every_truncation() {
        let bytes = sample().encode();
        for cut in 0..bytes.len() {
            assert!(ClientHello::parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
