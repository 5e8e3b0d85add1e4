//! Certificates and keys found in files: what `pqready certs PATH...` reads.
//!
//! Owns: walking files and directories (and `-`, standard input) within
//! limits, sniffing each file by its content, and reading what it holds:
//! - PEM, one block or a bundle (certificates, CSRs, public and private keys);
//! - DER: a certificate, else a CSR, a SubjectPublicKeyInfo, a PKCS#8 (or
//!   encrypted PKCS#8, PKCS#1, SEC1) private key, a PKCS#1 public key;
//! - kubeconfigs (`kind: Config`, kubeadm's admin.conf, kubelet.conf, …):
//!   each cluster's `certificate-authority-data` and each user's
//!   `client-certificate-data` and `client-key-data`, and the files that
//!   `certificate-authority`, `client-certificate` and `client-key` name
//!   (relative to the kubeconfig); tokens, passwords and exec plugins are
//!   never read;
//! - Kubernetes Secrets of type `kubernetes.io/tls` (`tls.crt`, `ca.crt`,
//!   `tls.key`, from `data` or `stringData`), in YAML or JSON, one, several
//!   documents, or a `List`;
//! - the role of each file of a kubeadm PKI directory ([`KUBEADM_ROLES`]).
//!
//! Every file is hostile input: a file is read only if it is a regular file
//! no larger than [`Limits::max_file_bytes`], directories are entered at most
//! [`Limits::max_depth`] levels deep, a run examines at most
//! [`Limits::max_files`] files and a file yields at most [`Limits::max_items`]
//! items. Each problem becomes an error of its file, never a panic, and no
//! error quotes file content: private keys yield their algorithm and size
//! only ([`super::keys`]).
//!
//! Must not: judge (that is `assess::certs`) or format anything.

use super::keys::{self, CsrFacts, PemKind};
use super::{parse_certificate, CertificateFacts, KeyFacts, PkiError};
use crate::vocab::{FileFormat, KeyKind};
use base64::Engine as _;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// How much `pqready certs` reads at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes: a larger one is an error, and is not read.
    pub max_file_bytes: u64,
    /// Directory levels entered below each path given.
    pub max_depth: usize,
    /// Files examined in one run; the walk stops with an error after that.
    pub max_files: u64,
    /// Certificates, keys and requests read from one file.
    pub max_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 8 * 1024 * 1024,
            max_depth: 16,
            max_files: 100_000,
            max_items: 10_000,
        }
    }
}

/// A certificate found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCertificate {
    /// What it says (with its `role` where one is recognised).
    pub facts: CertificateFacts,
    /// Where in the file: `block 2`, `Secret default/web tls.crt block 1`,
    /// `cluster kind certificate-authority-data block 1`.
    pub source: String,
    /// Which group of the file it belongs to: the certificates of one PEM
    /// bundle, one `tls.crt`, one kubeconfig field share a chain number.
    pub chain: usize,
    /// Its position in that group (0 first: the leaf of a chain).
    pub position: usize,
}

/// A key (or certificate request) found in a file: never its material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundKey {
    /// Public, private, or a certificate signing request.
    pub kind: KeyKind,
    /// What it is for, where recognised (kubeadm, kubeconfig, Secret roles).
    pub role: Option<String>,
    /// Where in the file, as for certificates.
    pub source: String,
    /// A request's subject.
    pub subject: Option<String>,
    /// A request's signature algorithm.
    pub signature_algorithm: Option<String>,
    /// The key's algorithm and size.
    pub facts: KeyFacts,
}

/// Everything read from one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileFacts {
    /// The file as given or found (`-` for standard input).
    pub path: String,
    /// How it was read; `None` when it could not be read at all.
    pub format: Option<FileFormat>,
    /// Certificates, in file order.
    pub certificates: Vec<FoundCertificate>,
    /// Keys and requests, in file order.
    pub keys: Vec<FoundKey>,
    /// Things worth knowing that are not errors (a Secret of another type,
    /// a PEM block pqready does not read).
    pub notes: Vec<String>,
    /// Why the file, or part of it, could not be read.
    pub errors: Vec<String>,
}

impl FileFacts {
    fn new(path: &str) -> Self {
        FileFacts {
            path: path.to_string(),
            ..FileFacts::default()
        }
    }

    /// The errors as one line, or `None`.
    pub fn error(&self) -> Option<String> {
        (!self.errors.is_empty()).then(|| self.errors.join("; "))
    }

    /// The certificates grouped by chain number, in file order.
    pub fn chains(&self) -> Vec<Vec<&FoundCertificate>> {
        let mut out: Vec<Vec<&FoundCertificate>> = Vec::new();
        for cert in &self.certificates {
            match out.iter_mut().find(|g| g[0].chain == cert.chain) {
                Some(group) => group.push(cert),
                None => out.push(vec![cert]),
            }
        }
        out
    }
}

/// True when the certificates form a chain by name, leaf first: more than
/// one, each issued by the next.
pub fn is_chain(certs: &[&CertificateFacts]) -> bool {
    certs.len() > 1 && certs.windows(2).all(|w| w[0].issuer == w[1].subject)
}

/// The outcome for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadItem {
    /// A file that held certificates or keys, or could not be read.
    File(Box<FileFacts>),
    /// A file found in a directory that holds no certificate material (or a
    /// link or special file that was not opened).
    Skipped {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Files seen, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Files reported (read, or with an error).
    pub files: u64,
    /// Files with an error.
    pub errors: u64,
    /// Files skipped.
    pub skipped: u64,
}

// ------------------------------------------------------------------ kubeadm

/// Where a kubeadm PKI file lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeadmDir {
    /// The PKI directory itself (`/etc/kubernetes/pki`).
    Pki,
    /// Its `etcd/` subdirectory.
    Etcd,
}

/// The files of a kubeadm PKI directory and their roles: (directory, file,
/// role). The role ids are stable and appear in JSON as `role`.
pub const KUBEADM_ROLES: &[(KubeadmDir, &str, &str)] = &[
    (KubeadmDir::Pki, "ca.crt", "cluster-ca"),
    (KubeadmDir::Pki, "ca.key", "cluster-ca"),
    (KubeadmDir::Pki, "apiserver.crt", "apiserver"),
    (KubeadmDir::Pki, "apiserver.key", "apiserver"),
    (
        KubeadmDir::Pki,
        "apiserver-kubelet-client.crt",
        "apiserver-kubelet-client",
    ),
    (
        KubeadmDir::Pki,
        "apiserver-kubelet-client.key",
        "apiserver-kubelet-client",
    ),
    (
        KubeadmDir::Pki,
        "apiserver-etcd-client.crt",
        "apiserver-etcd-client",
    ),
    (
        KubeadmDir::Pki,
        "apiserver-etcd-client.key",
        "apiserver-etcd-client",
    ),
    (KubeadmDir::Pki, "front-proxy-ca.crt", "front-proxy-ca"),
    (KubeadmDir::Pki, "front-proxy-ca.key", "front-proxy-ca"),
    (
        KubeadmDir::Pki,
        "front-proxy-client.crt",
        "front-proxy-client",
    ),
    (
        KubeadmDir::Pki,
        "front-proxy-client.key",
        "front-proxy-client",
    ),
    (KubeadmDir::Pki, "sa.key", "service-account-key"),
    (KubeadmDir::Pki, "sa.pub", "service-account-public-key"),
    (KubeadmDir::Etcd, "ca.crt", "etcd-ca"),
    (KubeadmDir::Etcd, "ca.key", "etcd-ca"),
    (KubeadmDir::Etcd, "server.crt", "etcd-server"),
    (KubeadmDir::Etcd, "server.key", "etcd-server"),
    (KubeadmDir::Etcd, "peer.crt", "etcd-peer"),
    (KubeadmDir::Etcd, "peer.key", "etcd-peer"),
    (
        KubeadmDir::Etcd,
        "healthcheck-client.crt",
        "etcd-healthcheck-client",
    ),
    (
        KubeadmDir::Etcd,
        "healthcheck-client.key",
        "etcd-healthcheck-client",
    ),
];

/// A directory looks like kubeadm's `/etc/kubernetes/pki` when it holds
/// `ca.crt` and at least one of kubeadm's other top-level files.
fn looks_like_kubeadm_pki(dir: &Path) -> bool {
    dir.join("ca.crt").is_file()
        && [
            "apiserver.crt",
            "apiserver.key",
            "sa.key",
            "sa.pub",
            "front-proxy-ca.crt",
        ]
        .iter()
        .any(|f| dir.join(f).is_file())
}

/// Remembers which directories look like kubeadm's.
#[derive(Default)]
struct KubeadmCache(HashMap<PathBuf, bool>);

impl KubeadmCache {
    fn is_pki(&mut self, dir: &Path) -> bool {
        if let Some(known) = self.0.get(dir) {
            return *known;
        }
        let answer = looks_like_kubeadm_pki(dir);
        self.0.insert(dir.to_path_buf(), answer);
        answer
    }

    /// The kubeadm role of the file at `path`, if its directory is a kubeadm
    /// PKI directory (or that directory's `etcd/`).
    fn role(&mut self, path: &Path) -> Option<&'static str> {
        let name = path.file_name()?.to_str()?;
        let dir = match path.parent() {
            Some(d) if d.as_os_str().is_empty() => Path::new("."),
            Some(d) => d,
            None => return None,
        };
        let place = if self.is_pki(dir) {
            KubeadmDir::Pki
        } else if dir.file_name().is_some_and(|n| n == "etcd")
            && dir.parent().is_some_and(|p| {
                let p = if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                };
                self.is_pki(p)
            })
        {
            KubeadmDir::Etcd
        } else {
            return None;
        };
        KUBEADM_ROLES
            .iter()
            .find(|(d, file, _)| *d == place && *file == name)
            .map(|(_, _, role)| *role)
    }
}

// ------------------------------------------------------------------ reading

/// How to read one file's bytes.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The limits (items per file; file size for referenced files).
    pub limits: Limits,
    /// The user named this file (or `-`): content pqready does not recognise
    /// is an error. A file found in a directory is skipped instead.
    pub given: bool,
    /// Where a kubeconfig's file references are resolved; `None`: they are
    /// not followed (noted instead).
    pub base_dir: Option<PathBuf>,
    /// The role of everything in the file (a kubeadm PKI file).
    pub role: Option<String>,
}

/// What reading one file's bytes gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Certificates and keys, or errors.
    Facts(FileFacts),
    /// Nothing pqready reads (only for files not given by the user).
    Nothing(String),
}

/// Extensions that promise certificate material: a file found with one of
/// these that cannot be read is an error, not skipped.
const PKI_EXTENSIONS: &[&str] = &[
    "crt", "cer", "cert", "der", "pem", "key", "pub", "csr", "req", "p8", "pk8",
];

/// Reads one file's content. `name` is the path shown in reports.
pub fn read_bytes(name: &str, bytes: &[u8], options: &ReadOptions) -> Content {
    let mut reader = Reader {
        out: FileFacts::new(name),
        options,
        next_chain: 0,
        full: false,
        dropped_errors: 0,
        dropped_notes: 0,
    };
    let place = Place {
        role: options.role.clone(),
        source: String::new(),
    };
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)).ok();
    let sniffed = sniff(bytes, text);
    let claims_pki = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PKI_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    match (sniffed, text) {
        (Sniffed::Executable(what), _) => {
            // An executable carries PEM-looking strings (Go's crypto/x509
            // has "-----BEGIN " in it) but never a certificate to judge.
            let reason = format!("{what}, not certificate material");
            if !options.given && !claims_pki {
                return Content::Nothing(reason);
            }
            reader.out.errors.push(reason);
        }
        (Sniffed::Empty, _) => {
            if !options.given && !claims_pki {
                return Content::Nothing("empty".into());
            }
            reader.out.errors.push("empty file".into());
        }
        (Sniffed::Structured { json, kind }, Some(text)) => {
            match parse_documents(text, json) {
                Ok(docs) => reader.documents(&docs),
                Err(e) => {
                    // A YAML file that does not say it is one of ours (a Helm
                    // template, a pod manifest) is not certificate material.
                    if !options.given && !kind.as_deref().is_some_and(is_our_kind) {
                        return Content::Nothing(format!("not a kubeconfig or Secret ({e})"));
                    }
                    reader.out.errors.push(e.to_string());
                }
            }
        }
        (Sniffed::Pem, _) => {
            reader.out.format = Some(FileFormat::Pem);
            reader.pem(bytes, &place);
        }
        _ => {
            reader.out.format = Some(FileFormat::Der);
            if let Err(e) = reader.der(bytes, &place) {
                if !options.given && !claims_pki {
                    return Content::Nothing("no certificate material".into());
                }
                reader.out.format = None;
                reader.out.errors.push(e.to_string());
            }
        }
    }
    let out = reader.finish();
    if out.certificates.is_empty() && out.keys.is_empty() && out.errors.is_empty() {
        if !options.given {
            return Content::Nothing(
                out.notes
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no certificate material".into()),
            );
        }
        let mut out = out;
        out.errors
            .push("no certificate, key or certificate request found".into());
        return Content::Facts(out);
    }
    Content::Facts(out)
}

fn is_our_kind(kind: &str) -> bool {
    matches!(kind, "Secret" | "List" | "SecretList" | "Config")
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Sniffed {
    Empty,
    /// YAML or JSON that looks like a Kubernetes object or a kubeconfig;
    /// `kind` is what its `kind:` line says, if it has one.
    Structured {
        json: bool,
        kind: Option<String>,
    },
    Pem,
    Der,
    /// An executable or object file (ELF, Mach-O, PE, WebAssembly, an `ar`
    /// archive): named as the text says.
    Executable(&'static str),
}

/// The executable and object formats, by their leading magic bytes.
const EXECUTABLE_MAGIC: &[(&[u8], &str)] = &[
    (b"\x7fELF", "an ELF executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xce", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O universal binary"),
    (b"\0asm", "a WebAssembly module"),
    (b"!<arch>\n", "an ar archive"),
];

/// What the content looks like: an executable (by its magic bytes), JSON
/// (`{`), YAML with top-level `kind:`, `apiVersion:` or `clusters:` keys,
/// PEM (`-----BEGIN ` in text), else DER.
fn sniff(bytes: &[u8], text: Option<&str>) -> Sniffed {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Sniffed::Empty;
    }
    if let Some((_, what)) = EXECUTABLE_MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Sniffed::Executable(what);
    }
    // "MZ" also begins words: only binary content is a PE executable.
    if text.is_none() && bytes.starts_with(b"MZ") {
        return Sniffed::Executable("a PE (Windows) executable");
    }
    let Some(text) = text else {
        // Binary content with a PEM-looking string inside is not PEM: a PEM
        // file is text, and a NUL byte never appears in one (DER starts with
        // a SEQUENCE tag, which is not a NUL either).
        let starts_pem = bytes.trim_ascii_start().starts_with(b"-----BEGIN ");
        return if find(bytes, b"-----BEGIN ", 0).is_some() && (starts_pem || !bytes.contains(&0)) {
            Sniffed::Pem
        } else {
            Sniffed::Der
        };
    };
    if text.trim_start().starts_with('{') {
        return Sniffed::Structured {
            json: true,
            kind: json_kind_hint(text),
        };
    }
    let mut kind = None;
    let mut structured = false;
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("kind:") {
            kind = Some(value.trim().trim_matches(['"', '\'']).to_string());
            structured = true;
        } else if line.starts_with("apiVersion:") || line.starts_with("clusters:") {
            structured = true;
        }
    }
    if structured {
        Sniffed::Structured { json: false, kind }
    } else if text.contains("-----BEGIN ") {
        Sniffed::Pem
    } else {
        Sniffed::Der
    }
}

/// The value of the first `"kind": "…"` in a JSON text, found without
/// parsing it (for a file that then fails to parse).
fn json_kind_hint(text: &str) -> Option<String> {
    let at = text.find("\"kind\"")?;
    let rest = text[at + 6..].trim_start().strip_prefix(':')?.trim_start();
    let value = rest.strip_prefix('"')?;
    Some(value[..value.find('"')?].to_string())
}

/// Why a YAML or JSON file did not parse: where, never what (the text may
/// hold tokens and keys).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum SyntaxError {
    #[error("not valid JSON (line {line}, column {column})")]
    Json { line: usize, column: usize },
    #[error("not valid YAML (line {line}, column {column})")]
    Yaml { line: usize, column: usize },
    #[error("not valid YAML")]
    YamlSomewhere,
}

/// The documents of a YAML stream or a JSON text.
fn parse_documents(text: &str, json: bool) -> Result<Vec<Value>, SyntaxError> {
    if json {
        return serde_json::from_str::<Value>(text)
            .map(|v| vec![v])
            .map_err(|e| SyntaxError::Json {
                line: e.line(),
                column: e.column(),
            });
    }
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    serde_saphyr::from_multiple_with_options::<Value>(text, options).map_err(|e| {
        match e.location() {
            Some(at) => SyntaxError::Yaml {
                line: at.line() as usize,
                column: at.column() as usize,
            },
            None => SyntaxError::YamlSomewhere,
        }
    })
}

/// Where the next items come from.
#[derive(Debug, Clone)]
struct Place {
    role: Option<String>,
    /// Prefix of each item's source (empty at the top of a file).
    source: String,
}

impl Place {
    fn source(&self, what: &str) -> String {
        if self.source.is_empty() {
            what.to_string()
        } else {
            format!("{} {what}", self.source)
        }
    }
}

struct Reader<'a> {
    out: FileFacts,
    options: &'a ReadOptions,
    next_chain: usize,
    full: bool,
    /// Errors and notes past [`MAX_MESSAGES`], counted, not kept.
    dropped_errors: usize,
    dropped_notes: usize,
}

/// Errors (and notes) listed per file; more are counted in one last line.
const MAX_MESSAGES: usize = 50;

/// `text` shortened and with control characters escaped, for labels and
/// names from a file that reach an error or a note.
fn shown(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(64)
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    if text.chars().count() > 64 {
        out.push('…');
    }
    out
}

impl Reader<'_> {
    fn push_error(&mut self, text: String) {
        if self.out.errors.len() < MAX_MESSAGES {
            self.out.errors.push(text);
        } else {
            self.dropped_errors += 1;
        }
    }

    fn push_note(&mut self, text: String) {
        if self.out.notes.len() < MAX_MESSAGES {
            self.out.notes.push(text);
        } else {
            self.dropped_notes += 1;
        }
    }

    /// The facts, with one line for the messages not listed.
    fn finish(mut self) -> FileFacts {
        if self.dropped_errors > 0 {
            self.out
                .errors
                .push(format!("and {} more errors", self.dropped_errors));
        }
        if self.dropped_notes > 0 {
            self.out
                .notes
                .push(format!("and {} more notes", self.dropped_notes));
        }
        self.out
    }

    /// Room for one more item? Past the limit, one error and no more items.
    fn room(&mut self) -> bool {
        if self.out.certificates.len() + self.out.keys.len() < self.options.limits.max_items {
            return true;
        }
        if !self.full {
            self.full = true;
            self.push_error(format!(
                "more than {} certificates and keys: the rest was not read",
                self.options.limits.max_items
            ));
        }
        false
    }

    fn chain(&mut self) -> usize {
        self.next_chain += 1;
        self.next_chain - 1
    }

    fn certificate(
        &mut self,
        mut facts: CertificateFacts,
        place: &Place,
        what: &str,
        chain: usize,
    ) {
        if !self.room() {
            return;
        }
        facts.role = place.role.clone();
        let position = self
            .out
            .certificates
            .iter()
            .filter(|c| c.chain == chain)
            .count();
        self.out.certificates.push(FoundCertificate {
            facts,
            source: place.source(what),
            chain,
            position,
        });
    }

    fn key(&mut self, kind: KeyKind, facts: KeyFacts, place: &Place, what: &str) {
        if !self.room() {
            return;
        }
        self.out.keys.push(FoundKey {
            kind,
            role: place.role.clone(),
            source: place.source(what),
            subject: None,
            signature_algorithm: None,
            facts,
        });
    }

    fn csr(&mut self, csr: CsrFacts, place: &Place, what: &str) {
        if !self.room() {
            return;
        }
        self.out.keys.push(FoundKey {
            kind: KeyKind::Csr,
            role: place.role.clone(),
            source: place.source(what),
            subject: Some(csr.subject),
            signature_algorithm: Some(csr.signature_algorithm),
            facts: csr.key,
        });
    }

    fn error(&mut self, place: &Place, message: String) {
        self.push_error(place.source(&message));
    }

    /// Certificate material in one value: PEM if it has PEM markers, else DER.
    fn material(&mut self, bytes: &[u8], place: &Place) {
        if find(bytes, b"-----BEGIN ", 0).is_some() {
            self.pem(bytes, place);
        } else if let Err(e) = self.der(bytes, place) {
            self.error(place, e.to_string());
        }
    }

    /// Every PEM block of `bytes`: the certificates form one group.
    fn pem(&mut self, bytes: &[u8], place: &Place) {
        let chain = self.chain();
        let max_blocks = self.options.limits.max_items;
        let (blocks, truncated) = pem_blocks(bytes, max_blocks);
        if truncated {
            self.error(
                place,
                format!("more than {max_blocks} PEM blocks: the rest was not read"),
            );
        }
        for (i, block) in blocks.into_iter().enumerate() {
            if self.full {
                return;
            }
            let n = i + 1;
            let block = match block {
                Ok(block) => block,
                Err(e) => {
                    self.error(place, format!("block {n}: {e}"));
                    continue;
                }
            };
            let label = block.tag().to_string();
            let what = format!("block {n}");
            let der = block.contents();
            let Some(kind) = PemKind::of_label(&label) else {
                self.push_note(place.source(&format!("block {n}: {} not read", shown(&label))));
                continue;
            };
            let encrypted = block
                .headers()
                .get("Proc-Type")
                .is_some_and(|v| v.contains("ENCRYPTED"));
            let result = match kind {
                PemKind::Certificate => {
                    parse_certificate(der).map(|facts| self.certificate(facts, place, &what, chain))
                }
                PemKind::TrustedCertificate => keys::first_element_len(der)
                    .and_then(|len| parse_certificate(&der[..len]))
                    .map(|facts| self.certificate(facts, place, &what, chain)),
                PemKind::Csr => keys::csr_facts(der).map(|csr| self.csr(csr, place, &what)),
                PemKind::PublicKey => {
                    keys::spki_facts(der).map(|k| self.key(KeyKind::Public, k, place, &what))
                }
                PemKind::RsaPublicKey => keys::rsa_public_key_facts(der)
                    .map(|k| self.key(KeyKind::Public, k, place, &what)),
                PemKind::PrivateKey | PemKind::RsaPrivateKey | PemKind::EcPrivateKey
                    if encrypted =>
                {
                    self.key(
                        KeyKind::Private,
                        KeyFacts::encrypted(String::new()),
                        place,
                        &what,
                    );
                    Ok(())
                }
                PemKind::PrivateKey => keys::pkcs8_private_key_facts(der)
                    .map(|k| self.key(KeyKind::Private, k, place, &what)),
                PemKind::RsaPrivateKey => keys::rsa_private_key_facts(der)
                    .map(|k| self.key(KeyKind::Private, k, place, &what)),
                PemKind::EcPrivateKey => keys::ec_private_key_facts(der)
                    .map(|k| self.key(KeyKind::Private, k, place, &what)),
                PemKind::EncryptedPrivateKey => keys::encrypted_private_key_facts(der)
                    .map(|k| self.key(KeyKind::Private, k, place, &what)),
                PemKind::EcParameters => Ok(()),
            };
            if let Err(e) = result {
                self.error(place, format!("block {n} ({}): {e}", shown(&label)));
            }
        }
    }

    /// One DER structure: a certificate, else a CSR, a public key or a
    /// private key. The error names what it is not.
    fn der(&mut self, der: &[u8], place: &Place) -> Result<(), NotMaterial> {
        let what = "DER";
        let as_certificate = match parse_certificate(der) {
            Ok(facts) => {
                let chain = self.chain();
                self.certificate(facts, place, what, chain);
                return Ok(());
            }
            Err(e) => e,
        };
        if let Ok(csr) = keys::csr_facts(der) {
            self.csr(csr, place, what);
            return Ok(());
        }
        let public = [keys::spki_facts, keys::rsa_public_key_facts];
        if let Some(k) = public.iter().find_map(|parse| parse(der).ok()) {
            self.key(KeyKind::Public, k, place, what);
            return Ok(());
        }
        let private = [
            keys::pkcs8_private_key_facts,
            keys::encrypted_private_key_facts,
            keys::rsa_private_key_facts,
            keys::ec_private_key_facts,
        ];
        if let Some(k) = private.iter().find_map(|parse| parse(der).ok()) {
            self.key(KeyKind::Private, k, place, what);
            return Ok(());
        }
        Err(NotMaterial(as_certificate))
    }

    /// YAML or JSON documents: Secrets, Lists of them, kubeconfigs.
    fn documents(&mut self, docs: &[Value]) {
        let (mut secrets, mut list, mut kubeconfigs) = (0, false, 0);
        for (i, doc) in docs.iter().enumerate() {
            if self.full {
                break;
            }
            let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
            match kind {
                "Secret" => {
                    secrets += 1;
                    self.secret(doc);
                }
                "List" | "SecretList" => {
                    list = true;
                    let items = doc.get("items").and_then(Value::as_array);
                    for item in items.into_iter().flatten() {
                        match item.get("kind").and_then(Value::as_str) {
                            Some("Secret") => {
                                secrets += 1;
                                self.secret(item);
                            }
                            // `kubectl get secret -o yaml` items of a SecretList
                            // carry no kind of their own.
                            None if kind == "SecretList" => {
                                secrets += 1;
                                self.secret(item);
                            }
                            other => self.push_note(format!(
                                "document {}: a list item of kind {} not read",
                                i + 1,
                                shown(other.unwrap_or("(none)"))
                            )),
                        }
                    }
                }
                "Config" => {
                    kubeconfigs += 1;
                    self.kubeconfig(doc);
                }
                "" if doc.get("clusters").is_some() || doc.get("users").is_some() => {
                    kubeconfigs += 1;
                    self.kubeconfig(doc);
                }
                other => self.push_note(format!(
                    "document {}: kind {} not read",
                    i + 1,
                    shown(if other.is_empty() { "(none)" } else { other })
                )),
            }
        }
        self.out.format = if secrets > 1 || list {
            Some(FileFormat::SecretList)
        } else if secrets == 1 {
            Some(FileFormat::Secret)
        } else if kubeconfigs > 0 {
            Some(FileFormat::Kubeconfig)
        } else {
            None
        };
    }

    /// A Secret: `tls.crt` (a chain, leaf first), `ca.crt` and `tls.key`
    /// of a `kubernetes.io/tls` Secret; other types are noted.
    fn secret(&mut self, doc: &Value) {
        let meta = doc.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("(unnamed)");
        let id = match meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
        {
            Some(ns) => format!("{}/{}", shown(ns), shown(name)),
            None => shown(name),
        };
        let ty = doc.get("type").and_then(Value::as_str).unwrap_or("Opaque");
        if ty != "kubernetes.io/tls" {
            self.push_note(format!(
                "Secret {id} of type {} not read (only kubernetes.io/tls)",
                shown(ty)
            ));
            return;
        }
        for (key, role) in [
            ("tls.crt", "secret-tls"),
            ("ca.crt", "secret-ca"),
            ("tls.key", "secret-tls"),
        ] {
            let place = Place {
                role: Some(format!("{role}:{id}")),
                source: format!("Secret {id} {key}"),
            };
            let plain = doc
                .get("stringData")
                .and_then(|d| d.get(key))
                .map(|v| (v, false));
            let encoded = doc.get("data").and_then(|d| d.get(key)).map(|v| (v, true));
            let Some((value, base64)) = plain.or(encoded) else {
                continue;
            };
            let field = if base64 { "data" } else { "stringData" };
            let Some(text) = value.as_str() else {
                if !value.is_null() {
                    self.push_error(format!("Secret {id}: {field}.{key} is not a string"));
                }
                continue;
            };
            let bytes = if base64 {
                match decode_base64(text) {
                    Some(bytes) => bytes,
                    None => {
                        self.push_error(format!("Secret {id}: {field}.{key} is not base64"));
                        continue;
                    }
                }
            } else {
                text.as_bytes().to_vec()
            };
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.material(&bytes, &place);
        }
    }

    /// A kubeconfig: CA data per cluster, client certificate and key per
    /// user, from the file or the files it names. Nothing else is read.
    fn kubeconfig(&mut self, doc: &Value) {
        use secrecy::ExposeSecret;
        let config: kube::config::Kubeconfig = match serde_json::from_value(doc.clone()) {
            Ok(config) => config,
            // serde's messages quote values (a token could be one): say where only.
            Err(_) => {
                self.push_error("not a valid kubeconfig: a field has an unexpected type".into());
                return;
            }
        };
        for named in &config.clusters {
            let Some(cluster) = &named.cluster else {
                continue;
            };
            let name = shown(&named.name);
            let place = |field: &str| Place {
                role: Some(format!("kubeconfig-ca:{name}")),
                source: format!("cluster {name} {field}"),
            };
            if let Some(data) = &cluster.certificate_authority_data {
                self.encoded(data, &place("certificate-authority-data"));
            }
            if let Some(file) = &cluster.certificate_authority {
                self.reference(file, &place("certificate-authority"));
            }
        }
        for named in &config.auth_infos {
            let Some(user) = &named.auth_info else {
                continue;
            };
            let name = shown(&named.name);
            let place = |field: &str| Place {
                role: Some(format!("kubeconfig-client:{name}")),
                source: format!("user {name} {field}"),
            };
            if let Some(data) = &user.client_certificate_data {
                self.encoded(data, &place("client-certificate-data"));
            }
            if let Some(file) = &user.client_certificate {
                self.reference(file, &place("client-certificate"));
            }
            if let Some(data) = &user.client_key_data {
                self.encoded(data.expose_secret(), &place("client-key-data"));
            }
            if let Some(file) = &user.client_key {
                self.reference(file, &place("client-key"));
            }
        }
    }

    /// A base64 field holding PEM (or DER).
    fn encoded(&mut self, data: &str, place: &Place) {
        match decode_base64(data) {
            Some(bytes) if !bytes.is_empty() => self.material(&bytes, place),
            Some(_) => {}
            None => self.push_error(place.source("is not base64")),
        }
    }

    /// A file a kubeconfig names, resolved relative to the kubeconfig.
    fn reference(&mut self, file: &str, place: &Place) {
        let Some(base) = &self.options.base_dir else {
            self.push_note(place.source("names a file: not followed"));
            return;
        };
        let path = base.join(file);
        let place = Place {
            role: place.role.clone(),
            source: format!("{} ({})", place.source, shown(&path.display().to_string())),
        };
        match read_bounded(&path, self.options.limits.max_file_bytes) {
            Ok(bytes) => self.material(&bytes, &place),
            Err(e) => self.push_error(format!("{}: {e}", place.source)),
        }
    }
}

/// Standard base64, whitespace ignored.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
}

/// The index of `needle` in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Bytes that are no DER structure pqready reads; carries why they are not
/// a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("neither PEM nor a DER certificate, certificate request, public key or private key ({0})")]
struct NotMaterial(PkiError);

/// Why a PEM block was not decoded, in words that never quote the block (a
/// base64 error names a character of what may be a private key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum PemBlockError {
    #[error("no END line before the next BEGIN line")]
    EndAfterNextBegin,
    #[error("no END line (truncated?)")]
    NoEnd,
    /// The labels, already made safe to show.
    #[error("BEGIN {0} does not match END {1}")]
    MismatchedTags(String, String),
    #[error("empty BEGIN label")]
    EmptyBegin,
    #[error("empty END label")]
    EmptyEnd,
    #[error("no data")]
    NoData,
    #[error("bad base64")]
    BadBase64,
    #[error("malformed header line")]
    BadHeader,
    #[error("not UTF-8")]
    NotUtf8,
    #[error("malformed framing")]
    BadFraming,
}

/// Each PEM block of `bytes` (at most `max_blocks`; the flag says more were
/// left), decoded by the `pem` crate, or why not. A block without its END
/// line, or interrupted by another BEGIN line, is an error of its own; text
/// around blocks is ignored. Linear in the input: the next END line is
/// searched for once and reused while it lies ahead.
fn pem_blocks(bytes: &[u8], max_blocks: usize) -> (Vec<Result<pem::Pem, PemBlockError>>, bool) {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    let mut out = Vec::new();
    let mut pos = 0;
    let mut next_end: Option<Option<usize>> = None;
    while let Some(begin) = find(bytes, BEGIN, pos) {
        if out.len() >= max_blocks {
            return (out, true);
        }
        let next_begin = find(bytes, BEGIN, begin + BEGIN.len());
        let end = match next_end {
            Some(Some(end)) if end > begin => Some(end),
            Some(None) => None,
            _ => {
                let end = find(bytes, END, begin + BEGIN.len());
                next_end = Some(end);
                end
            }
        };
        let end = match (end, next_begin) {
            (Some(end), Some(next)) if next < end => {
                out.push(Err(PemBlockError::EndAfterNextBegin));
                pos = next;
                continue;
            }
            (Some(end), _) => end,
            (None, _) => {
                out.push(Err(PemBlockError::NoEnd));
                break;
            }
        };
        let close = find(bytes, b"-----", end + END.len())
            .map(|c| c + 5)
            .unwrap_or(bytes.len());
        out.push(pem::parse(&bytes[begin..close]).map_err(|e| pem_error(&e)));
        pos = close;
    }
    (out, false)
}

fn pem_error(e: &pem::PemError) -> PemBlockError {
    match e {
        pem::PemError::MismatchedTags(begin, end) => {
            PemBlockError::MismatchedTags(shown(begin), shown(end))
        }
        pem::PemError::MissingBeginTag => PemBlockError::EmptyBegin,
        pem::PemError::MissingEndTag => PemBlockError::EmptyEnd,
        pem::PemError::MissingData => PemBlockError::NoData,
        pem::PemError::InvalidData(_) => PemBlockError::BadBase64,
        pem::PemError::InvalidHeader(_) => PemBlockError::BadHeader,
        pem::PemError::NotUtf8(_) => PemBlockError::NotUtf8,
        pem::PemError::MalformedFraming => PemBlockError::BadFraming,
    }
}

// ---------------------------------------------------------------- the walk

/// Reads at most `max` bytes of the regular file at `path`; a larger file,
/// or one that is not a regular file, is an error (and is not opened, so a
/// FIFO cannot block the run).
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(&e))?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > max {
        return Err(ReadError::TooLarge(max));
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(&e))?;
    read_limited(file, max)
}

/// What executable format the regular file at `path` begins with, if any
/// (only its first bytes are read).
fn executable_head(path: &Path) -> Option<&'static str> {
    let file = std::fs::File::open(path).ok()?;
    let mut head = Vec::new();
    file.take(16).read_to_end(&mut head).ok()?;
    match sniff(&head, None) {
        Sniffed::Executable(what) => Some(what),
        _ => None,
    }
}

fn read_limited(reader: impl Read, max: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&e))?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge(max));
    }
    Ok(bytes)
}

/// Why a file or directory was not read, in a few words (no path: the
/// caller shows it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// It does not exist.
    #[error("no such file or directory")]
    NotFound,
    /// The operating system refused access.
    #[error("permission denied")]
    PermissionDenied,
    /// Another I/O error: its message without the OS error number.
    #[error("{0}")]
    Io(String),
    /// A directory, device, FIFO or socket where a file was to be read.
    #[error("not a regular file")]
    NotRegular,
    /// Larger than this many bytes.
    #[error("larger than the {0}-byte limit: not read")]
    TooLarge(u64),
}

fn io_error(e: &std::io::Error) -> ReadError {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => ReadError::NotFound,
        K::PermissionDenied => ReadError::PermissionDenied,
        _ => {
            let text = e.to_string();
            ReadError::Io(text.split(" (os error").next().unwrap_or(&text).to_string())
        }
    }
}

/// Reads `paths` (files, directories walked recursively, `-` for standard
/// input) and calls `on_item` once per file as soon as it is read.
pub fn read_paths<P: AsRef<Path>>(
    paths: &[P],
    limits: &Limits,
    mut on_item: impl FnMut(ReadItem),
) -> Counts {
    let mut walker = Walker {
        limits: *limits,
        counts: Counts::default(),
        examined: 0,
        stopped: false,
        visited: HashSet::new(),
        kubeadm: KubeadmCache::default(),
        on_item: &mut on_item,
    };
    for root in paths {
        if walker.stopped {
            break;
        }
        let root = root.as_ref();
        if root == Path::new("-") {
            walker.stdin();
            continue;
        }
        match std::fs::metadata(root) {
            Err(e) => walker.failed(root, io_error(&e).to_string()),
            Ok(m) if m.is_dir() => walker.dir(root),
            Ok(m) if m.is_file() => walker.file(root, true),
            Ok(_) => walker.failed(root, "not a regular file or directory".into()),
        }
    }
    walker.counts
}

struct Walker<'a, F: FnMut(ReadItem)> {
    limits: Limits,
    counts: Counts,
    examined: u64,
    stopped: bool,
    visited: HashSet<PathBuf>,
    kubeadm: KubeadmCache,
    on_item: &'a mut F,
}

impl<F: FnMut(ReadItem)> Walker<'_, F> {
    fn emit(&mut self, item: ReadItem) {
        match &item {
            ReadItem::File(f) => {
                self.counts.files += 1;
                if !f.errors.is_empty() {
                    self.counts.errors += 1;
                }
            }
            ReadItem::Skipped { .. } => self.counts.skipped += 1,
        }
        (self.on_item)(item);
    }

    fn failed(&mut self, path: &Path, error: String) {
        let mut facts = FileFacts::new(&path.display().to_string());
        facts.errors.push(error);
        self.emit(ReadItem::File(Box::new(facts)));
    }

    fn skipped(&mut self, path: &Path, reason: &str) {
        self.emit(ReadItem::Skipped {
            path: path.to_path_buf(),
            reason: reason.into(),
        });
    }

    /// Counts one more file examined; false (with one error) past the limit.
    fn admit(&mut self, path: &Path) -> bool {
        if self.examined >= self.limits.max_files {
            self.stopped = true;
            self.failed(
                path,
                format!(
                    "stopped: more than {} files examined; name fewer paths",
                    self.limits.max_files
                ),
            );
            return false;
        }
        self.examined += 1;
        true
    }

    fn stdin(&mut self) {
        if !self.admit(Path::new("-")) {
            return;
        }
        let options = ReadOptions {
            limits: self.limits,
            given: true,
            base_dir: std::env::current_dir().ok(),
            role: None,
        };
        let item = match read_limited(std::io::stdin().lock(), self.limits.max_file_bytes) {
            Err(e) => {
                let mut facts = FileFacts::new("-");
                facts.errors.push(e.to_string());
                facts
            }
            Ok(bytes) => match read_bytes("-", &bytes, &options) {
                Content::Facts(facts) => facts,
                // Not produced for input the user gave, but never dropped silently.
                Content::Nothing(reason) => {
                    let mut facts = FileFacts::new("-");
                    facts.errors.push(reason);
                    facts
                }
            },
        };
        self.emit(ReadItem::File(Box::new(item)));
    }

    fn file(&mut self, path: &Path, given: bool) {
        if !self.admit(path) {
            return;
        }
        let name = path.display().to_string();
        let bytes = match read_bounded(path, self.limits.max_file_bytes) {
            Ok(bytes) => bytes,
            Err(e) => {
                // A directory of tools holds executables larger than any
                // certificate file: one found there is skipped, not an error.
                if !given && matches!(e, ReadError::TooLarge(_)) {
                    if let Some(what) = executable_head(path) {
                        return self.skipped(path, &format!("{what}, not certificate material"));
                    }
                }
                return self.failed(path, e.to_string());
            }
        };
        let options = ReadOptions {
            limits: self.limits,
            given,
            base_dir: path.parent().map(|p| {
                if p.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    p.to_path_buf()
                }
            }),
            role: self.kubeadm.role(path).map(str::to_string),
        };
        match read_bytes(&name, &bytes, &options) {
            Content::Facts(facts) => self.emit(ReadItem::File(Box::new(facts))),
            Content::Nothing(reason) => self.skipped(path, &reason),
        }
    }

    /// Walks `root` depth first, each directory's files in name order before
    /// its subdirectories. Links are followed; a directory already entered
    /// (a link loop) is not entered again.
    fn dir(&mut self, root: &Path) {
        let mut stack = vec![(root.to_path_buf(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            if self.stopped {
                return;
            }
            if let Ok(real) = std::fs::canonicalize(&dir) {
                if !self.visited.insert(real) {
                    self.skipped(&dir, "directory already read (a link loop)");
                    continue;
                }
            }
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) => {
                    self.failed(&dir, io_error(&e).to_string());
                    continue;
                }
            };
            let mut listed: Vec<PathBuf> = Vec::new();
            for entry in entries {
                match entry {
                    Ok(entry) => listed.push(entry.path()),
                    Err(e) => self.failed(&dir, io_error(&e).to_string()),
                }
                if listed.len() as u64 > self.limits.max_files {
                    break;
                }
            }
            listed.sort();
            let mut subdirs = Vec::new();
            for path in listed {
                if self.stopped {
                    return;
                }
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_dir() => {
                        if depth + 1 > self.limits.max_depth {
                            self.failed(
                                &path,
                                format!(
                                    "not entered: more than {} directory levels below {}",
                                    self.limits.max_depth,
                                    root.display()
                                ),
                            );
                        } else {
                            subdirs.push(path);
                        }
                    }
                    Ok(m) if m.is_file() => self.file(&path, false),
                    Ok(_) => self.skipped(&path, "not a regular file"),
                    Err(_) if std::fs::symlink_metadata(&path).is_ok() => {
                        self.skipped(&path, "broken symbolic link")
                    }
                    Err(e) => self.failed(&path, io_error(&e).to_string()),
                }
            }
            stack.extend(subdirs.into_iter().rev().map(|d| (d, depth + 1)));
        }
    }
}

/// Runs the content reader on arbitrary bytes, for fuzzing: as a file the
/// user named, and as one found in a directory, with file references off.
pub fn fuzz_read(bytes: &[u8]) {
    for given in [true, false] {
        let options = ReadOptions {
            limits: Limits {
                max_items: 64,
                ..Limits::default()
            },
            given,
            base_dir: None,
            role: Some("fuzz".into()),
        };
        if let Content::Facts(facts) = read_bytes("fuzz.pem", bytes, &options) {
            let _ = facts.chains();
            let _ = facts.error();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ReadOptions {
        ReadOptions {
            limits: Limits::default(),
            given: true,
            base_dir: None,
            role: None,
        }
    }

    fn facts(bytes: &[u8]) -> FileFacts {
        match read_bytes("test", bytes, &options()) {
            Content::Facts(f) => f,
            Content::Nothing(why) => panic!("nothing: {why}"),
        }
    }

    fn ec_pem() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["a.test".into()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn reads_a_pem_bundle_with_a_bad_block_and_a_note() {
        let (cert, key) = ec_pem();
        let text = format!(
            "subject=CN=a.test\n{cert}{key}-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n\
             -----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"
        );
        let f = facts(text.as_bytes());
        assert_eq!(f.format, Some(FileFormat::Pem));
        assert_eq!(f.certificates.len(), 1);
        assert_eq!(f.certificates[0].source, "block 1");
        assert_eq!(f.keys.len(), 1);
        assert_eq!(f.keys[0].kind, KeyKind::Private);
        assert_eq!(f.keys[0].facts.describe(), "EC P-256");
        assert_eq!(f.notes, vec!["block 3: X509 CRL not read"]);
        assert_eq!(f.errors, vec!["block 4: bad base64"]);
    }

    #[test]
    fn truncated_pem_and_nested_begin_are_errors() {
        let (cert, _) = ec_pem();
        let half = &cert[..cert.len() / 2];
        assert_eq!(
            facts(half.as_bytes()).errors,
            vec!["block 1: no END line (truncated?)"]
        );
        let nested = format!("{half}{cert}");
        let f = facts(nested.as_bytes());
        assert_eq!(f.certificates.len(), 1);
        assert_eq!(
            f.errors,
            vec!["block 1: no END line before the next BEGIN line"]
        );
    }

    #[test]
    fn der_and_junk() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["d.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let f = facts(cert.der());
        assert_eq!(f.format, Some(FileFormat::Der));
        assert_eq!(f.certificates.len(), 1);
        let f = facts(&key.serialize_der());
        assert_eq!(f.keys[0].kind, KeyKind::Private);
        let f = facts(&cert.der()[..100]);
        assert!(
            f.errors[0].starts_with("neither PEM nor a DER certificate"),
            "{f:?}"
        );
        let found = ReadOptions {
            given: false,
            ..options()
        };
        assert!(matches!(
            read_bytes("notes.txt", b"hello\n", &found),
            Content::Nothing(_)
        ));
        assert!(matches!(
            read_bytes("x.crt", b"hello\n", &found),
            Content::Facts(f) if f.errors.len() == 1
        ));
        assert_eq!(
            json_kind_hint("{ \"apiVersion\": \"v1\", \"kind\" : \"Secret\", [").as_deref(),
            Some("Secret")
        );
        assert!(matches!(
            read_bytes("s.json", b"{\"kind\":\"Secret\",\"a\":[[[", &found),
            Content::Facts(f) if f.errors[0].starts_with("not valid JSON")
        ));
        assert!(matches!(
            read_bytes("p.json", b"{\"kind\":\"Pod\",\"a\":[[[", &found),
            Content::Nothing(_)
        ));
    }

    #[test]
    fn yaml_errors_never_quote_the_text() {
        let secret = "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.key: SECRETKEYMATERIAL\n  tls.key: again\n";
        let f = facts(secret.as_bytes());
        assert_eq!(f.errors.len(), 1, "{f:?}");
        assert!(!f.errors[0].contains("SECRET"), "{}", f.errors[0]);
        let json = "{\"kind\": \"Config\", \"users\": [{\"name\": \"u\", \"user\": {\"token\": 42, \"client-key-data\": [\"SECRETKEY\"]}}]}";
        let f = facts(json.as_bytes());
        assert_eq!(
            f.errors,
            vec!["not a valid kubeconfig: a field has an unexpected type"]
        );
    }

    #[test]
    fn many_begin_lines_are_linear_and_messages_are_capped() {
        let mut text = "-----BEGIN CERTIFICATE-----\n".repeat(200_000);
        text.push_str("-----END CERTIFICATE-----\n");
        let started = std::time::Instant::now();
        let f = facts(text.as_bytes());
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        assert_eq!(f.errors.len(), MAX_MESSAGES + 1);
        assert_eq!(
            f.errors[0],
            "more than 10000 PEM blocks: the rest was not read"
        );
        assert_eq!(f.errors[MAX_MESSAGES], "and 9951 more errors");
        let unknown = "-----BEGIN X-----\nAAAA\n-----END X-----\n".repeat(60);
        let f = facts(unknown.as_bytes());
        assert_eq!(f.notes.len(), MAX_MESSAGES + 1);
        assert_eq!(f.notes[MAX_MESSAGES], "and 10 more notes");
    }

    #[test]
    fn item_limit_is_one_error() {
        let (cert, _) = ec_pem();
        let text = cert.repeat(5);
        let options = ReadOptions {
            limits: Limits {
                max_items: 3,
                ..Limits::default()
            },
            ..options()
        };
        let Content::Facts(f) = read_bytes("b.pem", text.as_bytes(), &options) else {
            panic!()
        };
        assert_eq!(f.certificates.len(), 3);
        assert_eq!(f.errors.len(), 1);
        assert_eq!(f.chains().len(), 1);
        assert_eq!(f.certificates[2].position, 2);
    }
}
