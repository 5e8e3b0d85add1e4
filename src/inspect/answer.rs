//! What the server answered a forwarded client, read off the upstream →
//! client byte stream while it is copied.
//!
//! Owns: turning the server's first flight into a [`ServerAnswer`] — the
//! selected version, whether a HelloRetryRequest came first, and the
//! key-exchange group (TLS 1.3 ServerHello key_share; TLS 1.2
//! ServerKeyExchange curve). Must not: touch sockets, delay or change the
//! bytes (the caller shows it each chunk as it copies it), or judge the result.
//! Bounded: it gives up after [`MAX_OBSERVED_BYTES`] or at the first thing it
//! cannot read, and then holds no buffers.

use crate::wire::server_hello::{
    server_key_exchange_curve, HANDSHAKE_SERVER_HELLO_DONE, HANDSHAKE_SERVER_KEY_EXCHANGE,
};
use crate::wire::{
    Event, FlightError, FlightLimits, FlightReader, NamedGroup, ProtocolVersion, Sender,
};

/// The most upstream bytes looked at per connection. A ServerHello is at
/// most a few KiB; a TLS 1.2 certificate chain before the ServerKeyExchange
/// rarely approaches this.
pub const MAX_OBSERVED_BYTES: usize = 64 * 1024;

/// The server's answer to a client's hello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerAnswer {
    /// The version the server selected.
    pub version: ProtocolVersion,
    /// A HelloRetryRequest came before the final ServerHello.
    pub hello_retry: bool,
    /// The key-exchange group of the final ServerHello (TLS 1.2: the
    /// ServerKeyExchange curve); `None` when the server named none (e.g.
    /// TLS 1.2 RSA key exchange).
    pub group: Option<NamedGroup>,
}

/// Where the observation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// More bytes are needed.
    Pending,
    /// Finished: the answer, or `None` when it could not be read (an alert,
    /// bytes that are not TLS, too many bytes before the hello).
    Done(Option<ServerAnswer>),
}

/// How many of the server's first bytes are kept to describe an answer that
/// is not TLS.
const HEAD_LEN: usize = 24;

/// Reads the server's side of one connection until its answer is known.
#[derive(Debug)]
pub struct AnswerObserver {
    reader: FlightReader,
    hello_retry: bool,
    /// A TLS 1.2 ServerHello waiting for its ServerKeyExchange.
    tls12_hello: Option<ProtocolVersion>,
    done: Option<Option<ServerAnswer>>,
    /// The server's first bytes, to describe a non-TLS answer.
    head: Vec<u8>,
    /// Why the answer could not be read, once it could not.
    why: Option<String>,
}

impl Default for AnswerObserver {
    fn default() -> Self {
        AnswerObserver {
            reader: FlightReader::new(
                Sender::Server,
                FlightLimits {
                    max_message: MAX_OBSERVED_BYTES,
                    max_total: MAX_OBSERVED_BYTES,
                },
            ),
            hello_retry: false,
            tls12_hello: None,
            done: None,
            head: Vec::new(),
            why: None,
        }
    }
}

impl AnswerObserver {
    /// Looks at the next bytes the server sent (as they are passed on).
    pub fn feed(&mut self, bytes: &[u8]) -> Observed {
        if let Some(done) = self.done {
            return Observed::Done(done);
        }
        let room = HEAD_LEN.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.reader.push(bytes);
        loop {
            let event = match self.reader.next_event() {
                Ok(Some(event)) => event,
                Ok(None) => return Observed::Pending,
                Err(FlightError::Header { first: true, .. }) => {
                    self.why = Some(format!(
                        "upstream not TLS: it sent {}",
                        super::capture::preview(&self.head)
                    ));
                    return self.finish(None);
                }
                Err(e) => {
                    self.why = Some(format!("upstream answer unreadable: {e}"));
                    return self.finish(None);
                }
            };
            if let Some(answer) = self.on_event(event) {
                return self.finish(answer);
            }
        }
    }

    /// The stream ended (or the caller stopped waiting) before the answer.
    pub fn give_up(&mut self) -> Option<ServerAnswer> {
        if let Some(done) = self.done {
            return done;
        }
        self.why = Some(if self.head.is_empty() {
            "upstream closed without answering".into()
        } else {
            "upstream closed before its answer was complete".into()
        });
        match self.finish(None) {
            Observed::Done(answer) => answer,
            Observed::Pending => None,
        }
    }

    /// Why the answer could not be read (`upstream not TLS: …`, `upstream
    /// closed …`, `upstream alert: …`); `None` while pending or once read.
    pub fn why(&self) -> Option<&str> {
        self.why.as_deref()
    }

    fn finish(&mut self, answer: Option<ServerAnswer>) -> Observed {
        self.reader.stop();
        self.done = Some(answer);
        Observed::Done(answer)
    }

    /// `Some` once the answer is decided.
    fn on_event(&mut self, event: Event) -> Option<Option<ServerAnswer>> {
        match event {
            Event::ServerHello(hello) if self.tls12_hello.is_none() => {
                let Ok(share) = hello.selected_share() else {
                    return Some(None);
                };
                if hello.is_hello_retry_request() {
                    // The final ServerHello follows the client's second hello.
                    self.hello_retry = true;
                    return None;
                }
                let Ok(version) = hello.selected_version() else {
                    return Some(None);
                };
                if version == ProtocolVersion::TLS1_3 {
                    return Some(Some(ServerAnswer {
                        version,
                        hello_retry: self.hello_retry,
                        group: share.map(|s| s.group),
                    }));
                }
                self.tls12_hello = Some(version);
                None
            }
            // Before a ServerHello, any other handshake message is out of order.
            Event::Handshake(_) if self.tls12_hello.is_none() => {
                self.why = Some("upstream answer out of order".into());
                Some(None)
            }
            Event::Handshake(msg) => {
                let version = self.tls12_hello?;
                match msg.typ {
                    HANDSHAKE_SERVER_KEY_EXCHANGE => match server_key_exchange_curve(&msg.body) {
                        Ok(group) => Some(Some(self.tls12(version, group))),
                        Err(_) => Some(None),
                    },
                    // A key exchange without a named curve (RSA) ends here.
                    HANDSHAKE_SERVER_HELLO_DONE => Some(Some(self.tls12(version, None))),
                    _ => None, // Certificate, CertificateStatus, CertificateRequest
                }
            }
            Event::ApplicationData(_) => Some(self.tls12_hello.map(|v| self.tls12(v, None))),
            // A compatibility change_cipher_spec (after a HelloRetryRequest).
            Event::ChangeCipherSpec => None,
            Event::Alert(alert) if alert.level == 1 => None,
            Event::Alert(alert) => {
                self.why = Some(format!("upstream alert: {}", alert.description));
                Some(None)
            }
            Event::ServerHello(_) | Event::ClientHello { .. } => {
                self.why = Some("upstream answer out of order".into());
                Some(None)
            }
            Event::RecordHeader(_) => None,
        }
    }

    fn tls12(&self, version: ProtocolVersion, group: Option<NamedGroup>) -> ServerAnswer {
        ServerAnswer {
            version,
            hello_retry: self.hello_retry,
            group,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::{put_u16, put_vec_u16, put_vec_u8};
    use crate::wire::record::{fragment, handshake_message};
    use crate::wire::server_hello::{HANDSHAKE_SERVER_HELLO, HELLO_RETRY_REQUEST_RANDOM};
    use crate::wire::testing::{server_hello_body, ECHOED_SESSION_ID};

    fn hello(random: [u8; 32], version: u16, key_share: Option<Vec<u8>>) -> Vec<u8> {
        let mut extensions = vec![(43, version.to_be_bytes().to_vec())];
        extensions.extend(key_share.map(|ks| (51, ks)));
        fragment(
            &handshake_message(
                HANDSHAKE_SERVER_HELLO,
                &server_hello_body(random, &ECHOED_SESSION_ID, 0x1301, &extensions),
            ),
            16384,
            ProtocolVersion::TLS1_2,
        )
    }

    fn share(group: u16, len: usize) -> Vec<u8> {
        let mut ks = Vec::new();
        put_u16(&mut ks, group);
        put_vec_u16(&mut ks, &vec![5; len]);
        ks
    }

    fn observe(chunks: &[&[u8]]) -> Observed {
        let mut observer = AnswerObserver::default();
        let mut last = Observed::Pending;
        for chunk in chunks {
            for byte in chunk.iter() {
                last = observer.feed(std::slice::from_ref(byte));
            }
        }
        last
    }

    #[test]
    fn reads_a_tls13_answer_byte_by_byte() {
        let sh = hello([3; 32], 0x0304, Some(share(0x11ec, 1120)));
        assert_eq!(
            observe(&[&sh]),
            Observed::Done(Some(ServerAnswer {
                version: ProtocolVersion::TLS1_3,
                hello_retry: false,
                group: Some(NamedGroup::X25519MLKEM768),
            }))
        );
    }

    #[test]
    fn reports_the_final_group_after_a_hello_retry_request() {
        let hrr = hello(HELLO_RETRY_REQUEST_RANDOM, 0x0304, Some(vec![0, 0x1d]));
        let ccs = [20, 3, 3, 0, 1, 1];
        assert_eq!(observe(&[&hrr, &ccs]), Observed::Pending);
        let sh = hello([3; 32], 0x0304, Some(share(0x1d, 32)));
        assert_eq!(
            observe(&[&hrr, &ccs, &sh]),
            Observed::Done(Some(ServerAnswer {
                version: ProtocolVersion::TLS1_3,
                hello_retry: true,
                group: Some(NamedGroup::X25519),
            }))
        );
    }

    #[test]
    fn reads_the_tls12_curve_from_the_server_key_exchange() {
        let sh = hello([3; 32], 0x0303, None);
        let mut cert = vec![0u8; 3];
        cert.extend_from_slice(&[0; 100]);
        let mut ske = vec![3, 0x00, 0x17];
        put_vec_u8(&mut ske, &[4; 65]);
        let rest = fragment(
            &[
                handshake_message(11, &cert),
                handshake_message(HANDSHAKE_SERVER_KEY_EXCHANGE, &ske),
            ]
            .concat(),
            16384,
            ProtocolVersion::TLS1_2,
        );
        assert_eq!(
            observe(&[&sh, &rest]),
            Observed::Done(Some(ServerAnswer {
                version: ProtocolVersion::TLS1_2,
                hello_retry: false,
                group: Some(NamedGroup::SECP256R1),
            }))
        );
    }

    #[test]
    fn an_alert_or_garbage_is_an_unreadable_answer() {
        let mut observer = AnswerObserver::default();
        assert_eq!(
            observer.feed(&[21, 3, 3, 0, 2, 2, 40]),
            Observed::Done(None)
        );
        assert_eq!(observer.why(), Some("upstream alert: handshake_failure"));
        let mut observer = AnswerObserver::default();
        assert_eq!(observer.feed(b"HTTP/1.1 400 Bad"), Observed::Done(None));
        assert_eq!(
            observer.why(),
            Some("upstream not TLS: it sent \"HTTP/1.1 400 Bad\"")
        );
        let mut observer = AnswerObserver::default();
        assert_eq!(observer.feed(&[22, 3, 3]), Observed::Pending);
        assert_eq!(observer.why(), None);
        assert_eq!(observer.give_up(), None);
        assert_eq!(
            observer.why(),
            Some("upstream closed before its answer was complete")
        );
        let mut observer = AnswerObserver::default();
        assert_eq!(observer.give_up(), None);
        assert_eq!(observer.why(), Some("upstream closed without answering"));
    }

    #[test]
    fn gives_up_after_the_byte_cap() {
        let mut observer = AnswerObserver::default();
        let mut last = Observed::Pending;
        let ccs = [20u8, 3, 3, 0, 1, 1];
        for _ in 0..(MAX_OBSERVED_BYTES / ccs.len() + 1) {
            last = observer.feed(&ccs);
        }
        assert_eq!(last, Observed::Done(None));
    }
}
