// Not every helper is used by every build of the tests.
#![allow(dead_code)]

//! Helpers shared by the integration tests: driving the real `jinsong` binary in a folder,
//! reading its output, listing what it wrote, and the paths of the shipped files and fixtures.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jinsong::scenario::{apply_override, LoadedScenario, Override, Scenario};

pub mod mutation;

/// The small valid scenario (tests/data/small.ron) that many tests run or break one field at a
/// time.
pub const SMALL: &str = include_str!("../data/small.ron");

/// The root of the repository (the crate's manifest folder).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped `scenarios/` folder.
pub fn scenarios_dir() -> PathBuf {
    root().join("scenarios")
}

/// The shipped baseline scenario, `scenarios/baseline.ron`.
pub fn baseline_path() -> PathBuf {
    scenarios_dir().join("baseline.ron")
}

/// A command for the `jinsong` binary built for these tests, not yet configured.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jinsong"))
}

/// Run the binary in `dir` (so a default output folder would land there too) with `args` and
/// the extra environment variables `env`, and wait for it.
pub fn jinsong_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    bin()
        .current_dir(dir)
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("cannot start the jinsong binary")
}

/// Run the binary in `dir` (so a default output folder would land there too) and wait for it.
pub fn jinsong(dir: &Path, args: &[&str]) -> Output {
    jinsong_env(dir, args, &[])
}

/// [`jinsong_env`], requiring success (the failure names the status and the stderr).
pub fn ok_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = jinsong_env(dir, args, env);
    assert!(
        out.status.success(),
        "jinsong {args:?} failed: {}\n{}",
        out.status,
        text(&out.stderr)
    );
    out
}

/// [`jinsong`], requiring success (the failure names the status and the stderr).
pub fn ok(dir: &Path, args: &[&str]) -> Output {
    ok_env(dir, args, &[])
}

/// Bytes of stdout or stderr as text, invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Borrow owned arguments as the `&[&str]` that [`jinsong`] and [`ok`] take.
pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Every path under `dir`, relative, recursively (hidden files and staging folders included);
/// a symbolic link is listed but not followed.
pub fn listing(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(root: &Path, at: &Path, out: &mut BTreeSet<PathBuf>) {
        for entry in fs::read_dir(at).unwrap() {
            let path = entry.unwrap().path();
            out.insert(path.strip_prefix(root).unwrap().to_path_buf());
            if path.is_dir() && !path.is_symlink() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Parse and validate RON text written by a test (`name` only names it in a failure).
pub fn load(name: &str, text: &str) -> Scenario {
    let loaded = LoadedScenario::parse(name, text).unwrap_or_else(|e| panic!("{name} does not parse:\n{e}"));
    loaded
        .validate()
        .unwrap_or_else(|e| panic!("{name} does not validate:\n{e}"));
    loaded.scenario
}

/// `sc` with `--set path=value` applied.
pub fn set(sc: &Scenario, path: &str, value: &str) -> Scenario {
    let o: Override = format!("{path}={value}").parse().expect("an override");
    apply_override(sc, &o).unwrap_or_else(|e| panic!("--set {path}={value}: {e}"))
}

/// The longest a refusal may take: bad input is answered within a second.
pub const REFUSAL_LIMIT: std::time::Duration = std::time::Duration::from_secs(1);

/// [`jinsong`] for the tests of hostile input: a command that fails (a refusal) must have failed
/// within [`REFUSAL_LIMIT`], so that every refusal these tests provoke is timed.
pub fn jinsong_timed(dir: &Path, args: &[&str]) -> Output {
    let started = std::time::Instant::now();
    let out = jinsong(dir, args);
    let took = started.elapsed();
    if !out.status.success() {
        let shown: String = format!("{args:?}").chars().take(200).collect();
        assert!(took < REFUSAL_LIMIT, "{shown} was refused after {took:?}");
    }
    out
}

/// A temporary folder for commands whose results `plot` reads back: the small fixture written as
/// `small.ron` and the toy's greed reading beside it. Returns the folder, the shipped baseline's
/// path, the reading and its patterns.
pub fn plot_fixture() -> (tempfile::TempDir, String, String, String) {
    let tmp = tempfile::TempDir::new().expect("a temporary folder");
    fs::write(tmp.path().join("small.ron"), SMALL).expect("small.ron is written");
    let base = baseline_path().display().to_string();
    let (reading, patterns) = greed_reading(tmp.path());
    (tmp, base, reading, patterns)
}

/// The toy reading `reading.ron`, written into `dir`: the toy (`tests/data/toy_hazard.ron`)
/// with Alpha's greed drawn from `Uniform(0.001, 0.05)`, for `evidence`; its file name and the
/// toy's patterns file.
pub fn greed_reading(dir: &Path) -> (String, String) {
    let toy = toy();
    let patterns = toy_patterns();
    fs::write(
        dir.join("reading.ron"),
        format!("(base: \"{toy}\", name: \"reading\", set: [\"polities.a.greed=Uniform(0.001, 0.05)\"])"),
    )
    .unwrap();
    ("reading.ron".into(), patterns)
}

/// A short `calibrate` of `scenario` against `patterns` into `cal/`, writing `--write target`.
pub fn calibrate_args<'a>(scenario: &'a str, patterns: &'a str, target: &'a str) -> [&'a str; 14] {
    [
        "calibrate",
        scenario,
        "--patterns",
        patterns,
        "--free",
        "polities.a.war_threshold=0.1..0.9",
        "--budget",
        "2",
        "--runs",
        "20",
        "--out",
        "cal",
        "--write",
        target,
    ]
}

/// The toy scenario, `tests/data/toy_hazard.ron`.
pub fn toy() -> String {
    root().join("tests/data/toy_hazard.ron").display().to_string()
}

/// The toy's patterns, `tests/data/toy_hazard_patterns.ron`.
pub fn toy_patterns() -> String {
    root()
        .join("tests/data/toy_hazard_patterns.ron")
        .display()
        .to_string()
}

/// A variant of the toy with Alpha's monthly hazard drawn from `prior`, written into `dir`.
pub fn toy_reading(dir: &Path, name: &str, prior: &str) -> String {
    let path = dir.join(format!("{name}.ron"));
    let body = format!(
        "(base: \"{}\", name: \"{name}\", set: [\"polities.a.greed={prior}\"])",
        toy()
    );
    fs::write(&path, body).unwrap();
    path.display().to_string()
}
