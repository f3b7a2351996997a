//! A war begins (docs/model.md §6.2): by a decision at peace, a war plan carried out, a truce
//! broken, or an ally joining the war of an attacked ally (§6.3).

use super::workspace::{allied, side, Workspace, NO_PLAN};
use super::{Happening, Observer};
use crate::engine::outcome::{Deed, NEVER};
use crate::model::{DyadStatus, Model};
use crate::rng::draws::uniform;

/// How a war began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Onset {
    /// A decision at peace (§6.2).
    Decided,
    /// A war plan carried out when ready.
    Planned,
    /// A truce broken.
    Breach,
    /// An ally entered the war of an attacked ally (`breach`: breaking its own truce with the
    /// attacker).
    Joined {
        /// Whether the ally broke a truce to join.
        breach: bool,
    },
}

/// Polity `i` begins a war on `j` in pair `d` at month offset `t` (how: `onset`). When `j` was
/// attacked (not joined against) and ties are by consent, each of `j`'s allies then decides
/// whether to join the war on `j`'s side.
#[allow(clippy::too_many_arguments)]
pub(super) fn begin_war<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    d: usize,
    i: usize,
    j: usize,
    onset: Onset,
    obs: &mut O,
) {
    let n = m.n;
    let (a, _) = m.dyads[d];
    let fear_before = ws.pair(i, j).fear;
    ws.status[d] = DyadStatus::War {
        initiator: i as u16,
        since: t,
    };
    // A war starts from the front where the last one left it (`front`), else from 0; a treaty in
    // force ends with the war.
    if !m.mechanisms.front {
        ws.balance[d] = 0.0;
    }
    ws.treaty[d] = super::workspace::Treaty::NONE;
    ws.begun[d] = t;
    ws.wars[i] += 1;
    ws.wars[j] += 1;
    // A plan against the enemy is done with, the planner's and the target's alike.
    for (x, y) in [(i, j), (j, i)] {
        if ws.plan[x] == y as u32 {
            ws.plan[x] = NO_PLAN;
        }
    }
    let first = ws.outcome.dyads[d].first_onset == NEVER;
    let (x, y) = m.dyads[d];
    let history_xy = *ws.acts_window(x * n + y, t);
    let history_yx = *ws.acts_window(y * n + x, t);
    let out = &mut ws.outcome.dyads[d];
    out.wars = out.wars.saturating_add(1);
    // The onset month is a month at war.
    out.months_at_war += 1;
    if first {
        out.first_onset = t;
        out.initiator = side(a, i) as u8;
        out.acts_history_at_onset = [history_xy, history_yx];
        out.mobilization_at_onset = [ws.mobilization[x] as f32, ws.mobilization[y] as f32];
    }
    let breach = matches!(onset, Onset::Breach | Onset::Joined { breach: true });
    let joined = matches!(onset, Onset::Joined { .. });
    ws.outcome.note(
        t,
        d,
        Deed::War {
            by: side(a, i) as u8,
            breach,
            joined,
        },
    );
    let shock = m.rules.war_fear_shock;
    ws.pair_mut(i, j).fear += shock;
    ws.pair_mut(j, i).fear += shock;
    ws.pair_mut(j, i).trust = 0.0;
    obs.happening(
        t,
        Happening::WarBegins {
            initiator: i,
            target: j,
            breach,
            joined,
            fear: fear_before,
            mobilization: ws.mobilization[i],
        },
    );
    if !joined && m.mechanisms.consent {
        call_allies(m, ws, draws, t, i, j, obs);
    }
}

/// `j` was attacked by `i`: each ally `k` of `j` that is at peace, or in a truce concluded before
/// this month, with `i` joins
/// the war against `i` with probability `join_propensity_k · trust_kj`, decided on the talks
/// slot of pair {k, i} (unused this month: that pair is not at war). A joined war calls no
/// further allies.
fn call_allies<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    i: usize,
    j: usize,
    obs: &mut O,
) {
    for k in 0..m.n {
        if k == i || k == j || !ws.active[k] || !allied(m, ws, j, k) || m.join_propensity[k] <= 0.0 {
            continue;
        }
        let dk = m.dyad_of[k * m.n + i];
        // A truce concluded this month has used the pair's talks number already.
        let breach = match ws.status[dk] {
            DyadStatus::Peace => false,
            DyadStatus::Truce { since } if since < t => true,
            _ => continue,
        };
        let p = m.join_propensity[k] * ws.pair(k, j).trust;
        if uniform(draws[m.schedule.talks(dk)]) < p {
            if breach {
                let out = &mut ws.outcome.dyads[dk];
                out.truces_broken = out.truces_broken.saturating_add(1);
            }
            begin_war(m, ws, draws, t, dk, k, i, Onset::Joined { breach }, obs);
        }
    }
}
