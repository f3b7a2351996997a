//! Steps 2 and 3 of the month: hostile acts (docs/model.md §4), then the fear spiral and
//! mobilization (§5), with the reaction delay and war plans.

use super::workspace::{side, PairState, PolityArray, Workspace, NO_PLAN, RING};
use super::{Happening, Observer};
use crate::model::fear;
use crate::model::DyadStatus;
use crate::model::Model;
use crate::rng::draws::uniform;

#[allow(clippy::too_many_arguments)]
#[inline]
pub(super) fn hostile_act<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    actor: usize,
    victim: usize,
    severity: f64,
    scripted: bool,
    obs: &mut O,
) {
    let n = m.n;
    let loss = (m.provocation_trust_loss[victim] * severity).min(1.0);
    let shock = m.provocation_fear[victim] * severity;
    let seen = ws.pair_mut(victim, actor);
    let before = seen.trust;
    seen.trust = before * (1.0 - loss);
    seen.shock += shock;
    let after = seen.trust;
    let months = ws.acts_window(actor * n + victim, t);
    if scripted {
        months.scripted |= 1;
    } else {
        months.agents |= 1;
    }
    let d = m.dyad_of[actor * n + victim];
    let s = side(m.dyads[d].0, actor);
    let out = &mut ws.outcome.dyads[d];
    out.acts[s] += 1;
    out.scripted_acts[s] += u32::from(scripted);
    obs.happening(
        t,
        Happening::HostileAct {
            actor,
            victim,
            scripted,
            trust_before: before,
            trust_after: after,
        },
    );
}

/// Hostile acts, the fear update and the mobilization step of month offset `t`, which is month
/// `tick` counted from the first warm-up month (the reaction delay counts ticks).
pub(super) fn fear_spiral<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    tick: u32,
    obs: &mut O,
) {
    // Hostile acts first: an act of j against i touches only how i sees j (its trust and a
    // fear shock), so the fear updates below never depend on the order of pairs.
    // Most months no act can come of the draw (`Provoker::quiet_bound`): that is checked first.
    for pv in &m.provokers {
        let raw = draws[pv.slot];
        if u64::from(raw) >= pv.quiet_bound {
            continue;
        }
        let st = &ws.pairs[pv.q];
        if !st.live || matches!(ws.status[pv.dyad], DyadStatus::War { .. }) {
            continue;
        }
        let rate = pv.rate * st.contact_eff;
        if uniform(raw) < rate {
            hostile_act(m, ws, t, pv.actor, pv.victim, 1.0, false, obs);
        }
    }
    // The fear spiral, pair by pair in the order of their noise slots (row i, how i sees
    // everyone else, is one run of pairs), with pairs and draws zipped together: no index
    // arithmetic, and no bounds checks (the polity indices are `u8`s into `PolityArray`s).
    // `target[i]` is set to the sum of i's fears, in the order of j, for every polity i (0 for
    // a row with no live pair). Pairs with a ceased polity are skipped.
    let noise = &draws[m.schedule.noise(0)..m.schedule.noise(0) + ws.pairs.len()];
    update_fears(&mut ws.pairs, noise, &ws.mobilization, &mut ws.target);
    // A court reacts late or mobilizes for a war plan only where some polity has a delay or a
    // plan: otherwise the plain step below is the same, and quicker.
    if m.delayed || (m.deliberate && ws.plan.iter().any(|&p| p != NO_PLAN)) {
        deliberate_mobilization(m, ws, tick);
        return;
    }
    let polities = ws
        .mobilization
        .iter_mut()
        .zip(ws.target.iter_mut())
        .zip(&ws.active);
    for (((mobilization, target), &active), &lag) in polities.zip(&m.mobilization_lag) {
        if active {
            *target = fear::mobilization_target(*target);
            *mobilization = fear::next_mobilization(*mobilization, *target, lag);
        }
    }
}

/// The mobilization step when a court reacts late or mobilizes for a war plan
/// (`Model::deliberate`): polity *i*'s target is its fear sum of `reaction_delay_i` months ago
/// (its initial fears' before the run has that many months), and 1 from `reaction_delay_i`
/// months after it adopted a war plan on.
fn deliberate_mobilization(m: &Model, ws: &mut Workspace, tick: u32) {
    let now = tick as usize % RING;
    for i in 0..ws.n {
        if !ws.active[i] {
            continue;
        }
        let delay = m.reaction_delay[i];
        let mut total = ws.target[i];
        if delay > 0 {
            let ring = &mut ws.ring[i * RING..(i + 1) * RING];
            ring[now] = total;
            total = ring[(now + RING - delay as usize) % RING];
        }
        if ws.plan[i] != NO_PLAN && tick >= ws.plan_since[i] + delay {
            total = 1.0;
        }
        let target = fear::mobilization_target(total);
        ws.target[i] = target;
        ws.mobilization[i] = fear::next_mobilization(ws.mobilization[i], target, m.mobilization_lag[i]);
    }
}

/// One month of Richardson's fear update for every live ordered pair, zipped with its noise
/// draw, setting `total[i]` to the sum of *i*'s fears (in the order of *j*) for every polity
/// *i*, 0 where none of its pairs is live. A row is one run of pairs, so the running sum of
/// the current row stays in a register and is stored when the row ends (rather than every pair
/// adding to memory and waiting for the last pair's store, after a memset of the sums).
/// Kept out of line so that the compiler gives this loop its registers, apart from the rest
/// of the month.
#[inline(never)]
fn update_fears(pairs: &mut [PairState], noise: &[u32], mobilization: &PolityArray, total: &mut PolityArray) {
    let (mut row, mut sum) = (0u8, 0.0);
    for (st, &raw) in pairs.iter_mut().zip(noise) {
        if st.sees != row {
            total[usize::from(row)] = sum;
            (row, sum) = (st.sees, 0.0);
        }
        if !st.live {
            continue;
        }
        let trust = st.trust + st.recovery * (st.trust0 - st.trust);
        st.trust = trust;
        let threat = fear::threat_exposed(st.exposure, mobilization[usize::from(st.seen)], trust);
        // A uniform on (-1, 1) from the raw draw: 2u - 1 with u = (raw + 1/2) / 2^32.
        let centred = f64::from(raw) * (2.0 / 4_294_967_296.0) - (1.0 - 1.0 / 4_294_967_296.0);
        let f = fear::next_fear(
            st.fear,
            st.gain,
            threat,
            st.decay,
            st.grievance,
            st.amplitude * centred,
            st.shock,
        );
        st.shock = 0.0;
        st.fear = f;
        sum += f;
    }
    total[usize::from(row)] = sum;
}
