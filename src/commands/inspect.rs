//! `pqready inspect`: accept clients, show a live line per client on stderr,
//! append JSON Lines records to `--json-log`, and print the summary on exit.

use super::output::{style, Output};
use super::{CommandError, Outcome};
use crate::cli::InspectArgs;
use crate::report::inspect::{InspectRecord, Summary};
use crate::report::json::JsonRenderer;
use crate::report::table::TableRenderer;
use crate::report::{Part, Renderer};
use std::io::{IsTerminal, Write};

/// Serves until Ctrl-C, SIGTERM or `--count`.
pub async fn run(args: InspectArgs) -> Result<Outcome, CommandError> {
    let (listen, config) = args.config()?;
    let mut log = match &args.json_log {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| {
                    CommandError(format!("cannot open --json-log '{}': {e}", path.display()))
                })?,
        )),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CommandError(format!("cannot listen on {listen}: {e}")))?;
    let bound = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| listen.to_string());
    let mode = match &args.forward {
        Some(up) => format!("forwarding to {up}"),
        None => "terminating TLS".to_string(),
    };
    eprintln!("pqready inspect: listening on {bound}, {mode}; Ctrl-C prints the summary");
    let mut live = TableRenderer::new(style(&args.output, std::io::stderr().is_terminal()));
    // Opened before clients arrive, so a bad --output-file or --fail-on is
    // reported at once, not after the session.
    let output = Output::open_without_findings(args.output)?;
    let mut records = JsonRenderer::default();
    let mut summary = Summary::default();
    let judge = crate::assess::Judge::default();
    crate::inspect::serve::run(
        listener,
        config,
        |observed| {
            let assessed = judge.inspected(&observed);
            let record = InspectRecord::new(observed, assessed);
            summary.add(&record);
            eprint!("{}", live.part(Part::InspectRecord(&record)));
            if let Some(log) = &mut log {
                let _ = log.write_all(records.part(Part::InspectRecord(&record)).as_bytes());
                let _ = log.flush();
            }
        },
        shutdown_signal(),
    )
    .await;
    output.document(&[Part::InspectSummary(&summary)]);
    Ok(Outcome::Complete)
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
