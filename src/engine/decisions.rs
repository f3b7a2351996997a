//! Step 4 of the month: every pair's decision for its status (docs/model.md §6), and the
//! decisions at peace: a war plan carried out, a war onset, a war plan adopted, or a tie
//! (§6.2). The other statuses decide in `ties.rs` (a tie kept or dissolved), `settlement.rs`
//! (at war) and `truce.rs` (in a truce); a war begins in `onset.rs`.

use super::onset::{begin_war, Onset};
use super::settlement::war_decision;
use super::ties::{tie_decision, ties};
use super::truce::truce_decision;
use super::workspace::{side, Workspace, NO_PLAN};
use super::{Happening, Observer};
use crate::engine::outcome::Deed;
use crate::model::hazard::{self, WarMotive};
use crate::model::war;
use crate::model::{DyadIndex, DyadStatus, Model};
use crate::rng::draws::uniform;

/// Every unordered pair, in the order of the pairs, takes the decision of its status this month
/// (month offset `t`).
pub(super) fn decisions<O: Observer>(m: &Model, ws: &mut Workspace, draws: &[u32], t: u32, obs: &mut O) {
    for (d, ix) in m.dyad_index.iter().enumerate() {
        // Months at war are counted at the end of the month: the onset month counts, the month
        // of a truce does not (`begin_war` counts its month).
        match ws.status[d] {
            DyadStatus::Peace => peace_decision(m, ws, draws, t, d, ix, obs),
            DyadStatus::Alliance | DyadStatus::Vassal { .. } => tie_decision(m, ws, draws, t, d, ix, obs),
            DyadStatus::War { since, .. } => war_decision(m, ws, draws, t, d, ix, since, obs),
            DyadStatus::Truce { since } => truce_decision(m, ws, draws, t, d, ix, since, obs),
        }
    }
}

/// The decision of pair `d` (`ix`) at peace at month offset `t`: a war plan carried out, a war
/// onset, a war plan adopted, or (with `alliances`) a tie. Inlined into the loop of
/// [`decisions`], as each status's decision is.
#[inline(always)]
fn peace_decision<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    d: usize,
    ix: &DyadIndex,
    obs: &mut O,
) {
    let DyadIndex {
        a,
        b,
        ab,
        ba,
        q_ab,
        q_ba,
        ..
    } = *ix;
    // A pair with a ceased polity is at peace and stays so.
    if !ws.pairs[q_ab].live {
        return;
    }
    let (raw_ab, raw_ba) = (draws[ix.decision_slots[0]], draws[ix.decision_slots[1]]);
    let planned = ws.plan[a] == b as u32 || ws.plan[b] == a as u32;
    // Most months at peace nothing can happen: no war plan, fear below both
    // thresholds and both draws above any greed and tie probability
    // (`Model::quiet_bound`). Check that first, on the raw draws.
    if !planned
        && ws.pairs[q_ab].fear <= ix.war_threshold[0]
        && ws.pairs[q_ba].fear <= ix.war_threshold[1]
        && u64::from(raw_ab) >= ix.quiet_bound[0]
        && u64::from(raw_ba) >= ix.quiet_bound[1]
    {
        return;
    }
    if planned && carry_out_plans(m, ws, draws, t, d, obs) {
        return;
    }
    let (u_ab, u_ba) = (uniform(raw_ab), uniform(raw_ba));
    let motive_ab = war_motive(m, ws, a, b, ab, q_ab);
    let motive_ba = war_motive(m, ws, b, a, ba, q_ba);
    let h_ab = hazard::war_hazard(&motive_ab);
    let h_ba = hazard::war_hazard(&motive_ba);
    if let Some(first) = first_to_act(u_ab, h_ab, u_ba, h_ba) {
        let (i, j) = if first == 0 { (a, b) } else { (b, a) };
        begin_war(m, ws, draws, t, d, i, j, Onset::Decided, obs);
        return;
    }
    // A court whose war hazard fires before it is ready adopts a war plan: it
    // mobilizes for the war (after its reaction delay) and strikes when ready.
    if m.deliberate {
        let mut adopted = false;
        for (i, j, u, motive) in [(a, b, u_ab, &motive_ab), (b, a, u_ba, &motive_ba)] {
            if motive.ready == 0.0 && ws.plan[i] == NO_PLAN && u < hazard::war_hazard_if_ready(motive) {
                adopt_plan(ws, t, m.warmup + t, d, i, j, side(a, i), obs);
                adopted = true;
            }
        }
        if adopted {
            return;
        }
    }
    if m.mechanisms.alliances {
        ties(m, ws, t, d, a, b, u_ab - h_ab, u_ba - h_ba, obs);
    }
}

/// Which of two sides acts this month, if any: side 0 when `u0 < p0`, side 1 when `u1 < p1`.
/// When both do, the one whose draw lies deeper inside its probability (smaller `u / p`, the
/// earlier event in a continuous-time reading) acts first.
#[inline(always)]
pub(super) fn first_to_act(u0: f64, p0: f64, u1: f64, p1: f64) -> Option<usize> {
    match (u0 < p0, u1 < p1) {
        (false, false) => None,
        (true, false) => Some(0),
        (false, true) => Some(1),
        (true, true) => Some(usize::from(u1 * p0 < u0 * p1)),
    }
}

/// What moves *i* to start a war on *j* this month ([`hazard::war_hazard`] turns it into a
/// probability); `p = i·n + j` indexes the model's pair matrices and `q` the ordered pair.
/// Below the threshold without greed, a motive whose hazard is 0 even when ready.
#[inline(always)]
fn war_motive(m: &Model, ws: &Workspace, i: usize, j: usize, p: usize, q: usize) -> WarMotive {
    let st = &ws.pairs[q];
    // Whether greed may count (`free_hands`): the pair is at peace, so every war `i` fights is
    // against a third polity.
    let free = hazard::free_hands(m.mechanisms.free_hands, u32::from(ws.wars[i]));
    // Quick exit for the common case: fear below the threshold and no greed that counts.
    if st.fear <= m.war_threshold[i] && (m.greed[i] <= 0.0 || free == 0.0) {
        return NO_MOTIVE;
    }
    let willing = if m.mechanisms.instability {
        ws.stability[i] / (1.0 + f64::from(ws.wars[i]))
    } else {
        1.0
    };
    // i's own mobilized force, and j's as i sees it (the truth when i perceives j's strength
    // rightly: the factor is then exactly 1).
    let own = ws.strength[i] * ws.mobilization[i];
    let seen = ws.strength[j] * ws.mobilization[j] * st.perceived;
    // The odds weigh only the preventive motive: work them out only when fear is above the
    // threshold.
    let victory = if m.odds_weight[i] > 0.0 && st.fear > m.war_threshold[i] {
        let odds = war::contest_win_probability(own, seen, m.rules.contest_decisiveness);
        war::victory_factor(odds, m.odds_weight[i])
    } else {
        1.0
    };
    WarMotive {
        fear: st.fear,
        threshold: m.war_threshold[i],
        propensity: m.war_propensity[i],
        greed: m.greed[i],
        advantage: hazard::advantage(own, seen),
        contact: st.contact_eff,
        ready: if ws.mobilization[i] >= m.war_readiness[i] {
            1.0
        } else {
            0.0
        },
        unrestrained: m.unrestrained[p],
        willing,
        victory,
        free,
    }
}

/// A motive whose war hazard is 0, ready or not.
const NO_MOTIVE: WarMotive = WarMotive {
    fear: 0.0,
    threshold: 0.0,
    propensity: 0.0,
    greed: 0.0,
    advantage: 0.0,
    contact: 0.0,
    ready: 1.0,
    unrestrained: 0.0,
    willing: 0.0,
    victory: 1.0,
    free: 1.0,
};

/// The war plans aimed across pair `d` at peace: a plan is carried out (the war begins, its
/// planner the initiator) as soon as its polity is mobilized to its `war_readiness`, and dropped
/// when its motive is gone (the war hazard, if ready, would be 0). Returns whether a war began.
fn carry_out_plans<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    d: usize,
    obs: &mut O,
) -> bool {
    let ix = &m.dyad_index[d];
    for (i, j, p, q) in [(ix.a, ix.b, ix.ab, ix.q_ab), (ix.b, ix.a, ix.ba, ix.q_ba)] {
        if ws.plan[i] != j as u32 {
            continue;
        }
        let motive = war_motive(m, ws, i, j, p, q);
        if hazard::war_hazard_if_ready(&motive) <= 0.0 {
            ws.plan[i] = NO_PLAN;
        } else if motive.ready > 0.0 {
            begin_war(m, ws, draws, t, d, i, j, Onset::Planned, obs);
            return true;
        }
    }
    false
}

/// Polity `i` (side `s` of pair `d`) adopts a war plan against `j` at month offset `t`, tick
/// `tick`.
#[allow(clippy::too_many_arguments)]
fn adopt_plan<O: Observer>(
    ws: &mut Workspace,
    t: u32,
    tick: u32,
    d: usize,
    i: usize,
    j: usize,
    s: usize,
    obs: &mut O,
) {
    ws.plan[i] = j as u32;
    ws.plan_since[i] = tick;
    ws.outcome.note(t, d, Deed::WarPlan { by: s as u8 });
    obs.happening(
        t,
        Happening::WarPlan {
            planner: i,
            target: j,
        },
    );
}
