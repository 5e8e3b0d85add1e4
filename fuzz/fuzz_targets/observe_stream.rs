//! TCP reassembly and the flow table: arbitrary segments (offsets, flags,
//! payloads) of one connection into the reassembler and the flow table;
//! neither may panic, and neither may hold more than its byte limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::observe::flow::{FlowTable, Limits};
use pqready::observe::packet::Segment;
use pqready::observe::stream::StreamReassembler;

fuzz_target!(|data: &[u8]| {
    let mut stream = StreamReassembler::new(4096);
    let mut table = FlowTable::new(Limits {
        max_flows: 4,
        max_stream_bytes: 4096,
        idle_timeout_us: 1_000,
    });
    let a = "10.0.0.1:40000".parse().unwrap();
    let b = "10.0.0.2:443".parse().unwrap();
    // Each segment: 4 bytes seq, 1 byte flags, 1 byte length, payload.
    let mut rest = data;
    let mut t = 0i64;
    while rest.len() >= 6 {
        let seq = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let flags = rest[4];
        let len = usize::from(rest[5]).min(rest.len() - 6);
        let payload = &rest[6..6 + len];
        rest = &rest[6 + len..];
        stream.push(seq, payload);
        assert!(stream.held() <= 4096);
        let (src, dst) = if flags & 0x80 == 0 { (a, b) } else { (b, a) };
        t += i64::from(flags & 0x0f);
        table.segment(t, &Segment { udp: false, src, dst, seq, flags: flags & 0x17, payload, cut: false });
        let _ = stream.take_contiguous();
    }
    table.finish();
    let _ = table.take_ready();
});
