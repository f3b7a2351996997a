//! The command line: arguments ([`args`]), the one driver of every study ([`batch`]), the
//! set-up of each batch command ([`commands`]), and here `check`, `trace` and `plot`.
//!
//! This layer only parses arguments, loads inputs, dispatches and writes files; the model, the
//! batches and the studies live in the rest of the library.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub mod args;
pub mod batch;
pub mod commands;

use crate::batch::driver::{DriveError, INTERRUPTED_EXIT};
use crate::charts::{draw_trace, render_folder, MemoryFiles, Rendered};
use crate::engine::chronicle::{Chronicle, TracedOutcome};
use crate::engine::{simulate, Workspace};
use crate::model::Model;
use crate::output::{Lock, LockMode, Staging};
use crate::scenario::{LoadedScenario, Override, ScenarioError};
use crate::study::StudyError;
use args::{CheckArgs, Cli, Command, PlotArgs, TraceArgs};

/// The pattern file used when `--patterns` is not given, under the name it is reported by.
pub const DEFAULT_PATTERNS: &str = "scenarios/patterns/history.ron";

/// Its text, embedded in the binary as the baseline is, so that `score` and `calibrate` work
/// from any folder.
const DEFAULT_PATTERNS_RON: &str = include_str!("../../scenarios/patterns/history.ron");

/// `--patterns FILE…` read (several are joined, see [`crate::patterns::PatternSet::join`]), or
/// the embedded default: the patterns and the name they are reported by.
pub(crate) fn patterns_of(files: &[PathBuf]) -> Result<(crate::patterns::PatternSet, String)> {
    use crate::patterns::PatternSet;
    if files.is_empty() {
        return Ok((
            PatternSet::parse(DEFAULT_PATTERNS, DEFAULT_PATTERNS_RON)?,
            DEFAULT_PATTERNS.to_string(),
        ));
    }
    let sets = files
        .iter()
        .map(|p| Ok((crate::text::path(p), PatternSet::read(p)?)))
        .collect::<Result<Vec<_>>>()?;
    let name = sets
        .iter()
        .map(|(f, _)| f.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    Ok((PatternSet::join(sets)?, name))
}

/// Turning points `trace` prints without `--full`.
const TRACE_TURNING_POINTS: usize = 40;

/// The largest `--threads` accepted.
pub const MAX_THREADS: usize = 1024;

/// Entry point of the binary: run the command and turn errors into a message and exit status 1
/// (130 after Ctrl-C). Every message to standard error passes through
/// [`crate::text::quiet_message`] (clap's through [`crate::text::quiet_library_message`]): no
/// control character and no endless line of user text reaches the terminal.
pub fn main() -> ExitCode {
    catch_file_size_limit();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    let Err(e) = dispatch(cli) else {
        return ExitCode::SUCCESS;
    };
    if let Some(DriveError::Interrupted(message)) = e.downcast_ref::<DriveError>() {
        say(message);
        return ExitCode::from(INTERRUPTED_EXIT);
    }
    let problems = match (e.downcast_ref::<ScenarioError>(), e.downcast_ref::<StudyError>()) {
        (Some(se), _) | (None, Some(StudyError::Pattern(se))) => Some(se),
        _ => None,
    };
    match problems {
        Some(se) => se.problems.iter().for_each(|p| say(&format!("error: {p}"))),
        None => say(&format!("error: {e:#}")),
    }
    ExitCode::FAILURE
}

/// Set when the process went past its file size limit (`ulimit -f`).
#[cfg(unix)]
static FILE_SIZE_LIMIT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Handle SIGXFSZ (a write past the file size limit of `ulimit -f`) instead of dying of it
/// silently: the write then fails with EFBIG ("File too large"), and the ordinary error path
/// reports it in one line, removes its staging folder and keeps earlier results.
fn catch_file_size_limit() {
    #[cfg(unix)]
    if let Err(e) = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, &FILE_SIZE_LIMIT) {
        eprintln!("warning: a file size limit (ulimit -f) would stop jinsong without a message: {e}");
    }
}

/// Print `message` to standard error through [`crate::text::quiet_message`].
pub(crate) fn say(message: &str) {
    eprintln!("{}", crate::text::quiet_message(message));
}

/// Print a warning to standard error (through [`say`]).
pub(crate) fn warn(message: &str) {
    say(&format!("warning: {message}"));
}

/// Clap's answer to arguments it cannot parse (or to `--help`, `--version`): help and version on
/// standard output as clap writes them; an error, with the user's text in it escaped and clipped,
/// on standard error with clap's exit status.
fn clap_exit(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let code = u8::try_from(e.exit_code()).unwrap_or(2);
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = emit(&e.render().to_string());
        return ExitCode::from(code);
    }
    let text = e.render().to_string();
    let quiet = match e.kind() {
        // Help on stderr (no subcommand given): no user text in it.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => crate::text::quiet_message(&text),
        _ => crate::text::quiet_library_message(&text),
    };
    eprint!("{quiet}");
    ExitCode::from(code)
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(a) => commands::run(a),
        Command::Check(a) => check(a),
        Command::Trace(a) => trace(a),
        Command::Score(a) => commands::score(a),
        Command::Calibrate(a) => commands::calibrate(a),
        Command::Compare(a) => commands::compare(a),
        Command::Attribute(a) => commands::attribute(a),
        Command::Sweep(a) => commands::sweep(a),
        Command::Sensitivity(a) => commands::sensitivity(a),
        Command::Evidence(a) => commands::evidence(a),
        Command::Robustness(a) => commands::robustness(a),
        Command::Merge(a) => commands::merge(a),
        Command::Plot(a) => plot(a),
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

/// Draw the priors of `sc` from the posterior sample in `dir` (`--posterior`), checking that it
/// fits.
pub(crate) fn attach_posterior(sc: &mut crate::scenario::Scenario, dir: Option<&Path>) -> Result<()> {
    let Some(dir) = dir else { return Ok(()) };
    let sample = crate::scenario::prior::read_posterior_sample(dir, &sc.name)?;
    sc.posterior = Some(sample);
    let problems = crate::scenario::validate(sc);
    if let Some(p) = problems.first() {
        bail!("--posterior {}: {}", crate::text::path(dir), p.message);
    }
    Ok(())
}

/// `--runs` must be within the same range as a scenario's `runs`.
pub(crate) fn check_runs(runs: u64) -> Result<()> {
    let max = crate::scenario::MAX_RUNS;
    if !(1..=max).contains(&runs) {
        bail!("--runs: {runs} is out of range (allowed: 1 ..= {max})");
    }
    Ok(())
}

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
            Err(e) => warn(&format!("{e:#}")),
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

/// A progress bar on stderr for long batches on a terminal; hidden otherwise.
pub(crate) fn progress_bar(runs: u64, quiet: bool) -> ProgressBar {
    if quiet || runs < 20_000 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(runs), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} {msg} [{wide_bar}] {human_pos}/{human_len} runs · {rate} · ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0} runs/s", state.per_sec());
        },
    )
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message("simulating");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn plot(a: PlotArgs) -> Result<()> {
    let opts = a.charts.options()?;
    // Draw everything before writing anything.
    let dir = crate::output::resolve(&a.dir)?;
    // A folder that is not there is reported by the reading below, without a lock file.
    let _lock = match dir.is_dir() {
        true => Some(Lock::acquire(&dir, LockMode::Exclusive, &batch::command_line())?),
        false => None,
    };
    let drawn = render_folder(&dir, &opts)?;
    let staging = Staging::prepare(&dir)?;
    for (file, bytes) in &drawn {
        staging.write(file, bytes)?;
    }
    let dir = staging.commit()?;
    let names: Vec<&str> = drawn.iter().map(|(f, _)| f.as_str()).collect();
    emit(&format!(
        "wrote {}/{}\n",
        crate::text::path(&dir),
        names.join(", ")
    ))
}

/// `jinsong check PATTERNS`: the patterns checked against a scenario, each rule in words.
fn check_patterns(a: &CheckArgs) -> Result<()> {
    let file = crate::text::path(&a.scenario);
    let patterns = crate::patterns::PatternSet::read(&a.scenario)?;
    let loaded = load(a.against.as_deref(), &a.set)?;
    patterns.compile(&file, &Model::compile(&loaded.scenario))?;
    let mut out = format!(
        "{file}: {} patterns, checked against scenario `{}`\n",
        patterns.patterns.len(),
        loaded.scenario.name
    );
    for p in &patterns.patterns {
        let _ = writeln!(out, "{}: {}", p.name, p.rule.words());
    }
    emit(&out)
}

fn check(a: CheckArgs) -> Result<()> {
    let head = crate::scenario::read_input(&a.scenario, "file")
        .map(|t| crate::patterns::PatternSet::is_pattern_file(&t));
    if head.unwrap_or(false) {
        return check_patterns(&a);
    }
    let loaded = load(Some(&a.scenario), &a.set)?;
    let mut text = loaded.scenario.describe(&crate::text::path(&a.scenario));
    let filled = loaded.defaults_filled();
    if !filled.is_empty() {
        text.push_str("defaults filled in for the fields added after version 1 that the file leaves out:\n");
        for line in filled {
            text.push_str("  ");
            text.push_str(&line);
            text.push('\n');
        }
    }
    emit(&text)
}

fn trace(a: TraceArgs) -> Result<()> {
    let mut loaded = load(a.scenario.scenario.as_deref(), &a.scenario.set)?;
    attach_posterior(&mut loaded.scenario, a.posterior.posterior.as_deref())?;
    let sc = &loaded.scenario;
    let seed = a.seed.unwrap_or(sc.seed);
    let chart_options = a.draw.options()?;
    let out = a.out.clone().unwrap_or_else(|| {
        Path::new("output")
            .join(&sc.name)
            .join(format!("trace-{seed}-{}", a.run))
    });
    let out = crate::output::resolve(&out)?;
    // Checked before the claim (which removes leftover staging folders), staged again after.
    drop(Staging::prepare(&out)?);
    let _lock = Lock::acquire(&out, LockMode::Exclusive, &batch::command_line())?;
    let mut staging = Staging::prepare(&out)?;
    let names = ["chronicle.txt", "trace.csv", "outcome.json", "events.csv"];
    batch::check_destinations(&out, &names)?;
    let model = Model::compile(sc);
    let mut ws = Workspace::new(&model);
    let mut chronicle = Chronicle::new(&model);
    simulate(&model, seed, a.run, &mut ws, &mut chronicle);
    let mut outcome = TracedOutcome::new(&model, seed, a.run, &ws.outcome);
    outcome.parameters = model
        .priors
        .iter()
        .zip(ws.drawn())
        .map(|(p, &v)| (p.path.clone(), v))
        .collect();
    let mut header = format!(
        "{}: run {} of seed {}, {} .. {}\n",
        sc.name, a.run, seed, sc.start, sc.end
    );
    if !model.priors.is_empty() {
        let source = match &sc.posterior {
            Some(p) => format!("from the posterior sample of {}", p.from),
            None => "from its priors".to_string(),
        };
        header.push_str(&format!("values this run drew {source}:\n"));
        for (p, v) in model.priors.iter().zip(ws.drawn()) {
            header.push_str(&format!("  {} = {v} (prior {})\n", p.path, p.dist));
        }
    }
    let text = format!("{header}{}", chronicle.text());
    let mut json = serde_json::to_string_pretty(&outcome).context("cannot encode outcome.json")?;
    json.push('\n');
    let files: Vec<(String, Vec<u8>)> = vec![
        ("chronicle.txt".into(), text.clone().into_bytes()),
        (
            "trace.csv".into(),
            std::mem::take(&mut chronicle.csv).into_bytes(),
        ),
        ("outcome.json".into(), json.into_bytes()),
        (
            "events.csv".into(),
            std::mem::take(&mut chronicle.events).into_bytes(),
        ),
    ];
    for (name, bytes) in &files {
        staging.write(name, bytes)?;
    }
    let mut charts = Vec::new();
    if let Some(opts) = &chart_options {
        match draw_trace(&MemoryFiles(&files), opts) {
            Ok(rendered) => charts = write_charts(&staging, rendered),
            Err(e) => warn(&format!("no charts: {e}")),
        }
    }
    let trace_charts = crate::charts::chart_files_of(&crate::charts::TRACE_CHARTS);
    let stale = batch::drop_stale_charts(&mut staging, trace_charts, &charts);
    let dir = staging.commit()?;
    if !stale.is_empty() {
        eprintln!(
            "note: removed the charts of an earlier trace from {}: {}",
            dir.display(),
            stale.join(", ")
        );
    }
    if !a.quiet {
        let told = match a.full {
            true => text,
            false => format!(
                "{header}{}",
                chronicle.summary(TRACE_TURNING_POINTS, &dir.join("chronicle.txt"))
            ),
        };
        emit(&format!(
            "{told}wrote {}/chronicle.txt, trace.csv, events.csv and outcome.json{}\n",
            crate::text::path(&dir),
            charts_note(&charts)
        ))?;
    }
    Ok(())
}

/// The default output folder `output/<name>`, or `--out`.
pub(crate) fn out_or(out: &Option<PathBuf>, default: &str) -> PathBuf {
    out.clone().unwrap_or_else(|| Path::new("output").join(default))
}
