//! `pqready completions` and `pqready man`: shell completions and man pages
//! generated from the clap definitions in `cli`, so they list exactly the
//! subcommands and flags this binary accepts.

use super::{CommandError, Outcome};
use crate::cli::{Cli, CompletionShell, CompletionsArgs, ManArgs};
use clap::CommandFactory;
use std::io::Write;

/// The program name completions register for and man pages are titled with.
const BIN: &str = "pqready";

/// Writes the completion script for one shell to standard output.
pub fn completions(args: CompletionsArgs) -> Result<Outcome, CommandError> {
    let shell = match args.shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    write_stdout(&script)?;
    Ok(Outcome::Complete)
}

/// Prints pqready.1, or writes it and one page per subcommand into `--dir`.
pub fn man(args: ManArgs) -> Result<Outcome, CommandError> {
    match args.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| {
                CommandError(format!("cannot create --dir '{}': {e}", dir.display()))
            })?;
            clap_mangen::generate_to(Cli::command(), &dir).map_err(|e| {
                CommandError(format!(
                    "cannot write man pages into '{}': {e}",
                    dir.display()
                ))
            })?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command().disable_help_subcommand(true))
                .render(&mut page)
                .map_err(|e| CommandError(format!("cannot render the man page: {e}")))?;
            write_stdout(&page)?;
        }
    }
    Ok(Outcome::Complete)
}

/// A closed pipe (`pqready man | head`) is the reader's choice, not a failure.
fn write_stdout(bytes: &[u8]) -> Result<(), CommandError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CommandError(format!(
            "cannot write to standard output: {e}"
        ))),
        _ => Ok(()),
    }
}
