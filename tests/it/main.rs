//! Every integration test, in one test binary (as ripgrep does): the library
//! and its dependencies are linked once instead of once per file, which was
//! most of the time a clean clone spent building tests. One module per
//! subject, named as the file was; run one with its module path, e.g.
//! `cargo test --test it inspect::` or `cargo test --test it interop`.
//!
//! None needs a process of its own: no test changes the environment, the
//! working directory or a signal disposition of the test process, and each
//! starts pqready and the peers as child processes.

mod support;

mod apiserver_harness;
mod apt_mirror;
mod baseline;
mod binaries;
mod cbom;
mod certificates;
mod certs;
mod cli;
mod client_profiles;
mod cluster;
mod cluster_faults;
mod deploy;
mod docs;
mod edges;
mod engine;
mod exporter;
mod exporter_web;
mod gate;
mod golden;
mod hostile;
mod html;
mod image;
mod inspect;
mod interop;
mod key_exchange;
mod observe;
mod observe_exporter;
mod observe_pairs;
mod policy;
mod politeness;
mod prediction;
mod prometheus_peer;
mod protocol_reports;
mod quic;
mod release;
mod report_cmd;
mod sarif;
mod schema;
mod shard;
mod slow_link;
mod ssh;
mod starttls;
mod tolerance;
mod wire_props;
mod wrong_answers_probe;
