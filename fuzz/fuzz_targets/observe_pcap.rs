//! The pcap path end to end: arbitrary bytes as a pcap or pcapng file
//! through the file reader, frame decoding and the flow table.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::observe::flow::{FlowTable, Limits};

fuzz_target!(|data: &[u8]| {
    let mut table = FlowTable::new(Limits {
        max_flows: 16,
        ..Limits::default()
    });
    let _ = pqready::observe::pcap::read(data, "fuzz", &mut table, |_| {});
    table.finish();
    let _ = table.take_ready();
    // Frames alone, under every link type pqready reads.
    for link in [0, 1, 101, 108, 113, 228, 229, 276] {
        let _ = pqready::observe::packet::decode(link, data);
    }
});
