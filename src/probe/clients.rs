//! Client profiles, live: send each profile's own ClientHello to the server
//! and record what that client would negotiate.
//!
//! Owns: one connection per distinct offer (profiles with the same groups,
//! key shares, versions, cipher suites and signature schemes — e.g.
//! kubectl 1.33 and Go 1.24 — share one; Go 1.27 and Go 1.26 differ by
//! ML-DSA, which an ML-DSA-only server answers differently), and
//! reading the answer as the real client would: a ServerHello settles the
//! group; a HelloRetryRequest for a group the client lists means one more
//! round trip and that group; an alert or a group the client never offered
//! means the handshake fails. Observations only.

use super::exchange::{describe, ReadUntil, Reply};
use super::Session;
use crate::catalog::profile::ClientProfile;
use crate::vocab::ErrorKind;
use crate::wire::{NamedGroup, ProtocolVersion};
use serde::Serialize;
use std::collections::HashMap;

/// What one client profile gets from this server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ClientResult {
    /// The profile id (`pqready profiles`).
    pub profile: String,
    /// The negotiated group; null when the handshake fails (or TLS 1.2 without ECDHE).
    pub negotiated_group: Option<NamedGroup>,
    /// True if the server asks for another key share first.
    pub hello_retry: bool,
    /// True if the handshake fails.
    pub failed: bool,
    /// True if the negotiated group is post-quantum (the draft included).
    pub pq: bool,
    /// The version the server chose, when it answered with a hello.
    pub version: Option<ProtocolVersion>,
    /// Why it failed, or anything unusual.
    pub detail: Option<String>,
    /// The kind of failure: `alert` or `peer-misbehaved` for a real
    /// handshake failure; `timeout`, `refused`, `reset`... when the server
    /// could not be asked at all (then `failed` says nothing about the client).
    pub error_kind: Option<ErrorKind>,
}

impl ClientResult {
    /// True if the server could not be asked (a network failure, not an answer).
    pub fn unanswered(&self) -> bool {
        matches!(
            self.error_kind,
            Some(ErrorKind::Timeout | ErrorKind::Refused | ErrorKind::Resolve | ErrorKind::Io)
        )
    }
}

#[derive(Debug, Clone)]
struct Answer {
    group: Option<NamedGroup>,
    hello_retry: bool,
    failed: bool,
    version: Option<ProtocolVersion>,
    detail: Option<String>,
    error_kind: Option<ErrorKind>,
}

impl Answer {
    fn failed(kind: ErrorKind, detail: String) -> Self {
        Answer {
            group: None,
            hello_retry: false,
            failed: true,
            version: None,
            detail: Some(detail),
            error_kind: Some(kind),
        }
    }
}

async fn ask(session: &Session, profile: &ClientProfile) -> Answer {
    let reply = session
        .hello(
            profile.client_hello(session.sni.clone()),
            ReadUntil::ServerKeyExchange,
        )
        .await;
    let (hello, tls12_curve) = match reply {
        Ok(Reply::Hello { hello, tls12_curve }) => (hello, tls12_curve),
        Ok(Reply::Alert(alert)) => {
            return Answer::failed(ErrorKind::Alert, format!("alert {}", alert.description))
        }
        Ok(Reply::NotTls(preview)) => {
            return Answer::failed(ErrorKind::NotTls, format!("server sent {preview}"))
        }
        Ok(other) => {
            return Answer::failed(
                ErrorKind::Malformed,
                format!("server sent {}", describe(&other)),
            )
        }
        Err(e) => return Answer::failed(e.kind(), e.to_string()),
    };
    let version = hello.selected_version().ok();
    if version != Some(ProtocolVersion::TLS1_3) {
        return Answer {
            group: tls12_curve,
            hello_retry: false,
            failed: false,
            version,
            detail: None,
            error_kind: None,
        };
    }
    match hello.selected_share() {
        Ok(Some(share)) if hello.is_hello_retry_request() => {
            if profile.groups.contains(&share.group) && !profile.key_shares.contains(&share.group) {
                Answer {
                    group: Some(share.group),
                    hello_retry: true,
                    failed: false,
                    version,
                    detail: None,
                    error_kind: None,
                }
            } else {
                Answer::failed(
                    ErrorKind::PeerMisbehaved,
                    format!(
                        "server asked for {}, which this client does not offer a retry for",
                        share.group
                    ),
                )
            }
        }
        Ok(Some(share)) if profile.key_shares.contains(&share.group) => Answer {
            group: Some(share.group),
            hello_retry: false,
            failed: false,
            version,
            detail: None,
            error_kind: None,
        },
        Ok(Some(share)) => Answer::failed(
            ErrorKind::PeerMisbehaved,
            format!(
                "server answered with a share for {}, which was not sent",
                share.group
            ),
        ),
        Ok(None) => Answer::failed(
            ErrorKind::PeerMisbehaved,
            "TLS 1.3 ServerHello without key_share".into(),
        ),
        Err(e) => Answer::failed(ErrorKind::Malformed, format!("ServerHello: {e}")),
    }
}

/// Probes every profile (one connection per distinct offer), in profile order.
pub async fn check(session: &Session, profiles: &[&ClientProfile]) -> Vec<ClientResult> {
    let mut answers: HashMap<_, Answer> = HashMap::new();
    let mut out = Vec::with_capacity(profiles.len());
    for profile in profiles {
        let key = profile.offer_key();
        let answer = match answers.get(&key) {
            Some(a) => a.clone(),
            None => {
                let a = ask(session, profile).await;
                answers.insert(key, a.clone());
                a
            }
        };
        out.push(ClientResult {
            profile: profile.id.clone(),
            negotiated_group: answer.group,
            hello_retry: answer.hello_retry,
            failed: answer.failed,
            pq: answer.group.is_some_and(|g| g.is_post_quantum()),
            version: answer.version,
            detail: answer.detail,
            error_kind: answer.error_kind,
        });
    }
    out
}

/// Replays `profiles` against `target` on their own (the cluster's edges:
/// each client of a server, once per distinct offer), outside a full probe.
pub async fn replay(
    target: &crate::discover::Target,
    profiles: &[&ClientProfile],
    timeout: std::time::Duration,
    slot: Option<std::sync::Arc<crate::net::WorkSlot>>,
) -> Vec<ClientResult> {
    match crate::net::resolve(&target.host, target.port, timeout).await {
        Ok(addr) => {
            let session = Session::new(addr, target.sni.clone(), timeout)
                .speaking(target.protocol, target.domain())
                .slotted(slot)
                .for_check(crate::vocab::CheckId::Clients);
            check(&session, profiles).await
        }
        Err(e) => {
            let kind = e.kind();
            let detail = e.to_string();
            profiles
                .iter()
                .map(|p| ClientResult {
                    profile: p.id.clone(),
                    negotiated_group: None,
                    hello_retry: false,
                    failed: true,
                    pq: false,
                    version: None,
                    detail: Some(detail.clone()),
                    error_kind: Some(kind),
                })
                .collect()
        }
    }
}
