//! Kubernetes releases → the Go toolchain and GODEBUG their binaries are built
//! with. kubectl and the control-plane components of one release come from
//! one Go module (`k8s.io/kubernetes`), so they share the Go version and the
//! go.mod-derived default GODEBUG, and therefore the same TLS key-exchange
//! defaults (control-plane components leave `CurvePreferences` unset).

use super::go::GoDebug;

/// How one Kubernetes minor release is built.
#[derive(Debug, Clone, Copy)]
pub struct KubernetesBuild {
    /// Kubernetes minor version (`1.minor`).
    pub minor: u32,
    /// Go minor version of the toolchain (`1.go_minor`).
    pub go_minor: u32,
    /// GODEBUG defaults that change key exchange.
    pub godebug: GoDebug,
    /// Where the mapping comes from.
    pub source: &'static str,
}

const OBSERVED: &str = "kubectl build on the test machine (Google Cloud SDK): `go version -m` shows the Go version and DefaultGODEBUG";

const KYBER_OFF: GoDebug = GoDebug {
    tlskyber_off: true,
    tlsmlkem_off: false,
    tlssecpmlkem_off: false,
};
const DEFAULTS: GoDebug = GoDebug {
    tlskyber_off: false,
    tlsmlkem_off: false,
    tlssecpmlkem_off: false,
};

/// Kubernetes 1.27 to 1.36. Adding a release is adding one line.
pub static KUBERNETES: &[KubernetesBuild] = &[
    KubernetesBuild { minor: 27, go_minor: 22, godebug: DEFAULTS, source: OBSERVED },
    KubernetesBuild { minor: 28, go_minor: 22, godebug: DEFAULTS, source: OBSERVED },
    KubernetesBuild { minor: 29, go_minor: 22, godebug: DEFAULTS, source: OBSERVED },
    // go.mod of 1.30/1.31 pins `godebug default=go1.22`, which turns the Kyber draft off.
    KubernetesBuild { minor: 30, go_minor: 23, godebug: KYBER_OFF, source: OBSERVED },
    KubernetesBuild { minor: 31, go_minor: 23, godebug: KYBER_OFF, source: OBSERVED },
    KubernetesBuild { minor: 32, go_minor: 23, godebug: DEFAULTS, source: OBSERVED },
    KubernetesBuild { minor: 33, go_minor: 24, godebug: DEFAULTS, source: OBSERVED },
    KubernetesBuild {
        minor: 34,
        go_minor: 24,
        godebug: DEFAULTS,
        source: "Kubernetes v1.34 release: built with Go 1.24 (kubernetes/kubernetes .go-version on release-1.34)",
    },
    KubernetesBuild {
        minor: 35,
        go_minor: 25,
        godebug: DEFAULTS,
        source: "Kubernetes v1.35 release: built with Go 1.25 (kubernetes/kubernetes .go-version on release-1.35)",
    },
    KubernetesBuild {
        minor: 36,
        go_minor: 26,
        godebug: DEFAULTS,
        source: "Kubernetes v1.36 release: built with Go 1.26 (kubernetes/kubernetes .go-version on release-1.36)",
    },
];

/// The build facts for Kubernetes `1.minor`, if known.
pub fn build(minor: u32) -> Option<&'static KubernetesBuild> {
    KUBERNETES.iter().find(|k| k.minor == minor)
}
