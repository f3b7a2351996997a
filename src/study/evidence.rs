//! `jinsong evidence`: how well each reading predicted the record, averaged over its own
//! uncertainty, and what the record says about its judgement numbers.
//!
//! Each run of a scenario with priors draws its parameter values from them, so the share of
//! runs that match every pattern is the **marginal likelihood** (evidence) of the joint match:
//! `P(record | reading) = ∫ P(record | θ) p(θ | reading) dθ`, estimated without tolerance or
//! approximation beyond Monte Carlo error (a Wilson interval). Ratios of evidence are **Bayes
//! factors** (a Katz interval on the log scale), and with prior odds between the readings they
//! give each reading's **posterior probability**. The runs that match are draws from the
//! **posterior** of the parameters: their values are binned into fixed histograms (integer
//! counts, the prior's too) and a fixed-size sample is kept: the matching runs with the
//! smallest key `hash(seed, r)` ([`sample_key`]), whose values are drawn again when finishing.
//! Counts and sample merge exactly, so results are the same whatever the threads, shards or
//! resumption.
//!
//! Each prior's values are binned, besides, over the runs that match each pattern alone
//! (`conditional.csv`, [`conditional_csv`]): matches in a bin over runs in the bin is
//! P(pattern | θ in the bin), a finding read as a function of the inputs over their prior.

use std::fmt::Write as _;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::score::{PatternCounts, PatternRates, Rate};
use super::{Finished, Study, StudyError, StudyKind};
use crate::batch::fold::{fold_runs, CHUNK_RUNS};
use crate::batch::Counts;
use crate::engine::{simulate, Workspace};
use crate::model::prior::{draw_run, CompiledPrior, Sampler};
use crate::model::Model;
use crate::patterns::{CompiledPatterns, PatternSet};
use crate::rng::draws::PriorStream;
use crate::scenario::prior::{
    sample_row, sample_row_bytes, MAX_SAMPLE_FILE_BYTES, SAMPLE_FILE, SAMPLE_HEADER,
};
use crate::scenario::Scenario;
use crate::stats::paired::rate_ratio;
use crate::stats::posterior::{overlap, summarize, Summary};
use crate::stats::{wilson, Z95};

/// Bins of each parameter's prior and posterior histograms.
pub const BINS: usize = 40;
/// Default size of the posterior sample kept per reading (`--sample`).
pub const DEFAULT_SAMPLE: u64 = 4000;
/// Largest `--sample`.
pub const MAX_SAMPLE: u64 = 100_000;
/// Draws of the prior summarized for each parameter (the values of runs `0..PRIOR_DRAWS`).
pub const PRIOR_DRAWS: u64 = 20_000;
/// Fewer matching runs than this and the posterior is flagged as resting on too few draws.
pub const MIN_EFFECTIVE_SAMPLE: u64 = 200;
/// A joint match rate below this is flagged: the evidence is small and its posterior rests on
/// rare runs.
pub const MIN_ACCEPTANCE: f64 = 1e-4;

/// What `evidence` keeps in part files and checkpoints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvidenceSettings {
    /// Runs per scenario (all shards).
    pub runs: u64,
    /// The pattern file(s) as given.
    pub patterns_file: String,
    /// Hash of the pattern files' texts.
    pub patterns_hash: String,
    /// Pattern names, in file order.
    pub patterns: Vec<String>,
    /// The readings.
    pub scenarios: Vec<Scenario>,
    /// Prior odds of the readings, one each (equal by default).
    pub prior_odds: Vec<f64>,
    /// Posterior sample size kept per reading.
    pub sample: u64,
}

settings_scenarios!(EvidenceSettings, scenarios);

/// The counts of one reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceCounts {
    /// Pattern matches (per pattern and joint).
    pub matches: PatternCounts,
    /// Per prior, [`BINS`] counts of the values of all runs.
    pub prior_bins: Vec<u64>,
    /// Per prior, [`BINS`] counts of the values of the runs that matched jointly.
    pub posterior_bins: Vec<u64>,
    /// Per pattern, per prior, [`BINS`] counts of the values of the runs in which that pattern
    /// held (whatever the others did): entry `(k · priors + i) · BINS + b` for pattern *k*,
    /// prior *i*, bin *b*. Absent from files of earlier versions (then empty, and refused by
    /// [`Study::fits`]).
    #[serde(default)]
    pub pattern_bins: Vec<u64>,
    /// The matching runs with the smallest keys, as `[key, run]`, sorted, at most `sample`.
    pub sample: Vec<[u64; 2]>,
    /// How many entries `sample` keeps.
    pub keep: u64,
}

impl EvidenceCounts {
    fn new(patterns: usize, priors: usize, keep: u64) -> EvidenceCounts {
        EvidenceCounts {
            matches: PatternCounts::new(patterns),
            prior_bins: vec![0; priors * BINS],
            posterior_bins: vec![0; priors * BINS],
            pattern_bins: vec![0; patterns * priors * BINS],
            sample: Vec::new(),
            keep,
        }
    }

    fn trim(&mut self) {
        self.sample.sort_unstable();
        self.sample.dedup();
        self.sample.truncate(self.keep as usize);
    }
}

impl Counts for EvidenceCounts {
    fn merge(&mut self, o: &Self) {
        self.matches.merge(&o.matches);
        for (a, b) in self.prior_bins.iter_mut().zip(&o.prior_bins) {
            *a += b;
        }
        for (a, b) in self.posterior_bins.iter_mut().zip(&o.posterior_bins) {
            *a += b;
        }
        for (a, b) in self.pattern_bins.iter_mut().zip(&o.pattern_bins) {
            *a += b;
        }
        self.sample.extend_from_slice(&o.sample);
        self.trim();
    }
}

/// The key that orders matching runs for the posterior sample: SplitMix64 of the seed and the
/// run, so the sample is a random thinning of the matching runs that any split of the batch
/// keeps the same.
pub fn sample_key(seed: u64, run: u64) -> u64 {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    mix(seed ^ mix(run))
}

/// The range a parameter's histogram spans, and whether its bins are on a log scale: the
/// support of its prior (a `Normal`'s within four sd of its mean, inside the field's range).
pub fn bin_range(p: &CompiledPrior) -> (f64, f64, bool) {
    let (lo, hi, log) = match &p.sampler {
        Sampler::Uniform { lo, width } => (*lo, lo + width, false),
        Sampler::LogUniform { ln_lo, ln_width } => (ln_lo.exp(), (ln_lo + ln_width).exp(), true),
        Sampler::Normal { mean, sd, lo, hi, .. } => {
            ((mean - 4.0 * sd).max(*lo), (mean + 4.0 * sd).min(*hi), false)
        }
        Sampler::Beta { .. } => (0.0, 1.0, false),
        Sampler::Triangular { lo, hi, .. } => (*lo, *hi, false),
        Sampler::Choice(v) => (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            false,
        ),
    };
    if hi > lo {
        (lo, hi, log)
    } else {
        (lo - 0.5, lo + 0.5, false)
    }
}

/// The bin of `x` in a histogram over `range` (values outside go to the edge bins).
pub fn bin_of(range: (f64, f64, bool), x: f64) -> usize {
    let (lo, hi, log) = range;
    let t = if log {
        (x.ln() - lo.ln()) / (hi.ln() - lo.ln())
    } else {
        (x - lo) / (hi - lo)
    };
    ((t * BINS as f64).floor().max(0.0) as usize).min(BINS - 1)
}

/// `jinsong evidence` as a [`Study`]: its work items are run indices (each run of every
/// reading, on common random numbers).
pub struct EvidenceStudy {
    settings: EvidenceSettings,
    seed: u64,
    /// Each reading's model and its compiled patterns (none when finishing merged parts).
    jobs: Vec<(Model, Option<CompiledPatterns>)>,
}

impl EvidenceStudy {
    /// The settings of weighing `scenarios` on `runs` runs each against `patterns` (read from
    /// `patterns_file`), with prior odds `prior_odds` (empty: equal) and a posterior sample of
    /// `sample` runs per reading.
    pub fn settings_for(
        patterns_file: &str,
        patterns: &PatternSet,
        scenarios: Vec<Scenario>,
        runs: u64,
        prior_odds: Vec<f64>,
        sample: u64,
    ) -> Result<EvidenceSettings, StudyError> {
        let mut names = Vec::new();
        for sc in &scenarios {
            names = patterns.compile(patterns_file, &Model::compile(sc))?.names();
        }
        let prior_odds = if prior_odds.is_empty() {
            vec![1.0; scenarios.len()]
        } else {
            prior_odds
        };
        Ok(EvidenceSettings {
            runs,
            patterns_file: patterns_file.to_string(),
            patterns_hash: crate::batch::part::text_hash(&patterns.sources().join("\n\u{1e}\n")),
            patterns: names,
            scenarios,
            prior_odds,
            sample,
        })
    }

    /// The study of `settings` with `patterns` compiled for every reading (to count runs).
    pub fn with_patterns(
        settings: EvidenceSettings,
        seed: u64,
        patterns: &PatternSet,
    ) -> Result<EvidenceStudy, StudyError> {
        let mut study = EvidenceStudy::new(settings, seed)?;
        for (model, compiled) in &mut study.jobs {
            *compiled = Some(patterns.compile(&study.settings.patterns_file, model)?);
        }
        Ok(study)
    }

    fn count_one(
        &self,
        model: &Model,
        patterns: &CompiledPatterns,
        items: Range<u64>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> EvidenceCounts {
        let k = self.settings.patterns.len();
        let all = if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
        let ranges: Vec<(f64, f64, bool)> = model.priors.iter().map(bin_range).collect();
        let priors = ranges.len();
        let (seed, keep) = (self.seed, self.settings.sample);
        fold_runs(
            items,
            CHUNK_RUNS,
            || (Workspace::new(model), patterns.tracker()),
            || EvidenceCounts::new(k, ranges.len(), keep),
            |(ws, tracker), c, r| {
                simulate(model, seed, r, ws, tracker);
                let bits = tracker.matches(&ws.outcome);
                c.matches.add_files(bits, patterns.file_masks());
                let joint = bits & all == all;
                for (i, (&range, &v)) in ranges.iter().zip(ws.drawn()).enumerate() {
                    let b = i * BINS + bin_of(range, v);
                    c.prior_bins[b] += 1;
                    if joint {
                        c.posterior_bins[b] += 1;
                    }
                    // Each pattern that held, alone (bit k of `bits` is pattern k): entry
                    // (k · priors + i) · BINS + bin, with b = i · BINS + bin.
                    let mut held = bits & all;
                    while held != 0 {
                        let k = held.trailing_zeros() as usize;
                        c.pattern_bins[k * priors * BINS + b] += 1;
                        held &= held - 1;
                    }
                }
                if joint {
                    c.sample.push([sample_key(seed, r), r]);
                    if c.sample.len() as u64 >= 2 * keep.max(1) {
                        c.trim();
                    }
                }
            },
            |a, b| a.merge(b),
            progress,
        )
    }

    /// The values run `runs[k]` drew, row after row.
    fn values_of(&self, model: &Model, runs: impl Iterator<Item = u64>) -> Vec<Vec<f64>> {
        let mut stream = PriorStream::new(self.seed);
        let mut row = vec![0.0; model.priors.len()];
        let mut cols = vec![Vec::new(); model.priors.len()];
        for r in runs {
            draw_run(model, &mut stream, r, &mut row);
            for (c, &v) in cols.iter_mut().zip(&row) {
                c.push(v);
            }
        }
        cols
    }
}

impl Study for EvidenceStudy {
    const KIND: StudyKind = StudyKind::Evidence;
    type Settings = EvidenceSettings;
    type Counts = Vec<EvidenceCounts>;

    fn new(settings: EvidenceSettings, seed: u64) -> Result<EvidenceStudy, StudyError> {
        if settings.prior_odds.len() != settings.scenarios.len()
            || settings.prior_odds.iter().any(|&w| !usable_odds(w))
        {
            return Err(StudyError::Settings(format!(
                "--prior-odds: {} positive numbers needed, one per reading (given: {:?})",
                settings.scenarios.len(),
                settings.prior_odds
            )));
        }
        if !(1..=MAX_SAMPLE).contains(&settings.sample) {
            return Err(StudyError::Settings(format!(
                "--sample: {} is out of range (allowed: 1 ..= {MAX_SAMPLE})",
                settings.sample
            )));
        }
        // What `--posterior` must read back: the sample file at its largest.
        let bytes = sample_file_bound(&settings.scenarios, settings.sample);
        if bytes > MAX_SAMPLE_FILE_BYTES {
            return Err(StudyError::Settings(format!(
                "--sample: {} draws of {} reading(s) could write {bytes} bytes of {SAMPLE_FILE} (allowed: at most {MAX_SAMPLE_FILE_BYTES}, what --posterior reads): give a smaller --sample",
                settings.sample,
                settings.scenarios.len()
            )));
        }
        let jobs = settings
            .scenarios
            .iter()
            .map(|sc| (Model::compile(sc), None))
            .collect();
        Ok(EvidenceStudy { settings, seed, jobs })
    }

    study_of_runs!(EvidenceSettings);

    fn runs_per_item(&self) -> u64 {
        self.jobs.len() as u64
    }

    fn empty(&self) -> Vec<EvidenceCounts> {
        self.jobs
            .iter()
            .map(|(m, _)| {
                EvidenceCounts::new(self.settings.patterns.len(), m.priors.len(), self.settings.sample)
            })
            .collect()
    }

    /// Besides the pattern matches ([`PatternCounts::verify`]): each prior's histogram of all
    /// runs sums to the runs, its histogram of the matching runs to the joint matches, bin by
    /// bin at most the first; each pattern's histogram of each prior (`pattern_bins`) sums to
    /// the pattern's matched runs, bin by bin between the joint matches' and all runs'; the
    /// sample keeps exactly `min(keep, joint)` matching runs, each inside the items with its own
    /// key, sorted by key, none twice.
    fn fits(&self, counts: &Vec<EvidenceCounts>, items: Range<u64>) -> Result<(), String> {
        use super::need;
        let n = items.end - items.start;
        need(counts.len() == self.jobs.len(), || {
            format!("{} readings counted, not {}", counts.len(), self.jobs.len())
        })?;
        for (i, (c, (m, _))) in counts.iter().zip(&self.jobs).enumerate() {
            let at = format!("[{i}].");
            c.matches
                .verify(&format!("{at}matches."), self.settings.patterns.len(), n)?;
            let joint = c.matches.joint;
            for (name, bins) in [
                ("prior_bins", &c.prior_bins),
                ("posterior_bins", &c.posterior_bins),
            ] {
                need(bins.len() == m.priors.len() * BINS, || {
                    format!(
                        "{at}{name} has {} bins, not {} priors × {BINS}",
                        bins.len(),
                        m.priors.len()
                    )
                })?;
            }
            for (p, (prior, post)) in c
                .prior_bins
                .chunks(BINS)
                .zip(c.posterior_bins.chunks(BINS))
                .enumerate()
            {
                let (all, matched) = (
                    prior.iter().map(|&x| u128::from(x)).sum::<u128>(),
                    post.iter().map(|&x| u128::from(x)).sum::<u128>(),
                );
                need(all == u128::from(n), || {
                    format!("{at}prior_bins of prior {p} add up to {all}, not the {n} runs")
                })?;
                need(matched == u128::from(joint), || {
                    format!(
                        "{at}posterior_bins of prior {p} add up to {matched}, not the {joint} matched runs"
                    )
                })?;
                for (b, (x, y)) in prior.iter().zip(post).enumerate() {
                    need(y <= x, || {
                        format!(
                            "{at}posterior_bins[{}] {y} is above prior_bins[{}] {x}",
                            p * BINS + b,
                            p * BINS + b
                        )
                    })?;
                }
            }
            let k = self.settings.patterns.len();
            need(c.pattern_bins.len() == k * m.priors.len() * BINS, || {
                format!(
                    "{at}pattern_bins has {} bins, not {k} patterns × {} priors × {BINS}",
                    c.pattern_bins.len(),
                    m.priors.len()
                )
            })?;
            let priors = m.priors.len().max(1);
            for (j, bins) in c.pattern_bins.chunks(BINS).enumerate() {
                let (pattern, p) = (j / priors, j % priors);
                let sum = bins.iter().map(|&x| u128::from(x)).sum::<u128>();
                let matched = c.matches.matched[pattern];
                need(sum == u128::from(matched), || {
                    format!(
                        "{at}pattern_bins of pattern {pattern}, prior {p} add up to {sum}, not its {matched} matched runs"
                    )
                })?;
                let prior = &c.prior_bins[p * BINS..(p + 1) * BINS];
                let post = &c.posterior_bins[p * BINS..(p + 1) * BINS];
                for (b, ((x, y), z)) in bins.iter().zip(prior).zip(post).enumerate() {
                    need(x <= y && z <= x, || {
                        format!(
                            "{at}pattern_bins[{}] {x} is not between posterior_bins[{}] {z} and prior_bins[{}] {y}",
                            j * BINS + b,
                            p * BINS + b,
                            p * BINS + b
                        )
                    })?;
                }
            }
            need(c.keep == self.settings.sample, || {
                format!(
                    "{at}keep {}, not the sample size {}",
                    c.keep, self.settings.sample
                )
            })?;
            let rows = c.sample.len() as u64;
            need(rows == c.keep.min(joint), || {
                format!(
                    "{at}sample has {rows} rows, not {} (of {joint} matched runs, {} kept)",
                    c.keep.min(joint),
                    c.keep
                )
            })?;
            for (j, &[k, r]) in c.sample.iter().enumerate() {
                need(items.contains(&r), || {
                    format!(
                        "{at}sample[{j}]: run {r} is outside runs {}..{}",
                        items.start, items.end
                    )
                })?;
                need(k == sample_key(self.seed, r), || {
                    format!("{at}sample[{j}]: {k} is not the key of run {r}")
                })?;
                if j > 0 {
                    let before = c.sample[j - 1];
                    need(before[1] != r, || {
                        format!("{at}sample[{j}]: run {r} is there twice")
                    })?;
                    need(before < [k, r], || format!("{at}sample[{j}] is out of order"))?;
                }
            }
        }
        Ok(())
    }

    fn count(
        &self,
        items: Range<u64>,
        counts: &mut Vec<EvidenceCounts>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), StudyError> {
        for ((model, compiled), total) in self.jobs.iter().zip(counts.iter_mut()) {
            let compiled = compiled
                .as_ref()
                .ok_or_else(|| StudyError::Settings("evidence: patterns not compiled".into()))?;
            total.merge(&self.count_one(model, compiled, items.clone(), progress));
        }
        Ok(())
    }

    fn finish(&self, counts: Vec<EvidenceCounts>) -> Result<Finished, StudyError> {
        let report = self.report(&counts);
        let table = report.table();
        Ok(Finished {
            files: vec![
                (
                    "evidence.json".into(),
                    format!("{:#}\n", serde_json::json!(report.evidence)).into_bytes(),
                ),
                (
                    "posterior.json".into(),
                    format!("{:#}\n", serde_json::json!(report.posterior_json())).into_bytes(),
                ),
                (
                    "posterior_sample.csv".into(),
                    report.sample_csv.clone().into_bytes(),
                ),
                (
                    "conditional.csv".into(),
                    conditional_csv(&self.settings, &self.jobs, &counts).into_bytes(),
                ),
            ],
            head: format!(
                "patterns: {}; {} runs per reading, seed {} (common random numbers)\n{table}",
                self.settings.patterns_file, self.settings.runs, self.seed
            ),
            wrote: "evidence.json, posterior.json, posterior_sample.csv and conditional.csv".into(),
            variant: None,
        })
    }
}

/// One reading's evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingEvidence {
    /// Scenario name.
    pub scenario: String,
    /// Runs.
    pub runs: u64,
    /// Runs matching every pattern.
    pub matched: u64,
    /// The marginal likelihood of the joint match with its Wilson 95% interval; null when no run
    /// matched (then read `upper95`).
    pub evidence: Option<Rate>,
    /// The upper end of the Wilson 95% interval of the evidence (the only estimate when no run
    /// matched).
    pub upper95: f64,
    /// Each pattern's share of runs (its own marginal likelihood).
    pub patterns: PatternRates,
    /// Prior odds given.
    pub prior_odds: f64,
    /// Posterior probability of the reading among those weighed; null when no reading matched.
    pub posterior_probability: Option<f64>,
    /// Its interval from the readings' Wilson intervals (each reading at its bound that makes
    /// this one's probability lowest, then highest): conservative.
    pub posterior_ci95: [f64; 2],
    /// The priors, as written.
    pub priors: Vec<PriorText>,
    /// Where the posterior sample came from, when the priors were drawn from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drawn_from: Option<String>,
    /// Warnings about this reading's numbers.
    pub warnings: Vec<String>,
}

/// A prior as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorText {
    /// Its path.
    pub path: String,
    /// Its distribution.
    pub prior: String,
}

/// The Bayes factor of one reading over another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BayesFactor {
    /// The reading in the numerator.
    pub a: String,
    /// The reading in the denominator.
    pub b: String,
    /// `log10(evidence_a / evidence_b)`; null when either reading matched in no run.
    pub log10: Option<f64>,
    /// Katz 95% interval of the log10 factor (independent binomials; conservative on common
    /// random numbers, which correlate the two counts positively); null with `log10`.
    pub ci95: Option<[f64; 2]>,
    /// When `b` matched in no run and `a` did: a lower bound of `log10` (Wilson lower end of
    /// `a` over the upper end of `b`).
    pub at_least: Option<f64>,
    /// When `a` matched in no run and `b` did: an upper bound of `log10`.
    pub at_most: Option<f64>,
}

/// `evidence.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceReport {
    /// Pattern names.
    pub patterns: Vec<String>,
    /// The pattern files as given.
    pub patterns_file: String,
    /// Master seed.
    pub seed: u64,
    /// Runs per reading.
    pub runs: u64,
    /// The readings, in the order given.
    pub readings: Vec<ReadingEvidence>,
    /// Every pair of readings, in the order given.
    pub bayes_factors: Vec<BayesFactor>,
}

/// One parameter's prior and posterior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterPosterior {
    /// Its path.
    pub path: String,
    /// Its prior, as written.
    pub prior: String,
    /// The histograms' span `[lo, hi]`.
    pub bins_range: [f64; 2],
    /// Whether the bins are equal on a log scale.
    pub log_bins: bool,
    /// The prior's values (runs `0..PRIOR_DRAWS`).
    pub prior_summary: Option<Summary>,
    /// The posterior sample's values; null when no run matched.
    pub posterior: Option<Summary>,
    /// `1 − sd_posterior / sd_prior`: 0 when the record teaches nothing about it, near 1 when it
    /// pins it down.
    pub shrinkage: Option<f64>,
    /// Overlap of the prior and posterior histograms (1: the record leaves it as uncertain as
    /// before).
    pub overlap: Option<f64>,
    /// Prior histogram (all runs).
    pub prior_bins: Vec<u64>,
    /// Posterior histogram (matching runs).
    pub posterior_bins: Vec<u64>,
    /// Warnings about this parameter's posterior.
    pub warnings: Vec<String>,
}

/// One reading's posterior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingPosterior {
    /// Scenario name.
    pub scenario: String,
    /// Runs that matched (the posterior's effective sample: every matching run weighs the same).
    pub matched: u64,
    /// Runs in the posterior sample (`posterior_sample.csv`).
    pub sample: u64,
    /// Its parameters.
    pub parameters: Vec<ParameterPosterior>,
}

/// Everything `evidence` writes.
struct Report {
    evidence: EvidenceReport,
    posterior: Vec<ReadingPosterior>,
    /// `posterior_sample.csv`.
    sample_csv: String,
}

impl Report {
    fn posterior_json(&self) -> serde_json::Value {
        serde_json::json!({
            "seed": self.evidence.seed,
            "bins": BINS,
            "prior_draws": PRIOR_DRAWS,
            "readings": self.posterior,
        })
    }

    fn table(&self) -> String {
        let mut out = String::new();
        let e = &self.evidence;
        let _ = writeln!(
            out,
            "{:<28} {:>10} {:>30} {:>22}",
            "reading", "matched", "evidence [95% CI]", "P(reading | record)"
        );
        for r in &e.readings {
            let ev = match &r.evidence {
                Some(rate) => format!("{:.4} [{:.4}, {:.4}]", rate.rate, rate.ci95[0], rate.ci95[1]),
                None => format!("0 matched: < {:.2e}", r.upper95),
            };
            let post = match r.posterior_probability {
                Some(p) => format!("{p:.3} [{:.3}, {:.3}]", r.posterior_ci95[0], r.posterior_ci95[1]),
                None => "-".into(),
            };
            let _ = writeln!(
                out,
                "{:<28} {:>10} {:>30} {:>22}",
                r.scenario, r.matched, ev, post
            );
        }
        if !e.bayes_factors.is_empty() {
            let _ = writeln!(out, "\nBayes factors (log10; > 0 favours the first):");
            for b in &e.bayes_factors {
                let text = match (b.log10, b.ci95, b.at_least, b.at_most) {
                    (Some(v), Some(ci), _, _) => format!("{v:+.2} [{:+.2}, {:+.2}]", ci[0], ci[1]),
                    (_, _, Some(lo), _) => format!("at least {lo:+.2} (the second matched in no run)"),
                    (_, _, _, Some(hi)) => format!("at most {hi:+.2} (the first matched in no run)"),
                    _ => "neither matched in any run".into(),
                };
                let _ = writeln!(out, "  {} vs {}: {text}", b.a, b.b);
            }
        }
        for p in &self.posterior {
            if p.parameters.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "\n{} (posterior: {} matching runs; means and intervals from a sample of {}, histograms from all):",
                p.scenario, p.matched, p.sample
            );
            let _ = writeln!(
                out,
                "  {:<44} {:>26} {:>26} {:>9} {:>8}",
                "parameter", "prior mean [90%]", "posterior mean [90%]", "shrinkage", "overlap"
            );
            for q in &p.parameters {
                let show = |s: &Option<Summary>| match s {
                    Some(s) => format!("{} [{}, {}]", sig(s.mean), sig(s.q05), sig(s.q95)),
                    None => "-".into(),
                };
                let num = |x: Option<f64>| x.map_or("-".into(), |v| format!("{v:.2}"));
                let _ = writeln!(
                    out,
                    "  {:<44} {:>26} {:>26} {:>9} {:>8}",
                    q.path,
                    show(&q.prior_summary),
                    show(&q.posterior),
                    num(q.shrinkage),
                    num(q.overlap)
                );
            }
        }
        let warnings: Vec<String> = e
            .readings
            .iter()
            .flat_map(|r| r.warnings.iter().map(move |w| format!("{}: {w}", r.scenario)))
            .chain(self.posterior.iter().flat_map(|p| {
                p.parameters.iter().flat_map(move |q| {
                    q.warnings
                        .iter()
                        .map(move |w| format!("{}: {}: {w}", p.scenario, q.path))
                })
            }))
            .collect();
        for w in warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        out
    }
}

/// The header of `conditional.csv`: one row per reading, prior, bin and pattern (long form).
pub const CONDITIONAL_HEADER: &str = "reading,parameter,bin_lo,bin_hi,pattern,runs,matches\n";

/// The edges of bin `b` of a histogram over `range` ([`bin_of`]'s bins: equal widths, or equal
/// on a log scale); the last edge is the range's end exactly. The first and last bins also
/// hold the values beyond the range (a `Normal`'s beyond four sd).
pub fn bin_edges(range: (f64, f64, bool), b: usize) -> (f64, f64) {
    let (lo, hi, log) = range;
    let edge = |k: usize| {
        if k == 0 {
            lo
        } else if k >= BINS {
            hi
        } else if log {
            (lo.ln() + (hi.ln() - lo.ln()) * k as f64 / BINS as f64).exp()
        } else {
            lo + (hi - lo) * k as f64 / BINS as f64
        }
    };
    (edge(b), edge(b + 1))
}

/// `conditional.csv`: for each reading, each prior (in the order of the reading's priors),
/// each bin (in order) and each pattern (in file order), the runs whose drawn value fell in the
/// bin and how many of them matched the pattern (alone, whatever the others did). Matches over
/// runs is P(pattern | value in the bin); summed over bins, runs are the reading's runs and
/// matches the pattern's matched runs.
fn conditional_csv(
    settings: &EvidenceSettings,
    jobs: &[(Model, Option<CompiledPatterns>)],
    counts: &[EvidenceCounts],
) -> String {
    let mut out = String::from(CONDITIONAL_HEADER);
    let k = settings.patterns.len();
    for ((sc, (model, _)), c) in settings.scenarios.iter().zip(jobs).zip(counts) {
        let priors = model.priors.len();
        for (i, p) in model.priors.iter().enumerate() {
            let range = bin_range(p);
            for b in 0..BINS {
                let (lo, hi) = bin_edges(range, b);
                let runs = c.prior_bins[i * BINS + b];
                for (pattern, name) in settings.patterns.iter().enumerate().take(k) {
                    let matches = c.pattern_bins[(pattern * priors + i) * BINS + b];
                    let _ = writeln!(
                        out,
                        "{},{},{},{},{name},{runs},{matches}",
                        sc.name,
                        p.path,
                        crate::scenario::prior::number_text(lo),
                        crate::scenario::prior::number_text(hi),
                    );
                }
            }
        }
    }
    out
}

/// The most bytes the posterior sample file of `scenarios` can take with `sample` draws kept
/// per reading (each row at its longest, [`sample_row_bytes`]).
pub fn sample_file_bound(scenarios: &[Scenario], sample: u64) -> u64 {
    let rows: u64 = scenarios
        .iter()
        .map(|sc| {
            sc.priors
                .iter()
                .map(|p| sample_row_bytes(&sc.name, &p.path))
                .sum::<u64>()
        })
        .sum();
    (SAMPLE_HEADER.len() as u64).saturating_add(rows.saturating_mul(sample))
}

/// Whether `w` can be a prior odds: finite and positive, not subnormal (from
/// `f64::MIN_POSITIVE`, about 2.2e-308, to `f64::MAX`). The posterior is computed in logarithms,
/// so any two such odds give a finite answer.
pub fn usable_odds(w: f64) -> bool {
    w.is_finite() && w >= f64::MIN_POSITIVE
}

/// One number of `--prior-odds` read from `text`, if it is [`usable_odds`].
pub fn prior_odds_value(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|&w| usable_odds(w))
}

/// The share `e^own / (e^own + Σ e^others)` of a term among others, all given by their
/// logarithms (−∞ for a term of 0), computed without leaving logarithms: finite for any finite
/// logs, however large or small the terms. `None` when every term is 0. Every posterior
/// probability of `evidence` and both ends of its interval come from here.
pub fn log_share(own: f64, others: &[f64]) -> Option<f64> {
    let top = others.iter().copied().fold(own, f64::max);
    if top == f64::NEG_INFINITY {
        return None;
    }
    let total: f64 = std::iter::once(own)
        .chain(others.iter().copied())
        .map(|x| (x - top).exp())
        .sum();
    Some(((own - top).exp() / total).clamp(0.0, 1.0))
}

/// Three significant digits.
fn sig(x: f64) -> String {
    if x == 0.0 || (1e-3..1e4).contains(&x.abs()) {
        let digits = if x == 0.0 {
            0
        } else {
            (2 - x.abs().log10().floor() as i32).max(0) as usize
        };
        format!("{x:.digits$}")
    } else {
        format!("{x:.2e}")
    }
}

impl EvidenceStudy {
    fn report(&self, counts: &[EvidenceCounts]) -> Report {
        let s = &self.settings;
        let mut readings = Vec::new();
        let mut posterior = Vec::new();
        let mut sample_csv = String::from(SAMPLE_HEADER);
        for ((sc, c), ((model, _), &odds)) in s
            .scenarios
            .iter()
            .zip(counts)
            .zip(self.jobs.iter().zip(&s.prior_odds))
        {
            let m = &c.matches;
            let (_, upper) = wilson(m.joint, m.runs, Z95);
            let mut warnings = Vec::new();
            if m.joint < MIN_EFFECTIVE_SAMPLE {
                warnings.push(format!(
                    "only {} runs matched: the posterior rests on fewer than {MIN_EFFECTIVE_SAMPLE} draws (give more --runs)",
                    m.joint
                ));
            }
            if m.runs > 0 && (m.joint as f64 / m.runs as f64) < MIN_ACCEPTANCE {
                warnings.push(format!(
                    "acceptance {:.1e} is below {MIN_ACCEPTANCE:.0e}: the evidence rests on rare runs",
                    m.joint as f64 / m.runs.max(1) as f64
                ));
            }
            if model.priors.is_empty() {
                warnings.push(
                    "no priors: every number is fixed, so the evidence is a likelihood at one point".into(),
                );
            }
            readings.push(ReadingEvidence {
                scenario: sc.name.clone(),
                runs: m.runs,
                matched: m.joint,
                evidence: (m.joint > 0).then(|| Rate::new(m.joint, m.runs)),
                upper95: upper,
                patterns: PatternRates::of(&s.patterns, m),
                prior_odds: odds,
                posterior_probability: None,
                posterior_ci95: [0.0, 1.0],
                priors: model
                    .priors
                    .iter()
                    .map(|p| PriorText {
                        path: p.path.clone(),
                        prior: p.dist.to_string(),
                    })
                    .collect(),
                drawn_from: sc.posterior.as_ref().map(|p| p.from.clone()),
                warnings,
            });
            // The sample's values, drawn again once: for its summaries and for the CSV.
            let sample = self.values_of(model, c.sample.iter().map(|&[_, r]| r));
            for (d, &[_, r]) in c.sample.iter().enumerate() {
                for (p, col) in model.priors.iter().zip(&sample) {
                    sample_row(&mut sample_csv, &sc.name, d, r, &p.path, col[d]);
                }
            }
            posterior.push(self.reading_posterior(sc, model, c, sample));
        }
        // Posterior probabilities: w_i·p_i / Σ w_j·p_j, with bounds from the Wilson intervals,
        // every one in logarithms (prior odds may be as large as 1e308 or as small as 1e-300).
        let ln = |x: f64| if x > 0.0 { x.ln() } else { f64::NEG_INFINITY };
        let point: Vec<f64> = readings
            .iter()
            .map(|r| ln(r.prior_odds) + ln(r.matched as f64) - ln(r.runs.max(1) as f64))
            .collect();
        let bounds: Vec<(f64, f64)> = readings
            .iter()
            .map(|r| {
                let (lo, hi) = wilson(r.matched, r.runs, Z95);
                (ln(r.prior_odds) + ln(lo), ln(r.prior_odds) + ln(hi))
            })
            .collect();
        for (i, r) in readings.iter_mut().enumerate() {
            let others = |f: fn(&(f64, f64)) -> f64, of: &[(f64, f64)]| -> Vec<f64> {
                of.iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, b)| f(b))
                    .collect()
            };
            let rest: Vec<f64> = point
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, &x)| x)
                .collect();
            r.posterior_probability = log_share(point[i], &rest);
            let low = log_share(bounds[i].0, &others(|b| b.1, &bounds)).unwrap_or(0.0);
            let high = log_share(bounds[i].1, &others(|b| b.0, &bounds)).unwrap_or(0.0);
            r.posterior_ci95 = [low.clamp(0.0, 1.0), high.clamp(0.0, 1.0)];
        }
        let mut bayes_factors = Vec::new();
        for i in 0..readings.len() {
            for j in i + 1..readings.len() {
                let (a, b) = (&readings[i], &readings[j]);
                let (alo, _) = wilson(a.matched, a.runs, Z95);
                let (blo, _) = wilson(b.matched, b.runs, Z95);
                let both = a.matched > 0 && b.matched > 0;
                let ratio = both
                    .then(|| rate_ratio(a.matched, a.runs, b.matched, b.runs, Z95))
                    .flatten();
                bayes_factors.push(BayesFactor {
                    a: a.scenario.clone(),
                    b: b.scenario.clone(),
                    log10: ratio.map(|r| r.ratio.log10()),
                    ci95: ratio.map(|r| [r.low.log10(), r.high.log10()]),
                    at_least: (a.matched > 0 && b.matched == 0).then(|| (alo / b.upper95).log10()),
                    at_most: (a.matched == 0 && b.matched > 0).then(|| (a.upper95 / blo).log10()),
                });
            }
        }
        Report {
            evidence: EvidenceReport {
                patterns: s.patterns.clone(),
                patterns_file: s.patterns_file.clone(),
                seed: self.seed,
                runs: s.runs,
                readings,
                bayes_factors,
            },
            posterior,
            sample_csv,
        }
    }

    /// The posterior of a reading whose counts are `c`, and whose sample's values (drawn again,
    /// one column per prior) are `post_cols`.
    fn reading_posterior(
        &self,
        sc: &Scenario,
        model: &Model,
        c: &EvidenceCounts,
        mut post_cols: Vec<Vec<f64>>,
    ) -> ReadingPosterior {
        let mut prior_cols = self.values_of(model, 0..PRIOR_DRAWS.min(self.settings.runs.max(1)));
        let parameters = model
            .priors
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let range = bin_range(p);
                let prior_bins = c.prior_bins[i * BINS..(i + 1) * BINS].to_vec();
                let posterior_bins = c.posterior_bins[i * BINS..(i + 1) * BINS].to_vec();
                let prior_summary = summarize(&mut prior_cols[i]);
                let posterior = summarize(&mut post_cols[i]);
                let shrinkage = match (prior_summary, posterior) {
                    (Some(a), Some(b)) if a.sd > 0.0 => Some(1.0 - b.sd / a.sd),
                    _ => None,
                };
                let mut warnings = Vec::new();
                let post_total: u64 = posterior_bins.iter().sum();
                let prior_total: u64 = prior_bins.iter().sum();
                if post_total > 0 && !matches!(p.sampler, Sampler::Choice(_)) {
                    for (edge, side) in [(0, "lower"), (BINS - 1, "upper")] {
                        let post = posterior_bins[edge] as f64 / post_total as f64;
                        let prior = prior_bins[edge] as f64 / prior_total.max(1) as f64;
                        if post >= 0.1 && post >= 2.0 * prior {
                            warnings.push(format!(
                                "the posterior piles against the prior's {side} bound ({:.0}% of it in the outer 1/{BINS} of the range, against {:.0}% of the prior): the prior may cut off values the record prefers",
                                100.0 * post,
                                100.0 * prior
                            ));
                        }
                    }
                }
                ParameterPosterior {
                    path: p.path.clone(),
                    prior: p.dist.to_string(),
                    bins_range: [range.0, range.1],
                    log_bins: range.2,
                    prior_summary,
                    posterior,
                    shrinkage,
                    overlap: overlap(&prior_bins, &posterior_bins),
                    prior_bins,
                    posterior_bins,
                    warnings,
                }
            })
            .collect();
        ReadingPosterior {
            scenario: sc.name.clone(),
            matched: c.matches.joint,
            sample: c.sample.len() as u64,
            parameters,
        }
    }
}
