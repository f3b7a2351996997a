//! A truce (docs/model.md §6.6): the month's decision of a pair in a truce, a breach by either
//! side (a war begins) or, once the truce has lasted `truce_months`, peace.

use super::decisions::first_to_act;
use super::onset::{begin_war, Onset};
use super::treaty;
use super::workspace::Workspace;
use super::{Happening, Observer};
use crate::engine::outcome::Deed;
use crate::model::hazard;
use crate::model::{DyadIndex, DyadStatus, Model};
use crate::rng::draws::uniform;

/// The decision of pair `d` (`ix`) in a truce concluded at month offset `since`, at month offset
/// `t`: a breach by the side whose draw acts first, else peace once the truce has lasted
/// `truce_months`. Inlined into the loop of `decisions`, as each status's decision is.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn truce_decision<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    d: usize,
    ix: &DyadIndex,
    since: u32,
    obs: &mut O,
) {
    let DyadIndex { a, b, q_ab, q_ba, .. } = *ix;
    let (raw_ab, raw_ba) = (draws[ix.decision_slots[0]], draws[ix.decision_slots[1]]);
    if m.mechanisms.treaties {
        // The treaty decides breaches (§6.12).
        if treaty::in_force(ws, d) && treaty::treaty_decision(m, ws, draws, t, d, ix, obs) {
            return;
        }
    }
    // Most months of a truce neither side breaches it: both draws lie above any
    // breach probability (`DyadIndex::breach_bound`).
    else if u64::from(raw_ab) < ix.breach_bound[0] || u64::from(raw_ba) < ix.breach_bound[1] {
        let (u_ab, u_ba) = (uniform(raw_ab), uniform(raw_ba));
        let p_a = hazard::breach_hazard(m.breach_propensity[a], ws.pairs[q_ab].trust, m.rigidity[a]);
        let p_b = hazard::breach_hazard(m.breach_propensity[b], ws.pairs[q_ba].trust, m.rigidity[b]);
        if let Some(first) = first_to_act(u_ab, p_a, u_ba, p_b) {
            let (i, j) = if first == 0 { (a, b) } else { (b, a) };
            let out = &mut ws.outcome.dyads[d];
            out.truces_broken = out.truces_broken.saturating_add(1);
            begin_war(m, ws, draws, t, d, i, j, Onset::Breach, obs);
            return;
        }
    }
    if t - since >= m.rules.truce_months {
        ws.status[d] = DyadStatus::Peace;
        treaty::end(ws, d);
        ws.outcome.note(t, d, Deed::Peace);
        obs.happening(t, Happening::TruceBecomesPeace { a, b });
    }
}
