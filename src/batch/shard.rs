//! Shards: a fixed split of a batch's work items (run indices, or sweep points) into `N` parts so
//! that a batch can run as `N` independent jobs (a Slurm array, a `for` loop) and be merged.
//!
//! The split is contiguous and documented so that anyone can reproduce it: of `total` items
//! `0 .. total`, shard `K/N` (1-based, `1 ≤ K ≤ N`) takes
//!
//! ```text
//! floor((K − 1) · total / N)  ..  floor(K · total / N)
//! ```
//!
//! Every item is in exactly one shard, shards differ in size by at most one item, and the split
//! depends only on `(K, N, total)`. Because a run is a pure function of (scenario, seed, run
//! index) and counts are merged by integer addition, merged shards give exactly the counts of a
//! single batch.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// The largest number of shards accepted.
pub const MAX_SHARDS: u64 = 1 << 20;

/// Shard `index` of `count` (both 1-based: `1 ≤ index ≤ count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// Which shard, from 1.
    pub index: u64,
    /// How many shards in all.
    pub count: u64,
}

impl Shard {
    /// The whole batch as a single shard (`1/1`).
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Build a shard, checking `1 ≤ index ≤ count ≤ MAX_SHARDS`.
    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if !(1..=MAX_SHARDS).contains(&count) {
            return Err(format!(
                "shard count {count} is out of range (allowed: 1 ..= {MAX_SHARDS})"
            ));
        }
        if !(1..=count).contains(&index) {
            return Err(format!("shard {index}/{count}: K must be in 1 ..= {count}"));
        }
        Ok(Shard { index, count })
    }

    /// Whether this is the whole batch (`1/1`).
    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// The items `0 .. total` that belong to this shard (see the module docs for the formula).
    pub fn range(self, total: u64) -> Range<u64> {
        let at = |k: u64| (u128::from(k) * u128::from(total) / u128::from(self.count)) as u64;
        at(self.index - 1)..at(self.index)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "{} is not K/N (e.g. 3/8: the third of eight shards)",
                crate::text::quote(s)
            )
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_item_once_and_differ_by_at_most_one() {
        for total in [0u64, 1, 2, 7, 10, 255, 256, 1000, 10_007] {
            for n in [1u64, 2, 3, 7, 16, 1000] {
                let mut next = 0;
                let mut sizes = Vec::new();
                for k in 1..=n {
                    let r = Shard::new(k, n).unwrap().range(total);
                    assert_eq!(r.start, next, "total {total} n {n} k {k}");
                    next = r.end;
                    sizes.push(r.end - r.start);
                }
                assert_eq!(next, total);
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(hi - lo <= 1, "total {total} n {n}: sizes {lo}..{hi}");
            }
        }
    }

    #[test]
    fn parse_and_refuse() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        assert_eq!(" 1 / 1 ".parse::<Shard>(), Ok(Shard::WHOLE));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard::new(2, 3).unwrap().to_string(), "2/3");
    }
}
