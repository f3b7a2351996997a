//! Sobol indices from the outputs of a Saltelli design ([`super::design::SaltelliDesign`]):
//! first order (Saltelli 2010, on centred outputs) and total (Jansen 1999), with percentile
//! bootstrap intervals over the base rows.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::quantile_sorted;

/// Stream of the bootstrap's ChaCha8 generator (`"sobolboo"` in ASCII).
pub const BOOTSTRAP_STREAM: u64 = u64::from_le_bytes(*b"sobolboo");

/// One parameter's indices with their bootstrap 95% intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indices {
    /// First-order index S_i.
    pub first_order: f64,
    /// Percentile bootstrap 95% interval of S_i.
    pub first_order_ci95: [f64; 2],
    /// Total index ST_i.
    pub total: f64,
    /// Percentile bootstrap 95% interval of ST_i.
    pub total_ci95: [f64; 2],
}

/// Point estimates of (S_i, ST_i) for every i from the outputs of the rows `sample` (indices
/// into 0..N, repeats allowed).
fn estimate(y: &[f64], n: usize, k: usize, sample: &[usize]) -> Vec<(f64, f64)> {
    let m = sample.len() as f64;
    let (fa, fb) = (&y[..n], &y[n..2 * n]);
    let mean = sample.iter().map(|&j| fa[j] + fb[j]).sum::<f64>() / (2.0 * m);
    let var = sample
        .iter()
        .map(|&j| (fa[j] - mean).powi(2) + (fb[j] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * m);
    (0..k)
        .map(|i| {
            let fab = &y[(2 + i) * n..(3 + i) * n];
            if var <= 0.0 {
                return (0.0, 0.0);
            }
            let s = sample
                .iter()
                .map(|&j| (fb[j] - mean) * (fab[j] - fa[j]))
                .sum::<f64>()
                / m
                / var;
            let st = sample.iter().map(|&j| (fa[j] - fab[j]).powi(2)).sum::<f64>() / (2.0 * m) / var;
            (s, st)
        })
        .collect()
}

/// First-order (Saltelli 2010) and total (Jansen) indices of every parameter from the outputs
/// `y` of the rows of a [`SaltelliDesign`] of `n` base samples and `k` parameters, with
/// percentile bootstrap 95% intervals from `bootstrap` resamples of the base rows (ChaCha8
/// stream [`BOOTSTRAP_STREAM`] of `seed`). `y` must have `n·(k + 2)` entries.
pub fn sobol_indices(y: &[f64], n: usize, k: usize, bootstrap: usize, seed: u64) -> Vec<Indices> {
    assert_eq!(y.len(), n * (k + 2), "outputs do not match the design");
    let all: Vec<usize> = (0..n).collect();
    let point = estimate(y, n, k, &all);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(BOOTSTRAP_STREAM);
    let mut s_reps = vec![Vec::with_capacity(bootstrap); k];
    let mut st_reps = vec![Vec::with_capacity(bootstrap); k];
    let mut sample = vec![0; n];
    for _ in 0..bootstrap {
        for x in sample.iter_mut() {
            *x = (rng.next_u64() % n as u64) as usize;
        }
        for (i, (s, st)) in estimate(y, n, k, &sample).into_iter().enumerate() {
            s_reps[i].push(s);
            st_reps[i].push(st);
        }
    }
    point
        .into_iter()
        .enumerate()
        .map(|(i, (s, st))| {
            let ci = |reps: &mut Vec<f64>| {
                reps.sort_by(f64::total_cmp);
                let q = |p| quantile_sorted(reps, p).unwrap_or(f64::NAN);
                [q(0.025), q(0.975)]
            };
            Indices {
                first_order: s,
                first_order_ci95: ci(&mut s_reps[i]),
                total: st,
                total_ci95: ci(&mut st_reps[i]),
            }
        })
        .collect()
}

/// Mean and variance of the A and B outputs.
pub fn outcome_moments(y: &[f64], n: usize) -> (f64, f64) {
    let ab = &y[..2 * n];
    let mean = ab.iter().sum::<f64>() / ab.len() as f64;
    let var = ab.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / ab.len() as f64;
    (mean, var)
}
