//! Monthly decision probabilities: war onset, talks, truce breach, alliance and vassalage.
//!
//! Every war onset comes from these decisions; scripted events never start or end a war.
//! The equations (documented with units in `docs/model.md`):
//!
//! ```text
//! war_hazard_ij = min(1, [war_propensity_i · max(0, fear_ij − war_threshold_i) · victory_ij
//!                         + greed_i · advantage_ij · contact_ij · free_i]   (greed only if on)
//!                        · ready_i · (1 − restraint_ij) · willing_i)
//! free_i        = 1 if i fights no war else 0                                (free_hands on; else 1)
//! advantage_ij  = max(0, (s_i·m_i − s_j·m_j) / (s_i·m_i + s_j·m_j))
//! ready_i       = 1 if m_i ≥ war_readiness_i else 0                        (mobilization_lag on)
//! willing_i     = stability_i / (1 + other wars of i)                       (instability on)
//! talks_i       = talk_propensity_i · months_at_war / (months_at_war + 6) · (2 − stability_i)
//!                 · 2·potential_j / (potential_i + potential_j) · (1 − seen_balance_i)
//! talks succeed with talks_success · (1 − rigidity_i) · (1 − rigidity_j)
//! breach_i      = breach_propensity_i · (1 − trust_ij) · (1 + rigidity_i)
//! alliance_ij   = alliance_propensity_i · min(1, max_k min(fear_ik, fear_jk)) · trust_ij
//!                 (· contact_ij with `consent`: the alliance needs both sides' will)
//! vassal_ij     = vassal_propensity_i · min(1, fear_ij) · (1 − rigidity_i) if s_j ≥ 2·s_i
//! ```

/// Inputs of *i*'s monthly decision to start a war on *j*.
#[derive(Debug, Clone, Copy)]
pub struct WarMotive {
    /// `fear_ij`.
    pub fear: f64,
    /// *i*'s `war_threshold`.
    pub threshold: f64,
    /// *i*'s `war_propensity` (per month per unit of fear above the threshold).
    pub propensity: f64,
    /// *i*'s greed (0 when the mechanism is off).
    pub greed: f64,
    /// *i*'s advantage over *j* in `[0, 1]`.
    pub advantage: f64,
    /// Effective contact of the pair.
    pub contact: f64,
    /// 1 when *i* is mobilized enough to strike, else 0.
    pub ready: f64,
    /// `1 − restraint_ij` (1 when the mechanism is off).
    pub unrestrained: f64,
    /// `stability_i / (1 + other wars)` (1 when the mechanism is off).
    pub willing: f64,
    /// Whether greed counts: 1 when *i* fights no war or the `free_hands` switch is off, else 0
    /// (see [`free_hands`]). It multiplies the greed term only.
    pub free: f64,
    /// The victory factor `min(1, 2·odds)^odds_weight` of the preventive motive (1 when
    /// `victory_odds` is off), see [`crate::model::war::victory_factor`].
    pub victory: f64,
}

/// The monthly probability that *i* starts a war on *j*.
#[inline(always)]
pub fn war_hazard(w: &WarMotive) -> f64 {
    let excess = w.fear - w.threshold;
    let fear_term = if excess > 0.0 {
        w.propensity * excess * w.victory
    } else {
        0.0
    };
    let greed_term = w.greed * w.advantage * w.contact * w.free;
    ((fear_term + greed_term) * w.ready * w.unrestrained * w.willing).min(1.0)
}

/// The monthly probability that *i* would start a war on *j* if it were mobilized to its
/// readiness: the hazard a war plan is adopted on, and kept by (`ready` taken as 1).
#[inline]
pub fn war_hazard_if_ready(w: &WarMotive) -> f64 {
    war_hazard(&WarMotive { ready: 1.0, ..*w })
}

/// The factor `free_i` of the greed term: with the `free_hands` switch on (`gated`), greed
/// counts only while *i* fights no war (`wars_i`, the same count as in the willingness); off,
/// it always counts. The one place that decides whether greed may move *i*: the onset hazard,
/// the adoption of a war plan and the check that keeps a plan all read it through
/// [`WarMotive::free`].
#[inline(always)]
pub fn free_hands(gated: bool, wars_i: u32) -> f64 {
    if gated && wars_i > 0 {
        0.0
    } else {
        1.0
    }
}

/// *i*'s advantage over *j*: `max(0, (P_i − P_j) / (P_i + P_j))` with `P = strength · m`.
#[inline(always)]
pub fn advantage(power_i: f64, power_j: f64) -> f64 {
    let total = power_i + power_j;
    if total > 0.0 && power_i > power_j {
        (power_i - power_j) / total
    } else {
        0.0
    }
}

/// The monthly probability that *i* seeks talks with *j* while at war.
///
/// War weariness grows with the months at war (half its full weight after 6 months), unrest at
/// home adds to it, and a side facing an enemy with larger `potential` (the resources that decide
/// a long war) seeks talks sooner: the factor `2·P_j / (P_i + P_j)` is 1 between equals, near 2
/// facing a far richer enemy and near 0 facing a far poorer one. Kim: Jin, "not certain that
/// they would succeed" against Song's "very vast" resources, kept returning to talks.
#[inline]
pub fn talks_hazard(
    talk_propensity: f64,
    months_at_war: u32,
    stability: f64,
    potential_i: f64,
    potential_j: f64,
) -> f64 {
    let outmatched = 2.0 * potential_j / (potential_i + potential_j);
    talks_hazard_outmatched(talk_propensity, months_at_war, stability, outmatched)
}

/// [`talks_hazard`] with its factor `outmatched = 2·P_j / (P_i + P_j)` computed beforehand
/// (once per pair, in [`crate::model::Model::compile`]): the same value, bit for bit.
#[inline]
pub fn talks_hazard_outmatched(
    talk_propensity: f64,
    months_at_war: u32,
    stability: f64,
    outmatched: f64,
) -> f64 {
    let m = f64::from(months_at_war);
    (talk_propensity * m / (m + 6.0) * (2.0 - stability) * outmatched).min(1.0)
}

/// [`talks_hazard_outmatched`] weighed by the war as the side sees it: the product before the
/// cap at 1 is multiplied by `weigh = 1 − seen_balance` (in `[0, 2]`;
/// [`crate::model::war::seen_balance`]), so a side that sees itself losing seeks talks up to
/// twice as often and one that sees itself winning decisively not at all. With `weigh = 1` it
/// is [`talks_hazard_outmatched`] bit for bit.
#[inline]
pub fn talks_hazard_weighed(
    talk_propensity: f64,
    months_at_war: u32,
    stability: f64,
    outmatched: f64,
    weigh: f64,
) -> f64 {
    (talks_wish(talk_propensity, months_at_war, stability, outmatched) * weigh).min(1.0)
}

/// The talks hazard before its weight and its cap at 1:
/// `talk_propensity · m / (m + 6) · (2 − stability) · outmatched`, so that
/// `(talks_wish(…) * weigh).min(1.0)` is [`talks_hazard_weighed`] bit for bit.
#[inline]
pub fn talks_wish(talk_propensity: f64, months_at_war: u32, stability: f64, outmatched: f64) -> f64 {
    let m = f64::from(months_at_war);
    talk_propensity * m / (m + 6.0) * (2.0 - stability) * outmatched
}

/// The probability that opened talks end in a truce.
#[inline]
pub fn talks_success(base: f64, rigidity_i: f64, rigidity_j: f64) -> f64 {
    base * (1.0 - rigidity_i) * (1.0 - rigidity_j)
}

/// The monthly probability that *i* breaches a truce with *j*.
#[inline]
pub fn breach_hazard(breach_propensity: f64, trust_ij: f64, rigidity_i: f64) -> f64 {
    (breach_propensity * (1.0 - trust_ij) * (1.0 + rigidity_i)).min(1.0)
}

/// The monthly probability that *i* proposes (and concludes) an alliance with *j*.
#[inline]
pub fn alliance_hazard(alliance_propensity: f64, common_fear: f64, trust_ij: f64) -> f64 {
    alliance_propensity * common_fear.min(1.0) * trust_ij
}

/// The monthly probability that *i* accepts vassalage to a much stronger *j*.
#[inline]
pub fn vassal_hazard(
    vassal_propensity: f64,
    fear_ij: f64,
    rigidity_i: f64,
    strength_i: f64,
    strength_j: f64,
) -> f64 {
    if strength_j >= 2.0 * strength_i {
        vassal_propensity * fear_ij.min(1.0) * (1.0 - rigidity_i)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn motive() -> WarMotive {
        WarMotive {
            fear: 1.5,
            threshold: 0.5,
            propensity: 0.1,
            greed: 0.0,
            advantage: 0.0,
            contact: 1.0,
            ready: 1.0,
            unrestrained: 1.0,
            willing: 1.0,
            victory: 1.0,
            free: 1.0,
        }
    }

    #[test]
    fn fear_above_threshold_drives_the_hazard() {
        assert!((war_hazard(&motive()) - 0.1).abs() < 1e-12);
        assert_eq!(
            war_hazard(&WarMotive {
                fear: 0.4,
                ..motive()
            }),
            0.0
        );
        assert_eq!(
            war_hazard(&WarMotive {
                ready: 0.0,
                ..motive()
            }),
            0.0
        );
        assert_eq!(
            war_hazard(&WarMotive {
                unrestrained: 0.0,
                ..motive()
            }),
            0.0
        );
    }

    #[test]
    fn greed_needs_advantage_and_contact() {
        let greedy = WarMotive {
            fear: 0.0,
            greed: 0.2,
            advantage: 0.5,
            ..motive()
        };
        assert!((war_hazard(&greedy) - 0.1).abs() < 1e-12);
        assert_eq!(
            war_hazard(&WarMotive {
                contact: 0.0,
                ..greedy
            }),
            0.0
        );
        // Not free (at war elsewhere with `free_hands` on): the greed term is gone, the fear
        // term stays.
        assert_eq!(war_hazard(&WarMotive { free: 0.0, ..greedy }), 0.0);
        let both = WarMotive { fear: 1.5, ..greedy };
        assert!((war_hazard(&both) - 0.2).abs() < 1e-12);
        assert!((war_hazard(&WarMotive { free: 0.0, ..both }) - 0.1).abs() < 1e-12);
        assert_eq!(advantage(1.0, 2.0), 0.0);
        assert!((advantage(3.0, 1.0) - 0.5).abs() < 1e-12);
        assert_eq!(advantage(0.0, 0.0), 0.0);
    }

    #[test]
    fn free_hands_gates_only_when_on_and_at_war() {
        assert_eq!(free_hands(false, 0), 1.0);
        assert_eq!(free_hands(false, 3), 1.0);
        assert_eq!(free_hands(true, 0), 1.0);
        assert_eq!(free_hands(true, 1), 0.0);
        assert_eq!(free_hands(true, 2), 0.0);
    }

    #[test]
    fn hazards_are_probabilities() {
        assert!(talks_hazard(1.0, 1000, 0.0, 1.0, 5.0) <= 1.0);
        assert_eq!(talks_hazard(0.5, 0, 1.0, 1.0, 1.0), 0.0);
        // Between equals after 6 months at peace at home: half the propensity.
        assert!((talks_hazard(0.5, 6, 1.0, 2.0, 2.0) - 0.25).abs() < 1e-12);
        // The poorer side seeks talks more than the richer one.
        assert!(talks_hazard(0.2, 12, 1.0, 1.0, 5.0) > talks_hazard(0.2, 12, 1.0, 5.0, 1.0));
        assert!(breach_hazard(1.0, 0.0, 1.0) <= 1.0);
        assert_eq!(vassal_hazard(0.5, 1.0, 0.0, 1.0, 1.5), 0.0);
        assert!((vassal_hazard(0.5, 1.0, 0.0, 1.0, 2.0) - 0.5).abs() < 1e-12);
    }
}
