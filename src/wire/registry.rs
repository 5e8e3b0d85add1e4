//! The one registry of TLS codepoints pqready knows by name.
//!
//! Owns: named groups (with their kind and key-share sizes), cipher suites,
//! signature schemes, protocol versions, alert descriptions and extension
//! types. A new codepoint is one line in one table here; every name printed in
//! a report, parsed from a flag or compared in a test comes from these tables.
//!
//! Must not: decide what is "good" (that is `assess`), or know which groups
//! pqready can generate key shares for (that is `probe::keyshare`). A codepoint
//! being listed here is not a claim that pqready implements it.
//!
//! Unknown values are kept as numbers and print as lower-case hex (`0x11ef`),
//! so a report always says what the peer actually sent.
//!
//! Sources: IANA "TLS Supported Groups", "TLS Cipher Suites" and
//! "TLS SignatureScheme" registries; draft-ietf-tls-ecdhe-mlkem (hybrids),
//! draft-ietf-tls-mlkem (pure ML-KEM), draft-tls-westerbaan-xyber768d00 (the
//! obsolete Kyber draft), draft-ietf-tls-mldsa (ML-DSA schemes), RFC 8446.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What kind of key exchange a group performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    /// A standard hybrid of ML-KEM and an elliptic curve (e.g. X25519MLKEM768).
    HybridMlKem,
    /// Pure ML-KEM (FIPS 203), no classical component.
    MlKem,
    /// The pre-standard X25519Kyber768Draft00: post-quantum in intent, obsolete.
    KyberDraft,
    /// Classical elliptic-curve Diffie-Hellman.
    Ecdhe,
    /// Classical finite-field Diffie-Hellman (RFC 7919).
    Ffdhe,
}

impl GroupKind {
    /// True for every group that adds a post-quantum component, draft included.
    pub fn is_post_quantum(self) -> bool {
        matches!(
            self,
            GroupKind::HybridMlKem | GroupKind::MlKem | GroupKind::KyberDraft
        )
    }

    /// True for post-quantum groups built on the final FIPS 203 standard.
    pub fn is_standard_post_quantum(self) -> bool {
        matches!(self, GroupKind::HybridMlKem | GroupKind::MlKem)
    }
}

/// Static facts about one named group.
#[derive(Debug, Clone, Copy)]
pub struct GroupInfo {
    /// The codepoint.
    pub group: NamedGroup,
    /// The IANA (or draft) name, spelled exactly as the registry spells it.
    pub name: &'static str,
    /// What kind of key exchange this is.
    pub kind: GroupKind,
    /// Size of a client key share in bytes.
    pub client_share_len: usize,
    /// Size of a server key share in bytes.
    pub server_share_len: usize,
    /// The algorithms it is made of, post-quantum first: a hybrid is its
    /// parts (X25519MLKEM768 is ML-KEM-768 and X25519).
    pub parts: &'static [GroupPart],
}

/// One algorithm a named group is made of, named as the algorithm catalog
/// (`catalog::algorithms`) names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupPart {
    /// A key algorithm by its catalog name (`ML-KEM-768`, `X25519`, `X448`).
    Key(&'static str),
    /// Elliptic-curve Diffie-Hellman over a catalog curve (`P-256`, `brainpoolP256r1`).
    Ecdh(&'static str),
    /// Finite-field Diffie-Hellman with a modulus of this many bits (RFC 7919).
    Ffdh(u32),
    /// The pre-standard Kyber768 (round 3) KEM of X25519Kyber768Draft00: no
    /// catalog entry and no OID.
    Kyber768Draft,
}

/// A TLS named group (supported_groups / key_share codepoint). Unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamedGroup(pub u16);

macro_rules! groups {
    ($( $konst:ident = $code:literal, $name:literal, $kind:ident, $cs:literal, $ss:literal, [$($part:ident $(($arg:expr))?),*]; )*) => {
        impl NamedGroup {
            $( #[doc = $name] pub const $konst: NamedGroup = NamedGroup($code); )*
        }
        /// Every named group pqready knows, in the order a post-quantum-first
        /// client would prefer them. Group discovery offers them in this order.
        pub static GROUPS: &[GroupInfo] = &[
            $( GroupInfo { group: NamedGroup($code), name: $name, kind: GroupKind::$kind,
                           client_share_len: $cs, server_share_len: $ss, parts: &[$(GroupPart::$part $(($arg))?),*] }, )*
        ];
    };
}

groups! {
    X25519MLKEM768        = 0x11EC, "X25519MLKEM768",        HybridMlKem, 1216, 1120, [Key("ML-KEM-768"), Key("X25519")];
    SECP256R1MLKEM768     = 0x11EB, "SecP256r1MLKEM768",     HybridMlKem, 1249, 1153, [Key("ML-KEM-768"), Ecdh("P-256")];
    SECP384R1MLKEM1024    = 0x11ED, "SecP384r1MLKEM1024",    HybridMlKem, 1665, 1665, [Key("ML-KEM-1024"), Ecdh("P-384")];
    MLKEM512              = 0x0200, "MLKEM512",              MlKem,        800,  768, [Key("ML-KEM-512")];
    MLKEM768              = 0x0201, "MLKEM768",              MlKem,       1184, 1088, [Key("ML-KEM-768")];
    MLKEM1024             = 0x0202, "MLKEM1024",             MlKem,       1568, 1568, [Key("ML-KEM-1024")];
    X25519KYBER768DRAFT00 = 0x6399, "X25519Kyber768Draft00", KyberDraft,  1216, 1120, [Kyber768Draft, Key("X25519")];
    X25519                = 0x001D, "x25519",                Ecdhe,         32,   32, [Key("X25519")];
    X448                  = 0x001E, "x448",                  Ecdhe,         56,   56, [Key("X448")];
    SECP256R1             = 0x0017, "secp256r1",             Ecdhe,         65,   65, [Ecdh("P-256")];
    SECP384R1             = 0x0018, "secp384r1",             Ecdhe,         97,   97, [Ecdh("P-384")];
    SECP521R1             = 0x0019, "secp521r1",             Ecdhe,        133,  133, [Ecdh("P-521")];
    BRAINPOOLP256R1TLS13  = 0x001F, "brainpoolP256r1tls13",  Ecdhe,         65,   65, [Ecdh("brainpoolP256r1")];
    BRAINPOOLP384R1TLS13  = 0x0020, "brainpoolP384r1tls13",  Ecdhe,         97,   97, [Ecdh("brainpoolP384r1")];
    BRAINPOOLP512R1TLS13  = 0x0021, "brainpoolP512r1tls13",  Ecdhe,        129,  129, [Ecdh("brainpoolP512r1")];
    FFDHE2048             = 0x0100, "ffdhe2048",             Ffdhe,        256,  256, [Ffdh(2048)];
    FFDHE3072             = 0x0101, "ffdhe3072",             Ffdhe,        384,  384, [Ffdh(3072)];
    FFDHE4096             = 0x0102, "ffdhe4096",             Ffdhe,        512,  512, [Ffdh(4096)];
    FFDHE6144             = 0x0103, "ffdhe6144",             Ffdhe,        768,  768, [Ffdh(6144)];
    FFDHE8192             = 0x0104, "ffdhe8192",             Ffdhe,       1024, 1024, [Ffdh(8192)];
}

impl NamedGroup {
    /// Registry facts, or `None` for a codepoint pqready has no entry for.
    pub fn info(self) -> Option<&'static GroupInfo> {
        GROUPS.iter().find(|g| g.group == self)
    }

    /// The registry name, or `None` when unknown.
    pub fn known_name(self) -> Option<&'static str> {
        self.info().map(|i| i.name)
    }

    /// True when the group has a post-quantum component (draft included).
    pub fn is_post_quantum(self) -> bool {
        self.info().is_some_and(|i| i.kind.is_post_quantum())
    }

    /// True when the group is built on the final ML-KEM standard (not the draft).
    pub fn is_standard_post_quantum(self) -> bool {
        self.info()
            .is_some_and(|i| i.kind.is_standard_post_quantum())
    }

    /// Looks up a group by registry name (case-insensitive) or by `0xNNNN`.
    ///
    /// ```
    /// use pqready::wire::NamedGroup;
    /// assert_eq!(NamedGroup::parse("X25519MLKEM768"), Some(NamedGroup::X25519MLKEM768));
    /// assert_eq!(NamedGroup::parse("0x11ec"), Some(NamedGroup(0x11ec)));
    /// assert_eq!(NamedGroup(0xfe01).to_string(), "0xfe01");
    /// ```
    pub fn parse(text: &str) -> Option<NamedGroup> {
        if let Some(code) = parse_hex_u16(text) {
            return Some(NamedGroup(code));
        }
        GROUPS
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(text))
            .map(|g| g.group)
    }
}

impl fmt::Display for NamedGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.known_name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:04x}", self.0),
        }
    }
}

impl Serialize for NamedGroup {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads back what `Serialize` wrote: a registry name or `0xNNNN`.
impl<'de> Deserialize<'de> for NamedGroup {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        NamedGroup::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown named group '{text}'")))
    }
}

/// RFC 8701 GREASE values (0x0a0a, 0x1a1a, … 0xfafa): clients send them to
/// keep servers tolerant of unknown values; they carry no meaning.
pub fn is_grease(v: u16) -> bool {
    (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Parses `0xNNNN` (case-insensitive) into a u16.
pub fn parse_hex_u16(text: &str) -> Option<u16> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if hex.is_empty() || hex.len() > 4 {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

/// Declares a transparent u16/u8 codepoint type with a name table.
macro_rules! codepoints {
    ($(#[$meta:meta])* $ty:ident($int:ty), $table:ident, $hexw:literal {
        $( $konst:ident = $code:literal, $name:literal; )*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(pub $int);

        impl $ty {
            $( #[doc = $name] pub const $konst: $ty = $ty($code); )*

            /// The registry name, or `None` when unknown.
            pub fn known_name(self) -> Option<&'static str> {
                $table.iter().find(|(c, _)| *c == self.0).map(|(_, n)| *n)
            }
        }

        /// Every named value of this codepoint type.
        pub static $table: &[($int, &str)] = &[ $( ($code, $name), )* ];

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.known_name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, concat!("0x{:0", $hexw, "x}"), self.0),
                }
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        /// Reads back what `Serialize` wrote: the registry name or lower-case hex.
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<str>::deserialize(d)?;
                if let Some((code, _)) = $table.iter().find(|(_, n)| *n == text) {
                    return Ok($ty(*code));
                }
                text.strip_prefix("0x")
                    .filter(|h| !h.is_empty() && h.len() <= $hexw)
                    .and_then(|h| <$int>::from_str_radix(h, 16).ok())
                    .map($ty)
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            concat!("unknown ", stringify!($ty), " '{}'"),
                            text
                        ))
                    })
            }
        }
    };
}

codepoints! {
    /// A TLS protocol version as it appears on the wire.
    ProtocolVersion(u16), PROTOCOL_VERSIONS, 4 {
        TLS1_3 = 0x0304, "TLSv1.3";
        TLS1_2 = 0x0303, "TLSv1.2";
        TLS1_1 = 0x0302, "TLSv1.1";
        TLS1_0 = 0x0301, "TLSv1.0";
        SSL3_0 = 0x0300, "SSLv3";
    }
}

codepoints! {
    /// A TLS cipher suite.
    CipherSuite(u16), CIPHER_SUITES, 4 {
        TLS_AES_128_GCM_SHA256 = 0x1301, "TLS_AES_128_GCM_SHA256";
        TLS_AES_256_GCM_SHA384 = 0x1302, "TLS_AES_256_GCM_SHA384";
        TLS_CHACHA20_POLY1305_SHA256 = 0x1303, "TLS_CHACHA20_POLY1305_SHA256";
        TLS_AES_128_CCM_SHA256 = 0x1304, "TLS_AES_128_CCM_SHA256";
        TLS_AES_128_CCM_8_SHA256 = 0x1305, "TLS_AES_128_CCM_8_SHA256";
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256";
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA";
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA";
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA";
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA";
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256";
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256";
        TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256";
        TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384";
        TLS_DHE_RSA_WITH_AES_128_CBC_SHA = 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA";
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256";
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384";
        TLS_RSA_WITH_AES_128_CBC_SHA = 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA";
        TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA";
        TLS_RSA_WITH_3DES_EDE_CBC_SHA = 0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA";
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV";
    }
}

/// The TLS 1.3 suites every modern client offers.
pub const TLS13_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_AES_128_GCM_SHA256,
    CipherSuite::TLS_AES_256_GCM_SHA384,
    CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
];

/// TLS 1.2 ECDHE suites with AEAD ciphers (GCM, ChaCha20-Poly1305).
pub const TLS12_ECDHE_AEAD_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// TLS 1.2 (and 1.0/1.1) ECDHE suites with CBC ciphers.
pub const TLS12_ECDHE_CBC_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
];

codepoints! {
    /// A TLS 1.3 signature scheme (also used for TLS 1.2 signature_algorithms).
    SignatureScheme(u16), SIGNATURE_SCHEMES, 4 {
        ECDSA_SECP256R1_SHA256 = 0x0403, "ecdsa_secp256r1_sha256";
        ECDSA_SECP384R1_SHA384 = 0x0503, "ecdsa_secp384r1_sha384";
        ECDSA_SECP521R1_SHA512 = 0x0603, "ecdsa_secp521r1_sha512";
        ED25519 = 0x0807, "ed25519";
        ED448 = 0x0808, "ed448";
        RSA_PSS_RSAE_SHA256 = 0x0804, "rsa_pss_rsae_sha256";
        RSA_PSS_RSAE_SHA384 = 0x0805, "rsa_pss_rsae_sha384";
        RSA_PSS_RSAE_SHA512 = 0x0806, "rsa_pss_rsae_sha512";
        RSA_PSS_PSS_SHA256 = 0x0809, "rsa_pss_pss_sha256";
        RSA_PSS_PSS_SHA384 = 0x080A, "rsa_pss_pss_sha384";
        RSA_PSS_PSS_SHA512 = 0x080B, "rsa_pss_pss_sha512";
        RSA_PKCS1_SHA256 = 0x0401, "rsa_pkcs1_sha256";
        RSA_PKCS1_SHA384 = 0x0501, "rsa_pkcs1_sha384";
        RSA_PKCS1_SHA512 = 0x0601, "rsa_pkcs1_sha512";
        RSA_PKCS1_SHA1 = 0x0201, "rsa_pkcs1_sha1";
        ECDSA_SHA1 = 0x0203, "ecdsa_sha1";
        MLDSA44 = 0x0904, "mldsa44";
        MLDSA65 = 0x0905, "mldsa65";
        MLDSA87 = 0x0906, "mldsa87";
    }
}

impl SignatureScheme {
    /// True for the ML-DSA schemes (FIPS 204; draft-ietf-tls-mldsa):
    /// mldsa44, mldsa65, mldsa87. They sign in TLS 1.3 only.
    pub fn is_mldsa(self) -> bool {
        matches!(
            self,
            SignatureScheme::MLDSA44 | SignatureScheme::MLDSA65 | SignatureScheme::MLDSA87
        )
    }
}

codepoints! {
    /// A TLS alert description.
    AlertDescription(u8), ALERT_DESCRIPTIONS, 2 {
        CLOSE_NOTIFY = 0, "close_notify";
        UNEXPECTED_MESSAGE = 10, "unexpected_message";
        BAD_RECORD_MAC = 20, "bad_record_mac";
        RECORD_OVERFLOW = 22, "record_overflow";
        HANDSHAKE_FAILURE = 40, "handshake_failure";
        BAD_CERTIFICATE = 42, "bad_certificate";
        UNSUPPORTED_CERTIFICATE = 43, "unsupported_certificate";
        CERTIFICATE_REVOKED = 44, "certificate_revoked";
        CERTIFICATE_EXPIRED = 45, "certificate_expired";
        CERTIFICATE_UNKNOWN = 46, "certificate_unknown";
        ILLEGAL_PARAMETER = 47, "illegal_parameter";
        UNKNOWN_CA = 48, "unknown_ca";
        ACCESS_DENIED = 49, "access_denied";
        DECODE_ERROR = 50, "decode_error";
        DECRYPT_ERROR = 51, "decrypt_error";
        PROTOCOL_VERSION = 70, "protocol_version";
        INSUFFICIENT_SECURITY = 71, "insufficient_security";
        INTERNAL_ERROR = 80, "internal_error";
        INAPPROPRIATE_FALLBACK = 86, "inappropriate_fallback";
        USER_CANCELED = 90, "user_canceled";
        NO_RENEGOTIATION = 100, "no_renegotiation";
        MISSING_EXTENSION = 109, "missing_extension";
        UNSUPPORTED_EXTENSION = 110, "unsupported_extension";
        UNRECOGNIZED_NAME = 112, "unrecognized_name";
        BAD_CERTIFICATE_STATUS_RESPONSE = 113, "bad_certificate_status_response";
        UNKNOWN_PSK_IDENTITY = 115, "unknown_psk_identity";
        CERTIFICATE_REQUIRED = 116, "certificate_required";
        NO_APPLICATION_PROTOCOL = 120, "no_application_protocol";
    }
}

codepoints! {
    /// A TLS extension type.
    ExtensionType(u16), EXTENSION_TYPES, 4 {
        SERVER_NAME = 0, "server_name";
        STATUS_REQUEST = 5, "status_request";
        SUPPORTED_GROUPS = 10, "supported_groups";
        EC_POINT_FORMATS = 11, "ec_point_formats";
        SIGNATURE_ALGORITHMS = 13, "signature_algorithms";
        ALPN = 16, "application_layer_protocol_negotiation";
        SIGNED_CERTIFICATE_TIMESTAMP = 18, "signed_certificate_timestamp";
        PADDING = 21, "padding";
        ENCRYPT_THEN_MAC = 22, "encrypt_then_mac";
        EXTENDED_MASTER_SECRET = 23, "extended_master_secret";
        COMPRESS_CERTIFICATE = 27, "compress_certificate";
        RECORD_SIZE_LIMIT = 28, "record_size_limit";
        SESSION_TICKET = 35, "session_ticket";
        PRE_SHARED_KEY = 41, "pre_shared_key";
        EARLY_DATA = 42, "early_data";
        SUPPORTED_VERSIONS = 43, "supported_versions";
        COOKIE = 44, "cookie";
        PSK_KEY_EXCHANGE_MODES = 45, "psk_key_exchange_modes";
        SIGNATURE_ALGORITHMS_CERT = 50, "signature_algorithms_cert";
        KEY_SHARE = 51, "key_share";
        RENEGOTIATION_INFO = 0xFF01, "renegotiation_info";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codepoints_read_back_what_they_serialise() {
        for g in [
            NamedGroup::X25519MLKEM768,
            NamedGroup(0xfe01),
            NamedGroup(0x0a0a),
        ] {
            let json = serde_json::to_string(&g).unwrap();
            assert_eq!(
                serde_json::from_str::<NamedGroup>(&json).unwrap(),
                g,
                "{json}"
            );
        }
        for v in [ProtocolVersion::TLS1_3, ProtocolVersion(0x7f1c)] {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(
                serde_json::from_str::<ProtocolVersion>(&json).unwrap(),
                v,
                "{json}"
            );
        }
        let alert = AlertDescription(0xfe);
        let json = serde_json::to_string(&alert).unwrap();
        assert_eq!(json, "\"0xfe\"");
        assert_eq!(
            serde_json::from_str::<AlertDescription>(&json).unwrap(),
            alert
        );
        assert!(serde_json::from_str::<AlertDescription>("\"0x1ff\"").is_err());
        assert!(serde_json::from_str::<NamedGroup>("\"no-such-group\"").is_err());
        assert!(serde_json::from_str::<CipherSuite>("4865").is_err());
    }

    #[test]
    fn registry_has_no_duplicate_codes_or_names() {
        let codes: HashSet<u16> = GROUPS.iter().map(|g| g.group.0).collect();
        let names: HashSet<&str> = GROUPS.iter().map(|g| g.name).collect();
        assert_eq!(codes.len(), GROUPS.len());
        assert_eq!(names.len(), GROUPS.len());
        for table in [CIPHER_SUITES, SIGNATURE_SCHEMES, EXTENSION_TYPES] {
            let codes: HashSet<u16> = table.iter().map(|(c, _)| *c).collect();
            assert_eq!(codes.len(), table.len());
        }
    }

    #[test]
    fn parses_names_and_hex() {
        assert_eq!(
            NamedGroup::parse("x25519mlkem768"),
            Some(NamedGroup::X25519MLKEM768)
        );
        assert_eq!(
            NamedGroup::parse("0x6399"),
            Some(NamedGroup::X25519KYBER768DRAFT00)
        );
        assert_eq!(NamedGroup::parse("0xfe01"), Some(NamedGroup(0xfe01)));
        assert_eq!(NamedGroup::parse("0x"), None);
        assert_eq!(NamedGroup::parse("0x12345"), None);
        assert_eq!(NamedGroup::parse("nonsense"), None);
    }

    #[test]
    fn recognises_grease() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa));
        assert!(!is_grease(0x0a0b) && !is_grease(0x1a2a) && !is_grease(0x11ec));
    }

    #[test]
    fn prints_unknown_values_as_hex() {
        assert_eq!(NamedGroup(0x11ef).to_string(), "0x11ef");
        assert_eq!(
            NamedGroup::SECP256R1MLKEM768.to_string(),
            "SecP256r1MLKEM768"
        );
        assert_eq!(CipherSuite(0xabcd).to_string(), "0xabcd");
        assert_eq!(AlertDescription(200).to_string(), "0xc8");
        assert_eq!(ProtocolVersion::TLS1_3.to_string(), "TLSv1.3");
    }

    #[test]
    fn names_and_recognises_the_mldsa_schemes() {
        let mldsa: Vec<String> = (0x0903..=0x0907)
            .map(SignatureScheme)
            .filter(|s| s.is_mldsa())
            .map(|s| s.to_string())
            .collect();
        assert_eq!(mldsa, ["mldsa44", "mldsa65", "mldsa87"]);
        assert!(!SignatureScheme::ED25519.is_mldsa());
        assert!(!SignatureScheme::ECDSA_SECP256R1_SHA256.is_mldsa());
    }

    #[test]
    fn classifies_post_quantum_groups() {
        assert!(NamedGroup::X25519MLKEM768.is_post_quantum());
        assert!(NamedGroup::MLKEM512.is_post_quantum());
        assert!(NamedGroup::X25519KYBER768DRAFT00.is_post_quantum());
        assert!(!NamedGroup::X25519KYBER768DRAFT00
            .info()
            .unwrap()
            .kind
            .is_standard_post_quantum());
        assert!(!NamedGroup::X25519.is_post_quantum());
        assert!(!NamedGroup(0x1234).is_post_quantum());
    }
}
