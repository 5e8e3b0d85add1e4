//! The only code in pqready that opens outbound connections (probes, and
//! `inspect --forward` to its upstream); listeners live with their servers
//! (`inspect`, `demo`).
//!
//! Owns: name resolution, TCP connect, writes and reads — each bounded by a
//! deadline — and the mapping of I/O failures onto a small typed [`NetError`]
//! with stable labels. It moves bytes only: it never parses TLS (that is
//! `wire`) and never decides what a failure means (that is `probe`/`assess`).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

/// A network step that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// The name did not resolve (or resolved to nothing).
    Resolve(String),
    /// Connection refused: nothing listens there.
    Refused,
    /// The named step did not finish before its deadline.
    Timeout(&'static str),
    /// The peer reset the connection.
    Reset,
    /// The peer closed the connection cleanly before answering in full.
    Closed,
    /// Any other I/O error, with the OS's words.
    Io(String),
}

impl NetError {
    /// A stable, low-cardinality label for metrics and JSON.
    pub fn label(&self) -> &'static str {
        match self {
            NetError::Resolve(_) => "resolve",
            NetError::Refused => "refused",
            NetError::Timeout(_) => "timeout",
            NetError::Reset => "reset",
            NetError::Closed => "closed",
            NetError::Io(_) => "io",
        }
    }

    fn from_io(err: io::Error) -> Self {
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

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetError::Resolve(msg) => write!(f, "cannot resolve: {msg}"),
            NetError::Refused => f.write_str("connection refused"),
            NetError::Timeout(step) => write!(f, "timed out during {step}"),
            NetError::Reset => f.write_str("connection reset by peer"),
            NetError::Closed => f.write_str("connection closed by peer"),
            NetError::Io(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for NetError {}

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
        Ok(Conn { stream, deadline })
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

    /// Hands the stream to a TLS library; the caller must bound it in time.
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }
}
