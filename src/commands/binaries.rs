//! `pqready binaries`: walk the paths, report each Go executable as it is found.

use super::output::{Output, Progress};
use super::{CommandError, Outcome};
use crate::cli::BinariesArgs;
use crate::gobin::{self, FileError, RuntimeGodebug, ScanItem};
use crate::report::binaries::BinaryReport;
use crate::report::Part;
use crate::vocab::DocumentKind;

/// Runs the walk.
pub fn run(args: BinariesArgs) -> Result<Outcome, CommandError> {
    for path in &args.paths {
        if std::fs::symlink_metadata(path).is_err() {
            return Err(CommandError(format!(
                "cannot read '{}': no such file or directory",
                path.display()
            )));
        }
    }
    let runtime = match &args.godebug_from {
        None => None,
        Some(path) => match RuntimeGodebug::from_file(path)? {
            Some(rt) => Some(rt),
            None => {
                return Err(CommandError(format!(
                    "no GODEBUG setting found in '{}'",
                    path.display()
                )))
            }
        },
    };
    let mut output = Output::open_for(args.output, Some(DocumentKind::Binaries))?;
    output.progress(Progress::Spinner {
        template: "{spinner} {pos} files examined ({elapsed}) {msg}",
    });
    let ticker = output.ticker();
    let judge = crate::assess::Judge::new(Default::default(), output.policy());
    let mut errors: Vec<FileError> = Vec::new();
    let counts = gobin::scan(&args.paths, args.follow_symlinks, |item| {
        ticker.tick();
        match item {
            ScanItem::Binary(mut binary) => {
                if let Some(rt) = &runtime {
                    binary.apply_runtime(rt);
                }
                let path = binary.path.clone();
                let (judged, findings) = judge.binary(&binary, &path);
                let report = BinaryReport::new(*binary, judged, findings);
                output.part(Part::Binary(&report));
            }
            ScanItem::Error { path, error } => errors.push(FileError {
                path: path.display().to_string(),
                error,
            }),
            ScanItem::Skipped { .. } => {}
        }
    });
    output.part(Part::BinaryTotals {
        counts: &counts,
        errors: &errors,
    });
    output.finish();
    Ok(if counts.errors > 0 {
        Outcome::Partial
    } else {
        Outcome::Complete
    })
}
