//! Shards and `jinsong merge`, driving the real binary:
//!
//! - `run` split into 1, 3 and 7 shards and merged writes exactly the files of the single run,
//!   byte for byte (summary.json, onset_curve.csv, the charts);
//! - scripts/shards-local.sh (the Slurm recipe as a plain loop) gives the single run's files;
//! - merge refuses a missing, duplicated or foreign part (other seed, other scenario) and mixed
//!   shard counts, in one line naming the files, and writes nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{jinsong, ok, root, scenarios_dir, strs, text};
use tempfile::TempDir;

/// Every file of a folder by name, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn assert_same_folder(single: &Path, merged: &Path) {
    let (a, b) = (files(single), files(merged));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{} vs {}",
        single.display(),
        merged.display()
    );
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "{name} differs between {} and {}",
            single.display(),
            merged.display()
        );
    }
}

const RUN: [&str; 5] = ["run", "--runs", "2000", "--seed", "11"];

/// Write the parts of `run` split into `n` shards into `parts`.
fn shards(dir: &Path, n: u64, parts: &str, extra: &[&str]) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let shard = format!("{k}/{n}");
            let mut args = RUN.to_vec();
            args.extend(["--shard", &shard, "--out", parts, "--quiet"]);
            args.extend(extra);
            ok(dir, &args);
            dir.join(parts).join(format!("part-{k}-of-{n}.json"))
        })
        .collect()
}

fn path_args(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| p.display().to_string()).collect()
}

#[test]
fn run_in_1_3_and_7_shards_merges_into_the_single_run_byte_for_byte() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let mut single = RUN.to_vec();
    single.extend(["--out", "single", "--format", "svg", "--quiet"]);
    ok(dir, &single);
    for n in [1u64, 3, 7] {
        let parts_dir = format!("parts{n}");
        let mut parts = shards(dir, n, &parts_dir, &[]);
        // A shard writes only its part: no summary, no charts.
        assert_eq!(files(&dir.join(&parts_dir)).len(), n as usize);
        parts.reverse(); // any order
        let merged = format!("merged{n}");
        let mut args: Vec<String> = vec!["merge".into()];
        args.extend(path_args(&parts));
        args.extend(["--out".into(), merged.clone(), "--format".into(), "svg".into()]);
        let out = ok(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            text(&out.stdout).contains("2000 runs, seed 11"),
            "{}",
            text(&out.stdout)
        );
        assert_same_folder(&dir.join("single"), &dir.join(&merged));
    }
    // The part file is the documented envelope.
    let part: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("parts3/part-2-of-3.json")).unwrap()).unwrap();
    assert_eq!(part["format"], "jinsong-part/2");
    assert_eq!(
        part["digest"].as_str(),
        Some(jinsong::batch::part::digest_of(&part).unwrap().as_str())
    );
    assert_eq!(part["command"], "run");
    assert_eq!(part["shard"], serde_json::json!({"index": 2, "count": 3}));
    assert_eq!(part["seed"], 11);
    assert_eq!(part["counts"]["runs"], 667); // runs floor(2000/3) .. floor(4000/3)
    assert!(part["scenario_hash"].as_str().unwrap().starts_with("fnv1a64:"));
    assert!(part["argv"].as_array().unwrap().iter().any(|a| a == "2/3"));
}

#[test]
fn the_local_shard_script_gives_the_single_run() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let scenario = root().join("tests/data/small.ron");
    let scenario = scenario.to_str().unwrap();
    ok(
        dir,
        &[
            "run", scenario, "--runs", "3000", "--seed", "2", "--out", "single", "--quiet",
        ],
    );
    let script = root().join("scripts/shards-local.sh");
    let out = Command::new("bash")
        .current_dir(dir)
        .env("JINSONG", env!("CARGO_BIN_EXE_jinsong"))
        .arg(&script)
        .args([
            "3", "parts", "merged", "run", scenario, "--runs", "3000", "--seed", "2",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_same_folder(&dir.join("single"), &dir.join("merged"));
    assert!(files(&dir.join("single")).contains_key("onset_curves.png"));
}

/// `merge` must fail with one line containing `needle`, and write nothing.
fn refused(dir: &Path, parts: &[PathBuf], needle: &str) {
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(path_args(parts));
    args.extend(["--out".into(), "refused".into()]);
    let out = jinsong(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!dir.join("refused").exists());
}

#[test]
fn merge_refuses_missing_duplicate_and_foreign_parts() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let p = shards(dir, 3, "p", &[]);
    let seed7 = {
        let args = [
            "run", "--runs", "2000", "--seed", "7", "--shard", "2/3", "--out", "seed7", "-q",
        ];
        ok(dir, &args);
        dir.join("seed7/part-2-of-3.json")
    };
    let other = shards(dir, 3, "other", &["--set", "polities.song.mobilization_lag=2"]);
    let four = shards(dir, 4, "four", &[]);
    fs::create_dir(dir.join("copy")).unwrap();
    let copy = dir.join("copy/part-2-of-3.json");
    fs::copy(&p[1], &copy).unwrap();

    refused(dir, &[p[0].clone(), p[2].clone()], "missing shard 2 of 3");
    refused(dir, &[p[0].clone()], "missing shards 2, 3 of 3");
    refused(
        dir,
        &[p[0].clone(), p[1].clone(), copy.clone(), p[2].clone()],
        "shard 2/3 is given twice",
    );
    refused(
        dir,
        &[p[0].clone(), p[1].clone(), p[1].clone(), p[2].clone()],
        "given twice",
    );
    refused(
        dir,
        &[p[0].clone(), seed7.clone(), p[2].clone()],
        &format!(
            "{} does not belong with {}: seed 7, not 11",
            seed7.display(),
            p[0].display()
        ),
    );
    refused(
        dir,
        &[p[0].clone(), other[1].clone(), p[2].clone()],
        "does not belong with",
    );
    refused(
        dir,
        &[p[0].clone(), other[1].clone(), p[2].clone()],
        "another scenario",
    );
    refused(
        dir,
        &[p[0].clone(), four[1].clone(), p[2].clone()],
        "mixed shard counts",
    );
    // Not a part at all, or a part whose counts were tampered with.
    let bogus = dir.join("bogus.json");
    fs::write(&bogus, "{\"format\": \"something else\"}").unwrap();
    refused(
        dir,
        &[p[0].clone(), bogus, p[2].clone()],
        "not a jinsong part file",
    );
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&p[1]).unwrap()).unwrap();
    v["counts"]["runs"] = serde_json::json!(1);
    let tampered = dir.join("tampered/part-2-of-3.json");
    fs::create_dir(dir.join("tampered")).unwrap();
    fs::write(&tampered, serde_json::to_vec(&v).unwrap()).unwrap();
    refused(
        dir,
        &[p[0].clone(), tampered.clone(), p[2].clone()],
        "its digest does not match its content",
    );
    // With its digest computed again, its counts are still refused.
    jinsong::batch::part::seal(&mut v).unwrap();
    fs::write(&tampered, serde_json::to_vec(&v).unwrap()).unwrap();
    refused(dir, &[p[0].clone(), tampered, p[2].clone()], "counts do not fit");
    // The genuine set still merges.
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(path_args(&p));
    args.extend([
        "--out".into(),
        "fine".into(),
        "--no-charts".into(),
        "--quiet".into(),
    ]);
    ok(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn bad_shards_are_refused() {
    let tmp = TempDir::new().unwrap();
    for bad in ["0/3", "4/3", "3", "1/0"] {
        let mut args = RUN.to_vec();
        args.extend(["--shard", bad, "--out", "x"]);
        let out = jinsong(tmp.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out.stderr));
        assert!(!tmp.path().join("x").exists());
    }
}

/// Split `args` (a score or compare command) into `n` shards, merge them, and compare with the
/// single-machine command's folder, file by file. Returns the parts.
/// Write shard 2 of 3 of another batch (`args` with argument `at` set to `value`) into `out`,
/// and check that merge refuses it in place of part 2 of `parts`, naming `needle`.
fn foreign_part_is_refused(
    dir: &Path,
    args: &[String],
    parts: &[PathBuf],
    (at, value): (usize, String),
    out: &str,
    needle: &str,
) {
    let mut other = args.to_vec();
    other[at] = value;
    other.extend(["--shard", "2/3", "--out", out, "--quiet"].map(String::from));
    ok(dir, &strs(&other));
    let foreign = dir.join(out).join("part-2-of-3.json");
    refused(dir, &[parts[0].clone(), foreign, parts[2].clone()], needle);
}

fn split_and_merge(dir: &Path, args: &[String], n: u64, tag: &str) -> Vec<PathBuf> {
    let with = |extra: &[&str]| -> Vec<String> {
        let mut v = args.to_vec();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let single = format!("{tag}-single");
    ok(
        dir,
        &strs(&with(&["--out", &single, "--format", "svg", "--quiet"])),
    );
    let parts_dir = format!("{tag}-parts{n}");
    let mut parts: Vec<PathBuf> = (1..=n)
        .map(|k| {
            let shard = format!("{k}/{n}");
            ok(
                dir,
                &strs(&with(&["--shard", &shard, "--out", &parts_dir, "--quiet"])),
            );
            dir.join(&parts_dir).join(format!("part-{k}-of-{n}.json"))
        })
        .collect();
    parts.reverse();
    let merged = format!("{tag}-merged{n}");
    let mut m: Vec<String> = vec!["merge".into()];
    m.extend(path_args(&parts));
    m.extend(["--out", &merged, "--format", "svg", "--quiet"].map(String::from));
    ok(dir, &strs(&m));
    assert_same_folder(&dir.join(single), &dir.join(merged));
    parts.reverse();
    parts
}

#[test]
fn score_in_shards_merges_into_the_single_score() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let s = scenarios_dir();
    let args: Vec<String> = vec![
        "score".into(),
        s.join("baseline.ron").display().to_string(),
        s.join("readings/jurchen_greed.ron").display().to_string(),
        "--patterns".into(),
        s.join("patterns/history.ron").display().to_string(),
        "--runs".into(),
        "1200".into(),
        "--seed".into(),
        "4".into(),
    ];
    let parts = split_and_merge(dir, &args, 3, "score");
    let _ = split_and_merge(dir, &args, 1, "score");
    // A part of another seed, or a missing part, is refused.
    foreign_part_is_refused(
        dir,
        &args,
        &parts,
        (8, "5".to_string()),
        "score-seed5",
        "seed 5, not 4",
    );
    refused(dir, &[parts[0].clone(), parts[1].clone()], "missing shard 3 of 3");
    refused(
        dir,
        &[parts[0].clone(), parts[0].clone(), parts[1].clone()],
        "given twice",
    );
}

#[test]
fn compare_in_shards_merges_into_the_single_compare() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let s = scenarios_dir();
    let args: Vec<String> = vec![
        "compare".into(),
        s.join("baseline.ron").display().to_string(),
        s.join("counterfactuals/no_pingzhou.ron").display().to_string(),
        "--by".into(),
        "1127-12".into(),
        "--runs".into(),
        "1500".into(),
    ];
    let parts = split_and_merge(dir, &args, 3, "compare");
    let _ = split_and_merge(dir, &args, 7, "compare");
    // Another scenario list, or parts of run and compare mixed, are refused.
    foreign_part_is_refused(
        dir,
        &args,
        &parts,
        (2, s.join("counterfactuals/song_fast.ron").display().to_string()),
        "compare-other",
        "another scenario",
    );
    let run_parts = shards(dir, 3, "run-parts", &[]);
    refused(
        dir,
        &[parts[0].clone(), run_parts[1].clone(), parts[2].clone()],
        "command `run`, not `compare`",
    );
}

#[test]
fn attribute_in_shards_merges_into_the_single_attribute() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let args: Vec<String> = [
        "attribute",
        "--mechanisms",
        "fear_spiral,provocations,alliances",
        "--by",
        "1127-12",
        "--runs",
        "600",
    ]
    .map(String::from)
    .to_vec();
    let parts = split_and_merge(dir, &args, 3, "attribute");
    // Another mechanism list is another batch.
    foreign_part_is_refused(
        dir,
        &args,
        &parts,
        (2, "fear_spiral,provocations".to_string()),
        "attribute-other",
        "other settings (mechanisms)",
    );
}

#[test]
fn calibrate_with_sharded_design_points_merges_into_the_single_calibration() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let s = scenarios_dir();
    let args: Vec<String> = vec![
        "calibrate".into(),
        s.join("readings/jurchen_greed.ron").display().to_string(),
        "--patterns".into(),
        s.join("patterns/history.ron").display().to_string(),
        "--free".into(),
        "polities.jin.war_readiness=0.1..0.9".into(),
        "--free".into(),
        "polities.song.mobilization_lag=2..24".into(),
        "--budget".into(),
        "10".into(),
        "--runs".into(),
        "300".into(),
        "--seed".into(),
        "3".into(),
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        let mut v = args.clone();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    ok(dir, &strs(&with(&["--out", "single", "--quiet"])));
    // 5 design points in 3 shards (1, 2 and 2 points); merge does the local search.
    let parts: Vec<PathBuf> = (1..=3)
        .map(|k| {
            let shard = format!("{k}/3");
            ok(
                dir,
                &strs(&with(&["--shard", &shard, "--out", "parts", "--quiet"])),
            );
            dir.join(format!("parts/part-{k}-of-3.json"))
        })
        .collect();
    let mut m: Vec<String> = vec!["merge".into()];
    m.extend(path_args(&parts));
    m.extend(["--out", "merged", "--quiet"].map(String::from));
    ok(dir, &strs(&m));
    assert_same_folder(&dir.join("single"), &dir.join("merged"));
    refused(dir, &parts[..2], "missing shard 3 of 3");
}

#[test]
fn sensitivity_in_shards_merges_into_the_single_sensitivity() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    // 32 base samples × (2 + 2) = 128 evaluations, split 43 / 42 / 43 by the three shards.
    let args: Vec<String> = [
        "sensitivity",
        "--vary",
        "relations.jin.song.trust=0.2..0.8",
        "--vary",
        "polities.song.mobilization_lag=2..24",
        "--samples",
        "32",
        "--runs",
        "60",
        "--bootstrap",
        "200",
        "--by",
        "1127-12",
    ]
    .map(String::from)
    .to_vec();
    let parts = split_and_merge(dir, &args, 3, "sensitivity");
    // Parts of another design (other bootstrap count here) do not belong together.
    foreign_part_is_refused(
        dir,
        &args,
        &parts,
        (10, "100".to_string()),
        "sensitivity-b100",
        "other settings",
    );
    refused(dir, &parts[1..], "missing shard 1 of 3");
}
