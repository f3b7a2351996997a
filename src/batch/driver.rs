//! The driver every study's batch goes through: counts computed in waves over the shard's work
//! items, a checkpoint when `--checkpoint-every` has passed, `--resume` from one, a clean stop
//! on the first Ctrl-C, and the part file of a shard.
//!
//! It is generic over the counts: a study says how to count a range of items
//! ([`crate::study::Study::count`]); the driver says which ranges, and keeps the counts safe.
//! Because counts are integers merged by addition and waves are taken in order, a batch
//! continued from any checkpoint gives exactly the counts of an uninterrupted one.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::checkpoint::{self, Checkpoint, CheckpointError, Identity, Pacer};
use super::merge::{MergeError, PartFile};
use super::part::{part_file_name, scenario_hash, Part, PART_FORMAT};
use super::shard::Shard;
use crate::output::{OutputError, Staging};
use crate::scenario::Scenario;

/// Exit status of a command stopped by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED_EXIT: u8 = 130;

/// Why a batch did not finish.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    /// Stopped by Ctrl-C after writing a checkpoint: the message says how to resume.
    #[error("{0}")]
    Interrupted(String),
    /// A checkpoint could not be resumed or written.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Started without `--resume` where a checkpoint is: it is never replaced.
    #[error("{0}")]
    Occupied(String),
    /// A checkpoint's counts do not fit the batch.
    #[error("--resume: {}: {reason}", path.display())]
    Unfit {
        /// The checkpoint.
        path: PathBuf,
        /// What does not fit.
        reason: String,
    },
    /// The part file could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The part file could not be encoded.
    #[error("cannot encode the part file: {0}")]
    Encode(#[from] serde_json::Error),
    /// Counting failed (the study's own error).
    #[error("{0:#}")]
    Study(anyhow::Error),
}

/// How a batch is driven: `--checkpoint-every` and `--resume`.
#[derive(Debug, Clone, Copy)]
pub struct DriveOptions {
    /// Time between checkpoints (zero: after every wave).
    pub checkpoint_every: Duration,
    /// Continue from the checkpoint in the output folder.
    pub resume: bool,
}

static STOP: AtomicBool = AtomicBool::new(false);
static HANDLER: Once = Once::new();

/// Install the Ctrl-C handler (once): the first Ctrl-C (or SIGTERM, SIGHUP: what a scheduler
/// sends before killing a job) asks the running command to stop after the wave in flight; the
/// second exits at once with status 130.
fn install_ctrlc() {
    HANDLER.call_once(|| {
        let installed = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(INTERRUPTED_EXIT));
            }
            eprintln!("\ninterrupt: finishing the runs in flight to write a checkpoint (Ctrl-C again to quit at once)");
        });
        if let Err(e) = installed {
            eprintln!("warning: Ctrl-C will stop at once, without a checkpoint: {e}");
        }
    });
}

/// The command line with `--resume` added, quoted for a POSIX shell.
pub fn resume_command_line(argv: &[String]) -> String {
    let quote = |s: &str| {
        let plain = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-./=:,@%+".contains(c));
        if plain {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    let mut words: Vec<String> = argv.iter().map(|a| quote(a)).collect();
    if !argv.iter().any(|a| a == "--resume") {
        words.push("--resume".into());
    }
    words.join(" ")
}

/// Compute a batch's counts over the `items` work items of its shard (numbered from 0), `wave`
/// items at a time in order: `step(lo..hi, &mut counts)` adds items `lo..hi`; an error from a
/// step stops at once, before any checkpoint of the incomplete counts. With `--resume` it
/// starts from the checkpoint in `out` (its digest checked by [`Checkpoint::resume`]), whose
/// counts must pass `fits(&counts, done)` (`Err` says what does not fit); it writes
/// a checkpoint when `--checkpoint-every` has passed after a wave, and on the first Ctrl-C
/// writes one and returns [`DriveError::Interrupted`].
#[allow(clippy::too_many_arguments)]
pub fn drive<C: Serialize + DeserializeOwned>(
    identity: &Identity,
    options: DriveOptions,
    out: &Path,
    items: u64,
    wave: u64,
    empty: C,
    fits: &dyn Fn(&C, u64) -> Result<(), String>,
    step: &mut dyn FnMut(Range<u64>, &mut C) -> anyhow::Result<()>,
) -> Result<C, DriveError> {
    let (mut done, mut counts) = if options.resume {
        let cp: Checkpoint<C> = Checkpoint::resume(out, identity, items)?;
        let done = cp.done.unwrap_or(0);
        if let Err(why) = fits(&cp.counts, done) {
            return Err(DriveError::Unfit {
                path: out.join(checkpoint::checkpoint_file_name(identity.shard)),
                reason: format!(
                    "its counts do not fit the scenario and the {} {} it says are done: {why}",
                    done,
                    identity.command.unit()
                ),
            });
        }
        (done, cp.counts)
    } else {
        let path = out.join(checkpoint::checkpoint_file_name(identity.shard));
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(DriveError::Occupied(format!(
                "{} holds the checkpoint of an unfinished batch; continue it with the same options and \
                 --resume, or remove the file to start afresh (it is never replaced)",
                path.display()
            )));
        }
        (0, empty)
    };
    install_ctrlc();
    let argv: Vec<String> = std::env::args().collect();
    let mut pacer = Pacer::new(options.checkpoint_every);
    let wave = wave.max(1);
    while done < items {
        let hi = done + wave.min(items - done);
        step(done..hi, &mut counts).map_err(DriveError::Study)?;
        done = hi;
        let stopping = STOP.load(Ordering::SeqCst);
        if done >= items || !(stopping || pacer.due()) {
            continue;
        }
        Checkpoint::new(identity, argv.clone(), done, &counts).write(out)?;
        if stopping {
            return Err(DriveError::Interrupted(format!(
                "interrupted: {done} of {items} {} done; resume with: {}",
                identity.command.unit(),
                resume_command_line(&argv)
            )));
        }
    }
    Ok(counts)
}

/// Write shard `identity.shard`'s part file into `out` (through a staging folder) and remove its
/// checkpoint; returns the folder written.
pub fn write_part<C: Serialize>(identity: &Identity, out: &Path, counts: C) -> Result<PathBuf, DriveError> {
    let part = Part {
        format: PART_FORMAT.to_string(),
        command: identity.command,
        shard: identity.shard,
        scenario_hash: identity.scenario_hash.clone(),
        seed: identity.seed,
        argv: std::env::args().collect(),
        settings: identity.settings.clone(),
        done: None,
        counts,
    };
    let mut json = part.sealed_json()?;
    json.push('\n');
    let staging = Staging::prepare(out)?;
    staging.write(&part_file_name(identity.shard), json.as_bytes())?;
    let dir = staging.commit()?;
    remove_checkpoint(out, identity);
    Ok(dir)
}

/// Remove a finished batch's checkpoint from `out`, but only its own: a checkpoint of another
/// batch (another command, scenario, seed or settings) is left where it is, with a warning.
/// Failing to remove is only a warning (the results are written).
pub fn remove_checkpoint(out: &Path, identity: &Identity) {
    let path = out.join(checkpoint::checkpoint_file_name(identity.shard));
    if let Ok(text) = std::fs::read_to_string(&path) {
        let theirs: Result<Checkpoint<serde_json::Value>, _> = serde_json::from_str(&text);
        if let Ok(Some(what)) = theirs.map(|cp| checkpoint::difference(&cp.identity(), identity)) {
            eprintln!(
                "warning: {} belongs to another batch ({what}); left in place",
                path.display()
            );
            return;
        }
    }
    if let Err(e) = checkpoint::remove(out, identity.shard) {
        eprintln!("warning: cannot remove the checkpoint in {}: {e}", out.display());
    }
}

/// Whether shard `identity.shard`'s part file is already in `out`: `Ok(true)` when it is this
/// batch's (nothing to do), `Ok(false)` when there is none, and an error when it belongs to
/// another batch (it is never overwritten: remove it, or use another folder).
pub fn part_done(identity: &Identity, out: &Path) -> Result<bool, MergeError> {
    let path = out.join(part_file_name(identity.shard));
    if !path.exists() {
        return Ok(false);
    }
    let found = PartFile::read(&path)?;
    let theirs = Identity {
        shard: found.part.shard,
        ..found.identity()
    };
    match checkpoint::difference(&theirs, identity) {
        None => Ok(true),
        Some(what) => Err(MergeError::Refused(format!(
            "{} belongs to another batch ({what}); remove it or write this one into another --out",
            path.display()
        ))),
    }
}

/// Decode the settings of a part (the first of a checked set: they are all the same).
pub fn settings_of<T: DeserializeOwned>(first: &PartFile) -> Result<T, MergeError> {
    serde_json::from_value(first.part.settings.clone()).map_err(|e| MergeError::Corrupt {
        path: first.path.clone(),
        reason: format!("settings: {e}"),
    })
}

/// Check the scenarios that merged parts carry in their settings: they must hash to the parts'
/// `scenario_hash` and be valid.
pub fn part_scenarios(first: &PartFile, scenarios: &[&Scenario]) -> Result<(), MergeError> {
    let corrupt = |reason: String| MergeError::Corrupt {
        path: first.path.clone(),
        reason,
    };
    if scenario_hash(scenarios) != first.part.scenario_hash {
        return Err(corrupt("its scenario does not match its scenario_hash".into()));
    }
    for sc in scenarios {
        if let Some(v) = crate::scenario::validate(sc).first() {
            return Err(corrupt(format!(
                "its scenario is not valid: {}: {}",
                v.path, v.message
            )));
        }
    }
    Ok(())
}

/// Decode every part's counts, check them with `fits(&counts, shard)` (`Err` says what does not
/// fit), and add them up with `merge`, in shard order.
pub fn add_parts<C: DeserializeOwned>(
    parts: &[PartFile],
    mut total: C,
    fits: &dyn Fn(&C, Shard) -> Result<(), String>,
    merge: &dyn Fn(&mut C, C),
) -> Result<C, MergeError> {
    for p in parts {
        let c: C = p.counts()?;
        if let Err(why) = fits(&c, p.part.shard) {
            return Err(MergeError::Corrupt {
                path: p.path.clone(),
                reason: format!("its counts do not fit its scenario and shard: {why}"),
            });
        }
        merge(&mut total, c);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_line_quotes_and_adds_the_flag() {
        let argv: Vec<String> = ["jinsong", "run", "--out", "my dir", "--set", "a.b=it's"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            resume_command_line(&argv),
            r"jinsong run --out 'my dir' --set 'a.b=it'\''s' --resume"
        );
        let again: Vec<String> = vec!["jinsong".into(), "run".into(), "--resume".into()];
        assert_eq!(resume_command_line(&again), "jinsong run --resume");
    }
}
