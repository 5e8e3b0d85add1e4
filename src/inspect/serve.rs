//! The inspect listener: accept, capture, record, then terminate or forward.
//!
//! Owns: the accept loop, the limits that keep hostile or idle clients from
//! hurting real ones, and each connection's life after its hello. It sits on
//! the critical path of real clients in forward mode, so the accept loop
//! never waits: every connection is accepted at once, and excess is closed
//! (and recorded) instead of queued. The limits:
//! - per source address, at most `max_pending_per_source` connections may be
//!   waiting for their ClientHello, and at most [`MAX_PENDING_HELLOS`] in all;
//!   an idle connection holds no read buffer until its first bytes arrive;
//! - the hello deadline and size cap ([`CaptureLimits`]);
//! - `max_connections` sessions (past their hello) at once;
//! - `step_timeout` for connecting upstream, the server's answer and the TLS
//!   handshake in terminate mode;
//! - with `stop_after`, exactly that many connections are admitted (each
//!   makes one record); later ones are closed unrecorded.
//!
//! In terminate mode a client's record is sent once its TLS handshake has
//! completed or failed (or `step_timeout` passed): it says which certificate
//! type was served and whether this client completed the handshake with it.
//!
//! In forward mode the captured bytes are replayed to the upstream unchanged
//! *whatever* the capture found — a hello pqready cannot parse is recorded as
//! such and the connection still works — and then bytes flow both ways
//! untouched; the server's answer is observed ([`AnswerObserver`]) on the
//! side, after each chunk has been passed on. A client's record is sent once
//! its server's answer is known (or cannot be: then it says why — refused,
//! not TLS, closed, an alert, timed out).
//! Must not: parse bytes itself (that is `capture`, `answer` and `wire`) or
//! judge them (that is `assess`).

use super::answer::{AnswerObserver, Observed, ServerAnswer};
use super::capture::{capture, CaptureError, CaptureLimits};
use super::cert::ServedCert;
use super::{ClientObservation, UpstreamError};
use crate::net;
use crate::vocab::CertType;
use crate::wire::{NamedGroup, ProtocolVersion};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::time::Instant;

/// Connections waiting for their ClientHello, from all sources together.
/// Each costs a socket and a small task until its first bytes arrive, then a
/// 16 KiB read buffer until the hello deadline.
pub const MAX_PENDING_HELLOS: usize = 8192;

/// Default hello deadline in forward mode: real clients send their hello in
/// the first round trip, and idle connections should not linger.
pub const FORWARD_HELLO_TIMEOUT: Duration = Duration::from_secs(3);

/// Default for `max_pending_per_source`.
pub const DEFAULT_MAX_PENDING_PER_SOURCE: usize = 256;

/// What to do with a client after its ClientHello is recorded.
#[derive(Clone)]
pub enum Mode {
    /// Complete the handshake ourselves (PQ groups enabled), answer, close.
    Terminate(Terminate),
    /// Pass every byte through to `host:port`, untouched.
    Forward {
        /// Upstream host.
        host: String,
        /// Upstream port.
        port: u16,
    },
}

/// Listener settings.
#[derive(Clone)]
pub struct ServeConfig {
    /// Terminate or forward.
    pub mode: Mode,
    /// Per-hello limits (the hello deadline and size cap).
    pub limits: CaptureLimits,
    /// Deadline for each later network step: connecting upstream, the
    /// server's answer, the TLS handshake in terminate mode.
    pub step_timeout: Duration,
    /// Sessions (connections past their hello) handled at once; more are closed.
    pub max_connections: usize,
    /// Connections from one address allowed to wait for their hello at once.
    pub max_pending_per_source: usize,
    /// Stop after this many clients have been recorded.
    pub stop_after: Option<u64>,
}

/// Terminate mode's TLS server and what it serves.
#[derive(Clone)]
pub struct Terminate {
    /// The rustls server configuration.
    pub tls: Arc<rustls::ServerConfig>,
    /// The type of its certificate, for the records (`None`: a `--cert` of
    /// a type pqready does not name).
    pub cert_type: Option<CertType>,
    /// The key-exchange groups it can negotiate, in its order: a client's
    /// result here is bounded by them (rustls has no Kyber draft).
    pub groups: Vec<NamedGroup>,
}

/// Why terminate mode's TLS server could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// The provider supports none of rustls's default protocol versions.
    #[error("{0}")]
    Versions(rustls::Error),
    /// The certificate and the private key do not belong together (or the
    /// key is of a type rustls cannot sign with).
    #[error("certificate and key do not fit: {0}")]
    CertificateKey(rustls::Error),
}

/// A TLS server for terminate mode: every key-exchange group rustls offers
/// (post-quantum first) and `served`'s certificate (see [`super::cert`]).
/// ML-DSA certificates sign in TLS 1.3 only, as rustls does.
pub fn terminate_config(served: ServedCert) -> Result<Terminate, TlsConfigError> {
    let ServedCert {
        chain,
        key,
        cert_type,
    } = served;
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.kx_groups = rustls::crypto::aws_lc_rs::ALL_KX_GROUPS.to_vec();
    let groups = provider
        .kx_groups
        .iter()
        .map(|g| NamedGroup(u16::from(g.name())))
        .collect();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(TlsConfigError::Versions)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(TlsConfigError::CertificateKey)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Terminate {
        tls: Arc::new(config),
        cert_type,
        groups,
    })
}

/// In terminate mode, marks `record` as a connection that never got to a
/// handshake (no hello read, refused); forward mode leaves it unknown.
fn no_handshake(record: &mut ClientObservation, mode: &Mode) {
    if let Mode::Terminate(t) = mode {
        record.set_handshake(t.cert_type, Err(None));
        record.inspector_groups = Some(t.groups.clone());
    }
}

/// Accepts until `shutdown` resolves, sending one record per client to
/// `records`. `shutdown` yields a grace period: connections still in flight
/// (a handshake finishing, a forwarded session) get that long to end.
pub async fn serve(
    listener: TcpListener,
    config: ServeConfig,
    records: mpsc::Sender<ClientObservation>,
    shutdown: impl std::future::Future<Output = Duration>,
) {
    let sessions = Arc::new(Semaphore::new(
        config.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let pending = Arc::new(Pending::new(config.max_pending_per_source));
    // Every handler holds a clone; `recv` returns None once all have ended.
    let (alive, mut all_ended) = mpsc::channel::<()>(1);
    let config = Arc::new(config);
    // Connections that will make a record. With `stop_after` the accept loop
    // (one task, so the decision is per connection and final) admits exactly
    // that many and closes the rest unrecorded: a browser opening two
    // connections at once cannot make `--count 1` record two.
    let mut admitted = 0u64;
    tokio::pin!(shutdown);
    let grace = loop {
        let (stream, peer) = tokio::select! {
            grace = &mut shutdown => break grace,
            accepted = listener.accept() => match accepted {
                Ok(v) => v,
                // Out of file descriptors or similar: back off instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let accepted = SystemTime::now();
        if config.stop_after.is_some_and(|n| admitted >= n) {
            drop(stream);
            continue;
        }
        admitted += 1;
        let Some(slot) = pending.enter(peer.ip()) else {
            // Never wait here: close at once and say why (dropped when the
            // record channel is full, so a flood cannot block accepting).
            drop(stream);
            let mut record = ClientObservation::from_capture(peer, accepted, &refused());
            record.error = Some(format!(
                "refused: more than {} connections from this address (or {MAX_PENDING_HELLOS} in all) waiting for their ClientHello",
                config.max_pending_per_source
            ));
            no_handshake(&mut record, &config.mode);
            if records.try_send(record).is_err() {
                admitted -= 1; // not recorded: the count stays open
            }
            continue;
        };
        let (config, records, sessions, alive) = (
            config.clone(),
            records.clone(),
            sessions.clone(),
            alive.clone(),
        );
        tokio::spawn(async move {
            handle(stream, peer, accepted, slot, &config, &records, &sessions).await;
            drop(alive);
        });
    };
    drop(listener);
    drop(alive);
    let _ = tokio::time::timeout(grace, all_ended.recv()).await;
}

/// An empty capture, for connections closed before reading anything.
fn refused() -> super::capture::Capture {
    super::capture::Capture {
        raw: Vec::new(),
        tcp_reads: 0,
        records: 0,
        hello_len: 0,
        result: Err(CaptureError::Closed),
    }
}

/// Connections waiting for their hello, per source address.
struct Pending {
    /// Waiting connections per address, and their total.
    per_source: Mutex<(HashMap<IpAddr, usize>, usize)>,
    max_per_source: usize,
}

/// One connection's place among the pending; leaving happens on drop.
struct PendingSlot {
    pending: Arc<Pending>,
    ip: IpAddr,
}

impl Pending {
    fn new(max_per_source: usize) -> Self {
        Pending {
            per_source: Mutex::new((HashMap::new(), 0)),
            max_per_source: max_per_source.max(1),
        }
    }

    fn enter(self: &Arc<Self>, ip: IpAddr) -> Option<PendingSlot> {
        let mut guard = self
            .per_source
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (map, total) = &mut *guard;
        let here = map.get(&ip).copied().unwrap_or(0);
        if here >= self.max_per_source || *total >= MAX_PENDING_HELLOS {
            return None;
        }
        map.insert(ip, here + 1);
        *total += 1;
        Some(PendingSlot {
            pending: self.clone(),
            ip,
        })
    }
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        let mut guard = self
            .pending
            .per_source
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (map, total) = &mut *guard;
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            *total -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

async fn handle(
    mut stream: TcpStream,
    peer: SocketAddr,
    accepted: SystemTime,
    slot: PendingSlot,
    config: &ServeConfig,
    records: &mpsc::Sender<ClientObservation>,
    sessions: &Arc<Semaphore>,
) {
    let _ = stream.set_nodelay(true);
    let deadline = Instant::now() + config.limits.timeout;
    // An idle connection holds no read buffer: wait for its first bytes.
    let cap = match tokio::time::timeout_at(deadline, stream.readable()).await {
        Ok(_) => {
            let limits = CaptureLimits {
                timeout: deadline.saturating_duration_since(Instant::now()),
                ..config.limits
            };
            capture(&mut stream, limits).await
        }
        Err(_) => super::capture::Capture {
            result: Err(CaptureError::Timeout),
            ..refused()
        },
    };
    drop(slot);
    let mut record = ClientObservation::from_capture(peer, accepted, &cap);
    // Terminate mode: "no handshake" until one completes or fails below.
    no_handshake(&mut record, &config.mode);
    // Nothing to pass on, or a client too slow to send its hello within the
    // deadline: drop it rather than hold a session.
    if cap.raw.is_empty() || cap.result == Err(CaptureError::Timeout) {
        let _ = records.send(record).await;
        return;
    }
    // Terminate mode only answers hellos it could read.
    if matches!(config.mode, Mode::Terminate(_)) && cap.result.is_err() {
        let _ = records.send(record).await;
        return;
    }
    let Ok(_session) = sessions.clone().try_acquire_owned() else {
        let refused = format!(
            "refused: {} sessions already open (--max-connections)",
            config.max_connections
        );
        // Keep why the hello could not be read, if it could not.
        record.error = Some(match record.error.take() {
            Some(why) => format!("{why}; then {refused}"),
            None => refused,
        });
        let _ = records.send(record).await;
        return;
    };
    match &config.mode {
        Mode::Forward { host, port } => {
            if cap.result.is_err() {
                // Not a hello we could read: there is no answer to wait for.
                let _ = records.send(record).await;
                let _ = forward(stream, cap.raw, host, *port, config.step_timeout, None).await;
                return;
            }
            let (answer_tx, answer_rx) = oneshot::channel();
            let session = forward(
                stream,
                cap.raw,
                host,
                *port,
                config.step_timeout,
                Some(answer_tx),
            );
            let report = async {
                let answer = match tokio::time::timeout(config.step_timeout, answer_rx).await {
                    Ok(Ok(answer)) => answer,
                    // Only when the session ended in a way `forward` did not name.
                    Ok(Err(_)) => Err(UpstreamError::Ended),
                    Err(_) => Err(UpstreamError::NoAnswer(config.step_timeout)),
                };
                record.set_upstream(answer);
                let _ = records.send(record).await;
            };
            let _ = tokio::join!(session, report);
        }
        Mode::Terminate(terminate) => {
            let prefixed = Prefixed {
                prefix: cap.raw,
                pos: 0,
                inner: stream,
            };
            let acceptor = tokio_rustls::TlsAcceptor::from(terminate.tls.clone());
            // Complete means the client's Finished arrived: in TLS 1.3 the
            // client has checked the certificate and its signature by then.
            let handshake = tokio::time::timeout(config.step_timeout, acceptor.accept(prefixed));
            let outcome = match handshake.await {
                Ok(Ok(tls)) => Ok(tls),
                Ok(Err(e)) => {
                    record.set_abandoned_by(&e);
                    Err(e.to_string())
                }
                Err(_) => Err(format!(
                    "timed out after {:?} waiting for the TLS handshake",
                    config.step_timeout
                )),
            };
            let tls = match outcome {
                Ok(tls) => tls,
                Err(why) => {
                    record.set_answer(None);
                    record.set_handshake(terminate.cert_type, Err(Some(why)));
                    let _ = records.send(record).await;
                    return;
                }
            };
            let answer = rustls_answer(tls.get_ref().1, &record);
            record.set_answer(answer.as_ref());
            record.set_handshake(terminate.cert_type, Ok(()));
            let _ = records.send(record).await;
            answer_http(tls).await;
        }
    }
}

/// What rustls selected, read from its own state. rustls does not say
/// whether it sent a HelloRetryRequest, but TLS 1.3 leaves no choice: the
/// final group must have a key share in the hello it answers, so a group
/// missing from the first hello's shares means a retry happened.
fn rustls_answer(
    conn: &rustls::ServerConnection,
    record: &ClientObservation,
) -> Option<ServerAnswer> {
    let version = ProtocolVersion(u16::from(conn.protocol_version()?));
    let group = conn
        .negotiated_key_exchange_group()
        .map(|g| NamedGroup(u16::from(g.name())));
    let hello_retry = version == ProtocolVersion::TLS1_3
        && group.is_some_and(|g| !record.key_shares.iter().any(|k| k.group == g));
    Some(ServerAnswer {
        version,
        hello_retry,
        group,
    })
}

/// The upstream's answer to a forwarded hello, or why it is unknown.
type UpstreamAnswer = Result<ServerAnswer, UpstreamError>;

/// Connects upstream, replays the captured bytes, then copies both ways
/// until both directions end. With `answer`, the upstream's bytes are also
/// shown to an [`AnswerObserver`] — as each chunk is passed on — until the
/// answer is known; the result, or why there is none (the upstream refused,
/// closed, reset, or is not TLS), goes to `answer`.
async fn forward(
    client: TcpStream,
    first: Vec<u8>,
    host: &str,
    port: u16,
    limit: Duration,
    answer: Option<oneshot::Sender<UpstreamAnswer>>,
) -> io::Result<()> {
    let mut answer = answer;
    let mut fail = |why: UpstreamError| {
        let text = why.to_string();
        if let Some(tx) = answer.take() {
            let _ = tx.send(Err(why));
        }
        io::Error::other(text)
    };
    let addr = match net::resolve(host, port, limit).await {
        Ok(addr) => addr,
        Err(why) => {
            return Err(fail(UpstreamError::Unresolved {
                host: host.to_string(),
                port,
                why,
            }))
        }
    };
    let upstream = match net::Conn::open(addr, limit).await {
        Ok(conn) => conn,
        Err(why) => return Err(fail(UpstreamError::Connect { addr, why })),
    };
    let mut upstream = upstream.into_stream();
    if let Err(why) = upstream.write_all(&first).await {
        return Err(fail(UpstreamError::WriteHello { addr, why }));
    }
    drop(first);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    let up = async {
        tokio::io::copy(&mut client_read, &mut upstream_write).await?;
        upstream_write.shutdown().await
    };
    let down = async {
        let mut observer = answer.map(|tx| (AnswerObserver::default(), tx));
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match upstream_read.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    if let Some((_, tx)) = observer.take() {
                        let _ = tx.send(Err(UpstreamError::Reset(e.to_string())));
                    }
                    return Err(e);
                }
            };
            if n == 0 {
                if let Some((mut observer, tx)) = observer.take() {
                    let answer = observer.give_up();
                    let _ = tx.send(observed(answer, &observer));
                }
                return client_write.shutdown().await;
            }
            // Observed before it is passed on (no await in between, so no
            // delay): the answer is the upstream's, known even if the
            // client is already gone and the write below fails.
            if let Some((o, _)) = observer.as_mut() {
                if let Observed::Done(result) = o.feed(&buf[..n]) {
                    if let Some((o, tx)) = observer.take() {
                        let _ = tx.send(observed(result, &o));
                    }
                }
            }
            client_write.write_all(&buf[..n]).await?;
        }
    };
    tokio::try_join!(up, down)?;
    Ok(())
}

/// The observer's result as an [`UpstreamAnswer`].
fn observed(answer: Option<ServerAnswer>, observer: &AnswerObserver) -> UpstreamAnswer {
    answer.ok_or_else(|| {
        UpstreamError::Unreadable(
            observer
                .why()
                .unwrap_or("upstream answer unreadable")
                .to_string(),
        )
    })
}

/// Answers an HTTP request politely so HTTP clients see a normal server.
async fn answer_http<S: AsyncRead + AsyncWrite + Unpin>(mut tls: S) {
    let mut buf = [0u8; 4096];
    if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(2), tls.read(&mut buf)).await {
        if n > 0 && buf[..n].windows(5).any(|w| w == b"HTTP/") {
            let body = "pqready inspect recorded this client's ClientHello\n";
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ =
                tokio::time::timeout(Duration::from_secs(2), tls.write_all(response.as_bytes()))
                    .await;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), tls.shutdown()).await;
}

/// A stream that first yields bytes already read from it (the captured hello).
struct Prefixed<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pos < self.prefix.len() {
            let n = (self.prefix.len() - self.pos).min(buf.remaining());
            let start = self.pos;
            buf.put_slice(&self.prefix[start..start + n]);
            self.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    // rustls hands over everything queued (a ServerHello and the alert that
    // ends a failed handshake) as one vectored write and makes one last
    // attempt after a failure: without this the alert would never be sent.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Runs the listener until `shutdown` resolves or `stop_after` clients have
/// been recorded, handing each record to `on_record` as it arrives, and
/// returns the summary of everything seen.
pub async fn run(
    listener: TcpListener,
    config: ServeConfig,
    mut on_record: impl FnMut(ClientObservation),
    shutdown: impl std::future::Future<Output = ()>,
) -> u64 {
    let (tx, mut rx) = mpsc::channel::<ClientObservation>(1024);
    let (stop, stopped) = tokio::sync::oneshot::channel::<Duration>();
    let stop_after = config.stop_after;
    let session_grace = config.limits.timeout + config.step_timeout + Duration::from_secs(5);
    let server = tokio::spawn(serve(listener, config, tx, async move {
        stopped.await.unwrap_or_default()
    }));
    tokio::pin!(shutdown);
    let mut recorded = 0u64;
    // After --count clients, let their sessions finish; on a signal, stop promptly.
    let grace = loop {
        tokio::select! {
            _ = &mut shutdown => break Duration::from_millis(500),
            record = rx.recv() => match record {
                Some(record) => {
                    recorded += 1;
                    on_record(record);
                    if stop_after.is_some_and(|n| recorded >= n) {
                        break session_grace;
                    }
                }
                None => break Duration::ZERO,
            },
        }
    };
    let _ = stop.send(grace);
    let _ = server.await;
    // Records already captured when the stop came still count.
    while let Ok(record) = rx.try_recv() {
        recorded += 1;
        on_record(record);
    }
    recorded
}
