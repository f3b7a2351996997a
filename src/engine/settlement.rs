//! The end of a war (docs/model.md §6.5): the month's decision of a pair at war (capitulation
//! or talks), a truce concluded, a capitulation, and the terms of the peace that follows.

use super::bargaining::{bargain, learn_from_refusal, settle};
use super::decisions::first_to_act;
use super::events::cease_after;
use super::ties::form_vassal_tie;
use super::war_process::war_odds;
use super::workspace::{side, Treaty, Workspace};
use super::{Happening, Observer};
use crate::engine::outcome::Deed;
use crate::model::hazard;
use crate::model::war;
use crate::model::{DyadIndex, DyadStatus, Model};
use crate::rng::draws::uniform;

/// The decision of pair `d` (`ix`) at war since month offset `since`, at month offset `t`:
/// capitulation, or talks that may end in a truce (§6.5); a month at war is counted when the
/// war goes on. Inlined into the loop of `decisions`, as each status's decision is.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn war_decision<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    d: usize,
    ix: &DyadIndex,
    since: u32,
    obs: &mut O,
) {
    let DyadIndex { a, b, .. } = *ix;
    // A war begun this month (an ally joined it after this pair's turn came up
    // empty) has had its month counted by `begin_war` and cannot end yet.
    if ws.begun[d] == t {
        return;
    }
    let (raw_ab, raw_ba) = (draws[ix.decision_slots[0]], draws[ix.decision_slots[1]]);
    // Most months at war neither side capitulates or seeks talks: both draws lie
    // above any capitulation and talks probability (`DyadIndex::talks_bound`).
    // A side may capitulate only while the balance is decisive against it.
    let decisive = ws.balance[d].abs() >= m.rules.capitulation_balance && ws.balance[d] != 0.0;
    if decisive || u64::from(raw_ab) < ix.talks_bound[0] || u64::from(raw_ba) < ix.talks_bound[1] {
        let (u_ab, u_ba) = (uniform(raw_ab), uniform(raw_ba));
        let balance = ws.balance[d];
        let weigh = m.mechanisms.victory_odds;
        let decisive = m.rules.capitulation_balance;
        // The odds are worked out only where they can matter: for a side whose
        // balance is decisive against it, or whose draw lies below twice its
        // unweighed talks hazard (the weight `1 − seen balance` is at most 2).
        let odds = |x: usize, y: usize| if weigh { war_odds(m, ws, x, y) } else { 0.0 };
        let cap = |x: usize, y: usize, own: f64| {
            if own <= -decisive && own < 0.0 && m.capitulation_propensity[x] > 0.0 {
                war::capitulation_hazard(m.capitulation_propensity[x], own, decisive, odds(x, y))
            } else {
                0.0
            }
        };
        let (cap_a, cap_b) = (cap(a, b, balance), cap(b, a, -balance));
        if u_ab < cap_a || u_ba < cap_b {
            let (loser, winner) = if u_ab < cap_a { (a, b) } else { (b, a) };
            capitulate(m, ws, t, d, loser, winner, obs);
            return;
        }
        if m.mechanisms.truces {
            let months = t - since;
            // The talks hazard before its weight and its cap at 1, once per side.
            let talks = |x: usize, y: usize, own: f64, out: f64, u: f64| {
                let wish = hazard::talks_wish(m.talk_propensity[x], months, ws.stability[x], out);
                if !weigh {
                    (wish * 1.0).min(1.0)
                } else if u < (wish * 2.0).min(1.0) {
                    (wish * (1.0 - war::seen_balance(own, odds(x, y)))).min(1.0)
                } else {
                    0.0
                }
            };
            let [out_a, out_b] = ix.outmatched;
            let p_a = talks(a, b, balance, out_a, u_ab - cap_a);
            let p_b = talks(b, a, -balance, out_b, u_ba - cap_b);
            if let Some(first) = first_to_act(u_ab - cap_a, p_a, u_ba - cap_b, p_b) {
                let (seeker, other) = if first == 0 { (a, b) } else { (b, a) };
                let u_talks = uniform(draws[m.schedule.talks(d)]);
                // With `bargaining` the talks carry an offer the other side accepts or not;
                // else they succeed with `talks_success` (§6.5, §6.11).
                let bid = m
                    .mechanisms
                    .bargaining
                    .then(|| bargain(m, ws, seeker, other, u_talks));
                let truce = match &bid {
                    Some(bid) => bid.accepted,
                    None => {
                        u_talks < hazard::talks_success(m.rules.talks_success, m.rigidity[a], m.rigidity[b])
                    }
                };
                let out = &mut ws.outcome.dyads[d];
                out.talks = out.talks.saturating_add(1);
                ws.outcome.note(
                    t,
                    d,
                    Deed::Talks {
                        by: first as u8,
                        truce,
                    },
                );
                obs.happening(t, Happening::Talks { seeker, other, truce });
                match bid {
                    Some(bid) => {
                        obs.happening(
                            t,
                            Happening::Offer {
                                seeker,
                                other,
                                line: bid.offer.line,
                                junior: bid.offer.junior,
                                surplus: bid.surplus,
                            },
                        );
                        if truce {
                            settle(m, ws, t, d, seeker, bid.offer, obs);
                            return;
                        }
                        learn_from_refusal(m, ws, ix);
                    }
                    None if truce => {
                        conclude_truce(m, ws, t, d, obs);
                        return;
                    }
                    None => {}
                }
            }
        }
    }
    ws.outcome.dyads[d].months_at_war += 1;
}

/// The war of pair `d` ends at month offset `t` because talks succeeded: a truce, with the
/// terms that follow the war balance when wars are a process (`war_process`).
fn conclude_truce<O: Observer>(m: &Model, ws: &mut Workspace, t: u32, d: usize, obs: &mut O) {
    let (a, b) = m.dyads[d];
    open_truce(m, ws, t, d);
    // The front stays where it is (`front`), else it is reset; the treaty line is the front.
    let balance = if m.mechanisms.front {
        ws.balance[d]
    } else {
        std::mem::replace(&mut ws.balance[d], 0.0)
    };
    if m.mechanisms.treaties {
        ws.line[d] = balance;
        ws.treaty[d] = Treaty::plain(t);
    }
    if !m.mechanisms.war_process {
        return;
    }
    let (winner, loser) = if balance > 0.0 { (a, b) } else { (b, a) };
    let terms = war::terms(balance.abs(), m.rules.terms_cession, m.rules.terms_junior);
    if terms != war::Terms::Even {
        impose_terms(m, ws, t, d, winner, loser, terms, obs);
    }
}

/// The war of pair `d` ends in a truce concluded at month offset `t` (by talks or a settlement):
/// the truce is counted, the status becomes `truce`, each side fights one war fewer and each
/// side's trust in the other rises by `truce_trust_gain` (capped at 1), *a*'s first.
pub(super) fn open_truce(m: &Model, ws: &mut Workspace, t: u32, d: usize) {
    let (a, b) = m.dyads[d];
    let ix = m.dyad_index[d];
    let out = &mut ws.outcome.dyads[d];
    out.truces = out.truces.saturating_add(1);
    ws.status[d] = DyadStatus::Truce { since: t };
    ws.wars[a] -= 1;
    ws.wars[b] -= 1;
    let gain = m.rules.truce_trust_gain;
    ws.pairs[ix.q_ab].trust = (ws.pairs[ix.q_ab].trust + gain).min(1.0);
    ws.pairs[ix.q_ba].trust = (ws.pairs[ix.q_ba].trust + gain).min(1.0);
}

/// The loser of pair `d`'s war capitulates at month offset `t`: it ends as a state when it is
/// `conquerable`, else it cedes and becomes the winner's vassal ([`war::Terms::Junior`]; with
/// `alliances` off, a truce with a cession).
fn capitulate<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    loser: usize,
    winner: usize,
    obs: &mut O,
) {
    let a = m.dyads[d].0;
    ws.outcome.note(
        t,
        d,
        Deed::Capitulation {
            side: side(a, loser) as u8,
        },
    );
    let balance = if loser == a { ws.balance[d] } else { -ws.balance[d] };
    obs.happening(
        t,
        Happening::Capitulation {
            loser,
            winner,
            balance,
        },
    );
    if m.conquerable[loser] {
        cease_after(m, ws, t, loser, Some(d), obs);
        return;
    }
    ws.wars[winner] -= 1;
    ws.wars[loser] -= 1;
    ws.status[d] = DyadStatus::Truce { since: t };
    if m.mechanisms.treaties {
        ws.line[d] = ws.balance[d];
        ws.treaty[d] = Treaty::plain(t);
    }
    if !m.mechanisms.front {
        ws.balance[d] = 0.0;
    }
    impose_terms(m, ws, t, d, winner, loser, war::Terms::Junior, obs);
}

/// The terms of a peace in pair `d` (just out of war): a cession of `cession_share` of the
/// loser's base (and present) strength to the winner, and for junior status a vassal tie with
/// the winner as lord, each side's trust at least `alliance_exit_trust + truce_trust_gain`.
#[allow(clippy::too_many_arguments)]
fn impose_terms<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    winner: usize,
    loser: usize,
    terms: war::Terms,
    obs: &mut O,
) {
    let a = m.dyads[d].0;
    cede_or_owe(m, ws, t, d, winner, loser, m.rules.cession_share);
    // Junior status is a vassal tie: without ties (`alliances` off) the loser only cedes.
    let junior = terms == war::Terms::Junior && m.mechanisms.alliances;
    ws.outcome.note(
        t,
        d,
        Deed::Terms {
            winner: side(a, winner) as u8,
            junior,
        },
    );
    obs.happening(
        t,
        Happening::Terms {
            winner,
            loser,
            junior,
        },
    );
    if junior {
        make_junior(m, ws, t, d, loser, winner, obs);
    }
}

/// `vassal` accepts junior status under `lord` by the terms of a peace in pair `d`: both sides'
/// trust is raised to at least `alliance_exit_trust + truce_trust_gain` and a vassal tie
/// replaces the truce; with `treaties`, the treaty in force records the lord.
pub(super) fn make_junior<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    vassal: usize,
    lord: usize,
    obs: &mut O,
) {
    let floor = (m.rules.alliance_exit_trust + m.rules.truce_trust_gain).min(1.0);
    let ix = m.dyad_index[d];
    for q in [ix.q_ab, ix.q_ba] {
        ws.pairs[q].trust = ws.pairs[q].trust.max(floor);
    }
    form_vassal_tie(m, ws, t, d, vassal, lord, obs);
    if m.mechanisms.treaties {
        ws.treaty[d].lord = side(m.dyads[d].0, lord) as u8;
    }
}

/// A cession of `share` of `loser`'s base (and present) strength to `winner`, by the terms of a
/// peace in pair `d` at month offset `t`: handed over at once, or, with `treaties` and a
/// `cession_delay`, owed by the treaty in force until it falls due (§6.12).
#[allow(clippy::too_many_arguments)]
pub(super) fn cede_or_owe(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    winner: usize,
    loser: usize,
    share: f64,
) {
    if m.mechanisms.treaties && m.rules.cession_delay > 0 {
        let treaty = &mut ws.treaty[d];
        treaty.due = t + m.rules.cession_delay;
        treaty.debtor = side(m.dyads[d].0, loser) as u8;
        treaty.owed = share;
        return;
    }
    cede(ws, winner, loser, share);
    if m.mechanisms.treaties {
        ws.treaty[d].demarcated = true;
    }
}

/// `loser` hands `share` of its base strength, and the same share of its present strength, to
/// `winner`; the strength ratios of both are recomputed.
pub(super) fn cede(ws: &mut Workspace, winner: usize, loser: usize, share: f64) {
    let ceded = ws.strength[loser] * share;
    ws.base_strength[winner] += ws.base_strength[loser] * share;
    ws.base_strength[loser] *= 1.0 - share;
    ws.strength[winner] += ceded;
    ws.strength[loser] -= ceded;
    ws.refresh_strength(winner);
    ws.refresh_strength(loser);
}
