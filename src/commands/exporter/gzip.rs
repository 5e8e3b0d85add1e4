//! `/metrics` in gzip (`Content-Encoding: gzip`) for scrapers that ask.
//!
//! The scan's series are the bulk of the page and change once per scan
//! (rendered at most once a second), the exporter's own series change per
//! request and are small. So the bulk is compressed once, ending in a sync
//! flush (byte-aligned, not final), and each scrape compresses only its own
//! series as the final blocks after it: one valid gzip member, and the
//! bulk's compression is shared by every scrape of that rendering.

use bytes::Bytes;
use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};
use std::io::Write;

/// RFC 1952 header: deflate, no flags, no time, unknown OS.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// The compressed start of a page.
pub struct Prefix {
    /// The header and the deflate blocks of the start, sync-flushed.
    head: Bytes,
    crc: Crc,
    len: u64,
}

impl Prefix {
    /// Compresses `data` as the start of a page.
    pub fn new(data: &[u8]) -> Prefix {
        let mut out = Vec::with_capacity(data.len() / 6 + HEADER.len());
        out.extend_from_slice(&HEADER);
        let mut enc = DeflateEncoder::new(out, Compression::default());
        // Writing to a Vec cannot fail.
        let _ = enc.write_all(data);
        // flush() is a sync flush: what is written so far ends on a byte
        // boundary, and the stream is not final.
        let _ = enc.flush();
        let head = std::mem::take(enc.get_mut());
        let mut crc = Crc::new();
        crc.update(data);
        Prefix {
            head: Bytes::from(head),
            crc,
            len: data.len() as u64,
        }
    }

    /// The whole gzip body: this start, then `tail`.
    pub fn finish(&self, tail: &[u8]) -> Vec<Bytes> {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        let _ = enc.write_all(tail);
        let blocks = enc.finish().unwrap_or_default();
        let mut crc = Crc::new();
        crc.combine(&self.crc);
        let mut tail_crc = Crc::new();
        tail_crc.update(tail);
        crc.combine(&tail_crc);
        let mut trailer = Vec::with_capacity(8);
        trailer.extend_from_slice(&crc.sum().to_le_bytes());
        // ISIZE is the length modulo 2^32.
        trailer.extend_from_slice(&((self.len + tail.len() as u64) as u32).to_le_bytes());
        vec![self.head.clone(), Bytes::from(blocks), Bytes::from(trailer)]
    }
}

/// Whether `Accept-Encoding` takes gzip (`gzip`, `x-gzip` or `*`, with a
/// q-value above 0; an explicit `gzip` wins over `*`).
pub fn accepted(headers: &hyper::HeaderMap) -> bool {
    let (mut gzip, mut any) = (None, None);
    for value in headers.get_all(hyper::header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let mut q = 1.0f32;
            for p in parts {
                if let Some((k, v)) = p.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        q = v.trim().parse().unwrap_or(0.0);
                    }
                }
            }
            if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(q);
            } else if coding == "*" {
                any = Some(q);
            }
        }
    }
    gzip.or(any).is_some_and(|q| q > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip_one_member(parts: &[Bytes]) -> Vec<u8> {
        let body: Vec<u8> = parts.iter().flat_map(|b| b.iter().copied()).collect();
        // GzDecoder reads one member only: the body must be one.
        let mut d = flate2::read::GzDecoder::new(&body[..]);
        let mut out = Vec::new();
        d.read_to_end(&mut out).expect("valid gzip");
        out
    }

    #[test]
    fn prefix_and_tail_are_one_gzip_member() {
        let start: String = (0..5000)
            .map(|i| {
                format!(
                    "probe_success{{target=\"10.0.{}.{}:443\"}} 1\n",
                    i / 250,
                    i % 250
                )
            })
            .collect();
        let prefix = Prefix::new(start.as_bytes());
        for tail in ["", "pqready_exporter_up 1\n", &start[..4096]] {
            let out = gunzip_one_member(&prefix.finish(tail.as_bytes()));
            assert_eq!(out, format!("{start}{tail}").into_bytes());
        }
        let empty = Prefix::new(b"");
        assert_eq!(gunzip_one_member(&empty.finish(b"x\n")), b"x\n");
        let size: usize = prefix.finish(b"").iter().map(|b| b.len()).sum();
        assert!(size * 5 < start.len(), "{size} of {}", start.len());
    }

    #[test]
    fn accept_encoding_is_read_with_q_values() {
        let with = |v: &str| {
            let mut h = hyper::HeaderMap::new();
            h.insert(hyper::header::ACCEPT_ENCODING, v.parse().unwrap());
            h
        };
        assert!(accepted(&with("gzip")));
        assert!(accepted(&with("deflate, GZIP;q=0.5")));
        assert!(accepted(&with("*")));
        assert!(accepted(&with("identity, x-gzip")));
        assert!(!accepted(&with("gzip;q=0")));
        assert!(!accepted(&with("*, gzip;q=0")));
        assert!(!accepted(&with("br, deflate")));
        assert!(!accepted(&with("identity")));
        assert!(!accepted(&hyper::HeaderMap::new()));
    }
}
