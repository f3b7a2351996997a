//! Statistics, with no dependency on the rest of the crate: interval estimates for proportions
//! (here), quantiles (here), paired tests and rate ratios ([`paired`]), designs (Latin
//! hypercubes, Saltelli's matrices: [`design`]), Sobol estimators ([`sobol`]), Shapley values
//! ([`shapley`]) and the Poisson bootstrap ([`bootstrap`]).

pub mod bootstrap;
pub mod design;
pub mod paired;
pub mod posterior;
pub mod shapley;
pub mod sobol;

/// The 0.975 quantile of the standard normal distribution (two-sided 95%).
pub const Z95: f64 = 1.959_963_984_540_054;
/// The 0.995 quantile of the standard normal distribution (two-sided 99%).
pub const Z99: f64 = 2.575_829_303_548_901;

/// Wilson score interval for `successes` out of `trials` at normal quantile `z`.
///
/// Returns `(0, 1)` when `trials` is 0. The interval always lies inside `[0, 1]` and contains the
/// point estimate.
pub fn wilson(successes: u64, trials: u64, z: f64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // At p = 0 or 1 the exact bound is 0 or 1; rounding would leave it a hair inside.
    let lo = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if successes == trials {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// The `q`-quantile (0 ≤ q ≤ 1) of `sorted` by linear interpolation between order statistics
/// (Hyndman–Fan type 7, the default of R and NumPy). `None` when `sorted` is empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// `ln Γ(x)`, `x > 0`: Lanczos (g = 7, 9 terms) from 1 on, `Γ(x) = Γ(x + 1)/x` below. Used for
/// the Beta density of the robustness panel and in the tests of the Beta sampler.
pub fn ln_gamma(x: f64) -> f64 {
    if x < 1.0 {
        return ln_gamma(x + 1.0) - x.ln();
    }
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |acc, (k, c)| acc + c / (x + k as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // 50 of 100 at 95%: 0.4038 .. 0.5962 (Wilson 1927; any textbook table).
        let (lo, hi) = wilson(50, 100, Z95);
        assert!(
            (lo - 0.4038).abs() < 1e-4 && (hi - 0.5962).abs() < 1e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 10, Z95);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 1e-4);
        assert_eq!(wilson(0, 0, Z95), (0.0, 1.0));
        let (lo, hi) = wilson(10, 10, Z95);
        assert!(hi == 1.0 && lo > 0.72);
    }
}
