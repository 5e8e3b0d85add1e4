//! ServerHello / HelloRetryRequest / TLS 1.2 ServerKeyExchange decoding: what
//! every probe reads from untrusted servers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::wire::server_hello::server_key_exchange_curve;
use pqready::wire::ServerHello;

fuzz_target!(|data: &[u8]| {
    if let Ok(hello) = ServerHello::parse(data) {
        let _ = hello.selected_version();
        let _ = hello.selected_share();
        let _ = hello.is_hello_retry_request();
    }
    let _ = server_key_exchange_curve(data);
});
