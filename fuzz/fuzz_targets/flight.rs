//! The sans-I/O flight reader over an arbitrary byte stream, from either
//! side: framing, alerts, reassembly and hello decoding, fed in chunks whose
//! size the first byte picks (the reader must not care where reads end).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::wire::{FlightLimits, FlightReader, Sender};

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let sender = if control & 1 == 0 {
        Sender::Client
    } else {
        Sender::Server
    };
    let step = usize::from(control >> 1).max(1);
    let limits = FlightLimits {
        max_message: 4096,
        max_total: 16384,
    };
    let mut reader = FlightReader::new(sender, limits);
    for chunk in rest.chunks(step) {
        reader.push(chunk);
        while let Ok(Some(_)) = reader.next_event() {}
    }
    let _ = (reader.records(), reader.partial_record(), reader.has_partial());
});
