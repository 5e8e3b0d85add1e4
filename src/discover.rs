//! Target discovery: turn what the user typed into a list of targets.
//!
//! Owns: parsing `HOST[:PORT]`, `[IPv6]:PORT`, bare IPv6 addresses and
//! `https://` and `quic://` URLs, and reading targets files (one per line, `#` comments).
//! Bad input yields a [`TargetError`] naming the offending text and line.
//! Must not: resolve names or open connections (that is `probe`/`net`).

pub mod allow;
pub mod cluster;
pub mod shard;

use std::net::Ipv6Addr;
use std::path::Path;

/// The port used when the user gives none.
pub const DEFAULT_PORT: u16 = 443;

/// One endpoint to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What the user wrote (normalised to `host:port`), used as the report key.
    pub label: String,
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// SNI to send: `--sni`, else the host when it is a name, else none.
    pub sni: Option<String>,
    /// What it speaks (TLS unless a scheme, a flag or a well-known port says otherwise).
    pub protocol: crate::vocab::Protocol,
}

/// Bad target input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

/// Parses one target. `sni` overrides the name sent in SNI.
pub fn parse_target(text: &str, sni: Option<&str>) -> Result<Target, TargetError> {
    let bad = |why: &str| TargetError(format!("invalid target '{text}': {why}"));
    let mut rest = text.trim();
    let mut protocol = crate::vocab::Protocol::Tls;
    let mut default_port = DEFAULT_PORT;
    if let Some(stripped) = rest.strip_prefix("quic://") {
        // HTTP/3's UDP port is HTTPS's: 443 unless given.
        protocol = crate::vocab::Protocol::Quic;
        rest = stripped.split('/').next().unwrap_or("");
    } else if let Some(stripped) = rest.strip_prefix("ssh://") {
        rest = stripped.split('/').next().unwrap_or("");
        protocol = crate::vocab::Protocol::Ssh;
        default_port = SSH_PORT;
    } else if let Some(stripped) = rest.strip_prefix("https://") {
        rest = stripped.split('/').next().unwrap_or("");
    } else if rest.contains("://") {
        return Err(bad(
            "only https://, quic:// or ssh:// URLs or HOST[:PORT] are accepted",
        ));
    }
    if rest.is_empty() {
        return Err(bad("empty host"));
    }
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (addr, after) = inner.split_once(']').ok_or_else(|| bad("missing ']'"))?;
        addr.parse::<Ipv6Addr>()
            .map_err(|_| bad("not an IPv6 address inside [ ]"))?;
        let port = match after {
            "" => default_port,
            p => parse_port(
                p.strip_prefix(':')
                    .ok_or_else(|| bad("expected ':' after ']'"))?,
            )
            .ok_or_else(|| bad("port must be 1-65535"))?,
        };
        (addr.to_string(), port)
    } else if rest.parse::<Ipv6Addr>().is_ok() {
        (rest.to_string(), default_port)
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                parse_port(p).ok_or_else(|| bad("port must be 1-65535"))?,
            ),
            None => (rest.to_string(), default_port),
        }
    };
    if host.is_empty() {
        return Err(bad("empty host"));
    }
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    if !is_ip && !valid_hostname(&host) {
        return Err(bad("not a valid host name"));
    }
    let label = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    // The scheme keeps a target of another protocol apart from a TLS one
    // on the same port (QUIC's UDP 443 next to HTTPS's TCP 443).
    let label = match protocol {
        crate::vocab::Protocol::Tls => label,
        other => format!("{other}://{label}"),
    };
    let sni = match sni {
        Some(name) => Some(check_sni(name)?),
        None if is_ip => None,
        None => Some(host.trim_end_matches('.').to_string()),
    };
    Ok(Target {
        label,
        host,
        port,
        sni,
        protocol,
    })
}

/// The same target over QUIC (`--quic`): UDP, same host and port.
pub fn over_quic(target: Target) -> Target {
    match target.protocol {
        crate::vocab::Protocol::Quic => target,
        _ => Target {
            label: format!("quic://{}", target.label),
            protocol: crate::vocab::Protocol::Quic,
            ..target
        },
    }
}

/// The port of `ssh://` targets without one.
pub const SSH_PORT: u16 = 22;

/// Validates a `--sni` value: a DNS host name (SNI cannot carry an IP address).
pub fn check_sni(name: &str) -> Result<String, TargetError> {
    let bad = |why: &str| {
        TargetError(format!(
            "invalid --sni '{}': {why}",
            name.chars().take(80).collect::<String>()
        ))
    };
    if name.parse::<std::net::IpAddr>().is_ok() {
        return Err(bad("SNI carries host names, not IP addresses"));
    }
    if !valid_hostname(name) {
        return Err(bad("not a valid host name"));
    }
    Ok(name.trim_end_matches('.').to_string())
}

fn parse_port(text: &str) -> Option<u16> {
    match text.parse::<u16>() {
        Ok(0) | Err(_) => None,
        Ok(p) => Some(p),
    }
}

fn valid_hostname(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Parses a targets file's text: one target per line, blank lines and `#`
/// comments ignored. Errors name the file and line.
pub fn parse_targets_text(
    source: &str,
    text: &str,
    sni: Option<&str>,
) -> Result<Vec<Target>, TargetError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        out.push(
            parse_target(line, sni).map_err(|e| TargetError(format!("{source}:{}: {e}", n + 1)))?,
        );
    }
    Ok(out)
}

/// The largest targets file accepted (about 200,000 targets).
pub const MAX_TARGETS_FILE: u64 = 8 * 1024 * 1024;

/// Reads and parses a targets file (a regular file of at most [`MAX_TARGETS_FILE`] bytes).
pub fn read_targets_file(path: &Path, sni: Option<&str>) -> Result<Vec<Target>, TargetError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        TargetError(format!(
            "cannot read targets file '{}': {e}",
            path.display()
        ))
    })?;
    if !meta.is_file() {
        return Err(TargetError(format!(
            "targets file '{}' is not a regular file",
            path.display()
        )));
    }
    if meta.len() > MAX_TARGETS_FILE {
        return Err(TargetError(format!(
            "targets file '{}' is larger than {} MiB",
            path.display(),
            MAX_TARGETS_FILE >> 20
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        TargetError(format!(
            "cannot read targets file '{}': {e}",
            path.display()
        ))
    })?;
    parse_targets_text(&path.display().to_string(), &text, sni)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Target {
        parse_target(text, None).unwrap()
    }

    #[test]
    fn ssh_urls_speak_ssh_on_port_22_unless_told() {
        use crate::vocab::Protocol;
        let ssh = t("ssh://node-1.example");
        assert_eq!((ssh.protocol, ssh.port), (Protocol::Ssh, 22));
        assert_eq!(ssh.label, "ssh://node-1.example:22");
        assert_eq!(t("ssh://[::1]:2222").port, 2222);
        assert_eq!(t("ssh://10.0.0.1:2200/").protocol, Protocol::Ssh);
        assert_eq!(t("example.com").protocol, Protocol::Tls);
    }

    #[test]
    fn parses_host_port_forms() {
        assert_eq!(
            (t("example.com").host.as_str(), t("example.com").port),
            ("example.com", 443)
        );
        assert_eq!(t("example.com:6443").label, "example.com:6443");
        assert_eq!(t("example.com:6443").sni.as_deref(), Some("example.com"));
        assert_eq!(t("127.0.0.1:8443").sni, None);
        assert_eq!(t("[::1]:8443").host, "::1");
        assert_eq!(t("[::1]:8443").label, "[::1]:8443");
        assert_eq!(t("::1").port, 443);
        assert_eq!(t("[::1]").port, 443);
        assert_eq!(
            t("https://kube.example:6443/version").label,
            "kube.example:6443"
        );
    }

    #[test]
    fn parses_quic_targets() {
        use crate::vocab::Protocol;
        let q = t("quic://example.com");
        assert_eq!((q.port, q.protocol), (443, Protocol::Quic));
        assert_eq!(q.label, "quic://example.com:443");
        assert_eq!(q.sni.as_deref(), Some("example.com"));
        let q = t("quic://[::1]:8443/");
        assert_eq!((q.host.as_str(), q.port), ("::1", 8443));
        assert_eq!(q.label, "quic://[::1]:8443");
        let flagged = over_quic(t("10.0.0.1:443"));
        assert_eq!(flagged.label, "quic://10.0.0.1:443");
        assert_eq!(flagged.protocol, Protocol::Quic);
        assert_eq!(over_quic(flagged.clone()), flagged);
        assert_eq!(t("example.com").protocol, Protocol::Tls);
    }

    #[test]
    fn rejects_bad_targets() {
        for bad in [
            "",
            "host:0",
            "host:99999",
            "host:abc",
            "[::1",
            "[nothost]:1",
            "ftp://x",
            "bad host",
            "a..b",
        ] {
            assert!(parse_target(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn sni_flag_overrides() {
        assert_eq!(
            parse_target("127.0.0.1:1", Some("api"))
                .unwrap()
                .sni
                .as_deref(),
            Some("api")
        );
    }

    #[test]
    fn parses_targets_file_with_comments() {
        let text = "# cluster\n10.0.0.1:6443  # api\n\n  etcd.local:2379\n";
        let targets = parse_targets_text("t.txt", text, None).unwrap();
        assert_eq!(targets.len(), 2);
        let err = parse_targets_text("t.txt", "ok:1\nbad:port\n", None).unwrap_err();
        assert_eq!(
            err.0,
            "t.txt:2: invalid target 'bad:port': port must be 1-65535"
        );
    }
}
