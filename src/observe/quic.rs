//! One QUIC connection seen in a capture: its Initials, decrypted with the
//! public Initial keys, read into the same facts as a TCP connection's
//! hellos.
//!
//! Owns: which datagram starts a connection (a client Initial that opens
//! with the keys of its own Destination Connection ID: what makes it a
//! client's first), the keys of each side (derived from that original DCID,
//! or from a Retry's connection ID once an authentic Retry was seen), the
//! CRYPTO streams of both sides reassembled by offset across Initial
//! packets and datagrams (a post-quantum ClientHello spans two), and
//! reading the ClientHello and the ServerHello or HelloRetryRequest from
//! them. Version Negotiation and Retry are noted; Handshake, 0-RTT and
//! short-header packets carry nothing a hello needs and are skipped. QUIC
//! v1 and v2 are read; a client Initial of another version is recorded as
//! such.
//!
//! Bounded like a TCP flow: each CRYPTO stream keeps at most the flow
//! table's bytes per direction, a datagram is read for at most
//! [`MAX_PACKETS`] coalesced packets. Pure: no I/O, no clock; the flow table
//! ([`super::flow`]) owns the cap and the idle timeout.

use super::hello::{describe, read_server_hello, rfc3339_us};
use super::{HelloFacts, ObservedConnection, QuicFacts, ServerFacts};
use crate::vocab::{ObservedSides, Transport};
use crate::wire::quic::{
    parse_frames, split_long, version_supported, CryptoStream, Frame, InitialKeys, Long,
    LongPacket, LongType, MIN_INITIAL_DATAGRAM,
};
use crate::wire::{ClientHello, ServerHello};
use std::net::SocketAddr;

/// The most packets read of one datagram (a coalesced datagram holds an
/// Initial, a Handshake and a short-header packet at most, in practice).
pub const MAX_PACKETS: usize = 8;

const CLIENT: usize = 0;
const SERVER: usize = 1;

/// What a datagram's first packet says about starting a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A v1 or v2 Initial: it may be a client's first.
    Initial,
    /// A long header of a version pqready does not read, in a datagram the
    /// size of a client's first flight: a QUIC client, probably.
    UnsupportedVersion,
    /// Anything else: not the start of a QUIC connection.
    No,
}

/// A cheap look at a UDP payload, before any decryption.
pub fn may_start(payload: &[u8]) -> Start {
    if payload.first().is_none_or(|b| b & 0xc0 != 0xc0) {
        return Start::No;
    }
    match split_long(payload) {
        Ok((LongPacket::Packet(long), _)) if long.typ == LongType::Initial => Start::Initial,
        Ok((LongPacket::Unsupported { dcid, .. }, _))
            if payload.len() >= MIN_INITIAL_DATAGRAM && dcid.len() <= 20 =>
        {
            Start::UnsupportedVersion
        }
        _ => Start::No,
    }
}

/// One QUIC connection's handshake state.
pub struct QuicFlow {
    /// `[client, server]`.
    ends: [SocketAddr; 2],
    /// Capture time of its first datagram.
    pub first_us: i64,
    /// Capture time of its last datagram.
    pub last_us: i64,
    version: u32,
    /// The connection ID the Initial keys come from.
    key_dcid: Vec<u8>,
    keys: Option<InitialKeys>,
    largest: [Option<u64>; 2],
    crypto: [CryptoStream; 2],
    /// Client Initials that carried CRYPTO bytes before the hello was read.
    client_packets: u32,
    /// Where the server's next handshake message starts in its stream.
    server_at: usize,
    done: [bool; 2],
    seen: [bool; 2],
    hello: Option<HelloFacts>,
    server: Option<ServerFacts>,
    error: Option<String>,
    retry: bool,
    version_negotiation: bool,
    undecryptable: u32,
    limit: usize,
    /// Reported already (kept only to swallow the rest of the connection).
    pub reported: bool,
}

impl std::fmt::Debug for QuicFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuicFlow")
            .field("ends", &self.ends)
            .field("version", &self.version)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl QuicFlow {
    /// A connection whose first datagram, from `client` to `server`, is
    /// `payload`, if that is a client's first Initial (it opens with the
    /// keys of its own DCID) or a long header of an unread version in a
    /// full-size datagram. `limit` bounds each CRYPTO stream.
    pub fn start(
        time_us: i64,
        client: SocketAddr,
        server: SocketAddr,
        payload: &[u8],
        limit: usize,
    ) -> Option<QuicFlow> {
        let mut flow = QuicFlow {
            ends: [client, server],
            first_us: time_us,
            last_us: time_us,
            version: 0,
            key_dcid: Vec::new(),
            keys: None,
            largest: [None; 2],
            crypto: [
                CryptoStream::with_limit(limit),
                CryptoStream::with_limit(limit),
            ],
            client_packets: 0,
            server_at: 0,
            done: [false; 2],
            seen: [false; 2],
            hello: None,
            server: None,
            error: None,
            retry: false,
            version_negotiation: false,
            undecryptable: 0,
            limit,
            reported: false,
        };
        match split_long(payload).ok()? {
            (LongPacket::Packet(long), _) if long.typ == LongType::Initial => {
                let keys = InitialKeys::for_version(long.version, long.dcid).ok()?;
                // Only a client's first Initials open with their own DCID's keys.
                long.open(&keys.client, None).ok()?;
                flow.version = long.version;
                flow.key_dcid = long.dcid.to_vec();
                flow.keys = Some(keys);
            }
            (LongPacket::Unsupported { version, .. }, _)
                if payload.len() >= MIN_INITIAL_DATAGRAM =>
            {
                flow.version = version;
            }
            _ => return None,
        }
        flow.datagram(client, time_us, payload);
        Some(flow)
    }

    /// True if `from` is this connection's client.
    pub fn from_client(&self, from: SocketAddr) -> bool {
        from == self.ends[CLIENT]
    }

    /// Both hellos are read (or can no longer be).
    pub fn finished(&self) -> bool {
        !self.reported && self.done[CLIENT] && self.done[SERVER]
    }

    /// Reads one datagram sent by `from`.
    pub fn datagram(&mut self, from: SocketAddr, time_us: i64, payload: &[u8]) {
        self.last_us = self.last_us.max(time_us);
        if self.reported {
            return;
        }
        let side = if self.from_client(from) {
            CLIENT
        } else {
            SERVER
        };
        self.seen[side] = true;
        let mut rest = payload;
        for _ in 0..MAX_PACKETS {
            // Padding after the last packet, or a short header: the rest is
            // 1-RTT, or nothing.
            if rest.first().is_none_or(|b| b & 0x80 == 0) {
                break;
            }
            let Ok((packet, used)) = split_long(rest) else {
                break;
            };
            rest = &rest[used..];
            match packet {
                LongPacket::VersionNegotiation { .. } => {
                    if side == SERVER {
                        self.version_negotiation = true;
                    }
                    break;
                }
                LongPacket::Unsupported { version, .. } => {
                    if side == CLIENT && self.keys.is_none() {
                        self.version = version;
                    }
                    break;
                }
                LongPacket::Packet(long) => match (side, long.typ) {
                    (SERVER, LongType::Retry) => self.retry_packet(&long),
                    (_, LongType::Initial) if !self.done[side] => self.initial(side, &long),
                    _ => {}
                },
            }
        }
    }

    fn retry_packet(&mut self, long: &Long<'_>) {
        if self.keys.is_none() || self.hello.is_some() && self.server.is_some() {
            return;
        }
        // A forged Retry does not carry the tag the client's DCID gives.
        if !long.retry_authentic(&self.key_dcid) {
            return;
        }
        let Ok(keys) = InitialKeys::for_version(long.version, long.scid) else {
            return;
        };
        self.retry = true;
        self.key_dcid = long.scid.to_vec();
        self.keys = Some(keys);
        self.largest = [None; 2];
        // The client sends its ClientHello again, from offset 0, under the new keys.
        if self.hello.is_none() {
            self.crypto[CLIENT].clear();
            self.client_packets = 0;
        }
    }

    fn initial(&mut self, side: usize, long: &Long<'_>) {
        let Some(keys) = &self.keys else {
            // An unread version was seen first; a v1/v2 Initial (after
            // Version Negotiation) starts the keys afresh.
            if side == CLIENT {
                if let Ok(keys) = InitialKeys::for_version(long.version, long.dcid) {
                    if long.open(&keys.client, None).is_ok() {
                        self.version = long.version;
                        self.key_dcid = long.dcid.to_vec();
                        self.keys = Some(keys);
                        self.initial(side, long);
                    }
                }
            }
            return;
        };
        if long.version != self.version {
            return;
        }
        let sealer = if side == CLIENT {
            &keys.client
        } else {
            &keys.server
        };
        let plain = match long.open(sealer, self.largest[side]) {
            Ok((pn, plain)) => {
                self.largest[side] = Some(self.largest[side].map_or(pn, |l| l.max(pn)));
                plain
            }
            Err(_) => {
                if side == CLIENT {
                    self.undecryptable = self.undecryptable.saturating_add(1);
                }
                return;
            }
        };
        let frames = match parse_frames(&plain) {
            Ok(frames) => frames,
            Err(e) => {
                self.fail(side, format!("an Initial's frames are unreadable: {e}"));
                return;
            }
        };
        let mut carried = false;
        for frame in frames {
            if let Frame::Crypto { offset, data } = frame {
                carried = true;
                if let Err(e) = self.crypto[side].push(offset, &data) {
                    let who = if side == CLIENT {
                        "client's"
                    } else {
                        "server's"
                    };
                    self.fail(
                        side,
                        format!("the {who} Initial CRYPTO stream is not kept: {e}"),
                    );
                    return;
                }
            }
        }
        if side == CLIENT {
            if carried {
                self.client_packets = self.client_packets.saturating_add(1);
            }
            self.read_client();
        } else {
            self.read_server();
        }
    }

    fn fail(&mut self, side: usize, why: String) {
        if self.error.is_none() {
            self.error = Some(why);
        }
        self.done[side] = true;
        self.crypto[side].clear();
    }

    fn read_client(&mut self) {
        let Some((typ, _, end)) = self.crypto[CLIENT].message_at(0) else {
            return;
        };
        if typ != 1 {
            self.fail(
                CLIENT,
                "the client's Initials carry something else before its hello".into(),
            );
            return;
        }
        match ClientHello::parse(&self.crypto[CLIENT].contiguous()[..end]) {
            Ok(hello) => {
                self.hello = Some(describe(&hello, end, self.client_packets, Transport::Quic));
                self.done[CLIENT] = true;
                self.crypto[CLIENT].clear();
            }
            Err(e) => self.fail(CLIENT, format!("client hello unreadable: {e}")),
        }
    }

    fn read_server(&mut self) {
        while let Some((typ, body, next)) = self.crypto[SERVER].message_at(self.server_at) {
            if typ != 2 {
                // Anything after a ServerHello travels in Handshake packets.
                self.done[SERVER] = true;
                break;
            }
            match ServerHello::parse(body) {
                Ok(hello) => {
                    self.server_at = next;
                    if read_server_hello(&mut self.server, &hello)
                        || !hello.is_hello_retry_request()
                    {
                        self.done[SERVER] = true;
                        break;
                    }
                }
                Err(e) => {
                    if self.server.is_none() {
                        self.error
                            .get_or_insert_with(|| format!("server answer unreadable: {e}"));
                    }
                    self.done[SERVER] = true;
                    break;
                }
            }
        }
        if self.done[SERVER] {
            self.crypto[SERVER].clear();
        }
    }

    /// True if the connection has anything worth a record: a hello, an
    /// answer, or a client speaking a version pqready cannot read.
    pub fn reportable(&self) -> bool {
        self.hello.is_some() || self.server.is_some() || !version_supported(self.version)
    }

    /// The connection's record (its buffers are freed).
    pub fn report(&mut self) -> ObservedConnection {
        self.reported = true;
        for c in &mut self.crypto {
            c.clear();
        }
        let sides = match (self.seen[CLIENT], self.seen[SERVER]) {
            (true, true) => ObservedSides::Both,
            (false, true) => ObservedSides::ServerOnly,
            _ => ObservedSides::ClientOnly,
        };
        let error = self.error.clone().or_else(|| {
            if !version_supported(self.version) {
                Some(format!(
                    "QUIC version 0x{:08x}: only the Initials of QUIC v1 and v2 are read",
                    self.version
                ))
            } else if self.hello.is_none() && self.seen[CLIENT] {
                Some("the client's hello is incomplete in the capture".into())
            } else if self
                .server
                .as_ref()
                .is_none_or(|s| s.version.is_none() || s.negotiated_group.is_none())
                && self.seen[SERVER]
            {
                Some("the server's answer is incomplete in the capture".into())
            } else {
                None
            }
        });
        ObservedConnection {
            time: rfc3339_us(self.first_us),
            transport: Transport::Quic,
            client: self.ends[CLIENT].to_string(),
            server: self.ends[SERVER].to_string(),
            sides,
            client_hello: self.hello.take(),
            server_hello: self.server.take(),
            error,
            conflicting_segments: 0,
            quic: Some(QuicFacts {
                version: self.version,
                retry: self.retry,
                version_negotiation: self.version_negotiation,
                undecryptable_initials: self.undecryptable,
            }),
            client_process: None,
            server_process: None,
            server_workload: None,
        }
    }

    /// Bytes held in the CRYPTO streams (for tests of the bounds).
    pub fn held(&self) -> usize {
        self.crypto.iter().map(|c| c.contiguous().len()).sum()
    }

    /// The per-direction byte limit this flow was made with.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::flow::{FlowTable, Limits};
    use crate::observe::packet::Segment;
    use crate::wire::quic::{client_initials, put_varint, seal_initial, seal_retry};
    use crate::wire::server_hello::HELLO_RETRY_REQUEST_RANDOM;
    use crate::wire::testing::{hex, tls13_server_hello};
    use crate::wire::{ClientHelloSpec, KeyShareEntry, NamedGroup};

    const DCID: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
    const CSCID: [u8; 4] = [0xc1; 4];
    const SSCID: [u8; 5] = [0x5e; 5];

    fn ends() -> (SocketAddr, SocketAddr) {
        (
            "10.0.0.1:50000".parse().unwrap(),
            "10.0.0.2:443".parse().unwrap(),
        )
    }

    /// A post-quantum ClientHello: X25519MLKEM768 and X25519 shares (~1.4 KB).
    fn pq_hello() -> Vec<u8> {
        let groups = vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        let shares = vec![
            KeyShareEntry {
                group: NamedGroup::X25519MLKEM768,
                payload: vec![7; 1216],
            },
            KeyShareEntry {
                group: NamedGroup::X25519,
                payload: vec![8; 32],
            },
        ];
        let mut spec = ClientHelloSpec::tls13(groups, shares);
        spec.alpn = vec![b"h3".to_vec()];
        spec.encode()
    }

    /// QUIC's ServerHello: an empty legacy session id (RFC 9001 8.4).
    fn server_hello(random: [u8; 32], group: NamedGroup, share: usize) -> Vec<u8> {
        tls13_server_hello(random, &[], group.0, share)
    }

    fn crypto(offset: usize, data: &[u8]) -> Vec<u8> {
        let mut f = vec![0x06];
        put_varint(&mut f, offset as u64);
        put_varint(&mut f, data.len() as u64);
        f.extend_from_slice(data);
        f
    }

    /// A server Initial carrying `frames`, keys from `key_dcid`, padded.
    fn server_initial(key_dcid: &[u8], pn: u64, frames: &[u8]) -> Vec<u8> {
        let keys = InitialKeys::new(key_dcid).unwrap();
        let mut payload = frames.to_vec();
        payload.resize(payload.len().max(64), 0);
        seal_initial(&keys.server, &CSCID, &SSCID, &[], pn, &payload).unwrap()
    }

    fn table() -> FlowTable {
        FlowTable::new(Limits {
            max_flows: 4,
            max_stream_bytes: 16 * 1024,
            idle_timeout_us: 10_000_000,
        })
    }

    fn feed(t: &mut FlowTable, time: i64, from_client: bool, payload: &[u8]) {
        let (c, s) = ends();
        let (src, dst) = if from_client { (c, s) } else { (s, c) };
        t.segment(
            time,
            &Segment {
                udp: true,
                src,
                dst,
                seq: 0,
                flags: 0,
                payload,
                cut: false,
            },
        );
    }

    /// RFC 9369 A.2: the client's v2 Initial (RFC 9001's ClientHello).
    const V2_CLIENT: &str = "
        d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485
        dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04
        9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d
        250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a
        12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500
        cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68
        18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33
        12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3
        d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd
        6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520
        bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045
        636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f
        ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12
        16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5
        4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4
        fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b
        8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7
        14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9
        9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91
        abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd
        80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db
        848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18
        d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15
        c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc
        7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61
        f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710
        10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b
        3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e
        06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce
        8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1
        34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1
        e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd
        5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3
        8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89
        d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53
        6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19
        9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b
        a18b2faa745b6fe189cf772a9f84cbfc";

    /// RFC 9369 A.3: the server's v2 Initial (ACK + ServerHello).
    const V2_SERVER: &str = "
        dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698
        baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17
        f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2
        c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8
        4bed8521e2e140";

    #[test]
    fn reads_the_rfc9369_quic_v2_handshake() {
        let mut t = table();
        feed(&mut t, 1, true, &hex(V2_CLIENT));
        feed(&mut t, 2, false, &hex(V2_SERVER));
        let ready = t.take_ready();
        assert_eq!(ready.len(), 1, "{:?}", t.stats());
        let c = &ready[0];
        assert_eq!(
            c.quic.as_ref().unwrap().version,
            crate::wire::quic::VERSION_2
        );
        let h = c.client_hello.as_ref().unwrap();
        assert_eq!(h.sni.as_deref(), Some("example.com"));
        assert_eq!(h.key_shares[0].group, NamedGroup::X25519);
        assert_eq!(
            c.server_hello.as_ref().unwrap().negotiated_group,
            Some(NamedGroup::X25519)
        );
        assert_eq!(c.error, None);
    }

    #[test]
    fn reads_a_pq_hello_spanning_two_initials_and_a_coalesced_answer() {
        let hello = pq_hello();
        let keys = InitialKeys::new(&DCID).unwrap();
        let initials = client_initials(&keys.client, &DCID, &CSCID, &[], 0, &hello).unwrap();
        assert_eq!(initials.len(), 2, "a PQ hello spans two Initials");
        let mut t = table();
        // The second datagram first: it starts the flow, the first completes it.
        feed(&mut t, 1, true, &initials[1]);
        feed(&mut t, 2, true, &initials[0]);
        assert!(t.take_ready().is_empty());
        let sh = server_hello([3; 32], NamedGroup::X25519MLKEM768, 1120);
        let mut datagram = server_initial(&DCID, 0, &crypto(0, &sh));
        // Coalesced: a Handshake packet and a short-header packet follow.
        datagram.extend_from_slice(&[0xe0, 0, 0, 0, 1, 4, 9, 9, 9, 9, 0, 0x05, 1, 2, 3, 4, 5]);
        datagram.extend_from_slice(&[0x40; 30]);
        feed(&mut t, 3, false, &datagram);
        let ready = t.take_ready();
        assert_eq!(ready.len(), 1);
        let c = &ready[0];
        assert_eq!(c.transport, Transport::Quic);
        assert_eq!(
            (c.client.as_str(), c.server.as_str()),
            ("10.0.0.1:50000", "10.0.0.2:443")
        );
        assert_eq!(c.sides, ObservedSides::Both);
        assert_eq!(c.error, None);
        let h = c.client_hello.as_ref().unwrap();
        assert_eq!(h.groups, [NamedGroup::X25519MLKEM768, NamedGroup::X25519]);
        assert_eq!(h.key_shares[0].length, 1216);
        assert_eq!((h.length, h.records), (hello.len(), 2));
        assert!(h.ja4.starts_with("q13i"), "{}", h.ja4);
        let s = c.server_hello.as_ref().unwrap();
        assert_eq!(s.negotiated_group, Some(NamedGroup::X25519MLKEM768));
        assert!(!s.hello_retry);
        let q = c.quic.as_ref().unwrap();
        assert_eq!(
            (q.version, q.retry, q.version_negotiation),
            (1, false, false)
        );
        // Later packets of the connection start nothing and report nothing.
        feed(&mut t, 4, true, &initials[0]);
        feed(&mut t, 5, false, &datagram);
        t.finish();
        assert!(t.take_ready().is_empty());
        assert_eq!(t.stats().flows, 1);
    }

    #[test]
    fn reads_a_hello_retry_request_then_the_server_hello() {
        let keys = InitialKeys::new(&DCID).unwrap();
        let hello = pq_hello();
        let initials = client_initials(&keys.client, &DCID, &CSCID, &[], 0, &hello).unwrap();
        let mut t = table();
        for (i, p) in initials.iter().enumerate() {
            feed(&mut t, i as i64, true, p);
        }
        let hrr = server_hello(HELLO_RETRY_REQUEST_RANDOM, NamedGroup::X25519MLKEM768, 0);
        feed(
            &mut t,
            5,
            false,
            &server_initial(&DCID, 0, &crypto(0, &hrr)),
        );
        assert!(t.take_ready().is_empty());
        let sh = server_hello([4; 32], NamedGroup::X25519MLKEM768, 1120);
        // The ServerHello continues the server's stream after the HelloRetryRequest.
        feed(
            &mut t,
            6,
            false,
            &server_initial(&DCID, 1, &crypto(hrr.len(), &sh)),
        );
        let ready = t.take_ready();
        let s = ready[0].server_hello.as_ref().unwrap();
        assert!(s.hello_retry);
        assert_eq!(s.hello_retry_group, Some(NamedGroup::X25519MLKEM768));
        assert_eq!(s.negotiated_group, Some(NamedGroup::X25519MLKEM768));
    }

    #[test]
    fn follows_a_retry_to_its_new_keys_and_ignores_a_forged_one() {
        let hello = pq_hello();
        let first = InitialKeys::new(&DCID).unwrap();
        let mut t = table();
        for p in client_initials(&first.client, &DCID, &CSCID, &[], 0, &hello).unwrap() {
            feed(&mut t, 1, true, &p);
        }
        let new_dcid = [0x77u8; 12];
        // Forged: tagged for another original DCID.
        feed(
            &mut t,
            2,
            false,
            &seal_retry(&[9; 8], &CSCID, &[0x66; 12], b"tok"),
        );
        feed(
            &mut t,
            3,
            false,
            &seal_retry(&DCID, &CSCID, &new_dcid, b"tok"),
        );
        let second = InitialKeys::new(&new_dcid).unwrap();
        for p in client_initials(&second.client, &new_dcid, &CSCID, b"tok", 2, &hello).unwrap() {
            feed(&mut t, 4, true, &p);
        }
        // Under the old keys the server's answer no longer opens.
        let sh = server_hello([3; 32], NamedGroup::X25519, 32);
        feed(&mut t, 5, false, &server_initial(&DCID, 0, &crypto(0, &sh)));
        assert!(t.take_ready().is_empty());
        feed(
            &mut t,
            6,
            false,
            &server_initial(&new_dcid, 0, &crypto(0, &sh)),
        );
        let ready = t.take_ready();
        assert_eq!(ready.len(), 1);
        assert!(ready[0].quic.as_ref().unwrap().retry);
        assert_eq!(
            ready[0].server_hello.as_ref().unwrap().negotiated_group,
            Some(NamedGroup::X25519)
        );
        assert_eq!(ready[0].client_hello.as_ref().unwrap().groups.len(), 2);
    }

    #[test]
    fn hostile_initials_are_bounded_and_never_panic() {
        let keys = InitialKeys::new(&DCID).unwrap();
        let hello = pq_hello();
        let initials = client_initials(&keys.client, &DCID, &CSCID, &[], 0, &hello).unwrap();
        // Every truncation: no flow (it no longer decrypts), no panic.
        for cut in 0..initials[0].len() {
            let mut t = table();
            feed(&mut t, 1, true, &initials[0][..cut]);
            assert_eq!(t.stats().flows, 0, "cut at {cut}");
        }
        // A flipped bit anywhere in the ciphertext fails the tag.
        let mut bad = initials[0].clone();
        bad[600] ^= 1;
        let mut t = table();
        feed(&mut t, 1, true, &bad);
        assert_eq!((t.stats().flows, t.stats().packets_skipped), (0, 1));
        // DNS, a short header: not QUIC starts.
        feed(&mut t, 1, true, &[0x12, 0x34, 1, 0, 0, 1]);
        feed(&mut t, 1, true, &[0x40; 1200]);
        assert_eq!((t.stats().flows, t.stats().packets_skipped), (0, 3));

        // CRYPTO frames out of order, overlapping, repeated, in one packet.
        let mut frames = crypto(600, &hello[600..]);
        frames.extend(crypto(0, &hello[..300]));
        frames.extend(crypto(200, &hello[200..700]));
        frames.extend(crypto(0, &hello[..10]));
        let mut t = table();
        let mut payload = frames.clone();
        payload.resize(payload.len() + 100, 0);
        let p = seal_initial(&keys.client, &DCID, &CSCID, &[], 0, &payload).unwrap();
        feed(&mut t, 1, true, &p);
        t.finish();
        let ready = t.take_ready();
        assert_eq!(ready.len(), 1, "{:?}", t.stats());
        let h = ready[0].client_hello.as_ref().unwrap();
        assert_eq!((h.length, h.key_shares[0].length), (hello.len(), 1216));
        assert_eq!(ready[0].sides, ObservedSides::ClientOnly);

        // A huge offset, and a stream past the per-direction limit.
        for (offset, len) in [(1u64 << 40, 10usize), (16 * 1024 - 5, 10)] {
            let mut f = vec![0x06];
            put_varint(&mut f, offset);
            put_varint(&mut f, len as u64);
            f.extend(vec![1; len]);
            f.extend(crypto(0, &hello[..100]));
            f.resize(1200, 0);
            let p = seal_initial(&keys.client, &DCID, &CSCID, &[], 0, &f).unwrap();
            let mut t = table();
            feed(&mut t, 1, true, &p);
            t.finish();
            assert!(t.take_ready().is_empty(), "no hello: no record");
            assert_eq!(t.stats().flows_without_hello, 1);
        }
    }

    #[test]
    fn unsupported_versions_and_version_negotiation_are_recorded() {
        let mut t = table();
        let mut p = vec![0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8];
        p.extend_from_slice(&DCID);
        p.push(0);
        p.resize(1200, 0xaa);
        feed(&mut t, 1, true, &p);
        let mut vn = vec![0x80, 0, 0, 0, 0, 0, 8];
        vn.extend_from_slice(&DCID);
        vn.extend_from_slice(&1u32.to_be_bytes());
        feed(&mut t, 2, false, &vn);
        t.finish();
        let ready = t.take_ready();
        let q = ready[0].quic.as_ref().unwrap();
        assert_eq!((q.version, q.version_negotiation), (0x1a2a_3a4a, true));
        assert!(ready[0].error.as_deref().unwrap().contains("0x1a2a3a4a"));
        // A small datagram of an unknown version starts nothing.
        let mut t = table();
        feed(&mut t, 1, true, &p[..100]);
        assert_eq!(t.stats().flows, 0);
    }

    #[test]
    fn the_flow_cap_counts_quic_connections() {
        let mut t = FlowTable::new(Limits {
            max_flows: 2,
            max_stream_bytes: 16 * 1024,
            idle_timeout_us: 1_000_000,
        });
        for port in 0..3u16 {
            let dcid = [port as u8; 8];
            let keys = InitialKeys::new(&dcid).unwrap();
            let p = client_initials(&keys.client, &dcid, &CSCID, &[], 0, &pq_hello()[..500])
                .unwrap()
                .remove(0);
            let src: SocketAddr = format!("10.0.0.1:{}", 40000 + port).parse().unwrap();
            t.segment(
                1,
                &Segment {
                    udp: true,
                    src,
                    dst: ends().1,
                    seq: 0,
                    flags: 0,
                    payload: &p,
                    cut: false,
                },
            );
        }
        assert_eq!(
            (t.stats().flows, t.stats().flows_dropped, t.len()),
            (2, 1, 2)
        );
        // The idle timeout frees them (a datagram well after, from elsewhere).
        feed(&mut t, 5_000_000, true, &[0; 4]);
        assert_eq!(t.len(), 0);
    }
}
