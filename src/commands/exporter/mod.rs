//! `pqready exporter`: a long-running Prometheus exporter.
//!
//! Owns: the HTTP server (`/metrics`, `/probe`, `/healthz`, `/readyz`), its
//! bounds (connections, header sizes and times, distinct probes), the
//! `--allow` gate in front of every `/probe` connection, the schedule, the
//! logs and the shutdown on SIGTERM. Must not: format metrics (that is
//! `report::prometheus`) or judge (that is `assess`).
//!
//! The server is hyper's HTTP/1.1 server: Prometheus scrapes with HTTP/1.1,
//! and hyper bounds what a client may send (header size, read time). With
//! `--web.config.file` it speaks TLS (rustls) and asks for basic auth
//! (`web`); `/metrics` is gzip-compressed for scrapers that accept it
//! (`gzip`).

mod gzip;
mod schedule;
mod settings;
mod state;
pub(crate) mod web;

use super::{CommandError, Outcome};
use crate::cli::ExporterArgs;
use crate::discover::Target;
use crate::probe::ProbeConfig;
use crate::report::prometheus::{
    EndpointLabels, Exposition, NO_LABELS, PROBE_DURATION, PROBE_SUCCESS,
};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use settings::Settings;
use state::{Exporter, ProbeKey, RequestOutcome};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// HTTP connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 1024;
/// Time a client has to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head accepted (a `/probe` URL is short).
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// How long a `/probe` waits for its result without a scrape timeout header.
const DEFAULT_PROBE_WAIT: Duration = Duration::from_secs(60);
/// Time in-flight requests get to finish after SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
const METRICS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Runs the exporter until SIGTERM or SIGINT.
pub async fn run(args: ExporterArgs) -> Result<Outcome, CommandError> {
    let settings = settings::resolve(args)?;
    init_logging(settings.json_logs);
    if let Some((source, _)) = &settings.cluster {
        // A kubeconfig that cannot be used is the operator's to fix now, not
        // a scan failure an hour from now. (Nothing is sent to the API yet.)
        crate::discover::cluster::connect(source, settings.scan.timeout)
            .await
            .map_err(|e| CommandError(e.0))?;
    }
    let listener = TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| CommandError(format!("cannot listen on {}: {e}", settings.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| CommandError(format!("cannot listen on {}: {e}", settings.listen)))?;
    let tls = settings
        .web
        .tls
        .clone()
        .map(tokio_rustls::TlsAcceptor::from);
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(
        address = %local,
        scheduled = settings.scheduled(),
        interval_seconds = settings.interval.as_secs_f64(),
        basic_auth = settings.web.auth.is_some(),
        "listening on {scheme}://{local}"
    );
    let state = Arc::new(Exporter::new(settings));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scans = state
        .settings
        .scheduled()
        .then(|| tokio::spawn(schedule::run(state.clone(), stop_rx.clone())));

    let mut terminate = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut interrupt = signal(tokio::signal::unix::SignalKind::interrupt())?;
    let stop = async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    };
    let handler = move |req, peer| {
        let state = state.clone();
        async move { handle(&state, req, peer).await }
    };
    let graceful = serve_with(listener, tls, handler, stop).await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    shut_down(graceful).await;
    if let Some(scans) = scans {
        scans.abort();
    }
    tracing::info!("stopped");
    Ok(Outcome::Complete)
}

/// Serves HTTP on `listener` (over TLS when `tls` is given) with `handler`
/// until `stop` completes, with the exporter's bounds (connections at once,
/// header size and read time; a TLS handshake runs in the connection's own
/// task, bounded by the header time); then stops accepting and hands back
/// the open requests for [`shut_down`]. `pqready observe --exporter` serves
/// through this too.
pub(crate) async fn serve_with<H, R>(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    handler: H,
    stop: impl std::future::Future<Output = ()>,
) -> hyper_util::server::graceful::GracefulShutdown
where
    H: Fn(Request<Incoming>, SocketAddr) -> R + Clone + Send + Sync + 'static,
    R: std::future::Future<Output = Response<Parts>> + Send + 'static,
{
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => p,
            _ = &mut stop => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut stop => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off, go on.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let handler = handler.clone();
        let service = hyper::service::service_fn(move |req| {
            let answer = handler(req, peer);
            async move { Ok::<_, std::convert::Infallible>(answer.await) }
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_buf_size(MAX_REQUEST_BYTES);
        match &tls {
            None => {
                let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _permit = permit;
                    let _ = conn.await;
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let _permit = permit;
                    // A failed handshake is the client's problem: nothing
                    // to log for every scanner that knocks.
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    let conn = http.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn).await;
                });
            }
        }
    }
    graceful
}

/// Gives the requests [`serve_with`] left open their grace period.
pub(crate) async fn shut_down(graceful: hyper_util::server::graceful::GracefulShutdown) {
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still open after the grace period; closing them");
    }
}

fn signal(
    kind: tokio::signal::unix::SignalKind,
) -> Result<tokio::signal::unix::Signal, CommandError> {
    tokio::signal::unix::signal(kind)
        .map_err(|e| CommandError(format!("cannot install a signal handler: {e}")))
}

/// Info-level logs of pqready's own events to stderr, as text or JSON lines.
/// Libraries underneath (kube-rs, hyper) are not logged: their request
/// details could carry credentials.
pub(crate) fn init_logging(json: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let ours =
        tracing_subscriber::filter::Targets::new().with_target("pqready", tracing::Level::INFO);
    let registry = tracing_subscriber::registry().with(ours);
    let _ = if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .with_target(false),
            )
            .try_init()
    } else {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(false)
                    .with_target(false),
            )
            .try_init()
    };
}

/// A response body made of shared pieces: `/metrics` sends the rendered
/// scan (one buffer shared by every concurrent scrape) and the exporter's
/// own series without copying them into one.
pub(crate) struct Parts(std::collections::VecDeque<Bytes>);

impl hyper::body::Body for Parts {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(hyper::body::Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.0.iter().map(|b| b.len() as u64).sum())
    }
}

pub(crate) fn text(status: StatusCode, body: impl Into<String>) -> Response<Parts> {
    let mut r = Response::new(Parts([Bytes::from(body.into())].into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

pub(crate) fn metrics(parts: Vec<Bytes>) -> Response<Parts> {
    let mut r = Response::new(Parts(parts.into()));
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(METRICS_TYPE),
    );
    r
}

/// `/metrics`, in gzip when the scraper accepts it.
fn metrics_page(state: &Exporter, req: &Request<Incoming>) -> Response<Parts> {
    let (scan, own) = state.metrics_page();
    let gzip = gzip::accepted(req.headers());
    let mut r = if gzip {
        metrics(scan.gzip().finish(&own))
    } else {
        metrics(vec![scan.plain.clone(), own])
    };
    let headers = r.headers_mut();
    headers.insert(
        hyper::header::VARY,
        hyper::header::HeaderValue::from_static("Accept-Encoding"),
    );
    if gzip {
        headers.insert(
            hyper::header::CONTENT_ENCODING,
            hyper::header::HeaderValue::from_static("gzip"),
        );
    }
    r
}

async fn handle(
    state: &Arc<Exporter>,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Parts> {
    through_web(&state.settings.web, req, |req| route(state, req, peer)).await
}

/// `req` answered by `answer` as the web config says: basic auth checked
/// first (a request that fails it is answered 401 before anything is
/// parsed, counted or probed), and the config's extra headers on every
/// answer. `pqready observe --exporter` answers through this too.
pub(crate) async fn through_web<F, R>(
    web: &web::Web,
    req: Request<Incoming>,
    answer: F,
) -> Response<Parts>
where
    F: FnOnce(Request<Incoming>) -> R,
    R: std::future::Future<Output = Response<Parts>>,
{
    let mut r = match refused(web, &req).await {
        Some(r) => r,
        None => answer(req).await,
    };
    for (name, value) in &web.headers {
        r.headers_mut().insert(name.clone(), value.clone());
    }
    r
}

/// The 401 for a request without the right password, when the web config
/// asks for one.
async fn refused(web: &web::Web, req: &Request<Incoming>) -> Option<Response<Parts>> {
    let auth = web.auth.as_ref()?;
    // Liveness and readiness say nothing and are asked by the kubelet,
    // which has no password; everything else needs one.
    let open = matches!(req.uri().path(), "/healthz" | "/readyz");
    if open || auth.permits(req.headers()).await {
        return None;
    }
    let mut r = text(StatusCode::UNAUTHORIZED, "unauthorized\n");
    r.headers_mut().insert(
        hyper::header::WWW_AUTHENTICATE,
        hyper::header::HeaderValue::from_static("Basic"),
    );
    Some(r)
}

async fn route(state: &Arc<Exporter>, req: Request<Incoming>, peer: SocketAddr) -> Response<Parts> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
        r.headers_mut().insert(
            hyper::header::ALLOW,
            hyper::header::HeaderValue::from_static("GET, HEAD"),
        );
        return r;
    }
    match req.uri().path() {
        "/metrics" => metrics_page(state, &req),
        "/probe" => probe(state, &req, peer).await,
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/readyz" if state.ready() => text(StatusCode::OK, "ready\n"),
        "/readyz" => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the first scan is running\n",
        ),
        "/" => text(
            StatusCode::OK,
            "pqready exporter\n\n/metrics                 scheduled scans and the exporter's own metrics\n/probe?target=HOST:PORT  probe one allowed target now (optional checks=, clients=)\n/healthz /readyz         liveness and readiness\n",
        ),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// `/probe?target=HOST:PORT[&checks=..][&clients=..]`.
async fn probe(
    state: &Arc<Exporter>,
    req: &Request<Incoming>,
    peer: SocketAddr,
) -> Response<Parts> {
    let started = Instant::now();
    let params = match ProbeParams::parse(req.uri().query().unwrap_or(""), &state.settings) {
        Ok(p) => p,
        Err(why) => {
            state.count(RequestOutcome::Invalid);
            return text(StatusCode::BAD_REQUEST, format!("{why}\n"));
        }
    };
    let address = match allowed(&state.settings, &params.target).await {
        Ok(address) => address,
        Err(why) => {
            state.count(RequestOutcome::Refused);
            tracing::warn!(target = %params.target.label, peer = %peer, reason = %why, "probe refused");
            return text(
                StatusCode::FORBIDDEN,
                format!("target {} is not allowed: {why}\n", params.target.label),
            );
        }
    };
    let mut target = params.target.clone();
    if let Some(ip) = address {
        // Connect to the address that was checked, not to a second lookup.
        target.host = ip.to_string();
    }
    let key = ProbeKey {
        target: params.target.label.clone(),
        address,
        variant: params.variant.clone(),
    };
    let (outcome, mut result) = match state.probe(key, target, params.config) {
        Ok(r) => r,
        Err(state::Busy) => {
            state.count(RequestOutcome::Busy);
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many probes running; retry later\n",
            );
        }
    };
    state.count(outcome);
    let wait = scrape_timeout(req).unwrap_or(DEFAULT_PROBE_WAIT);
    let finished = tokio::time::timeout(wait, result.wait_for(|r| r.is_some()))
        .await
        .ok()
        .and_then(|r| r.ok().and_then(|r| r.clone()));
    let mut page = Exposition::default();
    match finished {
        Some(done) => done.metrics.write(
            &EndpointLabels::default(),
            crate::time::now_unix(),
            &mut page,
        ),
        None => {
            // Out of time: as the blackbox exporter, a failed probe. The probe
            // goes on and its result serves the next scrape.
            page.sample(&PROBE_SUCCESS, NO_LABELS, 0.0);
            page.sample(&PROBE_DURATION, NO_LABELS, started.elapsed().as_secs_f64());
        }
    }
    metrics(vec![Bytes::from(page.text())])
}

/// Prometheus says how long it waits (`X-Prometheus-Scrape-Timeout-Seconds`):
/// answer a little before that.
fn scrape_timeout(req: &Request<Incoming>) -> Option<Duration> {
    let secs: f64 = req
        .headers()
        .get("x-prometheus-scrape-timeout-seconds")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    (secs.is_finite() && secs > 0.0)
        .then(|| Duration::from_secs_f64((secs - 0.5).clamp(0.5, 600.0)))
}

/// A `/probe` request's parameters, checked.
struct ProbeParams {
    target: Target,
    config: ProbeConfig,
    /// The checks and clients as one key.
    variant: String,
}

/// Why a `/probe` request's parameters were refused (400).
#[derive(Debug, thiserror::Error)]
enum ParamError {
    #[error("missing parameter: target=HOST:PORT")]
    NoTarget,
    #[error(transparent)]
    Target(#[from] crate::discover::TargetError),
    #[error(transparent)]
    Checks(#[from] crate::checks::SelectError),
    #[error(transparent)]
    Clients(#[from] crate::catalog::SelectError),
}

impl ProbeParams {
    fn parse(query: &str, settings: &Settings) -> Result<Self, ParamError> {
        let (mut target, mut checks, mut clients) = (None, None, None);
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "target" => target = Some(v.into_owned()),
                "checks" => checks = Some(v.into_owned()),
                "clients" => clients = Some(v.into_owned()),
                // Prometheus may add its own parameters (module=...): ignored.
                _ => {}
            }
        }
        let target = target.ok_or(ParamError::NoTarget)?;
        let target = crate::discover::parse_target(&target, None)?;
        let mut config = settings.on_demand.clone();
        if let Some(spec) = &checks {
            let only: Vec<String> = spec.split(',').map(|s| s.trim().to_string()).collect();
            config.checks = crate::probe::checks::CheckSet::select(&only, &[])
                .map_err(|e| e.given_as("checks="))?;
        }
        if let Some(spec) = &clients {
            config.clients = crate::catalog::profile::select(spec)?;
        }
        let variant = variant_of(&config);
        Ok(ProbeParams {
            target,
            config,
            variant,
        })
    }
}

/// The checks and clients of `config` as one key: two probes with the same
/// key ask the same questions.
fn variant_of(config: &ProbeConfig) -> String {
    format!(
        "{:?}|{}",
        config.checks,
        config
            .clients
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// Why `/probe` may not connect to a target (403).
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("no --allow entry names it (the allow list is empty)")]
    EmptyAllowList,
    #[error("{0} is in no --allow block")]
    AddressOutside(std::net::IpAddr),
    #[error("no --allow entry names it")]
    NameNotListed,
    #[error("cannot resolve it to check --allow: {0}")]
    Unresolved(crate::net::NetError),
    #[error("it resolves to {0}, in no --allow block")]
    ResolvesOutside(std::net::IpAddr),
}

/// Whether `/probe` may connect to `target`, and the address it may
/// connect to: a scheduled target or a name the allow list names as is;
/// else the address (the name resolved once) must lie in an allowed block.
async fn allowed(
    settings: &Settings,
    target: &Target,
) -> Result<Option<std::net::IpAddr>, Refusal> {
    if settings
        .targets
        .iter()
        .any(|t| t.host == target.host && t.port == target.port)
    {
        return Ok(None);
    }
    if settings.allow.is_empty() {
        return Err(Refusal::EmptyAllowList);
    }
    if let Ok(ip) = target.host.parse::<std::net::IpAddr>() {
        return if settings.allow.permits_ip(ip) {
            Ok(Some(ip))
        } else {
            Err(Refusal::AddressOutside(ip))
        };
    }
    if settings.allow.permits_name(&target.host) {
        return Ok(None);
    }
    if !settings.allow.has_addresses() {
        return Err(Refusal::NameNotListed);
    }
    let addr = crate::net::resolve(&target.host, target.port, settings.on_demand.timeout)
        .await
        .map_err(Refusal::Unresolved)?;
    if settings.allow.permits_ip(addr.ip()) {
        Ok(Some(addr.ip()))
    } else {
        Err(Refusal::ResolvesOutside(addr.ip()))
    }
}
