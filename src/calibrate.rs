//! `calibrate`: give a scenario its best fair chance against the historical patterns.
//!
//! The named free parameters are searched for the highest joint match rate (all patterns at
//! once). The search is seeded and deterministic:
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

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::Model;
use crate::patterns::PatternSet;
use crate::scenario::{apply_override, validate, Override, Scenario, ScenarioError};
use crate::score::count_matches;
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
        let bad = || format!("`{s}` is not PATH=LO..HI (e.g. polities.jin.war_readiness=0.1..0.9)");
        let (path, range) = s.split_once('=').ok_or_else(bad)?;
        let (lo, hi) = range.split_once("..").ok_or_else(bad)?;
        let lo: f64 = lo.trim().parse().map_err(|_| bad())?;
        let hi: f64 = hi.trim().parse().map_err(|_| bad())?;
        if !lo.is_finite() || !hi.is_finite() || lo >= hi {
            return Err(format!("`{s}`: the range must have LO < HI"));
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
    /// `lhs` or `local`.
    pub phase: &'static str,
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
    #[error("--free {path}: {message}")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PointCount {
    /// Runs in which every pattern held.
    pub joint: u64,
    /// Runs.
    pub runs: u64,
}

/// The number of Latin-hypercube points of a search: half the budget, at least one.
pub fn lhs_size(search: Search) -> usize {
    (search.budget / 2).max(1)
}

/// The Latin-hypercube design of a search: [`lhs_size`] points, each a value per free
/// parameter. It depends only on the free parameters and the search (its seed).
pub fn lhs_points(free: &[FreeParameter], search: Search) -> Vec<Vec<f64>> {
    let k = free.len();
    let n_lhs = lhs_size(search);
    let mut rng = ChaCha8Rng::seed_from_u64(search.seed);
    rng.set_stream(u64::from_le_bytes(*b"calibrat"));
    let mut strata: Vec<Vec<usize>> = Vec::with_capacity(k);
    for _ in 0..k {
        let mut order: Vec<usize> = (0..n_lhs).collect();
        for i in (1..n_lhs).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        strata.push(order);
    }
    // Point p takes stratum strata[d][p] of parameter d, jittered uniformly inside it.
    (0..n_lhs)
        .map(|p| {
            free.iter()
                .zip(&strata)
                .map(|(f, order)| {
                    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    let x = (order[p] as f64 + u) / n_lhs as f64;
                    tidy(f.lo + x * (f.hi - f.lo))
                })
                .collect()
        })
        .collect()
}

/// Evaluate one point: the joint matches of `runs` runs of `base` with the free parameters set
/// to `values`.
pub fn evaluate_point(
    base: &Scenario,
    (patterns, patterns_file): (&PatternSet, &str),
    free: &[FreeParameter],
    search: Search,
    values: &[f64],
) -> Result<PointCount, CalibrateError> {
    let sc = with_values(base, free, values)?;
    let model = Model::compile(&sc);
    let compiled = patterns.compile(patterns_file, &model)?;
    let counts = count_matches(&model, &compiled, search.seed, 0, search.runs, &|_| {});
    Ok(PointCount {
        joint: counts.joint,
        runs: counts.runs,
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
    let Search { budget, seed, .. } = search;
    check_free(base, free, search)?;
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
            Some(&c) => c,
            None => evaluate_point(base, patterns, free, search, &values)?,
        };
        evaluations.push(Evaluation {
            values,
            joint: c.joint,
            runs: c.runs,
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
        if e.joint > evaluations[best].joint {
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
                let better = evaluations[evaluations.len() - 1].joint > evaluations[best].joint;
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
            "// on the runs used for the search (an optimistic figure: score it on fresh runs)."
        );
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
