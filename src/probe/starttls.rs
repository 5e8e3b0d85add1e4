//! Runs a target's STARTTLS preamble ([`crate::wire::starttls`]) on a fresh
//! connection, so that the TLS bytes that follow meet a server waiting for
//! them. Each read is bounded in time (the connection's deadline) and size
//! (the preamble's [`MAX_REPLY`]), and the number of steps is capped.

use crate::net::{Conn, NetError};
use crate::wire::starttls::{Preamble, Progress, MAX_REPLY};

/// More steps than any protocol's preamble takes (a server sending
/// untagged IMAP lines one by one, say) is a server stalling.
const MAX_STEPS: usize = 64;

/// Drives `preamble` on `conn` until TLS may begin. A refusal or a server
/// that does not speak the protocol is [`NetError::NoStartTls`] with the
/// server's words; a timeout or a close is the network's error.
pub async fn run(conn: &mut Conn, mut preamble: Preamble) -> Result<(), NetError> {
    let protocol = preamble.protocol();
    let opening = preamble.opening();
    if !opening.is_empty() {
        conn.write_all(&opening).await?;
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 4096];
    let mut steps = 0;
    loop {
        let room = (MAX_REPLY + 1)
            .saturating_sub(buf.len())
            .clamp(1, chunk.len());
        let n = conn.read_some(&mut chunk[..room]).await?;
        if n == 0 {
            return Err(NetError::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
        loop {
            steps += 1;
            if steps > MAX_STEPS {
                return Err(NetError::NoStartTls(format!(
                    "the {protocol} preamble took more than {MAX_STEPS} steps"
                )));
            }
            match preamble.on_reply(&buf) {
                Progress::NeedMore => break,
                Progress::Proceed { consumed, send } => {
                    buf.drain(..consumed.min(buf.len()));
                    if !send.is_empty() {
                        conn.write_all(&send).await?;
                    }
                    if buf.is_empty() {
                        break;
                    }
                }
                Progress::Ready { send } => {
                    if !send.is_empty() {
                        conn.write_all(&send).await?;
                    }
                    tracing::debug!(%protocol, "STARTTLS accepted");
                    return Ok(());
                }
                Progress::Refused(words) => {
                    return Err(NetError::NoStartTls(format!(
                        "the server refused {protocol} STARTTLS: {words}{}",
                        hint(&preamble, &words)
                    )))
                }
                Progress::Garbage(words) => {
                    return Err(NetError::NoStartTls(format!(
                        "the server does not speak {protocol}: {words}"
                    )))
                }
            }
        }
    }
}

/// What to do about a refusal the user can fix: an XMPP stream is
/// addressed to a domain, and a target given by its IP address names none.
fn hint(preamble: &Preamble, words: &str) -> &'static str {
    let addressed_by_ip = preamble.domain().parse::<std::net::IpAddr>().is_ok();
    if preamble.protocol() == crate::vocab::Protocol::Xmpp
        && addressed_by_ip
        && words.contains("host-unknown")
    {
        " (the stream was addressed to the IP address: give the XMPP domain with --sni)"
    } else {
        ""
    }
}
