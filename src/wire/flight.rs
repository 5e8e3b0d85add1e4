//! Reading what one TLS peer sends, one direction of a connection: a
//! sans-I/O, push-based record and flight reader.
//!
//! Owns: cutting a byte stream into records (RFC 8446 §5.1) within the record
//! cap, decoding alerts, putting handshake messages back together across
//! records ([`HandshakeReassembler`]) and decoding the hello that side sends —
//! a [`ClientHello`] from a client, a [`ServerHello`] or HelloRetryRequest
//! from a server. Every other handshake message is handed on undecoded.
//!
//! Must not: do I/O, keep time, or decide what an answer means. The callers
//! (the probe's exchange, inspect's capture and forward observer, the test
//! tap) own their sockets, deadlines and policies; they push bytes in as they
//! arrive and pull [`Event`]s out. The reader never panics on any input,
//! never buffers more than its byte budget ([`FlightLimits::max_total`]) plus
//! one record header, and keeps unknown codepoints as they are. After the
//! first error it stops for good: later pushes are ignored.

use super::client_hello::{ClientHello, HANDSHAKE_CLIENT_HELLO};
use super::codec::WireError;
use super::record::{
    content_type, handshake_message, Alert, HandshakeMessage, HandshakeReassembler, RecordHeader,
    HEADER_LEN,
};
use super::server_hello::{ServerHello, HANDSHAKE_SERVER_HELLO};

/// Which peer's bytes are being read: decides which hello is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// A client: handshake type 1 is decoded as a ClientHello.
    Client,
    /// A server: handshake type 2 is decoded as a ServerHello or HelloRetryRequest.
    Server,
}

/// The reader's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlightLimits {
    /// The largest handshake message accepted (its body, without the header).
    pub max_message: usize,
    /// The most bytes of records (headers included) read before giving up.
    pub max_total: usize,
}

/// One thing the peer sent, in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A record header arrived; its payload may still be on the way.
    /// Reported first so callers can refuse a record type without waiting.
    RecordHeader(RecordHeader),
    /// A complete alert record.
    Alert(Alert),
    /// A change_cipher_spec record (TLS 1.3 compatibility, or TLS 1.2's switch).
    ChangeCipherSpec,
    /// An application_data record (encrypted from here on) of this many bytes.
    ApplicationData(usize),
    /// A ClientHello from a client.
    ClientHello {
        /// The decoded hello.
        hello: Box<ClientHello>,
        /// The handshake message's length with its 4-byte header.
        len: usize,
    },
    /// A ServerHello or HelloRetryRequest from a server.
    ServerHello(Box<ServerHello>),
    /// Any other complete handshake message, undecoded.
    Handshake(HandshakeMessage),
}

/// Why the reader stopped. Whatever it is, the reader reads no further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlightError {
    /// A record header that is not valid TLS.
    #[error("{}: {error}", if *first { "first record" } else { "record after the first" })]
    Header {
        /// True when it was the first record on the connection (the peer may
        /// not speak TLS at all).
        first: bool,
        /// The five bytes as they arrived.
        bytes: [u8; HEADER_LEN],
        /// What is wrong with them.
        error: WireError,
    },
    /// The next record would take the total past [`FlightLimits::max_total`].
    #[error("peer sent more than {max} bytes without finishing its hello")]
    TooMuchData {
        /// Bytes the records would have taken.
        len: usize,
        /// The budget.
        max: usize,
    },
    /// An alert record that does not decode.
    #[error("alert: {0}")]
    Alert(WireError),
    /// A handshake message longer than [`FlightLimits::max_message`].
    #[error("handshake message of {len} bytes exceeds the limit of {max}")]
    MessageTooLarge {
        /// Its declared body length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Handshake data that cannot be reassembled.
    #[error("handshake: {0}")]
    Handshake(WireError),
    /// A complete ClientHello that does not decode.
    #[error("ClientHello: {error}")]
    ClientHello {
        /// The handshake message's length with its header.
        len: usize,
        /// Why it does not decode.
        error: WireError,
    },
    /// A complete ServerHello that does not decode.
    #[error("ServerHello: {0}")]
    ServerHello(WireError),
}

/// The reader. Push bytes with [`FlightReader::push`], then call
/// [`FlightReader::next_event`] until it returns `Ok(None)`.
#[derive(Debug)]
pub struct FlightReader {
    sender: Sender,
    limits: FlightLimits,
    /// Bytes pushed and not yet consumed start at `at`; never longer than the
    /// unread budget plus one header (see `push`).
    pending: Vec<u8>,
    at: usize,
    /// The header of the record whose payload is still arriving.
    current: Option<RecordHeader>,
    reassembler: HandshakeReassembler,
    /// Bytes of records taken so far (headers plus declared payloads).
    taken: usize,
    records: u32,
    stopped: bool,
}

impl FlightReader {
    /// A reader for one direction of one connection.
    pub fn new(sender: Sender, limits: FlightLimits) -> Self {
        FlightReader {
            sender,
            limits,
            pending: Vec::new(),
            at: 0,
            current: None,
            reassembler: HandshakeReassembler::new(limits.max_message),
            taken: 0,
            records: 0,
            stopped: false,
        }
    }

    /// Feeds the next bytes the peer sent. Ignored once the reader stopped.
    /// Keeps only what can still matter: records past the byte budget are
    /// refused from their header alone, so bytes beyond budget + one header
    /// are dropped instead of buffered.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.stopped {
            return;
        }
        if self.at > 0 {
            self.pending.drain(..self.at);
            self.at = 0;
        }
        let budget = match self.current {
            // The current record's whole extent is already counted in `taken`.
            Some(h) => self.limits.max_total.saturating_sub(self.taken) + h.len + HEADER_LEN,
            None => self.limits.max_total.saturating_sub(self.taken) + HEADER_LEN,
        };
        let room = budget.saturating_sub(self.pending.len());
        self.pending
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// The next event, `Ok(None)` when more bytes are needed (or the reader
    /// stopped), or the error that stops it.
    pub fn next_event(&mut self) -> Result<Option<Event>, FlightError> {
        if self.stopped {
            return Ok(None);
        }
        let result = self.step();
        if result.is_err() {
            self.stop();
        }
        result
    }

    /// Stops reading for good (the rest is encrypted, or no longer of interest)
    /// and frees the buffers.
    pub fn stop(&mut self) {
        self.stopped = true;
        self.pending = Vec::new();
        self.at = 0;
        self.current = None;
        self.reassembler = HandshakeReassembler::new(0);
    }

    /// Complete records read so far.
    pub fn records(&self) -> u32 {
        self.records
    }

    /// The declared payload length of a record whose header arrived but
    /// whose payload has not (all) arrived yet.
    pub fn partial_record(&self) -> Option<usize> {
        self.current.map(|h| h.len)
    }

    /// True when bytes of an unfinished record or handshake message are held.
    pub fn has_partial(&self) -> bool {
        !self.stopped
            && (self.current.is_some()
                || self.pending.len() > self.at
                || self.reassembler.has_partial())
    }

    fn step(&mut self) -> Result<Option<Event>, FlightError> {
        // Messages already complete come before the next record's header.
        if let Some(event) = self.next_message()? {
            return Ok(Some(event));
        }
        let available = &self.pending[self.at..];
        let Some(header) = self.current else {
            let Some(bytes) = available.get(..HEADER_LEN) else {
                return Ok(None);
            };
            let mut raw = [0u8; HEADER_LEN];
            raw.copy_from_slice(bytes);
            let header = RecordHeader::parse(&raw).map_err(|error| FlightError::Header {
                first: self.taken == 0,
                bytes: raw,
                error,
            })?;
            let len = self.taken.saturating_add(HEADER_LEN + header.len);
            if len > self.limits.max_total {
                return Err(FlightError::TooMuchData {
                    len,
                    max: self.limits.max_total,
                });
            }
            self.taken = len;
            self.at += HEADER_LEN;
            self.current = Some(header);
            return Ok(Some(Event::RecordHeader(header)));
        };
        if available.len() < header.len {
            return Ok(None);
        }
        let (start, end) = (self.at, self.at + header.len);
        self.at = end;
        self.current = None;
        self.records += 1;
        let payload = &self.pending[start..end];
        match header.content_type {
            content_type::ALERT => Alert::parse(payload)
                .map(|a| Some(Event::Alert(a)))
                .map_err(FlightError::Alert),
            content_type::CHANGE_CIPHER_SPEC => Ok(Some(Event::ChangeCipherSpec)),
            content_type::APPLICATION_DATA => Ok(Some(Event::ApplicationData(header.len))),
            _ => {
                self.reassembler
                    .push(payload)
                    .map_err(FlightError::Handshake)?;
                self.step()
            }
        }
    }

    fn next_message(&mut self) -> Result<Option<Event>, FlightError> {
        let msg = match self.reassembler.next_message() {
            Ok(Some(msg)) => msg,
            Ok(None) => return Ok(None),
            Err(WireError::TooLong { len, max, .. }) => {
                return Err(FlightError::MessageTooLarge { len, max })
            }
            Err(e) => return Err(FlightError::Handshake(e)),
        };
        match (self.sender, msg.typ) {
            (Sender::Client, HANDSHAKE_CLIENT_HELLO) => {
                let len = msg.body.len() + 4;
                ClientHello::parse(&handshake_message(msg.typ, &msg.body))
                    .map(|hello| {
                        Some(Event::ClientHello {
                            hello: Box::new(hello),
                            len,
                        })
                    })
                    .map_err(|error| FlightError::ClientHello { len, error })
            }
            (Sender::Server, HANDSHAKE_SERVER_HELLO) => ServerHello::parse(&msg.body)
                .map(|hello| Some(Event::ServerHello(Box::new(hello))))
                .map_err(FlightError::ServerHello),
            _ => Ok(Some(Event::Handshake(msg))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::record::fragment;
    use crate::wire::server_hello::HELLO_RETRY_REQUEST_RANDOM;
    use crate::wire::testing::{tls13_server_hello, ECHOED_SESSION_ID};
    use crate::wire::{ClientHelloSpec, NamedGroup, ProtocolVersion};
    use proptest::prelude::*;

    const LIMITS: FlightLimits = FlightLimits {
        max_message: 1 << 16,
        max_total: 1 << 18,
    };

    fn server_hello(random: [u8; 32], group: u16, share: usize) -> Vec<u8> {
        tls13_server_hello(random, &ECHOED_SESSION_ID, group, share)
    }

    /// Feeds `bytes` in chunks of `step` and collects every event or the error.
    fn read_all(
        sender: Sender,
        limits: FlightLimits,
        bytes: &[u8],
        step: usize,
    ) -> (Vec<Event>, Option<FlightError>, u32) {
        let mut reader = FlightReader::new(sender, limits);
        let mut events = Vec::new();
        for chunk in bytes.chunks(step.max(1)) {
            reader.push(chunk);
            loop {
                match reader.next_event() {
                    Ok(Some(e)) => events.push(e),
                    Ok(None) => break,
                    Err(e) => return (events, Some(e), reader.records()),
                }
            }
        }
        (events, None, reader.records())
    }

    #[test]
    fn reads_a_server_flight_split_anywhere() {
        let message = server_hello([9; 32], 0x11ec, 1120);
        let mut flight = fragment(&message, 100, ProtocolVersion::TLS1_2);
        flight.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
        flight.extend_from_slice(&[23, 3, 3, 0, 3, 1, 2, 3]);
        let (events, error, records) = read_all(Sender::Server, LIMITS, &flight, 1);
        assert_eq!(error, None);
        let hello = events.iter().find_map(|e| match e {
            Event::ServerHello(h) => Some(h),
            _ => None,
        });
        let share = hello.unwrap().selected_share().unwrap().unwrap();
        assert_eq!(share.group, NamedGroup::X25519MLKEM768);
        assert!(events.contains(&Event::ChangeCipherSpec));
        assert_eq!(events.last(), Some(&Event::ApplicationData(3)));
        assert_eq!(records as usize, message.len().div_ceil(100) + 2);
    }

    #[test]
    fn reads_a_hello_retry_request_and_an_alert() {
        let mut bytes = fragment(
            &server_hello(HELLO_RETRY_REQUEST_RANDOM, 0x1d, 0),
            16384,
            ProtocolVersion::TLS1_2,
        );
        bytes.extend_from_slice(&[21, 3, 3, 0, 2, 2, 40]);
        let (events, error, _) = read_all(Sender::Server, LIMITS, &bytes, 7);
        assert_eq!(error, None);
        assert!(matches!(&events[1], Event::ServerHello(h) if h.is_hello_retry_request()));
        assert!(matches!(&events[3], Event::Alert(a) if a.level == 2));
    }

    #[test]
    fn reads_a_client_hello_and_its_length() {
        let spec = ClientHelloSpec::tls13(vec![NamedGroup::X25519MLKEM768], vec![]);
        let encoded = spec.encode();
        let (events, error, records) = read_all(
            Sender::Client,
            LIMITS,
            &fragment(&encoded, 300, ProtocolVersion::TLS1_0),
            1000,
        );
        assert_eq!(error, None);
        let Some(Event::ClientHello { hello, len }) = events.last() else {
            panic!("{events:?}")
        };
        assert_eq!(*len, encoded.len());
        assert_eq!(hello.groups().unwrap(), [NamedGroup::X25519MLKEM768]);
        assert_eq!(records as usize, encoded.len().div_ceil(300));
    }

    #[test]
    fn refuses_bad_headers_big_messages_and_too_much_data() {
        let (_, error, _) = read_all(Sender::Client, LIMITS, b"GET / HTTP/1.1\r\n", 3);
        assert!(matches!(
            error,
            Some(FlightError::Header { first: true, .. })
        ));
        let (_, error, _) = read_all(Sender::Client, LIMITS, &[22, 3, 1, 0xff, 0xff], 5);
        assert!(matches!(
            error,
            Some(FlightError::Header {
                error: WireError::TooLong { len: 65535, .. },
                ..
            })
        ));
        let small = FlightLimits {
            max_message: 100,
            max_total: 1000,
        };
        let (_, error, _) = read_all(Sender::Server, small, &[22, 3, 3, 0, 4, 2, 0, 1, 0], 9);
        assert_eq!(
            error,
            Some(FlightError::MessageTooLarge { len: 256, max: 100 })
        );
        let flood: Vec<u8> = std::iter::repeat([20u8, 3, 3, 0, 100])
            .flat_map(|h| h.into_iter().chain([1; 100]))
            .take(2000)
            .collect();
        let (events, error, _) = read_all(Sender::Server, small, &flood, 50);
        assert_eq!(
            error,
            Some(FlightError::TooMuchData {
                len: 1050,
                max: 1000
            })
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| **e == Event::ChangeCipherSpec)
                .count(),
            9
        );
    }

    #[test]
    fn buffers_no_more_than_the_budget() {
        let limits = FlightLimits {
            max_message: 100,
            max_total: 1000,
        };
        let mut reader = FlightReader::new(Sender::Server, limits);
        reader.push(&[0u8; 1 << 20]);
        assert!(reader.pending.len() <= 1000 + HEADER_LEN);
        reader.stop();
        reader.push(&[22; 100]);
        assert_eq!(reader.next_event(), Ok(None));
        assert!(!reader.has_partial());
    }

    fn outcome(sender: Sender, bytes: &[u8], step: usize) -> (Vec<Event>, Option<FlightError>) {
        let limits = FlightLimits {
            max_message: 2048,
            max_total: 8192,
        };
        let (events, error, _) = read_all(sender, limits, bytes, step);
        (events, error)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn never_panics_and_chunking_does_not_matter(
            bytes in proptest::collection::vec(any::<u8>(), 0..3000),
            step in 1usize..64,
            server in any::<bool>(),
        ) {
            let sender = if server { Sender::Server } else { Sender::Client };
            let one_shot = outcome(sender, &bytes, bytes.len().max(1));
            prop_assert_eq!(&outcome(sender, &bytes, 1), &one_shot);
            prop_assert_eq!(&outcome(sender, &bytes, step), &one_shot);
        }

        #[test]
        fn framed_records_of_any_content_read_the_same_in_any_chunks(
            records in proptest::collection::vec(
                (20u8..=23, proptest::collection::vec(any::<u8>(), 0..300)),
                0..12,
            ),
            step in 1usize..200,
            server in any::<bool>(),
        ) {
            // Valid framing reaches the alert, handshake and hello decoders.
            let mut bytes = Vec::new();
            for (typ, payload) in &records {
                bytes.extend_from_slice(&[*typ, 3, 3]);
                bytes.extend_from_slice(&(payload.len() as u16).to_be_bytes());
                bytes.extend_from_slice(payload);
            }
            let sender = if server { Sender::Server } else { Sender::Client };
            let one_shot = outcome(sender, &bytes, bytes.len().max(1));
            prop_assert_eq!(&outcome(sender, &bytes, 1), &one_shot);
            prop_assert_eq!(&outcome(sender, &bytes, step), &one_shot);
        }
    }
}
