//! pqready: is this TLS post-quantum safe today, and where is it silently not?
//!
//! The crate is a pipeline; each stage is a module that owns one job:
//!
//! ```text
//! discover ──> probe ──> assess ──> report
//!  targets     network    verdicts   table / JSON
//!              facts      & policy   (formats only)
//!                 │
//!                 └── wire (pure TLS codec) + net (the only socket code)
//! ```
//!
//! - [`discover`] turns user input (host:port lists, files) into [`discover::Target`]s.
//! - [`probe`] talks to a target and records what it did — observations, never judgements.
//! - [`assess`] turns observations into verdicts; the only home of policy.
//! - [`report`] holds the serde report model and renders it; no network, no judgement.
//! - [`wire`] builds and parses TLS handshake bytes; pure and fuzzable.
//! - [`net`] is the only code that opens outbound connections; every step has a deadline.
//! - [`catalog`] holds static facts: Go's TLS rules, Kubernetes builds, client profiles.
//! - [`inspect`] is the server side: it accepts clients and records their ClientHellos.
//! - [`gobin`] reads Go executables' build info offline.
//! - [`demo`] runs in-process rustls servers so the tool can show itself offline.
#![warn(missing_docs)]

pub mod assess;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod discover;
pub mod gobin;
pub mod inspect;
pub mod net;
pub mod probe;
pub mod report;
pub mod scan;
pub mod time;
pub mod vocab;
pub mod wire;
