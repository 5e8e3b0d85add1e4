//! delay-wire: a userspace "wire" between two TUN devices that delays every
//! packet by a fixed time, for `scripts/bench --rtt MS` only.
//!
//! The slow-link benchmark (issue 14) wants a link with a real round-trip
//! time between a client and a server network namespace. The usual tool is
//! `tc qdisc add ... netem delay`, but the kernel of the bench machine has no
//! netem (CONFIG_NET_SCH_NETEM is not set, nor fq or etf), so nothing in the
//! kernel can hold packets back. TUN devices are there, so this program plays
//! the wire in user space: it opens two TUN devices (layer 3, no packet-info
//! header), prints `ready`, and then copies every packet read from one to the
//! other, each one exactly `--delay-ms` later (one way; the round trip is
//! twice that), in order. The bench moves each device into its own namespace
//! afterwards (`ip link set NAME netns NS`); the open file descriptors stay
//! attached to the devices.
//!
//! It is written by hand, on `libc` alone, because it is ~150 lines: one
//! reader and one writer thread per direction, joined by a channel of
//! (deadline, packet). Packets are opaque bytes; nothing here parses them.
//!
//! Usage: delay-wire --a NAME_A --b NAME_B --delay-ms D
//! Exits on SIGTERM or SIGINT, or when a device can no longer be read.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Largest packet a TUN device hands out (its MTU is far below this).
const BUF: usize = 65536;

/// Why the wire stops.
enum Stop {
    Signal(i32),
    ReadFailed(String, io::Error),
}

fn usage() -> ! {
    eprintln!("usage: delay-wire --a NAME_A --b NAME_B --delay-ms D");
    std::process::exit(2);
}

/// Opens /dev/net/tun and attaches it to the TUN device NAME (created if
/// needed; it goes away when the descriptor is closed).
fn open_tun(name: &str) -> io::Result<File> {
    if name.is_empty() || name.len() >= libc::IFNAMSIZ {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "bad interface name",
        ));
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")?;
    // SAFETY: ifreq is plain old data; all zeroes is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
    // SAFETY: TUNSETIFF reads and writes one struct ifreq, which `req` is.
    if unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(file)
}

/// One direction of the wire: a reader that stamps each packet with the time
/// it is due, and a writer that sends it then.
fn direction(
    name: String,
    mut from: File,
    mut to: File,
    delay: Duration,
    stop: mpsc::Sender<Stop>,
) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    thread::spawn(move || {
        let mut buf = vec![0u8; BUF];
        loop {
            match from.read(&mut buf) {
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = stop.send(Stop::ReadFailed(name, e));
                    return;
                }
            }
        }
    });
    thread::spawn(move || {
        // Ends when the reader is gone (its sender dropped).
        while let Ok((due, packet)) = rx.recv() {
            let now = Instant::now();
            if due > now {
                thread::sleep(due - now);
            }
            // A packet the other side refuses (device down, malformed) is
            // lost, as on a real wire.
            let _ = to.write(&packet);
        }
    });
}

fn main() {
    let (mut a, mut b, mut delay_ms) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--a" => a = Some(value),
            "--b" => b = Some(value),
            "--delay-ms" => delay_ms = Some(value.parse::<u64>().unwrap_or_else(|_| usage())),
            _ => usage(),
        }
    }
    let (Some(a), Some(b), Some(delay_ms)) = (a, b, delay_ms) else {
        usage()
    };
    let delay = Duration::from_millis(delay_ms);

    // Block the stop signals in every thread; one thread takes them with sigwait.
    // SAFETY: sigset_t is plain data, initialised by sigemptyset before use.
    let mut signals: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigemptyset(&mut signals);
        libc::sigaddset(&mut signals, libc::SIGTERM);
        libc::sigaddset(&mut signals, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_BLOCK, &signals, std::ptr::null_mut());
    }

    let open = |name: &str| {
        open_tun(name).unwrap_or_else(|e| {
            eprintln!("delay-wire: cannot open TUN device {name}: {e}");
            std::process::exit(1);
        })
    };
    let (dev_a, dev_b) = (open(&a), open(&b));
    let clone = |f: &File| {
        f.try_clone().unwrap_or_else(|e| {
            eprintln!("delay-wire: dup: {e}");
            std::process::exit(1);
        })
    };
    let (stop_tx, stop_rx) = mpsc::channel();
    direction(
        a.clone(),
        clone(&dev_a),
        clone(&dev_b),
        delay,
        stop_tx.clone(),
    );
    direction(b.clone(), dev_b, dev_a, delay, stop_tx.clone());
    thread::spawn(move || {
        let mut sig: libc::c_int = 0;
        // SAFETY: `signals` is initialised and `sig` is a valid out pointer.
        if unsafe { libc::sigwait(&signals, &mut sig) } == 0 {
            let _ = stop_tx.send(Stop::Signal(sig));
        }
    });

    println!("ready");
    let _ = io::stdout().flush();

    match stop_rx.recv() {
        Ok(Stop::Signal(sig)) => eprintln!("delay-wire: signal {sig}, stopping"),
        Ok(Stop::ReadFailed(name, e)) => {
            eprintln!("delay-wire: reading {name} failed ({e}), stopping")
        }
        Err(_) => {}
    }
    // Returning ends the process and with it the blocked threads; closing the
    // descriptors removes the TUN devices.
}
