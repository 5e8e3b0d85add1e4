//! Target discovery: turn what the user typed into a list of targets.
//!
//! Owns: parsing `HOST[:PORT]`, `[IPv6]:PORT`, bare IPv6 addresses,
//! `https://` URLs, `quic://` and `ssh://` URLs and the STARTTLS schemes
//! (`postgres://`, `smtp://`...), the well-known ports that pick a STARTTLS
//! protocol when no scheme is given, and reading targets files (one per
//! line, `#` comments).
//! Bad input yields a [`TargetError`] naming the offending text and line.
//! Must not: resolve names or open connections (that is `probe`/`net`).

pub mod allow;
pub mod cluster;
pub mod listing;
pub mod pods;
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

impl Target {
    /// The name the target is reached by, for protocols that say it in
    /// their preamble (XMPP's stream `to`): the SNI, else the host.
    pub fn domain(&self) -> &str {
        self.sni.as_deref().unwrap_or(&self.host)
    }

    /// The same endpoint speaking `protocol`, its label saying so
    /// (`postgres://host:port`; `host:port` for TLS).
    pub fn speaking(self, protocol: crate::vocab::Protocol) -> Target {
        let address = match self.label.split_once("://") {
            Some((_, address)) => address.to_string(),
            None => self.label.clone(),
        };
        let label = match protocol {
            crate::vocab::Protocol::Tls => address,
            other => format!("{other}://{address}"),
        };
        Target {
            label,
            protocol,
            ..self
        }
    }
}

/// The STARTTLS protocol (or TLS) a service's port is named for: an
/// `appProtocol` or port name such as `postgresql`, `mysql`, `smtp`,
/// `xmpp-client` (also as the first word of `mysql-primary`); `None` for
/// names that say nothing.
pub fn named_protocol(name: &str) -> Option<crate::vocab::Protocol> {
    use crate::vocab::Protocol;
    let name = name.to_ascii_lowercase();
    let name = name.rsplit('/').next().unwrap_or("");
    let word = |n: &str| match n {
        "https" | "tls" | "h2" => Some(Protocol::Tls),
        "postgres" | "postgresql" | "pgsql" => Some(Protocol::Postgres),
        "mysql" | "mariadb" => Some(Protocol::Mysql),
        "smtp" | "submission" => Some(Protocol::Smtp),
        "imap" => Some(Protocol::Imap),
        "pop3" => Some(Protocol::Pop3),
        "ldap" => Some(Protocol::Ldap),
        "xmpp" | "xmpp-client" => Some(Protocol::Xmpp),
        "ftp" => Some(Protocol::Ftp),
        _ => None,
    };
    word(name).or_else(|| name.split(['-', '_']).find_map(word))
}

/// Bad target input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

/// The protocol a URL scheme names and its default port (`https`, `quic`,
/// `ssh`, and the STARTTLS protocols by their
/// [`Protocol`](crate::vocab::Protocol) names, plus `postgresql`).
pub fn scheme_protocol(scheme: &str) -> Option<(crate::vocab::Protocol, u16)> {
    use crate::vocab::Protocol;
    let scheme = scheme.to_ascii_lowercase();
    let protocol = match scheme.as_str() {
        "https" => Protocol::Tls,
        "postgresql" => Protocol::Postgres,
        "quic" => Protocol::Quic,
        "ssh" => Protocol::Ssh,
        other => Protocol::parse(other).filter(|p| starttls_port(*p).is_some())?,
    };
    let port = match protocol {
        Protocol::Ssh => SSH_PORT,
        // HTTP/3's UDP port is HTTPS's: 443 unless given.
        other => starttls_port(other).unwrap_or(DEFAULT_PORT),
    };
    Some((protocol, port))
}

/// The standard port of a STARTTLS protocol; none for the others.
pub fn starttls_port(protocol: crate::vocab::Protocol) -> Option<u16> {
    use crate::vocab::Protocol;
    match protocol {
        Protocol::Postgres => Some(5432),
        Protocol::Mysql => Some(3306),
        Protocol::Smtp => Some(25),
        Protocol::Imap => Some(143),
        Protocol::Pop3 => Some(110),
        Protocol::Ldap => Some(389),
        Protocol::Xmpp => Some(5222),
        Protocol::Ftp => Some(21),
        Protocol::Tls | Protocol::Ssh | Protocol::Quic => None,
    }
}

/// The STARTTLS protocol a well-known port speaks (SMTP's submission port
/// 587 too); none for every other port, implicit-TLS ones (465, 993, 995,
/// 636) included.
pub fn well_known_starttls(port: u16) -> Option<crate::vocab::Protocol> {
    use crate::vocab::Protocol;
    match port {
        587 => Some(Protocol::Smtp),
        _ => Protocol::ALL
            .iter()
            .copied()
            .find(|p| starttls_port(*p) == Some(port)),
    }
}

/// Parses one target. `sni` overrides the name sent in SNI.
pub fn parse_target(text: &str, sni: Option<&str>) -> Result<Target, TargetError> {
    parse_target_as(text, sni, None)
}

/// As [`parse_target`]; a target without a scheme speaks `assume` when
/// given (`--starttls KIND`, `--ssh`: as if written with that protocol's
/// scheme, its default port included), else what its port is known for.
pub fn parse_target_as(
    text: &str,
    sni: Option<&str>,
    assume: Option<crate::vocab::Protocol>,
) -> Result<Target, TargetError> {
    let bad = |why: &str| TargetError(format!("invalid target '{text}': {why}"));
    let mut rest = text.trim();
    let mut schemed = None;
    if let Some((scheme, after)) = rest.split_once("://") {
        schemed = Some(scheme_protocol(scheme).ok_or_else(|| {
            bad("only https://, quic://, ssh://, postgres://, mysql://, smtp://, imap://, pop3://, ldap://, xmpp://, ftp:// URLs or HOST[:PORT] are accepted")
        })?);
        let authority = after.split(['/', '?']).next().unwrap_or("");
        // postgres://user@host: the user is not ours to send.
        rest = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
    } else if let Some(protocol) = assume {
        schemed = scheme_protocol(protocol.name());
    }
    let default_port = schemed.map_or(DEFAULT_PORT, |(_, port)| port);
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
    let protocol = match schemed {
        Some((protocol, _)) => protocol,
        None => well_known_starttls(port).unwrap_or(crate::vocab::Protocol::Tls),
    };
    let address = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    // The scheme keeps a target of another protocol apart from a TLS one
    // on the same port (QUIC's UDP 443 next to HTTPS's TCP 443).
    let label = match protocol {
        crate::vocab::Protocol::Tls => address,
        other => format!("{other}://{address}"),
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
    parse_targets_text_as(source, text, sni, None)
}

/// As [`parse_targets_text`], with [`parse_target_as`]'s `starttls`.
pub fn parse_targets_text_as(
    source: &str,
    text: &str,
    sni: Option<&str>,
    assume: Option<crate::vocab::Protocol>,
) -> Result<Vec<Target>, TargetError> {
    let mut out = Vec::new();
    for (n, line) in target_lines(text) {
        out.push(
            parse_target_as(line, sni, assume)
                .map_err(|e| TargetError(format!("{source}:{}: {e}", n + 1)))?,
        );
    }
    Ok(out)
}

/// The lines of a targets file that name a target, numbered from 0, with
/// comments and surrounding blanks cut.
fn target_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(n, line)| (n, line.split('#').next().unwrap_or("").trim()))
        .filter(|(_, line)| !line.is_empty())
}

/// The largest targets file accepted (about 200,000 targets).
pub const MAX_TARGETS_FILE: u64 = 8 * 1024 * 1024;

/// Reads and parses a targets file (a regular file of at most [`MAX_TARGETS_FILE`] bytes).
pub fn read_targets_file(path: &Path, sni: Option<&str>) -> Result<Vec<Target>, TargetError> {
    read_targets_file_as(path, sni, None)
}

/// As [`read_targets_file`], with [`parse_target_as`]'s `assume`.
pub fn read_targets_file_as(
    path: &Path,
    sni: Option<&str>,
    assume: Option<crate::vocab::Protocol>,
) -> Result<Vec<Target>, TargetError> {
    Ok(TargetsFile::read(path, sni, assume)?.targets().collect())
}

/// A targets file, read and checked line by line, whose targets are made
/// again one at a time as they are probed: its text (about 20 bytes a
/// target) is all that is held, not a [`Target`] per line (about 300), so
/// a fleet of 100,000 costs 2 MB, not 30, and memory stays flat.
#[derive(Debug)]
pub struct TargetsFile {
    text: String,
    sni: Option<String>,
    assume: Option<crate::vocab::Protocol>,
    count: usize,
}

impl TargetsFile {
    /// Reads `path` (a regular file of at most [`MAX_TARGETS_FILE`] bytes)
    /// and checks every line, so a bad one is refused, naming its file and
    /// line, before anything is probed.
    pub fn read(
        path: &Path,
        sni: Option<&str>,
        assume: Option<crate::vocab::Protocol>,
    ) -> Result<TargetsFile, TargetError> {
        let cannot = |e: std::io::Error| {
            TargetError(format!(
                "cannot read targets file '{}': {e}",
                path.display()
            ))
        };
        let meta = std::fs::metadata(path).map_err(cannot)?;
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
        let text = std::fs::read_to_string(path).map_err(cannot)?;
        let source = path.display().to_string();
        let mut count = 0;
        for (n, line) in target_lines(&text) {
            parse_target_as(line, sni, assume)
                .map_err(|e| TargetError(format!("{source}:{}: {e}", n + 1)))?;
            count += 1;
        }
        Ok(TargetsFile {
            text,
            sni: sni.map(str::to_string),
            assume,
            count,
        })
    }

    /// How many targets the file names.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when the file names no target.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The file's targets, in its order, each parsed as it is asked for.
    pub fn targets(&self) -> impl Iterator<Item = Target> + '_ {
        // Every line was parsed once in `read`: none fails here.
        target_lines(&self.text)
            .filter_map(|(_, line)| parse_target_as(line, self.sni.as_deref(), self.assume).ok())
    }
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
            "gopher://x",
            "ssh-ish://x",
            "bad host",
            "a..b",
        ] {
            assert!(parse_target(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn starttls_schemes_ports_and_flag() {
        use crate::vocab::Protocol;
        let cases = [
            (
                "postgres://db.example",
                Protocol::Postgres,
                5432,
                "postgres://db.example:5432",
            ),
            (
                "postgresql://u@db:6000/app?x=1",
                Protocol::Postgres,
                6000,
                "postgres://db:6000",
            ),
            (
                "mysql://10.0.0.1",
                Protocol::Mysql,
                3306,
                "mysql://10.0.0.1:3306",
            ),
            ("smtp://mx", Protocol::Smtp, 25, "smtp://mx:25"),
            ("IMAP://mail:1143", Protocol::Imap, 1143, "imap://mail:1143"),
            ("pop3://[::1]", Protocol::Pop3, 110, "pop3://[::1]:110"),
            ("ldap://dir", Protocol::Ldap, 389, "ldap://dir:389"),
            ("xmpp://chat", Protocol::Xmpp, 5222, "xmpp://chat:5222"),
            ("ftp://files:2121", Protocol::Ftp, 2121, "ftp://files:2121"),
            // Well-known ports without a scheme.
            ("db:5432", Protocol::Postgres, 5432, "postgres://db:5432"),
            ("db:3306", Protocol::Mysql, 3306, "mysql://db:3306"),
            ("mx:25", Protocol::Smtp, 25, "smtp://mx:25"),
            ("mx:587", Protocol::Smtp, 587, "smtp://mx:587"),
            ("mail:143", Protocol::Imap, 143, "imap://mail:143"),
            ("mail:110", Protocol::Pop3, 110, "pop3://mail:110"),
            ("dir:389", Protocol::Ldap, 389, "ldap://dir:389"),
            ("chat:5222", Protocol::Xmpp, 5222, "xmpp://chat:5222"),
            ("files:21", Protocol::Ftp, 21, "ftp://files:21"),
            // Implicit TLS stays TLS, as does an explicit https://.
            ("mx:465", Protocol::Tls, 465, "mx:465"),
            ("mail:993", Protocol::Tls, 993, "mail:993"),
            ("mail:995", Protocol::Tls, 995, "mail:995"),
            ("dir:636", Protocol::Tls, 636, "dir:636"),
            ("https://db:5432", Protocol::Tls, 5432, "db:5432"),
        ];
        for (text, protocol, port, label) in cases {
            let target = t(text);
            assert_eq!(
                (target.protocol, target.port, target.label.as_str()),
                (protocol, port, label),
                "{text}"
            );
        }
        let flagged = |text| parse_target_as(text, None, Some(Protocol::Smtp)).unwrap();
        assert_eq!(flagged("mx").label, "smtp://mx:25");
        assert_eq!(flagged("mx:2525").label, "smtp://mx:2525");
        // A scheme wins over the flag.
        assert_eq!(flagged("imap://mail").protocol, Protocol::Imap);
        assert_eq!(flagged("https://web").protocol, Protocol::Tls);
        let file = parse_targets_text_as("t", "mx:2525\nimap://m\n", None, Some(Protocol::Smtp));
        let protocols: Vec<_> = file.unwrap().iter().map(|t| t.protocol).collect();
        assert_eq!(protocols, [Protocol::Smtp, Protocol::Imap]);
        // --ssh assumes SSH (and port 22) for every schemeless line: port
        // numbers that STARTTLS would claim are just ports here.
        let ssh = parse_targets_text_as(
            "t",
            "node-1\nnode-2:2222\nnode-3:25\nhttps://web\n",
            None,
            Some(Protocol::Ssh),
        )
        .unwrap();
        let got: Vec<_> = ssh.iter().map(|t| (t.protocol, t.label.as_str())).collect();
        assert_eq!(
            got,
            [
                (Protocol::Ssh, "ssh://node-1:22"),
                (Protocol::Ssh, "ssh://node-2:2222"),
                (Protocol::Ssh, "ssh://node-3:25"),
                (Protocol::Tls, "web:443"),
            ]
        );
        assert_eq!(t("xmpp://chat").domain(), "chat");
        assert_eq!(t("db:5432").speaking(Protocol::Tls).label, "db:5432");
        assert_eq!(
            t("db:15432").speaking(Protocol::Postgres).label,
            "postgres://db:15432"
        );
    }

    #[test]
    fn service_port_names() {
        use crate::vocab::Protocol;
        for (name, protocol) in [
            ("postgresql", Some(Protocol::Postgres)),
            ("tcp-postgres", Some(Protocol::Postgres)),
            ("mysql-primary", Some(Protocol::Mysql)),
            ("xmpp-client", Some(Protocol::Xmpp)),
            ("SMTP", Some(Protocol::Smtp)),
            ("kubernetes.io/h2c", None),
            ("https", Some(Protocol::Tls)),
            ("metrics", None),
            ("", None),
        ] {
            assert_eq!(named_protocol(name), protocol, "{name}");
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
