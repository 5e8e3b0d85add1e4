//! The SSH transport's first messages (RFC 4253): the identification line,
//! the binary packet before NEWKEYS (no encryption, no MAC), and KEXINIT.
//!
//! Only what a key-exchange probe needs: pqready sends its identification
//! and a KEXINIT, reads the server's, and hangs up with a DISCONNECT. Pure
//! bytes ↔ types like the rest of `wire`: no I/O, never panics, and every
//! length a server states is capped before anything is allocated for it
//! ([`MAX_PACKET`], [`MAX_NAMES`], [`MAX_NAME_LEN`]).

use std::fmt;

/// The longest identification line, CR LF included (RFC 4253 §4.2).
pub const MAX_IDENT_LINE: usize = 255;
/// The most bytes of other lines a server may send before its
/// identification line (RFC 4253 §4.2 allows such lines; OpenSSH's client
/// gives up after 1024 of them, pqready after this many bytes).
pub const MAX_PREAMBLE: usize = 8 * 1024;
/// The largest `packet_length` accepted. RFC 4253 §6.1 requires handling
/// 35000-byte packets; a KEXINIT is far smaller (OpenSSH's is ~1.5 KiB).
pub const MAX_PACKET: u32 = 35_000;
/// The most names one name-list may hold.
pub const MAX_NAMES: usize = 128;
/// The longest algorithm name (RFC 4251 §6: at most 64 characters).
pub const MAX_NAME_LEN: usize = 64;

/// SSH_MSG_DISCONNECT.
pub const MSG_DISCONNECT: u8 = 1;
/// SSH_MSG_IGNORE.
pub const MSG_IGNORE: u8 = 2;
/// SSH_MSG_DEBUG.
pub const MSG_DEBUG: u8 = 4;
/// SSH_MSG_KEXINIT.
pub const MSG_KEXINIT: u8 = 20;
/// SSH_DISCONNECT_BY_APPLICATION.
pub const DISCONNECT_BY_APPLICATION: u32 = 11;

/// Why bytes are not what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshError {
    /// A line longer than [`MAX_IDENT_LINE`] (or a preamble longer than
    /// [`MAX_PREAMBLE`]) without an identification.
    #[error("no SSH identification within {0} bytes")]
    TooLong(usize),
    /// An identification line of a protocol version other than 2.0 (or 1.99).
    #[error("unsupported SSH protocol version '{0}'")]
    Version(String),
    /// A `packet_length` over [`MAX_PACKET`].
    #[error("SSH packet length {0} exceeds {MAX_PACKET}")]
    Oversized(u32),
    /// Undecodable bytes.
    #[error("malformed SSH {0}")]
    Malformed(&'static str),
}

/// The server's identification line (RFC 4253 §4.2):
/// `SSH-protoversion-softwareversion SP comments CR LF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identification {
    /// `2.0`, or `1.99` for a server that also speaks SSH 1.
    pub proto_version: String,
    /// The software version, e.g. `OpenSSH_10.0p2`.
    pub software: String,
    /// What follows the software version after a space, if anything
    /// (e.g. `Debian-7`).
    pub comments: Option<String>,
    /// The whole line without its line end.
    pub line: String,
    /// How many other lines came before it.
    pub preamble_lines: usize,
}

/// Finds the identification line at the start of `buf` (after any other
/// lines). `Ok(None)` when more bytes are needed; otherwise the line and
/// the number of bytes it and the lines before it took.
pub fn parse_identification(buf: &[u8]) -> Result<Option<(Identification, usize)>, SshError> {
    let mut start = 0;
    let mut preamble_lines = 0;
    loop {
        let rest = &buf[start..];
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            // No line end yet: give up once no line could still fit.
            if rest.len() >= MAX_IDENT_LINE {
                return Err(SshError::TooLong(MAX_IDENT_LINE));
            }
            if start + rest.len() > MAX_PREAMBLE {
                return Err(SshError::TooLong(MAX_PREAMBLE));
            }
            return Ok(None);
        };
        if nl + 1 > MAX_IDENT_LINE {
            return Err(SshError::TooLong(MAX_IDENT_LINE));
        }
        let raw = &rest[..nl];
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let end = start + nl + 1;
        if line.starts_with(b"SSH-") {
            return identification(line, preamble_lines).map(|id| Some((id, end)));
        }
        if end > MAX_PREAMBLE {
            return Err(SshError::TooLong(MAX_PREAMBLE));
        }
        preamble_lines += 1;
        start = end;
    }
}

fn identification(line: &[u8], preamble_lines: usize) -> Result<Identification, SshError> {
    // Printable US-ASCII and spaces only (RFC 4253 §4.2); the line ends up
    // in reports, so nothing else is let through.
    if !line.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return Err(SshError::Malformed("identification line"));
    }
    let text = String::from_utf8_lossy(line).into_owned();
    let body = &text[4..];
    let (proto, rest) = body
        .split_once('-')
        .ok_or(SshError::Malformed("identification line"))?;
    if proto != "2.0" && proto != "1.99" {
        return Err(SshError::Version(proto.to_string()));
    }
    let (software, comments) = match rest.split_once(' ') {
        Some((s, c)) => (s, Some(c.to_string())),
        None => (rest, None),
    };
    if software.is_empty() {
        return Err(SshError::Malformed("identification line"));
    }
    Ok(Identification {
        proto_version: proto.to_string(),
        software: software.to_string(),
        comments,
        line: text.clone(),
        preamble_lines,
    })
}

/// The identification line pqready sends.
pub fn client_identification(software: &str) -> Vec<u8> {
    format!("SSH-2.0-{software}\r\n").into_bytes()
}

/// One unencrypted binary packet (RFC 4253 §6) around `payload`: lengths,
/// then at least 4 bytes of padding to a multiple of 8. The padding is
/// zeros: before NEWKEYS it protects nothing, and the codec stays
/// deterministic.
pub fn encode_packet(payload: &[u8]) -> Vec<u8> {
    let unpadded = 4 + 1 + payload.len();
    let mut padding = 8 - unpadded % 8;
    if padding < 4 {
        padding += 8;
    }
    let packet_length = (1 + payload.len() + padding) as u32;
    let mut out = Vec::with_capacity(4 + packet_length as usize);
    out.extend_from_slice(&packet_length.to_be_bytes());
    out.push(padding as u8);
    out.extend_from_slice(payload);
    out.resize(out.len() + padding, 0);
    out
}

/// Reads one unencrypted binary packet from the start of `buf`: its
/// payload and the bytes it took, or `Ok(None)` when more are needed.
/// A stated length over [`MAX_PACKET`] fails at once, before its bytes
/// arrive.
pub fn parse_packet(buf: &[u8]) -> Result<Option<(&[u8], usize)>, SshError> {
    let Some(len) = buf.get(..4) else {
        return Ok(None);
    };
    let packet_length = u32::from_be_bytes([len[0], len[1], len[2], len[3]]);
    if packet_length > MAX_PACKET {
        return Err(SshError::Oversized(packet_length));
    }
    if packet_length < 5 {
        return Err(SshError::Malformed("packet length"));
    }
    let total = 4 + packet_length as usize;
    let Some(packet) = buf.get(4..total) else {
        return Ok(None);
    };
    let padding = packet[0] as usize;
    if padding < 4 || padding + 1 >= packet.len() {
        return Err(SshError::Malformed("packet padding"));
    }
    Ok(Some((&packet[1..packet.len() - padding], total)))
}

/// An SSH_MSG_DISCONNECT payload: the polite way to hang up.
pub fn disconnect(reason: u32, description: &str) -> Vec<u8> {
    let mut out = vec![MSG_DISCONNECT];
    out.extend_from_slice(&reason.to_be_bytes());
    put_string(&mut out, description.as_bytes());
    put_string(&mut out, b"");
    out
}

/// The reason code and description of an SSH_MSG_DISCONNECT payload
/// (description cut to 200 printable characters).
pub fn parse_disconnect(payload: &[u8]) -> Result<(u32, String), SshError> {
    let mut r = Reader::new(payload);
    if r.u8()? != MSG_DISCONNECT {
        return Err(SshError::Malformed("disconnect"));
    }
    let reason = r.u32()?;
    let text = r.string()?;
    let description = text
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .take(200)
        .collect();
    Ok((reason, description))
}

/// An SSH_MSG_KEXINIT (RFC 4253 §7.1): each side's algorithms, most
/// preferred first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KexInit {
    /// 16 bytes the sender chose.
    pub cookie: [u8; 16],
    /// Key-exchange methods (including pseudo-names such as `ext-info-s`).
    pub kex: Vec<String>,
    /// Host-key (signature) algorithms.
    pub host_key: Vec<String>,
    /// Ciphers, client to server.
    pub ciphers_c2s: Vec<String>,
    /// Ciphers, server to client.
    pub ciphers_s2c: Vec<String>,
    /// MACs, client to server.
    pub macs_c2s: Vec<String>,
    /// MACs, server to client.
    pub macs_s2c: Vec<String>,
    /// Compression, client to server.
    pub compression_c2s: Vec<String>,
    /// Compression, server to client.
    pub compression_s2c: Vec<String>,
    /// Languages, client to server (usually empty).
    pub languages_c2s: Vec<String>,
    /// Languages, server to client (usually empty).
    pub languages_s2c: Vec<String>,
    /// Whether a guessed key-exchange packet follows.
    pub first_kex_packet_follows: bool,
}

impl KexInit {
    /// The KEXINIT payload (message number first).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![MSG_KEXINIT];
        out.extend_from_slice(&self.cookie);
        for list in self.lists() {
            put_string(&mut out, list.join(",").as_bytes());
        }
        out.push(self.first_kex_packet_follows as u8);
        out.extend_from_slice(&0u32.to_be_bytes());
        out
    }

    /// Decodes a KEXINIT payload (message number first).
    pub fn parse(payload: &[u8]) -> Result<KexInit, SshError> {
        let mut r = Reader::new(payload);
        if r.u8()? != MSG_KEXINIT {
            return Err(SshError::Malformed("KEXINIT: wrong message"));
        }
        let mut out = KexInit::default();
        out.cookie.copy_from_slice(r.take(16)?);
        out.kex = r.name_list()?;
        out.host_key = r.name_list()?;
        out.ciphers_c2s = r.name_list()?;
        out.ciphers_s2c = r.name_list()?;
        out.macs_c2s = r.name_list()?;
        out.macs_s2c = r.name_list()?;
        out.compression_c2s = r.name_list()?;
        out.compression_s2c = r.name_list()?;
        out.languages_c2s = r.name_list()?;
        out.languages_s2c = r.name_list()?;
        out.first_kex_packet_follows = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(SshError::Malformed("KEXINIT: first_kex_packet_follows")),
        };
        r.u32()?;
        Ok(out)
    }

    fn lists(&self) -> [&Vec<String>; 10] {
        [
            &self.kex,
            &self.host_key,
            &self.ciphers_c2s,
            &self.ciphers_s2c,
            &self.macs_c2s,
            &self.macs_s2c,
            &self.compression_c2s,
            &self.compression_s2c,
            &self.languages_c2s,
            &self.languages_s2c,
        ]
    }
}

/// RFC 4253 §7.1's rule for every algorithm but the host key's fallbacks:
/// the first algorithm on the client's list that the server also lists.
/// Both OpenSSH and Dropbear choose so, whatever the server's own order.
pub fn first_client_match<'a>(client: &[&'a str], server: &[String]) -> Option<&'a str> {
    client
        .iter()
        .copied()
        .find(|c| server.iter().any(|s| s == c))
}

/// Names in key-exchange lists that are signals, not methods (RFC 8308's
/// `ext-info-c`/`-s`, OpenSSH's strict-kex markers).
pub fn is_pseudo_kex(name: &str) -> bool {
    name.starts_with("ext-info-") || name.starts_with("kex-strict-")
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SshError> {
        if self.buf.len() < n {
            return Err(SshError::Malformed("message: cut short"));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, SshError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, SshError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<&'a [u8], SshError> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    /// A name-list (RFC 4251 §5): comma-separated, non-empty names of
    /// printable US-ASCII, at most [`MAX_NAMES`] of [`MAX_NAME_LEN`] each.
    fn name_list(&mut self) -> Result<Vec<String>, SshError> {
        let raw = self.string()?;
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        if raw.len() > MAX_NAMES * (MAX_NAME_LEN + 1) {
            return Err(SshError::Malformed("name-list: too long"));
        }
        let mut names = Vec::new();
        for name in raw.split(|&b| b == b',') {
            if names.len() == MAX_NAMES {
                return Err(SshError::Malformed("name-list: too many names"));
            }
            if name.is_empty() || name.len() > MAX_NAME_LEN {
                return Err(SshError::Malformed("name-list: bad name length"));
            }
            if !name.iter().all(|&b| (0x21..0x7f).contains(&b)) {
                return Err(SshError::Malformed("name-list: non-printable name"));
            }
            names.push(String::from_utf8_lossy(name).into_owned());
        }
        Ok(names)
    }
}

impl fmt::Display for Identification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn identification_after_other_lines_with_comments() {
        let buf = b"hello there\r\nsecond\nSSH-2.0-OpenSSH_10.0p2 Debian-7\r\n\0\0\0";
        let (id, used) = parse_identification(buf).unwrap().unwrap();
        assert_eq!(id.proto_version, "2.0");
        assert_eq!(id.software, "OpenSSH_10.0p2");
        assert_eq!(id.comments.as_deref(), Some("Debian-7"));
        assert_eq!(id.preamble_lines, 2);
        assert_eq!(&buf[used..], b"\0\0\0");
    }

    #[test]
    fn identification_needs_more_then_gives_up_at_the_limits() {
        assert_eq!(parse_identification(b"SSH-2.0-Open"), Ok(None));
        assert_eq!(parse_identification(b""), Ok(None));
        let long = vec![b'a'; MAX_IDENT_LINE];
        assert_eq!(
            parse_identification(&long),
            Err(SshError::TooLong(MAX_IDENT_LINE))
        );
        let mut line = b"SSH-2.0-".to_vec();
        line.resize(MAX_IDENT_LINE, b'x');
        line.push(b'\n');
        assert!(parse_identification(&line).is_err());
        let many = b"junk line\r\n".repeat(MAX_PREAMBLE / 11 + 2);
        assert_eq!(
            parse_identification(&many),
            Err(SshError::TooLong(MAX_PREAMBLE))
        );
    }

    #[test]
    fn identification_refuses_other_versions_and_control_bytes() {
        assert_eq!(
            parse_identification(b"SSH-1.5-old\r\n"),
            Err(SshError::Version("1.5".into()))
        );
        assert!(parse_identification(b"SSH-2.0-\x1b[31m\r\n").is_err());
        assert!(parse_identification(b"SSH-2.0-\r\n").is_err());
        let (id, _) = parse_identification(b"SSH-1.99-Cisco\n").unwrap().unwrap();
        assert_eq!(id.software, "Cisco");
    }

    #[test]
    fn kexinit_round_trips_through_a_packet() {
        let init = KexInit {
            cookie: [7; 16],
            kex: names(&["mlkem768x25519-sha256", "curve25519-sha256", "ext-info-c"]),
            host_key: names(&["ssh-ed25519"]),
            ciphers_c2s: names(&["aes128-ctr"]),
            ciphers_s2c: names(&["aes128-ctr"]),
            macs_c2s: names(&["hmac-sha2-256"]),
            macs_s2c: names(&["hmac-sha2-256"]),
            compression_c2s: names(&["none"]),
            compression_s2c: names(&["none"]),
            first_kex_packet_follows: true,
            ..KexInit::default()
        };
        let packet = encode_packet(&init.encode());
        assert_eq!(packet.len() % 8, 0);
        let (payload, used) = parse_packet(&packet).unwrap().unwrap();
        assert_eq!(used, packet.len());
        assert_eq!(KexInit::parse(payload).unwrap(), init);
        assert_eq!(parse_packet(&packet[..packet.len() - 1]), Ok(None));
    }

    #[test]
    fn packets_refuse_oversized_and_bad_padding() {
        assert_eq!(
            parse_packet(&[0xff, 0xff, 0xff, 0xff]),
            Err(SshError::Oversized(u32::MAX))
        );
        assert!(parse_packet(&[0, 0, 0, 1, 0]).is_err());
        assert!(parse_packet(&[0, 0, 0, 8, 8, 1, 2, 3, 4, 5, 6, 7]).is_err());
        assert!(parse_packet(&[0, 0, 0, 8, 3, 1, 2, 3, 4, 5, 6, 7]).is_err());
    }

    #[test]
    fn kexinit_cut_short_or_with_bad_names_is_malformed() {
        let full = KexInit {
            kex: names(&["curve25519-sha256"]),
            ..KexInit::default()
        }
        .encode();
        for cut in 0..full.len() {
            assert!(KexInit::parse(&full[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = vec![MSG_KEXINIT];
        bad.extend_from_slice(&[0; 16]);
        put_string(&mut bad, b"a,,b");
        assert!(KexInit::parse(&bad).is_err());
        let mut huge = vec![MSG_KEXINIT];
        huge.extend_from_slice(&[0; 16]);
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(KexInit::parse(&huge).is_err());
    }

    #[test]
    fn the_client_first_match_wins_whatever_the_server_order() {
        let server = names(&["curve25519-sha256", "mlkem768x25519-sha256"]);
        assert_eq!(
            first_client_match(&["mlkem768x25519-sha256", "curve25519-sha256"], &server),
            Some("mlkem768x25519-sha256")
        );
        assert_eq!(
            first_client_match(&["sntrup761x25519-sha512"], &server),
            None
        );
    }

    #[test]
    fn disconnect_round_trips() {
        let payload = disconnect(DISCONNECT_BY_APPLICATION, "bye\x07");
        assert_eq!(
            parse_disconnect(&payload),
            Ok((DISCONNECT_BY_APPLICATION, "bye?".into()))
        );
    }
}
