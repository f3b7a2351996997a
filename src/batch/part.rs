//! Partial results of one shard (`part-K-of-N.json`), to be merged by `jinsong merge`.
//!
//! A part is an envelope around a command's integer counts:
//!
//! ```json
//! {
//!   "format": "jinsong-part/1",
//!   "command": "run",
//!   "shard": {"index": 2, "count": 8},
//!   "scenario_hash": "fnv1a64:…",
//!   "seed": 1125,
//!   "argv": ["jinsong", "run", "--shard", "2/8", …],
//!   "settings": {…},
//!   "counts": {…}
//! }
//! ```
//!
//! `settings` holds everything besides the scenario and seed that the counts depend on (runs,
//! `--by`, the dyad, the varied paths …); parts belong together only when `format`, `command`,
//! `scenario_hash`, `seed`, `shard.count` and `settings` agree. `argv` is informative only.

use serde::{Deserialize, Serialize};

use super::kind::StudyKind;
use super::shard::Shard;
use crate::scenario::Scenario;

/// The `format` tag of part files written by this version.
pub const PART_FORMAT: &str = "jinsong-part/1";

/// A batch's counts in a file, with what identifies the batch: a shard's part (`done`
/// absent) or a checkpoint ([`crate::batch::checkpoint::Checkpoint`], `done` present). Both
/// files have these fields in this order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchFile<C> {
    /// [`PART_FORMAT`] or [`CHECKPOINT_FORMAT`](crate::batch::checkpoint::CHECKPOINT_FORMAT).
    pub format: String,
    /// The command that wrote it.
    pub command: StudyKind,
    /// Which shard (`1/1` for a whole batch).
    pub shard: Shard,
    /// [`scenario_hash`] of the scenario(s) after `--set` overrides.
    pub scenario_hash: String,
    /// Master seed.
    pub seed: u64,
    /// The command line that wrote it (for the record; not compared).
    pub argv: Vec<String>,
    /// Command-specific settings that must agree between parts, or to resume.
    pub settings: serde_json::Value,
    /// Of a checkpoint: work items done, the prefix `0 .. done` of the shard's items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<u64>,
    /// Command-specific integer counts, merged by addition.
    pub counts: C,
}

/// One shard's partial result (a [`BatchFile`] without `done`).
pub type Part<C> = BatchFile<C>;

/// The file name of shard `K/N`'s part: `part-K-of-N.json`.
pub fn part_file_name(shard: Shard) -> String {
    format!("part-{}-of-{}.json", shard.index, shard.count)
}

/// 64-bit FNV-1a over `bytes`, from `h`.
fn fnv1a64(mut h: u64, bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(PRIME);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// A stable fingerprint of a text that counts depend on (a pattern file): `fnv1a64:<16 hex>`.
pub fn text_hash(text: &str) -> String {
    format!("fnv1a64:{:016x}", fnv1a64(FNV_OFFSET, text.as_bytes()))
}

/// A stable fingerprint of resolved scenarios (after overrides): 64-bit FNV-1a over their JSON
/// encodings, in order, written `fnv1a64:<16 hex digits>`. It changes when any field changes
/// (name and description included) and is the same on every machine and thread count.
pub fn scenario_hash(scenarios: &[&Scenario]) -> String {
    let mut h = FNV_OFFSET;
    for sc in scenarios {
        // Serializing a plain data struct to JSON cannot fail; fall back to its debug text.
        let bytes = serde_json::to_vec(sc).unwrap_or_else(|_| format!("{sc:?}").into_bytes());
        h = fnv1a64(h, &bytes);
        h = fnv1a64(h, &[0xff]);
    }
    format!("fnv1a64:{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::LoadedScenario;

    #[test]
    fn hash_is_stable_and_sensitive() {
        let base = LoadedScenario::baseline().unwrap().scenario;
        let h = scenario_hash(&[&base]);
        assert_eq!(h, scenario_hash(&[&base.clone()]));
        assert!(h.starts_with("fnv1a64:") && h.len() == 8 + 16);
        let mut other = base.clone();
        other.polities[0].mobilization_lag += 1.0;
        assert_ne!(h, scenario_hash(&[&other]));
        assert_ne!(scenario_hash(&[&base, &other]), scenario_hash(&[&other, &base]));
        assert_eq!(part_file_name(Shard::new(3, 7).unwrap()), "part-3-of-7.json");
    }
}
