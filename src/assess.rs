//! Assessment: the only place where observations become judgements.
//!
//! Owns: the per-endpoint post-quantum verdict — its status (a stable value
//! for machines) and its one line of text (for people). Must not: send
//! traffic or format tables; it reads `probe` observations and returns values
//! that `report` renders.

use crate::probe::groups::Selection;
use crate::probe::TargetObservation;
use crate::wire::{GroupKind, NamedGroup, ProtocolVersion};
use serde::Serialize;

/// The post-quantum key-exchange status of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PqStatus {
    /// A standard post-quantum group (ML-KEM hybrid or pure ML-KEM) is supported.
    Pq,
    /// The only post-quantum group is the obsolete X25519Kyber768Draft00.
    DraftOnly,
    /// Classical key exchange only.
    Classical,
    /// The endpoint could not be probed.
    Error,
}

/// One endpoint's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Stable status for machines.
    pub status: PqStatus,
    /// One line for people, e.g. `PQ key exchange: yes (X25519MLKEM768, preferred)`.
    pub text: String,
}

/// The verdict for an endpoint that could not be probed.
pub fn error_verdict() -> Verdict {
    Verdict {
        status: PqStatus::Error,
        text: "PQ key exchange: unknown (the endpoint could not be probed)".into(),
    }
}

fn kind(g: NamedGroup) -> Option<GroupKind> {
    g.info().map(|i| i.kind)
}

/// Judges one endpoint's observations.
pub fn verdict(obs: &TargetObservation) -> Verdict {
    let groups = &obs.groups;
    let standard: Vec<NamedGroup> = groups
        .supported
        .iter()
        .copied()
        .filter(|g| kind(*g).is_some_and(|k| k.is_standard_post_quantum()))
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
    let favourite = match (&groups.server_order, groups.selection) {
        (Some(order), _) => order.first().copied(),
        (None, Selection::ClientOrder | Selection::KeyShareThenClientOrder) => None,
        _ => None,
    };
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

fn join(groups: &[NamedGroup]) -> String {
    groups
        .iter()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
