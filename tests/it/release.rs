//! The published crate (`cargo package`): what it holds is what builds
//! pqready and documents it, with its license, and nothing that needs the
//! checkout (peers, test data, deploy manifests). The full `cargo package`
//! (which also builds the packaged crate) is too slow for every run; the
//! file list is what changes when someone adds a file.

use std::path::Path;
use std::process::Command;

#[test]
fn the_package_holds_the_sources_the_license_and_the_docs_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(root)
        .output()
        .expect("run cargo package --list");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "LICENSE",
        "README.md",
        "build.rs",
        "src/main.rs",
        "src/lib.rs",
    ] {
        assert!(
            files.iter().any(|f| f == needed),
            "{needed} missing: {files:?}"
        );
    }
    // The README's links into docs/ resolve inside the package too.
    assert!(files.iter().any(|f| f.starts_with("docs/guides/")));
    for f in &files {
        assert!(
            !["tests/", "benches/", "fuzz/", "deploy/", "scripts/", "target/"]
                .iter()
                .any(|dir| f.starts_with(dir)),
            "{f} is in the package"
        );
    }
    let license = std::fs::read_to_string(root.join("LICENSE")).unwrap();
    assert!(license.contains("Apache License") && license.contains("Version 2.0"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"Apache-2.0\""));
}

/// The crates of Cargo.lock: (name, version) → the SHA-256 of its
/// crates.io archive (none for pqready itself).
fn locked_crates() -> std::collections::BTreeMap<(String, String), Option<String>> {
    let lock =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock")).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            package.lines().find_map(|l| {
                l.strip_prefix(&format!("{key} = \""))
                    .and_then(|v| v.strip_suffix('"'))
                    .map(str::to_owned)
            })
        };
        out.insert(
            (field("name").unwrap(), field("version").unwrap()),
            field("checksum"),
        );
    }
    out
}

/// The crates `cargo tree` says this host's binary is built from (normal
/// and build dependencies, no dev-dependencies), pqready excluded.
fn crates_built(edges: &str) -> std::collections::BTreeSet<(String, String)> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--offline", "-e", edges])
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next()?.to_string();
            let version = words.next()?.strip_prefix('v')?.to_string();
            (name != "pqready").then_some((name, version))
        })
        .collect()
}

/// pqready's own SBOM (scripts/sbom: CycloneDX's cargo-cyclonedx from
/// Cargo.lock) is valid CycloneDX 1.5 by the official schema, names
/// pqready, and lists every crate the binary is built from with Cargo.lock's
/// checksum, a licence and a package URL, and nothing Cargo.lock does not
/// hold, and no dev-dependency.
#[test]
fn the_sbom_lists_every_crate_the_binary_is_built_from() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("scripts/sbom")).unwrap();
    let version = script
        .lines()
        .find_map(|l| l.strip_prefix("CARGO_CYCLONEDX_VERSION="))
        .unwrap();
    let tools = std::env::var_os("PQREADY_TOOLS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&std::env::var_os("HOME").unwrap()).join(".cache/pqready/tools")
        });
    let tool = tools.join(format!("cargo-cyclonedx-{version}/bin/cargo-cyclonedx"));
    if !tool.is_file() {
        let why = format!(
            "release::the_sbom_lists_every_crate_the_binary_is_built_from: {} is not installed (scripts/sbom --install, or scripts/test)",
            tool.display()
        );
        assert!(
            std::env::var("PQREADY_REQUIRE_PEERS").as_deref() != Ok("1"),
            "{why}"
        );
        eprintln!("skipping {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pqready.cdx.json");
    let out = Command::new(root.join("scripts/sbom"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let violations = crate::support::formats::cyclonedx_violations("1.5", &doc);
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(doc["metadata"]["component"]["name"], "pqready");
    assert_eq!(
        doc["metadata"]["component"]["version"],
        env!("CARGO_PKG_VERSION")
    );

    let locked = locked_crates();
    let mut listed = std::collections::BTreeSet::new();
    for c in doc["components"].as_array().unwrap() {
        let (name, version) = (
            c["name"].as_str().unwrap().to_string(),
            c["version"].as_str().unwrap().to_string(),
        );
        let key = (name.clone(), version.clone());
        let checksum = locked
            .get(&key)
            .unwrap_or_else(|| panic!("{name} {version} is not in Cargo.lock"));
        assert_eq!(c["purl"], format!("pkg:cargo/{name}@{version}"));
        assert_eq!(c["hashes"][0]["alg"], "SHA-256", "{c}");
        assert_eq!(c["hashes"][0]["content"].as_str(), checksum.as_deref());
        assert!(
            c["licenses"].as_array().is_some_and(|l| !l.is_empty()),
            "{name}: no licence"
        );
        listed.insert(key);
    }
    let built = crates_built("normal,build");
    let missing: Vec<_> = built.difference(&listed).collect();
    assert!(missing.is_empty(), "built but not in the SBOM: {missing:?}");
    // Crates only the tests use are not part of what ships.
    let dev_only: Vec<_> = crates_built("normal,build,dev")
        .difference(&built)
        .filter(|c| listed.contains(*c))
        .cloned()
        .collect();
    assert!(
        dev_only.is_empty(),
        "dev-dependencies in the SBOM: {dev_only:?}"
    );
}
