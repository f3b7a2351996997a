//! `jinsong robustness`: the readings' evidence and Bayes factors recomputed under a declared
//! panel of perturbations (prior variants, structural variants, each pattern left out in turn),
//! and the range of each Bayes factor over the whole panel.
//!
//! **The panel file** (RON, paths relative to it) names the readings, the patterns, whether each
//! pattern is left out in turn, and the variants: each a list of `--set` lines applied after a
//! reading's own, to every reading or to those it names, with a `kind` label (`Shared`, `Own`,
//! `Decomposition`, `Structural`) that only labels the table and the chart. Everything is checked
//! before any run ([`RobustnessStudy::settings_for`]).
//!
//! **Base evidence**: the share of runs matching every pattern, counted exactly as `evidence`
//! counts it (same runs, same seed, same counts). **Leave one pattern out**: from the same runs,
//! the runs whose only missed pattern, if any, is pattern k (no new runs).
//!
//! **A variant**, per reading it applies to, by one of two methods:
//! - *reweighted* (importance sampling on the base runs) when every line replaces the
//!   distribution of a number that already has a prior in the reading by one that
//!   [`reweight::plan`] allows (its support inside the old one's, the density ratio bounded):
//!   `E' = (1/N) Σ_r m_r w_r`, `w_r = Π_k p'_k(θ_rk) / p_k(θ_rk)`. Its standard error is
//!   `se = √((Σ m_r w_r² / N − E'²) / (N − 1))`, its 95% interval `E' · exp(±z · se/E')` (normal
//!   on the log scale, by the delta method), and its effective sample size
//!   `(Σ w_r)² / Σ w_r²` over all runs.
//! - *fresh* runs otherwise: the variant as a scenario, on the same seed and run indices as the
//!   base (common random numbers), counted as `evidence` counts (Wilson interval).
//!
//! **Bayes factors** for every pair of readings under the base, every variant (a reading the
//! variant does not apply to keeps its base evidence) and every left-out pattern: log10 of the
//! ratio of evidences, with a 95% interval `± z · √(s_a² + s_b²)` on the natural log scale, where
//! `s² = 1/x − 1/N` for counted evidence (Katz, as `evidence`: between two counted readings the
//! interval is [`rate_ratio`]'s) and `s = se/E'` for reweighted evidence. Per pair, the **range**:
//! the smallest and largest log10 Bayes factor over the whole panel and what gives each.
//!
//! **Determinism.** Counts are integers; the weight sums Σ w, Σ w², Σ m w and Σ m w² are summed
//! in fixed point, each run's term rounded once to a multiple of 2⁻³² ([`reweight::fixed`]) and
//! added as a `u128`: integer addition is exactly associative, so the sums (and every byte
//! written) are the same whatever the threads, shards or resumption.

use std::fmt::Write as _;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::reweight::{self, fixed, FIXED_ONE};
use super::{Finished, Study, StudyError, StudyKind};
use crate::batch::fold::{fold_runs, CHUNK_RUNS};
use crate::batch::Counts;
use crate::engine::{simulate, Workspace};
use crate::model::Model;
use crate::patterns::{CompiledPatterns, PatternSet};
use crate::scenario::prior::Distribution;
use crate::scenario::{apply_override, Override, Scenario, ScenarioError};
use crate::stats::paired::rate_ratio;
use crate::stats::{wilson, Z95};

/// The most variants a panel may declare.
pub const MAX_VARIANTS: usize = 1000;

/// The files `robustness` writes (besides its chart).
pub const FILES: [&str; 3] = ["robustness.json", "robustness.csv", "robustness_factors.csv"];

/// What a variant perturbs: a label for the table and the chart (it does not change the
/// computation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VariantKind {
    /// A prior shared by the readings, changed in all of them.
    Shared,
    /// A reading's own prior (widened, shifted).
    Own,
    /// A block of a reading's priors replaced by another reading's.
    Decomposition,
    /// A mechanism or a fixed number changed.
    Structural,
}

impl VariantKind {
    /// Its name as written in the panel file and the CSV.
    pub fn name(self) -> &'static str {
        match self {
            VariantKind::Shared => "Shared",
            VariantKind::Own => "Own",
            VariantKind::Decomposition => "Decomposition",
            VariantKind::Structural => "Structural",
        }
    }
}

/// A panel file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelFile {
    /// The reading files, relative to the panel file.
    pub readings: Vec<String>,
    /// Pattern files, relative to the panel file (`--patterns` replaces them; none: the
    /// embedded default).
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Whether each pattern is left out in turn.
    #[serde(default)]
    pub leave_one_out: bool,
    /// The variants.
    #[serde(default)]
    pub variants: Vec<PanelVariantFile>,
}

/// A variant as written in a panel file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelVariantFile {
    /// Its name (unique, not empty).
    pub name: String,
    /// Its label.
    pub kind: VariantKind,
    /// The readings (by scenario name) it applies to; all when not given.
    #[serde(default)]
    pub readings: Option<Vec<String>>,
    /// `--set` lines, applied after each reading's own.
    pub set: Vec<String>,
}

/// A problem of a panel file at a field path (located in its text).
fn panel_error(file: &str, text: &str, path: &str, message: String) -> ScenarioError {
    let positions = crate::scenario::locate::positions_of(text, &[path]);
    let position = crate::scenario::locate::nearest(&positions, path);
    ScenarioError::one(file, position, path, message)
}

impl PanelFile {
    /// Parse and check the panel file `file` whose text is `text`: its shape, at least one
    /// reading, variant names not empty and distinct, each variant with at least one line and
    /// its readings (when given) not empty and distinct.
    pub fn parse(file: &str, text: &str) -> Result<PanelFile, ScenarioError> {
        let panel: PanelFile = crate::scenario::parse_ron(file, text)?;
        let fail = |path: &str, message: String| Err(panel_error(file, text, path, message));
        if panel.readings.is_empty() {
            return fail("readings", "no readings: a panel weighs at least one".into());
        }
        if panel.variants.len() > MAX_VARIANTS {
            return fail(
                "variants",
                format!(
                    "{} variants (allowed: at most {MAX_VARIANTS})",
                    panel.variants.len()
                ),
            );
        }
        for (i, v) in panel.variants.iter().enumerate() {
            if v.name.trim().is_empty() {
                return fail(&format!("variants[{i}].name"), "an empty name".into());
            }
            if v.name == "base" || v.name.starts_with("without ") {
                return fail(
                    &format!("variants[{i}].name"),
                    format!(
                        "{} is reserved (the base and the left-out patterns are named so)",
                        crate::text::quote(&v.name)
                    ),
                );
            }
            if let Some(j) = panel.variants[..i].iter().position(|w| w.name == v.name) {
                return fail(
                    &format!("variants[{i}].name"),
                    format!(
                        "{} is also the name of variants[{j}] (each needs its own)",
                        crate::text::quote(&v.name)
                    ),
                );
            }
            if v.set.is_empty() {
                return fail(
                    &format!("variants[{i}].set"),
                    "no lines: a variant changes something".into(),
                );
            }
            if let Some(rs) = &v.readings {
                if rs.is_empty() {
                    return fail(
                        &format!("variants[{i}].readings"),
                        "an empty list (leave it out to apply the variant to every reading)".into(),
                    );
                }
                for (k, r) in rs.iter().enumerate() {
                    if rs[..k].contains(r) {
                        return fail(
                            &format!("variants[{i}].readings[{k}]"),
                            format!("{} is named twice", crate::text::quote(r)),
                        );
                    }
                }
            }
        }
        Ok(panel)
    }
}

/// One prior replaced by a reweighted variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The prior's path.
    pub path: String,
    /// The reading's distribution.
    pub old: Distribution,
    /// The variant's.
    pub new: Distribution,
}

/// How a variant's evidence for one reading is computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Method {
    /// Importance weights on the base runs.
    Reweighted {
        /// The priors changed.
        changes: Vec<Change>,
        /// A bound on one run's weight (the product of the changes' bounds).
        bound: f64,
    },
    /// Fresh runs of the variant scenario.
    Fresh {
        /// Its index in [`RobustnessSettings::fresh`].
        job: usize,
        /// Why it could not be reweighted.
        why: String,
    },
}

impl Method {
    /// `reweighted` or `fresh`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Reweighted { .. } => "reweighted",
            Method::Fresh { .. } => "fresh",
        }
    }
}

/// A variant applied to one reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// The reading's index.
    pub reading: usize,
    /// How its evidence is computed.
    pub method: Method,
}

/// A variant of the panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelVariant {
    /// Its name.
    pub name: String,
    /// Its label.
    pub kind: VariantKind,
    /// Its lines.
    pub set: Vec<String>,
    /// The readings it applies to, in panel order.
    pub cells: Vec<Cell>,
}

/// What `robustness` keeps in part files and checkpoints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RobustnessSettings {
    /// Runs per reading and per fresh variant.
    pub runs: u64,
    /// The panel file as given.
    pub panel_file: String,
    /// Hash of its text.
    pub panel_hash: String,
    /// The pattern file(s) as given.
    pub patterns_file: String,
    /// Hash of the pattern files' texts.
    pub patterns_hash: String,
    /// Pattern names, in file order.
    pub patterns: Vec<String>,
    /// Whether each pattern is left out in turn.
    pub leave_one_out: bool,
    /// The readings.
    pub readings: Vec<Scenario>,
    /// The variants.
    pub variants: Vec<PanelVariant>,
    /// The variant scenarios run afresh, in the order of the variants' cells.
    pub fresh: Vec<Scenario>,
}

impl super::Settings for RobustnessSettings {
    fn scenarios(&self) -> Vec<&Scenario> {
        self.readings.iter().chain(&self.fresh).collect()
    }
}

/// A sum in fixed point (2³² is one), written as a decimal string (JSON numbers are not exact
/// beyond 2⁵³).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fixed(pub u128);

impl Fixed {
    /// Its value.
    pub fn value(self) -> f64 {
        self.0 as f64 / FIXED_ONE
    }
}

impl Serialize for Fixed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Fixed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fixed, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<u128>()
            .map(Fixed)
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a whole number")))
    }
}

/// The weight sums of one reweighted (variant, reading).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightSums {
    /// Σ w over all runs.
    pub w: Fixed,
    /// Σ w² over all runs.
    pub w2: Fixed,
    /// Σ w over the matching runs.
    pub mw: Fixed,
    /// Σ w² over the matching runs.
    pub mw2: Fixed,
}

impl WeightSums {
    fn add(&mut self, o: &WeightSums) {
        self.w.0 += o.w.0;
        self.w2.0 += o.w2.0;
        self.mw.0 += o.mw.0;
        self.mw2.0 += o.mw2.0;
    }
}

/// The counts of one reading's base runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingCounts {
    /// Runs.
    pub runs: u64,
    /// Runs matching every pattern.
    pub joint: u64,
    /// Per pattern, the runs that missed it and no other.
    pub missed_only: Vec<u64>,
    /// Per reweighted variant of this reading (in variant order), its weight sums.
    pub weights: Vec<WeightSums>,
}

/// The counts of one fresh (variant, reading).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshCounts {
    /// Runs.
    pub runs: u64,
    /// Runs matching every pattern.
    pub joint: u64,
}

/// Everything `robustness` counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobustnessCounts {
    /// Per reading.
    pub readings: Vec<ReadingCounts>,
    /// Per fresh variant scenario.
    pub fresh: Vec<FreshCounts>,
}

impl Counts for RobustnessCounts {
    fn merge(&mut self, o: &Self) {
        for (a, b) in self.readings.iter_mut().zip(&o.readings) {
            a.runs += b.runs;
            a.joint += b.joint;
            for (x, y) in a.missed_only.iter_mut().zip(&b.missed_only) {
                *x += y;
            }
            for (x, y) in a.weights.iter_mut().zip(&b.weights) {
                x.add(y);
            }
        }
        for (a, b) in self.fresh.iter_mut().zip(&o.fresh) {
            a.runs += b.runs;
            a.joint += b.joint;
        }
    }
}

/// A reweighted cell compiled against its reading's model: per changed prior, its index in the
/// model's priors, the old and new distribution; and the bound.
struct Weigher {
    priors: Vec<(usize, Distribution, Distribution)>,
    bound: f64,
}

impl Weigher {
    /// The weight of a run that drew `drawn`: Π p'/p, 0 where p' is 0, at most the bound.
    fn weight(&self, drawn: &[f64]) -> f64 {
        let mut ln_w = 0.0;
        for (k, old, new) in &self.priors {
            let x = drawn[*k];
            let (Some(a), Some(b)) = (reweight::ln_density(new, x), reweight::ln_density(old, x)) else {
                continue;
            };
            if a == f64::NEG_INFINITY {
                return 0.0;
            }
            ln_w += a - b;
        }
        let w = ln_w.exp();
        if w.is_nan() {
            0.0
        } else {
            w.min(self.bound)
        }
    }
}

/// `jinsong robustness` as a [`Study`]: its work items are run indices (run r of every reading
/// and of every fresh variant, on common random numbers).
pub struct RobustnessStudy {
    settings: RobustnessSettings,
    seed: u64,
    /// Each reading's model, its compiled patterns (none when finishing merged parts), and its
    /// reweighted cells.
    readings: Vec<(Model, Option<CompiledPatterns>, Vec<Weigher>)>,
    /// Each fresh scenario's model and compiled patterns.
    fresh: Vec<(Model, Option<CompiledPatterns>)>,
}

/// How a variant's lines change `base`: the variant scenario, and its method (fresh `job` when
/// it cannot be reweighted).
fn method_of(
    base: &Scenario,
    lines: &[Override],
    variant: &Scenario,
    reweight: bool,
) -> Result<Vec<Change>, String> {
    if !reweight {
        return Err("reweighting is off (--no-reweight)".into());
    }
    for o in lines {
        match Distribution::parse(&o.value) {
            Some(Ok(_)) => {}
            _ => return Err(format!("{}={} is not a distribution", o.path, o.value)),
        }
        if !base.priors.iter().any(|p| p.path == o.path) {
            return Err(format!("{} has no prior in the reading", o.path));
        }
    }
    let mut changes = Vec::new();
    for p in &variant.priors {
        let Some(old) = base.priors.iter().find(|q| q.path == p.path) else {
            return Err(format!("{} has no prior in the reading", p.path));
        };
        if old.dist != p.dist {
            changes.push(Change {
                path: p.path.clone(),
                old: old.dist.clone(),
                new: p.dist.clone(),
            });
        }
    }
    if variant.priors.len() != base.priors.len() {
        return Err("the priors' paths change".into());
    }
    Ok(changes)
}

impl RobustnessStudy {
    /// The settings of the panel `panel` (read from `panel_file`, whose text is `panel_text`)
    /// over `readings` (loaded from its reading files, in order), on `runs` runs each against
    /// `patterns` (read from `patterns_file`). Every variant line is applied to every reading it
    /// names and the result validated; a reading named twice, a variant naming a reading not in
    /// the panel, or a line that `--set` would refuse is an error at its place in the panel
    /// file. `reweight` false runs every variant afresh (for tests).
    #[allow(clippy::too_many_arguments)]
    pub fn settings_for(
        panel_file: &str,
        panel_text: &str,
        panel: &PanelFile,
        readings: Vec<Scenario>,
        patterns_file: &str,
        patterns: &PatternSet,
        runs: u64,
        reweight: bool,
    ) -> Result<RobustnessSettings, StudyError> {
        let fail = |path: &str, message: String| panel_error(panel_file, panel_text, path, message);
        for (j, sc) in readings.iter().enumerate() {
            if let Some(i) = readings[..j].iter().position(|s| s.name == sc.name) {
                return Err(fail(
                    &format!("readings[{j}]"),
                    format!(
                        "this reading is named {} as readings[{i}] is: the panel needs a name for each",
                        crate::text::quote(&sc.name)
                    ),
                )
                .into());
            }
        }
        let mut names = Vec::new();
        for sc in &readings {
            names = patterns.compile(patterns_file, &Model::compile(sc))?.names();
        }
        let mut variants = Vec::new();
        let mut fresh = Vec::new();
        for (i, v) in panel.variants.iter().enumerate() {
            let targets: Vec<usize> = match &v.readings {
                None => (0..readings.len()).collect(),
                Some(rs) => rs
                    .iter()
                    .enumerate()
                    .map(|(k, r)| {
                        readings.iter().position(|s| &s.name == r).ok_or_else(|| {
                            let known: Vec<String> = readings.iter().map(|s| s.name.clone()).collect();
                            fail(
                                &format!("variants[{i}].readings[{k}]"),
                                format!(
                                    "no reading of the panel is named {} (its readings: {})",
                                    crate::text::quote(r),
                                    crate::text::list_ids(&known, ", ")
                                ),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            };
            let lines = v
                .set
                .iter()
                .enumerate()
                .map(|(k, line)| {
                    line.parse::<Override>()
                        .map_err(|e| fail(&format!("variants[{i}].set[{k}]"), e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut cells = Vec::new();
            for &j in &targets {
                let base = &readings[j];
                let mut sc = base.clone();
                for (k, o) in lines.iter().enumerate() {
                    sc = apply_override(&sc, o).map_err(|e| {
                        fail(
                            &format!("variants[{i}].set[{k}]"),
                            format!("on reading {}: {e}", crate::text::quote(&base.name)),
                        )
                    })?;
                }
                if let Some(p) = crate::scenario::validate(&sc).first() {
                    let k = lines.iter().rposition(|o| o.path == p.path).unwrap_or(0);
                    return Err(fail(
                        &format!("variants[{i}].set[{k}]"),
                        format!(
                            "on reading {}: {}: {}",
                            crate::text::quote(&base.name),
                            p.path,
                            p.message
                        ),
                    )
                    .into());
                }
                let method = match method_of(base, &lines, &sc, reweight).and_then(|changes| {
                    let mut bound = 1.0;
                    for c in &changes {
                        bound *= reweight::plan(&c.old, &c.new).map_err(|e| format!("{}: {e}", c.path))?;
                    }
                    if bound > reweight::MAX_WEIGHT {
                        return Err(format!(
                            "the weights' bound {bound:.3e} is above {}",
                            reweight::MAX_WEIGHT
                        ));
                    }
                    Ok(Method::Reweighted { changes, bound })
                }) {
                    Ok(m) => m,
                    Err(why) => {
                        fresh.push(sc);
                        Method::Fresh {
                            job: fresh.len() - 1,
                            why,
                        }
                    }
                };
                cells.push(Cell { reading: j, method });
            }
            variants.push(PanelVariant {
                name: v.name.clone(),
                kind: v.kind,
                set: v.set.clone(),
                cells,
            });
        }
        Ok(RobustnessSettings {
            runs,
            panel_file: panel_file.to_string(),
            panel_hash: crate::batch::part::text_hash(panel_text),
            patterns_file: patterns_file.to_string(),
            patterns_hash: crate::batch::part::text_hash(&patterns.sources().join("\n\u{1e}\n")),
            patterns: names,
            leave_one_out: panel.leave_one_out,
            readings,
            variants,
            fresh,
        })
    }

    /// The study of `settings` with `patterns` compiled for every scenario (to count runs).
    pub fn with_patterns(
        settings: RobustnessSettings,
        seed: u64,
        patterns: &PatternSet,
    ) -> Result<RobustnessStudy, StudyError> {
        let mut study = RobustnessStudy::new(settings, seed)?;
        let file = study.settings.patterns_file.clone();
        for (model, compiled, _) in &mut study.readings {
            *compiled = Some(patterns.compile(&file, model)?);
        }
        for (model, compiled) in &mut study.fresh {
            *compiled = Some(patterns.compile(&file, model)?);
        }
        Ok(study)
    }

    fn empty_reading(&self, j: usize) -> ReadingCounts {
        ReadingCounts {
            runs: 0,
            joint: 0,
            missed_only: vec![0; self.settings.patterns.len()],
            weights: vec![WeightSums::default(); self.readings[j].2.len()],
        }
    }

    fn all_mask(&self) -> u64 {
        let k = self.settings.patterns.len();
        if k >= 64 {
            u64::MAX
        } else {
            (1u64 << k) - 1
        }
    }
}

fn bad(what: String) -> StudyError {
    StudyError::Settings(what)
}

impl Study for RobustnessStudy {
    const KIND: StudyKind = StudyKind::Robustness;
    type Settings = RobustnessSettings;
    type Counts = RobustnessCounts;

    fn new(settings: RobustnessSettings, seed: u64) -> Result<RobustnessStudy, StudyError> {
        if settings.readings.is_empty() {
            return Err(bad("no readings".into()));
        }
        if settings.patterns.len() > 64 {
            return Err(bad("more than 64 patterns".into()));
        }
        let mut readings: Vec<(Model, Option<CompiledPatterns>, Vec<Weigher>)> = settings
            .readings
            .iter()
            .map(|sc| (Model::compile(sc), None, Vec::new()))
            .collect();
        let mut jobs_seen = vec![false; settings.fresh.len()];
        for v in &settings.variants {
            for cell in &v.cells {
                let Some((model, _, weighers)) = readings.get_mut(cell.reading) else {
                    return Err(bad(format!(
                        "variant {}: reading {} out of range",
                        v.name, cell.reading
                    )));
                };
                match &cell.method {
                    Method::Reweighted { changes, bound } => {
                        let mut priors = Vec::new();
                        for c in changes {
                            let k = model
                                .priors
                                .iter()
                                .position(|p| p.path == c.path)
                                .ok_or_else(|| {
                                    bad(format!(
                                        "variant {}: {} is no prior of the reading",
                                        v.name, c.path
                                    ))
                                })?;
                            if model.priors[k].dist != c.old {
                                return Err(bad(format!(
                                    "variant {}: {} is not the reading's prior",
                                    v.name, c.path
                                )));
                            }
                            reweight::plan(&c.old, &c.new).map_err(bad)?;
                            priors.push((k, c.old.clone(), c.new.clone()));
                        }
                        if !(bound.is_finite() && (1.0..=reweight::MAX_WEIGHT).contains(bound)) {
                            return Err(bad(format!("variant {}: bound {bound} out of range", v.name)));
                        }
                        weighers.push(Weigher {
                            priors,
                            bound: *bound,
                        });
                    }
                    Method::Fresh { job, .. } => match jobs_seen.get_mut(*job) {
                        Some(seen) if !*seen => *seen = true,
                        _ => {
                            return Err(bad(format!(
                                "variant {}: fresh job {job} is not one of its own",
                                v.name
                            )))
                        }
                    },
                }
            }
        }
        if jobs_seen.iter().any(|s| !s) {
            return Err(bad("a fresh scenario belongs to no variant".into()));
        }
        let fresh = settings
            .fresh
            .iter()
            .map(|sc| (Model::compile(sc), None))
            .collect();
        Ok(RobustnessStudy {
            settings,
            seed,
            readings,
            fresh,
        })
    }

    study_of_runs!(RobustnessSettings);

    fn runs_per_item(&self) -> u64 {
        (self.readings.len() + self.fresh.len()) as u64
    }

    fn empty(&self) -> RobustnessCounts {
        RobustnessCounts {
            readings: (0..self.readings.len()).map(|j| self.empty_reading(j)).collect(),
            fresh: vec![FreshCounts::default(); self.fresh.len()],
        }
    }

    /// Every reading and fresh variant counted `n` runs; joint matches and the runs that missed
    /// exactly one pattern add up to at most the runs; the weight sums of the matching runs are
    /// at most those of all runs, each of which is at most the bound times the runs.
    fn fits(&self, counts: &RobustnessCounts, items: Range<u64>) -> Result<(), String> {
        use super::need;
        let n = items.end - items.start;
        need(counts.readings.len() == self.readings.len(), || {
            format!(
                "{} readings counted, not {}",
                counts.readings.len(),
                self.readings.len()
            )
        })?;
        need(counts.fresh.len() == self.fresh.len(), || {
            format!(
                "{} fresh variants counted, not {}",
                counts.fresh.len(),
                self.fresh.len()
            )
        })?;
        for (j, (c, (_, _, weighers))) in counts.readings.iter().zip(&self.readings).enumerate() {
            let at = format!("readings[{j}].");
            need(c.runs == n, || {
                format!("{at}runs {} where {n} runs are done", c.runs)
            })?;
            need(c.missed_only.len() == self.settings.patterns.len(), || {
                format!(
                    "{at}missed_only has {} entries, not one per pattern",
                    c.missed_only.len()
                )
            })?;
            let total = c.missed_only.iter().map(|&x| u128::from(x)).sum::<u128>() + u128::from(c.joint);
            need(total <= u128::from(n), || {
                format!("{at}joint and missed_only add up to {total}, above the {n} runs")
            })?;
            need(c.weights.len() == weighers.len(), || {
                format!(
                    "{at}weights has {} entries, not {}",
                    c.weights.len(),
                    weighers.len()
                )
            })?;
            for (k, (s, wg)) in c.weights.iter().zip(weighers).enumerate() {
                let top = u128::from(n) * (fixed(wg.bound) + 1);
                let top2 = u128::from(n) * (fixed(wg.bound * wg.bound) + 1);
                need(
                    s.mw <= s.w && s.mw2 <= s.w2 && s.w.0 <= top && s.w2.0 <= top2,
                    || format!("{at}weights[{k}] do not fit the runs and the bound"),
                )?;
            }
        }
        for (f, c) in counts.fresh.iter().enumerate() {
            need(c.runs == n, || {
                format!("fresh[{f}].runs {} where {n} runs are done", c.runs)
            })?;
            need(c.joint <= n, || {
                format!("fresh[{f}].joint {} is above the {n} runs", c.joint)
            })?;
        }
        Ok(())
    }

    fn count(
        &self,
        items: Range<u64>,
        counts: &mut RobustnessCounts,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), StudyError> {
        let seed = self.seed;
        let all = self.all_mask();
        let missing = || StudyError::Settings("patterns are not compiled".into());
        for (j, (model, patterns, weighers)) in self.readings.iter().enumerate() {
            let patterns = patterns.as_ref().ok_or_else(missing)?;
            let c = fold_runs(
                items.clone(),
                CHUNK_RUNS,
                || (Workspace::new(model), patterns.tracker()),
                || self.empty_reading(j),
                |(ws, tracker), c, r| {
                    simulate(model, seed, r, ws, tracker);
                    let missed = !tracker.matches(&ws.outcome) & all;
                    c.runs += 1;
                    let matched = missed == 0;
                    if matched {
                        c.joint += 1;
                    } else if missed.count_ones() == 1 {
                        c.missed_only[missed.trailing_zeros() as usize] += 1;
                    }
                    for (s, wg) in c.weights.iter_mut().zip(weighers) {
                        let w = wg.weight(ws.drawn());
                        let (a, b) = (fixed(w), fixed(w * w));
                        s.w.0 += a;
                        s.w2.0 += b;
                        if matched {
                            s.mw.0 += a;
                            s.mw2.0 += b;
                        }
                    }
                },
                |a, b| {
                    let mut one = RobustnessCounts {
                        readings: vec![a.clone()],
                        fresh: Vec::new(),
                    };
                    one.merge(&RobustnessCounts {
                        readings: vec![b.clone()],
                        fresh: Vec::new(),
                    });
                    *a = one.readings.remove(0);
                },
                progress,
            );
            let mut one = self.empty();
            one.readings[j] = c;
            counts.merge(&one);
        }
        for (f, (model, patterns)) in self.fresh.iter().enumerate() {
            let patterns = patterns.as_ref().ok_or_else(missing)?;
            let c = fold_runs(
                items.clone(),
                CHUNK_RUNS,
                || (Workspace::new(model), patterns.tracker()),
                FreshCounts::default,
                |(ws, tracker), c, r| {
                    simulate(model, seed, r, ws, tracker);
                    c.runs += 1;
                    c.joint += u64::from(tracker.matches(&ws.outcome) & all == all);
                },
                |a, b| {
                    a.runs += b.runs;
                    a.joint += b.joint;
                },
                progress,
            );
            counts.fresh[f].runs += c.runs;
            counts.fresh[f].joint += c.joint;
        }
        Ok(())
    }

    fn finish(&self, counts: RobustnessCounts) -> Result<Finished, StudyError> {
        let report = self.report(&counts);
        let json = report.json(self);
        Ok(Finished {
            files: vec![
                (FILES[0].into(), format!("{json:#}\n").into_bytes()),
                (FILES[1].into(), report.rows_csv().into_bytes()),
                (FILES[2].into(), report.factors_csv().into_bytes()),
            ],
            head: report.table(),
            wrote: FILES.join(", "),
            variant: None,
        })
    }
}

/// One evidence estimate of the panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// `base`, `reweighted` or `fresh`.
    pub method: &'static str,
    /// Runs it rests on.
    pub runs: u64,
    /// Matching runs (counted estimates).
    pub matched: Option<u64>,
    /// Effective sample size (reweighted estimates).
    pub ess: Option<f64>,
    /// The evidence (null when nothing matched).
    pub evidence: Option<f64>,
    /// Its 95% interval (Wilson for counts; log-normal for reweighted).
    pub ci95: [f64; 2],
    /// The standard error of its natural log, where defined.
    pub se_ln: Option<f64>,
}

impl Estimate {
    fn counted(method: &'static str, x: u64, n: u64) -> Estimate {
        let (lo, hi) = wilson(x, n, Z95);
        Estimate {
            method,
            runs: n,
            matched: Some(x),
            ess: None,
            evidence: (x > 0).then(|| x as f64 / n as f64),
            ci95: [lo, hi],
            se_ln: (x > 0).then(|| (1.0 / x as f64 - 1.0 / n as f64).max(0.0).sqrt()),
        }
    }

    fn reweighted(s: &WeightSums, n: u64) -> Estimate {
        let nf = n as f64;
        let e = s.mw.value() / nf;
        let var = if n > 1 {
            ((s.mw2.value() / nf - e * e) / (nf - 1.0)).max(0.0)
        } else {
            0.0
        };
        let se = var.sqrt();
        let w2 = s.w2.value();
        let ess = if w2 > 0.0 {
            s.w.value() * s.w.value() / w2
        } else {
            0.0
        };
        let se_ln = (e > 0.0).then(|| se / e);
        let ci95 = match se_ln {
            Some(s) => [e * (-Z95 * s).exp(), e * (Z95 * s).exp()],
            None => [0.0, 0.0],
        };
        Estimate {
            method: "reweighted",
            runs: n,
            matched: None,
            ess: Some(ess),
            evidence: (e > 0.0).then_some(e),
            ci95,
            se_ln,
        }
    }
}

/// A Bayes factor of the panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// The condition: `base`, a variant's name, or `without <pattern>`.
    pub variant: String,
    /// `Base`, a variant's kind, or `LeaveOneOut`.
    pub kind: String,
    /// The first reading.
    pub a: String,
    /// The second.
    pub b: String,
    /// log10 E_a / E_b (null when either matched nothing).
    pub log10: Option<f64>,
    /// Its 95% interval.
    pub ci95: Option<[f64; 2]>,
}

/// What the forest chart reads back from `robustness.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ForestInput {
    /// Runs per reading.
    pub runs: u64,
    /// The readings, in panel order.
    pub readings: Vec<String>,
    /// Every Bayes factor: per condition (base first), per pair in panel order.
    pub bayes_factors: Vec<Factor>,
}

impl ForestInput {
    /// The conditions in file order, each once.
    pub fn conditions(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for f in &self.bayes_factors {
            if !out.iter().any(|(v, _)| *v == f.variant) {
                out.push((f.variant.clone(), f.kind.clone()));
            }
        }
        out
    }

    /// The pairs in panel order.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, a) in self.readings.iter().enumerate() {
            for b in &self.readings[i + 1..] {
                out.push((a.clone(), b.clone()));
            }
        }
        out
    }
}

impl crate::study::check::Checked for ForestInput {
    /// The readings distinct and at least one; every condition holds every pair exactly once, in
    /// order, the first condition is the base; every log10 finite, inside its interval.
    fn check(&self) -> Result<(), String> {
        for (i, r) in self.readings.iter().enumerate() {
            if self.readings[..i].contains(r) {
                return Err(format!("reading `{r}` is listed twice"));
            }
        }
        let pairs = self.pairs();
        let conditions = self.conditions();
        if conditions.first().is_some_and(|(v, _)| v != "base") {
            return Err("the first condition is not the base".into());
        }
        if self.bayes_factors.len() != conditions.len() * pairs.len() {
            return Err(format!(
                "{} Bayes factors, not {} conditions × {} pairs",
                self.bayes_factors.len(),
                conditions.len(),
                pairs.len()
            ));
        }
        for (k, f) in self.bayes_factors.iter().enumerate() {
            let (c, p) = (k / pairs.len().max(1), k % pairs.len().max(1));
            if f.variant != conditions[c].0
                || (f.a.as_str(), f.b.as_str()) != (pairs[p].0.as_str(), pairs[p].1.as_str())
            {
                return Err(format!("bayes_factors[{k}] is out of order"));
            }
            match (f.log10, f.ci95) {
                (Some(l), Some([lo, hi]))
                    if l.is_finite() && lo.is_finite() && hi.is_finite() && lo <= l && l <= hi => {}
                (None, None) => {}
                _ => {
                    return Err(format!(
                        "bayes_factors[{k}]: log10 {:?} outside its interval {:?}",
                        f.log10, f.ci95
                    ))
                }
            }
        }
        Ok(())
    }
}

/// The range of one pair's Bayes factor over the panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Range10 {
    /// The first reading.
    pub a: String,
    /// The second.
    pub b: String,
    /// Its base log10 Bayes factor.
    pub base: Option<f64>,
    /// The smallest log10 over the panel, and the condition that gives it.
    pub min: Option<(f64, String)>,
    /// The largest, and the condition that gives it.
    pub max: Option<(f64, String)>,
}

/// One condition of the panel (base, variant or left-out pattern) and each reading's estimate
/// under it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// Its name.
    pub variant: String,
    /// Its label.
    pub kind: String,
    /// Per reading, its estimate, and whether the condition applies to it (else: its base).
    pub estimates: Vec<(Estimate, bool)>,
}

/// Everything `robustness` reports.
pub struct Report {
    readings: Vec<String>,
    conditions: Vec<Condition>,
    factors: Vec<Factor>,
    ranges: Vec<Range10>,
}

/// A number for a CSV cell: the shortest text that reads back to it; empty for none.
fn cell(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v}"))
}

impl RobustnessStudy {
    fn report(&self, c: &RobustnessCounts) -> Report {
        let s = &self.settings;
        let names: Vec<String> = s.readings.iter().map(|r| r.name.clone()).collect();
        let base: Vec<Estimate> = c
            .readings
            .iter()
            .map(|r| Estimate::counted("base", r.joint, r.runs))
            .collect();
        let mut conditions = vec![Condition {
            variant: "base".into(),
            kind: "Base".into(),
            estimates: base.iter().map(|e| (e.clone(), true)).collect(),
        }];
        let mut next_weight = vec![0usize; s.readings.len()];
        for v in &s.variants {
            let mut estimates: Vec<(Estimate, bool)> = base.iter().map(|e| (e.clone(), false)).collect();
            for cell in &v.cells {
                let j = cell.reading;
                let est = match &cell.method {
                    Method::Reweighted { .. } => {
                        let k = next_weight[j];
                        next_weight[j] += 1;
                        Estimate::reweighted(&c.readings[j].weights[k], c.readings[j].runs)
                    }
                    Method::Fresh { job, .. } => {
                        Estimate::counted("fresh", c.fresh[*job].joint, c.fresh[*job].runs)
                    }
                };
                estimates[j] = (est, true);
            }
            conditions.push(Condition {
                variant: v.name.clone(),
                kind: v.kind.name().into(),
                estimates,
            });
        }
        if s.leave_one_out {
            for (k, p) in s.patterns.iter().enumerate() {
                conditions.push(Condition {
                    variant: format!("without {p}"),
                    kind: "LeaveOneOut".into(),
                    estimates: c
                        .readings
                        .iter()
                        .map(|r| {
                            (
                                Estimate::counted("base", r.joint + r.missed_only[k], r.runs),
                                true,
                            )
                        })
                        .collect(),
                });
            }
        }
        let mut factors = Vec::new();
        for cond in &conditions {
            for i in 0..names.len() {
                for j in i + 1..names.len() {
                    let (a, b) = (&cond.estimates[i].0, &cond.estimates[j].0);
                    let (log10, ci95) = match (a.evidence, b.evidence, a.se_ln, b.se_ln) {
                        (Some(ea), Some(eb), Some(sa), Some(sb)) => {
                            if a.method != "reweighted" && b.method != "reweighted" {
                                let (xa, xb) = (a.matched.unwrap_or(0), b.matched.unwrap_or(0));
                                match rate_ratio(xa, a.runs, xb, b.runs, Z95) {
                                    Some(r) => (Some(r.ratio.log10()), Some([r.low.log10(), r.high.log10()])),
                                    None => (None, None),
                                }
                            } else {
                                let l = (ea / eb).log10();
                                let half = Z95 * (sa * sa + sb * sb).sqrt() / std::f64::consts::LN_10;
                                (Some(l), Some([l - half, l + half]))
                            }
                        }
                        _ => (None, None),
                    };
                    factors.push(Factor {
                        variant: cond.variant.clone(),
                        kind: cond.kind.clone(),
                        a: names[i].clone(),
                        b: names[j].clone(),
                        log10,
                        ci95,
                    });
                }
            }
        }
        let mut ranges = Vec::new();
        for i in 0..names.len() {
            for j in i + 1..names.len() {
                let of_pair: Vec<&Factor> = factors
                    .iter()
                    .filter(|f| f.a == names[i] && f.b == names[j])
                    .collect();
                let mut min: Option<(f64, String)> = None;
                let mut max: Option<(f64, String)> = None;
                for f in &of_pair {
                    if let Some(l) = f.log10 {
                        if min.as_ref().is_none_or(|(m, _)| l < *m) {
                            min = Some((l, f.variant.clone()));
                        }
                        if max.as_ref().is_none_or(|(m, _)| l > *m) {
                            max = Some((l, f.variant.clone()));
                        }
                    }
                }
                ranges.push(Range10 {
                    a: names[i].clone(),
                    b: names[j].clone(),
                    base: of_pair.first().and_then(|f| f.log10),
                    min,
                    max,
                });
            }
        }
        Report {
            readings: names,
            conditions,
            factors,
            ranges,
        }
    }
}

impl Report {
    fn json(&self, study: &RobustnessStudy) -> serde_json::Value {
        let s = &study.settings;
        let variants: Vec<serde_json::Value> = s
            .variants
            .iter()
            .map(|v| {
                serde_json::json!({
                    "name": v.name,
                    "kind": v.kind.name(),
                    "set": v.set,
                    "readings": v.cells.iter().map(|c| {
                        let mut o = serde_json::json!({
                            "reading": s.readings[c.reading].name,
                            "method": c.method.name(),
                        });
                        match &c.method {
                            Method::Reweighted { changes, bound } => {
                                o["changes"] = serde_json::json!(changes.iter().map(|ch| serde_json::json!({
                                    "path": ch.path, "from": ch.old.to_string(), "to": ch.new.to_string()
                                })).collect::<Vec<_>>());
                                o["weight_bound"] = serde_json::json!(bound);
                            }
                            Method::Fresh { why, .. } => o["why_fresh"] = serde_json::json!(why),
                        }
                        o
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        let conditions: Vec<serde_json::Value> = self
            .conditions
            .iter()
            .map(|c| {
                serde_json::json!({
                    "variant": c.variant,
                    "kind": c.kind,
                    "readings": c.estimates.iter().zip(&self.readings).map(|((e, applies), name)| {
                        serde_json::json!({
                            "reading": name,
                            "applies": applies,
                            "method": e.method,
                            "runs": e.runs,
                            "matched": e.matched,
                            "ess": e.ess,
                            "evidence": e.evidence,
                            "ci95": e.ci95,
                            "se_ln": e.se_ln,
                        })
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({
            "panel_file": s.panel_file,
            "panel_hash": s.panel_hash,
            "seed": study.seed,
            "runs": s.runs,
            "patterns_file": s.patterns_file,
            "patterns_hash": s.patterns_hash,
            "patterns": s.patterns,
            "leave_one_out": s.leave_one_out,
            "readings": self.readings,
            "variants": variants,
            "conditions": conditions,
            "bayes_factors": self.factors,
            "ranges": self.ranges,
            "methods": {
                "base": "share of runs matching every pattern, as evidence counts it; Wilson 95% interval",
                "fresh": "the variant run as a scenario on the same seed and run indices (common random numbers); Wilson 95% interval",
                "reweighted": "importance weights on the base runs, E = (1/N) sum m_r w_r, w_r = prod p'(theta)/p(theta); se from the weights' variance, 95% interval E*exp(+-1.96 se/E); ess = (sum w)^2 / sum w^2",
                "leave_one_out": "from the base runs: the runs whose only missed pattern, if any, is the one left out",
                "bayes_factor": "log10 E_a/E_b; 95% interval +-1.96 sqrt(s_a^2 + s_b^2) on the natural log scale, s^2 = 1/x - 1/N for counts (Katz), s = se/E for reweighted",
            },
        })
    }

    fn rows_csv(&self) -> String {
        let mut out = String::from("variant,kind,reading,method,runs,matched,ess,evidence,ci_lo,ci_hi\n");
        for c in &self.conditions {
            for ((e, applies), name) in c.estimates.iter().zip(&self.readings) {
                if !applies {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{}",
                    super::score::csv_field(&c.variant),
                    c.kind,
                    super::score::csv_field(name),
                    e.method,
                    e.runs,
                    e.matched.map_or(String::new(), |m| m.to_string()),
                    cell(e.ess),
                    cell(e.evidence),
                    e.ci95[0],
                    e.ci95[1]
                );
            }
        }
        out
    }

    fn factors_csv(&self) -> String {
        let mut out = String::from("variant,kind,a,b,log10_bf,ci_lo,ci_hi\n");
        for f in &self.factors {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{}",
                super::score::csv_field(&f.variant),
                f.kind,
                super::score::csv_field(&f.a),
                super::score::csv_field(&f.b),
                cell(f.log10),
                cell(f.ci95.map(|c| c[0])),
                cell(f.ci95.map(|c| c[1]))
            );
        }
        out
    }

    fn table(&self) -> String {
        let mut out = String::new();
        let show = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:+.2}"));
        let _ = writeln!(
            out,
            "Bayes factors (log10; > 0 favours the first), base and range over the panel:"
        );
        for r in &self.ranges {
            let end = |e: &Option<(f64, String)>| match e {
                Some((v, name)) => format!("{v:+.2} ({name})"),
                None => "-".into(),
            };
            let _ = writeln!(
                out,
                "  {} vs {}: base {}, range {} .. {}",
                r.a,
                r.b,
                show(r.base),
                end(&r.min),
                end(&r.max)
            );
        }
        let _ = writeln!(
            out,
            "\n{:<32} {:<14} {:<28} {:<10} {:>10} {:>28}",
            "variant", "kind", "reading", "method", "n or ess", "evidence [95% CI]"
        );
        for c in &self.conditions {
            for ((e, applies), name) in c.estimates.iter().zip(&self.readings) {
                if !applies {
                    continue;
                }
                let n = match (e.matched, e.ess) {
                    (Some(m), _) => m.to_string(),
                    (None, Some(ess)) => format!("{ess:.0}"),
                    _ => "-".into(),
                };
                let ev = match e.evidence {
                    Some(v) => format!("{v:.4} [{:.4}, {:.4}]", e.ci95[0], e.ci95[1]),
                    None => "0".into(),
                };
                let _ = writeln!(
                    out,
                    "{:<32} {:<14} {:<28} {:<10} {:>10} {:>28}",
                    c.variant, c.kind, name, e.method, n, ev
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_sums_round_trip_through_json_beyond_two_to_the_53() {
        let s = WeightSums {
            w: Fixed((1u128 << 100) + 1),
            w2: Fixed(3),
            mw: Fixed(0),
            mw2: Fixed(u128::from(u64::MAX) * 7),
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<WeightSums>(&text).unwrap(), s);
        assert!(serde_json::from_str::<Fixed>("\"-1\"").is_err());
    }

    #[test]
    fn a_weight_is_the_density_ratio_zero_outside_the_new_support() {
        // Uniform(0, 1) narrowed to Uniform(0.25, 0.75): weight 2 inside, 0 outside.
        let wg = Weigher {
            priors: vec![(
                1,
                Distribution::Uniform(0.0, 1.0),
                Distribution::Uniform(0.25, 0.75),
            )],
            bound: 2.0,
        };
        assert_eq!(wg.weight(&[9.0, 0.5]), 2.0);
        assert_eq!(wg.weight(&[9.0, 0.1]), 0.0);
        // Beta(5, 5) to Beta(10, 10) at 0.5: B(5,5)/B(10,10) · 0.5^10, within rounding.
        let wg = Weigher {
            priors: vec![(0, Distribution::Beta(5.0, 5.0), Distribution::Beta(10.0, 10.0))],
            bound: 10.0,
        };
        let want = (reweight::ln_gamma(5.0) * 2.0
            - reweight::ln_gamma(10.0)
            - (reweight::ln_gamma(10.0) * 2.0 - reweight::ln_gamma(20.0))
            + 10.0 * 0.5f64.ln())
        .exp();
        assert!(
            (wg.weight(&[0.5]) - want).abs() < 1e-9 * want,
            "{} vs {want}",
            wg.weight(&[0.5])
        );
    }
}
