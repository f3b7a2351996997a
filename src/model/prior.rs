//! Priors compiled: where each drawn value goes in the [`Model`], and how it is drawn.
//!
//! A run of a scenario with priors first draws one value per prior from its own stream
//! ([`PriorStream`], the place of each path fixed by the path alone), then runs on a copy of the
//! model with those values written in ([`patch`]): the same arrays, transformed exactly as
//! [`Model::compile`] transforms the scenario's numbers (a test compares the two on every path),
//! with the derived bounds computed again ([`Model::derive`]). The variants that `Set` effects
//! move a run to are patched when the run first enters them; a path a `Set` has set keeps the
//! `Set`'s value.

use crate::rng::draws::{place_of, PriorStream};
use crate::scenario::prior::{Distribution, PosteriorSample};
use crate::scenario::{field_range, Scenario};

use super::Model;

/// How a value reaches the model: a setter of a polity's number (polity index), of a pair's
/// number (`i * n + j`), or of the model itself (rules, an event's probability).
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// A polity's number: the setter and the polity index.
    Polity(fn(&mut Model, usize, f64), usize),
    /// A relation's number: the setter and `i * n + j`.
    Relation(fn(&mut Model, usize, f64), usize),
    /// A rule, or an event's probability (`usize`: the event index).
    Whole(fn(&mut Model, usize, f64), usize),
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        let key = |t: &Target| match *t {
            Target::Polity(f, i) => (0, f as usize, i),
            Target::Relation(f, i) => (1, f as usize, i),
            Target::Whole(f, i) => (2, f as usize, i),
        };
        key(self) == key(other)
    }
}

type Setter = fn(&mut Model, usize, f64);

/// The polity numbers a prior may stand for, each with the transform `compile` applies.
const POLITY: [(&str, Setter); 32] = [
    ("strength", |m, i, v| m.strength[i] = v),
    ("potential", |m, i, v| m.potential[i] = v),
    ("mobilization", |m, i, v| m.mobilization[i] = v),
    ("mobilization_lag", |m, i, v| {
        if m.mechanisms.mobilization_lag {
            m.mobilization_lag[i] = v
        }
    }),
    ("stability", |m, i, v| {
        if m.mechanisms.instability {
            m.stability[i] = v
        }
    }),
    ("fear_gain", |m, i, v| {
        if m.mechanisms.fear_spiral {
            m.fear_gain[i] = v
        }
    }),
    ("fear_decay", |m, i, v| m.fear_decay[i] = v),
    ("fear_noise", |m, i, v| m.noise_amplitude[i] = v * 3f64.sqrt()),
    ("trust_recovery", |m, i, v| m.trust_recovery[i] = v),
    ("war_threshold", |m, i, v| m.war_threshold[i] = v),
    ("war_propensity", |m, i, v| m.war_propensity[i] = v),
    ("war_readiness", |m, i, v| {
        if m.mechanisms.mobilization_lag {
            m.war_readiness[i] = v
        }
    }),
    ("greed", |m, i, v| {
        if m.mechanisms.greed {
            m.greed[i] = v
        }
    }),
    ("isolation", |m, i, v| {
        if m.mechanisms.isolation {
            m.openness[i] = 1.0 - v
        }
    }),
    ("status_rigidity", |m, i, v| {
        if m.mechanisms.status_rigidity {
            m.rigidity[i] = v
        }
    }),
    ("talk_propensity", |m, i, v| m.talk_propensity[i] = v),
    ("vassal_propensity", |m, i, v| {
        if m.mechanisms.alliances {
            m.vassal_propensity[i] = v
        }
    }),
    ("alliance_propensity", |m, i, v| {
        if m.mechanisms.alliances {
            m.alliance_propensity[i] = v
        }
    }),
    ("breach_propensity", |m, i, v| m.breach_propensity[i] = v),
    ("provocation_trust_loss", |m, i, v| {
        m.provocation_trust_loss[i] = v
    }),
    ("provocation_fear", |m, i, v| m.provocation_fear[i] = v),
    ("join_propensity", |m, i, v| {
        if m.mechanisms.consent {
            m.join_propensity[i] = v
        }
    }),
    ("vassal_acceptance", |m, i, v| m.vassal_acceptance[i] = v),
    ("odds_weight", |m, i, v| {
        if m.mechanisms.victory_odds {
            m.odds_weight[i] = v
        }
    }),
    ("capitulation_propensity", |m, i, v| {
        if m.mechanisms.war_process {
            m.capitulation_propensity[i] = v
        }
    }),
    ("projection_decay", |m, i, v| {
        if m.mechanisms.front {
            m.projection_decay[i] = v
        }
    }),
    ("army_growth", |m, i, v| {
        if m.mechanisms.front {
            m.army_growth[i] = v
        }
    }),
    ("war_burden", |m, i, v| m.war_burden[i] = v),
    ("submission_cost", |m, i, v| m.submission_cost[i] = v),
    ("tribute_gain", |m, i, v| m.tribute_gain[i] = v),
    ("enforcement", |m, i, v| m.enforcement[i] = v),
    ("default_propensity", |m, i, v| m.default_propensity[i] = v),
];

/// The relation numbers a prior may stand for (`p = i * n + j`).
const RELATION: [(&str, Setter); 8] = [
    ("contact", |m, p, v| m.contact[p] = v),
    ("trust", |m, p, v| m.trust[p] = v),
    ("fear", |m, p, v| m.fear[p] = v),
    ("grievance", |m, p, v| m.grievance[p] = v),
    ("provocation_rate", |m, p, v| {
        m.provocation_raw[p] = v;
        m.provocation_rate[p] = if m.mechanisms.provocations {
            v * m.unrestrained[p]
        } else {
            0.0
        };
    }),
    ("restraint", |m, p, v| {
        let keep = if m.mechanisms.restraint { 1.0 - v } else { 1.0 };
        m.unrestrained[p] = keep;
        m.provocation_rate[p] = if m.mechanisms.provocations {
            m.provocation_raw[p] * keep
        } else {
            0.0
        };
    }),
    ("strength_bias", |m, p, v| {
        if m.mechanisms.misperception {
            m.perception_log_bias[p] = v.ln()
        }
    }),
    ("perception_noise", |m, p, v| {
        if m.mechanisms.misperception {
            m.perception_spread[p] = v * 3f64.sqrt()
        }
    }),
];

/// The rules a prior may stand for (all but the whole number `truce_months`).
const RULES: [(&str, Setter); 23] = [
    ("war_fear_shock", |m, _, v| m.rules.war_fear_shock = v),
    ("talks_success", |m, _, v| m.rules.talks_success = v),
    ("truce_trust_gain", |m, _, v| m.rules.truce_trust_gain = v),
    ("alliance_exit_trust", |m, _, v| m.rules.alliance_exit_trust = v),
    ("contest_decisiveness", |m, _, v| m.rules.contest_decisiveness = v),
    ("war_step", |m, _, v| m.rules.war_step = v),
    ("war_cost", |m, _, v| m.rules.war_cost = v),
    ("war_unrest", |m, _, v| m.rules.war_unrest = v),
    ("strength_recovery", |m, _, v| m.rules.strength_recovery = v),
    ("terms_cession", |m, _, v| m.rules.terms_cession = v),
    ("terms_junior", |m, _, v| m.rules.terms_junior = v),
    ("cession_share", |m, _, v| m.rules.cession_share = v),
    ("capitulation_balance", |m, _, v| m.rules.capitulation_balance = v),
    ("war_learning", |m, _, v| m.rules.war_learning = v),
    ("armies_per_potential", |m, _, v| m.rules.armies_per_potential = v),
    ("settlement_horizon", |m, _, v| m.rules.settlement_horizon = v),
    ("settlement_noise", |m, _, v| m.rules.settlement_noise = v),
    ("talks_learning", |m, _, v| m.rules.talks_learning = v),
    ("cession_per_line", |m, _, v| m.rules.cession_per_line = v),
    ("seeker_share", |m, _, v| m.rules.seeker_share = v),
    ("treaty_settling", |m, _, v| m.rules.treaty_settling = v),
    ("tribute_strength", |m, _, v| m.rules.tribute_strength = v),
    ("demarcation_strength", |m, _, v| m.rules.demarcation_strength = v),
];

fn event_probability(m: &mut Model, e: usize, v: f64) {
    if let Some(ev) = m.events.get_mut(e) {
        ev.probability = v;
    }
}

/// Where the number at `--set` path `path` of `sc` goes in a model compiled from it (`None`: a
/// path no prior may stand for).
pub fn target_of(sc: &Scenario, path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.split('.').collect();
    let polity = |id: &str| sc.polities.iter().position(|p| p.id == id);
    let find =
        |table: &[(&str, Setter)], field: &str| table.iter().find(|(f, _)| *f == field).map(|(_, s)| *s);
    match segs.as_slice() {
        ["polities", id, field] => Some(Target::Polity(find(&POLITY, field)?, polity(id)?)),
        ["relations", a, b, field] => {
            let p = polity(a)? * sc.polities.len() + polity(b)?;
            Some(Target::Relation(find(&RELATION, field)?, p))
        }
        ["rules", field] => Some(Target::Whole(find(&RULES, field)?, 0)),
        ["events", id, "probability"] => {
            let e = sc.events.iter().position(|e| e.id == *id)?;
            Some(Target::Whole(event_probability, e))
        }
        _ => None,
    }
}

/// A distribution ready to draw from: its constants computed once, its support truncated to the
/// field's range where it is a `Normal`.
#[derive(Debug, Clone, PartialEq)]
pub enum Sampler {
    /// `lo + u·(hi − lo)`.
    Uniform {
        /// Lowest value.
        lo: f64,
        /// Width.
        width: f64,
    },
    /// `exp(ln lo + u·(ln hi − ln lo))`.
    LogUniform {
        /// `ln lo`.
        ln_lo: f64,
        /// `ln hi − ln lo`.
        ln_width: f64,
    },
    /// `mean + sd·Φ⁻¹(Φ(a) + u·(Φ(b) − Φ(a)))`, clamped to `[lo, hi]`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
        /// `Φ((lo − mean)/sd)`.
        cdf_lo: f64,
        /// `Φ((hi − mean)/sd) − Φ((lo − mean)/sd)`.
        mass: f64,
        /// Range of the field.
        lo: f64,
        /// Range of the field.
        hi: f64,
    },
    /// `X/(X + Y)` with `X ~ Gamma(a)`, `Y ~ Gamma(b)` (Marsaglia and Tsang).
    Beta {
        /// First shape.
        a: f64,
        /// Second shape.
        b: f64,
    },
    /// The inverse of the triangular distribution function.
    Triangular {
        /// Lowest value.
        lo: f64,
        /// Mode.
        mode: f64,
        /// Highest value.
        hi: f64,
    },
    /// `values[⌊u·k⌋]`.
    Choice(Vec<f64>),
}

impl Sampler {
    /// The sampler of `dist` on a field whose range is `[lo, hi]`.
    pub fn new(dist: &Distribution, lo: f64, hi: f64) -> Sampler {
        match dist {
            Distribution::Uniform(a, b) => Sampler::Uniform { lo: *a, width: b - a },
            Distribution::LogUniform(a, b) => Sampler::LogUniform {
                ln_lo: a.ln(),
                ln_width: b.ln() - a.ln(),
            },
            Distribution::Normal(mean, sd) => {
                let cdf_lo = normal_cdf((lo - mean) / sd);
                let cdf_hi = normal_cdf((hi - mean) / sd);
                Sampler::Normal {
                    mean: *mean,
                    sd: *sd,
                    cdf_lo,
                    mass: cdf_hi - cdf_lo,
                    lo,
                    hi,
                }
            }
            Distribution::Beta(a, b) => Sampler::Beta { a: *a, b: *b },
            Distribution::Triangular(lo, mode, hi) => Sampler::Triangular {
                lo: *lo,
                mode: *mode,
                hi: *hi,
            },
            Distribution::Choice(v) => Sampler::Choice(v.clone()),
        }
    }

    /// One value, from the uniforms `u` gives (one for every distribution but `Beta`, which
    /// takes as many as its rejection steps need).
    pub fn draw(&self, u: &mut dyn FnMut() -> f64) -> f64 {
        match self {
            Sampler::Uniform { lo, width } => lo + u() * width,
            Sampler::LogUniform { ln_lo, ln_width } => (ln_lo + u() * ln_width).exp(),
            Sampler::Normal {
                mean,
                sd,
                cdf_lo,
                mass,
                lo,
                hi,
            } => {
                let p = (cdf_lo + u() * mass).clamp(1e-300, 1.0 - 1e-16);
                (mean + sd * normal_quantile(p)).clamp(*lo, *hi)
            }
            Sampler::Beta { a, b } if *a >= 1.0 && *b >= 1.0 => {
                let x = gamma(*a, u);
                let y = gamma(*b, u);
                if x + y > 0.0 {
                    x / (x + y)
                } else {
                    a / (a + b)
                }
            }
            Sampler::Beta { a, b } => {
                // A shape below 1: the gammas in logarithms (each may be far below the
                // smallest double), combined as 1 / (1 + exp(ln y − ln x)). The same uniforms,
                // in the same order, as the path above.
                let lx = ln_gamma_variate(*a, u);
                let ly = ln_gamma_variate(*b, u);
                let x = 1.0 / (1.0 + (ly - lx).exp());
                // No subnormal value: one so close to 0 is 0.
                if x < f64::MIN_POSITIVE {
                    0.0
                } else {
                    x
                }
            }
            Sampler::Triangular { lo, mode, hi } => {
                let p = u();
                let cut = (mode - lo) / (hi - lo);
                if p < cut {
                    lo + ((hi - lo) * (mode - lo) * p).sqrt()
                } else {
                    hi - ((hi - lo) * (hi - mode) * (1.0 - p)).sqrt()
                }
            }
            Sampler::Choice(v) => {
                let k = ((u() * v.len() as f64) as usize).min(v.len() - 1);
                v[k]
            }
        }
    }
}

/// The logarithm of a Gamma(`shape`, 1) variate: `ln Gamma(shape + 1) + ln(u) / shape` below
/// a shape of 1 (finite for every shape the priors allow, [`crate::scenario::prior::MIN_BETA_SHAPE`]
/// and up, where the variate itself underflows to 0), `ln` of [`gamma`] from 1 on.
fn ln_gamma_variate(shape: f64, u: &mut dyn FnMut() -> f64) -> f64 {
    if shape < 1.0 {
        let g = gamma(shape + 1.0, u);
        return g.ln() + u().ln() / shape;
    }
    gamma(shape, u).ln()
}

/// A Gamma(`shape`, 1) variate by Marsaglia and Tsang's method (a shape below 1 by the boost
/// `Gamma(shape + 1) · u^(1/shape)`); its normal draws are `Φ⁻¹(u)`.
fn gamma(shape: f64, u: &mut dyn FnMut() -> f64) -> f64 {
    if shape < 1.0 {
        let g = gamma(shape + 1.0, u);
        return g * u().powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal_quantile(u());
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let w = u();
        if w < 1.0 - 0.0331 * x * x * x * x || w.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// The standard normal distribution function Φ, from the complementary error function (W. J.
/// Cody's rational approximations through [`erfc`]).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// The complementary error function, to about 1e-15 relative: the continued fraction of
/// Lentz's method for `x ≥ 0.5`, the Taylor series of `erf` below.
pub fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 0.5 {
        // erf x = 2/√π Σ (−1)^k x^(2k+1) / (k! (2k+1))
        let (mut term, mut sum, x2) = (x, x, x * x);
        for k in 1..40 {
            term *= -x2 / k as f64;
            let add = term / (2 * k + 1) as f64;
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        return 1.0 - sum * std::f64::consts::FRAC_2_SQRT_PI;
    }
    if x > 27.0 {
        return 0.0;
    }
    // erfc x = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), by Lentz.
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = k as f64 * 0.5;
        d = x + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = x + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / std::f64::consts::PI.sqrt() / f
}

/// The standard normal quantile Φ⁻¹(p), `0 < p < 1`: Acklam's rational approximation (relative
/// error below 1.2e-9; no refinement, so that drawing a `Beta` or a `Normal` stays cheap).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// One prior of a compiled model.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledPrior {
    /// Its `--set` path.
    pub path: String,
    /// Its distribution as written.
    pub dist: Distribution,
    /// How it is drawn.
    pub sampler: Sampler,
    /// Where the value goes.
    pub target: Target,
    /// Its place in the run's stream of parameter draws ([`place_of`]).
    pub place: u64,
    /// The path of [`Model::set_slots`] it shares with `Set` effects, if any: in a variant where
    /// that path has been set, the `Set`'s value holds.
    pub set_slot: Option<usize>,
    /// The field's allowed range, `[lo, hi]`.
    pub range: (f64, f64),
    /// Its column in the model's posterior sample, if it has one ([`Model::use_sample`]).
    pub column: Option<usize>,
}

/// The priors of `sc` compiled for a model of it whose `Set` paths are `set_paths`, in the
/// order of [`Scenario::priors`]. The scenario must have passed validation.
pub fn compile_priors(sc: &Scenario, set_paths: &[String]) -> Vec<CompiledPrior> {
    if sc.priors.is_empty() {
        return Vec::new();
    }
    sc.priors
        .iter()
        .filter_map(|p| {
            let target = target_of(sc, &p.path)?;
            let (lo, hi, open) = field_range(sc, &p.path)?;
            // An excluded lower end (strength > 0): the lowest value a draw may take is the
            // next number above it.
            let lo = if open { lo.next_up() } else { lo };
            Some(CompiledPrior {
                path: p.path.clone(),
                dist: p.dist.clone(),
                sampler: Sampler::new(&p.dist, lo, hi),
                target,
                place: place_of(&p.path),
                set_slot: set_paths.iter().position(|s| *s == p.path),
                range: (lo, hi),
                column: None,
            })
        })
        .collect()
}

/// Draw run `run`'s value of every prior into `values` (one per prior, in order).
pub fn draw_values(priors: &[CompiledPrior], stream: &mut PriorStream, run: u64, values: &mut [f64]) {
    for (p, v) in priors.iter().zip(values.iter_mut()) {
        stream.seek(run, p.place);
        *v = p.sampler.draw(&mut || stream.uniform());
    }
}

/// The name whose place ([`place_of`]) in a run's parameter stream chooses the row of a
/// posterior sample the run takes its values from. It is not a path of any scenario.
pub const SAMPLE_ROW_PATH: &str = "<posterior sample row>";

/// Draw run `run`'s value of every prior of `model` into `values`: each prior with a column in
/// the model's posterior sample takes it from the row the run's stream chooses; the others are
/// drawn from their priors.
pub fn draw_run(model: &Model, stream: &mut PriorStream, run: u64, values: &mut [f64]) {
    draw_values(&model.priors, stream, run, values);
    if let Some(sample) = &model.sample {
        let rows = sample.rows();
        if rows == 0 {
            return;
        }
        stream.seek(run, place_of(SAMPLE_ROW_PATH));
        let row = ((stream.uniform() * rows as f64) as usize).min(rows - 1);
        let cols = sample.paths.len();
        for (p, v) in model.priors.iter().zip(values.iter_mut()) {
            if let Some(c) = p.column {
                *v = sample.values[row * cols + c];
            }
        }
    }
}

impl Model {
    /// Draw the priors from `sample` (a finished posterior) instead: every path of the sample
    /// must be a prior of the model; priors the sample lacks are still drawn from their
    /// distributions. Errors name the first path that is not a prior.
    pub fn use_sample(&mut self, sample: std::sync::Arc<PosteriorSample>) -> Result<(), String> {
        if let Some(p) = sample
            .paths
            .iter()
            .find(|p| !self.priors.iter().any(|q| q.path == **p))
        {
            return Err(format!(
                "the posterior sample has `{p}`, which is not a prior of scenario `{}`",
                self.name
            ));
        }
        for prior in &mut self.priors {
            prior.column = sample.paths.iter().position(|p| *p == prior.path);
        }
        self.sample = Some(sample);
        Ok(())
    }
}

/// Write `value` where `target` says in `m` (one model: not its variants). The derived bounds
/// are stale until [`Model::derive`].
pub fn patch(m: &mut Model, target: Target, value: f64) {
    match target {
        Target::Polity(set, i) | Target::Relation(set, i) | Target::Whole(set, i) => set(m, i, value),
    }
}

/// Write the drawn `values` of `priors` into variant model `m` whose index in the variant table
/// is `k` (0: the model itself), skipping a path a `Set` has set in that variant, and derive its
/// bounds again.
pub fn patch_all(
    m: &mut Model,
    k: usize,
    slots: &[super::SetSlot],
    priors: &[CompiledPrior],
    values: &[f64],
) {
    for (p, &v) in priors.iter().zip(values) {
        if let Some(s) = p.set_slot.and_then(|s| slots.get(s)) {
            if !(k / s.stride).is_multiple_of(s.values.len() + 1) {
                continue;
            }
        }
        patch(m, p.target, v);
    }
    m.derive();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_that_takes_a_prior_has_a_setter_and_no_other() {
        use crate::scenario::prior::{POLITY_FIELDS, RELATION_FIELDS, RULE_FIELDS};
        let names = |t: &[(&str, Setter)]| t.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
        assert_eq!(names(&POLITY), POLITY_FIELDS.map(String::from).to_vec());
        assert_eq!(names(&RELATION), RELATION_FIELDS.map(String::from).to_vec());
        assert_eq!(names(&RULES), RULE_FIELDS.map(String::from).to_vec());
    }

    #[test]
    fn the_normal_functions_agree_with_tables() {
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-14);
        assert!((normal_cdf(-3.0) - 0.001_349_898_031_630_094_6).abs() < 1e-15);
        // Acklam's approximation: relative error of x below 1.15e-9, so Φ(x) is within
        // φ(x)·|x|·1.15e-9 of p, at most 1e-7 of min(p, 1 − p) down to p = 1e-10.
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 3e-9);
        for p in [1e-10, 0.001, 0.02, 0.3, 0.5, 0.77, 0.99, 1.0 - 1e-9] {
            let x = normal_quantile(p);
            assert!(
                (normal_cdf(x) - p).abs() <= 1e-7 * p.min(1.0 - p) + 1e-16,
                "{p}: {x}"
            );
        }
        assert!((erfc(2.0) - 0.004_677_734_981_047_266).abs() < 1e-17);
    }

    #[test]
    fn every_sampler_stays_in_its_support_and_has_its_mean() {
        let mut stream = PriorStream::new(7);
        let cases = [
            (Distribution::Uniform(0.2, 0.6), 0.4),
            (Distribution::LogUniform(0.01, 1.0), 0.99 / (1.0f64 / 0.01).ln()),
            (Distribution::Beta(2.0, 5.0), 2.0 / 7.0),
            (Distribution::Beta(0.5, 0.5), 0.5),
            (Distribution::Triangular(0.0, 0.3, 1.0), 1.3 / 3.0),
            (Distribution::Choice(vec![1.0, 2.0, 6.0]), 3.0),
            (Distribution::Normal(0.5, 0.1), 0.5),
        ];
        for (dist, mean) in cases {
            let s = Sampler::new(&dist, 0.0, 10.0);
            let (lo, hi) = dist.support();
            let n = 40_000;
            let mut sum = 0.0;
            for r in 0..n {
                stream.seek(r, 99);
                let x = s.draw(&mut || stream.uniform());
                assert!(x >= lo.max(0.0) && x <= hi.min(10.0), "{dist}: {x}");
                sum += x;
            }
            let got = sum / n as f64;
            // 5 standard errors of the mean; the sd of each is at most the support's half-width.
            let tol = 5.0 * (hi.min(10.0) - lo.max(0.0)) / 2.0 / (n as f64).sqrt();
            assert!((got - mean).abs() < tol, "{dist}: mean {got}, expected {mean}");
        }
    }

    use crate::stats::ln_gamma;

    /// The Beta(a, b) distribution function at `x`: the regularized incomplete beta, by its
    /// continued fraction (Lentz), on the side where it converges.
    fn beta_cdf(x: f64, a: f64, b: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        if x >= 1.0 {
            return 1.0;
        }
        if x > (a + 1.0) / (a + b + 2.0) {
            return 1.0 - beta_cdf(1.0 - x, b, a);
        }
        let front = (a * x.ln() + b * (-x).ln_1p() - (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b))).exp() / a;
        let tiny = 1e-300;
        let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
        d = 1.0 / if d.abs() < tiny { tiny } else { d };
        let mut f = d;
        for m in 1..10_000 {
            let m = f64::from(m);
            for step in 0..2 {
                let num = if step == 0 {
                    m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
                } else {
                    -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
                };
                d = 1.0 + num * d;
                d = 1.0 / if d.abs() < tiny { tiny } else { d };
                c = 1.0 + num / c;
                c = if c.abs() < tiny { tiny } else { c };
                f *= c * d;
            }
            if (c * d - 1.0).abs() < 1e-15 {
                break;
            }
        }
        front * f
    }

    #[test]
    fn the_incomplete_beta_agrees_with_closed_forms() {
        // Beta(1, 1) is uniform; Beta(a, 1) has x^a; Beta(1/2, 1/2) has (2/π)·asin(√x).
        assert!((beta_cdf(0.3, 1.0, 1.0) - 0.3).abs() < 1e-12);
        assert!((beta_cdf(0.2, 0.01, 1.0) - 0.2f64.powf(0.01)).abs() < 1e-10);
        let arcsine = |x: f64| 2.0 / std::f64::consts::PI * x.sqrt().asin();
        for x in [1e-9, 0.1, 0.5, 0.9] {
            assert!((beta_cdf(x, 0.5, 0.5) - arcsine(x)).abs() < 1e-10, "{x}");
        }
    }

    /// The Beta sampler at shapes down to the smallest allowed: its draws' mean and variance
    /// within 5 standard errors of the distribution's, and their counts in ten bins (cut at
    /// quantiles from 1e-200 to 1 − 1e-10, where a shape of 0.001 puts most of its mass) passing
    /// a chi-square test at the 99.9% level (bins expecting fewer than 5 draws pooled), under a
    /// fixed seed.
    /// Before the small-shape path drew in logarithms, Beta(0.001, 0.001) gave exactly 0.5 in
    /// a fifth of its draws (both gammas underflowed to 0).
    #[test]
    fn the_beta_sampler_has_its_moments_and_quantiles_down_to_the_smallest_shape() {
        use crate::scenario::prior::MIN_BETA_SHAPE;
        let mut stream = PriorStream::new(11);
        let n = 20_000u64;
        let edges = [
            0.0,
            1e-200,
            1e-50,
            1e-10,
            0.01,
            0.2,
            0.5,
            0.8,
            0.99,
            1.0 - 1e-10,
            1.0,
        ];
        for (a, b) in [
            (MIN_BETA_SHAPE, MIN_BETA_SHAPE),
            (MIN_BETA_SHAPE, 1.0),
            (0.01, 0.3),
            (0.1, 0.1),
            (0.5, 2.0),
            (0.9, 5.0),
        ] {
            let s = Sampler::new(&Distribution::Beta(a, b), 0.0, 1.0);
            let mut xs = Vec::with_capacity(n as usize);
            for r in 0..n {
                stream.seek(r, 5);
                let x = s.draw(&mut || stream.uniform());
                assert!((0.0..=1.0).contains(&x), "Beta({a}, {b}): {x}");
                assert!(
                    x == 0.0 || x >= f64::MIN_POSITIVE,
                    "Beta({a}, {b}): subnormal {x}"
                );
                xs.push(x);
            }
            let halves = xs.iter().filter(|&&x| x == 0.5).count();
            assert!(halves < 3, "Beta({a}, {b}): {halves} draws of exactly 0.5");
            let nf = n as f64;
            let mean = xs.iter().sum::<f64>() / nf;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0);
            let (m, v) = (a / (a + b), a * b / ((a + b).powi(2) * (a + b + 1.0)));
            assert!(
                (mean - m).abs() < 5.0 * (v / nf).sqrt(),
                "Beta({a}, {b}): mean {mean}, expected {m}"
            );
            // (x − μ)² lies in [0, 1]: its sd is at most 1/2.
            assert!(
                (var - v).abs() < 5.0 * 0.5 / nf.sqrt(),
                "Beta({a}, {b}): variance {var}, expected {v}"
            );
            // Bins with fewer than 5 expected draws are pooled with the next.
            let (mut cells, mut got, mut want) = (Vec::new(), 0.0, 0.0);
            for w in edges.windows(2) {
                want += (beta_cdf(w[1], a, b) - beta_cdf(w[0], a, b)) * nf;
                got += xs
                    .iter()
                    .filter(|&&x| x >= w[0] && (x < w[1] || (w[1] == 1.0 && x == 1.0)))
                    .count() as f64;
                if want >= 5.0 {
                    cells.push((got, want));
                    (got, want) = (0.0, 0.0);
                }
            }
            if let Some(last) = cells.last_mut() {
                last.0 += got;
                last.1 += want;
            }
            let chi2: f64 = cells.iter().map(|(g, w)| (g - w).powi(2) / w).sum();
            // The 99.9% quantiles of chi-square with 1 to 9 degrees of freedom.
            const Q999: [f64; 9] = [10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88];
            let dof = cells.len() - 1;
            assert!(dof >= 1, "Beta({a}, {b}): too few bins");
            assert!(
                chi2 < Q999[dof - 1],
                "Beta({a}, {b}): chi-square {chi2} over {} bins",
                cells.len()
            );
        }
        // Shapes the sampler cannot honour are refused, with a one-line reason.
        let refused = Distribution::Beta(MIN_BETA_SHAPE / 2.0, 1.0)
            .problem()
            .expect("refused");
        assert!(
            refused.contains("from 0.001") && !refused.contains('\n'),
            "{refused}"
        );
        assert!(Distribution::Beta(1e-300, 1e-300).problem().is_some());
        assert!(Distribution::Beta(MIN_BETA_SHAPE, MIN_BETA_SHAPE)
            .problem()
            .is_none());
    }
}
