//! Events that react to the run (model 2, part 2): conditions, their firing rule, `Set`,
//! `EndTie` and `Rename`, and the refusal of bad conditions.

use std::fs;

use jinsong::engine::outcome::NEVER;
use jinsong::engine::{conditional_hazard, simulate, Happening, Observer, Silent, Workspace};
use jinsong::model::{DyadStatus, Model};
use jinsong::scenario::{LoadedScenario, Scenario};
use jinsong::stats::{wilson, Z99};

use crate::common::{jinsong, load, ok, set, text};

fn baseline_text() -> String {
    fs::read_to_string(crate::common::baseline_path()).expect("the baseline reads")
}

/// The baseline's text with `events` (RON items) added at the end of its event list.
fn baseline_text_with(events: &str) -> String {
    let text = baseline_text();
    let at = text
        .rfind("    ],\n)")
        .expect("the baseline ends with its events");
    let mut out = text.clone();
    out.insert_str(at, events);
    out
}

/// The baseline with `events` (RON items) added at the end of its event list.
fn baseline_with(events: &str) -> Scenario {
    load("baseline_with.ron", &baseline_text_with(events))
}

/// Assert that the monthly counts `open` (which must hold all `total` firings) are uniform:
/// their chi-square is below `critical` (the 99.9% quantile for `open.len() − 1` degrees of
/// freedom).
fn assert_uniform(open: &[u64], total: u64, critical: f64, months: &[u64]) {
    assert_eq!(
        open.iter().sum::<u64>(),
        total,
        "fired outside the months it may: {months:?}"
    );
    let expected = total as f64 / open.len() as f64;
    let chi2: f64 = open
        .iter()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum();
    assert!(chi2 < critical, "chi-square {chi2:.1} over {open:?}");
}

/// Watches one pair's status at each month's end, and the months scripted events fired.
struct Watch {
    dyad: usize,
    /// Status of the pair at the end of each month.
    status: Vec<DyadStatus>,
    /// Month each event fired in, by event index.
    fired: Vec<u32>,
}

impl Observer for Watch {
    fn happening(&mut self, t: u32, what: Happening) {
        if let Happening::Event { event } = what {
            self.fired[event] = t;
        }
    }
    fn month_end(&mut self, _t: u32, ws: &Workspace) {
        self.status.push(ws.status(self.dyad));
    }
}

/// An event conditioned on Jin and Song having been at war for at least 2 months fires only in
/// runs, and months, where that held, read independently from the states the months left.
#[test]
fn a_conditional_event_fires_only_where_its_condition_held() {
    let sc = baseline_with(
        "        (id: \"watched\", from: \"1124-01\", to: \"1132-12\", probability: 0.7,
         when: Status(a: \"jin\", b: \"song\", is: War, after: 2),
         effects: [Fear(of: \"jin\", toward: \"song\", amount: 0.0)]),\n",
    );
    let m = Model::compile(&sc);
    let e = m
        .events
        .iter()
        .position(|e| e.id == "watched")
        .expect("the event");
    let (jin, song) = (0, 1);
    let dyad = m.dyad_of[jin * m.n + song];
    let first = sc.start.months_until("1124-01".parse().expect("a month")) as u32;
    let last = sc.start.months_until("1132-12".parse().expect("a month")) as u32;
    let mut ws = Workspace::new(&m);
    let (mut held_runs, mut fired_runs, mut wrong) = (0u64, 0u64, 0u64);
    let runs = 3000;
    for run in 0..runs {
        let mut w = Watch {
            dyad,
            status: Vec::new(),
            fired: vec![NEVER; m.events.len()],
        };
        simulate(&m, 2026, run, &mut ws, &mut w);
        // The month the present war began: the first month of a run of `War` ends.
        let holds = |t: u32| -> bool {
            if t == 0 {
                return false;
            }
            let at = |k: u32| matches!(w.status[k as usize], DyadStatus::War { .. });
            let mut began = t - 1;
            if !at(began) {
                return false;
            }
            while began > 0 && at(began - 1) {
                began -= 1;
            }
            // Status from `began + 1`; after 2 months: from `began + 3`.
            t >= began + 3
        };
        let held = (first..=last).any(|t| holds(t) && (w.fired[e] == NEVER || t <= w.fired[e]));
        held_runs += u64::from(held);
        if w.fired[e] != NEVER {
            fired_runs += 1;
            if !holds(w.fired[e]) {
                wrong += 1;
            }
        }
    }
    assert_eq!(wrong, 0, "fired where its condition did not hold");
    assert!(fired_runs <= held_runs);
    assert!(fired_runs > 300, "fired in {fired_runs} of {runs} runs");
    assert!(
        held_runs > fired_runs,
        "it never failed to fire ({held_runs} held)"
    );
    eprintln!("condition held in {held_runs} of {runs} runs, the event fired in {fired_runs}");
}

/// A two-polity scenario where event `a` happens in 1100-06 with probability 1/2, and `b`,
/// conditioned on `a`, may fire from 1100-07 to 1101-12 with probability `p`.
fn chained(p: f64) -> Scenario {
    load(
        "chained.ron",
        &format!(
            "(name: \"chained\", start: \"1100-01\", end: \"1102-12\",
              polities: [
                (id: \"x\", name: \"X\", strength: 1.0, potential: 1.0, mobilization_lag: 1.0, fear_gain: 0.1, fear_decay: 0.1),
                (id: \"y\", name: \"Y\", strength: 1.0, potential: 1.0, mobilization_lag: 1.0, fear_gain: 0.1, fear_decay: 0.1),
              ],
              events: [
                (id: \"a\", from: \"1100-06\", probability: 0.5, effects: [Fear(of: \"x\", toward: \"y\", amount: 0.1)]),
                (id: \"b\", from: \"1100-01\", to: \"1101-12\", probability: {p:?},
                 when: Fired(event: \"a\"),
                 effects: [Fear(of: \"y\", toward: \"x\", amount: 0.1)]),
              ])"
        ),
    )
}

/// Counts, over `runs` runs, the runs where `a` fired, where `b` fired, where `b` fired without
/// `a`, and `b`'s months.
fn chain_counts(m: &Model, runs: u64) -> (u64, u64, u64, Vec<u64>) {
    let mut ws = Workspace::new(m);
    let (mut a, mut b, mut b_alone) = (0, 0, 0);
    let mut months = vec![0u64; m.months as usize];
    for run in 0..runs {
        let mut w = Watch {
            dyad: 0,
            status: Vec::new(),
            fired: vec![NEVER; 2],
        };
        simulate(m, 431, run, &mut ws, &mut w);
        a += u64::from(w.fired[0] != NEVER);
        if w.fired[1] != NEVER {
            b += 1;
            b_alone += u64::from(w.fired[0] == NEVER);
            months[w.fired[1] as usize] += 1;
        }
    }
    (a, b, b_alone, months)
}

/// `b` fires only in runs where `a` fired; its month is uniform over the 18 months where it may
/// fire (1100-07 ..= 1101-12, from the month after `a`). The test: a chi-square of the 18
/// monthly counts below 40.8, its 99.9% quantile with 17 degrees of freedom; no month outside.
/// With `p` = 0.6 it fires in a share of the runs with `a` inside the 99% Wilson interval of 0.6.
#[test]
fn its_month_is_uniform_over_the_months_where_it_may_fire() {
    let m = Model::compile(&chained(1.0));
    let runs = 20_000;
    let (a, b, alone, months) = chain_counts(&m, runs);
    assert_eq!(alone, 0, "b fired without a");
    assert_eq!(a, b, "with probability 1, b fires in every run with a");
    assert_uniform(&months[6..24], b, 40.8, &months);

    let m = Model::compile(&chained(0.6));
    let (a, b, alone, _) = chain_counts(&m, runs);
    assert_eq!(alone, 0);
    let (lo, hi) = wilson(b, a, Z99);
    assert!((lo..=hi).contains(&0.6), "{b} of {a}: [{lo}, {hi}]");

    // `within: 3`: the window closes 3 months after it opened; uniform over 1100-07 ..= 1100-09
    // (chi-square below 13.8, the 99.9% quantile with 2 degrees of freedom).
    let mut sc = chained(1.0);
    sc.events[1].within = Some(3);
    let m = Model::compile(&sc);
    let (a, b, alone, months) = chain_counts(&m, runs);
    assert_eq!((alone, a), (0, b));
    assert_uniform(&months[6..9], b, 13.8, &months);
}

/// Each month in which the condition holds carries the chance `p / L`, however the months in
/// which it holds are spread: the exact product of the hazards, for a few patterns.
#[test]
fn the_conditional_hazard_gives_each_month_the_same_chance() {
    for p in [0.3, 0.9, 1.0] {
        for len in [1i64, 5, 24] {
            let mut survive = 1.0;
            for held in 0..len as u32 {
                let h = conditional_hazard(p, len, held);
                let chance = survive * h;
                assert!(
                    (chance - p / len as f64).abs() < 1e-12,
                    "p {p} L {len} month {held}: {chance}"
                );
                survive *= 1.0 - h;
            }
            assert!((survive - (1.0 - p)).abs() < 1e-12);
        }
    }
}

/// The outcome and draws of runs `0..runs` of `m`.
fn outcomes(m: &Model, runs: u64) -> Vec<String> {
    let mut ws = Workspace::new(m);
    (0..runs)
        .map(|run| {
            let words = simulate(m, 77, run, &mut ws, &mut Silent);
            format!(
                "{words} {:?} {:?} {:?}",
                ws.outcome.record, ws.outcome.dyads, ws.outcome.ceased
            )
        })
        .collect()
}

/// `Set(path, value)` in the first month equals `--set path=value` on common random numbers,
/// run for run (the same record, draws and pair outcomes), for parameters and for numbers of
/// the state at `start`; the same scenario without the `Set` differs.
#[test]
fn set_equals_the_same_set_from_that_month_on() {
    let cases = [
        ("relations.song.jin.provocation_rate", "0.2"),
        ("polities.jin.war_propensity", "0.4"),
        ("polities.jin.talk_propensity", "0.9"),
        ("rules.talks_success", "0.3"),
        ("polities.jin.reaction_delay", "3"),
        ("relations.jin.song.trust", "0.9"),
        ("relations.jin.song.strength_bias", "2.5"),
        ("relations.song.jin.contact", "0.6"),
        ("polities.song.strength", "1.4"),
        ("polities.jin.mobilization", "0.1"),
        ("polities.jin.stability", "0.3"),
        ("events.baigou.probability", "0.1"),
    ];
    for (path, value) in cases {
        let with_set = baseline_with(&format!(
            "        (id: \"policy\", from: \"1115-01\", effects: [Set(path: \"{path}\", value: {value})]),\n"
        ));
        let noop = "        (id: \"policy\", from: \"1115-01\", effects: [Fear(of: \"jin\", toward: \"song\", amount: 0.0)]),\n";
        let with_override = set(&baseline_with(noop), path, value);
        let a = outcomes(&Model::compile(&with_set), 300);
        let b = outcomes(&Model::compile(&with_override), 300);
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(same == 300, "{path}={value}: {} of 300 runs differ", 300 - same);
        let c = outcomes(&Model::compile(&baseline_with(noop)), 300);
        assert!(a != c, "{path}={value} changed nothing");
    }
}

/// Watches every pair's fear and trust at each month's end.
#[derive(Default)]
struct States(Vec<String>);

impl Observer for States {
    fn month_end(&mut self, _t: u32, ws: &Workspace) {
        let n = ws.polities();
        let mut s = String::new();
        for i in 0..n {
            for j in 0..n {
                s.push_str(&format!(
                    "{} {} {} ",
                    ws.fear(i, j),
                    ws.trust(i, j),
                    ws.mobilization(i)
                ));
            }
        }
        self.0.push(s);
    }
}

/// A `Set` in 1122-01 leaves every month before it as it was, and changes the months after it
/// (in some runs).
#[test]
fn set_changes_nothing_before_its_month() {
    let at = |effect: &str| {
        baseline_with(&format!(
            "        (id: \"policy\", from: \"1122-01\", effects: [{effect}]),\n"
        ))
    };
    let a = Model::compile(&at("Set(path: \"polities.jin.fear_gain\", value: 0.9)"));
    let b = Model::compile(&at("Fear(of: \"jin\", toward: \"song\", amount: 0.0)"));
    let t0 = 7 * 12;
    let (mut ws_a, mut ws_b) = (Workspace::new(&a), Workspace::new(&b));
    let mut later_differ = 0;
    for run in 0..50 {
        let (mut sa, mut sb) = (States::default(), States::default());
        simulate(&a, 5, run, &mut ws_a, &mut sa);
        simulate(&b, 5, run, &mut ws_b, &mut sb);
        assert_eq!(sa.0[..t0], sb.0[..t0], "run {run} differs before 1122-01");
        later_differ += usize::from(sa.0[t0..] != sb.0[t0..]);
    }
    assert_eq!(later_differ, 50, "a fear gain of 0.9 from 1122 changed no run");
}

/// `EndTie` ends an alliance (recorded as a tie dissolved), `Rename` renames a polity in the
/// chronicle, and the chronicle says why a conditional event fired.
#[test]
fn end_tie_rename_and_the_chronicle_say_what_happened() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let text = baseline_text();
    let at = text.rfind("    ],\n)").expect("the events end");
    let mut out = text.clone();
    out.insert_str(
        at,
        "        (id: \"split\", text: \"Xi Xia turns from the Liao\", from: \"1115-03\",
         effects: [EndTie(a: \"xixia\", b: \"liao\")]),
        (id: \"southern\", text: \"The court moves south\", from: \"1115-03\", to: \"1142-12\",
         when: Fired(event: \"split\", after: 1),
         effects: [Rename(polity: \"song\", name: \"Southern Song\")]),\n",
    );
    let file = dir.path().join("reacting.ron");
    fs::write(&file, out).expect("written");
    let f = file.to_str().expect("a path");
    let checked = text_of(&ok(dir.path(), &["check", f]).stdout);
    assert!(
        checked.contains("when event `split` has happened at least 1 month ago"),
        "{checked}"
    );
    assert!(checked.contains("renames song to \"Southern Song\""), "{checked}");
    assert!(checked.contains("ends the tie of xixia and liao"), "{checked}");
    ok(
        dir.path(),
        &["trace", f, "--run", "3", "--out", "t", "--no-charts"],
    );
    let traced = fs::read_to_string(dir.path().join("t").join("chronicle.txt")).expect("the chronicle");
    assert!(
        traced.contains("1115-03 Xi Xia turns from the Liao: the tie between Xi Xia and Liao remnants ends"),
        "{traced}"
    );
    assert!(
        traced.contains("The court moves south (its condition held: event `split` has happened at least 1 month ago): Northern Song is called Southern Song from now on"),
        "{traced}"
    );
    let later: Vec<&str> = traced.lines().filter(|l| l.contains("Song")).collect();
    let renamed = later
        .iter()
        .position(|l| l.contains("is called Southern Song"))
        .expect("renamed");
    assert!(
        later[renamed + 1..].iter().all(|l| !l.contains("Northern Song")),
        "the old name after the rename: {later:?}"
    );
}

fn text_of(bytes: &[u8]) -> String {
    text(bytes)
}

/// A bad condition or `Set` is refused before any run: `file:line:col`, the field path, a
/// non-zero exit and nothing written.
#[test]
fn bad_conditions_and_sets_are_refused_with_their_place() {
    let cases: [(&str, &str); 10] = [
        (
            "when: Status(a: \"jin\", b: \"sung\", is: War)",
            "unknown polity id `sung`",
        ),
        ("when: Fired(event: \"nowhere\")", "unknown event id `nowhere`"),
        ("when: Fired(event: \"bad\")", "conditioned on its own firing"),
        (
            "when: Status(a: \"jin\", b: \"jin\", is: Peace)",
            "a condition on the pair of `jin` with itself",
        ),
        (
            "when: Status(a: \"jin\", b: \"song\", is: Vassal, lord: Some(\"koryo\"))",
            "lord `koryo` must be `jin` or `song`",
        ),
        (
            "when: All([Ended(polity: \"liao\"), Balance(favour: \"jin\", against: \"song\", at_least: 1.5)])",
            "1.5 is out of range (allowed: -1 ..= 1)",
        ),
        (
            "effects: [Set(path: \"polities.song.nonsense\", value: 1.0)], when: None",
            "polities.song.nonsense",
        ),
        (
            "effects: [Set(path: \"polities.song.join_propensity\", value: 1.5)], when: None",
            "polities.song.join_propensity: 1.5 is out of range",
        ),
        (
            "effects: [Set(path: \"mechanisms.greed\", value: 0.0)], when: None",
            "cannot be set during a run",
        ),
        (
            "effects: [Set(path: \"polities.jin.conquerable\", value: 1.0)], when: None",
            "is a switch, not a number",
        ),
    ];
    let dir = tempfile::tempdir().expect("a temp dir");
    let text = baseline_text();
    let at = text.rfind("    ],\n)").expect("the events end");
    for (k, (part, needle)) in cases.iter().enumerate() {
        let body = if part.starts_with("effects") {
            part.to_string()
        } else {
            format!("effects: [], {part}")
        };
        let mut out = text.clone();
        out.insert_str(
            at,
            &format!("        (id: \"bad\", from: \"1120-01\",\n         {body}),\n"),
        );
        let file = dir.path().join(format!("bad{k}.ron"));
        fs::write(&file, &out).expect("written");
        let line = out[..at].lines().count() + 2;
        let o = jinsong(dir.path(), &["run", file.to_str().expect("a path"), "--out", "o"]);
        let err = text_of(&o.stderr);
        assert_ne!(o.status.code(), Some(0), "case {k} accepted");
        assert!(err.contains(needle), "case {k}: missing `{needle}` in:\n{err}");
        assert!(
            err.contains(&format!("bad{k}.ron:{line}:")),
            "case {k}: not at line {line}:\n{err}"
        );
        assert!(err.contains("events.bad."), "case {k}: no field path:\n{err}");
        assert!(!dir.path().join("o").exists(), "case {k}: something was written");
    }

    // Two events waiting for each other.
    let mut out = text.clone();
    out.insert_str(
        at,
        "        (id: \"first\", from: \"1120-01\", to: \"1121-01\", when: Fired(event: \"second\"), effects: []),
        (id: \"second\", from: \"1120-01\", to: \"1121-01\", when: Any([Fired(event: \"first\")]), effects: []),\n",
    );
    let file = dir.path().join("cycle.ron");
    fs::write(&file, &out).expect("written");
    let o = jinsong(dir.path(), &["check", file.to_str().expect("a path")]);
    let err = text_of(&o.stderr);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        err.contains("events.first.when: events conditioned on each other in a cycle (first waits for second waits for first)"),
        "{err}"
    );
}

/// docs/model.md §9 states the baseline's draws (16 events, 96 uniforms a month; 16,138 words per run: 10 for the header, 48 a
/// month for 336 months) and §3.1 the copies of the model its `Set` effects make (2 · 2 · 2 · 3
/// combinations: three paths set by one event each, Jin's status rigidity by two): they must stay
/// what the engine does.
#[test]
fn the_baseline_draws_and_copies_what_the_docs_say() {
    let sc = LoadedScenario::baseline().expect("the baseline loads").scenario;
    let m = Model::compile(&sc);
    assert_eq!(m.schedule.words_per_month(), 48);
    assert_eq!(m.words_per_run(), 16_138);
    assert_eq!(m.variants.len() + 1, 24);
    let docs = fs::read_to_string(crate::common::root().join("docs/model.md")).expect("model.md");
    assert!(docs.contains("**16,138 words per run** (10 + 48 · 336;"));
    assert_eq!(m.events.len(), 16);
    assert!(docs.contains("5 polities and 16 events, N = 20, D = 10, U = 60 + 20 + 16 = 96"));
}

/// The baseline with `events` added and `sets` applied, validated: the error, if any, within a
/// second (measured here).
fn checked_with(events: &str, sets: &[&str]) -> Result<(), String> {
    let out = baseline_text_with(events);
    let started = std::time::Instant::now();
    let result = LoadedScenario::parse("x.ron", &out).and_then(|mut l| {
        let o: Vec<jinsong::scenario::Override> =
            sets.iter().map(|s| s.parse().expect("an override")).collect();
        l.apply_overrides(&o)?;
        l.validate()
    });
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(1), "checked in {took:?}");
    result.map_err(|e| e.to_string())
}

/// A rule that ties two numbers (junior status no milder than a cession) is checked for every
/// value each can take in a run, together: a prior's support, the fixed value, and every value
/// a `Set` gives. A prior on `terms_cession` with a `Set` of `terms_junior` below its top was
/// accepted (only the fixed value was refused), and so was a `Set` of `terms_cession` above
/// the fixed `terms_junior`.
#[test]
fn rules_that_tie_two_numbers_hold_for_every_prior_and_set_value_together() {
    let set_junior = "        (id: \"harsh\", from: \"1125-01\", effects: [Set(path: \"rules.terms_junior\", value: 0.5)]),\n";
    let e = checked_with(set_junior, &["rules.terms_cession=Uniform(0.2, 0.6)"]).expect_err("accepted");
    assert!(
        e.contains("rules.terms_junior")
            && e.contains("a Set by event `harsh` to 0.5")
            && e.contains("Uniform(0.2, 0.6)"),
        "{e}"
    );
    // Below the Set's value, the same prior is taken.
    checked_with(
        set_junior,
        &["rules.terms_cession=Uniform(0.2, 0.4)", "rules.terms_junior=0.6"],
    )
    .expect("taken");
    let set_cession = "        (id: \"mild\", from: \"1125-01\", effects: [Set(path: \"rules.terms_cession\", value: 0.99)]),\n";
    let e = checked_with(set_cession, &["rules.terms_junior=0.9"]).expect_err("accepted");
    assert!(e.contains("a Set by event `mild` to 0.99"), "{e}");
    // Two priors whose supports overlap, and a prior with the fixed value.
    let e = checked_with(
        "",
        &[
            "rules.terms_cession=Uniform(0.2, 0.6)",
            "rules.terms_junior=Uniform(0.5, 0.9)",
        ],
    )
    .expect_err("accepted");
    assert!(
        e.contains("rules.terms_junior 0.5 below rules.terms_cession 0.6"),
        "{e}"
    );
    let e = checked_with(
        "",
        &["rules.terms_junior=0.5", "rules.terms_cession=Normal(0.4, 0.1)"],
    )
    .expect_err("accepted");
    assert!(e.contains("its prior Normal(0.4, 0.1)"), "{e}");
}

/// Only events that wait on each other so that none can fire are refused: a `Fired` inside an
/// `Any` with an alternative is no deadlock (`a = Any([Fired(b), Ended(liao)])`, `b = Fired(a)`
/// was refused as a cycle), while every alternative waiting on the other is.
#[test]
fn only_conditions_that_can_deadlock_are_refused() {
    let acyclic = "        (id: \"a\", from: \"1120-01\", to: \"1130-01\", when: Any([Fired(event: \"b\"), Ended(polity: \"liao\")]), effects: []),
        (id: \"b\", from: \"1120-01\", to: \"1130-01\", when: Fired(event: \"a\"), effects: []),\n";
    checked_with(acyclic, &[]).expect("an acyclic pair is taken");
    let both = "        (id: \"a\", from: \"1120-01\", to: \"1130-01\", when: Any([Fired(event: \"b\"), Fired(event: \"c\")]), effects: []),
        (id: \"b\", from: \"1120-01\", to: \"1130-01\", when: Fired(event: \"a\"), effects: []),
        (id: \"c\", from: \"1120-01\", to: \"1130-01\", when: All([Fired(event: \"a\"), Ended(polity: \"liao\")]), effects: []),\n";
    let e = checked_with(both, &[]).expect_err("a deadlock was taken");
    assert!(e.contains("in a cycle (a waits for b waits for a)"), "{e}");
    // `Not(Fired(x))` waits for nothing; an `Any` on itself with an alternative fires.
    let free = "        (id: \"a\", from: \"1120-01\", to: \"1130-01\", when: Not(Fired(event: \"b\")), effects: []),
        (id: \"b\", from: \"1120-01\", to: \"1130-01\", when: Any([Fired(event: \"a\"), Fired(event: \"b\")]), effects: []),\n";
    checked_with(free, &[]).expect("taken");
    let own = "        (id: \"a\", from: \"1120-01\", to: \"1130-01\", when: All([Fired(event: \"a\"), Ended(polity: \"liao\")]), effects: []),\n";
    let e = checked_with(own, &[]).expect_err("taken");
    assert!(e.contains("conditioned on its own firing"), "{e}");
}

/// A `Rename` may not give a polity another polity's name or id ("Jin seeks talks with Jin"),
/// in any case; nor may two polities be renamed to one name.
#[test]
fn a_rename_to_another_politys_name_is_refused() {
    for name in ["Jin", "jin", " JIN ", "Koryo", "xixia"] {
        let ev = format!("        (id: \"r\", from: \"1130-01\", effects: [Rename(polity: \"song\", name: \"{name}\")]),\n");
        let e = checked_with(&ev, &[]).expect_err(name);
        assert!(e.contains("is already a name of polity"), "{name}: {e}");
    }
    let twice = "        (id: \"r\", from: \"1130-01\", effects: [Rename(polity: \"koryo\", name: \"Great Koryo\"), Rename(polity: \"xixia\", name: \"Great Koryo\")]),\n";
    assert!(checked_with(twice, &[]).is_err());
    let fresh = "        (id: \"r\", from: \"1130-01\", effects: [Rename(polity: \"song\", name: \"Song\"), Rename(polity: \"koryo\", name: \"Koryo\")]),\n";
    checked_with(fresh, &[]).expect("a polity may take its own name again");
}
