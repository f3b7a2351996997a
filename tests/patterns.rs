//! Historical patterns (src/patterns.rs) and scoring (src/score.rs) through the library API:
//! each predicate on hand-made outcomes and on a tiny scenario whose wars are forced, bad pattern
//! files, the determinism of `count_matches`, cross-checks against the engine's own tallies, the
//! shape of `scores.json` and `scores.csv`, and the ratio interval.

use std::path::Path;

use jinsong::batch::fold::Batch;
use jinsong::engine::outcome::{RunOutcome, NEVER};
use jinsong::engine::{simulate, Observer, Workspace};
use jinsong::model::Model;
use jinsong::patterns::{CompiledPatterns, PatternSet};
use jinsong::scenario::{LoadedScenario, ScenarioError};
use jinsong::stats::paired::rate_ratio;
use jinsong::stats::{wilson, Z95};
use jinsong::study::score::{count_matches, PatternCounts, ScoreReport};

fn baseline() -> Model {
    let loaded = LoadedScenario::read(Path::new("scenarios/baseline.ron")).expect("baseline parses");
    loaded.validate().expect("baseline validates");
    Model::compile(&loaded.scenario)
}

fn compile(text: &str, model: &Model) -> CompiledPatterns {
    PatternSet::parse("test.ron", text)
        .unwrap_or_else(|e| panic!("does not parse:\n{e}"))
        .compile("test.ron", model)
        .unwrap_or_else(|e| panic!("does not compile:\n{e}"))
}

fn history(model: &Model) -> CompiledPatterns {
    let file = "scenarios/patterns/history.ron";
    PatternSet::read(Path::new(file))
        .unwrap_or_else(|e| panic!("{e}"))
        .compile(file, model)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The error of a pattern text that must be refused, at parse or at compile.
fn refused(text: &str, model: &Model) -> ScenarioError {
    match PatternSet::parse("bad.ron", text) {
        Err(e) => e,
        Ok(set) => match set.compile("bad.ron", model) {
            Err(e) => e,
            Ok(c) => panic!("accepted: {:?}", c.names()),
        },
    }
}

fn bit(bits: u64, k: usize) -> bool {
    (bits >> k) & 1 == 1
}

fn offset(model: &Model, month: &str) -> u32 {
    model.start.months_until(month.parse().unwrap()) as u32
}

// ---------------------------------------------------------------------------------------------
// Predicates on hand-made outcomes (baseline ids: jin 0, song 1, koryo 2, xixia 3, liao 4)
// ---------------------------------------------------------------------------------------------

struct Hand {
    model: Model,
    /// The jin–song pair.
    d: usize,
    /// Side of jin in it.
    jin: usize,
}

impl Hand {
    fn new() -> Hand {
        let model = baseline();
        assert_eq!(model.ids, ["jin", "song", "koryo", "xixia", "liao"]);
        let d = model.dyad_of[1];
        let jin = usize::from(model.dyads[d].0 != 0);
        Hand { model, d, jin }
    }

    fn outcome(&self) -> RunOutcome {
        RunOutcome::new(self.model.dyads.len(), self.model.n)
    }

    /// A first Jin–Song onset at `month`, started by `initiator` ("jin" or "song").
    fn onset(&self, o: &mut RunOutcome, month: &str, initiator: &str) {
        let x = &mut o.dyads[self.d];
        x.first_onset = offset(&self.model, month);
        let jin_started = initiator == "jin";
        x.initiator = if jin_started == (self.jin == 0) { 0 } else { 1 };
    }

    /// Set hostile-act months (0 = onset month) of jin against song and song against jin.
    fn acts(&self, o: &mut RunOutcome, jin: &[u32], song: &[u32]) {
        let mask = |ks: &[u32]| ks.iter().fold(0u64, |m, &k| m | (1 << k));
        let h = &mut o.dyads[self.d].acts_history_at_onset;
        h[self.jin].agents = mask(jin);
        h[1 - self.jin].agents = mask(song);
    }

    fn mobilization(&self, o: &mut RunOutcome, song: f32) {
        o.dyads[self.d].mobilization_at_onset[1 - self.jin] = song;
    }

    /// Matches of `patterns` for `o`, with a tracker that has seen no month.
    fn matches(&self, patterns: &CompiledPatterns, o: &RunOutcome) -> u64 {
        patterns.tracker().matches(o)
    }
}

#[test]
fn onset_within_is_an_inclusive_window_and_false_without_onset() {
    let h = Hand::new();
    let p = compile(
        r#"(patterns: [
            (name: "w", rule: OnsetWithin(a: "jin", b: "song", from: "1125-06", to: "1126-06")),
            (name: "reversed_pair", rule: OnsetWithin(a: "song", b: "jin", from: "1125-06", to: "1126-06")),
            (name: "one_month", rule: OnsetWithin(a: "jin", b: "song", from: "1125-11", to: "1125-11")),
        ])"#,
        &h.model,
    );
    assert_eq!(p.names(), ["w", "reversed_pair", "one_month"]);
    let o = h.outcome();
    assert_eq!(h.matches(&p, &o), 0, "no onset: nothing holds");
    for (month, inside, eleventh) in [
        ("1125-05", false, false),
        ("1125-06", true, false),
        ("1125-11", true, true),
        ("1126-06", true, false),
        ("1126-07", false, false),
    ] {
        let mut o = h.outcome();
        h.onset(&mut o, month, "song");
        let m = h.matches(&p, &o);
        assert_eq!(bit(m, 0), inside, "{month}");
        assert_eq!(bit(m, 1), inside, "{month}: the pair is unordered");
        assert_eq!(bit(m, 2), eleventh, "{month}");
    }
}

#[test]
fn initiator_names_the_side_that_struck_first() {
    let h = Hand::new();
    let p = compile(
        r#"(patterns: [
            (name: "jin", rule: Initiator(a: "jin", b: "song", polity: "jin")),
            (name: "song", rule: Initiator(a: "song", b: "jin", polity: "song")),
        ])"#,
        &h.model,
    );
    assert_eq!(h.matches(&p, &h.outcome()), 0, "no onset: no initiator");
    let mut o = h.outcome();
    h.onset(&mut o, "1125-11", "jin");
    assert_eq!(h.matches(&p, &o), 0b01);
    h.onset(&mut o, "1125-11", "song");
    assert_eq!(h.matches(&p, &o), 0b10);
}

#[test]
fn acts_exceed_counts_the_look_back_including_the_onset_month() {
    let h = Hand::new();
    let p = compile(
        r#"(patterns: [
            (name: "song36", rule: ActsExceed(a: "jin", b: "song", actor: "song", months: 36)),
            (name: "song37", rule: ActsExceed(a: "jin", b: "song", actor: "song", months: 37)),
            (name: "jin36", rule: ActsExceed(a: "jin", b: "song", actor: "jin", months: 36)),
            (name: "song1", rule: ActsExceed(a: "jin", b: "song", actor: "song", months: 1)),
            (name: "song64", rule: ActsExceed(a: "jin", b: "song", actor: "song", months: 64)),
        ])"#,
        &h.model,
    );
    let mut o = h.outcome();
    h.acts(&mut o, &[0], &[0, 5, 63]);
    assert_eq!(h.matches(&p, &o), 0, "acts without an onset: false");
    h.onset(&mut o, "1125-11", "jin");
    // song: months 0, 5 inside 36; jin: month 0. 63 counts only in the 64-month look-back.
    assert_eq!(h.matches(&p, &o), 0b10011);
    // A tie is not "exceed": song 1 (month 0; month 36 is the 37th), jin 1.
    h.acts(&mut o, &[3], &[0, 36]);
    assert_eq!(
        h.matches(&p, &o),
        0b11010,
        "song37 and song64 count month 36; song1 sees month 0 only"
    );
    h.acts(&mut o, &[1, 2, 3], &[]);
    assert_eq!(h.matches(&p, &o), 0b00100);
}

#[test]
fn onset_after_ceased_allows_the_same_month() {
    let h = Hand::new();
    let p = compile(
        r#"(patterns: [(name: "after_liao", rule: OnsetAfterCeased(a: "jin", b: "song", polity: "liao"))])"#,
        &h.model,
    );
    let liao = 4;
    let mut o = h.outcome();
    assert_eq!(h.matches(&p, &o), 0, "no onset, no end of Liao");
    o.ceased[liao] = offset(&h.model, "1125-02");
    assert_eq!(h.matches(&p, &o), 0, "Liao ended but no onset");
    h.onset(&mut o, "1125-11", "jin");
    assert_eq!(h.matches(&p, &o), 1);
    o.ceased[liao] = offset(&h.model, "1125-11");
    assert_eq!(
        h.matches(&p, &o),
        1,
        "same month: the engine ends a polity before the war decisions"
    );
    o.ceased[liao] = offset(&h.model, "1125-12");
    assert_eq!(h.matches(&p, &o), 0);
    o.ceased[liao] = NEVER;
    assert_eq!(h.matches(&p, &o), 0, "Liao never ended");
}

#[test]
fn mobilization_below_is_strict_and_false_without_onset() {
    let h = Hand::new();
    let p = compile(
        r#"(patterns: [
            (name: "song_unready", rule: MobilizationBelow(a: "jin", b: "song", polity: "song", level: 0.99)),
            (name: "jin_below_half", rule: MobilizationBelow(a: "song", b: "jin", polity: "jin", level: 0.5)),
        ])"#,
        &h.model,
    );
    let mut o = h.outcome();
    h.mobilization(&mut o, 0.2);
    assert_eq!(h.matches(&p, &o), 0, "no onset");
    h.onset(&mut o, "1125-11", "jin");
    o.dyads[h.d].mobilization_at_onset[h.jin] = 0.8;
    assert_eq!(h.matches(&p, &o), 0b01);
    h.mobilization(&mut o, 0.99);
    assert_eq!(
        h.matches(&p, &o),
        0b00,
        "0.99 is fully mobilized, as in summary.json"
    );
    h.mobilization(&mut o, 0.989);
    o.dyads[h.d].mobilization_at_onset[h.jin] = 0.49;
    assert_eq!(h.matches(&p, &o), 0b11);
}

#[test]
fn combinators_and_bit_order() {
    let h = Hand::new();
    let p = compile(
        r#"(patterns: [
            (name: "all", rule: All([
                Initiator(a: "jin", b: "song", polity: "jin"),
                OnsetWithin(a: "jin", b: "song", from: "1125-06", to: "1126-06"),
            ])),
            (name: "any", rule: Any([
                Initiator(a: "jin", b: "song", polity: "song"),
                OnsetWithin(a: "jin", b: "song", from: "1125-06", to: "1126-06"),
            ])),
            (name: "not", rule: Not(Initiator(a: "jin", b: "song", polity: "jin"))),
            (name: "nested", rule: Not(Any([Not(All([Initiator(a: "jin", b: "song", polity: "jin")]))]))),
        ])"#,
        &h.model,
    );
    let mut o = h.outcome();
    assert_eq!(h.matches(&p, &o), 0b0100, "no onset: only `not` holds");
    h.onset(&mut o, "1125-11", "jin");
    assert_eq!(h.matches(&p, &o), 0b1011);
    h.onset(&mut o, "1127-01", "jin");
    assert_eq!(h.matches(&p, &o), 0b1000);
    h.onset(&mut o, "1127-01", "song");
    assert_eq!(h.matches(&p, &o), 0b0110);
}

// ---------------------------------------------------------------------------------------------
// NoWar and AtPeaceWithAll on a scenario whose wars are forced
// ---------------------------------------------------------------------------------------------

/// Four polities from 1120-01 to 1124-12. `b`–`c` are at war at start; `c` ceases in the first
/// month (an event of probability 1 over a one-month window), which ends that war. `a` fears `b`
/// with fear 1, threshold 0 and propensity 1, nothing changes that fear (no gain, decay, noise or
/// grievance) and nobody seeks talks or capitulates, so `a` attacks `b` in the first month with
/// probability 1 and the war lasts to the end. `d` touches nobody.
const FORCED: &str = r#"(
    name: "forced",
    start: "1120-01",
    end: "1124-12",
    polities: [
        (id: "a", name: "A", strength: 1.0, potential: 1.0, mobilization_lag: 1.0,
         fear_gain: 0.0, fear_decay: 0.0, war_threshold: 0.0, war_propensity: 1.0,
         capitulation_propensity: 0.0),
        (id: "b", name: "B", strength: 1.0, potential: 1.0, mobilization_lag: 1.0,
         fear_gain: 0.0, fear_decay: 0.0, capitulation_propensity: 0.0),
        (id: "c", name: "C", strength: 1.0, potential: 1.0, mobilization_lag: 1.0,
         fear_gain: 0.0, fear_decay: 0.0),
        (id: "d", name: "D", strength: 1.0, potential: 1.0, mobilization_lag: 1.0,
         fear_gain: 0.0, fear_decay: 0.0),
    ],
    relations: [(from: "a", to: "b", contact: 1.0, fear: 1.0)],
    statuses: [(a: "b", b: "c", status: War(initiator: "b"))],
    events: [(id: "c_ends", from: "1120-01", effects: [Cease(polity: "c")])],
)"#;

const FORCED_PATTERNS: &str = r#"(patterns: [
    (name: "bc_first_month", rule: NoWar(a: "b", b: "c", from: "1120-01", to: "1120-01")),
    (name: "bc_after", rule: NoWar(a: "c", b: "b", from: "1120-02", to: "1124-12")),
    (name: "ab_last_month", rule: NoWar(a: "a", b: "b", from: "1124-12", to: "1124-12")),
    (name: "ac_all", rule: NoWar(a: "a", b: "c", from: "1120-01", to: "1124-12")),
    (name: "c_first_month", rule: AtPeaceWithAll(polity: "c", from: "1120-01", to: "1120-01")),
    (name: "c_after", rule: AtPeaceWithAll(polity: "c", from: "1120-02", to: "1124-12")),
    (name: "d_all", rule: AtPeaceWithAll(polity: "d", from: "1120-01", to: "1124-12")),
    (name: "b_mid", rule: AtPeaceWithAll(polity: "b", from: "1122-03", to: "1122-03")),
    (name: "onset_first_month", rule: OnsetWithin(a: "b", b: "a", from: "1120-01", to: "1120-01")),
    (name: "a_strikes", rule: Initiator(a: "a", b: "b", polity: "a")),
    (name: "after_c", rule: OnsetAfterCeased(a: "a", b: "b", polity: "c")),
    (name: "b_unready", rule: MobilizationBelow(a: "a", b: "b", polity: "b", level: 0.5)),
    (name: "b_below_zero", rule: MobilizationBelow(a: "a", b: "b", polity: "b", level: 0.0)),
])"#;

/// Which of FORCED_PATTERNS hold in every run of FORCED.
const FORCED_EXPECTED: [bool; 13] = [
    false, // b–c at war at the start of the first month (under way at start)
    true,  // and never again after c ceased
    false, // a–b at war to the end
    true,  // a–c never
    false, // c at war in the first month
    true,  // c gone afterwards
    true,  // d at peace throughout
    false, // b at war with a
    true,  // a attacks in the first month
    true,  // a started it
    true,  // c ceased in the onset month: counts as before it
    true,  // b's mobilization stays 0 (no fear)
    false, // 0 < 0 is false
];

fn forced() -> Model {
    let loaded = LoadedScenario::parse("forced.ron", FORCED).unwrap_or_else(|e| panic!("{e}"));
    loaded.validate().unwrap_or_else(|e| panic!("{e}"));
    Model::compile(&loaded.scenario)
}

fn expected_bits() -> u64 {
    FORCED_EXPECTED
        .iter()
        .enumerate()
        .fold(0, |m, (k, &b)| m | (u64::from(b) << k))
}

#[test]
fn no_war_and_at_peace_with_all_see_every_month_at_war() {
    let model = forced();
    let patterns = compile(FORCED_PATTERNS, &model);
    let mut ws = Workspace::new(&model);
    let mut tracker = patterns.tracker();
    for run in 0..20 {
        simulate(&model, 7, run, &mut ws, &mut tracker);
        assert_eq!(
            ws.outcome.dyads[model.dyad_of[1]].first_onset, 0,
            "the forced war begins at once"
        );
        assert_eq!(ws.outcome.ceased[2], 0, "c ceases at once");
        let m = tracker.matches(&ws.outcome);
        for (k, name) in patterns.names().iter().enumerate() {
            assert_eq!(bit(m, k), FORCED_EXPECTED[k], "run {run}: {name}");
        }
    }
}

#[test]
fn a_tracker_starts_afresh_at_month_zero() {
    let model = forced();
    let patterns = compile(FORCED_PATTERNS, &model);
    let mut ws = Workspace::new(&model);
    let mut tracker = patterns.tracker();
    simulate(&model, 7, 0, &mut ws, &mut tracker);
    assert_eq!(tracker.matches(&ws.outcome), expected_bits());
    // Now show it a history in which every pair is at peace at every month's end (a fresh
    // workspace): the a–b war of the last run must be forgotten, while b–c's war under way at
    // start still counts for the first month.
    let quiet = Workspace::new(&model);
    for t in 0..model.months {
        tracker.month_end(t, &quiet);
    }
    let m = tracker.matches(&ws.outcome);
    assert!(bit(m, 2), "a–b at peace in the last month of this history");
    assert!(bit(m, 7), "b at peace in 1122-03 of this history");
    assert!(!bit(m, 0) && !bit(m, 4), "b–c still at war at the start");
}

// ---------------------------------------------------------------------------------------------
// Bad pattern files
// ---------------------------------------------------------------------------------------------

fn assert_names(e: &ScenarioError, file: &str, path: &str, words: &str) {
    let text = e.to_string();
    assert!(
        e.problems
            .iter()
            .any(|p| p.file == file && p.path == path && p.message.contains(words)),
        "expected {file}: {path}: …{words}…, got:\n{text}"
    );
    assert!(text.contains(file) && text.contains(path), "{text}");
}

#[test]
fn bad_pattern_files_name_the_file_and_the_field() {
    let model = baseline();
    let ok = r#"OnsetWithin(a: "jin", b: "song", from: "1125-06", to: "1126-06")"#;
    let one = |rule: &str| format!("(patterns: [(name: \"onset_window\", rule: {rule})])");

    let e = refused(&one(&ok.replace("\"song\"", "\"sung\"")), &model);
    assert_names(
        &e,
        "bad.ron",
        "patterns.onset_window.rule.b",
        "unknown polity `sung`",
    );
    assert_eq!(e.problems[0].position, Some((1, 67)), "points at the bad id");

    let e = refused(&one(&ok.replace("b: \"song\"", "c: \"song\"")), &model);
    assert_names(
        &e,
        "bad.ron",
        "patterns[0].rule.OnsetWithin.c",
        "Unexpected field named `c`",
    );

    let e = refused(&one(r#"Initiator(a: "jin", b: "song", polty: "jin")"#), &model);
    assert_names(&e, "bad.ron", "patterns[0].rule.Initiator.polty", "`polty`");
    let e = refused(
        &one(r#"Not(All([MobilizationBelow(a: "jin", b: "song", polity: "song", levl: 0.9)]))"#),
        &model,
    );
    assert_names(
        &e,
        "bad.ron",
        "patterns[0].rule.Not.All[0].MobilizationBelow.levl",
        "`levl`",
    );

    let e = refused(&one(&ok.replace("\"1125-06\"", "\"1126-07\"")), &model);
    assert_names(&e, "bad.ron", "patterns.onset_window.rule.from", "empty window");
    let e = refused(
        &one(r#"NoWar(a: "jin", b: "koryo", from: "1115-01", to: "1143-01")"#),
        &model,
    );
    assert_names(
        &e,
        "bad.ron",
        "patterns.onset_window.rule.to",
        "outside the scenario's span",
    );

    let e = refused(&one(r#"Initiator(a: "jin", b: "song", polity: "koryo")"#), &model);
    assert_names(
        &e,
        "bad.ron",
        "patterns.onset_window.rule.polity",
        "not in the pair",
    );
    let e = refused(&one(r#"Initiator(a: "jin", b: "jin", polity: "jin")"#), &model);
    assert_names(&e, "bad.ron", "patterns.onset_window.rule.b", "same polity");
    let e = refused(
        &one(r#"ActsExceed(a: "jin", b: "song", actor: "song", months: 65)"#),
        &model,
    );
    assert_names(&e, "bad.ron", "patterns.onset_window.rule.months", "1 ..= 64");
    let e = refused(
        &one(r#"MobilizationBelow(a: "jin", b: "song", polity: "song", level: 1.5)"#),
        &model,
    );
    assert_names(&e, "bad.ron", "patterns.onset_window.rule.level", "0 ..= 1");
    let e = refused(&one("Any([])"), &model);
    assert_names(&e, "bad.ron", "patterns.onset_window.rule.Any", "empty");
    let e = refused(
        &one(&format!(
            "All([{ok}, Not(AtPeaceWithAll(polity: \"goryeo\", from: \"1126-01\", to: \"1142-12\"))])"
        )),
        &model,
    );
    assert_names(
        &e,
        "bad.ron",
        "patterns.onset_window.rule.All[1].Not.polity",
        "unknown polity",
    );

    let e = refused(
        &format!("(patterns: [(name: \"x\", rule: {ok}), (name: \"x\", rule: {ok})])"),
        &model,
    );
    assert_names(&e, "bad.ron", "patterns.x.name", "second pattern");
    let e = refused(&format!("(patterns: [(name: \"joint\", rule: {ok})])"), &model);
    assert_names(&e, "bad.ron", "patterns[0].name", "not a usable pattern name");
    let e = refused("(patterns: [])", &model);
    assert_names(&e, "bad.ron", "patterns", "no pattern");
    let many: Vec<String> = (0..65).map(|k| format!("(name: \"p{k}\", rule: {ok})")).collect();
    let e = refused(&format!("(patterns: [{}])", many.join(",")), &model);
    assert_names(&e, "bad.ron", "patterns", "at most 64");
    let e = refused(
        &format!("(patterns: [(name: \"x\", rule: {ok})], extra: 1)"),
        &model,
    );
    assert!(e.to_string().contains("bad.ron:1:"), "{e}");

    // Every problem of a file is reported, in file order.
    let e = refused(
        "(patterns: [\n  (name: \"a\", rule: Initiator(a: \"jin\", b: \"sung\", polity: \"jin\")),\n  (name: \"b\", rule: NoWar(a: \"jin\", b: \"koryo\", from: \"1120-01\", to: \"1119-01\")),\n])",
        &model,
    );
    let paths: Vec<(&str, Option<(usize, usize)>)> =
        e.problems.iter().map(|p| (p.path.as_str(), p.position)).collect();
    assert_eq!(
        paths,
        [
            ("patterns.a.rule.b", Some((2, 44))),
            ("patterns.b.rule.from", Some((3, 55)))
        ]
    );
    // A missing file is an error, not a panic.
    let e = PatternSet::read(Path::new("no/such/patterns.ron")).unwrap_err();
    assert!(e.to_string().contains("no/such/patterns.ron"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Counting on the baseline
// ---------------------------------------------------------------------------------------------

fn on_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn count_matches_is_the_same_on_any_thread_count_and_split() {
    let model = baseline();
    let patterns = history(&model);
    let runs = 600; // two full chunks of 256 and a partial one
    let one = on_pool(1, || count_matches(&model, &patterns, 1125, 0, runs, &|_| {}));
    let two = on_pool(2, || count_matches(&model, &patterns, 1125, 0, runs, &|_| {}));
    assert_eq!(one, two);
    assert_eq!(one.runs, runs);
    let mut split = on_pool(2, || count_matches(&model, &patterns, 1125, 0, 300, &|_| {}));
    split.merge(&on_pool(3, || {
        count_matches(&model, &patterns, 1125, 300, runs - 300, &|_| {})
    }));
    assert_eq!(split, one, "runs 0..300 and 300..600 add up to runs 0..600");

    // The same counts with a fresh tracker and workspace for every run, one after the other.
    let mut by_hand = PatternCounts::new(patterns.names().len());
    for r in 0..runs {
        let mut ws = Workspace::new(&model);
        let mut tracker = patterns.tracker();
        simulate(&model, 1125, r, &mut ws, &mut tracker);
        by_hand.add(tracker.matches(&ws.outcome));
    }
    assert_eq!(by_hand, one, "a reused tracker forgets the previous run");
}

/// The tracker's counts agree with what the engine's own tally (`summary.json`) records about
/// the same runs, wherever both measure the same thing.
#[test]
fn history_patterns_agree_with_the_engine_tally_and_give_probabilities() {
    let model = baseline();
    let patterns = history(&model);
    assert_eq!(
        patterns.names(),
        [
            "onset_window",
            "jin_strikes",
            "provocation_precedes",
            "after_liao",
            "no_jin_koryo_war",
            "koryo_stays_out",
            "song_unready"
        ]
    );
    let runs = 2_000;
    let counts = count_matches(&model, &patterns, 1125, 0, runs, &|_| {});
    let tally = Batch {
        model: &model,
        seed: 1125,
        first_run: 0,
        runs,
    }
    .run(&|_| {});
    let id = |s: &str| model.ids.iter().position(|x| x == s).unwrap();
    let (jin, song, koryo) = (id("jin"), id("song"), id("koryo"));
    let js = &tally.dyads[model.dyad_of[jin * model.n + song]];
    let side = |i: usize, d: usize| usize::from(model.dyads[d].0 != i);
    let d_js = model.dyad_of[jin * model.n + song];
    let window = offset(&model, "1125-06") as usize..=offset(&model, "1126-06") as usize;
    assert_eq!(counts.matched[0], js.onsets_by_month[window].iter().sum::<u64>());
    assert_eq!(counts.matched[1], js.initiator[side(jin, d_js)]);
    assert_eq!(counts.matched[6], js.unready_at_onset[side(song, d_js)]);
    // Jin and Koryo are at peace at start, so "no war in any month" is "no onset".
    let jk = &tally.dyads[model.dyad_of[jin * model.n + koryo]];
    assert_eq!(counts.matched[4], runs - jk.war_runs);

    for (k, &m) in counts.matched.iter().enumerate() {
        assert!(m <= runs, "pattern {k}");
        assert!(counts.joint <= m, "joint ≤ each pattern");
    }
    let report = ScoreReport::new(&patterns.names(), &[("baseline".into(), counts.clone())]);
    let joint = &report.scenarios[0].joint;
    assert!((0.0..=1.0).contains(&joint.rate));
    assert!(joint.ci95[0] <= joint.rate && joint.rate <= joint.ci95[1]);
    assert_eq!(joint.rate, counts.joint as f64 / runs as f64);

    // provoked_first (onsets where the target had committed more acts than the initiator in the
    // 36 months before) written with the combinators.
    let provoked = compile(
        r#"(patterns: [(name: "provoked_first", rule: Any([
            All([Initiator(a: "jin", b: "song", polity: "jin"), ActsExceed(a: "jin", b: "song", actor: "song", months: 36)]),
            All([Initiator(a: "jin", b: "song", polity: "song"), ActsExceed(a: "jin", b: "song", actor: "jin", months: 36)]),
        ]))])"#,
        &model,
    );
    let c = count_matches(&model, &provoked, 1125, 0, runs, &|_| {});
    assert_eq!(c.matched[0], js.provoked_first);
    assert_eq!(c.joint, c.matched[0], "one pattern: joint is that pattern");

    // A pair at war at start is at war in its first month in every run.
    let liao = compile(
        r#"(patterns: [(name: "jin_liao", rule: NoWar(a: "jin", b: "liao", from: "1115-01", to: "1115-01"))])"#,
        &model,
    );
    assert_eq!(count_matches(&model, &liao, 1125, 0, 300, &|_| {}).matched[0], 0);
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

fn counts(runs: u64, matched: &[u64], joint: u64) -> PatternCounts {
    PatternCounts {
        runs,
        matched: matched.to_vec(),
        joint,
        joint_by_file: Vec::new(),
    }
}

#[test]
fn pattern_counts_add_and_merge() {
    let mut c = PatternCounts::new(3);
    for bits in [0b111, 0b011, 0b1111, 0b100, 0] {
        c.add(bits);
    }
    assert_eq!(
        c,
        counts(5, &[3, 3, 3], 2),
        "bits above the pattern count are ignored"
    );
    let mut d = PatternCounts::new(3);
    d.add(0b111);
    let mut e = c.clone();
    e.merge(&d);
    let mut f = d.clone();
    f.merge(&c);
    assert_eq!(e, f);
    assert_eq!(e, counts(6, &[4, 4, 4], 3));
}

#[test]
fn report_ranks_by_joint_rate_and_writes_the_issue_format() {
    let names: Vec<String> = vec!["zeta".into(), "alpha".into()];
    let results = vec![
        ("b_reading".to_string(), counts(200, &[120, 80], 60)), // joint 0.3
        ("c_reading".to_string(), counts(100, &[70, 60], 50)),  // joint 0.5
        ("a_reading".to_string(), counts(100, &[40, 90], 30)),  // joint 0.3: ties b by name
    ];
    let report = ScoreReport::new(&names, &results);
    let order: Vec<&str> = report.scenarios.iter().map(|s| s.scenario.as_str()).collect();
    assert_eq!(order, ["c_reading", "a_reading", "b_reading"]);

    let json = report.to_json();
    assert!(json.ends_with("}\n"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let top: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(top, ["patterns", "ratios", "scenarios"]);
    assert_eq!(v["patterns"], serde_json::json!(["zeta", "alpha"]));
    let s = &v["scenarios"][0];
    let mut keys: Vec<&String> = s.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["joint", "patterns", "runs", "scenario"]);
    assert_eq!(s["scenario"], "c_reading");
    assert_eq!(s["runs"], 100);
    let (lo, hi) = wilson(70, 100, Z95);
    assert_eq!(
        s["patterns"]["zeta"],
        serde_json::json!({"rate": 0.7, "ci95": [lo, hi]})
    );
    let (lo, hi) = wilson(50, 100, Z95);
    assert_eq!(s["joint"], serde_json::json!({"rate": 0.5, "ci95": [lo, hi]}));
    // Pattern keys keep the pattern file's order (zeta before alpha), not alphabetical order.
    let first = &json[json.find("\"c_reading\"").unwrap()..];
    assert!(first.find("\"zeta\"").unwrap() < first.find("\"alpha\"").unwrap());
    // Ratios: best against each other scenario, in ranking order.
    assert_eq!(v["ratios"].as_array().unwrap().len(), 2);
    assert_eq!(v["ratios"][0]["best"], "c_reading");
    assert_eq!(v["ratios"][0]["scenario"], "a_reading");
    assert!((v["ratios"][0]["ratio"].as_f64().unwrap() - 0.5 / 0.3).abs() < 1e-12);
    assert_eq!(v["ratios"][0]["zero_corrected"], false);

    let csv = report.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "scenario,pattern,matched,runs,rate,ci_low,ci_high");
    assert_eq!(lines.len(), 1 + 3 * 3);
    assert!(lines[1].starts_with("c_reading,zeta,70,100,0.7,"), "{}", lines[1]);
    assert!(
        lines[3].starts_with("c_reading,joint,50,100,0.5,"),
        "{}",
        lines[3]
    );
    assert!(
        lines[9].starts_with("b_reading,joint,60,200,0.3,"),
        "{}",
        lines[9]
    );

    let table = report.table();
    for word in [
        "zeta",
        "alpha",
        "joint",
        "c_reading (100 runs)",
        "best/this",
        "1 (best)",
        "1.667",
    ] {
        assert!(table.contains(word), "{word} missing from\n{table}");
    }
    assert!(
        table.lines().next().unwrap().find("c_reading") < table.lines().next().unwrap().find("a_reading")
    );
}

#[test]
fn katz_interval_for_the_ratio_of_joint_rates() {
    // 30/100 against 15/100: ratio 2, ln-scale SE √(1/30 − 1/100 + 1/15 − 1/100) = √0.08.
    let r = rate_ratio(30, 100, 15, 100, Z95).unwrap();
    assert!((r.ratio - 2.0).abs() < 1e-12);
    assert!((r.low - 1.148_877_8).abs() < 1e-6, "{}", r.low);
    assert!((r.high - 3.481_658_3).abs() < 1e-6, "{}", r.high);
    assert!(!r.corrected);
    // A zero count: 0.5 added to every cell, 20.5/101 against 0.5/101.
    let r = rate_ratio(20, 100, 0, 100, Z95).unwrap();
    assert!(r.corrected);
    assert!((r.ratio - 41.0).abs() < 1e-9);
    assert!((r.low - 2.513_700_4).abs() < 1e-6 && (r.high - 668.735_23).abs() < 1e-3);
    assert!(rate_ratio(1, 0, 1, 10, Z95).is_none());
    // A scenario against an identical one: ratio 1, interval around it.
    let r = rate_ratio(40, 100, 40, 100, Z95).unwrap();
    assert!(r.ratio == 1.0 && r.low < 1.0 && r.high > 1.0);

    let names = vec!["p".to_string()];
    let report = ScoreReport::new(
        &names,
        &[
            ("none".to_string(), counts(100, &[0], 0)),
            ("some".to_string(), counts(100, &[20], 20)),
        ],
    );
    assert_eq!(report.ratios[0].scenario, "none");
    assert!(report.ratios[0].zero_corrected);
    assert!(report.ratios[0].ratio.unwrap().is_finite());
    assert!(report.table().contains('*'));
}

/// A problem with a string value of a pattern (a polity id, a pattern's name, a month) points at
/// the literal that reads as that value, however the file writes it: plain, with a raw control
/// character or non-ASCII letter, or with any of RON's escapes.
#[test]
fn a_string_value_is_located_however_it_is_written() {
    let model = baseline();
    // 1-based (line, column) of the `n`-th (0-based) occurrence of `marker` + its length.
    let at = |text: &str, marker: &str, n: usize| -> Option<(usize, usize)> {
        let (byte, _) = text.match_indices(marker).nth(n)?;
        let byte = byte + marker.len();
        let before = &text[..byte];
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        Some((line, before[start..].chars().count() + 1))
    };
    for literal in [
        "sung",
        "so\u{0}ng",
        "so\tng",
        "sé",
        r"so\u{0}ng",
        r"so\tng",
        r"s\u{e9}",
        r#"so\"ng"#,
    ] {
        let text = format!(
            "(patterns: [\n (name: \"a\", description: \"\", rule: Initiator(a: \"jin\", b: \"song\", polity: \"jin\")),\n\n\n (name: \"b\", description: \"\", rule: Initiator(a: \"jin\", b: \"song\", polity: \"{literal}\")),\n])"
        );
        let e = refused(&text, &model);
        assert_eq!(
            e.problems[0].position,
            at(&text, "polity: ", 1),
            "{literal:?}: {e}"
        );
        assert!(
            e.to_string().contains("patterns.b.rule.polity"),
            "{literal:?}: {e}"
        );
        // The same writing as a pattern's name, twice: a duplicate, or not a usable name.
        let dup = format!(
            "(patterns: [\n (name: \"{literal}\", description: \"\", rule: Initiator(a: \"jin\", b: \"song\", polity: \"jin\")),\n (name: \"{literal}\", description: \"\", rule: Initiator(a: \"jin\", b: \"song\", polity: \"jin\")),\n])"
        );
        let e = refused(&dup, &model);
        let pos = e.problems[0].position;
        assert!(
            pos.is_some() && (pos == at(&dup, "name: ", 0) || pos == at(&dup, "name: ", 1)),
            "{literal:?} as a name: {e}"
        );
    }
    // A month outside the span is found by the literal that reads as it.
    let text = "(patterns: [\n (name: \"w\", description: \"\", rule: NoWar(a: \"jin\", b: \"song\", from: \"1200-01\", to: \"1201-01\")),\n])";
    let e = refused(text, &model);
    assert_eq!(e.problems[0].position, at(text, "from: ", 0), "{e}");
}
