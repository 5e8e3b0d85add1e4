//! Kubernetes facts: the components' default secure ports, the names that
//! mark a pod as meshed (sidecar containers, Istio ambient's ztunnel), and
//! Kubernetes releases → the Go toolchain their binaries are built with and
//! the Go version their go.mod declares. kubectl and the control-plane
//! components of one release come from one Go workspace (`k8s.io/kubernetes`),
//! so they share the toolchain and the go.mod-derived default GODEBUG, and so
//! the same TLS key-exchange defaults (they leave `CurvePreferences` unset).
//!
//! Patch releases may move to a newer Go toolchain; the go.mod line (and
//! since 1.32 an explicit `godebug default=go1.N`) keeps their key-exchange
//! defaults where the `.0` release had them — with one trap: a 1.32 patch
//! built with Go 1.24+ gets `tlsmlkem=0` from `default=go1.23` and offers no
//! post-quantum group at all. Probing a real binary (or `go version -m`)
//! settles any doubt.

use super::go::{default_godebug, GoDebug};

/// How one Kubernetes minor release is built.
#[derive(Debug, Clone, Copy)]
pub struct KubernetesBuild {
    /// Kubernetes minor version (`1.minor`).
    pub minor: u32,
    /// Go minor version of the toolchain (`1.go_minor`).
    pub go_minor: u32,
    /// Go minor version its go.mod declares (`go` line / `godebug default=`).
    pub module_go_minor: u32,
    /// Where the mapping comes from.
    pub source: &'static str,
}

impl KubernetesBuild {
    /// The key-exchange GODEBUG defaults its binaries carry.
    pub fn godebug(&self) -> GoDebug {
        default_godebug(self.go_minor, self.module_go_minor)
    }
}

const OBSERVED: &str = "the kubectl build on the test machine (`go version -m`: Go version and DefaultGODEBUG); go.mod of the release";

/// Kubernetes 1.27 to 1.37. Adding a release is adding one line.
pub static KUBERNETES: &[KubernetesBuild] = &[
    KubernetesBuild { minor: 27, go_minor: 22, module_go_minor: 20, source: OBSERVED },
    KubernetesBuild { minor: 28, go_minor: 22, module_go_minor: 20, source: OBSERVED },
    KubernetesBuild { minor: 29, go_minor: 22, module_go_minor: 21, source: OBSERVED },
    // go.mod says `go 1.22.0`: built with Go 1.23, the Kyber draft is off (tlskyber=0).
    KubernetesBuild { minor: 30, go_minor: 23, module_go_minor: 22, source: OBSERVED },
    KubernetesBuild { minor: 31, go_minor: 23, module_go_minor: 22, source: OBSERVED },
    KubernetesBuild { minor: 32, go_minor: 23, module_go_minor: 23, source: OBSERVED },
    KubernetesBuild { minor: 33, go_minor: 24, module_go_minor: 24, source: OBSERVED },
    KubernetesBuild {
        minor: 34,
        go_minor: 24,
        module_go_minor: 24,
        source: "Kubernetes v1.34.0: Go 1.24 (CHANGELOG-1.34), go.mod `go 1.24.0` / `godebug default=go1.24`",
    },
    KubernetesBuild {
        minor: 35,
        go_minor: 25,
        module_go_minor: 25,
        source: "Kubernetes v1.35.0: Go 1.25 (CHANGELOG-1.35), go.mod `go 1.25.0` / `godebug default=go1.25`",
    },
    KubernetesBuild {
        minor: 36,
        go_minor: 26,
        module_go_minor: 26,
        source: "Kubernetes v1.36.0: Go 1.26 (CHANGELOG-1.36), go.mod `go 1.26.0` / `godebug default=go1.26`",
    },
    // Go 1.27 came to Kubernetes only after v1.37.0 (CHANGELOG-1.38: "now
    // built with Go 1.27.1"), so kubectl 1.37 offers no ML-DSA.
    KubernetesBuild {
        minor: 37,
        go_minor: 26,
        module_go_minor: 26,
        source: "Kubernetes v1.37: Go 1.26 (CHANGELOG-1.37: built with Go 1.26.3, then 1.26.4; Go 1.27.1 only in 1.38), go.mod `go 1.26.0` / `godebug default=go1.26` (k8s.io/kubectl v0.37.0-beta.0)",
    },
];

/// The build facts for Kubernetes `1.minor`, if known.
pub fn build(minor: u32) -> Option<&'static KubernetesBuild> {
    KUBERNETES.iter().find(|k| k.minor == minor)
}

/// The kubelet's default secure port (`--port`), when its Node does not say.
pub const KUBELET_PORT: u16 = 10250;

/// kube-controller-manager's default `--secure-port`.
pub const CONTROLLER_MANAGER_PORT: u16 = 10257;

/// kube-scheduler's default `--secure-port`.
pub const SCHEDULER_PORT: u16 = 10259;

/// A service mesh whose pods carry a proxy container next to the workload.
#[derive(Debug, Clone, Copy)]
pub struct Sidecar {
    /// The mesh, as reported (`istio`, `linkerd`).
    pub mesh: &'static str,
    /// The name of its proxy container.
    pub container: &'static str,
}

/// The sidecar meshes, in the order a pod is matched against them.
pub static SIDECARS: &[Sidecar] = &[
    Sidecar {
        mesh: "istio",
        container: "istio-proxy",
    },
    Sidecar {
        mesh: "linkerd",
        container: "linkerd-proxy",
    },
];

/// Istio ambient mode: no sidecar; the node's ztunnel terminates mTLS.
pub mod ambient {
    /// The mesh, as reported.
    pub const MESH: &str = "istio ambient";
    /// The pod label (name, value) that enrols a pod.
    pub const LABEL: (&str, &str) = ("istio.io/dataplane-mode", "ambient");
    /// The annotation (name, value) the CNI sets on an enrolled pod.
    pub const ANNOTATION: (&str, &str) = ("ambient.istio.io/redirection", "enabled");
    /// The port ztunnel accepts HBONE (mTLS) on.
    pub const HBONE_PORT: u16 = 15008;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_default_godebug_of_the_observed_kubectl_builds() {
        // `go version -m kubectl.1.30` on the test machine: go1.23.8, DefaultGODEBUG has tlskyber=0.
        assert!(build(30).unwrap().godebug().tlskyber_off);
        assert!(build(31).unwrap().godebug().tlskyber_off);
        assert_eq!(build(32).unwrap().godebug(), GoDebug::default());
        assert_eq!(build(33).unwrap().godebug(), GoDebug::default());
        assert_eq!(build(36).unwrap().godebug(), GoDebug::default());
        assert_eq!(build(37).unwrap().go_minor, 26);
        assert_eq!(build(37).unwrap().godebug(), GoDebug::default());
    }
}
