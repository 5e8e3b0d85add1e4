//! Probing an SSH server's key exchange: one connection, no authentication.
//!
//! Observed (on the wire, one TCP connection): the server's identification
//! line and its KEXINIT — the key-exchange methods in the server's order,
//! host-key algorithms, ciphers, MACs and compression. pqready sends its own
//! identification and a KEXINIT that offers everything (post-quantum
//! first), reads the server's, then sends SSH_MSG_DISCONNECT and closes:
//! no key is exchanged, no credential is sent.
//!
//! Not observed, and not needed: which method the server would pick for a
//! given client. RFC 4253 §7.1 fixes it as the *client's* first method that
//! the server also lists, and OpenSSH and Dropbear choose so; whatever a
//! client profile negotiates is therefore computed from the two lists, by
//! `assess` (the tests check that computation against the real OpenSSH
//! client). So there is never a second connection.
//!
//! Must not: judge (that is `assess`), or touch sockets except through `net`.

use super::{ProbeConfig, ProbeError, TargetObservation};
use crate::discover::Target;
use crate::net::{self, Conn};
use crate::vocab::{ErrorKind, Protocol};
use crate::wire::ssh::{self, KexInit, SshError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

/// What pqready saw of one SSH server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SshObservation {
    /// The server's identification line, without its line end
    /// (`SSH-2.0-OpenSSH_10.0p2 Debian-7`); null when none was read.
    pub identification: Option<String>,
    /// Its software version (`OpenSSH_10.0p2`).
    pub software: Option<String>,
    /// Key-exchange methods, in the server's order, as sent (pseudo-methods
    /// such as `ext-info-s` and `kex-strict-s-v00@openssh.com` included).
    pub kex: Vec<String>,
    /// Host-key (signature) algorithms, in the server's order.
    pub host_key: Vec<String>,
    /// Ciphers, client to server.
    pub ciphers_c2s: Vec<String>,
    /// Ciphers, server to client.
    pub ciphers_s2c: Vec<String>,
    /// MACs, client to server.
    pub macs_c2s: Vec<String>,
    /// MACs, server to client.
    pub macs_s2c: Vec<String>,
    /// Compression, server to client.
    pub compression: Vec<String>,
    /// Whether the server said a guessed key-exchange packet follows.
    pub first_kex_packet_follows: bool,
    /// Why the server's KEXINIT could not be read, or null.
    pub error: Option<String>,
    /// A stable label for `error`.
    pub error_kind: Option<ErrorKind>,
}

impl SshObservation {
    /// True when the server's KEXINIT was read.
    pub fn complete(&self) -> bool {
        self.error.is_none()
    }
}

/// The software pqready names in its identification line.
const SOFTWARE: &str = concat!("pqready_", env!("CARGO_PKG_VERSION"));

/// SHA-1 groups no current OpenSSH offers by default, listed last so that
/// an old server still answers with its whole KEXINIT.
const LEGACY_KEX: &[&str] = &["diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"];

/// The newest OpenSSH profile's key exchange, without its pseudo-methods
/// (pqready signals no extension and no strict key exchange).
fn newest_openssh_kex() -> impl Iterator<Item = &'static str> {
    crate::catalog::ssh::SSH_CLIENTS
        .last()
        .map_or(&[][..], |p| p.kex)
        .iter()
        .copied()
        .filter(|k| !crate::wire::ssh::is_pseudo_kex(k))
}

/// The KEXINIT pqready sends: every method a current server might list,
/// post-quantum first, so that the server finds something in common and
/// answers in full rather than giving up early.
fn client_kexinit() -> KexInit {
    let v = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let both = |names: &[&str]| v(names);
    KexInit {
        // Zeros: the cookie only salts a key exchange that never happens.
        cookie: [0; 16],
        kex: newest_openssh_kex()
            .chain(LEGACY_KEX.iter().copied())
            .map(str::to_string)
            .collect(),
        host_key: v(&[
            "ssh-ed25519",
            "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521",
            "rsa-sha2-512",
            "rsa-sha2-256",
            "ssh-rsa",
        ]),
        ciphers_c2s: both(CIPHERS),
        ciphers_s2c: both(CIPHERS),
        macs_c2s: both(MACS),
        macs_s2c: both(MACS),
        compression_c2s: v(&["none", "zlib@openssh.com", "zlib"]),
        compression_s2c: v(&["none", "zlib@openssh.com", "zlib"]),
        ..KexInit::default()
    }
}

const CIPHERS: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-cbc",
    "aes256-cbc",
    "3des-cbc",
];

const MACS: &[&str] = &[
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "umac-128-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "umac-128@openssh.com",
    "hmac-sha1",
];

/// Packets the server may send before its KEXINIT (IGNORE, DEBUG) that are
/// skipped, at most.
const MAX_SKIPPED: usize = 16;

/// Probes `target` as an SSH server: resolve, one connection, identification
/// and KEXINIT both ways, DISCONNECT. Each step has `config.timeout`.
/// Always an observation; a failure is in its `ssh.error`.
pub async fn probe_ssh(
    target: &Target,
    config: &ProbeConfig,
    slot: Option<Arc<net::WorkSlot>>,
) -> TargetObservation {
    let started = Instant::now();
    let mut obs = TargetObservation::empty(None, None);
    obs.protocol = Protocol::Ssh;
    let mut ssh = SshObservation::default();
    match net::resolve(&target.host, target.port, config.timeout).await {
        Err(e) => fail(&mut ssh, &ProbeError::from(e)),
        Ok(addr) => {
            obs.address = Some(addr);
            let place = match &config.per_host {
                Some(cap) => cap.enter(addr.ip()).await,
                None => None,
            };
            if let Some(rate) = &config.rate {
                rate.wait().await;
            }
            obs.connections = 1;
            let began = Instant::now();
            match exchange(addr, config, &mut ssh).await {
                Ok(()) => {
                    if let Some(slot) = &slot {
                        slot.observe(addr.ip(), began.elapsed());
                    }
                }
                Err(e) => fail(&mut ssh, &e),
            }
            drop(place);
        }
    }
    drop(slot);
    obs.ssh = Some(ssh);
    obs.elapsed_ms = started.elapsed().as_millis() as u64;
    obs
}

fn fail(ssh: &mut SshObservation, e: &ProbeError) {
    ssh.error = Some(e.message.clone());
    ssh.error_kind = Some(e.kind);
}

/// One connection: what the server identified as and listed into `obs`
/// (as far as it got), or why not.
async fn exchange(
    addr: std::net::SocketAddr,
    config: &ProbeConfig,
    obs: &mut SshObservation,
) -> Result<(), ProbeError> {
    let mut conn = Conn::open(addr, config.timeout).await?;
    conn.set_deadline_in(config.timeout);
    let mut hello = ssh::client_identification(SOFTWARE);
    hello.extend(ssh::encode_packet(&client_kexinit().encode()));
    conn.write_all(&hello).await?;
    let result = read_server(&mut conn, obs).await;
    if result.is_ok() {
        // Hang up politely; the answer is already in hand, so a failure
        // to say goodbye changes nothing.
        let bye = ssh::encode_packet(&ssh::disconnect(
            ssh::DISCONNECT_BY_APPLICATION,
            "pqready: key-exchange probe done",
        ));
        let _ = conn.write_all(&bye).await;
    }
    result
}

/// Reads the server's identification, then packets up to its KEXINIT. The
/// buffer never outgrows what the parsers accept: an identification within
/// `MAX_PREAMBLE` plus one line, then one packet of at most `MAX_PACKET`.
async fn read_server(conn: &mut Conn, obs: &mut SshObservation) -> Result<(), ProbeError> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let ident = loop {
        match ssh::parse_identification(&buf) {
            Ok(Some((id, used))) => {
                buf.drain(..used);
                break id;
            }
            Ok(None) => {}
            Err(e) => return Err(not_ssh(&e, &buf)),
        }
        if let Err(mut e) = fill(conn, &mut buf, &mut chunk, "before its SSH identification").await
        {
            // Bytes and then the end, without an identification: an HTTP
            // or TLS server (its 400 page, its alert) behind ssh://.
            if e.kind == ErrorKind::Closed && !buf.is_empty() {
                e.kind = ErrorKind::NotSsh;
                e.message = format!("{} (it sent \"{}\")", e.message, printable(&buf));
            }
            return Err(e);
        }
    };
    obs.identification = Some(ident.line.clone());
    obs.software = Some(ident.software.clone());
    let mut skipped = 0;
    loop {
        match ssh::parse_packet(&buf) {
            Ok(Some((payload, used))) => {
                let payload = payload.to_vec();
                buf.drain(..used);
                match payload.first() {
                    Some(&ssh::MSG_KEXINIT) => {
                        let init = KexInit::parse(&payload).map_err(|e| malformed(&e))?;
                        obs.kex = init.kex;
                        obs.host_key = init.host_key;
                        obs.ciphers_c2s = init.ciphers_c2s;
                        obs.ciphers_s2c = init.ciphers_s2c;
                        obs.macs_c2s = init.macs_c2s;
                        obs.macs_s2c = init.macs_s2c;
                        obs.compression = init.compression_s2c;
                        obs.first_kex_packet_follows = init.first_kex_packet_follows;
                        return Ok(());
                    }
                    Some(&ssh::MSG_DISCONNECT) => {
                        let said = ssh::parse_disconnect(&payload)
                            .map(|(code, text)| format!("reason {code}: {text}"))
                            .unwrap_or_else(|_| "an undecodable DISCONNECT".into());
                        return Err(ProbeError::new(
                            ErrorKind::Closed,
                            format!("the SSH server disconnected before its KEXINIT ({said})"),
                        ));
                    }
                    Some(&ssh::MSG_IGNORE) | Some(&ssh::MSG_DEBUG) if skipped < MAX_SKIPPED => {
                        skipped += 1;
                    }
                    other => {
                        return Err(ProbeError::new(
                            ErrorKind::PeerMisbehaved,
                            format!(
                                "the SSH server sent message {} where its KEXINIT belongs",
                                other.map_or("(empty)".into(), |m| m.to_string())
                            ),
                        ))
                    }
                }
            }
            Ok(None) => fill(conn, &mut buf, &mut chunk, "before its KEXINIT").await?,
            Err(e) => return Err(malformed(&e)),
        }
    }
}

/// Reads more into `buf`; the end of the stream is an error `when`.
async fn fill(
    conn: &mut Conn,
    buf: &mut Vec<u8>,
    chunk: &mut [u8],
    when: &str,
) -> Result<(), ProbeError> {
    let n = conn.read_some(chunk).await.map_err(|e| {
        let mut err = ProbeError::from(e);
        err.message = format!("{} {when}", err.message);
        err
    })?;
    if n == 0 {
        return Err(ProbeError::new(
            ErrorKind::Closed,
            format!("the server closed the connection {when}"),
        ));
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn malformed(e: &SshError) -> ProbeError {
    let kind = match e {
        SshError::Version(_) => ErrorKind::PeerMisbehaved,
        _ => ErrorKind::Malformed,
    };
    ProbeError::new(kind, format!("not a usable SSH server: {e}"))
}

/// A server that answered, but not with an SSH identification: its first
/// bytes, printable, say what it is. An identification line that is there
/// but broken stays `malformed` (or `peer-misbehaved` for SSH 1).
fn not_ssh(e: &SshError, buf: &[u8]) -> ProbeError {
    let mut err = malformed(e);
    if matches!(e, SshError::TooLong(_)) {
        err.kind = ErrorKind::NotSsh;
    }
    err.message = format!("{} (it sent \"{}\")", err.message, printable(buf));
    err
}

/// The first 40 bytes of `buf`, non-printable ones as dots.
fn printable(buf: &[u8]) -> String {
    buf.iter()
        .take(40)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_the_newest_openssh_methods_then_the_legacy_groups() {
        let kex = client_kexinit().kex;
        assert_eq!(
            kex.first().map(String::as_str),
            Some("mlkem768x25519-sha256")
        );
        assert_eq!(
            &kex[kex.len() - 3..],
            [
                "diffie-hellman-group14-sha256",
                "diffie-hellman-group14-sha1",
                "diffie-hellman-group1-sha1"
            ]
        );
        assert_eq!(kex.len(), 14);
        assert!(!kex.iter().any(|k| crate::wire::ssh::is_pseudo_kex(k)));
    }

    #[test]
    fn the_client_kexinit_offers_pq_first_and_encodes_in_bounds() {
        let init = client_kexinit();
        assert!(crate::catalog::ssh::is_pq_kex(&init.kex[0]));
        let packet = ssh::encode_packet(&init.encode());
        assert!(packet.len() < ssh::MAX_PACKET as usize);
        let (payload, _) = ssh::parse_packet(&packet).unwrap().unwrap();
        assert_eq!(KexInit::parse(payload).unwrap(), init);
    }
}
