//! The parameter studies: `sweep` and `sensitivity`.
//!
//! Like the rest of the CLI, this only reads arguments and writes files; the design, the counts
//! and the estimators live in [`crate::sweep`] and [`crate::sensitivity`].

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;

use serde::{Deserialize, Serialize};

use super::shards::{add_parts, drive, part_scenarios, remove_checkpoint, settings_of, write_part, LongArgs};
use super::{charts_note, check_runs, emit, load, progress_bar, write_charts, DrawArgs, ScenarioArgs};
use crate::calendar::Month;
use crate::charts::ChartOptions;
use crate::charts::{parse_sweep_csv, render_sensitivity_charts, render_sweep_charts};
use crate::checkpoint::Identity;
use crate::compare::{by_offset, resolve_dyad};
use crate::merge::PartFile;
use crate::model::Model;
use crate::output::Staging;
use crate::scenario::Scenario;
use crate::sensitivity::{
    check_ranges, outcome_moments, parameter_design, sobol_indices, ParameterIndices, SaltelliDesign,
    Sensitivity, BOOTSTRAP,
};
use crate::sweep::{design, Sample, Sweep, SweepCounts, Values, Vary, BLOCK_POINTS};

/// Options shared by `sweep` and `sensitivity`.
#[derive(Debug, Args)]
pub struct StudyOptions {
    /// Master seed: run r of every point uses stream r of this seed; it also seeds the design
    /// (default: the scenario's `seed`).
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
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

impl StudyOptions {
    fn pool(&self) -> Result<rayon::ThreadPool> {
        super::check_threads(self.threads)?;
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads.unwrap_or(0))
            .build()
            .context("cannot start the worker threads")
    }
}

/// `jinsong sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// A varied parameter: PATH=LO..HI:STEPS (STEPS evenly spaced values, ends included),
    /// PATH=LO..HI (for --sample lhs:N) or PATH=v1,v2,… (repeatable).
    #[arg(long = "vary", value_name = "PATH=LO..HI:STEPS", required = true)]
    vary: Vec<String>,
    /// grid (every combination of the --vary values) or lhs:N (a Latin hypercube of N points).
    #[arg(long, value_name = "grid|lhs:N", default_value = "grid")]
    sample: String,
    /// Runs per point (runs 0..N, the same at every point).
    #[arg(long, value_name = "N", default_value_t = 2000)]
    runs: u64,
    /// Count only this pair, A,B (default: every pair).
    #[arg(long, value_name = "A,B")]
    dyad: Option<String>,
    /// Also count first onsets by the end of this month.
    #[arg(long, value_name = "YYYY-MM")]
    by: Option<String>,
    /// `--shard K/N` (of the points: shard K takes points floor((K-1)·P/N) .. floor(K·P/N) of P),
    /// `--checkpoint-every`, `--resume`.
    #[command(flatten)]
    long: LongArgs,
    #[command(flatten)]
    study: StudyOptions,
    #[command(flatten)]
    draw: DrawArgs,
}

/// What a `sweep` part or checkpoint keeps besides its counts: enough to finish without the
/// scenario files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SweepSettings {
    /// The design, pairs, date, runs and seed.
    pub sweep: Sweep,
    /// The scenario after overrides.
    pub scenario: Scenario,
}

/// What a `sensitivity` part or checkpoint keeps besides its counts: enough to compute the
/// indices without the scenario files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SensitivitySettings {
    /// The evaluations as sweep points, the pair, the date, the runs and the seed.
    pub study: SweepSettings,
    /// The `--vary PATH=LO..HI` arguments, in order.
    pub vary: Vec<String>,
    /// Base samples N of the Saltelli design.
    pub samples: usize,
    /// Bootstrap replicates.
    pub bootstrap: usize,
}

/// `jinsong sensitivity`.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// A parameter and its range: PATH=LO..HI (repeatable).
    #[arg(long = "vary", value_name = "PATH=LO..HI", required = true)]
    vary: Vec<String>,
    /// Base samples N of the Saltelli design (N·(k + 2) evaluations for k parameters).
    #[arg(long, value_name = "N", default_value_t = 256)]
    samples: usize,
    /// Runs per evaluation (runs 0..R, the same at every point).
    #[arg(long, value_name = "R", default_value_t = 500)]
    runs: u64,
    /// Bootstrap replicates for the intervals.
    #[arg(long, value_name = "B", default_value_t = BOOTSTRAP)]
    bootstrap: usize,
    /// The pair whose first war onset is the outcome: A,B.
    #[arg(long, value_name = "A,B", default_value = "jin,song")]
    dyad: String,
    /// The outcome is a first onset by the end of this month (default: the scenario's end).
    #[arg(long, value_name = "YYYY-MM")]
    by: Option<String>,
    /// `--shard K/N` (of the evaluations: shard K takes evaluations floor((K-1)·E/N) ..
    /// floor(K·E/N) of E; `jinsong merge` computes the indices), `--checkpoint-every` (0 = after
    /// every wave of 32 evaluations), `--resume`.
    #[command(flatten)]
    long: LongArgs,
    #[command(flatten)]
    study: StudyOptions,
    #[command(flatten)]
    draw: DrawArgs,
}

fn parse_varies(list: &[String]) -> Result<Vec<Vary>> {
    list.iter()
        .map(|s| s.parse::<Vary>().map_err(anyhow::Error::from))
        .collect()
}

/// The dyad index and its ids.
fn dyad_of(model: &Model, text: &str) -> Result<(usize, (String, String))> {
    let (i, j) = resolve_dyad(model, text)?;
    let d = model.dyad_of[i * model.n + j];
    let (a, b) = model.dyads[d];
    Ok((d, (model.ids[a].clone(), model.ids[b].clone())))
}

fn by_of(model: &Model, text: &str) -> Result<(Month, u32)> {
    let month: Month = text.parse().map_err(|e| anyhow!("--by: {e}"))?;
    Ok((month, by_offset(model, month)?))
}

/// `jinsong sweep`.
pub fn sweep_command(a: SweepArgs) -> Result<()> {
    check_runs(a.runs)?;
    let chart_options = a.draw.options()?;
    let loaded = load(a.scenario.scenario.as_deref(), &a.scenario.set)?;
    let sc = &loaded.scenario;
    let seed = a.study.seed.unwrap_or(sc.seed);
    let varies = parse_varies(&a.vary)?;
    let sample: Sample = a.sample.parse()?;
    let design = design(&varies, sample, seed)?;
    let model = Model::compile(sc);
    let (dyads, pairs): (Vec<usize>, Vec<(String, String)>) = match &a.dyad {
        Some(text) => {
            let (d, ids) = dyad_of(&model, text)?;
            (vec![d], vec![ids])
        }
        None => model
            .dyads
            .iter()
            .enumerate()
            .map(|(d, &(x, y))| (d, (model.ids[x].clone(), model.ids[y].clone())))
            .unzip(),
    };
    let (by, by_offset) = match &a.by {
        Some(text) => {
            let (m, o) = by_of(&model, text)?;
            (Some(m), Some(o))
        }
        None => (None, None),
    };
    design.check(sc)?;
    let points = design.points.len() as u64;
    let sweep = Sweep {
        design,
        pairs,
        dyads,
        by,
        by_offset,
        runs: a.runs,
        seed,
        only_by: false,
    };
    let pool = a.study.pool()?;
    let out = a
        .study
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("sweep-{}", sc.name)));
    let shard = a.long.shard();
    let settings = SweepSettings {
        sweep,
        scenario: sc.clone(),
    };
    let identity =
        Identity::of("sweep", shard, &[sc], seed, &settings).context("cannot encode the settings")?;
    let sweep = &settings.sweep;
    // Checked before any work is done; the results are staged again when they are written.
    drop(Staging::prepare(&out)?);
    let range = shard.range(points);
    let counts = count_points(&identity, &a.long, &out, &settings, range, &pool, a.study.quiet)?;
    if a.long.shard.is_some() {
        return write_part(&identity, &out, counts, a.study.quiet);
    }
    let staging = Staging::prepare(&out)?;
    finish_sweep(
        &sc.name,
        sweep,
        &counts,
        staging,
        chart_options.as_ref(),
        a.study.quiet,
    )?;
    remove_checkpoint(&out, shard);
    Ok(())
}

/// Count the points `points` of a sweep (or of a sensitivity design) through the shared driver:
/// waves of [`BLOCK_POINTS`] points, checkpoints, `--resume`, Ctrl-C, and a progress bar.
fn count_points(
    identity: &Identity,
    long: &LongArgs,
    out: &Path,
    settings: &SweepSettings,
    points: std::ops::Range<u64>,
    pool: &rayon::ThreadPool,
    quiet: bool,
) -> Result<SweepCounts> {
    let (sweep, sc) = (&settings.sweep, &settings.scenario);
    let bar = progress_bar((points.end - points.start) * sweep.runs, quiet);
    let counts = drive(
        identity,
        long,
        out,
        points.end - points.start,
        BLOCK_POINTS as u64,
        SweepCounts::default(),
        &|c: &SweepCounts| sweep.fits(c, points.clone(), false),
        &mut |items, counts: &mut SweepCounts| {
            if bar.position() == 0 {
                bar.set_position(items.start * sweep.runs);
            }
            let these = points.start + items.start..points.start + items.end;
            counts.merge(&pool.install(|| sweep.count(sc, these, &|n| bar.inc(n)))?);
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    Ok(counts)
}

/// Write what `sweep` writes from its counts (`sweep.csv` and charts): the single-machine
/// `sweep` and `merge` of its parts both end here.
pub(crate) fn finish_sweep(
    scenario: &str,
    sweep: &Sweep,
    counts: &SweepCounts,
    staging: Staging,
    chart_options: Option<&ChartOptions>,
    quiet: bool,
) -> Result<()> {
    let csv = sweep.csv(counts);
    staging.write("sweep.csv", csv.as_bytes())?;
    let mut charts = Vec::new();
    if let Some(opts) = chart_options {
        match parse_sweep_csv(&csv) {
            Ok(table) => charts = write_charts(&staging, render_sweep_charts(&table, opts)),
            Err(e) => eprintln!("warning: no charts: sweep.csv: {e}"),
        }
    }
    let dir = staging.commit()?;
    if !quiet {
        emit(&format!(
            "{scenario}: {} points × {} runs, seed {} (common random numbers)\nwrote {}/sweep.csv{}\n",
            sweep.design.points.len(),
            sweep.runs,
            sweep.seed,
            dir.display(),
            charts_note(&charts)
        ))?;
    }
    Ok(())
}

/// `jinsong merge` of `sweep` parts (already checked to belong together, sorted by shard).
pub(crate) fn merge_sweep_parts(
    parts: &[PartFile],
    out: &Path,
    chart_options: Option<&ChartOptions>,
    quiet: bool,
) -> Result<()> {
    let settings: SweepSettings = settings_of(&parts[0])?;
    let counts = merged_points(parts, &settings)?;
    let (name, sweep) = (&settings.scenario.name, &settings.sweep);
    finish_sweep(name, sweep, &counts, Staging::prepare(out)?, chart_options, quiet)
}

/// The counts of every point of a sweep or a sensitivity design, added up from its parts.
fn merged_points(parts: &[PartFile], settings: &SweepSettings) -> Result<SweepCounts> {
    part_scenarios(&parts[0], &[&settings.scenario])?;
    let sweep = &settings.sweep;
    let points = sweep.design.points.len() as u64;
    add_parts(
        parts,
        SweepCounts::default(),
        &|shard, c: &SweepCounts| {
            let r = shard.range(points);
            sweep.fits(c, r.start..r.end, true)
        },
        &|total, c| total.merge(c),
    )
}

/// `jinsong sensitivity`.
pub fn sensitivity_command(a: SensitivityArgs) -> Result<()> {
    check_runs(a.runs)?;
    if !(2..=1_000_000).contains(&a.samples) {
        bail!(
            "--samples: {} is out of range (allowed: 2 ..= 1000000)",
            a.samples
        );
    }
    if !(1..=1_000_000).contains(&a.bootstrap) {
        bail!(
            "--bootstrap: {} is out of range (allowed: 1 ..= 1000000)",
            a.bootstrap
        );
    }
    let chart_options = a.draw.options()?;
    let loaded = load(a.scenario.scenario.as_deref(), &a.scenario.set)?;
    let sc = &loaded.scenario;
    let seed = a.study.seed.unwrap_or(sc.seed);
    let varies = parse_varies(&a.vary)?;
    check_ranges(&varies).map_err(|e| anyhow!(e))?;
    let model = Model::compile(sc);
    let (d, (ida, idb)) = dyad_of(&model, &a.dyad)?;
    let (by, by_offset) = match &a.by {
        Some(text) => by_of(&model, text)?,
        None => (model.month(model.months - 1), model.months - 1),
    };
    let k = varies.len();
    let unit = SaltelliDesign::new(a.samples, k, seed);
    let design = parameter_design(&varies, &unit);
    design.check(sc)?;
    let evaluations = design.points.len();
    let sweep = Sweep {
        design,
        pairs: vec![(ida.clone(), idb.clone())],
        dyads: vec![d],
        by: Some(by),
        by_offset: Some(by_offset),
        runs: a.runs,
        seed,
        only_by: true,
    };
    let pool = a.study.pool()?;
    let out = a
        .study
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("sensitivity-{}", sc.name)));
    // Checked before any work is done; the results are staged again when they are written.
    drop(Staging::prepare(&out)?);
    let shard = a.long.shard();
    let settings = SensitivitySettings {
        study: SweepSettings {
            sweep,
            scenario: sc.clone(),
        },
        vary: a.vary.clone(),
        samples: a.samples,
        bootstrap: a.bootstrap,
    };
    let identity =
        Identity::of("sensitivity", shard, &[sc], seed, &settings).context("cannot encode the settings")?;
    let range = shard.range(evaluations as u64);
    let counts = count_points(
        &identity,
        &a.long,
        &out,
        &settings.study,
        range,
        &pool,
        a.study.quiet,
    )?;
    if a.long.shard.is_some() {
        return write_part(&identity, &out, counts, a.study.quiet);
    }
    let staging = Staging::prepare(&out)?;
    pool.install(|| finish_sensitivity(&settings, &counts, staging, chart_options.as_ref(), a.study.quiet))?;
    remove_checkpoint(&out, shard);
    Ok(())
}

/// Compute the Sobol indices from the counts of every evaluation and write what `sensitivity`
/// writes (`sensitivity.json` and its chart): the single-machine `sensitivity` and `merge` of
/// its parts both end here.
fn finish_sensitivity(
    settings: &SensitivitySettings,
    counts: &SweepCounts,
    staging: Staging,
    chart_options: Option<&ChartOptions>,
    quiet: bool,
) -> Result<()> {
    let (sweep, sc) = (&settings.study.sweep, &settings.study.scenario);
    let varies = parse_varies(&settings.vary)?;
    let (k, samples, seed) = (varies.len(), settings.samples, sweep.seed);
    let evaluations = sweep.design.points.len();
    let (ida, idb) = sweep
        .pairs
        .first()
        .cloned()
        .context("sensitivity settings: no pair")?;
    let by = sweep.by.context("sensitivity settings: no date")?;
    let y: Vec<f64> = counts
        .points
        .iter()
        .map(|p| p.by_runs[0] as f64 / p.runs as f64)
        .collect();
    let indices = sobol_indices(&y, samples, k, settings.bootstrap, seed);
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
        bootstrap: settings.bootstrap,
        outcome_mean,
        outcome_variance,
        parameters: varies
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
    staging.write("sensitivity.json", report.to_json().as_bytes())?;
    let charts = match chart_options {
        Some(opts) => write_charts(&staging, render_sensitivity_charts(&report, opts)),
        None => Vec::new(),
    };
    let dir = staging.commit()?;
    if !quiet {
        emit(&format!(
            "{}{evaluations} evaluations × {} runs, seed {seed}; bootstrap {} replicates\nwrote {}/sensitivity.json{}\n",
            report.table(),
            sweep.runs,
            settings.bootstrap,
            dir.display(),
            charts_note(&charts)
        ))?;
    }
    Ok(())
}

/// `jinsong merge` of `sensitivity` parts (already checked to belong together, sorted by shard).
pub(crate) fn merge_sensitivity_parts(
    parts: &[PartFile],
    out: &Path,
    chart_options: Option<&ChartOptions>,
    quiet: bool,
) -> Result<()> {
    let settings: SensitivitySettings = settings_of(&parts[0])?;
    let counts = merged_points(parts, &settings.study)?;
    finish_sensitivity(&settings, &counts, Staging::prepare(out)?, chart_options, quiet)
}
