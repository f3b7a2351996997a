//! Scoring scenarios against historical patterns: the share of runs that match each pattern and
//! all of them jointly, with intervals, and the ranking of scenarios (`jinsong score`).
//!
//! Counting is parallel and deterministic like [`crate::batch::fold`]: runs are cut into fixed
//! chunks of [`CHUNK_RUNS`] run indices, each simulated by a worker with a reused workspace and
//! pattern tracker, and the chunk counts are merged by integer addition, so the counts are the
//! same whatever the number of threads. Everything reported is computed from those counts.

use std::fmt::Write as _;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::batch::fold::{fold_runs, CHUNK_RUNS};
use crate::engine::{simulate, Workspace};
use crate::model::Model;
use std::ops::Range;

use super::{Finished, Study, StudyError, StudyKind};
use crate::batch::Counts;
use crate::patterns::{CompiledPatterns, PatternSet};
use crate::scenario::Scenario;
use crate::stats::paired::rate_ratio;
use crate::stats::{wilson, Z95};

/// How many runs matched each pattern, and all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternCounts {
    /// Runs counted.
    pub runs: u64,
    /// Per pattern, in pattern-file order: runs in which it held.
    pub matched: Vec<u64>,
    /// Runs in which every pattern held.
    pub joint: u64,
    /// Of several pattern files scored together: per file, runs in which all its patterns
    /// held (absent for one file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joint_by_file: Vec<u64>,
}

impl PatternCounts {
    /// No runs yet, for `patterns` patterns.
    pub fn new(patterns: usize) -> PatternCounts {
        PatternCounts {
            runs: 0,
            matched: vec![0; patterns],
            joint: 0,
            joint_by_file: Vec::new(),
        }
    }

    /// Count one run whose matches are `bits` (bit *k*: pattern *k* held).
    pub fn add(&mut self, bits: u64) {
        self.runs += 1;
        for (k, m) in self.matched.iter_mut().enumerate() {
            *m += (bits >> k) & 1;
        }
        let all = match self.matched.len() {
            n if n >= 64 => u64::MAX,
            n => (1u64 << n) - 1,
        };
        if bits & all == all {
            self.joint += 1;
        }
    }

    /// [`PatternCounts::add`], also counting the joint match of each file whose patterns'
    /// bits are `files` (of several pattern files scored together).
    pub fn add_files(&mut self, bits: u64, files: &[u64]) {
        self.add(bits);
        if self.joint_by_file.len() < files.len() {
            self.joint_by_file.resize(files.len(), 0);
        }
        for (j, &mask) in self.joint_by_file.iter_mut().zip(files) {
            *j += u64::from(bits & mask == mask);
        }
    }

    /// Add the counts of `other` (integer addition: the order of merges does not matter).
    pub fn merge(&mut self, other: &PatternCounts) {
        self.runs += other.runs;
        if self.matched.len() < other.matched.len() {
            self.matched.resize(other.matched.len(), 0);
        }
        for (m, o) in self.matched.iter_mut().zip(&other.matched) {
            *m += o;
        }
        self.joint += other.joint;
        if self.joint_by_file.len() < other.joint_by_file.len() {
            self.joint_by_file.resize(other.joint_by_file.len(), 0);
        }
        for (j, o) in self.joint_by_file.iter_mut().zip(&other.joint_by_file) {
            *j += o;
        }
    }
}

/// Check that pattern matches read from a file can be those of `runs` runs: `matched` has
/// `patterns` entries, none above the runs; `joint` is at most each of them and at least what
/// they imply (a run that fails the joint match fails some pattern: `runs − joint ≤
/// Σ (runs − matched)`), and equals the runs when there are no patterns. `at` is the counts'
/// path in the file, for the message.
pub fn verify_matches(
    at: &str,
    (runs, matched, joint): (u64, &[u64], u64),
    patterns: usize,
) -> Result<(), String> {
    use super::need;
    need(matched.len() == patterns, || {
        format!("{at}matched has {} patterns, not {patterns}", matched.len())
    })?;
    let mut misses: u128 = 0;
    for (k, &m) in matched.iter().enumerate() {
        need(m <= runs, || format!("{at}matched[{k}] {m} is above runs {runs}"))?;
        need(joint <= m, || {
            format!("{at}joint {joint} is above matched[{k}] {m} (a joint match holds every pattern)")
        })?;
        misses += u128::from(runs - m);
    }
    need(joint <= runs, || {
        format!("{at}joint {joint} is above runs {runs}")
    })?;
    need(u128::from(runs - joint) <= misses, || {
        format!("{at}joint {joint} is below what the patterns' matches imply")
    })
}

impl PatternCounts {
    /// [`verify_matches`] of these counts for exactly `runs` runs, and each file's joint match
    /// (of several pattern files) between the joint match and the runs.
    pub fn verify(&self, at: &str, patterns: usize, runs: u64) -> Result<(), String> {
        use super::need;
        need(self.runs == runs, || {
            format!("{at}runs {} where {runs} runs are done", self.runs)
        })?;
        verify_matches(at, (self.runs, &self.matched, self.joint), patterns)?;
        need(self.joint_by_file.len() <= patterns, || {
            format!("{at}joint_by_file has more files than patterns")
        })?;
        for (f, &j) in self.joint_by_file.iter().enumerate() {
            need(self.joint <= j && j <= runs, || {
                format!(
                    "{at}joint_by_file[{f}] {j} is not between joint {} and runs {runs}",
                    self.joint
                )
            })?;
        }
        Ok(())
    }
}

/// Simulate runs `first_run .. first_run + runs` of `model` under master seed `seed` on the
/// current rayon pool and count the pattern matches. Run *r* is `simulate(model, seed, r, …)`,
/// the same run as in `jinsong run`, so scenarios scored with the same seed are compared on
/// common random numbers. `progress` is called from the worker threads with the number of runs
/// just finished. The result is identical for any number of threads.
///
/// # Panics
/// If `patterns` was compiled for a model with other polities, start or length
/// ([`CompiledPatterns::fits`]).
pub fn count_matches(
    model: &Model,
    patterns: &CompiledPatterns,
    seed: u64,
    first_run: u64,
    runs: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> PatternCounts {
    assert!(
        patterns.fits(model),
        "patterns compiled for another model than `{}`",
        model.name
    );
    let k = patterns.names().len();
    fold_runs(
        first_run..first_run + runs,
        CHUNK_RUNS,
        || (Workspace::new(model), patterns.tracker()),
        || PatternCounts::new(k),
        |(ws, tracker), counts, r| {
            simulate(model, seed, r, ws, tracker);
            counts.add_files(tracker.matches(&ws.outcome), patterns.file_masks());
        },
        PatternCounts::merge,
        progress,
    )
}

/// A share of runs with its Wilson 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// Runs that matched (not written to `scores.json`, which gives `runs` per scenario).
    #[serde(skip)]
    pub matched: u64,
    /// `matched / runs` (0 when there were no runs).
    pub rate: f64,
    /// Wilson 95% score interval.
    pub ci95: [f64; 2],
}

impl Rate {
    /// `matched` of `runs`.
    pub fn new(matched: u64, runs: u64) -> Rate {
        let (lo, hi) = wilson(matched, runs, Z95);
        Rate {
            matched,
            rate: if runs == 0 {
                0.0
            } else {
                matched as f64 / runs as f64
            },
            ci95: [lo, hi],
        }
    }
}

/// Per-pattern rates in pattern-file order, written as a JSON object whose keys keep that order.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternRates(pub Vec<(String, Rate)>);

impl PatternRates {
    /// The rate of each of `patterns` in `counts` (a pattern without a count counts 0).
    pub fn of(patterns: &[String], counts: &PatternCounts) -> PatternRates {
        PatternRates(
            patterns
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    let matched = counts.matched.get(k).copied().unwrap_or(0);
                    (p.clone(), Rate::new(matched, counts.runs))
                })
                .collect(),
        )
    }
}

impl<'de> Deserialize<'de> for PatternRates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> serde::de::Visitor<'de> for Ordered {
            type Value = PatternRates;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of pattern names and rates")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<PatternRates, A::Error> {
                let mut out = Vec::new();
                while let Some((name, rate)) = map.next_entry::<String, Rate>()? {
                    out.push((name, rate));
                }
                Ok(PatternRates(out))
            }
        }
        d.deserialize_map(Ordered)
    }
}

impl Serialize for PatternRates {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, rate) in &self.0 {
            map.serialize_entry(name, rate)?;
        }
        map.end()
    }
}

/// One scenario's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioScore {
    /// Scenario name.
    pub scenario: String,
    /// Runs scored.
    pub runs: u64,
    /// Rate of each pattern.
    pub patterns: PatternRates,
    /// Rate of runs matching every pattern.
    pub joint: Rate,
    /// Of several pattern files scored together: each file's joint rate (absent for one file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileJoint>,
}

/// One pattern file's joint match rate, when several are scored together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileJoint {
    /// The pattern file as given.
    pub file: String,
    /// Rate of runs matching every pattern of the file.
    pub joint: Rate,
}

/// The ratio of the best scenario's joint match rate to another's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JointRatio {
    /// The best scenario (first in the ranking).
    pub best: String,
    /// The scenario compared with it.
    pub scenario: String,
    /// `rate(best) / rate(scenario)`; null when a scenario has no runs.
    pub ratio: Option<f64>,
    /// Katz 95% interval of the ratio; null when a scenario has no runs.
    pub ci95: Option<[f64; 2]>,
    /// Whether 0.5 was added to each cell because a joint count was 0 (see [`rate_ratio`]).
    pub zero_corrected: bool,
}

/// `scores.json`, `scores.csv` and the terminal table of `jinsong score`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReport {
    /// Pattern names, in pattern-file order.
    pub patterns: Vec<String>,
    /// Scenarios ranked by joint match rate, highest first (ties by name).
    pub scenarios: Vec<ScenarioScore>,
    /// The best scenario against each other one, in ranking order.
    pub ratios: Vec<JointRatio>,
}

impl ScoreReport {
    /// Build the report from each scenario's counts. `results[i].1.matched` must have one entry
    /// per pattern (missing entries count as 0).
    pub fn new(patterns: &[String], results: &[(String, PatternCounts)]) -> ScoreReport {
        Self::with_files(patterns, &[], results)
    }

    /// [`ScoreReport::new`] for several pattern files scored together (`files`, as given), with
    /// each file's joint rate.
    pub fn with_files(
        patterns: &[String],
        files: &[String],
        results: &[(String, PatternCounts)],
    ) -> ScoreReport {
        let mut order: Vec<usize> = (0..results.len()).collect();
        // Joint rate x/n compared exactly by cross-multiplication (no rounding), highest first;
        // a scenario with no runs ranks as rate 0.
        let key = |i: usize| {
            let c = &results[i].1;
            (u128::from(c.joint), u128::from(c.runs.max(1)))
        };
        order.sort_by(|&i, &j| {
            let ((xi, ni), (xj, nj)) = (key(i), key(j));
            (xj * ni)
                .cmp(&(xi * nj))
                .then_with(|| results[i].0.cmp(&results[j].0))
        });
        let scenarios: Vec<ScenarioScore> = order
            .iter()
            .map(|&i| {
                let (name, c) = &results[i];
                ScenarioScore {
                    scenario: name.clone(),
                    runs: c.runs,
                    patterns: PatternRates::of(patterns, c),
                    joint: Rate::new(c.joint, c.runs),
                    files: files
                        .iter()
                        .enumerate()
                        .map(|(f, file)| FileJoint {
                            file: file.clone(),
                            joint: Rate::new(c.joint_by_file.get(f).copied().unwrap_or(0), c.runs),
                        })
                        .collect(),
                }
            })
            .collect();
        let ratios = match scenarios.split_first() {
            None => Vec::new(),
            Some((best, rest)) => rest
                .iter()
                .map(|s| {
                    let r = rate_ratio(best.joint.matched, best.runs, s.joint.matched, s.runs, Z95);
                    JointRatio {
                        best: best.scenario.clone(),
                        scenario: s.scenario.clone(),
                        ratio: r.map(|r| r.ratio),
                        ci95: r.map(|r| [r.low, r.high]),
                        zero_corrected: r.is_some_and(|r| r.corrected),
                    }
                })
                .collect(),
        };
        ScoreReport {
            patterns: patterns.to_vec(),
            scenarios,
            ratios,
        }
    }

    /// `scores.json` text (pretty-printed, newline-terminated, no timings).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// `scores.csv`: one row per scenario (in ranking order) and pattern, then a `joint` row.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("scenario,pattern,matched,runs,rate,ci_low,ci_high\n");
        for s in &self.scenarios {
            let rows = s.patterns.0.iter().map(|(n, r)| (n.to_string(), r));
            let files = s.files.iter().map(|f| (format!("joint:{}", f.file), &f.joint));
            for (pattern, r) in rows
                .chain(files)
                .chain(std::iter::once(("joint".to_string(), &s.joint)))
            {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    csv_field(&s.scenario),
                    csv_field(&pattern),
                    r.matched,
                    s.runs,
                    r.rate,
                    r.ci95[0],
                    r.ci95[1]
                );
            }
        }
        out
    }

    /// The table printed by `jinsong score`: one row per pattern, then the joint match and the
    /// ratio of the best joint rate to each scenario's; one column per scenario, best first.
    pub fn table(&self) -> String {
        let mut out = String::new();
        if self.scenarios.is_empty() {
            return out;
        }
        let cell = |r: &Rate| format!("{:.4} [{:.4}, {:.4}]", r.rate, r.ci95[0], r.ci95[1]);
        let mut rows: Vec<(String, Vec<String>)> = Vec::new();
        for (k, p) in self.patterns.iter().enumerate() {
            rows.push((
                p.clone(),
                self.scenarios
                    .iter()
                    .map(|s| s.patterns.0.get(k).map_or_else(|| "-".into(), |(_, r)| cell(r)))
                    .collect(),
            ));
        }
        if let Some(first) = self.scenarios.first() {
            for (f, file) in first.files.iter().enumerate() {
                rows.push((
                    format!("joint {}", file.file),
                    self.scenarios
                        .iter()
                        .map(|s| s.files.get(f).map_or_else(|| "-".into(), |x| cell(&x.joint)))
                        .collect(),
                ));
            }
        }
        rows.push((
            "joint".into(),
            self.scenarios.iter().map(|s| cell(&s.joint)).collect(),
        ));
        let mut ratio_row = vec!["1 (best)".to_string()];
        for r in &self.ratios {
            ratio_row.push(match (r.ratio, r.ci95) {
                (Some(x), Some([lo, hi])) => {
                    format!(
                        "{x:.3} [{lo:.3}, {hi:.3}]{}",
                        if r.zero_corrected { " *" } else { "" }
                    )
                }
                _ => "-".into(),
            });
        }
        rows.push(("best/this joint".into(), ratio_row));
        let head: Vec<String> = self
            .scenarios
            .iter()
            .map(|s| format!("{} ({} runs)", s.scenario, s.runs))
            .collect();
        let first = rows
            .iter()
            .map(|(n, _)| n.chars().count())
            .chain(std::iter::once("pattern".len()))
            .max()
            .unwrap_or(7);
        let widths: Vec<usize> = (0..self.scenarios.len())
            .map(|c| {
                rows.iter()
                    .map(|(_, cells)| cells[c].chars().count())
                    .chain(std::iter::once(head[c].chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |out: &mut String, name: &str, cells: &[String]| {
            let mut row = format!("{name:<first$}");
            for (c, w) in cells.iter().zip(&widths) {
                let _ = write!(row, "  {c:<w$}");
            }
            let _ = writeln!(out, "{}", row.trim_end());
        };
        line(&mut out, "pattern", &head);
        for (name, cells) in &rows {
            line(&mut out, name, cells);
        }
        let _ = writeln!(
            out,
            "rates are shares of runs with Wilson 95% intervals; best/this is the ratio of joint rates with a Katz 95% interval"
        );
        if self.ratios.iter().any(|r| r.zero_corrected) {
            let _ = writeln!(
                out,
                "* a joint count was 0: 0.5 added to each cell before taking the ratio"
            );
        }
        out
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Counts for PatternCounts {
    fn merge(&mut self, other: &PatternCounts) {
        PatternCounts::merge(self, other);
    }
}

/// What a `score` part or checkpoint keeps besides its counts: enough to finish without the
/// input files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScoreSettings {
    /// Runs per scenario (all shards).
    pub runs: u64,
    /// The pattern file as given.
    pub patterns_file: String,
    /// [`text_hash`](crate::batch::part::text_hash) of the pattern file.
    pub patterns_hash: String,
    /// Pattern names, in file order.
    pub patterns: Vec<String>,
    /// The scenarios scored.
    pub scenarios: Vec<Scenario>,
    /// Of several pattern files scored together: each file as given, in order (absent for
    /// one file). `patterns_file` then names them all and `patterns_hash` covers their texts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

settings_scenarios!(ScoreSettings, scenarios);

/// `jinsong score` as a [`Study`]: its work items are run indices (each run of every
/// scenario), its counts the matches per scenario.
pub struct ScoreStudy {
    settings: ScoreSettings,
    seed: u64,
    /// Each scenario's model and its compiled patterns (none when finishing merged parts,
    /// which need no runs).
    jobs: Vec<(Model, Option<CompiledPatterns>)>,
}

impl ScoreStudy {
    /// The settings of scoring `scenarios` on `runs` runs each against `patterns`, read from
    /// `patterns_file` (as given); the patterns are checked against every scenario.
    pub fn settings_for(
        patterns_file: &str,
        patterns: &PatternSet,
        scenarios: Vec<Scenario>,
        runs: u64,
    ) -> Result<ScoreSettings, StudyError> {
        let mut names = Vec::new();
        for sc in &scenarios {
            names = patterns.compile(patterns_file, &Model::compile(sc))?.names();
        }
        let settings = ScoreSettings {
            runs,
            patterns_file: patterns_file.to_string(),
            patterns_hash: crate::batch::part::text_hash(&patterns.sources().join("\n\u{1e}\n")),
            patterns: names,
            scenarios,
            files: patterns.files().into_iter().map(|(f, _)| f).collect(),
        };
        Ok(settings)
    }

    /// The study of `settings` with the patterns `patterns` compiled for every scenario (to
    /// count runs); [`Study::new`] makes one that can only finish from counts.
    pub fn with_patterns(
        settings: ScoreSettings,
        seed: u64,
        patterns: &PatternSet,
    ) -> Result<ScoreStudy, StudyError> {
        let mut jobs = Vec::new();
        for sc in &settings.scenarios {
            let model = Model::compile(sc);
            let compiled = patterns.compile(&settings.patterns_file, &model)?;
            jobs.push((model, Some(compiled)));
        }
        Ok(ScoreStudy { settings, seed, jobs })
    }
}

impl Study for ScoreStudy {
    const KIND: StudyKind = StudyKind::Score;
    type Settings = ScoreSettings;
    type Counts = Vec<PatternCounts>;

    fn new(settings: ScoreSettings, seed: u64) -> Result<ScoreStudy, StudyError> {
        let jobs = settings
            .scenarios
            .iter()
            .map(|sc| (Model::compile(sc), None))
            .collect();
        Ok(ScoreStudy { settings, seed, jobs })
    }

    study_of_runs!(ScoreSettings);

    fn runs_per_item(&self) -> u64 {
        self.jobs.len() as u64
    }

    fn empty(&self) -> Vec<PatternCounts> {
        vec![PatternCounts::new(self.settings.patterns.len()); self.jobs.len()]
    }

    fn fits(&self, counts: &Vec<PatternCounts>, items: Range<u64>) -> Result<(), String> {
        let n = items.end - items.start;
        super::need(counts.len() == self.jobs.len(), || {
            format!("{} scenarios counted, not {}", counts.len(), self.jobs.len())
        })?;
        for (s, p) in counts.iter().enumerate() {
            p.verify(&format!("[{s}]."), self.settings.patterns.len(), n)?;
        }
        Ok(())
    }

    fn count(
        &self,
        items: Range<u64>,
        counts: &mut Vec<PatternCounts>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), StudyError> {
        for ((model, compiled), total) in self.jobs.iter().zip(counts.iter_mut()) {
            let compiled = compiled
                .as_ref()
                .ok_or_else(|| StudyError::Settings("score: patterns not compiled".into()))?;
            let n = items.end - items.start;
            total.merge(&count_matches(
                model,
                compiled,
                self.seed,
                items.start,
                n,
                progress,
            ));
        }
        Ok(())
    }

    fn finish(&self, counts: Vec<PatternCounts>) -> Result<Finished, StudyError> {
        let results: Vec<(String, PatternCounts)> = self
            .settings
            .scenarios
            .iter()
            .map(|sc| sc.name.clone())
            .zip(counts)
            .collect();
        let report = ScoreReport::with_files(&self.settings.patterns, &self.settings.files, &results);
        let head = format!(
            "patterns: {}; {} runs per scenario, seed {} (common random numbers)\n{}",
            self.settings.patterns_file,
            self.settings.runs,
            self.seed,
            report.table()
        );
        Ok(Finished {
            files: vec![
                ("scores.json".into(), report.to_json().into_bytes()),
                ("scores.csv".into(), report.to_csv().into_bytes()),
            ],
            head,
            wrote: "scores.json and scores.csv".into(),
            variant: None,
        })
    }
}
