//! A recording TCP pass-through for tests: put it between a real TLS client
//! and a real TLS server and it forwards every byte both ways unchanged while
//! reading the unencrypted start of the handshake with pqready's own wire
//! parsers. Per connection it records what the client offered (its
//! ClientHellos) and what the server did with it (HelloRetryRequest, the
//! negotiated version and key-exchange group, or the alert it refused with).
//!
//! [`Tap::sink`] is the same listener without an upstream: it reads the
//! client's first ClientHello and closes, to capture what a client offers.
//!
//! The tap runs on its own small tokio runtime, so tests can drive blocking
//! client processes while it forwards; waiting for a connection's
//! observation ([`Tap::wait`]) is a plain blocking call with a timeout.
//! Parsing is pqready's own sans-I/O flight reader (`wire::flight`), best
//! effort and bounded: handshake messages and plaintext bytes per direction
//! are capped, and whatever the reader cannot read turns that direction's
//! parsing off (the bytes are still forwarded) and leaves a note. Nothing
//! here panics on peer bytes.
#![allow(dead_code)] // each test binary uses part of it

use pqready::wire::server_hello::{server_key_exchange_curve, HANDSHAKE_SERVER_KEY_EXCHANGE};
use pqready::wire::{
    Alert, ClientHello, Event, FlightError, FlightLimits, FlightReader, NamedGroup,
    ProtocolVersion, Sender, ServerHello,
};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Largest handshake message the tap reassembles (certificate chains in
/// TLS 1.2 are plaintext and can be long; anything bigger stops parsing).
const MAX_MESSAGE: usize = 1 << 17;
/// Plaintext handshake bytes read per direction before parsing stops (a
/// TLS 1.2 flight with a long certificate chain fits many times over).
const MAX_PLAINTEXT_BYTES: usize = 4 << 20;
/// ClientHellos kept per connection (a client sends at most two).
const MAX_HELLOS: usize = 4;
/// Notes kept per connection.
const MAX_NOTES: usize = 16;
/// Read size per socket read.
const READ_CHUNK: usize = 16 * 1024;
/// How long the tap waits to connect upstream, and a sink for a ClientHello.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes a sink reads while waiting for one ClientHello.
const SINK_LIMIT: u64 = 1 << 17;

/// What the tap saw on one connection.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// Accept order, from 0.
    pub index: usize,
    /// Every ClientHello the client sent, in order (two after a HelloRetryRequest).
    pub client_hellos: Vec<ClientHello>,
    /// The server answered with a HelloRetryRequest.
    pub hello_retry: bool,
    /// The group that HelloRetryRequest asked for.
    pub hello_retry_group: Option<NamedGroup>,
    /// A final (non-HRR) ServerHello arrived.
    pub server_hello: bool,
    /// The version that ServerHello selected.
    pub version: Option<ProtocolVersion>,
    /// The key-exchange group: the TLS 1.3 ServerHello key_share, or the
    /// TLS 1.2 ServerKeyExchange named curve.
    pub negotiated_group: Option<NamedGroup>,
    /// Length of the server's key share (TLS 1.3 only).
    pub server_share_len: Option<usize>,
    /// An alert the server sent before its final ServerHello.
    pub server_alert: Option<Alert>,
    /// The first plaintext alert the client sent.
    pub client_alert: Option<Alert>,
    /// Bytes forwarded client → server.
    pub bytes_from_client: u64,
    /// Bytes forwarded server → client.
    pub bytes_from_server: u64,
    /// Both directions have ended.
    pub closed: bool,
    /// Anything unexpected: unparseable data, upstream connect errors.
    pub notes: Vec<String>,
}

impl Observation {
    /// The handshake failed: no final ServerHello reached the client.
    pub fn failed(&self) -> bool {
        !self.server_hello
    }

    fn note(&mut self, text: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(text);
        }
    }
}

impl fmt::Display for Observation {
    /// One line: `X25519MLKEM768`, `x25519 after HRR(x25519)`,
    /// `failed (server alert handshake_failure)`, `TLSv1.2 x25519`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.server_hello {
            if self.version != Some(ProtocolVersion::TLS1_3) {
                match self.version {
                    Some(v) => write!(f, "{v} ")?,
                    None => f.write_str("version? ")?,
                }
            }
            match self.negotiated_group {
                Some(g) => write!(f, "{g}")?,
                None => f.write_str("no group")?,
            }
        } else {
            f.write_str("failed")?;
            match (self.server_alert, self.client_alert) {
                (Some(a), _) => write!(f, " (server alert {})", a.description)?,
                (None, Some(a)) => write!(f, " (client alert {})", a.description)?,
                (None, None) => f.write_str(" (no alert)")?,
            }
        }
        if self.hello_retry {
            match self.hello_retry_group {
                Some(g) => write!(f, " after HRR({g})")?,
                None => f.write_str(" after HRR")?,
            }
        }
        Ok(())
    }
}

type Shared = Arc<(Mutex<Vec<Observation>>, Condvar)>;

fn lock(shared: &Shared) -> MutexGuard<'_, Vec<Observation>> {
    shared.0.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Applies `f` to connection `index`'s observation and wakes waiters.
fn update(shared: &Shared, index: usize, f: impl FnOnce(&mut Observation)) {
    if let Some(obs) = lock(shared).get_mut(index) {
        f(obs);
    }
    shared.1.notify_all();
}

/// A loopback listener that forwards to `upstream` (or, as a sink, only
/// reads ClientHellos) and records each connection. Stops when dropped.
pub struct Tap {
    addr: SocketAddr,
    shared: Shared,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Tap {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Tap {
    /// Listens on 127.0.0.1:0 and forwards every accepted connection to `upstream`.
    pub fn start(upstream: SocketAddr) -> Tap {
        Tap::spawn(Some(upstream))
    }

    /// Listens on 127.0.0.1:0, reads each client's ClientHello and closes.
    pub fn sink() -> Tap {
        Tap::spawn(None)
    }

    fn spawn(upstream: Option<SocketAddr>) -> Tap {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tap")
            .enable_all()
            .build()
            .expect("tap runtime");
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("tap bind");
        std_listener.set_nonblocking(true).expect("tap nonblocking");
        let addr = std_listener.local_addr().expect("tap address");
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(std_listener).expect("tap listener")
        };
        let shared: Shared = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        runtime.spawn(accept_loop(listener, upstream, shared.clone()));
        Tap {
            addr,
            shared,
            runtime: Some(runtime),
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        lock(&self.shared).len()
    }

    /// The current state of every connection.
    pub fn snapshot(&self) -> Vec<Observation> {
        lock(&self.shared).clone()
    }

    /// Waits up to `timeout` for connection `index` (accept order, from 0)
    /// to end and returns what was seen. On timeout it returns the state so
    /// far (`closed` false), or `None` if that connection never arrived.
    pub fn wait(&self, index: usize, timeout: Duration) -> Option<Observation> {
        let guard = lock(&self.shared);
        let (guard, _) = self
            .shared
            .1
            .wait_timeout_while(guard, timeout, |all| {
                all.get(index).is_none_or(|o| !o.closed)
            })
            .unwrap_or_else(PoisonError::into_inner);
        guard.get(index).cloned()
    }
}

async fn accept_loop(listener: TcpListener, upstream: Option<SocketAddr>, shared: Shared) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let index = {
            let mut all = lock(&shared);
            let index = all.len();
            all.push(Observation {
                index,
                ..Observation::default()
            });
            index
        };
        shared.1.notify_all();
        let shared = shared.clone();
        tokio::spawn(async move {
            match upstream {
                Some(upstream) => forward(client, upstream, index, &shared).await,
                None => sink(client, index, &shared).await,
            }
            update(&shared, index, |o| o.closed = true);
        });
    }
}

async fn forward(client: TcpStream, upstream: SocketAddr, index: usize, shared: &Shared) {
    let server = match tokio::time::timeout(STEP_TIMEOUT, TcpStream::connect(upstream)).await {
        Ok(Ok(server)) => server,
        Ok(Err(e)) => return update(shared, index, |o| o.note(format!("upstream: {e}"))),
        Err(_) => return update(shared, index, |o| o.note("upstream: timeout".into())),
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pump(client_read, server_write, Side::Client, index, shared);
    let down = pump(server_read, client_write, Side::Server, index, shared);
    tokio::pin!(up, down);
    // A clean end (EOF) of one direction is passed on as a half-close and the
    // other keeps going; an error on either tears both down.
    let (mut up_done, mut down_done) = (false, false);
    while !(up_done && down_done) {
        let clean = tokio::select! {
            clean = &mut up, if !up_done => { up_done = true; clean }
            clean = &mut down, if !down_done => { down_done = true; clean }
        };
        if !clean {
            break;
        }
    }
}

/// Copies one direction, parsing each chunk before passing it on (so the
/// observation is up to date before the other side can react to it).
/// Returns true when it ended with a clean EOF passed on as a half-close.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    side: Side,
    index: usize,
    shared: &Shared,
) -> bool {
    let mut parser = Parser::new(side);
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => return to.shutdown().await.is_ok(),
            Ok(n) => n,
            Err(_) => return false,
        };
        update(shared, index, |o| {
            match side {
                Side::Client => o.bytes_from_client += n as u64,
                Side::Server => o.bytes_from_server += n as u64,
            }
            parser.feed(&buf[..n], o);
        });
        if to.write_all(&buf[..n]).await.is_err() {
            return false;
        }
    }
}

/// Reads until one ClientHello is parsed (or the client stops, or limits
/// are hit), then drops the connection.
async fn sink(mut client: TcpStream, index: usize, shared: &Shared) {
    let mut parser = Parser::new(Side::Client);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut total = 0u64;
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    loop {
        let n = match tokio::time::timeout_at(deadline, client.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => n,
            Err(_) => return update(shared, index, |o| o.note("sink: timeout".into())),
        };
        total += n as u64;
        let mut done = false;
        update(shared, index, |o| {
            o.bytes_from_client += n as u64;
            parser.feed(&buf[..n], o);
            done = !o.client_hellos.is_empty() || parser.opaque;
        });
        if done || total > SINK_LIMIT {
            break;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// Reads one direction's records until they become encrypted (or
/// unreadable), with pqready's own flight reader; this side only applies
/// what each event means for the observation.
struct Parser {
    side: Side,
    reader: FlightReader,
    /// Parsing stopped for good: encrypted from here, or unreadable.
    opaque: bool,
}

impl Parser {
    fn new(side: Side) -> Self {
        let sender = match side {
            Side::Client => Sender::Client,
            Side::Server => Sender::Server,
        };
        Parser {
            side,
            reader: FlightReader::new(
                sender,
                FlightLimits {
                    max_message: MAX_MESSAGE,
                    max_total: MAX_PLAINTEXT_BYTES,
                },
            ),
            opaque: false,
        }
    }

    fn stop(&mut self, obs: &mut Observation, why: Option<String>) {
        self.opaque = true;
        self.reader.stop();
        if let Some(why) = why {
            obs.note(format!("{:?}: {why}", self.side));
        }
    }

    fn feed(&mut self, data: &[u8], obs: &mut Observation) {
        if self.opaque {
            return;
        }
        self.reader.push(data);
        while !self.opaque {
            match self.reader.next_event() {
                Ok(Some(event)) => self.event(event, obs),
                Ok(None) => break,
                Err(FlightError::Header { error, .. }) => {
                    self.stop(obs, Some(format!("record header: {error}")))
                }
                Err(e) => self.stop(obs, Some(e.to_string())),
            }
        }
    }

    fn event(&mut self, event: Event, obs: &mut Observation) {
        let tls12 = obs.server_hello && obs.version != Some(ProtocolVersion::TLS1_3);
        match event {
            Event::RecordHeader(_) => {}
            Event::Alert(alert) => match self.side {
                Side::Server if !obs.server_hello => {
                    obs.server_alert.get_or_insert(alert);
                }
                Side::Server => obs.note(format!("server alert after ServerHello: {alert:?}")),
                Side::Client => {
                    obs.client_alert.get_or_insert(alert);
                }
            },
            // TLS 1.2: everything after ChangeCipherSpec is encrypted. TLS 1.3
            // sends a compatibility CCS in plaintext (a client may send one
            // before its second ClientHello); what follows it is either a
            // plaintext ClientHello or application_data records.
            Event::ChangeCipherSpec if tls12 => self.stop(obs, None),
            Event::ChangeCipherSpec => {}
            // application_data: encrypted from here on.
            Event::ApplicationData(_) => self.stop(obs, None),
            Event::ClientHello { hello, .. } => {
                if obs.client_hellos.len() < MAX_HELLOS {
                    obs.client_hellos.push(*hello)
                } else {
                    obs.note("too many ClientHellos".into())
                }
            }
            Event::ServerHello(hello) => self.server_hello(&hello, obs),
            Event::Handshake(msg)
                if self.side == Side::Server
                    && msg.typ == HANDSHAKE_SERVER_KEY_EXCHANGE
                    && obs.server_hello =>
            {
                match server_key_exchange_curve(&msg.body) {
                    Ok(group) => obs.negotiated_group = group,
                    Err(e) => self.stop(obs, Some(format!("ServerKeyExchange: {e}"))),
                }
            }
            Event::Handshake(_) => {}
        }
    }

    fn server_hello(&mut self, hello: &ServerHello, obs: &mut Observation) {
        let share = match hello.selected_share() {
            Ok(share) => share,
            Err(e) => return self.stop(obs, Some(format!("ServerHello key_share: {e}"))),
        };
        if hello.is_hello_retry_request() {
            obs.hello_retry = true;
            obs.hello_retry_group = share.map(|s| s.group);
            return;
        }
        obs.server_hello = true;
        let version = match hello.selected_version() {
            Ok(v) => v,
            Err(e) => return self.stop(obs, Some(format!("ServerHello version: {e}"))),
        };
        obs.version = Some(version);
        if version == ProtocolVersion::TLS1_3 {
            obs.negotiated_group = share.map(|s| s.group);
            obs.server_share_len = share.and_then(|s| s.share_len);
            // The rest of a TLS 1.3 server flight is encrypted.
            self.stop(obs, None);
        }
    }
}
