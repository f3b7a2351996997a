//! Summaries of a sample of parameter values (a prior's or a posterior's): mean, standard
//! deviation, quantiles, and how much two binned distributions overlap.

use serde::{Deserialize, Serialize};

use super::quantile_sorted;

/// Mean, standard deviation and quantiles of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Sample size.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Standard deviation (divisor `n − 1`; 0 for one value).
    pub sd: f64,
    /// 5% quantile: with `q95`, the central 90% credible interval.
    pub q05: f64,
    /// Median.
    pub q50: f64,
    /// 95% quantile.
    pub q95: f64,
}

/// The summary of `values` (sorted in place; the order they came in does not matter), or `None`
/// for no values. Sums run over the sorted values, so equal sets give equal bits.
pub fn summarize(values: &mut [f64]) -> Option<Summary> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let q = |p: f64| quantile_sorted(values, p);
    let (q05, q50, q95) = (q(0.05)?, q(0.5)?, q(0.95)?);
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    Some(Summary {
        n: n as u64,
        mean,
        sd: var.sqrt(),
        q05,
        q50,
        q95,
    })
}

/// The overlap `Σ_k min(a_k / Σa, b_k / Σb)` of two histograms on the same bins: 1 when they
/// have the same shape, 0 when they share no bin. `None` when either is empty.
pub fn overlap(a: &[u64], b: &[u64]) -> Option<f64> {
    let (sa, sb) = (a.iter().sum::<u64>(), b.iter().sum::<u64>());
    if sa == 0 || sb == 0 {
        return None;
    }
    Some(
        a.iter()
            .zip(b)
            .map(|(&x, &y)| (x as f64 / sa as f64).min(y as f64 / sb as f64))
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_and_an_overlap_read_as_expected() {
        let mut v: Vec<f64> = (0..=100).rev().map(f64::from).collect();
        let s = summarize(&mut v).unwrap();
        assert_eq!((s.n, s.mean, s.q05, s.q50, s.q95), (101, 50.0, 5.0, 50.0, 95.0));
        assert!((s.sd - 29.3001706).abs() < 1e-6);
        assert_eq!(summarize(&mut []), None);
        assert_eq!(overlap(&[1, 1, 0], &[2, 2, 0]), Some(1.0));
        assert_eq!(overlap(&[1, 0], &[0, 5]), Some(0.0));
        assert_eq!(overlap(&[0, 0], &[1, 1]), None);
    }
}
