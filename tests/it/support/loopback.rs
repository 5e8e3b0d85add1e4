//! Probing a loopback address the way the tests do: a [`Target`] for an
//! address (with or without SNI) and a default [`ProbeConfig`] with a test
//! timeout. Shared by tests/it/engine.rs, hostile.rs, interop.rs, tolerance.rs.
#![allow(dead_code)] // each user compiles this file and uses part of it

use pqready::discover::Target;
use pqready::probe::ProbeConfig;
use pqready::report::TargetReport;
use pqready::scan::scan_one;
use std::net::SocketAddr;
use std::time::Duration;

/// The target `addr`, labelled with the address, sending `sni` (if any).
pub fn target(addr: SocketAddr, sni: Option<&str>) -> Target {
    Target {
        label: addr.to_string(),
        host: addr.ip().to_string(),
        port: addr.port(),
        sni: sni.map(String::from),
        protocol: pqready::vocab::Protocol::Tls,
    }
}

/// The default probe configuration with `timeout` per step.
pub fn config(timeout: Duration) -> ProbeConfig {
    ProbeConfig {
        timeout,
        ..ProbeConfig::default()
    }
}

/// Probes `addr`, sending `sni`, with the default configuration and `timeout`.
pub async fn probe(addr: SocketAddr, sni: Option<&str>, timeout: Duration) -> TargetReport {
    scan_one(&target(addr, sni), &config(timeout)).await
}
