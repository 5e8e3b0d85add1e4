//! Baselines (`--baseline OLD.json`): what changed since an earlier run.
//!
//! Owns: reading an earlier `-o json` output into a small [`Snapshot`] (per
//! subject — a target `host:port`, a cluster component `category/name`, a
//! file path, a binary path — its status and its findings), collecting the
//! same facts as the current run streams ([`Comparison::observe`]), and the
//! judgement of what changed ([`BaselineDiff`]): new and gone subjects,
//! regressions and improvements of the post-quantum status, new and fixed
//! findings. Must not: read files (commands hand over the text) or format
//! the result (each renderer shows it).

use super::{standing, Finding};
use crate::vocab::{ErrorKind, OfferVerdict, PqStatus, Standing};
use serde::Serialize;
use serde_json::Value;
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

/// Which command's results a document holds: a baseline compares only
/// like with like (the subjects of `certs` are files, of `probe` targets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Results {
    /// Targets: `probe` and `demo` (JSON Lines, one target per line).
    Targets,
    /// One `cluster` document.
    Cluster,
    /// One `certs` document.
    Certs,
    /// One `binaries` document.
    Binaries,
}

impl Results {
    /// The commands that write it.
    pub const fn commands(self) -> &'static str {
        match self {
            Results::Targets => "probe or demo",
            Results::Cluster => "cluster",
            Results::Certs => "certs",
            Results::Binaries => "binaries",
        }
    }
}

/// An earlier run, subject by subject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Every subject of the run.
    pub subjects: BTreeMap<String, SubjectFacts>,
    /// The kinds of results it held.
    pub results: BTreeSet<Results>,
}

/// The schema every pqready JSON document names (report::SCHEMA).
const SCHEMA: &str = "pqready/v1";

/// The subject name of the cluster as a whole (its document-level findings).
pub const CLUSTER_SUBJECT: &str = "cluster";

impl Snapshot {
    /// Reads the `-o json` output of probe, demo (JSON Lines of targets, maybe
    /// a `gate` and a `baseline` line), cluster, certs or binaries. The error
    /// says what is wrong in one line.
    pub fn from_json(text: &str) -> Result<Snapshot, String> {
        let mut snapshot = Snapshot::default();
        let mut documents = 0usize;
        for (n, value) in serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .enumerate()
        {
            let value = value.map_err(|e| format!("not JSON ({e})"))?;
            documents += 1;
            if value.get("schema").and_then(Value::as_str) != Some(SCHEMA) {
                return Err(format!(
                    "document {} is not pqready JSON output (no \"schema\": \"{}\")",
                    n + 1,
                    SCHEMA
                ));
            }
            let results = match value.get("kind").and_then(Value::as_str) {
                None => Some(Results::Targets),
                Some("cluster") => Some(Results::Cluster),
                Some("certs") => Some(Results::Certs),
                Some("binaries") => Some(Results::Binaries),
                _ => None,
            };
            snapshot.results.extend(results);
            match value.get("kind").and_then(Value::as_str) {
                None => {
                    snapshot.add_target(&value, None)?;
                }
                Some("gate" | "baseline") => {}
                Some("cluster") => snapshot.add_cluster(&value)?,
                Some("certs") => {
                    for file in array(&value, "files")? {
                        let path = string(file, "path")?;
                        snapshot.add(path, None, findings(file)?);
                    }
                }
                Some("binaries") => {
                    for binary in array(&value, "binaries")? {
                        let path = string(binary, "path")?;
                        // The offer that applies at run time, as the current run judges it.
                        let verdict = match binary.get("runtime").filter(|r| !r.is_null()) {
                            Some(runtime) => runtime.get("verdict"),
                            None => binary.get("verdict"),
                        };
                        let verdict = verdict.and_then(Value::as_str).and_then(OfferVerdict::parse);
                        snapshot.add(path, Some(standing::offer(verdict)), findings(binary)?);
                    }
                }
                Some(other) => {
                    return Err(format!(
                        "a `{other}` document, not the results of probe, demo, cluster, certs or binaries"
                    ))
                }
            }
        }
        if documents == 0 {
            return Err("empty: no pqready JSON document".into());
        }
        Ok(snapshot)
    }

    /// Refuses a baseline that holds results of another command than
    /// `expected` (whose subjects would all count as new and gone).
    pub fn expect(&self, expected: Results) -> Result<(), String> {
        match self.results.iter().find(|r| **r != expected) {
            Some(other) => Err(format!(
                "the results of {}, not of {}: compare a run with an earlier run of the same command",
                other.commands(),
                expected.commands()
            )),
            None => Ok(()),
        }
    }

    /// Adds a probed target (as `name`, else as its `target`) and returns
    /// where it stands: by its verdict and error kind, as the run judged it.
    fn add_target(
        &mut self,
        value: &Value,
        name: Option<String>,
    ) -> Result<Option<Standing>, String> {
        let target = string(value, "target")?;
        let status = value
            .get("verdict")
            .and_then(|v| v.get("status"))
            .and_then(Value::as_str)
            .ok_or("a target without verdict.status")?;
        let error_kind = value
            .get("error_kind")
            .and_then(Value::as_str)
            .and_then(ErrorKind::parse);
        // A status this version does not know is compared with nothing.
        let standing = PqStatus::parse(status).map(|s| standing::endpoint(s, error_kind));
        let subject = name.unwrap_or_else(|| target.to_string());
        self.add(&subject, standing, findings(value)?);
        Ok(standing)
    }

    fn add_cluster(&mut self, value: &Value) -> Result<(), String> {
        for c in array(value, "components")? {
            let component = c
                .get("component")
                .ok_or("a component without `component`")?;
            let subject =
                component_subject(string(component, "category")?, string(component, "name")?);
            let probed = match c.get("result").filter(|r| !r.is_null()) {
                Some(result) => self.add_target(result, Some(subject.clone()))?,
                None => None,
            };
            let reachable = c.get("reachable").and_then(Value::as_bool).unwrap_or(true);
            let speaks_tls = c.get("speaks_tls").and_then(Value::as_bool);
            // The component's standing, not its probe's, as the current run records it.
            self.subjects.entry(subject).or_default().status =
                Some(standing::component(reachable, speaks_tls, probed));
        }
        self.add(CLUSTER_SUBJECT, None, findings(value)?);
        Ok(())
    }

    fn add(
        &mut self,
        subject: &str,
        status: Option<Standing>,
        findings: Vec<(FindingKey, String)>,
    ) {
        let facts = SubjectFacts {
            status,
            findings: findings.into_iter().collect(),
        };
        self.subjects
            .entry(subject.to_string())
            .or_default()
            .merge(facts);
    }
}

/// The subject name of a cluster component: `category/name`.
pub fn component_subject(category: &str, name: &str) -> String {
    format!("{category}/{name}")
}

fn string<'a>(value: &'a Value, key: &str) -> Result<&'a str, String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("an object without a string `{key}`"))
}

fn array<'a>(value: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    value
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("an object without an array `{key}`"))
}

fn strings(value: &Value, key: &str) -> Vec<String> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn findings(value: &Value) -> Result<Vec<(FindingKey, String)>, String> {
    array(value, "findings")?
        .iter()
        .map(|f| {
            Ok((
                FindingKey {
                    id: string(f, "id")?.to_string(),
                    certificates: strings(f, "certificates"),
                    profiles: strings(f, "profiles"),
                },
                f.get("detail")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ))
        })
        .collect()
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
        self.current
            .subjects
            .entry(subject.to_string())
            .or_default()
            .merge(facts);
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
        let old = r#"{"schema":"pqready/v1","target":"a:443","verdict":{"status":"pq"},"findings":[{"id":"silent-downgrade","detail":"x","profiles":["go"],"certificates":[]}]}
{"schema":"pqready/v1","target":"gone:443","verdict":{"status":"classical"},"findings":[]}
{"schema":"pqready/v1","kind":"gate","failed":false}
"#;
        let mut c = Comparison::new(Snapshot::from_json(old).unwrap(), true);
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
        let old = r#"{"schema":"pqready/v1","target":"refused:1","verdict":{"status":"error"},"error_kind":"refused","findings":[]}
{"schema":"pqready/v1","target":"was-pq:1","verdict":{"status":"pq"},"findings":[]}
{"schema":"pqready/v1","target":"not-run:1","verdict":{"status":"unknown"},"findings":[]}
{"schema":"pqready/v1","target":"plain:1","verdict":{"status":"error"},"error_kind":"not-tls","findings":[]}
"#;
        let snapshot = Snapshot::from_json(old).unwrap();
        assert_eq!(
            snapshot.subjects["refused:1"].status,
            Some(Standing::Unreachable)
        );
        assert_eq!(snapshot.subjects["plain:1"].status, Some(Standing::NoTls));
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
    fn a_cluster_component_stands_by_its_reachability_before_its_probe() {
        let doc = r#"{"schema":"pqready/v1","kind":"cluster","findings":[],"components":[
{"component":{"category":"service","name":"far"},"reachable":false,"speaks_tls":null,
 "result":{"target":"10.0.0.1:443","verdict":{"status":"error"},"error_kind":"timeout","findings":[]}},
{"component":{"category":"service","name":"metrics"},"reachable":true,"speaks_tls":false,
 "result":{"target":"10.0.0.2:80","verdict":{"status":"error"},"error_kind":"not-tls","findings":[]}},
{"component":{"category":"apiserver","name":"api"},"reachable":true,"speaks_tls":true,
 "result":{"target":"10.0.0.3:6443","verdict":{"status":"pq"},"findings":[]}},
{"component":{"category":"webhook","name":"none"},"reachable":true,"speaks_tls":null,"result":null}]}"#;
        let s = Snapshot::from_json(doc).unwrap();
        let at = |name: &str| s.subjects[name].status;
        assert_eq!(at("service/far"), Some(Standing::Unreachable));
        assert_eq!(at("service/metrics"), Some(Standing::NoTls));
        assert_eq!(at("apiserver/api"), Some(Standing::Pq));
        assert_eq!(at("webhook/none"), Some(Standing::Error));
    }

    #[test]
    fn refuses_what_is_not_pqready_json() {
        assert!(Snapshot::from_json("").is_err());
        assert!(Snapshot::from_json("{\"version\":\"2.1.0\"}").is_err());
        assert!(Snapshot::from_json("not json").is_err());
        assert!(Snapshot::from_json("{\"schema\":\"pqready/v1\",\"kind\":\"profile\"}").is_err());
    }

    #[test]
    fn a_baseline_must_hold_the_same_command_results() {
        let certs =
            Snapshot::from_json(r#"{"schema":"pqready/v1","kind":"certs","files":[]}"#).unwrap();
        assert!(certs.expect(Results::Certs).is_ok());
        let err = certs.expect(Results::Targets).unwrap_err();
        assert!(
            err.contains("results of certs, not of probe or demo"),
            "{err}"
        );
        let probe = Snapshot::from_json(
            "{\"schema\":\"pqready/v1\",\"target\":\"a:1\",\"verdict\":{\"status\":\"pq\"},\"findings\":[]}\n\
             {\"schema\":\"pqready/v1\",\"kind\":\"gate\",\"failed\":false}",
        )
        .unwrap();
        assert!(probe.expect(Results::Targets).is_ok());
        assert!(probe.expect(Results::Binaries).is_err());
    }
}
