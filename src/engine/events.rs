//! Scripted events (docs/model.md §3, step 1 of the month): which fire this month, the
//! conditions they read (§3.1), their effects, and the end of a polity (§7).

use super::fear_spiral::hostile_act;
use super::workspace::{side, Workspace, NO_PLAN};
use super::{Happening, Models, Observer};
use crate::engine::outcome::{Deed, NEVER};
use crate::model::{CompiledCondition, CompiledEffect, DyadStatus, Model};
use crate::rng::draws::uniform;
use crate::scenario::{StatusKind, WarEndKind};

/// The events of month offset `t` (`root` is the model as compiled, whose variants the run
/// may move between). Conditions are read first, all of them on the state the months before
/// left; then the events fire in the order of the file.
pub(super) fn scripted_events<V: Models, O: Observer>(
    models: &mut V,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    obs: &mut O,
) {
    let root = models.root();
    let list = root.events_at(t);
    let now = i64::from(t);
    for e in list.iter().map(|&e| e as usize) {
        let ev = &root.events[e];
        if let Some(c) = &ev.when {
            ws.holds[e] = ws.fired_from[e] == NEVER
                && ev.first <= now
                && now <= ev.last
                && condition_holds(root, ws, c, t);
        }
    }
    for k in 0..list.len() {
        let e = models.root().events_at(t)[k] as usize;
        if ws.fired_from[e] != NEVER {
            continue;
        }
        let at_start = ws.variant;
        let m = models.root().variant(at_start);
        let ev = &m.events[e];
        let h = if ev.when.is_none() {
            ev.hazard(now)
        } else if ws.holds[e] {
            if ws.opened[e] == NEVER {
                ws.opened[e] = t;
            }
            // The window closes at `last`, or `within` months after it opened if sooner.
            let opened = i64::from(ws.opened[e]);
            let close = ev.last.min(opened + i64::from(ev.within) - 1);
            if now > close {
                0.0
            } else {
                let h = conditional_hazard(ev.probability, close - opened + 1, ws.held[e]);
                ws.held[e] += 1;
                h
            }
        } else {
            0.0
        };
        if h <= 0.0 || uniform(draws[m.schedule.event(e)]) >= h {
            continue;
        }
        ws.fired_from[e] = t + 1;
        obs.happening(t, Happening::Event { event: e });
        // The effects as the event's variant at its start lists them (every variant lists the
        // same); copied one at a time, since a `Set` among them may ready another variant.
        for j in 0..ev.effects.len() {
            let effect = models.root().variant(at_start).events[e].effects[j];
            apply_effect(models, ws, t, &effect, obs);
        }
    }
}

/// The hazard of a conditional event in a month its condition holds, after it held in `held`
/// earlier months of its window without firing, the window having had `left` months when it
/// opened: `p / L / (1 − p·held / L)`, so that each month in which the condition holds carries
/// the chance `p / L` and the event happens with probability `p · (months held) / L` at most
/// `p` (docs/model.md §10).
#[inline]
pub fn conditional_hazard(probability: f64, left: i64, held: u32) -> f64 {
    let len = left.max(1) as f64;
    let remaining = 1.0 - probability * f64::from(held) / len;
    if remaining <= 0.0 {
        return 1.0;
    }
    (probability / len / remaining).min(1.0)
}

/// Whether condition `c` holds at the start of month offset `t` (on what the months before
/// left; see [`crate::scenario::Condition`]).
fn condition_holds(m: &Model, ws: &Workspace, c: &CompiledCondition, t: u32) -> bool {
    let since = |from: u32, after: u32| from != NEVER && u64::from(t) >= u64::from(from) + u64::from(after);
    match c {
        CompiledCondition::Status {
            dyad,
            is,
            lord,
            after,
        } => {
            let (a, b) = m.dyads[*dyad];
            if !(ws.active[a] && ws.active[b]) {
                return false;
            }
            let status = ws.status[*dyad];
            let right = match (is, status) {
                (StatusKind::Peace, DyadStatus::Peace)
                | (StatusKind::War, DyadStatus::War { .. })
                | (StatusKind::Truce, DyadStatus::Truce { .. })
                | (StatusKind::Alliance, DyadStatus::Alliance)
                | (StatusKind::Tie, DyadStatus::Alliance | DyadStatus::Vassal { .. }) => true,
                (StatusKind::Vassal, DyadStatus::Vassal { lord: l }) => {
                    lord.is_none_or(|side| usize::from(l) == if side == 0 { a } else { b })
                }
                _ => false,
            };
            right && since(ws.outcome.memory[*dyad].status_from, *after)
        }
        CompiledCondition::WarBegun { dyad, by, after } => {
            let from = &ws.outcome.memory[*dyad].onset_from;
            let last = match by {
                Some(side) => from[usize::from(*side)],
                None => most_recent(from[0], from[1]),
            };
            since(last, *after)
        }
        CompiledCondition::WarEnded {
            dyad,
            how,
            winner,
            after,
        } => {
            let ended = &ws.outcome.memory[*dyad].ended_from;
            let hows: &[usize] = match how {
                Some(WarEndKind::Truce) => &[0],
                Some(WarEndKind::Capitulation) => &[1],
                Some(WarEndKind::Ceased) => &[2],
                None => &[0, 1, 2],
            };
            let winners: &[usize] = match winner {
                Some(0) => &[0],
                Some(_) => &[1],
                None => &[0, 1, 2],
            };
            let last = hows
                .iter()
                .flat_map(|&h| winners.iter().map(move |&w| ended[h][w]))
                .fold(NEVER, most_recent);
            since(last, *after)
        }
        CompiledCondition::Balance {
            dyad,
            favour,
            at_least,
        } => {
            matches!(ws.status[*dyad], DyadStatus::War { .. }) && {
                let b = ws.balance[*dyad];
                (if *favour == 0 { b } else { -b }) >= *at_least
            }
        }
        CompiledCondition::Ended { polity, after } => {
            let ceased = ws.outcome.ceased[*polity];
            ceased != NEVER && since(ceased + 1, *after)
        }
        CompiledCondition::Fired { event, after } => since(ws.fired_from[*event], *after),
        CompiledCondition::All(list) => list.iter().all(|x| condition_holds(m, ws, x, t)),
        CompiledCondition::Any(list) => list.iter().any(|x| condition_holds(m, ws, x, t)),
        CompiledCondition::Not(x) => !condition_holds(m, ws, x, t),
    }
}

/// The later of two "from" months, [`NEVER`] counting as never.
#[inline]
fn most_recent(x: u32, y: u32) -> u32 {
    match (x == NEVER, y == NEVER) {
        (true, _) => y,
        (_, true) => x,
        _ => x.max(y),
    }
}

/// Apply one effect of a scripted event; `root` is the model as compiled, and the effect acts
/// under the run's present variant of it.
fn apply_effect<V: Models, O: Observer>(
    models: &mut V,
    ws: &mut Workspace,
    t: u32,
    effect: &CompiledEffect,
    obs: &mut O,
) {
    let live = |ws: &Workspace, a: usize, b: usize| ws.active[a] && ws.active[b];
    if let CompiledEffect::Set { slot, digit, .. } = *effect {
        let s = &models.root().set_slots[slot];
        let next = ws.variant - usize::from(ws.setter[slot]) * s.stride + usize::from(digit) * s.stride;
        models.enter(next);
    }
    let root = models.root();
    let m = root.variant(ws.variant);
    match *effect {
        CompiledEffect::Contact { a, b, value } if live(ws, a, b) => {
            let before = ws.pair(a, b).contact;
            ws.pair_mut(a, b).contact = value;
            ws.pair_mut(b, a).contact = value;
            ws.refresh_contact(m, a, b);
            ws.refresh_contact(m, b, a);
            obs.happening(
                t,
                Happening::Contact {
                    a,
                    b,
                    before,
                    after: value,
                },
            );
        }
        CompiledEffect::Trust { of, toward, delta } if live(ws, of, toward) => {
            let st = ws.pair_mut(of, toward);
            let before = st.trust;
            st.trust = (before + delta).clamp(0.0, 1.0);
            let after = st.trust;
            obs.happening(
                t,
                Happening::Trust {
                    of,
                    toward,
                    before,
                    after,
                },
            );
        }
        CompiledEffect::Fear { of, toward, amount } if live(ws, of, toward) => {
            ws.pair_mut(of, toward).shock += amount;
            obs.happening(t, Happening::FearShock { of, toward, amount });
        }
        CompiledEffect::HostileAct {
            actor,
            victim,
            severity,
        } if live(ws, actor, victim) => {
            hostile_act(m, ws, t, actor, victim, severity, true, obs);
        }
        CompiledEffect::Strength { polity, factor } if ws.active[polity] => {
            let before = ws.strength[polity];
            ws.strength[polity] = before * factor;
            ws.base_strength[polity] *= factor;
            ws.refresh_strength(polity);
            obs.happening(
                t,
                Happening::Strength {
                    polity,
                    before,
                    after: ws.strength[polity],
                },
            );
        }
        CompiledEffect::Stability { polity, delta } if ws.active[polity] => {
            let before = ws.stability[polity];
            ws.stability[polity] = (before + delta).clamp(0.0, 1.0);
            obs.happening(
                t,
                Happening::Stability {
                    polity,
                    before,
                    after: ws.stability[polity],
                },
            );
        }
        CompiledEffect::Cease { polity } if ws.active[polity] => cease(m, ws, t, polity, obs),
        CompiledEffect::EndTie { a, b } if live(ws, a, b) => {
            let d = m.dyad_of[a * m.n + b];
            let tied = matches!(ws.status[d], DyadStatus::Alliance | DyadStatus::Vassal { .. });
            if tied {
                if ws.status[d] == DyadStatus::Alliance {
                    ws.set_allied(a, b, false);
                }
                ws.status[d] = DyadStatus::Peace;
                super::treaty::end(ws, d);
                ws.outcome.note(t, d, Deed::TieDissolved);
                obs.happening(t, Happening::TieEnded { a, b });
            }
        }
        CompiledEffect::Set { slot, digit, write } => {
            let s = &root.set_slots[slot];
            ws.variant = ws.variant - usize::from(ws.setter[slot]) * s.stride + usize::from(digit) * s.stride;
            ws.setter[slot] = digit;
            let next = root.variant(ws.variant);
            ws.adopt(next);
            ws.write_state(next, write);
            obs.happening(t, Happening::Set { slot, digit });
        }
        CompiledEffect::Rename { polity, name } => obs.happening(t, Happening::Renamed { polity, name }),
        _ => {}
    }
}

pub(super) fn cease<O: Observer>(m: &Model, ws: &mut Workspace, t: u32, x: usize, obs: &mut O) {
    cease_after(m, ws, t, x, None, obs);
}

/// `x` ceases to exist at month offset `t`; the war of pair `ended` (if any) has already been
/// recorded as ended (by `x`'s capitulation), so only its other wars are recorded as ended by
/// its end.
pub(super) fn cease_after<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    x: usize,
    ended: Option<usize>,
    obs: &mut O,
) {
    ws.active[x] = false;
    ws.outcome.ceased[x] = t;
    for y in (0..m.n).filter(|&y| y != x) {
        ws.pair_mut(x, y).live = false;
        ws.pair_mut(y, x).live = false;
    }
    for (d, &(a, b)) in m.dyads.iter().enumerate() {
        if a != x && b != x {
            continue;
        }
        if let DyadStatus::War { .. } = ws.status[d] {
            ws.wars[a] -= 1;
            ws.wars[b] -= 1;
        }
        if matches!(ws.status[d], DyadStatus::War { .. }) && ended != Some(d) {
            ws.outcome.note(
                t,
                d,
                Deed::Ended {
                    side: side(a, x) as u8,
                },
            );
        }
        if ws.status[d] == DyadStatus::Alliance {
            ws.set_allied(a, b, false);
        }
        ws.status[d] = DyadStatus::Peace;
        ws.balance[d] = 0.0;
        super::treaty::end(ws, d);
    }
    for y in 0..m.n {
        if y == x || ws.plan[y] == x as u32 {
            ws.plan[y] = NO_PLAN;
        }
    }
    obs.happening(t, Happening::Ceased { polity: x });
}
