//! Reports for `pqready certs`: one entry per file (its certificates, keys,
//! findings and errors), streamed as each file is read, then a summary; or
//! one JSON document. Certificates use the shared rows of [`super::certs`].
//!
//! Owns: the `certs` document model and its table layout. The judgement
//! comes from `assess::certs`; this module only puts it next to the facts
//! and counts.
//! Must not: read files or judge.

use super::certs::{certificate_table, deadline_text};
use super::style::Tone;
use super::{printable, Style};
use crate::assess::certs::{self, JudgedCertificate, JudgedKey};
use crate::assess::Finding;
use crate::pki::files::FileFacts;
use crate::vocab::{
    DeadlineKind, DeadlineStatus, DeadlineTable, FileFormat, FindingKind, KeyKind, Severity,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A certificate found in a file, with its judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct CertificateReport {
    /// The certificate (subject, issuer, sans, serial, fingerprint_sha256,
    /// role, key, signature, validity) and its judgement (quantum_safe, deadlines).
    #[serde(flatten)]
    pub certificate: JudgedCertificate,
    /// Where in the file: `block 2`, `DER`, `Secret default/web tls.crt block 1`,
    /// `cluster kind certificate-authority-data block 1`, `user admin client-certificate (/path) block 1`.
    pub source: String,
    /// Certificates that came together (one PEM bundle, one `tls.crt`, one
    /// kubeconfig field) share this number.
    pub chain: usize,
    /// Its place among them, 0 first (the leaf of a chain).
    pub position: usize,
    /// True when the certificates that came with it form a chain, each
    /// issued by the next, and were judged as one (`mixed-chain`).
    pub linked: bool,
}

/// A key or certificate request found in a file: its algorithm and size,
/// never its material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct KeyReport {
    /// `public`, `private` or `csr`.
    pub kind: KeyKind,
    /// What it is for, where recognised: a kubeadm role (`apiserver`,
    /// `service-account-key`), `kubeconfig-client:USER`, `secret-tls:NS/NAME`.
    pub role: Option<String>,
    /// Where in the file, as for certificates.
    pub source: String,
    /// A certificate request's subject; null for keys.
    pub subject: Option<String>,
    /// A certificate request's signature algorithm; null for keys.
    pub signature_algorithm: Option<String>,
    /// The key (`key_algorithm` is `encrypted` for an encrypted private key)
    /// and its judgement.
    #[serde(flatten)]
    pub key: JudgedKey,
}

/// Everything reported about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct FileReport {
    /// The file as given or found; `-` is standard input.
    pub path: String,
    /// How it was read: `pem`, `der`, `kubeconfig`, `secret`, `secret-list`;
    /// null when it could not be read.
    pub format: Option<FileFormat>,
    /// Why the file, or part of it, could not be read; null when all of it was.
    pub error: Option<String>,
    /// Every certificate, in file order.
    pub certificates: Vec<CertificateReport>,
    /// Every key and certificate request, in file order.
    pub keys: Vec<KeyReport>,
    /// Problems found, most severe first.
    pub findings: Vec<Finding>,
    /// What was left out on purpose (a Secret of another type, a PEM block
    /// pqready does not read, a file reference not followed).
    pub notes: Vec<String>,
}

impl FileReport {
    /// Puts one file's facts next to their judgement (`assess::certs::file`).
    pub fn of(facts: FileFacts, assessed: certs::FileAssessment) -> Self {
        let error = facts.error();
        let certificates = facts
            .certificates
            .into_iter()
            .zip(assessed.certificates.into_iter().zip(assessed.linked))
            .map(|(c, (certificate, linked))| CertificateReport {
                certificate,
                source: c.source,
                chain: c.chain,
                position: c.position,
                linked,
            })
            .collect();
        let keys = facts
            .keys
            .into_iter()
            .zip(assessed.keys)
            .map(|(k, key)| KeyReport {
                key,
                kind: k.kind,
                role: k.role,
                source: k.source,
                subject: k.subject,
                signature_algorithm: k.signature_algorithm,
            })
            .collect();
        FileReport {
            path: facts.path,
            format: facts.format,
            error,
            certificates,
            keys,
            findings: assessed.findings,
            notes: facts.notes,
        }
    }
}

pub use crate::assess::gate::SeverityCounts;

/// The earliest deadline date that certificates are valid past.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct CrossedDeadline {
    /// The last day before the deadline (`2030-12-31`); for
    /// `already-disallowed`, the day of the run (the table allows the
    /// algorithm on no day).
    pub date: String,
    /// The table that sets it.
    pub table: DeadlineTable,
    /// Whether it is the deprecation or the disallowance date, or an
    /// algorithm the table disallows already (which comes before any date).
    pub kind: DeadlineKind,
    /// Certificates valid past it.
    pub certificates: u64,
}

impl CrossedDeadline {
    /// In words, for every format: `2 certificates valid past 2035-12-31
    /// (nist disallowance)`, or `1 certificate already disallowed (cnsa2:
    /// not allowed on any date)`.
    pub fn text(&self) -> String {
        let n = format!(
            "{} certificate{}",
            self.certificates,
            if self.certificates == 1 { "" } else { "s" }
        );
        if self.kind == DeadlineKind::AlreadyDisallowed {
            format!(
                "{n} already disallowed ({}: not allowed on any date)",
                self.table
            )
        } else {
            format!(
                "{n} valid past {} ({} {})",
                self.date, self.table, self.kind
            )
        }
    }
}

/// How often one kind of finding was raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct FindingTally {
    /// The finding's id.
    pub id: FindingKind,
    /// Its severity.
    pub severity: Severity,
    /// How many findings of this kind, over all files.
    pub count: u64,
}

/// What a `certs` run read, in numbers.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Summary {
    /// The deadline tables applied, in `--deadlines` order (the first drives findings).
    pub deadlines: Vec<DeadlineTable>,
    /// Files reported.
    pub files: u64,
    /// Files (or directories) with an error: these make the exit status 2.
    pub unreadable: u64,
    /// Files found in directories that hold no certificate material.
    pub skipped: u64,
    /// Certificates read.
    pub certificates: u64,
    /// Keys and certificate requests read.
    pub keys: u64,
    /// Certificates (key and signature) and keys that are quantum-safe.
    pub quantum_safe: u64,
    /// Certificates and keys that a quantum computer breaks.
    pub quantum_vulnerable: u64,
    /// Keys whose algorithm is not known (or encrypted).
    pub unknown: u64,
    /// The earliest deadline a certificate is valid past; null when none is.
    pub earliest_deadline_crossed: Option<CrossedDeadline>,
    /// Findings by severity.
    pub findings: SeverityCounts,
    /// Each kind of finding raised, most severe first, with how often.
    pub finding_kinds: Vec<FindingTally>,
    /// Certificates by date crossed; a key a table disallows already is
    /// dated "" (before any date).
    #[serde(skip)]
    crossings: BTreeMap<(String, DeadlineTable, DeadlineKind), u64>,
    /// The run's time (seconds since 1970).
    #[serde(skip)]
    now: i64,
}

impl Summary {
    /// An empty summary for a run with these tables, judged at `now`
    /// (seconds since 1970).
    pub fn new(deadlines: &[DeadlineTable], now: i64) -> Self {
        Summary {
            deadlines: deadlines.to_vec(),
            now,
            ..Summary::default()
        }
    }

    /// Counts one file.
    pub fn add(&mut self, file: &FileReport) {
        self.files += 1;
        if file.error.is_some() {
            self.unreadable += 1;
        }
        self.certificates += file.certificates.len() as u64;
        self.keys += file.keys.len() as u64;
        for cert in &file.certificates {
            let c = &cert.certificate;
            if c.quantum_safe {
                self.quantum_safe += 1;
            } else {
                self.quantum_vulnerable += 1;
            }
            for d in &c.deadlines {
                if d.status == DeadlineStatus::Disallowed {
                    *self
                        .crossings
                        .entry((String::new(), d.table, DeadlineKind::AlreadyDisallowed))
                        .or_default() += 1;
                }
                for (past, date, kind) in [
                    (
                        d.valid_past_deprecation,
                        &d.deprecated_after,
                        DeadlineKind::Deprecation,
                    ),
                    (
                        d.valid_past_disallowance,
                        &d.disallowed_after,
                        DeadlineKind::Disallowance,
                    ),
                ] {
                    if let (true, Some(date)) = (past, date) {
                        *self
                            .crossings
                            .entry((date.clone(), d.table, kind))
                            .or_default() += 1;
                    }
                }
            }
        }
        for key in &file.keys {
            let k = &key.key;
            if k.quantum_safe {
                self.quantum_safe += 1;
            } else if k.facts.family.quantum_vulnerable() {
                self.quantum_vulnerable += 1;
            } else {
                self.unknown += 1;
            }
        }
        for f in &file.findings {
            match f.severity {
                Severity::High => self.findings.high += 1,
                Severity::Medium => self.findings.medium += 1,
                Severity::Low => self.findings.low += 1,
                Severity::Info => self.findings.info += 1,
            }
            match self.finding_kinds.iter_mut().find(|t| t.id == f.id) {
                Some(tally) => tally.count += 1,
                None => self.finding_kinds.push(FindingTally {
                    id: f.id,
                    severity: f.severity,
                    count: 1,
                }),
            }
        }
        self.finding_kinds
            .sort_by_key(|t| (std::cmp::Reverse(t.severity), t.id));
        self.earliest_deadline_crossed =
            self.crossings
                .iter()
                .next()
                .map(|((date, table, kind), n)| CrossedDeadline {
                    date: match kind {
                        DeadlineKind::AlreadyDisallowed => crate::time::date(self.now),
                        _ => date.clone(),
                    },
                    table: *table,
                    kind: *kind,
                    certificates: *n,
                });
    }

    /// Counts a directory walk's skipped files.
    pub fn skipped(&mut self, skipped: u64) {
        self.skipped = skipped;
    }
}

/// The `pqready certs -o json` document, as written and as read back.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Document {
    /// Always `pqready/v1`.
    #[schemars(with = "String", extend("const" = crate::report::SCHEMA))]
    pub schema: crate::report::Schema,
    /// Always `certs`.
    #[schemars(with = "String", extend("const" = "certs"))]
    pub kind: crate::vocab::DocumentKind,
    /// One entry per file, in the order read.
    pub files: Vec<FileReport>,
    /// The whole run in numbers.
    pub summary: Summary,
}

impl Document {
    /// The document of a run.
    pub fn new(files: Vec<FileReport>, summary: Summary) -> Self {
        Document {
            schema: crate::report::Schema,
            kind: crate::vocab::DocumentKind::Certs,
            files,
            summary,
        }
    }
}

fn key_table(keys: &[KeyReport], indent: &str, style: Style) -> String {
    let deadline_head = keys
        .first()
        .and_then(|k| k.key.deadlines.first())
        .map(|d| d.table.name().to_uppercase())
        .unwrap_or_else(|| "DEADLINE".into());
    let header = [
        "KIND",
        "ROLE",
        "SUBJECT",
        "KEY",
        "PQ",
        deadline_head.as_str(),
    ];
    let rows: Vec<[String; 6]> = keys
        .iter()
        .map(|k| {
            let subject = k
                .subject
                .as_deref()
                .map(|s| {
                    s.split(", ")
                        .find_map(|part| part.strip_prefix("CN="))
                        .unwrap_or(s)
                })
                .unwrap_or("-");
            [
                k.kind.to_string(),
                printable(k.role.as_deref().unwrap_or("-")).into_owned(),
                printable(subject).into_owned(),
                k.key.facts.describe(),
                if k.key.quantum_safe { "yes" } else { "no" }.into(),
                k.key
                    .deadlines
                    .first()
                    .map(deadline_text)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let (head, lines) = super::style::columns(header, &rows);
    let mut out = format!("{indent}{}\n", style.paint(Tone::Heading, &head));
    for (line, key) in lines.iter().zip(keys) {
        let tone = super::style::key(key.key.quantum_safe);
        let _ = writeln!(out, "{indent}{}", style.paint(tone, line));
    }
    out
}

/// One file as a block of lines for a terminal.
pub fn file_block(file: &FileReport, style: Style) -> String {
    let mut out = String::new();
    let format = file
        .format
        .map(|f| format!(" ({f})"))
        .unwrap_or_else(|| " (unreadable)".into());
    let path = if file.path == "-" {
        "- (stdin)"
    } else {
        &file.path
    };
    let _ = writeln!(
        out,
        "{}{format}",
        style.paint(Tone::Heading, &printable(path))
    );
    // Certificates that came together and form a chain get a numbered
    // table of their own; the others share one.
    let mut singles: Vec<JudgedCertificate> = Vec::new();
    let flush = |out: &mut String, singles: &mut Vec<JudgedCertificate>| {
        if !singles.is_empty() {
            out.push_str(&certificate_table(singles, "  ", false, style));
            singles.clear();
        }
    };
    let mut groups: Vec<(usize, bool, Vec<JudgedCertificate>)> = Vec::new();
    for c in &file.certificates {
        match groups.iter_mut().find(|(chain, _, _)| *chain == c.chain) {
            Some((_, _, group)) => group.push(c.certificate.clone()),
            None => groups.push((c.chain, c.linked, vec![c.certificate.clone()])),
        }
    }
    for (_, linked, group) in groups {
        if linked {
            flush(&mut out, &mut singles);
            out.push_str(&certificate_table(&group, "  ", true, style));
        } else {
            singles.extend(group);
        }
    }
    flush(&mut out, &mut singles);
    // Further deadline tables (the shared rows show the first).
    for cert in &file.certificates {
        for d in cert.certificate.deadlines.iter().skip(1) {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                d.table.name().to_uppercase(),
                printable(&cert.certificate.facts.short_name()),
                deadline_text(d)
            );
        }
    }
    if !file.keys.is_empty() {
        out.push_str(&key_table(&file.keys, "  ", style));
        for key in &file.keys {
            for d in key.key.deadlines.iter().skip(1) {
                let _ = writeln!(
                    out,
                    "  {} {} key {}: {}",
                    d.table.name().to_uppercase(),
                    key.kind,
                    key.key.facts.describe(),
                    deadline_text(d)
                );
            }
        }
    }
    for f in &file.findings {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            style.severity(f.severity),
            f.id,
            printable(&f.detail)
        );
        if let Some(note) = super::exception_note(f) {
            let _ = writeln!(out, "    {note}");
        }
    }
    for note in &file.notes {
        let _ = writeln!(out, "  note: {}", printable(note));
    }
    if let Some(error) = &file.error {
        let _ = writeln!(
            out,
            "  {}: {}",
            style.paint(Tone::Bad, "error"),
            printable(error)
        );
    }
    out.push('\n');
    out
}

/// The closing summary lines.
pub fn summary_lines(summary: &Summary) -> String {
    let mut out = format!(
        "{} files: {} certificates, {} keys and requests ({} quantum-safe, {} quantum-vulnerable, \
         {} unknown); {} unreadable, {} skipped\n",
        summary.files,
        summary.certificates,
        summary.keys,
        summary.quantum_safe,
        summary.quantum_vulnerable,
        summary.unknown,
        summary.unreadable,
        summary.skipped
    );
    let _ = writeln!(
        out,
        "earliest deadline crossed: {}",
        summary
            .earliest_deadline_crossed
            .as_ref()
            .map_or_else(|| "none".to_string(), CrossedDeadline::text)
    );
    let f = &summary.findings;
    let _ = writeln!(
        out,
        "findings: {} high, {} medium, {} low, {} info",
        f.high, f.medium, f.low, f.info
    );
    for t in &summary.finding_kinds {
        let _ = writeln!(
            out,
            "  {} {} ({}): {}\n      fix: {}",
            t.severity.name().to_uppercase(),
            t.id,
            t.count,
            t.id.title(),
            t.id.remediation()
        );
    }
    out
}
