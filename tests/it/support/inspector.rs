//! A running `pqready inspect` process on a loopback port: started with a
//! JSON Lines log and `--count`, read back when it exits.
#![allow(dead_code)] // each user compiles this file and uses part of it

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
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

    /// Waits (at most 60 s) until `n` records were written, and returns them.
    /// A record is written when its session's answer is known, which can be
    /// after the client exited: a test that runs clients one by one and waits
    /// for each one's record gets the records in the order of its clients.
    pub fn wait_for_records(&self, n: usize) -> Vec<Value> {
        self.wait_for_matching(n, |_| true)
    }

    /// Waits (at most 60 s) until `n` records satisfy `wanted`; returns all.
    pub fn wait_for_matching(&self, n: usize, wanted: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let records = self.records_so_far();
            let matching = records.iter().filter(|r| wanted(r)).count();
            if matching >= n {
                return records;
            }
            assert!(
                Instant::now() < deadline,
                "{matching} of {n} records after 60 s: {records:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (at most 60 s) until the inspector has accepted `client`'s
    /// connection: a condition, so a test can order its clients without
    /// guessing how long the accept loop takes under load.
    pub fn wait_accepted(&self, client: &TcpStream) {
        self.wait_server_side(client, "accepted", |s| s.accepted);
    }

    /// Waits (at most 60 s) until the inspector has read every byte `client`
    /// sent so far, so the next write reaches it as a read of its own.
    pub fn wait_read(&self, client: &TcpStream) {
        self.wait_server_side(client, "read everything sent", |s| {
            s.accepted && s.unread == 0 && s.client_unacked == 0
        });
    }

    fn wait_server_side(&self, client: &TcpStream, what: &str, done: impl Fn(&ServerSide) -> bool) {
        let client = client.local_addr().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let side = server_side(self.addr, client);
            if side.as_ref().is_some_and(&done) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the inspector never {what} for {client}: {side:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
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

/// The server's side of one loopback connection, as Linux shows it in
/// /proc/net/tcp (the kernel's own state: no timing involved).
#[derive(Debug)]
pub struct ServerSide {
    /// accept(2) returned it: a socket still in the accept queue has inode 0.
    pub accepted: bool,
    /// Bytes received that the server has not read yet (rx_queue).
    pub unread: u64,
    /// Bytes the client sent that the server's kernel has not acknowledged
    /// (the client's tx_queue): zero once they are all in `unread` or read.
    pub client_unacked: u64,
}

/// The connection between `server` (listening) and `client`, if it exists.
pub fn server_side(server: SocketAddr, client: SocketAddr) -> Option<ServerSide> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let (s, c) = (proc_addr(server), proc_addr(client));
    // Columns: sl local remote st tx_queue:rx_queue tr:when retrnsmt uid timeout inode.
    let queues = |row: &Vec<&str>| {
        let (tx, rx) = row[4].split_once(':').unwrap();
        (
            u64::from_str_radix(tx, 16).unwrap(),
            u64::from_str_radix(rx, 16).unwrap(),
        )
    };
    let server_row = rows.iter().find(|r| r[1] == s && r[2] == c)?;
    let client_row = rows.iter().find(|r| r[1] == c && r[2] == s)?;
    Some(ServerSide {
        accepted: server_row[9] != "0",
        unread: queues(server_row).1,
        client_unacked: queues(client_row).0,
    })
}

/// `ADDR:PORT` as /proc/net/tcp writes an IPv4 address: the address's
/// bytes as a native-endian word, the port big-endian, both in hex.
fn proc_addr(a: SocketAddr) -> String {
    let SocketAddr::V4(v4) = a else {
        panic!("{a}: only IPv4 loopback is looked up in /proc/net/tcp")
    };
    format!(
        "{:08X}:{:04X}",
        u32::from_ne_bytes(v4.ip().octets()),
        v4.port()
    )
}
