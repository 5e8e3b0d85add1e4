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
