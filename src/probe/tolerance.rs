//! Big-ClientHello tolerance: does the endpoint (and whatever sits in front
//! of it) still work when the ClientHello is post-quantum sized, split
//! across TCP segments, split across TLS records, or larger still?
//!
//! A PQ key share makes the hello ~1.5 KB: more than one TCP segment on real
//! networks. Servers and proxies that read once and assume the whole hello
//! arrived (the ingress-nginx SSL passthrough bug) or middleboxes that cannot
//! reassemble a hello split across records drop or misroute PQ clients
//! (tldr.fail). The variants, one connection each, reported in this order
//! (the split one is sent last, see [`check`]):
//!
//! - `control`: a small classical hello (rustls, classical groups only), one write;
//! - `pq-one-segment`: rustls' PQ hello, one write (the PQ baseline; when the
//!   handshake check runs, its connection is this variant, see [`check`]);
//! - `pq-split-segments`: the same record in two TCP writes — 8 bytes, a pause, the rest.
//!   The pause follows the path: twice the connection's smoothed round-trip time as the
//!   kernel measured it (`TCP_INFO`), at least [`SPLIT_PAUSE_FLOOR`] (what still makes the
//!   two writes two reads for a server on loopback, where the round trip is microseconds)
//!   and at most 200 ms or a quarter of `--timeout`;
//! - `pq-multi-record`: the same hello re-framed into records of 1, 3, 16, 128 and 512
//!   bytes and the rest, in one write;
//! - `padded-4k`: a hello padded to 4 KiB, one record, one write (ServerHello expected).
//!
//! The first four complete a real rustls handshake through a shaping pump
//! (rustls → in-memory pipe → reshaped first flight → socket), so record
//! framing changes but the handshake bytes and transcript do not; each records
//! how it ended and the leaf certificate's SHA-256, which shows a connection
//! that was routed to a different server. Facts only; `assess` decides.

use super::exchange::{describe, ReadUntil, Reply};
use super::handshake::{
    client_config, pumped_handshake, Failure, HandshakeObservation, Shape, ONE_WRITE,
};
use super::Session;
use crate::catalog::profile;
use crate::net::Segmenting;
use crate::vocab::{Ending, ErrorKind, ToleranceVariant};
use crate::wire::NamedGroup;
use serde::Serialize;
use std::time::Duration;

/// Bytes in the first TCP segment of the split variant.
const FIRST_SEGMENT: usize = 8;
/// The split variant's shortest pause between its two writes. A server
/// that reads once must have been woken by the first 8 bytes before the
/// rest arrives; on loopback (tens of microseconds of round trip) this
/// floor alone decides.
pub const SPLIT_PAUSE_FLOOR: Duration = Duration::from_millis(50);
/// The split variant's longest pause (a quarter of `--timeout` if less).
const SPLIT_PAUSE_CAP: Duration = Duration::from_millis(200);
/// Record sizes of the multi-record variant (the rest goes in a last record).
const RECORD_SIZES: [usize; 5] = [1, 3, 16, 128, 512];
/// Size the padded variant's hello is grown to.
const PADDED_SIZE: usize = 4096;

/// What happened to one variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct VariantObservation {
    /// Which variant (see the module docs).
    pub name: ToleranceVariant,
    /// How the connection ended.
    pub ending: Ending,
    /// One line about it.
    pub detail: String,
    /// Size of the ClientHello record(s) sent, in bytes.
    pub hello_bytes: usize,
    /// SHA-256 of the leaf certificate, hex, when a handshake completed.
    pub leaf_sha256: Option<String>,
    /// Negotiated group, when known.
    pub negotiated_group: Option<NamedGroup>,
    /// The pause between the split variant's two writes, in milliseconds
    /// (null for the other variants, and when no connection was made).
    #[serde(default)]
    pub pause_ms: Option<u64>,
    /// Connections this variant took: 2 when a first failure that was not
    /// the server's own answer (a reset, a timeout, a close) was tried again
    /// to confirm it; the observation is the second one's.
    #[serde(default = "one_attempt")]
    pub attempts: u8,
}

fn one_attempt() -> u8 {
    1
}

/// Runs every variant, one after the other. With `handshake` (the
/// handshake check's connection: rustls' PQ hello, one record, one write),
/// that connection is the `pq-one-segment` variant instead of a new one.
pub async fn check(
    session: &Session,
    handshake: Option<&HandshakeObservation>,
) -> Vec<VariantObservation> {
    let split = Shape {
        reframe: None,
        segmenting: Segmenting::SplitForPath {
            first: FIRST_SEGMENT,
            floor: SPLIT_PAUSE_FLOOR,
            cap: (session.timeout / 4).min(SPLIT_PAUSE_CAP),
        },
    };
    let multi = Shape {
        reframe: Some(reframe),
        segmenting: Segmenting::OneWrite,
    };
    // The split variant goes last: during its pause the probe gives its
    // concurrency slot to other endpoints, and only one short handshake is
    // left after it. The report keeps the table order.
    let control = shaped(session, ToleranceVariant::Control, true, ONE_WRITE).await;
    let confirm = control.ending == Ending::Completed;
    let reused = handshake.map(|handshake| one_segment_of(session, handshake));
    let one_segment = confirmed(confirm, reused, || {
        shaped(session, ToleranceVariant::PqOneSegment, false, ONE_WRITE)
    })
    .await;
    let multi_record = confirmed(confirm, None, || {
        shaped(session, ToleranceVariant::PqMultiRecord, false, multi)
    })
    .await;
    let padded = confirmed(confirm, None, || padded(session)).await;
    let split = confirmed(confirm, None, || {
        shaped(session, ToleranceVariant::PqSplitSegments, false, split)
    })
    .await;
    vec![control, one_segment, split, multi_record, padded]
}

/// The `pq-one-segment` variant as the handshake check's connection saw it.
fn one_segment_of(session: &Session, handshake: &HandshakeObservation) -> VariantObservation {
    let obs = VariantObservation {
        name: ToleranceVariant::PqOneSegment,
        ending: match (&handshake.error, handshake.error_kind) {
            (None, _) => Ending::Completed,
            (Some(_), Some(kind)) => ending_of(kind),
            (Some(_), None) => Ending::Error,
        },
        detail: match &handshake.error {
            None => format!(
                "handshake completed ({}; the handshake check's connection)",
                handshake
                    .negotiated_group
                    .map(|g| g.to_string())
                    .unwrap_or_default()
            ),
            Some(error) => format!("{error} (the handshake check's connection)"),
        },
        hello_bytes: handshake.hello_bytes,
        leaf_sha256: handshake.der_chain.first().map(|c| sha256_hex(c)),
        negotiated_group: handshake.negotiated_group,
        pause_ms: None,
        attempts: 1,
    };
    log_variant(session, &obs);
    obs
}

/// Runs a PQ variant (unless its `first` observation is already there), and
/// once more if it failed without an answer from the server (reset,
/// timeout, close) although the control completed: a full accept queue or a
/// lost segment looks like that once, while intolerance repeats, and a false
/// "intolerant" costs an operator more than one more connection does. An
/// alert is the server's answer and is never retried.
async fn confirmed<F, Fut>(
    control_completed: bool,
    first: Option<VariantObservation>,
    attempt: F,
) -> VariantObservation
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = VariantObservation>,
{
    let first = match first {
        Some(first) => first,
        None => attempt().await,
    };
    let unanswered = matches!(
        first.ending,
        Ending::Reset | Ending::Timeout | Ending::Closed
    );
    if !control_completed || !unanswered {
        return first;
    }
    let mut second = attempt().await;
    second.attempts = 2;
    second.detail = match second.ending {
        Ending::Completed => format!(
            "{} on the second attempt (the first: {})",
            second.detail, first.detail
        ),
        _ => format!("{} (twice; the first: {})", second.detail, first.detail),
    };
    second
}

/// How a failed variant ended, from the typed error kind.
fn ending_of(kind: ErrorKind) -> Ending {
    match kind {
        ErrorKind::Reset => Ending::Reset,
        ErrorKind::Timeout => Ending::Timeout,
        ErrorKind::Alert => Ending::Alert,
        ErrorKind::Closed => Ending::Closed,
        _ => Ending::Error,
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Re-frames one handshake record into several, per [`RECORD_SIZES`].
fn reframe(record: &[u8]) -> Vec<u8> {
    let (header, payload) = record.split_at(5);
    let mut out = Vec::with_capacity(record.len() + 5 * (RECORD_SIZES.len() + 1));
    let mut rest = payload;
    for size in RECORD_SIZES
        .iter()
        .copied()
        .chain(std::iter::once(usize::MAX))
    {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        out.extend_from_slice(&header[..3]);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
        rest = tail;
    }
    out
}

async fn shaped(
    session: &Session,
    name: ToleranceVariant,
    classical_only: bool,
    shape: Shape,
) -> VariantObservation {
    let mut obs = VariantObservation {
        name,
        ending: Ending::Error,
        detail: String::new(),
        hello_bytes: 0,
        leaf_sha256: None,
        negotiated_group: None,
        pause_ms: None,
        attempts: 1,
    };
    let limit = session.timeout + shape.segmenting.pause();
    let result = tokio::time::timeout(limit, async {
        let config = client_config(classical_only).map_err(|e| Failure::internal(e.to_string()))?;
        pumped_handshake(session, config, shape, |state| {
            let leaf = state
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| sha256_hex(c.as_ref()));
            let group = state
                .negotiated_key_exchange_group()
                .map(|g| NamedGroup(u16::from(g.name())));
            (leaf, group)
        })
        .await
    })
    .await;
    match result {
        Err(_) => {
            obs.ending = Ending::Timeout;
            obs.detail = "no answer before the deadline".into();
        }
        Ok(Err(failure)) => {
            obs.ending = ending_of(failure.kind);
            obs.detail = failure.detail;
            obs.hello_bytes = failure.hello_bytes;
            obs.pause_ms = split_pause(failure.pause);
        }
        Ok(Ok(((leaf, group), flight))) => {
            obs.hello_bytes = flight.bytes;
            obs.pause_ms = split_pause(flight.pause);
            obs.ending = Ending::Completed;
            obs.detail = format!(
                "handshake completed ({})",
                group.map(|g| g.to_string()).unwrap_or_default()
            );
            obs.leaf_sha256 = leaf;
            obs.negotiated_group = group;
        }
    }
    log_variant(session, &obs);
    obs
}

/// A pause worth reporting: only a split first flight has one.
fn split_pause(pause: Duration) -> Option<u64> {
    (!pause.is_zero()).then(|| u64::try_from(pause.as_millis()).unwrap_or(u64::MAX))
}

fn log_variant(session: &Session, obs: &VariantObservation) {
    tracing::debug!(
        target = %session.addr,
        variant = %obs.name,
        ending = %obs.ending,
        hello_bytes = obs.hello_bytes,
        pause_ms = obs.pause_ms,
        detail = %obs.detail,
        "big-hello variant"
    );
}

/// A hello padded to [`PADDED_SIZE`]: only the server's first answer is read.
async fn padded(session: &Session) -> VariantObservation {
    let mut spec = profile::find("go1.24")
        .map(|p| p.client_hello(session.sni.clone()))
        .unwrap_or_else(|| {
            crate::wire::ClientHelloSpec::tls13(vec![NamedGroup::X25519], Vec::new())
        });
    spec.pad_to = Some(PADDED_SIZE);
    // Size is what is tested, not authentication: every signature scheme,
    // so a server with only an ML-DSA certificate answers too.
    spec.signature_schemes = crate::wire::client_hello::DEFAULT_SIGNATURE_SCHEMES.to_vec();
    let mut obs = VariantObservation {
        name: ToleranceVariant::Padded4k,
        ending: Ending::Error,
        detail: String::new(),
        hello_bytes: PADDED_SIZE + 5,
        leaf_sha256: None,
        negotiated_group: None,
        pause_ms: None,
        attempts: 1,
    };
    match session.hello(spec, ReadUntil::ServerHello).await {
        Ok(Reply::Hello { hello, .. }) => {
            obs.ending = Ending::Completed;
            obs.negotiated_group = hello.selected_share().ok().flatten().map(|s| s.group);
            obs.detail = format!(
                "server answered with a {}",
                describe(&Reply::Hello {
                    hello,
                    tls12_curve: None
                })
            );
        }
        Ok(Reply::Alert(a)) => {
            obs.ending = Ending::Alert;
            obs.detail = format!("alert {}", a.description);
        }
        Ok(other) => obs.detail = format!("server sent {}", describe(&other)),
        Err(e) => {
            obs.ending = ending_of(e.kind());
            obs.detail = e.to_string();
        }
    }
    log_variant(session, &obs);
    obs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reframes_into_small_records_carrying_the_same_bytes() {
        let payload: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
        let mut record = vec![22, 3, 1];
        record.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        record.extend_from_slice(&payload);
        let out = reframe(&record);
        let mut rest = &out[..];
        let mut sizes = Vec::new();
        let mut joined = Vec::new();
        while !rest.is_empty() {
            let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
            assert_eq!(&rest[..3], &[22, 3, 1]);
            sizes.push(len);
            joined.extend_from_slice(&rest[5..5 + len]);
            rest = &rest[5 + len..];
        }
        assert_eq!(sizes, [1, 3, 16, 128, 512, 840]);
        assert_eq!(joined, payload);
    }
}
