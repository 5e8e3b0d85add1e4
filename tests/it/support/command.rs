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

/// `pqready ARGS` as an operator's shell runs it for a cluster: PATH holding
/// only `path_dirs` (where the local kubectl is) and the system dirs, no
/// KUBECONFIG and a HOME without one, NO_COLOR=1.
pub fn run_with_path(args: &[&str], path_dirs: &[&std::path::Path]) -> Output {
    let mut path: Vec<std::path::PathBuf> = path_dirs.iter().map(|p| p.to_path_buf()).collect();
    path.extend(["/usr/bin", "/bin"].map(std::path::PathBuf::from));
    Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("PATH", std::env::join_paths(path).unwrap())
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .output()
        .expect("run pqready")
}

/// `pqready ARGS` with NO_COLOR=1, `input` on standard input.
pub fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run pqready");
    let mut stdin = child.stdin.take().unwrap();
    // A command that exits before reading all of it closes the pipe: not an error here.
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().unwrap()
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

/// The one `pqready: error:` line of a run that must fail with exit status
/// 2 and print nothing else (`args` name the run in the message).
pub fn one_error_line_of(out: &Output, args: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "`pqready {}`: {stderr}",
        args.join(" ")
    );
    assert!(out.stdout.is_empty(), "no output on error");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("pqready: error: "), "{stderr}");
    stderr
}

/// Writes `text` to `dir/name` and returns the path as a string argument.
pub fn save(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}
