//! Judging an SSH server's key exchange: its verdict, what each OpenSSH
//! client profile negotiates with it, and the `classical-ssh-kex` and
//! `ssh-pq-not-negotiated` findings.
//!
//! What a profile negotiates is computed, not observed: RFC 4253 §7.1 makes
//! it the client's first method that the server lists, whatever the
//! server's own order (so, unlike TLS, the server's preference never
//! matters). The probe observed the server's list (`probe::ssh`).
//!
//! Must not: send traffic or format output.

use super::endpoint::{EndpointAssessment, Verdict};
pub use super::endpoint::{SshAssessment, SshClientOutcome};
use super::Finding;
use crate::catalog::ssh::{is_pq_kex, SSH_CLIENTS};
use crate::probe::ssh::SshObservation;
use crate::vocab::{FindingKind, PqStatus};
use crate::wire::ssh::{first_client_match, is_pseudo_kex};

/// The assessment of an SSH endpoint.
pub fn endpoint(ssh: &SshObservation) -> EndpointAssessment {
    let mut out = EndpointAssessment {
        findings: Vec::new(),
        hello_tolerance: None,
        verdict: Verdict {
            status: PqStatus::Error,
            text: "PQ key exchange: unknown (the SSH server's KEXINIT could not be read)".into(),
        },
        certificates: Vec::new(),
        certificate_errors: Vec::new(),
        ssh_kex: None,
    };
    if !ssh.complete() {
        return out;
    }
    let methods: Vec<&str> = ssh
        .kex
        .iter()
        .map(String::as_str)
        .filter(|k| !is_pseudo_kex(k))
        .collect();
    let pq_kex: Vec<String> = methods
        .iter()
        .filter(|k| is_pq_kex(k))
        .map(|k| k.to_string())
        .collect();
    let clients: Vec<SshClientOutcome> = SSH_CLIENTS
        .iter()
        .map(|p| {
            let kex = first_client_match(p.kex, &ssh.kex).map(str::to_string);
            SshClientOutcome {
                profile: p.id.to_string(),
                pq: kex.as_deref().is_some_and(is_pq_kex),
                kex,
            }
        })
        .collect();
    let newest = clients.last().and_then(|c| {
        c.kex
            .as_deref()
            .map(|k| format!("{} negotiates {k}", profile_name(&c.profile)))
    });
    if pq_kex.is_empty() {
        out.verdict = Verdict {
            status: PqStatus::Classical,
            text: format!(
                "PQ key exchange: no (SSH offers only {})",
                if methods.is_empty() {
                    "no key exchange".to_string()
                } else {
                    methods.join(", ")
                }
            ),
        };
        let kind = FindingKind::ClassicalSshKex;
        out.findings.push(Finding::new(
            kind,
            format!(
                "the SSH server offers no post-quantum hybrid key exchange (it offers {}): its \
                 sessions can be recorded today and decrypted later",
                methods.join(", ")
            ),
            kind.remediation().to_string(),
            Vec::new(),
        ));
    } else {
        let mut text = format!("PQ key exchange: yes ({} offered", pq_kex.join(", "));
        if let Some(newest) = newest {
            text.push_str(&format!("; {newest}"));
        }
        text.push(')');
        out.verdict = Verdict {
            status: PqStatus::Pq,
            text,
        };
        let classical: Vec<&SshClientOutcome> = clients.iter().filter(|c| !c.pq).collect();
        if !classical.is_empty() {
            let kind = FindingKind::SshPqNotNegotiated;
            // One clause per outcome: `OpenSSH 9.0 … OpenSSH 9.8 (10 profiles) get X`.
            let mut outcomes: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
            for c in &classical {
                let kex = c.kex.as_deref();
                match outcomes.iter_mut().find(|(k, _)| *k == kex) {
                    Some((_, names)) => names.push(profile_name(&c.profile)),
                    None => outcomes.push((kex, vec![profile_name(&c.profile)])),
                }
            }
            let who: Vec<String> = outcomes
                .iter()
                .map(|(kex, names)| {
                    let got = kex.unwrap_or("no key exchange in common");
                    match names.as_slice() {
                        [one] => format!("{one} gets {got}"),
                        [first, .., last] => {
                            format!("{first} to {last} ({} profiles) get {got}", names.len())
                        }
                        [] => String::new(),
                    }
                })
                .collect();
            out.findings.push(Finding::new(
                kind,
                format!(
                    "the server offers {} but {}: their default lists share no post-quantum \
                     method with it",
                    pq_kex.join(", "),
                    who.join("; ")
                ),
                kind.remediation().to_string(),
                classical.iter().map(|c| c.profile.clone()).collect(),
            ));
        }
    }
    out.ssh_kex = Some(SshAssessment { pq_kex, clients });
    out
}

fn profile_name(id: &str) -> &str {
    crate::catalog::ssh::ssh_client(id).map_or(id, |p| p.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(kex: &[&str]) -> SshObservation {
        SshObservation {
            kex: kex.iter().map(|k| k.to_string()).collect(),
            ..SshObservation::default()
        }
    }

    #[test]
    fn a_classical_server_is_classical_with_its_finding() {
        let judged = endpoint(&server(&["curve25519-sha256", "ext-info-s"]));
        assert_eq!(judged.verdict.status, PqStatus::Classical);
        assert_eq!(judged.findings[0].id, FindingKind::ClassicalSshKex);
        assert!(judged.verdict.text.contains("curve25519-sha256"));
        assert!(!judged.verdict.text.contains("ext-info-s"));
        let ssh = judged.ssh_kex.unwrap();
        assert!(ssh.clients.iter().all(|c| !c.pq));
    }

    #[test]
    fn an_mlkem_only_server_leaves_openssh_9_8_and_older_classical() {
        let judged = endpoint(&server(&["mlkem768x25519-sha256", "curve25519-sha256"]));
        assert_eq!(judged.verdict.status, PqStatus::Pq);
        let finding = &judged.findings[0];
        assert_eq!(finding.id, FindingKind::SshPqNotNegotiated);
        assert!(finding.profiles.contains(&"openssh-9.8".to_string()));
        assert!(!finding.profiles.contains(&"openssh-9.9".to_string()));
        let ssh = judged.ssh_kex.unwrap();
        let get = |id: &str| {
            ssh.clients
                .iter()
                .find(|c| c.profile == id)
                .unwrap()
                .clone()
        };
        assert_eq!(get("openssh-9.0").kex.as_deref(), Some("curve25519-sha256"));
        assert_eq!(
            get("openssh-10.0").kex.as_deref(),
            Some("mlkem768x25519-sha256")
        );
    }

    #[test]
    fn the_client_order_decides_not_the_server_order() {
        // The server lists sntrup first; OpenSSH 10 still gets ML-KEM.
        let judged = endpoint(&server(&[
            "sntrup761x25519-sha512@openssh.com",
            "mlkem768x25519-sha256",
        ]));
        assert!(judged.findings.is_empty());
        let ssh = judged.ssh_kex.unwrap();
        let last = ssh.clients.last().unwrap();
        assert_eq!(last.kex.as_deref(), Some("mlkem768x25519-sha256"));
    }

    #[test]
    fn an_unread_server_is_an_error_without_findings() {
        let judged = endpoint(&SshObservation {
            error: Some("timed out".into()),
            ..SshObservation::default()
        });
        assert_eq!(judged.verdict.status, PqStatus::Error);
        assert!(judged.findings.is_empty() && judged.ssh_kex.is_none());
    }
}
