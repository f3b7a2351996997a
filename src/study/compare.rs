//! `jinsong compare`: the probability of a first war onset in one pair by a date, in several
//! scenarios run on common random numbers, and each scenario's paired difference from the first.
//!
//! # What is compared
//!
//! The outcome of run *r* in scenario *s* is X_s(r) = 1 when the pair's first war onset falls at
//! a month offset ≤ `by` (that is, in or before the month `by`), else 0. Run *r* of every scenario
//! is `simulate(model_s, seed, r, …)`: the same random stream *r* (common random numbers), so the
//! runs are paired and a scenario compared with itself differs in no run.
//!
//! # Estimates
//!
//! With N runs, x_s successes in scenario s, and for s > 0 the discordant pairs
//! n10 = #{r : X_s(r) = 1, X_0(r) = 0} and n01 = #{r : X_s(r) = 0, X_0(r) = 1}:
//!
//! * probability p_s = x_s / N with its Wilson 95% score interval ([`crate::stats::wilson`]);
//! * difference d = p_s − p_0 = (n10 − n01) / N;
//! * paired 95% interval: the normal (Wald) interval of the mean of the per-run differences
//!   D(r) = X_s(r) − X_0(r) ∈ {−1, 0, 1}: var = ((n10 + n01)/N − d²)/N (the plug-in variance of
//!   D over N, since D² = 1 exactly on discordant pairs), interval d ± z·√var with
//!   z = [`Z95`], clipped to [−1, 1]. Without discordant pairs it is exactly [0, 0];
//! * p-value: the two-sided exact McNemar test, i.e. the exact binomial test of
//!   n10 ~ Bin(n10 + n01, ½): p = min(1, 2·P(B ≤ min(n10, n01))). It is computed in log space for
//!   every n10 + n01 (no normal approximation, no mid-p), and is exactly 1 when |n10 − n01| ≤ 1
//!   (in particular when there are no discordant pairs). Below about 1e-308 it underflows to 0.
//!
//! Everything is computed from integer counts folded over fixed chunks of run indices, so the
//! result does not depend on the number of threads.
//!
//! Runs stop after the month `by` ([`truncate`]): the monthly loop is causal and every month
//! draws a fixed number of random numbers, so whether and how the first onset happened by `by`
//! does not depend on the months after it (a test checks this against full-length runs).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::batch::fold::{fold_runs, CHUNK_RUNS};
use crate::calendar::Month;
use crate::engine::outcome::NEVER;
use crate::engine::{simulate, Silent, Workspace};
use crate::model::Model;
use crate::scenario::list_ids;
use crate::stats::paired::{mcnemar_exact, paired_difference};
use crate::stats::{wilson, Z95};

use std::ops::Range;

use super::{Finished, Study, StudyError, StudyKind};
use crate::batch::Counts;
use crate::scenario::Scenario;

use super::dyad::check_dyad;
pub use super::dyad::{by_offset, resolve_dyad, truncate, DyadError, DyadIds};

/// Why scenarios cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    /// No scenario was given.
    #[error("compare needs at least one scenario")]
    NoScenarios,
    /// Zero runs.
    #[error("--runs: 0 is out of range (allowed: 1 or more)")]
    NoRuns,
    /// A scenario's polities differ from the first scenario's.
    #[error(
        "scenario `{scenario}` has the polities [{found}], but the first scenario `{first}` has \
         [{expected}]: compared scenarios must have the same polity ids in the same order"
    )]
    Polities {
        /// The offending scenario.
        scenario: String,
        /// The first scenario.
        first: String,
        /// Ids of the first scenario, comma-separated.
        expected: String,
        /// Ids of the offending scenario, comma-separated.
        found: String,
    },
    /// A scenario's simulated span differs from the first scenario's.
    #[error(
        "scenario `{scenario}` runs {found}, but the first scenario `{first}` runs {expected}: \
         compared scenarios must have the same start and end"
    )]
    Span {
        /// The offending scenario.
        scenario: String,
        /// The first scenario.
        first: String,
        /// Span of the first scenario, `start..end`.
        expected: String,
        /// Span of the offending scenario.
        found: String,
    },
    /// The pair is not two distinct polities of the scenarios.
    #[error(transparent)]
    Dyad(#[from] DyadError),
}

/// One scenario's probability in `compare.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioProbability {
    /// Scenario name.
    pub scenario: String,
    /// Share of runs with a first war onset in the pair by `by`.
    pub probability: f64,
    /// Wilson 95% interval of `probability`.
    pub ci95: [f64; 2],
    /// Runs with an onset by `by` (not written).
    #[serde(skip)]
    pub successes: u64,
}

/// One scenario's paired difference from the first scenario in `compare.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// Scenario name.
    pub scenario: String,
    /// `p_s − p_0`.
    pub difference: f64,
    /// Paired 95% normal interval of the difference (see the module documentation).
    pub ci95: [f64; 2],
    /// Two-sided exact McNemar p-value.
    pub p_value: f64,
    /// Runs with an onset in this scenario but not in the first (not written).
    #[serde(skip)]
    pub n10: u64,
    /// Runs with an onset in the first scenario but not in this one (not written).
    #[serde(skip)]
    pub n01: u64,
}

/// The result of [`compare`]; serialises to `compare.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The pair, `"a,b"` in the order given.
    pub dyad: DyadIds,
    /// Last month counted (inclusive).
    pub by: Month,
    /// Every scenario in the order given.
    pub scenarios: Vec<ScenarioProbability>,
    /// Every scenario after the first, compared with the first.
    pub differences: Vec<Difference>,
    /// Runs per scenario (not written).
    #[serde(skip)]
    pub runs: u64,
    /// Master seed (not written).
    #[serde(skip)]
    pub seed: u64,
    /// First-onset months of the pair per scenario, up to `by` (not written to `compare.json`;
    /// see [`Comparison::curves_csv`]). `None` when read back from `compare.json`.
    #[serde(skip)]
    pub onset_months: Option<OnsetMonths>,
}

/// Per scenario, the number of runs whose first onset in the pair fell in each month from the
/// start to `by`: exact integers, merged in a fixed order, so the same at any thread count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnsetMonths {
    /// The month of index 0 (the scenarios' start).
    pub start: Month,
    /// `counts[s][m]`: runs of scenario `s` whose first onset fell in month `start + m`.
    pub counts: Vec<Vec<u64>>,
}

/// The header line of `compare_curves.csv`.
pub const CURVES_HEADER: &str = "scenario,month,onsets,cumulative_probability";

/// Integer counts of a comparison: per scenario successes; per scenario s > 0 the discordant
/// pairs with scenario 0. Merged by addition, so shards of the runs add up to the whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompareTally {
    /// Run indices counted (each of every scenario). Absent from files of earlier versions.
    #[serde(default)]
    pub runs: u64,
    /// Per scenario: runs with a first onset in the pair by `by`.
    pub successes: Vec<u64>,
    /// Per scenario s: runs where s had the onset and scenario 0 did not (0 for s = 0).
    pub n10: Vec<u64>,
    /// Per scenario s: runs where scenario 0 had the onset and s did not (0 for s = 0).
    pub n01: Vec<u64>,
    /// Per scenario, first onsets per month offset `0..=by`.
    pub months: Vec<Vec<u64>>,
}

impl CompareTally {
    /// No runs yet, for `k` scenarios and outcome month offset `by`.
    pub fn new(k: usize, by: u32) -> CompareTally {
        CompareTally {
            runs: 0,
            successes: vec![0; k],
            n10: vec![0; k],
            n01: vec![0; k],
            months: vec![vec![0; by as usize + 1]; k],
        }
    }

    /// Whether it has the shape of a comparison of `k` scenarios by month offset `by`.
    pub fn fits(&self, k: usize, by: u32) -> bool {
        [&self.successes, &self.n10, &self.n01]
            .iter()
            .all(|v| v.len() == k)
            && self.months.len() == k
            && self.months.iter().all(|m| m.len() == by as usize + 1)
    }

    /// Add the counts of `other` (integer addition: the order of merges does not matter).
    pub fn merge(&mut self, other: &CompareTally) {
        self.runs += other.runs;
        for (a, b) in [
            (&mut self.successes, &other.successes),
            (&mut self.n10, &other.n10),
            (&mut self.n01, &other.n01),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.months.iter_mut().zip(&other.months) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
}

/// Check that every model has the polity ids, start and length of the first.
fn check_models(models: &[Model]) -> Result<(), CompareError> {
    let first = models.first().ok_or(CompareError::NoScenarios)?;
    let span = |m: &Model| format!("{}..{}", m.start, m.start.plus(m.months.saturating_sub(1)));
    for m in &models[1..] {
        if m.ids != first.ids {
            return Err(CompareError::Polities {
                scenario: m.name.clone(),
                first: first.name.clone(),
                expected: list_ids(&first.ids, ","),
                found: list_ids(&m.ids, ","),
            });
        }
        if m.start != first.start || m.months != first.months {
            return Err(CompareError::Span {
                scenario: m.name.clone(),
                first: first.name.clone(),
                expected: span(first),
                found: span(m),
            });
        }
    }
    Ok(())
}

/// Compare the probability of a first war onset in `dyad` (polity indices) at a month offset
/// ≤ `by` across `models`, each simulated for runs `0..runs` under `seed` on common random
/// numbers. Runs on the current rayon pool; `progress` is called from the worker threads with the
/// number of run indices just finished (each run index covers every scenario).
///
/// All models must have the same polity ids in the same order, the same start and the same
/// number of months; the error names the first scenario that differs.
pub fn compare(
    models: &[Model],
    dyad: (usize, usize),
    by: u32,
    seed: u64,
    runs: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Comparison, CompareError> {
    let tally = compare_counts(models, dyad, by, seed, 0..runs, progress)?;
    Comparison::from_counts(models, dyad, by, seed, runs, tally)
}

/// The integer counts of [`compare`] for the run indices `runs` only (a shard, or a wave of a
/// long comparison): counts of consecutive ranges add up to the counts of their union.
pub fn compare_counts(
    models: &[Model],
    dyad: (usize, usize),
    by: u32,
    seed: u64,
    runs: std::ops::Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<CompareTally, CompareError> {
    check_models(models)?;
    let first = &models[0];
    let d = check_dyad(first, dyad, by)?;
    let full = models;
    let models: Vec<Model> = full.iter().map(|m| truncate(m, by)).collect();
    let models = &models[..];
    let k = models.len();
    Ok(fold_runs(
        runs,
        CHUNK_RUNS,
        || models.iter().map(Workspace::new).collect::<Vec<_>>(),
        || CompareTally::new(k, by),
        |wss, t, r| {
            t.runs += 1;
            let mut x0 = false;
            for (s, (m, ws)) in models.iter().zip(wss.iter_mut()).enumerate() {
                simulate(m, seed, r, ws, &mut Silent);
                let onset = ws.outcome.dyads[d].first_onset;
                let x = onset != NEVER && onset <= by;
                t.successes[s] += u64::from(x);
                if x {
                    t.months[s][onset as usize] += 1;
                }
                if s == 0 {
                    x0 = x;
                } else {
                    t.n10[s] += u64::from(x && !x0);
                    t.n01[s] += u64::from(!x && x0);
                }
            }
        },
        CompareTally::merge,
        progress,
    ))
}

impl Comparison {
    /// The comparison of [`compare`] from its counts over runs `0..runs` (however they were
    /// computed: at once, in waves, or in shards merged).
    pub fn from_counts(
        models: &[Model],
        dyad: (usize, usize),
        by: u32,
        seed: u64,
        runs: u64,
        tally: CompareTally,
    ) -> Result<Comparison, CompareError> {
        check_models(models)?;
        let first = &models[0];
        check_dyad(first, dyad, by)?;
        if runs == 0 {
            return Err(CompareError::NoRuns);
        }
        let k = models.len();
        let scenarios = models
            .iter()
            .zip(&tally.successes)
            .map(|(m, &x)| {
                let (lo, hi) = wilson(x, runs, Z95);
                ScenarioProbability {
                    scenario: m.name.clone(),
                    probability: x as f64 / runs as f64,
                    ci95: [lo, hi],
                    successes: x,
                }
            })
            .collect();
        let differences = (1..k)
            .map(|s| {
                let (n10, n01) = (tally.n10[s], tally.n01[s]);
                let (difference, ci95) = paired_difference(n10, n01, runs);
                Difference {
                    scenario: models[s].name.clone(),
                    difference,
                    ci95,
                    p_value: mcnemar_exact(n10, n01),
                    n10,
                    n01,
                }
            })
            .collect();
        Ok(Comparison {
            dyad: DyadIds([first.ids[dyad.0].clone(), first.ids[dyad.1].clone()]),
            by: first.start.plus(by),
            scenarios,
            differences,
            runs,
            seed,
            onset_months: Some(OnsetMonths {
                start: first.start,
                counts: tally.months,
            }),
        })
    }
}

impl Comparison {
    /// `compare_curves.csv`: per scenario and month up to `by`, the first onsets in the pair
    /// that month and the share of runs with a first onset by its end. Only the header when the
    /// monthly counts are not known (a comparison read back from `compare.json`).
    pub fn curves_csv(&self) -> String {
        let mut out = format!("{CURVES_HEADER}\n");
        let Some(om) = &self.onset_months else {
            return out;
        };
        for (sc, counts) in self.scenarios.iter().zip(&om.counts) {
            let mut cum = 0u64;
            for (m, &c) in counts.iter().enumerate() {
                cum += c;
                let p = if self.runs == 0 {
                    0.0
                } else {
                    cum as f64 / self.runs as f64
                };
                let _ = writeln!(out, "{},{},{c},{p}", sc.scenario, om.start.plus(m as u32));
            }
        }
        out
    }

    /// `compare.json`, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }

    /// A table for the terminal.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "P(first war onset {}–{} by {}), {} runs per scenario, seed {}, common random numbers",
            self.dyad.0[0], self.dyad.0[1], self.by, self.runs, self.seed
        );
        let width = self
            .scenarios
            .iter()
            .map(|s| s.scenario.chars().count())
            .max()
            .unwrap_or(0)
            .max("scenario".len());
        let _ = writeln!(
            out,
            "{:<width$}  {:>11}  {:>16}  {:>11}  {:>18}  {:>7}",
            "scenario", "probability", "95% CI", "difference", "paired 95% CI", "p-value"
        );
        for (i, s) in self.scenarios.iter().enumerate() {
            let ci = format!("[{:.4}, {:.4}]", s.ci95[0], s.ci95[1]);
            let _ = write!(out, "{:<width$}  {:>11.4}  {:>16}", s.scenario, s.probability, ci);
            match i.checked_sub(1).map(|j| self.differences.get(j)) {
                None => {
                    let _ = write!(out, "  {:>11}", "(reference)");
                }
                Some(Some(d)) => {
                    let ci = format!("[{:+.4}, {:+.4}]", d.ci95[0], d.ci95[1]);
                    let _ = write!(
                        out,
                        "  {:>+11.4}  {:>18}  {:>7}",
                        d.difference,
                        ci,
                        format_p(d.p_value)
                    );
                }
                Some(None) => {}
            }
            out.push('\n');
        }
        out
    }
}

/// A p-value for a table: 4 decimals, or `<1e-4`.
pub(crate) fn format_p(p: f64) -> String {
    if p < 1e-4 {
        "<1e-4".to_string()
    } else {
        format!("{p:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcnemar_small_cases() {
        // n = 5, k = 0: 2 · 1/32.
        assert!((mcnemar_exact(5, 0) - 2.0 / 32.0).abs() < 1e-15);
        // n = 10, k = 2: 2 · (1 + 10 + 45)/1024.
        assert!((mcnemar_exact(2, 8) - 2.0 * 56.0 / 1024.0).abs() < 1e-14);
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert_eq!(mcnemar_exact(7, 7), 1.0);
        assert_eq!(mcnemar_exact(4, 5), 1.0);
        // Large n does not underflow to NaN.
        let p = mcnemar_exact(50_000, 51_000);
        assert!(p > 0.0 && p < 0.01, "{p}");
    }

    #[test]
    fn paired_interval_without_discordance_is_a_point() {
        assert_eq!(paired_difference(0, 0, 100), (0.0, [0.0, 0.0]));
    }
}

impl Counts for CompareTally {
    fn merge(&mut self, other: &CompareTally) {
        CompareTally::merge(self, other);
    }
}

/// What a `compare` part or checkpoint keeps besides its counts: enough to finish without the
/// input files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareSettings {
    /// Runs per scenario (all shards).
    pub runs: u64,
    /// The pair, as polity indices.
    pub dyad: (usize, usize),
    /// The outcome's last month, as an offset from the start.
    pub by: u32,
    /// The scenarios compared.
    pub scenarios: Vec<Scenario>,
}

settings_scenarios!(CompareSettings, scenarios);

/// `jinsong compare` as a [`Study`]: its work items are run indices (each run of every
/// scenario), its counts a [`CompareTally`].
pub struct CompareStudy {
    settings: CompareSettings,
    seed: u64,
    models: Vec<Model>,
}

impl Study for CompareStudy {
    const KIND: StudyKind = StudyKind::Compare;
    type Settings = CompareSettings;
    type Counts = CompareTally;

    fn new(settings: CompareSettings, seed: u64) -> Result<CompareStudy, StudyError> {
        let models: Vec<Model> = settings.scenarios.iter().map(Model::compile).collect();
        check_models(&models)?;
        check_dyad(&models[0], settings.dyad, settings.by)?;
        Ok(CompareStudy {
            settings,
            seed,
            models,
        })
    }

    study_of_runs!(CompareSettings);

    fn runs_per_item(&self) -> u64 {
        self.models.len() as u64
    }

    fn empty(&self) -> CompareTally {
        CompareTally::new(self.models.len(), self.settings.by)
    }

    /// Besides the shape: no count above the runs, each scenario's onsets by month add up to
    /// its successes, and the discordant pairs agree with the successes (runs where both
    /// scenarios had the onset: `successes[s] − n10[s] = successes[0] − n01[s]`).
    fn fits(&self, t: &CompareTally, items: Range<u64>) -> Result<(), String> {
        use super::need;
        let n = items.end - items.start;
        need(t.fits(self.models.len(), self.settings.by), || {
            "its scenarios or months are not those of the comparison".into()
        })?;
        need(t.runs == n, || format!("runs {} where {n} runs are done", t.runs))?;
        let first = t.successes[0];
        for (s, &x) in t.successes.iter().enumerate() {
            need(x <= n, || format!("successes[{s}] {x} is above runs {n}"))?;
            let sum: u128 = t.months[s].iter().map(|&m| u128::from(m)).sum();
            need(sum == u128::from(x), || {
                format!("months[{s}] add up to {sum}, not successes[{s}] {x}")
            })?;
            let (a, b) = (t.n10[s], t.n01[s]);
            need(
                a <= x && b <= first && x - a == first - b && (s > 0 || a + b == 0),
                || format!("n10[{s}] {a} and n01[{s}] {b} do not agree with the successes"),
            )?;
        }
        Ok(())
    }

    fn count(
        &self,
        items: Range<u64>,
        t: &mut CompareTally,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), StudyError> {
        let k = self.models.len() as u64;
        let (dyad, by) = (self.settings.dyad, self.settings.by);
        t.merge(&compare_counts(&self.models, dyad, by, self.seed, items, &|n| {
            progress(n * k)
        })?);
        Ok(())
    }

    fn finish(&self, t: CompareTally) -> Result<Finished, StudyError> {
        let s = &self.settings;
        let comparison = Comparison::from_counts(&self.models, s.dyad, s.by, self.seed, s.runs, t)?;
        Ok(Finished {
            files: vec![
                ("compare.json".into(), comparison.to_json().into_bytes()),
                ("compare_curves.csv".into(), comparison.curves_csv().into_bytes()),
            ],
            head: comparison.table(),
            wrote: "compare.json and compare_curves.csv".into(),
            variant: None,
        })
    }
}
