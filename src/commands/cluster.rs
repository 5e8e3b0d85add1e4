//! `pqready cluster`: discover the cluster's endpoints and clients through
//! its API, probe every endpoint (falling back to a Service's endpoints when
//! its ClusterIP does not answer), replay each client (the local kubectl
//! included) against the servers it talks to, judge each component and
//! edge, and print one document.

use super::output::{Output, Progress};
use super::{CommandError, Outcome};
use crate::assess;
use crate::catalog::profile;
use crate::cli::ClusterArgs;
use crate::discover::cluster::{self as discovery, Category, Component};
use crate::net::WorkSlot;
use crate::probe::ProbeConfig;
use crate::report::cluster::{ClusterReport, ComponentReport, LocalClient};
use crate::report::{Part, TargetReport};
use crate::scan::{scan_one_in, Identity};
use crate::vocab::DocumentKind;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// Runs the audit.
pub async fn run(args: ClusterArgs) -> Result<Outcome, CommandError> {
    let config = args.config()?;
    let run = args.pace.concurrency()?;
    let rules = args.deadlines.rules()?;
    let mut includes = args.includes()?;
    // A source that keeps failing is retried for three probe deadlines.
    includes.retry_for = Some(config.timeout * 3);
    let (client, info) = discovery::connect(&args.source(), config.timeout)
        .await
        .map_err(|e| CommandError(e.0))?;
    let mut found = discovery::discover(&client, info, includes)
        .await
        .map_err(|e| CommandError(e.0))?;
    // `--shard I/N`: only this shard's components are probed and listed; the
    // cluster, kubectl and the kinds that could not be read stay in every shard.
    if let Some(shard) = args.shard {
        found.components = shard.select(found.components, |c| c.address.as_deref());
    }
    let kubectl = local_kubectl(config.timeout.max(Duration::from_secs(10))).await;

    // The API server is also asked what the local kubectl would get: by its
    // edge, or (`--edges=false`) as one of the API server's `--clients`.
    let mut apiserver_config = config.clone();
    if let Some(k) = kubectl.as_ref().filter(|_| !args.edges) {
        if let Some(p) = profile::find(&k.profile) {
            if !apiserver_config.clients.iter().any(|c| c.id == p.id) {
                apiserver_config.clients.push(p);
            }
        }
    }
    let mut output = Output::open_for(args.output, Some(DocumentKind::Cluster))?;
    let judge = Arc::new(assess::Judge::new(rules, output.policy()));
    let probed = found
        .components
        .iter()
        .filter(|c| c.target.is_some())
        .count();
    output.progress(Progress::Bar {
        total: probed as u64,
        template: "{spinner} [{bar:30}] {pos}/{len} components probed ({elapsed})",
    });
    let ticker = output.ticker();
    let configs = (Arc::new(config), Arc::new(apiserver_config));
    let mut running: JoinSet<(usize, Option<TargetReport>)> = JoinSet::new();
    for (i, component) in found.components.iter().enumerate() {
        let config = match component.category {
            Category::Apiserver => configs.1.clone(),
            _ => configs.0.clone(),
        };
        let component = component.clone();
        let run = run.clone();
        let judge = judge.clone();
        running.spawn(async move {
            let slot = Arc::new(WorkSlot::take(run).await);
            (
                i,
                probe_component(&component, &config, &judge, Some(slot)).await,
            )
        });
    }
    let mut results: Vec<Option<TargetReport>> = vec![None; found.components.len()];
    while let Some(done) = running.join_next().await {
        if let Ok((i, report)) = done {
            if report.is_some() {
                ticker.tick();
            }
            results[i] = report;
        }
    }

    let mut findings = Vec::new();
    let mut components = Vec::with_capacity(found.components.len());
    for (component, result) in found.components.into_iter().zip(results) {
        let expected = expected(
            &component,
            found.cluster.git_version.as_deref(),
            found.cluster.go_version.as_deref(),
        );
        if let Some(r) = &result {
            findings.extend(component_findings(&judge, &component, r, expected.as_ref()));
        }
        components.push(component_report(component, result, expected));
    }
    let edges = if args.edges {
        let mut clients = found.clients;
        if let Some(k) = &kubectl {
            clients.push(k.as_client());
        }
        edges(&clients, &components, &configs.0, &judge, &run).await
    } else {
        Vec::new()
    };
    let local_clients = kubectl
        .map(|k| local_client(k, &components, &edges))
        .into_iter()
        .collect();
    // What the audit could not read is judged too, so a gate cannot pass
    // on missing data.
    findings.extend(crate::assess::cluster::incomplete(&found.hidden));
    let report = ClusterReport::new(
        found.cluster,
        components,
        local_clients,
        findings,
        found.hidden,
        edges,
    );
    // Only a probe that failed, or a source that failed after its retries,
    // makes the run partial: unreachable addresses, ports without TLS and
    // denied sources are listed (and judged), and a component without an
    // address was not probed.
    let partial = report.summary.partial;
    output.part(Part::Cluster(&report));
    output.finish();
    Ok(if partial {
        Outcome::Partial
    } else {
        Outcome::Complete
    })
}

/// Every client→server edge among `clients` and the probed `components`,
/// judged: each server is asked once per distinct client offer (its
/// clients' profiles replayed together, as `--clients` does), all servers
/// at once within the run's concurrency.
pub(super) async fn edges(
    clients: &[discovery::ClusterClient],
    components: &[ComponentReport],
    config: &ProbeConfig,
    judge: &assess::Judge,
    run: &Arc<crate::net::Concurrency>,
) -> Vec<assess::edges::Edge> {
    let categories: Vec<Category> = components.iter().map(|c| c.component.category).collect();
    let pairs = discovery::edge_pairs(clients, &categories);
    // Each server's distinct client profiles, for the servers worth asking.
    let mut asked: Vec<Vec<&'static profile::ClientProfile>> = vec![Vec::new(); components.len()];
    for (c, s) in &pairs {
        let Some(p) = clients[*c].profile.as_deref().and_then(profile::find) else {
            continue;
        };
        let server = &components[*s];
        let probed = matches!(
            server.standing(),
            crate::vocab::Standing::Pq
                | crate::vocab::Standing::DraftOnly
                | crate::vocab::Standing::Classical
                | crate::vocab::Standing::Unknown
        );
        if probed && !asked[*s].iter().any(|q| q.id == p.id) {
            asked[*s].push(p);
        }
    }
    let mut running: JoinSet<(usize, Vec<crate::probe::clients::ClientResult>)> = JoinSet::new();
    for (s, profiles) in asked.into_iter().enumerate() {
        let Some(target) = components[s]
            .result
            .as_ref()
            .and_then(|r| probed_target(&components[s].component, &r.target))
        else {
            continue;
        };
        if profiles.is_empty() {
            continue;
        }
        let run = run.clone();
        let timeout = config.timeout;
        running.spawn(async move {
            let slot = Arc::new(WorkSlot::take(run).await);
            let results =
                crate::probe::clients::replay(&target, &profiles, timeout, Some(slot)).await;
            (s, results)
        });
    }
    let mut replays: Vec<Vec<crate::probe::clients::ClientResult>> =
        vec![Vec::new(); components.len()];
    while let Some(done) = running.join_next().await {
        if let Ok((s, results)) = done {
            replays[s] = results;
        }
    }
    pairs
        .iter()
        .map(|(c, s)| {
            let client = &clients[*c];
            let server = &components[*s];
            let side = assess::edges::ServerSide {
                component: &server.component,
                standing: server.standing(),
                observed: server.result.as_ref().map(|r| &r.observed),
            };
            let replay = client
                .profile
                .as_deref()
                .and_then(|id| replays[*s].iter().find(|r| r.profile == id));
            assess::edges::edge(client, &side, replay, judge)
        })
        .collect()
}

/// A component next to its probe: reachable unless the probe found no
/// way to it, speaking TLS unless it answered without (null when it was
/// not probed or not reached).
pub(super) fn component_report(
    component: Component,
    result: Option<TargetReport>,
    expected: Option<assess::cluster::Expected>,
) -> ComponentReport {
    let reachable = match &result {
        Some(r) => !assess::cluster::unreachable(r.error_kind),
        None => true,
    };
    let speaks_tls = result
        .as_ref()
        .filter(|_| reachable)
        .map(|r| r.error_kind != Some(crate::vocab::ErrorKind::NotTls));
    ComponentReport {
        component,
        reachable,
        speaks_tls,
        expected,
        result,
    }
}

/// The target a component's report was probed at: its address, or the
/// fallback that answered.
fn probed_target(component: &Component, label: &str) -> Option<crate::discover::Target> {
    component
        .target
        .iter()
        .chain(&component.fallbacks)
        .find(|t| t.label == label)
        .cloned()
}

/// What the component's build should offer: the API server's, from the
/// version it reports; nothing for the others.
pub(super) fn expected(
    component: &Component,
    git_version: Option<&str>,
    go_version: Option<&str>,
) -> Option<assess::cluster::Expected> {
    (component.category == Category::Apiserver)
        .then(|| assess::cluster::expected_apiserver(git_version, go_version))
        .flatten()
}

/// A probed component's own findings (its build against the wire, its TLS
/// flags), judged as that component; none when it could not be probed.
pub(super) fn component_findings(
    judge: &assess::Judge,
    component: &Component,
    report: &TargetReport,
    expected: Option<&assess::cluster::Expected>,
) -> Vec<assess::Finding> {
    if report.error.is_some() {
        return Vec::new();
    }
    let subject = assess::policy::Subject {
        target: &report.target,
        name: Some(&component.name),
        category: Some(component.category),
    };
    judge.component(
        &report.observed,
        report.assessed.verdict.status,
        expected,
        &component.flags,
        &subject,
    )
}

/// Probes a component's address; when it cannot be reached, its fallbacks
/// in turn (the first that answers is reported).
pub(super) async fn probe_component(
    component: &Component,
    config: &ProbeConfig,
    judge: &assess::Judge,
    slot: Option<Arc<WorkSlot>>,
) -> Option<TargetReport> {
    let first = component.target.as_ref()?;
    let identity = Identity {
        name: Some(&component.name),
        category: Some(component.category),
    };
    let mut report = scan_one_in(first, config, judge, identity, slot.clone()).await;
    for fallback in &component.fallbacks {
        if !assess::cluster::unreachable(report.error_kind) {
            break;
        }
        report = scan_one_in(fallback, config, judge, identity, slot.clone()).await;
    }
    Some(report)
}

/// The kubectl on PATH: its version, and the client profile of that build.
struct Kubectl {
    path: String,
    git_version: String,
    go_version: String,
    profile: String,
    build_godebug: Option<String>,
}

impl Kubectl {
    /// This kubectl as a client of the API server.
    fn as_client(&self) -> discovery::ClusterClient {
        discovery::ClusterClient {
            kind: crate::vocab::ClientKind::Kubectl,
            name: "kubectl".into(),
            version: Some(self.git_version.clone()),
            go_version: Some(self.go_version.clone()),
            profile: Some(self.profile.clone()),
            basis: crate::vocab::ClientBasis::LocalBinary,
            source: self.path.clone(),
            image: None,
        }
    }
}

async fn local_kubectl(limit: Duration) -> Option<Kubectl> {
    let path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("kubectl"))
            .find(|p| p.is_file())
    })?;
    let run = tokio::process::Command::new(&path)
        .args(["version", "--client", "-o", "json"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(limit, run).await.ok()?.ok()?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let version = &json["clientVersion"];
    let git_version = version["gitVersion"].as_str()?.to_string();
    let go_version = version["goVersion"].as_str()?.to_string();
    let minor = git_version.trim_start_matches('v').split('.').nth(1)?;
    let by_release = format!("kubectl1.{minor}");
    let mut profile = if profile::find(&by_release).is_some() {
        by_release
    } else {
        format!("go1.{}", crate::gobin::go_minor(&go_version)?)
    };
    // The binary's own build info (the `binaries` reader) says what it really
    // offers: a patch release built with another Go, or a distribution's
    // DefaultGODEBUG, wins over the release's usual build. A dispatcher that
    // runs another kubectl has other build info and is not used.
    let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    let mut build_godebug = None;
    if let crate::gobin::ScanItem::Binary(binary) = crate::gobin::inspect_file(&real) {
        if binary.go_version == go_version {
            if let (Some(minor), Some(godebug)) = (binary.go_minor, binary.default_godebug.clone())
            {
                let debug = crate::catalog::go::GoDebug::parse(&godebug);
                let built = format!("go1.{minor}{}", debug.suffix());
                let same_offer = profile::find(&profile)
                    .zip(profile::find(&built))
                    .is_some_and(|(release, build)| release.offer_key() == build.offer_key());
                if !same_offer && profile::find(&built).is_some() {
                    profile = built;
                }
                build_godebug = Some(godebug);
            }
        }
    }
    profile::find(&profile)?;
    Some(Kubectl {
        path: path.display().to_string(),
        git_version,
        go_version,
        profile,
        build_godebug,
    })
}

/// The local kubectl's facts next to the judge's view of its replay: its
/// edge to the API server, else the API server's `--clients` replay.
fn local_client(
    k: Kubectl,
    components: &[ComponentReport],
    edges: &[assess::edges::Edge],
) -> LocalClient {
    let by_edge = edges
        .iter()
        .find(|e| e.client.kind == crate::vocab::ClientKind::Kubectl)
        .filter(|e| {
            matches!(
                e.standing,
                crate::vocab::Standing::Pq
                    | crate::vocab::Standing::DraftOnly
                    | crate::vocab::Standing::Classical
                    | crate::vocab::Standing::Error
            )
        })
        .map(|e| e.negotiated_group);
    let by_replay = || {
        components
            .iter()
            .find(|c| c.component.category == Category::Apiserver)
            .and_then(|c| c.result.as_ref())
            .and_then(|r| r.observed.clients.iter().find(|c| c.profile == k.profile))
            .map(|r| r.negotiated_group)
    };
    let judged = assess::cluster::local_client(
        &k.profile,
        &k.git_version,
        &k.go_version,
        by_edge.or_else(by_replay),
    );
    LocalClient {
        name: "kubectl".into(),
        path: k.path,
        git_version: k.git_version,
        go_version: k.go_version,
        profile: k.profile,
        build_godebug: k.build_godebug,
        negotiated_group: judged.negotiated_group,
        pq: judged.pq,
        advice: judged.advice,
    }
}
