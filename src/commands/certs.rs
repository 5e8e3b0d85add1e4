//! `pqready certs`: read the paths, judge and report each file as it is read,
//! then the summary. Exit status 2 when a file could not be read or parsed
//! (its entry says why); a path that does not exist is one error line.

use super::output::{Output, Progress};
use super::{CommandError, Outcome};
use crate::cli::CertsArgs;
use crate::pki::files::{self, Limits, ReadItem};
use crate::report::cert_files::{FileReport, Summary};
use crate::report::Part;
use crate::vocab::DocumentKind;
use std::path::Path;

/// Runs the command.
pub fn run(args: CertsArgs) -> Result<Outcome, CommandError> {
    let rules = args.deadlines.rules()?;
    for path in &args.paths {
        if path.as_path() == Path::new("-") {
            continue;
        }
        if let Err(e) = std::fs::symlink_metadata(path) {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => e.to_string(),
            };
            return Err(CommandError(format!(
                "cannot read '{}': {why}",
                crate::report::printable(&path.display().to_string())
            )));
        }
    }
    let mut output = Output::open_for(args.output, Some(DocumentKind::Certs))?;
    output.progress(Progress::Spinner {
        template: "{spinner} {pos} files examined ({elapsed})",
    });
    let ticker = output.ticker();
    let judge = crate::assess::Judge::new(rules.clone(), output.policy());
    let mut summary = Summary::new(&rules.deadlines, rules.now);
    let counts = files::read_paths(&args.paths, &Limits::default(), |item| {
        ticker.tick();
        if let ReadItem::File(facts) = item {
            let assessed = crate::assess::certs::file(&facts, &rules);
            let mut report = FileReport::of(*facts, assessed);
            judge_file(&judge, &mut report);
            // Counts and names only: never a field of a key or a kubeconfig.
            tracing::debug!(
                path = %crate::report::printable(&report.path),
                format = report.format.map(|f| f.name()).unwrap_or("unreadable"),
                certificates = report.certificates.len(),
                keys = report.keys.len(),
                findings = report.findings.len(),
                "read"
            );
            summary.add(&report);
            output.part(Part::CertFile(&report));
        }
    });
    summary.skipped(counts.skipped);
    output.part(Part::CertSummary(&summary));
    output.finish();
    Ok(if summary.unreadable > 0 {
        Outcome::Partial
    } else {
        Outcome::Complete
    })
}

/// Judges one file as its own subject: the policy's certificate rule,
/// overrides and exceptions, most severe first.
fn judge_file(judge: &crate::assess::Judge, report: &mut FileReport) {
    let path = report.path.clone();
    let subject = crate::assess::policy::Subject {
        target: &path,
        name: None,
        category: None,
    };
    let certificates: Vec<_> = report
        .certificates
        .iter()
        .map(|c| c.certificate.clone())
        .collect();
    judge.file(&subject, &certificates, &mut report.findings);
}
