//! The flow table: TCP connections by their 4-tuple, each side's first
//! bytes reassembled and read as TLS until its hello is known; and QUIC
//! connections by theirs (a client Initial's), read by [`super::quic`].
//!
//! Owns: which end is the client (the SYN's sender; without the SYN, the
//! side whose first record is a ClientHello), reading the ClientHello, the
//! ServerHello or HelloRetryRequest and, after a HelloRetryRequest, the
//! final ServerHello (TLS 1.2: the ServerKeyExchange curve), and the bounds
//! that keep memory flat whatever the capture holds:
//! - at most [`Limits::max_flows`] flows (TCP and QUIC together) at once; a
//!   new flow past the cap is not tracked and counted in `flows_dropped`;
//! - at most [`Limits::max_stream_bytes`] bytes kept per direction;
//! - a flow idle for [`Limits::idle_timeout_us`] of capture time is closed;
//! - a flow is reported as soon as both hellos are read, its buffers freed,
//!   and forgotten at its FIN or RST (or idle timeout; QUIC has only that).
//!
//! A pure function of the segments and their capture times: no I/O, no
//! clock. Must not: judge what a group means (that is `assess`).

use super::hello::{describe, read_server_hello, rfc3339_us};
use super::packet::{flags, Segment};
use super::quic::{may_start, QuicFlow, Start};
use super::stream::StreamReassembler;
use super::{CaptureStats, HelloFacts, ObservedConnection, ServerFacts};
use crate::vocab::{ObservedSides, Transport};
use crate::wire::client_hello::MAX_CLIENT_HELLO_LEN;
use crate::wire::server_hello::{
    server_key_exchange_curve, HANDSHAKE_SERVER_HELLO_DONE, HANDSHAKE_SERVER_KEY_EXCHANGE,
};
use crate::wire::{Event, FlightLimits, FlightReader, ProtocolVersion, Sender};
use std::collections::HashMap;
use std::net::SocketAddr;

/// The flow table's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Flows tracked at once.
    pub max_flows: usize,
    /// Bytes kept per direction of a flow: a post-quantum ClientHello is
    /// under 2 KiB, a ServerHello with its HelloRetryRequest under 2 KiB; a
    /// TLS 1.2 certificate chain before the ServerKeyExchange can be more.
    pub max_stream_bytes: usize,
    /// Capture-time microseconds after which a silent flow is closed.
    pub idle_timeout_us: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_flows: DEFAULT_MAX_FLOWS,
            max_stream_bytes: 16 * 1024,
            idle_timeout_us: 120 * 1_000_000,
        }
    }
}

/// The default flow cap: with 16 KiB per direction, at most 320 MiB of
/// stream bytes even if every flow were a hostile one filling both sides.
pub const DEFAULT_MAX_FLOWS: usize = 10_000;

/// How often (capture time) idle flows are swept out.
const SWEEP_EVERY_US: i64 = 1_000_000;

/// What one side's reader knows so far.
#[derive(Debug)]
enum Side {
    /// The role is not known yet.
    Unknown,
    /// Reading a client's hello.
    Client(FlightReader),
    /// Reading a server's answer.
    Server(ServerReader),
    /// Finished (the hello is read, or cannot be).
    Done,
}

#[derive(Debug)]
struct ServerReader {
    reader: FlightReader,
    facts: Option<ServerFacts>,
    /// A TLS 1.2 ServerHello waiting for its ServerKeyExchange.
    tls12: bool,
}

#[derive(Debug)]
struct Direction {
    stream: StreamReassembler,
    side: Side,
    bytes_seen: bool,
    fin: bool,
}

impl Direction {
    fn new(limit: usize) -> Self {
        Direction {
            stream: StreamReassembler::new(limit),
            side: Side::Unknown,
            bytes_seen: false,
            fin: false,
        }
    }
}

#[derive(Debug)]
struct Flow {
    /// The two ends; `dirs[i]` is what `ends[i]` sent.
    ends: [SocketAddr; 2],
    dirs: [Direction; 2],
    /// Index into `ends` of the client, once known.
    client: Option<usize>,
    first_us: i64,
    last_us: i64,
    hello: Option<HelloFacts>,
    server: Option<ServerFacts>,
    error: Option<String>,
    /// Reported already (kept only to swallow the rest of the flow).
    reported: bool,
    /// No TLS hello can come (not TLS, or joined mid-stream).
    hopeless: bool,
    /// Bytes kept per direction.
    limit: usize,
}

/// Flows by 4-tuple, and the connections finished so far.
#[derive(Debug)]
pub struct FlowTable {
    flows: HashMap<(SocketAddr, SocketAddr), Flow>,
    quic: HashMap<(SocketAddr, SocketAddr), QuicFlow>,
    limits: Limits,
    stats: CaptureStats,
    ready: Vec<ObservedConnection>,
    last_sweep_us: i64,
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl FlowTable {
    /// An empty table with these bounds.
    pub fn new(limits: Limits) -> Self {
        FlowTable {
            flows: HashMap::new(),
            quic: HashMap::new(),
            limits,
            stats: CaptureStats::default(),
            ready: Vec::new(),
            last_sweep_us: i64::MIN,
        }
    }

    /// The counters so far (packets, flows, drops...).
    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// The counters, for a source to add its own (packets, files, notes).
    pub fn stats_mut(&mut self) -> &mut CaptureStats {
        &mut self.stats
    }

    /// Flows tracked now.
    pub fn len(&self) -> usize {
        self.flows.len() + self.quic.len()
    }

    /// True while the flow between `a` and `b` is tracked.
    pub fn tracks(&self, a: SocketAddr, b: SocketAddr) -> bool {
        self.flows.contains_key(&key(a, b)) || self.quic.contains_key(&key(a, b))
    }

    /// True when no flow is tracked.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty() && self.quic.is_empty()
    }

    /// Connections finished since the last call.
    pub fn take_ready(&mut self) -> Vec<ObservedConnection> {
        std::mem::take(&mut self.ready)
    }

    /// Takes one segment captured at `time_us` (microseconds since the epoch).
    pub fn segment(&mut self, time_us: i64, seg: &Segment<'_>) {
        if seg.cut {
            self.stats.packets_cut += 1;
        }
        if time_us >= self.last_sweep_us.saturating_add(SWEEP_EVERY_US) {
            self.sweep(time_us);
            self.last_sweep_us = time_us;
        }
        if seg.udp {
            self.datagram(time_us, seg);
            return;
        }
        let k = key(seg.src, seg.dst);
        if !self.flows.contains_key(&k) {
            // A flow starts at its SYN or its first data; a bare ACK or a
            // FIN of a flow already forgotten starts nothing.
            if seg.flags & flags::SYN == 0 && seg.payload.is_empty() {
                return;
            }
            if seg.flags & flags::RST != 0 {
                return;
            }
            if self.flows.len() >= self.limits.max_flows {
                self.stats.flows_dropped += 1;
                return;
            }
            self.stats.flows += 1;
            let limit = self.limits.max_stream_bytes;
            self.flows.insert(
                k,
                Flow {
                    ends: [k.0, k.1],
                    dirs: [Direction::new(limit), Direction::new(limit)],
                    client: None,
                    first_us: time_us,
                    last_us: time_us,
                    hello: None,
                    server: None,
                    error: None,
                    reported: false,
                    hopeless: false,
                    limit,
                },
            );
        }
        let Some(flow) = self.flows.get_mut(&k) else {
            return;
        };
        flow.last_us = flow.last_us.max(time_us);
        let from = usize::from(flow.ends[0] != seg.src);
        if seg.flags & flags::SYN != 0 {
            flow.dirs[from].stream.syn(seg.seq);
            if flow.client.is_none() {
                // SYN alone comes from the client, SYN+ACK from the server.
                flow.client = Some(if seg.flags & flags::ACK == 0 {
                    from
                } else {
                    1 - from
                });
            }
        }
        if !seg.payload.is_empty() && !flow.reported && !flow.hopeless {
            let dir = &mut flow.dirs[from];
            dir.bytes_seen = true;
            if !matches!(dir.side, Side::Done) {
                let payload_seq = if seg.flags & flags::SYN != 0 {
                    seg.seq.wrapping_add(1)
                } else {
                    seg.seq
                };
                dir.stream.push(payload_seq, seg.payload);
                flow.read(from);
            }
        }
        let closing = seg.flags & flags::RST != 0 || {
            if seg.flags & flags::FIN != 0 {
                flow.dirs[from].fin = true;
            }
            flow.dirs[0].fin && flow.dirs[1].fin
        };
        if flow.finished() || closing {
            let flow = if closing { self.flows.remove(&k) } else { None };
            match flow {
                Some(mut flow) => self.report(&mut flow),
                None => {
                    if let Some(mut f) = self.flows.remove(&k) {
                        self.report(&mut f);
                        // Kept, buffers freed, to swallow the rest of the flow.
                        f.reported = true;
                        self.flows.insert(k, f);
                    }
                }
            }
        }
    }

    /// One UDP datagram: a QUIC connection's, or the first Initial of a new
    /// one, or not QUIC (counted as skipped).
    fn datagram(&mut self, time_us: i64, seg: &Segment<'_>) {
        let k = key(seg.src, seg.dst);
        if let Some(flow) = self.quic.get_mut(&k) {
            flow.datagram(seg.src, time_us, seg.payload);
            if flow.finished() {
                let record = flow.report();
                self.emit_quic(record);
            }
            return;
        }
        if may_start(seg.payload) == Start::No {
            self.stats.packets_skipped += 1;
            return;
        }
        if self.len() >= self.limits.max_flows {
            self.stats.flows_dropped += 1;
            return;
        }
        let limit = self.limits.max_stream_bytes;
        let Some(mut flow) = QuicFlow::start(time_us, seg.src, seg.dst, seg.payload, limit) else {
            // A server's Initial (its keys come from a DCID it does not
            // carry), or a long header that does not decrypt: not a start.
            self.stats.packets_skipped += 1;
            return;
        };
        self.stats.flows += 1;
        if flow.finished() {
            let record = flow.report();
            self.emit_quic(record);
        }
        self.quic.insert(k, flow);
    }

    fn emit_quic(&mut self, record: ObservedConnection) {
        self.stats.connections += 1;
        self.ready.push(record);
    }

    /// Reports a QUIC flow that is being forgotten (idle or capture end).
    fn close_quic(&mut self, mut flow: QuicFlow) {
        if flow.reported {
            return;
        }
        if flow.reportable() {
            let record = flow.report();
            self.emit_quic(record);
        } else {
            self.stats.flows_without_hello += 1;
        }
    }

    /// Closes flows silent for longer than the idle timeout.
    fn sweep(&mut self, now_us: i64) {
        let timeout = self.limits.idle_timeout_us;
        let idle: Vec<_> = self
            .quic
            .iter()
            .filter(|(_, f)| now_us.saturating_sub(f.last_us) > timeout)
            .map(|(k, _)| *k)
            .collect();
        for k in idle {
            if let Some(flow) = self.quic.remove(&k) {
                self.close_quic(flow);
            }
        }
        let idle: Vec<_> = self
            .flows
            .iter()
            .filter(|(_, f)| now_us.saturating_sub(f.last_us) > timeout)
            .map(|(k, _)| *k)
            .collect();
        for k in idle {
            if let Some(mut flow) = self.flows.remove(&k) {
                self.report(&mut flow);
            }
        }
    }

    /// The capture ended: every flow still open is reported as it stands.
    pub fn finish(&mut self) {
        // Reported in capture order, whatever the hash maps' order.
        let mut keys: Vec<_> = self
            .flows
            .iter()
            .map(|(k, f)| (f.first_us, false, *k))
            .chain(self.quic.iter().map(|(k, f)| (f.first_us, true, *k)))
            .collect();
        keys.sort();
        for (_, quic, k) in keys {
            if quic {
                if let Some(flow) = self.quic.remove(&k) {
                    self.close_quic(flow);
                }
            } else if let Some(mut flow) = self.flows.remove(&k) {
                self.report(&mut flow);
            }
        }
    }

    fn report(&mut self, flow: &mut Flow) {
        if flow.reported {
            return;
        }
        flow.reported = true;
        for d in &mut flow.dirs {
            d.stream.release();
        }
        // A server reader that saw a HelloRetryRequest, or a TLS 1.2 hello,
        // but not the rest, still tells what it saw.
        for d in &mut flow.dirs {
            if let Side::Server(r) = &mut d.side {
                if flow.server.is_none() {
                    flow.server = r.facts.take();
                }
            }
            d.side = Side::Done;
        }
        if flow.hello.is_none() && flow.server.is_none() {
            self.stats.flows_without_hello += 1;
            return;
        }
        let client = flow.client.unwrap_or(0);
        let sides = match (
            flow.dirs[client].bytes_seen,
            flow.dirs[1 - client].bytes_seen,
        ) {
            (true, true) => ObservedSides::Both,
            (true, false) => ObservedSides::ClientOnly,
            _ => ObservedSides::ServerOnly,
        };
        let error = flow.error.clone().or_else(|| {
            let d = &flow.dirs;
            if flow.hello.is_none() && d[client].bytes_seen {
                Some("the client's hello is incomplete in the capture".into())
            } else if flow.server.as_ref().is_none_or(|s| {
                s.version.is_none()
                    || (s.negotiated_group.is_none() && s.version == Some(ProtocolVersion::TLS1_3))
            }) && d[1 - client].bytes_seen
            {
                Some("the server's answer is incomplete in the capture".into())
            } else {
                None
            }
        });
        self.stats.connections += 1;
        self.ready.push(ObservedConnection {
            time: rfc3339_us(flow.first_us),
            transport: Transport::Tcp,
            client: flow.ends[client].to_string(),
            server: flow.ends[1 - client].to_string(),
            sides,
            client_hello: flow.hello.take(),
            server_hello: flow.server.take(),
            error,
            conflicting_segments: flow.dirs[0].stream.conflicts + flow.dirs[1].stream.conflicts,
            quic: None,
            client_process: None,
            server_process: None,
            server_workload: None,
        });
    }
}

impl Flow {
    /// Both hellos are known (or cannot become known).
    fn finished(&self) -> bool {
        !self.reported
            && (self.hopeless && (self.hello.is_some() || self.server.is_some())
                || self.dirs.iter().all(|d| matches!(d.side, Side::Done)))
    }

    /// Reads what is newly contiguous in direction `from`.
    fn read(&mut self, from: usize) {
        if matches!(self.dirs[from].side, Side::Unknown) {
            let head = self.dirs[from].stream.contiguous();
            if head.len() < 6 {
                return;
            }
            let is_tls = (20..=23).contains(&head[0]) && head[1] == 3;
            let role = match (self.client, head[0], head[5]) {
                _ if !is_tls => None,
                (Some(c), 22, _) => Some(c == from),
                (None, 22, 1) => Some(true),
                (None, 22, 2) => Some(false),
                _ => None,
            };
            let Some(is_client) = role else {
                // Not TLS, or a stream joined after its hellos.
                self.hopeless = true;
                for d in &mut self.dirs {
                    d.stream.release();
                    d.side = Side::Done;
                }
                return;
            };
            if self.client.is_none() {
                self.client = Some(if is_client { from } else { 1 - from });
            }
            let limits = FlightLimits {
                max_message: MAX_CLIENT_HELLO_LEN,
                max_total: self.limit,
            };
            self.dirs[from].side = if is_client {
                Side::Client(FlightReader::new(Sender::Client, limits))
            } else {
                Side::Server(ServerReader {
                    reader: FlightReader::new(Sender::Server, limits),
                    facts: None,
                    tls12: false,
                })
            };
        }
        let dir = &mut self.dirs[from];
        let bytes = dir.stream.take_contiguous();
        match &mut dir.side {
            Side::Client(reader) => {
                reader.push(bytes);
                loop {
                    match reader.next_event() {
                        Ok(Some(Event::ClientHello { hello, len })) => {
                            self.hello =
                                Some(describe(&hello, len, reader.records(), Transport::Tcp));
                            dir.side = Side::Done;
                            dir.stream.release();
                            break;
                        }
                        Ok(Some(Event::RecordHeader(_))) => continue,
                        Ok(Some(_)) => {
                            self.error =
                                Some("the client sent something else before its hello".into());
                            dir.side = Side::Done;
                            break;
                        }
                        Ok(None) => {
                            if dir.stream.full() {
                                self.error = Some("the client's hello is longer than the bytes kept per direction".into());
                                dir.side = Side::Done;
                            }
                            break;
                        }
                        Err(e) => {
                            self.error = Some(format!("client hello unreadable: {e}"));
                            dir.side = Side::Done;
                            break;
                        }
                    }
                }
            }
            Side::Server(server) => {
                server.reader.push(bytes);
                loop {
                    let event = match server.reader.next_event() {
                        Ok(Some(event)) => event,
                        Ok(None) => {
                            if !dir.stream.full() {
                                return;
                            }
                            break;
                        }
                        Err(e) => {
                            if server.facts.is_none() {
                                self.error = Some(format!("server answer unreadable: {e}"));
                            }
                            break;
                        }
                    };
                    if server.on_event(event) {
                        break;
                    }
                }
                if self.server.is_none() {
                    self.server = server.facts.take();
                }
                dir.side = Side::Done;
                dir.stream.release();
            }
            Side::Unknown | Side::Done => {}
        }
    }
}

impl ServerReader {
    /// True once the answer is complete (or can no longer be read).
    fn on_event(&mut self, event: Event) -> bool {
        match event {
            Event::ServerHello(hello) if !self.tls12 => {
                if read_server_hello(&mut self.facts, &hello) {
                    return true;
                }
                // A HelloRetryRequest, or a TLS 1.2 ServerHello.
                self.tls12 = !hello.is_hello_retry_request();
                false
            }
            Event::Handshake(msg) if self.tls12 => match msg.typ {
                HANDSHAKE_SERVER_KEY_EXCHANGE => {
                    if let (Some(f), Ok(group)) =
                        (self.facts.as_mut(), server_key_exchange_curve(&msg.body))
                    {
                        f.negotiated_group = group;
                    }
                    true
                }
                HANDSHAKE_SERVER_HELLO_DONE => true,
                _ => false, // Certificate, CertificateStatus, CertificateRequest
            },
            Event::RecordHeader(_) | Event::ChangeCipherSpec => false,
            Event::Alert(a) => a.level == 2,
            // Encrypted from here on, or out of order: nothing more to read.
            _ => true,
        }
    }
}
