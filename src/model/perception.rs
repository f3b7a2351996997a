//! Misperception (Model 2, the `misperception` mechanism): how a polity sees another's
//! strength. Each ordered pair *i → j* has a perception factor ψ_ij by which *i* multiplies
//! *j*'s strength wherever *i* judges *j*: in the threat of its fear spiral and in its odds of
//! victory. Equations (`docs/model.md` §6.9):
//!
//! ```text
//! ln ψ_ij(0) = ln strength_bias_ij + √3 · perception_noise_ij · (2u − 1)    u: the pair's header draw
//! ln ψ_ij   ← (1 − war_learning) · ln ψ_ij                                   each month i and j are at war
//! ```
//!
//! With `strength_bias` 1 and no noise, ψ is exactly 1 and *i* sees the truth, bit for bit.

/// The perception factor of a pair at the start of a run: `exp(log_bias + spread · (2u − 1))`,
/// where `spread = √3 · perception_noise` and `u` is the pair's header draw in (0, 1). Exactly 1
/// when both `log_bias` and `spread` are 0.
#[inline]
pub fn initial_perception(log_bias: f64, spread: f64, u: f64) -> f64 {
    if log_bias == 0.0 && spread == 0.0 {
        return 1.0;
    }
    (log_bias + spread * (2.0 * u - 1.0)).exp()
}

/// One month of learning at war: the log of the factor shrinks by `learning` toward 0 (the
/// truth). A factor of exactly 1 stays 1.
#[inline]
pub fn learn(perception: f64, learning: f64) -> f64 {
    if perception == 1.0 {
        return 1.0;
    }
    (perception.ln() * (1.0 - learning)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_bias_and_no_noise_is_the_truth() {
        for u in [1e-9, 0.3, 0.5, 0.999] {
            assert_eq!(initial_perception(0.0, 0.0, u), 1.0);
        }
        assert_eq!(learn(1.0, 0.3), 1.0);
    }

    #[test]
    fn learning_moves_toward_the_truth() {
        let p = initial_perception(0.5f64.ln(), 0.0, 0.7);
        assert!((p - 0.5).abs() < 1e-12);
        let q = learn(p, 0.5);
        assert!((q - 0.5f64.sqrt()).abs() < 1e-12);
        assert!(learn(2.0, 0.1) < 2.0 && learn(2.0, 0.1) > 1.0);
        assert_eq!(learn(0.5, 1.0), 1.0);
    }
}
