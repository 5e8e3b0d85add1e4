//! Probing: talk to one target and record what it did.
//!
//! Owns: the checks that send traffic — key-exchange groups, TLS versions, a
//! full rustls handshake, client-profile replay, big-ClientHello tolerance —
//! and the per-target [`Session`] that counts the connections they use. Each
//! check returns a serde-typed observation.
//!
//! Must not: assign severity or verdicts (that is `assess`), format output
//! (that is `report`), or touch sockets except through `net`.

pub mod clients;
pub mod exchange;
pub mod groups;
pub mod handshake;
pub mod keyshare;
pub mod tolerance;
pub mod versions;

use crate::discover::Target;
use crate::net::{self, Conn, NetError};
use crate::wire::record::fragment;
use crate::wire::{ClientHelloSpec, NamedGroup, ProtocolVersion};
use exchange::{ReadUntil, Reply};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Deadline for each network step (resolve, connect, one hello exchange, the handshake).
    pub timeout: Duration,
    /// Groups offered during discovery, in offer order (the registry plus user additions).
    pub candidate_groups: Vec<NamedGroup>,
    /// Client profiles to replay against each target (`--clients`); empty for none.
    pub clients: Vec<crate::catalog::profile::ClientProfile>,
    /// Run the big-ClientHello tolerance variants (`--skip hello-tolerance` turns them off).
    pub hello_tolerance: bool,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            timeout: Duration::from_secs(5),
            candidate_groups: crate::wire::GROUPS.iter().map(|g| g.group).collect(),
            clients: Vec::new(),
            hello_tolerance: true,
        }
    }
}

/// Everything pqready observed about one target. Facts only.
#[derive(Debug, Clone, Serialize)]
pub struct TargetObservation {
    /// The resolved address that was probed.
    pub address: SocketAddr,
    /// The SNI sent, if any.
    pub sni: Option<String>,
    /// Protocol versions the server accepted, newest first.
    pub tls_versions: Vec<ProtocolVersion>,
    /// What key-exchange group discovery found.
    pub groups: groups::GroupsObservation,
    /// What one complete rustls handshake negotiated.
    pub handshake: handshake::HandshakeObservation,
    /// What each requested client profile gets from this server.
    pub clients: Vec<clients::ClientResult>,
    /// The big-ClientHello variants, unless skipped.
    pub hello_tolerance: Option<Vec<tolerance::VariantObservation>>,
    /// TCP connections opened for this target.
    pub connections: u32,
    /// Wall-clock time spent on this target.
    pub elapsed_ms: u64,
}

/// The per-target context shared by the checks: where to connect, what name
/// to send, and how many connections have been used.
#[derive(Debug)]
pub struct Session {
    /// The address to connect to.
    pub addr: SocketAddr,
    /// SNI to send, if any.
    pub sni: Option<String>,
    /// Per-step deadline.
    pub timeout: Duration,
    connections: AtomicU32,
}

impl Session {
    /// A session for `addr`.
    pub fn new(addr: SocketAddr, sni: Option<String>, timeout: Duration) -> Self {
        Session {
            addr,
            sni,
            timeout,
            connections: AtomicU32::new(0),
        }
    }

    /// Opens (and counts) a new connection.
    pub async fn connect(&self) -> Result<Conn, NetError> {
        self.connections.fetch_add(1, Ordering::Relaxed);
        Conn::open(self.addr, self.timeout).await
    }

    /// Connections opened so far.
    pub fn connections(&self) -> u32 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Sends `spec` (with this session's SNI) in one record on a new connection
    /// and returns the server's answer.
    pub async fn hello(
        &self,
        mut spec: ClientHelloSpec,
        until: ReadUntil,
    ) -> Result<Reply, NetError> {
        if spec.server_name.is_none() {
            spec.server_name = self.sni.clone();
        }
        aws_lc_rs::rand::fill(&mut spec.random)
            .map_err(|_| NetError::Io("no randomness".into()))?;
        if !spec.session_id.is_empty() {
            aws_lc_rs::rand::fill(&mut spec.session_id)
                .map_err(|_| NetError::Io("no randomness".into()))?;
        }
        let records = fragment(
            &spec.encode(),
            crate::wire::record::MAX_PLAINTEXT,
            ProtocolVersion::TLS1_0,
        );
        let mut conn = self.connect().await?;
        exchange::exchange(&mut conn, &records, until).await
    }
}

/// Why a target could not be probed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeError {
    /// Stable label (`resolve`, `refused`, `timeout`, `not-tls`, ...).
    pub kind: &'static str,
    /// One line for a human.
    pub message: String,
    /// The address, if resolution got that far.
    pub address: Option<SocketAddr>,
    /// Connections opened before the failure.
    pub connections: u32,
}

impl ProbeError {
    /// An error with a label and a message; address and count are filled in later.
    pub fn new(kind: &'static str, message: String) -> Self {
        ProbeError {
            kind,
            message,
            address: None,
            connections: 0,
        }
    }
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<NetError> for ProbeError {
    fn from(e: NetError) -> Self {
        ProbeError::new(e.label(), e.to_string())
    }
}

/// Resolves and probes one target: group discovery, versions, one handshake.
pub async fn probe_target(
    target: &Target,
    config: &ProbeConfig,
) -> Result<TargetObservation, ProbeError> {
    let started = Instant::now();
    let addr = net::resolve(&target.host, target.port, config.timeout).await?;
    let session = Session::new(addr, target.sni.clone(), config.timeout);
    probe_session(&session, config, started)
        .await
        .map_err(|mut e| {
            e.address = Some(addr);
            e.connections = session.connections();
            e
        })
}

async fn probe_session(
    session: &Session,
    config: &ProbeConfig,
    started: Instant,
) -> Result<TargetObservation, ProbeError> {
    let addr = session.addr;
    let sni = session.sni.clone();
    let groups = groups::discover(session, &config.candidate_groups).await?;
    // Discovery ran first because its first exchange tells whether the
    // endpoint speaks TLS at all; the rest are independent of each other.
    let (mut tls_versions, handshake, clients) = tokio::join!(
        versions::probe_legacy_versions(session),
        handshake::full_handshake(session),
        clients::check(session, &config.clients),
    );
    // After the rest: the split variant pauses mid-hello, and single-threaded
    // servers would make concurrent probes wait behind it.
    let hello_tolerance = match config.hello_tolerance {
        true => Some(tolerance::check(session).await),
        false => None,
    };
    if groups.tls13 || handshake.version == Some(ProtocolVersion::TLS1_3) {
        tls_versions.insert(0, ProtocolVersion::TLS1_3);
    }
    if let Some(v) = handshake.version {
        if !tls_versions.contains(&v) {
            tls_versions.push(v);
            tls_versions.sort_by(|a, b| b.cmp(a));
        }
    }
    if tls_versions.is_empty() && handshake.error.is_some() {
        return Err(ProbeError::new(
            "no-tls",
            format!(
                "no TLS handshake succeeded ({})",
                handshake.error.as_deref().unwrap_or("no answer")
            ),
        ));
    }
    Ok(TargetObservation {
        address: addr,
        sni,
        tls_versions,
        groups,
        handshake,
        clients,
        hello_tolerance,
        connections: session.connections(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}
