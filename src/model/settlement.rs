//! Settlement by offer and acceptance (Model 3, the `bargaining` mechanism). Each side values
//! fighting on by where it expects the front to settle, through its own perception, less what
//! the war costs it over a horizon; opened talks carry an offer, which the other side accepts
//! when the terms beat its own value of fighting on. The equations (with units in
//! `docs/model.md` §6.11):
//!
//! ```text
//! value of fighting on   V_x = E_x − C_x
//!                        E_x = stalemate(F_x, F̂_y)               (x's expected settlement, its side)
//!                        C_x = (1 − r_x) · H · (war_cost · share_x + d_x · (2 − σ_x))
//! the seeker i's offer   plain:  x = clamp((E_i + C_j) − (1 − s) · (C_i + C_j), −1, 1)
//!                                (a share s of the range it sees, from its own value E_i − C_i
//!                                 to its estimate of j's reservation, E_i + C_j from its side)
//!                        junior: x = clamp((E_i + C_j) − (1 − s) · (C_i + C_j) − k_j, −1, 1), j becomes
//!                                i's junior, chosen when x_junior + g_i > x_plain
//! the responder j        z = (−x − k_j·[junior]) − V_j
//!                        accepts with probability Λ(z / τ)        (τ = 0: accepts iff z ≥ 0)
//! ```
//!
//! H is the rule `settlement_horizon`, s `seeker_share`, τ `settlement_noise`, r_x the polity's
//! `status_rigidity` (a proud court discounts the cost of war), d_x `war_burden`, k_j
//! `submission_cost`, g_i `tribute_gain`, share_x the losses share of `war::loss_share` and
//! Λ(z) = 1/(1 + e^(−z)).

/// The cost of fighting on over `horizon` months, as a court of status rigidity `rigidity`
/// counts it: `(1 − r) · H · (war_cost · share + burden · (2 − σ))`, each month its share
/// `share` of the losses and its court's burden `burden`, doubled at full unrest (`stability` 0).
#[inline]
pub fn cost_of_war(
    horizon: f64,
    war_cost: f64,
    share: f64,
    burden: f64,
    stability: f64,
    rigidity: f64,
) -> f64 {
    (1.0 - rigidity) * (horizon * (war_cost * share + burden * (2.0 - stability)))
}

/// What the seeker of talks demands: the treaty line (from its own side) and whether the other
/// side is to become its junior.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Offer {
    /// The treaty line, in `[−1, 1]`, from the seeker's side.
    pub line: f64,
    /// Whether the responder is to accept junior status (a vassal tie with the seeker as lord).
    pub junior: bool,
}

/// The seeker's offer: a share `share` of the bargaining range it sees, which runs from its own
/// value of fighting on (`expected − own_cost`) to its estimate of the responder's reservation
/// (`expected + responder_cost`: it thinks the front settles at `expected` and knows the
/// responder's cost); `share` 1 is an ultimatum at that reservation. When `junior_possible` and
/// it pays the seeker (`line_junior + tribute_gain > line_plain`), the line is better for the
/// responder by its `submission_cost`, and the responder is to become the seeker's junior.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn offer(
    expected: f64,
    own_cost: f64,
    responder_cost: f64,
    share: f64,
    submission_cost: f64,
    tribute_gain: f64,
    junior_possible: bool,
) -> Offer {
    let demand = (expected + responder_cost) - (1.0 - share) * (own_cost + responder_cost);
    let plain = demand.clamp(-1.0, 1.0);
    if junior_possible && tribute_gain > 0.0 {
        let line = (demand - submission_cost).clamp(-1.0, 1.0);
        if line + tribute_gain > plain {
            return Offer { line, junior: true };
        }
    }
    Offer {
        line: plain,
        junior: false,
    }
}

/// How far terms worth `terms` to the responder (from its side) beat its value of fighting on
/// `reservation`: `terms − reservation`.
#[inline]
pub fn surplus(terms: f64, reservation: f64) -> f64 {
    terms - reservation
}

/// The probability that the responder accepts terms with surplus `surplus`: `Λ(surplus /
/// noise)`, its private noise a logistic of scale `noise`; with `noise` 0, 1 when the surplus
/// is at least 0 and 0 otherwise.
#[inline]
pub fn acceptance(surplus: f64, noise: f64) -> f64 {
    if noise > 0.0 {
        1.0 / (1.0 + (-surplus / noise).exp())
    } else if surplus >= 0.0 {
        1.0
    } else {
        0.0
    }
}

/// The share of the loser's base strength that moves with the treaty line from `before` to
/// `after` (either side's view): `min(1, per_line · |after − before|)`.
#[inline]
pub fn cession(before: f64, after: f64, per_line: f64) -> f64 {
    (per_line * (after - before).abs()).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fearon's range: with perfect information an ultimatum (share 1) leaves the responder
    /// exactly at its reservation, so it is accepted for sure without noise and at ½ with; a
    /// smaller share leaves it `(1 − s)(C_i + C_j)` above it.
    #[test]
    fn an_offer_under_perfect_information_clears_at_the_reservation_or_above() {
        for (e, ci, cj) in [
            (0.3, 0.2, 0.4),
            (-0.5, 0.1, 0.1),
            (0.0, 0.0, 0.3),
            (0.9, 0.5, 0.6),
        ] {
            let o = offer(e, ci, cj, 1.0, 1.0, 0.0, true);
            assert!(!o.junior);
            let v_j = -e - cj;
            let z = surplus(-o.line, v_j);
            assert!(z >= 0.0, "{z}");
            if e + cj <= 1.0 {
                assert_eq!(z, 0.0);
                assert_eq!(acceptance(z, 0.1), 0.5);
            }
            assert_eq!(acceptance(z, 0.0), 1.0);
            // The seeker never asks for less than its own value of fighting on.
            assert!(o.line >= e - ci);
            let half = offer(e, ci, cj, 0.5, 1.0, 0.0, true);
            let z = surplus(-half.line, v_j);
            if half.line > -1.0 && half.line < 1.0 {
                assert!((z - 0.5 * (ci + cj)).abs() < 1e-12, "{z}");
            }
        }
    }

    #[test]
    fn junior_status_is_demanded_only_when_the_tribute_is_worth_more_than_it_costs() {
        assert!(offer(0.2, 0.1, 0.3, 1.0, 0.4, 0.5, true).junior);
        assert!(!offer(0.2, 0.1, 0.3, 1.0, 0.4, 0.3, true).junior);
        assert!(!offer(0.2, 0.1, 0.3, 1.0, 0.4, 0.5, false).junior);
        let o = offer(0.2, 0.1, 0.3, 1.0, 0.4, 0.5, true);
        assert!((o.line - 0.1).abs() < 1e-15);
        assert_eq!(
            cost_of_war(24.0, 0.01, 0.5, 0.01, 1.0, 0.0),
            24.0 * (0.005 + 0.01)
        );
        assert_eq!(cost_of_war(24.0, 0.01, 0.5, 0.01, 1.0, 1.0), 0.0);
    }

    #[test]
    fn acceptance_is_monotone_and_a_logistic() {
        let mut last = 0.0;
        for k in -50..=50 {
            let p = acceptance(f64::from(k) / 10.0, 0.3);
            assert!(p >= last);
            last = p;
        }
        assert!((acceptance(0.3, 0.3) - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-15);
        assert_eq!(acceptance(-1e-300, 0.0), 0.0);
    }

    #[test]
    fn cession_follows_the_line_moved() {
        assert_eq!(cession(0.0, 0.5, 0.2), 0.1);
        assert_eq!(cession(0.5, 0.0, 0.2), 0.1);
        assert_eq!(cession(-1.0, 1.0, 0.8), 1.0);
        assert_eq!(cession(0.3, 0.3, 0.2), 0.0);
    }
}
