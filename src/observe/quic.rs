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

use super::flow::{describe, read_server_hello, rfc3339_us};
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
    use crate::wire::codec::{put_u16, put_vec_u16, put_vec_u8};
    use crate::wire::quic::{client_initials, put_varint, seal_initial, seal_retry};
    use crate::wire::record::handshake_message;
    use crate::wire::server_hello::HELLO_RETRY_REQUEST_RANDOM;
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

    fn server_hello(random: [u8; 32], group: NamedGroup, share: usize) -> Vec<u8> {
        let mut b = Vec::new();
        put_u16(&mut b, 0x0303);
        b.extend_from_slice(&random);
        put_vec_u8(&mut b, &[]);
        put_u16(&mut b, 0x1301);
        b.push(0);
        let mut ks = Vec::new();
        put_u16(&mut ks, group.0);
        if share > 0 {
            put_vec_u16(&mut ks, &vec![7; share]);
        }
        let mut e = Vec::new();
        put_u16(&mut e, 43);
        put_vec_u16(&mut e, &[3, 4]);
        put_u16(&mut e, 51);
        put_vec_u16(&mut e, &ks);
        put_vec_u16(&mut b, &e);
        handshake_message(2, &b)
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
