//! `calibrate`: give a scenario its best fair chance against the historical patterns.
//!
//! The named free parameters are searched for the highest joint match rate (all patterns at
//! once); between points with the same joint match — notably when no point matches every
//! pattern in any run, as with HISTORY.md's whole timeline — the higher composite score wins:
//! the sum over patterns of `ln((k + ½) / (n + 1))` (k runs of n matching the pattern), the log
//! of the product of the patterns' match rates as if they were independent ([`composite`]).
//! The search is seeded and deterministic:
//!
//! 1. a Latin hypercube of `budget / 2` points over the free ranges (one stratum per point and
//!    parameter, strata shuffled by a ChaCha8 stream of the seed);
//! 2. a coordinate search from the best point: each parameter is moved by ± its step (a quarter
//!    of its range at first); a move that raises the joint match is kept, and when no move helps
//!    every step is halved, until the budget of evaluations is spent.
//!
//! Every point is evaluated on the same runs (`0 .. runs`, common random numbers), so two points
//! are compared on the same histories and the search is not misled by independent noise.
//! Ties keep the earlier point.

use std::fmt::Write as _;
use std::str::FromStr;

use crate::model::Model;
use crate::patterns::PatternSet;
use crate::scenario::{apply_override, validate, Override, Scenario, ScenarioError};
use std::ops::Range;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::score::count_matches;
use super::{Finished, Study, StudyError, StudyKind};
use crate::batch::Counts;
use crate::stats::design::latin_hypercube;
use crate::stats::{wilson, Z95};

/// The largest `--budget` (evaluations) accepted.
pub const MAX_BUDGET: usize = 100_000;

/// A free parameter: `PATH=LO..HI`.
#[derive(Debug, Clone, PartialEq)]
pub struct FreeParameter {
    /// A `--set` path.
    pub path: String,
    /// Lower end of the range.
    pub lo: f64,
    /// Upper end of the range.
    pub hi: f64,
}

impl FromStr for FreeParameter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{} is not PATH=LO..HI (e.g. polities.jin.war_readiness=0.1..0.9)",
                crate::text::quote(s)
            )
        };
        let (path, range) = s.split_once('=').ok_or_else(bad)?;
        let (lo, hi) = range.split_once("..").ok_or_else(bad)?;
        let lo: f64 = lo.trim().parse().map_err(|_| bad())?;
        let hi: f64 = hi.trim().parse().map_err(|_| bad())?;
        if !lo.is_finite() || !hi.is_finite() || lo >= hi {
            return Err(format!("{}: the range must have LO < HI", crate::text::quote(s)));
        }
        Ok(FreeParameter {
            path: path.trim().to_string(),
            lo,
            hi,
        })
    }
}

/// How much search to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Search {
    /// Evaluations in all (half of them, at least one, for the Latin hypercube).
    pub budget: usize,
    /// Runs per evaluation (runs `0 .. runs`).
    pub runs: u64,
    /// Seed of the runs and of the design.
    pub seed: u64,
}

/// One evaluated point of the search.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Values of the free parameters, in order.
    pub values: Vec<f64>,
    /// Runs in which every pattern held.
    pub joint: u64,
    /// Runs.
    pub runs: u64,
    /// Per pattern, runs in which it held.
    pub matched: Vec<u64>,
    /// `lhs` or `local`.
    pub phase: &'static str,
}

/// The composite score of per-pattern matches `matched` of `runs` runs: `Σ ln((k + ½)/(n + 1))`,
/// the log of the product of the patterns' match rates (each kept off 0 by half a run), which
/// ranks points when their joint matches tie.
pub fn composite(matched: &[u64], runs: u64) -> f64 {
    let n = runs as f64 + 1.0;
    matched.iter().map(|&k| ((k as f64 + 0.5) / n).ln()).sum()
}

impl Evaluation {
    /// Whether this evaluation beats `other`: a higher joint match, or the same joint match and
    /// a higher [`composite`] score.
    pub fn beats(&self, other: &Evaluation) -> bool {
        self.joint > other.joint
            || (self.joint == other.joint
                && composite(&self.matched, self.runs) > composite(&other.matched, other.runs))
    }
}

/// The result of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The free parameters.
    pub free: Vec<FreeParameter>,
    /// Every evaluation, in order.
    pub evaluations: Vec<Evaluation>,
    /// Index of the best evaluation.
    pub best: usize,
    /// Seed of the runs and of the design.
    pub seed: u64,
}

/// Why a calibration could not run.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// A free parameter's path or range is not valid for the scenario.
    #[error("--free {}: {message}", crate::text::clip(.path))]
    Free {
        /// The path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The patterns do not fit the scenario.
    #[error(transparent)]
    Patterns(#[from] ScenarioError),
    /// Nothing to search.
    #[error("{0}")]
    Usage(String),
}

fn with_values(base: &Scenario, free: &[FreeParameter], values: &[f64]) -> Result<Scenario, CalibrateError> {
    let mut sc = base.clone();
    for (f, v) in free.iter().zip(values) {
        let o = Override {
            path: f.path.clone(),
            value: format!("{v}"),
        };
        sc = apply_override(&sc, &o).map_err(|message| CalibrateError::Free {
            path: f.path.clone(),
            message,
        })?;
    }
    if let Some(v) = validate(&sc).into_iter().next() {
        return Err(CalibrateError::Free {
            path: v.path,
            message: v.message,
        });
    }
    Ok(sc)
}

/// Check the free parameters and the budget before any run: every path must exist, and both ends
/// of every range must give a valid scenario.
pub fn check_free(base: &Scenario, free: &[FreeParameter], search: Search) -> Result<(), CalibrateError> {
    if free.is_empty() {
        return Err(CalibrateError::Usage(
            "calibrate needs at least one --free PATH=LO..HI".into(),
        ));
    }
    if !(2..=MAX_BUDGET).contains(&search.budget) {
        return Err(CalibrateError::Usage(format!(
            "--budget: {} is out of range (allowed: 2 ..= {MAX_BUDGET})",
            search.budget
        )));
    }
    if search.runs == 0 {
        return Err(CalibrateError::Usage("--runs must be at least 1".into()));
    }
    let mid: Vec<f64> = free.iter().map(|g| 0.5 * (g.lo + g.hi)).collect();
    for f in free {
        for end in [f.lo, f.hi] {
            let values: Vec<f64> = free
                .iter()
                .zip(&mid)
                .map(|(g, &m)| if g.path == f.path { end } else { m })
                .collect();
            with_values(base, free, &values)?;
        }
    }
    Ok(())
}

/// Round a value for writing into a scenario file: 4 significant digits are far below what the
/// joint match rate of a calibration can tell apart.
fn tidy(v: f64) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    let digits = 3 - v.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

/// The joint matches of one evaluated point (the integer counts a shard of the Latin hypercube
/// reports; the point's values follow from the free parameters and the search).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PointCount {
    /// Runs in which every pattern held.
    pub joint: u64,
    /// Runs.
    pub runs: u64,
    /// Per pattern, in pattern-file order: runs in which it held.
    pub matched: Vec<u64>,
}

/// The number of Latin-hypercube points of a search: half the budget, at least one.
pub fn lhs_size(search: Search) -> usize {
    (search.budget / 2).max(1)
}

/// The Latin-hypercube design of a search: [`lhs_size`] points, each a value per free
/// parameter. It depends only on the free parameters and the search (its seed).
pub fn lhs_points(free: &[FreeParameter], search: Search) -> Vec<Vec<f64>> {
    let stream = u64::from_le_bytes(*b"calibrat");
    latin_hypercube(lhs_size(search), free.len(), search.seed, stream)
        .into_iter()
        .map(|x| {
            free.iter()
                .zip(x)
                .map(|(f, x)| tidy(f.lo + x * (f.hi - f.lo)))
                .collect()
        })
        .collect()
}

/// Evaluate one point: the joint matches of `runs` runs of `base` with the free parameters set
/// to `values`; `progress` is told the runs as they finish.
pub fn evaluate_point(
    base: &Scenario,
    (patterns, patterns_file): (&PatternSet, &str),
    free: &[FreeParameter],
    search: Search,
    values: &[f64],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<PointCount, CalibrateError> {
    let sc = with_values(base, free, values)?;
    let model = Model::compile(&sc);
    let compiled = patterns.compile(patterns_file, &model)?;
    let counts = count_matches(&model, &compiled, search.seed, 0, search.runs, progress);
    Ok(PointCount {
        joint: counts.joint,
        runs: counts.runs,
        matched: counts.matched,
    })
}

/// Search the free parameters of `base` for the highest joint match with `patterns` (see the
/// module docs), on the current rayon pool. `progress` is told each finished evaluation.
pub fn calibrate(
    base: &Scenario,
    patterns: (&PatternSet, &str),
    free: &[FreeParameter],
    search: Search,
    progress: &dyn Fn(&Evaluation),
) -> Result<Calibration, CalibrateError> {
    calibrate_from(base, patterns, free, search, &[], &mut |done: &[Evaluation]| {
        if let Some(e) = done.last() {
            progress(e);
        }
        Ok::<(), CalibrateError>(())
    })
}

/// [`calibrate`], continuing a search whose first evaluations are `known` (their counts, in the
/// order the search makes them: the Latin-hypercube points of merged shards, or a checkpoint).
///
/// The search is a pure function of the evaluations' counts, so it takes the same path again:
/// the first `known.len()` evaluations are taken from `known` instead of being run, and the
/// search goes on from there. After each evaluation it does run, `after` is given every
/// evaluation so far (to checkpoint them, or to stop the search by returning an error).
pub fn calibrate_from<E: From<CalibrateError>>(
    base: &Scenario,
    patterns: (&PatternSet, &str),
    free: &[FreeParameter],
    search: Search,
    known: &[PointCount],
    after: &mut dyn FnMut(&[Evaluation]) -> Result<(), E>,
) -> Result<Calibration, E> {
    check_free(base, free, search)?;
    let mut evaluate = |values: &[f64]| Ok(evaluate_point(base, patterns, free, search, values, &|_| {})?);
    search_from(free, search, known, &mut evaluate, after)
}

/// The search itself, a pure function of the evaluations' counts: the first `known.len()`
/// evaluations are taken from `known`, every further point is counted by `evaluate`, and
/// `after` is given every evaluation so far after each new one.
fn search_from<E: From<CalibrateError>>(
    free: &[FreeParameter],
    search: Search,
    known: &[PointCount],
    evaluate_point: &mut dyn FnMut(&[f64]) -> Result<PointCount, E>,
    after: &mut dyn FnMut(&[Evaluation]) -> Result<(), E>,
) -> Result<Calibration, E> {
    let Search { budget, seed, .. } = search;
    if known.len() > budget {
        return Err(CalibrateError::Usage(format!(
            "{} evaluations given for a budget of {budget}",
            known.len()
        ))
        .into());
    }
    let k = free.len();
    let mut evaluations: Vec<Evaluation> = Vec::with_capacity(budget);
    let mut evaluate = |values: Vec<f64>, phase: &'static str, evaluations: &mut Vec<Evaluation>| {
        let c = match known.get(evaluations.len()) {
            Some(c) => c.clone(),
            None => evaluate_point(&values)?,
        };
        evaluations.push(Evaluation {
            values,
            joint: c.joint,
            runs: c.runs,
            matched: c.matched,
            phase,
        });
        if evaluations.len() > known.len() {
            after(evaluations)?;
        }
        Ok::<(), E>(())
    };

    // 1. Latin hypercube.
    for values in lhs_points(free, search) {
        evaluate(values, "lhs", &mut evaluations)?;
    }
    let mut best = 0;
    for (i, e) in evaluations.iter().enumerate() {
        if e.beats(&evaluations[best]) {
            best = i;
        }
    }

    // 2. Coordinate search with halving steps.
    let mut steps: Vec<f64> = free.iter().map(|f| (f.hi - f.lo) / 4.0).collect();
    let min_steps: Vec<f64> = free.iter().map(|f| (f.hi - f.lo) / 1024.0).collect();
    'search: while evaluations.len() < budget {
        let mut improved = false;
        for d in 0..k {
            for sign in [1.0, -1.0] {
                if evaluations.len() >= budget {
                    break 'search;
                }
                let mut values = evaluations[best].values.clone();
                let moved = tidy((values[d] + sign * steps[d]).clamp(free[d].lo, free[d].hi));
                if moved == values[d]
                    || evaluations
                        .iter()
                        .any(|e| e.values[d] == moved && same_but(e, &values, d))
                {
                    continue;
                }
                values[d] = moved;
                evaluate(values, "local", &mut evaluations)?;
                let better = evaluations[evaluations.len() - 1].beats(&evaluations[best]);
                if better {
                    best = evaluations.len() - 1;
                    improved = true;
                }
            }
        }
        if !improved {
            for (s, m) in steps.iter_mut().zip(&min_steps) {
                *s /= 2.0;
                if *s < *m {
                    break 'search;
                }
            }
        }
    }
    Ok(Calibration {
        free: free.to_vec(),
        evaluations,
        best,
        seed,
    })
}

/// Whether `e` has the same values as `values` in every coordinate but `d`.
fn same_but(e: &Evaluation, values: &[f64], d: usize) -> bool {
    e.values
        .iter()
        .zip(values)
        .enumerate()
        .all(|(i, (a, b))| i == d || a == b)
}

impl Calibration {
    /// The best point.
    pub fn best(&self) -> &Evaluation {
        &self.evaluations[self.best]
    }

    /// The `--set` overrides of the best point.
    pub fn overrides(&self) -> Vec<String> {
        self.free
            .iter()
            .zip(&self.best().values)
            .map(|(f, v)| format!("{}={v}", f.path))
            .collect()
    }

    /// Every evaluation as CSV: `evaluation,phase,<paths…>,joint,runs,rate,ci_low,ci_high`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("evaluation,phase");
        for f in &self.free {
            let _ = write!(out, ",{}", f.path);
        }
        out.push_str(",joint,runs,rate,ci_low,ci_high\n");
        for (i, e) in self.evaluations.iter().enumerate() {
            let _ = write!(out, "{i},{}", e.phase);
            for v in &e.values {
                let _ = write!(out, ",{v}");
            }
            let (lo, hi) = wilson(e.joint, e.runs, Z95);
            let _ = writeln!(
                out,
                ",{},{},{},{lo},{hi}",
                e.joint,
                e.runs,
                e.joint as f64 / e.runs as f64
            );
        }
        out
    }

    /// The calibrated scenario as a variant file of `base_path` (relative to where the file
    /// will be written), with a header comment saying how it was found.
    pub fn variant_file(&self, base_path: &str, name: &str, command: &str) -> String {
        let b = self.best();
        let (lo, hi) = wilson(b.joint, b.runs, Z95);
        let lhs = self.evaluations.iter().filter(|e| e.phase == "lhs").count();
        let mut out = String::new();
        let _ = writeln!(out, "// Calibrated by: {command}");
        let _ = writeln!(
            out,
            "// Method: Latin hypercube of {lhs} points over the free ranges, then coordinate search with"
        );
        let _ = writeln!(
            out,
            "// halving steps; {} evaluations in all, each on runs 0..{} of seed {} (common random numbers).",
            self.evaluations.len(),
            b.runs,
            self.seed
        );
        let _ = writeln!(out, "// Free parameters and ranges:");
        for f in &self.free {
            let _ = writeln!(out, "//   {} in {} ..= {}", f.path, f.lo, f.hi);
        }
        let _ = writeln!(
            out,
            "// Best joint match (all patterns at once): {}/{} = {:.4}, Wilson 95% [{lo:.4}, {hi:.4}],",
            b.joint,
            b.runs,
            b.joint as f64 / b.runs as f64
        );
        let _ = writeln!(
            out,
            "// and composite score (Σ ln((k + ½)/(n + 1)) over the {} patterns, which breaks ties of the",
            b.matched.len()
        );
        let _ = writeln!(
            out,
            "// joint match): {:.2}, on the runs used for the search (optimistic figures: score it on",
            composite(&b.matched, b.runs)
        );
        let _ = writeln!(out, "// fresh runs).");
        let _ = writeln!(out, "(");
        let _ = writeln!(out, "    base: {base_path:?},");
        let _ = writeln!(out, "    name: {name:?},");
        let _ = writeln!(
            out,
            "    description: \"{name}: calibrated against the historical patterns.\","
        );
        let _ = writeln!(out, "    set: [");
        for o in self.overrides() {
            let _ = writeln!(out, "        {o:?},");
        }
        let _ = writeln!(out, "    ],");
        let _ = writeln!(out, ")");
        out
    }
}
/// The joint matches of a calibration's evaluations so far, in the order the search made
/// them (a checkpoint), or of a shard's Latin-hypercube points (a part); merged by appending.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Evaluations(pub Vec<PointCount>);

impl Counts for Evaluations {
    fn merge(&mut self, other: &Evaluations) {
        self.0.extend_from_slice(&other.0);
    }
}

/// What a `calibrate` part or checkpoint keeps besides its counts: enough to finish the search
/// on one machine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalibrateSettings {
    /// SCENARIO as given (for the command line recorded in the written variant).
    pub scenario_arg: String,
    /// SCENARIO's absolute path (the written variant's `base` is relative to it).
    pub scenario_file: String,
    /// The scenario.
    pub scenario: Scenario,
    /// The pattern file as given.
    pub patterns_file: String,
    /// Its text.
    pub patterns_text: String,
    /// Of several pattern files calibrated against together: each file as given and its text
    /// (absent for one file: `patterns_file` and `patterns_text`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pattern_files: Vec<(String, String)>,
    /// `--free` as given.
    pub free: Vec<String>,
    /// `--budget`.
    pub budget: usize,
    /// Runs per evaluation.
    pub runs: u64,
}

settings_scenarios!(CalibrateSettings, scenario);

/// The calibrated scenario, a variant of the calibrated one, to be written where `--write`
/// says (by default into the output folder).
#[derive(Debug)]
pub struct CalibratedVariant {
    /// Its file name in the output folder when `--write` is not given.
    pub default_name: String,
    /// The file it is a variant of (absolute): its `base` is written relative to it.
    pub base: PathBuf,
    name: String,
    command: String,
    calibration: Calibration,
}

impl CalibratedVariant {
    /// The variant's text, with `base_path` as its `base`.
    pub fn text(&self, base_path: &str) -> String {
        self.calibration
            .variant_file(base_path, &self.name, &self.command)
    }
}

/// `jinsong calibrate` as a [`Study`]: its work items are evaluations (a whole search, or a
/// shard's Latin-hypercube points), its counts their joint matches.
pub struct CalibrateStudy {
    settings: CalibrateSettings,
    patterns: PatternSet,
    free: Vec<FreeParameter>,
    search: Search,
    lhs: Vec<Vec<f64>>,
}

/// Why a step of the search stopped.
enum Halt {
    /// One more point was evaluated.
    Next(PointCount),
    /// The search asks for another point.
    Wants,
    /// It failed.
    Fail(CalibrateError),
}

impl From<CalibrateError> for Halt {
    fn from(e: CalibrateError) -> Halt {
        Halt::Fail(e)
    }
}

impl CalibrateStudy {
    fn evaluate(
        &self,
        values: &[f64],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<PointCount, CalibrateError> {
        let s = &self.settings;
        let patterns = (&self.patterns, s.patterns_file.as_str());
        evaluate_point(&s.scenario, patterns, &self.free, self.search, values, progress)
    }

    /// The search replayed on `known`: `Wants` if it asks for another point (which is
    /// evaluated when `progress` is given, and returned as `Next`), `Ok` if it has ended.
    fn step(
        &self,
        known: &[PointCount],
        progress: Option<&(dyn Fn(u64) + Sync)>,
    ) -> Result<Calibration, Halt> {
        let mut evaluate = |values: &[f64]| match progress {
            Some(p) => Ok(self.evaluate(values, p)?),
            None => Err(Halt::Wants),
        };
        let mut after = |done: &[Evaluation]| match done.last() {
            Some(e) => Err(Halt::Next(PointCount {
                joint: e.joint,
                runs: e.runs,
                matched: e.matched.clone(),
            })),
            None => Ok(()),
        };
        search_from(&self.free, self.search, known, &mut evaluate, &mut after)
    }
}

impl Study for CalibrateStudy {
    const KIND: StudyKind = StudyKind::Calibrate;
    type Settings = CalibrateSettings;
    type Counts = Evaluations;

    fn new(settings: CalibrateSettings, seed: u64) -> Result<CalibrateStudy, StudyError> {
        let patterns = match settings.pattern_files.is_empty() {
            true => PatternSet::parse(&settings.patterns_file, &settings.patterns_text)?,
            false => PatternSet::join(
                settings
                    .pattern_files
                    .iter()
                    .map(|(f, t)| Ok((f.clone(), PatternSet::parse(f, t)?)))
                    .collect::<Result<Vec<_>, crate::scenario::ScenarioError>>()?,
            )?,
        };
        patterns.compile(&settings.patterns_file, &Model::compile(&settings.scenario))?;
        let free = settings
            .free
            .iter()
            .map(|f| {
                f.parse::<FreeParameter>()
                    .map_err(|e| CalibrateError::Usage(format!("--free: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let search = Search {
            budget: settings.budget,
            runs: settings.runs,
            seed,
        };
        check_free(&settings.scenario, &free, search)?;
        let lhs = lhs_points(&free, search);
        Ok(CalibrateStudy {
            settings,
            patterns,
            free,
            search,
            lhs,
        })
    }

    fn settings(&self) -> &CalibrateSettings {
        &self.settings
    }

    fn seed(&self) -> u64 {
        self.search.seed
    }

    /// A whole search makes `budget` evaluations at most; shards split its Latin hypercube
    /// (`jinsong merge` then does the local search on one machine).
    fn items(&self, sharded: bool) -> u64 {
        if sharded {
            self.lhs.len() as u64
        } else {
            self.settings.budget as u64
        }
    }

    fn runs_per_item(&self) -> u64 {
        self.settings.runs
    }

    fn wave(&self, _threads: usize) -> u64 {
        1
    }

    fn empty(&self) -> Evaluations {
        Evaluations::default()
    }

    /// Every evaluation has all its runs; there is one per item, or fewer from the start of a
    /// search that ended before its budget.
    ///
    /// Each evaluation's matches must be possible ([`super::score::verify_matches`]: no count
    /// above the runs, the joint match at most each pattern's and at least what they imply).
    /// The points' values are not in the file: they follow from the free parameters and the
    /// search, so they are always inside their ranges, and the best point is found again from
    /// the counts.
    fn fits(&self, counts: &Evaluations, items: Range<u64>) -> Result<(), String> {
        use super::need;
        let (n, found) = (items.end - items.start, counts.0.len() as u64);
        for (i, p) in counts.0.iter().enumerate() {
            need(p.runs == self.settings.runs, || {
                format!(
                    "[{i}].runs {}, not the {} runs of an evaluation",
                    p.runs, self.settings.runs
                )
            })?;
            super::score::verify_matches(
                &format!("[{i}]."),
                (p.runs, &p.matched, p.joint),
                self.patterns.patterns.len(),
            )?;
        }
        need(found <= n, || format!("{found} evaluations where {n} are done"))?;
        need(
            found == n || (items.start == 0 && self.step(&counts.0, None).is_ok()),
            || format!("{found} evaluations where {n} are done, and the search had not ended"),
        )
    }

    fn count(
        &self,
        items: Range<u64>,
        counts: &mut Evaluations,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), StudyError> {
        for i in items {
            if let Some(values) = self.lhs.get(i as usize) {
                counts.0.push(self.evaluate(values, progress)?);
                continue;
            }
            match self.step(&counts.0, Some(progress)) {
                Err(Halt::Next(c)) => counts.0.push(c),
                Err(Halt::Fail(e)) => return Err(e.into()),
                Ok(_) | Err(Halt::Wants) => {}
            }
        }
        Ok(())
    }

    /// Replays the search on the evaluations (after merged shards: goes on with the local
    /// search, evaluating on the current pool).
    fn finish(&self, counts: Evaluations) -> Result<Finished, StudyError> {
        let s = &self.settings;
        let calibration = calibrate_from(
            &s.scenario,
            (&self.patterns, &s.patterns_file),
            &self.free,
            self.search,
            &counts.0,
            &mut |_: &[Evaluation]| Ok::<(), CalibrateError>(()),
        )?;
        let name = format!("{}_calibrated", s.scenario.name);
        let frees: Vec<String> = s.free.iter().map(|f| format!("--free {f}")).collect();
        // Each pattern file as its own `--patterns` (several files are joined as `A + B`).
        let patterns_args = match s.pattern_files.is_empty() {
            true => format!("--patterns {}", s.patterns_file),
            false => s
                .pattern_files
                .iter()
                .map(|(f, _)| format!("--patterns {f}"))
                .collect::<Vec<_>>()
                .join(" "),
        };
        let command = format!(
            "jinsong calibrate {} {} {} --budget {} --runs {} --seed {}",
            s.scenario_arg,
            patterns_args,
            frees.join(" "),
            s.budget,
            s.runs,
            self.search.seed
        );
        let best = calibration.best();
        let head = format!(
            "{}: best joint match {}/{} after {} evaluations: {}\n",
            s.scenario.name,
            best.joint,
            best.runs,
            calibration.evaluations.len(),
            calibration.overrides().join(" ")
        );
        Ok(Finished {
            files: vec![("calibration.csv".into(), calibration.to_csv().into_bytes())],
            head,
            wrote: "calibration.csv".into(),
            variant: Some(CalibratedVariant {
                default_name: format!("{name}.ron"),
                base: PathBuf::from(&s.scenario_file),
                name,
                command,
                calibration,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(joint: u64, matched: &[u64]) -> Evaluation {
        Evaluation {
            values: vec![],
            joint,
            runs: 100,
            matched: matched.to_vec(),
            phase: "lhs",
        }
    }

    /// A higher joint match wins whatever the patterns; at an equal joint match (0 here, as
    /// with the whole timeline) the higher product of the patterns' rates wins; a tie in both
    /// keeps the earlier point.
    #[test]
    fn the_joint_match_ranks_first_then_the_composite_score() {
        assert!(point(2, &[2, 2]).beats(&point(1, &[90, 90])));
        assert!(point(0, &[50, 50]).beats(&point(0, &[90, 10])));
        assert!(!point(0, &[90, 10]).beats(&point(0, &[50, 50])));
        assert!(!point(0, &[50, 50]).beats(&point(0, &[50, 50])));
        let c = composite(&[0, 100], 100);
        assert!((c - ((0.5f64 / 101.0).ln() + (100.5f64 / 101.0).ln())).abs() < 1e-12);
    }
}
