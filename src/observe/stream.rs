//! One direction of one TCP connection put back in order: only its first
//! bytes, where the hellos are.
//!
//! Owns: placing each segment's bytes at its offset from the start of the
//! stream (the SYN's sequence number + 1, or the first data segment's when
//! the SYN was not captured), across retransmissions, reordering and
//! overlaps, and handing out the bytes that are contiguous from the start.
//! Overlapping segments: the bytes that arrived **first** are kept (what a
//! receiver that had them already did), and a later segment that disagrees
//! with them is counted in [`StreamReassembler::conflicts`]. Bytes past
//! `limit` are never stored, nor more than [`MAX_RANGES`] separate pieces:
//! memory per direction is at most `limit` bytes whatever arrives.
//! Pure: no I/O, no clock; fuzzed through `fuzz_targets/observe_stream.rs`.

/// The most separate received pieces held (a hostile sender could otherwise
/// send thousands of one-byte pieces with gaps between them).
pub const MAX_RANGES: usize = 64;

/// The reassembler of one direction.
#[derive(Debug, Clone, Default)]
pub struct StreamReassembler {
    /// Sequence number of stream offset 0, once known.
    base: Option<u32>,
    /// Bytes at their stream offsets (only inside `ranges` are they real).
    buf: Vec<u8>,
    /// Received byte ranges `[start, end)`, sorted, disjoint, not adjacent.
    ranges: Vec<(u32, u32)>,
    /// Bytes handed out by [`StreamReassembler::take_contiguous`].
    delivered: usize,
    limit: usize,
    /// Overlapping bytes that differed from those that arrived first.
    pub conflicts: u32,
    /// Segments (or parts) dropped: before the stream start, past the limit,
    /// or over [`MAX_RANGES`].
    pub dropped: u32,
}

impl StreamReassembler {
    /// Keeps at most the first `limit` bytes of the stream.
    pub fn new(limit: usize) -> Self {
        StreamReassembler {
            limit: limit.min(u32::MAX as usize / 2),
            ..Default::default()
        }
    }

    /// The SYN's sequence number: data starts one after it. Ignored once
    /// the start is known (a retransmitted or forged SYN changes nothing).
    pub fn syn(&mut self, isn: u32) {
        if self.base.is_none() {
            self.base = Some(isn.wrapping_add(1));
        }
    }

    /// True once the start of the stream is fixed.
    pub fn started(&self) -> bool {
        self.base.is_some()
    }

    /// Places a segment's payload.
    pub fn push(&mut self, seq: u32, mut data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let base = *self.base.get_or_insert(seq);
        let rel = seq.wrapping_sub(base) as i32 as i64;
        let mut start = rel;
        if start < 0 {
            // Before the stream start: keep only the part from offset 0 on.
            let skip = (-start) as usize;
            if skip >= data.len() {
                self.dropped += 1;
                return;
            }
            data = &data[skip..];
            start = 0;
        }
        let start = start as usize;
        if start >= self.limit {
            self.dropped += 1;
            return;
        }
        let end = (start + data.len()).min(self.limit);
        let data = &data[..end - start];
        let (start, end) = (start as u32, end as u32);
        if self.buf.len() < end as usize {
            // Grow by doubling, but never past the limit: `resize` alone
            // may double the capacity beyond it.
            let len = self.buf.len();
            let wanted = (end as usize).max(len * 2).min(self.limit);
            self.buf.reserve_exact(wanted - len);
            self.buf.resize(end as usize, 0);
        }
        // Compare where something arrived before; write only the gaps.
        let mut at = start;
        for i in 0..self.ranges.len() {
            let (s, e) = self.ranges[i];
            if e <= at || s >= end {
                continue;
            }
            if s > at {
                self.write(at, &data[(at - start) as usize..(s - start) as usize]);
            }
            let (os, oe) = (s.max(at), e.min(end));
            let old = &self.buf[os as usize..oe as usize];
            let new = &data[(os - start) as usize..(oe - start) as usize];
            if old != new {
                self.conflicts += 1;
            }
            at = oe;
        }
        if at < end {
            self.write(at, &data[(at - start) as usize..]);
        }
        if !self.insert(start, end) {
            self.dropped += 1;
        }
    }

    fn write(&mut self, at: u32, bytes: &[u8]) {
        self.buf[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
    }

    /// Merges `[start, end)` into the ranges; false when that would make
    /// more than [`MAX_RANGES`] (the bytes written stay unreachable).
    fn insert(&mut self, start: u32, end: u32) -> bool {
        let mut merged = (start, end);
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        let mut placed = false;
        for &(s, e) in &self.ranges {
            if e < merged.0 {
                out.push((s, e));
            } else if s > merged.1 {
                if !placed {
                    out.push(merged);
                    placed = true;
                }
                out.push((s, e));
            } else {
                merged = (merged.0.min(s), merged.1.max(e));
            }
        }
        if !placed {
            out.push(merged);
        }
        if out.len() > MAX_RANGES {
            return false;
        }
        self.ranges = out;
        true
    }

    /// The bytes contiguous from the start that were not handed out yet.
    pub fn take_contiguous(&mut self) -> &[u8] {
        let end = match self.ranges.first() {
            Some(&(0, e)) => e as usize,
            _ => return &[],
        };
        let from = self.delivered.min(end);
        self.delivered = end;
        &self.buf[from..end]
    }

    /// Everything contiguous from the start (handed out or not).
    pub fn contiguous(&self) -> &[u8] {
        match self.ranges.first() {
            Some(&(0, e)) => &self.buf[..e as usize],
            _ => &[],
        }
    }

    /// True when the stream has reached its byte limit contiguously.
    pub fn full(&self) -> bool {
        self.contiguous().len() >= self.limit
    }

    /// Frees the buffer for good (the hellos are read, or cannot be).
    pub fn release(&mut self) {
        self.buf = Vec::new();
        self.ranges = Vec::new();
        self.limit = 0;
    }

    /// Bytes held now.
    pub fn held(&self) -> usize {
        self.buf.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn growing_never_holds_more_than_the_limit() {
        // Found by the observe_stream fuzz target: a buffer grown in
        // small steps near the limit doubled its capacity past it.
        let mut r = StreamReassembler::new(4096);
        r.syn(0);
        for at in (1..4096).step_by(91) {
            r.push(at, &[7u8; 91]);
            assert!(r.held() <= 4096, "{} bytes held", r.held());
        }
        assert!(r.held() <= 4096);
    }

    #[test]
    fn orders_segments_and_ignores_retransmissions() {
        let mut r = StreamReassembler::new(100);
        r.syn(999);
        r.push(1005, b"fgh");
        assert_eq!(r.take_contiguous(), b"");
        r.push(1000, b"abcde");
        assert_eq!(r.take_contiguous(), b"abcdefgh");
        r.push(1000, b"abcde");
        assert_eq!(r.take_contiguous(), b"");
        assert_eq!(r.conflicts, 0);
    }

    #[test]
    fn first_arrival_wins_on_conflicting_overlap() {
        let mut r = StreamReassembler::new(100);
        r.syn(u32::MAX); // sequence numbers wrap
        r.push(0, b"AAAA");
        // Bytes 2..4 again, but different ("CC" against "AA"): a conflict.
        r.push(2, b"CCCCYY");
        assert_eq!(r.contiguous(), b"AAAACCYY");
        assert_eq!(r.conflicts, 1);
    }

    #[test]
    fn keeps_only_the_limit_and_the_range_cap() {
        let mut r = StreamReassembler::new(10);
        r.push(0, &[1; 50]);
        assert_eq!(r.contiguous().len(), 10);
        assert!(r.full());
        let mut r = StreamReassembler::new(10_000);
        r.syn(0);
        for i in 0..200u32 {
            r.push(1 + i * 10, &[7]);
        }
        assert!(r.dropped > 0);
        assert!(r.ranges.len() <= MAX_RANGES);
    }

    #[test]
    fn data_before_a_missed_syn_is_trimmed() {
        let mut r = StreamReassembler::new(100);
        r.push(500, b"cd");
        r.push(498, b"abcdef");
        assert_eq!(r.contiguous(), b"cdef");
    }

    proptest! {
        #[test]
        fn any_order_of_any_cut_gives_the_stream(
            cuts in proptest::collection::vec(1usize..200, 1..20),
            order in proptest::collection::vec(any::<u16>(), 20),
            isn in any::<u32>(),
        ) {
            let stream: Vec<u8> = (0..2000u32).map(|i| (i * 7) as u8).collect();
            let mut pieces = Vec::new();
            let mut at = 0;
            for c in cuts {
                if at >= stream.len() { break; }
                let end = (at + c).min(stream.len());
                pieces.push((at, end));
                at = end;
            }
            let mut shuffled = pieces.clone();
            let n = shuffled.len();
            for (i, k) in order.iter().enumerate().take(n) {
                shuffled.swap(i % n, *k as usize % n);
            }
            let mut r = StreamReassembler::new(4096);
            r.syn(isn);
            for (s, e) in shuffled {
                r.push(isn.wrapping_add(1).wrapping_add(s as u32), &stream[s..e]);
            }
            prop_assert_eq!(r.contiguous(), &stream[..at]);
            prop_assert_eq!(r.conflicts, 0);
        }
    }
}
