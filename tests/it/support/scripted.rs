//! Scripted TLS servers for tests: a loopback listener running a script per
//! connection, and builders for the server messages the scripts send. Each
//! test that uses one says which real-world misbehaviour it models.
#![allow(dead_code)] // each test binary uses part of it

use pqready::wire::{ClientHello, NamedGroup as G};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Starts a loopback server that runs `behave` on every connection.
pub async fn broken_server<F, Fut>(behave: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(behave(stream));
        }
    });
    addr
}

/// A server that reads the hello and answers with fixed bytes.
pub async fn replying(answer: &'static [u8]) -> SocketAddr {
    broken_server(move |mut s| async move {
        read_some(&mut s).await;
        let _ = s.write_all(answer).await;
    })
    .await
}

pub async fn read_some(stream: &mut tokio::net::TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = stream.read(&mut buf).await;
}

/// Reads one ClientHello record (single record, as pqready sends it).
pub async fn read_client_hello(s: &mut tokio::net::TcpStream) -> Option<ClientHello> {
    let mut header = [0u8; 5];
    s.read_exact(&mut header).await.ok()?;
    let len = u16::from_be_bytes([header[3], header[4]]) as usize;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await.ok()?;
    ClientHello::parse(&body).ok()
}

/// The `random` that marks a HelloRetryRequest (RFC 8446 §4.1.3).
pub const HRR_RANDOM: [u8; 32] = pqready::wire::server_hello::HELLO_RETRY_REQUEST_RANDOM;

/// A ServerHello handshake message (with its 4-byte header) from its parts:
/// `extensions` are (type, body) pairs sent verbatim, in order.
pub fn server_hello(random: [u8; 32], extensions: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut exts = Vec::new();
    for (typ, body) in extensions {
        exts.extend_from_slice(&typ.to_be_bytes());
        exts.extend_from_slice(&(body.len() as u16).to_be_bytes());
        exts.extend_from_slice(body);
    }
    let mut body = vec![3, 3];
    body.extend_from_slice(&random);
    body.push(32);
    body.extend_from_slice(&[1; 32]);
    body.extend_from_slice(&[0x13, 0x01, 0]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend(exts);
    pqready::wire::record::handshake_message(2, &body)
}

/// One record of `content_type` carrying `payload`.
pub fn record(content_type: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type, 3, 3];
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// supported_versions selecting `version`.
pub fn selected_version(version: u16) -> (u16, Vec<u8>) {
    (43, version.to_be_bytes().to_vec())
}

/// A HelloRetryRequest record asking for `group`.
pub fn hello_retry_record(group: G) -> Vec<u8> {
    record(
        22,
        &server_hello(
            HRR_RANDOM,
            &[
                selected_version(0x0304),
                (51, group.0.to_be_bytes().to_vec()),
            ],
        ),
    )
}

/// A TLS 1.3 ServerHello record accepting `group` with a dummy share of the right size.
pub fn server_hello_record(group: G) -> Vec<u8> {
    let share_len = group.info().map_or(32, |i| i.server_share_len);
    let mut key_share = group.0.to_be_bytes().to_vec();
    key_share.extend_from_slice(&(share_len as u16).to_be_bytes());
    key_share.extend(std::iter::repeat_n(0x42, share_len));
    record(
        22,
        &server_hello([7; 32], &[selected_version(0x0304), (51, key_share)]),
    )
}
