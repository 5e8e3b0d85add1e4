//! Sharding: split a target list (or a cluster's components) across N runs
//! on N machines so that every run, given the same list in any order, agrees
//! on which targets are its own.
//!
//! Owns: `--shard I/N` parsing and the split. A target belongs to shard
//! `H(label) mod N`, where `H` is the first 8 bytes (big-endian) of the
//! SHA-256 of its normalised label (`host:port`, lower-cased). The split
//! depends on nothing but the label and N: not on the order of the list,
//! not on the other targets, so adding a target moves no other one.
//! Must not: probe or read files.

use std::fmt;

/// The most shards `--shard` accepts.
pub const MAX_SHARDS: u32 = 10_000;

/// One shard of a split: `index` in `0..count` (0-based, so that a
/// Kubernetes Indexed Job's completion index is the shard index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This run's shard, `0..count`.
    pub index: u32,
    /// How many shards the list is split into, `1..=MAX_SHARDS`.
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Why a `--shard` value was refused; each message ends with the usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardError {
    /// No `/`.
    NotIndexOfCount(String),
    /// A part that is not a decimal number.
    NotANumber(&'static str, String),
    /// A part beyond `u32`.
    TooLarge(&'static str, String),
    /// `N` is 0.
    NoShards,
    /// `N` above [`MAX_SHARDS`].
    TooManyShards(u32),
    /// `I >= N`.
    IndexNotBelowCount(u32, u32),
}

impl fmt::Display for ShardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardError::NotIndexOfCount(text) => write!(f, "'{text}' is not I/N"),
            ShardError::NotANumber(what, part) => write!(f, "{what} '{part}' is not a number"),
            ShardError::TooLarge(what, part) => write!(f, "{what} '{part}' is too large"),
            ShardError::NoShards => write!(f, "the shard count must be at least 1"),
            ShardError::TooManyShards(count) => {
                write!(f, "the shard count {count} is more than {MAX_SHARDS}")
            }
            ShardError::IndexNotBelowCount(index, count) => write!(
                f,
                "the shard index {index} is not below the shard count {count} (indices are 0-based)"
            ),
        }?;
        write!(f, ": use I/N with 0 <= I < N <= {MAX_SHARDS}, e.g. 0/4")
    }
}

impl std::error::Error for ShardError {}

impl Shard {
    /// Parses `I/N` (e.g. `0/4`); the error says what is wrong in one line.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let (i, n) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| ShardError::NotIndexOfCount(text.to_string()))?;
        let number = |part: &str, what: &'static str| {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ShardError::NotANumber(what, part.to_string()));
            }
            part.parse::<u32>()
                .map_err(|_| ShardError::TooLarge(what, part.to_string()))
        };
        let index = number(i, "shard index")?;
        let count = number(n, "shard count")?;
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        if count > MAX_SHARDS {
            return Err(ShardError::TooManyShards(count));
        }
        if index >= count {
            return Err(ShardError::IndexNotBelowCount(index, count));
        }
        Ok(Shard { index, count })
    }

    /// True when the target with this label belongs to this shard.
    pub fn owns(&self, label: &str) -> bool {
        shard_of(label, self.count) == self.index
    }

    /// Keeps the items of this shard, in their order. `key` gives an item's
    /// label; an item without one (a cluster component with no address)
    /// belongs to shard 0, so that it is listed exactly once.
    pub fn select<T>(&self, items: Vec<T>, key: impl Fn(&T) -> Option<&str>) -> Vec<T> {
        items
            .into_iter()
            .filter(|item| match key(item) {
                Some(label) => self.owns(label),
                None => self.index == 0,
            })
            .collect()
    }
}

/// The shard, `0..count`, that the target with this label belongs to.
/// `count` must be at least 1.
pub fn shard_of(label: &str, count: u32) -> u32 {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, normalise(label).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32
}

/// The label as hashed: trimmed and lower-cased (host names are
/// case-insensitive), so `Example.COM:443` and `example.com:443` agree.
fn normalise(label: &str) -> String {
    label.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn labels(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("host-{i}.example.com:{}", 443 + (i % 7)))
            .collect()
    }

    fn split(items: &[String], count: u32) -> Vec<Vec<String>> {
        (0..count)
            .map(|index| Shard { index, count }.select(items.to_vec(), |l| Some(l.as_str())))
            .collect()
    }

    #[test]
    fn parses_good_and_refuses_bad_values() {
        assert_eq!(Shard::parse("0/1"), Ok(Shard { index: 0, count: 1 }));
        assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
        assert_eq!(
            Shard::parse("9999/10000"),
            Ok(Shard {
                index: 9999,
                count: 10000
            })
        );
        for bad in [
            "3/3",
            "4/3",
            "a/b",
            "0/0",
            "1",
            "",
            "/",
            "1/",
            "/4",
            "-1/4",
            "1/-4",
            "0/10001",
            "0/99999999999",
            "1.0/4",
            "0/4/5",
        ] {
            let err = Shard::parse(bad).unwrap_err().to_string();
            assert!(!err.contains('\n'), "{bad}: {err}");
            assert!(err.contains("I/N"), "{bad}: {err}");
        }
        assert!(Shard::parse("3/3")
            .unwrap_err()
            .to_string()
            .contains("0-based"));
    }

    #[test]
    fn split_is_deterministic() {
        let items = labels(500);
        assert_eq!(split(&items, 7), split(&items, 7));
        // Fixed values: the split must never change between releases, or
        // shards run by different versions would disagree.
        assert_eq!(shard_of("example.com:443", 1), 0);
        let known: Vec<u32> = ["a:1", "b:2", "example.com:443", "[::1]:6443"]
            .iter()
            .map(|l| shard_of(l, 1000))
            .collect();
        // SHA-256(label)[..8] as a big-endian u64, mod 1000.
        assert_eq!(known, vec![71, 690, 305, 160]);
    }

    #[test]
    fn each_target_is_in_exactly_one_shard() {
        let items = labels(2000);
        for count in [1, 2, 3, 8, 13] {
            let shards = split(&items, count);
            let total: usize = shards.iter().map(Vec::len).sum();
            assert_eq!(total, items.len(), "count {count}");
            let union: BTreeSet<&String> = shards.iter().flatten().collect();
            assert_eq!(union.len(), items.len(), "count {count}");
        }
    }

    #[test]
    fn order_does_not_matter_and_adding_moves_nothing() {
        let items = labels(300);
        let mut reversed = items.clone();
        reversed.reverse();
        let forward = split(&items, 5);
        let backward = split(&reversed, 5);
        for (f, b) in forward.iter().zip(&backward) {
            let f: BTreeSet<_> = f.iter().collect();
            let b: BTreeSet<_> = b.iter().collect();
            assert_eq!(f, b);
        }
        let mut more = items.clone();
        more.push("new.example.com:443".into());
        for (before, after) in forward.iter().zip(split(&more, 5)) {
            let after: Vec<_> = after
                .into_iter()
                .filter(|l| l != "new.example.com:443")
                .collect();
            assert_eq!(before, &after);
        }
    }

    #[test]
    fn case_does_not_matter() {
        assert_eq!(
            shard_of("Example.COM:443", 97),
            shard_of("example.com:443", 97)
        );
    }

    #[test]
    fn split_is_balanced() {
        let items: Vec<String> = (0..10_000)
            .map(|i| format!("10.{}.{}.{}:6443", i / 65536, (i / 256) % 256, i % 256))
            .collect();
        for shard in split(&items, 8) {
            assert!(
                (1125..=1375).contains(&shard.len()),
                "{} not within 10% of 1250",
                shard.len()
            );
        }
    }

    #[test]
    fn items_without_a_label_go_to_shard_zero() {
        let items = vec![Some("a:1".to_string()), None, Some("b:2".to_string())];
        let holders: Vec<usize> = (0..4)
            .map(|index| {
                Shard { index, count: 4 }
                    .select(items.clone(), |i| i.as_deref())
                    .iter()
                    .filter(|i| i.is_none())
                    .count()
            })
            .collect();
        assert_eq!(holders, vec![1, 0, 0, 0]);
    }
}
