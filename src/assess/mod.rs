//! Assessment: the only place where observations become judgements.
//!
//! Owns: the [`Judge`], one entry per subject (a probed endpoint, a cluster
//! component, a certificate file, a Go binary), running the standing rules,
//! then the policy's rules, overrides and exceptions, then sorting; and the
//! rule modules it calls, each returning values `report` renders next to
//! the facts:
//! - [`key_exchange`] for an endpoint's own groups (classical, draft-only,
//!   post-quantum but not preferred);
//! - [`endpoint_with`] for a probed TLS endpoint: its post-quantum verdict,
//!   then each probe check's [`CheckJudge`] hook (the client-profile findings,
//!   the big-ClientHello tolerance judgement, the served certificates);
//! - [`offer`] for what a client (an inspected ClientHello, a Go binary's
//!   default) offers;
//! - [`binary`] for a Go executable's default and runtime offers;
//! - [`certs`] for certificates and keys: quantum safety, deadlines, findings;
//!   [`served`] applies it to the chains a probed server presented;
//! - [`standing`] for where each subject stands, in the one word every
//!   format shows.
//!
//! Must not: send traffic, read files or format output. It reads `probe`,
//! `inspect` and `gobin` facts and the `catalog`, and speaks the `vocab`.

pub mod authentication;
pub mod baseline;
pub mod certs;
mod clients;
pub mod cluster;
pub mod edges;
mod endpoint;
pub mod gate;
pub mod inspected;
pub mod judge;
pub mod key_exchange;
pub mod observed;
pub mod policy;
pub mod served;
pub mod severity;
pub mod ssh;
pub mod standing;
mod tolerance;

pub use crate::vocab::{
    FindingKind, OfferVerdict, PqStatus, Severity, Standing, ToleranceOutcome, ToleranceVerdict,
};
pub use clients::client_findings;
pub use endpoint::{endpoint_with, verdict, CheckJudge, EndpointAssessment, Verdict};
pub use judge::Judge;
pub use tolerance::{hello_tolerance, HelloTolerance, JudgedVariant};

use crate::wire::NamedGroup;
use serde::Serialize;

/// One finding about a target, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable identifier (`silent-downgrade`, `classical-client`, ...).
    pub id: FindingKind,
    /// How much it matters (the kind's severity).
    pub severity: Severity,
    /// One line (the kind's title).
    pub title: String,
    /// What was observed, naming the clients.
    pub detail: String,
    /// What to do.
    pub remediation: String,
    /// The client profiles it concerns.
    pub profiles: Vec<String>,
    /// The certificates it concerns, by SHA-256 fingerprint.
    pub certificates: Vec<String>,
    /// The `--policy` exception that accepts it, if one does; an accepted
    /// finding does not count for the gate until the exception expires.
    pub exception: Option<policy::AppliedException>,
}

impl Finding {
    /// A finding of `kind` with its standard severity and title.
    pub fn new(
        kind: FindingKind,
        detail: String,
        remediation: String,
        profiles: Vec<String>,
    ) -> Self {
        Finding {
            id: kind,
            severity: kind.severity(),
            title: kind.title().to_string(),
            detail,
            remediation,
            profiles,
            certificates: Vec::new(),
            exception: None,
        }
    }

    /// True unless a `--policy` exception accepts it (and has not expired).
    pub fn counts(&self) -> bool {
        self.exception.as_ref().is_none_or(|e| e.expired)
    }

    /// The same finding, about the certificate with this fingerprint.
    pub fn about_certificate(mut self, fingerprint_sha256: &str) -> Self {
        self.certificates.push(fingerprint_sha256.to_string());
        self
    }
}

/// Judges an offer (a client's supported_groups, or a Go binary's default).
pub fn offer(groups: &[NamedGroup]) -> OfferVerdict {
    if groups.iter().any(|g| g.is_standard_post_quantum()) {
        OfferVerdict::Pq
    } else if groups.contains(&NamedGroup::X25519KYBER768DRAFT00) {
        OfferVerdict::DraftOnly
    } else {
        OfferVerdict::Classical
    }
}

/// What a Go binary offers, judged: by default and with the runtime GODEBUG.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct BinaryAssessment {
    /// The verdict on the built-in default offer; `None` when the Go version is not understood.
    pub verdict: Option<OfferVerdict>,
    /// The verdict with the runtime GODEBUG applied, when one was given.
    pub runtime_verdict: Option<OfferVerdict>,
}

/// Judges a Go binary's offers (the facts come from `gobin`).
pub fn binary(binary: &crate::gobin::GoBinary) -> BinaryAssessment {
    BinaryAssessment {
        verdict: binary.offer_known().then(|| offer(&binary.default_groups)),
        runtime_verdict: binary
            .runtime
            .as_ref()
            .filter(|r| r.known)
            .map(|r| offer(&r.groups)),
    }
}

/// Findings for a Go binary: one `classical-binary` finding when the offer
/// that applies at run time (with the runtime GODEBUG when one was given,
/// else the default) has no standard post-quantum group. Nothing when the Go
/// version is not understood.
pub fn binary_findings(binary: &crate::gobin::GoBinary, judged: &BinaryAssessment) -> Vec<Finding> {
    let (verdict, groups, how) = match &binary.runtime {
        Some(rt) => (
            judged.runtime_verdict,
            &rt.groups,
            format!("with GODEBUG={} from {}", rt.godebug, rt.source),
        ),
        None => (
            judged.verdict,
            &binary.default_groups,
            "by default".to_string(),
        ),
    };
    let what = match verdict {
        Some(OfferVerdict::Classical) => "classical groups only",
        Some(OfferVerdict::DraftOnly) => {
            "only the obsolete X25519Kyber768Draft00 as post-quantum group"
        }
        Some(OfferVerdict::Pq) | None => return Vec::new(),
    };
    let kind = FindingKind::ClassicalBinary;
    vec![Finding::new(
        kind,
        format!(
            "{} ({}) offers {what} {how}: {}",
            binary.path,
            binary.go_version,
            join(groups)
        ),
        kind.remediation().to_string(),
        Vec::new(),
    )]
}

/// Unique values, in first-seen order.
fn unique<T: PartialEq + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn join(groups: &[NamedGroup]) -> String {
    groups
        .iter()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
