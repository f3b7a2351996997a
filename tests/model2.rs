//! Model 2's mechanisms through the library API: the contest against its closed form, ties by
//! consent, the reaction delay, misperception, capitulation, the warm-up, and the common
//! random numbers of the new switches.

use jinsong::engine::outcome::Deed;
use jinsong::engine::{simulate, Happening, Observer, Silent, Workspace};
use jinsong::model::war::contest_win_probability;
use jinsong::model::Model;
use jinsong::scenario::{apply_override, LoadedScenario, Override, Scenario};

use crate::common::{load, set};
use jinsong::stats::{wilson, Z99};

fn baseline() -> Scenario {
    LoadedScenario::baseline().expect("the baseline loads").scenario
}

/// Two polities `a` and `b` at war from the start, fully mobilized for good (a fear of 5 that
/// never decays), no talks, no losses and no capitulation: only the monthly contest moves.
fn contest_ron(strength_a: f64, strength_b: f64, kappa: f64) -> String {
    let polity = |id: &str, strength: f64| {
        format!(
            "(id: \"{id}\", name: \"{id}\", strength: {strength:?}, potential: 1.0, mobilization: 1.0,
              mobilization_lag: 1.0, fear_gain: 0.0, fear_decay: 0.0, capitulation_propensity: 0.0)"
        )
    };
    format!(
        "(name: \"contest\", start: \"1000-01\", end: \"1009-12\",
          mechanisms: (truces: false),
          rules: (contest_decisiveness: {kappa:?}, war_step: 0.0001, war_cost: 0.0, war_unrest: 0.0),
          polities: [{}, {}],
          relations: [(from: \"a\", to: \"b\", contact: 1.0, fear: 5.0), (from: \"b\", to: \"a\", contact: 1.0, fear: 5.0)],
          statuses: [(a: \"a\", b: \"b\", status: War(initiator: \"a\"))])",
        polity("a", strength_a),
        polity("b", strength_b)
    )
}

/// Counts the months side a won: the balance rose.
#[derive(Default)]
struct Contests {
    last: f64,
    won: u64,
    months: u64,
}

impl Observer for Contests {
    fn month_end(&mut self, _t: u32, ws: &Workspace) {
        let b = ws.balance(0);
        assert!(matches!(ws.status(0), jinsong::model::DyadStatus::War { .. }));
        self.won += u64::from(b > self.last);
        self.months += 1;
        self.last = b;
    }
}

/// The share of months side a wins is `s_a^κ / (s_a^κ + s_b^κ)` (both fully mobilized): the
/// closed form lies inside the 99% Wilson interval of 400 runs × 120 months.
#[test]
fn the_contest_follows_its_closed_form() {
    for (sa, sb, kappa) in [
        (0.6, 0.3, 1.0),
        (0.6, 0.3, 2.0),
        (0.5, 0.5, 1.0),
        (1.0, 0.25, 0.5),
    ] {
        let model = Model::compile(&load("contest.ron", &contest_ron(sa, sb, kappa)));
        let mut ws = Workspace::new(&model);
        let mut seen = Contests::default();
        for run in 0..400 {
            seen.last = 0.0;
            simulate(&model, 7, run, &mut ws, &mut seen);
        }
        let expected = contest_win_probability(sa, sb, kappa);
        let (lo, hi) = wilson(seen.won, seen.months, Z99);
        assert!(
            (lo..=hi).contains(&expected),
            "strengths {sa} vs {sb}, κ {kappa}: won {} of {} months, 99% [{lo:.4}, {hi:.4}], closed form {expected:.4}",
            seen.won,
            seen.months
        );
    }
}

/// Alliances formed in each pair over `runs` runs of `sc`.
fn alliances(sc: &Scenario, runs: u64) -> Vec<u64> {
    let model = Model::compile(sc);
    let mut ws = Workspace::new(&model);
    let mut formed = vec![0; model.dyads.len()];
    for run in 0..runs {
        simulate(&model, sc.seed, run, &mut ws, &mut Silent);
        for h in &ws.outcome.record {
            if h.deed == Deed::Alliance {
                formed[usize::from(h.dyad)] += 1;
            }
        }
    }
    formed
}

/// Koryo's and the Liao's `alliance_propensity` is 0 in the baseline: in 100,000 runs none of
/// their pairs ever forms an alliance. With Koryo's raised to 0.5 (and so not a test that cannot
/// fail), Koryo does ally in some of the same runs.
#[test]
fn no_alliance_forms_without_both_wills() {
    let sc = baseline();
    let model = Model::compile(&sc);
    let koryo = model.ids.iter().position(|x| x == "koryo").expect("koryo");
    let liao = model.ids.iter().position(|x| x == "liao").expect("liao");
    let involves = |d: usize, x: usize| model.dyads[d].0 == x || model.dyads[d].1 == x;
    let formed = alliances(&sc, 100_000);
    for (d, &n) in formed.iter().enumerate() {
        if involves(d, koryo) || involves(d, liao) {
            assert_eq!(n, 0, "pair {:?} allied {n} times", model.dyads[d]);
        }
    }
    let willing = set(&sc, "polities.koryo.alliance_propensity", "0.5");
    let willing = set(&willing, "polities.song.alliance_propensity", "0.5");
    let formed = alliances(&willing, 20_000);
    let koryo_ties: u64 = (0..formed.len())
        .filter(|&d| involves(d, koryo))
        .map(|d| formed[d])
        .sum();
    assert!(koryo_ties > 0, "with both wills, Koryo allies in some run");
}

/// Mobilization of polity 0 at the end of each month.
#[derive(Default)]
struct Mobilization(Vec<f64>);

impl Observer for Mobilization {
    fn month_end(&mut self, _t: u32, ws: &Workspace) {
        self.0.push(ws.mobilization(0));
    }
}

/// A step threat in month 12 (a fear shock of `a` toward `b`): with a reaction delay of d
/// months, `a`'s mobilization stays exactly where it was for d months and moves in month
/// 12 + d.
#[test]
fn a_reaction_delay_holds_mobilization_for_exactly_its_months() {
    for delay in [0u32, 1, 3, 7, 24] {
        let text = format!(
            "(name: \"delay\", start: \"1000-01\", end: \"1004-12\",
              polities: [
                (id: \"a\", name: \"a\", strength: 1.0, potential: 1.0, mobilization: 0.1,
                 mobilization_lag: 1.0, reaction_delay: {delay}, fear_gain: 0.0, fear_decay: 0.0),
                (id: \"b\", name: \"b\", strength: 1.0, potential: 1.0, mobilization_lag: 1.0,
                 fear_gain: 0.0, fear_decay: 0.0)],
              relations: [(from: \"a\", to: \"b\", contact: 1.0, fear: 0.1)],
              events: [(id: \"step\", from: \"1001-01\", effects: [Fear(of: \"a\", toward: \"b\", amount: 0.5)])])"
        );
        let model = Model::compile(&load("delay.ron", &text));
        let mut ws = Workspace::new(&model);
        let mut seen = Mobilization::default();
        simulate(&model, 1, 0, &mut ws, &mut seen);
        let m = &seen.0;
        let before = m[11];
        assert_eq!(before, 0.1, "the initial fear sum is the initial target");
        for (t, &moved) in m.iter().enumerate().skip(12).take(delay as usize) {
            assert_eq!(moved, before, "delay {delay}: month {t} moved");
        }
        assert_eq!(
            m[12 + delay as usize],
            0.6,
            "delay {delay}: month {} did not move",
            12 + delay
        );
    }
}

/// With the default perception (bias 1, no noise) a polity sees the truth exactly: runs with
/// `misperception` on and off are identical, record and trace alike; a bias of 2 is seen as 2.
#[test]
fn perception_without_bias_or_noise_is_the_truth() {
    let on = baseline();
    let off = set(&on, "mechanisms.misperception", "false");
    let explicit = set(&on, "relations.song.jin.strength_bias", "1.0");
    let models = [
        Model::compile(&on),
        Model::compile(&off),
        Model::compile(&explicit),
    ];
    let mut traces: Vec<Vec<String>> = vec![Vec::new(); 3];
    for (model, trace) in models.iter().zip(&mut traces) {
        let mut ws = Workspace::new(model);
        for run in 0..200 {
            let mut chronicle = jinsong::engine::chronicle::Chronicle::new(model);
            simulate(model, 1125, run, &mut ws, &mut chronicle);
            trace.push(format!("{}{:?}", chronicle.csv, ws.outcome));
        }
    }
    assert!(
        traces[0] == traces[1],
        "misperception on and off differ without bias or noise"
    );
    assert!(
        traces[0] == traces[2],
        "an explicit bias of 1 differs from the default"
    );

    let biased = set(&on, "relations.song.jin.strength_bias", "2.0");
    let model = Model::compile(&biased);
    let mut ws = Workspace::new(&model);
    simulate(&model, 1125, 0, &mut ws, &mut Silent);
    assert_eq!(model.ids[1], "song");
    let mut first = jinsong::engine::chronicle::Chronicle::new(&model);
    simulate(&model, 1125, 0, &mut ws, &mut first);
    let row = first
        .csv
        .lines()
        .find(|l| l.starts_with("1115-01,song,jin,"))
        .expect("a row");
    assert_eq!(row.split(',').nth(9), Some("2.000000"), "{row}");
}

/// Records every capitulation's balance (from the loser's side).
#[derive(Default)]
struct Capitulations(Vec<f64>);

impl Observer for Capitulations {
    fn happening(&mut self, _t: u32, what: Happening) {
        if let Happening::Capitulation { balance, .. } = what {
            self.0.push(balance);
        }
    }
}

/// A strong polity at war with a weak one (no talks), both ready to capitulate: every
/// capitulation comes when the balance against the loser is at least `capitulation_balance`,
/// and in most runs one comes.
#[test]
fn capitulation_comes_only_at_a_decisive_balance() {
    for decisive in [0.3, 0.6, 0.9] {
        let text = format!(
            "(name: \"capitulation\", start: \"1000-01\", end: \"1009-12\",
              rules: (capitulation_balance: {decisive:?}, war_step: 0.05),
              polities: [
                (id: \"a\", name: \"a\", strength: 1.0, potential: 1.0, mobilization: 1.0,
                 mobilization_lag: 1.0, fear_gain: 0.0, fear_decay: 0.0, capitulation_propensity: 0.5),
                (id: \"b\", name: \"b\", strength: 0.5, potential: 1.0, mobilization: 1.0,
                 mobilization_lag: 1.0, fear_gain: 0.0, fear_decay: 0.0, capitulation_propensity: 0.5)],
              relations: [(from: \"a\", to: \"b\", contact: 1.0, fear: 5.0), (from: \"b\", to: \"a\", contact: 1.0, fear: 5.0)],
              statuses: [(a: \"a\", b: \"b\", status: War(initiator: \"a\"))])"
        );
        let model = Model::compile(&load("capitulation.ron", &text));
        let mut ws = Workspace::new(&model);
        let mut seen = Capitulations::default();
        for run in 0..500 {
            simulate(&model, 3, run, &mut ws, &mut seen);
        }
        assert!(
            seen.0.len() > 50,
            "decisive {decisive}: only {} capitulations",
            seen.0.len()
        );
        for &b in &seen.0 {
            assert!(
                b <= -decisive,
                "decisive {decisive}: a capitulation at balance {b}"
            );
        }
    }
}

/// The new switches keep the draw schedule (common random numbers), and with all five off and
/// no Model 2 field the engine behaves as version 1: no war plan, capitulation, join or terms
/// is ever recorded, and every war ends by talks or a state's end.
#[test]
fn the_new_switches_move_no_slot_and_off_leave_version_1() {
    let on = baseline();
    let mut off = on.clone();
    for name in [
        "consent",
        "war_process",
        "victory_odds",
        "misperception",
        "reaction_delay",
    ] {
        off = set(&off, &format!("mechanisms.{name}"), "false");
    }
    let (m_on, m_off) = (Model::compile(&on), Model::compile(&off));
    assert_eq!(m_on.words_per_run(), m_off.words_per_run());
    let mut ws = Workspace::new(&m_off);
    for run in 0..2000 {
        simulate(&m_off, 1125, run, &mut ws, &mut Silent);
        for h in &ws.outcome.record {
            assert!(
                !matches!(
                    h.deed,
                    Deed::WarPlan { .. }
                        | Deed::Capitulation { .. }
                        | Deed::Terms { .. }
                        | Deed::War { joined: true, .. }
                ),
                "run {run}: {h:?} with Model 2 off"
            );
        }
    }
}

/// A warm-up runs months before `start` in which nothing is counted: the outcome has no
/// happening before month 0, and the warm-up changes the initial state (fear and mobilization
/// have moved), so the runs differ from those without it.
#[test]
fn the_warm_up_counts_nothing_but_moves_the_state() {
    let plain = baseline();
    let warm = set(&plain, "warmup", "24");
    let (m_plain, m_warm) = (Model::compile(&plain), Model::compile(&warm));
    assert_eq!(
        m_warm.words_per_run() - m_plain.words_per_run(),
        24 * m_plain.schedule.words_per_month() as u64
    );
    let mut ws = Workspace::new(&m_warm);
    let mut first = jinsong::engine::chronicle::Chronicle::new(&m_warm);
    simulate(&m_warm, 1125, 0, &mut ws, &mut first);
    let row = first.csv.lines().nth(1).expect("a first row").to_string();
    assert!(
        row.starts_with("1115-01,"),
        "the first month seen is start: {row}"
    );
    let mut cold = jinsong::engine::chronicle::Chronicle::new(&m_plain);
    let mut ws_plain = Workspace::new(&m_plain);
    simulate(&m_plain, 1125, 0, &mut ws_plain, &mut cold);
    assert_ne!(
        first.csv.lines().nth(1),
        cold.csv.lines().nth(1),
        "24 months of warm-up leave the first month's state unchanged"
    );
    for run in 0..500 {
        simulate(&m_warm, 1125, run, &mut ws, &mut Silent);
        assert!(ws.outcome.record.iter().all(|h| h.month < m_warm.months));
        for d in &ws.outcome.dyads {
            assert!(d.months_at_war <= m_warm.months);
        }
    }
}

/// A conquerable side that capitulates ends as a state: the war it capitulated in ends once in
/// the record, as a capitulation (not also as a state's end), and the polity has ceased.
#[test]
fn a_conquerable_side_ends_by_its_capitulation_once() {
    let text = "(name: \"conquest\", start: \"1000-01\", end: \"1009-12\",
          rules: (capitulation_balance: 0.5, war_step: 0.05),
          polities: [
            (id: \"a\", name: \"a\", strength: 1.0, potential: 1.0, mobilization: 1.0,
             mobilization_lag: 1.0, fear_gain: 0.0, fear_decay: 0.0, capitulation_propensity: 0.0),
            (id: \"b\", name: \"b\", strength: 0.3, potential: 1.0, mobilization: 1.0,
             mobilization_lag: 1.0, fear_gain: 0.0, fear_decay: 0.0, capitulation_propensity: 0.5,
             conquerable: true)],
          relations: [(from: \"a\", to: \"b\", contact: 1.0, fear: 5.0), (from: \"b\", to: \"a\", contact: 1.0, fear: 5.0)],
          statuses: [(a: \"a\", b: \"b\", status: War(initiator: \"a\"))])";
    let model = Model::compile(&load("conquest.ron", text));
    let mut ws = Workspace::new(&model);
    let mut conquered = 0;
    for run in 0..300 {
        simulate(&model, 5, run, &mut ws, &mut Silent);
        let capitulations: Vec<u32> = ws
            .outcome
            .record
            .iter()
            .filter(|h| matches!(h.deed, Deed::Capitulation { side: 1 }))
            .map(|h| h.month)
            .collect();
        let ended = ws
            .outcome
            .record
            .iter()
            .filter(|h| matches!(h.deed, Deed::Ended { .. }))
            .count();
        assert_eq!(
            ended, 0,
            "run {run}: the capitulated war also ended by a state's end"
        );
        match capitulations[..] {
            [] => assert_eq!(ws.outcome.ceased[1], jinsong::engine::outcome::NEVER),
            [month] => {
                assert_eq!(ws.outcome.ceased[1], month, "run {run}");
                conquered += 1;
            }
            _ => panic!("run {run}: {capitulations:?}"),
        }
    }
    assert!(conquered > 100, "only {conquered} of 300 runs ended in conquest");
}

/// Every Model 2 field is range-checked like the others: one line each with the file,
/// `line:column` and field path, before any run; `--set` reaches them (warmup included).
#[test]
fn bad_model2_values_are_refused_with_their_place() {
    let small = include_str!("data/small.ron");
    let text = small
        .replacen(
            "talk_propensity: 0.2),",
            "talk_propensity: 0.2, reaction_delay: 30, odds_weight: 6.0),",
            1,
        )
        .replacen(
            "(from: \"c\", to: \"a\", contact: 0.3, trust: 0.5),",
            "(from: \"c\", to: \"a\", contact: 0.3, trust: 0.5, strength_bias: 0.0),",
            1,
        )
        .replacen(
            "runs: 100,",
            "runs: 100, warmup: 601, rules: (terms_cession: 0.5, terms_junior: 0.4),",
            1,
        );
    let loaded = LoadedScenario::parse("bad.ron", &text).expect("it parses");
    let err = loaded.validate().expect_err("it is refused").to_string();
    for needle in [
        "bad.ron:",
        "polities.a.reaction_delay: 30 is out of range (allowed: 0 ..= 24 months)",
        "polities.a.odds_weight: 6 is out of range (allowed: 0 ..= 5)",
        "relations.c.a.strength_bias: 0 is out of range (allowed: 0.1 ..= 10)",
        "warmup: 601 is out of range (allowed: 0 ..= 600 months)",
        "rules.terms_junior: 0.4 is below rules.terms_cession 0.5",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
    assert!(err.lines().all(|l| l.starts_with("bad.ron:")), "{err}");

    let mut ok = LoadedScenario::parse("small.ron", small).expect("the fixture parses");
    let o: Override = "polities.a.join_propensity=1.5".parse().expect("an override");
    let err = ok
        .apply_overrides(&[o])
        .and_then(|()| ok.validate())
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("polities.a.join_propensity: 1.5 is out of range"),
        "{err}"
    );
    let warm = set(&ok.scenario, "warmup", "12");
    assert_eq!(warm.warmup, 12);
    let o: Override = "warmup=-1".parse().expect("an override");
    assert!(apply_override(&ok.scenario, &o).is_err());
}

/// `check` lists every Model 2 field a file leaves out with the default it filled in, and not
/// one that the file or an override gives.
#[test]
fn check_lists_the_model2_defaults_it_filled_in() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let small = crate::common::root().join("tests/data/small.ron");
    let small = small.to_str().expect("a UTF-8 path");
    let out = crate::common::text(&crate::common::ok(tmp.path(), &["check", small]).stdout);
    for line in [
        "defaults filled in for the fields added after version 1 that the file leaves out:",
        "  warmup = 0 months",
        "  mechanisms.consent = true",
        "  rules.war_step = 0.05",
        "  polities.*.reaction_delay = 0 for a, b, c",
        "  polities.*.conquerable = false for a, b, c",
        "  relations.*.*.strength_bias = 1.0 for a→b, b→a, c→a",
    ] {
        assert!(out.lines().any(|l| l == line), "missing `{line}` in:\n{out}");
    }
    let set = crate::common::text(
        &crate::common::ok(
            tmp.path(),
            &[
                "check",
                small,
                "--set",
                "polities.a.reaction_delay=3",
                "--set",
                "rules.war_step=0.1",
            ],
        )
        .stdout,
    );
    assert!(
        set.lines()
            .any(|l| l == "  polities.*.reaction_delay = 0 for b, c"),
        "{set}"
    );
    assert!(!set.contains("rules.war_step"), "{set}");
}
