//! The command line: `jinsong run`, `check`, `trace` and `plot` here; `score`, `calibrate`, `compare`
//! and `attribute` in [`hypothesis`].
//!
//! This module only parses arguments, loads scenarios and writes files; the model lives in the
//! rest of the library.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub mod hypothesis;
pub mod shards;
pub mod study;

use crate::charts::{
    parse_onset_curve, parse_trace, parse_trace_events, render_folder, render_run_charts,
    render_trace_charts, ChartOptions, Rendered,
};
use crate::chronicle::{Chronicle, TracedOutcome};
use crate::engine::{simulate, Workspace};
use crate::model::Model;
use crate::montecarlo::{wave_runs, Batch};
use crate::output::Staging;
use crate::report::{onset_curve_csv, Summary};
use crate::scenario::{LoadedScenario, Override, ScenarioError};
use crate::tally::Tally;

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
    Score(hypothesis::ScoreArgs),
    /// Search free parameters for the highest joint match with the patterns.
    Calibrate(hypothesis::CalibrateArgs),
    /// Paired comparison of P(first war onset in a pair by a date) across scenarios.
    Compare(hypothesis::CompareArgs),
    /// Shapley attribution of a war-onset probability to mechanisms.
    Attribute(hypothesis::AttributeArgs),
    /// War-onset probabilities over a grid or Latin hypercube of parameter values.
    Sweep(study::SweepArgs),
    /// First-order and total Sobol indices of P(first war onset in a pair by a date).
    Sensitivity(study::SensitivityArgs),
    /// Merge the part files of a sharded command (`--shard K/N`) into the files one machine writes.
    Merge(shards::MergeArgs),
    /// Re-draw the charts of a finished output folder (run, trace, score, compare, attribute, sweep, sensitivity) from its saved results.
    Plot(PlotArgs),
}

/// Options shared by commands that read a scenario.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario file (RON). Default: the embedded baseline (scenarios/baseline.ron).
    pub scenario: Option<PathBuf>,
    /// Override a number or switch: PATH=VALUE, e.g. polities.song.mobilization_lag=2,
    /// relations.song.jin.provocation_rate=0, mechanisms.provocations=false. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// `jinsong run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Number of runs (default: the scenario's `runs`).
    #[arg(long, value_name = "N")]
    runs: Option<u64>,
    /// Master seed (default: the scenario's `seed`).
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "T")]
    threads: Option<usize>,
    /// Output folder (default: output/<scenario name>/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar and no table.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    draw: DrawArgs,
    #[command(flatten)]
    long: shards::LongArgs,
}

/// Whether and how a computing command draws its charts (`run`, `trace`, `score`, `compare`,
/// `attribute`).
#[derive(Debug, Args)]
pub struct DrawArgs {
    /// Do not draw charts (only the numeric results).
    #[arg(long)]
    no_charts: bool,
    #[command(flatten)]
    charts: ChartArgs,
}

impl DrawArgs {
    /// The chart options, or `None` with `--no-charts`; bad `--format`/`--size` are errors
    /// (checked before anything runs).
    pub(crate) fn options(&self) -> Result<Option<ChartOptions>> {
        let opts = self.charts.options()?;
        Ok((!self.no_charts).then_some(opts))
    }
}

/// Write drawn charts into `staging`; a chart that cannot be drawn or written is a warning, so
/// the numeric results already staged are never lost. Returns the files written.
pub(crate) fn write_charts(staging: &Staging, rendered: Rendered) -> Vec<String> {
    let mut written = Vec::new();
    for (file, result) in rendered {
        match result.map_err(anyhow::Error::from).and_then(|bytes| {
            staging.write(&file, &bytes)?;
            Ok(())
        }) {
            Ok(()) => written.push(file),
            Err(e) => eprintln!("warning: {e:#}"),
        }
    }
    written
}

/// `; charts a.svg, a.png` for the closing message (empty when none were drawn).
pub(crate) fn charts_note(files: &[String]) -> String {
    if files.is_empty() {
        String::new()
    } else {
        format!("; charts {}", files.join(", "))
    }
}

/// How charts are drawn: `--format`, `--size`, `--no-title` (every command that draws, and `plot`).
#[derive(Debug, Args)]
pub struct ChartArgs {
    /// Chart formats, comma-separated: svg, png.
    #[arg(long, value_name = "LIST", default_value = "svg,png")]
    format: String,
    /// Chart size in pixels (SVG: user units), WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", default_value = "1200x750")]
    size: String,
    /// Leave titles off the charts (journals put them in captions).
    #[arg(long)]
    no_title: bool,
}

impl ChartArgs {
    fn options(&self) -> Result<ChartOptions> {
        Ok(ChartOptions::parse(&self.format, &self.size, self.no_title)?)
    }
}

/// `jinsong plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// A finished output folder (of run, trace, score, compare or attribute).
    pub dir: PathBuf,
    #[command(flatten)]
    charts: ChartArgs,
}

/// `jinsong check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario file (RON).
    pub scenario: PathBuf,
    /// Override a number or switch before checking (see `run --help`).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// `jinsong trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Master seed (default: the scenario's `seed`).
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Which run to tell: run R of `trace` is run R of `run`.
    #[arg(long, value_name = "R", default_value_t = 0)]
    run: u64,
    /// Output folder (default: output/<scenario name>/trace-<seed>-<run>/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Do not print the chronicle.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    draw: DrawArgs,
}

/// Entry point of the binary: run the command and turn errors into a message and exit status 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(i) = e.downcast_ref::<shards::Interrupted>() {
                eprintln!("{i}");
                return ExitCode::from(shards::INTERRUPTED_EXIT);
            }
            if let Some(se) = e.downcast_ref::<ScenarioError>() {
                for p in &se.problems {
                    eprintln!("error: {p}");
                }
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

/// `--runs` must be within the same range as a scenario's `runs`.
pub(crate) fn check_runs(runs: u64) -> Result<()> {
    let max = crate::scenario::MAX_RUNS;
    if !(1..=max).contains(&runs) {
        bail!("--runs: {runs} is out of range (allowed: 1 ..= {max})");
    }
    Ok(())
}

/// The largest `--threads` accepted.
pub const MAX_THREADS: usize = 1024;

/// `--threads` must be 1 ..= [`MAX_THREADS`] when given.
pub(crate) fn check_threads(threads: Option<usize>) -> Result<()> {
    match threads {
        Some(t) if !(1..=MAX_THREADS).contains(&t) => {
            bail!("--threads: {t} is out of range (allowed: 1 ..= {MAX_THREADS})")
        }
        _ => Ok(()),
    }
}

/// Write to standard output; a closed pipe (`jinsong … | head`) is not an error.
pub(crate) fn emit(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to standard output")
        }
        _ => Ok(()),
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(a) => run(a),
        Command::Check(a) => check(a),
        Command::Trace(a) => trace(a),
        Command::Score(a) => hypothesis::score(a),
        Command::Calibrate(a) => hypothesis::calibrate_command(a),
        Command::Compare(a) => hypothesis::compare_command(a),
        Command::Attribute(a) => hypothesis::attribute_command(a),
        Command::Sweep(a) => study::sweep_command(a),
        Command::Sensitivity(a) => study::sensitivity_command(a),
        Command::Plot(a) => plot(a),
        Command::Merge(a) => shards::merge(a),
    }
}

/// Load (or take the embedded baseline), apply overrides, validate.
pub fn load(path: Option<&Path>, set: &[String]) -> Result<LoadedScenario> {
    let overrides = set
        .iter()
        .map(|s| s.parse::<Override>().map_err(|e| anyhow::anyhow!("--set: {e}")))
        .collect::<Result<Vec<_>>>()?;
    let mut loaded = match path {
        Some(p) => LoadedScenario::read(p)?,
        None => LoadedScenario::baseline()?,
    };
    loaded.validate()?;
    loaded.apply_overrides(&overrides)?;
    loaded.validate()?;
    Ok(loaded)
}

fn run(a: RunArgs) -> Result<()> {
    let loaded = load(a.scenario.scenario.as_deref(), &a.scenario.set)?;
    let sc = &loaded.scenario;
    let runs = a.runs.unwrap_or(sc.runs);
    check_runs(runs)?;
    check_threads(a.threads)?;
    let seed = a.seed.unwrap_or(sc.seed);
    let chart_options = a.draw.options()?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&sc.name));
    let shard = a.long.shard();
    let identity = shards::run_identity(sc, seed, runs, shard)?;
    // Checked before any work is done; the results are staged again when they are written.
    drop(Staging::prepare(&out)?);
    let model = Model::compile(sc);
    let range = shard.range(runs);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let bar = progress_bar(range.end - range.start, a.quiet);
    let tally = shards::drive(
        &identity,
        &a.long,
        &out,
        range.end - range.start,
        wave_runs(pool.current_num_threads()),
        Tally::new(&model),
        &|t: &Tally| t.fits(&model),
        &mut |items, tally: &mut Tally| {
            if bar.position() == 0 {
                bar.set_position(items.start);
            }
            let batch = Batch {
                model: &model,
                seed,
                first_run: range.start + items.start,
                runs: items.end - items.start,
            };
            tally.merge(&pool.install(|| batch.run(&|n| bar.inc(n))));
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    if a.long.shard.is_some() {
        return shards::write_part(&identity, &out, tally, a.quiet);
    }
    finish_run(
        &model,
        seed,
        &tally,
        Staging::prepare(&out)?,
        chart_options.as_ref(),
        a.quiet,
    )?;
    shards::remove_checkpoint(&out, shard);
    Ok(())
}

/// Write what `run` writes from a batch's counts (`summary.json`, `onset_curve.csv`, charts)
/// and print the table: the single-machine `run` and `merge` of its parts both end here.
pub(crate) fn finish_run(
    model: &Model,
    seed: u64,
    tally: &Tally,
    staging: Staging,
    chart_options: Option<&ChartOptions>,
    quiet: bool,
) -> Result<()> {
    let summary = Summary::new(model, seed, tally);
    staging.write("summary.json", summary.to_json().as_bytes())?;
    let curve = onset_curve_csv(model, tally);
    staging.write("onset_curve.csv", curve.as_bytes())?;
    let mut charts = Vec::new();
    if let Some(opts) = chart_options {
        match parse_onset_curve(&curve) {
            Ok(rows) => charts = write_charts(&staging, render_run_charts(&summary, &rows, opts)),
            Err(e) => eprintln!("warning: no charts: onset_curve.csv: {e}"),
        }
    }
    let dir = staging.commit()?;
    if !quiet {
        let charts = charts_note(&charts);
        emit(&format!(
            "{}: {} runs, seed {}, {} .. {}\n{}wrote {}/summary.json and onset_curve.csv{charts}\n",
            summary.scenario,
            tally.runs,
            seed,
            summary.start,
            summary.end,
            summary.table(),
            dir.display()
        ))?;
    }
    Ok(())
}

fn plot(a: PlotArgs) -> Result<()> {
    let opts = a.charts.options()?;
    // Draw everything before writing anything.
    let drawn = render_folder(&a.dir, &opts)?;
    let staging = Staging::prepare(&a.dir)?;
    for (file, bytes) in &drawn {
        staging.write(file, bytes)?;
    }
    let dir = staging.commit()?;
    let names: Vec<&str> = drawn.iter().map(|(f, _)| f.as_str()).collect();
    emit(&format!("wrote {}/{}\n", dir.display(), names.join(", ")))
}

/// A progress bar on stderr for long batches on a terminal; hidden otherwise.
pub(crate) fn progress_bar(runs: u64, quiet: bool) -> ProgressBar {
    if quiet || runs < 20_000 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(runs), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} {msg} [{wide_bar}] {human_pos}/{human_len} runs · {per_sec} · ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message("simulating");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn check(a: CheckArgs) -> Result<()> {
    let loaded = load(Some(&a.scenario), &a.set)?;
    let sc = &loaded.scenario;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: scenario `{}`, {} .. {}, seed {}, {} runs",
        a.scenario.display(),
        sc.name,
        sc.start,
        sc.end,
        sc.seed,
        sc.runs
    );
    let off: Vec<&str> = crate::scenario::Mechanisms::NAMES
        .iter()
        .copied()
        .filter(|n| {
            let mut m = sc.mechanisms;
            m.switch_mut(n).is_some_and(|s| !*s)
        })
        .collect();
    let _ = writeln!(
        out,
        "mechanisms: all on{}",
        if off.is_empty() {
            String::new()
        } else {
            format!(" except {}", off.join(", "))
        }
    );
    for p in &sc.polities {
        let _ = writeln!(
        out,
            "polity {:<8} {:<14} strength {:.2} potential {:.2} mobilization {:.2} lag {} stability {:.2} fear_gain {} fear_decay {} war_threshold {} war_propensity {} greed {} isolation {} rigidity {}",
            p.id, p.name, p.strength, p.potential, p.mobilization, p.mobilization_lag, p.stability,
            p.fear_gain, p.fear_decay, p.war_threshold, p.war_propensity, p.greed, p.isolation, p.status_rigidity
        );
    }
    for r in &sc.relations {
        let _ = writeln!(
        out,
            "relation {:>8} → {:<8} contact {:.2} trust {:.2} fear {:.2} grievance {} provocation_rate {} restraint {}",
            r.from, r.to, r.contact, r.trust, r.fear, r.grievance, r.provocation_rate, r.restraint
        );
    }
    for s in &sc.statuses {
        let _ = writeln!(out, "status {}–{}: {:?}", s.a, s.b, s.status);
    }
    for e in &sc.events {
        let to = e.to.unwrap_or(e.from);
        let _ = writeln!(
            out,
            "event {:<18} {} ..= {} p={} effects={}",
            e.id,
            e.from,
            to,
            e.probability,
            e.effects.len()
        );
    }
    let _ = writeln!(
        out,
        "ok: {} polities, {} relations, {} events",
        sc.polities.len(),
        sc.relations.len(),
        sc.events.len()
    );
    emit(&out)
}

fn trace(a: TraceArgs) -> Result<()> {
    let loaded = load(a.scenario.scenario.as_deref(), &a.scenario.set)?;
    let sc = &loaded.scenario;
    let seed = a.seed.unwrap_or(sc.seed);
    let chart_options = a.draw.options()?;
    let out = a.out.clone().unwrap_or_else(|| {
        Path::new("output")
            .join(&sc.name)
            .join(format!("trace-{seed}-{}", a.run))
    });
    let staging = Staging::prepare(&out)?;
    let model = Model::compile(sc);
    let mut ws = Workspace::new(&model);
    let mut chronicle = Chronicle::new(&model);
    simulate(&model, seed, a.run, &mut ws, &mut chronicle);
    let outcome = TracedOutcome::new(&model, seed, a.run, &ws.outcome);
    let header = format!(
        "{}: run {} of seed {}, {} .. {}\n",
        sc.name, a.run, seed, sc.start, sc.end
    );
    let text = format!("{header}{}", chronicle.text());
    staging.write("chronicle.txt", text.as_bytes())?;
    staging.write("trace.csv", chronicle.csv.as_bytes())?;
    let mut json = serde_json::to_string_pretty(&outcome).context("cannot encode outcome.json")?;
    json.push('\n');
    staging.write("outcome.json", json.as_bytes())?;
    staging.write("events.csv", chronicle.events.as_bytes())?;
    let mut charts = Vec::new();
    if let Some(opts) = &chart_options {
        match parse_trace(&chronicle.csv).and_then(|rows| Ok((rows, parse_trace_events(&chronicle.events)?)))
        {
            Ok((rows, events)) => charts = write_charts(&staging, render_trace_charts(&rows, &events, opts)),
            Err(e) => eprintln!("warning: no charts: trace.csv: {e}"),
        }
    }
    let dir = staging.commit()?;
    if !a.quiet {
        emit(&format!(
            "{text}wrote {}/chronicle.txt, trace.csv, events.csv and outcome.json{}\n",
            dir.display(),
            charts_note(&charts)
        ))?;
    }
    Ok(())
}
