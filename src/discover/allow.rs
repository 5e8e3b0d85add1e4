//! The exporter's allow list (`--allow`, `allow:` in its config file): which
//! targets a `/probe` request may name.
//!
//! Owns: parsing entries (CIDRs, single addresses, host name patterns) and
//! deciding whether an address or a name is covered. Must not: resolve
//! names (the exporter resolves once, checks the address here, and then
//! probes that very address, so a name cannot point elsewhere in between).

use std::net::IpAddr;

/// One `--allow` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// An address block: network address and prefix length.
    Cidr(IpAddr, u8),
    /// A host name, exact (`api.example.com`) or a suffix (`*.svc.cluster.local`).
    Name(String),
}

/// The targets the exporter may probe on request. Empty allows nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    entries: Vec<Entry>,
}

/// Bad `--allow` input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AllowError(pub String);

impl AllowList {
    /// Parses entries: `10.0.0.0/8`, `fd00::/8`, `192.0.2.7`, `::1`,
    /// `api.example.com`, `*.example.com` (any name below example.com).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, AllowError> {
        let mut out = AllowList::default();
        for raw in entries {
            let text = raw.as_ref().trim();
            let bad = |why: &str| AllowError(format!("invalid --allow '{text}': {why}"));
            if text.is_empty() {
                return Err(bad("empty entry"));
            }
            if let Some((addr, bits)) = text.split_once('/') {
                let addr: IpAddr = addr
                    .parse()
                    .map_err(|_| bad("the part before '/' is not an IP address"))?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let bits: u8 = bits
                    .parse()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| bad(&format!("the prefix length must be 0-{max}")))?;
                out.entries.push(Entry::Cidr(network(addr, bits), bits));
            } else if let Ok(addr) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
                let bits = if addr.is_ipv4() { 32 } else { 128 };
                out.entries.push(Entry::Cidr(addr, bits));
            } else {
                let name = text.trim_end_matches('.').to_ascii_lowercase();
                let (wild, rest) = match name.strip_prefix("*.") {
                    Some(rest) => (true, rest),
                    None => (false, name.as_str()),
                };
                let valid = !rest.is_empty()
                    && rest.split('.').all(|label| {
                        !label.is_empty()
                            && label.len() <= 63
                            && label
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    });
                if !valid {
                    return Err(bad(
                        "use a CIDR (10.0.0.0/8), an address, a host name or *.domain",
                    ));
                }
                out.entries.push(Entry::Name(if wild {
                    format!(".{rest}")
                } else {
                    rest.to_string()
                }));
            }
        }
        Ok(out)
    }

    /// True when nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when a name entry covers `host` (a host name, not an address).
    pub fn permits_name(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.entries.iter().any(|e| match e {
            Entry::Name(pattern) if pattern.starts_with('.') => {
                host.len() > pattern.len() && host.ends_with(pattern.as_str())
            }
            Entry::Name(exact) => *exact == host,
            Entry::Cidr(..) => false,
        })
    }

    /// True when an address entry covers `ip`. An IPv4-mapped IPv6 address
    /// (`::ffff:10.0.0.1`) is checked as the IPv4 address it is.
    pub fn permits_ip(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.entries.iter().any(|e| match e {
            Entry::Cidr(net, bits) => net.is_ipv4() == ip.is_ipv4() && network(ip, *bits) == *net,
            Entry::Name(_) => false,
        })
    }

    /// True when some entry is an address block (a name must then be
    /// resolved to be checked against them).
    pub fn has_addresses(&self) -> bool {
        self.entries.iter().any(|e| matches!(e, Entry::Cidr(..)))
    }
}

/// `addr` with every bit past the first `bits` cleared.
fn network(addr: IpAddr, bits: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn cidrs_cover_their_block_only() {
        let allow =
            AllowList::parse(&["10.0.0.0/8", "192.168.1.7", "fd00::/8", "127.0.0.1/32"]).unwrap();
        assert!(allow.permits_ip(ip("10.255.1.2")));
        assert!(!allow.permits_ip(ip("11.0.0.1")));
        assert!(allow.permits_ip(ip("192.168.1.7")));
        assert!(!allow.permits_ip(ip("192.168.1.8")));
        assert!(allow.permits_ip(ip("fd12::1")));
        assert!(!allow.permits_ip(ip("fe80::1")));
        assert!(allow.permits_ip(ip("::ffff:10.1.2.3")), "mapped IPv4");
        assert!(!allow.permits_ip(ip("::ffff:169.254.169.254")));
        assert!(allow.permits_ip(ip("127.0.0.1")));
        assert!(!allow.permits_ip(ip("127.0.0.2")));
        // A host part in the CIDR is cleared, as `ip route` would.
        let loose = AllowList::parse(&["10.1.2.3/16"]).unwrap();
        assert!(loose.permits_ip(ip("10.1.99.1")));
        assert!(!loose.permits_ip(ip("10.2.0.1")));
        let all = AllowList::parse(&["0.0.0.0/0"]).unwrap();
        assert!(all.permits_ip(ip("8.8.8.8")));
        assert!(
            !all.permits_ip(ip("::1")),
            "an IPv4 block covers no IPv6 address"
        );
    }

    #[test]
    fn names_match_exactly_or_below_a_wildcard() {
        let allow = AllowList::parse(&["api.example.com", "*.svc.cluster.local"]).unwrap();
        assert!(allow.permits_name("api.example.com"));
        assert!(allow.permits_name("API.Example.com."));
        assert!(!allow.permits_name("evil-api.example.com"));
        assert!(!allow.permits_name("api.example.com.evil.net"));
        assert!(allow.permits_name("kubernetes.default.svc.cluster.local"));
        assert!(!allow.permits_name("svc.cluster.local"));
        assert!(!allow.permits_name("xsvc.cluster.local"));
        assert!(!allow.permits_ip(ip("10.0.0.1")));
        assert!(!allow.has_addresses());
    }

    #[test]
    fn bad_entries_are_refused_with_the_entry() {
        for bad in [
            "",
            "10.0.0.0/33",
            "fd00::/129",
            "nope/8",
            "a..b",
            "*.",
            "http://x",
            "a b",
        ] {
            let err = AllowList::parse(&[bad]).unwrap_err();
            assert!(err.0.contains("invalid --allow"), "{bad}: {err}");
        }
        assert!(AllowList::parse::<&str>(&[]).unwrap().is_empty());
    }
}
