//! Shapley values of a k-player game: exact, and in integers (k!·φ) for streaming sums.

/// Shapley values of the k-player game `v`, indexed by coalition bit mask (bit i = player i, so
/// `v.len()` is 2^k): φ_i = Σ_{S ∌ i} |S|!(k−|S|−1)!/k! · (v(S ∪ {i}) − v(S)).
///
/// # Panics
/// If `k` is 0 or above 20, or `v.len() != 2^k`.
pub fn shapley_from_values(k: usize, v: &[f64]) -> Vec<f64> {
    let kernel = ShapleyKernel::new(k);
    assert_eq!(v.len(), 1 << k, "a {k}-player game has 2^{k} coalition values");
    let f = kernel.factorial as f64;
    (0..k)
        .map(|i| {
            let bit = 1usize << i;
            (0..v.len())
                .filter(|s| s & bit == 0)
                .map(|s| kernel.weights[s.count_ones() as usize] as f64 / f * (v[s | bit] - v[s]))
                .sum()
        })
        .collect()
}

/// The integer Shapley arithmetic of a k-player game: k!·φ_i with the integer weights
/// |S|!·(k−|S|−1)!.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapleyKernel {
    k: usize,
    /// `weights[s] = s!·(k−s−1)!` for coalitions of size `s < k`.
    weights: Vec<i64>,
    factorial: i64,
}

impl ShapleyKernel {
    /// The kernel for `k` players.
    ///
    /// # Panics
    /// If `k` is 0 or above 20 (20! is the largest factorial in an `i64`).
    pub fn new(k: usize) -> ShapleyKernel {
        assert!(
            (1..=20).contains(&k),
            "Shapley values need 1 to 20 players, not {k}"
        );
        let fact = |n: usize| (1..=n as i64).product::<i64>();
        ShapleyKernel {
            k,
            weights: (0..k).map(|s| fact(s) * fact(k - s - 1)).collect(),
            factorial: fact(k),
        }
    }

    /// Number of players.
    pub fn k(&self) -> usize {
        self.k
    }

    /// k!, the scale of [`ShapleyKernel::scaled`].
    pub fn factorial(&self) -> i64 {
        self.factorial
    }

    /// Write k!·φ_i of the integer game `v` (indexed by coalition bit mask, length 2^k) into
    /// `out[i]`. Exact; allocates nothing. By efficiency, `out` sums to k!·(v(N) − v(∅)).
    ///
    /// # Panics
    /// If `v.len() != 2^k` or `out.len() != k`.
    pub fn scaled(&self, v: &[i64], out: &mut [i64]) {
        assert_eq!(
            v.len(),
            1 << self.k,
            "a {}-player game has 2^{} coalition values",
            self.k,
            self.k
        );
        assert_eq!(out.len(), self.k, "one Shapley value per player");
        out.fill(0);
        // A run in which no switch changes the outcome (most runs) gives zeros.
        if v.iter().all(|&x| x == v[0]) {
            return;
        }
        for (i, o) in out.iter_mut().enumerate() {
            let bit = 1usize << i;
            let mut acc = 0i64;
            for s in (0..v.len()).filter(|s| s & bit == 0) {
                let diff = v[s | bit] - v[s];
                if diff != 0 {
                    acc += self.weights[s.count_ones() as usize] * diff;
                }
            }
            *o = acc;
        }
    }
}
