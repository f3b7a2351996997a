//! The fear spiral of MODEL.md: Richardson's arms-race model with mobilization in the role of
//! armaments. These are the exact equations the engine uses every month, for every active
//! ordered pair *i → j* (how *i* sees *j*):
//!
//! ```text
//! threat_ij = contact_ij · (strength_j / strength_i) · m_j · (1 − trust_ij)
//! fear_ij  ← max(0, fear_ij + fear_gain_i · threat_ij − fear_decay_i · fear_ij
//!                    + grievance_ij + noise + shocks)
//! target_i  = min(1, Σ_j fear_ij)
//! m_i      ← m_i + (target_i − m_i) / max(1, mobilization_lag_i)
//! ```
//!
//! `fear_gain` is Richardson's defence coefficient *k*, `fear_decay` his fatigue coefficient *a*,
//! `grievance` his *g*. All fears are updated from last month's mobilization levels before any
//! mobilization moves (a synchronous update), so the order of pairs never matters.

/// The threat that *i* perceives from *j* this month.
///
/// `strength_ratio` is `strength_j / strength_i`; `contact` is the effective contact (after
/// isolation policies); `mobilization_j` is *j*'s mobilization level in `[0, 1]`.
#[inline(always)]
pub fn threat(contact: f64, strength_ratio: f64, mobilization_j: f64, trust: f64) -> f64 {
    contact * strength_ratio * mobilization_j * (1.0 - trust)
}

/// [`threat`] with the pair's `exposure = contact · strength_ratio` already multiplied out.
///
/// The product is evaluated left to right, so `threat_exposed(c · r, m, t)` is bit for bit
/// `threat(c, r, m, t)`; the engine keeps `exposure` per pair and refreshes it only when a
/// contact or a strength changes.
#[inline(always)]
pub fn threat_exposed(exposure: f64, mobilization_j: f64, trust: f64) -> f64 {
    exposure * mobilization_j * (1.0 - trust)
}

/// One month of fear: Richardson's `dx = k·y − a·x + g`, plus noise and shocks, floored at 0.
#[inline(always)]
pub fn next_fear(
    fear: f64,
    fear_gain: f64,
    threat: f64,
    fear_decay: f64,
    grievance: f64,
    noise: f64,
    shocks: f64,
) -> f64 {
    let next = fear + fear_gain * threat - fear_decay * fear + grievance + noise + shocks;
    if next > 0.0 {
        next
    } else {
        0.0
    }
}

/// The mobilization a polity aims at: its summed fear, capped at full mobilization.
#[inline(always)]
pub fn mobilization_target(total_fear: f64) -> f64 {
    total_fear.min(1.0)
}

/// One month of mobilization: close `1 / max(1, lag)` of the gap to the target.
#[inline(always)]
pub fn next_mobilization(mobilization: f64, target: f64, mobilization_lag: f64) -> f64 {
    mobilization + (target - mobilization) / mobilization_lag.max(1.0)
}

/// Richardson's stable equilibrium for two polities with equal strength, contact 1 and trust 0:
/// `m₁* = (a₂g₁ + k₁g₂) / (a₁a₂ − k₁k₂)`, valid when `a₁a₂ > k₁k₂` and the result is below 1.
/// Returns `None` in the runaway regime (`k₁k₂ ≥ a₁a₂`).
pub fn richardson_equilibrium(k1: f64, a1: f64, g1: f64, k2: f64, a2: f64, g2: f64) -> Option<f64> {
    let det = a1 * a2 - k1 * k2;
    (det > 0.0).then(|| (a2 * g1 + k1 * g2) / det)
}

/// In the runaway regime both polities mobilize fully and fear settles at `(k + g) / a`.
pub fn runaway_fear(k: f64, a: f64, g: f64) -> f64 {
    (k + g) / a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fear_is_floored_at_zero() {
        assert_eq!(next_fear(0.1, 0.0, 0.0, 0.5, 0.0, -1.0, 0.0), 0.0);
    }

    #[test]
    fn lag_below_one_means_instant_mobilization() {
        assert_eq!(next_mobilization(0.2, 0.7, 0.0), 0.7);
        assert!((next_mobilization(0.2, 0.7, 5.0) - 0.3).abs() < 1e-12);
    }

    #[test]
    fn threat_vanishes_with_full_trust_or_no_contact() {
        assert_eq!(threat(1.0, 2.0, 1.0, 1.0), 0.0);
        assert_eq!(threat(0.0, 2.0, 1.0, 0.0), 0.0);
        assert_eq!(threat(0.5, 2.0, 0.5, 0.5), 0.25);
    }

    #[test]
    fn exposed_threat_is_the_same_product() {
        let (c, r, m, t) = (0.3, 0.8 / 0.3, 0.7, 0.1);
        assert_eq!(
            threat_exposed(c * r, m, t).to_bits(),
            threat(c, r, m, t).to_bits()
        );
    }
}
