//! `no-classical-authentication`: a server that authenticates only with
//! ML-DSA locks out every client that cannot verify an ML-DSA signature.
//!
//! Owns: deciding that from the `certificates` check's two handshakes (the
//! ML-DSA-only one completed, the classical-only one was refused in TLS),
//! deciding which client profiles accept ML-DSA — from the signature schemes
//! each one offers, never from its name or family — and naming the replayed
//! profiles whose failure this explains, so that `clients` does not report
//! them again as a generic `handshake-failure`.
//!
//! Must not: send traffic, parse certificates or format anything.

use super::Finding;
use crate::catalog::profile::{self, ClientProfile};
use crate::probe::certificates::is_mldsa;
use crate::probe::TargetObservation;
use crate::vocab::{AuthKind, CheckId, CheckStatus, FindingKind};

/// True if `profile` offers an ML-DSA signature scheme, so it can verify a
/// server that authenticates only with ML-DSA.
pub fn accepts_mldsa(profile: &ClientProfile) -> bool {
    profile.signature_schemes.iter().any(|s| is_mldsa(*s))
}

/// True when it was observed that the server authenticates only with
/// ML-DSA: the certificates check completed, its ML-DSA-only handshake
/// completed and the server refused the classical-only one in TLS (an
/// alert), as opposed to not answering it at all.
pub fn mldsa_only(obs: &TargetObservation) -> bool {
    let completed = obs
        .checks
        .iter()
        .any(|c| c.id == CheckId::Certificates && c.status == CheckStatus::Completed);
    let Some(auth) = obs.authentication.as_ref() else {
        return false;
    };
    let Some(classical) = auth.attempt(AuthKind::Classical) else {
        return false;
    };
    completed && auth.mldsa && !auth.classical && !classical.completed && classical.answered()
}

/// True if the replayed client `profile_id` failed because the server
/// authenticates only with ML-DSA and the profile cannot verify ML-DSA.
pub fn explains_failure(obs: &TargetObservation, profile_id: &str) -> bool {
    mldsa_only(obs) && profile::find(profile_id).is_some_and(|p| !accepts_mldsa(p))
}

/// The finding, when the server authenticates only with ML-DSA; it names the
/// replayed profiles that failed for that reason, or, when none was
/// replayed, the built-in profiles that would.
pub fn no_classical_authentication(obs: &TargetObservation) -> Option<Finding> {
    if !mldsa_only(obs) {
        return None;
    }
    let auth = obs.authentication.as_ref()?;
    let mldsa = auth.attempt(AuthKind::Mldsa)?;
    let classical = auth.attempt(AuthKind::Classical)?;
    let schemes = auth
        .schemes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let refusal = classical
        .error
        .as_deref()
        .map(|e| e.trim_start_matches("handshake failed: "))
        .unwrap_or("refused");
    let failed: Vec<String> = obs
        .clients
        .iter()
        .filter(|c| c.failed && explains_failure(obs, &c.profile))
        .map(|c| c.profile.clone())
        .collect();
    let server = format!(
        "the server authenticates only with ML-DSA ({schemes}) and refused a handshake offering \
         every classical signature scheme ({refusal})"
    );
    let detail = if failed.is_empty() {
        let locked: Vec<&str> = profile::all()
            .iter()
            .filter(|p| !accepts_mldsa(p))
            .map(|p| p.id.as_str())
            .collect();
        format!(
            "{server}: clients that cannot verify ML-DSA signatures cannot connect (of the \
             built-in profiles: {})",
            locked.join(", ")
        )
    } else {
        let (fail, they) = if failed.len() == 1 {
            ("fails", "it offers")
        } else {
            ("fail", "they offer")
        };
        format!(
            "{} {fail} to connect: {they} no ML-DSA signature scheme, and {server}",
            failed.join(", ")
        )
    };
    let finding = Finding::new(
        FindingKind::NoClassicalAuthentication,
        detail,
        FindingKind::NoClassicalAuthentication
            .remediation()
            .to_string(),
        failed,
    );
    Some(match mldsa.chain.first() {
        Some(leaf) => finding.about_certificate(leaf),
        None => finding,
    })
}
