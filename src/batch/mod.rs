//! Batches of runs: the parallel fold over run indices ([`fold`]), the integer counts of `run`
//! ([`tally`]), the split of a batch into shards ([`shard`]), checkpoints and resume
//! ([`checkpoint`]), part files and their merge ([`part`], [`merge`]), and the driver that
//! computes a study's counts in waves with checkpoints, `--resume` and a clean stop on Ctrl-C
//! ([`driver`]).
//!
//! Everything here is generic over what is counted: a study (see [`crate::study`]) says what a
//! run adds to its counts; this layer says which runs, on how many threads, and how counts
//! survive a crash or travel between machines.

pub mod checkpoint;
pub mod driver;
pub mod fold;
pub mod kind;
pub mod merge;
pub mod part;
pub mod shard;
pub mod tally;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A study's integer counts: what a batch folds its runs into, a checkpoint saves and a part
/// file carries. Invariant: counts of disjoint sets of runs merged in any grouping give the
/// counts of their union (integer addition), so results do not depend on the thread count, the
/// shard split or where a batch was resumed. Empty counts and the check that counts fit a
/// batch depend on the study's shape, so they are [`crate::study::Study`]'s.
pub trait Counts: Serialize + DeserializeOwned + Send + Sync {
    /// Add `other`, the counts of other runs (or work items) of the same batch.
    fn merge(&mut self, other: &Self);
}

/// Counts of several scenarios, one entry each, merged entry by entry.
impl<C: Counts> Counts for Vec<C> {
    fn merge(&mut self, other: &Self) {
        for (a, b) in self.iter_mut().zip(other) {
            a.merge(b);
        }
    }
}
