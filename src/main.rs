//! The `pqready` binary: parse flags, run the command, print one error line
//! on failure, exit.
//!
//! Exit codes: 0 every target (or file) handled; 1 the `--fail-on` gate
//! failed; 2 bad input, or at least one target could not be probed (its
//! error is in the report).

use clap::Parser;
use pqready::cli::Cli;
use pqready::commands::{self, Outcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(pqready::cli::plugin_args(std::env::args_os())) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // Before any command sizes its concurrency from the limit.
    pqready::net::raise_open_files_limit();
    match commands::run(cli) {
        Ok(Outcome::Complete) => ExitCode::SUCCESS,
        Ok(Outcome::GateFailed) => ExitCode::from(1),
        Ok(Outcome::Partial) => ExitCode::from(2),
        Err(e) => fail(&e.to_string()),
    }
}

/// Help and version go to stdout with exit 0; every other flag error becomes
/// one `pqready: error:` line and exit 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            // clap's message runs over several lines up to the first blank
            // one ("...were not provided:" then the arguments; "invalid
            // value" then the possible values): one line keeps all of it.
            let text = e.render().to_string();
            let message = text
                .lines()
                .skip_while(|l| l.trim().is_empty())
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            let message = message.trim_start_matches("error: ");
            fail(&format!(
                "{} (see --help)",
                if message.is_empty() {
                    "invalid arguments"
                } else {
                    message
                }
            ))
        }
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("pqready: error: {msg}");
    ExitCode::from(2)
}
