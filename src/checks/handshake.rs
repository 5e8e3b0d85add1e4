//! `handshake`: one complete PQ-first rustls handshake.
//!
//! Observation: `probe::handshake::HandshakeObservation` (`handshake` in
//! JSON): group, suite, version, the certificate chain; a failure is
//! recorded in it and fails the check. Run:
//! `probe::handshake::full_handshake`, or on a `quic` target
//! `probe::quic::handshake::full_handshake` (a QUIC v1 connection with ALPN
//! h3, `over_quic` in the observation). Over TCP its connection is also the
//! `hello-tolerance` check's `pq-one-segment` variant, and its chain the
//! first the `certificates` check analyses. Assess hook: none of its own
//! (the endpoint's verdict says what a PQ-first client got).

use crate::assess::CheckJudge;
use crate::probe::checks::{Check, Context, Ran, Running};
use crate::probe::{handshake, ProbeError};
use crate::vocab::{CheckId, ErrorKind};

/// The `handshake` check.
pub struct Handshake;

impl Check for Handshake {
    fn id(&self) -> CheckId {
        CheckId::Handshake
    }

    fn summary(&self) -> &'static str {
        "one complete PQ-first rustls handshake: group, suite, certificate chain (1)"
    }

    fn run<'a>(&'a self, ctx: &'a Context<'a>) -> Running<'a> {
        Box::pin(async move {
            // A `quic` target's handshake is a QUIC connection (quinn), with
            // the same rustls client and the same observation.
            let seen = match ctx.session.quic() {
                Some(_) => crate::probe::quic::handshake::full_handshake(&ctx.session).await,
                None => handshake::full_handshake(&ctx.session).await,
            };
            let error = seen.error.as_ref().map(|message| {
                ProbeError::new(seen.error_kind.unwrap_or(ErrorKind::Tls), message.clone())
            });
            Ran::ended(error, move |obs| {
                if let Some(version) = seen.version {
                    obs.saw_version(version);
                }
                obs.handshake = seen;
            })
        })
    }
}

impl CheckJudge for Handshake {}
