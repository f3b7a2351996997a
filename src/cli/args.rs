//! The command line's arguments: one struct per command, and the option groups they share.
//!
//! Fields that flatten an option group (`#[command(flatten)]`) are documented on the group's
//! type: clap takes a field's doc comment as help text, so they carry none.
#![allow(missing_docs)]

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::batch::checkpoint::parse_every;
use crate::batch::driver::DriveOptions;
use crate::batch::shard::Shard;
use crate::charts::ChartOptions;
use crate::study::sensitivity::BOOTSTRAP;

/// Agent-based Monte Carlo simulation of the Jin–Song wars (1125–1142) and other crises.
#[derive(Debug, Parser)]
#[command(name = "jinsong", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a batch of seeded stochastic histories and report war-onset probabilities.
    Run(RunArgs),
    /// Validate a scenario and print what was read.
    Check(CheckArgs),
    /// Tell one run as a dated chronicle and write its monthly state.
    Trace(TraceArgs),
    /// Share of runs matching each historical pattern, and all jointly, for each scenario.
    Score(ScoreArgs),
    /// Search free parameters for the highest joint match with the patterns.
    Calibrate(CalibrateArgs),
    /// Paired comparison of P(first war onset in a pair by a date) across scenarios.
    Compare(CompareArgs),
    /// Shapley attribution of a war-onset probability to mechanisms.
    Attribute(AttributeArgs),
    /// War-onset probabilities over a grid or Latin hypercube of parameter values.
    Sweep(SweepArgs),
    /// First-order and total Sobol indices of P(first war onset in a pair by a date).
    Sensitivity(SensitivityArgs),
    /// Evidence (marginal likelihood) of each reading, Bayes factors, and posteriors of the priors.
    Evidence(EvidenceArgs),
    /// Bayes factors of readings over a declared panel of prior and structural variants and
    /// left-out patterns, reusing runs by importance weights where the priors allow.
    Robustness(RobustnessArgs),
    /// Merge the part files of a sharded command (`--shard K/N`) into the files one machine writes.
    Merge(MergeArgs),
    /// Re-draw the charts of a finished output folder (run, trace, score, compare, attribute, sweep, sensitivity, evidence) from its saved results.
    Plot(PlotArgs),
}

/// A scenario file and `--set` overrides.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario file (RON). Default: the embedded baseline (scenarios/baseline.ron).
    pub scenario: Option<PathBuf>,
    /// Override a number or switch: PATH=VALUE, e.g. polities.song.mobilization_lag=2,
    /// relations.song.jin.provocation_rate=0, mechanisms.provocations=false. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// `--posterior DIR`: draw the priors from a finished posterior instead.
#[derive(Debug, Args)]
pub struct PosteriorArgs {
    /// Draw each run's prior values from the posterior sample of DIR (posterior_sample.csv of
    /// `jinsong evidence`; the reading of the same name, or the only one there) instead of the
    /// priors: a posterior predictive.
    #[arg(long, value_name = "DIR")]
    pub posterior: Option<PathBuf>,
}

/// The options of every batch command, with the same defaults everywhere.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Runs (per scenario, evaluation, combination or point). Default: the scenario's `runs`
    /// (per point: 2000 for sweep, 500 for sensitivity).
    #[arg(long, value_name = "N")]
    pub runs: Option<u64>,
    /// Master seed: run r of every scenario (and point) uses stream r of this seed; it also
    /// seeds designs. Default: the scenario's `seed`.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bar and no table.
    #[arg(long, short)]
    pub quiet: bool,
    /// Compute only shard K of N (1-based; work items floor((K-1)·M/N) .. floor(K·M/N) of M:
    /// runs, or the points of a sweep, the evaluations of a sensitivity analysis, the
    /// Latin-hypercube points of a calibration) and write part-K-of-N.json into the output
    /// folder, for `jinsong merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Seconds between checkpoints written into the output folder (fractions allowed; 0 = after
    /// every wave of work).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_every)]
    pub checkpoint_every: Duration,
    /// Continue from the checkpoint in the output folder (it must come from the same command,
    /// scenario, seed and settings).
    #[arg(long)]
    pub resume: bool,
}

impl BatchArgs {
    /// How the driver runs the batch.
    pub fn drive(&self) -> DriveOptions {
        DriveOptions {
            checkpoint_every: self.checkpoint_every,
            resume: self.resume,
        }
    }
}

/// Whether and how a computing command draws its charts.
#[derive(Debug, Args)]
pub struct DrawArgs {
    /// Do not draw charts (only the numeric results).
    #[arg(long)]
    pub no_charts: bool,
    #[command(flatten)]
    pub charts: ChartArgs,
}

impl DrawArgs {
    /// The chart options, or `None` with `--no-charts`; bad `--format`/`--size` are errors
    /// (checked before anything runs).
    pub fn options(&self) -> Result<Option<ChartOptions>> {
        let opts = self.charts.options()?;
        Ok((!self.no_charts).then_some(opts))
    }
}

/// How charts are drawn: `--format`, `--size`, `--no-title` (every command that draws, and `plot`).
#[derive(Debug, Args)]
pub struct ChartArgs {
    /// Chart formats, comma-separated: svg, png.
    #[arg(long, value_name = "LIST", default_value = "svg,png")]
    pub format: String,
    /// Chart size in pixels (SVG: user units), WIDTHxHEIGHT, at least 800x500.
    #[arg(long, value_name = "WxH", default_value = "1200x750")]
    pub size: String,
    /// Leave titles off the charts (journals put them in captions).
    #[arg(long)]
    pub no_title: bool,
}

impl ChartArgs {
    /// The options, checked.
    pub fn options(&self) -> Result<ChartOptions> {
        Ok(ChartOptions::parse(&self.format, &self.size, self.no_title)?)
    }
}

/// Which pair and by when (compare, attribute, sweep, sensitivity).
#[derive(Debug, Args)]
pub struct OutcomeArgs {
    /// The pair whose first war onset is the outcome: A,B (polity ids). Default: jin,song, when
    /// the scenario has that pair.
    #[arg(long, value_name = "A,B")]
    pub dyad: Option<String>,
    /// The outcome is a first onset by the end of this month (default: the scenario's end).
    #[arg(long, value_name = "YYYY-MM")]
    pub by: Option<String>,
}

/// `jinsong run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub draw: DrawArgs,
    #[command(flatten)]
    pub posterior: PosteriorArgs,
}

/// `jinsong check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario file (RON), or a pattern file (printed rule by rule in words).
    pub scenario: PathBuf,
    /// For a pattern file: the scenario it is checked against (default: the embedded baseline).
    #[arg(long, value_name = "SCENARIO")]
    pub against: Option<PathBuf>,
    /// Override a number or switch before checking (see `run --help`).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// `jinsong trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Master seed (default: the scenario's `seed`).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Which run to tell: run R of `trace` is run R of `run`.
    #[arg(long, value_name = "R", default_value_t = 0)]
    pub run: u64,
    /// Output folder (default: output/<scenario name>/trace-<seed>-<run>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print nothing.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the whole chronicle (by default: its turning points, and where the whole is).
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub draw: DrawArgs,
    #[command(flatten)]
    pub posterior: PosteriorArgs,
}

/// `jinsong score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Scenario files (RON) to score.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Pattern file (RON); repeat it to score several together (each file's joint match and
    /// all jointly). Default: HISTORY.md's patterns, scenarios/patterns/history.ron, embedded in
    /// the binary.
    #[arg(long, value_name = "FILE")]
    pub patterns: Vec<PathBuf>,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub draw: DrawArgs,
    #[command(flatten)]
    pub posterior: PosteriorArgs,
}

/// `jinsong evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// Scenario files (RON): the readings to weigh, each with its priors.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Pattern file (RON); repeat it to weigh against several together (the joint match of
    /// all). Default: HISTORY.md's patterns, scenarios/patterns/history.ron.
    #[arg(long, value_name = "FILE")]
    pub patterns: Vec<PathBuf>,
    /// Prior odds of the readings, one per scenario, colon-separated (default: equal).
    #[arg(long, value_name = "A:B:…")]
    pub prior_odds: Option<String>,
    /// Runs kept per reading in posterior_sample.csv (the matching runs with the smallest
    /// hash of seed and run).
    #[arg(long, value_name = "N", default_value_t = crate::study::evidence::DEFAULT_SAMPLE)]
    pub sample: u64,
    #[command(flatten)]
    pub posterior: PosteriorArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub draw: DrawArgs,
}

/// `jinsong robustness`.
#[derive(Debug, Args)]
pub struct RobustnessArgs {
    /// Panel file (RON): the readings, patterns, leave_one_out and variants, paths relative to it.
    pub panel: PathBuf,
    /// Pattern file (RON), replacing the panel's patterns; repeat it to weigh against several
    /// together.
    #[arg(long, value_name = "FILE")]
    pub patterns: Vec<PathBuf>,
    /// Run every variant afresh instead of reweighting the base runs (to check the weights).
    #[arg(long, hide = true)]
    pub no_reweight: bool,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub draw: DrawArgs,
}

/// `jinsong calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Scenario file (RON) to calibrate.
    pub scenario: PathBuf,
    /// Pattern file (RON); repeat it to score several together (each file's joint match and
    /// all jointly). Default: HISTORY.md's patterns, scenarios/patterns/history.ron, embedded in
    /// the binary.
    #[arg(long, value_name = "FILE")]
    pub patterns: Vec<PathBuf>,
    /// A free parameter and its range: PATH=LO..HI (repeatable).
    #[arg(long = "free", value_name = "PATH=LO..HI", required = true)]
    pub free: Vec<String>,
    /// Evaluations in all (half a Latin hypercube, half local search).
    #[arg(long, value_name = "K", default_value_t = 40)]
    pub budget: usize,
    /// Where to write the calibrated scenario (a variant of SCENARIO). Default:
    /// <out>/<name>_calibrated.ron.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// `jinsong compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files (RON); differences are taken from the first.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub outcome: OutcomeArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub draw: DrawArgs,
    #[command(flatten)]
    pub posterior: PosteriorArgs,
}

/// `jinsong attribute`.
#[derive(Debug, Args)]
pub struct AttributeArgs {
    /// Scenario file (RON). Default: the embedded baseline.
    pub scenario: Option<PathBuf>,
    /// Mechanisms to switch on and off, comma-separated (1 to 10 of them).
    #[arg(long, value_name = "A,B,…", required = true)]
    pub mechanisms: String,
    #[command(flatten)]
    pub outcome: OutcomeArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub draw: DrawArgs,
    #[command(flatten)]
    pub posterior: PosteriorArgs,
}

/// `jinsong sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// A varied parameter: PATH=LO..HI:STEPS (STEPS evenly spaced values, ends included),
    /// PATH=LO..HI (for --sample lhs:N) or PATH=v1,v2,… (repeatable).
    #[arg(long = "vary", value_name = "PATH=LO..HI:STEPS", required = true)]
    pub vary: Vec<String>,
    /// grid (every combination of the --vary values) or lhs:N (a Latin hypercube of N points).
    #[arg(long, value_name = "grid|lhs:N", default_value = "grid")]
    pub sample: String,
    /// Count only this pair, A,B (default: every pair).
    #[arg(long, value_name = "A,B")]
    pub dyad: Option<String>,
    /// Also count first onsets by the end of this month.
    #[arg(long, value_name = "YYYY-MM")]
    pub by: Option<String>,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub draw: DrawArgs,
}

/// `jinsong sensitivity`.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// A parameter and its range: PATH=LO..HI (repeatable).
    #[arg(long = "vary", value_name = "PATH=LO..HI", required = true)]
    pub vary: Vec<String>,
    /// Base samples N of the Saltelli design (N·(k + 2) evaluations for k parameters).
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub samples: usize,
    /// Bootstrap replicates for the intervals.
    #[arg(long, value_name = "B", default_value_t = BOOTSTRAP)]
    pub bootstrap: usize,
    #[command(flatten)]
    pub outcome: OutcomeArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub draw: DrawArgs,
}

/// `jinsong merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The part files (part-K-of-N.json), in any order: all N shards of one batch.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// Output folder: receives exactly the files the single-machine command writes.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// No table.
    #[arg(long, short)]
    pub quiet: bool,
    /// Charts: drawn as the command that wrote the parts draws them.
    #[command(flatten)]
    pub draw: DrawArgs,
}

/// `jinsong plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// A finished output folder (of run, trace, score, compare, attribute, sweep, sensitivity or
    /// evidence).
    pub dir: PathBuf,
    #[command(flatten)]
    pub charts: ChartArgs,
}
