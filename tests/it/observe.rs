//! `pqready observe --pcap`: captures recorded here, on loopback, with
//! tcpdump while real clients talk to real servers; every connection's
//! negotiated group must equal what the client logged (where it logs one)
//! and what tshark reads from the same file. And hostile captures: cut,
//! truncated, conflicting, flooded, large and not TLS.

use crate::support::clients::{goclient, openssl35};
use crate::support::command::run;
use crate::support::formats::cyclonedx_violations;
use crate::support::peers::{bin, go_server, nginx, require, REQUIRE_PEERS};
use pqready::observe::packet::{build, flags};
use pqready::wire::NamedGroup;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// tcpdump on `lo`, writing only the given ports' packets to a file.
pub(crate) struct Tcpdump {
    child: Child,
    file: PathBuf,
    /// Where the end-of-capture marker is sent: a UDP socket of ours, so
    /// the port is taken and the datagram is received (no ICMP).
    marker: std::net::UdpSocket,
}

impl Tcpdump {
    /// Started and ready (its "listening on" line), or `None` when it
    /// cannot capture here (no CAP_NET_RAW): the test skips, or fails under
    /// PQREADY_REQUIRE_PEERS=1.
    pub(crate) fn start(dir: &Path, ports: &[u16]) -> Option<Tcpdump> {
        let filter = ports
            .iter()
            .map(|p| format!("tcp port {p}"))
            .collect::<Vec<_>>()
            .join(" or ");
        Self::start_filter(dir, &filter)
    }

    /// As `start`, with a tcpdump filter of the caller's.
    fn start_filter(dir: &Path, filter: &str) -> Option<Tcpdump> {
        let file = dir.join("capture.pcap");
        let log = dir.join("tcpdump.log");
        let marker = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        // The marker's datagram is captured too: its payload is not QUIC
        // (no long-header bit), so observe skips it and counts no flow.
        let filter = format!(
            "({filter}) or (udp dst port {})",
            marker.local_addr().unwrap().port()
        );
        // --immediate-mode: each packet is handed over at once (TPACKET_V3
        // otherwise holds a block, lost at SIGINT); -U: written at once.
        let mut child = Command::new(bin("tcpdump"))
            .args([
                "-Z",
                "root",
                "-i",
                "lo",
                "--immediate-mode",
                "-U",
                "-s",
                "0",
                "-w",
            ])
            .arg(&file)
            .arg(&filter)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start tcpdump");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("listening on") {
                return Some(Tcpdump {
                    child,
                    file,
                    marker,
                });
            }
            if child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
                let _ = child.kill();
                let reason = format!("tcpdump cannot capture on lo: {}", text.trim());
                if std::env::var(REQUIRE_PEERS).as_deref() == Ok("1") {
                    panic!("{reason} [{REQUIRE_PEERS}=1]");
                }
                eprintln!("skipping: {reason}");
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops it and returns the file, with every packet sent before the
    /// call in it. tcpdump may not have read the last packets from the
    /// kernel yet (on a loaded machine it lags), and at SIGINT it stops
    /// reading: so a marker datagram is sent first, and the file is read
    /// until it holds the marker (tcpdump reads and writes in order, -U
    /// writes each packet at once). Then SIGINT flushes and closes it.
    pub(crate) fn stop(mut self) -> PathBuf {
        let token = format!(
            "pqready-capture-end-{}-{:?}",
            std::process::id(),
            Instant::now()
        );
        let to = self.marker.local_addr().unwrap();
        self.marker.send_to(token.as_bytes(), to).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let bytes = std::fs::read(&self.file).unwrap_or_default();
            if bytes.windows(token.len()).any(|w| w == token.as_bytes()) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "tcpdump wrote no end-of-capture marker to {} in 60 s",
                self.file.display()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let _ = self.child.wait();
        self.file.clone()
    }
}

/// What tshark reads: (server port, client port) → the ServerHello's
/// key_share group codepoint (the last one: after a HelloRetryRequest).
pub(crate) fn tshark_groups(file: &Path) -> HashMap<(u16, u16), u16> {
    tshark_server_groups(file, "tcp", &[])
}

/// What tshark reads over `transport` (`tcp`, or `udp` with `quic_ports`
/// decoded as QUIC, whose Initials tshark decrypts itself): (server port,
/// client port) → the final ServerHello's key_share group codepoint.
fn tshark_server_groups(
    file: &Path,
    transport: &str,
    quic_ports: &[u16],
) -> HashMap<(u16, u16), u16> {
    let mut cmd = Command::new(bin("tshark"));
    cmd.arg("-r").arg(file);
    for p in quic_ports {
        cmd.args(["-d", &format!("udp.port=={p},quic")]);
    }
    let (src, dst) = (
        format!("{transport}.srcport"),
        format!("{transport}.dstport"),
    );
    let out = cmd
        .args(["-Y", "tls.handshake.type == 2", "-T", "fields", "-e"])
        .arg(&src)
        .arg("-e")
        .arg(&dst)
        .args(["-e", "tls.handshake.extensions_key_share_group"])
        .output()
        .expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut map = HashMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 3 || f[2].is_empty() {
            continue;
        }
        // A HelloRetryRequest and its ServerHello: the last one counts.
        let group = f[2].split(',').next_back().unwrap().trim();
        let code = group
            .strip_prefix("0x")
            .map(|h| u16::from_str_radix(h, 16).unwrap())
            .unwrap_or_else(|| group.parse().unwrap());
        map.insert((f[0].parse().unwrap(), f[1].parse().unwrap()), code);
    }
    map
}

pub(crate) fn observe_json(files: &[&Path], extra: &[&str]) -> (Vec<Value>, Value) {
    let mut args = vec!["observe".to_string(), "-o".into(), "json".into()];
    for f in files {
        args.push("--pcap".into());
        args.push(f.display().to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "observe failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.pop().expect("a summary");
    assert_eq!(summary["kind"], "observe-summary");
    (lines, summary)
}

pub(crate) fn port(addr: &Value) -> u16 {
    addr.as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

pub(crate) fn code(name: &Value) -> u16 {
    NamedGroup::parse(name.as_str().unwrap()).unwrap().0
}

#[test]
fn real_clients_and_servers_negotiate_what_observe_reads() {
    let need = [
        "tcpdump",
        "tshark",
        "nginx",
        "openssl",
        "goserver-1.24",
        "goserver-1.23",
        "goclient-1.23",
        "goclient-1.24",
    ];
    if !require(&need) {
        return;
    }
    let go124 = go_server("1.24");
    let go123 = go_server("1.23");
    let nginx = nginx();
    let dir = tempfile::tempdir().unwrap();
    let ports = [go124.addr.port(), go123.addr.port(), nginx.addr.port()];
    let Some(tcpdump) = Tcpdump::start(dir.path(), &ports) else {
        return;
    };
    // Go 1.24 → Go 1.24 shows the server supports X25519MLKEM768; Go 1.23
    // (Kyber draft + x25519) → the same server gets x25519: a silent downgrade.
    assert!(goclient("1.24").run(go124.addr).succeeded());
    assert!(goclient("1.23").run(go124.addr).succeeded());
    assert!(goclient("1.24").run(nginx.addr).succeeded());
    let s_client = openssl35().run(go123.addr);
    let file = tcpdump.stop();
    // OpenSSL names a KEM group on "Negotiated TLS1.3 group:", an ECDH one
    // on "Peer Temp Key: X25519, 253 bits".
    let logged = s_client
        .output
        .lines()
        .find_map(|l| {
            l.strip_prefix("Negotiated TLS1.3 group: ").or_else(|| {
                l.strip_prefix("Peer Temp Key: ")
                    .and_then(|k| k.split(',').next())
            })
        })
        .unwrap_or_else(|| panic!("s_client logged no group:\n{}", s_client.output))
        .trim()
        .to_ascii_lowercase();

    let (records, summary) = observe_json(&[&file], &[]);
    assert_eq!(records.len(), 4, "{records:#?}");
    let tshark = tshark_groups(&file);
    assert_eq!(tshark.len(), 4, "tshark saw {tshark:?}");
    let mut seen = Vec::new();
    for r in &records {
        assert_eq!(r["kind"], "observed-connection");
        assert_eq!(r["sides"], "both");
        let group = &r["server_hello"]["negotiated_group"];
        let key = (port(&r["server"]), port(&r["client"]));
        assert_eq!(
            tshark.get(&key),
            Some(&code(group)),
            "tshark disagrees on {r}"
        );
        let profile = r["client_hello"]["profile_match"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        seen.push((
            key.0,
            profile,
            group.as_str().unwrap().to_string(),
            r["findings"].clone(),
        ));
    }
    let find = |server: u16, profile: &str| {
        seen.iter()
            .find(|(s, p, _, _)| *s == server && p == profile)
            .unwrap_or_else(|| panic!("no {profile} connection to {server}: {seen:?}"))
            .clone()
    };
    let (_, _, g, f) = find(go124.addr.port(), "go1.24");
    assert_eq!((g.as_str(), f), ("X25519MLKEM768", serde_json::json!([])));
    let (_, _, g, f) = find(go124.addr.port(), "go1.23");
    assert_eq!(g, "x25519");
    assert_eq!(
        f,
        serde_json::json!(["observed-silent-downgrade", "observed-draft"])
    );
    let (_, _, g, _) = find(nginx.addr.port(), "go1.24");
    assert_eq!(g, "X25519MLKEM768");
    let (_, _, g, f) = find(go123.addr.port(), "openssl3.5");
    // What s_client itself logged.
    assert_eq!(g.to_ascii_lowercase(), logged);
    assert_eq!(g, "x25519");
    assert_eq!(f, serde_json::json!(["observed-classical"]));

    let ids: Vec<&str> = summary["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], "observed-silent-downgrade", "worst first: {ids:?}");
    assert_eq!(summary["capture"]["connections"], 4);
    crate::schema::assert_valid("observed-connection", "observe -o json", &records);
    crate::schema::assert_valid(
        "observe-summary",
        "observe -o json",
        std::slice::from_ref(&summary),
    );

    // The table and SARIF say the same.
    let file_arg = file.display().to_string();
    let table = run(&["observe", "--pcap", &file_arg]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("observed-silent-downgrade"), "{table}");
    assert!(table.contains("4 connections on 3 edges"), "{table}");
    let sarif = run(&["observe", "--pcap", &file_arg, "-o", "sarif"]);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), ids.len());
}

// ---- hostile and synthetic captures (no peers needed) ----

/// A little-endian microsecond pcap writer.
struct PcapWriter {
    out: Vec<u8>,
}

impl PcapWriter {
    fn new(link: u32, snaplen: u32) -> Self {
        let mut out = Vec::new();
        out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&snaplen.to_le_bytes());
        out.extend_from_slice(&link.to_le_bytes());
        PcapWriter { out }
    }

    fn packet(&mut self, t_us: u64, frame: &[u8], caplen: usize) {
        let cap = caplen.min(frame.len());
        self.out
            .extend_from_slice(&((t_us / 1_000_000) as u32).to_le_bytes());
        self.out
            .extend_from_slice(&((t_us % 1_000_000) as u32).to_le_bytes());
        self.out.extend_from_slice(&(cap as u32).to_le_bytes());
        self.out
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.out.extend_from_slice(&frame[..cap]);
    }
}

fn hello_bytes() -> Vec<u8> {
    use pqready::wire::{ClientHelloSpec, KeyShareEntry, ProtocolVersion};
    let spec = ClientHelloSpec::tls13(
        vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519],
        vec![
            KeyShareEntry {
                group: NamedGroup::X25519MLKEM768,
                payload: vec![1; 1216],
            },
            KeyShareEntry {
                group: NamedGroup::X25519,
                payload: vec![2; 32],
            },
        ],
    );
    pqready::wire::record::fragment(&spec.encode(), 1000, ProtocolVersion::TLS1_0)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

#[test]
fn hostile_captures_end_cleanly_with_notes_and_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let c: std::net::SocketAddr = "10.0.0.1:40000".parse().unwrap();
    let s: std::net::SocketAddr = "10.0.0.2:443".parse().unwrap();
    let hello = hello_bytes();

    // A hello split over three segments, sent out of order with a
    // retransmission and a conflicting overlap (first arrival wins).
    let mut w = PcapWriter::new(1, 65535);
    w.packet(
        1,
        &build::ethernet_tcp(c, s, 100, flags::SYN, &[]),
        usize::MAX,
    );
    let (a, b) = hello.split_at(600);
    let (b, d) = b.split_at(600);
    w.packet(
        3,
        &build::ethernet_tcp(c, s, 1301, flags::ACK, d),
        usize::MAX,
    );
    w.packet(
        4,
        &build::ethernet_tcp(c, s, 101, flags::ACK, a),
        usize::MAX,
    );
    w.packet(
        5,
        &build::ethernet_tcp(c, s, 101, flags::ACK, &[0xee; 50]),
        usize::MAX,
    );
    w.packet(
        6,
        &build::ethernet_tcp(c, s, 701, flags::ACK, b),
        usize::MAX,
    );
    let ooo = write(dir.path(), "ooo.pcap", &w.out);
    let (records, summary) = observe_json(&[&ooo], &[]);
    assert_eq!(records.len(), 1, "{summary}");
    assert_eq!(records[0]["sides"], "client-only");
    assert_eq!(records[0]["client_hello"]["groups"][0], "X25519MLKEM768");
    assert_eq!(records[0]["conflicting_segments"], 1);
    assert_eq!(records[0]["standing"], "unknown");

    // The same file cut in the middle of a packet: read up to it, with a note.
    let cut = write(dir.path(), "cut.pcap", &w.out[..w.out.len() - 300]);
    let (_, summary) = observe_json(&[&cut], &[]);
    let notes = summary["capture"]["notes"].to_string();
    assert!(notes.contains("ends inside a packet"), "{notes}");

    // Snaplen 200: the hello's segments are cut; the connection is told as
    // incomplete, never as a hello pqready invented.
    let mut w = PcapWriter::new(1, 200);
    w.packet(1, &build::ethernet_tcp(c, s, 100, flags::SYN, &[]), 200);
    w.packet(2, &build::ethernet_tcp(c, s, 101, flags::ACK, &hello), 200);
    let snap = write(dir.path(), "snap.pcap", &w.out);
    let (records, summary) = observe_json(&[&snap], &[]);
    assert_eq!(summary["capture"]["packets_cut"], 1);
    assert!(
        records.is_empty() || records[0]["client_hello"].is_null(),
        "{records:?}"
    );

    // A block claiming 3 GiB is refused from its header, not allocated.
    let mut w = PcapWriter::new(1, 65535);
    w.out.extend_from_slice(&[0; 8]);
    w.out.extend_from_slice(&0xc000_0000u32.to_le_bytes());
    w.out.extend_from_slice(&0xc000_0000u32.to_le_bytes());
    w.out.extend_from_slice(&[0; 64]);
    let huge = write(dir.path(), "huge.pcap", &w.out);
    let (_, summary) = observe_json(&[&huge], &[]);
    assert!(
        !summary["capture"]["notes"].as_array().unwrap().is_empty(),
        "{summary}"
    );

    // A flood of half-open flows: the cap holds and the drops are counted.
    let mut w = PcapWriter::new(101, 65535);
    for i in 0..5000u32 {
        let src = std::net::SocketAddr::new(
            [10, 1, (i >> 8) as u8, i as u8].into(),
            1000 + (i % 50000) as u16,
        );
        w.packet(
            u64::from(i),
            &build::ip_tcp(src, s, i, flags::SYN, &[]),
            usize::MAX,
        );
    }
    let flood = write(dir.path(), "flood.pcap", &w.out);
    let (records, summary) = observe_json(&[&flood], &["--max-flows", "1000"]);
    assert!(records.is_empty());
    assert_eq!(summary["capture"]["flows"], 1000);
    assert_eq!(summary["capture"]["flows_dropped"], 4000);
}

#[test]
fn a_large_non_tls_capture_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let s: std::net::SocketAddr = "10.0.0.2:80".parse().unwrap();
    // 200,000 packets of 1,400 bytes (~290 MB) of plain HTTP-like bytes over
    // 2,000 flows; written as it is generated.
    let path = dir.path().join("big.pcap");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    file.write_all(&PcapWriter::new(1, 65535).out).unwrap();
    let payload = [b'G'; 1400];
    let mut seqs = vec![1u32; 2000];
    for i in 0..200_000u64 {
        let f = (i % 2000) as usize;
        let c = std::net::SocketAddr::new([10, 9, (f >> 8) as u8, f as u8].into(), 5000);
        let frame = build::ethernet_tcp(c, s, seqs[f], flags::ACK, &payload);
        seqs[f] = seqs[f].wrapping_add(1400);
        let mut w = PcapWriter { out: Vec::new() };
        w.packet(i * 10, &frame, usize::MAX);
        file.write_all(&w.out).unwrap();
    }
    drop(file);
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(["observe", "-o", "json", "--pcap"])
        .arg(&path)
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    assert!(out.status.success());
    let summary: Value = serde_json::from_slice(out.stdout.trim_ascii_end()).unwrap();
    assert_eq!(summary["capture"]["packets"], 200_000);
    assert_eq!(summary["capture"]["connections"], 0);
    assert_eq!(summary["capture"]["flows_without_hello"], 2000);
    eprintln!(
        "observe: 200000 packets ({} MB) in {elapsed:?}: {:.0} packets/s",
        std::fs::metadata(&path).unwrap().len() / 1_000_000,
        200_000.0 / elapsed.as_secs_f64()
    );
}

/// `observe -o html` and `-o cbom` from a real capture: Go 1.24 and Go 1.23
/// to a Go 1.24 server (one edge: X25519MLKEM768 and a silent downgrade to
/// x25519), Go 1.24 to nginx (X25519MLKEM768). The page renders in headless
/// Chromium with the edges, totals and findings; the CBOM has one TLS
/// protocol asset per edge linked to its negotiated groups' algorithms, valid
/// CycloneDX 1.7 and 1.6.
#[test]
fn observe_renders_html_and_cbom_from_a_real_capture() {
    let need = [
        "tcpdump",
        "chromium",
        "nginx",
        "goserver-1.24",
        "goclient-1.23",
        "goclient-1.24",
    ];
    if !require(&need) {
        return;
    }
    let go124 = go_server("1.24");
    let nginx = nginx();
    let dir = tempfile::tempdir().unwrap();
    let Some(tcpdump) = Tcpdump::start(dir.path(), &[go124.addr.port(), nginx.addr.port()]) else {
        return;
    };
    assert!(goclient("1.24").run(go124.addr).succeeded());
    assert!(goclient("1.23").run(go124.addr).succeeded());
    assert!(goclient("1.24").run(nginx.addr).succeeded());
    let file = tcpdump.stop();
    let file_arg = file.display().to_string();
    let go_edge = format!("127.0.0.1 → {}", go124.addr);
    let nginx_edge = format!("127.0.0.1 → {}", nginx.addr);

    // HTML: the edges table worst first, the totals, the findings.
    let page = dir.path().join("observe.html");
    let out = run(&[
        "observe",
        "--pcap",
        &file_arg,
        "-o",
        "html",
        "--output-file",
        page.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    crate::html::assert_self_contained(&html);
    let text = crate::html::visible_text(&crate::html::dump_dom(&page));
    for expected in [
        "3 observed connections on 2 edges seen in 1 capture".to_string(),
        "Observed connections".to_string(),
        format!(
            "127.0.0.1 {} 2 classical X25519MLKEM768 ×1, x25519 ×1 0 ",
            go124.addr
        ),
        format!("127.0.0.1 {} 1 pq X25519MLKEM768 ×1 0 go1.24 -", nginx.addr),
        "3 connections on 2 edges; negotiated: X25519MLKEM768 ×2, x25519 ×1.".to_string(),
        "observed-silent-downgrade".to_string(),
        go_edge.clone(),
    ] {
        assert!(
            text.contains(&expected),
            "{expected:?} not rendered in:\n{text}"
        );
    }
    // Worst first: the downgraded edge's row comes before nginx's, and holds
    // both clients' profiles (in capture order) and both findings.
    let row = |addr: &std::net::SocketAddr| text.find(&format!("127.0.0.1 {addr} ")).unwrap();
    assert!(row(&go124.addr) < row(&nginx.addr), "{text}");
    let go_row = &text[row(&go124.addr)..row(&nginx.addr)];
    for expected in [
        "go1.23",
        "go1.24",
        "observed-silent-downgrade observed-draft",
    ] {
        assert!(go_row.contains(expected), "{expected:?} not in {go_row:?}");
    }
    crate::html::assert_screenshot(&page, dir.path());

    // CBOM: per edge a TLS protocol asset linked to its groups' algorithms.
    for version in ["1.7", "1.6"] {
        let out = run(&[
            "observe",
            "--pcap",
            &file_arg,
            "-o",
            "cbom",
            "--cbom-version",
            version,
        ]);
        assert!(out.status.success());
        let cbom: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors = crate::support::formats::cyclonedx_violations(version, &cbom);
        assert!(errors.is_empty(), "CycloneDX {version}: {errors:#?}");
        let components = cbom["components"].as_array().unwrap();
        let name_of = |r: &Value| {
            components
                .iter()
                .find(|c| c["bom-ref"] == *r)
                .unwrap_or_else(|| panic!("no component {r}"))["name"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let edges: Vec<&Value> = components
            .iter()
            .filter(|c| {
                c["bom-ref"]
                    .as_str()
                    .unwrap()
                    .starts_with("crypto/observed-edge/")
            })
            .collect();
        assert_eq!(edges.len(), 2, "{cbom:#}");
        for (label, groups, algorithms) in [
            (
                &go_edge,
                vec![("X25519MLKEM768", "1"), ("x25519", "1")],
                vec!["ML-KEM-768", "X25519"],
            ),
            (
                &nginx_edge,
                vec![("X25519MLKEM768", "1")],
                vec!["ML-KEM-768", "X25519"],
            ),
        ] {
            let e = edges
                .iter()
                .find(|e| e["name"] == label.as_str())
                .unwrap_or_else(|| panic!("no edge {label} in {cbom:#}"));
            let protocol = &e["cryptoProperties"]["protocolProperties"];
            assert_eq!(protocol["type"], "tls");
            let refs: Vec<Value> = if version == "1.7" {
                protocol["relatedCryptographicAssets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["ref"].clone())
                    .collect()
            } else {
                protocol["cryptoRefArray"].as_array().unwrap().clone()
            };
            let mut names: Vec<String> = refs.iter().map(name_of).collect();
            names.sort();
            assert_eq!(names, algorithms, "{label}");
            let props: HashMap<&str, &str> = e["properties"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
                .collect();
            let negotiated: Vec<(&str, &str)> = props
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("pqready:negotiated-group:")?, *v)))
                .collect::<std::collections::BTreeMap<_, _>>()
                .into_iter()
                .collect();
            assert_eq!(negotiated, groups, "{label}");
            let downgrade = props.contains_key("pqready:finding:observed-silent-downgrade");
            assert_eq!(downgrade, label == &go_edge, "{label}: {props:?}");
            // The dependencies say the same as the links.
            let deps = cbom["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["ref"] == e["bom-ref"])
                .unwrap();
            assert_eq!(deps["dependsOn"].as_array().unwrap().len(), refs.len());
        }
    }

    // `pqready report` re-renders the saved JSON Lines: the lines as saved,
    // and every other format as the live run printed it.
    let saved = dir.path().join("observe.jsonl");
    let out = run(&["observe", "--pcap", &file_arg, "-o", "json"]);
    assert!(out.status.success());
    std::fs::write(&saved, &out.stdout).unwrap();
    let saved_arg = saved.display().to_string();
    for format in ["json", "table", "sarif", "markdown", "html"] {
        let live = run(&["observe", "--pcap", &file_arg, "-o", format]);
        let again = run(&["report", &saved_arg, "-o", format]);
        assert!(
            again.status.success(),
            "report -o {format}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&again.stdout),
            String::from_utf8_lossy(&live.stdout),
            "report -o {format} differs from the live run"
        );
    }
    let cbom = run(&["report", &saved_arg, "-o", "cbom"]);
    let cbom: Value = serde_json::from_slice(&cbom.stdout).unwrap();
    assert!(crate::support::formats::cyclonedx_violations("1.7", &cbom).is_empty());
    let edges = cbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["bom-ref"]
                .as_str()
                .unwrap()
                .starts_with("crypto/observed-edge/")
        })
        .count();
    assert_eq!(edges, 2);
    // The gate is recomputed from the saved findings: a high one fails it.
    let gated = run(&["report", &saved_arg, "--fail-on", "high"]);
    assert_eq!(gated.status.code(), Some(1));
}

// ---- live capture and attribution ----

/// A TCP proxy in this process in front of `upstream`: it holds each
/// accepted connection, and then its own connection upstream, until
/// pqready's log (`-v`) says the connection's ends were looked up, then
/// pipes them through. The client blocks on its handshake meanwhile, so
/// every end is alive at its lookup however slow the lookup is: the test
/// does not depend on timing.
pub(crate) fn gated_proxy(
    upstream: std::net::SocketAddr,
    log: PathBuf,
    connections: usize,
) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let wait_for = move |end: std::net::SocketAddr| {
        let needle = format!("attributed {end}:");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains(&needle)
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let handle = std::thread::spawn(move || {
        let mut pipes = Vec::new();
        for _ in 0..connections {
            let (down, peer) = listener.accept().unwrap();
            wait_for(peer);
            // The upstream connection too: nothing flows on it (so neither
            // end closes) until its lookup is logged.
            let up = std::net::TcpStream::connect(upstream).unwrap();
            wait_for(up.local_addr().unwrap());
            for (mut from, mut to) in [
                (down.try_clone().unwrap(), up.try_clone().unwrap()),
                (up, down),
            ] {
                pipes.push(std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(std::net::Shutdown::Write);
                }));
            }
        }
        for p in pipes {
            let _ = p.join();
        }
    });
    (addr, handle)
}

pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `pqready observe --interface lo` says, in `log`, that it
/// captures, and returns the log so far; `None` (after saying why) when this
/// host cannot capture (no CAP_NET_RAW): the test then skips, or fails
/// under PQREADY_REQUIRE_PEERS=1.
pub(crate) fn wait_capturing(child: &mut Child, log: &Path) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains("capturing on lo") {
            return Some(text);
        }
        if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
            let reason = format!("pqready cannot capture on lo: {}", text.trim());
            assert!(
                text.contains("CAP_NET_RAW") || Instant::now() > deadline,
                "{reason}"
            );
            if std::env::var(REQUIRE_PEERS).as_deref() == Ok("1") {
                panic!("{reason} [{REQUIRE_PEERS}=1]");
            }
            eprintln!("skipping: {reason}");
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_live_capture_on_lo_attributes_each_connection_to_its_process_and_go_build() {
    if !require(&["goserver-1.24", "goclient-1.23", "goclient-1.24"]) {
        return;
    }
    let server = go_server("1.24");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("observe.log");
    let out = dir.path().join("observe.json");
    let (proxy, proxy_thread) = gated_proxy(server.addr, log.clone(), 2);
    let filter = format!("port {} or {}", proxy.port(), server.addr.port());
    // Killed if the test fails before its SIGINT (no capture outlives it).
    let mut observe = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_pqready"))
            .args(["-v", "observe", "--interface", "lo", "--filter", &filter])
            .args(["-o", "json"])
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    if wait_capturing(&mut observe.0, &log).is_none() {
        return;
    }
    let mut pids = HashMap::new();
    for version in ["1.23", "1.24"] {
        let child = Command::new(bin(&format!("goclient-{version}")))
            .args(["-connect", &proxy.to_string()])
            .env_remove("GODEBUG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let done = child.wait_with_output().unwrap();
        assert!(
            done.status.success(),
            "goclient-{version}: {}",
            String::from_utf8_lossy(&done.stdout)
        );
        pids.insert(pid, version);
    }
    proxy_thread.join().unwrap();
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(observe.0.id() as i32, libc::SIGINT) };
    let status = observe.0.wait().unwrap();
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "observe: {status:?}\n{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = records.pop().expect("a summary");
    assert_eq!(summary["kind"], "observe-summary", "{text}");
    assert_eq!(records.len(), 4, "{text}\n{stderr}");
    let me = std::process::id();
    let mut clients_seen = Vec::new();
    for r in &records {
        let client = &r["client_process"];
        let server_side = &r["server_process"];
        if port(&r["server"]) == proxy.port() {
            // goclient → the proxy (this test process).
            let pid = client["pid"].as_u64().unwrap_or_else(|| panic!("{r}")) as u32;
            let version = pids
                .get(&pid)
                .unwrap_or_else(|| panic!("pid {pid} is no goclient: {r}"));
            assert_eq!(client["comm"], format!("goclient-{version}"), "{r}");
            let go = client["go_version"].as_str().unwrap();
            assert!(go.starts_with(&format!("go{version}.")), "{go}: {r}");
            assert!(
                client["exe"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("goclient-{version}")),
                "{r}"
            );
            assert_eq!(r["client_hello"]["profile_match"], format!("go{version}"));
            assert_eq!(server_side["pid"], me, "{r}");
            clients_seen.push(pid);
        } else {
            // The proxy (this test process) → goserver-1.24.
            assert_eq!(port(&r["server"]), server.addr.port(), "{r}");
            assert_eq!(client["pid"], me, "{r}\n{stderr}\n{summary}");
            assert_eq!(client["go_version"], Value::Null, "{r}");
            assert_eq!(server_side["comm"], "goserver-1.24", "{r}");
            let go = server_side["go_version"].as_str().unwrap();
            assert!(go.starts_with("go1.24."), "{r}");
            assert_ne!(r["server_hello"]["negotiated_group"], Value::Null, "{r}");
        }
    }
    clients_seen.sort();
    let mut expected: Vec<u32> = pids.keys().copied().collect();
    expected.sort();
    assert_eq!(clients_seen, expected);
    // Edges are per client process: the silent downgrade is goclient-1.23's.
    let edges = summary["edges"].as_array().unwrap();
    let edge_of = |version: &str| {
        edges
            .iter()
            .find(|e| {
                e["client_process"]
                    .as_str()
                    .is_some_and(|p| p.starts_with(&format!("goclient-{version} go{version}.")))
            })
            .unwrap_or_else(|| panic!("no goclient-{version} edge: {summary}"))
    };
    let findings = |e: &Value| {
        e["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(
        findings(edge_of("1.23")).contains(&"observed-draft".to_string()),
        "{summary}"
    );
    assert!(findings(edge_of("1.24")).is_empty(), "{summary}");
    crate::schema::assert_valid("observed-connection", "observe --interface", &records);
    crate::schema::assert_valid(
        "observe-summary",
        "observe --interface",
        std::slice::from_ref(&summary),
    );
    // The saved lines re-rendered as a CBOM: each client process's edge
    // is its own asset, named with the process.
    let cbom = run(&["report", out.to_str().unwrap(), "-o", "cbom"]);
    assert!(cbom.status.success(), "{cbom:?}");
    let cbom: Value = serde_json::from_slice(&cbom.stdout).unwrap();
    assert!(cyclonedx_violations("1.7", &cbom).is_empty());
    let processes: Vec<&str> = cbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["properties"].as_array())
        .flatten()
        .filter(|p| p["name"] == "pqready:observed:client-process")
        .filter_map(|p| p["value"].as_str())
        .collect();
    for version in ["1.23", "1.24"] {
        assert!(
            processes
                .iter()
                .any(|p| p.starts_with(&format!("goclient-{version} go{version}."))),
            "{processes:?}"
        );
    }
}

#[test]
fn observe_refuses_filters_outside_the_subset_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.pcap");
    std::fs::write(&file, PcapWriter::new(1, 65535).out).unwrap();
    let f = file.display().to_string();
    let out = run(&["observe", "--pcap", &f, "--filter", "icmp or port 53"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("'icmp' is not supported"), "{err}");
    // `udp` is in the subset: QUIC.
    let out = run(&["observe", "--pcap", &f, "--filter", "udp port 443"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["observe", "--pcap", &f, "--duration", "1s"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--interface"));
    // Two clients' hellos to two servers: the filter keeps what it names.
    let hello = hello_bytes();
    let mut w = PcapWriter::new(1, 65535);
    let flows: [(&str, &str); 3] = [
        ("10.0.0.1:40000", "10.0.0.2:443"),
        ("10.0.0.3:40001", "10.0.0.2:6443"),
        ("[fd00::1]:40002", "[fd00::2]:443"),
    ];
    for (i, (c, s)) in flows.iter().enumerate() {
        let (c, s) = (c.parse().unwrap(), s.parse().unwrap());
        let t = i as u64 * 10;
        w.packet(t, &build::ethernet_tcp(c, s, 100, flags::SYN, &[]), 65535);
        w.packet(
            t + 1,
            &build::ethernet_tcp(c, s, 101, flags::ACK, &hello),
            65535,
        );
    }
    let two = write(dir.path(), "two.pcap", &w.out);
    for (filter, clients) in [
        ("port 443", vec!["10.0.0.1:40000", "[fd00::1]:40002"]),
        (
            "tcp port 6443 or host 10.0.0.1",
            vec!["10.0.0.1:40000", "10.0.0.3:40001"],
        ),
        ("dst port 443 and not ip6", vec!["10.0.0.1:40000"]),
        ("net fd00::/16", vec!["[fd00::1]:40002"]),
        ("src port 443", vec![]),
    ] {
        let (records, summary) = observe_json(&[&two], &["--filter", filter]);
        let got: Vec<&str> = records
            .iter()
            .map(|r| r["client"].as_str().unwrap())
            .collect();
        assert_eq!(got, clients, "{filter}");
        // Segments left out are not counted, as a capture filter's are not.
        assert_eq!(summary["capture"]["packets"], 2 * clients.len(), "{filter}");
    }
}

#[test]
fn a_live_capture_without_cap_net_raw_says_so_in_one_line() {
    let pqready = env!("CARGO_BIN_EXE_pqready");
    let args = ["observe", "--interface", "lo", "--duration", "1s"];
    // SAFETY: geteuid(2) has no preconditions.
    let out = if unsafe { libc::geteuid() } == 0 {
        // Root has the capability: drop it (util-linux setpriv).
        if !Path::new("/usr/bin/setpriv").exists() {
            eprintln!("skipping: running as root without /usr/bin/setpriv to drop CAP_NET_RAW");
            return;
        }
        Command::new("/usr/bin/setpriv")
            .args([
                "--bounding-set",
                "-net_raw",
                "--inh-caps",
                "-net_raw",
                pqready,
            ])
            .args(args)
            .output()
            .unwrap()
    } else {
        Command::new(pqready).args(args).output().unwrap()
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("needs CAP_NET_RAW"), "{err}");
    assert!(err.contains("setcap cap_net_raw+ep"), "{err}");
    assert!(out.stdout.is_empty());
}

/// A Pod on `node` whose IP is `ip`.
fn api_pod(namespace: &str, name: &str, node: &str, ip: &str) -> Value {
    serde_json::json!({
        "metadata": { "name": name, "namespace": namespace },
        "spec": { "nodeName": node, "containers": [{ "name": "app", "image": "example/app:1" }] },
        "status": { "phase": "Running", "hostIP": "127.0.0.1", "podIP": ip, "podIPs": [{ "ip": ip }] },
    })
}

/// The processes here run in no container, so the Pod of a process (by
/// container ID or pod UID) is the unit tests' (`discover::pods`); what a
/// live capture shows end to end is the server address named through the
/// API: a loopback server whose address is a Pod's IP on this node, the
/// node's Pods listed by field selector, and a denied Services list as one
/// note, without the kubeconfig's token anywhere.
#[test]
fn a_live_capture_names_a_server_by_its_pod_ip_through_the_kubernetes_api() {
    use crate::support::apiserver::{Cluster, TestApiServer, TOKEN};
    if !require(&["goserver-1.24", "goclient-1.23", "chromium"]) {
        return;
    }
    let server = go_server("1.24");
    // The same IP on another node: counted only if the node's field
    // selector is ignored, and then no one Pod would hold it.
    let api = TestApiServer::start(
        Cluster::new()
            .object("pods", api_pod("shop", "web-7d9f", "node-a", "127.0.0.1"))
            .object(
                "pods",
                api_pod("shop", "web-elsewhere", "node-b", "127.0.0.1"),
            )
            .deny("/api/v1/services"),
    );
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = crate::support::kubeconfig::token(dir.path(), &api);
    let log = dir.path().join("observe.log");
    let out = dir.path().join("observe.json");
    let filter = format!("port {}", server.addr.port());
    let mut observe = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_pqready"))
            .args(["observe", "--interface", "lo", "--filter", &filter])
            .args(["--kubeconfig", kubeconfig.to_str().unwrap(), "-o", "json"])
            .env("NODE_NAME", "node-a")
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    if wait_capturing(&mut observe.0, &log).is_none() {
        return;
    }
    // A Go 1.23 client: its classical connection makes findings, so the
    // SARIF results below name the ends too.
    let done = Command::new(bin("goclient-1.23"))
        .args(["-connect", &server.addr.to_string()])
        .env_remove("GODEBUG")
        .output()
        .unwrap();
    assert!(done.status.success(), "{done:?}");
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(observe.0.id() as i32, libc::SIGINT) };
    let status = observe.0.wait().unwrap();
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "observe: {status:?}\n{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains(TOKEN) && !stderr.contains(TOKEN));
    let mut records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = records.pop().expect("a summary");
    assert_eq!(records.len(), 1, "{text}\n{stderr}");
    let r = &records[0];
    assert_eq!(
        r["server_workload"],
        serde_json::json!({ "kind": "pod", "namespace": "shop", "name": "web-7d9f" }),
        "{r}"
    );
    // Process-level attribution is kept (the server's listening socket
    // outlives the lookup; the short-lived client may not); no container,
    // so no Pod.
    assert_eq!(r["server_process"]["comm"], "goserver-1.24", "{r}");
    for side in ["client_process", "server_process"] {
        assert_eq!(r[side].get("pod"), None, "{r}");
    }
    let edges = summary["edges"].as_array().unwrap();
    assert_eq!(
        edges[0]["server_workload"], "pod shop/web-7d9f",
        "{summary}"
    );
    let notes: Vec<&str> = summary["capture"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .filter(|n| n.starts_with("Kubernetes API"))
        .collect();
    assert_eq!(notes.len(), 1, "{summary}");
    assert!(notes[0].contains("cannot list Services (403"), "{summary}");
    crate::schema::assert_valid("observed-connection", "observe --kubeconfig", &records);
    crate::schema::assert_valid(
        "observe-summary",
        "observe --kubeconfig",
        std::slice::from_ref(&summary),
    );
    observed_names_render_in_every_format(dir.path(), &text, &server.addr.to_string());
}

/// Every format shows who the ends of an observed edge are, as the table
/// and JSON do: the server's workload, and the client's Pod, namespace,
/// container and process. The client here runs in no container, so its
/// Pod is written into the saved summary as the Pod lookup writes it for a
/// containerised client (`discover::pods` unit tests), and the saved run is
/// re-rendered with `pqready report`.
fn observed_names_render_in_every_format(dir: &Path, saved: &str, server: &str) {
    let mut lines: Vec<Value> = saved
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let edge = &mut lines.last_mut().unwrap()["edges"][0];
    edge["client_pod"] = "shop/cart-5f6d8-x2k9z".into();
    edge["client_container"] = "cart".into();
    if edge.get("client_process").is_none() {
        edge["client_process"] = "goclient-1.23 go1.23.4".into();
    }
    let process = edge["client_process"].as_str().unwrap().to_string();
    let file = dir.join("observe-pods.jsonl");
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(&file, text.join("\n") + "\n").unwrap();
    let file = file.to_str().unwrap();
    let report = |format: &[&str]| {
        let mut args = vec!["report", file, "-o"];
        args.extend(format);
        let out = run(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let table = String::from_utf8(report(&["table"])).unwrap();
    assert!(table.contains("shop/cart-5f6d8-x2k9z (cart)"), "{table}");
    assert!(table.contains("(pod shop/web-7d9f)"), "{table}");
    let markdown = String::from_utf8(report(&["markdown"])).unwrap();
    for expected in [
        "shop/cart-5f6d8-x2k9z (cart)",
        &process,
        "(pod shop/web-7d9f)",
    ] {
        assert!(
            markdown.contains(expected),
            "{expected:?} not in {markdown}"
        );
    }
    let page = dir.join("observe-pods.html");
    std::fs::write(&page, report(&["html"])).unwrap();
    let html = crate::html::visible_text(&crate::html::dump_dom(&page));
    for expected in [
        "Client process",
        "Client Pod (container)",
        "Server workload",
        &format!("{server} 1 "),
        &process,
        "shop/cart-5f6d8-x2k9z (cart)",
        "pod shop/web-7d9f",
    ] {
        assert!(
            html.contains(expected),
            "{expected:?} not rendered in:\n{html}"
        );
    }
    let sarif: Value = serde_json::from_slice(&report(&["sarif"])).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty(), "{sarif:#}");
    for r in results {
        assert_eq!(
            r["properties"]["observed"]["server_workload"], "pod shop/web-7d9f",
            "{r:#}"
        );
        assert_eq!(
            r["properties"]["observed"]["client_container"], "cart",
            "{r:#}"
        );
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .ends_with("(server: pod shop/web-7d9f)"));
    }
    for version in ["1.7", "1.6"] {
        let cbom: Value =
            serde_json::from_slice(&report(&["cbom", "--cbom-version", version])).unwrap();
        let errors = cyclonedx_violations(version, &cbom);
        assert!(errors.is_empty(), "CycloneDX {version}: {errors:#?}");
        let edge = cbom["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["bom-ref"]
                    .as_str()
                    .unwrap()
                    .starts_with("crypto/observed-edge/")
            })
            .unwrap_or_else(|| panic!("no observed edge in {cbom:#}"));
        let props: HashMap<&str, &str> = edge["properties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
            .collect();
        for (name, value) in [
            ("pqready:observed:client-namespace", "shop"),
            ("pqready:observed:client-pod", "cart-5f6d8-x2k9z"),
            ("pqready:observed:client-container", "cart"),
            ("pqready:observed:client-process", process.as_str()),
            ("pqready:observed:server-workload", "pod shop/web-7d9f"),
        ] {
            assert_eq!(props.get(name), Some(&value), "{name} in {props:#?}");
        }
    }
}

// ---- a cluster audit's predictions ----

/// `pqready cluster` against the test API server predicts the edge from an
/// API server built with Go 1.23 (v1.32.4) to a kubelet that is a real Go
/// 1.24 server: x25519 (its replay offers only the Kyber draft as
/// post-quantum). A capture of a real Go 1.23 and a real Go 1.24 client
/// talking to that server is compared with the saved audit: the Go 1.23
/// connection agrees, the Go 1.24 one matches no audit edge. The same
/// capture against the audit with that edge's group changed to
/// X25519MLKEM768 contradicts it, in every output format.
#[test]
fn observe_says_whether_a_capture_agrees_with_a_cluster_audit() {
    use crate::support::apiserver::{Cluster, TestApiServer};
    let need = [
        "tcpdump",
        "chromium",
        "goserver-1.24",
        "goclient-1.23",
        "goclient-1.24",
    ];
    if !require(&need) {
        return;
    }
    let go124 = go_server("1.24");
    let api = TestApiServer::start(
        Cluster::new()
            .version("v1.32.4", "go1.23.4")
            .node_version("node-a", go124.addr, "v1.33.2"),
    );
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = crate::support::kubeconfig::token(dir.path(), &api);
    let out = run(&[
        "cluster",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut audit: Value = serde_json::from_slice(&out.stdout).unwrap();
    let label = "kube-apiserver → kubelet node-a";
    let index = audit["edges"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["client"]["kind"] == "kube-apiserver" && e["server"]["name"] == "node-a")
        .unwrap_or_else(|| panic!("no edge to node-a in {:#}", audit["edges"]));
    let predicted = &audit["edges"][index];
    assert_eq!(predicted["client"]["profile"], "go1.23", "{predicted:#}");
    assert_eq!(predicted["server"]["address"], go124.addr.to_string());
    assert_eq!(predicted["negotiated_group"], "x25519", "{predicted:#}");
    let right = dir.path().join("cluster.json");
    std::fs::write(&right, &out.stdout).unwrap();
    audit["edges"][index]["negotiated_group"] = "X25519MLKEM768".into();
    let wrong = dir.path().join("cluster-wrong.json");
    std::fs::write(&wrong, serde_json::to_vec(&audit).unwrap()).unwrap();

    let Some(tcpdump) = Tcpdump::start(dir.path(), &[go124.addr.port()]) else {
        return;
    };
    assert!(goclient("1.23").run(go124.addr).succeeded());
    assert!(goclient("1.24").run(go124.addr).succeeded());
    let file = tcpdump.stop();
    let by_profile = |records: &[Value], profile: &str| -> Value {
        records
            .iter()
            .find(|r| r["client_hello"]["profile_match"] == profile)
            .unwrap_or_else(|| panic!("no {profile} connection in {records:#?}"))
            .clone()
    };

    // The audit as made: the Go 1.23 connection agrees.
    let (records, summary) = observe_json(&[&file], &["--cluster-report", right.to_str().unwrap()]);
    assert_eq!(records.len(), 2, "{records:#?}");
    let go123 = by_profile(&records, "go1.23");
    assert_eq!(go123["server_hello"]["negotiated_group"], "x25519");
    assert_eq!(
        go123["prediction"],
        serde_json::json!({
            "cluster_edge": label,
            "matched_by": "profile",
            "predicted_group": "x25519",
            "agrees": true,
        }),
        "{go123:#}"
    );
    assert!(!go123["findings"]
        .as_array()
        .unwrap()
        .contains(&"observed-contradicts-prediction".into()));
    // No audit client is a Go 1.24 client of that server.
    assert_eq!(by_profile(&records, "go1.24").get("prediction"), None);
    let p = &summary["prediction"];
    assert_eq!(
        (
            &p["connections_matched"],
            &p["connections_agreeing"],
            &p["connections_contradicting"],
            &p["connections_unmatched"],
            &p["observed_edges_unmatched"],
        ),
        (&1.into(), &1.into(), &0.into(), &1.into(), &0.into()),
        "{p:#}"
    );
    // The kubelet's connections to the API server were not captured.
    assert!(p["cluster_edges_not_observed"]
        .as_array()
        .unwrap()
        .contains(&"kubelet node-a → kube-apiserver".into()));
    let edge = &summary["edges"][0];
    assert_eq!(edge["predictions"][0]["agrees"], true, "{edge:#}");
    // What the audit knows the edge carries (the API server's exec and log
    // streams to a kubelet) comes with the match.
    assert_eq!(edge["carries"], serde_json::json!(["streams"]), "{edge:#}");
    assert_eq!(
        edge["predictions"][0]["observed_groups"],
        serde_json::json!({"x25519": 1})
    );
    crate::schema::assert_valid("observed-connection", "observe --cluster-report", &records);
    crate::schema::assert_valid(
        "observe-summary",
        "observe --cluster-report",
        std::slice::from_ref(&summary),
    );

    // An audit that predicted X25519MLKEM768 for the same pair is contradicted.
    let wrong_arg = wrong.to_str().unwrap();
    let (records, summary) = observe_json(&[&file], &["--cluster-report", wrong_arg]);
    let go123 = by_profile(&records, "go1.23");
    assert_eq!(go123["prediction"]["agrees"], false, "{go123:#}");
    assert_eq!(go123["prediction"]["predicted_group"], "X25519MLKEM768");
    assert!(go123["findings"]
        .as_array()
        .unwrap()
        .contains(&"observed-contradicts-prediction".into()));
    let finding = summary["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "observed-contradicts-prediction")
        .unwrap_or_else(|| panic!("no finding in {summary:#}"));
    assert_eq!(finding["severity"], "medium");
    let detail = finding["detail"].as_str().unwrap();
    assert!(
        detail.contains(label)
            && detail.contains("predicted X25519MLKEM768, this connection got x25519"),
        "{detail}"
    );
    assert_eq!(summary["prediction"]["connections_contradicting"], 1);
    assert_eq!(summary["edges"][0]["predictions"][0]["agrees"], false);

    // Every format says it.
    let file_arg = file.display().to_string();
    let observe = |format: &str| {
        let out = run(&[
            "observe",
            "--pcap",
            &file_arg,
            "--cluster-report",
            wrong_arg,
            "-o",
            format,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let table = String::from_utf8(observe("table")).unwrap();
    for expected in [
        "cluster audit: 1 connection matched an audit edge: 0 agree, 1 contradict; 1 unmatched",
        &format!("the audit's {label} (go1.23, matched by profile) predicted X25519MLKEM768: contradicts (x25519 ×1)"),
        "observed-contradicts-prediction",
    ] {
        assert!(table.contains(expected), "{expected:?} not in:\n{table}");
    }
    let markdown = String::from_utf8(observe("markdown")).unwrap();
    assert!(
        markdown.contains("predicted X25519MLKEM768: contradicts"),
        "{markdown}"
    );
    assert!(
        markdown.contains("Cluster audit: 1 connection matched"),
        "{markdown}"
    );
    let sarif: Value = serde_json::from_slice(&observe("sarif")).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "observed-contradicts-prediction")
        .unwrap_or_else(|| panic!("no result in {sarif:#}"));
    assert_eq!(result["level"], "warning");
    assert_eq!(
        result["properties"]["observed"]["predictions"][0]["cluster_edge"],
        label
    );
    for version in ["1.7", "1.6"] {
        let out = run(&[
            "observe",
            "--pcap",
            &file_arg,
            "--cluster-report",
            wrong_arg,
            "-o",
            "cbom",
            "--cbom-version",
            version,
        ]);
        let cbom: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors = cyclonedx_violations(version, &cbom);
        assert!(errors.is_empty(), "CycloneDX {version}: {errors:#?}");
        let props: Vec<(String, String)> = cbom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| {
                c["bom-ref"]
                    .as_str()
                    .unwrap()
                    .starts_with("crypto/observed-edge/")
            })
            .flat_map(|c| c["properties"].as_array().unwrap().clone())
            .map(|p| {
                (
                    p["name"].as_str().unwrap().into(),
                    p["value"].as_str().unwrap().into(),
                )
            })
            .collect();
        for expected in [
            (
                format!("pqready:observed:predicted-group:{label}"),
                "X25519MLKEM768".to_string(),
            ),
            (
                format!("pqready:observed:prediction-agrees:{label}"),
                "false".to_string(),
            ),
        ] {
            assert!(props.contains(&expected), "{expected:?} not in {props:#?}");
        }
    }
    let page = dir.path().join("observe.html");
    std::fs::write(&page, observe("html")).unwrap();
    let text = crate::html::visible_text(&crate::html::dump_dom(&page));
    for expected in [
        "Cluster audit prediction",
        "predicted X25519MLKEM768: contradicts (x25519 ×1)",
        "Cluster audit: 1 connection matched an audit edge",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not rendered in:\n{text}"
        );
    }
    // `pqready report` re-renders the saved run as the live run printed it.
    let saved = dir.path().join("observe.jsonl");
    std::fs::write(&saved, observe("json")).unwrap();
    for format in ["table", "markdown", "html", "sarif"] {
        let again = run(&["report", saved.to_str().unwrap(), "-o", format]);
        assert_eq!(
            String::from_utf8_lossy(&again.stdout),
            String::from_utf8_lossy(&observe(format)),
            "report -o {format} differs from the live run"
        );
    }
    // A file that is no cluster audit is refused in one line.
    let out = run(&[
        "observe",
        "--pcap",
        &file_arg,
        "--cluster-report",
        saved.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no cluster audit in it"), "{err}");
}

/// `--policy` and `--baseline` on observe, as on the other commands: a
/// policy's severity override and exception apply to an observed edge's
/// findings (its server address:port is the target) before `--fail-on`;
/// a baseline capture where only a Go 1.24 client talked to the server is
/// compared with one where a Go 1.23 client joined: the edge regressed
/// from pq to classical, with new findings, and `--fail-on-change` fails.
#[test]
fn observe_applies_a_policy_and_compares_with_a_baseline() {
    if !require(&["tcpdump", "goserver-1.24", "goclient-1.23", "goclient-1.24"]) {
        return;
    }
    let go124 = go_server("1.24");
    let dir = tempfile::tempdir().unwrap();
    let capture = |name: &str, versions: &[&str]| {
        let sub = dir.path().join(name);
        std::fs::create_dir(&sub).unwrap();
        let tcpdump = Tcpdump::start(&sub, &[go124.addr.port()])?;
        for v in versions {
            assert!(goclient(v).run(go124.addr).succeeded());
        }
        Some(tcpdump.stop())
    };
    let Some(before) = capture("before", &["1.24"]) else {
        return;
    };
    let Some(after) = capture("after", &["1.24", "1.23"]) else {
        return;
    };
    let after_arg = after.display().to_string();
    let server = go124.addr.to_string();
    let edge = format!("observed/127.0.0.1 → {server}");

    // Without a policy, the silent downgrade (high) fails --fail-on high.
    let plain = run(&["observe", "--pcap", &after_arg, "--fail-on", "high"]);
    assert_eq!(
        plain.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&plain.stdout)
    );
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        format!(
            "severity_overrides:\n  - finding: observed-silent-downgrade\n    target: \"{server}\"\n    severity: low\nexceptions:\n  - target: \"127.0.0.1 → *\"\n    finding: observed-draft\n    reason: the Go 1.23 job is retired next sprint\n    expires: \"2099-12-31\"\n"
        ),
    )
    .unwrap();
    let policy_arg = policy.to_str().unwrap();
    let out = run(&[
        "observe", "--pcap", &after_arg, "--policy", policy_arg, "-o", "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // A policy makes a gate: its line follows the summary.
    assert_eq!(lines.last().unwrap()["kind"], "gate");
    let summary = lines
        .iter()
        .find(|l| l["kind"] == "observe-summary")
        .unwrap()
        .clone();
    let findings = summary["edges"][0]["findings"].as_array().unwrap();
    let by_id = |id: &str| {
        findings
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {findings:#?}"))
    };
    assert_eq!(by_id("observed-silent-downgrade")["severity"], "low");
    let draft = by_id("observed-draft");
    assert_eq!(draft["severity"], "medium");
    assert_eq!(
        draft["exception"]["reason"], "the Go 1.23 job is retired next sprint",
        "{draft:#}"
    );
    crate::schema::assert_valid(
        "observe-summary",
        "observe --policy",
        std::slice::from_ref(&summary),
    );
    let gated = run(&[
        "observe",
        "--pcap",
        &after_arg,
        "--policy",
        policy_arg,
        "--fail-on",
        "medium",
    ]);
    assert_eq!(
        gated.status.code(),
        Some(0),
        "the override and the exception leave nothing at medium or above:\n{}",
        String::from_utf8_lossy(&gated.stdout)
    );

    // The baseline: the same edge when only Go 1.24 connected.
    let baseline = dir.path().join("before.jsonl");
    let out = run(&["observe", "--pcap", before.to_str().unwrap(), "-o", "json"]);
    assert!(out.status.success());
    std::fs::write(&baseline, &out.stdout).unwrap();
    let baseline_arg = baseline.to_str().unwrap();
    let out = run(&[
        "observe",
        "--pcap",
        &after_arg,
        "--baseline",
        baseline_arg,
        "--fail-on-change",
        "-o",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(diff["kind"], "baseline", "{diff:#}");
    assert_eq!(
        diff["regressions"],
        serde_json::json!([{ "subject": edge, "from": "pq", "to": "classical" }]),
        "{diff:#}"
    );
    let new: Vec<&str> = diff["new_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(new.contains(&"observed-silent-downgrade"), "{diff:#}");
    assert!(
        diff["new_subjects"].as_array().unwrap().is_empty(),
        "{diff:#}"
    );
    // The same capture against itself: nothing changed.
    let same = run(&[
        "observe",
        "--pcap",
        before.to_str().unwrap(),
        "--baseline",
        baseline_arg,
        "--fail-on-change",
    ]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
    // A baseline of another command is refused.
    let other = dir.path().join("other.json");
    std::fs::write(&other, run(&["demo", "-o", "json"]).stdout).unwrap();
    let refused = run(&[
        "observe",
        "--pcap",
        &after_arg,
        "--baseline",
        other.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("compare a run with an earlier run of the same command"),
        "{err}"
    );
}

/// What tshark reads from QUIC (it decrypts Initials itself): (server UDP
/// port, client UDP port) → the final ServerHello's key_share group.
fn tshark_quic_groups(file: &Path, ports: &[u16]) -> HashMap<(u16, u16), u16> {
    tshark_server_groups(file, "udp", ports)
}

/// A group as nginx's `$ssl_curve` names it: a codepoint in hex for the
/// groups OpenSSL has no short name for, else OpenSSL's name.
fn ssl_curve_code(name: &str) -> u16 {
    match name.strip_prefix("0x") {
        Some(hex) => u16::from_str_radix(hex, 16).unwrap(),
        None => {
            NamedGroup::parse(name)
                .unwrap_or_else(|| panic!("unknown group {name}"))
                .0
        }
    }
}

#[test]
fn quic_connections_negotiate_what_observe_reads() {
    use crate::quic::{curl_h3, QuicGo, NGINX_QUIC};
    use crate::support::peers::{nginx_with, Setup};
    if !require(&["tcpdump", "tshark", "curl", "nginx", "quicgoserver"]) {
        return;
    }
    // curl (OpenSSL 3.5's QUIC) → quic-go (PQ by default), → nginx with
    // OpenSSL 3.5 plain, with a Retry first, and limited to secp384r1 (a
    // HelloRetryRequest: curl's first shares are X25519MLKEM768 and x25519).
    let quicgo = QuicGo::start(&[]);
    let plain = nginx_with(Setup::new(), &NGINX_QUIC.replace("RETRY", ""));
    let retry = nginx_with(Setup::new(), &NGINX_QUIC.replace("RETRY", "quic_retry on;"));
    let hrr = nginx_with(
        Setup::new(),
        &NGINX_QUIC.replace("RETRY", "ssl_ecdh_curve secp384r1;"),
    );
    let ports = [
        quicgo.addr.port(),
        plain.addr.port(),
        retry.addr.port(),
        hrr.addr.port(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let filter = ports
        .iter()
        .map(|p| format!("udp port {p}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let Some(tcpdump) = Tcpdump::start_filter(dir.path(), &filter) else {
        return;
    };
    curl_h3(quicgo.addr);
    // nginx answers with its own view of the group ($ssl_curve).
    let mut server_says = HashMap::new();
    for peer in [&plain, &retry, &hrr] {
        server_says.insert(peer.addr.port(), ssl_curve_code(&curl_h3(peer.addr)));
    }
    let file = tcpdump.stop();

    let (records, summary) = observe_json(&[&file], &[]);
    assert_eq!(records.len(), 4, "{records:#?}");
    // tshark does not follow a connection through a Retry: it reads the
    // others; a Retried one is checked against the server's own view.
    let tshark = tshark_quic_groups(&file, &ports);
    let retried = records
        .iter()
        .filter(|r| r["quic"]["retry"] == true)
        .count();
    assert!(
        tshark.len() >= 4 - retried,
        "tshark saw {tshark:?} (quic-go, plain, retry, hrr: {ports:?})"
    );
    let logged = quicgo.lines("connection");
    for r in &records {
        assert_eq!(r["transport"], "quic", "{r}");
        assert_eq!(r["sides"], "both", "{r}");
        assert_eq!(r["error"], Value::Null, "{r}");
        assert_eq!(r["quic"]["version"], 1, "{r}");
        let hello = &r["client_hello"];
        // JA4 over QUIC: `q`; curl to an address sends no SNI (`i`).
        assert!(hello["ja4"].as_str().unwrap().starts_with("q13i"), "{r}");
        assert_eq!(hello["key_shares"][0]["group"], "X25519MLKEM768", "{r}");
        // OpenSSL's post-quantum hello does not fit one Initial.
        assert!(hello["length"].as_u64().unwrap() > 1200, "{r}");
        assert_eq!(hello["records"], 2, "{r}");
        let server = port(&r["server"]);
        let group = &r["server_hello"]["negotiated_group"];
        let key = (server, port(&r["client"]));
        if r["quic"]["retry"] == false || tshark.contains_key(&key) {
            assert_eq!(
                tshark.get(&key),
                Some(&code(group)),
                "tshark disagrees on {r}"
            );
        }
        if server == quicgo.addr.port() {
            // quic-go's crypto/tls: the group, and how many Initials the hello took.
            let conn = logged
                .iter()
                .find(|c| c["remote"] == r["client"].as_str().unwrap())
                .unwrap_or_else(|| panic!("quic-go did not log {r}: {logged:?}"));
            assert_eq!(
                u16::from_str_radix(conn["codepoint"].trim_start_matches("0x"), 16).unwrap(),
                code(group),
                "{conn:?}"
            );
            assert_eq!(conn["initials"], "2", "{conn:?}");
            assert_eq!(group, "X25519MLKEM768");
        } else {
            assert_eq!(server_says[&server], code(group), "nginx disagrees on {r}");
        }
        // nginx with quic_retry on always sends one; quic-go may, under load.
        if server == retry.addr.port() {
            assert_eq!(r["quic"]["retry"], true, "{r}");
        } else if server != quicgo.addr.port() {
            assert_eq!(r["quic"]["retry"], false, "{r}");
        }
        let hello_retry = server == hrr.addr.port();
        assert_eq!(r["server_hello"]["hello_retry"], hello_retry, "{r}");
        if hello_retry {
            assert_eq!(group, "secp384r1", "{r}");
            assert_eq!(r["server_hello"]["hello_retry_group"], "secp384r1", "{r}");
        }
    }
    assert_eq!(summary["capture"]["flows"], 4, "{summary}");
    // Edges say QUIC; the table marks them.
    for e in summary["edges"].as_array().unwrap() {
        assert_eq!(e["transport"], "quic", "{e}");
    }
    let out = run(&["observe", "--pcap", file.to_str().unwrap()]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(&format!("127.0.0.1:{} (QUIC)", plain.addr.port())),
        "{table}"
    );
    // --filter picks QUIC by transport and port.
    let only = format!("udp port {}", hrr.addr.port());
    let (records, _) = observe_json(&[&file], &["--filter", &only]);
    assert_eq!(records.len(), 1);
    let (records, _) = observe_json(&[&file], &["--filter", "tcp"]);
    assert!(records.is_empty());
}

#[test]
fn a_live_capture_on_lo_reads_quic_initials() {
    use crate::quic::QuicGo;
    if !require(&["openssl", "quicgoserver"]) {
        return;
    }
    let quicgo = QuicGo::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (out, log) = (dir.path().join("out.jsonl"), dir.path().join("log"));
    let filter = format!("udp port {}", quicgo.addr.port());
    let mut observe = Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(["-v", "observe", "--interface", "lo", "--filter", &filter])
        .args(["-o", "json"])
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    if wait_capturing(&mut observe, &log).is_none() {
        let _ = observe.kill();
        let _ = observe.wait();
        return;
    }
    // Two QUIC clients, one after the other. Each is OpenSSL's s_client,
    // which keeps its connection until its stdin closes: it is closed only
    // once pqready's log (-v) says the connection's ends were looked up, so
    // the client is alive at its lookup however slow that is (a curl could
    // exit first on a loaded machine).
    let first_seen = format!("-> {}: attributed", quicgo.addr);
    for n in 1..=2 {
        let mut client = Command::new(bin("openssl"))
            .args(["s_client", "-quic", "-alpn", "h3", "-connect"])
            .arg(quicgo.addr.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches(&first_seen)
            .count()
            < n
        {
            assert!(Instant::now() < deadline, "connection {n} never logged");
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(client.stdin.take());
        let _ = client.wait();
    }
    // quic-go logs a connection once its handshake completed.
    let deadline = Instant::now() + Duration::from_secs(60);
    while quicgo.lines("connection").len() < 2 {
        assert!(
            Instant::now() < deadline,
            "quic-go logged fewer than 2 connections"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(observe.id() as i32, libc::SIGINT) };
    let status = observe.wait().unwrap();
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "observe: {status:?}\n{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = records.pop().expect("a summary");
    // The kernel filter passed the Initials (long headers) of both connections.
    assert_eq!(records.len(), 2, "{text}\n{stderr}");
    let logged = quicgo.lines("connection");
    for r in &records {
        assert_eq!(r["transport"], "quic", "{r}");
        assert_eq!(r["sides"], "both", "{r}");
        let conn = logged
            .iter()
            .find(|c| c["remote"] == r["client"].as_str().unwrap())
            .unwrap_or_else(|| panic!("quic-go did not log {r}: {logged:?}"));
        assert_eq!(
            u16::from_str_radix(conn["codepoint"].trim_start_matches("0x"), 16).unwrap(),
            code(&r["server_hello"]["negotiated_group"]),
            "{conn:?}"
        );
        // Both ends' UDP sockets name their processes: s_client, and
        // quic-go's server with its Go build.
        // (The peer prefix's openssl runs under its own dynamic loader,
        // which is the process's executable.)
        let client = &r["client_process"];
        assert!(
            client["comm"] == "openssl" || client["comm"] == "ld-linux-x86-64",
            "{r}"
        );
        assert_ne!(client["pid"], std::process::id(), "{r}");
        let server = &r["server_process"];
        assert_eq!(server["comm"], "quicgoserver", "{r}");
        assert!(
            server["go_version"].as_str().unwrap().starts_with("go1."),
            "{r}"
        );
    }
    assert_eq!(summary["capture"]["flows"], 2, "{summary}");
}
