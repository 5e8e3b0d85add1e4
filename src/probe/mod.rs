//! Probing: talk to one target and record what it did.
//!
//! Owns: the checks that send traffic — key-exchange groups, TLS versions, a
//! full rustls handshake, client-profile replay, ML-DSA and classical
//! authentication with the certificate chains, big-ClientHello tolerance —
//! and the per-target [`Session`] that counts the connections they use. Each
//! check returns a serde-typed observation.
//!
//! Must not: assign severity or verdicts (that is `assess`), format output
//! (that is `report`), or touch sockets except through `net`.

pub mod certificates;
pub mod checks;
pub mod clients;
pub mod exchange;
pub mod groups;
pub mod handshake;
pub mod tolerance;
pub mod versions;

use crate::catalog::profile::ClientProfile;
use crate::discover::Target;
use crate::net::{self, Conn, NetError};
use crate::vocab::{CheckId, CheckStatus, ErrorKind};
use crate::wire::record::fragment;
use crate::wire::{ClientHelloSpec, NamedGroup, ProtocolVersion};
use checks::{CheckRecord, CheckSet};
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

impl ProbeConfig {
    /// True if `id` will run against each target.
    pub fn runs(&self, id: CheckId) -> bool {
        self.checks.contains(id) && (id != CheckId::Clients || !self.clients.is_empty())
    }
}

/// Everything pqready observed about one target. Facts only.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct TargetObservation {
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
    /// What became of each check, in table order.
    pub checks: Vec<CheckRecord>,
    /// TCP connections opened for this target.
    pub connections: u32,
    /// Wall-clock time spent on this target.
    pub elapsed_ms: u64,
}

impl TargetObservation {
    /// The observation of a target that failed as a whole: the first check
    /// that was to run carries the failure, the others did not run.
    pub fn unreachable(
        sni: Option<String>,
        err: &ProbeError,
        config: &ProbeConfig,
        elapsed_ms: u64,
    ) -> Self {
        let failing = checks::CHECKS
            .iter()
            .map(|c| c.id)
            .find(|id| config.runs(*id));
        let checks = checks::CHECKS
            .iter()
            .map(|c| match err.check.or(failing) {
                Some(id) if id == c.id => CheckRecord {
                    id,
                    status: CheckStatus::Failed,
                    error_kind: Some(err.kind),
                    error: Some(err.message.clone()),
                    connections: err.connections,
                },
                _ => CheckRecord::not_run(c.id),
            })
            .collect();
        TargetObservation {
            address: err.address,
            sni,
            tls_versions: Vec::new(),
            groups: groups::GroupsObservation::default(),
            handshake: handshake::HandshakeObservation::default(),
            clients: Vec::new(),
            authentication: None,
            chains: Vec::new(),
            hello_tolerance: None,
            checks,
            connections: err.connections,
            elapsed_ms,
        }
    }
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
    check: CheckId,
    counters: Arc<Counters>,
    rate: Option<Arc<net::ConnectRate>>,
    per_host: Option<Arc<net::HostCap>>,
    slot: Option<Arc<net::WorkSlot>>,
}

impl Session {
    /// A session for `addr`; connections are charged to the `groups` check
    /// until [`Session::for_check`] says otherwise.
    pub fn new(addr: SocketAddr, sni: Option<String>, timeout: Duration) -> Self {
        Session {
            addr,
            sni,
            timeout,
            check: CheckId::Groups,
            counters: Arc::new(Counters::default()),
            rate: None,
            per_host: None,
            slot: None,
        }
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

    /// The same session, holding `slot` of the run's concurrency (given
    /// back during deliberate pauses).
    pub fn slotted(self, slot: Option<Arc<net::WorkSlot>>) -> Session {
        Session { slot, ..self }
    }

    /// This probe's concurrency slot, if the run hands them out.
    pub fn slot(&self) -> Option<&net::WorkSlot> {
        self.slot.as_deref()
    }

    /// The same target, with connections charged to `check`.
    pub fn for_check(&self, check: CheckId) -> Session {
        Session {
            check,
            ..self.clone()
        }
    }

    /// Opens (and counts) a new connection.
    pub async fn connect(&self) -> Result<Conn, NetError> {
        Ok(self.connect_timed().await?.0)
    }

    /// As [`Session::connect`], with the instant the connection attempt
    /// began (after any wait for the rate or the per-host cap).
    async fn connect_timed(&self) -> Result<(Conn, Instant), NetError> {
        let place = match &self.per_host {
            Some(cap) => cap.enter(self.addr.ip()).await,
            None => None,
        };
        if let Some(rate) = &self.rate {
            rate.wait().await;
        }
        self.counters.0[self.check as usize].fetch_add(1, Ordering::Relaxed);
        let began = Instant::now();
        Ok((
            Conn::open(self.addr, self.timeout).await?.holding(place),
            began,
        ))
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

/// Resolves and probes one target with the configured checks.
pub async fn probe_target(
    target: &Target,
    config: &ProbeConfig,
) -> Result<TargetObservation, ProbeError> {
    probe_target_in(target, config, None).await
}

/// As [`probe_target`], holding `slot` of the run's concurrency.
pub async fn probe_target_in(
    target: &Target,
    config: &ProbeConfig,
    slot: Option<Arc<net::WorkSlot>>,
) -> Result<TargetObservation, ProbeError> {
    let started = Instant::now();
    let addr = net::resolve(&target.host, target.port, config.timeout).await?;
    let session = Session::new(addr, target.sni.clone(), config.timeout)
        .paced(config.rate.clone(), config.per_host.clone())
        .slotted(slot);
    probe_session(&session, config, started)
        .await
        .map_err(|mut e| {
            e.address = Some(addr);
            e.connections = session.connections();
            e
        })
}

/// One check's result, before it is recorded.
type Ran<T> = Option<Result<T, ProbeError>>;

fn record<T>(session: &Session, id: CheckId, ran: &Ran<T>) -> CheckRecord {
    let connections = session.connections_of(id);
    match ran {
        None => CheckRecord {
            connections,
            ..CheckRecord::not_run(id)
        },
        Some(Ok(_)) => CheckRecord {
            id,
            status: CheckStatus::Completed,
            error_kind: None,
            error: None,
            connections,
        },
        Some(Err(e)) => CheckRecord {
            id,
            status: CheckStatus::Failed,
            error_kind: Some(e.kind),
            error: Some(e.message.clone()),
            connections,
        },
    }
}

async fn probe_session(
    session: &Session,
    config: &ProbeConfig,
    started: Instant,
) -> Result<TargetObservation, ProbeError> {
    let runs = |id| config.runs(id);
    // Discovery runs first: its first exchange tells whether the endpoint
    // speaks TLS at all, and an endpoint that does not fails as a whole.
    let groups: Ran<groups::GroupsObservation> = if runs(CheckId::Groups) {
        let discovered = groups::discover(
            &session.for_check(CheckId::Groups),
            &session.for_check(CheckId::Selection),
            &config.candidate_groups,
            runs(CheckId::Selection),
        )
        .await?;
        Some(Ok(discovered))
    } else {
        None
    };
    let (versions, handshake, clients, certificates) = tokio::join!(
        async {
            match runs(CheckId::Versions) {
                true => Some(
                    versions::probe_legacy_versions(&session.for_check(CheckId::Versions)).await,
                ),
                false => None,
            }
        },
        async {
            match runs(CheckId::Handshake) {
                true => {
                    Some(handshake::full_handshake(&session.for_check(CheckId::Handshake)).await)
                }
                false => None,
            }
        },
        async {
            match runs(CheckId::Clients) {
                true => Some(
                    clients::check(&session.for_check(CheckId::Clients), &config.clients).await,
                ),
                false => None,
            }
        },
        async {
            match runs(CheckId::Certificates) {
                true => Some(certificates::check(&session.for_check(CheckId::Certificates)).await),
                false => None,
            }
        },
    );
    // After the rest: the split variant pauses mid-hello, and single-threaded
    // servers would make concurrent probes wait behind it.
    let hello_tolerance = match runs(CheckId::HelloTolerance) {
        true => Some(
            tolerance::check(
                &session.for_check(CheckId::HelloTolerance),
                handshake.as_ref(),
            )
            .await,
        ),
        false => None,
    };
    let handshake_ran: Ran<handshake::HandshakeObservation> =
        handshake.map(|obs| match &obs.error {
            Some(message) => Err(ProbeError::new(
                obs.error_kind.unwrap_or(ErrorKind::Tls),
                message.clone(),
            )),
            None => Ok(obs),
        });
    let checks = vec![
        record(session, CheckId::Groups, &groups),
        match &groups {
            Some(Ok(_)) if runs(CheckId::Selection) => {
                record(session, CheckId::Selection, &Some(Ok(())))
            }
            _ => record(session, CheckId::Selection, &None::<Result<(), _>>),
        },
        record(session, CheckId::Versions, &versions),
        record(session, CheckId::Handshake, &handshake_ran),
        record(
            session,
            CheckId::Clients,
            &clients
                .as_ref()
                .map(|results| match results.iter().find(|c| c.unanswered()) {
                    Some(c) => Err(ProbeError::new(
                        c.error_kind.unwrap_or(ErrorKind::Io),
                        format!(
                            "{}: {}",
                            c.profile,
                            c.detail.as_deref().unwrap_or("no answer")
                        ),
                    )),
                    None => Ok(()),
                }),
        ),
        record(
            session,
            CheckId::Certificates,
            &certificates.as_ref().map(|c| match &c.failure {
                Some(e) => Err(e.clone()),
                None => Ok(()),
            }),
        ),
        record(
            session,
            CheckId::HelloTolerance,
            &hello_tolerance.as_ref().map(Ok::<_, ProbeError>),
        ),
    ];
    let groups = groups.and_then(Result::ok).unwrap_or_default();
    let handshake = match handshake_ran {
        Some(Ok(obs)) => obs,
        Some(Err(e)) => handshake::HandshakeObservation::failed(&e),
        None => handshake::HandshakeObservation::default(),
    };
    let clients = clients.unwrap_or_default();
    // The chains the certificates check analyses: the PQ-first handshake's
    // first (what a default client sees), then its own.
    let (authentication, chains) = match certificates {
        Some(check) => {
            let mut chains = Vec::new();
            if !handshake.der_chain.is_empty() {
                chains.push(certificates::CapturedChain::parse(
                    certificates::ChainSource::Handshake,
                    &handshake.der_chain,
                ));
            }
            chains.extend(check.chains);
            (Some(check.observation), chains)
        }
        None => (None, Vec::new()),
    };

    let mut tls_versions = match &versions {
        Some(Ok(v)) => v.clone(),
        _ => Vec::new(),
    };
    if groups.tls13 || handshake.version == Some(ProtocolVersion::TLS1_3) {
        tls_versions.insert(0, ProtocolVersion::TLS1_3);
    }
    // Curves read from TLS 1.2 ServerKeyExchanges prove TLS 1.2 even when
    // the versions check did not run.
    if groups.method == crate::vocab::DiscoveryMethod::Tls12ServerKeyExchange
        && !groups.supported.is_empty()
        && !tls_versions.contains(&ProtocolVersion::TLS1_2)
    {
        tls_versions.push(ProtocolVersion::TLS1_2);
        tls_versions.sort_by(|a, b| b.cmp(a));
    }
    let completed_auth = authentication
        .iter()
        .flat_map(|a| &a.attempts)
        .filter_map(|a| a.version);
    for v in handshake.version.into_iter().chain(completed_auth) {
        if !tls_versions.contains(&v) {
            tls_versions.push(v);
            tls_versions.sort_by(|a, b| b.cmp(a));
        }
    }
    let spoke_tls = !tls_versions.is_empty()
        || !groups.supported.is_empty()
        || clients.iter().any(|c| c.version.is_some());
    if !spoke_tls {
        // Nothing that ran saw the endpoint speak TLS: the target fails with
        // the first failure in table order.
        if let Some(first) = checks.iter().find(|c| c.status == CheckStatus::Failed) {
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
    }
    Ok(TargetObservation {
        address: Some(session.addr),
        sni: session.sni.clone(),
        tls_versions,
        groups,
        handshake,
        clients,
        authentication,
        chains,
        hello_tolerance,
        checks,
        connections: session.connections(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}
