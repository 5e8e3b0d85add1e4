//! `pqready observe` on the pairs whose TLS is neither Go's nor the OpenSSL
//! of the Go/nginx pairs in observe.rs: Deno (rustls) → Bun (BoringSSL), and
//! headless Chromium (BoringSSL) → nginx (OpenSSL 3.5), recorded here with
//! tcpdump on loopback. Every connection's negotiated group must equal what
//! tshark reads from the same file and, where the software can say, what
//! the client or the server logged itself: nginx's `$ssl_curve` and
//! Chromium's NetLog. Deno and Bun cannot say (tests/peers/denoclient and
//! bunserver explain why): for them tshark and observe must agree. And a
//! live capture names the Deno client and the Bun server, neither a Go build.

use crate::observe::{code, gated_proxy, observe_json, port, tshark_groups, KillOnDrop, Tcpdump};
use crate::support::clients::{chromium, denoclient, DEAD_END_PROXY};
use crate::support::peers::{bun_server, nginx_logging_tls, require};
use pqready::wire::NamedGroup;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// What tshark reads from each HelloRetryRequest: (server port, client
/// port) → the group it asks for.
fn tshark_hrr_groups(file: &Path) -> HashMap<(u16, u16), u16> {
    let out = Command::new(crate::support::peers::bin("tshark"))
        .arg("-r")
        .arg(file)
        .args(["-Y", "tls.handshake.type == 2", "-T", "fields"])
        .args(["-e", "tcp.srcport", "-e", "tcp.dstport"])
        .args(["-e", "tls.handshake.extensions_key_share_selected_group"])
        .output()
        .expect("run tshark");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let group = f.get(2).filter(|g| !g.is_empty())?;
            Some((
                (f[0].parse().unwrap(), f[1].parse().unwrap()),
                group.parse().unwrap(),
            ))
        })
        .collect()
}

#[test]
fn deno_to_bun_negotiates_what_observe_and_tshark_read() {
    if !require(&["tcpdump", "tshark", "deno", "bun"]) {
        return;
    }
    let bun = bun_server();
    let dir = tempfile::tempdir().unwrap();
    let Some(tcpdump) = Tcpdump::start(dir.path(), &[bun.addr.port()]) else {
        return;
    };
    let (out, _) = denoclient(bun.addr, &bun.file("cert.pem"));
    let file = tcpdump.stop();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.starts_with("ok status=HTTP/1.1 200"),
        "deno: {stdout}\n{}\nbun: {}",
        String::from_utf8_lossy(&out.stderr),
        bun.log()
    );

    let (records, summary) = observe_json(&[&file], &[]);
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0];
    let key = (port(&r["server"]), port(&r["client"]));
    assert_eq!(key.0, bun.addr.port(), "{r}");
    let sh = &r["server_hello"];
    // Neither Deno nor Bun reports the group it negotiated: tshark is the
    // second witness.
    let tshark = tshark_groups(&file);
    assert_eq!(tshark.len(), 1, "tshark saw {tshark:?}");
    assert_eq!(
        tshark.get(&key),
        Some(&code(&sh["negotiated_group"])),
        "{r}"
    );
    let hrr = tshark_hrr_groups(&file);
    assert_eq!(hrr.get(&key), Some(&code(&sh["hello_retry_group"])), "{r}");

    // Why these values (Deno 2.9.6, Bun 1.4.5, pinned in
    // scripts/install-peers): Deno's rustls offers x25519, secp256r1,
    // secp384r1 and X25519MLKEM768, the post-quantum group last, with a key
    // share for x25519 only; Bun's BoringSSL server picks by its own
    // preference, X25519MLKEM768 first, so it asks for that share with a
    // HelloRetryRequest and gets it. A Deno that put X25519MLKEM768 first
    // (no retry) or a Bun that settled for x25519 fails here.
    let ch = &r["client_hello"];
    let names = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&ch["groups"]),
        ["x25519", "secp256r1", "secp384r1", "X25519MLKEM768"],
        "{r}"
    );
    assert_eq!(sh["hello_retry"], true, "{r}");
    assert_eq!(sh["hello_retry_group"], "X25519MLKEM768", "{r}");
    assert_eq!(sh["negotiated_group"], "X25519MLKEM768", "{r}");
    assert_eq!(sh["version"], "TLSv1.3", "{r}");
    assert_eq!(r["standing"], "pq", "{r}");
    assert_eq!(r["findings"], serde_json::json!(["observed-hrr"]), "{r}");
    assert_eq!(summary["capture"]["connections"], 1);
    crate::schema::assert_valid("observed-connection", "observe -o json", &records);
}

/// What Chromium's NetLog (`--log-net-log`) says of each TLS connection it
/// made to `server_port`: client port → the `key_exchange_group` of its
/// `SSL_CONNECT` end event. A socket's `TCP_CONNECT` end event names its
/// local address; both are events of the same `SOCKET` source.
fn netlog_groups(file: &Path, server_port: u16) -> HashMap<u16, u16> {
    let log: Value = serde_json::from_slice(&std::fs::read(file).unwrap())
        .unwrap_or_else(|e| panic!("{} is not a whole NetLog: {e}", file.display()));
    let event_type = |name: &str| {
        log["constants"]["logEventTypes"][name]
            .as_u64()
            .unwrap_or_else(|| panic!("the NetLog has no event type {name}"))
    };
    let (tcp_connect, ssl_connect) = (event_type("TCP_CONNECT"), event_type("SSL_CONNECT"));
    let mut local_port = HashMap::new();
    let mut group = HashMap::new();
    for e in log["events"].as_array().unwrap() {
        // Negative for sources of other processes (the network service's).
        let source = e["source"]["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("NetLog event {e}"));
        let params = &e["params"];
        if e["type"] == tcp_connect {
            let (Some(local), Some(remote)) = (
                params["local_address"].as_str(),
                params["remote_address"].as_str(),
            ) else {
                continue;
            };
            if remote == format!("127.0.0.1:{server_port}") {
                let p: u16 = local.rsplit(':').next().unwrap().parse().unwrap();
                local_port.insert(source, p);
            }
        } else if e["type"] == ssl_connect {
            if let Some(g) = params["key_exchange_group"].as_u64() {
                group.insert(source, g as u16);
            }
        }
    }
    local_port
        .into_iter()
        .filter_map(|(source, p)| Some((p, *group.get(&source)?)))
        .collect()
}

/// nginx's access log (`$remote_port $ssl_protocol $ssl_curve`, one line
/// per request): client port → (protocol, group codepoint).
fn nginx_groups(log: &str) -> HashMap<u16, (String, u16)> {
    log.lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(f.len(), 3, "access log line {line:?}");
            // A group OpenSSL names (x25519 is "X25519") or, for one it
            // has no NID for, its codepoint.
            let group = match f[2].strip_prefix("0x") {
                Some(hex) => u16::from_str_radix(hex, 16).unwrap(),
                None => {
                    NamedGroup::parse(&f[2].to_ascii_lowercase())
                        .or_else(|| NamedGroup::parse(f[2]))
                        .unwrap_or_else(|| panic!("nginx logged group {:?}", f[2]))
                        .0
                }
            };
            (f[0].parse().unwrap(), (f[1].to_string(), group))
        })
        .collect()
}

#[test]
fn headless_chromium_to_nginx_negotiates_what_observe_tshark_and_both_logs_read() {
    if !require(&["tcpdump", "tshark", "chromium", "nginx"]) {
        return;
    }
    let nginx = nginx_logging_tls();
    let dir = tempfile::tempdir().unwrap();
    let netlog = dir.path().join("netlog.json");
    let Some(tcpdump) = Tcpdump::start(dir.path(), &[nginx.addr.port()]) else {
        return;
    };
    // --dump-dom exits once the page loaded, with the NetLog closed; any
    // destination but loopback goes to a port where nothing listens.
    let url = format!("https://{}/", nginx.addr);
    let out = chromium(
        &[
            "--ignore-certificate-errors",
            &format!("--proxy-server={DEAD_END_PROXY}"),
            &format!("--log-net-log={}", netlog.display()),
            "--dump-dom",
            &url,
        ],
        Duration::from_secs(120),
    );
    let file = tcpdump.stop();
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.contains("ok"),
        "chromium: {page}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (records, _) = observe_json(&[&file], &[]);
    let tshark = tshark_groups(&file);
    let netlog = netlog_groups(&netlog, nginx.addr.port());
    let nginx_log = nginx_groups(&std::fs::read_to_string(nginx.file("access.log")).unwrap());
    // Chromium may open a spare connection besides the one that loads the
    // page, and may leave it before its handshake ends: every connection
    // with a ServerHello is checked, and each log must name at least one.
    let mut answered = HashMap::new();
    for r in &records {
        assert_eq!(port(&r["server"]), nginx.addr.port(), "{r}");
        assert_eq!(r["client_hello"]["profile_match"], "chrome", "{r}");
        let shares = r["client_hello"]["key_shares"].as_array().unwrap();
        assert!(shares.iter().any(|s| s["group"] == "X25519MLKEM768"), "{r}");
        let group = &r["server_hello"]["negotiated_group"];
        if group.is_null() {
            continue;
        }
        let client = port(&r["client"]);
        assert_eq!(
            tshark.get(&(nginx.addr.port(), client)),
            Some(&code(group)),
            "tshark disagrees on {r}"
        );
        // Chromium 156 sends a key share for X25519MLKEM768 (its first
        // group after GREASE) and nginx's OpenSSL 3.5 prefers it: no retry.
        assert_eq!(group, "X25519MLKEM768", "{r}");
        assert_eq!(r["server_hello"]["hello_retry"], false, "{r}");
        assert_eq!(r["findings"], serde_json::json!([]), "{r}");
        answered.insert(client, code(group));
    }
    assert_eq!(
        answered.len(),
        tshark.len(),
        "observe {answered:?}, tshark {tshark:?}"
    );
    assert!(!netlog.is_empty(), "no SSL_CONNECT to nginx in the NetLog");
    for (client, group) in &netlog {
        assert_eq!(
            answered.get(client),
            Some(group),
            "Chromium's NetLog says port {client} negotiated {group:#06x}; observe: {answered:?}"
        );
    }
    assert!(!nginx_log.is_empty(), "nginx logged no request");
    for (client, (protocol, group)) in &nginx_log {
        assert_eq!(protocol, "TLSv1.3");
        assert_eq!(
            answered.get(client),
            Some(group),
            "nginx says port {client} negotiated {group:#06x}; observe: {answered:?}"
        );
    }
}

/// Starts `pqready -v observe --interface lo --filter FILTER -o json`
/// writing into `dir`, and waits until it captures; `None` (the test skips,
/// or fails under PQREADY_REQUIRE_PEERS=1) when it cannot capture here.
fn start_live(dir: &Path, filter: &str) -> Option<KillOnDrop> {
    let log = dir.join("observe.log");
    let mut observe = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_pqready"))
            .args(["-v", "observe", "--interface", "lo", "--filter", filter])
            .args(["-o", "json"])
            .stdout(std::fs::File::create(dir.join("observe.json")).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    crate::observe::wait_capturing(&mut observe.0, &log)?;
    Some(observe)
}

#[test]
fn a_live_capture_names_the_deno_client_and_the_bun_server_as_no_go_builds() {
    if !require(&["deno", "bun"]) {
        return;
    }
    let bun = bun_server();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("observe.log");
    // Deno → the proxy (this test process) → Bun: each end is alive when
    // it is looked up, however slow the lookup.
    let (proxy, proxy_thread) = gated_proxy(bun.addr, log.clone(), 1);
    let filter = format!("port {} or {}", proxy.port(), bun.addr.port());
    let Some(mut observe) = start_live(dir.path(), &filter) else {
        return;
    };
    let (out, deno_pid) = denoclient(proxy, &bun.file("cert.pem"));
    assert!(
        out.status.success(),
        "deno: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    proxy_thread.join().unwrap();
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(observe.0.id() as i32, libc::SIGINT) };
    let status = observe.0.wait().unwrap();
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "observe: {status:?}\n{stderr}");
    let text = std::fs::read_to_string(dir.path().join("observe.json")).unwrap();
    let mut records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = records.pop().expect("a summary");
    assert_eq!(records.len(), 2, "{text}\n{stderr}");
    let me = std::process::id();
    let deno_exe = crate::support::peers::peers_dir().join("opt/deno/deno");
    let bun_exe = crate::support::peers::peers_dir().join("opt/bun/bun");
    let exe = |p: &Path| std::fs::canonicalize(p).unwrap().display().to_string();
    for r in &records {
        let (client, server) = (&r["client_process"], &r["server_process"]);
        if port(&r["server"]) == proxy.port() {
            assert_eq!(client["pid"], deno_pid, "{r}\n{stderr}");
            assert_eq!(client["comm"], "deno", "{r}");
            assert_eq!(client["exe"], exe(&deno_exe), "{r}");
            assert_eq!(server["pid"], me, "{r}");
        } else {
            assert_eq!(port(&r["server"]), bun.addr.port(), "{r}");
            assert_eq!(client["pid"], me, "{r}");
            assert_eq!(server["comm"], "bun", "{r}");
            assert_eq!(server["exe"], exe(&bun_exe), "{r}");
        }
        // Neither program is a Go build: no Go version, no GODEBUG.
        for side in [client, server] {
            assert_eq!(side["go_version"], Value::Null, "{r}");
            assert_eq!(side["tls_godebug"], serde_json::json!([]), "{r}");
        }
        // The retry of the pcap test above, on both legs.
        assert_eq!(r["server_hello"]["negotiated_group"], "X25519MLKEM768");
        assert_eq!(r["server_hello"]["hello_retry"], true);
    }
    let edges = summary["edges"].as_array().unwrap();
    assert!(
        edges.iter().any(|e| e["client_process"]
            .as_str()
            .is_some_and(|p| p.starts_with("deno"))),
        "{summary}"
    );
    crate::schema::assert_valid("observed-connection", "observe --interface", &records);
}
