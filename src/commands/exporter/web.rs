//! The exporter's web configuration (`--web.config.file`): the Prometheus
//! exporter-toolkit format, so an exporter's TLS, basic auth and extra
//! headers are configured as every other exporter's are.
//!
//! Owns: reading and checking that file (unknown keys and settings rustls
//! cannot honour are refused with one line), the TLS server configuration
//! (aws-lc-rs, X25519MLKEM768 first), the certificate that reloads itself
//! when its files change, and the basic-auth check. Must not: route
//! requests (that is the exporter's `mod.rs`).

use super::super::CommandError;
use hyper::header::{HeaderName, HeaderValue};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The file, as exporter-toolkit defines it; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebFile {
    tls_server_config: Option<TlsFile>,
    http_server_config: Option<HttpFile>,
    basic_auth_users: Option<BTreeMap<String, String>>,
    // Known to exporter-toolkit, not done here: refused by name below.
    rate_limit: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    client_ca_file: Option<PathBuf>,
    client_auth_type: Option<String>,
    min_version: Option<String>,
    max_version: Option<String>,
    cipher_suites: Option<Vec<String>>,
    curve_preferences: Option<Vec<String>>,
    prefer_server_cipher_suites: Option<bool>,
    // Known to exporter-toolkit, not done here: refused by name below.
    cert: Option<IgnoredAny>,
    key: Option<IgnoredAny>,
    client_ca: Option<IgnoredAny>,
    client_allowed_sans: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpFile {
    /// pqready serves HTTP/1.1 only; HTTP/2 is an option a client need
    /// not take, so either value is accepted.
    #[allow(dead_code)]
    http2: Option<bool>,
    headers: Option<BTreeMap<String, String>>,
}

/// The headers exporter-toolkit lets a web config add, and the values it
/// accepts where they form a closed set (any value when empty).
const EXTRA_HEADERS: &[(&str, &[&str])] = &[
    ("Strict-Transport-Security", &[]),
    ("X-Content-Type-Options", &["nosniff"]),
    ("X-Frame-Options", &["deny", "sameorigin"]),
    ("X-XSS-Protection", &[]),
    ("Content-Security-Policy", &[]),
];

/// How the exporter's port is served: plain HTTP without a web config.
#[derive(Clone, Default)]
pub struct Web {
    /// The TLS server configuration, when `tls_server_config` is set.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The users who may ask, when `basic_auth_users` is set.
    pub auth: Option<Arc<BasicAuth>>,
    /// Added to every response.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Web")
            .field("tls", &self.tls.is_some())
            .field("users", &self.auth.as_ref().map(|a| a.users.len()))
            .field("headers", &self.headers)
            .finish()
    }
}

impl Web {
    /// Reads and checks `path`; the first problem is one line naming it.
    pub fn load(path: &Path) -> Result<Web, CommandError> {
        let fail = |m: String| CommandError(format!("--web.config.file {}: {m}", path.display()));
        let text = super::super::output::read_flag_file("--web.config.file", path, 1 << 20)?;
        let file = serde_saphyr::from_str::<Option<WebFile>>(&text)
            .map_err(|e| {
                let first = e.to_string();
                fail(first.lines().next().unwrap_or("not valid YAML").to_string())
            })?
            .unwrap_or_default();
        if file.rate_limit.is_some() {
            return Err(fail(
                "rate_limit is not supported by pqready (the exporter bounds its connections and probes itself)".into(),
            ));
        }
        // Relative paths are relative to the web config's directory, as in
        // exporter-toolkit.
        let base = path.parent().unwrap_or(Path::new("."));
        let tls = match file.tls_server_config {
            Some(t) => Some(Arc::new(tls_config(t, base).map_err(fail)?)),
            None => None,
        };
        let headers = match file.http_server_config.and_then(|h| h.headers) {
            Some(h) => extra_headers(h).map_err(fail)?,
            None => Vec::new(),
        };
        let auth = match file.basic_auth_users {
            Some(users) if !users.is_empty() => {
                Some(Arc::new(BasicAuth::new(users).map_err(fail)?))
            }
            _ => None,
        };
        Ok(Web { tls, auth, headers })
    }
}

fn extra_headers(
    headers: BTreeMap<String, String>,
) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let mut out = Vec::new();
    for (name, value) in headers {
        let Some((_, allowed)) = EXTRA_HEADERS.iter().find(|(n, _)| *n == name) else {
            return Err(format!(
                "HTTP header {name:?} can not be configured (only {})",
                EXTRA_HEADERS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        if value.is_empty() {
            // "Unset if blank", as exporter-toolkit says.
            continue;
        }
        if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
            return Err(format!(
                "invalid value {value:?} for {name}: use one of {}",
                allowed.join(", ")
            ));
        }
        let value = HeaderValue::from_str(&value)
            .map_err(|_| format!("invalid value {value:?} for {name}: not a header value"))?;
        out.push((HeaderName::from_static_lowercase(&name), value));
    }
    Ok(out)
}

/// `HeaderName::from_static` wants lower case; the table spells names as
/// exporter-toolkit does.
trait FromStaticLowercase {
    fn from_static_lowercase(name: &str) -> HeaderName;
}

impl FromStaticLowercase for HeaderName {
    fn from_static_lowercase(name: &str) -> HeaderName {
        HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
            .expect("the table's names are valid header names")
    }
}

fn tls_config(t: TlsFile, base: &Path) -> Result<rustls::ServerConfig, String> {
    for (key, given) in [
        ("cert", t.cert.is_some()),
        ("key", t.key.is_some()),
        ("client_ca", t.client_ca.is_some()),
    ] {
        if given {
            return Err(format!(
                "tls_server_config.{key} (inline PEM) is not supported by pqready: use {key}_file, which is reloaded when it changes"
            ));
        }
    }
    if t.client_allowed_sans.is_some() {
        return Err(
            "tls_server_config.client_allowed_sans is not supported by pqready: issue client certificates from a CA of their own and name it in client_ca_file".into(),
        );
    }
    let cert_file = t
        .cert_file
        .map(|p| base.join(p))
        .ok_or("tls_server_config: missing cert_file")?;
    let key_file = t
        .key_file
        .map(|p| base.join(p))
        .ok_or("tls_server_config: missing key_file")?;

    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if let Some(names) = &t.cipher_suites {
        // As in Go, the list chooses among TLS 1.2 suites; TLS 1.3's are
        // not configurable.
        let mut tls12 = Vec::new();
        for name in names {
            tls12.push(tls12_suite(name)?);
        }
        if tls12.is_empty() {
            return Err(
                "tls_server_config.cipher_suites is empty: leave it out for the defaults".into(),
            );
        }
        provider
            .cipher_suites
            .retain(|s| s.version() == &rustls::version::TLS13);
        provider.cipher_suites.extend(tls12);
    }
    if let Some(names) = &t.curve_preferences {
        let mut groups = Vec::new();
        for name in names {
            groups.push(kx_group(name)?);
        }
        if groups.is_empty() {
            return Err(
                "tls_server_config.curve_preferences is empty: leave it out for the defaults"
                    .into(),
            );
        }
        provider.kx_groups = groups;
    }
    let provider = Arc::new(provider);

    let min = tls_version("min_version", t.min_version.as_deref().unwrap_or("TLS12"))?;
    let max = tls_version("max_version", t.max_version.as_deref().unwrap_or("TLS13"))?;
    let versions: Vec<&'static rustls::SupportedProtocolVersion> =
        [(12, &rustls::version::TLS12), (13, &rustls::version::TLS13)]
            .into_iter()
            .filter(|(v, _)| (min..=max).contains(v))
            .map(|(_, v)| v)
            .collect();
    if versions.is_empty() {
        return Err("tls_server_config: min_version is above max_version".into());
    }

    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("tls_server_config: {e}"))?;
    let verify = match t.client_auth_type.as_deref().unwrap_or("NoClientCert") {
        "" | "NoClientCert" => None,
        "VerifyClientCertIfGiven" => Some(false),
        "RequireAndVerifyClientCert" => Some(true),
        // Go requests (or requires) a certificate and then checks nothing
        // about it; rustls verifies every client certificate it accepts.
        kind @ ("RequestClientCert" | "RequireAnyClientCert" | "RequireClientCert") => {
            return Err(format!(
                "client_auth_type {kind} is not supported by pqready (it accepts unverified client certificates): use VerifyClientCertIfGiven or RequireAndVerifyClientCert with client_ca_file"
            ))
        }
        other => {
            return Err(format!(
                "invalid client_auth_type {other:?}: use NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert"
            ))
        }
    };
    let builder = match (verify, t.client_ca_file) {
        (None, None) => builder.with_no_client_auth(),
        (None, Some(_)) => return Err(
            "client_ca_file is set but client_auth_type is NoClientCert: set client_auth_type too"
                .into(),
        ),
        (Some(_), None) => {
            return Err("client_auth_type verifies client certificates: set client_ca_file".into())
        }
        (Some(required), Some(ca)) => {
            let ca = base.join(ca);
            let roots = client_roots(&ca)?;
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                roots,
                provider.clone(),
            );
            let verifier = if required {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            let verifier = verifier
                .build()
                .map_err(|e| format!("client_ca_file {}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let resolver = Reloading::new(cert_file, key_file, provider)?;
    let mut config = builder.with_cert_resolver(Arc::new(resolver));
    config.ignore_client_order = t.prefer_server_cipher_suites.unwrap_or(true);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn tls_version(key: &str, name: &str) -> Result<u8, String> {
    match name {
        "TLS12" => Ok(12),
        "TLS13" => Ok(13),
        "TLS10" | "TLS11" => Err(format!(
            "{key} {name} is not supported by pqready (rustls speaks TLS 1.2 and 1.3): use TLS12 or TLS13"
        )),
        other => Err(format!("invalid {key} {other:?}: use TLS12 or TLS13")),
    }
}

/// A TLS 1.2 suite by its Go name (`crypto/tls.CipherSuites()`).
fn tls12_suite(name: &str) -> Result<rustls::SupportedCipherSuite, String> {
    use rustls::crypto::aws_lc_rs::cipher_suite as cs;
    Ok(match name {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" => cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" | "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305" => {
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        }
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" => cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" | "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305" => {
            cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        }
        "TLS_AES_128_GCM_SHA256" | "TLS_AES_256_GCM_SHA384" | "TLS_CHACHA20_POLY1305_SHA256" => {
            return Err(format!(
                "cipher_suites: {name} is a TLS 1.3 suite, which is not configurable (as in Go): list TLS 1.2 suites only"
            ))
        }
        other => {
            return Err(format!(
                "cipher_suites: {other} is not supported by pqready (rustls offers only ECDHE with AES-GCM or ChaCha20-Poly1305 for TLS 1.2)"
            ))
        }
    })
}

/// A key-exchange group by its Go name (`crypto/tls.CurveID`).
fn kx_group(name: &str) -> Result<&'static dyn rustls::crypto::SupportedKxGroup, String> {
    use rustls::crypto::aws_lc_rs::kx_group as kx;
    Ok(match name {
        "X25519MLKEM768" => kx::X25519MLKEM768,
        "X25519" => kx::X25519,
        "CurveP256" => kx::SECP256R1,
        "CurveP384" => kx::SECP384R1,
        "CurveP521" => {
            return Err(
                "curve_preferences: CurveP521 is not supported by pqready (rustls has no P-521 key exchange)"
                    .into(),
            )
        }
        other => {
            return Err(format!(
                "curve_preferences: unknown curve {other:?}: use X25519MLKEM768, X25519, CurveP256 or CurveP384"
            ))
        }
    })
}

fn client_roots(path: &Path) -> Result<Arc<rustls::RootCertStore>, String> {
    let what = format!("client_ca_file {}", path.display());
    let bytes = std::fs::read(path).map_err(|e| format!("{what}: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| format!("{what}: not PEM ({e})"))?;
        roots
            .add(cert)
            .map_err(|e| format!("{what}: not a CA certificate ({e})"))?;
    }
    if roots.is_empty() {
        return Err(format!("{what}: no CERTIFICATE in it"));
    }
    Ok(Arc::new(roots))
}

/// What identifies the files' contents without reading them: device,
/// inode, size and modification time of each (after symlinks, so the
/// kubelet's swap of the `..data` link changes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp([(u64, u64, u64, i64, i64); 2]);

fn stamp(cert: &Path, key: &Path) -> std::io::Result<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let one = |p: &Path| {
        std::fs::metadata(p).map(|m| (m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
    };
    Ok(Stamp([one(cert)?, one(key)?]))
}

/// The certificate and key, checked: PEM, a chain, a key the provider can
/// sign with, and a key that matches the certificate.
fn load_pair(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, String> {
    let chain_bytes =
        std::fs::read(cert).map_err(|e| format!("cert_file {}: {e}", cert.display()))?;
    let chain = CertificateDer::pem_slice_iter(&chain_bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cert_file {}: not PEM ({e})", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "cert_file {}: no CERTIFICATE in it",
            cert.display()
        ));
    }
    let key_bytes = std::fs::read(key).map_err(|e| format!("key_file {}: {e}", key.display()))?;
    let private = PrivateKeyDer::from_pem_slice(&key_bytes)
        .map_err(|e| format!("key_file {}: no private key in it ({e})", key.display()))?;
    let certified = CertifiedKey::from_der(chain, private, provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => format!(
            "key_file {} does not match the certificate in cert_file {}",
            key.display(),
            cert.display()
        ),
        e => format!(
            "cert_file {} / key_file {}: {e}",
            cert.display(),
            key.display()
        ),
    })?;
    Ok(Arc::new(certified))
}

/// The server certificate, reloaded when its files change (cert-manager
/// rotates a Secret; the kubelet swaps the files in by a symlink rename).
/// Each handshake costs two `stat` calls; a changed pair is read once, and
/// a pair that does not load keeps the previous certificate and is
/// reported once.
#[derive(Debug)]
struct Reloading {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: Mutex<Current>,
}

#[derive(Debug)]
struct Current {
    stamp: Stamp,
    key: Arc<CertifiedKey>,
    /// The last pair that failed to load: not tried again until it changes.
    failed: Option<Stamp>,
}

impl Reloading {
    fn new(cert: PathBuf, key: PathBuf, provider: Arc<CryptoProvider>) -> Result<Self, String> {
        let stamp = stamp(&cert, &key).map_err(|e| {
            let missing = if std::fs::metadata(&cert).is_err() {
                format!("cert_file {}", cert.display())
            } else {
                format!("key_file {}", key.display())
            };
            format!("{missing}: {e}")
        })?;
        let certified = load_pair(&cert, &key, &provider)?;
        Ok(Reloading {
            cert,
            key,
            provider,
            current: Mutex::new(Current {
                stamp,
                key: certified,
                failed: None,
            }),
        })
    }

    fn certified(&self) -> Arc<CertifiedKey> {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let now = match stamp(&self.cert, &self.key) {
            Ok(s) => s,
            // Mid-rotation or gone: serve what was loaded.
            Err(_) => return current.key.clone(),
        };
        if now == current.stamp || Some(now) == current.failed {
            return current.key.clone();
        }
        match load_pair(&self.cert, &self.key, &self.provider) {
            Ok(key) => {
                tracing::info!(
                    cert_file = %self.cert.display(),
                    "reloaded the TLS certificate"
                );
                *current = Current {
                    stamp: now,
                    key,
                    failed: None,
                };
            }
            Err(why) => {
                tracing::error!(
                    error = %why,
                    "cannot reload the TLS certificate; serving the previous one"
                );
                current.failed = Some(now);
            }
        }
        current.key.clone()
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.certified())
    }
}

/// The `basic_auth_users`, and the passwords already checked.
pub struct BasicAuth {
    users: HashMap<String, String>,
    /// Checked in place of an unknown user's hash, so an unknown user costs
    /// the same bcrypt run as a known one (no user enumeration by timing).
    dummy: String,
    /// Digests of (user, hash, password) that verified: bcrypt is slow on
    /// purpose, and Prometheus sends the same credentials every scrape.
    verified: Mutex<HashSet<[u8; 32]>>,
    /// bcrypt runs one at a time, off the async threads: it bounds the CPU
    /// unauthenticated clients can take.
    running: tokio::sync::Semaphore,
}

/// Distinct verified credentials remembered; past that the memory starts
/// over (a client would need valid passwords to fill it).
const VERIFIED_CAP: usize = 256;

impl BasicAuth {
    fn new(users: BTreeMap<String, String>) -> Result<Self, String> {
        let mut cost = 0;
        for (user, hash) in &users {
            let parts: bcrypt::HashParts = hash
                .parse()
                .map_err(|e| format!("basic_auth_users: {user}: not a bcrypt hash ({e})"))?;
            cost = cost.max(parts.get_cost());
        }
        // The dummy costs what the dearest real hash costs.
        let dummy = bcrypt::hash_with_salt("pqready: no such user", cost, [7u8; 16])
            .map_err(|e| format!("basic_auth_users: {e}"))?
            .format_for_version(bcrypt::Version::TwoB);
        Ok(BasicAuth {
            users: users.into_iter().collect(),
            dummy,
            verified: Mutex::new(HashSet::new()),
            running: tokio::sync::Semaphore::new(1),
        })
    }

    /// Whether the request's `Authorization: Basic` names a user and the
    /// right password.
    pub async fn permits(self: &Arc<Self>, headers: &hyper::HeaderMap) -> bool {
        let Some((user, password)) = basic_credentials(headers) else {
            return false;
        };
        let (known, hash) = match self.users.get(&user) {
            Some(h) => (true, h.clone()),
            None => (false, self.dummy.clone()),
        };
        let digest = {
            let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
            for part in [user.as_bytes(), hash.as_bytes(), password.as_bytes()] {
                ctx.update(&(part.len() as u64).to_be_bytes());
                ctx.update(part);
            }
            let mut out = [0u8; 32];
            out.copy_from_slice(ctx.finish().as_ref());
            out
        };
        if known
            && self
                .verified
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&digest)
        {
            return true;
        }
        let Ok(_turn) = self.running.acquire().await else {
            return false;
        };
        let ok = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
            .await
            .ok()
            .and_then(|r| r.ok())
            .unwrap_or(false);
        if ok && known {
            let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
            if verified.len() >= VERIFIED_CAP {
                verified.clear();
            }
            verified.insert(digest);
        }
        ok && known
    }
}

fn basic_credentials(headers: &hyper::HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn pair(dir: &Path) {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        write(dir, "tls.crt", &c.cert.pem());
        write(dir, "tls.key", &c.signing_key.serialize_pem());
    }

    fn error(dir: &Path, yaml: &str) -> String {
        let p = write(dir, "web.yml", yaml);
        let e = Web::load(&p).unwrap_err().0;
        assert!(!e.contains('\n'), "one line: {e}");
        assert!(e.starts_with("--web.config.file "), "{e}");
        e
    }

    #[test]
    fn refuses_what_it_cannot_honour_in_one_line() {
        let dir = tempfile::tempdir().unwrap();
        pair(dir.path());
        let tls = "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n";
        for (extra, expect) in [
            (
                "  client_auth_type: RequireAnyClientCert\n",
                "RequireAnyClientCert is not supported",
            ),
            (
                "  client_auth_type: RequestClientCert\n",
                "RequestClientCert is not supported",
            ),
            (
                "  client_auth_type: Sometimes\n",
                "invalid client_auth_type",
            ),
            (
                "  client_auth_type: RequireAndVerifyClientCert\n",
                "set client_ca_file",
            ),
            ("  client_ca_file: tls.crt\n", "NoClientCert"),
            (
                "  min_version: TLS11\n",
                "min_version TLS11 is not supported",
            ),
            (
                "  min_version: TLS13\n  max_version: TLS12\n",
                "above max_version",
            ),
            (
                "  curve_preferences: [CurveP521]\n",
                "CurveP521 is not supported",
            ),
            (
                "  cipher_suites: [TLS_RSA_WITH_AES_128_CBC_SHA]\n",
                "TLS_RSA_WITH_AES_128_CBC_SHA is not supported",
            ),
            (
                "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
                "TLS 1.3 suite",
            ),
            ("  cert: inline\n", "inline PEM"),
            (
                "  client_allowed_sans: [a]\n",
                "client_allowed_sans is not supported",
            ),
            ("  certfile: x\n", "certfile"),
        ] {
            let e = error(dir.path(), &format!("{tls}{extra}"));
            assert!(e.contains(expect), "{extra}: {e}");
        }
        for (yaml, expect) in [
            (
                "rate_limit:\n  interval: 1s\n",
                "rate_limit is not supported",
            ),
            ("basic_auth_user:\n  a: b\n", "basic_auth_user"),
            ("basic_auth_users:\n  a: plain\n", "not a bcrypt hash"),
            (
                "http_server_config:\n  headers:\n    Content-Type: foo\n",
                "\"Content-Type\" can not be configured",
            ),
            (
                "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
                "invalid value \"allow\" for X-Frame-Options",
            ),
            (
                "tls_server_config:\n  cert_file: nope.crt\n  key_file: tls.key\n",
                "cert_file",
            ),
        ] {
            let e = error(dir.path(), yaml);
            assert!(e.contains(expect), "{yaml}: {e}");
        }
        // A key that is not the certificate's.
        let other = rcgen::generate_simple_self_signed(vec!["x".into()]).unwrap();
        write(dir.path(), "other.key", &other.signing_key.serialize_pem());
        let e = error(
            dir.path(),
            "tls_server_config:\n  cert_file: tls.crt\n  key_file: other.key\n",
        );
        assert!(e.contains("does not match"), "{e}");
        write(
            dir.path(),
            "bad.crt",
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        );
        let e = error(
            dir.path(),
            "tls_server_config:\n  cert_file: bad.crt\n  key_file: tls.key\n",
        );
        assert!(e.contains("bad.crt"), "{e}");
    }

    #[test]
    fn accepts_what_maps_to_rustls() {
        let dir = tempfile::tempdir().unwrap();
        pair(dir.path());
        let hash = bcrypt::hash("pw", 4).unwrap();
        let p = write(
            dir.path(),
            "web.yml",
            &format!("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: tls.crt\n  min_version: TLS13\n  curve_preferences: [X25519MLKEM768, X25519]\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  prefer_server_cipher_suites: false\nhttp_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n    Content-Security-Policy: \"default-src 'none'\"\n    X-XSS-Protection: \"\"\nbasic_auth_users:\n  prometheus: \"{hash}\"\n"),
        );
        let web = Web::load(&p).unwrap();
        let tls = web.tls.unwrap();
        assert!(!tls.ignore_client_order);
        assert_eq!(web.headers.len(), 2, "the blank one is unset");
        assert!(web.auth.is_some());
    }

    #[test]
    fn the_default_groups_put_x25519mlkem768_first() {
        let dir = tempfile::tempdir().unwrap();
        pair(dir.path());
        let p = write(
            dir.path(),
            "web.yml",
            "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n",
        );
        let tls = Web::load(&p).unwrap().tls.unwrap();
        let groups: Vec<_> = tls
            .crypto_provider()
            .kx_groups
            .iter()
            .map(|g| g.name())
            .collect();
        assert_eq!(groups[0], rustls::NamedGroup::X25519MLKEM768, "{groups:?}");
    }

    #[tokio::test]
    async fn basic_auth_checks_user_and_password() {
        // Cost 4 keeps the test quick; the check is the same at any cost.
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let mut users = BTreeMap::new();
        users.insert("prometheus".to_string(), hash);
        let auth = Arc::new(BasicAuth::new(users).unwrap());
        assert!(auth.dummy.starts_with("$2b$04$"), "{}", auth.dummy);
        let with = |v: &str| {
            let mut h = hyper::HeaderMap::new();
            h.insert(hyper::header::AUTHORIZATION, v.parse().unwrap());
            h
        };
        use base64::Engine as _;
        let basic = |up: &str| {
            with(&format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(up)
            ))
        };
        assert!(auth.permits(&basic("prometheus:s3cret")).await);
        // Again, from what was remembered.
        assert!(auth.permits(&basic("prometheus:s3cret")).await);
        assert!(!auth.permits(&basic("prometheus:wrong")).await);
        assert!(!auth.permits(&basic("nobody:s3cret")).await);
        // The dummy's own password does not let an unknown user in.
        assert!(!auth.permits(&basic("nobody:pqready: no such user")).await);
        assert!(!auth.permits(&with("Bearer abc")).await);
        assert!(!auth.permits(&hyper::HeaderMap::new()).await);
    }
}
