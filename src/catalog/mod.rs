//! Static facts, one source of truth each: Go's TLS defaults, Kubernetes
//! builds, client profiles and the server models used for offline
//! predictions. Data and pure functions only: no I/O, no judgement.

pub mod go;
pub mod kubernetes;
pub mod profile;
pub mod server;
