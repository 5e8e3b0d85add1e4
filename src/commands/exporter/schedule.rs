//! The scheduled scans: every `--interval` (moved by up to `--jitter`),
//! collect the targets (fixed ones, the targets file read again, the
//! cluster discovered again), probe them with bounded concurrency and the
//! shared `--rate`, and install the results in one piece. A cluster round
//! also judges the edges between the components, as `pqready cluster` does.

use super::state::{Exporter, ScannedEndpoint, Snapshot};
use crate::assess::Judge;
use crate::discover::cluster::{self as discovery};
use crate::discover::{self, Target};
use crate::report::cluster::ComponentReport;
use crate::report::prometheus::{
    ClusterMetrics, EdgeMetrics, EndpointLabels, EndpointMetrics, FindingCounts, ScanStats,
};
use crate::report::TargetReport;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Runs scans until `stop` fires.
pub async fn run(state: Arc<Exporter>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        let started = Instant::now();
        match scan(&state).await {
            Ok(snapshot) => {
                tracing::info!(
                    endpoints = snapshot.stats.endpoints,
                    errors = snapshot.stats.errors,
                    seconds = snapshot.stats.duration_seconds,
                    "scan completed"
                );
                state.complete_scan(snapshot);
            }
            Err(why) => {
                tracing::warn!(error = %why, "scan could not run");
                state.fail_scan();
            }
        }
        let wait = next_wait(
            state.settings.interval,
            state.settings.jitter,
            started.elapsed(),
        );
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The pause before the next scan: the interval, moved by a random share of
/// up to `jitter` either way, less the time the scan took (never negative).
fn next_wait(interval: Duration, jitter: f64, took: Duration) -> Duration {
    let spread = (fastrand::f64() * 2.0 - 1.0) * jitter;
    let target = interval.as_secs_f64() * (1.0 + spread);
    Duration::from_secs_f64((target - took.as_secs_f64()).max(0.0))
}

/// Why a scheduled scan could not run at all.
#[derive(Debug, thiserror::Error)]
enum ScanError {
    #[error(transparent)]
    TargetsFile(#[from] discover::TargetError),
    #[error(transparent)]
    Cluster(#[from] discovery::ClusterError),
}

/// One scan; an error when it could not run at all.
async fn scan(state: &Arc<Exporter>) -> Result<Snapshot, ScanError> {
    let started = Instant::now();
    let settings = &state.settings;
    let mut work: Vec<(EndpointLabels, Work)> = Vec::new();
    // A replica scans only its shard's targets; its siblings scan the rest.
    let ours = |t: &Target| settings.shard.is_none_or(|s| s.owns(&t.label));
    for t in settings.targets.iter().filter(|t| ours(t)) {
        work.push((labels_of(t), Work::Target(t.clone())));
    }
    if let Some(path) = &settings.targets_file {
        let listed = discover::read_targets_file(path, None)?;
        for t in listed.into_iter().filter(|t| ours(t)) {
            work.push((labels_of(&t), Work::Target(t)));
        }
    }
    let mut found = None;
    if let Some((source, includes)) = &settings.cluster {
        let (client, info) = discovery::connect(source, settings.scan.timeout).await?;
        let mut discovered = discovery::discover(&client, info, includes.clone()).await?;
        // As `cluster --shard`: this replica's components, and the edges of
        // the servers among them.
        if let Some(shard) = settings.shard {
            discovered.components = shard.select(discovered.components, |c| c.address.as_deref());
        }
        for (i, component) in discovered.components.iter().enumerate() {
            let Some(target) = &component.target else {
                continue;
            };
            let labels = EndpointLabels {
                target: Some(target.label.clone()),
                category: Some(component.category.name().to_string()),
                component: Some(component.name.clone()),
            };
            work.push((labels, Work::Component(i, Box::new(component.clone()))));
        }
        found = Some(discovered);
    }
    state.set_targets(work.len());

    let limit = crate::net::Concurrency::adaptive(settings.concurrency.0, settings.concurrency.1);
    let config = Arc::new(settings.scan.clone());
    let apiserver = Arc::new(
        found
            .as_ref()
            .map(|f| (f.cluster.git_version.clone(), f.cluster.go_version.clone())),
    );
    let mut running: JoinSet<(usize, Probed)> = JoinSet::new();
    let total = work.len();
    let mut labels = Vec::with_capacity(total);
    for (i, (label, item)) in work.into_iter().enumerate() {
        labels.push(label);
        let (limit, config, state, apiserver) = (
            limit.clone(),
            config.clone(),
            state.clone(),
            apiserver.clone(),
        );
        running.spawn(async move {
            let slot = Arc::new(crate::net::WorkSlot::take(limit).await);
            state.count_scan_probe();
            (i, probe(item, &config, &apiserver, slot).await)
        });
    }
    let mut results: Vec<Option<Probed>> = (0..total).map(|_| None).collect();
    while let Some(done) = running.join_next().await {
        if let Ok((i, probed)) = done {
            results[i] = Some(probed);
        }
    }
    let (metrics, cluster) = match found {
        Some(found) => cluster_round(found, results, &config, &limit).await,
        None => (
            results
                .into_iter()
                .map(|r| match r {
                    Some(Probed::Endpoint(m)) => Some(*m),
                    _ => None,
                })
                .collect(),
            ClusterMetrics::default(),
        ),
    };
    let endpoints: Vec<ScannedEndpoint> = labels
        .into_iter()
        .zip(metrics)
        .filter_map(|(labels, metrics)| metrics.map(|metrics| ScannedEndpoint { labels, metrics }))
        .collect();
    let errors = endpoints.iter().filter(|e| e.metrics.failed()).count();
    Ok(Snapshot {
        stats: ScanStats {
            duration_seconds: started.elapsed().as_secs_f64(),
            endpoints: endpoints.len(),
            errors,
            completed_at: crate::time::now_unix(),
        },
        endpoints,
        cluster,
        completed: Some(Instant::now()),
    })
}

/// The end of a cluster round, once every endpoint was probed: the edges
/// between the components, judged as `pqready cluster` judges them (each
/// client's profile replayed against its servers), and each endpoint's
/// metrics with the findings of the edges it serves. Results come in the
/// order of `results` (the scan's work).
async fn cluster_round(
    found: discovery::Discovery,
    results: Vec<Option<Probed>>,
    config: &crate::probe::ProbeConfig,
    limit: &Arc<crate::net::Concurrency>,
) -> (Vec<Option<EndpointMetrics>>, ClusterMetrics) {
    let mut reports: Vec<Option<TargetReport>> = found.components.iter().map(|_| None).collect();
    let mut order: Vec<Option<Placed>> = Vec::with_capacity(results.len());
    for r in results {
        order.push(match r {
            Some(Probed::Endpoint(m)) => Some(Placed::Endpoint(m)),
            Some(Probed::Component(i, report)) => {
                reports[i] = Some(*report);
                Some(Placed::Component(i))
            }
            None => None,
        });
    }
    let (git, go) = (
        found.cluster.git_version.as_deref(),
        found.cluster.go_version.as_deref(),
    );
    let components: Vec<ComponentReport> = found
        .components
        .into_iter()
        .zip(reports)
        .map(|(component, result)| {
            let expected = super::super::cluster::expected(&component, git, go);
            super::super::cluster::component_report(component, result, expected)
        })
        .collect();
    let judge = Judge::default();
    let edges =
        super::super::cluster::edges(&found.clients, &components, config, &judge, limit).await;
    // Each edge's findings count for its server.
    let mut served: Vec<Vec<crate::assess::Finding>> =
        components.iter().map(|_| Vec::new()).collect();
    for e in &edges {
        let server = components.iter().position(|c| {
            c.component.category == e.server.category
                && c.component.name == e.server.name
                && c.component.address == e.server.address
        });
        if let Some(s) = server {
            served[s].extend(e.findings.iter().cloned());
        }
    }
    let metrics = order
        .into_iter()
        .map(|placed| match placed? {
            Placed::Endpoint(m) => Some(*m),
            Placed::Component(i) => {
                let mut m = EndpointMetrics::of(components[i].result.as_ref()?);
                m.add_findings(&served[i]);
                Some(m)
            }
        })
        .collect();
    let unprobed = components
        .iter()
        .zip(&served)
        .filter(|(c, findings)| c.result.is_none() && !findings.is_empty())
        .map(|(c, findings)| {
            let mut counts = FindingCounts::default();
            counts.add(findings);
            (
                c.component.category.name().to_string(),
                c.component.name.clone(),
                counts,
            )
        })
        .collect();
    let cluster = ClusterMetrics {
        edges: edges.iter().map(EdgeMetrics::of).collect(),
        unprobed,
    };
    (metrics, cluster)
}

enum Work {
    Target(Target),
    /// A cluster component: its index among the discovered ones, and itself.
    Component(usize, Box<discovery::Component>),
}

/// What one endpoint's probe left: a target's metrics, or a cluster
/// component's whole report (its edges are judged from it once every
/// component was probed).
enum Probed {
    Endpoint(Box<EndpointMetrics>),
    Component(usize, Box<TargetReport>),
}

/// Where an endpoint's metrics come from once a cluster round ends.
enum Placed {
    Endpoint(Box<EndpointMetrics>),
    Component(usize),
}

fn labels_of(t: &Target) -> EndpointLabels {
    EndpointLabels {
        target: Some(t.label.clone()),
        ..Default::default()
    }
}

/// Probes one endpoint. A cluster component is tried at its fallbacks too,
/// and also judged as a component (an API server that negotiates otherwise
/// than its build should).
async fn probe(
    item: Work,
    config: &crate::probe::ProbeConfig,
    apiserver: &Option<(Option<String>, Option<String>)>,
    slot: Arc<crate::net::WorkSlot>,
) -> Probed {
    match item {
        Work::Target(target) => Probed::Endpoint(Box::new(EndpointMetrics::of(
            &crate::scan::scan_one_contained(
                Arc::new(target),
                Arc::new(config.clone()),
                Arc::new(Judge::default()),
                Some(slot),
            )
            .await,
        ))),
        Work::Component(i, component) => {
            let judge = Judge::default();
            let Some(mut report) =
                super::super::cluster::probe_component(&component, config, &judge, Some(slot))
                    .await
            else {
                let err = crate::probe::ProbeError::new(
                    crate::vocab::ErrorKind::Internal,
                    "no address to probe".into(),
                );
                return Probed::Endpoint(Box::new(EndpointMetrics::of(&crate::scan::unprobed(
                    &component.name,
                    None,
                    &err,
                    config,
                ))));
            };
            let (git, go) = match apiserver {
                Some((git, go)) => (git.as_deref(), go.as_deref()),
                None => (None, None),
            };
            let expected = super::super::cluster::expected(&component, git, go);
            let own = super::super::cluster::component_findings(
                &judge,
                &component,
                &report,
                expected.as_ref(),
            );
            report.assessed.findings.extend(own);
            Probed::Component(i, Box::new(report))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_stay_within_the_jitter_and_never_go_negative() {
        let hour = Duration::from_secs(3600);
        for _ in 0..1000 {
            let w = next_wait(hour, 0.1, Duration::from_secs(60)).as_secs_f64();
            assert!((3240.0 - 60.0..=3960.0 - 60.0).contains(&w), "{w}");
        }
        assert_eq!(
            next_wait(Duration::from_secs(1), 0.0, Duration::from_secs(5)),
            Duration::ZERO
        );
    }
}
