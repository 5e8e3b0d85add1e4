//! QUIC server datagrams (long headers, Retry, Version Negotiation, Initial
//! decryption), Initial frames and CRYPTO reassembly: what a QUIC probe
//! reads from untrusted servers. The frame parser and the reassembly are
//! also fed directly, since random bytes rarely survive decryption.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::wire::quic::{parse_datagram, parse_frames, CryptoStream, Frame, InitialKeys};

const DCID: [u8; 8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];

fuzz_target!(|data: &[u8]| {
    let keys = InitialKeys::new(&DCID).expect("keys");
    let _ = parse_datagram(data, &keys.server, &DCID, &[]);
    let _ = parse_datagram(data, &keys.server, &DCID, &DCID);
    if let Ok(frames) = parse_frames(data) {
        let mut stream = CryptoStream::default();
        for f in &frames {
            let _ = f.alert();
            if let Frame::Crypto { offset, data } = f {
                let _ = stream.push(*offset, data);
            }
        }
        let _ = stream.first_message();
    }
});
