//! How severe each kind of finding is: by default, and on an endpoint that
//! carries secrets. A judgement, so it lives in `assess`, next to the rules
//! that raise the findings; `vocab` only names the kinds. A policy's
//! `severity_overrides` may set any finding's severity afterwards.
//!
//! Must not: decide whether a finding is raised (the rule modules do).

use crate::vocab::{FindingKind, Severity};

impl FindingKind {
    /// How much it matters by default; [`FindingKind::sensitive_severity`]
    /// raises some kinds on endpoints that carry secrets, and a policy's
    /// `severity_overrides` may set any.
    pub const fn severity(self) -> Severity {
        match self {
            FindingKind::SilentDowngrade
            | FindingKind::SilentDowngradeEdge
            | FindingKind::PqOnlyLockout
            | FindingKind::NoClassicalAuthentication
            | FindingKind::HelloIntolerance
            | FindingKind::KeyExchangeMismatch
            | FindingKind::ValidPastDisallowance
            | FindingKind::PolicyPqRequired
            | FindingKind::PolicyDraftOnly
            | FindingKind::PolicyHelloTolerance
            | FindingKind::PolicyCertificateNotAfter
            | FindingKind::WeakKey
            | FindingKind::DisallowedAlgorithm
            | FindingKind::WeakSignatureHash
            | FindingKind::CertificateExpired
            | FindingKind::ObservedSilentDowngrade => Severity::High,
            FindingKind::ClassicalClient
            | FindingKind::ClassicalServer
            | FindingKind::PqNotSelected
            | FindingKind::DraftOnly
            | FindingKind::HandshakeFailure
            | FindingKind::FlagNotEffective
            | FindingKind::ValidPastDeprecation
            | FindingKind::MixedChain
            | FindingKind::NotApprovedAlgorithm
            | FindingKind::QuantumVulnerableSignature
            | FindingKind::CertificateExpiring
            | FindingKind::ClassicalBinary
            | FindingKind::ClassicalKeyExchange
            | FindingKind::DraftOnlyKeyExchange
            | FindingKind::ClassicalEdge
            | FindingKind::ClassicalSshKex
            | FindingKind::IncompleteAudit
            | FindingKind::ObservedClassical
            | FindingKind::ObservedDraft
            | FindingKind::ObservedContradictsPrediction => Severity::Medium,
            FindingKind::PqNotPreferred
            | FindingKind::HelloToleranceInconclusive
            | FindingKind::QuantumVulnerableKey
            | FindingKind::NoMldsaAuthentication
            | FindingKind::SshPqNotNegotiated
            | FindingKind::ObservedHrr => Severity::Low,
            FindingKind::UnknownClientBuild => Severity::Info,
        }
    }

    /// The severity on an endpoint that carries secrets or credentials (a
    /// cluster's API server, etcd, webhooks and aggregated APIs, or a
    /// policy's `sensitive` targets), when it differs from the default.
    pub const fn sensitive_severity(self) -> Option<Severity> {
        match self {
            FindingKind::ClassicalKeyExchange
            | FindingKind::ClassicalEdge
            | FindingKind::ClassicalSshKex
            | FindingKind::ObservedClassical => Some(Severity::High),
            _ => None,
        }
    }
}
