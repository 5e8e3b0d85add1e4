//! The pipeline driver: targets in, reports out, many targets at once.
//!
//! Owns: running `probe` → `assess` → `report` for each target with bounded
//! concurrency, and handing reports to the caller in input order as soon as
//! they are ready (so output streams and memory stays bounded by the window
//! of targets in flight). One failing target never stops the others.

use crate::assess::certs::CertRules;
use crate::assess::policy::Subject;
use crate::assess::Judge;
use crate::checks;
use crate::discover::Target;
use crate::net::{Concurrency, WorkSlot};
use crate::probe::{self, ProbeConfig};
use crate::report::TargetReport;
use crate::vocab::{ComponentCategory, ErrorKind};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::task::JoinSet;

/// Probes, assesses and reports one target, judging certificates by the
/// default rules.
pub async fn scan_one(target: &Target, config: &ProbeConfig) -> TargetReport {
    scan_one_with(target, config, &CertRules::default()).await
}

/// Probes, assesses and reports one target, judging certificates by `rules`.
pub async fn scan_one_with(
    target: &Target,
    config: &ProbeConfig,
    rules: &CertRules,
) -> TargetReport {
    let judge = Judge::new(rules.clone(), None);
    scan_one_in(target, config, &judge, Identity::default(), None).await
}

/// Who a target is beyond its address: a cluster component's name and
/// category, which the judge weighs (etcd's traffic carries Secrets).
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity<'a> {
    /// The component's name.
    pub name: Option<&'a str>,
    /// The component's category.
    pub category: Option<ComponentCategory>,
}

/// Probes `target`, holding `slot` of the run's concurrency (given back
/// when the probe only waits), and judges it as `identity` with `judge`.
pub async fn scan_one_in(
    target: &Target,
    config: &ProbeConfig,
    judge: &Judge,
    identity: Identity<'_>,
    slot: Option<Arc<WorkSlot>>,
) -> TargetReport {
    let observed = checks::probe(target, config, slot).await;
    let subject = Subject {
        target: &target.label,
        name: identity.name,
        category: identity.category,
    };
    let assessed = checks::assess(&observed, judge, &subject);
    TargetReport::probed(&target.label, observed, assessed)
}

/// The report of a target that was never probed (its probe task failed, or
/// it had no address): `err` on the first check `config` runs.
pub fn unprobed(
    label: &str,
    sni: Option<String>,
    err: &probe::ProbeError,
    config: &ProbeConfig,
) -> TargetReport {
    let observed = checks::unprobed(sni, err, config);
    let subject = Subject {
        target: label,
        name: None,
        category: None,
    };
    let assessed = checks::assess(&observed, &Judge::default(), &subject);
    TargetReport::probed(label, observed, assessed)
}

/// As [`scan_one_in`], in a task of its own: a panic inside the probe (a
/// bug) becomes that target's error report instead of a result that never
/// arrives, and the rest of the run goes on.
pub async fn scan_one_contained(
    target: Arc<Target>,
    config: Arc<ProbeConfig>,
    judge: Arc<Judge>,
    slot: Option<Arc<WorkSlot>>,
) -> TargetReport {
    let (inner, inner_config) = (target.clone(), config.clone());
    let run = tokio::spawn(async move {
        scan_one_in(&inner, &inner_config, &judge, Identity::default(), slot).await
    });
    match run.await {
        Ok(report) => report,
        Err(e) => {
            let err = probe::ProbeError::new(ErrorKind::Internal, format!("internal error: {e}"));
            unprobed(&target.label, target.sni.clone(), &err, &config)
        }
    }
}

/// Endpoints in flight per slot of `--concurrency`: endpoints that only
/// wait (a split hello's pause, ~200 ms against ~20 ms of work on a near
/// server) give their slot to the next ones, up to this many times
/// `concurrency` endpoints at once.
pub const WINDOW_PER_SLOT: usize = 8;

/// Endpoints in flight beyond the limit, at most (those whose slots went to
/// others during a pause): the window is a multiple of a small limit, but
/// not of one grown large on a slow link, where nobody pauses for long.
pub const MAX_PAUSED: usize = 1024;

/// Finished reports kept waiting for an earlier, slower one, at least: the
/// bound on what a slow endpoint holds back (and so on memory).
pub const MIN_HELD: usize = 1024;

/// Scans `targets` with at most `run.limit()` probes working at once (and
/// up to [`WINDOW_PER_SLOT`] times as many started, those beyond working
/// only while others wait), judging each with `judge`. Targets are taken
/// from the iterator only as there is room for them, so a long list made
/// lazily ([`crate::discover::TargetsFile`]) is never held whole.
/// `on_finish` sees each report as soon as it is done (for progress);
/// `emit` receives them in input order.
pub async fn scan(
    targets: impl IntoIterator<Item = Target>,
    config: ProbeConfig,
    judge: Judge,
    run: Arc<Concurrency>,
    mut on_finish: impl FnMut(&TargetReport),
    mut emit: impl FnMut(TargetReport),
) {
    let config = Arc::new(config);
    let judge = Arc::new(judge);
    let mut pending = targets.into_iter();
    let mut exhausted = false;
    let mut running: JoinSet<(usize, TargetReport)> = JoinSet::new();
    // The targets of the tasks in `running` (only those), for the report of
    // one whose task fails.
    let mut in_flight: HashMap<tokio::task::Id, (usize, Arc<Target>)> = HashMap::new();
    let mut finished: BTreeMap<usize, TargetReport> = BTreeMap::new();
    let (mut next_spawn, mut next_emit) = (0usize, 0usize);
    loop {
        let limit = run.limit();
        let window = limit
            .saturating_mul(WINDOW_PER_SLOT)
            .min(limit.saturating_add(MAX_PAUSED));
        // Reports wait in `finished` until every earlier one is out: a slow
        // endpoint holds back at most a few windows of them, so memory stays
        // bounded however long the list.
        let held = window.saturating_mul(2).max(MIN_HELD);
        while !exhausted && running.len() < window && running.len() + finished.len() < held {
            let Some(target) = pending.next() else {
                exhausted = true;
                break;
            };
            let (idx, target, config) = (next_spawn, Arc::new(target), config.clone());
            let (judge, run, task_target) = (judge.clone(), run.clone(), target.clone());
            let handle = running.spawn(async move {
                let slot = Arc::new(WorkSlot::take(run).await);
                (
                    idx,
                    scan_one_contained(task_target, config, judge, Some(slot)).await,
                )
            });
            in_flight.insert(handle.id(), (idx, target));
            next_spawn += 1;
        }
        // A grown limit lets more start before the next one finishes.
        let joined = tokio::select! {
            joined = running.join_next_with_id() => joined,
            () = run.grown(), if !exhausted => continue,
        };
        let (idx, report) = match joined {
            // Nothing runs: every report has been emitted (an earlier one
            // still running is what holds a later one back).
            None => break,
            Some(Ok((id, done))) => {
                in_flight.remove(&id);
                done
            }
            // The wrapper above cannot panic; if its task still fails, that
            // target gets an error report and the scan goes on.
            Some(Err(e)) => {
                let Some((idx, t)) = in_flight.remove(&e.id()) else {
                    continue;
                };
                let err =
                    probe::ProbeError::new(ErrorKind::Internal, format!("internal error: {e}"));
                (idx, unprobed(&t.label, t.sni.clone(), &err, &config))
            }
        };
        on_finish(&report);
        finished.insert(idx, report);
        while let Some(report) = finished.remove(&next_emit) {
            emit(report);
            next_emit += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test]
    async fn targets_are_taken_as_there_is_room_and_reports_come_out_in_order() {
        // Bound, never listening: refused at once for the whole test, and
        // no other test's listener can take the port.
        let refusing = tokio::net::TcpSocket::new_v4().unwrap();
        refusing.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = refusing.local_addr().unwrap().port();
        let total = 3 * MIN_HELD;
        let taken = Cell::new(0usize);
        let targets = (0..total).map(|i| {
            taken.set(taken.get() + 1);
            let mut t = crate::discover::parse_target(&format!("127.0.0.1:{port}"), None).unwrap();
            t.label = format!("target-{i}");
            t
        });
        let mut taken_at_first_report = None;
        let mut labels = Vec::new();
        scan(
            targets,
            ProbeConfig::default(),
            Judge::default(),
            Concurrency::fixed(1),
            |_| {},
            |report| {
                taken_at_first_report.get_or_insert(taken.get());
                labels.push(report.target.clone());
            },
        )
        .await;
        // One probe at a time: the window is WINDOW_PER_SLOT targets, and
        // no more are made while the first report waits to go out.
        assert!(
            taken_at_first_report.unwrap() <= WINDOW_PER_SLOT + 1,
            "{taken_at_first_report:?} targets made before the first report"
        );
        let expected: Vec<String> = (0..total).map(|i| format!("target-{i}")).collect();
        assert_eq!(labels, expected);
    }
}
