//! Property tests for the wire codec: every parser that reads peer bytes
//! returns (never panics) on arbitrary input, and the ClientHello builder and
//! parser round-trip for arbitrary specs.

use pqready::wire::client_hello::{ClientHello, ClientHelloSpec, Extension, KeyShareEntry};
use pqready::wire::record::{fragment, Alert, HandshakeReassembler, RecordHeader};
use pqready::wire::server_hello::server_key_exchange_curve;
use pqready::wire::{
    CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, ServerHello, SignatureScheme,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = ServerHello::parse(&bytes).map(|sh| (sh.selected_version(), sh.selected_share()));
        let _ = ClientHello::parse(&bytes).map(|ch| (ch.groups(), ch.key_shares(), ch.versions(), ch.server_name(), ch.signature_schemes()));
        let _ = Alert::parse(&bytes);
        let _ = server_key_exchange_curve(&bytes);
        if bytes.len() >= 5 {
            let _ = RecordHeader::parse(&bytes[..5].try_into().unwrap());
        }
        let mut re = HandshakeReassembler::new(1024);
        for chunk in bytes.chunks(7) {
            if re.push(chunk).is_err() { break; }
            while let Ok(Some(_)) = re.next_message() {}
        }
    }

    #[test]
    fn client_hello_round_trips(
        groups in proptest::collection::vec(any::<u16>(), 0..40),
        shares in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 1..1300)), 0..4),
        suites in proptest::collection::vec(any::<u16>(), 1..30),
        schemes in proptest::collection::vec(any::<u16>(), 0..30),
        sni in proptest::option::of("[a-z0-9.-]{1,60}"),
        alpn in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..20), 0..4),
        versions in proptest::sample::subsequence(vec![0x0304u16, 0x0303, 0x0302, 0x0301], 1..=4),
        pad_to in proptest::option::of(0usize..6000),
        extra in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let mut spec = ClientHelloSpec::tls13(
            groups.iter().copied().map(NamedGroup).collect(),
            shares.into_iter().map(|(g, payload)| KeyShareEntry { group: NamedGroup(g), payload }).collect(),
        );
        spec.cipher_suites = suites.into_iter().map(CipherSuite).collect();
        spec.signature_schemes = schemes.into_iter().map(SignatureScheme).collect();
        spec.server_name = sni;
        spec.alpn = alpn;
        spec.versions = versions.into_iter().map(ProtocolVersion).collect();
        spec.pad_to = pad_to;
        spec.extra_extensions = vec![Extension { typ: ExtensionType(0xfafa), body: extra }];
        let bytes = spec.encode();
        if let Some(target) = spec.pad_to {
            prop_assert!(bytes.len() >= target.min(bytes.len()));
        }
        let hello = ClientHello::parse(&bytes).unwrap();
        prop_assert_eq!(&hello.cipher_suites, &spec.cipher_suites);
        prop_assert_eq!(hello.groups().unwrap(), spec.groups.clone());
        prop_assert_eq!(hello.signature_schemes().unwrap(), spec.signature_schemes.clone());
        prop_assert_eq!(hello.server_name().unwrap(), spec.server_name.clone());
        if spec.versions.contains(&ProtocolVersion::TLS1_3) {
            prop_assert_eq!(hello.versions().unwrap(), spec.versions.clone());
            prop_assert_eq!(hello.key_shares().unwrap(), spec.key_shares.clone());
        } else {
            prop_assert!(hello.versions().unwrap().is_empty());
        }
        // Any record size carries the same hello.
        for size in [1usize, 5, 100, 16384] {
            let records = fragment(&bytes, size, ProtocolVersion::TLS1_0);
            let mut re = HandshakeReassembler::new(1 << 16);
            let mut rest = &records[..];
            while !rest.is_empty() {
                let header = RecordHeader::parse(&rest[..5].try_into().unwrap()).unwrap();
                re.push(&rest[5..5 + header.len]).unwrap();
                rest = &rest[5 + header.len..];
            }
            let msg = re.next_message().unwrap().unwrap();
            prop_assert_eq!(msg.typ, 1);
            prop_assert_eq!(&bytes[4..], &msg.body[..]);
        }
    }
}
