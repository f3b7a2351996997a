//! `jinsong sensitivity`: first-order and total Sobol indices of a war-onset probability.
//!
//! # Design
//!
//! With k varied parameters and N base samples, two N × k matrices A and B are taken from one
//! Latin hypercube of N points in `[0, 1)^{2k}` (A its first k columns, B the last k; strata
//! shuffled by a ChaCha8 stream of the seed), and for each parameter i the matrix A_B^(i) is A
//! with its column i taken from B (Saltelli et al. 2010). The model is evaluated at the N·(k + 2)
//! rows of A, B and every A_B^(i), each mapped linearly onto the parameters' `LO..HI` ranges.
//!
//! # Estimators
//!
//! With f_A, f_B, f_ABi the outputs and V the variance of the 2N outputs of A and B together:
//!
//! * first order (Saltelli 2010): S_i = (1/N) Σ_j (f_B(j) − f̄) · (f_ABi(j) − f_A(j)) / V, with f̄
//!   the mean of the A and B outputs (centring leaves the estimator's expectation unchanged, since
//!   E[f_ABi − f_A] = 0, and removes the part of its variance that grows with the mean);
//! * total (Jansen 1999): ST_i = (1/2N) Σ_j (f_A(j) − f_ABi(j))² / V.
//!
//! # Intervals
//!
//! Bootstrap over the N base rows (a row j carries f_A(j), f_B(j) and every f_ABi(j)): B
//! resamples of N rows with replacement from the ChaCha8 stream [`BOOTSTRAP_STREAM`] of the seed,
//! the estimators recomputed on each, and the 2.5% and 97.5% percentiles taken (percentile
//! method; [`BOOTSTRAP`] = 1000 replicates by default).
//!
//! The estimator is checked on the Ishigami function, whose indices are known analytically
//! (tests/sensitivity.rs).
//!
//! # On the model
//!
//! Each evaluation is `runs` runs (`0..runs`, common random numbers: run r uses stream r at every
//! point) of the scenario with the row's values applied as `--set`, simulated up to `by`; the
//! output is the share of runs with a first war onset in the pair by `by`. The Monte Carlo noise
//! of each evaluation (binomial, about √(p(1−p)/runs)) adds to V and to the estimators' spread;
//! common random numbers keep it correlated between the rows of one base sample.

use serde::{Deserialize, Serialize};

use std::ops::Range;

pub use crate::stats::design::SaltelliDesign;
pub use crate::stats::sobol::{outcome_moments, sobol_indices, Indices};

use super::sweep::{value_at, Design, SweepCounts, SweepSettings, SweepStudy, Values, Vary};
use super::{Finished, Study, StudyError, StudyKind};
use crate::scenario::Scenario;

/// Default number of bootstrap replicates.
pub const BOOTSTRAP: usize = 1000;

/// The parameter points of a Saltelli design over `varies` (each a range `LO..HI`), in row
/// order, as a sweep [`Design`].
pub fn parameter_design(varies: &[Vary], unit: &SaltelliDesign) -> Design {
    Design {
        paths: varies.iter().map(|v| v.path.clone()).collect(),
        points: unit
            .rows
            .iter()
            .map(|r| varies.iter().zip(r).map(|(v, &u)| value_at(v, u)).collect())
            .collect(),
    }
}

/// Check that every `--vary` of a sensitivity analysis is a range and that none repeats.
pub fn check_ranges(varies: &[Vary]) -> Result<(), String> {
    if varies.is_empty() {
        return Err("sensitivity needs at least one --vary PATH=LO..HI".into());
    }
    for (i, v) in varies.iter().enumerate() {
        if let Values::List(_) = v.values {
            return Err(format!(
                "--vary {}: sensitivity needs a range LO..HI, not a list",
                crate::text::clip(&v.path)
            ));
        }
        if varies[..i].iter().any(|w| w.path == v.path) {
            return Err(format!("--vary {}: is varied twice", crate::text::clip(&v.path)));
        }
    }
    Ok(())
}

/// One parameter in `sensitivity.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterIndices {
    /// The `--set` path.
    pub path: String,
    /// Lower end of its range.
    pub lo: f64,
    /// Upper end of its range.
    pub hi: f64,
    /// First-order index.
    pub first_order: f64,
    /// Bootstrap 95% interval of the first-order index.
    pub first_order_ci95: [f64; 2],
    /// Total index.
    pub total: f64,
    /// Bootstrap 95% interval of the total index.
    pub total_ci95: [f64; 2],
}

/// `sensitivity.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// What the indices are of, in words.
    pub outcome: String,
    /// Scenario name.
    pub scenario: String,
    /// The pair, `a,b`.
    pub dyad: String,
    /// Last month counted.
    pub by: String,
    /// Base samples N.
    pub samples: usize,
    /// Model evaluations N·(k + 2).
    pub evaluations: usize,
    /// Runs per evaluation.
    pub runs: u64,
    /// Master seed (runs, design and bootstrap).
    pub seed: u64,
    /// How the base samples were drawn.
    pub design: String,
    /// Bootstrap replicates.
    pub bootstrap: usize,
    /// Mean of the outcome over the A and B rows.
    pub outcome_mean: f64,
    /// Variance of the outcome over the A and B rows.
    pub outcome_variance: f64,
    /// One entry per varied parameter, in `--vary` order.
    pub parameters: Vec<ParameterIndices>,
}

impl Sensitivity {
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// A terminal table, parameters by decreasing total index.
    pub fn table(&self) -> String {
        let mut rows: Vec<&ParameterIndices> = self.parameters.iter().collect();
        rows.sort_by(|a, b| b.total.total_cmp(&a.total));
        let w = rows.iter().map(|p| p.path.len()).max().unwrap_or(9).max(9);
        let mut out = format!(
            "{}: {} (mean {:.3}, variance {:.4})\n{:<w$}  {:>11}  {:<18}  {:>7}  {:<18}\n",
            self.scenario,
            self.outcome,
            self.outcome_mean,
            self.outcome_variance,
            "parameter",
            "first order",
            "95% CI",
            "total",
            "95% CI"
        );
        for p in rows {
            out.push_str(&format!(
                "{:<w$}  {:>11.3}  [{:>6.3}, {:>6.3}]  {:>7.3}  [{:>6.3}, {:>6.3}]\n",
                p.path,
                p.first_order,
                p.first_order_ci95[0],
                p.first_order_ci95[1],
                p.total,
                p.total_ci95[0],
                p.total_ci95[1]
            ));
        }
        out
    }
}

/// What a `sensitivity` part or checkpoint keeps besides its counts: enough to compute the
/// indices without the scenario files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SensitivitySettings {
    /// The evaluations as sweep points, the pair, the date, the runs and the seed.
    pub study: SweepSettings,
    /// The `--vary PATH=LO..HI` arguments, in order.
    pub vary: Vec<String>,
    /// Base samples N of the Saltelli design.
    pub samples: usize,
    /// Bootstrap replicates.
    pub bootstrap: usize,
}

impl super::Settings for SensitivitySettings {
    fn scenarios(&self) -> Vec<&Scenario> {
        vec![&self.study.scenario]
    }
}

/// `jinsong sensitivity` as a [`Study`]: the evaluations of a Saltelli design counted as the
/// points of a sweep, finished into Sobol indices.
pub struct SensitivityStudy {
    settings: SensitivitySettings,
    sweep: SweepStudy,
    varies: Vec<Vary>,
}

impl Study for SensitivityStudy {
    const KIND: StudyKind = StudyKind::Sensitivity;
    type Settings = SensitivitySettings;
    type Counts = SweepCounts;

    fn new(settings: SensitivitySettings, seed: u64) -> Result<SensitivityStudy, StudyError> {
        let varies = settings
            .vary
            .iter()
            .map(|v| v.parse::<Vary>())
            .collect::<Result<Vec<_>, _>>()?;
        check_ranges(&varies).map_err(StudyError::Settings)?;
        let sweep = SweepStudy::new(settings.study.clone(), seed)?;
        let s = sweep.sweep();
        if s.pairs.len() != 1
            || s.by.is_none()
            || s.design.points.len() != settings.samples * (varies.len() + 2)
        {
            return Err(StudyError::Settings(
                "a sensitivity analysis needs one pair, a date and N·(k + 2) evaluations".into(),
            ));
        }
        Ok(SensitivityStudy {
            settings,
            sweep,
            varies,
        })
    }

    fn settings(&self) -> &SensitivitySettings {
        &self.settings
    }

    fn seed(&self) -> u64 {
        self.sweep.seed()
    }

    fn items(&self, sharded: bool) -> u64 {
        self.sweep.items(sharded)
    }

    fn runs_per_item(&self) -> u64 {
        self.sweep.runs_per_item()
    }

    fn wave(&self, threads: usize) -> u64 {
        self.sweep.wave(threads)
    }

    fn empty(&self) -> Self::Counts {
        self.sweep.empty()
    }

    fn fits(&self, counts: &Self::Counts, items: Range<u64>) -> Result<(), String> {
        self.sweep.fits(counts, items)
    }

    fn count(
        &self,
        items: Range<u64>,
        counts: &mut Self::Counts,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), StudyError> {
        self.sweep.count(items, counts, progress)
    }

    fn finish(&self, counts: Self::Counts) -> Result<Finished, StudyError> {
        let (sweep, sc) = (self.sweep.sweep(), &self.settings.study.scenario);
        let (k, samples, seed) = (self.varies.len(), self.settings.samples, sweep.seed);
        let evaluations = sweep.design.points.len();
        let (ida, idb) = sweep.pairs[0].clone();
        let by = sweep.by.ok_or_else(|| StudyError::Settings("no date".into()))?;
        let y: Vec<f64> = counts
            .points
            .iter()
            .map(|p| p.by_runs[0] as f64 / p.runs as f64)
            .collect();
        let indices = sobol_indices(&y, samples, k, self.settings.bootstrap, seed);
        let (outcome_mean, outcome_variance) = outcome_moments(&y, samples);
        let report = Sensitivity {
            outcome: format!("P(first war onset {ida}–{idb} by {by})"),
            scenario: sc.name.clone(),
            dyad: format!("{ida},{idb}"),
            by: by.to_string(),
            samples,
            evaluations,
            runs: sweep.runs,
            seed,
            design: "Saltelli (A, B, A_B^i) from a Latin hypercube in 2k dimensions".into(),
            bootstrap: self.settings.bootstrap,
            outcome_mean,
            outcome_variance,
            parameters: self
                .varies
                .iter()
                .zip(indices)
                .map(|(v, ix)| {
                    let (lo, hi) = match v.values {
                        Values::Range { lo, hi, .. } => (lo, hi),
                        Values::List(_) => (f64::NAN, f64::NAN),
                    };
                    ParameterIndices {
                        path: v.path.clone(),
                        lo,
                        hi,
                        first_order: ix.first_order,
                        first_order_ci95: ix.first_order_ci95,
                        total: ix.total,
                        total_ci95: ix.total_ci95,
                    }
                })
                .collect(),
        };
        let head = format!(
            "{}{evaluations} evaluations × {} runs, seed {seed}; bootstrap {} replicates\n",
            report.table(),
            sweep.runs,
            self.settings.bootstrap
        );
        Ok(Finished {
            files: vec![("sensitivity.json".into(), report.to_json().into_bytes())],
            head,
            wrote: "sensitivity.json".into(),
            variant: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_rows_share_columns_as_saltelli_says() {
        let d = SaltelliDesign::new(8, 3, 5);
        assert_eq!(d.rows.len(), 8 * 5);
        for i in 0..3 {
            for j in 0..8 {
                let abi = &d.rows[(2 + i) * 8 + j];
                for c in 0..3 {
                    let from = if c == i { &d.rows[8 + j] } else { &d.rows[j] };
                    assert_eq!(abi[c], from[c]);
                }
            }
        }
    }

    #[test]
    fn additive_function_has_equal_first_and_total() {
        // y = x0 + 2 x1 on uniform inputs: S = ST = (1/5, 4/5) (variances 1/12 and 4/12).
        let n = 4000;
        let d = SaltelliDesign::new(n, 2, 11);
        let y: Vec<f64> = d.rows.iter().map(|r| r[0] + 2.0 * r[1]).collect();
        let ix = sobol_indices(&y, n, 2, 200, 3);
        // Within 4 bootstrap standard errors of the truth (the 95% interval is ±1.96 of
        // them): a correct estimator fails one of these four checks with probability < 3e-4
        // (a 95% interval alone misses one of four about 19% of the time).
        let near = |est: f64, [lo, hi]: [f64; 2], want: f64| {
            let se = (hi - lo) / (2.0 * 1.96);
            (est - want).abs() <= 4.0 * se && hi - lo < 0.1
        };
        for (i, want) in [0.2, 0.8].into_iter().enumerate() {
            assert!(
                near(ix[i].first_order, ix[i].first_order_ci95, want),
                "{:?}",
                ix[i]
            );
            assert!(near(ix[i].total, ix[i].total_ci95, want), "{:?}", ix[i]);
        }
    }
}
