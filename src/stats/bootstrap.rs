//! The Poisson(1) bootstrap: each run (or row) weighted by an independent Poisson(1) draw, so
//! replicates can be summed as runs stream past and merged across threads and shards.

/// Poisson(1) cumulative probabilities P(W ≤ w) for w = 0, 1, …; a uniform above the last one
/// (probability < 1e-16) gives the last index + 1.
pub fn poisson1_cdf() -> [f64; 19] {
    let mut cdf = [0.0; 19];
    let mut p = (-1.0f64).exp();
    let mut acc = 0.0;
    for (w, c) in cdf.iter_mut().enumerate() {
        if w > 0 {
            p /= w as f64;
        }
        acc += p;
        *c = acc;
    }
    cdf
}

/// A Poisson(1) draw by inversion of the uniform `u`.
#[inline]
pub fn poisson1(cdf: &[f64; 19], u: f64) -> i64 {
    cdf.iter().position(|&c| u <= c).unwrap_or(cdf.len()) as i64
}
