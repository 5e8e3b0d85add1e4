//! Probing: talk to one target and record what it did.
//!
//! Owns: the network primitives of the checks — key-exchange groups, TLS
//! versions, a full rustls handshake, client-profile replay, ML-DSA and
//! classical authentication with the certificate chains, big-ClientHello
//! tolerance — with their serde-typed observations; the per-target
//! [`Session`] that counts the connections they use; and the session loop
//! ([`probe_target`]) that runs a table of [`checks::Check`]s stage by stage
//! and returns one [`TargetObservation`], also for a target it could not
//! probe. The table itself is `crate::checks::ALL_CHECKS`, handed in by the
//! caller: each check there also holds its assess hook, which `probe` must
//! not see.
//!
//! Must not: assign severity or verdicts (that is `assess`), format output
//! (that is `report`), or touch sockets except through `net`.

pub mod certificates;
pub mod checks;
pub mod clients;
pub mod exchange;
pub mod groups;
pub mod handshake;
pub mod quic;
pub mod ssh;
pub mod starttls;
pub mod tolerance;
pub mod versions;

use crate::catalog::profile::ClientProfile;
use crate::discover::Target;
use crate::net::{self, Conn, NetError};
use crate::vocab::{CheckId, CheckStatus, ErrorKind};
use crate::wire::record::fragment;
use crate::wire::{ClientHelloSpec, NamedGroup, ProtocolVersion};
use checks::{together, Check, CheckRecord, CheckSet, Context, Ran, Stage};
use exchange::{ReadUntil, Reply};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Deadline for each network step (resolve, connect, one hello exchange, the handshake).
    pub timeout: Duration,
    /// Groups offered during discovery, in offer order (the registry plus user additions).
    pub candidate_groups: Vec<NamedGroup>,
    /// Client profiles to replay against each target (`--clients`); empty for none.
    pub clients: Vec<&'static ClientProfile>,
    /// The checks to run (`--only`, `--skip`).
    pub checks: CheckSet,
    /// A global pace for new connections (`--rate`), shared by every target.
    pub rate: Option<Arc<net::ConnectRate>>,
    /// At most this many connections open at once to one address
    /// (`--per-host`), shared by every target; none for no cap.
    pub per_host: Option<Arc<net::HostCap>>,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            timeout: Duration::from_secs(5),
            candidate_groups: crate::wire::GROUPS.iter().map(|g| g.group).collect(),
            clients: Vec::new(),
            checks: CheckSet::all(),
            rate: None,
            per_host: None,
        }
    }
}

/// Everything pqready observed about one target. Facts only.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct TargetObservation {
    /// What the target speaks: `tls`, a STARTTLS protocol (`postgres`,
    /// `smtp`...), `ssh` or `quic`; absent in documents written before it
    /// existed, which were all `tls`.
    #[serde(default)]
    pub protocol: crate::vocab::Protocol,
    /// The resolved address that was probed; null when resolution failed.
    pub address: Option<SocketAddr>,
    /// The SNI sent, if any.
    pub sni: Option<String>,
    /// Protocol versions the server was seen to accept, newest first.
    pub tls_versions: Vec<ProtocolVersion>,
    /// What key-exchange group discovery found (empty when not run).
    pub groups: groups::GroupsObservation,
    /// What one complete rustls handshake negotiated (empty when not run).
    pub handshake: handshake::HandshakeObservation,
    /// What each requested client profile gets from this server.
    pub clients: Vec<clients::ClientResult>,
    /// Whether the server authenticates with ML-DSA and with classical
    /// signatures (the `certificates` check); null when it did not run.
    pub authentication: Option<certificates::AuthenticationObservation>,
    /// The certificate chains the `certificates` check analyses: the
    /// `handshake` check's (when it ran), then the ML-DSA and classical
    /// handshakes'. Serialised by the report as the judged `certificates`.
    #[serde(skip)]
    pub chains: Vec<certificates::CapturedChain>,
    /// The big-ClientHello variants, unless skipped. Serialised by the
    /// report inside the judged `hello_tolerance`, next to each outcome.
    #[serde(skip)]
    pub hello_tolerance: Option<Vec<tolerance::VariantObservation>>,
    /// What became of each check, in the order they ran (stage by stage,
    /// in table order within a stage).
    pub checks: Vec<CheckRecord>,
    /// What the QUIC exchanges cost (a `quic` target only; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quic: Option<quic::QuicObservation>,
    /// What an `ssh` target's server identified as and offered; absent for
    /// every other protocol (whose TLS checks fill the fields above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<ssh::SshObservation>,
    /// Connections opened for this target (TCP connections, or QUIC
    /// connection attempts for a `quic` target).
    pub connections: u32,
    /// Wall-clock time spent on this target.
    pub elapsed_ms: u64,
}

#[cfg(test)]
impl TargetObservation {
    /// [`TargetObservation::with_groups`] whose `groups` check ran to the
    /// end: its groups are the server's whole set, as the judges require.
    pub(crate) fn with_completed_groups(
        groups: &[crate::wire::NamedGroup],
        versions: &[crate::wire::ProtocolVersion],
    ) -> Self {
        let mut obs = Self::with_groups(groups, versions);
        obs.checks = vec![CheckRecord {
            id: CheckId::Groups,
            status: CheckStatus::Completed,
            error_kind: None,
            error: None,
            connections: 1,
        }];
        obs
    }

    /// An observation of a server that accepted `versions` and supports
    /// `groups`, with nothing else observed, for the judges' unit tests.
    pub(crate) fn with_groups(
        groups: &[crate::wire::NamedGroup],
        versions: &[crate::wire::ProtocolVersion],
    ) -> Self {
        TargetObservation {
            protocol: crate::vocab::Protocol::Tls,
            address: None,
            sni: None,
            tls_versions: versions.to_vec(),
            groups: groups::GroupsObservation {
                supported: groups.to_vec(),
                ..groups::GroupsObservation::default()
            },
            handshake: Default::default(),
            clients: Vec::new(),
            authentication: None,
            chains: Vec::new(),
            hello_tolerance: None,
            checks: Vec::new(),
            quic: None,
            ssh: None,
            connections: 0,
            elapsed_ms: 0,
        }
    }
}

impl TargetObservation {
    /// An observation of `addr` with nothing seen yet.
    fn empty(address: Option<SocketAddr>, sni: Option<String>) -> Self {
        TargetObservation {
            protocol: crate::vocab::Protocol::Tls,
            address,
            sni,
            tls_versions: Vec::new(),
            groups: groups::GroupsObservation::default(),
            handshake: handshake::HandshakeObservation::default(),
            clients: Vec::new(),
            authentication: None,
            chains: Vec::new(),
            hello_tolerance: None,
            checks: Vec::new(),
            quic: None,
            ssh: None,
            connections: 0,
            elapsed_ms: 0,
        }
    }

    /// The observation of a target that failed as a whole: the check that
    /// failed it (or else the first of `checks` that was to run, in run
    /// order) carries the failure and every connection, the others did not
    /// run, and nothing else is kept.
    pub fn unreachable<C: Check + ?Sized>(
        sni: Option<String>,
        err: &ProbeError,
        checks: &[&C],
        config: &ProbeConfig,
        elapsed_ms: u64,
    ) -> Self {
        let order = run_order(checks);
        let failing = err.check.unwrap_or_else(|| {
            let first = order.first().map(|c| c.id()).unwrap_or(CheckId::Groups);
            order
                .iter()
                .find(|c| config.checks.contains(c.id()) && c.applies(config))
                .map_or(first, |c| c.id())
        });
        let failure = Err(err.clone());
        let checks = order
            .iter()
            .map(|c| match c.id() == failing {
                true => CheckRecord::of(c.id(), Some(&failure), err.connections),
                false => CheckRecord::not_run(c.id()),
            })
            .collect();
        TargetObservation {
            checks,
            connections: err.connections,
            elapsed_ms,
            ..TargetObservation::empty(err.address, sni)
        }
    }

    /// True if something that ran saw the endpoint speak TLS.
    pub fn spoke_tls(&self) -> bool {
        !self.tls_versions.is_empty()
            || !self.groups.supported.is_empty()
            || self.clients.iter().any(|c| c.version.is_some())
    }

    /// True when check `id` ran to the end (an empty result of it then
    /// means "none", not "unknown").
    pub fn completed(&self, id: CheckId) -> bool {
        self.checks
            .iter()
            .any(|c| c.id == id && c.status == CheckStatus::Completed)
    }

    /// Why the target as a whole could not be probed: the record of the
    /// check that failed it, when nothing that ran saw the endpoint speak
    /// TLS and a check failed; `None` for a probed target.
    pub fn failure(&self) -> Option<&CheckRecord> {
        match self.spoke_tls() {
            true => None,
            false => self.checks.iter().find(|c| c.status == CheckStatus::Failed),
        }
    }

    /// Notes that the server accepted `version` (kept newest first, once).
    pub fn saw_version(&mut self, version: ProtocolVersion) {
        if !self.tls_versions.contains(&version) {
            self.tls_versions.push(version);
            self.tls_versions.sort_by(|a, b| b.cmp(a));
        }
    }
}

/// `checks` in the order they run: by stage, then in table order.
fn run_order<'c, C: Check + ?Sized>(checks: &[&'c C]) -> Vec<&'c C> {
    let mut order = checks.to_vec();
    order.sort_by_key(|c| c.stage());
    order
}

/// Connections opened, per check.
#[derive(Debug, Default)]
struct Counters([AtomicU32; CheckId::ALL.len()]);

/// The per-target context a check runs in: where to connect, what name to
/// send, and the counter its connections are charged to.
#[derive(Debug, Clone)]
pub struct Session {
    /// The address to connect to.
    pub addr: SocketAddr,
    /// SNI to send, if any.
    pub sni: Option<String>,
    /// Per-step deadline.
    pub timeout: Duration,
    /// The plaintext each connection begins with before TLS (STARTTLS),
    /// and the name it gives the server; none for TLS from the first byte.
    preamble: Option<Arc<crate::wire::starttls::Preamble>>,
    check: CheckId,
    counters: Arc<Counters>,
    rate: Option<Arc<net::ConnectRate>>,
    per_host: Option<Arc<net::HostCap>>,
    slot: Option<Arc<net::WorkSlot>>,
    /// Set for a QUIC target: its hellos go in Initial packets over UDP.
    quic: Option<Arc<quic::QuicCounters>>,
    /// Set when a whole handshake got no answer within the deadline: the
    /// endpoint stalls mid-handshake, and what is left to try would only
    /// wait for the deadline again (see [`Session::stalled`]).
    stalled: Arc<std::sync::atomic::AtomicBool>,
}

impl Session {
    /// A session for `addr`; connections are charged to the `groups` check
    /// until [`Session::for_check`] says otherwise.
    pub fn new(addr: SocketAddr, sni: Option<String>, timeout: Duration) -> Self {
        Session {
            addr,
            sni,
            timeout,
            preamble: None,
            check: CheckId::Groups,
            counters: Arc::new(Counters::default()),
            rate: None,
            per_host: None,
            slot: None,
            quic: None,
            stalled: Arc::default(),
        }
    }

    /// The same target over QUIC: every hello goes in Initial packets
    /// over UDP (each exchange is one QUIC connection attempt), every
    /// whole handshake is a QUIC connection ([`quic::handshake`]).
    pub fn over_quic(self) -> Session {
        Session {
            quic: Some(Arc::default()),
            ..self
        }
    }

    /// What the QUIC exchanges cost so far; `None` for a TCP target.
    pub fn quic(&self) -> Option<quic::QuicObservation> {
        self.quic.as_ref().map(|c| c.observation())
    }

    /// The same session, pacing its connections with `rate` and keeping
    /// them under `per_host`.
    pub fn paced(
        self,
        rate: Option<Arc<net::ConnectRate>>,
        per_host: Option<Arc<net::HostCap>>,
    ) -> Session {
        Session {
            rate,
            per_host,
            ..self
        }
    }

    /// The same session, every connection of which first runs `protocol`'s
    /// preamble (STARTTLS) towards `domain`; unchanged for protocols that
    /// begin with TLS.
    pub fn speaking(self, protocol: crate::vocab::Protocol, domain: &str) -> Session {
        Session {
            preamble: crate::wire::starttls::Preamble::new(protocol, domain).map(Arc::new),
            ..self
        }
    }

    /// The same session, holding `slot` of the run's concurrency (given
    /// back during deliberate pauses).
    pub fn slotted(self, slot: Option<Arc<net::WorkSlot>>) -> Session {
        Session { slot, ..self }
    }

    /// This probe's concurrency slot, if the run hands them out.
    pub fn slot(&self) -> Option<&net::WorkSlot> {
        self.slot.as_deref()
    }

    /// Notes that a whole handshake with this endpoint timed out (its
    /// ServerHello may have come, the rest never did).
    pub fn mark_stalled(&self) {
        self.stalled.store(true, Ordering::Relaxed);
    }

    /// Whether a handshake with this endpoint timed out: the checks of the
    /// last stage (deliberate pauses, many hellos) are then not run, so a
    /// stalling endpoint costs about one deadline, not one per check.
    pub fn stalled(&self) -> bool {
        self.stalled.load(Ordering::Relaxed)
    }

    /// The same target, with connections charged to `check`.
    pub fn for_check(&self, check: CheckId) -> Session {
        Session {
            check,
            ..self.clone()
        }
    }

    /// Opens (and counts) a new connection, past the target's preamble
    /// when it has one (the preamble has one step's time; the connection
    /// then has a fresh one): every check's TLS starts where it would on an
    /// implicit-TLS port.
    pub async fn connect(&self) -> Result<Conn, NetError> {
        Ok(self.connect_timed().await?.0)
    }

    /// As [`Session::connect`], with the instant the connection attempt
    /// began (after any wait for the rate or the per-host cap).
    async fn connect_timed(&self) -> Result<(Conn, Instant), NetError> {
        let (place, began) = self.admit().await;
        let mut conn = Conn::open(self.addr, self.timeout).await?.holding(place);
        if let Some(preamble) = &self.preamble {
            conn.set_deadline_in(self.timeout);
            starttls::run(&mut conn, (**preamble).clone()).await?;
            conn.set_deadline_in(self.timeout);
        }
        Ok((conn, began))
    }

    /// Waits for the per-host cap and the rate, and counts one connection.
    async fn admit(&self) -> (Option<tokio::sync::OwnedSemaphorePermit>, Instant) {
        let place = match &self.per_host {
            Some(cap) => cap.enter(self.addr.ip()).await,
            None => None,
        };
        if let Some(rate) = &self.rate {
            rate.wait().await;
        }
        self.counters.0[self.check as usize].fetch_add(1, Ordering::Relaxed);
        (place, Instant::now())
    }

    /// One QUIC connection attempt: `spec` (with this session's SNI and
    /// fresh randoms) in client Initials, the server's answer back.
    pub async fn quic_hello(&self, mut spec: ClientHelloSpec) -> Result<quic::Answer, NetError> {
        let counters = self.quic.clone().unwrap_or_default();
        if spec.server_name.is_none() {
            spec.server_name = self.sni.clone();
        }
        aws_lc_rs::rand::fill(&mut spec.random)
            .map_err(|_| NetError::Io("no randomness".into()))?;
        let (_place, began) = self.admit().await;
        let answer = quic::exchange(self.addr, spec, self.timeout, &counters).await;
        match &answer {
            Ok(a) => {
                self.answered_in(began.elapsed());
                tracing::debug!(target = %self.addr, check = %self.check, initials = a.initials, answer = %exchange::describe(&a.reply), "QUIC server answered")
            }
            Err(e) => {
                tracing::debug!(target = %self.addr, check = %self.check, error = %e, "no QUIC answer")
            }
        }
        answer
    }

    /// Tells the run's concurrency how long an answered exchange took.
    fn answered_in(&self, took: Duration) {
        if let Some(slot) = &self.slot {
            slot.observe(self.addr.ip(), took);
        }
    }

    /// Connections opened so far, all checks together.
    pub fn connections(&self) -> u32 {
        self.counters
            .0
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// Connections opened so far by `check`.
    pub fn connections_of(&self, check: CheckId) -> u32 {
        self.counters.0[check as usize].load(Ordering::Relaxed)
    }

    /// Sends `spec` (with this session's SNI) in one record on a new connection
    /// and returns the server's answer.
    pub async fn hello(
        &self,
        mut spec: ClientHelloSpec,
        until: ReadUntil,
    ) -> Result<Reply, NetError> {
        if self.quic.is_some() {
            // QUIC is TLS 1.3 only: the answer is always a ServerHello or HRR.
            return self.quic_hello(spec).await.map(|a| a.reply);
        }
        if spec.server_name.is_none() {
            spec.server_name = self.sni.clone();
        }
        aws_lc_rs::rand::fill(&mut spec.random)
            .map_err(|_| NetError::Io("no randomness".into()))?;
        if !spec.session_id.is_empty() {
            aws_lc_rs::rand::fill(&mut spec.session_id)
                .map_err(|_| NetError::Io("no randomness".into()))?;
        }
        tracing::debug!(
            target = %self.addr,
            check = %self.check,
            groups = %names(&spec.groups),
            key_shares = %names(&spec.key_shares.iter().map(|k| k.group).collect::<Vec<_>>()),
            versions = %spec
                .versions
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(","),
            "sending ClientHello"
        );
        let records = fragment(
            &spec.encode(),
            crate::wire::record::MAX_PLAINTEXT,
            ProtocolVersion::TLS1_0,
        );
        let reply = match self.connect_timed().await {
            Ok((mut conn, began)) => {
                let reply = exchange::exchange(&mut conn, &records, until).await;
                if reply.is_ok() {
                    self.answered_in(began.elapsed());
                }
                reply
            }
            Err(e) => Err(e),
        };
        match &reply {
            Ok(r) => {
                tracing::debug!(target = %self.addr, check = %self.check, answer = %exchange::describe(r), "server answered")
            }
            Err(e) => {
                tracing::debug!(target = %self.addr, check = %self.check, error = %e, "no answer")
            }
        }
        reply
    }
}

fn names(groups: &[NamedGroup]) -> String {
    groups
        .iter()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Why a target (or one check) could not be probed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProbeError {
    /// Stable label.
    pub kind: ErrorKind,
    /// One line for a human.
    pub message: String,
    /// The address, if resolution got that far.
    pub address: Option<SocketAddr>,
    /// Connections opened before the failure.
    pub connections: u32,
    /// The check that failed, when one check's failure failed the target.
    pub check: Option<CheckId>,
}

impl ProbeError {
    /// An error with a kind and a message; address and count are filled in later.
    pub fn new(kind: ErrorKind, message: String) -> Self {
        ProbeError {
            kind,
            message,
            address: None,
            connections: 0,
            check: None,
        }
    }
}

impl From<NetError> for ProbeError {
    fn from(e: NetError) -> Self {
        ProbeError::new(e.kind(), e.to_string())
    }
}

/// Resolves and probes one target with the selected `checks` of the table,
/// holding `slot` of the run's concurrency. Always an observation: a target
/// that could not be probed gets one that says why
/// ([`TargetObservation::failure`]).
pub async fn probe_target<C: Check + ?Sized>(
    target: &Target,
    checks: &[&C],
    config: &ProbeConfig,
    slot: Option<Arc<net::WorkSlot>>,
) -> TargetObservation {
    if target.protocol == crate::vocab::Protocol::Ssh {
        // No TLS check applies to an SSH server: its own probe runs instead.
        return ssh::probe_ssh(target, config, slot).await;
    }
    let started = Instant::now();
    let mut quic_seen = None;
    let observed = match net::resolve(&target.host, target.port, config.timeout).await {
        Ok(addr) => {
            let session = Session::new(addr, target.sni.clone(), config.timeout)
                .speaking(target.protocol, target.domain())
                .paced(config.rate.clone(), config.per_host.clone())
                .slotted(slot);
            let session = match target.protocol {
                crate::vocab::Protocol::Quic => session.over_quic(),
                _ => session,
            };
            let observed = probe_session(&session, checks, config, started)
                .await
                .map_err(|e| ProbeError {
                    address: Some(addr),
                    connections: session.connections(),
                    ..e
                });
            quic_seen = session.quic();
            observed
        }
        Err(e) => Err(ProbeError::from(e)),
    };
    let mut observed = observed.unwrap_or_else(|e| {
        let ms = started.elapsed().as_millis() as u64;
        TargetObservation::unreachable(target.sni.clone(), &e, checks, config, ms)
    });
    observed.protocol = target.protocol;
    // A QUIC target that failed still says how many datagrams it cost.
    observed.quic = observed.quic.take().or(quic_seen);
    observed
}

/// The checks that run over QUIC: those made of single hello exchanges
/// (Initials of our own, [`quic`]) and those made of whole handshakes
/// (quinn with the same rustls client, [`quic::handshake`]). `versions`
/// and `clients` are recorded as not run on a `quic` target: QUIC is TLS
/// 1.3 only (RFC 9001 §4.2), so there is no older version to try, and the
/// client profiles are TCP ClientHellos.
const QUIC_CHECKS: [CheckId; 5] = [
    CheckId::Groups,
    CheckId::Selection,
    CheckId::Handshake,
    CheckId::HelloTolerance,
    CheckId::Certificates,
];

/// Runs the selected checks stage by stage, each stage's checks at once,
/// and writes what each saw into one observation, in table order.
async fn probe_session<C: Check + ?Sized>(
    session: &Session,
    checks: &[&C],
    config: &ProbeConfig,
    started: Instant,
) -> Result<TargetObservation, ProbeError> {
    let order = run_order(checks);
    // A check runs when it is selected and has something to do; the
    // selection already holds what each selected check needs.
    let running = order
        .iter()
        .filter(|c| config.checks.contains(c.id()) && c.applies(config))
        .filter(|c| session.quic.is_none() || QUIC_CHECKS.contains(&c.id()))
        .fold(CheckSet::none(), |set, c| set.inserted(c.id()));
    let mut obs = TargetObservation::empty(Some(session.addr), session.sni.clone());
    let mut outcomes: Vec<(CheckId, Option<Result<(), ProbeError>>)> = Vec::new();
    for this in order.chunk_by(|a, b| a.stage() == b.stage()) {
        // An endpoint that stalled mid-handshake would stall the last
        // stage's exchanges too, one deadline each: they are not run.
        let running = match this.first().map(|c| c.stage()) {
            Some(Stage::Last) if session.stalled() => {
                this.iter().fold(running, |set, c| set.removed(c.id()))
            }
            _ => running,
        };
        let contexts: Vec<Context<'_>> = this
            .iter()
            .map(|c| Context {
                session: session.for_check(c.id()),
                config,
                seen: &obs,
                running,
            })
            .collect();
        let runs: Vec<checks::Running<'_>> = this
            .iter()
            .zip(&contexts)
            .filter(|(c, _)| running.contains(c.id()))
            .map(|(c, ctx)| c.run(ctx))
            .collect();
        let mut ran = together(runs).await.into_iter();
        drop(contexts);
        for check in this {
            let result = match running.contains(check.id()) {
                true => ran.next().unwrap_or_else(Ran::not_run),
                false => Ran::not_run(),
            };
            if let Some(fill) = result.fill {
                fill(&mut obs);
            }
            if let (Stage::First, Some(Err(e))) = (check.stage(), &result.outcome) {
                return Err(e.clone());
            }
            outcomes.push((check.id(), result.outcome));
        }
    }
    obs.checks = outcomes
        .iter()
        .map(|(id, outcome)| CheckRecord::of(*id, outcome.as_ref(), session.connections_of(*id)))
        .collect();
    if let Some(first) = obs.failure() {
        // A failure to reach the endpoint keeps its kind; anything else
        // means it accepted connections but never spoke TLS with us.
        let kind = match first.error_kind {
            Some(
                kind @ (ErrorKind::Resolve
                | ErrorKind::Refused
                | ErrorKind::Timeout
                | ErrorKind::Io
                | ErrorKind::Internal),
            ) => kind,
            _ => ErrorKind::NotTls,
        };
        let message = first.error.clone().unwrap_or_default();
        let message = if kind == ErrorKind::NotTls {
            format!("no TLS handshake succeeded ({message})")
        } else {
            message
        };
        return Err(ProbeError {
            check: Some(first.id),
            ..ProbeError::new(kind, message)
        });
    }
    obs.quic = session.quic();
    obs.connections = session.connections();
    obs.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(obs)
}
