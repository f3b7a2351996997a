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

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

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
