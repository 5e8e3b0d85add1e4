//! SSH key exchange (`probe ssh://`): against real servers from the peer
//! prefix — trixie's OpenSSH 10.0, bookworm's OpenSSH 9.2, trixie's Dropbear,
//! and OpenSSH configured classical or ML-KEM-only — pqready must read each
//! server's list, stand where its offer says, and predict for each OpenSSH
//! profile exactly the key exchange the real OpenSSH client of that release
//! negotiates (its `-vvv` line `kex: algorithm: …`). Then hostile servers:
//! silent, garbage, an oversized packet length, a KEXINIT cut short.

use crate::support::command::json_lines;
use crate::support::loopback;
use crate::support::peers::{self, bin, Peer, Setup};
use pqready::report::TargetReport;
use pqready::scan::scan_one;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Starts an OpenSSH server (`sshd`, or bookworm's `sshd-9.2`) in the
/// foreground with a throwaway ed25519 host key and `options` (`-o`).
/// As root it runs as an unprivileged user of a user namespace: a root sshd
/// wants a privilege-separation user this machine need not have, and
/// nothing here needs root.
pub(crate) fn openssh(sshd: &str, keygen: &str, options: &[&str]) -> Peer {
    let setup = Setup::new();
    let key = setup.dir.path().join("hostkey");
    let made = Command::new(bin(keygen))
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success(), "{keygen} failed");
    std::fs::write(setup.dir.path().join("sshd_config"), "").unwrap();
    let mut args: Vec<String> = Vec::new();
    let program = if unsafe { libc::geteuid() } == 0 {
        args.extend(["--user", "--map-user=1000", "--map-group=1000"].map(String::from));
        args.push(bin(sshd).to_string_lossy().into_owned());
        Path::new("/usr/bin/unshare").to_path_buf()
    } else {
        bin(sshd)
    };
    args.extend(
        [
            "-D",
            "-e",
            "-f",
            "{dir}/sshd_config",
            "-h",
            "{dir}/hostkey",
            "-o",
            "ListenAddress=127.0.0.1:{port}",
            "-o",
            "PidFile=none",
        ]
        .map(String::from),
    );
    for o in options {
        args.extend(["-o".to_string(), o.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    peers::launch(setup, &program, &args, &[])
}

fn dropbear() -> Peer {
    let setup = Setup::new();
    let key = setup.dir.path().join("dbkey");
    let made = Command::new(bin("dropbearkey"))
        .args(["-t", "ed25519", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success(), "dropbearkey failed: {made:?}");
    peers::launch(
        setup,
        &bin("dropbear"),
        &[
            "-F",
            "-E",
            "-s",
            "-p",
            "127.0.0.1:{port}",
            "-r",
            "{dir}/dbkey",
        ],
        &[],
    )
}

/// The key exchange the real OpenSSH client `ssh` (or `ssh-9.2`) negotiates
/// with `addr`: its debug line, before authentication fails (no credential
/// is offered: batch mode, no keys, no agent).
fn real_client_kex(ssh: &str, addr: SocketAddr) -> String {
    let out = Command::new(bin(ssh))
        .args([
            "-F",
            "/dev/null",
            "-vvv",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityFile=/dev/null",
            "-o",
            "ConnectTimeout=10",
            "-p",
            &addr.port().to_string(),
            "pqready@127.0.0.1",
            "true",
        ])
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    log.lines()
        .find_map(|l| l.split("kex: algorithm: ").nth(1))
        .unwrap_or_else(|| panic!("{ssh} printed no kex line:\n{log}"))
        .trim()
        .to_string()
}

/// `pqready probe ssh://addr -o json`, and how long it took.
fn probe(addr: SocketAddr) -> Value {
    let started = Instant::now();
    let target = format!("ssh://{addr}");
    let mut lines = json_lines(&["probe", &target, "-o", "json"]);
    let report = lines.remove(0);
    eprintln!(
        "ssh probe {addr} ({}): {} connection(s), {} ms inside pqready, {} ms wall",
        report["ssh"]["software"],
        report["connections"],
        report["elapsed_ms"],
        started.elapsed().as_millis()
    );
    report
}

fn kex(report: &Value) -> Vec<String> {
    report["ssh"]["kex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

/// What pqready predicts profile `id` negotiates.
fn predicted(report: &Value, id: &str) -> String {
    let clients = report["ssh_kex"]["clients"].as_array().unwrap().clone();
    clients
        .iter()
        .find(|c| c["profile"] == id)
        .and_then(|c| c["kex"].as_str())
        .unwrap_or("none")
        .to_string()
}

fn finding_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn openssh_10_offers_mlkem_first_and_the_real_clients_agree() {
    if !peers::require(&["sshd", "ssh-keygen", "ssh", "ssh-9.2", "/usr/bin/unshare"]) {
        return;
    }
    let server = openssh("sshd", "ssh-keygen", &[]);
    let report = probe(server.addr);
    assert_eq!(report["protocol"], "ssh");
    assert_eq!(report["connections"], 1);
    assert!(report["ssh"]["identification"]
        .as_str()
        .unwrap()
        .starts_with("SSH-2.0-OpenSSH_10.0"));
    let kex = kex(&report);
    assert_eq!(kex[0], "mlkem768x25519-sha256", "{kex:?}");
    assert!(kex.contains(&"sntrup761x25519-sha512@openssh.com".to_string()));
    assert_eq!(report["verdict"]["status"], "pq");
    assert!(finding_ids(&report).is_empty(), "{report}");
    assert_eq!(
        real_client_kex("ssh", server.addr),
        predicted(&report, "openssh-10.0")
    );
    assert_eq!(
        real_client_kex("ssh-9.2", server.addr),
        predicted(&report, "openssh-9.2-debian12")
    );
}

#[test]
fn openssh_9_2_offers_sntrup_only_and_the_real_clients_agree() {
    if !peers::require(&[
        "sshd-9.2",
        "ssh-keygen-9.2",
        "ssh",
        "ssh-9.2",
        "/usr/bin/unshare",
    ]) {
        return;
    }
    let server = openssh("sshd-9.2", "ssh-keygen-9.2", &[]);
    let report = probe(server.addr);
    assert!(report["ssh"]["software"]
        .as_str()
        .unwrap()
        .starts_with("OpenSSH_9.2"));
    let kex = kex(&report);
    assert!(
        !kex.contains(&"mlkem768x25519-sha256".to_string()),
        "{kex:?}"
    );
    assert!(kex[0].starts_with("sntrup761x25519-sha512"), "{kex:?}");
    assert_eq!(report["verdict"]["status"], "pq");
    // OpenSSH 10 falls back from ML-KEM to sntrup761: still post-quantum.
    let ten = predicted(&report, "openssh-10.0");
    assert_eq!(ten, "sntrup761x25519-sha512");
    assert_eq!(real_client_kex("ssh", server.addr), ten);
    assert_eq!(
        real_client_kex("ssh-9.2", server.addr),
        predicted(&report, "openssh-9.2-debian12")
    );
}

#[test]
fn dropbear_is_read_as_it_is_and_the_real_clients_agree() {
    if !peers::require(&["dropbear", "dropbearkey", "ssh", "ssh-9.2"]) {
        return;
    }
    let server = dropbear();
    let report = probe(server.addr);
    assert!(report["ssh"]["software"]
        .as_str()
        .unwrap()
        .starts_with("dropbear"));
    let kex = kex(&report);
    // Trixie's Dropbear (2025.x) has both hybrids, so it stands pq; its
    // classical methods follow them.
    let pq = kex.iter().any(|k| pqready::catalog::ssh::is_pq_kex(k));
    assert_eq!(
        report["verdict"]["status"],
        if pq { "pq" } else { "classical" },
        "{kex:?}"
    );
    assert!(kex.contains(&"curve25519-sha256".to_string()), "{kex:?}");
    assert_eq!(
        real_client_kex("ssh", server.addr),
        predicted(&report, "openssh-10.0")
    );
    assert_eq!(
        real_client_kex("ssh-9.2", server.addr),
        predicted(&report, "openssh-9.2-debian12")
    );
}

#[test]
fn a_classical_openssh_is_classical_and_the_real_client_gets_curve25519() {
    if !peers::require(&["sshd", "ssh-keygen", "ssh", "/usr/bin/unshare"]) {
        return;
    }
    let server = openssh(
        "sshd",
        "ssh-keygen",
        &["KexAlgorithms=curve25519-sha256,ecdh-sha2-nistp256"],
    );
    let report = probe(server.addr);
    assert_eq!(report["verdict"]["status"], "classical");
    assert_eq!(finding_ids(&report), ["classical-ssh-kex"]);
    assert_eq!(predicted(&report, "openssh-10.0"), "curve25519-sha256");
    assert_eq!(real_client_kex("ssh", server.addr), "curve25519-sha256");
}

#[test]
fn an_mlkem_only_openssh_leaves_openssh_9_2_classical() {
    if !peers::require(&["sshd", "ssh-keygen", "ssh", "ssh-9.2", "/usr/bin/unshare"]) {
        return;
    }
    let server = openssh(
        "sshd",
        "ssh-keygen",
        &["KexAlgorithms=mlkem768x25519-sha256,curve25519-sha256"],
    );
    let report = probe(server.addr);
    assert_eq!(report["verdict"]["status"], "pq");
    assert_eq!(finding_ids(&report), ["ssh-pq-not-negotiated"]);
    let debian = predicted(&report, "openssh-9.2-debian12");
    assert_eq!(debian, "curve25519-sha256");
    assert_eq!(real_client_kex("ssh-9.2", server.addr), debian);
    assert_eq!(real_client_kex("ssh", server.addr), "mlkem768x25519-sha256");
}

#[test]
fn every_output_format_shows_the_ssh_server() {
    if !peers::require(&["sshd", "ssh-keygen", "/usr/bin/unshare"]) {
        return;
    }
    let server = openssh(
        "sshd",
        "ssh-keygen",
        &["KexAlgorithms=mlkem768x25519-sha256,curve25519-sha256"],
    );
    let target = format!("ssh://{}", server.addr);
    let run = |format: &str| {
        let out = crate::support::command::run(&["probe", &target, "-o", format]);
        assert!(out.status.success(), "{format}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let table = run("table");
    assert!(
        table.contains("SSH server   SSH-2.0-OpenSSH_10.0"),
        "{table}"
    );
    assert!(
        table.contains("kex          mlkem768x25519-sha256, curve25519-sha256"),
        "{table}"
    );
    assert!(
        table.contains("OpenSSH 9.9 – 10.2: mlkem768x25519-sha256"),
        "{table}"
    );
    assert!(table.contains("ssh-pq-not-negotiated"), "{table}");

    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "ssh-pq-not-negotiated");

    let cbom: Value = serde_json::from_str(&run("cbom")).unwrap();
    let components = cbom["components"].as_array().unwrap();
    let protocol = components
        .iter()
        .find(|c| c["cryptoProperties"]["assetType"] == "protocol")
        .expect("a protocol asset");
    assert_eq!(
        protocol["cryptoProperties"]["protocolProperties"]["type"],
        "ssh"
    );
    let names: Vec<&str> = components
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        names.contains(&"ML-KEM-768") && names.contains(&"X25519"),
        "{names:?}"
    );

    let html = run("html");
    assert!(html.contains("SSH key exchange of"), "no SSH table");
    assert!(html.contains("mlkem768x25519-sha256, curve25519-sha256"));

    let markdown = run("markdown");
    assert!(
        markdown.contains(&format!("| `{target}` | pq | 1 (worst: low) |")),
        "{markdown}"
    );
    assert!(markdown.contains("`ssh-pq-not-negotiated`"), "{markdown}");

    // --ssh makes schemeless lines of a targets file SSH targets too.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nodes.txt");
    std::fs::write(&file, format!("# nodes\n{}\n", server.addr)).unwrap();
    let out = crate::support::command::run(&[
        "probe",
        "--ssh",
        "--targets-file",
        file.to_str().unwrap(),
        "-o",
        "json",
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["target"], target.as_str(), "{doc:#}");
    assert_eq!(doc["protocol"], "ssh", "{doc:#}");
    assert_eq!(doc["ssh"]["kex"][0], "mlkem768x25519-sha256", "{doc:#}");
}

#[test]
fn an_ssh_url_at_a_web_server_is_not_ssh_in_its_own_words() {
    if !peers::require(&["nginx"]) {
        return;
    }
    // nginx answers the identification line as a bad HTTP request, then
    // closes: the detail quotes what it sent.
    let web = peers::nginx_plain_http();
    let out =
        crate::support::command::run(&["probe", &format!("ssh://{}", web.addr), "-o", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error_kind"], "not-ssh", "{doc:#}");
    assert!(
        doc["error"].as_str().unwrap().contains("HTTP/1.1 400"),
        "{doc:#}"
    );
    assert_eq!(doc["verdict"]["status"], "error", "{doc:#}");
    assert_eq!(doc["connections"], 1, "{doc:#}");
}

// ---------------------------------------------------------------- hostile --

const TIMEOUT: Duration = Duration::from_millis(800);

/// A loopback server that runs `script` on its one connection.
async fn scripted<F, Fut>(script: F) -> SocketAddr
where
    F: FnOnce(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((stream, _)) = listener.accept().await {
            script(stream).await;
        }
    });
    addr
}

async fn probe_hostile(addr: SocketAddr) -> TargetReport {
    let target = pqready::discover::parse_target(&format!("ssh://{addr}"), None).unwrap();
    let started = Instant::now();
    let report = scan_one(&target, &loopback::config(TIMEOUT)).await;
    assert!(
        started.elapsed() < TIMEOUT * 5,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(report.observed.connections, 1);
    report
}

/// Reads what pqready sends (its identification and KEXINIT) so that the
/// script's answer is not refused by a reset.
async fn drain(stream: &mut tokio::net::TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await;
}

#[tokio::test]
async fn a_server_that_never_identifies_times_out() {
    let addr = scripted(|mut s| async move {
        drain(&mut s).await;
        tokio::time::sleep(TIMEOUT * 4).await;
    })
    .await;
    let report = probe_hostile(addr).await;
    assert_eq!(report.error_kind.map(|k| k.name()), Some("timeout"));
    assert_eq!(report.standing().name(), "unreachable");
    assert!(report.assessed.findings.is_empty());
}

#[tokio::test]
async fn a_server_that_answers_garbage_is_not_ssh() {
    let addr = scripted(|mut s| async move {
        drain(&mut s).await;
        let _ = s.write_all(&[b'x'; 600]).await;
        tokio::time::sleep(TIMEOUT * 4).await;
    })
    .await;
    let report = probe_hostile(addr).await;
    assert_eq!(report.error_kind.map(|k| k.name()), Some("not-ssh"));
    let error = report.error.unwrap();
    assert!(
        error.contains("no SSH identification") && error.contains("xxxx"),
        "{error}"
    );
    assert_eq!(report.assessed.verdict.status.name(), "error");
}

#[tokio::test]
async fn an_oversized_packet_length_is_refused_before_it_arrives() {
    let addr = scripted(|mut s| async move {
        drain(&mut s).await;
        let _ = s
            .write_all(b"SSH-2.0-Hostile_1.0\r\n\xff\xff\xff\xf0")
            .await;
        tokio::time::sleep(TIMEOUT * 4).await;
    })
    .await;
    let report = probe_hostile(addr).await;
    assert_eq!(report.error_kind.map(|k| k.name()), Some("malformed"));
    assert!(report.error.unwrap().contains("exceeds"));
    let ssh = report.observed.ssh.unwrap();
    assert_eq!(ssh.error_kind.map(|k| k.name()), Some("malformed"));
}

#[tokio::test]
async fn a_kexinit_cut_short_is_malformed_or_closed() {
    use pqready::wire::ssh::{encode_packet, KexInit};
    let full = KexInit {
        kex: vec!["curve25519-sha256".into()],
        ..KexInit::default()
    }
    .encode();
    // A whole packet whose KEXINIT payload stops in its name-lists.
    let cut = encode_packet(&full[..30]);
    let addr = scripted(move |mut s| async move {
        drain(&mut s).await;
        let mut bytes = b"SSH-2.0-Hostile_1.0\r\n".to_vec();
        bytes.extend(cut);
        let _ = s.write_all(&bytes).await;
        tokio::time::sleep(TIMEOUT * 4).await;
    })
    .await;
    let report = probe_hostile(addr).await;
    assert_eq!(report.error_kind.map(|k| k.name()), Some("malformed"));
    assert!(report.error.unwrap().contains("cut short"));

    // A packet that stops before its stated length, then the end of the stream.
    let packet = encode_packet(&full);
    let addr = scripted(move |mut s| async move {
        drain(&mut s).await;
        let mut bytes = b"SSH-2.0-Hostile_1.0\r\n".to_vec();
        bytes.extend_from_slice(&packet[..packet.len() / 2]);
        let _ = s.write_all(&bytes).await;
    })
    .await;
    let report = probe_hostile(addr).await;
    assert_eq!(report.error_kind.map(|k| k.name()), Some("closed"));
    // What was read before the end is kept.
    let ssh = report.observed.ssh.unwrap();
    assert!(ssh.error.unwrap().contains("before its KEXINIT"));
}

#[test]
fn cluster_include_nodes_ssh_audits_each_nodes_ssh_server() {
    use crate::support::apiserver::{Cluster, TestApiServer};
    use crate::support::kubeconfig;
    if !peers::require(&["sshd", "ssh-keygen", "/usr/bin/unshare"]) {
        return;
    }
    let ssh = openssh("sshd", "ssh-keygen", &[]);
    // The Node's kubelet port is the SSH server's too: the kubelet probe
    // finds no TLS there, the nodes-ssh probe finds OpenSSH on --ssh-port.
    let server = TestApiServer::start(Cluster::new().node("worker-1", ssh.addr));
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let port = ssh.addr.port().to_string();
    let out = crate::support::command::run_with_path(
        &[
            "cluster",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--include",
            "nodes-ssh",
            "--ssh-port",
            &port,
            "--edges=false",
            "-o",
            "json",
        ],
        &[],
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let node = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "node-ssh")
        .unwrap_or_else(|| panic!("no node-ssh component: {doc:#}"));
    assert_eq!(node["name"], "worker-1");
    assert_eq!(node["result"]["protocol"], "ssh");
    assert_eq!(node["result"]["verdict"]["status"], "pq");
    assert_eq!(node["result"]["ssh"]["kex"][0], "mlkem768x25519-sha256");
}
