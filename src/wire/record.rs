//! TLS record framing: headers, alerts, handshake reassembly, fragmentation.
//!
//! Owns: the 5-byte record header (RFC 8446 §5.1), alert bodies (§6), putting
//! handshake messages back together across records, and splitting an encoded
//! handshake message into records of a chosen size. Encoding a message and
//! cutting it into records are separate on purpose: tolerance checks send the
//! same ClientHello cut differently. No I/O.

use super::codec::{put_u16, put_u24, Reader, WireError};
use super::registry::{AlertDescription, ProtocolVersion};

/// Record content types.
pub mod content_type {
    /// change_cipher_spec.
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert.
    pub const ALERT: u8 = 21;
    /// handshake.
    pub const HANDSHAKE: u8 = 22;
    /// application_data.
    pub const APPLICATION_DATA: u8 = 23;
}

/// Largest plaintext fragment a record may carry (2^14).
pub const MAX_PLAINTEXT: usize = 1 << 14;
/// Largest record payload accepted from a peer (2^14 + 256, RFC 8446 §5.2).
pub const MAX_RECORD_PAYLOAD: usize = MAX_PLAINTEXT + 256;
/// Length of a record header.
pub const HEADER_LEN: usize = 5;

/// A decoded record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// Content type.
    pub content_type: u8,
    /// legacy_record_version.
    pub version: ProtocolVersion,
    /// Payload length.
    pub len: usize,
}

impl RecordHeader {
    /// Decodes and validates a record header.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Self, WireError> {
        let content_type = bytes[0];
        if !(20..=23).contains(&content_type) {
            return Err(WireError::Invalid("record content type"));
        }
        if bytes[1] != 3 {
            return Err(WireError::Invalid("record version"));
        }
        let len = u16::from_be_bytes([bytes[3], bytes[4]]) as usize;
        if len > MAX_RECORD_PAYLOAD {
            return Err(WireError::TooLong {
                what: "record",
                len,
                max: MAX_RECORD_PAYLOAD,
            });
        }
        Ok(RecordHeader {
            content_type,
            version: ProtocolVersion(u16::from_be_bytes([bytes[1], bytes[2]])),
            len,
        })
    }
}

/// A decoded alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// 1 = warning, 2 = fatal.
    pub level: u8,
    /// What went wrong.
    pub description: AlertDescription,
}

impl Alert {
    /// Decodes an alert record payload.
    pub fn parse(payload: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(payload);
        let level = r.u8("alert level")?;
        let description = AlertDescription(r.u8("alert description")?);
        r.expect_end("alert")?;
        Ok(Alert { level, description })
    }
}

/// One complete handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// Handshake type.
    pub typ: u8,
    /// Body, without the 4-byte header.
    pub body: Vec<u8>,
}

/// Reassembles handshake messages that may be split across records or share a
/// record. Refuses any message longer than its cap.
#[derive(Debug)]
pub struct HandshakeReassembler {
    buf: Vec<u8>,
    max_message: usize,
}

impl HandshakeReassembler {
    /// A reassembler that rejects messages longer than `max_message`.
    pub fn new(max_message: usize) -> Self {
        HandshakeReassembler {
            buf: Vec::new(),
            max_message,
        }
    }

    /// Appends the payload of one handshake record.
    pub fn push(&mut self, payload: &[u8]) -> Result<(), WireError> {
        let max = self.max_message.saturating_add(4 + MAX_RECORD_PAYLOAD);
        if self.buf.len() + payload.len() > max {
            return Err(WireError::TooLong {
                what: "buffered handshake data",
                len: self.buf.len() + payload.len(),
                max,
            });
        }
        self.buf.extend_from_slice(payload);
        Ok(())
    }

    /// Takes the next complete message, if all of it has arrived.
    pub fn next_message(&mut self) -> Result<Option<HandshakeMessage>, WireError> {
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len =
            ((self.buf[1] as usize) << 16) | ((self.buf[2] as usize) << 8) | self.buf[3] as usize;
        if len > self.max_message {
            return Err(WireError::TooLong {
                what: "handshake message",
                len,
                max: self.max_message,
            });
        }
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let typ = self.buf[0];
        let body = self.buf[4..4 + len].to_vec();
        self.buf.drain(..4 + len);
        Ok(Some(HandshakeMessage { typ, body }))
    }

    /// True when a partial message is buffered.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }
}

/// Cuts a handshake message into handshake records of at most `max_fragment`
/// payload bytes each (clamped to 1..=2^14).
pub fn fragment(handshake: &[u8], max_fragment: usize, record_version: ProtocolVersion) -> Vec<u8> {
    let size = max_fragment.clamp(1, MAX_PLAINTEXT);
    let mut out = Vec::with_capacity(handshake.len() + (handshake.len() / size + 1) * HEADER_LEN);
    for chunk in handshake.chunks(size) {
        out.push(content_type::HANDSHAKE);
        put_u16(&mut out, record_version.0);
        put_u16(&mut out, chunk.len() as u16);
        out.extend_from_slice(chunk);
    }
    out
}

/// Wraps a handshake body in its 4-byte header (used by tests and peers).
pub fn handshake_message(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    put_u24(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_oversized_and_non_tls_headers() {
        assert!(RecordHeader::parse(&[22, 3, 3, 0x48, 0x01]).is_err());
        assert!(RecordHeader::parse(b"HTTP/").is_err());
        assert!(RecordHeader::parse(&[22, 4, 3, 0, 1]).is_err());
        let h = RecordHeader::parse(&[21, 3, 3, 0, 2]).unwrap();
        assert_eq!((h.content_type, h.len), (content_type::ALERT, 2));
    }

    #[test]
    fn fragments_and_reassembles() {
        let msg = handshake_message(1, &[0xab; 1500]);
        let records = fragment(&msg, 100, ProtocolVersion::TLS1_0);
        let mut re = HandshakeReassembler::new(4096);
        let mut r = Reader::new(&records);
        let mut count = 0;
        while !r.is_empty() {
            let header: [u8; 5] = r.take(5, "h").unwrap().try_into().unwrap();
            let h = RecordHeader::parse(&header).unwrap();
            assert!(h.len <= 100);
            re.push(r.take(h.len, "p").unwrap()).unwrap();
            count += 1;
        }
        assert_eq!(count, 16);
        let out = re.next_message().unwrap().unwrap();
        assert_eq!((out.typ, out.body.len()), (1, 1500));
        assert!(!re.has_partial());
    }

    #[test]
    fn rejects_message_over_cap() {
        let mut re = HandshakeReassembler::new(10);
        re.push(&[2, 0, 0, 11]).unwrap();
        assert!(re.next_message().is_err());
    }

    #[test]
    fn parses_alert() {
        assert_eq!(
            Alert::parse(&[2, 40]).unwrap(),
            Alert {
                level: 2,
                description: AlertDescription::HANDSHAKE_FAILURE
            }
        );
        assert!(Alert::parse(&[2]).is_err());
        assert!(Alert::parse(&[2, 40, 0]).is_err());
    }
}
