//! `clients`: what each `--clients` profile gets from the server.
//!
//! Observation: `probe::clients::ClientResult`s (`clients` in JSON), one
//! replay per distinct offer; the check fails when a profile got no answer
//! at all. Run: `probe::clients::check`; only with `--clients`. It needs
//! `groups`: only the server's supported set tells a silent downgrade (the
//! server has a PQ group the client lacks) from a classical server. Assess
//! hook: `assess::client_findings`. Not run on a `quic` target: the
//! profiles are TCP ClientHellos.

use crate::assess::certs::CertRules;
use crate::assess::{client_findings, CheckJudge, EndpointAssessment};
use crate::probe::checks::{Check, Context, Ran, Running};
use crate::probe::{clients, ProbeConfig, ProbeError, TargetObservation};
use crate::vocab::{CheckId, ErrorKind};

/// The `clients` check.
pub struct Clients;

impl Check for Clients {
    fn id(&self) -> CheckId {
        CheckId::Clients
    }

    fn summary(&self) -> &'static str {
        "replays the --clients profiles (one per distinct offer); runs only with --clients"
    }

    fn needs(&self) -> Option<CheckId> {
        Some(CheckId::Groups)
    }

    fn applies(&self, config: &ProbeConfig) -> bool {
        !config.clients.is_empty()
    }

    fn run<'a>(&'a self, ctx: &'a Context<'a>) -> Running<'a> {
        Box::pin(async move {
            let results = clients::check(&ctx.session, &ctx.config.clients).await;
            let error = results.iter().find(|c| c.unanswered()).map(|c| {
                ProbeError::new(
                    c.error_kind.unwrap_or(ErrorKind::Io),
                    format!(
                        "{}: {}",
                        c.profile,
                        c.detail.as_deref().unwrap_or("no answer")
                    ),
                )
            });
            Ran::ended(error, move |obs| obs.clients = results)
        })
    }
}

impl CheckJudge for Clients {
    fn judge(&self, obs: &TargetObservation, _rules: &CertRules, out: &mut EndpointAssessment) {
        out.findings.extend(client_findings(obs));
    }
}
