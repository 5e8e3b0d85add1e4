//! Where a command's document goes: one renderer, one stream, an optional
//! progress display on stderr that never mixes with the results.

use crate::cli::OutputArgs;
use crate::report::{self, Format, Part, Renderer, Style};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};

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
pub fn style(args: OutputArgs, terminal: bool) -> Style {
    Style {
        color: !args.no_color && std::env::var_os("NO_COLOR").is_none() && terminal,
    }
}

/// Refuses, before `command` runs, an output format it has nothing for:
/// one error line and exit 2 rather than an empty document.
pub fn refuse_formats(
    args: OutputArgs,
    command: &str,
    refused: &[Format],
) -> Result<(), super::CommandError> {
    let format = args.format();
    if !refused.contains(&format) {
        return Ok(());
    }
    let name = clap::ValueEnum::to_possible_value(&format)
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    Err(super::CommandError(format!(
        "-o {name} is not available for `{command}`: a CBOM lists the cryptography that \
         probe, demo, cluster, certs and binaries find"
    )))
}

/// A renderer writing to stdout, with an optional progress display.
pub struct Output {
    renderer: Box<dyn Renderer + Send>,
    format: Format,
    progress: Option<ProgressBar>,
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
    /// Results to stdout in the format `args` asks for.
    pub fn stdout(args: OutputArgs) -> Self {
        let format = args.format();
        let renderer: Box<dyn Renderer + Send> = match format {
            Format::Cbom => Box::new(report::cbom::CbomRenderer::new(args.cbom_version)),
            _ => report::renderer(format, style(args, std::io::stdout().is_terminal())),
        };
        Output {
            renderer,
            format,
            progress: None,
        }
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
        let text = self.renderer.finish();
        self.write(&text);
    }

    fn write(&self, text: &str) {
        if text.is_empty() {
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
