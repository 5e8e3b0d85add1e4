//! The project's vocabulary: every label that reaches JSON, a table column, a
//! future SARIF rule or a Prometheus label is a variant here, never a string
//! typed in two places.
//!
//! Owns: check ids, error kinds, the server's selection rule, tolerance
//! variants and outcomes, verdicts, standings (with their one ranking),
//! severities and finding kinds (with their id, title, description and
//! standing remediation; how severe each kind is, is a judgement and lives
//! in `assess::severity`). Serde spells each variant exactly as the JSON contract
//! (docs/json.md) does.
//!
//! Must not: hold data about a particular target, decide anything, or import
//! any other module of the crate: every layer may import it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares a closed, serde-spelled label set with a `name()` that returns
/// the same spelling for tables and errors, and `ALL` in declaration order.
macro_rules! labels {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable spelling (as in JSON).
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value spelled `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name() == text)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.name() == *other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

labels! {
    /// Which directions of a passively observed connection the capture
    /// holds bytes of (`pqready observe`).
    pub enum ObservedSides {
        /// Both the client's and the server's.
        Both = "both",
        /// Only the client's (the server's packets were not captured).
        ClientOnly = "client-only",
        /// Only the server's (the client's packets were not captured).
        ServerOnly = "server-only",
    }
}

labels! {
    /// What an observed connection ran over (`pqready observe`).
    pub enum Transport {
        /// TLS over TCP: the hellos in TLS records.
        Tcp = "tcp",
        /// QUIC over UDP: the hellos in CRYPTO frames of Initial packets.
        Quic = "quic",
    }
}

impl Default for Transport {
    /// Records written before QUIC was read are all TCP.
    fn default() -> Self {
        Transport::Tcp
    }
}

labels! {
    /// The kind of Kubernetes object the API names an observed server
    /// address by (`pqready observe` on a live capture).
    pub enum WorkloadKind {
        /// A Pod whose IP the address is.
        Pod = "pod",
        /// A Service whose ClusterIP the address is.
        Service = "service",
    }
}

labels! {
    /// One probe check: the unit `--only` and `--skip` select.
    pub enum CheckId {
        /// Which key-exchange groups the server supports, in its order.
        Groups = "groups",
        /// How the server chooses among offered groups.
        Selection = "selection",
        /// Which pre-1.3 protocol versions it accepts.
        Versions = "versions",
        /// One complete PQ-first rustls handshake.
        Handshake = "handshake",
        /// Replaying the requested client profiles (`--clients`).
        Clients = "clients",
        /// The big-ClientHello tolerance variants.
        HelloTolerance = "hello-tolerance",
        /// The certificate chains, and whether the server authenticates with
        /// ML-DSA and with classical signatures.
        Certificates = "certificates",
    }
}

labels! {
    /// The signature schemes one `certificates` handshake offers.
    pub enum AuthKind {
        /// Only ML-DSA-44, ML-DSA-65 and ML-DSA-87 (TLS 1.3).
        Mldsa = "mldsa",
        /// Every classical scheme (ECDSA, EdDSA, RSA-PSS, RSA PKCS#1), none of ML-DSA.
        Classical = "classical",
    }
}

labels! {
    /// Why a target, or one check, could not be completed.
    ///
    /// `not-tls` covers both "answered with something that is not TLS" and "no
    /// TLS handshake succeeded at all" (earlier versions called the latter
    /// `no-tls`).
    pub enum ErrorKind {
        /// The name did not resolve.
        Resolve = "resolve",
        /// Nothing listens there.
        Refused = "refused",
        /// A step did not finish before its deadline.
        Timeout = "timeout",
        /// The peer reset the connection.
        Reset = "reset",
        /// The peer closed the connection before answering in full.
        Closed = "closed",
        /// Any other I/O failure.
        Io = "io",
        /// The endpoint does not speak TLS (or no TLS handshake succeeded).
        NotTls = "not-tls",
        /// An `ssh://` target that answered without an SSH identification
        /// (another protocol listens there).
        NotSsh = "not-ssh",
        /// TLS-framed but undecodable, or cut short.
        Malformed = "malformed",
        /// The peer broke the protocol (chose something never offered).
        PeerMisbehaved = "peer-misbehaved",
        /// The peer answered with a fatal alert.
        Alert = "alert",
        /// A TLS-level failure that is none of the above.
        Tls = "tls",
        /// A bug in pqready; reported per target, never a crash.
        Internal = "internal",
    }
}

labels! {
    /// Whether a check ran to the end.
    pub enum CheckStatus {
        /// It ran and its observation is complete.
        Completed = "completed",
        /// It ran but could not finish; see its error kind.
        Failed = "failed",
        /// It was not selected (`--only`, `--skip`, no `--clients`) or could not start.
        NotRun = "not-run",
    }
}

labels! {
    /// How the server chooses among groups the client offers.
    pub enum Selection {
        /// By its own preference order, whatever the client's order or key shares.
        ServerOrder = "server_order",
        /// By the client's preference order.
        ClientOrder = "client_order",
        /// A group the client sent a key share for wins; otherwise its own order.
        KeyShareThenServerOrder = "key_share_then_server_order",
        /// A group the client sent a key share for wins; otherwise the client's order.
        KeyShareThenClientOrder = "key_share_then_client_order",
        /// Post-quantum groups first (asking for one by HelloRetryRequest even when
        /// the client sent a classical share); within each kind a group with a key
        /// share wins; otherwise its own order. Go 1.24 and later.
        PqThenKeyShareThenServerOrder = "pq_then_key_share_then_server_order",
        /// Neither order explains its choices (e.g. OpenSSL group tuples).
        Mixed = "mixed",
        /// Only one group is supported: there is nothing to choose.
        SingleGroup = "single_group",
        /// Tested, but could not be determined (inconclusive answers, or the
        /// server misbehaved). A rule that was not tested is null, not this.
        Unknown = "unknown",
    }
}

labels! {
    /// How the supported groups were found.
    pub enum DiscoveryMethod {
        /// TLS 1.3 HelloRetryRequests to empty key_share offers.
        HelloRetryRequest = "hello_retry_request",
        /// TLS 1.3, one real key share per group (server refused empty offers).
        KeyShare = "key_share",
        /// TLS 1.2 ECDHE, curve read from the ServerKeyExchange.
        Tls12ServerKeyExchange = "tls12_server_key_exchange",
        /// Nothing could be found.
        None = "none",
    }
}

labels! {
    /// One big-ClientHello tolerance variant, in the order they are sent.
    pub enum ToleranceVariant {
        /// A small classical hello, one write: the baseline.
        Control = "control",
        /// The ~1.5 KB post-quantum hello in one write.
        PqOneSegment = "pq-one-segment",
        /// The same record in two TCP writes with a pause between.
        PqSplitSegments = "pq-split-segments",
        /// The same hello re-framed into several small records.
        PqMultiRecord = "pq-multi-record",
        /// A hello padded to 4 KiB.
        Padded4k = "padded-4k",
        /// QUIC: a post-quantum hello spanning two Initial packets (the
        /// QUIC form of tldr.fail); its control is a hello that fits one.
        QuicTwoInitials = "quic-two-initials",
    }
}

labels! {
    /// How one variant's connection ended: a network fact.
    pub enum Ending {
        /// The handshake completed (or, for `padded-4k`, a ServerHello arrived).
        Completed = "completed",
        /// The peer reset the connection.
        Reset = "reset",
        /// Nothing came back before the deadline.
        Timeout = "timeout",
        /// The peer closed the connection.
        Closed = "closed",
        /// The peer sent an alert.
        Alert = "alert",
        /// Anything else (a TLS error, a non-TLS answer).
        Error = "error",
    }
}

labels! {
    /// A variant, judged against the control.
    pub enum ToleranceOutcome {
        /// Worked like the control.
        Ok = "ok",
        /// Reset by the peer.
        Reset = "reset",
        /// No answer in time.
        Timeout = "timeout",
        /// Closed by the peer.
        Closed = "closed",
        /// Answered with an alert.
        Alert = "alert",
        /// Failed otherwise.
        Error = "error",
        /// Completed, but with another certificate than the control: routed elsewhere.
        DifferentCertificate = "different-certificate",
    }
}

labels! {
    /// The big-ClientHello tolerance verdict.
    pub enum ToleranceVerdict {
        /// Every post-quantum-sized variant worked like the control.
        Tolerant = "tolerant",
        /// A variant failed, or was answered by a different server, while the control worked.
        Intolerant = "intolerant",
        /// The control failed too, so nothing can be concluded.
        Inconclusive = "inconclusive",
    }
}

labels! {
    /// The post-quantum key-exchange status of an endpoint.
    pub enum PqStatus {
        /// A standard post-quantum group (ML-KEM hybrid or pure ML-KEM) is supported.
        Pq = "pq",
        /// The only post-quantum group is the obsolete X25519Kyber768Draft00.
        DraftOnly = "draft-only",
        /// Classical key exchange only.
        Classical = "classical",
        /// The endpoint could not be probed.
        Error = "error",
        /// Probed, but the checks that decide it did not run (`--only`, `--skip`).
        Unknown = "unknown",
    }
}

labels! {
    /// Where a subject (an endpoint, a cluster component, a Go binary, an
    /// inspected client) stands, in one word: its post-quantum status, or why
    /// there is none. Every table, chart, badge, count and baseline says
    /// this word and no other.
    ///
    /// Declared best first, and that order is the ranking ([`Standing::rank`]):
    /// a value is *worse* than every value before it, meaning further from a
    /// post-quantum key exchange this run confirmed. `classical` is worse than
    /// `draft-only` (no client gets PQ rather than only obsolete ones),
    /// `no-tls` worse than `classical` (nothing is encrypted at all),
    /// `unreachable` worse than `no-tls` (nothing could be checked from here)
    /// and `error` worst (the endpoint broke the probe). `unknown` is declared
    /// last but is outside the ranking: nothing was decided, so it is neither
    /// better nor worse than anything.
    pub enum Standing {
        /// A standard post-quantum group (ML-KEM) is supported or offered.
        Pq = "pq",
        /// The only post-quantum group is the obsolete X25519Kyber768Draft00.
        DraftOnly = "draft-only",
        /// Classical key exchange only.
        Classical = "classical",
        /// Reached, but it does not speak TLS (a plain HTTP or gRPC port).
        NoTls = "no-tls",
        /// Not reachable from where pqready ran (refused, timed out, no route,
        /// no such name).
        Unreachable = "unreachable",
        /// Reached, but the probe failed (a TLS error, an alert, a reset), or
        /// there was no address to probe.
        Error = "error",
        /// Examined, but what decides it was not (`--only`/`--skip`, an
        /// unreadable ClientHello, a Go version pqready does not know).
        Unknown = "unknown",
    }
}

impl Standing {
    /// The position in the ranking: 0 for `pq`, higher is worse (see
    /// [`Standing`]); `None` for `unknown`, which ranks against nothing.
    pub const fn rank(self) -> Option<u8> {
        match self {
            Standing::Pq => Some(0),
            Standing::DraftOnly => Some(1),
            Standing::Classical => Some(2),
            Standing::NoTls => Some(3),
            Standing::Unreachable => Some(4),
            Standing::Error => Some(5),
            Standing::Unknown => None,
        }
    }

    /// True when `self` ranks worse than `other`; false when either is `unknown`.
    pub fn is_worse_than(self, other: Standing) -> bool {
        matches!((self.rank(), other.rank()), (Some(a), Some(b)) if a > b)
    }
}

labels! {
    /// What a client offers (or a binary would offer), judged.
    pub enum OfferVerdict {
        /// Offers a standard ML-KEM group (X25519MLKEM768 and friends).
        Pq = "pq",
        /// Its only post-quantum group is the obsolete X25519Kyber768Draft00.
        DraftOnly = "draft-only",
        /// Classical groups only.
        Classical = "classical",
    }
}

labels! {
    /// The kind of certificate `pqready inspect` serves in terminate mode
    /// (`--cert-type`, or read from the key of `--cert`): its public key and
    /// signature algorithm.
    pub enum CertType {
        /// ML-DSA-44 (FIPS 204), TLS signature scheme mldsa44.
        Mldsa44 = "mldsa44",
        /// ML-DSA-65, TLS signature scheme mldsa65.
        Mldsa65 = "mldsa65",
        /// ML-DSA-87, TLS signature scheme mldsa87.
        Mldsa87 = "mldsa87",
        /// ECDSA on P-256 with SHA-256 (the default).
        EcdsaP256 = "ecdsa-p256",
        /// RSA with a 2048-bit modulus.
        Rsa2048 = "rsa2048",
    }
}

labels! {
    /// How much a finding matters, lowest first.
    pub enum Severity {
        /// Worth knowing.
        Info = "info",
        /// Should be planned for.
        Low = "low",
        /// Weakens post-quantum protection today.
        Medium = "medium",
        /// Post-quantum protection silently lost, or clients locked out.
        High = "high",
    }
}

labels! {
    /// Every kind of finding pqready reports: the future SARIF rules and
    /// Prometheus labels. Each has a fixed severity, title and standing advice.
    pub enum FindingKind {
        /// A PQ-capable client and a PQ-capable server share no PQ group.
        SilentDowngrade = "silent-downgrade",
        /// The server supports PQ; the client offers none.
        ClassicalClient = "classical-client",
        /// The client offers PQ; the server supports none.
        ClassicalServer = "classical-server",
        /// Both support a PQ group, yet the server picks a classical one.
        PqNotSelected = "pq-not-selected",
        /// Only the obsolete Kyber draft is in common.
        DraftOnly = "draft-only",
        /// A PQ-only server refuses clients without a PQ group.
        PqOnlyLockout = "pq-only-lockout",
        /// A client's handshake fails for another reason.
        HandshakeFailure = "handshake-failure",
        /// Post-quantum-sized ClientHellos break the endpoint.
        HelloIntolerance = "hello-intolerance",
        /// Tolerance could not be tested (the control failed).
        HelloToleranceInconclusive = "hello-tolerance-inconclusive",
        /// A component negotiates differently than its build should.
        KeyExchangeMismatch = "key-exchange-mismatch",
        /// A TLS flag on the component's command line is not what the probe sees.
        FlagNotEffective = "flag-not-effective",
        /// A certificate or key whose algorithm a quantum computer breaks: an
        /// inventory item with the date by which it must be replaced.
        QuantumVulnerableKey = "quantum-vulnerable-key",
        /// A quantum-vulnerable certificate valid past its deprecation date.
        ValidPastDeprecation = "valid-past-deprecation",
        /// A quantum-vulnerable certificate valid past its disallowance date.
        ValidPastDisallowance = "valid-past-disallowance",
        /// An RSA key below 2048 bits (or a DSA key below 2048).
        WeakKey = "weak-key",
        /// A key whose algorithm or size the deciding deadline table already
        /// disallows (RSA-2048 or P-256 under CNSA 2.0).
        DisallowedAlgorithm = "disallowed-algorithm",
        /// A post-quantum key the deciding deadline table does not approve
        /// (ML-DSA-65 under CNSA 2.0, which wants ML-DSA-87).
        NotApprovedAlgorithm = "not-approved-algorithm",
        /// A certificate with a post-quantum key whose own signature (its
        /// issuer's) is quantum-vulnerable.
        QuantumVulnerableSignature = "quantum-vulnerable-signature",
        /// A signature made with SHA-1 (or MD5).
        WeakSignatureHash = "weak-signature-hash",
        /// A chain that mixes post-quantum and classical signatures.
        MixedChain = "mixed-chain",
        /// A certificate past its notAfter (or not yet valid).
        CertificateExpired = "certificate-expired",
        /// A certificate that expires within 30 days.
        CertificateExpiring = "certificate-expiring",
        /// The server cannot authenticate with ML-DSA although clients could.
        NoMldsaAuthentication = "no-mldsa-authentication",
        /// The server authenticates only with ML-DSA: clients without ML-DSA cannot connect.
        NoClassicalAuthentication = "no-classical-authentication",
        /// `--policy`: an endpoint that must negotiate post-quantum key exchange does not.
        PolicyPqRequired = "policy-pq-required",
        /// `--policy`: an endpoint offers only the obsolete Kyber draft.
        PolicyDraftOnly = "policy-draft-only",
        /// `--policy`: an endpoint that must tolerate big ClientHellos does not (or was not tested).
        PolicyHelloTolerance = "policy-hello-tolerance",
        /// `--policy`: a quantum-vulnerable certificate valid past the policy's latest notAfter.
        PolicyCertificateNotAfter = "policy-certificate-not-after",
        /// A Go binary whose TLS clients and servers offer no standard
        /// post-quantum group (classical only, or only the obsolete Kyber draft).
        ClassicalBinary = "classical-binary",
        /// The endpoint supports no post-quantum key-exchange group: every
        /// connection to it can be recorded today and decrypted later.
        ClassicalKeyExchange = "classical-key-exchange",
        /// The endpoint's only post-quantum group is the obsolete
        /// X25519Kyber768Draft00: today's clients get classical from it.
        DraftOnlyKeyExchange = "draft-only-key-exchange",
        /// The endpoint supports a post-quantum group, but a client offering
        /// both gets a classical one (its own order puts a classical group first).
        PqNotPreferred = "pq-not-preferred",
        /// A cluster client and the server it talks to are both post-quantum
        /// capable but share no post-quantum group: their edge is classical.
        SilentDowngradeEdge = "silent-downgrade-edge",
        /// A cluster client→server edge negotiates classical key exchange.
        ClassicalEdge = "classical-edge",
        /// A cluster client whose build pqready cannot tell: its edges are
        /// listed without a prediction.
        UnknownClientBuild = "unknown-client-build",
        /// A cluster audit that could not read one of its sources (RBAC
        /// denial, API error): what it did not see is not judged, so the
        /// audit is incomplete.
        IncompleteAudit = "incomplete-audit",
        /// An SSH server that offers no post-quantum hybrid key exchange
        /// (`mlkem768x25519-sha256`, `sntrup761x25519-sha512`).
        ClassicalSshKex = "classical-ssh-kex",
        /// An SSH server that offers a post-quantum hybrid, yet a real
        /// client's default order negotiates a classical one with it.
        SshPqNotNegotiated = "ssh-pq-not-negotiated",
        /// Observed connections (`pqready observe`) that negotiated a
        /// classical key-exchange group.
        ObservedClassical = "observed-classical",
        /// An observed connection negotiated classical although its client
        /// offered a post-quantum group and the server was seen supporting one.
        ObservedSilentDowngrade = "observed-silent-downgrade",
        /// An observed client offered only the obsolete Kyber draft
        /// (X25519Kyber768Draft00) as its post-quantum group.
        ObservedDraft = "observed-draft",
        /// An observed connection paid a HelloRetryRequest round trip to
        /// get its post-quantum group.
        ObservedHrr = "observed-hrr",
        /// Observed connections (`observe --cluster-report`) negotiated
        /// another group than the cluster audit's edge predicted for them.
        ObservedContradictsPrediction = "observed-contradicts-prediction",
    }
}

labels! {
    /// How an observed connection's client was matched to a cluster
    /// audit's edge client (`observe --cluster-report`), strongest first.
    pub enum PredictionBasis {
        /// Its Pod (and container), named through the Kubernetes API, is the
        /// edge client's workload or static Pod.
        Pod = "pod",
        /// Its process name is the edge client's component (`kubelet`,
        /// `kube-apiserver`...).
        Process = "process",
        /// Its executable's Go version is the edge client's Go release.
        GoVersion = "go-version",
        /// Its ClientHello matched the profile the audit replayed for the
        /// edge client.
        Profile = "profile",
    }
}

labels! {
    /// Why a cluster audit could not read a kind of object.
    pub enum HiddenCause {
        /// The API answered 403: pqready's credentials may not list it.
        Denied = "denied",
        /// The API answered 404: the cluster does not serve that API (a
        /// CRD that is not installed); nothing is missing.
        NotServed = "not-served",
        /// Any other failure: a 5xx, a timeout, a broken answer.
        Failed = "failed",
    }
}

labels! {
    /// What a target speaks: TLS from the first byte, TLS after a
    /// protocol's own plaintext preamble (STARTTLS and its kin), SSH, or
    /// TLS inside QUIC. URL schemes use the same spellings (`postgres://`).
    pub enum Protocol {
        /// TLS from the first byte (HTTPS and every implicit-TLS port).
        Tls = "tls",
        /// PostgreSQL: SSLRequest, then TLS.
        Postgres = "postgres",
        /// MySQL/MariaDB: the server greeting, an SSL request packet, then TLS.
        Mysql = "mysql",
        /// SMTP: EHLO, STARTTLS.
        Smtp = "smtp",
        /// IMAP: STARTTLS.
        Imap = "imap",
        /// POP3: STLS.
        Pop3 = "pop3",
        /// LDAP: the StartTLS extended operation.
        Ldap = "ldap",
        /// XMPP: `<starttls/>` in the stream.
        Xmpp = "xmpp",
        /// FTP: AUTH TLS.
        Ftp = "ftp",
        /// SSH: its own key exchange, no TLS.
        Ssh = "ssh",
        /// QUIC v1: TLS 1.3 in Initial packets over UDP.
        Quic = "quic",
    }
}

// `labels!` derives a fixed set of traits; TLS is the default here.
#[allow(clippy::derivable_impls)]
impl Default for Protocol {
    fn default() -> Self {
        Protocol::Tls
    }
}

labels! {
    /// What kind of cluster component a client on an edge is.
    pub enum ClientKind {
        /// A Node's kubelet, as a client of the API server.
        Kubelet = "kubelet",
        /// kube-proxy on a Node.
        KubeProxy = "kube-proxy",
        /// kube-scheduler.
        KubeScheduler = "kube-scheduler",
        /// kube-controller-manager.
        KubeControllerManager = "kube-controller-manager",
        /// The API server, as a client of etcd, kubelets, webhooks and aggregated APIs.
        KubeApiserver = "kube-apiserver",
        /// kubectl on the machine pqready runs on.
        Kubectl = "kubectl",
        /// A workload (Deployment, DaemonSet, StatefulSet) talking to the API server.
        Workload = "workload",
    }
}

labels! {
    /// Where a cluster client's version comes from.
    pub enum ClientBasis {
        /// A Node's `status.nodeInfo` (`kubeletVersion`, `kubeProxyVersion`).
        NodeInfo = "node-info",
        /// The tag of the container image it runs.
        ImageTag = "image-tag",
        /// The API server's `/version` (`gitVersion`, `goVersion`).
        VersionEndpoint = "version-endpoint",
        /// The binary on this machine (`kubectl version --client`, its build info).
        LocalBinary = "local-binary",
        /// Nothing tells its build.
        Unknown = "unknown",
    }
}

labels! {
    /// What a cluster edge's traffic carries, for how much its key exchange matters.
    pub enum Cargo {
        /// Secret objects (the API server↔etcd traffic, what a kubelet fetches for its pods).
        Secrets = "secrets",
        /// Credentials: service-account tokens, the caller's identity, a user's bearer token.
        Credentials = "credentials",
        /// Objects sent for admission or conversion (which may be Secrets).
        AdmissionObjects = "admission-objects",
        /// exec, attach, port-forward and log streams to a kubelet.
        Streams = "streams",
        /// Cluster state: Pods, Services, EndpointSlices, Nodes.
        ClusterState = "cluster-state",
    }
}

labels! {
    /// A table of dates by which quantum-vulnerable algorithms must go
    /// (`--deadlines`); the rules are data in `catalog::deadlines`.
    pub enum DeadlineTable {
        /// NIST IR 8547, initial public draft (November 2024).
        Nist = "nist",
        /// NSA CNSA 2.0 (CNSSP 15 annex, 2022; FAQ updated 2024), web servers and cloud services.
        Cnsa2 = "cnsa2",
    }
}

labels! {
    /// Where an algorithm stands in one deadline table.
    pub enum DeadlineStatus {
        /// Quantum-safe and approved by the table.
        Acceptable = "acceptable",
        /// Quantum-safe, but not an algorithm this table approves (CNSA 2.0
        /// approves ML-DSA-87 only).
        NotApproved = "not-approved",
        /// Quantum-vulnerable: allowed until the table's dates.
        Vulnerable = "vulnerable",
        /// Already disallowed today (too weak, whatever quantum computers do).
        Disallowed = "disallowed",
        /// An algorithm pqready does not know.
        Unknown = "unknown",
    }
}

labels! {
    /// What part of the cluster a component is.
    pub enum ComponentCategory {
        /// The Kubernetes API server.
        Apiserver = "apiserver",
        /// etcd's client endpoint.
        Etcd = "etcd",
        /// kube-controller-manager or kube-scheduler secure ports.
        Controller = "controller",
        /// A Node's kubelet.
        Kubelet = "kubelet",
        /// An admission or CRD conversion webhook.
        Webhook = "webhook",
        /// An aggregated API server behind an APIService.
        Apiservice = "apiservice",
        /// An Ingress TLS host or a LoadBalancer Service.
        Ingress = "ingress",
        /// A Gateway API listener.
        Gateway = "gateway",
        /// A Service port.
        Service = "service",
        /// A mesh sidecar's inbound port.
        Mesh = "mesh",
        /// A Node's SSH server (`--include nodes-ssh`).
        NodeSsh = "node-ssh",
    }
}

labels! {
    /// How `pqready certs` read a file.
    pub enum FileFormat {
        /// PEM blocks: one or more certificates, keys or requests (a bundle).
        Pem = "pem",
        /// One DER structure: a certificate, a CSR, a public or a private key.
        Der = "der",
        /// A kubeconfig (`kind: Config`), kubeadm's admin.conf, kubelet.conf and the like.
        Kubeconfig = "kubeconfig",
        /// One Kubernetes Secret manifest (YAML or JSON).
        Secret = "secret",
        /// Several Secrets: a `List` (as `kubectl get secret -o yaml` prints
        /// several) or a multi-document YAML file.
        SecretList = "secret-list",
    }
}

labels! {
    /// What kind of key `pqready certs` found.
    pub enum KeyKind {
        /// A public key (SubjectPublicKeyInfo or PKCS#1), e.g. kubeadm's sa.pub.
        Public = "public",
        /// A private key: only its algorithm and size are ever reported.
        Private = "private",
        /// A certificate signing request (PKCS#10): its subject and key.
        Csr = "csr",
    }
}

labels! {
    /// Which date of a deadline table a certificate's validity runs past.
    pub enum DeadlineKind {
        /// The date after which the algorithm is deprecated.
        Deprecation = "deprecation",
        /// The date after which the algorithm is disallowed.
        Disallowance = "disallowance",
        /// The table disallows the algorithm already: it never approved it
        /// (RSA-2048 under CNSA 2.0), so there is no later date.
        AlreadyDisallowed = "already-disallowed",
    }
}

labels! {
    /// What one saved JSON value is: the documents pqready writes with
    /// `-o json` (and `inspect --json-log`), as the `kind` field spells them.
    /// Targets and inspect records are JSON Lines without a `kind` field; the
    /// spelling here names them in messages only.
    pub enum DocumentKind {
        /// One probed endpoint (`probe`, `demo`): a JSON line with `target`.
        Target = "target",
        /// The `cluster` document.
        Cluster = "cluster",
        /// The `certs` document.
        Certs = "certs",
        /// The `binaries` document.
        Binaries = "binaries",
        /// One inspected client connection: a JSON line with `ja4` and `peer`.
        InspectRecord = "inspect-record",
        /// The end of an inspect session.
        InspectSummary = "inspect-summary",
        /// The `--fail-on` decision.
        Gate = "gate",
        /// What changed since `--baseline`.
        Baseline = "baseline",
        /// The offline client × server prediction (`matrix`): the catalog, not results.
        Matrix = "matrix",
        /// One connection seen by `observe`: a JSON line with `client` and `server`.
        ObservedConnection = "observed-connection",
        /// The end of an `observe` run: edges, totals, findings.
        ObserveSummary = "observe-summary",
    }
}

impl DocumentKind {
    /// The commands that write it, for messages that compare two runs.
    pub const fn commands(self) -> &'static str {
        match self {
            DocumentKind::Target => "probe or demo",
            DocumentKind::Cluster => "cluster",
            DocumentKind::Certs => "certs",
            DocumentKind::Binaries => "binaries",
            DocumentKind::InspectRecord | DocumentKind::InspectSummary => "inspect",
            DocumentKind::Gate => "--fail-on",
            DocumentKind::Baseline => "--baseline",
            DocumentKind::Matrix => "matrix",
            DocumentKind::ObservedConnection | DocumentKind::ObserveSummary => "observe",
        }
    }
}

impl FindingKind {
    /// One line naming the problem.
    pub const fn title(self) -> &'static str {
        match self {
            FindingKind::ClassicalKeyExchange => "No post-quantum key exchange",
            FindingKind::DraftOnlyKeyExchange => {
                "Only the obsolete X25519Kyber768Draft00 post-quantum group"
            }
            FindingKind::PqNotPreferred => "Post-quantum group supported but not preferred",
            FindingKind::SilentDowngradeEdge => "Silent downgrade between two cluster components",
            FindingKind::ClassicalEdge => "Classical key exchange between two cluster components",
            FindingKind::UnknownClientBuild => "Cluster client of unknown build",
            FindingKind::IncompleteAudit => "Cluster audit incomplete: a source could not be read",
            FindingKind::SilentDowngrade => "Silent downgrade to classical key exchange",
            FindingKind::ClassicalClient => "Post-quantum-capable server, classical client",
            FindingKind::ClassicalServer => "Post-quantum client, classical server",
            FindingKind::PqNotSelected => "Post-quantum group in common but not chosen",
            FindingKind::DraftOnly => "Only the obsolete X25519Kyber768Draft00 in common",
            FindingKind::PqOnlyLockout => "Post-quantum-only server locks clients out",
            FindingKind::HandshakeFailure => "Client handshake fails",
            FindingKind::HelloIntolerance => "Post-quantum-sized ClientHellos break this endpoint",
            FindingKind::HelloToleranceInconclusive => {
                "Big-ClientHello tolerance could not be tested"
            }
            FindingKind::KeyExchangeMismatch => {
                "Key exchange differs from what the component's build offers"
            }
            FindingKind::FlagNotEffective => "A TLS flag does not show on the wire",
            FindingKind::QuantumVulnerableKey => "Quantum-vulnerable key: plan its replacement",
            FindingKind::ValidPastDeprecation => {
                "Quantum-vulnerable certificate valid past its deprecation date"
            }
            FindingKind::ValidPastDisallowance => {
                "Quantum-vulnerable certificate valid past its disallowance date"
            }
            FindingKind::WeakKey => "Key too small even against classical attacks",
            FindingKind::DisallowedAlgorithm => {
                "Key algorithm or size the deadline table already disallows"
            }
            FindingKind::NotApprovedAlgorithm => {
                "Post-quantum key the deadline table does not approve"
            }
            FindingKind::QuantumVulnerableSignature => {
                "Post-quantum key certified by a quantum-vulnerable signature"
            }
            FindingKind::WeakSignatureHash => "Signature made with a broken hash (SHA-1 or MD5)",
            FindingKind::MixedChain => "Chain mixes post-quantum and classical signatures",
            FindingKind::CertificateExpired => "Certificate expired or not yet valid",
            FindingKind::CertificateExpiring => "Certificate expires within 30 days",
            FindingKind::NoMldsaAuthentication => {
                "Server cannot authenticate with ML-DSA although its clients could"
            }
            FindingKind::NoClassicalAuthentication => {
                "Server has no classical certificate: clients without ML-DSA cannot connect"
            }
            FindingKind::PolicyPqRequired => "Policy: post-quantum key exchange required",
            FindingKind::PolicyDraftOnly => "Policy: draft-only key exchange forbidden",
            FindingKind::PolicyHelloTolerance => "Policy: big-ClientHello tolerance required",
            FindingKind::PolicyCertificateNotAfter => {
                "Policy: quantum-vulnerable certificate valid too long"
            }
            FindingKind::ClassicalBinary => {
                "Go binary offers no standard post-quantum key exchange"
            }
            FindingKind::ClassicalSshKex => "No post-quantum SSH key exchange",
            FindingKind::SshPqNotNegotiated => {
                "SSH server offers post-quantum key exchange, but a real client negotiates classical"
            }
            FindingKind::ObservedClassical => "Observed connections negotiate classical key exchange",
            FindingKind::ObservedSilentDowngrade => {
                "Observed silent downgrade: both ends support post-quantum, the connection is classical"
            }
            FindingKind::ObservedDraft => "Observed client offers only the obsolete Kyber draft",
            FindingKind::ObservedHrr => "Post-quantum key exchange cost a HelloRetryRequest round trip",
            FindingKind::ObservedContradictsPrediction => {
                "Observed connections negotiate another group than the cluster audit predicted"
            }
        }
    }

    /// What the kind means, in a sentence or two (a SARIF rule's full description).
    pub const fn description(self) -> &'static str {
        match self {
            FindingKind::ClassicalKeyExchange => {
                "The endpoint supports no post-quantum key-exchange group, so every connection to it \
                 uses classical key exchange: traffic recorded today can be decrypted once a large \
                 quantum computer exists (harvest now, decrypt later)."
            }
            FindingKind::DraftOnlyKeyExchange => {
                "The endpoint's only post-quantum group is the obsolete X25519Kyber768Draft00 (Go \
                 1.23's default). Current clients offer X25519MLKEM768 instead, so they get classical \
                 key exchange from it."
            }
            FindingKind::PqNotPreferred => {
                "The endpoint supports a post-quantum group, but it chooses by its own order and puts a \
                 classical group first, so a client that offers both (every browser, Go 1.24+) gets \
                 classical key exchange."
            }
            FindingKind::SilentDowngradeEdge => {
                "A cluster client and the server it talks to (a kubelet and the API server, the API \
                 server and etcd...) are both post-quantum capable but share no post-quantum group, so \
                 their connections quietly use classical key exchange: version skew during an upgrade \
                 does this without an error."
            }
            FindingKind::ClassicalEdge => {
                "A cluster client→server edge negotiates classical key exchange: its traffic can be \
                 recorded today and decrypted once a large quantum computer exists."
            }
            FindingKind::UnknownClientBuild => {
                "pqready cannot tell which TLS build a cluster client runs (its image is not a known \
                 Kubernetes component), so what its connections negotiate is not predicted."
            }
            FindingKind::IncompleteAudit => {
                "The cluster audit could not read a kind of object (the API denied it or failed), so \
                 the components and clients it would have named were never probed or judged: a gate \
                 that passes on this audit passes on missing data."
            }
            FindingKind::SilentDowngrade => {
                "A post-quantum-capable client and a post-quantum-capable server share no post-quantum \
                 group, so their connections quietly use classical key exchange."
            }
            FindingKind::ClassicalClient => {
                "The server supports post-quantum key exchange, but this client offers none: its \
                 connections are classical and open to harvest-now-decrypt-later."
            }
            FindingKind::ClassicalServer => {
                "The client offers post-quantum key exchange, but the server supports no standard \
                 post-quantum group."
            }
            FindingKind::PqNotSelected => {
                "Client and server both support a post-quantum group, yet the server chooses a \
                 classical one."
            }
            FindingKind::DraftOnly => {
                "The only post-quantum group in common is the obsolete X25519Kyber768Draft00, which \
                 current clients and servers are removing."
            }
            FindingKind::PqOnlyLockout => {
                "The server accepts only post-quantum groups, so clients that offer none cannot connect."
            }
            FindingKind::HandshakeFailure => {
                "A client's handshake with the server fails for a reason other than key exchange."
            }
            FindingKind::HelloIntolerance => {
                "A post-quantum-sized ClientHello (split across segments or records, or padded) fails \
                 where a small classical one works: something on the path breaks post-quantum clients."
            }
            FindingKind::HelloToleranceInconclusive => {
                "Big-ClientHello tolerance could not be judged because the small control handshake failed too."
            }
            FindingKind::KeyExchangeMismatch => {
                "A cluster component negotiates a different key exchange than the Go and Kubernetes \
                 build it reports would offer."
            }
            FindingKind::FlagNotEffective => {
                "A TLS flag on the component's command line does not match what the probe sees on the wire."
            }
            FindingKind::QuantumVulnerableKey => {
                "A certificate or key uses an algorithm a quantum computer breaks (RSA, ECDSA, EdDSA): \
                 an inventory item with the date by which it must be replaced."
            }
            FindingKind::ValidPastDeprecation => {
                "A quantum-vulnerable certificate stays valid past the deprecation date of the chosen \
                 deadline table."
            }
            FindingKind::ValidPastDisallowance => {
                "A quantum-vulnerable certificate stays valid past the disallowance date of the chosen \
                 deadline table."
            }
            FindingKind::WeakKey => {
                "An RSA or DSA key below 2048 bits: too small even against classical attacks."
            }
            FindingKind::WeakSignatureHash => {
                "A signature made with SHA-1 or MD5, which clients reject and attackers can forge."
            }
            FindingKind::DisallowedAlgorithm => {
                "The deciding deadline table (the first --deadlines) disallows this key's algorithm or \
                 size today, not at a later date: CNSA 2.0 never approved RSA below 3072 bits, P-256, \
                 P-521 or EdDSA."
            }
            FindingKind::NotApprovedAlgorithm => {
                "The key is quantum-safe, but the deciding deadline table does not approve its \
                 parameter set (CNSA 2.0 signs with ML-DSA-87 only)."
            }
            FindingKind::QuantumVulnerableSignature => {
                "The certificate's key is post-quantum, but the signature on the certificate was made \
                 by a quantum-vulnerable CA key (RSA, ECDSA, EdDSA): a quantum computer can forge \
                 that CA's signature, so the post-quantum key protects nothing yet."
            }
            FindingKind::MixedChain => {
                "A chain mixes post-quantum and classical signatures, so it is only as strong as its \
                 weakest one."
            }
            FindingKind::CertificateExpired => "A certificate is past its notAfter, or not yet valid.",
            FindingKind::CertificateExpiring => "A certificate expires within 30 days.",
            FindingKind::NoMldsaAuthentication => {
                "The server authenticates only with classical signatures although its clients accept \
                 ML-DSA certificates."
            }
            FindingKind::NoClassicalAuthentication => {
                "The server authenticates only with ML-DSA and refuses a handshake offering every \
                 classical signature scheme, so clients that cannot verify ML-DSA (Go up to 1.26, \
                 kubectl up to 1.37, OpenSSL before 3.5) cannot connect at all."
            }
            FindingKind::PolicyPqRequired => {
                "The --policy file requires post-quantum key exchange for this endpoint (by its \
                 component category or a target pattern), and its verdict is not pq."
            }
            FindingKind::PolicyDraftOnly => {
                "The --policy file forbids endpoints whose only post-quantum group is the obsolete \
                 X25519Kyber768Draft00."
            }
            FindingKind::PolicyHelloTolerance => {
                "The --policy file requires every endpoint to accept post-quantum-sized ClientHellos, \
                 and this one failed the hello-tolerance check or was not tested."
            }
            FindingKind::PolicyCertificateNotAfter => {
                "The --policy file sets a latest notAfter for certificates with quantum-vulnerable \
                 keys, and this certificate is valid past it."
            }
            FindingKind::ClassicalBinary => {
                "A Go executable's TLS stack offers no standard post-quantum group (classical groups \
                 only, or only the obsolete Kyber draft), by default or with its runtime GODEBUG."
            }
            FindingKind::ClassicalSshKex => {
                "The SSH server offers no post-quantum hybrid key exchange (mlkem768x25519-sha256, \
                 sntrup761x25519-sha512): every session to it, logins and copied files included, can \
                 be recorded today and decrypted once a large quantum computer exists."
            }
            FindingKind::SshPqNotNegotiated => {
                "The SSH server offers a post-quantum hybrid, but a real client's default key-exchange \
                 list (an OpenSSH release) shares no post-quantum method with it, so that client \
                 negotiates classical key exchange (SSH picks the client's first match)."
            }
            FindingKind::ObservedClassical => {
                "Connections seen in a packet capture negotiated a classical key-exchange group: \
                 their traffic can be recorded today and decrypted once a large quantum computer exists."
            }
            FindingKind::ObservedSilentDowngrade => {
                "A connection seen in a packet capture negotiated a classical group although its \
                 client offered a post-quantum group and the same server was seen negotiating (or \
                 asking for, by HelloRetryRequest) a post-quantum group with another hello: the two \
                 share no post-quantum group, and nothing tells either end."
            }
            FindingKind::ObservedDraft => {
                "A client seen in a packet capture offered X25519Kyber768Draft00 as its only \
                 post-quantum group: an old build (Go 1.23, or an old browser) that today's servers, \
                 which dropped the draft, serve classically."
            }
            FindingKind::ObservedHrr => {
                "A server answered a client's hello with a HelloRetryRequest for a post-quantum group: \
                 the client offered the group but sent no key share for it, so every connection pays \
                 one more round trip."
            }
            FindingKind::ObservedContradictsPrediction => {
                "A connection seen in a packet capture negotiated another group than the cluster \
                 audit (`pqready cluster`) predicted for its edge by replaying the client's profile \
                 against the server: the client or the server runs another build or other settings \
                 than the audit read, so the audit's verdict on that edge does not hold."
            }
        }
    }

    /// The standing advice for this kind; a finding may make it more specific
    /// (naming the client to upgrade).
    pub const fn remediation(self) -> &'static str {
        match self {
            FindingKind::ClassicalKeyExchange => SERVER_UPGRADE,
            FindingKind::DraftOnlyKeyExchange => {
                "upgrade the server to Go 1.24+ (Kubernetes 1.33+), OpenSSL 3.5+ or another stack \
                 that supports X25519MLKEM768; drop tlskyber=0/tlsmlkem=0 from its GODEBUG"
            }
            FindingKind::SilentDowngradeEdge => {
                "upgrade the side that lacks X25519MLKEM768 (the actions list names it): a Go 1.23 build \
                 (Kubernetes 1.30–1.32) offers only the Kyber draft, Go 1.24+ (Kubernetes 1.33+) only \
                 X25519MLKEM768"
            }
            FindingKind::ClassicalEdge => {
                "upgrade the classical side of the edge (the actions list names it) to a build that \
                 offers X25519MLKEM768: Go 1.24+ with default settings (Kubernetes 1.33+), OpenSSL 3.5+"
            }
            FindingKind::UnknownClientBuild => {
                "check the workload's TLS stack with `pqready binaries` on its image's binary or \
                 `pqready inspect` on its traffic"
            }
            FindingKind::IncompleteAudit => {
                "grant pqready's ClusterRole the rule the finding names (deploy/ carries the full \
                 role), or fix the API error, and run the audit again"
            }
            FindingKind::PqNotPreferred => {
                "put X25519MLKEM768 first in the server's group list (OpenSSL: `-groups \
                 X25519MLKEM768:X25519`, nginx `ssl_ecdh_curve`, Go: leave CurvePreferences nil or \
                 list it first)"
            }
            FindingKind::SilentDowngrade | FindingKind::ClassicalClient => {
                "upgrade the client to a build that offers X25519MLKEM768 (Go 1.24+ defaults, kubectl 1.33+, OpenSSL 3.5+)"
            }
            FindingKind::ClassicalServer => SERVER_UPGRADE,
            FindingKind::PqNotSelected => {
                "make the server prefer X25519MLKEM768 over classical groups \
                 (Go 1.24+ does by default; in OpenSSL list it first, in its own tuple)"
            }
            FindingKind::DraftOnly => {
                "move both sides to X25519MLKEM768 (Go 1.24+, kubectl 1.33+, OpenSSL 3.5+)"
            }
            FindingKind::PqOnlyLockout => {
                "until every client offers X25519MLKEM768, let the server accept x25519 after it"
            }
            FindingKind::HandshakeFailure => {
                "check the server's TLS configuration against this client"
            }
            FindingKind::HelloIntolerance => {
                "find the component that reads the hello in one piece (TLS-passthrough proxies, SNI routers, \
                 firewalls with TLS inspection) and upgrade or reconfigure it to reassemble ClientHellos \
                 across segments and records; until then PQ clients need a path that bypasses it"
            }
            FindingKind::HelloToleranceInconclusive => {
                "make the endpoint accept a plain TLS handshake first, then probe again"
            }
            FindingKind::KeyExchangeMismatch => {
                "find what terminates TLS in front of the component (a cloud load balancer, a proxy, \
                 an ingress) or what overrides its defaults (GODEBUG=tlsmlkem=0, --tls-curve-preferences), \
                 and make it offer X25519MLKEM768"
            }
            FindingKind::FlagNotEffective => {
                "check that the flag reaches the running process (restart the static pod after editing \
                 its manifest) and that nothing in front of the component terminates TLS itself"
            }
            FindingKind::QuantumVulnerableKey => {
                "add it to the migration plan: reissue with ML-DSA (FIPS 204), or a composite ML-DSA \
                 certificate while clients catch up, before the deadline shown"
            }
            FindingKind::ValidPastDeprecation | FindingKind::ValidPastDisallowance => {
                "reissue it with a notAfter before the deadline, or with an ML-DSA key once its clients \
                 accept ML-DSA (see `pqready inspect --cert-type mldsa65`)"
            }
            FindingKind::WeakKey => "reissue it with RSA-3072 or larger, ECDSA P-256 or larger, or ML-DSA",
            FindingKind::DisallowedAlgorithm => {
                "reissue it with an algorithm the table allows today (for CNSA 2.0: ML-DSA-87, or \
                 RSA-3072+ or P-384 until 2033)"
            }
            FindingKind::NotApprovedAlgorithm => {
                "reissue it with a parameter set the table approves (for CNSA 2.0: ML-DSA-87)"
            }
            FindingKind::QuantumVulnerableSignature => {
                "have it issued by a CA with an ML-DSA key (migrate the CA, root first); until then its \
                 post-quantum key adds no protection against a forged certificate"
            }
            FindingKind::WeakSignatureHash => {
                "reissue it signed with SHA-256 or stronger (or ML-DSA); clients reject SHA-1 signatures"
            }
            FindingKind::MixedChain => {
                "a post-quantum leaf under a classical CA (or the reverse) is only as strong as its \
                 weakest signature: migrate the whole chain, root first"
            }
            FindingKind::CertificateExpired => "renew it now",
            FindingKind::CertificateExpiring => {
                "renew it, and use the renewal to shorten its validity before the quantum deadlines"
            }
            FindingKind::PolicyPqRequired => SERVER_UPGRADE,
            FindingKind::PolicyDraftOnly => {
                "move the endpoint to X25519MLKEM768 (Go 1.24+, OpenSSL 3.5+), or record an exception \
                 with a reason and an expiry date in the policy"
            }
            FindingKind::PolicyHelloTolerance => {
                "fix what drops big ClientHellos in front of the endpoint (see hello-intolerance), \
                 and probe with the hello-tolerance check"
            }
            FindingKind::PolicyCertificateNotAfter => {
                "reissue it with a notAfter on or before the policy's date, or with an ML-DSA key"
            }
            FindingKind::NoMldsaAuthentication => {
                "add an ML-DSA certificate next to the classical one (OpenSSL 3.5 and nginx serve both \
                 and pick by the client's signature_algorithms), so capable clients authenticate post-quantum"
            }
            FindingKind::NoClassicalAuthentication => {
                "add a classical certificate (ECDSA P-256 or RSA) next to the ML-DSA one (OpenSSL 3.5 \
                 and nginx serve both and pick by the client's signature_algorithms), until every \
                 client accepts ML-DSA"
            }
            FindingKind::ClassicalBinary => {
                "rebuild it with Go 1.24 or later and drop tlsmlkem=0 (and tlskyber=0) from its \
                 DefaultGODEBUG, //go:debug lines and runtime GODEBUG, so it offers X25519MLKEM768"
            }
            FindingKind::ClassicalSshKex => {
                "upgrade the SSH server to OpenSSH 9.9+ (mlkem768x25519-sha256; 10.0+ prefers it) or \
                 at least 9.0 (sntrup761x25519-sha512), or another server with a post-quantum hybrid, \
                 and keep it in KexAlgorithms"
            }
            FindingKind::SshPqNotNegotiated => {
                "add mlkem768x25519-sha256 and sntrup761x25519-sha512@openssh.com (older clients know \
                 only this spelling) to the server's KexAlgorithms, so every OpenSSH 9.0+ client finds \
                 a post-quantum method in common"
            }
            FindingKind::ObservedClassical => {
                "upgrade whichever end lacks X25519MLKEM768: the client to a build that offers it \
                 (Go 1.24+, OpenSSL 3.5+, current browsers), the server to one that supports it \
                 (Go 1.24+ with default settings, OpenSSL 3.5+, rustls 0.23 with aws-lc-rs)"
            }
            FindingKind::ObservedSilentDowngrade => {
                "upgrade the client to a build that offers X25519MLKEM768 (Go 1.24+, OpenSSL 3.5+), \
                 or let the server also accept the group the client offers"
            }
            FindingKind::ObservedDraft => {
                "rebuild or upgrade the client (Go 1.24+ offers X25519MLKEM768; drop tlskyber/tlsmlkem \
                 overrides from its GODEBUG)"
            }
            FindingKind::ObservedHrr => {
                "have the client send an X25519MLKEM768 key share in its first hello (OpenSSL 3.5+ \
                 and Go 1.24+ do by default), or have the server prefer the group the client sent a \
                 share for when it is post-quantum"
            }
            FindingKind::ObservedContradictsPrediction => {
                "find which build and TLS settings the client and the server really run (`pqready \
                 binaries` on the executable, its GODEBUG, the image tag), then run `pqready cluster` \
                 again so its edges judge what runs"
            }
        }
    }
}

/// The advice for a server without a standard post-quantum group.
pub const SERVER_UPGRADE: &str =
    "upgrade the server's TLS stack to one that supports X25519MLKEM768 \
     (Go 1.24+ with default settings, OpenSSL 3.5+, rustls 0.23 with aws-lc-rs)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for kind in FindingKind::ALL {
            assert_eq!(FindingKind::parse(kind.name()), Some(*kind));
            assert_eq!(
                serde_json::to_string(kind).unwrap(),
                format!("\"{}\"", kind.name())
            );
        }
        assert_eq!(
            CheckId::parse("hello-tolerance"),
            Some(CheckId::HelloTolerance)
        );
        assert_eq!(ErrorKind::parse("no-tls"), None);
    }

    #[test]
    fn every_finding_kind_has_a_title_and_advice() {
        for kind in FindingKind::ALL {
            assert!(!kind.title().is_empty() && !kind.remediation().is_empty());
            assert!(kind.description().ends_with('.'));
        }
        assert!(Severity::High > Severity::Medium && Severity::Low > Severity::Info);
    }

    #[test]
    fn standings_rank_in_declaration_order_and_unknown_against_nothing() {
        let ranked: Vec<Standing> = Standing::ALL
            .iter()
            .copied()
            .filter(|s| s.rank().is_some())
            .collect();
        assert_eq!(ranked.len(), Standing::ALL.len() - 1);
        for pair in ranked.windows(2) {
            assert!(pair[1].is_worse_than(pair[0]), "{pair:?}");
            assert!(!pair[0].is_worse_than(pair[1]), "{pair:?}");
            assert_eq!(pair[0].rank().map(|r| r + 1), pair[1].rank());
        }
        assert!(Standing::Classical.is_worse_than(Standing::DraftOnly));
        assert!(Standing::Error.is_worse_than(Standing::Unreachable));
        assert!(!Standing::Pq.is_worse_than(Standing::Pq));
        for s in Standing::ALL {
            assert!(!s.is_worse_than(Standing::Unknown));
            assert!(!Standing::Unknown.is_worse_than(*s));
        }
        assert_eq!(Standing::parse("no-tls"), Some(Standing::NoTls));
        assert_eq!(Standing::ALL.last(), Some(&Standing::Unknown));
    }
}
