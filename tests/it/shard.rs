//! `--shard I/N`, end to end with the real binary: `probe` and `cluster`
//! runs split their targets (a cluster's components) so that the shards are
//! disjoint and together the whole list, and `pqready report` joins the
//! shards' JSON into what one unsharded run prints. Real peers on loopback
//! (Go `crypto/tls` servers) as the probed endpoints and kubelets, the test
//! API server of tests/it/support/apiserver.rs as the cluster.

use serde_json::Value;
use std::collections::BTreeSet;
use std::process::{Command, Output};
use support::apiserver::{Cluster, TestApiServer};
use support::{kubeconfig, peers};

use crate::support;
use support::command::save;

/// `pqready ARGS` without a kubeconfig or kubectl from the environment.
fn pqready(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pqready"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("PATH", "/usr/bin:/bin")
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .output()
        .expect("run pqready")
}

/// `pqready ARGS`, which must exit 0: its stdout.
fn stdout_of(args: &[&str]) -> String {
    let out = pqready(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "`pqready {}`: {stderr}",
        args.join(" ")
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// `pqready ARGS` must fail with exit 2 and one `pqready: error:` line: that line.
fn one_error_line(args: &[&str]) -> String {
    let out = pqready(args);
    support::command::one_error_line_of(&out, args)
}

/// The targets of `probe -o json` output (its JSON Lines without `kind`).
fn probed(jsonl: &str) -> Vec<String> {
    jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("kind").is_none())
        .map(|v| v["target"].as_str().unwrap().to_string())
        .collect()
}

/// A component's identity in a cluster document.
fn components(doc: &Value) -> Vec<String> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {} {}", c["category"], c["name"], c["address"]))
        .collect()
}

fn set(items: &[String]) -> BTreeSet<String> {
    items.iter().cloned().collect()
}

#[test]
fn probe_shards_partition_the_targets_and_report_joins_them() {
    if !peers::require(&["goserver-1.22", "goserver-1.23", "goserver-1.24"]) {
        return;
    }
    let servers: Vec<_> = ["1.22", "1.23", "1.24", "1.22", "1.23", "1.24"]
        .iter()
        .map(|v| peers::go_server(v))
        .collect();
    let targets: Vec<String> = servers.iter().map(|s| s.addr.to_string()).collect();
    let dir = tempfile::tempdir().unwrap();
    let list = save(dir.path(), "targets.txt", &targets.join("\n"));
    let mut reversed = targets.clone();
    reversed.reverse();
    let reversed = save(dir.path(), "reversed.txt", &reversed.join("\n"));
    let run = |file: &str, shard: Option<&str>| {
        let mut args = vec!["probe", "--targets-file", file, "--only", "groups"];
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        args.extend(["-o", "json"]);
        stdout_of(&args)
    };
    let whole = run(&list, None);
    assert_eq!(set(&probed(&whole)), set(&targets));

    let n = 3;
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    for i in 0..n {
        let shard = format!("{i}/{n}");
        let out = run(&list, Some(&shard));
        let mine = probed(&out);
        // The same shard of the list in another order holds the same targets.
        assert_eq!(
            set(&probed(&run(&reversed, Some(&shard)))),
            set(&mine),
            "{shard}"
        );
        for t in &mine {
            assert!(seen.insert(t.clone()), "{t} is in two shards");
        }
        files.push(save(dir.path(), &format!("shard-{i}.json"), &out));
    }
    assert_eq!(
        seen,
        set(&targets),
        "the shards together are the whole list"
    );

    // `pqready report` of the shards: every target once, as the unsharded run.
    let mut args = vec!["report"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["-o", "json"]);
    let joined = probed(&stdout_of(&args));
    assert_eq!(joined.len(), targets.len(), "each target once: {joined:?}");
    assert_eq!(set(&joined), set(&targets));
    // Other formats of the joined shards work as for any report.
    args.truncate(args.len() - 2);
    let table = stdout_of(&args);
    for t in &targets {
        assert!(table.contains(t.as_str()), "{t} in {table}");
    }
}

#[test]
fn cluster_shards_join_into_the_unsharded_document() {
    if !peers::require(&["goserver-1.22", "goserver-1.23", "goserver-1.24"]) {
        return;
    }
    let kubelets: Vec<_> = ["1.24", "1.22", "1.23", "1.24", "1.22"]
        .iter()
        .map(|v| peers::go_server(v))
        .collect();
    let mut cluster = Cluster::new();
    for (i, k) in kubelets.iter().enumerate() {
        cluster = cluster.node(&format!("node-{i}"), k.addr);
    }
    let server = TestApiServer::start(cluster);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig::token(dir.path(), &server);
    let config = config.to_str().unwrap();
    let audit = |shard: Option<&str>| {
        let mut args = vec!["cluster", "--kubeconfig", config, "--only", "groups"];
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        args.extend(["-o", "json"]);
        stdout_of(&args)
    };
    let whole: Value = serde_json::from_str(&audit(None)).unwrap();
    let all = components(&whole);
    assert_eq!(all.len(), 1 + kubelets.len(), "{all:?}");

    let n = 4;
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    for i in 0..n {
        let text = audit(Some(&format!("{i}/{n}")));
        let doc: Value = serde_json::from_str(&text).unwrap();
        // Cluster-level information is in every shard.
        assert_eq!(doc["cluster"], whole["cluster"]);
        assert_eq!(doc["hidden"], whole["hidden"]);
        assert_eq!(
            doc["summary"]["components"],
            doc["components"].as_array().unwrap().len()
        );
        for c in components(&doc) {
            assert!(seen.insert(c.clone()), "{c} is in two shards");
        }
        files.push(save(dir.path(), &format!("shard-{i}.json"), &text));
    }
    assert_eq!(seen, set(&all), "the shards together are the whole cluster");

    let mut args = vec!["report"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["-o", "json"]);
    let joined = stdout_of(&args);
    assert_eq!(joined.lines().count(), 1, "one document: {joined}");
    let joined: Value = serde_json::from_str(&joined).unwrap();
    assert_eq!(joined["kind"], "cluster");
    assert_eq!(joined["cluster"], whole["cluster"]);
    let listed = components(&joined);
    assert_eq!(listed.len(), all.len(), "each component once: {listed:?}");
    assert_eq!(set(&listed), set(&all));
    assert_eq!(
        listed[0], all[0],
        "the API server first, as discovery lists it"
    );
    assert_eq!(joined["summary"], whole["summary"]);
    let ids = |doc: &Value| {
        let mut ids: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["id"], f["detail"]))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&joined), ids(&whole));
    // Each shard computed the edges of the servers it probed: joined, they
    // are the unsharded run's, and so are the actions.
    let edges = |doc: &Value| {
        let mut edges: Vec<String> = doc["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        edges.sort();
        edges
    };
    assert_eq!(edges(&joined), edges(&whole));
    let of_kind = |kind: &str| {
        whole["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["client"]["kind"] == kind)
            .count()
    };
    // Each kubelet → the API server, the API server → each kubelet, and
    // each node's kube-proxy (these Nodes report kubeProxyVersion).
    assert_eq!(
        (
            of_kind("kubelet"),
            of_kind("kube-apiserver"),
            of_kind("kube-proxy")
        ),
        (kubelets.len(), kubelets.len(), kubelets.len())
    );
    assert_eq!(joined["actions"], whole["actions"]);
    // Re-reading the joined document is byte-identical, and the table works.
    let joined_text = serde_json::to_string(&joined).unwrap();
    let again = save(dir.path(), "joined.json", &joined_text);
    let reread: Value =
        serde_json::from_str(&stdout_of(&["report", &again, "-o", "json"])).unwrap();
    assert_eq!(reread, joined);
    args.truncate(args.len() - 2);
    let table = stdout_of(&args);
    assert!(
        table.contains("kube-apiserver") && table.contains("node-4"),
        "{table}"
    );

    // Documents of another cluster, or the same shard twice, are refused.
    let mut other: Value =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    other["cluster"]["server"] = Value::from("https://other.example:6443");
    let other = save(dir.path(), "other.json", &other.to_string());
    let err = one_error_line(&["report", &files[1], &other, "-o", "json"]);
    assert!(err.contains("different clusters"), "{err}");
    let whole_file = save(dir.path(), "whole.json", &whole.to_string());
    let err = one_error_line(&[
        "report",
        &whole_file,
        &files[0],
        &files[1],
        &files[2],
        &files[3],
    ]);
    assert!(err.contains("not shards of one run"), "{err}");
}

#[test]
fn bad_shard_values_give_one_error_line() {
    for bad in ["3/3", "a/b", "0/0", "1", "-1/4", "0/10001", "1/-2", ""] {
        let flag = format!("--shard={bad}");
        let err = one_error_line(&["probe", "127.0.0.1:9", &flag]);
        assert!(
            err.contains("--shard") && err.contains("I/N"),
            "{bad}: {err}"
        );
        let err = one_error_line(&["cluster", "--kubeconfig", "/nonexistent", &flag]);
        assert!(err.contains("--shard"), "{bad}: {err}");
    }
    let err = one_error_line(&["probe", "127.0.0.1:9", "--shard", "3/3"]);
    assert!(err.contains("0-based"), "{err}");
}
