//! Comparing two proportions: the paired difference of runs on common random numbers with the
//! exact McNemar test (compare), and the ratio of two independent rates (score).

use super::Z95;

/// The paired difference `(n10 − n01)/n` and its 95% normal interval with variance
/// `((n10 + n01)/n − d²)/n`, clipped to [−1, 1]. Exactly `(0, [0, 0])` when `n10 = n01 = 0`.
///
/// # Panics
/// If `n` is 0 or smaller than `n10 + n01`.
pub fn paired_difference(n10: u64, n01: u64, n: u64) -> (f64, [f64; 2]) {
    assert!(n > 0 && n10 + n01 <= n, "discordant pairs must fit in n > 0 runs");
    let nf = n as f64;
    let d = (n10 as f64 - n01 as f64) / nf;
    let var = (((n10 + n01) as f64 / nf - d * d) / nf).max(0.0);
    let half = Z95 * var.sqrt();
    (d, [(d - half).max(-1.0), (d + half).min(1.0)])
}

/// Two-sided exact McNemar p-value: `min(1, 2·P(B ≤ min(n10, n01)))` with
/// `B ~ Binomial(n10 + n01, ½)`, summed in log space so that it is exact (to rounding) for any
/// number of discordant pairs. Exactly 1 when `|n10 − n01| ≤ 1`.
pub fn mcnemar_exact(n10: u64, n01: u64) -> f64 {
    // |n10 − n01| ≤ 1: the tail is at least half of a symmetric distribution (exactly half
    // when the difference is 1), so p is exactly 1.
    if n10.abs_diff(n01) <= 1 {
        return 1.0;
    }
    let n = n10 + n01;
    let k = n10.min(n01);
    // log C(n, k) by the recurrence C(n, i+1) = C(n, i)·(n−i)/(i+1).
    let mut top = 0.0f64;
    for i in 0..k {
        top += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
    }
    // k < n/2, so the terms shrink going down from i = k: sum C(n, i)/C(n, k) for i = k, k−1, …
    // with C(n, i−1)/C(n, i) = i/(n−i+1), until they no longer change the sum.
    let (mut sum, mut term) = (1.0f64, 1.0f64);
    let mut i = k;
    while i > 0 {
        term *= i as f64 / (n - i + 1) as f64;
        sum += term;
        if term < sum * 1e-18 {
            break;
        }
        i -= 1;
    }
    let log_tail = top + sum.ln() - n as f64 * std::f64::consts::LN_2;
    (2.0 * log_tail.exp()).min(1.0)
}

/// A ratio of two proportions with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioEstimate {
    /// Point estimate.
    pub ratio: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// Whether the 0.5 correction was applied.
    pub corrected: bool,
}

/// The ratio `(x1/n1) / (x2/n2)` of two independent binomial proportions with the Katz
/// log interval at normal quantile `z` (Katz, Baptista, Azen & Pike 1978):
/// `exp(ln RR ± z·√(1/x1 − 1/n1 + 1/x2 − 1/n2))`.
///
/// When either count is 0 the ratio or its log is infinite; then 0.5 is added to each of the
/// four cells (successes and failures of both groups: `x → x + 0.5`, `n → n + 1`) and both the
/// estimate and the interval are computed from the corrected counts, and `corrected` says so.
/// The corrected estimate is a conventional finite stand-in, not an unbiased one: read the
/// interval, which is wide when counts are small. Returns `None` when a group has no trials.
pub fn rate_ratio(x1: u64, n1: u64, x2: u64, n2: u64, z: f64) -> Option<RatioEstimate> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let corrected = x1 == 0 || x2 == 0;
    let c = if corrected { 0.5 } else { 0.0 };
    let (x1, n1, x2, n2) = (
        x1 as f64 + c,
        n1 as f64 + 2.0 * c,
        x2 as f64 + c,
        n2 as f64 + 2.0 * c,
    );
    let ratio = (x1 / n1) / (x2 / n2);
    let se = (1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2).max(0.0).sqrt();
    Some(RatioEstimate {
        ratio,
        low: ratio * (-z * se).exp(),
        high: ratio * (z * se).exp(),
        corrected,
    })
}
