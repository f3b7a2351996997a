//! A front that culminates (Model 3, the `front` mechanism): the force a side projects fades
//! with the depth of its advance, so the war balance settles near a stalemate point instead of
//! drifting to the end; a mobilized polity raises new armies from its potential. The equations
//! (with units in `docs/model.md` §6.10):
//!
//! ```text
//! projected force  F̃_a = F_a · exp(−λ_a · max(0,  B))     F̃_b = F_b · exp(−λ_b · max(0, −B))
//! stalemate        B*  = ln(F_a / F_b) / λ_a   if F_a ≥ F_b,   −ln(F_b / F_a) / λ_b   otherwise,
//!                        clamped to [−1, 1]                     (where the contest's drift is 0)
//! new armies       s̄_x ← s̄_x + g_x · m_x · (π · P_x − s̄_x)   when s̄_x < π · P_x
//! ```
//!
//! B is the war balance from side *a*'s side (positive: the front lies on *b*'s ground), λ the
//! polity's `projection_decay`, g its `army_growth`, π the rule `armies_per_potential`.

/// The force a side projects at the front: its force `force` faded by `exp(−decay · depth)`
/// when the front lies `depth > 0` deep on the enemy's side (the loss-of-strength gradient,
/// Boulding 1962); the whole force at home (`depth ≤ 0`) or with no gradient (`decay = 0`).
#[inline]
pub fn projected_force(force: f64, decay: f64, depth: f64) -> f64 {
    if depth > 0.0 && decay > 0.0 {
        force * (-decay * depth).exp()
    } else {
        force
    }
}

/// The stalemate point of a war between forces `force_x` and `force_y` seen from *x*'s side:
/// the balance at which the two projected forces are equal (the contest's drift is 0), so
/// `ln(F_x / F_y) / λ_x` when *x* is the stronger (it advances, and its force fades with
/// `decay_x`) and `−ln(F_y / F_x) / λ_y` otherwise, clamped to `[−1, 1]` (a side without a
/// gradient drives the front to the end). 0 between equal forces, also when both are 0; a side
/// with force 0 against a positive one is at −1. Antisymmetric bit for bit:
/// `stalemate(x, y, λx, λy) == −stalemate(y, x, λy, λx)`.
#[inline]
pub fn stalemate(force_x: f64, force_y: f64, decay_x: f64, decay_y: f64) -> f64 {
    if force_x == force_y {
        0.0
    } else if force_x > force_y {
        advance(force_x, force_y, decay_x)
    } else {
        -advance(force_y, force_x, decay_y)
    }
}

/// How far the stronger force `strong` (> `weak`) carries the front, fading with `decay`: the
/// depth `ln(strong / weak) / decay`, at most 1 (1 when `decay` is 0 or `weak` is 0).
#[inline]
fn advance(strong: f64, weak: f64, decay: f64) -> f64 {
    if weak <= 0.0 || decay <= 0.0 {
        return 1.0;
    }
    ((strong / weak).ln() / decay).min(1.0)
}

/// A month's new armies: base strength `base` moves toward the ceiling `ceiling`
/// (`armies_per_potential · potential`) by `growth · mobilization` of the gap; unchanged at or
/// above the ceiling.
#[inline]
pub fn raise_armies(base: f64, ceiling: f64, growth: f64, mobilization: f64) -> f64 {
    if base < ceiling {
        base + growth * mobilization * (ceiling - base)
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stalemate_is_where_the_projected_forces_are_equal() {
        for (fx, fy, lx, ly) in [(2.0, 1.0, 2.0, 1.0), (1.0, 3.0, 0.5, 4.0), (1.5, 1.2, 1.0, 1.0)] {
            let b: f64 = stalemate(fx, fy, lx, ly);
            assert!(b.abs() < 1.0, "{b}");
            let (px, py) = (projected_force(fx, lx, b), projected_force(fy, ly, -b));
            assert!((px - py).abs() < 1e-12 * px.max(py), "{px} {py}");
            assert_eq!(stalemate(fy, fx, ly, lx).to_bits(), (-b).to_bits());
        }
        assert_eq!(stalemate(1.0, 1.0, 0.0, 0.0), 0.0);
        assert_eq!(stalemate(0.0, 0.0, 1.0, 1.0), 0.0);
        assert_eq!(stalemate(2.0, 1.0, 0.0, 5.0), 1.0);
        assert_eq!(stalemate(1.0, 2.0, 0.0, 0.0), -1.0);
        assert_eq!(stalemate(0.0, 2.0, 1.0, 1.0), -1.0);
        assert_eq!(stalemate(100.0, 1.0, 1.0, 1.0), 1.0);
    }

    #[test]
    fn new_armies_close_the_gap_to_the_ceiling_and_stop_there() {
        assert_eq!(raise_armies(1.0, 2.0, 0.1, 0.5), 1.05);
        assert_eq!(raise_armies(2.5, 2.0, 0.1, 1.0), 2.5);
        assert_eq!(raise_armies(1.0, 2.0, 0.0, 1.0), 1.0);
        let mut b = 0.5;
        for _ in 0..1000 {
            b = raise_armies(b, 1.5, 0.05, 1.0);
        }
        assert!(b <= 1.5 && b > 1.5 - 1e-9);
    }
}
