//! Designs in the unit cube: Latin hypercubes (sweeps, calibration) and Saltelli's matrices
//! (sensitivity).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Stream of the Saltelli design's ChaCha8 generator (`"saltelli"` in ASCII).
pub const SALTELLI_STREAM: u64 = u64::from_le_bytes(*b"saltelli");

/// `n` points of a Latin hypercube in `[0, 1)^k` from the ChaCha8 stream `stream` of `seed`.
///
/// Draw order (part of the reproducibility promise): first, for each dimension in turn, the
/// `n` strata are shuffled (Fisher–Yates from the last stratum down, `next_u64() % (i + 1)`);
/// then, point by point and dimension by dimension, one uniform `(next_u64() >> 11) / 2^53` is
/// taken inside the point's stratum: `x = (stratum + u) / n`.
pub fn latin_hypercube(n: usize, k: usize, seed: u64, stream: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let strata: Vec<Vec<usize>> = (0..k)
        .map(|_| {
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
            order
        })
        .collect();
    (0..n)
        .map(|p| {
            strata
                .iter()
                .map(|order| {
                    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    (order[p] as f64 + u) / n as f64
                })
                .collect()
        })
        .collect()
}

/// A Saltelli design in the unit cube: the rows to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct SaltelliDesign {
    /// Base samples N.
    pub n: usize,
    /// Parameters k.
    pub k: usize,
    /// The N·(k + 2) rows: A (rows 0..N), B (N..2N), then A_B^(i) for i = 0..k.
    pub rows: Vec<Vec<f64>>,
}

impl SaltelliDesign {
    /// The design of `n` base samples over `k` parameters from `seed`.
    pub fn new(n: usize, k: usize, seed: u64) -> SaltelliDesign {
        let base = latin_hypercube(n, 2 * k, seed, SALTELLI_STREAM);
        let a: Vec<Vec<f64>> = base.iter().map(|r| r[..k].to_vec()).collect();
        let b: Vec<Vec<f64>> = base.iter().map(|r| r[k..].to_vec()).collect();
        let mut rows = a.clone();
        rows.extend(b.iter().cloned());
        for i in 0..k {
            rows.extend(a.iter().zip(&b).map(|(ra, rb)| {
                let mut r = ra.clone();
                r[i] = rb[i];
                r
            }));
        }
        SaltelliDesign { n, k, rows }
    }
}
