//! Issue 23: a STARTTLS endpoint and a QUIC endpoint in every output
//! format. `probe -o json` is saved once and re-rendered with `report`
//! (the same renderers `probe -o FORMAT` uses): the table, SARIF (checked
//! against the SARIF 2.1.0 schema), CycloneDX 1.7 and 1.6 (the official
//! schemas) with the carrying protocol named, HTML and Markdown all name
//! the target by its URL (`postgres://…`, `quic://…`), never as a bare
//! `host:port` that would read as HTTPS. (SSH's formats are checked in
//! `ssh::every_output_format_shows_the_ssh_server`.)

use crate::cbom::{assert_linked, property};
use crate::starttls::{postgres, PG_BIN};
use crate::support::command;
use crate::support::formats::{cyclonedx_violations, sarif_violations};
use crate::support::peers;
use serde_json::Value;
use std::path::Path;

/// Every format of the saved probe document at `saved`.
struct Rendered {
    table: String,
    sarif: Value,
    cbom: Value,
    cbom_16: Value,
    html: String,
    markdown: String,
}

fn render_all(saved: &Path) -> Rendered {
    let render = |args: &[&str]| {
        let mut all = vec!["report", saved.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = command::run(&all);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let json = |text: String| -> Value { serde_json::from_str(&text).unwrap() };
    Rendered {
        table: render(&["-o", "table"]),
        sarif: json(render(&["-o", "sarif"])),
        cbom: json(render(&["-o", "cbom"])),
        cbom_16: json(render(&["-o", "cbom", "--cbom-version", "1.6"])),
        html: render(&["-o", "html"]),
        markdown: render(&["-o", "markdown"]),
    }
}

/// Probes `target` to JSON, saves it in `dir`, renders every format.
fn probe_and_render(target: &str, extra: &[&str], dir: &Path) -> (Value, Rendered) {
    let mut args = vec!["probe", target, "--timeout", "10s", "-o", "json"];
    args.extend_from_slice(extra);
    let out = command::run(&args);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(doc["error"].is_null(), "{doc:#}");
    let saved = dir.join("probe.json");
    std::fs::write(&saved, &out.stdout).unwrap();
    (doc, render_all(&saved))
}

/// The CBOM's TLS protocol assets.
fn tls_assets(cbom: &Value) -> Vec<&Value> {
    cbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["cryptoProperties"]["assetType"] == "protocol"
                && c["cryptoProperties"]["protocolProperties"]["type"] == "tls"
        })
        .collect()
}

/// What every format must show of `target` (a URL) probed to `doc`.
fn assert_every_format(target: &str, protocol: &str, doc: &Value, r: &Rendered) {
    let verdict = doc["verdict"]["status"].as_str().unwrap();
    assert!(r.table.starts_with(target), "{}", r.table);

    assert!(
        sarif_violations(&r.sarif).is_empty(),
        "{:?}",
        sarif_violations(&r.sarif)
    );
    let results = r.sarif["runs"][0]["results"].as_array().unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len(), "{:#}", r.sarif);
    for result in results {
        let location = &result["locations"][0]["logicalLocations"][0];
        assert_eq!(location["name"], target, "{result:#}");
        assert_eq!(
            location["fullyQualifiedName"],
            format!("endpoint/{target}"),
            "{result:#}"
        );
    }

    for (version, cbom) in [("1.7", &r.cbom), ("1.6", &r.cbom_16)] {
        let errors = cyclonedx_violations(version, cbom);
        assert!(errors.is_empty(), "CycloneDX {version}: {errors:?}");
        assert_linked(cbom);
        let assets = tls_assets(cbom);
        assert!(!assets.is_empty(), "no TLS asset in {cbom:#}");
        for asset in assets {
            assert_eq!(property(asset, "pqready:target"), Some(target), "{asset:#}");
            assert_eq!(
                property(asset, "pqready:protocol"),
                Some(protocol),
                "{asset:#}"
            );
            assert_eq!(
                property(asset, "pqready:verdict"),
                Some(verdict),
                "{asset:#}"
            );
        }
    }

    assert!(
        r.html.contains(target),
        "the HTML page does not name {target}"
    );
    assert!(
        r.markdown.contains(&format!("| `{target}` | {verdict} |")),
        "{}",
        r.markdown
    );
}

#[test]
fn postgres_starttls_in_every_output_format() {
    if !peers::require(&["/usr/bin/unshare", &format!("{PG_BIN}/postgres")]) {
        return;
    }
    let pg = postgres(true);
    let target = format!("postgres://{}", pg.addr);
    let dir = tempfile::tempdir().unwrap();
    let (doc, rendered) = probe_and_render(&target, &[], dir.path());
    assert_eq!(doc["verdict"]["status"], "classical", "{doc:#}");
    assert_every_format(&target, "postgres", &doc, &rendered);
    // The certificate PostgreSQL served is in the inventory.
    let certificate = rendered.cbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cryptoProperties"]["assetType"] == "certificate");
    assert!(certificate.is_some(), "{:#}", rendered.cbom);
    assert!(
        rendered
            .markdown
            .contains("`classical-key-exchange`: No post-quantum key exchange"),
        "{}",
        rendered.markdown
    );
}

#[test]
fn quic_in_every_output_format() {
    if !peers::require(&["caddy"]) {
        return;
    }
    // Caddy with its post-quantum group switched on: a pq verdict.
    let caddy = peers::caddy(&[("GODEBUG", "tlsmlkem=1")]);
    let target = format!("quic://{}", caddy.addr);
    let dir = tempfile::tempdir().unwrap();
    let (doc, rendered) = probe_and_render(&target, &[], dir.path());
    assert_eq!(doc["verdict"]["status"], "pq", "{doc:#}");
    assert_every_format(&target, "quic", &doc, &rendered);
    // The post-quantum group the server supports is in the inventory,
    // linked from the QUIC endpoint's TLS 1.3 asset.
    let asset = tls_assets(&rendered.cbom)
        .into_iter()
        .find(|a| a["cryptoProperties"]["protocolProperties"]["version"] == "1.3")
        .expect("a TLS 1.3 asset");
    let related: Vec<&str> = asset["cryptoProperties"]["protocolProperties"]
        ["relatedCryptographicAssets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["ref"].as_str())
        .collect();
    assert!(
        related.contains(&"crypto/algorithm/ML-KEM-768"),
        "{related:?}\n{:#}",
        rendered.cbom
    );
}

/// The exporter's `/probe` takes the same URLs: an SSH server, a STARTTLS
/// database and a QUIC endpoint each get their series, as a TLS endpoint
/// does.
#[test]
fn the_exporter_probes_each_protocol_by_its_url() {
    use crate::support::exporter::{sample, Exporter};
    if !peers::require(&[
        "/usr/bin/unshare",
        &format!("{PG_BIN}/postgres"),
        "sshd",
        "ssh-keygen",
        "caddy",
    ]) {
        return;
    }
    let pg = postgres(true);
    let ssh = crate::ssh::openssh("sshd", "ssh-keygen", &[]);
    let caddy = peers::caddy(&[("GODEBUG", "tlsmlkem=1")]);
    let exporter = Exporter::start(&["--allow", "127.0.0.1/32"]);
    let scrape = |target: String| {
        let answer = exporter.get(&format!("/probe?target={target}"));
        assert_eq!(answer.status, 200, "{target}: {}", answer.body);
        assert_eq!(
            sample(&answer.body, "probe_success", ""),
            Some(1.0),
            "{target}: {}",
            answer.body
        );
        answer.body
    };

    let text = scrape(format!("ssh://{}", ssh.addr));
    assert_eq!(
        sample(
            &text,
            "pqready_ssh_kex_info",
            "kex=\"mlkem768x25519-sha256\",pq=\"true\""
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "pqready_pq_ready", ""), Some(1.0), "{text}");

    let text = scrape(format!("postgres://{}", pg.addr));
    assert_eq!(
        sample(
            &text,
            "pqready_handshake_group_info",
            "group=\"secp256r1\",id=\"0x0017\""
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "pqready_pq_ready", ""), Some(0.0), "{text}");

    let text = scrape(format!("quic://{}", caddy.addr));
    assert_eq!(sample(&text, "pqready_pq_ready", ""), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "probe_tls_group_info",
            "group=\"X25519MLKEM768\",id=\"0x11ec\""
        ),
        Some(1.0),
        "{text}"
    );
}
