//! Checkpoints of long commands, and resuming from them.
//!
//! A long batch is simulated in waves of run indices in order (see
//! [`crate::batch::driver::drive`]); after a wave, when at least
//! `--checkpoint-every` seconds have passed since the last write, the command writes
//! `checkpoint.json` (`checkpoint-K-of-N.json` for shard `K/N`) into its real output folder:
//!
//! ```json
//! {
//!   "format": "jinsong-checkpoint/2",
//!   "command": "run",
//!   "shard": {"index": 1, "count": 1},
//!   "scenario_hash": "fnv1a64:…",
//!   "seed": 1125,
//!   "argv": ["jinsong", "run", …],
//!   "settings": {…},
//!   "done": 49152,
//!   "counts": {…},
//!   "digest": "sha256:…"
//! }
//! ```
//!
//! `done` runs, always a prefix of the batch's run range, are folded into `counts`. The file is
//! written to a temporary file that is flushed and renamed over the old one
//! ([`write_atomic`]), so a process killed at any moment leaves either the previous checkpoint
//! or the new one. `--resume` continues from `done`; because counts are integers merged by
//! addition, the resumed results are byte-identical to an uninterrupted run. A checkpoint is
//! refused unless its format, command, shard, scenario hash, seed and settings are those of the
//! command being resumed. Wall-clock time only decides *when* a checkpoint is written, never
//! what is in it.
//!
//! Before anything in it is used, a checkpoint's `digest` (SHA-256 over its canonical encoding,
//! see [`crate::batch::part`]) must match its content, and its counts must then fit the runs it
//! says are done (the study's [`fits`](crate::study::Study::fits): no count above its runs,
//! totals that add up, histograms that sum to what they count). A checkpoint of an earlier
//! format (`jinsong-checkpoint/1`, without a digest) is refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::kind::StudyKind;
use super::part::BatchFile;
use super::shard::Shard;
use crate::output::{write_atomic, OutputError};

/// The `format` tag of checkpoints written by this version.
pub const CHECKPOINT_FORMAT: &str = "jinsong-checkpoint/2";

/// Default seconds between checkpoints (`--checkpoint-every`).
pub const DEFAULT_EVERY_SECS: f64 = 30.0;

/// Where a long command stands: a [`BatchFile`] whose `done` says how many work items its
/// counts hold (always present in a checkpoint).
pub type Checkpoint<C> = BatchFile<C>;

/// What a checkpoint must match to be resumed: everything but `argv`, `done` and `counts`.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// Which study.
    pub command: StudyKind,
    /// Shard computed.
    pub shard: Shard,
    /// Scenario hash.
    pub scenario_hash: String,
    /// Master seed.
    pub seed: u64,
    /// Settings.
    pub settings: serde_json::Value,
}

impl Identity {
    /// The identity of a batch of `command` over `scenarios` (after overrides): their
    /// [`scenario_hash`](crate::batch::part::scenario_hash) and `settings` encoded as JSON.
    pub fn of<S: serde::Serialize>(
        command: StudyKind,
        shard: Shard,
        scenarios: &[&crate::scenario::Scenario],
        seed: u64,
        settings: &S,
    ) -> Result<Identity, serde_json::Error> {
        Ok(Identity {
            command,
            shard,
            scenario_hash: crate::batch::part::scenario_hash(scenarios),
            seed,
            settings: serde_json::to_value(settings)?,
        })
    }
}

/// Why a checkpoint could not be read, resumed or written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// `--resume` but there is no checkpoint.
    #[error("--resume: no checkpoint {} (nothing to resume; run without --resume)", .0.display())]
    Missing(PathBuf),
    /// The file could not be read.
    #[error("cannot read checkpoint {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a checkpoint of this version.
    #[error("{}: not a jinsong checkpoint: {}", crate::text::path(path), crate::text::clip_quoted(.reason))]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The checkpoint belongs to another command, scenario, seed or settings.
    #[error("--resume: {} was written by another batch: {what}; refusing to resume (remove it, or run with the original options)", path.display())]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// What differs.
        what: String,
    },
    /// The checkpoint could not be written.
    #[error("cannot write checkpoint: {0}")]
    Write(#[from] OutputError),
}

/// The checkpoint's file name for a shard: `checkpoint.json` for a whole batch,
/// `checkpoint-K-of-N.json` for shard `K/N` (so shards sharing an output folder do not collide).
pub fn checkpoint_file_name(shard: Shard) -> String {
    if shard.is_whole() {
        "checkpoint.json".to_string()
    } else {
        format!("checkpoint-{}-of-{}.json", shard.index, shard.count)
    }
}

/// The first difference between two identities, in words (`None` when they agree).
pub fn difference(found: &Identity, expected: &Identity) -> Option<String> {
    if found.command != expected.command {
        return Some(format!("command `{}`, not `{}`", found.command, expected.command));
    }
    if found.shard != expected.shard {
        return Some(format!("shard {}, not {}", found.shard, expected.shard));
    }
    if found.scenario_hash != expected.scenario_hash {
        return Some(format!(
            "another scenario (hash {}, not {})",
            found.scenario_hash, expected.scenario_hash
        ));
    }
    if found.seed != expected.seed {
        return Some(format!("seed {}, not {}", found.seed, expected.seed));
    }
    if found.settings != expected.settings {
        let keys = match (&found.settings, &expected.settings) {
            (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
                let mut keys: Vec<&str> = a
                    .iter()
                    .filter(|(k, v)| b.get(*k) != Some(*v))
                    .map(|(k, _)| k.as_str())
                    .chain(b.keys().filter(|k| !a.contains_key(*k)).map(String::as_str))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                keys.join(", ")
            }
            _ => "settings".to_string(),
        };
        return Some(format!("other settings ({keys})"));
    }
    None
}

impl<C> Checkpoint<C> {
    /// A checkpoint of `identity` with `done` items folded into `counts`.
    pub fn new(identity: &Identity, argv: Vec<String>, done: u64, counts: C) -> Checkpoint<C> {
        Checkpoint {
            format: CHECKPOINT_FORMAT.to_string(),
            command: identity.command,
            shard: identity.shard,
            scenario_hash: identity.scenario_hash.clone(),
            seed: identity.seed,
            argv,
            settings: identity.settings.clone(),
            done: Some(done),
            counts,
        }
    }

    /// What it must match to be resumed.
    pub fn identity(&self) -> Identity {
        Identity {
            command: self.command,
            shard: self.shard,
            scenario_hash: self.scenario_hash.clone(),
            seed: self.seed,
            settings: self.settings.clone(),
        }
    }
}

impl<C: Serialize> Checkpoint<C> {
    /// Write it atomically into `dir` (created if needed) under
    /// [`checkpoint_file_name`].
    pub fn write(&self, dir: &Path) -> Result<PathBuf, CheckpointError> {
        fs::create_dir_all(dir).map_err(|source| OutputError {
            dir: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(checkpoint_file_name(self.shard));
        let bytes = self.sealed_json().map_err(|e| OutputError {
            dir: path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        write_atomic(&path, bytes.as_bytes())?;
        Ok(path)
    }
}

impl<C: DeserializeOwned> Checkpoint<C> {
    /// Read the checkpoint of `expected` from `dir` and check that it may be resumed: this
    /// version's format, a digest that matches its content ([`super::part::open`]), the same
    /// command, shard, scenario hash, seed and settings, and at most `total` items done. Its
    /// counts are decoded but not checked against the runs: that is the study's
    /// [`fits`](crate::study::Study::fits), which the driver applies.
    pub fn resume(dir: &Path, expected: &Identity, total: u64) -> Result<Checkpoint<C>, CheckpointError> {
        let path = dir.join(checkpoint_file_name(expected.shard));
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CheckpointError::Missing(path)),
            Err(source) => return Err(CheckpointError::Read { path, source }),
        };
        // Format, then digest, then the envelope: nothing in the file is used before its digest
        // is checked, and a checkpoint of another command is named as such before its counts
        // (of another shape) are decoded.
        let cp = super::part::open(&text, CHECKPOINT_FORMAT).map_err(|reason| CheckpointError::Corrupt {
            path: path.clone(),
            reason,
        })?;
        if let Some(what) = difference(&cp.identity(), expected) {
            return Err(CheckpointError::Mismatch { path, what });
        }
        let Some(done) = cp.done else {
            return Err(CheckpointError::Corrupt {
                path,
                reason: "it does not say how many items are done".into(),
            });
        };
        if done > total {
            return Err(CheckpointError::Corrupt {
                path,
                reason: format!("{done} items done of {total}"),
            });
        }
        let counts: C = serde_json::from_value(cp.counts).map_err(|e| CheckpointError::Corrupt {
            path: path.clone(),
            reason: format!("counts: {e}"),
        })?;
        Ok(Checkpoint {
            format: cp.format,
            command: cp.command,
            shard: cp.shard,
            scenario_hash: cp.scenario_hash,
            seed: cp.seed,
            argv: cp.argv,
            settings: cp.settings,
            done: Some(done),
            counts,
        })
    }
}

/// Remove the checkpoint of `shard` from `dir` once the results are written (a missing file is
/// not an error), with any temporary file a killed process left beside it
/// (`.checkpoint….json.tmp-PID`).
pub fn remove(dir: &Path, shard: Shard) -> std::io::Result<()> {
    let name = checkpoint_file_name(shard);
    let leftover = format!(".{name}.tmp-");
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&leftover) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    match fs::remove_file(dir.join(name)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Decides when the next checkpoint is due: `every` after the last one (zero: after every wave).
#[derive(Debug)]
pub struct Pacer {
    every: Duration,
    last: Instant,
}

impl Pacer {
    /// A pacer whose first checkpoint is due `every` from now.
    pub fn new(every: Duration) -> Pacer {
        Pacer {
            every,
            last: Instant::now(),
        }
    }

    /// Whether a checkpoint is due now; if so, the clock restarts.
    pub fn due(&mut self) -> bool {
        let now = Instant::now();
        if now.duration_since(self.last) >= self.every {
            self.last = now;
            true
        } else {
            false
        }
    }
}

/// Parse `--checkpoint-every`: seconds, a finite number ≥ 0 (fractions allowed; 0 = after every
/// wave).
pub fn parse_every(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{} is not a number of seconds", crate::text::quote(s)))?;
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!("{s} is out of range (allowed: 0 ..= 1e9 seconds)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            command: StudyKind::Run,
            shard: Shard::WHOLE,
            scenario_hash: "fnv1a64:0000000000000001".into(),
            seed: 7,
            settings: serde_json::json!({"runs": 1000}),
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let id = identity();
        let cp = Checkpoint::new(&id, vec!["jinsong".into()], 512, vec![1u64, 2, 3]);
        let path = cp.write(dir.path()).unwrap();
        assert!(path.ends_with("checkpoint.json"));
        let back: Checkpoint<Vec<u64>> = Checkpoint::resume(dir.path(), &id, 1000).unwrap();
        assert_eq!(back, cp);
        let mut other = id.clone();
        other.seed = 8;
        let e = Checkpoint::<Vec<u64>>::resume(dir.path(), &other, 1000).unwrap_err();
        assert!(e.to_string().contains("seed 7, not 8"), "{e}");
        let mut other = id.clone();
        other.scenario_hash = "fnv1a64:0000000000000002".into();
        let e = Checkpoint::<Vec<u64>>::resume(dir.path(), &other, 1000).unwrap_err();
        assert!(e.to_string().contains("another scenario"), "{e}");
        let mut other = id.clone();
        other.settings = serde_json::json!({"runs": 2000});
        let e = Checkpoint::<Vec<u64>>::resume(dir.path(), &other, 2000).unwrap_err();
        assert!(e.to_string().contains("other settings (runs)"), "{e}");
        assert!(Checkpoint::<Vec<u64>>::resume(dir.path(), &id, 100).is_err());
        remove(dir.path(), Shard::WHOLE).unwrap();
        let e = Checkpoint::<Vec<u64>>::resume(dir.path(), &id, 1000).unwrap_err();
        assert!(matches!(e, CheckpointError::Missing(_)), "{e}");
        assert_eq!(
            checkpoint_file_name(Shard::new(2, 5).unwrap()),
            "checkpoint-2-of-5.json"
        );
    }

    #[test]
    fn every_is_checked() {
        assert_eq!(parse_every("0"), Ok(Duration::ZERO));
        assert_eq!(parse_every("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["-1", "nan", "inf", "x", ""] {
            assert!(parse_every(bad).is_err(), "{bad}");
        }
    }
}
