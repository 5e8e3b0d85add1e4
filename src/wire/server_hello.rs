//! ServerHello, HelloRetryRequest and TLS 1.2 ServerKeyExchange decoding.
//!
//! Owns: decoding the server's first handshake messages into typed values
//! (RFC 8446 §4.1.3 and §4.1.4; RFC 8422 §5.4 for the TLS 1.2 curve). It reads
//! untrusted bytes: every length is checked, duplicates are rejected, nothing
//! panics. It never decides what a reply *means* for the server's security.

use super::client_hello::{parse_extensions, Extension};
use super::codec::{Reader, WireError};
use super::registry::{CipherSuite, ExtensionType, NamedGroup, ProtocolVersion};

/// Handshake message type of a ServerHello (and of a HelloRetryRequest).
pub const HANDSHAKE_SERVER_HELLO: u8 = 2;
/// Handshake message type of a ServerKeyExchange.
pub const HANDSHAKE_SERVER_KEY_EXCHANGE: u8 = 12;
/// Handshake message type of a ServerHelloDone.
pub const HANDSHAKE_SERVER_HELLO_DONE: u8 = 14;

/// The `random` that marks a ServerHello as a HelloRetryRequest:
/// SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3.
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A decoded ServerHello or HelloRetryRequest body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// legacy_version (always TLS 1.2 for a TLS 1.3 server).
    pub legacy_version: ProtocolVersion,
    /// The server random (the HRR marker for a HelloRetryRequest).
    pub random: [u8; 32],
    /// Echoed legacy_session_id.
    pub session_id: Vec<u8>,
    /// The selected cipher suite.
    pub cipher_suite: CipherSuite,
    /// The selected compression method (must be 0).
    pub compression: u8,
    /// Extensions, in order, duplicates rejected.
    pub extensions: Vec<Extension>,
}

/// What the key_share extension of a ServerHello or HRR says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectedShare {
    /// The group the server selected.
    pub group: NamedGroup,
    /// Length of the server's key share; `None` in a HelloRetryRequest, which
    /// carries only the group.
    pub share_len: Option<usize>,
}

impl ServerHello {
    /// Parses a ServerHello handshake *body* (without the 4-byte header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let legacy_version = ProtocolVersion(r.u16("ServerHello version")?);
        let mut random = [0u8; 32];
        random.copy_from_slice(r.take(32, "ServerHello random")?);
        let session_id = r.vec_u8("ServerHello session_id")?;
        if session_id.len() > 32 {
            return Err(WireError::TooLong {
                what: "ServerHello session_id",
                len: session_id.len(),
                max: 32,
            });
        }
        let cipher_suite = CipherSuite(r.u16("ServerHello cipher_suite")?);
        let compression = r.u8("ServerHello compression")?;
        let extensions = if r.is_empty() {
            Vec::new() // TLS <= 1.2 servers may omit the block entirely
        } else {
            parse_extensions(
                r.vec_u16("ServerHello extensions")?,
                "ServerHello extension",
            )?
        };
        r.expect_end("ServerHello")?;
        Ok(ServerHello {
            legacy_version,
            random,
            session_id: session_id.to_vec(),
            cipher_suite,
            compression,
            extensions,
        })
    }

    /// True if this is a HelloRetryRequest.
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    fn extension(&self, typ: ExtensionType) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|e| e.typ == typ)
            .map(|e| e.body.as_slice())
    }

    /// The negotiated version: supported_versions if present, else legacy_version.
    pub fn selected_version(&self) -> Result<ProtocolVersion, WireError> {
        match self.extension(ExtensionType::SUPPORTED_VERSIONS) {
            None => Ok(self.legacy_version),
            Some(body) => {
                let mut r = Reader::new(body);
                let v = r.u16("supported_versions")?;
                r.expect_end("supported_versions")?;
                Ok(ProtocolVersion(v))
            }
        }
    }

    /// The group named in key_share, if the extension is present.
    pub fn selected_share(&self) -> Result<Option<SelectedShare>, WireError> {
        let Some(body) = self.extension(ExtensionType::KEY_SHARE) else {
            return Ok(None);
        };
        let mut r = Reader::new(body);
        let group = NamedGroup(r.u16("key_share")?);
        if self.is_hello_retry_request() {
            r.expect_end("HelloRetryRequest key_share")?;
            return Ok(Some(SelectedShare {
                group,
                share_len: None,
            }));
        }
        let share = r.vec_u16("key_share")?;
        r.expect_end("key_share")?;
        if share.is_empty() {
            return Err(WireError::Invalid("empty server key share"));
        }
        Ok(Some(SelectedShare {
            group,
            share_len: Some(share.len()),
        }))
    }
}

/// Reads the named curve out of a TLS 1.2 ECDHE ServerKeyExchange body.
/// Returns `None` for a non-ECDHE (e.g. DHE) key exchange.
pub fn server_key_exchange_curve(body: &[u8]) -> Result<Option<NamedGroup>, WireError> {
    let mut r = Reader::new(body);
    let curve_type = r.u8("ServerKeyExchange curve_type")?;
    if curve_type != 3 {
        return Ok(None); // explicit curves or a DHE prime: not a named group
    }
    let group = NamedGroup(r.u16("ServerKeyExchange named_curve")?);
    // The point must follow; the signature after it is not our business.
    let point = r.vec_u8("ServerKeyExchange point")?;
    if point.is_empty() {
        return Err(WireError::Invalid("empty ServerKeyExchange point"));
    }
    Ok(Some(group))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::{put_u16, put_vec_u16, put_vec_u8};
    use crate::wire::testing::{server_hello_body, ECHOED_SESSION_ID};

    fn hello(random: [u8; 32], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        server_hello_body(random, &ECHOED_SESSION_ID, 0x1302, exts)
    }

    #[test]
    fn parses_hello_retry_request_group() {
        let body = hello(
            HELLO_RETRY_REQUEST_RANDOM,
            &[(43, vec![3, 4]), (51, vec![0x11, 0xec])],
        );
        let sh = ServerHello::parse(&body).unwrap();
        assert!(sh.is_hello_retry_request());
        assert_eq!(sh.selected_version().unwrap(), ProtocolVersion::TLS1_3);
        assert_eq!(
            sh.selected_share().unwrap(),
            Some(SelectedShare {
                group: NamedGroup::X25519MLKEM768,
                share_len: None
            })
        );
    }

    #[test]
    fn parses_server_hello_share() {
        let mut ks = vec![0x00, 0x1d];
        put_vec_u16(&mut ks, &[9; 32]);
        let sh = ServerHello::parse(&hello([7; 32], &[(43, vec![3, 4]), (51, ks)])).unwrap();
        assert!(!sh.is_hello_retry_request());
        assert_eq!(
            sh.selected_share().unwrap(),
            Some(SelectedShare {
                group: NamedGroup::X25519,
                share_len: Some(32)
            })
        );
        assert_eq!(sh.cipher_suite, CipherSuite::TLS_AES_256_GCM_SHA384);
    }

    #[test]
    fn rejects_duplicate_extensions() {
        let body = hello([7; 32], &[(43, vec![3, 4]), (43, vec![3, 4])]);
        assert_eq!(
            ServerHello::parse(&body),
            Err(WireError::Invalid("duplicate extension"))
        );
    }

    #[test]
    fn accepts_tls12_hello_without_extensions() {
        let mut b = Vec::new();
        put_u16(&mut b, 0x0303);
        b.extend_from_slice(&[3; 32]);
        put_vec_u8(&mut b, &[]);
        put_u16(&mut b, 0xc02f);
        b.push(0);
        let sh = ServerHello::parse(&b).unwrap();
        assert_eq!(sh.selected_version().unwrap(), ProtocolVersion::TLS1_2);
        assert_eq!(sh.selected_share().unwrap(), None);
    }

    #[test]
    fn rejects_every_truncation() {
        let body = hello(
            HELLO_RETRY_REQUEST_RANDOM,
            &[(43, vec![3, 4]), (51, vec![0, 0x1d])],
        );
        // version + random + session_id(1+32) + suite + compression: a complete
        // extension-less TLS 1.2 hello, which is legal.
        let no_extensions = 2 + 32 + 33 + 2 + 1;
        for cut in (0..body.len()).filter(|c| *c != no_extensions) {
            assert!(ServerHello::parse(&body[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn parses_ecdhe_server_key_exchange() {
        let mut b = vec![3, 0x00, 0x17];
        put_vec_u8(&mut b, &[4; 65]);
        b.extend_from_slice(&[0; 10]);
        assert_eq!(
            server_key_exchange_curve(&b).unwrap(),
            Some(NamedGroup::SECP256R1)
        );
        assert_eq!(server_key_exchange_curve(&[1, 2, 3]).unwrap(), None);
        assert!(server_key_exchange_curve(&[3, 0]).is_err());
    }
}
