//! Importance weights for `jinsong robustness`: when a variant only replaces priors by others
//! whose support lies inside the old one's and whose density ratio is bounded there, the base
//! runs can be reused, each weighed by `w = Π_k p'_k(θ_k) / p_k(θ_k)` (θ_k the value the run
//! drew), instead of running the variant afresh.
//!
//! [`plan`] decides, for a pair of distributions, whether reweighting is allowed and with which
//! bound on the ratio; [`ln_density`] gives the log density of each distribution that may take
//! part. Allowed pairs (everything else, and a bound above [`MAX_WEIGHT`], is run afresh):
//!
//! | old | new (its support inside the old one's) | bound on p′/p |
//! |---|---|---|
//! | any | the same distribution | 1 |
//! | `Uniform`, `LogUniform` | `Uniform`, `LogUniform`, `Triangular`, `Beta(a ≥ 1, b ≥ 1)` | max p′ / min p |
//! | `Beta(a, b)` | `Beta(a′ ≥ a, b′ ≥ b)` | p′/p at x* = (a′ − a)/((a′ − a) + (b′ − b)) |

use crate::scenario::prior::Distribution;

/// The largest bound on one run's weight that reweighting accepts: 2¹⁶. With at most 2⁴⁰ runs
/// and weights in fixed point at 2³² ([`FIXED_ONE`]), the sums of w² stay below 2¹⁰⁴, inside a
/// `u128`.
pub const MAX_WEIGHT: f64 = 65_536.0;

/// One in the fixed point of the weight sums: 2³².
pub const FIXED_ONE: f64 = 4_294_967_296.0;

/// `x ≥ 0` in fixed point (round(x · 2³²)), as summed by the robustness counts: integer sums are
/// exactly associative, so the totals do not depend on threads, shards or resumption.
pub fn fixed(x: f64) -> u128 {
    (x * FIXED_ONE).round() as u128
}

pub use crate::stats::ln_gamma;

/// `ln B(a, b)`.
fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// `x ln y`, 0 when `x` is 0 (the limit).
fn xlny(x: f64, y: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x * y.ln()
    }
}

/// The log density of `d` at `x` (−∞ outside its support); `None` for the distributions that
/// never take part in reweighting except unchanged (`Normal`, `Choice`).
pub fn ln_density(d: &Distribution, x: f64) -> Option<f64> {
    let (lo, hi) = d.support();
    if !(lo..=hi).contains(&x) {
        return Some(f64::NEG_INFINITY);
    }
    Some(match *d {
        Distribution::Uniform(a, b) => -(b - a).ln(),
        Distribution::LogUniform(a, b) => -x.ln() - (b.ln() - a.ln()).ln(),
        Distribution::Triangular(a, m, b) => {
            let p = if x < m {
                2.0 * (x - a) / ((b - a) * (m - a))
            } else if x > m {
                2.0 * (b - x) / ((b - a) * (b - m))
            } else {
                2.0 / (b - a)
            };
            p.ln()
        }
        Distribution::Beta(a, b) => xlny(a - 1.0, x) + xlny(b - 1.0, 1.0 - x) - ln_beta(a, b),
        Distribution::Normal(..) | Distribution::Choice(_) => return None,
    })
}

/// The largest density of a distribution that may replace a `Uniform` or `LogUniform`, if
/// bounded.
fn max_density(d: &Distribution) -> Option<f64> {
    match *d {
        Distribution::Uniform(a, b) => Some(1.0 / (b - a)),
        Distribution::LogUniform(a, b) => Some(1.0 / (a * (b.ln() - a.ln()))),
        Distribution::Triangular(a, _, b) => Some(2.0 / (b - a)),
        Distribution::Beta(a, b) if a >= 1.0 && b >= 1.0 => {
            if a == 1.0 && b == 1.0 {
                Some(1.0)
            } else {
                let mode = (a - 1.0) / (a + b - 2.0);
                ln_density(d, mode).map(f64::exp)
            }
        }
        _ => None,
    }
}

/// Whether the values of `old` may be reweighted to `new`: `Ok(bound)`, a bound on the density
/// ratio `p_new / p_old` over `old`'s support, or `Err(why not)`, in a short phrase.
pub fn plan(old: &Distribution, new: &Distribution) -> Result<f64, String> {
    if old == new {
        return Ok(1.0);
    }
    let (olo, ohi) = old.support();
    let (nlo, nhi) = new.support();
    if matches!(new, Distribution::Normal(..)) || nlo < olo || nhi > ohi {
        return Err(format!("{new} does not lie inside the support of {old}"));
    }
    let bound = match *old {
        Distribution::Uniform(a, b) => max_density(new).map(|m| m * (b - a)),
        Distribution::LogUniform(a, b) => max_density(new).map(|m| m * b * (b.ln() - a.ln())),
        Distribution::Beta(a, b) => match *new {
            Distribution::Beta(a2, b2) if a2 >= a && b2 >= b => {
                let (da, db) = (a2 - a, b2 - b);
                let x = da / (da + db);
                Some((xlny(da, x) + xlny(db, 1.0 - x) + ln_beta(a, b) - ln_beta(a2, b2)).exp())
            }
            _ => None,
        },
        _ => None,
    };
    match bound {
        Some(m) if m.is_finite() && m <= MAX_WEIGHT => Ok(m),
        Some(m) if m.is_finite() => Err(format!(
            "the density ratio of {new} to {old} reaches {m:.3e} (reweighting allows at most {MAX_WEIGHT})"
        )),
        _ => Err(format!(
            "the density ratio of {new} to {old} is not bounded (or not known to be)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn densities_integrate_to_one_and_bounds_hold() {
        let cases = [
            (Distribution::Uniform(0.1, 0.5), Distribution::Uniform(0.2, 0.3)),
            (Distribution::Uniform(0.0, 1.0), Distribution::Beta(2.0, 5.0)),
            (
                Distribution::LogUniform(0.01, 1.0),
                Distribution::Triangular(0.02, 0.3, 0.9),
            ),
            (Distribution::Beta(5.0, 5.0), Distribution::Beta(10.0, 10.0)),
            (Distribution::Beta(2.0, 3.0), Distribution::Beta(2.0, 7.0)),
        ];
        for (old, new) in cases {
            let bound = plan(&old, &new).unwrap();
            let (lo, hi) = old.support();
            let n = 200_000;
            let (mut area, mut top) = (0.0, 0.0f64);
            for i in 0..n {
                let x = lo + (hi - lo) * (i as f64 + 0.5) / n as f64;
                let p = ln_density(&new, x).unwrap().exp();
                area += p * (hi - lo) / n as f64;
                top = top.max(p / ln_density(&old, x).unwrap().exp());
            }
            // The midpoint rule on 200,000 cells is exact to far better than 1e-3 here.
            assert!((area - 1.0).abs() < 1e-3, "{new}: area {area}");
            assert!(
                top <= bound * (1.0 + 1e-9),
                "{old} → {new}: ratio {top} above bound {bound}"
            );
        }
    }

    #[test]
    fn unbounded_or_outside_is_refused() {
        assert!(plan(&Distribution::Uniform(0.2, 0.4), &Distribution::Uniform(0.1, 0.3)).is_err());
        assert!(plan(&Distribution::Beta(5.0, 5.0), &Distribution::Beta(2.0, 5.0)).is_err());
        assert!(plan(&Distribution::Uniform(0.0, 1.0), &Distribution::Beta(0.5, 0.5)).is_err());
        assert!(plan(&Distribution::Uniform(0.0, 1.0), &Distribution::Normal(0.5, 0.1)).is_err());
        assert_eq!(
            plan(&Distribution::Normal(0.5, 0.1), &Distribution::Normal(0.5, 0.1)),
            Ok(1.0)
        );
    }
}
