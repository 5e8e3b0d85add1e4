//! Big-ClientHello tolerance: does the endpoint (and whatever sits in front
//! of it) still work when the ClientHello is post-quantum sized, split
//! across TCP segments, split across TLS records, or larger still?
//!
//! A PQ key share makes the hello ~1.5 KB: more than one TCP segment on real
//! networks. Servers and proxies that read once and assume the whole hello
//! arrived (the ingress-nginx SSL passthrough bug) or middleboxes that cannot
//! reassemble a hello split across records drop or misroute PQ clients
//! (tldr.fail). The variants, one connection each:
//!
//! - `control`: a small classical hello (rustls, classical groups only), one write;
//! - `pq-one-segment`: rustls' PQ hello, one write (the PQ baseline);
//! - `pq-split-segments`: the same record in two TCP writes — 8 bytes, a pause, the rest;
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
use super::handshake::{client_config, server_name};
use super::Session;
use crate::catalog::profile;
use crate::wire::NamedGroup;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes in the first TCP segment of the split variant.
const FIRST_SEGMENT: usize = 8;
/// Record sizes of the multi-record variant (the rest goes in a last record).
const RECORD_SIZES: [usize; 5] = [1, 3, 16, 128, 512];
/// Size the padded variant's hello is grown to.
const PADDED_SIZE: usize = 4096;

/// How one variant's connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// The handshake completed (or, for `padded-4k`, a ServerHello arrived).
    Completed,
    /// The peer reset the connection.
    Reset,
    /// Nothing came back before the deadline.
    Timeout,
    /// The peer closed the connection.
    Closed,
    /// The peer sent an alert.
    Alert,
    /// Anything else (a TLS error, a non-TLS answer).
    Error,
}

/// What happened to one variant.
#[derive(Debug, Clone, Serialize)]
pub struct VariantObservation {
    /// Variant name (see the module docs).
    pub name: &'static str,
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
}

/// How to cut the first flight.
#[derive(Debug, Clone, Copy)]
enum Shape {
    OneWrite,
    SplitSegments { pause: Duration },
    MultiRecord,
}

/// Runs every variant, one after the other.
pub async fn check(session: &Session) -> Vec<VariantObservation> {
    let pause = (session.timeout / 4).min(Duration::from_millis(200));
    vec![
        shaped(session, "control", true, Shape::OneWrite).await,
        shaped(session, "pq-one-segment", false, Shape::OneWrite).await,
        shaped(
            session,
            "pq-split-segments",
            false,
            Shape::SplitSegments { pause },
        )
        .await,
        shaped(session, "pq-multi-record", false, Shape::MultiRecord).await,
        padded(session).await,
    ]
}

fn classify(error: &str) -> Ending {
    let lower = error.to_ascii_lowercase();
    if lower.contains("reset") || lower.contains("broken pipe") {
        Ending::Reset
    } else if lower.contains("timed out") {
        Ending::Timeout
    } else if lower.contains("alert") {
        Ending::Alert
    } else if lower.contains("eof") || lower.contains("closed") {
        Ending::Closed
    } else {
        Ending::Error
    }
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
    name: &'static str,
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
    };
    let mut hello_bytes = 0;
    let result = tokio::time::timeout(session.timeout + pause_of(shape), async {
        let config = client_config(classical_only)?;
        let server = server_name(session)?;
        let tcp = session
            .connect()
            .await
            .map_err(|e| e.to_string())?
            .into_stream();
        let (client_side, pump_side) = tokio::io::duplex(64 * 1024);
        let connector = tokio_rustls::TlsConnector::from(config);
        let (sent_tx, mut sent_rx) = tokio::sync::oneshot::channel();
        let pump = pump(pump_side, tcp, shape, sent_tx);
        tokio::pin!(pump);
        let handshake = connector.connect(server, client_side);
        tokio::pin!(handshake);
        // The pump runs until the handshake ends; a reset surfaces there first.
        let mut pump_done = false;
        let tls = loop {
            tokio::select! {
                done = &mut handshake => {
                    hello_bytes = sent_rx.try_recv().unwrap_or(0);
                    break done.map_err(|e| e.to_string())?;
                }
                ended = &mut pump, if !pump_done => {
                    pump_done = true;
                    ended.map_err(|e| e.to_string())?;
                }
            }
        };
        let (_, state) = tls.get_ref();
        let leaf = state.peer_certificates().and_then(|c| c.first()).map(|c| {
            Sha256::digest(c.as_ref())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        });
        let group = state
            .negotiated_key_exchange_group()
            .map(|g| NamedGroup(u16::from(g.name())));
        Ok::<_, String>((leaf, group))
    })
    .await;
    match result {
        Err(_) => {
            obs.ending = Ending::Timeout;
            obs.detail = "no answer before the deadline".into();
        }
        Ok(Err(e)) => {
            obs.ending = classify(&e);
            obs.detail = e;
        }
        Ok(Ok((leaf, group))) => {
            obs.ending = Ending::Completed;
            obs.detail = format!(
                "handshake completed ({})",
                group.map(|g| g.to_string()).unwrap_or_default()
            );
            obs.leaf_sha256 = leaf;
            obs.negotiated_group = group;
        }
    }
    obs.hello_bytes = hello_bytes;
    obs
}

fn pause_of(shape: Shape) -> Duration {
    match shape {
        Shape::SplitSegments { pause } => pause,
        _ => Duration::ZERO,
    }
}

/// Moves bytes between the rustls pipe and the socket, reshaping the first
/// record (the ClientHello) and reporting its size on `sent`. Returns when
/// either side closes.
async fn pump(
    pipe: tokio::io::DuplexStream,
    tcp: tokio::net::TcpStream,
    shape: Shape,
    sent: tokio::sync::oneshot::Sender<usize>,
) -> std::io::Result<()> {
    let (mut pipe_r, mut pipe_w) = tokio::io::split(pipe);
    let (mut tcp_r, mut tcp_w) = tcp.into_split();
    let mut header = [0u8; 5];
    pipe_r.read_exact(&mut header).await?;
    let len = u16::from_be_bytes([header[3], header[4]]) as usize;
    let mut record = header.to_vec();
    record.resize(5 + len, 0);
    pipe_r.read_exact(&mut record[5..]).await?;
    let first = match shape {
        Shape::OneWrite | Shape::SplitSegments { .. } => record,
        Shape::MultiRecord => reframe(&record),
    };
    match shape {
        Shape::SplitSegments { pause } => {
            tcp_w.write_all(&first[..FIRST_SEGMENT]).await?;
            tcp_w.flush().await?;
            tokio::time::sleep(pause).await;
            tcp_w.write_all(&first[FIRST_SEGMENT..]).await?;
        }
        _ => tcp_w.write_all(&first).await?,
    }
    let _ = sent.send(first.len());
    let up = tokio::io::copy(&mut pipe_r, &mut tcp_w);
    let down = async {
        let n = tokio::io::copy(&mut tcp_r, &mut pipe_w).await;
        let _ = pipe_w.shutdown().await;
        n
    };
    tokio::select! {
        r = up => { r?; }
        r = down => { r?; }
    }
    Ok(())
}

/// A hello padded to [`PADDED_SIZE`]: only the server's first answer is read.
async fn padded(session: &Session) -> VariantObservation {
    let mut spec = profile::find("go1.24")
        .map(|p| p.client_hello(session.sni.clone()))
        .unwrap_or_else(|| {
            crate::wire::ClientHelloSpec::tls13(vec![NamedGroup::X25519], Vec::new())
        });
    spec.pad_to = Some(PADDED_SIZE);
    let mut obs = VariantObservation {
        name: "padded-4k",
        ending: Ending::Error,
        detail: String::new(),
        hello_bytes: PADDED_SIZE + 5,
        leaf_sha256: None,
        negotiated_group: None,
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
            obs.ending = classify(&e.to_string());
            obs.detail = e.to_string();
        }
    }
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
