//! Records the commit pqready is built from, for `pqready --version`.
//!
//! `PQREADY_COMMIT` overrides it (a build from a source tarball has no
//! `.git`); without either the commit is `unknown`. Nothing else about the
//! build machine or time is recorded, so two builds of one commit stay
//! byte-identical.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=PQREADY_COMMIT");
    // A new commit moves the branch's ref (or HEAD itself, when detached):
    // rebuild the version string then, and only then.
    for path in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(p) = git(&["rev-parse", "--git-path", &branch]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    let commit = std::env::var("PQREADY_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PQREADY_COMMIT={commit}");
}
