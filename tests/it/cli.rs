//! The binary as a user meets it: exit codes, one-line errors, JSON Lines,
//! and `pqready demo` on a machine with no network (loopback only).

use std::process::Output;

use crate::support::command;
use crate::support::peers;

use command::run as pqready;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn demo_json_prints_one_object_per_server() {
    let out = pqready(&["demo", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = lines
        .iter()
        .map(|v| v["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["pq-hybrid", "classical-only", "pq-only", "tls12-only"]
    );
    let statuses: Vec<&str> = lines
        .iter()
        .map(|v| v["verdict"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pq", "classical", "pq", "classical"]);
    assert!(lines.iter().all(|v| v["schema"] == "pqready/v1"));
}

/// Issue #20: a missing argument printed "were not provided: (see --help)"
/// without naming it, and a bad `-o` did not list the formats. Each is one
/// line that says all of it.
#[test]
fn usage_errors_name_the_argument_and_the_choices() {
    for (args, needles) in [
        (
            vec!["certs"],
            vec!["required arguments were not provided: <PATH>..."],
        ),
        (
            vec!["probe", "-o", "yaml", "127.0.0.1:1"],
            vec![
                "invalid value 'yaml' for '--output <FORMAT>'",
                "[possible values: table, json, sarif, markdown, cbom, html]",
            ],
        ),
        (
            vec!["certs", "--deadlines", "nist", "-o", "yaml", "/"],
            vec!["possible values: table, json"],
        ),
        (
            vec![
                "inspect",
                "--listen",
                "127.0.0.1:0",
                "--cert-type",
                "mldsa66",
            ],
            vec!["possible values: mldsa44, mldsa65, mldsa87"],
        ),
    ] {
        let out = pqready(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert_eq!(err.matches("error:").count(), 1, "{err}");
        for needle in needles {
            assert!(err.contains(needle), "{args:?}: {needle}: {err}");
        }
    }
}

#[test]
fn demo_table_shows_verdicts_and_summary() {
    let out = pqready(&["demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("PQ key exchange: yes (X25519MLKEM768"),
        "{text}"
    );
    assert!(text.contains("PQ key exchange: no (TLSv1.2 only"), "{text}");
    assert!(text.contains("TARGET"), "{text}");
    assert!(!text.contains("\x1b["), "no colour when not a terminal");
}

#[test]
fn typo_gives_one_error_line_and_exit_2() {
    for args in [
        vec!["probe", "host:notaport"],
        vec!["probe"],
        vec!["probe", "--targets-file", "/nonexistent/targets.txt"],
        vec!["probe", "--timeout", "forever", "127.0.0.1:1"],
        vec!["probe", "--group", "0xZZZZ", "127.0.0.1:1"],
        vec!["probe", "--concurrency", "abc", "127.0.0.1:1"],
        vec!["probe", "--concurrency", "0", "127.0.0.1:1"],
        vec!["probe", "--max-concurrency", "0", "127.0.0.1:1"],
        vec![
            "probe",
            "--concurrency",
            "32",
            "--max-concurrency",
            "8",
            "127.0.0.1:1",
        ],
        vec!["cluster", "--max-concurrency", "0"],
        vec!["probe", "--sni", "bad name!", "127.0.0.1:1"],
        vec!["probe", "--sni", "10.0.0.1", "127.0.0.1:1"],
        vec!["probe", "--targets-file", "/dev/zero"],
        vec!["probe", "--skip", "everything", "127.0.0.1:1"],
        vec!["probe", "--only", "grups", "127.0.0.1:1"],
        vec![
            "probe",
            "--only",
            "groups",
            "--skip",
            "groups",
            "127.0.0.1:1",
        ],
        vec!["probe", "-o", "xml", "127.0.0.1:1"],
        vec!["probe", "--rate", "0", "127.0.0.1:1"],
        vec!["cluster", "--rate", "0"],
        vec!["probe", "--deadlines", "fips", "127.0.0.1:1"],
        vec!["demo", "--deadlines", ","],
        vec!["cluster", "--deadlines", "nist,fips"],
        vec!["probe", "-o", "json", "--json", "127.0.0.1:1"],
        vec![
            "inspect",
            "--listen",
            "127.0.0.1:0",
            "--max-hello",
            "18446744073709551615",
        ],
        vec!["inspect", "--listen", "127.0.0.1:0", "--count", "0"],
        vec!["inspect", "--listen", "not-an-address"],
        vec![
            "inspect",
            "--listen",
            "127.0.0.1:0",
            "--cert-type",
            "mldsa66",
        ],
        vec![
            "inspect",
            "--listen",
            "127.0.0.1:0",
            "--cert-type",
            "mldsa65",
            "--forward",
            "127.0.0.1:1",
        ],
        vec![
            "inspect",
            "--listen",
            "127.0.0.1:0",
            "--cert-type",
            "rsa2048",
            "--cert",
            "c.pem",
            "--key",
            "k.pem",
        ],
        vec!["certs"],
        vec!["certs", "/nonexistent/ca.crt"],
        vec!["certs", "--deadlines", "fips", "/"],
        vec!["certs", "--deadlines", "", "/"],
        vec!["nonsense-subcommand"],
    ] {
        let out = pqready(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("pqready: error: "), "{err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"));
    }
}

#[test]
fn failing_endpoint_is_reported_and_the_run_goes_on() {
    // Bound and never listening: refused for the whole test, and no other
    // test's listener can take the port (as it could a released one).
    let refusing = peers::RefusingPort::new();
    let closed = refusing.addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    std::fs::write(
        &file,
        format!("# one dead endpoint\n{closed}\n\n{closed}  # twice\n"),
    )
    .unwrap();
    let out = pqready(&[
        "probe",
        "--json",
        "--timeout",
        "1s",
        "--targets-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for v in &lines {
        assert_eq!(v["error"], "connection refused");
        assert_eq!(v["error_kind"], "refused");
        assert_eq!(v["verdict"]["status"], "error");
    }
}

/// On a terminal, a targets-file run shows how far it is (issue 25: a
/// 100,000-endpoint run must say where it stands). `script` gives pqready
/// a terminal; the bar is drawn to it and cleared at the end.
#[test]
fn a_terminal_sees_progress_through_a_targets_file() {
    if !peers::require(&["/usr/bin/script"]) {
        return;
    }
    let refusing = peers::RefusingPort::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    std::fs::write(&file, format!("{}\n", refusing.addr).repeat(50)).unwrap();
    let command = format!(
        "{} probe --only groups --targets-file {}",
        env!("CARGO_BIN_EXE_pqready"),
        file.display()
    );
    let out = std::process::Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{screen}");
    assert!(
        screen.contains("/50 probed"),
        "no progress on the terminal:\n{screen}"
    );
    // And the results themselves: a table, each dead endpoint once.
    assert_eq!(screen.matches("connection refused").count(), 50, "{screen}");
}

#[test]
fn profiles_json_lists_every_profile_with_share_sizes() {
    let out = pqready(&["profiles", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let profiles: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = profiles.iter().map(|p| p["id"].as_str().unwrap()).collect();
    for id in [
        "go1.22",
        "go1.23",
        "go1.24+tlsmlkem=0",
        "go1.26",
        "go1.27",
        "go1.27+tlsmlkem=0",
        "openssl3.0",
        "openssl3.5",
        "rustls0.23",
        "chrome",
        "firefox",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    for minor in 27..=37 {
        assert!(
            ids.contains(&format!("kubectl1.{minor}").as_str()),
            "kubectl1.{minor}"
        );
    }
    let k137 = profiles.iter().find(|p| p["id"] == "kubectl1.37").unwrap();
    assert_eq!(k137["based_on"], "go1.26");
    let go127 = profiles.iter().find(|p| p["id"] == "go1.27").unwrap();
    let go126 = profiles.iter().find(|p| p["id"] == "go1.26").unwrap();
    assert_eq!(go127["groups"], go126["groups"]);
    assert_eq!(go127["key_shares"], go126["key_shares"]);
    assert!(
        go127["description"]
            .as_str()
            .unwrap()
            .ends_with("accepts ML-DSA certificates"),
        "{go127}"
    );
    let k133 = profiles.iter().find(|p| p["id"] == "kubectl1.33").unwrap();
    assert_eq!(k133["based_on"], "go1.24");
    assert_eq!(k133["groups"][0], "X25519MLKEM768");
    assert_eq!(
        k133["key_shares"],
        serde_json::json!([{"group": "X25519MLKEM768", "length": 1216}, {"group": "x25519", "length": 32}])
    );
}

/// The table names Go 1.27 and kubectl 1.37 (a Go 1.26 build) and says
/// what tells Go 1.27 from Go 1.26, whose key exchange it shares.
#[test]
fn profiles_table_lists_go127_and_kubectl137() {
    let out = pqready(&["profiles"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let row = |id: &str| {
        text.lines()
            .filter(|l| l.split_whitespace().next() == Some(id))
            .collect::<Vec<_>>()
    };
    assert!(
        row("go1.27")
            .iter()
            .any(|l| l.contains("X25519MLKEM768(1216),x25519(32)")),
        "{text}"
    );
    assert!(
        row("go1.27").iter().any(|l| l.contains(
            "Go 1.27 crypto/tls client, default configuration; accepts ML-DSA certificates"
        )),
        "{text}"
    );
    assert!(
        row("kubectl1.37")
            .iter()
            .any(|l| l.contains("kubectl 1.37 (built with Go 1.26) = go1.26")),
        "{text}"
    );
}

#[test]
fn matrix_json_predicts_the_silent_downgrade() {
    let out = pqready(&[
        "matrix",
        "--json",
        "--clients",
        "kubectl1.32,kubectl1.33",
        "--servers",
        "k8s1.32,k8s1.33",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "pqready/v1");
    let cell = |client: &str, server: &str| {
        doc["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client"] == client && c["server"] == server)
            .unwrap()
            .clone()
    };
    assert_eq!(cell("kubectl1.32", "k8s1.33")["negotiated_group"], "x25519");
    assert_eq!(
        cell("kubectl1.32", "k8s1.32")["negotiated_group"],
        "X25519Kyber768Draft00"
    );
    assert_eq!(
        cell("kubectl1.33", "k8s1.33")["negotiated_group"],
        "X25519MLKEM768"
    );
    assert_eq!(cell("kubectl1.33", "k8s1.33")["pq"], true);
    assert_eq!(doc["cells"].as_array().unwrap().len(), 4);
}

#[test]
fn matrix_table_has_a_row_per_client() {
    let out = pqready(&["matrix"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("kubectl1.32") && l.contains("kyber")),
        "{text}"
    );
    assert!(text.contains("k8s1.36"), "{text}");
    assert!(text.contains("k8s1.37"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("go1.27")), "{text}");
}

#[test]
fn unknown_profile_or_server_is_a_usage_error() {
    for args in [
        vec!["probe", "--clients", "kubectl9.99", "127.0.0.1:1"],
        vec!["matrix", "--servers", "nginx0.1"],
        vec!["matrix", "--clients", ""],
    ] {
        let out = pqready(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn json_has_empty_clients_and_findings_without_the_clients_flag() {
    let out = pqready(&["demo", "--json"]);
    assert!(out.status.success());
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["clients"], serde_json::json!([]));
    // Only the certificates check's findings: none about client profiles.
    let findings = first["findings"].as_array().unwrap();
    let ids: Vec<&str> = findings.iter().filter_map(|f| f["id"].as_str()).collect();
    assert_eq!(ids, ["quantum-vulnerable-key"], "{first}");
    assert!(findings
        .iter()
        .all(|f| f["profiles"] == serde_json::json!([])));
}

#[test]
fn binaries_reads_the_machines_kubectl_builds() {
    if !peers::require(&["kubectl.1.32", "kubectl.1.33"]) {
        return;
    }
    let dir = peers::kubectl_dir().expect("kubectl on PATH");
    let k132 = dir.join("kubectl.1.32");
    let k133 = dir.join("kubectl.1.33");
    let out = pqready(&[
        "binaries",
        "--json",
        k132.to_str().unwrap(),
        k133.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "pqready/v1");
    let bins = doc["binaries"].as_array().unwrap();
    assert_eq!(bins.len(), 2);
    assert_eq!(bins[0]["go_version"], "go1.23.8");
    assert_eq!(bins[0]["verdict"], "draft-only");
    assert_eq!(
        bins[0]["pq_default_groups"],
        serde_json::json!(["X25519Kyber768Draft00"])
    );
    assert_eq!(bins[1]["go_version"], "go1.24.2");
    assert_eq!(bins[1]["verdict"], "pq");
    assert_eq!(doc["counts"]["go_binaries"], 2);
    for key in ["path", "main_module", "settings", "default_godebug"] {
        assert!(bins[1].get(key).is_some(), "{key}");
    }
}

#[test]
fn binaries_applies_a_runtime_godebug_and_rejects_missing_paths() {
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("kubelet.service");
    std::fs::write(
        &unit,
        "[Service]\nEnvironment=\"GODEBUG=tlsmlkem=0\"\nExecStart=/usr/bin/kubelet\n",
    )
    .unwrap();
    let me = std::env::current_exe().unwrap(); // a Rust binary: skipped, not an error
    let out = pqready(&[
        "binaries",
        "--godebug-from",
        unit.to_str().unwrap(),
        me.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("0 Go binaries, 1 other file skipped, 0 errors"));
    let out = pqready(&["binaries", "/nonexistent/bin"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1);
}

/// The check record `id` of one JSON report.
fn check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .expect("checks array")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

#[test]
fn only_groups_runs_group_discovery_alone_in_s_plus_2_connections() {
    let lines = command::json_lines(&["demo", "--only", "groups", "-o", "json"]);
    assert_eq!(lines.len(), 4);
    for r in &lines {
        let supported = r["groups"]["supported"].as_array().unwrap().len() as u64;
        assert!(supported > 0, "{r}");
        assert_eq!(check(r, "groups")["status"], "completed", "{r}");
        for other in [
            "selection",
            "versions",
            "handshake",
            "clients",
            "certificates",
            "hello-tolerance",
        ] {
            assert_eq!(check(r, other)["status"], "not-run", "{other}: {r}");
            assert_eq!(check(r, other)["connections"], 0, "{other}: {r}");
        }
        assert!(r["handshake"]["negotiated_group"].is_null());
        assert!(r["hello_tolerance"].is_null());
        assert!(r["authentication"].is_null());
        assert_eq!(r["certificates"].as_array().unwrap().len(), 0);
        assert_eq!(r["clients"].as_array().unwrap().len(), 0);
        // Elimination (S+1) plus one reversed offer for the server's order.
        let connections = r["connections"].as_u64().unwrap();
        assert_eq!(check(r, "groups")["connections"], connections);
        if r["target"] != "tls12-only" {
            assert_eq!(connections, supported + 2, "{r}");
        }
        assert_ne!(r["verdict"]["status"], "unknown");
    }
    let tls12 = lines.iter().find(|r| r["target"] == "tls12-only").unwrap();
    assert_eq!(tls12["tls_versions"], serde_json::json!(["TLSv1.2"]));
}

#[test]
fn every_check_reports_its_status_and_connections_add_up() {
    let lines = command::json_lines(&["demo", "--clients", "kubectl1.33", "--json"]);
    assert_eq!(lines.len(), 4);
    for r in &lines {
        let checks = r["checks"].as_array().unwrap();
        let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            [
                "groups",
                "selection",
                "versions",
                "handshake",
                "clients",
                "certificates",
                "hello-tolerance"
            ]
        );
        let sum: u64 = checks
            .iter()
            .map(|c| c["connections"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, r["connections"].as_u64().unwrap(), "{r}");
        for c in checks {
            let failed = c["status"] == "failed";
            assert_eq!(failed, !c["error_kind"].is_null(), "{c}");
        }
        assert_eq!(check(r, "clients")["status"], "completed", "{r}");
        // The demo servers hold one ECDSA certificate each: they refuse the
        // ML-DSA-only handshake with an alert, which completes the check.
        assert_eq!(check(r, "certificates")["status"], "completed", "{r}");
        assert_eq!(check(r, "certificates")["connections"], 2, "{r}");
        assert_eq!(r["authentication"]["mldsa"], false, "{r}");
        assert_eq!(r["authentication"]["classical"], true, "{r}");
        assert_eq!(r["certificates"][0]["role"], "leaf", "{r}");
        assert_eq!(r["certificates"][0]["quantum_safe"], false, "{r}");
    }
    // Every demo server completes rustls' PQ-first handshake (the TLS 1.2
    // one over TLS 1.2), so no check failed.
    assert!(lines
        .iter()
        .all(|r| check(r, "handshake")["status"] == "completed"));
}

#[test]
fn skipping_groups_leaves_the_verdict_to_the_handshake() {
    let lines = command::json_lines(&["demo", "--skip", "groups,hello-tolerance", "-o", "json"]);
    let status = |name: &str| {
        let r = lines.iter().find(|r| r["target"] == name).unwrap();
        assert_eq!(check(r, "selection")["status"], "not-run");
        r["verdict"]["status"].as_str().unwrap().to_string()
    };
    // A PQ-first handshake that negotiates ML-KEM proves PQ support...
    assert_eq!(status("pq-hybrid"), "pq");
    // ...one that does not proves nothing: not "classical".
    assert_eq!(status("classical-only"), "unknown");
}

#[test]
fn output_flag_and_json_alias_agree_on_every_command() {
    for args in [
        vec!["profiles"],
        vec![
            "matrix",
            "--clients",
            "kubectl1.32,kubectl1.33",
            "--servers",
            "k8s1.33",
        ],
    ] {
        let with = |flag: &[&str]| {
            let mut a: Vec<&str> = args.clone();
            a.extend_from_slice(flag);
            let out = pqready(&a);
            assert!(out.status.success(), "{a:?}: {}", stderr(&out));
            String::from_utf8(out.stdout).unwrap()
        };
        let json = with(&["-o", "json"]);
        assert_eq!(json, with(&["--json"]), "{args:?}");
        assert_eq!(json, with(&["--output", "json"]), "{args:?}");
        assert!(json
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
        let table = with(&["-o", "table"]);
        assert_eq!(table, with(&[]), "{args:?}");
        assert!(serde_json::from_str::<serde_json::Value>(table.lines().next().unwrap()).is_err());
    }
}

#[test]
fn verbose_logs_each_exchange_to_stderr_only() {
    let quiet = pqready(&["probe", "127.0.0.1:1", "-o", "json"]);
    let loud = pqready(&["probe", "127.0.0.1:1", "-o", "json", "-v"]);
    assert_eq!(quiet.status.code(), Some(2));
    assert_eq!(loud.status.code(), Some(2));
    let strip = |o: &Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (v["error_kind"].clone(), v["target"].clone())
    };
    assert_eq!(strip(&quiet), strip(&loud), "stdout is the same document");
    assert!(stderr(&quiet).is_empty(), "{}", stderr(&quiet));
    let log = stderr(&loud);
    assert!(
        log.contains("sending ClientHello") && log.contains("X25519MLKEM768"),
        "{log}"
    );
    assert!(log.contains("connection refused"), "{log}");
    let r: serde_json::Value = serde_json::from_slice(&loud.stdout).unwrap();
    assert_eq!(check(&r, "groups")["status"], "failed");
    assert_eq!(check(&r, "groups")["error_kind"], "refused");
}

/// The subcommands a user can type, read from the clap definitions.
fn subcommand_names() -> Vec<String> {
    use clap::CommandFactory;
    pqready::cli::Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect()
}

fn stdout_of(args: &[&str]) -> String {
    let out = pqready(args);
    assert!(
        out.status.success(),
        "pqready {}: {}",
        args.join(" "),
        stderr(&out)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn on_path(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Each shell's script names every subcommand and the flags of one, in that
/// shell's own syntax; a shell that is installed must also parse it.
#[test]
fn completions_name_the_subcommands_and_flags_for_each_shell() {
    let names = subcommand_names();
    assert!(names.iter().any(|n| n == "completions") && names.iter().any(|n| n == "man"));
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout_of(&["completions", shell]);
        for name in &names {
            let registered = match shell {
                // The subcommand list offered after `pqready `, and its own case.
                "bash" => script.contains(&format!("pqready,{name})")),
                "zsh" => script.contains(&format!("'{name}:")),
                _ => script.contains(&format!("__fish_pqready_needs_command\" -f -a \"{name}\"")),
            };
            assert!(registered, "{shell}: subcommand {name} missing:\n{script}");
        }
        for flag in ["fail-on", "targets-file", "only", "deadlines"] {
            let present = match shell {
                "bash" => script.contains(&format!("--{flag} ")),
                "zsh" => {
                    script.contains(&format!("'--{flag}="))
                        || script.contains(&format!("'*--{flag}="))
                }
                _ => script.contains(&format!(
                    "__fish_pqready_using_subcommand probe\" -l {flag} "
                )),
            };
            assert!(present, "{shell}: probe's --{flag} missing:\n{script}");
        }
        if on_path(shell) {
            let check = std::process::Command::new(shell)
                .args(["-n", "-c", &script])
                .output()
                .unwrap();
            assert!(check.status.success(), "{shell} -n: {}", stderr(&check));
        }
    }
    let bad = pqready(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("[possible values: bash, zsh, fish]"));
}

/// The bash script is sourced into a real bash and asked to complete
/// `pqready ` and `pqready probe --fail`, as the shell does on Tab.
#[test]
fn bash_completion_completes_subcommands_and_flags() {
    if !on_path("bash") {
        eprintln!("skipping: no bash on PATH");
        return;
    }
    let script = stdout_of(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pqready.bash");
    std::fs::write(&file, script).unwrap();
    let complete = |words: &str| -> Vec<String> {
        let program = format!(
            "source '{}'\nCOMP_WORDS=({words})\nCOMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
             COMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n\
             _pqready pqready \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &program])
            .output()
            .unwrap();
        assert!(out.status.success(), "bash: {}", stderr(&out));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let first = complete("pqready ''");
    for name in subcommand_names() {
        assert!(first.contains(&name), "{name} not offered: {first:?}");
    }
    let flags = complete("pqready probe --fail");
    assert_eq!(flags, ["--fail-on", "--fail-on-change"], "{flags:?}");
    let shells = complete("pqready completions ''");
    let values: Vec<&String> = shells.iter().filter(|w| !w.starts_with('-')).collect();
    assert_eq!(values, ["bash", "zsh", "fish"], "{shells:?}");
}

/// The roff page has the structure `man` expects and names every
/// subcommand; where groff is installed it renders without a warning.
fn assert_man_page(page: &str, title: &str, names: &[String]) {
    assert!(
        page.contains(&format!(".TH {title} 1 ")),
        "{title}: no .TH:\n{page}"
    );
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"] {
        assert!(page.contains(section), "{title}: no {section}:\n{page}");
    }
    for name in names {
        // roff escapes the dash of `pqready-probe(1)`.
        assert!(
            page.contains(&format!("pqready\\-{name}(1)")),
            "{title}: subcommand {name} missing:\n{page}"
        );
    }
    if on_path("groff") {
        use std::io::Write as _;
        // -k runs preconv, as man does, so UTF-8 help text is input, not noise.
        let mut child = std::process::Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "groff failed on {title}");
        assert!(
            out.stderr.is_empty(),
            "groff warns on {title}: {}",
            stderr(&out)
        );
    } else {
        eprintln!("groff not on PATH: checked the structure of {title} only");
    }
}

#[test]
fn man_page_renders_and_names_every_subcommand() {
    let names: Vec<String> = subcommand_names()
        .into_iter()
        .filter(|n| n != "help")
        .collect();
    let page = stdout_of(&["man"]);
    assert_man_page(&page, "pqready", &names);
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");

    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man1");
    stdout_of(&["man", "--dir", out_dir.to_str().unwrap()]);
    let top = std::fs::read_to_string(out_dir.join("pqready.1")).unwrap();
    assert_eq!(top, page, "--dir writes the same top page");
    for name in &names {
        let title = format!("pqready-{name}");
        let sub = std::fs::read_to_string(out_dir.join(format!("{title}.1")))
            .unwrap_or_else(|e| panic!("{title}.1: {e}"));
        assert_man_page(&sub, &title, &[]);
    }
    let probe = std::fs::read_to_string(out_dir.join("pqready-probe.1")).unwrap();
    for flag in ["\\-\\-fail\\-on", "\\-\\-targets\\-file", "\\-\\-deadlines"] {
        assert!(probe.contains(flag), "pqready-probe.1 lacks {flag}");
    }
    let pages = std::fs::read_dir(&out_dir).unwrap().count();
    assert_eq!(
        pages,
        names.len() + 1,
        "one page per subcommand and pqready.1"
    );
}

#[test]
fn version_names_the_release_and_the_commit_it_was_built_from() {
    let out = pqready(&["--version"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = String::from_utf8(out.stdout).unwrap();
    let expected_release = format!("pqready {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected_release), "{line}");
    let commit = line
        .trim_end()
        .trim_start_matches(&expected_release)
        .trim_end_matches(')');
    // The tests run from the checkout the binary was built from.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(head) => assert_eq!(commit, head),
        None => assert_eq!(commit, "unknown"),
    }
    let sub = pqready(&["probe", "--version"]);
    assert!(String::from_utf8_lossy(&sub.stdout).contains(&format!("(commit {commit})")));
}
