//! The `free_hands` switch (`docs/model.md` §6.2): greed counts only while the polity fights no
//! war. Its closed form on a hand-made triangle, its war plans, and the invariant that it changes
//! nothing where greed cannot act.

use jinsong::engine::{simulate, Happening, Observer, Silent, Workspace};
use jinsong::model::{DyadStatus, Model};
use jinsong::scenario::{LoadedScenario, Scenario, BASELINE_RON};
use jinsong::stats::{wilson, Z99};
use jinsong::study::attribute::check_mechanisms;

use crate::common::{load, set};

/// Greed γ of `a`, contact c̃ of `a`–`b`: a free `a` strikes `b` with h = γ · A · c̃ = 0.03 a month
/// (A = 1, below).
const GREED: f64 = 0.05;
const CONTACT: f64 = 0.6;
/// The month offset at which `c` ceases (1125-01 from 1120-01).
const CEASE: u32 = 60;

/// Three polities. `a` is greedy and nothing else (no war propensity); it fights `c` from the
/// start until `c` ceases at offset [`CEASE`] (no talks, no contest, no capitulation). `b` never
/// mobilizes (no fear of anyone), so `a`'s advantage over it is exactly 1 while `a` is mobilized
/// at all (`a` holds a fixed fear 0.5 of `c`, its mobilization target, then decays with lag 4,
/// never to 0). Stability 1, no restraint, no plans (readiness 0): a's hazard on `b` is
///   switch off: γ·A·c̃·will = γ·c̃/2 at war with `c` (will = 1/(1 + 1)), γ·c̃ after;
///   switch on:  0 at war with `c`, γ·c̃ after.
fn triangle_ron(free_hands: bool) -> String {
    format!(
        "(name: \"free_hands\", start: \"1120-01\", end: \"1129-12\",
          mechanisms: (provocations: false, truces: false, war_process: false, alliances: false,
                       consent: false, victory_odds: false, misperception: false,
                       reaction_delay: false, free_hands: {free_hands}),
          polities: [
            (id: \"a\", name: \"A\", strength: 1.0, potential: 1.0, mobilization: 0.5,
             mobilization_lag: 4.0, stability: 1.0, fear_gain: 0.0, fear_decay: 0.0, fear_noise: 0.0,
             war_propensity: 0.0, war_readiness: 0.0, greed: {GREED:?}),
            (id: \"b\", name: \"B\", strength: 1.0, potential: 1.0, mobilization: 0.0,
             mobilization_lag: 4.0, fear_gain: 0.0, fear_decay: 0.0, fear_noise: 0.0,
             war_propensity: 0.0, greed: 0.0),
            (id: \"c\", name: \"C\", strength: 1.0, potential: 1.0, mobilization: 0.0,
             mobilization_lag: 4.0, fear_gain: 0.0, fear_decay: 0.0, fear_noise: 0.0,
             war_propensity: 0.0, greed: 0.0),
          ],
          relations: [
            (from: \"a\", to: \"b\", contact: {CONTACT:?}, fear: 0.0),
            (from: \"b\", to: \"a\", contact: {CONTACT:?}, fear: 0.0),
            (from: \"a\", to: \"c\", contact: 1.0, fear: 0.5),
          ],
          statuses: [(a: \"a\", b: \"c\", status: War(initiator: \"a\"))],
          events: [(id: \"c_ends\", from: \"1125-01\", effects: [Cease(polity: \"c\")])])"
    )
}

/// The month offset of `a`'s first war on `b` in each run (`None`: none).
#[derive(Default)]
struct FirstStrike(Option<u32>);

impl Observer for FirstStrike {
    fn happening(&mut self, t: u32, what: Happening) {
        if let Happening::WarBegins {
            initiator: 0,
            target: 1,
            ..
        } = what
        {
            self.0.get_or_insert(t);
        }
    }
}

/// Each run's first strike of `a` on `b`, over `runs` runs of seed 1125.
fn first_strikes(sc: &Scenario, runs: u64) -> Vec<Option<u32>> {
    let model = Model::compile(sc);
    let mut ws = Workspace::new(&model);
    (0..runs)
        .map(|run| {
            let mut seen = FirstStrike::default();
            simulate(&model, 1125, run, &mut ws, &mut seen);
            seen.0
        })
        .collect()
}

/// First strikes and run-months at risk in offsets `from..to` (a run is at risk in a month
/// until its first strike, that month included).
fn at_risk(strikes: &[Option<u32>], from: u32, to: u32) -> (u64, u64) {
    let (mut struck, mut months) = (0, 0);
    for s in strikes {
        match *s {
            Some(t) if t < from => {}
            Some(t) if t < to => {
                struck += 1;
                months += u64::from(t - from + 1);
            }
            _ => months += u64::from(to - from),
        }
    }
    (struck, months)
}

/// The closed form of §6.2 with the switch: the pooled monthly hazard of `a`'s first strike on
/// `b` (first strikes / run-months at risk) holds the formula's value inside its 99% Wilson
/// interval, before and after `c` ceases, with the switch on and off; with the switch on no
/// run strikes before `c` ceases (a hazard of exactly 0, so an exact count). Common random
/// numbers: with the switch on, every run that strikes after the cease and had not struck
/// before with the switch off strikes in the same month (the hazards are then equal).
/// Seed 1125, 4,000 runs: each comparison would fail with probability about 1% for an exact
/// engine and a random seed.
#[test]
fn greed_waits_for_free_hands_and_then_follows_its_closed_form() {
    const RUNS: u64 = 4_000;
    let h = GREED * 1.0 * CONTACT;
    let off = first_strikes(&load("free_hands.ron", &triangle_ron(false)), RUNS);
    let on = first_strikes(&load("free_hands.ron", &triangle_ron(true)), RUNS);
    let check = |what: &str, (struck, months): (u64, u64), expected: f64| {
        let (lo, hi) = wilson(struck, months, Z99);
        assert!(
            lo <= expected && expected <= hi,
            "{what}: {struck} first strikes in {months} run-months, 99% Wilson [{lo:.5}, {hi:.5}], closed form {expected:.5}"
        );
    };
    check("off, at war with c", at_risk(&off, 0, CEASE), h / 2.0);
    check("off, c gone", at_risk(&off, CEASE, 120), h);
    assert_eq!(
        at_risk(&on, 0, CEASE).0,
        0,
        "with free_hands on, a never strikes while at war with c"
    );
    check("on, c gone", at_risk(&on, CEASE, 120), h);
    for (x, y) in off.iter().zip(&on) {
        if x.is_none_or(|t| t >= CEASE) {
            assert_eq!(x, y, "same draws, same hazard after the cease: same first strike");
        }
    }

    // The ablation: the share of runs in which a strikes b before c ceases is 0 with the switch
    // on and, with it off, 1 − (1 − h/2)^60 ≈ 0.60, inside the 99% Wilson interval.
    let before = off.iter().filter(|s| s.is_some_and(|t| t < CEASE)).count() as u64;
    let (lo, hi) = wilson(before, RUNS, Z99);
    let expected = 1.0 - (1.0 - h / 2.0).powi(CEASE as i32);
    assert!(
        lo <= expected && expected <= hi,
        "off: {before}/{RUNS} strike before c ceases, 99% [{lo:.4}, {hi:.4}], closed form {expected:.4}"
    );
}

/// Watches `a`'s war plan against `b` and its war with `c` month by month.
#[derive(Default)]
struct Plans {
    /// Months (end of month) in which `a` held a plan against `b` while at war with `c` since
    /// an earlier month.
    held_at_war: u64,
    /// Plans `a` adopted against `b` in a month that began with `a` at war with `c`.
    adopted_at_war: u64,
    /// Plans `a` adopted against `b` at all.
    adopted: u64,
    /// Months that end with `a` at war with `c` and began with a plan of `a` against `b`: a
    /// plan met a war (the situation the drop is about).
    met_war: u64,
    /// Whether `a` was at war with `c` at the end of the previous month.
    was_at_war: bool,
    /// Whether `a` held a plan against `b` at the end of the previous month.
    had_plan: bool,
    /// Dyad index of `a`–`c`.
    ac: usize,
}

impl Observer for Plans {
    fn happening(&mut self, _t: u32, what: Happening) {
        if let Happening::WarPlan {
            planner: 0,
            target: 1,
        } = what
        {
            self.adopted += 1;
            self.adopted_at_war += u64::from(self.was_at_war);
        }
    }
    fn month_end(&mut self, _t: u32, ws: &Workspace) {
        let at_war = matches!(ws.status(self.ac), DyadStatus::War { .. });
        let plan = ws.war_plan(0) == Some(1);
        if at_war && self.was_at_war && plan {
            self.held_at_war += 1;
        }
        self.met_war += u64::from(at_war && self.had_plan);
        self.was_at_war = at_war;
        self.had_plan = plan;
    }
}

/// War plans go through the same factor: `a` (greedy, slow to mobilize, readiness 0.9) adopts
/// a plan against `b` while free, and `c` (fearful of `a`) attacks `a` at a random month. With
/// the switch on, a greed-only plan is dropped in the first month `a` is at war with `c` when its
/// pair with `b` comes up, so it is never held at the end of a second month at war, and no plan
/// is adopted in a month begun at war; with the switch off plans are both adopted and kept at
/// war (the counts are positive: a test that can fail).
#[test]
fn a_greedy_plan_waits_for_free_hands_and_is_dropped_at_war() {
    let ron = |free_hands: bool| {
        format!(
            "(name: \"plans\", start: \"1120-01\", end: \"1129-12\",
              mechanisms: (provocations: false, truces: false, war_process: false, alliances: false,
                           consent: false, victory_odds: false, misperception: false, events: false,
                           free_hands: {free_hands}),
              polities: [
                (id: \"a\", name: \"A\", strength: 1.0, potential: 1.0, mobilization: 0.1,
                 mobilization_lag: 40.0, reaction_delay: 0, stability: 1.0, fear_gain: 0.0,
                 fear_decay: 0.0, fear_noise: 0.0, war_propensity: 0.0, war_readiness: 0.9,
                 greed: 0.2),
                (id: \"b\", name: \"B\", strength: 1.0, potential: 1.0, mobilization: 0.0,
                 mobilization_lag: 1.0, fear_gain: 0.0, fear_decay: 0.0, fear_noise: 0.0, war_propensity: 0.0, greed: 0.0),
                (id: \"c\", name: \"C\", strength: 1.0, potential: 1.0, mobilization: 0.0,
                 mobilization_lag: 1.0, reaction_delay: 0, fear_gain: 0.0, fear_decay: 0.0, fear_noise: 0.0,
                 war_threshold: 0.0, war_propensity: 0.02, war_readiness: 0.0, greed: 0.0),
              ],
              relations: [
                (from: \"a\", to: \"b\", contact: 1.0, fear: 0.0),
                (from: \"a\", to: \"c\", contact: 1.0, fear: 0.0),
                (from: \"c\", to: \"a\", contact: 1.0, fear: 1.0),
              ])"
        )
    };
    let count = |free_hands: bool| {
        let model = Model::compile(&load("plans.ron", &ron(free_hands)));
        let ac = model.dyads.iter().position(|&d| d == (0, 2)).expect("pair a-c");
        let mut ws = Workspace::new(&model);
        let mut seen = Plans {
            ac,
            ..Plans::default()
        };
        for run in 0..500 {
            (seen.was_at_war, seen.had_plan) = (false, false);
            simulate(&model, 1125, run, &mut ws, &mut seen);
        }
        seen
    };
    let on = count(true);
    assert!(on.adopted > 0, "a adopts greed plans while free");
    assert!(on.met_war > 0, "some plans meet a war with c");
    assert_eq!(on.adopted_at_war, 0, "no greed plan is adopted at war with c");
    assert_eq!(
        on.held_at_war, 0,
        "a greed plan is dropped once a is at war with c"
    );
    let off = count(false);
    assert!(
        off.adopted_at_war > 0 && off.held_at_war > 0,
        "with the switch off, greed plans are adopted ({}) and kept ({}) at war",
        off.adopted_at_war,
        off.held_at_war
    );
}

/// Switch off is the model without it: the baseline with its `free_hands: true` line left out
/// (off by default) runs record for record as with `free_hands: false` written out. And the
/// switch touches only the greed term: with the `greed` mechanism off, turning `free_hands` on
/// changes no run of the baseline.
#[test]
fn free_hands_changes_nothing_where_greed_cannot_act() {
    let shipped = LoadedScenario::baseline().expect("the baseline loads").scenario;
    assert!(
        shipped.mechanisms.free_hands,
        "the shipped baseline gates greed (docs/protocol.md)"
    );
    let line = BASELINE_RON
        .lines()
        .find(|l| l.trim_start().starts_with("free_hands: true"))
        .expect("the baseline's free_hands line");
    let base = load("no_free_hands.ron", &BASELINE_RON.replacen(line, "", 1));
    let records = |sc: &Scenario| {
        let model = Model::compile(sc);
        let mut ws = Workspace::new(&model);
        (0..200)
            .map(|run| {
                simulate(&model, sc.seed, run, &mut ws, &mut Silent);
                format!("{:?}", ws.outcome.record)
            })
            .collect::<Vec<_>>()
    };
    assert!(!base.mechanisms.free_hands, "off by default");
    let reference = records(&base);
    assert_eq!(records(&set(&base, "mechanisms.free_hands", "false")), reference);
    let greedless = set(&base, "mechanisms.greed", "false");
    assert_eq!(
        records(&set(&greedless, "mechanisms.free_hands", "true")),
        records(&greedless)
    );
    // And where greed can act, the switch does change runs (so the comparison above can fail).
    let on = set(&base, "mechanisms.free_hands", "true");
    assert_ne!(records(&on), reference);
    // What `jinsong check` says of it, and `attribute --mechanisms` takes it.
    assert!(base
        .describe("b.ron")
        .contains("\nmechanisms: all on; free_hands off; front off; bargaining off; treaties off\n"));
    assert!(on
        .describe("b.ron")
        .contains("\nmechanisms: all on; free_hands on; front off; bargaining off; treaties off\n"));
    assert!(check_mechanisms(&["free_hands", "greed"]).is_ok());
}
