//! Kubeconfig files for the test API server ([`super::apiserver`]): client
//! certificate, bearer token and exec credential plugin users, several
//! contexts, split files for `KUBECONFIG=a:b`, and a malformed file.
//!
//! Files are YAML as kubectl writes them (every scalar double-quoted). Secret
//! values are distinctive ([`super::apiserver::TOKEN`], `EXEC_TOKEN`, client
//! key PEMs) so tests can assert they never appear in output.
//!
//! ```ignore
//! let dir = tempfile::tempdir().unwrap();
//! let path = kubeconfig::token(dir.path(), &server);           // context "test-token"
//! let path = kubeconfig::client_cert(dir.path(), &server, "alice"); // "test-cert"
//! let path = kubeconfig::exec(dir.path(), &server);            // "test-exec"
//! let cfg = Kubeconfig::new().cluster("c", &server.url(), &server.ca_pem())
//!     .user_token("u", TOKEN).context("ctx", "c", "u", None).current("ctx");
//! cfg.write(&dir.path().join("config"));
//! ```
#![allow(dead_code)] // each user compiles this file and uses part of it

use super::apiserver::{TestApiServer, EXEC_TOKEN, TOKEN};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A user entry.
#[derive(Debug, Clone)]
pub enum User {
    Token(String),
    /// Certificate and key PEM, embedded as `client-certificate-data` /
    /// `client-key-data`.
    Cert {
        cert_pem: String,
        key_pem: String,
    },
    /// `exec` plugin: absolute command path and arguments.
    Exec {
        command: String,
        args: Vec<String>,
    },
}

/// A kubeconfig being built; [`Kubeconfig::to_yaml`] renders it.
#[derive(Debug, Clone, Default)]
pub struct Kubeconfig {
    /// (name, server URL, CA PEM or none)
    pub clusters: Vec<(String, String, Option<String>)>,
    pub users: Vec<(String, User)>,
    /// (name, cluster, user, namespace)
    pub contexts: Vec<(String, String, String, Option<String>)>,
    pub current: Option<String>,
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

impl Kubeconfig {
    pub fn new() -> Self {
        Self::default()
    }

    /// A cluster at `server` trusting `ca_pem` (`certificate-authority-data`).
    pub fn cluster(mut self, name: &str, server: &str, ca_pem: &str) -> Self {
        self.clusters
            .push((name.into(), server.into(), Some(ca_pem.into())));
        self
    }

    /// A cluster without a CA (the system roots would be used).
    pub fn cluster_without_ca(mut self, name: &str, server: &str) -> Self {
        self.clusters.push((name.into(), server.into(), None));
        self
    }

    pub fn user_token(mut self, name: &str, token: &str) -> Self {
        self.users.push((name.into(), User::Token(token.into())));
        self
    }

    pub fn user_cert(mut self, name: &str, cert_pem: &str, key_pem: &str) -> Self {
        self.users.push((
            name.into(),
            User::Cert {
                cert_pem: cert_pem.into(),
                key_pem: key_pem.into(),
            },
        ));
        self
    }

    pub fn user_exec(mut self, name: &str, command: &Path, args: &[&str]) -> Self {
        self.users.push((
            name.into(),
            User::Exec {
                command: command.to_str().unwrap().into(),
                args: args.iter().map(|a| a.to_string()).collect(),
            },
        ));
        self
    }

    pub fn context(
        mut self,
        name: &str,
        cluster: &str,
        user: &str,
        namespace: Option<&str>,
    ) -> Self {
        self.contexts.push((
            name.into(),
            cluster.into(),
            user.into(),
            namespace.map(String::from),
        ));
        self
    }

    /// `current-context`.
    pub fn current(mut self, name: &str) -> Self {
        self.current = Some(name.into());
        self
    }

    pub fn to_yaml(&self) -> String {
        let mut y = String::from("apiVersion: v1\nkind: Config\npreferences: {}\n");
        if self.clusters.is_empty() {
            y.push_str("clusters: []\n");
        } else {
            y.push_str("clusters:\n");
        }
        for (name, server, ca) in &self.clusters {
            let _ = writeln!(
                y,
                "- name: {}\n  cluster:\n    server: {}",
                q(name),
                q(server)
            );
            if let Some(ca) = ca {
                let _ = writeln!(y, "    certificate-authority-data: {}", q(&B64.encode(ca)));
            }
        }
        if self.users.is_empty() {
            y.push_str("users: []\n");
        } else {
            y.push_str("users:\n");
        }
        for (name, user) in &self.users {
            let _ = writeln!(y, "- name: {}\n  user:", q(name));
            match user {
                User::Token(t) => {
                    let _ = writeln!(y, "    token: {}", q(t));
                }
                User::Cert { cert_pem, key_pem } => {
                    let _ = writeln!(
                        y,
                        "    client-certificate-data: {}\n    client-key-data: {}",
                        q(&B64.encode(cert_pem)),
                        q(&B64.encode(key_pem))
                    );
                }
                User::Exec { command, args } => {
                    let _ = writeln!(
                        y,
                        "    exec:\n      apiVersion: \"client.authentication.k8s.io/v1\"\n      command: {}",
                        q(command)
                    );
                    if args.is_empty() {
                        y.push_str("      args: []\n");
                    } else {
                        y.push_str("      args:\n");
                        for a in args {
                            let _ = writeln!(y, "      - {}", q(a));
                        }
                    }
                    y.push_str("      env: []\n      interactiveMode: \"Never\"\n      provideClusterInfo: false\n");
                }
            }
        }
        if self.contexts.is_empty() {
            y.push_str("contexts: []\n");
        } else {
            y.push_str("contexts:\n");
        }
        for (name, cluster, user, ns) in &self.contexts {
            let _ = writeln!(
                y,
                "- name: {}\n  context:\n    cluster: {}\n    user: {}",
                q(name),
                q(cluster),
                q(user)
            );
            if let Some(ns) = ns {
                let _ = writeln!(y, "    namespace: {}", q(ns));
            }
        }
        if let Some(c) = &self.current {
            let _ = writeln!(y, "current-context: {}", q(c));
        }
        y
    }

    /// Writes the YAML to `path` and returns it.
    pub fn write(&self, path: &Path) -> PathBuf {
        std::fs::write(path, self.to_yaml()).unwrap();
        path.to_path_buf()
    }
}

/// Writes `dir/exec-plugin.sh`, an exec credential plugin printing an
/// `ExecCredential` (client.authentication.k8s.io/v1) with `token`.
/// Each run appends a line to `dir/exec-plugin.runs`.
pub fn exec_plugin(dir: &Path, token: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let cred = serde_json::json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": { "token": token },
    });
    let runs = dir.join("exec-plugin.runs");
    let script = format!(
        "#!/bin/sh\necho run >> '{}'\ncat <<'EOF'\n{}\nEOF\n",
        runs.display(),
        cred
    );
    let path = dir.join("exec-plugin.sh");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// How many times the plugin in `dir` ran.
pub fn exec_plugin_runs(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("exec-plugin.runs"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// The cluster entry `test` for `server`.
pub fn base(server: &TestApiServer) -> Kubeconfig {
    Kubeconfig::new().cluster("test", &server.url(), &server.ca_pem())
}

/// `dir/token.kubeconfig`: context `test-token` (current), user
/// `token-user` with bearer [`TOKEN`].
pub fn token(dir: &Path, server: &TestApiServer) -> PathBuf {
    base(server)
        .user_token("token-user", TOKEN)
        .context("test-token", "test", "token-user", None)
        .current("test-token")
        .write(&dir.join("token.kubeconfig"))
}

/// `dir/cert.kubeconfig`: context `test-cert` (current), a new client
/// certificate for `user` embedded. Returns the path and the key PEM
/// (a secret that must never be printed).
pub fn client_cert(dir: &Path, server: &TestApiServer, user: &str) -> (PathBuf, String) {
    let cert = server.client_cert(user, &["system:masters"]);
    let path = base(server)
        .user_cert("cert-user", &cert.cert_pem, &cert.key_pem)
        .context("test-cert", "test", "cert-user", None)
        .current("test-cert")
        .write(&dir.join("cert.kubeconfig"));
    (path, cert.key_pem)
}

/// `dir/exec.kubeconfig`: context `test-exec` (current), user `exec-user`
/// whose exec plugin (`dir/exec-plugin.sh`) prints [`EXEC_TOKEN`].
pub fn exec(dir: &Path, server: &TestApiServer) -> PathBuf {
    let plugin = exec_plugin(dir, EXEC_TOKEN);
    base(server)
        .user_exec("exec-user", &plugin, &[])
        .context("test-exec", "test", "exec-user", None)
        .current("test-exec")
        .write(&dir.join("exec.kubeconfig"))
}

/// `dir/multi.kubeconfig` with contexts `test-token`, `test-cert`
/// (`cert_user`), `test-exec` and `unreachable` (a closed loopback port),
/// current context `current`.
pub fn multi(dir: &Path, server: &TestApiServer, cert_user: &str, current: &str) -> PathBuf {
    let cert = server.client_cert(cert_user, &["system:masters"]);
    let plugin = exec_plugin(dir, EXEC_TOKEN);
    base(server)
        .cluster(
            "unreachable",
            &format!("https://{}", closed_port()),
            &server.ca_pem(),
        )
        .user_token("token-user", TOKEN)
        .user_cert("cert-user", &cert.cert_pem, &cert.key_pem)
        .user_exec("exec-user", &plugin, &[])
        .context("test-token", "test", "token-user", Some("default"))
        .context("test-cert", "test", "cert-user", None)
        .context("test-exec", "test", "exec-user", None)
        .context("unreachable", "unreachable", "token-user", None)
        .current(current)
        .write(&dir.join("multi.kubeconfig"))
}

/// Two files to merge as `KUBECONFIG=a:b`: `a` holds the cluster, the
/// context `split` and `current-context`; `b` holds the user (token).
/// Returns (a, b, the `KUBECONFIG` value).
pub fn split(dir: &Path, server: &TestApiServer) -> (PathBuf, PathBuf, String) {
    let a = base(server)
        .context("split", "test", "split-user", None)
        .current("split")
        .write(&dir.join("a.kubeconfig"));
    let b = Kubeconfig::new()
        .user_token("split-user", TOKEN)
        .write(&dir.join("b.kubeconfig"));
    let joined = format!("{}:{}", a.display(), b.display());
    (a, b, joined)
}

/// `dir/malformed.kubeconfig`: not valid YAML.
pub fn malformed(dir: &Path) -> PathBuf {
    let path = dir.join("malformed.kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nclusters: [ {name: \"test\", cluster: {server: \n  - : : ]\nusers:\n\t- broken\n",
    )
    .unwrap();
    path
}

/// A loopback address where connections are refused until the test binary
/// exits: the port stays bound (never listening), so no listener of another
/// test can take it, as it could a port bound and released.
pub fn closed_port() -> std::net::SocketAddr {
    let port = super::peers::RefusingPort::new();
    let addr = port.addr;
    // Held for the life of the process: callers keep only the address.
    std::mem::forget(port);
    addr
}
