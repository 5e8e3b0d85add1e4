//! `pqready observe --pcap FILE...`: read the captures into the flow table,
//! judge every connection once all are read (a silent downgrade is told by
//! other connections to the same server), then write one record per
//! connection and the summary.

use super::output::Output;
use super::{CommandError, Outcome};
use crate::cli::ObserveArgs;
use crate::observe::flow::{FlowTable, Limits};
use crate::report::observe::{ObserveSummary, ObservedRecord};
use crate::report::Part;

/// Reads every file, then reports.
pub fn run(args: ObserveArgs) -> Result<Outcome, CommandError> {
    if args.output.policy.is_some() || args.output.baseline.is_some() {
        return Err(CommandError(
            "observe takes --fail-on, but not --policy or --baseline".into(),
        ));
    }
    if args.max_flows == 0 {
        return Err(CommandError("--max-flows must be at least 1".into()));
    }
    let mut files = Vec::new();
    for path in &args.pcap {
        let file = std::fs::File::open(path)
            .map_err(|e| CommandError(format!("cannot read '{}': {e}", path.display())))?;
        files.push((path.display().to_string(), file));
    }
    let mut output = Output::open(args.output)?;
    let mut table = FlowTable::new(Limits {
        max_flows: args.max_flows,
        ..Limits::default()
    });
    let mut connections = Vec::new();
    let mut partial = false;
    for (name, file) in files {
        let input = std::io::BufReader::with_capacity(1 << 16, file);
        if let Err(e) =
            crate::observe::pcap::read(input, &name, &mut table, |ready| connections.extend(ready))
        {
            table.stats_mut().notes.push(format!("{name}: {e}"));
            partial = true;
        }
    }
    table.finish();
    connections.extend(table.take_ready());
    let stats = table.stats().clone();
    let mut assessed = crate::assess::observed::observed(&connections);
    let judgements = std::mem::take(&mut assessed.connections);
    for (observed, judged) in connections.into_iter().zip(judgements) {
        output.part(Part::ObservedConnection(&ObservedRecord::new(
            observed, judged,
        )));
    }
    output.part(Part::ObserveSummary(&ObserveSummary::new(stats, assessed)));
    output.finish();
    Ok(if partial {
        Outcome::Partial
    } else {
        Outcome::Complete
    })
}
