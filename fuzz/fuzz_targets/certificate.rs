//! X.509 certificates and the key and request parsers `pqready certs` runs
//! on every DER structure it finds in a file: certificates (then judged),
//! PKCS#10 requests, SubjectPublicKeyInfo and PKCS#1 public keys, PKCS#8,
//! encrypted PKCS#8, PKCS#1 and SEC1 private keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::assess::certs::{certificate, certificate_findings, CertRules};

fuzz_target!(|data: &[u8]| {
    if let Ok(facts) = pqready::pki::parse_certificate(data) {
        let rules = CertRules::default();
        let judged = certificate(&facts, &rules);
        let _ = certificate_findings(&judged, &rules);
        let _ = facts.key.describe();
    }
    pqready::pki::keys::fuzz_parse(data);
});
