//! Static facts, one source of truth each: Go's TLS defaults, Kubernetes
//! builds, client profiles and the server models used for offline
//! predictions. Data and pure functions only: no I/O, no judgement.

pub mod algorithms;
pub mod deadlines;
pub mod go;
pub mod kubernetes;
pub mod profile;
pub mod server;

/// Picks entries of `all` by id: `all`, or a comma-separated list of ids.
/// `what` names the entries in errors; `hint` says where to find valid ids.
fn select_by_id<T>(
    all: &'static [T],
    spec: &str,
    id: impl Fn(&T) -> &str,
    what: &str,
    hint: &str,
) -> Result<Vec<&'static T>, String> {
    if spec.trim() == "all" {
        return Ok(all.iter().collect());
    }
    let mut out = Vec::new();
    for wanted in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let entry = all
            .iter()
            .find(|e| id(e) == wanted)
            .ok_or_else(|| format!("unknown {what} '{wanted}': {hint} lists them"))?;
        out.push(entry);
    }
    if out.is_empty() {
        return Err(format!("empty {what} list: use `all` or ids from {hint}"));
    }
    Ok(out)
}
