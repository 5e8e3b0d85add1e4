//! Command-line definitions and their validation into library configuration.
//!
//! Owns: flags, their help text, and turning raw flag values into a
//! [`ProbeConfig`] and a target list, with one clear error for bad input.
//! Must not: touch the network or print reports.

use crate::assess::certs::CertRules;
use crate::catalog::profile::{self, ClientProfile};
use crate::catalog::server::{self, ServerModel};
use crate::checks;
use crate::discover::{self, Target};
use crate::probe::checks::CheckSet;
use crate::probe::ProbeConfig;
use crate::report::Format;
use crate::vocab::CheckId;
use crate::wire::NamedGroup;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// `pqready --version`: the release and the commit it was built from
/// (`unknown` when built outside a git checkout without `PQREADY_COMMIT`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PQREADY_COMMIT"),
    ")"
);

/// Is this TLS post-quantum safe today, and where is it silently not?
#[derive(Debug, Parser)]
#[command(name = "pqready", version = VERSION, about, propagate_version = true)]
pub struct Cli {
    /// Log each exchange (what was offered, what came back) to stderr; -vv for more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit the key exchange of TLS endpoints: groups, preference, versions, a real PQ handshake.
    Probe(ProbeArgs),
    /// Audit a whole Kubernetes cluster: discover its TLS endpoints through the API, probe each.
    Cluster(ClusterArgs),
    /// Start in-process rustls servers on loopback and probe them (no network needed).
    Demo(DemoArgs),
    /// Record what TLS clients offer: a ClientHello inspector (terminating) or transparent tap (--forward).
    Inspect(InspectArgs),
    /// Read packet captures (pcap, pcapng) or capture live: the group every real TLS
    /// connection negotiated, per client → server edge, with silent downgrades.
    Observe(ObserveArgs),
    /// Read Go executables' build info: Go version, GODEBUG and their default PQ key exchange.
    Binaries(BinariesArgs),
    /// Read certificates, keys and CSRs from files, kubeconfigs, TLS Secrets and kubeadm PKI
    /// directories: algorithms, sizes, quantum safety and deadlines.
    Certs(CertsArgs),
    /// List the built-in client profiles and what each offers.
    Profiles(OutputArgs),
    /// Offline grid: which group each client version gets from each server version.
    Matrix(MatrixArgs),
    /// Re-render saved JSON (`-o json` of any command, `inspect --json-log`)
    /// in any format, without probing again.
    Report(ReportArgs),
    /// Serve Prometheus metrics: `/probe?target=` on request (allowed targets
    /// only) and `/metrics` from scheduled scans of targets or the cluster.
    Exporter(ExporterArgs),
    /// Print a shell completion script (bash, zsh or fish) to standard output.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to standard output, or write one page per
    /// subcommand into a directory with --dir.
    Man(ManArgs),
}

/// Flags of `pqready completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells `pqready completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    /// Bash: source it, or put it in ~/.local/share/bash-completion/completions/pqready.
    Bash,
    /// Zsh: put it as `_pqready` in a directory of your $fpath.
    Zsh,
    /// Fish: put it in ~/.config/fish/completions/pqready.fish.
    Fish,
}

/// Flags of `pqready man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write pqready.1 and one page per subcommand (pqready-probe.1, ...)
    /// into DIR instead of printing pqready.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The command line to parse. Installed as `kubectl-pqready`, the binary is a
/// kubectl plugin: `kubectl pqready [FLAGS]` means `pqready cluster [FLAGS]`
/// (kubectl passes every word after the plugin's name), while `kubectl
/// pqready probe …` and the other subcommands work as usual.
pub fn plugin_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let is_plugin = args
        .first()
        .and_then(|a| {
            std::path::Path::new(a)
                .file_stem()
                .map(|s| s.to_os_string())
        })
        .is_some_and(|stem| stem == "kubectl-pqready");
    if !is_plugin {
        return args;
    }
    let first = args.get(1).and_then(|a| a.to_str()).unwrap_or("");
    let asks_for_meta = matches!(first, "-h" | "--help" | "-V" | "--version");
    // Read from the definitions, so a new subcommand is never taken for a
    // cluster flag.
    let is_subcommand = first == "help"
        || <Cli as clap::CommandFactory>::command()
            .get_subcommands()
            .any(|s| s.get_name() == first);
    if !is_subcommand && !asks_for_meta {
        args.insert(1, "cluster".into());
    }
    args[0] = "kubectl pqready".into();
    args
}

/// Flags of `pqready inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Where to accept clients, e.g. 127.0.0.1:8443 or 0.0.0.0:6443 (port 0 picks one).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: String,
    /// Forward every byte, unchanged, to this upstream instead of terminating TLS.
    #[arg(long, value_name = "HOST:PORT")]
    pub forward: Option<String>,
    /// Certificate chain (PEM) for terminate mode (default: a generated one, see --cert-type).
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) for --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Serve a generated self-signed certificate of this type (terminate mode;
    /// default ecdsa-p256): each record says whether the client completed the
    /// handshake with it.
    #[arg(
        long,
        value_name = "TYPE",
        conflicts_with_all = ["forward", "cert"],
        value_parser = clap::builder::PossibleValuesParser::new(
            crate::vocab::CertType::ALL.iter().map(|t| t.name())
        )
    )]
    pub cert_type: Option<String>,
    /// Append one JSON object per client to FILE (JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub json_log: Option<PathBuf>,
    /// Deadline for each network step: the ClientHello (unless --hello-timeout),
    /// connecting upstream, the server's answer, the TLS handshake.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Time a client has to send its complete ClientHello
    /// (default: 3s in forward mode, capped by --timeout; else --timeout).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub hello_timeout: Option<Duration>,
    /// Sessions (clients past their ClientHello) handled at once; more are closed.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub max_connections: usize,
    /// Connections from one address that may wait for their ClientHello at
    /// once; more are closed at once.
    #[arg(long, value_name = "N", default_value_t = crate::inspect::serve::DEFAULT_MAX_PENDING_PER_SOURCE)]
    pub max_pending_per_source: usize,
    /// Largest ClientHello accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 65536)]
    pub max_hello: usize,
    /// Exit (printing the summary) after this many clients.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Output options (the summary on exit; `--json-log` has the records).
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Why `pqready inspect`'s flags were refused, or its TLS server could not
/// be set up.
#[derive(Debug, thiserror::Error)]
pub enum InspectFlagError {
    /// `--listen` that is not ADDR:PORT.
    #[error("invalid --listen '{0}': use ADDR:PORT, e.g. 127.0.0.1:8443")]
    Listen(String),
    /// `--max-connections` out of range.
    #[error("invalid --max-connections {0}: must be 1 to 1000000")]
    MaxConnections(usize),
    /// `--max-hello` out of range.
    #[error("invalid --max-hello {0}: must be 512 to 65536")]
    MaxHello(usize),
    /// `--max-pending-per-source` out of range.
    #[error("invalid --max-pending-per-source {0}: must be 1 to 1000000")]
    MaxPendingPerSource(usize),
    /// `--count 0`.
    #[error("invalid --count 0: must be at least 1")]
    ZeroCount,
    /// `--forward` that is not a target.
    #[error("invalid --forward: {0}")]
    Forward(discover::TargetError),
    /// `--cert-type` naming no type.
    #[error("invalid --cert-type '{0}'")]
    CertType(String),
    /// `--cert` that cannot be read as PEM certificates.
    #[error("cannot read certificate '{}': {why}", path.display())]
    ReadCertificate {
        /// The file.
        path: PathBuf,
        /// What the PEM reader said.
        why: rustls::pki_types::pem::Error,
    },
    /// `--cert` holding no certificate.
    #[error("no certificate in '{}'", .0.display())]
    NoCertificate(PathBuf),
    /// `--key` that cannot be read as a PEM private key.
    #[error("cannot read private key '{}': {why}", path.display())]
    ReadKey {
        /// The file.
        path: PathBuf,
        /// What the PEM reader said.
        why: rustls::pki_types::pem::Error,
    },
    /// The certificate to serve could not be generated.
    #[error(transparent)]
    Generate(#[from] crate::inspect::cert::GenerateError),
    /// The TLS server could not be set up with the certificate.
    #[error(transparent)]
    Tls(#[from] crate::inspect::serve::TlsConfigError),
}

impl InspectArgs {
    /// Validated listener settings.
    pub fn config(
        &self,
    ) -> Result<(std::net::SocketAddr, crate::inspect::serve::ServeConfig), InspectFlagError> {
        use crate::inspect::cert::{self, ServedCert};
        use crate::inspect::serve::{terminate_config, Mode, ServeConfig};
        use crate::vocab::CertType;
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let listen: std::net::SocketAddr = self
            .listen
            .parse()
            .map_err(|_| InspectFlagError::Listen(self.listen.clone()))?;
        let timeout = self.timeout;
        if self.max_connections == 0 || self.max_connections > 1_000_000 {
            return Err(InspectFlagError::MaxConnections(self.max_connections));
        }
        if !(512..=crate::wire::client_hello::MAX_CLIENT_HELLO_LEN).contains(&self.max_hello) {
            return Err(InspectFlagError::MaxHello(self.max_hello));
        }
        let mode = match &self.forward {
            Some(upstream) => {
                let t =
                    discover::parse_target(upstream, None).map_err(InspectFlagError::Forward)?;
                Mode::Forward {
                    host: t.host,
                    port: t.port,
                }
            }
            None => {
                let served = match (&self.cert, &self.key) {
                    (Some(cert), Some(key)) => {
                        let chain: Vec<CertificateDer<'static>> =
                            CertificateDer::pem_file_iter(cert)
                                .and_then(|it| it.collect::<Result<_, _>>())
                                .map_err(|why| InspectFlagError::ReadCertificate {
                                    path: cert.clone(),
                                    why,
                                })?;
                        if chain.is_empty() {
                            return Err(InspectFlagError::NoCertificate(cert.clone()));
                        }
                        let key = PrivateKeyDer::from_pem_file(key).map_err(|why| {
                            InspectFlagError::ReadKey {
                                path: key.clone(),
                                why,
                            }
                        })?;
                        let cert_type = cert::detect(&chain[0]);
                        ServedCert {
                            chain,
                            key,
                            cert_type,
                        }
                    }
                    _ => {
                        let cert_type = match self.cert_type.as_deref() {
                            Some(name) => CertType::parse(name)
                                .ok_or_else(|| InspectFlagError::CertType(name.to_string()))?,
                            None => CertType::EcdsaP256,
                        };
                        cert::generate(cert_type)?
                    }
                };
                Mode::Terminate(terminate_config(served)?)
            }
        };
        if self.count == Some(0) {
            return Err(InspectFlagError::ZeroCount);
        }
        if self.max_pending_per_source == 0 || self.max_pending_per_source > 1_000_000 {
            return Err(InspectFlagError::MaxPendingPerSource(
                self.max_pending_per_source,
            ));
        }
        let hello_timeout = match (self.hello_timeout, &mode) {
            (Some(t), _) => t,
            (None, Mode::Forward { .. }) => {
                timeout.min(crate::inspect::serve::FORWARD_HELLO_TIMEOUT)
            }
            (None, Mode::Terminate(_)) => timeout,
        };
        let limits = crate::inspect::capture::CaptureLimits {
            max_hello: self.max_hello,
            timeout: hello_timeout,
        };
        Ok((
            listen,
            ServeConfig {
                mode,
                limits,
                step_timeout: timeout,
                max_connections: self.max_connections,
                max_pending_per_source: self.max_pending_per_source,
                stop_after: self.count,
            },
        ))
    }
}

/// Flags of `pqready observe`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["pcap", "interface"])))]
pub struct ObserveArgs {
    /// Read these pcap or pcapng files (tcpdump, tshark, Wireshark, `kubectl
    /// debug` captures); connections are judged across all of them together.
    #[arg(long = "pcap", value_name = "FILE", num_args = 1..)]
    pub pcap: Vec<PathBuf>,
    /// Capture live on this network interface (`any` for all) until
    /// --duration ends or Ctrl-C; needs CAP_NET_RAW. Linux only, no
    /// libpcap: an AF_PACKET socket whose kernel filter passes only TCP and
    /// QUIC long-header UDP (the Initials).
    #[arg(long, value_name = "IF")]
    pub interface: Option<String>,
    /// Keep only the segments this filter matches: the part of the tcpdump
    /// language that picks connections: `[tcp|udp] [src|dst] port N`,
    /// `portrange N-M`, `host ADDR`, `net ADDR/LEN`, `tcp`, `udp` (QUIC),
    /// `ip`, `ip6`, `and`/`or`/`not`, parentheses (e.g. 'port 443 or port
    /// 6443', 'udp port 443').
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// End a live capture after this long (e.g. 10m); without it, Ctrl-C
    /// (or SIGTERM) ends it. Either way the outputs are those of a file.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "interface")]
    pub duration: Option<Duration>,
    /// Do not look up the process, Go build and container of local sockets
    /// on a live capture (the lookup reads /proc/PID/fd and /proc/PID/exe of
    /// other users' processes: root, or CAP_SYS_PTRACE with
    /// CAP_DAC_READ_SEARCH).
    #[arg(long, requires = "interface")]
    pub no_attribution: bool,
    /// Track at most N flows (TCP and QUIC) at once; new flows past the cap are not
    /// read, and counted (`flows_dropped`). Memory stays under about
    /// N × 32 KiB whatever the capture holds.
    #[arg(long, value_name = "N", default_value_t = crate::observe::flow::DEFAULT_MAX_FLOWS,
          value_parser = clap::value_parser!(usize))]
    pub max_flows: usize,
    /// Compare each connection with what a saved cluster audit (`pqready
    /// cluster -o json`; several shards of one cluster are joined) predicted
    /// for its edge: the server by address:port, the client by its Pod,
    /// process, Go version or hello profile. A connection that negotiated
    /// another group raises observed-contradicts-prediction.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "exporter")]
    pub cluster_report: Vec<PathBuf>,
    /// Where to ask the Kubernetes API for the Pods of a live capture's processes.
    #[command(flatten)]
    pub kube: ObserveKubeArgs,
    /// Serve the live capture's counts on `/metrics` (Prometheus), with
    /// `/healthz` and `/readyz`, until --duration ends or SIGTERM/SIGINT,
    /// instead of writing records: handshakes by client, server, group,
    /// version and HelloRetryRequest, and the findings of what was seen.
    #[arg(long, requires = "interface", conflicts_with = "pcap")]
    pub exporter: bool,
    /// Where --exporter serves HTTP (default 127.0.0.1:9718, the
    /// exporter's port plus one; port 0 picks one).
    #[arg(long, value_name = "ADDR:PORT", requires = "exporter")]
    pub listen: Option<String>,
    /// --exporter's TLS, basic auth and extra headers, from a Prometheus
    /// exporter-toolkit web configuration file, as `pqready exporter
    /// --web.config.file` (docs/guides/exporter.md).
    #[arg(long = "web.config.file", value_name = "FILE", requires = "exporter")]
    pub web_config_file: Option<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The credentials `observe --interface` names Pods and Services with; the
/// same flags, and the same loading (`discover::cluster::connect`), as
/// `cluster`'s [`KubeArgs`].
#[derive(Debug, Args, Clone, Default)]
pub struct ObserveKubeArgs {
    /// Name each local process's Pod, and each server address's Pod or Service, through the
    /// Kubernetes API of this kubeconfig (read-only: lists Pods and Services).
    #[arg(long, value_name = "FILE", requires = "interface")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for the Pod lookup (default: the current context).
    #[arg(long, value_name = "NAME", requires = "interface")]
    pub context: Option<String>,
    /// Look Pods up with the pod's service account (the default when run in a pod).
    #[arg(long, conflicts_with_all = ["kubeconfig", "context"], requires = "interface")]
    pub in_cluster: bool,
}

impl ObserveKubeArgs {
    /// Where the credentials come from: the flags, else the pod's service
    /// account when `in_pod` (pqready runs in a pod), else none: a capture on
    /// a workstation does not contact a cluster unasked.
    pub fn source(&self, in_pod: bool) -> Option<crate::discover::cluster::ClusterSource> {
        let asked = self.kubeconfig.is_some() || self.context.is_some() || self.in_cluster;
        (asked || in_pod).then(|| crate::discover::cluster::ClusterSource {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            in_cluster: self.in_cluster || (!asked && in_pod),
        })
    }
}

/// Flags of `pqready binaries`.
#[derive(Debug, Args)]
pub struct BinariesArgs {
    /// Files or directories (searched recursively).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Follow symbolic links inside directories (paths given directly are always followed).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Apply the GODEBUG that FILE sets at run time (a systemd unit, a pod spec or
    /// deployment YAML, an env file) on top of each binary's built-in defaults.
    #[arg(long, value_name = "FILE")]
    pub godebug_from: Option<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags of `pqready report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Saved JSON of pqready (`-o json` output of probe, demo, cluster, certs,
    /// binaries or inspect, or an `inspect --json-log` file); `-` for standard input.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Output options (a saved `gate` line is ignored; `--fail-on` recomputes it).
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags of `pqready certs`.
#[derive(Debug, Args)]
pub struct CertsArgs {
    /// Files or directories (searched recursively), `-` for standard input: PEM (bundles too)
    /// and DER certificates, public and private keys and CSRs, kubeconfigs, Kubernetes TLS
    /// Secrets (YAML or JSON, one or a List), kubeadm PKI directories (/etc/kubernetes/pki).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// How certificates are judged.
    #[command(flatten)]
    pub deadlines: DeadlineArgs,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags of `pqready demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Client profiles to replay.
    #[command(flatten)]
    pub clients: ClientsArgs,
    /// Which checks to run (see `pqready probe --help`).
    #[command(flatten)]
    pub checks: CheckArgs,
    /// How certificates are judged.
    #[command(flatten)]
    pub deadlines: DeadlineArgs,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

impl DemoArgs {
    /// The probe configuration for the demo.
    pub fn config(&self) -> Result<ProbeConfig, FlagError> {
        let mut config = ProbeConfig::default();
        if let Some(spec) = &self.clients.clients {
            config.clients = profile::select(spec)?;
        }
        config.checks = self.checks.set()?;
        Ok(config)
    }
}

/// Flags of `pqready exporter`. Each may also be set in the `--config`
/// file (docs/guides/exporter.md); a flag wins over the file.
#[derive(Debug, Args, Default)]
pub struct ExporterArgs {
    /// Where to serve HTTP (default 127.0.0.1:9717; port 0 picks one).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// A YAML config file (keys as the flags, with `_`: `listen`, `allow`,
    /// `targets`, `targets_file`, `cluster`, `interval`, ...).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Targets `/probe` may name: CIDRs (10.0.0.0/8), addresses, host names,
    /// `*.domain`; comma-separated or repeated. Anything else gets HTTP 403
    /// and no connection. Scheduled targets are always allowed.
    #[arg(long, value_name = "CIDR|HOST", value_delimiter = ',')]
    pub allow: Vec<String>,
    /// A target to scan on schedule (repeatable): `HOST[:PORT]`.
    #[arg(long = "target", value_name = "HOST[:PORT]")]
    pub targets: Vec<String>,
    /// Scan the targets in FILE on schedule (one per line, as in `probe`;
    /// re-read before every scan).
    #[arg(long, value_name = "FILE")]
    pub targets_file: Option<PathBuf>,
    /// Scan the cluster on schedule, discovered as `pqready cluster` does
    /// (again before every scan).
    #[arg(long)]
    pub cluster: bool,
    /// Where --cluster finds its credentials, and what it discovers.
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Time between scheduled scans, e.g. 1h, 15m, 30s (default 1h).
    #[arg(long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// Random spread of each scan's start, as a share of --interval (default 10%).
    #[arg(long, value_name = "PERCENT")]
    pub jitter: Option<String>,
    /// Endpoints a scheduled scan probes at once (fixed; default: start at
    /// 16 and adapt up to --max-concurrency, as `pqready probe` does).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// The most endpoints a scheduled scan probes at once when the number
    /// adapts (default 1024 without --concurrency, else --concurrency).
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,
    /// At most N new connections per second, scans and /probe together (default: no limit).
    #[arg(long, value_name = "N")]
    pub rate: Option<u32>,
    /// At most N connections open at once to one IP address (default 64; 0: no cap).
    #[arg(long, value_name = "N")]
    pub per_host: Option<usize>,
    /// A /probe result younger than this is served again instead of probing
    /// (default 5s); concurrent requests for one target always share one probe.
    #[arg(long, value_name = "DURATION")]
    pub min_reprobe_interval: Option<String>,
    /// Distinct /probe probes running at once; more get HTTP 503 (default 32).
    #[arg(long, value_name = "N")]
    pub max_probes: Option<usize>,
    /// Deadline for each network step (default 5s).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Also replay these client profiles (`all` or ids) against every scheduled target.
    #[arg(long, value_name = "all|LIST")]
    pub clients: Option<String>,
    /// Which checks to run on scheduled targets (see `pqready probe --help`).
    #[command(flatten)]
    pub checks: CheckArgs,
    /// Log lines as `text` (default) or `json` (one object per line, to stderr).
    #[arg(long, value_name = "text|json")]
    pub log_format: Option<String>,
    /// TLS, basic auth and extra response headers for the exporter's own
    /// port, in the Prometheus exporter-toolkit format (`tls_server_config`,
    /// `basic_auth_users`, `http_server_config`; docs/guides/exporter.md).
    #[arg(long = "web.config.file", value_name = "FILE")]
    pub web_config_file: Option<PathBuf>,
    /// One replica of N: scan only the scheduled targets (and cluster
    /// components) of shard I, split by the same stable hash as `probe
    /// --shard`, so N replicas scan each target once. In a StatefulSet,
    /// `--shard $(POD_INDEX)/N` (deploy/exporter-sharded/). `/probe` is not
    /// split: any replica answers it.
    #[arg(long, value_name = "I/N", value_parser = crate::discover::shard::Shard::parse)]
    pub shard: Option<crate::discover::shard::Shard>,
}

/// The cluster flags `cluster` and `exporter --cluster` share.
#[derive(Debug, Args, Clone, Default)]
pub struct KubeArgs {
    /// Kubeconfig file (default: KUBECONFIG, several files merged as kubectl does, else ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Use the pod's service account (run inside the cluster).
    #[arg(long, conflicts_with_all = ["kubeconfig", "context"])]
    pub in_cluster: bool,
    /// Also discover: `ingress` (Ingress TLS hosts, LoadBalancer Services, Gateway listeners, and over QUIC
    /// their HTTP/3 where a Service's UDP port or an Envoy Gateway ClientTrafficPolicy says so),
    /// `services` (every Service port), `mesh` (a pod per workload with an Istio or Linkerd sidecar, or in Istio ambient),
    /// `nodes-ssh` (each Node's SSH server: its key exchange, on its InternalIP).
    #[arg(long, value_name = "KIND", value_delimiter = ',')]
    pub include: Vec<String>,
    /// The port of the Nodes' SSH servers (`--include nodes-ssh`).
    #[arg(long, value_name = "PORT", default_value_t = crate::discover::SSH_PORT)]
    pub ssh_port: u16,
    /// Limit the opt-in discovery (`--include`) to this namespace; cluster-wide components are always audited.
    #[arg(short, long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

impl KubeArgs {
    /// Where the credentials come from.
    pub fn source(&self) -> crate::discover::cluster::ClusterSource {
        crate::discover::cluster::ClusterSource {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            in_cluster: self.in_cluster,
        }
    }

    /// Which opt-in kinds to discover.
    pub fn includes(&self) -> Result<crate::discover::cluster::Includes, FlagError> {
        let mut includes = parse_includes(&self.include, self.namespace.clone())?;
        if includes.nodes_ssh.is_some() {
            includes.nodes_ssh = Some(self.ssh_port);
        }
        Ok(includes)
    }
}

/// `--timeout` of `probe` and `cluster`, parsed once into a duration.
#[derive(Debug, Args, Clone)]
pub struct TimeoutArgs {
    /// Deadline for each network step, e.g. 5s, 1500ms.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// `--clients` of `probe`, `cluster` and `demo`.
#[derive(Debug, Args, Clone, Default)]
pub struct ClientsArgs {
    /// Also replay these client profiles against every endpoint: `all` or
    /// ids from `pqready profiles`, comma-separated (e.g. kubectl1.32,go1.24).
    #[arg(long, value_name = "all|LIST")]
    pub clients: Option<String>,
}

/// Why flag values were refused: one line naming the flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    /// A count that must be at least 1.
    #[error("invalid {0} 0: must be at least 1")]
    Zero(&'static str),
    /// `--max-concurrency` below `--concurrency`.
    #[error("invalid --max-concurrency {0}: below --concurrency {1}")]
    MaxBelowConcurrency(usize, usize),
    /// `--rate 0`.
    #[error("invalid --rate 0: must be at least 1 connection per second")]
    ZeroRate,
    /// An `--include` kind pqready does not discover.
    #[error("invalid --include '{0}': known kinds are ingress, services, mesh, nodes-ssh")]
    Include(String),
    /// A `--group` that is neither a codepoint nor a registry name.
    #[error("invalid --group '{0}': use a codepoint like 0x11ec or a name like X25519MLKEM768")]
    Group(String),
    /// Neither target arguments nor a targets file.
    #[error("no targets: give HOST[:PORT] arguments or --targets-file FILE")]
    NoTargets,
    /// A target argument or targets file that cannot be read.
    #[error(transparent)]
    Target(#[from] discover::TargetError),
    /// A list of catalog ids (`--clients`, `--servers`, `--deadlines`)
    /// naming an unknown entry, or none.
    #[error(transparent)]
    Selection(#[from] crate::catalog::SelectError),
    /// `--only` or `--skip` naming an unknown check, or leaving none.
    #[error(transparent)]
    Checks(#[from] checks::SelectError),
}

/// Flags of `pqready cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Where the credentials come from, and what to discover.
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Client profiles to replay.
    #[command(flatten)]
    pub clients: ClientsArgs,
    /// Which checks to run (see `pqready probe --help`).
    #[command(flatten)]
    pub checks: CheckArgs,
    /// The deadline of each network step.
    #[command(flatten)]
    pub timeout: TimeoutArgs,
    /// How the run paces itself.
    #[command(flatten)]
    pub pace: PaceArgs,
    /// Audit only shard I of N (0-based: I in 0..N): the components whose
    /// address hashes to I (those without an address go to shard 0); the
    /// cluster, kubectl and unreadable kinds are in every shard's document.
    /// Join the shards' `-o json` documents with `pqready report`.
    #[arg(long, value_name = "I/N", value_parser = crate::discover::shard::Shard::parse)]
    pub shard: Option<crate::discover::shard::Shard>,
    /// Find the cluster's clients (kubelets, kube-proxy, scheduler,
    /// controller manager, workloads, the API server, the local kubectl) and
    /// replay each against the servers it talks to: the EDGES section and
    /// the actions list. `--edges=false` turns them off.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub edges: bool,
    /// How certificates are judged.
    #[command(flatten)]
    pub deadlines: DeadlineArgs,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

impl ClusterArgs {
    /// Where the credentials come from.
    pub fn source(&self) -> crate::discover::cluster::ClusterSource {
        self.kube.source()
    }

    /// Which opt-in kinds to discover.
    pub fn includes(&self) -> Result<crate::discover::cluster::Includes, FlagError> {
        let mut includes = self.kube.includes()?;
        includes.edges = self.edges;
        Ok(includes)
    }

    /// The probe configuration used for every component.
    pub fn config(&self) -> Result<ProbeConfig, FlagError> {
        probe_config(
            self.timeout.timeout,
            self.clients.clients.as_deref(),
            &self.checks,
            self.pace.rate,
            self.pace.per_host,
        )
    }
}

/// How `probe` and `cluster` pace a run: endpoints at once, new connections
/// per second, connections open at once to one address.
#[derive(Debug, Args, Clone)]
pub struct PaceArgs {
    /// How many endpoints to probe at once (a fixed number; default: start
    /// at 16 and let more in while the network answers at its own pace, up
    /// to --max-concurrency).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// The most endpoints to probe at once when the number adapts (default
    /// 1024 without --concurrency, else the same as --concurrency).
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,
    /// At most N new connections per second across all endpoints (default: no limit).
    #[arg(long, value_name = "N")]
    pub rate: Option<u32>,
    /// At most N connections open at once to one IP address, across all
    /// endpoints (0: no cap).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PER_HOST)]
    pub per_host: usize,
}

impl PaceArgs {
    /// How many endpoints are probed at once.
    pub fn concurrency(&self) -> Result<std::sync::Arc<crate::net::Concurrency>, FlagError> {
        concurrency(self.concurrency, self.max_concurrency)
    }
}

/// `--include` kinds and `--namespace`, checked (shared with the exporter).
pub fn parse_includes(
    kinds: &[String],
    namespace: Option<String>,
) -> Result<crate::discover::cluster::Includes, FlagError> {
    let mut out = crate::discover::cluster::Includes {
        namespace,
        edges: true,
        ..Default::default()
    };
    for kind in kinds {
        match kind.trim() {
            "ingress" => out.ingress = true,
            "services" => out.services = true,
            "mesh" => out.mesh = true,
            "nodes-ssh" => out.nodes_ssh = Some(crate::discover::SSH_PORT),
            other => return Err(FlagError::Include(other.to_string())),
        }
    }
    Ok(out)
}

/// Connections open at once to one address unless `--per-host` says otherwise:
/// enough for 16 endpoints of one host at work while others pause, few
/// enough that one node never sees hundreds at once.
pub const DEFAULT_PER_HOST: usize = 64;

/// The probe flags `probe`, `cluster` and `exporter` share, validated.
pub fn probe_config(
    timeout: Duration,
    clients: Option<&str>,
    checks: &CheckArgs,
    pace: Option<u32>,
    per_host: usize,
) -> Result<ProbeConfig, FlagError> {
    let mut config = ProbeConfig {
        timeout,
        ..ProbeConfig::default()
    };
    if let Some(spec) = clients {
        config.clients = profile::select(spec)?;
    }
    config.checks = checks.set()?;
    config.rate = rate(pace)?;
    config.per_host =
        (per_host > 0).then(|| std::sync::Arc::new(crate::net::HostCap::new(per_host)));
    Ok(config)
}

/// `--concurrency` when none is given: where an adaptive run starts.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// `--max-concurrency` when neither is given.
pub const DEFAULT_MAX_CONCURRENCY: usize = 1024;

/// File descriptors one probe may hold at its busiest (the legacy-version
/// hellos, the handshake, a client profile and the certificates check run
/// side by side), with room to spare.
const FILES_PER_PROBE: u64 = 8;

/// A run's concurrency from `--concurrency` and `--max-concurrency`.
pub fn concurrency(
    fixed: Option<usize>,
    max: Option<usize>,
) -> Result<std::sync::Arc<crate::net::Concurrency>, FlagError> {
    let (floor, ceiling) = concurrency_range(fixed, max)?;
    Ok(crate::net::Concurrency::adaptive(floor, ceiling))
}

/// Where a run's concurrency starts and how far it may grow: a given
/// `--concurrency` alone is fixed; otherwise the number adapts between the
/// two. The top is kept within the open-file limit (which `main` raises to
/// its hard limit at startup).
pub fn concurrency_range(
    fixed: Option<usize>,
    max: Option<usize>,
) -> Result<(usize, usize), FlagError> {
    if fixed == Some(0) {
        return Err(FlagError::Zero("--concurrency"));
    }
    if max == Some(0) {
        return Err(FlagError::Zero("--max-concurrency"));
    }
    let floor = fixed.unwrap_or(DEFAULT_CONCURRENCY);
    let ceiling = match (fixed, max) {
        (_, Some(max)) if max < floor => return Err(FlagError::MaxBelowConcurrency(max, floor)),
        (_, Some(max)) => max,
        (Some(fixed), None) => fixed,
        (None, None) => DEFAULT_MAX_CONCURRENCY,
    };
    let files = crate::net::open_files_allowed().saturating_sub(256) / FILES_PER_PROBE;
    let ceiling = ceiling.min(usize::try_from(files).unwrap_or(usize::MAX).max(floor));
    Ok((floor, ceiling))
}

/// `--only` and `--skip`, over the checks of `checks::ALL_CHECKS`.
#[derive(Debug, Args, Clone, Default)]
pub struct CheckArgs {
    /// Run only these checks (comma-separated or repeated). A check that
    /// needs another brings it along.
    #[arg(long, value_name = "CHECK", value_delimiter = ',', value_parser = CheckName)]
    pub only: Vec<CheckId>,
    /// Skip these checks (comma-separated or repeated), e.g. `--skip
    /// hello-tolerance`. A check that needs a skipped one is skipped too.
    #[arg(long, value_name = "CHECK", value_delimiter = ',', value_parser = CheckName)]
    pub skip: Vec<CheckId>,
}

impl CheckArgs {
    /// The selected checks.
    pub fn set(&self) -> Result<CheckSet, checks::SelectError> {
        CheckSet::pick(&self.only, &self.skip)
    }

    /// The same flags from check names (a configuration file's lists).
    pub fn named(only: &[String], skip: &[String]) -> Result<Self, checks::SelectError> {
        let ids =
            |flag: &'static str, names: &[String]| -> Result<Vec<CheckId>, checks::SelectError> {
                names.iter().map(|n| checks::parse(flag, n)).collect()
            };
        Ok(CheckArgs {
            only: ids("--only", only)?,
            skip: ids("--skip", skip)?,
        })
    }
}

/// The checks `--only` and `--skip` accept, in table order, each with its
/// one line from the table.
impl clap::ValueEnum for CheckId {
    fn value_variants<'a>() -> &'a [Self] {
        static IN_TABLE_ORDER: std::sync::OnceLock<Vec<CheckId>> = std::sync::OnceLock::new();
        IN_TABLE_ORDER.get_or_init(|| checks::ALL_CHECKS.iter().map(|c| c.id()).collect())
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let check = checks::check(*self)?;
        let help = match check.needs() {
            Some(need) => format!("{} [needs {need}]", check.summary()),
            None => check.summary().to_string(),
        };
        Some(clap::builder::PossibleValue::new(self.name()).help(help))
    }
}

/// Reads a check name as clap's enum parser does, ignoring the spaces
/// around it (`--only "groups, versions"`).
#[derive(Debug, Clone, Copy)]
struct CheckName;

impl clap::builder::TypedValueParser for CheckName {
    type Value = CheckId;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<CheckId, clap::Error> {
        let trimmed = value
            .to_str()
            .map_or(value, |v| std::ffi::OsStr::new(v.trim()));
        clap::builder::EnumValueParser::<CheckId>::new().parse_ref(cmd, arg, trimmed)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        use clap::ValueEnum;
        Some(Box::new(
            CheckId::value_variants()
                .iter()
                .filter_map(CheckId::to_possible_value),
        ))
    }
}

/// Flags of `pqready matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Client profiles (rows): `all` or ids from `pqready profiles`, comma-separated.
    /// Default: kubectl 1.27-1.37 and Go 1.22-1.27.
    #[arg(long, value_name = "all|LIST")]
    pub clients: Option<String>,
    /// Server models (columns): `all` or ids, comma-separated: k8s1.27 … k8s1.37
    /// (API servers), go1.22 … go1.27, go1.24+tlsmlkem=0, openssl3.5, rustls0.23.
    /// Default: Kubernetes 1.27-1.37 and Go 1.22-1.27.
    #[arg(long, value_name = "all|LIST")]
    pub servers: Option<String>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

impl MatrixArgs {
    /// Validated rows and columns.
    #[allow(clippy::type_complexity)]
    pub fn selection(
        &self,
    ) -> Result<(Vec<&'static ClientProfile>, Vec<&'static ServerModel>), FlagError> {
        let default_ids = |prefix: &str| {
            let mut ids: Vec<String> = crate::catalog::kubernetes::KUBERNETES
                .iter()
                .map(|k| format!("{prefix}1.{}", k.minor))
                .collect();
            ids.extend(crate::catalog::go::MINORS.map(|m| format!("go1.{m}")));
            ids.join(",")
        };
        let clients = profile::select(self.clients.as_deref().unwrap_or(&default_ids("kubectl")))?;
        let servers = server::select(self.servers.as_deref().unwrap_or(&default_ids("k8s")))?;
        Ok((clients, servers))
    }
}

/// Flags of `pqready probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Endpoints to probe (see the flag's help text).
    #[arg(
        value_name = "HOST[:PORT]",
        help = "Endpoints: HOST[:PORT] (default port 443), [IPv6]:PORT, https://HOST[:PORT], \
                quic://HOST[:PORT] (HTTP/3 over UDP), ssh://HOST[:PORT] (an SSH server's key \
                exchange, default port 22), or a STARTTLS URL (postgres://, mysql://, smtp://, \
                imap://, pop3://, ldap://, xmpp://, ftp://HOST[:PORT])"
    )]
    pub targets: Vec<String>,
    /// Probe every target over QUIC v1 (UDP) instead of TLS over TCP.
    #[arg(long, conflicts_with_all = ["ssh", "starttls"])]
    pub quic: bool,
    /// Probe the command-line targets as SSH servers (as if each were
    /// written `ssh://HOST[:PORT]`; default port 22).
    #[arg(long, conflicts_with = "starttls")]
    pub ssh: bool,
    /// Speak this protocol's plaintext preamble (STARTTLS) before TLS with
    /// every target given without a scheme; without it, well-known ports
    /// (5432, 3306, 25, 587, 143, 110, 389, 5222, 21) pick theirs.
    #[arg(long, value_name = "KIND", value_parser = parse_starttls)]
    pub starttls: Option<crate::vocab::Protocol>,
    /// Read more targets from FILE, one per line; '#' starts a comment.
    #[arg(long, value_name = "FILE")]
    pub targets_file: Option<PathBuf>,
    /// Server name to send in SNI (default: the host, when it is a name).
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Also test this group codepoint (0xNNNN) or registry name; repeatable.
    #[arg(long = "group", value_name = "0xNNNN")]
    pub groups: Vec<String>,
    /// The deadline of each network step.
    #[command(flatten)]
    pub timeout: TimeoutArgs,
    /// Client profiles to replay.
    #[command(flatten)]
    pub clients: ClientsArgs,
    /// Which checks to run.
    #[command(flatten)]
    pub checks: CheckArgs,
    /// How the run paces itself.
    #[command(flatten)]
    pub pace: PaceArgs,
    /// Probe only shard I of N (0-based: I in 0..N): the targets whose
    /// `host:port` hashes to I. Run every I on its own machine, then join the
    /// outputs with `pqready report`.
    #[arg(long, value_name = "I/N", value_parser = crate::discover::shard::Shard::parse)]
    pub shard: Option<crate::discover::shard::Shard>,
    /// How certificates are judged.
    #[command(flatten)]
    pub deadlines: DeadlineArgs,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `--deadlines`: the tables that date the served certificates' keys.
#[derive(Debug, Args, Clone)]
pub struct DeadlineArgs {
    /// Deadline tables that date certificates' keys: nist (NIST IR 8547, the
    /// default), cnsa2 (NSA CNSA 2.0), or both, comma-separated; the first
    /// one drives the findings (and the deadline column of `certs`).
    #[arg(long, value_name = "nist|cnsa2|nist,cnsa2", default_value = "nist")]
    pub deadlines: String,
}

impl Default for DeadlineArgs {
    fn default() -> Self {
        DeadlineArgs {
            deadlines: "nist".into(),
        }
    }
}

impl DeadlineArgs {
    /// The certificate rules: the selected tables, judged as of now.
    pub fn rules(&self) -> Result<CertRules, FlagError> {
        Ok(CertRules {
            deadlines: crate::catalog::deadlines::select(&self.deadlines)?,
            ..CertRules::default()
        })
    }
}

/// `--rate N` as a shared pace; 0 is refused.
fn rate(value: Option<u32>) -> Result<Option<std::sync::Arc<crate::net::ConnectRate>>, FlagError> {
    match value {
        None => Ok(None),
        Some(0) => Err(FlagError::ZeroRate),
        Some(n) => Ok(Some(std::sync::Arc::new(
            crate::net::ConnectRate::per_second(n),
        ))),
    }
}

/// Output flags shared by every command that prints results.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Output format: `table` (default), `json` (see docs/json.md), `sarif`
    /// (SARIF 2.1.0 for code scanning), `markdown` (a comment-sized summary),
    /// `cbom` (a CycloneDX cryptography bill of materials) or `html` (one
    /// self-contained page).
    #[arg(short, long, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,
    /// CycloneDX version of `-o cbom`: 1.7, or 1.6 for tools not yet on 1.7.
    #[arg(long, value_enum, value_name = "1.7|1.6", default_value = "1.7")]
    pub cbom_version: crate::report::cbom::SpecVersion,
    /// Same as `-o json`.
    #[arg(long, conflicts_with = "output")]
    pub json: bool,
    /// Never use colour (colour is only used on a terminal anyway; NO_COLOR is honoured too).
    #[arg(long)]
    pub no_color: bool,
    /// Write the results to FILE instead of standard output (created or
    /// truncated; progress and errors stay on standard error).
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<std::path::PathBuf>,
    /// Exit with status 1 when a finding at or above this severity remains
    /// (`low`, `medium`, `high`); exit status 2 still means "could not run".
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<crate::vocab::Severity>,
    /// Apply the policy in FILE (YAML; docs/schema/policy.schema.json): its
    /// rules become findings, its exceptions accept findings until they
    /// expire, and a remaining violation makes the exit status 1.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<std::path::PathBuf>,
    /// Compare with an earlier `-o json` run in FILE and report what changed:
    /// new and gone targets, regressions from post-quantum to classical, new
    /// and fixed findings.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<std::path::PathBuf>,
    /// With `--baseline`: exit with status 1 when something got worse since
    /// the baseline (a regression or a new finding), so a scheduled run
    /// alerts on change only.
    #[arg(long, requires = "baseline")]
    pub fail_on_change: bool,
}

/// A `--fail-on` value that is no gating severity (clap names the flag and
/// the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("use low, medium or high")]
pub struct SeverityError;

fn parse_severity(text: &str) -> Result<crate::vocab::Severity, SeverityError> {
    crate::vocab::Severity::parse(text)
        .filter(|s| *s != crate::vocab::Severity::Info)
        .ok_or(SeverityError)
}

impl OutputArgs {
    /// The chosen format.
    pub fn format(&self) -> Format {
        match (self.json, self.output) {
            (true, _) => Format::Json,
            (false, Some(f)) => f,
            (false, None) => Format::Table,
        }
    }
}

/// Why a DURATION flag value was refused (clap names the flag and the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a number with an optional `s` or `ms`.
    #[error("use e.g. 5s or 500ms")]
    Syntax,
    /// Zero, negative, or longer than any step should wait.
    #[error("must be between 1ms and 600s")]
    Range,
}

/// Parses `5`, `5s`, `1.5s` or `500ms`: the value parser of every step
/// deadline flag (`--timeout`, `--hello-timeout`).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let bad = || DurationError::Syntax;
    let (num, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = num.trim().parse().map_err(|_| bad())?;
    let secs = value * scale;
    if !secs.is_finite() || !(0.001..=600.0).contains(&secs) {
        return Err(DurationError::Range);
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses `--starttls`: a protocol with a STARTTLS preamble.
fn parse_starttls(text: &str) -> Result<crate::vocab::Protocol, String> {
    crate::vocab::Protocol::parse(&text.to_ascii_lowercase())
        .filter(|p| discover::starttls_port(*p).is_some())
        .ok_or_else(|| {
            "expected one of postgres, mysql, smtp, imap, pop3, ldap, xmpp, ftp".to_string()
        })
}

/// The targets of a `probe` run: those on the command line, then those of
/// the targets file, over QUIC with `--quic`, kept to `--shard`'s share.
#[derive(Debug)]
pub struct ProbeTargets {
    listed: Vec<Target>,
    file: Option<discover::TargetsFile>,
    quic: bool,
    shard: Option<discover::shard::Shard>,
    count: usize,
}

impl ProbeTargets {
    /// How many targets [`ProbeTargets::iter`] yields.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there is nothing to probe (a shard that holds none).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The targets, in order, each made as it is asked for.
    pub fn iter(&self) -> impl Iterator<Item = Target> + '_ {
        let file = self.file.iter().flat_map(|f| f.targets());
        self.listed
            .iter()
            .cloned()
            .chain(file)
            .map(|t| match self.quic {
                true => discover::over_quic(t),
                false => t,
            })
            .filter(|t| self.shard.is_none_or(|s| s.owns(&t.label)))
    }
}

impl ProbeArgs {
    /// Validated targets, from arguments then the targets file.
    pub fn targets(&self) -> Result<Vec<Target>, FlagError> {
        Ok(self.target_list()?.iter().collect())
    }

    /// Validated targets, from arguments then the targets file, made one at
    /// a time as they are probed (see [`discover::TargetsFile`]).
    pub fn target_list(&self) -> Result<ProbeTargets, FlagError> {
        let sni = self.sni.as_deref();
        // Targets written without a scheme, on the command line or in the
        // file alike, speak what the flags say.
        let assume = match self.ssh {
            true => Some(crate::vocab::Protocol::Ssh),
            false => self.starttls,
        };
        let mut listed = Vec::new();
        for t in &self.targets {
            listed.push(discover::parse_target_as(t, sni, assume)?);
        }
        let file = match &self.targets_file {
            Some(path) => Some(discover::TargetsFile::read(path, sni, assume)?),
            None => None,
        };
        if listed.is_empty() && file.as_ref().is_none_or(|f| f.is_empty()) {
            return Err(FlagError::NoTargets);
        }
        let mut list = ProbeTargets {
            listed,
            file,
            quic: self.quic,
            shard: self.shard,
            count: 0,
        };
        list.count = match self.shard {
            Some(_) => list.iter().count(),
            None => list.listed.len() + list.file.as_ref().map_or(0, |f| f.len()),
        };
        Ok(list)
    }
    /// Validated probe configuration.
    pub fn config(&self) -> Result<ProbeConfig, FlagError> {
        let mut config = probe_config(
            self.timeout.timeout,
            self.clients.clients.as_deref(),
            &self.checks,
            self.pace.rate,
            self.pace.per_host,
        )?;
        for text in &self.groups {
            let group =
                NamedGroup::parse(text).ok_or_else(|| FlagError::Group(text.to_string()))?;
            if !config.candidate_groups.contains(&group) {
                config.candidate_groups.push(group);
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        for bad in ["", "0", "-1s", "abc", "1h", "NaNs"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn step_deadlines_are_parsed_once_by_clap() {
        let parse = |words: &[&str]| Cli::try_parse_from(words.iter().copied());
        let Command::Probe(probe) = parse(&["pqready", "probe", "--timeout", "1500ms", "h"])
            .unwrap()
            .command
        else {
            panic!("not probe");
        };
        assert_eq!(probe.timeout.timeout, Duration::from_millis(1500));
        let Command::Cluster(cluster) = parse(&["pqready", "cluster"]).unwrap().command else {
            panic!("not cluster");
        };
        assert_eq!(cluster.timeout.timeout, Duration::from_secs(5));
        let Command::Inspect(inspect) = parse(&["pqready", "inspect", "--listen", "127.0.0.1:0"])
            .unwrap()
            .command
        else {
            panic!("not inspect");
        };
        assert_eq!(
            (inspect.timeout, inspect.hello_timeout),
            (Duration::from_secs(10), None)
        );
        for (words, flag) in [
            (
                vec!["pqready", "probe", "--timeout", "forever", "h"],
                "--timeout",
            ),
            (vec!["pqready", "cluster", "--timeout", "0"], "--timeout"),
            (
                vec![
                    "pqready",
                    "inspect",
                    "--listen",
                    "127.0.0.1:0",
                    "--hello-timeout",
                    "1h",
                ],
                "--hello-timeout",
            ),
        ] {
            let err = parse(&words).unwrap_err().to_string();
            assert!(err.contains(flag), "{words:?}: {err}");
        }
    }

    #[test]
    fn starttls_flag_takes_starttls_protocols_only() {
        use crate::vocab::Protocol;
        assert_eq!(parse_starttls("postgres"), Ok(Protocol::Postgres));
        assert_eq!(parse_starttls("SMTP"), Ok(Protocol::Smtp));
        for bad in ["tls", "ssh", "quic", "https", "postgresql?"] {
            assert!(parse_starttls(bad).is_err(), "{bad}");
        }
        let args = match Cli::try_parse_from(["pqready", "probe", "--starttls", "ftp", "files"]) {
            Ok(Cli {
                command: Command::Probe(args),
                ..
            }) => args,
            other => panic!("{other:?}"),
        };
        let targets = args.targets().unwrap();
        assert_eq!(targets[0].label, "ftp://files:21");
    }

    #[test]
    fn adds_user_groups_once() {
        let args = ProbeArgs {
            targets: vec![],
            quic: false,
            ssh: false,
            starttls: None,
            targets_file: None,
            sni: None,
            groups: vec!["0xfe01".into(), "x25519".into()],
            clients: ClientsArgs::default(),
            checks: CheckArgs::default(),
            timeout: TimeoutArgs {
                timeout: Duration::from_secs(1),
            },
            pace: PaceArgs {
                concurrency: Some(1),
                max_concurrency: None,
                rate: None,
                per_host: DEFAULT_PER_HOST,
            },
            shard: None,
            deadlines: DeadlineArgs::default(),
            output: OutputArgs::default(),
        };
        let config = args.config().unwrap();
        assert_eq!(config.candidate_groups.len(), crate::wire::GROUPS.len() + 1);
        assert_eq!(config.candidate_groups.last(), Some(&NamedGroup(0xfe01)));
    }

    #[test]
    fn deadlines_select_tables_in_order() {
        let args = |spec: &str| DeadlineArgs {
            deadlines: spec.into(),
        };
        use crate::vocab::DeadlineTable::{Cnsa2, Nist};
        assert_eq!(DeadlineArgs::default().rules().unwrap().deadlines, [Nist]);
        assert_eq!(args("cnsa2").rules().unwrap().deadlines, [Cnsa2]);
        assert_eq!(args("cnsa2,nist").rules().unwrap().deadlines, [Cnsa2, Nist]);
        let err = args("fips").rules().unwrap_err().to_string();
        assert!(err.contains("invalid --deadlines 'fips'"), "{err}");
    }

    #[test]
    fn kubectl_plugin_defaults_to_cluster_and_keeps_subcommands() {
        let args = |words: &[&str]| -> Vec<String> {
            plugin_args(words.iter().map(std::ffi::OsString::from))
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect()
        };
        assert_eq!(
            args(&["/usr/local/bin/kubectl-pqready", "--context", "prod"]),
            ["kubectl pqready", "cluster", "--context", "prod"]
        );
        assert_eq!(args(&["kubectl-pqready"]), ["kubectl pqready", "cluster"]);
        assert_eq!(
            args(&["kubectl-pqready", "probe", "h:443"]),
            ["kubectl pqready", "probe", "h:443"]
        );
        assert_eq!(
            args(&["kubectl-pqready", "--help"]),
            ["kubectl pqready", "--help"]
        );
        assert_eq!(
            args(&["pqready", "--context", "x"]),
            ["pqready", "--context", "x"]
        );
    }
}
