//! `pqready binaries`: a Go program's post-quantum key-exchange defaults,
//! known without running it.
//!
//! For every Go executable found under the given paths, [`scan`] reads the
//! build info the Go linker embeds ([`buildinfo`]: Go version, main module,
//! build settings) and turns it into the default key-exchange offer of the
//! program's `crypto/tls` clients and servers. Facts only: `assess::binary`
//! judges the offer and `report::binaries` prints it.
//!
//! # The rule, and why the binary's `DefaultGODEBUG` is enough
//!
//! The offer is computed by exactly one function shared with the client
//! profiles: [`crate::catalog::go::default_curve_preferences`], fed with the
//! Go minor version and the `GODEBUG` settings that apply ([`default_offer`]).
//! Its sources are cited in [`crate::catalog::go`].
//!
//! The go.mod `go` line (and `godebug` lines, and `//go:debug` directives in
//! the main package) decide which GODEBUG defaults a program gets, but they
//! need not be read separately: `go build` resolves them into one string,
//! records it in the build info as the `DefaultGODEBUG` build setting and
//! links the same string into the program as the runtime's default GODEBUG.
//! So a Go 1.24 build of a module declaring `go 1.22` carries
//! `DefaultGODEBUG=...,tlsmlkem=0,...`, and the rule reads `tlsmlkem=0`
//! from it. Sources: the Go distribution's `src/cmd/go/internal/load/
//! godebug.go` (the default is computed from the main module's Go version,
//! its `godebug` lines and `//go:debug` directives, and is recorded as the
//! `DefaultGODEBUG` build setting when not empty), `src/cmd/go/internal/
//! work/gc.go` (the same string is linked in as `runtime.godebugDefault`),
//! `src/internal/godebugs/table.go` (`tlskyber` changed in Go 1.23,
//! `tlsmlkem` in 1.24, `tlssecpmlkem` in 1.26), and the Go documentation "Go, Backwards
//! Compatibility, and GODEBUG" (go.dev/doc/godebug). A binary without module
//! information (built in GOPATH mode or by Bazel) records no
//! `DefaultGODEBUG`; its report says so and assumes the toolchain's defaults.
//!
//! # What can still change the offer
//!
//! - A `GODEBUG` environment variable at run time overrides the built-in
//!   defaults setting by setting (later settings win). [`godebug_from_file`]
//!   reads it from a systemd unit, a Kubernetes manifest, a container image
//!   config, a Dockerfile or an environment file, and
//!   [`GoBinary::apply_runtime`] shows the offer with it applied.
//! - A program that sets `tls.Config.CurvePreferences` itself is not bound
//!   by these defaults (only probing it shows its real offer).
//! - FIPS modes (`GODEBUG=fips140=on|only`, `crypto/tls/fipsonly` in
//!   BoringCrypto builds) restrict the offer to FIPS-approved groups; the
//!   report flags them in its notes.

pub mod buildinfo;
pub mod godebug;
mod walk;

pub use godebug::{godebug_from_file, godebug_from_text, RuntimeGodebug};
pub use walk::{inspect_file, scan, Counts, FileError, ScanItem, SkipReason};

use crate::catalog::go::{default_curve_preferences, GoDebug};
use crate::wire::NamedGroup;
use buildinfo::{BuildInfo, Container};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The main module of a Go binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct MainModule {
    /// Module path (`k8s.io/kubernetes`).
    pub path: String,
    /// Module version (`v1.33.1`, or `(devel)` for a build from a checkout).
    pub version: String,
}

/// A default key-exchange offer: what a Go program's TLS clients offer and
/// its TLS servers accept, most preferred first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Offer {
    /// Every group, in preference order.
    pub groups: Vec<NamedGroup>,
    /// The post-quantum groups among them (empty when none).
    pub pq_groups: Vec<NamedGroup>,
}

/// The default offer of a program built with Go `1.go_minor` whose
/// effective GODEBUG is `godebug` (`a=1,b=0`; later settings win). Goes
/// through [`crate::catalog::go::default_curve_preferences`], the one rule
/// shared with the client profiles.
pub fn default_offer(go_minor: u32, godebug: &str) -> Offer {
    let groups = default_curve_preferences(go_minor, GoDebug::parse(godebug));
    let pq_groups = groups
        .iter()
        .copied()
        .filter(|g| g.is_post_quantum())
        .collect();
    Offer { groups, pq_groups }
}

/// The Go minor version in a recorded Go version string: 24 for `go1.24.2`,
/// `go1.24rc1`, `devel go1.24-abcdef ...` or `go1.24-20250101-RC00 ...`.
pub fn go_minor(version: &str) -> Option<u32> {
    let at = version.find("go1")?;
    let rest = &version[at + 3..];
    let Some(rest) = rest.strip_prefix('.') else {
        // Plain `go1` is Go 1.0.
        return rest
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_digit())
            .then_some(0);
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Joins the binary's default GODEBUG and a runtime GODEBUG the way the Go
/// runtime applies them: the environment variable wins, later settings win.
pub fn combine_godebug(default: &str, runtime: &str) -> String {
    match (default.is_empty(), runtime.is_empty()) {
        (true, _) => runtime.to_string(),
        (_, true) => default.to_string(),
        _ => format!("{default},{runtime}"),
    }
}

/// The offer with a runtime `GODEBUG` applied on top of the binary's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct RuntimeOffer {
    /// The runtime GODEBUG value.
    pub godebug: String,
    /// Where it was read from.
    pub source: String,
    /// The binary's default GODEBUG followed by the runtime value.
    pub effective_godebug: String,
    /// Every group offered with the runtime value applied.
    pub groups: Vec<NamedGroup>,
    /// The post-quantum groups among them.
    pub pq_groups: Vec<NamedGroup>,
    /// False when the Go version is not understood (no offer computed).
    #[serde(skip)]
    pub known: bool,
}

/// What one Go binary offers by default, and why: facts read from its
/// build info and the catalog's Go rules. `assess::binary` judges them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct GoBinary {
    /// The file, as reached by the walk.
    pub path: String,
    /// The Go version string exactly as recorded (`go1.24.2`).
    pub go_version: String,
    /// The Go minor version (`24`), when the version string has one.
    pub go_minor: Option<u32>,
    /// The main module, when recorded.
    pub main_module: Option<MainModule>,
    /// The main package's import path (`k8s.io/kubernetes/cmd/kubectl`).
    pub package_path: Option<String>,
    /// Every build setting (`-tags`, `CGO_ENABLED`, `DefaultGODEBUG`,
    /// `GOEXPERIMENT`, `vcs.revision`, ...); the last one wins if repeated.
    pub settings: BTreeMap<String, String>,
    /// The `DefaultGODEBUG` build setting: `""` when the binary has module
    /// information but no such setting (the toolchain's defaults apply),
    /// `None` when it has no module information at all (not recorded).
    pub default_godebug: Option<String>,
    /// Build tags (`-tags`).
    pub tags: Vec<String>,
    /// `CGO_ENABLED`, when recorded.
    pub cgo_enabled: Option<bool>,
    /// Go experiments (the `GOEXPERIMENT` setting and the ` X:` suffix of the
    /// version), e.g. `boringcrypto`.
    pub goexperiment: Vec<String>,
    /// `vcs.revision`, when recorded.
    pub vcs_revision: Option<String>,
    /// `vcs.modified`, when recorded.
    pub vcs_modified: Option<bool>,
    /// The executable format.
    pub container: Container,
    /// Every group of the default offer, most preferred first.
    pub default_groups: Vec<NamedGroup>,
    /// The post-quantum groups of the default offer (IANA names, empty when none).
    pub pq_default_groups: Vec<NamedGroup>,
    /// The offer with a runtime GODEBUG applied, when one was given. The
    /// report serialises it next to its verdict.
    #[serde(skip)]
    pub runtime: Option<RuntimeOffer>,
    /// How a runtime GODEBUG could change the offer.
    pub pq_note: String,
    /// Anything else that qualifies the verdict.
    pub notes: Vec<String>,
}

impl GoBinary {
    /// The facts of the binary at `path`, from its build info.
    pub fn new(path: &Path, info: &BuildInfo) -> Self {
        let settings: BTreeMap<String, String> = info.modinfo.settings.iter().cloned().collect();
        let go_minor = go_minor(&info.go_version);
        let default_godebug = info
            .has_module_info
            .then(|| info.setting("DefaultGODEBUG").unwrap_or("").to_string());
        let godebug = default_godebug.clone().unwrap_or_default();
        let offer = go_minor.map(|m| default_offer(m, &godebug));
        let mut goexperiment: Vec<String> = Vec::new();
        // The version ends in ` X:a,b` (older toolchains) or `-X:a,b`.
        let from_version = info.go_version.split_whitespace().filter_map(|w| {
            let at = w.find("X:")?;
            (at == 0 || w[..at].ends_with('-')).then(|| &w[at + 2..])
        });
        for list in info.setting("GOEXPERIMENT").into_iter().chain(from_version) {
            for e in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                if !goexperiment.iter().any(|x| x == e) {
                    goexperiment.push(e.to_string());
                }
            }
        }
        let tags = info
            .setting("-tags")
            .map(|t| {
                t.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let flag = |key: &str, yes: &str, no: &str| {
            info.setting(key).and_then(|v| {
                if v == yes {
                    Some(true)
                } else if v == no {
                    Some(false)
                } else {
                    None
                }
            })
        };
        let mut notes = Vec::new();
        if !info.has_module_info {
            notes.push(format!(
                "no module information recorded (built in GOPATH mode, by Bazel or a vendor toolchain): \
                 its DefaultGODEBUG is unknown, so the Go 1.{} toolchain defaults are assumed",
                go_minor.map_or("?".to_string(), |m| m.to_string())
            ));
        }
        if go_minor.is_none() {
            notes.push(format!(
                "Go version {:?} not understood: no default offer computed",
                info.go_version
            ));
        }
        notes.extend(fips_notes(go_minor, &godebug, &goexperiment, &settings));
        let (default_groups, pq_default_groups) = match offer {
            Some(o) => (o.groups, o.pq_groups),
            None => (Vec::new(), Vec::new()),
        };
        GoBinary {
            path: path.display().to_string(),
            go_version: info.go_version.clone(),
            go_minor,
            main_module: info.modinfo.main.as_ref().map(|m| MainModule {
                path: m.path.clone(),
                version: m.version.clone(),
            }),
            package_path: info.modinfo.path.clone(),
            default_godebug,
            tags,
            cgo_enabled: flag("CGO_ENABLED", "1", "0"),
            goexperiment,
            vcs_revision: info.setting("vcs.revision").map(str::to_string),
            vcs_modified: flag("vcs.modified", "true", "false"),
            container: info.container,
            default_groups,
            pq_default_groups,
            runtime: None,
            pq_note: pq_note(go_minor, GoDebug::parse(&godebug)),
            notes,
            settings,
        }
    }

    /// Applies a runtime GODEBUG (from the service's environment) on top of
    /// the binary's default GODEBUG and records the resulting offer in
    /// [`GoBinary::runtime`]. The default offer is left as it is.
    pub fn apply_runtime(&mut self, runtime: &RuntimeGodebug) {
        let effective = combine_godebug(
            self.default_godebug.as_deref().unwrap_or(""),
            &runtime.value,
        );
        let offer = self.go_minor.map(|m| default_offer(m, &effective));
        let fips = fips_notes(self.go_minor, &runtime.value, &[], &BTreeMap::new());
        for n in fips {
            if !self.notes.contains(&n) {
                self.notes.push(n);
            }
        }
        self.runtime = Some(RuntimeOffer {
            godebug: runtime.value.clone(),
            source: runtime.source.clone(),
            effective_godebug: effective,
            groups: offer.as_ref().map(|o| o.groups.clone()).unwrap_or_default(),
            pq_groups: offer
                .as_ref()
                .map(|o| o.pq_groups.clone())
                .unwrap_or_default(),
            known: offer.is_some(),
        });
    }

    /// True when the Go version is understood, so a default offer exists.
    pub fn offer_known(&self) -> bool {
        self.go_minor.is_some()
    }
}

/// How a runtime GODEBUG could change the default offer of a Go 1.minor
/// program whose built-in settings are `debug`.
fn pq_note(minor: Option<u32>, debug: GoDebug) -> String {
    const TAIL: &str =
        " (a GODEBUG environment variable overrides the built-in default at run time; \
                        a program that sets tls.Config.CurvePreferences uses its own list)";
    let Some(minor) = minor else {
        return format!("unknown Go version{TAIL}");
    };
    let head = match minor {
        0..=22 => "no post-quantum key exchange exists before Go 1.23 and no GODEBUG adds one: rebuild with Go 1.24 or later".to_string(),
        23 if debug.tlskyber_off => "tlskyber=0 is built in: GODEBUG=tlskyber=1 at run time would bring back only the obsolete X25519Kyber768Draft00; X25519MLKEM768 needs a rebuild with Go 1.24 or later".to_string(),
        23 => "offers only the obsolete X25519Kyber768Draft00 (GODEBUG=tlskyber=0 at run time removes it); X25519MLKEM768 needs a rebuild with Go 1.24 or later".to_string(),
        _ if debug.tlsmlkem_off => "tlsmlkem=0 is built in (usually a go.mod `go` line older than 1.24): GODEBUG=tlsmlkem=1 at run time, a `godebug tlsmlkem=1` line in go.mod or a newer go line restores X25519MLKEM768".to_string(),
        24 | 25 => "GODEBUG=tlsmlkem=0 at run time would remove X25519MLKEM768".to_string(),
        _ if debug.tlssecpmlkem_off => "tlssecpmlkem=0 is built in: X25519MLKEM768 only; GODEBUG=tlssecpmlkem=1 at run time adds SecP256r1MLKEM768 and SecP384r1MLKEM1024 (GODEBUG=tlsmlkem=0 would remove every ML-KEM group)".to_string(),
        _ => "GODEBUG=tlsmlkem=0 at run time would remove every ML-KEM group, tlssecpmlkem=0 the SecP256r1MLKEM768 and SecP384r1MLKEM1024 hybrids".to_string(),
    };
    format!("{head}{TAIL}")
}

/// Notes on FIPS modes, which narrow the default offer to FIPS-approved
/// groups (Go's `crypto/tls` `defaults_fips140.go` / `defaults_boring.go`
/// and, in Go 1.24, `defaults.go`).
fn fips_notes(
    minor: Option<u32>,
    godebug: &str,
    goexperiment: &[String],
    settings: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut out = Vec::new();
    let fips140 = godebug
        .split(',')
        .filter_map(|kv| kv.trim().split_once('='))
        .filter(|(k, _)| k.trim() == "fips140")
        .map(|(_, v)| v.trim())
        .next_back();
    if let Some(mode @ ("on" | "only")) = fips140 {
        let kept = match minor {
            Some(24) => "only P-256, P-384 and P-521: no post-quantum group",
            Some(25) => "X25519MLKEM768 and the P-curves (no x25519)",
            Some(m) if m >= 26 => {
                "X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024 and the P-curves (no x25519)"
            }
            _ => "FIPS-approved groups only",
        };
        out.push(format!(
            "GODEBUG fips140={mode}: Go's FIPS 140-3 mode restricts the offer to {kept}; the groups above do not reflect that"
        ));
    }
    if let Some(v) = settings.get("GOFIPS140").filter(|v| *v != "off") {
        out.push(format!(
            "built with GOFIPS140={v} (FIPS 140-3 module); FIPS mode applies when GODEBUG fips140=on or only"
        ));
    }
    if goexperiment.iter().any(|e| e == "boringcrypto") {
        out.push(
            "built with GOEXPERIMENT=boringcrypto: if the program imports crypto/tls/fipsonly, it offers only P-256, P-384 and P-521 (no post-quantum group), whatever the groups above say"
                .to_string(),
        );
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use buildinfo::{Format, ModInfo, Module};

    /// Build info of a module built with Go `version` and `godebug`.
    pub(crate) fn info(version: &str, godebug: Option<&str>) -> BuildInfo {
        let mut settings = vec![("CGO_ENABLED".to_string(), "0".to_string())];
        if let Some(g) = godebug {
            settings.push(("DefaultGODEBUG".into(), g.into()));
        }
        BuildInfo {
            go_version: version.into(),
            has_module_info: true,
            modinfo: ModInfo {
                go_version: None,
                path: Some("example.com/cmd".into()),
                main: Some(Module {
                    path: "example.com".into(),
                    version: "(devel)".into(),
                    sum: None,
                    replace: None,
                }),
                deps: vec![],
                settings,
            },
            container: Container::Elf64,
            format: Format::Inline,
            pointer_size: 8,
        }
    }

    #[test]
    fn reads_the_go_minor_version() {
        assert_eq!(go_minor("go1.24.2"), Some(24));
        assert_eq!(go_minor("go1.23.1 X:nocoverageredesign"), Some(23));
        assert_eq!(
            go_minor("go1.25-20250209-RC00 cl/724970549 +ff27d270c9 X:fieldtrack,boringcrypto"),
            Some(25)
        );
        assert_eq!(go_minor("devel go1.27-abcdef Tue Jan 1"), Some(27));
        assert_eq!(go_minor("go1.26rc1"), Some(26));
        assert_eq!(go_minor("go1.26.11-X:jsonv2"), Some(26));
        assert_eq!(go_minor("go1"), Some(0));
        assert_eq!(go_minor("weird"), None);
    }

    #[test]
    fn computes_default_offers_through_the_shared_rule() {
        let r = |v, g: Option<&str>| GoBinary::new(Path::new("/x"), &info(v, g));
        assert!(r("go1.22.12", None).pq_default_groups.is_empty());
        let mlkem = r("go1.24.2", None);
        assert_eq!(mlkem.pq_default_groups, [NamedGroup::X25519MLKEM768]);
        assert_eq!(mlkem.default_godebug.as_deref(), Some(""));
        assert_eq!(r("go1.26.1", None).pq_default_groups.len(), 3);
        assert_eq!(
            r("go1.26.1", Some("tlssecpmlkem=0")).pq_default_groups,
            [NamedGroup::X25519MLKEM768]
        );
        let mut rt = r("go1.24.0", Some("tlsmlkem=0"));
        assert!(rt.pq_default_groups.is_empty());
        rt.apply_runtime(&RuntimeGodebug {
            value: "tlsmlkem=1".into(),
            source: "etcd.service".into(),
        });
        let offer = rt.runtime.as_ref().unwrap();
        assert_eq!(offer.effective_godebug, "tlsmlkem=0,tlsmlkem=1");
        assert_eq!(offer.pq_groups, [NamedGroup::X25519MLKEM768]);
        assert_eq!(combine_godebug("", "a=1"), "a=1");
        assert_eq!(combine_godebug("a=1", ""), "a=1");
    }

    #[test]
    fn flags_missing_module_information_and_fips() {
        let mut i = info("go1.25-20250209-RC00 X:fieldtrack,boringcrypto", None);
        i.has_module_info = false;
        i.modinfo = ModInfo::default();
        let r = GoBinary::new(Path::new("/x"), &i);
        assert_eq!(r.default_godebug, None);
        assert_eq!(r.goexperiment, ["fieldtrack", "boringcrypto"]);
        assert_eq!(r.pq_default_groups, [NamedGroup::X25519MLKEM768]);
        assert!(r.notes.iter().any(|n| n.contains("no module information")));
        assert!(r.notes.iter().any(|n| n.contains("boringcrypto")));
        let r = GoBinary::new(Path::new("/x"), &info("go1.24.1", Some("fips140=on")));
        assert!(r.notes.iter().any(|n| n.contains("no post-quantum group")));
        let r = GoBinary::new(
            Path::new("/x"),
            &info("go1.26.11-X:jsonv2,greenteagc", None),
        );
        assert_eq!(r.goexperiment, ["jsonv2", "greenteagc"]);
    }
}
