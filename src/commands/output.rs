//! Where a command's document goes: one renderer, one stream (standard
//! output or `--output-file`), an optional progress display on stderr that
//! never mixes with the results, and the `--fail-on` gate, which sees every
//! finding that is rendered.

use super::CommandError;
use crate::assess::baseline::{self, Comparison, Snapshot, SubjectFacts};
use crate::assess::gate::Gate;
use crate::assess::policy::Policy;
use crate::cli::OutputArgs;
use crate::report::{self, Format, Part, Renderer, Style};
use crate::vocab::DocumentKind;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set when a run's `--fail-on` gate failed; read once by `commands::run`
/// to make the exit status 1 (a process runs one command).
static GATE_FAILED: AtomicBool = AtomicBool::new(false);

/// True if the gate of this process's run failed.
pub fn gate_failed() -> bool {
    GATE_FAILED.load(Ordering::Relaxed)
}

/// What progress to show while results are produced (only on a terminal).
pub enum Progress {
    /// A bar over a known number of items.
    Bar {
        /// Items expected.
        total: u64,
        /// indicatif template.
        template: &'static str,
    },
    /// A counter for an open-ended walk.
    Spinner {
        /// indicatif template.
        template: &'static str,
    },
}

/// Colour is used only on a terminal, never with `--no-color` or `NO_COLOR`.
pub fn style(args: &OutputArgs, terminal: bool) -> Style {
    Style {
        color: !args.no_color && std::env::var_os("NO_COLOR").is_none() && terminal,
    }
}

/// A renderer writing to stdout or a file, with an optional progress display.
pub struct Output {
    renderer: Box<dyn Renderer + Send>,
    format: Format,
    progress: Option<ProgressBar>,
    file: Option<std::io::BufWriter<std::fs::File>>,
    gate: Option<Gate>,
    policy: Option<std::sync::Arc<Policy>>,
    baseline: Option<Comparison>,
}

/// A handle that advances the progress display from another closure.
#[derive(Clone)]
pub struct Ticker(Option<ProgressBar>);

impl Ticker {
    /// One more item done.
    pub fn tick(&self) {
        if let Some(pb) = &self.0 {
            pb.inc(1);
        }
    }
}

impl Output {
    /// Results in the format `args` asks for, to `--output-file` or stdout,
    /// of any command (`report`: a `--baseline` of any kind).
    pub fn open(args: OutputArgs) -> Result<Self, CommandError> {
        Output::open_for(args, None)
    }

    /// Results of one kind: a `--baseline` of another kind is refused.
    pub fn open_for(args: OutputArgs, results: Option<DocumentKind>) -> Result<Self, CommandError> {
        let format = args.format();
        let file = match &args.output_file {
            Some(path) => Some(std::io::BufWriter::new(
                std::fs::File::create(path).map_err(|e| {
                    CommandError(format!(
                        "cannot write --output-file {}: {e}",
                        path.display()
                    ))
                })?,
            )),
            None => None,
        };
        let policy = match &args.policy {
            Some(path) => Some(std::sync::Arc::new(load_policy(path)?)),
            None => None,
        };
        let baseline = match &args.baseline {
            Some(path) => Some(Comparison::new(
                load_baseline(path, results)?,
                args.fail_on_change,
            )),
            None => None,
        };
        let terminal = file.is_none() && std::io::stdout().is_terminal();
        let gate = (args.fail_on.is_some() || policy.is_some())
            .then(|| Gate::new(args.fail_on, policy.is_some()));
        let renderer: Box<dyn Renderer + Send> = match format {
            Format::Cbom => Box::new(report::cbom::CbomRenderer::new(args.cbom_version)),
            _ => report::renderer(format, style(&args, terminal)),
        };
        Ok(Output {
            renderer,
            format,
            progress: None,
            file,
            gate,
            policy,
            baseline,
        })
    }

    /// The `--policy`, if one was given: commands apply it to each result
    /// before handing it over.
    pub fn policy(&self) -> Option<std::sync::Arc<Policy>> {
        self.policy.clone()
    }

    /// Results of a command that has no findings (`profiles`, `matrix`):
    /// `--fail-on` is refused rather than silently passing.
    pub fn open_without_findings(args: OutputArgs) -> Result<Self, CommandError> {
        if args.fail_on.is_some() || args.policy.is_some() || args.baseline.is_some() {
            return Err(CommandError(
                "--fail-on, --policy and --baseline need a command with findings: probe, demo, cluster, certs, binaries or observe"
                    .into(),
            ));
        }
        Output::open(args)
    }

    /// True when people, not programs, read this output.
    pub fn is_table(&self) -> bool {
        self.format == Format::Table
    }

    /// Shows `progress` on stderr while results are produced, if it is a terminal
    /// (a bar over a single item is not worth showing).
    pub fn progress(&mut self, progress: Progress) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let (pb, template) = match progress {
            Progress::Bar { total, .. } if total <= 1 => return,
            Progress::Bar { total, template } => (ProgressBar::new(total), template),
            Progress::Spinner { template } => (ProgressBar::new_spinner(), template),
        };
        if let Ok(s) = ProgressStyle::with_template(template) {
            pb.set_style(s.progress_chars("=> "));
        }
        self.progress = Some(pb);
    }

    /// A handle to advance the progress display.
    pub fn ticker(&self) -> Ticker {
        Ticker(self.progress.clone())
    }

    /// Renders and writes one part.
    pub fn part(&mut self, part: Part<'_>) {
        if let Some(gate) = &mut self.gate {
            for finding in part.findings() {
                gate.observe(finding);
            }
        }
        if let Some(comparison) = &mut self.baseline {
            for (subject, facts) in subjects(&part) {
                comparison.observe(&subject, facts);
            }
        }
        let text = self.renderer.part(part);
        self.write(&text);
    }

    /// Renders a whole document and closes it.
    pub fn document(mut self, parts: &[Part<'_>]) {
        for part in parts {
            self.part(*part);
        }
        self.finish();
    }

    /// Closes the document and clears the progress display.
    pub fn finish(&mut self) {
        if let Some(pb) = self.progress.take() {
            pb.finish_and_clear();
        }
        if let Some(comparison) = self.baseline.take() {
            let diff = comparison.diff();
            if diff.failed {
                GATE_FAILED.store(true, Ordering::Relaxed);
            }
            let text = self.renderer.baseline(&diff);
            self.write(&text);
        }
        if let Some(gate) = self.gate.take() {
            let decision = gate.decision();
            if decision.failed {
                GATE_FAILED.store(true, Ordering::Relaxed);
            }
            let text = self.renderer.gate(&decision);
            self.write(&text);
        }
        let text = self.renderer.finish();
        self.write(&text);
        if let Some(file) = &mut self.file {
            if let Err(e) = file.flush() {
                eprintln!("pqready: error: cannot write --output-file: {e}");
            }
        }
    }

    fn write(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(file) = &mut self.file {
            if let Err(e) = file.write_all(text.as_bytes()) {
                eprintln!("pqready: error: cannot write --output-file: {e}");
            }
            return;
        }
        let write = || {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        };
        match &self.progress {
            Some(pb) => pb.suspend(write),
            None => write(),
        }
    }
}

/// The text of the file a flag names, at most `max` bytes (read through a
/// bounded reader, so a file that grows meanwhile cannot exceed it); errors
/// are one line naming the flag and the file.
pub(super) fn read_flag_file(
    flag: &str,
    path: &std::path::Path,
    max: u64,
) -> Result<String, CommandError> {
    use std::io::Read;
    let fail = |why: String| CommandError(format!("{flag} {}: {why}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(fail(format!("larger than {max} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| fail("cannot read it: not UTF-8 text".into()))
}

/// Reads and checks a `--policy` file.
fn load_policy(path: &std::path::Path) -> Result<Policy, CommandError> {
    let text = read_flag_file("--policy", path, 1 << 20)?;
    Policy::from_yaml(&text)
        .map_err(|why| CommandError(format!("--policy {}: {why}", path.display())))
}

/// Reads a `--baseline` file (an earlier `-o json` run) through the reader
/// `pqready report` uses, and takes each subject's facts from its parts
/// exactly as the current run's are taken ([`subjects`]).
fn load_baseline(
    path: &std::path::Path,
    results: Option<DocumentKind>,
) -> Result<Snapshot, CommandError> {
    let flag = format!("--baseline {}", path.display());
    let text = read_flag_file("--baseline", path, 64 << 20)?;
    let documents =
        report::document::read(&flag, &text).map_err(|e| CommandError(e.to_string()))?;
    let mut snapshot = Snapshot::default();
    for document in &documents {
        let kind = document.kind();
        match kind {
            // An observe run's subjects are the edges of its summary.
            DocumentKind::Gate | DocumentKind::Baseline | DocumentKind::ObservedConnection => {
                continue
            }
            DocumentKind::Target
            | DocumentKind::Cluster
            | DocumentKind::Certs
            | DocumentKind::Binaries
            | DocumentKind::ObserveSummary => {
                snapshot.results.insert(kind);
            }
            DocumentKind::InspectRecord | DocumentKind::InspectSummary | DocumentKind::Matrix => {
                return Err(CommandError(format!(
                    "{flag}: {} output, not the results of probe, demo, cluster, certs, binaries or observe",
                    kind.commands()
                )))
            }
        }
        for part in document.parts() {
            for (subject, facts) in subjects(&part) {
                snapshot.observe(&subject, facts);
            }
        }
    }
    if snapshot.results.is_empty() {
        return Err(CommandError(format!(
            "{flag}: no results in it; expected the `-o json` output of probe, demo, cluster, certs, binaries or observe"
        )));
    }
    if let Some(results) = results {
        snapshot
            .expect(results)
            .map_err(|why| CommandError(format!("{flag}: {why}")))?;
    }
    Ok(snapshot)
}

/// The subjects a part reports, with their facts, for `--baseline`: a
/// target, each cluster component and edge (and the cluster as a whole), a
/// file, a binary.
fn subjects(part: &Part<'_>) -> Vec<(String, SubjectFacts)> {
    let target =
        |r: &report::TargetReport| SubjectFacts::new(Some(r.standing()), &r.assessed.findings);
    match part {
        Part::Target(r) => vec![(r.target.clone(), target(r))],
        Part::Cluster(c) => {
            let mut out: Vec<(String, SubjectFacts)> = c
                .components
                .iter()
                .map(|comp| {
                    let subject = baseline::component_subject(
                        comp.component.category.name(),
                        &comp.component.name,
                    );
                    let findings = comp.result.iter().flat_map(|r| &r.assessed.findings);
                    let findings: Vec<_> = findings.cloned().collect();
                    (subject, SubjectFacts::new(Some(comp.standing()), &findings))
                })
                .collect();
            // An edge whose group gets worse (a new client build, a server
            // rolled back) is a regression like a component's.
            out.extend(c.edges.iter().map(|e| {
                (
                    baseline::edge_subject(&e.label()),
                    SubjectFacts::new(Some(e.standing), &e.findings),
                )
            }));
            out.push((
                baseline::CLUSTER_SUBJECT.to_string(),
                SubjectFacts::new(None, &c.findings),
            ));
            out
        }
        // An observed edge whose connections get worse (a client rolled
        // back, a server that stopped offering ML-KEM) is a regression.
        Part::ObserveSummary(s) => s
            .assessed
            .edges
            .iter()
            .map(|e| {
                (
                    baseline::observed_edge_subject(&crate::assess::observed::edge_label(e)),
                    SubjectFacts::new(Some(report::observe::worst(&e.standings)), &e.findings),
                )
            })
            .collect(),
        Part::CertFile(f) => vec![(f.path.clone(), SubjectFacts::new(None, &f.findings))],
        Part::Binary(b) => {
            let standing = crate::assess::standing::offer(b.effective_verdict());
            vec![(
                b.binary.path.clone(),
                SubjectFacts::new(Some(standing), &b.findings),
            )]
        }
        _ => Vec::new(),
    }
}
