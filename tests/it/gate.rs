//! `--fail-on` and `--output-file` on the real binary: the gate's exit
//! status (1 when a finding at or above the threshold remains, 2 still
//! "could not run"), its line in the table and in JSON, and results written
//! to a file instead of standard output.

use crate::support;

use serde_json::Value;
use support::command::run;

fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_gate_fails_at_or_above_its_threshold() {
    // The demo servers' own certificates are P-256 until 2035: low findings
    // only, unless client profiles are replayed (high: silent downgrades).
    let low = run(&["demo", "--fail-on", "low", "-o", "json"]);
    assert_eq!(low.status.code(), Some(1));
    let docs = lines(&low.stdout);
    let gate = docs.last().unwrap();
    assert_eq!(gate["kind"], "gate");
    assert_eq!(gate["failed"], true);
    let findings: usize = docs[..docs.len() - 1]
        .iter()
        .map(|t| t["findings"].as_array().unwrap().len())
        .sum();
    assert_eq!(gate["findings_at_or_above"], findings as u64);
    assert_eq!(gate["findings"]["high"], 0);

    let high = run(&["demo", "--fail-on", "high"]);
    assert_eq!(
        high.status.code(),
        Some(0),
        "no high finding without --clients"
    );
    let text = String::from_utf8_lossy(&high.stdout);
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("gate: passed (--fail-on high): 0 findings"),
        "{text}"
    );

    let clients = run(&["demo", "--clients", "all", "--fail-on", "high"]);
    assert_eq!(clients.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&clients.stdout).contains("gate: FAILED (--fail-on high)"));

    // Without --fail-on nothing changes: exit 0, no gate line.
    let plain = run(&["demo", "--clients", "all", "-o", "json"]);
    assert_eq!(plain.status.code(), Some(0));
    assert!(lines(&plain.stdout).iter().all(|d| d["kind"] != "gate"));
}

#[test]
fn could_not_run_stays_exit_2() {
    // Nothing listens on a loopback port the OS just handed out and took back.
    let target = support::kubeconfig::closed_port().to_string();
    let out = run(&["probe", &target, "--fail-on", "low", "--timeout", "2s"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn results_go_to_the_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.json");
    let out = run(&[
        "demo",
        "--only",
        "groups",
        "-o",
        "json",
        "--output-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let docs = lines(&std::fs::read(&file).unwrap());
    assert_eq!(docs.len(), 4);
    assert!(docs.iter().all(|d| d["schema"] == "pqready/v1"));

    // A table written to a file has no colour codes.
    let table = dir.path().join("demo.txt");
    let out = run(&[
        "demo",
        "--only",
        "groups",
        "--output-file",
        table.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&table).unwrap();
    assert!(text.contains("pq-hybrid") && !text.contains('\u{1b}'));
}

#[test]
fn bad_gate_and_file_arguments_are_one_error_line() {
    for (args, needle) in [
        (
            &["demo", "--fail-on", "info"][..],
            "use low, medium or high",
        ),
        (
            &["matrix", "--fail-on", "low"][..],
            "--fail-on, --policy and --baseline need a command with findings",
        ),
        (
            &["demo", "--output-file", "/nonexistent-dir/x.json"][..],
            "cannot write --output-file /nonexistent-dir/x.json",
        ),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("pqready: error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{args:?}: {err}");
        assert!(errors[0].contains(needle), "{args:?}: {err}");
    }
}
