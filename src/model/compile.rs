//! The compiled model: a validated [`Scenario`] turned into flat arrays that the engine reads.
//!
//! Polity parameters are vectors indexed by polity; pair parameters are `n × n` matrices stored
//! row-major (`i * n + j` is how *i* sees *j*; the diagonal is unused). Mechanism switches that
//! only scale a parameter are folded in here (isolation, restraint, greed, rigidity), so the
//! monthly loop does not branch on them.

use crate::calendar::Month;
use crate::rng::draws::DrawSchedule;
use crate::scenario::{Effect, Mechanisms, Rules, Scenario, Status};

use super::condition::{compile_condition, CompiledCondition};

/// Diplomatic status of an unordered pair inside the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DyadStatus {
    /// No war, no tie.
    Peace,
    /// Allies.
    Alliance,
    /// `lord` (a polity index) is suzerain of the other.
    Vassal {
        /// Polity index of the suzerain.
        lord: u16,
    },
    /// At war since month offset `since`, started by polity index `initiator`.
    War {
        /// Polity index of the initiator.
        initiator: u16,
        /// Month offset at which this war began.
        since: u32,
    },
    /// A truce concluded at month offset `since`.
    Truce {
        /// Month offset of the truce.
        since: u32,
    },
}

impl DyadStatus {
    /// Short lower-case word for traces: peace, alliance, vassal, war, truce.
    pub fn word(self) -> &'static str {
        match self {
            DyadStatus::Peace => "peace",
            DyadStatus::Alliance => "alliance",
            DyadStatus::Vassal { .. } => "vassal",
            DyadStatus::War { .. } => "war",
            DyadStatus::Truce { .. } => "truce",
        }
    }
}

/// A scripted effect with polity ids resolved to indices.
// The variant docs name the fields; they are plain polity indices and values.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CompiledEffect {
    /// Set contact of `a`–`b` both ways.
    Contact { a: usize, b: usize, value: f64 },
    /// Add to the trust of `of` in `toward`.
    Trust { of: usize, toward: usize, delta: f64 },
    /// Fear shock.
    Fear { of: usize, toward: usize, amount: f64 },
    /// A scripted hostile act.
    HostileAct {
        actor: usize,
        victim: usize,
        severity: f64,
    },
    /// Multiply strength.
    Strength { polity: usize, factor: f64 },
    /// Add to stability.
    Stability { polity: usize, delta: f64 },
    /// The polity ceases to exist.
    Cease { polity: usize },
    /// The alliance or vassal tie of `a`–`b` ends.
    EndTie { a: usize, b: usize },
    /// Path `slot` of [`Model::set_slots`] takes the value of its setter `digit` (1-based):
    /// the run goes on under the variant of the model with that value, and a number of the
    /// state at `start` named by `write` is set now from it.
    Set {
        slot: usize,
        digit: u16,
        write: StateWrite,
    },
    /// The chronicle calls `polity` by `aliases[name]`.
    Rename { polity: usize, name: usize },
}

/// The part of a run's state that a `Set` effect also writes (from the variant it moves the run
/// to), when its path names a number of the state at `start`.
// The variant docs name the fields; they are polity indices.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateWrite {
    /// A parameter only: nothing is written.
    Nothing,
    /// The trust of `of` in `toward` (and the level it recovers toward).
    Trust { of: usize, toward: usize },
    /// The fear of `of` of `toward`.
    Fear { of: usize, toward: usize },
    /// The contact of `of` with `toward` (this direction only, as the path names it).
    Contact { of: usize, toward: usize },
    /// How `of` perceives `toward`: drawn again from the run's header with the new bias and
    /// spread.
    Perception { of: usize, toward: usize },
    /// The strength of `polity` (and its base strength).
    Strength { polity: usize },
    /// The stability of `polity`.
    Stability { polity: usize },
    /// The mobilization of `polity`.
    Mobilization { polity: usize },
}

/// A path that `Set` effects set, and its place in the variant index.
#[derive(Debug, Clone, PartialEq)]
pub struct SetSlot {
    /// The `--set` path.
    pub path: String,
    /// The value each setter gives it (setter `k` is `values[k − 1]`), in the order of events.
    pub values: Vec<f64>,
    /// The event of each setter (setter `k` is `events[k − 1]`).
    pub events: Vec<usize>,
    /// Its weight in the variant index: the variant of a run is `Σ digit · stride`.
    pub stride: usize,
}

/// A scripted event with its window as month offsets from `start`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledEvent {
    /// Event id.
    pub id: String,
    /// Chronicle text.
    pub text: String,
    /// First month offset of the window (may be negative if it starts before `start`).
    pub first: i64,
    /// Last month offset of the window.
    pub last: i64,
    /// Total probability over the window.
    pub probability: f64,
    /// The effects, in order.
    pub effects: Vec<CompiledEffect>,
    /// Its condition (`None`: the calendar alone).
    pub when: Option<CompiledCondition>,
    /// With a condition: the months the window stays open once opened (`u32::MAX`: to `last`).
    pub within: u32,
    /// The condition in words, for the chronicle (empty without one).
    pub reason: String,
}

impl CompiledEvent {
    /// The hazard at month offset `t`, given that the event has not fired yet: chosen so that
    /// the firing month is uniform over the window and the total probability is `probability`.
    #[inline]
    pub fn hazard(&self, t: i64) -> f64 {
        if t < self.first || t > self.last {
            return 0.0;
        }
        let len = (self.last - self.first + 1) as f64;
        let k = (t - self.first) as f64;
        // k < len and probability ≤ 1, so remaining > 0.
        let remaining = 1.0 - self.probability * k / len;
        (self.probability / len / remaining).min(1.0)
    }
}

/// Indices and constants of one unordered pair `a < b`, precomputed for the monthly loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DyadIndex {
    /// First polity.
    pub a: usize,
    /// Second polity.
    pub b: usize,
    /// `a * n + b`: how `a` sees `b`.
    pub ab: usize,
    /// `b * n + a`: how `b` sees `a`.
    pub ba: usize,
    /// Ordered-pair index of `a → b` (for draw slots).
    pub q_ab: usize,
    /// Ordered-pair index of `b → a`.
    pub q_ba: usize,
    /// Draw slots of the decisions of `a → b` and `b → a`.
    pub decision_slots: [usize; 2],
    /// `war_threshold` of `a` and of `b`.
    pub war_threshold: [f64; 2],
    /// [`Model::quiet_bound`] of `a` and of `b`.
    pub quiet_bound: [u64; 2],
    /// The talks factor `2·potential_j / (potential_i + potential_j)` of `a` (facing `b`) and
    /// of `b` (facing `a`), see [`crate::model::hazard::talks_hazard`].
    pub outmatched: [f64; 2],
    /// Raw decision draws at or above these bounds (of `a`, of `b`) can never open talks: the
    /// talks hazard is below `4 · talk_propensity · outmatched` whatever the months at war
    /// (`m / (m + 6) < 1`), the stability (`2 − stability ≤ 2`) and the perceived balance
    /// (`1 − balance ≤ 2`); see `talks_draw_bound`. (A side may capitulate only while the
    /// balance is decisive against it, which the engine checks before this bound.)
    pub talks_bound: [u64; 2],
    /// Raw decision draws at or above these bounds can never breach a truce: the breach hazard
    /// is at most `breach_propensity · (1 + rigidity)` whatever the trust.
    pub breach_bound: [u64; 2],
}

/// An ordered pair that may commit hostile acts (positive provocation rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Provoker {
    /// Who commits them.
    pub actor: usize,
    /// Against whom.
    pub victim: usize,
    /// Ordered-pair index of `actor → victim` (its draw slot).
    pub q: usize,
    /// Unordered pair index.
    pub dyad: usize,
    /// Its provocation rate × (1 − restraint), `provocation_rate[actor * n + victim]`.
    pub rate: f64,
    /// Its draw slot, `schedule.provocation(q)`.
    pub slot: usize,
    /// Raw draws at or above this bound never give a hostile act: the monthly probability
    /// `rate · contact_eff` is at most `rate` (effective contact lies in `[0, 1]`); see
    /// `quiet_draw_bound`.
    pub quiet_bound: u64,
}

/// Scripted events are listed by blocks of this many months ([`Model::events_at`]): a month
/// visits only the events whose window meets its block, and the lists take at most
/// `MAX_MONTHS / 32 · MAX_EVENTS` entries (6 MiB) whatever the windows.
pub const EVENT_BLOCK_MONTHS: u32 = 32;

/// The compiled, immutable model shared by all runs of a batch.
#[derive(Debug, Clone)]
pub struct Model {
    /// Scenario name.
    pub name: String,
    /// Number of polities.
    pub n: usize,
    /// Polity ids.
    pub ids: Vec<String>,
    /// Polity display names.
    pub names: Vec<String>,
    /// First month.
    pub start: Month,
    /// Number of simulated months (`end − start + 1`).
    pub months: u32,
    /// Mechanism switches.
    pub mechanisms: Mechanisms,
    /// Rules of war and talks.
    pub rules: Rules,
    /// Draw schedule.
    pub schedule: DrawSchedule,
    /// Unordered pairs `(a, b)` with `a < b`, in order.
    pub dyads: Vec<(usize, usize)>,
    /// `dyad_of[i * n + j]`: index of the unordered pair of `i` and `j`.
    pub dyad_of: Vec<usize>,
    /// `ordered_of[i * n + j]`: index of the ordered pair among the `n(n−1)` ordered pairs.
    pub ordered_of: Vec<usize>,
    /// Precomputed indices of each unordered pair, in `dyads` order.
    pub dyad_index: Vec<DyadIndex>,
    /// Ordered pairs with a positive provocation rate (empty when provocations are off).
    pub provokers: Vec<Provoker>,

    /// Strength at `start`.
    pub strength: Vec<f64>,
    /// Potential.
    pub potential: Vec<f64>,
    /// Mobilization at `start`.
    pub mobilization: Vec<f64>,
    /// Mobilization lag in months (1 when the mechanism is off).
    pub mobilization_lag: Vec<f64>,
    /// Stability at `start` (1 when instability is off).
    pub stability: Vec<f64>,
    /// Fear gain k (0 when the fear spiral is off).
    pub fear_gain: Vec<f64>,
    /// Fear decay a.
    pub fear_decay: Vec<f64>,
    /// Noise amplitude: a uniform on `[−√3σ, √3σ]` has standard deviation σ.
    pub noise_amplitude: Vec<f64>,
    /// Trust recovery rate.
    pub trust_recovery: Vec<f64>,
    /// War threshold.
    pub war_threshold: Vec<f64>,
    /// War propensity.
    pub war_propensity: Vec<f64>,
    /// Readiness (0 when the mobilization lag mechanism is off).
    pub war_readiness: Vec<f64>,
    /// Greed (0 when off).
    pub greed: Vec<f64>,
    /// `1 − isolation` (1 when off).
    pub openness: Vec<f64>,
    /// Status rigidity (0 when off).
    pub rigidity: Vec<f64>,
    /// Talk propensity.
    pub talk_propensity: Vec<f64>,
    /// Vassal propensity (0 when alliances are off).
    pub vassal_propensity: Vec<f64>,
    /// Alliance propensity (0 when alliances are off).
    pub alliance_propensity: Vec<f64>,
    /// Breach propensity.
    pub breach_propensity: Vec<f64>,
    /// Provocation trust loss.
    pub provocation_trust_loss: Vec<f64>,
    /// Provocation fear shock.
    pub provocation_fear: Vec<f64>,
    /// Months simulated before `start` in which nothing is counted.
    pub warmup: u32,
    /// Whether the mobilization step needs the reaction delay's ring of past fears or war
    /// plans: `reaction_delay` on, and some polity with a delay or a `war_readiness` above 0.
    pub deliberate: bool,
    /// Whether some polity reacts late (`reaction_delay` on and a delay above 0).
    pub delayed: bool,
    /// Reaction delay in months (0 when the `reaction_delay` mechanism is off).
    pub reaction_delay: Vec<u32>,
    /// Join propensity of an ally (0 when `consent` is off: nobody joins).
    pub join_propensity: Vec<f64>,
    /// A lord's monthly acceptance of an offered submission at full contact.
    pub vassal_acceptance: Vec<f64>,
    /// Exponent of the victory factor (0 when `victory_odds` is off: the factor is 1).
    pub odds_weight: Vec<f64>,
    /// Capitulation propensity (0 when `war_process` is off).
    pub capitulation_propensity: Vec<f64>,
    /// Whether a capitulation ends the polity as a state.
    pub conquerable: Vec<bool>,
    /// Loss-of-strength gradient λ_i (0 when `front` is off).
    pub projection_decay: Vec<f64>,
    /// Monthly share of the gap to its army ceiling raised at full mobilization (0 when
    /// `front` is off).
    pub army_growth: Vec<f64>,
    /// Monthly cost of war to the court, in units of the front (`bargaining`).
    pub war_burden: Vec<f64>,
    /// Cost of accepting junior status, in units of the front (`bargaining`).
    pub submission_cost: Vec<f64>,
    /// Gain from the other's junior status, in units of the front (`bargaining`).
    pub tribute_gain: Vec<f64>,
    /// Monthly probability of enforcing a treaty the other side defaulted on (`treaties`).
    pub enforcement: Vec<f64>,
    /// Monthly probability, at no regret, of withholding a cession owed (`treaties`).
    pub default_propensity: Vec<f64>,
    /// Per ordered pair `i * n + j`: the log of *i*'s bias about *j*'s strength (0 when
    /// `misperception` is off).
    pub perception_log_bias: Vec<f64>,
    /// Per ordered pair: the half-width `√3 · perception_noise` of the uniform spread of that
    /// log (0 when `misperception` is off).
    pub perception_spread: Vec<f64>,

    /// Contact at `start` (raw, before isolation).
    pub contact: Vec<f64>,
    /// Trust at `start`; trust recovers toward it.
    pub trust: Vec<f64>,
    /// Fear at `start`.
    pub fear: Vec<f64>,
    /// Grievance g.
    pub grievance: Vec<f64>,
    /// Provocation rate × (1 − restraint) (0 when provocations are off).
    pub provocation_rate: Vec<f64>,
    /// The provocation rate as the scenario gives it (before restraint and the switch), which a
    /// drawn restraint multiplies again.
    pub provocation_raw: Vec<f64>,
    /// `1 − restraint` (1 when off).
    pub unrestrained: Vec<f64>,
    /// Provocation text for the chronicle.
    pub provocation_text: Vec<String>,

    /// Per polity *i*, for the quick exit of the monthly decisions at peace: when *i*'s fear
    /// of *j* is at most its `war_threshold` and its raw 32-bit decision draw is at least this
    /// bound, *i* can neither start a war on *j* nor ally with or submit to *j* this month.
    ///
    /// Below the threshold the war hazard is at most `greed` (advantage, contact, readiness,
    /// `1 − restraint` and willingness all lie in `[0, 1]` in a validated scenario), and the
    /// tie probabilities together at most `alliance_propensity + vassal_propensity`; the bound
    /// is their sum in units of 2⁻³², rounded up with a margin, so that skipping the month's
    /// arithmetic is exact. A `u64` so that "never quiet" (above any draw) fits.
    pub quiet_bound: Vec<u64>,
    /// The scripted events whose window meets block `k` of [`EVENT_BLOCK_MONTHS`] months (month
    /// offsets `k · EVENT_BLOCK_MONTHS ..`), in the order of `events`:
    /// `event_order[event_blocks[k]..event_blocks[k + 1]]` (see [`Model::events_at`]).
    pub event_blocks: Vec<usize>,
    /// See `event_blocks`.
    pub event_order: Vec<u32>,
    /// Status of each unordered pair at `start`.
    pub status: Vec<DyadStatus>,
    /// Scripted events (empty when the mechanism is off).
    pub events: Vec<CompiledEvent>,
    /// Display names given by `Rename` effects.
    pub aliases: Vec<String>,
    /// The paths that `Set` effects set (empty when none does).
    pub set_slots: Vec<SetSlot>,
    /// The model under each combination of `Set` values but none (variant `k ≥ 1` is
    /// `variants[k − 1]`; see [`Model::variant`]). Empty in the variants themselves.
    pub variants: Vec<Model>,
    /// The numbers given as distributions, drawn anew by every run ([`crate::model::prior`]).
    /// Empty in the variants themselves.
    pub priors: Vec<super::prior::CompiledPrior>,
    /// A finished posterior's values to draw the priors from instead (`--posterior`).
    pub sample: Option<std::sync::Arc<crate::scenario::prior::PosteriorSample>>,
}

fn by_flag(values: Vec<f64>, on: bool, off: f64) -> Vec<f64> {
    if on {
        values
    } else {
        vec![off; values.len()]
    }
}

impl Model {
    /// Compile a scenario. The scenario must have passed [`crate::scenario::validate`]: ids are
    /// looked up without further checks.
    ///
    /// A scenario whose events `Set` numbers is compiled once per combination of the values
    /// they set ([`Model::variants`]); a run moves to the variant of the values set so far.
    pub fn compile(sc: &Scenario) -> Model {
        let slots = set_slots(sc);
        let mut model = Model::compile_one(sc, &slots);
        let paths: Vec<String> = slots.iter().map(|s| s.path.clone()).collect();
        model.priors = super::prior::compile_priors(sc, &paths);
        if let Some(sample) = &sc.posterior {
            // Validation checked that every path of the sample is a prior of the scenario.
            let _ = model.use_sample(std::sync::Arc::new(sample.clone()));
        }
        let total: usize = slots.iter().map(|s| s.values.len() + 1).product();
        if slots.is_empty() || !sc.mechanisms.events {
            return model;
        }
        for k in 1..total {
            let mut changed = sc.clone();
            for slot in &slots {
                let digit = (k / slot.stride) % (slot.values.len() + 1);
                if digit == 0 {
                    continue;
                }
                let value = crate::scenario::set_value_text(slot.values[digit - 1]).unwrap_or_default();
                let o = crate::scenario::Override {
                    path: slot.path.clone(),
                    value,
                };
                // Validation applied the same override to the same scenario.
                if let Ok(next) = crate::scenario::apply_override(&changed, &o) {
                    changed = next;
                }
            }
            model.variants.push(Model::compile_one(&changed, &slots));
        }
        model
    }

    /// The model of variant `k` (0: this one; see [`Model::variants`]).
    #[inline]
    pub fn variant(&self, k: usize) -> &Model {
        if k == 0 {
            self
        } else {
            &self.variants[k - 1]
        }
    }

    fn compile_one(sc: &Scenario, slots: &[SetSlot]) -> Model {
        let n = sc.polities.len();
        let ids: Vec<String> = sc.polities.iter().map(|p| p.id.clone()).collect();
        let idx = |id: &str| ids.iter().position(|x| x == id).unwrap_or(0);
        let mech = sc.mechanisms;
        let col =
            |f: fn(&crate::scenario::Polity) -> f64| -> Vec<f64> { sc.polities.iter().map(f).collect() };

        let mut dyads = Vec::new();
        let mut dyad_of = vec![usize::MAX; n * n];
        for a in 0..n {
            for b in a + 1..n {
                dyad_of[a * n + b] = dyads.len();
                dyad_of[b * n + a] = dyads.len();
                dyads.push((a, b));
            }
        }
        let mut ordered_of = vec![usize::MAX; n * n];
        let mut q = 0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    ordered_of[i * n + j] = q;
                    q += 1;
                }
            }
        }

        let mut contact = vec![0.0; n * n];
        let mut trust = vec![0.5; n * n];
        let mut fear = vec![0.0; n * n];
        let mut grievance = vec![0.0; n * n];
        let mut provocation_rate = vec![0.0; n * n];
        let mut unrestrained = vec![1.0; n * n];
        let mut provocation_text = vec![String::new(); n * n];
        let mut perception_log_bias = vec![0.0; n * n];
        let mut perception_spread = vec![0.0; n * n];
        for r in &sc.relations {
            let p = idx(&r.from) * n + idx(&r.to);
            contact[p] = r.contact;
            trust[p] = r.trust;
            fear[p] = r.fear;
            grievance[p] = r.grievance;
            let keep = if mech.restraint { 1.0 - r.restraint } else { 1.0 };
            unrestrained[p] = keep;
            provocation_rate[p] = if mech.provocations {
                r.provocation_rate * keep
            } else {
                0.0
            };
            provocation_text[p] = r.provocation_text.clone();
            if mech.misperception {
                perception_log_bias[p] = r.strength_bias.ln();
                perception_spread[p] = r.perception_noise * 3f64.sqrt();
            }
        }

        let mut status = vec![DyadStatus::Peace; dyads.len()];
        for s in &sc.statuses {
            let (a, b) = (idx(&s.a), idx(&s.b));
            status[dyad_of[a * n + b]] = match &s.status {
                Status::Peace => DyadStatus::Peace,
                Status::Alliance if mech.alliances => DyadStatus::Alliance,
                Status::Vassal(v) if mech.alliances => DyadStatus::Vassal {
                    lord: idx(&v.lord) as u16,
                },
                Status::Alliance | Status::Vassal(_) => DyadStatus::Peace,
                Status::War(w) => DyadStatus::War {
                    initiator: idx(&w.initiator) as u16,
                    since: 0,
                },
                Status::Truce => DyadStatus::Truce { since: 0 },
            };
        }

        let mut aliases = Vec::new();
        let event_idx = |id: &str| sc.events.iter().position(|e| e.id == id).unwrap_or(0);
        let pair_idx = |a: usize, b: usize| dyad_of[a * n + b];
        let events = if mech.events {
            sc.events
                .iter()
                .enumerate()
                .map(|(k, e)| CompiledEvent {
                    id: e.id.clone(),
                    text: e.text.clone(),
                    first: sc.start.months_until(e.from),
                    last: sc.start.months_until(e.to.unwrap_or(e.from)),
                    probability: e.probability,
                    effects: e
                        .effects
                        .iter()
                        .filter_map(|f| {
                            let ctx = EffectContext {
                                idx: &idx,
                                mech,
                                event: k,
                                slots,
                            };
                            compile_effect(f, &ctx, &mut aliases)
                        })
                        .collect(),
                    when: e
                        .when
                        .as_ref()
                        .map(|c| compile_condition(c, &idx, &event_idx, &pair_idx)),
                    within: e.within.unwrap_or(u32::MAX),
                    reason: e
                        .when
                        .as_ref()
                        .map(|c| crate::scenario::condition::words_in(c, sc))
                        .unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        };

        // The schedule counts every scripted event of the file, on or off, so that the
        // `events` switch does not shift the other slots.
        let schedule = DrawSchedule::new(n, sc.events.len());
        let greed = by_flag(col(|p| p.greed), mech.greed, 0.0);
        let vassal_propensity = by_flag(col(|p| p.vassal_propensity), mech.alliances, 0.0);
        let alliance_propensity = by_flag(col(|p| p.alliance_propensity), mech.alliances, 0.0);
        let rigidity = by_flag(col(|p| p.status_rigidity), mech.status_rigidity, 0.0);
        let capitulation_propensity = by_flag(col(|p| p.capitulation_propensity), mech.war_process, 0.0);
        let provocation_raw = {
            let mut raw = vec![0.0; n * n];
            for r in &sc.relations {
                raw[idx(&r.from) * n + idx(&r.to)] = r.provocation_rate;
            }
            raw
        };
        let months = (sc.start.months_until(sc.end) + 1) as u32;
        let blocks = months.div_ceil(EVENT_BLOCK_MONTHS);
        let mut event_blocks = Vec::with_capacity(blocks as usize + 1);
        let mut event_order = Vec::new();
        for k in 0..i64::from(blocks) {
            event_blocks.push(event_order.len());
            let (first, last) = (
                k * i64::from(EVENT_BLOCK_MONTHS),
                (k + 1) * i64::from(EVENT_BLOCK_MONTHS) - 1,
            );
            let open = events
                .iter()
                .enumerate()
                .filter(|(_, e)| e.first <= last && first <= e.last);
            event_order.extend(open.map(|(e, _)| e as u32));
        }
        event_blocks.push(event_order.len());
        let mut model = Model {
            name: sc.name.clone(),
            n,
            ids: ids.clone(),
            names: sc.polities.iter().map(|p| p.name.clone()).collect(),
            start: sc.start,
            months,
            mechanisms: mech,
            rules: sc.rules,
            schedule,
            dyads,
            dyad_of,
            ordered_of,
            dyad_index: Vec::new(),
            provokers: Vec::new(),
            strength: col(|p| p.strength),
            potential: col(|p| p.potential),
            mobilization: col(|p| p.mobilization),
            mobilization_lag: by_flag(col(|p| p.mobilization_lag), mech.mobilization_lag, 1.0),
            stability: by_flag(col(|p| p.stability), mech.instability, 1.0),
            fear_gain: by_flag(col(|p| p.fear_gain), mech.fear_spiral, 0.0),
            fear_decay: col(|p| p.fear_decay),
            noise_amplitude: col(|p| p.fear_noise * 3f64.sqrt()),
            trust_recovery: col(|p| p.trust_recovery),
            war_threshold: col(|p| p.war_threshold),
            war_propensity: col(|p| p.war_propensity),
            war_readiness: by_flag(col(|p| p.war_readiness), mech.mobilization_lag, 0.0),
            greed,
            openness: by_flag(col(|p| 1.0 - p.isolation), mech.isolation, 1.0),
            rigidity,
            talk_propensity: col(|p| p.talk_propensity),
            vassal_propensity,
            alliance_propensity,
            quiet_bound: Vec::new(),
            event_blocks,
            event_order,
            breach_propensity: col(|p| p.breach_propensity),
            provocation_trust_loss: col(|p| p.provocation_trust_loss),
            provocation_fear: col(|p| p.provocation_fear),
            warmup: sc.warmup,
            delayed: false,
            deliberate: false,
            reaction_delay: sc
                .polities
                .iter()
                .map(|p| if mech.reaction_delay { p.reaction_delay } else { 0 })
                .collect(),
            join_propensity: by_flag(col(|p| p.join_propensity), mech.consent, 0.0),
            vassal_acceptance: col(|p| p.vassal_acceptance),
            odds_weight: by_flag(col(|p| p.odds_weight), mech.victory_odds, 0.0),
            capitulation_propensity,
            conquerable: sc.polities.iter().map(|p| p.conquerable).collect(),
            projection_decay: by_flag(col(|p| p.projection_decay), mech.front, 0.0),
            army_growth: by_flag(col(|p| p.army_growth), mech.front, 0.0),
            war_burden: col(|p| p.war_burden),
            submission_cost: col(|p| p.submission_cost),
            tribute_gain: col(|p| p.tribute_gain),
            enforcement: col(|p| p.enforcement),
            default_propensity: col(|p| p.default_propensity),
            perception_log_bias,
            perception_spread,
            contact,
            trust,
            fear,
            grievance,
            provocation_rate,
            provocation_raw,
            unrestrained,
            provocation_text,
            status,
            events,
            aliases,
            set_slots: slots.to_vec(),
            variants: Vec::new(),
            priors: Vec::new(),
            sample: None,
        };
        model.derive();
        model
    }

    /// Compute again what the model derives from its numbers: the quick-exit bounds
    /// (`quiet_bound`, each pair's [`DyadIndex`]), the pairs that may provoke, and whether the
    /// mobilization step needs the ring of past fears. `compile` ends with it, and a run with
    /// priors calls it after writing its drawn values (`crate::model::prior::patch_all`).
    pub fn derive(&mut self) {
        let n = self.n;
        let schedule = &self.schedule;
        self.provokers.clear();
        for actor in 0..n {
            for victim in 0..n {
                let p = actor * n + victim;
                if actor != victim && self.provocation_rate[p] > 0.0 {
                    self.provokers.push(Provoker {
                        actor,
                        victim,
                        q: self.ordered_of[p],
                        dyad: self.dyad_of[p],
                        rate: self.provocation_rate[p],
                        slot: schedule.provocation(self.ordered_of[p]),
                        quiet_bound: quiet_draw_bound(self.provocation_rate[p], 0.0),
                    });
                }
            }
        }
        let alliances = self.mechanisms.alliances;
        self.quiet_bound.clear();
        for i in 0..n {
            // The engine computes the tie bound as `alliance + vassal` (and only calls for
            // ties when alliances are on).
            let ties = if alliances {
                self.alliance_propensity[i] + self.vassal_propensity[i]
            } else {
                0.0
            };
            self.quiet_bound.push(quiet_draw_bound(self.greed[i], ties));
        }
        let potential = &self.potential;
        let outmatched = |i: usize, j: usize| 2.0 * potential[j] / (potential[i] + potential[j]);
        let talks_bound = |i: usize, j: usize| talks_draw_bound(self.talk_propensity[i], outmatched(i, j));
        let breach_bound =
            |i: usize| quiet_draw_bound(self.breach_propensity[i] * (1.0 + self.rigidity[i]), 0.0);
        self.dyad_index.clear();
        for &(a, b) in &self.dyads {
            let (q_ab, q_ba) = (self.ordered_of[a * n + b], self.ordered_of[b * n + a]);
            self.dyad_index.push(DyadIndex {
                a,
                b,
                ab: a * n + b,
                ba: b * n + a,
                q_ab,
                q_ba,
                decision_slots: [schedule.decision(q_ab), schedule.decision(q_ba)],
                war_threshold: [self.war_threshold[a], self.war_threshold[b]],
                quiet_bound: [self.quiet_bound[a], self.quiet_bound[b]],
                outmatched: [outmatched(a, b), outmatched(b, a)],
                talks_bound: [talks_bound(a, b), talks_bound(b, a)],
                breach_bound: [breach_bound(a), breach_bound(b)],
            });
        }
        let delay_on = self.mechanisms.reaction_delay;
        self.delayed = delay_on && self.reaction_delay.iter().any(|&d| d > 0);
        self.deliberate =
            delay_on && (0..n).any(|i| self.reaction_delay[i] > 0 || self.war_readiness[i] > 0.0);
    }

    /// The scripted events whose window may contain month offset `t` (`t < months`), in the
    /// order of `events`: those whose window meets `t`'s block of [`EVENT_BLOCK_MONTHS`] months.
    /// The caller still checks the window ([`CompiledEvent::hazard`] is 0 outside it).
    #[inline]
    pub fn events_at(&self, t: u32) -> &[u32] {
        let k = (t / EVENT_BLOCK_MONTHS) as usize;
        &self.event_order[self.event_blocks[k]..self.event_blocks[k + 1]]
    }

    /// The month at offset `t` from `start`.
    pub fn month(&self, t: u32) -> Month {
        self.start.plus(t)
    }

    /// ChaCha8 64-bit words one run draws: its header, then every month of the warm-up and of
    /// the span.
    pub fn words_per_run(&self) -> u64 {
        self.schedule.header_words() as u64
            + self.schedule.words_per_month() as u64 * u64::from(self.warmup + self.months)
    }
}

/// The smallest raw 32-bit draw (as a `u64`) whose uniform `u = (raw + 1/2) / 2³²` is above
/// `greed + ties` in exact arithmetic, with a margin. Then `u ≥ hazard` for any war hazard of
/// at most `greed`, and `u − hazard ≥ ties` holds in exact arithmetic, so also after rounding
/// (rounding is monotone and `ties` is a float): neither a war nor a tie can come of the draw.
fn quiet_draw_bound(greed: f64, ties: f64) -> u64 {
    let bound = (ties + greed) * 4_294_967_296.0 * (1.0 + 1e-9);
    if bound > 0.0 {
        bound.ceil() as u64 + 1
    } else {
        0
    }
}

/// The quick-exit bound of a side at war: a raw decision draw at or above it never opens talks
/// (hazard below `4 · talk_propensity · outmatched`, see [`DyadIndex::talks_bound`]).
fn talks_draw_bound(talk_propensity: f64, outmatched: f64) -> u64 {
    quiet_draw_bound(4.0 * talk_propensity * outmatched, 0.0)
}

/// The paths that the `Set` effects of `sc` set ([`crate::scenario::set_paths`]), with their
/// strides in the variant index.
pub fn set_slots(sc: &Scenario) -> Vec<SetSlot> {
    let mut stride = 1usize;
    crate::scenario::set_paths(sc)
        .into_iter()
        .map(|p| {
            let slot = SetSlot {
                path: p.path,
                values: p.setters.iter().map(|&(_, v)| v).collect(),
                events: p.setters.iter().map(|&(e, _)| e).collect(),
                stride,
            };
            stride = stride.saturating_mul(slot.values.len() + 1);
            slot
        })
        .collect()
}

/// What compiling an effect needs to know besides the effect.
struct EffectContext<'a> {
    idx: &'a dyn Fn(&str) -> usize,
    mech: Mechanisms,
    /// The index of the event the effect belongs to.
    event: usize,
    slots: &'a [SetSlot],
}

/// The number of the state at `start` that a `Set` of `path` also writes.
fn state_write(path: &str, idx: &dyn Fn(&str) -> usize) -> StateWrite {
    let segs: Vec<&str> = path.split('.').collect();
    match segs.as_slice() {
        ["relations", of, toward, field] => {
            let (of, toward) = (idx(of), idx(toward));
            match *field {
                "trust" => StateWrite::Trust { of, toward },
                "fear" => StateWrite::Fear { of, toward },
                "contact" => StateWrite::Contact { of, toward },
                "strength_bias" | "perception_noise" => StateWrite::Perception { of, toward },
                _ => StateWrite::Nothing,
            }
        }
        ["polities", id, field] => {
            let polity = idx(id);
            match *field {
                "strength" => StateWrite::Strength { polity },
                "stability" => StateWrite::Stability { polity },
                "mobilization" => StateWrite::Mobilization { polity },
                _ => StateWrite::Nothing,
            }
        }
        _ => StateWrite::Nothing,
    }
}

fn compile_effect(f: &Effect, ctx: &EffectContext<'_>, aliases: &mut Vec<String>) -> Option<CompiledEffect> {
    let (idx, mech) = (ctx.idx, ctx.mech);
    Some(match f {
        Effect::Contact(c) => CompiledEffect::Contact {
            a: idx(&c.a),
            b: idx(&c.b),
            value: c.value,
        },
        Effect::Trust(t) => CompiledEffect::Trust {
            of: idx(&t.of),
            toward: idx(&t.toward),
            delta: t.delta,
        },
        Effect::Fear(x) => CompiledEffect::Fear {
            of: idx(&x.of),
            toward: idx(&x.toward),
            amount: x.amount,
        },
        Effect::HostileAct(h) if mech.provocations => CompiledEffect::HostileAct {
            actor: idx(&h.actor),
            victim: idx(&h.victim),
            severity: h.severity,
        },
        Effect::HostileAct(_) => return None,
        Effect::Strength(s) => CompiledEffect::Strength {
            polity: idx(&s.polity),
            factor: s.factor,
        },
        Effect::Stability(s) if mech.instability => CompiledEffect::Stability {
            polity: idx(&s.polity),
            delta: s.delta,
        },
        Effect::Stability(_) => return None,
        Effect::Cease(c) => CompiledEffect::Cease {
            polity: idx(&c.polity),
        },
        Effect::EndTie(x) if mech.alliances => CompiledEffect::EndTie {
            a: idx(&x.a),
            b: idx(&x.b),
        },
        Effect::EndTie(_) => return None,
        Effect::Set(x) => {
            let slot = ctx.slots.iter().position(|s| s.path == x.path)?;
            // The setter's place (1-based) among the events that set this path.
            let setter = ctx.slots[slot].events.iter().position(|&e| e == ctx.event)?;
            CompiledEffect::Set {
                slot,
                digit: (setter + 1) as u16,
                write: state_write(&x.path, idx),
            }
        }
        Effect::Rename(x) => {
            aliases.push(x.name.clone());
            CompiledEffect::Rename {
                polity: idx(&x.polity),
                name: aliases.len() - 1,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::hazard::{war_hazard, WarMotive};
    use crate::rng::draws::uniform;
    use proptest::prelude::*;

    proptest! {
        /// The quick exit of the monthly decisions is exact: below the threshold, a draw at or
        /// above the bound never starts a war and leaves at least the tie propensities above the
        /// war hazard, whatever the greed, advantage, contact, restraint and willingness.
        #[test]
        fn a_quiet_draw_starts_neither_a_war_nor_a_tie(
            greed in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
            ally in prop_oneof![Just(0.0), 0.0..=0.5f64],
            vassal in prop_oneof![Just(0.0), 0.0..=0.5f64],
            advantage in prop_oneof![Just(1.0), 0.0..=1.0f64],
            contact in prop_oneof![Just(1.0), 0.0..=1.0f64],
            unrestrained in prop_oneof![Just(1.0), 0.0..=1.0f64],
            willing in prop_oneof![Just(1.0), 0.0..=1.0f64],
            below in prop_oneof![Just(0.0), 0.0..=2.0f64],
            above in prop_oneof![Just(0u64), 0u64..=4096],
        ) {
            let ties = ally + vassal;
            let raw = quiet_draw_bound(greed, ties) + above;
            prop_assume!(raw <= u64::from(u32::MAX));
            let u = uniform(raw as u32);
            let h = war_hazard(&WarMotive {
                fear: 0.7 - below,
                threshold: 0.7,
                propensity: 0.5,
                greed,
                advantage,
                contact,
                ready: 1.0,
                unrestrained,
                willing,
                victory: 1.0,
                free: 1.0,
            });
            prop_assert!(u >= h, "war: u {} < h {}", u, h);
            prop_assert!(u - h >= ally + vassal, "tie: u - h {} < {}", u - h, ties);
        }
    }

    proptest! {
        /// The quick exit at war is exact: a draw at or above `talks_bound` never opens talks,
        /// whatever the months at war, the stability and the war balance as the side sees it.
        #[test]
        fn a_draw_above_the_talks_bound_opens_no_talks(
            propensity in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
            potential_i in 0.01..=100.0f64,
            potential_j in 0.01..=100.0f64,
            months in prop_oneof![Just(0u32), Just(1), Just(10_000), 0u32..=400],
            stability in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
            balance in prop_oneof![Just(-1.0), Just(1.0), -1.0..=1.0f64],
            above in prop_oneof![Just(0u64), 0u64..=4096],
        ) {
            let outmatched = 2.0 * potential_j / (potential_i + potential_j);
            let raw = talks_draw_bound(propensity, outmatched) + above;
            prop_assume!(raw <= u64::from(u32::MAX));
            let p = crate::model::hazard::talks_hazard_weighed(propensity, months, stability, outmatched, 1.0 - balance);
            let u = uniform(raw as u32);
            prop_assert!(u >= p, "u {} < p {}", u, p);
        }

        /// The quick exit of hostile acts is exact: a draw at or above the provoker's bound
        /// never gives an act, whatever the effective contact.
        #[test]
        fn a_draw_above_the_provocation_bound_gives_no_act(
            rate in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
            contact in prop_oneof![Just(1.0), 0.0..=1.0f64],
            above in prop_oneof![Just(0u64), 0u64..=4096],
        ) {
            let raw = quiet_draw_bound(rate, 0.0) + above;
            prop_assume!(raw <= u64::from(u32::MAX));
            prop_assert!(uniform(raw as u32) >= rate * contact);
        }

        /// The quick exit during a truce is exact: a draw at or above `breach_bound` never
        /// breaches it, whatever the trust.
        #[test]
        fn a_draw_above_the_breach_bound_breaches_nothing(
            propensity in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
            rigidity in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
            trust in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
            above in prop_oneof![Just(0u64), 0u64..=4096],
        ) {
            let raw = quiet_draw_bound(propensity * (1.0 + rigidity), 0.0) + above;
            prop_assume!(raw <= u64::from(u32::MAX));
            let p = crate::model::hazard::breach_hazard(propensity, trust, rigidity);
            prop_assert!(uniform(raw as u32) >= p, "u {} < p {}", uniform(raw as u32), p);
        }
    }

    /// Every month visits every event whose window contains it, each once, in the order of
    /// `events` (and only events whose window meets the month's block).
    #[test]
    fn each_month_lists_the_events_open_in_it() {
        let loaded = crate::scenario::LoadedScenario::baseline().expect("the baseline loads");
        let m = Model::compile(&loaded.scenario);
        assert!(!m.events.is_empty());
        for t in 0..m.months {
            let listed = m.events_at(t);
            assert!(listed.windows(2).all(|w| w[0] < w[1]), "month {t}: {listed:?}");
            for (e, ev) in m.events.iter().enumerate() {
                let open = ev.first <= i64::from(t) && i64::from(t) <= ev.last;
                let block = i64::from(t / EVENT_BLOCK_MONTHS * EVENT_BLOCK_MONTHS);
                let meets = ev.first < block + i64::from(EVENT_BLOCK_MONTHS) && block <= ev.last;
                assert!(
                    !open || listed.contains(&(e as u32)),
                    "month {t} misses event {e}"
                );
                assert_eq!(listed.contains(&(e as u32)), meets, "month {t}, event {e}");
            }
        }
    }

    #[test]
    fn without_greed_or_ties_every_draw_is_quiet() {
        assert_eq!(quiet_draw_bound(0.0, 0.0), 0);
        assert!(quiet_draw_bound(0.004, 0.0) > (0.004 * 4_294_967_296.0) as u64);
    }
}
