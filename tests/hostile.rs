//! Hostile input: scenario names that try to leave `--out`, files that would exhaust memory or
//! time, deep nesting, variant cycles, huge numbers, and mutated copies of every shipped file.
//!
//! Every refusal here is timed: it must come within a second ([`crate::common::REFUSAL_LIMIT`]).
//!
//! - a scenario named `../../etc/x`, `/tmp/x`, `a/b`, `..` (plain or as a variant) is refused
//!   with its `file:line:col`, writes nothing anywhere, with or without `--out`;
//! - every limit answers with one clear line naming the field and the allowed range;
//! - mutating any file under `scenarios/` gives a valid scenario (which compiles and runs) or
//!   an error with a position, never a panic (library and real binary);
//! - a long or hostile `--set` path is answered at once, error messages quote at most
//!   `MAX_ECHO_CHARS` characters of user text, and control characters (ESC) in a text field are
//!   refused before they reach the terminal or `chronicle.txt`.

use std::collections::BTreeSet;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::mutation::{apply, mutation, Mutation};
use crate::common::{baseline_path, jinsong_timed as jinsong, listing, scenarios_dir, text, SMALL};
use jinsong::engine::{simulate, Silent, Workspace};
use jinsong::model::Model;
use jinsong::patterns::PatternSet;
use jinsong::scenario::{
    LoadedScenario, Override, ScenarioError, MAX_BASE_BYTES, MAX_ECHO_CHARS, MAX_EFFECTS, MAX_EVENTS,
    MAX_FILE_BYTES, MAX_ID_BYTES, MAX_NAME_BYTES, MAX_NESTING, MAX_OVERRIDES, MAX_OVERRIDE_BYTES,
    MAX_POLITIES, MAX_TEXT_BYTES, MAX_VARIANT_DEPTH,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tempfile::TempDir;

/// `SMALL` with another `name`, written as a RON string literal.
fn small_named(name: &str) -> String {
    SMALL.replacen("name: \"small\"", &format!("name: {name:?}"), 1)
}

/// Load `text` as a file `x.ron` and validate it; the error, which the test requires.
fn refused(text: &str) -> ScenarioError {
    let started = Instant::now();
    let loaded = LoadedScenario::parse("x.ron", text);
    let result = loaded.and_then(|l| l.validate());
    let took = started.elapsed();
    match result {
        Ok(()) => panic!("the scenario was accepted"),
        Err(e) => {
            assert!(took < crate::common::REFUSAL_LIMIT, "refused after {took:?}: {e}");
            e
        }
    }
}

/// Require that `e` has a problem at `path` whose message contains `words`.
fn has(e: &ScenarioError, path: &str, words: &str) {
    assert!(
        e.problems
            .iter()
            .any(|p| p.path == path && p.message.contains(words)),
        "no problem at `{path}` containing `{words}` in:\n{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Scenario names and the output folder
// ---------------------------------------------------------------------------------------------

const HOSTILE_NAMES: [&str; 9] = [
    "../../etc/x",
    "/tmp/x",
    "a/b",
    "..",
    ".",
    "",
    "a\\b",
    "x\ny",
    ".hidden",
];

/// A hostile name, plain or in a variant, run with and without `--out`: refused with the file
/// and `line:col` of the name, exit status 1, and nothing written anywhere around.
#[test]
fn a_name_never_leads_outside_out() {
    let tmp = TempDir::new().unwrap();
    let work = tmp.path().join("a/b/work");
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("base.ron"), SMALL).unwrap();
    let outside_before: Vec<bool> = ["/tmp/x", "/etc/x"]
        .iter()
        .map(|p| Path::new(p).exists())
        .collect();
    for name in HOSTILE_NAMES {
        fs::write(work.join("plain.ron"), small_named(name)).unwrap();
        fs::write(
            work.join("variant.ron"),
            format!("(\n    base: \"base.ron\",\n    name: {name:?},\n)\n"),
        )
        .unwrap();
        let before = listing(tmp.path());
        for (file, line) in [("plain.ron", 4), ("variant.ron", 3)] {
            for command in ["run", "trace"] {
                for with_out in [true, false] {
                    let mut args = vec![command, file, "--no-charts", "-q"];
                    if command == "run" {
                        args.extend(["--runs", "3"]);
                    }
                    if with_out {
                        args.extend(["--out", "out"]);
                    }
                    let out = jinsong(&work, &args);
                    let err = text(&out.stderr);
                    assert_eq!(out.status.code(), Some(1), "{name:?} {args:?}: {err}");
                    assert!(
                        err.contains(&format!("{file}:{line}:")) && err.contains(": name: "),
                        "{name:?} {args:?}: {err}"
                    );
                    assert!(!err.contains("panicked"), "{err}");
                    assert_eq!(listing(tmp.path()), before, "{name:?} {args:?} wrote something");
                }
            }
        }
    }
    let outside_after: Vec<bool> = ["/tmp/x", "/etc/x"]
        .iter()
        .map(|p| Path::new(p).exists())
        .collect();
    assert_eq!(outside_before, outside_after);
}

/// A usable name with dots and dashes writes only inside `--out`, and without `--out` only
/// inside `output/<name>/`.
#[test]
fn a_usable_name_writes_only_where_told() {
    let tmp = TempDir::new().unwrap();
    let work = tmp.path().join("work");
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("s.ron"), small_named("x..y-1.z")).unwrap();
    let out = jinsong(
        &work,
        &["run", "s.ron", "--runs", "3", "--no-charts", "-q", "--out", "dir"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let files: BTreeSet<PathBuf> = [
        "s.ron",
        "dir",
        "dir/summary.json",
        "dir/onset_curve.csv",
        "dir/events_by_year.csv",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(listing(&work), files);
    fs::remove_dir_all(work.join("dir")).unwrap();
    let out = jinsong(&work, &["run", "s.ron", "--runs", "3", "--no-charts", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let files: BTreeSet<PathBuf> = [
        "s.ron",
        "output",
        "output/x..y-1.z",
        "output/x..y-1.z/summary.json",
        "output/x..y-1.z/onset_curve.csv",
        "output/x..y-1.z/events_by_year.csv",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(listing(&work), files);
}

/// The library refuses every hostile name, and names longer than the limit.
#[test]
fn hostile_names_are_refused_by_validation() {
    for name in HOSTILE_NAMES {
        let e = refused(&small_named(name));
        has(&e, "name", "not a usable name");
        assert_eq!(e.problems[0].position.map(|p| p.0), Some(4), "{e}");
    }
    let long = "n".repeat(MAX_NAME_BYTES + 1);
    has(&refused(&small_named(&long)), "name", "1 to 100");
    assert!(
        LoadedScenario::parse("x.ron", &small_named(&"n".repeat(MAX_NAME_BYTES)))
            .unwrap()
            .validate()
            .is_ok()
    );
}

// ---------------------------------------------------------------------------------------------
// Results in an unwritable or impossible folder
// ---------------------------------------------------------------------------------------------

/// `--out` under a regular file, or where a result file is a folder: a clear error, exit 1, and
/// the earlier results of the folder byte-identical, no staging folder left.
#[test]
fn an_impossible_out_keeps_earlier_results() {
    let tmp = TempDir::new().unwrap();
    let work = tmp.path();
    fs::write(work.join("s.ron"), SMALL).unwrap();
    fs::write(work.join("plain"), b"a file").unwrap();
    let out = jinsong(
        work,
        &[
            "run",
            "s.ron",
            "--runs",
            "3",
            "--no-charts",
            "-q",
            "--out",
            "plain/out",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: cannot write results to plain/out"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let ok = jinsong(
        work,
        &["run", "s.ron", "--runs", "3", "--no-charts", "-q", "--out", "res"],
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let summary = fs::read(work.join("res/summary.json")).unwrap();
    fs::remove_file(work.join("res/onset_curve.csv")).unwrap();
    fs::create_dir_all(work.join("res/onset_curve.csv/inside")).unwrap();
    let before = listing(work);
    let out = jinsong(
        work,
        &["run", "s.ron", "--runs", "5", "--no-charts", "-q", "--out", "res"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot write results to res") && err.contains("is a folder"),
        "{err}"
    );
    assert_eq!(fs::read(work.join("res/summary.json")).unwrap(), summary);
    assert_eq!(listing(work), before);
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/// A scenario with `n` polities `p0 …`, a relation from each to an unknown polity, from
/// `start` to `end`.
fn many_polities(n: usize, start: &str, end: &str) -> String {
    let mut s = format!("(name: \"many\", start: \"{start}\", end: \"{end}\", polities: [");
    for k in 0..n {
        s.push_str(&format!(
            "(id: \"p{k}\", name: \"P\", strength: 1, potential: 1, mobilization_lag: 1, fear_gain: 0.1, fear_decay: 0.1),"
        ));
    }
    s.push_str("], relations: [");
    for k in 0..n {
        s.push_str(&format!("(from: \"p{k}\", to: \"nobody\"),"));
    }
    s.push_str("])");
    s
}

#[test]
fn too_many_polities_is_one_clear_error() {
    let e = refused(&many_polities(MAX_POLITIES + 1, "1200-01", "1200-12"));
    assert_eq!(e.problems.len(), 1, "{e}");
    has(&e, "polities", "129 polities given (allowed: 2 ..= 128)");
    assert!(e.problems[0].position.is_some());
    // 20,000 polities with 20,000 bad references: still one line, at once.
    let e = refused(&many_polities(20_000, "1200-01", "1200-12"));
    assert_eq!(e.problems.len(), 1, "{e}");
    // At the limit, the unknown ids are reported (at most 100 lines) with a short list of the
    // known ones.
    let e = refused(&many_polities(MAX_POLITIES, "1200-01", "1200-12"));
    assert_eq!(e.problems.len(), 101, "{e}");
    assert_eq!(e.problems[100].message, "and 28 more problems");
    assert!(e.problems[0].message.contains("… (128 in all)"), "{e}");
    assert!(e.to_string().len() < 20_000);
}

#[test]
fn horizons_and_pairs_over_months_are_limited() {
    let mut sc = small_named("long");
    sc = sc.replacen("end: \"1209-12\"", "end: \"9999-12\"", 1);
    has(&refused(&sc), "end", "too long (at most 12000 months)");
    let sc = many_polities(MAX_POLITIES, "1000-01", "1099-12").replace("\"nobody\"", "\"p0\"");
    let sc = sc.replacen("(from: \"p0\", to: \"p0\"),", "", 1);
    has(&refused(&sc), "polities", "pairs × months at most");
}

#[test]
fn events_effects_ids_and_texts_are_limited() {
    let event = "(id: \"e\", from: \"1200-01\", effects: [Cease(polity: \"a\")]),";
    let sc = SMALL.replacen(
        "events: [",
        &format!("events: [{}", event.repeat(MAX_EVENTS + 1)),
        1,
    );
    let e = refused(&sc);
    assert_eq!(e.problems.len(), 1, "{e}");
    has(&e, "events", "events given (allowed: at most 4096)");

    let effects = "Cease(polity: \"a\"),".repeat(MAX_EFFECTS + 1);
    let sc = SMALL.replacen(
        "events: [",
        &format!("events: [(id: \"big\", from: \"1200-01\", effects: [{effects}]),"),
        1,
    );
    has(
        &refused(&sc),
        "events.big.effects",
        "257 effects given (allowed: at most 256)",
    );

    let id = "i".repeat(MAX_ID_BYTES + 1);
    let sc = SMALL.replacen("id: \"c\"", &format!("id: \"{id}\""), 1);
    let e = refused(&sc);
    has(&e, "polities[2].id", "(allowed: 1 to 64 of a-z 0-9 _)");
    assert!(e.to_string().len() < 4_000, "ids are quoted shortened");

    let sc = SMALL.replacen("name: \"Gamma\"", &format!("name: \"{}\"", "G".repeat(101)), 1);
    has(&refused(&sc), "polities.c.name", "at most 100 bytes");
    let sc = SMALL.replacen("name: \"Gamma\"", "name: \"G\u{7}\"", 1);
    has(&refused(&sc), "polities.c.name", "no control characters");

    let long = "t".repeat(MAX_TEXT_BYTES + 1);
    let sc = SMALL.replacen(
        "description: \"test fixture\"",
        &format!("description: \"{long}\""),
        1,
    );
    has(
        &refused(&sc),
        "description",
        "4097 bytes long (allowed: at most 4096)",
    );
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let deep = 100_000;
    // A pattern file: Not(Not(…)).
    let text = format!(
        "(patterns: [(name: \"deep\", rule: {}OnsetWithin(a: \"jin\", b: \"song\", from: \"1125-01\", to: \"1126-01\"){})])",
        "Not(".repeat(deep),
        ")".repeat(deep)
    );
    let e = PatternSet::parse("p.ron", &text).unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "nested too deeply (allowed: at most {MAX_NESTING} levels"
        )),
        "{e}"
    );
    assert!(e.problems[0].position.is_some());
    // A scenario's types nest only a few levels, so deep brackets are a type error at once.
    let sc = SMALL.replacen(
        "runs: 100",
        &format!("runs: {}1{}", "[".repeat(deep), "]".repeat(deep)),
        1,
    );
    let e = LoadedScenario::parse("x.ron", &sc).unwrap_err();
    assert!(e.problems[0].position.is_some(), "{e}");
    // Nesting within the limit still parses: `Not` 27 deep around a rule (README), not 28.
    let nots = |k: usize| {
        format!(
            "(patterns: [(name: \"ok\", rule: {}OnsetWithin(a: \"jin\", b: \"song\", from: \"1125-01\", to: \"1126-01\"){})])",
            "Not(".repeat(k),
            ")".repeat(k)
        )
    };
    assert!(PatternSet::parse("p.ron", &nots(28)).is_err());
    let ok = nots(27);
    let set = PatternSet::parse("p.ron", &ok).unwrap();
    let model = Model::compile(&LoadedScenario::baseline().unwrap().scenario);
    set.compile("p.ron", &model).unwrap();
}

#[test]
fn variant_cycles_and_long_chains_are_refused() {
    let tmp = TempDir::new().unwrap();
    let d = tmp.path();
    fs::write(d.join("self.ron"), "(base: \"self.ron\", name: \"s\")").unwrap();
    let e = LoadedScenario::read(&d.join("self.ron")).unwrap_err();
    assert!(e.to_string().contains("(a cycle)"), "{e}");
    fs::write(d.join("a.ron"), "(base: \"b.ron\", name: \"a\")").unwrap();
    fs::write(d.join("b.ron"), "(base: \"./a.ron\", name: \"b\")").unwrap();
    let e = LoadedScenario::read(&d.join("a.ron")).unwrap_err();
    assert!(
        e.to_string()
            .contains("a.ron:1:8: base: the chain of variants comes back"),
        "{e}"
    );

    fs::write(d.join("v0.ron"), SMALL).unwrap();
    for k in 1..=MAX_VARIANT_DEPTH + 1 {
        let v = format!("(base: \"v{}.ron\", name: \"v{k}\")", k - 1);
        fs::write(d.join(format!("v{k}.ron")), v).unwrap();
    }
    let top = |k: usize| LoadedScenario::read(&d.join(format!("v{k}.ron")));
    assert!(top(MAX_VARIANT_DEPTH).is_ok());
    let e = top(MAX_VARIANT_DEPTH + 1).unwrap_err();
    assert!(
        e.to_string().contains("(allowed: at most 8 variants in a chain)"),
        "{e}"
    );
}

#[test]
fn a_variant_reports_its_own_values_in_its_own_file() {
    let tmp = TempDir::new().unwrap();
    fs::write(tmp.path().join("s.ron"), SMALL).unwrap();
    let v = "(\n  base: \"s.ron\",\n  name: \"v\",\n  set: [\"polities.a.mobilization_lag=-1\"],\n)";
    fs::write(tmp.path().join("v.ron"), v).unwrap();
    let loaded = LoadedScenario::read(&tmp.path().join("v.ron")).unwrap();
    let e = loaded.validate().unwrap_err();
    assert_eq!(e.problems.len(), 1);
    assert!(e.problems[0].file.ends_with("v.ron"), "{e}");
    assert_eq!(e.problems[0].position, Some((4, 9)), "{e}");
}

#[test]
fn huge_numbers_and_files_are_refused() {
    let base = || LoadedScenario::parse("x.ron", SMALL).unwrap();
    let set = |s: &str| {
        let mut l = base();
        let o: Override = s.parse().unwrap();
        l.apply_overrides(&[o])
            .and_then(|()| l.validate())
            .unwrap_err()
            .to_string()
    };
    assert!(set("runs=99999999999999999999").contains("not a whole number"));
    assert!(set("runs=1099511627777").contains("runs: 1099511627777 is out of range"));
    assert!(set("rules.truce_months=99999999999").contains("cannot take"));
    assert!(set("polities.a.strength=1e309").contains("not a finite number"));
    assert!(set("polities.a.strength=1e300").contains("allowed: 0.000001 ..= 1000000"));
    let many: Vec<Override> = vec!["seed=1".parse().unwrap(); MAX_OVERRIDES + 1];
    let e = base().apply_overrides(&many).unwrap_err();
    assert!(
        e.to_string()
            .contains("1001 overrides given (allowed: at most 1000)"),
        "{e}"
    );

    let tmp = TempDir::new().unwrap();
    let big = tmp.path().join("big.ron");
    let mut text = SMALL.to_string();
    text.push_str(&" ".repeat(MAX_FILE_BYTES as usize));
    fs::write(&big, text).unwrap();
    let e = LoadedScenario::read(&big).unwrap_err();
    assert!(
        e.to_string()
            .contains("too large (allowed: at most 16777216 bytes)"),
        "{e}"
    );
    // An endless file is cut off, not read to the end.
    if Path::new("/dev/zero").exists() {
        let out = jinsong(tmp.path(), &["check", "/dev/zero"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text_of(&out).contains("the scenario is too large"),
            "{}",
            text_of(&out)
        );
    }
    // Bytes that are not UTF-8 are located.
    fs::write(&big, b"(\n  name: \"x\xff\",\n)").unwrap();
    let e = LoadedScenario::read(&big).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("big.ron:2:11: the scenario is not UTF-8 text"),
        "{e}"
    );
}

fn text_of(out: &Output) -> String {
    text(&out.stderr)
}

// ---------------------------------------------------------------------------------------------
// Mutated shipped files
// ---------------------------------------------------------------------------------------------

/// Every `.ron` file under `scenarios/`, relative to it.
fn shipped() -> Vec<PathBuf> {
    let dir = scenarios_dir();
    let mut files: Vec<PathBuf> = listing(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}

const TOKENS: [&str; 20] = [
    "(",
    ")",
    "[",
    "]",
    ",",
    "\"",
    ":",
    "-",
    "0",
    "9e999",
    "18446744073709551616",
    "//",
    "/*",
    "\n",
    "Not(",
    "..",
    "/",
    "r#\"",
    "\u{0}",
    "é",
];

/// Load `file` (a scenario, variant or pattern file), and check the answer: an error with
/// problems, the first of them positioned in `file` unless the file could not be read or its
/// base could not be found; or a valid scenario that compiles and runs, or patterns that compile
/// and score a baseline run.
fn check_loads(file: &Path, baseline: &Model) -> Result<(), TestCaseError> {
    let shown = file.display().to_string();
    let error = if file.parent().is_some_and(|p| p.ends_with("patterns")) {
        match PatternSet::read(file).and_then(|set| set.compile(&shown, baseline)) {
            Ok(compiled) => {
                let mut ws = Workspace::new(baseline);
                let mut tracker = compiled.tracker();
                simulate(baseline, 1, 0, &mut ws, &mut tracker);
                let _ = tracker.matches(&ws.outcome);
                return Ok(());
            }
            Err(e) => e,
        }
    } else {
        match LoadedScenario::read(file).and_then(|l| l.validate().map(|()| l)) {
            Ok(loaded) => {
                let model = Model::compile(&loaded.scenario);
                let mut ws = Workspace::new(&model);
                simulate(&model, 1, 0, &mut ws, &mut Silent);
                return Ok(());
            }
            Err(e) => e,
        }
    };
    prop_assert!(!error.problems.is_empty());
    let first = &error.problems[0];
    prop_assert!(!first.message.is_empty());
    let unreadable = first.message.starts_with("cannot read");
    prop_assert!(
        unreadable || first.position.is_some(),
        "the first problem has no position: {}",
        error
    );
    for p in &error.problems {
        prop_assert!(!p.message.is_empty(), "empty message in {}", error);
    }
    Ok(())
}

/// Mutate every shipped file (in a copy of `scenarios/`, so variants find their bases) and load
/// it: never a panic. Fixed seed, 48 cases per file.
#[test]
fn mutated_shipped_files_never_panic() {
    let tmp = TempDir::new().unwrap();
    let copy = tmp.path().join("scenarios");
    let files = shipped();
    assert!(files.len() >= 14, "{files:?}");
    for f in &files {
        fs::create_dir_all(copy.join(f).parent().unwrap()).unwrap();
        fs::copy(scenarios_dir().join(f), copy.join(f)).unwrap();
    }
    let baseline = Model::compile(&LoadedScenario::baseline().unwrap().scenario);
    for f in &files {
        let original = fs::read(scenarios_dir().join(f)).unwrap();
        let target = copy.join(f);
        let config = Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        };
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
        let mut runner = TestRunner::new_with_rng(config, rng);
        let result = runner.run(&prop::collection::vec(mutation(&TOKENS, 40), 1..6), |mutations| {
            let mut bytes = original.clone();
            for m in &mutations {
                apply(&mut bytes, m);
            }
            fs::write(&target, &bytes).unwrap();
            match catch_unwind(AssertUnwindSafe(|| check_loads(&target, &baseline))) {
                Ok(r) => r,
                Err(_) => Err(TestCaseError::fail(format!("panicked on {}", text(&bytes)))),
            }
        });
        fs::write(&target, &original).unwrap();
        if let Err(e) = result {
            panic!("{}: {e}", f.display());
        }
    }
}

/// A few mutants through the real binary's `check`: exit status 0 or 1, never a panic.
#[test]
fn mutated_files_through_check() {
    let tmp = TempDir::new().unwrap();
    let base = fs::read(baseline_path()).unwrap();
    let mutants: [&[Mutation]; 6] = [
        &[Mutation::Delete(0.5, 30)],
        &[Mutation::Insert(0.3, "9e999")],
        &[Mutation::DeleteLine(0.2), Mutation::SwapLines(0.4, 0.6)],
        &[Mutation::Byte(0.7, 0xff)],
        &[Mutation::Insert(0.1, "Not(")],
        &[Mutation::DuplicateLine(0.5)],
    ];
    for (k, ms) in mutants.iter().enumerate() {
        let mut bytes = base.clone();
        for m in *ms {
            apply(&mut bytes, m);
        }
        let file = format!("m{k}.ron");
        fs::write(tmp.path().join(&file), &bytes).unwrap();
        let out = jinsong(tmp.path(), &["check", &file]);
        let err = text(&out.stderr);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{ms:?}: {err}");
        assert!(!err.contains("panicked"), "{ms:?}: {err}");
        if out.status.code() == Some(1) {
            assert!(err.starts_with(&format!("error: {file}:")), "{ms:?}: {err}");
        }
    }
}

#[test]
fn huge_budgets_and_thread_counts_are_refused_before_any_run() {
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path();
    let baseline = baseline_path();
    let baseline = baseline.to_string_lossy();
    let patterns = scenarios_dir().join("patterns/history.ron");
    let patterns = patterns.to_string_lossy();
    for (args, needle) in [
        (
            vec![
                "calibrate",
                &*baseline,
                "--free",
                "polities.jin.stability=0.4..1.0",
                "--patterns",
                &*patterns,
                "--budget",
                "18446744073709551615",
                "--out",
                "x",
            ],
            "--budget: 18446744073709551615 is out of range (allowed: 2 ..= 100000)",
        ),
        (
            vec!["run", "--threads", "99999999", "--out", "x"],
            "--threads: 99999999 is out of range (allowed: 1 ..= 1024)",
        ),
        (
            vec![
                "sweep",
                "--vary",
                "polities.jin.stability=0.5..0.9:2",
                "--threads",
                "5000",
                "--out",
                "x",
            ],
            "--threads: 5000 is out of range",
        ),
    ] {
        let out = jinsong(dir, &args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(needle) && err.trim_end().lines().count() == 1,
            "{err}"
        );
        assert!(listing(dir).is_empty(), "{args:?} wrote something");
    }
}

// ---------------------------------------------------------------------------------------------
// Long `--set` paths, long echoed text, control characters
// ---------------------------------------------------------------------------------------------

/// Generous bound on the time of a command that should take milliseconds (a slow CI machine).
const AT_ONCE: Duration = Duration::from_secs(5);

/// Run `jinsong args` in `dir` and require a refusal: exit status 1, every line of stderr an
/// `error:` line of at most 1,000 characters, no raw ESC anywhere, nothing written but `inputs`,
/// all within [`AT_ONCE`]. Returns stderr.
fn refused_at_once(dir: &Path, args: &[&str], inputs: &[&str]) -> String {
    let started = Instant::now();
    let out = jinsong(dir, args);
    let took = started.elapsed();
    let err = text(&out.stderr);
    let shown = |s: &str| s.chars().take(2000).collect::<String>();
    let command = format!("{args:?}").chars().take(300).collect::<String>();
    assert_eq!(out.status.code(), Some(1), "{command}: {}", shown(&err));
    assert!(took < AT_ONCE, "{command} took {took:?}");
    assert!(!err.contains("panicked"), "{}", shown(&err));
    for line in err.lines() {
        assert!(line.starts_with("error: "), "{}", shown(&err));
        assert!(line.chars().count() <= 1000, "a long line: {}", shown(line));
    }
    assert!(
        !out.stderr.contains(&0x1b) && !out.stdout.contains(&0x1b),
        "{command}: a raw ESC reached the terminal"
    );
    let files: BTreeSet<PathBuf> = inputs.iter().map(PathBuf::from).collect();
    assert_eq!(listing(dir), files, "{command} wrote something");
    err
}

/// A `--set` of 100,000 characters was answered after 15 s (the nearest-path search took about
/// 150 µs per character); now it is refused at once for its length, in one line that quotes
/// its first `MAX_ECHO_CHARS` characters. A path just within the limit gets its suggestions.
#[test]
fn a_long_set_path_is_refused_at_once() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let long = format!("{}=1", "a".repeat(100_000));
    // On the embedded baseline.
    for command in ["run", "trace"] {
        let args = [command, "--set", &long, "--out", "out", "-q", "--no-charts"];
        let err = refused_at_once(dir, &args, &[]);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: --set: ")
                && err.contains(&format!("`{}…` (100002 characters)", "a".repeat(MAX_ECHO_CHARS)))
                && err.contains(&format!("at most {MAX_OVERRIDE_BYTES} bytes")),
            "{err}"
        );
    }
    fs::write(dir.join("s.ron"), SMALL).unwrap();
    let err = refused_at_once(dir, &["check", "s.ron", "--set", &long], &["s.ron"]);
    assert!(err.contains("(100002 characters)"), "{err}");
    // The longest override allowed, with a bad path: the nearest valid paths.
    let near = format!("polities.b.{}=1", "x".repeat(MAX_OVERRIDE_BYTES - 13));
    assert_eq!(near.len(), MAX_OVERRIDE_BYTES);
    let err = refused_at_once(dir, &["check", "s.ron", "--set", &near], &["s.ron"]);
    assert!(err.contains("nearest valid paths: polities.b."), "{err}");
    let over = format!("polities.b.{}=1", "x".repeat(MAX_OVERRIDE_BYTES - 12));
    let err = refused_at_once(dir, &["check", "s.ron", "--set", &over], &["s.ron"]);
    assert!(err.contains("257 bytes long"), "{err}");
}

/// Polity id `k` of a big scenario: 62 characters, so that paths are long.
fn big_id(k: usize) -> String {
    format!("p{k:0>61}")
}

/// A scenario of 128 polities with long ids, every directed relation and 4,096 events (about
/// 3 MB): 104,000 paths for `--set`.
fn big_scenario() -> String {
    let n = MAX_POLITIES;
    let mut s = String::from("(name: \"big\", start: \"1200-01\", end: \"1200-12\", polities: [\n");
    for k in 0..n {
        s.push_str(&format!(
            "(id: \"{}\", name: \"P\", strength: 1, potential: 1, mobilization_lag: 1, fear_gain: 0.1, fear_decay: 0.1),\n",
            big_id(k)
        ));
    }
    s.push_str("], relations: [\n");
    for a in 0..n {
        for b in (0..n).filter(|&b| b != a) {
            s.push_str(&format!(
                "(from: \"{}\", to: \"{}\", contact: 0.1),\n",
                big_id(a),
                big_id(b)
            ));
        }
    }
    s.push_str("], events: [\n");
    for k in 0..MAX_EVENTS {
        s.push_str(&format!(
            "(id: \"e{k}\", text: \"t\", from: \"1200-01\", effects: [Contact(a: \"{}\", b: \"{}\", value: 0.5)]),\n",
            big_id(0),
            big_id(1)
        ));
    }
    s.push_str("])\n");
    s
}

/// On a scenario at the limits, a misspelt `--set` path (the nearest-path search compared it with
/// all 104,000 paths inside a sort, minutes) and a variant of 1,000 overrides (each converted
/// the whole scenario twice: 100 s) are answered at once.
#[test]
fn overrides_of_a_big_scenario_are_answered_at_once() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("big.ron"), big_scenario()).unwrap();
    let (a, b) = (big_id(1), big_id(2));
    let typo = format!("relations.{a}.{b}.contat=1");
    let err = refused_at_once(dir, &["check", "big.ron", "--set", &typo], &["big.ron"]);
    assert!(
        err.contains(&format!("nearest valid paths: relations.{a}.{b}.contact, ")),
        "{err}"
    );
    let err = refused_at_once(
        dir,
        &["check", "big.ron", "--set", &format!("polities.{a}.strenth=1")],
        &["big.ron"],
    );
    assert!(
        err.contains(&format!("nearest valid paths: polities.{a}.strength, ")),
        "{err}"
    );

    let mut set: Vec<String> = vec![
        format!("relations.{a}.{b}.contact=0.25"),
        format!("polities.{b}.strength=2"),
        "events.e7.probability=0.5".into(),
        "mechanisms.greed=off".into(),
        "rules.talks_success=0.375".into(),
        "runs=5".into(),
    ];
    set.resize(MAX_OVERRIDES, "seed=9".into());
    let quoted: Vec<String> = set.iter().map(|o| format!("{o:?}")).collect();
    let variant = format!("(base: \"big.ron\", name: \"v\", set: [{}])", quoted.join(",\n"));
    fs::write(dir.join("v.ron"), variant).unwrap();
    let started = Instant::now();
    let out = jinsong(dir, &["check", "v.ron"]);
    let took = started.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(took < AT_ONCE, "{took:?}");
    let sc = LoadedScenario::read(&dir.join("v.ron")).unwrap().scenario;
    let rel = sc.relations.iter().find(|r| r.from == a && r.to == b).unwrap();
    assert_eq!(rel.contact, 0.25);
    assert_eq!(sc.polities[2].strength, 2.0);
    assert_eq!(sc.events[7].probability, 0.5);
    assert!(!sc.mechanisms.greed);
    assert_eq!(sc.rules.talks_success, 0.375);
    assert_eq!((sc.runs, sc.seed), (5, 9));
}

/// A variant file of 1 MB whose `set` holds four paths of 262,144 characters (the first took
/// 40 s to answer): refused at once, in one line at `set[0]`.
#[test]
fn a_megabyte_variant_of_long_paths_is_refused_at_once() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("s.ron"), SMALL).unwrap();
    let entry = format!("\"polities.b.{}=1\"", "x".repeat((1 << 18) - 13));
    let variant = format!(
        "(\n  base: \"s.ron\",\n  name: \"v\",\n  set: [{}],\n)\n",
        [entry.as_str(); 4].join(", ")
    );
    assert!(variant.len() > 1 << 20);
    fs::write(dir.join("v.ron"), variant).unwrap();
    let err = refused_at_once(dir, &["check", "v.ron"], &["s.ron", "v.ron"]);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: v.ron:4:9: set[0]: `polities.b.xxx")
            && err.contains("(262144 characters) is 262144 bytes long (allowed: at most 256 bytes"),
        "{err}"
    );
    // Within the limit, each entry a bad path: the first is answered with the nearest paths.
    let entry = format!("\"polities.b.{}=1\"", "x".repeat(MAX_OVERRIDE_BYTES - 13));
    let variant = format!(
        "(base: \"s.ron\", name: \"v\", set: [{}])",
        vec![entry.as_str(); MAX_OVERRIDES].join(", ")
    );
    fs::write(dir.join("v.ron"), variant).unwrap();
    let err = refused_at_once(
        dir,
        &["run", "v.ron", "--out", "o", "-q", "--no-charts"],
        &["s.ron", "v.ron"],
    );
    assert!(
        err.contains(": set: polities.b.xxx") && err.contains("nearest valid paths: polities.b."),
        "{err}"
    );
}

/// An id, a field name, a date, a lord or a pattern's polity of 1,000,000 characters was echoed
/// whole; now every message quotes at most `MAX_ECHO_CHARS` characters of it, with `…` and its
/// length. A variant's base that is not a scenario (`/etc/passwd`) is not quoted at all.
#[test]
fn error_messages_quote_little_of_long_user_text() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let huge = "q".repeat(1_000_000);
    let head = format!("`{}…` (1000000 characters)", "q".repeat(MAX_ECHO_CHARS));
    let cases = [
        (
            "polity id",
            SMALL.replacen("id: \"c\"", &format!("id: \"{huge}\""), 1),
        ),
        (
            "event id",
            SMALL.replacen("id: \"border\"", &format!("id: \"{huge}\""), 1),
        ),
        (
            "lord",
            SMALL.replacen(
                "status: Alliance",
                &format!("status: Vassal(lord: \"{huge}\")"),
                1,
            ),
        ),
        (
            "field name",
            SMALL.replacen("seed: 7,", &format!("{huge}: 7,"), 1),
        ),
        (
            "date",
            SMALL.replacen("start: \"1200-01\"", &format!("start: \"{huge}\""), 1),
        ),
    ];
    for (what, sc) in &cases {
        fs::write(dir.join("x.ron"), sc).unwrap();
        let err = refused_at_once(dir, &["check", "x.ron"], &["x.ron"]);
        assert!(err.contains(&head), "{what}: {err}");
        assert!(err.len() < 3000, "{what}: {} bytes", err.len());
        let e = LoadedScenario::parse("x.ron", sc)
            .and_then(|l| l.validate())
            .unwrap_err();
        assert!(e.to_string().len() < 3000, "{what}");
    }
    // A pattern file: a name and a polity of 1,000,000 characters.
    let model = Model::compile(&LoadedScenario::baseline().unwrap().scenario);
    let patterns = format!(
        "(patterns: [(name: \"{huge}\", rule: Initiator(a: \"jin\", b: \"{huge}\", polity: \"jin\"))])"
    );
    let e = PatternSet::parse("p.ron", &patterns)
        .unwrap()
        .compile("p.ron", &model)
        .unwrap_err();
    assert_eq!(e.problems.len(), 2, "{e}");
    assert!(e.problems.iter().all(|p| p.message.contains(&head)), "{e}");
    assert!(e.to_string().len() < 2000);

    // A base that is no scenario: its first word is not echoed.
    fs::write(dir.join("secret"), "hunter2:x:0:0:root:/root:/bin/sh\n").unwrap();
    fs::write(dir.join("v.ron"), "(base: \"secret\", name: \"v\")").unwrap();
    let err = refused_at_once(dir, &["check", "v.ron"], &["secret", "v.ron", "x.ron"]);
    assert!(
        err.contains("secret:1:1: Expected struct `Scenario` (or `(`) but found another word")
            && !err.contains("hunter2"),
        "{err}"
    );
    if Path::new("/etc/passwd").is_file() {
        fs::write(dir.join("v.ron"), "(base: \"/etc/passwd\", name: \"v\")").unwrap();
        let err = refused_at_once(dir, &["check", "v.ron"], &["secret", "v.ron", "x.ron"]);
        assert!(!err.contains("found `"), "{err}");
    }
    // A base path longer than MAX_BASE_BYTES.
    let base = "b/".repeat(MAX_BASE_BYTES);
    fs::write(dir.join("v.ron"), format!("(base: \"{base}\", name: \"v\")")).unwrap();
    let err = refused_at_once(dir, &["check", "v.ron"], &["secret", "v.ron", "x.ron"]);
    assert!(
        err.contains("v.ron:1:8: base: `b/b/") && err.contains("(allowed: at most 1024)"),
        "{err}"
    );
}

/// ESC in a scenario's `name`, `description`, an event's `text`, a polity's `name`, a relation's
/// `provocation_text` or a variant's `name` or `description` reached the terminal and
/// `chronicle.txt` raw; now `check`, `run` and `trace` refuse it in one line naming the field
/// and the character as `\u{1b}`, and write nothing.
#[test]
fn control_characters_in_text_fields_are_refused() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let esc = "\u{1b}[31mred\u{1b}]0;title\u{7}\u{1b}[0m";
    let cases = [
        ("name", "name: \"small\"", format!("name: \"small{esc}\"")),
        (
            "description",
            "description: \"test fixture\"",
            format!("description: \"test{esc}\""),
        ),
        (
            "events.border.text",
            "text: \"Alpha and",
            format!("text: \"{esc}Alpha and"),
        ),
        (
            "polities.c.name",
            "name: \"Gamma\"",
            format!("name: \"Gamma{esc}\""),
        ),
        (
            "relations.c.a.provocation_text",
            "trust: 0.5)",
            format!("trust: 0.5, provocation_text: \"{esc}\")"),
        ),
    ];
    for (path, from, to) in &cases {
        let sc = SMALL.replacen(from, to, 1);
        assert_ne!(sc, SMALL);
        fs::write(dir.join("x.ron"), sc).unwrap();
        for args in [
            vec!["check", "x.ron"],
            vec!["run", "x.ron", "--runs", "3", "--out", "o", "-q", "--no-charts"],
            vec!["trace", "x.ron", "--out", "t", "-q", "--no-charts"],
        ] {
            let err = refused_at_once(dir, &args, &["x.ron"]);
            assert_eq!(err.lines().count(), 1, "{path} {args:?}: {err}");
            assert!(
                err.starts_with("error: x.ron:")
                    && err.contains(&format!(": {path}: "))
                    && err.contains("control character `\\u{1b}`"),
                "{path} {args:?}: {err}"
            );
        }
    }
    // A variant's name and description.
    fs::write(dir.join("s.ron"), SMALL).unwrap();
    for (field, line) in [("name", 3), ("description", 4)] {
        let v = "(\n  base: \"s.ron\",\n  name: \"v\",\n  description: \"d\",\n)".replacen(
            &format!("{field}: \""),
            &format!("{field}: \"\u{1b}[2J"),
            1,
        );
        fs::write(dir.join("v.ron"), v).unwrap();
        for args in [
            vec!["check", "v.ron"],
            vec!["run", "v.ron", "--runs", "3", "--out", "o", "-q"],
        ] {
            let err = refused_at_once(dir, &args, &["s.ron", "v.ron", "x.ron"]);
            assert!(
                err.starts_with(&format!("error: v.ron:{line}:"))
                    && err.contains(&format!(": {field}: "))
                    && err.contains("`\\u{1b}`"),
                "{args:?}: {err}"
            );
        }
    }
    // A description may hold newlines and tabs; other texts may not.
    let ok = SMALL.replacen("test fixture", "two\\n\\tlines", 1);
    LoadedScenario::parse("x.ron", &ok).unwrap().validate().unwrap();
    let bad = SMALL.replacen("text: \"Alpha and", "text: \"\\nAlpha and", 1);
    has(&refused(&bad), "events.border.text", "control character `\\n`");
}

/// ESC in a pattern's name or description: `score` refuses the file in one line per problem
/// naming the field, and writes nothing.
#[test]
fn control_characters_in_pattern_files_are_refused() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("s.ron"), SMALL).unwrap();
    let rule = "rule: Initiator(a: \"a\", b: \"b\", polity: \"a\")";
    for (path, pattern) in [
        ("patterns[0].name", format!("(name: \"x\u{1b}[31m\", {rule})")),
        (
            "patterns.ok.description",
            format!("(name: \"ok\", description: \"a\u{1b}[2Jb\", {rule})"),
        ),
    ] {
        fs::write(dir.join("p.ron"), format!("(patterns: [\n  {pattern},\n])")).unwrap();
        let args = [
            "score",
            "s.ron",
            "--patterns",
            "p.ron",
            "--runs",
            "3",
            "--out",
            "o",
            "-q",
            "--no-charts",
        ];
        let err = refused_at_once(dir, &args, &["p.ron", "s.ron"]);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: p.ron:2:")
                && err.contains(&format!(": {path}: "))
                && err.contains("control character `\\u{1b}`"),
            "{err}"
        );
    }
}

/// An ESC sequence in `--dyad`, `--by`, `--mechanisms`, `--vary`, `--free`, `--prior-odds`,
/// `--format`, `--size`, `--sample`, `--set`, a merge part's path, a scenario's or pattern file's
/// name, a path argument, or an argument clap refuses reached the terminal raw, and a
/// 100,000-character argument was echoed whole. Now every echo is escaped and clipped: stderr holds
/// no control character but the newline that ends a line, stays short, and each refusal comes
/// within one second.
#[test]
fn every_echo_of_an_argument_is_escaped_and_clipped() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let esc = "\u{1b}[31mred\u{1b}]0;pwned\u{7}";
    let long = format!("\u{1b}[2J{}", "y".repeat(100_000));
    // A scenario and a pattern file whose names hold the escape, each refused for its content.
    fs::write(dir.join(format!("{esc}.ron")), "(name: \"x\", oops)").unwrap();
    fs::write(dir.join(format!("p{esc}.ron")), "(patterns: [oops])").unwrap();
    fs::write(dir.join(format!("part{esc}.json")), "{}").unwrap();
    let base = baseline_path().display().to_string();
    let (b, small) = (base.as_str(), "small.ron");
    fs::write(dir.join(small), SMALL).unwrap();
    // A live process named as the holder of an output folder's lock, with a hostile command line.
    let holder = std::process::id().to_string();
    for value in [esc.to_string(), long] {
        let v = value.as_str();
        let file_esc = format!("{esc}.ron");
        let pattern_esc = format!("p{esc}.ron");
        let part_esc = format!("part{esc}.json");
        let (scenario, patterns, part) = match v == esc {
            true => (file_esc.as_str(), pattern_esc.as_str(), part_esc.as_str()),
            false => (v, v, v),
        };
        let write = format!("{v}/x.ron");
        let range = format!("seed=1..{v}");
        // This test holds the folder's OS lock, as a running command would.
        fs::write(dir.join(".locked.lock"), format!("{holder}\n{v}\n")).unwrap();
        let held = fs::File::open(dir.join(".locked.lock")).unwrap();
        held.try_lock().expect("the test takes the lock");
        let cases: Vec<Vec<&str>> = vec![
            vec!["attribute", "--mechanisms", v],
            vec!["compare", b, b, "--dyad", v],
            vec!["compare", b, b, "--by", v],
            vec!["attribute", "--mechanisms", "greed", "--dyad", v],
            vec!["sweep", "--vary", v],
            vec!["sweep", small, "--vary", "seed=1,2", "--dyad", v],
            vec!["sweep", small, "--vary", "seed=1,2", "--by", v],
            vec!["sweep", small, "--vary", "seed=1,2", "--sample", v],
            vec!["sweep", small, "--vary", &range],
            vec!["sensitivity", "--vary", v],
            vec!["calibrate", b, "--free", v],
            vec![
                "calibrate",
                b,
                "--free",
                "polities.jin.war_readiness=0.1..0.9",
                "--write",
                &write,
            ],
            vec!["evidence", b, "--prior-odds", v],
            vec!["run", small, "--format", v],
            vec!["run", small, "--size", v],
            vec!["run", small, "--set", v],
            vec!["run", small, "--out", v],
            vec!["run", small, "--posterior", v],
            vec!["run", scenario],
            vec!["check", scenario],
            vec!["score", small, "--patterns", patterns],
            vec!["merge", part, "--out", "merged"],
            vec!["plot", v],
            vec!["trace", "--out", v],
            // Clap's own refusals.
            vec!["run", small, "--runs", v],
            vec!["run", small, "--shard", v],
            vec!["run", small, "--checkpoint-every", v],
            vec!["run", small, v],
            vec![v],
            // The lock holder's command line.
            vec!["run", small, "--out", "locked", "-q", "--no-charts"],
        ];
        for args in cases {
            let command = format!("{args:?}").chars().take(200).collect::<String>();
            let started = Instant::now();
            let out = jinsong(dir, &args);
            let took = started.elapsed();
            let err = text(&out.stderr);
            let shown = err.chars().take(1500).collect::<String>();
            assert!(!out.status.success(), "{command}: {shown}");
            assert!(took < Duration::from_secs(1), "{command} took {took:?}");
            assert!(!err.contains("panicked"), "{command}: {shown}");
            assert!(
                !err.trim_end_matches('\n')
                    .chars()
                    .any(|c| c.is_control() && c != '\n'),
                "{command}: a control character reached stderr: {shown:?}"
            );
            assert!(!out.stdout.iter().any(|&c| c == 0x1b || c == 0x07), "{command}");
            assert!(err.len() < 2000, "{command}: {} bytes: {shown}", err.len());
            assert!(
                err.lines().all(|l| l.chars().count() <= 600),
                "{command}: {shown}"
            );
        }
    }
    let lock = fs::read_to_string(dir.join(".locked.lock")).unwrap();
    assert!(
        lock.starts_with(&holder),
        "the lock of a live holder was taken over"
    );
}

// ---------------------------------------------------------------------------------------------
// Numbers at the edges and bounded work
// ---------------------------------------------------------------------------------------------

/// The most a refusal may take (measured here, in the test).
const UNDER_A_SECOND: Duration = Duration::from_secs(1);

/// Parse `text`, apply `sets`, validate: the error, within a second.
fn refused_quickly(text: &str, sets: &[&str]) -> String {
    let started = Instant::now();
    let result = LoadedScenario::parse("x.ron", text).and_then(|mut l| {
        let o: Vec<Override> = sets.iter().map(|s| s.parse().expect("an override")).collect();
        l.apply_overrides(&o)?;
        l.validate()
    });
    let took = started.elapsed();
    let e = result.expect_err("the scenario was accepted").to_string();
    assert!(took < UNDER_A_SECOND, "refused after {took:?}: {e}");
    e
}

/// A strength of 4.9e-324 made fear infinite (Jin attacked everyone in the first month). Every
/// real number is checked against what the model can compute, by one range table, however it
/// is given: in the file, by `--set`, by a `Set` effect, as a prior's support or a `Choice`
/// value; subnormal numbers are refused in every field, and the `Strength` effects on a polity
/// may not drive its strength out of what a ratio can hold.
#[test]
fn numbers_the_model_cannot_compute_are_refused_however_given() {
    let tiny = "4.9e-324";
    let e = refused_quickly(
        &SMALL.replacen("strength: 0.8", &format!("strength: {tiny}"), 1),
        &[],
    );
    assert!(
        e.contains("polities.b.strength") && e.contains("0.000001 ..= 1000000"),
        "{e}"
    );
    let e = refused_quickly(SMALL, &[&format!("polities.a.strength={tiny}")]);
    assert!(e.contains("polities.a.strength"), "{e}");
    let e = refused_quickly(SMALL, &[&format!("polities.a.potential=LogUniform({tiny}, 1)")]);
    assert!(
        e.contains("polities.a.potential") && e.contains("subnormal"),
        "{e}"
    );
    let e = refused_quickly(SMALL, &["polities.a.potential=LogUniform(1e-300, 1)"]);
    assert!(e.contains("reaches outside the field's range"), "{e}");
    // Subnormal where 0 is allowed: refused too.
    let e = refused_quickly(SMALL, &[&format!("polities.a.war_propensity={tiny}")]);
    assert!(e.contains("subnormal"), "{e}");
    let e = refused_quickly(SMALL, &["polities.a.greed=Choice([0, 1e-310, 0.5])"]);
    assert!(e.contains("subnormal"), "{e}");
    let e = refused_quickly(SMALL, &["polities.a.greed=Uniform(1e-310, 0.5)"]);
    assert!(e.contains("subnormal"), "{e}");
    let set = SMALL.replacen(
        "effects: [Cease(polity: \"c\")]",
        &format!("effects: [Cease(polity: \"c\"), Set(path: \"polities.a.greed\", value: {tiny})]"),
        1,
    );
    let e = refused_quickly(&set, &[]);
    assert!(e.contains("polities.a.greed") && e.contains("subnormal"), "{e}");
    // A Strength factor too small, and factors that together leave no computable strength.
    let weak = SMALL.replacen(
        "effects: [Cease(polity: \"c\")]",
        "effects: [Strength(polity: \"a\", factor: 1e-300)]",
        1,
    );
    assert!(refused_quickly(&weak, &[]).contains("factor"));
    let mut many = String::new();
    for k in 0..3 {
        many.push_str(&format!(
            "(id: \"shrink{k}\", from: \"1201-01\", effects: [Strength(polity: \"a\", factor: 0.001)]),\n"
        ));
    }
    let shrunk = SMALL.replacen("    events: [\n", &format!("    events: [\n{many}"), 1);
    let e = refused_quickly(&shrunk, &[]);
    assert!(e.contains("the Strength effects on `a`"), "{e}");
    // Within the ranges, the same scenario is taken.
    let fine = LoadedScenario::parse("x.ron", SMALL).and_then(|mut l| {
        l.apply_overrides(&["polities.a.strength=0.000001".parse().unwrap()])?;
        l.validate()
    });
    assert!(fine.is_ok(), "{fine:?}");
}

/// A scenario with `n` events whose conditions hold `each` conditions.
fn conditions_scenario(n: usize, each: usize) -> String {
    let mut events = String::new();
    for k in 0..n {
        let parts = vec!["Ended(polity: \"c\")"; each - 1].join(",");
        events.push_str(&format!(
            "(id: \"w{k}\", from: \"1201-01\", to: \"1209-01\", when: All([{parts}]), effects: []),\n"
        ));
    }
    SMALL.replacen("    events: [\n", &format!("    events: [\n{events}"), 1)
}

/// The conditions of all events together are bounded (a 12.8 MB scenario of conditions took
/// 79 s to check and 190 s a run); a long chain of events that wait in a cycle (a 6 MB file
/// took 4 s) is refused at once, and so is a scenario of 128 polities with 256 priors with a bad
/// last prior (33 s; checking it took 52 s): the checks are linear.
#[test]
fn conditions_cycles_and_priors_are_checked_in_linear_time() {
    // 3,000 events of 250 conditions: 14 MB, refused before it is parsed.
    let e = refused_quickly(&conditions_scenario(3000, 250), &[]);
    assert!(e.contains("conditions in all (allowed: at most 16384"), "{e}");
    // Within the bound: taken.
    let ok = LoadedScenario::parse("x.ron", &conditions_scenario(60, 250)).and_then(|l| l.validate());
    assert!(ok.is_ok(), "{ok:?}");

    let mut chain = String::new();
    let n = MAX_EVENTS - 3; // the three of SMALL
    for k in 0..n {
        chain.push_str(&format!(
            "(id: \"c{k}\", from: \"1201-01\", when: All([Fired(event: \"c{}\"), Ended(polity: \"c\")]), effects: []),\n",
            (k + 1) % n
        ));
    }
    let cyclic = SMALL.replacen("    events: [\n", &format!("    events: [\n{chain}"), 1);
    let e = refused_quickly(&cyclic, &[]);
    assert!(
        e.contains("in a cycle (c0 waits for c1 waits for c2"),
        "{}",
        &e[..e.len().min(500)]
    );

    // 128 polities, 256 priors, the last one bad.
    let mut head = String::from("(name: \"many\", start: \"1200-01\", end: \"1200-12\", polities: [");
    for k in 0..MAX_POLITIES {
        head.push_str(&format!(
            "(id: \"p{k}\", name: \"P{k}\", strength: 1, potential: 1, mobilization_lag: 1, fear_gain: 0.1, fear_decay: 0.1),"
        ));
    }
    head.push_str("])");
    let mut sets: Vec<String> = (0..MAX_POLITIES)
        .flat_map(|k| {
            [
                format!("polities.p{k}.greed=Uniform(0, 0.1)"),
                format!("polities.p{k}.stability=Beta(2, 3)"),
            ]
        })
        .collect();
    let started = Instant::now();
    let accepted = LoadedScenario::parse("x.ron", &head).and_then(|mut l| {
        let o: Vec<Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
        l.apply_overrides(&o)?;
        l.validate()
    });
    assert!(accepted.is_ok(), "{accepted:?}");
    assert!(
        started.elapsed() < UNDER_A_SECOND,
        "256 priors checked in {:?}",
        started.elapsed()
    );
    sets.pop();
    sets.push(format!(
        "polities.p{}.stability=Uniform(0.5, 2)",
        MAX_POLITIES - 1
    ));
    let refs: Vec<&str> = sets.iter().map(String::as_str).collect();
    let e = refused_quickly(&head, &refs);
    assert!(e.contains("reaches outside the field's range"), "{e}");
}

/// `sweep --vary X=0..1:1000000000` grew memory at 230 MB/s: steps, and the product of the
/// steps of every `--vary`, are bounded before anything is built.
#[test]
fn sweep_steps_are_bounded_before_any_work() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let base = baseline_path().display().to_string();
    for varies in [
        vec!["polities.jin.greed=0..1:1000000000"],
        vec![
            "polities.jin.greed=0..1:100000",
            "polities.song.greed=0..1:100000",
        ],
        vec!["polities.jin.greed=0..1:18446744073709551616"],
    ] {
        let mut args = vec!["sweep", base.as_str()];
        for v in &varies {
            args.extend(["--vary", v]);
        }
        args.extend(["--runs", "10", "--out", "o"]);
        let started = Instant::now();
        let out = jinsong(dir, &args);
        let took = started.elapsed();
        assert_ne!(out.status.code(), Some(0), "{varies:?} accepted");
        assert!(took < UNDER_A_SECOND, "{varies:?} refused after {took:?}");
        let err = text(&out.stderr);
        assert!(err.contains("10000000"), "{varies:?}: {err}");
        assert!(!dir.join("o").exists());
    }
}
