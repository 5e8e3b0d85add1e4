//! The commands: each one wires discover → probe/inspect/gobin → assess →
//! report for one subcommand and hands the document to the chosen renderer.
//!
//! Owns: the process-level concerns of a run — the async runtime, where
//! output goes (stdout, stderr, the inspect log), progress display, colour,
//! logging (`-v`) and the exit status. Must not: parse flags (that is `cli`),
//! judge (that is `assess`) or format (that is `report`).

mod binaries;
mod certs;
mod cluster;
mod exporter;
mod generated;
mod inspect;
mod observe;
mod output;
mod report;

use crate::assess::certs::CertRules;
use crate::cli::{Cli, Command};
use crate::discover::Target;
use crate::probe::ProbeConfig;
use crate::report::Part;
use crate::vocab::DocumentKind;
use output::{Output, Progress};

/// A failure that stops a command before it produces results: bad input,
/// a port that cannot be bound, a file that cannot be read. Printed as one
/// `pqready: error:` line; never carries credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CommandError(pub String);

impl From<String> for CommandError {
    fn from(message: String) -> Self {
        CommandError(message)
    }
}

/// The library's typed errors become one line each, as they read.
macro_rules! command_error_from {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for CommandError {
            fn from(e: $error) -> Self {
                CommandError(e.to_string())
            }
        })*
    };
}

command_error_from!(
    crate::cli::FlagError,
    crate::cli::InspectFlagError,
    crate::demo::DemoError,
    crate::gobin::godebug::GodebugFileError,
    crate::checks::SelectError,
);

/// How a command that ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every target or file was handled.
    Complete,
    /// Results were printed, but at least one target or file failed (exit 2).
    Partial,
    /// Every target or file was handled, and the `--fail-on` gate failed (exit 1).
    GateFailed,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Outcome, CommandError> {
    // The exporter logs on its own terms (always, text or JSON).
    if !matches!(cli.command, Command::Exporter(_)) {
        init_logging(cli.verbose);
    }
    let outcome = run_command(cli.command)?;
    Ok(match outcome {
        Outcome::Complete if output::gate_failed() => Outcome::GateFailed,
        other => other,
    })
}

fn run_command(command: Command) -> Result<Outcome, CommandError> {
    match command {
        Command::Probe(args) => {
            let targets = args.target_list()?;
            if let (Some(shard), true) = (args.shard, targets.is_empty()) {
                eprintln!("pqready: shard {shard} holds none of the targets: nothing to probe");
            }
            let config = args.config()?;
            let rules = args.deadlines.rules()?;
            let concurrency = args.pace.concurrency()?;
            runtime()?.block_on(probe(
                targets.iter(),
                targets.len(),
                config,
                rules,
                concurrency,
                Output::open_for(args.output, Some(DocumentKind::Target))?,
            ))
        }
        Command::Demo(args) => {
            let config = args.config()?;
            let rules = args.deadlines.rules()?;
            let output = Output::open_for(args.output, Some(DocumentKind::Target))?;
            runtime()?.block_on(async move {
                let servers = crate::demo::start_all().await?;
                if output.is_table() {
                    eprintln!(
                        "pqready demo: started {} rustls servers on loopback; probing them",
                        servers.len()
                    );
                }
                let outcome = probe(
                    servers.iter().map(|s| s.target()),
                    servers.len(),
                    config,
                    rules,
                    crate::net::Concurrency::fixed(4),
                    output,
                )
                .await;
                drop(servers);
                outcome
            })
        }
        Command::Cluster(args) => runtime()?.block_on(cluster::run(args)),
        Command::Inspect(args) => runtime()?.block_on(inspect::run(args)),
        Command::Observe(args) => observe::run(args),
        Command::Binaries(args) => binaries::run(args),
        Command::Certs(args) => certs::run(args),
        Command::Report(args) => report::run(args),
        Command::Exporter(args) => runtime()?.block_on(exporter::run(args)),
        Command::Completions(args) => generated::completions(args),
        Command::Man(args) => generated::man(args),
        Command::Profiles(args) => {
            let output = catalog_output(args, "profiles")?;
            let profiles: Vec<_> = crate::catalog::profile::all().iter().collect();
            output.document(&[Part::Profiles(&profiles)]);
            Ok(Outcome::Complete)
        }
        Command::Matrix(args) => {
            let (clients, servers) = args.selection()?;
            let output = catalog_output(args.output, "matrix")?;
            let cells = crate::catalog::server::matrix(&clients, &servers);
            output.document(&[Part::Matrix {
                clients: &clients,
                servers: &servers,
                cells: &cells,
            }]);
            Ok(Outcome::Complete)
        }
    }
}

/// The output of a catalog command (`profiles`, `matrix`): they list what
/// pqready knows and judge nothing, so a findings-only format is refused.
fn catalog_output(args: crate::cli::OutputArgs, command: &str) -> Result<Output, CommandError> {
    let format = args.format();
    if format.findings_only() {
        let name = clap::ValueEnum::to_possible_value(&format)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        return Err(CommandError(format!(
            "-o {name} is not available for `{command}`: it lists a catalog, not results; use -o table or -o json"
        )));
    }
    Output::open_without_findings(args)
}

fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError(format!("cannot start the async runtime: {e}")))
}

/// `-v` logs each exchange at debug level, `-vv` at trace, to stderr.
/// Only pqready's own events: libraries underneath (kube-rs, hyper,
/// rustls) could log request details that carry credentials.
fn init_logging(verbose: u8) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = match verbose {
        0 => return,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let ours = tracing_subscriber::filter::Targets::new().with_target("pqready", level);
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_target(false),
        )
        .with(ours)
        .try_init();
}

/// Probes `targets` and streams each report to `output` in input order.
async fn probe(
    targets: impl IntoIterator<Item = Target>,
    count: usize,
    config: ProbeConfig,
    rules: CertRules,
    concurrency: std::sync::Arc<crate::net::Concurrency>,
    mut output: Output,
) -> Result<Outcome, CommandError> {
    output.progress(Progress::Bar {
        total: count as u64,
        template: "{spinner} [{bar:30}] {pos}/{len} probed ({elapsed})",
    });
    let mut failed = false;
    // `on_finish` ticks the bar as targets end; `emit` prints in input order.
    let ticker = output.ticker();
    let judge = crate::assess::Judge::new(rules, output.policy());
    crate::scan::scan(
        targets,
        config,
        judge,
        concurrency,
        |_| ticker.tick(),
        |report| {
            failed |= report.error.is_some();
            output.part(Part::Target(&report));
        },
    )
    .await;
    output.finish();
    Ok(if failed {
        Outcome::Partial
    } else {
        Outcome::Complete
    })
}
