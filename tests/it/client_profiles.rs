//! Client profile fidelity: each real client on the machine (kubectl
//! 1.27–1.33, OpenSSL 3.0 `s_client`, curl, OpenSSL 3.5 `s_client`, Go
//! `crypto/tls` 1.22–1.27) connects to a loopback listener that reads its
//! ClientHello and closes; the pqready profile that claims to be that client
//! (`pqready profiles --json`) must offer exactly the same supported_groups
//! in the same order and the same key shares (group, order, length). GREASE
//! values are ignored on both sides. The clients come from the machine image
//! (kubectl, /usr/bin/openssl, curl) and from `scripts/install-peers`.
//!
//! The browsers (the peer prefix's headless Chromium and Firefox ESR) are
//! captured by `pqready inspect` and must match the `chrome` / `firefox`
//! profiles in full, signature schemes included; against a real OpenSSL 3.5
//! server with only an ML-DSA-65 certificate, what each browser really does
//! (Chromium completes, Firefox is refused) must be what `probe --clients`
//! predicts from the profile.
//!
//! The last tests check the capturing listener itself with hand-made bytes.

use pqready::wire::record::fragment;
use pqready::wire::{ClientHello, ClientHelloSpec, KeyShareEntry, NamedGroup, ProtocolVersion};
use serde_json::Value;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::clients::{self, Browser, BrowserKind, RealClient};
use support::command;
use support::inspector::Inspector;
use support::peers;
use support::tap::Tap;

use crate::support;

/// What a ClientHello offers for key exchange, GREASE removed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Offer {
    groups: Vec<NamedGroup>,
    key_shares: Vec<(NamedGroup, usize)>,
    versions: Vec<String>,
}

fn is_grease(code: u16) -> bool {
    code & 0x0f0f == 0x0a0a && code >> 8 == code & 0xff
}

impl Offer {
    fn of(hello: &ClientHello) -> Offer {
        Offer {
            groups: hello
                .groups()
                .expect("supported_groups")
                .into_iter()
                .filter(|g| !is_grease(g.0))
                .collect(),
            key_shares: hello
                .key_shares()
                .expect("key_share")
                .into_iter()
                .filter(|k| !is_grease(k.group.0))
                .map(|k| (k.group, k.payload.len()))
                .collect(),
            versions: hello
                .versions()
                .expect("supported_versions")
                .into_iter()
                .filter(|v| !is_grease(v.0))
                .map(|v| v.to_string())
                .collect(),
        }
    }

    /// Reads a profile object of `pqready profiles --json`.
    fn of_profile(p: &Value) -> Result<Offer, String> {
        let group = |v: &Value| -> Result<NamedGroup, String> {
            let name = v
                .as_str()
                .ok_or_else(|| format!("group is not a string: {v}"))?;
            NamedGroup::parse(name).ok_or_else(|| format!("unknown group name {name:?}"))
        };
        let list = |field: &str| -> Result<&Vec<Value>, String> {
            p[field]
                .as_array()
                .ok_or_else(|| format!("profile has no array `{field}`: {p}"))
        };
        let mut groups = Vec::new();
        for v in list("groups")? {
            let g = group(v)?;
            if !is_grease(g.0) {
                groups.push(g);
            }
        }
        let mut key_shares = Vec::new();
        for k in list("key_shares")? {
            let g = group(&k["group"])?;
            let len = k["length"]
                .as_u64()
                .ok_or_else(|| format!("key share without a length: {k}"))?;
            if !is_grease(g.0) {
                key_shares.push((g, len as usize));
            }
        }
        let versions = list("versions")?
            .iter()
            .map(|v| v.as_str().unwrap_or("?").to_string())
            .collect();
        Ok(Offer {
            groups,
            key_shares,
            versions,
        })
    }
}

fn names(groups: &[NamedGroup]) -> String {
    groups
        .iter()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn shares(shares: &[(NamedGroup, usize)]) -> String {
    shares
        .iter()
        .map(|(g, len)| format!("{g}/{len}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `client` against a sink and returns its first ClientHello's offer.
fn capture(client: &RealClient) -> Offer {
    let sink = Tap::sink();
    let run = client.run(sink.addr());
    let obs = sink.wait(0, Duration::from_secs(10)).unwrap_or_else(|| {
        panic!(
            "{} never connected; its output:\n{}",
            client.name, run.output
        )
    });
    let hello = obs.client_hellos.first().unwrap_or_else(|| {
        panic!(
            "no ClientHello from {} (notes {:?}); its output:\n{}",
            client.name, obs.notes, run.output
        )
    });
    let offer = Offer::of(hello);
    println!(
        "{}: supported_groups [{}]; key_share [{}]; versions [{}]",
        client.name,
        names(&offer.groups),
        shares(&offer.key_shares),
        offer.versions.join(", ")
    );
    offer
}

/// Every profile `pqready profiles --json` prints, by id.
fn profiles() -> Vec<Value> {
    command::json_lines(&["profiles", "--json"])
}

/// Captures `client`'s real offer and compares it with its profile.
fn check(client: RealClient) {
    let real = capture(&client);
    let all = profiles();
    let profile = all
        .iter()
        .find(|p| p["id"] == client.profile.as_str())
        .unwrap_or_else(|| {
            let ids: Vec<&str> = all.iter().filter_map(|p| p["id"].as_str()).collect();
            panic!("no profile {:?} among {ids:?}", client.profile)
        });
    let claimed =
        Offer::of_profile(profile).unwrap_or_else(|e| panic!("profile {}: {e}", client.profile));

    let mut diff = String::new();
    let mut row = |what: &str, real: String, claimed: String| {
        if real != claimed {
            let _ = write!(
                diff,
                "\n  {what}\n    real    {}: [{real}]\n    profile {}: [{claimed}]",
                client.name, client.profile
            );
        }
    };
    row(
        "supported_groups (order matters)",
        names(&real.groups),
        names(&claimed.groups),
    );
    row(
        "key_share groups (order matters)",
        names(&real.key_shares.iter().map(|k| k.0).collect::<Vec<_>>()),
        names(&claimed.key_shares.iter().map(|k| k.0).collect::<Vec<_>>()),
    );
    row(
        "key_share group/length",
        shares(&real.key_shares),
        shares(&claimed.key_shares),
    );
    row(
        "supported_versions",
        real.versions.join(", "),
        claimed.versions.join(", "),
    );
    assert!(
        diff.is_empty(),
        "profile {} does not match the real {} ClientHello:{diff}",
        client.profile,
        client.name
    );
}

macro_rules! fidelity {
    ($($test:ident => $client:literal;)*) => {
        $(
            #[test]
            fn $test() {
                let client = clients::by_name($client);
                if peers::require(&[&client.need]) {
                    check(client);
                }
            }
        )*

        /// The clients the tests above cover.
        const COVERED: &[&str] = &[$($client),*];
    };
}

fidelity! {
    kubectl_1_27_matches_profile => "kubectl.1.27";
    kubectl_1_28_matches_profile => "kubectl.1.28";
    kubectl_1_29_matches_profile => "kubectl.1.29";
    kubectl_1_30_matches_profile => "kubectl.1.30";
    kubectl_1_31_matches_profile => "kubectl.1.31";
    kubectl_1_32_matches_profile => "kubectl.1.32";
    kubectl_1_33_matches_profile => "kubectl.1.33";
    openssl30_s_client_matches_profile => "openssl-3.0 s_client";
    curl_matches_openssl30_profile => "curl";
    openssl35_s_client_matches_profile => "openssl-3.5 s_client";
    go122_client_matches_profile => "goclient-1.22";
    go123_client_matches_profile => "goclient-1.23";
    go124_client_matches_profile => "goclient-1.24";
    go125_client_matches_profile => "goclient-1.25";
    go126_client_matches_profile => "goclient-1.26";
    go127_client_matches_profile => "goclient-1.27";
}

/// The signature_algorithms `client` really sends, in order, and the ones
/// its profile claims.
fn signature_schemes(client: &RealClient) -> (Vec<u16>, Vec<u16>) {
    let sink = Tap::sink();
    let run = client.run(sink.addr());
    let obs = sink
        .wait(0, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("{} never connected:\n{}", client.name, run.output));
    let hello = obs.client_hellos.first().expect("a ClientHello");
    let real: Vec<u16> = hello
        .signature_schemes()
        .expect("signature_algorithms")
        .iter()
        .map(|s| s.0)
        .collect();
    let profile = pqready::catalog::profile::find(&client.profile)
        .unwrap_or_else(|| panic!("no profile {}", client.profile));
    let claimed: Vec<u16> = profile.signature_schemes.iter().map(|s| s.0).collect();
    println!("{}: signature_algorithms {real:04x?}", client.name);
    (real, claimed)
}

/// The `no-mldsa-authentication` finding rests on which profiles offer
/// ML-DSA signature schemes: OpenSSL 3.5's must offer exactly what the real
/// `s_client` sends in signature_algorithms, in order.
#[test]
fn openssl35_s_client_signature_schemes_match_profile() {
    let client = clients::openssl35();
    if !peers::require(&[&client.need]) {
        return;
    }
    let (real, claimed) = signature_schemes(&client);
    assert_eq!(real, claimed, "real s_client vs the openssl3.5 profile");
    assert_eq!(&real[..3], [0x0905, 0x0906, 0x0904], "ML-DSA first");
}

/// Go 1.27 is the first Go to offer ML-DSA: mldsa44, mldsa65, mldsa87 first,
/// then Go 1.26's schemes; the `go1.27` profile must send exactly that, and
/// the real Go 1.26 client none of them (its profile accepts no ML-DSA).
#[test]
fn go127_client_signature_schemes_match_profile() {
    let (go127, go126) = (clients::goclient("1.27"), clients::goclient("1.26"));
    if !peers::require(&[&go127.need, &go126.need]) {
        return;
    }
    let (real, claimed) = signature_schemes(&go127);
    assert_eq!(real, claimed, "real goclient-1.27 vs the go1.27 profile");
    assert_eq!(&real[..3], [0x0904, 0x0905, 0x0906], "ML-DSA first");
    let (real126, _) = signature_schemes(&go126);
    assert_eq!(real[3..], real126, "after ML-DSA, Go 1.26's list");
    let profile = |id: &str| pqready::catalog::profile::find(id).unwrap();
    assert!(profile("go1.27").accepts_mldsa());
    assert!(!profile("go1.26").accepts_mldsa());
}

/// A list of names from a record or a profile, GREASE values (`0x?a?a`) removed.
fn named(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .filter(|name| {
            !name
                .strip_prefix("0x")
                .and_then(|hex| u16::from_str_radix(hex, 16).ok())
                .is_some_and(is_grease)
        })
        .collect()
}

fn to_values<T: serde::Serialize>(items: &[T]) -> Vec<Value> {
    items
        .iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect()
}

/// A real headless browser connects to `pqready inspect --cert-type
/// mldsa65`; its whole ClientHello as inspect recorded it — groups, key
/// shares, versions, signature schemes, cipher suites — must be its
/// profile's, GREASE aside, and inspect must name that profile exactly.
/// Returns the record.
fn browser_matches_profile(kind: BrowserKind) -> Option<Value> {
    if !peers::require(&[kind.need()]) {
        return None;
    }
    let inspector = Inspector::start(&["--cert-type", "mldsa65"], 1);
    let browser = Browser::open(kind, inspector.addr);
    let (records, summary, live) = inspector.finish();
    drop(browser);
    assert_eq!(
        records.len(),
        1,
        "--count 1 recorded {records:?}\n{summary}"
    );
    let r = records[0].clone();
    println!("{live}");
    let profile = pqready::catalog::profile::find(kind.profile()).unwrap();
    let arr = |field: &str| named(r[field].as_array().unwrap_or(&Vec::new()));
    let shares = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|k| !named(&[k["group"].clone()]).is_empty())
            .map(|k| format!("{}/{}", k["group"].as_str().unwrap(), k["length"]))
            .collect()
    };
    let claimed_shares: Vec<String> = profile
        .key_shares
        .iter()
        .filter(|g| !is_grease(g.0))
        .map(|g| format!("{g}/{}", pqready::catalog::profile::share_len(*g)))
        .collect();
    assert_eq!(arr("groups"), named(&to_values(&profile.groups)), "groups");
    assert_eq!(shares(&r["key_shares"]), claimed_shares, "key shares");
    assert_eq!(
        arr("versions"),
        named(&to_values(&profile.versions)),
        "versions"
    );
    assert_eq!(
        arr("signature_schemes"),
        named(&to_values(&profile.signature_schemes)),
        "signature_algorithms of the real {kind:?} vs profile {}",
        kind.profile()
    );
    assert_eq!(
        arr("cipher_suites"),
        named(&to_values(&profile.cipher_suites)),
        "cipher suites"
    );
    assert_eq!(r["profile_match"], kind.profile(), "{r}");
    assert_eq!(r["profile_match_exact"], true, "{r}");
    Some(r)
}

/// Chromium 156 offers mldsa44/65/87 first and completes the handshake
/// with inspect's ML-DSA-65 certificate; the `chrome` profile says the same.
#[test]
fn chromium_matches_chrome_profile_signature_schemes_included() {
    let Some(r) = browser_matches_profile(BrowserKind::Chromium) else {
        return;
    };
    assert_eq!(
        named(r["signature_schemes"].as_array().unwrap())[..3],
        ["mldsa44", "mldsa65", "mldsa87"]
    );
    assert_eq!(r["handshake_completed"], true, "{r}");
    assert_eq!(r["accepts_mldsa_cert"], true, "{r}");
    assert!(pqready::catalog::profile::find("chrome")
        .unwrap()
        .signature_schemes
        .iter()
        .any(|s| s.is_mldsa()));
}

/// Firefox ESR offers no ML-DSA scheme and so cannot complete a handshake
/// with an ML-DSA-65 certificate; the `firefox` profile says the same.
#[test]
fn firefox_esr_matches_firefox_profile_signature_schemes_included() {
    let Some(r) = browser_matches_profile(BrowserKind::FirefoxEsr) else {
        return;
    };
    assert_eq!(r["offers_mldsa"], false, "{r}");
    assert_eq!(r["handshake_completed"], false, "{r}");
    assert_eq!(
        r["handshake_error"], "peer is incompatible: NoSignatureSchemesInCommon",
        "{r}"
    );
    assert_eq!(r["accepts_mldsa_cert"], false, "{r}");
}

/// OpenSSL 3.5 `s_server -www` holding only a self-signed ML-DSA-65
/// certificate for localhost/127.0.0.1.
fn mldsa_only_s_server() -> peers::Peer {
    peers::s_server_self_signed("ML-DSA-65", &["-www"])
}

/// What `pqready probe --clients PROFILE` predicts for `addr`: (failed, group).
fn predicted(addr: std::net::SocketAddr, profile: &str) -> (bool, Value) {
    let docs = command::json_lines(&[
        "probe",
        &addr.to_string(),
        "--clients",
        profile,
        "-o",
        "json",
    ]);
    let doc = docs
        .iter()
        .find(|d| d["target"].is_string())
        .unwrap_or_else(|| panic!("no target report in {docs:?}"));
    let client = doc["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .find(|c| c["profile"] == profile)
        .unwrap_or_else(|| panic!("no {profile} in {doc}"))
        .clone();
    (client["failed"] == true, client["negotiated_group"].clone())
}

/// The first connection through `tap` whose handshake is decided (a final
/// ServerHello or an alert), however many the browser opened.
fn decided(tap: &Tap, timeout: Duration) -> support::tap::Observation {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(o) = tap
            .snapshot()
            .into_iter()
            .find(|o| o.server_hello || o.server_alert.is_some() || o.client_alert.is_some())
        {
            return o;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no handshake decided through the tap: {:?}",
            tap.snapshot()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Against a real OpenSSL 3.5 server with only an ML-DSA-65 certificate,
/// real Chromium completes TLS 1.3 with X25519MLKEM768 (the tap sees the
/// ServerHello, s_server's `-www` page says `New, TLSv1.3`), and replaying
/// the `chrome` profile predicts the same. Before, the profile offered no
/// ML-DSA scheme and the prediction was a failed handshake.
#[test]
fn chromium_completes_against_an_mldsa_only_server_as_chrome_profile_predicts() {
    if !peers::require(&["chromium", "openssl"]) {
        return;
    }
    let server = mldsa_only_s_server();
    let tap = Tap::start(server.addr);
    let mut browser = Browser::open(BrowserKind::Chromium, tap.addr());
    let page = browser
        .output_after_exit(Duration::from_secs(90))
        .expect("chromium --dump-dom did not finish");
    let seen = decided(&tap, Duration::from_secs(10));
    assert!(seen.server_hello, "chromium's handshake: {seen}");
    assert_eq!(seen.version, Some(ProtocolVersion::TLS1_3), "{seen}");
    assert_eq!(
        seen.negotiated_group,
        Some(NamedGroup::X25519MLKEM768),
        "{seen}"
    );
    assert!(
        page.contains("New, TLSv1.3, Cipher is"),
        "s_server's page did not reach chromium:\n{page}"
    );
    let (failed, group) = predicted(server.addr, "chrome");
    assert!(!failed, "probe --clients chrome predicts a failure");
    assert_eq!(group, "X25519MLKEM768");
}

/// The same server refuses real Firefox ESR (no signature scheme in
/// common: `handshake_failure`), and replaying the `firefox` profile
/// predicts that failure.
#[test]
fn firefox_esr_fails_against_an_mldsa_only_server_as_firefox_profile_predicts() {
    if !peers::require(&["firefox-esr", "openssl"]) {
        return;
    }
    let server = mldsa_only_s_server();
    let tap = Tap::start(server.addr);
    let browser = Browser::open(BrowserKind::FirefoxEsr, tap.addr());
    let seen = decided(&tap, Duration::from_secs(90));
    drop(browser);
    assert!(!seen.server_hello, "firefox got a ServerHello: {seen}");
    assert_eq!(
        seen.server_alert.map(|a| a.description.to_string()),
        Some("handshake_failure".to_string()),
        "{seen}"
    );
    assert!(
        server.log().contains("no suitable signature algorithm"),
        "s_server's log:\n{}",
        server.log()
    );
    let (failed, _) = predicted(server.addr, "firefox");
    assert!(failed, "probe --clients firefox predicts success");
}

#[test]
fn every_real_client_has_a_fidelity_test() {
    for c in clients::all() {
        assert!(
            COVERED.contains(&c.name.as_str()),
            "no fidelity test for {}",
            c.name
        );
    }
}

// ---- the capturing listener itself ---------------------------------------

#[test]
fn sink_reassembles_a_hello_cut_into_tiny_records_and_reads() {
    let groups = vec![
        NamedGroup::X25519MLKEM768,
        NamedGroup(0x3a3a), // GREASE is kept by the parser, dropped by Offer
        NamedGroup::X25519,
        NamedGroup::SECP256R1,
    ];
    let shares = vec![
        KeyShareEntry {
            group: NamedGroup::X25519MLKEM768,
            payload: vec![7; 1216],
        },
        KeyShareEntry {
            group: NamedGroup::X25519,
            payload: vec![9; 32],
        },
    ];
    let hello = ClientHelloSpec::tls13(groups.clone(), shares).encode();
    let records = fragment(&hello, 7, ProtocolVersion::TLS1_0);

    let sink = Tap::sink();
    let mut stream = TcpStream::connect(sink.addr()).unwrap();
    stream.set_nodelay(true).unwrap();
    for chunk in records.chunks(3) {
        stream.write_all(chunk).unwrap();
    }
    // The sink closes once it has the hello.
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    let obs = sink.wait(0, Duration::from_secs(10)).unwrap();
    assert!(obs.closed);
    assert_eq!(obs.notes, Vec::<String>::new());
    assert_eq!(obs.client_hellos.len(), 1);
    assert_eq!(obs.client_hellos[0].groups().unwrap(), groups);
    let offer = Offer::of(&obs.client_hellos[0]);
    assert_eq!(
        offer.groups,
        [
            NamedGroup::X25519MLKEM768,
            NamedGroup::X25519,
            NamedGroup::SECP256R1
        ]
    );
    assert_eq!(
        offer.key_shares,
        [(NamedGroup::X25519MLKEM768, 1216), (NamedGroup::X25519, 32)]
    );
    assert_eq!(obs.bytes_from_client, records.len() as u64);
}

#[test]
fn sink_notes_and_closes_on_non_tls_input() {
    let sink = Tap::sink();
    let mut stream = TcpStream::connect(sink.addr()).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    let obs = sink.wait(0, Duration::from_secs(10)).unwrap();
    assert!(obs.closed);
    assert!(obs.client_hellos.is_empty());
    assert!(
        obs.notes.iter().any(|n| n.contains("record header")),
        "{:?}",
        obs.notes
    );
}
