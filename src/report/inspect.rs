//! Rendering for `pqready inspect`: one live line per client (stderr), the
//! JSON Lines record (`--json-log`), and the summary table on exit.

use super::style::{Style, Tone};
use crate::assess::inspected::ClientAssessment;
use crate::assess::OfferVerdict;
use crate::inspect::ClientObservation;
use crate::vocab::CertType;
use crate::wire::NamedGroup;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One inspected connection as reported (one JSON Lines record): what was
/// observed and what `assess` concluded, side by side.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct InspectRecord {
    /// The facts.
    #[serde(flatten)]
    pub observed: ClientObservation,
    /// The judgement.
    #[serde(flatten)]
    pub assessed: ClientAssessment,
}

impl InspectRecord {
    /// Puts `observed` next to its judgement ([`crate::assess::Judge::inspected`]).
    pub fn new(observed: ClientObservation, assessed: ClientAssessment) -> Self {
        InspectRecord { observed, assessed }
    }
}

fn verdict_text(v: Option<OfferVerdict>) -> &'static str {
    match v {
        Some(OfferVerdict::Pq) => "offers X25519MLKEM768-class PQ",
        Some(OfferVerdict::DraftOnly) => "only the obsolete Kyber draft",
        Some(OfferVerdict::Classical) => "classical only",
        None => "unreadable",
    }
}

fn paint_verdict(style: Style, v: Option<OfferVerdict>, text: &str) -> String {
    style.standing(crate::assess::standing::offer(v), text)
}

fn names(groups: &[NamedGroup]) -> String {
    groups
        .iter()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// One line per client for a live view.
pub fn live_line(record: &InspectRecord, style: Style) -> String {
    let (r, judged) = (&record.observed, &record.assessed);
    if let Some(err) = &r.error {
        return format!(
            "{} {} {}",
            r.time,
            r.peer,
            style.paint(Tone::Bad, &format!("error: {err}"))
        );
    }
    let profile = profile_label(r);
    let shares: Vec<String> = r
        .key_shares
        .iter()
        .map(|k| format!("{}({})", k.group, k.length))
        .collect();
    format!(
        "{} {} sni={} {} | groups {} | shares {} | {} B in {} reads/{} records | {}{} ja4={}{}{}{}",
        r.time,
        r.peer,
        super::printable(r.sni.as_deref().unwrap_or("-")),
        profile,
        names(&r.groups),
        shares.join(","),
        r.client_hello_len,
        r.tcp_reads,
        r.records,
        paint_verdict(style, judged.verdict, verdict_text(judged.verdict)),
        if r.offers_mldsa {
            " + ML-DSA signatures"
        } else {
            ""
        },
        r.ja4.as_deref().unwrap_or("-"),
        answer_text(record, style),
        handshake_text(r, style),
        outlook_text(record, style),
    )
}

/// The closest profile (`~` when not exact) and, for a Go profile, the
/// kubectl releases built that way: `go1.24 = kubectl1.33,kubectl1.34`.
fn profile_label(r: &ClientObservation) -> String {
    match (&r.profile_match, r.profile_match_exact) {
        (Some(p), true) => {
            let kubectl: Vec<&str> = r
                .profile_equivalents
                .iter()
                .map(String::as_str)
                .filter(|id| id.starts_with("kubectl"))
                .collect();
            if kubectl.is_empty() || p.starts_with("kubectl") {
                p.clone()
            } else {
                format!("{p} = {}", kubectl.join(","))
            }
        }
        (Some(p), false) => format!("~{p}"),
        (None, _) => "unknown".into(),
    }
}

/// Terminate mode: what a server of each generation would give this client
/// (` | servers: go1.22 x25519; go1.23 X25519Kyber768Draft00; go1.24-openssl3.5
/// x25519 DOWNGRADED`), consecutive equal outcomes joined; empty otherwise.
fn outlook_text(record: &InspectRecord, style: Style) -> String {
    if record.observed.inspector_groups.is_none() || record.assessed.servers.is_empty() {
        return String::new();
    }
    let outcome = |o: &crate::assess::inspected::ServerOutlook| match o.negotiated_group {
        Some(g) if o.downgraded => format!("{g} {}", style.paint(Tone::Bad, "DOWNGRADED")),
        Some(g) if o.hello_retry => format!("{g} after HelloRetryRequest"),
        Some(g) => g.to_string(),
        None => "handshake fails".into(),
    };
    let mut runs: Vec<(String, String, String)> = Vec::new();
    for o in &record.assessed.servers {
        let text = outcome(o);
        match runs.last_mut() {
            Some((_, last, same)) if *same == text => *last = o.server.clone(),
            _ => runs.push((o.server.clone(), o.server.clone(), text)),
        }
    }
    let parts: Vec<String> = runs
        .into_iter()
        .map(|(first, last, text)| {
            if first == last {
                format!("{first} {text}")
            } else {
                format!("{first}-{last} {text}")
            }
        })
        .collect();
    format!(" | servers: {}", parts.join("; "))
}

/// ` | CERT cert: handshake completed` (or FAILED, with why) in terminate
/// mode; empty in forward mode.
fn handshake_text(r: &ClientObservation, style: Style) -> String {
    let Some(completed) = r.handshake_completed else {
        return String::new();
    };
    let cert = match r.cert_type {
        Some(t) => format!("{t} cert"),
        None => "cert".into(),
    };
    if completed {
        return format!(" | {cert}: handshake completed");
    }
    match &r.handshake_error {
        Some(why) => format!(
            " | {cert}: handshake {} ({})",
            style.paint(Tone::Bad, "FAILED"),
            super::printable(why)
        ),
        None => format!(" | {cert}: no handshake"),
    }
}

/// The inspect summary as one JSON document (`-o json`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SummaryDocument<'a> {
    /// Always `pqready/v1`.
    #[schemars(with = "String", extend("const" = crate::report::SCHEMA))]
    pub schema: crate::report::Schema,
    /// Always `inspect-summary`.
    #[schemars(with = "String", extend("const" = "inspect-summary"))]
    pub kind: crate::vocab::DocumentKind,
    /// The summary.
    #[serde(flatten)]
    pub summary: &'a Summary,
}

impl<'a> SummaryDocument<'a> {
    /// The document for `summary`.
    pub fn new(summary: &'a Summary) -> Self {
        SummaryDocument {
            schema: crate::report::Schema,
            kind: crate::vocab::DocumentKind::InspectSummary,
            summary,
        }
    }
}

/// ` | negotiated GROUP`, with the HelloRetryRequest and a DOWNGRADED marker;
/// empty when the server's answer is unknown.
fn answer_text(record: &InspectRecord, style: Style) -> String {
    let r = &record.observed;
    let Some(group) = r.negotiated_group else {
        return match (r.server_version, &r.upstream_error) {
            (Some(v), _) => format!(" | negotiated {v} without a named group"),
            (None, Some(why)) => format!(" | {}", style.paint(Tone::Bad, &super::printable(why))),
            (None, None) => String::new(),
        };
    };
    let mut out = format!(" | negotiated {group}");
    if r.hello_retry == Some(true) {
        out.push_str(" after HelloRetryRequest");
    }
    if record.assessed.downgraded == Some(true) {
        out.push(' ');
        out.push_str(&style.paint(Tone::Bad, "DOWNGRADED"));
    } else if !group.is_post_quantum() && !record.assessed.inspector_lacks.is_empty() {
        out.push_str(&format!(
            " (pqready's endpoint has no {}: its limit, not the client's downgrade)",
            names(&record.assessed.inspector_lacks)
        ));
    }
    out
}

/// The summary on exit: clients grouped by fingerprint, most frequent first.
pub fn summary_table(s: &Summary, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "pqready inspect: {} client connections", s.total);
    if !s.clients.is_empty() {
        let mut rows: Vec<(&String, &SummaryEntry)> = s.clients.iter().collect();
        rows.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        let pw = rows
            .iter()
            .map(|r| r.1.profile.len())
            .max()
            .unwrap_or(7)
            .max(7);
        // Terminate mode: whether each client completed the handshake.
        let handshakes = s.handshake_completed + s.handshake_failed > 0;
        let _ = writeln!(
            out,
            "{:>5}  {:<pw$}  {:<30}  {:<6}  {}{:<38}  EXAMPLE",
            "COUNT",
            "PROFILE",
            "VERDICT",
            "ML-DSA",
            if handshakes {
                format!("{:<9}  ", "HANDSHAKE")
            } else {
                String::new()
            },
            "JA4"
        );
        for (_, e) in rows {
            let verdict = format!("{:<30}", verdict_text(e.verdict));
            let handshake = if handshakes {
                let text = format!("{:<9}", entry_handshake(e));
                let text = if e.handshake_failed > 0 {
                    style.paint(Tone::Bad, &text)
                } else {
                    text
                };
                format!("{text}  ")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{:>5}  {:<pw$}  {}  {:<6}  {handshake}{:<38}  {}",
                e.count,
                e.profile,
                paint_verdict(style, e.verdict, &verdict),
                if e.offers_mldsa { "yes" } else { "no" },
                e.ja4,
                super::printable(&e.sample)
            );
        }
        let pq: u64 = s
            .clients
            .values()
            .filter(|e| e.verdict == Some(OfferVerdict::Pq))
            .map(|e| e.count)
            .sum();
        let readable = s.total - s.errors.values().sum::<u64>();
        let _ = writeln!(
            out,
            "{pq} of {readable} readable hellos offered a standard post-quantum group"
        );
        let _ = writeln!(
            out,
            "{} of {readable} readable hellos offered ML-DSA signature schemes",
            s.offered_mldsa
        );
        if handshakes {
            let cert = match s.cert_type {
                Some(t) => t.name(),
                None => "--cert (another key type)",
            };
            let mut text = format!(
                "certificate served: {cert}; handshakes: {} completed, {} failed",
                s.handshake_completed, s.handshake_failed
            );
            if s.handshake_abandoned > 0 {
                let _ = write!(
                    text,
                    ", {} left by the client without an alert",
                    s.handshake_abandoned
                );
            }
            let _ = if s.handshake_failed > 0 {
                writeln!(out, "{}", style.paint(Tone::Bad, &text))
            } else {
                writeln!(out, "{text}")
            };
        }
        let _ = writeln!(
            out,
            "would accept an ML-DSA server certificate: {} yes, {} no, {} unknown",
            s.accepts_mldsa_cert,
            s.rejects_mldsa_cert,
            readable.saturating_sub(s.accepts_mldsa_cert + s.rejects_mldsa_cert)
        );
    }
    if !s.negotiated.is_empty() {
        let mut groups: Vec<(&String, &u64)> = s.negotiated.iter().collect();
        groups.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut line: Vec<String> = groups.iter().map(|(g, n)| format!("{g} {n}")).collect();
        if s.negotiated_unknown > 0 {
            line.push(format!("unknown {}", s.negotiated_unknown));
        }
        let _ = writeln!(out, "negotiated: {}", line.join(", "));
        let text = format!(
            "{} downgraded: offered a post-quantum group, settled on a classical one",
            s.downgraded
        );
        let _ = if s.downgraded > 0 {
            writeln!(out, "{}", style.paint(Tone::Bad, &text))
        } else {
            writeln!(out, "{text}")
        };
    }
    for (err, n) in &s.errors {
        let _ = writeln!(out, "{n:>5}  error: {err}");
    }
    for (why, n) in &s.upstream_errors {
        let _ = writeln!(out, "{n:>5}  {}", style.paint(Tone::Bad, why));
    }
    out
}

/// One fingerprint's handshakes in a few characters.
fn entry_handshake(e: &SummaryEntry) -> String {
    match (e.handshake_completed, e.handshake_failed) {
        (0, 0) => "-".into(),
        (_, 0) => "completed".into(),
        (0, _) => "FAILED".into(),
        (ok, failed) => format!("{ok} ok/{failed} failed"),
    }
}

/// Distinct clients the summary keeps apart; the rest are counted as `other`.
pub const MAX_SUMMARY_ENTRIES: usize = 1000;

/// Clients seen so far, grouped by fingerprint, for the summary on exit.
#[derive(Debug, Default, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Summary {
    /// Connections recorded.
    pub total: u64,
    /// One entry per distinct client: JA4 fingerprint plus key-exchange offer
    /// (JA4 does not cover groups, so kubectl 1.32 and 1.33 share a JA4).
    pub clients: BTreeMap<String, SummaryEntry>,
    /// Failed captures, by error message.
    pub errors: BTreeMap<String, u64>,
    /// Connections by the group the server selected (known answers only).
    pub negotiated: BTreeMap<String, u64>,
    /// Connections whose answer was read but named no group, or could not be read.
    pub negotiated_unknown: u64,
    /// Connections that offered post-quantum and settled on a classical group.
    pub downgraded: u64,
    /// Readable hellos that offered an ML-DSA signature scheme.
    pub offered_mldsa: u64,
    /// Terminate mode: the type of the certificate served (null in forward
    /// mode, or for a `--cert` of another type).
    pub cert_type: Option<CertType>,
    /// Terminate mode: connections whose TLS handshake completed.
    pub handshake_completed: u64,
    /// Terminate mode: connections whose TLS handshake was attempted and
    /// failed (not counting those the client left without an alert).
    pub handshake_failed: u64,
    /// Terminate mode: connections the client closed mid-handshake without
    /// an alert (`handshake_abandoned`: a browser's spare connection).
    #[serde(default)]
    pub handshake_abandoned: u64,
    /// Connections judged to accept an ML-DSA server certificate (`accepts_mldsa_cert` true).
    pub accepts_mldsa_cert: u64,
    /// Connections judged not to accept one (`accepts_mldsa_cert` false).
    pub rejects_mldsa_cert: u64,
    /// Forward mode: connections whose upstream answer is unknown, by why
    /// (`upstream refused`, `upstream not TLS`, `upstream closed` ...).
    #[serde(default)]
    pub upstream_errors: BTreeMap<String, u64>,
}

/// One fingerprint's tally.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct SummaryEntry {
    /// The JA4 fingerprint.
    pub ja4: String,
    /// How many connections had it.
    pub count: u64,
    /// Closest profile, with `~` when not exact; an exact Go profile also
    /// names the kubectl releases built that way (`go1.24 = kubectl1.33,kubectl1.34`).
    pub profile: String,
    /// The offer's verdict.
    pub verdict: Option<OfferVerdict>,
    /// Offered groups (first connection).
    pub groups: Vec<NamedGroup>,
    /// A sample peer and SNI.
    pub sample: String,
    /// Its signature schemes include ML-DSA (first connection).
    pub offers_mldsa: bool,
    /// Terminate mode: its connections whose handshake completed.
    pub handshake_completed: u64,
    /// Terminate mode: its connections whose handshake failed.
    pub handshake_failed: u64,
}

impl Summary {
    /// Adds one record.
    pub fn add(&mut self, record: &InspectRecord) {
        let r = &record.observed;
        self.total += 1;
        match r.negotiated_group {
            Some(group) => {
                // Servers choose: cap distinct entries like the other tallies.
                let mut key = group.to_string();
                if !self.negotiated.contains_key(&key) && self.negotiated.len() >= 100 {
                    key = "other".into();
                }
                *self.negotiated.entry(key).or_insert(0) += 1
            }
            None => self.negotiated_unknown += 1,
        }
        if record.assessed.downgraded == Some(true) {
            self.downgraded += 1;
        }
        if let Some(why) = &r.upstream_error {
            // The kind, not the text (it may quote the upstream's bytes).
            let kind = why.split(':').next().unwrap_or(why);
            let mut kind: String = kind.chars().take(60).collect();
            if !self.upstream_errors.contains_key(&kind) && self.upstream_errors.len() >= 100 {
                kind = "other".into();
            }
            *self.upstream_errors.entry(kind).or_insert(0) += 1;
        }
        if r.cert_type.is_some() {
            self.cert_type = r.cert_type;
        }
        let (completed, failed) = (
            r.handshake_completed == Some(true),
            r.handshake_error.is_some() && !r.handshake_abandoned,
        );
        self.handshake_completed += u64::from(completed);
        self.handshake_failed += u64::from(failed);
        self.handshake_abandoned += u64::from(r.handshake_abandoned);
        match record.assessed.accepts_mldsa_cert {
            Some(true) => self.accepts_mldsa_cert += 1,
            Some(false) => self.rejects_mldsa_cert += 1,
            None => {}
        }
        match (&r.ja4, &r.error) {
            (Some(ja4), None) => {
                let shares: Vec<String> =
                    r.key_shares.iter().map(|k| k.group.to_string()).collect();
                let groups: Vec<String> = r.groups.iter().map(|g| g.to_string()).collect();
                let mut key = format!("{ja4} {} {}", groups.join(","), shares.join(","));
                // Clients choose what they send: cap distinct entries and key size
                // so a hostile network cannot grow the summary without bound.
                key.truncate(512);
                if !self.clients.contains_key(&key) && self.clients.len() >= MAX_SUMMARY_ENTRIES {
                    key = "other".into();
                }
                let entry = self.clients.entry(key).or_insert_with(|| SummaryEntry {
                    ja4: ja4.clone(),
                    count: 0,
                    profile: profile_label(r),
                    verdict: record.assessed.verdict,
                    groups: r.groups.clone(),
                    sample: format!("{} sni={}", r.peer, r.sni.as_deref().unwrap_or("-")),
                    offers_mldsa: r.offers_mldsa,
                    handshake_completed: 0,
                    handshake_failed: 0,
                });
                entry.count += 1;
                self.offered_mldsa += u64::from(r.offers_mldsa);
                entry.handshake_completed += u64::from(completed);
                entry.handshake_failed += u64::from(failed);
            }
            (_, error) => {
                // Error messages quote client bytes: keep the kind, not the text.
                let message = error.as_deref().unwrap_or("unknown");
                let kind = message.split(':').next().unwrap_or(message);
                let mut kind: String = kind.chars().take(60).collect();
                if !self.errors.contains_key(&kind) && self.errors.len() >= 100 {
                    kind = "other".into();
                }
                *self.errors.entry(kind).or_insert(0) += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::answer::ServerAnswer;
    use crate::inspect::capture::Capture;
    use crate::wire::{ClientHello, ClientHelloSpec, ProtocolVersion, SignatureScheme};
    use std::time::SystemTime;

    fn record(offer: Vec<NamedGroup>, answer: Option<ServerAnswer>) -> InspectRecord {
        let hello = ClientHello::parse(&ClientHelloSpec::tls13(offer, vec![]).encode()).unwrap();
        let cap = Capture {
            raw: vec![1],
            tcp_reads: 1,
            records: 1,
            hello_len: 100,
            result: Ok(hello),
        };
        let mut observed = crate::inspect::ClientObservation::from_capture(
            "127.0.0.1:1".parse().unwrap(),
            SystemTime::now(),
            &cap,
        );
        observed.set_answer(answer.as_ref());
        let assessed = crate::assess::Judge::default().inspected(&observed);
        InspectRecord::new(observed, assessed)
    }

    fn answer(group: NamedGroup) -> Option<ServerAnswer> {
        Some(ServerAnswer {
            version: ProtocolVersion::TLS1_3,
            hello_retry: false,
            group: Some(group),
        })
    }

    #[test]
    fn live_line_and_summary_show_the_answer_and_downgrades() {
        let style = Style { color: false };
        let draft = vec![NamedGroup::X25519KYBER768DRAFT00, NamedGroup::X25519];
        let downgraded = record(draft, answer(NamedGroup::X25519));
        assert_eq!(downgraded.assessed.downgraded, Some(true));
        assert!(live_line(&downgraded, style).ends_with("| negotiated x25519 DOWNGRADED"));
        let mlkem = vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        let pq = record(mlkem.clone(), answer(NamedGroup::X25519MLKEM768));
        assert!(live_line(&pq, style).ends_with("| negotiated X25519MLKEM768"));
        let unknown = record(mlkem, None);
        assert_eq!(
            (
                unknown.observed.negotiated_group,
                unknown.assessed.downgraded,
                unknown.observed.hello_retry
            ),
            (None, None, None)
        );
        assert!(!live_line(&unknown, style).contains("negotiated"));

        let mut summary = Summary::default();
        for r in [&downgraded, &pq, &pq, &unknown] {
            summary.add(r);
        }
        assert_eq!(summary.downgraded, 1);
        assert_eq!(summary.negotiated_unknown, 1);
        let table = summary_table(&summary, style);
        assert!(
            table.contains("negotiated: X25519MLKEM768 2, x25519 1, unknown 1"),
            "{table}"
        );
        assert!(
            table.contains("1 downgraded: offered a post-quantum group"),
            "{table}"
        );
        let json = serde_json::to_value(&downgraded).unwrap();
        assert_eq!(json["negotiated_group"], "x25519");
        assert_eq!(json["server_version"], "TLSv1.3");
        assert_eq!(json["hello_retry"], false);
        assert_eq!(json["downgraded"], true);
        // Forward mode: no certificate, no handshake column.
        assert_eq!(json["cert_type"], serde_json::Value::Null);
        assert_eq!(json["handshake_completed"], serde_json::Value::Null);
        assert!(!table.contains("HANDSHAKE"), "{table}");
        // pqready's own test hellos offer ML-DSA (wire::DEFAULT_SIGNATURE_SCHEMES).
        assert!(
            table.contains("4 of 4 readable hellos offered ML-DSA signature schemes"),
            "{table}"
        );
    }

    /// A terminate-mode record of a hello with `schemes`, served `cert`.
    fn served(
        schemes: Vec<SignatureScheme>,
        cert: CertType,
        outcome: Result<(), Option<String>>,
    ) -> InspectRecord {
        let mut spec = ClientHelloSpec::tls13(vec![NamedGroup::X25519MLKEM768], vec![]);
        spec.signature_schemes = schemes;
        let cap = Capture {
            raw: vec![1],
            tcp_reads: 1,
            records: 1,
            hello_len: 100,
            result: Ok(ClientHello::parse(&spec.encode()).unwrap()),
        };
        let mut observed = crate::inspect::ClientObservation::from_capture(
            "127.0.0.1:1".parse().unwrap(),
            SystemTime::now(),
            &cap,
        );
        if outcome.is_ok() {
            observed.set_answer(answer(NamedGroup::X25519MLKEM768).as_ref());
        }
        observed.set_handshake(Some(cert), outcome);
        let assessed = crate::assess::Judge::default().inspected(&observed);
        InspectRecord::new(observed, assessed)
    }

    #[test]
    fn records_and_summary_say_who_offered_mldsa_and_completed() {
        let style = Style { color: false };
        let mldsa = vec![SignatureScheme::MLDSA65, SignatureScheme::ED25519];
        let classical = vec![SignatureScheme::ECDSA_SECP256R1_SHA256];
        let ok = served(mldsa.clone(), CertType::Mldsa65, Ok(()));
        let why = "peer is incompatible: NoSignatureSchemesInCommon";
        let failed = served(classical, CertType::Mldsa65, Err(Some(why.into())));
        let line = live_line(&ok, style);
        assert!(line.contains(" + ML-DSA signatures ja4="), "{line}");
        assert!(
            line.ends_with("| negotiated X25519MLKEM768 | mldsa65 cert: handshake completed"),
            "{line}"
        );
        let line = live_line(&failed, style);
        assert!(!line.contains("ML-DSA"), "{line}");
        assert!(
            line.ends_with(&format!("| mldsa65 cert: handshake FAILED ({why})")),
            "{line}"
        );
        let json = serde_json::to_value(&failed).unwrap();
        assert_eq!(json["offers_mldsa"], false);
        assert_eq!(json["cert_type"], "mldsa65");
        assert_eq!(json["handshake_completed"], false);
        assert_eq!(json["handshake_error"], why);
        assert_eq!(json["accepts_mldsa_cert"], false);
        assert_eq!(json["error"], serde_json::Value::Null);
        let json = serde_json::to_value(&ok).unwrap();
        assert_eq!(
            (&json["offers_mldsa"], &json["handshake_completed"]),
            (&true.into(), &true.into())
        );
        assert_eq!(json["accepts_mldsa_cert"], true);
        // Offers ML-DSA, served ECDSA: completes, and ML-DSA stays unknown.
        let ecdsa = served(mldsa, CertType::EcdsaP256, Ok(()));
        assert_eq!(ecdsa.assessed.accepts_mldsa_cert, None);

        let mut summary = Summary::default();
        for r in [&ok, &failed, &failed] {
            summary.add(r);
        }
        assert_eq!(
            (
                summary.offered_mldsa,
                summary.handshake_completed,
                summary.handshake_failed,
                summary.cert_type
            ),
            (1, 1, 2, Some(CertType::Mldsa65))
        );
        let table = summary_table(&summary, style);
        for want in [
            "ML-DSA  HANDSHAKE  JA4",
            "1 of 3 readable hellos offered ML-DSA signature schemes",
            "certificate served: mldsa65; handshakes: 1 completed, 2 failed",
            "would accept an ML-DSA server certificate: 1 yes, 2 no, 0 unknown",
        ] {
            assert!(table.contains(want), "{want}:\n{table}");
        }
        let rows: Vec<&str> = table
            .lines()
            .filter(|l| l.contains("127.0.0.1:1"))
            .collect();
        assert_eq!(rows.len(), 2, "{table}");
        assert!(
            rows[0].contains("  no      FAILED     t13") && rows[0].starts_with("    2"),
            "{table}"
        );
        assert!(rows[1].contains("  yes     completed  t13"), "{table}");
    }
}
