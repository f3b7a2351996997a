//! The scenario schema: what a RON scenario file may contain.
//!
//! Every struct refuses unknown fields, including the payload of each event effect (each
//! variant's payload is its own struct, because ron silently ignores a misspelt field inside an
//! enum struct variant). Numbers are range-checked after parsing by
//! [`validate`](super::validate); the allowed range of each field is documented on the field.
//! The meaning of each parameter inside the model is given in `docs/model.md`.

use serde::{Deserialize, Serialize};

use crate::calendar::Month;

fn default_seed() -> u64 {
    1125
}
fn default_runs() -> u64 {
    10_000
}
fn is_false(b: &bool) -> bool {
    !*b
}

fn yes() -> bool {
    true
}
fn one() -> f64 {
    1.0
}
fn half() -> f64 {
    0.5
}

/// A whole scenario: the polities, how each sees the others, the scripted events and the
/// switches of the mechanisms, over a span of calendar months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; the default output folder is `output/<name>/`.
    pub name: String,
    /// Free text: which reading of the sources this scenario encodes.
    #[serde(default)]
    pub description: String,
    /// First simulated month, `"YYYY-MM"`.
    pub start: Month,
    /// Last simulated month (inclusive), after `start`.
    pub end: Month,
    /// Default master seed (`--seed` overrides).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Default number of runs (`--runs` overrides), 1 ..= 2^40.
    #[serde(default = "default_runs")]
    pub runs: u64,
    /// Months simulated before `start` from the initial state, in which nothing is counted:
    /// hostile acts, the fear spiral and mobilization run, statuses hold, no event fires and no
    /// decision is taken (`docs/model.md` §2). 0 ..= [`MAX_WARMUP`](crate::scenario::MAX_WARMUP); default 0.
    #[serde(default)]
    pub warmup: u32,
    /// Which mechanisms of MODEL.md are on. Every switch defaults to `true`, except
    /// [`Mechanisms::DEFAULT_OFF`] (`free_hands`), which defaults to `false`.
    #[serde(default)]
    pub mechanisms: Mechanisms,
    /// Scenario-wide rules of war, talks and truces.
    #[serde(default)]
    pub rules: Rules,
    /// The agents. Ids must be unique.
    pub polities: Vec<Polity>,
    /// How `from` sees `to`. A directed pair that is not listed has the defaults of
    /// [`Relation`] (no contact, trust 0.5, no fear).
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// Diplomatic status of unordered pairs at `start`; unlisted pairs are at peace.
    #[serde(default)]
    pub statuses: Vec<InitialStatus>,
    /// Dated or windowed historical events.
    #[serde(default)]
    pub events: Vec<Event>,
    /// The numbers given as distributions ([`crate::scenario::prior`]), by `--set` path, in the
    /// order they were written. A file may list them here or write each in place of its value
    /// (`greed: Uniform(0.0, 0.02)`); both end up here. Absent from a scenario without priors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priors: Vec<super::prior::Prior>,
    /// A finished posterior the priors are drawn from instead (`--posterior DIR`; absent
    /// otherwise): each run takes one of its rows, chosen by its own parameter stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posterior: Option<super::prior::PosteriorSample>,
}

/// The named switches of MODEL.md. A counterfactual is one changed word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mechanisms {
    /// The Richardson fear spiral (fear_gain · threat feeds fear). Off: `fear_gain` is 0, so fear
    /// only decays and takes grievance, noise and shocks.
    #[serde(default = "yes")]
    pub fear_spiral: bool,
    /// Stochastic hostile acts short of war (and the hostile-act effects of scripted events).
    #[serde(default = "yes")]
    pub provocations: bool,
    /// Scripted historical events.
    #[serde(default = "yes")]
    pub events: bool,
    /// Mobilization takes `mobilization_lag` months and a polity cannot start a war below its
    /// `war_readiness`. Off: mobilization follows its target at once and no readiness gate.
    #[serde(default = "yes")]
    pub mobilization_lag: bool,
    /// Per-neighbour restraint policies (`Relation::restraint`). Off: restraint is 0.
    #[serde(default = "yes")]
    pub restraint: bool,
    /// Isolation policies lower contact (`Polity::isolation`). Off: isolation is 0.
    #[serde(default = "yes")]
    pub isolation: bool,
    /// Status rigidity makes talks fail, truces break and vassalage less acceptable. Off:
    /// rigidity is 0.
    #[serde(default = "yes")]
    pub status_rigidity: bool,
    /// Instability and other fronts damp the will to start a war. Off: stability 1, no
    /// other-front damping.
    #[serde(default = "yes")]
    pub instability: bool,
    /// Alliances and vassalage (members never fight each other; both can form). Off: such
    /// pairs are treated as at peace and none form.
    #[serde(default = "yes")]
    pub alliances: bool,
    /// Wars can end in talks and truces. Off: no talks are held, so a war lasts until a side
    /// ceases to exist or the scenario ends (a truce given in `statuses` still runs its course).
    #[serde(default = "yes")]
    pub truces: bool,
    /// Opportunistic aggression from advantage (`Polity::greed`). Off: greed is 0.
    #[serde(default = "yes")]
    pub greed: bool,
    /// Ties by consent (Model 2): an alliance needs both sides' will in the same month,
    /// vassalage the lord's acceptance, nobody allies with its ally's enemy, and an attacked
    /// polity's allies decide whether to join the war. Off: the one-sided ties of version 1.
    #[serde(default = "yes")]
    pub consent: bool,
    /// War as a process (Model 2): a monthly contest shifts a war balance and costs strength
    /// and stability; truces carry terms that follow the balance; a decisively losing side may
    /// capitulate. Off: wars change nothing and end only in plain truces.
    #[serde(default = "yes")]
    pub war_process: bool,
    /// Decisions weigh the perceived chance of victory (Model 2). Off: the odds do not enter
    /// the war hazard, talks or capitulation.
    #[serde(default = "yes")]
    pub victory_odds: bool,
    /// Each polity sees the others' strength through a bias and a noise of its own, corrected
    /// while at war (Model 2). Off: every polity sees the truth.
    #[serde(default = "yes")]
    pub misperception: bool,
    /// A court acts on a threat, or on its own war plan, only `reaction_delay` months later,
    /// and a polity that decides on war before it is ready mobilizes for it first (Model 2).
    /// Off: no delay and no war plans (the readiness gate of version 1).
    #[serde(default = "yes")]
    pub reaction_delay: bool,
    /// Greed needs free hands: the greed term of the war hazard counts only while the polity
    /// fights no war (`docs/model.md` §6.2). Off by default: greed counts whatever the other
    /// fronts, as before the switch existed. Written out (in `summary.json`, in the hash of a
    /// batch's scenario) only when on, so that every file of a scenario without it stays as it was.
    #[serde(default, skip_serializing_if = "is_false")]
    pub free_hands: bool,
    /// A front that culminates (Model 3): the force a side projects fades with the depth of its
    /// advance (`Polity::projection_decay`), so the war balance settles near a stalemate point;
    /// the front is kept through a truce and a later war starts from it; a mobilized polity
    /// raises new armies from its potential (`Polity::army_growth`). Off by default; written
    /// out only when on. Needs `war_process`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub front: bool,
    /// Settlement by offer and acceptance (Model 3): opened talks carry an offer (a treaty line
    /// and, where it pays the seeker, the other's junior status), which the other side accepts
    /// when it beats its own value of fighting on; a rejected offer teaches both sides. Replaces
    /// `talks_success` and the balance thresholds of terms. Off by default; written out only
    /// when on. Needs `war_process` and `truces`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub bargaining: bool,
    /// Treaties as agreements (Model 3): a truce or junior tie made at the end of a war keeps
    /// its terms; a side breaches it when fighting on looks better than the treaty (less so as
    /// the treaty ages and the stronger its content), the side owing a cession may withhold it,
    /// and a default invites enforcement. Replaces the breach hazard `β(1 − T)(1 + r)`. Off by
    /// default; written out only when on.
    #[serde(default, skip_serializing_if = "is_false")]
    pub treaties: bool,
}

impl Default for Mechanisms {
    fn default() -> Self {
        Mechanisms {
            fear_spiral: true,
            provocations: true,
            events: true,
            mobilization_lag: true,
            restraint: true,
            isolation: true,
            status_rigidity: true,
            instability: true,
            alliances: true,
            truces: true,
            greed: true,
            consent: true,
            war_process: true,
            victory_odds: true,
            misperception: true,
            reaction_delay: true,
            free_hands: false,
            front: false,
            bargaining: false,
            treaties: false,
        }
    }
}

impl Mechanisms {
    /// How many of [`NAMES`](Self::NAMES) version 1 had: the rest are Model 2's.
    pub const VERSION_1_SWITCHES: usize = 11;

    /// Where Model 2's switches end in [`NAMES`](Self::NAMES): `NAMES[VERSION_1_SWITCHES..MODEL_2_SWITCHES]`
    /// are Model 2's, the rest came later.
    pub const MODEL_2_SWITCHES: usize = 16;

    /// The switches that default to `false` (all others default to `true`): mechanisms added
    /// after Model 2 whose default keeps every earlier result.
    pub const DEFAULT_OFF: [&'static str; 4] = ["free_hands", "front", "bargaining", "treaties"];

    /// Where the switches of version 1 and Model 2 end in [`NAMES`](Self::NAMES): the rest
    /// (`free_hands` and Model 3's) default to `false`.
    pub const LATER_SWITCHES: usize = 17;

    /// The switch names, in the order of MODEL.md.
    pub const NAMES: [&'static str; 20] = [
        "fear_spiral",
        "provocations",
        "events",
        "mobilization_lag",
        "restraint",
        "isolation",
        "status_rigidity",
        "instability",
        "alliances",
        "truces",
        "greed",
        "consent",
        "war_process",
        "victory_odds",
        "misperception",
        "reaction_delay",
        "free_hands",
        "front",
        "bargaining",
        "treaties",
    ];

    /// A mutable reference to the switch called `name`, if there is one.
    pub fn switch_mut(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "fear_spiral" => &mut self.fear_spiral,
            "provocations" => &mut self.provocations,
            "events" => &mut self.events,
            "mobilization_lag" => &mut self.mobilization_lag,
            "restraint" => &mut self.restraint,
            "isolation" => &mut self.isolation,
            "status_rigidity" => &mut self.status_rigidity,
            "instability" => &mut self.instability,
            "alliances" => &mut self.alliances,
            "truces" => &mut self.truces,
            "greed" => &mut self.greed,
            "consent" => &mut self.consent,
            "war_process" => &mut self.war_process,
            "victory_odds" => &mut self.victory_odds,
            "misperception" => &mut self.misperception,
            "reaction_delay" => &mut self.reaction_delay,
            "free_hands" => &mut self.free_hands,
            "front" => &mut self.front,
            "bargaining" => &mut self.bargaining,
            "treaties" => &mut self.treaties,
            _ => return None,
        })
    }
}

/// Scenario-wide rules of war, talks and truces.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Fear added to each side's fear of the other when a war begins (a shock), 0 ..= 10.
    #[serde(default = "one")]
    pub war_fear_shock: f64,
    /// Probability that talks, once opened, end in a truce before status rigidity, 0 ..= 1.
    #[serde(default = "half")]
    pub talks_success: f64,
    /// Months after which an unbroken truce becomes peace, 1 ..= 1200.
    #[serde(default = "default_truce_months")]
    pub truce_months: u32,
    /// Trust each side keeps in the other when talks succeed is raised by this much, 0 ..= 1.
    #[serde(default = "default_truce_trust")]
    pub truce_trust_gain: f64,
    /// Trust below which an alliance or vassal tie dissolves into plain peace, 0 ..= 1.
    #[serde(default = "default_alliance_exit_trust")]
    pub alliance_exit_trust: f64,
    /// Decisiveness κ of the monthly contest: side *a* wins a month with probability
    /// `F_a^κ / (F_a^κ + F_b^κ)` (coalition forces), 0 ..= 10; default 1 (`war_process`).
    #[serde(default = "one")]
    pub contest_decisiveness: f64,
    /// How far one month's contest moves the war balance (in `[−1, 1]`), 0 ..= 1; default 0.05.
    #[serde(default = "default_war_step")]
    pub war_step: f64,
    /// Share of its strength a side loses in a month of war in which all the force faced it
    /// (it loses this times the enemy's share of the forces), 0 ..= 1; default 0.01.
    #[serde(default = "default_war_cost")]
    pub war_cost: f64,
    /// Stability a side loses in such a month, 0 ..= 1; default 0.002 (`instability` on).
    #[serde(default = "default_war_unrest")]
    pub war_unrest: f64,
    /// Share of its base strength that a polity below it regains each month, up to the base
    /// (war losses heal; ceded strength does not), 0 ..= 1; default 0.02.
    #[serde(default = "default_strength_recovery")]
    pub strength_recovery: f64,
    /// War balance (winner's side) at or above which a truce carries a cession, 0 ..= 1;
    /// default 0.3.
    #[serde(default = "default_terms_cession")]
    pub terms_cession: f64,
    /// War balance at or above which the loser accepts junior status (a vassal tie) instead
    /// of a truce, 0 ..= 1, not below `terms_cession`; default 0.7.
    #[serde(default = "default_terms_junior")]
    pub terms_junior: f64,
    /// Share of the loser's base strength that a cession hands to the winner, 0 ..= 1;
    /// default 0.1.
    #[serde(default = "half_tenth")]
    pub cession_share: f64,
    /// War balance against it at or above which a side may capitulate, 0 ..= 1; default 0.9.
    #[serde(default = "default_capitulation_balance")]
    pub capitulation_balance: f64,
    /// Share of a perception error (in log terms) corrected each month at war, 0 ..= 1;
    /// default 0.05 (`misperception`).
    #[serde(default = "default_war_learning")]
    pub war_learning: f64,
    /// Base strength that one unit of potential can sustain: the ceiling toward which a
    /// mobilized polity raises new armies (`front`), 0 ..= 10; default 0 (no new armies).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub armies_per_potential: f64,
    /// Months over which a side counts the cost of fighting on when it values a settlement
    /// (`bargaining`), 1 ..= 600; default 24.
    #[serde(
        default = "default_settlement_horizon",
        skip_serializing_if = "is_default_horizon"
    )]
    pub settlement_horizon: f64,
    /// Width of a responder's private noise about its value of fighting on, in units of the
    /// front (`bargaining`; 0: it accepts exactly when the terms are at least that value),
    /// 0 ..= 10; default 0.1.
    #[serde(
        default = "default_settlement_noise",
        skip_serializing_if = "is_default_noise"
    )]
    pub settlement_noise: f64,
    /// Share of a perception error (in log terms) that a rejected offer corrects on both sides
    /// (`bargaining`), 0 ..= 1; default 0.1.
    #[serde(
        default = "default_talks_learning",
        skip_serializing_if = "is_default_talks_learning"
    )]
    pub talks_learning: f64,
    /// Share of the losing side's base (and present) strength handed over per unit of the front
    /// by which a settlement moves the treaty line (`bargaining`), 0 ..= 1; default 0.2.
    #[serde(
        default = "default_cession_per_line",
        skip_serializing_if = "is_default_cession_per_line"
    )]
    pub cession_per_line: f64,
    /// Share of the bargaining range it sees that the seeker of talks demands (`bargaining`): 1
    /// is an ultimatum at its estimate of the other's reservation, ½ splits the difference,
    /// 0 ..= 1; default 0.5.
    #[serde(default = "half", skip_serializing_if = "is_half")]
    pub seeker_share: f64,
    /// Months after a treaty by which a cession it imposes is due (`treaties`): until then the
    /// side that owes it may withhold it, 0 ..= 120 (whole months); default 3.
    #[serde(
        default = "default_cession_delay",
        skip_serializing_if = "is_default_cession_delay"
    )]
    pub cession_delay: u32,
    /// Months for which a default invites enforcement by the other side (`treaties`), 1 ..= 120
    /// (whole months); default 12.
    #[serde(
        default = "default_default_memory",
        skip_serializing_if = "is_default_default_memory"
    )]
    pub default_memory: u32,
    /// Months after which a treaty's hazards of breach and default are halved
    /// (`treaties`: they fall as `1 / (1 + age / treaty_settling)`; 0: they do not fall),
    /// 0 ..= 1200; default 24.
    #[serde(
        default = "default_treaty_settling",
        skip_serializing_if = "is_default_treaty_settling"
    )]
    pub treaty_settling: f64,
    /// Agreement strength that junior status with its tribute gives a treaty (`treaties`),
    /// 0 ..= 1; default 0.5.
    #[serde(default = "half", skip_serializing_if = "is_half")]
    pub tribute_strength: f64,
    /// Agreement strength that a cession handed over (a demarcated line) gives a treaty
    /// (`treaties`), 0 ..= 1; default 0.2.
    #[serde(
        default = "default_demarcation_strength",
        skip_serializing_if = "is_default_demarcation_strength"
    )]
    pub demarcation_strength: f64,
}

fn default_cession_delay() -> u32 {
    3
}
fn is_default_cession_delay(x: &u32) -> bool {
    *x == default_cession_delay()
}
fn default_default_memory() -> u32 {
    12
}
fn is_default_default_memory(x: &u32) -> bool {
    *x == default_default_memory()
}
fn default_treaty_settling() -> f64 {
    24.0
}
fn is_default_treaty_settling(x: &f64) -> bool {
    *x == default_treaty_settling()
}
fn is_half(x: &f64) -> bool {
    *x == 0.5
}
fn default_demarcation_strength() -> f64 {
    0.2
}
fn is_default_demarcation_strength(x: &f64) -> bool {
    *x == default_demarcation_strength()
}
fn default_enforcement() -> f64 {
    0.1
}
fn is_default_enforcement(x: &f64) -> bool {
    *x == default_enforcement()
}
fn default_default_propensity() -> f64 {
    0.05
}
fn is_default_default_propensity(x: &f64) -> bool {
    *x == default_default_propensity()
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// The serialized form of a scenario part (the rules, a polity) with the Model 3 fields that
/// the part writes only when they differ from their defaults filled in at those defaults, so
/// that `--set` finds every field and `check` can print it. Any other value is returned as is.
pub fn with_unwritten_defaults(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(obj) = v.as_object_mut() {
        let defaults = if obj.contains_key("war_fear_shock") {
            Rules::unwritten_defaults()
        } else if obj.contains_key("potential") {
            Polity::unwritten_defaults()
        } else {
            Vec::new()
        };
        for (field, value) in defaults {
            obj.entry(field).or_insert(value);
        }
    }
    v
}

impl Rules {
    /// The rules a scenario writes out only when they differ from their defaults (Model 3's),
    /// with those defaults.
    pub fn unwritten_defaults() -> Vec<(&'static str, serde_json::Value)> {
        let d = Rules::default();
        vec![
            ("armies_per_potential", d.armies_per_potential.into()),
            ("settlement_horizon", d.settlement_horizon.into()),
            ("settlement_noise", d.settlement_noise.into()),
            ("talks_learning", d.talks_learning.into()),
            ("cession_per_line", d.cession_per_line.into()),
            ("seeker_share", d.seeker_share.into()),
            ("cession_delay", d.cession_delay.into()),
            ("default_memory", d.default_memory.into()),
            ("treaty_settling", d.treaty_settling.into()),
            ("tribute_strength", d.tribute_strength.into()),
            ("demarcation_strength", d.demarcation_strength.into()),
        ]
    }
}

impl Polity {
    /// The polity fields a scenario writes out only when they differ from their defaults
    /// (Model 3's), with those defaults.
    pub fn unwritten_defaults() -> Vec<(&'static str, serde_json::Value)> {
        vec![
            ("projection_decay", 0.0.into()),
            ("army_growth", 0.0.into()),
            ("war_burden", default_war_burden().into()),
            ("submission_cost", 1.0.into()),
            ("tribute_gain", 0.0.into()),
            ("enforcement", default_enforcement().into()),
            ("default_propensity", default_default_propensity().into()),
        ]
    }
}
fn default_settlement_horizon() -> f64 {
    24.0
}
fn is_default_horizon(x: &f64) -> bool {
    *x == default_settlement_horizon()
}
fn default_settlement_noise() -> f64 {
    0.1
}
fn is_default_noise(x: &f64) -> bool {
    *x == default_settlement_noise()
}
fn default_talks_learning() -> f64 {
    0.1
}
fn is_default_talks_learning(x: &f64) -> bool {
    *x == default_talks_learning()
}
fn default_cession_per_line() -> f64 {
    0.2
}
fn is_default_cession_per_line(x: &f64) -> bool {
    *x == default_cession_per_line()
}
fn default_war_burden() -> f64 {
    0.01
}
fn is_default_war_burden(x: &f64) -> bool {
    *x == default_war_burden()
}
fn is_one(x: &f64) -> bool {
    *x == 1.0
}

fn default_war_step() -> f64 {
    0.05
}
fn default_war_cost() -> f64 {
    0.01
}
fn default_war_unrest() -> f64 {
    0.002
}
fn default_strength_recovery() -> f64 {
    0.02
}
fn default_terms_cession() -> f64 {
    0.3
}
fn default_terms_junior() -> f64 {
    0.7
}
fn half_tenth() -> f64 {
    0.1
}
fn default_capitulation_balance() -> f64 {
    0.9
}
fn default_war_learning() -> f64 {
    0.05
}

fn default_truce_months() -> u32 {
    60
}
fn default_truce_trust() -> f64 {
    0.2
}
fn default_alliance_exit_trust() -> f64 {
    0.15
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            war_fear_shock: 1.0,
            talks_success: 0.5,
            truce_months: default_truce_months(),
            truce_trust_gain: default_truce_trust(),
            alliance_exit_trust: default_alliance_exit_trust(),
            contest_decisiveness: 1.0,
            war_step: default_war_step(),
            war_cost: default_war_cost(),
            war_unrest: default_war_unrest(),
            strength_recovery: default_strength_recovery(),
            terms_cession: default_terms_cession(),
            terms_junior: default_terms_junior(),
            cession_share: half_tenth(),
            capitulation_balance: default_capitulation_balance(),
            war_learning: default_war_learning(),
            armies_per_potential: 0.0,
            settlement_horizon: default_settlement_horizon(),
            settlement_noise: default_settlement_noise(),
            talks_learning: default_talks_learning(),
            cession_per_line: default_cession_per_line(),
            seeker_share: 0.5,
            cession_delay: default_cession_delay(),
            default_memory: default_default_memory(),
            treaty_settling: default_treaty_settling(),
            tribute_strength: 0.5,
            demarcation_strength: default_demarcation_strength(),
        }
    }
}

/// An agent: a state with fighting power, resources, a mobilization level and a policy.
///
/// Rates are per month; probabilities and shares are in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Polity {
    /// Identifier used in relations, events, `--set` paths and results (`[a-z0-9_]+`).
    pub id: String,
    /// Display name ("Northern Song").
    pub name: String,
    /// Fighting power at full mobilization, relative units, > 0 (≤ 10^6).
    pub strength: f64,
    /// Resources that decide a long war, relative units, > 0 (≤ 10^6): the side facing the richer
    /// enemy seeks talks sooner (see `hazard::talks_hazard`).
    pub potential: f64,
    /// Mobilization level at `start`, 0 ..= 1.
    #[serde(default)]
    pub mobilization: f64,
    /// Months to close the gap between mobilization and its target, 0 ..= 120.
    pub mobilization_lag: f64,
    /// Internal stability at `start`, 0 ..= 1 (1 = no unrest).
    #[serde(default = "one")]
    pub stability: f64,
    /// Richardson's defence coefficient k: fear gained per unit of threat per month, 0 ..= 10.
    pub fear_gain: f64,
    /// Richardson's fatigue coefficient a: share of fear that fades per month, 0 ..= 1.
    pub fear_decay: f64,
    /// Standard deviation of the monthly fear noise, 0 ..= 1.
    #[serde(default)]
    pub fear_noise: f64,
    /// Share of the gap to its initial trust that trust recovers per month, 0 ..= 1.
    #[serde(default)]
    pub trust_recovery: f64,
    /// Fear above which a preventive war is considered, 0 ..= 10.
    #[serde(default)]
    pub war_threshold: f64,
    /// Monthly war hazard per unit of fear above `war_threshold`, 0 ..= 1. (Fear itself is built
    /// through contact, so this term needs no contact factor of its own.)
    #[serde(default)]
    pub war_propensity: f64,
    /// Mobilization needed before this polity can start a war, 0 ..= 1.
    #[serde(default)]
    pub war_readiness: f64,
    /// Monthly war hazard at full advantage over a neighbour (only with `greed`), 0 ..= 1.
    #[serde(default)]
    pub greed: f64,
    /// Share by which this polity lowers its contact with everyone, 0 ..= 1.
    #[serde(default)]
    pub isolation: f64,
    /// Refusal of equal or junior terms: talks fail and truces break more often, 0 ..= 1.
    #[serde(default)]
    pub status_rigidity: f64,
    /// Monthly probability of seeking talks while at war (before weariness), 0 ..= 1.
    #[serde(default)]
    pub talk_propensity: f64,
    /// Monthly probability, per unit of fear, of accepting vassalage to a much stronger
    /// neighbour, 0 ..= 1.
    #[serde(default)]
    pub vassal_propensity: f64,
    /// Monthly probability, per unit of shared fear, of allying against a common threat, 0 ..= 1.
    #[serde(default)]
    pub alliance_propensity: f64,
    /// Monthly probability, per unit of distrust, of breaching a truce, 0 ..= 1.
    #[serde(default)]
    pub breach_propensity: f64,
    /// Share of its trust in the offender that a hostile act against it destroys, 0 ..= 1.
    #[serde(default)]
    pub provocation_trust_loss: f64,
    /// Fear shock that a hostile act against it causes, 0 ..= 10.
    #[serde(default)]
    pub provocation_fear: f64,
    /// Months before the court acts on a change of threat or on its own war plan (Model 2,
    /// `reaction_delay`): its mobilization target follows its fears of this many months ago,
    /// and a war plan raises the target only this many months after it was adopted. Distinct
    /// from `mobilization_lag`, how fast troops gather. Whole months, 0 ..= 24; default 0.
    #[serde(default)]
    pub reaction_delay: u32,
    /// Probability, at full trust in the ally, that it joins a war on the side of an ally that
    /// was attacked (Model 2, `consent`), 0 ..= 1; default 0.5.
    #[serde(default = "half")]
    pub join_propensity: f64,
    /// Monthly probability, at full contact, that it accepts a neighbour's offer to become its
    /// vassal (Model 2, `consent`), 0 ..= 1; default 1.
    #[serde(default = "one")]
    pub vassal_acceptance: f64,
    /// How much the perceived chance of victory weighs on its preventive war hazard: the
    /// hazard is multiplied by `min(1, 2·odds)^odds_weight` (Model 2, `victory_odds`), 0 ..= 5;
    /// default 1 (0: the odds do not matter).
    #[serde(default = "one")]
    pub odds_weight: f64,
    /// Monthly probability of capitulating when the war balance against it is decisive, before
    /// its perceived odds (Model 2, `war_process`), 0 ..= 1; default 0.1.
    #[serde(default = "half_tenth")]
    pub capitulation_propensity: f64,
    /// Whether a capitulation ends it as a state (conquest) rather than making it the
    /// winner's vassal (Model 2, `war_process`); default `false`.
    #[serde(default)]
    pub conquerable: bool,
    /// Loss-of-strength gradient λ: the force it projects is multiplied by `exp(−λ·depth)`,
    /// the depth being how far the front lies on the enemy's side (`front`), 0 ..= 20 per unit
    /// of the front; default 0 (no fading: the front drifts to the end).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub projection_decay: f64,
    /// Share of the gap between its base strength and its ceiling
    /// (`armies_per_potential · potential`) that it raises each month as new armies at full
    /// mobilization (`front`), 0 ..= 1 per month; default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub army_growth: f64,
    /// Cost to its court of a month of war beyond its losses (unrest, revenue, the fear of its
    /// own generals), in units of the front (`bargaining`), 0 ..= 1 per month; default 0.01.
    #[serde(default = "default_war_burden", skip_serializing_if = "is_default_war_burden")]
    pub war_burden: f64,
    /// What it gives up, in units of the front, by accepting junior status and its tribute
    /// (`bargaining`), 0 ..= 10; default 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub submission_cost: f64,
    /// What it gains, in units of the front, from the other side's junior status and tribute
    /// (`bargaining`), 0 ..= 10; default 0 (it never demands it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tribute_gain: f64,
    /// Monthly probability that it goes to war to enforce a treaty the other side has defaulted
    /// on, while the default is fresh (`treaties`), 0 ..= 1; default 0.1.
    #[serde(
        default = "default_enforcement",
        skip_serializing_if = "is_default_enforcement"
    )]
    pub enforcement: f64,
    /// Monthly probability, at no regret, that it withholds a cession it owes under a treaty
    /// (`treaties`), 0 ..= 1; default 0.05.
    #[serde(
        default = "default_default_propensity",
        skip_serializing_if = "is_default_default_propensity"
    )]
    pub default_propensity: f64,
}

/// How `from` sees `to` (a directed pair).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// The polity whose view this is.
    pub from: String,
    /// The polity it looks at.
    pub to: String,
    /// How much the two touch (shared border, envoys), 0 ..= 1.
    #[serde(default)]
    pub contact: f64,
    /// Trust of `from` in `to` at `start`, 0 ..= 1.
    #[serde(default = "half")]
    pub trust: f64,
    /// Fear of `from` of `to` at `start`, 0 ..= 10.
    #[serde(default)]
    pub fear: f64,
    /// Richardson's grievance g: fear added every month, 0 ..= 1.
    #[serde(default)]
    pub grievance: f64,
    /// Monthly probability of a hostile act by `from` against `to` at full contact, 0 ..= 1.
    #[serde(default)]
    pub provocation_rate: f64,
    /// Policy of `from` not to answer `to`: damps its war hazard and hostile acts, 0 ..= 1.
    #[serde(default)]
    pub restraint: f64,
    /// Words for the chronicle: what a hostile act of `from` against `to` is
    /// ("delays the silver payments").
    #[serde(default)]
    pub provocation_text: String,
    /// How `from` misjudges `to`'s strength (Model 2, `misperception`): a factor on `to`'s
    /// strength as `from` sees it, in its fear (threat) and in its odds of victory; 1 is the
    /// truth. 0.1 ..= 10; default 1.
    #[serde(default = "one")]
    pub strength_bias: f64,
    /// Spread of that misjudgement from run to run: the log of the factor is drawn once per run
    /// uniformly with this standard deviation around the log of `strength_bias`, 0 ..= 2;
    /// default 0.
    #[serde(default)]
    pub perception_noise: f64,
}

/// The diplomatic status of an unordered pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// No war and no tie.
    Peace,
    /// Allies: they do not fight each other.
    Alliance,
    /// One side is the vassal of the other: they do not fight each other.
    Vassal(VassalTie),
    /// At war; `initiator` started it.
    War(WarStatus),
    /// A truce after talks; it may be breached.
    Truce,
}

/// Payload of [`Status::Vassal`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VassalTie {
    /// The senior side (suzerain).
    pub lord: String,
}

/// Payload of [`Status::War`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarStatus {
    /// Who started the war that is under way at `start`.
    pub initiator: String,
}

/// The status of the pair `a`–`b` at `start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialStatus {
    /// One polity of the pair.
    pub a: String,
    /// The other polity of the pair.
    pub b: String,
    /// Its status.
    pub status: Status,
}

/// A dated or windowed historical event.
///
/// It happens at most once, with total probability `probability`, in a month drawn uniformly
/// from `from ..= to` (a constant monthly hazard over the window). It may change contact,
/// trust, fear, strength, stability or a polity's existence; it never starts or ends a war.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Identifier used in `--set events.<id>.probability=…` (`[a-z0-9_]+`).
    pub id: String,
    /// Words for the chronicle ("Song harbours the defector Zhang Jue").
    #[serde(default)]
    pub text: String,
    /// First month of the window.
    pub from: Month,
    /// Last month of the window (defaults to `from`).
    #[serde(default)]
    pub to: Option<Month>,
    /// Probability that the event happens at all within the window, 0 ..= 1.
    #[serde(default = "one")]
    pub probability: f64,
    /// A condition on the run's state (model 2): the event may fire only in months of its
    /// window in which the condition holds, read at the start of the month. The window opens
    /// in the first such month, and from then on each month in which the condition holds
    /// carries the same chance `probability / L`, `L` being the months left in the window when
    /// it opened: the event's month is uniform over the months in which it may fire, and it
    /// happens with probability `probability` if the condition keeps holding (docs/model.md,
    /// §10). `None` (the default): the calendar alone, as in version 1.
    #[serde(default)]
    pub when: Option<Condition>,
    /// With a condition: the window closes this many months after it opened (the month it
    /// opened counts as the first), if that comes before `to`: `within: 1` makes the event a
    /// prompt consequence, in the first month its condition holds (with `probability` 1).
    /// 1 ..= 12,000; `None` (the default): the window runs to `to`.
    #[serde(default)]
    pub within: Option<u32>,
    /// What it does.
    pub effects: Vec<Effect>,
}

/// A condition on the state of a run, read at the start of a month (on what the months before
/// it left). `after: N` asks that at least `N` months have passed since the status began or the
/// happening happened: a war begun in 1126-01 satisfies `WarBegun` from 1126-02, and
/// `WarBegun(.., after: 3)` from 1126-05.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// The pair `a`–`b` has status `is` (and has had it for `after` months).
    Status(StatusCondition),
    /// A war of `a` and `b` was begun during the run (by `by`, if given); `after` counts from
    /// the most recent such onset.
    WarBegun(WarBegunCondition),
    /// A war of `a` and `b` ended during the run (in the way `how` and with `winner` the winner,
    /// if given); `after` counts from the most recent such end.
    WarEnded(WarEndedCondition),
    /// The war balance of `favour` against `against` (they are at war) is at least `at_least`.
    Balance(BalanceCondition),
    /// `polity` has ceased to exist.
    Ended(EndedCondition),
    /// Event `event` has fired.
    Fired(FiredCondition),
    /// Every condition of the list holds (an empty list always holds).
    All(Vec<Condition>),
    /// At least one condition of the list holds (an empty list never holds).
    Any(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
}

/// A status a [`Condition::Status`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusKind {
    /// No war and no tie.
    Peace,
    /// At war.
    War,
    /// A truce.
    Truce,
    /// Allies.
    Alliance,
    /// A vassal tie (either way, unless the condition names the `lord`).
    Vassal,
    /// An alliance or a vassal tie.
    Tie,
}

/// How a war ended, for [`Condition::WarEnded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WarEndKind {
    /// In a truce after talks (with or without terms).
    Truce,
    /// In a capitulation.
    Capitulation,
    /// Because one side ceased to exist (a scripted end).
    Ceased,
}

/// Payload of [`Condition::Status`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusCondition {
    /// One polity of the pair.
    pub a: String,
    /// The other.
    pub b: String,
    /// The status.
    pub is: StatusKind,
    /// For `Vassal`: the lord the tie must have (either side if not given).
    #[serde(default)]
    pub lord: Option<String>,
    /// Months it must have held (0 ..= 12,000); default 0.
    #[serde(default)]
    pub after: u32,
}

/// Payload of [`Condition::WarBegun`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarBegunCondition {
    /// One polity of the pair.
    pub a: String,
    /// The other.
    pub b: String,
    /// Who must have begun it (either side if not given).
    #[serde(default)]
    pub by: Option<String>,
    /// Months since the most recent such onset; default 0.
    #[serde(default)]
    pub after: u32,
}

/// Payload of [`Condition::WarEnded`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarEndedCondition {
    /// One polity of the pair.
    pub a: String,
    /// The other.
    pub b: String,
    /// How it must have ended (any way if not given).
    #[serde(default)]
    pub how: Option<WarEndKind>,
    /// Who must have won: the side that received terms, that the other capitulated to, or that
    /// outlived the other (any, or none, if not given). A truce without terms has no winner.
    #[serde(default)]
    pub winner: Option<String>,
    /// Months since the most recent such end; default 0.
    #[serde(default)]
    pub after: u32,
}

/// Payload of [`Condition::Balance`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceCondition {
    /// The side the balance must favour.
    pub favour: String,
    /// The other side.
    pub against: String,
    /// Least balance, −1 ..= 1 (the balance is 0 when they are not at war).
    pub at_least: f64,
}

/// Payload of [`Condition::Ended`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndedCondition {
    /// The polity.
    pub polity: String,
    /// Months since it ceased; default 0.
    #[serde(default)]
    pub after: u32,
}

/// Payload of [`Condition::Fired`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiredCondition {
    /// The event's id.
    pub event: String,
    /// Months since it fired; default 0.
    #[serde(default)]
    pub after: u32,
}

/// What a scripted event does. Each payload is its own struct so that a misspelt field is an
/// error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Effect {
    /// Set the contact of `a` and `b` (both directions) to `value`.
    Contact(ContactEffect),
    /// Add `delta` (may be negative) to the trust of `of` in `toward`, clamped to `[0, 1]`.
    Trust(TrustEffect),
    /// Add a fear shock `amount` to the fear of `of` of `toward`.
    Fear(FearEffect),
    /// A hostile act of `actor` against `victim`: counted like a provocation, with the
    /// victim's provocation effects multiplied by `severity`.
    HostileAct(HostileActEffect),
    /// Multiply the strength of `polity` by `factor`.
    Strength(StrengthEffect),
    /// Add `delta` to the stability of `polity`, clamped to `[0, 1]`.
    Stability(StabilityEffect),
    /// `polity` ceases to be an independent state (its wars end with it).
    Cease(CeaseEffect),
    /// The alliance or vassal tie of `a` and `b` ends (model 2; nothing happens if they have
    /// none).
    EndTie(EndTieEffect),
    /// Set the number at `path` (any number `--set` reaches, except `seed`, `runs` and
    /// `warmup`) to `value` for the rest of the run (model 2). A number that is part of the
    /// state at `start` (trust, fear, contact, strength, stability, mobilization, perception)
    /// is also set now.
    Set(SetEffect),
    /// The chronicle calls `polity` by `name` from now on (model 2; "Southern Song").
    Rename(RenameEffect),
}

/// Payload of [`Effect::EndTie`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndTieEffect {
    /// One polity.
    pub a: String,
    /// The other.
    pub b: String,
}

/// Payload of [`Effect::Set`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetEffect {
    /// A `--set` path (`relations.song.jin.provocation_rate`).
    pub path: String,
    /// The new value, in the field's range.
    pub value: f64,
}

/// Payload of [`Effect::Rename`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameEffect {
    /// The polity.
    pub polity: String,
    /// Its new display name.
    pub name: String,
}

/// Payload of [`Effect::Contact`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactEffect {
    /// One polity.
    pub a: String,
    /// The other polity.
    pub b: String,
    /// New contact, 0 ..= 1.
    pub value: f64,
}

/// Payload of [`Effect::Trust`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustEffect {
    /// Whose trust.
    pub of: String,
    /// In whom.
    pub toward: String,
    /// Change, -1 ..= 1.
    pub delta: f64,
}

/// Payload of [`Effect::Fear`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FearEffect {
    /// Whose fear.
    pub of: String,
    /// Of whom.
    pub toward: String,
    /// Shock, -10 ..= 10 (fear stays ≥ 0).
    pub amount: f64,
}

/// Payload of [`Effect::HostileAct`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostileActEffect {
    /// Who commits it.
    pub actor: String,
    /// Against whom.
    pub victim: String,
    /// Multiplier of the victim's provocation effects, 0 ..= 10.
    #[serde(default = "one")]
    pub severity: f64,
}

/// Payload of [`Effect::Strength`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrengthEffect {
    /// Whose strength.
    pub polity: String,
    /// Multiplier, > 0 ..= 100.
    pub factor: f64,
}

/// Payload of [`Effect::Stability`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StabilityEffect {
    /// Whose stability.
    pub polity: String,
    /// Change, -1 ..= 1.
    pub delta: f64,
}

/// Payload of [`Effect::Cease`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeaseEffect {
    /// The polity that ceases to exist.
    pub polity: String,
}

impl Relation {
    /// The relation of a directed pair that a scenario does not list: no contact, trust 0.5,
    /// no fear, no grievance, no hostile acts, no restraint (the same as the serde defaults).
    pub fn unlisted(from: &str, to: &str) -> Relation {
        Relation {
            from: from.to_string(),
            to: to.to_string(),
            contact: 0.0,
            trust: half(),
            fear: 0.0,
            grievance: 0.0,
            provocation_rate: 0.0,
            restraint: 0.0,
            provocation_text: String::new(),
            strength_bias: 1.0,
            perception_noise: 0.0,
        }
    }
}
