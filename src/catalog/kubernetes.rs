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

/// The minor release of a Kubernetes version string (`v1.32.4`,
/// `v1.33.0-eks-1a2b3c`, `1.31`), if it is one.
pub fn release_minor(version: &str) -> Option<u32> {
    let mut parts = version.trim().trim_start_matches('v').split('.');
    (parts.next()? == "1").then_some(())?;
    let minor = parts.next()?;
    let digits: String = minor.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// The client profile a Kubernetes component of `version` offers (the Go
/// profile its release is built with, GODEBUG defaults included), when the
/// release is in [`KUBERNETES`]. kubectl has its own ids (`kubectl1.N`),
/// which [`super::profile`] derives from the same line.
pub fn component_profile(version: &str) -> Option<String> {
    let build = build(release_minor(version)?)?;
    Some(format!(
        "go1.{}{}",
        build.go_minor,
        build.godebug().suffix()
    ))
}

/// The Kubernetes components whose container images pqready recognises:
/// the image name (the last path segment of the repository) and what it is.
pub static COMPONENT_IMAGES: &[(&str, ComponentImage)] = &[
    ("kube-proxy", ComponentImage::KubeProxy),
    ("kube-scheduler", ComponentImage::KubeScheduler),
    (
        "kube-controller-manager",
        ComponentImage::KubeControllerManager,
    ),
    ("kube-apiserver", ComponentImage::KubeApiserver),
    ("kubectl", ComponentImage::Kubectl),
];

/// A Kubernetes component a container image runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentImage {
    /// `registry.k8s.io/kube-proxy`.
    KubeProxy,
    /// `registry.k8s.io/kube-scheduler`.
    KubeScheduler,
    /// `registry.k8s.io/kube-controller-manager`.
    KubeControllerManager,
    /// `registry.k8s.io/kube-apiserver`.
    KubeApiserver,
    /// `registry.k8s.io/kubectl` (and bitnami-style `kubectl` images).
    Kubectl,
}

/// An image reference split into its name (last repository segment) and
/// tag: `registry.k8s.io/kube-proxy:v1.32.4@sha256:…` → (`kube-proxy`,
/// `Some("v1.32.4")`). A digest-only reference has no tag.
pub fn image_name_and_tag(image: &str) -> (&str, Option<&str>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    match last.split_once(':') {
        Some((name, tag)) => (name, Some(tag)),
        None => (last, None),
    }
}

/// The Kubernetes component an image runs and the version its tag names,
/// when the image is one of [`COMPONENT_IMAGES`]; the version is `None`
/// when the tag names no Kubernetes release (`latest`, a digest).
pub fn component_image(image: &str) -> Option<(ComponentImage, Option<String>)> {
    let (name, tag) = image_name_and_tag(image);
    let (_, kind) = COMPONENT_IMAGES.iter().find(|(n, _)| *n == name)?;
    let version = tag
        .filter(|t| release_minor(t).is_some())
        .map(str::to_string);
    Some((*kind, version))
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
    fn reads_releases_images_and_their_profiles() {
        assert_eq!(release_minor("v1.32.4"), Some(32));
        assert_eq!(release_minor("v1.33.0-eks-1a2b3c"), Some(33));
        assert_eq!(release_minor("v2.1.0"), None);
        assert_eq!(release_minor("latest"), None);
        assert_eq!(component_profile("v1.32.4").as_deref(), Some("go1.23"));
        assert_eq!(
            component_profile("v1.30.2").as_deref(),
            Some("go1.23+tlskyber=0")
        );
        assert_eq!(component_profile("v1.33.1").as_deref(), Some("go1.24"));
        assert_eq!(component_profile("v1.99.0"), None);
        assert_eq!(
            component_image("registry.k8s.io/kube-proxy:v1.32.4@sha256:abc"),
            Some((ComponentImage::KubeProxy, Some("v1.32.4".into())))
        );
        assert_eq!(
            component_image("registry.example:5000/mirror/kube-scheduler:v1.33.0"),
            Some((ComponentImage::KubeScheduler, Some("v1.33.0".into())))
        );
        assert_eq!(
            component_image("registry.k8s.io/kube-proxy@sha256:abc"),
            Some((ComponentImage::KubeProxy, None))
        );
        assert_eq!(component_image("example/app:1"), None);
    }

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
