//! Reports: the serde report model and the renderers that format it.
//!
//! Owns: [`TargetReport`] — the schema-versioned, format-neutral record of one
//! target (observations plus the verdict `assess` gave) — and pure renderers
//! (`json`, `table`). Must not: send traffic or make judgements; a renderer
//! only formats what the model already says.

pub mod binaries;
pub mod catalog;
pub mod inspect;
pub mod json;
pub mod table;
pub mod time;

use crate::assess::{Finding, HelloTolerance, Verdict};
use crate::probe::clients::ClientResult;
use crate::probe::groups::GroupsObservation;
use crate::probe::handshake::HandshakeObservation;
use crate::probe::{ProbeError, TargetObservation};
use crate::wire::ProtocolVersion;
use serde::Serialize;

/// The JSON schema identifier; bumped only for incompatible changes.
pub const SCHEMA: &str = "pqready/v1";

/// Everything reported about one target. Field names are a contract
/// (docs/json.md): add fields, never rename them.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The target as given, normalised to `host:port`.
    pub target: String,
    /// The address probed (`ip:port`), or null if resolution failed.
    pub address: Option<String>,
    /// The SNI sent, if any.
    pub sni: Option<String>,
    /// Why the target could not be probed, or null.
    pub error: Option<String>,
    /// A stable label for `error` (`resolve`, `refused`, `timeout`, `not-tls`, ...).
    pub error_kind: Option<&'static str>,
    /// Accepted protocol versions, newest first.
    pub tls_versions: Vec<ProtocolVersion>,
    /// Key-exchange group discovery.
    pub groups: GroupsObservation,
    /// The modern-client (rustls) handshake.
    pub handshake: HandshakeObservation,
    /// What each requested client profile gets (`--clients`); empty when none were asked for.
    pub clients: Vec<ClientResult>,
    /// Findings about client/server combinations, with remediation.
    pub findings: Vec<Finding>,
    /// Big-ClientHello tolerance; null when skipped or not probed.
    pub hello_tolerance: Option<HelloTolerance>,
    /// The post-quantum verdict.
    pub verdict: Verdict,
    /// TCP connections used for this target.
    pub connections: u32,
    /// Wall-clock milliseconds spent on this target.
    pub elapsed_ms: u64,
}

impl TargetReport {
    /// A report for a target that was probed.
    pub fn probed(
        target: &str,
        obs: TargetObservation,
        verdict: Verdict,
        findings: Vec<Finding>,
        hello_tolerance: Option<HelloTolerance>,
    ) -> Self {
        TargetReport {
            schema: SCHEMA,
            target: target.to_string(),
            address: Some(obs.address.to_string()),
            sni: obs.sni,
            error: None,
            error_kind: None,
            tls_versions: obs.tls_versions,
            groups: obs.groups,
            handshake: obs.handshake,
            clients: obs.clients,
            findings,
            hello_tolerance,
            verdict,
            connections: obs.connections,
            elapsed_ms: obs.elapsed_ms,
        }
    }

    /// A report for a target that could not be probed.
    pub fn failed(
        target: &str,
        sni: Option<String>,
        err: &ProbeError,
        verdict: Verdict,
        elapsed_ms: u64,
    ) -> Self {
        TargetReport {
            schema: SCHEMA,
            target: target.to_string(),
            address: err.address.map(|a| a.to_string()),
            sni,
            error: Some(err.message.clone()),
            error_kind: Some(err.kind),
            tls_versions: Vec::new(),
            groups: GroupsObservation::default(),
            handshake: HandshakeObservation::default(),
            clients: Vec::new(),
            findings: Vec::new(),
            hello_tolerance: None,
            verdict,
            connections: err.connections,
            elapsed_ms,
        }
    }
}

/// `text` with control characters escaped (`\u{1b}`, `\n`), for strings that
/// came from a peer or a file and are about to reach a terminal or a log line:
/// they must not move the cursor or forge extra lines.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        std::borrow::Cow::Owned(
            text.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn escapes_control_characters() {
        assert_eq!(printable("kube.example"), "kube.example");
        assert_eq!(printable("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\nc");
    }
}
