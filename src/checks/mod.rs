//! The probe checks, one file each, and [`ALL_CHECKS`], the table that
//! drives them.
//!
//! Owns: each check's id, what it finds out and costs (the `--help` line),
//! the check it needs, when it runs, its run (built from `probe`'s
//! primitives, writing its part of the [`TargetObservation`]) and its assess
//! hook (calling `assess`'s functions). `ALL_CHECKS` drives the session loop
//! ([`probe::probe_target`]), the per-target `checks[]` records, `--only` and
//! `--skip` with their help text, the selection rules below, and the order
//! in which [`assess::endpoint_with`] calls the hooks.
//!
//! Why here: a check holds both a probe run and an assess hook, and `probe`
//! must not import `assess` (which reads its facts). So `probe` defines the
//! session machinery and the [`probe::checks::Check`] trait, `assess`
//! defines the [`assess::CheckJudge`] trait, and this module, above both and used
//! by `scan`, `cli` and `commands`, implements both per check and hands the
//! table down. A check's fact type stays in `probe` (the observation it is
//! part of is `probe`'s); a new check is one file here, one line in
//! `ALL_CHECKS`, its label in `vocab::CheckId` and, if it observes
//! something new, its field in `TargetObservation`.
//!
//! Must not: open connections except through a `probe::Session`, or judge
//! except through `assess`.

mod certificates;
mod clients;
mod groups;
mod handshake;
mod hello_tolerance;
mod selection;
mod versions;

use crate::assess::policy::Subject;
use crate::assess::{self, EndpointAssessment, Judge};
use crate::discover::Target;
use crate::net::WorkSlot;
use crate::probe::checks::CheckSet;
use crate::probe::{self, ProbeConfig, ProbeError, TargetObservation};
use crate::vocab::CheckId;
use std::sync::Arc;

/// One check: its probe side and its assess hook.
pub trait Check: probe::checks::Check + assess::CheckJudge {}

impl<T: probe::checks::Check + assess::CheckJudge> Check for T {}

/// Every check, in table order: the order of `--help` and of the assess
/// hooks. They run stage by stage (`probe::checks::Stage`), in this order
/// within a stage, and their records follow the order they run in.
pub const ALL_CHECKS: &[&dyn Check] = &[
    &groups::Groups,
    &selection::Selection,
    &versions::Versions,
    &handshake::Handshake,
    &clients::Clients,
    &hello_tolerance::HelloTolerance,
    &certificates::Certificates,
];

/// The check `id`.
pub fn check(id: CheckId) -> Option<&'static dyn Check> {
    ALL_CHECKS.iter().copied().find(|c| c.id() == id)
}

/// Probes `target` with the checks `config` selects, holding `slot` of the
/// run's concurrency.
pub async fn probe(
    target: &Target,
    config: &ProbeConfig,
    slot: Option<Arc<WorkSlot>>,
) -> TargetObservation {
    probe::probe_target(target, ALL_CHECKS, config, slot).await
}

/// The observation of a target that was never probed (its probe task
/// failed, or it had no address): `error` on the first check `config` runs.
pub fn unprobed(
    sni: Option<String>,
    error: &ProbeError,
    config: &ProbeConfig,
) -> TargetObservation {
    TargetObservation::unreachable(sni, error, ALL_CHECKS, config, 0)
}

/// Judges a probed endpoint as `subject` with `judge`, every check's hook
/// included.
pub fn assess(obs: &TargetObservation, judge: &Judge, subject: &Subject<'_>) -> EndpointAssessment {
    judge.endpoint(obs, subject, ALL_CHECKS)
}

/// Why a check selection was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// A name that is no check's id, given to `flag` (`--only`, `--skip`,
    /// or the exporter's `checks=`).
    #[error("invalid {flag} '{name}': known checks are {}", known_checks())]
    Unknown {
        /// Where the name was given.
        flag: &'static str,
        /// The name, trimmed.
        name: String,
    },
    /// `--only` and `--skip` together leave nothing to run.
    #[error("no check left to run: --only and --skip exclude every check")]
    NoneLeft,
}

impl SelectError {
    /// The same error, naming `flag` instead (a caller whose input is
    /// not spelled `--only`).
    pub fn given_as(self, flag: &'static str) -> Self {
        match self {
            SelectError::Unknown { name, .. } => SelectError::Unknown { flag, name },
            other => other,
        }
    }
}

fn known_checks() -> String {
    ALL_CHECKS
        .iter()
        .map(|c| c.id().name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The check spelled `name` (surrounding spaces ignored), or an error
/// naming `flag` and the known checks.
pub fn parse(flag: &'static str, name: &str) -> Result<CheckId, SelectError> {
    let name = name.trim();
    ALL_CHECKS
        .iter()
        .map(|c| c.id())
        .find(|id| id.name() == name)
        .ok_or_else(|| SelectError::Unknown {
            flag,
            name: name.to_string(),
        })
}

/// The selection rules, which follow each check's `needs` in the table
/// (defined here rather than in `probe`, which cannot see the table).
impl CheckSet {
    /// This set plus `id` and what it needs.
    pub fn with(self, id: CheckId) -> Self {
        let set = self.inserted(id);
        match check(id).and_then(|c| c.needs()) {
            Some(need) if !set.contains(need) => set.with(need),
            _ => set,
        }
    }

    /// This set without `id` and without what needs it.
    pub fn without(self, id: CheckId) -> Self {
        ALL_CHECKS
            .iter()
            .filter(|c| c.needs() == Some(id))
            .fold(self.removed(id), |set, dependent| {
                set.without(dependent.id())
            })
    }

    /// `--only` then `--skip`: every check when `only` is empty.
    pub fn pick(only: &[CheckId], skip: &[CheckId]) -> Result<Self, SelectError> {
        let mut set = if only.is_empty() {
            CheckSet::all()
        } else {
            only.iter().fold(CheckSet::none(), |set, id| set.with(*id))
        };
        for id in skip {
            set = set.without(*id);
        }
        if set == CheckSet::none() {
            return Err(SelectError::NoneLeft);
        }
        Ok(set)
    }

    /// As [`CheckSet::pick`], from check names.
    pub fn select(only: &[String], skip: &[String]) -> Result<Self, SelectError> {
        let parse_all =
            |flag: &'static str, names: &[String]| -> Result<Vec<CheckId>, SelectError> {
                names.iter().map(|n| parse(flag, n)).collect()
            };
        CheckSet::pick(&parse_all("--only", only)?, &parse_all("--skip", skip)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_check_id_has_one_entry() {
        for id in CheckId::ALL {
            let entries = ALL_CHECKS.iter().filter(|c| c.id() == *id).count();
            assert_eq!(entries, 1, "{id}");
        }
        assert_eq!(ALL_CHECKS.len(), CheckId::ALL.len());
    }

    #[test]
    fn only_pulls_in_what_a_check_needs_and_skip_drops_dependents() {
        let only = CheckSet::select(&names(&["selection"]), &[]).unwrap();
        assert!(only.contains(CheckId::Groups) && only.contains(CheckId::Selection));
        assert!(!only.contains(CheckId::Versions));
        let skip = CheckSet::select(&[], &names(&["groups"])).unwrap();
        assert!(!skip.contains(CheckId::Selection) && skip.contains(CheckId::Handshake));
        let groups = CheckSet::select(&names(&["groups"]), &[]).unwrap();
        assert!(groups.contains(CheckId::Groups) && !groups.contains(CheckId::Selection));
        let clients = CheckSet::select(&names(&["clients"]), &[]).unwrap();
        assert!(clients.contains(CheckId::Groups) && !clients.contains(CheckId::Selection));
    }

    #[test]
    fn rejects_unknown_and_empty_selections() {
        let err = CheckSet::select(&names(&["grups"]), &[]).unwrap_err();
        assert!(
            matches!(&err, SelectError::Unknown { flag: "--only", name } if name == "grups"),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("known checks are groups, selection"),
            "{err}"
        );
        assert_eq!(
            CheckSet::select(&names(&["groups"]), &names(&["groups"])),
            Err(SelectError::NoneLeft)
        );
        assert_eq!(
            CheckSet::select(&names(&[" versions "]), &[]),
            Ok(CheckSet::none().with(CheckId::Versions))
        );
    }
}
