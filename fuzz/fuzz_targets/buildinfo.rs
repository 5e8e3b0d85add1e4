//! Go build info: executable containers (ELF, Mach-O, PE) and the buildinfo
//! blob `pqready binaries` reads from files it finds on disk.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pqready::gobin::buildinfo::fuzz_parse(data);
});
