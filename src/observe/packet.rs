//! One captured frame → one TCP segment or UDP datagram: link layer,
//! IPv4/IPv6, TCP or UDP.
//!
//! Owns: the link types pqready reads (Ethernet with up to two VLAN tags,
//! Linux cooked SLL and SLL2, raw IPv4/IPv6, BSD loopback), IP headers
//! (IPv6 extension headers are walked; fragments are skipped: a handshake's
//! segments are never IP-fragmented on a sane path, and a QUIC Initial may
//! not be: RFC 9000 §14) and the TCP and UDP headers. Pure
//! and bounds-checked: any byte string is a segment, a skip reason, never a
//! panic. A frame cut by the capture's snaplen yields the bytes that were
//! captured, marked `cut`, so the reassembler sees a hole instead of
//! invented data.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Link-layer header types (tcpdump.org LINKTYPE_ values).
pub mod linktype {
    /// BSD loopback: a 4-byte address family in host byte order.
    pub const NULL: u32 = 0;
    /// Ethernet II.
    pub const ETHERNET: u32 = 1;
    /// Raw IP (some BSDs spell it 12 or 14).
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: the address family in network byte order.
    pub const LOOP: u32 = 108;
    /// Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10).
    pub const LINUX_SLL: u32 = 113;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// Linux cooked capture v2 (`tcpdump -i any`).
    pub const LINUX_SLL2: u32 = 276;
}

/// TCP flag bits.
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// One TCP segment (or UDP datagram) as captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// A UDP datagram (`seq` and `flags` are 0), not a TCP segment.
    pub udp: bool,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence number of the first payload byte (of the SYN for a SYN).
    pub seq: u32,
    /// TCP flags ([`flags`]).
    pub flags: u8,
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
    /// The capture cut the payload short (snaplen).
    pub cut: bool,
}

/// Why a frame carries no TCP segment pqready can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// A link type pqready does not read.
    LinkType(u32),
    /// Not IPv4/IPv6, or neither TCP nor UDP (ARP, ICMP, SCTP...).
    NotTcp,
    /// An IP fragment.
    Fragment,
    /// The headers themselves are cut or malformed.
    Malformed,
}

/// Decodes one frame of link type `link`.
pub fn decode(link: u32, frame: &[u8]) -> Result<Segment<'_>, Skip> {
    let (ethertype, rest) = match link {
        linktype::ETHERNET => ethernet(frame)?,
        linktype::LINUX_SLL => (be16(frame, 14)?, frame.get(16..).ok_or(Skip::Malformed)?),
        linktype::LINUX_SLL2 => (be16(frame, 0)?, frame.get(20..).ok_or(Skip::Malformed)?),
        linktype::NULL | linktype::LOOP => {
            let raw: [u8; 4] = frame
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .ok_or(Skip::Malformed)?;
            // The family is in the capturing host's byte order (NULL) or
            // network order (LOOP); both orders are tried, values are small.
            let family = match u32::from_le_bytes(raw) {
                f if f < 256 => f,
                _ => u32::from_be_bytes(raw),
            };
            let ethertype = match family {
                2 => 0x0800,
                // AF_INET6 differs by BSD: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
                24 | 28 | 30 => 0x86dd,
                _ => return Err(Skip::NotTcp),
            };
            (ethertype, &frame[4..])
        }
        linktype::RAW | 12 | 14 | linktype::IPV4 | linktype::IPV6 => {
            match frame.first().map(|b| b >> 4) {
                Some(4) => (0x0800, frame),
                Some(6) => (0x86dd, frame),
                _ => return Err(Skip::NotTcp),
            }
        }
        other => return Err(Skip::LinkType(other)),
    };
    match ethertype {
        0x0800 => ipv4(rest),
        0x86dd => ipv6(rest),
        _ => Err(Skip::NotTcp),
    }
}

fn be16(b: &[u8], at: usize) -> Result<u16, Skip> {
    b.get(at..at + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or(Skip::Malformed)
}

fn ethernet(frame: &[u8]) -> Result<(u16, &[u8]), Skip> {
    let mut at = 12;
    let mut ethertype = be16(frame, at)?;
    // 802.1Q and 802.1ad (QinQ): at most two tags.
    for _ in 0..2 {
        if ethertype != 0x8100 && ethertype != 0x88a8 {
            break;
        }
        at += 4;
        ethertype = be16(frame, at)?;
    }
    Ok((ethertype, frame.get(at + 2..).ok_or(Skip::Malformed)?))
}

fn ipv4(p: &[u8]) -> Result<Segment<'_>, Skip> {
    let ihl = (*p.first().ok_or(Skip::Malformed)? as usize & 0x0f) * 4;
    if ihl < 20 || p.len() < ihl {
        return Err(Skip::Malformed);
    }
    let total = be16(p, 2)? as usize;
    let frag = be16(p, 6)?;
    if frag & 0x3fff != 0 {
        return Err(Skip::Fragment);
    }
    if p[9] != 6 && p[9] != 17 {
        return Err(Skip::NotTcp);
    }
    if total < ihl {
        return Err(Skip::Malformed);
    }
    let src = IpAddr::V4(Ipv4Addr::new(p[12], p[13], p[14], p[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(p[16], p[17], p[18], p[19]));
    // Ethernet pads short frames: the IP length says where the packet ends.
    let (body, cut) = if p.len() >= total {
        (&p[ihl..total], false)
    } else {
        (&p[ihl..], true)
    };
    if p[9] == 17 {
        return udp(src, dst, body, cut);
    }
    tcp(src, dst, body, cut)
}

fn ipv6(p: &[u8]) -> Result<Segment<'_>, Skip> {
    if p.len() < 40 || p[0] >> 4 != 6 {
        return Err(Skip::Malformed);
    }
    let payload_len = be16(p, 4)? as usize;
    let mut next = p[6];
    let src: [u8; 16] = p[8..24].try_into().map_err(|_| Skip::Malformed)?;
    let dst: [u8; 16] = p[24..40].try_into().map_err(|_| Skip::Malformed)?;
    let (mut body, cut) = if p.len() >= 40 + payload_len {
        (&p[40..40 + payload_len], false)
    } else {
        (&p[40..], true)
    };
    // Hop-by-hop, routing and destination options; at most a few.
    for _ in 0..8 {
        match next {
            0 | 43 | 60 => {
                let len = (*body.get(1).ok_or(Skip::Malformed)? as usize + 1) * 8;
                next = body[0];
                body = body.get(len..).ok_or(Skip::Malformed)?;
            }
            44 => return Err(Skip::Fragment),
            _ => break,
        }
    }
    if next == 17 {
        return udp(
            IpAddr::V6(Ipv6Addr::from(src)),
            IpAddr::V6(Ipv6Addr::from(dst)),
            body,
            cut,
        );
    }
    if next != 6 {
        return Err(Skip::NotTcp);
    }
    tcp(
        IpAddr::V6(Ipv6Addr::from(src)),
        IpAddr::V6(Ipv6Addr::from(dst)),
        body,
        cut,
    )
}

fn tcp(src: IpAddr, dst: IpAddr, t: &[u8], cut: bool) -> Result<Segment<'_>, Skip> {
    if t.len() < 20 {
        return Err(Skip::Malformed);
    }
    let offset = (t[12] >> 4) as usize * 4;
    if offset < 20 || t.len() < offset {
        return Err(Skip::Malformed);
    }
    Ok(Segment {
        udp: false,
        src: SocketAddr::new(src, be16(t, 0)?),
        dst: SocketAddr::new(dst, be16(t, 2)?),
        seq: u32::from_be_bytes([t[4], t[5], t[6], t[7]]),
        flags: t[13],
        payload: &t[offset..],
        cut,
    })
}

fn udp(src: IpAddr, dst: IpAddr, u: &[u8], cut: bool) -> Result<Segment<'_>, Skip> {
    if u.len() < 8 {
        return Err(Skip::Malformed);
    }
    let len = be16(u, 4)? as usize;
    if len < 8 {
        return Err(Skip::Malformed);
    }
    // The UDP length says where the datagram ends (Ethernet pads short frames).
    let (payload, cut) = match u.get(8..len) {
        Some(p) => (p, cut),
        None => (&u[8..], true),
    };
    Ok(Segment {
        udp: true,
        src: SocketAddr::new(src, be16(u, 0)?),
        dst: SocketAddr::new(dst, be16(u, 2)?),
        seq: 0,
        flags: 0,
        payload,
        cut,
    })
}

/// Test helpers: frames built by hand, for unit tests and the fuzz seeds.
pub mod build {
    use std::net::{IpAddr, SocketAddr};

    /// An Ethernet/IPv4 or IPv6/TCP frame carrying `payload`.
    pub fn ethernet_tcp(
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        flags: u8,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        let ip = ip_tcp(src, dst, seq, flags, payload);
        f.extend_from_slice(if ip[0] >> 4 == 4 {
            &[0x08, 0x00]
        } else {
            &[0x86, 0xdd]
        });
        f.extend_from_slice(&ip);
        f
    }

    /// A raw IPv4 or IPv6 packet with a UDP datagram carrying `payload`.
    pub fn ip_udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
        let mut udp = Vec::with_capacity(8 + payload.len());
        udp.extend_from_slice(&src.port().to_be_bytes());
        udp.extend_from_slice(&dst.port().to_be_bytes());
        udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(payload);
        ip(src, dst, 17, &udp)
    }

    /// A raw IPv4 or IPv6 packet with a TCP segment carrying `payload`.
    pub fn ip_tcp(
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        flags: u8,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut tcp = Vec::with_capacity(20 + payload.len());
        tcp.extend_from_slice(&src.port().to_be_bytes());
        tcp.extend_from_slice(&dst.port().to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        tcp.extend_from_slice(payload);
        ip(src, dst, 6, &tcp)
    }

    fn ip(src: SocketAddr, dst: SocketAddr, proto: u8, tcp: &[u8]) -> Vec<u8> {
        match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let total = (20 + tcp.len()) as u16;
                let mut p = vec![0x45, 0];
                p.extend_from_slice(&total.to_be_bytes());
                p.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0]);
                p.extend_from_slice(&s.octets());
                p.extend_from_slice(&d.octets());
                p.extend_from_slice(tcp);
                p
            }
            (s, d) => {
                let v6 = |a: IpAddr| match a {
                    IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                    IpAddr::V6(v6) => v6,
                };
                let mut p = vec![0x60, 0, 0, 0];
                p.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
                p.extend_from_slice(&[proto, 64]);
                p.extend_from_slice(&v6(s).octets());
                p.extend_from_slice(&v6(d).octets());
                p.extend_from_slice(tcp);
                p
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs() -> (SocketAddr, SocketAddr) {
        (
            "10.0.0.1:40000".parse().unwrap(),
            "10.0.0.2:443".parse().unwrap(),
        )
    }

    #[test]
    fn reads_ethernet_vlan_sll_sll2_null_and_raw() {
        let (a, b) = addrs();
        let ip = build::ip_tcp(a, b, 7, flags::ACK, b"hello");
        let eth = build::ethernet_tcp(a, b, 7, flags::ACK, b"hello");
        let mut vlan = eth[..12].to_vec();
        vlan.extend_from_slice(&[0x81, 0, 0, 5, 0x81, 0, 0, 6]);
        vlan.extend_from_slice(&eth[12..]);
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[8, 0]);
        sll.extend_from_slice(&ip);
        let mut sll2 = vec![8, 0];
        sll2.extend_from_slice(&[0; 18]);
        sll2.extend_from_slice(&ip);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        let mut loop_ = 2u32.to_be_bytes().to_vec();
        loop_.extend_from_slice(&ip);
        for (link, frame) in [
            (linktype::ETHERNET, &eth),
            (linktype::ETHERNET, &vlan),
            (linktype::LINUX_SLL, &sll),
            (linktype::LINUX_SLL2, &sll2),
            (linktype::NULL, &null),
            (linktype::LOOP, &loop_),
            (linktype::RAW, &ip),
            (linktype::IPV4, &ip),
        ] {
            let s = decode(link, frame).unwrap_or_else(|e| panic!("{link}: {e:?}"));
            assert_eq!(
                (s.src, s.dst, s.seq, s.payload, s.cut),
                (a, b, 7, &b"hello"[..], false)
            );
        }
    }

    #[test]
    fn reads_ipv6_and_marks_snaplen_cut() {
        let a: SocketAddr = "[::1]:40000".parse().unwrap();
        let b: SocketAddr = "[::1]:443".parse().unwrap();
        let frame = build::ethernet_tcp(a, b, 1, flags::ACK, &[9; 100]);
        let s = decode(linktype::ETHERNET, &frame).unwrap();
        assert_eq!((s.src, s.payload.len(), s.cut), (a, 100, false));
        let cut = decode(linktype::ETHERNET, &frame[..frame.len() - 40]).unwrap();
        assert_eq!((cut.payload.len(), cut.cut), (60, true));
    }

    #[test]
    fn reads_udp_over_ipv4_and_ipv6() {
        for (a, b) in [
            addrs(),
            ("[::1]:40000".parse().unwrap(), "[::1]:443".parse().unwrap()),
        ] {
            let ip = build::ip_udp(a, b, &[0xc3; 40]);
            let s = decode(linktype::RAW, &ip).unwrap();
            assert_eq!(
                (s.udp, s.src, s.dst, s.payload.len(), s.cut),
                (true, a, b, 40, false)
            );
            let cut = decode(linktype::RAW, &ip[..ip.len() - 10]).unwrap();
            assert_eq!((cut.payload.len(), cut.cut), (30, true));
            for n in 0..ip.len() {
                let _ = decode(linktype::RAW, &ip[..n]);
            }
        }
    }

    #[test]
    fn never_panics_on_any_prefix() {
        let (a, b) = addrs();
        let frame = build::ethernet_tcp(a, b, 1, flags::ACK, &[1; 30]);
        for link in [0, 1, 101, 108, 113, 228, 229, 276] {
            for cut in 0..frame.len() {
                let _ = decode(link, &frame[..cut]);
            }
        }
        assert_eq!(decode(147, &frame), Err(Skip::LinkType(147)));
    }
}
