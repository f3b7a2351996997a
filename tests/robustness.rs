//! `jinsong robustness` on the toy panel `tests/data/robustness/panel.ron` (three readings of
//! the toy hazard, two patterns): reweighted evidence and Bayes factors against fresh runs of the
//! same variants, the base and left-out-pattern counts against `evidence`, byte-identical results
//! over threads, shards and merge, and bad panel files refused before any run.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;
use tempfile::TempDir;

use crate::common::{jinsong, ok, root, strs, text};

/// The normal quantile of a two-sided 99.9% interval: the tolerance of the statistical checks
/// below (each fails by chance with probability 0.001 at most, under its fixed seed).
const Z999: f64 = 3.290_526_731_491_926;

fn data() -> PathBuf {
    root().join("tests/data/robustness")
}

fn panel() -> String {
    data().join("panel.ron").display().to_string()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The batch arguments every command here takes: `runs` runs, seed 7, into `out`, quietly.
fn quiet_batch<'a>(runs: &'a str, out: &'a str) -> [&'a str; 8] {
    [
        "--runs",
        runs,
        "--seed",
        "7",
        "--out",
        out,
        "--no-charts",
        "--quiet",
    ]
}

/// `robustness` of `panel` into `dir/out` with `runs` runs, seed 7, and `extra` arguments.
fn robustness(dir: &Path, panel: &str, out: &str, runs: &str, extra: &[&str]) -> Value {
    let mut args = vec!["robustness", panel];
    args.extend(quiet_batch(runs, out));
    args.extend_from_slice(extra);
    ok(dir, &args);
    json(&dir.join(out).join("robustness.json"))
}

/// The estimate of `reading` under condition `variant`: (method, evidence, se of its log).
fn estimate(v: &Value, variant: &str, reading: &str) -> (String, f64, f64) {
    let cond = v["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["variant"] == variant)
        .unwrap_or_else(|| panic!("no condition {variant}"));
    let r = cond["readings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reading"] == reading)
        .unwrap();
    (
        r["method"].as_str().unwrap().to_string(),
        r["evidence"].as_f64().unwrap(),
        r["se_ln"].as_f64().unwrap(),
    )
}

/// The log10 Bayes factor of `a` over `b` under `variant`.
fn factor(v: &Value, variant: &str, a: &str, b: &str) -> f64 {
    v["bayes_factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["variant"] == variant && f["a"] == a && f["b"] == b)
        .unwrap()["log10"]
        .as_f64()
        .unwrap()
}

#[test]
fn reweighted_evidence_and_bayes_factors_equal_fresh_runs_within_monte_carlo_error() {
    let dir = TempDir::new().unwrap();
    let started = Instant::now();
    let rw = robustness(dir.path(), &panel(), "rw", "20000", &[]);
    let fresh = robustness(dir.path(), &panel(), "fresh", "20000", &["--no-reweight"]);
    // Three perturbations: a Uniform narrowed inside its support, a Beta(2, 100) replaced by a
    // Beta(4, 100), a Triangular inside a Uniform.
    for (variant, reading, other) in [
        ("high_narrowed", "high", "low"),
        ("beta_shifted", "beta", "low"),
        ("low_triangular", "low", "high"),
    ] {
        let (m_rw, e_rw, s_rw) = estimate(&rw, variant, reading);
        let (m_fr, e_fr, s_fr) = estimate(&fresh, variant, reading);
        assert_eq!(
            (m_rw.as_str(), m_fr.as_str()),
            ("reweighted", "fresh"),
            "{variant}"
        );
        // The two estimates are on common random numbers (positively correlated), so the sum of
        // their variances bounds the variance of the difference: a conservative 99.9% tolerance.
        let tol = Z999 * (s_rw * s_rw + s_fr * s_fr).sqrt();
        let gap = (e_rw.ln() - e_fr.ln()).abs();
        assert!(
            gap <= tol,
            "{variant}: reweighted {e_rw}, fresh {e_fr}: |Δ ln E| {gap} > {tol}"
        );
        // The check has power: the base evidence (weights of 1) is far outside the tolerance.
        let (_, e_base, s_base) = estimate(&rw, "base", reading);
        let far = Z999 * (s_base * s_base + s_fr * s_fr).sqrt();
        assert!(
            (e_base.ln() - e_fr.ln()).abs() > far,
            "{variant}: the base {e_base} is not distinguishable from the variant {e_fr}"
        );
        // The Bayes factor against a reading the variant leaves alone: the same difference, in
        // log10, within the same tolerance.
        let (a, b) = if reading < other {
            (reading, other)
        } else {
            (other, reading)
        };
        let (a, b) = order(&rw, a, b);
        let d = (factor(&rw, variant, a, b) - factor(&fresh, variant, a, b)).abs();
        assert!(
            d <= tol / std::f64::consts::LN_10,
            "{variant}: log10 BF {a}/{b} differs by {d}"
        );
    }
    // The effective sample size of a reweighted estimate is below the runs and above none.
    let row = rw["conditions"][1]["readings"][1].clone();
    let ess = row["ess"].as_f64().unwrap();
    assert!(ess > 1000.0 && ess < 20000.0, "ess {ess}");
    // Variants that cannot be reweighted run afresh in both.
    assert_eq!(estimate(&rw, "low_widened", "low").0, "fresh");
    assert_eq!(estimate(&rw, "greed_fixed", "beta").0, "fresh");
    assert!(started.elapsed().as_secs() < 30);
}

/// `(a, b)` in the panel's order of readings.
fn order<'a>(v: &Value, a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    let names: Vec<&str> = v["readings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let pos = |x: &str| names.iter().position(|n| *n == x).unwrap();
    if pos(a) < pos(b) {
        (a, b)
    } else {
        (b, a)
    }
}

#[test]
fn base_evidence_and_left_out_patterns_equal_evidence_exactly() {
    let dir = TempDir::new().unwrap();
    let rb = robustness(dir.path(), &panel(), "rb", "6000", &[]);
    let readings: Vec<String> = ["low", "high", "beta"]
        .iter()
        .map(|r| data().join(format!("{r}.ron")).display().to_string())
        .collect();
    let evidence = |patterns: &str, out: &str| -> Value {
        let mut args = vec!["evidence"];
        args.extend(readings.iter().map(String::as_str));
        args.extend(["--patterns", patterns]);
        args.extend(quiet_batch("6000", out));
        ok(dir.path(), &args);
        json(&dir.path().join(out).join("evidence.json"))
    };
    let matched = |v: &Value, condition: &str| -> Vec<u64> {
        let cond = v["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["variant"] == condition)
            .unwrap();
        cond["readings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["matched"].as_u64().unwrap())
            .collect()
    };
    let of_evidence = |v: &Value| -> Vec<u64> {
        v["readings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["matched"].as_u64().unwrap())
            .collect()
    };
    let all = evidence(data().join("patterns.ron").to_str().unwrap(), "all");
    assert_eq!(matched(&rb, "base"), of_evidence(&all));
    // The base Bayes factors are evidence's, to the bit.
    for f in all["bayes_factors"].as_array().unwrap() {
        let (a, b) = (f["a"].as_str().unwrap(), f["b"].as_str().unwrap());
        assert_eq!(factor(&rb, "base", a, b), f["log10"].as_f64().unwrap(), "{a}/{b}");
    }
    // Each pattern left out: evidence on a file holding only the other one.
    let source = fs::read_to_string(data().join("patterns.ron")).unwrap();
    let blocks: Vec<&str> = source.split("    (name: ").skip(1).collect();
    let names = ["war_by_1202", "war_after_1200_06"];
    for (k, left_out) in names.iter().enumerate() {
        let kept = blocks[1 - k].trim_end().trim_end_matches("])").trim_end();
        let file = dir.path().join(format!("without_{left_out}.ron"));
        fs::write(&file, format!("(patterns: [\n    (name: {kept}\n])\n")).unwrap();
        let ev = evidence(file.to_str().unwrap(), &format!("ev_{k}"));
        assert_eq!(ev["patterns"], serde_json::json!([names[1 - k]]));
        assert_eq!(
            matched(&rb, &format!("without {left_out}")),
            of_evidence(&ev),
            "without {left_out}"
        );
    }
}

#[test]
fn results_are_byte_identical_over_threads_shards_and_merge() {
    let dir = TempDir::new().unwrap();
    let p = panel();
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "robustness",
            &p,
            "--runs",
            "5000",
            "--seed",
            "9",
            "--out",
            out,
            "--no-charts",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        ok(dir.path(), &args);
    };
    run("one", &["--threads", "1"]);
    run("two", &["--threads", "2"]);
    run("parts", &["--shard", "1/2", "--threads", "2"]);
    run("parts", &["--shard", "2/2", "--threads", "1"]);
    ok(
        dir.path(),
        &[
            "merge",
            "parts/part-1-of-2.json",
            "parts/part-2-of-2.json",
            "--out",
            "merged",
            "--no-charts",
            "--quiet",
        ],
    );
    for file in ["robustness.json", "robustness.csv", "robustness_factors.csv"] {
        let one = fs::read(dir.path().join("one").join(file)).unwrap();
        for other in ["two", "merged"] {
            let bytes = fs::read(dir.path().join(other).join(file)).unwrap();
            assert!(one == bytes, "{file} differs between one thread and {other}");
        }
    }
}

/// A panel file in `dir` with `body`, beside copies of the test readings and patterns.
fn bad_panel(dir: &Path, body: &str) -> String {
    for f in ["low.ron", "high.ron", "beta.ron", "patterns.ron"] {
        let text = fs::read_to_string(data().join(f)).unwrap().replace(
            "../toy_hazard.ron",
            root().join("tests/data/toy_hazard.ron").to_str().unwrap(),
        );
        fs::write(dir.join(f), text).unwrap();
    }
    let path = dir.join("panel.ron");
    fs::write(&path, body).unwrap();
    path.display().to_string()
}

#[test]
fn bad_panel_files_are_refused_before_any_run() {
    let dir = TempDir::new().unwrap();
    let head =
        "(\n    readings: [\"low.ron\", \"high.ron\"],\n    patterns: [\"patterns.ron\"],\n    variants: [\n";
    let v = |line: &str| format!("{head}        {line}\n    ],\n)\n");
    // (panel body, what the one line must say: the position and the field path, and the reason)
    let cases: Vec<(String, &str, &str)> = vec![
        (
            "(readings: [\"low.ron\"], \n  lost: true)".into(),
            "panel.ron:2:",
            "lost",
        ),
        ("(readings: [])".into(), "panel.ron:1:", "no readings"),
        (
            v(r#"(name: "", kind: Shared, set: ["polities.a.greed=0.01"]),"#),
            "panel.ron:5:",
            "variants[0].name: an empty name",
        ),
        (
            v(
                r#"(name: "x", kind: Shared, set: ["polities.a.greed=0.01"]), (name: "x", kind: Own, set: ["polities.a.greed=0.02"]),"#,
            ),
            "panel.ron:5:",
            "variants[1].name: `x` is also the name of variants[0]",
        ),
        (
            v(r#"(name: "x", kind: Own, readings: ["greedy"], set: ["polities.a.greed=0.01"]),"#),
            "panel.ron:5:",
            "variants[0].readings[0]: no reading of the panel is named `greedy`",
        ),
        (
            v(r#"(name: "x", kind: Own, set: ["polities.a.greedd=0.01"]),"#),
            "panel.ron:5:",
            "variants[0].set[0]: on reading `low`",
        ),
        (
            v(r#"(name: "x", kind: Own, set: ["polities.a.greed=Uniform(0.5, 2)"]),"#),
            "panel.ron:5:",
            "variants[0].set[0]",
        ),
        (
            v(r#"(name: "x", kind: Own, set: ["no equals sign"]),"#),
            "panel.ron:5:",
            "variants[0].set[0]: `no equals sign` is not PATH=VALUE",
        ),
        (
            v(r#"(name: "x", kind: Sideways, set: ["polities.a.greed=0.01"]),"#),
            "panel.ron:5:",
            "kind",
        ),
        (
            "(readings: [\"low.ron\", \"low.ron\"])".into(),
            "panel.ron:1:",
            "readings[1]: this reading is named `low` as readings[0] is",
        ),
    ];
    for (body, at, says) in cases {
        let file = bad_panel(dir.path(), &body);
        let started = Instant::now();
        let out = jinsong(
            dir.path(),
            &strs(&[
                "robustness".into(),
                file.clone(),
                "--runs".into(),
                "100".into(),
                "--out".into(),
                "never".into(),
            ]),
        );
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{body}: accepted");
        assert_eq!(err.trim_end().lines().count(), 1, "{body}: not one line: {err}");
        assert!(err.contains(at) && err.contains(says), "{body}: {err}");
        assert!(started.elapsed().as_secs_f64() < 1.0, "{body}: slow");
        assert!(!dir.path().join("never").exists(), "{body}: wrote something");
    }
}

#[test]
fn plot_redraws_the_chart_identically_and_refuses_a_tampered_result() {
    let dir = TempDir::new().unwrap();
    let p = panel();
    ok(
        dir.path(),
        &[
            "robustness",
            &p,
            "--runs",
            "2000",
            "--seed",
            "3",
            "--out",
            "drawn",
            "--quiet",
        ],
    );
    let copy = dir.path().join("copy");
    fs::create_dir(&copy).unwrap();
    for file in ["robustness.json", "robustness.csv", "robustness_factors.csv"] {
        fs::copy(dir.path().join("drawn").join(file), copy.join(file)).unwrap();
    }
    ok(dir.path(), &["plot", "copy"]);
    for chart in ["robustness.svg", "robustness.png"] {
        let a = fs::read(dir.path().join("drawn").join(chart)).unwrap();
        let b = fs::read(copy.join(chart)).unwrap();
        assert!(a == b, "{chart} differs between the command and plot");
    }
    // A Bayes factor moved outside its own interval: no command writes that.
    let path = copy.join("robustness.json");
    let mut v = json(&path);
    let hi = v["bayes_factors"][0]["ci95"][1].as_f64().unwrap();
    v["bayes_factors"][0]["log10"] = serde_json::json!(hi + 1.0);
    fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let out = jinsong(dir.path(), &["plot", "copy"]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("robustness.json") && err.contains("outside its interval"),
        "{err}"
    );
}

#[test]
fn a_killed_panel_resumes_to_the_uninterrupted_one() {
    use std::process::Stdio;
    let dir = TempDir::new().unwrap();
    let p = panel();
    let args = |out: &str, threads: &str| -> Vec<String> {
        [
            "robustness",
            &p,
            "--runs",
            "24000",
            "--seed",
            "5",
            "--threads",
            threads,
            "--out",
            out,
            "--checkpoint-every",
            "0",
            "--no-charts",
            "--quiet",
        ]
        .map(String::from)
        .to_vec()
    };
    let mut child = crate::common::bin()
        .current_dir(dir.path())
        .args(args("killed", "1"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let checkpoint = dir.path().join("killed/checkpoint.json");
    let started = Instant::now();
    while !checkpoint.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the panel ended before its first checkpoint"
        );
        assert!(started.elapsed().as_secs() < 60, "no checkpoint after 60 s");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = json(&checkpoint)["done"].as_u64().unwrap();
    assert!(done > 0 && done < 24000, "checkpoint at {done}");
    let mut resume = args("killed", "2");
    resume.push("--resume".into());
    ok(dir.path(), &strs(&resume));
    ok(dir.path(), &strs(&args("reference", "2")));
    for file in ["robustness.json", "robustness.csv", "robustness_factors.csv"] {
        let a = fs::read(dir.path().join("reference").join(file)).unwrap();
        let b = fs::read(dir.path().join("killed").join(file)).unwrap();
        assert!(
            a == b,
            "{file} of the resumed panel differs from the uninterrupted one"
        );
    }
}
