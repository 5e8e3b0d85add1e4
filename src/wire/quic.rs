//! QUIC Initial packets: the client's probing Initials out, the server's
//! Initials (and Retry, Version Negotiation) back; and, for a passive
//! observer, either side's Initials read from a capture.
//!
//! Owns: the Initial secrets derived from the client's Destination
//! Connection ID (RFC 9001 §5.2), Initial packet protection (AES-128-GCM,
//! §5.3) and header protection (AES-128-ECB, §5.4), the long-header framing
//! of RFC 9000 §17.2, the frames an Initial may carry (PADDING, PING, ACK,
//! CRYPTO, CONNECTION_CLOSE), the transport parameters a client must send
//! (RFC 9000 §18), the Retry integrity tag (RFC 9001 §5.8), and reassembly
//! of a CRYPTO stream into its handshake messages. QUIC v2 (RFC 9369)
//! differs only in its salt, labels, Retry key and long-header type bits:
//! its Initials are read too ([`InitialKeys::for_version`], [`split_long`]).
//!
//! Why by hand: QUIC stacks (quinn, quic-go, ngtcp2) drive a whole
//! connection and build their ClientHello themselves; a probe must send a
//! ClientHello of its own choosing (an empty key_share, one group, a hello
//! spanning two Initials) and stop at the ServerHello. The cryptography is
//! aws-lc-rs'; only the framing is here.
//!
//! Like the rest of `wire`: no I/O, deterministic given its inputs, bounded
//! and panic-free on any bytes a peer sends.

use super::client_hello::Extension;
use super::codec::{Reader, WireError};
use super::registry::ExtensionType;
use aws_lc_rs::aead::quic::{HeaderProtectionKey, AES_128};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use aws_lc_rs::hkdf;

/// QUIC version 1 (RFC 9000).
pub const VERSION_1: u32 = 1;

/// QUIC version 2 (RFC 9369).
pub const VERSION_2: u32 = 0x6b33_43cf;

/// The Initial salt of QUIC v2 (RFC 9369 §3.3.1).
pub const INITIAL_SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];

/// The Initial salt of QUIC v1 (RFC 9001 §5.2).
pub const INITIAL_SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];

/// The smallest UDP payload that may carry a client's Initial (RFC 9000 §14.1).
pub const MIN_INITIAL_DATAGRAM: usize = 1200;

/// The longest connection ID QUIC v1 allows.
pub const MAX_CID_LEN: usize = 20;

/// The transport parameters extension (RFC 9001 §8.2).
pub const TRANSPORT_PARAMETERS: ExtensionType = ExtensionType(0x39);

/// The most CRYPTO bytes buffered from a server: a ServerHello is a few
/// hundred bytes, a PQ one about 1.2 KB; a whole flight with certificates
/// rarely passes 16 KB.
pub const MAX_CRYPTO_BYTES: usize = 64 * 1024;

/// AEAD tag length of AES-128-GCM.
const TAG_LEN: usize = 16;
/// Bytes of ciphertext sampled for header protection.
const SAMPLE_LEN: usize = 16;
/// Packet-number length the probe always uses.
const PN_LEN: usize = 4;

/// Retry integrity key and nonce of QUIC v1 (RFC 9001 §5.8).
const RETRY_KEY_V1: [u8; 16] = [
    0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e,
];
const RETRY_NONCE_V1: [u8; 12] = [
    0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb,
];

/// Retry integrity key and nonce of QUIC v2 (RFC 9369 §3.3.3).
const RETRY_KEY_V2: [u8; 16] = [
    0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92,
];
const RETRY_NONCE_V2: [u8; 12] = [
    0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a,
];

/// Long-header packet types of QUIC v1 (RFC 9000 §17.2).
const TYPE_INITIAL: u8 = 0;

/// The type of a long-header packet, whatever the version's bit pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongType {
    /// Initial.
    Initial,
    /// 0-RTT.
    ZeroRtt,
    /// Handshake.
    Handshake,
    /// Retry.
    Retry,
}

impl LongType {
    /// The type the two type bits of `first` mean in `version` (v1 or v2).
    fn from_bits(version: u32, first: u8) -> Self {
        let bits = (first >> 4) & 0x03;
        // RFC 9369 §3.2: v2 rotates the codes by one.
        let bits = if version == VERSION_2 {
            (bits + 3) & 0x03
        } else {
            bits
        };
        match bits {
            0 => LongType::Initial,
            1 => LongType::ZeroRtt,
            2 => LongType::Handshake,
            _ => LongType::Retry,
        }
    }
}

/// True for the QUIC versions whose Initials this module opens.
pub fn version_supported(version: u32) -> bool {
    version == VERSION_1 || version == VERSION_2
}

/// Frame types an Initial may carry (RFC 9000 §12.4, Table 3).
const FRAME_PADDING: u64 = 0x00;
const FRAME_PING: u64 = 0x01;
const FRAME_ACK: u64 = 0x02;
const FRAME_ACK_ECN: u64 = 0x03;
const FRAME_CRYPTO: u64 = 0x06;
const FRAME_CLOSE_TRANSPORT: u64 = 0x1c;
const FRAME_CLOSE_APPLICATION: u64 = 0x1d;

/// The raw key material of one direction (exposed for the RFC test vectors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secrets {
    /// AEAD key.
    pub key: [u8; 16],
    /// AEAD IV.
    pub iv: [u8; 12],
    /// Header-protection key.
    pub hp: [u8; 16],
}

/// The keys of one direction, ready to use.
pub struct Keys {
    aead: LessSafeKey,
    iv: [u8; 12],
    hp: HeaderProtectionKey,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

/// Both directions' Initial keys for one client Destination Connection ID.
#[derive(Debug)]
pub struct InitialKeys {
    /// What the client seals with.
    pub client: Keys,
    /// What the server seals with.
    pub server: Keys,
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
fn expand_label(prk: &hkdf::Prk, label: &str, out: &mut [u8]) -> Result<(), WireError> {
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    let info = [info.as_slice()];
    prk.expand(&info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| WireError::Invalid("HKDF expansion"))
}

/// Derives the client's and the server's Initial key material from the
/// client's Destination Connection ID.
pub fn initial_secrets(dcid: &[u8]) -> Result<(Secrets, Secrets), WireError> {
    initial_secrets_for(VERSION_1, dcid)
}

/// As [`initial_secrets`], for QUIC `version` (1 or 2).
pub fn initial_secrets_for(version: u32, dcid: &[u8]) -> Result<(Secrets, Secrets), WireError> {
    let (salt, prefix) = match version {
        VERSION_1 => (&INITIAL_SALT_V1, "quic"),
        VERSION_2 => (&INITIAL_SALT_V2, "quicv2"),
        _ => return Err(WireError::Invalid("QUIC version (not 1 or 2)")),
    };
    let initial = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(dcid);
    let mut out = Vec::with_capacity(2);
    for label in ["client in", "server in"] {
        let mut secret = [0u8; 32];
        expand_label(&initial, label, &mut secret)?;
        let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, &secret);
        let mut s = Secrets {
            key: [0; 16],
            iv: [0; 12],
            hp: [0; 16],
        };
        expand_label(&prk, &format!("{prefix} key"), &mut s.key)?;
        expand_label(&prk, &format!("{prefix} iv"), &mut s.iv)?;
        expand_label(&prk, &format!("{prefix} hp"), &mut s.hp)?;
        out.push(s);
    }
    let server = out.pop().ok_or(WireError::Invalid("Initial secrets"))?;
    let client = out.pop().ok_or(WireError::Invalid("Initial secrets"))?;
    Ok((client, server))
}

impl Keys {
    /// Keys from raw material.
    pub fn new(s: &Secrets) -> Result<Self, WireError> {
        let unbound =
            UnboundKey::new(&AES_128_GCM, &s.key).map_err(|_| WireError::Invalid("AEAD key"))?;
        let hp = HeaderProtectionKey::new(&AES_128, &s.hp)
            .map_err(|_| WireError::Invalid("header protection key"))?;
        Ok(Keys {
            aead: LessSafeKey::new(unbound),
            iv: s.iv,
            hp,
        })
    }

    fn nonce(&self, pn: u64) -> Nonce {
        let mut n = self.iv;
        for (i, b) in pn.to_be_bytes().iter().enumerate() {
            n[4 + i] ^= b;
        }
        Nonce::assume_unique_for_key(n)
    }

    fn mask(&self, sample: &[u8]) -> Result<[u8; 5], WireError> {
        self.hp
            .new_mask(sample)
            .map_err(|_| WireError::Invalid("header protection sample"))
    }
}

impl InitialKeys {
    /// Both directions' keys for `dcid`, the client's first Destination
    /// Connection ID (or the one a Retry chose).
    pub fn new(dcid: &[u8]) -> Result<Self, WireError> {
        Self::for_version(VERSION_1, dcid)
    }

    /// As [`InitialKeys::new`], for QUIC `version` (1 or 2).
    pub fn for_version(version: u32, dcid: &[u8]) -> Result<Self, WireError> {
        let (client, server) = initial_secrets_for(version, dcid)?;
        Ok(InitialKeys {
            client: Keys::new(&client)?,
            server: Keys::new(&server)?,
        })
    }
}

/// Reads a variable-length integer (RFC 9000 §16).
pub fn read_varint(r: &mut Reader<'_>, what: &'static str) -> Result<u64, WireError> {
    let first = r.u8(what)?;
    let len = 1usize << (first >> 6);
    let mut v = u64::from(first & 0x3f);
    for b in r.take(len - 1, what)? {
        v = (v << 8) | u64::from(*b);
    }
    Ok(v)
}

/// Appends `v` as a variable-length integer in its shortest form.
/// Values of 2^62 and above do not exist in QUIC; they are an encoder bug.
pub fn put_varint(out: &mut Vec<u8>, v: u64) {
    debug_assert!(v < 1 << 62, "varint overflow");
    if v < 1 << 6 {
        out.push(v as u8);
    } else if v < 1 << 14 {
        out.extend_from_slice(&((v as u16) | 0x4000).to_be_bytes());
    } else if v < 1 << 30 {
        out.extend_from_slice(&((v as u32) | 0x8000_0000).to_be_bytes());
    } else {
        out.extend_from_slice(&(v | 0xc000_0000_0000_0000).to_be_bytes());
    }
}

/// The quic_transport_parameters extension a client sends: the limits of
/// an ordinary client and `initial_source_connection_id`, which servers
/// require to equal the Initial's Source Connection ID (RFC 9000 §7.3).
pub fn client_transport_parameters(scid: &[u8]) -> Extension {
    let mut body = Vec::new();
    let mut param = |id: u64, value: &[u8]| {
        put_varint(&mut body, id);
        put_varint(&mut body, value.len() as u64);
        body.extend_from_slice(value);
    };
    let int = |v: u64| {
        let mut b = Vec::new();
        put_varint(&mut b, v);
        b
    };
    param(0x01, &int(10_000)); // max_idle_timeout, ms
    param(0x04, &int(1 << 20)); // initial_max_data
    param(0x05, &int(1 << 18)); // initial_max_stream_data_bidi_local
    param(0x06, &int(1 << 18)); // initial_max_stream_data_bidi_remote
    param(0x07, &int(1 << 18)); // initial_max_stream_data_uni
    param(0x08, &int(100)); // initial_max_streams_bidi
    param(0x09, &int(100)); // initial_max_streams_uni
    param(0x0f, scid); // initial_source_connection_id
    Extension {
        typ: TRANSPORT_PARAMETERS,
        body,
    }
}

/// What every long header starts with, up to (not including) the Length field.
fn long_header_prefix(first: u8, dcid: &[u8], scid: &[u8], token: &[u8]) -> Vec<u8> {
    let mut h = vec![first];
    h.extend_from_slice(&VERSION_1.to_be_bytes());
    h.push(dcid.len() as u8);
    h.extend_from_slice(dcid);
    h.push(scid.len() as u8);
    h.extend_from_slice(scid);
    put_varint(&mut h, token.len() as u64);
    h.extend_from_slice(token);
    h
}

/// Seals one Initial packet with a 4-byte packet number: header, AEAD over
/// `payload`, header protection. The Length field always takes two bytes,
/// so the packet's size is known before sealing.
pub fn seal_initial(
    keys: &Keys,
    dcid: &[u8],
    scid: &[u8],
    token: &[u8],
    pn: u64,
    payload: &[u8],
) -> Result<Vec<u8>, WireError> {
    if dcid.len() > MAX_CID_LEN || scid.len() > MAX_CID_LEN {
        return Err(WireError::Invalid("connection ID longer than 20 bytes"));
    }
    let length = PN_LEN + payload.len() + TAG_LEN;
    if length >= 1 << 14 {
        return Err(WireError::TooLong {
            what: "Initial payload",
            len: length,
            max: (1 << 14) - 1,
        });
    }
    // Header protection samples 16 bytes from 4 past the packet number's start.
    if PN_LEN + payload.len() + TAG_LEN < PN_LEN + 4 + SAMPLE_LEN {
        return Err(WireError::Invalid("Initial payload too short to sample"));
    }
    let first = 0xc0 | (TYPE_INITIAL << 4) | (PN_LEN as u8 - 1);
    let mut packet = long_header_prefix(first, dcid, scid, token);
    packet.extend_from_slice(&((length as u16) | 0x4000).to_be_bytes());
    let pn_offset = packet.len();
    packet.extend_from_slice(&(pn as u32).to_be_bytes());
    let header_len = packet.len();
    let mut body = payload.to_vec();
    let tag = keys
        .aead
        .seal_in_place_separate_tag(keys.nonce(pn), Aad::from(&packet[..]), &mut body)
        .map_err(|_| WireError::Invalid("AEAD seal"))?;
    packet.extend_from_slice(&body);
    packet.extend_from_slice(tag.as_ref());
    let sample_at = pn_offset + 4;
    let mask = keys.mask(&packet[sample_at..sample_at + SAMPLE_LEN])?;
    packet[0] ^= mask[0] & 0x0f;
    for i in 0..PN_LEN {
        packet[pn_offset + i] ^= mask[1 + i];
    }
    debug_assert_eq!(packet.len(), header_len + payload.len() + TAG_LEN);
    Ok(packet)
}

/// The header bytes of a client Initial from `dcid`, `scid` and `token`,
/// through the packet number.
fn client_header_len(dcid: &[u8], scid: &[u8], token: &[u8]) -> usize {
    long_header_prefix(0, dcid, scid, token).len() + 2 + PN_LEN
}

/// One CRYPTO frame.
fn crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(data.len() + 8);
    put_varint(&mut f, FRAME_CRYPTO);
    put_varint(&mut f, offset);
    put_varint(&mut f, data.len() as u64);
    f.extend_from_slice(data);
    f
}

/// A client's first flight: `crypto` (a ClientHello handshake message) in
/// CRYPTO frames, as many Initial packets as it takes, each padded to fill
/// its own 1200-byte datagram. Packet numbers start at `first_pn`.
/// A post-quantum ClientHello does not fit in one: it spans two.
pub fn client_initials(
    keys: &Keys,
    dcid: &[u8],
    scid: &[u8],
    token: &[u8],
    first_pn: u64,
    crypto: &[u8],
) -> Result<Vec<Vec<u8>>, WireError> {
    let header = client_header_len(dcid, scid, token);
    // Frame header: type (1) + offset (up to 4) + length (2).
    let room = MIN_INITIAL_DATAGRAM
        .checked_sub(header + TAG_LEN + 7)
        .filter(|r| *r >= 64)
        .ok_or(WireError::Invalid("Retry token too long for an Initial"))?;
    let mut out = Vec::new();
    let mut offset = 0usize;
    let mut pn = first_pn;
    while offset < crypto.len() || out.is_empty() {
        let end = (offset + room).min(crypto.len());
        let mut payload = crypto_frame(offset as u64, &crypto[offset..end]);
        payload.resize(MIN_INITIAL_DATAGRAM - header - TAG_LEN, 0); // PADDING frames
        out.push(seal_initial(keys, dcid, scid, token, pn, &payload)?);
        offset = end;
        pn += 1;
    }
    Ok(out)
}

/// A client Initial that closes the connection (CONNECTION_CLOSE, NO_ERROR),
/// padded to a full datagram: a probe that has its answer tells the server
/// to drop the state instead of waiting for the idle timeout.
pub fn client_close(
    keys: &Keys,
    dcid: &[u8],
    scid: &[u8],
    token: &[u8],
    pn: u64,
) -> Result<Vec<u8>, WireError> {
    let header = client_header_len(dcid, scid, token);
    let mut payload = Vec::new();
    put_varint(&mut payload, FRAME_CLOSE_TRANSPORT);
    put_varint(&mut payload, 0); // NO_ERROR
    put_varint(&mut payload, 0); // frame type
    put_varint(&mut payload, 0); // empty reason
    payload.resize(
        MIN_INITIAL_DATAGRAM
            .saturating_sub(header + TAG_LEN)
            .max(24),
        0,
    );
    seal_initial(keys, dcid, scid, token, pn, &payload)
}

/// One frame of a server Initial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// PADDING or PING: nothing to read.
    Padding,
    /// An ACK (of our Initials); its ranges do not matter to a probe.
    Ack,
    /// CRYPTO data at an offset of the Initial crypto stream.
    Crypto {
        /// Stream offset.
        offset: u64,
        /// The bytes.
        data: Vec<u8>,
    },
    /// CONNECTION_CLOSE.
    Close {
        /// The error code: 0x100 + a TLS alert for a refused handshake.
        code: u64,
        /// True for the application form (0x1d).
        application: bool,
        /// The reason phrase, lossily decoded and cut to 200 characters.
        reason: String,
    },
}

impl Frame {
    /// The TLS alert a transport CONNECTION_CLOSE carries (CRYPTO_ERROR,
    /// RFC 9001 §4.8), if it carries one.
    pub fn alert(&self) -> Option<u8> {
        match self {
            Frame::Close {
                code,
                application: false,
                ..
            } if (0x100..=0x1ff).contains(code) => Some((*code - 0x100) as u8),
            _ => None,
        }
    }
}

/// The frames of a decrypted Initial payload.
pub fn parse_frames(payload: &[u8]) -> Result<Vec<Frame>, WireError> {
    let mut r = Reader::new(payload);
    let mut out = Vec::new();
    while !r.is_empty() {
        let typ = read_varint(&mut r, "frame type")?;
        match typ {
            FRAME_PADDING | FRAME_PING => {
                // Runs of padding are one frame, so a padded packet stays small.
                if out.last() != Some(&Frame::Padding) {
                    out.push(Frame::Padding);
                }
            }
            FRAME_ACK | FRAME_ACK_ECN => {
                read_varint(&mut r, "ACK largest")?;
                read_varint(&mut r, "ACK delay")?;
                let ranges = read_varint(&mut r, "ACK range count")?;
                read_varint(&mut r, "ACK first range")?;
                // Each range takes at least two bytes: more than are left is a lie.
                if ranges > r.remaining() as u64 / 2 {
                    return Err(WireError::Truncated("ACK ranges"));
                }
                for _ in 0..ranges {
                    read_varint(&mut r, "ACK gap")?;
                    read_varint(&mut r, "ACK range")?;
                }
                if typ == FRAME_ACK_ECN {
                    for _ in 0..3 {
                        read_varint(&mut r, "ACK ECN count")?;
                    }
                }
                out.push(Frame::Ack);
            }
            FRAME_CRYPTO => {
                let offset = read_varint(&mut r, "CRYPTO offset")?;
                let len = read_varint(&mut r, "CRYPTO length")?;
                let len = usize::try_from(len).map_err(|_| WireError::Truncated("CRYPTO data"))?;
                let data = r.take(len, "CRYPTO data")?.to_vec();
                if offset.saturating_add(len as u64) > MAX_CRYPTO_BYTES as u64 {
                    return Err(WireError::TooLong {
                        what: "CRYPTO stream",
                        len: offset.saturating_add(len as u64).min(usize::MAX as u64) as usize,
                        max: MAX_CRYPTO_BYTES,
                    });
                }
                out.push(Frame::Crypto { offset, data });
            }
            FRAME_CLOSE_TRANSPORT | FRAME_CLOSE_APPLICATION => {
                let code = read_varint(&mut r, "CONNECTION_CLOSE code")?;
                if typ == FRAME_CLOSE_TRANSPORT {
                    read_varint(&mut r, "CONNECTION_CLOSE frame type")?;
                }
                let len = read_varint(&mut r, "CONNECTION_CLOSE reason")?;
                let len = usize::try_from(len)
                    .map_err(|_| WireError::Truncated("CONNECTION_CLOSE reason"))?;
                let reason = r.take(len, "CONNECTION_CLOSE reason")?;
                out.push(Frame::Close {
                    code,
                    application: typ == FRAME_CLOSE_APPLICATION,
                    reason: String::from_utf8_lossy(reason).chars().take(200).collect(),
                });
            }
            _ => return Err(WireError::Invalid("frame type not allowed in an Initial")),
        }
    }
    Ok(out)
}

/// One packet of a server's datagram, as far as a probe cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerPacket {
    /// A decrypted Initial.
    Initial {
        /// The server's Source Connection ID.
        scid: Vec<u8>,
        /// Its (reconstructed) packet number.
        packet_number: u64,
        /// Its frames.
        frames: Vec<Frame>,
    },
    /// A Retry whose integrity tag checked out: resend with `token` to `scid`.
    Retry {
        /// The connection ID to use as Destination from now on.
        scid: Vec<u8>,
        /// The token to echo.
        token: Vec<u8>,
    },
    /// Version Negotiation: the versions the server lists.
    VersionNegotiation(Vec<u32>),
    /// A Handshake or 0-RTT packet, or a short-header one: keys a probe
    /// never has.
    Opaque,
}

/// Bounds on what one datagram may hold.
const MAX_PACKETS_PER_DATAGRAM: usize = 16;

/// Parses every packet of one datagram a server sent in answer to Initials
/// whose first Destination Connection ID was `odcid` and Source Connection
/// ID `our_scid`, decrypting Initials with `server`. A packet that fails to
/// parse or decrypt fails the datagram: the caller decides whether that is
/// noise to ignore.
pub fn parse_datagram(
    datagram: &[u8],
    server: &Keys,
    odcid: &[u8],
    our_scid: &[u8],
) -> Result<Vec<ServerPacket>, WireError> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while !rest.is_empty() {
        if out.len() >= MAX_PACKETS_PER_DATAGRAM {
            return Err(WireError::TooLong {
                what: "packets in one datagram",
                len: out.len() + 1,
                max: MAX_PACKETS_PER_DATAGRAM,
            });
        }
        if rest[0] & 0x80 == 0 {
            // A short header runs to the datagram's end. Leading a datagram,
            // before any handshake, it is noise rather than QUIC.
            if out.is_empty() {
                return Err(WireError::Invalid("short-header packet before a handshake"));
            }
            out.push(ServerPacket::Opaque);
            break;
        }
        let (packet, used) = parse_long(rest, server, odcid, our_scid)?;
        out.push(packet);
        rest = &rest[used..];
        if matches!(
            out.last(),
            Some(ServerPacket::Retry { .. } | ServerPacket::VersionNegotiation(_))
        ) {
            break; // both fill the datagram
        }
    }
    Ok(out)
}

/// The clear part of one long-header packet, as any observer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LongPacket<'a> {
    /// Version Negotiation (version 0): the versions the server lists.
    VersionNegotiation {
        /// Its Destination Connection ID (the client's Source CID).
        dcid: &'a [u8],
        /// The versions listed (at most 64 kept).
        versions: Vec<u32>,
    },
    /// A long header of a version this module does not read: only its
    /// connection IDs are known, and it runs to the datagram's end.
    Unsupported {
        /// The version.
        version: u32,
        /// Its Destination Connection ID.
        dcid: &'a [u8],
    },
    /// A packet of QUIC v1 or v2.
    Packet(Long<'a>),
}

/// A v1 or v2 long-header packet, still protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Long<'a> {
    /// The version (1 or 2).
    pub version: u32,
    /// The packet type.
    pub typ: LongType,
    /// Destination Connection ID.
    pub dcid: &'a [u8],
    /// Source Connection ID.
    pub scid: &'a [u8],
    /// The token of an Initial or a Retry (empty otherwise).
    pub token: &'a [u8],
    /// The whole packet (a Retry: with its integrity tag last).
    pub bytes: &'a [u8],
    /// Where the (protected) packet number starts in `bytes`.
    pn_offset: usize,
}

/// Reads the long-header packet at the start of `bytes` (first bit set):
/// what it is, and how many bytes of the datagram it takes.
pub fn split_long(bytes: &[u8]) -> Result<(LongPacket<'_>, usize), WireError> {
    let mut r = Reader::new(bytes);
    let first = r.u8("long header")?;
    let version = u32::from_be_bytes(
        r.take(4, "QUIC version")?
            .try_into()
            .map_err(|_| WireError::Truncated("QUIC version"))?,
    );
    let dcid = r.vec_u8("Destination Connection ID")?;
    let scid = r.vec_u8("Source Connection ID")?;
    if version == 0 {
        let list = r.rest();
        if list.is_empty() || !list.len().is_multiple_of(4) {
            return Err(WireError::Invalid("Version Negotiation version list"));
        }
        let versions = list
            .chunks_exact(4)
            .take(64)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        return Ok((
            LongPacket::VersionNegotiation { dcid, versions },
            bytes.len(),
        ));
    }
    if !version_supported(version) {
        return Ok((LongPacket::Unsupported { version, dcid }, bytes.len()));
    }
    if first & 0x40 == 0 {
        return Err(WireError::Invalid("QUIC fixed bit"));
    }
    if dcid.len() > MAX_CID_LEN || scid.len() > MAX_CID_LEN {
        return Err(WireError::Invalid("connection ID longer than 20 bytes"));
    }
    let typ = LongType::from_bits(version, first);
    let mut token: &[u8] = &[];
    if typ == LongType::Retry {
        let rest = r.rest();
        if rest.len() <= TAG_LEN {
            return Err(WireError::Truncated("Retry"));
        }
        let long = Long {
            version,
            typ,
            dcid,
            scid,
            token: &rest[..rest.len() - TAG_LEN],
            bytes,
            pn_offset: bytes.len(),
        };
        return Ok((LongPacket::Packet(long), bytes.len()));
    }
    if typ == LongType::Initial {
        let token_len = read_varint(&mut r, "Initial token length")?;
        let token_len =
            usize::try_from(token_len).map_err(|_| WireError::Truncated("Initial token"))?;
        token = r.take(token_len, "Initial token")?;
    }
    let length = read_varint(&mut r, "packet length")?;
    let pn_offset = bytes.len() - r.remaining();
    let length = usize::try_from(length).map_err(|_| WireError::Truncated("packet"))?;
    let end = pn_offset
        .checked_add(length)
        .filter(|e| *e <= bytes.len())
        .ok_or(WireError::Truncated("packet"))?;
    let long = Long {
        version,
        typ,
        dcid,
        scid,
        token,
        bytes: &bytes[..end],
        pn_offset,
    };
    Ok((LongPacket::Packet(long), end))
}

impl Long<'_> {
    /// Removes header protection and decrypts an Initial with `keys` (the
    /// sender's): its packet number and plaintext payload. `largest` is the
    /// largest packet number seen from that sender so far, if any.
    pub fn open(&self, keys: &Keys, largest: Option<u64>) -> Result<(u64, Vec<u8>), WireError> {
        if self.typ != LongType::Initial {
            return Err(WireError::Invalid("not an Initial packet"));
        }
        let pn_offset = self.pn_offset;
        if self.bytes.len() < pn_offset + 4 + SAMPLE_LEN {
            return Err(WireError::Truncated("Initial packet"));
        }
        let mut packet = self.bytes.to_vec();
        let mask = keys.mask(&packet[pn_offset + 4..pn_offset + 4 + SAMPLE_LEN])?;
        packet[0] ^= mask[0] & 0x0f;
        let pn_len = usize::from(packet[0] & 0x03) + 1;
        let mut truncated = 0u64;
        for i in 0..pn_len {
            packet[pn_offset + i] ^= mask[1 + i];
            truncated = (truncated << 8) | u64::from(packet[pn_offset + i]);
        }
        if packet[0] & 0x0c != 0 {
            return Err(WireError::Invalid("reserved header bits set"));
        }
        let pn = decode_packet_number(largest, truncated, pn_len * 8);
        let (header, body) = packet.split_at_mut(pn_offset + pn_len);
        if body.len() < TAG_LEN {
            return Err(WireError::Truncated("Initial packet"));
        }
        let plain = keys
            .aead
            .open_in_place(keys.nonce(pn), Aad::from(&header[..]), body)
            .map_err(|_| WireError::Invalid("Initial packet (decryption failed)"))?;
        Ok((pn, plain.to_vec()))
    }

    /// For a Retry: true if its integrity tag is the one RFC 9001 §5.8
    /// (RFC 9369 §3.3.3 for v2) gives it for a client whose first DCID was
    /// `odcid`.
    pub fn retry_authentic(&self, odcid: &[u8]) -> bool {
        self.typ == LongType::Retry
            && self.bytes.len() > TAG_LEN
            && verify_retry(
                self.version,
                &self.bytes[..self.bytes.len() - TAG_LEN],
                &self.bytes[self.bytes.len() - TAG_LEN..],
                odcid,
            )
            .is_ok()
    }
}

/// One long-header packet of a server's datagram, for the probe: checked
/// against the connection it answers, an Initial decrypted.
fn parse_long(
    bytes: &[u8],
    server: &Keys,
    odcid: &[u8],
    our_scid: &[u8],
) -> Result<(ServerPacket, usize), WireError> {
    let (packet, used) = split_long(bytes)?;
    let long = match packet {
        LongPacket::VersionNegotiation { dcid, versions } => {
            if dcid != our_scid {
                return Err(WireError::Invalid(
                    "Version Negotiation for another connection",
                ));
            }
            return Ok((ServerPacket::VersionNegotiation(versions), used));
        }
        LongPacket::Unsupported { .. } => {
            return Err(WireError::Invalid("QUIC version (expected 1)"))
        }
        LongPacket::Packet(long) if long.version != VERSION_1 => {
            return Err(WireError::Invalid("QUIC version (expected 1)"))
        }
        LongPacket::Packet(long) => long,
    };
    if long.dcid != our_scid {
        return Err(WireError::Invalid("packet for another connection"));
    }
    match long.typ {
        LongType::Retry => {
            let tag_at = long.bytes.len() - TAG_LEN;
            verify_retry(
                long.version,
                &long.bytes[..tag_at],
                &long.bytes[tag_at..],
                odcid,
            )?;
            Ok((
                ServerPacket::Retry {
                    scid: long.scid.to_vec(),
                    token: long.token.to_vec(),
                },
                used,
            ))
        }
        LongType::Initial => {
            if !long.token.is_empty() {
                // RFC 9000 §17.2.2: a server's Initial carries no token.
                return Err(WireError::Invalid("token in a server Initial"));
            }
            // A probe reads a server's first packets: numbers count up from 0.
            let (pn, plain) = long.open(server, None)?;
            let frames = parse_frames(&plain)?;
            Ok((
                ServerPacket::Initial {
                    scid: long.scid.to_vec(),
                    packet_number: pn,
                    frames,
                },
                used,
            ))
        }
        LongType::ZeroRtt | LongType::Handshake => Ok((ServerPacket::Opaque, used)),
    }
}

/// RFC 9000 Appendix A.3: the full packet number from its truncated form.
pub fn decode_packet_number(largest: Option<u64>, truncated: u64, bits: usize) -> u64 {
    let expected = largest.map_or(0, |l| l + 1);
    let win = 1u64 << bits;
    let hwin = win / 2;
    let mask = win - 1;
    let candidate = (expected & !mask) | truncated;
    if candidate + hwin <= expected && candidate < (1 << 62) - win {
        candidate + win
    } else if candidate > expected + hwin && candidate >= win {
        candidate - win
    } else {
        candidate
    }
}

/// Checks a Retry's integrity tag (RFC 9001 §5.8): a Retry that does not
/// check out is an off-path forgery or garbage, not the server's.
fn verify_retry(
    version: u32,
    without_tag: &[u8],
    tag: &[u8],
    odcid: &[u8],
) -> Result<(), WireError> {
    let (retry_key, retry_nonce) = if version == VERSION_2 {
        (&RETRY_KEY_V2, RETRY_NONCE_V2)
    } else {
        (&RETRY_KEY_V1, RETRY_NONCE_V1)
    };
    let mut pseudo = Vec::with_capacity(1 + odcid.len() + without_tag.len());
    pseudo.push(odcid.len() as u8);
    pseudo.extend_from_slice(odcid);
    pseudo.extend_from_slice(without_tag);
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_128_GCM, retry_key).map_err(|_| WireError::Invalid("Retry key"))?,
    );
    let expected = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(retry_nonce),
            Aad::from(&pseudo[..]),
            &mut [],
        )
        .map_err(|_| WireError::Invalid("Retry integrity"))?;
    if expected.as_ref() != tag {
        return Err(WireError::Invalid("Retry integrity tag"));
    }
    Ok(())
}

/// A Retry as a server of QUIC v1 sends it to a client whose first DCID
/// was `odcid` (for tests and fuzz seeds: a probe never sends one).
pub fn seal_retry(odcid: &[u8], dcid: &[u8], scid: &[u8], token: &[u8]) -> Vec<u8> {
    // The four low bits are unused in a Retry; RFC 9001 A.4 sets them.
    let mut packet = long_header_prefix(0xff, dcid, scid, &[]);
    packet.pop(); // a Retry's token has no length: it runs to the tag
    packet.extend_from_slice(token);
    let mut pseudo = vec![odcid.len() as u8];
    pseudo.extend_from_slice(odcid);
    pseudo.extend_from_slice(&packet);
    let tag = UnboundKey::new(&AES_128_GCM, &RETRY_KEY_V1)
        .map(LessSafeKey::new)
        .and_then(|key| {
            key.seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(RETRY_NONCE_V1),
                Aad::from(&pseudo[..]),
                &mut [],
            )
        });
    if let Ok(tag) = tag {
        packet.extend_from_slice(tag.as_ref());
    }
    packet
}

/// True if `packet`, a whole Retry with its tag last, carries the
/// integrity tag RFC 9001 §5.8 gives it for a client whose first DCID was
/// `odcid` (what a QUIC stack asks before it honours a Retry).
pub fn retry_is_authentic(packet: &[u8], odcid: &[u8]) -> bool {
    match packet.len().checked_sub(TAG_LEN) {
        Some(at) => verify_retry(VERSION_1, &packet[..at], &packet[at..], odcid).is_ok(),
        None => false,
    }
}

/// An Initial crypto stream (either side's), reassembled from CRYPTO
/// frames that may come out of order, repeated or overlapping, up to a
/// byte limit ([`MAX_CRYPTO_BYTES`] unless [`CryptoStream::with_limit`]).
/// Where overlapping frames differ, the bytes that arrived first are kept.
#[derive(Debug, Clone)]
pub struct CryptoStream {
    contiguous: Vec<u8>,
    /// Frames beyond the contiguous prefix, kept until it reaches them.
    pending: Vec<(u64, Vec<u8>)>,
    /// Bytes held in `pending`.
    pending_bytes: usize,
    limit: usize,
}

impl Default for CryptoStream {
    fn default() -> Self {
        Self::with_limit(MAX_CRYPTO_BYTES)
    }
}

/// The most frames held beyond the contiguous prefix.
const MAX_PENDING_FRAMES: usize = 256;

impl CryptoStream {
    /// An empty stream keeping at most `limit` bytes from offset 0 (and at
    /// most as many again waiting for a gap to fill).
    pub fn with_limit(limit: usize) -> Self {
        CryptoStream {
            contiguous: Vec::new(),
            pending: Vec::new(),
            pending_bytes: 0,
            limit,
        }
    }

    /// Adds one CRYPTO frame's data.
    pub fn push(&mut self, offset: u64, data: &[u8]) -> Result<(), WireError> {
        let end = offset.saturating_add(data.len() as u64);
        if end > self.limit as u64 {
            return Err(WireError::TooLong {
                what: "CRYPTO stream",
                len: end.min(usize::MAX as u64) as usize,
                max: self.limit,
            });
        }
        let have = self.contiguous.len() as u64;
        if end <= have {
            return Ok(()); // a retransmission of what is already here
        }
        if self.pending.len() >= MAX_PENDING_FRAMES
            || self.pending_bytes.saturating_add(data.len()) > self.limit
        {
            return Err(WireError::TooLong {
                what: "out-of-order CRYPTO frames",
                len: self.pending.len() + 1,
                max: MAX_PENDING_FRAMES,
            });
        }
        self.pending_bytes += data.len();
        self.pending.push((offset, data.to_vec()));
        // Absorb whatever now touches the prefix; each pass removes one frame.
        loop {
            let have = self.contiguous.len() as u64;
            let Some(i) = self.pending.iter().position(|(o, _)| *o <= have) else {
                break;
            };
            let (o, d) = self.pending.swap_remove(i);
            self.pending_bytes -= d.len();
            let skip = (have - o) as usize;
            if skip < d.len() {
                self.contiguous.extend_from_slice(&d[skip..]);
            }
        }
        Ok(())
    }

    /// The bytes received without a gap from offset 0.
    pub fn contiguous(&self) -> &[u8] {
        &self.contiguous
    }

    /// The first handshake message, once all of it has arrived: its type and body.
    pub fn first_message(&self) -> Option<(u8, &[u8])> {
        self.message_at(0).map(|(typ, body, _)| (typ, body))
    }

    /// The handshake message starting at stream offset `at`, once all of it
    /// has arrived: its type, its body, and the offset of the next one.
    pub fn message_at(&self, at: usize) -> Option<(u8, &[u8], usize)> {
        let b = self.contiguous.get(at..)?;
        if b.len() < 4 {
            return None;
        }
        let len = ((b[1] as usize) << 16) | ((b[2] as usize) << 8) | b[3] as usize;
        b.get(4..4 + len).map(|body| (b[0], body, at + 4 + len))
    }

    /// Drops everything (a Retry: the client starts its stream again).
    pub fn clear(&mut self) {
        self.contiguous = Vec::new();
        self.pending = Vec::new();
        self.pending_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testing::hex;

    // RFC 9001 Appendix A.
    const DCID: &str = "8394c8f03e515708";

    /// A.2: the client's CRYPTO frame (the ClientHello), before padding.
    const A2_CRYPTO_FRAME: &str = "
        060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868
        04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578
        616d706c652e636f6dff01000100000a00080006001d00170018001000070005
        04616c706e000500050100000000003300260024001d00209370b2c9caa47fba
        baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400
        0d0010000e0403050306030203080408050806002d00020101001c0002400100
        3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000
        75300901100f088394c8f03e51570806048000ffff";

    /// A.2: the protected client Initial (1200 bytes).
    const A2_PROTECTED: &str = "
        c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11
        d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399
        1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c
        8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212
        30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5
        457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208
        4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec
        4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3
        485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db
        059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c
        7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8
        9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556
        be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74
        68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a
        c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00
        f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632
        291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964
        25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd
        14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff
        ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198
        e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd
        c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73
        203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f
        cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e
        fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade
        a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047
        90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2
        162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4
        40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0
        6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e
        8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0
        be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400
        54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab
        760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9
        f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4
        056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064
        7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241
        e221af44860018ab0856972e194cd934";

    /// A.3: the protected server Initial (ACK + CRYPTO(ServerHello)).
    const A3_PROTECTED: &str = "
        cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
        5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
        dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
        022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
        2158407dd074ee";

    /// A.4: a Retry, for a client whose DCID was A's.
    const A4_RETRY: &str = "
        ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f
        0f2496ba";

    #[test]
    fn derives_rfc9001_initial_keys() {
        let (c, s) = initial_secrets(&hex(DCID)).unwrap();
        assert_eq!(c.key.to_vec(), hex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(c.iv.to_vec(), hex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(c.hp.to_vec(), hex("9f50449e04a0e810283a1e9933adedd2"));
        assert_eq!(s.key.to_vec(), hex("cf3a5331653c364c88f0f379b6067e37"));
        assert_eq!(s.iv.to_vec(), hex("0ac1493ca1905853b0bba03e"));
        assert_eq!(s.hp.to_vec(), hex("c206b8d9b9f0f37644430b490eeaa314"));
    }

    #[test]
    fn seals_the_rfc9001_client_initial() {
        let keys = InitialKeys::new(&hex(DCID)).unwrap();
        let mut payload = hex(A2_CRYPTO_FRAME);
        payload.resize(1162, 0);
        let packet = seal_initial(&keys.client, &hex(DCID), &[], &[], 2, &payload).unwrap();
        assert_eq!(packet, hex(A2_PROTECTED));
    }

    #[test]
    fn opens_the_rfc9001_server_initial() {
        let keys = InitialKeys::new(&hex(DCID)).unwrap();
        let packets = parse_datagram(&hex(A3_PROTECTED), &keys.server, &hex(DCID), &[]).unwrap();
        let [ServerPacket::Initial {
            scid,
            packet_number,
            frames,
        }] = packets.as_slice()
        else {
            panic!("{packets:?}")
        };
        assert_eq!(*scid, hex("f067a5502a4262b5"));
        assert_eq!(*packet_number, 1);
        assert_eq!(frames[0], Frame::Ack);
        let Frame::Crypto { offset: 0, data } = &frames[1] else {
            panic!("{frames:?}")
        };
        let mut stream = CryptoStream::default();
        stream.push(0, data).unwrap();
        let (typ, body) = stream.first_message().unwrap();
        assert_eq!(typ, 2);
        let hello = crate::wire::ServerHello::parse(body).unwrap();
        assert_eq!(
            hello.selected_share().unwrap().unwrap().group,
            crate::wire::NamedGroup::X25519
        );
    }

    #[test]
    fn verifies_the_rfc9001_retry() {
        let keys = InitialKeys::new(&hex(DCID)).unwrap();
        let retry = hex(A4_RETRY);
        let packets = parse_datagram(&retry, &keys.server, &hex(DCID), &[]).unwrap();
        assert_eq!(
            packets,
            [ServerPacket::Retry {
                scid: hex("f067a5502a4262b5"),
                token: b"token".to_vec()
            }]
        );
        // Another original DCID: the tag no longer checks out.
        assert!(parse_datagram(&retry, &keys.server, &[1, 2, 3], &[]).is_err());
        assert!(retry_is_authentic(&retry, &hex(DCID)));
        assert!(!retry_is_authentic(&retry, &[1, 2, 3]));
        assert!(!retry_is_authentic(&retry[..10], &hex(DCID)));
    }

    /// A server-side opener over client packets: the same code with the
    /// client's keys, used to check what `client_initials` builds.
    fn open_client(packet: &[u8], dcid: &[u8], scid: &[u8]) -> Vec<Frame> {
        let keys = InitialKeys::new(dcid).unwrap();
        // parse_long checks the DCID against "our" SCID: here the client's DCID.
        let (parsed, used) = parse_long(packet, &keys.client, dcid, dcid).unwrap();
        assert_eq!(used, packet.len());
        match parsed {
            ServerPacket::Initial {
                scid: s, frames, ..
            } => {
                assert_eq!(s, scid);
                frames
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn splits_a_big_hello_across_two_full_datagrams() {
        let dcid = [7u8; 8];
        let scid = [9u8; 8];
        let keys = InitialKeys::new(&dcid).unwrap();
        let hello: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
        let packets = client_initials(&keys.client, &dcid, &scid, &[], 0, &hello).unwrap();
        assert_eq!(packets.len(), 2);
        let mut stream = CryptoStream::default();
        for p in &packets {
            assert_eq!(p.len(), MIN_INITIAL_DATAGRAM);
            for f in open_client(p, &dcid, &scid) {
                if let Frame::Crypto { offset, data } = f {
                    stream.push(offset, &data).unwrap();
                }
            }
        }
        assert_eq!(stream.contiguous(), hello);

        let small = client_initials(&keys.client, &dcid, &scid, b"tok", 5, &hello[..300]).unwrap();
        assert_eq!(small.len(), 1);
        assert_eq!(small[0].len(), MIN_INITIAL_DATAGRAM);
    }

    #[test]
    fn reads_a_close_carrying_an_alert() {
        let keys = InitialKeys::new(&[1; 8]).unwrap();
        let close = client_close(&keys.client, &[1; 8], &[2; 8], &[], 3).unwrap();
        assert_eq!(close.len(), MIN_INITIAL_DATAGRAM);
        let frames = open_client(&close, &[1; 8], &[2; 8]);
        assert_eq!(frames[0].alert(), None);
        let mut f = Vec::new();
        put_varint(&mut f, 0x1c);
        put_varint(&mut f, 0x128);
        put_varint(&mut f, 0x06);
        put_varint(&mut f, 2);
        f.extend_from_slice(b"no");
        let frames = parse_frames(&f).unwrap();
        assert_eq!(frames[0].alert(), Some(40));
    }

    #[test]
    fn reassembles_out_of_order_overlapping_crypto() {
        let mut s = CryptoStream::default();
        s.push(4, &[2, 0, 0, 1]).unwrap();
        assert_eq!(s.first_message(), None);
        s.push(0, &[2, 0, 0, 4, 2]).unwrap();
        s.push(8, &[9]).unwrap();
        assert_eq!(s.contiguous(), [2, 0, 0, 4, 2, 0, 0, 1, 9]);
        assert_eq!(s.first_message(), Some((2, &[2, 0, 0, 1][..])));
        assert!(s.push(MAX_CRYPTO_BYTES as u64, &[1]).is_err());
    }

    #[test]
    fn derives_rfc9369_keys_and_checks_its_retry() {
        let (c, s) = initial_secrets_for(VERSION_2, &hex(DCID)).unwrap();
        assert_eq!(c.key.to_vec(), hex("8b1a0bc121284290a29e0971b5cd045d"));
        assert_eq!(c.iv.to_vec(), hex("91f73e2351d8fa91660e909f"));
        assert_eq!(c.hp.to_vec(), hex("45b95e15235d6f45a6b19cbcb0294ba9"));
        assert_eq!(s.key.to_vec(), hex("82db637861d55e1d011f19ea71d5d2a7"));
        assert_eq!(s.iv.to_vec(), hex("dd13c276499c0249d3310652"));
        assert_eq!(s.hp.to_vec(), hex("edf6d05c83121201b436e16877593c3a"));
        assert!(initial_secrets_for(0x1a2a_3a4a, &hex(DCID)).is_err());
        // RFC 9369 A.4: its type bits (0b00) mean Retry in v2.
        let retry = hex("cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6");
        let (LongPacket::Packet(long), used) = split_long(&retry).unwrap() else {
            panic!()
        };
        assert_eq!(
            (long.typ, long.token, used),
            (LongType::Retry, &b"token"[..], retry.len())
        );
        assert!(long.retry_authentic(&hex(DCID)));
        assert!(!long.retry_authentic(&[1, 2, 3]));
        // The v1 Retry of A.4 through the same path, and one sealed here.
        let a4 = hex(A4_RETRY);
        let (LongPacket::Packet(v1), _) = split_long(&a4).unwrap() else {
            panic!()
        };
        assert!(v1.retry_authentic(&hex(DCID)));
        assert_eq!(
            seal_retry(&hex(DCID), &[], &hex("f067a5502a4262b5"), b"token"),
            hex(A4_RETRY)
        );
    }

    #[test]
    fn an_observer_opens_the_rfc9001_client_initial() {
        let keys = InitialKeys::new(&hex(DCID)).unwrap();
        let packet = hex(A2_PROTECTED);
        let (LongPacket::Packet(long), used) = split_long(&packet).unwrap() else {
            panic!()
        };
        assert_eq!(
            (long.typ, long.dcid, used),
            (LongType::Initial, &hex(DCID)[..], 1200)
        );
        let (pn, plain) = long.open(&keys.client, None).unwrap();
        assert_eq!(pn, 2);
        assert!(plain.starts_with(&hex(A2_CRYPTO_FRAME)));
        // The server's keys do not open the client's packets.
        assert!(long.open(&keys.server, None).is_err());
    }

    #[test]
    fn a_limited_stream_holds_no_more_than_its_limit() {
        let mut s = CryptoStream::with_limit(100);
        assert!(s.push(90, &[0; 11]).is_err());
        assert!(s.push(u64::MAX - 1, &[0; 4]).is_err());
        s.push(50, &[1; 50]).unwrap();
        // Pending frames count against the limit too, however many.
        assert!(s.push(10, &[1; 60]).is_err());
        s.push(0, &[2; 50]).unwrap();
        assert_eq!(s.contiguous().len(), 100);
        s.push(0, &[3; 10]).unwrap(); // a retransmission: nothing new
        assert_eq!(s.contiguous()[0], 2);
        let mut many = CryptoStream::with_limit(1 << 20);
        for i in 0..MAX_PENDING_FRAMES as u64 {
            many.push(10 + 2 * i, &[1]).unwrap();
        }
        assert!(many.push(5000, &[1]).is_err());
    }

    #[test]
    fn varints_round_trip() {
        for v in [
            0,
            63,
            64,
            16383,
            16384,
            (1 << 30) - 1,
            1 << 30,
            (1 << 62) - 1,
        ] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            assert_eq!(read_varint(&mut Reader::new(&b), "v").unwrap(), v);
        }
        // RFC 9000 A.1's examples.
        assert_eq!(
            read_varint(&mut Reader::new(&hex("c2197c5eff14e88c")), "v").unwrap(),
            151_288_809_941_952_652
        );
        assert_eq!(
            read_varint(&mut Reader::new(&hex("7bbd")), "v").unwrap(),
            15_293
        );
        assert_eq!(
            decode_packet_number(Some(0xa82f30ea), 0x9b32, 16),
            0xa82f9b32
        );
    }

    #[test]
    fn rejects_every_truncation_of_a_server_initial() {
        let keys = InitialKeys::new(&hex(DCID)).unwrap();
        let packet = hex(A3_PROTECTED);
        for cut in 0..packet.len() {
            assert!(
                parse_datagram(&packet[..cut], &keys.server, &hex(DCID), &[]).is_err() || cut == 0,
                "cut at {cut}"
            );
        }
        let mut flipped = packet.clone();
        flipped[40] ^= 1;
        assert!(parse_datagram(&flipped, &keys.server, &hex(DCID), &[]).is_err());
    }
}
