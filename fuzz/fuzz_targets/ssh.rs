//! SSH identification line, binary packet, KEXINIT and DISCONNECT decoding:
//! what the ssh probe reads from untrusted servers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::wire::ssh;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((_, used))) = ssh::parse_identification(data) {
        assert!(used <= data.len());
    }
    if let Ok(Some((payload, used))) = ssh::parse_packet(data) {
        assert!(used <= data.len() && payload.len() < used);
        if let Ok(init) = ssh::KexInit::parse(payload) {
            assert!(init.kex.len() <= ssh::MAX_NAMES);
            // What parses re-encodes to the same message.
            assert_eq!(ssh::KexInit::parse(&init.encode()).as_ref(), Ok(&init));
        }
        let _ = ssh::parse_disconnect(payload);
    }
    let _ = ssh::KexInit::parse(data);
});
