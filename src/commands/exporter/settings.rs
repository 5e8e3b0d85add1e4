//! The exporter's settings: its flags merged over its `--config` file, each
//! value checked once at start, with one error line for bad input.

use super::super::CommandError;
use crate::cli::{CheckArgs, ExporterArgs};
use crate::discover::allow::AllowList;
use crate::discover::cluster::{ClusterSource, Includes};
use crate::discover::{self, Target};
use crate::probe::ProbeConfig;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The address served when neither `--listen` nor `listen:` says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9717";

/// The `--config` file: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    targets: Vec<String>,
    targets_file: Option<PathBuf>,
    cluster: Option<bool>,
    kubeconfig: Option<PathBuf>,
    context: Option<String>,
    in_cluster: Option<bool>,
    #[serde(default)]
    include: Vec<String>,
    namespace: Option<String>,
    interval: Option<String>,
    jitter: Option<String>,
    concurrency: Option<usize>,
    max_concurrency: Option<usize>,
    rate: Option<u32>,
    per_host: Option<usize>,
    min_reprobe_interval: Option<String>,
    max_probes: Option<usize>,
    timeout: Option<String>,
    clients: Option<String>,
    #[serde(default)]
    checks: Vec<String>,
    #[serde(default)]
    skip: Vec<String>,
    log_format: Option<String>,
    web_config_file: Option<PathBuf>,
    shard: Option<String>,
}

/// Everything the exporter runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ADDR:PORT` to serve.
    pub listen: String,
    /// Who `/probe` may name.
    pub allow: AllowList,
    /// Fixed scheduled targets (`--target`, `targets:`).
    pub targets: Vec<Target>,
    /// Re-read before every scan.
    pub targets_file: Option<PathBuf>,
    /// Discover the cluster before every scan.
    pub cluster: Option<(ClusterSource, Includes)>,
    /// Time between scans.
    pub interval: Duration,
    /// Share of `interval` each scan's start may move by.
    pub jitter: f64,
    /// Endpoints probed at once by a scan: where it starts, and how far it
    /// may grow (the same when `--concurrency` alone is given).
    pub concurrency: (usize, usize),
    /// A `/probe` result younger than this is served again.
    pub min_reprobe_interval: Duration,
    /// Distinct `/probe` probes at once.
    pub max_probes: usize,
    /// How scheduled targets are probed (checks, clients, timeout, the shared rate).
    pub scan: ProbeConfig,
    /// How `/probe` targets are probed unless the request says otherwise
    /// (the scan's timeout and rate, every check, no client replay).
    pub on_demand: ProbeConfig,
    /// Log one JSON object per line.
    pub json_logs: bool,
    /// TLS, basic auth and extra headers (`--web.config.file`).
    pub web: super::web::Web,
    /// This replica's share of the scheduled targets (`--shard I/N`).
    pub shard: Option<crate::discover::shard::Shard>,
}

impl Settings {
    /// True when something is scanned on schedule.
    pub fn scheduled(&self) -> bool {
        !self.targets.is_empty() || self.targets_file.is_some() || self.cluster.is_some()
    }
}

/// Merges `args` over the `--config` file and checks every value.
pub fn resolve(args: ExporterArgs) -> Result<Settings, CommandError> {
    let file = match &args.config {
        None => FileConfig::default(),
        Some(path) => {
            let text = super::super::output::read_flag_file("--config", path, 1 << 20)?;
            serde_saphyr::from_str::<Option<FileConfig>>(&text)
                .map_err(|e| {
                    let first = e.to_string();
                    let first = first.lines().next().unwrap_or("not valid YAML").to_string();
                    CommandError(format!("--config {}: {first}", path.display()))
                })?
                .unwrap_or_default()
        }
    };
    let err = |m: String| CommandError(m);
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let allow_entries = if args.allow.is_empty() {
        file.allow
    } else {
        args.allow
    };
    let allow = AllowList::parse(&allow_entries).map_err(|e| err(e.0))?;
    let mut targets = Vec::new();
    for t in args.targets.iter().chain(&file.targets) {
        targets.push(discover::parse_target(t, None).map_err(|e| err(e.to_string()))?);
    }
    let targets_file = args.targets_file.or(file.targets_file);
    if let Some(path) = &targets_file {
        // Read once now so a wrong path fails at start, not at the first scan.
        discover::read_targets_file(path, None).map_err(|e| err(e.to_string()))?;
    }
    let kube = args.kube;
    let in_cluster = kube.in_cluster || file.in_cluster.unwrap_or(false);
    let cluster = if args.cluster || file.cluster.unwrap_or(false) || kube.in_cluster {
        let includes = crate::cli::parse_includes(
            if kube.include.is_empty() {
                &file.include
            } else {
                &kube.include
            },
            kube.namespace.or(file.namespace),
        )
        .map_err(|e| err(e.to_string()))?;
        Some((
            ClusterSource {
                kubeconfig: kube.kubeconfig.or(file.kubeconfig),
                context: kube.context.or(file.context),
                in_cluster,
            },
            includes,
        ))
    } else {
        None
    };
    let interval = parse_span(
        "--interval",
        args.interval.or(file.interval).as_deref().unwrap_or("1h"),
        Duration::from_secs(1),
        Duration::from_secs(7 * 86_400),
    )?;
    let jitter = parse_share(args.jitter.or(file.jitter).as_deref().unwrap_or("10%"))?;
    let concurrency = crate::cli::concurrency_range(
        args.concurrency.or(file.concurrency),
        args.max_concurrency.or(file.max_concurrency),
    )
    .map_err(|e| err(e.to_string()))?;
    let min_reprobe_interval = parse_span(
        "--min-reprobe-interval",
        args.min_reprobe_interval
            .or(file.min_reprobe_interval)
            .as_deref()
            .unwrap_or("5s"),
        Duration::ZERO,
        Duration::from_secs(86_400),
    )?;
    let max_probes = args.max_probes.or(file.max_probes).unwrap_or(32);
    if max_probes == 0 {
        return Err(err("invalid --max-probes 0: must be at least 1".into()));
    }
    let timeout = args.timeout.or(file.timeout);
    let checks = if args.checks.only.is_empty() && args.checks.skip.is_empty() {
        CheckArgs::named(&file.checks, &file.skip)?
    } else {
        args.checks
    };
    let timeout = timeout.as_deref().unwrap_or("5s");
    let timeout = crate::cli::parse_duration(timeout)
        .map_err(|e| err(format!("invalid --timeout '{timeout}': {e}")))?;
    let scan = crate::cli::probe_config(
        timeout,
        args.clients.or(file.clients).as_deref(),
        &checks,
        args.rate.or(file.rate),
        args.per_host
            .or(file.per_host)
            .unwrap_or(crate::cli::DEFAULT_PER_HOST),
    )
    .map_err(|e| err(e.to_string()))?;
    let on_demand = ProbeConfig {
        timeout: scan.timeout,
        rate: scan.rate.clone(),
        per_host: scan.per_host.clone(),
        ..ProbeConfig::default()
    };
    let json_logs = match args.log_format.or(file.log_format).as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => {
            return Err(err(format!(
                "invalid --log-format '{other}': use text or json"
            )))
        }
    };
    let shard = match (args.shard, &file.shard) {
        (Some(s), _) => Some(s),
        (None, Some(text)) => Some(
            crate::discover::shard::Shard::parse(text)
                .map_err(|e| err(format!("invalid shard '{text}': {e}")))?,
        ),
        (None, None) => None,
    };
    let web = match args.web_config_file.or(file.web_config_file) {
        Some(path) => super::web::Web::load(&path)?,
        None => super::web::Web::default(),
    };
    Ok(Settings {
        listen,
        allow,
        targets,
        targets_file,
        cluster,
        interval,
        jitter,
        concurrency,
        min_reprobe_interval,
        max_probes,
        scan,
        on_demand,
        json_logs,
        web,
        shard,
    })
}

/// Parses `500ms`, `30s`, `15m`, `1h`, `1d` within `min..=max`.
pub fn parse_span(
    flag: &str,
    text: &str,
    min: Duration,
    max: Duration,
) -> Result<Duration, CommandError> {
    let bad = || CommandError(format!("invalid {flag} '{text}': use e.g. 30s, 15m or 1h"));
    let t = text.trim();
    let (num, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return Err(bad()),
    };
    let value: f64 = num.trim().parse().map_err(|_| bad())?;
    let secs = value * scale;
    if !secs.is_finite() || secs < 0.0 {
        return Err(bad());
    }
    let span = Duration::from_secs_f64(secs);
    if span < min || span > max {
        return Err(CommandError(format!(
            "invalid {flag} '{text}': must be between {}s and {}s",
            min.as_secs_f64(),
            max.as_secs_f64()
        )));
    }
    Ok(span)
}

/// Parses `10%` or `10` (percent) into a share from 0 to 0.5.
fn parse_share(text: &str) -> Result<f64, CommandError> {
    let bad = || {
        CommandError(format!(
            "invalid --jitter '{text}': use a percentage from 0% to 50%"
        ))
    };
    let value: f64 = text
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| bad())?;
    if !(0.0..=50.0).contains(&value) {
        return Err(bad());
    }
    Ok(value / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_take_units() {
        let span = |t| parse_span("--interval", t, Duration::ZERO, Duration::from_secs(86_400));
        assert_eq!(span("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(span("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(span("30").unwrap(), Duration::from_secs(30));
        assert_eq!(span("250ms").unwrap(), Duration::from_millis(250));
        for bad in ["", "1w", "-1s", "abc", "2d", "1.5.h"] {
            let e = span(bad).unwrap_err().0;
            assert!(e.contains("invalid --interval"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_shard_comes_from_the_flag_or_the_file_and_a_bad_one_is_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exporter.yaml");
        std::fs::write(&path, "listen: 127.0.0.1:0\nshard: 1/3\n").unwrap();
        let from_file = ExporterArgs {
            config: Some(path.clone()),
            ..Default::default()
        };
        let s = resolve(from_file).unwrap().shard.unwrap();
        assert_eq!((s.index, s.count), (1, 3));
        let flag_wins = ExporterArgs {
            config: Some(path.clone()),
            shard: Some(crate::discover::shard::Shard::parse("2/3").unwrap()),
            ..Default::default()
        };
        assert_eq!(resolve(flag_wins).unwrap().shard.unwrap().index, 2);
        std::fs::write(&path, "listen: 127.0.0.1:0\nshard: 3/3\n").unwrap();
        let bad = ExporterArgs {
            config: Some(path),
            ..Default::default()
        };
        let e = resolve(bad).unwrap_err().0;
        assert!(
            e.starts_with("invalid shard '3/3'") && !e.contains('\n'),
            "{e}"
        );
    }

    #[test]
    fn jitter_is_a_bounded_share() {
        assert_eq!(parse_share("10%").unwrap(), 0.1);
        assert_eq!(parse_share("0").unwrap(), 0.0);
        assert!(parse_share("60%").is_err());
        assert!(parse_share("x").is_err());
    }

    #[test]
    fn flags_win_over_the_file_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exporter.yaml");
        std::fs::write(
            &path,
            "listen: 127.0.0.1:0\nallow: [10.0.0.0/8]\ntargets: [a.example:443]\ninterval: 5m\nmin_reprobe_interval: 2s\nmax_concurrency: 200\n",
        )
        .unwrap();
        let args = ExporterArgs {
            config: Some(path.clone()),
            interval: Some("30s".into()),
            ..Default::default()
        };
        let s = resolve(args).unwrap();
        assert_eq!(s.listen, "127.0.0.1:0");
        assert_eq!(s.interval, Duration::from_secs(30));
        assert_eq!(s.min_reprobe_interval, Duration::from_secs(2));
        // Adaptive from the default start up to the file's ceiling.
        assert_eq!(s.concurrency, (crate::cli::DEFAULT_CONCURRENCY, 200));
        assert!(s.allow.permits_ip("10.1.1.1".parse().unwrap()));
        assert_eq!(s.targets.len(), 1);
        assert!(s.scheduled());

        std::fs::write(&path, "listen: x\nalow: [10.0.0.0/8]\n").unwrap();
        let e = resolve(ExporterArgs {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err()
        .0;
        assert!(e.contains("--config") && e.contains("alow"), "{e}");
    }
}
