//! The big-ClientHello tolerance judgement: each variant compared with the
//! small classical control, and a finding when post-quantum-sized hellos
//! break the endpoint.

use super::Finding;
use crate::probe::tolerance::VariantObservation;
use crate::vocab::{Ending, FindingKind, ToleranceOutcome, ToleranceVariant, ToleranceVerdict};
use serde::Serialize;

/// One variant: what was observed (its raw facts: how it ended, the hello's
/// size, the leaf certificate's hash, the group) and how it compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct JudgedVariant {
    /// The observation; its `detail` also says when the certificate differed.
    #[serde(flatten)]
    pub observed: VariantObservation,
    /// The outcome, judged against the control.
    pub outcome: ToleranceOutcome,
}

/// The `hello_tolerance` report of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct HelloTolerance {
    /// The verdict.
    pub verdict: ToleranceVerdict,
    /// Every variant, in the order sent.
    pub variants: Vec<JudgedVariant>,
}

/// Judges the tolerance variants; also returns a finding when they show a problem.
pub fn hello_tolerance(variants: &[VariantObservation]) -> (HelloTolerance, Option<Finding>) {
    let control = variants
        .iter()
        .find(|v| v.name == ToleranceVariant::Control);
    let reference_cert = control.and_then(|c| c.leaf_sha256.clone());
    let judged: Vec<JudgedVariant> = variants
        .iter()
        .map(|v| {
            let moved = v.ending == Ending::Completed
                && v.leaf_sha256.is_some()
                && reference_cert.is_some()
                && v.leaf_sha256 != reference_cert;
            let outcome = match (v.ending, moved) {
                (_, true) => ToleranceOutcome::DifferentCertificate,
                (Ending::Completed, _) => ToleranceOutcome::Ok,
                (Ending::Reset, _) => ToleranceOutcome::Reset,
                (Ending::Timeout, _) => ToleranceOutcome::Timeout,
                (Ending::Closed, _) => ToleranceOutcome::Closed,
                (Ending::Alert, _) => ToleranceOutcome::Alert,
                (Ending::Error, _) => ToleranceOutcome::Error,
            };
            let mut observed = v.clone();
            if moved {
                observed.detail = format!(
                    "{}; but a different certificate than the control: the hello was routed to another server",
                    v.detail
                );
            }
            JudgedVariant { observed, outcome }
        })
        .collect();
    let control_ok = judged
        .iter()
        .any(|v| v.observed.name == ToleranceVariant::Control && v.outcome == ToleranceOutcome::Ok);
    let failed: Vec<&JudgedVariant> = judged
        .iter()
        .filter(|v| {
            v.observed.name != ToleranceVariant::Control && v.outcome != ToleranceOutcome::Ok
        })
        .collect();
    let verdict = if !control_ok {
        ToleranceVerdict::Inconclusive
    } else if failed.is_empty() {
        ToleranceVerdict::Tolerant
    } else {
        ToleranceVerdict::Intolerant
    };
    let finding = match verdict {
        ToleranceVerdict::Tolerant => None,
        ToleranceVerdict::Intolerant => Some(Finding::new(
            FindingKind::HelloIntolerance,
            format!(
                "{}. A post-quantum key share makes the ClientHello ~1.5 KB, more than one TCP segment on real networks: \
                 clients that offer X25519MLKEM768 (kubectl 1.33+, Go 1.24+, Chrome, Firefox) will fail or reach the wrong backend here",
                failed
                    .iter()
                    .map(|v| format!("{}: {} ({})", v.observed.name, v.outcome, v.observed.detail))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            FindingKind::HelloIntolerance.remediation().into(),
            Vec::new(),
        )),
        ToleranceVerdict::Inconclusive => Some(Finding::new(
            FindingKind::HelloToleranceInconclusive,
            format!(
                "the small classical control hello failed too ({}), so failures of the larger variants say nothing about their size",
                control.map(|c| c.detail.as_str()).unwrap_or("not run")
            ),
            FindingKind::HelloToleranceInconclusive.remediation().into(),
            Vec::new(),
        )),
    };
    (
        HelloTolerance {
            verdict,
            variants: judged,
        },
        finding,
    )
}
