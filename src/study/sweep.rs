//! `jinsong sweep`: war-onset probabilities over a grid or a Latin hypercube of parameter values.
//!
//! # What is varied
//!
//! Each `--vary` names a `--set` path and its values: `PATH=LO..HI:STEPS` (STEPS evenly spaced
//! values from LO to HI inclusive), `PATH=LO..HI` (a range, for `--sample lhs:N` and for
//! `sensitivity`) or `PATH=v1,v2,v3` (a list, which may hold switch values). The design is either
//! the Cartesian product of every `--vary` (`grid`, the first `--vary` varying slowest) or a Latin
//! hypercube of N points (`lhs:N`): for each range, the N strata of `[LO, HI]` are shuffled by a
//! ChaCha8 stream of the seed and one uniform draw is taken inside each; a list takes the value
//! whose share of `[0, 1)` holds the draw. Values are written with 12 significant digits and
//! applied exactly as `--set PATH=VALUE` would, so a point of a sweep can be re-run with `run --set`.
//!
//! # Common random numbers
//!
//! Run *r* of every point is `simulate(model_point, seed, r, …)`: the same random stream *r*,
//! so two points differ only through their parameters. Work items are (point, chunk of
//! [`CHUNK_RUNS`] run indices), flattened so that both points and runs run in parallel; points
//! are compiled in blocks of [`BLOCK_POINTS`] so that memory does not grow with the number of
//! points beyond one small row of integer counts per point ([`PointCounts`]). Counts are merged
//! by integer addition, so `sweep.csv` is identical whatever the number of threads or shards.

use std::fmt::Write as _;
use std::ops::Range;
use std::str::FromStr;

use rayon::prelude::*;

use super::{Finished, Study, StudyError, StudyKind};
use crate::batch::fold::fold_chunks;
use crate::batch::Counts;
use serde::{Deserialize, Serialize};

use super::dyad::{by_offset, truncate};
use crate::batch::fold::CHUNK_RUNS;
use crate::calendar::Month;
use crate::engine::outcome::NEVER;
use crate::engine::{simulate, Silent, Workspace};
use crate::model::Model;
use crate::scenario::{apply_override, validate, Override, Scenario};
use crate::stats::{wilson, Z95};

/// Points compiled at once; memory holds at most this many models.
pub const BLOCK_POINTS: usize = 32;
/// Rows of the terminal table of a sweep (the whole of it is in `sweep.csv`).
pub const TABLE_ROWS: usize = 40;
/// The largest number of points a sweep may have.
pub const MAX_POINTS: u64 = 10_000_000;
/// Stream of the design's ChaCha8 generator (`"sweepdes"` in ASCII).
const DESIGN_STREAM: u64 = u64::from_le_bytes(*b"sweepdes");

/// Why a sweep cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    /// A `--vary` is malformed or its values do not fit the design.
    #[error("--vary {}: {message}", crate::text::clip(.path))]
    Vary {
        /// The path (or the whole argument when it has no `=`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A point gives an invalid scenario.
    #[error("--vary {}: at the point {}: {message}", crate::text::clip(.path), crate::text::clip(.point))]
    Point {
        /// The field (or `--vary` path) at fault.
        path: String,
        /// The point's values, `path=value` joined by spaces.
        point: String,
        /// What is wrong.
        message: String,
    },
    /// `--sample` is not `grid` or `lhs:N` with N ≥ 1.
    #[error("--sample: {} is not grid or lhs:N (N ≥ 1, e.g. lhs:200)", crate::text::quote(.0))]
    Sample(String),
    /// Anything else about how the sweep was asked for.
    #[error("{0}")]
    Usage(String),
}

/// The values of one `--vary`.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// `LO..HI`, with `:STEPS` when given.
    Range {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
        /// Evenly spaced values for a grid.
        steps: Option<usize>,
    },
    /// `v1,v2,…` as written.
    List(Vec<String>),
}

/// One `--vary PATH=…`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// A `--set` path.
    pub path: String,
    /// Its values.
    pub values: Values,
}

impl FromStr for Vary {
    type Err = SweepError;
    fn from_str(s: &str) -> Result<Vary, SweepError> {
        let (path, spec) = s.split_once('=').ok_or_else(|| SweepError::Vary {
            path: s.to_string(),
            message: "not PATH=LO..HI:STEPS, PATH=LO..HI or PATH=v1,v2,… \
                      (e.g. polities.song.mobilization_lag=2..24:12)"
                .into(),
        })?;
        let path = path.trim().to_string();
        let bad = |message: String| SweepError::Vary {
            path: path.clone(),
            message,
        };
        if path.is_empty() || spec.trim().is_empty() {
            return Err(bad("not PATH=LO..HI:STEPS, PATH=LO..HI or PATH=v1,v2,…".into()));
        }
        let spec = spec.trim();
        if let Some((lo, rest)) = spec.split_once("..") {
            let (hi, steps) = match rest.split_once(':') {
                Some((hi, steps)) => (hi, Some(steps)),
                None => (rest, None),
            };
            let num = |t: &str, what: &str| -> Result<f64, SweepError> {
                match t.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(x),
                    _ => Err(bad(format!(
                        "{what} {} is not a finite number",
                        crate::text::quote(t.trim())
                    ))),
                }
            };
            let (lo, hi) = (num(lo, "LO")?, num(hi, "HI")?);
            if lo >= hi {
                return Err(bad(format!("the range {lo}..{hi} must have LO < HI")));
            }
            let steps = match steps {
                None => None,
                Some(t) => match t.trim().parse::<u64>() {
                    Ok(n) if (2..=MAX_POINTS).contains(&n) => Some(n as usize),
                    _ => {
                        return Err(bad(format!(
                            "STEPS {} must be a whole number ≥ 2 (at most {MAX_POINTS})",
                            crate::text::quote(t.trim())
                        )))
                    }
                },
            };
            return Ok(Vary {
                path,
                values: Values::Range { lo, hi, steps },
            });
        }
        let list: Vec<String> = spec.split(',').map(|v| v.trim().to_string()).collect();
        if list.iter().any(String::is_empty) {
            return Err(bad(format!(
                "the list {} has an empty value",
                crate::text::quote(spec)
            )));
        }
        Ok(Vary {
            path,
            values: Values::List(list),
        })
    }
}

/// How points are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// The Cartesian product of every `--vary`.
    Grid,
    /// A Latin hypercube of this many points.
    Lhs(u64),
}

impl FromStr for Sample {
    type Err = SweepError;
    fn from_str(s: &str) -> Result<Sample, SweepError> {
        let t = s.trim();
        if t == "grid" {
            return Ok(Sample::Grid);
        }
        match t.strip_prefix("lhs:").map(|n| n.trim().parse::<u64>()) {
            Some(Ok(n)) if (1..=MAX_POINTS).contains(&n) => Ok(Sample::Lhs(n)),
            _ => Err(SweepError::Sample(s.to_string())),
        }
    }
}

/// A number as written into a point: 12 significant digits, shortest form (`2`, `0.3`).
pub fn value_text(x: f64) -> String {
    let rounded: f64 = format!("{x:.11e}").parse().unwrap_or(x);
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    format!("{rounded}")
}

/// The points of a sweep: one value (as `--set` text) per path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Design {
    /// The varied paths, in `--vary` order.
    pub paths: Vec<String>,
    /// The points, each with one value per path.
    pub points: Vec<Vec<String>>,
}

/// The value of `vary` at `u ∈ [0, 1)` of its range or list.
pub fn value_at(vary: &Vary, u: f64) -> String {
    match &vary.values {
        Values::Range { lo, hi, .. } => value_text(lo + (hi - lo) * u),
        Values::List(list) => {
            let i = ((u * list.len() as f64) as usize).min(list.len() - 1);
            list[i].clone()
        }
    }
}

/// Build the design of `varies` under `sample` (the seed drives a Latin hypercube only).
pub fn design(varies: &[Vary], sample: Sample, seed: u64) -> Result<Design, SweepError> {
    if varies.is_empty() {
        return Err(SweepError::Usage("sweep needs at least one --vary PATH=…".into()));
    }
    for (i, v) in varies.iter().enumerate() {
        if varies[..i].iter().any(|w| w.path == v.path) {
            return Err(SweepError::Vary {
                path: v.path.clone(),
                message: "is varied twice".into(),
            });
        }
    }
    let paths = varies.iter().map(|v| v.path.clone()).collect();
    let points = match sample {
        Sample::Grid => {
            // The size first, from the counts alone: nothing is built for a grid too large.
            let total = varies.iter().fold(1u64, |acc, v| {
                let n = match &v.values {
                    Values::List(list) => list.len() as u64,
                    Values::Range { steps, .. } => steps.map_or(1, |s| s as u64),
                };
                acc.saturating_mul(n)
            });
            if total > MAX_POINTS {
                return Err(SweepError::Usage(format!(
                    "the grid has {total} points; at most {MAX_POINTS} are allowed"
                )));
            }
            let mut axes = Vec::new();
            let mut total: u64 = 1;
            for v in varies {
                let axis: Vec<String> = match &v.values {
                    Values::List(list) => list.clone(),
                    Values::Range {
                        lo,
                        hi,
                        steps: Some(s),
                    } => (0..*s)
                        .map(|i| value_text(lo + (hi - lo) * i as f64 / (*s - 1) as f64))
                        .collect(),
                    Values::Range { steps: None, .. } => {
                        return Err(SweepError::Vary {
                            path: v.path.clone(),
                            message: "a grid needs LO..HI:STEPS (or a list v1,v2,…); \
                                      LO..HI alone is for --sample lhs:N"
                                .into(),
                        })
                    }
                };
                total = total.saturating_mul(axis.len() as u64);
                axes.push(axis);
            }
            if total > MAX_POINTS {
                return Err(SweepError::Usage(format!(
                    "the grid has {total} points; at most {MAX_POINTS} are allowed"
                )));
            }
            let mut points: Vec<Vec<String>> = vec![Vec::new()];
            for axis in &axes {
                points = points
                    .iter()
                    .flat_map(|p| {
                        axis.iter().map(move |x| {
                            let mut q = p.clone();
                            q.push(x.clone());
                            q
                        })
                    })
                    .collect();
            }
            points
        }
        Sample::Lhs(_)
            if varies
                .iter()
                .any(|v| matches!(v.values, Values::Range { steps: Some(_), .. })) =>
        {
            let v = varies
                .iter()
                .find(|v| matches!(v.values, Values::Range { steps: Some(_), .. }));
            return Err(SweepError::Vary {
                path: v.map(|v| v.path.clone()).unwrap_or_default(),
                message: "STEPS (LO..HI:STEPS) are for --sample grid; a Latin hypercube takes LO..HI".into(),
            });
        }
        Sample::Lhs(n) => {
            crate::stats::design::latin_hypercube(n as usize, varies.len(), seed, DESIGN_STREAM)
                .into_iter()
                .map(|u| varies.iter().zip(&u).map(|(v, &x)| value_at(v, x)).collect())
                .collect()
        }
    };
    Ok(Design { paths, points })
}

impl Design {
    /// `path=value` pairs of point `p`, joined by spaces.
    pub fn describe(&self, p: usize) -> String {
        self.paths
            .iter()
            .zip(&self.points[p])
            .map(|(path, v)| format!("{path}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The scenario of point `p`: `base` with every value applied as `--set`, then validated.
    pub fn scenario(&self, base: &Scenario, p: usize) -> Result<Scenario, SweepError> {
        let mut sc = base.clone();
        for (path, value) in self.paths.iter().zip(&self.points[p]) {
            let o = Override {
                path: path.clone(),
                value: value.clone(),
            };
            sc = apply_override(&sc, &o).map_err(|message| SweepError::Point {
                path: path.clone(),
                point: self.describe(p),
                message,
            })?;
        }
        if let Some(v) = validate(&sc).into_iter().next() {
            return Err(SweepError::Point {
                path: v.path,
                point: self.describe(p),
                message: v.message,
            });
        }
        Ok(sc)
    }

    /// Check every point before any run: each path exists and each point is a valid scenario.
    /// The first bad point (in design order) is reported.
    pub fn check(&self, base: &Scenario) -> Result<(), SweepError> {
        (0..self.points.len())
            .into_par_iter()
            .map(|p| self.scenario(base, p).map(|_| ()))
            .collect::<Vec<_>>()
            .into_iter()
            .collect()
    }
}

/// The integer counts of one point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointCounts {
    /// Index of the point in the design.
    pub point: u64,
    /// Runs folded in.
    pub runs: u64,
    /// Per counted pair: runs with a first war onset by the end.
    pub war_runs: Vec<u64>,
    /// Per counted pair: runs with a first war onset by `by` (empty without `by`).
    pub by_runs: Vec<u64>,
}

impl PointCounts {
    fn empty(point: u64, pairs: usize, by: bool) -> PointCounts {
        PointCounts {
            point,
            runs: 0,
            war_runs: vec![0; pairs],
            by_runs: vec![0; if by { pairs } else { 0 }],
        }
    }

    fn add(&mut self, other: &PointCounts) {
        self.runs += other.runs;
        for (x, y) in self.war_runs.iter_mut().zip(&other.war_runs) {
            *x += y;
        }
        for (x, y) in self.by_runs.iter_mut().zip(&other.by_runs) {
            *x += y;
        }
    }
}

/// A sweep's counts (all points, or a shard's), sorted by point; merged by integer addition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepCounts {
    /// One entry per point counted, by increasing point index.
    pub points: Vec<PointCounts>,
}

impl SweepCounts {
    /// Add `other`: counts of the same point are added, new points inserted in order.
    pub fn merge(&mut self, other: &SweepCounts) {
        let mut out = Vec::with_capacity(self.points.len() + other.points.len());
        let (mut a, mut b) = (
            std::mem::take(&mut self.points).into_iter().peekable(),
            other.points.iter().peekable(),
        );
        loop {
            match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.point == y.point => {
                    let mut x = a.next().unwrap_or_else(|| unreachable!());
                    x.add(b.next().unwrap_or_else(|| unreachable!()));
                    out.push(x);
                }
                (Some(x), Some(y)) if x.point < y.point => out.extend(a.next()),
                (_, Some(_)) => out.extend(b.next().cloned()),
                (Some(_), None) => out.extend(a.next()),
                (None, None) => break,
            }
        }
        self.points = out;
    }
}

/// What a sweep counts, besides the design: the pairs, the date, the runs and the seed. It is
/// everything besides the scenario that the counts depend on (the settings of a part file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep {
    /// The points.
    pub design: Design,
    /// Counted pairs, as `(a, b)` polity ids in scenario order (`a` before `b`).
    pub pairs: Vec<(String, String)>,
    /// Indices of the counted pairs among the model's unordered pairs (not written).
    #[serde(skip)]
    pub dyads: Vec<usize>,
    /// `--by`, when given.
    pub by: Option<Month>,
    /// Month offset of `by` (not written).
    #[serde(skip)]
    pub by_offset: Option<u32>,
    /// Runs per point.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// Simulate only up to `by` (the war probability by the end is then not counted).
    pub only_by: bool,
}

impl Sweep {
    /// Count runs `0..runs` at the points `points` of the design on the current rayon pool.
    /// `progress` is called from the worker threads with the number of runs just finished.
    pub fn count(
        &self,
        base: &Scenario,
        points: Range<u64>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<SweepCounts, SweepError> {
        let pairs = self.dyads.len();
        let by = self.by_offset;
        let chunks = self.runs.div_ceil(CHUNK_RUNS);
        let mut counts = SweepCounts::default();
        let mut start = points.start;
        while start < points.end {
            let end = (start + BLOCK_POINTS as u64).min(points.end);
            let models = (start..end)
                .into_par_iter()
                .map(|p| {
                    let model = Model::compile(&self.design.scenario(base, p as usize)?);
                    Ok(match (self.only_by, by) {
                        (true, Some(b)) => truncate(&model, b),
                        _ => model,
                    })
                })
                .collect::<Result<Vec<Model>, SweepError>>()?;
            let per_point = chunks.max(1);
            let block = fold_chunks(
                models.len() as u64 * per_point,
                || (),
                |_, q| {
                    let (i, c) = ((q / per_point) as usize, q % per_point);
                    let model = &models[i];
                    let mut ws = Workspace::new(model);
                    let mut t = PointCounts::empty(start + i as u64, pairs, by.is_some());
                    let lo = c * CHUNK_RUNS;
                    let hi = (lo + CHUNK_RUNS).min(self.runs);
                    for r in lo..hi {
                        simulate(model, self.seed, r, &mut ws, &mut Silent);
                        for (k, &d) in self.dyads.iter().enumerate() {
                            let onset = ws.outcome.dyads[d].first_onset;
                            if onset != NEVER {
                                t.war_runs[k] += 1;
                                if let Some(b) = by {
                                    t.by_runs[k] += u64::from(onset <= b);
                                }
                            }
                        }
                    }
                    t.runs = hi - lo;
                    progress(hi - lo);
                    SweepCounts { points: vec![t] }
                },
                SweepCounts::merge,
            );
            counts.merge(&block.unwrap_or_default());
            start = end;
        }
        Ok(counts)
    }

    /// Whether `counts` can be the counts of the points `points` of this sweep: with
    /// `complete`, exactly those points; without, a prefix of them (a checkpoint). Every point
    /// must have all its runs and one count per counted pair, none above the runs, and at most
    /// as many onsets by `by` as by the end. `Err` names the first that does not.
    pub fn fits(&self, counts: &SweepCounts, points: Range<u64>, complete: bool) -> Result<(), String> {
        use super::need;
        let n = counts.points.len() as u64;
        let expected = points.end - points.start;
        need(if complete { n == expected } else { n <= expected }, || {
            format!("{n} points counted, not {expected}")
        })?;
        let by_len = if self.by.is_some() { self.pairs.len() } else { 0 };
        for (i, (pc, p)) in counts.points.iter().zip(points).enumerate() {
            let at = format!("points[{i}].");
            need(pc.point == p, || format!("{at}point {}, not {p}", pc.point))?;
            need(pc.runs == self.runs, || {
                format!("{at}runs {}, not {}", pc.runs, self.runs)
            })?;
            need(
                pc.war_runs.len() == self.pairs.len() && pc.by_runs.len() == by_len,
                || format!("{at}war_runs or by_runs is not one count per pair"),
            )?;
            for (k, &w) in pc.war_runs.iter().enumerate() {
                need(w <= pc.runs, || {
                    format!("{at}war_runs[{k}] {w} is above runs {}", pc.runs)
                })?;
                if let Some(&b) = pc.by_runs.get(k) {
                    need(b <= w, || {
                        format!("{at}by_runs[{k}] {b} is above war_runs[{k}] {w}")
                    })?;
                }
            }
        }
        Ok(())
    }

    /// The header line of `sweep.csv`.
    pub fn csv_header(&self) -> String {
        let mut h = self.design.paths.join(",");
        h.push_str(",a,b,runs,war_runs,war_probability,ci_low,ci_high");
        if self.by.is_some() {
            h.push_str(",by,by_runs,by_probability,by_ci_low,by_ci_high");
        }
        h
    }

    /// The terminal table: one row per point and counted pair (at most [`TABLE_ROWS`], the
    /// rest counted in a last line), the probability of a first onset by the end (or by `by`)
    /// with its Wilson 95% interval.
    pub fn table(&self, counts: &SweepCounts) -> String {
        let count = |pc: &PointCounts, k: usize| match self.by {
            Some(_) => pc.by_runs[k],
            None => pc.war_runs[k],
        };
        let when = self.by.map_or("by the end".to_string(), |m| format!("by {m}"));
        let rows: Vec<(String, String)> = counts
            .points
            .iter()
            .flat_map(|pc| {
                let values = self.design.describe(pc.point as usize);
                self.pairs.iter().enumerate().map(move |(k, (a, b))| {
                    let x = count(pc, k);
                    let (lo, hi) = wilson(x, pc.runs, Z95);
                    let p = if pc.runs == 0 {
                        0.0
                    } else {
                        x as f64 / pc.runs as f64
                    };
                    (values.clone(), format!("{a}–{b}  {p:>7.4}  [{lo:.4}, {hi:.4}]"))
                })
            })
            .collect();
        let width = rows
            .iter()
            .map(|(v, _)| v.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        let mut out = format!(
            "{:<width$}  pair: P(first onset {when}), 95% CI (Wilson)\n",
            "point"
        );
        for (values, rest) in rows.iter().take(TABLE_ROWS) {
            let _ = writeln!(out, "{values:<width$}  {rest}");
        }
        if rows.len() > TABLE_ROWS {
            let _ = writeln!(out, "… {} more rows in sweep.csv", rows.len() - TABLE_ROWS);
        }
        out
    }

    /// `sweep.csv`: one row per point and counted pair, in design order then scenario order.
    /// With `only_by` the by-the-end columns are left empty.
    pub fn csv(&self, counts: &SweepCounts) -> String {
        let mut out = self.csv_header();
        out.push('\n');
        let prob = |x: u64, n: u64| {
            let (lo, hi) = wilson(x, n, Z95);
            let p = if n == 0 { 0.0 } else { x as f64 / n as f64 };
            format!("{p},{lo},{hi}")
        };
        for pc in &counts.points {
            let values = self.design.points[pc.point as usize].join(",");
            for (k, (a, b)) in self.pairs.iter().enumerate() {
                let _ = write!(out, "{values},{a},{b},{}", pc.runs);
                if self.only_by {
                    out.push_str(",,,,");
                } else {
                    let _ = write!(out, ",{},{}", pc.war_runs[k], prob(pc.war_runs[k], pc.runs));
                }
                if let Some(by) = self.by {
                    let x = pc.by_runs[k];
                    let _ = write!(out, ",{by},{x},{}", prob(x, pc.runs));
                }
                out.push('\n');
            }
        }
        out
    }
}

impl Counts for SweepCounts {
    fn merge(&mut self, other: &SweepCounts) {
        SweepCounts::merge(self, other);
    }
}

/// What a `sweep` part or checkpoint keeps besides its counts: enough to finish without the
/// scenario files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepSettings {
    /// The design, pairs, date, runs and seed.
    pub sweep: Sweep,
    /// The scenario after overrides.
    pub scenario: Scenario,
}

settings_scenarios!(SweepSettings, scenario);

/// `jinsong sweep` as a [`Study`]: its work items are the points of the design (each with its
/// runs), its counts [`SweepCounts`].
pub struct SweepStudy {
    settings: SweepSettings,
}

impl SweepStudy {
    /// The sweep, with the pairs and the date resolved against its scenario.
    pub fn sweep(&self) -> &Sweep {
        &self.settings.sweep
    }
}

impl Study for SweepStudy {
    const KIND: StudyKind = StudyKind::Sweep;
    type Settings = SweepSettings;
    type Counts = SweepCounts;

    /// The seed is the sweep's own (`settings.sweep.seed`, the one the design was drawn with).
    fn new(mut settings: SweepSettings, _seed: u64) -> Result<SweepStudy, StudyError> {
        let model = Model::compile(&settings.scenario);
        let sweep = &mut settings.sweep;
        // The pair indices and the date's offset are not written into part files.
        sweep.dyads = Vec::with_capacity(sweep.pairs.len());
        for (a, b) in &sweep.pairs {
            let (i, j) = super::dyad::resolve_dyad(&model, &format!("{a},{b}"))?;
            sweep.dyads.push(model.dyad_of[i * model.n + j]);
        }
        sweep.by_offset = sweep.by.map(|by| by_offset(&model, by)).transpose()?;
        sweep.design.check(&settings.scenario)?;
        Ok(SweepStudy { settings })
    }

    fn settings(&self) -> &SweepSettings {
        &self.settings
    }

    fn seed(&self) -> u64 {
        self.settings.sweep.seed
    }

    fn items(&self, _sharded: bool) -> u64 {
        self.settings.sweep.design.points.len() as u64
    }

    fn runs_per_item(&self) -> u64 {
        self.settings.sweep.runs
    }

    fn wave(&self, _threads: usize) -> u64 {
        BLOCK_POINTS as u64
    }

    fn empty(&self) -> SweepCounts {
        SweepCounts::default()
    }

    fn fits(&self, counts: &SweepCounts, items: Range<u64>) -> Result<(), String> {
        self.settings.sweep.fits(counts, items, true)
    }

    fn count(
        &self,
        items: Range<u64>,
        counts: &mut SweepCounts,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), StudyError> {
        counts.merge(
            &self
                .settings
                .sweep
                .count(&self.settings.scenario, items, progress)?,
        );
        Ok(())
    }

    fn finish(&self, counts: SweepCounts) -> Result<Finished, StudyError> {
        let sweep = &self.settings.sweep;
        let head = format!(
            "{}: {} points × {} runs, seed {} (common random numbers)\n{}",
            self.settings.scenario.name,
            sweep.design.points.len(),
            sweep.runs,
            sweep.seed,
            sweep.table(&counts)
        );
        Ok(Finished {
            files: vec![("sweep.csv".into(), sweep.csv(&counts).into_bytes())],
            head,
            wrote: "sweep.csv".into(),
            variant: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_varies() {
        let v: Vary = "polities.song.mobilization_lag=2..24:12".parse().unwrap();
        assert_eq!(
            v.values,
            Values::Range {
                lo: 2.0,
                hi: 24.0,
                steps: Some(12)
            }
        );
        let v: Vary = "mechanisms.provocations=true,false".parse().unwrap();
        assert_eq!(v.values, Values::List(vec!["true".into(), "false".into()]));
        for bad in [
            "x=3..1:4", "x=1..3:1", "x=1..3:a", "x", "x=", "x=1,,2", "x=a..2:3", "x=1..1:2",
        ] {
            assert!(bad.parse::<Vary>().is_err(), "{bad}");
        }
        assert_eq!("lhs:20".parse::<Sample>(), Ok(Sample::Lhs(20)));
        assert!("lhs:0".parse::<Sample>().is_err());
        assert!("sobol".parse::<Sample>().is_err());
    }

    #[test]
    fn grid_is_the_cartesian_product_with_clean_values() {
        let v = |s: &str| s.parse::<Vary>().unwrap();
        let d = design(&[v("x=0..1:11"), v("y=a,b")], Sample::Grid, 0).unwrap();
        assert_eq!(d.points.len(), 22);
        assert_eq!(d.points[0], vec!["0", "a"]);
        assert_eq!(d.points[7], vec!["0.3", "b"]);
        assert_eq!(d.points[21], vec!["1", "b"]);
        assert!(design(&[v("x=0..1")], Sample::Grid, 0).is_err());
        assert!(design(&[v("x=0..1:2"), v("x=1,2")], Sample::Grid, 0).is_err());
    }

    #[test]
    fn latin_hypercube_has_one_point_per_stratum() {
        let n = 50;
        use crate::stats::design::latin_hypercube;
        let pts = latin_hypercube(n, 3, 7, 1);
        for d in 0..3 {
            let mut seen = vec![false; n];
            for p in &pts {
                assert!((0.0..1.0).contains(&p[d]));
                seen[(p[d] * n as f64) as usize] = true;
            }
            assert!(seen.iter().all(|&s| s), "dimension {d}");
        }
        assert_eq!(pts, latin_hypercube(n, 3, 7, 1));
        assert_ne!(pts, latin_hypercube(n, 3, 8, 1));
    }

    #[test]
    fn merge_adds_and_interleaves() {
        let pc = |point, runs, w| PointCounts {
            point,
            runs,
            war_runs: vec![w],
            by_runs: vec![],
        };
        let mut a = SweepCounts {
            points: vec![pc(0, 10, 1), pc(2, 10, 3)],
        };
        let b = SweepCounts {
            points: vec![pc(1, 5, 2), pc(2, 5, 4)],
        };
        a.merge(&b);
        assert_eq!(a.points, vec![pc(0, 10, 1), pc(1, 5, 2), pc(2, 15, 7)]);
    }
}
