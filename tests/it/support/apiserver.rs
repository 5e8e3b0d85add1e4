//! A test Kubernetes API server: real TLS on a loopback port, client
//! certificate and bearer-token authentication, and read-only JSON in the
//! shapes of the Kubernetes API reference, so kube-rs (and kubectl) talk to it
//! as to a real cluster.
//!
//! Build the cluster with [`Cluster`], start it with [`TestApiServer::start`]:
//!
//! ```ignore
//! let kubelet: SocketAddr = "127.0.0.1:10250".parse().unwrap();
//! let server = TestApiServer::start(
//!     Cluster::new()
//!         .version("v1.33.2", "go1.24.4")
//!         .node("cp-1", kubelet)
//!         .static_pod("kube-apiserver", "cp-1", kubeadm::apiserver(ip, 6443, "https://127.0.0.1:2379"))
//!         .deny("/api/v1/services"),
//! );
//! // server.url(), server.ca_pem(), server.client_cert("alice", &[]), server.requests()
//! ```
//!
//! Every request is logged ([`TestApiServer::requests`]). The server runs on
//! its own thread and runtime, so it serves sync and async tests alike, and
//! stops when dropped. HTTP/1.1 only (no ALPN), GET only, keep-alive.
//!
//! Lists are paginated as kube-apiserver does it: `limit` cuts a page, whose
//! `metadata.continue` token (opaque base64 naming the list's resourceVersion
//! and where the next page starts) is passed back as `continue`;
//! `metadata.remainingItemCount` is set on a page that is not the last,
//! when the list has no selector. Faults are scripted with [`Fault`]: a
//! status (429 with `Retry-After`, 500...) answered to matching requests,
//! an expired continue token (410), or a restart (listener and every
//! connection closed, the same port served again after a pause).
#![allow(dead_code)] // each user compiles this file and uses part of it

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::NamedGroup;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// The bearer token that [`Cluster::new`] accepts, for user [`TOKEN_USER`].
pub const TOKEN: &str = "token-SECRET-abc123";
pub const TOKEN_USER: &str = "token-user";
/// The token the exec-plugin kubeconfig hands out, accepted for [`EXEC_USER`].
pub const EXEC_TOKEN: &str = "exec-token-SECRET-def456";
pub const EXEC_USER: &str = "exec-user";

/// Where a webhook (or conversion webhook) is reached.
#[derive(Debug, Clone)]
pub enum ClientConfig {
    /// `clientConfig.url`.
    Url(String),
    /// `clientConfig.service`.
    Service {
        namespace: String,
        name: String,
        port: u16,
        path: Option<String>,
    },
}

impl ClientConfig {
    pub fn url(url: &str) -> Self {
        ClientConfig::Url(url.to_string())
    }

    pub fn service(namespace: &str, name: &str, port: u16) -> Self {
        ClientConfig::Service {
            namespace: namespace.into(),
            name: name.into(),
            port,
            path: None,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            ClientConfig::Url(url) => json!({ "url": url }),
            ClientConfig::Service {
                namespace,
                name,
                port,
                path,
            } => {
                let mut service = json!({ "namespace": namespace, "name": name, "port": port });
                if let Some(path) = path {
                    service["path"] = json!(path);
                }
                json!({ "service": service })
            }
        }
    }
}

/// `spec.type` of a Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
    ExternalName,
}

impl ServiceType {
    fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
            ServiceType::ExternalName => "ExternalName",
        }
    }
}

/// One `spec.ports[]` entry of a Service.
#[derive(Debug, Clone)]
pub struct ServicePort {
    pub name: String,
    pub port: u16,
    pub target_port: u16,
    /// `TCP` unless changed.
    pub protocol: String,
    /// `appProtocol`, when set.
    pub app_protocol: Option<String>,
}

impl ServicePort {
    /// Port `port` named `name`, target port the same, TCP.
    pub fn new(name: &str, port: u16) -> Self {
        ServicePort {
            name: name.into(),
            port,
            target_port: port,
            protocol: "TCP".into(),
            app_protocol: None,
        }
    }

    pub fn app_protocol(mut self, app_protocol: &str) -> Self {
        self.app_protocol = Some(app_protocol.into());
        self
    }

    pub fn target(mut self, target_port: u16) -> Self {
        self.target_port = target_port;
        self
    }

    /// `protocol: UDP`.
    pub fn udp(mut self) -> Self {
        self.protocol = "UDP".into();
        self
    }
}

/// A Service fixture; see the constructors.
#[derive(Debug, Clone)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    pub kind: ServiceType,
    /// `spec.clusterIP` (`None` for ExternalName; `"None"` for headless).
    pub cluster_ip: Option<String>,
    pub ports: Vec<ServicePort>,
    pub external_name: Option<String>,
    /// `status.loadBalancer.ingress[].ip` (LoadBalancer only).
    pub load_balancer_ips: Vec<IpAddr>,
    pub labels: BTreeMap<String, String>,
}

impl Service {
    pub fn cluster_ip(namespace: &str, name: &str, ip: &str, ports: Vec<ServicePort>) -> Self {
        Service {
            namespace: namespace.into(),
            name: name.into(),
            kind: ServiceType::ClusterIP,
            cluster_ip: Some(ip.into()),
            ports,
            external_name: None,
            load_balancer_ips: vec![],
            labels: BTreeMap::new(),
        }
    }

    pub fn load_balancer(
        namespace: &str,
        name: &str,
        ip: &str,
        ports: Vec<ServicePort>,
        ingress: Vec<IpAddr>,
    ) -> Self {
        Service {
            kind: ServiceType::LoadBalancer,
            load_balancer_ips: ingress,
            ..Service::cluster_ip(namespace, name, ip, ports)
        }
    }

    pub fn external_name(namespace: &str, name: &str, host: &str, ports: Vec<ServicePort>) -> Self {
        Service {
            namespace: namespace.into(),
            name: name.into(),
            kind: ServiceType::ExternalName,
            cluster_ip: None,
            ports,
            external_name: Some(host.into()),
            load_balancer_ips: vec![],
            labels: BTreeMap::new(),
        }
    }

    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
}

/// One Gateway API listener.
#[derive(Debug, Clone)]
pub struct Listener {
    pub name: String,
    /// `HTTPS`, `TLS`, `HTTP`, …
    pub protocol: String,
    pub port: u16,
    pub hostname: Option<String>,
}

impl Listener {
    pub fn new(name: &str, protocol: &str, port: u16, hostname: Option<&str>) -> Self {
        Listener {
            name: name.into(),
            protocol: protocol.into(),
            port,
            hostname: hostname.map(String::from),
        }
    }
}

/// Commands of the control-plane static pods as kubeadm writes them.
pub mod kubeadm {
    use std::net::IpAddr;

    fn owned(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// `kube-apiserver` with kubeadm's flags, `--advertise-address`,
    /// `--secure-port` and `--etcd-servers` as given, TLS 1.2 minimum and an
    /// explicit cipher suite list.
    pub fn apiserver(advertise: IpAddr, secure_port: u16, etcd_servers: &str) -> Vec<String> {
        let mut c = owned(&["kube-apiserver"]);
        c.push(format!("--advertise-address={advertise}"));
        c.extend(owned(&[
            "--allow-privileged=true",
            "--authorization-mode=Node,RBAC",
            "--client-ca-file=/etc/kubernetes/pki/ca.crt",
            "--enable-admission-plugins=NodeRestriction",
            "--enable-bootstrap-token-auth=true",
            "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
            "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
            "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
        ]));
        c.push(format!("--etcd-servers={etcd_servers}"));
        c.extend(owned(&[
            "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
            "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
            "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
            "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
            "--requestheader-allowed-names=front-proxy-client",
        ]));
        c.push(format!("--secure-port={secure_port}"));
        c.extend(owned(&[
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
            "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
            "--service-cluster-ip-range=10.96.0.0/12",
            "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
            "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
            "--tls-min-version=VersionTLS12",
            "--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        ]));
        c
    }

    /// `etcd` serving clients on `client_url` (used for both
    /// `--listen-client-urls` and `--advertise-client-urls`).
    pub fn etcd(name: &str, client_url: &str) -> Vec<String> {
        let mut c = owned(&["etcd"]);
        c.push(format!("--advertise-client-urls={client_url}"));
        c.extend(owned(&[
            "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
            "--client-cert-auth=true",
            "--data-dir=/var/lib/etcd",
            "--key-file=/etc/kubernetes/pki/etcd/server.key",
        ]));
        c.push(format!("--listen-client-urls={client_url}"));
        c.push("--listen-metrics-urls=http://127.0.0.1:2381".into());
        c.push(format!("--name={name}"));
        c.extend(owned(&[
            "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
            "--peer-client-cert-auth=true",
            "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
            "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
        ]));
        c
    }

    /// `kube-controller-manager` with `--secure-port`.
    pub fn controller_manager(secure_port: u16) -> Vec<String> {
        let mut c = owned(&[
            "kube-controller-manager",
            "--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--bind-address=127.0.0.1",
            "--client-ca-file=/etc/kubernetes/pki/ca.crt",
            "--cluster-name=kubernetes",
            "--kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--leader-elect=true",
        ]);
        c.push(format!("--secure-port={secure_port}"));
        c.push("--use-service-account-credentials=true".into());
        c
    }

    /// `kube-scheduler` with `--secure-port`.
    pub fn scheduler(secure_port: u16) -> Vec<String> {
        let mut c = owned(&[
            "kube-scheduler",
            "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
            "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf",
            "--bind-address=127.0.0.1",
            "--kubeconfig=/etc/kubernetes/scheduler.conf",
            "--leader-elect=true",
        ]);
        c.push(format!("--secure-port={secure_port}"));
        c
    }
}

/// A resource kind the server knows.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    /// `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
}

impl Resource {
    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `/api/v1` or `/apis/group/version`.
    pub fn prefix(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }
}

const fn res(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> Resource {
    Resource {
        group,
        version,
        plural,
        singular,
        kind,
        namespaced,
    }
}

/// Every resource served, in discovery order.
pub const RESOURCES: &[Resource] = &[
    res("", "v1", "namespaces", "namespace", "Namespace", false),
    res("", "v1", "nodes", "node", "Node", false),
    res("", "v1", "pods", "pod", "Pod", true),
    res("", "v1", "services", "service", "Service", true),
    res(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
    ),
    res("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true),
    res(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
    ),
    res(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        "ValidatingWebhookConfiguration",
        false,
    ),
    res(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        "MutatingWebhookConfiguration",
        false,
    ),
    res(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        false,
    ),
    res(
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        "apiservice",
        "APIService",
        false,
    ),
    res(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        "EndpointSlice",
        true,
    ),
    res(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        "Ingress",
        true,
    ),
    res(
        "gateway.networking.k8s.io",
        "v1",
        "gateways",
        "gateway",
        "Gateway",
        true,
    ),
    // Envoy Gateway's CRD; a test that wants it missing routes its path to a 404.
    res(
        "gateway.envoyproxy.io",
        "v1alpha1",
        "clienttrafficpolicies",
        "clienttrafficpolicy",
        "ClientTrafficPolicy",
        true,
    ),
];

fn resource(plural: &str) -> &'static Resource {
    RESOURCES
        .iter()
        .find(|r| r.plural == plural)
        .unwrap_or_else(|| panic!("unknown resource {plural}"))
}

/// A scripted misbehaviour of the server, for requests whose path (query
/// excluded) starts with `path` and whose query contains `query` (empty:
/// any), counted from the first matching request (0).
#[derive(Debug, Clone)]
pub struct Fault {
    pub path: String,
    pub query: String,
    /// The matching requests it applies to: `from..until` (`None`: on and on).
    pub from: usize,
    pub until: Option<usize>,
    pub kind: FaultKind,
}

#[derive(Debug, Clone)]
pub enum FaultKind {
    /// 429 as kube-apiserver's priority and fairness filter sends it:
    /// `Retry-After: <seconds>` and a plain-text body.
    Throttle { retry_after: u64 },
    /// This status, with a `Status` body (e.g. 500 InternalError).
    Status(u16),
    /// 410 Gone with reason `Expired`, as for a compacted continue token.
    Expire,
    /// No answer: the listener and every open connection are closed, and
    /// the same port is served again after `down`.
    Restart { down: std::time::Duration },
}

impl Fault {
    /// `kind` for requests to `path` number `from` to `until` (exclusive).
    pub fn new(path: &str, kind: FaultKind) -> Self {
        Fault {
            path: path.into(),
            query: String::new(),
            from: 0,
            until: None,
            kind,
        }
    }

    /// Only requests whose query contains `text` (e.g. `continue=`).
    pub fn query(mut self, text: &str) -> Self {
        self.query = text.into();
        self
    }

    /// Only the matching requests `from..until`.
    pub fn requests(mut self, from: usize, until: Option<usize>) -> Self {
        self.from = from;
        self.until = until;
        self
    }
}

/// The cluster a [`TestApiServer`] serves: objects, version, credentials,
/// RBAC denials and TLS key exchange. Builder methods consume and return it.
#[derive(Debug, Clone)]
pub struct Cluster {
    faults: Vec<Fault>,
    git_version: String,
    go_version: String,
    objects: BTreeMap<&'static str, Vec<Value>>,
    tokens: Vec<(String, String)>,
    denied: Vec<String>,
    routes: Vec<(String, u16, Value)>,
    classical_only: bool,
    serial: u64,
}

impl Default for Cluster {
    fn default() -> Self {
        Self::new()
    }
}

impl Cluster {
    /// An empty cluster: version v1.33.2 built with go1.24.4, namespaces
    /// `default` and `kube-system`, the default TLS groups (X25519MLKEM768
    /// first), accepting [`TOKEN`] and [`EXEC_TOKEN`].
    pub fn new() -> Self {
        let mut c = Cluster {
            faults: vec![],
            git_version: "v1.33.2".into(),
            go_version: "go1.24.4".into(),
            objects: BTreeMap::new(),
            tokens: vec![
                (TOKEN.into(), TOKEN_USER.into()),
                (EXEC_TOKEN.into(), EXEC_USER.into()),
            ],
            denied: vec![],
            routes: vec![],
            classical_only: false,
            serial: 0,
        };
        c = c.namespace("default").namespace("kube-system");
        c
    }

    /// `/version`'s `gitVersion` (e.g. `v1.33.2`) and `goVersion` (`go1.24.4`).
    pub fn version(mut self, git_version: &str, go_version: &str) -> Self {
        self.git_version = git_version.into();
        self.go_version = go_version.into();
        self
    }

    /// Also accept `Authorization: Bearer <token>` as `user`.
    pub fn token(mut self, token: &str, user: &str) -> Self {
        self.tokens.push((token.into(), user.into()));
        self
    }

    /// Misbehave as `fault` says.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Answer 403 Forbidden to every path starting with `path_prefix`
    /// (e.g. `/api/v1/nodes`, `/apis/apiregistration.k8s.io`).
    pub fn deny(mut self, path_prefix: &str) -> Self {
        self.denied.push(path_prefix.into());
        self
    }

    /// Serve `body` with `status` at exactly `path` (query ignored), before
    /// any other route and after authentication: e.g. a `/version` that is
    /// not Kubernetes'.
    pub fn route(mut self, path: &str, status: u16, body: Value) -> Self {
        self.routes.push((path.into(), status, body));
        self
    }

    /// `true`: the server's TLS offers only classical groups (X25519, P-256,
    /// P-384), as an API server behind a classical proxy. `false` (default):
    /// rustls aws-lc-rs default groups, X25519MLKEM768 first.
    pub fn tls_groups(mut self, classical_only: bool) -> Self {
        self.classical_only = classical_only;
        self
    }

    fn meta(&mut self, namespace: Option<&str>, name: &str) -> Value {
        self.serial += 1;
        let mut m = json!({
            "name": name,
            "uid": format!("00000000-0000-4000-8000-{:012x}", self.serial),
            "resourceVersion": (1000 + self.serial).to_string(),
            "creationTimestamp": "2025-01-01T00:00:00Z",
        });
        if let Some(ns) = namespace {
            m["namespace"] = json!(ns);
        }
        m
    }

    /// Add a raw object of resource `plural` (e.g. `"pods"`); `kind`,
    /// `apiVersion` and missing `metadata.uid`/`resourceVersion` are filled in.
    pub fn object(mut self, plural: &str, mut obj: Value) -> Self {
        let r = resource(plural);
        obj["kind"] = json!(r.kind);
        obj["apiVersion"] = json!(r.api_version());
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or("unnamed")
            .to_string();
        let ns = obj["metadata"]["namespace"].as_str().map(String::from);
        if r.namespaced {
            assert!(
                ns.is_some(),
                "{plural} {name}: metadata.namespace is required"
            );
        }
        let base = self.meta(ns.as_deref(), &name);
        let meta = obj["metadata"].as_object_mut().expect("metadata object");
        for (k, v) in base.as_object().unwrap() {
            meta.entry(k.clone()).or_insert(v.clone());
        }
        if let Some(ns) = &ns {
            if !self.has("namespaces", None, ns) && plural != "namespaces" {
                self = self.namespace(ns);
            }
        }
        self.objects.entry(r.plural).or_default().push(obj);
        self
    }

    fn has(&self, plural: &str, ns: Option<&str>, name: &str) -> bool {
        self.find(plural, ns, name).is_some()
    }

    fn find(&self, plural: &str, ns: Option<&str>, name: &str) -> Option<&Value> {
        self.objects.get(plural)?.iter().find(|o| {
            o["metadata"]["name"] == name
                && ns.is_none_or(|ns| o["metadata"]["namespace"].as_str() == Some(ns))
        })
    }

    /// The objects of resource `plural`, in insertion order.
    pub fn objects(&self, plural: &str) -> &[Value] {
        self.objects.get(plural).map(|v| &v[..]).unwrap_or(&[])
    }

    /// A Namespace (those of namespaced objects are added automatically).
    pub fn namespace(self, name: &str) -> Self {
        self.object(
            "namespaces",
            json!({
                "metadata": { "name": name, "labels": { "kubernetes.io/metadata.name": name } },
                "spec": { "finalizers": ["kubernetes"] },
                "status": { "phase": "Active" },
            }),
        )
    }

    /// A Node whose kubelet listens on `kubelet` (InternalIP = its IP,
    /// `daemonEndpoints.kubeletEndpoint.Port` = its port).
    pub fn node(self, name: &str, kubelet: SocketAddr) -> Self {
        let ip = kubelet.ip().to_string();
        self.node_with_addresses(name, &[("InternalIP", &ip)], kubelet.port())
    }

    /// A Node with the given `status.addresses` (type, address); a
    /// `Hostname` address is added.
    pub fn node_with_addresses(self, name: &str, addresses: &[(&str, &str)], port: u16) -> Self {
        let version = self.git_version.clone();
        self.node_at_version(name, addresses, port, &version, Some(&version))
    }

    /// A Node whose kubelet (on `kubelet`) reports `kubelet_version`, and
    /// no `kubeProxyVersion` (kubelets stopped setting it in 1.31,
    /// KEP-4004): as in a cluster mid-upgrade, nodes of several versions.
    pub fn node_version(self, name: &str, kubelet: SocketAddr, kubelet_version: &str) -> Self {
        let ip = kubelet.ip().to_string();
        self.node_at_version(
            name,
            &[("InternalIP", &ip)],
            kubelet.port(),
            kubelet_version,
            None,
        )
    }

    fn node_at_version(
        self,
        name: &str,
        addresses: &[(&str, &str)],
        port: u16,
        kubelet_version: &str,
        kube_proxy_version: Option<&str>,
    ) -> Self {
        let mut addrs: Vec<Value> = addresses
            .iter()
            .map(|(t, a)| json!({ "type": t, "address": a }))
            .collect();
        addrs.push(json!({ "type": "Hostname", "address": name }));
        let kube_proxy_version = kube_proxy_version.unwrap_or_default();
        self.object(
            "nodes",
            json!({
                "metadata": {
                    "name": name,
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "node-role.kubernetes.io/control-plane": "",
                    },
                },
                "spec": { "podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"] },
                "status": {
                    "addresses": addrs,
                    "daemonEndpoints": { "kubeletEndpoint": { "Port": port } },
                    "nodeInfo": {
                        "architecture": "amd64",
                        "bootID": "5c2b1f4e-0000-4000-8000-000000000001",
                        "containerRuntimeVersion": "containerd://1.7.27",
                        "kernelVersion": "6.8.0-60-generic",
                        "kubeProxyVersion": kube_proxy_version,
                        "kubeletVersion": kubelet_version,
                        "machineID": "0f8e3c0e8a8d4f7d9d3a9f2b7c1e0a11",
                        "operatingSystem": "linux",
                        "osImage": "Debian GNU/Linux 12 (bookworm)",
                        "systemUUID": "0f8e3c0e-8a8d-4f7d-9d3a-9f2b7c1e0a11",
                    },
                    "conditions": [{
                        "type": "Ready", "status": "True", "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                        "lastHeartbeatTime": "2025-01-01T00:00:00Z",
                        "lastTransitionTime": "2025-01-01T00:00:00Z",
                    }],
                },
            }),
        )
    }

    fn node_ip(&self, node: &str) -> String {
        let n = self
            .find("nodes", None, node)
            .unwrap_or_else(|| panic!("add node {node} before its pods"));
        let addrs = n["status"]["addresses"].as_array().unwrap();
        ["InternalIP", "ExternalIP"]
            .iter()
            .find_map(|t| addrs.iter().find(|a| a["type"] == *t))
            .and_then(|a| a["address"].as_str())
            .unwrap_or("127.0.0.1")
            .to_string()
    }

    /// A kubeadm static control-plane pod in kube-system as its mirror pod:
    /// `<component>-<node>`, labels `component=<component>`,
    /// `tier=control-plane`, `spec.containers[0].command` = `command`,
    /// host network, pod IP = the node's (add the node first).
    pub fn static_pod(self, component: &str, node: &str, command: Vec<String>) -> Self {
        let tag = self.git_version.clone();
        self.static_pod_tagged(component, node, command, &tag)
    }

    /// A static pod as [`Cluster::static_pod`] whose image is
    /// `registry.k8s.io/<component>:<image_tag>` (a control plane mid-upgrade).
    pub fn static_pod_tagged(
        self,
        component: &str,
        node: &str,
        command: Vec<String>,
        image_tag: &str,
    ) -> Self {
        let ip = self.node_ip(node);
        let name = format!("{component}-{node}");
        let hash = format!("{:032x}", self.serial + 0xfeed);
        self.object(
            "pods",
            json!({
                "metadata": {
                    "name": name,
                    "namespace": "kube-system",
                    "labels": { "component": component, "tier": "control-plane" },
                    "annotations": {
                        "kubernetes.io/config.hash": hash,
                        "kubernetes.io/config.mirror": hash,
                        "kubernetes.io/config.seen": "2025-01-01T00:00:00.000000000Z",
                        "kubernetes.io/config.source": "file",
                    },
                    "ownerReferences": [{
                        "apiVersion": "v1", "kind": "Node", "name": node,
                        "uid": "00000000-0000-4000-8000-0000000000aa", "controller": true,
                    }],
                },
                "spec": {
                    "containers": [{
                        "name": component,
                        "image": format!("registry.k8s.io/{component}:{image_tag}"),
                        "imagePullPolicy": "IfNotPresent",
                        "command": command,
                    }],
                    "hostNetwork": true,
                    "nodeName": node,
                    "priorityClassName": "system-node-critical",
                    "restartPolicy": "Always",
                },
                "status": {
                    "phase": "Running",
                    "hostIP": ip,
                    "podIP": ip,
                    "podIPs": [{ "ip": ip }],
                },
            }),
        )
    }

    /// A workload of `plural` (`deployments`, `daemonsets`, `statefulsets`)
    /// whose pod template runs `containers` (name, image); `automount`
    /// false sets `automountServiceAccountToken: false` on the template.
    pub fn workload(
        self,
        plural: &str,
        namespace: &str,
        name: &str,
        containers: &[(&str, &str)],
        automount: bool,
    ) -> Self {
        let cs: Vec<Value> = containers
            .iter()
            .map(|(n, image)| json!({ "name": n, "image": image }))
            .collect();
        let mut pod_spec = json!({ "containers": cs, "restartPolicy": "Always" });
        if !automount {
            pod_spec["automountServiceAccountToken"] = json!(false);
        }
        let mut spec = json!({
            "selector": { "matchLabels": { "app": name } },
            "template": { "metadata": { "labels": { "app": name } }, "spec": pod_spec },
        });
        if plural == "statefulsets" {
            spec["serviceName"] = json!(name);
        }
        self.object(
            plural,
            json!({
                "metadata": { "name": name, "namespace": namespace, "labels": { "app": name } },
                "spec": spec,
            }),
        )
    }

    fn webhook_config(self, plural: &str, name: &str, config: ClientConfig) -> Self {
        self.object(
            plural,
            json!({
                "metadata": { "name": name },
                "webhooks": [{
                    "name": format!("{name}.example.com"),
                    "admissionReviewVersions": ["v1"],
                    "sideEffects": "None",
                    "failurePolicy": "Fail",
                    "timeoutSeconds": 10,
                    "clientConfig": config.to_json(),
                    "rules": [{
                        "apiGroups": [""], "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"], "resources": ["pods"],
                        "scope": "*",
                    }],
                }],
            }),
        )
    }

    /// A ValidatingWebhookConfiguration `name` with one webhook
    /// `<name>.example.com` reached through `config`.
    pub fn validating_webhook(self, name: &str, config: ClientConfig) -> Self {
        self.webhook_config("validatingwebhookconfigurations", name, config)
    }

    /// A MutatingWebhookConfiguration, as [`Cluster::validating_webhook`].
    pub fn mutating_webhook(self, name: &str, config: ClientConfig) -> Self {
        self.webhook_config("mutatingwebhookconfigurations", name, config)
    }

    fn crd_json(name: &str, conversion: Value) -> Value {
        let (plural, group) = name.split_once('.').expect("CRD name is <plural>.<group>");
        let singular = plural.trim_end_matches('s');
        let mut kind: Vec<char> = singular.chars().collect();
        kind[0] = kind[0].to_ascii_uppercase();
        let kind: String = kind.into_iter().collect();
        json!({
            "metadata": { "name": name },
            "spec": {
                "group": group,
                "names": {
                    "plural": plural, "singular": singular, "kind": kind,
                    "listKind": format!("{kind}List"),
                },
                "scope": "Namespaced",
                "versions": [
                    { "name": "v1", "served": true, "storage": true,
                      "schema": { "openAPIV3Schema": { "type": "object",
                                  "x-kubernetes-preserve-unknown-fields": true } } },
                    { "name": "v1beta1", "served": true, "storage": false,
                      "schema": { "openAPIV3Schema": { "type": "object",
                                  "x-kubernetes-preserve-unknown-fields": true } } },
                ],
                "conversion": conversion,
            },
            "status": {
                "acceptedNames": { "plural": plural, "kind": kind },
                "storedVersions": ["v1"],
            },
        })
    }

    /// A CRD `<plural>.<group>` with a conversion webhook reached through
    /// `config` (`spec.conversion.strategy: Webhook`).
    pub fn crd_conversion(self, name: &str, config: ClientConfig) -> Self {
        let conversion = json!({
            "strategy": "Webhook",
            "webhook": { "clientConfig": config.to_json(), "conversionReviewVersions": ["v1"] },
        });
        self.object(
            "customresourcedefinitions",
            Self::crd_json(name, conversion),
        )
    }

    /// A CRD `<plural>.<group>` without conversion webhook (`strategy: None`).
    pub fn crd(self, name: &str) -> Self {
        let conversion = json!({ "strategy": "None" });
        self.object(
            "customresourcedefinitions",
            Self::crd_json(name, conversion),
        )
    }

    /// An APIService `<version>.<group>` (e.g. `v1beta1.metrics.k8s.io`):
    /// local (`spec.service` null) or aggregated, backed by `(namespace,
    /// name, port)`.
    pub fn apiservice(self, name: &str, service: Option<(&str, &str, u16)>) -> Self {
        let (version, group) = name.split_once('.').unwrap_or((name, ""));
        let spec_service = match service {
            Some((ns, svc, port)) => json!({ "namespace": ns, "name": svc, "port": port }),
            None => Value::Null,
        };
        let (reason, message) = match service {
            Some(_) => ("Passed", "all checks passed"),
            None => ("Local", "Local APIServices are always available"),
        };
        self.object(
            "apiservices",
            json!({
                "metadata": { "name": name },
                "spec": {
                    "group": group,
                    "version": version,
                    "service": spec_service,
                    "groupPriorityMinimum": 100,
                    "versionPriority": 100,
                },
                "status": { "conditions": [{
                    "type": "Available", "status": "True", "reason": reason,
                    "message": message, "lastTransitionTime": "2025-01-01T00:00:00Z",
                }] },
            }),
        )
    }

    /// A Service.
    pub fn service(self, s: Service) -> Self {
        let ports: Vec<Value> = s
            .ports
            .iter()
            .map(|p| {
                let mut port = json!({ "name": p.name, "port": p.port,
                        "targetPort": p.target_port, "protocol": p.protocol });
                if let Some(app) = &p.app_protocol {
                    port["appProtocol"] = json!(app);
                }
                port
            })
            .collect();
        let mut spec = json!({ "type": s.kind.as_str(), "ports": ports });
        if let Some(ip) = &s.cluster_ip {
            spec["clusterIP"] = json!(ip);
            spec["clusterIPs"] = json!([ip]);
            spec["selector"] = json!({ "app": s.name });
            spec["sessionAffinity"] = json!("None");
        }
        if let Some(host) = &s.external_name {
            spec["externalName"] = json!(host);
        }
        let ingress: Vec<Value> = s
            .load_balancer_ips
            .iter()
            .map(|ip| json!({ "ip": ip.to_string(), "ipMode": "VIP" }))
            .collect();
        let status = if s.kind == ServiceType::LoadBalancer {
            json!({ "loadBalancer": { "ingress": ingress } })
        } else {
            json!({ "loadBalancer": {} })
        };
        self.object(
            "services",
            json!({
                "metadata": { "name": s.name, "namespace": s.namespace, "labels": s.labels },
                "spec": spec,
                "status": status,
            }),
        )
    }

    /// An EndpointSlice `<service>-<n>` for Service `service` with one ready
    /// endpoint per address (IPv4 or IPv6 after the first) and one TCP
    /// port named `https`.
    pub fn endpoint_slice(
        self,
        namespace: &str,
        service: &str,
        addrs: &[IpAddr],
        port: u16,
    ) -> Self {
        let n = self.objects("endpointslices").len();
        let v6 = addrs.first().is_some_and(|a| a.is_ipv6());
        let endpoints: Vec<Value> = addrs
            .iter()
            .map(|a| {
                json!({
                    "addresses": [a.to_string()],
                    "conditions": { "ready": true, "serving": true, "terminating": false },
                })
            })
            .collect();
        self.object(
            "endpointslices",
            json!({
                "metadata": {
                    "name": format!("{service}-{:05x}", 0xabcde_usize.wrapping_add(n) & 0xfffff),
                    "namespace": namespace,
                    "labels": {
                        "kubernetes.io/service-name": service,
                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                    },
                    "ownerReferences": [{
                        "apiVersion": "v1", "kind": "Service", "name": service,
                        "uid": "00000000-0000-4000-8000-0000000000bb",
                        "controller": true, "blockOwnerDeletion": true,
                    }],
                },
                "addressType": if v6 { "IPv6" } else { "IPv4" },
                "endpoints": endpoints,
                "ports": [{ "name": "https", "port": port, "protocol": "TCP" }],
            }),
        )
    }

    /// An Ingress with one rule per host (backend `service:port`, path `/`),
    /// TLS for `tls_hosts` (secret `<name>-tls`) and the load balancer IPs in
    /// `status.loadBalancer.ingress`.
    pub fn ingress(
        self,
        namespace: &str,
        name: &str,
        hosts: &[&str],
        tls_hosts: &[&str],
        backend: (&str, u16),
        lb_ips: &[IpAddr],
    ) -> Self {
        let rules: Vec<Value> = hosts
            .iter()
            .map(|h| {
                json!({ "host": h, "http": { "paths": [{
                    "path": "/", "pathType": "Prefix",
                    "backend": { "service": { "name": backend.0, "port": { "number": backend.1 } } },
                }] } })
            })
            .collect();
        let mut spec = json!({ "ingressClassName": "nginx", "rules": rules });
        if !tls_hosts.is_empty() {
            spec["tls"] = json!([{ "hosts": tls_hosts, "secretName": format!("{name}-tls") }]);
        }
        let ingress: Vec<Value> = lb_ips
            .iter()
            .map(|ip| json!({ "ip": ip.to_string() }))
            .collect();
        self.object(
            "ingresses",
            json!({
                "metadata": { "name": name, "namespace": namespace },
                "spec": spec,
                "status": { "loadBalancer": { "ingress": ingress } },
            }),
        )
    }

    /// A Gateway API Gateway with `listeners` and `status.addresses`
    /// (type IPAddress).
    pub fn gateway(
        self,
        namespace: &str,
        name: &str,
        listeners: Vec<Listener>,
        addresses: &[IpAddr],
    ) -> Self {
        self.gateway_json(namespace, name, listeners, addresses)
    }

    /// An Envoy Gateway ClientTrafficPolicy `name` targeting Gateway
    /// `gateway` (its listener `section`, if given) through `targetRefs`,
    /// with `spec.http3: {}` when `http3`, and the status Envoy Gateway
    /// writes once it accepted the policy for that Gateway.
    pub fn client_traffic_policy(
        self,
        namespace: &str,
        name: &str,
        gateway: &str,
        section: Option<&str>,
        http3: bool,
    ) -> Self {
        let mut target =
            json!({ "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway });
        let mut ancestor = json!({ "group": "gateway.networking.k8s.io", "kind": "Gateway",
                                   "name": gateway, "namespace": namespace });
        if let Some(s) = section {
            target["sectionName"] = json!(s);
            ancestor["sectionName"] = json!(s);
        }
        let mut spec = json!({ "targetRefs": [target] });
        if http3 {
            spec["http3"] = json!({});
        } else {
            spec["tls"] = json!({ "minVersion": "1.2" });
        }
        self.object(
            "clienttrafficpolicies",
            json!({
                "metadata": { "name": name, "namespace": namespace, "generation": 1 },
                "spec": spec,
                "status": { "ancestors": [{
                    "ancestorRef": ancestor,
                    "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                    "conditions": [{
                        "type": "Accepted", "status": "True", "reason": "Accepted",
                        "message": "Policy has been accepted.", "observedGeneration": 1,
                        "lastTransitionTime": "2025-01-01T00:00:00Z",
                    }],
                }] },
            }),
        )
    }

    /// A running Pod (not host network) with `labels`, `annotations` and
    /// containers `(name, container ports)`, e.g. an app with an
    /// `istio-proxy` sidecar (annotation `sidecar.istio.io/status`) or a
    /// `linkerd-proxy` (annotation `linkerd.io/proxy-version`).
    pub fn pod(
        self,
        namespace: &str,
        name: &str,
        pod_ip: IpAddr,
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
        containers: &[(&str, &[u16])],
    ) -> Self {
        let map = |kv: &[(&str, &str)]| -> serde_json::Map<String, Value> {
            kv.iter().map(|(k, v)| (k.to_string(), json!(v))).collect()
        };
        let cs: Vec<Value> = containers
            .iter()
            .map(|(n, ports)| {
                let ports: Vec<Value> = ports
                    .iter()
                    .map(|p| json!({ "containerPort": p, "protocol": "TCP" }))
                    .collect();
                json!({ "name": n, "image": format!("example/{n}:1"), "ports": ports })
            })
            .collect();
        self.object(
            "pods",
            json!({
                "metadata": {
                    "name": name, "namespace": namespace,
                    "labels": map(labels), "annotations": map(annotations),
                },
                "spec": { "containers": cs, "restartPolicy": "Always" },
                "status": {
                    "phase": "Running",
                    "hostIP": "127.0.0.1",
                    "podIP": pod_ip.to_string(),
                    "podIPs": [{ "ip": pod_ip.to_string() }],
                },
            }),
        )
    }

    fn gateway_json(
        self,
        namespace: &str,
        name: &str,
        listeners: Vec<Listener>,
        addresses: &[IpAddr],
    ) -> Self {
        let ls: Vec<Value> = listeners
            .iter()
            .map(|l| {
                let mut v = json!({ "name": l.name, "protocol": l.protocol, "port": l.port,
                                    "allowedRoutes": { "namespaces": { "from": "Same" } } });
                if let Some(h) = &l.hostname {
                    v["hostname"] = json!(h);
                }
                match l.protocol.as_str() {
                    "HTTPS" => {
                        v["tls"] = json!({ "mode": "Terminate",
                            "certificateRefs": [{ "kind": "Secret", "name": format!("{name}-tls") }] })
                    }
                    "TLS" => v["tls"] = json!({ "mode": "Passthrough" }),
                    _ => {}
                }
                v
            })
            .collect();
        let addrs: Vec<Value> = addresses
            .iter()
            .map(|a| json!({ "type": "IPAddress", "value": a.to_string() }))
            .collect();
        self.object(
            "gateways",
            json!({
                "metadata": { "name": name, "namespace": namespace },
                "spec": { "gatewayClassName": "example", "listeners": ls },
                "status": { "addresses": addrs, "conditions": [{
                    "type": "Programmed", "status": "True", "reason": "Programmed",
                    "message": "", "lastTransitionTime": "2025-01-01T00:00:00Z",
                    "observedGeneration": 1,
                }] },
            }),
        )
    }
}

/// A client certificate signed by the server's client CA.
#[derive(Debug, Clone)]
pub struct ClientCert {
    pub user: String,
    pub cert_pem: String,
    pub key_pem: String,
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    ClientCert,
    Token,
}

/// One request the server answered.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// The authenticated user, if any.
    pub user: Option<String>,
    pub auth: Auth,
    pub status: u16,
    pub accept: Option<String>,
    pub user_agent: Option<String>,
    /// The TLS key exchange group of the connection, e.g. `X25519MLKEM768`.
    pub group: Option<String>,
    /// When it arrived.
    pub at: std::time::Instant,
}

struct Pki {
    ca_cert: rcgen::Certificate,
    ca_key: KeyPair,
    client_ca_cert: rcgen::Certificate,
    client_ca_key: KeyPair,
    client_ca_params: CertificateParams,
    server_cert: rcgen::Certificate,
    server_key: KeyPair,
}

fn ca(cn: &str) -> (rcgen::Certificate, KeyPair, CertificateParams) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    (p.self_signed(&key).unwrap(), key, p)
}

impl Pki {
    fn new() -> Self {
        let (ca_cert, ca_key, ca_params) = ca("kubernetes");
        let (client_ca_cert, client_ca_key, client_ca_params) = ca("kubernetes-client-ca");
        let server_key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
            "kubernetes".to_string(),
            "kubernetes.default.svc".to_string(),
        ])
        .unwrap();
        p.distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let server_cert = p.signed_by(&server_key, &issuer).unwrap();
        Pki {
            ca_cert,
            ca_key,
            client_ca_cert,
            client_ca_key,
            client_ca_params,
            server_cert,
            server_key,
        }
    }

    fn client_cert(&self, user: &str, groups: &[&str]) -> ClientCert {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, user);
        for g in groups {
            p.distinguished_name.push(DnType::OrganizationName, *g);
        }
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = p
            .signed_by(
                &key,
                &rcgen::Issuer::from_params(&self.client_ca_params, &self.client_ca_key),
            )
            .unwrap();
        ClientCert {
            user: user.into(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

fn provider(classical_only: bool) -> Arc<rustls::crypto::CryptoProvider> {
    let mut p = rustls::crypto::aws_lc_rs::default_provider();
    if classical_only {
        p.kx_groups.retain(|g| !is_post_quantum(g.name()));
    }
    Arc::new(p)
}

/// Whether `group` is one of the ML-KEM (hybrid or pure) groups.
pub fn is_post_quantum(group: NamedGroup) -> bool {
    matches!(
        group,
        NamedGroup::X25519MLKEM768
            | NamedGroup::secp256r1MLKEM768
            | NamedGroup::MLKEM512
            | NamedGroup::MLKEM768
            | NamedGroup::MLKEM1024
    )
}

struct State {
    cluster: Cluster,
    addr: SocketAddr,
    log: Mutex<Vec<Request>>,
    /// Requests matched so far, per fault.
    matched: Mutex<Vec<usize>>,
    /// A restart asked by a request: the accept loop closes everything.
    restart: tokio::sync::mpsc::UnboundedSender<std::time::Duration>,
    restarts: std::sync::atomic::AtomicUsize,
}

impl State {
    /// The fault that applies to this request, if any (counting it).
    fn fault(&self, path: &str, query: &str) -> Option<FaultKind> {
        let mut matched = self.matched.lock().unwrap();
        let mut hit = None;
        for (i, f) in self.cluster.faults.iter().enumerate() {
            if !path.starts_with(f.path.as_str()) || !query.contains(f.query.as_str()) {
                continue;
            }
            let n = matched[i];
            matched[i] += 1;
            if hit.is_none() && n >= f.from && f.until.is_none_or(|u| n < u) {
                hit = Some(f.kind.clone());
            }
        }
        hit
    }
}

/// A running test API server; stops when dropped.
pub struct TestApiServer {
    addr: SocketAddr,
    pki: Pki,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApiServer {
    /// Generates the PKI and serves `cluster` on `127.0.0.1:<free port>`.
    pub fn start(cluster: Cluster) -> TestApiServer {
        let pki = Pki::new();
        let provider = provider(cluster.classical_only);
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.client_ca_cert.der().clone()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .allow_unauthenticated()
        .build()
        .unwrap();
        let chain = vec![pki.server_cert.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (restart, mut restarting) = tokio::sync::mpsc::unbounded_channel();
        let state = Arc::new(State {
            matched: Mutex::new(vec![0; cluster.faults.len()]),
            cluster,
            addr,
            log: Mutex::new(Vec::new()),
            restart,
            restarts: std::sync::atomic::AtomicUsize::new(0),
        });
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name("test-apiserver".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let mut listener = Some(tokio::net::TcpListener::from_std(listener).unwrap());
                    let mut connections = tokio::task::JoinSet::new();
                    loop {
                        let accepting = async {
                            match &listener {
                                Some(l) => l.accept().await,
                                None => std::future::pending().await,
                            }
                        };
                        tokio::select! {
                            _ = &mut stopped => break,
                            Some(down) = restarting.recv() => {
                                // As a restarted kube-apiserver: nothing
                                // listens, every connection is gone, then
                                // the same port answers again.
                                drop(listener.take());
                                connections.abort_all();
                                while connections.join_next().await.is_some() {}
                                st.restarts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                tokio::time::sleep(down).await;
                                listener = Some(tokio::net::TcpListener::bind(addr).await.unwrap());
                            }
                            accepted = accepting => {
                                let Ok((tcp, _)) = accepted else { continue };
                                // As Go's net/http (kube-apiserver): no Nagle,
                                // or each small answer waits for a delayed ACK.
                                let _ = tcp.set_nodelay(true);
                                let acceptor = acceptor.clone();
                                let st = st.clone();
                                connections.spawn(async move {
                                    if let Ok(tls) = acceptor.accept(tcp).await {
                                        let _ = serve_connection(tls, st).await;
                                    }
                                });
                            }
                            Some(_) = connections.join_next(), if !connections.is_empty() => {}
                        }
                    }
                });
                rt.shutdown_background();
            })
            .unwrap();
        TestApiServer {
            addr,
            pki,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// PEM of the CA that signed the server certificate (for
    /// `certificate-authority-data`).
    pub fn ca_pem(&self) -> String {
        self.pki.ca_cert.pem()
    }

    /// DER of the server CA, for a rustls root store.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.pki.ca_cert.der().clone()
    }

    /// PEM of the CA that client certificates must chain to.
    pub fn client_ca_pem(&self) -> String {
        self.pki.client_ca_cert.pem()
    }

    /// A new client certificate for `user` (CN) in `groups` (O).
    pub fn client_cert(&self, user: &str, groups: &[&str]) -> ClientCert {
        self.pki.client_cert(user, groups)
    }

    /// The cluster being served.
    pub fn cluster(&self) -> &Cluster {
        &self.state.cluster
    }

    /// Every request answered so far, in order (a request a restart cut
    /// off is logged with status 0).
    pub fn requests(&self) -> Vec<Request> {
        self.state.log.lock().unwrap().clone()
    }

    /// How many times the server restarted.
    pub fn restarts(&self) -> usize {
        self.state
            .restarts
            .load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for TestApiServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The subject CN of a DER certificate.
fn subject_cn(der: &[u8]) -> Option<String> {
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let tag = *b.first()?;
        let first = *b.get(1)? as usize;
        let (len, hdr) = if first < 0x80 {
            (first, 2)
        } else {
            let n = first & 0x7f;
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | *b.get(2 + i)? as usize;
            }
            (len, 2 + n)
        };
        let body = b.get(hdr..hdr + len)?;
        Some((tag, body, &b[hdr + len..]))
    }
    let (_, cert, _) = tlv(der)?;
    let (_, tbs, _) = tlv(cert)?;
    let mut rest = tbs;
    let (tag, _, r) = tlv(rest)?;
    if tag == 0xa0 {
        rest = r; // version
    }
    // serial, signature, issuer, validity, subject
    for _ in 0..4 {
        rest = tlv(rest)?.2;
    }
    let (_, subject, _) = tlv(rest)?;
    let mut sets = subject;
    while !sets.is_empty() {
        let (_, set, r) = tlv(sets)?;
        sets = r;
        let (_, atv, _) = tlv(set)?;
        let (_, oid, r) = tlv(atv)?;
        if oid == [0x55, 0x04, 0x03] {
            let (_, value, _) = tlv(r)?;
            return Some(String::from_utf8_lossy(value).into_owned());
        }
    }
    None
}

async fn serve_connection(
    tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    st: Arc<State>,
) -> std::io::Result<()> {
    let (cert_user, group) = {
        let conn = tls.get_ref().1;
        let user = conn
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| subject_cn(c));
        let group = conn
            .negotiated_key_exchange_group()
            .map(|g| format!("{:?}", g.name()));
        (user, group)
    };
    let (rd, mut wr) = tokio::io::split(tls);
    let mut rd = BufReader::new(rd);
    loop {
        let mut line = String::new();
        if rd.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            continue; // stray CRLF between requests
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("/").to_string();
        let http10 = parts.next() == Some("HTTP/1.0");
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            let mut h = String::new();
            if rd.read_line(&mut h).await? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let mut close =
            http10 || header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if header("transfer-encoding").is_some() {
            close = true; // no chunked bodies here: answer, then hang up
        } else if let Some(len) = header("content-length").and_then(|v| v.parse::<u64>().ok()) {
            tokio::io::copy(&mut (&mut rd).take(len), &mut tokio::io::sink()).await?;
        }

        let (auth, user) = if let Some(u) = &cert_user {
            (Auth::ClientCert, Some(u.clone()))
        } else if let Some(tok) = header("authorization")
            .as_deref()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
        {
            match st.cluster.tokens.iter().find(|(t, _)| t == tok) {
                Some((_, u)) => (Auth::Token, Some(u.clone())),
                None => (Auth::None, None),
            }
        } else {
            (Auth::None, None)
        };

        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let fault = user.as_ref().and_then(|_| st.fault(path, query));
        let mut extra = String::new();
        let (status, body) = match fault {
            Some(FaultKind::Restart { down }) => {
                st.log.lock().unwrap().push(Request {
                    method: method.clone(),
                    path: target.clone(),
                    user: user.clone(),
                    auth,
                    status: 0,
                    accept: header("accept"),
                    user_agent: header("user-agent"),
                    group: group.clone(),
                    at: std::time::Instant::now(),
                });
                let _ = st.restart.send(down);
                // This connection is closed with the others, unanswered.
                std::future::pending::<()>().await;
                unreachable!()
            }
            Some(FaultKind::Throttle { retry_after }) => {
                extra = format!("Retry-After: {retry_after}\r\n");
                (429, None)
            }
            Some(FaultKind::Status(code)) => {
                let reason = if code >= 500 { "InternalError" } else { "BadRequest" };
                let message = format!("Internal error occurred: injected fault {code}");
                (code, Some(status_json(code, reason, &message, None)))
            }
            Some(FaultKind::Expire) => (
                410,
                Some(status_json(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                    None,
                )),
            ),
            None => {
                let (status, body) = respond(&st, &method, &target, user.as_deref());
                (status, Some(body))
            }
        };
        let (content_type, body) = match body {
            Some(body) => ("application/json", serde_json::to_vec(&body).unwrap()),
            // kube-apiserver's priority and fairness filter: http.Error's text.
            None => (
                "text/plain; charset=utf-8",
                b"Too many requests, please try again later.\n".to_vec(),
            ),
        };
        st.log.lock().unwrap().push(Request {
            method: method.clone(),
            path: target.clone(),
            user: user.clone(),
            auth,
            status,
            accept: header("accept"),
            user_agent: header("user-agent"),
            group: group.clone(),
            at: std::time::Instant::now(),
        });
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nCache-Control: no-cache, private\r\nContent-Length: {}\r\n{extra}{}\r\n",
            reason_phrase(status),
            body.len(),
            if close { "Connection: close\r\n" } else { "" },
        );
        wr.write_all(head.as_bytes()).await?;
        wr.write_all(&body).await?;
        wr.flush().await?;
        if close {
            let _ = wr.shutdown().await;
            return Ok(());
        }
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A Kubernetes `Status` failure.
pub fn status_json(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut v = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code,
    });
    if let Some(d) = details {
        v["details"] = d;
    }
    v
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space).
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parsed route: resource, namespace, name.
struct Route {
    res: &'static Resource,
    namespace: Option<String>,
    name: Option<String>,
}

fn parse_route(path: &str) -> Option<Route> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, r @ ..] if !r.is_empty() => (Some(ns.to_string()), r),
        r => (None, r),
    };
    let (plural, name) = match rest {
        [p] => (*p, None),
        [p, n] => (*p, Some(n.to_string())),
        _ => return None,
    };
    let res = RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)?;
    if namespace.is_some() && !res.namespaced {
        return None;
    }
    Some(Route {
        res,
        namespace,
        name,
    })
}

fn respond(st: &State, method: &str, target: &str, user: Option<&str>) -> (u16, Value) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (url_decode(k), url_decode(v))
        })
        .collect();
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(user) = user else {
        return (401, status_json(401, "Unauthorized", "Unauthorized", None));
    };
    let c = &st.cluster;
    if let Some((_, status, body)) = c.routes.iter().find(|(p, _, _)| p == path) {
        return (*status, body.clone());
    }
    let route = parse_route(path);
    if c.denied.iter().any(|d| path.starts_with(d.as_str())) {
        let verb = if method != "GET" {
            method.to_ascii_lowercase()
        } else if route.as_ref().is_some_and(|r| r.name.is_some()) {
            "get".to_string()
        } else {
            "list".to_string()
        };
        let (plural, group, scope) = match &route {
            Some(r) => (
                r.res.plural,
                r.res.group,
                match &r.namespace {
                    Some(ns) => format!("in the namespace \"{ns}\""),
                    None => "at the cluster scope".to_string(),
                },
            ),
            None => ("", "", "at the cluster scope".to_string()),
        };
        let message = if plural.is_empty() {
            format!("forbidden: User \"{user}\" cannot {verb} path \"{path}\"")
        } else {
            format!(
                "{plural} is forbidden: User \"{user}\" cannot {verb} resource \"{plural}\" in API group \"{group}\" {scope}"
            )
        };
        let details = json!({ "kind": plural, "group": group });
        return (403, status_json(403, "Forbidden", &message, Some(details)));
    }
    if method != "GET" {
        return (
            405,
            status_json(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
                None,
            ),
        );
    }
    match path.trim_end_matches('/') {
        "/version" => return (200, version_json(c)),
        "/api" => return (200, api_versions(st.addr)),
        "/apis" => return (200, api_group_list()),
        _ => {}
    }
    if let Some(v) = discovery(path) {
        return (200, v);
    }
    let not_found = || {
        (
            404,
            status_json(
                404,
                "NotFound",
                "the server could not find the requested resource",
                Some(json!({})),
            ),
        )
    };
    let Some(route) = route else {
        return not_found();
    };
    let items = c.objects(route.res.plural).iter().filter(|o| {
        route
            .namespace
            .as_deref()
            .is_none_or(|ns| o["metadata"]["namespace"].as_str() == Some(ns))
    });
    if let Some(name) = &route.name {
        return match items
            .into_iter()
            .find(|o| o["metadata"]["name"] == name.as_str())
        {
            Some(o) => (200, o.clone()),
            None => (
                404,
                status_json(
                    404,
                    "NotFound",
                    &format!("{} \"{name}\" not found", route.res.plural),
                    Some(
                        json!({ "name": name, "group": route.res.group, "kind": route.res.plural }),
                    ),
                ),
            ),
        };
    }
    let labels = match param("labelSelector").map(parse_label_selector) {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            return (
                400,
                status_json(
                    400,
                    "BadRequest",
                    &format!("unable to parse requirement: {e}"),
                    None,
                ),
            )
        }
        None => vec![],
    };
    let fields = match param("fieldSelector").map(parse_field_selector) {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            return (
                400,
                status_json(
                    400,
                    "BadRequest",
                    &format!("invalid field selector: {e}"),
                    None,
                ),
            )
        }
        None => vec![],
    };
    let selected = !labels.is_empty() || !fields.is_empty();
    let items: Vec<&Value> = items
        .filter(|o| labels.iter().all(|r| r.matches(&o["metadata"]["labels"])))
        .filter(|o| fields.iter().all(|f| f.matches(o)))
        .collect();
    let rv = 1000 + c.serial + 1;
    let start = match param("continue").filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => match decode_continue(token) {
            Some((token_rv, start)) if token_rv == rv => start,
            _ => {
                return (
                    400,
                    status_json(
                        400,
                        "BadRequest",
                        "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                        None,
                    ),
                )
            }
        },
    };
    let total = items.len();
    let start = start.min(total);
    let end = match param("limit").and_then(|l| l.parse::<usize>().ok()) {
        Some(limit) if limit > 0 => (start + limit).min(total),
        _ => total,
    };
    let mut metadata = json!({ "resourceVersion": rv.to_string() });
    if end < total {
        metadata["continue"] = json!(encode_continue(rv, end));
        // kube-apiserver counts what is left only when it need not filter.
        if !selected {
            metadata["remainingItemCount"] = json!(total - end);
        }
    }
    let page: Vec<Value> = items[start..end].iter().map(|o| (*o).clone()).collect();
    (
        200,
        json!({
            "kind": format!("{}List", route.res.kind),
            "apiVersion": route.res.api_version(),
            "metadata": metadata,
            "items": page,
        }),
    )
}

/// A continue token as kube-apiserver writes one: unpadded URL-safe base64
/// of `{"v":"meta.k8s.io/v1","rv":<resourceVersion>,"start":"<key>"}`;
/// here the key is the index the next page starts at.
pub fn encode_continue(rv: u64, start: usize) -> String {
    use base64::Engine as _;
    let token = json!({ "v": "meta.k8s.io/v1", "rv": rv, "start": start.to_string() });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.to_string())
}

/// The resourceVersion and start index of a token from [`encode_continue`].
pub fn decode_continue(token: &str) -> Option<(u64, usize)> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    (v["v"] == "meta.k8s.io/v1").then_some(())?;
    Some((v["rv"].as_u64()?, v["start"].as_str()?.parse().ok()?))
}

fn version_json(c: &Cluster) -> Value {
    let minor = c
        .git_version
        .trim_start_matches('v')
        .split('.')
        .nth(1)
        .unwrap_or("0")
        .to_string();
    let major = c
        .git_version
        .trim_start_matches('v')
        .split('.')
        .next()
        .unwrap_or("1")
        .to_string();
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": c.git_version,
        "gitCommit": "5b9a4a2b1f0c6a4b1e2f3c4d5e6f708192a3b4c5",
        "gitTreeState": "clean",
        "buildDate": "2025-06-17T18:29:43Z",
        "goVersion": c.go_version,
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

fn api_versions(addr: SocketAddr) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": addr.to_string() }],
    })
}

fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

fn api_group(group: &str, version: &str) -> Value {
    let gv = json!({ "groupVersion": format!("{group}/{version}"), "version": version });
    json!({ "name": group, "versions": [gv.clone()], "preferredVersion": gv })
}

fn api_group_list() -> Value {
    let groups: Vec<Value> = groups().iter().map(|(g, v)| api_group(g, v)).collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// `/api/v1`, `/apis/<group>` and `/apis/<group>/<version>`.
fn discovery(path: &str) -> Option<Value> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version) = match segs.as_slice() {
        ["api", v] => ("", *v),
        ["apis", g] => {
            let (g, v) = groups().into_iter().find(|(name, _)| name == g)?;
            let mut v = api_group(g, v);
            v["kind"] = json!("APIGroup");
            v["apiVersion"] = json!("v1");
            return Some(v);
        }
        ["apis", g, v] => (*g, *v),
        _ => return None,
    };
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .map(|r| {
            json!({
                "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                "kind": r.kind, "verbs": ["get", "list"],
            })
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources,
    }))
}

/// One label selector requirement.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelReq {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

impl LabelReq {
    fn matches(&self, labels: &Value) -> bool {
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        match self {
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
            LabelReq::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            LabelReq::NotIn(k, vs) => !get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
        }
    }
}

/// Parses `key`, `!key`, `key=v`, `key==v`, `key!=v`, `key in (a,b)`,
/// `key notin (a,b)`, joined by commas.
pub fn parse_label_selector(s: &str) -> Result<Vec<LabelReq>, String> {
    let mut terms = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for ch in s.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            terms.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    terms.push(cur);
    let mut out = Vec::new();
    for t in terms.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let set = |rest: &str| -> Result<Vec<String>, String> {
            let inner = rest
                .trim()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| format!("{t:?}: expected (values)"))?;
            Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
        };
        let req = if let Some((k, v)) = t.split_once("!=") {
            LabelReq::NotIn(k.trim().into(), vec![v.trim().into()])
        } else if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
            LabelReq::In(k.trim().into(), vec![v.trim().into()])
        } else if let Some((k, rest)) = t.split_once(" notin ") {
            LabelReq::NotIn(k.trim().into(), set(rest)?)
        } else if let Some((k, rest)) = t.split_once(" in ") {
            LabelReq::In(k.trim().into(), set(rest)?)
        } else if let Some(k) = t.strip_prefix('!') {
            LabelReq::NotExists(k.trim().into())
        } else if t.contains(' ') || t.contains('(') {
            return Err(format!("{t:?}"));
        } else {
            LabelReq::Exists(t.into())
        };
        out.push(req);
    }
    Ok(out)
}

/// One field selector requirement: a dotted path equal (or not) to a value.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldReq {
    pub path: String,
    pub value: String,
    pub equal: bool,
}

impl FieldReq {
    fn matches(&self, obj: &Value) -> bool {
        let mut v = obj;
        for seg in self.path.split('.') {
            v = &v[seg];
        }
        let actual = match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        (actual == self.value) == self.equal
    }
}

/// Parses `path=v`, `path==v`, `path!=v` terms joined by commas (e.g.
/// `metadata.name=x`, `spec.nodeName=cp-1`).
pub fn parse_field_selector(s: &str) -> Result<Vec<FieldReq>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let (path, value, equal) = if let Some((k, v)) = t.split_once("!=") {
                (k, v, false)
            } else if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
                (k, v, true)
            } else {
                return Err(format!("{t:?}"));
            };
            Ok(FieldReq {
                path: path.trim().into(),
                value: value.trim().into(),
                equal,
            })
        })
        .collect()
}
