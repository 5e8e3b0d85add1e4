//! The container image (Dockerfile), without a container engine: no engine
//! runs on the machines that build and test pqready, so the image is never
//! built here. What can still be proven is that the binary it copies runs
//! in what its final stage gives it, and nothing more:
//!
//! - a root tree made of the Debian 12 packages of
//!   `gcr.io/distroless/cc-debian12`, unpacked one by one as distroless does
//!   (scripts/install-peers puts it in the peer prefix), plus the `passwd`
//!   and `group` entries distroless writes: no shell, no other program;
//! - mounted read-only, as `readOnlyRootFilesystem: true` in deploy/ asks;
//! - entered with the Dockerfile's own `USER`, `ENTRYPOINT` and `CMD`, read
//!   from the file, with an environment holding only what the kubelet gives
//!   a pod (`KUBERNETES_SERVICE_HOST/PORT`) and the service account at its
//!   fixed path.
//!
//! The binary is this build's (debug), which links exactly the libraries the
//! release build the image copies links (libc, libm, libgcc_s).

use crate::support::apiserver::{Cluster, TestApiServer};
use crate::support::peers;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BASE: &str = "distroless-cc-debian12";
const SA_TOKEN: &str = "sa-token-SECRET-image-4242";

/// What the Dockerfile's final stage says about running the binary.
struct FinalStage {
    /// Where the binary lands (the `COPY` to the entrypoint's path).
    binary: String,
    /// `USER`, as `UID:GID`.
    user: String,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
}

fn final_stage() -> FinalStage {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile"))
        .expect("read the Dockerfile");
    let stage = text
        .rsplit_once("\nFROM ")
        .expect("a multi-stage Dockerfile")
        .1;
    assert!(
        stage.starts_with("gcr.io/distroless/cc-debian12"),
        "the final stage is no longer distroless/cc-debian12 (update this test and install-peers' DISTROLESS_PACKAGES): {}",
        stage.lines().next().unwrap_or("")
    );
    let instruction = |name: &str| {
        stage
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in the final stage"))
            .trim()
            .to_string()
    };
    let exec_form = |name: &str| -> Vec<String> {
        serde_json::from_str(&instruction(name))
            .unwrap_or_else(|e| panic!("{name} is not in exec (JSON) form: {e}"))
    };
    let entrypoint = exec_form("ENTRYPOINT");
    // The COPY that puts the entrypoint's program in place.
    let binary = stage
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter_map(|l| l.split_whitespace().last())
        .find(|dest| entrypoint.first().map(String::as_str) == Some(*dest))
        .expect("a COPY of the ENTRYPOINT's program")
        .to_string();
    FinalStage {
        binary,
        user: instruction("USER"),
        entrypoint,
        cmd: exec_form("CMD"),
    }
}

/// A private copy of the image's root tree, with the binary where the
/// Dockerfile copies it and the service account's files.
fn image_root(stage: &FinalStage, server: &TestApiServer) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(peers::peers_dir().join(BASE))
        .arg(&root)
        .status()
        .unwrap();
    assert!(copied.success());
    let binary = root.join(stage.binary.trim_start_matches('/'));
    std::fs::copy(env!("CARGO_BIN_EXE_pqready"), &binary).unwrap();
    // What distroless adds beyond its packages: the users of its :nonroot tag.
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
    )
    .unwrap();
    std::fs::write(
        root.join("etc/group"),
        "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
    )
    .unwrap();
    // Where the kubelet mounts the service account (kube-rs reads it there).
    let sa = root.join("var/run/secrets/kubernetes.io/serviceaccount");
    std::fs::create_dir_all(&sa).unwrap();
    std::fs::write(sa.join("token"), SA_TOKEN).unwrap();
    std::fs::write(sa.join("ca.crt"), server.ca_pem()).unwrap();
    std::fs::write(sa.join("namespace"), "pqready").unwrap();
    (dir, root)
}

/// Runs `args` in `root`, mounted read-only in a mount namespace of its
/// own, as `user`, with nothing in the environment but the API server's
/// address.
fn run_in(root: &Path, user: &str, server: &TestApiServer, args: &[String]) -> Output {
    const SCRIPT: &str = r#"set -e
root=$1; user=$2; shift 2
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
exec /usr/bin/env -i KUBERNETES_SERVICE_HOST="$HOST" KUBERNETES_SERVICE_PORT="$PORT" \
    /usr/sbin/chroot --userspec="$user" "$root" "$@""#;
    Command::new("unshare")
        .args(["--mount", "--", "/bin/sh", "-c", SCRIPT, "sh"])
        .arg(root)
        .arg(user)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("HOST", "127.0.0.1")
        .env("PORT", server.addr().port().to_string())
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_binary_runs_in_the_images_base_read_only_as_its_user() {
    if !peers::require(&[
        "distroless-cc-debian12/lib64/ld-linux-x86-64.so.2",
        "/usr/bin/unshare",
        "/usr/sbin/chroot",
    ]) {
        return;
    }
    let allowed = Command::new("unshare").args(["--mount", "true"]).output();
    if !allowed.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping image::the_binary_runs_in_the_images_base_read_only_as_its_user: `unshare --mount` is not permitted here (needs root)");
        return;
    }
    let stage = final_stage();
    assert_eq!(
        stage.user, "65532:65532",
        "the image runs as distroless' nonroot"
    );
    assert_eq!(stage.entrypoint, std::slice::from_ref(&stage.binary));
    let server = TestApiServer::start(
        Cluster::new().token(SA_TOKEN, "system:serviceaccount:pqready:pqready"),
    );
    let (_dir, root) = image_root(&stage, &server);

    // No shell, and no program at all besides pqready.
    for dir in ["bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin"] {
        let programs: Vec<_> = std::fs::read_dir(root.join(dir))
            .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(programs.is_empty(), "/{dir} holds {programs:?}");
    }

    // `docker run IMAGE --version`: the entrypoint with other arguments.
    let mut version = stage.entrypoint.clone();
    version.push("--version".into());
    let out = run_in(&root, &stage.user, &server, &version);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("pqready "),
        "{}",
        text(&out)
    );

    // The image's default command: a full cluster audit with the service
    // account, over TLS, every check.
    let command: Vec<String> = stage.entrypoint.iter().chain(&stage.cmd).cloned().collect();
    let out = run_in(&root, &stage.user, &server, &command);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains(SA_TOKEN), "the token leaked");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", text(&out)));
    let apiserver = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "apiserver")
        .unwrap_or_else(|| panic!("no API server component: {doc:#}"));
    assert_eq!(
        apiserver["result"]["verdict"]["status"], "pq",
        "{apiserver:#}"
    );
    assert_eq!(
        apiserver["result"]["handshake"]["negotiated_group"], "X25519MLKEM768",
        "{apiserver:#}"
    );
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(requests
        .iter()
        .all(|r| r.user.as_deref() == Some("system:serviceaccount:pqready:pqready")));
}
