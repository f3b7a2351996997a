//! The hypothesis commands: `score`, `calibrate`, `compare` and `attribute`.
//!
//! Like the rest of the CLI, this only reads arguments and files and writes results; the
//! statistics live in `patterns`, `score`, `calibrate`, `compare` and `attribution`.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;

use serde::{Deserialize, Serialize};

use super::shards::{
    add_parts, drive, part_scenarios, remove_checkpoint, resumed, settings_of, write_part, Checkpointer,
    LongArgs,
};
use super::{charts_note, emit, load, progress_bar, write_charts, DrawArgs};
use crate::attribution::{attribute_counts, AttrTally, Attribution, ATTRIBUTION_CHUNK_RUNS};
use crate::calendar::Month;
use crate::calibrate::{calibrate_from, Evaluation, FreeParameter, PointCount, Search};
use crate::charts::ChartOptions;
use crate::charts::{
    parse_compare_curves, render_attribution_charts, render_compare_charts, render_score_charts,
};
use crate::checkpoint::Identity;
use crate::compare::{compare_counts, CompareTally, Comparison};
use crate::merge::{MergeError, PartFile};
use crate::model::Model;
use crate::montecarlo::wave_runs;
use crate::output::Staging;
use crate::part::text_hash;
use crate::patterns::PatternSet;
use crate::scenario::Scenario;
use crate::score::PatternCounts;
use crate::score::{count_matches, ScoreReport};

/// The pattern file used when `--patterns` is not given.
pub const DEFAULT_PATTERNS: &str = "scenarios/patterns/history.ron";

/// Options shared by the hypothesis commands.
#[derive(Debug, Args)]
pub struct BatchOptions {
    /// Runs per scenario (or per evaluation, or per combination).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    runs: u64,
    /// Master seed: run r of every scenario uses stream r of this seed.
    #[arg(long, value_name = "S", default_value_t = 1125)]
    seed: u64,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "T")]
    threads: Option<usize>,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar and no table.
    #[arg(long, short)]
    quiet: bool,
}

impl BatchOptions {
    fn check(&self) -> Result<()> {
        super::check_runs(self.runs)?;
        super::check_threads(self.threads)
    }

    fn pool(&self) -> Result<rayon::ThreadPool> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads.unwrap_or(0))
            .build()
            .context("cannot start the worker threads")
    }

    fn out_or(&self, default: &str) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| Path::new("output").join(default))
    }

    /// What `score`, `compare` and `attribute` set up the same way before their first run: the
    /// batch's identity (which parts and checkpoints carry), the output folder (`--out`, or
    /// `output/<default_out>`; an unwritable one is refused before any run), the worker pool and
    /// the runs of this shard.
    fn prepare<'a, S: Serialize>(
        &self,
        command: &str,
        long: &LongArgs,
        scenarios: impl IntoIterator<Item = &'a Scenario>,
        settings: &S,
        default_out: &str,
    ) -> Result<RunBatch> {
        let shard = long.shard();
        let scenarios: Vec<&Scenario> = scenarios.into_iter().collect();
        let identity = Identity::of(command, shard, &scenarios, self.seed, settings)
            .context("cannot encode the settings")?;
        let out = self.out_or(default_out);
        drop(Staging::prepare(&out)?);
        Ok((identity, out, self.pool()?, shard.range(self.runs)))
    }
}

/// A prepared batch of `score`, `compare` or `attribute` (see [`BatchOptions::prepare`]): its
/// identity, its output folder, its worker pool and the run indices of this shard (all runs
/// without `--shard`).
type RunBatch = (Identity, PathBuf, rayon::ThreadPool, std::ops::Range<u64>);

/// `jinsong score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Scenario files (RON) to score.
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// Pattern file (RON).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_PATTERNS)]
    patterns: PathBuf,
    #[command(flatten)]
    batch: BatchOptions,
    #[command(flatten)]
    draw: DrawArgs,
    #[command(flatten)]
    long: LongArgs,
}

/// `jinsong calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Scenario file (RON) to calibrate.
    scenario: PathBuf,
    /// Pattern file (RON).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_PATTERNS)]
    patterns: PathBuf,
    /// A free parameter and its range: PATH=LO..HI (repeatable).
    #[arg(long = "free", value_name = "PATH=LO..HI", required = true)]
    free: Vec<String>,
    /// Evaluations in all (half a Latin hypercube, half local search).
    #[arg(long, value_name = "K", default_value_t = 40)]
    budget: usize,
    /// Where to write the calibrated scenario (a variant of SCENARIO). Default:
    /// <out>/<name>_calibrated.ron.
    #[arg(long, value_name = "FILE")]
    write: Option<PathBuf>,
    #[command(flatten)]
    batch: BatchOptions,
    /// `--shard K/N` (evaluate only shard K of N of the Latin-hypercube points and write
    /// part-K-of-N.json; `jinsong merge` then does the local search on one machine),
    /// `--checkpoint-every` (0 = after every evaluation) and `--resume`.
    #[command(flatten)]
    long: LongArgs,
}

/// Which pair and by when: shared by `compare` and `attribute`.
#[derive(Debug, Args)]
pub struct OutcomeArgs {
    /// The pair whose first war onset is the outcome: A,B (polity ids).
    #[arg(long, value_name = "A,B", default_value = "jin,song")]
    dyad: String,
    /// The outcome is a first onset by the end of this month (default: the scenario's end).
    #[arg(long, value_name = "YYYY-MM")]
    by: Option<String>,
}

/// `jinsong compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files (RON); differences are taken from the first.
    #[arg(required = true, num_args = 2..)]
    scenarios: Vec<PathBuf>,
    #[command(flatten)]
    outcome: OutcomeArgs,
    #[command(flatten)]
    batch: BatchOptions,
    #[command(flatten)]
    draw: DrawArgs,
    #[command(flatten)]
    long: LongArgs,
}

/// `jinsong attribute`.
#[derive(Debug, Args)]
pub struct AttributeArgs {
    /// Scenario file (RON). Default: the embedded baseline.
    scenario: Option<PathBuf>,
    /// Mechanisms to switch on and off, comma-separated (1 to 10 of them).
    #[arg(long, value_name = "A,B,…", required = true)]
    mechanisms: String,
    #[command(flatten)]
    outcome: OutcomeArgs,
    #[command(flatten)]
    batch: BatchOptions,
    #[command(flatten)]
    draw: DrawArgs,
    #[command(flatten)]
    long: LongArgs,
}

/// Resolve `--dyad` and `--by` against a model.
fn outcome_of(args: &OutcomeArgs, model: &Model, file: &str) -> Result<((usize, usize), u32)> {
    let (a, b) = args
        .dyad
        .split_once(',')
        .ok_or_else(|| anyhow!("--dyad: `{}` is not A,B (e.g. jin,song)", args.dyad))?;
    let find = |id: &str| {
        model.ids.iter().position(|x| x == id.trim()).ok_or_else(|| {
            anyhow!(
                "--dyad: {file} has no polity `{}` (its polities: {})",
                id.trim(),
                model.ids.join(", ")
            )
        })
    };
    let (i, j) = (find(a)?, find(b)?);
    if i == j {
        bail!("--dyad: a pair needs two different polities");
    }
    let last = model.months - 1;
    let by = match &args.by {
        None => last,
        Some(text) => {
            let month: Month = text.parse().map_err(|e| anyhow!("--by: {e}"))?;
            let offset = model.start.months_until(month);
            if offset < 0 || offset > i64::from(last) {
                bail!(
                    "--by: {month} lies outside {file}'s span ({} ..= {})",
                    model.start,
                    model.month(last)
                );
            }
            offset as u32
        }
    };
    Ok(((i, j), by))
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// What a `score` part keeps besides its counts: enough to finish without the input files.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ScoreSettings {
    /// Runs per scenario (all shards).
    runs: u64,
    /// The pattern file as given.
    patterns_file: String,
    /// [`text_hash`] of the pattern file.
    patterns_hash: String,
    /// Pattern names, in file order.
    patterns: Vec<String>,
    /// The scenarios scored.
    scenarios: Vec<Scenario>,
}

/// `jinsong score`.
pub fn score(a: ScoreArgs) -> Result<()> {
    a.batch.check()?;
    let chart_options = a.draw.options()?;
    let patterns_file = shown(&a.patterns);
    let patterns = PatternSet::read(&a.patterns)?;
    let patterns_text =
        std::fs::read_to_string(&a.patterns).with_context(|| format!("cannot read {patterns_file}"))?;
    // Load, validate and compile everything before any output folder is touched.
    let mut jobs = Vec::new();
    let mut scenarios = Vec::new();
    for path in &a.scenarios {
        let loaded = load(Some(path), &[])?;
        let model = Model::compile(&loaded.scenario);
        let compiled = patterns.compile(&patterns_file, &model)?;
        jobs.push((model, compiled));
        scenarios.push(loaded.scenario);
    }
    let names = jobs.first().map(|(_, c)| c.names()).unwrap_or_default();
    let (runs, seed) = (a.batch.runs, a.batch.seed);
    let shard = a.long.shard();
    let settings = ScoreSettings {
        runs,
        patterns_file: patterns_file.clone(),
        patterns_hash: text_hash(&patterns_text),
        patterns: names.clone(),
        scenarios,
    };
    let (identity, out, pool, range) =
        a.batch
            .prepare("score", &a.long, &settings.scenarios, &settings, "score")?;
    let bar = progress_bar((range.end - range.start) * jobs.len() as u64, a.batch.quiet);
    let k = names.len();
    let counts = drive(
        &identity,
        &a.long,
        &out,
        range.end - range.start,
        wave_runs(pool.current_num_threads()),
        vec![PatternCounts::new(k); jobs.len()],
        &|c: &Vec<PatternCounts>| c.len() == jobs.len() && c.iter().all(|p| p.matched.len() == k),
        &mut |items, counts: &mut Vec<PatternCounts>| {
            for ((model, compiled), total) in jobs.iter().zip(counts.iter_mut()) {
                let first = range.start + items.start;
                let n = items.end - items.start;
                total
                    .merge(&pool.install(|| count_matches(model, compiled, seed, first, n, &|n| bar.inc(n))));
            }
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    if a.long.shard.is_some() {
        return write_part(&identity, &out, counts, a.batch.quiet);
    }
    let scenario_names: Vec<String> = jobs.iter().map(|(m, _)| m.name.clone()).collect();
    let finish = ScoreFinish {
        patterns_file: &patterns_file,
        patterns: &names,
        scenarios: &scenario_names,
        runs,
        seed,
    };
    finish.write(counts, &out, chart_options.as_ref(), a.batch.quiet)?;
    remove_checkpoint(&out, shard);
    Ok(())
}

/// What `score` needs besides the counts to write its files.
struct ScoreFinish<'a> {
    patterns_file: &'a str,
    patterns: &'a [String],
    scenarios: &'a [String],
    runs: u64,
    seed: u64,
}

impl ScoreFinish<'_> {
    /// Write `scores.json`, `scores.csv` and the chart and print the table: the single-machine
    /// `score` and `merge` of its parts both end here.
    fn write(
        &self,
        counts: Vec<PatternCounts>,
        out: &Path,
        chart_options: Option<&ChartOptions>,
        quiet: bool,
    ) -> Result<()> {
        let results: Vec<(String, PatternCounts)> = self.scenarios.iter().cloned().zip(counts).collect();
        let report = ScoreReport::new(self.patterns, &results);
        let staging = Staging::prepare(out)?;
        staging.write("scores.json", report.to_json().as_bytes())?;
        staging.write("scores.csv", report.to_csv().as_bytes())?;
        let charts = match chart_options {
            Some(opts) => write_charts(&staging, render_score_charts(&report, opts)),
            None => Vec::new(),
        };
        let dir = staging.commit()?;
        if !quiet {
            emit(&format!(
                "patterns: {}; {} runs per scenario, seed {} (common random numbers)\n{}wrote {}/scores.json and scores.csv{}\n",
                self.patterns_file,
                self.runs,
                self.seed,
                report.table(),
                dir.display(),
                charts_note(&charts)
            ))?;
        }
        Ok(())
    }
}

/// The path of `target` relative to the folder `from` (both as given or relative to the
/// working directory), for the `base` of a written variant.
fn relative_to(target: &Path, from: &Path) -> Result<String> {
    let target =
        std::fs::canonicalize(target).with_context(|| format!("cannot resolve {}", target.display()))?;
    let from = std::fs::canonicalize(from).with_context(|| format!("cannot resolve {}", from.display()))?;
    let t: Vec<_> = target.components().collect();
    let f: Vec<_> = from.components().collect();
    let common = t.iter().zip(&f).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..f.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c);
    }
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

/// What a `calibrate` part keeps besides its counts: enough to finish the search on one machine.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CalibrateSettings {
    /// SCENARIO as given (for the command line recorded in the written variant).
    scenario_arg: String,
    /// SCENARIO's absolute path (the written variant's `base` is relative to it).
    scenario_file: String,
    /// The scenario.
    scenario: Scenario,
    /// The pattern file as given.
    patterns_file: String,
    /// Its text.
    patterns_text: String,
    /// `--free` as given.
    free: Vec<String>,
    /// `--budget`.
    budget: usize,
    /// Runs per evaluation.
    runs: u64,
}

/// `jinsong calibrate`.
pub fn calibrate_command(a: CalibrateArgs) -> Result<()> {
    a.batch.check()?;
    let patterns_file = shown(&a.patterns);
    let patterns = PatternSet::read(&a.patterns)?;
    let loaded = load(Some(&a.scenario), &[])?;
    let model = Model::compile(&loaded.scenario);
    patterns.compile(&patterns_file, &model)?;
    let free = a
        .free
        .iter()
        .map(|s| s.parse::<FreeParameter>().map_err(|e| anyhow!("--free: {e}")))
        .collect::<Result<Vec<_>>>()?;
    let out = a.batch.out_or(&format!("calibrate-{}", loaded.scenario.name));
    let search = Search {
        budget: a.budget,
        runs: a.batch.runs,
        seed: a.batch.seed,
    };
    crate::calibrate::check_free(&loaded.scenario, &free, search)?;
    let settings = CalibrateSettings {
        scenario_arg: a.scenario.display().to_string(),
        scenario_file: std::fs::canonicalize(&a.scenario)
            .with_context(|| format!("cannot resolve {}", a.scenario.display()))?
            .display()
            .to_string(),
        scenario: loaded.scenario.clone(),
        patterns_file: patterns_file.clone(),
        patterns_text: std::fs::read_to_string(&a.patterns)
            .with_context(|| format!("cannot read {patterns_file}"))?,
        free: a.free.clone(),
        budget: a.budget,
        runs: a.batch.runs,
    };
    let pool = a.batch.pool()?;
    let shard = a.long.shard();
    let identity = Identity::of("calibrate", shard, &[&loaded.scenario], search.seed, &settings)
        .context("cannot encode the settings")?;
    let runs = a.batch.runs;
    let fits = |c: &Vec<PointCount>| c.iter().all(|p| p.runs == runs && p.joint <= p.runs);
    let evaluate = |values: &[f64]| {
        crate::calibrate::evaluate_point(
            &loaded.scenario,
            (&patterns, &patterns_file),
            &free,
            search,
            values,
        )
    };
    if a.long.shard.is_some() {
        let points = crate::calibrate::lhs_points(&free, search);
        let range = shard.range(points.len() as u64);
        drop(Staging::prepare(&out)?);
        let counts = drive(
            &identity,
            &a.long,
            &out,
            range.end - range.start,
            1,
            Vec::new(),
            &fits,
            &mut |items, counts: &mut Vec<PointCount>| {
                let these = &points[(range.start + items.start) as usize..(range.start + items.end) as usize];
                for values in these {
                    counts.push(pool.install(|| evaluate(values))?);
                }
                Ok(())
            },
        )?;
        return write_part(&identity, &out, counts, a.batch.quiet);
    }
    let write = a.write.clone();
    if write.as_ref().is_some_and(|w| w.is_dir()) {
        bail!(
            "--write: {} is a folder; give a file name",
            shown(write.as_deref().unwrap_or(Path::new("")))
        );
    }
    let staging = Staging::prepare(&out)?;
    // A checkpoint keeps the counts of the evaluations so far; the search is a pure function of
    // them, so a resumed search replays them and goes on exactly as before.
    let budget = a.budget as u64;
    let known = match a.long.resume {
        true => resumed(&identity, &out, budget, &fits)?.counts,
        false => Vec::new(),
    };
    let bar = progress_bar(budget * runs, a.batch.quiet);
    bar.set_position(known.len() as u64 * runs);
    let mut checkpointer = Checkpointer::new(&identity, &a.long, &out);
    let mut after = |done: &[Evaluation]| -> Result<()> {
        bar.inc(runs);
        checkpointer.after(done.len() as u64, budget, || {
            done.iter()
                .map(|e| PointCount {
                    joint: e.joint,
                    runs: e.runs,
                })
                .collect::<Vec<_>>()
        })
    };
    let result = pool.install(|| {
        calibrate_from(
            &loaded.scenario,
            (&patterns, &patterns_file),
            &free,
            search,
            &known,
            &mut after,
        )
    });
    bar.finish_and_clear();
    finish_calibrate(&settings, search.seed, result?, staging, write, a.batch.quiet)?;
    remove_checkpoint(&out, shard);
    Ok(())
}

/// Write `calibration.csv` and the calibrated variant and print the best point: the
/// single-machine `calibrate` and `merge` of its parts both end here.
fn finish_calibrate(
    settings: &CalibrateSettings,
    seed: u64,
    calibration: crate::calibrate::Calibration,
    staging: Staging,
    write: Option<PathBuf>,
    quiet: bool,
) -> Result<()> {
    let name = format!("{}_calibrated", settings.scenario.name);
    staging.write("calibration.csv", calibration.to_csv().as_bytes())?;
    let dir = staging.commit()?;
    let write = write.unwrap_or_else(|| dir.join(format!("{name}.ron")));
    let write_dir = match write.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&write_dir).with_context(|| format!("cannot create {}", write_dir.display()))?;
    let base = relative_to(Path::new(&settings.scenario_file), &write_dir)?;
    let command = format!(
        "jinsong calibrate {} --patterns {} {} --budget {} --runs {} --seed {}",
        settings.scenario_arg,
        settings.patterns_file,
        settings
            .free
            .iter()
            .map(|f| format!("--free {f}"))
            .collect::<Vec<_>>()
            .join(" "),
        settings.budget,
        settings.runs,
        seed
    );
    let text = calibration.variant_file(&base, &name, &command);
    crate::output::write_atomic(&write, text.as_bytes())?;
    if !quiet {
        let best = calibration.best();
        emit(&format!(
            "{}: best joint match {}/{} after {} evaluations: {}\nwrote {} and {}/calibration.csv\n",
            settings.scenario.name,
            best.joint,
            best.runs,
            calibration.evaluations.len(),
            calibration.overrides().join(" "),
            write.display(),
            dir.display()
        ))?;
    }
    Ok(())
}

/// What a `compare` part keeps besides its counts: enough to finish without the input files.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CompareSettings {
    /// Runs per scenario (all shards).
    runs: u64,
    /// The pair, as polity indices.
    dyad: (usize, usize),
    /// The outcome's last month, as an offset from the start.
    by: u32,
    /// The scenarios compared.
    scenarios: Vec<Scenario>,
}

/// `jinsong compare`.
pub fn compare_command(a: CompareArgs) -> Result<()> {
    a.batch.check()?;
    let chart_options = a.draw.options()?;
    let mut models = Vec::new();
    let mut scenarios = Vec::new();
    for path in &a.scenarios {
        let loaded = load(Some(path), &[])?;
        models.push((shown(path), Model::compile(&loaded.scenario)));
        scenarios.push(loaded.scenario);
    }
    let (first_file, first) = &models[0];
    for (file, m) in &models[1..] {
        if m.ids != first.ids {
            bail!(
                "{file}: polities [{}] differ from {first_file}'s [{}]; compare needs the same polities in the same order",
                m.ids.join(", "),
                first.ids.join(", ")
            );
        }
        if m.start != first.start || m.months != first.months {
            bail!(
                "{file}: its span {} ..= {} differs from {first_file}'s {} ..= {}",
                m.start,
                m.month(m.months - 1),
                first.start,
                first.month(first.months - 1)
            );
        }
    }
    let (dyad, by) = outcome_of(&a.outcome, first, first_file)?;
    let models: Vec<Model> = models.into_iter().map(|(_, m)| m).collect();
    let (runs, seed) = (a.batch.runs, a.batch.seed);
    let shard = a.long.shard();
    let settings = CompareSettings {
        runs,
        dyad,
        by,
        scenarios,
    };
    let (identity, out, pool, range) =
        a.batch
            .prepare("compare", &a.long, &settings.scenarios, &settings, "compare")?;
    let bar = progress_bar((range.end - range.start) * models.len() as u64, a.batch.quiet);
    let k = models.len();
    let tally = drive(
        &identity,
        &a.long,
        &out,
        range.end - range.start,
        wave_runs(pool.current_num_threads()),
        CompareTally::new(k, by),
        &|t: &CompareTally| t.fits(k, by),
        &mut |items, total: &mut CompareTally| {
            let runs = range.start + items.start..range.start + items.end;
            let wave =
                pool.install(|| compare_counts(&models, dyad, by, seed, runs, &|n| bar.inc(n * k as u64)))?;
            *total = std::mem::replace(total, CompareTally::new(0, 0)).merge(wave);
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    if a.long.shard.is_some() {
        return write_part(&identity, &out, tally, a.batch.quiet);
    }
    finish_compare(
        &models,
        &settings,
        seed,
        tally,
        &out,
        chart_options.as_ref(),
        a.batch.quiet,
    )?;
    remove_checkpoint(&out, shard);
    Ok(())
}

/// Write `compare.json`, `compare_curves.csv` and the charts and print the table: the
/// single-machine `compare` and `merge` of its parts both end here.
fn finish_compare(
    models: &[Model],
    settings: &CompareSettings,
    seed: u64,
    tally: CompareTally,
    out: &Path,
    chart_options: Option<&ChartOptions>,
    quiet: bool,
) -> Result<()> {
    let comparison = Comparison::from_counts(models, settings.dyad, settings.by, seed, settings.runs, tally)?;
    let staging = Staging::prepare(out)?;
    staging.write("compare.json", comparison.to_json().as_bytes())?;
    let curves = comparison.curves_csv();
    staging.write("compare_curves.csv", curves.as_bytes())?;
    let mut charts = Vec::new();
    if let Some(opts) = chart_options {
        match parse_compare_curves(&curves) {
            Ok(rows) => charts = write_charts(&staging, render_compare_charts(&comparison, &rows, opts)),
            Err(e) => eprintln!("warning: no charts: compare_curves.csv: {e}"),
        }
    }
    let dir = staging.commit()?;
    if !quiet {
        emit(&format!(
            "{}wrote {}/compare.json and compare_curves.csv{}\n",
            comparison.table(),
            dir.display(),
            charts_note(&charts)
        ))?;
    }
    Ok(())
}

/// What an `attribute` part keeps besides its counts: enough to finish without the input files.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AttributeSettings {
    /// Runs per combination (all shards).
    runs: u64,
    /// The mechanisms switched, in order.
    mechanisms: Vec<String>,
    /// The pair, as polity indices.
    dyad: (usize, usize),
    /// The outcome's last month, as an offset from the start.
    by: u32,
    /// The scenario (all mechanisms as given).
    scenario: Scenario,
}

/// `jinsong attribute`.
pub fn attribute_command(a: AttributeArgs) -> Result<()> {
    a.batch.check()?;
    let chart_options = a.draw.options()?;
    let loaded = load(a.scenario.as_deref(), &[])?;
    let file = a
        .scenario
        .as_deref()
        .map(shown)
        .unwrap_or_else(|| loaded.file.clone());
    let mechanisms: Vec<&str> = a
        .mechanisms
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    crate::attribution::check_mechanisms(&mechanisms)?;
    let model = Model::compile(&loaded.scenario);
    let (dyad, by) = outcome_of(&a.outcome, &model, &file)?;
    let (runs, seed) = (a.batch.runs, a.batch.seed);
    let shard = a.long.shard();
    let settings = AttributeSettings {
        runs,
        mechanisms: mechanisms.iter().map(|m| m.to_string()).collect(),
        dyad,
        by,
        scenario: loaded.scenario.clone(),
    };
    let default_out = format!("attribute-{}", loaded.scenario.name);
    let (identity, out, pool, range) =
        a.batch
            .prepare("attribute", &a.long, [&loaded.scenario], &settings, &default_out)?;
    let k = mechanisms.len();
    let combos = 1u64 << k;
    let bar = progress_bar((range.end - range.start) * combos, a.batch.quiet);
    // A wave costs about as many simulations as a wave of `run`.
    let threads = pool.current_num_threads() as u64;
    let wave = (wave_runs(pool.current_num_threads()) >> k).max(ATTRIBUTION_CHUNK_RUNS * threads);
    let tally = drive(
        &identity,
        &a.long,
        &out,
        range.end - range.start,
        wave,
        AttrTally::new(k),
        &|t: &AttrTally| t.fits(k),
        &mut |items, total: &mut AttrTally| {
            let runs = range.start + items.start..range.start + items.end;
            let counted = pool.install(|| {
                attribute_counts(&loaded.scenario, &mechanisms, dyad, by, seed, runs, &|n| {
                    bar.inc(n * combos)
                })
            });
            *total = std::mem::replace(total, AttrTally::new(0)).merge(counted?);
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    if a.long.shard.is_some() {
        return write_part(&identity, &out, tally, a.batch.quiet);
    }
    finish_attribute(
        &settings,
        seed,
        tally,
        &out,
        chart_options.as_ref(),
        a.batch.quiet,
    )?;
    remove_checkpoint(&out, shard);
    Ok(())
}

/// Write `attribution.json` and the chart and print the table: the single-machine `attribute`
/// and `merge` of its parts both end here.
fn finish_attribute(
    settings: &AttributeSettings,
    seed: u64,
    tally: AttrTally,
    out: &Path,
    chart_options: Option<&ChartOptions>,
    quiet: bool,
) -> Result<()> {
    let mechanisms: Vec<&str> = settings.mechanisms.iter().map(String::as_str).collect();
    let attribution = Attribution::from_counts(
        &settings.scenario,
        &mechanisms,
        settings.dyad,
        settings.by,
        seed,
        settings.runs,
        tally,
    )?;
    let staging = Staging::prepare(out)?;
    staging.write("attribution.json", attribution.to_json().as_bytes())?;
    let charts = match chart_options {
        Some(opts) => write_charts(&staging, render_attribution_charts(&attribution, opts)),
        None => Vec::new(),
    };
    let dir = staging.commit()?;
    if !quiet {
        emit(&format!(
            "{}wrote {}/attribution.json{}\n",
            attribution.table(),
            dir.display(),
            charts_note(&charts)
        ))?;
    }
    Ok(())
}

/// The number of runs of shard `shard` of `runs`.
fn shard_runs(shard: crate::shard::Shard, runs: u64) -> u64 {
    let r = shard.range(runs);
    r.end - r.start
}

/// `jinsong merge` of parts written by a hypothesis command (`command`), already checked to
/// belong together and sorted by shard.
pub(crate) fn merge_parts(
    command: &str,
    parts: &[PartFile],
    out: &Path,
    chart_options: Option<&ChartOptions>,
    quiet: bool,
) -> Result<()> {
    let first = &parts[0];
    let seed = first.part.seed;
    match command {
        "score" => {
            let s: ScoreSettings = settings_of(first)?;
            part_scenarios(first, &s.scenarios.iter().collect::<Vec<_>>())?;
            let k = s.patterns.len();
            let counts = add_parts(
                parts,
                vec![PatternCounts::new(k); s.scenarios.len()],
                &|shard, c: &Vec<PatternCounts>| {
                    c.len() == s.scenarios.len()
                        && c.iter().all(|p| {
                            p.matched.len() == k
                                && p.runs == shard_runs(shard, s.runs)
                                && p.joint <= p.runs
                                && p.matched.iter().all(|&m| m <= p.runs)
                        })
                },
                &|total, c| {
                    for (t, x) in total.iter_mut().zip(c) {
                        t.merge(x);
                    }
                },
            )?;
            let names: Vec<String> = s.scenarios.iter().map(|sc| sc.name.clone()).collect();
            let finish = ScoreFinish {
                patterns_file: &s.patterns_file,
                patterns: &s.patterns,
                scenarios: &names,
                runs: s.runs,
                seed,
            };
            finish.write(counts, out, chart_options, quiet)
        }
        "compare" => {
            let s: CompareSettings = settings_of(first)?;
            part_scenarios(first, &s.scenarios.iter().collect::<Vec<_>>())?;
            let models: Vec<Model> = s.scenarios.iter().map(Model::compile).collect();
            let k = models.len();
            let tally = add_parts(
                parts,
                CompareTally::new(k, s.by),
                &|shard, t: &CompareTally| {
                    let n = shard_runs(shard, s.runs);
                    t.fits(k, s.by)
                        && t.successes.iter().all(|&x| x <= n)
                        && t.n10.iter().zip(&t.n01).all(|(a, b)| a + b <= n)
                        && t.months
                            .iter()
                            .zip(&t.successes)
                            .all(|(m, &x)| m.iter().sum::<u64>() == x)
                },
                &|total, t| *total = std::mem::replace(total, CompareTally::new(0, 0)).merge(t.clone()),
            )?;
            finish_compare(&models, &s, seed, tally, out, chart_options, quiet)
        }
        "attribute" => {
            let s: AttributeSettings = settings_of(first)?;
            part_scenarios(first, &[&s.scenario])?;
            let k = s.mechanisms.len();
            let names: Vec<&str> = s.mechanisms.iter().map(String::as_str).collect();
            if let Err(e) = crate::attribution::check_mechanisms(&names) {
                return Err(MergeError::Corrupt {
                    path: first.path.clone(),
                    reason: format!("settings: {e}"),
                }
                .into());
            }
            let tally = add_parts(
                parts,
                AttrTally::new(k),
                &|shard, t: &AttrTally| {
                    let n = shard_runs(shard, s.runs);
                    t.fits(k)
                        && t.successes.iter().all(|&x| x <= n)
                        && t.initiator.iter().zip(&t.provoked).all(|(i, p)| p <= i)
                        && t.initiator[0] + t.initiator[1] <= n
                },
                &|total, t| *total = std::mem::replace(total, AttrTally::new(0)).merge(t.clone()),
            )?;
            finish_attribute(&s, seed, tally, out, chart_options, quiet)
        }
        "calibrate" => {
            let s: CalibrateSettings = settings_of(first)?;
            part_scenarios(first, &[&s.scenario])?;
            let patterns = PatternSet::parse(&s.patterns_file, &s.patterns_text)?;
            let free = s
                .free
                .iter()
                .map(|f| f.parse::<FreeParameter>().map_err(|e| anyhow!("--free: {e}")))
                .collect::<Result<Vec<_>>>()?;
            let search = Search {
                budget: s.budget,
                runs: s.runs,
                seed,
            };
            let n = crate::calibrate::lhs_size(search) as u64;
            let lhs = add_parts(
                parts,
                Vec::new(),
                &|shard, c: &Vec<crate::calibrate::PointCount>| {
                    c.len() as u64 == shard_runs(shard, n) && c.iter().all(|p| p.runs == s.runs && p.joint <= p.runs)
                },
                &|total, c| total.extend_from_slice(c),
            )?;
            let calibration = crate::calibrate::calibrate_from(
                &s.scenario,
                (&patterns, &s.patterns_file),
                &free,
                search,
                &lhs,
                &mut |_: &[Evaluation]| Ok::<(), anyhow::Error>(()),
            )?;
            finish_calibrate(&s, seed, calibration, Staging::prepare(out)?, None, quiet)
        }
        other => bail!(
            "merge: parts of `{other}` cannot be merged by this version (run, score, compare, attribute, calibrate, sweep and sensitivity can)"
        ),
    }
}
