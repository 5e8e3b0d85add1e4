//! Static facts, one source of truth each: Go's TLS defaults, Kubernetes
//! builds, client profiles and the server models used for offline
//! predictions. Data and pure functions only: no I/O, no judgement.

pub mod algorithms;
pub mod deadlines;
pub mod go;
pub mod kubernetes;
pub mod profile;
pub mod server;
pub mod ssh;

/// Why a list of catalog ids (`--clients`, `--servers`, `--deadlines`,
/// the exporter's `clients=`) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// An id no entry has; `what` names the entries, `hint` where they are
    /// listed.
    #[error("unknown {what} '{id}': {hint} lists them")]
    Unknown {
        /// The kind of entry, e.g. `client profile`.
        what: &'static str,
        /// The id as given.
        id: String,
        /// Where the valid ids are listed.
        hint: &'static str,
    },
    /// No id at all.
    #[error("empty {what} list: use `all` or ids from {hint}")]
    Empty {
        /// The kind of entry.
        what: &'static str,
        /// Where the valid ids are listed.
        hint: &'static str,
    },
    /// A `--deadlines` name that is no table.
    #[error(
        "invalid --deadlines '{name}': known tables are {}",
        deadlines::known_tables()
    )]
    UnknownTable {
        /// The name as given.
        name: String,
    },
    /// `--deadlines` naming no table.
    #[error("empty --deadlines: name nist, cnsa2 or both")]
    NoTables,
}

/// Picks entries of `all` by id: `all`, or a comma-separated list of ids.
/// `what` names the entries in errors; `hint` says where to find valid ids.
fn select_by_id<T>(
    all: &'static [T],
    spec: &str,
    id: impl Fn(&T) -> &str,
    what: &'static str,
    hint: &'static str,
) -> Result<Vec<&'static T>, SelectError> {
    if spec.trim() == "all" {
        return Ok(all.iter().collect());
    }
    let mut out = Vec::new();
    for wanted in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let entry = all
            .iter()
            .find(|e| id(e) == wanted)
            .ok_or_else(|| SelectError::Unknown {
                what,
                id: wanted.to_string(),
                hint,
            })?;
        out.push(entry);
    }
    if out.is_empty() {
        return Err(SelectError::Empty { what, hint });
    }
    Ok(out)
}
