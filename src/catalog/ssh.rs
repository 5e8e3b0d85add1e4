//! SSH facts: which key-exchange methods are post-quantum hybrids, and the
//! default key-exchange lists of the OpenSSH clients pqready replays.
//!
//! The lists are OpenSSH's `KEX_CLIENT_KEX` (myproposal.h) at each release
//! tag, plus the pseudo-methods its client appends (`ext-info-c` since 7.2,
//! `kex-strict-c-v00@openssh.com` since 9.6), which never match a method: 9.0
//! made `sntrup761x25519-sha512@openssh.com` the default, 9.9 added
//! `mlkem768x25519-sha256` (third) and the unsuffixed
//! `sntrup761x25519-sha512` alias, 10.0 put ML-KEM first and dropped
//! finite-field Diffie-Hellman from the server's defaults only. Debian 12's
//! OpenSSH 9.2 carries the 9.9 alias first, so it has its own profile.

/// A post-quantum hybrid SSH key exchange.
pub const PQ_KEX: &[&str] = &[
    "mlkem768x25519-sha256",
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
];

/// Whether `name` is a post-quantum hybrid key exchange.
pub fn is_pq_kex(name: &str) -> bool {
    PQ_KEX.contains(&name)
}

/// An SSH client's key-exchange offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SshClientProfile {
    /// Stable id, e.g. `openssh-10.0`.
    pub id: &'static str,
    /// For people.
    pub name: &'static str,
    /// Its KexAlgorithms, most preferred first, as sent in its KEXINIT.
    pub kex: &'static [&'static str],
}

const OPENSSH_9_0: &[&str] = &[
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
    "ext-info-c",
];

const OPENSSH_9_6: &[&str] = &[
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
    "ext-info-c",
    "kex-strict-c-v00@openssh.com",
];

const DEBIAN_12_OPENSSH_9_2: &[&str] = &[
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
    "ext-info-c",
    "kex-strict-c-v00@openssh.com",
];

const OPENSSH_9_9: &[&str] = &[
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
    "ext-info-c",
    "kex-strict-c-v00@openssh.com",
];

const OPENSSH_10_0: &[&str] = &[
    "mlkem768x25519-sha256",
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
    "ext-info-c",
    "kex-strict-c-v00@openssh.com",
];

/// The OpenSSH client profiles, oldest first: one per release, since a
/// reader looks up the version they run (equal lists are equal here too).
pub const SSH_CLIENTS: &[SshClientProfile] = &[
    openssh("openssh-9.0", "OpenSSH 9.0", OPENSSH_9_0),
    openssh("openssh-9.1", "OpenSSH 9.1", OPENSSH_9_0),
    openssh("openssh-9.2", "OpenSSH 9.2", OPENSSH_9_0),
    openssh(
        "openssh-9.2-debian12",
        "OpenSSH 9.2 (Debian 12)",
        DEBIAN_12_OPENSSH_9_2,
    ),
    openssh("openssh-9.3", "OpenSSH 9.3", OPENSSH_9_0),
    openssh("openssh-9.4", "OpenSSH 9.4", OPENSSH_9_0),
    openssh("openssh-9.5", "OpenSSH 9.5", OPENSSH_9_0),
    openssh("openssh-9.6", "OpenSSH 9.6", OPENSSH_9_6),
    openssh("openssh-9.7", "OpenSSH 9.7", OPENSSH_9_6),
    openssh("openssh-9.8", "OpenSSH 9.8", OPENSSH_9_6),
    openssh("openssh-9.9", "OpenSSH 9.9", OPENSSH_9_9),
    openssh("openssh-10.0", "OpenSSH 10.0", OPENSSH_10_0),
    openssh("openssh-10.1", "OpenSSH 10.1", OPENSSH_10_0),
    openssh("openssh-10.2", "OpenSSH 10.2", OPENSSH_10_0),
];

const fn openssh(
    id: &'static str,
    name: &'static str,
    kex: &'static [&'static str],
) -> SshClientProfile {
    SshClientProfile { id, name, kex }
}

/// The profile with `id`.
pub fn ssh_client(id: &str) -> Option<&'static SshClientProfile> {
    SSH_CLIENTS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_offers_pq_first_and_ids_are_unique() {
        for (i, p) in SSH_CLIENTS.iter().enumerate() {
            assert!(is_pq_kex(p.kex[0]), "{}", p.id);
            assert!(
                SSH_CLIENTS[..i].iter().all(|q| q.id != p.id),
                "duplicate {}",
                p.id
            );
        }
        assert_eq!(
            ssh_client("openssh-10.0").unwrap().kex[0],
            "mlkem768x25519-sha256"
        );
        assert!(!ssh_client("openssh-9.8")
            .unwrap()
            .kex
            .contains(&"mlkem768x25519-sha256"));
    }
}
