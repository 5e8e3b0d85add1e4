//! Server models and offline prediction: which group a client profile gets
//! from a server, computed from the profile's offer and the server's groups
//! and selection rule — no network. `pqready matrix` is built on this, and
//! tests check that it agrees with live probes of the real servers.
//!
//! Selection rules (sources):
//! - Go ≤1.23 and Go 1.24+: see [`super::go`] (`handshake_server_tls13.go`).
//! - OpenSSL 3.5: preferences are tuples walked in the server's order; the
//!   first tuple holding a group the client offers wins; inside it a group
//!   the client sent a key share for wins, in the client's order, else the
//!   client's first (SSL_CTX_set1_groups_list(3), "group tuples").
//! - rustls 0.23: the first group in the client's list that the server
//!   supports; key shares do not matter (`server/hs.rs`).

use super::go::{self, GoDebug};
use super::kubernetes::KUBERNETES;
use super::profile::ClientProfile;
use crate::vocab::Selection;
use crate::wire::NamedGroup;
use serde::Serialize;

/// A server's group preferences and how it chooses.
#[derive(Debug, Clone, Serialize)]
pub struct ServerModel {
    /// Stable id (`go1.24`, `k8s1.33`, `openssl3.5`, `rustls0.23`).
    pub id: String,
    /// What it models, for people.
    pub description: String,
    /// Preference tuples, best first; strict orders are one group per tuple.
    pub tuples: Vec<Vec<NamedGroup>>,
    /// How it chooses.
    pub selection: Selection,
    /// Where the facts come from.
    pub source: String,
}

/// What a client profile would negotiate with a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The negotiated group; `None` when the handshake fails.
    pub negotiated_group: Option<NamedGroup>,
    /// True if a HelloRetryRequest is needed first.
    pub hello_retry: bool,
    /// True if the handshake fails (no group in common).
    pub failed: bool,
}

impl Outcome {
    /// The handshake fails.
    pub const FAILED: Outcome = Outcome {
        negotiated_group: None,
        hello_retry: false,
        failed: true,
    };

    /// True if the negotiated group is post-quantum.
    pub fn pq(&self) -> bool {
        self.negotiated_group.is_some_and(|g| g.is_post_quantum())
    }
}

impl ServerModel {
    fn strict(
        id: String,
        description: String,
        order: Vec<NamedGroup>,
        selection: Selection,
        source: &str,
    ) -> Self {
        ServerModel {
            id,
            description,
            tuples: order.into_iter().map(|g| vec![g]).collect(),
            selection,
            source: source.into(),
        }
    }

    /// All groups, in preference order.
    pub fn groups(&self) -> Vec<NamedGroup> {
        self.tuples.iter().flatten().copied().collect()
    }

    /// Predicts what `client` negotiates with this server.
    pub fn predict(&self, client: &ClientProfile) -> Outcome {
        let offered = |g: &NamedGroup| client.groups.contains(g);
        let has_share = |g: &NamedGroup| client.key_shares.contains(g);
        let chosen = match self.selection {
            Selection::ClientOrder => {
                let mine = self.groups();
                client.groups.iter().copied().find(|g| mine.contains(g))
            }
            Selection::KeyShareThenServerOrder => {
                let mutual: Vec<NamedGroup> = self.groups().into_iter().filter(offered).collect();
                mutual
                    .iter()
                    .copied()
                    .find(has_share)
                    .or(mutual.first().copied())
            }
            Selection::PqThenKeyShareThenServerOrder => {
                let mut mutual: Vec<NamedGroup> =
                    self.groups().into_iter().filter(offered).collect();
                mutual.sort_by_key(|g| !has_share(g));
                mutual.sort_by_key(|g| !g.is_post_quantum());
                mutual.first().copied()
            }
            Selection::ServerOrder
            | Selection::Mixed
            | Selection::SingleGroup
            | Selection::Unknown => self.groups().into_iter().find(offered),
            Selection::KeyShareThenClientOrder => self.tuples.iter().find_map(|tuple| {
                let in_tuple = |g: &NamedGroup| tuple.contains(g);
                let shared = client
                    .groups
                    .iter()
                    .copied()
                    .filter(in_tuple)
                    .find(has_share);
                shared.or_else(|| client.groups.iter().copied().find(in_tuple))
            }),
        };
        match chosen {
            None => Outcome::FAILED,
            Some(g) => Outcome {
                negotiated_group: Some(g),
                hello_retry: !client.key_shares.contains(&g),
                failed: false,
            },
        }
    }
}

/// The Go server model for `1.minor` with `debug`.
pub fn go_server(minor: u32, debug: GoDebug) -> ServerModel {
    ServerModel::strict(
        format!("go1.{minor}{}", debug.suffix()),
        format!(
            "Go 1.{minor} crypto/tls server, default configuration{}",
            debug.suffix()
        ),
        go::default_curve_preferences(minor, debug),
        go::server_selection(minor),
        "Go src/crypto/tls defaults.go and handshake_server_tls13.go (see catalog::go)",
    )
}

/// Every built-in server model: Go releases, Kubernetes API servers, OpenSSL 3.5, rustls; built once.
pub fn all() -> &'static [ServerModel] {
    static ALL: std::sync::OnceLock<Vec<ServerModel>> = std::sync::OnceLock::new();
    ALL.get_or_init(build_all)
}

fn build_all() -> Vec<ServerModel> {
    use NamedGroup as G;
    let mut out: Vec<ServerModel> = super::go::MINORS
        .map(|m| go_server(m, GoDebug::default()))
        .collect();
    out.push(go_server(24, GoDebug::parse("tlsmlkem=0")));
    for k in KUBERNETES {
        let base = go_server(k.go_minor, k.godebug());
        out.push(ServerModel {
            id: format!("k8s1.{}", k.minor),
            description: format!(
                "Kubernetes 1.{} API server (Go 1.{}{})",
                k.minor,
                k.go_minor,
                k.godebug().suffix()
            ),
            source: k.source.into(),
            ..base
        });
    }
    out.push(ServerModel {
        id: "openssl3.5".into(),
        description: "OpenSSL 3.5 server with default groups (s_server, nginx, haproxy)".into(),
        tuples: vec![
            vec![G::X25519MLKEM768],
            vec![G::X25519, G::SECP256R1],
            vec![G::X448, G::SECP384R1, G::SECP521R1],
            vec![G::FFDHE2048, G::FFDHE3072],
        ],
        selection: Selection::KeyShareThenClientOrder,
        source: "OpenSSL 3.5 DEFAULT_GROUP_LIST tuples; SSL_CTX_set1_groups_list(3)".into(),
    });
    out.push(ServerModel::strict(
        "rustls0.23".into(),
        "rustls 0.23 server, aws-lc-rs provider defaults".into(),
        vec![G::X25519MLKEM768, G::X25519, G::SECP256R1, G::SECP384R1],
        Selection::ClientOrder,
        "rustls 0.23 server/hs.rs: first client group the server supports",
    ));
    out
}

/// Parses `all` or a comma-separated list of server model ids.
pub fn select(spec: &str) -> Result<Vec<&'static ServerModel>, super::SelectError> {
    super::select_by_id(
        all(),
        spec,
        |m| m.id.as_str(),
        "server model",
        "`pqready matrix --help`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::profile::find;
    use NamedGroup as G;

    fn server(id: &str) -> ServerModel {
        all().iter().find(|m| m.id == id).unwrap().clone()
    }

    #[test]
    fn predicts_the_silent_downgrade() {
        let out = server("k8s1.33").predict(find("kubectl1.32").unwrap());
        assert_eq!(
            out,
            Outcome {
                negotiated_group: Some(G::X25519),
                hello_retry: false,
                failed: false
            }
        );
    }

    #[test]
    fn go124_asks_for_mlkem_even_with_only_a_classical_share() {
        let mut client = find("go1.22").unwrap().clone();
        client.groups.insert(0, G::X25519MLKEM768);
        let out = server("go1.24").predict(&client);
        assert_eq!(
            out,
            Outcome {
                negotiated_group: Some(G::X25519MLKEM768),
                hello_retry: true,
                failed: false
            }
        );
        // Go 1.23 would take the classical share instead.
        client.groups.insert(0, G::X25519KYBER768DRAFT00);
        assert_eq!(
            server("go1.23").predict(&client).negotiated_group,
            Some(G::X25519)
        );
    }

    #[test]
    fn openssl_tuples_prefer_shares_inside_a_tuple() {
        let out = server("openssl3.5").predict(find("go1.22").unwrap());
        assert_eq!(out.negotiated_group, Some(G::X25519));
        assert!(!out.hello_retry);
        assert_eq!(
            server("openssl3.5")
                .predict(find("go1.24").unwrap())
                .negotiated_group,
            Some(G::X25519MLKEM768)
        );
    }

    #[test]
    fn pq_only_server_locks_out_classical_clients() {
        let pq_only = ServerModel::strict(
            "x".into(),
            "x".into(),
            vec![G::X25519MLKEM768],
            Selection::ServerOrder,
            "",
        );
        assert_eq!(
            pq_only.predict(find("kubectl1.31").unwrap()),
            Outcome::FAILED
        );
        assert!(pq_only.predict(find("kubectl1.33").unwrap()).pq());
    }
}

/// One cell of the client × server grid.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MatrixCell {
    /// Client profile id.
    pub client: String,
    /// Server model id.
    pub server: String,
    /// The negotiated group; null when the handshake fails.
    pub negotiated_group: Option<NamedGroup>,
    /// True if a HelloRetryRequest is needed.
    pub hello_retry: bool,
    /// True if the handshake fails.
    pub failed: bool,
    /// True if the negotiated group is post-quantum.
    pub pq: bool,
}

/// Predicts every client × server combination, row by row (clients outer).
pub fn matrix(clients: &[&ClientProfile], servers: &[&ServerModel]) -> Vec<MatrixCell> {
    clients
        .iter()
        .flat_map(|c| {
            servers.iter().map(move |s| {
                let o = s.predict(c);
                MatrixCell {
                    client: c.id.clone(),
                    server: s.id.clone(),
                    negotiated_group: o.negotiated_group,
                    hello_retry: o.hello_retry,
                    failed: o.failed,
                    pq: o.pq(),
                }
            })
        })
        .collect()
}
