//! JA4 TLS client fingerprints (FoxIO's JA4 specification, TCP variant).
//!
//! `t` + TLS version (highest in supported_versions, else legacy_version) +
//! `d`/`i` (SNI present or not) + two-digit cipher count + two-digit extension
//! count (GREASE excluded, SNI and ALPN included) + first and last character of
//! the first ALPN value (`00` when none), then `_` and the first 12 hex digits
//! of SHA-256 over the sorted cipher list, then `_` and the same over the
//! sorted extension list without SNI and ALPN, followed by `_` and the
//! signature algorithms in their original order. Pure function of a hello.

use crate::wire::registry::is_grease;
use crate::wire::{ClientHello, ExtensionType, ProtocolVersion};

fn hash12(text: &str) -> String {
    if text.is_empty() {
        return "000000000000".into();
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    digest
        .as_ref()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn version_label(v: ProtocolVersion) -> &'static str {
    match v.0 {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        _ => "00",
    }
}

fn alpn_label(hello: &ClientHello) -> String {
    let first = hello.alpn().ok().and_then(|list| list.into_iter().next());
    match first {
        Some(proto) if !proto.is_empty() => {
            let (a, b) = (proto[0], proto[proto.len() - 1]);
            if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() {
                format!("{}{}", a as char, b as char)
            } else {
                let hex = format!("{a:02x}{b:02x}");
                format!("{}{}", &hex[..1], &hex[3..])
            }
        }
        _ => "00".into(),
    }
}

/// The JA4 fingerprint of a ClientHello sent over QUIC: as [`ja4`], with
/// the protocol letter `q` in place of `t`.
pub fn ja4_quic(hello: &ClientHello) -> String {
    let tcp = ja4(hello);
    match tcp.strip_prefix('t') {
        Some(rest) => format!("q{rest}"),
        None => tcp,
    }
}

/// The JA4 fingerprint of a ClientHello.
pub fn ja4(hello: &ClientHello) -> String {
    let version = hello
        .versions()
        .ok()
        .and_then(|vs| vs.into_iter().filter(|v| !is_grease(v.0)).max())
        .unwrap_or(hello.legacy_version);
    let sni = if hello
        .extensions
        .iter()
        .any(|e| e.typ == ExtensionType::SERVER_NAME)
    {
        "d"
    } else {
        "i"
    };
    let mut ciphers: Vec<u16> = hello
        .cipher_suites
        .iter()
        .map(|c| c.0)
        .filter(|c| !is_grease(*c))
        .collect();
    let extensions: Vec<u16> = hello
        .extensions
        .iter()
        .map(|e| e.typ.0)
        .filter(|e| !is_grease(*e))
        .collect();
    let a = format!(
        "t{}{sni}{:02}{:02}{}",
        version_label(version),
        ciphers.len().min(99),
        extensions.len().min(99),
        alpn_label(hello)
    );
    ciphers.sort_unstable();
    let cipher_text = ciphers
        .iter()
        .map(|c| format!("{c:04x}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut hashed_exts: Vec<u16> = extensions
        .into_iter()
        .filter(|e| *e != ExtensionType::SERVER_NAME.0 && *e != ExtensionType::ALPN.0)
        .collect();
    hashed_exts.sort_unstable();
    let mut ext_text = hashed_exts
        .iter()
        .map(|e| format!("{e:04x}"))
        .collect::<Vec<_>>()
        .join(",");
    let sigs: Vec<String> = hello
        .signature_schemes()
        .unwrap_or_default()
        .iter()
        .map(|s| format!("{:04x}", s.0))
        .collect();
    if !sigs.is_empty() {
        ext_text.push('_');
        ext_text.push_str(&sigs.join(","));
    }
    format!("{a}_{}_{}", hash12(&cipher_text), hash12(&ext_text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::{put_u16_list, put_vec_u16, put_vec_u8};
    use crate::wire::{CipherSuite, Extension};

    fn ext(typ: u16, body: Vec<u8>) -> Extension {
        Extension {
            typ: ExtensionType(typ),
            body,
        }
    }

    /// A published Chrome 143 fingerprint: t13d1516h2_8daaf6152771_d8a2da3f94cd,
    /// rebuilt from its raw (ja4_r) form: the ciphers, the extensions in wire
    /// order and the signature algorithms.
    #[test]
    fn matches_a_published_chrome_fingerprint() {
        let ciphers = [
            0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
            0x009c, 0x009d, 0x002f, 0x0035,
        ];
        let order = [
            0x002d, 0x0033, 0x0010, 0xfe0d, 0x0017, 0x44cd, 0x0000, 0x000b, 0x000a, 0x002b, 0xff01,
            0x0023, 0x0012, 0x0005, 0x000d, 0x001b,
        ];
        let sigs = [
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ];
        let mut extensions = vec![ext(0x3a3a, vec![])]; // GREASE is ignored
        for t in order {
            let body = match t {
                0x0010 => {
                    let mut list = Vec::new();
                    put_vec_u8(&mut list, b"h2");
                    put_vec_u8(&mut list, b"http/1.1");
                    let mut b = Vec::new();
                    put_vec_u16(&mut b, &list);
                    b
                }
                0x000d => {
                    let mut b = Vec::new();
                    put_u16_list(&mut b, &sigs);
                    b
                }
                0x002b => vec![4, 0x03, 0x04, 0x03, 0x03],
                _ => vec![],
            };
            extensions.push(ext(t, body));
        }
        let mut suites: Vec<CipherSuite> = vec![CipherSuite(0x4a4a)];
        suites.extend(ciphers.iter().map(|c| CipherSuite(*c)));
        let hello = ClientHello {
            legacy_version: ProtocolVersion::TLS1_2,
            random: [0; 32],
            session_id: vec![],
            cipher_suites: suites,
            extensions,
        };
        assert_eq!(ja4(&hello), "t13d1516h2_8daaf6152771_d8a2da3f94cd");
    }

    #[test]
    fn fingerprints_a_bare_hello() {
        let hello = ClientHello {
            legacy_version: ProtocolVersion::TLS1_2,
            random: [0; 32],
            session_id: vec![],
            cipher_suites: vec![],
            extensions: vec![],
        };
        assert_eq!(ja4(&hello), "t12i000000_000000000000_000000000000");
    }
}
