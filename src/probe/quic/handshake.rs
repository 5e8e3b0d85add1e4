//! One complete QUIC v1 handshake with quinn and rustls: the `handshake`
//! and `certificates` checks of a `quic` target.
//!
//! Owns: running quinn (transport, loss recovery, Retry, packet
//! protection) with the very rustls client configuration the TCP path uses
//! ([`super::super::handshake::capturing_client`]: the chain captured, not
//! validated; the server's signature verified, its scheme recorded), ALPN
//! h3 added because an HTTP/3 server refuses a connection without it; then
//! closing the connection at once (HTTP/3's H3_NO_ERROR, no request) and
//! reading what was negotiated into the same
//! [`HandshakeObservation`] as over TCP, marked `over_quic`.
//!
//! Why a TLS session of our own (`Observing`, `TlsSession`) instead of
//! quinn's: quinn's session hands out only the ALPN and the peer's
//! certificates (its negotiated group sits behind a private test
//! feature), and nothing of the cipher suite or of a HelloRetryRequest. Wrapping the provider's key
//! exchanges instead would give a group (the completed one, hybrid
//! component included) and a count of key shares made, but no suite, and a
//! second reading of what rustls already knows. So `TlsSession` drives
//! `rustls::quic::ClientConnection` itself — the same few calls quinn's own
//! session makes, packet keys and header protection still rustls's — and
//! answers quinn's `handshake_data()` with rustls's own
//! `negotiated_key_exchange_group()`, `negotiated_cipher_suite()` and
//! `handshake_kind()` through [`super::super::handshake::observe`], the
//! function the TCP path reads its connection with. The group is what the
//! server chose, never computed.
//!
//! Bounded: the handshake (socket to the server's Finished) has the
//! session's timeout, and so has sending the close; quinn's idle timeout
//! is the same, so a silent port ends as a `timeout`. One QUIC connection
//! per handshake, counted as the session's connections are, its UDP
//! datagrams (and a Retry) added to the target's QUIC counters. Facts
//! only.

use super::super::handshake::{observe, server_name, HandshakeObservation};
use super::super::{ProbeError, Session};
use super::{QuicCounters, ALPN_H3};
use crate::net::{rustls_error_kind, udp_socket_for};
use crate::vocab::ErrorKind;
use quinn::crypto::{self, KeyPair, Keys};
use quinn::udp::{RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, ConnectionError, Runtime, UdpPoller};
use quinn_proto::transport_parameters::TransportParameters;
use quinn_proto::{TransportError, TransportErrorCode};
use rustls::pki_types::ServerName;
use rustls::quic::{KeyChange, Secrets, Suite, Version};
use std::any::Any;
use std::io::IoSliceMut;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// HTTP/3's "no error" application code (RFC 9114 §8.1), the close an
/// h3 client sends when it is done.
const H3_NO_ERROR: u32 = 0x100;

/// Runs the `handshake` check's PQ-first handshake over QUIC. Failures are
/// recorded in the observation, not returned.
pub async fn full_handshake(session: &Session) -> HandshakeObservation {
    let run = async {
        let config = super::super::handshake::client_config(false)
            .map_err(|e| ProbeError::new(ErrorKind::Internal, e.to_string()))?;
        connect(session, config).await
    };
    let obs = run.await.unwrap_or_else(|e| HandshakeObservation {
        over_quic: true,
        ..HandshakeObservation::failed(&e)
    });
    match &obs.error {
        Some(error) => tracing::debug!(target = %session.addr, %error, "QUIC handshake failed"),
        None => tracing::debug!(
            target = %session.addr,
            group = %obs.negotiated_group.map(|g| g.to_string()).unwrap_or_default(),
            hello_retry = obs.hello_retry,
            "QUIC handshake completed"
        ),
    }
    obs
}

/// Opens one QUIC connection with `config` (ALPN h3 added), completes the
/// handshake, closes it, and returns what rustls negotiated. Bounded by
/// the session's timeout as a whole.
pub async fn connect(
    session: &Session,
    config: Arc<rustls::ClientConfig>,
) -> Result<HandshakeObservation, ProbeError> {
    let counters = session.quic.clone().unwrap_or_default();
    let (_place, began) = session.admit().await;
    let attempt = handshake(session, config, counters);
    let (obs, conn) = match tokio::time::timeout(session.timeout, attempt).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(ProbeError::new(
                ErrorKind::Timeout,
                "timed out during the QUIC handshake".into(),
            ))
        }
    };
    session.answered_in(began.elapsed());
    // Done: closed at once, as an HTTP/3 client with nothing to ask. The
    // close is a step of its own, with its own deadline: the facts are in.
    if conn.close_reason().is_none() {
        let _ = tokio::time::timeout(session.timeout, close(&conn)).await;
    }
    Ok(obs)
}

/// The handshake itself: what rustls negotiated, and the open connection.
async fn handshake(
    session: &Session,
    config: Arc<rustls::ClientConfig>,
    counters: Arc<QuicCounters>,
) -> Result<(HandshakeObservation, quinn::Connection), ProbeError> {
    let internal = |e: String| ProbeError::new(ErrorKind::Internal, e);
    let name = server_name(session).map_err(|e| internal(e.to_string()))?;
    let mut tls = (*config).clone();
    tls.alpn_protocols = vec![ALPN_H3.to_vec()];
    let tls = Arc::new(tls);
    let initial = initial_suite(&tls)
        .ok_or_else(|| internal("the provider has no TLS_AES_128_GCM_SHA256 for QUIC".into()))?;
    let failure = Arc::new(Mutex::new(None));
    let crypto = Observing {
        tls,
        name: name.clone(),
        initial,
        failure: failure.clone(),
        counters: counters.clone(),
    };
    let mut transport = quinn::TransportConfig::default();
    transport.max_idle_timeout(quinn::IdleTimeout::try_from(session.timeout).ok());
    let mut client = quinn::ClientConfig::new(Arc::new(crypto));
    client.transport_config(Arc::new(transport));

    let runtime = Arc::new(quinn::TokioRuntime);
    let socket = udp_socket_for(session.addr).map_err(ProbeError::from)?;
    let socket = runtime
        .wrap_udp_socket(socket)
        .map_err(|e| ProbeError::from(crate::net::NetError::from_io(e)))?;
    let socket = Arc::new(Counted {
        inner: socket,
        counters,
    });
    let endpoint = quinn::Endpoint::new_with_abstract_socket(
        quinn::EndpointConfig::default(),
        None,
        socket,
        runtime,
    )
    .map_err(|e| ProbeError::from(crate::net::NetError::from_io(e)))?;
    // quinn hands the name to our session, which uses `name` itself.
    let label = match &name {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        _ => session.addr.ip().to_string(),
    };
    let connecting = endpoint
        .connect_with(client, session.addr, &label)
        .map_err(|e| internal(format!("cannot start a QUIC connection: {e}")))?;
    let conn = connecting
        .await
        .map_err(|e| connection_error(&e, failure.lock().ok().and_then(|f| f.clone())))?;
    let seen = conn
        .handshake_data()
        .and_then(|d| d.downcast::<HandshakeObservation>().ok())
        .map(|d| *d);
    match seen {
        Some(obs) => Ok((
            HandshakeObservation {
                over_quic: true,
                ..obs
            },
            conn,
        )),
        None => Err(internal(
            "quinn completed a handshake rustls did not".into(),
        )),
    }
}

/// Closes `conn` (H3_NO_ERROR) and returns once a datagram has left
/// after it: a closed connection sends nothing but its CONNECTION_CLOSE,
/// and quinn counts a datagram under the lock `stats()` takes, once it is
/// handed to the socket. The draining that follows (three PTOs, RFC 9000
/// §10.2) is left to quinn's own tasks: it costs the server nothing and
/// would cost each handshake ~90 ms on loopback, far more over a real
/// path. The caller bounds the wait.
async fn close(conn: &quinn::Connection) {
    let before = conn.stats().udp_tx.datagrams;
    conn.close(H3_NO_ERROR.into(), b"");
    while conn.stats().udp_tx.datagrams == before {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// The kind and words of a failed QUIC connection; `tls` is rustls's own
/// error when our side's TLS refused the server.
fn connection_error(e: &ConnectionError, tls: Option<rustls::Error>) -> ProbeError {
    let (kind, message) = match e {
        ConnectionError::TimedOut => (
            ErrorKind::Timeout,
            "timed out during the QUIC handshake".into(),
        ),
        ConnectionError::ConnectionClosed(close) => {
            let code = u64::from(close.error_code);
            match code {
                // A TLS alert carried as a QUIC error (RFC 9001 §4.8).
                0x100..=0x1ff => (
                    ErrorKind::Alert,
                    format!(
                        "handshake failed: the server closed the QUIC connection with alert {}",
                        crate::wire::AlertDescription((code - 0x100) as u8)
                    ),
                ),
                _ => (
                    ErrorKind::Tls,
                    format!("handshake failed: the server closed the QUIC connection: {close}"),
                ),
            }
        }
        ConnectionError::TransportError(t) => match tls {
            Some(tls) => (rustls_error_kind(&tls), format!("handshake failed: {tls}")),
            None => (ErrorKind::PeerMisbehaved, format!("handshake failed: {t}")),
        },
        ConnectionError::VersionMismatch => (
            ErrorKind::NotTls,
            "the server does not speak QUIC v1 (Version Negotiation)".into(),
        ),
        ConnectionError::Reset => (ErrorKind::Reset, "the QUIC connection was reset".into()),
        ConnectionError::ApplicationClosed(close) => (
            ErrorKind::Closed,
            format!("the server closed the QUIC connection during the handshake: {close}"),
        ),
        other => (ErrorKind::Internal, format!("QUIC connection: {other}")),
    };
    ProbeError::new(kind, message)
}

/// The suite QUIC's Initial packets are protected with (RFC 9001 §5.2).
fn initial_suite(config: &rustls::ClientConfig) -> Option<Suite> {
    config
        .crypto_provider()
        .cipher_suites
        .iter()
        .find_map(|cs| match (cs.suite(), cs.tls13()) {
            (rustls::CipherSuite::TLS13_AES_128_GCM_SHA256, Some(suite)) => suite.quic_suite(),
            _ => None,
        })
}

/// quinn's client TLS configuration for one connection: our rustls
/// configuration, the name to send, and where our TLS's refusal is kept.
struct Observing {
    tls: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
    initial: Suite,
    failure: Arc<Mutex<Option<rustls::Error>>>,
    counters: Arc<QuicCounters>,
}

impl crypto::ClientConfig for Observing {
    fn start_session(
        self: Arc<Self>,
        version: u32,
        _server_name: &str,
        params: &TransportParameters,
    ) -> Result<Box<dyn crypto::Session>, quinn::ConnectError> {
        if version != 1 {
            return Err(quinn::ConnectError::UnsupportedVersion);
        }
        let mut encoded = Vec::new();
        params.write(&mut encoded);
        let conn = rustls::quic::ClientConnection::new(
            self.tls.clone(),
            Version::V1,
            self.name.clone(),
            encoded,
        )
        .map_err(|_| quinn::ConnectError::InvalidServerName(format!("{:?}", self.name)))?;
        Ok(Box::new(TlsSession {
            conn: rustls::quic::Connection::Client(conn),
            initial: self.initial,
            next: None,
            announced: false,
            failure: self.failure.clone(),
            counters: self.counters.clone(),
        }))
    }
}

/// One connection's TLS: rustls's QUIC client, with what it negotiated
/// handed to quinn's `handshake_data()` as a [`HandshakeObservation`].
struct TlsSession {
    conn: rustls::quic::Connection,
    initial: Suite,
    next: Option<Secrets>,
    announced: bool,
    failure: Arc<Mutex<Option<rustls::Error>>>,
    counters: Arc<QuicCounters>,
}

impl crypto::Session for TlsSession {
    fn initial_keys(&self, dst_cid: &quinn::ConnectionId, side: quinn::Side) -> Keys {
        let side = match side {
            quinn::Side::Client => rustls::Side::Client,
            quinn::Side::Server => rustls::Side::Server,
        };
        let keys = self.initial.keys(dst_cid, side, Version::V1);
        Keys {
            header: KeyPair {
                local: Box::new(keys.local.header),
                remote: Box::new(keys.remote.header),
            },
            packet: KeyPair {
                local: Box::new(keys.local.packet),
                remote: Box::new(keys.remote.packet),
            },
        }
    }

    fn handshake_data(&self) -> Option<Box<dyn Any>> {
        // What rustls negotiated, once the handshake is over.
        (!self.conn.is_handshaking()).then(|| Box::new(observe(&self.conn)) as Box<dyn Any>)
    }

    fn peer_identity(&self) -> Option<Box<dyn Any>> {
        self.conn
            .peer_certificates()
            .map(|c| Box::new(c.to_vec()) as Box<dyn Any>)
    }

    fn early_crypto(&self) -> Option<(Box<dyn crypto::HeaderKey>, Box<dyn crypto::PacketKey>)> {
        // No 0-RTT: every handshake is a fresh one.
        None
    }

    fn early_data_accepted(&self) -> Option<bool> {
        Some(false)
    }

    fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    fn read_handshake(&mut self, buf: &[u8]) -> Result<bool, TransportError> {
        if let Err(e) = self.conn.read_hs(buf) {
            let error = match self.conn.alert() {
                Some(alert) => TransportError {
                    code: TransportErrorCode::crypto(alert.into()),
                    frame: None,
                    reason: e.to_string(),
                },
                None => TransportError {
                    code: TransportErrorCode::PROTOCOL_VIOLATION,
                    frame: None,
                    reason: format!("TLS error: {e}"),
                },
            };
            if let Ok(mut kept) = self.failure.lock() {
                *kept = Some(e);
            }
            return Err(error);
        }
        // The facts are announced (once) when the handshake is over: the
        // certificate chain and the server's signature came before.
        if !self.announced && !self.conn.is_handshaking() {
            self.announced = true;
            return Ok(true);
        }
        Ok(false)
    }

    fn transport_parameters(&self) -> Result<Option<TransportParameters>, TransportError> {
        match self.conn.quic_transport_parameters() {
            None => Ok(None),
            Some(mut buf) => TransportParameters::read(quinn::Side::Client, &mut buf)
                .map(Some)
                .map_err(TransportError::from),
        }
    }

    fn write_handshake(&mut self, buf: &mut Vec<u8>) -> Option<Keys> {
        let keys = match self.conn.write_hs(buf)? {
            KeyChange::Handshake { keys } => keys,
            KeyChange::OneRtt { keys, next } => {
                self.next = Some(next);
                keys
            }
        };
        Some(Keys {
            header: KeyPair {
                local: Box::new(keys.local.header),
                remote: Box::new(keys.remote.header),
            },
            packet: KeyPair {
                local: Box::new(keys.local.packet),
                remote: Box::new(keys.remote.packet),
            },
        })
    }

    fn next_1rtt_keys(&mut self) -> Option<KeyPair<Box<dyn crypto::PacketKey>>> {
        let keys = self.next.as_mut()?.next_packet_keys();
        Some(KeyPair {
            local: Box::new(keys.local),
            remote: Box::new(keys.remote),
        })
    }

    fn is_valid_retry(
        &self,
        orig_dst_cid: &quinn::ConnectionId,
        header: &[u8],
        payload: &[u8],
    ) -> bool {
        // quinn asks only about a Retry it would honour (the first of the
        // connection): an authentic one is a Retry the server sent.
        let packet = [header, payload].concat();
        let authentic = crate::wire::quic::retry_is_authentic(&packet, orig_dst_cid);
        if authentic {
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
        }
        authentic
    }

    fn export_keying_material(
        &self,
        output: &mut [u8],
        label: &[u8],
        context: &[u8],
    ) -> Result<(), crypto::ExportKeyingMaterialError> {
        self.conn
            .export_keying_material(output, label, Some(context))
            .map(|_| ())
            .map_err(|_| crypto::ExportKeyingMaterialError)
    }
}

/// quinn's UDP socket, counting the datagrams that pass into the target's
/// QUIC counters (a batched send or receive counts each datagram).
#[derive(Debug)]
struct Counted {
    inner: Arc<dyn AsyncUdpSocket>,
    counters: Arc<QuicCounters>,
}

impl AsyncUdpSocket for Counted {
    fn create_io_poller(self: Arc<Self>) -> std::pin::Pin<Box<dyn UdpPoller>> {
        self.inner.clone().create_io_poller()
    }

    fn try_send(&self, transmit: &Transmit) -> std::io::Result<()> {
        self.inner.try_send(transmit)?;
        let datagrams = match transmit.segment_size {
            Some(size) if size > 0 => transmit.contents.len().div_ceil(size),
            _ => 1,
        };
        self.counters
            .sent
            .fetch_add(datagrams as u32, Ordering::Relaxed);
        Ok(())
    }

    fn poll_recv(
        &self,
        cx: &mut Context,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<std::io::Result<usize>> {
        let polled = self.inner.poll_recv(cx, bufs, meta);
        if let Poll::Ready(Ok(n)) = &polled {
            let datagrams: usize = meta[..*n]
                .iter()
                .map(|m| match m.stride {
                    0 => 1,
                    stride => m.len.div_ceil(stride),
                })
                .sum();
            self.counters
                .received
                .fetch_add(datagrams as u32, Ordering::Relaxed);
        }
        polled
    }

    fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.inner.local_addr()
    }

    fn max_transmit_segments(&self) -> usize {
        self.inner.max_transmit_segments()
    }

    fn max_receive_segments(&self) -> usize {
        self.inner.max_receive_segments()
    }

    fn may_fragment(&self) -> bool {
        self.inner.may_fragment()
    }
}
