//! One ClientHello out, the server's first answer back, on one connection.
//!
//! Owns: sending an encoded hello (already cut into records by the caller)
//! and reading records until the server's answer is known: a ServerHello or
//! HelloRetryRequest, an alert, or something that is not TLS at all. For TLS
//! 1.2 it can read on to the ServerKeyExchange to learn the ECDHE curve.
//!
//! Every byte read is bounded ([`MAX_FLIGHT_BYTES`]) and every read has the
//! connection's deadline, so a server that drips, floods or stalls ends the
//! exchange within the timeout. It records what happened; it never judges.

use crate::net::{Conn, NetError};
use crate::wire::record::{content_type, HEADER_LEN};
use crate::wire::server_hello::{
    server_key_exchange_curve, HANDSHAKE_SERVER_HELLO, HANDSHAKE_SERVER_HELLO_DONE,
    HANDSHAKE_SERVER_KEY_EXCHANGE,
};
use crate::wire::{
    Alert, AlertDescription, HandshakeReassembler, NamedGroup, ProtocolVersion, RecordHeader,
    ServerHello, WireError,
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
    let mut reassembler = HandshakeReassembler::new(MAX_HANDSHAKE_MESSAGE);
    let mut server_hello: Option<ServerHello> = None;
    let mut total = 0usize;
    let mut first = true;
    loop {
        let mut header = [0u8; HEADER_LEN];
        conn.read_exact(&mut header).await?;
        let header = match RecordHeader::parse(&header) {
            Ok(h) => h,
            Err(e) if first && !looks_like_tls(&header) => {
                return Ok(Reply::NotTls(preview(conn, &header, e).await))
            }
            Err(e) if first => return Ok(Reply::Malformed(format!("first record: {e}"))),
            Err(e) => return Ok(Reply::Malformed(format!("record after the first: {e}"))),
        };
        first = false;
        total += HEADER_LEN + header.len;
        if total > MAX_FLIGHT_BYTES {
            return Ok(Reply::Malformed(format!(
                "server sent more than {MAX_FLIGHT_BYTES} bytes without finishing its hello"
            )));
        }
        let mut payload = vec![0u8; header.len];
        match conn.read_exact(&mut payload).await {
            Ok(()) => {}
            // A record cut short is a broken answer, not a refusal.
            Err(NetError::Closed | NetError::Reset) => {
                return Ok(Reply::Malformed(format!(
                    "truncated record: the connection ended inside a {}-byte record",
                    header.len
                )))
            }
            Err(e) => return Err(e),
        }
        match header.content_type {
            content_type::ALERT => {
                return Ok(match Alert::parse(&payload) {
                    // A warning (e.g. TLS 1.2 unrecognized_name before the
                    // ServerHello) is not an answer: keep reading; the byte cap
                    // and the deadline still bound a flood of them.
                    Ok(alert)
                        if alert.level == 1
                            && alert.description != AlertDescription::CLOSE_NOTIFY =>
                    {
                        continue
                    }
                    Ok(alert) => Reply::Alert(alert),
                    Err(e) => Reply::Malformed(format!("alert: {e}")),
                });
            }
            content_type::CHANGE_CIPHER_SPEC => continue,
            content_type::APPLICATION_DATA => {
                return Ok(match server_hello {
                    // TLS 1.3: everything after the ServerHello is encrypted.
                    Some(hello) => Reply::Hello {
                        hello,
                        tls12_curve: None,
                    },
                    None => Reply::Malformed("application data before ServerHello".into()),
                });
            }
            _ => {}
        }
        if let Err(e) = reassembler.push(&payload) {
            return Ok(Reply::Malformed(e.to_string()));
        }
        loop {
            let msg = match reassembler.next_message() {
                Ok(Some(msg)) => msg,
                Ok(None) => break,
                Err(e) => return Ok(Reply::Malformed(e.to_string())),
            };
            let Some(hello) = &server_hello else {
                if msg.typ != HANDSHAKE_SERVER_HELLO {
                    return Ok(Reply::Malformed(format!(
                        "expected ServerHello, got handshake message type {}",
                        msg.typ
                    )));
                }
                let hello = match ServerHello::parse(&msg.body) {
                    Ok(h) => h,
                    Err(e) => return Ok(Reply::Malformed(format!("ServerHello: {e}"))),
                };
                let tls12 = hello.selected_version().ok() != Some(ProtocolVersion::TLS1_3);
                if until == ReadUntil::ServerHello || !tls12 || hello.is_hello_retry_request() {
                    return Ok(Reply::Hello {
                        hello,
                        tls12_curve: None,
                    });
                }
                server_hello = Some(hello);
                continue;
            };
            match msg.typ {
                HANDSHAKE_SERVER_KEY_EXCHANGE => {
                    let curve = server_key_exchange_curve(&msg.body);
                    return Ok(match curve {
                        Ok(curve) => Reply::Hello {
                            hello: hello.clone(),
                            tls12_curve: curve,
                        },
                        Err(e) => Reply::Malformed(format!("ServerKeyExchange: {e}")),
                    });
                }
                HANDSHAKE_SERVER_HELLO_DONE => {
                    return Ok(Reply::Hello {
                        hello: hello.clone(),
                        tls12_curve: None,
                    })
                }
                _ => {} // Certificate, CertificateStatus, CertificateRequest
            }
        }
    }
}

/// A TLS record header's first two bytes: a known content type and major version 3.
fn looks_like_tls(header: &[u8; HEADER_LEN]) -> bool {
    (20..=23).contains(&header[0]) && header[1] == 3
}

/// A short printable preview of a non-TLS answer (e.g. `HTTP/1.1 400 Bad Request`).
async fn preview(conn: &mut Conn, header: &[u8; HEADER_LEN], _why: WireError) -> String {
    let mut bytes = header.to_vec();
    let mut more = [0u8; 59];
    // Best effort only: what already arrived is enough to describe the answer.
    conn.set_deadline_in(std::time::Duration::from_millis(200));
    if let Ok(n) = conn.read_some(&mut more).await {
        bytes.extend_from_slice(&more[..n]);
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
