//! Issue #20, "wrong answers a new user hit", against real peers on
//! loopback: each test is a case where `pqready probe` used to say
//! something it had not observed, or to miss a cause it had observed.
//!
//! - `--only clients` against Go 1.24 and Go 1.23 servers (the real
//!   `crypto/tls` goserver): the silent downgrade, never "classical server";
//! - `--only groups` and `--skip groups` against a Go 1.24 server: the
//!   selection rule and the PQ groups are "not checked", never a default;
//! - an OpenSSL 3.5 `s_server` with only an ML-DSA-65 certificate (made by
//!   OpenSSL 3.5): `no-classical-authentication`, naming the replayed
//!   profiles that cannot connect;
//! - a real PostgreSQL 15 port (TLS only after SSLRequest): the probe stops
//!   once it has seen the port does not speak TLS.

use peers::*;
use pqready::assess::certs::CertRules;
use pqready::catalog::profile;
use pqready::probe::checks::CheckSet;
use pqready::probe::ProbeConfig;
use pqready::report::TargetReport;
use pqready::scan::scan_one_with;
use pqready::vocab::{CheckId, CheckStatus, ErrorKind, FindingKind};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::command;
use crate::support::loopback;
use crate::support::peers;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Probes `addr` with `--only only` (empty: every check) and `--clients clients`.
async fn probe(addr: SocketAddr, only: &[&str], clients: &str) -> TargetReport {
    let mut config: ProbeConfig = loopback::config(TIMEOUT);
    if !clients.is_empty() {
        config.clients = profile::select(clients).unwrap();
    }
    let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
    config.checks = CheckSet::select(&only, &[]).unwrap();
    let target = loopback::target(addr, Some("localhost"));
    scan_one_with(&target, &config, &CertRules::default()).await
}

fn status(r: &TargetReport, id: CheckId) -> CheckStatus {
    r.observed
        .checks
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.status)
        .unwrap()
}

fn kinds(r: &TargetReport) -> Vec<FindingKind> {
    r.assessed.findings.iter().map(|f| f.id).collect()
}

fn text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---- item 1: --only clients ---------------------------------------------------

/// Nothing may claim the server has only classical groups: both servers
/// support a post-quantum group.
fn assert_no_classical_server_claim(r: &TargetReport) {
    assert!(
        !kinds(r).contains(&FindingKind::ClassicalServer),
        "{:?}",
        r.assessed.findings
    );
    for f in &r.assessed.findings {
        assert!(!f.detail.contains("only classical groups"), "{}", f.detail);
    }
}

#[tokio::test]
async fn only_clients_against_go124_reports_the_silent_downgrade() {
    if !require(&["goserver-1.24"]) {
        return;
    }
    let peer = go_server("1.24");
    let r = probe(peer.addr, &["clients"], "kubectl1.32").await;
    assert_eq!(r.error, None, "peer log:\n{}", peer.log());
    // `clients` needs the server's supported set: it brings `groups` along.
    assert_eq!(status(&r, CheckId::Groups), CheckStatus::Completed);
    assert_eq!(status(&r, CheckId::Clients), CheckStatus::Completed);
    assert_eq!(status(&r, CheckId::Selection), CheckStatus::NotRun);
    assert_no_classical_server_claim(&r);
    assert_eq!(
        kinds(&r),
        [FindingKind::SilentDowngrade],
        "{:?}",
        r.assessed.findings
    );
    let f = &r.assessed.findings[0];
    assert_eq!(f.profiles, ["kubectl1.32"]);
    // One profile: "offers", "it settles".
    assert_eq!(
        f.detail,
        "kubectl1.32 offers X25519Kyber768Draft00; the server supports X25519MLKEM768. \
         No post-quantum group in common, so it settles on x25519 without any error"
    );
    assert!(
        f.remediation.contains("upgrade kubectl to 1.33"),
        "{}",
        f.remediation
    );

    // The same answer as the full probe of the same server.
    let full = probe(peer.addr, &[], "kubectl1.32").await;
    let clients: Vec<_> = full
        .assessed
        .findings
        .iter()
        .filter(|f| !f.profiles.is_empty())
        .collect();
    assert_eq!(clients.len(), 1, "{:?}", full.assessed.findings);
    assert_eq!((clients[0].id, &clients[0].detail), (f.id, &f.detail));
}

#[tokio::test]
async fn only_clients_against_go123_reports_the_silent_downgrade() {
    if !require(&["goserver-1.23"]) {
        return;
    }
    let peer = go_server("1.23");
    let r = probe(peer.addr, &["clients"], "go1.24,kubectl1.33").await;
    assert_eq!(r.error, None, "peer log:\n{}", peer.log());
    assert_no_classical_server_claim(&r);
    // The server's own draft-only groups are judged too (--only clients
    // runs group discovery).
    assert_eq!(
        kinds(&r),
        [
            FindingKind::SilentDowngrade,
            FindingKind::DraftOnlyKeyExchange
        ],
        "{:?}",
        r.assessed.findings
    );
    let f = &r.assessed.findings[0];
    assert_eq!(f.profiles, ["go1.24", "kubectl1.33"]);
    assert!(
        f.detail.starts_with(
            "go1.24, kubectl1.33 offer X25519MLKEM768; the server supports X25519Kyber768Draft00."
        ) && f
            .detail
            .ends_with("so they settle on x25519 without any error"),
        "{}",
        f.detail
    );
    // The clients are current: the server is what must move.
    assert_eq!(f.remediation, pqready::vocab::SERVER_UPGRADE);
}

// ---- item 5: a rule or a set that was not observed ---------------------------

#[tokio::test]
async fn only_groups_leaves_the_selection_rule_unobserved() {
    if !require(&["goserver-1.24"]) {
        return;
    }
    let peer = go_server("1.24");
    let addr = peer.addr.to_string();
    let args = ["probe", addr.as_str(), "--only", "groups"];
    let out = command::run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = text(&out);
    assert!(table.contains("\n  selection    not checked\n"), "{table}");
    assert!(!table.contains("server's own order"), "{table}");

    let mut json_args = args.to_vec();
    json_args.extend(["-o", "json"]);
    let line = command::json_lines(&json_args).remove(0);
    assert_eq!(
        line["groups"]["selection"],
        serde_json::Value::Null,
        "{line}"
    );
    // The order itself was observed by `groups`.
    assert_eq!(line["groups"]["server_order"][0], "X25519MLKEM768");
    let selection = &line["checks"][1];
    assert_eq!(
        (&selection["id"], &selection["status"]),
        (&"selection".into(), &"not-run".into())
    );

    // With the selection check, Go 1.24's real rule.
    let full = command::json_lines(&["probe", addr.as_str(), "--only", "selection", "-o", "json"]);
    assert_eq!(
        full[0]["groups"]["selection"],
        "pq_then_key_share_then_server_order"
    );
}

#[tokio::test]
async fn skip_groups_does_not_print_none_for_pq_groups() {
    if !require(&["goserver-1.24"]) {
        return;
    }
    let peer = go_server("1.24");
    // Two targets (one server), so the summary table is printed.
    let a = peer.addr.to_string();
    let b = format!("localhost:{}", peer.addr.port());
    let out = command::run(&["probe", &a, &b, "--skip", "groups,hello-tolerance"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = text(&out);
    let rows: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("TARGET"))
        .skip(1)
        .collect();
    assert_eq!(rows.len(), 2, "{table}");
    for row in rows {
        let cells: Vec<&str> = row.split("  ").filter(|c| !c.is_empty()).collect();
        // TARGET, STATUS, PQ GROUPS, PQ CLIENT GETS, CONN
        assert_eq!(cells[1].trim(), "pq", "{row}");
        assert_eq!(cells[2].trim(), "not checked", "{row}");
        assert_eq!(cells[3].trim(), "X25519MLKEM768", "{row}");
    }
}

// ---- item 4: a server with only an ML-DSA certificate --------------------------

/// OpenSSL 3.5 `s_server` holding only a self-signed ML-DSA-65 certificate
/// made by OpenSSL 3.5 (`req -x509 -newkey mldsa65`).
fn mldsa_only_server() -> Peer {
    peers::s_server_self_signed("mldsa65", &["-quiet"])
}

#[tokio::test]
async fn mldsa_only_server_is_a_finding_without_clients() {
    if !require(&["openssl"]) {
        return;
    }
    let peer = mldsa_only_server();
    let r = probe(peer.addr, &["handshake", "certificates"], "").await;
    assert_eq!(r.error, None, "peer log:\n{}", peer.log());
    let auth = r.observed.authentication.as_ref().unwrap();
    assert!(auth.mldsa && !auth.classical, "{auth:?}");
    assert_eq!(
        kinds(&r),
        [FindingKind::NoClassicalAuthentication],
        "{:?}",
        r.assessed.findings
    );
    let f = &r.assessed.findings[0];
    assert!(f.profiles.is_empty());
    // About the ML-DSA leaf; names built-in profiles that cannot verify it.
    assert_eq!(f.certificates.len(), 1);
    assert!(
        f.detail
            .contains("authenticates only with ML-DSA (mldsa65)")
            && f.detail.contains("kubectl1.33")
            && f.detail.contains("go1.26")
            && !f.detail.contains("openssl3.5"),
        "{}",
        f.detail
    );

    // The gate sees it.
    let addr = peer.addr.to_string();
    let out = command::run(&["probe", &addr, "--fail-on", "low", "--only", "certificates"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("HIGH no-classical-authentication"),
        "{}",
        text(&out)
    );
}

#[tokio::test]
async fn mldsa_only_server_names_the_clients_it_locks_out() {
    if !require(&["openssl"]) {
        return;
    }
    let peer = mldsa_only_server();
    let r = probe(peer.addr, &["certificates", "clients"], "all").await;
    assert_eq!(r.error, None, "peer log:\n{}", peer.log());
    // The failure is attributed to its cause, not to a generic handshake failure.
    assert!(
        !kinds(&r).contains(&FindingKind::HandshakeFailure),
        "{:?}",
        r.assessed.findings
    );
    let f = r
        .assessed
        .findings
        .iter()
        .find(|f| f.id == FindingKind::NoClassicalAuthentication)
        .expect("no-classical-authentication");
    // Exactly the replayed profiles that failed, which are exactly those
    // offering no ML-DSA signature scheme.
    let failed: Vec<&str> = r
        .observed
        .clients
        .iter()
        .filter(|c| c.failed)
        .map(|c| c.profile.as_str())
        .collect();
    assert_eq!(f.profiles, failed);
    let no_mldsa: Vec<&str> = profile::all()
        .iter()
        .filter(|p| !pqready::assess::authentication::accepts_mldsa(p))
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(failed, no_mldsa);
    for id in ["go1.24", "kubectl1.33", "kubectl1.36", "openssl3.0"] {
        assert!(f.profiles.iter().any(|p| p == id), "{id}: {:?}", f.profiles);
    }
    let openssl35 = r
        .observed
        .clients
        .iter()
        .find(|c| c.profile == "openssl3.5")
        .unwrap();
    assert!(!openssl35.failed, "{openssl35:?}");
    assert!(
        f.detail
            .contains(" fail to connect: they offer no ML-DSA signature scheme"),
        "{}",
        f.detail
    );
}

// ---- low item: a PostgreSQL port ------------------------------------------------

const POSTGRES_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A real PostgreSQL 15 server on 127.0.0.1 and a free port, run as the
/// `postgres` user (it refuses root) in a temporary directory.
struct Postgres {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGQUIT: immediate shutdown of the postmaster and its backends.
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn postgres_ids() -> (u32, u32) {
    let id = |flag: &str| {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<u32>()
            .unwrap()
    };
    (id("-u"), id("-g"))
}

fn as_postgres(program: &Path, uid: u32, gid: u32) -> Command {
    use std::os::unix::process::CommandExt as _;
    let mut cmd = Command::new(program);
    cmd.uid(uid).gid(gid);
    cmd
}

impl Postgres {
    fn start() -> Postgres {
        use std::os::unix::fs::PermissionsExt as _;
        let (uid, gid) = postgres_ids();
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let data: PathBuf = dir.path().join("data");
        let sockets = dir.path().join("sockets");
        std::fs::create_dir(&sockets).unwrap();
        std::os::unix::fs::chown(&sockets, Some(uid), Some(gid)).unwrap();
        let bin = Path::new(POSTGRES_BIN);
        let init = as_postgres(&bin.join("initdb"), uid, gid)
            .args(["-N", "-A", "trust", "-U", "postgres", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("postgres.log")).unwrap();
        let child = as_postgres(&bin.join("postgres"), uid, gid)
            .arg("-D")
            .arg(&data)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
            .arg(&sockets)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut pg = Postgres { child, addr, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = pg.child.try_wait() {
                panic!("postgres exited ({status}):\n{}", pg.log());
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not listen:\n{}",
                pg.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        pg
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }
}

#[tokio::test]
async fn postgres_port_is_not_tls_after_two_connections() {
    if !require(&[
        &format!("{POSTGRES_BIN}/postgres"),
        &format!("{POSTGRES_BIN}/initdb"),
    ]) {
        return;
    }
    let pg = Postgres::start();
    let r = probe(pg.addr, &[], "all").await;
    assert_eq!(
        r.error_kind,
        Some(ErrorKind::NotTls),
        "{:?}\n{}",
        r.error,
        pg.log()
    );
    assert!(
        r.error
            .as_deref()
            .unwrap()
            .starts_with("no TLS handshake succeeded (the server ended the connection"),
        "{:?}",
        r.error
    );
    // The empty-key-share hello and one ordinary hello; it used to be 23.
    assert_eq!(r.observed.connections, 2);
    let groups = r
        .observed
        .checks
        .iter()
        .find(|c| c.id == CheckId::Groups)
        .unwrap();
    assert_eq!(
        (groups.status, groups.connections),
        (CheckStatus::Failed, 2)
    );
    // PostgreSQL saw exactly those two, as startup packets it could not read.
    let log = pg.log();
    assert_eq!(
        log.matches("invalid length of startup packet").count(),
        2,
        "{log}"
    );
}
