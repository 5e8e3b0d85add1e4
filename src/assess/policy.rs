//! `--policy FILE`: an organisation's own rules, applied on top of the
//! standing judgement, and the exceptions it has accepted.
//!
//! Owns: the policy file's model (YAML; its JSON Schema is
//! docs/schema/policy.schema.json), the rules (post-quantum key exchange
//! required per component category or target pattern, draft-only forbidden,
//! big-ClientHello tolerance required, a latest acceptable notAfter for
//! quantum-vulnerable certificates) as findings, and exceptions: a finding an
//! exception covers is marked with its reason and expiry and no longer counts
//! for the gate, until the exception expires, when it counts again and says so.
//! Must not: read the file (that is `commands`) or format anything.

use super::certs::JudgedCertificate;
use super::{Finding, HelloTolerance};
use crate::vocab::{ComponentCategory, FindingKind, PqStatus, Severity, ToleranceVerdict};
use serde::{Deserialize, Serialize};

/// A policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Endpoints that must negotiate post-quantum key exchange (verdict `pq`):
    /// each entry selects by component category, target pattern, or both.
    #[serde(default)]
    pub require_pq: Vec<Selector>,
    /// Fail endpoints that offer only the obsolete X25519Kyber768Draft00.
    #[serde(default)]
    pub forbid_draft_only: bool,
    /// Require every probed endpoint to tolerate post-quantum-sized
    /// ClientHellos (the hello-tolerance check must run and pass).
    #[serde(default)]
    pub require_hello_tolerance: bool,
    /// The latest acceptable notAfter (`YYYY-MM-DD`) of a certificate with
    /// a quantum-vulnerable key.
    #[serde(default)]
    pub classical_certificates_not_after: Option<String>,
    /// Endpoints that carry secrets or credentials besides those pqready
    /// knows (a cluster's API server, etcd, webhooks and aggregated APIs):
    /// their `classical-key-exchange` finding is high.
    #[serde(default)]
    pub sensitive: Vec<Selector>,
    /// Severities the organisation sets for findings, by finding id and,
    /// optionally, component category or target pattern; the first entry
    /// that matches a finding wins.
    #[serde(default)]
    pub severity_overrides: Vec<SeverityOverride>,
    /// Accepted exceptions.
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

/// One `severity_overrides` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityOverride {
    /// The finding it applies to.
    pub finding: FindingKind,
    /// Only in this component category (`cluster`).
    #[serde(default)]
    pub category: Option<ComponentCategory>,
    /// Only for targets, component names or file paths this pattern matches.
    #[serde(default)]
    pub target: Option<String>,
    /// The severity to report instead of the default.
    pub severity: Severity,
}

/// Which endpoints a rule covers: all given conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// A component category (`cluster`): `apiserver`, `etcd`, `kubelet`, …
    #[serde(default)]
    pub category: Option<ComponentCategory>,
    /// A pattern over the target (`host:port`), the component name or the
    /// file path; `*` matches any run of characters.
    #[serde(default)]
    pub target: Option<String>,
}

/// An accepted exception.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// A pattern over the target, component name or file path (`*` wildcards).
    pub target: String,
    /// The finding it accepts; every finding of the target when absent.
    #[serde(default)]
    pub finding: Option<FindingKind>,
    /// Why it is accepted.
    pub reason: String,
    /// The last day it applies (`YYYY-MM-DD`).
    pub expires: String,
}

/// An exception applied to a finding, as reported next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct AppliedException {
    /// Why it was accepted.
    pub reason: String,
    /// The last day it applies.
    pub expires: String,
    /// True when that day has passed: the finding counts again.
    pub expired: bool,
}

impl Selector {
    fn selects(&self, subject: &Subject<'_>) -> bool {
        subject.selected_by(self.category, self.target.as_deref())
    }
}

/// What a rule is applied to.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The target (`host:port`) or file path.
    pub target: &'a str,
    /// The component's name, in a cluster.
    pub name: Option<&'a str>,
    /// The component's category, in a cluster.
    pub category: Option<ComponentCategory>,
}

impl Subject<'_> {
    /// True when it is in `category` and matches `target`, each when given.
    fn selected_by(&self, category: Option<ComponentCategory>, target: Option<&str>) -> bool {
        category.is_none_or(|c| Some(c) == self.category) && target.is_none_or(|t| self.matches(t))
    }

    fn matches(&self, pattern: &str) -> bool {
        glob(pattern, self.target) || self.name.is_some_and(|n| glob(pattern, n))
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Why a policy file was refused (one line; `commands` prefixes the flag
/// and the file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not YAML, or not the policy model: the parser's first line, which
    /// names the place and the field, not the file's other contents.
    #[error("{0}")]
    Syntax(String),
    /// A date that is not YYYY-MM-DD.
    #[error("invalid {field} '{text}': use YYYY-MM-DD")]
    Date {
        /// The field holding it.
        field: &'static str,
        /// The text given.
        text: String,
    },
    /// An exception (for this target pattern) without a reason.
    #[error("exception for '{0}' has no reason")]
    NoReason(String),
    /// A `require_pq` or `sensitive` entry that selects nothing.
    #[error("a {0} entry needs a category, a target or both")]
    EmptySelector(&'static str),
}

fn parse_date(text: &str, field: &'static str) -> Result<i64, PolicyError> {
    let bad = || PolicyError::Date {
        field,
        text: text.to_string(),
    };
    let mut parts = text.splitn(3, '-');
    let mut next = |len: usize| {
        parts
            .next()
            .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (year, month, day) = (next(4)?, next(2)?, next(2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    Ok(crate::time::unix_of_date(year, month, day))
}

impl Policy {
    /// Reads a policy from YAML (JSON is YAML too) and checks its dates.
    pub fn from_yaml(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = serde_saphyr::from_str(text).map_err(|e| {
            // The parser's message names the place and the field, not the
            // file's other contents.
            // Its "error: " prefix would double ours.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("not a policy");
            PolicyError::Syntax(first.strip_prefix("error: ").unwrap_or(first).to_string())
        })?;
        if let Some(date) = &policy.classical_certificates_not_after {
            parse_date(date, "classical_certificates_not_after")?;
        }
        for e in &policy.exceptions {
            parse_date(&e.expires, "exception expires")?;
            if e.reason.trim().is_empty() {
                return Err(PolicyError::NoReason(e.target.clone()));
            }
        }
        for (list, name) in [
            (&policy.require_pq, "require_pq"),
            (&policy.sensitive, "sensitive"),
        ] {
            if list
                .iter()
                .any(|s| s.category.is_none() && s.target.is_none())
            {
                return Err(PolicyError::EmptySelector(name));
            }
        }
        Ok(policy)
    }

    fn requires_pq(&self, subject: &Subject<'_>) -> bool {
        self.require_pq.iter().any(|s| s.selects(subject))
    }

    /// Why the policy counts this endpoint as carrying secrets, when it does.
    pub fn marks_sensitive(&self, subject: &Subject<'_>) -> Option<String> {
        self.sensitive.iter().find(|s| s.selects(subject)).map(|s| {
            let by = match (&s.category, &s.target) {
                (Some(c), Some(t)) => format!("category {c}, target {t}"),
                (Some(c), None) => format!("category {c}"),
                (None, Some(t)) => format!("target {t}"),
                (None, None) => "every endpoint".to_string(),
            };
            format!("the policy marks it sensitive ({by})")
        })
    }

    /// Sets the severity of each finding a `severity_overrides` entry
    /// matches (the first one that does).
    pub fn override_severities(&self, subject: &Subject<'_>, findings: &mut [Finding]) {
        for finding in findings.iter_mut() {
            let entry = self.severity_overrides.iter().find(|o| {
                o.finding == finding.id && subject.selected_by(o.category, o.target.as_deref())
            });
            if let Some(entry) = entry {
                finding.severity = entry.severity;
            }
        }
    }

    /// The policy's findings about one probed endpoint.
    pub fn endpoint_findings(
        &self,
        subject: &Subject<'_>,
        status: PqStatus,
        hello_tolerance: Option<&HelloTolerance>,
        certificates: &[JudgedCertificate],
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let who = subject.name.unwrap_or(subject.target);
        if self.requires_pq(subject) && status != PqStatus::Pq {
            out.push(policy_finding(
                FindingKind::PolicyPqRequired,
                format!(
                    "{who}: the policy requires post-quantum key exchange; the verdict is {status}"
                ),
            ));
        }
        if self.forbid_draft_only && status == PqStatus::DraftOnly {
            out.push(policy_finding(
                FindingKind::PolicyDraftOnly,
                format!("{who}: only X25519Kyber768Draft00, which the policy forbids"),
            ));
        }
        if self.require_hello_tolerance {
            let verdict = hello_tolerance.map(|t| t.verdict);
            if verdict != Some(ToleranceVerdict::Tolerant) {
                let what = match verdict {
                    Some(v) => format!("big-ClientHello tolerance is {v}"),
                    None => "big-ClientHello tolerance was not tested".to_string(),
                };
                out.push(policy_finding(
                    FindingKind::PolicyHelloTolerance,
                    format!("{who}: the policy requires it; {what}"),
                ));
            }
        }
        out.extend(self.certificate_findings(subject, certificates));
        out
    }

    /// The policy's findings about certificates (served, or read from a file).
    pub fn certificate_findings(
        &self,
        subject: &Subject<'_>,
        certificates: &[JudgedCertificate],
    ) -> Vec<Finding> {
        let Some(limit) = &self.classical_certificates_not_after else {
            return Vec::new();
        };
        // Valid through the whole limit day.
        let Ok(end) = parse_date(limit, "classical_certificates_not_after").map(|d| d + 86_400)
        else {
            return Vec::new();
        };
        let who = subject.name.unwrap_or(subject.target);
        certificates
            .iter()
            .filter(|c| c.facts.key.family.quantum_vulnerable() && c.facts.not_after_unix >= end)
            .map(|c| {
                policy_finding(
                    FindingKind::PolicyCertificateNotAfter,
                    format!(
                        "{who}: {} ({}) is valid until {}, past the policy's {limit}",
                        c.facts.short_name(),
                        c.facts.key.describe(),
                        crate::time::date(c.facts.not_after_unix)
                    ),
                )
                .about_certificate(&c.facts.fingerprint_sha256)
            })
            .collect()
    }

    /// Marks each finding an exception covers (the first matching one), as
    /// of `now` (seconds since 1970).
    pub fn apply_exceptions(&self, subject: &Subject<'_>, findings: &mut [Finding], now: i64) {
        for finding in findings.iter_mut() {
            let covering = self
                .exceptions
                .iter()
                .find(|e| subject.matches(&e.target) && e.finding.is_none_or(|k| k == finding.id));
            if let Some(e) = covering {
                let last_day = parse_date(&e.expires, "expires").unwrap_or(i64::MIN);
                finding.exception = Some(AppliedException {
                    reason: e.reason.clone(),
                    expires: e.expires.clone(),
                    expired: now >= last_day + 86_400,
                });
            }
        }
    }
}

fn policy_finding(kind: FindingKind, detail: String) -> Finding {
    Finding::new(kind, detail, kind.remediation().into(), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
require_pq:
  - category: apiserver
  - target: "*.prod.example:443"
forbid_draft_only: true
require_hello_tolerance: true
classical_certificates_not_after: 2030-12-31
exceptions:
  - target: "legacy.prod.example:443"
    finding: policy-pq-required
    reason: vendor appliance, replacement ordered
    expires: 2027-06-30
"#;

    #[test]
    fn reads_and_applies_a_policy() {
        let policy = Policy::from_yaml(POLICY).unwrap();
        let api = Subject {
            target: "10.0.0.1:6443",
            name: Some("kube-apiserver"),
            category: Some(ComponentCategory::Apiserver),
        };
        let kinds = |f: Vec<Finding>| f.iter().map(|f| f.id).collect::<Vec<_>>();
        assert_eq!(
            kinds(policy.endpoint_findings(&api, PqStatus::Classical, None, &[])),
            vec![
                FindingKind::PolicyPqRequired,
                FindingKind::PolicyHelloTolerance
            ]
        );
        let legacy = Subject {
            target: "legacy.prod.example:443",
            name: None,
            category: None,
        };
        let mut findings = policy.endpoint_findings(&legacy, PqStatus::DraftOnly, None, &[]);
        assert_eq!(
            kinds(findings.clone()),
            vec![
                FindingKind::PolicyPqRequired,
                FindingKind::PolicyDraftOnly,
                FindingKind::PolicyHelloTolerance
            ]
        );
        let before = crate::time::unix_of_date(2027, 6, 30);
        policy.apply_exceptions(&legacy, &mut findings, before);
        let e = findings[0].exception.as_ref().unwrap();
        assert!(!e.expired && e.reason.starts_with("vendor"));
        assert!(findings[1].exception.is_none(), "only the named finding");
        policy.apply_exceptions(&legacy, &mut findings, before + 86_400);
        assert!(findings[0].exception.as_ref().unwrap().expired);
    }

    #[test]
    fn rejects_bad_policies() {
        assert_eq!(
            Policy::from_yaml("require_pq: [{}]"),
            Err(PolicyError::EmptySelector("require_pq"))
        );
        assert!(matches!(
            Policy::from_yaml("unknown_rule: true"),
            Err(PolicyError::Syntax(_))
        ));
        assert_eq!(
            Policy::from_yaml("classical_certificates_not_after: 2030-13-01"),
            Err(PolicyError::Date {
                field: "classical_certificates_not_after",
                text: "2030-13-01".into()
            })
        );
        assert_eq!(
            Policy::from_yaml("exceptions: [{target: x, reason: '', expires: 2027-01-01}]"),
            Err(PolicyError::NoReason("x".into()))
        );
        assert!(matches!(
            Policy::from_yaml("require_pq: [{category: toaster}]"),
            Err(PolicyError::Syntax(_))
        ));
    }

    #[test]
    fn globs() {
        assert!(glob("*.prod.example:443", "a.prod.example:443"));
        assert!(!glob("*.prod.example:443", "a.prod.example:8443"));
        assert!(glob("10.0.*:6443", "10.0.3.4:6443"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxc"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }
}
