//! Shards, checkpoints, Ctrl-C and `jinsong merge` on the command line.
//!
//! Every long command computes integer counts over a range of work items (run indices), then
//! finishes from the counts. [`LongArgs`] adds `--shard K/N` (compute only shard `K`'s items and
//! write `part-K-of-N.json`), `--checkpoint-every SECS` and `--resume`; [`drive`] computes the
//! counts in waves with checkpoints and a clean stop on the first Ctrl-C; `merge` adds the
//! parts' counts and finishes through the same code as the single-machine command.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{emit, DrawArgs};
use crate::checkpoint::{self, parse_every, Checkpoint, Identity, Pacer};
use crate::merge::{check_parts, MergeError, PartFile};
use crate::model::Model;
use crate::output::Staging;
use crate::part::{part_file_name, scenario_hash, Part, PART_FORMAT};
use crate::scenario::Scenario;
use crate::shard::Shard;
use crate::tally::Tally;

/// Exit status of a command stopped by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED_EXIT: u8 = 130;

/// `--shard`, `--checkpoint-every` and `--resume`: options of every long command.
#[derive(Debug, Args)]
pub struct LongArgs {
    /// Compute only shard K of N (1-based; runs floor((K-1)·M/N) .. floor(K·M/N) of M) and write
    /// part-K-of-N.json into the output folder, for `jinsong merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Seconds between checkpoints written into the output folder (fractions allowed; 0 = after
    /// every wave of runs).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_every)]
    pub checkpoint_every: Duration,
    /// Continue from the checkpoint in the output folder (it must come from the same command,
    /// scenario, seed and settings).
    #[arg(long)]
    pub resume: bool,
}

impl LongArgs {
    /// The shard computed (`1/1` without `--shard`).
    pub fn shard(&self) -> Shard {
        self.shard.unwrap_or(Shard::WHOLE)
    }
}

/// A command stopped by Ctrl-C after writing a checkpoint: the message says how to resume.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Interrupted(pub String);

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

/// Where a long command stands: its identity, its output folder and the checkpoint pace.
/// Commands call [`Checkpointer::after`] after each unit of work.
pub(crate) struct Checkpointer<'a> {
    identity: &'a Identity,
    out: &'a Path,
    argv: Vec<String>,
    pacer: Pacer,
}

impl<'a> Checkpointer<'a> {
    /// Install the Ctrl-C handler and start the checkpoint clock.
    pub(crate) fn new(identity: &'a Identity, long: &LongArgs, out: &'a Path) -> Self {
        install_ctrlc();
        Checkpointer {
            identity,
            out,
            argv: std::env::args().collect(),
            pacer: Pacer::new(long.checkpoint_every),
        }
    }

    /// With `done` of `items` items done: write a checkpoint of `counts()` if
    /// `--checkpoint-every` has passed or Ctrl-C was pressed (and not all is done), and after a
    /// Ctrl-C return [`Interrupted`] with the resume command. `counts` is only called when a
    /// checkpoint is written.
    pub(crate) fn after<C: Serialize>(
        &mut self,
        done: u64,
        items: u64,
        counts: impl FnOnce() -> C,
    ) -> Result<()> {
        let stopping = STOP.load(Ordering::SeqCst);
        if done >= items || !(stopping || self.pacer.due()) {
            return Ok(());
        }
        Checkpoint::new(self.identity, self.argv.clone(), done, counts()).write(self.out)?;
        if stopping {
            let unit = match self.identity.command.as_str() {
                "sweep" => "points",
                "sensitivity" | "calibrate" => "evaluations",
                _ => "runs",
            };
            return Err(Interrupted(format!(
                "interrupted: {done} of {items} {unit} done; resume with: {}",
                resume_command_line(&self.argv)
            ))
            .into());
        }
        Ok(())
    }
}

/// The checkpoint of `identity` in `out` for `--resume` (with at most `items` items done), its
/// counts checked by `fits`.
pub(crate) fn resumed<C: DeserializeOwned>(
    identity: &Identity,
    out: &Path,
    items: u64,
    fits: &dyn Fn(&C) -> bool,
) -> Result<Checkpoint<C>> {
    let cp: Checkpoint<C> = Checkpoint::resume(out, identity, items)?;
    if !fits(&cp.counts) {
        bail!(
            "--resume: {}: its counts do not fit the scenario",
            out.join(checkpoint::checkpoint_file_name(identity.shard))
                .display()
        );
    }
    Ok(cp)
}

/// Compute a command's counts over `items` work items (the shard's, numbered from 0), `wave`
/// items at a time in order: `step(lo..hi, &mut counts)` adds items `lo..hi`; an error from a
/// step stops at once, before any checkpoint of the incomplete counts. Starts from the
/// checkpoint with `--resume`, writes one into `out` when `--checkpoint-every` has passed after
/// a wave, and on the first Ctrl-C writes one and returns [`Interrupted`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn drive<C: Serialize + DeserializeOwned>(
    identity: &Identity,
    long: &LongArgs,
    out: &Path,
    items: u64,
    wave: u64,
    empty: C,
    fits: &dyn Fn(&C) -> bool,
    step: &mut dyn FnMut(std::ops::Range<u64>, &mut C) -> Result<()>,
) -> Result<C> {
    let (mut done, mut counts) = if long.resume {
        let cp = resumed(identity, out, items, fits)?;
        (cp.done, cp.counts)
    } else {
        (0, empty)
    };
    let mut checkpointer = Checkpointer::new(identity, long, out);
    let wave = wave.max(1);
    while done < items {
        let hi = done + wave.min(items - done);
        step(done..hi, &mut counts)?;
        done = hi;
        checkpointer.after(done, items, || &counts)?;
    }
    Ok(counts)
}

/// Decode the settings of a part (the first of a checked set: they are all the same).
pub(crate) fn settings_of<T: serde::de::DeserializeOwned>(first: &PartFile) -> Result<T> {
    Ok(
        serde_json::from_value(first.part.settings.clone()).map_err(|e| MergeError::Corrupt {
            path: first.path.clone(),
            reason: format!("settings: {e}"),
        })?,
    )
}

/// Write shard `identity.shard`'s part file into `out` (through a staging folder) and remove its
/// checkpoint.
pub(crate) fn write_part<C: Serialize>(
    identity: &Identity,
    out: &Path,
    counts: C,
    quiet: bool,
) -> Result<()> {
    let part = Part {
        format: PART_FORMAT.to_string(),
        command: identity.command.clone(),
        shard: identity.shard,
        scenario_hash: identity.scenario_hash.clone(),
        seed: identity.seed,
        argv: std::env::args().collect(),
        settings: identity.settings.clone(),
        counts,
    };
    let mut json = serde_json::to_string(&part).context("cannot encode the part file")?;
    json.push('\n');
    let name = part_file_name(identity.shard);
    let staging = Staging::prepare(out)?;
    staging.write(&name, json.as_bytes())?;
    let dir = staging.commit()?;
    remove_checkpoint(out, identity.shard);
    if !quiet {
        emit(&format!(
            "wrote {}/{name} (shard {}); merge all {} parts with: jinsong merge {}/part-*-of-{}.json --out DIR\n",
            dir.display(),
            identity.shard,
            identity.shard.count,
            dir.display(),
            identity.shard.count
        ))?;
    }
    Ok(())
}

/// Remove a finished command's checkpoint; failing to is only a warning (results are written).
pub(crate) fn remove_checkpoint(out: &Path, shard: Shard) {
    if let Err(e) = checkpoint::remove(out, shard) {
        eprintln!("warning: cannot remove the checkpoint in {}: {e}", out.display());
    }
}

/// What a `run` part keeps besides its counts: enough to finish without the scenario files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunSettings {
    /// Runs of the whole batch (all shards).
    pub runs: u64,
    /// The scenario after overrides.
    pub scenario: Scenario,
}

/// The identity of `run`'s batch (for parts and checkpoints).
pub(crate) fn run_identity(sc: &Scenario, seed: u64, runs: u64, shard: Shard) -> Result<Identity> {
    let settings = RunSettings {
        runs,
        scenario: sc.clone(),
    };
    Identity::of("run", shard, &[sc], seed, &settings).context("cannot encode the settings")
}

/// Decode the settings of merged parts and check the scenarios they carry: they must hash to
/// the parts' `scenario_hash` and be valid.
pub(crate) fn part_scenarios(first: &PartFile, scenarios: &[&Scenario]) -> Result<()> {
    if scenario_hash(scenarios) != first.part.scenario_hash {
        return Err(MergeError::Corrupt {
            path: first.path.clone(),
            reason: "its scenario does not match its scenario_hash".into(),
        }
        .into());
    }
    for sc in scenarios {
        if let Some(v) = crate::scenario::validate(sc).first() {
            return Err(MergeError::Corrupt {
                path: first.path.clone(),
                reason: format!("its scenario is not valid: {}: {}", v.path, v.message),
            }
            .into());
        }
    }
    Ok(())
}

/// Decode every part's counts, check them with `check(shard, &counts)`, and add them up with
/// `merge`, in shard order.
pub(crate) fn add_parts<C: DeserializeOwned>(
    parts: &[PartFile],
    mut total: C,
    check: &dyn Fn(Shard, &C) -> bool,
    merge: &dyn Fn(&mut C, &C),
) -> Result<C> {
    for p in parts {
        let c: C = p.counts()?;
        if !check(p.part.shard, &c) {
            return Err(MergeError::Corrupt {
                path: p.path.clone(),
                reason: "its counts do not fit its scenario and shard".into(),
            }
            .into());
        }
        merge(&mut total, &c);
    }
    Ok(total)
}

/// `jinsong merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The part files (part-K-of-N.json), in any order: all N shards of one batch.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// Output folder: receives exactly the files the single-machine command writes.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// No table.
    #[arg(long, short)]
    pub quiet: bool,
    /// Charts: drawn as the command that wrote the parts draws them.
    #[command(flatten)]
    pub draw: DrawArgs,
}

/// `jinsong merge PART... --out DIR`: check that the parts belong together, add their counts
/// and finish as the command that wrote them would.
pub fn merge(a: MergeArgs) -> Result<()> {
    let chart_options = a.draw.options()?;
    let files = a
        .parts
        .iter()
        .map(|p| PartFile::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let parts = check_parts(files)?;
    let first = &parts[0];
    match first.part.command.as_str() {
        "run" => {
            let settings: RunSettings = settings_of(first)?;
            part_scenarios(first, &[&settings.scenario])?;
            let model = Model::compile(&settings.scenario);
            let runs = settings.runs;
            let tally = add_parts(
                &parts,
                Tally::new(&model),
                &|shard, t: &Tally| {
                    t.fits(&model)
                        && t.runs == {
                            let r = shard.range(runs);
                            r.end - r.start
                        }
                },
                &|a, b| a.merge(b),
            )?;
            let staging = Staging::prepare(&a.out)?;
            super::finish_run(
                &model,
                first.part.seed,
                &tally,
                staging,
                chart_options.as_ref(),
                a.quiet,
            )
        }
        "sweep" => super::study::merge_sweep_parts(&parts, &a.out, chart_options.as_ref(), a.quiet),
        "sensitivity" => {
            super::study::merge_sensitivity_parts(&parts, &a.out, chart_options.as_ref(), a.quiet)
        }
        other => super::hypothesis::merge_parts(other, &parts, &a.out, chart_options.as_ref(), a.quiet),
    }
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
