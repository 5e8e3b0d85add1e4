//! What the exporter holds between requests: the last completed scan, the
//! `/probe` results (shared while running, reused while fresh), and its
//! counters. Bounded: at most `max_probes` probes run for `/probe`, and a
//! finished result is dropped once it is older than the re-probe interval.

use super::settings::Settings;
use crate::discover::Target;
use crate::probe::ProbeConfig;
use crate::report::prometheus::{
    ClusterMetrics, EndpointLabels, EndpointMetrics, ExporterStats, Exposition, ScanStats,
    PROBE_OUTCOMES,
};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;
use tokio::sync::watch;

/// A `/probe` request's outcome, as `pqready_exporter_probe_requests_total` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A new probe ran.
    Probed = 0,
    /// Joined a probe of the same target already running.
    Shared = 1,
    /// Served a result younger than the re-probe interval.
    Cached = 2,
    /// The target is outside `--allow`.
    Refused = 3,
    /// Bad parameters.
    Invalid = 4,
    /// Too many distinct probes running.
    Busy = 5,
    /// Served the scheduled scan's result for the target, younger than the
    /// re-probe interval (same checks and clients): no new probe.
    Scan = 6,
}

/// One endpoint of the last completed scan.
#[derive(Debug)]
pub struct ScannedEndpoint {
    /// `target`, and in cluster mode `category` and `component`.
    pub labels: EndpointLabels,
    /// What its metrics show.
    pub metrics: EndpointMetrics,
}

/// The last completed scheduled scan.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every endpoint, in scan order.
    pub endpoints: Vec<ScannedEndpoint>,
    /// In cluster mode, the edges between its components.
    pub cluster: ClusterMetrics,
    /// Its duration, size and errors.
    pub stats: ScanStats,
    /// When it completed (`None` before the first scan).
    pub completed: Option<Instant>,
}

/// A finished `/probe` probe.
#[derive(Debug)]
pub struct Finished {
    at: Instant,
    /// Its metrics.
    pub metrics: EndpointMetrics,
}

/// Where a `/probe` request waits for its result (`None` while it runs).
pub type Pending = watch::Receiver<Option<Arc<Finished>>>;

enum Slot {
    Running(Pending),
    Done(Arc<Finished>),
}

/// What identifies one `/probe` probe: the target as named, the address
/// it was allowed at, the checks and the client profiles.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProbeKey {
    /// `host:port`.
    pub target: String,
    /// The address the allow list checked (and the probe connects to).
    pub address: Option<std::net::IpAddr>,
    /// The checks and clients, as one canonical string.
    pub variant: String,
}

/// The exporter's shared state.
pub struct Exporter {
    /// The settings it runs with.
    pub settings: Settings,
    /// The scheduled scan's checks and clients as a `/probe` key's
    /// `variant`: a `/probe` asking for the same may be served the scan's
    /// result.
    scan_variant: String,
    /// The last completed scan and its number (1 for the first).
    snapshot: RwLock<(u64, Arc<Snapshot>)>,
    probes: Mutex<HashMap<ProbeKey, Slot>>,
    in_flight: AtomicUsize,
    ready: AtomicBool,
    targets: AtomicUsize,
    scans_succeeded: AtomicU64,
    scans_failed: AtomicU64,
    probes_scan: AtomicU64,
    probes_on_demand: AtomicU64,
    requests: [AtomicU64; PROBE_OUTCOMES.len()],
    rendered: Mutex<Option<(u64, Instant, Arc<Rendered>)>>,
}

/// One rendering of the scan's series, shared by the scrapes it serves.
pub struct Rendered {
    /// The text.
    pub plain: Bytes,
    /// Its gzip start, made by the first scrape that asks for gzip.
    gzip: std::sync::OnceLock<super::gzip::Prefix>,
}

impl Rendered {
    /// The compressed start, made once per rendering.
    pub fn gzip(&self) -> &super::gzip::Prefix {
        self.gzip
            .get_or_init(|| super::gzip::Prefix::new(&self.plain))
    }
}

/// How long one rendering of the scan's series serves scrapes: the only
/// thing that changes between scans is the time left to certificate
/// deadlines, so a second of staleness costs nothing, and a burst of
/// scrapes renders once.
pub const RENDERED_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// A `/probe` that could not start: too many probes already run.
#[derive(Debug)]
pub struct Busy;

impl Exporter {
    /// A fresh state; ready at once when nothing is scheduled.
    pub fn new(settings: Settings) -> Self {
        let ready = !settings.scheduled();
        Exporter {
            scan_variant: super::variant_of(&settings.scan),
            settings,
            snapshot: RwLock::new((0, Arc::new(Snapshot::default()))),
            probes: Mutex::new(HashMap::new()),
            in_flight: AtomicUsize::new(0),
            ready: AtomicBool::new(ready),
            targets: AtomicUsize::new(0),
            scans_succeeded: AtomicU64::new(0),
            scans_failed: AtomicU64::new(0),
            probes_scan: AtomicU64::new(0),
            probes_on_demand: AtomicU64::new(0),
            requests: Default::default(),
            rendered: Mutex::new(None),
        }
    }

    /// True once the first scheduled scan completed (or nothing is scheduled).
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Counts a `/probe` request.
    pub fn count(&self, outcome: RequestOutcome) {
        self.requests[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a probe a scan ran.
    pub fn count_scan_probe(&self) {
        self.probes_scan.fetch_add(1, Ordering::Relaxed);
    }

    /// Records how many endpoints the running scan covers.
    pub fn set_targets(&self, n: usize) {
        self.targets.store(n, Ordering::Relaxed);
    }

    /// Installs a completed scan's results.
    pub fn complete_scan(&self, snapshot: Snapshot) {
        let mut current = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        *current = (current.0 + 1, Arc::new(snapshot));
        drop(current);
        self.scans_succeeded.fetch_add(1, Ordering::Relaxed);
        self.ready.store(true, Ordering::Relaxed);
    }

    /// Records a scan that could not run. The previous results stay; the
    /// exporter is ready all the same (its metrics say what failed).
    pub fn fail_scan(&self) {
        self.scans_failed.fetch_add(1, Ordering::Relaxed);
        self.ready.store(true, Ordering::Relaxed);
    }

    /// The `/metrics` page: every endpoint of the last scan (rendered at
    /// most once per [`RENDERED_FOR`] and shared by concurrent scrapes),
    /// then the exporter's own series.
    pub fn metrics_page(&self) -> (Arc<Rendered>, Bytes) {
        let (number, snapshot) = self
            .snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let endpoints = {
            let mut cache = self.rendered.lock().unwrap_or_else(|e| e.into_inner());
            match &*cache {
                Some((of, at, rendered)) if *of == number && at.elapsed() < RENDERED_FOR => {
                    rendered.clone()
                }
                _ => {
                    let now = crate::time::now_unix();
                    let mut page = Exposition::default();
                    for e in &snapshot.endpoints {
                        e.metrics.write(&e.labels, now, &mut page);
                    }
                    snapshot.cluster.write(&mut page);
                    let rendered = Arc::new(Rendered {
                        plain: Bytes::from(page.text()),
                        gzip: std::sync::OnceLock::new(),
                    });
                    *cache = Some((number, Instant::now(), rendered.clone()));
                    rendered
                }
            }
        };
        let mut page = Exposition::default();
        let stats = ExporterStats {
            targets: self.targets.load(Ordering::Relaxed),
            last_scan: (number > 0).then_some(snapshot.stats),
            scans_succeeded: self.scans_succeeded.load(Ordering::Relaxed),
            scans_failed: self.scans_failed.load(Ordering::Relaxed),
            probes_scan: self.probes_scan.load(Ordering::Relaxed),
            probes_on_demand: self.probes_on_demand.load(Ordering::Relaxed),
            probe_requests: std::array::from_fn(|i| self.requests[i].load(Ordering::Relaxed)),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            shard: self.settings.shard.map(|s| (s.index, s.count)),
        };
        stats.write(&mut page);
        (endpoints, Bytes::from(page.text()))
    }

    /// The scheduled scan's result for `target`, when the last scan is
    /// younger than `fresh` and probed it as a listed target (a cluster
    /// component's metrics also carry its edges' findings, which a `/probe`
    /// does not judge).
    fn scanned(&self, target: &str, fresh: std::time::Duration) -> Option<Arc<Finished>> {
        let snapshot = self
            .snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone();
        let completed = snapshot.completed.filter(|at| at.elapsed() < fresh)?;
        let endpoint = snapshot
            .endpoints
            .iter()
            .find(|e| e.labels.category.is_none() && e.labels.target.as_deref() == Some(target))?;
        Some(Arc::new(Finished {
            at: completed,
            metrics: endpoint.metrics.clone(),
        }))
    }

    /// The result of probing `target` for `key`: the scheduled scan's when
    /// it is fresh and asked the same, else a fresh `/probe` one when there
    /// is one, the running probe's when one runs, else a new probe (unless
    /// `max_probes` run already). The returned receiver yields the result.
    pub fn probe(
        self: &Arc<Self>,
        key: ProbeKey,
        target: Target,
        config: ProbeConfig,
    ) -> Result<(RequestOutcome, Pending), Busy> {
        let fresh = self.settings.min_reprobe_interval;
        if key.variant == self.scan_variant {
            if let Some(scanned) = self.scanned(&key.target, fresh) {
                let (_, rx) = watch::channel(Some(scanned));
                return Ok((RequestOutcome::Scan, rx));
            }
        }
        let mut probes = self.probes.lock().unwrap_or_else(|e| e.into_inner());
        match probes.get(&key) {
            Some(Slot::Done(done)) if done.at.elapsed() < fresh => {
                let (_, rx) = watch::channel(Some(done.clone()));
                return Ok((RequestOutcome::Cached, rx));
            }
            Some(Slot::Running(rx)) => return Ok((RequestOutcome::Shared, rx.clone())),
            _ => {}
        }
        if self.in_flight.load(Ordering::Relaxed) >= self.settings.max_probes {
            return Err(Busy);
        }
        // Results past the re-probe interval are never served again: drop
        // them, so the map holds at most what the last interval probed.
        probes.retain(|_, slot| match slot {
            Slot::Done(done) => done.at.elapsed() < fresh,
            Slot::Running(_) => true,
        });
        let (tx, rx) = watch::channel(None);
        probes.insert(key.clone(), Slot::Running(rx.clone()));
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.probes_on_demand.fetch_add(1, Ordering::Relaxed);
        drop(probes);
        let state = self.clone();
        tokio::spawn(async move {
            let report = crate::scan::scan_one_contained(
                Arc::new(target),
                Arc::new(config),
                Arc::new(crate::assess::Judge::default()),
                None,
            )
            .await;
            let finished = Arc::new(Finished {
                at: Instant::now(),
                metrics: EndpointMetrics::of(&report),
            });
            let mut probes = state.probes.lock().unwrap_or_else(|e| e.into_inner());
            probes.insert(key, Slot::Done(finished.clone()));
            state.in_flight.fetch_sub(1, Ordering::Relaxed);
            drop(probes);
            let _ = tx.send(Some(finished));
        });
        Ok((RequestOutcome::Probed, rx))
    }
}
