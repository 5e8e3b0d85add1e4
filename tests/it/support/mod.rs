//! Helpers shared by integration tests.
pub mod apiserver;
pub mod clients;
pub mod command;
pub mod exporter;
pub mod formats;
pub mod inspector;
pub mod kubeconfig;
pub mod loopback;
pub mod peers;
pub mod prometheus;
pub mod scripted;
pub mod tap;
