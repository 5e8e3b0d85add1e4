//! pqready: is this TLS post-quantum safe today, and where is it silently not?
//!
//! The crate is a pipeline; each stage is a module that owns one job, and
//! every module imports only the ones below it:
//!
//! ```text
//! commands ─> discover ──> probe / inspect / gobin / pki ──> assess ──> report
//!  (runs a    targets      facts, never judgements    verdicts,   documents and
//!   command)                                          findings    renderers
//!                 │
//!                 └── wire (pure TLS codec) + net (the only socket code)
//!                     catalog (static facts) + vocab (every label)
//! ```
//!
//! A probe check holds both a run and an assess hook, so the checks sit in
//! [`checks`], above `probe` and `assess`, which see them only through the
//! traits they define (`probe::checks::Check`, `assess::Judge`).
//!
//! - [`commands`] runs one subcommand: the runtime, where output goes, progress, exit status.
//! - [`discover`] turns user input (host:port lists, files) into [`discover::Target`]s.
//! - [`probe`] talks to a target and records what it did: the session loop that runs the
//!   checks, their network primitives and observations; facts only.
//! - [`checks`] holds each probe check in one file (its run and its assess hook) and
//!   `ALL_CHECKS`, the table handed down to `probe` and `assess`.
//! - [`inspect`] is the server side: it accepts clients and records their ClientHellos and
//!   the server's answers.
//! - [`gobin`] reads Go executables' build info offline.
//! - [`pki`] reads certificates and keys (DER, PEM, kubeconfigs, Secrets) into facts.
//! - [`assess`] turns observations into verdicts and findings; the only judge.
//! - [`report`] holds the one document model and one renderer per format; no judgement.
//! - [`scan`] runs probe, assess and report over many targets at once.
//! - [`wire`] builds and parses TLS bytes; pure and fuzzable.
//! - [`net`] is the only code that opens outbound connections; every step has a deadline.
//! - [`catalog`] holds static facts: Go's TLS rules, Kubernetes builds, client profiles.
//! - [`vocab`] names every label that reaches JSON or a table.
//! - [`demo`] runs in-process rustls servers so the tool can show itself offline.
#![warn(missing_docs)]

pub mod assess;
pub mod catalog;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod discover;
pub mod gobin;
pub mod inspect;
pub mod net;
pub mod observe;
pub mod pki;
pub mod probe;
pub mod report;
pub mod scan;
pub mod time;
pub mod vocab;
pub mod wire;
