//! `jinsong evidence` and the posterior: the evidence and Bayes factor of a toy model against
//! their closed forms, simulation-based calibration and the coverage of credible intervals,
//! byte-identical results over threads and shards, and bad priors refused before any run.

use std::fs;
use std::path::Path;

use jinsong::engine::{simulate, Silent, Workspace};
use jinsong::model::Model;
use jinsong::stats::paired::rate_ratio;
use jinsong::stats::posterior::summarize;
use jinsong::stats::wilson;
use serde_json::Value;
use tempfile::TempDir;

use crate::common::{jinsong, load, ok, set, text, toy, toy_patterns, toy_reading};

/// The normal quantile of a two-sided 99.9% interval: the tolerance of the statistical checks
/// below (each fails by chance with probability 0.001 at most, under its fixed seed).
const Z999: f64 = 3.290_526_731_491_926;

/// P(war begun within `t` months) with the monthly hazard uniform on `[a, b]`:
/// `1 − ((1 − a)^(t+1) − (1 − b)^(t+1)) / ((t + 1)(b − a))`.
fn closed_form(a: f64, b: f64, t: i32) -> f64 {
    1.0 - ((1.0 - a).powi(t + 1) - (1.0 - b).powi(t + 1)) / (f64::from(t + 1) * (b - a))
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_toy_models_evidence_and_bayes_factor_match_their_closed_forms() {
    let dir = TempDir::new().unwrap();
    let low = toy_reading(dir.path(), "low", "Uniform(0.001, 0.01)");
    let high = toy_reading(dir.path(), "high", "Uniform(0.01, 0.05)");
    let out = dir.path().join("ev");
    let args = [
        "evidence",
        &low,
        &high,
        "--patterns",
        &toy_patterns(),
        "--runs",
        "40000",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
        "--quiet",
    ];
    ok(dir.path(), &args);
    let ev = json(&out.join("evidence.json"));
    let expected = [closed_form(0.001, 0.01, 24), closed_form(0.01, 0.05, 24)];
    let mut counts = Vec::new();
    for (reading, want) in ev["readings"].as_array().unwrap().iter().zip(expected) {
        let (x, n) = (
            reading["matched"].as_u64().unwrap(),
            reading["runs"].as_u64().unwrap(),
        );
        let (lo, hi) = wilson(x, n, Z999);
        assert!(
            lo <= want && want <= hi,
            "{}: {x}/{n}, closed form {want}",
            reading["scenario"]
        );
        // The 95% interval written is the Wilson interval of the same counts.
        let ci = &reading["evidence"]["ci95"];
        assert!(
            ci[0].as_f64().unwrap() <= x as f64 / n as f64 && x as f64 / n as f64 <= ci[1].as_f64().unwrap()
        );
        counts.push((x, n));
    }
    let bf = &ev["bayes_factors"][0];
    let want = (expected[0] / expected[1]).log10();
    let r = rate_ratio(counts[0].0, counts[0].1, counts[1].0, counts[1].1, Z999).unwrap();
    assert!(
        r.low.log10() <= want && want <= r.high.log10(),
        "log10 BF {want} outside [{}, {}]",
        r.low.log10(),
        r.high.log10()
    );
    assert!((bf["log10"].as_f64().unwrap() - r.ratio.log10()).abs() < 1e-12);
    // Equal prior odds: the posterior probabilities are the evidences' shares.
    let p = ev["readings"][0]["posterior_probability"].as_f64().unwrap();
    let share = counts[0].0 as f64 / (counts[0].0 + counts[1].0) as f64;
    assert!((p - share).abs() < 1e-12);
}

/// The bucket of a toy run's outcome: the year of Alpha's first war on Beta (0 ..= 4), or 5.
fn bucket(ws: &Workspace) -> usize {
    let onset = ws.outcome.dyads[0].first_onset;
    if onset == jinsong::engine::outcome::NEVER {
        5
    } else {
        (onset / 12).min(4) as usize
    }
}

#[test]
fn simulation_based_calibration_gives_uniform_ranks_and_90_percent_coverage() {
    // Priors on the hazard and on Alpha's starting mobilization (which does not change the
    // hazard: the record says nothing about it, and its posterior must stay the prior).
    let sc = set(
        &load("toy", &fs::read_to_string(toy()).unwrap()),
        "polities.a.greed",
        "Uniform(0.002, 0.06)",
    );
    let sc = set(&sc, "polities.a.mobilization", "Beta(2, 2)");
    let m = Model::compile(&sc);
    let mut ws = Workspace::new(&m);
    // A pool of runs, by bucket, with their drawn values: exact rejection gives exact posterior
    // draws of the runs whose bucket is the observed one.
    let seed = 29;
    let pool_runs = 60_000u64;
    let mut pool: Vec<Vec<[f64; 2]>> = vec![Vec::new(); 6];
    for r in 1_000_000..1_000_000 + pool_runs {
        simulate(&m, seed, r, &mut ws, &mut Silent);
        pool[bucket(&ws)].push([ws.drawn()[0], ws.drawn()[1]]);
    }
    let (replications, draws) = (1000usize, 199usize);
    let mut ranks = vec![vec![0u64; 10]; 2];
    let mut covered = [0u64; 2];
    for i in 0..replications {
        // The truth: run i's drawn values and the bucket of its outcome.
        simulate(&m, seed, i as u64, &mut ws, &mut Silent);
        let truth = [ws.drawn()[0], ws.drawn()[1]];
        let same = &pool[bucket(&ws)];
        assert!(
            same.len() >= 2 * draws,
            "bucket {} has {} runs",
            bucket(&ws),
            same.len()
        );
        // `draws` posterior draws: a deterministic stride through the pool's runs of the bucket.
        let start = (i * 7919) % same.len();
        for k in 0..2 {
            let mut post: Vec<f64> = (0..draws)
                .map(|j| same[(start + j * 13) % same.len()][k])
                .collect();
            let rank = post.iter().filter(|&&v| v < truth[k]).count();
            ranks[k][rank * 10 / (draws + 1)] += 1;
            let s = summarize(&mut post).unwrap();
            covered[k] += u64::from(s.q05 <= truth[k] && truth[k] <= s.q95);
        }
    }
    // Each of the 10 rank bins holds 1/10 of the replications: binomial 99.9% bounds, widened for
    // the ten bins (Bonferroni: z of 1 − 0.001/10 two-sided).
    let z = 3.890_591_886_413_123;
    let n = replications as f64;
    let (mean, sd) = (n * 0.1, (n * 0.1 * 0.9).sqrt());
    for (k, bins) in ranks.iter().enumerate() {
        for &b in bins {
            assert!(
                (b as f64 - mean).abs() <= z * sd,
                "parameter {k}: rank bins {bins:?}"
            );
        }
    }
    // 90% credible intervals from 199 draws (type-7 quantiles) contain the truth when its rank
    // is about 10 ..= 188 of 0 ..= 199: 179/200 = 0.895. Binomial 99.9% bounds around that.
    for c in covered {
        let rate = c as f64 / n;
        assert!(
            (rate - 0.895).abs() <= Z999 * (0.895 * 0.105 / n).sqrt() + 0.005,
            "coverage {rate}"
        );
    }
}

#[test]
fn evidence_and_posterior_are_byte_identical_over_threads_shards_and_merge() {
    let dir = TempDir::new().unwrap();
    let low = toy_reading(dir.path(), "low", "Uniform(0.001, 0.02)");
    let high = toy_reading(dir.path(), "high", "Triangular(0.0, 0.03, 0.05)");
    let pats = toy_patterns();
    let base = |out: &str| -> Vec<String> {
        [
            "evidence",
            &low,
            &high,
            "--patterns",
            &pats,
            "--runs",
            "6000",
            "--seed",
            "8",
            "--sample",
            "500",
            "--out",
            out,
            "--no-charts",
            "--quiet",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |out: &str, extra: &[&str]| {
        let mut args = base(out);
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(dir.path(), &refs);
    };
    run("one", &["--threads", "1"]);
    run("two", &["--threads", "2"]);
    run("parts", &["--shard", "1/3", "--threads", "2"]);
    run("parts", &["--shard", "2/3", "--threads", "1"]);
    run("parts", &["--shard", "3/3", "--threads", "2"]);
    let parts: Vec<String> = (1..=3).map(|k| format!("parts/part-{k}-of-3.json")).collect();
    let mut merge = vec!["merge"];
    merge.extend(parts.iter().map(String::as_str));
    merge.extend(["--out", "merged", "--no-charts", "--quiet"]);
    ok(dir.path(), &merge);
    for file in ["evidence.json", "posterior.json", "posterior_sample.csv"] {
        let one = fs::read(dir.path().join("one").join(file)).unwrap();
        for other in ["two", "merged"] {
            let bytes = fs::read(dir.path().join(other).join(file)).unwrap();
            assert!(one == bytes, "{file} differs between one thread and {other}");
        }
    }
    let sample = fs::read_to_string(dir.path().join("one/posterior_sample.csv")).unwrap();
    assert_eq!(sample.lines().filter(|l| l.starts_with("low,")).count(), 500);
}

#[test]
fn a_finished_posterior_is_drawn_from_by_run_and_refused_where_it_does_not_fit() {
    let dir = TempDir::new().unwrap();
    let low = toy_reading(dir.path(), "low", "Uniform(0.001, 0.05)");
    let pats = toy_patterns();
    ok(
        dir.path(),
        &[
            "evidence",
            &low,
            "--patterns",
            &pats,
            "--runs",
            "4000",
            "--seed",
            "2",
            "--out",
            "ev",
            "--no-charts",
            "--quiet",
        ],
    );
    let post = json(&dir.path().join("ev/posterior.json"));
    let mean = post["readings"][0]["parameters"][0]["posterior"]["mean"]
        .as_f64()
        .unwrap();
    // The predictive P(war by 1202) under the posterior is the match rate of the pattern the
    // posterior was fitted to: well above the prior's.
    ok(
        dir.path(),
        &[
            "score",
            &low,
            "--patterns",
            &pats,
            "--runs",
            "4000",
            "--seed",
            "9",
            "--posterior",
            "ev",
            "--out",
            "sc",
            "--no-charts",
            "--quiet",
        ],
    );
    let scores = json(&dir.path().join("sc/scores.json"));
    let rate = scores["scenarios"][0]["joint"]["rate"].as_f64().unwrap();
    let prior_rate = closed_form(0.001, 0.05, 24);
    assert!(
        rate > prior_rate + 0.05,
        "posterior predictive {rate} vs prior predictive {prior_rate}"
    );
    ok(
        dir.path(),
        &[
            "run",
            &low,
            "--runs",
            "500",
            "--posterior",
            "ev",
            "--out",
            "run",
            "--no-charts",
            "--quiet",
        ],
    );
    let summary = json(&dir.path().join("run/summary.json"));
    assert!(summary["drawn_from"].as_str().unwrap().contains("(low)"));
    assert_eq!(summary["priors"]["polities.a.greed"], "Uniform(0.001, 0.05)");
    assert!(mean > 0.0);
    // A reading without that prior cannot draw from it.
    let out = jinsong(
        dir.path(),
        &[
            "run",
            &toy(),
            "--runs",
            "10",
            "--posterior",
            "ev",
            "--out",
            "bad",
            "--quiet",
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("not a prior of `toy_hazard`"), "{err}");
    assert!(!dir.path().join("bad").exists(), "nothing written");
}

#[test]
fn bad_priors_are_refused_before_any_run_with_their_place() {
    let dir = TempDir::new().unwrap();
    let pats = toy_patterns();
    for (prior, says) in [
        ("Uniform(0.5, 0.1)", "lo < hi"),
        ("Uniform(0, 3)", "outside the field's range (allowed: 0 ..= 1"),
        ("LogUniform(0, 0.1)", "0 < lo < hi"),
        ("Beta(0, 1)", "needs shapes a and b from 0.001"),
        ("Normal(2, 0.1)", "its mean is outside the field's range"),
        ("Triangular(0, 0.5, 0.2)", "lo ≤ mode ≤ hi"),
        ("Choice([])", "a Choice needs 1 to"),
        ("Gauss(0, 1)", "not a number"),
    ] {
        let bad = toy_reading(dir.path(), "bad", prior);
        let out = jinsong(
            dir.path(),
            &[
                "evidence",
                &bad,
                "--patterns",
                &pats,
                "--runs",
                "100",
                "--out",
                "never",
            ],
        );
        assert!(!out.status.success(), "{prior} accepted");
        let err = text(&out.stderr);
        assert!(err.contains("bad.ron") && err.contains(says), "{prior}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{prior}: one line: {err}");
        assert!(!dir.path().join("never").exists(), "{prior}: nothing written");
    }
    // In a scenario file, with line and column.
    let text_ron = fs::read_to_string(toy())
        .unwrap()
        .replace("greed: 0.01", "greed: Uniform(0.2, 0.1)");
    let line = 1 + text_ron
        .lines()
        .position(|l| l.contains("greed: Uniform"))
        .unwrap();
    let col = 1 + text_ron.lines().nth(line - 1).unwrap().find("Uniform").unwrap();
    fs::write(dir.path().join("inline.ron"), text_ron).unwrap();
    let out = jinsong(dir.path(), &["check", "inline.ron"]);
    let err = text(&out.stderr);
    let at = format!("inline.ron:{line}:{col}: polities.a.greed: Uniform(0.2, 0.1) needs lo < hi");
    assert!(!out.status.success() && err.contains(&at), "{err}");
}

#[test]
fn extreme_numbers_in_priors_are_refused_or_taken_without_a_panic() {
    let dir = TempDir::new().unwrap();
    for (prior, ok_or_says) in [
        ("Beta(1e300, 1)", Some("Beta(1e300, 1) needs shapes")),
        ("Normal(0.01, 1e300)", Some("too wide for the field's range")),
        ("Choice([1e400])", Some("finite values")),
        ("LogUniform(1e-300, 0.05)", None),
        ("Normal(0.01, 1e-300)", None),
    ] {
        let reading = toy_reading(dir.path(), "edge", prior);
        let out = jinsong(
            dir.path(),
            &[
                "run",
                &reading,
                "--runs",
                "50",
                "--out",
                "edge_out",
                "--no-charts",
                "--quiet",
            ],
        );
        let err = text(&out.stderr);
        match ok_or_says {
            Some(says) => {
                assert!(!out.status.success() && err.contains(says), "{prior}: {err}");
                assert!(err.len() < 400, "{prior}: a short line: {err}");
            }
            None => assert!(out.status.success(), "{prior}: {err}"),
        }
        let _ = fs::remove_dir_all(dir.path().join("edge_out"));
    }
}

/// Tampered evidence parts (posterior bins that no longer add up to the matched runs, a
/// truncated or duplicated sample) are refused at `merge`, with the part named, in under a
/// second: by the digest, and by the counts' invariants when the digest was computed again.
#[test]
fn tampered_evidence_parts_are_refused_at_merge() {
    use crate::resume::{edit_by, evidence_tamper, read_json, refused_by_binary, write_json, Edit};
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let t = evidence_tamper(dir);
    let part = t.parts[1].clone();
    let genuine = read_json(&part);
    let sample = genuine["counts"][0]["sample"].as_array().unwrap().len();
    assert!(sample > 2, "{sample} sample rows");
    fn bins(v: &Value) -> Vec<Value> {
        v["counts"][0]["posterior_bins"].as_array().unwrap().clone()
    }
    fn more_bins(v: &mut Value) {
        // 100 more matched runs in every bin's histogram (the reported 401 against 301).
        let mut b = bins(v);
        for prior in b.chunks_mut(jinsong::study::evidence::BINS) {
            prior[0] = (prior[0].as_u64().unwrap() + 100).into();
        }
        v["counts"][0]["posterior_bins"] = Value::Array(b);
    }
    let edits: Vec<(&str, bool, Edit)> = vec![
        ("its digest does not match", false, edit_by(more_bins)),
        ("posterior_bins of prior 0 add up to", true, edit_by(more_bins)),
        // The conditional counts: one more run in a bin of pattern 0, and a part of an earlier
        // version, without them.
        (
            "pattern_bins of pattern 0, prior 0 add up to",
            true,
            edit_by(|v| {
                let x = &mut v["counts"][0]["pattern_bins"][0];
                *x = (x.as_u64().unwrap() + 1).into();
            }),
        ),
        (
            "pattern_bins has 0 bins",
            true,
            edit_by(|v| {
                v["counts"][0].as_object_mut().unwrap().remove("pattern_bins");
            }),
        ),
        (
            "rows, not",
            true,
            edit_by(|v| {
                v["counts"][0]["sample"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "rows, not",
            true,
            edit_by(|v| {
                let rows = v["counts"][0]["sample"].as_array_mut().unwrap();
                rows.push(rows[rows.len() - 1].clone());
            }),
        ),
        (
            "is there twice",
            true,
            edit_by(|v| {
                let rows = v["counts"][0]["sample"].as_array_mut().unwrap();
                rows[1] = rows[0].clone();
            }),
        ),
        (
            "its digest does not match",
            false,
            edit_by(|v| {
                let rows = v["counts"][0]["sample"].as_array_mut().unwrap();
                rows.truncate(rows.len() / 2);
            }),
        ),
    ];
    let mut merge: Vec<String> = vec!["merge".into()];
    merge.extend(t.parts.iter().map(|p| p.display().to_string()));
    merge.extend(["--out", "merged", "--no-charts", "--quiet"].map(String::from));
    for (needle, reseal, edit) in &edits {
        let mut v = genuine.clone();
        edit(&mut v);
        write_json(&part, v, *reseal);
        refused_by_binary(dir, &merge, &part, needle, &dir.join("merged"));
    }
    write_json(&part, genuine, false);
    let args: Vec<&str> = merge.iter().map(String::as_str).collect();
    ok(dir, &args);
}

/// `conditional.csv`: P(pattern | prior value in a bin), from integer counts. On the toy with
/// Alpha's monthly hazard h ~ Uniform(0.002, 0.06) and a prior that does not touch the hazard
/// (its starting mobilization, Beta(2, 2): its advantage is 1 whatever it is), and two patterns
/// (a war in the first 24 months; none in the first 12): over the bins of each prior the runs add
/// up to the runs and the matches to the pattern's matched runs (evidence.json); in each quarter
/// of the hazard's range (10 bins pooled, h uniform on [a, b] inside it) the share of runs with a
/// war by 24 months is the closed form 1 − ((1−a)^25 − (1−b)^25)/(25(b−a)) and the share at peace
/// through 12 months 1 − that form at 12, so the first rises and the second falls across the
/// quarters; in each quarter of the mobilization's range both shares are the overall closed
/// forms (the prior drives nothing). Every check: the value inside the 99.9% Wilson interval.
#[test]
fn conditional_counts_add_up_and_follow_the_prior_that_drives_a_pattern() {
    let dir = TempDir::new().unwrap();
    let reading = dir.path().join("cond.ron");
    fs::write(
        &reading,
        format!(
            "(base: \"{}\", name: \"cond\", set: [\"polities.a.greed=Uniform(0.002, 0.06)\", \"polities.a.mobilization=Beta(2, 2)\"])",
            crate::common::toy()
        ),
    )
    .unwrap();
    let patterns = dir.path().join("cond_patterns.ron");
    fs::write(
        &patterns,
        r#"(patterns: [
            (name: "war_by_1202", description: "a war in the first 24 months",
             rule: Happens(event: (kind: War, a: "a", b: "b", by: "a"), window: Between(from: "1200-01", to: "1201-12"))),
            (name: "peace_through_1200", description: "no war in the first 12 months",
             rule: Not(Happens(event: (kind: War, a: "a", b: "b", by: "a"), window: Between(from: "1200-01", to: "1200-12")))),
        ])"#,
    )
    .unwrap();
    const RUNS: u64 = 8000;
    let out = dir.path().join("ev");
    ok(
        dir.path(),
        &[
            "evidence",
            reading.to_str().unwrap(),
            "--patterns",
            patterns.to_str().unwrap(),
            "--runs",
            &RUNS.to_string(),
            "--seed",
            "11",
            "--out",
            out.to_str().unwrap(),
            "--no-charts",
            "--quiet",
        ],
    );
    let csv = fs::read_to_string(out.join("conditional.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("reading,parameter,bin_lo,bin_hi,pattern,runs,matches")
    );
    // (parameter, pattern) → [(bin_lo, bin_hi, runs, matches)] in bin order.
    type Bin = (f64, f64, u64, u64);
    let mut cells: std::collections::BTreeMap<(String, String), Vec<Bin>> = Default::default();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 7, "{line}");
        assert_eq!(f[0], "cond");
        cells.entry((f[1].into(), f[4].into())).or_default().push((
            f[2].parse().unwrap(),
            f[3].parse().unwrap(),
            f[5].parse().unwrap(),
            f[6].parse().unwrap(),
        ));
    }
    let bins = jinsong::study::evidence::BINS;
    assert_eq!(cells.len(), 4, "2 priors × 2 patterns");
    let ev = json(&out.join("evidence.json"));
    for ((parameter, pattern), rows) in &cells {
        assert_eq!(rows.len(), bins, "{parameter} {pattern}");
        let runs: u64 = rows.iter().map(|r| r.2).sum();
        let matches: u64 = rows.iter().map(|r| r.3).sum();
        assert_eq!(runs, RUNS, "{parameter} {pattern}: runs over the bins");
        let rate = ev["readings"][0]["patterns"][pattern.as_str()]["rate"]
            .as_f64()
            .unwrap();
        assert_eq!(
            matches,
            (rate * RUNS as f64).round() as u64,
            "{parameter} {pattern}"
        );
        for w in rows.windows(2) {
            assert_eq!(w[0].1, w[1].0, "{parameter}: the bins tile the range");
        }
    }
    let within = |what: String, x: u64, n: u64, want: f64| {
        let (lo, hi) = wilson(x, n, Z999);
        assert!(
            lo <= want && want <= hi,
            "{what}: {x}/{n}, 99.9% [{lo:.4}, {hi:.4}], closed form {want:.4}"
        );
        (lo, hi)
    };
    let quarters = |rows: &[Bin]| -> Vec<Bin> {
        rows.chunks(bins / 4)
            .map(|q| {
                let (x, n) = q.iter().fold((0, 0), |(x, n), r| (x + r.3, n + r.2));
                (q[0].0, q[q.len() - 1].1, n, x)
            })
            .collect()
    };
    let hazard = "polities.a.greed".to_string();
    let mobilization = "polities.a.mobilization".to_string();
    let war = |a: f64, b: f64| closed_form(a, b, 24);
    let peace = |a: f64, b: f64| 1.0 - closed_form(a, b, 12);
    let mut last: Option<(f64, f64)> = None;
    for (a, b, n, x) in quarters(&cells[&(hazard.clone(), "war_by_1202".into())]) {
        let (lo, hi) = within(format!("war by 1202, h in [{a}, {b}]"), x, n, war(a, b));
        if let Some((_, before_hi)) = last {
            assert!(
                before_hi < lo,
                "the share of wars rises across the hazard's quarters"
            );
        }
        last = Some((lo, hi));
    }
    let mut last: Option<(f64, f64)> = None;
    for (a, b, n, x) in quarters(&cells[&(hazard, "peace_through_1200".into())]) {
        let (lo, hi) = within(format!("peace through 1200, h in [{a}, {b}]"), x, n, peace(a, b));
        if let Some((before_lo, _)) = last {
            assert!(
                hi < before_lo,
                "the share at peace falls across the hazard's quarters"
            );
        }
        last = Some((lo, hi));
    }
    for (pattern, want) in [
        ("war_by_1202", war(0.002, 0.06)),
        ("peace_through_1200", peace(0.002, 0.06)),
    ] {
        for (a, b, n, x) in quarters(&cells[&(mobilization.clone(), pattern.into())]) {
            within(format!("{pattern}, mobilization in [{a}, {b}]"), x, n, want);
        }
    }
}
