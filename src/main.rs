//! The `pqready` binary: parse flags, run the library pipeline, print, exit.
//!
//! Exit codes: 0 every target probed; 2 bad input or at least one target
//! could not be probed (its error is in the report).

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use pqready::cli::{Cli, Command, OutputArgs};
use pqready::discover::Target;
use pqready::probe::ProbeConfig;
use pqready::report::{catalog, json, table, TargetReport};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    match cli.command {
        Command::Probe(args) => {
            let (targets, config) = match args.targets().and_then(|t| Ok((t, args.config()?))) {
                Ok(v) => v,
                Err(msg) => return fail(&msg),
            };
            runtime.block_on(run(targets, config, args.concurrency, args.output))
        }
        Command::Inspect(args) => runtime.block_on(inspect(args)),
        Command::Binaries(args) => binaries(args),
        Command::Profiles(output) => {
            let profiles = pqready::catalog::profile::all();
            let text = if output.json {
                catalog::profiles_json(&profiles)
            } else {
                catalog::profiles_table(&profiles)
            };
            print(&text)
        }
        Command::Matrix(args) => {
            let (clients, servers) = match args.selection() {
                Ok(v) => v,
                Err(msg) => return fail(&msg),
            };
            let cells = pqready::catalog::server::matrix(&clients, &servers);
            let text = if args.output.json {
                catalog::matrix_json(&clients, &servers, &cells)
            } else {
                catalog::matrix_table(
                    &clients,
                    &servers,
                    &cells,
                    table::Style {
                        color: color(args.output),
                    },
                )
            };
            print(&text)
        }
        Command::Demo(args) => runtime.block_on(async move {
            let output = args.output;
            let config = match args.config() {
                Ok(c) => c,
                Err(msg) => return fail(&msg),
            };
            let servers = match pqready::demo::start_all().await {
                Ok(s) => s,
                Err(msg) => return fail(&msg),
            };
            if !output.json {
                eprintln!(
                    "pqready demo: started {} rustls servers on loopback; probing them",
                    servers.len()
                );
            }
            let targets = servers.iter().map(|s| s.target()).collect();
            let code = run(targets, config, 4, output).await;
            drop(servers);
            code
        }),
    }
}

async fn inspect(args: pqready::cli::InspectArgs) -> ExitCode {
    use pqready::report::inspect as render;
    let (listen, config) = match args.config() {
        Ok(v) => v,
        Err(msg) => return fail(&msg),
    };
    let mut log = match &args.json_log {
        Some(path) => match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(f) => Some(std::io::BufWriter::new(f)),
            Err(e) => return fail(&format!("cannot open --json-log '{}': {e}", path.display())),
        },
        None => None,
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => return fail(&format!("cannot listen on {listen}: {e}")),
    };
    let bound = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| listen.to_string());
    let mode = match &args.forward {
        Some(up) => format!("forwarding to {up}"),
        None => "terminating TLS".to_string(),
    };
    eprintln!("pqready inspect: listening on {bound}, {mode}; Ctrl-C prints the summary");
    let style = table::Style {
        color: !args.no_color
            && std::env::var_os("NO_COLOR").is_none()
            && std::io::stderr().is_terminal(),
    };
    let summary = pqready::inspect::serve::run(
        listener,
        config,
        |record| {
            eprintln!("{}", render::live_line(record, style));
            if let Some(log) = &mut log {
                let _ = writeln!(log, "{}", render::json_line(record));
                let _ = log.flush();
            }
        },
        shutdown_signal(),
    )
    .await;
    let out_style = table::Style {
        color: color(OutputArgs {
            json: false,
            no_color: args.no_color,
        }),
    };
    print(&render::summary_table(&summary, out_style))
}

fn binaries(args: pqready::cli::BinariesArgs) -> ExitCode {
    use pqready::gobin::{self, Counts, FileError, RuntimeGodebug, ScanItem};
    use pqready::report::binaries as render;
    for path in &args.paths {
        if std::fs::symlink_metadata(path).is_err() {
            return fail(&format!(
                "cannot read '{}': no such file or directory",
                path.display()
            ));
        }
    }
    let runtime = match &args.godebug_from {
        None => None,
        Some(path) => match RuntimeGodebug::from_file(path) {
            Ok(Some(rt)) => Some(rt),
            Ok(None) => return fail(&format!("no GODEBUG setting found in '{}'", path.display())),
            Err(msg) => return fail(&msg),
        },
    };
    let style = table::Style {
        color: color(args.output),
    };
    let progress = if std::io::stderr().is_terminal() {
        let pb = ProgressBar::new_spinner();
        if let Ok(s) =
            ProgressStyle::with_template("{spinner} {pos} files examined ({elapsed}) {msg}")
        {
            pb.set_style(s);
        }
        Some(pb)
    } else {
        None
    };
    let mut reports = Vec::new();
    let mut errors: Vec<FileError> = Vec::new();
    let mut stdout = std::io::stdout().lock();
    let counts: Counts = gobin::scan(&args.paths, args.follow_symlinks, |item| {
        if let Some(pb) = &progress {
            pb.inc(1);
        }
        match item {
            ScanItem::Binary(mut report) => {
                if let Some(rt) = &runtime {
                    report.apply_runtime(rt);
                }
                if args.output.json {
                    reports.push(*report);
                } else {
                    let text = render::binary_lines(&report, style);
                    match &progress {
                        Some(pb) => pb.suspend(|| {
                            let _ = stdout.write_all(text.as_bytes());
                        }),
                        None => {
                            let _ = stdout.write_all(text.as_bytes());
                        }
                    }
                }
            }
            ScanItem::Error { path, error } => errors.push(FileError {
                path: path.display().to_string(),
                error,
            }),
            ScanItem::Skipped { .. } => {}
        }
    });
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let text = if args.output.json {
        render::json(&reports, &counts, &errors)
    } else {
        render::totals(&counts, &errors)
    };
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    if counts.errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn print(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    ExitCode::SUCCESS
}

fn color(output: OutputArgs) -> bool {
    !output.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Help and version go to stdout with exit 0; every other flag error becomes
/// one `pqready: error:` line and exit 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            let text = e.render().to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            fail(&format!(
                "{} (see --help)",
                first.trim_start_matches("error: ")
            ))
        }
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("pqready: error: {msg}");
    ExitCode::from(2)
}

async fn run(
    targets: Vec<Target>,
    config: ProbeConfig,
    concurrency: usize,
    output: OutputArgs,
) -> ExitCode {
    let total = targets.len();
    let color = !output.no_color
        && std::env::var_os("NO_COLOR").is_none()
        && std::io::stdout().is_terminal();
    let style = table::Style { color };
    let progress = if total > 1 && std::io::stderr().is_terminal() {
        let pb = ProgressBar::new(total as u64);
        if let Ok(s) =
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} probed ({elapsed})")
        {
            pb.set_style(s.progress_chars("=> "));
        }
        Some(pb)
    } else {
        None
    };
    let mut failed = 0usize;
    let mut kept: Vec<TargetReport> = Vec::new();
    let mut stdout = std::io::stdout().lock();
    pqready::scan::scan(
        targets,
        config,
        concurrency,
        |_| {
            if let Some(pb) = &progress {
                pb.inc(1);
            }
        },
        |report| {
            if report.error.is_some() {
                failed += 1;
            }
            let text = if output.json {
                format!("{}\n", json::to_line(&report))
            } else {
                format!("{}\n", table::render_target(&report, style))
            };
            let write = |out: &mut std::io::StdoutLock| {
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            };
            match &progress {
                Some(pb) => pb.suspend(|| write(&mut stdout)),
                None => write(&mut stdout),
            }
            if !output.json && total > 1 {
                kept.push(report);
            }
        },
    )
    .await;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    if !output.json && total > 1 {
        let _ = stdout.write_all(table::render_summary(&kept, style).as_bytes());
    }
    if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
