//! Key-exchange group discovery: which groups a server supports, in what
//! order it prefers them, and how it chooses.
//!
//! Method (TLS 1.3): offer every candidate group with an *empty* key_share
//! list. A server that supports one of them must answer with a
//! HelloRetryRequest naming its choice (RFC 8446 §4.1.4), so no key-exchange
//! cryptography is needed. Remove the choice and ask again until the server
//! refuses: S+1 connections reveal the S supported groups in the order the
//! server picks them. Then two more connections tell how it picks:
//!
//! 1. the supported groups offered in *reverse*: a server that keeps picking
//!    its favourite follows its own order; one that picks our new first
//!    choice follows the client's order;
//! 2. the supported groups with a *real* key share for a less-preferred one:
//!    a server that answers with a ServerHello for that group prefers groups
//!    it already has a share for (Go since 1.23 does), avoiding a round trip.
//!
//! A server that refuses empty key_share lists is probed the slow way, one
//! connection per group with a real key share. A server without TLS 1.3 is
//! probed by elimination over TLS 1.2 ECDHE, reading the curve from the
//! ServerKeyExchange. An endpoint that hangs up without answering the first
//! hello and again an ordinary one does not speak TLS on that port: the
//! target fails there, after two connections.
//!
//! Observations only: whether the result is good is `assess`'s business.

use super::exchange::{describe, ReadUntil, Reply};
use super::{ProbeError, Session};
use crate::net::NetError;
use crate::vocab::{DiscoveryMethod as Method, ErrorKind, Selection};
use crate::wire::keyshare::{can_generate, key_share};
use crate::wire::registry::{TLS12_ECDHE_AEAD_SUITES, TLS12_ECDHE_CBC_SUITES};
use crate::wire::{AlertDescription, ClientHelloSpec, KeyShareEntry, NamedGroup, ProtocolVersion};
use serde::Serialize;

/// What group discovery observed.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct GroupsObservation {
    /// Supported groups, in registry order (post-quantum first).
    pub supported: Vec<NamedGroup>,
    /// The server's preference order, most preferred first; `None` when the
    /// server follows the client's order (it has no order of its own to show).
    pub server_order: Option<Vec<NamedGroup>>,
    /// How the server chooses; `None` when not observed (the `selection`
    /// check did not run, or nothing was found). Never a default.
    pub selection: Option<Selection>,
    /// Whether a group with a client key share beats the server's favourite
    /// of the same kind (both post-quantum or both classical); `None` when it
    /// could not be tested.
    pub key_share_preferred: Option<bool>,
    /// Whether the server still asks for its favourite post-quantum group when
    /// the client sent a key share only for a classical group it supports;
    /// `None` when not applicable (it does not prefer a PQ group, or follows
    /// the client's order) or not testable.
    pub pq_over_key_share: Option<bool>,
    /// How the groups were found.
    pub method: Method,
    /// True when the server answered a TLS 1.3 hello with a TLS 1.3 hello.
    #[serde(skip)]
    pub tls13: bool,
    /// Anomalies worth a human's attention (protocol violations, cut-short runs).
    pub notes: Vec<String>,
}

impl Default for GroupsObservation {
    fn default() -> Self {
        GroupsObservation {
            supported: Vec::new(),
            server_order: None,
            selection: None,
            key_share_preferred: None,
            pq_over_key_share: None,
            method: Method::None,
            tls13: false,
            notes: Vec::new(),
        }
    }
}

/// What one group-selection exchange produced.
#[derive(Debug)]
enum Pick {
    /// HelloRetryRequest for this group.
    Retry(NamedGroup),
    /// ServerHello using this group (a key share we sent).
    Accept(NamedGroup),
    /// The server refused with an alert.
    Refuse(String),
    /// The server closed or reset the connection without answering.
    Silent(String),
    /// TLS 1.3 was not negotiated (`protocol_version` alert or an older ServerHello).
    NoTls13(String),
    /// Anything else: a protocol violation or a non-TLS answer.
    Broken(Reply),
}

impl Pick {
    fn describe(&self) -> String {
        match self {
            Pick::Retry(g) => format!("a HelloRetryRequest for {g}"),
            Pick::Accept(g) => format!("a ServerHello for {g}"),
            Pick::Refuse(why) | Pick::Silent(why) | Pick::NoTls13(why) => why.clone(),
            Pick::Broken(reply) => describe(reply),
        }
    }
}

async fn pick13(
    session: &Session,
    offered: &[NamedGroup],
    shares: Vec<KeyShareEntry>,
) -> Result<Pick, NetError> {
    let reply = match session
        .hello(
            ClientHelloSpec::tls13(offered.to_vec(), shares),
            ReadUntil::ServerHello,
        )
        .await
    {
        Ok(reply) => reply,
        // Closing instead of alerting is a refusal too, not a broken endpoint
        // (but see `silent_to_ordinary_hello`).
        Err(NetError::Closed) => return Ok(Pick::Silent("connection closed".into())),
        Err(NetError::Reset) => return Ok(Pick::Silent("connection reset".into())),
        Err(e) => return Err(e),
    };
    Ok(match &reply {
        Reply::Alert(a) if a.description == AlertDescription::PROTOCOL_VERSION => {
            Pick::NoTls13(format!("alert {}", a.description))
        }
        Reply::Alert(a) => Pick::Refuse(format!("alert {}", a.description)),
        Reply::Hello { hello, .. } => {
            let version = hello.selected_version();
            if version
                .as_ref()
                .is_ok_and(|v| v.0 > ProtocolVersion::TLS1_3.0 || v.0 < ProtocolVersion::SSL3_0.0)
            {
                return Ok(Pick::Broken(reply));
            }
            if version.ok() != Some(ProtocolVersion::TLS1_3) {
                return Ok(Pick::NoTls13(describe(&reply)));
            }
            match hello.selected_share() {
                Ok(Some(share)) if hello.is_hello_retry_request() => Pick::Retry(share.group),
                Ok(Some(share)) => Pick::Accept(share.group),
                _ => Pick::Broken(reply),
            }
        }
        _ => Pick::Broken(reply),
    })
}

fn broken_error(reply: &Reply) -> ProbeError {
    match reply {
        Reply::Hello { hello, .. } => ProbeError::new(
            ErrorKind::PeerMisbehaved,
            match hello.selected_version() {
                Ok(v) if v != ProtocolVersion::TLS1_3 => {
                    format!("server selected version {v}, which was not offered")
                }
                _ => format!(
                    "server sent a {} without a usable key_share",
                    describe(reply)
                ),
            },
        ),
        Reply::NotTls(preview) => ProbeError::new(
            ErrorKind::NotTls,
            format!("not a TLS server: it answered {preview}"),
        ),
        other => ProbeError::new(
            ErrorKind::Malformed,
            format!("server sent {}", describe(other)),
        ),
    }
}

/// Finds the supported groups, the server's order and how it chooses.
///
/// `session` carries the elimination and the order check (the `groups`
/// check); `selection` carries the key-share tests, which run only when
/// `refine` is set (the `selection` check).
pub async fn discover(
    session: &Session,
    selection: &Session,
    candidates: &[NamedGroup],
    refine: bool,
) -> Result<GroupsObservation, ProbeError> {
    let mut obs = GroupsObservation::default();
    let mut remaining: Vec<NamedGroup> = candidates.to_vec();
    let mut picks: Vec<NamedGroup> = Vec::new();
    let mut tls13_refused = false;

    while !remaining.is_empty() {
        let pick = pick13(session, &remaining, Vec::new()).await;
        let pick = match pick {
            Ok(p) => p,
            Err(e) if picks.is_empty() => return Err(e.into()),
            Err(e) => {
                obs.notes.push(format!("group discovery cut short: {e}"));
                break;
            }
        };
        match pick {
            Pick::Retry(g) | Pick::Accept(g) if remaining.contains(&g) => {
                if matches!(pick, Pick::Accept(_)) {
                    obs.notes.push(format!(
                        "server answered an empty key_share offer with a ServerHello for {g} instead of a HelloRetryRequest"
                    ));
                }
                obs.tls13 = true;
                picks.push(g);
                remaining.retain(|x| *x != g);
            }
            Pick::Retry(g) | Pick::Accept(g) => {
                return Err(ProbeError::new(
                    ErrorKind::PeerMisbehaved,
                    format!("server selected {g}, which was not offered"),
                ));
            }
            Pick::Silent(why) if picks.is_empty() => {
                if silent_to_ordinary_hello(session, candidates).await {
                    return Err(ProbeError::new(
                        ErrorKind::NotTls,
                        format!(
                            "no TLS handshake succeeded (the server ended the connection without \
                             answering a ClientHello ({why}), twice: the second an ordinary one \
                             offering TLS 1.3 and 1.2 with an x25519 key share)"
                        ),
                    ));
                }
                tls13_refused = true;
                break;
            }
            Pick::Refuse(_) | Pick::Silent(_) => {
                tls13_refused = picks.is_empty();
                break;
            }
            Pick::NoTls13(_) => break,
            Pick::Broken(reply) if picks.is_empty() => return Err(broken_error(&reply)),
            Pick::Broken(reply) => {
                obs.notes.push(format!(
                    "group discovery cut short: server sent {}",
                    describe(&reply)
                ));
                break;
            }
        }
    }

    if !picks.is_empty() {
        obs.method = Method::HelloRetryRequest;
        choose_rule(session, selection, refine, &picks, candidates, &mut obs).await;
    } else if tls13_refused {
        discover_by_key_share(session, candidates, &mut obs).await;
    }
    if obs.supported.is_empty() && !obs.tls13 {
        discover_tls12(session, candidates, &mut obs).await;
    }
    Ok(obs)
}

/// After a hang-up on the first hello (empty key_share list): does the
/// endpoint hang up without an answer on an ordinary hello too — TLS 1.3 and 1.2, every
/// candidate group, an x25519 key share, as any client would send? A TLS
/// server answers that one (a hello or an alert); an endpoint that does not
/// speak TLS on this port (PostgreSQL before SSLRequest, SSH, SMTP before
/// STARTTLS) hangs up again, and probing it further only adds connections.
async fn silent_to_ordinary_hello(session: &Session, candidates: &[NamedGroup]) -> bool {
    let mut spec = ClientHelloSpec::tls13(
        candidates.to_vec(),
        key_share(NamedGroup::X25519).into_iter().collect(),
    );
    spec.versions = vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2];
    spec.cipher_suites = [
        crate::wire::registry::TLS13_SUITES,
        TLS12_ECDHE_AEAD_SUITES,
        TLS12_ECDHE_CBC_SUITES,
    ]
    .concat();
    matches!(
        session.hello(spec, ReadUntil::ServerHello).await,
        Err(NetError::Closed | NetError::Reset)
    )
}

fn in_registry_order(groups: &[NamedGroup], candidates: &[NamedGroup]) -> Vec<NamedGroup> {
    candidates
        .iter()
        .copied()
        .filter(|g| groups.contains(g))
        .collect()
}

/// Two more exchanges: reverse order (whose order wins?) and a real key share
/// for a less-preferred group (does a share win?).
async fn choose_rule(
    session: &Session,
    selection: &Session,
    refine: bool,
    picks: &[NamedGroup],
    candidates: &[NamedGroup],
    obs: &mut GroupsObservation,
) {
    obs.supported = in_registry_order(picks, candidates);
    if picks.len() < 2 {
        obs.selection = Some(Selection::SingleGroup);
        obs.server_order = Some(picks.to_vec());
        return;
    }
    let first = picks[0];
    let last = picks[picks.len() - 1];
    let reversed: Vec<NamedGroup> = picks.iter().rev().copied().collect();

    #[derive(PartialEq)]
    enum Order {
        Server,
        Client,
        Mixed,
        Unknown,
    }
    let order = match pick13(session, &reversed, Vec::new()).await {
        Ok(Pick::Retry(g)) if g == first => Order::Server,
        Ok(Pick::Retry(g)) if g == last => Order::Client,
        Ok(Pick::Retry(g)) => {
            obs.notes
                .push(format!("offered in reverse order, the server chose {g}"));
            Order::Mixed
        }
        Ok(other) => {
            obs.notes.push(format!(
                "order check inconclusive: server sent {}",
                other.describe()
            ));
            Order::Unknown
        }
        Err(e) => {
            obs.notes.push(format!("order check failed: {e}"));
            Order::Unknown
        }
    };

    obs.server_order = match order {
        Order::Client => None,
        _ => Some(picks.to_vec()),
    };
    // Whether key shares change the choice is the `selection` check's to
    // find out: without it the rule stays unobserved, never a guess.
    if !refine {
        return;
    }
    let session = selection;

    // Same kind: offer the supported groups of one kind (post-quantum or
    // classical) in the server's order with a share for the last of them. A
    // server that ignores shares retries for the first; one that prefers
    // shares accepts the share.
    let pq_picks: Vec<NamedGroup> = picks
        .iter()
        .copied()
        .filter(|g| g.is_post_quantum())
        .collect();
    let classical_picks: Vec<NamedGroup> = picks
        .iter()
        .copied()
        .filter(|g| !g.is_post_quantum())
        .collect();
    let same_kind = [&pq_picks, &classical_picks]
        .into_iter()
        .filter(|list| list.len() >= 2 && list[1..].iter().any(|g| can_generate(*g)))
        .max_by_key(|list| list.first() == Some(&first));
    if let Some(list) = same_kind {
        let k = list[1..].iter().rev().copied().find(|g| can_generate(*g));
        if let Some(k) = k {
            obs.key_share_preferred = share_test(session, list, k, list[0], "key-share", obs).await;
        }
    }

    // Across kinds: the server prefers a post-quantum group, the client sends
    // a share only for a classical one. Does the server still ask for the
    // post-quantum group (Go 1.24+), or take the classical share (Go 1.23)?
    if order == Order::Server && first.is_post_quantum() {
        if let Some(&c) = classical_picks.iter().find(|g| can_generate(**g)) {
            obs.pq_over_key_share = share_test(session, picks, c, first, "post-quantum", obs)
                .await
                .map(|share_won| !share_won);
        }
    }

    let shares_win = obs.key_share_preferred == Some(true);
    obs.selection = Some(match order {
        Order::Server if shares_win && obs.pq_over_key_share == Some(true) => {
            Selection::PqThenKeyShareThenServerOrder
        }
        Order::Server if shares_win => Selection::KeyShareThenServerOrder,
        Order::Server => Selection::ServerOrder,
        Order::Client if shares_win => Selection::KeyShareThenClientOrder,
        Order::Client => Selection::ClientOrder,
        Order::Mixed => Selection::Mixed,
        Order::Unknown => Selection::Unknown,
    });
}

/// Offers `offered` with a real key share for `share`. `Some(true)` if the
/// server accepted the share, `Some(false)` if it asked for `favourite`
/// instead, `None` (with a note) for anything else.
async fn share_test(
    session: &Session,
    offered: &[NamedGroup],
    share: NamedGroup,
    favourite: NamedGroup,
    what: &str,
    obs: &mut GroupsObservation,
) -> Option<bool> {
    let shares = key_share(share).into_iter().collect();
    match pick13(session, offered, shares).await {
        Ok(Pick::Accept(g)) if g == share => Some(true),
        Ok(Pick::Retry(g)) if g == favourite => Some(false),
        Ok(other) => {
            obs.notes.push(format!(
                "{what} check inconclusive: server sent {}",
                other.describe()
            ));
            None
        }
        Err(e) => {
            obs.notes.push(format!("{what} check failed: {e}"));
            None
        }
    }
}

/// Slow path for servers that refuse an empty key_share list: one connection
/// per group pqready can generate a share for.
async fn discover_by_key_share(
    session: &Session,
    candidates: &[NamedGroup],
    obs: &mut GroupsObservation,
) {
    let mut found = Vec::new();
    for &g in candidates.iter().filter(|g| can_generate(**g)) {
        let shares = key_share(g).into_iter().collect();
        match pick13(session, &[g], shares).await {
            Ok(Pick::Accept(sel)) if sel == g => {
                obs.tls13 = true;
                found.push(g);
            }
            Ok(Pick::Retry(_)) | Ok(Pick::Accept(_)) => obs.tls13 = true,
            Ok(Pick::NoTls13(_)) => return,
            Ok(_) => {}
            Err(e) => {
                obs.notes
                    .push(format!("key-share discovery cut short: {e}"));
                break;
            }
        }
    }
    if !found.is_empty() {
        obs.method = Method::KeyShare;
        obs.notes.push(
            "server refused a hello without key shares; groups were tested one by one with real key shares \
             (groups pqready cannot generate shares for were not tested)"
                .into(),
        );
        obs.selection = Some(if found.len() == 1 {
            Selection::SingleGroup
        } else {
            Selection::Unknown
        });
        obs.supported = found;
    }
}

fn tls12_hello(groups: Vec<NamedGroup>) -> ClientHelloSpec {
    let mut spec = ClientHelloSpec::tls13(groups, Vec::new());
    spec.versions = vec![ProtocolVersion::TLS1_2];
    spec.cipher_suites = [TLS12_ECDHE_AEAD_SUITES, TLS12_ECDHE_CBC_SUITES].concat();
    spec.session_id = Vec::new();
    spec
}

async fn pick12(session: &Session, offered: &[NamedGroup]) -> Option<NamedGroup> {
    match session
        .hello(tls12_hello(offered.to_vec()), ReadUntil::ServerKeyExchange)
        .await
    {
        Ok(Reply::Hello {
            hello,
            tls12_curve: Some(curve),
        }) if hello.selected_version().ok() == Some(ProtocolVersion::TLS1_2) => Some(curve),
        _ => None,
    }
}

fn is_nist_curve(g: NamedGroup) -> bool {
    matches!(
        g,
        NamedGroup::SECP256R1 | NamedGroup::SECP384R1 | NamedGroup::SECP521R1
    )
}

/// Elimination over TLS 1.2 ECDHE for servers without TLS 1.3. Only
/// elliptic curves can be found this way; post-quantum groups need TLS 1.3.
async fn discover_tls12(session: &Session, candidates: &[NamedGroup], obs: &mut GroupsObservation) {
    let mut remaining: Vec<NamedGroup> = candidates
        .iter()
        .copied()
        .filter(|g| {
            g.info()
                .is_none_or(|i| i.kind == crate::wire::GroupKind::Ecdhe)
                && !matches!(g.0, 0x001F..=0x0021)
        })
        .collect();
    // In TLS 1.2 the client's curve list also governs ECDSA certificates
    // (RFC 8422 §5.1): once the certificate's curve is eliminated the server
    // can no longer answer at all. So NIST curves already found stay offered,
    // last; a server that still picks one of them has nothing new to show.
    let mut picks: Vec<NamedGroup> = Vec::new();
    let mut repicked: Option<NamedGroup> = None;
    while !remaining.is_empty() {
        let kept: Vec<NamedGroup> = picks
            .iter()
            .copied()
            .filter(|g| is_nist_curve(*g))
            .collect();
        let offered: Vec<NamedGroup> = remaining.iter().chain(kept.iter()).copied().collect();
        match pick12(session, &offered).await {
            Some(g) if remaining.contains(&g) => {
                picks.push(g);
                remaining.retain(|x| *x != g);
            }
            Some(g) if picks.contains(&g) => {
                repicked = Some(g);
                break;
            }
            Some(g) => {
                obs.notes.push(format!(
                    "TLS 1.2 server selected {g}, which was not offered"
                ));
                break;
            }
            None => break,
        }
    }
    if picks.is_empty() {
        return;
    }
    obs.method = Method::Tls12ServerKeyExchange;
    obs.supported = in_registry_order(&picks, candidates);
    if picks.len() < 2 {
        obs.selection = Some(Selection::SingleGroup);
        obs.server_order = Some(picks);
        return;
    }
    let reversed: Vec<NamedGroup> = picks.iter().rev().copied().collect();
    let chosen = pick12(session, &reversed).await;
    // TLS 1.2 has no key shares: the order check is the whole rule.
    obs.selection = Some(match chosen {
        Some(g) if g == picks[0] => Selection::ServerOrder,
        Some(g) if Some(&g) == picks.last() => Selection::ClientOrder,
        Some(_) => Selection::Mixed,
        None => Selection::Unknown,
    });
    // A client-order server that re-picks a curve we offered last has no
    // other curve left; a server-order one may rank untested curves lower.
    if let Some(g) = repicked.filter(|_| obs.selection != Some(Selection::ClientOrder)) {
        obs.notes.push(format!(
            "TLS 1.2: the server keeps choosing {g} (likely its certificate's curve), so curves it ranks lower could not be tested"
        ));
    }
    obs.server_order = if obs.selection == Some(Selection::ClientOrder) {
        None
    } else {
        Some(picks)
    };
}
