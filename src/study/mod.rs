//! Studies: what each long command computes from a batch of runs.
//!
//! A study says, once, everything that differs between the long commands; everything they share
//! (threads, progress, shards, checkpoints, resume, Ctrl-C, merge, charts) is done for all of
//! them by one driver ([`crate::batch::driver`], and `jinsong`'s command line around it). Each
//! study is one file here implementing [`Study`]:
//!
//! | study | counts | work item | writes |
//! |---|---|---|---|
//! | [`run`] | [`Tally`](crate::batch::tally::Tally) | a run | `summary.json`, `onset_curve.csv` |
//! | [`score`] | pattern matches per scenario | a run (of every scenario) | `scores.json`, `scores.csv` |
//! | [`calibrate`] | joint matches per evaluation | an evaluation | `calibration.csv`, a variant |
//! | [`compare`] | paired first onsets | a run (of every scenario) | `compare.json`, `compare_curves.csv` |
//! | [`attribute`] | Shapley sums | a run (of every combination) | `attribution.json` |
//! | [`sweep`] | first onsets per point | a point | `sweep.csv` |
//! | [`sensitivity`] | first onsets per evaluation | an evaluation | `sensitivity.json` |
//! | [`evidence`] | pattern matches, parameter histograms and a posterior sample per reading | a run (of every reading) | `evidence.json`, `posterior.json`, `posterior_sample.csv` |
//! | [`robustness`] | per reading: joint matches, runs missing one pattern, importance-weight sums; per fresh variant: joint matches | a run (of every reading and fresh variant) | `robustness.json`, `robustness.csv`, `robustness_factors.csv` |
//!
//! To add a study, see `docs/architecture.md`: one new file implementing [`Study`] and one
//! arm in [`StudyKind`](crate::batch::kind::StudyKind) (and in the command line's dispatch).

use std::ops::Range;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::batch::fold::wave_runs;
pub use crate::batch::kind::StudyKind;
use crate::batch::Counts;
use crate::scenario::Scenario;

/// [`Settings`] for a settings struct whose scenarios are its field `scenarios` (several) or
/// `scenario` (one).
macro_rules! settings_scenarios {
    ($t:ty, scenarios) => {
        impl $crate::study::Settings for $t {
            fn scenarios(&self) -> Vec<&$crate::scenario::Scenario> {
                self.scenarios.iter().collect()
            }
        }
    };
    ($t:ty, scenario) => {
        impl $crate::study::Settings for $t {
            fn scenarios(&self) -> Vec<&$crate::scenario::Scenario> {
                vec![&self.scenario]
            }
        }
    };
}

/// The getters of a [`Study`] kept in fields `settings` (of type `$t`) and `seed`, whose work
/// items are the settings' `runs`.
macro_rules! study_of_runs {
    ($t:ty) => {
        fn settings(&self) -> &$t {
            &self.settings
        }

        fn seed(&self) -> u64 {
            self.seed
        }

        fn items(&self, _sharded: bool) -> u64 {
            self.settings.runs
        }
    };
}

pub mod attribute;
pub mod calibrate;
pub mod check;
pub mod compare;
pub mod dyad;
pub mod evidence;
pub mod reweight;
pub mod robustness;
pub mod run;
pub mod score;
pub mod sensitivity;
pub mod sweep;

/// What `jinsong merge` reads from parts written by study `S` (already checked to belong
/// together, in shard order, each with a matching digest: [`crate::batch::merge::check_parts`]):
/// the study of their settings, their scenarios checked against their hash, and every part's
/// counts checked against its shard ([`Study::fits`]) and added up.
pub fn read_parts<S: Study>(
    parts: &[crate::batch::merge::PartFile],
) -> Result<(S, S::Counts), crate::batch::merge::MergeError> {
    use crate::batch::driver::{add_parts, part_scenarios, settings_of};
    use crate::batch::merge::MergeError;
    let first = parts
        .first()
        .ok_or_else(|| MergeError::Refused("no part files given".into()))?;
    let settings: S::Settings = settings_of(first)?;
    let study = S::new(settings, first.part.seed).map_err(|e| MergeError::Corrupt {
        path: first.path.clone(),
        reason: format!("settings: {e}"),
    })?;
    part_scenarios(first, &study.scenarios())?;
    let total = study.items(true);
    let counts = add_parts(
        parts,
        study.empty(),
        &|c: &S::Counts, shard| study.fits(c, shard.range(total)),
        &|sum, c| sum.merge(&c),
    )?;
    Ok((study, counts))
}

/// `Ok` when `ok`, else `Err(what())`: the checks of [`Study::fits`], one at a time.
pub fn need(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// Why a study could not be set up, counted or finished.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A bad pair or date.
    #[error(transparent)]
    Dyad(#[from] dyad::DyadError),
    /// Scenarios that cannot be compared.
    #[error(transparent)]
    Compare(#[from] compare::CompareError),
    /// A bad attribution.
    #[error(transparent)]
    Attribution(#[from] attribute::AttributionError),
    /// A bad sweep or sensitivity design.
    #[error(transparent)]
    Sweep(#[from] sweep::SweepError),
    /// A bad calibration.
    #[error(transparent)]
    Calibrate(#[from] calibrate::CalibrateError),
    /// A pattern file that does not fit a scenario.
    #[error(transparent)]
    Pattern(#[from] crate::scenario::ScenarioError),
    /// Settings that do not make sense (read from a damaged part file).
    #[error("settings: {0}")]
    Settings(String),
}

/// What a finished study writes and prints.
#[derive(Debug)]
pub struct Finished {
    /// The result files, `(name, contents)`, in the order they are written.
    pub files: Vec<(String, Vec<u8>)>,
    /// Printed before the line that names the files (the study's table).
    pub head: String,
    /// The files as named in that line: `summary.json and onset_curve.csv`.
    pub wrote: String,
    /// A scenario file written outside the output folder (calibrate's calibrated variant).
    pub variant: Option<calibrate::CalibratedVariant>,
}

/// A study's settings: serialized into part files and checkpoints, and holding the scenarios
/// run.
pub trait Settings: Serialize + DeserializeOwned {
    /// The scenarios run (after overrides), whose hash identifies the batch.
    fn scenarios(&self) -> Vec<&Scenario>;
}

/// One long command: its settings, its counts, how to count a range of work items, and how to
/// finish from the counts.
///
/// Invariants the driver relies on:
/// - [`Study::count`] of consecutive ranges, merged, equals [`Study::count`] of their union,
///   whatever the rayon pool's size (integer counts; run *r* is a pure function of the
///   scenario, the seed and *r*);
/// - [`Study::finish`] depends only on the settings and the counts, so a single machine, merged
///   shards and a resumed batch write the same bytes;
/// - the settings hold everything besides the scenarios and the seed that the counts depend on,
///   so that two batches with equal identities may share parts and checkpoints.
pub trait Study: Sized + Sync {
    /// Which command this is.
    const KIND: StudyKind;
    /// What part files and checkpoints keep besides the counts: enough to finish without the
    /// input files.
    type Settings: Settings;
    /// The integer counts.
    type Counts: Counts;

    /// The study of `settings` under master seed `seed` (built from the command line, or read
    /// from a part file); every check that can fail is made here, before any run.
    fn new(settings: Self::Settings, seed: u64) -> Result<Self, StudyError>;
    /// Its settings.
    fn settings(&self) -> &Self::Settings;
    /// The scenarios run (after overrides), whose hash identifies the batch.
    fn scenarios(&self) -> Vec<&Scenario> {
        self.settings().scenarios()
    }
    /// The master seed.
    fn seed(&self) -> u64;
    /// Work items of the whole batch; `sharded`: of a batch split into shards (a calibration
    /// shards only its Latin hypercube).
    fn items(&self, sharded: bool) -> u64;
    /// Simulated runs per work item (for the progress bar).
    fn runs_per_item(&self) -> u64 {
        1
    }
    /// Work items per wave (between checkpoints) on `threads` worker threads.
    fn wave(&self, threads: usize) -> u64 {
        wave_runs(threads)
    }
    /// Counts of no item.
    fn empty(&self) -> Self::Counts;
    /// Whether `counts` can be the counts of exactly the work items `items` (read from a
    /// checkpoint or a part file, they must fit before they are used): their shape, and every
    /// invariant counting keeps that can be checked from the counts alone (no count above its
    /// runs, totals that must add up do, histograms that sum to what they count, sample rows
    /// inside the items, …). `Err` says, in a short phrase, the first thing that does not fit
    /// (the field by its path in the file's `counts`).
    ///
    /// A consistent edit (fewer wars, the same runs) fits: only the file's digest
    /// ([`crate::batch::part`]) catches that.
    fn fits(&self, counts: &Self::Counts, items: Range<u64>) -> Result<(), String>;
    /// Add the work items `items` to `counts` on the current rayon pool; `progress` is told the
    /// simulated runs as they finish.
    fn count(
        &self,
        items: Range<u64>,
        counts: &mut Self::Counts,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), StudyError>;
    /// The results of the whole batch's counts.
    fn finish(&self, counts: Self::Counts) -> Result<Finished, StudyError>;
}
