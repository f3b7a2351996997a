//! Step 5 of the month, war as a process (docs/model.md §6.7): each war's contest, its costs and
//! the recovery of war losses, the learning of misperceptions at war (§6.9), and the forces
//! of the sides and the odds they see (§6.8).

use super::workspace::{allied, at_war, Workspace};
use crate::model::{front, perception, war};
use crate::model::{DyadStatus, Model};
use crate::rng::draws::uniform;

/// The mobilized force of `x`'s side in its war with `y`: `x` and every ally of `x` at war with
/// `y`, each `strength · mobilization`, as `seer` perceives them (its perception factor of each
/// member; `None`: the truth).
#[inline(always)]
pub(super) fn coalition_force(m: &Model, ws: &Workspace, x: usize, y: usize, seer: Option<usize>) -> f64 {
    let own = match seer {
        Some(i) if i != x => ws.pair(i, x).perceived,
        _ => 1.0,
    };
    let force = ws.strength[x] * ws.mobilization[x] * own;
    if ws.allies[x] == 0 {
        return force;
    }
    force + allies_force(m, ws, x, y, seer)
}

/// The part of [`coalition_force`] that `x`'s allies at war with `y` bring.
#[cold]
fn allies_force(m: &Model, ws: &Workspace, x: usize, y: usize, seer: Option<usize>) -> f64 {
    let seen = |k: usize| match seer {
        Some(i) if i != k => ws.pair(i, k).perceived,
        _ => 1.0,
    };
    let mut force = 0.0;
    for k in 0..m.n {
        if ws.active[k] && k != y && allied(m, ws, x, k) && at_war(m, ws, k, y) {
            force += ws.strength[k] * ws.mobilization[k] * seen(k);
        }
    }
    force
}

/// *i*'s odds of winning a month of its war with *j*: its side's force against *j*'s side's
/// as *i* perceives it.
pub(super) fn war_odds(m: &Model, ws: &Workspace, i: usize, j: usize) -> f64 {
    war::contest_win_probability(
        coalition_force(m, ws, i, j, None),
        coalition_force(m, ws, j, i, Some(i)),
        m.rules.contest_decisiveness,
    )
}
/// The month's course of every war, after the decisions: with `war_process`, each pair at war
/// fights a contest that moves its balance and costs both sides strength and stability; with
/// `misperception`, each side's misperception of the other shrinks; then (`war_process`) every
/// polity regains part of its war losses.
pub(super) fn war_process(m: &Model, ws: &mut Workspace, draws: &[u32]) {
    let contest = m.mechanisms.war_process;
    if !contest && !m.mechanisms.misperception {
        return;
    }
    let rules = &m.rules;
    let mut at_war = false;
    for d in 0..m.dyads.len() {
        if !matches!(ws.status[d], DyadStatus::War { .. }) {
            continue;
        }
        at_war = true;
        let (a, b) = m.dyads[d];
        if contest {
            let force_a = coalition_force(m, ws, a, b, None);
            let force_b = coalition_force(m, ws, b, a, None);
            // The force each side brings to the front fades with the depth of its advance
            // (`front`; with no gradient, the whole force).
            let balance = ws.balance[d];
            let at_front_a = front::projected_force(force_a, m.projection_decay[a], balance);
            let at_front_b = front::projected_force(force_b, m.projection_decay[b], -balance);
            let p_a = war::contest_win_probability(at_front_a, at_front_b, rules.contest_decisiveness);
            let a_won = uniform(draws[m.schedule.contest(d)]) < p_a;
            ws.balance[d] = war::next_balance(ws.balance[d], a_won, rules.war_step);
            let share_a = war::loss_share(force_a, force_b);
            for (x, share) in [(a, share_a), (b, 1.0 - share_a)] {
                ws.attrition[x] *= 1.0 - rules.war_cost * share;
                if m.mechanisms.instability {
                    ws.stability[x] = (ws.stability[x] - rules.war_unrest * share).max(0.0);
                }
            }
        }
        // Fighting teaches: each side's misperception of the other shrinks.
        let ix = m.dyad_index[d];
        for q in [ix.q_ab, ix.q_ba] {
            if ws.pairs[q].perceived != 1.0 {
                ws.pairs[q].perceived = perception::learn(ws.pairs[q].perceived, rules.war_learning);
                ws.refresh_exposure(q);
            }
        }
    }
    if !contest {
        return;
    }
    if m.mechanisms.front {
        raise_armies(m, ws);
    }
    // Each polity's losses of the month (in all its wars), then its recovery toward its base
    // strength ([`war::recover`]); the strength ratios are recomputed once.
    let healing = || (0..m.n).any(|x| ws.active[x] && ws.strength[x] < ws.base_strength[x]);
    if !at_war && !healing() {
        return;
    }
    let (mut changed, mut last) = (0, 0);
    let polities = ws
        .attrition
        .iter_mut()
        .zip(ws.strength.iter_mut())
        .zip(&ws.base_strength)
        .zip(&ws.active)
        .enumerate();
    for (x, (((attrition, strength), &base), &active)) in polities {
        let loss = std::mem::replace(attrition, 1.0);
        if !active || (loss == 1.0 && *strength >= base) {
            continue;
        }
        let healed = war::recover(*strength * loss, base, rules.strength_recovery);
        if healed != *strength {
            *strength = healed;
            changed += 1;
            last = x;
        }
    }
    match changed {
        0 => {}
        1 => ws.refresh_strength(last),
        _ => ws.refresh_all_strengths(),
    }
}

/// New armies (`front`): each existing polity with an `army_growth` raises its base strength
/// toward its ceiling `armies_per_potential · potential` by `army_growth · mobilization` of the
/// gap ([`front::raise_armies`]); its strength follows through the recovery of the same step.
fn raise_armies(m: &Model, ws: &mut Workspace) {
    for x in 0..m.n {
        if ws.active[x] && m.army_growth[x] > 0.0 {
            let ceiling = m.rules.armies_per_potential * m.potential[x];
            ws.base_strength[x] =
                front::raise_armies(ws.base_strength[x], ceiling, m.army_growth[x], ws.mobilization[x]);
        }
    }
}
