//! Judgements as distributions: priors in scenarios, drawn per run on common random numbers,
//! written into the model exactly as `compile` writes a fixed value.

use jinsong::engine::{simulate, Silent, Workspace};
use jinsong::model::prior::{patch_all, target_of};
use jinsong::model::Model;
use jinsong::scenario::{field_range, leaf_paths, validate, LoadedScenario, Scenario, BASELINE_RON};

use crate::common::{load, set, toy_patterns, toy_reading};

fn baseline() -> Scenario {
    load("baseline", BASELINE_RON)
}

/// Every path a prior may stand for in `sc`, with two values inside its range.
fn prior_paths(sc: &Scenario) -> Vec<(String, [f64; 2])> {
    // Every real number that --set reaches takes a prior and has a setter: a new field of the
    // schema fails here until it is given one (or is a whole number or a switch).
    let whole = [
        "seed",
        "runs",
        "warmup",
        "rules.truce_months",
        "rules.cession_delay",
        "rules.default_memory",
    ];
    for p in leaf_paths(sc) {
        let real = !p.starts_with("mechanisms.")
            && !whole.contains(&p.as_str())
            && !p.ends_with(".reaction_delay")
            && !p.ends_with(".conquerable");
        assert_eq!(
            real,
            jinsong::scenario::prior::takes_prior(&p) && target_of(sc, &p).is_some(),
            "{p}"
        );
    }
    leaf_paths(sc)
        .into_iter()
        .filter(|p| target_of(sc, p).is_some())
        .filter_map(|p| {
            let (lo, hi, _) = field_range(sc, &p)?;
            let hi = hi.min(lo + 5.0);
            Some((p, [lo + 0.3 * (hi - lo), lo + 0.7 * (hi - lo)]))
        })
        .collect()
}

#[test]
fn a_drawn_value_is_written_exactly_as_compile_writes_a_fixed_one() {
    let base = baseline();
    let mut quiet = base.clone();
    for name in [
        "greed",
        "isolation",
        "restraint",
        "misperception",
        "alliances",
        "provocations",
    ] {
        quiet = set(&quiet, &format!("mechanisms.{name}"), "false");
    }
    let mut checked = 0;
    for sc in [&base, &quiet] {
        let compiled = Model::compile(sc);
        let paths = prior_paths(sc);
        assert!(paths.len() > 150, "{} paths", paths.len());
        for (path, values) in paths {
            for v in values {
                let fixed = set(sc, &path, &v.to_string());
                if !validate(&fixed).is_empty() {
                    continue;
                }
                let want = Model::compile(&fixed);
                let mut got = compiled.clone();
                let target = target_of(sc, &path).expect("a target");
                let prior = jinsong::model::prior::CompiledPrior {
                    path: path.clone(),
                    dist: jinsong::scenario::prior::Distribution::Choice(vec![v]),
                    sampler: jinsong::model::prior::Sampler::Choice(vec![v]),
                    target,
                    place: 0,
                    set_slot: compiled.set_slots.iter().position(|s| s.path == path),
                    range: (0.0, 1.0),
                    column: None,
                };
                let slots = got.set_slots.clone();
                patch_all(&mut got, 0, &slots, std::slice::from_ref(&prior), &[v]);
                for (k, variant) in got.variants.iter_mut().enumerate() {
                    patch_all(variant, k + 1, &slots, std::slice::from_ref(&prior), &[v]);
                }
                assert_eq!(format!("{want:?}"), format!("{got:?}"), "{path} = {v}");
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked} values checked");
}

/// The outcomes of runs `0..runs` of `sc` under seed `seed`.
fn outcomes(sc: &Scenario, seed: u64, runs: u64) -> Vec<String> {
    let m = Model::compile(sc);
    let mut ws = Workspace::new(&m);
    (0..runs)
        .map(|r| {
            simulate(&m, seed, r, &mut ws, &mut Silent);
            format!("{:?}", ws.outcome)
        })
        .collect()
}

#[test]
fn a_prior_with_one_value_runs_exactly_as_that_fixed_value() {
    let base = baseline();
    // A polity number, a relation number that a `Set` effect sets later in some runs (Kaifeng's
    // fall), a rule and an event's probability.
    for (path, v) in [
        ("polities.jin.greed", "0.01"),
        ("relations.song.jin.provocation_rate", "0.2"),
        ("polities.jin.status_rigidity", "0.5"),
        ("rules.talks_success", "0.3"),
        ("events.kaifeng_falls.probability", "0.5"),
    ] {
        let fixed = outcomes(&set(&base, path, v), 11, 300);
        let drawn = outcomes(&set(&base, path, &format!("Choice([{v}])")), 11, 300);
        assert!(
            fixed == drawn,
            "{path}: a one-value prior differs from the fixed value"
        );
    }
}

#[test]
fn a_shared_prior_draws_the_same_value_for_run_r_and_other_priors_move_nothing() {
    let base = baseline();
    let one = set(&base, "polities.jin.greed", "Uniform(0, 0.02)");
    let two = set(&one, "relations.jin.song.trust", "Beta(2, 2)");
    let three = set(&two, "polities.song.mobilization_lag", "Normal(20, 5)");
    let (m1, m3) = (Model::compile(&one), Model::compile(&three));
    let (mut w1, mut w3) = (Workspace::new(&m1), Workspace::new(&m3));
    let mut seen = Vec::new();
    for r in 0..200 {
        simulate(&m1, 5, r, &mut w1, &mut Silent);
        simulate(&m3, 5, r, &mut w3, &mut Silent);
        assert_eq!(w1.drawn()[0], w3.drawn()[0], "run {r}");
        assert!((0.0..=0.02).contains(&w1.drawn()[0]));
        assert!(
            (0.0..=120.0).contains(&w3.drawn()[2]),
            "the Normal is truncated to the range"
        );
        seen.push(w1.drawn()[0]);
    }
    seen.sort_by(f64::total_cmp);
    seen.dedup();
    assert_eq!(seen.len(), 200, "each run draws its own value");
    // The same run drawn again, alone, in a fresh workspace: the same values.
    let mut again = Workspace::new(&m3);
    simulate(&m3, 5, 17, &mut again, &mut Silent);
    simulate(&m3, 5, 17, &mut w3, &mut Silent);
    assert_eq!(again.drawn(), w3.drawn());
    assert_eq!(format!("{:?}", again.outcome), format!("{:?}", w3.outcome));
}

#[test]
fn priors_are_written_in_place_of_values_and_refused_when_they_do_not_fit() {
    let text = BASELINE_RON.replacen("greed: 0.01225", "greed: Uniform(0.0, 0.01)", 1);
    assert_ne!(text, BASELINE_RON, "the baseline gives Jin a greed of 0.01225");
    let sc = load("inline", &text);
    assert_eq!(sc.priors.len(), 1);
    assert_eq!(sc.priors[0].path, "polities.jin.greed");
    assert_eq!(sc.priors[0].dist.to_string(), "Uniform(0, 0.01)");

    let refused = |text: &str| -> String {
        match LoadedScenario::parse("bad.ron", text) {
            Err(e) => e.to_string(),
            Ok(l) => l.validate().err().map(|e| e.to_string()).unwrap_or_default(),
        }
    };
    let out = refused(&BASELINE_RON.replacen("greed: 0.01225", "greed: Uniform(0.0, 2.0)", 1));
    assert!(
        out.starts_with("bad.ron:") && out.contains("polities.jin.greed"),
        "{out}"
    );
    assert!(
        out.contains("outside the field's range (allowed: 0 ..= 1"),
        "{out}"
    );
    let out = refused(&BASELINE_RON.replacen("greed: 0.01225", "greed: Uniform(0.5, 0.1)", 1));
    assert!(out.contains("lo < hi"), "{out}");
    let out = refused(&BASELINE_RON.replacen("greed: 0.01225", "greed: Uniform(0.5)", 1));
    assert!(out.contains("not a distribution"), "{out}");
    let out = refused(&BASELINE_RON.replacen("truce_months: 36", "truce_months: Choice([24, 36])", 1));
    assert!(out.contains("whole number"), "{out}");
}

fn toy_text() -> String {
    std::fs::read_to_string(crate::common::root().join("tests/data/toy_hazard.ron")).expect("the toy reads")
}

/// `jinsong evidence READING --patterns <the toy's patterns> --runs RUNS --quiet` in `dir`, with
/// `more` arguments after.
fn evidence(dir: &std::path::Path, reading: &str, runs: &str, more: &[&str]) -> std::process::Output {
    let patterns = toy_patterns();
    let mut args = vec![
        "evidence",
        reading,
        "--patterns",
        &patterns,
        "--runs",
        runs,
        "--quiet",
    ];
    args.extend_from_slice(more);
    crate::common::jinsong(dir, &args)
}

fn json_of(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

/// `--prior-odds 1e308:1e308` printed NaN (null in JSON) and `1e-320:1e-320` a probability
/// outside its own interval: the posterior is computed in logarithms from finite, normal odds,
/// and odds that are not (zero, subnormal, infinite) are refused at once.
#[test]
fn prior_odds_are_weighed_in_logarithms() {
    let tmp = tempfile::TempDir::new().expect("a temp dir");
    let dir = tmp.path();
    let low = toy_reading(dir, "low", "Uniform(0.001, 0.01)");
    let high = toy_reading(dir, "high", "Uniform(0.01, 0.05)");
    let patterns = toy_patterns();
    let run = |odds: &str, out: &str| {
        let mut args = vec![
            "evidence",
            &low,
            &high,
            "--patterns",
            &patterns,
            "--runs",
            "3000",
            "--seed",
            "5",
            "--out",
            out,
            "--no-charts",
            "--quiet",
        ];
        if !odds.is_empty() {
            args.extend(["--prior-odds", odds]);
        }
        crate::common::jinsong(dir, &args)
    };
    assert!(run("", "even").status.success());
    let even = json_of(&dir.join("even/evidence.json"));
    for (odds, out) in [
        ("1e308:1e308", "huge"),
        ("1e-300:1e-300", "small"),
        ("1e300:1e-300", "lopsided"),
    ] {
        let o = run(odds, out);
        assert!(o.status.success(), "{odds}: {}", crate::common::text(&o.stderr));
        let ev = json_of(&dir.join(out).join("evidence.json"));
        for (k, r) in ev["readings"].as_array().expect("readings").iter().enumerate() {
            let p = r["posterior_probability"]
                .as_f64()
                .unwrap_or_else(|| panic!("{odds}: {r}"));
            let ci = [
                r["posterior_ci95"][0].as_f64().expect("lo"),
                r["posterior_ci95"][1].as_f64().expect("hi"),
            ];
            assert!(ci[0] <= p && p <= ci[1], "{odds}: {p} outside {ci:?}");
            if out != "lopsided" {
                let want = even["readings"][k]["posterior_probability"]
                    .as_f64()
                    .expect("even");
                assert!((p - want).abs() < 1e-12, "{odds}: {p}, equal odds give {want}");
            }
        }
    }
    for odds in ["1e-320:1e-320", "0:1", "inf:1", "1e309:1", "nan:1"] {
        let started = std::time::Instant::now();
        let o = run(odds, "no");
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{odds}");
        assert!(!o.status.success(), "{odds} accepted");
        assert!(crate::common::text(&o.stderr).contains("--prior-odds"), "{odds}");
        assert!(!dir.join("no").exists());
    }
}

/// A reading run on another reading's posterior (`--posterior DIR`) took values outside its
/// own priors without a word: it is refused, naming the parameter, how many values fall
/// outside, and the reading the sample came from.
#[test]
fn a_posterior_outside_the_readings_own_priors_is_refused() {
    let tmp = tempfile::TempDir::new().expect("a temp dir");
    let dir = tmp.path();
    let low = toy_reading(dir, "low", "Uniform(0.001, 0.01)");
    let high = toy_reading(dir, "high", "Uniform(0.01, 0.05)");
    let wide = toy_reading(dir, "wide", "Uniform(0, 0.05)");
    let o = evidence(
        dir,
        &low,
        "3000",
        &["--sample", "50", "--out", "ev", "--no-charts"],
    );
    assert!(o.status.success(), "{}", crate::common::text(&o.stderr));
    let started = std::time::Instant::now();
    let o = evidence(
        dir,
        &high,
        "100",
        &["--posterior", "ev", "--out", "on", "--no-charts"],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    let err = crate::common::text(&o.stderr);
    assert!(!o.status.success(), "accepted");
    assert!(
        err.contains("polities.a.greed")
            && err.contains("(low)")
            && err.contains("of 50 values outside its prior in `high`, Uniform(0.01, 0.05)"),
        "{err}"
    );
    assert!(!dir.join("on").exists());
    // Within the reading's priors: taken.
    let o = evidence(
        dir,
        &wide,
        "100",
        &["--posterior", "ev", "--out", "on", "--no-charts"],
    );
    assert!(o.status.success(), "{}", crate::common::text(&o.stderr));
}

/// `evidence --sample 100000` wrote a 23 MB sample that `--posterior` refused (16 MiB): the
/// largest sample `evidence` allows is read back. Rows at their longest (the largest run
/// number, 17 significant digits) of the largest `--sample` for a reading of three priors:
/// the file is within the bound `evidence` checks before any run, and the reader takes it.
#[test]
fn the_largest_sample_evidence_writes_is_read_back() {
    use jinsong::scenario::prior::{
        read_posterior_sample, sample_row, MAX_SAMPLE_FILE_BYTES, SAMPLE_FILE, SAMPLE_HEADER,
    };
    use jinsong::study::evidence::{sample_file_bound, MAX_SAMPLE};
    let mut sc = load("toy", &toy_text());
    sc = set(&sc, "polities.a.greed", "Uniform(0, 0.1)");
    sc = set(&sc, "polities.a.war_propensity", "Uniform(0, 0.1)");
    sc = set(&sc, "polities.b.war_propensity", "Uniform(0, 0.1)");
    let bound = sample_file_bound(std::slice::from_ref(&sc), MAX_SAMPLE);
    assert!(bound <= MAX_SAMPLE_FILE_BYTES, "{bound}");
    let mut csv = String::from(SAMPLE_HEADER);
    for d in 0..MAX_SAMPLE as usize {
        for p in &sc.priors {
            sample_row(
                &mut csv,
                &sc.name,
                d,
                jinsong::scenario::MAX_RUNS - 1,
                &p.path,
                0.012_345_678_901_234_567,
            );
        }
    }
    assert!(csv.len() as u64 <= bound, "{} > {bound}", csv.len());
    assert!(
        csv.len() > 16 << 20,
        "the sample is larger than the old limit ({} bytes)",
        csv.len()
    );
    let tmp = tempfile::TempDir::new().expect("a temp dir");
    std::fs::write(tmp.path().join(SAMPLE_FILE), &csv).expect("written");
    let back = read_posterior_sample(tmp.path(), "toy_hazard").expect("read back");
    assert_eq!(back.rows(), MAX_SAMPLE as usize);
    assert_eq!(back.paths.len(), 3);
}

/// A raw string (`r"…"`, `r#"…"#`) holding what looks like a distribution was taken for a prior
/// and refused; the prior detector skips strings of every RON form.
#[test]
fn raw_strings_are_never_taken_for_priors() {
    for raw in [
        r##"r#"a": Uniform(0, 1) "#"##,
        r#"r"b: Beta(1, 2)""#,
        r#"r"c:\""#,
        r###"r##"d"#: Choice([1])"##"###,
    ] {
        let text = toy_text().replacen("name: \"Alpha\"", &format!("name: {raw}"), 1);
        assert_ne!(text, toy_text());
        let loaded = LoadedScenario::parse("raw.ron", &text).unwrap_or_else(|e| panic!("{raw}: {e}"));
        loaded.validate().unwrap_or_else(|e| panic!("{raw}: {e}"));
        assert!(loaded.scenario.priors.is_empty(), "{raw}");
    }
}

/// Beta shapes below 0.001 are refused (the sampler is exact from there on), with the shape
/// and the allowed range in one line, at once.
#[test]
fn beta_shapes_the_sampler_cannot_honour_are_refused() {
    for (dist, ok) in [
        ("Beta(0.0005, 1)", false),
        ("Beta(1e-300, 1e-300)", false),
        ("Beta(0.001, 0.001)", true),
    ] {
        let started = std::time::Instant::now();
        let result = LoadedScenario::parse("x.ron", &toy_text()).and_then(|mut l| {
            l.apply_overrides(&[format!("polities.a.greed={dist}").parse().expect("an override")])?;
            l.validate()
        });
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        match result {
            Ok(()) => assert!(ok, "{dist} accepted"),
            Err(e) => {
                assert!(!ok, "{dist}: {e}");
                let e = e.to_string();
                assert!(e.contains("from 0.001 to 1e6") && e.lines().count() == 1, "{e}");
            }
        }
    }
}

/// `evidence` refuses, before any run, a `--sample` whose `posterior_sample.csv` could be larger
/// than `--posterior` reads (a 256-prior reading's default sample was 32.7 MB, refused by the
/// reader afterwards): here 80 priors, 100,000 draws.
#[test]
fn evidence_refuses_a_sample_the_posterior_reader_could_not_read() {
    let tmp = tempfile::TempDir::new().expect("a temp dir");
    let dir = tmp.path();
    let sc = load("toy", &toy_text());
    let paths: Vec<String> = jinsong::scenario::leaf_paths(&sc)
        .into_iter()
        .filter(|p| jinsong::scenario::prior::takes_prior(p))
        // 0.5 inside the field's range (not `settlement_horizon`'s 1 ..= 600 months).
        .filter(|p| field_range(&sc, p).is_some_and(|(lo, hi, _)| (lo..=hi).contains(&0.5)))
        .collect();
    assert!(paths.len() >= 60, "{} paths", paths.len());
    let set: Vec<String> = paths.iter().map(|p| format!("\"{p}=Choice([0.5])\"")).collect();
    let file = dir.join("many.ron");
    std::fs::write(
        &file,
        format!(
            "(base: \"{}\", name: \"many\", set: [{}])",
            crate::common::root().join("tests/data/toy_hazard.ron").display(),
            set.join(", ")
        ),
    )
    .expect("written");
    let file = file.display().to_string();
    let started = std::time::Instant::now();
    let o = evidence(dir, &file, "100", &["--sample", "100000", "--out", "ev"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    let err = crate::common::text(&o.stderr);
    assert!(!o.status.success(), "accepted");
    assert!(
        err.contains("--sample: 100000 draws") && err.contains("134217728"),
        "{err}"
    );
    assert!(!dir.join("ev").exists());
    let o = evidence(
        dir,
        &file,
        "100",
        &["--sample", "100", "--out", "ev", "--no-charts"],
    );
    assert!(o.status.success(), "{}", crate::common::text(&o.stderr));
}
