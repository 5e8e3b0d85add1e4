//! How results are painted and laid out: the one place that gives every
//! coloured label (a standing, a severity, a deadline, a handshake, the
//! gate's decision) its colour, as an ANSI code for the terminal and as CSS
//! for the HTML report; and the columns of terminal tables.
//!
//! Each label maps to a [`Tone`] (what the colour says); each tone has one
//! terminal colour and one set of CSS colours. Renderers name tones, never
//! colours: no other module holds an escape code or a colour value.

use crate::assess::certs::Deadline;
use crate::vocab::{DeadlineStatus, Severity, Standing, ToleranceVerdict};
use crate::wire::NamedGroup;
use std::fmt::Write;

/// Output options.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

/// What a colour says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tone {
    /// Post-quantum, passed, acceptable: green.
    Good,
    /// Obsolete, partial or due soon: amber.
    Warn,
    /// Classical, failed, disallowed: red.
    Bad,
    /// The probe failed: purple (magenta in a terminal).
    Broken,
    /// Worth knowing, nothing to fix yet: blue (plain in a terminal).
    Info,
    /// Not a TLS endpoint: light grey (plain in a terminal).
    Quiet,
    /// Could not be checked from here: grey (dim in a terminal).
    Muted,
    /// Nothing decided: no colour of its own.
    Plain,
    /// A heading: bold.
    Heading,
}

/// A tone's colours: terminal SGR code (empty: left as it is), CSS text
/// colour, badge background, chart fill, line (the fill, but for the pale
/// tones, whose fill would vanish as a thin line on white), and its name in
/// a legend.
struct Palette {
    sgr: &'static str,
    text: &'static str,
    background: &'static str,
    fill: &'static str,
    line: &'static str,
    called: &'static str,
}

/// Where a tone's CSS class applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// A badge or a table cell: background and text colour.
    Badge,
    /// Text colour only.
    Text,
    /// An SVG shape's fill.
    Fill,
    /// An SVG line's stroke.
    Line,
}

impl Tone {
    /// Every tone, for the stylesheet.
    pub const ALL: [Tone; 9] = [
        Tone::Good,
        Tone::Warn,
        Tone::Bad,
        Tone::Broken,
        Tone::Info,
        Tone::Quiet,
        Tone::Muted,
        Tone::Plain,
        Tone::Heading,
    ];

    fn palette(self) -> Palette {
        let p = |sgr, text, background, fill, called| Palette {
            sgr,
            text,
            background,
            fill,
            line: fill,
            called,
        };
        match self {
            Tone::Good => p("32", "#14532d", "#d6f0d8", "#2e7d32", "green"),
            Tone::Warn => p("33", "#92400e", "#fdecc8", "#d97706", "amber"),
            Tone::Bad => p("31", "#991b1b", "#fbd5d5", "#c62828", "red"),
            Tone::Broken => p("35", "#701a4b", "#f3d0e6", "#7e22ce", "purple"),
            Tone::Info => p("", "#1d4ed8", "#dbeafe", "#60a5fa", "blue"),
            Tone::Quiet => Palette {
                line: "#94a3b8",
                ..p("", "#374151", "#eef0f3", "#cbd5e1", "light grey")
            },
            Tone::Muted => Palette {
                line: "#6b7280",
                ..p("2", "#374151", "#e5e7eb", "#9ca3af", "grey")
            },
            Tone::Plain => Palette {
                line: "#a8a29e",
                ..p("", "#4b5563", "#f3f5f7", "#e5e7eb", "pale grey")
            },
            Tone::Heading => p("1", "#1d2327", "#f3f5f7", "#374151", "dark grey"),
        }
    }

    /// Its name in CSS classes.
    const fn name(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
            Tone::Broken => "broken",
            Tone::Info => "info",
            Tone::Quiet => "quiet",
            Tone::Muted => "muted",
            Tone::Plain => "plain",
            Tone::Heading => "heading",
        }
    }

    /// The colour as a legend names it (`green`).
    pub fn called(self) -> &'static str {
        self.palette().called
    }

    /// The CSS class that gives an element this tone for `usage`.
    pub fn class(self, usage: Use) -> String {
        let prefix = match usage {
            Use::Badge => "bg",
            Use::Text => "fg",
            Use::Fill => "f",
            Use::Line => "s",
        };
        format!("{prefix}-{}", self.name())
    }

    /// True when text drawn on its fill must be dark (a light fill).
    pub const fn light_fill(self) -> bool {
        matches!(self, Tone::Quiet | Tone::Muted | Tone::Plain)
    }
}

/// The tone of a standing.
pub const fn standing(s: Standing) -> Tone {
    match s {
        Standing::Pq => Tone::Good,
        Standing::DraftOnly => Tone::Warn,
        Standing::Classical => Tone::Bad,
        Standing::NoTls => Tone::Quiet,
        Standing::Unreachable => Tone::Muted,
        Standing::Error => Tone::Broken,
        Standing::Unknown => Tone::Plain,
    }
}

/// The tone of a severity.
pub const fn severity(s: Severity) -> Tone {
    match s {
        Severity::High => Tone::Bad,
        Severity::Medium => Tone::Warn,
        Severity::Low => Tone::Info,
        Severity::Info => Tone::Plain,
    }
}

/// The tone of the big-ClientHello tolerance verdict.
pub const fn tolerance(v: ToleranceVerdict) -> Tone {
    match v {
        ToleranceVerdict::Tolerant => Tone::Good,
        ToleranceVerdict::Intolerant => Tone::Bad,
        ToleranceVerdict::Inconclusive => Tone::Warn,
    }
}

/// The tone of a pass/fail decision (the gate, `--fail-on-change`).
pub const fn decision(failed: bool) -> Tone {
    if failed {
        Tone::Bad
    } else {
        Tone::Good
    }
}

/// The tone of one handshake a client made: failed, a standard
/// post-quantum group, anything else that completed (a classical group, the
/// obsolete draft, TLS 1.2 without ECDHE), or no answer at all.
pub fn handshake(failed: bool, answered: bool, group: Option<NamedGroup>) -> Tone {
    if failed {
        Tone::Bad
    } else if !answered {
        Tone::Plain
    } else if group.is_some_and(|g| g.is_standard_post_quantum()) {
        Tone::Good
    } else {
        Tone::Warn
    }
}

/// What the colours of [`handshake`] mean, for a legend.
pub fn handshake_legend() -> String {
    format!(
        "{} post-quantum, {} classical (or the obsolete draft), {} the handshake fails",
        Tone::Good.called(),
        Tone::Warn.called(),
        Tone::Bad.called()
    )
}

/// The tone of a key or certificate: quantum-safe or not.
pub const fn key(quantum_safe: bool) -> Tone {
    if quantum_safe {
        Tone::Good
    } else {
        Tone::Warn
    }
}

/// The tone of one deadline judgement of a key.
pub const fn deadline(d: &Deadline) -> Tone {
    match d.status {
        DeadlineStatus::Acceptable => Tone::Good,
        DeadlineStatus::Disallowed => Tone::Bad,
        _ if d.valid_past_disallowance => Tone::Bad,
        _ => Tone::Warn,
    }
}

/// A certificate's validity against the deadlines it was judged by, each
/// way with its tone and meaning, in the order a legend lists them.
pub const VALIDITIES: [(Tone, &str); 4] = [
    (Tone::Good, "quantum-safe"),
    (Tone::Info, "classical but within its deadlines"),
    (Tone::Warn, "valid past a deprecation date"),
    (Tone::Bad, "valid past a disallowance date"),
];

/// Which of [`VALIDITIES`] a certificate is: past a disallowance date, past
/// a deprecation date, quantum-safe, or classical but within its dates.
pub fn validity(quantum_safe: bool, deadlines: &[Deadline]) -> (Tone, &'static str) {
    let at = if deadlines.iter().any(|d| d.valid_past_disallowance) {
        3
    } else if deadlines.iter().any(|d| d.valid_past_deprecation) {
        2
    } else if quantum_safe {
        0
    } else {
        1
    };
    VALIDITIES[at]
}

/// The CSS classes of a severity's text: its colour, bold from medium up.
pub fn severity_class(s: Severity) -> String {
    emphasis(self::severity(s), s >= Severity::Medium)
}

/// The CSS classes of text in `tone`, bold when `strong`.
pub fn emphasis(tone: Tone, strong: bool) -> String {
    let class = tone.class(Use::Text);
    if strong {
        format!("{class} heavy")
    } else {
        class
    }
}

impl Style {
    /// `text` in the terminal colour of `tone` when colour is on.
    pub fn paint(&self, tone: Tone, text: &str) -> String {
        let sgr = tone.palette().sgr;
        if self.color && !sgr.is_empty() {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// `text` in the colour of `standing`.
    pub fn standing(&self, standing: Standing, text: &str) -> String {
        self.paint(self::standing(standing), text)
    }

    /// A severity as printed (`HIGH`, `MEDIUM`, `LOW`), in its colour.
    pub fn severity(&self, severity: Severity) -> String {
        self.paint(self::severity(severity), &severity.name().to_uppercase())
    }
}

/// The text of a standing in a table cell: the word, and for a target that
/// could not be probed the error kind that says why (`unreachable
/// (refused)`, `error (alert)`; `no-tls` says it already).
pub fn standing_text(standing: Standing, error_kind: Option<crate::vocab::ErrorKind>) -> String {
    match (standing, error_kind) {
        (Standing::Unreachable | Standing::Error, Some(kind)) => format!("{standing} ({kind})"),
        _ => standing.name().to_string(),
    }
}

/// The HTML report's stylesheet: the layout, then one rule per tone and use.
pub fn stylesheet() -> String {
    let mut css = String::from(LAYOUT);
    for tone in Tone::ALL {
        let p = tone.palette();
        let _ = writeln!(
            css,
            ".{}{{background:{};color:{}}}.{}{{color:{}}}svg .{}{{fill:{}}}svg .{}{{stroke:{}}}",
            tone.class(Use::Badge),
            p.background,
            p.text,
            tone.class(Use::Text),
            p.text,
            tone.class(Use::Fill),
            p.fill,
            tone.class(Use::Line),
            p.line
        );
    }
    css
}

/// Everything of the stylesheet that is not a tone: fonts, spacing, borders.
const LAYOUT: &str = r#"body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#1d2327;background:#fff;font-size:14px;line-height:1.4}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;border-bottom:2px solid #d0d7de;padding-bottom:4px;margin-top:32px}
h3{font-size:16px;margin:18px 0 6px}
.lead{color:#57606a;margin-top:0}
table{border-collapse:collapse;width:100%;margin:8px 0 16px}
th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f5f7}
code,.mono{font-family:"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
.b{display:inline-block;padding:1px 6px;border-radius:3px;font-weight:bold;font-size:12px}
.heavy{font-weight:bold}
.gate{padding:8px 12px;border-radius:4px;font-weight:bold;margin:12px 0;border:1px solid currentColor}
.note{color:#57606a}
svg{max-width:100%;height:auto;display:block;margin:4px 0 12px}
svg text{font-family:"DejaVu Sans",Arial,sans-serif;font-size:12px;fill:#1d2327}
svg .dl{stroke:#374151;stroke-dasharray:4 3}svg .axis{stroke:#9ca3af}svg text.inv{fill:#fff}
svg .edge{fill:none;stroke-linejoin:round;stroke-linecap:round}svg .sd{stroke-dasharray:9 5}svg .unk{stroke-dasharray:1 5}svg .node{stroke-width:1.2}svg text.sub,svg text.el{font-size:11px}svg text.el{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}svg text.col{font-weight:bold}
footer{margin-top:40px;color:#6b7280;font-size:12px}
"#;

/// `header` and `rows` as left-aligned columns two spaces apart (trailing
/// spaces trimmed): the header line, then one line per row.
pub fn columns<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> (String, Vec<String>) {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        cells
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let head = line(&mut header.iter().copied());
    let lines = rows
        .iter()
        .map(|row| line(&mut row.iter().map(String::as_str)))
        .collect();
    (head, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_standing_has_its_own_chart_colour() {
        let fills: std::collections::BTreeSet<&str> = Standing::ALL
            .iter()
            .map(|s| self::standing(*s).palette().fill)
            .collect();
        assert_eq!(fills.len(), Standing::ALL.len());
        let css = stylesheet();
        for s in Standing::ALL {
            let tone = self::standing(*s);
            for usage in [Use::Badge, Use::Fill] {
                assert!(css.contains(&format!(".{}{{", tone.class(usage))), "{s}");
            }
        }
    }

    #[test]
    fn every_standing_has_its_own_line_colour_and_none_is_pale() {
        let lines: std::collections::BTreeSet<&str> = Standing::ALL
            .iter()
            .map(|s| self::standing(*s).palette().line)
            .collect();
        assert_eq!(lines.len(), Standing::ALL.len());
        let css = stylesheet();
        for s in Standing::ALL {
            let tone = self::standing(*s);
            let p = tone.palette();
            assert!(
                css.contains(&format!(
                    "svg .{}{{stroke:{}}}",
                    tone.class(Use::Line),
                    p.line
                )),
                "{s}"
            );
            // A thin line on white must be seen: no channel above 0xb0
            // on all three (the pale fills #cbd5e1, #e5e7eb would vanish).
            let channel = |i: usize| u8::from_str_radix(&p.line[i..i + 2], 16).unwrap();
            assert!(
                (1..7).step_by(2).any(|i| channel(i) < 0xb0),
                "{s}: {}",
                p.line
            );
        }
    }

    #[test]
    fn colour_only_when_asked() {
        let on = Style { color: true };
        let off = Style { color: false };
        assert_eq!(off.standing(Standing::Classical, "x"), "x");
        assert_eq!(on.standing(Standing::Classical, "x"), "\x1b[31mx\x1b[0m");
        assert_eq!(on.standing(Standing::Unknown, "x"), "x");
        assert_eq!(on.severity(Severity::High), "\x1b[31mHIGH\x1b[0m");
    }

    #[test]
    fn a_cell_says_why_a_target_could_not_be_probed() {
        use crate::vocab::ErrorKind;
        assert_eq!(
            standing_text(Standing::Unreachable, Some(ErrorKind::Refused)),
            "unreachable (refused)"
        );
        assert_eq!(
            standing_text(Standing::Error, Some(ErrorKind::Alert)),
            "error (alert)"
        );
        assert_eq!(
            standing_text(Standing::NoTls, Some(ErrorKind::NotTls)),
            "no-tls"
        );
        assert_eq!(standing_text(Standing::Pq, None), "pq");
    }
}
