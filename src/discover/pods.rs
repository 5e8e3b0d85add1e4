//! Pods and Services of a live capture's connections: which Pod a local
//! process runs in, and which Pod or Service a server address is, through
//! the Kubernetes API (`observe --interface` with `--kubeconfig`,
//! `--context` or `--in-cluster`, or run in a pod).
//!
//! Owns: one read-only listing of Pods (of this node when `NODE_NAME` names
//! it, with the field selector `spec.nodeName`; else all) and Services,
//! reduced to a [`PodDirectory`]; and the pure matching of a process's
//! cgroup facts (container ID, pod UID) to a Pod's
//! `status.containerStatuses[].containerID` (`containerd://ID`,
//! `cri-o://ID`, `docker://ID`) or `metadata.uid`, and of an address to a
//! Pod IP (a Pod not on the host network, the only one holding that IP) or a
//! Service ClusterIP.
//!
//! A list that fails (unreachable, 401, 403) becomes one note; attribution
//! stays at the process level. Must not: judge, or let a credential reach a
//! note (reasons are rebuilt from the error's kind by `cluster`).

use super::cluster::ClusterError;
use super::listing::client_reason;
use crate::observe::who::ProcessFacts;
use crate::observe::{ObservedConnection, Workload};
use crate::vocab::WorkloadKind;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, ListParams};
use kube::Client;
use std::net::IpAddr;

/// One Pod, as far as matching needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodEntry {
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.uid`.
    pub uid: Option<String>,
    /// `status.podIPs` (else `status.podIP`); empty on the host network,
    /// where the IP is the node's and names no one Pod.
    pub ips: Vec<IpAddr>,
    /// (container name, container ID without its `runtime://` prefix) of
    /// every init, app and ephemeral container status.
    pub containers: Vec<(String, String)>,
}

/// One Service's ClusterIPs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEntry {
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.clusterIPs` (else `spec.clusterIP`), without `None`.
    pub cluster_ips: Vec<IpAddr>,
}

/// What the API said, ready to match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodDirectory {
    /// The Pods listed.
    pub pods: Vec<PodEntry>,
    /// The Services listed.
    pub services: Vec<ServiceEntry>,
}

/// The Pod (and container) a process runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodMatch {
    /// The Pod's namespace.
    pub namespace: String,
    /// The Pod's name.
    pub name: String,
    /// The container's name, when matched by container ID.
    pub container: Option<String>,
}

/// `containerd://0123…` → `0123…`; `None` for an empty or prefix-less ID
/// (a container not started yet has none).
pub fn container_id(status_id: &str) -> Option<&str> {
    let (_, id) = status_id.split_once("://")?;
    (!id.is_empty()).then_some(id)
}

impl PodEntry {
    /// Reduces a Pod object.
    pub fn from_pod(pod: &Pod) -> Option<PodEntry> {
        let meta = &pod.metadata;
        let status = pod.status.as_ref();
        let host_network = pod
            .spec
            .as_ref()
            .and_then(|s| s.host_network)
            .unwrap_or(false);
        let mut ips: Vec<IpAddr> = Vec::new();
        if !host_network {
            if let Some(s) = status {
                let listed = s.pod_ips.iter().flatten().map(|p| p.ip.as_str());
                for ip in listed.chain(s.pod_ip.as_deref()) {
                    if let Ok(ip) = ip.parse::<IpAddr>() {
                        if !ips.contains(&ip) {
                            ips.push(ip);
                        }
                    }
                }
            }
        }
        // A finished Pod's IP goes back to the pool; its containers are gone.
        let finished = status
            .and_then(|s| s.phase.as_deref())
            .is_some_and(|p| p == "Succeeded" || p == "Failed");
        if finished {
            ips.clear();
        }
        let containers = status
            .into_iter()
            .flat_map(|s| {
                [
                    &s.init_container_statuses,
                    &s.container_statuses,
                    &s.ephemeral_container_statuses,
                ]
            })
            .flatten()
            .flatten()
            .filter_map(|c| {
                let id = container_id(c.container_id.as_deref()?)?;
                Some((c.name.clone(), id.to_string()))
            })
            .collect();
        Some(PodEntry {
            namespace: meta.namespace.clone()?,
            name: meta.name.clone()?,
            uid: meta.uid.clone(),
            ips,
            containers,
        })
    }
}

impl ServiceEntry {
    /// Reduces a Service object.
    pub fn from_service(service: &Service) -> Option<ServiceEntry> {
        let spec = service.spec.as_ref()?;
        let mut cluster_ips: Vec<IpAddr> = Vec::new();
        let listed = spec.cluster_ips.iter().flatten().map(String::as_str);
        for ip in listed.chain(spec.cluster_ip.as_deref()) {
            if let Ok(ip) = ip.parse::<IpAddr>() {
                if !cluster_ips.contains(&ip) {
                    cluster_ips.push(ip);
                }
            }
        }
        Some(ServiceEntry {
            namespace: service.metadata.namespace.clone()?,
            name: service.metadata.name.clone()?,
            cluster_ips,
        })
    }
}

impl PodDirectory {
    /// The Pod of a process: by container ID first (it also names the
    /// container), else by the pod UID of its cgroup path.
    pub fn process(&self, facts: &ProcessFacts) -> Option<PodMatch> {
        if let Some(id) = &facts.container_id {
            for pod in &self.pods {
                if let Some((name, _)) = pod.containers.iter().find(|(_, c)| c == id) {
                    return Some(PodMatch {
                        namespace: pod.namespace.clone(),
                        name: pod.name.clone(),
                        container: Some(name.clone()),
                    });
                }
            }
        }
        let uid = facts.pod_uid.as_deref()?;
        let pod = self.pods.iter().find(|p| p.uid.as_deref() == Some(uid))?;
        Some(PodMatch {
            namespace: pod.namespace.clone(),
            name: pod.name.clone(),
            container: None,
        })
    }

    /// The Pod whose IP `ip` is (when exactly one listed Pod holds it), else
    /// the Service whose ClusterIP it is.
    pub fn address(&self, ip: IpAddr) -> Option<Workload> {
        let mut holders = self.pods.iter().filter(|p| p.ips.contains(&ip));
        if let (Some(pod), None) = (holders.next(), holders.next()) {
            return Some(Workload {
                kind: WorkloadKind::Pod,
                namespace: pod.namespace.clone(),
                name: pod.name.clone(),
            });
        }
        let service = self.services.iter().find(|s| s.cluster_ips.contains(&ip))?;
        Some(Workload {
            kind: WorkloadKind::Service,
            namespace: service.namespace.clone(),
            name: service.name.clone(),
        })
    }

    /// Adds the Pod of each side's process and the server's workload to
    /// every connection.
    pub fn annotate(&self, connections: &mut [ObservedConnection]) {
        for c in connections {
            for facts in [&mut c.client_process, &mut c.server_process]
                .into_iter()
                .flatten()
            {
                if let Some(m) = self.process(facts) {
                    facts.namespace = Some(m.namespace);
                    facts.pod = Some(m.name);
                    facts.container = m.container;
                }
            }
            if let Some(ip) = address_ip(&c.server) {
                c.server_workload = self.address(ip);
            }
        }
    }
}

/// The IP of `1.2.3.4:443` or `[::1]:443`.
fn address_ip(address: &str) -> Option<IpAddr> {
    address.parse::<std::net::SocketAddr>().ok().map(|a| a.ip())
}

/// Lists the Pods (of `node` when given) and every Service. Each failed
/// list is a reason in the returned notes; what was listed is kept.
pub async fn lookup(client: &Client, node: Option<&str>) -> (PodDirectory, Vec<String>) {
    let mut directory = PodDirectory::default();
    let mut notes = Vec::new();
    let pods: Api<Pod> = Api::all(client.clone());
    let params = match node {
        Some(node) => ListParams::default().fields(&format!("spec.nodeName={node}")),
        None => ListParams::default(),
    };
    match pods.list(&params).await {
        Ok(list) => directory.pods = list.items.iter().filter_map(PodEntry::from_pod).collect(),
        Err(e) => notes.push(format!(
            "cannot list Pods ({}): connections are attributed to processes only",
            client_reason(&e)
        )),
    }
    let services: Api<Service> = Api::all(client.clone());
    match services.list(&ListParams::default()).await {
        Ok(list) => {
            directory.services = list
                .items
                .iter()
                .filter_map(ServiceEntry::from_service)
                .collect()
        }
        Err(e) => notes.push(format!(
            "cannot list Services ({}): server addresses are named by Pod IP only",
            client_reason(&e)
        )),
    }
    (directory, notes)
}

/// Connects with `source` and looks up; the error is a reason safe to show.
pub async fn lookup_with(
    source: &super::cluster::ClusterSource,
    node: Option<&str>,
    timeout: std::time::Duration,
) -> Result<(PodDirectory, Vec<String>), ClusterError> {
    let (client, _) = super::cluster::connect(source, timeout).await?;
    Ok(lookup(&client, node).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::who::parse_cgroup;
    use serde_json::json;

    const CID: &str = "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";
    const OTHER: &str = "aaaabbbbccccddddeeeeffff00001111222233334444555566667777888899990";
    const UID: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

    /// The facts `who` records for a process whose `/proc/PID/cgroup` is `text`.
    fn facts(text: &str) -> ProcessFacts {
        let cg = parse_cgroup(text);
        ProcessFacts {
            pid: 42,
            comm: "app".into(),
            exe: None,
            go_version: None,
            tls_godebug: Vec::new(),
            tls_godebug_env: Vec::new(),
            container_id: cg.container_id,
            container_runtime: cg.runtime,
            pod_uid: cg.pod_uid,
            pod: None,
            namespace: None,
            container: None,
        }
    }

    /// A Pod as the API serves it.
    fn pod(ns: &str, name: &str, uid: &str, ip: &str, containers: &[(&str, &str)]) -> Pod {
        let statuses: Vec<_> = containers
            .iter()
            .map(|(n, id)| {
                json!({"name": n, "containerID": id, "image": "example/app:1",
                "imageID": "", "ready": true, "restartCount": 0})
            })
            .collect();
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"namespace": ns, "name": name, "uid": uid},
            "spec": {"containers": [{"name": "app"}], "nodeName": "node-a"},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "containerStatuses": statuses},
        }))
        .unwrap()
    }

    fn directory(pods: &[Pod], services: &[Service]) -> PodDirectory {
        PodDirectory {
            pods: pods.iter().filter_map(PodEntry::from_pod).collect(),
            services: services
                .iter()
                .filter_map(ServiceEntry::from_service)
                .collect(),
        }
    }

    fn web() -> Pod {
        let id = format!("containerd://{CID}");
        pod("shop", "web-7d9f", UID, "10.244.1.7", &[("app", &id)])
    }

    #[test]
    fn a_container_id_of_each_runtime_form_names_its_pod_and_container() {
        let systemd_pod = UID.replace('-', "_");
        // Real /proc/PID/cgroup lines (cgroup v2 systemd, cgroup v1 cgroupfs).
        let lines = [
            format!("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{systemd_pod}.slice/cri-containerd-{CID}.scope"),
            format!("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{systemd_pod}.slice/crio-{CID}.scope"),
            format!("12:memory:/kubepods/burstable/pod{UID}/{CID}\n11:cpu,cpuacct:/kubepods/burstable/pod{UID}/{CID}"),
        ];
        for (line, scheme) in lines.iter().zip(["containerd", "cri-o", "docker"]) {
            let id = format!("{scheme}://{CID}");
            let p = pod(
                "shop",
                "web-7d9f",
                "11111111-2222-3333-4444-555555555555",
                "10.244.1.7",
                &[
                    ("istio-proxy", &format!("containerd://{OTHER}")),
                    ("app", &id),
                ],
            );
            let found = directory(&[p], &[]).process(&facts(line));
            assert_eq!(
                found,
                Some(PodMatch {
                    namespace: "shop".into(),
                    name: "web-7d9f".into(),
                    container: Some("app".into())
                }),
                "{line}"
            );
        }
    }

    #[test]
    fn a_pod_uid_alone_names_the_pod_without_a_container() {
        // The pod's own slice (a process placed there, e.g. by a sandbox).
        let line = format!(
            "0::/kubepods.slice/kubepods-pod{}.slice",
            UID.replace('-', "_")
        );
        let f = facts(&line);
        assert_eq!(f.container_id, None);
        let found = directory(&[web()], &[]).process(&f);
        assert_eq!(
            found,
            Some(PodMatch {
                namespace: "shop".into(),
                name: "web-7d9f".into(),
                container: None
            })
        );
    }

    #[test]
    fn a_process_outside_any_listed_pod_is_not_named() {
        for line in [
            "0::/user.slice/user-1000.slice/session-3.scope",
            "0::/",
            &format!("0::/docker/{OTHER}"),
        ] {
            assert_eq!(
                directory(&[web()], &[]).process(&facts(line)),
                None,
                "{line}"
            );
        }
        // A container not started yet has an empty containerID.
        assert_eq!(container_id(""), None);
        assert_eq!(container_id("containerd://"), None);
        assert_eq!(container_id(&format!("cri-o://{CID}")), Some(CID));
    }

    #[test]
    fn an_address_is_a_pod_ip_held_by_one_pod_else_a_cluster_ip() {
        let svc: Service = serde_json::from_value(json!({
            "metadata": {"namespace": "shop", "name": "web"},
            "spec": {"clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"], "ports": [{"port": 443}]},
        }))
        .unwrap();
        let headless: Service = serde_json::from_value(json!({
            "metadata": {"namespace": "shop", "name": "db"},
            "spec": {"clusterIP": "None", "clusterIPs": ["None"]},
        }))
        .unwrap();
        let mut host: Pod = pod("kube-system", "kube-proxy-x", "u2", "192.168.1.5", &[]);
        host.spec.as_mut().unwrap().host_network = Some(true);
        let d = directory(&[web(), host], &[svc, headless]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let named = |kind, name: &str, ns: &str| {
            Some(Workload {
                kind,
                namespace: ns.into(),
                name: name.into(),
            })
        };
        assert_eq!(
            d.address(ip("10.244.1.7")),
            named(WorkloadKind::Pod, "web-7d9f", "shop")
        );
        assert_eq!(
            d.address(ip("10.96.0.20")),
            named(WorkloadKind::Service, "web", "shop")
        );
        // The node's IP names no one Pod.
        assert_eq!(d.address(ip("192.168.1.5")), None);
        // Two Pods listing one IP (a stale listing): neither is named.
        let twin = pod("shop", "web-old", "u3", "10.244.1.7", &[]);
        let d = directory(&[web(), twin], &[]);
        assert_eq!(d.address(ip("10.244.1.7")), None);
        // A finished Pod's IP is free for another.
        let mut done = pod("shop", "job-1", "u4", "10.244.1.8", &[]);
        done.status.as_mut().unwrap().phase = Some("Succeeded".into());
        assert_eq!(directory(&[done], &[]).address(ip("10.244.1.8")), None);
    }

    #[test]
    fn annotated_connections_name_the_client_pod_in_the_edge_and_the_table() {
        let line = format!("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice/cri-containerd-{CID}.scope", UID.replace('-', "_"));
        let client = facts(&line);
        let server = facts("0::/system.slice/nginx.service");
        let mut connections: Vec<ObservedConnection> = serde_json::from_value(json!([{
            "time": "2026-01-01T00:00:00Z", "client": "10.244.1.7:40000",
            "server": "10.96.0.20:443", "sides": "both", "client_hello": null,
            "server_hello": null, "error": null, "conflicting_segments": 0,
            "client_process": client, "server_process": server,
        }]))
        .unwrap();
        let svc: Service = serde_json::from_value(json!({
            "metadata": {"namespace": "shop", "name": "api"},
            "spec": {"clusterIP": "10.96.0.20"},
        }))
        .unwrap();
        directory(&[web()], &[svc]).annotate(&mut connections);
        let c = &connections[0];
        let p = c.client_process.as_ref().unwrap();
        assert_eq!(
            (
                p.namespace.as_deref(),
                p.pod.as_deref(),
                p.container.as_deref()
            ),
            (Some("shop"), Some("web-7d9f"), Some("app"))
        );
        assert_eq!(c.server_process.as_ref().unwrap().pod, None);
        assert_eq!(
            c.server_workload.as_ref().map(|w| w.kind),
            Some(WorkloadKind::Service)
        );
        let assessed = crate::assess::observed::observed(&connections);
        assert_eq!(
            assessed.edges[0].client_pod.as_deref(),
            Some("shop/web-7d9f")
        );
        assert_eq!(
            assessed.edges[0].server_workload.as_deref(),
            Some("service shop/api")
        );
        let summary = crate::report::observe::ObserveSummary::new(Default::default(), assessed);
        let table = crate::report::observe::summary_table(
            &summary,
            crate::report::style::Style { color: false },
        );
        let row = table.lines().nth(1).unwrap();
        assert!(row.starts_with("shop/web-7d9f "), "{table}");
        assert!(!row.contains("10.244.1.7"), "{table}");
    }
}
