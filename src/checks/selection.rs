//! `selection`: whether a client key share beats the server's order, and
//! whether the server asks for post-quantum over a classical share.
//!
//! Observation: the `selection`, `key_share_preferred` and
//! `pq_over_key_share` fields of `probe::groups::GroupsObservation`. Run:
//! its exchanges are made by the `groups` check's discovery, which needs
//! the supported set mid-discovery and charges them to this check; so it
//! needs `groups`, and its own run only records that they were made. Assess
//! hook: none of its own (the endpoint's verdict reads the server's order).

use crate::assess::CheckJudge;
use crate::probe::checks::{Check, Context, Ran, Running};
use crate::vocab::CheckId;

/// The `selection` check.
pub struct Selection;

impl Check for Selection {
    fn id(&self) -> CheckId {
        CheckId::Selection
    }

    fn summary(&self) -> &'static str {
        "whether a client key share beats the server's order, and PQ over a classical share (up to 2)"
    }

    fn needs(&self) -> Option<CheckId> {
        Some(CheckId::Groups)
    }

    fn run<'a>(&'a self, _ctx: &'a Context<'a>) -> Running<'a> {
        Box::pin(async { Ran::completed(|_| {}) })
    }
}

impl CheckJudge for Selection {}
