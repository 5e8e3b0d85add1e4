//! `pqready binaries` on real Go programs: the kubectl 1.27–1.33 builds and
//! the other Go tools shipped in the Google Cloud SDK directory next to the
//! host's `kubectl`, Debian's etcd and Go toolchains from the peer prefix
//! (`scripts/install-peers`), and programs these tests build with the peer
//! prefix's Go 1.22–1.27 toolchains (with current and old go.mod `go` lines,
//! a go.mod `godebug` line, a `//go:debug` directive, and cross-compiled
//! for Mach-O, PE, 32-bit and big-endian targets).
//!
//! The expectations were read once with `go version -m` (Go 1.26 from the
//! peer prefix) and are hard-coded; every built program is also compared
//! with `go version -m` as an independent oracle, and run, so that the
//! predicted default offer is checked against the ClientHello the program
//! really sends (tests/peers/oldgomod prints it, over an in-memory pipe).
//!
//! Without the peers or the SDK directory each test skips with one line;
//! `scripts/test` (PQREADY_REQUIRE_PEERS=1) fails instead.

use pqready::assess::OfferVerdict;
use pqready::catalog;
use pqready::gobin::buildinfo::{self, Container};
use pqready::gobin::{self, Counts, GoBinary, RuntimeGodebug, ScanItem, SkipReason};
use pqready::report::binaries::BinaryReport;
use pqready::wire::NamedGroup;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use OfferVerdict::{Classical, DraftOnly, Pq};

use crate::support;

const MLKEM: NamedGroup = NamedGroup::X25519MLKEM768;
const KYBER: NamedGroup = NamedGroup::X25519KYBER768DRAFT00;
const SECP_HYBRIDS: [NamedGroup; 3] = [
    NamedGroup::X25519MLKEM768,
    NamedGroup::SECP256R1MLKEM768,
    NamedGroup::SECP384R1MLKEM1024,
];

// ---------------------------------------------------------------- helpers

/// The peer prefix (tests/it/support/peers.rs); panics with a pointer to
/// scripts/install-peers if absent. Tests call [`require`] first.
fn peers() -> PathBuf {
    let dir = support::peers::peers_dir();
    assert!(
        dir.join("bin/go1.26").is_file() && dir.join("usr/bin/etcd").is_file(),
        "peer prefix {} is missing or incomplete: run scripts/install-peers",
        dir.display()
    );
    dir
}

/// The directory that really holds `kubectl` and the kubectl.1.NN builds.
fn sdk_dir() -> PathBuf {
    let dir = support::peers::kubectl_dir()
        .expect("kubectl is not on PATH: these tests need the machine's kubectl builds");
    assert!(
        dir.join("kubectl.1.27").is_file() && dir.join("kubectl.1.33").is_file(),
        "{} has no kubectl.1.27 … kubectl.1.33 builds",
        dir.display()
    );
    dir
}

/// The kubectl builds of the SDK directory (which holds the other Go tools too).
const SDK: [&str; 7] = [
    "kubectl.1.27",
    "kubectl.1.28",
    "kubectl.1.29",
    "kubectl.1.30",
    "kubectl.1.31",
    "kubectl.1.32",
    "kubectl.1.33",
];
/// The peer prefix's Go toolchains ([`built`] uses each; `go version -m` is go1.26).
const GO: [&str; 6] = ["go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"];
/// What [`peers`] checks: every test that uses the peer prefix needs these.
const PREFIX: [&str; 2] = ["go1.26", "usr/bin/etcd"];
/// Debian's etcd in the peer prefix: the wrapper and the real programs.
const ETCD: [&str; 4] = ["etcd", "usr/bin/etcd", "usr/bin/etcdctl", "usr/bin/etcdutl"];

/// [`support::peers::require`] for the union of `needs`: false (skip) when
/// something is missing.
fn require(needs: &[&[&str]]) -> bool {
    support::peers::require(&needs.concat())
}

/// The exact version of the peer prefix's Go 1.minor toolchain (its GOROOT/VERSION).
fn toolchain_version(minor: u32) -> String {
    let file = peers().join(format!("usr/lib/go-1.{minor}/VERSION"));
    let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let version = text.lines().next().unwrap_or("").trim().to_string();
    assert!(
        version.starts_with(&format!("go1.{minor}")),
        "{}: unexpected version {version:?}",
        file.display()
    );
    version
}

/// The facts of one file, which must be a Go binary.
fn binary(path: &Path) -> GoBinary {
    match gobin::inspect_file(path) {
        ScanItem::Binary(r) => *r,
        other => panic!("{}: expected a Go binary, got {other:?}", path.display()),
    }
}

/// The report (facts and verdicts) for one file, which must be a Go binary.
fn report(path: &Path) -> BinaryReport {
    judged(binary(path))
}

/// Facts judged by the default judge, as `pqready binaries` reports them.
fn judged(binary: pqready::gobin::GoBinary) -> BinaryReport {
    let (verdict, findings) = pqready::assess::Judge::default().binary(&binary, &binary.path);
    BinaryReport::new(binary, verdict, findings)
}

/// The report with a runtime GODEBUG applied.
fn report_with(path: &Path, runtime: &RuntimeGodebug) -> BinaryReport {
    let mut facts = binary(path);
    facts.apply_runtime(runtime);
    judged(facts)
}

fn godebug(r: &BinaryReport) -> &str {
    r.default_godebug
        .as_deref()
        .unwrap_or_else(|| panic!("{}: no module information", r.path))
}

/// What `go version -m` (Go 1.26 of the peer prefix) says: the version and
/// the module information lines.
struct Oracle {
    version: String,
    path: Option<String>,
    main: Option<(String, String)>,
    settings: BTreeMap<String, String>,
}

fn oracle(file: &Path) -> Oracle {
    let out = Command::new(peers().join("bin/go1.26"))
        .args(["version", "-m"])
        .arg(file)
        .env_remove("GODEBUG")
        .output()
        .expect("go version -m runs");
    assert!(
        out.status.success(),
        "go version -m {}: {:?}",
        file.display(),
        out
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines();
    let first = lines.next().expect("a first line");
    let version = first.split_once(": ").expect("FILE: VERSION").1.to_string();
    // The other lines are the module information, indented by one tab.
    let body: String = lines
        .map(|l| l.strip_prefix('\t').unwrap_or(l).to_string() + "\n")
        .collect();
    let info = buildinfo::parse_modinfo(&body);
    Oracle {
        version,
        path: info.path,
        main: info.main.map(|m| (m.path, m.version)),
        settings: info.settings.into_iter().collect(),
    }
}

/// Checks a report against `go version -m`, field by field.
fn assert_matches_oracle(r: &BinaryReport) {
    let o = oracle(Path::new(&r.path));
    assert_eq!(r.go_version, o.version, "{}: Go version", r.path);
    assert_eq!(r.package_path, o.path, "{}: path", r.path);
    assert_eq!(
        r.main_module
            .as_ref()
            .map(|m| (m.path.clone(), m.version.clone())),
        o.main,
        "{}: main module",
        r.path
    );
    assert_eq!(r.settings, o.settings, "{}: build settings", r.path);
}

/// A report whose default offer must be `verdict` with exactly `pq` as the
/// post-quantum groups, and whose whole group list is the shared rule's.
fn assert_offer(r: &BinaryReport, verdict: OfferVerdict, pq: &[NamedGroup]) {
    assert_eq!(r.verdict, Some(verdict), "{}: verdict", r.path);
    assert_eq!(r.pq_default_groups, pq, "{}: post-quantum groups", r.path);
    let minor = r.go_minor.expect("a Go minor version");
    let rule = catalog::go::default_curve_preferences(
        minor,
        catalog::go::GoDebug::parse(r.default_godebug.as_deref().unwrap_or("")),
    );
    assert_eq!(r.default_groups, rule, "{}: the shared rule", r.path);
}

// ------------------------------------------------------------- kubectl

const K127_GODEBUG: &str =
    "httplaxcontentlength=1,httpmuxgo121=1,panicnil=1,tls10server=1,tlsrsakex=1,tlsunsafeekm=1";
const K129_GODEBUG: &str =
    "httplaxcontentlength=1,httpmuxgo121=1,tls10server=1,tlsrsakex=1,tlsunsafeekm=1";
const K130_GODEBUG: &str = "asynctimerchan=1,gotypesalias=0,httpservecontentkeepheaders=1,tls3des=1,tlskyber=0,winreadlinkvolume=0,winsymlink=0,x509keypairleaf=0,x509negativeserial=1";

struct Kubectl {
    version: &'static str,
    go: &'static str,
    godebug: &'static str,
    verdict: OfferVerdict,
    pq: &'static [NamedGroup],
    module_version: &'static str,
    revision: &'static str,
}

const KUBECTL: [Kubectl; 7] = [
    Kubectl {
        version: "1.27",
        go: "go1.22.5",
        godebug: K127_GODEBUG,
        verdict: Classical,
        pq: &[],
        module_version: "(devel)",
        revision: "cbb86e0d7f4a049666fac0551e8b02ef3d6c3d9a",
    },
    Kubectl {
        version: "1.28",
        go: "go1.22.8",
        godebug: K127_GODEBUG,
        verdict: Classical,
        pq: &[],
        module_version: "(devel)",
        revision: "841856557ef0f6a399096c42635d114d6f2cf7f4",
    },
    Kubectl {
        version: "1.29",
        go: "go1.22.12",
        godebug: K129_GODEBUG,
        verdict: Classical,
        pq: &[],
        module_version: "(devel)",
        revision: "4f359b2e16764ab5e175195ee6992dfb53b36acf",
    },
    // go.mod `go 1.22.0` built with Go 1.23: tlskyber=0, no post-quantum group.
    Kubectl {
        version: "1.30",
        go: "go1.23.8",
        godebug: K130_GODEBUG,
        verdict: Classical,
        pq: &[],
        module_version: "(devel)",
        revision: "50af91c466658b6a33d123fae8a487db1630971c",
    },
    Kubectl {
        version: "1.31",
        go: "go1.23.8",
        godebug: K130_GODEBUG,
        verdict: Classical,
        pq: &[],
        module_version: "(devel)",
        revision: "8f3800390d488f54f74111f22973059e133f9cba",
    },
    Kubectl {
        version: "1.32",
        go: "go1.23.8",
        godebug: "winsymlink=0",
        verdict: DraftOnly,
        pq: &[KYBER],
        module_version: "(devel)",
        revision: "9894294ef13a5b32803e3ca2c0d620a088cc84d1",
    },
    Kubectl {
        version: "1.33",
        go: "go1.24.2",
        godebug: "",
        verdict: Pq,
        pq: &[MLKEM],
        module_version: "v1.33.1",
        revision: "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828",
    },
];

#[test]
fn kubectl_builds_1_27_to_1_33() {
    if !require(&[&SDK]) {
        return;
    }
    let dir = sdk_dir();
    for k in &KUBECTL {
        let file = dir.join(format!("kubectl.{}", k.version));
        let r = report(&file);
        assert_eq!(r.go_version, k.go, "{}", r.path);
        assert_eq!(godebug(&r), k.godebug, "{}", r.path);
        assert_offer(&r, k.verdict, k.pq);
        assert_eq!(
            r.package_path.as_deref(),
            Some("k8s.io/kubernetes/cmd/kubectl")
        );
        let main = r.main_module.as_ref().expect("a main module");
        assert_eq!(
            (main.path.as_str(), main.version.as_str()),
            ("k8s.io/kubernetes", k.module_version)
        );
        assert_eq!(r.tags, ["selinux", "notest"]);
        assert_eq!(r.cgo_enabled, Some(false));
        assert_eq!(r.vcs_revision.as_deref(), Some(k.revision));
        assert_eq!(r.vcs_modified, Some(false));
        assert_eq!(
            r.settings.get("-trimpath").map(String::as_str),
            Some("true")
        );
        assert_eq!(r.container, Container::Elf64);
        assert!(r.notes.is_empty(), "{}: {:?}", r.path, r.notes);

        // The client profile of this release offers exactly what the binary does.
        let minor: u32 = k.version[2..].parse().unwrap();
        let id = format!("kubectl1.{minor}");
        let profile = catalog::profile::all()
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("no profile {id}"));
        assert_eq!(
            profile.groups, r.default_groups,
            "profile {id} vs {}",
            r.path
        );
        assert_eq!(
            Some(catalog::kubernetes::build(minor).unwrap().go_minor),
            r.go_minor
        );

        // Reading through the file and through a slice agree.
        let bytes = fs::read(&file).unwrap();
        let from_slice = buildinfo::parse(&bytes).unwrap().unwrap();
        assert_eq!(Some(from_slice), buildinfo::read_file(&file).unwrap());
    }
}

// ------------------------------------------- the Google Cloud SDK directory

const SDK_TOOLS_GODEBUG_124: &str =
    "gotestjsonbuildtext=1,multipathtcp=0,randseednop=0,rsa1024min=0,tlsmlkem=0,x509rsacrt=0,x509usepolicies=0";
const KPT_GODEBUG: &str = "asynctimerchan=1,gotypesalias=0,httplaxcontentlength=1,httpmuxgo121=1,httpservecontentkeepheaders=1,tls10server=1,tls3des=1,tlskyber=0,tlsrsakex=1,tlsunsafeekm=1,winreadlinkvolume=0,winsymlink=0,x509keypairleaf=0,x509negativeserial=1";

#[test]
fn google_cloud_sdk_go_tools() {
    if !require(&[&SDK, &PREFIX]) {
        return;
    }
    let dir = sdk_dir();
    let mut binaries = BTreeMap::new();
    let mut skipped = Vec::new();
    let counts = gobin::scan(&[&dir], false, |item| match item {
        ScanItem::Binary(r) => {
            let rel = Path::new(&r.path)
                .strip_prefix(&dir)
                .unwrap()
                .display()
                .to_string();
            binaries.insert(rel, judged(*r));
        }
        ScanItem::Skipped { path, reason } => {
            skipped.push((
                path.strip_prefix(&dir).unwrap().display().to_string(),
                reason,
            ));
        }
        ScanItem::Error { path, error } => panic!("{}: {error}", path.display()),
    });
    let names: Vec<&str> = binaries.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "anthoscli",
            "cbt",
            "cloud_spanner_emulator/gateway_main",
            "gcloud-crc32c",
            "gke-gcloud-auth-plugin",
            "kpt",
            "kubectl",
            "kubectl.1.27",
            "kubectl.1.28",
            "kubectl.1.29",
            "kubectl.1.30",
            "kubectl.1.31",
            "kubectl.1.32",
            "kubectl.1.33",
            "local-extract",
        ]
    );
    assert_eq!(counts.go_binaries, 15);
    assert_eq!(counts.errors, 0);
    assert_eq!(counts.skipped as usize, skipped.len());
    for not_go in [
        "bq",
        "gcloud",
        "gsutil",
        "dev_appserver.py",
        "docker-credential-gcloud",
        "git-credential-gcloud.sh",
        "java_dev_appserver.sh",
        "bootstrapping/bootstrapping.py",
        // A C++ program: an ELF without any Go section.
        "cloud_spanner_emulator/emulator_main",
    ] {
        assert!(
            skipped.contains(&(not_go.to_string(), SkipReason::NotGo)),
            "{not_go} should be skipped as not Go: {skipped:?}"
        );
    }

    // Go 1.24 builds that still carry tlsmlkem=0 (an old go.mod line): classical.
    for name in ["anthoscli", "cbt"] {
        let r = &binaries[name];
        assert_eq!(godebug(r), SDK_TOOLS_GODEBUG_124, "{name}");
        assert_offer(r, Classical, &[]);
    }
    assert_eq!(binaries["anthoscli"].go_version, "go1.24.2");
    assert_eq!(
        binaries["anthoscli"].package_path.as_deref(),
        Some("command-line-arguments")
    );
    assert_eq!(binaries["anthoscli"].main_module, None);
    let cbt = &binaries["cbt"];
    assert_eq!(cbt.go_version, "go1.24.1");
    let main = cbt.main_module.as_ref().unwrap();
    assert_eq!(main.path, "cloud.google.com/go/cbt");
    assert_eq!(main.version, "v0.0.0-20250422202024-9eeb4a7a08b6+dirty");
    assert_eq!(
        cbt.vcs_revision.as_deref(),
        Some("9eeb4a7a08b6a12e204ec8972664cf970b6cf637")
    );
    assert_eq!(cbt.vcs_modified, Some(true));
    assert_eq!(
        cbt.settings["-ldflags"],
        "-X \"main.version=1.23.2\"          -X \"main.revision=9eeb4a7\"          -X \"main.revisionDate=2025-04-22 20:49:45\"          -X \"main.cliUserAgent=cbt-cli-go/1.23.2 9eeb4a7 2025-04-22 20:49:45\"",
        "a quoted build setting"
    );

    // Go 1.24.4, no DefaultGODEBUG: X25519MLKEM768. A cgo build.
    let crc = &binaries["gcloud-crc32c"];
    assert_eq!(crc.go_version, "go1.24.4");
    assert_eq!(godebug(crc), "");
    assert_eq!(crc.cgo_enabled, Some(true));
    assert_offer(crc, Pq, &[MLKEM]);

    // Go 1.23.6 with tlskyber=0: classical.
    let kpt = &binaries["kpt"];
    assert_eq!(kpt.go_version, "go1.23.6");
    assert_eq!(godebug(kpt), KPT_GODEBUG);
    assert_offer(kpt, Classical, &[]);
    assert_eq!(
        kpt.main_module.as_ref().unwrap().path,
        "github.com/GoogleContainerTools/kpt"
    );

    // The SDK's kubectl dispatcher: Go 1.23.8 without tlskyber=0 → the draft.
    let k = &binaries["kubectl"];
    assert_eq!(k.go_version, "go1.23.8");
    assert_eq!(godebug(k), "winsymlink=0");
    assert_eq!(
        k.package_path.as_deref(),
        Some("k8s.io/kubernetes/cmd/kubectl-sdk")
    );
    assert_offer(k, DraftOnly, &[KYBER]);

    // Built outside module mode: only the version is recorded, the
    // toolchain's defaults are assumed and the report says so.
    let no_modinfo = [
        (
            "gke-gcloud-auth-plugin",
            "go1.23.1 X:nocoverageredesign",
            DraftOnly,
            &[KYBER][..],
            &["nocoverageredesign"][..],
        ),
        (
            "cloud_spanner_emulator/gateway_main",
            "go1.21.11 X:nocoverageredesign",
            Classical,
            &[][..],
            &["nocoverageredesign"][..],
        ),
        (
            "local-extract",
            "go1.25-20250209-RC00 cl/724970549 +ff27d270c9 X:fieldtrack,boringcrypto",
            Pq,
            &[MLKEM][..],
            &["fieldtrack", "boringcrypto"][..],
        ),
    ];
    for (name, version, verdict, pq, experiments) in no_modinfo {
        let r = &binaries[name];
        assert_eq!(r.go_version, version, "{name}");
        assert_eq!(r.default_godebug, None, "{name}");
        assert!(r.settings.is_empty() && r.main_module.is_none(), "{name}");
        assert_eq!(r.goexperiment, experiments, "{name}");
        assert_offer(r, verdict, pq);
        assert!(
            r.notes.iter().any(|n| n.contains("no module information")),
            "{name}: {:?}",
            r.notes
        );
    }
    assert!(binaries["local-extract"]
        .notes
        .iter()
        .any(|n| n.contains("boringcrypto")));

    // Everything agrees with `go version -m`.
    for r in binaries.values() {
        assert_matches_oracle(r);
    }
}

// ------------------------------------------ Debian etcd and Go toolchains

const ETCD_GODEBUG: &str = "asynctimerchan=1,gotestjsonbuildtext=1,gotypesalias=0,httplaxcontentlength=1,httpmuxgo121=1,httpservecontentkeepheaders=1,multipathtcp=0,netedns0=0,panicnil=1,randseednop=0,rsa1024min=0,tls10server=1,tls3des=1,tlsmlkem=0,tlsrsakex=1,tlsunsafeekm=1,winreadlinkvolume=0,winsymlink=0,x509keypairleaf=0,x509negativeserial=1,x509rsacrt=0,x509usepolicies=0";

/// The real etcd behind the prefix's `bin/etcd` wrapper: the path its exec
/// line names, relative to the prefix.
fn real_etcd() -> PathBuf {
    let p = peers();
    let wrapper = fs::read_to_string(p.join("bin/etcd")).expect("bin/etcd wrapper");
    let target = wrapper
        .split_whitespace()
        .filter_map(|w| w.trim_matches('"').strip_prefix("$P/"))
        .find(|w| w.ends_with("/etcd"))
        .expect("the wrapper execs $P/.../etcd");
    p.join(target)
}

#[test]
fn debian_etcd_carries_tlsmlkem_0() {
    if !require(&[&PREFIX, &ETCD]) {
        return;
    }
    let p = peers();
    // The wrapper is a shell script: not Go, skipped quietly.
    assert_eq!(
        gobin::inspect_file(&p.join("bin/etcd")),
        ScanItem::Skipped {
            path: p.join("bin/etcd"),
            reason: SkipReason::NotGo
        }
    );
    let etcd = real_etcd();
    assert_eq!(etcd, p.join("usr/bin/etcd"));
    for (file, package) in [
        (etcd, "go.etcd.io/etcd/server"),
        (p.join("usr/bin/etcdctl"), "go.etcd.io/etcd/etcdctl"),
        (p.join("usr/bin/etcdutl"), "go.etcd.io/etcd/etcdutl"),
    ] {
        let r = report(&file);
        // Debian trixie's etcd 3.5.16: Go 1.24.0, but a module line old
        // enough to turn X25519MLKEM768 off.
        assert_eq!(r.go_version, "go1.24.0", "{}", r.path);
        assert_eq!(godebug(&r), ETCD_GODEBUG, "{}", r.path);
        assert_offer(&r, Classical, &[]);
        assert_eq!(r.package_path.as_deref(), Some(package));
        assert_eq!(r.main_module, None);
        assert_eq!(r.cgo_enabled, Some(true));
        assert!(r.pq_note.contains("GODEBUG=tlsmlkem=1"), "{}", r.pq_note);
        assert_matches_oracle(&r);
    }
}

#[test]
fn debian_go_toolchains() {
    if !require(&[&PREFIX, &GO]) {
        return;
    }
    let p = peers();
    let cases: [(u32, Option<&str>, OfferVerdict, &[NamedGroup]); 6] = [
        (22, Some("httplaxcontentlength=1,httpmuxgo121=1,netedns0=0,panicnil=1,tls10server=1,tlsrsakex=1,tlsunsafeekm=1"), Classical, &[]),
        // Debian's Go 1.23 `go` command is built with tlskyber=0.
        (23, Some("asynctimerchan=1,gotypesalias=0,httplaxcontentlength=1,httpmuxgo121=1,httpservecontentkeepheaders=1,netedns0=0,panicnil=1,tls10server=1,tls3des=1,tlskyber=0,tlsrsakex=1,tlsunsafeekm=1,winreadlinkvolume=0,winsymlink=0,x509keypairleaf=0,x509negativeserial=1"), Classical, &[]),
        (24, Some(""), Pq, &[MLKEM]),
        (25, Some(""), Pq, &[MLKEM]),
        (26, Some(""), Pq, &SECP_HYBRIDS),
        (27, Some(""), Pq, &SECP_HYBRIDS),
    ];
    for (minor, default_godebug, verdict, pq) in cases {
        for tool in ["go", "gofmt"] {
            let r = report(&p.join(format!("usr/lib/go-1.{minor}/bin/{tool}")));
            assert_eq!(r.go_version, toolchain_version(minor), "{}", r.path);
            assert_eq!(r.default_godebug.as_deref(), default_godebug, "{}", r.path);
            assert_eq!(r.package_path, Some(format!("cmd/{tool}")));
            assert_eq!(r.settings["-gcflags"], "cmd/...=-dwarf=false");
            assert_offer(&r, verdict, pq);
            assert_matches_oracle(&r);
        }
    }
}

// ------------------------------------------------- programs built here

/// One program built by these tests.
struct Build {
    name: &'static str,
    /// Go toolchain minor version.
    go: u32,
    /// The go.mod `go` line.
    go_line: &'static str,
    /// Extra go.mod lines.
    go_mod_extra: &'static str,
    /// A `//go:debug` directive for main.go.
    directive: Option<&'static str>,
    /// The expected default offer.
    verdict: OfferVerdict,
    pq: &'static [NamedGroup],
    /// TLS switches expected in DefaultGODEBUG (`None`: no DefaultGODEBUG at all).
    tls_switches: Option<&'static [&'static str]>,
}

const BUILDS: [Build; 13] = [
    Build {
        name: "go1.22",
        go: 22,
        go_line: "1.22",
        go_mod_extra: "",
        directive: None,
        verdict: Classical,
        pq: &[],
        tls_switches: None,
    },
    Build {
        name: "go1.23",
        go: 23,
        go_line: "1.23",
        go_mod_extra: "",
        directive: None,
        verdict: DraftOnly,
        pq: &[KYBER],
        tls_switches: None,
    },
    Build {
        name: "go1.24",
        go: 24,
        go_line: "1.24",
        go_mod_extra: "",
        directive: None,
        verdict: Pq,
        pq: &[MLKEM],
        tls_switches: None,
    },
    Build {
        name: "go1.25",
        go: 25,
        go_line: "1.25",
        go_mod_extra: "",
        directive: None,
        verdict: Pq,
        pq: &[MLKEM],
        tls_switches: None,
    },
    Build {
        name: "go1.26",
        go: 26,
        go_line: "1.26",
        go_mod_extra: "",
        directive: None,
        verdict: Pq,
        pq: &SECP_HYBRIDS,
        tls_switches: None,
    },
    // Go 1.27 keeps Go 1.26's groups (MLKEM1024 stays off by default).
    Build {
        name: "go1.27",
        go: 27,
        go_line: "1.27",
        go_mod_extra: "",
        directive: None,
        verdict: Pq,
        pq: &SECP_HYBRIDS,
        tls_switches: None,
    },
    // Old go.mod lines: the GODEBUG defaults of the older release.
    Build {
        name: "go1.23-mod1.22",
        go: 23,
        go_line: "1.22",
        go_mod_extra: "",
        directive: None,
        verdict: Classical,
        pq: &[],
        tls_switches: Some(&["tls3des=1", "tlskyber=0"]),
    },
    Build {
        name: "go1.24-mod1.22",
        go: 24,
        go_line: "1.22",
        go_mod_extra: "",
        directive: None,
        verdict: Classical,
        pq: &[],
        tls_switches: Some(&["tls3des=1", "tlsmlkem=0"]),
    },
    Build {
        name: "go1.26-mod1.24",
        go: 26,
        go_line: "1.24",
        go_mod_extra: "",
        directive: None,
        verdict: Pq,
        pq: &[MLKEM],
        tls_switches: Some(&["tlssecpmlkem=0", "tlssha1=1"]),
    },
    Build {
        name: "go1.26-mod1.21",
        go: 26,
        go_line: "1.21",
        go_mod_extra: "",
        directive: None,
        verdict: Classical,
        pq: &[],
        tls_switches: Some(&[
            "tls10server=1",
            "tls3des=1",
            "tlsmlkem=0",
            "tlsrsakex=1",
            "tlssecpmlkem=0",
            "tlssha1=1",
            "tlsunsafeekm=1",
        ]),
    },
    Build {
        name: "go1.27-mod1.24",
        go: 27,
        go_line: "1.24",
        go_mod_extra: "",
        directive: None,
        verdict: Pq,
        pq: &[MLKEM],
        tls_switches: Some(&["tlssecpmlkem=0", "tlssha1=1"]),
    },
    // A go.mod `godebug` line overrides the old go line's default.
    Build {
        name: "go1.24-mod1.22-godebug",
        go: 24,
        go_line: "1.22",
        go_mod_extra: "godebug tlsmlkem=1\n",
        directive: None,
        verdict: Pq,
        pq: &[MLKEM],
        tls_switches: Some(&["tls3des=1", "tlsmlkem=1"]),
    },
    // A //go:debug directive in the main package is folded in too.
    Build {
        name: "go1.26-directive",
        go: 26,
        go_line: "1.26",
        go_mod_extra: "",
        directive: Some("tlsmlkem=0"),
        verdict: Classical,
        pq: &[],
        tls_switches: Some(&["tlsmlkem=0"]),
    },
];

fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gobin")
}

/// Runs the peer prefix's `go1.minor` with a clean Go environment.
fn go(minor: u32, dir: &Path) -> Command {
    let mut cmd = Command::new(peers().join(format!("bin/go1.{minor}")));
    cmd.current_dir(dir).env("CGO_ENABLED", "0");
    for var in [
        "GOOS",
        "GOARCH",
        "GOEXPERIMENT",
        "GODEBUG",
        "GOFLAGS",
        "GOTOOLCHAIN",
        "GOWORK",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Builds every program of [`BUILDS`] once per test run; returns name → binary.
fn built() -> &'static BTreeMap<&'static str, PathBuf> {
    static BUILT: OnceLock<BTreeMap<&'static str, PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/oldgomod/main.go");
        let source = fs::read_to_string(&source).expect("tests/peers/oldgomod/main.go");
        let root = scratch().join("builds");
        let mut out = BTreeMap::new();
        for b in &BUILDS {
            let dir = root.join(b.name);
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            let main = match b.directive {
                Some(d) => format!("//go:debug {d}\n\n{source}"),
                None => source.clone(),
            };
            fs::write(dir.join("main.go"), main).unwrap();
            fs::write(
                dir.join("go.mod"),
                format!(
                    "module example.com/oldgomod\n\ngo {}\n{}",
                    b.go_line, b.go_mod_extra
                ),
            )
            .unwrap();
            let bin = root.join(format!("{}.bin", b.name));
            run_ok(
                go(b.go, &dir)
                    .args(["build", "-trimpath", "-buildvcs=false", "-o"])
                    .arg(&bin)
                    .arg("."),
            );
            out.insert(b.name, bin);
        }
        out
    })
}

/// The groups a built oldgomod program really offers, with `godebug` in its
/// environment (none when `None`).
fn offered(bin: &Path, godebug: Option<&str>) -> Vec<NamedGroup> {
    let mut cmd = Command::new(bin);
    cmd.env_remove("GODEBUG");
    if let Some(g) = godebug {
        cmd.env("GODEBUG", g);
    }
    let out = run_ok(&mut cmd);
    let list = out
        .trim()
        .strip_prefix("groups ")
        .unwrap_or_else(|| panic!("{}: unexpected output {out:?}", bin.display()));
    list.split(',')
        .map(|n| NamedGroup(n.parse().expect("a group id")))
        .collect()
}

#[test]
fn programs_built_with_go_1_22_to_1_27_and_old_go_mod_lines() {
    if !require(&[&PREFIX, &GO]) {
        return;
    }
    let built = built();
    for b in &BUILDS {
        let r = report(&built[b.name]);
        assert_eq!(r.go_version, toolchain_version(b.go), "{}", b.name);
        assert_eq!(r.go_minor, Some(b.go));
        let godebug = godebug(&r);
        match b.tls_switches {
            None => assert_eq!(godebug, "", "{}", b.name),
            Some(switches) => {
                let tls: Vec<&str> = godebug
                    .split(',')
                    .filter(|kv| kv.starts_with("tls"))
                    .collect();
                assert_eq!(tls, switches, "{}: {godebug}", b.name);
            }
        }
        assert_offer(&r, b.verdict, b.pq);
        assert_eq!(r.package_path.as_deref(), Some("example.com/oldgomod"));
        assert_eq!(
            r.main_module
                .as_ref()
                .map(|m| (m.path.as_str(), m.version.as_str())),
            Some(("example.com/oldgomod", "(devel)"))
        );
        assert_eq!(r.cgo_enabled, Some(false));
        assert_matches_oracle(&r);
        // What the program really sends is what the build info predicts.
        assert_eq!(
            offered(&built[b.name], None),
            r.default_groups,
            "{}: real ClientHello",
            b.name
        );
    }
    // The exact DefaultGODEBUG of two old-go-line builds (Go 1.23 and 1.24
    // point releases no longer change).
    assert_eq!(
        godebug(&report(&built["go1.23-mod1.22"])),
        "asynctimerchan=1,gotypesalias=0,httpservecontentkeepheaders=1,tls3des=1,tlskyber=0,x509keypairleaf=0,x509negativeserial=1"
    );
    assert_eq!(
        godebug(&report(&built["go1.24-mod1.22"])),
        "asynctimerchan=1,gotestjsonbuildtext=1,gotypesalias=0,httpservecontentkeepheaders=1,multipathtcp=0,randseednop=0,rsa1024min=0,tls3des=1,tlsmlkem=0,winreadlinkvolume=0,winsymlink=0,x509keypairleaf=0,x509negativeserial=1,x509rsacrt=0,x509usepolicies=0"
    );
    assert_eq!(godebug(&report(&built["go1.26-directive"])), "tlsmlkem=0");
}

/// Cross-compiled builds of an empty program, in a git checkout: Mach-O,
/// PE, 32-bit ELF, big-endian ELF, and a GOEXPERIMENT build.
fn cross_built() -> &'static (BTreeMap<&'static str, PathBuf>, String) {
    static BUILT: OnceLock<(BTreeMap<&'static str, PathBuf>, String)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = scratch().join("cross");
        let src = root.join("src");
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
        fs::write(src.join("go.mod"), "module example.com/tiny\n\ngo 1.26\n").unwrap();
        let git = |args: &[&str]| {
            run_ok(
                Command::new("git")
                    .args([
                        "-c",
                        "user.name=pqready",
                        "-c",
                        "user.email=pqready@example.com",
                    ])
                    .args(args)
                    .current_dir(&src)
                    .env("GIT_CONFIG_GLOBAL", "/dev/null")
                    .env("GIT_CONFIG_NOSYSTEM", "1"),
            )
        };
        git(&["init", "-q", "."]);
        git(&["add", "main.go", "go.mod"]);
        git(&["commit", "-q", "-m", "tiny"]);
        let head = git(&["rev-parse", "HEAD"]).trim().to_string();
        let targets = [
            ("darwin-arm64", "darwin", "arm64", ""),
            ("windows-amd64", "windows", "amd64", ""),
            ("linux-386", "linux", "386", ""),
            ("linux-s390x", "linux", "s390x", ""),
            ("linux-amd64-jsonv2", "linux", "amd64", "jsonv2"),
        ];
        let mut out = BTreeMap::new();
        for (name, goos, goarch, experiment) in targets {
            let bin = root.join(name);
            let mut cmd = go(26, &src);
            cmd.env("GOOS", goos).env("GOARCH", goarch);
            if !experiment.is_empty() {
                cmd.env("GOEXPERIMENT", experiment);
            }
            run_ok(
                cmd.args(["build", "-tags", "pqtest,netgo", "-o"])
                    .arg(&bin)
                    .arg("."),
            );
            out.insert(name, bin);
        }
        (out, head)
    })
}

#[test]
fn mach_o_pe_32_bit_and_big_endian_builds() {
    if !require(&[&PREFIX]) {
        return;
    }
    let (built, head) = cross_built();
    let version = toolchain_version(26);
    let cases = [
        ("darwin-arm64", Container::MachO, 8u8),
        ("windows-amd64", Container::Pe, 8),
        ("linux-386", Container::Elf32, 4),
        ("linux-s390x", Container::Elf64, 8),
        ("linux-amd64-jsonv2", Container::Elf64, 8),
    ];
    for (name, container, pointer_size) in cases {
        let file = &built[name];
        let info = buildinfo::read_file(file).unwrap().unwrap();
        assert_eq!(info.container, container, "{name}");
        assert_eq!(info.pointer_size, pointer_size, "{name}");
        let r = report(file);
        assert_eq!(r.container, container);
        assert_eq!(r.tags, ["pqtest", "netgo"], "{name}");
        assert_eq!(r.vcs_revision.as_deref(), Some(head.as_str()), "{name}");
        assert_eq!(r.vcs_modified, Some(false), "{name}");
        assert_eq!(godebug(&r), "", "{name}");
        assert_offer(&r, Pq, &SECP_HYBRIDS);
        assert_matches_oracle(&r);
        let (goos, goarch) = name.split_once('-').unwrap();
        assert_eq!(r.settings["GOOS"], goos);
        assert!(goarch.starts_with(r.settings["GOARCH"].as_str()));
        if name.ends_with("jsonv2") {
            assert_eq!(r.go_version, format!("{version}-X:jsonv2"));
            assert_eq!(r.goexperiment, ["jsonv2"]);
        } else {
            assert_eq!(r.go_version, version);
            assert!(r.goexperiment.is_empty());
        }
    }

    // A universal (fat) Mach-O wrapping the arm64 slice.
    let thin = fs::read(&built["darwin-arm64"]).unwrap();
    let offset = 1u32 << 14;
    let mut fat = Vec::new();
    for word in [
        0xcafe_babe_u32,
        1,
        0x0100_000c,
        0,
        offset,
        thin.len() as u32,
        14,
    ] {
        fat.extend_from_slice(&word.to_be_bytes());
    }
    fat.resize(offset as usize, 0);
    fat.extend_from_slice(&thin);
    let fat_file = scratch().join("cross/universal");
    fs::write(&fat_file, &fat).unwrap();
    let thin_info = buildinfo::parse(&thin).unwrap().unwrap();
    assert_eq!(
        buildinfo::read_file(&fat_file).unwrap(),
        Some(thin_info.clone())
    );
    assert_eq!(buildinfo::parse(&fat).unwrap(), Some(thin_info));
}

// --------------------------------------------------------- directory walks

#[test]
fn walks_a_directory_of_mixed_files() {
    if !require(&[&PREFIX, &GO]) {
        return;
    }
    let built = built();
    let dir = scratch().join("walk");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("sub")).unwrap();
    let go = fs::read(&built["go1.24"]).unwrap();
    fs::write(dir.join("a-go"), &go).unwrap();
    fs::write(dir.join("b-notes.txt"), "not a program\n").unwrap();
    fs::write(dir.join("c-empty"), "").unwrap();
    fs::write(dir.join("d-truncated"), &go[..go.len() / 2]).unwrap();
    fs::write(dir.join("e-header-only"), &go[..64]).unwrap();
    std::os::unix::fs::symlink("a-go", dir.join("f-link")).unwrap();
    std::os::unix::fs::symlink("missing", dir.join("g-dangling")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("h-loop")).unwrap();
    run_ok(Command::new("mkfifo").arg(dir.join("i-fifo")));
    fs::copy(&built["go1.22"], dir.join("sub/old-go")).unwrap();
    fs::write(dir.join("sub/script.sh"), "#!/bin/sh\n").unwrap();

    let walk = |follow: bool| {
        let mut items = Vec::new();
        let counts = gobin::scan(&[&dir], follow, |item| items.push(item));
        let brief: Vec<(String, String)> = items
            .iter()
            .map(|item| {
                let rel = item
                    .path()
                    .strip_prefix(&dir)
                    .unwrap()
                    .display()
                    .to_string();
                let what = match item {
                    ScanItem::Binary(r) => {
                        format!("go {:?}", judged((**r).clone()).verdict.unwrap())
                    }
                    ScanItem::Skipped { reason, .. } => format!("skip {reason:?}"),
                    ScanItem::Error { .. } => "error".to_string(),
                };
                (rel, what)
            })
            .collect();
        (counts, brief, items)
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };

    let (counts, brief, items) = walk(false);
    assert_eq!(
        brief,
        pairs(&[
            ("a-go", "go Pq"),
            ("b-notes.txt", "skip NotGo"),
            ("c-empty", "skip NotGo"),
            ("d-truncated", "error"),
            ("e-header-only", "error"),
            ("f-link", "skip Symlink"),
            ("g-dangling", "skip Symlink"),
            ("h-loop", "skip Symlink"),
            ("i-fifo", "skip Special"),
            ("sub/old-go", "go Classical"),
            ("sub/script.sh", "skip NotGo"),
        ])
    );
    assert_eq!(
        counts,
        Counts {
            go_binaries: 2,
            skipped: 7,
            errors: 2
        }
    );
    for item in &items {
        if let ScanItem::Error { error, .. } = item {
            assert!(error.contains("truncated or malformed"), "{error}");
        }
    }

    let (counts, brief, _) = walk(true);
    assert_eq!(
        brief,
        pairs(&[
            ("a-go", "go Pq"),
            ("b-notes.txt", "skip NotGo"),
            ("c-empty", "skip NotGo"),
            ("d-truncated", "error"),
            ("e-header-only", "error"),
            ("f-link", "go Pq"),
            ("g-dangling", "skip BrokenSymlink"),
            ("i-fifo", "skip Special"),
            // h-loop leads back to the directory itself: not walked twice.
            ("sub/old-go", "go Classical"),
            ("sub/script.sh", "skip NotGo"),
        ])
    );
    assert_eq!(
        counts,
        Counts {
            go_binaries: 3,
            skipped: 5,
            errors: 2
        }
    );

    // Named paths are followed even when they are links; missing ones are errors.
    let mut items = Vec::new();
    let counts = gobin::scan(&[dir.join("f-link"), dir.join("nope")], false, |i| {
        items.push(i)
    });
    assert_eq!(
        counts,
        Counts {
            go_binaries: 1,
            skipped: 0,
            errors: 1
        }
    );
    assert!(matches!(&items[0], ScanItem::Binary(r) if r.path.ends_with("f-link")));
}

#[test]
fn json_has_the_documented_fields() {
    if !require(&[&["kubectl.1.30", "kubectl.1.33"]]) {
        return;
    }
    let r = report(&sdk_dir().join("kubectl.1.33"));
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "path",
        "go_version",
        "main_module",
        "settings",
        "default_godebug",
        "pq_default_groups",
        "verdict",
        "go_minor",
        "tags",
        "cgo_enabled",
        "goexperiment",
        "vcs_revision",
        "pq_note",
    ] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    assert_eq!(json["go_version"], "go1.24.2");
    assert_eq!(json["main_module"]["path"], "k8s.io/kubernetes");
    assert_eq!(json["main_module"]["version"], "v1.33.1");
    assert_eq!(json["settings"]["-tags"], "selinux,notest");
    assert_eq!(json["default_godebug"], "");
    assert_eq!(
        json["pq_default_groups"],
        serde_json::json!(["X25519MLKEM768"])
    );
    assert_eq!(json["verdict"], "pq");
    assert_eq!(
        serde_json::to_value(Counts {
            go_binaries: 1,
            skipped: 2,
            errors: 3
        })
        .unwrap(),
        serde_json::json!({"go_binaries": 1, "skipped": 2, "errors": 3})
    );
    let none = report(&sdk_dir().join("kubectl.1.30"));
    assert_eq!(
        serde_json::to_value(&none).unwrap()["pq_default_groups"],
        serde_json::json!([])
    );
}

// ------------------------------------------------------ runtime GODEBUG

#[test]
fn runtime_godebug_from_a_systemd_unit_and_a_pod_spec() {
    if !require(&[&PREFIX, &GO, &ETCD, &["kubectl.1.33"]]) {
        return;
    }
    let built = built();
    let dir = scratch().join("runtime");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let unit = dir.join("etcd.service");
    fs::write(
        &unit,
        "[Unit]\nDescription=etcd\n\n[Service]\nType=notify\n\
         Environment=ETCD_DATA_DIR=/var/lib/etcd\n\
         Environment=\"GODEBUG=x509sha1=1,tlsmlkem=1\"\n\
         ExecStart=/usr/bin/etcd\n\n[Install]\nWantedBy=multi-user.target\n",
    )
    .unwrap();
    let pod = dir.join("pod.yaml");
    fs::write(
        &pod,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\nspec:\n  containers:\n  - name: api\n    image: registry.example/api:1\n    env:\n    - name: LOG_LEVEL\n      value: debug\n    - name: GODEBUG\n      value: \"tlsmlkem=0\"\n",
    )
    .unwrap();

    let from_unit = RuntimeGodebug::from_file(&unit).unwrap().unwrap();
    assert_eq!(from_unit.value, "x509sha1=1,tlsmlkem=1");
    assert_eq!(
        gobin::godebug_from_file(&pod).unwrap().as_deref(),
        Some("tlsmlkem=0")
    );
    let from_pod = RuntimeGodebug::from_file(&pod).unwrap().unwrap();

    // Debian's etcd: tlsmlkem=0 built in, tlsmlkem=1 from the unit wins.
    let etcd = report_with(&real_etcd(), &from_unit);
    assert_eq!(
        etcd.verdict,
        Some(Classical),
        "the built-in default is kept"
    );
    let rt = etcd.runtime.as_ref().unwrap();
    assert_eq!(rt.offer.source, unit.display().to_string());
    assert_eq!(
        rt.offer.effective_godebug,
        format!("{ETCD_GODEBUG},x509sha1=1,tlsmlkem=1")
    );
    assert_eq!(rt.verdict, Some(Pq));
    assert_eq!(rt.offer.pq_groups, [MLKEM]);
    assert_eq!(etcd.effective_verdict(), Some(Pq));

    // kubectl 1.33 run from the pod: tlsmlkem=0 turns it classical.
    let kubectl = report_with(&sdk_dir().join("kubectl.1.33"), &from_pod);
    assert_eq!(kubectl.verdict, Some(Pq));
    assert_eq!(kubectl.effective_verdict(), Some(Classical));

    // The real programs agree with the prediction under both environments.
    for (name, runtime) in [
        ("go1.24-mod1.22", &from_unit),
        ("go1.24", &from_pod),
        ("go1.26", &from_pod),
        (
            "go1.26-mod1.24",
            &RuntimeGodebug {
                value: "tlssecpmlkem=1".into(),
                source: "test".into(),
            },
        ),
        (
            "go1.23-mod1.22",
            &RuntimeGodebug {
                value: "tlskyber=1".into(),
                source: "test".into(),
            },
        ),
    ] {
        let r = report_with(&built[name], runtime);
        let predicted = &r.runtime.as_ref().unwrap().offer.groups;
        assert_eq!(
            &offered(&built[name], Some(&runtime.value)),
            predicted,
            "{name} with GODEBUG={}",
            runtime.value
        );
    }
}

/// The table names each binary's findings (the ones `--fail-on` counts),
/// counts in the right number, and says "defaults only" only when no
/// run-time GODEBUG was applied.
#[test]
fn table_shows_the_findings_the_gate_counts() {
    if !require(&[&PREFIX, &GO]) {
        return;
    }
    let built = built();
    let dir = scratch().join("table");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::copy(&built["go1.22"], dir.join("old-go")).unwrap();
    fs::write(dir.join("notes.txt"), "not a program\n").unwrap();
    let dir_arg = dir.to_str().unwrap();

    let out = support::command::run(&["binaries", dir_arg, "--fail-on", "medium"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let finding = text
        .lines()
        .find(|l| l.contains("classical-binary"))
        .unwrap_or_else(|| panic!("no classical-binary finding in:\n{text}"));
    assert!(finding.trim_start().starts_with("MEDIUM"), "{finding}");
    assert!(text.contains("fix: "), "{text}");
    assert!(
        text.contains("1 Go binary, 1 other file skipped, 0 errors"),
        "{text}"
    );
    assert!(text.contains("Defaults only"), "{text}");

    let unit = dir.join("app.service");
    fs::write(
        &unit,
        "[Service]\nEnvironment=\"GODEBUG=tlsmlkem=0\"\nExecStart=/usr/bin/app\n",
    )
    .unwrap();
    let out = support::command::run(&[
        "binaries",
        &dir.join("old-go").display().to_string(),
        "--godebug-from",
        unit.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("at run time (GODEBUG=tlsmlkem=0"), "{text}");
    assert!(!text.contains("Defaults only"), "{text}");
}

// ------------------------------------------------------------- fuzzing

/// Mutations and truncations of a real binary's build info never panic the
/// parser; the unmutated file parses. (`buildinfo::fuzz_parse`, run here on
/// the mutated blob, is the entry point for a cargo-fuzz target.)
#[test]
fn mutated_real_build_info_never_panics() {
    if !require(&[&PREFIX, &GO]) {
        return;
    }
    use proptest::prelude::*;
    let bytes = fs::read(&built()["go1.26-mod1.24"]).unwrap();
    let at = bytes
        .windows(buildinfo::MAGIC.len())
        .position(|w| w == buildinfo::MAGIC)
        .expect("the magic is in the file");
    assert!(buildinfo::parse(&bytes).unwrap().is_some());
    let region: usize = 32 + 600;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 300,
        ..ProptestConfig::default()
    });
    runner
        .run(
            &(
                proptest::collection::vec((0..region, any::<u8>()), 1..8),
                0..bytes.len(),
            ),
            |(edits, cut)| {
                let mut m = bytes.clone();
                for (off, v) in edits {
                    m[at + off] = v;
                }
                let _ = buildinfo::parse(&m);
                let _ = buildinfo::parse(&m[..cut]);
                buildinfo::fuzz_parse(&m[at..at + region]);
                Ok(())
            },
        )
        .unwrap();
}
