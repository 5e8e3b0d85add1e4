//! JSON Lines rendering: one [`TargetReport`] object per line, so results can
//! stream out as targets finish and memory stays flat on large scans. The
//! field contract is documented in docs/json.md.

use super::TargetReport;

/// One report as a single JSON line (no trailing newline).
pub fn to_line(report: &TargetReport) -> String {
    // Serialising plain data structures with string keys cannot fail.
    serde_json::to_string(report).expect("report serialises")
}
