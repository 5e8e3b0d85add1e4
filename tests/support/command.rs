//! Running the built `pqready` binary: its output, or its JSON Lines.
#![allow(dead_code)] // each user compiles this file and uses part of it

use serde_json::Value;
use std::process::{Command, Output};

/// `pqready ARGS` with NO_COLOR=1.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pqready")
}

/// `pqready ARGS`, which must succeed, one JSON value per output line.
pub fn json_lines(args: &[&str]) -> Vec<Value> {
    let out = run(args);
    assert!(
        out.status.success(),
        "`pqready {}` failed ({}):\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}
