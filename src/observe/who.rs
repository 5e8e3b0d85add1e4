//! Who made a connection: on a live capture, the local process holding each
//! end's socket, its executable's Go build and its container.
//!
//! Owns: reading `/proc/net/tcp` and `/proc/net/tcp6` (a connection's
//! 4-tuple → its socket inode; at a connection's first packet the server's
//! socket may not be accepted yet, so its listening socket stands in), and
//! for QUIC `/proc/net/udp` and `/proc/net/udp6` (a connected UDP socket,
//! else the one bound to the local address: a QUIC server's), the
//! scan of `/proc/*/fd` for `socket:[inode]` (inode → pid), and per process
//! its `comm`, executable (`/proc/PID/exe`, read through the link so it works
//! across mount namespaces and for deleted files), the Go version and `tls*`
//! GODEBUG defaults of that executable (the `binaries` code,
//! [`crate::gobin::buildinfo`]), the `tls*` settings of its `GODEBUG`
//! environment variable, and its container from `/proc/PID/cgroup`.
//!
//! Done when a connection is first seen, because short-lived clients exit
//! right after their handshake. Bounded: every `/proc` file read is capped,
//! the fd scan visits at most [`MAX_FDS_PER_SCAN`] descriptors, the inode
//! and executable caches are capped, and re-reading the socket tables or
//! rescanning `/proc` happens at most [`MAX_REREADS_PER_SECOND`] and
//! [`MAX_FDS_PER_SECOND`] descriptors a second (a flood of new connections is
//! counted as not attributed instead of stalling the capture).
//!
//! Limits (facts the guide states): only sockets of pqready's own network
//! namespace are in its `/proc/net/tcp` (host network in a DaemonSet), only
//! processes of its PID namespace are in its `/proc` (`hostPID`), and a
//! process that has exited before the lookup is gone. Must not judge.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The process holding one end of a connection.
/// Field names are a contract (docs/guides/observe.md): add, never rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProcessFacts {
    /// Process ID (in pqready's PID namespace).
    pub pid: u32,
    /// The process name (`/proc/PID/comm`, at most 15 characters).
    pub comm: String,
    /// The executable's path as the process sees it, or null when unreadable.
    pub exe: Option<String>,
    /// The Go version the executable was built with (`go1.24.2`); null
    /// when it is not a Go program or could not be read.
    pub go_version: Option<String>,
    /// The `tls*` settings of the executable's `DefaultGODEBUG` build
    /// setting (`tlsmlkem=0`), in recorded order.
    pub tls_godebug: Vec<String>,
    /// The `tls*` settings of the process's `GODEBUG` environment variable,
    /// which override the defaults.
    pub tls_godebug_env: Vec<String>,
    /// The container's ID, from the process's cgroup path.
    pub container_id: Option<String>,
    /// The container runtime named by the cgroup path (`containerd`,
    /// `cri-o`, `docker`, `podman`).
    pub container_runtime: Option<String>,
    /// The Kubernetes pod UID named by the cgroup path.
    pub pod_uid: Option<String>,
    /// The Pod's name, when the Kubernetes API matched the container ID or
    /// the pod UID (`observe --kubeconfig/--context/--in-cluster`, or run in
    /// a pod); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// The Pod's namespace, with `pod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The container's name in the Pod, when matched by container ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

/// One line of `/proc/net/tcp` or `/proc/net/tcp6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketEntry {
    /// The local address (IPv4-mapped IPv6 addresses as IPv4).
    pub local: SocketAddr,
    /// The remote address (`0.0.0.0:0` for a listener).
    pub remote: SocketAddr,
    /// The TCP state (`0x0A` is LISTEN).
    pub state: u8,
    /// The socket's inode (0 for sockets without one: TIME_WAIT, embryonic).
    pub inode: u64,
}

/// TCP_LISTEN in `/proc/net/tcp`.
pub const LISTEN: u8 = 0x0A;

/// Parses one line of `/proc/net/tcp{,6}`; `None` for the header or any
/// line that is not one well-formed socket.
pub fn parse_socket_line(line: &str) -> Option<SocketEntry> {
    let mut f = line.split_ascii_whitespace();
    let sl = f.next()?;
    sl.strip_suffix(':')?.parse::<u64>().ok()?;
    let local = parse_endpoint(f.next()?)?;
    let remote = parse_endpoint(f.next()?)?;
    if local.is_ipv4() != remote.is_ipv4() && !(is_unspecified(&local) || is_unspecified(&remote)) {
        return None;
    }
    let state = u8::from_str_radix(f.next()?, 16).ok()?;
    // tx_queue:rx_queue, tr:tm->when, retrnsmt, uid, timeout, inode.
    let inode = f.nth(5)?.parse::<u64>().ok()?;
    Some(SocketEntry {
        local,
        remote,
        state,
        inode,
    })
}

fn is_unspecified(a: &SocketAddr) -> bool {
    a.ip().is_unspecified()
}

/// `0100007F:1F90` or 32 hex digits and a port: the kernel prints each
/// 32-bit word of the address as a host-order integer.
fn parse_endpoint(text: &str) -> Option<SocketAddr> {
    let (addr, port) = text.split_once(':')?;
    if port.len() != 4 {
        return None;
    }
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let hex = addr.get(i * 8..i * 8 + 8)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
    };
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            let v6 = Ipv6Addr::from(b);
            v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// A container named by a cgroup path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupFacts {
    /// The container ID (64 hex digits).
    pub container_id: Option<String>,
    /// The runtime, when the path names it.
    pub runtime: Option<String>,
    /// The pod UID, when the path names one.
    pub pod_uid: Option<String>,
}

/// Reads the container of `/proc/PID/cgroup` text: cgroup v2
/// (`0::/kubepods.slice/…/cri-containerd-ID.scope`) and v1 lines, systemd
/// (`cri-containerd-`, `crio-`, `docker-`, `libpod-` scopes) and cgroupfs
/// (`/kubepods/burstable/podUID/ID`, `/docker/ID`) forms.
pub fn parse_cgroup(text: &str) -> CgroupFacts {
    let mut out = CgroupFacts::default();
    for line in text.lines().take(64) {
        let Some(path) = line.splitn(3, ':').nth(2) else {
            continue;
        };
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        for (i, part) in parts.iter().enumerate().rev() {
            let part = part.trim_end_matches(".scope");
            let (runtime, id) = [
                ("cri-containerd-", "containerd"),
                ("crio-", "cri-o"),
                ("docker-", "docker"),
                ("libpod-", "podman"),
            ]
            .iter()
            .find_map(|(prefix, rt)| part.strip_prefix(prefix).map(|id| (Some(*rt), id)))
            .unwrap_or((None, part));
            if out.container_id.is_none() && is_container_id(id) {
                out.container_id = Some(id.to_string());
                out.runtime = runtime.map(str::to_string).or_else(|| {
                    let parent = i.checked_sub(1).map(|p| parts[p]);
                    (parent == Some("docker")).then(|| "docker".to_string())
                });
            }
        }
        if out.pod_uid.is_none() {
            out.pod_uid = parts.iter().find_map(|p| pod_uid(p));
        }
        if out.container_id.is_some() {
            break;
        }
    }
    out
}

fn is_container_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `pod0f1e…` (cgroupfs) or `kubepods-burstable-pod0f1e_…​.slice` (systemd,
/// dashes as underscores).
fn pod_uid(part: &str) -> Option<String> {
    let at = part.rfind("pod")?;
    let uid = part[at + 3..].trim_end_matches(".slice").replace('_', "-");
    let ok = uid.len() == 36
        && uid.bytes().enumerate().all(|(i, b)| {
            matches!(i, 8 | 13 | 18 | 23) == (b == b'-') && (b == b'-' || b.is_ascii_hexdigit())
        });
    ok.then_some(uid)
}

/// The `tls*` settings of a GODEBUG string, in order.
pub fn tls_settings(godebug: &str) -> Vec<String> {
    godebug
        .split(',')
        .map(str::trim)
        .filter(|s| s.starts_with("tls") && s.contains('='))
        .take(32)
        .map(|s| s.chars().take(64).collect())
        .collect()
}

/// Descriptors visited per `/proc` scan at most.
pub const MAX_FDS_PER_SCAN: usize = 1_000_000;

/// Who holds a socket: a process (pid, and the socket's inode), nobody, or
/// not known (the second's budget of descriptors is spent).
#[derive(Debug, Clone, Copy)]
enum Held {
    By(u32, u64),
    Nobody,
    OverBudget,
}

/// Ancestors asked whether they hold a socket too (see `Resolver::creator`).
const MAX_FORK_DEPTH: usize = 4;

/// The parent pid of `pid`, from `/proc/PID/stat` (its fourth field, after
/// the command name in parentheses, which may itself hold spaces and `)`).
fn parent_of(proc_root: &Path, pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}
/// Descriptors visited by `/proc` scans per second at most: a scan that
/// finds a new client among the newest processes visits a few, one for a
/// process that is gone visits them all.
pub const MAX_FDS_PER_SECOND: usize = 2_000_000;
/// Re-reads of the socket tables per second at most.
pub const MAX_REREADS_PER_SECOND: u32 = 200;
/// The largest `/proc/net/tcp{,6}` read (about 200,000 sockets).
const MAX_TABLE_BYTES: u64 = 32 << 20;
/// Socket inodes remembered at most (cleared when full).
const MAX_INODES: usize = 500_000;
/// Executables remembered at most (cleared when full).
const MAX_EXES: usize = 4096;

/// Go facts of one executable.
#[derive(Debug, Clone, Default)]
struct GoFacts {
    version: Option<String>,
    tls_godebug: Vec<String>,
}

/// Looks up the processes of connections, with caches and budgets.
#[derive(Debug)]
pub struct Resolver {
    proc_root: PathBuf,
    /// This host's addresses: a listener stands in for a server's socket
    /// only when the server's address is one of them.
    local_ips: Vec<IpAddr>,
    #[cfg(target_os = "linux")]
    diag: Option<diag::SockDiag>,
    sockets: Vec<SocketEntry>,
    /// The UDP sockets, read as `sockets` is.
    udp_sockets: Vec<SocketEntry>,
    /// Socket inode → (pid, descriptor) seen holding it.
    inodes: HashMap<u64, (u32, String)>,
    exes: HashMap<(u64, u64), GoFacts>,
    window: Instant,
    /// Descriptors visited by scans this second.
    fds_visited: usize,
    rereads: u32,
    /// Ends a lookup was skipped for because the budget was spent.
    pub over_budget: u64,
    /// Local sockets whose process was not found (it had exited, or is in
    /// another PID namespace).
    pub not_found: u64,
}

impl Resolver {
    /// A resolver reading `proc_root` (`/proc`) on a host with these
    /// addresses (loopback addresses are always local).
    pub fn new(proc_root: impl Into<PathBuf>, local_ips: Vec<IpAddr>) -> Self {
        Resolver {
            #[cfg(target_os = "linux")]
            diag: None,
            proc_root: proc_root.into(),
            local_ips,
            sockets: Vec::new(),
            udp_sockets: Vec::new(),
            inodes: HashMap::new(),
            exes: HashMap::new(),
            window: Instant::now(),
            fds_visited: 0,
            rereads: 0,
            over_budget: 0,
            not_found: 0,
        }
    }

    /// Also asks the kernel (`NETLINK_SOCK_DIAG`) for each connection's
    /// socket by its exact addresses, before reading the socket tables: for
    /// the real `/proc` of this network namespace.
    #[cfg(target_os = "linux")]
    pub fn with_sock_diag(mut self) -> Self {
        self.diag = diag::SockDiag::open();
        self
    }

    fn budget(&mut self) {
        if self.window.elapsed().as_secs() >= 1 {
            self.window = Instant::now();
            self.fds_visited = 0;
            self.rereads = 0;
        }
    }

    /// The processes holding each end of a connection between `a` and `b`:
    /// `[a's, b's]`, `None` for an end that is not a local socket (or whose
    /// process is not found).
    pub fn connection(&mut self, a: SocketAddr, b: SocketAddr) -> [Option<ProcessFacts>; 2] {
        self.lookup(false, a, b)
    }

    /// As [`Resolver::connection`], for a QUIC connection's UDP sockets.
    pub fn connection_udp(&mut self, a: SocketAddr, b: SocketAddr) -> [Option<ProcessFacts>; 2] {
        self.lookup(true, a, b)
    }

    fn lookup(&mut self, udp: bool, a: SocketAddr, b: SocketAddr) -> [Option<ProcessFacts>; 2] {
        self.budget();
        let ends = [(a, b), (b, a)];
        let mut out = [None, None];
        let mut missing = [false, false];
        // The kernel's exact lookup first (microseconds, where reading
        // /proc/net/tcp walks the whole socket hash: milliseconds), and each
        // found socket's process at once: a client may be about to exit.
        for (i, (local, remote)) in ends.into_iter().enumerate() {
            match self.diag_inode(udp, local, remote) {
                Some(inode) => {
                    // A server may close the connection's descriptor between
                    // the kernel's answer and the walk of /proc; it keeps
                    // its listener.
                    out[i] = self.process_of_inodes(inode, |r: &mut Self| match udp {
                        false => r.listener_inode(local, remote, inode),
                        true => None,
                    });
                }
                None => missing[i] = self.is_local(local.ip()),
            }
        }
        if self.has_diag() {
            // The kernel's answer is the truth: a local end it does not know
            // is closed already. (Reading /proc/net/tcp instead would cost
            // milliseconds while the next clients exit.)
            self.not_found += missing.iter().filter(|m| **m).count() as u64;
        } else if missing.iter().any(|m| *m) {
            let mut inodes = ends.map(|(l, r)| self.socket_inode(udp, l, r));
            let unknown = (0..2).any(|i| missing[i] && inodes[i].is_none());
            let mut skipped = false;
            if unknown {
                if self.rereads < MAX_REREADS_PER_SECOND {
                    self.rereads += 1;
                    self.read_sockets(udp);
                    inodes = ends.map(|(l, r)| self.socket_inode(udp, l, r));
                } else {
                    self.over_budget += 1;
                    skipped = true;
                }
            }
            for i in 0..2 {
                if missing[i] {
                    out[i] = match inodes[i] {
                        Some(inode) => self.process_of_inode(inode),
                        None => {
                            // A local end without a socket: closed already.
                            self.not_found += u64::from(!skipped);
                            None
                        }
                    };
                }
            }
        }
        out
    }

    fn is_local(&self, ip: IpAddr) -> bool {
        ip.is_loopback() || self.local_ips.contains(&ip)
    }

    /// The socket's inode from the kernel; for a server whose connection is
    /// still a half-open request (no inode yet), its listener's (asked with
    /// a remote port no connection has, so only the listener matches).
    #[cfg(target_os = "linux")]
    fn diag_inode(&mut self, udp: bool, local: SocketAddr, remote: SocketAddr) -> Option<u64> {
        // Not this host's address: a wildcard listener would match it.
        if !self.is_local(local.ip()) {
            return None;
        }
        let diag = self.diag.as_mut()?;
        if udp {
            // The kernel's UDP lookup falls back to the bound socket itself.
            return diag.inode_of(libc::IPPROTO_UDP, local, remote);
        }
        diag.inode(local, remote)
            .or_else(|| diag.inode(local, SocketAddr::new(remote.ip(), 0)))
    }

    /// The listener on `local` that a connection from `remote` came
    /// through, when it is not the socket `inode` itself.
    #[cfg(target_os = "linux")]
    fn listener_inode(&mut self, local: SocketAddr, remote: SocketAddr, inode: u64) -> Option<u64> {
        self.diag
            .as_mut()?
            .inode(local, SocketAddr::new(remote.ip(), 0))
            .filter(|l| *l != inode)
    }

    #[cfg(not(target_os = "linux"))]
    fn listener_inode(&mut self, _: SocketAddr, _: SocketAddr, _: u64) -> Option<u64> {
        None
    }

    #[cfg(target_os = "linux")]
    fn has_diag(&self) -> bool {
        self.diag.is_some()
    }

    #[cfg(not(target_os = "linux"))]
    fn has_diag(&self) -> bool {
        false
    }

    #[cfg(not(target_os = "linux"))]
    fn diag_inode(&mut self, _: bool, _: SocketAddr, _: SocketAddr) -> Option<u64> {
        None
    }

    /// The inode of the socket at `local` talking to `remote`, else of the
    /// listener on `local` (the server's socket is accepted later); for UDP,
    /// else of the unconnected socket bound to `local` (a QUIC server's).
    fn socket_inode(&self, udp: bool, local: SocketAddr, remote: SocketAddr) -> Option<u64> {
        let table = if udp {
            &self.udp_sockets
        } else {
            &self.sockets
        };
        let exact = table
            .iter()
            .find(|s| s.inode != 0 && s.local == local && s.remote == remote);
        let listener = || {
            table.iter().find(|s| {
                s.inode != 0
                    && (if udp {
                        s.remote.port() == 0
                    } else {
                        s.state == LISTEN
                    })
                    && self.is_local(local.ip())
                    && s.local.port() == local.port()
                    && (s.local.ip() == local.ip() || s.local.ip().is_unspecified())
            })
        };
        exact.or_else(listener).map(|s| s.inode)
    }

    fn read_sockets(&mut self, udp: bool) {
        let (table, names) = if udp {
            (&mut self.udp_sockets, ["net/udp", "net/udp6"])
        } else {
            (&mut self.sockets, ["net/tcp", "net/tcp6"])
        };
        table.clear();
        for name in names {
            let text = read_capped(&self.proc_root.join(name), MAX_TABLE_BYTES);
            table.extend(text.lines().filter_map(parse_socket_line));
        }
    }

    fn process_of_inode(&mut self, inode: u64) -> Option<ProcessFacts> {
        self.process_of_inodes(inode, |_| None)
    }

    /// The process holding `inode`, else the one holding the socket
    /// `fallback` names (asked only then); one miss is counted when
    /// neither is held.
    fn process_of_inodes(
        &mut self,
        inode: u64,
        fallback: impl FnOnce(&mut Self) -> Option<u64>,
    ) -> Option<ProcessFacts> {
        let found = match self.holder(inode) {
            Held::Nobody => match fallback(self) {
                Some(other) => self.holder(other),
                None => Held::Nobody,
            },
            held => held,
        };
        match found {
            Held::By(pid, inode) => {
                let pid = self.creator(pid, inode);
                self.facts(pid)
            }
            Held::Nobody => {
                self.not_found += 1;
                None
            }
            Held::OverBudget => None,
        }
    }

    /// Who holds `inode`.
    fn holder(&mut self, inode: u64) -> Held {
        // A remembered process may have closed the socket (or exited):
        // its descriptor must still name the inode.
        let holds = |(pid, fd): &(u32, String), root: &Path| {
            std::fs::read_link(root.join(pid.to_string()).join("fd").join(fd))
                .is_ok_and(|l| socket_inode_of(&l) == Some(inode))
        };
        match self.inodes.get(&inode) {
            Some(held) if holds(held, &self.proc_root) => return Held::By(held.0, inode),
            _ => {
                self.inodes.remove(&inode);
            }
        }
        if self.fds_visited >= MAX_FDS_PER_SECOND {
            self.over_budget += 1;
            return Held::OverBudget;
        }
        self.scan(inode);
        match self.inodes.get(&inode) {
            Some(held) => Held::By(held.0, inode),
            None => Held::Nobody,
        }
    }

    /// `pid`, or the ancestor that holds the socket `inode` too: a process
    /// that forked and has not yet run its program (or never will) holds a
    /// copy of every descriptor its parent had, and the scan, newest pid
    /// first, meets the copy first. The socket is the parent's.
    fn creator(&mut self, mut pid: u32, inode: u64) -> u32 {
        for _ in 0..MAX_FORK_DEPTH {
            let Some(parent) = parent_of(&self.proc_root, pid).filter(|p| *p > 1) else {
                break;
            };
            let Ok(fds) = std::fs::read_dir(self.proc_root.join(parent.to_string()).join("fd"))
            else {
                break;
            };
            let mut held = None;
            for fd in fds.flatten() {
                self.fds_visited += 1;
                let path = fd.path();
                if std::fs::read_link(&path)
                    .ok()
                    .and_then(|l| socket_inode_of(&l))
                    == Some(inode)
                {
                    held = Some(fd.file_name().to_string_lossy().into_owned());
                    break;
                }
            }
            let Some(fd) = held else {
                break;
            };
            self.inodes.insert(inode, (parent, fd));
            pid = parent;
        }
        pid
    }

    /// Remembers the socket inodes of processes, newest pid first (a
    /// short-lived client is usually the newest process), until `wanted`
    /// is found or every process is visited.
    fn scan(&mut self, wanted: u64) {
        if self.inodes.len() > MAX_INODES {
            self.inodes.clear();
        }
        let Ok(dir) = std::fs::read_dir(&self.proc_root) else {
            return;
        };
        let mut pids: Vec<u32> = dir
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .collect();
        pids.sort_unstable_by(|a, b| b.cmp(a));
        let mut visited = 0usize;
        for pid in pids {
            let Ok(fds) = std::fs::read_dir(self.proc_root.join(pid.to_string()).join("fd")) else {
                continue;
            };
            let mut found = false;
            for fd in fds.flatten() {
                visited += 1;
                self.fds_visited += 1;
                if visited > MAX_FDS_PER_SCAN {
                    return;
                }
                if let Some(inode) = std::fs::read_link(fd.path())
                    .ok()
                    .and_then(|l| socket_inode_of(&l))
                {
                    self.inodes
                        .insert(inode, (pid, fd.file_name().to_string_lossy().into_owned()));
                    found |= inode == wanted;
                }
            }
            if found {
                return;
            }
        }
    }

    fn facts(&mut self, pid: u32) -> Option<ProcessFacts> {
        let dir = self.proc_root.join(pid.to_string());
        // Opened first: an open executable stays readable after its process
        // exits (read through /proc/self/fd), and the process may be a
        // client about to exit.
        let exe_link = dir.join("exe");
        let exe_file = std::fs::File::open(&exe_link).ok();
        let comm = read_capped(&dir.join("comm"), 256);
        if comm.is_empty() {
            self.not_found += 1;
            return None;
        }
        let exe = std::fs::read_link(&exe_link)
            .ok()
            .map(|p| p.to_string_lossy().chars().take(4096).collect());
        let go = match exe_file.as_ref().map(|f| (f, f.metadata())) {
            Some((file, Ok(meta))) => {
                use std::os::fd::AsRawFd;
                use std::os::unix::fs::MetadataExt;
                let key = (meta.dev(), meta.ino());
                if let Some(go) = self.exes.get(&key) {
                    go.clone()
                } else {
                    let go = go_facts(Path::new(&format!("/proc/self/fd/{}", file.as_raw_fd())));
                    if self.exes.len() >= MAX_EXES {
                        self.exes.clear();
                    }
                    self.exes.insert(key, go.clone());
                    go
                }
            }
            _ => GoFacts::default(),
        };
        let environ = read_capped(&dir.join("environ"), 1 << 20);
        let tls_godebug_env = environ
            .split('\0')
            .rev()
            .find_map(|kv| kv.strip_prefix("GODEBUG="))
            .map(tls_settings)
            .unwrap_or_default();
        let cgroup = parse_cgroup(&read_capped(&dir.join("cgroup"), 64 << 10));
        Some(ProcessFacts {
            pid,
            comm: comm.trim_end_matches('\n').chars().take(64).collect(),
            exe,
            go_version: go.version,
            tls_godebug: go.tls_godebug,
            tls_godebug_env,
            container_id: cgroup.container_id,
            container_runtime: cgroup.runtime,
            pod_uid: cgroup.pod_uid,
            pod: None,
            namespace: None,
            container: None,
        })
    }
}

fn go_facts(exe: &Path) -> GoFacts {
    match crate::gobin::buildinfo::read_file(exe) {
        Ok(Some(info)) => {
            let bin = crate::gobin::GoBinary::new(exe, &info);
            GoFacts {
                version: Some(bin.go_version.clone()),
                tls_godebug: bin
                    .default_godebug
                    .as_deref()
                    .map(tls_settings)
                    .unwrap_or_default(),
            }
        }
        _ => GoFacts::default(),
    }
}

/// The kernel's exact socket lookup (`NETLINK_SOCK_DIAG`, `inet_diag`):
/// one request without `NLM_F_DUMP` names the 4-tuple, the kernel answers
/// with that socket (or, like a packet would find it, its listener).
#[cfg(target_os = "linux")]
mod diag {
    use std::net::{IpAddr, SocketAddr};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    const NETLINK_SOCK_DIAG: i32 = 4;
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const NLMSG_ERROR: u16 = 2;
    const NLM_F_REQUEST: u16 = 1;
    /// nlmsghdr (16) + family..retrans (4) + sockid (48) + expires, rqueue,
    /// wqueue, uid (16): the inode's offset in the answer.
    const INODE_AT: usize = 84;

    #[derive(Debug)]
    pub struct SockDiag {
        fd: OwnedFd,
        seq: u32,
    }

    impl SockDiag {
        pub fn open() -> Option<SockDiag> {
            // SAFETY: plain socket(2).
            let raw = unsafe {
                libc::socket(
                    libc::AF_NETLINK,
                    libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                    NETLINK_SOCK_DIAG,
                )
            };
            if raw < 0 {
                return None;
            }
            // SAFETY: a descriptor just returned by socket(2).
            let fd = unsafe { OwnedFd::from_raw_fd(raw) };
            let tv = libc::timeval {
                tv_sec: 0,
                tv_usec: 100_000,
            };
            // SAFETY: setsockopt(2) with a timeval of the right size.
            unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_RCVTIMEO,
                    &tv as *const libc::timeval as *const libc::c_void,
                    std::mem::size_of::<libc::timeval>() as libc::socklen_t,
                );
            }
            Some(SockDiag { fd, seq: 0 })
        }

        /// The inode of the socket at `local` talking to `remote` (or of
        /// the listener a packet from `remote` would reach); `None` when
        /// there is none or it has no inode yet (a half-open request).
        pub fn inode(&mut self, local: SocketAddr, remote: SocketAddr) -> Option<u64> {
            self.inode_of(libc::IPPROTO_TCP, local, remote)
        }

        /// As [`SockDiag::inode`], for a TCP or UDP (`proto`) socket. For
        /// UDP the kernel answers with the socket a datagram from `remote`
        /// to `local` would reach: a connected one, else the bound one.
        pub fn inode_of(
            &mut self,
            proto: libc::c_int,
            local: SocketAddr,
            remote: SocketAddr,
        ) -> Option<u64> {
            // udp_diag looks the socket up as a datagram's receiver: `src`
            // is the datagram's source (the remote end), `dst` the socket's
            // own address, the other way round from TCP's inet_diag.
            let (local, remote) = if proto == libc::IPPROTO_UDP {
                (remote, local)
            } else {
                (local, remote)
            };
            let family = match (local.ip(), remote.ip()) {
                (IpAddr::V4(_), IpAddr::V4(_)) => libc::AF_INET,
                (IpAddr::V6(_), IpAddr::V6(_)) => libc::AF_INET6,
                _ => return None,
            };
            self.seq = self.seq.wrapping_add(1);
            let mut req = Vec::with_capacity(72);
            req.extend_from_slice(&72u32.to_ne_bytes());
            req.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
            req.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
            req.extend_from_slice(&self.seq.to_ne_bytes());
            req.extend_from_slice(&0u32.to_ne_bytes());
            req.extend_from_slice(&[family as u8, proto as u8, 0, 0]);
            req.extend_from_slice(&u32::MAX.to_ne_bytes()); // every state
            req.extend_from_slice(&local.port().to_be_bytes());
            req.extend_from_slice(&remote.port().to_be_bytes());
            for ip in [local.ip(), remote.ip()] {
                let mut b = [0u8; 16];
                match ip {
                    IpAddr::V4(v4) => b[..4].copy_from_slice(&v4.octets()),
                    IpAddr::V6(v6) => b = v6.octets(),
                }
                req.extend_from_slice(&b);
            }
            req.extend_from_slice(&0u32.to_ne_bytes()); // any interface
            req.extend_from_slice(&[0xff; 8]); // INET_DIAG_NOCOOKIE
                                               // SAFETY: send(2) of an initialised buffer.
            let sent = unsafe {
                libc::send(
                    self.fd.as_raw_fd(),
                    req.as_ptr() as *const libc::c_void,
                    req.len(),
                    0,
                )
            };
            if sent < 0 {
                return None;
            }
            let mut buf = [0u8; 512];
            // Answers to earlier requests that timed out are skipped by seq.
            for _ in 0..4 {
                // SAFETY: recv(2) into a writable buffer of its length.
                let n = unsafe {
                    libc::recv(
                        self.fd.as_raw_fd(),
                        buf.as_mut_ptr() as *mut libc::c_void,
                        buf.len(),
                        0,
                    )
                };
                if n < 16 {
                    return None;
                }
                let n = n as usize;
                let typ = u16::from_ne_bytes([buf[4], buf[5]]);
                let seq = u32::from_ne_bytes([buf[8], buf[9], buf[10], buf[11]]);
                if seq != self.seq {
                    continue;
                }
                if typ == NLMSG_ERROR || typ != SOCK_DIAG_BY_FAMILY || n < INODE_AT + 4 {
                    return None;
                }
                let inode = u32::from_ne_bytes(buf[INODE_AT..INODE_AT + 4].try_into().ok()?);
                return (inode != 0).then_some(u64::from(inode));
            }
            None
        }
    }
}

/// `socket:[12345]` → 12345.
pub fn socket_inode_of(link: &Path) -> Option<u64> {
    link.to_str()?
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

fn read_capped(path: &Path, max: u64) -> String {
    let mut out = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(max).read_to_end(&mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_lines_parse_as_the_kernel_prints_them() {
        let v4 = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0";
        let e = parse_socket_line(v4).unwrap();
        assert_eq!(e.local, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(e.remote, "0.0.0.0:0".parse().unwrap());
        assert_eq!((e.state, e.inode), (LISTEN, 12345));
        let v4 = "   1: 0100007F:C350 0100007F:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 999 1 0000000000000000 20 4 30 10 -1";
        let e = parse_socket_line(v4).unwrap();
        assert_eq!(e.local, "127.0.0.1:50000".parse().unwrap());
        assert_eq!(e.remote, "127.0.0.1:443".parse().unwrap());
        assert_eq!((e.state, e.inode), (1, 999));
        // IPv4-mapped addresses (a dual-stack socket's IPv4 connection).
        let v6 = "   0: 0000000000000000FFFF00000100007F:01BB 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 20 4 30 10 -1";
        let e = parse_socket_line(v6).unwrap();
        assert_eq!(e.local, "127.0.0.1:443".parse().unwrap());
        assert_eq!(e.remote, "127.0.0.1:50000".parse().unwrap());
        assert_eq!(e.inode, 777);
        let v6 = "   0: 00000000000000000000000001000000:01BB 00000000000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 778 1 0000000000000000 20 4 30 10 -1";
        let e = parse_socket_line(v6).unwrap();
        assert_eq!(e.local, "[::1]:443".parse().unwrap());
        assert_eq!(e.remote, "[::1]:50000".parse().unwrap());
        // A listener on [::] (remote all zeroes).
        let v6 = "   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 779 1";
        assert_eq!(
            parse_socket_line(v6).unwrap().local,
            "[::]:443".parse().unwrap()
        );
    }

    #[test]
    fn hostile_socket_lines_are_none() {
        for line in [
            "",
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0100007F:1F90",
            "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0",
            "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 -1",
            "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99999999999999999999999",
            "   0: 0100007G:1F90 00000000:0000 0A 0 0 0 0 0 1",
            "   0: +100007F:1F90 00000000:0000 0A 0 0 0 0 0 1",
            "   0: 0100007F:1F9 00000000:0000 0A 0 0 0 0 0 1",
            "   0: 0100007F:1F900 00000000:0000 0A 0 0 0 0 0 1",
            "   0: 0100007F1F90 00000000:0000 0A 0 0 0 0 0 1",
            "   0: 0100007F:1F90 00000000:0000 ZZ 0 0 0 0 0 1",
            "   0: 0100007F:1F90 00000000:0000 1FF 0 0 0 0 0 1",
            "   x: 0100007F:1F90 00000000:0000 0A 0 0 0 0 0 1",
            "   0: 0100007F0100007F:1F90 00000000:0000 0A 0 0 0 0 0 1",
            "   0: 0100007F:1F90 00000000000000000000000001000000:01BB 01 0 0 0 0 0 1",
            "   0: é100007F:1F90 00000000:0000 0A 0 0 0 0 0 1",
        ] {
            assert_eq!(parse_socket_line(line), None, "{line:?}");
        }
    }

    #[test]
    fn cgroup_paths_name_the_container() {
        let id = "a".repeat(64);
        let uid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        let systemd_uid = uid.replace('-', "_");
        for (text, runtime, pod) in [
            (
                format!("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{systemd_uid}.slice/cri-containerd-{id}.scope\n"),
                Some("containerd"),
                Some(uid),
            ),
            (
                format!("0::/kubepods.slice/kubepods-pod{systemd_uid}.slice/crio-{id}.scope"),
                Some("cri-o"),
                Some(uid),
            ),
            (format!("12:memory:/kubepods/besteffort/pod{uid}/{id}\n11:cpu:/kubepods/besteffort/pod{uid}/{id}"), None, Some(uid)),
            (format!("0::/system.slice/docker-{id}.scope"), Some("docker"), None),
            (format!("1:name=systemd:/docker/{id}"), Some("docker"), None),
            (format!("0::/machine.slice/libpod-{id}.scope/container"), Some("podman"), None),
        ] {
            let c = parse_cgroup(&text);
            assert_eq!(c.container_id.as_deref(), Some(id.as_str()), "{text}");
            assert_eq!(c.runtime.as_deref(), runtime, "{text}");
            assert_eq!(c.pod_uid.as_deref(), pod, "{text}");
        }
        for text in [
            "0::/user.slice/user-1000.slice/session-2.scope",
            "0::/",
            "garbage",
            "0::/kubepods/podnot-a-uid/abc",
            &format!("0::/docker/{}", "g".repeat(64)),
        ] {
            assert_eq!(parse_cgroup(text).container_id, None, "{text}");
        }
    }

    #[test]
    fn tls_godebug_settings_are_picked() {
        assert_eq!(
            tls_settings("http2client=0,tlsmlkem=0, tlskyber=0,x509sha1=1,tlsbad"),
            vec!["tlsmlkem=0", "tlskyber=0"]
        );
        assert!(tls_settings("").is_empty());
    }

    /// The socket inode behind this process's descriptor `fd`.
    #[cfg(target_os = "linux")]
    fn fd_inode(fd: i32) -> u64 {
        socket_inode_of(&std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap()).unwrap()
    }

    /// The kernel's socket lookup, or `None` (said on stderr) where the
    /// machine has none.
    #[cfg(target_os = "linux")]
    fn sock_diag() -> Option<diag::SockDiag> {
        let diag = diag::SockDiag::open();
        if diag.is_none() {
            eprintln!("skipping: no NETLINK_SOCK_DIAG here");
        }
        diag
    }

    /// The kernel's exact lookup names the same socket as the process's own
    /// descriptor, for both ends and for a listener.
    #[cfg(target_os = "linux")]
    #[test]
    fn sock_diag_finds_this_process_sockets() {
        use std::os::fd::AsRawFd;
        let Some(mut diag) = sock_diag() else {
            return;
        };
        for host in ["127.0.0.1:0", "[::1]:0"] {
            let Ok(l) = std::net::TcpListener::bind(host) else {
                continue;
            };
            let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
            let (s, _) = l.accept().unwrap();
            let (ca, sa) = (c.local_addr().unwrap(), s.local_addr().unwrap());
            assert_eq!(diag.inode(ca, sa), Some(fd_inode(c.as_raw_fd())), "{host}");
            assert_eq!(diag.inode(sa, ca), Some(fd_inode(s.as_raw_fd())), "{host}");
            // No such connection: the listener a packet from there would reach.
            let other: SocketAddr = SocketAddr::new(ca.ip(), 1);
            assert_eq!(
                diag.inode(sa, other),
                Some(fd_inode(l.as_raw_fd())),
                "{host}"
            );
            let nothing = SocketAddr::new(ca.ip(), 9);
            assert_eq!(diag.inode(nothing, other), None, "{host}");
            // And the resolver names this process for both ends.
            let mut r = Resolver::new("/proc", Vec::new()).with_sock_diag();
            let [pc, ps] = r.connection(ca, sa);
            assert_eq!(pc.unwrap().pid, std::process::id());
            assert_eq!(ps.unwrap().pid, std::process::id());
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn sock_diag_finds_udp_sockets_connected_or_bound() {
        use std::os::fd::AsRawFd;
        let Some(mut diag) = sock_diag() else {
            return;
        };
        for host in ["127.0.0.1:0", "[::1]:0"] {
            let Ok(server) = std::net::UdpSocket::bind(host) else {
                continue;
            };
            let client = std::net::UdpSocket::bind(host).unwrap();
            client.connect(server.local_addr().unwrap()).unwrap();
            let (ca, sa) = (client.local_addr().unwrap(), server.local_addr().unwrap());
            let udp = libc::IPPROTO_UDP;
            assert_eq!(
                diag.inode_of(udp, ca, sa),
                Some(fd_inode(client.as_raw_fd())),
                "{host}"
            );
            assert_eq!(
                diag.inode_of(udp, sa, ca),
                Some(fd_inode(server.as_raw_fd())),
                "{host}"
            );
            // Not TCP sockets.
            assert_eq!(diag.inode(ca, sa), None, "{host}");
            // The resolver names this process for both ends, over UDP only.
            let mut r = Resolver::new("/proc", Vec::new()).with_sock_diag();
            let [pc, ps] = r.connection_udp(ca, sa);
            assert_eq!(pc.unwrap().pid, std::process::id());
            assert_eq!(ps.unwrap().pid, std::process::id());
            // And without sock_diag, from /proc/net/udp{,6}.
            let mut r = Resolver::new("/proc", Vec::new());
            let [pc, ps] = r.connection_udp(ca, sa);
            assert_eq!(pc.unwrap().pid, std::process::id(), "{host}");
            assert_eq!(ps.unwrap().pid, std::process::id(), "{host}");
        }
    }

    /// A server that closed the connection's descriptor between the
    /// kernel's lookup and the walk of /proc is still named, by the
    /// listener it keeps. Real sockets, a /proc in which the server process
    /// holds only its listener.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_server_that_closed_the_connection_is_named_by_its_listener() {
        use std::os::fd::AsRawFd;
        let Some(mut diag) = sock_diag() else {
            return;
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let (ca, sa) = (client.local_addr().unwrap(), accepted.local_addr().unwrap());
        // The kernel still knows the accepted socket.
        assert_eq!(diag.inode(sa, ca), Some(fd_inode(accepted.as_raw_fd())));
        let root = tempfile::tempdir().unwrap();
        for (pid, fd, comm) in [
            (10u32, listener.as_raw_fd(), "server"),
            (20, client.as_raw_fd(), "client"),
        ] {
            let d = root.path().join(pid.to_string());
            std::fs::create_dir_all(d.join("fd")).unwrap();
            let link = format!("socket:[{}]", fd_inode(fd));
            std::os::unix::fs::symlink(link, d.join("fd/3")).unwrap();
            std::fs::write(d.join("comm"), format!("{comm}\n")).unwrap();
        }
        let mut r = Resolver::new(root.path(), Vec::new()).with_sock_diag();
        let [c, s] = r.connection(ca, sa);
        assert_eq!(c.map(|c| c.pid), Some(20));
        assert_eq!(s.map(|s| s.pid), Some(10));
        assert_eq!(r.not_found, 0);
    }

    /// A fake /proc whose net/tcp holds a listener on 127.0.0.1:8080
    /// (inode 111) and `connection`, one more line in the kernel's format.
    fn fake_net(connection: &str) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let p = root.path();
        std::fs::create_dir_all(p.join("net")).unwrap();
        std::fs::write(
            p.join("net/tcp"),
            format!(
                "  sl  local_address rem_address   st ...\n   \
                 0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 111 1\n   {connection}\n"
            ),
        )
        .unwrap();
        std::fs::write(p.join("net/tcp6"), "").unwrap();
        root
    }

    /// A process caught between fork and exec holds its parent's sockets
    /// too; the scan meets it first (newest pid first), and the socket is
    /// named for the parent that holds it, not the copy.
    #[test]
    fn a_forked_copy_of_a_socket_is_named_for_its_parent() {
        let root = fake_net(
            "1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000 0 0 333 1",
        );
        let p = root.path();
        // 10 serves; 30, its fork, holds copies of both its sockets; 40,
        // a fork of 30, too (a chain stays named for the first holder).
        for (pid, ppid, comm, fds) in [
            (10u32, 1u32, "server", &[111u64, 333][..]),
            (30, 10, "worker (new) )", &[111, 333][..]),
            (40, 30, "grandchild", &[333][..]),
        ] {
            let d = p.join(pid.to_string());
            std::fs::create_dir_all(d.join("fd")).unwrap();
            for (n, inode) in fds.iter().enumerate() {
                std::os::unix::fs::symlink(
                    format!("socket:[{inode}]"),
                    d.join(format!("fd/{}", n + 3)),
                )
                .unwrap();
            }
            std::fs::write(d.join("comm"), format!("{comm}\n")).unwrap();
            std::fs::write(
                d.join("stat"),
                format!("{pid} ({comm}) S {ppid} {pid} 0 0\n"),
            )
            .unwrap();
        }
        let mut r = Resolver::new(p, Vec::new());
        let client: SocketAddr = "127.0.0.1:50000".parse().unwrap();
        let server: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let [_, s] = r.connection(client, server);
        assert_eq!(s.map(|s| (s.pid, s.comm)), Some((10, "server".to_string())));
        // A socket only the child holds stays the child's.
        assert_eq!(parent_of(p, 30), Some(10));
        assert_eq!(r.creator(40, 999), 40);
    }

    #[test]
    fn a_fake_proc_resolves_both_ends() {
        let root = fake_net(
            "1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 0 0 222 1",
        );
        let p = root.path();
        for (pid, inode, comm) in [(10u32, 111u64, "server"), (20, 222, "client")] {
            let d = p.join(pid.to_string());
            std::fs::create_dir_all(d.join("fd")).unwrap();
            std::os::unix::fs::symlink(format!("socket:[{inode}]"), d.join("fd/3")).unwrap();
            std::os::unix::fs::symlink("/dev/null", d.join("fd/0")).unwrap();
            std::fs::write(d.join("comm"), format!("{comm}\n")).unwrap();
            std::fs::write(d.join("environ"), "A=b\0GODEBUG=tlsmlkem=0,x=1\0").unwrap();
            std::fs::write(
                d.join("cgroup"),
                format!("0::/system.slice/docker-{}.scope\n", "b".repeat(64)),
            )
            .unwrap();
        }
        let mut r = Resolver::new(p, Vec::new());
        let client: SocketAddr = "127.0.0.1:50000".parse().unwrap();
        let server: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let [c, s] = r.connection(client, server);
        let (c, s) = (c.unwrap(), s.unwrap());
        assert_eq!((c.pid, c.comm.as_str()), (20, "client"));
        assert_eq!((s.pid, s.comm.as_str()), (10, "server"));
        assert_eq!(c.tls_godebug_env, vec!["tlsmlkem=0"]);
        assert_eq!(c.container_runtime.as_deref(), Some("docker"));
        assert_eq!(c.go_version, None);
        // The client closes the socket: the remembered pid no longer holds
        // it, and a rescan finds nobody.
        std::fs::remove_file(p.join("20/fd/3")).unwrap();
        std::os::unix::fs::symlink("socket:[999]", p.join("20/fd/3")).unwrap();
        let [c, s] = r.connection(client, server);
        assert_eq!(c, None);
        assert_eq!(s.unwrap().pid, 10);
        assert_eq!(r.not_found, 1);
        // Not local: no socket, no process.
        let far: SocketAddr = "10.9.9.9:1".parse().unwrap();
        assert_eq!(
            r.connection(far, "10.9.9.8:2".parse().unwrap()),
            [None, None]
        );
    }
}
