//! The table of probe checks: what each one does, what it costs, whether it
//! runs by default, and which other check it builds on. `--only`, `--skip`,
//! the per-check JSON records and `--help` all read this one table, so a new
//! check is one entry here plus its module.

use crate::vocab::{CheckId, CheckStatus, ErrorKind};
use serde::Serialize;

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct CheckInfo {
    /// Its id.
    pub id: CheckId,
    /// What it finds out, and what it costs in connections.
    pub summary: &'static str,
    /// A check whose result it needs; selecting it selects that one too.
    pub needs: Option<CheckId>,
}

/// Every check, in the order they run.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: CheckId::Groups,
        summary: "supported key-exchange groups and the server's order (S+2 connections)",
        needs: None,
    },
    CheckInfo {
        id: CheckId::Selection,
        summary: "whether a client key share beats the server's order, and PQ over a classical share (up to 2)",
        needs: Some(CheckId::Groups),
    },
    CheckInfo {
        id: CheckId::Versions,
        summary: "which of TLS 1.2, 1.1 and 1.0 are accepted (3)",
        needs: None,
    },
    CheckInfo {
        id: CheckId::Handshake,
        summary: "one complete PQ-first rustls handshake: group, suite, certificate chain (1)",
        needs: None,
    },
    CheckInfo {
        id: CheckId::Clients,
        summary: "replays the --clients profiles (one per distinct offer); runs only with --clients",
        // Only the server's supported set tells a silent downgrade (the
        // server has a PQ group the client lacks) from a classical server.
        needs: Some(CheckId::Groups),
    },
    CheckInfo {
        id: CheckId::Certificates,
        summary: "two handshakes restricted to ML-DSA and to classical signature schemes: \
                  both chains and whether each kind authenticates (2)",
        needs: None,
    },
    CheckInfo {
        id: CheckId::HelloTolerance,
        summary: "five big-ClientHello variants: split segments, many records, 4 KiB (5)",
        needs: None,
    },
];

/// The row of `id`.
pub fn info(id: CheckId) -> &'static CheckInfo {
    CHECKS.iter().find(|c| c.id == id).unwrap_or(&CHECKS[0])
}

/// A set of checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSet(u32);

impl CheckSet {
    /// Every check.
    pub fn all() -> Self {
        CheckId::ALL.iter().fold(CheckSet(0), |s, c| s.with(*c))
    }

    /// No check.
    pub fn none() -> Self {
        CheckSet(0)
    }

    fn bit(id: CheckId) -> u32 {
        1 << (id as u32)
    }

    /// This set plus `id` and what it needs.
    pub fn with(self, id: CheckId) -> Self {
        let set = CheckSet(self.0 | Self::bit(id));
        match info(id).needs {
            Some(need) if !set.contains(need) => set.with(need),
            _ => set,
        }
    }

    /// This set without `id` and without what needs it.
    pub fn without(self, id: CheckId) -> Self {
        let mut set = CheckSet(self.0 & !Self::bit(id));
        for dependent in CHECKS.iter().filter(|c| c.needs == Some(id)) {
            set = set.without(dependent.id);
        }
        set
    }

    /// True if `id` is in the set.
    pub fn contains(self, id: CheckId) -> bool {
        self.0 & Self::bit(id) != 0
    }

    /// `--only` then `--skip`, each a list of check names.
    pub fn select(only: &[String], skip: &[String]) -> Result<Self, String> {
        let parse = |flag: &str, name: &String| {
            CheckId::parse(name.trim()).ok_or_else(|| {
                format!(
                    "invalid {flag} '{}': known checks are {}",
                    name.trim(),
                    CheckId::ALL
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        };
        let mut set = if only.is_empty() {
            CheckSet::all()
        } else {
            let mut set = CheckSet::none();
            for name in only {
                set = set.with(parse("--only", name)?);
            }
            set
        };
        for name in skip {
            set = set.without(parse("--skip", name)?);
        }
        if set == CheckSet::none() {
            return Err("no check left to run: --only and --skip exclude every check".into());
        }
        Ok(set)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_check_has_a_row() {
        for id in CheckId::ALL {
            assert_eq!(info(*id).id, *id);
        }
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
        assert!(err.contains("known checks are groups, selection"), "{err}");
        assert!(CheckSet::select(&names(&["groups"]), &names(&["groups"])).is_err());
    }
}
