//! `pqready inspect`: what clients offer, seen from the server side.
//!
//! Owns: accepting client connections, capturing each ClientHello within
//! hard limits ([`capture`]), describing it ([`InspectRecord`]: groups, key
//! shares, versions, suites, sizes, how many TCP reads and TLS records it took,
//! a JA4 fingerprint, the closest client profile and a verdict), and then
//! either terminating TLS like a normal PQ-enabled server or forwarding every
//! byte unchanged to an upstream ([`serve`]), and what the server answered
//! ([`answer`]: the negotiated group, version and HelloRetryRequest).
//! Judgements come from `assess` (`assess::inspected` for downgrades);
//! formatting lives in `report::inspect`.

pub mod answer;
pub mod capture;
pub mod ja4;
pub mod serve;

use crate::assess::inspected::downgraded;
use crate::assess::{offer_verdict, OfferVerdict};
use crate::catalog::profile::closest;
use crate::wire::{CipherSuite, ClientHello, NamedGroup, ProtocolVersion, SignatureScheme};
use answer::ServerAnswer;
use capture::Capture;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::SystemTime;

/// One key share as offered: its group and its length in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareSize {
    /// The group.
    pub group: NamedGroup,
    /// Payload length on the wire.
    pub length: usize,
}

/// Everything recorded about one client connection (one JSON Lines record).
/// Field names are a contract (README, "pqready inspect"): add, never rename.
#[derive(Debug, Clone, Serialize)]
pub struct InspectRecord {
    /// When the connection was accepted (RFC 3339, UTC).
    pub time: String,
    /// The client's address.
    pub peer: String,
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
    /// Length of the ClientHello handshake message in bytes (0 if incomplete).
    pub client_hello_len: usize,
    /// TCP reads it took to receive the hello.
    pub tcp_reads: u32,
    /// TLS records it arrived in.
    pub records: u32,
    /// JA4 fingerprint.
    pub ja4: Option<String>,
    /// Closest built-in client profile.
    pub profile_match: Option<String>,
    /// True if the offer is identical to that profile's.
    pub profile_match_exact: bool,
    /// Other profiles with exactly the same offer.
    pub profile_equivalents: Vec<String>,
    /// `pq`, `draft-only` or `classical`; null when no hello was parsed.
    pub verdict: Option<OfferVerdict>,
    /// Why the hello could not be read (or the connection was refused), or null.
    pub error: Option<String>,
    /// The key-exchange group the server selected (after a HelloRetryRequest:
    /// the final ServerHello's); null when its answer could not be read.
    pub negotiated_group: Option<NamedGroup>,
    /// The server sent a HelloRetryRequest first; null when unknown.
    pub hello_retry: Option<bool>,
    /// The version the server selected; null when unknown.
    pub server_version: Option<ProtocolVersion>,
    /// The client offered a post-quantum group and the connection settled on
    /// a classical one ([`crate::assess::inspected::downgraded`]); null when
    /// the negotiated group is unknown.
    pub downgraded: Option<bool>,
}

impl InspectRecord {
    /// Describes one capture.
    pub fn from_capture(peer: SocketAddr, accepted: SystemTime, cap: &Capture) -> Self {
        let mut record = InspectRecord {
            time: crate::report::time::rfc3339(accepted),
            peer: peer.to_string(),
            sni: None,
            alpn: Vec::new(),
            versions: Vec::new(),
            groups: Vec::new(),
            key_shares: Vec::new(),
            signature_schemes: Vec::new(),
            cipher_suites: Vec::new(),
            client_hello_len: cap.hello_len,
            tcp_reads: cap.tcp_reads,
            records: cap.records,
            ja4: None,
            profile_match: None,
            profile_match_exact: false,
            profile_equivalents: Vec::new(),
            verdict: None,
            error: None,
            negotiated_group: None,
            hello_retry: None,
            server_version: None,
            downgraded: None,
        };
        let hello = match &cap.result {
            Ok(hello) => hello,
            Err(e) => {
                record.error = Some(e.to_string());
                return record;
            }
        };
        if let Err(e) = record.fill(hello) {
            record.error = Some(format!("malformed ClientHello extension: {e}"));
        }
        record
    }

    /// Adds what the server answered (`None`: its answer could not be read).
    pub fn set_answer(&mut self, answer: Option<&ServerAnswer>) {
        self.negotiated_group = answer.and_then(|a| a.group);
        self.hello_retry = answer.map(|a| a.hello_retry);
        self.server_version = answer.map(|a| a.version);
        self.downgraded = downgraded(&self.groups, self.negotiated_group);
    }

    fn fill(&mut self, hello: &ClientHello) -> Result<(), crate::wire::WireError> {
        self.cipher_suites = hello.cipher_suites.clone();
        self.ja4 = Some(ja4::ja4(hello));
        self.sni = hello.server_name()?;
        self.alpn = hello
            .alpn()?
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        self.versions = hello.versions()?;
        if self.versions.is_empty() {
            self.versions = vec![hello.legacy_version];
        }
        self.groups = hello.groups()?;
        let shares = hello.key_shares()?;
        self.key_shares = shares
            .iter()
            .map(|k| ShareSize {
                group: k.group,
                length: k.payload.len(),
            })
            .collect();
        self.signature_schemes = hello.signature_schemes()?;
        let share_groups: Vec<NamedGroup> = shares.iter().map(|k| k.group).collect();
        if let Some(m) = closest(&self.groups, &share_groups) {
            self.profile_match = Some(m.id.clone());
            self.profile_match_exact = m.exact;
            self.profile_equivalents = m.equivalent.into_iter().filter(|id| *id != m.id).collect();
        }
        self.verdict = Some(offer_verdict(&self.groups));
        Ok(())
    }
}

/// Distinct clients the summary keeps apart; the rest are counted as `other`.
pub const MAX_SUMMARY_ENTRIES: usize = 1000;

/// Clients seen so far, grouped by fingerprint, for the summary on exit.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    /// Connections recorded.
    pub total: u64,
    /// One entry per distinct client: JA4 fingerprint plus key-exchange offer
    /// (JA4 does not cover groups, so kubectl 1.32 and 1.33 share a JA4).
    pub clients: BTreeMap<String, SummaryEntry>,
    /// Failed captures, by error message.
    pub errors: BTreeMap<String, u64>,
    /// Connections by the group the server selected (known answers only).
    pub negotiated: BTreeMap<String, u64>,
    /// Connections whose answer was read but named no group, or could not be read.
    pub negotiated_unknown: u64,
    /// Connections that offered post-quantum and settled on a classical group.
    pub downgraded: u64,
}

/// One fingerprint's tally.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryEntry {
    /// The JA4 fingerprint.
    pub ja4: String,
    /// How many connections had it.
    pub count: u64,
    /// Closest profile, with `~` when not exact.
    pub profile: String,
    /// The offer's verdict.
    pub verdict: Option<OfferVerdict>,
    /// Offered groups (first connection).
    pub groups: Vec<NamedGroup>,
    /// A sample peer and SNI.
    pub sample: String,
}

impl Summary {
    /// Adds one record.
    pub fn add(&mut self, r: &InspectRecord) {
        self.total += 1;
        match r.negotiated_group {
            Some(group) => {
                // Servers choose: cap distinct entries like the other tallies.
                let mut key = group.to_string();
                if !self.negotiated.contains_key(&key) && self.negotiated.len() >= 100 {
                    key = "other".into();
                }
                *self.negotiated.entry(key).or_insert(0) += 1
            }
            None => self.negotiated_unknown += 1,
        }
        if r.downgraded == Some(true) {
            self.downgraded += 1;
        }
        match (&r.ja4, &r.error) {
            (Some(ja4), None) => {
                let shares: Vec<String> =
                    r.key_shares.iter().map(|k| k.group.to_string()).collect();
                let groups: Vec<String> = r.groups.iter().map(|g| g.to_string()).collect();
                let mut key = format!("{ja4} {} {}", groups.join(","), shares.join(","));
                // Clients choose what they send: cap distinct entries and key size
                // so a hostile network cannot grow the summary without bound.
                key.truncate(512);
                if !self.clients.contains_key(&key) && self.clients.len() >= MAX_SUMMARY_ENTRIES {
                    key = "other".into();
                }
                let entry = self.clients.entry(key).or_insert_with(|| SummaryEntry {
                    ja4: ja4.clone(),
                    count: 0,
                    profile: match (&r.profile_match, r.profile_match_exact) {
                        (Some(p), true) => p.clone(),
                        (Some(p), false) => format!("~{p}"),
                        (None, _) => "unknown".into(),
                    },
                    verdict: r.verdict,
                    groups: r.groups.clone(),
                    sample: format!("{} sni={}", r.peer, r.sni.as_deref().unwrap_or("-")),
                });
                entry.count += 1;
            }
            (_, error) => {
                // Error messages quote client bytes: keep the kind, not the text.
                let message = error.as_deref().unwrap_or("unknown");
                let kind = message.split(':').next().unwrap_or(message);
                let mut kind: String = kind.chars().take(60).collect();
                if !self.errors.contains_key(&kind) && self.errors.len() >= 100 {
                    kind = "other".into();
                }
                *self.errors.entry(kind).or_insert(0) += 1;
            }
        }
    }
}
