//! Reading one ClientHello off a client connection, with every limit a
//! hostile client could push against: a byte cap, a deadline for the whole
//! hello (so a 1-byte drip ends), and records that are not handshake.
//!
//! Owns: the raw bytes exactly as they arrived (forward mode replays them to
//! the upstream unchanged), how many TCP reads and TLS records the hello took,
//! and the parsed hello or why there is none. Decoding is `wire::flight`'s;
//! this module owns the socket loop, the deadline and which records a hello
//! may arrive in. Never panics; never judges.

use crate::wire::record::{content_type, HEADER_LEN, MAX_RECORD_PAYLOAD};
use crate::wire::{ClientHello, Event, FlightError, FlightLimits, FlightReader, Sender, WireError};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::{timeout_at, Instant};

/// Limits for one capture.
#[derive(Debug, Clone, Copy)]
pub struct CaptureLimits {
    /// The largest ClientHello handshake message accepted, in bytes.
    pub max_hello: usize,
    /// Time allowed from accept to a complete hello.
    pub timeout: Duration,
}

impl Default for CaptureLimits {
    fn default() -> Self {
        CaptureLimits {
            max_hello: 64 * 1024,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Why no ClientHello was captured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    /// The client did not finish its hello in time.
    #[error("timed out waiting for the ClientHello")]
    Timeout,
    /// The client closed the connection first.
    #[error("client closed the connection before a complete ClientHello")]
    Closed,
    /// The first bytes are not a TLS record (e.g. plain HTTP); a preview.
    #[error("not TLS: client sent {0}")]
    NotTls(String),
    /// TLS-framed but not a valid ClientHello.
    #[error("malformed ClientHello: {0}")]
    Malformed(String),
    /// The hello exceeds the size cap.
    #[error("ClientHello of {0} bytes exceeds the limit")]
    TooLarge(usize),
}

/// One captured ClientHello (or the attempt).
#[derive(Debug, Clone)]
pub struct Capture {
    /// Every byte read from the client, in order.
    pub raw: Vec<u8>,
    /// Number of successful TCP reads it took.
    pub tcp_reads: u32,
    /// Number of TLS records the hello spanned.
    pub records: u32,
    /// Length of the ClientHello handshake message (with its 4-byte header), when known.
    pub hello_len: usize,
    /// The parsed hello, or why there is none.
    pub result: Result<ClientHello, CaptureError>,
}

pub(crate) fn preview(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(24)];
    if head
        .iter()
        .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\r' || *b == b'\n')
    {
        let line: String = head
            .iter()
            .take_while(|b| **b != b'\r' && **b != b'\n')
            .map(|b| *b as char)
            .collect();
        format!("\"{line}\"")
    } else {
        head.iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The most bytes read while waiting for a hello of at most `max_hello`
/// bytes: the hello cut into records of any size, plus one more record.
fn max_raw(max_hello: usize) -> usize {
    max_hello.saturating_add(64 * HEADER_LEN + MAX_RECORD_PAYLOAD)
}

/// Reads until one complete ClientHello has arrived, or a limit is hit.
/// The bytes are decoded by [`FlightReader`]; this loop owns the socket, the
/// deadline and the raw copy.
pub async fn capture<S: AsyncRead + Unpin>(stream: &mut S, limits: CaptureLimits) -> Capture {
    let deadline = Instant::now() + limits.timeout;
    let mut out = Capture {
        raw: Vec::new(),
        tcp_reads: 0,
        records: 0,
        hello_len: 0,
        result: Err(CaptureError::Closed),
    };
    let mut reader = FlightReader::new(
        Sender::Client,
        FlightLimits {
            max_message: limits.max_hello,
            max_total: max_raw(limits.max_hello),
        },
    );
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => {
                out.result = Err(CaptureError::Timeout);
                return out;
            }
            Ok(Err(_)) | Ok(Ok(0)) => {
                out.result = Err(CaptureError::Closed);
                return out;
            }
            Ok(Ok(n)) => n,
        };
        out.tcp_reads += 1;
        out.raw.extend_from_slice(&buf[..n]);
        reader.push(&buf[..n]);
        let outcome = read_events(&mut reader, &out.raw);
        out.records = reader.records();
        if let Some((hello_len, result)) = outcome {
            out.hello_len = hello_len;
            out.result = result;
            return out;
        }
        if out.raw.len() > max_raw(limits.max_hello) {
            out.result = Err(CaptureError::TooLarge(out.raw.len()));
            return out;
        }
    }
}

/// Takes every event now available; `Some` once the capture is decided:
/// the hello's length (0 if unknown) and the hello or why there is none.
fn read_events(
    reader: &mut FlightReader,
    raw: &[u8],
) -> Option<(usize, Result<ClientHello, CaptureError>)> {
    loop {
        let event = match reader.next_event() {
            Ok(Some(event)) => event,
            Ok(None) => return None,
            Err(FlightError::Header {
                first: true, bytes, ..
            }) if !(bytes[0] == content_type::HANDSHAKE && bytes[1] == 3) => {
                return Some((0, Err(CaptureError::NotTls(preview(raw)))))
            }
            Err(FlightError::Header { error, .. }) => {
                return Some((0, Err(CaptureError::Malformed(error.to_string()))))
            }
            Err(FlightError::MessageTooLarge { len, .. }) => {
                return Some((0, Err(CaptureError::TooLarge(len))))
            }
            Err(FlightError::TooMuchData { len, .. }) => {
                return Some((0, Err(CaptureError::TooLarge(len))))
            }
            Err(FlightError::ClientHello { len, error }) => {
                return Some((len, Err(CaptureError::Malformed(error.to_string()))))
            }
            Err(
                FlightError::Handshake(e) | FlightError::Alert(e) | FlightError::ServerHello(e),
            ) => return Some((0, Err(CaptureError::Malformed(e.to_string())))),
        };
        match event {
            // Only handshake records may carry a hello; the first record
            // decides whether the client speaks TLS at all.
            Event::RecordHeader(h) if h.content_type == content_type::HANDSHAKE => {}
            // No record has completed yet, so this is the first header.
            Event::RecordHeader(_) if reader.records() == 0 => {
                return Some((0, Err(CaptureError::NotTls(preview(raw)))))
            }
            Event::RecordHeader(h) => {
                return Some((
                    0,
                    Err(CaptureError::Malformed(format!(
                        "record type {} before the hello ended",
                        h.content_type
                    ))),
                ))
            }
            Event::ClientHello { hello, len } => return Some((len, Ok(*hello))),
            Event::Handshake(msg) => {
                let len = msg.body.len() + 4;
                return Some((
                    len,
                    Err(CaptureError::Malformed(
                        WireError::Invalid("handshake type (expected ClientHello)").to_string(),
                    )),
                ));
            }
            // Unreachable after the record-type check above; ignoring them keeps the loop total.
            Event::Alert(_)
            | Event::ChangeCipherSpec
            | Event::ApplicationData(_)
            | Event::ServerHello(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::record::fragment;
    use crate::wire::{ClientHelloSpec, NamedGroup, ProtocolVersion};
    use tokio::io::AsyncWriteExt;

    fn hello_bytes(record_size: usize) -> Vec<u8> {
        let spec =
            ClientHelloSpec::tls13(vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519], vec![]);
        fragment(&spec.encode(), record_size, ProtocolVersion::TLS1_0)
    }

    /// Feeds `chunks` 5 ms apart, then stays open. The tests run on tokio's
    /// paused clock over an in-memory pipe: the clock moves only when every
    /// task waits, so each chunk is read before the next is written (one read
    /// per chunk) and the deadlines are exact, however loaded the machine is.
    async fn run(chunks: Vec<Vec<u8>>, limits: CaptureLimits) -> Capture {
        let (mut client, mut server) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            for c in chunks {
                let _ = client.write_all(&c).await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        capture(&mut server, limits).await
    }

    #[tokio::test(start_paused = true)]
    async fn captures_a_hello_split_across_records_and_reads() {
        let bytes = hello_bytes(50);
        let chunks: Vec<Vec<u8>> = bytes.chunks(40).map(|c| c.to_vec()).collect();
        let n_chunks = chunks.len() as u32;
        let cap = run(chunks, CaptureLimits::default()).await;
        let hello = cap.result.unwrap();
        assert_eq!(
            hello.groups().unwrap(),
            [NamedGroup::X25519MLKEM768, NamedGroup::X25519]
        );
        assert_eq!(cap.tcp_reads, n_chunks);
        assert!(cap.records > 1);
        assert_eq!(cap.raw, bytes);
    }

    #[tokio::test(start_paused = true)]
    async fn reports_plain_http() {
        let cap = run(
            vec![b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()],
            CaptureLimits::default(),
        )
        .await;
        assert_eq!(
            cap.result.unwrap_err(),
            CaptureError::NotTls("\"GET / HTTP/1.1\"".into())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn caps_the_hello_size() {
        let limits = CaptureLimits {
            max_hello: 100,
            timeout: Duration::from_secs(2),
        };
        let cap = run(vec![hello_bytes(16384)], limits).await;
        assert!(
            matches!(cap.result, Err(CaptureError::TooLarge(_))),
            "{:?}",
            cap.result
        );
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_a_dripping_client() {
        let limits = CaptureLimits {
            max_hello: 1 << 16,
            timeout: Duration::from_millis(100),
        };
        let drip: Vec<Vec<u8>> = hello_bytes(16384).into_iter().map(|b| vec![b]).collect();
        let cap = run(drip, limits).await;
        assert_eq!(cap.result.unwrap_err(), CaptureError::Timeout);
    }
}
