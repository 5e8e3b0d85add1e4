//! `hello-tolerance`: whether post-quantum-sized ClientHellos break the
//! endpoint (split segments, many records, 4 KiB).
//!
//! Observation: `probe::tolerance::VariantObservation`s, serialised by the
//! report inside the judged `hello_tolerance`. Run:
//! `probe::tolerance::check`, reusing the `handshake` check's connection as
//! the `pq-one-segment` variant when that check runs. It runs last: the
//! split variant pauses mid-hello, and single-threaded servers would make
//! the other checks wait behind it. Assess hook: `assess::hello_tolerance`.

use crate::assess::certs::CertRules;
use crate::assess::{hello_tolerance, CheckJudge, EndpointAssessment};
use crate::probe::checks::{Check, Context, Ran, Running, Stage};
use crate::probe::{tolerance, TargetObservation};
use crate::vocab::CheckId;

/// The `hello-tolerance` check.
pub struct HelloTolerance;

impl Check for HelloTolerance {
    fn id(&self) -> CheckId {
        CheckId::HelloTolerance
    }

    fn summary(&self) -> &'static str {
        "five big-ClientHello variants: split segments, many records, 4 KiB (5)"
    }

    fn stage(&self) -> Stage {
        Stage::Last
    }

    fn run<'a>(&'a self, ctx: &'a Context<'a>) -> Running<'a> {
        Box::pin(async move {
            let handshake = ctx
                .running
                .contains(CheckId::Handshake)
                .then_some(&ctx.seen.handshake);
            // Over QUIC the variants are Initials, not TCP segments.
            let variants = match ctx.session.quic() {
                Some(_) => crate::probe::quic::tolerance(&ctx.session).await,
                None => tolerance::check(&ctx.session, handshake).await,
            };
            Ran::completed(move |obs| obs.hello_tolerance = Some(variants))
        })
    }
}

impl CheckJudge for HelloTolerance {
    fn judge(&self, obs: &TargetObservation, _rules: &CertRules, out: &mut EndpointAssessment) {
        if let Some(variants) = obs.hello_tolerance.as_deref() {
            let (judged, finding) = hello_tolerance(variants);
            out.findings.extend(finding);
            out.hello_tolerance = Some(judged);
        }
    }
}
