//! Seeded mutation tests of every reader of the files the tool writes, and of the command-line
//! parsers: the ordinary test suite's stand-in for the fuzz targets of `fuzz/` (which need a
//! nightly toolchain). Real files are written by the real binary, then mutated (bytes deleted,
//! inserted, replaced; lines duplicated, deleted, swapped; hostile tokens such as `1e308`, `NaN`,
//! `-0`, an ESC) with a fixed seed and a fixed number of cases, and fed to their reader:
//!
//! - `posterior_sample.csv` to `read_posterior_sample` (what `--posterior` reads);
//! - `checkpoint.json` to `Checkpoint::resume` (what `--resume` reads);
//! - a part file to `jinsong merge` (with the other, untouched part);
//! - every result file `plot` reads to `render_folder` (run, trace, score, compare, attribute,
//!   sweep, sensitivity, evidence);
//! - the arguments of real command lines to clap's parser, and the strings of `--set`, `--vary`,
//!   `--free`, `--prior-odds`, `--dyad`, `--by`, `--mechanisms`, `--format`, `--size`, `--shard`,
//!   `--checkpoint-every`, `--sample` and priors to the library's parsers.
//!
//! Every answer must come without a panic and within one second; a refusal of a file is an error
//! (an argument's error message, besides, holds no control character and no long line).

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread::sleep;
use std::time::{Duration, Instant};

use clap::Parser;
use jinsong::batch::checkpoint::Checkpoint;
use jinsong::calendar::Month;
use jinsong::charts::{render_folder, ChartOptions};
use jinsong::cli::args::Cli;
use jinsong::model::Model;
use jinsong::scenario::prior::{read_posterior_sample, Distribution};
use jinsong::scenario::{LoadedScenario, Override};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use tempfile::TempDir;

use crate::common::mutation::{apply, mutation, Mutation};
use crate::common::{bin, greed_reading, jinsong, ok, text, SMALL};

/// Longest time any answer may take.
const AT_ONCE: Duration = Duration::from_secs(1);

/// Tokens that break numbers, CSV, JSON and the arguments' syntax.
const TOKENS: [&str; 24] = [
    ",",
    "\n",
    "\"",
    ":",
    "=",
    "..",
    "{",
    "}",
    "[",
    "]",
    "-",
    "0",
    "-0",
    "1e308",
    "4.9e-324",
    "NaN",
    "inf",
    "18446744073709551616",
    "99999999999999999999",
    "\u{1b}[31m",
    "é",
    "/",
    "x",
    " ",
];

/// `original` with `edits` applied.
fn mutated(original: &[u8], edits: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for e in edits {
        apply(&mut bytes, e);
    }
    bytes
}

/// Run `check(edits)` on `cases` seeded lists of 1 to 4 edits: no panic, each within
/// [`AT_ONCE`]. `what` names the target in a failure.
fn mutate(what: &str, seed: u8, cases: u32, check: impl Fn(&[Mutation]) -> Result<(), String>) {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&prop::collection::vec(mutation(&TOKENS, 24), 1..5), |edits| {
        let started = Instant::now();
        let answer = catch_unwind(AssertUnwindSafe(|| check(&edits)));
        let took = started.elapsed();
        match answer {
            Err(_) => Err(TestCaseError::fail(format!("{what}: panicked on {edits:?}"))),
            Ok(Err(problem)) => Err(TestCaseError::fail(format!("{what}: {problem} ({edits:?})"))),
            Ok(Ok(())) if took >= AT_ONCE => {
                Err(TestCaseError::fail(format!("{what}: took {took:?} on {edits:?}")))
            }
            Ok(Ok(())) => Ok(()),
        }
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A message for the terminal: no control character but newline, no line over 1,000 characters.
fn quiet(message: &str) -> Result<(), String> {
    if message.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!("a control character in {message:?}"));
    }
    match message.lines().any(|l| l.chars().count() > 1000) {
        true => Err(format!(
            "a long line in {}",
            message.chars().take(300).collect::<String>()
        )),
        false => Ok(()),
    }
}

#[test]
fn mutated_posterior_samples_are_answered_at_once() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let (reading, patterns) = greed_reading(dir);
    ok(
        dir,
        &[
            "evidence",
            &reading,
            "--patterns",
            &patterns,
            "--runs",
            "400",
            "--out",
            "ev",
            "-q",
            "--no-charts",
        ],
    );
    let file = dir.join("ev/posterior_sample.csv");
    let original = fs::read(&file).unwrap();
    assert!(read_posterior_sample(&dir.join("ev"), "reading").is_ok());
    mutate("posterior_sample.csv", 1, 256, |edits| {
        fs::write(&file, mutated(&original, edits)).unwrap();
        let _ = read_posterior_sample(&dir.join("ev"), "reading");
        Ok(())
    });
}

#[test]
fn mutated_checkpoints_are_answered_at_once() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    // A batch far too long to finish, killed once it has written its first checkpoint.
    let mut child = bin()
        .current_dir(dir)
        .args([
            "run",
            "small.ron",
            "--runs",
            "5000000",
            "--threads",
            "1",
            "--checkpoint-every",
            "0",
        ])
        .args(["--out", "cp", "-q", "--no-charts"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let file = dir.join("cp/checkpoint.json");
    let started = Instant::now();
    while !file.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the batch ended");
        assert!(started.elapsed() < Duration::from_secs(120), "no checkpoint");
        sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let original = fs::read(&file).unwrap();
    let genuine: Checkpoint<serde_json::Value> = serde_json::from_slice(&original).unwrap();
    let expected = genuine.identity();
    let out = dir.join("cp");
    assert!(Checkpoint::<serde_json::Value>::resume(&out, &expected, 5_000_000).is_ok());
    mutate("checkpoint.json", 2, 256, |edits| {
        fs::write(&file, mutated(&original, edits)).unwrap();
        match Checkpoint::<serde_json::Value>::resume(&out, &expected, 5_000_000) {
            Ok(_) => Ok(()),
            Err(e) => quiet(&e.to_string()),
        }
    });
}

#[test]
fn mutated_part_files_are_answered_at_once() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    for k in ["1/2", "2/2"] {
        ok(
            dir,
            &[
                "run",
                "small.ron",
                "--runs",
                "300",
                "--shard",
                k,
                "--out",
                "parts",
                "-q",
            ],
        );
    }
    let file = dir.join("parts/part-1-of-2.json");
    let original = fs::read(&file).unwrap();
    mutate("part-1-of-2.json", 3, 64, |edits| {
        fs::write(&file, mutated(&original, edits)).unwrap();
        let out = jinsong(
            dir,
            &[
                "merge",
                "parts/part-1-of-2.json",
                "parts/part-2-of-2.json",
                "--out",
                "merged",
                "-q",
                "--no-charts",
            ],
        );
        let err = text(&out.stderr);
        match out.status.code() {
            Some(0) => Ok(()),
            Some(1) if err.starts_with("error: ") && !err.contains("panicked") => quiet(&err),
            code => Err(format!("merge ended with {code:?}: {err}")),
        }
    });
}

/// Every result file of the finished folders (of each study `plot` reads) in `dir`.
fn result_files(dir: &Path, folders: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for f in folders {
        for e in fs::read_dir(dir.join(f)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json" || x == "csv") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn mutated_result_files_are_answered_at_once_by_plot() {
    let (tmp, base, reading, patterns) = crate::common::plot_fixture();
    let dir = tmp.path();
    let quiet_runs = ["-q", "--no-charts", "--runs", "60"];
    let commands: [&[&str]; 8] = [
        &["run", "small.ron", "--out", "run"],
        &["trace", "small.ron", "--out", "trace"],
        &["score", &base, "--out", "score"],
        &[
            "compare",
            "small.ron",
            "small.ron",
            "--dyad",
            "a,b",
            "--out",
            "compare",
        ],
        &[
            "attribute",
            &base,
            "--mechanisms",
            "greed,consent",
            "--out",
            "attr",
        ],
        &[
            "sweep",
            "small.ron",
            "--vary",
            "polities.a.fear_gain=0.1..0.5:3",
            "--out",
            "sweep",
        ],
        &[
            "sensitivity",
            &base,
            "--vary",
            "polities.jin.war_readiness=0.1..0.9",
            "--samples",
            "4",
            "--out",
            "sens",
        ],
        &["evidence", &reading, "--patterns", &patterns, "--out", "ev"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        match c[0] {
            "trace" => args.extend(["-q", "--no-charts"]),
            _ => args.extend(quiet_runs),
        }
        ok(dir, &args);
    }
    let opts = ChartOptions {
        formats: vec![jinsong::charts::Format::Svg],
        width: 800,
        height: 500,
        title: true,
    };
    let folders = ["run", "trace", "score", "compare", "attr", "sweep", "sens", "ev"];
    for f in folders {
        assert!(render_folder(&dir.join(f), &opts).is_ok(), "{f}");
    }
    for (k, file) in result_files(dir, &folders).iter().enumerate() {
        let original = fs::read(file).unwrap();
        let folder = file.parent().unwrap().to_path_buf();
        let name = file.strip_prefix(dir).unwrap().display().to_string();
        mutate(&name, 10 + k as u8, 24, |edits| {
            fs::write(file, mutated(&original, edits)).unwrap();
            match render_folder(&folder, &opts) {
                Ok(_) => Ok(()),
                Err(e) => quiet(&e.to_string()),
            }
        });
        fs::write(file, &original).unwrap();
    }
}

#[test]
fn mutated_arguments_are_answered_at_once() {
    // Whole command lines through clap.
    let lines: [&[&str]; 8] = [
        &[
            "jinsong", "run", "s.ron", "--runs", "100", "--seed", "7", "--set", "seed=3", "--shard", "1/4",
        ],
        &[
            "jinsong",
            "sweep",
            "--vary",
            "polities.song.mobilization_lag=2..24:12",
            "--sample",
            "lhs:20",
        ],
        &[
            "jinsong",
            "calibrate",
            "s.ron",
            "--free",
            "polities.jin.war_readiness=0.1..0.9",
            "--budget",
            "8",
        ],
        &[
            "jinsong",
            "evidence",
            "a.ron",
            "b.ron",
            "--prior-odds",
            "1:2",
            "--sample",
            "10",
        ],
        &[
            "jinsong", "compare", "a.ron", "b.ron", "--dyad", "jin,song", "--by", "1130-01",
        ],
        &[
            "jinsong",
            "attribute",
            "--mechanisms",
            "greed,consent",
            "--format",
            "svg",
            "--size",
            "900x600",
        ],
        &[
            "jinsong",
            "run",
            "--checkpoint-every",
            "0.5",
            "--threads",
            "2",
            "--resume",
            "--out",
            "o",
        ],
        &[
            "jinsong",
            "plot",
            "dir",
            "--format",
            "svg,png",
            "--size",
            "1200x750",
            "--no-title",
        ],
    ];
    for (k, line) in lines.iter().enumerate() {
        mutate(&format!("command line {k}"), 40 + k as u8, 64, |edits| {
            // Each edit lands in one argument, chosen by its position.
            let mut args: Vec<String> = line.iter().map(|s| s.to_string()).collect();
            for (i, e) in edits.iter().enumerate() {
                let at = 1 + (i * 7 + k) % (args.len() - 1);
                let bytes = mutated(args[at].as_bytes(), std::slice::from_ref(e));
                args[at] = String::from_utf8_lossy(&bytes).into_owned();
            }
            match Cli::try_parse_from(&args) {
                Ok(_) => Ok(()),
                Err(e) => quiet(&jinsong::text::quiet_library_message(&e.render().to_string())),
            }
        });
    }
    // Each argument's own parser in the library.
    let model = Model::compile(&LoadedScenario::baseline().unwrap().scenario);
    type Parse<'a> = Box<dyn Fn(&str) -> Result<(), String> + 'a>;
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let parsers: Vec<(&str, &str, Parse)> = vec![
        (
            "--set",
            "polities.song.mobilization_lag=2",
            Box::new(|s| s.parse::<Override>().map(drop).map_err(|e| err(&e))),
        ),
        (
            "--vary",
            "polities.song.mobilization_lag=2..24:12",
            Box::new(|s| {
                s.parse::<jinsong::study::sweep::Vary>()
                    .map(drop)
                    .map_err(|e| err(&e))
            }),
        ),
        (
            "--free",
            "polities.jin.war_readiness=0.1..0.9",
            Box::new(|s| s.parse::<jinsong::study::calibrate::FreeParameter>().map(drop)),
        ),
        (
            "--prior-odds",
            "1:2.5",
            Box::new(|s| {
                jinsong::cli::commands::parse_prior_odds(s, 2)
                    .map(drop)
                    .map_err(|e| err(&e))
            }),
        ),
        (
            "--dyad",
            "jin,song",
            Box::new(|s| {
                jinsong::study::dyad::resolve_dyad(&model, s)
                    .map(drop)
                    .map_err(|e| err(&e))
            }),
        ),
        (
            "--by",
            "1130-01",
            Box::new(|s| s.parse::<Month>().map(drop).map_err(|e| err(&e))),
        ),
        (
            "--mechanisms",
            "greed,consent,fear_spiral",
            Box::new(|s| {
                let names: Vec<&str> = s.split(',').map(str::trim).collect();
                jinsong::study::attribute::check_mechanisms(&names).map_err(|e| err(&e))
            }),
        ),
        (
            "--format",
            "svg,png",
            Box::new(|s| jinsong::charts::parse_formats(s).map(drop).map_err(|e| err(&e))),
        ),
        (
            "--size",
            "1200x750",
            Box::new(|s| jinsong::charts::parse_size(s).map(drop).map_err(|e| err(&e))),
        ),
        (
            "--shard",
            "3/8",
            Box::new(|s| s.parse::<jinsong::batch::shard::Shard>().map(drop)),
        ),
        (
            "--checkpoint-every",
            "30",
            Box::new(|s| jinsong::batch::checkpoint::parse_every(s).map(drop)),
        ),
        (
            "--sample",
            "lhs:200",
            Box::new(|s| {
                s.parse::<jinsong::study::sweep::Sample>()
                    .map(drop)
                    .map_err(|e| err(&e))
            }),
        ),
        (
            "a prior",
            "Beta(2, 5)",
            Box::new(|s| match Distribution::parse(s) {
                Some(Ok(d)) => d.problem().map_or(Ok(()), Err),
                Some(Err(e)) => Err(e),
                None => Ok(()),
            }),
        ),
    ];
    for (k, (name, valid, parse)) in parsers.iter().enumerate() {
        assert!(parse(valid).is_ok(), "{name} {valid}");
        mutate(name, 60 + k as u8, 256, |edits| {
            let bytes = mutated(valid.as_bytes(), edits);
            match parse(&String::from_utf8_lossy(&bytes)) {
                Ok(()) => Ok(()),
                Err(message) => quiet(&message),
            }
        });
    }
}
