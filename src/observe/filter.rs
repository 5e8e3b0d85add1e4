//! `--filter`: the part of the tcpdump filter language operators use to
//! pick connections, evaluated on decoded segments.
//!
//! There is no libpcap here (pqready must not need system libraries), so no
//! BPF text compiler either. The kernel already passes only TCP and QUIC
//! long-header UDP (see [`super::live`]); what is left to choose is which
//! connections, and that takes only the transport, addresses and ports. The
//! subset:
//!
//! - `port N`, `portrange N-M`, `host ADDR`, `net ADDR/LEN`, each optionally
//!   preceded by `src` or `dst` (`src port 443`); ports also by `tcp` or
//!   `udp` (`tcp port 443`, `udp port 443`: QUIC);
//! - `tcp` (every TCP segment), `udp` (every UDP datagram: QUIC),
//!   `ip` (IPv4), `ip6` (IPv6);
//! - `and` / `&&`, `or` / `||`, `not` / `!`, parentheses; `not` binds
//!   tighter than `and`, `and` tighter than `or` (as in tcpdump);
//! - a bare value repeats the previous qualifiers, protocol included, as
//!   tcpdump's shorthand: `port 443 or 6443` is `port 443 or port 6443`,
//!   `udp port 443 or 6443` is `udp port 443 or udp port 6443`.
//!
//! Host names are not resolved (give addresses). Anything else (`icmp`,
//! `ether host`, `tcp[13] & 2 != 0`, `greater 100`...) is an error that names
//! the part not supported. Pure: text in, a predicate out; fuzzed
//! (`fuzz_targets/observe_filter.rs`).

use super::packet::Segment;
use std::net::{IpAddr, SocketAddr};

/// The longest filter text read: a filter is typed, not generated.
pub const MAX_FILTER_LEN: usize = 4096;
/// The deepest nesting of parentheses and `not`s.
const MAX_DEPTH: usize = 64;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Every segment (an empty filter).
    Any,
    /// TCP segments (`tcp`: false) or UDP datagrams (`udp`: true).
    Udp(bool),
    /// IPv4 (`ip`) or IPv6 (`ip6`).
    Family(bool),
    /// A port (or range) of the source, the destination, or either.
    Port(Dir, u16, u16),
    /// An address of the source, the destination, or either.
    Host(Dir, IpAddr),
    /// A network of the source, the destination, or either.
    Net(Dir, IpAddr, u8),
    /// Both.
    And(Box<Filter>, Box<Filter>),
    /// Either.
    Or(Box<Filter>, Box<Filter>),
    /// Not.
    Not(Box<Filter>),
}

/// Which end a primitive looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// The sender.
    Src,
    /// The receiver.
    Dst,
    /// Either.
    Either,
}

/// Why a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--filter: {0}")]
pub struct FilterError(pub String);

const SUBSET: &str = "the filter takes [tcp|udp] [src|dst] port N, portrange N-M, host ADDR, net ADDR/LEN, tcp, udp, ip, ip6, and/or/not, parentheses";

impl Filter {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        if text.len() > MAX_FILTER_LEN {
            return Err(FilterError(format!(
                "longer than {MAX_FILTER_LEN} characters"
            )));
        }
        let tokens = tokenize(text)?;
        if tokens.is_empty() {
            return Ok(Filter::Any);
        }
        let mut p = Parser {
            tokens,
            at: 0,
            last: None,
            depth: 0,
        };
        let f = p.or()?;
        match p.peek() {
            None => Ok(f),
            Some(t) => Err(FilterError(format!("unexpected '{t}'"))),
        }
    }

    /// True if the segment (or datagram) matches.
    pub fn matches(&self, seg: &Segment<'_>) -> bool {
        self.matches_packet(seg.udp, seg.src, seg.dst)
    }

    /// True if a TCP segment from `src` to `dst` matches.
    pub fn matches_ends(&self, src: SocketAddr, dst: SocketAddr) -> bool {
        self.matches_packet(false, src, dst)
    }

    /// True if a UDP datagram (`udp`) or TCP segment from `src` to `dst` matches.
    pub fn matches_packet(&self, udp: bool, src: SocketAddr, dst: SocketAddr) -> bool {
        let pick = |dir: Dir, f: &dyn Fn(SocketAddr) -> bool| match dir {
            Dir::Src => f(src),
            Dir::Dst => f(dst),
            Dir::Either => f(src) || f(dst),
        };
        match self {
            Filter::Any => true,
            Filter::Udp(u) => udp == *u,
            Filter::Family(v4) => src.is_ipv4() == *v4,
            Filter::Port(dir, lo, hi) => pick(*dir, &|a| (*lo..=*hi).contains(&a.port())),
            Filter::Host(dir, ip) => pick(*dir, &|a| canonical(a.ip()) == *ip),
            Filter::Net(dir, net, len) => pick(*dir, &|a| in_net(canonical(a.ip()), *net, *len)),
            Filter::And(a, b) => a.matches_packet(udp, src, dst) && b.matches_packet(udp, src, dst),
            Filter::Or(a, b) => a.matches_packet(udp, src, dst) || b.matches_packet(udp, src, dst),
            Filter::Not(a) => !a.matches_packet(udp, src, dst),
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it maps.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn tokenize(text: &str) -> Result<Vec<String>, FilterError> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(std::mem::take(word));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => flush(&mut word, &mut out),
            '(' | ')' => {
                flush(&mut word, &mut out);
                out.push(c.to_string());
            }
            '&' | '|' => {
                flush(&mut word, &mut out);
                if chars.peek() != Some(&c) {
                    return Err(FilterError(format!(
                        "'{c}' is not supported (bit operations on packet bytes are not: {SUBSET})"
                    )));
                }
                chars.next();
                out.push(format!("{c}{c}"));
            }
            '!' => {
                flush(&mut word, &mut out);
                if chars.peek() == Some(&'=') {
                    return Err(FilterError(format!(
                        "'!=' is not supported (comparisons on packet bytes are not: {SUBSET})"
                    )));
                }
                out.push("!".into());
            }
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '-' | '_') => {
                word.push(c)
            }
            c => {
                return Err(FilterError(format!(
                    "'{}' is not supported ({SUBSET})",
                    c.escape_default()
                )))
            }
        }
    }
    flush(&mut word, &mut out);
    Ok(out)
}

/// The kind of a primitive, for tcpdump's repeated-qualifier shorthand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Port,
    PortRange,
    Host,
    Net,
}

struct Parser {
    tokens: Vec<String>,
    at: usize,
    /// The last primitive's qualifiers (`port 443 or 6443`): its end, its
    /// kind and its protocol (`Some(true)`: `udp`, `Some(false)`: `tcp`).
    last: Option<(Dir, Kind, Option<bool>)>,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn deeper(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError(format!(
                "nested deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut f = self.and()?;
        while matches!(self.peek(), Some("or" | "||")) {
            self.next();
            f = Filter::Or(Box::new(f), Box::new(self.and()?));
        }
        Ok(f)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut f = self.not()?;
        while matches!(self.peek(), Some("and" | "&&")) {
            self.next();
            f = Filter::And(Box::new(f), Box::new(self.not()?));
        }
        Ok(f)
    }

    fn not(&mut self) -> Result<Filter, FilterError> {
        match self.peek() {
            Some("not" | "!") => {
                self.next();
                self.deeper()?;
                let f = self.not()?;
                self.depth -= 1;
                Ok(Filter::Not(Box::new(f)))
            }
            Some("(") => {
                self.next();
                self.deeper()?;
                let f = self.or()?;
                self.depth -= 1;
                match self.next().as_deref() {
                    Some(")") => Ok(f),
                    Some(t) => Err(FilterError(format!("expected ')', found '{t}'"))),
                    None => Err(FilterError("a '(' is not closed".into())),
                }
            }
            _ => self.primitive(),
        }
    }

    fn primitive(&mut self) -> Result<Filter, FilterError> {
        let Some(first) = self.next() else {
            return Err(FilterError(
                "the filter ends where a primitive (port, host, net, tcp...) was expected".into(),
            ));
        };
        let mut word = first.to_ascii_lowercase();
        // `tcp port 443`, `udp port 443`: the protocol and the port.
        let mut proto = None;
        if word == "tcp" || word == "udp" {
            let udp = Filter::Udp(word == "udp");
            match self.peek().map(str::to_ascii_lowercase).as_deref() {
                Some("port" | "portrange" | "src" | "dst") => {
                    proto = Some(udp);
                    word = self.next().unwrap_or_default().to_ascii_lowercase();
                }
                _ => return Ok(udp),
            }
        }
        let udp = match proto {
            Some(Filter::Udp(udp)) => Some(udp),
            _ => None,
        };
        self.qualified(first, word, udp)
    }

    /// A primitive after its protocol qualifier (`proto`: `Some(true)` for
    /// `udp`, `Some(false)` for `tcp`).
    fn qualified(
        &mut self,
        first: String,
        mut word: String,
        proto: Option<bool>,
    ) -> Result<Filter, FilterError> {
        let f = self.qualified_value(first, &mut word, proto)?;
        Ok(match proto {
            Some(udp) => Filter::And(Box::new(Filter::Udp(udp)), Box::new(f)),
            None => f,
        })
    }

    /// The primitive's own part, without its protocol.
    fn qualified_value(
        &mut self,
        first: String,
        word: &mut String,
        proto: Option<bool>,
    ) -> Result<Filter, FilterError> {
        let mut dir = Dir::Either;
        if word == "src" || word == "dst" {
            dir = if word == "src" { Dir::Src } else { Dir::Dst };
            if matches!(self.peek(), Some("or" | "and")) {
                return Err(FilterError(format!(
                    "'{word} {}' is not supported: write 'src X or dst X' ({SUBSET})",
                    self.peek().unwrap_or_default()
                )));
            }
            *word = match self.next() {
                Some(w) => w.to_ascii_lowercase(),
                None => return Err(FilterError(format!("'{first}' needs what follows it"))),
            };
        }
        let kind = match word.as_str() {
            "port" => Kind::Port,
            "portrange" => Kind::PortRange,
            "host" if proto.is_none() => Kind::Host,
            "net" if proto.is_none() => Kind::Net,
            "ip" if dir == Dir::Either && proto.is_none() => return Ok(Filter::Family(true)),
            "ip6" if dir == Dir::Either && proto.is_none() => return Ok(Filter::Family(false)),
            _ if dir == Dir::Either && proto.is_none() && self.last.is_some() && is_value(word) => {
                // tcpdump's shorthand: a bare value repeats the last
                // qualifiers, its protocol too.
                let (d, k, p) = self.last.unwrap_or((Dir::Either, Kind::Host, None));
                let f = self.value(d, k, word)?;
                return Ok(match p {
                    Some(udp) => Filter::And(Box::new(Filter::Udp(udp)), Box::new(f)),
                    None => f,
                });
            }
            _ => return Err(unsupported(word)),
        };
        let Some(value) = self.next() else {
            return Err(FilterError(format!("'{word}' needs a value")));
        };
        self.last = Some((dir, kind, proto));
        self.value(dir, kind, &value)
    }

    fn value(&mut self, dir: Dir, kind: Kind, value: &str) -> Result<Filter, FilterError> {
        match kind {
            Kind::Port => {
                let p = port(value)?;
                Ok(Filter::Port(dir, p, p))
            }
            Kind::PortRange => {
                let (a, b) = value
                    .split_once('-')
                    .ok_or_else(|| FilterError(format!("portrange '{value}': expected N-M")))?;
                let (a, b) = (port(a)?, port(b)?);
                if a > b {
                    return Err(FilterError(format!("portrange '{value}': {a} > {b}")));
                }
                Ok(Filter::Port(dir, a, b))
            }
            Kind::Host => Ok(Filter::Host(dir, addr(value)?)),
            Kind::Net => {
                let (a, len) = value.split_once('/').ok_or_else(|| {
                    FilterError(format!(
                        "net '{value}': expected ADDR/LEN (the 'mask' form is not supported)"
                    ))
                })?;
                let a = addr(a)?;
                let max = if a.is_ipv4() { 32 } else { 128 };
                let len: u8 = len.parse().ok().filter(|l| *l <= max).ok_or_else(|| {
                    FilterError(format!("net '{value}': the prefix length must be 0-{max}"))
                })?;
                Ok(Filter::Net(dir, a, len))
            }
        }
    }
}

fn is_value(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit()) || word.contains(':')
}

fn port(text: &str) -> Result<u16, FilterError> {
    text.parse().map_err(|_| {
        FilterError(format!(
            "port '{text}': expected a number 0-65535 (service names are not supported)"
        ))
    })
}

fn addr(text: &str) -> Result<IpAddr, FilterError> {
    text.parse::<IpAddr>().map(canonical).map_err(|_| {
        FilterError(format!(
            "'{text}' is not an IP address (host names are not resolved)"
        ))
    })
}

fn unsupported(word: &str) -> FilterError {
    let why = match word {
        "icmp" | "icmp6" | "arp" | "rarp" | "sctp" | "igmp" => " (observe reads TCP and UDP only)",
        "ether" | "vlan" | "mpls" | "wlan" | "link" => " (link-layer filters are not supported)",
        _ if word.contains('[') => " (packet byte offsets are not supported)",
        _ => "",
    };
    let shown: String = word.chars().take(40).collect();
    FilterError(format!("'{shown}' is not supported{why}; {SUBSET}"))
}

/// Exercises the parser and the matcher on arbitrary input, for fuzzing.
pub fn fuzz(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(f) = Filter::parse(&text) {
        let a: SocketAddr = "127.0.0.1:443".parse().expect("literal");
        let b: SocketAddr = "[::1]:50000".parse().expect("literal");
        let _ = f.matches_ends(a, b);
        let _ = f.matches_packet(true, b, a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(f: &str, src: &str, dst: &str) -> bool {
        Filter::parse(f)
            .unwrap()
            .matches_ends(src.parse().unwrap(), dst.parse().unwrap())
    }

    #[test]
    fn primitives_match_as_in_tcpdump() {
        let (a, b) = ("10.0.0.5:40000", "192.168.1.9:443");
        assert!(m("port 443", a, b));
        assert!(m("tcp port 443", b, a));
        assert!(!m("port 80", a, b));
        assert!(m("src port 40000", a, b));
        assert!(!m("dst port 40000", a, b));
        assert!(m("portrange 400-500", a, b));
        assert!(m("host 10.0.0.5", b, a));
        assert!(m("dst host 10.0.0.5", b, a));
        assert!(!m("src host 10.0.0.5", b, a));
        assert!(m("net 192.168.0.0/16", a, b));
        assert!(!m("net 192.168.0.0/24", a, b));
        assert!(m("net 0.0.0.0/0", a, b));
        assert!(m("tcp", a, b));
        assert!(m("", a, b));
        assert!(m("ip", a, b));
        assert!(!m("ip6", a, b));
        assert!(m("ip6 and net ::1/128", "[::1]:1", "[::1]:2"));
        // The transport: `tcp` and `udp` (QUIC) pick one.
        let udp = |f: &str| {
            Filter::parse(f)
                .unwrap()
                .matches_packet(true, a.parse().unwrap(), b.parse().unwrap())
        };
        assert!(udp("udp") && udp("udp port 443") && udp("port 443") && udp("udp dst port 443"));
        assert!(!udp("tcp") && !udp("tcp port 443") && !udp("udp port 80"));
        assert!(!m("udp", a, b) && !m("udp port 443", a, b));
        assert!(udp("not tcp") && m("tcp or udp", a, b));
        // The shorthand keeps the protocol: `udp port 80 or 443` is
        // `udp port 80 or udp port 443`, so a TCP segment to 443 is not in it.
        assert!(udp("udp port 80 or 443") && !m("udp port 80 or 443", a, b));
        assert!(m("tcp port 80 or 443", a, b) && !udp("tcp port 80 or 443"));
        assert_eq!(
            Filter::parse("udp port 80 or 443").unwrap(),
            Filter::parse("udp port 80 or udp port 443").unwrap()
        );
        // IPv4-mapped addresses are their IPv4 address.
        assert!(m("host 127.0.0.1", "[::ffff:127.0.0.1]:1", "[::1]:2"));
    }

    #[test]
    fn operators_bind_as_in_tcpdump() {
        let (a, b) = ("10.0.0.5:40000", "192.168.1.9:443");
        assert!(m("port 80 or port 443 and host 10.0.0.5", a, b));
        assert!(!m("port 443 and not host 10.0.0.5", a, b));
        assert!(m("not port 80 && (host 1.2.3.4 || port 443)", a, b));
        assert!(!m("!(port 443)", a, b));
        assert!(m("not not port 443", a, b));
        // The shorthand: `port 80 or 443` is `port 80 or port 443`.
        assert!(m("port 80 or 443", a, b));
        assert!(m("dst port 80 or 443", a, b));
        assert!(!m("src port 80 or 443", a, b));
        assert!(m("host 1.1.1.1 or 192.168.1.9", a, b));
        assert_eq!(
            Filter::parse("port 80 or 443").unwrap(),
            Filter::parse("port 80 or port 443").unwrap()
        );
    }

    #[test]
    fn anything_outside_the_subset_says_which_part() {
        for (text, says) in [
            (
                "icmp or port 53",
                "'icmp' is not supported (observe reads TCP and UDP only)",
            ),
            ("udp host 1.2.3.4", "unexpected 'host'"),
            ("tcp[13] & 2 != 0", "'[' is not supported"),
            ("ether host aa:bb:cc:dd:ee:ff", "'ether' is not supported"),
            ("host example.com", "'example.com' is not an IP address"),
            ("port https", "port 'https'"),
            ("port 70000", "port '70000'"),
            ("net 10.0.0.0/33", "prefix length must be 0-32"),
            ("net 10.0.0.0 mask 255.0.0.0", "the 'mask' form"),
            ("portrange 9-1", "9 > 1"),
            ("(port 1", "not closed"),
            ("port 1)", "unexpected ')'"),
            ("port", "'port' needs a value"),
            ("port 1 and", "the filter ends"),
            ("greater 100", "'greater' is not supported"),
            ("src or dst port 1", "write 'src X or dst X'"),
            ("port 1 & 2", "'&' is not supported"),
            ("443", "'443' is not supported"),
        ] {
            let e = Filter::parse(text).unwrap_err().to_string();
            assert!(e.starts_with("--filter: "), "{text}: {e}");
            assert!(e.contains(says), "{text}: {e}");
            assert!(!e.contains('\n'), "{text}: one line: {e}");
        }
    }

    #[test]
    fn hostile_filters_are_bounded() {
        let deep = format!("{}port 1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(Filter::parse(&deep).unwrap_err().0.contains("longer than"));
        let deep = format!("{}port 1{}", "(".repeat(1000), ")".repeat(1000));
        assert!(Filter::parse(&deep)
            .unwrap_err()
            .0
            .contains("nested deeper"));
        let nots = format!("{}port 1", "! ".repeat(1000));
        assert!(Filter::parse(&nots)
            .unwrap_err()
            .0
            .contains("nested deeper"));
        // Long flat chains are fine (iterative, not recursive).
        let flat = vec!["port 1"; 300].join(" or ");
        assert!(Filter::parse(&flat).is_ok());
        fuzz("\u{0}\u{ffff}((".as_bytes());
    }
}
