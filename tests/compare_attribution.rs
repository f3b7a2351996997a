//! Tests of `compare` (paired differences on common random numbers) and `attribute` (Shapley
//! values with a Poisson-bootstrap interval): the Shapley arithmetic on synthetic games with
//! known values, efficiency, self-comparison, the gain from pairing, bad input, thread-count
//! independence, and end-to-end runs on the embedded baseline with fixed seeds.
//!
//! The timing of the performance target (6 mechanisms × 10,000 runs on 2 threads) is an
//! ignored test: `cargo test --release --test tests compare_attribution -- --ignored --nocapture`.

use jinsong::calendar::Month;
use jinsong::engine::outcome::NEVER;
use jinsong::engine::{simulate, Silent, Workspace};
use jinsong::model::Model;
use jinsong::scenario::{LoadedScenario, Mechanisms, Scenario};
use jinsong::stats::paired::{mcnemar_exact, paired_difference};
use jinsong::stats::shapley::{shapley_from_values, ShapleyKernel};
use jinsong::stats::Z95;
use jinsong::study::attribute::{attribute, check_mechanisms, Attribution, AttributionError, MAX_MECHANISMS};
use jinsong::study::compare::{
    by_offset, compare, resolve_dyad, truncate, CompareError, Comparison, DyadError,
};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED: u64 = 1125;

fn baseline() -> Scenario {
    let loaded = LoadedScenario::baseline().expect("the embedded baseline parses");
    loaded.validate().expect("the embedded baseline validates");
    loaded.scenario
}

fn index(model: &Model, id: &str) -> usize {
    model
        .ids
        .iter()
        .position(|x| x == id)
        .unwrap_or_else(|| panic!("no polity `{id}`"))
}

/// (jin, song) polity indices and the offset of 1127-12 (the fall of Kaifeng) in the baseline.
fn jin_song_by_1127(model: &Model) -> ((usize, usize), u32) {
    let by: Month = "1127-12".parse().unwrap();
    let offset = model.start.months_until(by);
    assert!(offset >= 0 && (offset as u32) < model.months);
    let dyad = (index(model, "jin"), index(model, "song"));
    assert_eq!(resolve_dyad(model, "jin,song"), Ok(dyad));
    assert_eq!(by_offset(model, by), Ok(offset as u32));
    (dyad, offset as u32)
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

fn sorted(keys: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

// ---------------------------------------------------------------------------------------------
// Shapley arithmetic on synthetic games
// ---------------------------------------------------------------------------------------------

/// v(S) = Σ_{i∈S} c_i has φ_i = c_i, in floats and (scaled by k!) in integers.
#[test]
fn additive_game_gives_each_player_its_contribution() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for k in 1..=8 {
        let c: Vec<i64> = (0..k).map(|_| (rng.next_u32() % 21) as i64 - 10).collect();
        let v_int: Vec<i64> = (0..1usize << k)
            .map(|s| (0..k).filter(|i| s & (1 << i) != 0).map(|i| c[i]).sum())
            .collect();
        let v: Vec<f64> = v_int.iter().map(|&x| x as f64).collect();
        let phi = shapley_from_values(k, &v);
        for i in 0..k {
            assert!(
                (phi[i] - c[i] as f64).abs() < 1e-12,
                "k={k} i={i}: {} vs {}",
                phi[i],
                c[i]
            );
        }
        let kernel = ShapleyKernel::new(k);
        let mut scaled = vec![0; k];
        kernel.scaled(&v_int, &mut scaled);
        for i in 0..k {
            assert_eq!(scaled[i], kernel.factorial() * c[i], "k={k} i={i}");
        }
    }
}

/// v(S) = 1 iff {1, 2} ⊆ S: players 1 and 2 share the value, the others get nothing.
#[test]
fn interaction_game_splits_the_value_between_the_pair() {
    for k in 3..=6 {
        let v_int: Vec<i64> = (0..1usize << k).map(|s| i64::from(s & 0b110 == 0b110)).collect();
        let v: Vec<f64> = v_int.iter().map(|&x| x as f64).collect();
        let phi = shapley_from_values(k, &v);
        for (i, p) in phi.iter().enumerate() {
            let expected = if i == 1 || i == 2 { 0.5 } else { 0.0 };
            assert!((p - expected).abs() < 1e-12, "k={k} i={i}: {p}");
        }
        let kernel = ShapleyKernel::new(k);
        let mut scaled = vec![0; k];
        kernel.scaled(&v_int, &mut scaled);
        let half = kernel.factorial() / 2;
        let expected: Vec<i64> = (0..k).map(|i| if i == 1 || i == 2 { half } else { 0 }).collect();
        assert_eq!(scaled, expected, "k={k}");
    }
}

/// Efficiency on random games: Σ φ_i = v(N) − v(∅) (floats to rounding, integers exactly), and
/// the float and integer versions agree.
#[test]
fn shapley_values_add_up_on_random_games() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for trial in 0..200 {
        let k = 1 + trial % MAX_MECHANISMS;
        let n = 1usize << k;
        // Random real game.
        let v: Vec<f64> = (0..n).map(|_| f64::from(rng.next_u32()) / 4e9 - 0.5).collect();
        let phi = shapley_from_values(k, &v);
        let sum: f64 = phi.iter().sum();
        assert!((sum - (v[n - 1] - v[0])).abs() < 1e-9, "k={k}: {sum}");
        // Random 0/1 game, as in one run.
        let v01: Vec<i64> = (0..n).map(|_| i64::from(rng.next_u32() & 1)).collect();
        let kernel = ShapleyKernel::new(k);
        let mut scaled = vec![0; k];
        kernel.scaled(&v01, &mut scaled);
        assert_eq!(
            scaled.iter().sum::<i64>(),
            kernel.factorial() * (v01[n - 1] - v01[0]),
            "k={k}"
        );
        let vf: Vec<f64> = v01.iter().map(|&x| x as f64).collect();
        for (s, f) in scaled.iter().zip(shapley_from_values(k, &vf)) {
            assert!((*s as f64 / kernel.factorial() as f64 - f).abs() < 1e-12);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// compare
// ---------------------------------------------------------------------------------------------

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let model = Model::compile(&baseline());
    let (dyad, by) = jin_song_by_1127(&model);
    let models = vec![model.clone(), model];
    let c = compare(&models, dyad, by, SEED, 1000, &|_| {}).unwrap();
    assert_eq!(c.scenarios[0], c.scenarios[1]);
    assert!(c.scenarios[0].successes > 0, "the baseline has onsets by 1127-12");
    let d = &c.differences[0];
    assert_eq!(d.difference, 0.0);
    assert_eq!(d.ci95, [0.0, 0.0]);
    assert_eq!(d.p_value, 1.0);
    assert_eq!((d.n10, d.n01), (0, 0));

    // compare.json has exactly the keys.
    let json: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    assert_eq!(keys(&json), sorted(&["dyad", "by", "scenarios", "differences"]));
    assert_eq!(json["dyad"], "jin,song");
    assert_eq!(json["by"], "1127-12");
    assert_eq!(
        keys(&json["scenarios"][0]),
        sorted(&["scenario", "probability", "ci95"])
    );
    assert_eq!(
        keys(&json["differences"][0]),
        sorted(&["scenario", "difference", "ci95", "p_value"])
    );
    assert_eq!(json["differences"][0]["ci95"], serde_json::json!([0.0, 0.0]));
    assert_eq!(json["differences"][0]["p_value"], 1.0);
    let back: Comparison = serde_json::from_str(&c.to_json()).unwrap();
    assert_eq!(back.dyad, c.dyad);
    assert!(c.table().contains("(reference)"));
}

/// Common random numbers pay: against the counterfactual `mechanisms.provocations=false`, the
/// paired 95% interval (variance from the discordant pairs) is narrower than the unpaired Wald
/// interval for two independent proportions, z·√(p₀(1−p₀)/N + p₁(1−p₁)/N), and narrower than
/// Newcombe's hybrid score interval built from the two Wilson intervals in the output.
#[test]
fn pairing_narrows_the_interval_of_a_counterfactual() {
    let base = baseline();
    let mut cf = base.clone();
    cf.mechanisms.provocations = false;
    cf.name = "no_provocations".into();
    let models = vec![Model::compile(&base), Model::compile(&cf)];
    let (dyad, by) = jin_song_by_1127(&models[0]);
    let n = 2000u64;
    let c = compare(&models, dyad, by, SEED, n, &|_| {}).unwrap();
    let (p0, p1) = (c.scenarios[0].probability, c.scenarios[1].probability);
    let d = &c.differences[0];
    assert_eq!(d.scenario, "no_provocations");
    // The paired difference is the difference of the two probabilities.
    assert!((d.difference - (p1 - p0)).abs() < 1e-12);
    assert_eq!(
        c.scenarios[1].successes as i64 - c.scenarios[0].successes as i64,
        d.n10 as i64 - d.n01 as i64
    );
    let paired_width = d.ci95[1] - d.ci95[0];
    let nf = n as f64;
    let wald_width = 2.0 * Z95 * (p0 * (1.0 - p0) / nf + p1 * (1.0 - p1) / nf).sqrt();
    let (w0, w1) = (c.scenarios[0].ci95, c.scenarios[1].ci95);
    let newcombe_width = ((p1 - w1[0]).powi(2) + (w0[1] - p0).powi(2)).sqrt()
        + ((w1[1] - p1).powi(2) + (p0 - w0[0]).powi(2)).sqrt();
    assert!(paired_width > 0.0, "the counterfactual changes some runs");
    assert!(
        paired_width < wald_width && paired_width < newcombe_width,
        "paired {paired_width} vs unpaired Wald {wald_width}, Newcombe {newcombe_width}"
    );
    // The interval is the stated normal interval of the paired differences.
    let (dd, ci) = paired_difference(d.n10, d.n01, n);
    assert_eq!((dd, ci), (d.difference, d.ci95));
    assert_eq!(d.p_value, mcnemar_exact(d.n10, d.n01));
}

/// Stopping runs after `by` changes nothing up to `by`: on the baseline, every pair's first onset
/// by `by` (whether, when, who, and the hostile acts before it) is the same in full-length runs.
#[test]
fn runs_stopped_after_by_agree_with_full_runs_up_to_by() {
    let model = Model::compile(&baseline());
    let (_, by) = jin_song_by_1127(&model);
    for by in [0, by / 2, by, model.months - 1] {
        let short = truncate(&model, by);
        assert_eq!(short.months, by + 1);
        let (mut ws_full, mut ws_short) = (Workspace::new(&model), Workspace::new(&short));
        let mut onsets = 0;
        for r in 0..300 {
            simulate(&model, SEED, r, &mut ws_full, &mut Silent);
            simulate(&short, SEED, r, &mut ws_short, &mut Silent);
            for (f, s) in ws_full.outcome.dyads.iter().zip(&ws_short.outcome.dyads) {
                let seen =
                    |o: &jinsong::engine::outcome::DyadOutcome| o.first_onset != NEVER && o.first_onset <= by;
                assert_eq!(seen(f), seen(s), "run {r}");
                if seen(f) {
                    onsets += 1;
                    assert_eq!(
                        (f.first_onset, f.initiator, f.acts_history_at_onset),
                        (s.first_onset, s.initiator, s.acts_history_at_onset),
                        "run {r}"
                    );
                }
            }
        }
        assert!(by == 0 || onsets > 0, "by {by}: some onsets to compare");
    }
    assert_eq!(truncate(&model, u32::MAX).months, model.months);
}

/// The McNemar p-value against the exact binomial tail computed in integers (n ≤ 100).
#[test]
fn mcnemar_matches_the_exact_binomial_tail() {
    for n in 0u64..=100 {
        // Binomial coefficients C(n, i) in u128 (C(100, 50) < 2^97).
        let mut c = vec![1u128; n as usize + 1];
        for i in 1..=n as usize {
            c[i] = c[i - 1] * (n as u128 - i as u128 + 1) / i as u128;
        }
        for b in 0..=n {
            let k = b.min(n - b) as usize;
            let tail: u128 = c[..=k].iter().sum();
            let exact = (2.0 * tail as f64 / 2f64.powi(n as i32)).min(1.0);
            let p = mcnemar_exact(b, n - b);
            assert!((p - exact).abs() <= 1e-12 * exact, "n={n} b={b}: {p} vs {exact}");
            assert!(p > 0.0 && p <= 1.0);
        }
    }
}

#[test]
fn compare_is_independent_of_the_thread_count() {
    let base = baseline();
    let mut cf = base.clone();
    cf.mechanisms.fear_spiral = false;
    cf.name = "no_fear_spiral".into();
    let models = vec![Model::compile(&base), Model::compile(&cf), Model::compile(&base)];
    let (dyad, by) = jin_song_by_1127(&models[0]);
    // 700 runs: not a multiple of the chunk size.
    let one = pool(1).install(|| compare(&models, dyad, by, SEED, 700, &|_| {}).unwrap());
    let two = pool(2).install(|| compare(&models, dyad, by, SEED, 700, &|_| {}).unwrap());
    assert_eq!(one, two);
    assert_eq!(one.to_json(), two.to_json());
}

#[test]
fn compare_refuses_scenarios_that_do_not_match() {
    let model = Model::compile(&baseline());
    let (dyad, by) = jin_song_by_1127(&model);

    let mut other = model.clone();
    other.name = "shuffled".into();
    other.ids.swap(0, 1);
    let err = compare(&[model.clone(), other], dyad, by, SEED, 10, &|_| {}).unwrap_err();
    assert!(matches!(err, CompareError::Polities { .. }));
    assert!(err.to_string().contains("`shuffled`"), "{err}");

    let mut fewer = model.clone();
    fewer.name = "fewer".into();
    fewer.ids.pop();
    let err = compare(
        &[model.clone(), model.clone(), fewer],
        dyad,
        by,
        SEED,
        10,
        &|_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("`fewer`"), "{err}");

    let mut shorter = model.clone();
    shorter.name = "shorter".into();
    shorter.months -= 1;
    let err = compare(&[model.clone(), shorter], dyad, by, SEED, 10, &|_| {}).unwrap_err();
    assert!(matches!(err, CompareError::Span { .. }) && err.to_string().contains("`shorter`"));

    // --dyad and --by as written on the command line.
    assert_eq!(resolve_dyad(&model, "song,jin"), Ok((dyad.1, dyad.0)));
    let err = resolve_dyad(&model, "jin,sung").unwrap_err();
    assert!(matches!(err, DyadError::UnknownPolity { .. }) && err.to_string().contains("`sung`"));
    assert!(matches!(
        resolve_dyad(&model, "jin"),
        Err(DyadError::Syntax { .. })
    ));
    assert!(matches!(
        resolve_dyad(&model, "jin,jin"),
        Err(DyadError::SamePolity { .. })
    ));
    let err = by_offset(&model, "1100-01".parse().unwrap()).unwrap_err();
    assert!(matches!(err, DyadError::ByBeforeStart { .. }) && err.to_string().contains("1100-01"));
    assert!(matches!(
        by_offset(&model, "1200-01".parse().unwrap()),
        Err(DyadError::ByAfterEnd { .. })
    ));

    assert_eq!(
        compare(&[], dyad, by, SEED, 10, &|_| {}).unwrap_err(),
        CompareError::NoScenarios
    );
    assert!(compare(
        std::slice::from_ref(&model),
        (dyad.0, dyad.0),
        by,
        SEED,
        10,
        &|_| {}
    )
    .is_err());
    assert!(compare(std::slice::from_ref(&model), (dyad.0, 99), by, SEED, 10, &|_| {}).is_err());
    assert!(compare(
        std::slice::from_ref(&model),
        dyad,
        model.months,
        SEED,
        10,
        &|_| {}
    )
    .is_err());
    assert_eq!(
        compare(&[model], dyad, by, SEED, 0, &|_| {}).unwrap_err(),
        CompareError::NoRuns
    );
}

// ---------------------------------------------------------------------------------------------
// attribute
// ---------------------------------------------------------------------------------------------

fn attribute_baseline(mechanisms: &[&str], runs: u64) -> Attribution {
    let sc = baseline();
    let model = Model::compile(&sc);
    let (dyad, by) = jin_song_by_1127(&model);
    attribute(&sc, mechanisms, dyad, by, SEED, runs, &|_| {}).unwrap()
}

/// 500 runs, 3 mechanisms: the values add up to P(all on) − P(all off) (exactly in the integer
/// sums, to rounding in the written floats), the result is the same on 1 and 2 threads, and the
/// all-on and all-off probabilities are those `compare` finds for the same two scenarios.
#[test]
fn baseline_attribution_adds_up_and_ignores_the_thread_count() {
    let mechanisms = ["provocations", "fear_spiral", "events"];
    let sc = baseline();
    let model = Model::compile(&sc);
    let (dyad, by) = jin_song_by_1127(&model);
    let runs = 500;
    let run = || attribute(&sc, &mechanisms, dyad, by, SEED, runs, &|_| {}).unwrap();
    let one = pool(1).install(run);
    let two = pool(2).install(run);
    assert_eq!(one, two);
    assert_eq!(one.to_json(), two.to_json());
    let a = one;

    // Efficiency.
    let scaled: i64 = a.mechanisms.iter().map(|m| m.scaled_sum).sum();
    let on_minus_off = a.all_on.successes as i64 - a.all_off.successes as i64;
    assert_eq!(scaled, a.factorial * on_minus_off);
    assert_eq!(a.factorial, 6);
    let json: serde_json::Value = serde_json::from_str(&a.to_json()).unwrap();
    let sum: f64 = json["mechanisms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["shapley"].as_f64().unwrap())
        .sum();
    let diff =
        json["all_on"]["probability"].as_f64().unwrap() - json["all_off"]["probability"].as_f64().unwrap();
    assert!((sum - diff).abs() < 1e-12, "{sum} vs {diff}");
    assert!(on_minus_off != 0, "the three mechanisms matter in the baseline");

    // attribution.json has exactly the keys, mechanisms in the order named.
    assert_eq!(
        keys(&json),
        sorted(&[
            "dyad",
            "by",
            "all_on",
            "all_off",
            "mechanisms",
            "initiators",
            "provoked_first"
        ])
    );
    assert_eq!(json["dyad"], "jin,song");
    assert_eq!(json["by"], "1127-12");
    for (m, name) in json["mechanisms"].as_array().unwrap().iter().zip(mechanisms) {
        assert_eq!(keys(m), sorted(&["mechanism", "shapley", "ci95"]));
        assert_eq!(m["mechanism"], name);
        let (lo, hi) = (m["ci95"][0].as_f64().unwrap(), m["ci95"][1].as_f64().unwrap());
        assert!(lo <= hi);
    }

    // Initiators and provoked-first come from the all-on runs.
    let by_polity = &a.initiators.by_polity;
    assert_eq!(a.initiators.onsets, a.all_on.successes);
    assert_eq!(
        by_polity["jin"].count + by_polity["song"].count,
        a.initiators.onsets
    );
    assert_eq!(a.provoked_first.onsets, a.initiators.onsets);
    let pf = &a.provoked_first.by_initiator;
    assert_eq!(pf["jin"].count + pf["song"].count, a.provoked_first.count);
    let share = a.provoked_first.share.unwrap();
    assert!(a.provoked_first.ci95[0] <= share && share <= a.provoked_first.ci95[1]);

    // The all-on and all-off probabilities are compare's, for the same scenarios and runs.
    let mut off = sc.clone();
    for name in mechanisms {
        *off.mechanisms.switch_mut(name).unwrap() = false;
    }
    let c = compare(&[model, Model::compile(&off)], dyad, by, SEED, runs, &|_| {}).unwrap();
    assert_eq!(c.scenarios[0].successes, a.all_on.successes);
    assert_eq!(c.scenarios[1].successes, a.all_off.successes);
    assert!(a.table().contains("provocations"));
}

/// With one mechanism, its Shapley value is the paired difference P(on) − P(off) that `compare`
/// reports (exactly), and the Poisson-bootstrap interval matches compare's paired normal
/// interval in width. The bootstrap's 2.5% and 97.5% percentiles from 200 replicates carry a
/// Monte Carlo error of roughly 10–15% of the half-width, so the widths must agree within 35%.
#[test]
fn one_mechanism_attribution_is_the_paired_difference() {
    let runs = 2000;
    let a = attribute_baseline(&["provocations"], runs);
    let sc = baseline();
    let mut off = sc.clone();
    off.mechanisms.provocations = false;
    let models = [Model::compile(&off), Model::compile(&sc)];
    let (dyad, by) = jin_song_by_1127(&models[0]);
    let c = compare(&models, dyad, by, SEED, runs, &|_| {}).unwrap();
    let d = &c.differences[0];
    let m = &a.mechanisms[0];
    assert_eq!(m.scaled_sum, d.n10 as i64 - d.n01 as i64);
    assert!((m.shapley - d.difference).abs() < 1e-15);
    assert!(
        d.n10 + d.n01 > 20,
        "provocations change enough runs for the test to mean something"
    );
    let boot = m.ci95[1] - m.ci95[0];
    let normal = d.ci95[1] - d.ci95[0];
    assert!(
        (boot / normal - 1.0).abs() < 0.35,
        "bootstrap width {boot} vs paired normal width {normal}"
    );
    assert!(m.ci95[0] <= m.shapley && m.shapley <= m.ci95[1]);
}

#[test]
fn attribute_refuses_bad_mechanisms() {
    let sc = baseline();
    let model = Model::compile(&sc);
    let (dyad, by) = jin_song_by_1127(&model);
    let go = |m: &[&str]| attribute(&sc, m, dyad, by, SEED, 10, &|_| {}).unwrap_err();

    let err = go(&["provocations", "fear"]);
    assert!(matches!(err, AttributionError::UnknownMechanism { .. }));
    let text = err.to_string();
    assert!(text.contains("`fear`"), "{text}");
    for name in Mechanisms::NAMES {
        assert!(text.contains(name), "the error lists the valid names: {text}");
    }
    assert!(matches!(go(&[]), AttributionError::NoMechanisms { .. }));
    assert!(matches!(
        go(&["greed", "events", "greed"]),
        AttributionError::DuplicateMechanism { name } if name == "greed"
    ));
    assert!(matches!(
        go(&Mechanisms::NAMES),
        AttributionError::TooManyMechanisms { count } if count == Mechanisms::NAMES.len()
    ));
    assert!(check_mechanisms(&Mechanisms::NAMES[..MAX_MECHANISMS]).is_ok());
    let err = attribute(&sc, &["greed"], (dyad.0, dyad.0), by, SEED, 10, &|_| {}).unwrap_err();
    assert!(matches!(err, AttributionError::Dyad(_)));
    let err = attribute(&sc, &["greed"], dyad, by, SEED, 0, &|_| {}).unwrap_err();
    assert_eq!(err, AttributionError::NoRuns);
}
