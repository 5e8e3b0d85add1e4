//! `observe --filter`: the filter parser (user input) and its matcher on
//! arbitrary text: an error or a filter, never a panic or a stack overflow.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pqready::observe::filter::fuzz(data);
});
