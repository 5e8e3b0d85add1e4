//! STARTTLS reply parsing: what every connection to a STARTTLS target reads
//! from an untrusted server before TLS. The first byte picks the protocol,
//! the rest is cut into the server's replies at each 0xff byte and fed as a
//! prober feeds them (consumed bytes dropped, more appended); the parser must
//! never panic, never claim more bytes than it was given, and end within its
//! fixed number of steps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::vocab::Protocol;
use pqready::wire::starttls::{Preamble, Progress, MAX_REPLY};

const PROTOCOLS: [Protocol; 8] = [
    Protocol::Postgres,
    Protocol::Mysql,
    Protocol::Smtp,
    Protocol::Imap,
    Protocol::Pop3,
    Protocol::Ldap,
    Protocol::Xmpp,
    Protocol::Ftp,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let protocol = PROTOCOLS[pick as usize % PROTOCOLS.len()];
    let mut preamble = Preamble::new(protocol, "fuzz.example").unwrap();
    let _ = preamble.opening();
    let mut buf: Vec<u8> = Vec::new();
    let mut steps = 0;
    'replies: for reply in rest.split(|&b| b == 0xff) {
        buf.extend_from_slice(reply);
        loop {
            steps += 1;
            assert!(steps < 10_000);
            match preamble.on_reply(&buf) {
                Progress::NeedMore => {
                    assert!(buf.len() < MAX_REPLY);
                    break;
                }
                Progress::Proceed { consumed, .. } => {
                    assert!(consumed <= buf.len());
                    buf.drain(..consumed);
                    if buf.is_empty() || consumed == 0 {
                        break;
                    }
                }
                Progress::Refused(words) | Progress::Garbage(words) => {
                    assert!(words.chars().all(|c| c == '…' || c.is_ascii_graphic() || c == ' '));
                    break 'replies;
                }
                Progress::Ready { .. } => break 'replies,
            }
        }
    }
});
