//! The in-cluster manifests (deploy/), the krew plugin manifest and the
//! Dockerfile, checked offline by `scripts/validate-deploy` (Python: the
//! crate has no YAML parser, and the Kubernetes JSON schemas ship in the PyPI
//! package kubernetes-validate). See that script for the list of checks.
//!
//! Without python3 and PyYAML each test skips with one line; under
//! `scripts/test` (PQREADY_REQUIRE_PEERS=1) it fails instead, and the schema
//! package is installed (pinned, into ~/.cache/pqready/pydeps) and required.
//! In a plain `cargo test` the schema check runs where that package is
//! already installed, and says it skipped otherwise.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

const REQUIRE: &str = "PQREADY_REQUIRE_PEERS";

fn required() -> bool {
    std::env::var(REQUIRE).as_deref() == Ok("1")
}

/// Whether python3 with PyYAML is here; otherwise skips (or, required, panics).
fn python_ready(test: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import yaml, tomllib"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let reason = "python3 (3.11+) with PyYAML not found (python3 -m pip install PyYAML)";
        assert!(!required(), "deploy::{test}: {reason} [{REQUIRE}=1]");
        let _ =
            std::io::stderr().write_all(format!("skipping deploy::{test}: {reason}\n").as_bytes());
    }
    ok
}

/// Runs scripts/validate-deploy with `args`; panics with its output on failure.
fn validate(args: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new("python3");
    cmd.arg(root.join("scripts/validate-deploy"))
        .arg("--root")
        .arg(root);
    cmd.args(args);
    if required() {
        cmd.arg("--install");
    }
    let out = cmd.output().expect("run scripts/validate-deploy");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "scripts/validate-deploy {args:?} failed:\n{text}"
    );
    text
}

#[test]
fn manifests_rbac_workloads_krew_and_dockerfile_pass() {
    if !python_ready("manifests_rbac_workloads_krew_and_dockerfile_pass") {
        return;
    }
    let out = validate(&["--k8s-version", "1.33"]);
    assert!(out.contains("validate-deploy: OK"), "{out}");
    // The observe DaemonSet's five objects are checked (deploy/observe/base/).
    assert!(out.contains("observe: 5 objects"), "{out}");
    for line in out.lines().filter(|l| l.contains("skipping")) {
        let _ = std::io::stderr().write_all(format!("deploy: {line}\n").as_bytes());
    }
}

#[test]
fn every_check_catches_its_breakage() {
    if !python_ready("every_check_catches_its_breakage") {
        return;
    }
    let out = validate(&["--self-test"]);
    assert!(out.contains("validate-deploy: OK"), "{out}");
    // Where kubectl renders it, the no-attribution overlay is checked too
    // (its self-test breakages, e.g. SYS_PTRACE kept, are among the checks).
    if out.contains("skipping deploy/observe/no-attribution/") {
        let _ = std::io::stderr()
            .write_all(b"deploy: the no-attribution overlay was not rendered (no kubectl)\n");
    } else {
        assert!(out.contains("no-attribution overlay 3 objects"), "{out}");
    }
}

#[test]
fn release_mode_refuses_the_placeholders() {
    if !python_ready("release_mode_refuses_the_placeholders") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("scripts/validate-deploy"))
        .args(["--root"])
        .arg(root)
        .args(["--release", "--schemas", "skip"])
        .output()
        .expect("run scripts/validate-deploy");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("placeholder 'OWNER' left"), "{text}");
    assert!(
        text.contains("placeholder 'RELEASE_SHA256_' left"),
        "{text}"
    );
}
