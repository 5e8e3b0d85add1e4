//! `certificates`: the chains the server presents, and whether it
//! authenticates with ML-DSA and with classical signatures.
//!
//! Observation: `probe::certificates::AuthenticationObservation`
//! (`authentication` in JSON) and the captured chains: the `handshake`
//! check's first (what a default client sees; its part of the observation
//! is written before this one's, being earlier in the table), then the
//! ML-DSA and classical handshakes'. The check fails when neither handshake
//! got an answer. Run: `probe::certificates::check` (over QUIC on a `quic`
//! target: each handshake a QUIC connection). Assess hook: the
//! served certificates judged by the `--deadlines` rules
//! (`assess::served`), then `assess::authentication`'s finding.

use crate::assess::certs::CertRules;
use crate::assess::{authentication, served, CheckJudge, EndpointAssessment};
use crate::probe::certificates::{self, CapturedChain, ChainSource};
use crate::probe::checks::{Check, Context, Ran, Running};
use crate::probe::TargetObservation;
use crate::vocab::CheckId;

/// The `certificates` check.
pub struct Certificates;

impl Check for Certificates {
    fn id(&self) -> CheckId {
        CheckId::Certificates
    }

    fn summary(&self) -> &'static str {
        "two handshakes restricted to ML-DSA and to classical signature schemes: \
         both chains and whether each kind authenticates (2)"
    }

    fn run<'a>(&'a self, ctx: &'a Context<'a>) -> Running<'a> {
        Box::pin(async move {
            let check = certificates::check(&ctx.session).await;
            Ran::ended(check.failure, move |obs| {
                let mut chains = Vec::new();
                if !obs.handshake.der_chain.is_empty() {
                    chains.push(CapturedChain::parse(
                        ChainSource::Handshake,
                        &obs.handshake.der_chain,
                    ));
                }
                chains.extend(check.chains);
                for version in check.observation.attempts.iter().filter_map(|a| a.version) {
                    obs.saw_version(version);
                }
                obs.chains = chains;
                obs.authentication = Some(check.observation);
            })
        })
    }
}

impl CheckJudge for Certificates {
    fn judge(&self, obs: &TargetObservation, rules: &CertRules, out: &mut EndpointAssessment) {
        let served = served::served(obs, rules);
        out.findings.extend(served.findings);
        out.certificates = served.certificates;
        out.certificate_errors = served.unread;
        out.findings
            .extend(authentication::no_classical_authentication(obs));
    }
}
