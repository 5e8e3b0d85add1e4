//! `pqready demo`: real rustls servers on loopback, probed by the real engine.
//!
//! Owns: starting a few in-process rustls (aws-lc-rs) TLS servers with
//! different key-exchange configurations on 127.0.0.1 ephemeral ports, each
//! with a fresh self-signed certificate. They let a new user see genuine
//! output with no cluster and no network, and give the tests in-process peers.
//! Nothing here is simulated: the servers run the same rustls code a Rust
//! service would.

use crate::discover::Target;
use rustls::crypto::aws_lc_rs::kx_group;
use rustls::crypto::SupportedKxGroup;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One demo server configuration.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Short name, used as the report's target label.
    pub name: &'static str,
    /// Key-exchange groups, in the server's preference order.
    pub groups: Vec<&'static dyn SupportedKxGroup>,
    /// Serve TLS 1.2 only (no TLS 1.3).
    pub tls12_only: bool,
}

/// The demo line-up: PQ hybrid plus classical, classical only, PQ only, TLS 1.2 only.
/// rustls servers follow the client's group order, so list order here only
/// decides which groups exist.
pub fn demo_configs() -> Vec<DemoConfig> {
    vec![
        DemoConfig {
            name: "pq-hybrid",
            groups: vec![
                kx_group::X25519MLKEM768,
                kx_group::X25519,
                kx_group::SECP256R1,
                kx_group::SECP384R1,
            ],
            tls12_only: false,
        },
        DemoConfig {
            name: "classical-only",
            groups: vec![kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1],
            tls12_only: false,
        },
        DemoConfig {
            name: "pq-only",
            groups: vec![
                kx_group::X25519MLKEM768,
                kx_group::SECP256R1MLKEM768,
                kx_group::MLKEM768,
            ],
            tls12_only: false,
        },
        DemoConfig {
            name: "tls12-only",
            groups: vec![kx_group::SECP256R1, kx_group::X25519],
            tls12_only: true,
        },
    ]
}

/// A running demo server; it stops when dropped.
#[derive(Debug)]
pub struct DemoServer {
    /// Its configuration.
    pub config: DemoConfig,
    /// Where it listens.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl DemoServer {
    /// A probe target for this server, labelled with its name.
    pub fn target(&self) -> Target {
        Target {
            label: self.config.name.to_string(),
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
            sni: Some("localhost".into()),
            protocol: crate::vocab::Protocol::Tls,
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why a demo server did not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// rcgen could not make the self-signed certificate.
    #[error("cannot generate demo certificate: {0}")]
    Certificate(rcgen::Error),
    /// rustls refused the configuration (versions, certificate or key).
    #[error("{0}")]
    Tls(rustls::Error),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {why}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why binding failed.
        why: std::io::Error,
    },
    /// The bound socket's address could not be read.
    #[error("{0}")]
    LocalAddr(std::io::Error),
}

/// Starts one server on 127.0.0.1 with an ephemeral port.
pub async fn start(config: DemoConfig) -> Result<DemoServer, DemoError> {
    start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts one server on `bind` (a loopback address; port 0 picks one).
pub async fn start_on(config: DemoConfig, bind: SocketAddr) -> Result<DemoServer, DemoError> {
    let (cert, signing_key) = certificate(config.name).map_err(DemoError::Certificate)?;
    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.kx_groups = config.groups.clone();
    let versions: &[&rustls::SupportedProtocolVersion] = if config.tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .map_err(DemoError::Tls)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(DemoError::Tls)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|why| DemoError::Listen { addr: bind, why })?;
    let addr = listener.local_addr().map_err(DemoError::LocalAddr)?;
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // Probes hang up after the ServerHello; errors here are expected.
                let _ =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await;
            });
        }
    });
    Ok(DemoServer { config, addr, task })
}

/// A self-signed ECDSA P-256 certificate for localhost, valid from
/// yesterday for 90 days, as a real server's would be.
fn certificate(name: &str) -> Result<(rcgen::Certificate, rcgen::KeyPair), rcgen::Error> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("pqready demo {name}"));
    let now = crate::time::now_unix();
    let day = |unix: i64| {
        let date = crate::time::date(unix);
        let mut parts = date.split('-').map(|p| p.parse::<i32>().unwrap_or(1));
        let (y, m, d) = (
            parts.next().unwrap_or(1970),
            parts.next().unwrap_or(1),
            parts.next().unwrap_or(1),
        );
        rcgen::date_time_ymd(y, m as u8, d as u8)
    };
    params.not_before = day(now - 86_400);
    params.not_after = day(now + 90 * 86_400);
    Ok((params.self_signed(&key)?, key))
}

/// Starts every demo server.
pub async fn start_all() -> Result<Vec<DemoServer>, DemoError> {
    let mut servers = Vec::new();
    for config in demo_configs() {
        servers.push(start(config).await?);
    }
    Ok(servers)
}
