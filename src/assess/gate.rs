//! The CI gate: whether the findings of a run fail it (`--fail-on`).
//!
//! Owns: counting findings by severity as a run streams them, and the
//! decision. Must not: format it (each renderer shows it in its format) or
//! set the exit status (that is `commands`).

use super::Finding;
use crate::vocab::Severity;
use serde::Serialize;

/// Counts findings against a threshold while results stream.
#[derive(Debug, Clone)]
pub struct Gate {
    fail_on: Severity,
    counts: [u64; Severity::ALL.len()],
}

/// What the gate decided, for every format to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct GateDecision {
    /// The threshold (`--fail-on`).
    pub fail_on: Severity,
    /// True when at least one finding is at or above it (exit status 1).
    pub failed: bool,
    /// Findings at or above the threshold.
    pub findings_at_or_above: u64,
    /// Every finding of the run, by severity.
    pub findings: SeverityCounts,
}

/// Findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SeverityCounts {
    /// `high`.
    pub high: u64,
    /// `medium`.
    pub medium: u64,
    /// `low`.
    pub low: u64,
    /// `info`.
    pub info: u64,
}

impl Gate {
    /// A gate failing on findings at or above `fail_on`.
    pub fn new(fail_on: Severity) -> Self {
        Gate {
            fail_on,
            counts: [0; Severity::ALL.len()],
        }
    }

    /// Counts one finding.
    pub fn observe(&mut self, finding: &Finding) {
        self.counts[finding.severity as usize] += 1;
    }

    /// The decision over every finding observed so far.
    pub fn decision(&self) -> GateDecision {
        let count = |s: Severity| self.counts[s as usize];
        let at_or_above: u64 = Severity::ALL
            .iter()
            .filter(|s| **s >= self.fail_on)
            .map(|s| count(*s))
            .sum();
        GateDecision {
            fail_on: self.fail_on,
            failed: at_or_above > 0,
            findings_at_or_above: at_or_above,
            findings: SeverityCounts {
                high: count(Severity::High),
                medium: count(Severity::Medium),
                low: count(Severity::Low),
                info: count(Severity::Info),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::FindingKind;

    fn finding(kind: FindingKind) -> Finding {
        Finding::new(kind, String::new(), String::new(), Vec::new())
    }

    #[test]
    fn fails_at_or_above_the_threshold() {
        let mut gate = Gate::new(Severity::Medium);
        gate.observe(&finding(FindingKind::QuantumVulnerableKey));
        assert!(!gate.decision().failed);
        gate.observe(&finding(FindingKind::MixedChain));
        gate.observe(&finding(FindingKind::SilentDowngrade));
        let d = gate.decision();
        assert!(d.failed);
        assert_eq!(d.findings_at_or_above, 2);
        assert_eq!(
            (d.findings.high, d.findings.medium, d.findings.low),
            (1, 1, 1)
        );
    }
}
