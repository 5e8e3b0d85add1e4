//! The facts one hello gives, whichever transport carried it: a
//! ClientHello's offer (groups, shares, JA4, the closest client profile), a
//! ServerHello's or HelloRetryRequest's answer, and the record's time.
//!
//! Owns: turning parsed hellos into [`HelloFacts`] and [`ServerFacts`],
//! shared by the TCP flows ([`super::flow`]) and the QUIC ones
//! ([`super::quic`]). Must not: reassemble or judge (that is `assess`).

use super::{HelloFacts, ServerFacts};
use crate::inspect::ShareSize;
use crate::vocab::Transport;
use crate::wire::{ClientHello, NamedGroup, ProtocolVersion, ServerHello};

/// Folds one ServerHello or HelloRetryRequest into `facts`: true once the
/// answer is final (a TLS 1.3 ServerHello); false after a
/// HelloRetryRequest (the final ServerHello follows the second ClientHello)
/// or a TLS 1.2 ServerHello (its ServerKeyExchange follows).
pub(super) fn read_server_hello(facts: &mut Option<ServerFacts>, hello: &ServerHello) -> bool {
    let share = hello.selected_share().ok().flatten().map(|s| s.group);
    if hello.is_hello_retry_request() {
        let f = facts.get_or_insert(ServerFacts {
            version: None,
            cipher_suite: None,
            negotiated_group: None,
            hello_retry: true,
            hello_retry_group: None,
        });
        f.hello_retry = true;
        f.hello_retry_group = share;
        return false;
    }
    let version = hello.selected_version().ok();
    let (hello_retry, hello_retry_group) = facts
        .as_ref()
        .map_or((false, None), |f| (f.hello_retry, f.hello_retry_group));
    *facts = Some(ServerFacts {
        version,
        cipher_suite: Some(hello.cipher_suite),
        negotiated_group: share,
        hello_retry,
        hello_retry_group,
    });
    version == Some(ProtocolVersion::TLS1_3)
}

/// The facts of one ClientHello; `transport` picks JA4's first letter.
pub fn describe(hello: &ClientHello, len: usize, records: u32, transport: Transport) -> HelloFacts {
    let groups = hello.groups().unwrap_or_default();
    let shares = hello.key_shares().unwrap_or_default();
    let signature_schemes = hello.signature_schemes().unwrap_or_default();
    let share_groups: Vec<NamedGroup> = shares.iter().map(|k| k.group).collect();
    let matched = crate::catalog::profile::closest(&groups, &share_groups, &signature_schemes);
    let mut versions = hello.versions().unwrap_or_default();
    if versions.is_empty() {
        versions = vec![hello.legacy_version];
    }
    HelloFacts {
        sni: hello.server_name().ok().flatten(),
        alpn: hello
            .alpn()
            .unwrap_or_default()
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
        versions,
        key_shares: shares
            .iter()
            .map(|k| ShareSize {
                group: k.group,
                length: k.payload.len(),
            })
            .collect(),
        groups,
        signature_schemes,
        cipher_suites: hello.cipher_suites.clone(),
        length: len,
        records,
        ja4: match transport {
            Transport::Tcp => crate::inspect::ja4::ja4(hello),
            Transport::Quic => crate::inspect::ja4::ja4_quic(hello),
        },
        profile_match: matched.as_ref().map(|m| m.id.clone()),
        profile_match_exact: matched.is_some_and(|m| m.exact),
    }
}

/// `time_us` (microseconds since the epoch) as RFC 3339 with microseconds.
pub fn rfc3339_us(time_us: i64) -> String {
    let secs = time_us.div_euclid(1_000_000);
    let micros = time_us.rem_euclid(1_000_000);
    let whole = crate::time::rfc3339_seconds(secs);
    match whole.strip_suffix('Z') {
        Some(head) => format!("{head}.{micros:06}Z"),
        None => whole,
    }
}
