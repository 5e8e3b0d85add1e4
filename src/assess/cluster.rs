//! Judgements about a cluster's components: whether each one could be
//! reached from here, what its build should offer against what it does,
//! and whether its TLS flags show on the wire.
//!
//! Must not: probe, read the Kubernetes API or format anything.

use super::{offer, Finding};
use crate::catalog::server::{self, ServerModel};
use crate::discover::cluster::Hidden;
use crate::probe::TargetObservation;
use crate::vocab::{ErrorKind, FindingKind, HiddenCause, OfferVerdict, PqStatus};
use crate::wire::{NamedGroup, ProtocolVersion};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a component's build should offer, from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Expected {
    /// The catalog model (`k8s1.33`, `go1.24`), see `pqready matrix --help`.
    pub model: String,
    /// Its groups, most preferred first.
    pub groups: Vec<NamedGroup>,
    /// What that offer is: `pq`, `draft-only` or `classical`.
    pub verdict: OfferVerdict,
}

/// The model an API server reporting `git_version` and `go_version` should
/// match: its Kubernetes release when the catalog has it, else its Go version.
pub fn expected_apiserver(git_version: Option<&str>, go_version: Option<&str>) -> Option<Expected> {
    let release = git_version
        .and_then(|v| v.trim_start_matches('v').split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    let go = go_version.and_then(crate::gobin::go_minor);
    let by_id = |id: String| server::all().iter().find(|m| m.id == id);
    let model: &ServerModel = release
        .and_then(|m| by_id(format!("k8s1.{m}")))
        .or_else(|| go.and_then(|m| by_id(format!("go1.{m}"))))?;
    let groups = model.groups();
    Some(Expected {
        model: model.id.clone(),
        verdict: offer(&groups),
        groups,
    })
}

/// What the local kubectl gets from the API server, judged from its replay
/// there (`clients` of the API server's observation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalClientJudgement {
    /// The group its replay negotiated; `None` when it failed or never ran.
    pub negotiated_group: Option<NamedGroup>,
    /// True when that group is post-quantum.
    pub pq: bool,
    /// What to do, when it does not get standard post-quantum key exchange.
    pub advice: Option<String>,
}

/// What the local kubectl's replay against the API server got: the group
/// (`None` when its handshake failed), from the API server's `clients`
/// replay or from the kubectl → API server edge.
pub type LocalReplay = Option<Option<NamedGroup>>;

/// Judges the local kubectl (`profile`, reporting `git_version` and
/// `go_version`) from its replay against the API server, if it ran.
pub fn local_client(
    profile: &str,
    git_version: &str,
    go_version: &str,
    replay: LocalReplay,
) -> LocalClientJudgement {
    let negotiated_group = replay.flatten();
    let standard = negotiated_group.is_some_and(|g| g.is_standard_post_quantum());
    let advice = match (replay, standard) {
        (None, _) => Some("the API server could not be asked".to_string()),
        (Some(_), true) => None,
        (Some(_), false) => crate::catalog::profile::find(profile).map(|p| {
            format!(
                "your kubectl {git_version} ({go_version}) gets {}: {}",
                negotiated_group
                    .map(|g| g.to_string())
                    .unwrap_or_else(|| "no handshake".into()),
                p.upgrade_hint
            )
        }),
    };
    LocalClientJudgement {
        negotiated_group,
        pq: negotiated_group.is_some_and(|g| g.is_post_quantum()),
        advice,
    }
}

/// True when a failure means the address cannot be reached from where
/// pqready runs (a ClusterIP or pod IP from outside the cluster), rather
/// than a broken endpoint.
pub fn unreachable(kind: Option<ErrorKind>) -> bool {
    matches!(
        kind,
        Some(ErrorKind::Timeout | ErrorKind::Refused | ErrorKind::Resolve | ErrorKind::Io)
    )
}

/// Findings for one component: its observed key exchange against its
/// expected one, and its TLS flags against what was observed.
pub fn component(
    name: &str,
    observed: &TargetObservation,
    status: PqStatus,
    expected: Option<&Expected>,
    flags: &BTreeMap<String, String>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(expected) = expected {
        let seen = match status {
            PqStatus::Pq => Some(OfferVerdict::Pq),
            PqStatus::DraftOnly => Some(OfferVerdict::DraftOnly),
            PqStatus::Classical => Some(OfferVerdict::Classical),
            PqStatus::Error | PqStatus::Unknown => None,
        };
        if let Some(seen) = seen.filter(|s| *s != expected.verdict) {
            out.push(Finding::new(
                FindingKind::KeyExchangeMismatch,
                format!(
                    "{name} reports a build that offers {} ({}: {}), but the probe sees {} ({})",
                    expected.verdict,
                    expected.model,
                    names(&expected.groups),
                    seen,
                    if observed.groups.supported.is_empty() {
                        "no group found".to_string()
                    } else {
                        names(&observed.groups.supported)
                    }
                ),
                FindingKind::KeyExchangeMismatch.remediation().into(),
                Vec::new(),
            ));
        }
    }
    if let Some(min) = flags
        .get("tls-min-version")
        .and_then(|v| go_version_flag(v))
    {
        let below: Vec<String> = observed
            .tls_versions
            .iter()
            .filter(|v| v.0 < min.0)
            .map(|v| v.to_string())
            .collect();
        if !below.is_empty() {
            out.push(Finding::new(
                FindingKind::FlagNotEffective,
                format!(
                    "{name} runs with --tls-min-version={} but accepts {}",
                    flags["tls-min-version"],
                    below.join(", ")
                ),
                FindingKind::FlagNotEffective.remediation().into(),
                Vec::new(),
            ));
        }
    }
    if let Some(curves) = flags.get("tls-curve-preferences") {
        let wanted: Vec<NamedGroup> = curves.split(',').filter_map(go_curve).collect();
        let supported = &observed.groups.supported;
        let missing: Vec<NamedGroup> = wanted
            .iter()
            .copied()
            .filter(|g| !supported.contains(g))
            .collect();
        let extra: Vec<NamedGroup> = supported
            .iter()
            .copied()
            .filter(|g| !wanted.contains(g))
            .collect();
        if !supported.is_empty() && !wanted.is_empty() && (!missing.is_empty() || !extra.is_empty())
        {
            out.push(Finding::new(
                FindingKind::FlagNotEffective,
                format!(
                    "{name} runs with --tls-curve-preferences={curves}, but the probe sees {} (missing: {}; not listed: {})",
                    names(supported),
                    names(&missing),
                    names(&extra)
                ),
                FindingKind::FlagNotEffective.remediation().into(),
                Vec::new(),
            ));
        }
    }
    out
}

/// `VersionTLS12` (Kubernetes' spelling) as a protocol version.
fn go_version_flag(value: &str) -> Option<ProtocolVersion> {
    match value {
        "VersionTLS10" => Some(ProtocolVersion::TLS1_0),
        "VersionTLS11" => Some(ProtocolVersion::TLS1_1),
        "VersionTLS12" => Some(ProtocolVersion::TLS1_2),
        "VersionTLS13" => Some(ProtocolVersion::TLS1_3),
        _ => None,
    }
}

/// A `--tls-curve-preferences` entry (Go's `tls.CurveID` names, or IANA names).
fn go_curve(name: &str) -> Option<NamedGroup> {
    match name.trim() {
        "CurveP256" => Some(NamedGroup::SECP256R1),
        "CurveP384" => Some(NamedGroup::SECP384R1),
        "CurveP521" => Some(NamedGroup::SECP521R1),
        "X25519" => Some(NamedGroup::X25519),
        other => NamedGroup::parse(other),
    }
}

fn names(groups: &[NamedGroup]) -> String {
    if groups.is_empty() {
        return "none".into();
    }
    super::join(groups)
}

/// One `incomplete-audit` finding per source the audit could not read.
///
/// A denial names the RBAC rule that lets pqready read the source; any
/// other failure gives the API's words. An API the cluster does not serve
/// (a CRD that is not installed) hides nothing and is no finding.
pub fn incomplete(hidden: &[Hidden]) -> Vec<Finding> {
    hidden
        .iter()
        .filter(|h| h.cause != Some(HiddenCause::NotServed))
        .map(|h| {
            let (detail, remediation) = match h.cause {
                Some(HiddenCause::Denied) => {
                    let rule = rbac_rule(&h.resource);
                    (
                        format!(
                            "{}: {}; nothing it names was probed. The rule that lets pqready read it: {rule}",
                            h.resource, h.reason
                        ),
                        format!(
                            "add {rule} to the ClusterRole bound to pqready's credentials (deploy/clusterrole.yaml has it) and run the audit again"
                        ),
                    )
                }
                _ => (
                    format!(
                        "{}: could not be read ({}); nothing it names was probed",
                        h.resource, h.reason
                    ),
                    FindingKind::IncompleteAudit.remediation().into(),
                ),
            };
            Finding::new(FindingKind::IncompleteAudit, detail, remediation, Vec::new())
        })
        .collect()
}

/// The RBAC rule that lets pqready read `resource`, as the audit names it
/// (`nodes`, `daemonsets.apps`, `pods (kube-system)`).
fn rbac_rule(resource: &str) -> String {
    let (resource, namespace) = match resource.split_once(" (") {
        Some((r, ns)) => (r, Some(ns.trim_end_matches(')'))),
        None => (resource, None),
    };
    let (plural, group) = resource.split_once('.').unwrap_or((resource, ""));
    let scope = match namespace {
        Some(ns) => format!(" in namespace {ns} (a Role there, or the ClusterRole)"),
        None => String::new(),
    };
    format!(
        "apiGroups: [\"{group}\"], resources: [\"{plural}\"], verbs: [\"get\", \"list\"]{scope}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(resource: &str, cause: Option<HiddenCause>) -> Hidden {
        Hidden {
            resource: resource.into(),
            reason: "not visible with these permissions".into(),
            cause,
        }
    }

    #[test]
    fn each_unread_source_is_a_finding_naming_its_rule_but_a_missing_api_is_none() {
        let found = incomplete(&[
            hidden("nodes", Some(HiddenCause::Denied)),
            hidden("daemonsets.apps", Some(HiddenCause::Denied)),
            hidden("pods (kube-system)", Some(HiddenCause::Denied)),
            hidden(
                "gateways.gateway.networking.k8s.io",
                Some(HiddenCause::NotServed),
            ),
            hidden("services", Some(HiddenCause::Failed)),
            hidden("ingresses.networking.k8s.io", None),
        ]);
        let details: Vec<&str> = found.iter().map(|f| f.detail.as_str()).collect();
        assert_eq!(found.len(), 5, "{details:#?}");
        assert!(found.iter().all(|f| f.id == FindingKind::IncompleteAudit
            && f.severity == crate::vocab::Severity::Medium));
        assert!(details[0]
            .ends_with(r#"apiGroups: [""], resources: ["nodes"], verbs: ["get", "list"]"#));
        assert!(details[1].contains(r#"apiGroups: ["apps"], resources: ["daemonsets"]"#));
        assert!(
            details[2].contains(r#"resources: ["pods"]"#) && details[2].contains("kube-system")
        );
        assert!(details[3].starts_with("services: could not be read"));
        // A document saved before causes were recorded: counted, not dropped.
        assert!(details[4].starts_with("ingresses.networking.k8s.io"));
    }

    fn observed(groups: &[NamedGroup], versions: &[ProtocolVersion]) -> TargetObservation {
        TargetObservation::with_groups(groups, versions)
    }

    #[test]
    fn expects_the_release_model_then_the_go_model() {
        let e = expected_apiserver(Some("v1.33.1"), Some("go1.24.2")).unwrap();
        assert_eq!((e.model.as_str(), e.verdict), ("k8s1.33", OfferVerdict::Pq));
        let e = expected_apiserver(Some("v1.31.0"), Some("go1.23.8")).unwrap();
        assert_eq!(
            e.verdict,
            OfferVerdict::Classical,
            "1.31 carries tlskyber=0"
        );
        let e = expected_apiserver(Some("v1.99.0-custom"), Some("go1.24.4")).unwrap();
        assert_eq!(e.model, "go1.24");
        assert_eq!(expected_apiserver(None, None), None);
    }

    #[test]
    fn a_classical_answer_from_a_pq_build_is_a_mismatch() {
        let expected = expected_apiserver(Some("v1.33.0"), Some("go1.24.2"));
        let obs = observed(&[NamedGroup::X25519], &[ProtocolVersion::TLS1_3]);
        let f = component(
            "kube-apiserver",
            &obs,
            PqStatus::Classical,
            expected.as_ref(),
            &BTreeMap::new(),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, FindingKind::KeyExchangeMismatch);
        assert!(f[0].detail.contains("k8s1.33"), "{}", f[0].detail);
        let f = component(
            "kube-apiserver",
            &obs,
            PqStatus::Pq,
            expected.as_ref(),
            &BTreeMap::new(),
        );
        assert!(f.is_empty());
    }

    #[test]
    fn flags_that_do_not_show_on_the_wire_are_findings() {
        let obs = observed(
            &[NamedGroup::X25519MLKEM768, NamedGroup::X25519],
            &[ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_1],
        );
        let flags: BTreeMap<String, String> = [
            ("tls-min-version".to_string(), "VersionTLS12".to_string()),
            (
                "tls-curve-preferences".to_string(),
                "X25519MLKEM768,X25519,CurveP256".to_string(),
            ),
        ]
        .into();
        let f = component("etcd", &obs, PqStatus::Pq, None, &flags);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].detail.contains("accepts TLSv1.1"), "{}", f[0].detail);
        assert!(
            f[1].detail.contains("missing: secp256r1"),
            "{}",
            f[1].detail
        );
        let ok = observed(
            &[NamedGroup::X25519MLKEM768, NamedGroup::X25519],
            &[ProtocolVersion::TLS1_3],
        );
        let flags: BTreeMap<String, String> = [(
            "tls-curve-preferences".to_string(),
            "X25519MLKEM768,X25519".to_string(),
        )]
        .into();
        assert!(component("etcd", &ok, PqStatus::Pq, None, &flags).is_empty());
        assert!(unreachable(Some(ErrorKind::Timeout)) && !unreachable(Some(ErrorKind::NotTls)));
    }
}
