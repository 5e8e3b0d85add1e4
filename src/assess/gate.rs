//! The CI gate: whether the findings of a run fail it (`--fail-on`).
//!
//! Owns: counting findings by severity as a run streams them, and the
//! decision. Must not: format it (each renderer shows it in its format) or
//! set the exit status (that is `commands`).

use super::Finding;
use crate::vocab::Severity;
use serde::Serialize;

/// Counts findings against a threshold (and the policy's rules) while
/// results stream.
#[derive(Debug, Clone)]
pub struct Gate {
    fail_on: Option<Severity>,
    policy: bool,
    counts: [u64; Severity::ALL.len()],
    policy_violations: u64,
    excepted: u64,
}

/// What the gate decided, for every format to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct GateDecision {
    /// The threshold (`--fail-on`); null when only `--policy` gates.
    pub fail_on: Option<Severity>,
    /// True when a finding at or above the threshold, or a policy violation,
    /// remains (exit status 1).
    pub failed: bool,
    /// Findings at or above the threshold (0 without `--fail-on`).
    pub findings_at_or_above: u64,
    /// `--policy` rule violations (`policy-*` findings) that remain; null without `--policy`.
    pub policy_violations: Option<u64>,
    /// Findings a `--policy` exception accepts (not counted above).
    pub excepted: u64,
    /// Every finding of the run that counts, by severity.
    pub findings: SeverityCounts,
}

/// Findings by severity.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
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
    /// A gate failing on findings at or above `fail_on`, and on policy
    /// violations when `policy` is set.
    pub fn new(fail_on: Option<Severity>, policy: bool) -> Self {
        Gate {
            fail_on,
            policy,
            counts: [0; Severity::ALL.len()],
            policy_violations: 0,
            excepted: 0,
        }
    }

    /// Counts one finding (unless an exception accepts it).
    pub fn observe(&mut self, finding: &Finding) {
        if !finding.counts() {
            self.excepted += 1;
            return;
        }
        self.counts[finding.severity as usize] += 1;
        if finding.id.name().starts_with("policy-") {
            self.policy_violations += 1;
        }
    }

    /// The decision over every finding observed so far.
    pub fn decision(&self) -> GateDecision {
        let count = |s: Severity| self.counts[s as usize];
        let at_or_above: u64 = match self.fail_on {
            Some(threshold) => Severity::ALL
                .iter()
                .filter(|s| **s >= threshold)
                .map(|s| count(*s))
                .sum(),
            None => 0,
        };
        let policy_violations = self.policy.then_some(self.policy_violations);
        GateDecision {
            fail_on: self.fail_on,
            failed: at_or_above > 0 || policy_violations.is_some_and(|n| n > 0),
            findings_at_or_above: at_or_above,
            policy_violations,
            excepted: self.excepted,
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
        let mut gate = Gate::new(Some(Severity::Medium), false);
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
