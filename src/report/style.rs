//! How text is laid out and painted for a terminal: columns, colour on or
//! off, and the colour of each verdict. Every table renderer shares it.

use crate::vocab::{PqStatus, Severity};

/// Output options.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

impl Style {
    /// Wraps `text` in the ANSI colour `code` when colour is on.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Paints `text` in the colour of `status`.
    pub fn status(&self, status: PqStatus, text: &str) -> String {
        let code = match status {
            PqStatus::Pq => "32",
            PqStatus::DraftOnly => "33",
            PqStatus::Classical | PqStatus::Error => "31",
            PqStatus::Unknown => "0",
        };
        self.paint(code, text)
    }

    /// A severity as printed (`HIGH`, `MEDIUM`, `LOW`), in its colour.
    pub fn severity(&self, severity: Severity) -> String {
        let code = match severity {
            Severity::High => "31",
            Severity::Medium => "33",
            _ => "0",
        };
        self.paint(code, &severity.name().to_uppercase())
    }
}

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
