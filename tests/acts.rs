//! Hostile acts before a first onset, the agents' own and the scripted counted apart.
//!
//! - on a hand-made toy (`tests/data/acts.ron`) whose acts are known month by month, every count
//!   is exact: the outcome of each run, the tally, `summary.json`'s fields, `trace`'s
//!   `outcome.json`, `attribute`'s `provoked_first`, and `ActsExceed` with `acts: All`,
//!   `Agents` and `Scripted`;
//! - two variants where the scripted acts alone decide who provoked first, one each way;
//! - on the baseline, the counts with every act are recomputed from the acts the engine reports
//!   to an observer, as the count before the split defined them (months with any act);
//! - a tally whose split does not add up is refused, and so is a bad `acts` in a pattern.

use jinsong::batch::fold::Batch;
use jinsong::batch::tally::Tally;
use jinsong::engine::chronicle::TracedOutcome;
use jinsong::engine::outcome::{Acts, NEVER};
use jinsong::engine::{simulate, Happening, Observer, Silent, Workspace, ACTS_WINDOW_MONTHS};
use jinsong::model::Model;
use jinsong::patterns::{CompiledPatterns, PatternSet};
use jinsong::scenario::LoadedScenario;
use jinsong::study::attribute::attribute;
use jinsong::study::run::Summary;

use crate::common::{baseline_path, load, root};

const SEED: u64 = 1;
const RUNS: u64 = 40;
/// The toy's onset month, 1204-01, as an offset from 1200-01.
const ONSET: u32 = 48;

fn toy_text() -> String {
    std::fs::read_to_string(root().join("tests/data/acts.ron")).unwrap()
}

fn model_of(text: &str) -> Model {
    Model::compile(&load("acts.ron", text))
}

/// Alpha without acts of its own: its only act is the scripted one of 1203-05, against
/// Beta's two scripted acts in the window.
fn scripted_decide(text: &str) -> String {
    text.replacen("provocation_rate: 1.0", "provocation_rate: 0.0", 1)
}

/// Alpha without acts of its own, and with three scripted acts in the window (1202-09, 1203-05,
/// 1203-07); Beta acts on its own from 1203-12 on (1203-12 and the onset month), and has no
/// scripted act in the window.
fn scripted_take_away(text: &str) -> String {
    scripted_decide(text)
        .replace(
            r#"effects: [HostileAct(actor: "b", victim: "a", severity: 4.0)]"#,
            r#"effects: [HostileAct(actor: "a", victim: "b", severity: 4.0)]"#,
        )
        .replace(
            r#"from: "1203-07",
         effects: [HostileAct(actor: "b", victim: "a")]"#,
            r#"from: "1203-07",
         effects: [HostileAct(actor: "a", victim: "b")]"#,
        )
        .replace(
            r#"effects: [Set(path: "polities.a.greed", value: 1.0)]),"#,
            r#"effects: [Set(path: "polities.a.greed", value: 1.0)]),
        (id: "beta_turns", text: "Beta begins affronts of its own", from: "1203-12",
         effects: [Set(path: "relations.b.a.provocation_rate", value: 1.0)]),"#,
        )
}

/// Expected months with acts in the 36 months up to the onset, `[kind][side]` with kinds in the
/// order `All`, `Agents`, `Scripted` and side 0 = Alpha.
type Months = [[u32; 2]; 3];

/// Every run of `model` has its first onset at [`ONSET`], begun by Alpha, with the acts
/// `months` before it and `in_run` over the run (`[kind][side]`, kinds as in [`Months`]).
fn check_runs(model: &Model, months: Months, in_run: Months) {
    let mut ws = Workspace::new(model);
    for r in 0..RUNS {
        simulate(model, SEED, r, &mut ws, &mut Silent);
        let o = &ws.outcome.dyads[0];
        assert_eq!((o.first_onset, o.initiator), (ONSET, 0), "run {r}");
        for (k, acts) in Acts::EVERY.into_iter().enumerate() {
            for side in 0..2 {
                assert_eq!(
                    o.acts_before_onset(side, acts, ACTS_WINDOW_MONTHS),
                    months[k][side],
                    "run {r}, {acts:?}, side {side}"
                );
                assert_eq!(
                    o.acts_in_run(side, acts),
                    in_run[k][side],
                    "run {r}, {acts:?}, side {side}"
                );
            }
        }
    }
}

fn tally(model: &Model) -> Tally {
    Batch {
        model,
        seed: SEED,
        first_run: 0,
        runs: RUNS,
    }
    .run(&|_| {})
}

fn patterns(model: &Model) -> CompiledPatterns {
    let text = r#"(patterns: [
        (name: "b_all", rule: ActsExceed(a: "a", b: "b", actor: "b", months: 36)),
        (name: "b_all_written", rule: ActsExceed(a: "a", b: "b", actor: "b", months: 36, acts: All)),
        (name: "b_agents", rule: ActsExceed(a: "a", b: "b", actor: "b", months: 36, acts: Agents)),
        (name: "b_scripted", rule: ActsExceed(a: "b", b: "a", actor: "b", months: 36, acts: Scripted)),
        (name: "a_all", rule: ActsExceed(a: "a", b: "b", actor: "a", months: 36)),
        (name: "a_agents", rule: ActsExceed(a: "a", b: "b", actor: "a", months: 36, acts: Agents)),
        (name: "b_scripted_64", rule: ActsExceed(a: "a", b: "b", actor: "b", months: 64, acts: Scripted)),
    ])"#;
    PatternSet::parse("acts_patterns.ron", text)
        .unwrap_or_else(|e| panic!("{e}"))
        .compile("acts_patterns.ron", model)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The patterns of [`patterns`] that the first run of `model` matches, by name.
fn matched(model: &Model) -> Vec<String> {
    let p = patterns(model);
    let mut tracker = p.tracker();
    let mut ws = Workspace::new(model);
    simulate(model, SEED, 0, &mut ws, &mut tracker);
    let bits = tracker.matches(&ws.outcome);
    p.names()
        .into_iter()
        .enumerate()
        .filter(|(k, _)| bits >> k & 1 == 1)
        .map(|(_, n)| n)
        .collect()
}

fn means(v: [u32; 2]) -> [f64; 2] {
    v.map(f64::from)
}

/// The summary's per-side means, Alpha first.
fn sides(m: &std::collections::BTreeMap<String, f64>) -> [f64; 2] {
    [m["a"], m["b"]]
}

#[test]
fn agents_and_scripted_acts_are_counted_apart_in_closed_form() {
    let model = model_of(&toy_text());
    // Alpha: its own act every month 0 ..= 48 (36 of them in the window 13 ..= 48) and one
    // scripted act in 1203-05 (offset 40), a month with its own act too, so that month counts
    // once among all acts. Beta: scripted acts at offsets 10 (outside), 32 and 42.
    let months: Months = [[36, 2], [36, 0], [1, 2]];
    let in_run: Months = [[50, 3], [49, 0], [1, 3]];
    check_runs(&model, months, in_run);

    let t = tally(&model);
    let d = &t.dyads[0];
    assert_eq!(d.war_runs, RUNS);
    assert_eq!(d.acts_before_onset, [36 * RUNS, 2 * RUNS]);
    assert_eq!(d.agent_acts_before_onset, [36 * RUNS, 0]);
    assert_eq!(d.scripted_acts_before_onset, [RUNS, 2 * RUNS]);
    assert_eq!(d.acts, [50 * RUNS, 3 * RUNS]);
    assert_eq!(d.scripted_acts, [RUNS, 3 * RUNS]);
    assert_eq!((d.provoked_first, d.provoked_first_agents), (0, 0));
    assert_eq!(d.provoked_first_by_scripted, [0, 0]);
    t.verify(&model, RUNS).unwrap();

    let s = Summary::new(&model, SEED, &t);
    let ds = &s.dyads[0];
    assert_eq!(sides(&ds.hostile_acts_before_onset), means(months[0]));
    assert_eq!(sides(&ds.agent_acts_before_onset), means(months[1]));
    assert_eq!(sides(&ds.scripted_acts_before_onset), means(months[2]));
    assert_eq!(sides(&ds.hostile_acts_per_run), means(in_run[0]));
    assert_eq!(sides(&ds.scripted_acts_per_run), means(in_run[2]));

    let mut ws = Workspace::new(&model);
    simulate(&model, SEED, 0, &mut ws, &mut Silent);
    let traced = TracedOutcome::new(&model, SEED, 0, &ws.outcome);
    let td = &traced.dyads[0];
    assert_eq!(
        [
            td.acts_before_onset,
            td.agent_acts_before_onset,
            td.scripted_acts_before_onset
        ],
        months
    );

    // Beta's scripted acts outnumber Alpha's (2 to 1) though all and its own acts do not; with
    // 64 months Beta's act of offset 10 counts too.
    assert_eq!(
        matched(&model),
        ["b_scripted", "a_all", "a_agents", "b_scripted_64"]
    );
}

#[test]
fn scripted_acts_alone_decide_who_provoked_first() {
    let model = model_of(&scripted_decide(&toy_text()));
    // Alpha: only its scripted act (offset 40); Beta: its scripted acts at 32 and 42.
    let months: Months = [[1, 2], [0, 0], [1, 2]];
    let in_run: Months = [[1, 3], [0, 0], [1, 3]];
    check_runs(&model, months, in_run);

    let t = tally(&model);
    let d = &t.dyads[0];
    assert_eq!(
        d.provoked_first, RUNS,
        "with all acts Beta provoked first (2 months to 1)"
    );
    assert_eq!(
        d.provoked_first_agents, 0,
        "with the agents' own acts neither did (0 to 0)"
    );
    assert_eq!(d.provoked_first_by_scripted, [RUNS, 0]);
    t.verify(&model, RUNS).unwrap();

    let s = Summary::new(&model, SEED, &t);
    let ds = &s.dyads[0];
    assert_eq!((ds.provoked_first, ds.provoked_first_agents), (RUNS, 0));
    assert_eq!(ds.provoked_first_by_scripted["provoked"], RUNS);
    assert_eq!(ds.provoked_first_by_scripted["not_provoked"], 0);
    let table = s.table();
    assert!(
        table.contains(&format!(
            "provoked first a–b: {RUNS} of {RUNS} onsets (100.0%) with all acts, 0 (0.0%) with the agents' own only; scripted acts alone decide {RUNS} provoked, 0 not"
        )),
        "{table}"
    );
    let json = s.to_json();
    assert!(json.contains("\"provoked_first_agents\": 0,"), "{json}");

    assert_eq!(
        matched(&model),
        ["b_all", "b_all_written", "b_scripted", "b_scripted_64"]
    );

    // `attribute` counts the all-on runs the same way.
    let sc = load("acts.ron", &scripted_decide(&toy_text()));
    let a = attribute(&sc, &["events"], (0, 1), ONSET, SEED, RUNS, &|_| {}).unwrap();
    let pf = &a.provoked_first;
    assert_eq!((pf.onsets, pf.count), (RUNS, RUNS));
    let agents = pf.agents.as_ref().unwrap();
    assert_eq!(agents.count, 0);
    assert_eq!(agents.by_scripted["provoked"], RUNS);
    assert_eq!(agents.by_scripted["not_provoked"], 0);
    assert!(
        a.table()
            .contains("decided by scripted acts alone: 40 provoked, 0 not"),
        "{}",
        a.table()
    );
}

#[test]
fn scripted_acts_can_also_take_the_answer_away() {
    let model = model_of(&scripted_take_away(&toy_text()));
    // Alpha: scripted acts at 32, 40 and 42; Beta: its own acts at 47 and 48, its scripted
    // act at 10 (outside the window).
    let months: Months = [[3, 2], [0, 2], [3, 0]];
    let in_run: Months = [[3, 3], [0, 2], [3, 1]];
    check_runs(&model, months, in_run);

    let t = tally(&model);
    let d = &t.dyads[0];
    assert_eq!(
        d.provoked_first, 0,
        "with all acts Alpha committed more (3 months to 2)"
    );
    assert_eq!(
        d.provoked_first_agents, RUNS,
        "with the agents' own acts Beta did (2 to 0)"
    );
    assert_eq!(d.provoked_first_by_scripted, [0, RUNS]);
    t.verify(&model, RUNS).unwrap();
    let s = Summary::new(&model, SEED, &t);
    assert_eq!(s.dyads[0].provoked_first_by_scripted["not_provoked"], RUNS);

    assert_eq!(matched(&model), ["b_agents", "a_all"]);
}

/// Every hostile act the engine reports, by run month, actor and kind.
#[derive(Default)]
struct Acts2 {
    /// `(month, actor, victim, scripted)`.
    seen: Vec<(u32, usize, usize, bool)>,
}

impl Observer for Acts2 {
    fn happening(&mut self, t: u32, what: Happening) {
        if let Happening::HostileAct {
            actor,
            victim,
            scripted,
            ..
        } = what
        {
            self.seen.push((t, actor, victim, scripted));
        }
    }
}

#[test]
fn all_acts_count_as_before_the_split_on_the_baseline() {
    let loaded = LoadedScenario::read(&baseline_path()).unwrap();
    loaded.validate().unwrap();
    let model = Model::compile(&loaded.scenario);
    let runs = 300;
    let mut ws = Workspace::new(&model);
    let mut provoked = [0u64; 2];
    let mut onsets = 0;
    for r in 0..runs {
        let mut obs = Acts2::default();
        simulate(&model, SEED, r, &mut ws, &mut obs);
        for (d, o) in ws.outcome.dyads.iter().enumerate() {
            if o.first_onset == NEVER {
                continue;
            }
            onsets += 1;
            let (a, b) = model.dyads[d];
            // The count before the split: months with any act of the side against the other
            // among the 36 up to and including the onset month.
            let window = o.first_onset.saturating_sub(ACTS_WINDOW_MONTHS - 1)..=o.first_onset;
            let count = |actor: usize, victim: usize, kind: Option<bool>| -> u32 {
                let mut months: Vec<u32> = obs
                    .seen
                    .iter()
                    .filter(|&&(t, x, y, s)| {
                        x == actor && y == victim && window.contains(&t) && kind.is_none_or(|k| k == s)
                    })
                    .map(|&(t, ..)| t)
                    .collect();
                months.dedup();
                months.len() as u32
            };
            for (side, (x, y)) in [(a, b), (b, a)].into_iter().enumerate() {
                for (acts, kind) in [
                    (Acts::All, None),
                    (Acts::Agents, Some(false)),
                    (Acts::Scripted, Some(true)),
                ] {
                    assert_eq!(
                        o.acts_before_onset(side, acts, ACTS_WINDOW_MONTHS),
                        count(x, y, kind),
                        "run {r}, pair {d}, side {side}, {acts:?}"
                    );
                }
            }
            let s = usize::from(o.initiator);
            let (i, j) = if s == 0 { (a, b) } else { (b, a) };
            let old = count(j, i, None) > count(i, j, None);
            assert_eq!(o.provoked_first(Acts::All), old, "run {r}, pair {d}");
            provoked[0] += u64::from(old);
            provoked[1] += u64::from(count(j, i, Some(false)) > count(i, j, Some(false)));
        }
    }
    assert!(onsets > 100, "{onsets} onsets to compare");
    let t = Batch {
        model: &model,
        seed: SEED,
        first_run: 0,
        runs,
    }
    .run(&|_| {});
    let total = |f: &dyn Fn(&jinsong::batch::tally::DyadTally) -> u64| t.dyads.iter().map(f).sum::<u64>();
    assert_eq!(total(&|d| d.provoked_first), provoked[0]);
    assert_eq!(total(&|d| d.provoked_first_agents), provoked[1]);
}

#[test]
fn a_split_that_does_not_add_up_is_refused() {
    let model = model_of(&scripted_decide(&toy_text()));
    let good = tally(&model);
    good.verify(&model, RUNS).unwrap();
    type Edit = fn(&mut Tally);
    let edits: [(&str, Edit); 4] = [
        ("provoked_first_by_scripted", |t| {
            t.dyads[0].provoked_first_by_scripted[0] -= 1
        }),
        ("provoked_first_agents", |t| {
            t.dyads[0].provoked_first_agents = RUNS + 1
        }),
        ("acts_before_onset", |t| {
            t.dyads[0].agent_acts_before_onset[0] += RUNS + 1
        }),
        ("scripted_acts", |t| {
            t.dyads[0].scripted_acts[1] = t.dyads[0].acts[1] + 1
        }),
    ];
    for (field, edit) in edits {
        let mut t = good.clone();
        edit(&mut t);
        let e = t.verify(&model, RUNS).unwrap_err();
        assert!(e.contains(field), "{field}: {e}");
    }
}

#[test]
fn a_bad_acts_value_is_refused_with_its_place() {
    let text = r#"(patterns: [
    (name: "p", rule: ActsExceed(a: "a", b: "b", actor: "b", months: 36, acts: Mine)),
])"#;
    let started = std::time::Instant::now();
    let e = PatternSet::parse("bad.ron", text).unwrap_err();
    assert!(started.elapsed() < crate::common::REFUSAL_LIMIT);
    let msg = e.to_string();
    assert_eq!(msg.lines().count(), 1, "{msg}");
    assert!(msg.contains("bad.ron:2:") && msg.contains("Mine"), "{msg}");
    // The words of the rule say which acts count.
    let set = PatternSet::parse(
        "ok.ron",
        r#"(patterns: [(name: "p", rule: ActsExceed(a: "a", b: "b", actor: "b", months: 36, acts: Agents))])"#,
    )
    .unwrap();
    assert!(
        set.patterns[0].rule.words().contains("of its own"),
        "{}",
        set.patterns[0].rule.words()
    );
}
