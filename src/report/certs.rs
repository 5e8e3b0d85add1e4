//! Certificates, keys and authentication as table text: one layout shared by `probe` (a
//! target's chains), `cluster` and `certs` (files), so a certificate reads
//! the same wherever it was found. Pure formatting.

use super::Style;
use crate::assess::certs::{Deadline, JudgedCertificate};
use crate::vocab::DeadlineStatus;

/// A deadline in a few words: `deprecated after 2030-12-31, disallowed after
/// 2035-12-31 (valid past it)`.
pub fn deadline_text(d: &Deadline) -> String {
    let dates = [
        d.deprecated_after
            .as_deref()
            .map(|x| format!("deprecated after {x}")),
        d.disallowed_after
            .as_deref()
            .map(|x| format!("disallowed after {x}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let past = if d.valid_past_disallowance {
        " (valid past disallowance)"
    } else if d.valid_past_deprecation {
        " (valid past deprecation)"
    } else {
        ""
    };
    match d.status {
        DeadlineStatus::Acceptable => "acceptable".into(),
        DeadlineStatus::Disallowed => "disallowed now".into(),
        DeadlineStatus::Unknown => "unknown algorithm".into(),
        DeadlineStatus::NotApproved if dates.is_empty() => "not approved".into(),
        DeadlineStatus::NotApproved => format!("not approved: {dates}{past}"),
        DeadlineStatus::Vulnerable => format!("{dates}{past}"),
    }
}

fn paint_deadline(d: &Deadline, text: &str, style: Style) -> String {
    style.paint(super::style::deadline(d), text)
}

/// The certificates as rows under a header, each line prefixed by `indent`.
/// `position` numbers them (a chain, leaf first) when true.
pub fn certificate_table(
    certs: &[JudgedCertificate],
    indent: &str,
    position: bool,
    style: Style,
) -> String {
    let deadline_head = certs
        .first()
        .and_then(|c| c.deadlines.first())
        .map(|d| d.table.name().to_uppercase())
        .unwrap_or_else(|| "DEADLINE".into());
    let header = [
        "#",
        "ROLE",
        "SUBJECT",
        "KEY",
        "SIGNED WITH",
        "NOT AFTER",
        "PQ",
        deadline_head.as_str(),
    ];
    let rows: Vec<[String; 8]> = certs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let f = &c.facts;
            [
                if position {
                    i.to_string()
                } else {
                    String::new()
                },
                // The role and subject come from a peer or a file: no control characters.
                super::printable(f.role.as_deref().unwrap_or("-")).into_owned(),
                super::printable(&f.short_name()).into_owned(),
                f.key.describe(),
                f.signature_algorithm.clone(),
                f.not_after.get(..10).unwrap_or(&f.not_after).to_string(),
                if c.quantum_safe { "yes" } else { "no" }.into(),
                c.deadlines.first().map(deadline_text).unwrap_or_default(),
            ]
        })
        .collect();
    let (head, lines) = super::style::columns(header, &rows);
    let mut out = format!(
        "{indent}{}\n",
        style.paint(super::style::Tone::Heading, &head)
    );
    for (line, cert) in lines.iter().zip(certs) {
        let text = match cert.deadlines.first() {
            Some(d) => paint_deadline(d, line, style),
            None => line.clone(),
        };
        out.push_str(&format!("{indent}{text}\n"));
    }
    out
}

/// `ML-DSA: yes (mldsa65); classical: no (alert HandshakeFailure)`.
pub fn auth_text(auth: &crate::probe::certificates::AuthenticationObservation) -> String {
    use crate::probe::certificates::is_mldsa;
    use crate::vocab::AuthKind;
    let part = |label: &str, kind: AuthKind, yes: bool| {
        if yes {
            let schemes: Vec<String> = auth
                .schemes
                .iter()
                .filter(|s| is_mldsa(**s) == (kind == AuthKind::Mldsa))
                .map(|s| s.to_string())
                .collect();
            return format!("{label}: yes ({})", schemes.join(", "));
        }
        let why = auth
            .attempt(kind)
            .and_then(|a| a.error.as_deref())
            .map(|e| format!(" ({})", e.trim_start_matches("handshake failed: ")))
            .unwrap_or_default();
        format!("{label}: no{why}")
    };
    format!(
        "{}; {}",
        part("ML-DSA", AuthKind::Mldsa, auth.mldsa),
        part("classical", AuthKind::Classical, auth.classical)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::DeadlineTable;

    #[test]
    fn a_subject_cannot_move_the_cursor() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["x.test".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "evil\u{1b}[2J\nforged line");
        let facts = crate::pki::parse_certificate(params.self_signed(&key).unwrap().der()).unwrap();
        let judged =
            crate::assess::certs::certificate(&facts, &crate::assess::certs::CertRules::default());
        let text = certificate_table(&[judged], "  ", true, Style { color: false });
        assert!(!text.contains('\u{1b}'), "{text}");
        assert_eq!(text.lines().count(), 2, "{text}");
    }

    #[test]
    fn deadline_texts() {
        let d = Deadline {
            table: DeadlineTable::Nist,
            status: DeadlineStatus::Vulnerable,
            deprecated_after: Some("2030-12-31".into()),
            disallowed_after: Some("2035-12-31".into()),
            valid_past_deprecation: true,
            valid_past_disallowance: false,
            rule: String::new(),
        };
        assert_eq!(
            deadline_text(&d),
            "deprecated after 2030-12-31, disallowed after 2035-12-31 (valid past deprecation)"
        );
    }
}
