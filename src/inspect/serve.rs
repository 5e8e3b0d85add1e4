//! The inspect listener: accept, capture, record, then terminate or forward.
//!
//! Limits against hostile clients: a connection cap (accepting waits while it
//! is reached), a ClientHello size cap and deadline (from [`CaptureLimits`]),
//! and a deadline on the TLS handshake in terminate mode. In forward mode the
//! captured bytes are replayed to the upstream unchanged *whatever* the
//! capture found — a hello pqready cannot parse is recorded as such and the
//! connection still works — and then bytes flow both ways untouched.

use super::capture::{capture, CaptureError, CaptureLimits};
use super::InspectRecord;
use crate::net;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};

/// What to do with a client after its ClientHello is recorded.
#[derive(Clone)]
pub enum Mode {
    /// Complete the handshake ourselves (PQ groups enabled), answer, close.
    Terminate(Arc<rustls::ServerConfig>),
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
    /// Per-hello limits.
    pub limits: CaptureLimits,
    /// Connections handled at once.
    pub max_connections: usize,
    /// Stop after this many clients have been recorded.
    pub stop_after: Option<u64>,
}

/// A TLS server configuration for terminate mode: every key-exchange group
/// rustls offers (post-quantum first) and the given certificate, or a fresh
/// self-signed one for `localhost`.
pub fn terminate_config(
    chain_and_key: Option<(
        Vec<rustls::pki_types::CertificateDer<'static>>,
        rustls::pki_types::PrivateKeyDer<'static>,
    )>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let (chain, key) = match chain_and_key {
        Some(v) => v,
        None => {
            let cert =
                rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                    .map_err(|e| format!("cannot generate a certificate: {e}"))?;
            (
                vec![cert.cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into()),
            )
        }
    };
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.kx_groups = rustls::crypto::aws_lc_rs::ALL_KX_GROUPS.to_vec();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("certificate and key do not fit: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts until `shutdown` resolves, sending one record per client to
/// `records`. `shutdown` yields a grace period: connections still in flight
/// (a handshake finishing, a forwarded session) get that long to end.
pub async fn serve(
    listener: TcpListener,
    config: ServeConfig,
    records: mpsc::Sender<InspectRecord>,
    shutdown: impl std::future::Future<Output = Duration>,
) {
    let max = config.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let permits = Arc::new(Semaphore::new(max));
    tokio::pin!(shutdown);
    let grace = loop {
        let permit = tokio::select! {
            grace = &mut shutdown => break grace,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => return,
            },
        };
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
        let (config, records) = (config.clone(), records.clone());
        tokio::spawn(async move {
            handle(stream, peer, &config, &records).await;
            drop(permit);
        });
    };
    drop(listener);
    // All permits back means every connection has ended.
    let _ = tokio::time::timeout(grace, permits.acquire_many(max as u32)).await;
}

async fn handle(
    mut stream: TcpStream,
    peer: SocketAddr,
    config: &ServeConfig,
    records: &mpsc::Sender<InspectRecord>,
) {
    let _ = stream.set_nodelay(true);
    let accepted = SystemTime::now();
    let cap = capture(&mut stream, config.limits).await;
    let record = InspectRecord::from_capture(peer, accepted, &cap);
    let _ = records.send(record).await;
    match &config.mode {
        Mode::Forward { host, port } => {
            // Nothing to forward, or a client too slow to send its hello
            // within the deadline: drop it rather than hold a slot forever.
            if cap.raw.is_empty() || cap.result == Err(CaptureError::Timeout) {
                return;
            }
            let _ = forward(stream, cap.raw, host, *port, config.limits.timeout).await;
        }
        Mode::Terminate(tls) => {
            if cap.result.is_ok() {
                let prefixed = Prefixed {
                    prefix: cap.raw,
                    pos: 0,
                    inner: stream,
                };
                terminate(prefixed, tls.clone(), config.limits.timeout).await;
            }
        }
    }
}

async fn forward(
    mut client: TcpStream,
    first: Vec<u8>,
    host: &str,
    port: u16,
    limit: Duration,
) -> io::Result<()> {
    let addr = net::resolve(host, port, limit)
        .await
        .map_err(|e| io::Error::other(e.to_string()))?;
    let mut upstream = net::Conn::open(addr, limit)
        .await
        .map_err(|e| io::Error::other(e.to_string()))?
        .into_stream();
    upstream.write_all(&first).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

async fn terminate(stream: Prefixed<TcpStream>, tls: Arc<rustls::ServerConfig>, limit: Duration) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let Ok(Ok(mut tls)) = tokio::time::timeout(limit, acceptor.accept(stream)).await else {
        return;
    };
    // Answer an HTTP request politely so HTTP clients see a normal server.
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
    mut on_record: impl FnMut(&InspectRecord),
    shutdown: impl std::future::Future<Output = ()>,
) -> super::Summary {
    let (tx, mut rx) = mpsc::channel::<InspectRecord>(1024);
    let (stop, stopped) = tokio::sync::oneshot::channel::<Duration>();
    let stop_after = config.stop_after;
    let session_grace = config.limits.timeout + Duration::from_secs(5);
    let server = tokio::spawn(serve(listener, config, tx, async move {
        stopped.await.unwrap_or_default()
    }));
    tokio::pin!(shutdown);
    let mut summary = super::Summary::default();
    // After --count clients, let their sessions finish; on a signal, stop promptly.
    let grace = loop {
        tokio::select! {
            _ = &mut shutdown => break Duration::from_millis(500),
            record = rx.recv() => match record {
                Some(record) => {
                    summary.add(&record);
                    on_record(&record);
                    if stop_after.is_some_and(|n| summary.total >= n) {
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
        summary.add(&record);
        on_record(&record);
    }
    summary
}
