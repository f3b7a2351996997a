//! Treaties as agreements (`treaties`, docs/model.md §6.12): the month's decision of a pair
//! under a treaty (in a truce, or in a junior tie the treaty made): the cession handed over when
//! due, a breach by either side when fighting on looks better than the treaty (or to enforce it
//! after the other's default), and the debtor's default on a cession it owes.

use super::bargaining::{true_forces, value_of_war};
use super::decisions::first_to_act;
use super::onset::{begin_war, Onset};
use super::settlement::cede;
use super::workspace::{Treaty, Workspace, NO_SIDE};
use super::{Happening, Observer};
use crate::engine::outcome::NEVER;
use crate::model::treaty;
use crate::model::{DyadIndex, Model};
use crate::rng::draws::uniform;

/// The value to side `s` (0: *a*, 1: *b*) of the treaty in force: the treaty line from its side,
/// plus its `tribute_gain` when it is the lord, less its `submission_cost` when it is the junior.
#[inline]
pub(super) fn value_of_treaty(m: &Model, ws: &Workspace, d: usize, s: u8) -> f64 {
    let (a, b) = m.dyads[d];
    let (x, line) = if s == 0 { (a, ws.line[d]) } else { (b, -ws.line[d]) };
    let tr = &ws.treaty[d];
    if tr.lord == s {
        line + m.tribute_gain[x]
    } else if tr.lord != NO_SIDE {
        line - m.submission_cost[x]
    } else {
        line
    }
}

/// The month's decision of pair `d` (`ix`) under the treaty in force, at month offset `t`,
/// before the status's own rule (peace at the end of a truce, the end of a tie for lack of
/// trust): a cession that falls due is handed over; then a breach by the side whose draw acts
/// first (a war begins; returns `true`), else the debtor's default on a cession still owed.
/// Uses the pair's two decision slots, which its status leaves free.
#[allow(clippy::too_many_arguments)]
pub(super) fn treaty_decision<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    d: usize,
    ix: &DyadIndex,
    obs: &mut O,
) -> bool {
    let DyadIndex { a, b, q_ab, q_ba, .. } = *ix;
    let tr = ws.treaty[d];
    // The cession falls due: the debtor hands it over and the line is demarcated.
    if tr.due != NEVER && t >= tr.due {
        let (from, to) = if tr.debtor == 0 { (a, b) } else { (b, a) };
        cede(ws, to, from, tr.owed);
        let treaty = &mut ws.treaty[d];
        treaty.due = NEVER;
        treaty.demarcated = true;
        obs.happening(
            t,
            Happening::CessionHanded {
                from,
                to,
                share: tr.owed,
            },
        );
    }
    let tr = ws.treaty[d];
    let owes = |s: u8| tr.due != NEVER && tr.debtor == s;
    let (u_a, u_b) = (
        uniform(draws[ix.decision_slots[0]]),
        uniform(draws[ix.decision_slots[1]]),
    );
    // Neither draw can fall under a breach or default hazard: both exceed their largest value
    // (a regret of at most 2, an agreement strength and a settling of at least 0).
    let ceiling = |x: usize, s: u8| {
        2.0 * m.breach_propensity[x]
            + m.enforcement[x]
            + if owes(s) {
                2.0 * m.default_propensity[x]
            } else {
                0.0
            }
    };
    if u_a >= ceiling(a, 0) && u_b >= ceiling(b, 1) {
        return false;
    }
    let strength = treaty::agreement_strength(
        tr.lord != NO_SIDE,
        tr.demarcated,
        m.rules.tribute_strength,
        m.rules.demarcation_strength,
    );
    let settled = treaty::settling(t - tr.made, m.rules.treaty_settling);
    let noise = m.rules.settlement_noise;
    let (force_a, force_b) = true_forces(m, ws, a, b);
    let war_a = value_of_war(m, ws, a, b, force_a, force_b);
    let war_b = value_of_war(m, ws, b, a, force_b, force_a);
    let regret_a = treaty::regret(war_a - value_of_treaty(m, ws, d, 0), noise);
    let regret_b = treaty::regret(war_b - value_of_treaty(m, ws, d, 1), noise);
    // A default at month d invites enforcement in each of the `default_memory` months after it
    // (d + 1 ..= d + K: in month d itself the breach was weighed before the default).
    let fresh = |s: usize| tr.defaulted[s] != NEVER && t - tr.defaulted[s] <= m.rules.default_memory;
    let h_a = treaty::breach_hazard(
        m.breach_propensity[a],
        strength,
        settled,
        regret_a,
        m.enforcement[a],
        fresh(1),
    );
    let h_b = treaty::breach_hazard(
        m.breach_propensity[b],
        strength,
        settled,
        regret_b,
        m.enforcement[b],
        fresh(0),
    );
    if let Some(first) = first_to_act(u_a, h_a, u_b, h_b) {
        let (i, j) = if first == 0 { (a, b) } else { (b, a) };
        let out = &mut ws.outcome.dyads[d];
        out.truces_broken = out.truces_broken.saturating_add(1);
        begin_war(m, ws, draws, t, d, i, j, Onset::Breach, obs);
        return true;
    }
    // The debtor withholds the cession: it is owed no more, and the creditor's trust in it
    // falls as after a hostile act.
    if tr.due != NEVER {
        let s = tr.debtor;
        let (debtor, creditor, u, h, regret, q) = if s == 0 {
            (a, b, u_a, h_a, regret_a, q_ba)
        } else {
            (b, a, u_b, h_b, regret_b, q_ab)
        };
        let q_default = treaty::default_hazard(m.default_propensity[debtor], settled, regret);
        if u - h < q_default {
            let treaty = &mut ws.treaty[d];
            treaty.due = NEVER;
            treaty.owed = 0.0;
            treaty.defaulted[usize::from(s)] = t;
            ws.pairs[q].trust *= 1.0 - m.provocation_trust_loss[creditor];
            obs.happening(t, Happening::Default { debtor, creditor });
        }
    }
    false
}

/// Whether a treaty is in force in pair `d`.
#[inline(always)]
pub(super) fn in_force(ws: &Workspace, d: usize) -> bool {
    ws.treaty[d].made != NEVER
}

/// The treaty of pair `d` ends (the pair is at peace again, or at war).
#[inline(always)]
pub(super) fn end(ws: &mut Workspace, d: usize) {
    ws.treaty[d] = Treaty::NONE;
}
