//! Model 3's mechanisms through the library API and the binary: the front against the exact
//! stationary law of its birth–death chain, the front without a gradient as the old walk,
//! bargaining against Fearon's closed form, treaties (full strength, enforcement, regret), the
//! new switches off as Model 2, and the range checks of the new fields.

use jinsong::engine::chronicle::Chronicle;
use jinsong::engine::{simulate, Happening, Observer, Workspace};
use jinsong::model::front::{projected_force, stalemate};
use jinsong::model::settlement::cost_of_war;
use jinsong::model::war::{contest_win_probability, loss_share};
use jinsong::model::{DyadStatus, Model};
use jinsong::scenario::{LoadedScenario, Scenario};
use jinsong::stats::{wilson, Z99};

use crate::common::{load, set};

/// A polity of a two-polity duel: fully mobilized for good (mobilization 1 and a fear of 5 that
/// never decays keep the target at 1), no capitulation; `extra` adds fields.
fn duelist(id: &str, strength: f64, extra: &str) -> String {
    format!(
        "(id: \"{id}\", name: \"{id}\", strength: {strength:?}, potential: 1.0, mobilization: 1.0,
          mobilization_lag: 1.0, fear_gain: 0.0, fear_decay: 0.0, capitulation_propensity: 0.0, {extra})"
    )
}

/// Two polities `a` and `b` at war from the start, with the given mechanisms, rules and the
/// extra fields of each polity; `events` is the text of the events list.
#[allow(clippy::too_many_arguments)]
fn duel(
    end: &str,
    mechanisms: &str,
    rules: &str,
    strength_a: f64,
    extra_a: &str,
    strength_b: f64,
    extra_b: &str,
    events: &str,
) -> Scenario {
    let text = format!(
        "(name: \"duel\", start: \"1000-01\", end: \"{end}\",
          mechanisms: ({mechanisms}),
          rules: ({rules}),
          polities: [{}, {}],
          relations: [(from: \"a\", to: \"b\", contact: 1.0, fear: 5.0), (from: \"b\", to: \"a\", contact: 1.0, fear: 5.0)],
          statuses: [(a: \"a\", b: \"b\", status: War(initiator: \"a\"))],
          events: [{events}])",
        duelist("a", strength_a, extra_a),
        duelist("b", strength_b, extra_b)
    );
    load("duel.ron", &text)
}

// ---------------------------------------------------------------------------------------------
// 1. The front against its closed form.

/// The exact stationary mean and standard deviation of the front's birth–death chain on the
/// lattice `{k · step}` clamped to `[−1, 1]`: from `B` the balance rises by `step` with
/// `p(B) = F̃_a / (F̃_a + F̃_b)` (the projected forces, decisiveness 1) and falls otherwise, a
/// move past an end staying there. Detailed balance gives `π_{k+1} / π_k = p_k / (1 − p_{k+1})`
/// (the self-loops at the clamped ends do not enter it); computed in logs, normalized.
fn front_law(fa: f64, fb: f64, la: f64, lb: f64, step: f64) -> (f64, f64) {
    let n = (1.0 / step).round() as i64;
    let b: Vec<f64> = (-n..=n).map(|k| k as f64 * step).collect();
    let p = |x: f64| contest_win_probability(projected_force(fa, la, x), projected_force(fb, lb, -x), 1.0);
    let mut log_pi = vec![0.0];
    for k in 0..b.len() - 1 {
        let next = log_pi[k] + p(b[k]).ln() - (1.0 - p(b[k + 1])).ln();
        log_pi.push(next);
    }
    let top = log_pi.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = log_pi.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = w.iter().sum();
    let mean = w.iter().zip(&b).map(|(w, x)| w * x).sum::<f64>() / total;
    let var = w.iter().zip(&b).map(|(w, x)| w * (x - mean).powi(2)).sum::<f64>() / total;
    (mean, var.sqrt())
}

/// The balance of pair 0 at the end of every month.
#[derive(Default)]
struct Balances(Vec<f64>);

impl Observer for Balances {
    fn month_end(&mut self, _t: u32, ws: &Workspace) {
        assert!(matches!(ws.status(0), DyadStatus::War { .. }));
        self.0.push(ws.balance(0));
    }
}

/// The front's balance is a birth–death chain whose exact stationary law (`front_law`) the
/// time averages of many independent runs match, for force ratios 1, 2, 4 and gradients 1, 2,
/// 4 (both sides alike), and for four pairs of unequal gradients (the stronger side's, which
/// sets the stalemate, steeper or shallower; *a* or *b* the stronger): the mean of `B` and of
/// `(B − μ)²` over months 240–599 of each run.
///
/// Tolerance: the run averages are independent and identically distributed, so their mean lies
/// within `Z · s / √R` of its expectation (`s` their sample sd, `R` runs) with the normal
/// approximation; `Z = 4` (two-sided 6·10⁻⁵ per check, 26 checks: a family-wise level under
/// 0.2%). The 240 months of burn-in are at least 6 relaxation times of the slowest case (the
/// OU rate below, `step · λ / 2` = 1/40 per month at λ = 1, 1/80 at λ = ½ where the stalemate
/// is 0.35 from the start), so the start at 0 biases the mean by well under the interval.
///
/// The OU approximation: near the stalemate `B*` (`front::stalemate`) the drift per month is
/// `step · (2p − 1) ≈ −(step · λ / 2)(B − B*)`, λ the gradient of the side that advances, and
/// the variance per month `step²`, so the stationary law is about normal with mean `B*` and sd
/// `√(step / λ)`. Where `B* ± 3` OU sd lies inside `[−1, 1]` (no clamp within reach) the exact
/// mean is within 5% of an OU sd of `B*` and the exact sd within 5% of the OU sd (the lattice
/// adds about `step² / 12` to the variance).
#[test]
fn the_front_matches_the_exact_law_of_its_chain() {
    let step = 0.05;
    let (runs, burn, months) = (300u64, 240usize, 600usize);
    let z = 4.0;
    let mut cases = Vec::new();
    for ratio in [1.0, 2.0, 4.0] {
        for lambda in [1.0, 2.0, 4.0] {
            cases.push((ratio * 0.25, 0.25, lambda, lambda));
        }
    }
    cases.extend([
        (0.5, 0.25, 2.0, 0.5),
        (0.25, 0.5, 0.5, 2.0),
        (0.75, 0.25, 4.0, 1.0),
        (0.25, 1.0, 1.0, 4.0),
    ]);
    for (fa, fb, la, lb) in cases {
        let case = format!("forces {fa} vs {fb}, gradients {la} and {lb}");
        let sc = duel(
            "1049-12",
            "truces: false, front: true",
            "contest_decisiveness: 1.0, war_step: 0.05, war_cost: 0.0, war_unrest: 0.0, strength_recovery: 0.0",
            fa,
            &format!("projection_decay: {la:?}"),
            fb,
            &format!("projection_decay: {lb:?}"),
            "",
        );
        let model = Model::compile(&sc);
        let mut ws = Workspace::new(&model);
        let (mu, sd) = front_law(fa, fb, la, lb, step);
        let (mut means, mut vars) = (Vec::new(), Vec::new());
        for run in 0..runs {
            let mut seen = Balances::default();
            simulate(&model, 11, run, &mut ws, &mut seen);
            assert_eq!(seen.0.len(), months);
            let kept = &seen.0[burn..];
            let n = kept.len() as f64;
            means.push(kept.iter().sum::<f64>() / n);
            vars.push(kept.iter().map(|b| (b - mu).powi(2)).sum::<f64>() / n);
        }
        for (what, xs, exact) in [("mean", &means, mu), ("variance", &vars, sd * sd)] {
            let r = xs.len() as f64;
            let avg = xs.iter().sum::<f64>() / r;
            let s = (xs.iter().map(|x| (x - avg).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
            let half = z * s / r.sqrt();
            assert!(
                (avg - exact).abs() <= half,
                "{case}: {what} {avg:.5} ± {half:.5}, exact {exact:.5}"
            );
        }
        let star = stalemate(fa, fb, la, lb);
        let advancing = if fa >= fb { la } else { lb };
        let ou = (step / advancing).sqrt();
        if star + 3.0 * ou <= 1.0 && star - 3.0 * ou >= -1.0 {
            assert!(
                (mu - star).abs() <= 0.05 * ou,
                "{case}: exact mean {mu:.5}, stalemate {star:.5}"
            );
            assert!(
                (sd / ou - 1.0).abs() <= 0.05,
                "{case}: exact sd {sd:.5}, OU sd {ou:.5}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The front without a gradient is the old walk.

/// The state of every month: the balance, both strengths and the status, as bits.
#[derive(Default)]
struct Path(Vec<(u64, u64, u64, String)>);

impl Observer for Path {
    fn month_end(&mut self, _t: u32, ws: &Workspace) {
        self.0.push((
            ws.balance(0).to_bits(),
            ws.strength(0).to_bits(),
            ws.strength(1).to_bits(),
            format!("{:?}", ws.status(0)),
        ));
    }
}

/// With `front` on and every `projection_decay` (and `army_growth`) 0, a war without truces or
/// capitulation runs bit for bit as with `front` off: the same balance, strengths and outcome
/// every month of every run. A gradient does change the runs (so the comparison can fail).
#[test]
fn a_front_without_gradient_is_the_old_walk() {
    let rules = "war_step: 0.05, war_cost: 0.02, strength_recovery: 0.05";
    let run_all = |mechanisms: &str, decay: f64| {
        let extra = format!("projection_decay: {decay:?}");
        let sc = duel("1019-12", mechanisms, rules, 0.9, &extra, 0.6, &extra, "");
        let model = Model::compile(&sc);
        let mut ws = Workspace::new(&model);
        (0..300)
            .map(|run| {
                let mut path = Path::default();
                simulate(&model, 5, run, &mut ws, &mut path);
                (path.0, format!("{:?}", ws.outcome))
            })
            .collect::<Vec<_>>()
    };
    let off = run_all("truces: false", 0.0);
    let flat = run_all("truces: false, front: true", 0.0);
    assert!(off == flat, "front on without a gradient differs from front off");
    let moved = off
        .iter()
        .filter(|(p, _)| p.iter().any(|m| m.0 != 0.0f64.to_bits()))
        .count();
    assert_eq!(moved, off.len(), "the balance never moved");
    let steep = run_all("truces: false, front: true", 3.0);
    assert!(off != steep, "a gradient of 3 changes nothing");
}

/// The balance and whether the pair is at war, at the end of every month.
#[derive(Default)]
struct Fronts(Vec<(f64, bool)>);

impl Observer for Fronts {
    fn month_end(&mut self, _t: u32, ws: &Workspace) {
        let war = matches!(ws.status(0), DyadStatus::War { .. });
        self.0.push((ws.balance(0), war));
    }
}

/// With `front` the balance is kept through a truce and the next war starts from it: the month
/// a truce is made it stays where the war's last month left it, it does not move while the pair
/// is not at war, and the month a war begins it moves one step from there. With `front` off it
/// is reset to 0 at the truce and moves one step from 0 in the first month of a war. Wars recur here (truces of a year, fear that never fades).
#[test]
fn the_front_is_kept_through_a_truce() {
    let step = 0.05;
    for front in [true, false] {
        let sc = duel(
            "1029-12",
            &format!("front: {front}"),
            "war_step: 0.05, war_cost: 0.0, war_unrest: 0.0, truce_months: 12, talks_success: 1.0",
            1.0,
            "projection_decay: 2.0, talk_propensity: 0.3, war_propensity: 0.1, war_threshold: 1.0",
            0.5,
            "projection_decay: 1.0, talk_propensity: 0.3, war_propensity: 0.1, war_threshold: 1.0",
            "",
        );
        let model = Model::compile(&sc);
        let mut ws = Workspace::new(&model);
        let (mut renewed, mut kept_away) = (0, 0);
        for run in 0..200 {
            let mut seen = Fronts::default();
            simulate(&model, 13, run, &mut ws, &mut seen);
            for pair in seen.0.windows(2) {
                let [(before, was_war), (after, war)] = [pair[0], pair[1]];
                match (was_war, war) {
                    (false, false) => assert_eq!(after, before, "the front moved out of war"),
                    (false, true) => {
                        let from = if front { before } else { 0.0 };
                        let moved = (after - from).abs();
                        let clamped = after.abs() == 1.0 && moved <= step + 1e-12;
                        assert!(
                            (moved - step).abs() < 1e-12 || clamped,
                            "front {front}: a war began at {after} after {before}"
                        );
                        if !front {
                            assert_eq!(before, 0.0);
                        }
                        renewed += 1;
                    }
                    (true, false) => {
                        let kept = if front { before } else { 0.0 };
                        assert_eq!(after, kept, "front {front}: a truce left {after} after {before}");
                        if front && before != 0.0 {
                            kept_away += 1;
                        }
                    }
                    (true, true) => {}
                }
            }
        }
        assert!(!front || kept_away > 200, "only {kept_away} truces away from 0");
        assert!(renewed > 200, "front {front}: only {renewed} wars renewed");
    }
}

/// Strengths of a and b at the end of every month.
#[derive(Default)]
struct Strengths(Vec<(f64, f64)>);

impl Observer for Strengths {
    fn month_end(&mut self, _t: u32, ws: &Workspace) {
        self.0.push((ws.strength(0), ws.strength(1)));
    }
}

/// New armies in closed form: a mobilized polity (mobilization 1) with `army_growth` g below its
/// ceiling `armies_per_potential · potential` = 2 closes g of the gap each month, and with full
/// recovery and no war costs its strength follows its base, so after month n (from 0) it is
/// `2 − (2 − s₀)(1 − g)^(n+1)` (to 1e-12: rounding over at most 120 products); a polity without
/// growth, or above its ceiling, keeps its strength exactly.
#[test]
fn new_armies_close_the_gap_to_the_ceiling_geometrically() {
    for (g, s0) in [(0.05f64, 0.5f64), (0.2, 1.9), (0.1, 2.5)] {
        let sc = duel(
            "1009-12",
            "truces: false, front: true",
            "war_cost: 0.0, war_unrest: 0.0, strength_recovery: 1.0, armies_per_potential: 2.0",
            s0,
            &format!("army_growth: {g:?}"),
            0.5,
            "",
            "",
        );
        let model = Model::compile(&sc);
        let mut ws = Workspace::new(&model);
        let mut seen = Strengths::default();
        simulate(&model, 2, 0, &mut ws, &mut seen);
        assert_eq!(seen.0.len(), 120);
        for (n, &(a, b)) in seen.0.iter().enumerate() {
            let expected = if s0 < 2.0 {
                2.0 - (2.0 - s0) * (1.0 - g).powi(n as i32 + 1)
            } else {
                s0
            };
            assert!(
                (a - expected).abs() < 1e-12,
                "g {g}, s₀ {s0}, month {n}: {a} against {expected}"
            );
            assert_eq!(b, 0.5, "b has no growth");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Bargaining against Fearon's closed form.

/// Strength, mobilization and stability of a and b at a month's end.
type State = [(f64, f64, f64); 2];

/// What a bargaining test sees: every offer with the state at the end of the month before it
/// (the talks come before the month's fighting, and nothing else moves strengths or stability
/// in between), and every talks' outcome.
#[derive(Default)]
struct Talks {
    /// Strength, mobilization and stability of a and b at the last month's end.
    last: Option<State>,
    /// (month, seeker, line, surplus, the state before), one per offer.
    offers: Vec<(u32, usize, f64, f64, Option<State>)>,
    /// (month, truce) per talks.
    talks: Vec<(u32, bool)>,
    /// The months each war began in (the start's war at 0).
    wars: Vec<u32>,
}

impl Observer for Talks {
    fn happening(&mut self, t: u32, what: Happening) {
        match what {
            Happening::Offer {
                seeker,
                surplus,
                line,
                junior,
                ..
            } => {
                assert!(!junior, "no tribute gain, no junior status");
                self.offers.push((t, seeker, line, surplus, self.last));
            }
            Happening::Talks { truce, .. } => self.talks.push((t, truce)),
            Happening::WarBegins { .. } => self.wars.push(t),
            _ => {}
        }
    }
    fn month_end(&mut self, _t: u32, ws: &Workspace) {
        let s = |x: usize| (ws.strength(x), ws.mobilization(x), ws.stability(x));
        self.last = Some([s(0), s(1)]);
    }
}

/// The bargaining duel: `a` stronger than `b`, both with a gradient, war costs and court burdens,
/// `a`'s court proud (status rigidity ¼); truces turn to peace after two years, so wars recur.
fn bargaining_duel(noise: f64, share: f64, bias: f64) -> Scenario {
    let rules = format!(
        "war_step: 0.05, war_cost: 0.01, war_unrest: 0.0, strength_recovery: 0.05,
         settlement_horizon: 24.0, settlement_noise: {noise:?}, seeker_share: {share:?},
         cession_per_line: 0.2, truce_months: 24"
    );
    let text_a = "projection_decay: 1.5, war_burden: 0.01, status_rigidity: 0.25, talk_propensity: 0.2, stability: 1.0";
    let text_b =
        "projection_decay: 1.0, war_burden: 0.02, status_rigidity: 0.0, talk_propensity: 0.2, stability: 1.0";
    let sc = duel(
        "1029-12",
        "front: true, bargaining: true",
        &rules,
        1.0,
        text_a,
        0.5,
        text_b,
        "",
    );
    if bias == 1.0 {
        return sc;
    }
    let sc = set(&sc, "relations.a.b.strength_bias", &format!("{bias:?}"));
    set(&sc, "relations.b.a.strength_bias", &format!("{bias:?}"))
}

/// Runs `sc` `runs` times under seed 3 and collects what `Talks` sees, one per run.
fn talks_of(sc: &Scenario, runs: u64) -> Vec<Talks> {
    let model = Model::compile(sc);
    let mut ws = Workspace::new(&model);
    (0..runs)
        .map(|run| {
            let mut seen = Talks::default();
            simulate(&model, 3, run, &mut ws, &mut seen);
            seen
        })
        .collect()
}

/// The cost of war to `x` (0: a, 1: b) as the engine counts it, from the state before the
/// talks: `(1 − r_x) · H · (war_cost · share_x + d_x · (2 − σ_x))`, share_x the enemy's share of
/// the forces.
fn cost(x: usize, state: &State) -> f64 {
    let (rigidity, burden) = [(0.25, 0.01), (0.0, 0.02)][x];
    let force = |k: usize| state[k].0 * state[k].1;
    let share = loss_share(force(x), force(1 - x));
    cost_of_war(24.0, 0.01, share, burden, state[x].2, rigidity)
}

/// Perfect information, no noise, an ultimatum (`seeker_share` 1): every opened talks ends in a
/// truce at its first offer, whose surplus is exactly 0 (at least 0 where the line is clamped
/// at ±1). With `seeker_share` ½ the surplus is `½ (C_i + C_j)`, the costs computed from their
/// formula and the state before the talks (to 1e-12: a few roundings of numbers below 2).
#[test]
fn bargaining_under_perfect_information_clears_at_the_first_offer() {
    let mut offers = 0;
    for seen in talks_of(&bargaining_duel(0.0, 1.0, 1.0), 300) {
        assert!(seen.talks.iter().all(|&(_, truce)| truce), "{:?}", seen.talks);
        assert_eq!(seen.talks.len(), seen.offers.len());
        for &(t, _, line, surplus, _) in &seen.offers {
            if line.abs() < 1.0 {
                assert_eq!(surplus, 0.0, "month {t}: line {line}");
            } else {
                assert!(surplus >= 0.0, "month {t}: line {line}, surplus {surplus}");
            }
            offers += 1;
        }
    }
    assert!(offers >= 300, "only {offers} offers");

    let mut checked = 0;
    for seen in talks_of(&bargaining_duel(0.0, 0.5, 1.0), 300) {
        assert!(seen.talks.iter().all(|&(_, truce)| truce));
        for &(t, _, line, surplus, state) in &seen.offers {
            let Some(state) = state else { continue };
            if line.abs() >= 1.0 {
                continue;
            }
            let expected = 0.5 * (cost(0, &state) + cost(1, &state));
            assert!(
                (surplus - expected).abs() < 1e-12,
                "month {t}: surplus {surplus}, (1 − s)(C_i + C_j) = {expected}"
            );
            assert!(expected > 0.0);
            checked += 1;
        }
    }
    assert!(checked >= 250, "only {checked} offers checked");
}

/// Both sides optimistic (each sees the other at half its strength), no noise: no offer clears
/// until learning closes the gap. Within a war the surplus of successive offers only rises
/// (forces and costs are fixed without war costs; perceptions only move toward the truth);
/// every refused offer has a surplus below 0, every accepted one at least 0; the first offer
/// of the first war is refused, and most wars still end in a truce. With the truth, the same
/// scenario's first offer clears.
#[test]
fn optimism_on_both_sides_delays_the_bargain_until_learning() {
    let optimists = {
        let sc = bargaining_duel(0.0, 0.5, 0.5);
        let sc = set(&sc, "rules.war_cost", "0.0");
        let sc = set(&sc, "rules.talks_learning", "0.1");
        set(&sc, "rules.war_learning", "0.02")
    };
    let (mut refused, mut accepted) = (0, 0);
    for seen in talks_of(&optimists, 200) {
        let first = seen.offers.first().expect("talks in every run");
        assert!(first.3 < 0.0, "the first offer clears: {first:?}");
        for (k, (&(_, truce), offer)) in seen.talks.iter().zip(&seen.offers).enumerate() {
            if truce {
                assert!(offer.3 >= 0.0, "{offer:?}");
                accepted += 1;
            } else {
                assert!(offer.3 < 0.0, "{offer:?}");
                refused += 1;
            }
            // Within one war (no war began between them) the surplus does not fall.
            if let Some(prev) = k.checked_sub(1).map(|p| seen.offers[p]) {
                let same_war = !seen.wars.iter().any(|&w| w > prev.0 && w <= offer.0);
                if same_war {
                    assert!(
                        offer.3 >= prev.3 - 1e-12,
                        "the surplus fell from {} to {}",
                        prev.3,
                        offer.3
                    );
                }
            }
        }
    }
    assert!(
        accepted > 100 && refused > accepted,
        "{accepted} accepted, {refused} refused"
    );
    let truthful = {
        let sc = bargaining_duel(0.0, 0.5, 1.0);
        set(&sc, "rules.war_cost", "0.0")
    };
    for seen in talks_of(&truthful, 50) {
        assert!(seen.talks.first().is_some_and(|t| t.1), "{:?}", seen.talks);
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Treaties.

/// What a treaty test sees: breaches (initiator, month), defaults (debtor, creditor, month), and
/// truces made.
#[derive(Default)]
struct Treaties {
    breaches: Vec<(usize, u32)>,
    defaults: Vec<(usize, usize, u32)>,
    truces: u32,
    juniors: u32,
}

impl Observer for Treaties {
    fn happening(&mut self, t: u32, what: Happening) {
        match what {
            Happening::WarBegins {
                initiator,
                breach: true,
                ..
            } => self.breaches.push((initiator, t)),
            Happening::Default { debtor, creditor } => self.defaults.push((debtor, creditor, t)),
            Happening::Talks { truce: true, .. } => self.truces += 1,
            Happening::VassalAccepted { .. } => self.juniors += 1,
            _ => {}
        }
    }
}

fn treaties_of(sc: &Scenario, runs: u64) -> Vec<Treaties> {
    let model = Model::compile(sc);
    let mut ws = Workspace::new(&model);
    (0..runs)
        .map(|run| {
            let mut seen = Treaties::default();
            simulate(&model, 9, run, &mut ws, &mut seen);
            assert_eq!(
                u32::from(ws.outcome.dyads[0].truces_broken),
                seen.breaches.len() as u32
            );
            seen
        })
        .collect()
}

/// The treaty duel: `a` stronger, both with a gradient, bargaining with noise, treaties on, a
/// truce that lasts the whole run (so each run's treaty is the only one unless broken).
fn treaty_duel(rules: &str, extra_a: &str, extra_b: &str, events: &str) -> Scenario {
    let rules = format!(
        "war_step: 0.05, war_cost: 0.0, war_unrest: 0.0, strength_recovery: 0.0, truce_months: 1200,
         settlement_horizon: 24.0, seeker_share: 0.5, {rules}"
    );
    duel(
        "1019-12",
        "front: true, bargaining: true, treaties: true",
        &rules,
        1.0,
        &format!("projection_decay: 1.0, war_burden: 0.01, {extra_a}"),
        0.5,
        &format!("projection_decay: 1.0, war_burden: 0.01, {extra_b}"),
        events,
    )
}

/// A treaty of full strength with no default never breaks, though both sides are quick to
/// breach (`breach_propensity` 0.3): no breach in 300 runs, whether its strength comes from a
/// cession handed over at once (`demarcation_strength` 1) or from junior status
/// (`tribute_strength` 1). The same scenarios at strength 0 break.
#[test]
fn a_full_strength_treaty_never_breaks() {
    let treaty = |strength: &str| {
        treaty_duel(
            &format!("settlement_noise: 0.1, cession_delay: 0, cession_per_line: 0.2, demarcation_strength: {strength}"),
            "breach_propensity: 0.3, default_propensity: 0.0, talk_propensity: 0.5",
            "breach_propensity: 0.3, default_propensity: 0.0, talk_propensity: 0.5",
            "",
        )
    };
    let full = treaties_of(&treaty("1.0"), 300);
    let truces: u32 = full.iter().map(|s| s.truces).sum();
    assert!(truces >= 250, "only {truces} treaties in 300 runs");
    let breaches: usize = full.iter().map(|s| s.breaches.len()).sum();
    assert_eq!(breaches, 0, "a full-strength treaty broke");
    let weak = treaties_of(&treaty("0.0"), 300);
    let breaches: usize = weak.iter().map(|s| s.breaches.len()).sum();
    assert!(
        breaches > 20,
        "only {breaches} breaches of treaties of strength 0"
    );

    // The other content: junior status with its tribute (`tribute_strength` 1), no cession.
    // Each seeker's tribute gain (1) exceeds the other's submission cost (0.1), so every
    // settlement makes the other side its junior.
    let tribute = |strength: &str| {
        treaty_duel(
            &format!("settlement_noise: 0.1, cession_per_line: 0.0, demarcation_strength: 0.0, tribute_strength: {strength}"),
            "breach_propensity: 0.3, talk_propensity: 0.5, tribute_gain: 1.0, submission_cost: 0.1",
            "breach_propensity: 0.3, talk_propensity: 0.5, tribute_gain: 1.0, submission_cost: 0.1",
            "",
        )
    };
    let full = treaties_of(&tribute("1.0"), 300);
    let juniors: u32 = full.iter().map(|s| s.juniors).sum();
    let truces: u32 = full.iter().map(|s| s.truces).sum();
    assert!(
        juniors >= 250 && juniors == truces,
        "{juniors} junior ties of {truces} treaties"
    );
    let breaches: usize = full.iter().map(|s| s.breaches.len()).sum();
    assert_eq!(breaches, 0, "a treaty of full tribute strength broke");
    let weak = treaties_of(&tribute("0.0"), 300);
    let breaches: usize = weak.iter().map(|s| s.breaches.len()).sum();
    assert!(
        breaches > 20,
        "only {breaches} breaches of junior ties of strength 0"
    );
}

/// Enforcement's closed form: the creditor never breaches of its own accord (`breach_propensity`
/// 0) and the debtor neither breaches nor enforces; after the debtor's default at month `t`, the
/// creditor's hazard is its `enforcement` e in each of the next K = `default_memory` months, so
/// it breaches by month `t + K` with probability `1 − (1 − e)^K`. The closed form lies in the
/// 99% Wilson interval of the first default of each run (defaults too late to see K months
/// after are left out).
#[test]
fn enforcement_follows_its_closed_form() {
    for (e, k) in [(0.1f64, 6u32), (0.3, 3), (0.05, 1)] {
        let sc = treaty_duel(
            &format!("settlement_noise: 0.5, cession_delay: 24, cession_per_line: 0.3, default_memory: {k}"),
            &format!(
                "breach_propensity: 0.0, enforcement: {e:?}, default_propensity: 1.0, talk_propensity: 0.5"
            ),
            &format!(
                "breach_propensity: 0.0, enforcement: {e:?}, default_propensity: 1.0, talk_propensity: 0.5"
            ),
            "",
        );
        let months = 240;
        let (mut trials, mut enforced) = (0u64, 0u64);
        for seen in treaties_of(&sc, 2000) {
            let Some(&(_, creditor, t0)) = seen.defaults.first() else {
                continue;
            };
            if t0 + k >= months {
                continue;
            }
            trials += 1;
            // The first breach after the default: by the creditor, within K months, or none.
            match seen.breaches.iter().find(|&&(_, t)| t > t0) {
                Some(&(who, t)) if t <= t0 + k => {
                    assert_eq!(who, creditor, "the debtor breached");
                    enforced += 1;
                }
                _ => {}
            }
            assert!(
                seen.breaches.iter().all(|&(_, t)| t > t0),
                "a breach before any default or enforcement"
            );
        }
        assert!(trials > 1000, "e {e}, K {k}: only {trials} defaults");
        let expected = 1.0 - (1.0 - e).powi(k as i32);
        let (lo, hi) = wilson(enforced, trials, Z99);
        assert!(
            (lo..=hi).contains(&expected),
            "e {e}, K {k}: enforced {enforced} of {trials}, 99% [{lo:.4}, {hi:.4}], closed form {expected:.4}"
        );
    }
}

/// Regret: a treaty between equals (line 0) is signed early; in month 12 an event cuts one
/// side's strength to a quarter. Only `b` may breach (`breach_propensity` 0.2, `a`'s 0). When
/// `b` is the side cut down its value of fighting on falls far below the treaty's
/// (`V − U ≈ −1.24`, regret `2Λ(−62)`, noise 0.02): it breaches in no run, or almost none (the
/// bound 2: a treaty signed after the cut leaves a gap of at least the costs, −0.24, regret at
/// most 2Λ(−12) = 1.2·10⁻⁵, so with hazard ≤ 0.2 · 1.2·10⁻⁵ over 300 × 228 months the expected
/// count is below 0.2 and P(more than 2) below 10⁻³). When `a` is cut down, `b` gains by
/// fighting on and breaches in most runs.
#[test]
fn a_losing_side_rarely_breaches() {
    let count = |cut: &str| {
        let sc = treaty_duel(
            "settlement_noise: 0.02, cession_per_line: 0.0",
            "breach_propensity: 0.0, talk_propensity: 1.0",
            "breach_propensity: 0.2, talk_propensity: 1.0",
            &format!("(id: \"cut\", from: \"1001-01\", to: \"1001-01\", effects: [Strength(polity: \"{cut}\", factor: 0.25)])"),
        );
        let sc = set(&sc, "polities.a.strength", "1.0");
        let sc = set(&sc, "polities.b.strength", "1.0");
        treaties_of(&sc, 300)
            .iter()
            .map(|s| s.breaches.iter().filter(|&&(who, t)| who == 1 && t >= 12).count())
            .sum::<usize>()
    };
    let loser = count("b");
    let winner = count("a");
    assert!(loser <= 2, "the side cut down breached {loser} times");
    assert!(winner >= 150, "the side that gains breached only {winner} times");
}

// ---------------------------------------------------------------------------------------------
// 5. The new switches off are Model 2.

/// Every run's chronicle and outcome, for `runs` runs of `sc`.
fn trace(sc: &Scenario, runs: u64) -> Vec<String> {
    let model = Model::compile(sc);
    let mut ws = Workspace::new(&model);
    (0..runs)
        .map(|run| {
            let mut chronicle = Chronicle::new(&model);
            simulate(&model, 1125, run, &mut ws, &mut chronicle);
            format!("{}{:?}", chronicle.csv, ws.outcome)
        })
        .collect()
}

/// The new fields, by switch, each set away from its default.
const FRONT_FIELDS: [(&str, &str); 3] = [
    ("rules.armies_per_potential", "1.5"),
    ("polities.jin.projection_decay", "2.0"),
    ("polities.song.army_growth", "0.1"),
];
const BARGAINING_FIELDS: [(&str, &str); 8] = [
    ("rules.settlement_horizon", "48.0"),
    ("rules.settlement_noise", "0.3"),
    ("rules.talks_learning", "0.4"),
    ("rules.cession_per_line", "0.5"),
    ("rules.seeker_share", "0.9"),
    ("polities.jin.war_burden", "0.2"),
    ("polities.song.submission_cost", "0.3"),
    ("polities.jin.tribute_gain", "0.7"),
];
const TREATY_FIELDS: [(&str, &str); 7] = [
    ("rules.cession_delay", "6"),
    ("rules.default_memory", "3"),
    ("rules.treaty_settling", "5.0"),
    ("rules.tribute_strength", "0.9"),
    ("rules.demarcation_strength", "0.9"),
    ("polities.song.enforcement", "0.8"),
    ("polities.jin.default_propensity", "0.9"),
];

fn with(sc: &Scenario, fields: &[(&str, &str)]) -> Scenario {
    fields
        .iter()
        .fold(sc.clone(), |sc, (path, value)| set(&sc, path, value))
}

/// The baseline with Model 2's switches on: the three new switches off (left out, or written
/// `false`), with every new field moved, run bit for bit as the file without the new fields
/// (chronicle and outcome of 50 runs, and the same draws per run); the front's fields with
/// `bargaining` and `treaties` on but `front` off change nothing, and neither do the treaty's
/// fields with `front` and `bargaining` on but `treaties` off. Turning a switch on does change
/// the runs (so the comparison can fail).
#[test]
fn the_new_switches_off_are_model_2() {
    let plain = LoadedScenario::baseline().expect("the baseline loads").scenario;
    assert!(!plain.mechanisms.front && !plain.mechanisms.bargaining && !plain.mechanisms.treaties);
    let reference = trace(&plain, 50);
    let all: Vec<(&str, &str)> = FRONT_FIELDS
        .iter()
        .chain(&BARGAINING_FIELDS)
        .chain(&TREATY_FIELDS)
        .copied()
        .collect();
    let moved = with(&plain, &all);
    let explicit = with(
        &moved,
        &[
            ("mechanisms.front", "false"),
            ("mechanisms.bargaining", "false"),
            ("mechanisms.treaties", "false"),
        ],
    );
    let (m_plain, m_moved) = (Model::compile(&plain), Model::compile(&moved));
    assert_eq!(m_plain.words_per_run(), m_moved.words_per_run());
    assert!(
        trace(&moved, 50) == reference,
        "the new fields change runs with their switches off"
    );
    assert!(trace(&explicit, 50) == reference, "switches written false differ");

    let two = |a: &str, b: &str| with(&plain, &[(a, "true"), (b, "true")]);
    let bt = two("mechanisms.bargaining", "mechanisms.treaties");
    assert!(
        trace(&with(&bt, &FRONT_FIELDS), 30) == trace(&bt, 30),
        "the front's fields change runs without the front"
    );
    let fb = two("mechanisms.front", "mechanisms.bargaining");
    assert!(
        trace(&with(&fb, &TREATY_FIELDS), 30) == trace(&fb, 30),
        "the treaty's fields change runs without treaties"
    );
    for switch in ["front", "bargaining", "treaties"] {
        let on = with(&moved, &[(&format!("mechanisms.{switch}"), "true")]);
        assert!(trace(&on, 50) != reference, "{switch} on changes nothing");
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Bad values of the new fields.

/// Every new numeric field out of range (negative, too large, NaN) is refused by `jinsong
/// check`: a non-zero exit, one line per field with the file, its `line:column` and the field
/// path, nothing on stdout.
#[test]
fn bad_model3_values_are_refused_with_their_place() {
    let small = crate::common::SMALL;
    let text = small
        .replacen(
            "talk_propensity: 0.2),",
            "talk_propensity: 0.2, projection_decay: -1.0, army_growth: 1.5, war_burden: NaN,
         submission_cost: 11.0, tribute_gain: -1.0, enforcement: 2.0, default_propensity: -0.1),",
            1,
        )
        .replacen(
            "runs: 100,",
            "runs: 100, rules: (armies_per_potential: -1.0, settlement_horizon: 0.5, settlement_noise: NaN,
         talks_learning: 1.5, cession_per_line: -0.1, seeker_share: 2.0, cession_delay: 121,
         default_memory: 0, treaty_settling: -1.0, tribute_strength: 1.1, demarcation_strength: inf),",
            1,
        );
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let path = tmp.path().join("bad.ron");
    std::fs::write(&path, &text).expect("written");
    let out = crate::common::jinsong_timed(tmp.path(), &["check", "bad.ron"]);
    assert!(!out.status.success(), "bad values accepted");
    assert!(out.stdout.is_empty(), "{}", crate::common::text(&out.stdout));
    let err = crate::common::text(&out.stderr);
    let line_of = |needle: &str| {
        1 + text[..text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in the text"))]
            .matches('\n')
            .count()
    };
    for (field, written) in [
        ("polities.a.projection_decay", "projection_decay: -1.0"),
        ("polities.a.army_growth", "army_growth: 1.5"),
        ("polities.a.war_burden", "war_burden: NaN"),
        ("polities.a.submission_cost", "submission_cost: 11.0"),
        ("polities.a.tribute_gain", "tribute_gain: -1.0"),
        ("polities.a.enforcement", "enforcement: 2.0"),
        ("polities.a.default_propensity", "default_propensity: -0.1"),
        ("rules.armies_per_potential", "armies_per_potential"),
        ("rules.settlement_horizon", "settlement_horizon"),
        ("rules.settlement_noise", "settlement_noise"),
        ("rules.talks_learning", "talks_learning"),
        ("rules.cession_per_line", "cession_per_line"),
        ("rules.seeker_share", "seeker_share"),
        ("rules.cession_delay", "cession_delay"),
        ("rules.default_memory", "default_memory"),
        ("rules.treaty_settling", "treaty_settling"),
        ("rules.tribute_strength", "tribute_strength"),
        ("rules.demarcation_strength", "demarcation_strength"),
    ] {
        // `error: bad.ron:LINE:COLUMN: FIELD: …`
        let place = format!("bad.ron:{}:", line_of(written));
        let hit = err
            .lines()
            .find(|l| l.contains(&format!(": {field}: ")))
            .unwrap_or_else(|| panic!("no line for {field} in:\n{err}"));
        let at = hit
            .find(&place)
            .unwrap_or_else(|| panic!("{field}: `{hit}` is not at {place}"));
        let column = hit[at + place.len()..].split(':').next().unwrap_or("");
        assert!(
            column.parse::<u32>().is_ok_and(|c| c > 0),
            "{field}: no column in `{hit}`"
        );
        assert!(
            hit[at..].starts_with(&format!("{place}{column}: {field}: ")),
            "{field}: `{hit}`"
        );
        assert!(
            hit.contains("out of range") || hit.contains("not a number") || hit.contains("finite"),
            "{hit}"
        );
    }
}

/// An old scenario (tests/data/small.ron) loads unchanged, and `check` lists the Model 3
/// defaults it filled in.
#[test]
fn check_lists_the_model3_defaults_it_filled_in() {
    let loaded = LoadedScenario::parse("small.ron", crate::common::SMALL).expect("the fixture parses");
    loaded.validate().expect("the fixture is valid");
    let sc = &loaded.scenario;
    assert!(!sc.mechanisms.front && !sc.mechanisms.bargaining && !sc.mechanisms.treaties);
    assert_eq!(sc.rules.settlement_horizon, 24.0);
    assert!(sc.polities.iter().all(|p| p.projection_decay == 0.0));
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let small = crate::common::root().join("tests/data/small.ron");
    let small = small.to_str().expect("a UTF-8 path");
    let out = crate::common::text(&crate::common::ok(tmp.path(), &["check", small]).stdout);
    for line in [
        "  mechanisms.front = false",
        "  mechanisms.bargaining = false",
        "  mechanisms.treaties = false",
        "  rules.settlement_horizon = 24.0",
        "  rules.default_memory = 12",
        "  polities.*.projection_decay = 0.0 for a, b, c",
        "  polities.*.enforcement = 0.1 for a, b, c",
    ] {
        assert!(out.lines().any(|l| l == line), "missing `{line}` in:\n{out}");
    }
}

/// `--set` reaches every Model 3 number of a file that leaves it out (at its default, so not
/// written in the scenario's serialized form): each is listed among the paths `--set` accepts,
/// takes a new value, and a value out of range is then refused by validation with its path.
#[test]
fn set_reaches_the_model3_numbers_at_their_defaults() {
    let small = LoadedScenario::parse("small.ron", crate::common::SMALL).expect("the fixture parses");
    let paths = jinsong::scenario::leaf_paths(&small.scenario);
    for (path, value, bad) in [
        ("rules.armies_per_potential", "1.5", "-1"),
        ("rules.settlement_horizon", "48", "0.5"),
        ("rules.settlement_noise", "0.3", "11"),
        ("rules.talks_learning", "0.4", "2"),
        ("rules.cession_per_line", "0.5", "-0.1"),
        ("rules.seeker_share", "0.9", "1.5"),
        ("rules.cession_delay", "6", "121"),
        ("rules.default_memory", "3", "0"),
        ("rules.treaty_settling", "5", "-1"),
        ("rules.tribute_strength", "0.9", "1.1"),
        ("rules.demarcation_strength", "0.9", "-0.5"),
        ("polities.a.projection_decay", "2", "21"),
        ("polities.b.army_growth", "0.1", "1.5"),
        ("polities.c.war_burden", "0.2", "-0.2"),
        ("polities.a.submission_cost", "0.3", "11"),
        ("polities.a.tribute_gain", "0.7", "-1"),
        ("polities.b.enforcement", "0.8", "1.2"),
        ("polities.c.default_propensity", "0.9", "2"),
    ] {
        assert!(
            paths.iter().any(|p| p == path),
            "{path} is not among the paths --set takes"
        );
        let changed = set(&small.scenario, path, value);
        assert_ne!(changed, small.scenario, "--set {path}={value} changed nothing");
        let mut loaded = LoadedScenario::parse("small.ron", crate::common::SMALL).expect("parses");
        let o: jinsong::scenario::Override = format!("{path}={bad}").parse().expect("an override");
        let err = loaded
            .apply_overrides(&[o])
            .and_then(|()| loaded.validate())
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains(&format!("{path}: ")) && err.contains("out of range"),
            "{err}"
        );
    }
}
