//! The `certificates` check against real servers on loopback: certificates
//! made by the real OpenSSL 3.5 (`genpkey -algorithm ML-DSA-65`, `req`,
//! `x509 -req -CA`), served by OpenSSL 3.5 `s_server` and by nginx (linked
//! with OpenSSL 3.5), and a Go 1.24 `crypto/tls` server with its default
//! ECDSA certificate. Each test asserts the captured chain (leaf first,
//! exact subjects, algorithms, roles, quantum status, deadlines) and the
//! `authentication` result: which of an ML-DSA-only and a classical-only
//! handshake the server completes, with which signature scheme.

use peers::*;
use pqready::assess::certs::CertRules;
use pqready::probe::checks::CheckSet;
use pqready::probe::ProbeConfig;
use pqready::report::TargetReport;
use pqready::scan::scan_one_with;
use pqready::vocab::{AuthKind, DeadlineStatus, DeadlineTable, ErrorKind, FindingKind};
use pqready::wire::{ProtocolVersion as V, SignatureScheme as S};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::command;
use crate::support::loopback;
use crate::support::peers;

// ---- certificates made with OpenSSL 3.5 ------------------------------------

/// A key pair and its certificate, as files in the peer's directory.
#[derive(Debug, Clone)]
struct Issued {
    cert: PathBuf,
    key: PathBuf,
}

impl Issued {
    /// SHA-256 of the certificate's DER, as pqready prints it.
    fn fingerprint(&self) -> String {
        let der = CertificateDer::from_pem_file(&self.cert).expect("PEM certificate");
        pqready::pki::parse_certificate(&der)
            .expect("readable certificate")
            .fingerprint_sha256
    }
}

/// `openssl genpkey` for `algorithm`: `ML-DSA-65` or `EC` (P-256).
fn key(dir: &Path, name: &str, algorithm: &str) -> PathBuf {
    let file = format!("{name}.key");
    let mut args = vec!["genpkey", "-algorithm", algorithm, "-out", &file];
    if algorithm == "EC" {
        args.extend(["-pkeyopt", "ec_paramgen_curve:P-256"]);
    }
    openssl_in(dir, &args);
    dir.join(file)
}

/// A self-signed CA (`req -x509`) with a new key of `algorithm`.
fn root(dir: &Path, name: &str, algorithm: &str, cn: &str) -> Issued {
    let key = key(dir, name, algorithm);
    let cert = format!("{name}.pem");
    let subject = format!("/CN={cn}");
    openssl_in(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            key.to_str().unwrap(),
            "-subj",
            &subject,
            "-days",
            "365",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-out",
            &cert,
        ],
    );
    Issued {
        cert: dir.join(cert),
        key,
    }
}

/// A leaf for localhost/127.0.0.1 with a new key of `algorithm`, issued by
/// `ca` through a CSR (`req -new | x509 -req -CA`), valid for 90 days or
/// over `validity` (notBefore, notAfter as YYYYMMDDHHMMSSZ).
fn leaf(
    dir: &Path,
    name: &str,
    algorithm: &str,
    cn: &str,
    ca: &Issued,
    validity: Option<(&str, &str)>,
) -> Issued {
    let key = key(dir, name, algorithm);
    let (csr, cert) = (format!("{name}.csr"), format!("{name}.pem"));
    let subject = format!("/CN={cn}");
    openssl_in(
        dir,
        &[
            "req",
            "-new",
            "-key",
            key.to_str().unwrap(),
            "-subj",
            &subject,
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-out",
            &csr,
        ],
    );
    let mut args = vec![
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        ca.cert.to_str().unwrap(),
        "-CAkey",
        ca.key.to_str().unwrap(),
        "-copy_extensions",
        "copy",
        "-out",
        &cert,
    ];
    match validity {
        Some((from, to)) => args.extend(["-not_before", from, "-not_after", to]),
        None => args.extend(["-days", "90"]),
    }
    openssl_in(dir, &args);
    Issued {
        cert: dir.join(cert),
        key,
    }
}

/// A self-signed ECDSA P-256 leaf for localhost (`req -x509`), valid for 90
/// days or over `validity`.
fn ec_self_signed(dir: &Path, name: &str, cn: &str, validity: Option<(&str, &str)>) -> Issued {
    let key = key(dir, name, "EC");
    let cert = format!("{name}.pem");
    let subject = format!("/CN={cn}");
    let mut args = vec![
        "req",
        "-x509",
        "-new",
        "-key",
        key.to_str().unwrap(),
        "-subj",
        &subject,
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-out",
        &cert,
    ];
    match validity {
        Some((from, to)) => args.extend(["-not_before", from, "-not_after", to]),
        None => args.extend(["-days", "90"]),
    }
    openssl_in(dir, &args);
    Issued {
        cert: dir.join(cert),
        key,
    }
}

/// An ML-DSA-65 root and an ML-DSA-65 leaf it issued.
fn mldsa_chain(dir: &Path) -> (Issued, Issued) {
    let ca = root(dir, "mldsa-root", "ML-DSA-65", "pqready test ML-DSA root");
    let leaf = leaf(dir, "mldsa-leaf", "ML-DSA-65", "localhost", &ca, None);
    (ca, leaf)
}

// ---- servers -----------------------------------------------------------------

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// OpenSSL 3.5 `s_server` with `args` (certificates and keys), in `setup`'s directory.
fn s_server_with(setup: Setup, args: &[&str]) -> Peer {
    let mut all = vec!["s_server", "-accept", "127.0.0.1:{port}", "-quiet"];
    all.extend_from_slice(args);
    launch(setup, &bin("openssl"), &all, &[])
}

/// OpenSSL 3.5 `s_server` with an ML-DSA-65 root → leaf chain, and with
/// `extra` arguments made from the setup's directory (a second certificate).
fn mldsa_s_server(extra: impl FnOnce(&Path) -> Vec<String>) -> (Peer, Issued, Issued) {
    let setup = Setup::new();
    let (root, leaf) = mldsa_chain(setup.dir.path());
    let more = extra(setup.dir.path());
    let mut args = vec![
        "-cert",
        path(&leaf.cert),
        "-key",
        path(&leaf.key),
        "-cert_chain",
        path(&root.cert),
    ];
    args.extend(more.iter().map(String::as_str));
    let peer = s_server_with(setup, &args);
    (peer, root, leaf)
}

/// OpenSSL 3.5 `s_server` with an ML-DSA-65 chain (`-cert`) and an ECDSA
/// certificate (`-dcert`): it picks by the client's signature_algorithms.
fn dual_s_server() -> (Peer, Issued, Issued, Issued) {
    let mut ec = None;
    let (peer, root, leaf) = mldsa_s_server(|dir| {
        let cert = ec_self_signed(dir, "ec", "localhost ECDSA", None);
        let args = vec![
            "-dcert".to_string(),
            path(&cert.cert).to_string(),
            "-dkey".to_string(),
            path(&cert.key).to_string(),
        ];
        ec = Some(cert);
        args
    });
    (peer, root, leaf, ec.expect("made by the closure"))
}

/// nginx serving each (chain file, key) pair of `pairs` on one TLS port:
/// OpenSSL picks the certificate that matches the client's signature_algorithms.
fn nginx_with(setup: Setup, pairs: &[(PathBuf, PathBuf)]) -> Peer {
    let certificates: String = pairs
        .iter()
        .map(|(cert, key)| {
            format!(
                "    ssl_certificate {}; ssl_certificate_key {};\n",
                path(cert),
                path(key)
            )
        })
        .collect();
    let conf = format!(
        "daemon off; master_process off; worker_processes 1;
pid {{dir}}/nginx.pid; error_log {{dir}}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {{dir}}; proxy_temp_path {{dir}}; fastcgi_temp_path {{dir}};
  uwsgi_temp_path {{dir}}; scgi_temp_path {{dir}};
  server {{
    listen 127.0.0.1:{{port}} ssl;
{certificates}    location / {{ return 200 \"ok\\n\"; }}
  }}
}}
"
    );
    peers::nginx_with(setup, &conf)
}

/// `files` concatenated into `name` in `dir` (a chain file, leaf first).
fn concat(dir: &Path, name: &str, files: &[&Path]) -> PathBuf {
    let text: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let out = dir.join(name);
    std::fs::write(&out, text).unwrap();
    out
}

// ---- probing -------------------------------------------------------------------

/// The handshake and certificates checks (plus `clients` replay of
/// `clients`, if any), certificates judged by `tables`.
async fn probe(peer: &Peer, clients: &str, tables: &[DeadlineTable]) -> TargetReport {
    let mut only = vec!["handshake".to_string(), "certificates".to_string()];
    let mut config: ProbeConfig = loopback::config(Duration::from_secs(10));
    if !clients.is_empty() {
        config.clients = pqready::catalog::profile::select(clients).unwrap();
        only.push("clients".into());
    }
    config.checks = CheckSet::select(&only, &[]).unwrap();
    let rules = CertRules {
        deadlines: tables.to_vec(),
        ..CertRules::default()
    };
    let target = loopback::target(peer.addr, Some("localhost"));
    let r = scan_one_with(&target, &config, &rules).await;
    assert_eq!(r.error, None, "peer log:\n{}", peer.log());
    let check = r
        .observed
        .checks
        .iter()
        .find(|c| c.id == pqready::vocab::CheckId::Certificates)
        .unwrap();
    assert_eq!(
        check.status,
        pqready::vocab::CheckStatus::Completed,
        "{check:?}"
    );
    assert_eq!(check.connections, 2);
    r
}

fn kinds(r: &TargetReport) -> Vec<FindingKind> {
    r.assessed.findings.iter().map(|f| f.id).collect()
}

fn summary(r: &TargetReport) -> Vec<(String, String, String, String, bool)> {
    r.assessed
        .certificates
        .iter()
        .map(|c| {
            let f = &c.facts;
            (
                f.subject.clone(),
                f.role.clone().unwrap_or_default(),
                f.key.key_algorithm.clone(),
                f.signature_algorithm.clone(),
                c.quantum_safe,
            )
        })
        .collect()
}

fn row(
    subject: &str,
    role: &str,
    key: &str,
    sig: &str,
    safe: bool,
) -> (String, String, String, String, bool) {
    (subject.into(), role.into(), key.into(), sig.into(), safe)
}

/// What a server holding only the ML-DSA-65 chain must show.
fn assert_mldsa_only(r: &TargetReport, root: &Issued, leaf: &Issued) {
    let auth = r.observed.authentication.as_ref().expect("authentication");
    assert!(auth.mldsa && !auth.classical, "{auth:?}");
    assert_eq!(auth.schemes, [S::MLDSA65]);
    let mldsa = auth.attempt(AuthKind::Mldsa).unwrap();
    assert!(mldsa.completed);
    assert_eq!(mldsa.scheme, Some(S::MLDSA65));
    assert_eq!(mldsa.version, Some(V::TLS1_3));
    assert_eq!(mldsa.chain, [leaf.fingerprint(), root.fingerprint()]);
    let classical = auth.attempt(AuthKind::Classical).unwrap();
    assert!(!classical.completed && classical.chain.is_empty());
    assert_eq!(
        classical.error_kind,
        Some(ErrorKind::Alert),
        "{classical:?}"
    );
    // Leaf first, the same chain from every handshake that completed.
    assert_eq!(
        summary(r),
        [
            row("CN=localhost", "leaf", "ML-DSA-65", "ML-DSA-65", true),
            row(
                "CN=pqready test ML-DSA root",
                "root",
                "ML-DSA-65",
                "ML-DSA-65",
                true
            ),
        ]
    );
    let leaf_facts = &r.assessed.certificates[0].facts;
    assert_eq!(leaf_facts.issuer, "CN=pqready test ML-DSA root");
    assert_eq!(leaf_facts.sans, ["DNS:localhost", "IP:127.0.0.1"]);
    assert!(!leaf_facts.self_signed && r.assessed.certificates[1].facts.self_signed);
    for cert in &r.assessed.certificates {
        assert_eq!(cert.deadlines.len(), 1);
        assert_eq!(cert.deadlines[0].table, DeadlineTable::Nist);
        assert_eq!(cert.deadlines[0].status, DeadlineStatus::Acceptable);
    }
    // The PQ-first handshake (every scheme offered) got the ML-DSA chain too.
    assert_eq!(r.observed.handshake.certificate_chain.len(), 2);
    // Without a classical certificate, clients without ML-DSA are locked out.
    assert_eq!(
        kinds(r),
        [FindingKind::NoClassicalAuthentication],
        "{:?}",
        r.assessed.findings
    );
    assert_eq!(r.assessed.findings[0].certificates, [leaf.fingerprint()]);
}

/// What a server holding the ML-DSA-65 chain and an ECDSA certificate must show.
fn assert_dual(r: &TargetReport, root: &Issued, leaf: &Issued, ec: &Issued) {
    let auth = r.observed.authentication.as_ref().expect("authentication");
    assert!(auth.mldsa && auth.classical, "{auth:?}");
    assert_eq!(auth.schemes, [S::MLDSA65, S::ECDSA_SECP256R1_SHA256]);
    let mldsa = auth.attempt(AuthKind::Mldsa).unwrap();
    assert_eq!(mldsa.chain, [leaf.fingerprint(), root.fingerprint()]);
    let classical = auth.attempt(AuthKind::Classical).unwrap();
    assert_eq!(classical.scheme, Some(S::ECDSA_SECP256R1_SHA256));
    assert_eq!(classical.chain, [ec.fingerprint()]);
    // The PQ-first handshake's chain comes first; both leaves are listed.
    let first = &r.assessed.certificates[0].facts.fingerprint_sha256;
    let handshake_leaf = if r.observed.handshake.certificate_chain.len() == 1 {
        ec.fingerprint()
    } else {
        leaf.fingerprint()
    };
    assert_eq!(first, &handshake_leaf);
    let mut got = summary(r);
    got.sort();
    assert_eq!(
        got,
        [
            row("CN=localhost", "leaf", "ML-DSA-65", "ML-DSA-65", true),
            row(
                "CN=localhost ECDSA",
                "leaf",
                "EC",
                "ecdsa-with-SHA256",
                false
            ),
            row(
                "CN=pqready test ML-DSA root",
                "root",
                "ML-DSA-65",
                "ML-DSA-65",
                true
            ),
        ]
    );
    // The ECDSA key is an inventory item with NIST IR 8547's date.
    let vulnerable: Vec<_> = r
        .assessed
        .findings
        .iter()
        .filter(|f| f.id == FindingKind::QuantumVulnerableKey)
        .collect();
    assert_eq!(vulnerable.len(), 1, "{:?}", r.assessed.findings);
    assert_eq!(vulnerable[0].certificates, [ec.fingerprint()]);
    assert!(
        vulnerable[0].detail.contains("replace by 2035-12-31"),
        "{}",
        vulnerable[0].detail
    );
    assert!(!kinds(r).contains(&FindingKind::MixedChain));
}

// ---- OpenSSL 3.5 s_server --------------------------------------------------------

#[tokio::test]
async fn openssl35_serves_an_mldsa65_chain() {
    if !require(&["openssl"]) {
        return;
    }
    let (peer, root, leaf) = mldsa_s_server(|_| Vec::new());
    let r = probe(&peer, "", &[DeadlineTable::Nist]).await;
    assert_mldsa_only(&r, &root, &leaf);
}

#[tokio::test]
async fn openssl35_serves_mldsa_and_ecdsa_certificates() {
    if !require(&["openssl"]) {
        return;
    }
    let (peer, root, leaf, ec) = dual_s_server();
    // OpenSSL 3.5's own client offers ML-DSA: the server serves it.
    let r = probe(&peer, "openssl3.5", &[DeadlineTable::Nist]).await;
    assert_dual(&r, &root, &leaf, &ec);
    assert!(!kinds(&r).contains(&FindingKind::NoMldsaAuthentication));
}

#[tokio::test]
async fn openssl35_mldsa_leaf_under_an_ecdsa_ca_is_a_mixed_chain() {
    if !require(&["openssl"]) {
        return;
    }
    let setup = Setup::new();
    let dir = setup.dir.path().to_path_buf();
    let ca = root(&dir, "ec-root", "EC", "pqready test ECDSA root");
    let leaf = leaf(&dir, "mixed-leaf", "ML-DSA-65", "localhost", &ca, None);
    let peer = s_server_with(
        setup,
        &[
            "-cert",
            path(&leaf.cert),
            "-key",
            path(&leaf.key),
            "-cert_chain",
            path(&ca.cert),
        ],
    );
    let r = probe(&peer, "", &[DeadlineTable::Nist]).await;
    let auth = r.observed.authentication.as_ref().unwrap();
    // The leaf's ML-DSA key signs the handshake, even under a classical CA.
    assert!(auth.mldsa && !auth.classical, "{auth:?}");
    assert_eq!(
        summary(&r),
        [
            row(
                "CN=localhost",
                "leaf",
                "ML-DSA-65",
                "ecdsa-with-SHA256",
                false
            ),
            row(
                "CN=pqready test ECDSA root",
                "root",
                "EC",
                "ecdsa-with-SHA256",
                false
            ),
        ]
    );
    let mixed: Vec<_> = r
        .assessed
        .findings
        .iter()
        .filter(|f| f.id == FindingKind::MixedChain)
        .collect();
    assert_eq!(mixed.len(), 1, "{:?}", r.assessed.findings);
    assert_eq!(mixed[0].certificates, [leaf.fingerprint()]);
    assert!(mixed[0]
        .detail
        .contains("localhost (ecdsa-with-SHA256) <- pqready test ECDSA root"));
    // The CA's ECDSA key is quantum-vulnerable.
    assert!(kinds(&r).contains(&FindingKind::QuantumVulnerableKey));
}

#[tokio::test]
async fn openssl35_expired_certificate_is_a_finding() {
    if !require(&["openssl"]) {
        return;
    }
    let setup = Setup::new();
    let old = ec_self_signed(
        setup.dir.path(),
        "old",
        "expired.localhost",
        Some(("20200101000000Z", "20210101000000Z")),
    );
    let peer = s_server_with(setup, &["-cert", path(&old.cert), "-key", path(&old.key)]);
    let r = probe(&peer, "", &[DeadlineTable::Nist]).await;
    let expired: Vec<_> = r
        .assessed
        .findings
        .iter()
        .filter(|f| f.id == FindingKind::CertificateExpired)
        .collect();
    assert_eq!(expired.len(), 1, "{:?}", r.assessed.findings);
    assert_eq!(expired[0].severity, pqready::vocab::Severity::High);
    assert!(
        expired[0].detail.contains("expired on 2021-01-01"),
        "{}",
        expired[0].detail
    );
    assert_eq!(
        r.assessed.certificates[0].facts.not_after,
        "2021-01-01T00:00:00Z"
    );
    // The most severe finding comes first.
    assert_eq!(r.assessed.findings[0].id, FindingKind::CertificateExpired);
}

#[test]
fn cnsa2_deadlines_change_the_judgement() {
    if !require(&["openssl"]) {
        return;
    }
    let (peer, _, _, _) = dual_s_server();
    let addr = peer.addr.to_string();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema/probe-target.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let json = |tables: &str| {
        let docs = command::json_lines(&[
            "probe",
            &addr,
            "--only",
            "certificates",
            "--deadlines",
            tables,
            "-o",
            "json",
        ]);
        assert_eq!(docs.len(), 1);
        let doc = docs.into_iter().next().unwrap();
        // ML-DSA certificates and both deadline tables fit the JSON Schema.
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{doc}");
        doc
    };
    let deadline = |doc: &serde_json::Value, key: &str, i: usize| {
        let cert = doc["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key_algorithm"] == key)
            .unwrap_or_else(|| panic!("no {key} certificate in {doc}"));
        cert["deadlines"][i].clone()
    };
    let nist = json("nist");
    assert_eq!(deadline(&nist, "ML-DSA-65", 0)["status"], "acceptable");
    assert_eq!(deadline(&nist, "EC", 0)["disallowed_after"], "2035-12-31");
    let cnsa = json("cnsa2");
    // CNSA 2.0 approves ML-DSA-87 only (ML-DSA-65 never, so no date), and
    // no P-256 at all: disallowed now, a HIGH finding.
    let mldsa = deadline(&cnsa, "ML-DSA-65", 0);
    assert_eq!(mldsa["table"], "cnsa2");
    assert_eq!(mldsa["status"], "not-approved");
    assert!(mldsa["disallowed_after"].is_null(), "{mldsa}");
    assert_eq!(deadline(&cnsa, "EC", 0)["status"], "disallowed");
    let ids: Vec<&str> = cnsa["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"disallowed-algorithm"), "{ids:?}");
    assert!(ids.contains(&"not-approved-algorithm"), "{ids:?}");
    let both = json("nist,cnsa2");
    assert_eq!(deadline(&both, "ML-DSA-65", 0)["table"], "nist");
    assert_eq!(deadline(&both, "ML-DSA-65", 1)["table"], "cnsa2");
    assert_eq!(both["authentication"]["mldsa"], true);
    assert_eq!(both["connections"], 2);
    // The table names the table it dates by.
    let out = command::run(&[
        "probe",
        &addr,
        "--only",
        "certificates",
        "--deadlines",
        "cnsa2",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "auth         ML-DSA: yes (mldsa65); classical: yes (ecdsa_secp256r1_sha256)"
        ),
        "{text}"
    );
    assert!(text.contains("deadlines: NSA CNSA 2.0"), "{text}");
    assert!(text.contains("not approved"), "{text}");
    assert!(text.contains("disallowed now"), "{text}");
}

// ---- nginx (OpenSSL 3.5) ----------------------------------------------------------

#[tokio::test]
async fn nginx_serves_an_mldsa65_chain() {
    if !require(&["nginx", "openssl"]) {
        return;
    }
    let setup = Setup::new();
    let dir = setup.dir.path().to_path_buf();
    let (root, leaf) = mldsa_chain(&dir);
    let chain = concat(&dir, "mldsa-chain.pem", &[&leaf.cert, &root.cert]);
    let peer = nginx_with(setup, &[(chain, leaf.key.clone())]);
    let r = probe(&peer, "", &[DeadlineTable::Nist]).await;
    assert_mldsa_only(&r, &root, &leaf);
}

#[tokio::test]
async fn nginx_serves_mldsa_and_ecdsa_certificates() {
    if !require(&["nginx", "openssl"]) {
        return;
    }
    let setup = Setup::new();
    let dir = setup.dir.path().to_path_buf();
    let (root, leaf) = mldsa_chain(&dir);
    let chain = concat(&dir, "mldsa-chain.pem", &[&leaf.cert, &root.cert]);
    let ec = ec_self_signed(&dir, "ec", "localhost ECDSA", None);
    let peer = nginx_with(
        setup,
        &[(chain, leaf.key.clone()), (ec.cert.clone(), ec.key.clone())],
    );
    let r = probe(&peer, "", &[DeadlineTable::Nist]).await;
    assert_dual(&r, &root, &leaf, &ec);
}

#[tokio::test]
async fn nginx_with_ecdsa_only_cannot_authenticate_with_mldsa() {
    if !require(&["nginx", "openssl"]) {
        return;
    }
    let setup = Setup::new();
    let ec = ec_self_signed(setup.dir.path(), "ec", "localhost ECDSA", None);
    let peer = nginx_with(setup, &[(ec.cert.clone(), ec.key.clone())]);
    let r = probe(&peer, "openssl3.5", &[DeadlineTable::Nist]).await;
    let auth = r.observed.authentication.as_ref().unwrap();
    assert!(!auth.mldsa && auth.classical, "{auth:?}");
    assert_eq!(auth.schemes, [S::ECDSA_SECP256R1_SHA256]);
    let refused = auth.attempt(AuthKind::Mldsa).unwrap();
    assert_eq!(refused.error_kind, Some(ErrorKind::Alert), "{refused:?}");
    let finding = r
        .assessed
        .findings
        .iter()
        .find(|f| f.id == FindingKind::NoMldsaAuthentication)
        .unwrap_or_else(|| panic!("{:?}", r.assessed.findings));
    assert_eq!(finding.profiles, ["openssl3.5"]);
    assert_eq!(finding.certificates, [ec.fingerprint()]);
}

// ---- Go crypto/tls ----------------------------------------------------------------------

#[tokio::test]
async fn go124_server_authenticates_classically_only() {
    if !require(&["goserver-1.24"]) {
        return;
    }
    let peer = go_server("1.24");
    // go1.24 cannot verify ML-DSA; OpenSSL 3.5 can.
    let r = probe(&peer, "go1.24,openssl3.5", &[DeadlineTable::Nist]).await;
    let auth = r.observed.authentication.as_ref().unwrap();
    assert!(!auth.mldsa && auth.classical, "{auth:?}");
    assert_eq!(auth.schemes, [S::ECDSA_SECP256R1_SHA256]);
    let refused = auth.attempt(AuthKind::Mldsa).unwrap();
    assert!(!refused.completed && refused.answered(), "{refused:?}");
    // goserver's own certificate: self-signed ECDSA P-256 for localhost, one year.
    assert_eq!(
        summary(&r),
        [row(
            "CN=localhost",
            "leaf",
            "EC",
            "ecdsa-with-SHA256",
            false
        )]
    );
    let leaf = &r.assessed.certificates[0];
    assert_eq!(leaf.facts.key.curve.as_deref(), Some("P-256"));
    assert_eq!(leaf.deadlines[0].status, DeadlineStatus::Vulnerable);
    assert_eq!(
        leaf.deadlines[0].disallowed_after.as_deref(),
        Some("2035-12-31")
    );
    assert_eq!(
        kinds(&r),
        [
            FindingKind::QuantumVulnerableKey,
            FindingKind::NoMldsaAuthentication
        ]
    );
    assert!(r.assessed.findings[0]
        .detail
        .contains("quantum-vulnerable key, replace by 2035-12-31"));
    assert_eq!(r.assessed.findings[1].profiles, ["openssl3.5"]);
}

/// A full probe: the two handshakes are 2 more connections, the handshake
/// check's chain is analysed first.
#[tokio::test]
async fn full_probe_of_openssl35_counts_the_certificates_check() {
    if !require(&["openssl"]) {
        return;
    }
    let (peer, root, leaf) = mldsa_s_server(|_| Vec::new());
    let r = loopback::probe(peer.addr, Some("localhost"), Duration::from_secs(10)).await;
    assert_eq!(r.error, None);
    // An ML-DSA-only server cannot do TLS 1.2 (no ML-DSA scheme there).
    assert_eq!(r.observed.tls_versions, [V::TLS1_3]);
    let per_check: u32 = r.observed.checks.iter().map(|c| c.connections).sum();
    assert_eq!(per_check, r.observed.connections);
    let certificates = r
        .observed
        .checks
        .iter()
        .find(|c| c.id == pqready::vocab::CheckId::Certificates)
        .unwrap();
    assert_eq!(certificates.connections, 2);
    assert_mldsa_only(&r, &root, &leaf);
}

// ---- the ML-DSA signature is verified, never assumed ------------------------------

/// Serves one certified key whatever the client asks: rustls' own
/// `with_single_cert` would refuse a key that does not match its certificate.
#[derive(Debug)]
struct Always(std::sync::Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for Always {
    fn resolve(
        &self,
        _: rustls::server::ClientHello<'_>,
    ) -> Option<std::sync::Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// An in-process rustls TLS 1.3 server presenting an ML-DSA-65 certificate
/// and signing its handshakes with `signer` (the certificate's key, or not).
async fn rustls_mldsa_server(
    cert: &rcgen::Certificate,
    signer: &rcgen::KeyPair,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            signer.serialize_der(),
        )))
        .expect("aws-lc-rs loads ML-DSA-65 keys");
    let certified = rustls::sign::CertifiedKey::new(vec![cert.der().clone()], key);
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(std::sync::Arc::new(Always(std::sync::Arc::new(certified))));
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(stream)).await;
            });
        }
    });
    (addr, task)
}

#[tokio::test]
async fn a_wrong_mldsa_signature_does_not_authenticate() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_65).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let impostor = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_65).unwrap();
    let mut config = loopback::config(Duration::from_secs(5));
    config.checks = CheckSet::select(&["certificates".into()], &[]).unwrap();
    let rules = CertRules::default();
    let run = |addr| {
        let (config, rules) = (config.clone(), rules.clone());
        async move { scan_one_with(&loopback::target(addr, Some("localhost")), &config, &rules).await }
    };

    // Signed with the certificate's own key: ML-DSA authentication.
    let (addr, honest) = rustls_mldsa_server(&cert, &key).await;
    let r = run(addr).await;
    let auth = r.observed.authentication.as_ref().unwrap();
    assert!(auth.mldsa, "{auth:?}");
    assert_eq!(auth.schemes, [S::MLDSA65]);
    honest.abort();

    // The same certificate, the handshake signed with another ML-DSA-65 key:
    // the signature does not verify, so the server does not authenticate.
    let (addr, forger) = rustls_mldsa_server(&cert, &impostor).await;
    let r = run(addr).await;
    let auth = r.observed.authentication.as_ref().unwrap();
    assert!(!auth.mldsa && !auth.classical, "{auth:?}");
    assert!(auth.schemes.is_empty());
    let attempt = auth.attempt(AuthKind::Mldsa).unwrap();
    assert!(!attempt.completed && attempt.scheme.is_none());
    assert_eq!(attempt.error_kind, Some(ErrorKind::Tls), "{attempt:?}");
    assert!(
        attempt.error.as_deref().unwrap().contains("BadSignature"),
        "{attempt:?}"
    );
    // The server did answer (with a bad signature): the check completed.
    assert!(attempt.answered());
    forger.abort();
}
