//! `pqready cluster` end to end, as an operator runs it: the real binary with
//! a kubeconfig (token, client certificate or exec plugin) against the test
//! API server of tests/it/support/apiserver.rs (real TLS, the exact JSON shapes
//! of the Kubernetes API), whose objects point at real peers on loopback:
//! Go 1.22/1.23/1.24 `crypto/tls` servers as kubelets and webhooks, OpenSSL
//! 3.5 as a controller's secure port, nginx behind a Service, Debian etcd as
//! the control plane's etcd, and a real kubectl 1.32 as the local client.

use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Output};
use support::apiserver::{
    kubeadm, ClientConfig, Cluster, Service, ServicePort, TestApiServer, EXEC_TOKEN, TOKEN,
};
use support::{kubeconfig, peers};

use crate::support;
use support::command::run_with_path as pqready;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The run succeeded (exit 0); its stderr otherwise.
fn assert_ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `pqready cluster --kubeconfig CONFIG --only groups -o json EXTRA...`: the
/// quickest audit, for tests about discovery and credentials.
pub(crate) fn groups_audit(config: &Path, extra: &[&str]) -> Output {
    let config = config.to_str().unwrap();
    let mut args = vec![
        "cluster",
        "--kubeconfig",
        config,
        "--only",
        "groups",
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    pqready(&args, &[])
}

pub(crate) fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON document ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Neither stream holds any of `secrets`.
fn assert_no_secret(out: &Output, secrets: &[&str]) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in secrets {
        assert!(!text.contains(secret), "a credential leaked: {secret}");
    }
}

/// The document matches docs/schema/cluster.schema.json (generated from the types).
fn assert_schema(doc: &Value) {
    let schema = serde_json::to_value(pqready::report::schema::schema("cluster").unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not a cluster document:\n{}",
        errors.join("\n")
    );
}

fn component<'a>(doc: &'a Value, category: &str, name: &str) -> &'a Value {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == category && c["name"] == name)
        .unwrap_or_else(|| panic!("no {category} {name} in {:#}", doc["components"]))
}

fn status(c: &Value) -> &str {
    c["result"]["verdict"]["status"].as_str().unwrap_or("none")
}

#[test]
fn audits_every_component_against_real_peers() {
    let needs = [
        "goserver-1.22",
        "goserver-1.23",
        "goserver-1.24",
        "openssl",
        "nginx",
        "usr/bin/etcd",
        "kubectl.1.32",
    ];
    if !peers::require(&needs) {
        return;
    }
    let kubelet_pq = peers::go_server("1.24");
    let kubelet_classical = peers::go_server("1.22");
    let webhook_draft = peers::go_server("1.23");
    let controller = peers::s_server(&[]);
    let nginx = peers::nginx();
    let etcd = peers::etcd(&[]);
    let closed = kubeconfig::closed_port();
    let etcd_url = format!("https://{}", etcd.addr);
    let cluster = Cluster::new()
        .version("v1.33.2", "go1.24.4")
        // An API server that claims go1.24 behind a classical TLS proxy.
        .tls_groups(true)
        .node("node-a", kubelet_pq.addr)
        .node("node-b", kubelet_classical.addr)
        .static_pod(
            "kube-apiserver",
            "node-a",
            kubeadm::apiserver(LOOPBACK, 6443, &etcd_url),
        )
        .static_pod("etcd", "node-a", kubeadm::etcd("node-a", &etcd_url))
        .static_pod(
            "kube-controller-manager",
            "node-a",
            kubeadm::controller_manager(controller.addr.port()),
        )
        .static_pod(
            "kube-scheduler",
            "node-a",
            kubeadm::scheduler(closed.port()),
        )
        .validating_webhook(
            "policy",
            ClientConfig::url(&format!("https://{}/validate", webhook_draft.addr)),
        )
        .service(Service::cluster_ip(
            "hooks",
            "mutator",
            "127.0.0.1",
            vec![ServicePort::new("https", nginx.addr.port())],
        ))
        .mutating_webhook(
            "mutate",
            ClientConfig::service("hooks", "mutator", nginx.addr.port()),
        )
        // A ClusterIP nothing answers on: its endpoint (nginx) is probed instead.
        .service(Service::cluster_ip(
            "crds",
            "converter",
            "127.0.0.1",
            vec![ServicePort::new("https", closed.port()).target(nginx.addr.port())],
        ))
        .endpoint_slice("crds", "converter", &[LOOPBACK], nginx.addr.port())
        .crd_conversion(
            "widgets.example.com",
            ClientConfig::service("crds", "converter", closed.port()),
        )
        .crd("gadgets.example.com")
        .service(Service::cluster_ip(
            "kube-system",
            "metrics-server",
            "127.0.0.1",
            vec![ServicePort::new("https", kubelet_pq.addr.port())],
        ))
        .apiservice(
            "v1beta1.metrics.k8s.io",
            Some(("kube-system", "metrics-server", kubelet_pq.addr.port())),
        )
        .apiservice("v1.apps", None);
    let server = TestApiServer::start(cluster);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let path = support::clients::kubectl_on_path(dir.path(), "1.32");
    let started = std::time::Instant::now();
    let out = pqready(
        &[
            "cluster",
            "--kubeconfig",
            config.to_str().unwrap(),
            "-o",
            "json",
        ],
        &[&path],
    );
    let wall = started.elapsed();
    assert_no_secret(&out, &[TOKEN]);
    // One component cannot be reached (the scheduler's closed port): that is
    // reported, not a failure.
    assert_ok(&out);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    assert_eq!(
        (doc["schema"].as_str(), doc["kind"].as_str()),
        (Some("pqready/v1"), Some("cluster"))
    );
    assert_eq!(doc["cluster"]["server"], server.url());
    assert_eq!(doc["cluster"]["git_version"], "v1.33.2");
    assert_eq!(doc["cluster"]["go_version"], "go1.24.4");
    assert_eq!(doc["cluster"]["context"], "test-token");

    let found: Vec<(String, String, String)> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["category"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
                c["address"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    let addr = |a: SocketAddr| a.to_string();
    let expected = [
        (
            "apiserver",
            "kube-apiserver".to_string(),
            addr(server.addr()),
        ),
        ("etcd", "etcd-node-a".to_string(), addr(etcd.addr)),
        (
            "controller",
            "kube-controller-manager-node-a".to_string(),
            addr(controller.addr),
        ),
        (
            "controller",
            "kube-scheduler-node-a".to_string(),
            addr(closed),
        ),
        ("kubelet", "node-a".to_string(), addr(kubelet_pq.addr)),
        (
            "kubelet",
            "node-b".to_string(),
            addr(kubelet_classical.addr),
        ),
        (
            "webhook",
            "policy.example.com".to_string(),
            addr(webhook_draft.addr),
        ),
        (
            "webhook",
            "mutate.example.com".to_string(),
            addr(nginx.addr),
        ),
        (
            "webhook",
            "widgets.example.com conversion".to_string(),
            addr(closed),
        ),
        (
            "apiservice",
            "v1beta1.metrics.k8s.io".to_string(),
            addr(kubelet_pq.addr),
        ),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (category, name, address) in &expected {
        assert!(
            found
                .iter()
                .any(|f| (f.0.as_str(), &f.1, &f.2) == (*category, name, address)),
            "missing {category} {name} {address} in {found:#?}"
        );
    }

    // Every verdict, from real peers.
    let api = component(&doc, "apiserver", "kube-apiserver");
    assert_eq!(status(api), "classical");
    assert_eq!(api["expected"]["model"], "k8s1.33");
    assert_eq!(api["expected"]["verdict"], "pq");
    assert_eq!(api["flags"]["tls-min-version"], "VersionTLS12");
    assert_eq!(api["flags"]["etcd-servers"], etcd_url);
    assert_eq!(
        status(component(&doc, "etcd", "etcd-node-a")),
        "classical",
        "Debian etcd: tlsmlkem=0"
    );
    assert_eq!(
        status(component(
            &doc,
            "controller",
            "kube-controller-manager-node-a"
        )),
        "pq"
    );
    let scheduler = component(&doc, "controller", "kube-scheduler-node-a");
    assert_eq!(scheduler["reachable"], false);
    assert_eq!(scheduler["result"]["error_kind"], "refused");
    assert_eq!(status(component(&doc, "kubelet", "node-a")), "pq");
    assert_eq!(status(component(&doc, "kubelet", "node-b")), "classical");
    // Each component's served certificates and authentication (a Go
    // kubelet's own self-signed ECDSA P-256 certificate; Go cannot sign
    // with ML-DSA).
    let kubelet = &component(&doc, "kubelet", "node-a")["result"];
    assert_eq!(kubelet["authentication"]["mldsa"], false, "{kubelet}");
    assert_eq!(kubelet["authentication"]["classical"], true, "{kubelet}");
    assert_eq!(kubelet["certificates"][0]["role"], "leaf");
    assert_eq!(kubelet["certificates"][0]["curve"], "P-256");
    assert_eq!(
        kubelet["certificates"][0]["deadlines"][0]["disallowed_after"],
        "2035-12-31"
    );
    assert_eq!(
        status(component(&doc, "webhook", "policy.example.com")),
        "draft-only"
    );
    assert_eq!(
        status(component(&doc, "webhook", "mutate.example.com")),
        "pq"
    );
    let conversion = component(&doc, "webhook", "widgets.example.com conversion");
    assert_eq!(conversion["reachable"], true, "its endpoint answered");
    assert_eq!(conversion["result"]["target"], addr(nginx.addr));
    assert_eq!(status(conversion), "pq");
    assert_eq!(
        status(component(&doc, "apiservice", "v1beta1.metrics.k8s.io")),
        "pq"
    );

    // Key exchange is judged without --clients: a classical etcd or API
    // server carries Secrets (high), a classical kubelet does not (medium),
    // a webhook offering only the Kyber draft gets classical clients.
    let key_exchange = |category: &str, name: &str| -> Vec<(String, String)> {
        component(&doc, category, name)["result"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"].as_str().unwrap().ends_with("key-exchange"))
            .map(|f| {
                (
                    f["id"].as_str().unwrap().into(),
                    f["severity"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let high = vec![("classical-key-exchange".to_string(), "high".to_string())];
    assert_eq!(key_exchange("etcd", "etcd-node-a"), high);
    assert_eq!(key_exchange("apiserver", "kube-apiserver"), high);
    let etcd_finding = &component(&doc, "etcd", "etcd-node-a")["result"]["findings"][0];
    assert!(
        etcd_finding["detail"]
            .as_str()
            .unwrap()
            .contains("every Secret of the cluster"),
        "{etcd_finding}"
    );
    assert_eq!(
        key_exchange("kubelet", "node-b"),
        vec![("classical-key-exchange".to_string(), "medium".to_string())]
    );
    assert_eq!(
        key_exchange("webhook", "policy.example.com"),
        vec![("draft-only-key-exchange".to_string(), "medium".to_string())]
    );
    assert!(key_exchange("kubelet", "node-a").is_empty());
    // The table and the Markdown group findings by kind and severity: the
    // medium kubelet is not counted among the high ones.
    let saved = dir.path().join("cluster.json");
    std::fs::write(&saved, &out.stdout).unwrap();
    for (format, high, medium) in [
        (
            "table",
            "HIGH classical-key-exchange ×2:",
            "MEDIUM classical-key-exchange:",
        ),
        (
            "markdown",
            "**high** `classical-key-exchange` ×2:",
            "**medium** `classical-key-exchange`:",
        ),
    ] {
        let rendered = pqready(&["report", saved.to_str().unwrap(), "-o", format], &[]);
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(text.contains(high) && text.contains(medium), "{text}");
    }

    // The API server's build says PQ; the wire says classical.
    let findings = doc["findings"].as_array().unwrap();
    let mismatch = findings
        .iter()
        .find(|f| f["id"] == "key-exchange-mismatch")
        .unwrap_or_else(|| panic!("no mismatch finding: {findings:#?}"));
    assert_eq!(mismatch["severity"], "high");
    assert!(
        mismatch["detail"].as_str().unwrap().contains("k8s1.33"),
        "{mismatch}"
    );

    // The local kubectl 1.32 (go1.23) against this API server.
    let local = &doc["local_clients"][0];
    assert_eq!(local["profile"], "kubectl1.32");
    assert!(
        local["build_godebug"].is_string(),
        "its build info was read: {local}"
    );
    assert_eq!(local["negotiated_group"], "x25519");
    assert_eq!(local["pq"], false);
    assert!(
        local["advice"]
            .as_str()
            .unwrap()
            .contains("upgrade kubectl to 1.33"),
        "{local}"
    );

    assert_eq!(doc["summary"]["components"], 10);
    assert_eq!(doc["summary"]["unreachable"], 1);
    assert_eq!(doc["summary"]["pq"], 5);
    assert_eq!(doc["summary"]["classical"], 3);
    assert_eq!(doc["summary"]["draft_only"], 1);
    assert!(
        doc["hidden"].as_array().unwrap().is_empty(),
        "{}",
        doc["hidden"]
    );
    // The API server was asked only for what discovery reads, always authenticated.
    let requests = server.requests();
    assert!(requests.iter().all(|r| r.method == "GET"));
    assert!(
        requests
            .iter()
            .all(|r| r.user.as_deref() == Some("token-user")),
        "{requests:?}"
    );
    let connections: u64 = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["result"]["connections"].as_u64().unwrap_or(0))
        .sum();
    eprintln!(
        "cluster audit: {} components, {connections} probe connections, {} API requests, {:.2} s",
        found.len(),
        requests.len(),
        wall.as_secs_f64()
    );

    // The table says the same, grouped by component, with the fix.
    let table = pqready(
        &["cluster", "--kubeconfig", config.to_str().unwrap()],
        &[&path],
    );
    assert_eq!(table.status.code(), Some(0));
    let text = String::from_utf8_lossy(&table.stdout);
    for needle in [
        "apiserver kube-apiserver",
        "expected pq from its build (k8s1.33)",
        "--tls-min-version=VersionTLS12",
        "unreachable from here",
        "local kubectl (",
        "your kubectl v1.32",
        "did not answer; probed its endpoint",
        "10 components: 5 pq, 1 draft-only, 3 classical, 1 unreachable from here, 0 errors",
        "HIGH key-exchange-mismatch",
        "fix: ",
        "    certificate localhost: EC P-256, signed with ecdsa-with-SHA256, not after ",
        "; nist: disallowed after 2035-12-31",
        "    auth: ML-DSA: no (received fatal alert: HandshakeFailure); classical: yes (ecdsa_secp256r1_sha256)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert_no_secret(&table, &[TOKEN]);

    // The exchange formats carry the same audit: SARIF results at each
    // component, a CycloneDX CBOM of every component's cryptography, a
    // Markdown summary and an HTML page; each is valid, none leaks the token.
    let format = |name: &str| {
        let out = pqready(
            &[
                "cluster",
                "--kubeconfig",
                config.to_str().unwrap(),
                "-o",
                name,
            ],
            &[&path],
        );
        assert_eq!(out.status.code(), Some(0), "-o {name}");
        assert_no_secret(&out, &[TOKEN]);
        String::from_utf8(out.stdout).unwrap()
    };
    let findings = doc["findings"].as_array().unwrap().len();
    let sarif: Value = serde_json::from_str(&format("sarif")).unwrap();
    let errors = support::formats::sarif_violations(&sarif);
    assert!(errors.is_empty(), "cluster SARIF:\n{}", errors.join("\n"));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        findings,
        "one SARIF result per cluster finding"
    );
    assert!(results.iter().any(
        |r| r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .is_some_and(|n| n.starts_with("cluster/apiserver/"))
    ));
    let cbom: Value = serde_json::from_str(&format("cbom")).unwrap();
    let errors = support::formats::cyclonedx_violations("1.7", &cbom);
    assert!(errors.is_empty(), "cluster CBOM:\n{}", errors.join("\n"));
    let names: Vec<&str> = cbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        names.contains(&"ML-KEM-768") && names.contains(&"X25519"),
        "{names:?}"
    );
    let markdown = format("markdown");
    assert!(
        markdown.contains("kube-apiserver") && markdown.lines().count() <= 60,
        "{markdown}"
    );
    let html = format("html");
    assert!(html.contains("kube-apiserver") && !html.contains("<script"));
}

/// A small cluster: one API server (PQ) and nothing else.
fn small() -> TestApiServer {
    TestApiServer::start(Cluster::new())
}

#[test]
fn client_certificates_and_exec_plugins_work_as_for_kubectl() {
    let server = small();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key_pem) = kubeconfig::client_cert(dir.path(), &server, "auditor");
    let exec = kubeconfig::exec(dir.path(), &server);
    for (config, secrets) in [(&cert, vec![key_pem.as_str()]), (&exec, vec![EXEC_TOKEN])] {
        let out = groups_audit(config, &[]);
        assert_ok(&out);
        assert_no_secret(&out, &secrets);
        let doc = json(&out);
        let api = component(&doc, "apiserver", "kube-apiserver");
        assert_eq!(status(api), "pq");
        assert_eq!(api["result"]["checks"][0]["status"], "completed");
    }
    assert!(kubeconfig::exec_plugin_runs(dir.path()) >= 1);
    let users: Vec<Option<String>> = server.requests().into_iter().map(|r| r.user).collect();
    assert!(users.contains(&Some("auditor".into())) && users.contains(&Some("exec-user".into())));
}

#[test]
fn kubeconfig_files_merge_and_contexts_select() {
    let server = small();
    let dir = tempfile::tempdir().unwrap();
    let (_, _, joined) = kubeconfig::split(dir.path(), &server);
    let out = Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(["cluster", "--only", "groups", "-o", "json"])
        .env("KUBECONFIG", &joined)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_ok(&out);
    assert_eq!(json(&out)["cluster"]["server"], server.url());
    let multi = kubeconfig::multi(dir.path(), &server, "auditor", "unreachable");
    let out = groups_audit(&multi, &["--context", "test-exec", "--rate", "500", "-v"]);
    // -v logs pqready's exchanges, never a credential.
    assert!(String::from_utf8_lossy(&out.stderr).contains("sending ClientHello"));
    assert_no_secret(&out, &[EXEC_TOKEN, TOKEN]);
    assert_ok(&out);
    assert_eq!(json(&out)["cluster"]["context"], "test-exec");
}

#[test]
fn rbac_denials_are_reported_and_the_audit_goes_on() {
    let kubelet = SocketAddr::from((LOOPBACK, kubeconfig::closed_port().port()));
    let server = TestApiServer::start(
        Cluster::new()
            .node("node-a", kubelet)
            .deny("/api/v1/nodes")
            .deny("/apis/apiregistration.k8s.io")
            // An older ClusterRole, without the workloads the edges read.
            .deny("/apis/apps"),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let out = groups_audit(&config, &[]);
    assert_ok(&out);
    let doc = json(&out);
    assert_schema(&doc);
    let hidden: Vec<(&str, &str)> = doc["hidden"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["resource"].as_str().unwrap(),
                h["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hidden,
        [
            ("nodes", "not visible with these permissions"),
            (
                "apiservices.apiregistration.k8s.io",
                "not visible with these permissions"
            ),
            ("deployments.apps", "not visible with these permissions"),
            ("daemonsets.apps", "not visible with these permissions"),
            ("statefulsets.apps", "not visible with these permissions"),
        ]
    );
    // Each unread source is a finding of its own, naming the rule that
    // would let pqready read it, so a gate cannot pass on missing data.
    let unread: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "incomplete-audit")
        .map(|f| {
            assert_eq!(f["severity"], "medium");
            f["detail"].as_str().unwrap()
        })
        .collect();
    assert_eq!(unread.len(), 5, "{unread:#?}");
    assert!(unread[0].starts_with("nodes: not visible with these permissions"));
    assert!(unread[0].ends_with(r#"apiGroups: [""], resources: ["nodes"], verbs: ["get", "list"]"#));
    assert!(unread
        .iter()
        .any(|d| d.contains(r#"apiGroups: ["apps"], resources: ["statefulsets"]"#)));
    let gated = groups_audit(&config, &["--fail-on", "medium"]);
    assert_eq!(
        gated.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&gated.stderr)
    );
    let table = pqready(
        &[
            "cluster",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--only",
            "groups",
        ],
        &[],
    );
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("MEDIUM incomplete-audit ×5"), "{table}");
    let sarif = pqready(
        &[
            "cluster",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--only",
            "groups",
            "-o",
            "sarif",
        ],
        &[],
    );
    let sarif = json(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results
            .iter()
            .filter(|r| r["ruleId"] == "incomplete-audit")
            .count(),
        5,
        "{results:#?}"
    );
    // The edges the API server still gives: its own connections need no
    // workload, and none is guessed.
    assert!(doc["edges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["client"]["kind"] != "workload"));
    assert_eq!(status(component(&doc, "apiserver", "kube-apiserver")), "pq");
}

#[test]
fn bad_kubeconfigs_and_servers_give_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let not_kubernetes = TestApiServer::start(Cluster::new().route(
        "/version",
        404,
        serde_json::json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404}),
    ));
    let good = kubeconfig::token(dir.path(), &not_kubernetes);
    let multi = kubeconfig::multi(dir.path(), &not_kubernetes, "auditor", "unreachable");
    let malformed = kubeconfig::malformed(dir.path());
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--kubeconfig".into(), "/nonexistent/config".into()],
            "cannot read kubeconfig",
        ),
        (
            vec!["--kubeconfig".into(), malformed.display().to_string()],
            "not a valid kubeconfig",
        ),
        (
            vec![
                "--kubeconfig".into(),
                multi.display().to_string(),
                "--context".into(),
                "nope".into(),
            ],
            "context 'nope' is not in the kubeconfig",
        ),
        (
            vec!["--kubeconfig".into(), multi.display().to_string()],
            "did not answer /version",
        ),
        (
            vec!["--kubeconfig".into(), good.display().to_string()],
            "404",
        ),
        (
            vec!["--include".into(), "everything".into()],
            "invalid --include",
        ),
    ];
    for (args, expect) in cases {
        let mut all = vec!["cluster".to_string()];
        all.extend(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let out = pqready(&refs, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{all:?}: {err}");
        assert!(
            err.starts_with("pqready: error: ") && err.contains(expect),
            "{all:?}: {err}"
        );
        assert_no_secret(&out, &[TOKEN, EXEC_TOKEN]);
    }
}

#[test]
fn works_as_a_kubectl_plugin() {
    if !peers::require(&["kubectl.1.33"]) {
        return;
    }
    let server = small();
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let bin = dir.path().join("plugins");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_pqready"), bin.join("kubectl-pqready")).unwrap();
    let kubectl = peers::kubectl_dir().unwrap().join("kubectl.1.33");
    let out = Command::new(kubectl)
        .args([
            "pqready",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--only",
            "groups",
            "-o",
            "json",
        ])
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_ok(&out);
    let doc = json(&out);
    assert_eq!(doc["kind"], "cluster");
    assert_eq!(doc["cluster"]["server"], server.url());
}

/// A plain-HTTP Service port, written only for this test: it answers every
/// connection with an HTTP 400, as an HTTP server does to a ClientHello.
fn plain_http_port() -> SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    addr
}

#[test]
fn opt_in_discovery_of_ingress_gateways_services_and_mesh() {
    if !peers::require(&["goserver-1.24", "nginx"]) {
        return;
    }
    use support::apiserver::Listener;
    let go124 = peers::go_server("1.24");
    let nginx = peers::nginx();
    let http = plain_http_port();
    let server = TestApiServer::start(
        Cluster::new()
            .service(Service::load_balancer(
                "shop",
                "frontend",
                "127.0.0.1",
                vec![ServicePort::new("https", nginx.addr.port())],
                vec![LOOPBACK],
            ))
            .service(Service::cluster_ip(
                "shop",
                "metrics",
                "127.0.0.1",
                vec![ServicePort::new("http", http.port())],
            ))
            .ingress(
                "shop",
                "storefront",
                &["localhost"],
                &["localhost"],
                ("frontend", 443),
                &[],
            )
            .gateway(
                "shop",
                "public",
                vec![
                    Listener::new("https", "HTTPS", go124.addr.port(), Some("shop.example")),
                    Listener::new("http", "HTTP", 8080, None),
                ],
                &[LOOPBACK],
            )
            .pod(
                "shop",
                "cart-7d9f-abcde",
                LOOPBACK,
                &[("app", "cart")],
                &[("sidecar.istio.io/status", "{}")],
                &[("cart", &[go124.addr.port()]), ("istio-proxy", &[15090])],
            )
            .pod(
                "shop",
                "ledger-1",
                LOOPBACK,
                &[("istio.io/dataplane-mode", "ambient")],
                &[],
                &[("ledger", &[http.port()])],
            )
            .service(Service::external_name(
                "shop",
                "pricing",
                "localhost",
                vec![ServicePort::new("https", go124.addr.port())],
            ))
            .apiservice(
                "v1.pricing.example.com",
                Some(("shop", "pricing", go124.addr.port())),
            )
            .pod(
                "shop",
                "plain-1",
                LOOPBACK,
                &[("app", "plain")],
                &[],
                &[("plain", &[http.port()])],
            ),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let out = pqready(
        &[
            "cluster",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--include",
            "ingress,services,mesh",
            "-n",
            "shop",
            "--skip",
            "hello-tolerance",
            "-o",
            "json",
        ],
        &[],
    );
    assert_ok(&out);
    let doc = json(&out);
    let lb = component(&doc, "ingress", &format!("frontend:{}", nginx.addr.port()));
    assert_eq!(status(lb), "pq");
    // An Ingress TLS host is probed on 443 by name, with it as SNI.
    let ingress = component(&doc, "ingress", "storefront localhost");
    assert_eq!(ingress["address"], "localhost:443");
    assert_eq!(ingress["result"]["sni"], "localhost", "{ingress}");
    let gw = component(&doc, "gateway", "public https");
    assert_eq!(gw["address"], go124.addr.to_string());
    assert_eq!(
        gw["result"]["sni"], "shop.example",
        "the listener's hostname is the SNI"
    );
    assert_eq!(status(gw), "pq");
    assert!(
        !doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "public http"),
        "plain HTTP listeners are not TLS endpoints"
    );
    // Every Service port, TLS or not: the plain one is listed as such, not as an error.
    let metrics = component(&doc, "service", &format!("metrics:{}", http.port()));
    assert_eq!(metrics["speaks_tls"], false, "{metrics}");
    assert_eq!(doc["summary"]["not_tls"], 1);
    assert_eq!(doc["summary"]["error"], 0);
    // The sidecar and the ambient pods are meshed; the plain one is not.
    let mesh: Vec<&Value> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["category"] == "mesh")
        .collect();
    assert_eq!(mesh.len(), 2, "{mesh:?}");
    assert_eq!(mesh[0]["name"], "cart-7d9f-abcde (istio)");
    assert_eq!(mesh[0]["address"], go124.addr.to_string());
    assert_eq!(status(mesh[0]), "pq");
    // An ambient pod is probed on ztunnel's HBONE port, not its app port.
    assert_eq!(mesh[1]["name"], "ledger-1 (istio ambient)");
    assert_eq!(mesh[1]["address"], "127.0.0.1:15008");
    // An APIService backed by an ExternalName Service is probed at that name.
    let external = component(&doc, "apiservice", "v1.pricing.example.com");
    assert_eq!(
        external["address"],
        format!("localhost:{}", go124.addr.port())
    );
    assert_eq!(external["result"]["sni"], "localhost");
    assert_eq!(status(external), "pq");
    // -n limits the opt-in kinds to one namespace: no cluster-wide list of them.
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path.starts_with("/api/v1/namespaces/shop/pods")),
        "{requests:?}"
    );
    assert!(
        !requests.iter().any(|r| r.path.starts_with("/api/v1/pods")),
        "{requests:?}"
    );
}

/// `--in-cluster` as in a pod: the service account's token, CA and namespace
/// at the fixed path kube-rs reads, inside a private mount namespace (a tmpfs
/// over /run, so nothing outside the test sees them), and the API server in
/// KUBERNETES_SERVICE_HOST/PORT.
#[test]
fn in_cluster_mode_uses_the_service_account() {
    let probe = Command::new("unshare").args(["--mount", "true"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping cluster::in_cluster_mode_uses_the_service_account: `unshare --mount` is not permitted here (needs root)");
        return;
    }
    const SA_TOKEN: &str = "sa-token-SECRET-789";
    let server = TestApiServer::start(
        Cluster::new().token(SA_TOKEN, "system:serviceaccount:pqready:pqready"),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), SA_TOKEN).unwrap();
    std::fs::write(dir.path().join("ca.crt"), server.ca_pem()).unwrap();
    std::fs::write(dir.path().join("namespace"), "pqready").unwrap();
    let script = format!(
        "set -e; mount -t tmpfs tmpfs /run; \
         mkdir -p /run/secrets/kubernetes.io/serviceaccount; \
         cp {d}/token {d}/ca.crt {d}/namespace /run/secrets/kubernetes.io/serviceaccount/; \
         exec \"$0\" cluster --in-cluster --only groups -o json",
        d = dir.path().display()
    );
    let out = Command::new("unshare")
        .args([
            "--mount",
            "sh",
            "-c",
            &script,
            env!("CARGO_BIN_EXE_pqready"),
        ])
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", server.addr().port().to_string())
        .env("PATH", "/usr/bin:/bin")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert_ok(&out);
    assert_no_secret(&out, &[SA_TOKEN]);
    let doc = json(&out);
    assert_eq!(doc["cluster"]["context"], Value::Null);
    assert_eq!(status(component(&doc, "apiserver", "kube-apiserver")), "pq");
    assert!(server
        .requests()
        .iter()
        .all(|r| r.user.as_deref() == Some("system:serviceaccount:pqready:pqready")));
    // Outside a pod, --in-cluster is one clear error.
    let out = pqready(&["cluster", "--in-cluster"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--in-cluster: no service account here"));
}

#[test]
fn services_speaking_starttls_are_audited_not_dismissed() {
    if !peers::require(&[
        "/usr/bin/unshare",
        "usr/lib/postgresql/17/bin/postgres",
        "usr/sbin/slapd",
    ]) {
        return;
    }
    let pg = crate::starttls::postgres(true);
    let ldap = crate::starttls::slapd();
    let server = TestApiServer::start(
        Cluster::new()
            // Known by its port's name.
            .service(Service::cluster_ip(
                "data",
                "db",
                "127.0.0.1",
                vec![ServicePort::new("postgresql", pg.addr.port())],
            ))
            // Known by its appProtocol only.
            .service(Service::cluster_ip(
                "data",
                "directory",
                "127.0.0.1",
                vec![ServicePort::new("main", ldap.addr.port()).app_protocol("ldap")],
            )),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let out = pqready(
        &[
            "cluster",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--include",
            "services",
            "-n",
            "data",
            "--skip",
            "hello-tolerance",
            "-o",
            "json",
        ],
        &[],
    );
    let doc = json(&out);
    let db = component(&doc, "service", &format!("db:{}", pg.addr.port()));
    assert_eq!(db["result"]["protocol"], "postgres", "{db:#}\n{}", pg.log());
    assert_eq!(db["speaks_tls"], true, "{db:#}");
    assert_eq!(status(db), "classical", "{db:#}");
    assert_eq!(db["result"]["handshake"]["negotiated_group"], "secp256r1");
    let directory = component(&doc, "service", &format!("directory:{}", ldap.addr.port()));
    assert_eq!(directory["result"]["protocol"], "ldap", "{directory:#}");
    assert_eq!(status(directory), "pq", "{directory:#}\n{}", ldap.log());
    assert_eq!(doc["summary"]["not_tls"], 0, "{:#}", doc["summary"]);
}

/// `pqready cluster --include ingress -n web -o json` (every check), for the HTTP/3 tests.
fn ingress_audit(server: &TestApiServer, dir: &Path) -> Value {
    let config = kubeconfig::token(dir, server);
    let out = pqready(
        &[
            "cluster",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--include",
            "ingress",
            "-n",
            "web",
            "--timeout",
            "10s",
            "-o",
            "json",
        ],
        &[],
    );
    assert_ok(&out);
    let doc = json(&out);
    assert_schema(&doc);
    doc
}

fn names(doc: &Value) -> Vec<String> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// Issue 23 §3: `--include ingress` tries QUIC where the cluster says HTTP/3
/// is served. Debian's Caddy 2.11 (with GODEBUG=tlsmlkem=1, so it is
/// post-quantum) answers TCP and UDP on one loopback port, standing for an
/// ingress controller's 443: behind a LoadBalancer Service published as
/// Traefik's chart publishes it (`websecure` TCP, `websecure-http3` UDP, same
/// number), and behind a Gateway whose HTTPS listener an Envoy Gateway
/// ClientTrafficPolicy makes HTTP/3. The group pqready reports over QUIC is
/// the one OpenSSL 3.5's own QUIC client gets from the same port.
#[test]
fn ingress_http3_is_probed_over_quic_where_a_service_or_policy_says_so() {
    if !peers::require(&["caddy", "openssl"]) {
        return;
    }
    use support::apiserver::Listener;
    let caddy = peers::caddy(&[("GODEBUG", "tlsmlkem=1")]);
    let p = caddy.addr.port();
    // A UDP port that is not HTTP/3 (syslog): held, so no one else takes it.
    let syslog = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let q = syslog.local_addr().unwrap().port();
    let server = TestApiServer::start(
        Cluster::new()
            .service(Service::load_balancer(
                "web",
                "traefik",
                "127.0.0.1",
                vec![
                    ServicePort::new("websecure", p),
                    ServicePort::new("websecure-http3", p).udp(),
                    ServicePort::new("syslog", q).udp(),
                ],
                vec![LOOPBACK],
            ))
            .gateway(
                "web",
                "public",
                vec![Listener::new("https", "HTTPS", p, Some("shop.example"))],
                &[LOOPBACK],
            )
            .client_traffic_policy("web", "enable-http3", "public", None, true)
            // A policy without http3, and a Gateway with no policy at all.
            .gateway(
                "web",
                "internal",
                vec![Listener::new("https", "HTTPS", p, Some("internal.example"))],
                &[LOOPBACK],
            )
            .client_traffic_policy("web", "tls-only", "internal", None, false)
            .gateway(
                "web",
                "plain",
                vec![Listener::new("https", "HTTPS", p, None)],
                &[LOOPBACK],
            ),
    );
    let dir = tempfile::tempdir().unwrap();
    let doc = ingress_audit(&server, dir.path());
    let all = names(&doc);

    // The LoadBalancer: TCP as before, plus its HTTP/3 port over QUIC.
    let tcp = component(&doc, "ingress", &format!("traefik:{p}"));
    assert_eq!(tcp["address"], format!("127.0.0.1:{p}"));
    assert_eq!(status(tcp), "pq", "{tcp:#}");
    let quic = component(&doc, "ingress", &format!("traefik:{p} (quic)"));
    assert_eq!(quic["address"], format!("quic://127.0.0.1:{p}"));
    assert_eq!(
        quic["source"],
        format!(
            "Service/web/traefik LoadBalancer UDP port {p}: HTTP/3 (port name websecure-http3)"
        )
    );
    let result = &quic["result"];
    assert_eq!(result["protocol"], "quic", "{quic:#}");
    assert_eq!(status(quic), "pq", "{quic:#}");
    assert_eq!(
        result["groups"]["supported"][0], "X25519MLKEM768",
        "{quic:#}"
    );
    let two = result["hello_tolerance"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "quic-two-initials")
        .unwrap_or_else(|| panic!("no quic-two-initials: {quic:#}"));
    assert_eq!(two["outcome"], "ok", "{two}");
    assert_eq!(
        crate::quic::codepoint(&two["negotiated_group"]),
        crate::quic::s_client_quic_group(caddy.addr),
        "OpenSSL's QUIC client gets the same group from the same port"
    );
    // The syslog UDP port is neither a TCP target (the old bug) nor QUIC.
    assert!(
        !doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["address"]
                .as_str()
                .unwrap_or("")
                .ends_with(&format!(":{q}"))),
        "{all:?}"
    );

    // The Gateway made HTTP/3 by its policy: the listener's address, port
    // and hostname (as SNI) over QUIC, next to its TCP component.
    let gw = component(&doc, "gateway", "public https");
    assert_eq!(gw["address"], format!("127.0.0.1:{p}"));
    let gw_quic = component(&doc, "gateway", "public https (quic)");
    assert_eq!(gw_quic["address"], format!("quic://127.0.0.1:{p}"));
    assert_eq!(
        gw_quic["source"],
        "Gateway/web/public listener https (HTTPS): HTTP/3 by ClientTrafficPolicy/web/enable-http3 spec.http3"
    );
    assert_eq!(gw_quic["result"]["protocol"], "quic");
    assert_eq!(gw_quic["result"]["sni"], "shop.example", "{gw_quic:#}");
    assert_eq!(status(gw_quic), "pq", "{gw_quic:#}");
    // No http3 in the policy, or no policy: TCP only.
    for name in ["internal https", "plain https"] {
        component(&doc, "gateway", name);
        assert!(!all.contains(&format!("{name} (quic)")), "{all:?}");
    }
    assert_eq!(
        all.iter().filter(|n| n.ends_with(" (quic)")).count(),
        2,
        "{all:?}"
    );
    assert_eq!(doc["hidden"], serde_json::json!([]), "{:#}", doc["hidden"]);
    assert!(server.requests().iter().any(|r| r
        .path
        .starts_with("/apis/gateway.envoyproxy.io/v1alpha1/namespaces/web/clienttrafficpolicies")));
    drop(syslog);
}

/// Without Envoy Gateway's CRD (404) or without permission to read its
/// policies (403), the Gateways are still audited over TCP and the kind is
/// listed as not read, as for every optional kind; a cluster with no HTTPS
/// listener is not even asked.
#[test]
fn client_traffic_policies_missing_or_denied_are_hidden_not_fatal() {
    use support::apiserver::Listener;
    let closed = kubeconfig::closed_port();
    let gateway = || {
        Cluster::new().gateway(
            "web",
            "public",
            vec![Listener::new("https", "HTTPS", closed.port(), None)],
            &[LOOPBACK],
        )
    };
    let list = "/apis/gateway.envoyproxy.io/v1alpha1/namespaces/web/clienttrafficpolicies";
    let missing = gateway().route(
        list,
        404,
        support::apiserver::status_json(
            404,
            "NotFound",
            "the server could not find the requested resource",
            None,
        ),
    );
    let denied = gateway().deny("/apis/gateway.envoyproxy.io");
    for (cluster, reason, cause, unread) in [
        (missing, "not served by this cluster", "not-served", 0),
        (denied, "not visible with these permissions", "denied", 1),
    ] {
        let server = TestApiServer::start(cluster);
        let dir = tempfile::tempdir().unwrap();
        let doc = ingress_audit(&server, dir.path());
        component(&doc, "gateway", "public https");
        assert!(!names(&doc).iter().any(|n| n.ends_with("(quic)")));
        assert_eq!(
            doc["hidden"],
            serde_json::json!([{
                "resource": "clienttrafficpolicies.gateway.envoyproxy.io",
                "reason": reason,
                "cause": cause,
            }])
        );
        // A CRD that is not installed hides nothing; a denied one does.
        let incomplete = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "incomplete-audit")
            .count();
        assert_eq!(incomplete, unread, "{:#}", doc["findings"]);
    }
    let server = TestApiServer::start(Cluster::new().gateway(
        "web",
        "passthrough",
        vec![Listener::new("tls", "TLS", closed.port(), None)],
        &[LOOPBACK],
    ));
    let dir = tempfile::tempdir().unwrap();
    let doc = ingress_audit(&server, dir.path());
    assert_eq!(doc["hidden"], serde_json::json!([]));
    assert!(!server
        .requests()
        .iter()
        .any(|r| r.path.contains("clienttrafficpolicies")));
}
