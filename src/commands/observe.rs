//! `pqready observe --pcap FILE...` or `--interface IF`: read the captures
//! (or capture live until `--duration` or Ctrl-C) into the flow table,
//! judge every connection once all are read (a silent downgrade is told by
//! other connections to the same server), then write one record per
//! connection and the summary.

use super::output::Output;
use super::{CommandError, Outcome};
use crate::cli::ObserveArgs;
use crate::observe::flow::{FlowTable, Limits};
use crate::report::observe::{ObserveSummary, ObservedRecord};
use crate::report::Part;

/// Reads every file, then reports.
pub fn run(args: ObserveArgs) -> Result<Outcome, CommandError> {
    if args.exporter && (args.output.policy.is_some() || args.output.baseline.is_some()) {
        return Err(CommandError(
            "observe --exporter takes neither --policy nor --baseline: it writes no results".into(),
        ));
    }
    if args.max_flows == 0 {
        return Err(CommandError("--max-flows must be at least 1".into()));
    }
    if args.interface.is_none() && (args.duration.is_some() || args.no_attribution) {
        return Err(CommandError(
            "--duration and --no-attribution go with --interface".into(),
        ));
    }
    let filter = args
        .filter
        .as_deref()
        .map(crate::observe::filter::Filter::parse)
        .transpose()
        .map_err(|e| CommandError(e.to_string()))?;
    let cluster = cluster_edges(&args.cluster_report)?;
    let mut files = Vec::new();
    for path in &args.pcap {
        let file = std::fs::File::open(path)
            .map_err(|e| CommandError(format!("cannot read '{}': {e}", path.display())))?;
        files.push((path.display().to_string(), file));
    }
    let limits = Limits {
        max_flows: args.max_flows,
        ..Limits::default()
    };
    if args.exporter {
        let interface = args.interface.clone().unwrap_or_default();
        return exporter(
            interface,
            args.listen.clone(),
            args.web_config_file.clone(),
            args.duration,
            !args.no_attribution,
            filter,
            limits,
        );
    }
    let mut table = FlowTable::new(limits);
    let mut connections = Vec::new();
    let mut partial = false;
    let mut output = Output::open_for(
        args.output,
        Some(crate::vocab::DocumentKind::ObserveSummary),
    )?;
    if let Some(interface) = &args.interface {
        let attribute = !args.no_attribution;
        live(
            interface,
            args.duration,
            attribute,
            filter.as_ref(),
            limits,
            &mut table,
            &mut connections,
        )?;
    }
    for (name, file) in files {
        let input = std::io::BufReader::with_capacity(1 << 16, file);
        if let Err(e) = crate::observe::pcap::read_filtered(
            input,
            &name,
            &mut table,
            filter.as_ref(),
            |ready| connections.extend(ready),
        ) {
            table.stats_mut().notes.push(format!("{name}: {e}"));
            partial = true;
        }
    }
    table.finish();
    connections.extend(table.take_ready());
    if args.interface.is_some() {
        if let Some(note) = pods(&args.kube, !args.no_attribution, &mut connections)? {
            table.stats_mut().notes.push(note);
        }
    }
    let stats = table.stats().clone();
    let judge = crate::assess::Judge::new(Default::default(), output.policy());
    let mut assessed = crate::assess::observed::observed_with(
        &connections,
        cluster
            .as_deref()
            .map(|edges| crate::assess::observed::ClusterPrediction { edges }),
        &judge,
    );
    let judgements = std::mem::take(&mut assessed.connections);
    for (observed, judged) in connections.into_iter().zip(judgements) {
        output.part(Part::ObservedConnection(&ObservedRecord::new(
            observed, judged,
        )));
    }
    output.part(Part::ObserveSummary(&ObserveSummary::new(stats, assessed)));
    output.finish();
    Ok(if partial {
        Outcome::Partial
    } else {
        Outcome::Complete
    })
}

/// The edges of the saved cluster audits in `paths` (`cluster -o json`),
/// shards of one cluster joined; `None` when none is given.
fn cluster_edges(
    paths: &[std::path::PathBuf],
) -> Result<Option<Vec<crate::assess::edges::Edge>>, CommandError> {
    use crate::report::document::{self, Document};
    if paths.is_empty() {
        return Ok(None);
    }
    let mut docs = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let text = super::report::read_file(path)?;
        let read = document::read(&name, &text).map_err(|e| CommandError(e.to_string()))?;
        let before = docs.len();
        docs.extend(read.into_iter().filter_map(|d| match d {
            Document::Cluster(c) => Some(*c),
            _ => None,
        }));
        if docs.len() == before {
            return Err(CommandError(format!(
                "{name}: no cluster audit in it (--cluster-report reads `pqready cluster -o json`)"
            )));
        }
    }
    let merged = if docs.len() == 1 {
        docs.pop().expect("one")
    } else {
        crate::report::cluster::ClusterReport::merge(docs)
            .map_err(|e| CommandError(format!("--cluster-report: {e}")))?
    };
    Ok(Some(merged.edges))
}

/// The service account token a pod is given, which says pqready runs in one.
const SERVICE_ACCOUNT_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// How long the Pod lookup may take to connect and to read each answer.
const API_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Names the Pods of the connections' processes and the Pods or Services
/// of their server addresses when a cluster is at hand (the flags, or the
/// service account when `in_pod_default` and pqready runs in a pod).
/// Listed once the capture ends, so Pods that started during it are known.
/// A failure is one note, returned; the connections keep their processes.
fn pods(
    kube: &crate::cli::ObserveKubeArgs,
    in_pod_default: bool,
    connections: &mut [crate::observe::ObservedConnection],
) -> Result<Option<String>, CommandError> {
    let in_pod = in_pod_default
        && std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
        && std::path::Path::new(SERVICE_ACCOUNT_TOKEN).exists();
    let Some(source) = kube.source(in_pod) else {
        return Ok(None);
    };
    let node = std::env::var("NODE_NAME").ok().filter(|n| !n.is_empty());
    let looked_up = super::runtime()?.block_on(crate::discover::pods::lookup_with(
        &source,
        node.as_deref(),
        API_TIMEOUT,
    ));
    let problems = match looked_up {
        Ok((directory, problems)) => {
            directory.annotate(connections);
            problems
        }
        Err(e) => vec![format!("{e}: connections are attributed to processes only")],
    };
    Ok((!problems.is_empty()).then(|| format!("Kubernetes API: {}", problems.join("; "))))
}

/// Captures on `interface` until `--duration` ends or a signal arrives.
#[cfg(target_os = "linux")]
fn live(
    interface: &str,
    duration: Option<std::time::Duration>,
    attribute: bool,
    filter: Option<&crate::observe::filter::Filter>,
    limits: Limits,
    table: &mut FlowTable,
    connections: &mut Vec<crate::observe::ObservedConnection>,
) -> Result<(), CommandError> {
    use crate::observe::live::{capture, LiveOptions};
    let opts = LiveOptions {
        interface,
        filter,
        duration,
        attribute,
    };
    let until = match duration {
        Some(d) => format!("for {}s", d.as_secs()),
        None => "until Ctrl-C".to_string(),
    };
    capture(
        &opts,
        table,
        limits.max_stream_bytes,
        // Tests and scripts wait for this line before they make traffic.
        || eprintln!("pqready: capturing on {interface} {until}"),
        |ready, _| connections.extend(ready),
    )
    .map_err(|e| CommandError(e.to_string()))
}

/// The address `--exporter` serves when `--listen` does not say: next to
/// `pqready exporter`'s, so both can run on one host.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9718";

/// What `/metrics` shows of a running capture.
#[derive(Default)]
struct Running {
    /// The socket is open and reading.
    capturing: bool,
    handshakes: crate::report::prometheus::ObservedMetrics,
    totals: crate::assess::observed::RunningTotals,
    stats: crate::observe::CaptureStats,
}

/// `--exporter`: captures in a thread of its own and serves the counts on
/// `/metrics` with the exporter's HTTP server until the capture ends
/// (`--duration`, SIGTERM or SIGINT, which the capture catches).
#[cfg(target_os = "linux")]
fn exporter(
    interface: String,
    listen: Option<String>,
    web: Option<std::path::PathBuf>,
    duration: Option<std::time::Duration>,
    attribute: bool,
    filter: Option<crate::observe::filter::Filter>,
    limits: Limits,
) -> Result<Outcome, CommandError> {
    use super::exporter::web::Web;
    use super::exporter::{metrics, serve_with, shut_down, text, through_web};
    use hyper::StatusCode;
    use std::sync::{Arc, Mutex};
    let listen = listen.unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    // A web config that cannot be used is one line before anything listens.
    let web = Arc::new(match &web {
        Some(path) => Web::load(path)?,
        None => Web::default(),
    });
    let tls = web.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let scheme = if tls.is_some() { "https" } else { "http" };
    super::runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| CommandError(format!("cannot listen on {listen}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| CommandError(format!("cannot listen on {listen}: {e}")))?;
        // Tests and scripts read the address (port 0) from this line.
        eprintln!("pqready: listening on {scheme}://{local}");
        let running = Arc::new(Mutex::new(Running::default()));
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let shared = running.clone();
        let capture = tokio::task::spawn_blocking(move || {
            use crate::observe::live::{capture, LiveOptions};
            let opts = LiveOptions {
                interface: &interface,
                filter: filter.as_ref(),
                duration,
                attribute,
            };
            let until = match duration {
                Some(d) => format!("for {}s", d.as_secs()),
                None => "until SIGTERM or Ctrl-C".to_string(),
            };
            let mut table = FlowTable::new(limits);
            let result = capture(
                &opts,
                &mut table,
                limits.max_stream_bytes,
                || {
                    lock(&shared).capturing = true;
                    eprintln!("pqready: capturing on {interface} {until}");
                },
                |ready, stats| {
                    let mut r = lock(&shared);
                    for c in &ready {
                        r.handshakes.add(c);
                        r.totals.add(c);
                    }
                    r.stats = stats.clone();
                },
            );
            {
                let mut r = lock(&shared);
                r.stats = table.stats().clone();
                r.capturing = false;
            }
            let _ = done_tx.send(());
            result
        });
        let handler = move |req: hyper::Request<hyper::body::Incoming>, _| {
            let running = running.clone();
            let web = web.clone();
            async move {
                through_web(&web, req, |req| async move {
                if req.method() != hyper::Method::GET && req.method() != hyper::Method::HEAD {
                    return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
                }
                match req.uri().path() {
                    "/metrics" => metrics(vec![page(&lock(&running)).into()]),
                    "/healthz" => text(StatusCode::OK, "ok\n"),
                    "/readyz" if lock(&running).capturing => text(StatusCode::OK, "ready\n"),
                    "/readyz" => text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "not ready: not capturing\n",
                    ),
                    "/" => text(
                        StatusCode::OK,
                        "pqready observe --exporter\n\n/metrics          handshakes seen on the wire, and their findings\n/healthz /readyz  liveness and readiness (capturing)\n",
                    ),
                    _ => text(StatusCode::NOT_FOUND, "not found\n"),
                }
                })
                .await
            }
        };
        let graceful = serve_with(listener, tls, handler, async {
            let _ = done_rx.await;
        })
        .await;
        shut_down(graceful).await;
        capture
            .await
            .map_err(|e| CommandError(format!("the capture thread failed: {e}")))?
            .map_err(|e| CommandError(e.to_string()))?;
        Ok(Outcome::Complete)
    })
}

/// The `/metrics` page: the counters, and the findings `assess` draws from
/// the running totals at each scrape.
fn page(r: &Running) -> String {
    let assessed = r.totals.assess();
    let findings: Vec<_> = assessed.findings().cloned().collect();
    let mut out = crate::report::prometheus::Exposition::default();
    r.handshakes.write(&r.stats, &findings, &mut out);
    out.text()
}

/// The lock, even if a panic poisoned it (the counts stay usable).
fn lock(m: &std::sync::Mutex<Running>) -> std::sync::MutexGuard<'_, Running> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(not(target_os = "linux"))]
fn exporter(
    _: String,
    _: Option<String>,
    _: Option<std::path::PathBuf>,
    _: Option<std::time::Duration>,
    _: bool,
    _: Option<crate::observe::filter::Filter>,
    _: Limits,
) -> Result<Outcome, CommandError> {
    Err(CommandError(
        "observe --exporter captures on Linux only (an AF_PACKET socket)".into(),
    ))
}

#[cfg(not(target_os = "linux"))]
fn live(
    _: &str,
    _: Option<std::time::Duration>,
    _: bool,
    _: Option<&crate::observe::filter::Filter>,
    _: Limits,
    _: &mut FlowTable,
    _: &mut Vec<crate::observe::ObservedConnection>,
) -> Result<(), CommandError> {
    Err(CommandError(
        "observe --interface captures on Linux only (an AF_PACKET socket); elsewhere, capture with tcpdump and read the file with --pcap".into(),
    ))
}
