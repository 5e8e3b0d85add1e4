//! `pqready cluster` against a big or misbehaving cluster: the test API
//! server (tests/it/support/apiserver.rs) paging its lists as kube-apiserver
//! does, restarting in the middle of a list, throttling with 429 and
//! `Retry-After`, failing one resource with 500; and components that
//! accept a connection and then stall. Every fault is scripted by request
//! count on the server, never by timing; the only clock in these tests is
//! a lower bound (a `Retry-After` was waited for) or a loose upper bound
//! (stalls overlap instead of adding up).

use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Output;
use std::time::{Duration, Instant};
use support::apiserver::{
    decode_continue, ClientConfig, Cluster, Fault, FaultKind, Request, Service, ServicePort,
    TestApiServer,
};
use support::{kubeconfig, peers};

use crate::support;
use support::command::run_with_path as pqready;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

use crate::cluster::{groups_audit, json};

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A cluster of `n` Nodes whose kubelets are all at `kubelet`.
fn nodes(mut cluster: Cluster, n: usize, kubelet: SocketAddr) -> Cluster {
    for i in 0..n {
        cluster = cluster.node(&format!("node-{i:05}"), kubelet);
    }
    cluster
}

fn components<'a>(doc: &'a Value, category: &str) -> Vec<&'a Value> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["category"] == category)
        .collect()
}

/// The requests to list Nodes.
fn node_lists(server: &TestApiServer) -> Vec<Request> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/nodes?"))
        .collect()
}

/// The value of `key` in a request's query.
fn query<'a>(r: &'a Request, key: &str) -> Option<&'a str> {
    let (_, q) = r.path.split_once('?')?;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

#[test]
fn lists_are_read_in_pages_and_an_expired_token_starts_over() {
    let closed = kubeconfig::closed_port();
    // The first request for a second page is told its token expired (410),
    // as after an etcd compaction: the list starts again from the top.
    let server = TestApiServer::start(
        nodes(Cluster::new(), 1_200, closed).fault(
            Fault::new("/api/v1/nodes", FaultKind::Expire)
                .query("continue=")
                .requests(0, Some(1)),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let out = groups_audit(&config, &["--edges=false"]);
    // Every kubelet is at a closed port: unreachable, which is no failure.
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let kubelets = components(&doc, "kubelet");
    assert_eq!(kubelets.len(), 1_200, "each Node once, none twice");
    assert_eq!(kubelets[0]["name"], "node-00000");
    assert_eq!(kubelets[1_199]["name"], "node-01199");
    assert_eq!(doc["hidden"], serde_json::json!([]));
    assert_eq!(doc["summary"]["partial"], false);
    assert_eq!(doc["summary"]["sources_unread"], 0);

    // Pages of 500: the first, a second refused (410), then all three.
    let lists = node_lists(&server);
    let statuses: Vec<u16> = lists.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 410, 200, 200, 200], "{lists:#?}");
    assert!(lists.iter().all(|r| query(r, "limit") == Some("500")));
    let starts: Vec<Option<usize>> = lists
        .iter()
        .map(|r| {
            query(r, "continue")
                .and_then(decode_continue)
                .map(|(_, s)| s)
        })
        .collect();
    assert_eq!(starts, [None, Some(500), None, Some(500), Some(1000)]);
}

/// The test API server pages as kube-apiserver does: a real kubectl,
/// reading in chunks, gets every Node once.
#[test]
fn kubectl_reads_the_test_servers_pages() {
    if !peers::require(&["kubectl.1.33"]) {
        return;
    }
    let closed = kubeconfig::closed_port();
    let server = TestApiServer::start(nodes(Cluster::new(), 1_200, closed));
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let kubectl = peers::kubectl_dir().unwrap().join("kubectl.1.33");
    let out = std::process::Command::new(kubectl)
        .args(["--kubeconfig", config.to_str().unwrap()])
        .args(["get", "nodes", "--chunk-size=500", "-o", "name"])
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(names.len(), 1_200);
    assert_eq!(names[1_199], "node/node-01199");
    let lists = node_lists(&server);
    assert_eq!(lists.len(), 3, "{lists:#?}");
    assert!(lists.iter().all(|r| query(r, "limit") == Some("500")));
}

#[test]
fn a_restart_in_the_middle_of_a_list_is_retried() {
    let closed = kubeconfig::closed_port();
    // The request for the second page closes the listener and every
    // connection unanswered; the port answers again a second later.
    let server = TestApiServer::start(
        nodes(Cluster::new(), 1_200, closed).fault(
            Fault::new(
                "/api/v1/nodes",
                FaultKind::Restart {
                    down: Duration::from_secs(1),
                },
            )
            .query("continue=")
            .requests(0, Some(1)),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let out = groups_audit(&config, &["--edges=false"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(server.restarts(), 1);
    let doc = json(&out);
    assert_eq!(components(&doc, "kubelet").len(), 1_200);
    assert_eq!(doc["hidden"], serde_json::json!([]));
    assert_eq!(doc["summary"]["partial"], false);
    // The cut request (status 0) was sent again, with the same token, and
    // the list went on from there.
    let lists = node_lists(&server);
    let statuses: Vec<u16> = lists.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 0, 200, 200], "{lists:#?}");
    assert_eq!(lists[1].path, lists[2].path);
}

/// `/version`, the first request, is tried again when the API server says
/// it cannot answer yet (503 while starting, 429); an answer that will not
/// change (404: not a Kubernetes API) ends the run at once, in one line.
#[test]
fn version_is_retried_while_the_server_asks_and_refused_for_good_at_once() {
    let closed = kubeconfig::closed_port();
    let server = TestApiServer::start(
        nodes(Cluster::new(), 1, closed)
            .fault(Fault::new("/version", FaultKind::Status(503)).requests(0, Some(1)))
            .fault(
                Fault::new("/version", FaultKind::Throttle { retry_after: 1 }).requests(1, Some(2)),
            ),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let out = groups_audit(&config, &["--edges=false"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["cluster"]["git_version"], "v1.33.2");
    let versions: Vec<u16> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/version")
        .map(|r| r.status)
        .collect();
    assert_eq!(versions, [503, 429, 200]);

    // Not Kubernetes: one answer, one line, no retry.
    let not_kubernetes =
        TestApiServer::start(Cluster::new().fault(Fault::new("/version", FaultKind::Status(404))));
    let config = kubeconfig::token(dir.path(), &not_kubernetes);
    let out = groups_audit(&config, &[]);
    assert_eq!(code(&out), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "did not answer /version: 404 Not Found: this server does not serve the Kubernetes API"
        ),
        "{err}"
    );
    assert_eq!(not_kubernetes.requests().len(), 1);
}

/// Many webhooks behind Services: every Service and EndpointSlice is read
/// in one list each, not a get and a list per webhook; where listing every
/// Service is not allowed, each is asked for alone, as with a few.
#[test]
fn many_service_webhooks_read_their_services_in_one_list() {
    const HOOKS: usize = 20;
    let closed = kubeconfig::closed_port();
    let cluster = |deny_cluster_wide: bool| {
        let mut cluster = Cluster::new();
        for i in 0..HOOKS {
            let (ns, name) = (format!("team-{}", i % 3), format!("hook-{i:02}"));
            // The last webhook names a Service that does not exist.
            if i + 1 < HOOKS {
                cluster = cluster
                    .service(Service::cluster_ip(
                        &ns,
                        &name,
                        &format!("127.1.0.{}", i + 1),
                        vec![ServicePort::new("https", closed.port())],
                    ))
                    .endpoint_slice(&ns, &name, &[LOOPBACK], closed.port());
            }
            cluster =
                cluster.validating_webhook(&name, ClientConfig::service(&ns, &name, closed.port()));
        }
        if deny_cluster_wide {
            cluster = cluster
                .deny("/api/v1/services")
                .deny("/apis/discovery.k8s.io/v1/endpointslices");
        }
        cluster
    };
    for deny_cluster_wide in [false, true] {
        let server = TestApiServer::start(cluster(deny_cluster_wide));
        let dir = tempfile::tempdir().unwrap();
        let config = kubeconfig::token(dir.path(), &server);
        let out = groups_audit(&config, &["--edges=false"]);
        let doc = json(&out);
        let hooks = components(&doc, "webhook");
        assert_eq!(hooks.len(), HOOKS, "{}", stderr(&out));
        for (i, hook) in hooks.iter().enumerate() {
            assert_eq!(hook["name"], format!("hook-{i:02}.example.com"), "{hook:#}");
            if i + 1 < HOOKS {
                assert_eq!(
                    hook["address"],
                    format!("127.1.0.{}:{}", i + 1, closed.port()),
                    "{hook:#}"
                );
            } else {
                assert_eq!(hook["address"], Value::Null, "{hook:#}");
            }
        }
        let requests = server.requests();
        let gets = requests
            .iter()
            .filter(|r| r.path.starts_with("/api/v1/namespaces/") && r.path.contains("/services/"))
            .count();
        let namespaced_slices = requests
            .iter()
            .filter(|r| {
                r.path.starts_with("/apis/discovery.k8s.io/v1/namespaces/")
                    && r.path.contains("/endpointslices")
            })
            .count();
        if deny_cluster_wide {
            // Asked for one by one, and nothing is recorded as unread.
            assert_eq!((gets, namespaced_slices), (HOOKS, HOOKS - 1));
            assert_eq!(doc["hidden"], serde_json::json!([]), "{:#}", doc["hidden"]);
        } else {
            assert_eq!((gets, namespaced_slices), (0, 0));
            let lists = |prefix: &str| {
                requests
                    .iter()
                    .filter(|r| r.path.starts_with(prefix))
                    .count()
            };
            assert_eq!(lists("/api/v1/services?"), 1);
            assert_eq!(lists("/apis/discovery.k8s.io/v1/endpointslices?"), 1);
        }
    }
}

#[test]
fn throttling_is_waited_out_and_a_failing_resource_makes_the_audit_partial() {
    let closed = kubeconfig::closed_port();
    let server = TestApiServer::start(
        nodes(Cluster::new(), 3, closed)
            .mutating_webhook(
                "inject",
                ClientConfig::url(&format!("https://{closed}/mutate")),
            )
            .validating_webhook(
                "policy",
                ClientConfig::url(&format!("https://{closed}/validate")),
            )
            // Throttled twice, as a busy API server's priority and fairness
            // filter does, then answered.
            .fault(
                Fault::new("/api/v1/nodes", FaultKind::Throttle { retry_after: 1 })
                    .requests(0, Some(2)),
            )
            // One resource broken for good (say, a failing conversion in
            // its storage): every request answers 500.
            .fault(Fault::new(
                "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
                FaultKind::Status(500),
            )),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    // --timeout 2s: a failing source is retried for 6 s.
    let out = groups_audit(&config, &["--timeout", "2s"]);
    assert_eq!(code(&out), Some(2), "partial: {}", stderr(&out));
    let doc = json(&out);

    // The throttled list was read: after the server's Retry-After (1 s),
    // not after the first backoff step (200 ms).
    assert_eq!(components(&doc, "kubelet").len(), 3);
    let lists = node_lists(&server);
    let statuses: Vec<u16> = lists.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
    for pair in lists.windows(2) {
        let waited = pair[1].at - pair[0].at;
        assert!(waited >= Duration::from_millis(950), "waited {waited:?}");
    }

    // The failing one was tried more than once, then recorded as failed;
    // the rest of the audit (the mutating webhook) went on.
    let tries = server
        .requests()
        .iter()
        .filter(|r| r.path.contains("validatingwebhookconfigurations") && r.status == 500)
        .count();
    assert!(tries >= 2, "{tries} tries");
    let webhooks = components(&doc, "webhook");
    assert_eq!(webhooks.len(), 1);
    assert_eq!(webhooks[0]["name"], "inject.example.com");
    let hidden = doc["hidden"].as_array().unwrap();
    assert_eq!(hidden.len(), 1, "{hidden:#?}");
    assert_eq!(
        hidden[0]["resource"],
        "validatingwebhookconfigurations.admissionregistration.k8s.io"
    );
    assert_eq!(hidden[0]["cause"], "failed");
    let reason = hidden[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "the API answered 500 (gave up after {tries} tries)"
        )),
        "{reason}"
    );
    assert_eq!(doc["summary"]["partial"], true);
    assert_eq!(doc["summary"]["sources_unread"], 1);
    let unread: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "incomplete-audit")
        .map(|f| f["detail"].as_str().unwrap())
        .collect();
    assert_eq!(unread.len(), 1);
    assert!(unread[0]
        .starts_with("validatingwebhookconfigurations.admissionregistration.k8s.io: could not be read (the API answered 500"));

    // The table says so in its summary line.
    let table = pqready(
        &[
            "cluster",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--only",
            "groups",
            "--timeout",
            "1s",
        ],
        &[],
    );
    assert_eq!(code(&table), Some(2));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("; 1 source not read (partial audit)"),
        "{text}"
    );
}

/// Models a black hole behind a load balancer: the connection is accepted,
/// the ClientHello read, and nothing ever comes back.
async fn silent() -> SocketAddr {
    support::scripted::broken_server(|mut s| async move {
        support::scripted::read_some(&mut s).await;
        tokio::time::sleep(Duration::from_secs(120)).await;
    })
    .await
}

/// Models a filter that kills every TLS connection once it sees the
/// ClientHello: an RST (SO_LINGER 0) in answer.
async fn resetting() -> SocketAddr {
    support::scripted::broken_server(|mut s| async move {
        let _ = support::scripted::read_client_hello(&mut s).await;
        let _ = s.set_zero_linger();
        drop(s);
    })
    .await
}

/// Models a server whose handshake hangs after its first flight (a stuck
/// HSM, an overloaded TLS terminator): a valid TLS 1.3 ServerHello for a
/// key share the client offered, then silence.
async fn stalled_after_hello() -> SocketAddr {
    use tokio::io::AsyncWriteExt;
    support::scripted::broken_server(|mut s| async move {
        let Some(hello) = support::scripted::read_client_hello(&mut s).await else {
            return;
        };
        let Some(share) = hello.key_shares().unwrap_or_default().into_iter().next() else {
            return;
        };
        let _ = s
            .write_all(&support::scripted::server_hello_record(share.group))
            .await;
        tokio::time::sleep(Duration::from_secs(120)).await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_components_are_bounded_by_the_timeout_and_do_not_delay_the_others() {
    if !peers::require(&["goserver-1.24", "nginx"]) {
        return;
    }
    let go = peers::go_server("1.24");
    let nginx = peers::nginx();
    let (silent_a, silent_b) = (silent().await, silent().await);
    let (stalled_a, stalled_b) = (stalled_after_hello().await, stalled_after_hello().await);
    let reset = resetting().await;
    let cluster = Cluster::new()
        .node("healthy-go", go.addr)
        .node("silent-a", silent_a)
        .node("silent-b", silent_b)
        .node("stalled-a", stalled_a)
        .node("stalled-b", stalled_b)
        .node("resets", reset)
        .validating_webhook(
            "healthy-nginx",
            ClientConfig::url(&format!("https://{}/", nginx.addr)),
        );
    let server = TestApiServer::start(cluster);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let timeout = Duration::from_secs(3);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        pqready(
            &[
                "cluster",
                "--kubeconfig",
                config.to_str().unwrap(),
                "--timeout",
                "3s",
                "-o",
                "json",
            ],
            &[],
        )
    })
    .await
    .unwrap();
    let took = started.elapsed();
    // Four components stall for a whole --timeout each: one after the
    // other they would take 12 s; side by side, about one timeout plus the
    // healthy peers' probes.
    assert!(took < timeout * 3, "the audit took {took:?}");
    // Nothing failed: a peer that never answers is unreachable from here,
    // one that stalls mid-handshake is judged by what it did say.
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let kubelet = |name: &str| {
        components(&doc, "kubelet")
            .into_iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no kubelet {name}"))
            .clone()
    };
    let check = |c: &Value, id: &str| {
        c["result"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id)
            .unwrap()
            .clone()
    };
    let bound = timeout.as_millis() as u64 * 3 / 2;
    for name in ["silent-a", "silent-b"] {
        let c = kubelet(name);
        assert_eq!(c["result"]["error_kind"], "timeout", "{name}: {c:#}");
        assert_eq!(c["result"]["error"], "timed out during read", "{name}");
        assert_eq!(c["reachable"], false, "{name}");
        assert!(c["result"]["elapsed_ms"].as_u64().unwrap() < bound, "{c:#}");
    }
    for name in ["stalled-a", "stalled-b"] {
        let c = kubelet(name);
        // Its ServerHello named its group: that much is known.
        assert_eq!(c["result"]["verdict"]["status"], "pq", "{name}: {c:#}");
        for id in ["handshake", "certificates"] {
            let k = check(&c, id);
            assert_eq!(k["status"], "failed", "{name} {id}: {k:#}");
            assert_eq!(k["error_kind"], "timeout", "{name} {id}: {k:#}");
        }
        // One deadline, not one per check: the pauses of the last stage
        // are not tried against an endpoint that stalls.
        assert_eq!(check(&c, "hello-tolerance")["status"], "not-run");
        assert!(c["result"]["elapsed_ms"].as_u64().unwrap() < bound, "{c:#}");
    }
    // A peer that resets every ClientHello completes no TLS handshake:
    // not TLS, the reset named in the reason; it costs no timeout.
    let resets = kubelet("resets");
    assert_eq!(resets["result"]["error_kind"], "not-tls", "{resets:#}");
    assert!(resets["result"]["error"]
        .as_str()
        .unwrap()
        .contains("connection reset"));
    assert_eq!(resets["speaks_tls"], false);
    // The healthy ones were probed in full, unaffected.
    let go = kubelet("healthy-go");
    assert_eq!(go["result"]["verdict"]["status"], "pq");
    assert_eq!(check(&go, "hello-tolerance")["status"], "completed");
    let webhooks = components(&doc, "webhook");
    assert_eq!(webhooks[0]["result"]["verdict"]["status"], "pq");
    assert_eq!(check(webhooks[0], "certificates")["status"], "completed");
}

/// Run by scripts/bench-cluster: a cluster of 5,000 Nodes, 2,000 admission
/// webhooks each behind its own Service (with an EndpointSlice), across 20
/// namespaces, every probe aimed at a closed port, so the run is about
/// discovery. Prints the wall time and pqready's peak RSS; checks that
/// everything was found and that Nodes were read in pages of 500.
#[test]
#[ignore = "a benchmark: run scripts/bench-cluster"]
fn bench_5000_nodes() {
    let bin = std::env::var_os("PQREADY_BENCH_BIN").map(std::path::PathBuf::from);
    // Other sizes, to see what grows with what: PQREADY_BENCH_SIZE=NODES,WEBHOOKS.
    let (n_nodes, n_webhooks) = std::env::var("PQREADY_BENCH_SIZE")
        .ok()
        .and_then(|v| {
            let (n, w) = v.split_once(',')?;
            Some((n.parse().ok()?, w.parse().ok()?))
        })
        .unwrap_or((5_000, 2_000));
    let closed = kubeconfig::closed_port();
    let built = Instant::now();
    let mut cluster = nodes(Cluster::new(), n_nodes, closed);
    for i in 0..n_webhooks {
        let ns = format!("team-{:02}", i % 20);
        let name = format!("hook-{i:04}");
        // ClusterIPs in 127/8: refused at once, as the closed kubelet port,
        // where a 10.96/12 address would cost a connect timeout each.
        let ip = format!("127.1.{}.{}", i / 250, i % 250 + 1);
        cluster = cluster
            .service(Service::cluster_ip(
                &ns,
                &name,
                &ip,
                vec![ServicePort::new("https", closed.port())],
            ))
            .endpoint_slice(&ns, &name, &[LOOPBACK], closed.port())
            .validating_webhook(&name, ClientConfig::service(&ns, &name, closed.port()));
    }
    let server = TestApiServer::start(cluster);
    eprintln!("cluster built in {:?}", built.elapsed());
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let program = bin.unwrap_or_else(|| env!("CARGO_BIN_EXE_pqready").into());
    {
        let only = "groups";
        let rusage = dir.path().join("time.txt");
        let started = Instant::now();
        let out = std::process::Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%M %e %U %S")
            .arg("-o")
            .arg(&rusage)
            .arg(&program)
            .args([
                "cluster",
                "--kubeconfig",
                config.to_str().unwrap(),
                "--only",
                only,
                "--timeout",
                "2s",
                "-o",
                "json",
            ])
            .env("NO_COLOR", "1")
            .env("HOME", "/nonexistent")
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        let wall = started.elapsed();
        assert_eq!(code(&out), Some(0), "{}", stderr(&out));
        let doc = json(&out);
        assert_eq!(components(&doc, "kubelet").len(), n_nodes);
        assert_eq!(components(&doc, "webhook").len(), n_webhooks);
        assert_eq!(doc["summary"]["partial"], false);
        let measured = std::fs::read_to_string(&rusage).unwrap();
        let fields: Vec<&str> = measured.split_whitespace().collect();
        println!(
            "bench-cluster --only {only}: {n_nodes} nodes, {n_webhooks} webhooks: wall {:.2} s, peak RSS {:.1} MB, user {} s, sys {} s, {} API requests, a {:.1} MB document",
            wall.as_secs_f64(),
            fields[0].parse::<f64>().unwrap() / 1024.0,
            fields[2],
            fields[3],
            server.requests().len(),
            out.stdout.len() as f64 / 1e6,
        );
    }
    let pages = node_lists(&server);
    assert_eq!(pages.len(), n_nodes.div_ceil(500).max(1), "pages of 500");
    assert!(pages.iter().all(|r| query(r, "limit") == Some("500")));
}
