//! Test-only builders of wire messages, shared by the tests of `wire`,
//! `inspect` and `observe` so that each builds a ServerHello the same way.
//!
//! Owns: writing the test inputs the parsers read. Must not: be compiled
//! outside `cfg(test)`, or hold any check (the tests assert).

use super::codec::{put_u16, put_vec_u16, put_vec_u8};
use super::record::handshake_message;
use super::server_hello::HANDSHAKE_SERVER_HELLO;

/// The session id a TLS 1.3 server echoes in these tests (over TCP);
/// QUIC's is empty.
pub const ECHOED_SESSION_ID: [u8; 32] = [1; 32];

/// A ServerHello body: legacy version 1.2, `random`, `session_id`,
/// `suite`, no compression, then `extensions` (type, body) in order.
pub fn server_hello_body(
    random: [u8; 32],
    session_id: &[u8],
    suite: u16,
    extensions: &[(u16, Vec<u8>)],
) -> Vec<u8> {
    let mut b = Vec::new();
    put_u16(&mut b, 0x0303);
    b.extend_from_slice(&random);
    put_vec_u8(&mut b, session_id);
    put_u16(&mut b, suite);
    b.push(0);
    let mut e = Vec::new();
    for (typ, body) in extensions {
        put_u16(&mut e, *typ);
        put_vec_u16(&mut e, body);
    }
    put_vec_u16(&mut b, &e);
    b
}

/// A `key_share` extension body as a server sends it: `group` and a share
/// of `len` bytes, or the group alone when `len` is 0 (a HelloRetryRequest).
pub fn server_key_share(group: u16, len: usize) -> Vec<u8> {
    let mut ks = Vec::new();
    put_u16(&mut ks, group);
    if len > 0 {
        put_vec_u16(&mut ks, &vec![7; len]);
    }
    ks
}

/// A TLS 1.3 ServerHello handshake message (a HelloRetryRequest with its
/// random) choosing TLS_AES_128_GCM_SHA256 and `group`, with a share of
/// `share` bytes (0: none).
pub fn tls13_server_hello(
    random: [u8; 32],
    session_id: &[u8],
    group: u16,
    share: usize,
) -> Vec<u8> {
    let extensions = [(43, vec![3, 4]), (51, server_key_share(group, share))];
    handshake_message(
        HANDSHAKE_SERVER_HELLO,
        &server_hello_body(random, session_id, 0x1301, &extensions),
    )
}

/// Bytes from hex digits, whitespace ignored (RFC test vectors).
pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
