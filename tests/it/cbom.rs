//! `-o cbom`: real output of `demo`, `certs` and `binaries`, validated against
//! the official CycloneDX 1.7 and 1.6 JSON schemas (tests/data/cyclonedx/,
//! from cyclonedx-python-lib 11.12.0; every object used there is
//! `additionalProperties: false`, and formats such as `date-time` are
//! checked too), then read for what the document must say: the hybrid group
//! modelled from ML-KEM-768 and X25519, each algorithm once, every `bom-ref`
//! resolving, the certificate fields. The catalog commands (`profiles`,
//! `matrix`) refuse the format with one error line; inspect sessions are
//! covered in tests/it/report_cmd.rs.

use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

use crate::support;

/// Why `doc` is not a valid CycloneDX `version` document, one line per error.
fn violations(version: &str, doc: &Value) -> Vec<String> {
    support::formats::cyclonedx_violations(version, doc)
}

fn assert_valid(version: &str, what: &str, doc: &Value) {
    let errors = violations(version, doc);
    assert!(
        errors.is_empty(),
        "{what}: not valid CycloneDX {version}:\n{}",
        errors.join("\n")
    );
    assert_eq!(doc["specVersion"], version);
}

/// `pqready ARGS`: exit code 0 and one JSON document on stdout.
fn cbom(args: &[&str]) -> Value {
    let out = support::command::run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "`pqready {}`: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn components(doc: &Value) -> &Vec<Value> {
    doc["components"].as_array().expect("components")
}

fn by_ref<'a>(doc: &'a Value, bom_ref: &str) -> &'a Value {
    components(doc)
        .iter()
        .find(|c| c["bom-ref"] == bom_ref)
        .unwrap_or_else(|| panic!("no component {bom_ref}"))
}

fn of_type<'a>(doc: &'a Value, asset: &str) -> Vec<&'a Value> {
    components(doc)
        .iter()
        .filter(|c| c["cryptoProperties"]["assetType"] == asset)
        .collect()
}

pub(crate) fn property<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

/// Every `bom-ref` is unique, every dependency names components that exist,
/// every component has its dependency entry, and each algorithm appears once.
pub(crate) fn assert_linked(doc: &Value) {
    let mut refs = HashSet::new();
    for c in components(doc) {
        let r = c["bom-ref"]
            .as_str()
            .expect("every component has a bom-ref");
        assert!(refs.insert(r.to_string()), "bom-ref {r} twice");
    }
    let deps = doc["dependencies"].as_array().expect("dependencies");
    assert_eq!(deps.len(), refs.len(), "one dependency entry per component");
    for d in deps {
        assert!(refs.contains(d["ref"].as_str().unwrap()), "{d}");
        for on in d["dependsOn"].as_array().into_iter().flatten() {
            assert!(refs.contains(on.as_str().unwrap()), "dangling {on} in {d}");
        }
    }
    // Every reference inside an asset resolves too.
    let mut inner = Vec::new();
    collect_refs(&doc["components"], &mut inner);
    for r in inner {
        assert!(refs.contains(&r), "dangling reference {r}");
    }
    let mut names = BTreeMap::new();
    for a in of_type(doc, "algorithm") {
        *names.entry(a["name"].as_str().unwrap()).or_insert(0) += 1;
    }
    assert!(
        names.values().all(|n| *n == 1),
        "algorithms repeated: {names:?}"
    );
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    (
                        "ref" | "algorithmRef" | "signatureAlgorithmRef" | "subjectPublicKeyRef",
                        Value::String(s),
                    ) => out.push(s.clone()),
                    ("algorithms" | "cryptoRefArray", Value::Array(items)) => {
                        out.extend(items.iter().filter_map(|i| i.as_str().map(String::from)))
                    }
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}

fn algorithm_props<'a>(doc: &'a Value, name: &str) -> &'a Value {
    &by_ref(doc, &format!("crypto/algorithm/{name}"))["cryptoProperties"]["algorithmProperties"]
}

#[test]
fn demo_cbom_is_valid_cyclonedx_1_7_with_the_hybrid_from_its_parts() {
    let doc = cbom(&["demo", "-o", "cbom"]);
    assert_valid("1.7", "demo -o cbom", &doc);
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert_eq!(doc["version"], 1);
    assert!(doc["serialNumber"]
        .as_str()
        .unwrap()
        .starts_with("urn:uuid:"));
    let tool = &doc["metadata"]["tools"]["components"][0];
    assert_eq!(tool["name"], "pqready");
    assert_eq!(tool["version"], env!("CARGO_PKG_VERSION"));
    assert_linked(&doc);

    // The pq-hybrid server's TLS 1.3: its suite lists the groups by TLS name
    // and links the hybrid's parts.
    let tls13 = by_ref(&doc, "crypto/protocol/pq-hybrid/TLSv1.3");
    let protocol = &tls13["cryptoProperties"]["protocolProperties"];
    assert_eq!(protocol["type"], "tls");
    assert_eq!(protocol["version"], "1.3");
    let suite = &protocol["cipherSuites"][0];
    assert!(suite["name"].as_str().unwrap().starts_with("TLS_AES_"));
    assert_eq!(suite["tlsGroups"][0], "X25519MLKEM768");
    assert_eq!(suite["tlsSignatureSchemes"][0], "ecdsa_secp256r1_sha256");
    let algorithms = suite["algorithms"].as_array().unwrap();
    for part in ["ML-KEM-768", "X25519", "ECDSA-P-256"] {
        assert!(
            algorithms.contains(&Value::from(format!("crypto/algorithm/{part}"))),
            "{part} not in {algorithms:?}"
        );
    }
    assert!(
        !components(&doc)
            .iter()
            .any(|c| c["name"] == "X25519MLKEM768"),
        "the hybrid is its parts, not an asset of its own"
    );
    assert_eq!(
        property(tls13, "pqready:negotiated-group"),
        Some("X25519MLKEM768")
    );
    assert_eq!(property(tls13, "pqready:verdict"), Some("pq"));
    // It accepts TLS 1.2 too: a second protocol asset.
    assert_eq!(
        by_ref(&doc, "crypto/protocol/pq-hybrid/TLSv1.2")["cryptoProperties"]["protocolProperties"]
            ["version"],
        "1.2"
    );

    let mlkem = algorithm_props(&doc, "ML-KEM-768");
    assert_eq!(mlkem["primitive"], "kem");
    assert_eq!(mlkem["algorithmFamily"], "ML-KEM");
    assert_eq!(mlkem["parameterSetIdentifier"], "768");
    assert_eq!(mlkem["nistQuantumSecurityLevel"], 3);
    assert_eq!(mlkem["classicalSecurityLevel"], 192);
    let x25519 = algorithm_props(&doc, "X25519");
    assert_eq!(x25519["primitive"], "key-agree");
    assert_eq!(x25519["ellipticCurve"], "other/Curve25519");
    assert_eq!(x25519["nistQuantumSecurityLevel"], 0);
    assert_eq!(x25519["classicalSecurityLevel"], 128);
    let p256 = algorithm_props(&doc, "ECDH-P-256");
    assert_eq!(p256["ellipticCurve"], "nist/P-256");
    assert_eq!(p256["algorithmFamily"], "ECDH");

    // Four servers, four P-256 certificates, one ECDSA-P-256 asset.
    let certs = of_type(&doc, "certificate");
    assert_eq!(certs.len(), 4);
    for c in certs {
        let p = &c["cryptoProperties"]["certificateProperties"];
        assert!(p["subjectName"]
            .as_str()
            .unwrap()
            .starts_with("CN=pqready demo"));
        assert_eq!(p["fingerprint"]["alg"], "SHA-256");
        let related = p["relatedCryptographicAssets"].as_array().unwrap();
        assert_eq!(related[0]["ref"], "crypto/algorithm/ecdsa-with-SHA256");
        let key = by_ref(&doc, related[1]["ref"].as_str().unwrap());
        assert_eq!(
            key["cryptoProperties"]["relatedCryptoMaterialProperties"]
                ["relatedCryptographicAssets"][0]["ref"],
            "crypto/algorithm/ECDSA-P-256"
        );
    }

    // The validator is strict: an unknown field anywhere fails.
    let mut bad = doc.clone();
    bad["components"][0]["cryptoProperties"]["algorithmProperties"]["quantumSafe"] = true.into();
    assert!(!violations("1.7", &bad).is_empty());
    let mut bad = doc.clone();
    bad["components"][0]["tlsGroups"] = serde_json::json!([]);
    assert!(!violations("1.7", &bad).is_empty());
    // …and the `$ref`d cryptography-defs are loaded: an unknown family fails.
    let mut bad = doc.clone();
    let mlkem = components(&doc)
        .iter()
        .position(|c| c["name"] == "ML-KEM-768")
        .unwrap();
    bad["components"][mlkem]["cryptoProperties"]["algorithmProperties"]["algorithmFamily"] =
        "Kyber".into();
    assert!(!violations("1.7", &bad).is_empty());
}

#[test]
fn cbom_version_1_6_emits_the_1_6_shapes() {
    let doc = cbom(&["demo", "-o", "cbom", "--cbom-version", "1.6"]);
    assert_valid("1.6", "demo -o cbom --cbom-version 1.6", &doc);
    assert_linked(&doc);
    let text = doc.to_string();
    for field in [
        "tlsGroups",
        "tlsSignatureSchemes",
        "algorithmFamily",
        "ellipticCurve",
        "relatedCryptographicAssets",
        "fingerprint",
    ] {
        assert!(
            !text.contains(&format!("\"{field}\"")),
            "1.7 field {field} in a 1.6 document"
        );
    }
    // What 1.6 has no field for is kept as properties; the links use 1.6's fields.
    let tls13 = by_ref(&doc, "crypto/protocol/pq-hybrid/TLSv1.3");
    assert_eq!(
        property(tls13, "pqready:tls-groups"),
        Some("X25519MLKEM768,x25519,secp256r1,secp384r1")
    );
    assert!(
        tls13["cryptoProperties"]["protocolProperties"]["cryptoRefArray"]
            .as_array()
            .unwrap()
            .contains(&"crypto/algorithm/ML-KEM-768".into())
    );
    let cert = &of_type(&doc, "certificate")[0]["cryptoProperties"]["certificateProperties"];
    assert_eq!(
        cert["signatureAlgorithmRef"],
        "crypto/algorithm/ecdsa-with-SHA256"
    );
    assert!(cert["subjectPublicKeyRef"]
        .as_str()
        .unwrap()
        .starts_with("crypto/public-key/"));
    assert_eq!(algorithm_props(&doc, "X25519")["curve"], "other/Curve25519");

    // And the two versions really differ: 1.7 output is not valid 1.6.
    let v17 = cbom(&["demo", "-o", "cbom"]);
    assert!(!violations("1.6", &v17).is_empty());
}

/// Certificates made by rcgen: a self-signed ML-DSA-65, a P-256 and an
/// RSA-2048 one, with the RSA private key next to them.
#[test]
fn certs_cbom_has_certificate_and_key_assets() {
    use aws_lc_rs::digest;
    let dir = tempfile::tempdir().unwrap();
    let mut fingerprints = BTreeMap::new();
    let keys = [
        (
            "mldsa",
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_65).unwrap(),
        ),
        (
            "p256",
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        ),
        (
            "rsa",
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .unwrap(),
        ),
    ];
    for (name, key) in &keys {
        let mut params = rcgen::CertificateParams::new(vec![format!("{name}.test")]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("cbom {name}"));
        params.not_after = rcgen::date_time_ymd(2031, 6, 30);
        let cert = params.self_signed(key).unwrap();
        std::fs::write(dir.path().join(format!("{name}.pem")), cert.pem()).unwrap();
        let fp: String = digest::digest(&digest::SHA256, cert.der())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        fingerprints.insert(*name, fp);
    }
    std::fs::write(dir.path().join("rsa.key"), keys[2].1.serialize_pem()).unwrap();
    let path = dir.path().to_str().unwrap();

    let doc = cbom(&["certs", path, "-o", "cbom"]);
    assert_valid("1.7", "certs -o cbom", &doc);
    assert_linked(&doc);
    assert_eq!(of_type(&doc, "certificate").len(), 3);
    let cert = |name: &str| by_ref(&doc, &format!("crypto/certificate/{}", fingerprints[name]));
    let related = |c: &Value, i: usize| {
        c["cryptoProperties"]["certificateProperties"]["relatedCryptographicAssets"][i]["ref"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let key_algorithm = |c: &Value| {
        let key = by_ref(&doc, &related(c, 1));
        key["cryptoProperties"]["relatedCryptoMaterialProperties"]["relatedCryptographicAssets"][0]
            ["ref"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let mldsa = cert("mldsa");
    let p = &mldsa["cryptoProperties"]["certificateProperties"];
    assert_eq!(mldsa["name"], "cbom mldsa");
    assert_eq!(p["subjectName"], "CN=cbom mldsa");
    assert_eq!(p["issuerName"], "CN=cbom mldsa");
    assert_eq!(p["notValidAfter"], "2031-06-30T00:00:00Z");
    assert!(p["notValidBefore"].as_str().unwrap().ends_with('Z'));
    assert_eq!(p["certificateFormat"], "X.509");
    assert_eq!(p["fingerprint"]["content"], fingerprints["mldsa"].as_str());
    assert_eq!(
        mldsa["hashes"][0]["content"],
        fingerprints["mldsa"].as_str()
    );
    assert!(!p["serialNumber"].as_str().unwrap().is_empty());
    assert_eq!(property(mldsa, "pqready:quantum-safe"), Some("true"));
    assert_eq!(property(mldsa, "pqready:sans"), Some("DNS:mldsa.test"));
    // Self-signed ML-DSA-65: key and signature are one algorithm asset.
    assert_eq!(related(mldsa, 0), "crypto/algorithm/ML-DSA-65");
    assert_eq!(key_algorithm(mldsa), "crypto/algorithm/ML-DSA-65");
    let a = algorithm_props(&doc, "ML-DSA-65");
    assert_eq!(a["primitive"], "signature");
    assert_eq!(a["algorithmFamily"], "ML-DSA");
    assert_eq!(a["parameterSetIdentifier"], "65");
    assert_eq!(a["nistQuantumSecurityLevel"], 3);
    assert_eq!(
        by_ref(&doc, "crypto/algorithm/ML-DSA-65")["cryptoProperties"]["oid"],
        "2.16.840.1.101.3.4.3.18"
    );

    let p256 = cert("p256");
    assert_eq!(related(p256, 0), "crypto/algorithm/ecdsa-with-SHA256");
    assert_eq!(key_algorithm(p256), "crypto/algorithm/ECDSA-P-256");
    let a = algorithm_props(&doc, "ECDSA-P-256");
    assert_eq!(a["ellipticCurve"], "nist/P-256");
    assert_eq!(a["classicalSecurityLevel"], 128);
    assert_eq!(a["nistQuantumSecurityLevel"], 0);
    assert_eq!(property(p256, "pqready:quantum-safe"), Some("false"));

    let rsa = cert("rsa");
    assert_eq!(related(rsa, 0), "crypto/algorithm/sha256WithRSAEncryption");
    assert_eq!(
        algorithm_props(&doc, "sha256WithRSAEncryption")["algorithmFamily"],
        "RSASSA-PKCS1"
    );
    assert_eq!(key_algorithm(rsa), "crypto/algorithm/RSA-2048");
    let a = algorithm_props(&doc, "RSA-2048");
    assert_eq!(a["parameterSetIdentifier"], "2048");
    assert_eq!(a["classicalSecurityLevel"], 112);
    assert_eq!(a["nistQuantumSecurityLevel"], 0);
    let public = by_ref(&doc, &related(rsa, 1));
    assert_eq!(
        public["cryptoProperties"]["relatedCryptoMaterialProperties"]["type"],
        "public-key"
    );
    assert_eq!(
        public["cryptoProperties"]["relatedCryptoMaterialProperties"]["size"],
        2048
    );

    // The private key file: a key asset of the same algorithm, never its material.
    let private: Vec<&Value> = of_type(&doc, "related-crypto-material")
        .into_iter()
        .filter(|k| {
            k["cryptoProperties"]["relatedCryptoMaterialProperties"]["type"] == "private-key"
        })
        .collect();
    assert_eq!(private.len(), 1);
    let props = &private[0]["cryptoProperties"]["relatedCryptoMaterialProperties"];
    assert_eq!(
        props["relatedCryptographicAssets"][0]["ref"],
        "crypto/algorithm/RSA-2048"
    );
    assert!(props.get("value").is_none());
    assert_eq!(property(private[0], "pqready:kind"), Some("private"));

    let v16 = cbom(&["certs", path, "-o", "cbom", "--cbom-version", "1.6"]);
    assert_valid("1.6", "certs -o cbom --cbom-version 1.6", &v16);
    assert_linked(&v16);
}

/// A Go 1.24 program of the peer prefix: an application component with its
/// default key exchange, linked to the hybrid's parts.
#[test]
fn binaries_cbom_has_the_go_program_and_its_key_exchange() {
    if !support::peers::require(&["goserver-1.24"]) {
        return;
    }
    let server = support::peers::bin("goserver-1.24");
    for version in ["1.7", "1.6"] {
        let doc = cbom(&[
            "binaries",
            server.to_str().unwrap(),
            "-o",
            "cbom",
            "--cbom-version",
            version,
        ]);
        assert_valid(version, "binaries -o cbom", &doc);
        assert_linked(&doc);
        let apps: Vec<&Value> = components(&doc)
            .iter()
            .filter(|c| c["type"] == "application")
            .collect();
        assert_eq!(apps.len(), 1);
        let app = apps[0];
        assert_eq!(property(app, "pqready:verdict"), Some("pq"));
        assert!(property(app, "pqready:go-version")
            .unwrap()
            .starts_with("go1.24"));
        assert!(property(app, "pqready:default-groups")
            .unwrap()
            .starts_with("X25519MLKEM768,"));
        assert_eq!(
            property(app, "pqready:pq-default-groups"),
            Some("X25519MLKEM768")
        );
        let deps = doc["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ref"] == app["bom-ref"])
            .unwrap();
        let on = deps["dependsOn"].as_array().unwrap();
        for part in ["ML-KEM-768", "X25519"] {
            assert!(
                on.contains(&format!("crypto/algorithm/{part}").into()),
                "{part}: {on:?}"
            );
        }
    }
}

#[test]
fn catalog_commands_and_bad_versions_refuse_cbom() {
    for args in [
        &["profiles", "-o", "cbom"][..],
        &["matrix", "-o", "cbom"],
        &["demo", "-o", "cbom", "--cbom-version", "1.5"],
    ] {
        let out = support::command::run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: no document");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("pqready: error: "), "{err}");
    }
    let err = String::from_utf8(support::command::run(&["matrix", "-o", "cbom"]).stderr).unwrap();
    assert!(
        err.contains("-o cbom is not available for `matrix`"),
        "{err}"
    );
}

/// The protocol asset of the edge `client` (`kind/name`) → `server` (`category/name`).
fn edge_asset<'a>(doc: &'a Value, client: &str, server: &str) -> &'a Value {
    of_type(doc, "protocol")
        .into_iter()
        .find(|c| {
            property(c, "pqready:edge:client") == Some(client)
                && property(c, "pqready:edge:server") == Some(server)
        })
        .unwrap_or_else(|| panic!("no edge asset {client} → {server}"))
}

#[test]
fn cluster_cbom_lists_each_edge_as_a_protocol_asset() {
    if !support::peers::require(&crate::exporter::EDGE_PEERS) {
        return;
    }
    let cluster = crate::exporter::edge_cluster();
    let config = cluster.config.to_str().unwrap();
    let json = support::command::json_lines(&["cluster", "--kubeconfig", config, "-o", "json"]);
    let edges = json[0]["edges"].as_array().unwrap().clone();
    let doc = cbom(&["cluster", "--kubeconfig", config, "-o", "cbom"]);
    assert_valid("1.7", "cluster -o cbom", &doc);
    assert_linked(&doc);
    for e in &edges {
        let client = format!(
            "{}/{}",
            e["client"]["kind"].as_str().unwrap(),
            e["client"]["name"].as_str().unwrap()
        );
        let server = format!(
            "{}/{}",
            e["server"]["category"].as_str().unwrap(),
            e["server"]["name"].as_str().unwrap()
        );
        let asset = edge_asset(&doc, &client, &server);
        let protocol = &asset["cryptoProperties"]["protocolProperties"];
        assert_eq!(protocol["type"], "tls");
        assert_eq!(
            property(asset, "pqready:edge:standing"),
            e["standing"].as_str()
        );
        assert_eq!(
            property(asset, "pqready:negotiated-group"),
            e["negotiated_group"].as_str()
        );
        assert_eq!(
            property(asset, "pqready:edge:server-address"),
            e["server"]["address"].as_str()
        );
        for f in e["findings"].as_array().unwrap() {
            let name = format!("pqready:finding:{}", f["id"].as_str().unwrap());
            assert_eq!(property(asset, &name), f["severity"].as_str(), "{asset:#}");
        }
        // The negotiated group is its algorithms: a hybrid is its parts.
        let refs: Vec<&str> = protocol["relatedCryptographicAssets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["ref"].as_str().unwrap())
            .collect();
        let want: &[&str] = match e["negotiated_group"].as_str() {
            Some("X25519MLKEM768") => &["crypto/algorithm/ML-KEM-768", "crypto/algorithm/X25519"],
            Some("x25519") => &["crypto/algorithm/X25519"],
            None => &[],
            Some(other) => panic!("an edge negotiated {other}"),
        };
        assert_eq!(refs, want, "{asset:#}");
    }
    let downgrade = edge_asset(&doc, "kubelet/old-1", "apiserver/kube-apiserver");
    assert_eq!(
        property(downgrade, "pqready:edge:silent-downgrade"),
        Some("true")
    );
    assert_eq!(
        property(downgrade, "pqready:finding:silent-downgrade-edge"),
        Some("high")
    );
    let unknown = edge_asset(&doc, "workload/shop/cart", "apiserver/kube-apiserver");
    assert_eq!(property(unknown, "pqready:edge:standing"), Some("unknown"));
    assert_eq!(property(unknown, "pqready:edge:client-profile"), None);
    // Every edge once.
    let listed = of_type(&doc, "protocol")
        .into_iter()
        .filter(|c| property(c, "pqready:edge:client").is_some())
        .count();
    assert_eq!(listed, edges.len());

    // 1.6: the same assets, linked by `cryptoRefArray`.
    let old = cbom(&[
        "cluster",
        "--kubeconfig",
        config,
        "-o",
        "cbom",
        "--cbom-version",
        "1.6",
    ]);
    assert_valid("1.6", "cluster -o cbom --cbom-version 1.6", &old);
    assert_linked(&old);
    let pq = edge_asset(&old, "kubelet/new-1", "apiserver/kube-apiserver");
    assert_eq!(
        pq["cryptoProperties"]["protocolProperties"]["cryptoRefArray"],
        serde_json::json!(["crypto/algorithm/ML-KEM-768", "crypto/algorithm/X25519"])
    );
}
