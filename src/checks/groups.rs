//! `groups`: which key-exchange groups the server supports, and in what
//! order it prefers them.
//!
//! Observation: `probe::groups::GroupsObservation` (`groups` in JSON); a
//! TLS 1.3 answer, or curves read from TLS 1.2 ServerKeyExchanges, also
//! prove a protocol version. Run: `probe::groups::discover`, which also
//! makes the `selection` check's exchanges when that check runs (they need
//! the supported set, mid-discovery). It runs first and alone: its first
//! exchange tells whether the endpoint speaks TLS at all, and its failure
//! is the target's. Assess hook: none of its own; the endpoint's verdict
//! reads groups together with the handshake and the versions
//! (`assess::verdict`).

use crate::assess::CheckJudge;
use crate::probe::checks::{Check, Context, Ran, Running, Stage};
use crate::probe::groups;
use crate::vocab::{CheckId, DiscoveryMethod};
use crate::wire::ProtocolVersion;

/// The `groups` check.
pub struct Groups;

impl Check for Groups {
    fn id(&self) -> CheckId {
        CheckId::Groups
    }

    fn summary(&self) -> &'static str {
        "supported key-exchange groups and the server's order (S+2 connections)"
    }

    fn stage(&self) -> Stage {
        Stage::First
    }

    fn run<'a>(&'a self, ctx: &'a Context<'a>) -> Running<'a> {
        Box::pin(async move {
            let found = groups::discover(
                &ctx.session,
                &ctx.session.for_check(CheckId::Selection),
                &ctx.config.candidate_groups,
                ctx.running.contains(CheckId::Selection),
            )
            .await;
            match found {
                Ok(found) => Ran::completed(move |obs| {
                    if found.tls13 {
                        obs.saw_version(ProtocolVersion::TLS1_3);
                    }
                    if found.method == DiscoveryMethod::Tls12ServerKeyExchange
                        && !found.supported.is_empty()
                    {
                        obs.saw_version(ProtocolVersion::TLS1_2);
                    }
                    obs.groups = found;
                }),
                Err(e) => Ran::failed(e),
            }
        })
    }
}

impl CheckJudge for Groups {}
