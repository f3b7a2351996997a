//! Settlement by offer and acceptance (`bargaining`, docs/model.md §6.11): what each side
//! expects of fighting on, the seeker's offer and the other side's answer, the treaty that an
//! accepted offer makes, and what a refusal teaches.

use super::settlement::{cede_or_owe, make_junior, open_truce};
use super::war_process::coalition_force;
use super::workspace::{side, Treaty, Workspace};
use super::{Happening, Observer};
use crate::engine::outcome::Deed;
use crate::model::settlement::{self, Offer};
use crate::model::{front, perception, war};
use crate::model::{DyadIndex, Model};

/// The true forces of the two sides of the war of `x` and `y`: `x`'s side, then `y`'s
/// ([`coalition_force`] without a perception), computed once for the judgements below.
#[inline]
pub(super) fn true_forces(m: &Model, ws: &Workspace, x: usize, y: usize) -> (f64, f64) {
    (
        coalition_force(m, ws, x, y, None),
        coalition_force(m, ws, y, x, None),
    )
}

/// Where `x` expects the front of its war with `y` to settle, from its own side: the stalemate
/// point ([`front::stalemate`]) of its side's true force `own` against `y`'s side's force as `x`
/// perceives it, with the two sides' gradients.
#[inline]
pub(super) fn expected_settlement(m: &Model, ws: &Workspace, x: usize, y: usize, own: f64) -> f64 {
    front::stalemate(
        own,
        coalition_force(m, ws, y, x, Some(x)),
        m.projection_decay[x],
        m.projection_decay[y],
    )
}

/// The cost to `x` of fighting on over the horizon, as its court counts it
/// ([`settlement::cost_of_war`]), its share of the losses taken from the true forces `own` of its
/// side and `enemy` of the other.
#[inline]
pub(super) fn cost_of_war(m: &Model, ws: &Workspace, x: usize, own: f64, enemy: f64) -> f64 {
    settlement::cost_of_war(
        m.rules.settlement_horizon,
        m.rules.war_cost,
        war::loss_share(own, enemy),
        m.war_burden[x],
        ws.stability[x],
        m.rigidity[x],
    )
}

/// `x`'s value of fighting on against `y`, with `own` and `enemy` the true forces of the two
/// sides ([`true_forces`]): its expected settlement less its cost.
#[inline]
pub(super) fn value_of_war(m: &Model, ws: &Workspace, x: usize, y: usize, own: f64, enemy: f64) -> f64 {
    expected_settlement(m, ws, x, y, own) - cost_of_war(m, ws, x, own, enemy)
}

/// Talks under `bargaining`: the seeker's offer, the responder's surplus and its answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Bid {
    /// What the seeker demands.
    pub(super) offer: Offer,
    /// How far the terms beat the responder's value of fighting on.
    pub(super) surplus: f64,
    /// Whether the responder accepted (the talks uniform below its acceptance probability).
    pub(super) accepted: bool,
}

/// The talks `seeker` opened with `other`, answered with the dyad's talks uniform `u`: the
/// seeker demands `seeker_share` of the range it sees (junior status too when it pays it and
/// ties exist), and the other accepts with probability
/// `Λ(surplus / settlement_noise)` ([`settlement::acceptance`]).
pub(super) fn bargain(m: &Model, ws: &Workspace, seeker: usize, other: usize, u: f64) -> Bid {
    let (seeker_force, other_force) = true_forces(m, ws, seeker, other);
    let expected = expected_settlement(m, ws, seeker, other, seeker_force);
    let responder_cost = cost_of_war(m, ws, other, other_force, seeker_force);
    let junior_possible = m.mechanisms.alliances && m.mechanisms.war_process;
    let offer = settlement::offer(
        expected,
        cost_of_war(m, ws, seeker, seeker_force, other_force),
        responder_cost,
        m.rules.seeker_share,
        m.submission_cost[other],
        m.tribute_gain[seeker],
        junior_possible,
    );
    let submission = if offer.junior {
        m.submission_cost[other]
    } else {
        0.0
    };
    let terms = -offer.line - submission;
    let reservation = expected_settlement(m, ws, other, seeker, other_force) - responder_cost;
    let surplus = settlement::surplus(terms, reservation);
    let accepted = u < settlement::acceptance(surplus, m.rules.settlement_noise);
    Bid {
        offer,
        surplus,
        accepted,
    }
}

/// A refused offer teaches both sides (Slantchev 2003): each perception factor of the dyad
/// that is not exactly 1 is corrected by `talks_learning` ([`perception::learn`]).
pub(super) fn learn_from_refusal(m: &Model, ws: &mut Workspace, ix: &DyadIndex) {
    for q in [ix.q_ab, ix.q_ba] {
        if ws.pairs[q].perceived != 1.0 {
            ws.pairs[q].perceived = perception::learn(ws.pairs[q].perceived, m.rules.talks_learning);
            ws.refresh_exposure(q);
        }
    }
}

/// The war of pair `d` ends at month offset `t` in the settlement `offer` that `seeker`
/// demanded and the other side accepted: a truce (counted, trust gained as in any truce) whose
/// treaty line is the offer's line; the front moves to it (`front`); with `war_process`, the
/// side the line moved toward receives `cession_per_line` of the other's base strength per unit
/// of the move, and junior status makes the other side the seeker's vassal.
pub(super) fn settle<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    seeker: usize,
    offer: Offer,
    obs: &mut O,
) {
    let (a, b) = m.dyads[d];
    open_truce(m, ws, t, d);
    let line = if seeker == a { offer.line } else { -offer.line };
    let before = std::mem::replace(&mut ws.line[d], line);
    ws.balance[d] = if m.mechanisms.front { line } else { 0.0 };
    if m.mechanisms.treaties {
        ws.treaty[d] = Treaty::plain(t);
    }
    if !m.mechanisms.war_process {
        return;
    }
    let share = settlement::cession(before, line, m.rules.cession_per_line);
    let (gainer, loser) = if line > before { (a, b) } else { (b, a) };
    if share > 0.0 {
        cede_or_owe(m, ws, t, d, gainer, loser, share);
    }
    let other = if seeker == a { b } else { a };
    let lord = (offer.junior && m.mechanisms.alliances).then_some(seeker);
    if share > 0.0 || lord.is_some() {
        // The deed names the lord as the winner when there is one, else the side that gained.
        let winner = lord.unwrap_or(gainer);
        ws.outcome.note(
            t,
            d,
            Deed::Terms {
                winner: side(a, winner) as u8,
                junior: lord.is_some(),
            },
        );
        obs.happening(
            t,
            Happening::Settled {
                gainer,
                loser,
                share,
                lord,
            },
        );
    }
    if let Some(lord) = lord {
        make_junior(m, ws, t, d, other, lord, obs);
    }
}
