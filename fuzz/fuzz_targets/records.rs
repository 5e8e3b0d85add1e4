//! Record framing: headers, alerts and handshake reassembly over arbitrary
//! record boundaries (the first byte picks the chunk size).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::wire::{Alert, HandshakeReassembler, RecordHeader};

fuzz_target!(|data: &[u8]| {
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    if rest.len() >= 5 {
        let _ = RecordHeader::parse(&rest[..5].try_into().unwrap());
    }
    let _ = Alert::parse(rest);
    let mut reassembler = HandshakeReassembler::new(4096);
    for chunk in rest.chunks(usize::from(step.max(1))) {
        if reassembler.push(chunk).is_err() {
            break;
        }
        while let Ok(Some(_)) = reassembler.next_message() {}
    }
});
