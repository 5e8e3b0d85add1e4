//! `pqready cluster`'s edges: every client→server pair of a cluster in the
//! middle of an upgrade, predicted by replaying each client's profile
//! against the real server, then checked on the wire by running the real
//! client of that build (Go `crypto/tls` clients, kubectl) through a
//! recording tap to that same server.
//!
//! The cluster: an API server v1.33.2 (the test API server, rustls with
//! X25519MLKEM768 first), three nodes whose kubelets run v1.32.4 (a Go 1.23
//! `crypto/tls` server: only the Kyber draft) and one at v1.33.2 (Go 1.24),
//! Debian's etcd (tlsmlkem=0: classical), a scheduler at v1.33.2 and a
//! controller manager at v1.32.4 (static pod image tags), kube-proxy from
//! its DaemonSet at v1.32.4, a webhook behind Go 1.24, an aggregated API
//! behind Go 1.23, a workload of unknown build, one without an API token,
//! and the local kubectl 1.32.

use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use support::apiserver::{
    kubeadm, ClientConfig, Cluster, Service, ServicePort, TestApiServer, TOKEN,
};
use support::clients::{self, RealClient};
use support::tap::Tap;
use support::{kubeconfig, peers};

use crate::support;
use support::command::run_with_path as pqready;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The edge from `client` (kind, name) to `server` (category, name).
fn edge<'a>(doc: &'a Value, client: (&str, &str), server: (&str, &str)) -> &'a Value {
    doc["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["client"]["kind"] == client.0
                && e["client"]["name"] == client.1
                && e["server"]["category"] == server.0
                && e["server"]["name"] == server.1
        })
        .unwrap_or_else(|| panic!("no edge {client:?} → {server:?} in {:#}", doc["edges"]))
}

fn finding_ids(e: &Value) -> Vec<&str> {
    e["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

/// Runs `client` through a tap to `server` and returns the group the real
/// handshake negotiated (as the tap read it off the wire).
fn on_the_wire(client: &RealClient, server: SocketAddr) -> String {
    let tap = Tap::start(server);
    let run = client.run(tap.addr());
    let seen = tap
        .wait(0, Duration::from_secs(20))
        .unwrap_or_else(|| panic!("{}: no connection seen ({})", client.name, run.output));
    seen.negotiated_group
        .map(|g| g.to_string())
        .unwrap_or_else(|| {
            panic!(
                "{}: no group on the wire: {seen} ({})",
                client.name, run.output
            )
        })
}

#[test]
fn a_cluster_mid_upgrade_has_its_silent_downgrades_listed_and_checked_on_the_wire() {
    let needs = [
        "goserver-1.23",
        "goserver-1.24",
        "goclient-1.23",
        "goclient-1.24",
        "goclient-1.26",
        "usr/bin/etcd",
        "kubectl.1.32",
        "kubectl.1.33",
    ];
    if !peers::require(&needs) {
        return;
    }
    let kubelet_132 = peers::go_server("1.23");
    let kubelet_133 = peers::go_server("1.24");
    let webhook = peers::go_server("1.24");
    let aggregated = peers::go_server("1.23");
    let etcd = peers::etcd(&[]);
    let etcd_url = format!("https://{}", etcd.addr);
    let closed = kubeconfig::closed_port();
    let cluster = Cluster::new()
        .version("v1.33.2", "go1.24.4")
        .node_version("old-1", kubelet_132.addr, "v1.32.4")
        .node_version("old-2", kubelet_132.addr, "v1.32.4")
        .node_version("old-3", kubelet_132.addr, "v1.32.4")
        .node_version("new-1", kubelet_133.addr, "v1.33.2")
        .static_pod(
            "kube-apiserver",
            "new-1",
            kubeadm::apiserver(LOOPBACK, 6443, &etcd_url),
        )
        .static_pod("etcd", "new-1", kubeadm::etcd("new-1", &etcd_url))
        .static_pod_tagged(
            "kube-controller-manager",
            "new-1",
            kubeadm::controller_manager(closed.port()),
            "v1.32.4",
        )
        .static_pod_tagged(
            "kube-scheduler",
            "new-1",
            kubeadm::scheduler(closed.port()),
            "v1.33.2",
        )
        .workload(
            "daemonsets",
            "kube-system",
            "kube-proxy",
            &[("kube-proxy", "registry.k8s.io/kube-proxy:v1.32.4")],
            true,
        )
        .workload(
            "deployments",
            "shop",
            "cart",
            &[("cart", "ghcr.io/example/cart:2.1")],
            true,
        )
        .workload(
            "statefulsets",
            "shop",
            "cache",
            &[("cache", "docker.io/library/redis:7")],
            false,
        )
        .validating_webhook(
            "policy",
            ClientConfig::url(&format!("https://{}/validate", webhook.addr)),
        )
        .service(Service::cluster_ip(
            "kube-system",
            "metrics-server",
            "127.0.0.1",
            vec![ServicePort::new("https", aggregated.addr.port())],
        ))
        .apiservice(
            "v1beta1.metrics.k8s.io",
            Some(("kube-system", "metrics-server", aggregated.addr.port())),
        );
    let server = TestApiServer::start(cluster);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let path = support::clients::kubectl_on_path(dir.path(), "1.32");
    let config = config.to_str().unwrap();
    let out = pqready(&["cluster", "--kubeconfig", config, "-o", "json"], &[&path]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(TOKEN), "a credential leaked");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();

    let api = ("apiserver", "kube-apiserver");
    // The old kubelets: Go 1.23 offers only the Kyber draft, the API server
    // only X25519MLKEM768: x25519, silently.
    for node in ["old-1", "old-2", "old-3"] {
        let e = edge(&doc, ("kubelet", node), api);
        assert_eq!(e["client"]["version"], "v1.32.4");
        assert_eq!(e["client"]["profile"], "go1.23");
        assert_eq!(e["client"]["basis"], "node-info");
        assert_eq!(e["negotiated_group"], "x25519", "{e:#}");
        assert_eq!(e["silent_downgrade"], true);
        assert_eq!(e["standing"], "classical");
        assert_eq!(finding_ids(e), ["silent-downgrade-edge"]);
        assert_eq!(e["findings"][0]["severity"], "high");
        // And the API server's connections to them, the other way round.
        let back = edge(
            &doc,
            ("kube-apiserver", "kube-apiserver"),
            ("kubelet", node),
        );
        assert_eq!(back["negotiated_group"], "x25519");
        assert_eq!(back["silent_downgrade"], true);
        assert_eq!(back["server"]["supports_pq"], false);
    }
    let new = edge(&doc, ("kubelet", "new-1"), api);
    assert_eq!(new["negotiated_group"], "X25519MLKEM768");
    assert_eq!(new["standing"], "pq");
    assert_eq!(new["silent_downgrade"], false);
    assert!(finding_ids(new).is_empty());

    // The API server → etcd: classical, carrying Secrets: high.
    let to_etcd = edge(
        &doc,
        ("kube-apiserver", "kube-apiserver"),
        ("etcd", "etcd-new-1"),
    );
    assert_eq!(to_etcd["client"]["basis"], "version-endpoint");
    assert_eq!(to_etcd["client"]["go_version"], "go1.24.4");
    assert_eq!(to_etcd["standing"], "classical");
    assert_eq!(
        to_etcd["silent_downgrade"], false,
        "etcd offers no PQ group at all"
    );
    assert!(to_etcd["carries"]
        .as_array()
        .unwrap()
        .contains(&"secrets".into()));
    assert_eq!(finding_ids(to_etcd), ["classical-edge"]);
    assert_eq!(to_etcd["findings"][0]["severity"], "high");

    // Control plane from image tags, kube-proxy from its DaemonSet.
    let cm = edge(
        &doc,
        ("kube-controller-manager", "kube-controller-manager-new-1"),
        api,
    );
    assert_eq!(
        (
            cm["client"]["basis"].as_str(),
            cm["silent_downgrade"].as_bool()
        ),
        (Some("image-tag"), Some(true))
    );
    let sched = edge(&doc, ("kube-scheduler", "kube-scheduler-new-1"), api);
    assert_eq!(sched["negotiated_group"], "X25519MLKEM768");
    let proxy = edge(&doc, ("kube-proxy", "kube-system/kube-proxy"), api);
    assert_eq!(proxy["client"]["version"], "v1.32.4");
    assert_eq!(proxy["silent_downgrade"], true);

    // Webhook behind Go 1.24: PQ; aggregated API behind Go 1.23: downgraded.
    let hook = edge(
        &doc,
        ("kube-apiserver", "kube-apiserver"),
        ("webhook", "policy.example.com"),
    );
    assert_eq!(hook["negotiated_group"], "X25519MLKEM768");
    let agg = edge(
        &doc,
        ("kube-apiserver", "kube-apiserver"),
        ("apiservice", "v1beta1.metrics.k8s.io"),
    );
    assert_eq!(agg["silent_downgrade"], true);

    // A workload of unknown build is listed, never given a profile; one
    // without an API token is no client of the API server.
    let cart = edge(&doc, ("workload", "shop/cart"), api);
    assert_eq!(cart["client"]["profile"], Value::Null);
    assert_eq!(cart["client"]["basis"], "unknown");
    assert_eq!(cart["standing"], "unknown");
    assert_eq!(cart["negotiated_group"], Value::Null);
    assert_eq!(finding_ids(cart), ["unknown-client-build"]);
    assert_eq!(cart["findings"][0]["severity"], "info");
    assert!(!doc["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["client"]["name"] == "shop/cache"));

    // The local kubectl 1.32.
    let kubectl = edge(&doc, ("kubectl", "kubectl"), api);
    assert_eq!(kubectl["client"]["basis"], "local-binary");
    assert_eq!(kubectl["silent_downgrade"], true);

    // What to upgrade first: the old kubelets fix six edges.
    let actions = doc["actions"].as_array().unwrap();
    assert_eq!(actions[0]["fixes_edges"], 6, "{actions:#?}");
    let first = actions[0]["action"].as_str().unwrap();
    assert!(
        first.starts_with("upgrade 3 kubelets from v1.32.4"),
        "{first}"
    );
    let etcd_action = actions
        .iter()
        .find(|a| a["action"].as_str().unwrap().contains("etcd"))
        .expect("an etcd action");
    assert_eq!(etcd_action["fixes_edges"], 1);
    assert_eq!(etcd_action["carries"], serde_json::json!(["secrets"]));
    let summary = &doc["summary"]["edges"];
    assert_eq!(summary["total"], doc["edges"].as_array().unwrap().len());
    assert!(
        summary["silent_downgrade"].as_u64().unwrap() >= 9,
        "{summary:#}"
    );
    // Edge findings count in the document's list (and so for --fail-on).
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "silent-downgrade-edge"));

    // On the wire: the real client of each build against the real server
    // of the edge negotiates what the edge says.
    let wire = [
        (
            clients::goclient("1.23"),
            server.addr(),
            edge(&doc, ("kubelet", "old-1"), api),
        ),
        (clients::goclient("1.24"), server.addr(), new),
        (clients::goclient("1.23"), server.addr(), cm),
        (clients::goclient("1.23"), server.addr(), proxy),
        (clients::goclient("1.24"), server.addr(), sched),
        (clients::kubectl("1.32"), server.addr(), kubectl),
        (clients::goclient("1.24"), etcd.addr, to_etcd),
        (
            clients::goclient("1.24"),
            kubelet_132.addr,
            edge(
                &doc,
                ("kube-apiserver", "kube-apiserver"),
                ("kubelet", "old-1"),
            ),
        ),
        (clients::goclient("1.24"), webhook.addr, hook),
        (clients::goclient("1.24"), aggregated.addr, agg),
    ];
    for (client, addr, e) in wire {
        assert_eq!(
            on_the_wire(&client, addr),
            e["negotiated_group"].as_str().unwrap(),
            "{} to {addr}",
            client.name
        );
    }

    // The table: an EDGES section and the actions.
    let table = pqready(&["cluster", "--kubeconfig", config], &[&path]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("EDGE (CLIENT → SERVER)"), "{table}");
    assert!(table.contains("kubelet ×3 → kube-apiserver"), "{table}");
    assert!(
        table.contains("UPGRADE FIRST\n1. upgrade 3 kubelets"),
        "{table}"
    );
    assert!(!table.contains(TOKEN));

    // --edges=false turns it all off.
    let off = pqready(
        &[
            "cluster",
            "--kubeconfig",
            config,
            "--edges=false",
            "-o",
            "json",
        ],
        &[&path],
    );
    let off: Value = serde_json::from_slice(&off.stdout).unwrap();
    assert_eq!(off["edges"], serde_json::json!([]));
    assert_eq!(off["actions"], serde_json::json!([]));
}

#[test]
fn newer_builds_get_what_their_replay_predicts_on_the_wire() {
    // A control plane on Kubernetes 1.36 (Go 1.26: the NIST-curve hybrids
    // too) next to a v1.33 API server, a Go 1.23 etcd stand-in... each edge
    // predicted by pqready, then the real client of that build run against
    // the same server.
    let needs = [
        "goclient-1.26",
        "goclient-1.24",
        "goserver-1.26",
        "kubectl.1.33",
    ];
    if !peers::require(&needs) {
        return;
    }
    let kubelet_136 = peers::go_server("1.26");
    let closed = kubeconfig::closed_port();
    let cluster = Cluster::new()
        .version("v1.33.2", "go1.24.4")
        .node_version("node-136", kubelet_136.addr, "v1.36.0")
        .static_pod_tagged(
            "kube-scheduler",
            "node-136",
            kubeadm::scheduler(closed.port()),
            "v1.36.0",
        );
    let server = TestApiServer::start(cluster);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let path = support::clients::kubectl_on_path(dir.path(), "1.33");
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
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let api = ("apiserver", "kube-apiserver");
    let scheduler = edge(&doc, ("kube-scheduler", "kube-scheduler-node-136"), api);
    assert_eq!(scheduler["client"]["profile"], "go1.26");
    let kubelet = edge(&doc, ("kubelet", "node-136"), api);
    let kubectl = edge(&doc, ("kubectl", "kubectl"), api);
    assert_eq!(kubectl["client"]["profile"], "kubectl1.33");
    let to_kubelet = edge(
        &doc,
        ("kube-apiserver", "kube-apiserver"),
        ("kubelet", "node-136"),
    );
    for e in [scheduler, kubelet, kubectl, to_kubelet] {
        assert_eq!(e["standing"], "pq", "{e:#}");
        assert!(finding_ids(e).is_empty(), "{e:#}");
    }
    let wire = [
        (clients::goclient("1.26"), server.addr(), scheduler),
        (clients::goclient("1.26"), server.addr(), kubelet),
        (clients::kubectl("1.33"), server.addr(), kubectl),
        (clients::goclient("1.24"), kubelet_136.addr, to_kubelet),
    ];
    for (client, addr, e) in wire {
        assert_eq!(
            on_the_wire(&client, addr),
            e["negotiated_group"].as_str().unwrap(),
            "{} to {addr}",
            client.name
        );
    }
}

#[test]
fn an_api_server_built_with_go_127_can_authenticate_an_mldsa_webhook() {
    // A release pqready's catalog does not know yet (v1.38.0) is judged by
    // its Go version: go1.27, which offers ML-DSA and verifies it.
    let needs = ["goclient-1.27", "goserver-1.27", "openssl"];
    if !peers::require(&needs) {
        return;
    }
    let mldsa_hook = peers::s_server_self_signed("mldsa65", &[]);
    let classical_hook = peers::go_server("1.27");
    let cluster = Cluster::new()
        .version("v1.38.0", "go1.27.3")
        .validating_webhook(
            "pq-auth",
            ClientConfig::url(&format!("https://{}/validate", mldsa_hook.addr)),
        )
        .validating_webhook(
            "ecdsa-auth",
            ClientConfig::url(&format!("https://{}/validate", classical_hook.addr)),
        );
    let server = TestApiServer::start(cluster);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let out = pqready(
        &[
            "cluster",
            "--kubeconfig",
            config.to_str().unwrap(),
            "-o",
            "json",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let api = ("kube-apiserver", "kube-apiserver");
    let pq_auth = edge(&doc, api, ("webhook", "pq-auth.example.com"));
    assert_eq!(pq_auth["client"]["profile"], "go1.27");
    assert_eq!(pq_auth["client"]["basis"], "version-endpoint");
    assert_eq!(
        pq_auth["mldsa"],
        serde_json::json!({"client_accepts": true, "server_offers": true, "possible": true})
    );
    let ecdsa = edge(&doc, api, ("webhook", "ecdsa-auth.example.com"));
    assert_eq!(ecdsa["mldsa"]["server_offers"], false);
    assert_eq!(ecdsa["mldsa"]["possible"], false);
    for (hook, e) in [(mldsa_hook.addr, pq_auth), (classical_hook.addr, ecdsa)] {
        assert_eq!(e["standing"], "pq", "{e:#}");
        assert_eq!(
            on_the_wire(&clients::goclient("1.27"), hook),
            e["negotiated_group"].as_str().unwrap(),
            "goclient-1.27 to {hook}"
        );
    }
}

#[test]
fn an_edge_that_gets_worse_is_a_regression_against_the_baseline() {
    // A node rolled back from v1.33.2 to v1.32.4: its kubelet's own server
    // is unchanged (the same Go 1.24 peer), but its client build now offers
    // only the Kyber draft, so its edge to the API server drops to x25519.
    if !peers::require(&["goserver-1.24"]) {
        return;
    }
    let kubelet = peers::go_server("1.24");
    let dir = tempfile::tempdir().unwrap();
    let audit = |version: &str, extra: &[&str]| {
        let server =
            TestApiServer::start(Cluster::new().version("v1.33.2", "go1.24.4").node_version(
                "node-a",
                kubelet.addr,
                version,
            ));
        let config = kubeconfig::token(dir.path(), &server);
        let mut args = vec![
            "cluster",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--only",
            "groups",
            "-o",
            "json",
        ];
        args.extend_from_slice(extra);
        pqready(&args, &[])
    };
    let before = audit("v1.33.2", &[]);
    assert_eq!(before.status.code(), Some(0));
    let old = dir.path().join("before.json");
    std::fs::write(&old, &before.stdout).unwrap();
    let old = old.to_str().unwrap();
    let after = audit("v1.32.4", &["--baseline", old, "--fail-on-change"]);
    assert_eq!(
        after.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    let text = String::from_utf8_lossy(&after.stdout);
    let diff: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|d| d["kind"] == "baseline")
        .expect("a baseline document");
    assert_eq!(
        diff["regressions"],
        serde_json::json!([{
            "subject": "edge/kubelet node-a → kube-apiserver",
            "from": "pq",
            "to": "classical"
        }])
    );
    assert!(diff["new_findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "silent-downgrade-edge"
            && f["subject"] == "edge/kubelet node-a → kube-apiserver"));
}
