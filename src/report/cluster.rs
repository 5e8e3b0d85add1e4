//! The `pqready cluster` document: the cluster, each component with its
//! probe report and what its build should offer, the local kubectl, the
//! findings and a summary; and its table, grouped by component.

use super::style::{Style, Tone};
use super::TargetReport;
use crate::assess::cluster::Expected;
use crate::assess::edges::{Action, Edge};
use crate::assess::Finding;
use crate::discover::cluster::{Category, ClusterInfo, Component, Hidden};
use crate::vocab::{DocumentKind, HiddenCause, Standing};
use crate::wire::NamedGroup;
use serde::Serialize;
use std::fmt::Write;

/// One component as reported.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ComponentReport {
    /// Where it was found.
    #[serde(flatten)]
    pub component: Component,
    /// False when its address cannot be reached from where pqready ran
    /// (a ClusterIP or pod IP from outside the cluster): not a failure.
    pub reachable: bool,
    /// False when the address answered but does not speak TLS (a plain
    /// HTTP or gRPC Service port): listed, not an error; null when not probed.
    pub speaks_tls: Option<bool>,
    /// What its build should offer, when known (the API server).
    pub expected: Option<Expected>,
    /// The probe of its address (the fallback that answered, when the
    /// first one did not); null when it has no address.
    pub result: Option<TargetReport>,
}

impl ComponentReport {
    /// Where it stands, as `assess` derives it from its reachability, whether
    /// it speaks TLS and its probe.
    pub fn standing(&self) -> Standing {
        crate::assess::standing::component(
            self.reachable,
            self.speaks_tls,
            self.result.as_ref().map(TargetReport::standing),
        )
    }
}

/// A kubectl on this machine, replayed against the API server.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct LocalClient {
    /// The program (`kubectl`).
    pub name: String,
    /// Its path.
    pub path: String,
    /// `clientVersion.gitVersion`.
    pub git_version: String,
    /// `clientVersion.goVersion`.
    pub go_version: String,
    /// The client profile its build matches (`pqready profiles`).
    pub profile: String,
    /// The `DefaultGODEBUG` in its build info (as `pqready binaries` reads it);
    /// null when the build info was not readable or belongs to a dispatcher.
    pub build_godebug: Option<String>,
    /// The group it gets from this API server; null when its handshake fails.
    pub negotiated_group: Option<NamedGroup>,
    /// True when that group is post-quantum (the obsolete draft included).
    pub pq: bool,
    /// What to do, when it does not get X25519MLKEM768-class key exchange.
    pub advice: Option<String>,
}

/// Counts over the components.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ClusterSummary {
    /// Components found.
    pub components: usize,
    /// With a standard post-quantum group.
    pub pq: usize,
    /// Only the obsolete Kyber draft.
    pub draft_only: usize,
    /// Classical only.
    pub classical: usize,
    /// Not reachable from where pqready ran.
    pub unreachable: usize,
    /// Reachable, but not speaking TLS.
    pub not_tls: usize,
    /// Reachable but failed to probe, or without an address.
    pub error: usize,
    /// Probed, but the deciding checks did not run.
    pub unknown: usize,
    /// The client→server edges, counted by standing.
    #[serde(default)]
    pub edges: EdgeSummary,
    /// Sources (object kinds) the audit could not read: denied, or failing
    /// after its retries (`hidden`); an API the cluster does not serve is
    /// not counted.
    #[serde(default)]
    pub sources_unread: usize,
    /// True when the audit is partial (exit code 2): a source failed after
    /// its retries, or a component's probe failed. A denied source is a
    /// finding (`incomplete-audit`), not a failure of the run.
    #[serde(default)]
    pub partial: bool,
}

/// Counts over the edges, by standing.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct EdgeSummary {
    /// Edges listed.
    pub total: usize,
    /// Negotiating a standard post-quantum group.
    pub pq: usize,
    /// Negotiating the obsolete Kyber draft.
    pub draft_only: usize,
    /// Negotiating a classical group.
    pub classical: usize,
    /// Of the classical ones, silent downgrades (both sides PQ-capable).
    pub silent_downgrade: usize,
    /// Server not reachable from where pqready ran.
    pub unreachable: usize,
    /// Server answered without TLS.
    pub no_tls: usize,
    /// The client's handshake failed, or the server could not be probed.
    pub error: usize,
    /// Not predicted: a client of unknown build, or a server not asked.
    pub unknown: usize,
}

impl EdgeSummary {
    /// Counts `edges`.
    pub fn of(edges: &[Edge]) -> Self {
        let mut out = EdgeSummary {
            total: edges.len(),
            ..EdgeSummary::default()
        };
        for e in edges {
            let count = match e.standing {
                Standing::Pq => &mut out.pq,
                Standing::DraftOnly => &mut out.draft_only,
                Standing::Classical => &mut out.classical,
                Standing::NoTls => &mut out.no_tls,
                Standing::Unreachable => &mut out.unreachable,
                Standing::Error => &mut out.error,
                Standing::Unknown => &mut out.unknown,
            };
            *count += 1;
            out.silent_downgrade += usize::from(e.silent_downgrade);
        }
        out
    }

    /// `12 edges: 7 pq, 0 draft-only, 4 classical (3 silent downgrades), …`.
    pub fn sentence(&self) -> String {
        let mut text = format!(
            "{} edges: {} {}, {} {}, {} {} ({} silent downgrades)",
            self.total,
            self.pq,
            Standing::Pq,
            self.draft_only,
            Standing::DraftOnly,
            self.classical,
            Standing::Classical,
            self.silent_downgrade,
        );
        for (n, standing) in [
            (self.unreachable, Standing::Unreachable),
            (self.no_tls, Standing::NoTls),
            (self.error, Standing::Error),
            (self.unknown, Standing::Unknown),
        ] {
            if n > 0 {
                let _ = write!(text, ", {n} {standing}");
            }
        }
        text
    }
}

impl ClusterSummary {
    /// The counts in one sentence, each standing by its word: `10
    /// components: 5 pq, 1 draft-only, 3 classical, 1 unreachable from here,
    /// 0 errors`, then `no-tls` and `unknown` when there are any.
    pub fn sentence(&self) -> String {
        let mut text = format!(
            "{} components: {} {}, {} {}, {} {}, {} {} from here, {} {}s",
            self.components,
            self.pq,
            Standing::Pq,
            self.draft_only,
            Standing::DraftOnly,
            self.classical,
            Standing::Classical,
            self.unreachable,
            Standing::Unreachable,
            self.error,
            Standing::Error,
        );
        for (n, standing) in [
            (self.not_tls, Standing::NoTls),
            (self.unknown, Standing::Unknown),
        ] {
            if n > 0 {
                let _ = write!(text, ", {n} {standing}");
            }
        }
        if self.sources_unread > 0 {
            let _ = write!(
                text,
                "; {} {} not read",
                self.sources_unread,
                if self.sources_unread == 1 {
                    "source"
                } else {
                    "sources"
                }
            );
        }
        if self.partial {
            text.push_str(" (partial audit)");
        }
        text
    }
}

/// The whole `pqready cluster` document.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ClusterReport {
    /// Always `pqready/v1`.
    #[schemars(with = "String", extend("const" = crate::report::SCHEMA))]
    pub schema: crate::report::Schema,
    /// Always `cluster`.
    #[schemars(with = "String", extend("const" = "cluster"))]
    pub kind: DocumentKind,
    /// The cluster.
    pub cluster: ClusterInfo,
    /// Every component, API server first.
    pub components: Vec<ComponentReport>,
    /// kubectl on this machine against this API server.
    pub local_clients: Vec<LocalClient>,
    /// Every finding, most severe first, each naming its component (or
    /// edge) in `detail`.
    pub findings: Vec<Finding>,
    /// Every client→server edge and what it negotiates (`--edges=false`: none).
    #[serde(default)]
    pub edges: Vec<Edge>,
    /// The upgrades that fix the classical and silently downgraded edges,
    /// most edges fixed first.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Object kinds that could not be read.
    pub hidden: Vec<Hidden>,
    /// Counts.
    pub summary: ClusterSummary,
}

impl ClusterReport {
    /// The document, with findings gathered and counted.
    pub fn new(
        cluster: ClusterInfo,
        components: Vec<ComponentReport>,
        local_clients: Vec<LocalClient>,
        mut findings: Vec<Finding>,
        hidden: Vec<Hidden>,
        edges: Vec<Edge>,
    ) -> Self {
        let unread =
            |cause: Option<HiddenCause>| hidden.iter().filter(|h| h.cause == cause).count();
        let failed_sources = unread(Some(HiddenCause::Failed));
        let failed_probes = components
            .iter()
            .any(|c| c.result.is_some() && c.standing() == Standing::Error);
        let mut summary = ClusterSummary {
            components: components.len(),
            edges: EdgeSummary::of(&edges),
            // A document saved before causes were recorded: counted as
            // unread, but not known to have failed.
            sources_unread: failed_sources + unread(Some(HiddenCause::Denied)) + unread(None),
            partial: failed_sources > 0 || failed_probes,
            ..ClusterSummary::default()
        };
        findings.extend(edges.iter().flat_map(|e| e.findings.iter().cloned()));
        let actions = crate::assess::edges::actions(&edges);
        for c in &components {
            let count = match c.standing() {
                Standing::Pq => &mut summary.pq,
                Standing::DraftOnly => &mut summary.draft_only,
                Standing::Classical => &mut summary.classical,
                Standing::NoTls => &mut summary.not_tls,
                Standing::Unreachable => &mut summary.unreachable,
                Standing::Error => &mut summary.error,
                Standing::Unknown => &mut summary.unknown,
            };
            *count += 1;
            findings.extend(copied_findings(c));
        }
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        ClusterReport {
            schema: crate::report::Schema,
            kind: DocumentKind::Cluster,
            cluster,
            components,
            local_clients,
            findings,
            edges,
            actions,
            hidden,
            summary,
        }
    }

    /// The document's own findings: without the copies [`ClusterReport::new`]
    /// makes of each component's probe findings and each edge's.
    fn own_findings(&self) -> Vec<Finding> {
        let mut own = self.findings.clone();
        let copies = self
            .components
            .iter()
            .flat_map(copied_findings)
            .chain(self.edges.iter().flat_map(|e| e.findings.iter().cloned()));
        for copied in copies {
            if let Some(at) = own.iter().position(|f| *f == copied) {
                own.remove(at);
            }
        }
        own
    }
}

/// Which component a report is, for joining shards: two documents listing
/// the same key are not shards of one run.
fn component_key(c: &ComponentReport) -> (Category, &str, Option<&str>, &str, Option<&str>) {
    (
        c.component.category,
        &c.component.name,
        c.component.namespace.as_deref(),
        &c.component.source,
        c.component.address.as_deref(),
    )
}

/// The findings of a component's probe that [`ClusterReport::new`] copies
/// into the document's list (its name before the detail); joining shards
/// takes them out again to find each document's own.
fn copied_findings(c: &ComponentReport) -> Vec<Finding> {
    if matches!(c.standing(), Standing::Unreachable | Standing::NoTls) {
        return Vec::new();
    }
    c.result
        .iter()
        .flat_map(|r| &r.assessed.findings)
        .map(|f| {
            let mut f = f.clone();
            f.detail = format!("{}: {}", c.component.name, f.detail);
            f
        })
        .collect()
}

/// Why cluster documents cannot be joined into one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Nothing to join.
    #[error("no cluster document to join")]
    Empty,
    /// Two API server URLs.
    #[error("cannot join cluster documents of different clusters: {0} and {1}")]
    DifferentClusters(String, String),
    /// A component listed by two documents.
    #[error("{0} {1} is in more than one cluster document: they are not shards of one run (pqready cluster --shard I/N)")]
    SameComponent(Category, String),
}

impl ClusterReport {
    /// The document with each component's probe findings changed by
    /// `change` (the probe report, its category and name), and the
    /// document's list and summary rebuilt by [`ClusterReport::new`], as a
    /// run that had found them would have written it.
    pub fn with_component_findings(
        self,
        mut change: impl FnMut(&mut TargetReport, Category, &str),
    ) -> ClusterReport {
        let own = self.own_findings();
        let mut components = self.components;
        for c in &mut components {
            if let Some(result) = c.result.as_mut() {
                change(result, c.component.category, &c.component.name);
            }
        }
        ClusterReport::new(
            self.cluster,
            components,
            self.local_clients,
            own,
            self.hidden,
            self.edges,
        )
    }

    /// Joins the documents of `pqready cluster --shard I/N` runs of one
    /// cluster into the document one run would have printed: the components
    /// in discovery's category order (then by name), the findings and the
    /// summary rebuilt by [`ClusterReport::new`], the unreadable kinds once,
    /// and the kubectl replay from the shard that probed the API server.
    /// Documents of different clusters (another API server URL), or two
    /// documents listing the same component, are refused.
    pub fn merge(docs: Vec<ClusterReport>) -> Result<ClusterReport, MergeError> {
        let Some(first) = docs.first() else {
            return Err(MergeError::Empty);
        };
        let server = first.cluster.server.clone();
        if let Some(other) = docs.iter().find(|d| d.cluster.server != server) {
            return Err(MergeError::DifferentClusters(
                server,
                other.cluster.server.clone(),
            ));
        }
        if docs.len() == 1 {
            return Ok(docs.into_iter().next().expect("one document"));
        }
        let mut seen = std::collections::BTreeMap::new();
        for (i, doc) in docs.iter().enumerate() {
            for c in &doc.components {
                if let Some(j) = seen.insert(component_key(c), i) {
                    if j != i {
                        return Err(MergeError::SameComponent(
                            c.component.category,
                            c.component.name.clone(),
                        ));
                    }
                }
            }
        }
        let mut cluster = first.cluster.clone();
        // The kubectl replay is only real in the shard that probed the API server.
        let apiserver_doc = docs
            .iter()
            .position(|d| {
                d.components
                    .iter()
                    .any(|c| c.component.category == Category::Apiserver && c.result.is_some())
            })
            .unwrap_or(0);
        let local_clients = docs[apiserver_doc].local_clients.clone();
        let mut components = Vec::new();
        let mut own = Vec::new();
        let mut hidden: Vec<Hidden> = Vec::new();
        let mut edges = Vec::new();
        for doc in docs {
            // What is left after the copied probe and edge findings is the
            // document's own (per-component) findings.
            // Every shard lists the same sources, so an unread one is
            // judged once, not once per shard.
            for f in doc.own_findings() {
                if f.id != crate::vocab::FindingKind::IncompleteAudit || !own.contains(&f) {
                    own.push(f);
                }
            }
            cluster.git_version = cluster.git_version.or(doc.cluster.git_version);
            cluster.go_version = cluster.go_version.or(doc.cluster.go_version);
            cluster.context = cluster.context.or(doc.cluster.context);
            // Each shard lists the edges of the servers it probed.
            edges.extend(doc.edges);
            for h in doc.hidden {
                if !hidden
                    .iter()
                    .any(|k| k.resource == h.resource && k.reason == h.reason)
                {
                    hidden.push(h);
                }
            }
            components.extend(doc.components);
        }
        components.sort_by(|a, b| component_key(a).cmp(&component_key(b)));
        Ok(ClusterReport::new(
            cluster,
            components,
            local_clients,
            own,
            hidden,
            edges,
        ))
    }
}

/// The table: the cluster, components grouped by category, kubectl, what
/// could not be read, the summary and the top findings with their fix.
pub fn table(r: &ClusterReport, style: Style) -> String {
    let mut out = String::new();
    let c = &r.cluster;
    let _ = writeln!(
        out,
        "{} {} ({}, {}){}",
        style.paint(Tone::Heading, "cluster"),
        super::printable(&c.server),
        c.git_version.as_deref().unwrap_or("?"),
        c.go_version.as_deref().unwrap_or("?"),
        c.context
            .as_deref()
            .map(|n| format!(" context {}", super::printable(n)))
            .unwrap_or_default()
    );
    let rows: Vec<[String; 5]> = r
        .components
        .iter()
        .map(|c| {
            let result = c.result.as_ref();
            let pq: Vec<String> = result
                .map(|r| {
                    r.observed
                        .groups
                        .supported
                        .iter()
                        .filter(|g| g.is_post_quantum())
                        .map(|g| g.to_string())
                        .collect()
                })
                .unwrap_or_default();
            [
                format!(
                    "{} {}",
                    c.component.category,
                    super::printable(&c.component.name)
                ),
                c.component.address.clone().unwrap_or_else(|| "-".into()),
                c.standing().to_string(),
                if pq.is_empty() {
                    "-".into()
                } else {
                    pq.join(",")
                },
                result
                    .and_then(|r| r.observed.handshake.negotiated_group)
                    .map(|g| g.to_string())
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = [
        "COMPONENT",
        "ADDRESS",
        "STATUS",
        "PQ GROUPS",
        "PQ CLIENT GETS",
    ];
    let (head, lines) = super::style::columns(header, &rows);
    let _ = writeln!(out, "\n{}", style.paint(Tone::Heading, &head));
    let mut last: Option<Category> = None;
    for (text, c) in lines.iter().zip(&r.components) {
        if last.is_some_and(|l| l != c.component.category) {
            let _ = writeln!(out);
        }
        last = Some(c.component.category);
        let _ = writeln!(out, "{}", style.standing(c.standing(), text));
        if let Some(e) = &c.expected {
            let _ = writeln!(
                out,
                "    expected {} from its build ({}): {}",
                e.verdict,
                e.model,
                groups(&e.groups)
            );
        }
        for (k, v) in &c.component.flags {
            let _ = writeln!(out, "    --{k}={}", super::printable(v));
        }
        let standing = c.standing();
        if standing == Standing::Unreachable {
            let _ = writeln!(
                out,
                "    unreachable from here ({}): run `pqready cluster --in-cluster` in a pod (deploy/job.yaml)",
                c.result.as_ref().and_then(|r| r.error.as_deref()).unwrap_or("no route")
            );
        } else if standing == Standing::NoTls {
            let _ = writeln!(out, "    does not speak TLS on this port");
        } else if let Some(err) = c.result.as_ref().and_then(|r| r.error.as_deref()) {
            let _ = writeln!(out, "    error: {}", super::printable(err));
        }
        if let (Some(r), Some(first)) = (&c.result, &c.component.address) {
            if &r.target != first {
                let _ = writeln!(
                    out,
                    "    {first} did not answer; probed its endpoint {}",
                    r.target
                );
            }
        }
        if let Some(r) = c.result.as_ref().filter(|r| r.error.is_none()) {
            certificate_lines(&mut out, r);
        }
        if let Some(note) = &c.component.note {
            let _ = writeln!(out, "    note: {}", super::printable(note));
        }
    }
    for k in &r.local_clients {
        let _ = match &k.advice {
            Some(advice) => writeln!(out, "\nlocal {} ({}): {advice}", k.name, k.path),
            None => writeln!(
                out,
                "\nlocal {} {} ({}) gets {} from this API server",
                k.name,
                k.git_version,
                k.go_version,
                k.negotiated_group
                    .map(|g| g.to_string())
                    .unwrap_or_else(|| "a failed handshake".into()),
            ),
        };
    }
    edge_lines(&mut out, r, style);
    for h in &r.hidden {
        let _ = writeln!(out, "not read: {} ({})", h.resource, h.reason);
    }
    let _ = writeln!(out, "\n{}", r.summary.sentence());
    if r.summary.edges.total > 0 {
        let _ = writeln!(out, "{}", r.summary.edges.sentence());
    }
    // Findings of one kind and severity are grouped: a cluster has many
    // certificates, and one line per kind keeps the other kinds in view.
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for f in &r.findings {
        match groups
            .iter_mut()
            .find(|g| (g[0].id, g[0].severity) == (f.id, f.severity))
        {
            Some(group) => group.push(f),
            None => groups.push(vec![f]),
        }
    }
    const SHOWN_GROUPS: usize = 10;
    const DETAILS_PER_GROUP: usize = 3;
    for group in groups.iter().take(SHOWN_GROUPS) {
        let first = group[0];
        let sev = first.severity.name().to_uppercase();
        let times = match group.len() {
            1 => String::new(),
            n => format!(" ×{n}"),
        };
        let _ = writeln!(out, "{sev} {}{times}: {}", first.id, first.title);
        for f in group.iter().take(DETAILS_PER_GROUP) {
            let _ = writeln!(out, "    {}", super::printable(&f.detail));
            if let Some(note) = super::exception_note(f) {
                let _ = writeln!(out, "      {note}");
            }
        }
        if group.len() > DETAILS_PER_GROUP {
            let _ = writeln!(out, "    … and {} more", group.len() - DETAILS_PER_GROUP);
        }
        let _ = writeln!(out, "    fix: {}", first.remediation);
    }
    if groups.len() > SHOWN_GROUPS {
        let rest: usize = groups[SHOWN_GROUPS..].iter().map(Vec::len).sum();
        let _ = writeln!(
            out,
            "… and {rest} more findings of {} other kinds (-o json has them all)",
            groups.len() - SHOWN_GROUPS
        );
    }
    out
}

/// Edges alike but for the names of their ends: one row of the EDGES
/// table, one line of the HTML graph (a cluster has many kubelets, and a
/// thousand rows that say the same hide the one that differs).
pub struct EdgeRow<'a> {
    /// The edges, in document order: one client kind, version and profile,
    /// one server category, group, standing, first finding, HelloRetryRequest
    /// and silent downgrade.
    pub edges: Vec<&'a Edge>,
    /// Their clients' names, each once, in document order.
    pub clients: Vec<&'a str>,
    /// Their servers' names, each once, in document order.
    pub servers: Vec<&'a str>,
}

impl<'a> EdgeRow<'a> {
    /// The first edge: what every edge of the row shares.
    pub fn first(&self) -> &'a Edge {
        self.edges[0]
    }

    /// `kubelet ×3`, or `kubelet node-1` for one (as given: the caller
    /// makes it printable or escapes it).
    pub fn client_label(&self) -> String {
        names(self.first().client.kind.name(), &self.clients)
    }

    /// `kube-apiserver`, `kubelet ×3`.
    pub fn server_label(&self) -> String {
        names(self.first().server.category.name(), &self.servers)
    }

    /// `kubelet ×3 → kube-apiserver`.
    pub fn label(&self) -> String {
        format!("{} → {}", self.client_label(), self.server_label())
    }

    /// What the clients run: `v1.32.4 (go1.23)`, `go1.24`, `unknown build`.
    pub fn build(&self) -> String {
        let c = &self.first().client;
        match (&c.version, &c.profile) {
            (Some(v), Some(p)) => format!("{v} ({p})"),
            (None, Some(p)) => p.clone(),
            (Some(v), None) => format!("{v} (unknown build)"),
            (None, None) => "unknown build".into(),
        }
    }

    /// The group negotiated, `(HRR)` after it when it took another round
    /// trip; `-` when there is none.
    pub fn group(&self) -> String {
        let e = self.first();
        e.negotiated_group
            .map(|g| format!("{g}{}", if e.hello_retry { " (HRR)" } else { "" }))
            .unwrap_or_else(|| "-".into())
    }

    /// The most severe finding of its edges, when they have one.
    pub fn finding(&self) -> Option<&'a Finding> {
        self.edges
            .iter()
            .filter_map(|e| e.findings.first())
            .max_by_key(|f| f.severity)
    }
}

/// `kind name` for one name, `kind ×N` for more.
fn names(kind: &str, names: &[&str]) -> String {
    match names {
        [one] => crate::assess::edges::named(kind, one),
        many => format!("{kind} ×{}", many.len()),
    }
}

/// `edges` as rows of edges alike but for their names, in the order each
/// row's first edge comes.
pub fn edge_rows<'a>(edges: &'a [Edge]) -> Vec<EdgeRow<'a>> {
    type Key<'a> = (
        crate::vocab::ClientKind,
        Option<&'a str>,
        Option<&'a str>,
        Category,
        Option<NamedGroup>,
        Standing,
        Option<crate::vocab::FindingKind>,
        bool,
        bool,
    );
    fn key(e: &Edge) -> Key<'_> {
        (
            e.client.kind,
            e.client.version.as_deref(),
            e.client.profile.as_deref(),
            e.server.category,
            e.negotiated_group,
            e.standing,
            e.findings.first().map(|f| f.id),
            e.hello_retry,
            e.silent_downgrade,
        )
    }
    let mut rows: Vec<(Key<'a>, EdgeRow<'a>)> = Vec::new();
    for e in edges {
        let k = key(e);
        match rows.iter_mut().find(|(at, _)| *at == k) {
            Some((_, row)) => {
                if !row.clients.contains(&e.client.name.as_str()) {
                    row.clients.push(&e.client.name);
                }
                if !row.servers.contains(&e.server.name.as_str()) {
                    row.servers.push(&e.server.name);
                }
                row.edges.push(e);
            }
            None => rows.push((
                k,
                EdgeRow {
                    edges: vec![e],
                    clients: vec![&e.client.name],
                    servers: vec![&e.server.name],
                },
            )),
        }
    }
    rows.into_iter().map(|(_, row)| row).collect()
}

/// The EDGES section (one row per [`EdgeRow`]) and the actions, most edges
/// fixed first.
fn edge_lines(out: &mut String, r: &ClusterReport, style: Style) {
    if r.edges.is_empty() {
        return;
    }
    let rows = edge_rows(&r.edges);
    let table: Vec<[String; 5]> = rows
        .iter()
        .map(|row| {
            [
                super::printable(&row.label()).into_owned(),
                super::printable(&row.build()).into_owned(),
                row.group(),
                row.first().standing.to_string(),
                row.first()
                    .findings
                    .first()
                    .map(|f| f.id.to_string())
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = [
        "EDGE (CLIENT → SERVER)",
        "CLIENT BUILD",
        "GROUP",
        "STATUS",
        "FINDING",
    ];
    let (head, lines) = super::style::columns(header, &table);
    let _ = writeln!(out, "\n{}", style.paint(Tone::Heading, head.trim_end()));
    for (text, row) in lines.iter().zip(&rows) {
        let _ = writeln!(
            out,
            "{}",
            style.standing(row.first().standing, text.trim_end())
        );
        let (clients, servers) = (&row.clients, &row.servers);
        if clients.len() > 1 || servers.len() > 1 {
            let names = if clients.len() > 1 { clients } else { servers };
            let shown: Vec<String> = names
                .iter()
                .take(5)
                .map(|n| super::printable(n).into_owned())
                .collect();
            let more = names.len().saturating_sub(5);
            let _ = writeln!(
                out,
                "    {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(", … {more} more")
                } else {
                    String::new()
                }
            );
        }
    }
    if !r.actions.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint(Tone::Heading, "UPGRADE FIRST"));
        for (i, a) in r.actions.iter().enumerate() {
            let _ = writeln!(out, "{}. {}", i + 1, super::printable(&a.action));
        }
    }
}

/// Each leaf certificate the component served, with its key and first
/// deadline, and whether it authenticates with ML-DSA.
fn certificate_lines(out: &mut String, r: &TargetReport) {
    for leaf in r
        .assessed
        .certificates
        .iter()
        .filter(|c| c.facts.role.as_deref() == Some("leaf"))
    {
        let f = &leaf.facts;
        let deadline = leaf
            .deadlines
            .first()
            .map(|d| format!("; {}: {}", d.table, super::certs::deadline_text(d)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    certificate {}: {}, signed with {}, not after {}{}{deadline}",
            super::printable(&f.short_name()),
            f.key.describe(),
            f.signature_algorithm,
            f.not_after.get(..10).unwrap_or(&f.not_after),
            if leaf.quantum_safe { ", PQ" } else { "" },
        );
    }
    if let Some(auth) = &r.observed.authentication {
        let _ = writeln!(out, "    auth: {}", super::certs::auth_text(auth));
    }
}

fn groups(groups: &[NamedGroup]) -> String {
    groups
        .iter()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(resource: &str, cause: Option<HiddenCause>) -> Hidden {
        Hidden {
            resource: resource.into(),
            reason: "why".into(),
            cause,
        }
    }

    fn report(hidden: Vec<Hidden>) -> ClusterReport {
        ClusterReport::new(
            ClusterInfo::default(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            hidden,
            Vec::new(),
        )
    }

    #[test]
    fn a_failed_source_makes_the_audit_partial_a_denied_one_is_only_counted() {
        let denied = report(vec![
            hidden("nodes", Some(HiddenCause::Denied)),
            hidden(
                "gateways.gateway.networking.k8s.io",
                Some(HiddenCause::NotServed),
            ),
        ]);
        assert_eq!(denied.summary.sources_unread, 1);
        assert!(!denied.summary.partial);
        assert!(denied
            .summary
            .sentence()
            .ends_with("0 errors; 1 source not read"));
        let failed = report(vec![
            hidden("nodes", Some(HiddenCause::Denied)),
            hidden("services", Some(HiddenCause::Failed)),
            // Saved before causes were recorded: unread, not known to have failed.
            hidden("ingresses.networking.k8s.io", None),
        ]);
        assert_eq!(failed.summary.sources_unread, 3);
        assert!(failed.summary.partial);
        assert!(failed
            .summary
            .sentence()
            .ends_with("; 3 sources not read (partial audit)"));
        assert!(!report(Vec::new()).summary.sentence().contains("not read"));
    }
}
