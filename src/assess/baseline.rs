//! Baselines (`--baseline OLD.json`): what changed since an earlier run.
//!
//! Owns: the facts of a run per subject — a target `host:port`, a cluster
//! component `category/name`, a cluster edge `edge/client → server`, a file
//! path, a binary path — its status and
//! its findings ([`Snapshot`]), collected the same way from an earlier run's
//! documents (read back by `report::document`) and from the current run as
//! it streams ([`Comparison::observe`]), and the judgement of what changed
//! ([`BaselineDiff`]): new and gone subjects, regressions and improvements
//! of the post-quantum status, new and fixed findings. Must not: read or
//! parse files (commands hand over the documents) or format the result
//! (each renderer shows it).

use super::Finding;
use crate::vocab::{DocumentKind, Standing};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A finding's identity across runs: its kind, the certificates and the
/// client profiles it concerns (its detail text may change; it is not part
/// of the key).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FindingKey {
    /// The finding id (`silent-downgrade`, ...).
    pub id: String,
    /// Certificate fingerprints.
    pub certificates: Vec<String>,
    /// Client profiles.
    pub profiles: Vec<String>,
}

impl FindingKey {
    /// The key of `finding`.
    pub fn of(finding: &Finding) -> Self {
        FindingKey {
            id: finding.id.name().to_string(),
            certificates: finding.certificates.clone(),
            profiles: finding.profiles.clone(),
        }
    }
}

/// What a run says about one subject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectFacts {
    /// Where it stands; none for subjects without a standing (files, the
    /// cluster as a whole).
    pub status: Option<Standing>,
    /// Its findings, by key, with their detail.
    pub findings: BTreeMap<FindingKey, String>,
}

impl SubjectFacts {
    /// The facts of a subject with `status` and `findings` (the current run).
    pub fn new(status: Option<Standing>, findings: &[Finding]) -> Self {
        SubjectFacts {
            status,
            findings: findings
                .iter()
                .map(|f| (FindingKey::of(f), f.detail.clone()))
                .collect(),
        }
    }

    fn merge(&mut self, other: SubjectFacts) {
        if self.status.is_none() {
            self.status = other.status;
        }
        self.findings.extend(other.findings);
    }
}

/// An earlier run, subject by subject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Every subject of the run.
    pub subjects: BTreeMap<String, SubjectFacts>,
    /// The kinds of results it held: a baseline compares only like with
    /// like (the subjects of `certs` are files, of `probe` targets).
    pub results: BTreeSet<DocumentKind>,
}

/// The subject name of the cluster as a whole (its document-level findings).
pub const CLUSTER_SUBJECT: &str = "cluster";

impl Snapshot {
    /// Records what a run says about `subject` (merged with what it said
    /// before: a subject may be reported in parts).
    pub fn observe(&mut self, subject: &str, facts: SubjectFacts) {
        self.subjects
            .entry(subject.to_string())
            .or_default()
            .merge(facts);
    }

    /// Refuses a baseline that holds results of another command than
    /// `expected` (whose subjects would all count as new and gone).
    pub fn expect(&self, expected: DocumentKind) -> Result<(), OtherCommand> {
        match self.results.iter().find(|r| **r != expected) {
            Some(other) => Err(OtherCommand {
                found: *other,
                expected,
            }),
            None => Ok(()),
        }
    }
}

/// A baseline holding the results of another command than the current
/// run's (`commands` prefixes the flag and the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the results of {}, not of {}: compare a run with an earlier run of the same command",
    found.commands(),
    expected.commands()
)]
pub struct OtherCommand {
    /// What the baseline holds.
    pub found: DocumentKind,
    /// What the current run produces.
    pub expected: DocumentKind,
}

/// The subject name of a cluster component: `category/name`.
pub fn component_subject(category: &str, name: &str) -> String {
    format!("{category}/{name}")
}

/// The subject name of a cluster edge: `edge/<client> → <server>`.
pub fn edge_subject(label: &str) -> String {
    format!("edge/{label}")
}

/// The subject name of an edge `observe` saw: `observed/<client> → <server>`
/// (`assess::observed::edge_label`).
pub fn observed_edge_subject(label: &str) -> String {
    format!("observed/{label}")
}

/// A subject whose status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct StatusChange {
    /// The target, component (`category/name`), file or binary.
    pub subject: String,
    /// Where it stood in the baseline.
    pub from: Standing,
    /// Where it stands now.
    pub to: Standing,
}

/// A finding that appeared or went away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FindingChange {
    /// The target, component (`category/name`), file or binary.
    pub subject: String,
    /// The finding id.
    pub id: String,
    /// What the finding says (now for a new one, then for a fixed one).
    pub detail: String,
    /// The certificates it concerns, by SHA-256 fingerprint.
    pub certificates: Vec<String>,
    /// The client profiles it concerns.
    pub profiles: Vec<String>,
}

impl FindingChange {
    fn new(subject: &str, key: &FindingKey, detail: &str) -> Self {
        FindingChange {
            subject: subject.to_string(),
            id: key.id.clone(),
            detail: detail.to_string(),
            certificates: key.certificates.clone(),
            profiles: key.profiles.clone(),
        }
    }

    /// True if this change is about `finding` of `subject`.
    pub fn is(&self, subject: &str, finding: &Finding) -> bool {
        self.subject == subject
            && self.id == finding.id.name()
            && self.certificates == finding.certificates
            && self.profiles == finding.profiles
    }
}

/// What changed since the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct BaselineDiff {
    /// Subjects not in the baseline.
    pub new_subjects: Vec<String>,
    /// Subjects of the baseline this run did not report.
    pub gone_subjects: Vec<String>,
    /// Subjects whose standing got worse (by `Standing::rank`: pq →
    /// draft-only → classical → no-tls → unreachable → error; never to or
    /// from unknown).
    pub regressions: Vec<StatusChange>,
    /// Subjects whose status got better.
    pub improvements: Vec<StatusChange>,
    /// Findings not in the baseline (including those of new subjects).
    pub new_findings: Vec<FindingChange>,
    /// Findings of the baseline that are gone from a subject still reported.
    pub fixed_findings: Vec<FindingChange>,
    /// Findings in both.
    pub unchanged_findings: u64,
    /// True when there is a regression or a new finding.
    pub changed: bool,
    /// True when `--fail-on-change` was given.
    pub fail_on_change: bool,
    /// True when `--fail-on-change` was given and something changed (exit status 1).
    pub failed: bool,
}

/// The comparison of a run, as it streams, with a baseline.
#[derive(Debug, Clone)]
pub struct Comparison {
    baseline: Snapshot,
    current: Snapshot,
    fail_on_change: bool,
}

impl Comparison {
    /// A comparison with `baseline`; `fail_on_change` makes a change fail the run.
    pub fn new(baseline: Snapshot, fail_on_change: bool) -> Self {
        Comparison {
            baseline,
            current: Snapshot::default(),
            fail_on_change,
        }
    }

    /// Records what the current run says about `subject`.
    pub fn observe(&mut self, subject: &str, facts: SubjectFacts) {
        self.current.observe(subject, facts);
    }

    /// What changed, subject by subject in name order.
    pub fn diff(&self) -> BaselineDiff {
        let mut d = BaselineDiff {
            new_subjects: Vec::new(),
            gone_subjects: Vec::new(),
            regressions: Vec::new(),
            improvements: Vec::new(),
            new_findings: Vec::new(),
            fixed_findings: Vec::new(),
            unchanged_findings: 0,
            changed: false,
            fail_on_change: self.fail_on_change,
            failed: false,
        };
        let names: BTreeSet<&String> = self
            .baseline
            .subjects
            .keys()
            .chain(self.current.subjects.keys())
            .collect();
        let empty = SubjectFacts::default();
        for name in names {
            let (old, now) = match (
                self.baseline.subjects.get(name),
                self.current.subjects.get(name),
            ) {
                (Some(_), None) => {
                    d.gone_subjects.push(name.clone());
                    continue;
                }
                (None, Some(now)) => {
                    d.new_subjects.push(name.clone());
                    (&empty, now)
                }
                (Some(old), Some(now)) => (old, now),
                (None, None) => continue,
            };
            if let (Some(from), Some(to)) = (old.status, now.status) {
                let change = StatusChange {
                    subject: name.clone(),
                    from,
                    to,
                };
                if to.is_worse_than(from) {
                    d.regressions.push(change);
                } else if from.is_worse_than(to) {
                    d.improvements.push(change);
                }
            }
            for (key, detail) in &now.findings {
                if old.findings.contains_key(key) {
                    d.unchanged_findings += 1;
                } else {
                    d.new_findings.push(FindingChange::new(name, key, detail));
                }
            }
            for (key, detail) in &old.findings {
                if !now.findings.contains_key(key) {
                    d.fixed_findings.push(FindingChange::new(name, key, detail));
                }
            }
        }
        d.changed = !d.regressions.is_empty() || !d.new_findings.is_empty();
        d.failed = d.fail_on_change && d.changed;
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::FindingKind;

    fn finding(kind: FindingKind, profile: &str) -> Finding {
        Finding::new(kind, "d".into(), String::new(), vec![profile.into()])
    }

    #[test]
    fn regressions_new_and_fixed_findings() {
        let mut old = Snapshot::default();
        old.results.insert(DocumentKind::Target);
        old.observe(
            "a:443",
            SubjectFacts::new(
                Some(Standing::Pq),
                &[finding(FindingKind::SilentDowngrade, "go")],
            ),
        );
        old.observe(
            "gone:443",
            SubjectFacts::new(Some(Standing::Classical), &[]),
        );
        let mut c = Comparison::new(old, true);
        c.observe(
            "a:443",
            SubjectFacts::new(
                Some(Standing::Classical),
                &[finding(FindingKind::ClassicalClient, "curl")],
            ),
        );
        c.observe("b:443", SubjectFacts::new(Some(Standing::Pq), &[]));
        let d = c.diff();
        assert_eq!(d.new_subjects, ["b:443"]);
        assert_eq!(d.gone_subjects, ["gone:443"]);
        assert_eq!(d.regressions.len(), 1);
        assert_eq!(
            (d.regressions[0].from, d.regressions[0].to),
            (Standing::Pq, Standing::Classical)
        );
        assert_eq!(d.new_findings.len(), 1);
        assert_eq!(d.fixed_findings[0].id, "silent-downgrade");
        assert!(d.failed);
    }

    #[test]
    fn standings_are_compared_by_their_one_ranking() {
        let mut snapshot = Snapshot::default();
        for (subject, standing) in [
            ("refused:1", Standing::Unreachable),
            ("was-pq:1", Standing::Pq),
            ("not-run:1", Standing::Unknown),
            ("plain:1", Standing::NoTls),
        ] {
            snapshot.observe(subject, SubjectFacts::new(Some(standing), &[]));
        }
        let mut c = Comparison::new(snapshot, false);
        c.observe(
            "refused:1",
            SubjectFacts::new(Some(Standing::Unreachable), &[]),
        );
        c.observe(
            "was-pq:1",
            SubjectFacts::new(Some(Standing::Unreachable), &[]),
        );
        c.observe(
            "not-run:1",
            SubjectFacts::new(Some(Standing::Classical), &[]),
        );
        c.observe("plain:1", SubjectFacts::new(Some(Standing::Pq), &[]));
        let d = c.diff();
        let changes = |list: &[StatusChange]| -> Vec<(String, Standing, Standing)> {
            list.iter()
                .map(|c| (c.subject.clone(), c.from, c.to))
                .collect()
        };
        assert_eq!(
            changes(&d.regressions),
            [("was-pq:1".into(), Standing::Pq, Standing::Unreachable)]
        );
        assert_eq!(
            changes(&d.improvements),
            [("plain:1".into(), Standing::NoTls, Standing::Pq)]
        );
    }

    #[test]
    fn a_baseline_must_hold_the_same_command_results() {
        let mut certs = Snapshot::default();
        certs.results.insert(DocumentKind::Certs);
        assert!(certs.expect(DocumentKind::Certs).is_ok());
        let err = certs.expect(DocumentKind::Target).unwrap_err();
        assert_eq!(
            err,
            OtherCommand {
                found: DocumentKind::Certs,
                expected: DocumentKind::Target
            }
        );
        assert!(
            err.to_string()
                .contains("results of certs, not of probe or demo"),
            "{err}"
        );
        let mut probe = Snapshot::default();
        probe.results.insert(DocumentKind::Target);
        assert!(probe.expect(DocumentKind::Target).is_ok());
        assert!(probe.expect(DocumentKind::Binaries).is_err());
    }
}
