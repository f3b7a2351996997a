//! The batch commands: each turns its arguments into a study's settings and hands the study to
//! the one driver ([`super::batch`]); `merge` dispatches part files on their kind.

use anyhow::{anyhow, bail, Context, Result};

use super::args::{
    AttributeArgs, BatchArgs, CalibrateArgs, CompareArgs, EvidenceArgs, MergeArgs, OutcomeArgs,
    RobustnessArgs, RunArgs, ScoreArgs, SensitivityArgs, SweepArgs,
};
use super::batch::{merge_parts, run_study, Plan};
use super::{attach_posterior, check_runs, load, out_or};
use crate::batch::merge::{check_parts, PartFile};
use crate::calendar::Month;
use crate::model::Model;
use crate::scenario::{list_ids, LoadedScenario, Scenario};
use crate::study::attribute::{AttributeSettings, AttributeStudy};
use crate::study::calibrate::{CalibrateSettings, CalibrateStudy};
use crate::study::compare::{CompareSettings, CompareStudy};
use crate::study::dyad::{by_offset, resolve_dyad};
use crate::study::evidence::{EvidenceSettings, EvidenceStudy};
use crate::study::robustness::{PanelFile, RobustnessStudy};
use crate::study::run::{RunSettings, RunStudy};
use crate::study::score::{ScoreSettings, ScoreStudy};
use crate::study::sensitivity::{
    check_ranges, parameter_design, SaltelliDesign, SensitivitySettings, SensitivityStudy,
};
use crate::study::sweep::{design, Sample, Sweep, SweepSettings, SweepStudy, Vary};
use crate::study::{Study, StudyKind};
use crate::text::quote;

/// Runs per point of a sweep, and per evaluation of a sensitivity analysis, without `--runs`:
/// a design has many points, so these are smaller than a scenario's `runs`.
const SWEEP_RUNS: u64 = 2000;
/// See [`SWEEP_RUNS`].
const SENSITIVITY_RUNS: u64 = 500;

/// The pair counted when `--dyad` is not given.
const DEFAULT_DYAD: &str = "jin,song";

/// `--runs` and `--seed`, or the scenarios' own `runs` and `seed` (which must then agree: runs
/// of every scenario share their random numbers).
fn runs_and_seed(batch: &BatchArgs, scenarios: &[&Scenario]) -> Result<(u64, u64)> {
    let agreed = |what: &str, value: fn(&Scenario) -> u64| -> Result<u64> {
        let first = value(scenarios[0]);
        if let Some(other) = scenarios.iter().find(|sc| value(sc) != first) {
            bail!(
                "--{what}: the scenarios disagree (`{}` has {what} {first}, `{}` has {}); give --{what}",
                scenarios[0].name,
                other.name,
                value(other)
            );
        }
        Ok(first)
    };
    let runs = match batch.runs {
        Some(r) => r,
        None => agreed("runs", |sc| sc.runs)?,
    };
    check_runs(runs)?;
    let seed = match batch.seed {
        Some(s) => s,
        None => agreed("seed", |sc| sc.seed)?,
    };
    Ok((runs, seed))
}

/// The plan of a batch command: `--out` (or `output/<default>`, resolved by
/// [`crate::output::resolve`]), charts, no `--write`.
fn plan(batch: &BatchArgs, default_out: &str, charts: Option<crate::charts::ChartOptions>) -> Result<Plan> {
    Ok(Plan {
        out: crate::output::resolve(&out_or(&batch.out, default_out))?,
        charts,
        write: None,
        quiet: batch.quiet,
    })
}

/// `--dyad` and `--by` resolved against `model` (read from `file`): the polity indices and the
/// month offset (default: the last month).
fn outcome_of(args: &OutcomeArgs, model: &Model, file: &str) -> Result<((usize, usize), u32)> {
    let dyad = match &args.dyad {
        Some(text) => resolve_dyad(model, text)?,
        None => resolve_dyad(model, DEFAULT_DYAD).map_err(|_| {
            let pairs: Vec<String> = model
                .dyads
                .iter()
                .map(|&(a, b)| format!("{},{}", model.ids[a], model.ids[b]))
                .collect();
            anyhow!(
                "--dyad: not given, and {file} has no pair {DEFAULT_DYAD} to default to; its pairs: {}",
                list_ids(&pairs, " ")
            )
        })?,
    };
    let by = match &args.by {
        None => model.months - 1,
        Some(text) => {
            let month: Month = text.parse().map_err(|e| anyhow!("--by: {e}"))?;
            by_offset(model, month)?
        }
    };
    Ok((dyad, by))
}

/// Load scenario files as given (no overrides).
fn load_all(paths: &[std::path::PathBuf]) -> Result<Vec<LoadedScenario>> {
    paths.iter().map(|p| load(Some(p), &[])).collect()
}

/// `jinsong run`.
pub fn run(a: RunArgs) -> Result<()> {
    let loaded = load(a.scenario.scenario.as_deref(), &a.scenario.set)?;
    let mut sc = loaded.scenario;
    attach_posterior(&mut sc, a.posterior.posterior.as_deref())?;
    let (runs, seed) = runs_and_seed(&a.batch, &[&sc])?;
    let plan = plan(&a.batch, &sc.name.clone(), a.draw.options()?)?;
    let study = RunStudy::new(RunSettings { runs, scenario: sc }, seed)?;
    run_study(&study, &a.batch, plan)
}

/// `jinsong score`.
pub fn score(a: ScoreArgs) -> Result<()> {
    let charts = a.draw.options()?;
    let (patterns, patterns_file) = super::patterns_of(&a.patterns)?;
    let mut scenarios: Vec<Scenario> = load_all(&a.scenarios)?.into_iter().map(|l| l.scenario).collect();
    for sc in &mut scenarios {
        attach_posterior(sc, a.posterior.posterior.as_deref())?;
    }
    let (runs, seed) = runs_and_seed(&a.batch, &scenarios.iter().collect::<Vec<_>>())?;
    let settings: ScoreSettings = ScoreStudy::settings_for(&patterns_file, &patterns, scenarios, runs)?;
    let study = ScoreStudy::with_patterns(settings, seed, &patterns)?;
    run_study(&study, &a.batch, plan(&a.batch, StudyKind::Score.name(), charts)?)
}

/// `jinsong evidence`.
pub fn evidence(a: EvidenceArgs) -> Result<()> {
    let charts = a.draw.options()?;
    let (patterns, patterns_file) = super::patterns_of(&a.patterns)?;
    let mut scenarios: Vec<Scenario> = load_all(&a.scenarios)?.into_iter().map(|l| l.scenario).collect();
    for sc in &mut scenarios {
        attach_posterior(sc, a.posterior.posterior.as_deref())?;
    }
    let mut names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        bail!(
            "two readings are named `{}`: evidence needs a name for each",
            w[0]
        );
    }
    let (runs, seed) = runs_and_seed(&a.batch, &scenarios.iter().collect::<Vec<_>>())?;
    let odds = match &a.prior_odds {
        None => Vec::new(),
        Some(text) => parse_prior_odds(text, scenarios.len())?,
    };
    let settings: EvidenceSettings =
        EvidenceStudy::settings_for(&patterns_file, &patterns, scenarios, runs, odds, a.sample)?;
    let study = EvidenceStudy::with_patterns(settings, seed, &patterns)?;
    run_study(
        &study,
        &a.batch,
        plan(&a.batch, StudyKind::Evidence.name(), charts)?,
    )
}

/// `jinsong robustness`: the panel file read and checked, its readings and patterns read
/// (relative to it; `--patterns` replaces its patterns), every variant applied and checked,
/// before any run.
pub fn robustness(a: RobustnessArgs) -> Result<()> {
    let charts = a.draw.options()?;
    let panel_file = crate::text::path(&a.panel);
    let text = crate::scenario::read_input(&a.panel, "panel file")?;
    let panel = PanelFile::parse(&panel_file, &text)?;
    let dir = a.panel.parent().unwrap_or(std::path::Path::new(""));
    let scenarios: Vec<Scenario> = panel
        .readings
        .iter()
        .map(|r| load(Some(&dir.join(r)), &[]).map(|l| l.scenario))
        .collect::<Result<_>>()?;
    let pattern_paths: Vec<std::path::PathBuf> = if a.patterns.is_empty() {
        panel.patterns.iter().map(|p| dir.join(p)).collect()
    } else {
        a.patterns.clone()
    };
    let (patterns, patterns_file) = super::patterns_of(&pattern_paths)?;
    let (runs, seed) = runs_and_seed(&a.batch, &scenarios.iter().collect::<Vec<_>>())?;
    let settings = RobustnessStudy::settings_for(
        &panel_file,
        &text,
        &panel,
        scenarios,
        &patterns_file,
        &patterns,
        runs,
        !a.no_reweight,
    )?;
    let study = RobustnessStudy::with_patterns(settings, seed, &patterns)?;
    run_study(
        &study,
        &a.batch,
        plan(&a.batch, StudyKind::Robustness.name(), charts)?,
    )
}

/// `--prior-odds A:B:…`: one positive finite number per reading.
pub fn parse_prior_odds(text: &str, readings: usize) -> Result<Vec<f64>> {
    let odds: Vec<f64> = text
        .split(':')
        .map(|w| crate::study::evidence::prior_odds_value(w.trim()))
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| {
            anyhow!(
                "--prior-odds: {} is not positive numbers separated by `:`",
                quote(text)
            )
        })?;
    if odds.len() != readings {
        bail!(
            "--prior-odds: {} numbers given for {} readings (one each)",
            odds.len(),
            readings
        );
    }
    Ok(odds)
}

/// Refuse a `calibrate --write` target that is a folder, whose folder does not exist (none is
/// created), that is a file the scenario is read from (the scenario or a base of its chain
/// of variants: the written variant would have itself as its base), one of the command's own
/// result files, or anything [`crate::output::check_user_destination`] refuses (any file the
/// command reads, a link, a special file, a batch's checkpoint or part file); and claim the
/// target's folder when another command may hold it (a lock file is beside it). Returns that
/// claim, to be held until the variant is written.
fn check_write(
    write: &std::path::Path,
    chain: &[std::path::PathBuf],
    out: &std::path::Path,
) -> Result<Option<crate::output::Lock>> {
    if write.is_dir() {
        bail!(
            "--write: {} is a folder; give a file name",
            crate::text::path(write)
        );
    }
    let folder = match write.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let own: Vec<(String, Vec<u8>)> = StudyKind::Calibrate
        .result_files()
        .iter()
        .map(|f| (f.to_string(), Vec::new()))
        .collect();
    super::batch::check_own_result(write, out, &own)?;
    let name = write.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    if crate::output::guard::is_state_name(&name) {
        bail!(
            "--write: {}: its name is that of a batch's checkpoint or part file; write elsewhere",
            write.display()
        );
    }
    if !folder.is_dir() {
        // Only the output folder, which the command creates, may not exist yet.
        if crate::output::resolve(folder)? != out {
            bail!(
                "--write: the folder {} does not exist (it is not created)",
                crate::text::path(folder)
            );
        }
        return Ok(None);
    }
    let target = std::fs::canonicalize(folder)?.join(write.file_name().unwrap_or_default());
    if let Some(read) = chain
        .iter()
        .find(|f| std::fs::canonicalize(f).ok().as_ref() == Some(&target))
    {
        bail!(
            "--write: {} is {}, which the scenario is read from; write the calibrated variant elsewhere",
            crate::text::path(write),
            crate::text::path(read)
        );
    }
    crate::output::check_user_destination(write)
        .map_err(|e| anyhow!("--write: {}: {}", write.display(), e.source))?;
    let claim = match std::fs::canonicalize(out).ok() == std::fs::canonicalize(folder).ok() {
        true => None,
        false => {
            crate::output::Lock::if_claimed(&std::fs::canonicalize(folder)?, &super::batch::command_line())?
        }
    };
    Ok(claim)
}

/// `jinsong calibrate`.
pub fn calibrate(a: CalibrateArgs) -> Result<()> {
    let (patterns, patterns_file) = super::patterns_of(&a.patterns)?;
    let loaded = load(Some(&a.scenario), &[])?;
    let (runs, seed) = runs_and_seed(&a.batch, &[&loaded.scenario])?;
    let chain = loaded.chain().to_vec();
    let scenario_file = std::fs::canonicalize(&a.scenario)
        .with_context(|| format!("cannot resolve {}", crate::text::path(&a.scenario)))?;
    let settings = CalibrateSettings {
        scenario_arg: a.scenario.display().to_string(),
        scenario_file: scenario_file.display().to_string(),
        scenario: loaded.scenario,
        patterns_file,
        patterns_text: patterns.source().to_string(),
        pattern_files: patterns
            .files()
            .into_iter()
            .map(|(f, _)| f)
            .zip(patterns.sources().into_iter().map(String::from))
            .collect(),
        free: a.free.clone(),
        budget: a.budget,
        runs,
    };
    let default_out = format!("calibrate-{}", settings.scenario.name);
    let study = CalibrateStudy::new(settings, seed)?;
    let mut plan = plan(&a.batch, &default_out, None)?;
    let _claim = match &a.write {
        Some(w) => check_write(w, &chain, &plan.out)?,
        None => None,
    };
    plan.write = a.write;
    run_study(&study, &a.batch, plan)
}

/// `jinsong compare`.
pub fn compare(a: CompareArgs) -> Result<()> {
    let charts = a.draw.options()?;
    let mut scenarios: Vec<Scenario> = load_all(&a.scenarios)?.into_iter().map(|l| l.scenario).collect();
    for sc in &mut scenarios {
        attach_posterior(sc, a.posterior.posterior.as_deref())?;
    }
    let models: Vec<Model> = scenarios.iter().map(Model::compile).collect();
    let (first, first_file) = (&models[0], crate::text::path(&a.scenarios[0]));
    for (m, file) in models.iter().zip(&a.scenarios).skip(1) {
        let file = crate::text::path(file);
        if m.ids != first.ids {
            bail!(
                "{file}: polities [{}] differ from {first_file}'s [{}]; compare needs the same polities in the same order",
                list_ids(&m.ids, ", "),
                list_ids(&first.ids, ", ")
            );
        }
        if m.start != first.start || m.months != first.months {
            let span = |m: &Model| format!("{} ..= {}", m.start, m.month(m.months - 1));
            bail!(
                "{file}: its span {} differs from {first_file}'s {}",
                span(m),
                span(first)
            );
        }
    }
    let (runs, seed) = runs_and_seed(&a.batch, &scenarios.iter().collect::<Vec<_>>())?;
    let (dyad, by) = outcome_of(&a.outcome, first, &first_file)?;
    let settings = CompareSettings {
        runs,
        dyad,
        by,
        scenarios,
    };
    let study = CompareStudy::new(settings, seed)?;
    run_study(
        &study,
        &a.batch,
        plan(&a.batch, StudyKind::Compare.name(), charts)?,
    )
}

/// `jinsong attribute`.
pub fn attribute(a: AttributeArgs) -> Result<()> {
    let charts = a.draw.options()?;
    let mut loaded = load(a.scenario.as_deref(), &[])?;
    attach_posterior(&mut loaded.scenario, a.posterior.posterior.as_deref())?;
    let file = a.scenario.as_ref().map_or(loaded.file.clone(), crate::text::path);
    let (runs, seed) = runs_and_seed(&a.batch, &[&loaded.scenario])?;
    let mechanisms: Vec<String> = a
        .mechanisms
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let names: Vec<&str> = mechanisms.iter().map(String::as_str).collect();
    crate::study::attribute::check_mechanisms(&names)?;
    let (dyad, by) = outcome_of(&a.outcome, &Model::compile(&loaded.scenario), &file)?;
    let default_out = format!("attribute-{}", loaded.scenario.name);
    let settings = AttributeSettings {
        runs,
        mechanisms,
        dyad,
        by,
        scenario: loaded.scenario,
    };
    let study = AttributeStudy::new(settings, seed)?;
    run_study(&study, &a.batch, plan(&a.batch, &default_out, charts)?)
}

fn parse_varies(list: &[String]) -> Result<Vec<Vary>> {
    list.iter()
        .map(|s| s.parse::<Vary>().map_err(anyhow::Error::from))
        .collect()
}

/// `jinsong sweep`.
pub fn sweep(a: SweepArgs) -> Result<()> {
    let charts = a.draw.options()?;
    let loaded = load(a.scenario.scenario.as_deref(), &a.scenario.set)?;
    let sc = loaded.scenario;
    let runs = a.batch.runs.unwrap_or(SWEEP_RUNS);
    check_runs(runs)?;
    let seed = a.batch.seed.unwrap_or(sc.seed);
    let sample: Sample = a.sample.parse()?;
    let design = design(&parse_varies(&a.vary)?, sample, seed)?;
    let model = Model::compile(&sc);
    let pairs: Vec<(String, String)> = match &a.dyad {
        Some(text) => {
            let (i, j) = resolve_dyad(&model, text)?;
            vec![(model.ids[i].clone(), model.ids[j].clone())]
        }
        None => model
            .dyads
            .iter()
            .map(|&(x, y)| (model.ids[x].clone(), model.ids[y].clone()))
            .collect(),
    };
    let by = match &a.by {
        Some(text) => Some(text.parse::<Month>().map_err(|e| anyhow!("--by: {e}"))?),
        None => None,
    };
    let sweep = Sweep {
        design,
        pairs,
        dyads: Vec::new(),
        by,
        by_offset: None,
        runs,
        seed,
        only_by: false,
    };
    let default_out = format!("sweep-{}", sc.name);
    let study = SweepStudy::new(SweepSettings { sweep, scenario: sc }, seed)?;
    run_study(&study, &a.batch, plan(&a.batch, &default_out, charts)?)
}

/// `jinsong sensitivity`.
pub fn sensitivity(a: SensitivityArgs) -> Result<()> {
    let runs = a.batch.runs.unwrap_or(SENSITIVITY_RUNS);
    check_runs(runs)?;
    for (name, value) in [("--samples", a.samples), ("--bootstrap", a.bootstrap)] {
        let lo = if name == "--samples" { 2 } else { 1 };
        if !(lo..=1_000_000).contains(&value) {
            bail!("{name}: {value} is out of range (allowed: {lo} ..= 1000000)");
        }
    }
    let charts = a.draw.options()?;
    let loaded = load(a.scenario.scenario.as_deref(), &a.scenario.set)?;
    let sc = loaded.scenario;
    let seed = a.batch.seed.unwrap_or(sc.seed);
    let varies = parse_varies(&a.vary)?;
    check_ranges(&varies).map_err(|e| anyhow!(e))?;
    let model = Model::compile(&sc);
    let ((i, j), by) = outcome_of(&a.outcome, &model, &loaded.file)?;
    let unit = SaltelliDesign::new(a.samples, varies.len(), seed);
    let sweep = Sweep {
        design: parameter_design(&varies, &unit),
        pairs: vec![(model.ids[i].clone(), model.ids[j].clone())],
        dyads: Vec::new(),
        by: Some(model.month(by)),
        by_offset: None,
        runs,
        seed,
        only_by: true,
    };
    let default_out = format!("sensitivity-{}", sc.name);
    let settings = SensitivitySettings {
        study: SweepSettings { sweep, scenario: sc },
        vary: a.vary.clone(),
        samples: a.samples,
        bootstrap: a.bootstrap,
    };
    let study = SensitivityStudy::new(settings, seed)?;
    run_study(&study, &a.batch, plan(&a.batch, &default_out, charts)?)
}

/// `jinsong merge PART... --out DIR`: check that the parts belong together, add their counts
/// and finish as the command that wrote them would.
pub fn merge(a: MergeArgs) -> Result<()> {
    let charts = a.draw.options()?;
    let files = a
        .parts
        .iter()
        .map(|p| PartFile::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let parts = check_parts(files)?;
    let plan = Plan {
        out: crate::output::resolve(&a.out)?,
        charts,
        write: None,
        quiet: a.quiet,
    };
    match parts[0].part.command {
        StudyKind::Run => merge_parts::<RunStudy>(&parts, plan),
        StudyKind::Score => merge_parts::<ScoreStudy>(&parts, plan),
        StudyKind::Evidence => merge_parts::<EvidenceStudy>(&parts, plan),
        StudyKind::Calibrate => merge_parts::<CalibrateStudy>(&parts, plan),
        StudyKind::Compare => merge_parts::<CompareStudy>(&parts, plan),
        StudyKind::Attribute => merge_parts::<AttributeStudy>(&parts, plan),
        StudyKind::Sweep => merge_parts::<SweepStudy>(&parts, plan),
        StudyKind::Sensitivity => merge_parts::<SensitivityStudy>(&parts, plan),
        StudyKind::Robustness => merge_parts::<RobustnessStudy>(&parts, plan),
    }
}
