//! QUIC in the flow table: arbitrary UDP datagrams of one connection, each
//! way, into the flow table (whose QUIC flows decrypt Initials, follow
//! Retries and reassemble CRYPTO streams), and the observer's packet
//! splitter and opener directly. Random bytes rarely decrypt, so each input
//! may also be sealed as a client or server Initial's payload: its frames
//! (CRYPTO at any offset, overlapping, out of order) reach the reassembly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::observe::flow::{FlowTable, Limits};
use pqready::observe::packet::Segment;
use pqready::wire::quic::{seal_initial, split_long, InitialKeys, LongPacket};

const DCID: [u8; 8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
const SCID: [u8; 4] = [1, 2, 3, 4];

fuzz_target!(|data: &[u8]| {
    let keys = InitialKeys::new(&DCID).expect("keys");
    if let Ok((LongPacket::Packet(long), _)) = split_long(data) {
        let _ = long.open(&keys.client, None);
        let _ = long.retry_authentic(&DCID);
    }
    let mut table = FlowTable::new(Limits {
        max_flows: 4,
        max_stream_bytes: 4096,
        idle_timeout_us: 1_000,
    });
    let a = "10.0.0.1:40000".parse().unwrap();
    let b = "10.0.0.2:443".parse().unwrap();
    // Each datagram: 1 byte kind, 2 bytes length, bytes. Kind bit 0: from
    // the server; bit 1: seal the bytes as an Initial's payload.
    let mut rest = data;
    let mut t = 0i64;
    let mut pn = 0u64;
    while rest.len() >= 3 {
        let kind = rest[0];
        let len = usize::from(u16::from_be_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let body = &rest[3..3 + len];
        rest = &rest[3 + len..];
        let server = kind & 1 != 0;
        let sealed;
        let payload = if kind & 2 != 0 {
            let mut frames = body.to_vec();
            frames.resize(frames.len().max(1162), 0);
            let (k, dcid, scid): (_, &[u8], &[u8]) = if server {
                (&keys.server, &SCID, &[9; 8])
            } else {
                (&keys.client, &DCID, &SCID)
            };
            pn += 1;
            match seal_initial(k, dcid, scid, &[], pn, &frames) {
                Ok(p) => {
                    sealed = p;
                    &sealed[..]
                }
                Err(_) => continue,
            }
        } else {
            body
        };
        let (src, dst) = if server { (b, a) } else { (a, b) };
        t += i64::from(kind >> 4);
        table.segment(t, &Segment { udp: true, src, dst, seq: 0, flags: 0, payload, cut: false });
    }
    table.finish();
    let _ = table.take_ready();
});
