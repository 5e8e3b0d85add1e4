//! The SARIF 2.1.0 renderer (`-o sarif`), for code scanning and other SARIF
//! consumers: one rule per [`FindingKind`], one result per finding, the
//! endpoint, cluster component or file as its location (an edge of a
//! cluster: its server, then its client). Parts are collected
//! and written as one document by [`Renderer::finish`]. Pure formatting: the
//! results are exactly the findings `assess` made.

use super::{Part, Renderer, TargetReport};
use crate::assess::baseline::FindingKey;
use crate::assess::Finding;
use crate::vocab::{FindingKind, Severity};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The `$schema` of the document.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where pqready is documented (the driver's `informationUri`): the
/// package's `repository`, left out while Cargo.toml names none.
pub const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

/// The key of the one partial fingerprint every result carries.
pub const FINGERPRINT_KEY: &str = "pqreadyFinding/v1";

/// The SARIF level of a severity: high → error, medium → warning, else note.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's `security-severity` score for a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "8.0",
        Severity::Medium => "5.0",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// The rule for `kind`.
fn rule(kind: FindingKind) -> Value {
    json!({
        "id": kind.name(),
        "name": kind.name(),
        "shortDescription": { "text": kind.title() },
        "fullDescription": { "text": kind.description() },
        "help": { "text": kind.remediation() },
        "defaultConfiguration": { "level": level(kind.severity()) },
        "properties": {
            "tags": ["security", "post-quantum"],
            "precision": "high",
            "problem.severity": level(kind.severity()),
            "security-severity": security_severity(kind.severity()),
        },
    })
}

/// Where a result is.
#[derive(Debug, Clone)]
enum Place {
    /// A network endpoint or cluster component: a logical location.
    Logical {
        name: String,
        qualified: String,
        address: Option<String>,
    },
    /// A file: a physical location.
    File(String),
    /// A client→server edge of a cluster: the server (where the result
    /// is, at its address) and the client, both as logical locations.
    Edge {
        server: Box<Place>,
        client_name: String,
        client_qualified: String,
        client: Value,
    },
}

impl Place {
    fn key(&self) -> String {
        match self {
            Place::Logical { qualified, .. } => qualified.clone(),
            Place::File(path) => path.clone(),
            Place::Edge {
                server,
                client_qualified,
                ..
            } => format!("{client_qualified}→{}", server.key()),
        }
    }

    fn location(&self) -> Value {
        match self {
            Place::Logical {
                name,
                qualified,
                address,
            } => {
                let mut logical = json!({
                    "name": name,
                    "fullyQualifiedName": qualified,
                    "kind": "resource",
                });
                if let Some(address) = address {
                    logical["properties"] = json!({ "address": address });
                }
                json!({ "logicalLocations": [logical] })
            }
            Place::File(path) => json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(path) },
                    "region": { "startLine": 1 },
                }
            }),
            Place::Edge {
                server,
                client_name,
                client_qualified,
                client,
            } => {
                let mut location = server.location();
                if let Some(list) = location["logicalLocations"].as_array_mut() {
                    list.push(json!({
                        "name": client_name,
                        "fullyQualifiedName": client_qualified,
                        "kind": "resource",
                        "properties": client,
                    }));
                }
                location
            }
        }
    }
}

/// `path` as a URI reference: relative paths stay relative (code scanning
/// resolves them against the repository), `./` is dropped, absolute paths
/// become `file://` URIs; anything outside the unreserved set is
/// percent-encoded.
pub fn uri(path: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path);
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF renderer: keeps results until [`Renderer::finish`].
#[derive(Default)]
pub struct SarifRenderer {
    results: Vec<Value>,
    notifications: Vec<Value>,
    /// How often each fingerprint input was seen, to keep fingerprints unique.
    seen: HashMap<String, usize>,
    /// The `--fail-on`/`--policy` decision, kept in the run's property bag.
    gate: Option<crate::assess::gate::GateDecision>,
    /// Each result's subject and finding key, in result order (for `baselineState`).
    keys: Vec<(String, FindingKey)>,
    /// What changed since `--baseline`.
    baseline: Option<crate::assess::baseline::BaselineDiff>,
}

impl SarifRenderer {
    fn result(&mut self, subject: &str, finding: &Finding, message: &str, place: &Place) {
        self.keys
            .push((subject.to_string(), FindingKey::of(finding)));
        let kind = finding.id;
        let index = FindingKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or_default();
        let mut input = format!(
            "{}|{}|{}|{}",
            kind.name(),
            place.key(),
            finding.certificates.join(","),
            finding.profiles.join(",")
        );
        let n = self.seen.entry(input.clone()).or_default();
        *n += 1;
        if *n > 1 {
            input.push_str(&format!("|{n}"));
        }
        let mut result = json!({
            "ruleId": kind.name(),
            "ruleIndex": index,
            "level": level(finding.severity),
            "message": { "text": super::printable(message) },
            "locations": [place.location()],
            "partialFingerprints": { FINGERPRINT_KEY: sha256_hex(&input) },
            "properties": {
                "severity": finding.severity.name(),
                "remediation": finding.remediation,
            },
        });
        if !finding.profiles.is_empty() {
            result["properties"]["profiles"] = json!(finding.profiles);
        }
        if !finding.certificates.is_empty() {
            result["properties"]["certificates"] = json!(finding.certificates);
        }
        self.results.push(result);
    }

    fn notification(&mut self, text: String, place: &Place) {
        self.notifications.push(json!({
            "level": "error",
            "message": { "text": super::printable(&text) },
            "locations": [place.location()],
        }));
    }

    fn target(&mut self, report: &TargetReport, place: &Place) {
        for f in &report.assessed.findings {
            self.result(&report.target, f, &f.detail, place);
        }
        if let Some(error) = &report.error {
            self.notification(format!("{}: {error}", report.target), place);
        }
    }

    fn cluster(&mut self, r: &super::cluster::ClusterReport) {
        let cluster_name = r
            .cluster
            .context
            .clone()
            .unwrap_or_else(|| r.cluster.server.clone());
        let place_of = |c: &super::cluster::ComponentReport| {
            let name = match &c.component.namespace {
                Some(ns) => format!("{ns}/{}", c.component.name),
                None => c.component.name.clone(),
            };
            Place::Logical {
                name: c.component.name.clone(),
                qualified: format!("cluster/{}/{name}", c.component.category.name()),
                address: c.component.address.clone(),
            }
        };
        // The document's findings are the components' own (their detail
        // prefixed with the component's name) plus cluster-level ones.
        let mut rest: Vec<&Finding> = r.findings.iter().collect();
        for c in &r.components {
            let place = place_of(c);
            let subject = crate::assess::baseline::component_subject(
                c.component.category.name(),
                &c.component.name,
            );
            for f in c.result.iter().flat_map(|t| &t.assessed.findings) {
                let message = format!("{}: {}", c.component.name, f.detail);
                if let Some(i) = rest
                    .iter()
                    .position(|g| g.id == f.id && g.detail == message)
                {
                    rest.remove(i);
                }
                self.result(&subject, f, &message, &place);
            }
        }
        // Edge findings are at the edge: its server, and its client.
        for e in &r.edges {
            let server = r
                .components
                .iter()
                .find(|c| {
                    c.component.category == e.server.category
                        && c.component.name == e.server.name
                        && c.component.address == e.server.address
                })
                .map(place_of)
                .unwrap_or_else(|| Place::Logical {
                    name: e.server.name.clone(),
                    qualified: format!("cluster/{}/{}", e.server.category.name(), e.server.name),
                    address: e.server.address.clone(),
                });
            let mut client = json!({ "kind": e.client.kind.name() });
            if let Some(v) = &e.client.version {
                client["version"] = json!(v);
            }
            if let Some(p) = &e.client.profile {
                client["profile"] = json!(p);
            }
            let place = Place::Edge {
                server: Box::new(server),
                client_name: e.client.name.clone(),
                client_qualified: format!(
                    "cluster/client/{}/{}",
                    e.client.kind.name(),
                    e.client.name
                ),
                client,
            };
            for f in &e.findings {
                if let Some(i) = rest
                    .iter()
                    .position(|g| g.id == f.id && g.detail == f.detail)
                {
                    rest.remove(i);
                }
                self.result(
                    crate::assess::baseline::CLUSTER_SUBJECT,
                    f,
                    &f.detail,
                    &place,
                );
                if let Some(result) = self.results.last_mut() {
                    result["properties"]["edge"] = json!({
                        "client": e.client.name,
                        "client_kind": e.client.kind.name(),
                        "server": e.server.name,
                        "server_category": e.server.category.name(),
                        "server_address": e.server.address,
                        "negotiated_group": e.negotiated_group.map(|g| g.to_string()),
                        "standing": e.standing.name(),
                        "silent_downgrade": e.silent_downgrade,
                    });
                }
            }
        }
        // Cluster-level findings name their component first.
        for f in rest {
            let component = r
                .components
                .iter()
                .filter(|c| f.detail.starts_with(&format!("{} ", c.component.name)))
                .max_by_key(|c| c.component.name.len());
            let place = match component {
                Some(c) => place_of(c),
                None => Place::Logical {
                    name: cluster_name.clone(),
                    qualified: format!("cluster/{cluster_name}"),
                    address: Some(r.cluster.server.clone()),
                },
            };
            self.result(
                crate::assess::baseline::CLUSTER_SUBJECT,
                f,
                &f.detail,
                &place,
            );
        }
    }

    fn document(&mut self) -> Value {
        let mut results = std::mem::take(&mut self.results);
        let keys = std::mem::take(&mut self.keys);
        if let Some(diff) = self.baseline.take() {
            for (result, (subject, key)) in results.iter_mut().zip(&keys) {
                let new = diff.new_findings.iter().any(|c| {
                    c.subject == *subject
                        && c.id == key.id
                        && c.certificates == key.certificates
                        && c.profiles == key.profiles
                });
                result["baselineState"] = json!(if new { "new" } else { "unchanged" });
            }
            for f in &diff.fixed_findings {
                results.push(absent(f));
            }
        }
        let notifications = std::mem::take(&mut self.notifications);
        self.seen.clear();
        let rules: Vec<Value> = FindingKind::ALL.iter().map(|k| rule(*k)).collect();
        let mut driver = json!({
            "name": "pqready",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        });
        if !INFORMATION_URI.is_empty() {
            driver["informationUri"] = json!(INFORMATION_URI);
        }
        let mut document = json!({
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": driver },
                "invocations": [{
                    "executionSuccessful": notifications.is_empty(),
                    "toolExecutionNotifications": notifications,
                }],
                "results": results,
            }],
        });
        if let Some(gate) = self.gate.take() {
            document["runs"][0]["properties"] = json!({ "gate": gate });
        }
        document
    }
}

/// A finding of the baseline that is gone: a result with `baselineState`
/// `absent` at its subject.
fn absent(f: &crate::assess::baseline::FindingChange) -> Value {
    let kind = FindingKind::ALL.iter().find(|k| k.name() == f.id);
    let mut result = json!({
        "ruleId": f.id,
        "level": kind.map(|k| level(k.severity())).unwrap_or("note"),
        "message": { "text": super::printable(&f.detail) },
        "baselineState": "absent",
        "locations": [{ "logicalLocations": [{
            "name": f.subject,
            "fullyQualifiedName": f.subject,
            "kind": "resource",
        }] }],
    });
    if let Some(index) = FindingKind::ALL.iter().position(|k| k.name() == f.id) {
        result["ruleIndex"] = json!(index);
    }
    result
}

fn sha256_hex(text: &str) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Renderer for SarifRenderer {
    fn part(&mut self, part: Part<'_>) -> String {
        match part {
            Part::Target(report) => {
                let place = Place::Logical {
                    name: report.target.clone(),
                    qualified: format!("endpoint/{}", report.target),
                    address: report.observed.address.map(|a| a.to_string()),
                };
                self.target(report, &place);
            }
            Part::Cluster(report) => self.cluster(report),
            Part::CertFile(file) => {
                let place = Place::File(file.path.clone());
                for f in &file.findings {
                    self.result(&file.path, f, &f.detail, &place);
                }
                if let Some(error) = &file.error {
                    self.notification(format!("{}: {error}", file.path), &place);
                }
            }
            Part::Binary(binary) => {
                let place = Place::File(binary.path.clone());
                for f in &binary.findings {
                    self.result(&binary.path, f, &f.detail, &place);
                }
            }
            Part::BinaryTotals { errors, .. } => {
                for e in errors {
                    self.notification(
                        format!("{}: {}", e.path, e.error),
                        &Place::File(e.path.clone()),
                    );
                }
            }
            Part::ObserveSummary(summary) => {
                for edge in &summary.assessed.edges {
                    let place = Place::Logical {
                        name: edge.server_label(),
                        qualified: format!("{} → {}", edge.client, edge.server_label()),
                        address: Some(edge.server.clone()),
                    };
                    // Who the ends are, as the table and JSON name them.
                    let mut observed = serde_json::Map::new();
                    let mut put = |k: &str, v: Option<String>| {
                        if let Some(v) = v {
                            observed.insert(k.into(), json!(v));
                        }
                    };
                    put("client_process", edge.client_process.clone());
                    put("client_pod", edge.client_pod.clone());
                    put("client_container", edge.client_container.clone());
                    put("server_workload", edge.server_workload.clone());
                    if let Some(p) = &edge.predictions {
                        observed.insert("predictions".into(), json!(p));
                    }
                    let message = |detail: &str| match &edge.server_workload {
                        Some(w) => format!("{detail} (server: {w})"),
                        None => detail.to_string(),
                    };
                    for f in &edge.findings {
                        self.result(
                            &format!("{} → {}", edge.client, edge.server_label()),
                            f,
                            &message(&f.detail),
                            &place,
                        );
                        if !observed.is_empty() {
                            if let Some(r) = self.results.last_mut() {
                                r["properties"]["observed"] = Value::Object(observed.clone());
                            }
                        }
                    }
                }
            }
            // Each connection's findings are counted at its edge.
            Part::ObservedConnection(_) => {}
            // Inspected clients carry verdicts, not findings; profiles and
            // the matrix are catalogs (the command refuses `-o sarif`).
            Part::InspectRecord(_)
            | Part::InspectSummary(_)
            | Part::CertSummary(_)
            | Part::Profiles(_)
            | Part::Matrix { .. } => {}
        }
        String::new()
    }

    fn baseline(&mut self, diff: &crate::assess::baseline::BaselineDiff) -> String {
        self.baseline = Some(diff.clone());
        String::new()
    }

    fn gate(&mut self, decision: &crate::assess::gate::GateDecision) -> String {
        self.gate = Some(decision.clone());
        String::new()
    }

    fn finish(&mut self) -> String {
        super::json::line(&self.document())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_uris() {
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
        assert_eq!(uri("./certs/a b.pem"), "certs/a%20b.pem");
        assert_eq!(
            uri("/etc/kubernetes/pki/ca.crt"),
            "file:///etc/kubernetes/pki/ca.crt"
        );
    }

    #[test]
    fn duplicate_findings_get_distinct_stable_fingerprints() {
        let finding = Finding::new(
            FindingKind::WeakKey,
            "a 1024-bit RSA key".into(),
            FindingKind::WeakKey.remediation().into(),
            Vec::new(),
        );
        let place = Place::File("k.pem".into());
        let mut r = SarifRenderer::default();
        r.result("a", &finding, &finding.detail, &place);
        r.result("a", &finding, &finding.detail, &place);
        let doc = r.document();
        let fp =
            |i: usize| doc["runs"][0]["results"][i]["partialFingerprints"][FINGERPRINT_KEY].clone();
        assert_ne!(fp(0), fp(1));
        let mut again = SarifRenderer::default();
        again.result("a", &finding, &finding.detail, &place);
        assert_eq!(
            again.document()["runs"][0]["results"][0]["partialFingerprints"][FINGERPRINT_KEY],
            fp(0)
        );
        // The rule is found by its id: its place in the list moves as
        // findings are added.
        let index = doc["runs"][0]["results"][0]["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            doc["runs"][0]["tool"]["driver"]["rules"][index]["id"],
            "weak-key"
        );
    }
}
