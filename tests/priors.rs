//! Judgements as distributions: priors in scenarios, drawn per run on common random numbers,
//! written into the model exactly as `compile` writes a fixed value.

use jinsong::engine::{simulate, Silent, Workspace};
use jinsong::model::prior::{patch_all, target_of};
use jinsong::model::Model;
use jinsong::scenario::{field_range, leaf_paths, validate, LoadedScenario, Scenario, BASELINE_RON};

use crate::common::{load, set};

fn baseline() -> Scenario {
    load("baseline", BASELINE_RON)
}

/// Every path a prior may stand for in `sc`, with two values inside its range.
fn prior_paths(sc: &Scenario) -> Vec<(String, [f64; 2])> {
    // Every real number that --set reaches takes a prior and has a setter: a new field of the
    // schema fails here until it is given one (or is a whole number or a switch).
    let whole = ["seed", "runs", "warmup", "rules.truce_months"];
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
    let text = BASELINE_RON.replacen("greed: 0.004", "greed: Uniform(0.0, 0.01)", 1);
    assert_ne!(text, BASELINE_RON, "the baseline gives Jin a greed of 0.004");
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
    let out = refused(&BASELINE_RON.replacen("greed: 0.004", "greed: Uniform(0.0, 2.0)", 1));
    assert!(
        out.starts_with("bad.ron:") && out.contains("polities.jin.greed"),
        "{out}"
    );
    assert!(
        out.contains("outside the field's range (allowed: 0 ..= 1"),
        "{out}"
    );
    let out = refused(&BASELINE_RON.replacen("greed: 0.004", "greed: Uniform(0.5, 0.1)", 1));
    assert!(out.contains("lo < hi"), "{out}");
    let out = refused(&BASELINE_RON.replacen("greed: 0.004", "greed: Uniform(0.5)", 1));
    assert!(out.contains("not a distribution"), "{out}");
    let out = refused(&BASELINE_RON.replacen("truce_months: 36", "truce_months: Choice([24, 36])", 1));
    assert!(out.contains("whole number"), "{out}");
}
