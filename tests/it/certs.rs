//! `pqready certs` on real material, through the real binary: certificates,
//! keys and CSRs made by OpenSSL 3.5 (the peer prefix, `scripts/install-peers`)
//! for RSA 2048/4096, EC P-256/384/521, Ed25519, Ed448, ML-DSA-44/65/87 and
//! SLH-DSA SHA2-128s/SHAKE-128f/SHA2-256f, in PEM and DER, PKCS#8, PKCS#1,
//! SEC1 and encrypted; certificates made by rcgen; a PEM bundle and a chain;
//! standard input; a kubeadm-shaped PKI directory built with OpenSSL;
//! kubeconfigs with embedded data and with file references; TLS Secrets in
//! YAML, JSON and as a List. Names and sizes are compared with what
//! `openssl x509 -noout -text` prints.
//!
//! Private keys, `client-key-data` and tokens must never appear in output,
//! and hostile files (malformed PEM, truncated DER, random bytes, hostile
//! ASN.1, a file over the size cap, YAML bombs, FIFOs, link loops) must be
//! per-file errors with exit status 2, never a panic.
//!
//! Without the peer prefix the OpenSSL tests skip with one line;
//! `scripts/test` (PQREADY_REQUIRE_PEERS=1) fails instead.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use crate::support;

// ---------------------------------------------------------------- helpers

use support::peers::openssl_in as openssl;

/// `NAME.key` and a self-signed `NAME.crt` for `/CN=CN`, made by OpenSSL 3.5
/// with `-newkey NEWKEY...` (e.g. `["EC", "-pkeyopt", "ec_paramgen_curve:P-256"]`).
fn self_signed(dir: &Path, newkey: &[&str], name: &str, cn: &str, days: &str) {
    let (key, crt, subject) = (
        format!("{name}.key"),
        format!("{name}.crt"),
        format!("/CN={cn}"),
    );
    let mut args = vec!["req", "-x509", "-newkey"];
    args.extend_from_slice(newkey);
    args.extend_from_slice(&[
        "-nodes", "-keyout", &key, "-subj", &subject, "-days", days, "-out", &crt,
    ]);
    openssl(dir, &args);
}

/// `NAME.key` (a new `newkey` key) and `NAME.crt` for `/CN=cn` in `dir`,
/// issued by `ca` (`CA.crt`, `CA.key`) with OpenSSL 3.5 (`req -new`, then
/// `x509 -req` with `x509_args`).
fn issued(dir: &Path, newkey: &str, name: &str, cn: &str, ca: &str, x509_args: &[&str]) {
    let (key, csr, crt, subject) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.crt"),
        format!("/CN={cn}"),
    );
    let (ca_crt, ca_key) = (format!("{ca}.crt"), format!("{ca}.key"));
    openssl(
        dir,
        &[
            "req", "-new", "-newkey", newkey, "-nodes", "-keyout", &key, "-subj", &subject, "-out",
            &csr,
        ],
    );
    let mut args = vec![
        "x509", "-req", "-in", &csr, "-CA", &ca_crt, "-CAkey", &ca_key,
    ];
    args.extend_from_slice(x509_args);
    args.extend_from_slice(&["-out", &crt]);
    openssl(dir, &args);
}

fn run(args: &[&str]) -> Output {
    support::command::run(args)
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    support::command::run_with_stdin(args, input)
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `pqready certs ARGS -o json`: exit code and the one document.
fn certs_json(args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["certs"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json"]);
    let out = run(&all);
    let (stdout, stderr) = text(&out);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "one document:\n{stdout}\n{stderr}"
    );
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(doc["schema"], "pqready/v1");
    assert_eq!(doc["kind"], "certs");
    (out.status.code(), doc)
}

/// The file entry whose path ends with `name`.
fn entry<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no file {name} in {doc:#}"))
}

/// The only certificate of a file entry.
fn only_cert(file: &Value) -> &Value {
    let certs = file["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 1, "{file:#}");
    &certs[0]
}

/// The only key of a file entry.
fn only_key(file: &Value) -> &Value {
    let keys = file["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{file:#}");
    &keys[0]
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

fn finding_ids(file: &Value) -> Vec<&str> {
    file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

/// The year of an RFC 3339 timestamp.
fn year(timestamp: &Value) -> i64 {
    timestamp.as_str().unwrap()[..4].parse().unwrap()
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn b64_file(path: &Path) -> String {
    B64.encode(std::fs::read(path).unwrap())
}

// ------------------------------------------------- every algorithm, exactly

/// One algorithm OpenSSL 3.5 makes keys for, with what pqready must say.
struct Algorithm {
    id: &'static str,
    genpkey: &'static [&'static str],
    key_algorithm: &'static str,
    key_bits: Option<u64>,
    curve: Option<&'static str>,
    signature: &'static str,
    quantum_safe: bool,
    nist_level: Option<u64>,
    /// NIST IR 8547 ipd: status, deprecated after, disallowed after.
    nist: (&'static str, Option<&'static str>, Option<&'static str>),
    /// CNSA 2.0: the same.
    cnsa2: (&'static str, Option<&'static str>, Option<&'static str>),
}

const Y2030: Option<&str> = Some("2030-12-31");
const Y2035: Option<&str> = Some("2035-12-31");
const Y2025: Option<&str> = Some("2025-12-31");
const Y2033: Option<&str> = Some("2033-12-31");

const fn alg(
    id: &'static str,
    genpkey: &'static [&'static str],
    key_algorithm: &'static str,
    key_bits: Option<u64>,
    curve: Option<&'static str>,
    signature: &'static str,
) -> Algorithm {
    Algorithm {
        id,
        genpkey,
        key_algorithm,
        key_bits,
        curve,
        signature,
        quantum_safe: false,
        nist_level: None,
        nist: ("vulnerable", None, Y2035),
        cnsa2: ("disallowed", None, None),
    }
}

const fn pq(id: &'static str, name: &'static str, level: u64) -> Algorithm {
    Algorithm {
        id,
        genpkey: &[],
        key_algorithm: name,
        key_bits: None,
        curve: None,
        signature: name,
        quantum_safe: true,
        nist_level: Some(level),
        nist: ("acceptable", None, None),
        cnsa2: ("not-approved", None, None),
    }
}

fn algorithms() -> Vec<Algorithm> {
    const RSA2048: &[&str] = &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
    const RSA4096: &[&str] = &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"];
    const P256: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
    const P384: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"];
    const P521: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"];
    const RSA_SIG: &str = "sha256WithRSAEncryption";
    const EC_SIG: &str = "ecdsa-with-SHA256";
    let mut out = vec![
        Algorithm {
            nist: ("vulnerable", Y2030, Y2035),
            ..alg("rsa2048", RSA2048, "RSA", Some(2048), None, RSA_SIG)
        },
        Algorithm {
            cnsa2: ("vulnerable", Y2025, Y2033),
            ..alg("rsa4096", RSA4096, "RSA", Some(4096), None, RSA_SIG)
        },
        alg("p256", P256, "EC", None, Some("P-256"), EC_SIG),
        Algorithm {
            cnsa2: ("vulnerable", Y2025, Y2033),
            ..alg("p384", P384, "EC", None, Some("P-384"), EC_SIG)
        },
        // CNSA 1.0 names P-384 alone: P-521 was never CNSA.
        alg("p521", P521, "EC", None, Some("P-521"), EC_SIG),
        alg(
            "ed25519",
            &["-algorithm", "ED25519"],
            "Ed25519",
            None,
            None,
            "Ed25519",
        ),
        alg(
            "ed448",
            &["-algorithm", "ED448"],
            "Ed448",
            None,
            None,
            "Ed448",
        ),
        pq("mldsa44", "ML-DSA-44", 2),
        pq("mldsa65", "ML-DSA-65", 3),
        Algorithm {
            cnsa2: ("acceptable", None, None),
            ..pq("mldsa87", "ML-DSA-87", 5)
        },
        pq("slh-sha2-128s", "SLH-DSA-SHA2-128s", 1),
        pq("slh-shake-128f", "SLH-DSA-SHAKE-128f", 1),
        pq("slh-sha2-256f", "SLH-DSA-SHA2-256f", 5),
    ];
    for a in &mut out {
        if a.genpkey.is_empty() {
            a.genpkey = match a.key_algorithm {
                "ML-DSA-44" => &["-algorithm", "ML-DSA-44"],
                "ML-DSA-65" => &["-algorithm", "ML-DSA-65"],
                "ML-DSA-87" => &["-algorithm", "ML-DSA-87"],
                "SLH-DSA-SHA2-128s" => &["-algorithm", "SLH-DSA-SHA2-128s"],
                "SLH-DSA-SHAKE-128f" => &["-algorithm", "SLH-DSA-SHAKE-128f"],
                _ => &["-algorithm", "SLH-DSA-SHA2-256f"],
            };
        }
    }
    out
}

/// Writes, for `a`, with OpenSSL 3.5: the PKCS#8 key, its public key, a
/// self-signed certificate and a CSR in PEM and DER; for RSA also PKCS#1
/// private and public keys and a legacy-encrypted key; for EC a SEC1 key
/// (PEM and DER); and an encrypted PKCS#8 key.
fn make_material(dir: &Path, a: &Algorithm) {
    let id = a.id;
    let key = format!("{id}.key");
    let mut args = vec!["genpkey"];
    args.extend_from_slice(a.genpkey);
    args.extend_from_slice(&["-out", &key]);
    openssl(dir, &args);
    let subject = format!("/CN={id}.test");
    let csr_subject = format!("/CN={id}-csr");
    let san = format!("subjectAltName=DNS:{id}.test,IP:127.0.0.1");
    let (crt, csr, public) = (
        format!("{id}.crt"),
        format!("{id}.csr"),
        format!("{id}.pub"),
    );
    openssl(
        dir,
        &[
            "req", "-x509", "-new", "-key", &key, "-subj", &subject, "-addext", &san, "-days",
            "365", "-out", &crt,
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            &csr_subject,
            "-out",
            &csr,
        ],
    );
    openssl(dir, &["pkey", "-in", &key, "-pubout", "-out", &public]);
    for (from, to, command) in [
        (&crt, format!("{id}-cert.der"), "x509"),
        (&csr, format!("{id}-csr.der"), "req"),
    ] {
        openssl(dir, &[command, "-in", from, "-outform", "DER", "-out", &to]);
    }
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            &key,
            "-outform",
            "DER",
            "-out",
            &format!("{id}-key.der"),
        ],
    );
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            &key,
            "-pubout",
            "-outform",
            "DER",
            "-out",
            &format!("{id}-pub.der"),
        ],
    );
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            &key,
            "-aes256",
            "-passout",
            "pass:test",
            "-out",
            &format!("{id}-enc.key"),
        ],
    );
    if a.key_algorithm == "RSA" {
        openssl(
            dir,
            &[
                "pkey",
                "-in",
                &key,
                "-traditional",
                "-out",
                &format!("{id}-pkcs1.key"),
            ],
        );
        openssl(
            dir,
            &[
                "rsa",
                "-in",
                &key,
                "-RSAPublicKey_out",
                "-out",
                &format!("{id}-pkcs1.pub"),
            ],
        );
        openssl(
            dir,
            &[
                "pkey",
                "-in",
                &key,
                "-traditional",
                "-aes256",
                "-passout",
                "pass:test",
                "-out",
                &format!("{id}-legacy-enc.key"),
            ],
        );
    }
    if a.key_algorithm == "EC" {
        openssl(
            dir,
            &[
                "pkey",
                "-in",
                &key,
                "-traditional",
                "-out",
                &format!("{id}-sec1.key"),
            ],
        );
        openssl(
            dir,
            &[
                "pkey",
                "-in",
                &key,
                "-traditional",
                "-outform",
                "DER",
                "-out",
                &format!("{id}-sec1.der"),
            ],
        );
    }
}

/// What `openssl x509 -noout -text` says: (signature algorithm, public key
/// algorithm, RSA bits, NIST curve).
fn openssl_says(dir: &Path, crt: &str) -> (String, String, Option<u64>, Option<String>) {
    let text = openssl(dir, &["x509", "-in", crt, "-noout", "-text"]);
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|v| v.trim().to_string())
    };
    let bits = text.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Public-Key: (")
            .and_then(|r| r.strip_suffix(" bit)"))
            .and_then(|n| n.parse().ok())
    });
    (
        field("Signature Algorithm:").unwrap(),
        field("Public Key Algorithm:").unwrap(),
        bits,
        field("NIST CURVE:"),
    )
}

fn assert_deadline(
    what: &str,
    d: &Value,
    table: &str,
    (status, deprecated, disallowed): (&str, Option<&str>, Option<&str>),
) {
    assert_eq!(d["table"], table, "{what}");
    assert_eq!(d["status"], status, "{what} {table}");
    assert_eq!(d["deprecated_after"].as_str(), deprecated, "{what} {table}");
    assert_eq!(d["disallowed_after"].as_str(), disallowed, "{what} {table}");
}

/// The key fields every form of `a`'s key must carry.
fn assert_key(what: &str, v: &Value, a: &Algorithm) {
    assert_eq!(v["key_algorithm"], a.key_algorithm, "{what}");
    assert_eq!(v["key_bits"].as_u64(), a.key_bits, "{what}");
    assert_eq!(v["curve"].as_str(), a.curve, "{what}");
    assert_eq!(v["nist_level"].as_u64(), a.nist_level, "{what}");
    assert_eq!(v["quantum_safe"], a.quantum_safe, "{what}");
    assert_deadline(what, &v["deadlines"][0], "nist", a.nist);
    assert_deadline(what, &v["deadlines"][1], "cnsa2", a.cnsa2);
}

#[test]
fn openssl_keys_certificates_and_csrs_have_exact_names_and_sizes() {
    if !support::peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let algorithms = algorithms();
    for a in &algorithms {
        make_material(dir.path(), a);
    }
    let (code, doc) = certs_json(&[dir.path().to_str().unwrap(), "--deadlines", "nist,cnsa2"]);
    assert_eq!(code, Some(0), "{doc:#}");
    for a in &algorithms {
        let id = a.id;
        // The certificate, against OpenSSL's own description of it.
        let (sig, key_alg, bits, curve) = openssl_says(dir.path(), &format!("{id}.crt"));
        for (name, format) in [
            (format!("{id}.crt"), "pem"),
            (format!("{id}-cert.der"), "der"),
        ] {
            let file = entry(&doc, &name);
            assert_eq!(file["format"], format, "{name}");
            assert!(file["error"].is_null(), "{name}: {}", file["error"]);
            let cert = only_cert(file);
            assert_key(&name, cert, a);
            assert_eq!(cert["signature_algorithm"], a.signature, "{name}");
            assert!(
                sig.eq_ignore_ascii_case(a.signature),
                "{name}: openssl says {sig}"
            );
            match (a.key_bits, a.curve) {
                (Some(b), _) => assert_eq!(bits, Some(b), "{name}: openssl bits"),
                (_, Some(c)) => assert_eq!(curve.as_deref(), Some(c), "{name}: openssl curve"),
                _ => assert!(
                    key_alg.eq_ignore_ascii_case(a.key_algorithm),
                    "{name}: {key_alg}"
                ),
            }
            assert_eq!(cert["subject"], format!("CN={id}.test"), "{name}");
            assert_eq!(cert["issuer"], cert["subject"], "{name}");
            assert_eq!(
                strs(&cert["sans"]),
                [format!("DNS:{id}.test").as_str(), "IP:127.0.0.1"],
                "{name}"
            );
            assert_eq!(cert["self_signed"], true, "{name}");
            assert_eq!(cert["fingerprint_sha256"].as_str().unwrap().len(), 64);
            assert!(cert["role"].is_null());
            // A classical key is an inventory finding; past 2030/2035 it is worse.
            let past_2030 = year(&cert["not_after"]) > 2030;
            let want = match (a.quantum_safe, past_2030) {
                (true, _) => vec![],
                (false, false) => vec!["quantum-vulnerable-key"],
                (false, true) => panic!("a 365-day certificate past 2030: check the clock"),
            };
            assert_eq!(finding_ids(file), want, "{name}");
        }
        // The CSR, PEM and DER.
        for name in [format!("{id}.csr"), format!("{id}-csr.der")] {
            let file = entry(&doc, &name);
            let csr = only_key(file);
            assert_eq!(csr["kind"], "csr", "{name}");
            assert_eq!(csr["subject"], format!("CN={id}-csr"), "{name}");
            assert_eq!(csr["signature_algorithm"], a.signature, "{name}");
            assert_key(&name, csr, a);
        }
        // Public and private keys in every form OpenSSL writes.
        let mut forms = vec![
            (format!("{id}.pub"), "public"),
            (format!("{id}-pub.der"), "public"),
            (format!("{id}.key"), "private"),
            (format!("{id}-key.der"), "private"),
        ];
        if a.key_algorithm == "RSA" {
            forms.push((format!("{id}-pkcs1.key"), "private"));
            forms.push((format!("{id}-pkcs1.pub"), "public"));
        }
        if a.key_algorithm == "EC" {
            forms.push((format!("{id}-sec1.key"), "private"));
            forms.push((format!("{id}-sec1.der"), "private"));
        }
        for (name, kind) in forms {
            let file = entry(&doc, &name);
            assert!(file["error"].is_null(), "{name}: {}", file["error"]);
            let key = only_key(file);
            assert_eq!(key["kind"], kind, "{name}");
            assert!(key["subject"].is_null(), "{name}");
            assert_key(&name, key, a);
            let ids = finding_ids(file);
            match (kind, a.quantum_safe) {
                ("public", false) => assert_eq!(ids, ["quantum-vulnerable-key"], "{name}"),
                _ => assert!(ids.is_empty(), "{name}: {ids:?}"),
            }
        }
        // Encrypted keys: only that they are.
        let mut encrypted = vec![format!("{id}-enc.key")];
        if a.key_algorithm == "RSA" {
            encrypted.push(format!("{id}-legacy-enc.key"));
        }
        for name in encrypted {
            let key = only_key(entry(&doc, &name));
            assert_eq!(key["kind"], "private", "{name}");
            assert_eq!(key["key_algorithm"], "encrypted", "{name}");
            assert!(
                key["key_bits"].is_null() && key["curve"].is_null(),
                "{name}"
            );
            assert_eq!(key["deadlines"][0]["status"], "unknown", "{name}");
        }
    }
    // Per algorithm: key, crt, csr, pub and their DER forms, an encrypted
    // key; RSA adds PKCS#1 private, public and legacy-encrypted keys, EC a
    // SEC1 key in PEM and DER.
    let files_of = |a: &Algorithm| match a.key_algorithm {
        "RSA" => 12,
        "EC" => 11,
        _ => 9,
    };
    let s = &doc["summary"];
    assert_eq!(s["files"], algorithms.iter().map(files_of).sum::<u64>());
    assert_eq!(s["certificates"], 2 * algorithms.len() as u64);
    assert_eq!(s["unreadable"], 0);
    assert_eq!(s["skipped"], 0);
    assert_eq!(s["deadlines"], serde_json::json!(["nist", "cnsa2"]));
    let encrypted = |a: &Algorithm| 1 + u64::from(a.key_algorithm == "RSA");
    assert_eq!(s["unknown"], algorithms.iter().map(encrypted).sum::<u64>());
    let safe = algorithms.iter().filter(|a| a.quantum_safe).count() as u64;
    assert_eq!(
        s["quantum_safe"],
        8 * safe,
        "certificate, CSR, public and private key, PEM and DER"
    );
    assert_eq!(
        s["quantum_vulnerable"].as_u64().unwrap()
            + s["quantum_safe"].as_u64().unwrap()
            + s["unknown"].as_u64().unwrap(),
        s["files"].as_u64().unwrap()
    );
    // RSA-2048, P-256, P-521, Ed25519 and Ed448 were never CNSA: already
    // disallowed, which comes before P-384's and RSA-4096's 2025 date.
    let crossed = &s["earliest_deadline_crossed"];
    assert_eq!(crossed["kind"], "already-disallowed", "{s:#}");
    assert_eq!(crossed["table"], "cnsa2");
    assert_eq!(crossed["certificates"], 10);

    // The table shows the same names.
    let out = run(&["certs", dir.path().to_str().unwrap()]);
    let (table, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    for needle in [
        "RSA-4096",
        "EC P-521",
        "Ed448",
        "ML-DSA-87",
        "SLH-DSA-SHAKE-128f",
        "sha256WithRSAEncryption",
        "deprecated after 2030-12-31, disallowed after 2035-12-31",
        "LOW quantum-vulnerable-key:",
    ] {
        assert!(table.contains(needle), "{needle}:\n{table}");
    }
    assert!(
        table.contains(&format!("{} files: ", s["files"])),
        "{table}"
    );
}

// ------------------------------------------------------------------ rcgen

/// rcgen's default validity runs to 4096: these tests set their own.
fn validity(params: &mut rcgen::CertificateParams, not_after_year: i32) {
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(not_after_year, 6, 1);
}

/// A certificate rcgen made, its key, and an issuer to sign more with.
struct Made {
    pem: String,
    key_pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

/// A certificate for `cn` with a new `alg` key, signed by `signer` (else
/// self-signed), valid from 2024 to June of `year`.
fn rcgen_cert(
    alg: &'static rcgen::SignatureAlgorithm,
    cn: &str,
    signer: Option<&rcgen::Issuer<'_, rcgen::KeyPair>>,
    ca: bool,
    year: i32,
) -> Made {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let sans = if ca { vec![] } else { vec![cn.to_string()] };
    let mut params = rcgen::CertificateParams::new(sans).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    validity(&mut params, year);
    if ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let cert = match signer {
        Some(issuer) => params.signed_by(&key, issuer).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    Made {
        pem: cert.pem(),
        key_pem: key.serialize_pem(),
        issuer: rcgen::Issuer::new(params, key),
    }
}

/// rcgen-made chains and dates: an ML-DSA leaf under an ML-DSA intermediate
/// under a P-384 root (a mixed chain, read leaf first from one bundle), an
/// ML-DSA key certified by ECDSA (not quantum-safe, mixed), an all
/// ML-DSA-87 chain, and P-256 leaves valid past 2035, past 2030 only, and
/// expired.
#[test]
fn rcgen_chains_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    let root = rcgen_cert(
        &rcgen::PKCS_ECDSA_P384_SHA384,
        "P-384 root",
        None,
        true,
        2029,
    );
    let inter = rcgen_cert(
        &rcgen::PKCS_ML_DSA_65,
        "ML-DSA intermediate",
        Some(&root.issuer),
        true,
        2029,
    );
    let leaf = rcgen_cert(
        &rcgen::PKCS_ML_DSA_44,
        "pq.test",
        Some(&inter.issuer),
        false,
        2028,
    );
    write(
        &dir.path().join("mixed.pem"),
        format!("{}{}{}", leaf.pem, inter.pem, root.pem),
    );
    let under_ec = rcgen_cert(
        &rcgen::PKCS_ML_DSA_44,
        "pq-under-ec.test",
        Some(&root.issuer),
        false,
        2028,
    );
    write(
        &dir.path().join("under-ec.pem"),
        format!("{}{}", under_ec.pem, root.pem),
    );
    let pq_root = rcgen_cert(&rcgen::PKCS_ML_DSA_87, "ML-DSA-87 root", None, true, 2029);
    let pq87 = rcgen_cert(
        &rcgen::PKCS_ML_DSA_87,
        "pq87.test",
        Some(&pq_root.issuer),
        false,
        2028,
    );
    write(
        &dir.path().join("pq.pem"),
        format!("{}{}", pq87.pem, pq_root.pem),
    );
    for (name, year) in [("y2040", 2040), ("y2032", 2032), ("y2025", 2025)] {
        let made = rcgen_cert(
            &rcgen::PKCS_ECDSA_P256_SHA256,
            name,
            Some(&root.issuer),
            false,
            year,
        );
        write(&dir.path().join(format!("{name}.crt")), made.pem);
    }
    let ed = rcgen_cert(
        &rcgen::PKCS_ED25519,
        "ed.test",
        Some(&root.issuer),
        false,
        2028,
    );
    write(&dir.path().join("ed.crt"), ed.pem);
    write(&dir.path().join("ed.key"), ed.key_pem);

    let (code, doc) = certs_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(0), "{doc:#}");
    let mixed = entry(&doc, "mixed.pem");
    let certs = mixed["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 3);
    assert_eq!(certs[0]["key_algorithm"], "ML-DSA-44");
    assert_eq!(certs[0]["nist_level"], 2);
    assert_eq!(certs[0]["signature_algorithm"], "ML-DSA-65");
    assert_eq!(certs[0]["quantum_safe"], true);
    assert_eq!(certs[1]["key_algorithm"], "ML-DSA-65");
    assert_eq!(certs[1]["signature_algorithm"], "ecdsa-with-SHA384");
    assert_eq!(certs[1]["quantum_safe"], false, "signed with ECDSA");
    assert_eq!(certs[2]["curve"], "P-384");
    assert_eq!(certs[2]["is_ca"], true);
    assert_eq!(certs[2]["self_signed"], true);
    for (i, cert) in certs.iter().enumerate() {
        assert_eq!(cert["chain"], certs[0]["chain"]);
        assert_eq!(cert["position"], i);
    }
    assert_eq!(certs[0]["issuer"], certs[1]["subject"]);
    assert_eq!(certs[1]["issuer"], certs[2]["subject"]);
    assert_eq!(
        finding_ids(mixed),
        ["mixed-chain", "quantum-vulnerable-key"],
        "{mixed:#}"
    );
    let under_ec = entry(&doc, "under-ec.pem");
    assert_eq!(under_ec["certificates"][0]["key_algorithm"], "ML-DSA-44");
    assert_eq!(under_ec["certificates"][0]["quantum_safe"], false);
    assert_eq!(
        finding_ids(under_ec),
        ["mixed-chain", "quantum-vulnerable-key"],
        "the leaf's ML-DSA key signs the handshake, ECDSA signed the leaf"
    );
    let pq = entry(&doc, "pq.pem");
    assert!(pq["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["quantum_safe"] == true));
    assert!(finding_ids(pq).is_empty(), "{pq:#}");
    assert_eq!(
        finding_ids(entry(&doc, "y2040.crt")),
        ["valid-past-disallowance"]
    );
    assert_eq!(
        entry(&doc, "y2040.crt")["certificates"][0]["deadlines"][0]["valid_past_disallowance"],
        true
    );
    assert_eq!(
        finding_ids(entry(&doc, "y2032.crt")),
        ["quantum-vulnerable-key"],
        "P-256 has no 2030 date"
    );
    assert_eq!(
        finding_ids(entry(&doc, "y2025.crt")),
        ["certificate-expired", "quantum-vulnerable-key"]
    );
    let ed = entry(&doc, "ed.crt");
    assert_eq!(only_cert(ed)["key_algorithm"], "Ed25519");
    assert_eq!(only_cert(ed)["signature_algorithm"], "ecdsa-with-SHA384");
    assert_eq!(only_key(entry(&doc, "ed.key"))["key_algorithm"], "Ed25519");
    let s = &doc["summary"];
    assert_eq!(s["findings"]["high"], 2, "{s:#}");
    assert_eq!(s["findings"]["medium"], 2, "{s:#}");
    assert_eq!(s["earliest_deadline_crossed"]["date"], "2035-12-31");
    assert_eq!(s["earliest_deadline_crossed"]["certificates"], 1);

    // The chain is a numbered table, leaf first.
    let out = run(&["certs", dir.path().join("mixed.pem").to_str().unwrap()]);
    let (table, _) = text(&out);
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| ["  0  ", "  1  ", "  2  "].iter().any(|p| l.starts_with(p)))
        .collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(
        rows[0].contains("pq.test") && rows[0].contains("ML-DSA-44"),
        "{table}"
    );
    assert!(
        rows[2].contains("P-384 root") && rows[2].contains("EC P-384"),
        "{table}"
    );
    assert!(
        table.contains(
            "MEDIUM mixed-chain: chain pq.test (ML-DSA-65) <- ML-DSA intermediate (ecdsa-with-SHA384) <- P-384 root (ecdsa-with-SHA384)"
        ),
        "{table}"
    );
}

// ------------------------------------------- bundles, DER and standard input

#[test]
fn openssl_chain_bundle_der_and_stdin() {
    if !support::peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    self_signed(d, &["ML-DSA-87"], "ca", "PQ Root", "3650");
    issued(
        d,
        "ML-DSA-65",
        "leaf",
        "leaf.test",
        "ca",
        &["-set_serial", "7", "-days", "90"],
    );
    write(
        &d.join("bundle.pem"),
        read(&d.join("leaf.crt")) + &read(&d.join("ca.crt")),
    );
    openssl(
        d,
        &[
            "x509", "-in", "leaf.crt", "-outform", "DER", "-out", "leaf.der",
        ],
    );

    let (code, doc) = certs_json(&[d.join("bundle.pem").to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let certs = entry(&doc, "bundle.pem")["certificates"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0]["subject"], "CN=leaf.test");
    assert_eq!(certs[0]["issuer"], "CN=PQ Root");
    assert_eq!(certs[0]["serial"], "07");
    assert_eq!(certs[0]["signature_algorithm"], "ML-DSA-87");
    assert_eq!(certs[0]["key_algorithm"], "ML-DSA-65");
    assert_eq!(certs[0]["quantum_safe"], true);
    assert_eq!(certs[0]["self_signed"], false);
    assert_eq!(certs[1]["self_signed"], true);
    assert_eq!(certs[0]["source"], "block 1");
    assert_eq!(certs[1]["source"], "block 2");
    // Fingerprints match OpenSSL's.
    let fp = openssl(
        d,
        &[
            "x509",
            "-in",
            "leaf.crt",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    );
    let fp = fp
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_lowercase();
    assert_eq!(certs[0]["fingerprint_sha256"], fp.as_str());

    // DER on standard input.
    let der = std::fs::read(d.join("leaf.der")).unwrap();
    let out = run_stdin(&["certs", "-", "-o", "json"], &der);
    assert!(out.status.success(), "{}", text(&out).1);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"][0]["path"], "-");
    assert_eq!(doc["files"][0]["format"], "der");
    assert_eq!(
        doc["files"][0]["certificates"][0]["fingerprint_sha256"],
        fp.as_str()
    );
    // A PEM bundle on standard input, as a table.
    let out = run_stdin(&["certs", "-"], read(&d.join("bundle.pem")).as_bytes());
    let (table, _) = text(&out);
    assert!(table.starts_with("- (stdin) (pem)\n"), "{table}");
    assert!(table.contains("leaf.test"), "{table}");
}

// ------------------------------------------------------------------ kubeadm

/// A kubeadm-shaped /etc/kubernetes: pki/ with every certificate and key
/// kubeadm writes (RSA-2048 PKCS#1 keys as kubeadm writes them, leaves
/// signed by their CA), the kubeconfigs with embedded data, and a static pod
/// manifest that is not certificate material.
fn kubeadm_tree(root: &Path) {
    let pki = root.join("pki");
    std::fs::create_dir_all(pki.join("etcd")).unwrap();
    let key = |dir: &Path, name: &str| {
        openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &format!("{name}.p8"),
            ],
        );
        openssl(
            dir,
            &[
                "pkey",
                "-in",
                &format!("{name}.p8"),
                "-traditional",
                "-out",
                &format!("{name}.key"),
            ],
        );
        std::fs::remove_file(dir.join(format!("{name}.p8"))).unwrap();
    };
    let ca = |dir: &Path, name: &str, cn: &str| {
        key(dir, name);
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                &format!("{name}.key"),
                "-subj",
                &format!("/CN={cn}"),
                "-days",
                "3650",
                "-out",
                &format!("{name}.crt"),
            ],
        );
    };
    let leaf =
        |dir: &Path, name: &str, ca_name: &str, subject: &str, san: Option<&str>, serial: u32| {
            key(dir, name);
            let (key_file, csr) = (format!("{name}.key"), format!("{name}.csr"));
            let ext = san.map(|san| format!("subjectAltName={san}"));
            let mut args = vec![
                "req", "-new", "-key", &key_file, "-subj", subject, "-out", &csr,
            ];
            if let Some(ext) = &ext {
                args.extend_from_slice(&["-addext", ext]);
            }
            openssl(dir, &args);
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    &format!("{ca_name}.crt"),
                    "-CAkey",
                    &format!("{ca_name}.key"),
                    "-set_serial",
                    &serial.to_string(),
                    "-days",
                    "365",
                    "-copy_extensions",
                    "copy",
                    "-out",
                    &format!("{name}.crt"),
                ],
            );
            std::fs::remove_file(dir.join(csr)).unwrap();
        };
    ca(&pki, "ca", "kubernetes");
    leaf(
        &pki,
        "apiserver",
        "ca",
        "/CN=kube-apiserver",
        Some("DNS:kubernetes,DNS:kubernetes.default.svc,IP:10.96.0.1"),
        1,
    );
    leaf(
        &pki,
        "apiserver-kubelet-client",
        "ca",
        "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client",
        None,
        2,
    );
    ca(&pki, "front-proxy-ca", "front-proxy-ca");
    leaf(
        &pki,
        "front-proxy-client",
        "front-proxy-ca",
        "/CN=front-proxy-client",
        None,
        3,
    );
    let etcd = pki.join("etcd");
    ca(&etcd, "ca", "etcd-ca");
    leaf(
        &etcd,
        "server",
        "ca",
        "/CN=node-a",
        Some("DNS:node-a,DNS:localhost,IP:127.0.0.1"),
        4,
    );
    leaf(
        &etcd,
        "peer",
        "ca",
        "/CN=node-a",
        Some("DNS:node-a,IP:10.0.0.5"),
        5,
    );
    leaf(
        &etcd,
        "healthcheck-client",
        "ca",
        "/CN=kube-etcd-healthcheck-client",
        None,
        6,
    );
    // apiserver-etcd-client is signed by the etcd CA but lives in pki/.
    std::fs::copy(etcd.join("ca.crt"), pki.join("etcd-ca.crt")).unwrap();
    std::fs::copy(etcd.join("ca.key"), pki.join("etcd-ca.key")).unwrap();
    leaf(
        &pki,
        "apiserver-etcd-client",
        "etcd-ca",
        "/CN=kube-apiserver-etcd-client",
        None,
        7,
    );
    std::fs::remove_file(pki.join("etcd-ca.crt")).unwrap();
    std::fs::remove_file(pki.join("etcd-ca.key")).unwrap();
    key(&pki, "sa");
    openssl(
        &pki,
        &["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"],
    );
    // The kubeconfigs kubeadm writes next to pki/.
    for (file, user, cn, serial) in [
        (
            "admin.conf",
            "kubernetes-admin",
            "/O=kubeadm:cluster-admins/CN=kubernetes-admin",
            8,
        ),
        (
            "super-admin.conf",
            "kubernetes-super-admin",
            "/O=system:masters/CN=kubernetes-super-admin",
            9,
        ),
    ] {
        let name = file.trim_end_matches(".conf");
        leaf(&pki, name, "ca", cn, None, serial);
        let conf = kubeconfig_yaml(
            "kubernetes",
            &b64_file(&pki.join("ca.crt")),
            user,
            &b64_file(&pki.join(format!("{name}.crt"))),
            &b64_file(&pki.join(format!("{name}.key"))),
        );
        write(&root.join(file), conf);
        std::fs::remove_file(pki.join(format!("{name}.crt"))).unwrap();
        std::fs::remove_file(pki.join(format!("{name}.key"))).unwrap();
    }
    write(
        &root.join("manifests/kube-apiserver.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-apiserver\n    command: [kube-apiserver, --tls-cert-file=/etc/kubernetes/pki/apiserver.crt]\n",
    );
}

/// A kubeconfig as kubeadm writes it, with embedded data.
fn kubeconfig_yaml(cluster: &str, ca: &str, user: &str, cert: &str, key: &str) -> String {
    format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: https://10.0.0.5:6443\n  name: {cluster}\n\
         contexts:\n- context:\n    cluster: {cluster}\n    user: {user}\n  name: {user}@{cluster}\n\
         current-context: {user}@{cluster}\nkind: Config\npreferences: {{}}\nusers:\n- name: {user}\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n"
    )
}

#[test]
fn kubeadm_pki_directory_roles() {
    if !support::peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("kubernetes");
    kubeadm_tree(&root);
    let (code, doc) = certs_json(&[root.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{doc:#}");
    let roles: BTreeMap<&str, &str> = [
        ("pki/ca", "cluster-ca"),
        ("pki/apiserver", "apiserver"),
        ("pki/apiserver-kubelet-client", "apiserver-kubelet-client"),
        ("pki/apiserver-etcd-client", "apiserver-etcd-client"),
        ("pki/front-proxy-ca", "front-proxy-ca"),
        ("pki/front-proxy-client", "front-proxy-client"),
        ("pki/etcd/ca", "etcd-ca"),
        ("pki/etcd/server", "etcd-server"),
        ("pki/etcd/peer", "etcd-peer"),
        ("pki/etcd/healthcheck-client", "etcd-healthcheck-client"),
    ]
    .into_iter()
    .collect();
    for (stem, role) in &roles {
        let cert = only_cert(entry(&doc, &format!("kubernetes/{stem}.crt")));
        assert_eq!(cert["role"], *role, "{stem}.crt");
        assert_eq!(cert["key_algorithm"], "RSA");
        assert_eq!(cert["key_bits"], 2048);
        assert_eq!(cert["signature_algorithm"], "sha256WithRSAEncryption");
        let key = only_key(entry(&doc, &format!("kubernetes/{stem}.key")));
        assert_eq!(key["role"], *role, "{stem}.key");
        assert_eq!(key["kind"], "private");
        assert_eq!(key["key_bits"], 2048);
    }
    let issuer =
        |stem: &str| only_cert(entry(&doc, &format!("kubernetes/{stem}.crt")))["issuer"].clone();
    assert_eq!(issuer("pki/apiserver"), "CN=kubernetes");
    assert_eq!(issuer("pki/apiserver-etcd-client"), "CN=etcd-ca");
    assert_eq!(issuer("pki/front-proxy-client"), "CN=front-proxy-ca");
    assert_eq!(
        strs(&only_cert(entry(&doc, "pki/apiserver.crt"))["sans"]),
        [
            "DNS:kubernetes",
            "DNS:kubernetes.default.svc",
            "IP:10.96.0.1"
        ]
    );
    assert_eq!(only_cert(entry(&doc, "pki/ca.crt"))["is_ca"], true);
    let sa = only_key(entry(&doc, "pki/sa.key"));
    assert_eq!(
        (&sa["role"], &sa["kind"]),
        (&"service-account-key".into(), &"private".into())
    );
    let sa_pub = entry(&doc, "pki/sa.pub");
    assert_eq!(only_key(sa_pub)["role"], "service-account-public-key");
    assert_eq!(only_key(sa_pub)["kind"], "public");
    assert_eq!(finding_ids(sa_pub), ["quantum-vulnerable-key"]);
    // The kubeconfigs next to pki/.
    for (file, user) in [
        ("admin.conf", "kubernetes-admin"),
        ("super-admin.conf", "kubernetes-super-admin"),
    ] {
        let conf = entry(&doc, file);
        assert_eq!(conf["format"], "kubeconfig");
        let certs = conf["certificates"].as_array().unwrap();
        assert_eq!(certs[0]["role"], "kubeconfig-ca:kubernetes");
        assert_eq!(certs[0]["subject"], "CN=kubernetes");
        assert_eq!(certs[1]["role"], format!("kubeconfig-client:{user}"));
        assert_eq!(only_key(conf)["role"], format!("kubeconfig-client:{user}"));
        assert_eq!(only_key(conf)["key_bits"], 2048);
    }
    let s = &doc["summary"];
    assert_eq!(s["files"], 24, "{s:#}");
    assert_eq!(s["certificates"], 10 + 4);
    assert_eq!(s["keys"], 12 + 2);
    assert_eq!(s["skipped"], 1, "the static pod manifest");
    assert_eq!(s["quantum_safe"], 0);
    assert_eq!(s["quantum_vulnerable"], 14 + 14);

    // Roles hold when the etcd directory or one file is named alone.
    let (_, doc) = certs_json(&[root.join("pki/etcd").to_str().unwrap()]);
    assert_eq!(only_cert(entry(&doc, "etcd/peer.crt"))["role"], "etcd-peer");
    let (_, doc) = certs_json(&[root.join("pki/front-proxy-client.crt").to_str().unwrap()]);
    assert_eq!(only_cert(&doc["files"][0])["role"], "front-proxy-client");
    // Elsewhere the same names have no role.
    let other = dir.path().join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(root.join("pki/apiserver.crt"), other.join("apiserver.crt")).unwrap();
    let (_, doc) = certs_json(&[other.to_str().unwrap()]);
    assert!(only_cert(&doc["files"][0])["role"].is_null());

    // The table names every role.
    let out = run(&["certs", root.join("pki").to_str().unwrap()]);
    let (table, _) = text(&out);
    for role in roles
        .values()
        .chain(&["service-account-key", "service-account-public-key"])
    {
        assert!(table.contains(&format!("  {role}  ")), "{role}:\n{table}");
    }
}

// --------------------------------------------------------------- kubeconfig

#[test]
fn kubeconfigs_with_embedded_data_and_file_references() {
    if !support::peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    self_signed(
        d,
        &["EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "ca",
        "cluster-ca",
        "365",
    );
    self_signed(d, &["ML-DSA-44"], "user", "alice", "30");
    std::fs::create_dir(d.join("creds")).unwrap();
    std::fs::rename(d.join("user.key"), d.join("creds/user.key")).unwrap();
    let embedded = kubeconfig_yaml(
        "prod",
        &b64_file(&d.join("ca.crt")),
        "alice",
        &b64_file(&d.join("user.crt")),
        &b64_file(&d.join("creds/user.key")),
    );
    write(&d.join("embedded.yaml"), &embedded);
    let references = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: staging\n  cluster:\n    server: https://127.0.0.1:6443\n    certificate-authority: ca.crt\n\
         users:\n- name: bob\n  user:\n    client-certificate: {}\n    client-key: creds/user.key\n- name: robot\n  user:\n    token: sha256~TOPSECRETTOKENVALUE\n\
         contexts:\n- name: s\n  context: {{cluster: staging, user: bob}}\ncurrent-context: s\n",
        d.join("user.crt").display()
    );
    write(&d.join("references.yaml"), &references);
    write(
        &d.join("missing.yaml"),
        references.replace(
            "certificate-authority: ca.crt",
            "certificate-authority: gone.crt",
        ),
    );

    let (code, doc) = certs_json(&[
        d.join("embedded.yaml").to_str().unwrap(),
        d.join("references.yaml").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{doc:#}");
    let e = entry(&doc, "embedded.yaml");
    assert_eq!(e["format"], "kubeconfig");
    let certs = e["certificates"].as_array().unwrap();
    assert_eq!(certs[0]["role"], "kubeconfig-ca:prod");
    assert_eq!(certs[0]["curve"], "P-256");
    assert_eq!(
        certs[0]["source"],
        "cluster prod certificate-authority-data block 1"
    );
    assert_eq!(certs[1]["role"], "kubeconfig-client:alice");
    assert_eq!(certs[1]["key_algorithm"], "ML-DSA-44");
    let key = only_key(e);
    assert_eq!(key["role"], "kubeconfig-client:alice");
    assert_eq!(key["key_algorithm"], "ML-DSA-44");
    assert_eq!(key["source"], "user alice client-key-data block 1");
    let r = entry(&doc, "references.yaml");
    let certs = r["certificates"].as_array().unwrap();
    assert_eq!(certs[0]["role"], "kubeconfig-ca:staging");
    assert_eq!(certs[0]["subject"], "CN=cluster-ca");
    assert!(
        certs[0]["source"]
            .as_str()
            .unwrap()
            .starts_with("cluster staging certificate-authority ("),
        "{}",
        certs[0]["source"]
    );
    assert_eq!(certs[1]["role"], "kubeconfig-client:bob");
    assert_eq!(only_key(r)["role"], "kubeconfig-client:bob");
    assert_eq!(only_key(r)["key_algorithm"], "ML-DSA-44");
    // A reference that does not resolve is that file's error: exit 2.
    let (code, doc) = certs_json(&[d.join("missing.yaml").to_str().unwrap()]);
    assert_eq!(code, Some(2));
    let error = doc["files"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("certificate-authority")
            && error.contains("gone.crt")
            && error.contains("no such file"),
        "{error}"
    );
    assert_eq!(
        doc["files"][0]["certificates"].as_array().unwrap().len(),
        1,
        "the client certificate is still read"
    );
    assert_eq!(doc["summary"]["unreadable"], 1);
    // The token never shows.
    for args in [
        vec!["certs", d.to_str().unwrap()],
        vec!["certs", d.to_str().unwrap(), "-o", "json", "-vv"],
    ] {
        let (stdout, stderr) = text(&run(&args));
        assert!(!stdout.contains("TOPSECRET") && !stderr.contains("TOPSECRET"));
    }
}

// ------------------------------------------------------------------ Secrets

fn secret_yaml(name: &str, ns: &str, crt: &str, key: &str, ca: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {ns}\ntype: kubernetes.io/tls\ndata:\n  ca.crt: {}\n  tls.crt: {}\n  tls.key: {}\n",
        B64.encode(ca),
        B64.encode(crt),
        B64.encode(key)
    )
}

#[test]
fn tls_secrets_in_yaml_json_and_lists() {
    if !support::peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    self_signed(
        d,
        &["EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "ca",
        "ingress-ca",
        "365",
    );
    openssl(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "ML-DSA-65",
            "-nodes",
            "-keyout",
            "web.key",
            "-subj",
            "/CN=web.example",
            "-addext",
            "subjectAltName=DNS:web.example",
            "-out",
            "web.csr",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "web.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "42",
            "-days",
            "90",
            "-copy_extensions",
            "copy",
            "-out",
            "web.crt",
        ],
    );
    let (ca, crt, key) = (
        read(&d.join("ca.crt")),
        read(&d.join("web.crt")),
        read(&d.join("web.key")),
    );
    let chain = format!("{crt}{ca}");
    let input = d.join("in");
    write(
        &input.join("secret.yaml"),
        secret_yaml("web", "shop", &chain, &key, &ca),
    );
    // As `kubectl get secret -o json` prints it, and one with stringData.
    let json = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": "api", "namespace": "prod"},
        "data": {"tls.crt": B64.encode(&crt), "tls.key": B64.encode(&key)}
    });
    write(
        &input.join("secret.json"),
        serde_json::to_string_pretty(&json).unwrap(),
    );
    let string_data = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": "plain"}, "stringData": {"tls.crt": chain, "tls.key": key}
    });
    write(
        &input.join("string-data.json"),
        serde_json::to_string(&string_data).unwrap(),
    );
    let indent = |s: String| s.lines().map(|l| format!("  {l}\n")).collect::<String>();
    let list = format!(
        "apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: \"\"\nitems:\n- {}- {}- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: opaque\n  type: Opaque\n  data:\n    password: aHVudGVyMg==\n",
        indent(secret_yaml("one", "a", &chain, &key, &ca)).trim_start(),
        indent(secret_yaml("two", "b", &crt, &key, "")).trim_start()
    );
    write(&input.join("list.yaml"), &list);
    write(
        &input.join("multi.yaml"),
        format!(
            "---\n{}---\n{}",
            secret_yaml("x", "m", &crt, &key, ""),
            secret_yaml("y", "m", &ca, "", "")
        ),
    );

    let (code, doc) = certs_json(&[input.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{doc:#}");
    let one = entry(&doc, "secret.yaml");
    assert_eq!(one["format"], "secret");
    let certs = one["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 3);
    assert_eq!(certs[0]["role"], "secret-tls:shop/web");
    assert_eq!(certs[0]["source"], "Secret shop/web tls.crt block 1");
    assert_eq!(certs[0]["key_algorithm"], "ML-DSA-65");
    assert_eq!(certs[0]["signature_algorithm"], "ecdsa-with-SHA256");
    assert_eq!(certs[0]["sans"], serde_json::json!(["DNS:web.example"]));
    assert_eq!(certs[1]["role"], "secret-tls:shop/web");
    assert_eq!(certs[1]["position"], 1);
    assert_eq!(certs[1]["subject"], "CN=ingress-ca");
    assert_eq!(certs[2]["role"], "secret-ca:shop/web");
    assert_ne!(certs[2]["chain"], certs[0]["chain"]);
    let key_entry = only_key(one);
    assert_eq!(key_entry["role"], "secret-tls:shop/web");
    assert_eq!(key_entry["key_algorithm"], "ML-DSA-65");
    // An ML-DSA key certified with ECDSA: not quantum-safe, and a mixed
    // chain (its key signs the handshake with ML-DSA).
    assert_eq!(certs[0]["quantum_safe"], false);
    assert!(finding_ids(one).contains(&"mixed-chain"), "{one:#}");

    let api = entry(&doc, "secret.json");
    assert_eq!(api["format"], "secret");
    assert_eq!(only_cert(api)["role"], "secret-tls:prod/api");
    let plain = entry(&doc, "string-data.json");
    assert_eq!(plain["certificates"][1]["role"], "secret-tls:plain");
    let list = entry(&doc, "list.yaml");
    assert_eq!(list["format"], "secret-list");
    let roles: Vec<&str> = list["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "secret-tls:a/one",
            "secret-tls:a/one",
            "secret-ca:a/one",
            "secret-tls:b/two"
        ]
    );
    assert_eq!(list["keys"].as_array().unwrap().len(), 2);
    assert_eq!(
        strs(&list["notes"]),
        ["Secret opaque of type Opaque not read (only kubernetes.io/tls)"]
    );
    let multi = entry(&doc, "multi.yaml");
    assert_eq!(multi["format"], "secret-list");
    assert_eq!(multi["certificates"].as_array().unwrap().len(), 2);
    assert!(
        !serde_json::to_string(&doc).unwrap().contains("aHVudGVyMg"),
        "an Opaque Secret's data never shows"
    );
}

// -------------------------------------------------------- no key material

/// Every private key made here, in every encoding, and the tokens: none may
/// appear in stdout or stderr of any output form.
#[test]
fn no_private_key_material_or_token_in_output() {
    if !support::peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut secrets: Vec<String> = vec![
        "sha256~TOPSECRETTOKENVALUE".into(),
        "hunter2-password".into(),
    ];
    for (name, args) in [
        (
            "rsa",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"][..],
        ),
        (
            "ec",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"][..],
        ),
        ("mldsa", &["-algorithm", "ML-DSA-65"][..]),
        ("slh", &["-algorithm", "SLH-DSA-SHAKE-128f"][..]),
    ] {
        let out = format!("{name}.key");
        let mut all = vec!["genpkey"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-out", &out]);
        openssl(d, &all);
        openssl(
            d,
            &[
                "pkey",
                "-in",
                &format!("{name}.key"),
                "-outform",
                "DER",
                "-out",
                &format!("{name}.der"),
            ],
        );
        if name == "rsa" || name == "ec" {
            openssl(
                d,
                &[
                    "pkey",
                    "-in",
                    &format!("{name}.key"),
                    "-traditional",
                    "-out",
                    &format!("{name}-trad.key"),
                ],
            );
            let traditional = read(&d.join(format!("{name}-trad.key")));
            secrets.extend(
                traditional
                    .lines()
                    .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                    .map(str::to_string),
            );
        }
        let pem = read(&d.join(format!("{name}.key")));
        // Each base64 line of the PEM, the DER as hex and base64, the whole PEM as base64.
        secrets.extend(
            pem.lines()
                .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                .map(str::to_string),
        );
        let der = std::fs::read(d.join(format!("{name}.der"))).unwrap();
        secrets.push(
            der.iter()
                .skip(16)
                .take(24)
                .map(|b| format!("{b:02x}"))
                .collect(),
        );
        secrets.push(B64.encode(&der)[20..60].to_string());
        secrets.push(B64.encode(&pem)[40..100].to_string());
        let conf = format!(
            "apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: u\n  user:\n    client-key-data: {}\n    token: sha256~TOPSECRETTOKENVALUE\n    password: hunter2-password\n",
            B64.encode(&pem)
        );
        write(&d.join(format!("{name}.kubeconfig")), conf);
        let secret = format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}}}\ntype: kubernetes.io/tls\nstringData:\n  tls.key: |\n{}",
            pem.lines().map(|l| format!("    {l}\n")).collect::<String>()
        );
        write(&d.join(format!("{name}-secret.yaml")), secret);
        // A broken copy, so that error paths run over key material too.
        let broken = pem.replacen("A", "!", 3);
        write(&d.join(format!("{name}-broken.key")), &broken);
        let bad_conf = format!("apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    client-key-data: {}\n    token: [sha256~TOPSECRETTOKENVALUE]\n", B64.encode(&pem));
        write(&d.join(format!("{name}-bad.kubeconfig")), bad_conf);
    }
    let path = d.to_str().unwrap();
    for args in [
        vec!["certs", path],
        vec!["certs", path, "-o", "json"],
        vec![
            "certs",
            path,
            "-o",
            "json",
            "-vv",
            "--deadlines",
            "cnsa2,nist",
        ],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "the broken files are errors");
        let (stdout, stderr) = text(&out);
        assert!(
            stdout.contains("ML-DSA-65") && stdout.contains("SLH-DSA-SHAKE-128f"),
            "{stdout}"
        );
        for secret in &secrets {
            assert!(secret.len() >= 16);
            assert!(
                !stdout.contains(secret.as_str()),
                "{args:?} printed key material {secret}"
            );
            assert!(
                !stderr.contains(secret.as_str()),
                "{args:?} logged key material {secret}"
            );
        }
    }
}

// -------------------------------------------------------------- hostile files

/// A fixed pseudo-random byte stream (xorshift), the same on every run.
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[test]
fn hostile_files_are_per_file_errors_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("hostile");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["ok.test".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let der = cert.der().to_vec();
    write(&d.join("good.pem"), cert.pem());
    write(
        &d.join("malformed.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIB!!!!not base64\n-----END CERTIFICATE-----\n",
    );
    write(
        &d.join("mismatched.pem"),
        cert.pem().replace("END CERTIFICATE", "END PRIVATE KEY"),
    );
    write(&d.join("truncated.pem"), &cert.pem()[..300]);
    write(&d.join("truncated.der"), &der[..der.len() / 2]);
    write(&d.join("random.bin"), noise(4096, 0x9e3779b97f4a7c15));
    write(&d.join("random.crt"), noise(3000, 42));
    // Hostile ASN.1: a length past the end, deep nesting, an indefinite length.
    write(
        &d.join("long-length.der"),
        [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00],
    );
    write(&d.join("nested.der"), [0x30u8, 0x80].repeat(50_000));
    let mut mangled = der.clone();
    mangled[1] = 0x82;
    mangled[2] = 0xff;
    write(&d.join("mangled.der"), &mangled);
    let mut pem_of_junk = String::from("-----BEGIN CERTIFICATE-----\n");
    pem_of_junk.push_str(&B64.encode(noise(900, 7)));
    pem_of_junk.push_str("\n-----END CERTIFICATE-----\n");
    write(&d.join("junk-in-pem.pem"), pem_of_junk);
    // YAML and JSON that would exhaust a naive parser.
    let mut bomb = String::from("apiVersion: v1\nkind: Secret\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for i in 0..12u8 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("a{}", i - 1)
        };
        bomb.push_str(&format!("a{i}: &a{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    write(&d.join("bomb.yaml"), bomb);
    write(
        &d.join("deep.json"),
        format!("{{\"kind\":\"Secret\",\"a\":{}", "[".repeat(100_000)),
    );
    write(&d.join("not-base64.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: '*** not base64 ***'\n");
    write(
        &d.join("bad-types.yaml"),
        "apiVersion: v1\nkind: Config\nclusters: 7\n",
    );
    write(&d.join("empty.pem"), "");
    // Over the size cap: sparse, never read.
    let huge = std::fs::File::create(d.join("huge.pem")).unwrap();
    huge.set_len(8 * 1024 * 1024 + 1).unwrap();
    // Too deep, a link loop, a FIFO, a broken link, a file that is not ours.
    let mut deep = d.join("deep");
    for i in 0..18 {
        deep = deep.join(format!("d{i}"));
    }
    write(&deep.join("buried.pem"), cert.pem());
    std::os::unix::fs::symlink(&d, d.join("loop")).unwrap();
    std::os::unix::fs::symlink(d.join("nowhere"), d.join("broken-link.pem")).unwrap();
    let fifo = d.join("fifo.pem");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    write(&d.join("README.md"), "# notes\nnothing here\n");

    let started = std::time::Instant::now();
    let out = run(&["certs", d.to_str().unwrap(), "-o", "json"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let error = |name: &str| {
        entry(&doc, name)["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no error"))
            .to_string()
    };
    assert_eq!(
        only_cert(entry(&doc, "good.pem"))["sans"],
        serde_json::json!(["DNS:ok.test"])
    );
    assert_eq!(error("malformed.pem"), "block 1: bad base64");
    assert!(
        error("mismatched.pem").contains("does not match"),
        "{}",
        error("mismatched.pem")
    );
    assert_eq!(error("truncated.pem"), "block 1: no END line (truncated?)");
    for name in [
        "truncated.der",
        "random.crt",
        "long-length.der",
        "nested.der",
        "mangled.der",
    ] {
        assert!(
            error(name).starts_with("neither PEM nor a DER certificate"),
            "{name}: {}",
            error(name)
        );
    }
    assert!(
        error("junk-in-pem.pem").starts_with("block 1 (CERTIFICATE): not an X.509 certificate"),
        "{}",
        error("junk-in-pem.pem")
    );
    assert!(
        error("bomb.yaml").starts_with("not valid YAML"),
        "{}",
        error("bomb.yaml")
    );
    assert!(
        error("deep.json").starts_with("not valid JSON"),
        "{}",
        error("deep.json")
    );
    assert_eq!(
        error("not-base64.yaml"),
        "Secret s: data.tls.crt is not base64"
    );
    assert_eq!(
        error("bad-types.yaml"),
        "not a valid kubeconfig: a field has an unexpected type"
    );
    assert_eq!(error("empty.pem"), "empty file");
    assert_eq!(
        error("huge.pem"),
        "larger than the 8388608-byte limit: not read"
    );
    assert!(
        error("/d15").starts_with("not entered: more than 16 directory levels"),
        "{}",
        error("/d15")
    );
    let files: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        !files
            .iter()
            .any(|f| f.ends_with("random.bin") || f.ends_with("README.md") || f.contains("fifo")),
        "{files:?}"
    );
    // random.bin, README.md, the FIFO, the broken link and the loop are skipped.
    assert_eq!(doc["summary"]["skipped"], 5, "{:#}", doc["summary"]);
    assert_eq!(doc["summary"]["certificates"], 1);

    // Named directly, random bytes and a FIFO are errors of their own.
    let out = run(&[
        "certs",
        d.join("random.bin").to_str().unwrap(),
        d.join("fifo.pem").to_str().unwrap(),
        d.join("good.pem").to_str().unwrap(),
    ]);
    let (table, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        table.contains("random.bin (unreadable)\n  error: neither PEM nor a DER certificate"),
        "{table}"
    );
    assert!(
        table.contains("fifo.pem (unreadable)\n  error: not a regular file or directory"),
        "{table}"
    );
    assert!(table.contains("3 files: 1 certificates"), "{table}");
    assert!(stderr.is_empty(), "{stderr}");
    // A path that does not exist is one error line, nothing else.
    let out = run(&[
        "certs",
        d.join("good.pem").to_str().unwrap(),
        "/nonexistent/ca.crt",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(
        stderr,
        "pqready: error: cannot read '/nonexistent/ca.crt': no such file or directory\n"
    );
    // So is a bad --deadlines.
    let out = run(&[
        "certs",
        "--deadlines",
        "fips",
        d.join("good.pem").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out).1.lines().count(), 1);
    // Garbage on standard input is that input's error.
    let out = run_stdin(&["certs", "-"], &noise(2048, 3));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out)
            .0
            .contains("- (stdin) (unreadable)\n  error: neither PEM"),
        "{}",
        text(&out).0
    );
}

/// Mutations of real files (every byte flipped in turn, truncations) never
/// panic: each run ends with a document and exit 0 or 2.
#[test]
fn mutated_real_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_44).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["m.test".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let der = cert.der().to_vec();
    let secret = secret_yaml("m", "ns", &cert.pem(), &key.serialize_pem(), "");
    let mut n = 0;
    for (i, _) in der.iter().enumerate().step_by(37) {
        let mut mutated = der.clone();
        mutated[i] ^= 0xff;
        write(&dir.path().join(format!("der-{i}.der")), &mutated);
        write(&dir.path().join(format!("cut-{i}.der")), &der[..i]);
        n += 2;
    }
    for i in (0..secret.len()).step_by(29) {
        let mut bytes = secret.as_bytes().to_vec();
        bytes[i] = b'\0';
        write(&dir.path().join(format!("secret-{i}.yaml")), &bytes);
        write(
            &dir.path().join(format!("secret-cut-{i}.yaml")),
            &secret.as_bytes()[..i],
        );
        n += 2;
    }
    let (code, doc) = certs_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(2));
    let s = &doc["summary"];
    assert_eq!(
        s["files"].as_u64().unwrap() + s["skipped"].as_u64().unwrap(),
        n
    );
}

// ------------------------------------------------------------- CNSA 2.0

/// The severity of the finding `id` of a file entry.
fn severity_of<'a>(file: &'a Value, id: &str) -> &'a str {
    file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {file:#}"))["severity"]
        .as_str()
        .unwrap()
}

/// Issue #20: under `--deadlines cnsa2`, an RSA-2048 CA valid to 2036 (never
/// CNSA) was a LOW inventory item with "earliest deadline crossed: none"
/// and exit 0, while a P-384 certificate valid to 2040 (CNSA 1.0 until
/// 2033) was HIGH. Each row against OpenSSL 3.5-made certificates.
#[test]
fn cnsa2_ranks_what_it_already_disallows_highest() {
    if !support::peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // As the issue made it: `openssl req -x509 -newkey rsa:2048 -days 3650`.
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "rsa2048.key",
            "-subj",
            "/CN=rsa2048-ca",
            "-days",
            "3650",
            "-out",
            "rsa2048.crt",
        ],
    );
    self_signed(
        d,
        &["EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "p384",
        "p384",
        "5000",
    );
    self_signed(d, &["rsa:3072"], "rsa3072", "rsa3072", "365");
    self_signed(d, &["ML-DSA-87"], "mldsa87", "mldsa87", "365");
    self_signed(d, &["ML-DSA-65"], "mldsa65", "mldsa65", "365");
    let cnsa2 = |name: &str| {
        let path = d.join(name);
        let out = run(&[
            "certs",
            path.to_str().unwrap(),
            "--deadlines",
            "cnsa2",
            "--fail-on",
            "medium",
            "-o",
            "json",
        ]);
        let (stdout, stderr) = text(&out);
        let doc: Value = serde_json::from_str(stdout.lines().next().unwrap())
            .unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
        (out.status.code(), doc)
    };

    // RSA-2048, valid to 2036: never CNSA, disallowed now: HIGH, the
    // earliest deadline crossed, and the gate fails.
    let (code, doc) = cnsa2("rsa2048.crt");
    assert_eq!(code, Some(1), "{doc:#}");
    let file = entry(&doc, "rsa2048.crt");
    assert!(year(&only_cert(file)["not_after"]) >= 2036);
    assert_eq!(only_cert(file)["deadlines"][0]["status"], "disallowed");
    assert_eq!(finding_ids(file), ["disallowed-algorithm"]);
    assert_eq!(severity_of(file, "disallowed-algorithm"), "high");
    let detail = file["findings"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("RSA-2048 is disallowed now by NSA CNSA 2.0")
            && detail.contains("never CNSA"),
        "{detail}"
    );
    let crossed = &doc["summary"]["earliest_deadline_crossed"];
    assert_eq!(crossed["kind"], "already-disallowed", "{doc:#}");
    assert_eq!(crossed["table"], "cnsa2");
    assert_eq!(crossed["certificates"], 1);
    // Its date is the day of the run: no later date exists.
    assert!(
        crossed["date"].as_str().unwrap().starts_with("20"),
        "{crossed}"
    );
    let table = run(&[
        "certs",
        d.join("rsa2048.crt").to_str().unwrap(),
        "--deadlines",
        "cnsa2",
    ]);
    let (table, _) = text(&table);
    assert!(
        table.contains("earliest deadline crossed: 1 certificate already disallowed (cnsa2"),
        "{table}"
    );
    assert!(table.contains("HIGH disallowed-algorithm:"), "{table}");
    // The Markdown comment says the same, not "valid past <today>".
    let md = run(&[
        "certs",
        d.join("rsa2048.crt").to_str().unwrap(),
        "--deadlines",
        "cnsa2",
        "-o",
        "markdown",
    ]);
    let (md, _) = text(&md);
    assert!(
        md.contains("Earliest deadline crossed: 1 certificate already disallowed (cnsa2"),
        "{md}"
    );

    // P-384 valid to 2040: CNSA 1.0, but past the 2033 exclusive date.
    let (code, doc) = cnsa2("p384.crt");
    assert_eq!(code, Some(1));
    let file = entry(&doc, "p384.crt");
    assert!(year(&only_cert(file)["not_after"]) > 2033);
    assert_eq!(finding_ids(file), ["valid-past-disallowance"]);
    assert_eq!(
        only_cert(file)["deadlines"][0]["disallowed_after"],
        "2033-12-31"
    );

    // RSA-3072 for a year: CNSA 1.0, past the 2025 prefer-CNSA-2.0 date.
    let (code, doc) = cnsa2("rsa3072.crt");
    assert_eq!(code, Some(1));
    let file = entry(&doc, "rsa3072.crt");
    assert_eq!(only_cert(file)["deadlines"][0]["status"], "vulnerable");
    assert_eq!(finding_ids(file), ["valid-past-deprecation"]);

    // ML-DSA-87 is CNSA 2.0: nothing to say, the gate passes.
    let (code, doc) = cnsa2("mldsa87.crt");
    assert_eq!(code, Some(0), "{doc:#}");
    let file = entry(&doc, "mldsa87.crt");
    assert_eq!(only_cert(file)["deadlines"][0]["status"], "acceptable");
    assert!(finding_ids(file).is_empty());
    assert!(doc["summary"]["earliest_deadline_crossed"].is_null());

    // ML-DSA-65 is quantum-safe but not CNSA 2.0: MEDIUM, below RSA-2048.
    let (code, doc) = cnsa2("mldsa65.crt");
    assert_eq!(code, Some(1));
    let file = entry(&doc, "mldsa65.crt");
    assert_eq!(only_cert(file)["quantum_safe"], true);
    assert_eq!(only_cert(file)["deadlines"][0]["status"], "not-approved");
    assert_eq!(finding_ids(file), ["not-approved-algorithm"]);
    assert_eq!(severity_of(file, "not-approved-algorithm"), "medium");

    // The default NIST table is unchanged: RSA-2048 to 2036 is past 2035.
    let (code, doc) = certs_json(&[d.join("rsa2048.crt").to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert_eq!(
        finding_ids(entry(&doc, "rsa2048.crt")),
        ["valid-past-disallowance"]
    );
}

/// An ML-DSA-65 leaf signed by an RSA CA, the CA not in the file: its own
/// signature is quantum-vulnerable, so it gets a finding of its own and the
/// summary's quantum-vulnerable count has a finding to show for it.
#[test]
fn a_post_quantum_leaf_under_a_classical_ca_gets_a_finding_alone() {
    if !support::peers::require(&["openssl"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    self_signed(d, &["rsa:2048"], "ca", "rsa-ca", "365");
    issued(d, "ML-DSA-65", "leaf", "pq-leaf", "ca", &["-days", "365"]);
    let (code, doc) = certs_json(&[d.join("leaf.crt").to_str().unwrap()]);
    assert_eq!(code, Some(0), "{doc:#}");
    let file = entry(&doc, "leaf.crt");
    let cert = only_cert(file);
    assert_eq!(cert["key_algorithm"], "ML-DSA-65");
    assert_eq!(cert["signature_algorithm"], "sha256WithRSAEncryption");
    assert_eq!(cert["quantum_safe"], false);
    assert_eq!(finding_ids(file), ["quantum-vulnerable-signature"]);
    assert_eq!(severity_of(file, "quantum-vulnerable-signature"), "medium");
    let detail = file["findings"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("sha256WithRSAEncryption") && detail.contains("CN=rsa-ca"),
        "{detail}"
    );
    let s = &doc["summary"];
    assert_eq!(s["quantum_vulnerable"], 1);
    assert_eq!(s["findings"]["medium"], 1);
}

/// `pqready probe --deadlines cnsa2 --fail-on medium` against a real
/// OpenSSL 3.5 s_server with an RSA-2048 certificate: the gate fails.
#[test]
fn probe_with_cnsa2_fails_the_gate_on_an_rsa2048_server() {
    use support::peers;
    if !peers::require(&["openssl"]) {
        return;
    }
    let server = peers::s_server_self_signed("rsa:2048", &["-quiet"]);
    let target = server.addr.to_string();
    let out = run(&[
        "probe",
        &target,
        "--only",
        "certificates",
        "--deadlines",
        "cnsa2",
        "--fail-on",
        "medium",
        "-o",
        "json",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let result: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let ids: Vec<&str> = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"disallowed-algorithm"), "{ids:?}\n{stdout}");
    let gate: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(gate["kind"], "gate");
    assert_eq!(gate["failed"], true);
}

// ------------------------------------------------------------ executables

/// Issue #20: a Go binary (crypto/x509 holds "-----BEGIN " strings) was
/// read as broken PEM ("block 1: no END line") and made the run exit 2.
/// Found in a directory it is skipped and counted; named, it is one error
/// that says what it is.
#[test]
fn go_binaries_are_skipped_not_broken_pem() {
    use support::peers;
    if !peers::require(&["goserver-1.26", "openssl", "kubectl.1.33"]) {
        return;
    }
    let go = peers::bin("goserver-1.26");
    let bytes = std::fs::read(&go).unwrap();
    assert!(
        bytes.starts_with(b"\x7fELF"),
        "{} is not an ELF",
        go.display()
    );
    assert!(
        bytes.windows(11).any(|w| w == b"-----BEGIN "),
        "the Go binary holds a PEM-looking string"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("tools");
    std::fs::create_dir(&d).unwrap();
    std::fs::copy(&go, d.join("goserver")).unwrap();
    // Cut past its first PEM-looking string, still an ELF.
    let at = bytes.windows(11).position(|w| w == b"-----BEGIN ").unwrap();
    write(&d.join("goserver-cut"), &bytes[..at + 40]);
    // A Go binary over the 8 MiB file cap (a link to the real kubectl
    // 1.33, ~60 MB): recognised by its first bytes, skipped, not an error.
    let kubectl = peers::kubectl_dir().unwrap().join("kubectl.1.33");
    assert!(std::fs::metadata(&kubectl).unwrap().len() > 8 << 20);
    std::os::unix::fs::symlink(&kubectl, d.join("kubectl")).unwrap();
    self_signed(&d, &["rsa:2048"], "ca", "ca", "365");
    let (code, doc) = certs_json(&[d.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{doc:#}");
    let s = &doc["summary"];
    assert_eq!(s["skipped"], 3, "the three executables: {doc:#}");
    assert_eq!(s["unreadable"], 0, "{doc:#}");
    assert_eq!(s["files"], 2, "ca.crt and ca.key");
    assert_eq!(s["certificates"], 1);
    let out = run(&["certs", d.join("goserver").to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout.contains("an ELF executable, not certificate material"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("END line") && !stdout.contains("(pem)"),
        "{stdout}"
    );
    assert!(!stderr.contains("panicked"));
}
