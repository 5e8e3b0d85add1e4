//! Live capture on a Linux interface, without libpcap: an `AF_PACKET`
//! socket feeding the same [`decode`] and [`FlowTable`] as the pcap reader.
//!
//! Owns: the socket (`SOCK_DGRAM`, "cooked": every link type arrives as its
//! network-layer packet, so one decoder serves Ethernet, loopback, tunnels
//! and `any`), its kernel filter, its timeouts, the kernel's drop counter,
//! Ctrl-C and `--duration`, and the process lookup at each connection's
//! first packet ([`super::who`]).
//!
//! The kernel filter (classic BPF, `SO_ATTACH_FILTER`) passes only TCP over
//! IPv4/IPv6, and UDP that starts with a QUIC long header (the Initials
//! QUIC's hellos travel in), and truncates every packet to [`snaplen`] bytes. Why in the
//! kernel: a node's traffic is mostly bulk payload that no handshake needs,
//! and every byte passed up is copied into pqready's socket buffer; dropped
//! or truncated in the kernel, UDP floods and 64 KiB GRO segments cost
//! nothing here and do not push out the packets that matter. The snap length
//! is the flow table's per-direction byte cap plus the largest headers, so
//! nothing a handshake needs is cut. On a loopback interface each packet
//! passes the tap twice (sent and received); the filter keeps the received
//! copy, as tcpdump does.
//!
//! Every read waits at most [`READ_TIMEOUT`], so `--duration` and a signal
//! end the capture within that time, after reading what the kernel had
//! already queued (for at most `DRAIN`); the outputs are then the same as
//! for a capture file. Needs `CAP_NET_RAW`.

use super::filter::Filter;
use super::flow::FlowTable;
use super::packet::{decode, linktype, Skip};
use super::who::{ProcessFacts, Resolver};
use super::{CaptureStats, ObservedConnection};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// The longest a blocking read waits before the loop checks the clock and
/// the stop flag.
pub const READ_TIMEOUT: Duration = Duration::from_millis(200);
/// How long the end of a capture goes on reading what the kernel queued.
const DRAIN: Duration = Duration::from_secs(1);

/// The largest IPv6 + TCP headers kept in front of the payload.
const HEADROOM: usize = 256;

/// The socket's receive buffer: about a second of handshakes at 10,000/s.
const RCVBUF: libc::c_int = 32 << 20;

/// Bytes kept of each packet for a flow table keeping `max_stream_bytes`
/// per direction.
pub fn snaplen(max_stream_bytes: usize) -> u32 {
    u32::try_from(max_stream_bytes.saturating_add(HEADROOM)).unwrap_or(u32::MAX)
}

/// Why a live capture could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No CAP_NET_RAW.
    #[error("capturing on {0} needs CAP_NET_RAW: run as root, give the binary the capability (sudo setcap cap_net_raw+ep $(command -v pqready)), or run it in a pod with the NET_RAW capability")]
    Permission(String),
    /// No such interface.
    #[error("no network interface named '{0}' (see ip link; 'any' captures on all)")]
    NoInterface(String),
    /// Anything else the kernel refused.
    #[error("cannot capture on {0}: {1}")]
    Os(String, std::io::Error),
}

fn os_error(interface: &str, err: std::io::Error) -> LiveError {
    match err.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => LiveError::Permission(interface.into()),
        _ => LiveError::Os(interface.into(), err),
    }
}

/// An open `AF_PACKET` socket bound to one interface (or all).
#[derive(Debug)]
pub struct LiveSocket {
    fd: OwnedFd,
    interface: String,
}

/// One packet read.
#[derive(Debug, Clone, Copy)]
pub struct Received {
    /// Bytes read into the buffer.
    pub len: usize,
    /// The kernel's packet type (`PACKET_HOST`, `PACKET_OUTGOING`...).
    pub pkttype: u8,
    /// The interface's ARP hardware type.
    pub hatype: u16,
}

const SKF_AD_PROTOCOL: u32 = 0;
const SKF_AD_PKTTYPE: u32 = 4;

fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// The kernel filter: TCP over IPv4 or IPv6 (IPv6 extension headers are
/// passed on for user space to walk), and UDP whose payload starts with a
/// QUIC long header (first bit set: Initial, Handshake, Retry, Version
/// Negotiation; the short-header 1-RTT bulk of QUIC stays in the kernel),
/// truncated to `snap` bytes; with `drop_outgoing`, the sent copy of each
/// loopback packet is dropped. The socket is `SOCK_DGRAM`, so offset 0 is
/// the IP header.
pub fn kernel_filter(snap: u32, drop_outgoing: bool) -> Vec<libc::sock_filter> {
    const LD_W_ABS: u32 = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    const LDB_ABS: u32 = libc::BPF_LD | libc::BPF_B | libc::BPF_ABS;
    const LDB_IND: u32 = libc::BPF_LD | libc::BPF_B | libc::BPF_IND;
    const LDX_MSH: u32 = libc::BPF_LDX | libc::BPF_B | libc::BPF_MSH;
    const JEQ: u32 = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
    const JSET: u32 = libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K;
    const RET: u32 = libc::BPF_RET | libc::BPF_K;
    /// Where a jump goes: the next instruction, or a label.
    #[derive(Clone, Copy, PartialEq)]
    enum To {
        Next,
        Accept,
        Drop,
        V6,
        Udp4,
        Udp6,
    }
    use To::*;
    let anc = |off: u32| (libc::SKF_AD_OFF as u32).wrapping_add(off);
    // (label, code, k, jump if true, jump if false); statements ignore the jumps.
    let mut prog: Vec<(Option<To>, u32, u32, To, To)> = Vec::new();
    if drop_outgoing {
        prog.push((None, LD_W_ABS, anc(SKF_AD_PKTTYPE), Next, Next));
        prog.push((None, JEQ, u32::from(libc::PACKET_OUTGOING), Drop, Next));
    }
    prog.extend([
        (None, LD_W_ABS, anc(SKF_AD_PROTOCOL), Next, Next),
        (None, JEQ, 0x0800, Next, V6),
        (None, LDB_ABS, 9, Next, Next), // IPv4 protocol
        (None, JEQ, 6, Accept, Next),
        (None, JEQ, 17, Udp4, Drop),
        (Some(Udp4), LDX_MSH, 0, Next, Next), // X = IPv4 header length
        (None, LDB_IND, 8, Next, Next),       // the UDP payload's first byte
        (None, JSET, 0x80, Accept, Drop),
        (Some(V6), JEQ, 0x86dd, Next, Drop),
        // IPv6 next header: TCP, hop-by-hop, routing, destination options, UDP
        (None, LDB_ABS, 6, Next, Next),
        (None, JEQ, 6, Accept, Next),
        (None, JEQ, 0, Accept, Next),
        (None, JEQ, 43, Accept, Next),
        (None, JEQ, 60, Accept, Next),
        (None, JEQ, 17, Udp6, Drop),
        (Some(Udp6), LDB_ABS, 48, Next, Next),
        (None, JSET, 0x80, Accept, Drop),
        (Some(Accept), RET, snap, Next, Next),
        (Some(Drop), RET, 0, Next, Next),
    ]);
    let at = |label: To| prog.iter().position(|i| i.0 == Some(label)).unwrap_or(0);
    prog.iter()
        .enumerate()
        .map(|(i, &(_, code, k, jt, jf))| {
            let off = |to: To| match to {
                Next => 0,
                label => (at(label) - i - 1) as u8,
            };
            if code & 0x07 == libc::BPF_JMP {
                jump(code, k, off(jt), off(jf))
            } else {
                stmt(code, k)
            }
        })
        .collect()
}

impl LiveSocket {
    /// Opens a socket on `interface` (`any` for all) passing TCP and QUIC long headers, each
    /// packet cut to `snap` bytes.
    pub fn open(interface: &str, snap: u32) -> Result<LiveSocket, LiveError> {
        let index = if interface == "any" {
            0
        } else {
            let name = std::ffi::CString::new(interface)
                .map_err(|_| LiveError::NoInterface(interface.into()))?;
            // SAFETY: a valid NUL-terminated string.
            match unsafe { libc::if_nametoindex(name.as_ptr()) } {
                0 => return Err(LiveError::NoInterface(interface.into())),
                i => i as i32,
            }
        };
        let loopback = index != 0 && is_loopback(interface);
        // Protocol 0: the socket receives nothing until it is bound, so no
        // packet of another interface, or unfiltered, is queued before the
        // filter and the binding are in place.
        // SAFETY: plain socket(2).
        let raw =
            unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if raw < 0 {
            return Err(os_error(interface, std::io::Error::last_os_error()));
        }
        // SAFETY: a descriptor just returned by socket(2), owned from here.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let sock = LiveSocket {
            fd,
            interface: interface.into(),
        };
        let mut program = kernel_filter(snap, loopback);
        let prog = libc::sock_fprog {
            len: program.len() as u16,
            filter: program.as_mut_ptr(),
        };
        sock.setsockopt(libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &prog)?;
        // Larger than the default where allowed (SO_RCVBUFFORCE needs
        // CAP_NET_ADMIN; without it the plain option is capped by rmem_max).
        if sock
            .setsockopt(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &RCVBUF)
            .is_err()
        {
            let _ = sock.setsockopt(libc::SOL_SOCKET, libc::SO_RCVBUF, &RCVBUF);
        }
        let tv = libc::timeval {
            tv_sec: READ_TIMEOUT.as_secs() as libc::time_t,
            tv_usec: READ_TIMEOUT.subsec_micros() as libc::suseconds_t,
        };
        sock.setsockopt(libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv)?;
        // SAFETY: an all-zero sockaddr_ll is valid; fields set below.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        addr.sll_ifindex = index;
        // SAFETY: bind(2) with a sockaddr_ll of the right size.
        let rc = unsafe {
            libc::bind(
                sock.fd.as_raw_fd(),
                &addr as *const libc::sockaddr_ll as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(os_error(interface, std::io::Error::last_os_error()));
        }
        // Counters start now (reading them resets them).
        let _ = sock.kernel_drops();
        Ok(sock)
    }

    fn setsockopt<T>(&self, level: i32, name: i32, value: &T) -> Result<(), LiveError> {
        // SAFETY: `value` points to a live T of the given size.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                value as *const T as *const libc::c_void,
                std::mem::size_of::<T>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(os_error(&self.interface, std::io::Error::last_os_error()));
        }
        Ok(())
    }

    /// Reads one packet into `buf`; `None` when the read timed out or a
    /// signal interrupted it.
    pub fn recv(&self, buf: &mut [u8]) -> std::io::Result<Option<Received>> {
        // SAFETY: zeroed sockaddr_ll is valid; recvfrom writes at most its size.
        let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut from_len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `buf` is writable for its length; `from` as above.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
                0,
                &mut from as *mut libc::sockaddr_ll as *mut libc::sockaddr,
                &mut from_len,
            )
        };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            return match err.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(None),
                _ => Err(err),
            };
        }
        Ok(Some(Received {
            len: n as usize,
            pkttype: from.sll_pkttype,
            hatype: from.sll_hatype,
        }))
    }

    /// Packets the kernel dropped since the last call (the socket's buffer
    /// was full).
    pub fn kernel_drops(&self) -> u64 {
        let mut stats = libc::tpacket_stats {
            tp_packets: 0,
            tp_drops: 0,
        };
        let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: getsockopt(2) writes at most `len` bytes into `stats`.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                &mut stats as *mut libc::tpacket_stats as *mut libc::c_void,
                &mut len,
            )
        };
        if rc < 0 {
            0
        } else {
            u64::from(stats.tp_drops)
        }
    }
}

fn is_loopback(interface: &str) -> bool {
    std::fs::read_to_string(format!("/sys/class/net/{interface}/type"))
        .is_ok_and(|t| t.trim() == libc::ARPHRD_LOOPBACK.to_string())
}

/// This host's interface addresses.
pub fn local_addresses() -> Vec<IpAddr> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs(3) fills `head` with a list freed below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return out;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned.
        let ifa = unsafe { &*cur };
        if !ifa.ifa_addr.is_null() {
            // SAFETY: ifa_addr points to a sockaddr of the family it names.
            match i32::from(unsafe { (*ifa.ifa_addr).sa_family }) {
                libc::AF_INET => {
                    // SAFETY: as above, an AF_INET address.
                    let a = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
                    out.push(IpAddr::from(u32::from_be(a.sin_addr.s_addr).to_be_bytes()));
                }
                libc::AF_INET6 => {
                    // SAFETY: as above, an AF_INET6 address.
                    let a = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in6) };
                    out.push(IpAddr::from(a.sin6_addr.s6_addr));
                }
                _ => {}
            }
        }
        cur = ifa.ifa_next;
    }
    // SAFETY: the list from getifaddrs, freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// SIGINT and SIGTERM end the capture while this lives (a second one
/// ends the process, as usual); the previous handlers come back on drop.
pub struct StopOnSignal {
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

impl StopOnSignal {
    /// Installs the handlers.
    pub fn install() -> StopOnSignal {
        STOP.store(false, Ordering::SeqCst);
        let mut previous = Vec::new();
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: a zeroed sigaction is valid; the handler only stores
            // to an atomic (async-signal-safe). No SA_RESTART: a blocked
            // read returns EINTR at once. SA_RESETHAND: a second signal
            // takes the default action.
            unsafe {
                let mut act: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                act.sa_flags = libc::SA_RESETHAND;
                libc::sigemptyset(&mut act.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &act, &mut old) == 0 {
                    previous.push((sig, old));
                }
            }
        }
        StopOnSignal { previous }
    }

    /// A signal arrived.
    pub fn stopped(&self) -> bool {
        STOP.load(Ordering::SeqCst)
    }
}

impl Drop for StopOnSignal {
    fn drop(&mut self) {
        for (sig, old) in &self.previous {
            // SAFETY: restores the handler saved by install.
            unsafe { libc::sigaction(*sig, old, std::ptr::null_mut()) };
        }
    }
}

/// What a live capture is told.
pub struct LiveOptions<'a> {
    /// The interface (`any` for all).
    pub interface: &'a str,
    /// The user's filter.
    pub filter: Option<&'a Filter>,
    /// When to stop, if not at a signal.
    pub duration: Option<Duration>,
    /// Look up the processes of local sockets.
    pub attribute: bool,
}

/// Captures until the duration ends or a signal arrives, feeding `table`
/// and calling `on_ready` with finished connections (processes attached).
/// `on_capturing` is called once the socket is bound. Then every flow still
/// open is reported, so the caller gets the same as from a file.
/// `on_ready` also gets the capture's counts so far, and is called (with no
/// connections) at every read timeout too, so a live view stays current.
pub fn capture(
    opts: &LiveOptions<'_>,
    table: &mut FlowTable,
    max_stream_bytes: usize,
    on_capturing: impl FnOnce(),
    mut on_ready: impl FnMut(Vec<ObservedConnection>, &CaptureStats),
) -> Result<(), LiveError> {
    let snap = snaplen(max_stream_bytes);
    let sock = LiveSocket::open(opts.interface, snap)?;
    let signals = StopOnSignal::install();
    on_capturing();
    let deadline = opts.duration.map(|d| Instant::now() + d);
    let mut who = Who {
        resolver: opts
            .attribute
            .then(|| Resolver::new("/proc", local_addresses()).with_sock_diag()),
        ends: HashMap::new(),
        last_prune: Instant::now(),
    };
    let mut buf = vec![0u8; snap as usize];
    let mut result = Ok(());
    // At the end, what the kernel already queued is still read (a client
    // that finished just before the signal is counted), until the queue is
    // empty or DRAIN has passed on a busy interface.
    let mut ending: Option<Instant> = None;
    loop {
        if ending.is_none() && (signals.stopped() || deadline.is_some_and(|d| Instant::now() >= d))
        {
            ending = Some(Instant::now());
        }
        if ending.is_some_and(|t| t.elapsed() >= DRAIN) {
            break;
        }
        let got = match sock.recv(&mut buf) {
            Ok(Some(r)) => r,
            Ok(None) => {
                if ending.is_some() {
                    break;
                }
                who.prune(table);
                table.stats_mut().packets_dropped += sock.kernel_drops();
                on_ready(Vec::new(), table.stats());
                continue;
            }
            Err(e) => {
                result = Err(LiveError::Os(opts.interface.into(), e));
                break;
            }
        };
        // With `any`, the loopback's sent copies are not dropped in the kernel.
        if got.hatype == libc::ARPHRD_LOOPBACK && got.pkttype == libc::PACKET_OUTGOING {
            continue;
        }
        let time_us = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        let data = &buf[..got.len];
        let seg = match decode(linktype::RAW, data) {
            Ok(seg) => seg,
            Err(skip) => {
                let stats = table.stats_mut();
                stats.packets += 1;
                stats.bytes += data.len() as u64;
                stats.packets_skipped += 1;
                debug_assert!(!matches!(skip, Skip::LinkType(_)));
                continue;
            }
        };
        if opts.filter.is_some_and(|f| !f.matches(&seg)) {
            continue;
        }
        let stats = table.stats_mut();
        stats.packets += 1;
        stats.bytes += data.len() as u64;
        let flows_before = table.stats().flows;
        table.segment(time_us, &seg);
        if table.stats().flows > flows_before {
            who.first_seen(seg.udp, seg.src, seg.dst);
        }
        let ready = table.take_ready();
        if !ready.is_empty() {
            on_ready(who.attach(ready), table.stats());
        }
        who.prune(table);
    }
    table.stats_mut().packets_dropped += sock.kernel_drops();
    table.finish();
    let ready = table.take_ready();
    if !ready.is_empty() {
        on_ready(who.attach(ready), table.stats());
    }
    let stats = table.stats_mut();
    if let Some(r) = &who.resolver {
        if r.over_budget > 0 {
            stats.notes.push(format!(
                "{} connection ends were not attributed to a process: new connections came faster than the /proc lookups allowed per second",
                r.over_budget
            ));
        }
        if r.not_found > 0 {
            stats.notes.push(format!(
                "{} local sockets' processes were not found (exited before the lookup, or in another PID namespace)",
                r.not_found
            ));
        }
    }
    result
}

/// The processes of connections' ends, looked up when first seen and
/// attached when reported.
struct Who {
    resolver: Option<Resolver>,
    /// (this end, the other end) → the process holding this end.
    ends: HashMap<(SocketAddr, SocketAddr), ProcessFacts>,
    last_prune: Instant,
}

impl Who {
    fn first_seen(&mut self, udp: bool, a: SocketAddr, b: SocketAddr) {
        let Some(r) = self.resolver.as_mut() else {
            return;
        };
        // A QUIC connection starts at its client's first Initial: a and b
        // are its client and server, their sockets UDP ones.
        let [pa, pb] = if udp {
            r.connection_udp(a, b)
        } else {
            r.connection(a, b)
        };
        let show = |p: &Option<ProcessFacts>| match p {
            Some(p) => format!(
                "pid {} {} {}",
                p.pid,
                p.comm,
                p.go_version.as_deref().unwrap_or("-")
            ),
            None => "-".into(),
        };
        // -v: what each new connection was attributed to (tests wait for it).
        tracing::info!(
            "observe: first seen {a} -> {b}: attributed {a}: {}; {b}: {}",
            show(&pa),
            show(&pb)
        );
        if let Some(p) = pa {
            self.ends.insert((a, b), p);
        }
        if let Some(p) = pb {
            self.ends.insert((b, a), p);
        }
    }

    fn attach(&mut self, mut ready: Vec<ObservedConnection>) -> Vec<ObservedConnection> {
        for c in &mut ready {
            if let (Ok(client), Ok(server)) = (
                c.client.parse::<SocketAddr>(),
                c.server.parse::<SocketAddr>(),
            ) {
                c.client_process = self.ends.remove(&(client, server));
                c.server_process = self.ends.remove(&(server, client));
            }
        }
        ready
    }

    /// Forgets the ends of flows the table no longer tracks (closed without
    /// a hello, or idle), so the map stays as bounded as the table.
    fn prune(&mut self, table: &FlowTable) {
        if self.last_prune.elapsed() < Duration::from_secs(1) {
            return;
        }
        self.last_prune = Instant::now();
        self.ends.retain(|(a, b), _| table.tracks(*a, *b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::packet::build;

    /// Runs a classic BPF program the way the kernel does, on a packet whose
    /// `SKF_AD_PROTOCOL` is `proto` and `SKF_AD_PKTTYPE` `pkttype`.
    fn run(prog: &[libc::sock_filter], pkt: &[u8], proto: u32, pkttype: u32) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let anc = |k: u32| k.wrapping_sub(libc::SKF_AD_OFF as u32);
        let byte = |at: usize| pkt.get(at).copied();
        loop {
            let i = prog[pc];
            let code = u32::from(i.code);
            pc += 1;
            match code {
                c if c == libc::BPF_LD | libc::BPF_W | libc::BPF_ABS => {
                    a = match anc(i.k) {
                        SKF_AD_PROTOCOL => proto,
                        SKF_AD_PKTTYPE => pkttype,
                        _ => unreachable!(),
                    }
                }
                c if c == libc::BPF_LD | libc::BPF_B | libc::BPF_ABS => match byte(i.k as usize) {
                    Some(b) => a = u32::from(b),
                    None => return 0,
                },
                c if c == libc::BPF_LD | libc::BPF_B | libc::BPF_IND => {
                    match byte((x + i.k) as usize) {
                        Some(b) => a = u32::from(b),
                        None => return 0,
                    }
                }
                c if c == libc::BPF_LDX | libc::BPF_B | libc::BPF_MSH => match byte(i.k as usize) {
                    Some(b) => x = u32::from(b & 0x0f) * 4,
                    None => return 0,
                },
                c if c == libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K => {
                    pc += usize::from(if a == i.k { i.jt } else { i.jf })
                }
                c if c == libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K => {
                    pc += usize::from(if a & i.k != 0 { i.jt } else { i.jf })
                }
                c if c == libc::BPF_RET | libc::BPF_K => return i.k,
                other => panic!("instruction {other:#x}"),
            }
        }
    }

    #[test]
    fn the_kernel_filter_passes_tcp_and_quic_long_headers_only() {
        let v4 = (
            "10.0.0.1:40000".parse().unwrap(),
            "10.0.0.2:443".parse().unwrap(),
        );
        let v6 = ("[::1]:40000".parse().unwrap(), "[::1]:443".parse().unwrap());
        for drop_outgoing in [false, true] {
            let prog = kernel_filter(999, drop_outgoing);
            for ((a, b), proto) in [(v4, 0x0800), (v6, 0x86dd)] {
                let pass = |pkt: &[u8], pkttype: u32| run(&prog, pkt, proto, pkttype);
                let tcp = build::ip_tcp(a, b, 1, 0x10, b"x");
                let initial = build::ip_udp(a, b, &[0xc3, 0, 0, 0, 1]);
                let short = build::ip_udp(a, b, &[0x43, 1, 2]);
                let dns = build::ip_udp(a, b, &[0x12, 0x34, 1, 0]);
                assert_eq!(pass(&tcp, 0), 999);
                assert_eq!(pass(&initial, 0), 999);
                assert_eq!(pass(&short, 0), 0);
                assert_eq!(pass(&dns, 0), 0);
                let outgoing = u32::from(libc::PACKET_OUTGOING);
                assert_eq!(
                    pass(&initial, outgoing),
                    if drop_outgoing { 0 } else { 999 }
                );
                assert_eq!(pass(&tcp, outgoing), if drop_outgoing { 0 } else { 999 });
            }
            // IPv4 with options: the UDP header moves, the filter follows.
            let mut opts = build::ip_udp(v4.0, v4.1, &[0xc0, 0, 0, 0, 1]);
            opts[0] = 0x46;
            opts.splice(20..20, [1, 1, 1, 1]);
            assert_eq!(run(&prog, &opts, 0x0800, 0), 999);
            assert_eq!(run(&prog, &[0; 40], 0x0806, 0), 0);
        }
    }
}
