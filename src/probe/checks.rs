//! What every check plugs into: the [`Check`] trait the session loop runs,
//! the [`CheckSet`] a configuration selects, and the [`CheckRecord`] each
//! check leaves on a target.
//!
//! The checks themselves are not here: each is one file of `crate::checks`
//! (its id, what it needs, its run and its assess hook), and `ALL_CHECKS`
//! there is the table. That module sits above `probe` and `assess` because
//! a check holds both a run (probe primitives) and a judgement (assess
//! functions); `probe` only sees a check through this trait, handed to
//! [`super::probe_target`] by the caller. For the same reason the selection
//! rules that follow `needs` (`CheckSet::with`, `without`, `select`) are
//! defined in `crate::checks`, beside the table they read.

use super::{ProbeConfig, ProbeError, Session, TargetObservation};
use crate::vocab::{CheckId, CheckStatus, ErrorKind};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// When a check runs, relative to the others. Checks of one stage run at
/// once; a stage starts when the one before it is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Alone, before any other: its first exchange tells whether the
    /// endpoint speaks TLS at all, so its failure is the target's and
    /// nothing else runs.
    First,
    /// With the other checks of the middle stage.
    Middle,
    /// After every other: for a check that pauses mid-exchange, which would
    /// keep single-threaded servers from answering the others.
    Last,
}

/// One probe check as the session loop sees it.
pub trait Check: Send + Sync {
    /// Its id (what `--only`, `--skip` and the JSON records name).
    fn id(&self) -> CheckId;

    /// What it finds out, and what it costs in connections (`--help`).
    fn summary(&self) -> &'static str;

    /// A check whose result it needs; selecting it selects that one too,
    /// and skipping that one skips it.
    fn needs(&self) -> Option<CheckId> {
        None
    }

    /// When it runs.
    fn stage(&self) -> Stage {
        Stage::Middle
    }

    /// Whether it has anything to do under `config` (a selected check that
    /// has not is recorded as not run).
    fn applies(&self, _config: &ProbeConfig) -> bool {
        true
    }

    /// Runs against `ctx.session` (whose connections are charged to this
    /// check) and says how to write what it saw into the target's
    /// observation.
    fn run<'a>(&'a self, ctx: &'a Context<'a>) -> Running<'a>;
}

/// What a check runs with.
#[derive(Debug)]
pub struct Context<'a> {
    /// The target, with connections charged to this check.
    pub session: Session,
    /// How to probe.
    pub config: &'a ProbeConfig,
    /// What the checks of earlier stages observed.
    pub seen: &'a TargetObservation,
    /// The checks that run on this target.
    pub running: CheckSet,
}

/// A check's run in progress.
pub type Running<'a> = Pin<Box<dyn Future<Output = Ran> + Send + 'a>>;

/// Writes what a check saw into the target's observation.
pub type Fill = Box<dyn FnOnce(&mut TargetObservation) + Send>;

/// What became of one check's run, before it is recorded.
pub struct Ran {
    /// Completed, or why it failed; `None` when it had nothing to do.
    pub outcome: Option<Result<(), ProbeError>>,
    /// Its part of the observation (applied in table order once its stage
    /// is over, so a later check of the same stage can build on it).
    pub fill: Option<Fill>,
}

impl Ran {
    /// A check that had nothing to do.
    pub fn not_run() -> Self {
        Ran {
            outcome: None,
            fill: None,
        }
    }

    /// A check that completed and saw what `fill` writes.
    pub fn completed(fill: impl FnOnce(&mut TargetObservation) + Send + 'static) -> Self {
        Ran {
            outcome: Some(Ok(())),
            fill: Some(Box::new(fill)),
        }
    }

    /// A check that failed with `error`, having seen nothing.
    pub fn failed(error: ProbeError) -> Self {
        Ran {
            outcome: Some(Err(error)),
            fill: None,
        }
    }

    /// A check that completed unless `error` says otherwise, and saw what
    /// `fill` writes either way.
    pub fn ended(
        error: Option<ProbeError>,
        fill: impl FnOnce(&mut TargetObservation) + Send + 'static,
    ) -> Self {
        Ran {
            outcome: Some(error.map_or(Ok(()), Err)),
            fill: Some(Box::new(fill)),
        }
    }
}

/// Runs every future at once on the current task and returns their
/// outputs in order (what `tokio::join!` does for a list).
pub(super) async fn together<'a>(mut runs: Vec<Running<'a>>) -> Vec<Ran> {
    let mut done: Vec<Option<Ran>> = runs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (run, slot) in runs.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                match run.as_mut().poll(cx) {
                    Poll::Ready(ran) => *slot = Some(ran),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

/// A set of checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSet(u32);

impl CheckSet {
    /// Every check.
    pub fn all() -> Self {
        CheckId::ALL
            .iter()
            .fold(CheckSet::none(), |s, c| s.inserted(*c))
    }

    /// No check.
    pub fn none() -> Self {
        CheckSet(0)
    }

    fn bit(id: CheckId) -> u32 {
        1 << (id as u32)
    }

    /// This set plus `id` alone (not what it needs).
    pub(crate) fn inserted(self, id: CheckId) -> Self {
        CheckSet(self.0 | Self::bit(id))
    }

    /// This set without `id` alone (not what needs it).
    pub(crate) fn removed(self, id: CheckId) -> Self {
        CheckSet(self.0 & !Self::bit(id))
    }

    /// True if `id` is in the set.
    pub fn contains(self, id: CheckId) -> bool {
        self.0 & Self::bit(id) != 0
    }
}

/// What became of one check on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct CheckRecord {
    /// The check.
    pub id: CheckId,
    /// Completed, failed or not run.
    pub status: CheckStatus,
    /// Why it failed, when it did.
    pub error_kind: Option<ErrorKind>,
    /// The failure in words, when it failed.
    pub error: Option<String>,
    /// TCP connections it opened.
    pub connections: u32,
}

impl CheckRecord {
    /// A check that was not run.
    pub fn not_run(id: CheckId) -> Self {
        CheckRecord {
            id,
            status: CheckStatus::NotRun,
            error_kind: None,
            error: None,
            connections: 0,
        }
    }

    /// What `outcome` says of check `id`, which opened `connections`.
    pub fn of(id: CheckId, outcome: Option<&Result<(), ProbeError>>, connections: u32) -> Self {
        match outcome {
            None => CheckRecord {
                connections,
                ..CheckRecord::not_run(id)
            },
            Some(Ok(())) => CheckRecord {
                id,
                status: CheckStatus::Completed,
                error_kind: None,
                error: None,
                connections,
            },
            Some(Err(e)) => CheckRecord {
                id,
                status: CheckStatus::Failed,
                error_kind: Some(e.kind),
                error: Some(e.message.clone()),
                connections,
            },
        }
    }
}
