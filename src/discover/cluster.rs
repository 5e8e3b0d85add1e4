//! Cluster discovery: every TLS endpoint a Kubernetes cluster exposes, found
//! through its API with kube-rs.
//!
//! Owns: loading credentials as kubectl does (`--kubeconfig`, `KUBECONFIG`
//! with several files merged, `--context`, the in-cluster service account;
//! client certificates, bearer tokens and exec plugins through kube-rs),
//! reading the objects that name endpoints (the API server and its
//! `/version`, Nodes' kubelets, control-plane static pods and their TLS
//! flags, admission and CRD conversion webhooks, aggregated APIServices,
//! and, when asked, Ingresses, LoadBalancer Services, Gateways and every
//! Service port), and turning each into a [`Component`] with a [`Target`];
//! and the cluster's clients ([`ClusterClient`]: kubelets and kube-proxy
//! from Nodes, the scheduler and controller manager from their images,
//! workloads from theirs, the API server from `/version`) with who talks to
//! whom ([`edge_pairs`]).
//!
//! `--include ingress` also finds HTTP/3 (QUIC over UDP), from what
//! controllers actually publish, and adds a `quic` component next to the
//! TCP one (`<name> (quic)`, its source naming the signal):
//! - a LoadBalancer Service's UDP port whose name or `appProtocol` says
//!   `http3`/`h3`/`quic` (Traefik's chart: `websecure-http3`; Envoy
//!   Gateway: `<https port>-h3`), or that has the number of an HTTPS TCP
//!   port of the same Service (a mixed-protocol Service in front of Caddy or
//!   nginx `listen 443 quic`) ([`http3_udp_port`]); any other UDP port is
//!   not TLS and is not listed;
//! - a Gateway's HTTPS listener made HTTP/3 by an Envoy Gateway
//!   ClientTrafficPolicy (`gateway.envoyproxy.io/v1alpha1`, `spec.http3`,
//!   accepted for that Gateway) ([`http3_policy`]): the listener's address,
//!   port and SNI over QUIC.
//!
//! An Ingress gets its QUIC target through its controller's Service or
//! Gateway: no Ingress annotation is read, since in these controllers
//! HTTP/3 is switched on for an entry point or listener, not per Ingress.
//!
//! The kube-rs client is the one outbound connection outside `net`: it
//! speaks HTTPS to the API server for discovery only; every endpoint,
//! the API server included, is probed through `probe`/`net` afterwards.
//!
//! Must not: probe endpoints, judge them, or let a credential reach an
//! error, a log line or a report (errors are rebuilt from their kind, never
//! from the server's or the kubeconfig's text).

use super::listing::{self, client_reason};
use super::{Target, DEFAULT_PORT};
use crate::catalog::kubernetes;
pub use crate::vocab::ComponentCategory as Category;
use crate::vocab::{ClientBasis, ClientKind, HiddenCause};
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration, WebhookClientConfig,
};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Node, Pod, PodSpec, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::Client;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Where the credentials come from.
#[derive(Debug, Clone, Default)]
pub struct ClusterSource {
    /// `--kubeconfig FILE` (else `KUBECONFIG`, else `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// `--context NAME` (else the current context).
    pub context: Option<String>,
    /// `--in-cluster`: the pod's service account.
    pub in_cluster: bool,
}

/// Which opt-in endpoint kinds to include (`--include`), and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Includes {
    /// Ingress TLS hosts, LoadBalancer Services, Gateway TLS/HTTPS
    /// listeners, and their HTTP/3 (QUIC) where a Service or policy says so.
    pub ingress: bool,
    /// Every Service port.
    pub services: bool,
    /// A sample of pods in a service mesh (Istio sidecar or ambient, Linkerd).
    pub mesh: bool,
    /// Only this namespace (`-n`), for the opt-in kinds and the workloads
    /// listed as clients.
    pub namespace: Option<String>,
    /// The clients of the cluster's edges: kubelets, kube-proxy, the
    /// scheduler and controller manager, workloads (`--edges`, on by default).
    pub edges: bool,
    /// Each Node's SSH server, on this port (`--include nodes-ssh`, `--ssh-port`).
    pub nodes_ssh: Option<u16>,
    /// How long a list (or get) that fails for a reason that may pass (429,
    /// 5xx, a cut connection) is retried before its source is recorded as
    /// failed; `None`: [`listing::DEFAULT_RETRY_FOR`].
    pub retry_for: Option<Duration>,
}

/// One endpoint found in the cluster, before it is probed.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Component {
    /// What part of the cluster it is.
    pub category: Category,
    /// Its name (`kube-apiserver`, the node, the webhook, the APIService...).
    pub name: String,
    /// The namespace of the object it came from, if namespaced.
    pub namespace: Option<String>,
    /// The API object it came from, e.g. `ValidatingWebhookConfiguration/policy webhooks[0]`.
    pub source: String,
    /// `host:port` to probe; null when the object names no reachable address.
    pub address: Option<String>,
    /// TLS-related flags of its process, when its pod spec is visible
    /// (`--tls-min-version`, `--tls-cipher-suites`, `--tls-curve-preferences`...).
    pub flags: BTreeMap<String, String>,
    /// Why there is no address, or anything else worth knowing.
    pub note: Option<String>,
    /// The target to probe.
    #[serde(skip)]
    #[schemars(skip)]
    pub target: Option<Target>,
    /// Addresses to try when `target` cannot be reached (a Service's endpoints
    /// behind its ClusterIP).
    #[serde(skip)]
    #[schemars(skip)]
    pub fallbacks: Vec<Target>,
}

/// A component that opens TLS connections to another (a kubelet to the API
/// server, the API server to etcd...), with the version that decides what it
/// offers and where that version was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ClusterClient {
    /// What it is.
    pub kind: ClientKind,
    /// Its name: the node for a kubelet or kube-proxy, the pod or workload otherwise.
    pub name: String,
    /// Its Kubernetes version (`v1.32.4`), when known.
    pub version: Option<String>,
    /// Its Go version (`go1.24.2`), when known (the API server's `/version`, a local binary).
    pub go_version: Option<String>,
    /// The client profile its build offers (`pqready profiles`); null when
    /// its build is unknown: never guessed.
    pub profile: Option<String>,
    /// Where the version was read.
    pub basis: ClientBasis,
    /// The object or file it was read from, e.g. `Node/worker-1 status.nodeInfo.kubeletVersion`.
    pub source: String,
    /// The container image, for a client found by its image.
    pub image: Option<String>,
}

impl ClusterClient {
    /// A Kubernetes component of `version` (null when unknown): its profile
    /// is its release's Go build, from the catalog.
    pub fn component(
        kind: ClientKind,
        name: String,
        version: Option<String>,
        basis: ClientBasis,
        source: String,
        image: Option<String>,
    ) -> Self {
        let profile = version.as_deref().and_then(kubernetes::component_profile);
        let basis = if version.is_some() {
            basis
        } else {
            ClientBasis::Unknown
        };
        ClusterClient {
            kind,
            name,
            version,
            go_version: None,
            profile,
            basis,
            source,
            image,
        }
    }
}

/// The cluster as its API server describes itself.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ClusterInfo {
    /// The API server URL.
    pub server: String,
    /// `gitVersion` from `/version`, e.g. `v1.33.1`.
    pub git_version: Option<String>,
    /// `goVersion` from `/version`, e.g. `go1.24.2`.
    pub go_version: Option<String>,
    /// The kubeconfig context used; null in-cluster.
    pub context: Option<String>,
}

/// A kind of object pqready could not read.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Hidden {
    /// The resource, e.g. `nodes` or `validatingwebhookconfigurations.admissionregistration.k8s.io`.
    pub resource: String,
    /// Why: `not visible with these permissions`, or the API's words.
    pub reason: String,
    /// The kind of failure; null in documents saved before it was recorded.
    #[serde(default)]
    pub cause: Option<HiddenCause>,
}

/// What discovery found.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The cluster.
    pub cluster: ClusterInfo,
    /// Every endpoint, API server first.
    pub components: Vec<Component>,
    /// Object kinds that could not be read (RBAC denials, missing APIs).
    pub hidden: Vec<Hidden>,
    /// The components that are clients of others, the API server first
    /// (the local kubectl is not among them: it is not in the cluster).
    pub clients: Vec<ClusterClient>,
}

/// A discovery failure that stops the audit: no usable credentials, or an
/// API server that cannot be reached or is not Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ClusterError(pub String);

/// Builds a kube-rs client as kubectl would from `source`.
pub async fn connect(
    source: &ClusterSource,
    timeout: Duration,
) -> Result<(Client, ClusterInfo), ClusterError> {
    let (mut config, context) = if source.in_cluster {
        let config = kube::Config::incluster().map_err(|e| {
            ClusterError(format!(
                "--in-cluster: no service account here ({}); run inside a pod, or use a kubeconfig",
                in_cluster_reason(&e)
            ))
        })?;
        (config, None)
    } else {
        let kubeconfig = match &source.kubeconfig {
            Some(path) => Kubeconfig::read_from(path).map_err(|e| {
                ClusterError(format!(
                    "cannot read kubeconfig '{}': {}",
                    path.display(),
                    kubeconfig_reason(&e)
                ))
            })?,
            None => Kubeconfig::read().map_err(|e| {
                ClusterError(format!(
                    "cannot read a kubeconfig (KUBECONFIG or ~/.kube/config): {}",
                    kubeconfig_reason(&e)
                ))
            })?,
        };
        let context = source
            .context
            .clone()
            .or_else(|| kubeconfig.current_context.clone());
        if let Some(name) = &context {
            if !kubeconfig.contexts.iter().any(|c| &c.name == name) {
                return Err(ClusterError(format!(
                    "context '{name}' is not in the kubeconfig (contexts: {})",
                    kubeconfig
                        .contexts
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        } else {
            return Err(ClusterError(
                "the kubeconfig has no current context: pass --context NAME".into(),
            ));
        }
        let options = KubeConfigOptions {
            context: context.clone(),
            ..KubeConfigOptions::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| {
                ClusterError(format!(
                    "cannot use context '{}': {}",
                    context.as_deref().unwrap_or(""),
                    kubeconfig_reason(&e)
                ))
            })?;
        (config, context)
    };
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    // `listing` retries within a deadline; kube-rs's own layer counts
    // retries (15) and waits as long as `Retry-After` says.
    config.default_retry = false;
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|e| {
        ClusterError(format!(
            "cannot set up a client for {server}: {}",
            client_reason(&e)
        ))
    })?;
    Ok((
        client,
        ClusterInfo {
            server: server.trim_end_matches('/').to_string(),
            git_version: None,
            go_version: None,
            context,
        },
    ))
}

/// Kubeconfig errors name files and fields; exec plugin and auth errors can
/// quote command output, which may hold a token. Only the kind is kept.
fn kubeconfig_reason(e: &kube::config::KubeconfigError) -> String {
    use kube::config::KubeconfigError as K;
    match e {
        K::CurrentContextNotSet => "no current context".into(),
        K::KindMismatch | K::ApiVersionMismatch => {
            "the files in KUBECONFIG cannot be merged".into()
        }
        K::LoadContext(name) => format!("context '{name}' not found"),
        K::LoadClusterOfContext(name) => format!("cluster '{name}' not found"),
        K::FindPath => "no kubeconfig found (set KUBECONFIG or --kubeconfig)".into(),
        K::ReadConfig(err, path) => format!("{err} ({})", path.display()),
        K::Parse(_) => "not a valid kubeconfig (YAML)".into(),
        K::MissingClusterUrl => "the cluster has no server URL".into(),
        K::ParseClusterUrl(_) => "the cluster's server URL is invalid".into(),
        K::ParseProxyUrl(_) => "the cluster's proxy URL is invalid".into(),
        K::LoadCertificateAuthority(_) => "cannot load the certificate authority".into(),
        K::LoadClientCertificate(_) => "cannot load the client certificate".into(),
        K::LoadClientKey(_) => "cannot load the client key".into(),
        K::ParseCertificates(_) => "cannot parse the certificates".into(),
    }
}

fn in_cluster_reason(e: &kube::config::InClusterError) -> &'static str {
    use kube::config::InClusterError as E;
    match e {
        E::ReadEnvironmentVariable(_) => "KUBERNETES_SERVICE_HOST/PORT unset",
        E::ReadCertificateBundle(_) | E::ReadDefaultNamespace(_) => {
            "cannot read the service account files"
        }
        _ => "invalid in-cluster environment",
    }
}

/// Reads the cluster's endpoints. `/version` must answer (else the server
/// is not a usable Kubernetes API); every other list that is denied or
/// missing is recorded in [`Discovery::hidden`] and the rest goes on.
pub async fn discover(
    client: &Client,
    mut cluster: ClusterInfo,
    includes: Includes,
) -> Result<Discovery, ClusterError> {
    let retry_for = includes.retry_for.unwrap_or(listing::DEFAULT_RETRY_FOR);
    let version = listing::version(client, retry_for).await.map_err(|f| {
        let tries = match f.attempts {
            0 | 1 => String::new(),
            n => format!(" (after {n} tries)"),
        };
        ClusterError(format!(
            "the API server at {} did not answer /version: {}{tries}",
            cluster.server, f.reason
        ))
    })?;
    cluster.git_version = Some(version.git_version.clone());
    cluster.go_version = Some(version.go_version.clone());
    let mut found = Found {
        client: client.clone(),
        retry_for,
        components: Vec::new(),
        hidden: Vec::new(),
        services: BTreeMap::new(),
        slices: BTreeMap::new(),
        clients: vec![apiserver_client(&cluster)],
    };
    found.apiserver(&cluster);
    found.control_plane().await;
    found.kubelets().await;
    found.webhooks().await;
    found.conversion_webhooks().await;
    found.apiservices().await;
    if includes.ingress {
        found.ingresses(includes.namespace.as_deref()).await;
        found.load_balancers(includes.namespace.as_deref()).await;
        found.gateways(includes.namespace.as_deref()).await;
    }
    if includes.services {
        found.all_services(includes.namespace.as_deref()).await;
    }
    if includes.mesh {
        found.mesh(includes.namespace.as_deref()).await;
    }
    if let Some(port) = includes.nodes_ssh {
        found.nodes_ssh(port).await;
    }
    if includes.edges {
        found.workloads(includes.namespace.as_deref()).await;
    }
    Ok(Discovery {
        cluster,
        components: found.components,
        hidden: found.hidden,
        clients: found.clients,
    })
}

/// The API server as a client (of etcd, kubelets, webhooks, aggregated
/// APIs): its release's profile from `/version`, else its Go version's.
fn apiserver_client(cluster: &ClusterInfo) -> ClusterClient {
    let by_release = cluster
        .git_version
        .as_deref()
        .and_then(kubernetes::component_profile);
    let by_go = || {
        cluster
            .go_version
            .as_deref()
            .and_then(crate::gobin::go_minor)
            .filter(|m| crate::catalog::go::MINORS.contains(m))
            .map(|m| format!("go1.{m}"))
    };
    let profile = by_release.or_else(by_go);
    ClusterClient {
        kind: ClientKind::KubeApiserver,
        name: "kube-apiserver".into(),
        version: cluster.git_version.clone(),
        go_version: cluster.go_version.clone(),
        basis: if profile.is_some() {
            ClientBasis::VersionEndpoint
        } else {
            ClientBasis::Unknown
        },
        profile,
        source: "/version".into(),
        image: None,
    }
}

/// What a Service's `port` speaks: its `appProtocol`, else its name, else
/// its number (5432, 3306, 25...) when any of them names a STARTTLS protocol;
/// TLS otherwise.
fn service_port_protocol(
    spec: &k8s_openapi::api::core::v1::ServiceSpec,
    port: u16,
) -> crate::vocab::Protocol {
    let entry = spec
        .ports
        .iter()
        .flatten()
        .find(|p| u16::try_from(p.port).ok() == Some(port));
    entry
        .and_then(|p| p.app_protocol.as_deref())
        .and_then(crate::discover::named_protocol)
        .or_else(|| {
            entry
                .and_then(|p| p.name.as_deref())
                .and_then(crate::discover::named_protocol)
        })
        .or_else(|| crate::discover::well_known_starttls(port))
        .unwrap_or(crate::vocab::Protocol::Tls)
}

/// A `Target` for `host:port` (IPv6 in brackets in the label), with SNI for names.
pub fn target(host: &str, port: u16) -> Target {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    let label = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    Target {
        label,
        host: host.to_string(),
        port,
        sni: (!is_ip).then(|| host.to_string()),
        protocol: crate::vocab::Protocol::Tls,
    }
}

/// `https://host[:port][/path]` (or `host:port`) as a target; `None` for anything else.
pub fn url_target(url: &str) -> Option<Target> {
    let rest = url.strip_prefix("https://").unwrap_or(url);
    if rest.contains("://") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (host, after) = inner.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => DEFAULT_PORT,
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (authority, DEFAULT_PORT),
        }
    };
    (!host.is_empty() && port != 0).then(|| target(host, port))
}

/// What the audit keeps of a Node: a real Node's status also lists every
/// image it holds, its conditions and volumes, kilobytes each, which at
/// thousands of Nodes would outweigh everything else discovery keeps.
struct NodeFacts {
    name: String,
    /// Its InternalIP, else its ExternalIP.
    address: Option<String>,
    kubelet_port: u16,
    kubelet_version: Option<String>,
    kube_proxy_version: Option<String>,
}

impl NodeFacts {
    fn of(node: Node) -> Self {
        let name = node.metadata.name.unwrap_or_default();
        let status = node.status.unwrap_or_default();
        let addresses = status.addresses.unwrap_or_default();
        let address = ["InternalIP", "ExternalIP"]
            .iter()
            .find_map(|kind| addresses.iter().find(|a| a.type_ == *kind))
            .map(|a| a.address.clone());
        let kubelet_port = status
            .daemon_endpoints
            .as_ref()
            .and_then(|d| d.kubelet_endpoint.as_ref())
            .map(|e| e.port)
            .filter(|p| (1..=65535).contains(p))
            .map_or(kubernetes::KUBELET_PORT, |p| p as u16);
        let info = status.node_info;
        let set = |v: Option<String>| v.filter(|v| !v.is_empty());
        NodeFacts {
            name,
            address,
            kubelet_port,
            kubelet_version: set(info.as_ref().map(|i| i.kubelet_version.clone())),
            kube_proxy_version: set(info.map(|i| i.kube_proxy_version)),
        }
    }
}

struct Found {
    client: Client,
    retry_for: Duration,
    components: Vec<Component>,
    hidden: Vec<Hidden>,
    services: BTreeMap<(String, String), Option<Service>>,
    /// The EndpointSlices of the Services in `services` that were read in
    /// one list of every Service ([`Found::prefetch_services`]).
    slices: BTreeMap<(String, String), Vec<EndpointSlice>>,
    clients: Vec<ClusterClient>,
}

/// Services one step of discovery reaches (webhooks, conversion webhooks,
/// aggregated APIs), from which on every Service and EndpointSlice is
/// listed once, in pages, rather than one get and one list per Service:
/// 2,000 webhooks cost two paged lists, not 4,000 requests one after the
/// other.
const PREFETCH_SERVICES_AT: usize = 16;

/// The label that ties an EndpointSlice to its Service.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// A `clientConfig.service` (or an APIService's `service`): namespace,
/// name, port.
type ServiceRef = (String, String, Option<i32>);

/// The first container image of a pod spec, and the spec's say on whether
/// a service-account token is mounted (the default is yes).
fn spec_images(spec: Option<&PodSpec>) -> (Vec<(String, String)>, bool) {
    let Some(spec) = spec else {
        return (Vec::new(), false);
    };
    let images = spec
        .containers
        .iter()
        .filter_map(|c| Some((c.name.clone(), c.image.clone()?)))
        .collect();
    (images, spec.automount_service_account_token != Some(false))
}

impl Found {
    fn push(
        &mut self,
        category: Category,
        name: String,
        namespace: Option<String>,
        source: String,
        target: Option<Target>,
        note: Option<String>,
    ) -> &mut Component {
        self.components.push(Component {
            category,
            name,
            namespace,
            source,
            address: target.as_ref().map(|t| t.label.clone()),
            flags: BTreeMap::new(),
            note,
            target,
            fallbacks: Vec::new(),
        });
        self.components.last_mut().expect("just pushed")
    }

    /// Lists `api`, recording a denial or a missing API instead of failing.
    async fn list<K>(&mut self, api: Api<K>, resource: &str, params: &ListParams) -> Vec<K>
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned,
    {
        self.list_kept(api, resource, params, Some).await
    }

    /// Lists `api` page by page, keeping of each object what `keep` makes
    /// of it; a denial, a missing API or a failure that outlasted the
    /// retries is recorded in `hidden` and the audit goes on.
    async fn list_kept<K, T>(
        &mut self,
        api: Api<K>,
        resource: &str,
        params: &ListParams,
        keep: impl FnMut(K) -> Option<T>,
    ) -> Vec<T>
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned,
    {
        let listed = listing::list(
            &self.client,
            api.resource_url(),
            params,
            self.retry_for,
            keep,
        )
        .await;
        match listed {
            Ok(items) => items,
            Err(failure) => {
                self.unread(resource, &failure);
                Vec::new()
            }
        }
    }

    /// Records `resource` as unread, once.
    fn unread(&mut self, resource: &str, failure: &listing::Failure) {
        let (reason, cause) = hidden_cause(failure);
        tracing::debug!(resource, %reason, "cannot list");
        if !self.hidden.iter().any(|h| h.resource == resource) {
            self.hidden.push(Hidden {
                resource: resource.to_string(),
                reason,
                cause: Some(cause),
            });
        }
    }

    fn apiserver(&mut self, cluster: &ClusterInfo) {
        let target = url_target(&cluster.server);
        let note = target
            .is_none()
            .then(|| format!("the server URL {} names no host", cluster.server));
        self.push(
            Category::Apiserver,
            "kube-apiserver".into(),
            None,
            "kubeconfig server URL".into(),
            target,
            note,
        );
    }

    /// Static control-plane pods (kubeadm labels them `component=...`): their
    /// TLS flags, and the etcd and controller endpoints they name.
    async fn control_plane(&mut self) {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), "kube-system");
        let params = ListParams::default()
            .labels("component in (kube-apiserver,etcd,kube-controller-manager,kube-scheduler)");
        let pods = self.list(api, "pods (kube-system)", &params).await;
        for pod in pods {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            let component = labels.get("component").cloned().unwrap_or_default();
            let flags = pod_flags(&pod);
            let host_ip = pod
                .status
                .as_ref()
                .and_then(|s| s.host_ip.clone().or_else(|| s.pod_ip.clone()));
            let source = format!("Pod kube-system/{name}");
            let tls_flags: BTreeMap<String, String> = flags
                .iter()
                .filter(|(k, _)| TLS_FLAGS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            match component.as_str() {
                "kube-apiserver" => {
                    if let Some(api) = self
                        .components
                        .iter_mut()
                        .find(|c| c.category == Category::Apiserver)
                    {
                        api.flags.extend(tls_flags);
                        api.source = format!("{}; flags from {source}", api.source);
                    }
                }
                "etcd" => {
                    let url = flags
                        .get("advertise-client-urls")
                        .or_else(|| flags.get("listen-client-urls"))
                        .and_then(|urls| urls.split(',').find(|u| u.starts_with("https://")));
                    let target = url.and_then(url_target);
                    let note = target.is_none().then(|| {
                        "no https client URL in --advertise-client-urls/--listen-client-urls"
                            .to_string()
                    });
                    let c = self.push(
                        Category::Etcd,
                        name.clone(),
                        Some("kube-system".into()),
                        source,
                        target,
                        note,
                    );
                    c.flags = tls_flags;
                }
                "kube-controller-manager" | "kube-scheduler" => {
                    let kind = if component == "kube-scheduler" {
                        ClientKind::KubeScheduler
                    } else {
                        ClientKind::KubeControllerManager
                    };
                    let image = pod
                        .spec
                        .as_ref()
                        .and_then(|s| s.containers.first())
                        .and_then(|c| c.image.clone());
                    let version = image
                        .as_deref()
                        .and_then(kubernetes::component_image)
                        .and_then(|(_, v)| v);
                    self.clients.push(ClusterClient::component(
                        kind,
                        name.clone(),
                        version,
                        ClientBasis::ImageTag,
                        format!("{source} image"),
                        image,
                    ));
                    let default = if component == "kube-scheduler" {
                        kubernetes::SCHEDULER_PORT
                    } else {
                        kubernetes::CONTROLLER_MANAGER_PORT
                    };
                    let port = flags
                        .get("secure-port")
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(default);
                    let host = flags
                        .get("bind-address")
                        .filter(|a| !matches!(a.as_str(), "0.0.0.0" | "::"))
                        .cloned()
                        .or(host_ip);
                    let target = host.map(|h| target(&h, port));
                    let note = target
                        .is_none()
                        .then(|| "the pod has no address".to_string());
                    let c = self.push(
                        Category::Controller,
                        name.clone(),
                        Some("kube-system".into()),
                        source,
                        target,
                        note,
                    );
                    c.flags = tls_flags;
                }
                _ => {}
            }
        }
        // The API server's --etcd-servers name etcd even when its pod is not visible.
        let etcd_servers = self
            .components
            .iter()
            .find(|c| c.category == Category::Apiserver)
            .and_then(|c| c.flags.get("etcd-servers").cloned());
        if let Some(servers) = etcd_servers {
            for url in servers.split(',').filter(|u| u.starts_with("https://")) {
                let Some(t) = url_target(url) else { continue };
                if self
                    .components
                    .iter()
                    .any(|c| c.address.as_deref() == Some(t.label.as_str()))
                {
                    continue;
                }
                self.push(
                    Category::Etcd,
                    format!("etcd ({})", t.label),
                    None,
                    "kube-apiserver --etcd-servers".into(),
                    Some(t),
                    None,
                );
            }
        }
    }

    async fn kubelets(&mut self) {
        let api: Api<Node> = Api::all(self.client.clone());
        let nodes = self
            .list_kept(api, "nodes", &ListParams::default(), |n| {
                Some(NodeFacts::of(n))
            })
            .await;
        for node in nodes {
            let NodeFacts {
                name,
                address,
                kubelet_port,
                kubelet_version,
                kube_proxy_version,
            } = node;
            self.clients.push(ClusterClient::component(
                ClientKind::Kubelet,
                name.clone(),
                kubelet_version,
                ClientBasis::NodeInfo,
                format!("Node/{name} status.nodeInfo.kubeletVersion"),
                None,
            ));
            if let Some(proxy) = kube_proxy_version {
                self.clients.push(ClusterClient::component(
                    ClientKind::KubeProxy,
                    name.clone(),
                    Some(proxy),
                    ClientBasis::NodeInfo,
                    format!("Node/{name} status.nodeInfo.kubeProxyVersion"),
                    None,
                ));
            }
            let target = address.map(|a| target(&a, kubelet_port));
            let note = target
                .is_none()
                .then(|| "the Node has no InternalIP or ExternalIP".to_string());
            self.push(
                Category::Kubelet,
                name.clone(),
                None,
                format!("Node/{name}"),
                target,
                note,
            );
        }
    }

    /// Each Node's SSH server: its InternalIP (else ExternalIP) on `port`,
    /// probed for its key exchange, not TLS.
    async fn nodes_ssh(&mut self, port: u16) {
        let api: Api<Node> = Api::all(self.client.clone());
        let nodes = self
            .list_kept(api, "nodes", &ListParams::default(), |n| {
                Some(NodeFacts::of(n))
            })
            .await;
        for node in nodes {
            let name = node.name;
            let target = node.address.map(|a| Target {
                protocol: crate::vocab::Protocol::Ssh,
                sni: None,
                ..target(&a, port)
            });
            let note = target
                .is_none()
                .then(|| "the Node has no InternalIP or ExternalIP".to_string());
            self.push(
                Category::NodeSsh,
                name.clone(),
                None,
                format!("Node/{name}"),
                target,
                note,
            );
        }
    }

    async fn webhooks(&mut self) {
        // (name, source, url, service) of every webhook, read before any is
        // resolved, so that the Services they name can be read at once.
        let mut hooks: Vec<(String, String, Option<String>, Option<ServiceRef>)> = Vec::new();
        let service_of = |c: &WebhookClientConfig| {
            c.service
                .as_ref()
                .map(|s| (s.namespace.clone(), s.name.clone(), s.port))
        };
        let api: Api<ValidatingWebhookConfiguration> = Api::all(self.client.clone());
        let resource = "validatingwebhookconfigurations.admissionregistration.k8s.io";
        for config in self.list(api, resource, &ListParams::default()).await {
            let name = config.metadata.name.clone().unwrap_or_default();
            for (i, hook) in config.webhooks.unwrap_or_default().into_iter().enumerate() {
                let source = format!("ValidatingWebhookConfiguration/{name} webhooks[{i}]");
                let service = service_of(&hook.client_config);
                hooks.push((hook.name, source, hook.client_config.url, service));
            }
        }
        let api: Api<MutatingWebhookConfiguration> = Api::all(self.client.clone());
        let resource = "mutatingwebhookconfigurations.admissionregistration.k8s.io";
        for config in self.list(api, resource, &ListParams::default()).await {
            let name = config.metadata.name.clone().unwrap_or_default();
            for (i, hook) in config.webhooks.unwrap_or_default().into_iter().enumerate() {
                let source = format!("MutatingWebhookConfiguration/{name} webhooks[{i}]");
                let service = service_of(&hook.client_config);
                hooks.push((hook.name, source, hook.client_config.url, service));
            }
        }
        self.webhook_backends(hooks).await;
    }

    /// Resolves webhooks (name, source, url, service), reading the
    /// Services they name first when there are many.
    async fn webhook_backends(
        &mut self,
        hooks: Vec<(String, String, Option<String>, Option<ServiceRef>)>,
    ) {
        let wanted = hooks
            .iter()
            .filter(|(_, _, url, _)| url.is_none())
            .filter_map(|(_, _, _, service)| service.as_ref())
            .map(|(ns, name, _)| (ns.clone(), name.clone()))
            .collect();
        self.prefetch_services(wanted).await;
        for (name, source, url, service) in hooks {
            let service = service
                .as_ref()
                .map(|(ns, name, port)| (ns.as_str(), name.as_str(), *port));
            self.webhook_backend(name, source, url.as_deref(), service)
                .await;
        }
    }

    /// A webhook (admission or conversion: two API types with the same
    /// shape) reached by `url`, else through a Service.
    async fn webhook_backend(
        &mut self,
        name: String,
        source: String,
        url: Option<&str>,
        service: Option<(&str, &str, Option<i32>)>,
    ) {
        match (url, service) {
            (Some(url), _) => {
                let target = url_target(url);
                let note = target
                    .is_none()
                    .then(|| format!("unusable webhook URL {url}"));
                self.push(Category::Webhook, name, None, source, target, note);
            }
            (None, Some((namespace, service, port))) => {
                let port = port.and_then(|p| u16::try_from(p).ok()).unwrap_or(443);
                self.service_component(Category::Webhook, name, namespace, service, port, source)
                    .await;
            }
            (None, None) => {
                let note = Some("no url and no service".into());
                self.push(Category::Webhook, name, None, source, None, note);
            }
        }
    }

    async fn conversion_webhooks(&mut self) {
        let api: Api<CustomResourceDefinition> = Api::all(self.client.clone());
        let resource = "customresourcedefinitions.apiextensions.k8s.io";
        let mut hooks = Vec::new();
        for crd in self.list(api, resource, &ListParams::default()).await {
            let name = crd.metadata.name.clone().unwrap_or_default();
            let Some(conversion) = crd.spec.conversion else {
                continue;
            };
            if conversion.strategy != "Webhook" {
                continue;
            }
            let Some(config) = conversion.webhook.and_then(|w| w.client_config) else {
                continue;
            };
            let service = config.service.map(|s| (s.namespace, s.name, s.port));
            hooks.push((
                format!("{name} conversion"),
                format!("CustomResourceDefinition/{name} conversion"),
                config.url,
                service,
            ));
        }
        self.webhook_backends(hooks).await;
    }

    async fn apiservices(&mut self) {
        let api: Api<APIService> = Api::all(self.client.clone());
        let resource = "apiservices.apiregistration.k8s.io";
        let mut backed = Vec::new();
        for svc in self.list(api, resource, &ListParams::default()).await {
            let name = svc.metadata.name.clone().unwrap_or_default();
            let Some(reference) = svc.spec.and_then(|s| s.service) else {
                continue;
            };
            let (Some(ns), Some(svc_name)) = (reference.namespace, reference.name) else {
                continue;
            };
            let port = reference
                .port
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(443);
            backed.push((name, ns, svc_name, port));
        }
        let wanted = backed
            .iter()
            .map(|(_, ns, svc_name, _)| (ns.clone(), svc_name.clone()))
            .collect();
        self.prefetch_services(wanted).await;
        for (name, ns, svc_name, port) in backed {
            self.service_component(
                Category::Apiservice,
                name.clone(),
                &ns,
                &svc_name,
                port,
                format!("APIService/{name}"),
            )
            .await;
        }
    }

    /// Reads the Services in `wanted` not read yet, and their
    /// EndpointSlices, in one paged list of each over every namespace, when
    /// there are at least [`PREFETCH_SERVICES_AT`] of them. When a list
    /// fails (not allowed cluster-wide, say), nothing is kept from it and
    /// each Service is asked for alone, as with a few, which records what
    /// cannot be read.
    async fn prefetch_services(&mut self, wanted: std::collections::BTreeSet<(String, String)>) {
        let wanted: std::collections::BTreeSet<(String, String)> = wanted
            .into_iter()
            .filter(|key| !self.services.contains_key(key))
            .collect();
        if wanted.len() < PREFETCH_SERVICES_AT {
            return;
        }
        let key_of =
            |meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
             name: Option<&String>| { Some((meta.namespace.clone()?, name?.clone())) };
        let api: Api<Service> = Api::all(self.client.clone());
        let services = listing::list(
            &self.client,
            api.resource_url(),
            &ListParams::default(),
            self.retry_for,
            |svc: Service| {
                let key = key_of(&svc.metadata, svc.metadata.name.as_ref())?;
                wanted.contains(&key).then_some((key, svc))
            },
        )
        .await;
        let Ok(services) = services else {
            tracing::debug!("listing every Service failed: asking for each alone");
            return;
        };
        let api: Api<EndpointSlice> = Api::all(self.client.clone());
        let slices = listing::list(
            &self.client,
            api.resource_url(),
            &ListParams::default(),
            self.retry_for,
            |slice: EndpointSlice| {
                let service = slice.metadata.labels.as_ref()?.get(SERVICE_NAME_LABEL);
                let key = key_of(&slice.metadata, service)?;
                wanted.contains(&key).then_some((key, slice))
            },
        )
        .await;
        let Ok(slices) = slices else {
            tracing::debug!("listing every EndpointSlice failed: asking for each alone");
            return;
        };
        for key in &wanted {
            self.services.insert(key.clone(), None);
            self.slices.insert(key.clone(), Vec::new());
        }
        for (key, svc) in services {
            self.services.insert(key, Some(svc));
        }
        for (key, slice) in slices {
            self.slices.entry(key).or_default().push(slice);
        }
    }

    /// `Api` over every namespace, or only `namespace`.
    fn scoped<K>(&self, namespace: Option<&str>) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        match namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        }
    }

    async fn ingresses(&mut self, namespace: Option<&str>) {
        let api: Api<Ingress> = self.scoped(namespace);
        for ing in self
            .list(api, "ingresses.networking.k8s.io", &ListParams::default())
            .await
        {
            let name = ing.metadata.name.clone().unwrap_or_default();
            let ns = ing.metadata.namespace.clone();
            let hosts: Vec<String> = ing
                .spec
                .and_then(|s| s.tls)
                .unwrap_or_default()
                .into_iter()
                .flat_map(|t| t.hosts.unwrap_or_default())
                .collect();
            for host in hosts {
                self.push(
                    Category::Ingress,
                    format!("{name} {host}"),
                    ns.clone(),
                    format!("Ingress/{}/{name} tls", ns.as_deref().unwrap_or("")),
                    Some(target(&host, 443)),
                    None,
                );
            }
        }
    }

    /// Gateway API Gateways' TLS and HTTPS listeners, at the Gateway's
    /// addresses (else the listener's hostname); and, for an HTTPS listener
    /// an Envoy Gateway ClientTrafficPolicy makes HTTP/3 ([`http3_policy`]),
    /// the same address and port over QUIC. Gateway and ClientTrafficPolicy
    /// are not in k8s-openapi, so they are read as dynamic objects.
    async fn gateways(&mut self, namespace: Option<&str>) {
        use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
        let dynamic = |client: &Client, resource: &ApiResource| -> Api<DynamicObject> {
            match namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, resource),
                None => Api::all_with(client.clone(), resource),
            }
        };
        let gvk = GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "Gateway");
        let api = dynamic(&self.client, &ApiResource::from_gvk(&gvk));
        let gateways = self
            .list(
                api,
                "gateways.gateway.networking.k8s.io",
                &ListParams::default(),
            )
            .await;
        // Only a cluster with an HTTPS listener is asked for policies: most
        // run no Envoy Gateway, and its missing kind is then not worth a line.
        let has_https = gateways.iter().any(|gw| {
            gw.data["spec"]["listeners"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|l| l["protocol"] == "HTTPS")
        });
        let policies: Vec<serde_json::Value> = if has_https {
            let (group, version, kind) = CLIENT_TRAFFIC_POLICY;
            let gvk = GroupVersionKind::gvk(group, version, kind);
            let api = dynamic(&self.client, &ApiResource::from_gvk(&gvk));
            self.list(
                api,
                "clienttrafficpolicies.gateway.envoyproxy.io",
                &ListParams::default(),
            )
            .await
            .into_iter()
            .filter_map(|p| serde_json::to_value(p).ok())
            .collect()
        } else {
            Vec::new()
        };
        for gw in gateways {
            let name = gw.metadata.name.clone().unwrap_or_default();
            let ns = gw.metadata.namespace.clone();
            let labels = gw.metadata.labels.clone().unwrap_or_default();
            let addresses: Vec<String> = gw.data["status"]["addresses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["value"].as_str().map(str::to_string))
                .collect();
            let listeners = gw.data["spec"]["listeners"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for listener in listeners {
                let protocol = listener["protocol"].as_str().unwrap_or("");
                if !matches!(protocol, "HTTPS" | "TLS") {
                    continue;
                }
                let Some(port) = listener["port"]
                    .as_u64()
                    .and_then(|p| u16::try_from(p).ok())
                else {
                    continue;
                };
                let listener_name = listener["name"].as_str().unwrap_or("").to_string();
                let hostname = listener["hostname"].as_str().map(str::to_string);
                let host = addresses.first().cloned().or(hostname.clone());
                let mut t = host.map(|h| target(&h, port));
                // The listener's hostname is what clients send as SNI.
                if let (Some(t), Some(h)) = (t.as_mut(), hostname.filter(|h| !h.starts_with('*'))) {
                    t.sni = Some(h);
                }
                let note = t
                    .is_none()
                    .then(|| "the Gateway has no address yet".to_string());
                let source = format!(
                    "Gateway/{}/{name} listener {listener_name} ({protocol})",
                    ns.as_deref().unwrap_or("")
                );
                self.push(
                    Category::Gateway,
                    format!("{name} {listener_name}"),
                    ns.clone(),
                    source.clone(),
                    t.clone(),
                    note.clone(),
                );
                // HTTP/3 terminates TLS itself: a TLS (passthrough) listener has none.
                if protocol != "HTTPS" {
                    continue;
                }
                let Some(policy) = http3_policy(
                    &policies,
                    ns.as_deref().unwrap_or(""),
                    &name,
                    &labels,
                    &listener_name,
                ) else {
                    continue;
                };
                self.push(
                    Category::Gateway,
                    format!("{name} {listener_name} (quic)"),
                    ns.clone(),
                    format!(
                        "{source}: HTTP/3 by ClientTrafficPolicy/{}/{policy} spec.http3",
                        ns.as_deref().unwrap_or("")
                    ),
                    t.map(|t| t.speaking(crate::vocab::Protocol::Quic)),
                    note,
                );
            }
        }
    }

    /// One pod per meshed workload (at most [`MESH_SAMPLE`]): an Istio or
    /// Linkerd sidecar's inbound mTLS on the app's first container port, or
    /// an Istio ambient pod's HBONE port. The key exchange happens before any
    /// client certificate is asked for, so no mesh credentials are needed.
    async fn mesh(&mut self, namespace: Option<&str>) {
        let api: Api<Pod> = self.scoped(namespace);
        // Of every pod in the cluster, only the meshed ones' few facts are
        // kept past their page.
        let pods = self
            .list_kept(api, "pods", &ListParams::default(), |pod: Pod| {
                let (mesh, port) = mesh_port(&pod)?;
                let ns = pod.metadata.namespace.unwrap_or_default();
                let name = pod.metadata.name.unwrap_or_default();
                let workload = pod
                    .metadata
                    .owner_references
                    .and_then(|o| o.into_iter().next())
                    .map(|o| o.name)
                    .unwrap_or_else(|| name.clone());
                let ip = pod.status.and_then(|s| s.pod_ip);
                Some((mesh, port, ns, name, workload, ip))
            })
            .await;
        let mut seen = std::collections::BTreeSet::new();
        for (mesh, port, ns, name, workload, ip) in pods {
            if seen.len() >= MESH_SAMPLE {
                break;
            }
            if !seen.insert((ns.clone(), workload.clone())) {
                continue;
            }
            let target = match (ip, port) {
                (Some(ip), Some(port)) => Some(target(&ip, port)),
                _ => None,
            };
            let note = target
                .is_none()
                .then(|| "no pod IP or no declared container port".to_string());
            self.push(
                Category::Mesh,
                format!("{workload} ({mesh})"),
                Some(ns.clone()),
                format!("Pod/{ns}/{name}"),
                target,
                note,
            );
        }
    }

    /// LoadBalancer Services at each `status.loadBalancer.ingress` address:
    /// every TCP port as TLS, and a UDP port that serves HTTP/3
    /// ([`http3_udp_port`]) over QUIC as well. Any other UDP (or SCTP)
    /// port is not TLS and is left out, as `--include services` leaves
    /// out non-TCP ports.
    async fn load_balancers(&mut self, namespace: Option<&str>) {
        let api: Api<Service> = self.scoped(namespace);
        for svc in self.list(api, "services", &ListParams::default()).await {
            let spec = svc.spec.clone().unwrap_or_default();
            if spec.type_.as_deref() != Some("LoadBalancer") {
                continue;
            }
            let name = svc.metadata.name.clone().unwrap_or_default();
            let ns = svc.metadata.namespace.clone();
            let source = format!(
                "Service/{}/{name} LoadBalancer",
                ns.as_deref().unwrap_or("")
            );
            let ports = spec.ports.clone().unwrap_or_default();
            let ingress = svc
                .status
                .and_then(|s| s.load_balancer)
                .and_then(|l| l.ingress)
                .unwrap_or_default();
            for lb in ingress {
                let Some(host) = lb.ip.or(lb.hostname) else {
                    continue;
                };
                for port in &ports {
                    let Ok(p) = u16::try_from(port.port) else {
                        continue;
                    };
                    match port.protocol.as_deref().unwrap_or("TCP") {
                        "TCP" => {
                            self.push(
                                Category::Ingress,
                                format!("{name}:{p}"),
                                ns.clone(),
                                source.clone(),
                                Some(target(&host, p)),
                                None,
                            );
                        }
                        "UDP" => {
                            let Some(why) = http3_udp_port(&ports, port) else {
                                tracing::debug!(service = %name, port = p, "UDP port not HTTP/3: not probed");
                                continue;
                            };
                            self.push(
                                Category::Ingress,
                                format!("{name}:{p} (quic)"),
                                ns.clone(),
                                format!("{source} UDP port {p}: HTTP/3 ({why})"),
                                Some(target(&host, p).speaking(crate::vocab::Protocol::Quic)),
                                None,
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    async fn all_services(&mut self, namespace: Option<&str>) {
        let api: Api<Service> = self.scoped(namespace);
        for svc in self.list(api, "services", &ListParams::default()).await {
            let name = svc.metadata.name.clone().unwrap_or_default();
            let ns = svc.metadata.namespace.clone().unwrap_or_default();
            let spec = svc.spec.clone().unwrap_or_default();
            for port in spec.ports.clone().unwrap_or_default() {
                if port.protocol.as_deref().is_some_and(|p| p != "TCP") {
                    continue;
                }
                let Ok(p) = u16::try_from(port.port) else {
                    continue;
                };
                let source = format!("Service/{ns}/{name} port {p}");
                self.services
                    .insert((ns.clone(), name.clone()), Some(svc.clone()));
                self.service_component(
                    Category::Service,
                    format!("{name}:{p}"),
                    &ns,
                    &name,
                    p,
                    source,
                )
                .await;
            }
        }
    }

    /// A component reached through a Service: its ClusterIP (or an
    /// ExternalName's host), with its EndpointSlice addresses as fallbacks.
    async fn service_component(
        &mut self,
        category: Category,
        name: String,
        namespace: &str,
        service: &str,
        port: u16,
        source: String,
    ) {
        let svc = self.service(namespace, service).await;
        let Some(svc) = svc else {
            self.push(
                category,
                name,
                Some(namespace.into()),
                source,
                None,
                Some(format!(
                    "Service {namespace}/{service} not found or not visible"
                )),
            );
            return;
        };
        let spec = svc.spec.clone().unwrap_or_default();
        let protocol = match category {
            Category::Service => service_port_protocol(&spec, port),
            // Webhooks, aggregated APIs and the like speak TLS by contract.
            _ => crate::vocab::Protocol::Tls,
        };
        let (primary, target_port) = match spec.type_.as_deref() {
            Some("ExternalName") => (spec.external_name.as_deref().map(|h| target(h, port)), None),
            _ => {
                let ip = spec
                    .cluster_ip
                    .clone()
                    .filter(|ip| ip != "None" && !ip.is_empty());
                let target_port = spec
                    .ports
                    .unwrap_or_default()
                    .into_iter()
                    .find(|p| u16::try_from(p.port).ok() == Some(port))
                    .and_then(|p| p.target_port)
                    .and_then(|tp| match tp {
                        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => {
                            u16::try_from(n).ok()
                        }
                        _ => None,
                    });
                (ip.map(|ip| target(&ip, port)), target_port)
            }
        };
        let fallbacks = self
            .endpoints(namespace, service, target_port.unwrap_or(port))
            .await;
        let (primary, fallbacks) = match primary {
            Some(p) => (Some(p), fallbacks),
            None => {
                let mut rest = fallbacks.into_iter();
                (rest.next(), rest.collect())
            }
        };
        let primary = primary.map(|t| t.speaking(protocol));
        let fallbacks: Vec<Target> = fallbacks
            .into_iter()
            .map(|t| t.speaking(protocol))
            .collect();
        let note = primary.is_none().then(|| {
            format!("Service {namespace}/{service} has no ClusterIP and no ready endpoints")
        });
        let c = self.push(
            category,
            name,
            Some(namespace.into()),
            format!("{source} → Service/{namespace}/{service}"),
            primary,
            note,
        );
        c.fallbacks = fallbacks;
    }

    async fn service(&mut self, namespace: &str, name: &str) -> Option<Service> {
        let key = (namespace.to_string(), name.to_string());
        if let Some(cached) = self.services.get(&key) {
            return cached.clone();
        }
        let api: Api<Service> = Api::namespaced(self.client.clone(), namespace);
        let got = listing::get(&self.client, api.resource_url(), name, self.retry_for).await;
        let found = match got {
            Ok(svc) => svc,
            Err(failure) => {
                self.unread("services", &failure);
                None
            }
        };
        self.services.insert(key, found.clone());
        found
    }

    /// Ready endpoint addresses of a Service, at `port`.
    async fn endpoints(&mut self, namespace: &str, service: &str, port: u16) -> Vec<Target> {
        let key = (namespace.to_string(), service.to_string());
        let slices = match self.slices.get(&key) {
            Some(read) => read.clone(),
            None => {
                let api: Api<EndpointSlice> = Api::namespaced(self.client.clone(), namespace);
                let params =
                    ListParams::default().labels(&format!("{SERVICE_NAME_LABEL}={service}"));
                self.list(api, "endpointslices.discovery.k8s.io", &params)
                    .await
            }
        };
        let mut out = Vec::new();
        for slice in slices {
            for ep in slice.endpoints {
                if ep.conditions.as_ref().and_then(|c| c.ready) == Some(false) {
                    continue;
                }
                for addr in ep.addresses {
                    let t = target(&addr, port);
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
        out
    }
}

/// How an unread source is recorded: a 403 is a denial, a 404 an API the
/// cluster does not serve, anything else (after the retries) a failure,
/// whose reason says how often it was tried.
fn hidden_cause(failure: &listing::Failure) -> (String, HiddenCause) {
    match failure.code {
        Some(403) => (
            "not visible with these permissions".to_string(),
            HiddenCause::Denied,
        ),
        Some(404) => (
            "not served by this cluster".to_string(),
            HiddenCause::NotServed,
        ),
        _ if failure.attempts > 1 => (
            format!(
                "{} (gave up after {} tries)",
                failure.reason, failure.attempts
            ),
            HiddenCause::Failed,
        ),
        _ => (failure.reason.clone(), HiddenCause::Failed),
    }
}

/// Words that name HTTP/3 in a Service port's name or `appProtocol`:
/// Traefik's chart names its UDP port `<entrypoint>-http3`
/// (`websecure-http3`), Envoy Gateway names it `<https port name>-h3`.
const HTTP3_WORDS: &[&str] = &["http3", "h3", "quic"];

/// Whether `name` (a port name or `appProtocol`, e.g. `websecure-http3`,
/// `https-443-h3`, `kubernetes.io/h3`) names HTTP/3, as a whole or as one
/// of its `-`/`_`/`.`-separated words.
fn names_http3(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let name = name.rsplit('/').next().unwrap_or("");
    name.split(['-', '_', '.'])
        .chain(std::iter::once(name))
        .any(|w| HTTP3_WORDS.contains(&w))
}

/// Why the UDP port `udp` of a LoadBalancer Service serves HTTP/3, or
/// `None` when nothing says it does (DNS, syslog, a game server...: not
/// TLS, not probed).
///
/// Two signals, both what controllers publish:
/// - its name or `appProtocol` says `http3`, `h3` or `quic` (Traefik's
///   `websecure-http3`, Envoy Gateway's `https-443-h3`);
/// - it has the number of an HTTPS TCP port of the same Service (one named
///   or `appProtocol`'d `https`/`tls`/`h2`, or port 443 unless named for a
///   STARTTLS protocol), as a mixed-protocol Service in front of Caddy, nginx's
///   `listen 443 quic` or any HTTP/3 server publishes it. A TCP twin that is
///   not HTTPS (DNS's `dns-tcp` 53 next to `dns` 53/UDP) says nothing.
pub fn http3_udp_port(
    ports: &[k8s_openapi::api::core::v1::ServicePort],
    udp: &k8s_openapi::api::core::v1::ServicePort,
) -> Option<String> {
    if let Some(app) = udp.app_protocol.as_deref().filter(|a| names_http3(a)) {
        return Some(format!("appProtocol {app}"));
    }
    if let Some(name) = udp.name.as_deref().filter(|n| names_http3(n)) {
        return Some(format!("port name {name}"));
    }
    let https = ports.iter().find(|p| {
        p.port == udp.port && p.protocol.as_deref().unwrap_or("TCP") == "TCP" && {
            let named = p
                .app_protocol
                .as_deref()
                .and_then(crate::discover::named_protocol)
                .or_else(|| p.name.as_deref().and_then(crate::discover::named_protocol));
            match named {
                Some(protocol) => protocol == crate::vocab::Protocol::Tls,
                None => p.port == i32::from(DEFAULT_PORT),
            }
        }
    })?;
    Some(match https.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => format!("beside HTTPS TCP port {} ({name})", https.port),
        None => format!("beside HTTPS TCP port {}", https.port),
    })
}

/// The group and kind of Envoy Gateway's ClientTrafficPolicy: its
/// `spec.http3` turns on HTTP/3 (QUIC on the HTTPS listener's port) for the
/// Gateways or listeners it targets.
pub const CLIENT_TRAFFIC_POLICY: (&str, &str, &str) =
    ("gateway.envoyproxy.io", "v1alpha1", "ClientTrafficPolicy");

/// Whether `policy` targets Gateway `gateway` (name and labels, in the
/// policy's namespace): `Some(None)` for the whole Gateway, `Some(Some(s))`
/// for its listener `s`; through `spec.targetRef` (deprecated),
/// `spec.targetRefs` or `spec.targetSelectors`.
fn policy_targets(
    policy: &serde_json::Value,
    gateway: &str,
    labels: &BTreeMap<String, String>,
) -> Vec<Option<String>> {
    let spec = &policy["spec"];
    let refs = spec["targetRef"]
        .as_object()
        .map(|_| &spec["targetRef"])
        .into_iter()
        .chain(spec["targetRefs"].as_array().into_iter().flatten());
    let is_gateway = |group: &serde_json::Value, kind: &serde_json::Value| {
        group.as_str().unwrap_or("gateway.networking.k8s.io") == "gateway.networking.k8s.io"
            && kind == "Gateway"
    };
    let mut out: Vec<Option<String>> = refs
        .filter(|r| is_gateway(&r["group"], &r["kind"]) && r["name"] == gateway)
        .map(|r| r["sectionName"].as_str().map(str::to_string))
        .collect();
    let selected = spec["targetSelectors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| is_gateway(&s["group"], &s["kind"]))
        .any(|s| selector_matches(&s["matchLabels"], &s["matchExpressions"], labels));
    if selected {
        out.push(None);
    }
    out
}

/// A label selector (`matchLabels` and `matchExpressions`, ANDed) against
/// `labels`; an empty selector selects everything, an unknown operator
/// nothing.
fn selector_matches(
    match_labels: &serde_json::Value,
    match_expressions: &serde_json::Value,
    labels: &BTreeMap<String, String>,
) -> bool {
    let by_labels = match_labels
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str());
    let by_expressions = match_expressions.as_array().into_iter().flatten().all(|e| {
        let key = e["key"].as_str().unwrap_or("");
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        let value = labels.get(key).map(String::as_str);
        match e["operator"].as_str().unwrap_or("") {
            "In" => value.is_some_and(|v| values.contains(&v)),
            "NotIn" => value.is_none_or(|v| !values.contains(&v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    by_labels && by_expressions
}

/// Whether the implementation reported `policy` accepted for Gateway
/// `gateway` (`status.ancestors[]` naming it, condition `Accepted` true).
/// A policy it has not reconciled, has rejected, or that names a Gateway
/// of another implementation (no ancestor status at all) changes nothing
/// on the wire.
fn policy_accepted(policy: &serde_json::Value, namespace: &str, gateway: &str) -> bool {
    policy["status"]["ancestors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| {
            let r = &a["ancestorRef"];
            r["name"] == gateway
                && r["kind"].as_str().unwrap_or("Gateway") == "Gateway"
                && r["namespace"].as_str().is_none_or(|ns| ns == namespace)
        })
        .any(|a| {
            a["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Accepted" && c["status"] == "True")
        })
}

/// The ClientTrafficPolicy (its name) that turns HTTP/3 on for `listener`
/// of Gateway `gateway` in `namespace`, among `policies`; `None` when
/// none does. As Envoy Gateway resolves them: a policy naming the listener
/// (`sectionName`) wins over one naming the whole Gateway, and among equals
/// the oldest (`creationTimestamp`, then name) wins; the winner turns
/// HTTP/3 on only if it has `spec.http3` and was accepted for this Gateway.
pub fn http3_policy<'a>(
    policies: &'a [serde_json::Value],
    namespace: &str,
    gateway: &str,
    labels: &BTreeMap<String, String>,
    listener: &str,
) -> Option<&'a str> {
    let mut section = Vec::new();
    let mut whole = Vec::new();
    for p in policies {
        if p["metadata"]["namespace"].as_str() != Some(namespace)
            || !policy_accepted(p, namespace, gateway)
        {
            continue;
        }
        for target in policy_targets(p, gateway, labels) {
            match target {
                Some(s) if s == listener => section.push(p),
                Some(_) => {}
                None => whole.push(p),
            }
        }
    }
    let oldest = |list: Vec<&'a serde_json::Value>| {
        list.into_iter().min_by_key(|p| {
            (
                p["metadata"]["creationTimestamp"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                p["metadata"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
    };
    let winner = if section.is_empty() {
        oldest(whole)?
    } else {
        oldest(section)?
    };
    winner["spec"]["http3"]
        .is_object()
        .then(|| winner["metadata"]["name"].as_str().unwrap_or(""))
}

/// Meshed workloads probed at most, one pod each.
pub const MESH_SAMPLE: usize = 50;

impl Found {
    /// Deployments, DaemonSets and StatefulSets as clients of the API
    /// server: a known Kubernetes component image gets its release's
    /// profile, anything else is a client of unknown build. A workload
    /// whose pods mount no service-account token is not an API client and
    /// is left out. kube-proxy comes from its DaemonSet only when no Node
    /// reported `kubeProxyVersion`.
    async fn workloads(&mut self, namespace: Option<&str>) {
        let params = ListParams::default();
        let api = |client: &Client| match namespace {
            Some(ns) => (
                Api::namespaced(client.clone(), ns),
                Api::namespaced(client.clone(), ns),
                Api::namespaced(client.clone(), ns),
            ),
            None => (
                Api::all(client.clone()),
                Api::all(client.clone()),
                Api::all(client.clone()),
            ),
        };
        let (deployments, daemonsets, statefulsets): (
            Api<Deployment>,
            Api<DaemonSet>,
            Api<StatefulSet>,
        ) = api(&self.client);
        let mut found: Vec<(String, String, Option<PodSpec>)> = Vec::new();
        for d in self.list(deployments, "deployments.apps", &params).await {
            let spec = d.spec.and_then(|s| s.template.spec);
            found.push(("Deployment".into(), full_name(&d.metadata), spec));
        }
        for d in self.list(daemonsets, "daemonsets.apps", &params).await {
            let spec = d.spec.and_then(|s| s.template.spec);
            found.push(("DaemonSet".into(), full_name(&d.metadata), spec));
        }
        for d in self.list(statefulsets, "statefulsets.apps", &params).await {
            let spec = d.spec.and_then(|s| s.template.spec);
            found.push(("StatefulSet".into(), full_name(&d.metadata), spec));
        }
        let proxy_from_nodes = self.clients.iter().any(|c| c.kind == ClientKind::KubeProxy);
        for (kind, name, spec) in found {
            let (images, api_client) = spec_images(spec.as_ref());
            if !api_client {
                continue;
            }
            let several = images.len() > 1;
            for (container, image) in images {
                let client_name = if several {
                    format!("{name} ({container})")
                } else {
                    name.clone()
                };
                let source = format!("{kind}/{name} container {container} image");
                let client = match kubernetes::component_image(&image) {
                    Some((kubernetes::ComponentImage::KubeApiserver, _)) => continue,
                    Some((kubernetes::ComponentImage::KubeProxy, _)) if proxy_from_nodes => {
                        continue
                    }
                    Some((component, version)) => {
                        let kind = match component {
                            kubernetes::ComponentImage::KubeProxy => ClientKind::KubeProxy,
                            kubernetes::ComponentImage::KubeScheduler => ClientKind::KubeScheduler,
                            kubernetes::ComponentImage::KubeControllerManager => {
                                ClientKind::KubeControllerManager
                            }
                            _ => ClientKind::Workload,
                        };
                        let mut client = ClusterClient::component(
                            kind,
                            client_name,
                            version,
                            ClientBasis::ImageTag,
                            source,
                            Some(image.clone()),
                        );
                        // A kubectl image runs kubectl: its own profile id.
                        if component == kubernetes::ComponentImage::Kubectl {
                            client.profile = client
                                .version
                                .as_deref()
                                .and_then(kubernetes::release_minor)
                                .map(|m| format!("kubectl1.{m}"))
                                .filter(|id| crate::catalog::profile::find(id).is_some());
                        }
                        client
                    }
                    None => ClusterClient {
                        kind: ClientKind::Workload,
                        name: client_name,
                        version: None,
                        go_version: None,
                        profile: None,
                        basis: ClientBasis::Unknown,
                        source,
                        image: Some(image),
                    },
                };
                self.clients.push(client);
            }
        }
    }
}

/// Who talks to whom: for each client, the servers among `servers` (the
/// components' categories, in document order) it opens connections to, as
/// (client index, server index) pairs. Every client but the API server is
/// a client of the API server; the API server is a client of etcd, of each
/// kubelet (logs, exec, port-forward), of each webhook and of each
/// aggregated API. Servers missing from `servers` (another shard's) have
/// no pairs here.
pub fn edge_pairs(clients: &[ClusterClient], servers: &[Category]) -> Vec<(usize, usize)> {
    let indices = |wanted: fn(&Category) -> bool| -> Vec<usize> {
        servers
            .iter()
            .enumerate()
            .filter(|(_, c)| wanted(c))
            .map(|(i, _)| i)
            .collect()
    };
    let apiservers = indices(|c| *c == Category::Apiserver);
    let apiserver_reaches = indices(|c| {
        matches!(
            c,
            Category::Etcd | Category::Kubelet | Category::Webhook | Category::Apiservice
        )
    });
    let mut out = Vec::new();
    for (c, client) in clients.iter().enumerate() {
        let reaches = match client.kind {
            ClientKind::KubeApiserver => &apiserver_reaches,
            _ => &apiservers,
        };
        out.extend(reaches.iter().map(|s| (c, *s)));
    }
    out
}

/// `namespace/name` of an object.
fn full_name(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    format!(
        "{}/{}",
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default()
    )
}

/// The mesh a pod is in and the inbound port its mTLS answers on, if meshed.
pub fn mesh_port(pod: &Pod) -> Option<(&'static str, Option<u16>)> {
    let spec = pod.spec.as_ref()?;
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let annotations = pod.metadata.annotations.clone().unwrap_or_default();
    let names = |list: &[k8s_openapi::api::core::v1::Container]| -> Vec<String> {
        list.iter().map(|c| c.name.clone()).collect()
    };
    let mut all = names(&spec.containers);
    all.extend(names(spec.init_containers.as_deref().unwrap_or_default()));
    let is = |map: &std::collections::BTreeMap<String, String>, (key, value): (&str, &str)| {
        map.get(key).map(String::as_str) == Some(value)
    };
    let Some(sidecar) = kubernetes::SIDECARS
        .iter()
        .find(|s| all.iter().any(|n| n == s.container))
    else {
        if is(&labels, kubernetes::ambient::LABEL)
            || is(&annotations, kubernetes::ambient::ANNOTATION)
        {
            return Some((
                kubernetes::ambient::MESH,
                Some(kubernetes::ambient::HBONE_PORT),
            ));
        }
        return None;
    };
    let port = spec
        .containers
        .iter()
        .filter(|c| !kubernetes::SIDECARS.iter().any(|s| s.container == c.name))
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.protocol.as_deref().is_none_or(|p| p == "TCP"))
        .and_then(|p| u16::try_from(p.container_port).ok());
    let mesh = sidecar.mesh;
    Some((mesh, port))
}

/// Flags that bear on TLS or name endpoints, as reported next to the probe.
pub const TLS_FLAGS: &[&str] = &[
    "tls-curve-preferences",
    "tls-min-version",
    "tls-cipher-suites",
    "etcd-servers",
    "secure-port",
    "bind-address",
    "listen-client-urls",
    "advertise-client-urls",
    "cipher-suites",
];

/// `--key=value` flags of a pod's first container (command then args).
pub fn pod_flags(pod: &Pod) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(container) = pod.spec.as_ref().and_then(|s| s.containers.first()) else {
        return out;
    };
    let words = container
        .command
        .iter()
        .flatten()
        .chain(container.args.iter().flatten());
    for word in words {
        if let Some((key, value)) = word.strip_prefix("--").and_then(|w| w.split_once('=')) {
            out.insert(key.to_string(), value.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: &str, number: i32, protocol: &str) -> k8s_openapi::api::core::v1::ServicePort {
        k8s_openapi::api::core::v1::ServicePort {
            name: Some(name.into()),
            port: number,
            protocol: Some(protocol.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_udp_port_is_http3_by_its_name_or_its_https_twin_only() {
        // Traefik's chart: websecure 443/TCP and websecure-http3 443/UDP.
        let traefik = [
            port("websecure", 443, "TCP"),
            port("websecure-http3", 443, "UDP"),
        ];
        assert_eq!(
            http3_udp_port(&traefik, &traefik[1]).as_deref(),
            Some("port name websecure-http3")
        );
        // Envoy Gateway: https-443 and https-443-h3.
        let eg = [
            port("https-443", 443, "TCP"),
            port("https-443-h3", 443, "UDP"),
        ];
        assert!(http3_udp_port(&eg, &eg[1]).is_some());
        let app = port("udp", 8443, "UDP");
        let app = k8s_openapi::api::core::v1::ServicePort {
            app_protocol: Some("kubernetes.io/h3".into()),
            ..app
        };
        assert_eq!(
            http3_udp_port(&[], &app).as_deref(),
            Some("appProtocol kubernetes.io/h3")
        );
        // A neutral name beside an HTTPS TCP port of the same number.
        let mixed = [port("https", 8443, "TCP"), port("udp", 8443, "UDP")];
        assert_eq!(
            http3_udp_port(&mixed, &mixed[1]).as_deref(),
            Some("beside HTTPS TCP port 8443 (https)")
        );
        let bare = [port("", 443, "TCP"), port("", 443, "UDP")];
        assert!(http3_udp_port(&bare, &bare[1]).is_some());
        // DNS over both: the TCP twin is not HTTPS.
        let dns = [port("dns-tcp", 53, "TCP"), port("dns", 53, "UDP")];
        assert_eq!(http3_udp_port(&dns, &dns[1]), None);
        // A TCP twin named for a STARTTLS protocol says nothing either.
        let other = [port("postgres", 5432, "TCP"), port("udp", 5432, "UDP")];
        assert_eq!(http3_udp_port(&other, &other[1]), None);
        // A lone UDP port, and a twin on another number.
        let syslog = [port("https", 443, "TCP"), port("syslog", 514, "UDP")];
        assert_eq!(http3_udp_port(&syslog, &syslog[1]), None);
        // "h3" must be a word, not any substring.
        assert!(!names_http3("ch3ck") && !names_http3("quicker"));
        assert!(names_http3("H3") && names_http3("web_quic"));
    }

    fn policy(
        name: &str,
        created: &str,
        spec: serde_json::Value,
        accepted: &[(&str, bool)],
    ) -> serde_json::Value {
        let ancestors: Vec<serde_json::Value> = accepted
            .iter()
            .map(|(gw, ok)| {
                serde_json::json!({
                    "ancestorRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                    "name": gw, "namespace": "web"},
                    "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                    "conditions": [{"type": "Accepted", "status": if *ok { "True" } else { "False" },
                                    "reason": if *ok { "Accepted" } else { "Conflicted" }}],
                })
            })
            .collect();
        serde_json::json!({
            "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "ClientTrafficPolicy",
            "metadata": {"name": name, "namespace": "web", "creationTimestamp": created},
            "spec": spec,
            "status": {"ancestors": ancestors},
        })
    }

    #[test]
    fn client_traffic_policies_resolve_as_envoy_gateway_does() {
        let none = BTreeMap::new();
        let to = |section: Option<&str>| {
            let mut r = serde_json::json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "eg"});
            if let Some(s) = section {
                r["sectionName"] = serde_json::json!(s);
            }
            r
        };
        let h3 = |refs: serde_json::Value| serde_json::json!({"targetRefs": refs, "http3": {}});
        let on = policy(
            "enable-http3",
            "2025-01-02T00:00:00Z",
            h3(serde_json::json!([to(None)])),
            &[("eg", true)],
        );
        assert_eq!(
            http3_policy(std::slice::from_ref(&on), "web", "eg", &none, "https"),
            Some("enable-http3")
        );
        assert_eq!(
            http3_policy(std::slice::from_ref(&on), "web", "other", &none, "https"),
            None
        );
        assert_eq!(
            http3_policy(std::slice::from_ref(&on), "shop", "eg", &none, "https"),
            None
        );
        // The deprecated singular targetRef counts too.
        let single = policy(
            "single",
            "2025-01-02T00:00:00Z",
            serde_json::json!({"targetRef": to(None), "http3": {}}),
            &[("eg", true)],
        );
        assert_eq!(
            http3_policy(&[single], "web", "eg", &none, "https"),
            Some("single")
        );
        // Not accepted (no status yet, or rejected): no signal.
        let pending = policy(
            "pending",
            "2025-01-02T00:00:00Z",
            h3(serde_json::json!([to(None)])),
            &[],
        );
        let rejected = policy(
            "rejected",
            "2025-01-02T00:00:00Z",
            h3(serde_json::json!([to(None)])),
            &[("eg", false)],
        );
        assert_eq!(
            http3_policy(&[pending, rejected], "web", "eg", &none, "https"),
            None
        );
        // A listener's own policy without http3 overrides a Gateway-wide one with it.
        let off = policy(
            "tls-only",
            "2025-01-03T00:00:00Z",
            serde_json::json!({"targetRefs": [to(Some("https"))], "tls": {"minVersion": "1.3"}}),
            &[("eg", true)],
        );
        let both = [on.clone(), off];
        assert_eq!(http3_policy(&both, "web", "eg", &none, "https"), None);
        assert_eq!(
            http3_policy(&both, "web", "eg", &none, "https-2"),
            Some("enable-http3")
        );
        // Among equals the oldest wins.
        let newer = policy(
            "newer",
            "2025-02-01T00:00:00Z",
            serde_json::json!({"targetRefs": [to(None)]}),
            &[("eg", true)],
        );
        assert_eq!(
            http3_policy(&[newer.clone(), on.clone()], "web", "eg", &none, "https"),
            Some("enable-http3")
        );
        let older = policy(
            "older",
            "2024-12-01T00:00:00Z",
            serde_json::json!({"targetRefs": [to(None)]}),
            &[("eg", true)],
        );
        assert_eq!(
            http3_policy(&[older, on], "web", "eg", &none, "https"),
            None
        );
        // Selected by labels.
        let selector = policy(
            "by-label",
            "2025-01-02T00:00:00Z",
            serde_json::json!({"http3": {}, "targetSelectors": [{"kind": "Gateway",
                "matchLabels": {"edge": "public"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]}]}),
            &[("eg", true)],
        );
        let labels: BTreeMap<String, String> = [
            ("edge".to_string(), "public".to_string()),
            ("tier".to_string(), "web".to_string()),
        ]
        .into();
        assert_eq!(
            http3_policy(
                std::slice::from_ref(&selector),
                "web",
                "eg",
                &labels,
                "https"
            ),
            Some("by-label")
        );
        assert_eq!(http3_policy(&[selector], "web", "eg", &none, "https"), None);
    }

    #[test]
    fn clients_reach_the_api_server_and_the_api_server_reaches_the_rest() {
        let client = |kind| {
            ClusterClient::component(
                kind,
                "c".into(),
                None,
                ClientBasis::NodeInfo,
                String::new(),
                None,
            )
        };
        let clients = [
            client(ClientKind::Kubelet),
            client(ClientKind::KubeApiserver),
        ];
        let servers = [
            Category::Apiserver,
            Category::Etcd,
            Category::Controller,
            Category::Kubelet,
            Category::Webhook,
            Category::Apiservice,
            Category::Ingress,
        ];
        assert_eq!(
            edge_pairs(&clients, &servers),
            [(0, 0), (1, 1), (1, 3), (1, 4), (1, 5)]
        );
        assert!(edge_pairs(&clients, &[Category::Kubelet][..1])
            .iter()
            .all(|(c, _)| *c == 1));
    }

    #[test]
    fn reads_urls_and_addresses_as_targets() {
        let t = url_target("https://10.96.0.10:8443/validate?x=1").unwrap();
        assert_eq!((t.label.as_str(), t.sni), ("10.96.0.10:8443", None));
        let t = url_target("https://webhook.example/path").unwrap();
        assert_eq!(
            (t.label.as_str(), t.sni.as_deref()),
            ("webhook.example:443", Some("webhook.example"))
        );
        assert_eq!(
            url_target("https://[::1]:6443").unwrap().label,
            "[::1]:6443"
        );
        assert_eq!(url_target("http://plain:80"), None);
        assert_eq!(url_target("https://:443"), None);
        assert_eq!(target("fd00::1", 10250).label, "[fd00::1]:10250");
    }

    #[test]
    fn reads_flags_from_command_and_args() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "kube-apiserver-cp"},
            "spec": {"containers": [{
                "name": "kube-apiserver",
                "command": ["kube-apiserver", "--secure-port=6443", "--tls-min-version=VersionTLS12"],
                "args": ["--etcd-servers=https://127.0.0.1:2379", "-v", "--flag-without-value"]
            }]}
        }))
        .unwrap();
        let flags = pod_flags(&pod);
        assert_eq!(flags["secure-port"], "6443");
        assert_eq!(flags["tls-min-version"], "VersionTLS12");
        assert_eq!(flags["etcd-servers"], "https://127.0.0.1:2379");
        assert_eq!(flags.len(), 3);
    }
}
