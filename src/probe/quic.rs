//! One ClientHello out over QUIC v1, the server's first answer back.
//!
//! Owns: the UDP side of a QUIC probe — fresh connection IDs, the client's
//! Initial(s) carrying the hello (two when it does not fit one: every
//! post-quantum hello), retransmission while the server is silent, Retry
//! (resent once with the server's token), Version Negotiation, and reading
//! the server's Initials until its ServerHello, HelloRetryRequest or
//! CONNECTION_CLOSE — mapped onto the same [`Reply`] a TCP exchange gives,
//! so group discovery runs unchanged over QUIC. Then the QUIC form of the
//! big-hello test ([`tolerance`]): is a hello that spans two Initials
//! answered like one that fits in one? The whole handshakes of the
//! `handshake` and `certificates` checks are quinn's, in [`handshake`].
//!
//! Bounded: one deadline per exchange, at most [`RESENDS`] retransmissions,
//! at most [`MAX_DATAGRAMS`] datagrams and [`MAX_BYTES`] read. Facts only.

pub mod handshake;

use super::exchange::Reply;
use super::tolerance::VariantObservation;
use super::Session;
use crate::net::{Datagrams, NetError};
use crate::vocab::{Ending, ToleranceVariant};
use crate::wire::keyshare::key_share;
use crate::wire::quic::{
    client_close, client_initials, client_transport_parameters, parse_datagram, CryptoStream,
    InitialKeys, ServerPacket,
};
use crate::wire::server_hello::HANDSHAKE_SERVER_HELLO;
use crate::wire::{Alert, AlertDescription, ClientHelloSpec, NamedGroup, ServerHello, WireError};
use serde::Serialize;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::time::Instant;

/// Retransmissions of the client's Initials while the server says nothing.
pub const RESENDS: u32 = 2;
/// The most datagrams read for one answer.
pub const MAX_DATAGRAMS: u32 = 64;
/// The most bytes read for one answer.
pub const MAX_BYTES: usize = 256 * 1024;

/// The ALPN every HTTP/3 server expects; without one, a QUIC server refuses.
pub const ALPN_H3: &[u8] = b"h3";

/// What the QUIC exchanges of one target cost and met.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct QuicObservation {
    /// UDP datagrams sent, retransmissions and closing Initials included.
    pub datagrams_sent: u32,
    /// UDP datagrams received.
    pub datagrams_received: u32,
    /// Retry packets the server sent (each answered by resending the
    /// Initials with its token).
    pub retries: u32,
    /// Exchanges whose ClientHello spanned two Initial packets.
    pub split_hellos: u32,
}

/// Counters shared by every exchange of one target.
#[derive(Debug, Default)]
pub struct QuicCounters {
    sent: AtomicU32,
    received: AtomicU32,
    retries: AtomicU32,
    split: AtomicU32,
}

impl QuicCounters {
    /// What was counted so far.
    pub fn observation(&self) -> QuicObservation {
        QuicObservation {
            datagrams_sent: self.sent.load(Ordering::Relaxed),
            datagrams_received: self.received.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            split_hellos: self.split.load(Ordering::Relaxed),
        }
    }
}

/// Makes a ClientHello QUIC's: TLS 1.3 only, no legacy session ID (RFC
/// 9001 §8.4), ALPN h3 unless the caller chose one, and the transport
/// parameters naming `scid`.
pub fn quic_hello(mut spec: ClientHelloSpec, scid: &[u8]) -> ClientHelloSpec {
    spec.versions = vec![crate::wire::ProtocolVersion::TLS1_3];
    spec.session_id.clear();
    if spec.alpn.is_empty() {
        spec.alpn = vec![ALPN_H3.to_vec()];
    }
    spec.extra_extensions
        .push(client_transport_parameters(scid));
    spec
}

/// What one exchange produced: the answer and how many Initials the hello took.
#[derive(Debug)]
pub struct Answer {
    /// The server's answer.
    pub reply: Reply,
    /// Initial packets the ClientHello was carried in.
    pub initials: usize,
    /// The encoded ClientHello's size.
    pub hello_bytes: usize,
}

fn random_cid() -> Result<[u8; 8], NetError> {
    let mut cid = [0u8; 8];
    aws_lc_rs::rand::fill(&mut cid).map_err(|_| NetError::Io("no randomness".into()))?;
    Ok(cid)
}

fn internal(e: WireError) -> NetError {
    NetError::Io(format!("cannot build a QUIC Initial: {e}"))
}

/// Sends `spec` in client Initial(s) to `addr` and reads the server's answer
/// before `limit` is over.
pub async fn exchange(
    addr: std::net::SocketAddr,
    spec: ClientHelloSpec,
    limit: std::time::Duration,
    counters: &QuicCounters,
) -> Result<Answer, NetError> {
    let deadline = Instant::now() + limit;
    let socket = Datagrams::open(addr).await?;
    let odcid = random_cid()?;
    let scid = random_cid()?;
    let hello = quic_hello(spec, &scid).encode();
    let mut dcid = odcid.to_vec();
    let mut token: Vec<u8> = Vec::new();
    let mut keys = InitialKeys::new(&dcid).map_err(internal)?;
    let mut pn = 0u64;

    let flight = |keys: &InitialKeys, dcid: &[u8], token: &[u8], pn: u64| {
        client_initials(&keys.client, dcid, &scid, token, pn, &hello).map_err(internal)
    };
    let mut packets = flight(&keys, &dcid, &token, pn)?;
    let initials = packets.len();
    if initials > 1 {
        counters.split.fetch_add(1, Ordering::Relaxed);
    }
    send_all(&socket, &packets, counters).await?;
    pn += packets.len() as u64;

    let mut heard = false;
    let mut retried = false;
    let mut resends = 0;
    let mut resend_at = Instant::now() + limit / (RESENDS + 1);
    let mut stream = CryptoStream::default();
    let mut noise: Option<String> = None;
    let mut read = 0usize;
    let mut datagrams = 0u32;
    let mut buf = vec![0u8; 65_536];
    let reply = loop {
        let wake = if heard || resends >= RESENDS {
            deadline
        } else {
            resend_at.min(deadline)
        };
        let n = match socket.recv_until(wake, &mut buf).await? {
            Some(n) => n,
            None if Instant::now() >= deadline => match noise.take() {
                _ if !stream.contiguous().is_empty() => {
                    break Reply::Malformed(format!(
                        "the server's Initials carried {} bytes of its first handshake message, then stopped",
                        stream.contiguous().len()
                    ))
                }
                Some(noise) => break Reply::NotTls(noise),
                None => return Err(NetError::Timeout("the QUIC Initial exchange")),
            },
            None => {
                // Lost on the way, either way: the same hello again, new numbers.
                packets = flight(&keys, &dcid, &token, pn)?;
                send_all(&socket, &packets, counters).await?;
                pn += packets.len() as u64;
                resends += 1;
                resend_at = Instant::now() + limit / (RESENDS + 1);
                continue;
            }
        };
        counters.received.fetch_add(1, Ordering::Relaxed);
        datagrams += 1;
        read += n;
        if datagrams > MAX_DATAGRAMS || read > MAX_BYTES {
            break Reply::Malformed(format!(
                "server sent {datagrams} datagrams ({read} bytes) without a ServerHello"
            ));
        }
        let packets = match parse_datagram(&buf[..n], &keys.server, &odcid, &scid) {
            Ok(p) => p,
            Err(e) => {
                // Maybe noise on the port, maybe a broken server: only an
                // answer if nothing better comes before the deadline.
                noise.get_or_insert_with(|| describe_noise(&buf[..n], &e));
                continue;
            }
        };
        let mut answer = None;
        for packet in packets {
            match packet {
                ServerPacket::VersionNegotiation(versions) => {
                    let list: Vec<String> = versions.iter().map(|v| format!("{v:#010x}")).collect();
                    answer = Some(Reply::NotTls(format!(
                        "a QUIC Version Negotiation packet: the server does not speak QUIC v1 (it lists {})",
                        list.join(", ")
                    )));
                }
                ServerPacket::Retry { scid: to, token: t } if !retried && !heard => {
                    retried = true;
                    counters.retries.fetch_add(1, Ordering::Relaxed);
                    dcid = to;
                    token = t;
                    keys = InitialKeys::new(&dcid).map_err(internal)?;
                    let again = flight(&keys, &dcid, &token, pn)?;
                    send_all(&socket, &again, counters).await?;
                    pn += again.len() as u64;
                }
                // RFC 9000 §17.2.5.2: one Retry per connection attempt.
                ServerPacket::Retry { .. } => {}
                ServerPacket::Initial { frames, .. } => {
                    heard = true;
                    for frame in frames {
                        if let Some(a) = frame.alert() {
                            answer = answer.or(Some(Reply::Alert(Alert {
                                level: 2,
                                description: AlertDescription(a),
                            })));
                        } else if let crate::wire::quic::Frame::Close { code, reason, .. } = &frame
                        {
                            answer = answer.or(Some(Reply::Malformed(format!(
                                "the server closed the connection with QUIC error {code:#x} ({reason})"
                            ))));
                        } else if let crate::wire::quic::Frame::Crypto { offset, data } = &frame {
                            if let Err(e) = stream.push(*offset, data) {
                                answer = answer.or(Some(Reply::Malformed(e.to_string())));
                            }
                        }
                    }
                    if answer.is_none() {
                        answer = first_message(&stream);
                    }
                }
                ServerPacket::Opaque => {}
            }
            if answer.is_some() {
                break;
            }
        }
        if let Some(reply) = answer {
            break reply;
        }
    };
    if heard {
        // Best effort: the server may drop its state now rather than at its idle timeout.
        if let Ok(close) = client_close(&keys.client, &dcid, &scid, &token, pn) {
            let _ = send_all(&socket, &[close], counters).await;
        }
    }
    Ok(Answer {
        reply,
        initials,
        hello_bytes: hello.len(),
    })
}

async fn send_all(
    socket: &Datagrams,
    packets: &[Vec<u8>],
    counters: &QuicCounters,
) -> Result<(), NetError> {
    for p in packets {
        socket.send(p).await?;
        counters.sent.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// The answer in the server's CRYPTO stream, once its first message is whole.
fn first_message(stream: &CryptoStream) -> Option<Reply> {
    let (typ, body) = stream.first_message()?;
    Some(if typ != HANDSHAKE_SERVER_HELLO {
        Reply::Malformed(format!(
            "expected ServerHello, got handshake message type {typ}"
        ))
    } else {
        match ServerHello::parse(body) {
            Ok(hello) => Reply::Hello {
                hello,
                tls12_curve: None,
            },
            Err(e) => Reply::Malformed(format!("ServerHello: {e}")),
        }
    })
}

fn describe_noise(datagram: &[u8], why: &WireError) -> String {
    let hex: Vec<String> = datagram
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "a {}-byte datagram that is not a QUIC v1 answer ({why}): {}",
        datagram.len(),
        hex.join(" ")
    )
}

/// The QUIC form of the big-ClientHello test: a small classical hello that
/// fits one Initial (`control`), then a post-quantum-first hello with
/// X25519MLKEM768 and X25519 key shares, which spans two
/// (`quic-two-initials`). A failure of the second is retried once to
/// confirm it when the first was answered.
pub async fn tolerance(session: &Session) -> Vec<VariantObservation> {
    let control = variant(
        session,
        ToleranceVariant::Control,
        &[NamedGroup::X25519, NamedGroup::SECP256R1],
        &[NamedGroup::X25519],
    )
    .await;
    let two = || {
        variant(
            session,
            ToleranceVariant::QuicTwoInitials,
            &[
                NamedGroup::X25519MLKEM768,
                NamedGroup::X25519,
                NamedGroup::SECP256R1,
            ],
            &[NamedGroup::X25519MLKEM768, NamedGroup::X25519],
        )
    };
    let mut split = two().await;
    if control.ending == Ending::Completed && split.ending != Ending::Completed {
        split = VariantObservation {
            attempts: 2,
            ..two().await
        };
    }
    vec![control, split]
}

async fn variant(
    session: &Session,
    name: ToleranceVariant,
    groups: &[NamedGroup],
    shares: &[NamedGroup],
) -> VariantObservation {
    let spec = ClientHelloSpec::tls13(
        groups.to_vec(),
        shares.iter().filter_map(|g| key_share(*g)).collect(),
    );
    let (ending, detail, group, bytes) = match session.quic_hello(spec).await {
        Ok(answer) => {
            let carried = format!(
                "a {}-byte ClientHello in {} Initial packet{}",
                answer.hello_bytes,
                answer.initials,
                if answer.initials == 1 { "" } else { "s" }
            );
            match &answer.reply {
                Reply::Hello { hello, .. } => {
                    let group = hello.selected_share().ok().flatten().map(|s| s.group);
                    let what = match (hello.is_hello_retry_request(), group) {
                        (true, Some(g)) => format!("HelloRetryRequest for {g}"),
                        (false, Some(g)) => format!("ServerHello for {g}"),
                        (_, None) => "ServerHello".into(),
                    };
                    (
                        Ending::Completed,
                        format!("{what} after {carried}"),
                        group.filter(|_| !hello.is_hello_retry_request()),
                        answer.hello_bytes,
                    )
                }
                Reply::Alert(a) => (
                    Ending::Alert,
                    format!("alert {} after {carried}", a.description),
                    None,
                    answer.hello_bytes,
                ),
                other => (
                    Ending::Error,
                    format!("{} after {carried}", super::exchange::describe(other)),
                    None,
                    answer.hello_bytes,
                ),
            }
        }
        Err(e) => {
            let ending = match e {
                NetError::Timeout(_) => Ending::Timeout,
                NetError::Reset | NetError::Refused => Ending::Reset,
                NetError::Closed => Ending::Closed,
                _ => Ending::Error,
            };
            (ending, e.to_string(), None, 0)
        }
    };
    VariantObservation {
        name,
        ending,
        detail,
        hello_bytes: bytes,
        leaf_sha256: None,
        negotiated_group: group,
        pause_ms: None,
        attempts: 1,
    }
}
