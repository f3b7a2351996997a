//! Alliances and vassal ties (docs/model.md §6.3, §6.4): a tie kept or dissolved, and ties formed
//! from peace, by one side's wish or by consent.

use super::treaty;
use super::workspace::{allied, at_war, ordered, side, Workspace, NO_PLAN};
use super::{Happening, Observer};
use crate::engine::outcome::Deed;
use crate::model::hazard;
use crate::model::{DyadIndex, DyadStatus, Model};

/// The decision of a pair `d` (`ix`) tied by an alliance or vassalage at month offset `t`: the
/// tie dissolves when either side's trust has fallen below `alliance_exit_trust`. Inlined into
/// the loop of `decisions`, as each status's decision is. A junior tie made by a treaty is
/// first weighed like the treaty (`treaties`, [`treaty::treaty_decision`]).
#[inline(always)]
pub(super) fn tie_decision<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    d: usize,
    ix: &DyadIndex,
    obs: &mut O,
) {
    let DyadIndex { a, b, q_ab, q_ba, .. } = *ix;
    // A junior tie made by a treaty may be broken like the treaty (`treaties`, §6.12).
    if m.mechanisms.treaties
        && treaty::in_force(ws, d)
        && treaty::treaty_decision(m, ws, draws, t, d, ix, obs)
    {
        return;
    }
    let exit = m.rules.alliance_exit_trust;
    if ws.pairs[q_ab].trust < exit || ws.pairs[q_ba].trust < exit {
        if ws.status[d] == DyadStatus::Alliance {
            ws.set_allied(a, b, false);
        }
        ws.status[d] = DyadStatus::Peace;
        treaty::end(ws, d);
        ws.outcome.note(t, d, Deed::TieDissolved);
        obs.happening(t, Happening::TieDissolved { a, b });
    }
}

/// A tie formed between `a` and `b`: their war plans against each other are dropped.
fn drop_plans(ws: &mut Workspace, a: usize, b: usize) {
    for (x, y) in [(a, b), (b, a)] {
        if ws.plan[x] == y as u32 {
            ws.plan[x] = NO_PLAN;
        }
    }
}

/// Pair `d` forms an alliance at month offset `t`.
fn form_alliance<O: Observer>(m: &Model, ws: &mut Workspace, t: u32, d: usize, obs: &mut O) {
    let (a, b) = m.dyads[d];
    ws.status[d] = DyadStatus::Alliance;
    ws.set_allied(a, b, true);
    drop_plans(ws, a, b);
    ws.outcome.dyads[d].alliance_formed = true;
    ws.outcome.note(t, d, Deed::Alliance);
    obs.happening(t, Happening::AllianceFormed { a, b });
}

/// In pair `d`, `vassal` accepts the suzerainty of `lord` at month offset `t`.
pub(super) fn form_vassal_tie<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    vassal: usize,
    lord: usize,
    obs: &mut O,
) {
    let (a, b) = m.dyads[d];
    ws.status[d] = DyadStatus::Vassal { lord: lord as u16 };
    drop_plans(ws, a, b);
    let s = side(a, lord) as u8;
    ws.outcome.dyads[d].vassal_lord = 1 + s;
    ws.outcome.note(t, d, Deed::Vassal { lord: s });
    obs.happening(t, Happening::VassalAccepted { vassal, lord });
}

/// *i*'s wish to ally with *j* this month: `alliance_propensity_i · min(1, common fear) ·
/// trust_ij` (0 without contact). Under `consent` it is multiplied by the effective contact.
fn alliance_will(m: &Model, ws: &Workspace, i: usize, j: usize) -> f64 {
    let p = ordered(m.n, i, j);
    if m.alliance_propensity[i] <= 0.0 || ws.pairs[p].contact_eff <= 0.0 {
        return 0.0;
    }
    let mut common: f64 = 0.0;
    for k in 0..m.n {
        if k != i && k != j && ws.active[k] {
            common = common.max(ws.pair(i, k).fear.min(ws.pair(j, k).fear));
        }
    }
    hazard::alliance_hazard(m.alliance_propensity[i], common, ws.pairs[p].trust)
}

/// *i*'s wish to become *j*'s vassal this month (0 without contact).
fn vassal_wish(m: &Model, ws: &Workspace, i: usize, j: usize) -> f64 {
    let st = ws.pair(i, j);
    if st.contact_eff <= 0.0 {
        return 0.0;
    }
    hazard::vassal_hazard(
        m.vassal_propensity[i],
        st.fear,
        m.rigidity[i],
        ws.strength[i],
        ws.strength[j],
    )
}

/// Ties by consent (`consent`), from peace when no war began: an alliance forms when both
/// sides' draws fall below their wills (`rest_i < alliance_will_ij`, each side's own draw), and
/// neither is allied with a polity at war with the other; else side *i* offers to submit to *j*
/// when its draw falls in the band `[will_ij, will_ij + vassal_wish_ij)`, and *j* accepts when
/// its own draw falls below `vassal_acceptance_j · contact_ji` (*a*'s offer is considered first).
#[allow(clippy::too_many_arguments)]
fn ties_by_consent<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    a: usize,
    b: usize,
    rest_ab: f64,
    rest_ba: f64,
    obs: &mut O,
) {
    // Every tie needs one side's draw below its propensities: skip the work otherwise.
    if rest_ab >= m.alliance_propensity[a] + m.vassal_propensity[a]
        && rest_ba >= m.alliance_propensity[b] + m.vassal_propensity[b]
    {
        return;
    }
    // The wills are at most the propensities: work them out only where they can matter.
    let both_may_ally = rest_ab < m.alliance_propensity[a] && rest_ba < m.alliance_propensity[b];
    let will = |i: usize, j: usize, rest: f64| {
        if both_may_ally || rest < m.alliance_propensity[i] + m.vassal_propensity[i] {
            alliance_will(m, ws, i, j) * ws.pair(i, j).contact_eff
        } else {
            0.0
        }
    };
    let (will_a, will_b) = (will(a, b, rest_ab), will(b, a, rest_ba));
    if both_may_ally && rest_ab < will_a && rest_ba < will_b {
        let enemy_of_ally = (0..m.n).any(|k| {
            (allied(m, ws, a, k) && at_war(m, ws, b, k)) || (allied(m, ws, b, k) && at_war(m, ws, a, k))
        });
        if !enemy_of_ally {
            form_alliance(m, ws, t, d, obs);
            return;
        }
    }
    for (i, j, rest_i, will_i, rest_j) in [(a, b, rest_ab, will_a, rest_ba), (b, a, rest_ba, will_b, rest_ab)]
    {
        if rest_i < will_i || rest_i - will_i >= vassal_wish(m, ws, i, j) {
            continue;
        }
        if rest_j < m.vassal_acceptance[j] * ws.pair(j, i).contact_eff {
            form_vassal_tie(m, ws, t, d, i, j, obs);
            return;
        }
    }
}

/// Alliance and vassalage from peace. `rest_ab` is `u_ab − h_ab` (the part of the decision draw
/// above the war hazard), so a tie is decided on the same slot without touching war decisions.
#[allow(clippy::too_many_arguments)]
pub(super) fn ties<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    a: usize,
    b: usize,
    rest_ab: f64,
    rest_ba: f64,
    obs: &mut O,
) {
    if m.mechanisms.consent {
        ties_by_consent(m, ws, t, d, a, b, rest_ab, rest_ba, obs);
        return;
    }
    for (i, j, rest) in [(a, b, rest_ab), (b, a, rest_ba)] {
        // Both tie probabilities are bounded by the propensities: skip the work when the draw
        // lies above that bound (most months).
        if rest >= m.alliance_propensity[i] + m.vassal_propensity[i] {
            continue;
        }
        let ally = alliance_will(m, ws, i, j);
        if rest < ally {
            form_alliance(m, ws, t, d, obs);
            return;
        }
        if rest - ally < vassal_wish(m, ws, i, j) {
            form_vassal_tie(m, ws, t, d, i, j, obs);
            return;
        }
    }
}
