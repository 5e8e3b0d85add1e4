//! `versions`: which of TLS 1.2, 1.1 and 1.0 the server accepts.
//!
//! Observation: `tls_versions` (shared with the checks that see a version
//! negotiated). Run: `probe::versions::probe_legacy_versions`, one hello
//! per version. Assess hook: none of its own (the endpoint's verdict says
//! when TLS 1.3 is missing). Not run on a `quic` target: QUIC carries
//! TLS 1.3 only (RFC 9001 §4.2).

use crate::assess::CheckJudge;
use crate::probe::checks::{Check, Context, Ran, Running};
use crate::probe::versions;
use crate::vocab::CheckId;

/// The `versions` check.
pub struct Versions;

impl Check for Versions {
    fn id(&self) -> CheckId {
        CheckId::Versions
    }

    fn summary(&self) -> &'static str {
        "which of TLS 1.2, 1.1 and 1.0 are accepted (3)"
    }

    fn run<'a>(&'a self, ctx: &'a Context<'a>) -> Running<'a> {
        Box::pin(async move {
            match versions::probe_legacy_versions(&ctx.session).await {
                Ok(accepted) => Ran::completed(move |obs| {
                    for version in accepted {
                        obs.saw_version(version);
                    }
                }),
                Err(e) => Ran::failed(e),
            }
        })
    }
}

impl CheckJudge for Versions {}
