//! The inspect capture loop over an arbitrary client byte stream: record
//! parsing, reassembly, caps and the final ClientHello decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::inspect::capture::{capture, CaptureLimits};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let limits = CaptureLimits {
        max_hello: 8192,
        timeout: Duration::from_secs(5),
    };
    runtime.block_on(async {
        let mut stream = data;
        let _ = capture(&mut stream, limits).await;
    });
});
