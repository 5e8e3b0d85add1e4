//! ClientHello decoding and everything `pqready inspect` derives from it:
//! accessors, JA4, the profile match and the JSON record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::inspect::capture::Capture;
use pqready::inspect::ClientObservation;
use pqready::report::inspect::InspectRecord;
use pqready::wire::ClientHello;

fuzz_target!(|data: &[u8]| {
    let Ok(hello) = ClientHello::parse(data) else {
        return;
    };
    let capture = Capture {
        raw: data.to_vec(),
        tcp_reads: 1,
        records: 1,
        hello_len: data.len(),
        result: Ok(hello),
    };
    let observed = ClientObservation::from_capture(
        "127.0.0.1:1".parse().unwrap(),
        std::time::SystemTime::UNIX_EPOCH,
        &capture,
    );
    let assessed = pqready::assess::Judge::default().inspected(&observed);
    let record = InspectRecord::new(observed, assessed);
    let _ = pqready::report::json::line(&record);
});
