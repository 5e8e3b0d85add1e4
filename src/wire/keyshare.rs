//! Real key shares for the groups pqready can generate, via aws-lc-rs.
//!
//! Owns: producing a fresh, valid client key share for a named group. Servers
//! check shares (ML-KEM encapsulation keys must pass the FIPS 203 modulus
//! check; EC points must be on the curve), so random bytes would be rejected
//! and would make a supporting server look like a refusing one.
//!
//! The private halves are dropped at once: probes read the server's answer,
//! they never finish the key exchange. Layouts follow draft-ietf-tls-ecdhe-mlkem
//! (X25519MLKEM768: ML-KEM first; SecP*: ECDH first) and the Kyber draft
//! (X25519 first; a Kyber768 round-3 public key has the same 1184-byte
//! encoding as an ML-KEM-768 encapsulation key, which servers accept).

use crate::wire::{KeyShareEntry, NamedGroup};
use aws_lc_rs::{agreement, kem};

/// True when [`key_share`] can produce a share for `group`.
pub fn can_generate(group: NamedGroup) -> bool {
    key_share(group).is_some()
}

/// A fresh client key share for `group`, or `None` if pqready cannot make one.
pub fn key_share(group: NamedGroup) -> Option<KeyShareEntry> {
    let payload = match group {
        NamedGroup::X25519 => ecdh(&agreement::X25519)?,
        NamedGroup::SECP256R1 => ecdh(&agreement::ECDH_P256)?,
        NamedGroup::SECP384R1 => ecdh(&agreement::ECDH_P384)?,
        NamedGroup::SECP521R1 => ecdh(&agreement::ECDH_P521)?,
        NamedGroup::MLKEM512 => mlkem(&kem::ML_KEM_512)?,
        NamedGroup::MLKEM768 => mlkem(&kem::ML_KEM_768)?,
        NamedGroup::MLKEM1024 => mlkem(&kem::ML_KEM_1024)?,
        NamedGroup::X25519MLKEM768 => {
            [mlkem(&kem::ML_KEM_768)?, ecdh(&agreement::X25519)?].concat()
        }
        NamedGroup::SECP256R1MLKEM768 => {
            [ecdh(&agreement::ECDH_P256)?, mlkem(&kem::ML_KEM_768)?].concat()
        }
        NamedGroup::SECP384R1MLKEM1024 => {
            [ecdh(&agreement::ECDH_P384)?, mlkem(&kem::ML_KEM_1024)?].concat()
        }
        NamedGroup::X25519KYBER768DRAFT00 => {
            [ecdh(&agreement::X25519)?, mlkem(&kem::ML_KEM_768)?].concat()
        }
        _ => return None,
    };
    Some(KeyShareEntry { group, payload })
}

fn ecdh(alg: &'static agreement::Algorithm) -> Option<Vec<u8>> {
    let private = agreement::PrivateKey::generate(alg).ok()?;
    Some(private.compute_public_key().ok()?.as_ref().to_vec())
}

fn mlkem(alg: &'static kem::Algorithm<kem::AlgorithmId>) -> Option<Vec<u8>> {
    let decaps = kem::DecapsulationKey::generate(alg).ok()?;
    let encaps = decaps.encapsulation_key().ok()?;
    Some(encaps.key_bytes().ok()?.as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::GROUPS;

    #[test]
    fn shares_have_registry_sizes() {
        let mut generated = 0;
        for info in GROUPS {
            if let Some(share) = key_share(info.group) {
                assert_eq!(share.payload.len(), info.client_share_len, "{}", info.name);
                generated += 1;
            }
        }
        assert_eq!(generated, 11);
        assert!(!can_generate(NamedGroup::X448));
        assert!(!can_generate(NamedGroup::FFDHE2048));
    }

    #[test]
    fn shares_are_fresh() {
        let a = key_share(NamedGroup::X25519MLKEM768).unwrap();
        let b = key_share(NamedGroup::X25519MLKEM768).unwrap();
        assert_ne!(a.payload, b.payload);
    }
}
