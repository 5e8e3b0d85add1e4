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
