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
    /// Which mechanisms of MODEL.md are on. Every switch defaults to `true`.
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
        }
    }
}

impl Mechanisms {
    /// The switch names, in the order of MODEL.md.
    pub const NAMES: [&'static str; 11] = [
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
    /// What it does.
    pub effects: Vec<Effect>,
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
        }
    }
}
