//! How text is painted for a terminal: colour on or off, and the colour of
//! each verdict. Every table renderer shares it.

use crate::vocab::PqStatus;

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
}
