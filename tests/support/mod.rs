//! Helpers shared by integration tests.
pub mod clients;
pub mod command;
pub mod inspector;
pub mod peers;
pub mod tap;
