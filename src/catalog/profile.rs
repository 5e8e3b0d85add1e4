//! Client profiles: what each real client puts in its ClientHello that
//! decides the key exchange — supported groups in order, the groups it sends
//! key shares for, versions, cipher suites and signature schemes.
//!
//! The table is data in one place: Go profiles are generated from
//! [`super::go`] (one entry per Go version and GODEBUG variant), kubectl
//! profiles from [`super::kubernetes`], and the others are literal entries
//! below. Adding a profile is adding one entry. ClientHello bytes are always
//! built from these fields, never pasted.
//!
//! Each profile is checked against the real client's captured ClientHello
//! where that client exists on the test machine (tests/it/client_profiles.rs).

use super::go::{self, GoDebug};
use super::kubernetes::KUBERNETES;
use crate::wire::keyshare;
use crate::wire::registry::{TLS12_ECDHE_AEAD_SUITES, TLS13_SUITES};
use crate::wire::{
    CipherSuite, ClientHelloSpec, KeyShareEntry, NamedGroup, ProtocolVersion, SignatureScheme,
};
use serde::Serialize;

/// A GREASE group value (RFC 8701) as browsers send it; its share is one byte.
pub const GREASE_GROUP: NamedGroup = NamedGroup(0x0a0a);

/// Which kind of software a profile models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// A Go program with the default `crypto/tls` configuration.
    Go,
    /// A kubectl release.
    Kubectl,
    /// OpenSSL's default client configuration (s_client, curl and most C programs).
    Openssl,
    /// A rustls client with its default provider.
    Rustls,
    /// A web browser.
    Browser,
}

/// One client profile.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ClientProfile {
    /// Stable id (`go1.24`, `go1.24+tlsmlkem=0`, `kubectl1.33`, `openssl3.5`, ...).
    pub id: String,
    /// What it models, for people.
    pub description: String,
    /// Software family.
    pub family: Family,
    /// supported_groups, in order.
    pub groups: Vec<NamedGroup>,
    /// Groups it sends key shares for, in order.
    #[serde(serialize_with = "serialize_shares")]
    #[schemars(with = "Vec<ShareView>")]
    pub key_shares: Vec<NamedGroup>,
    /// Offered versions.
    pub versions: Vec<ProtocolVersion>,
    /// Offered cipher suites.
    #[serde(skip)]
    pub cipher_suites: Vec<CipherSuite>,
    /// Offered signature schemes.
    #[serde(skip)]
    pub signature_schemes: Vec<SignatureScheme>,
    /// The profile whose ClientHello this one reuses (kubectl → Go), if any.
    pub based_on: Option<String>,
    /// What to do when this client is the weak side of a finding.
    pub upgrade_hint: String,
    /// Where the facts come from.
    pub source: String,
}

/// One key share a profile sends: its group and its length in bytes.
#[derive(Serialize, schemars::JsonSchema)]
struct ShareView {
    /// The group.
    group: NamedGroup,
    /// Payload length on the wire, in bytes.
    length: usize,
}

fn serialize_shares<S: serde::Serializer>(shares: &[NamedGroup], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(shares.iter().map(|g| ShareView {
        group: *g,
        length: share_len(*g),
    }))
}

/// The on-the-wire length of a client key share for `group`.
pub fn share_len(group: NamedGroup) -> usize {
    group.info().map_or(1, |i| i.client_share_len)
}

impl ClientProfile {
    /// True if the profile offers any post-quantum group (draft included).
    pub fn offers_pq(&self) -> bool {
        self.groups.iter().any(|g| g.is_post_quantum())
    }

    /// True if the profile offers a standard (ML-KEM) post-quantum group.
    pub fn offers_standard_pq(&self) -> bool {
        self.groups
            .iter()
            .any(|g| g.info().is_some_and(|i| i.kind.is_standard_post_quantum()))
    }

    /// True if the profile offers an ML-DSA signature scheme (mldsa44,
    /// mldsa65 or mldsa87), so a server may authenticate to it with an
    /// ML-DSA certificate.
    pub fn accepts_mldsa(&self) -> bool {
        self.signature_schemes.iter().any(|s| s.is_mldsa())
    }

    /// Builds this profile's ClientHello with fresh, valid key shares.
    pub fn client_hello(&self, server_name: Option<String>) -> ClientHelloSpec {
        let shares: Vec<KeyShareEntry> = self
            .key_shares
            .iter()
            .map(|g| match keyshare::key_share(*g) {
                Some(share) => share,
                None => KeyShareEntry {
                    group: *g,
                    payload: vec![0; share_len(*g)],
                },
            })
            .collect();
        let mut spec = ClientHelloSpec::tls13(self.groups.clone(), shares);
        spec.versions = self.versions.clone();
        spec.cipher_suites = self.cipher_suites.clone();
        spec.signature_schemes = self.signature_schemes.clone();
        spec.server_name = server_name;
        spec
    }

    /// A key identifying the ClientHello shape that decides the handshake:
    /// key exchange (groups, key shares, versions) and what the server may
    /// answer with (cipher suites, signature schemes), so profiles that send
    /// the same offer are probed once. Go 1.27 offers Go 1.26's groups but
    /// ML-DSA too: an ML-DSA-only server answers them differently.
    pub fn offer_key(&self) -> OfferKey {
        (
            self.groups.clone(),
            self.key_shares.clone(),
            self.versions.clone(),
            self.cipher_suites.clone(),
            self.signature_schemes.clone(),
        )
    }
}

/// What [`ClientProfile::offer_key`] compares.
pub type OfferKey = (
    Vec<NamedGroup>,
    Vec<NamedGroup>,
    Vec<ProtocolVersion>,
    Vec<CipherSuite>,
    Vec<SignatureScheme>,
);

fn modern_suites() -> Vec<CipherSuite> {
    [TLS13_SUITES, TLS12_ECDHE_AEAD_SUITES].concat()
}

fn modern_schemes() -> Vec<SignatureScheme> {
    use SignatureScheme as S;
    vec![
        S::ECDSA_SECP256R1_SHA256,
        S::RSA_PSS_RSAE_SHA256,
        S::RSA_PKCS1_SHA256,
        S::ECDSA_SECP384R1_SHA384,
        S::RSA_PSS_RSAE_SHA384,
        S::RSA_PKCS1_SHA384,
        S::RSA_PSS_RSAE_SHA512,
        S::RSA_PKCS1_SHA512,
        S::ED25519,
        S::ECDSA_SECP521R1_SHA512,
    ]
}

/// OpenSSL 3.5's default signature_algorithms, in order: mldsa65, mldsa87,
/// mldsa44, ECDSA, Ed25519, Ed448, the brainpool TLS 1.3 schemes, RSA-PSS,
/// RSA PKCS#1, and the SHA-224 and DSA legacy schemes.
pub const OPENSSL35_SIGNATURE_SCHEMES: [u16; 26] = [
    0x0905, 0x0906, 0x0904, 0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x081a, 0x081b, 0x081c, 0x0809,
    0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402,
    0x0502, 0x0602,
];

/// A GREASE signature scheme (RFC 8701) as Chromium sends it, first.
pub const GREASE_SCHEME: u16 = 0x0a0a;

/// Chromium 156's signature_algorithms, in order, after its GREASE value:
/// mldsa44, mldsa65, mldsa87, then ECDSA P-256, RSA-PSS and PKCS#1 by hash.
/// Captured with `pqready inspect` from the peer prefix's headless Chromium
/// 156.0.8078.129 (Debian trixie); tests/it/client_profiles.rs re-checks it.
pub const CHROMIUM156_SIGNATURE_SCHEMES: [u16; 11] = [
    0x0904, 0x0905, 0x0906, 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
];

/// Chromium 156's cipher_suites, in order, after its GREASE value.
pub const CHROMIUM156_CIPHER_SUITES: [u16; 15] = [
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
    0x009d, 0x002f, 0x0035,
];

/// Firefox ESR 153's signature_algorithms, in order: ECDSA, RSA-PSS, PKCS#1,
/// then the SHA-1 legacy pair; no ML-DSA. Captured with `pqready inspect`
/// from the peer prefix's headless Firefox ESR 153.8.0esr (Debian trixie).
pub const FIREFOX_ESR153_SIGNATURE_SCHEMES: [u16; 11] = [
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201,
];

/// Firefox ESR 153's cipher_suites, in order.
pub const FIREFOX_ESR153_CIPHER_SUITES: [u16; 16] = [
    0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc013, 0xc014,
    0x009c, 0x009d, 0x002f, 0x0035,
];

const TLS13_AND_12: [ProtocolVersion; 2] = [ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2];

/// Go versions and GODEBUG variants with their own profile.
const GO_UPGRADE: &str = "rebuild with Go 1.24 or later, with a go.mod `go` line of 1.24 or later and without tlsmlkem=0 in GODEBUG";

/// The signature_algorithms of a Go `1.minor` client: Go 1.27's captured
/// list (ML-DSA first); before it, the generic modern list (none of them
/// offers ML-DSA, which is what findings rest on).
fn go_signature_schemes(minor: u32) -> Vec<SignatureScheme> {
    if minor >= go::FIRST_MLDSA_MINOR {
        go::GO127_SIGNATURE_SCHEMES
            .iter()
            .map(|s| SignatureScheme(*s))
            .collect()
    } else {
        modern_schemes()
    }
}

/// The Go client profile for `1.minor` with `debug`.
pub fn go_profile(minor: u32, debug: GoDebug) -> ClientProfile {
    let id = format!("go1.{minor}{}", debug.suffix());
    let mut described = if debug == GoDebug::default() {
        format!("Go 1.{minor} crypto/tls client, default configuration")
    } else {
        format!(
            "Go 1.{minor} crypto/tls client with GODEBUG {}",
            debug.suffix().trim_start_matches('+').replace('+', ",")
        )
    };
    // Its key exchange can equal an older release's (1.27 offers 1.26's
    // groups): the description says what else tells them apart.
    if minor >= go::FIRST_MLDSA_MINOR {
        described.push_str("; accepts ML-DSA certificates");
    }
    ClientProfile {
        id,
        description: described,
        family: Family::Go,
        groups: go::default_curve_preferences(minor, debug),
        key_shares: go::client_key_shares(minor, debug),
        versions: TLS13_AND_12.to_vec(),
        cipher_suites: modern_suites(),
        signature_schemes: go_signature_schemes(minor),
        based_on: None,
        upgrade_hint: GO_UPGRADE.into(),
        source: "Go src/crypto/tls defaults.go and handshake_client.go (see catalog::go)".into(),
    }
}

fn literal(
    id: &str,
    description: &str,
    family: Family,
    groups: &[NamedGroup],
    key_shares: &[NamedGroup],
    upgrade_hint: &str,
    source: &str,
) -> ClientProfile {
    ClientProfile {
        id: id.into(),
        description: description.into(),
        family,
        groups: groups.to_vec(),
        key_shares: key_shares.to_vec(),
        versions: TLS13_AND_12.to_vec(),
        cipher_suites: modern_suites(),
        signature_schemes: modern_schemes(),
        based_on: None,
        upgrade_hint: upgrade_hint.into(),
        source: source.into(),
    }
}

/// Every built-in profile, in a stable order; built once.
pub fn all() -> &'static [ClientProfile] {
    static ALL: std::sync::OnceLock<Vec<ClientProfile>> = std::sync::OnceLock::new();
    ALL.get_or_init(build_all)
}

fn build_all() -> Vec<ClientProfile> {
    use NamedGroup as G;
    let mut out: Vec<ClientProfile> = super::go::MINORS
        .flat_map(|minor| {
            std::iter::once(go_profile(minor, GoDebug::default())).chain(
                super::go::switches(minor)
                    .into_iter()
                    .map(move |switch| go_profile(minor, GoDebug::parse(switch))),
            )
        })
        .collect();
    let mut openssl30 = literal(
        "openssl3.0",
        "OpenSSL 3.0 default client (s_client, curl and C programs linking OpenSSL 3.0)",
        Family::Openssl,
        &[G::X25519, G::SECP256R1, G::X448, G::SECP521R1, G::SECP384R1, G::FFDHE2048, G::FFDHE3072, G::FFDHE4096, G::FFDHE6144, G::FFDHE8192],
        &[G::X25519],
        "move to OpenSSL 3.5 or later, whose default offers X25519MLKEM768",
        "OpenSSL 3.0 ssl/t1_lib.c default group list; captured from the host's openssl 3.0 s_client and curl",
    );
    // Its default minimum is TLS 1.0 (the security level then refuses it server-side).
    openssl30.versions = vec![
        ProtocolVersion::TLS1_3,
        ProtocolVersion::TLS1_2,
        ProtocolVersion::TLS1_1,
        ProtocolVersion::TLS1_0,
    ];
    out.push(openssl30);
    let mut openssl35 = literal(
        "openssl3.5",
        "OpenSSL 3.5 default client",
        Family::Openssl,
        &[
            G::X25519MLKEM768,
            G::X25519,
            G::SECP256R1,
            G::X448,
            G::SECP384R1,
            G::SECP521R1,
            G::FFDHE2048,
            G::FFDHE3072,
        ],
        &[G::X25519MLKEM768, G::X25519],
        "keep OpenSSL 3.5's default groups (do not override them with a classical -groups list)",
        "OpenSSL 3.5 DEFAULT_GROUP_LIST (ssl/t1_lib.c); captured from OpenSSL 3.5 s_client",
    );
    // ML-DSA first (the default provider's TLS-SIGALG capabilities), then
    // the classical schemes; captured from OpenSSL 3.5 s_client.
    openssl35.signature_schemes = OPENSSL35_SIGNATURE_SCHEMES
        .iter()
        .map(|s| SignatureScheme(*s))
        .collect();
    out.push(openssl35);
    out.push(literal(
        "rustls0.23",
        "rustls 0.23 client, aws-lc-rs provider defaults (prefer-post-quantum)",
        Family::Rustls,
        &[G::X25519MLKEM768, G::X25519, G::SECP256R1, G::SECP384R1],
        &[G::X25519MLKEM768, G::X25519],
        "use rustls 0.23.27 or later with the aws-lc-rs provider defaults",
        "rustls 0.23 crypto::aws_lc_rs::DEFAULT_KX_GROUPS; the X25519 share reuses the hybrid's classical half",
    ));
    let schemes = |codes: &[u16]| codes.iter().map(|c| SignatureScheme(*c)).collect();
    let suites = |codes: &[u16]| codes.iter().map(|c| CipherSuite(*c)).collect();
    let mut chrome = literal(
        "chrome",
        "Google Chrome (131 and later; signature schemes as Chromium 156)",
        Family::Browser,
        &[GREASE_GROUP, G::X25519MLKEM768, G::X25519, G::SECP256R1, G::SECP384R1],
        &[GREASE_GROUP, G::X25519MLKEM768, G::X25519],
        "update the browser",
        "Chromium/BoringSSL defaults since Chrome 131 (X25519MLKEM768 replaced X25519Kyber768Draft00); \
         signature schemes (ML-DSA first) and cipher suites captured from headless Chromium 156.0.8078.129",
    );
    // What the server may sign with decides whether an ML-DSA-only server
    // works: the real list, ML-DSA included, never what pqready can verify.
    chrome.signature_schemes = std::iter::once(GREASE_SCHEME)
        .chain(CHROMIUM156_SIGNATURE_SCHEMES)
        .map(SignatureScheme)
        .collect();
    chrome.cipher_suites = std::iter::once(0x0a0a)
        .chain(CHROMIUM156_CIPHER_SUITES)
        .map(CipherSuite)
        .collect();
    out.push(chrome);
    let mut firefox = literal(
        "firefox",
        "Mozilla Firefox (132 and later, ESR 140 and 153)",
        Family::Browser,
        &[
            G::X25519MLKEM768,
            G::X25519,
            G::SECP256R1,
            G::SECP384R1,
            G::SECP521R1,
            G::FFDHE2048,
            G::FFDHE3072,
        ],
        &[G::X25519MLKEM768, G::X25519, G::SECP256R1],
        "update the browser",
        "Firefox/NSS defaults since Firefox 132 (mlkem768x25519 on by default); signature \
         schemes (no ML-DSA) and cipher suites captured from headless Firefox ESR 153.8.0esr",
    );
    firefox.signature_schemes = schemes(&FIREFOX_ESR153_SIGNATURE_SCHEMES);
    firefox.cipher_suites = suites(&FIREFOX_ESR153_CIPHER_SUITES);
    out.push(firefox);
    for k in KUBERNETES {
        let base = go_profile(k.go_minor, k.godebug());
        out.push(ClientProfile {
            id: format!("kubectl1.{}", k.minor),
            description: format!(
                "kubectl 1.{} (built with Go 1.{}{})",
                k.minor,
                k.go_minor,
                k.godebug().suffix()
            ),
            family: Family::Kubectl,
            based_on: Some(base.id.clone()),
            upgrade_hint:
                "upgrade kubectl to 1.33 or later (built with Go 1.24, offers X25519MLKEM768)"
                    .into(),
            source: k.source.into(),
            ..base
        });
    }
    out
}

/// How a client's offer compares with the built-in profiles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ProfileMatch {
    /// The closest profile (the first in catalog order among equals).
    pub id: String,
    /// True if groups, their order and key shares are identical, and the
    /// profile offers ML-DSA exactly when the client does.
    pub exact: bool,
    /// Every profile with exactly this offer (one client can look like several).
    pub equivalent: Vec<String>,
}

fn without_grease(groups: &[NamedGroup]) -> Vec<NamedGroup> {
    groups
        .iter()
        .copied()
        .filter(|g| !crate::wire::registry::is_grease(g.0))
        .collect()
}

/// The built-in profile closest to an observed offer: an exact match of
/// supported groups (in order), key-share groups, GREASE use and ML-DSA
/// offering (`signature_schemes`) if there is one, else the profile sharing
/// the longest common prefix of groups, then the most groups, then the same
/// key shares, then the same ML-DSA offering. `None` if no profile shares
/// any group.
pub fn closest(
    groups: &[NamedGroup],
    key_shares: &[NamedGroup],
    signature_schemes: &[SignatureScheme],
) -> Option<ProfileMatch> {
    // Browsers send a GREASE group (a random value each time): its presence,
    // not its value, tells Chrome apart from rustls, which offers the same groups.
    let greased = groups.len() != without_grease(groups).len();
    let (groups, key_shares) = (without_grease(groups), without_grease(key_shares));
    // Go 1.27 offers Go 1.26's groups and shares; only ML-DSA tells them apart.
    let mldsa = signature_schemes.iter().any(|s| s.is_mldsa());
    let profiles = all();
    let exact: Vec<String> = profiles
        .iter()
        .filter(|p| {
            (p.groups.len() != without_grease(&p.groups).len()) == greased
                && without_grease(&p.groups) == groups
                && without_grease(&p.key_shares) == key_shares
                && p.accepts_mldsa() == mldsa
        })
        .map(|p| p.id.clone())
        .collect();
    if let Some(first) = exact.first() {
        return Some(ProfileMatch {
            id: first.clone(),
            exact: true,
            equivalent: exact,
        });
    }
    let score = |p: &ClientProfile| {
        let theirs = without_grease(&p.groups);
        let prefix = theirs
            .iter()
            .zip(&groups)
            .take_while(|(a, b)| a == b)
            .count();
        let shared = theirs.iter().filter(|g| groups.contains(g)).count();
        let shares_equal = without_grease(&p.key_shares) == key_shares;
        (prefix, shared, shares_equal, p.accepts_mldsa() == mldsa)
    };
    let best = profiles.iter().filter(|p| score(p).1 > 0).max_by_key(|p| {
        // max_by_key keeps the last maximum; prefer catalog order among ties.
        let (a, b, c, d) = score(p);
        (
            a,
            b,
            c,
            d,
            std::cmp::Reverse(profiles.iter().position(|q| q.id == p.id)),
        )
    })?;
    Some(ProfileMatch {
        id: best.id.clone(),
        exact: false,
        equivalent: Vec::new(),
    })
}

/// Looks a profile up by id.
pub fn find(id: &str) -> Option<&'static ClientProfile> {
    all().iter().find(|p| p.id == id)
}

/// Parses `all` or a comma-separated list of ids.
pub fn select(spec: &str) -> Result<Vec<&'static ClientProfile>, super::SelectError> {
    super::select_by_id(
        all(),
        spec,
        |p| p.id.as_str(),
        "client profile",
        "`pqready profiles`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_named_as_documented() {
        let ids: Vec<String> = all().iter().map(|p| p.id.clone()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        for id in [
            "go1.22",
            "go1.24+tlsmlkem=0",
            "openssl3.0",
            "rustls0.23",
            "chrome",
            "firefox",
            "kubectl1.27",
            "kubectl1.36",
            "go1.27",
            "go1.27+tlssecpmlkem=0",
            "kubectl1.37",
        ] {
            assert!(ids.iter().any(|i| i == id), "{id}");
        }
    }

    #[test]
    fn every_key_share_is_an_offered_group() {
        for p in all() {
            assert!(
                p.key_shares.iter().all(|g| p.groups.contains(g)),
                "{}",
                p.id
            );
        }
    }

    #[test]
    fn kubectl_follows_its_go_build() {
        assert_eq!(
            find("kubectl1.30").unwrap().based_on.as_deref(),
            Some("go1.23+tlskyber=0")
        );
        assert!(!find("kubectl1.31").unwrap().offers_pq());
        assert_eq!(
            find("kubectl1.32").unwrap().groups[0],
            NamedGroup::X25519KYBER768DRAFT00
        );
        assert!(find("kubectl1.33").unwrap().offers_standard_pq());
    }

    #[test]
    fn only_go_127_and_later_accept_mldsa_among_go_builds() {
        for minor in super::go::MINORS {
            let p = find(&format!("go1.{minor}")).unwrap();
            assert_eq!(p.accepts_mldsa(), minor >= 27, "{}", p.id);
        }
        let go127 = find("go1.27").unwrap();
        let first: Vec<u16> = go127.signature_schemes[..3].iter().map(|s| s.0).collect();
        assert_eq!(first, [0x0904, 0x0905, 0x0906]);
        // Its key exchange is Go 1.26's; the signature schemes differ, so
        // a replay of one never stands for the other.
        let go126 = find("go1.26").unwrap();
        assert_eq!(
            (&go127.groups, &go127.key_shares),
            (&go126.groups, &go126.key_shares)
        );
        assert_ne!(go127.offer_key(), go126.offer_key());
        assert_eq!(
            find("kubectl1.33").unwrap().offer_key(),
            find("go1.24").unwrap().offer_key()
        );
        // GODEBUG variants change key exchange only.
        assert!(find("go1.27+tlsmlkem=0").unwrap().accepts_mldsa());
        assert!(find("chrome").unwrap().accepts_mldsa());
        assert!(find("openssl3.5").unwrap().accepts_mldsa());
        assert!(!find("firefox").unwrap().accepts_mldsa());
        // Kubernetes 1.37 is still a Go 1.26 build.
        assert!(!find("kubectl1.37").unwrap().accepts_mldsa());
    }

    #[test]
    fn builds_hellos_with_real_share_sizes() {
        let hello = find("chrome").unwrap().client_hello(None);
        let sizes: Vec<usize> = hello.key_shares.iter().map(|k| k.payload.len()).collect();
        assert_eq!(sizes, [1, 1216, 32]);
    }

    #[test]
    fn matches_offers_to_profiles() {
        let k133 = find("kubectl1.33").unwrap();
        let m = closest(&k133.groups, &k133.key_shares, &k133.signature_schemes).unwrap();
        assert_eq!((m.id.as_str(), m.exact), ("go1.24", true));
        assert!(m.equivalent.contains(&"kubectl1.33".to_string()));
        let chrome = find("chrome").unwrap();
        let mut groups = chrome.groups.clone();
        groups[0] = NamedGroup(0x6a6a); // another GREASE value
        assert_eq!(
            closest(&groups, &chrome.key_shares, &chrome.signature_schemes)
                .unwrap()
                .id,
            "chrome"
        );
        let m = closest(
            &[NamedGroup::X25519MLKEM768, NamedGroup::X25519],
            &[NamedGroup::X25519],
            &[],
        )
        .unwrap();
        assert!(!m.exact);
        assert_eq!(closest(&[NamedGroup(0x1234)], &[], &[]), None);
    }

    #[test]
    fn mldsa_tells_go_127_from_go_126() {
        let go126 = find("go1.26").unwrap();
        let go127 = find("go1.27").unwrap();
        let m = closest(&go127.groups, &go127.key_shares, &go127.signature_schemes).unwrap();
        assert_eq!((m.id.as_str(), m.exact), ("go1.27", true));
        assert!(!m
            .equivalent
            .iter()
            .any(|id| id == "go1.26" || id == "kubectl1.37"));
        let m = closest(&go126.groups, &go126.key_shares, &go126.signature_schemes).unwrap();
        assert_eq!((m.id.as_str(), m.exact), ("go1.26", true));
        assert!(m.equivalent.contains(&"kubectl1.37".to_string()));
        assert!(!m.equivalent.contains(&"go1.27".to_string()));
    }

    #[test]
    fn rejects_unknown_profiles() {
        let err = select("go1.24,nope").unwrap_err();
        assert!(
            matches!(&err, crate::catalog::SelectError::Unknown { id, .. } if id == "nope"),
            "{err:?}"
        );
        assert!(err.to_string().contains("'nope'"), "{err}");
        assert!(matches!(
            select(" , "),
            Err(crate::catalog::SelectError::Empty { .. })
        ));
        assert_eq!(select("go1.24, kubectl1.33").unwrap().len(), 2);
    }
}
