//! Self-tests of the test Kubernetes API server (tests/it/support/apiserver.rs)
//! and the kubeconfig writers (tests/it/support/kubeconfig.rs): real TLS with a
//! rustls client, token and client-certificate authentication, 401/403/404
//! Status answers, selectors, keep-alive, the TLS key exchange switch, and
//! typed deserialisation of every list with k8s-openapi (what kube-rs uses).
//! Where `kubectl` is on PATH, the kubeconfig files are checked with it too.

use crate::support;

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Service as K8sService};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    APIGroupList, APIResourceList, APIVersions, Status,
};
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use k8s_openapi::List;
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::sync::Arc;
use support::apiserver::{
    kubeadm, Auth, ClientCert, ClientConfig, Cluster, Listener, Service, ServicePort,
    TestApiServer, EXEC_TOKEN, TOKEN,
};
use support::kubeconfig;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn sock(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A cluster with one of everything.
fn full_cluster() -> Cluster {
    let node_ip = ip("127.0.0.1");
    Cluster::new()
        .version("v1.33.2", "go1.24.4")
        .node("cp-1", sock("127.0.0.1:10250"))
        .node_with_addresses("worker-1", &[("ExternalIP", "127.0.0.2")], 10250)
        .static_pod(
            "kube-apiserver",
            "cp-1",
            kubeadm::apiserver(node_ip, 6443, "https://127.0.0.1:2379"),
        )
        .static_pod(
            "etcd",
            "cp-1",
            kubeadm::etcd("cp-1", "https://127.0.0.1:2379"),
        )
        .static_pod(
            "kube-controller-manager",
            "cp-1",
            kubeadm::controller_manager(10257),
        )
        .static_pod("kube-scheduler", "cp-1", kubeadm::scheduler(10259))
        .validating_webhook(
            "policy",
            ClientConfig::url("https://127.0.0.1:9443/validate"),
        )
        .mutating_webhook(
            "injector",
            ClientConfig::service("injector-system", "injector", 443),
        )
        .crd_conversion(
            "widgets.example.com",
            ClientConfig::service("widgets", "conversion", 9443),
        )
        .crd("gadgets.example.com")
        .apiservice("v1.apps", None)
        .apiservice(
            "v1beta1.metrics.k8s.io",
            Some(("kube-system", "metrics-server", 443)),
        )
        .service(Service::cluster_ip(
            "kube-system",
            "metrics-server",
            "10.96.0.20",
            vec![ServicePort::new("https", 443).target(10250)],
        ))
        .service(Service::load_balancer(
            "web",
            "front",
            "10.96.0.30",
            vec![ServicePort::new("https", 443)],
            vec![ip("127.0.0.3")],
        ))
        .service(Service::external_name(
            "web",
            "outside",
            "localhost",
            vec![ServicePort::new("https", 8443)],
        ))
        .endpoint_slice("kube-system", "metrics-server", &[ip("127.0.0.1")], 4443)
        .ingress(
            "web",
            "site",
            &["localhost"],
            &["localhost"],
            ("front", 443),
            &[ip("127.0.0.1")],
        )
        .gateway(
            "web",
            "gw",
            vec![
                Listener::new("https", "HTTPS", 8443, Some("localhost")),
                Listener::new("tls", "TLS", 9443, None),
                Listener::new("http", "HTTP", 8080, None),
            ],
            &[ip("127.0.0.1")],
        )
        .pod(
            "shop",
            "cart-1",
            ip("127.0.0.1"),
            &[("app", "cart")],
            &[(
                "sidecar.istio.io/status",
                "{\"containers\":[\"istio-proxy\"]}",
            )],
            &[("cart", &[8080]), ("istio-proxy", &[15006, 15090])],
        )
        .deny("/api/v1/secrets")
}

enum Cred<'a> {
    None,
    Token(&'a str),
    Cert(&'a ClientCert),
}

fn client_config(server: &TestApiServer, cred: &Cred) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server.ca_der()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    match cred {
        Cred::Cert(c) => {
            let certs: Vec<_> =
                rustls::pki_types::pem::PemObject::pem_slice_iter(c.cert_pem.as_bytes())
                    .map(|c| c.unwrap())
                    .collect();
            let key: rustls::pki_types::PrivateKeyDer =
                rustls::pki_types::pem::PemObject::from_pem_slice(c.key_pem.as_bytes()).unwrap();
            builder.with_client_auth_cert(certs, key).unwrap()
        }
        _ => builder.with_no_client_auth(),
    }
}

/// GETs each path in turn over one TLS connection; returns (status, body)
/// per path and the negotiated key exchange group.
async fn get_all(
    server: &TestApiServer,
    cred: Cred<'_>,
    paths: &[&str],
) -> (Vec<(u16, Value)>, String) {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(server, &cred)));
    let tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    let group = format!(
        "{:?}",
        tls.get_ref()
            .1
            .negotiated_key_exchange_group()
            .unwrap()
            .name()
    );
    let (rd, mut wr) = tokio::io::split(tls);
    let mut rd = BufReader::new(rd);
    let mut out = Vec::new();
    for path in paths {
        let auth = match &cred {
            Cred::Token(t) => format!("Authorization: Bearer {t}\r\n"),
            _ => String::new(),
        };
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nUser-Agent: harness-test\r\n{auth}\r\n",
            server.addr()
        );
        wr.write_all(req.as_bytes()).await.unwrap();
        let mut status_line = String::new();
        rd.read_line(&mut status_line).await.unwrap();
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            rd.read_line(&mut h).await.unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap();
            }
            if k.eq_ignore_ascii_case("content-type") {
                assert_eq!(v.trim(), "application/json");
            }
        }
        let mut body = vec![0; len];
        rd.read_exact(&mut body).await.unwrap();
        out.push((status, serde_json::from_slice(&body).unwrap()));
    }
    (out, group)
}

async fn get(server: &TestApiServer, cred: Cred<'_>, path: &str) -> (u16, Value) {
    get_all(server, cred, &[path]).await.0.remove(0)
}

fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("{e}: {}", serde_json::to_string_pretty(v).unwrap()))
}

#[tokio::test]
async fn version_with_token() {
    let server = TestApiServer::start(Cluster::new().version("v1.32.5", "go1.23.8"));
    let (status, body) = get(&server, Cred::Token(TOKEN), "/version").await;
    assert_eq!(status, 200);
    let info: k8s_openapi::apimachinery::pkg::version::Info = typed(&body);
    assert_eq!(info.git_version, "v1.32.5");
    assert_eq!(info.go_version, "go1.23.8");
    assert_eq!((info.major.as_str(), info.minor.as_str()), ("1", "32"));
    let log = server.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].path, "/version");
    assert_eq!(log[0].auth, Auth::Token);
    assert_eq!(log[0].user.as_deref(), Some("token-user"));
    assert_eq!(log[0].user_agent.as_deref(), Some("harness-test"));
}

#[tokio::test]
async fn version_with_client_certificate() {
    let server = TestApiServer::start(Cluster::new());
    let cert = server.client_cert("alice", &["system:masters"]);
    let (status, body) = get(&server, Cred::Cert(&cert), "/version").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["gitVersion"], "v1.33.2");
    let log = server.requests();
    assert_eq!(log[0].auth, Auth::ClientCert);
    assert_eq!(log[0].user.as_deref(), Some("alice"));
}

#[tokio::test]
async fn exec_token_is_accepted() {
    let server = TestApiServer::start(Cluster::new().token("extra-SECRET", "bob"));
    assert_eq!(
        get(&server, Cred::Token(EXEC_TOKEN), "/version").await.0,
        200
    );
    assert_eq!(
        get(&server, Cred::Token("extra-SECRET"), "/version")
            .await
            .0,
        200
    );
    assert_eq!(server.requests()[1].user.as_deref(), Some("bob"));
}

#[tokio::test]
async fn unauthorized_without_credentials() {
    let server = TestApiServer::start(full_cluster());
    for cred in [Cred::None, Cred::Token("wrong-token")] {
        let (status, body) = get(&server, cred, "/api/v1/nodes").await;
        assert_eq!(status, 401);
        let s: Status = typed(&body);
        assert_eq!(s.reason.as_deref(), Some("Unauthorized"));
        assert_eq!(s.code, Some(401));
        assert_eq!(body["kind"], "Status");
        assert_eq!(body["status"], "Failure");
    }
    assert!(server.requests().iter().all(|r| r.user.is_none()));
}

#[tokio::test]
async fn denied_path_is_forbidden() {
    let server = TestApiServer::start(
        full_cluster()
            .deny("/api/v1/nodes")
            .deny("/api/v1/namespaces/web/services"),
    );
    let (status, body) = get(&server, Cred::Token(TOKEN), "/api/v1/nodes?limit=500").await;
    assert_eq!(status, 403);
    let s: Status = typed(&body);
    assert_eq!(s.reason.as_deref(), Some("Forbidden"));
    assert_eq!(
        s.message.as_deref(),
        Some(
            r#"nodes is forbidden: User "token-user" cannot list resource "nodes" in API group "" at the cluster scope"#
        )
    );
    let (status, body) = get(
        &server,
        Cred::Token(TOKEN),
        "/api/v1/namespaces/web/services",
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .ends_with(r#"in the namespace "web""#),
        "{body}"
    );
    // other resources still work
    assert_eq!(
        get(&server, Cred::Token(TOKEN), "/api/v1/pods").await.0,
        200
    );
    assert_eq!(
        get(
            &server,
            Cred::Token(TOKEN),
            "/api/v1/namespaces/kube-system/services"
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn every_list_deserialises_as_typed_kubernetes_objects() {
    let server = TestApiServer::start(full_cluster());
    let paths = [
        "/api/v1/namespaces",
        "/api/v1/nodes",
        "/api/v1/pods",
        "/api/v1/namespaces/kube-system/pods",
        "/api/v1/services",
        "/api/v1/namespaces/web/services",
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
        "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        "/apis/apiregistration.k8s.io/v1/apiservices",
        "/apis/discovery.k8s.io/v1/endpointslices",
        "/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices",
        "/apis/networking.k8s.io/v1/ingresses",
        "/apis/networking.k8s.io/v1/namespaces/web/ingresses",
        "/apis/gateway.networking.k8s.io/v1/gateways",
        "/apis/gateway.networking.k8s.io/v1/namespaces/web/gateways",
    ];
    let (answers, _) = get_all(&server, Cred::Token(TOKEN), &paths).await;
    for (path, (status, body)) in paths.iter().zip(&answers) {
        assert_eq!(*status, 200, "{path}: {body}");
        assert!(body["metadata"]["resourceVersion"].is_string(), "{path}");
        let n = body["items"].as_array().unwrap().len();
        assert!(n > 0, "{path} is empty");
        let kind = body["kind"].as_str().unwrap();
        let count = match kind {
            "NamespaceList" => typed::<List<Namespace>>(body).items.len(),
            "NodeList" => typed::<List<Node>>(body).items.len(),
            "PodList" => typed::<List<Pod>>(body).items.len(),
            "ServiceList" => typed::<List<K8sService>>(body).items.len(),
            "ValidatingWebhookConfigurationList" => {
                typed::<List<ValidatingWebhookConfiguration>>(body)
                    .items
                    .len()
            }
            "MutatingWebhookConfigurationList" => typed::<List<MutatingWebhookConfiguration>>(body)
                .items
                .len(),
            "CustomResourceDefinitionList" => {
                typed::<List<CustomResourceDefinition>>(body).items.len()
            }
            "APIServiceList" => typed::<List<APIService>>(body).items.len(),
            "EndpointSliceList" => typed::<List<EndpointSlice>>(body).items.len(),
            "IngressList" => typed::<List<Ingress>>(body).items.len(),
            "GatewayList" => {
                assert_eq!(body["apiVersion"], "gateway.networking.k8s.io/v1");
                for g in body["items"].as_array().unwrap() {
                    assert_eq!(g["kind"], "Gateway");
                    assert!(g["spec"]["gatewayClassName"].is_string());
                    for l in g["spec"]["listeners"].as_array().unwrap() {
                        assert!(
                            l["name"].is_string()
                                && l["port"].is_u64()
                                && l["protocol"].is_string()
                        );
                    }
                }
                n
            }
            other => panic!("{path}: unexpected kind {other}"),
        };
        assert_eq!(count, n, "{path}");
    }

    // A few fields the discovery code reads.
    let nodes: List<Node> = typed(&answers[1].1);
    let st = nodes.items[0].status.as_ref().unwrap();
    assert_eq!(
        st.daemon_endpoints
            .as_ref()
            .unwrap()
            .kubelet_endpoint
            .as_ref()
            .unwrap()
            .port,
        10250
    );
    assert_eq!(st.addresses.as_ref().unwrap()[0].type_, "InternalIP");
    assert_eq!(st.node_info.as_ref().unwrap().kubelet_version, "v1.33.2");
    let pods: List<Pod> = typed(&answers[3].1);
    let api = pods
        .items
        .iter()
        .find(|p| p.metadata.name.as_deref() == Some("kube-apiserver-cp-1"))
        .unwrap();
    let cmd = api.spec.as_ref().unwrap().containers[0]
        .command
        .as_ref()
        .unwrap();
    assert!(cmd.contains(&"--etcd-servers=https://127.0.0.1:2379".to_string()));
    assert!(cmd.contains(&"--secure-port=6443".to_string()));
    assert_eq!(api.spec.as_ref().unwrap().host_network, Some(true));
    assert!(api
        .metadata
        .annotations
        .as_ref()
        .unwrap()
        .contains_key("kubernetes.io/config.mirror"));
    let crds: List<CustomResourceDefinition> = typed(&answers[8].1);
    let strategies: Vec<&str> = crds
        .items
        .iter()
        .map(|c| c.spec.conversion.as_ref().unwrap().strategy.as_str())
        .collect();
    assert_eq!(strategies, ["Webhook", "None"]);
    let apis: List<APIService> = typed(&answers[9].1);
    assert!(apis.items[0].spec.as_ref().unwrap().service.is_none());
    let svc = apis.items[1]
        .spec
        .as_ref()
        .unwrap()
        .service
        .as_ref()
        .unwrap();
    assert_eq!(
        (svc.name.as_deref(), svc.port),
        (Some("metrics-server"), Some(443))
    );
    let mutating: List<MutatingWebhookConfiguration> = typed(&answers[7].1);
    let cc = &mutating.items[0].webhooks.as_ref().unwrap()[0].client_config;
    assert_eq!(cc.service.as_ref().unwrap().namespace, "injector-system");
}

#[tokio::test]
async fn get_one_object_and_not_found() {
    let server = TestApiServer::start(full_cluster());
    let (answers, _) = get_all(
        &server,
        Cred::Token(TOKEN),
        &[
            "/api/v1/namespaces/kube-system/services/metrics-server",
            "/api/v1/namespaces/kube-system/services/missing",
            "/api/v1/namespaces/web/services/outside",
            "/apis/no.such.group/v1/things",
            "/healthz/nothing",
        ],
    )
    .await;
    assert_eq!(answers[0].0, 200);
    let svc: K8sService = typed(&answers[0].1);
    assert_eq!(
        svc.spec.as_ref().unwrap().cluster_ip.as_deref(),
        Some("10.96.0.20")
    );
    assert_eq!(answers[1].0, 404);
    let s: Status = typed(&answers[1].1);
    assert_eq!(s.reason.as_deref(), Some("NotFound"));
    assert_eq!(
        s.message.as_deref(),
        Some(r#"services "missing" not found"#)
    );
    let ext: K8sService = typed(&answers[2].1);
    let spec = ext.spec.unwrap();
    assert_eq!(spec.type_.as_deref(), Some("ExternalName"));
    assert_eq!(spec.external_name.as_deref(), Some("localhost"));
    assert_eq!(answers[3].0, 404);
    assert_eq!(answers[4].0, 404);
    assert_eq!(answers[4].1["kind"], "Status");
}

#[tokio::test]
async fn label_and_field_selectors_filter() {
    let server = TestApiServer::start(full_cluster());
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let cases: &[(&str, &[&str])] = &[
        (
            "/api/v1/namespaces/kube-system/pods?labelSelector=component%3Dkube-apiserver",
            &["kube-apiserver-cp-1"],
        ),
        (
            "/api/v1/pods?labelSelector=component+in+%28etcd%2Ckube-scheduler%29&limit=100",
            &["etcd-cp-1", "kube-scheduler-cp-1"],
        ),
        (
            "/api/v1/pods?labelSelector=tier%3Dcontrol-plane%2Ccomponent%21%3Detcd",
            &["kube-apiserver-cp-1", "kube-controller-manager-cp-1", "kube-scheduler-cp-1"],
        ),
        ("/api/v1/pods?labelSelector=component", &[
            "kube-apiserver-cp-1",
            "etcd-cp-1",
            "kube-controller-manager-cp-1",
            "kube-scheduler-cp-1",
        ]),
        ("/api/v1/pods?labelSelector=nope", &[]),
        ("/api/v1/pods?labelSelector=%21component", &["cart-1"]),
        ("/api/v1/namespaces/shop/pods?labelSelector=app%3D%3Dcart", &["cart-1"]),
        ("/api/v1/pods?labelSelector=component%20notin%20(etcd,kube-apiserver,kube-scheduler)", &[
            "kube-controller-manager-cp-1",
            "cart-1",
        ]),
        ("/api/v1/nodes?fieldSelector=metadata.name%3Dworker-1", &["worker-1"]),
        ("/api/v1/pods?fieldSelector=metadata.name%3Detcd-cp-1&resourceVersion=0", &["etcd-cp-1"]),
        (
            "/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dmetrics-server",
            &["metrics-server-abcde"],
        ),
    ];
    let paths: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let (answers, _) = get_all(&server, Cred::Token(TOKEN), &paths).await;
    for ((path, want), (status, body)) in cases.iter().zip(&answers) {
        assert_eq!(*status, 200, "{path}: {body}");
        assert_eq!(names(body), *want, "{path}");
    }
    // The log keeps path and query as sent, one entry per request.
    assert_eq!(server.requests().len(), cases.len());
    assert_eq!(server.requests()[0].path, cases[0].0);
}

#[tokio::test]
async fn discovery_documents() {
    let server = TestApiServer::start(full_cluster());
    let (answers, _) = get_all(
        &server,
        Cred::Token(TOKEN),
        &[
            "/api",
            "/apis",
            "/api/v1",
            "/apis/apiregistration.k8s.io/v1",
        ],
    )
    .await;
    let v: APIVersions = typed(&answers[0].1);
    assert_eq!(v.versions, ["v1"]);
    let g: APIGroupList = typed(&answers[1].1);
    assert!(g
        .groups
        .iter()
        .any(|g| g.name == "gateway.networking.k8s.io"));
    let r: APIResourceList = typed(&answers[2].1);
    assert!(r
        .resources
        .iter()
        .any(|r| r.name == "nodes" && !r.namespaced));
    let r: APIResourceList = typed(&answers[3].1);
    assert_eq!(r.resources[0].kind, "APIService");
}

#[tokio::test]
async fn custom_route_overrides() {
    let server = TestApiServer::start(Cluster::new().route(
        "/version",
        200,
        serde_json::json!({ "hello": "not kubernetes" }),
    ));
    let (status, body) = get(&server, Cred::Token(TOKEN), "/version").await;
    assert_eq!(
        (status, body["hello"].as_str()),
        (200, Some("not kubernetes"))
    );
}

#[tokio::test]
async fn tls_groups_switch_between_post_quantum_and_classical() {
    let pq = TestApiServer::start(Cluster::new());
    let (_, group) = get_all(&pq, Cred::Token(TOKEN), &["/version"]).await;
    assert_eq!(group, "X25519MLKEM768");
    assert_eq!(pq.requests()[0].group.as_deref(), Some("X25519MLKEM768"));
    let classical = TestApiServer::start(Cluster::new().tls_groups(true));
    let (_, group) = get_all(&classical, Cred::Token(TOKEN), &["/version"]).await;
    assert_eq!(group, "X25519");
}

#[test]
fn server_stops_on_drop() {
    let server = TestApiServer::start(Cluster::new());
    let addr = server.addr();
    assert!(std::net::TcpStream::connect(addr).is_ok());
    drop(server);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn kubeconfigs_embed_credentials_and_ca() {
    let server = TestApiServer::start(Cluster::new());
    let dir = tempfile::tempdir().unwrap();
    let token = std::fs::read_to_string(kubeconfig::token(dir.path(), &server)).unwrap();
    assert!(token.contains(TOKEN));
    assert!(token.contains(&server.url()));
    assert!(token.contains("certificate-authority-data"));
    let (cert, key_pem) = kubeconfig::client_cert(dir.path(), &server, "alice");
    let cert = std::fs::read_to_string(cert).unwrap();
    assert!(cert.contains("client-certificate-data") && cert.contains("client-key-data"));
    assert!(key_pem.contains("PRIVATE KEY"));
    let exec = std::fs::read_to_string(kubeconfig::exec(dir.path(), &server)).unwrap();
    assert!(exec.contains("client.authentication.k8s.io/v1"));
    assert!(
        !exec.contains(EXEC_TOKEN),
        "the token lives only in the plugin"
    );
    let out = Command::new(dir.path().join("exec-plugin.sh"))
        .output()
        .unwrap();
    let cred: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cred["kind"], "ExecCredential");
    assert_eq!(cred["status"]["token"], EXEC_TOKEN);
    assert_eq!(kubeconfig::exec_plugin_runs(dir.path()), 1);
}

/// kubectl on PATH, if any.
fn kubectl() -> Option<std::path::PathBuf> {
    let out = Command::new("sh")
        .args(["-c", "command -v kubectl"])
        .output()
        .ok()?;
    let p = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!p.is_empty()).then(|| p.into())
}

fn run_kubectl(
    kubectl: &std::path::Path,
    home: &std::path::Path,
    env: &[(&str, String)],
    args: &[&str],
) -> std::process::Output {
    let mut cmd = Command::new(kubectl);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn kubectl_accepts_every_kubeconfig() {
    let Some(kubectl) = kubectl() else {
        eprintln!("kubectl is not on PATH: kubeconfig files checked by the other tests only");
        return;
    };
    let server = TestApiServer::start(full_cluster());
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let (cert, _) = kubeconfig::client_cert(dir.path(), &server, "alice");
    let files = [
        ("token", kubeconfig::token(dir.path(), &server)),
        ("cert", cert),
        ("exec", kubeconfig::exec(dir.path(), &server)),
    ];
    for (what, file) in &files {
        let out = run_kubectl(
            &kubectl,
            &home,
            &[],
            &[
                "--kubeconfig",
                file.to_str().unwrap(),
                "get",
                "--raw",
                "/version",
            ],
        );
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["gitVersion"], "v1.33.2", "{what}");
    }
    let users: Vec<_> = server
        .requests()
        .iter()
        .map(|r| (r.auth, r.user.clone()))
        .collect();
    assert!(users.contains(&(Auth::Token, Some("token-user".into()))));
    assert!(users.contains(&(Auth::ClientCert, Some("alice".into()))));
    assert!(users.contains(&(Auth::Token, Some("exec-user".into()))));

    // KUBECONFIG=a:b merging.
    let (_, _, joined) = kubeconfig::split(dir.path(), &server);
    let out = run_kubectl(
        &kubectl,
        &home,
        &[("KUBECONFIG", joined)],
        &["get", "--raw", "/version"],
    );
    assert!(
        out.status.success(),
        "split: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Several contexts; kubectl's discovery and typed listing.
    let multi = kubeconfig::multi(dir.path(), &server, "bob", "test-cert");
    for ctx in ["test-token", "test-cert", "test-exec"] {
        let out = run_kubectl(
            &kubectl,
            &home,
            &[],
            &[
                "--kubeconfig",
                multi.to_str().unwrap(),
                "--context",
                ctx,
                "get",
                "nodes",
                "-o",
                "json",
            ],
        );
        assert!(
            out.status.success(),
            "{ctx}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 2, "{ctx}");
    }
    let out = run_kubectl(
        &kubectl,
        &home,
        &[],
        &[
            "--kubeconfig",
            multi.to_str().unwrap(),
            "get",
            "pods",
            "-n",
            "kube-system",
            "-l",
            "component in (etcd,kube-apiserver)",
            "-o",
            "name",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "pod/kube-apiserver-cp-1\npod/etcd-cp-1"
    );

    // Malformed: kubectl refuses it.
    let bad = kubeconfig::malformed(dir.path());
    let out = run_kubectl(
        &kubectl,
        &home,
        &[],
        &[
            "--kubeconfig",
            bad.to_str().unwrap(),
            "get",
            "--raw",
            "/version",
        ],
    );
    assert!(!out.status.success());
}
