//! A running `pqready inspect` process on a loopback port: started with a
//! JSON Lines log and `--count`, read back when it exits.
#![allow(dead_code)] // each user compiles this file and uses part of it

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `pqready inspect` process.
pub struct Inspector {
    /// The process (tests signal it).
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its JSON Lines log.
    pub log: PathBuf,
    stderr: Option<std::thread::JoinHandle<String>>,
    _dir: tempfile::TempDir,
}

impl Inspector {
    /// Starts `pqready inspect --listen 127.0.0.1:0 --json-log LOG --count COUNT ARGS`.
    pub fn start(args: &[&str], count: usize) -> Inspector {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("clients.jsonl");
        let count = count.to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_pqready"))
            .args([
                "inspect",
                "--listen",
                "127.0.0.1:0",
                "--json-log",
                log.to_str().unwrap(),
                "--count",
                &count,
            ])
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pqready inspect");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let addr: SocketAddr = first
            .strip_prefix("pqready inspect: listening on ")
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
            .parse()
            .unwrap();
        let stderr = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            rest
        });
        Inspector {
            child,
            addr,
            log,
            stderr: Some(stderr),
            _dir: dir,
        }
    }

    /// The JSON Lines records written so far.
    pub fn records_so_far(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits until a record written so far satisfies `wanted` (at most 60 s;
    /// a condition, not a pause), and returns the records then.
    pub fn wait_for_record(&self, wanted: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let records = self.records_so_far();
            if records.iter().any(&wanted) || Instant::now() > deadline {
                return records;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the inspector as Ctrl-C or SIGTERM would, then [`Self::finish`]es.
    pub fn stop(self) -> (Vec<Value>, String, String) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        self.finish()
    }

    /// Waits for the process to exit (it stops after `--count` clients) and
    /// returns the JSON Lines records, the summary (stdout) and the live lines.
    pub fn finish(mut self) -> (Vec<Value>, String, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("inspect did not exit after its --count clients");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut summary = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut summary)
            .unwrap();
        let live = self.stderr.take().unwrap().join().unwrap();
        let records = std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (records, summary, live)
    }
}

impl Drop for Inspector {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
