//! Go `crypto/tls` key-exchange defaults, as a function of the Go version and
//! GODEBUG. One function per question, shared by the client profiles, the
//! offline matrix and (later) Go binary analysis.
//!
//! Sources, all in the Go distribution's `src/crypto/tls/`:
//! - `defaults.go` `defaultCurvePreferences` (Go 1.23+; before that the list is
//!   in `common.go`): Go ≤1.22 `X25519, P-256, P-384, P-521`; Go 1.23 puts
//!   `X25519Kyber768Draft00` first unless `tlskyber=0`; Go 1.24 and 1.25 put
//!   `X25519MLKEM768` first unless `tlsmlkem=0`; Go 1.26 adds
//!   `SecP256r1MLKEM768, SecP384r1MLKEM1024` after it unless `tlssecpmlkem=0`.
//!   Go 1.27 keeps 1.26's list: it knows pure `MLKEM1024` (in
//!   `curvePreferenceOrder`) but `defaultCurveEnabled` leaves it off.
//! - `defaults.go` `defaultSupportedSignatureAlgorithms`: Go 1.27 puts
//!   `MLDSA44, MLDSA65, MLDSA87` first (TLS 1.3 only) and verifies ML-DSA
//!   certificates; no GODEBUG turns that off. See [`GO127_SIGNATURE_SCHEMES`].
//! - `handshake_client.go` `makeClientHello`: a key share for the first
//!   preference, plus a separate X25519 share when that first group is an
//!   X25519 hybrid (Kyber draft or X25519MLKEM768).
//! - `handshake_server_tls13.go`: Go ≤1.23 picks in its own order but takes
//!   any group the client sent a share for first; Go 1.24+ sorts mutually
//!   supported groups by "has a key share", then stably by "is post-quantum",
//!   so a post-quantum group wins even at the cost of a HelloRetryRequest.
//! - The go.mod `go` line decides the default GODEBUG: a module declaring
//!   `go 1.22` built with Go 1.23 behaves as `tlskyber=0`, and one declaring
//!   `go 1.23` or lower built with Go 1.24+ behaves as `tlsmlkem=0`.

use crate::vocab::Selection;
use crate::wire::NamedGroup;

/// The GODEBUG switches that change Go's key-exchange defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GoDebug {
    /// `tlskyber=0` (Go 1.23): no X25519Kyber768Draft00.
    pub tlskyber_off: bool,
    /// `tlsmlkem=0` (Go 1.24+): no ML-KEM hybrids at all.
    pub tlsmlkem_off: bool,
    /// `tlssecpmlkem=0` (Go 1.26+): no SecP256r1MLKEM768 / SecP384r1MLKEM1024.
    pub tlssecpmlkem_off: bool,
}

impl GoDebug {
    /// Reads the relevant switches from a GODEBUG string (`a=1,b=0`); later
    /// settings win, unknown keys are ignored.
    pub fn parse(text: &str) -> Self {
        let mut out = GoDebug::default();
        for pair in text.split(',') {
            let Some((key, value)) = pair.trim().split_once('=') else {
                continue;
            };
            let off = value.trim() == "0";
            match key.trim() {
                "tlskyber" => out.tlskyber_off = off,
                "tlsmlkem" => out.tlsmlkem_off = off,
                "tlssecpmlkem" => out.tlssecpmlkem_off = off,
                _ => {}
            }
        }
        out
    }

    /// The GODEBUG-style suffix used in profile ids (`+tlsmlkem=0`), empty when none.
    pub fn suffix(&self) -> String {
        let mut parts = Vec::new();
        if self.tlskyber_off {
            parts.push("+tlskyber=0");
        }
        if self.tlsmlkem_off {
            parts.push("+tlsmlkem=0");
        }
        if self.tlssecpmlkem_off {
            parts.push("+tlssecpmlkem=0");
        }
        parts.concat()
    }
}

/// The key-exchange GODEBUG defaults of a program built with Go `1.toolchain`
/// whose main module's go.mod declares `go 1.module` (or `godebug
/// default=go1.module`): every default that changed after the module's
/// version reverts to its old value (Go's `internal/godebugs` table:
/// `tlskyber` changed in 1.23, `tlsmlkem` in 1.24, `tlssecpmlkem` in 1.26).
pub fn default_godebug(toolchain: u32, module: u32) -> GoDebug {
    GoDebug {
        tlskyber_off: toolchain == 23 && module < 23,
        tlsmlkem_off: toolchain >= 24 && module < 24,
        tlssecpmlkem_off: toolchain >= 26 && module < 26,
    }
}

/// The Go minor versions pqready models (`go1.22` … `go1.27`): profiles,
/// server models and the matrix's default rows all come from this range.
pub const MINORS: std::ops::RangeInclusive<u32> = 22..=27;

/// The first Go release that offers ML-DSA signature schemes and verifies
/// ML-DSA certificates.
pub const FIRST_MLDSA_MINOR: u32 = 27;

/// Go 1.27's signature_algorithms in a ClientHello offering TLS 1.3 and 1.2,
/// in order: `defaultSupportedSignatureAlgorithms` (mldsa44, mldsa65,
/// mldsa87, RSA-PSS SHA-256, ECDSA P-256, Ed25519, RSA-PSS SHA-384/512,
/// PKCS#1 SHA-256/384/512, ECDSA P-384, P-521) without the SHA-1 pair, which
/// `isDisabledSignatureAlgorithm` drops since Go 1.25 (`tlssha1`). Captured
/// from the peer prefix's goclient-1.27 (Go 1.27.3, Debian sid);
/// tests/it/client_profiles.rs re-checks it on the wire.
pub const GO127_SIGNATURE_SCHEMES: [u16; 13] = [
    0x0904, 0x0905, 0x0906, 0x0804, 0x0403, 0x0807, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0503,
    0x0603,
];

/// The GODEBUG switches that exist in Go `1.minor` and change its key
/// exchange, as the variants worth modelling (`tlskyber=0`, `tlsmlkem=0`,
/// `tlssecpmlkem=0`).
pub fn switches(minor: u32) -> Vec<&'static str> {
    match minor {
        23 => vec!["tlskyber=0"],
        24 | 25 => vec!["tlsmlkem=0"],
        m if m >= 26 => vec!["tlsmlkem=0", "tlssecpmlkem=0"],
        _ => Vec::new(),
    }
}

const CLASSICAL: [NamedGroup; 4] = [
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
];

/// Go's default `CurvePreferences` for minor version `1.minor`.
pub fn default_curve_preferences(minor: u32, debug: GoDebug) -> Vec<NamedGroup> {
    let mut out = Vec::new();
    match minor {
        0..=22 => {}
        23 if !debug.tlskyber_off => out.push(NamedGroup::X25519KYBER768DRAFT00),
        23 => {}
        _ if debug.tlsmlkem_off => {}
        24 | 25 => out.push(NamedGroup::X25519MLKEM768),
        _ if debug.tlssecpmlkem_off => out.push(NamedGroup::X25519MLKEM768),
        _ => out.extend([
            NamedGroup::X25519MLKEM768,
            NamedGroup::SECP256R1MLKEM768,
            NamedGroup::SECP384R1MLKEM1024,
        ]),
    }
    out.extend(CLASSICAL);
    out
}

/// The key shares a Go client sends with its default preferences.
pub fn client_key_shares(minor: u32, debug: GoDebug) -> Vec<NamedGroup> {
    let prefs = default_curve_preferences(minor, debug);
    let first = prefs[0];
    let mut shares = vec![first];
    if matches!(
        first,
        NamedGroup::X25519MLKEM768 | NamedGroup::X25519KYBER768DRAFT00
    ) {
        shares.push(NamedGroup::X25519);
    }
    shares
}

/// How a Go TLS 1.3 server of this version chooses among offered groups.
pub fn server_selection(minor: u32) -> Selection {
    if minor >= 24 {
        Selection::PqThenKeyShareThenServerOrder
    } else {
        Selection::KeyShareThenServerOrder
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use NamedGroup as G;

    #[test]
    fn follows_go_defaults() {
        let none = GoDebug::default();
        assert_eq!(default_curve_preferences(22, none), CLASSICAL);
        assert_eq!(
            default_curve_preferences(23, none)[0],
            G::X25519KYBER768DRAFT00
        );
        assert_eq!(
            default_curve_preferences(23, GoDebug::parse("tlskyber=0")),
            CLASSICAL
        );
        assert_eq!(default_curve_preferences(24, none)[0], G::X25519MLKEM768);
        assert_eq!(
            default_curve_preferences(25, GoDebug::parse("x=1,tlsmlkem=0")),
            CLASSICAL
        );
        assert_eq!(default_curve_preferences(26, none).len(), 7);
        // MLKEM1024 alone is known to Go 1.27 but not enabled by default.
        assert_eq!(
            default_curve_preferences(27, none),
            default_curve_preferences(26, none)
        );
        assert!(!default_curve_preferences(27, none).contains(&G::MLKEM1024));
        assert_eq!(switches(27), switches(26));
        assert_eq!(
            default_curve_preferences(26, GoDebug::parse("tlssecpmlkem=0")).len(),
            5
        );
        assert_eq!(client_key_shares(24, none), [G::X25519MLKEM768, G::X25519]);
        assert_eq!(client_key_shares(22, none), [G::X25519]);
        assert_eq!(
            client_key_shares(23, none),
            [G::X25519KYBER768DRAFT00, G::X25519]
        );
    }

    #[test]
    fn derives_godebug_from_the_go_mod_line() {
        assert_eq!(default_godebug(23, 22), GoDebug::parse("tlskyber=0"));
        assert_eq!(default_godebug(23, 23), GoDebug::default());
        assert_eq!(default_godebug(24, 23), GoDebug::parse("tlsmlkem=0"));
        assert_eq!(default_godebug(26, 24), GoDebug::parse("tlssecpmlkem=0"));
        assert_eq!(
            default_godebug(26, 22),
            GoDebug::parse("tlsmlkem=0,tlssecpmlkem=0")
        );
        assert_eq!(default_godebug(22, 20), GoDebug::default());
    }

    #[test]
    fn parses_godebug_and_names_variants() {
        let d = GoDebug::parse("tlsmlkem=0, tlskyber=1");
        assert!(d.tlsmlkem_off && !d.tlskyber_off);
        assert_eq!(d.suffix(), "+tlsmlkem=0");
        assert_eq!(GoDebug::parse("tlsmlkem=0,tlsmlkem=1"), GoDebug::default());
    }
}
