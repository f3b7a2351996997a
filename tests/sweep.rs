//! `jinsong sweep` through the real binary: points equal separate `run --set` results (common
//! random numbers), `sweep.csv` is identical at 1 and 2 threads and across shards, bad input is
//! refused before any run, and `plot` redraws the sweep's chart.

use std::fs;

use crate::common::{jinsong, ok};
use jinsong::batch::part::Part;
use jinsong::study::run::Summary;
use jinsong::study::sweep::SweepCounts;
use tempfile::TempDir;

#[test]
fn a_one_way_sweep_equals_separate_runs_with_set() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    ok(
        dir,
        &[
            "sweep",
            "--vary",
            "polities.song.mobilization_lag=2..24:3",
            "--runs",
            "300",
            "--seed",
            "77",
            "--out",
            "sw",
            "--no-charts",
            "--quiet",
        ],
    );
    let csv = fs::read_to_string(dir.join("sw/sweep.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "polities.song.mobilization_lag,a,b,runs,war_runs,war_probability,ci_low,ci_high"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let mut checked = 0;
    for value in ["2", "13", "24"] {
        let out = format!("run-{value}");
        ok(
            dir,
            &[
                "run",
                "--set",
                &format!("polities.song.mobilization_lag={value}"),
                "--runs",
                "300",
                "--seed",
                "77",
                "--out",
                &out,
                "--no-charts",
                "--quiet",
            ],
        );
        let summary: Summary =
            serde_json::from_str(&fs::read_to_string(dir.join(&out).join("summary.json")).unwrap()).unwrap();
        let mine: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == value).collect();
        assert_eq!(mine.len(), summary.dyads.len(), "one row per pair at {value}");
        for (r, d) in mine.iter().zip(&summary.dyads) {
            assert_eq!((r[1], r[2]), (d.a.as_str(), d.b.as_str()));
            assert_eq!(r[3], "300");
            let war_runs: u64 = r[4].parse().unwrap();
            assert_eq!(
                war_runs,
                (d.war_probability * 300.0).round() as u64,
                "{value} {}–{}",
                d.a,
                d.b
            );
            // The counts are equal; the printed probabilities may differ in the last bit.
            let close = |k: usize, want: f64| (r[k].parse::<f64>().unwrap() - want).abs() < 1e-12;
            assert!(
                close(5, d.war_probability) && close(6, d.ci95[0]) && close(7, d.ci95[1]),
                "{r:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, rows.len());
    // The lag matters: not every point gives the same counts for every pair (else the test is
    // vacuous about which point is which).
    let counts = |value: &str| -> Vec<&str> { rows.iter().filter(|r| r[0] == value).map(|r| r[4]).collect() };
    assert!(
        counts("2") != counts("13") || counts("13") != counts("24"),
        "{:?}",
        [counts("2"), counts("13"), counts("24")]
    );
}

#[test]
fn sweep_csv_is_identical_at_1_and_2_threads_and_across_shards() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let args = |threads: &str, out: &str| -> Vec<String> {
        [
            "sweep",
            "--vary",
            "polities.song.mobilization_lag=2..24",
            "--vary",
            "relations.song.jin.provocation_rate=0..0.3",
            "--sample",
            "lhs:5",
            "--runs",
            "600",
            "--by",
            "1127-12",
            "--threads",
            threads,
            "--out",
            out,
            "--quiet",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |threads: &str, out: &str, extra: &[&str]| {
        let mut a = args(threads, out);
        a.extend(extra.iter().map(|s| s.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ok(dir, &a);
    };
    run("1", "t1", &[]);
    run("2", "t2", &[]);
    let one = fs::read(dir.join("t1/sweep.csv")).unwrap();
    assert_eq!(one, fs::read(dir.join("t2/sweep.csv")).unwrap());
    assert_eq!(String::from_utf8_lossy(&one).lines().count(), 1 + 5 * 10);
    // A scattered two-way sample has no chart (only a line or a full grid is drawn).
    assert!(!dir.join("t1/sweep.svg").exists());

    // Shards 1/2 and 2/2 hold disjoint points; merged, they give the same sweep.csv.
    run("2", "parts", &["--shard", "1/2"]);
    run("1", "parts", &["--shard", "2/2"]);
    let read = |name: &str| -> Part<SweepCounts> {
        serde_json::from_str(&fs::read_to_string(dir.join("parts").join(name)).unwrap()).unwrap()
    };
    let (p1, p2) = (read("part-1-of-2.json"), read("part-2-of-2.json"));
    assert_eq!(p1.command.name(), "sweep");
    assert_eq!(p1.settings, p2.settings);
    assert_eq!(p1.scenario_hash, p2.scenario_hash);
    assert_eq!((p1.counts.points.len(), p2.counts.points.len()), (2, 3));
    // `jinsong merge` (parts in any order) writes the same sweep.csv as the single sweep.
    ok(
        dir,
        &[
            "merge",
            "parts/part-2-of-2.json",
            "parts/part-1-of-2.json",
            "--out",
            "merged",
            "--quiet",
        ],
    );
    assert_eq!(fs::read(dir.join("merged/sweep.csv")).unwrap(), one);
}

#[test]
fn plot_redraws_the_sweep_chart() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    ok(
        dir,
        &[
            "sweep",
            "--vary",
            "polities.song.mobilization_lag=2,24",
            "--vary",
            "mechanisms.provocations=true,false",
            "--dyad",
            "jin,song",
            "--runs",
            "100",
            "--out",
            "sw",
            "--quiet",
        ],
    );
    let svg = fs::read(dir.join("sw/sweep.svg")).unwrap();
    fs::remove_file(dir.join("sw/sweep.svg")).unwrap();
    ok(dir, &["plot", "sw", "--format", "svg"]);
    assert_eq!(fs::read(dir.join("sw/sweep.svg")).unwrap(), svg);
}

/// A refused sweep: non-zero exit, one error line containing every `expect`, nothing written.
fn refused(args: &[&str], expect: &[&str]) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let mut all = vec!["sweep", "--runs", "10", "--out", "sw"];
    all.extend_from_slice(args);
    let out = jinsong(dir, &all);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    for e in expect {
        assert!(err.contains(e), "{args:?}: `{err}` lacks `{e}`");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(fs::read_dir(dir).unwrap().count(), 0, "{args:?} wrote something");
}

#[test]
fn bad_sweeps_are_refused_before_any_run() {
    refused(
        &["--vary", "polities.song.mobilisation_lag=2..24:3"],
        &[
            "polities.song.mobilisation_lag",
            "nearest valid paths",
            "polities.song.mobilization_lag",
        ],
    );
    refused(
        &["--vary", "polities.song.mobilization_lag=24..2:3"],
        &["LO < HI"],
    );
    refused(
        &["--vary", "polities.song.mobilization_lag=2..24:1"],
        &["STEPS", "≥ 2"],
    );
    refused(
        &["--vary", "polities.jin.stability=0.5..1.5:3"],
        &["polities.jin.stability=1.5", "stability"],
    );
    refused(
        &["--vary", "polities.jin.stability=0.5..0.9", "--sample", "lhs:0"],
        &["--sample", "lhs:0"],
    );
    refused(&["--vary", "polities.jin.stability=0.5..0.9"], &["LO..HI:STEPS"]);
    refused(
        &["--vary", "polities.jin.stability=0.5..0.9:2", "--by", "1200-01"],
        &["--by"],
    );
    refused(
        &[
            "--vary",
            "polities.jin.stability=0.5..0.9:2",
            "--dyad",
            "jin,mongol",
        ],
        &["mongol"],
    );
    // `--shard` is parsed by the argument parser (as for every sharded command): its usage error.
    let tmp = TempDir::new().unwrap();
    let out = jinsong(
        tmp.path(),
        &[
            "sweep",
            "--vary",
            "polities.jin.stability=0.5..0.9:2",
            "--shard",
            "3/2",
            "--out",
            "sw",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--shard") && err.contains("3/2"),
        "{err}"
    );
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_grid_sweep_in_three_shards_merges_to_the_single_sweep_with_its_chart() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let base = [
        "sweep",
        "--vary",
        "relations.jin.song.trust=0.3..0.7:5",
        "--runs",
        "300",
        "--dyad",
        "jin,song",
        "--format",
        "svg",
        "--quiet",
    ];
    let with = |extra: &[&str]| -> Vec<String> { base.iter().chain(extra).map(|s| s.to_string()).collect() };
    let run = |a: Vec<String>| ok(dir, &a.iter().map(String::as_str).collect::<Vec<_>>());
    run(with(&["--out", "single"]));
    for k in 1..=3 {
        run(with(&["--shard", &format!("{k}/3"), "--out", "parts"]));
    }
    // A missing shard is refused, and nothing is written.
    let refused = jinsong(
        dir,
        &[
            "merge",
            "parts/part-1-of-3.json",
            "parts/part-3-of-3.json",
            "--out",
            "bad",
        ],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("2"),
        "{refused:?}"
    );
    assert!(!dir.join("bad").exists());
    run(vec![
        "merge".into(),
        "parts/part-3-of-3.json".into(),
        "parts/part-1-of-3.json".into(),
        "parts/part-2-of-3.json".into(),
        "--format".into(),
        "svg".into(),
        "--out".into(),
        "merged".into(),
        "--quiet".into(),
    ]);
    for file in ["sweep.csv", "sweep.svg"] {
        let single = fs::read(dir.join("single").join(file)).unwrap();
        assert_eq!(single, fs::read(dir.join("merged").join(file)).unwrap(), "{file}");
    }
}
