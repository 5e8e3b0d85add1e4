//! The content reader of `pqready certs` on arbitrary file content: the
//! sniffer, PEM blocks, DER, YAML and JSON documents (kubeconfigs, Secrets,
//! Lists), base64 fields; then the report and both renderings of the result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pqready::assess::certs::CertRules;
use pqready::pki::files::{read_bytes, Content, Limits, ReadOptions};
use pqready::report::cert_files::{self, FileReport, Summary};
use pqready::report::Style;

fuzz_target!(|data: &[u8]| {
    pqready::pki::files::fuzz_read(data);
    let options = ReadOptions {
        limits: Limits {
            max_items: 64,
            ..Limits::default()
        },
        given: true,
        base_dir: None,
        role: None,
    };
    if let Content::Facts(facts) = read_bytes("fuzz", data, &options) {
        let rules = CertRules::default();
        let assessed = pqready::assess::certs::file(&facts, &rules);
        let report = FileReport::of(facts, assessed);
        let mut summary = Summary::new(&rules.deadlines, rules.now);
        summary.add(&report);
        let _ = cert_files::file_block(&report, Style { color: true });
        let _ = cert_files::summary_lines(&summary);
        let _ = pqready::report::json::line(&report);
    }
});
