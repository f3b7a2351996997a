//! No silent wrong result, no lost file: each test here reproduces a way jinsong once lost a
//! file or reported a wrong result without an error, or a newcomer's stumble, and checks that
//! it is refused (or fixed) now. Every refusal here is timed: it must come within a second.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{calibrate_args, jinsong_timed as jinsong, ok, root, text, SMALL};

fn write(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

/// Fails with a message containing every one of `needles`, without panicking.
fn fails(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let out = jinsong(dir, args);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: `{n}` not in: {err}");
    }
    err
}

#[test]
fn calibrate_never_writes_over_what_it_reads_nor_creates_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let small = write(dir, "small.ron", SMALL);
    let variant = write(
        dir,
        "variant.ron",
        r#"(base: "small.ron", name: "v", set: ["polities.a.fear_gain=0.2"])"#,
    );
    let patterns = write(
        dir,
        "p.ron",
        r#"(patterns: [(name: "war", description: "", rule: OnsetWithin(a: "a", b: "b", from: "1200-01", to: "1209-12"))])"#,
    );
    let before = fs::read(dir.join("small.ron")).unwrap();
    for (scenario, target) in [
        (&small, "small.ron"),
        (&variant, "variant.ron"),
        (&variant, "small.ron"),
    ] {
        let args = calibrate_args(scenario, &patterns, target);
        fails(dir, &args, &["--write", "which the scenario is read from"]);
    }
    assert_eq!(fs::read(dir.join("small.ron")).unwrap(), before);
    assert!(!dir.join("cal").exists());
    let nowhere = dir.join("nowhere/deeper/x.ron");
    let args = calibrate_args(&variant, &patterns, nowhere.to_str().unwrap());
    fails(dir, &args, &["does not exist (it is not created)"]);
    assert!(!dir.join("nowhere").exists());
}

#[test]
fn a_shard_script_run_again_with_other_arguments_refuses_the_old_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let script = root().join("scripts/shards-local.sh");
    let run = |extra: &[&str]| {
        Command::new("bash")
            .current_dir(dir)
            .env("JINSONG", env!("CARGO_BIN_EXE_jinsong"))
            .arg(&script)
            .args(["2", "parts", "results", "run", "--runs", "3000", "--no-charts"])
            .args(extra)
            .output()
            .unwrap()
    };
    let first = run(&[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    // The same batch again: its parts are reused.
    let again = run(&[]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("of this batch is already done"),
        "{}",
        text(&again.stderr)
    );
    // Another batch in the same folder: refused, and the old results stay as they were.
    let summary = fs::read(dir.join("results/summary.json")).unwrap();
    let other = run(&["--seed", "42"]);
    assert!(!other.status.success());
    assert!(
        text(&other.stderr).contains("belongs to another batch (seed 1125, not 42)"),
        "{}",
        text(&other.stderr)
    );
    assert_eq!(fs::read(dir.join("results/summary.json")).unwrap(), summary);
}

#[test]
fn a_lock_file_left_by_an_ended_command_does_not_hold_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A lock file whose holder has ended (its OS lock died with it), however it reads: the
    // folder is free, and the file is removed when the command ends.
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    for body in [format!("{pid}\njinsong run\n"), String::new()] {
        fs::write(dir.join(".stale.lock"), body).unwrap();
        ok(
            dir,
            &["run", "--runs", "100", "--no-charts", "--out", "stale", "--quiet"],
        );
        assert!(dir.join("stale/summary.json").exists());
        assert!(!dir.join(".stale.lock").exists(), "the claim is released");
    }
}

#[test]
fn a_batch_refuses_to_start_over_another_batchs_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir(dir.join("shared")).unwrap();
    let mut theirs: serde_json::Value = serde_json::from_str(r#"{"format":"jinsong-checkpoint/2","command":"sweep","shard":{"index":1,"count":1},"scenario_hash":"fnv1a64:0000000000000000","seed":1,"argv":[],"settings":{},"done":0,"counts":{"points":[]}}"#).unwrap();
    jinsong::batch::part::seal(&mut theirs).unwrap();
    let theirs = theirs.to_string();
    fs::write(dir.join("shared/checkpoint.json"), &theirs).unwrap();
    fails(
        dir,
        &[
            "run",
            "--runs",
            "100",
            "--no-charts",
            "--out",
            "shared",
            "--quiet",
        ],
        &[
            "shared/checkpoint.json holds the checkpoint of an unfinished batch",
            "--resume",
        ],
    );
    assert_eq!(
        fs::read_to_string(dir.join("shared/checkpoint.json")).unwrap(),
        theirs
    );
    assert!(!dir.join("shared/summary.json").exists());
    // And resuming it as a `run` names the command, not a missing field.
    fails(
        dir,
        &["run", "--runs", "100", "--out", "shared", "--resume"],
        &["command `sweep`, not `run`"],
    );
}

#[test]
fn resume_refuses_a_checkpoint_whose_counts_disagree_with_done() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for (cmd, extra) in [
        ("run", vec![]),
        (
            "compare",
            vec![
                "scenarios/readings/mutual_fear.ron",
                "scenarios/readings/jurchen_greed.ron",
            ],
        ),
        ("attribute", vec!["--mechanisms", "provocations"]),
    ] {
        let scenarios = root().join("scenarios");
        let extra: Vec<String> = extra
            .iter()
            .map(|a| match a.strip_prefix("scenarios/") {
                Some(rest) => scenarios.join(rest).display().to_string(),
                None => a.to_string(),
            })
            .collect();
        let mut args: Vec<String> = vec![cmd.into()];
        args.extend(extra);
        args.extend(["--runs", "3000", "--out", cmd, "--quiet", "--no-charts"].map(String::from));
        // A shard 1/1 writes a part holding the counts of all 3000 runs …
        let mut part_args = args.clone();
        part_args.extend(["--shard", "1/1"].map(String::from));
        ok(dir, &part_args.iter().map(String::as_str).collect::<Vec<_>>());
        let part_file = dir.join(cmd).join("part-1-of-1.json");
        let mut cp: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&part_file).unwrap()).unwrap();
        fs::remove_file(&part_file).unwrap();
        // … which a checkpoint claims are the counts of its first 1000 runs.
        // (With its digest computed again: the counts' invariants are checked on their own.)
        cp["format"] = jinsong::batch::checkpoint::CHECKPOINT_FORMAT.into();
        cp["done"] = 1000.into();
        jinsong::batch::part::seal(&mut cp).unwrap();
        fs::write(dir.join(cmd).join("checkpoint.json"), cp.to_string()).unwrap();
        args.push("--resume".into());
        fails(
            dir,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            &["its counts do not fit the scenario and the 1000 runs it says are done"],
        );
    }
}

#[test]
fn out_through_a_link_writes_and_names_the_real_folder_and_control_characters_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir(dir.join("real")).unwrap();
    std::os::unix::fs::symlink(dir.join("real"), dir.join("link")).unwrap();
    let out = ok(
        dir,
        &["run", "--runs", "100", "--no-charts", "--out", "link/results"],
    );
    let real = fs::canonicalize(dir.join("real")).unwrap().join("results");
    assert!(real.join("summary.json").exists());
    assert!(
        text(&out.stdout).contains(&format!("wrote {}/summary.json", real.display())),
        "{}",
        text(&out.stdout)
    );
    fails(
        dir,
        &["run", "--runs", "100", "--out", "bad\nname"],
        &["control character"],
    );
    assert!(!dir.join("bad\nname").exists());
    // A trailing slash is the same folder, and messages do not double it.
    let out = ok(dir, &["run", "--runs", "100", "--no-charts", "--out", "plain/"]);
    assert!(
        text(&out.stdout).contains("wrote plain/summary.json"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn the_scripts_say_how_to_get_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scripts = dir.join("scripts");
    fs::create_dir(&scripts).unwrap();
    for s in ["shards-local.sh", "slurm-array.sh", "slurm-merge.sh"] {
        fs::copy(root().join("scripts").join(s), scripts.join(s)).unwrap();
    }
    let out = Command::new("bash")
        .current_dir(dir)
        .env_remove("JINSONG")
        .env("PATH", "/usr/bin:/bin")
        .arg(scripts.join("shards-local.sh"))
        .args(["2", "parts", "results", "run", "--runs", "100"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    assert!(
        text(&out.stderr).contains("cargo install --path ."),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn score_and_calibrate_work_from_any_folder_with_the_embedded_patterns() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let baseline = root().join("scenarios/baseline.ron");
    let out = ok(
        dir,
        &[
            "score",
            baseline.to_str().unwrap(),
            "--runs",
            "200",
            "--no-charts",
            "--out",
            "s",
        ],
    );
    assert!(
        text(&out.stdout).contains("patterns: scenarios/patterns/history.ron"),
        "{}",
        text(&out.stdout)
    );
    // The same bytes as with the shipped file named explicitly.
    let shipped = root().join("scenarios/patterns/history.ron");
    ok(
        &root(),
        &[
            "score",
            baseline.to_str().unwrap(),
            "--runs",
            "200",
            "--no-charts",
            "--out",
            dir.join("t").to_str().unwrap(),
            "--patterns",
            "scenarios/patterns/history.ron",
        ],
    );
    assert!(shipped.exists());
    assert_eq!(
        fs::read(dir.join("s/scores.json")).unwrap(),
        fs::read(dir.join("t/scores.json")).unwrap()
    );
}

#[test]
fn sweep_prints_its_table_and_refuses_steps_with_a_latin_hypercube() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = ok(
        dir,
        &[
            "sweep",
            "--vary",
            "polities.song.mobilization_lag=2..14:3",
            "--dyad",
            "jin,song",
            "--runs",
            "50",
            "--no-charts",
            "--out",
            "s",
        ],
    );
    let table = text(&out.stdout);
    assert!(
        table.contains("polities.song.mobilization_lag=8") && table.contains("jin–song"),
        "{table}"
    );
    fails(
        dir,
        &[
            "sweep",
            "--vary",
            "polities.song.mobilization_lag=2..14:3",
            "--sample",
            "lhs:5",
            "--runs",
            "50",
        ],
        &["STEPS (LO..HI:STEPS) are for --sample grid"],
    );
}

/// The packages of a `Cargo.lock`: name → versions.
fn locked(path: &Path) -> std::collections::BTreeMap<String, Vec<String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut name = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            out.entry(n).or_default().push(v.trim_matches('"').to_string());
        }
    }
    out
}

/// `fuzz/Cargo.lock` (the fuzz targets' own workspace) holds every dependency of jinsong
/// itself, at the versions of the main `Cargo.lock`.
#[test]
fn the_fuzz_lock_file_is_current() {
    let main = locked(&root().join("Cargo.lock"));
    let fuzz = locked(&root().join("fuzz/Cargo.lock"));
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let mut section = "";
    for line in manifest.lines() {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let normal = section == "[dependencies]"
            || (section.starts_with("[target.") && section.ends_with(".dependencies]"));
        let Some((dep, _)) = line.split_once(" = ") else {
            continue;
        };
        if normal && !dep.trim().is_empty() {
            let dep = dep.trim();
            assert!(
                fuzz.contains_key(dep),
                "fuzz/Cargo.lock lacks `{dep}`: run cargo update --manifest-path fuzz/Cargo.toml --workspace"
            );
        }
    }
    for (name, versions) in &fuzz {
        if let Some(ours) = main.get(name) {
            assert_eq!(
                ours, versions,
                "`{name}` in fuzz/Cargo.lock differs from Cargo.lock"
            );
        }
    }
}

/// A scenario of `n` polities `p0 … p(n-1)`, nothing else.
fn many(n: usize) -> String {
    let polities: String = (0..n)
        .map(|i| format!("(id: \"p{i}\", name: \"P{i}\", strength: 1.0, potential: 1.0, mobilization_lag: 1.0, fear_gain: 0.1, fear_decay: 0.1),"))
        .collect();
    format!("(name: \"many{n}\", start: \"1200-01\", end: \"1201-12\", polities: [{polities}])")
}

#[test]
fn messages_list_at_most_twelve_polities() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let a = write(dir, "a.ron", &many(40));
    let b = write(dir, "b.ron", &many(39));
    for (args, all) in [
        (vec!["compare", &a, &b, "--dyad", "p0,p1"], "(40 in all)"),
        (vec!["compare", &a, &a, "--dyad", "p0,zz"], "(40 in all)"),
        (vec!["attribute", &a, "--mechanisms", "greed"], "(780 in all)"),
    ] {
        let err = fails(dir, &args, &[all]);
        assert!(!err.contains("p13"), "{args:?}: {err}");
    }
}

#[test]
fn trace_prints_the_turning_points_and_full_the_whole_chronicle() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let short = text(&ok(dir, &["trace", "--no-charts", "--out", "t"]).stdout);
    let whole = fs::read_to_string(dir.join("t/chronicle.txt")).unwrap();
    assert!(short.lines().count() < whole.lines().count() / 2, "{short}");
    assert!(
        short.contains("--full prints it") && short.contains("WAR:"),
        "{short}"
    );
    assert!(!short.contains("the talks fail"), "{short}");
    let full = text(&ok(dir, &["trace", "--no-charts", "--out", "t", "--full"]).stdout);
    assert!(full.starts_with(&whole), "--full prints the chronicle");
    // A name ending in s takes an apostrophe alone.
    assert!(
        whole.contains("Liao remnants' ") && !whole.contains("remnants's"),
        "{whole}"
    );
}

/// `plot` refuses result files that are valid JSON but nonsense, names what is wrong, and
/// leaves the good charts as they were.
#[test]
fn plot_refuses_nonsense_results_and_keeps_the_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["run", "--runs", "300", "--out", "r", "--quiet"]);
    let baseline = root().join("scenarios/baseline.ron");
    let b = baseline.to_str().unwrap();
    ok(dir, &["score", b, b, "--runs", "100", "--out", "s", "--quiet"]);
    ok(dir, &["compare", b, b, "--runs", "100", "--out", "c", "--quiet"]);
    let chart = fs::read(dir.join("r/onset_curves.svg")).unwrap();
    let summary = fs::read_to_string(dir.join("r/summary.json")).unwrap();
    let json = |s: &str| -> serde_json::Value { serde_json::from_str(s).unwrap() };
    let cases: Vec<(&str, &str, serde_json::Value, &str)> = vec![
        (
            "r",
            "summary.json",
            {
                let mut v = json(&summary);
                v["dyads"][0]["war_probability"] = (-0.5).into();
                v
            },
            "not a probability",
        ),
        (
            "r",
            "summary.json",
            {
                let mut v = json(&summary);
                v["dyads"][1]["onset_by_year"]["-5"] = 1.into();
                v
            },
            "year",
        ),
        (
            "r",
            "summary.json",
            {
                let mut v = json(&summary);
                v["dyads"][1]["onset_by_year"]["99999"] = 1.into();
                v
            },
            "year 99999",
        ),
        (
            "r",
            "summary.json",
            {
                let mut v = json(&summary);
                v["dyads"][1]["onset_by_year"]["1125"] = 1_000_000_000_000_000u64.into();
                v
            },
            "first onsets in 300 runs",
        ),
        (
            "r",
            "summary.json",
            {
                let mut v = json(&summary);
                v["runs"] = 0.into();
                v
            },
            "runs: 0",
        ),
        (
            "s",
            "scores.json",
            {
                let mut v = json(&fs::read_to_string(dir.join("s/scores.json")).unwrap());
                v["scenarios"] = serde_json::json!([]);
                v
            },
            "scenarios: none",
        ),
        (
            "c",
            "compare.json",
            {
                let mut v = json(&fs::read_to_string(dir.join("c/compare.json")).unwrap());
                v["scenarios"][0]["probability"] = 1.5.into();
                v
            },
            "not a probability",
        ),
    ];
    for (folder, file, value, needle) in cases {
        let path = dir.join(folder).join(file);
        let good = fs::read(&path).unwrap();
        fs::write(&path, value.to_string()).unwrap();
        let out = jinsong(dir, &["plot", folder]);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{file}: {needle}");
        assert!(
            err.contains(file) && err.contains(needle),
            "{file}: `{needle}` not in {err}"
        );
        fs::write(&path, good).unwrap();
    }
    assert_eq!(
        fs::read(dir.join("r/onset_curves.svg")).unwrap(),
        chart,
        "the good chart is kept"
    );
}
