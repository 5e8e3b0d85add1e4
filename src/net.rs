//! The only code in pqready that opens outbound connections (probes, and
//! `inspect --forward` to its upstream); listeners live with their servers
//! (`inspect`, `demo`).
//!
//! Owns: name resolution, TCP connect, writes and reads, and UDP datagrams
//! for QUIC — each bounded by a deadline — and the mapping of I/O failures onto a small typed [`NetError`]
//! with stable labels. It moves bytes only: it never parses TLS (that is
//! `wire`) and never decides what a failure means (that is `probe`/`assess`).

use crate::vocab::ErrorKind;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

/// A network step that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// The name did not resolve (or resolved to nothing).
    #[error("cannot resolve: {0}")]
    Resolve(String),
    /// Connection refused: nothing listens there.
    #[error("connection refused")]
    Refused,
    /// The named step did not finish before its deadline.
    #[error("timed out during {0}")]
    Timeout(&'static str),
    /// The peer reset the connection.
    #[error("connection reset by peer")]
    Reset,
    /// The peer closed the connection cleanly before answering in full.
    #[error("connection closed by peer")]
    Closed,
    /// Any other I/O error, with the OS's words.
    #[error("{0}")]
    Io(String),
    /// The plaintext before TLS (STARTTLS and its kin) did not lead to TLS:
    /// the server refused, or does not speak the protocol; what it said.
    #[error("{0}")]
    NoStartTls(String),
}

impl NetError {
    /// The stable error kind for JSON, metrics and tables.
    pub fn kind(&self) -> ErrorKind {
        match self {
            NetError::Resolve(_) => ErrorKind::Resolve,
            NetError::Refused => ErrorKind::Refused,
            NetError::Timeout(_) => ErrorKind::Timeout,
            NetError::Reset => ErrorKind::Reset,
            NetError::Closed => ErrorKind::Closed,
            NetError::Io(_) => ErrorKind::Io,
            NetError::NoStartTls(_) => ErrorKind::NotTls,
        }
    }

    /// Maps an I/O error onto the typed failures.
    pub fn from_io(err: io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::ConnectionRefused => NetError::Refused,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => NetError::Reset,
            io::ErrorKind::UnexpectedEof => NetError::Closed,
            io::ErrorKind::TimedOut => NetError::Timeout("i/o"),
            _ => NetError::Io(err.to_string()),
        }
    }
}

/// What an I/O error from a TLS library (tokio-rustls) means, typed: the
/// rustls error it carries (an alert received, a protocol violation) or the
/// socket failure underneath. Used instead of reading error text.
pub fn tls_error_kind(err: &io::Error) -> ErrorKind {
    if let Some(tls) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return rustls_error_kind(tls);
    }
    match err.kind() {
        io::ErrorKind::InvalidData => ErrorKind::Tls,
        _ => NetError::from_io(io::Error::new(err.kind(), "")).kind(),
    }
}

/// The error kind of a rustls failure, whatever carried it (a TCP
/// stream's I/O error, a QUIC connection's TLS session).
pub fn rustls_error_kind(tls: &rustls::Error) -> ErrorKind {
    match tls {
        rustls::Error::AlertReceived(_) => ErrorKind::Alert,
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            ErrorKind::Malformed
        }
        rustls::Error::PeerMisbehaved(_) | rustls::Error::PeerIncompatible(_) => {
            ErrorKind::PeerMisbehaved
        }
        _ => ErrorKind::Tls,
    }
}

/// Resolves `host:port` to the first address the system returns.
pub async fn resolve(host: &str, port: u16, limit: Duration) -> Result<SocketAddr, NetError> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let lookup = tokio::net::lookup_host((host, port));
    match tokio::time::timeout(limit, lookup).await {
        Err(_) => Err(NetError::Timeout("name resolution")),
        Ok(Err(e)) => Err(NetError::Resolve(e.to_string())),
        Ok(Ok(mut addrs)) => addrs
            .next()
            .ok_or_else(|| NetError::Resolve("no addresses".into())),
    }
}

/// A TCP connection whose every read and write must finish by one deadline.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    deadline: Instant,
    host: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Conn {
    /// Connects within `limit`; the connection's deadline starts at `limit`
    /// from now and can be moved with [`Conn::set_deadline_in`].
    pub async fn open(addr: SocketAddr, limit: Duration) -> Result<Conn, NetError> {
        let deadline = Instant::now() + limit;
        let stream = match timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => return Err(NetError::Timeout("connect")),
            Ok(Err(e)) => return Err(NetError::from_io(e)),
            Ok(Ok(s)) => s,
        };
        // Segments must leave in the shape the caller writes them: tolerance
        // checks depend on it, and small hellos should not wait for Nagle.
        let _ = stream.set_nodelay(true);
        Ok(Conn {
            stream,
            deadline,
            host: None,
        })
    }

    /// Moves the deadline to `limit` from now.
    pub fn set_deadline_in(&mut self, limit: Duration) {
        self.deadline = Instant::now() + limit;
    }

    /// Writes all of `bytes` before the deadline.
    pub async fn write_all(&mut self, bytes: &[u8]) -> Result<(), NetError> {
        match timeout_at(self.deadline, self.stream.write_all(bytes)).await {
            Err(_) => Err(NetError::Timeout("write")),
            Ok(Err(e)) => Err(NetError::from_io(e)),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Fills `buf` before the deadline, or fails.
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        match timeout_at(self.deadline, self.stream.read_exact(buf)).await {
            Err(_) => Err(NetError::Timeout("read")),
            Ok(Err(e)) => Err(NetError::from_io(e)),
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// Reads whatever arrives next (at most `buf.len()` bytes) before the deadline.
    /// Returns 0 at end of stream.
    pub async fn read_some(&mut self, buf: &mut [u8]) -> Result<usize, NetError> {
        match timeout_at(self.deadline, self.stream.read(buf)).await {
            Err(_) => Err(NetError::Timeout("read")),
            Ok(Err(e)) => Err(NetError::from_io(e)),
            Ok(Ok(n)) => Ok(n),
        }
    }

    /// Hands the stream on (an uncapped connection); the caller must bound
    /// it in time.
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }

    /// Hands the stream to a TLS library with its place under the per-host
    /// cap, kept until the stream is dropped; the caller must bound it in time.
    pub fn into_held_stream(self) -> HeldStream {
        HeldStream {
            stream: self.stream,
            _host: self.host,
        }
    }

    /// The connection keeps `permit` (its place under the per-host cap).
    pub fn holding(mut self, permit: Option<tokio::sync::OwnedSemaphorePermit>) -> Conn {
        self.host = permit;
        self
    }
}

/// A UDP socket talking to one peer (QUIC probes): sends whole datagrams
/// and receives them until a deadline the caller gives each time.
#[derive(Debug)]
pub struct Datagrams {
    socket: tokio::net::UdpSocket,
}

impl Datagrams {
    /// A socket on an ephemeral port of the right family, connected to
    /// `addr` so only its datagrams arrive (and an ICMP port-unreachable
    /// surfaces as [`NetError::Refused`]).
    pub async fn open(addr: SocketAddr) -> Result<Datagrams, NetError> {
        let local: SocketAddr = match addr {
            SocketAddr::V4(_) => (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let socket = tokio::net::UdpSocket::bind(local)
            .await
            .map_err(NetError::from_io)?;
        socket.connect(addr).await.map_err(NetError::from_io)?;
        Ok(Datagrams { socket })
    }

    /// Sends one datagram.
    pub async fn send(&self, datagram: &[u8]) -> Result<(), NetError> {
        self.socket
            .send(datagram)
            .await
            .map(|_| ())
            .map_err(NetError::from_io)
    }

    /// The next datagram (cut to `buf.len()`), or `None` at `deadline`.
    pub async fn recv_until(
        &self,
        deadline: Instant,
        buf: &mut [u8],
    ) -> Result<Option<usize>, NetError> {
        match timeout_at(deadline, self.socket.recv(buf)).await {
            Err(_) => Ok(None),
            Ok(Err(e)) => Err(NetError::from_io(e)),
            Ok(Ok(n)) => Ok(Some(n)),
        }
    }
}

/// An unconnected UDP socket on an ephemeral port of `addr`'s family, for
/// a QUIC stack (quinn) that sends to `addr` itself; non-blocking, as an
/// async runtime needs it.
pub fn udp_socket_for(addr: SocketAddr) -> Result<std::net::UdpSocket, NetError> {
    let local: SocketAddr = match addr {
        SocketAddr::V4(_) => (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = std::net::UdpSocket::bind(local).map_err(NetError::from_io)?;
    socket.set_nonblocking(true).map_err(NetError::from_io)?;
    Ok(socket)
}

/// A TCP stream that keeps its connection's place under the per-host cap
/// ([`HostCap`]) for as long as it lives.
#[derive(Debug)]
pub struct HeldStream {
    stream: TcpStream,
    _host: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl HeldStream {
    /// The connection's smoothed round-trip time, see [`smoothed_rtt`].
    pub fn smoothed_rtt(&self) -> Option<Duration> {
        smoothed_rtt(&self.stream)
    }
}

impl tokio::io::AsyncRead for HeldStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for HeldStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::pin::Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// At most `per_host` connections open at once to one IP address
/// (`--per-host`), across every target of a run: endpoints that share a
/// node (a kubelet, its NodePorts) are not all probed at once.
#[derive(Debug)]
pub struct HostCap {
    per_host: usize,
    hosts: std::sync::Mutex<
        std::collections::HashMap<std::net::IpAddr, std::sync::Weak<tokio::sync::Semaphore>>,
    >,
}

impl HostCap {
    /// A cap of `per_host` connections (at least 1) per address.
    pub fn new(per_host: usize) -> Self {
        HostCap {
            per_host: per_host.max(1),
            hosts: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Waits for a place to open one more connection to `ip`.
    pub async fn enter(&self, ip: std::net::IpAddr) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let gate = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
            match hosts.get(&ip).and_then(std::sync::Weak::upgrade) {
                Some(gate) => gate,
                None => {
                    // Hosts with no connection open hold nothing: forget them.
                    if hosts.len() >= 1024 {
                        hosts.retain(|_, gate| gate.strong_count() > 0);
                    }
                    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(self.per_host));
                    hosts.insert(ip, std::sync::Arc::downgrade(&gate));
                    gate
                }
            }
        };
        gate.acquire_owned().await.ok()
    }
}

/// How the first flight (the ClientHello record) leaves the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segmenting {
    /// One write.
    OneWrite,
    /// Two writes: the first `first` bytes, a pause, then the rest.
    Split {
        /// Bytes in the first write.
        first: usize,
        /// Time between the writes.
        pause: Duration,
    },
    /// Two writes, with a pause that follows the path: twice the
    /// connection's smoothed round-trip time, within `floor..=cap`
    /// ([`Segmenting::for_path`] makes it a [`Segmenting::Split`] once the
    /// connection is made).
    SplitForPath {
        /// Bytes in the first write.
        first: usize,
        /// The shortest pause: what still makes the two writes two reads on
        /// loopback, where the round trip is tens of microseconds.
        floor: Duration,
        /// The longest pause.
        cap: Duration,
    },
}

impl Segmenting {
    /// The most this shape may pause (a deadline adds it).
    pub fn pause(self) -> Duration {
        match self {
            Segmenting::OneWrite => Duration::ZERO,
            Segmenting::Split { pause, .. } => pause,
            Segmenting::SplitForPath { floor, cap, .. } => cap.max(floor),
        }
    }

    /// This shape on a connection whose smoothed round-trip time is `rtt`
    /// (`None`: not known, the cap is taken).
    pub fn for_path(self, rtt: Option<Duration>) -> Segmenting {
        match self {
            Segmenting::SplitForPath { first, floor, cap } => Segmenting::Split {
                first,
                pause: rtt.map_or(cap, |rtt| (rtt * 2).clamp(floor, cap.max(floor))),
            },
            other => other,
        }
    }
}

/// The kernel's smoothed round-trip time of a connected TCP socket
/// (`TCP_INFO`'s `tcpi_rtt`, measured from the handshake on): `None` where
/// the kernel does not say.
pub fn smoothed_rtt(socket: &impl std::os::fd::AsRawFd) -> Option<Duration> {
    // SAFETY: tcp_info is plain old data; getsockopt writes at most `len`
    // bytes into it and the fd is a live socket borrowed for the call.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    (rc == 0 && info.tcpi_rtt > 0).then(|| Duration::from_micros(u64::from(info.tcpi_rtt)))
}

/// Moves bytes between an in-memory TLS client (`pipe`) and the socket,
/// reshaping only its first record: `reframe` may cut it into other records,
/// `segmenting` decides the TCP writes. Reports the bytes of the reshaped
/// first flight on `sent`, then copies both ways until either side closes.
/// The caller bounds the whole exchange in time.
pub async fn pump_first_flight(
    pipe: tokio::io::DuplexStream,
    tcp: HeldStream,
    reframe: impl FnOnce(Vec<u8>) -> Vec<u8>,
    segmenting: Segmenting,
    slot: Option<&WorkSlot>,
    sent: tokio::sync::oneshot::Sender<usize>,
) -> io::Result<()> {
    use crate::wire::record::HEADER_LEN;
    let (mut pipe_r, mut pipe_w) = tokio::io::split(pipe);
    let (mut tcp_r, mut tcp_w) = tokio::io::split(tcp);
    let mut header = [0u8; HEADER_LEN];
    pipe_r.read_exact(&mut header).await?;
    let len = u16::from_be_bytes([header[3], header[4]]) as usize;
    let mut record = header.to_vec();
    record.resize(HEADER_LEN + len, 0);
    pipe_r.read_exact(&mut record[HEADER_LEN..]).await?;
    let first = reframe(record);
    match segmenting {
        Segmenting::Split { first: n, pause } if n < first.len() => {
            tcp_w.write_all(&first[..n]).await?;
            tcp_w.flush().await?;
            match slot {
                Some(slot) => slot.release_and_wait(pause).await,
                None => tokio::time::sleep(pause).await,
            }
            tcp_w.write_all(&first[n..]).await?;
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

/// How many probes of a run work at once, and the run's gauge for it.
///
/// A fixed run (`floor == ceiling`) is a plain semaphore. An adaptive run
/// starts at `floor` and, like TCP Vegas, reads the network's answer times:
/// while exchanges take about as long as the fastest their host has
/// answered (the link's round trips, not a queue, set the pace), every answer
/// lets one more probe in, up to `ceiling`; when they stretch to twice that
/// (a server or our own CPU is queueing), the limit drops by a quarter, at
/// most once per exchange time, never below `floor`. "Fastest" is per host
/// (IP address): queueing at a server shows in its own answers, and a run
/// mixing near and far hosts judges each against itself. On a near network the
/// CPU is the bottleneck and the limit stays near `floor`; across a slow link
/// probes mostly wait, and the limit grows until the link is full.
#[derive(Debug)]
pub struct Concurrency {
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    floor: usize,
    ceiling: usize,
    gauge: std::sync::Mutex<Gauge>,
    grew: tokio::sync::Notify,
}

#[derive(Debug)]
struct Gauge {
    limit: usize,
    /// Permits to drop as they come back (what the last cut took away from
    /// probes that were holding them).
    owed: usize,
    /// Smoothed ratio of an exchange's time to its host's fastest.
    stretch: f64,
    /// The fastest answer of each host seen (bounded: forgotten all at once
    /// when full, as hosts then answer once or twice each anyway).
    fastest: std::collections::HashMap<std::net::IpAddr, Duration>,
    /// No cut before this (one per recent exchange time).
    calm_until: Instant,
}

/// Below this smoothed stretch the limit grows.
const GROW_BELOW: f64 = 1.5;
/// Above this it shrinks.
const SHRINK_ABOVE: f64 = 2.0;
/// Exchanges shorter than this never raise the limit: the probes' own work
/// (a fraction of a millisecond per exchange) is then not small beside the
/// wait, and the default 16 already keep two cores busy. Near networks
/// (a cluster, loopback) stay where they are; far ones grow.
const WORTH_OVERLAPPING: Duration = Duration::from_millis(5);
/// Hosts whose fastest answer is remembered.
const HOSTS_REMEMBERED: usize = 16_384;

impl Concurrency {
    /// Exactly `n` probes at once.
    pub fn fixed(n: usize) -> std::sync::Arc<Concurrency> {
        Concurrency::adaptive(n, n)
    }

    /// `floor` probes at once to begin with, up to `ceiling` while the
    /// network answers at its own pace.
    pub fn adaptive(floor: usize, ceiling: usize) -> std::sync::Arc<Concurrency> {
        let floor = floor.max(1);
        std::sync::Arc::new(Concurrency {
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(floor)),
            floor,
            ceiling: ceiling.max(floor),
            gauge: std::sync::Mutex::new(Gauge {
                limit: floor,
                owed: 0,
                stretch: 1.0,
                fastest: std::collections::HashMap::new(),
                calm_until: Instant::now(),
            }),
            grew: tokio::sync::Notify::new(),
        })
    }

    /// Probes allowed at work now.
    pub fn limit(&self) -> usize {
        self.gauge().limit
    }

    /// Waits until the limit has grown (at once if it grew since the last call).
    pub async fn grown(&self) {
        self.grew.notified().await
    }

    fn gauge(&self) -> std::sync::MutexGuard<'_, Gauge> {
        self.gauge.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes in one answered exchange with `host` that took `took`.
    pub fn observe(&self, host: std::net::IpAddr, took: Duration) {
        if self.floor == self.ceiling {
            return;
        }
        let took = took.max(Duration::from_micros(1));
        let mut gauge = self.gauge();
        if gauge.fastest.len() >= HOSTS_REMEMBERED && !gauge.fastest.contains_key(&host) {
            gauge.fastest.clear();
        }
        let fastest = match gauge.fastest.get_mut(&host) {
            Some(fastest) => {
                *fastest = (*fastest).min(took);
                *fastest
            }
            // A host's first answer says nothing about queueing yet.
            None => {
                gauge.fastest.insert(host, took);
                return;
            }
        };
        let ratio = took.as_secs_f64() / fastest.as_secs_f64();
        gauge.stretch += (ratio.min(16.0) - gauge.stretch) / 8.0;
        if gauge.stretch <= GROW_BELOW {
            // Only a limit in use, across a wait worth overlapping, is worth raising.
            if gauge.limit < self.ceiling
                && took >= WORTH_OVERLAPPING
                && self.slots.available_permits() == 0
            {
                gauge.limit += 1;
                tracing::debug!(
                    limit = gauge.limit,
                    stretch = gauge.stretch,
                    "concurrency grew"
                );
                match gauge.owed {
                    0 => self.slots.add_permits(1),
                    _ => gauge.owed -= 1,
                }
                self.grew.notify_one();
            }
        } else if gauge.stretch >= SHRINK_ABOVE && gauge.limit > self.floor {
            let now = Instant::now();
            if now >= gauge.calm_until {
                let kept = (gauge.limit * 3 / 4).max(self.floor);
                gauge.owed += gauge.limit - kept;
                gauge.limit = kept;
                tracing::debug!(limit = kept, stretch = gauge.stretch, "concurrency cut");
                let owed = gauge.owed;
                gauge.owed -= self.slots.forget_permits(owed);
                gauge.calm_until = now + took;
            }
        }
    }

    fn give_back(&self, permit: tokio::sync::OwnedSemaphorePermit) {
        let mut gauge = self.gauge();
        if gauge.owed > 0 {
            gauge.owed -= 1;
            permit.forget();
        }
    }
}

/// A probe's share of a run's [`Concurrency`]: held while the probe works,
/// and given back for good when all that is left is a deliberate wait (the
/// pause of a split ClientHello, the probe's last variant) and the one short
/// handshake after it, so that waiting endpoints do not keep others from
/// starting. Dropping it gives it back too.
#[derive(Debug)]
pub struct WorkSlot {
    run: std::sync::Arc<Concurrency>,
    held: std::sync::Mutex<Option<tokio::sync::OwnedSemaphorePermit>>,
}

impl WorkSlot {
    /// Waits for a place in `run` and holds it.
    pub async fn take(run: std::sync::Arc<Concurrency>) -> WorkSlot {
        let permit = run.slots.clone().acquire_owned().await.ok();
        WorkSlot {
            run,
            held: std::sync::Mutex::new(permit),
        }
    }

    /// Gives the slot back, then waits `wait`.
    pub async fn release_and_wait(&self, wait: Duration) {
        self.release();
        tokio::time::sleep(wait).await;
    }

    fn release(&self) {
        let given_back = self.held.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(permit) = given_back {
            self.run.give_back(permit);
        }
    }

    /// Reports one exchange's time to the run (see [`Concurrency::observe`]).
    pub fn observe(&self, host: std::net::IpAddr, took: Duration) {
        self.run.observe(host, took);
    }
}

impl Drop for WorkSlot {
    fn drop(&mut self) {
        self.release();
    }
}

/// Raises the soft limit of open files to the hard limit, as Go programs do
/// at start: shells often leave it at 1,024, which a scan of a slow estate
/// with hundreds of endpoints in flight would run out of. Called once by
/// `main` at startup; validating flags only reads the limit.
pub fn raise_open_files_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
                && limit.rlim_cur < limit.rlim_max
            {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                libc::setrlimit(libc::RLIMIT_NOFILE, &raised);
            }
        }
    }
}

/// File descriptors a run may hold open: the current soft limit.
#[cfg(unix)]
pub fn open_files_allowed() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct passed.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    // rlim_t is narrower than u64 on some targets.
    #[allow(clippy::useless_conversion)]
    u64::try_from(limit.rlim_cur).unwrap_or(u64::MAX)
}

/// File descriptors a run may hold open: Windows has no such per-process
/// limit on sockets worth raising.
#[cfg(not(unix))]
pub fn open_files_allowed() -> u64 {
    u64::MAX
}

/// A global pace for new connections (`--rate N`: at most N per second,
/// spread evenly), shared by every probe of a run so that a scan of many
/// endpoints never arrives as a burst.
#[derive(Debug)]
pub struct ConnectRate {
    interval: Duration,
    next: std::sync::Mutex<Instant>,
}

impl ConnectRate {
    /// At most `per_second` connections per second.
    pub fn per_second(per_second: u32) -> Self {
        ConnectRate {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// Waits for this connection's slot.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::ConnectRate;
    use std::time::Duration;
    use tokio::time::Instant;

    // The tests that involve time run on tokio's paused clock (the code reads
    // only tokio's clock): a wait is exact and instant, whatever the load.
    #[tokio::test(start_paused = true)]
    async fn a_waiting_probe_lets_another_one_work() {
        let run = super::Concurrency::fixed(1);
        let slots = run.slots.clone();
        let first = super::WorkSlot::take(run.clone()).await;
        assert_eq!(slots.available_permits(), 0);
        let waiting = first.release_and_wait(Duration::from_millis(200));
        let second = async {
            let second = super::WorkSlot::take(run.clone()).await;
            assert_eq!(slots.available_permits(), 0);
            drop(second);
        };
        // The second takes the only slot while the first waits.
        let (_, ()) = tokio::join!(waiting, async {
            tokio::time::timeout(Duration::from_millis(150), second)
                .await
                .expect("the slot was given back during the wait")
        });
        assert_eq!(slots.available_permits(), 1);
    }

    const HOST: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));

    #[tokio::test]
    async fn each_host_is_judged_against_its_own_fastest() {
        let run = super::Concurrency::adaptive(2, 10);
        let far = std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));
        let mut held = Vec::new();
        fill(&run, &mut held).await;
        run.observe(HOST, Duration::from_millis(1));
        for _ in 0..50 {
            // 100 times slower than the near host, as fast as itself.
            run.observe(far, Duration::from_millis(100));
            fill(&run, &mut held).await;
        }
        assert_eq!(run.limit(), 10);
    }

    /// Takes every free place of `run`, as waiting probes would.
    async fn fill(run: &std::sync::Arc<super::Concurrency>, held: &mut Vec<super::WorkSlot>) {
        while run.slots.available_permits() > 0 {
            held.push(super::WorkSlot::take(run.clone()).await);
        }
    }

    #[tokio::test]
    async fn a_fixed_run_never_changes() {
        let run = super::Concurrency::fixed(4);
        let mut held = Vec::new();
        fill(&run, &mut held).await;
        for _ in 0..50 {
            run.observe(HOST, Duration::from_millis(100));
        }
        assert_eq!((run.limit(), held.len()), (4, 4));
    }

    /// Places held in a run adapting from 2 to 10 after 50 answers that
    /// each took `took`, with probes waiting for every place.
    async fn held_after_answers_of(took: Duration) -> usize {
        let run = super::Concurrency::adaptive(2, 10);
        let mut held = Vec::new();
        fill(&run, &mut held).await;
        for _ in 0..50 {
            run.observe(HOST, took);
            fill(&run, &mut held).await;
        }
        assert_eq!(run.limit(), held.len());
        held.len()
    }

    #[tokio::test]
    async fn answers_at_the_links_pace_let_more_in_up_to_the_ceiling() {
        assert_eq!(held_after_answers_of(Duration::from_millis(105)).await, 10);
    }

    #[tokio::test]
    async fn a_near_network_does_not_grow() {
        assert_eq!(held_after_answers_of(Duration::from_micros(300)).await, 2);
    }

    #[tokio::test]
    async fn an_unused_limit_does_not_grow() {
        let run = super::Concurrency::adaptive(2, 10);
        let _one = super::WorkSlot::take(run.clone()).await;
        for _ in 0..50 {
            run.observe(HOST, Duration::from_millis(100));
        }
        assert_eq!(run.limit(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn queueing_cuts_the_limit_but_never_below_the_floor() {
        let run = super::Concurrency::adaptive(2, 16);
        let mut held = Vec::new();
        fill(&run, &mut held).await;
        while run.limit() < 16 {
            run.observe(HOST, Duration::from_millis(10));
            fill(&run, &mut held).await;
        }
        // Answers now take four times the host's fastest; one cut per
        // answer's time at most.
        let mut limits = Vec::new();
        for _ in 0..12 {
            run.observe(HOST, Duration::from_millis(40));
            limits.push(run.limit());
            tokio::time::advance(Duration::from_millis(41)).await;
        }
        assert!(limits.windows(2).all(|w| w[1] <= w[0]), "{limits:?}");
        assert_eq!(run.limit(), 2, "{limits:?}");
        // The places taken away are dropped as the probes give them back.
        held.clear();
        assert_eq!(run.slots.available_permits(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_host_cap_counts_per_address() {
        let cap = super::HostCap::new(2);
        let a: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let b: std::net::IpAddr = "127.0.0.2".parse().unwrap();
        let held = [cap.enter(a).await, cap.enter(a).await];
        let third = tokio::time::timeout(Duration::from_millis(50), cap.enter(a)).await;
        assert!(third.is_err(), "a third connection to one address waits");
        assert!(
            cap.enter(b).await.is_some(),
            "another address has its own places"
        );
        drop(held);
        assert!(cap.enter(a).await.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn rate_spreads_connections_evenly() {
        let rate = ConnectRate::per_second(100);
        let started = Instant::now();
        for _ in 0..11 {
            rate.wait().await;
        }
        // The first goes at once, the next ten 10 ms apart.
        assert_eq!(started.elapsed(), Duration::from_millis(100));
    }
}

#[cfg(test)]
mod path_pause_tests {
    use super::*;

    #[test]
    fn a_split_pause_is_twice_the_path_rtt_within_its_floor_and_cap() {
        let ms = Duration::from_millis;
        let plan = Segmenting::SplitForPath {
            first: 8,
            floor: ms(50),
            cap: ms(200),
        };
        let pause = |rtt| plan.for_path(rtt).pause();
        // Loopback: microseconds of round trip, the floor decides.
        assert_eq!(pause(Some(Duration::from_micros(40))), ms(50));
        assert_eq!(pause(Some(ms(60))), ms(120));
        assert_eq!(pause(Some(ms(300))), ms(200));
        // Unknown: the cap, as before the path was measured.
        assert_eq!(pause(None), ms(200));
        // A --timeout short enough to put the cap under the floor: the floor.
        let short = Segmenting::SplitForPath {
            first: 8,
            floor: ms(50),
            cap: ms(25),
        };
        assert_eq!(short.for_path(Some(ms(1))).pause(), ms(50));
        assert_eq!(
            Segmenting::OneWrite.for_path(Some(ms(5))),
            Segmenting::OneWrite
        );
    }

    #[tokio::test]
    async fn the_kernel_reports_a_loopback_connections_round_trip() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, _server) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let rtt = smoothed_rtt(&client.unwrap()).expect("TCP_INFO on a connected socket");
        assert!(rtt < Duration::from_secs(1), "{rtt:?}");
    }
}
