//! Checkpoints and `--resume`, with real child processes:
//!
//! - a `run` killed with SIGKILL after it wrote a checkpoint, then resumed, writes the bytes of
//!   an uninterrupted run;
//! - the first SIGINT (Ctrl-C) finishes the wave in flight, writes a checkpoint, says how to
//!   resume and exits with 130; the printed command finishes the run identically;
//! - a checkpoint of another seed, scenario or run count is refused, and so is `--resume`
//!   without a checkpoint;
//! - `compare`, `sweep`, `sensitivity` and `calibrate` killed and resumed match their
//!   uninterrupted results too.

use std::cell::{Cell, RefCell};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use jinsong::batch::checkpoint::Identity;
use jinsong::batch::driver::{drive, settings_of, DriveError, DriveOptions};
use jinsong::batch::merge::{check_parts, PartFile};
use jinsong::batch::part::seal;
use jinsong::batch::shard::Shard;
use jinsong::patterns::PatternSet;
use jinsong::study::calibrate::CalibrateStudy;
use jinsong::study::evidence::EvidenceStudy;
use jinsong::study::run::RunStudy;
use jinsong::study::sweep::SweepStudy;
use jinsong::study::{read_parts, Study};

use crate::common::{bin, jinsong, ok, scenarios_dir, strs, text};
use tempfile::TempDir;

/// `run` of the baseline. 60,000 runs at one thread are long enough to be caught mid-way: a wave
/// is 8,192 runs, so with `--checkpoint-every 0` it writes a checkpoint after each of 7 waves.
fn long(runs: &str, seed: &str, threads: &str) -> Vec<String> {
    [
        "run",
        "--runs",
        runs,
        "--seed",
        seed,
        "--threads",
        threads,
        "--no-charts",
        "--quiet",
    ]
    .map(String::from)
    .to_vec()
}

fn spawn(dir: &Path, out: &str) -> Child {
    let mut args = long("60000", "31", "1");
    args.extend(["--out", out, "--checkpoint-every", "0"].map(String::from));
    bin()
        .current_dir(dir)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start the jinsong binary")
}

/// Wait until `path` exists (the child writes its first checkpoint after one wave).
fn wait_for(path: &Path, child: &mut Child) {
    let start = Instant::now();
    while !path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before writing {}", path.display());
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no checkpoint after 300 s"
        );
        sleep(Duration::from_millis(5));
    }
}

fn done(checkpoint: &Path) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(&fs::read(checkpoint).unwrap()).unwrap();
    v["done"].as_u64().unwrap()
}

/// The uninterrupted run (at two threads: the thread count does not matter either).
fn reference(dir: &Path) {
    let mut args = long("60000", "31", "2");
    args.extend(["--out", "reference"].map(String::from));
    ok(dir, &strs(&args));
}

fn assert_same_results(dir: &Path, resumed: &str) {
    for file in ["summary.json", "onset_curve.csv"] {
        let a = fs::read(dir.join("reference").join(file)).unwrap();
        let b = fs::read(dir.join(resumed).join(file)).unwrap();
        assert!(
            a == b,
            "{file} of the resumed run differs from the uninterrupted run"
        );
    }
    assert!(
        !dir.join(resumed).join("checkpoint.json").exists(),
        "the checkpoint is removed once the results are written"
    );
}

#[test]
fn killed_with_sigkill_then_resumed_equals_the_uninterrupted_run() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let mut child = spawn(dir, "killed");
    let checkpoint = dir.join("killed/checkpoint.json");
    wait_for(&checkpoint, &mut child);
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let at = done(&checkpoint);
    assert!(
        at > 0 && at < 60000 && at.is_multiple_of(256),
        "checkpoint at {at} runs"
    );
    assert!(!dir.join("killed/summary.json").exists());

    // A checkpoint of another batch is refused, in one line, and left in place.
    for (runs, seed, extra, needle) in [
        ("60000", "32", "--checkpoint-every=0", "seed 31, not 32"),
        (
            "60000",
            "31",
            "--set=polities.song.mobilization_lag=2",
            "another scenario",
        ),
        ("70000", "31", "--checkpoint-every=0", "other settings (runs)"),
    ] {
        let mut args = long(runs, seed, "1");
        args.extend(["--out", "killed", "--resume", extra].map(String::from));
        let out = jinsong(dir, &strs(&args));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra}: {err}");
        assert!(
            err.contains("was written by another batch") && err.contains(needle),
            "{err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(checkpoint.exists());
    }

    let mut args = long("60000", "31", "1");
    args.extend(["--out", "killed", "--resume"].map(String::from));
    ok(dir, &strs(&args));
    reference(dir);
    assert_same_results(dir, "killed");
}

#[test]
fn resume_without_a_checkpoint_is_refused() {
    let tmp = TempDir::new().unwrap();
    let mut args = long("60000", "31", "1");
    args.extend(["--out", "nothing", "--resume"].map(String::from));
    let out = jinsong(tmp.path(), &strs(&args));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no checkpoint"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn first_ctrl_c_writes_a_checkpoint_and_says_how_to_resume() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let mut child = spawn(dir, "stopped");
    wait_for(&dir.join("stopped/checkpoint.json"), &mut child);
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("interrupted: "))
        .unwrap_or_else(|| panic!("no `interrupted:` line in {err}"));
    let (counts, command) = line.split_once("; resume with: ").unwrap();
    assert!(counts.ends_with(" of 60000 runs done"), "{line}");
    let at = done(&dir.join("stopped/checkpoint.json"));
    assert_eq!(counts, format!("interrupted: {at} of 60000 runs done"));
    // The printed command (plain words here: no quoting needed) finishes the run.
    let words: Vec<&str> = command.split(' ').collect();
    assert_eq!(words.last(), Some(&"--resume"));
    let resumed = Command::new(words[0])
        .current_dir(dir)
        .args(&words[1..])
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    reference(dir);
    assert_same_results(dir, "stopped");
}

/// Start `args("killed", "1")`, kill it with SIGKILL once its first checkpoint exists, resume it
/// with `args("killed", "2") --resume`, run `args("reference", "2")` uninterrupted, and check that
/// `files` are byte-identical and the checkpoint is gone. The checkpoint must have done strictly
/// between 0 and `items` work items (runs, points or evaluations).
fn killed_then_resumed(dir: &Path, args: &dyn Fn(&str, &str) -> Vec<String>, items: u64, files: &[&str]) {
    let mut child = bin()
        .current_dir(dir)
        .args(args("killed", "1"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let checkpoint = dir.join("killed/checkpoint.json");
    wait_for(&checkpoint, &mut child);
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let at = done(&checkpoint);
    assert!(at > 0 && at < items, "checkpoint at {at} of {items}");
    for file in files {
        assert!(!dir.join("killed").join(file).exists(), "{file} before the end");
    }
    let mut resume = args("killed", "2");
    resume.push("--resume".into());
    ok(dir, &strs(&resume));
    ok(dir, &strs(&args("reference", "2")));
    for file in files {
        let a = fs::read(dir.join("reference").join(file)).unwrap();
        let b = fs::read(dir.join("killed").join(file)).unwrap();
        assert!(
            a == b,
            "{file} of the resumed command differs from the uninterrupted one"
        );
    }
    assert!(
        !checkpoint.exists(),
        "the checkpoint is removed once the results are written"
    );
}

#[test]
fn a_killed_compare_resumes_to_the_uninterrupted_comparison() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let s = scenarios_dir();
    let args = |out: &str, threads: &str| -> Vec<String> {
        vec![
            "compare".into(),
            s.join("baseline.ron").display().to_string(),
            s.join("counterfactuals/no_pingzhou.ron").display().to_string(),
            "--by".into(),
            "1127-12".into(),
            "--runs".into(),
            "40000".into(),
            "--threads".into(),
            threads.into(),
            "--no-charts".into(),
            "--quiet".into(),
            "--out".into(),
            out.into(),
            "--checkpoint-every".into(),
            "0".into(),
        ]
    };
    killed_then_resumed(dir, &args, 40000, &["compare.json", "compare_curves.csv"]);
}

#[test]
fn a_killed_sweep_resumes_to_the_uninterrupted_sweep() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let args = |out: &str, threads: &str| -> Vec<String> {
        [
            "sweep",
            "--vary",
            "relations.jin.song.trust=0.2..0.8:200",
            "--runs",
            "300",
            "--by",
            "1127-12",
            "--threads",
            threads,
            "--no-charts",
            "--quiet",
            "--out",
            out,
            "--checkpoint-every",
            "0",
        ]
        .map(String::from)
        .to_vec()
    };
    killed_then_resumed(dir, &args, 200, &["sweep.csv"]);
}

#[test]
fn a_killed_sensitivity_analysis_resumes_to_the_uninterrupted_one() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let args = |out: &str, threads: &str| -> Vec<String> {
        [
            "sensitivity",
            "--vary",
            "relations.jin.song.trust=0.3..0.7",
            "--vary",
            "polities.jin.fear_gain=0.1..0.4",
            "--samples",
            "96",
            "--runs",
            "150",
            "--by",
            "1127-12",
            "--threads",
            threads,
            "--no-charts",
            "--quiet",
            "--out",
            out,
            "--checkpoint-every",
            "0",
        ]
        .map(String::from)
        .to_vec()
    };
    killed_then_resumed(dir, &args, 96 * 4, &["sensitivity.json"]);
}

#[test]
fn a_killed_calibration_resumes_to_the_uninterrupted_search() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let s = scenarios_dir();
    let (scenario, patterns) = (
        s.join("readings/jurchen_greed.ron").display().to_string(),
        s.join("patterns/history.ron").display().to_string(),
    );
    // 10 evaluations (5 Latin-hypercube points, then the local search) of 4,000 runs each; the
    // checkpoint keeps the evaluations made, and the resumed search replays them.
    let args = |out: &str, threads: &str| -> Vec<String> {
        [
            "calibrate",
            &scenario,
            "--patterns",
            &patterns,
            "--free",
            "polities.jin.war_readiness=0.1..0.9",
            "--free",
            "polities.song.mobilization_lag=2..24",
            "--budget",
            "10",
            "--runs",
            "4000",
            "--seed",
            "3",
            "--threads",
            threads,
            "--quiet",
            "--out",
            out,
            "--checkpoint-every",
            "0",
        ]
        .map(String::from)
        .to_vec()
    };
    killed_then_resumed(dir, &args, 10, &["calibration.csv"]);
}

#[test]
fn a_killed_evidence_resumes_to_the_uninterrupted_one() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let s = scenarios_dir();
    let reading = dir.join("reading.ron");
    let base = s.join("baseline.ron").display().to_string();
    fs::write(
        &reading,
        format!(
            "(base: \"{base}\", name: \"greed_prior\", set: [\"polities.jin.greed=Uniform(0, 0.02)\", \"relations.jin.song.trust=Beta(4, 4)\"])"
        ),
    )
    .unwrap();
    let reading = reading.display().to_string();
    let args = |out: &str, threads: &str| -> Vec<String> {
        [
            "evidence",
            &reading,
            "--runs",
            "30000",
            "--sample",
            "300",
            "--threads",
            threads,
            "--no-charts",
            "--quiet",
            "--out",
            out,
            "--checkpoint-every",
            "0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    killed_then_resumed(
        dir,
        &args,
        30000,
        &["evidence.json", "posterior.json", "posterior_sample.csv"],
    );
}

// ---------------------------------------------------------------------------------------------
// Tamper-evident state: every checkpoint and part carries a SHA-256 digest of its content and of
// the batch's identity, and its counts must fit the runs it claims. The real files are written
// by the real writers: parts by the binary (`--shard K/2`), checkpoints by the driver the
// binary runs (`drive`, stopped after some waves), with the settings the binary wrote.

/// A study whose real checkpoint and parts are on disk, with the checks `--resume` and `merge`
/// make of them (through the same library functions as the binary).
pub(crate) struct Tamper {
    /// Its name (for messages).
    pub name: &'static str,
    /// The command line without `--out`, `--shard` or `--resume`.
    pub args: Vec<String>,
    /// The folder holding its whole batch's `checkpoint.json`.
    pub checkpoint_dir: PathBuf,
    /// Its parts `part-1-of-2.json` and `part-2-of-2.json`.
    pub parts: [PathBuf; 2],
    /// `Some(message)` when `--resume` from `checkpoint_dir` is refused.
    pub resume: Box<dyn Fn() -> Option<String>>,
    /// `Some(message)` when `merge` of the parts is refused.
    pub merge: Box<dyn Fn() -> Option<String>>,
}

fn identity<S: Study>(study: &S) -> Identity {
    Identity::of(
        S::KIND,
        Shard::WHOLE,
        &study.scenarios(),
        study.seed(),
        study.settings(),
    )
    .unwrap()
}

/// Write the whole batch's checkpoint into `out` as the binary does: waves of `wave` items with
/// `--checkpoint-every 0`, stopped before item `stop_at`.
fn write_checkpoint<S: Study>(study: &S, out: &Path, wave: u64, stop_at: u64) {
    let every = DriveOptions {
        checkpoint_every: Duration::ZERO,
        resume: false,
    };
    let items = study.items(false);
    let Err(e) = drive(
        &identity(study),
        every,
        out,
        items,
        wave,
        study.empty(),
        &|c: &S::Counts, done| study.fits(c, 0..done),
        &mut |w, c: &mut S::Counts| {
            anyhow::ensure!(w.start < stop_at, "stopped");
            Ok(study.count(w, c, &|_| {})?)
        },
    ) else {
        panic!("the batch was not stopped");
    };
    assert!(matches!(e, DriveError::Study(_)), "{e}");
    assert!(out.join("checkpoint.json").exists());
}

/// `Some(message)` when `--resume` of `study` from `out` is refused (the binary's path: the
/// checkpoint read, its digest and identity checked, its counts fitted to the runs done).
fn resume_refusal<S: Study>(study: &S, out: &Path) -> Option<String> {
    let options = DriveOptions {
        checkpoint_every: Duration::from_secs(1 << 30),
        resume: true,
    };
    match drive(
        &identity(study),
        options,
        out,
        study.items(false),
        1,
        study.empty(),
        &|c: &S::Counts, done| study.fits(c, 0..done),
        &mut |_, _| anyhow::bail!("accepted"),
    ) {
        Err(e @ (DriveError::Checkpoint(_) | DriveError::Unfit { .. })) => Some(e.to_string()),
        _ => None,
    }
}

/// `Some(message)` when `merge` of `parts` is refused (the binary's path).
fn merge_refusal<S: Study>(parts: &[PathBuf]) -> Option<String> {
    let read = parts
        .iter()
        .map(|p| PartFile::read(p))
        .collect::<Result<Vec<_>, _>>();
    read.and_then(check_parts)
        .and_then(|parts| read_parts::<S>(&parts).map(|_| ()))
        .err()
        .map(|e| e.to_string())
}

/// Run `args` as shards 1/2 and 2/2 into `dir/name-parts`, build the study from the part's
/// settings with `make`, and write its checkpoint into `dir/name-cp`.
fn tamper<S: Study + 'static>(
    dir: &Path,
    name: &'static str,
    args: Vec<String>,
    make: &dyn Fn(&PartFile) -> S,
    wave: u64,
    stop_at: u64,
) -> Tamper {
    let parts_dir = dir.join(format!("{name}-parts"));
    for k in ["1/2", "2/2"] {
        let mut a = args.clone();
        a.extend(["--shard", k, "--out", parts_dir.to_str().unwrap()].map(String::from));
        ok(dir, &strs(&a));
    }
    let parts = [1, 2].map(|k| parts_dir.join(format!("part-{k}-of-2.json")));
    let study = std::sync::Arc::new(make(&PartFile::read(&parts[0]).unwrap()));
    let checkpoint_dir = dir.join(format!("{name}-cp"));
    write_checkpoint(&*study, &checkpoint_dir, wave, stop_at);
    let (s, d) = (study.clone(), checkpoint_dir.clone());
    let p = parts.clone();
    Tamper {
        name,
        args,
        checkpoint_dir,
        parts,
        resume: Box::new(move || resume_refusal(&*s, &d)),
        merge: Box::new(move || merge_refusal::<S>(&p)),
    }
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// The evidence of two readings of the toy model (one pattern), written into `dir`.
pub(crate) fn evidence_args(dir: &Path) -> Vec<String> {
    let toy = crate::common::root().join("tests/data/toy_hazard.ron");
    let mut args = vec!["evidence".to_string()];
    for (name, prior) in [
        ("low", "Uniform(0.001, 0.02)"),
        ("high", "Triangular(0.0, 0.03, 0.05)"),
    ] {
        let path = dir.join(format!("{name}.ron"));
        let body = format!(
            "(base: \"{}\", name: \"{name}\", set: [\"polities.a.greed={prior}\"])",
            toy.display()
        );
        fs::write(&path, body).unwrap();
        args.push(path.display().to_string());
    }
    let pats = crate::common::root().join("tests/data/toy_hazard_patterns.ron");
    args.extend(owned(&[
        "--patterns",
        pats.to_str().unwrap(),
        "--runs",
        "2000",
        "--seed",
        "8",
        "--sample",
        "200",
        "--no-charts",
        "--quiet",
    ]));
    args
}

pub(crate) fn evidence_tamper(dir: &Path) -> Tamper {
    tamper(
        dir,
        "evidence",
        evidence_args(dir),
        &|p| {
            let settings: jinsong::study::evidence::EvidenceSettings = settings_of(p).unwrap();
            let file = settings.patterns_file.clone();
            let patterns = PatternSet::parse(&file, &fs::read_to_string(&file).unwrap()).unwrap();
            EvidenceStudy::with_patterns(settings, p.part.seed, &patterns).unwrap()
        },
        500,
        1000,
    )
}

pub(crate) fn run_tamper(dir: &Path) -> Tamper {
    let args = owned(&["run", "--runs", "1500", "--seed", "5", "--no-charts", "--quiet"]);
    tamper(
        dir,
        "run",
        args,
        &|p| RunStudy::new(settings_of(p).unwrap(), p.part.seed).unwrap(),
        500,
        500,
    )
}

pub(crate) fn calibrate_tamper(dir: &Path) -> Tamper {
    let s = scenarios_dir();
    let args = owned(&[
        "calibrate",
        s.join("readings/jurchen_greed.ron").to_str().unwrap(),
        "--patterns",
        s.join("patterns/history.ron").to_str().unwrap(),
        "--free",
        "polities.jin.war_readiness=0.1..0.9",
        "--free",
        "polities.song.mobilization_lag=2..24",
        "--budget",
        "6",
        "--runs",
        "200",
        "--seed",
        "3",
        "--quiet",
    ]);
    tamper(
        dir,
        "calibrate",
        args,
        &|p| CalibrateStudy::new(settings_of(p).unwrap(), p.part.seed).unwrap(),
        1,
        4,
    )
}

pub(crate) fn sweep_tamper(dir: &Path) -> Tamper {
    let args = owned(&[
        "sweep",
        "--vary",
        "relations.jin.song.trust=0.2..0.8:12",
        "--runs",
        "100",
        "--by",
        "1127-12",
        "--no-charts",
        "--quiet",
    ]);
    tamper(
        dir,
        "sweep",
        args,
        &|p| SweepStudy::new(settings_of(p).unwrap(), p.part.seed).unwrap(),
        4,
        8,
    )
}

/// An edit of a file's JSON value.
pub(crate) type Edit = Box<dyn Fn(&mut serde_json::Value)>;

pub(crate) fn edit_by(f: impl Fn(&mut serde_json::Value) + 'static) -> Edit {
    Box::new(f)
}

pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// Write `v` to `path`, with its digest computed again when `reseal` (as a forger would).
pub(crate) fn write_json(path: &Path, mut v: serde_json::Value, reseal: bool) {
    if reseal {
        seal(&mut v).unwrap();
    }
    fs::write(path, v.to_string()).unwrap();
}

/// Run `args` (a command of `t` with `--resume`, or a merge) in `dir` and check that it is
/// refused in one line naming `file` and holding `needle`, in under a second, with exit 1 and
/// nothing written into `out`.
pub(crate) fn refused_by_binary(dir: &Path, args: &[String], file: &Path, needle: &str, out: &Path) {
    let snapshot = |p: &Path| p.exists().then(|| crate::common::listing(p));
    let before = snapshot(out);
    let start = Instant::now();
    let o = jinsong(dir, &strs(args));
    let took = start.elapsed();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{needle}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(&file.display().to_string()),
        "the file is named: {err}"
    );
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert!(took < Duration::from_secs(1), "refused after {took:?}: {err}");
    assert_eq!(snapshot(out), before, "nothing written: {err}");
}

fn resume_args(t: &Tamper) -> Vec<String> {
    let mut a = t.args.clone();
    a.extend(["--resume", "--out", t.checkpoint_dir.to_str().unwrap()].map(String::from));
    a
}

/// Each of `edits` applied to `genuine`, the checkpoint `cp` of `t` (with its digest computed
/// again when its flag says so), is refused at `--resume` with its needle; the genuine checkpoint,
/// written back, then resumes.
fn each_edit_is_refused_at_resume(
    dir: &Path,
    t: &Tamper,
    cp: &Path,
    genuine: serde_json::Value,
    edits: &[(&str, bool, Edit)],
) {
    for (needle, reseal, edit) in edits {
        let mut v = genuine.clone();
        edit(&mut v);
        write_json(cp, v, *reseal);
        refused_by_binary(dir, &resume_args(t), cp, needle, &t.checkpoint_dir);
    }
    write_json(cp, genuine, false);
    ok(dir, &strs(&resume_args(t)));
}

/// A `run` checkpoint edited so that P(war) changes (the reported 0.93, 1.33 and 0.33 where the
/// truth is 1.0) is refused: by its digest when the edit is consistent, by the counts'
/// invariants when the digest was computed again; the genuine checkpoint then resumes to the
/// uninterrupted results.
#[test]
fn a_consistently_edited_run_checkpoint_is_refused() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let t = run_tamper(dir);
    let cp = t.checkpoint_dir.join("checkpoint.json");
    let genuine = read_json(&cp);
    assert_eq!(genuine["done"], 500);
    let most = genuine["counts"]["dyads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["war_runs"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(most > 1, "some pair goes to war");
    let busiest = genuine["counts"]["dyads"]
        .as_array()
        .unwrap()
        .iter()
        .position(|d| d["war_runs"].as_u64() == Some(most))
        .unwrap();
    let edits: Vec<(&str, bool, Edit)> = vec![
        // Consistent edits (more or fewer runs claimed done, the same wars; the same runs, one
        // war fewer in a pair, its month and its initiator): only the digest tells.
        (
            "its digest does not match",
            false,
            edit_by(|v| {
                v["done"] = 1000.into();
                v["counts"]["runs"] = 1000.into();
            }),
        ),
        (
            "its digest does not match",
            false,
            edit_by(|v| {
                v["done"] = 300.into();
                v["counts"]["runs"] = 300.into();
            }),
        ),
        (
            "its digest does not match",
            false,
            edit_by(move |v| {
                let d = &mut v["counts"]["dyads"][busiest];
                let dec = |x: &mut serde_json::Value| *x = (x.as_u64().unwrap() - 1).into();
                let months = d["onsets_by_month"].as_array().unwrap();
                let m = months.iter().position(|x| x.as_u64() > Some(0)).unwrap();
                let side = usize::from(d["initiator_by_month"][m][0].as_u64() == Some(0));
                dec(&mut d["war_runs"]);
                dec(&mut d["onsets_by_month"][m]);
                dec(&mut d["initiator_by_month"][m][side]);
                dec(&mut d["initiator"][side]);
            }),
        ),
        // Impossible counts, even with the digest computed again: more wars than runs (a
        // P(war) above 1) and onsets that do not add up.
        (
            "is above runs",
            true,
            edit_by(move |v| {
                v["done"] = (most - 1).into();
                v["counts"]["runs"] = (most - 1).into();
            }),
        ),
        (
            "add up to",
            true,
            edit_by(move |v| {
                let w = v["counts"]["dyads"][busiest]["war_runs"].as_u64().unwrap();
                v["counts"]["dyads"][busiest]["war_runs"] = (w - 1).into();
            }),
        ),
        // A checkpoint of the earlier format, without a digest.
        (
            "is of another version",
            false,
            edit_by(|v| {
                v["format"] = "jinsong-checkpoint/1".into();
                v.as_object_mut().unwrap().remove("digest");
            }),
        ),
    ];
    for (needle, reseal, edit) in &edits {
        let mut v = genuine.clone();
        edit(&mut v);
        assert_ne!(v, genuine);
        write_json(&cp, v, *reseal);
        assert!((t.resume)().is_some(), "{needle}");
        refused_by_binary(dir, &resume_args(&t), &cp, needle, &t.checkpoint_dir);
    }
    // The genuine checkpoint resumes to the uninterrupted results.
    write_json(&cp, genuine, false);
    assert_eq!((t.resume)(), None);
    ok(dir, &strs(&resume_args(&t)));
    let mut whole = t.args.clone();
    whole.extend(["--out", "whole"].map(String::from));
    ok(dir, &strs(&whole));
    for file in ["summary.json", "onset_curve.csv"] {
        assert_eq!(
            fs::read(t.checkpoint_dir.join(file)).unwrap(),
            fs::read(dir.join("whole").join(file)).unwrap(),
            "{file}"
        );
    }
}

/// A tampered evidence checkpoint (the reported 16,394 matched runs where 16,389 is true) is
/// refused at `--resume`.
#[test]
fn a_tampered_evidence_checkpoint_is_refused_at_resume() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let t = evidence_tamper(dir);
    let cp = t.checkpoint_dir.join("checkpoint.json");
    let genuine = read_json(&cp);
    assert_eq!(genuine["done"], 1000);
    let bump = |v: &mut serde_json::Value, path: &[&str], by: u64| {
        let mut x = &mut v["counts"][0];
        for p in path {
            x = match p.parse::<usize>() {
                Ok(i) => &mut x[i],
                Err(_) => &mut x[*p],
            };
        }
        *x = (x.as_u64().unwrap() + by).into();
    };
    let edits: Vec<(&str, bool, Edit)> = vec![
        // Five more matched runs, consistently in the pattern's count too: the digest.
        (
            "its digest does not match",
            false,
            edit_by(move |v| {
                bump(v, &["matches", "joint"], 5);
                bump(v, &["matches", "matched", "0"], 5);
            }),
        ),
        // With the digest computed again, the posterior histogram no longer adds up.
        (
            "posterior_bins of prior 0 add up to",
            true,
            edit_by(move |v| {
                bump(v, &["matches", "joint"], 5);
                bump(v, &["matches", "matched", "0"], 5);
            }),
        ),
        (
            "posterior_bins of prior 0 add up to",
            true,
            edit_by(move |v| bump(v, &["posterior_bins", "3"], 1)),
        ),
        (
            "is outside runs",
            true,
            edit_by(|v| {
                v["counts"][0]["sample"][0][1] = 1500.into();
            }),
        ),
    ];
    each_edit_is_refused_at_resume(dir, &t, &cp, genuine, &edits);
}

/// A tampered calibrate checkpoint (the reported best joint of 0.975 where the truth is 0.279)
/// is refused at `--resume`.
#[test]
fn a_tampered_calibrate_checkpoint_is_refused_at_resume() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let t = calibrate_tamper(dir);
    let cp = t.checkpoint_dir.join("checkpoint.json");
    let genuine = read_json(&cp);
    assert_eq!(genuine["done"], 4);
    let patterns = genuine["counts"][0]["matched"].as_array().unwrap().len();
    assert!(patterns > 1);
    let edits: Vec<(&str, bool, Edit)> = vec![
        // 195 of 200 runs matching every pattern (0.975), each pattern's count raised to match.
        (
            "its digest does not match",
            false,
            edit_by(move |v| {
                v["counts"][1]["joint"] = 195.into();
                v["counts"][1]["matched"] = serde_json::json!(vec![197; patterns]);
            }),
        ),
        (
            "joint 195 is above matched",
            true,
            edit_by(|v| {
                v["counts"][1]["joint"] = 195.into();
            }),
        ),
        (
            "is below what the patterns' matches imply",
            true,
            edit_by(move |v| {
                v["counts"][1]["joint"] = 0.into();
                v["counts"][1]["matched"] = serde_json::json!(vec![200; patterns]);
            }),
        ),
        (
            "runs 2000, not the 200 runs",
            true,
            edit_by(|v| {
                v["counts"][1]["runs"] = 2000.into();
            }),
        ),
    ];
    each_edit_is_refused_at_resume(dir, &t, &cp, genuine, &edits);
}

/// Every node of `v`, as a JSON pointer (the root is "").
fn nodes(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                nodes(x, format!("{at}/{i}"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                nodes(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Edit the node `pick` of `v` in the way `how` says: a number +1, −1, ×2 or 0; a string
/// changed or emptied; a boolean flipped; an array element dropped or duplicated; an object
/// member removed. Returns what was done.
fn edit(v: &mut serde_json::Value, pick: u64, how: u8) -> String {
    let mut all = Vec::new();
    nodes(v, String::new(), &mut all);
    let at = all[(pick % all.len() as u64) as usize].clone();
    let second = (pick / all.len() as u64) as usize;
    let Some(x) = v.pointer_mut(&at) else {
        unreachable!()
    };
    let what = match x {
        serde_json::Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            let new = match how % 4 {
                0 => match n.as_u64() {
                    Some(u) => serde_json::json!(u.wrapping_add(1)),
                    None => serde_json::json!(f + 1.0),
                },
                1 => match n.as_i64() {
                    Some(i) => serde_json::json!(i - 1),
                    None => serde_json::json!(f - 1.0),
                },
                2 => match n.as_u64() {
                    Some(0) => serde_json::json!(1),
                    Some(u) => serde_json::json!(u.wrapping_mul(2)),
                    None => serde_json::json!(f * 2.0),
                },
                _ if f == 0.0 => serde_json::json!(1),
                _ => serde_json::json!(0),
            };
            *x = new;
            format!("number made {x} (edit {})", how % 4)
        }
        serde_json::Value::String(s) => {
            if how.is_multiple_of(2) || s.is_empty() {
                s.push('x');
            } else {
                s.clear();
            }
            "string changed".into()
        }
        serde_json::Value::Bool(b) => {
            *b = !*b;
            "boolean flipped".into()
        }
        serde_json::Value::Null => {
            *x = 0.into();
            "null made 0".into()
        }
        serde_json::Value::Array(items) if items.is_empty() => {
            items.push(serde_json::Value::Null);
            "element added to an empty array".into()
        }
        serde_json::Value::Array(items) => {
            let i = second % items.len();
            if how.is_multiple_of(2) {
                items.remove(i);
                format!("element {i} dropped")
            } else {
                let copy = items[i].clone();
                items.insert(i, copy);
                format!("element {i} duplicated")
            }
        }
        serde_json::Value::Object(map) if map.is_empty() => {
            map.insert("x".into(), 0.into());
            "member added to an empty object".into()
        }
        serde_json::Value::Object(map) => {
            let key = map.keys().nth(second % map.len()).cloned().unwrap_or_default();
            map.remove(&key);
            format!("member `{key}` removed")
        }
    };
    format!("{what} at `{at}`")
}

/// The property: a random edit of a JSON leaf, array or object of a real checkpoint or part
/// (of `run`, `evidence`, `calibrate` and `sweep`) is refused by `--resume` or `merge`, with
/// the file named, in under a second. The digest covers every field (`argv` included), so every
/// edit that changes the file's content is refused, whatever it changes.
#[test]
fn every_edit_of_a_checkpoint_or_a_part_is_refused() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let targets = [
        run_tamper(dir),
        evidence_tamper(dir),
        calibrate_tamper(dir),
        sweep_tamper(dir),
    ];
    // (target, file, resume or merge) for each file, and its genuine text.
    let mut files: Vec<(usize, PathBuf, bool, String)> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        assert_eq!((t.resume)(), None, "{}: the genuine checkpoint resumes", t.name);
        assert_eq!((t.merge)(), None, "{}: the genuine parts merge", t.name);
        let cp = t.checkpoint_dir.join("checkpoint.json");
        for (path, resume) in [
            (cp, true),
            (t.parts[0].clone(), false),
            (t.parts[1].clone(), false),
        ] {
            let genuine = fs::read_to_string(&path).unwrap();
            files.push((i, path, resume, genuine));
        }
    }
    let slowest = Cell::new(Duration::ZERO);
    let tried = RefCell::new(vec![0u32; files.len()]);
    let config = Config {
        cases: 160,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[25; 32]));
    let strategy = (0..files.len(), any::<u64>(), any::<u8>());
    let result = runner.run(&strategy, |(f, pick, how)| {
        let (i, path, resume, genuine) = &files[f];
        let original: serde_json::Value = serde_json::from_str(genuine).unwrap();
        let mut v = original.clone();
        let what = edit(&mut v, pick, how);
        if v == original {
            return Ok(());
        }
        fs::write(path, v.to_string()).unwrap();
        let start = Instant::now();
        let refusal = if *resume {
            (targets[*i].resume)()
        } else {
            (targets[*i].merge)()
        };
        slowest.set(slowest.get().max(start.elapsed()));
        fs::write(path, genuine).unwrap();
        tried.borrow_mut()[f] += 1;
        let name = targets[*i].name;
        let Some(message) = refusal else {
            return Err(TestCaseError::fail(format!(
                "{name}: {what} of {} accepted",
                path.display()
            )));
        };
        prop_assert!(
            message.contains(&path.display().to_string()),
            "{name}: {what}: the file is not named: {message}"
        );
        Ok(())
    });
    result.unwrap();
    assert!(
        tried.borrow().iter().all(|&n| n >= 5),
        "edits per file: {:?}",
        tried.borrow()
    );
    assert!(
        slowest.get() < Duration::from_secs(1),
        "slowest refusal {:?}",
        slowest.get()
    );
}
