//! `pqready observe`: what real connections negotiate, seen passively in
//! packet captures.
//!
//! In TLS 1.3 the ClientHello and the ServerHello (or HelloRetryRequest)
//! cross the wire in clear text, so the group every connection negotiates
//! can be read without decrypting anything. This module turns captured
//! frames into those facts:
//! - [`packet`]: one frame → one TCP segment or UDP datagram (link layers,
//!   IPv4/IPv6, TCP, UDP);
//! - [`stream`]: one direction's first bytes back in order;
//! - [`quic`]: a QUIC connection's Initials (either side's, decrypted with
//!   the public Initial keys) read into the same facts;
//! - [`flow`]: the flow table (bounded: a flow cap, a byte cap per
//!   direction, an idle timeout in capture time) and, per connection, the
//!   TLS records and hellos of each side ([`ObservedConnection`]);
//! - [`pcap`]: reading pcap and pcapng files into the flow table;
//! - [`live`]: capturing on a Linux interface into the same table (an
//!   `AF_PACKET` socket, no libpcap), with [`filter`] (`--filter`, the
//!   tcpdump subset) and [`who`] (the process, Go build and container of
//!   each local end).
//!
//! Everything but [`pcap`]'s reading of a `Read` is pure: frames in,
//! connections out, so it is fuzzed as a whole (`fuzz_targets/observe_pcap.rs`).
//! Sources are separate from the table on purpose: a live capture feeds the
//! same [`flow::FlowTable`] with the same [`packet::decode`]d segments.
//!
//! Must not: judge (that is `assess::observed`) or format (`report::observe`).

pub mod filter;
pub mod flow;
pub mod hello;
#[cfg(target_os = "linux")]
pub mod live;
pub mod packet;
pub mod pcap;
pub mod quic;
pub mod stream;
pub mod who;

use crate::inspect::ShareSize;
use crate::vocab::{ObservedSides, Transport};
use crate::wire::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use serde::{Deserialize, Serialize};

/// One TCP or QUIC connection whose TLS hellos were seen (at least one of
/// them). Field names are a contract (docs/guides/observe.md): add, never
/// rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ObservedConnection {
    /// Capture time of the connection's first packet (RFC 3339, UTC).
    pub time: String,
    /// `tcp` (TLS over TCP) or `quic` (the hellos of QUIC Initials over UDP).
    #[serde(default)]
    pub transport: Transport,
    /// The client's address and port.
    pub client: String,
    /// The server's address and port.
    pub server: String,
    /// Which directions of the connection the capture holds bytes of.
    pub sides: ObservedSides,
    /// What the client offered; null when its hello was not seen.
    pub client_hello: Option<HelloFacts>,
    /// What the server answered; null when its answer was not seen.
    pub server_hello: Option<ServerFacts>,
    /// Why a side that was seen could not be read (cut by the capture, a
    /// hole in the stream, bytes that are not TLS), or null.
    pub error: Option<String>,
    /// Overlapping TCP segments whose bytes differed from those that
    /// arrived first (the first were kept); 0 for QUIC.
    pub conflicting_segments: u32,
    /// What the QUIC packets said besides the hellos (QUIC connections
    /// only; absent for TCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quic: Option<QuicFacts>,
    /// The local process that held the client's socket (live captures
    /// only; absent when not local or not found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_process: Option<who::ProcessFacts>,
    /// The local process that held the server's socket (its listening
    /// socket when the connection was first seen), as `client_process`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_process: Option<who::ProcessFacts>,
    /// What the Kubernetes API names the server's address: the Pod whose
    /// IP it is, or the Service whose ClusterIP it is (live captures with
    /// API access only; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_workload: Option<Workload>,
}

/// A QUIC connection's packet-level facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuicFacts {
    /// The QUIC version of the client's Initials (1, or 0x6b3343cf for
    /// QUIC v2); another version's packets are not read, and `error` says so.
    pub version: u32,
    /// The server sent a Retry (whose integrity tag checked out): the
    /// client's next Initials used the keys of the Retry's connection ID.
    pub retry: bool,
    /// The server sent Version Negotiation.
    pub version_negotiation: bool,
    /// Initial packets of the client's that could not be decrypted (not
    /// this connection's, corrupt, or keys pqready could not know).
    pub undecryptable_initials: u32,
}

/// A Kubernetes object named by an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Workload {
    /// `pod` or `service`.
    pub kind: crate::vocab::WorkloadKind,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

/// What a ClientHello offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HelloFacts {
    /// SNI host name, if sent.
    pub sni: Option<String>,
    /// ALPN protocols, in order.
    pub alpn: Vec<String>,
    /// Offered versions (supported_versions, else legacy_version).
    pub versions: Vec<ProtocolVersion>,
    /// supported_groups, in offered order.
    pub groups: Vec<NamedGroup>,
    /// key_share entries with their sizes, in order.
    pub key_shares: Vec<ShareSize>,
    /// signature_algorithms, in order.
    pub signature_schemes: Vec<SignatureScheme>,
    /// cipher_suites, in order.
    pub cipher_suites: Vec<CipherSuite>,
    /// Length of the ClientHello handshake message in bytes.
    pub length: usize,
    /// TLS records it arrived in (QUIC: Initial packets carrying it).
    pub records: u32,
    /// JA4 fingerprint.
    pub ja4: String,
    /// Closest built-in client profile (`pqready profiles`).
    pub profile_match: Option<String>,
    /// True if the offer is identical to that profile's.
    pub profile_match_exact: bool,
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerFacts {
    /// The version the server selected; null when only a HelloRetryRequest was seen.
    pub version: Option<ProtocolVersion>,
    /// The cipher suite of the final ServerHello; null when not seen.
    pub cipher_suite: Option<CipherSuite>,
    /// The key-exchange group: TLS 1.3 the final ServerHello's key_share,
    /// TLS 1.2 the ServerKeyExchange curve; null when none was seen (TLS
    /// 1.2 RSA key exchange, or the answer ends early).
    pub negotiated_group: Option<NamedGroup>,
    /// The server sent a HelloRetryRequest first.
    pub hello_retry: bool,
    /// The group the HelloRetryRequest asked for.
    pub hello_retry_group: Option<NamedGroup>,
}

/// What reading the capture saw besides connections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaptureStats {
    /// Files read.
    pub files: u32,
    /// Packets read.
    pub packets: u64,
    /// Captured bytes of those packets.
    pub bytes: u64,
    /// Packets that carry neither TCP nor a QUIC long header (other
    /// protocols, UDP that is not QUIC, IP fragments, unknown link types,
    /// malformed headers).
    pub packets_skipped: u64,
    /// TCP or UDP packets whose payload the capture's snaplen cut short.
    pub packets_cut: u64,
    /// TCP flows and QUIC connections tracked.
    pub flows: u64,
    /// New flows not tracked because the flow table was full (`--max-flows`).
    pub flows_dropped: u64,
    /// Flows in which no TLS hello was seen (other protocols, connections
    /// that started before the capture).
    pub flows_without_hello: u64,
    /// Connections reported.
    pub connections: u64,
    /// Packets the kernel dropped because pqready's socket buffer was full
    /// (live captures only).
    #[serde(default)]
    pub packets_dropped: u64,
    /// What went wrong reading the files (a truncated file, a block over
    /// the size limit, a link type pqready does not read).
    pub notes: Vec<String>,
}
