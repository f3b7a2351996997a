//! War as a process (Model 2, the `war_process` and `victory_odds` mechanisms): the monthly
//! contest, the war balance, the cost of fighting, the terms of a peace and the odds a court
//! sees. The equations (documented with units in `docs/model.md` §6.7–6.9):
//!
//! ```text
//! force_x      = Σ over x and x's allies at war with the enemy of  strength_k · m_k
//! P(x wins the month) = force_x^κ / (force_x^κ + force_y^κ)      (½ when both forces are 0)
//! balance     ← clamp(balance ± war_step, −1, 1)                  (+ when side a wins)
//! strength_x  ← strength_x · (1 − war_cost · share_y)             share_y = force_y / (force_x + force_y)
//! stability_x ← max(0, stability_x − war_unrest · share_y)
//! strength_x  ← min(base_x, strength_x + strength_recovery · base_x)      every month, if below base
//! terms: |balance| ≥ terms_junior → junior status (a vassal tie) and a cession;
//!        |balance| ≥ terms_cession → a cession; else a plain truce
//! odds_ij      = P(i wins a month) with j's force as i perceives it
//! victory_ij   = min(1, 2 · odds_ij)^odds_weight_i               (multiplies the preventive hazard)
//! seen balance = (balance_i + 2 · odds_ij − 1) / 2               (talks: × (1 − seen balance))
//! capitulation = capitulation_propensity_i · (1 − odds_ij)        only if balance_i ≤ −capitulation_balance
//! ```

/// The probability that a side with force `force_x` wins one month's contest against a side
/// with force `force_y`, with decisiveness `kappa`: `f_x^κ / (f_x^κ + f_y^κ)`, a Tullock contest
/// (κ = 1: in proportion to the forces; κ → ∞: the stronger side always wins; κ = 0: a coin).
/// ½ when both forces are 0.
#[inline]
pub fn contest_win_probability(force_x: f64, force_y: f64, kappa: f64) -> f64 {
    let (x, y) = if kappa == 1.0 {
        (force_x, force_y)
    } else {
        (force_x.powf(kappa), force_y.powf(kappa))
    };
    let total = x + y;
    if total > 0.0 {
        x / total
    } else {
        0.5
    }
}

/// The balance after one month's contest: `balance ± step` (toward side 0 when it won),
/// clamped to `[−1, 1]`.
#[inline]
pub fn next_balance(balance: f64, side0_won: bool, step: f64) -> f64 {
    let moved = if side0_won { balance + step } else { balance - step };
    moved.clamp(-1.0, 1.0)
}

/// The share of the month's fighting that falls on a side with force `own` facing `enemy`:
/// the enemy's share of the forces (½ when both are 0). A side's losses are in proportion to it.
#[inline]
pub fn loss_share(own: f64, enemy: f64) -> f64 {
    // The enemy's chance in a contest of decisiveness 1, bit for bit (`own + enemy` and
    // `enemy + own` are the same sum).
    contest_win_probability(enemy, own, 1.0)
}

/// One month of recovery from war losses: a polity below its base strength regains
/// `recovery` of its base strength, up to the base (so that it heals fully in finite time).
#[inline]
pub fn recover(strength: f64, base: f64, recovery: f64) -> f64 {
    if strength < base {
        (strength + recovery * base).min(base)
    } else {
        strength
    }
}

/// The terms of a peace concluded at war balance `balance` (seen from the winner's side, ≥ 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terms {
    /// A plain truce: no side has the upper hand.
    Even,
    /// The loser cedes a share of its base strength (land, tribute) to the winner.
    Cession,
    /// The loser cedes and accepts junior status: a vassal tie with the winner as lord.
    Junior,
}

/// The terms that follow a balance of `balance` in the winner's favour.
#[inline]
pub fn terms(balance: f64, cession_at: f64, junior_at: f64) -> Terms {
    if balance > 0.0 && balance >= junior_at {
        Terms::Junior
    } else if balance > 0.0 && balance >= cession_at {
        Terms::Cession
    } else {
        Terms::Even
    }
}

/// The factor by which *i*'s perceived odds of victory multiply its preventive war hazard:
/// `min(1, 2 · odds)^weight`: 1 at even odds or better, falling toward 0 against a far
/// stronger enemy, the faster the larger the weight (0: the odds do not matter).
#[inline]
pub fn victory_factor(odds: f64, weight: f64) -> f64 {
    if weight == 0.0 {
        return 1.0;
    }
    let even = (2.0 * odds).min(1.0);
    if weight == 1.0 {
        even
    } else {
        even.powf(weight)
    }
}

/// The balance as a side sees it at war: the mean of the balance so far (its side, in
/// `[−1, 1]`) and of the odds ahead (`2 · odds − 1`). Talks are multiplied by `1 − seen`.
#[inline]
pub fn seen_balance(balance: f64, odds: f64) -> f64 {
    (balance + 2.0 * odds - 1.0) / 2.0
}

/// The monthly probability that a side capitulates: only when the balance against it is
/// decisive (`balance ≤ −decisive`), then its propensity times `1 − odds`.
#[inline]
pub fn capitulation_hazard(propensity: f64, balance: f64, decisive: f64, odds: f64) -> f64 {
    if balance <= -decisive && balance < 0.0 {
        propensity * (1.0 - odds)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contest_is_a_ratio_of_forces() {
        assert_eq!(contest_win_probability(1.0, 1.0, 1.0), 0.5);
        assert!((contest_win_probability(3.0, 1.0, 1.0) - 0.75).abs() < 1e-15);
        assert!((contest_win_probability(3.0, 1.0, 2.0) - 0.9).abs() < 1e-15);
        assert_eq!(contest_win_probability(3.0, 1.0, 0.0), 0.5);
        assert_eq!(contest_win_probability(0.0, 0.0, 1.0), 0.5);
        assert_eq!(contest_win_probability(0.0, 2.0, 1.0), 0.0);
        // Symmetric: the two sides' probabilities add up to 1.
        let (p, q) = (
            contest_win_probability(0.7, 0.2, 1.5),
            contest_win_probability(0.2, 0.7, 1.5),
        );
        assert!((p + q - 1.0).abs() < 1e-15);
    }

    #[test]
    fn losses_heal_up_to_the_base() {
        assert!((recover(0.8, 1.0, 0.02) - 0.82).abs() < 1e-15);
        assert_eq!(recover(0.99, 1.0, 0.02), 1.0);
        assert_eq!(recover(1.2, 1.0, 0.02), 1.2);
        assert_eq!(loss_share(3.0, 1.0), 0.25);
    }

    #[test]
    fn terms_follow_the_balance() {
        assert_eq!(terms(0.0, 0.3, 0.6), Terms::Even);
        assert_eq!(terms(0.29, 0.3, 0.6), Terms::Even);
        assert_eq!(terms(0.3, 0.3, 0.6), Terms::Cession);
        assert_eq!(terms(0.6, 0.3, 0.6), Terms::Junior);
        assert_eq!(terms(0.0, 0.0, 0.0), Terms::Even);
    }

    #[test]
    fn capitulation_needs_a_decisive_balance() {
        assert_eq!(capitulation_hazard(0.5, -0.89, 0.9, 0.0), 0.0);
        assert_eq!(capitulation_hazard(0.5, -0.9, 0.9, 0.0), 0.5);
        assert_eq!(capitulation_hazard(0.5, -1.0, 0.9, 0.5), 0.25);
        assert_eq!(capitulation_hazard(0.5, 1.0, 0.0, 0.0), 0.0);
        assert_eq!(capitulation_hazard(0.5, 0.0, 0.0, 0.0), 0.0);
    }

    #[test]
    fn odds_below_even_damp_the_hazard() {
        assert_eq!(victory_factor(0.5, 1.0), 1.0);
        assert_eq!(victory_factor(0.9, 3.0), 1.0);
        assert!((victory_factor(0.1, 1.0) - 0.2).abs() < 1e-15);
        assert!((victory_factor(0.1, 2.0) - 0.04).abs() < 1e-15);
        assert_eq!(victory_factor(0.0, 0.0), 1.0);
        assert_eq!(seen_balance(0.0, 0.5), 0.0);
        assert_eq!(seen_balance(-1.0, 0.0), -1.0);
    }
}
