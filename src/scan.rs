//! The pipeline driver: targets in, reports out, many targets at once.
//!
//! Owns: running `probe` → `assess` → `report` for each target with bounded
//! concurrency, and handing reports to the caller in input order as soon as
//! they are ready (so output streams and memory stays bounded by the window
//! of targets in flight). One failing target never stops the others.

use crate::assess;
use crate::assess::certs::CertRules;
use crate::discover::Target;
use crate::probe::{self, ProbeConfig};
use crate::report::TargetReport;
use crate::vocab::ErrorKind;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
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
    let started = Instant::now();
    match probe::probe_target(target, config).await {
        Ok(observed) => {
            let assessed = assess::endpoint_with(&observed, rules);
            TargetReport::probed(&target.label, observed, assessed)
        }
        Err(err) => {
            let ms = started.elapsed().as_millis() as u64;
            TargetReport::failed(&target.label, target.sni.clone(), &err, config, ms)
        }
    }
}

/// Scans `targets` with at most `concurrency` in flight, judging
/// certificates by `rules`. `on_finish` sees each report as soon as it is
/// done (for progress); `emit` receives them in input order.
pub async fn scan(
    targets: Vec<Target>,
    config: ProbeConfig,
    rules: CertRules,
    concurrency: usize,
    mut on_finish: impl FnMut(&TargetReport),
    mut emit: impl FnMut(TargetReport),
) {
    let config = Arc::new(config);
    let rules = Arc::new(rules);
    let targets: Vec<Arc<Target>> = targets.into_iter().map(Arc::new).collect();
    let concurrency = concurrency.max(1);
    let mut running: JoinSet<(usize, TargetReport)> = JoinSet::new();
    let mut index_of = std::collections::HashMap::new();
    let mut finished: BTreeMap<usize, TargetReport> = BTreeMap::new();
    let (mut next_spawn, mut next_emit) = (0usize, 0usize);
    while next_emit < targets.len() {
        while running.len() < concurrency && next_spawn < targets.len() {
            let (idx, target, config) = (next_spawn, targets[next_spawn].clone(), config.clone());
            let rules = rules.clone();
            let handle = running.spawn(async move {
                let (inner, inner_config) = (target.clone(), config.clone());
                // A panic inside one probe is a bug; it fails that target only.
                let report =
                    match tokio::spawn(
                        async move { scan_one_with(&inner, &inner_config, &rules).await },
                    )
                    .await
                    {
                        Ok(report) => report,
                        Err(e) => {
                            let err = probe::ProbeError::new(
                                ErrorKind::Internal,
                                format!("internal error: {e}"),
                            );
                            TargetReport::failed(
                                &target.label,
                                target.sni.clone(),
                                &err,
                                &config,
                                0,
                            )
                        }
                    };
                (idx, report)
            });
            index_of.insert(handle.id(), idx);
            next_spawn += 1;
        }
        let (idx, report) = match running.join_next_with_id().await {
            None => break,
            Some(Ok((_, done))) => done,
            // The wrapper above cannot panic; if its task still fails, that
            // target gets an error report and the scan goes on.
            Some(Err(e)) => {
                let idx = index_of.get(&e.id()).copied().unwrap_or(next_emit);
                let t = &targets[idx];
                let err =
                    probe::ProbeError::new(ErrorKind::Internal, format!("internal error: {e}"));
                (
                    idx,
                    TargetReport::failed(&t.label, t.sni.clone(), &err, &config, 0),
                )
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
