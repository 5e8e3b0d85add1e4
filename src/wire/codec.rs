//! Bounded big-endian reading and writing of TLS wire structures.
//!
//! Owns the one `Reader` every parser uses and the length-prefix helpers every
//! encoder uses. It knows nothing about TLS semantics: no codepoints, no policy,
//! no I/O. Every read is bounds-checked and returns a typed [`WireError`] that
//! names the structure that failed, so a hostile peer can make a parse fail but
//! never make it panic or allocate beyond the input it already sent.

/// Why some bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input ended inside the named structure.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// Bytes were left over after the named structure ended.
    #[error("trailing bytes after {0}")]
    TrailingData(&'static str),
    /// A length field exceeded the limit allowed for the named structure.
    #[error("{what} length {len} exceeds limit {max}")]
    TooLong {
        /// The structure whose length was out of bounds.
        what: &'static str,
        /// The length the peer announced.
        len: usize,
        /// The largest length accepted.
        max: usize,
    },
    /// The named structure was well-framed but its content is not allowed.
    #[error("invalid {0}")]
    Invalid(&'static str),
}

/// A cursor over untrusted bytes.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True once every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Fails with `TrailingData(what)` unless every byte has been consumed.
    pub fn expect_end(&self, what: &'static str) -> Result<(), WireError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingData(what))
        }
    }

    /// Consumes exactly `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.remaining() < n {
            return Err(WireError::Truncated(what));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Consumes everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }

    /// Reads one byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.take(1, what)?[0])
    }

    /// Reads a big-endian u16.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, WireError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Reads a big-endian u24.
    pub fn u24(&mut self, what: &'static str) -> Result<usize, WireError> {
        let b = self.take(3, what)?;
        Ok(((b[0] as usize) << 16) | ((b[1] as usize) << 8) | b[2] as usize)
    }

    /// Reads a u8-length-prefixed byte string.
    pub fn vec_u8(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let n = self.u8(what)? as usize;
        self.take(n, what)
    }

    /// Reads a u16-length-prefixed byte string.
    pub fn vec_u16(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let n = self.u16(what)? as usize;
        self.take(n, what)
    }

    /// Reads a u16-length-prefixed list of u16 values (codepoint lists).
    pub fn u16_list(&mut self, what: &'static str) -> Result<Vec<u16>, WireError> {
        let body = self.vec_u16(what)?;
        if body.len() % 2 != 0 {
            return Err(WireError::Invalid(what));
        }
        Ok(body
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect())
    }
}

/// Appends a big-endian u16.
pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian u24. Values above 2^24-1 are an encoder bug.
pub fn put_u24(out: &mut Vec<u8>, v: usize) {
    debug_assert!(v < 1 << 24, "u24 overflow");
    out.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
}

/// Appends `body` behind a u8 length prefix.
pub fn put_vec_u8(out: &mut Vec<u8>, body: &[u8]) {
    debug_assert!(body.len() <= u8::MAX as usize);
    out.push(body.len() as u8);
    out.extend_from_slice(body);
}

/// Appends `body` behind a u16 length prefix.
pub fn put_vec_u16(out: &mut Vec<u8>, body: &[u8]) {
    debug_assert!(body.len() <= u16::MAX as usize);
    put_u16(out, body.len() as u16);
    out.extend_from_slice(body);
}

/// Appends a u16-length-prefixed list of u16 codepoints.
pub fn put_u16_list(out: &mut Vec<u8>, items: &[u16]) {
    put_u16(out, (items.len() * 2) as u16);
    for v in items {
        put_u16(out, *v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_truncated_u16() {
        let mut r = Reader::new(&[1]);
        assert_eq!(r.u16("x"), Err(WireError::Truncated("x")));
    }

    #[test]
    fn rejects_odd_u16_list() {
        let mut r = Reader::new(&[0, 3, 0, 1, 2]);
        assert_eq!(r.u16_list("groups"), Err(WireError::Invalid("groups")));
    }

    #[test]
    fn parses_u24_and_reports_trailing_data() {
        let mut r = Reader::new(&[1, 2, 3, 9]);
        assert_eq!(r.u24("len").unwrap(), 0x010203);
        assert_eq!(r.expect_end("msg"), Err(WireError::TrailingData("msg")));
    }

    #[test]
    fn emits_length_prefixed_lists() {
        let mut out = Vec::new();
        put_u16_list(&mut out, &[0x11ec, 0x001d]);
        assert_eq!(out, [0, 4, 0x11, 0xec, 0, 0x1d]);
        assert_eq!(Reader::new(&out).u16_list("l").unwrap(), [0x11ec, 0x001d]);
    }
}
