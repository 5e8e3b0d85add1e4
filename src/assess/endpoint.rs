//! The judgement of one probed endpoint: its post-quantum verdict, plus
//! what each probe check's assess hook ([`CheckJudge`]) adds (the client-profile
//! findings, the tolerance judgement, the served certificates and the
//! authentication findings), gathered into one [`EndpointAssessment`].

use super::certs::{CertRules, JudgedCertificate};
use super::served::UnreadCertificate;
use super::{join, Finding, HelloTolerance};
use crate::probe::TargetObservation;
use crate::vocab::{CheckId, PqStatus};
use crate::wire::{NamedGroup, ProtocolVersion};
use serde::Serialize;

/// One endpoint's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Verdict {
    /// Stable status for machines.
    pub status: PqStatus,
    /// One line for people, e.g. `PQ key exchange: yes (X25519MLKEM768, preferred)`.
    pub text: String,
}

/// Everything `assess` concludes about one endpoint.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct EndpointAssessment {
    /// Findings about client/server combinations, hello tolerance and the
    /// served certificates, most severe first.
    pub findings: Vec<Finding>,
    /// Big-ClientHello tolerance; null when skipped or not probed.
    pub hello_tolerance: Option<HelloTolerance>,
    /// The post-quantum verdict.
    pub verdict: Verdict,
    /// Every certificate the server sent (the `certificates` check), unique
    /// by fingerprint: the PQ-first handshake's chain first, leaf first, then
    /// those seen only in the ML-DSA or classical chain; empty when the check
    /// did not run.
    pub certificates: Vec<JudgedCertificate>,
    /// Certificates the server sent that could not be read.
    pub certificate_errors: Vec<UnreadCertificate>,
    /// An SSH server's post-quantum hybrids and what each OpenSSH client
    /// profile negotiates with it; absent for every other protocol.
    /// (Named apart from the observation's `ssh`: both sit at the top of
    /// a flattened report.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_kex: Option<SshAssessment>,
}

/// The assess hook of one probe check: judges what that check observed.
///
/// The checks themselves live in `crate::checks` (above `assess`, since each
/// also holds a probe run); [`endpoint_with`] calls each one's hook in table
/// order, after the endpoint's own rules.
pub trait CheckJudge {
    /// Adds its judgement of `obs` to `out`: findings, and the parts of the
    /// assessment that belong to this check. Nothing by default.
    fn judge(&self, _obs: &TargetObservation, _rules: &CertRules, _out: &mut EndpointAssessment) {}
}

/// The standing rules about one probed endpoint that need no subject: the
/// endpoint's verdict (it reads groups, handshake and versions together),
/// then each of `checks`' hooks in table order; certificates by `rules`
/// (`--deadlines`). Findings end up most severe first, in that order among
/// equals. [`super::Judge::endpoint`] adds the rules that weigh the subject,
/// and the policy.
pub fn endpoint_with<J: CheckJudge + ?Sized>(
    obs: &TargetObservation,
    rules: &CertRules,
    checks: &[&J],
) -> EndpointAssessment {
    if obs.failure().is_some() {
        return unreachable();
    }
    let mut judged = EndpointAssessment {
        findings: Vec::new(),
        hello_tolerance: None,
        verdict: verdict(obs),
        certificates: Vec::new(),
        certificate_errors: Vec::new(),
        ssh_kex: None,
    };
    for check in checks {
        check.judge(obs, rules, &mut judged);
    }
    judged
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.severity));
    judged
}

/// What `assess` concludes about an SSH server beyond its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct SshAssessment {
    /// The post-quantum hybrids the server offers, in its order.
    pub pq_kex: Vec<String>,
    /// What each OpenSSH client profile negotiates with this server (the
    /// client's first method the server lists), oldest release first.
    pub clients: Vec<SshClientOutcome>,
}

/// One client profile against this server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct SshClientOutcome {
    /// The profile's id (`openssh-10.0`).
    pub profile: String,
    /// The key exchange it negotiates; null when the two share none (the
    /// client cannot connect).
    pub kex: Option<String>,
    /// Whether that key exchange is a post-quantum hybrid.
    pub pq: bool,
}

/// The assessment of an endpoint that could not be probed.
fn unreachable() -> EndpointAssessment {
    EndpointAssessment {
        findings: Vec::new(),
        hello_tolerance: None,
        certificates: Vec::new(),
        certificate_errors: Vec::new(),
        ssh_kex: None,
        verdict: Verdict {
            status: PqStatus::Error,
            text: "PQ key exchange: unknown (the endpoint could not be probed)".into(),
        },
    }
}

/// The post-quantum verdict of one endpoint.
pub fn verdict(obs: &TargetObservation) -> Verdict {
    let groups_ran = obs.completed(CheckId::Groups);
    if !groups_ran {
        return verdict_without_groups(obs);
    }
    let groups = &obs.groups;
    let standard: Vec<NamedGroup> = groups
        .supported
        .iter()
        .copied()
        .filter(|g| g.is_standard_post_quantum())
        .collect();
    let has_draft = groups
        .supported
        .contains(&NamedGroup::X25519KYBER768DRAFT00);
    let no_tls13 = !obs.tls_versions.contains(&ProtocolVersion::TLS1_3);

    if standard.is_empty() {
        if has_draft {
            return Verdict {
                status: PqStatus::DraftOnly,
                text: "PQ key exchange: only the obsolete X25519Kyber768Draft00 \
                       (current clients offer X25519MLKEM768 and fall back to classical)"
                    .into(),
            };
        }
        let why = if no_tls13 {
            let best = obs
                .tls_versions
                .first()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "no TLS".into());
            format!("{best} only: post-quantum key exchange needs TLS 1.3")
        } else if groups.supported.is_empty() {
            "no supported group found".to_string()
        } else {
            format!("classical groups only: {}", join(&groups.supported))
        };
        return Verdict {
            status: PqStatus::Classical,
            text: format!("PQ key exchange: no ({why})"),
        };
    }

    // Which group would a client offering every group get without a round trip?
    let favourite = groups
        .server_order
        .as_ref()
        .and_then(|order| order.first().copied());
    let best = favourite
        .filter(|g| standard.contains(g))
        .unwrap_or(standard[0]);
    let mut text = match favourite {
        Some(fav) if standard.contains(&fav) => format!("PQ key exchange: yes ({fav}, preferred)"),
        Some(fav) => format!("PQ key exchange: yes ({best}, but the server prefers {fav})"),
        None => format!("PQ key exchange: yes ({best}, if the client prefers it)"),
    };
    if let Some(got) = obs.handshake.negotiated_group {
        if !got.is_post_quantum() {
            text.push_str(&format!("; a PQ-first client still got {got}"));
        }
    } else if obs.handshake.error.is_some() {
        text.push_str("; the PQ-first client handshake failed");
    }
    Verdict {
        status: PqStatus::Pq,
        text,
    }
}

/// Without group discovery only the PQ-first handshake can speak: it proves
/// support when it negotiates a PQ group, and proves nothing otherwise.
fn verdict_without_groups(obs: &TargetObservation) -> Verdict {
    match obs.handshake.negotiated_group {
        Some(g) if g.is_standard_post_quantum() => Verdict {
            status: PqStatus::Pq,
            text: format!(
                "PQ key exchange: yes ({g}, negotiated by a PQ-first client; groups not enumerated)"
            ),
        },
        _ => Verdict {
            status: PqStatus::Unknown,
            text: "PQ key exchange: not determined (the groups check did not run)".into(),
        },
    }
}
