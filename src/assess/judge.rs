//! The judge: one entry per subject (a probed endpoint, a cluster
//! component, a certificate file, a Go binary), each running the same steps
//! in the same order: the standing rules, then the policy's rules, then the
//! policy's severity overrides and exceptions, then sorting, most severe
//! first. Commands hand it facts and a [`Subject`]; renderers receive the
//! result and never judge again.
//!
//! Must not: probe, read files or format; it only calls the rule modules of
//! `assess` and the policy.

use super::certs::CertRules;
use super::cluster::{self, Expected};
use super::policy::{Policy, Subject};
use super::{endpoint_with, key_exchange, CheckJudge, EndpointAssessment, Finding};
use crate::probe::TargetObservation;
use crate::vocab::PqStatus;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How one run judges: certificate deadline rules and the `--policy`, if any.
#[derive(Debug, Clone, Default)]
pub struct Judge {
    /// `--deadlines` (and the time taken as now).
    pub rules: CertRules,
    /// `--policy`.
    pub policy: Option<Arc<Policy>>,
}

impl Judge {
    /// A judge with these rules and this policy.
    pub fn new(rules: CertRules, policy: Option<Arc<Policy>>) -> Self {
        Judge { rules, policy }
    }

    /// A probed endpoint: key exchange, then each of `checks`' hooks (client
    /// profiles, hello tolerance, served certificates and authentication),
    /// then the policy.
    pub fn endpoint<J: CheckJudge + ?Sized>(
        &self,
        obs: &TargetObservation,
        subject: &Subject<'_>,
        checks: &[&J],
    ) -> EndpointAssessment {
        // No TLS check ran on an SSH server; its own rules judge it.
        let mut assessed = match &obs.ssh {
            Some(ssh) => super::ssh::endpoint(ssh),
            None => endpoint_with(obs, &self.rules, checks),
        };
        let mut findings =
            key_exchange::findings(obs, &assessed.verdict, subject, self.policy.as_deref());
        if obs.ssh.is_some() {
            // A classical SSH server that carries secrets weighs as a TLS one does.
            if let Some(reason) = key_exchange::carries_secrets(subject, self.policy.as_deref()) {
                for f in &mut assessed.findings {
                    if let Some(raised) = f.id.sensitive_severity() {
                        f.severity = raised;
                        f.detail.push_str(&format!("; {reason}"));
                    }
                }
            }
        }
        findings.append(&mut assessed.findings);
        if let Some(policy) = &self.policy {
            findings.extend(policy.endpoint_findings(
                subject,
                assessed.verdict.status,
                assessed.hello_tolerance.as_ref(),
                &assessed.certificates,
            ));
            if obs.ssh.is_some() {
                // SSH has no ClientHello to tolerate.
                findings.retain(|f| f.id != crate::vocab::FindingKind::PolicyHelloTolerance);
            }
        }
        self.finish(subject, &mut findings);
        assessed.findings = findings;
        assessed
    }

    /// An endpoint judged and saved by an earlier pqready (`pqready
    /// report`): the rules added since, whose findings it lacks, are applied
    /// to its saved observation. Its other findings, with the policy and
    /// exceptions they were judged with, stay as saved.
    pub fn saved_endpoint(
        &self,
        obs: &TargetObservation,
        assessed: &mut EndpointAssessment,
        subject: &Subject<'_>,
    ) {
        let missing: Vec<Finding> =
            key_exchange::findings(obs, &assessed.verdict, subject, self.policy.as_deref())
                .into_iter()
                .filter(|f| !assessed.findings.iter().any(|saved| saved.id == f.id))
                .collect();
        if !missing.is_empty() {
            assessed.findings.extend(missing);
            self.finish(subject, &mut assessed.findings);
        }
    }

    /// A cluster component's own findings, beyond its endpoint's: its key
    /// exchange against its build, its TLS flags against the wire.
    pub fn component(
        &self,
        obs: &TargetObservation,
        status: PqStatus,
        expected: Option<&Expected>,
        flags: &BTreeMap<String, String>,
        subject: &Subject<'_>,
    ) -> Vec<Finding> {
        let name = subject.name.unwrap_or(subject.target);
        let mut findings = cluster::component(name, obs, status, expected, flags);
        self.finish(subject, &mut findings);
        findings
    }

    /// Certificates read from a file: `findings` holds the standing rules'
    /// findings; the policy's certificate rule is added.
    pub fn file(
        &self,
        subject: &Subject<'_>,
        certificates: &[super::certs::JudgedCertificate],
        findings: &mut Vec<Finding>,
    ) {
        if let Some(policy) = &self.policy {
            findings.extend(policy.certificate_findings(subject, certificates));
        }
        self.finish(subject, findings);
    }

    /// A Go binary at `path`: what its offers are, and its findings.
    pub fn binary(
        &self,
        binary: &crate::gobin::GoBinary,
        path: &str,
    ) -> (super::BinaryAssessment, Vec<Finding>) {
        let judged = super::binary(binary);
        let mut findings = super::binary_findings(binary, &judged);
        let subject = Subject {
            target: path,
            name: None,
            category: None,
        };
        self.finish(&subject, &mut findings);
        (judged, findings)
    }

    /// A client `pqready inspect` saw.
    pub fn inspected(
        &self,
        observed: &crate::inspect::ClientObservation,
    ) -> super::inspected::ClientAssessment {
        super::inspected::client(observed)
    }

    /// The last steps for every subject: severity overrides, exceptions
    /// (as of now), most severe first (stable, so rules keep their order).
    pub fn finish(&self, subject: &Subject<'_>, findings: &mut [Finding]) {
        if let Some(policy) = &self.policy {
            policy.override_severities(subject, findings);
            policy.apply_exceptions(subject, findings, crate::time::now_unix());
        }
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    }
}
