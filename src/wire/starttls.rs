//! STARTTLS preambles: the plaintext a protocol exchanges before TLS.
//!
//! For each protocol that upgrades a plaintext connection (PostgreSQL's
//! SSLRequest, MySQL's SSL request packet, SMTP/IMAP/POP3/FTP commands, LDAP's
//! StartTLS extended operation, XMPP's `<starttls/>`), a [`Preamble`] says
//! what the client sends and reads what the server answers, one step at a
//! time. It is I/O-free: the caller moves the bytes, keeps what was not
//! consumed and bounds every read in time. Every reply is bounded in size
//! ([`MAX_REPLY`]) and in number (each protocol has a fixed number of steps),
//! and no input panics.
//!
//! A server's own words (a refusal, an error) are kept printable and short
//! ([`printable`]) so they can go into a report unchanged.

use crate::vocab::Protocol;

/// The most bytes one server reply may take; more is garbage.
pub const MAX_REPLY: usize = 16 * 1024;

/// The longest server text kept in a refusal or garbage description.
pub const MAX_WORDS: usize = 160;

/// The name pqready gives itself where a protocol asks (SMTP's EHLO).
const CLIENT_NAME: &str = "pqready.invalid";

/// PostgreSQL's SSLRequest: length 8, then the code 1234/5679.
pub const POSTGRES_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// The LDAP StartTLS extended operation's name.
pub const LDAP_STARTTLS_OID: &str = "1.3.6.1.4.1.1466.20037";

const XMPP_TLS_NS: &str = "urn:ietf:params:xml:ns:xmpp-tls";

/// MySQL capability flags used here.
mod mysql {
    pub const CLIENT_LONG_PASSWORD: u32 = 0x0000_0001;
    pub const CLIENT_PROTOCOL_41: u32 = 0x0000_0200;
    pub const CLIENT_SSL: u32 = 0x0000_0800;
    pub const CLIENT_SECURE_CONNECTION: u32 = 0x0000_8000;
    /// utf8mb4_general_ci.
    pub const CHARSET: u8 = 45;
}

/// What the caller does next with the server's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The reply is not complete: read more and call again with all of it.
    NeedMore,
    /// Drop the first `consumed` bytes, send `send`, then read the next reply.
    Proceed {
        /// Bytes of the buffer this step used.
        consumed: usize,
        /// What to send now.
        send: Vec<u8>,
    },
    /// Send `send` (possibly nothing); the TLS handshake starts right after.
    Ready {
        /// What to send before the ClientHello.
        send: Vec<u8>,
    },
    /// The server said no, in these (printable, truncated) words.
    Refused(String),
    /// The server does not speak this protocol: what it sent instead.
    Garbage(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the server's greeting (or, for protocols that speak
    /// first, the answer to the opening request).
    Greeting,
    /// Waiting for the answer to a capability request (SMTP's EHLO).
    Capabilities,
    /// Waiting for the answer to the STARTTLS request itself.
    Answer,
    /// Ready, refused or garbage: nothing more to read.
    Done,
}

/// One connection's preamble for one protocol.
#[derive(Debug, Clone)]
pub struct Preamble {
    protocol: Protocol,
    /// The name the server is reached by (XMPP's stream `to`).
    domain: String,
    state: State,
}

impl Preamble {
    /// The preamble of `protocol` towards `domain`; none for protocols that
    /// begin with TLS (or are not TLS at all).
    pub fn new(protocol: Protocol, domain: &str) -> Option<Preamble> {
        match protocol {
            Protocol::Postgres
            | Protocol::Mysql
            | Protocol::Smtp
            | Protocol::Imap
            | Protocol::Pop3
            | Protocol::Ldap
            | Protocol::Xmpp
            | Protocol::Ftp => Some(Preamble {
                protocol,
                domain: domain.chars().take(253).collect(),
                state: State::Greeting,
            }),
            Protocol::Tls | Protocol::Ssh | Protocol::Quic => None,
        }
    }

    /// The protocol this preamble speaks.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The name the stream is addressed to (XMPP's `to`).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// What the client sends before reading anything (empty when the server
    /// speaks first).
    pub fn opening(&self) -> Vec<u8> {
        match self.protocol {
            Protocol::Postgres => POSTGRES_SSL_REQUEST.to_vec(),
            Protocol::Ldap => ldap_starttls_request(1),
            Protocol::Xmpp => format!(
                "<?xml version='1.0'?><stream:stream to='{}' version='1.0' \
                 xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
                xml_attr(&self.domain)
            )
            .into_bytes(),
            _ => Vec::new(),
        }
    }

    /// Reads the server's bytes received so far (everything not yet
    /// consumed) and says what to do next.
    pub fn on_reply(&mut self, buf: &[u8]) -> Progress {
        if self.state == State::Done {
            return Progress::Garbage("the server kept talking after the preamble ended".into());
        }
        let progress = match self.protocol {
            Protocol::Postgres => postgres(buf),
            Protocol::Mysql => mysql(buf),
            Protocol::Smtp => self.smtp(buf),
            Protocol::Imap => self.imap(buf),
            Protocol::Pop3 => self.pop3(buf),
            Protocol::Ldap => ldap(buf),
            Protocol::Xmpp => self.xmpp(buf),
            Protocol::Ftp => self.ftp(buf),
            Protocol::Tls | Protocol::Ssh | Protocol::Quic => {
                Progress::Garbage("no preamble for this protocol".into())
            }
        };
        let progress = match progress {
            Progress::NeedMore if buf.len() >= MAX_REPLY => Progress::Garbage(format!(
                "a reply longer than {MAX_REPLY} bytes: {}",
                printable(buf)
            )),
            p => p,
        };
        match &progress {
            Progress::Proceed { .. } => {
                self.state = match self.state {
                    State::Greeting if self.protocol == Protocol::Smtp => State::Capabilities,
                    State::Greeting | State::Capabilities => State::Answer,
                    other => other,
                }
            }
            Progress::NeedMore => {}
            Progress::Ready { .. } | Progress::Refused(_) | Progress::Garbage(_) => {
                self.state = State::Done
            }
        }
        progress
    }

    fn smtp(&self, buf: &[u8]) -> Progress {
        let Some((reply, used)) = coded_reply(buf) else {
            return need_or_garbage(buf, looks_coded);
        };
        let reply = match reply {
            Ok(r) => r,
            Err(g) => return Progress::Garbage(g),
        };
        match self.state {
            State::Greeting if reply.code == 220 => Progress::Proceed {
                consumed: used,
                send: format!("EHLO {CLIENT_NAME}\r\n").into_bytes(),
            },
            State::Capabilities if reply.code == 250 => {
                let offered = reply.lines.iter().skip(1).any(|line| {
                    line.split(u8::is_ascii_whitespace)
                        .next()
                        .is_some_and(|k| k.eq_ignore_ascii_case(b"STARTTLS"))
                });
                match offered {
                    true => Progress::Proceed {
                        consumed: used,
                        send: b"STARTTLS\r\n".to_vec(),
                    },
                    false => Progress::Refused(format!(
                        "STARTTLS is not among the server's extensions: {}",
                        reply.text()
                    )),
                }
            }
            State::Answer if reply.code == 220 => after_ready(&buf[used..]),
            _ => Progress::Refused(format!("{} {}", reply.code, reply.text())),
        }
    }

    fn ftp(&self, buf: &[u8]) -> Progress {
        let Some((reply, used)) = coded_reply(buf) else {
            return need_or_garbage(buf, looks_coded);
        };
        let reply = match reply {
            Ok(r) => r,
            Err(g) => return Progress::Garbage(g),
        };
        match (self.state, reply.code) {
            // "Service ready in n minutes": the real greeting follows.
            (State::Greeting, 100..=199) => Progress::Proceed {
                consumed: used,
                send: Vec::new(),
            },
            (State::Greeting, 220) => Progress::Proceed {
                consumed: used,
                send: b"AUTH TLS\r\n".to_vec(),
            },
            (State::Answer, 234) => after_ready(&buf[used..]),
            _ => Progress::Refused(format!("{} {}", reply.code, reply.text())),
        }
    }

    fn imap(&self, buf: &[u8]) -> Progress {
        let Some((line, used)) = take_line(buf) else {
            return need_or_garbage(buf, |b| b.starts_with(b"*") || b.starts_with(b"a"));
        };
        let words = printable(line);
        match self.state {
            State::Greeting => {
                if starts_with_ci(line, b"* OK") || starts_with_ci(line, b"* PREAUTH") {
                    Progress::Proceed {
                        consumed: used,
                        send: b"a STARTTLS\r\n".to_vec(),
                    }
                } else if starts_with_ci(line, b"* BYE") {
                    Progress::Refused(words)
                } else {
                    Progress::Garbage(format!("not an IMAP greeting: {words}"))
                }
            }
            _ => {
                if line.starts_with(b"* ") {
                    // Untagged data before the tagged answer.
                    Progress::Proceed {
                        consumed: used,
                        send: Vec::new(),
                    }
                } else if starts_with_ci(line, b"a OK") {
                    after_ready(&buf[used..])
                } else if starts_with_ci(line, b"a NO") || starts_with_ci(line, b"a BAD") {
                    Progress::Refused(words)
                } else {
                    Progress::Garbage(format!("not an IMAP answer: {words}"))
                }
            }
        }
    }

    fn pop3(&self, buf: &[u8]) -> Progress {
        let Some((line, used)) = take_line(buf) else {
            return need_or_garbage(buf, |b| b.starts_with(b"+") || b.starts_with(b"-"));
        };
        let words = printable(line);
        if starts_with_ci(line, b"-ERR") {
            return Progress::Refused(words);
        }
        if !starts_with_ci(line, b"+OK") {
            return Progress::Garbage(format!("not a POP3 answer: {words}"));
        }
        match self.state {
            State::Greeting => Progress::Proceed {
                consumed: used,
                send: b"STLS\r\n".to_vec(),
            },
            _ => after_ready(&buf[used..]),
        }
    }

    fn xmpp(&self, buf: &[u8]) -> Progress {
        let text = String::from_utf8_lossy(buf);
        let trimmed = text.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('<') {
            return Progress::Garbage(format!("not XML: {}", printable(buf)));
        }
        if let Some(error) = element(&text, "stream:error") {
            return Progress::Refused(format!("stream error: {}", printable(error.as_bytes())));
        }
        match self.state {
            State::Greeting => {
                let Some(features) = element(&text, "stream:features") else {
                    if text.contains("</stream:stream>") {
                        return Progress::Refused(format!(
                            "the server closed the stream: {}",
                            printable(buf)
                        ));
                    }
                    return Progress::NeedMore;
                };
                match features.contains(XMPP_TLS_NS) {
                    true => Progress::Proceed {
                        consumed: buf.len(),
                        send: format!("<starttls xmlns='{XMPP_TLS_NS}'/>").into_bytes(),
                    },
                    false => Progress::Refused(format!(
                        "STARTTLS is not among the stream features: {}",
                        printable(features.as_bytes())
                    )),
                }
            }
            _ => {
                if let Some(at) = text.find("<proceed") {
                    return match text[at..].find('>') {
                        Some(end) => after_ready(text[at + end + 1..].as_bytes()),
                        None => Progress::NeedMore,
                    };
                }
                if text.contains("<failure") {
                    return Progress::Refused(format!(
                        "the server refused STARTTLS: {}",
                        printable(buf)
                    ));
                }
                if text.contains('>') {
                    return Progress::Garbage(format!(
                        "no answer to <starttls/>: {}",
                        printable(buf)
                    ));
                }
                Progress::NeedMore
            }
        }
    }
}

/// After the final "go ahead", the server must wait for the ClientHello:
/// bytes it sends first would be read as TLS (the STARTTLS command-injection
/// class of bugs), so they are a broken answer.
fn after_ready(rest: &[u8]) -> Progress {
    match rest.is_empty() {
        true => Progress::Ready { send: Vec::new() },
        false => Progress::Garbage(format!(
            "the server sent data after agreeing to TLS: {}",
            printable(rest)
        )),
    }
}

fn postgres(buf: &[u8]) -> Progress {
    match buf.first() {
        None => Progress::NeedMore,
        Some(b'S') => after_ready(&buf[1..]),
        Some(b'N') => Progress::Refused("the server does not accept SSL (answered 'N')".into()),
        // An ErrorResponse (servers too old for SSLRequest, or out of
        // connections): type, length, then fields of a code and a C string.
        Some(b'E') => {
            if buf.len() < 5 {
                return Progress::NeedMore;
            }
            let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
            if !(4..=MAX_REPLY).contains(&len) {
                return Progress::Garbage(format!("not a PostgreSQL answer: {}", printable(buf)));
            }
            let Some(body) = buf.get(5..1 + len) else {
                return Progress::NeedMore;
            };
            let message = body
                .split(|&b| b == 0)
                .find_map(|field| field.strip_prefix(b"M"))
                .map(printable)
                .unwrap_or_else(|| printable(body));
            Progress::Refused(message)
        }
        Some(_) => Progress::Garbage(format!("not a PostgreSQL answer: {}", printable(buf))),
    }
}

fn mysql(buf: &[u8]) -> Progress {
    if buf.len() < 4 {
        return Progress::NeedMore;
    }
    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], 0]) as usize;
    if len == 0 || len > MAX_REPLY {
        return Progress::Garbage(format!("not a MySQL packet: {}", printable(buf)));
    }
    let Some(payload) = buf.get(4..4 + len) else {
        return Progress::NeedMore;
    };
    let seq = buf[3];
    match payload[0] {
        // An error packet: code, optional '#'+SQL state, message.
        0xff => {
            let message = payload.get(3..).unwrap_or_default();
            let message = match message.first() {
                Some(b'#') => message.get(6..).unwrap_or_default(),
                _ => message,
            };
            Progress::Refused(printable(message))
        }
        10 => {
            // Protocol 10: version (C string), thread id (4), scramble (8),
            // filler (1), capabilities (low 2 bytes)...
            let Some(nul) = payload[1..].iter().position(|&b| b == 0) else {
                return Progress::Garbage("a MySQL greeting without a version".into());
            };
            let at = 1 + nul + 1 + 4 + 8 + 1;
            let Some(caps) = payload.get(at..at + 2) else {
                return Progress::Garbage("a MySQL greeting without capabilities".into());
            };
            let caps = u16::from_le_bytes([caps[0], caps[1]]) as u32;
            let version = printable(&payload[1..1 + nul]);
            if caps & mysql::CLIENT_SSL == 0 {
                return Progress::Refused(format!("MySQL server {version} does not offer SSL"));
            }
            match after_ready(&buf[4 + len..]) {
                Progress::Ready { .. } => Progress::Ready {
                    send: mysql_ssl_request(seq.wrapping_add(1)),
                },
                other => other,
            }
        }
        other => Progress::Garbage(format!(
            "not a MySQL greeting (protocol {other}): {}",
            printable(payload)
        )),
    }
}

/// The SSL request packet: capabilities, max packet size, character set and
/// 23 zero bytes, as packet number `seq`.
fn mysql_ssl_request(seq: u8) -> Vec<u8> {
    let caps = mysql::CLIENT_LONG_PASSWORD
        | mysql::CLIENT_PROTOCOL_41
        | mysql::CLIENT_SSL
        | mysql::CLIENT_SECURE_CONNECTION;
    let mut out = vec![32, 0, 0, seq];
    out.extend_from_slice(&caps.to_le_bytes());
    out.extend_from_slice(&(16u32 << 20).to_le_bytes());
    out.push(mysql::CHARSET);
    out.extend_from_slice(&[0; 23]);
    out
}

/// An LDAPMessage carrying the StartTLS ExtendedRequest.
pub fn ldap_starttls_request(message_id: u8) -> Vec<u8> {
    let oid = LDAP_STARTTLS_OID.as_bytes();
    let mut name = vec![0x80, oid.len() as u8];
    name.extend_from_slice(oid);
    let mut op = vec![0x77, name.len() as u8];
    op.extend(name);
    let mut body = vec![0x02, 0x01, message_id];
    body.extend(op);
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// One BER element: (tag, content, bytes used), `None` when incomplete,
/// `Err` when it cannot be BER (or is larger than [`MAX_REPLY`]).
#[allow(clippy::type_complexity)]
fn ber(buf: &[u8]) -> Result<Option<(u8, &[u8], usize)>, ()> {
    let (Some(&tag), Some(&first)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    let (len, head) = match first {
        n if n < 0x80 => (n as usize, 2),
        0x81..=0x83 => {
            let n = (first & 0x7f) as usize;
            let Some(bytes) = buf.get(2..2 + n) else {
                return Ok(None);
            };
            (
                bytes.iter().fold(0usize, |a, &b| a << 8 | b as usize),
                2 + n,
            )
        }
        _ => return Err(()),
    };
    if len > MAX_REPLY {
        return Err(());
    }
    Ok(buf
        .get(head..head + len)
        .map(|content| (tag, content, head + len)))
}

fn ldap(buf: &[u8]) -> Progress {
    let garbage = || Progress::Garbage(format!("not an LDAP message: {}", printable(buf)));
    let (tag, message, used) = match ber(buf) {
        Ok(Some(e)) => e,
        Ok(None) => return Progress::NeedMore,
        Err(()) => return garbage(),
    };
    if tag != 0x30 {
        return garbage();
    }
    let Ok(Some((0x02, id, id_len))) = ber(message) else {
        return garbage();
    };
    let Ok(Some((op_tag, op, _))) = ber(&message[id_len..]) else {
        return garbage();
    };
    // ExtendedResponse: resultCode, matchedDN, diagnosticMessage, ...
    if op_tag != 0x78 {
        return Progress::Garbage(format!(
            "an LDAP message that is not an ExtendedResponse (tag {op_tag:#04x})"
        ));
    }
    let Ok(Some((0x0a, code, code_len))) = ber(op) else {
        return garbage();
    };
    let code = code.iter().fold(0u64, |a, &b| a << 8 | b as u64);
    let diagnostic = ber(&op[code_len..])
        .ok()
        .flatten()
        .and_then(|(_, _, dn_len)| ber(&op[code_len + dn_len..]).ok().flatten())
        .map(|(_, text, _)| printable(text))
        .unwrap_or_default();
    // Message 0 is an unsolicited notification (a notice of disconnection).
    if id != [1] {
        return Progress::Refused(format!(
            "unsolicited notification (result {code}): {diagnostic}"
        ));
    }
    match code {
        0 => after_ready(&buf[used..]),
        _ => Progress::Refused(format!("result {code}: {diagnostic}")),
    }
}

/// A numbered reply (SMTP, FTP): its code and lines (code and separator
/// removed).
struct Coded<'a> {
    code: u16,
    lines: Vec<&'a [u8]>,
}

impl Coded<'_> {
    fn text(&self) -> String {
        let joined: Vec<u8> = self.lines.join(&b" / "[..]);
        printable(&joined)
    }
}

fn looks_coded(buf: &[u8]) -> bool {
    buf.iter().take(3).all(u8::is_ascii_digit)
}

/// The first complete numbered reply in `buf` and the bytes it takes; `None`
/// when more is needed; `Err` for text that is not a numbered reply.
fn coded_reply(buf: &[u8]) -> Option<(Result<Coded<'_>, String>, usize)> {
    let (first, mut at) = take_line(buf)?;
    let Some(code) = first.get(..3).filter(|h| h.iter().all(u8::is_ascii_digit)) else {
        return Some((
            Err(format!("not a numbered reply: {}", printable(first))),
            at,
        ));
    };
    let mut lines = vec![first.get(4..).unwrap_or_default()];
    let mut more = first.get(3) == Some(&b'-');
    while more {
        let (line, used) = take_line(&buf[at..])?;
        at += used;
        // FTP lets continuation lines say anything; SMTP repeats the code
        // on each. The last line repeats it without the dash.
        let same = line.get(..3) == Some(code);
        more = !same || line.get(3) == Some(&b'-');
        lines.push(match same {
            true => line.get(4..).unwrap_or_default(),
            false => line,
        });
        if lines.len() > 256 {
            return Some((Err("a reply of more than 256 lines".into()), at));
        }
    }
    let code = code.iter().fold(0u16, |a, &d| a * 10 + (d - b'0') as u16);
    Some((Ok(Coded { code, lines }), at))
}

/// The first line of `buf` (without CR LF) and the bytes it takes, if whole.
fn take_line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let end = buf.iter().position(|&b| b == b'\n')?;
    let line = &buf[..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, end + 1))
}

/// More may come for a reply that starts right, otherwise it is garbage.
fn need_or_garbage(buf: &[u8], starts_right: impl Fn(&[u8]) -> bool) -> Progress {
    let head = &buf[..buf.len().min(3)];
    match buf.is_empty() || starts_right(head) || starts_right_partially(head, &starts_right) {
        true => Progress::NeedMore,
        false => Progress::Garbage(format!("unexpected answer: {}", printable(buf))),
    }
}

/// A prefix too short to judge: only its bytes so far are checked.
fn starts_right_partially(head: &[u8], starts_right: impl Fn(&[u8]) -> bool) -> bool {
    head.len() < 3 && (head.iter().all(u8::is_ascii_digit) || starts_right(head))
}

fn starts_with_ci(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The first `<name ...>...</name>` (or `<name/>`) element in `text`, whole.
fn element<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    let open = format!("<{name}");
    let start = text.find(&open)?;
    let rest = &text[start..];
    let head_end = rest.find('>')?;
    if rest[..head_end].ends_with('/') {
        return Some(&rest[..head_end + 1]);
    }
    let close = format!("</{name}>");
    let end = rest.find(&close)?;
    Some(&rest[..end + close.len()])
}

fn xml_attr(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        .collect()
}

/// A server's words as one printable line of at most [`MAX_WORDS`]
/// characters: control bytes and non-ASCII become `?`, whitespace runs one
/// space.
pub fn printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut space = false;
    for &b in bytes {
        if out.len() >= MAX_WORDS {
            out.push('…');
            break;
        }
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => space = !out.is_empty(),
            0x21..=0x7e => {
                if space {
                    out.push(' ');
                    space = false;
                }
                out.push(b as char);
            }
            _ => {
                if space {
                    out.push(' ');
                    space = false;
                }
                out.push('?');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `protocol`'s preamble against a scripted server: each entry of
    /// `replies` is what the server sends after the client's next message.
    /// Returns what the client sent and the final progress.
    fn converse(protocol: Protocol, replies: &[&[u8]]) -> (Vec<Vec<u8>>, Progress) {
        let mut p = Preamble::new(protocol, "example.org").unwrap();
        let mut sent = vec![p.opening()];
        let mut buf = Vec::new();
        for reply in replies {
            buf.extend_from_slice(reply);
            loop {
                match p.on_reply(&buf) {
                    Progress::Proceed { consumed, send } => {
                        buf.drain(..consumed);
                        if !send.is_empty() {
                            sent.push(send);
                        }
                        if buf.is_empty() {
                            break;
                        }
                    }
                    Progress::NeedMore => break,
                    done => {
                        if let Progress::Ready { send } = &done {
                            sent.push(send.clone());
                        }
                        return (sent, done);
                    }
                }
            }
        }
        (sent, Progress::NeedMore)
    }

    fn ready() -> Progress {
        Progress::Ready { send: Vec::new() }
    }

    #[test]
    fn postgres_answers() {
        let (sent, end) = converse(Protocol::Postgres, &[b"S"]);
        assert_eq!(sent[0], POSTGRES_SSL_REQUEST);
        assert_eq!(end, ready());
        assert!(matches!(
            converse(Protocol::Postgres, &[b"N"]).1,
            Progress::Refused(_)
        ));
        let mut err = b"E\0\0\0\x1dSFATAL\0Mtoo many clients\0\0".to_vec();
        err[4] = (err.len() - 1) as u8;
        assert_eq!(
            converse(Protocol::Postgres, &[&err]).1,
            Progress::Refused("too many clients".into())
        );
        assert!(matches!(
            converse(Protocol::Postgres, &[b"HTTP/1.1 400"]).1,
            Progress::Garbage(_)
        ));
        assert!(matches!(
            converse(Protocol::Postgres, &[b"S\x16\x03\x03"]).1,
            Progress::Garbage(_)
        ));
    }

    fn mysql_greeting(caps: u16) -> Vec<u8> {
        let mut p = vec![10];
        p.extend_from_slice(b"11.8.3-MariaDB\0");
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(b"abcdefgh\0");
        p.extend_from_slice(&caps.to_le_bytes());
        p.extend_from_slice(&[45, 2, 0, 0xff, 0x81, 21]);
        p.extend_from_slice(&[0; 10]);
        p.extend_from_slice(b"ijklmnopqrst\0mysql_native_password\0");
        let mut out = (p.len() as u32).to_le_bytes()[..3].to_vec();
        out.push(0);
        out.extend(p);
        out
    }

    #[test]
    fn mysql_answers() {
        let g = mysql_greeting(0xfffe);
        let (sent, end) = converse(Protocol::Mysql, &[&g[..10], &g[10..]]);
        let Progress::Ready { send } = end else {
            panic!("{end:?}")
        };
        assert_eq!(send.len(), 36);
        assert_eq!(&send[..4], &[32, 0, 0, 1]);
        assert_ne!(
            u32::from_le_bytes(send[4..8].try_into().unwrap()) & 0x800,
            0
        );
        assert_eq!(sent.len(), 2);
        assert_eq!(
            converse(Protocol::Mysql, &[&mysql_greeting(0xfffe & !0x800)]).1,
            Progress::Refused("MySQL server 11.8.3-MariaDB does not offer SSL".into())
        );
        let err = b"\x18\0\0\0\xff\x69\x04#HY000Host is blocked";
        assert_eq!(
            converse(Protocol::Mysql, &[err]).1,
            Progress::Refused("Host is blocked".into())
        );
        assert!(matches!(
            converse(Protocol::Mysql, &[b"\x05\0\0\0\x09abcd"]).1,
            Progress::Garbage(_)
        ));
    }

    #[test]
    fn smtp_answers() {
        let (sent, end) = converse(
            Protocol::Smtp,
            &[
                b"220-mail.example ESMTP\r\n220 hello\r\n",
                b"250-mail.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
                b"220 2.0.0 Ready to start TLS\r\n",
            ],
        );
        assert_eq!(end, ready());
        assert_eq!(sent[1], b"EHLO pqready.invalid\r\n");
        assert_eq!(sent[2], b"STARTTLS\r\n");
        let (_, end) = converse(
            Protocol::Smtp,
            &[b"220 hi\r\n", b"250-mail.example\r\n250 SIZE 1000\r\n"],
        );
        assert!(matches!(end, Progress::Refused(w) if w.contains("SIZE 1000")));
        let (_, end) = converse(
            Protocol::Smtp,
            &[
                b"220 hi\r\n",
                b"250-x\r\n250 STARTTLS\r\n",
                b"454 4.7.0 TLS not available due to local problem\r\n",
            ],
        );
        assert_eq!(
            end,
            Progress::Refused("454 4.7.0 TLS not available due to local problem".into())
        );
        assert!(matches!(
            converse(Protocol::Smtp, &[b"SSH-2.0-OpenSSH_10.0\r\n"]).1,
            Progress::Garbage(_)
        ));
        assert!(matches!(
            converse(
                Protocol::Smtp,
                &[
                    b"220 hi\r\n",
                    b"250-x\r\n250 STARTTLS\r\n",
                    b"220 go\r\n\x16"
                ]
            )
            .1,
            Progress::Garbage(_)
        ));
    }

    #[test]
    fn imap_pop3_ftp_answers() {
        let (sent, end) = converse(
            Protocol::Imap,
            &[
                b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n",
                b"* CAPABILITY x\r\na OK Begin TLS negotiation now\r\n",
            ],
        );
        assert_eq!(end, ready());
        assert_eq!(sent[1], b"a STARTTLS\r\n");
        assert_eq!(
            converse(
                Protocol::Imap,
                &[b"* OK hi\r\n", b"a BAD unknown command\r\n"]
            )
            .1,
            Progress::Refused("a BAD unknown command".into())
        );
        let (sent, end) = converse(
            Protocol::Pop3,
            &[b"+OK Dovecot ready.\r\n", b"+OK Begin TLS\r\n"],
        );
        assert_eq!((sent[1].as_slice(), end), (&b"STLS\r\n"[..], ready()));
        assert_eq!(
            converse(Protocol::Pop3, &[b"+OK hi\r\n", b"-ERR no\r\n"]).1,
            Progress::Refused("-ERR no".into())
        );
        let (sent, end) = converse(
            Protocol::Ftp,
            &[
                b"220-Welcome\r\n free text\r\n220 ready\r\n",
                b"234 Proceed with negotiation.\r\n",
            ],
        );
        assert_eq!((sent[1].as_slice(), end), (&b"AUTH TLS\r\n"[..], ready()));
        assert_eq!(
            converse(
                Protocol::Ftp,
                &[b"220 hi\r\n", b"530 Please login with USER and PASS.\r\n"]
            )
            .1,
            Progress::Refused("530 Please login with USER and PASS.".into())
        );
    }

    #[test]
    fn ldap_answers() {
        let request = ldap_starttls_request(1);
        assert_eq!(request.len(), 31);
        assert_eq!(&request[..7], &[0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18]);
        let ok = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
        ];
        assert_eq!(converse(Protocol::Ldap, &[&ok[..5], &ok[5..]]).1, ready());
        let mut refused = vec![
            0x30, 0, 0x02, 0x01, 0x01, 0x78, 0, 0x0a, 0x01, 0x34, 0x04, 0x00, 0x04,
        ];
        let text = b"unavailable";
        refused.push(text.len() as u8);
        refused.extend_from_slice(text);
        refused[1] = (refused.len() - 2) as u8;
        refused[6] = (refused.len() - 7) as u8;
        assert_eq!(
            converse(Protocol::Ldap, &[&refused]).1,
            Progress::Refused("result 52: unavailable".into())
        );
        assert!(matches!(
            converse(Protocol::Ldap, &[b"\x30\x84\xff\xff\xff\xff"]).1,
            Progress::Garbage(_)
        ));
    }

    #[test]
    fn xmpp_answers() {
        let (sent, end) = converse(
            Protocol::Xmpp,
            &[
                b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='1' version='1.0'>",
                b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>",
                b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
            ],
        );
        assert_eq!(end, ready());
        assert!(String::from_utf8_lossy(&sent[0]).contains("to='example.org'"));
        assert_eq!(
            sent[1],
            b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
        );
        let (_, end) = converse(
            Protocol::Xmpp,
            &[b"<stream:stream><stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"],
        );
        assert!(matches!(end, Progress::Refused(w) if w.contains("host-unknown")));
        assert!(matches!(
            converse(Protocol::Xmpp, &[b"<stream:stream><stream:features/>"]).1,
            Progress::Refused(_)
        ));
        assert!(matches!(
            converse(Protocol::Xmpp, &[b"220 smtp\r\n"]).1,
            Progress::Garbage(_)
        ));
    }

    #[test]
    fn words_are_printable_and_short() {
        assert_eq!(printable(b"  a\x00b\r\n\tc\xff "), "a?b c?");
        assert!(printable(&[b'x'; 10_000]).chars().count() <= MAX_WORDS + 1);
    }

    #[test]
    fn endless_replies_are_garbage_not_growth() {
        for protocol in [
            Protocol::Smtp,
            Protocol::Imap,
            Protocol::Pop3,
            Protocol::Ftp,
            Protocol::Xmpp,
            Protocol::Ldap,
        ] {
            let mut p = Preamble::new(protocol, "x").unwrap();
            let start: &[u8] = match protocol {
                Protocol::Smtp | Protocol::Ftp => b"220-",
                Protocol::Imap => b"* OK ",
                Protocol::Pop3 => b"+OK ",
                Protocol::Xmpp => b"<stream:stream>",
                _ => b"\x30\x82\x3f\xff",
            };
            let mut buf = start.to_vec();
            buf.resize(MAX_REPLY, b'a');
            assert!(
                matches!(p.on_reply(&buf), Progress::Garbage(_)),
                "{protocol:?}"
            );
        }
    }

    #[test]
    fn no_input_panics() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for protocol in Protocol::ALL {
            let Some(start) = Preamble::new(*protocol, "h") else {
                continue;
            };
            for _ in 0..2000 {
                let mut p = start.clone();
                let len = (seed % 64) as usize;
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        b"0123456789 -\r\n*+OKa<>/:S\x30\x02\x0a\x78\x01\xff"[(seed % 26) as usize]
                    })
                    .collect();
                let _ = p.on_reply(&bytes);
                let _ = p.on_reply(&bytes);
            }
        }
    }
}
