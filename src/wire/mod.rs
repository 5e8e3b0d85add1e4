//! The TLS wire codec: pure bytes ↔ types, no I/O, no policy.
//!
//! Written by hand rather than taken from rustls because a scanner must build
//! messages no conforming library will send (an empty key_share list, an
//! arbitrary group order, obsolete codepoints, hellos cut into odd records) and
//! must decode whatever a server answers, keeping unknown codepoints. rustls'
//! message types are internal and deliberately refuse such states.
//!
//! Everything here is deterministic and panic-free on any input, so it can be
//! fuzzed and property-tested in isolation.

pub mod client_hello;
pub mod codec;
pub mod flight;
pub mod keyshare;
pub mod quic;
pub mod record;
pub mod registry;
pub mod schema;
pub mod server_hello;
pub mod ssh;
pub mod starttls;
#[cfg(test)]
pub(crate) mod testing;

pub use client_hello::{ClientHello, ClientHelloSpec, Extension, KeyShareEntry};
pub use codec::WireError;
pub use flight::{Event, FlightError, FlightLimits, FlightReader, Sender};
pub use record::{Alert, HandshakeMessage, HandshakeReassembler, RecordHeader};
pub use registry::{
    AlertDescription, CipherSuite, ExtensionType, GroupInfo, GroupKind, GroupPart, NamedGroup,
    ProtocolVersion, SignatureScheme, GROUPS,
};
pub use server_hello::{SelectedShare, ServerHello};
