//! One ClientHello out, the server's first answer back, on one connection.
//!
//! Owns: sending an encoded hello (already cut into records by the caller)
//! and reading records until the server's answer is known: a ServerHello or
//! HelloRetryRequest, an alert, or something that is not TLS at all. For TLS
//! 1.2 it can read on to the ServerKeyExchange to learn the ECDHE curve.
//! Records are decoded by `wire::flight`; this module owns the reads, the
//! deadline and what each event means for the answer.
//!
//! Every byte read is bounded ([`MAX_FLIGHT_BYTES`]) and every read has the
//! connection's deadline, so a server that drips, floods or stalls ends the
//! exchange within the timeout. It records what happened; it never judges.

use crate::net::{Conn, NetError};
use crate::wire::record::HEADER_LEN;
use crate::wire::server_hello::{
    server_key_exchange_curve, HANDSHAKE_SERVER_HELLO_DONE, HANDSHAKE_SERVER_KEY_EXCHANGE,
};
use crate::wire::{
    Alert, AlertDescription, Event, FlightError, FlightLimits, FlightReader, NamedGroup,
    ProtocolVersion, Sender, ServerHello, WireError,
};

/// The most bytes read from a server for one answer: enough for a ServerHello
/// plus a large TLS 1.2 certificate chain, small enough to keep memory flat.
pub const MAX_FLIGHT_BYTES: usize = 256 * 1024;

/// The largest single handshake message accepted (a big certificate chain).
const MAX_HANDSHAKE_MESSAGE: usize = 128 * 1024;

/// How far to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadUntil {
    /// Stop at the ServerHello / HelloRetryRequest.
    ServerHello,
    /// For a TLS 1.2 answer, go on to the ServerKeyExchange (ECDHE curve).
    ServerKeyExchange,
}

/// The server's answer to one ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A ServerHello or HelloRetryRequest; `tls12_curve` is the ECDHE curve
    /// from the ServerKeyExchange when it was asked for and present.
    Hello {
        /// The decoded hello.
        hello: ServerHello,
        /// TLS 1.2 ECDHE curve, when read.
        tls12_curve: Option<NamedGroup>,
    },
    /// An alert instead of a hello.
    Alert(Alert),
    /// The first bytes were not a TLS record; a printable preview of them.
    NotTls(String),
    /// TLS-framed but not decodable (or not allowed at this point).
    Malformed(String),
}

impl Reply {
    /// The hello, if the server sent one.
    pub fn hello(&self) -> Option<&ServerHello> {
        match self {
            Reply::Hello { hello, .. } => Some(hello),
            _ => None,
        }
    }
}

/// Sends `records` on a fresh connection and reads the answer.
pub async fn exchange(
    conn: &mut Conn,
    records: &[u8],
    until: ReadUntil,
) -> Result<Reply, NetError> {
    conn.write_all(records).await?;
    read_reply(conn, until).await
}

async fn read_reply(conn: &mut Conn, until: ReadUntil) -> Result<Reply, NetError> {
    let mut reader = FlightReader::new(
        Sender::Server,
        FlightLimits {
            max_message: MAX_HANDSHAKE_MESSAGE,
            max_total: MAX_FLIGHT_BYTES,
        },
    );
    let mut server_hello: Option<ServerHello> = None;
    // The first bytes, kept to describe an answer that is not TLS.
    let mut head: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match conn.read_some(&mut buf).await {
            Ok(0) => Err(NetError::Closed),
            other => other,
        };
        let n = match n {
            Ok(n) => n,
            // A record cut short is a broken answer, not a refusal.
            Err(NetError::Closed | NetError::Reset) if reader.partial_record().is_some() => {
                return Ok(Reply::Malformed(format!(
                    "truncated record: the connection ended inside a {}-byte record",
                    reader.partial_record().unwrap_or(0)
                )))
            }
            Err(e) => return Err(e),
        };
        if head.len() < PREVIEW_LEN {
            head.extend_from_slice(&buf[..n.min(PREVIEW_LEN - head.len())]);
        }
        reader.push(&buf[..n]);
        loop {
            let event = match reader.next_event() {
                Ok(Some(event)) => event,
                Ok(None) => break,
                Err(FlightError::Header {
                    first: true, bytes, ..
                }) if !looks_like_tls(&bytes) => {
                    return Ok(Reply::NotTls(preview(conn, head).await))
                }
                Err(FlightError::TooMuchData { .. }) => {
                    return Ok(Reply::Malformed(format!(
                        "server sent more than {MAX_FLIGHT_BYTES} bytes without finishing its hello"
                    )))
                }
                Err(FlightError::MessageTooLarge { len, max }) => {
                    return Ok(Reply::Malformed(
                        WireError::TooLong {
                            what: "handshake message",
                            len,
                            max,
                        }
                        .to_string(),
                    ))
                }
                Err(FlightError::Handshake(e)) => return Ok(Reply::Malformed(e.to_string())),
                Err(e) => return Ok(Reply::Malformed(e.to_string())),
            };
            if let Some(reply) = on_event(event, &mut server_hello, until) {
                return Ok(reply);
            }
        }
    }
}

/// What one event means for the answer: `Some` once the answer is known.
fn on_event(
    event: Event,
    server_hello: &mut Option<ServerHello>,
    until: ReadUntil,
) -> Option<Reply> {
    match event {
        Event::RecordHeader(_) => None,
        // A warning (e.g. TLS 1.2 unrecognized_name before the ServerHello)
        // is not an answer: keep reading; the byte cap and the deadline still
        // bound a flood of them.
        Event::Alert(alert)
            if alert.level == 1 && alert.description != AlertDescription::CLOSE_NOTIFY =>
        {
            None
        }
        Event::Alert(alert) => Some(Reply::Alert(alert)),
        Event::ChangeCipherSpec => None,
        // TLS 1.3: everything after the ServerHello is encrypted.
        Event::ApplicationData(_) => Some(match server_hello.take() {
            Some(hello) => Reply::Hello {
                hello,
                tls12_curve: None,
            },
            None => Reply::Malformed("application data before ServerHello".into()),
        }),
        Event::ServerHello(hello) if server_hello.is_none() => {
            let tls12 = hello.selected_version().ok() != Some(ProtocolVersion::TLS1_3);
            if until == ReadUntil::ServerHello || !tls12 || hello.is_hello_retry_request() {
                return Some(Reply::Hello {
                    hello: *hello,
                    tls12_curve: None,
                });
            }
            *server_hello = Some(*hello);
            None
        }
        // A second ServerHello after a TLS 1.2 one adds nothing; a server's
        // bytes are never decoded as a ClientHello.
        Event::ServerHello(_) | Event::ClientHello { .. } => None,
        Event::Handshake(msg) => {
            let Some(hello) = server_hello.as_ref() else {
                return Some(Reply::Malformed(format!(
                    "expected ServerHello, got handshake message type {}",
                    msg.typ
                )));
            };
            match msg.typ {
                HANDSHAKE_SERVER_KEY_EXCHANGE => Some(match server_key_exchange_curve(&msg.body) {
                    Ok(curve) => Reply::Hello {
                        hello: hello.clone(),
                        tls12_curve: curve,
                    },
                    Err(e) => Reply::Malformed(format!("ServerKeyExchange: {e}")),
                }),
                HANDSHAKE_SERVER_HELLO_DONE => Some(Reply::Hello {
                    hello: hello.clone(),
                    tls12_curve: None,
                }),
                _ => None, // Certificate, CertificateStatus, CertificateRequest
            }
        }
    }
}

/// A TLS record header's first two bytes: a known content type and major version 3.
fn looks_like_tls(header: &[u8; HEADER_LEN]) -> bool {
    (20..=23).contains(&header[0]) && header[1] == 3
}

/// How many of the first bytes describe a non-TLS answer.
const PREVIEW_LEN: usize = 64;

/// A short printable preview of a non-TLS answer (e.g. `HTTP/1.1 400 Bad Request`).
async fn preview(conn: &mut Conn, mut bytes: Vec<u8>) -> String {
    if bytes.len() < PREVIEW_LEN {
        let mut more = [0u8; PREVIEW_LEN];
        // Best effort only: what already arrived is enough to describe the answer.
        conn.set_deadline_in(std::time::Duration::from_millis(200));
        if let Ok(n) = conn.read_some(&mut more[..PREVIEW_LEN - bytes.len()]).await {
            bytes.extend_from_slice(&more[..n]);
        }
    }
    let text: String = bytes
        .iter()
        .take_while(|b| **b != b'\r' && **b != b'\n')
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    if bytes
        .iter()
        .take(8)
        .all(|b| b.is_ascii_graphic() || *b == b' ')
    {
        format!("\"{text}\"")
    } else {
        let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
        hex.join(" ")
    }
}

/// Describes a reply in a few words, for notes and errors.
pub fn describe(reply: &Reply) -> String {
    match reply {
        Reply::Hello { hello, .. } if hello.is_hello_retry_request() => "HelloRetryRequest".into(),
        Reply::Hello { hello, .. } => match hello.selected_version() {
            Ok(v) => format!("{v} ServerHello"),
            Err(_) => "ServerHello".into(),
        },
        Reply::Alert(a) => format!("alert {}", a.description),
        Reply::NotTls(p) => format!("a non-TLS answer {p}"),
        Reply::Malformed(m) => format!("a malformed answer ({m})"),
    }
}
