//! Where each subject stands ([`Standing`]): derived here, once per kind of
//! subject, from the facts and verdicts its document already holds, so the
//! renderers, the baseline and the exporter say the same word for it.
//!
//! Must not: format the word or its colour (`report::style`), or rank
//! standings (`vocab::Standing::rank`).

use crate::vocab::{ErrorKind, OfferVerdict, PqStatus, Standing};

/// An endpoint's standing: its verdict when the probe reached one; when it
/// could not be probed, why (`unreachable` for refused, timed out, no route
/// or no such name; `no-tls` when it answered without TLS; `error` else).
pub fn endpoint(status: PqStatus, error_kind: Option<ErrorKind>) -> Standing {
    match status {
        PqStatus::Pq => Standing::Pq,
        PqStatus::DraftOnly => Standing::DraftOnly,
        PqStatus::Classical => Standing::Classical,
        PqStatus::Unknown => Standing::Unknown,
        PqStatus::Error if super::cluster::unreachable(error_kind) => Standing::Unreachable,
        PqStatus::Error if error_kind == Some(ErrorKind::NotTls) => Standing::NoTls,
        PqStatus::Error => Standing::Error,
    }
}

/// A cluster component's standing: `unreachable` when its address cannot be
/// reached from here, `no-tls` when it answered without TLS, else that of
/// its probe (`result`, by [`endpoint`]); `error` when it had no address.
pub fn component(reachable: bool, speaks_tls: Option<bool>, result: Option<Standing>) -> Standing {
    if !reachable {
        Standing::Unreachable
    } else if speaks_tls == Some(false) {
        Standing::NoTls
    } else {
        result.unwrap_or(Standing::Error)
    }
}

/// The standing of an offer (an inspected client's, a Go binary's):
/// `unknown` when it could not be judged (an unreadable hello, a Go
/// version pqready does not know).
pub fn offer(verdict: Option<OfferVerdict>) -> Standing {
    match verdict {
        Some(OfferVerdict::Pq) => Standing::Pq,
        Some(OfferVerdict::DraftOnly) => Standing::DraftOnly,
        Some(OfferVerdict::Classical) => Standing::Classical,
        None => Standing::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_stands_by_its_verdict_or_by_why_it_could_not_be_probed() {
        for (status, standing) in [
            (PqStatus::Pq, Standing::Pq),
            (PqStatus::DraftOnly, Standing::DraftOnly),
            (PqStatus::Classical, Standing::Classical),
            (PqStatus::Unknown, Standing::Unknown),
        ] {
            assert_eq!(endpoint(status, None), standing);
        }
        for kind in [
            ErrorKind::Refused,
            ErrorKind::Timeout,
            ErrorKind::Resolve,
            ErrorKind::Io,
        ] {
            assert_eq!(
                endpoint(PqStatus::Error, Some(kind)),
                Standing::Unreachable,
                "{kind}"
            );
        }
        assert_eq!(
            endpoint(PqStatus::Error, Some(ErrorKind::NotTls)),
            Standing::NoTls
        );
        for kind in [
            ErrorKind::Alert,
            ErrorKind::Reset,
            ErrorKind::Malformed,
            ErrorKind::Internal,
        ] {
            assert_eq!(endpoint(PqStatus::Error, Some(kind)), Standing::Error);
        }
        assert_eq!(endpoint(PqStatus::Error, None), Standing::Error);
    }

    #[test]
    fn a_component_unreachable_or_without_tls_says_so_before_its_probe() {
        let probed = Some(Standing::Classical);
        assert_eq!(component(false, None, probed), Standing::Unreachable);
        assert_eq!(component(false, Some(true), probed), Standing::Unreachable);
        assert_eq!(component(true, Some(false), probed), Standing::NoTls);
        assert_eq!(component(true, Some(true), probed), Standing::Classical);
        assert_eq!(component(true, None, None), Standing::Error);
    }

    #[test]
    fn an_offer_that_could_not_be_judged_is_unknown() {
        assert_eq!(offer(Some(OfferVerdict::Pq)), Standing::Pq);
        assert_eq!(offer(Some(OfferVerdict::DraftOnly)), Standing::DraftOnly);
        assert_eq!(offer(Some(OfferVerdict::Classical)), Standing::Classical);
        assert_eq!(offer(None), Standing::Unknown);
    }
}
