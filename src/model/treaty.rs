//! Treaties as agreements (Model 3, the `treaties` mechanism): a truce or a junior tie made at
//! the end of a war keeps its terms (the treaty line, junior status, a cession due), and each
//! side weighs keeping it against fighting on. The equations (with units in `docs/model.md`
//! §6.12):
//!
//! ```text
//! value of the treaty   U_i = line_i + g_i·[i is the lord] − k_i·[i is the junior]
//! agreement strength    σ_T = 1 − (1 − w_t·[junior]) · (1 − w_d·[cession handed over])
//! settling with age     D(a) = 1 / (1 + a / a₀)                   a = months since the treaty
//! breach by i           h_i = min(1, β_i·(1 − σ_T)·D(a)·2Λ((V_i − U_i)/τ) + e_i·[j defaulted within K months])
//! default by the debtor q_L = min(1, δ_L·D(a)·2Λ((V_L − U_L)/τ))   while a cession is due
//! ```
//!
//! V_i is the side's value of fighting on (`settlement::value_of_war`), τ the rule
//! `settlement_noise` (a step at 0), β_i `breach_propensity`, e_i `enforcement`, δ_L
//! `default_propensity`, w_t `tribute_strength`, w_d `demarcation_strength`, a₀ `treaty_settling`,
//! K `default_memory`.

/// How much a treaty's hazards have settled after `age` months: `1 / (1 + age / settling)`
/// (1 at signing, ½ after `settling` months; Fortna 2003: ceasefires grow safer with time).
/// 1 when `settling` is 0 (no settling).
#[inline]
pub fn settling(age: u32, settling: f64) -> f64 {
    if settling > 0.0 {
        1.0 / (1.0 + f64::from(age) / settling)
    } else {
        1.0
    }
}

/// The agreement strength of a treaty: `1 − (1 − w_t·[junior])(1 − w_d·[demarcated])`, from
/// its content (a junior tie with its tribute; a cession handed over, which demarcates the line).
#[inline]
pub fn agreement_strength(
    junior: bool,
    demarcated: bool,
    tribute_strength: f64,
    demarcation_strength: f64,
) -> f64 {
    let t = if junior { tribute_strength } else { 0.0 };
    let d = if demarcated { demarcation_strength } else { 0.0 };
    1.0 - (1.0 - t) * (1.0 - d)
}

/// The regret factor `2Λ(gap / noise)`, with `gap = V − U` the value of fighting on less that of
/// the treaty: 1 at no gap, up to 2 when war looks far better, down to 0 when it looks far
/// worse (a step 0 / 1 / 2 at `noise` 0: below, at and above 0).
#[inline]
pub fn regret(gap: f64, noise: f64) -> f64 {
    if noise > 0.0 {
        2.0 / (1.0 + (-gap / noise).exp())
    } else if gap > 0.0 {
        2.0
    } else if gap == 0.0 {
        1.0
    } else {
        0.0
    }
}

/// The monthly probability that a side breaches a treaty: `β·(1 − σ_T)·D·regret`, plus the
/// enforcement hazard `enforcement` while the other side's default is fresh, capped at 1.
#[inline]
pub fn breach_hazard(
    propensity: f64,
    strength: f64,
    settled: f64,
    regret: f64,
    enforcement: f64,
    provoked: bool,
) -> f64 {
    let own = propensity * (1.0 - strength) * settled * regret;
    let enforce = if provoked { enforcement } else { 0.0 };
    (own + enforce).min(1.0)
}

/// The monthly probability that the side owing a cession withholds it: `δ·D·regret`, capped at 1.
#[inline]
pub fn default_hazard(propensity: f64, settled: f64, regret: f64) -> f64 {
    (propensity * settled * regret).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_strength_treaty_without_a_default_never_breaks() {
        for gap in [-3.0, 0.0, 0.5, 10.0] {
            assert_eq!(breach_hazard(1.0, 1.0, 1.0, regret(gap, 0.1), 0.7, false), 0.0);
        }
        assert_eq!(breach_hazard(1.0, 1.0, 1.0, 2.0, 0.7, true), 0.7);
    }

    #[test]
    fn the_breach_hazard_rises_with_the_gap_and_falls_with_age() {
        let mut last = -1.0;
        for k in -40..=40 {
            let h = breach_hazard(0.05, 0.2, 1.0, regret(f64::from(k) / 10.0, 0.2), 0.0, false);
            assert!(h >= last);
            last = h;
        }
        assert!(settling(0, 24.0) > settling(12, 24.0));
        assert_eq!(settling(24, 24.0), 0.5);
        assert_eq!(settling(24, 0.0), 1.0);
        assert_eq!(regret(0.0, 0.3), 1.0);
        assert_eq!(regret(-1.0, 0.0), 0.0);
        assert_eq!(regret(1.0, 0.0), 2.0);
    }

    #[test]
    fn content_makes_a_treaty_stronger() {
        assert_eq!(agreement_strength(false, false, 0.5, 0.2), 0.0);
        assert_eq!(agreement_strength(true, false, 0.5, 0.2), 0.5);
        assert!((agreement_strength(true, true, 0.5, 0.2) - 0.6).abs() < 1e-15);
    }
}
