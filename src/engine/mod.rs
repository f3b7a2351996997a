//! One stochastic history: the monthly loop of the model.
//!
//! A run is a pure function of (model, seed, run index): it draws only from
//! [`RunStream::new(seed, run)`](crate::rng::draws::RunStream), on the fixed schedule of
//! [`crate::rng::draws`]. Each month, in this order:
//!
//! 1. **scripted events** whose window contains the month may fire (their effects apply now;
//!    fear shocks enter this month's fear update);
//! 2. every ordered pair with a positive provocation rate, not at war, may commit a **hostile
//!    act**: the victim's trust in the actor drops and it takes a fear shock;
//! 3. for every active ordered pair *i → j*: *i*'s trust in *j* recovers toward its initial
//!    level, then the **fear spiral** of [`crate::model::fear`] updates `fear_ij` from last month's
//!    mobilization (a synchronous update: the order of pairs never matters); then every polity
//!    moves its **mobilization** toward `min(1, Σ_j fear_ij)`;
//! 4. every unordered pair takes its **decision** for its status (from peace: a war plan carried
//!    out, a war onset, a war plan adopted, or an alliance or vassalage by consent; at war:
//!    capitulation or talks; in a truce: a breach) from [`crate::model::hazard`] and
//!    [`crate::model::war`]; an attacked polity's allies decide whether to join; the pairs at war
//!    at the end of it count a month at war (the onset month counts, the month of a truce does
//!    not). Most months each status has a quick exit on the raw draws that is exact
//!    (`Model::quiet_bound`, `DyadIndex::talks_bound`, `DyadIndex::breach_bound`);
//! 5. **war as a process** (`war_process`): every pair at war fights the month's contest, which
//!    moves its balance and costs strength and stability; misperceptions shrink at war; war
//!    losses heal toward each polity's base strength;
//! 6. the observer sees the month's end.
//!
//! Before the first month a run draws its header (each pair's misperception), and runs its
//! warm-up months (acts, fears and mobilization only; nothing is counted).
//!
//! The engine allocates nothing per run: a [`Workspace`] is reused by each worker thread. What
//! a run leaves behind is its [`outcome`]; `trace` watches it through the [`chronicle`].

pub mod chronicle;
pub mod outcome;

use crate::engine::outcome::{ActMonths, Deed, RunOutcome, NEVER};
use crate::model::fear;
use crate::model::hazard::{self, WarMotive};
use crate::model::{perception, war};
use crate::model::{CompiledCondition, CompiledEffect, DyadIndex, DyadStatus, Model, StateWrite};
use crate::rng::draws::{uniform, PriorStream, RunStream};
use crate::scenario::MAX_POLITIES;
use crate::scenario::{StatusKind, WarEndKind};

/// The window over which `summary.json` counts hostile acts before an onset (the onset month
/// included), as HISTORY.md's third pattern does.
pub const ACTS_WINDOW_MONTHS: u32 = 36;
/// Hostile acts are remembered over this many months: one bit per month in a `u64`.
pub const ACTS_HISTORY_MONTHS: u32 = 64;

/// Something that happened in a run, told to an [`Observer`]. Indices are polity indices.
// The variant docs name the fields; they are plain polity indices and values.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Happening {
    /// Scripted event `event` fired; its effects follow.
    Event { event: usize },
    /// Contact of `a`–`b` changed.
    Contact {
        a: usize,
        b: usize,
        before: f64,
        after: f64,
    },
    /// Trust of `of` in `toward` changed by a scripted effect.
    Trust {
        of: usize,
        toward: usize,
        before: f64,
        after: f64,
    },
    /// A fear shock to `of`'s fear of `toward`.
    FearShock { of: usize, toward: usize, amount: f64 },
    /// A hostile act of `actor` against `victim`, and the victim's trust before and after.
    HostileAct {
        actor: usize,
        victim: usize,
        scripted: bool,
        trust_before: f64,
        trust_after: f64,
    },
    /// Strength of `polity` changed.
    Strength { polity: usize, before: f64, after: f64 },
    /// Stability of `polity` changed.
    Stability { polity: usize, before: f64, after: f64 },
    /// `polity` ceased to exist.
    Ceased { polity: usize },
    /// `initiator` started a war on `target` (`breach`: by breaking a truce; `joined`: as an
    /// ally of a polity `target` attacked).
    WarBegins {
        initiator: usize,
        target: usize,
        breach: bool,
        joined: bool,
        fear: f64,
        mobilization: f64,
    },
    /// `seeker` sought talks with `other`; `truce` says whether they ended in a truce.
    Talks {
        seeker: usize,
        other: usize,
        truce: bool,
    },
    /// The truce of `a`–`b` lasted and became peace.
    TruceBecomesPeace { a: usize, b: usize },
    /// `a` and `b` allied.
    AllianceFormed { a: usize, b: usize },
    /// `vassal` accepted the suzerainty of `lord`.
    VassalAccepted { vassal: usize, lord: usize },
    /// The alliance or vassal tie of `a`–`b` dissolved for lack of trust.
    TieDissolved { a: usize, b: usize },
    /// A scripted event ended the alliance or vassal tie of `a`–`b`.
    TieEnded { a: usize, b: usize },
    /// A scripted event set path `slot` of [`Model::set_slots`] to its setter `digit`'s value.
    Set { slot: usize, digit: u16 },
    /// The chronicle calls `polity` by [`Model::aliases`]`[name]` from now on.
    Renamed { polity: usize, name: usize },
    /// `planner` decided on war with `target` before it was ready: it mobilizes for it.
    WarPlan { planner: usize, target: usize },
    /// `loser` capitulated to `winner`; `balance` is the war balance as the loser stood in it.
    Capitulation {
        loser: usize,
        winner: usize,
        balance: f64,
    },
    /// A peace with terms: `loser` cedes to `winner`, and accepts junior status if `junior`.
    Terms {
        winner: usize,
        loser: usize,
        junior: bool,
    },
}

/// Watches a run as it unfolds (the chronicle of `trace`). Batch runs use [`Silent`], whose
/// empty methods compile away.
pub trait Observer {
    /// Something happened at month offset `t`.
    #[inline(always)]
    fn happening(&mut self, _t: u32, _what: Happening) {}
    /// Month offset `t` is over; `state` is the state after it.
    #[inline(always)]
    fn month_end(&mut self, _t: u32, _state: &Workspace) {}
}

/// The observer that watches nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;
impl Observer for Silent {}

/// How polity *i* sees polity *j* during a run, kept together so that the monthly loop reads
/// one cache line per pair. Pairs are stored by ordered-pair index `q` (see [`ordered`]), the
/// order of their noise slots: row *i* is `pairs[i(n−1)..(i+1)(n−1)]`, the diagonal left out.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct PairState {
    fear: f64,
    trust: f64,
    shock: f64,
    /// Raw contact, before isolation.
    contact: f64,
    /// Contact after both sides' isolation policies.
    contact_eff: f64,
    /// `strength_j / strength_i`.
    ratio: f64,
    /// `contact_eff · ratio · perceived`, the constant part of the threat (see
    /// [`fear::threat_exposed`]), refreshed whenever a contact, a strength or a perception
    /// changes.
    exposure: f64,
    /// *i*'s perception factor of *j*'s strength (1: the truth; [`crate::model::perception`]).
    perceived: f64,
    /// Initial trust (the model's), toward which trust recovers.
    trust0: f64,
    /// Grievance (the model's).
    grievance: f64,
    /// *i*'s fear gain, noise amplitude, fear decay and trust recovery (the model's), copied
    /// here so that the fear spiral reads everything about a pair from one place. `gain` and
    /// `decay` are kept apart on purpose: side by side, the compiler packs `gain · threat` and
    /// `decay · fear` into one SIMD multiply plus two shuffles, which is slower (README,
    /// "Performance").
    gain: f64,
    amplitude: f64,
    decay: f64,
    recovery: f64,
    /// *i*, the polity that sees (a `u8` indexes a [`PolityArray`] without a bounds check).
    sees: u8,
    /// *j*, the polity seen.
    seen: u8,
    /// Whether both polities still exist.
    live: bool,
}

/// One number per polity, in an array with room for any polity index a `u8` can hold, so that
/// the fear spiral indexes it by [`PairState::sees`] and [`PairState::seen`] without a bounds
/// check (a scenario has at most [`MAX_POLITIES`] polities).
type PolityArray = [f64; 256];
const _: () = assert!(MAX_POLITIES <= 256);

/// No war plan.
const NO_PLAN: u32 = u32::MAX;
/// Months of fear sums kept for the reaction delay: the longest delay plus the current month.
const RING: usize = crate::scenario::MAX_REACTION_DELAY as usize + 1;

/// Index of ordered pair *i → j* (`i ≠ j`) among the `n(n−1)` ordered pairs, row-major with
/// the diagonal left out: the same index as `Model::ordered_of[i * n + j]`.
#[inline(always)]
fn ordered(n: usize, i: usize, j: usize) -> usize {
    i * (n - 1) + j - usize::from(j > i)
}

/// The mutable state of one run, reused across runs by one worker thread.
#[derive(Debug, Clone)]
pub struct Workspace {
    n: usize,
    /// The draws of up to [`months_per_fill`] months, one stride of `2 · words_per_month` each.
    draws: Vec<u32>,
    acts_since: Vec<u32>,
    strength: Vec<f64>,
    mobilization: Box<PolityArray>,
    target: Box<PolityArray>,
    stability: Vec<f64>,
    active: Vec<bool>,
    wars: Vec<u16>,
    pairs: Vec<PairState>,
    /// Per ordered pair `i · n + j`, the months with hostile acts of `i` against `j` (agents'
    /// and scripted apart), shifted lazily ([`Workspace::acts_window`]).
    acts_bits: Vec<ActMonths>,
    status: Vec<DyadStatus>,
    /// Per event, the month offset after the one it fired in (`NEVER`: not yet), which
    /// `Fired` conditions read.
    fired_from: Vec<u32>,
    /// Per conditional event, the month offset its window opened (the first month its
    /// condition held), or `NEVER`.
    opened: Vec<u32>,
    /// Per conditional event, the months of its open window in which its condition held.
    held: Vec<u32>,
    /// Per event, whether its condition holds this month (read before any event fires).
    holds: Vec<bool>,
    /// Per path of [`Model::set_slots`], the setter whose value it has (0: none yet).
    setter: Vec<u16>,
    /// The variant of the model the run is under ([`Model::variant`]).
    variant: usize,
    /// Per ordered pair, the uniform of its perception in the run's header (kept only when a
    /// `Set` may draw a perception again).
    header_u: Vec<f64>,
    /// Strength before war losses (initial strength, changed by scripted `Strength` effects and
    /// cessions); war losses heal toward it.
    base_strength: Vec<f64>,
    /// Per unordered pair, the war balance seen from side 0, in `[−1, 1]` (0 out of war).
    balance: Vec<f64>,
    /// Per polity, how many allies it has now (to skip the search for allies in a war).
    allies: Vec<u16>,
    /// Per polity, its strength change of the month's wars, as a factor (`war_process`).
    attrition: Vec<f64>,
    /// Per pair, the month offset its current war was begun in a decision of this run (a war
    /// listed in `statuses` was not), or `NEVER`.
    begun: Vec<u32>,
    /// Per polity, the polity its war plan is aimed at, or [`NO_PLAN`].
    plan: Vec<u32>,
    /// Per polity, the tick (month counted from the first warm-up month) its plan was adopted.
    plan_since: Vec<u32>,
    /// Per polity, its fear sums of the last [`RING`] months (`ring[i * RING + tick % RING]`),
    /// for the reaction delay.
    ring: Vec<f64>,
    /// The outcome of the last run simulated in this workspace.
    pub outcome: RunOutcome,
    /// With priors: this worker's own copy of the model, into which each run writes its drawn
    /// values (made at the first run).
    own: Option<Box<Model>>,
    /// The address of the model `own` was copied from.
    own_of: usize,
    /// With priors: the values the last run drew, one per prior in order ([`Workspace::drawn`]).
    drawn: Vec<f64>,
    /// With priors: the parameter streams of the last seed.
    prior_stream: Option<(u64, PriorStream)>,
}

impl Workspace {
    /// A workspace sized for `model`, which has at most [`MAX_POLITIES`] polities (as every
    /// validated scenario does; panics otherwise).
    ///
    /// With priors, the workspace keeps its own copy of the model it last ran, known by the
    /// model's address: a workspace may serve several live models in turn, but must not outlive
    /// a model it ran and then serve another one made at the same address.
    pub fn new(model: &Model) -> Workspace {
        let n = model.n;
        assert!(n <= MAX_POLITIES, "a model has at most {MAX_POLITIES} polities");
        Workspace {
            n,
            draws: vec![0; months_per_fill(model) * 2 * model.schedule.words_per_month()],
            acts_since: vec![0; n * n],
            strength: vec![0.0; n],
            mobilization: Box::new([0.0; 256]),
            target: Box::new([0.0; 256]),
            stability: vec![0.0; n],
            active: vec![true; n],
            wars: vec![0; n],
            pairs: vec![PairState::default(); n * n.saturating_sub(1)],
            acts_bits: vec![ActMonths::NONE; n * n],
            status: vec![DyadStatus::Peace; model.dyads.len()],
            fired_from: vec![NEVER; model.events.len()],
            opened: vec![NEVER; model.events.len()],
            held: vec![0; model.events.len()],
            holds: vec![false; model.events.len()],
            setter: vec![0; model.set_slots.len()],
            variant: 0,
            header_u: vec![0.5; n * n.saturating_sub(1)],
            base_strength: vec![0.0; n],
            balance: vec![0.0; model.dyads.len()],
            allies: vec![0; n],
            attrition: vec![1.0; n],
            begun: vec![NEVER; model.dyads.len()],
            plan: vec![NO_PLAN; n],
            plan_since: vec![0; n],
            ring: vec![0.0; n * RING],
            outcome: RunOutcome::new(model.dyads.len(), n),
            own: None,
            own_of: 0,
            drawn: Vec::with_capacity(model.priors.len()),
            prior_stream: None,
        }
    }

    /// The values the last run drew for the model's priors, in the order of
    /// [`Model::priors`] (empty without priors).
    pub fn drawn(&self) -> &[f64] {
        &self.drawn
    }

    /// Draw run `run`'s value of every prior of `model` into `values`: from a posterior sample
    /// when the model has one (a row chosen by the run's parameter stream, at the place of
    /// [`crate::model::prior::SAMPLE_ROW_PATH`]), else from the priors.
    fn draw_parameters(&mut self, model: &Model, seed: u64, run: u64, values: &mut [f64]) {
        let stream = match &mut self.prior_stream {
            Some((s, stream)) if *s == seed => stream,
            slot => &mut slot.insert((seed, PriorStream::new(seed))).1,
        };
        crate::model::prior::draw_run(model, stream, run, values);
    }

    fn reset(&mut self, m: &Model) {
        self.strength.copy_from_slice(&m.strength);
        self.base_strength.copy_from_slice(&m.strength);
        self.begun.fill(NEVER);
        self.balance.fill(0.0);
        self.plan.fill(NO_PLAN);
        self.mobilization[..self.n].copy_from_slice(&m.mobilization);
        self.stability.copy_from_slice(&m.stability);
        self.active.fill(true);
        let n = self.n;
        for (i, j) in (0..n).flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j))) {
            let p = i * n + j;
            self.pairs[ordered(n, i, j)] = PairState {
                fear: m.fear[p],
                trust: m.trust[p],
                shock: 0.0,
                contact: m.contact[p],
                contact_eff: 0.0,
                ratio: 0.0,
                exposure: 0.0,
                perceived: 1.0,
                trust0: m.trust[p],
                grievance: m.grievance[p],
                gain: m.fear_gain[i],
                decay: m.fear_decay[i],
                amplitude: m.noise_amplitude[i],
                recovery: m.trust_recovery[i],
                sees: i as u8,
                seen: j as u8,
                live: true,
            };
        }
        self.acts_bits.fill(ActMonths::NONE);
        self.acts_since.fill(0);
        self.status.copy_from_slice(&m.status);
        self.fired_from.fill(NEVER);
        self.opened.fill(NEVER);
        self.held.fill(0);
        self.setter.fill(0);
        self.variant = 0;
        self.outcome.reset();
        self.wars.fill(0);
        self.allies.fill(0);
        for (d, s) in m.status.iter().enumerate() {
            let (a, b) = m.dyads[d];
            match s {
                DyadStatus::War { .. } => {
                    self.wars[a] += 1;
                    self.wars[b] += 1;
                }
                DyadStatus::Alliance => self.set_allied(a, b, true),
                _ => {}
            }
        }
        for i in 0..n {
            self.refresh_strength(i);
            for j in (0..n).filter(|&j| j != i) {
                self.refresh_contact(m, i, j);
            }
        }
        // The reaction delay reads fear sums of earlier months: before the first month, the
        // initial fears'.
        for i in 0..n {
            let total: f64 = (0..n).filter(|&j| j != i).map(|j| m.fear[i * n + j]).sum();
            self.ring[i * RING..(i + 1) * RING].fill(total);
        }
    }

    /// Draw each pair's perception factor from the run's header ([`crate::model::perception`]).
    fn perceive(&mut self, m: &Model, header: &[u32]) {
        let n = self.n;
        if !m.set_slots.is_empty() {
            for q in 0..n * (n - 1) {
                self.header_u[q] = uniform(header[m.schedule.header_perception(q)]);
            }
        }
        for i in 0..n {
            for j in (0..n).filter(|&j| j != i) {
                let p = i * n + j;
                let (bias, spread) = (m.perception_log_bias[p], m.perception_spread[p]);
                if bias == 0.0 && spread == 0.0 {
                    continue;
                }
                let q = ordered(n, i, j);
                let u = uniform(header[m.schedule.header_perception(q)]);
                self.pairs[q].perceived = perception::initial_perception(bias, spread, u);
                self.refresh_exposure(q);
            }
        }
    }

    /// Go on under model `m` (a variant the run moved to): the model's numbers that the pair
    /// states keep a copy of are copied again.
    fn adopt(&mut self, m: &Model) {
        let n = self.n;
        for i in 0..n {
            for j in (0..n).filter(|&j| j != i) {
                let p = i * n + j;
                let st = self.pair_mut(i, j);
                st.grievance = m.grievance[p];
                st.gain = m.fear_gain[i];
                st.decay = m.fear_decay[i];
                st.amplitude = m.noise_amplitude[i];
                st.recovery = m.trust_recovery[i];
                self.refresh_contact(m, i, j);
            }
        }
    }

    /// Write the number of the state at `start` named by `write` from model `m`'s initial
    /// state (a `Set` of that number).
    fn write_state(&mut self, m: &Model, write: StateWrite) {
        let n = self.n;
        match write {
            StateWrite::Nothing => {}
            StateWrite::Trust { of, toward } => {
                let st = self.pair_mut(of, toward);
                st.trust = m.trust[of * n + toward];
                st.trust0 = m.trust[of * n + toward];
            }
            StateWrite::Fear { of, toward } => self.pair_mut(of, toward).fear = m.fear[of * n + toward],
            StateWrite::Contact { of, toward } => {
                self.pair_mut(of, toward).contact = m.contact[of * n + toward];
                self.refresh_contact(m, of, toward);
            }
            StateWrite::Perception { of, toward } => {
                let p = of * n + toward;
                let q = ordered(n, of, toward);
                self.pairs[q].perceived = if m.perception_log_bias[p] == 0.0 && m.perception_spread[p] == 0.0
                {
                    1.0
                } else {
                    perception::initial_perception(
                        m.perception_log_bias[p],
                        m.perception_spread[p],
                        self.header_u[q],
                    )
                };
                self.refresh_exposure(q);
            }
            StateWrite::Strength { polity } => {
                self.strength[polity] = m.strength[polity];
                self.base_strength[polity] = m.strength[polity];
                self.refresh_strength(polity);
            }
            StateWrite::Stability { polity } => self.stability[polity] = m.stability[polity],
            StateWrite::Mobilization { polity } => self.mobilization[polity] = m.mobilization[polity],
        }
    }

    #[inline]
    fn refresh_exposure(&mut self, q: usize) {
        let st = &mut self.pairs[q];
        st.exposure = st.contact_eff * st.ratio * st.perceived;
    }

    /// Pair `q` of `i → j`.
    #[inline(always)]
    fn pair(&self, i: usize, j: usize) -> &PairState {
        &self.pairs[ordered(self.n, i, j)]
    }

    /// Pair `q` of `i → j`, mutably.
    #[inline(always)]
    fn pair_mut(&mut self, i: usize, j: usize) -> &mut PairState {
        &mut self.pairs[ordered(self.n, i, j)]
    }

    /// Count `a` and `b` as allies (`true`) or no longer (`false`).
    fn set_allied(&mut self, a: usize, b: usize, now: bool) {
        for x in [a, b] {
            if now {
                self.allies[x] += 1;
            } else {
                self.allies[x] -= 1;
            }
        }
    }

    /// Recompute every pair's strength ratio (after several strengths changed), as the same
    /// quotient `s_j / s_i` as [`refresh_strength`](Self::refresh_strength), bit for bit.
    fn refresh_all_strengths(&mut self) {
        let strength = &self.strength;
        for st in &mut self.pairs {
            st.ratio = strength[usize::from(st.seen)] / strength[usize::from(st.sees)];
            st.exposure = st.contact_eff * st.ratio * st.perceived;
        }
    }

    fn refresh_strength(&mut self, i: usize) {
        let n = self.n;
        for j in (0..n).filter(|&j| j != i) {
            let ratio_ij = self.strength[j] / self.strength[i];
            let ratio_ji = self.strength[i] / self.strength[j];
            let ij = self.pair_mut(i, j);
            ij.ratio = ratio_ij;
            ij.exposure = ij.contact_eff * ij.ratio * ij.perceived;
            let ji = self.pair_mut(j, i);
            ji.ratio = ratio_ji;
            ji.exposure = ji.contact_eff * ji.ratio * ji.perceived;
        }
    }

    fn refresh_contact(&mut self, m: &Model, i: usize, j: usize) {
        let st = self.pair_mut(i, j);
        st.contact_eff = st.contact * m.openness[i] * m.openness[j];
        st.exposure = st.contact_eff * st.ratio * st.perceived;
    }

    /// Number of polities.
    pub fn polities(&self) -> usize {
        self.n
    }
    /// Fear of `i` of `j` (0 when `i == j`: a polity does not fear itself).
    pub fn fear(&self, i: usize, j: usize) -> f64 {
        if i == j {
            return 0.0;
        }
        self.pair(i, j).fear
    }
    /// Trust of `i` in `j` (0 when `i == j`: not a pair).
    pub fn trust(&self, i: usize, j: usize) -> f64 {
        if i == j {
            return 0.0;
        }
        self.pair(i, j).trust
    }
    /// Mobilization of `i`.
    pub fn mobilization(&self, i: usize) -> f64 {
        self.mobilization[i]
    }
    /// Whether `i` still exists.
    pub fn is_active(&self, i: usize) -> bool {
        self.active[i]
    }
    /// Status of unordered pair `d`.
    pub fn status(&self, d: usize) -> DyadStatus {
        self.status[d]
    }
    /// Strength of `i` now (after war losses, cessions and scripted effects).
    pub fn strength(&self, i: usize) -> f64 {
        self.strength[i]
    }
    /// Stability of `i` now.
    pub fn stability(&self, i: usize) -> f64 {
        self.stability[i]
    }
    /// The war balance of unordered pair `d`, seen from its first polity, in `[−1, 1]`.
    pub fn balance(&self, d: usize) -> f64 {
        self.balance[d]
    }
    /// How `i` perceives `j`'s strength: the factor by which it multiplies the truth (1 when
    /// `i == j`).
    pub fn perceived(&self, i: usize, j: usize) -> f64 {
        if i == j {
            return 1.0;
        }
        self.pair(i, j).perceived
    }
    /// The polity whose war `i` is mobilizing for (its war plan), if any.
    pub fn war_plan(&self, i: usize) -> Option<usize> {
        (self.plan[i] != NO_PLAN).then_some(self.plan[i] as usize)
    }
}

/// The model a run reads, with its variants: the compiled model itself ([`Fixed`]), or a run's
/// own copy with its drawn values written in ([`Drawn`]).
trait Models {
    /// The model as compiled (variant 0), whose variants the run may move between.
    fn root(&self) -> &Model;
    /// The run is about to move to variant `k`: make it ready.
    fn enter(&mut self, k: usize);
}

/// The compiled model, shared by all runs.
struct Fixed<'a>(&'a Model);

impl Models for Fixed<'_> {
    #[inline(always)]
    fn root(&self) -> &Model {
        self.0
    }
    #[inline(always)]
    fn enter(&mut self, _k: usize) {}
}

/// A run's own copy of the model, with the values it drew for its priors: written into variant
/// 0 before the first month, and into any other variant when the run first enters it.
struct Drawn<'a> {
    own: &'a mut Model,
    priors: &'a [crate::model::prior::CompiledPrior],
    values: &'a [f64],
    /// Bit `k`: variant `k` holds this run's values.
    entered: u64,
}

impl Models for Drawn<'_> {
    #[inline(always)]
    fn root(&self) -> &Model {
        self.own
    }
    fn enter(&mut self, k: usize) {
        if k == 0 || self.entered & (1 << k) != 0 {
            return;
        }
        self.entered |= 1 << k;
        let own = &mut *self.own;
        let slots = &own.set_slots;
        if let Some(variant) = own.variants.get_mut(k - 1) {
            crate::model::prior::patch_all(variant, k, slots, self.priors, self.values);
        }
    }
}

/// Simulate run `run` of `model` under master seed `seed` into `ws.outcome`, telling `obs`
/// what happens. Returns the number of 64-bit ChaCha8 words drawn by the months (the
/// parameter draws of a model with priors come from their own stream and are not counted).
///
/// A model with priors first draws the run's value of each ([`Workspace::drawn`]) and runs
/// on the workspace's own copy of the model with those values written in.
pub fn simulate<O: Observer>(model: &Model, seed: u64, run: u64, ws: &mut Workspace, obs: &mut O) -> u64 {
    if model.priors.is_empty() {
        return history(&mut Fixed(model), seed, run, ws, obs);
    }
    // The workspace's copy, if it was made from this very model (a workspace may serve
    // several models in turn); otherwise a fresh one.
    let source = model as *const Model as usize;
    let mut own = match ws.own.take() {
        Some(own) if ws.own_of == source => own,
        _ => Box::new(model.clone()),
    };
    ws.own_of = source;
    let mut values = std::mem::take(&mut ws.drawn);
    values.resize(model.priors.len(), 0.0);
    ws.draw_parameters(model, seed, run, &mut values);
    crate::model::prior::patch_all(&mut own, 0, &model.set_slots, &model.priors, &values);
    let mut drawn = Drawn {
        own: &mut own,
        priors: &model.priors,
        values: &values,
        entered: 1,
    };
    let words = history(&mut drawn, seed, run, ws, obs);
    ws.drawn = values;
    ws.own = Some(own);
    words
}

/// The months of one run (see [`simulate`]).
fn history<V: Models, O: Observer>(
    models: &mut V,
    seed: u64,
    run: u64,
    ws: &mut Workspace,
    obs: &mut O,
) -> u64 {
    let model = models.root();
    ws.reset(model);
    let mut stream = RunStream::new(seed, run);
    // The draws are copied out of ChaCha several months at a time (`RunStream::fill_months`),
    // and lent to the month's steps beside the workspace.
    let stride = 2 * model.schedule.words_per_month();
    let per_fill = months_per_fill(model) as u32;
    let (warmup, months) = (model.warmup, model.months);
    let mut draws = std::mem::take(&mut ws.draws);
    let header = &mut draws[..2 * model.schedule.header_words()];
    stream.fill_months(header);
    ws.perceive(model, header);
    // The warm-up: acts, fears and mobilization move, nothing else happens and nothing counts.
    let mut tick = 0;
    while tick < warmup {
        let batch = per_fill.min(warmup - tick);
        let filled = &mut draws[..batch as usize * stride];
        stream.fill_months(filled);
        for month in filled.chunks_exact(stride) {
            fear_spiral(model, ws, month, 0, tick, &mut Silent);
            tick += 1;
        }
    }
    if warmup > 0 {
        ws.outcome.reset();
        ws.acts_bits.fill(ActMonths::NONE);
        ws.acts_since.fill(0);
    }
    let mut t = 0;
    while t < months {
        let batch = per_fill.min(months - t);
        let filled = &mut draws[..batch as usize * stride];
        stream.fill_months(filled);
        for month in filled.chunks_exact(stride) {
            scripted_events(models, ws, month, t, obs);
            // The model's variant after the month's `Set` effects (itself when none).
            let m = models.root().variant(ws.variant);
            fear_spiral(m, ws, month, t, m.warmup + t, obs);
            decisions(m, ws, month, t, obs);
            war_process(m, ws, month);
            obs.month_end(t, ws);
            t += 1;
        }
    }
    ws.draws = draws;
    for (o, s) in ws.outcome.dyads.iter_mut().zip(&ws.status) {
        o.war_at_end = matches!(s, DyadStatus::War { .. });
    }
    stream.words_drawn()
}

/// How many months of draws are copied out of ChaCha at once: as many as fit in 16 KiB (the
/// copy stays in the L1 cache), at least 1 and at most 64, and room for the run's header.
fn months_per_fill(model: &Model) -> usize {
    let months = (16 * 1024 / (8 * model.schedule.words_per_month().max(1))).clamp(1, 64);
    months.max(
        model
            .schedule
            .header_words()
            .div_ceil(model.schedule.words_per_month().max(1)),
    )
}

/// The events of month offset `t` (`root` is the model as compiled, whose variants the run
/// may move between). Conditions are read first, all of them on the state the months before
/// left; then the events fire in the order of the file.
fn scripted_events<V: Models, O: Observer>(
    models: &mut V,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    obs: &mut O,
) {
    let root = models.root();
    let list = root.events_at(t);
    let now = i64::from(t);
    for e in list.iter().map(|&e| e as usize) {
        let ev = &root.events[e];
        if let Some(c) = &ev.when {
            ws.holds[e] = ws.fired_from[e] == NEVER
                && ev.first <= now
                && now <= ev.last
                && condition_holds(root, ws, c, t);
        }
    }
    for k in 0..list.len() {
        let e = models.root().events_at(t)[k] as usize;
        if ws.fired_from[e] != NEVER {
            continue;
        }
        let at_start = ws.variant;
        let m = models.root().variant(at_start);
        let ev = &m.events[e];
        let h = if ev.when.is_none() {
            ev.hazard(now)
        } else if ws.holds[e] {
            if ws.opened[e] == NEVER {
                ws.opened[e] = t;
            }
            // The window closes at `last`, or `within` months after it opened if sooner.
            let opened = i64::from(ws.opened[e]);
            let close = ev.last.min(opened + i64::from(ev.within) - 1);
            if now > close {
                0.0
            } else {
                let h = conditional_hazard(ev.probability, close - opened + 1, ws.held[e]);
                ws.held[e] += 1;
                h
            }
        } else {
            0.0
        };
        if h <= 0.0 || uniform(draws[m.schedule.event(e)]) >= h {
            continue;
        }
        ws.fired_from[e] = t + 1;
        obs.happening(t, Happening::Event { event: e });
        // The effects as the event's variant at its start lists them (every variant lists the
        // same); copied one at a time, since a `Set` among them may ready another variant.
        for j in 0..ev.effects.len() {
            let effect = models.root().variant(at_start).events[e].effects[j];
            apply_effect(models, ws, t, &effect, obs);
        }
    }
}

/// The hazard of a conditional event in a month its condition holds, after it held in `held`
/// earlier months of its window without firing, the window having had `left` months when it
/// opened: `p / L / (1 − p·held / L)`, so that each month in which the condition holds carries
/// the chance `p / L` and the event happens with probability `p · (months held) / L` at most
/// `p` (docs/model.md §10).
#[inline]
pub fn conditional_hazard(probability: f64, left: i64, held: u32) -> f64 {
    let len = left.max(1) as f64;
    let remaining = 1.0 - probability * f64::from(held) / len;
    if remaining <= 0.0 {
        return 1.0;
    }
    (probability / len / remaining).min(1.0)
}

/// Whether condition `c` holds at the start of month offset `t` (on what the months before
/// left; see [`crate::scenario::Condition`]).
fn condition_holds(m: &Model, ws: &Workspace, c: &CompiledCondition, t: u32) -> bool {
    let since = |from: u32, after: u32| from != NEVER && u64::from(t) >= u64::from(from) + u64::from(after);
    match c {
        CompiledCondition::Status {
            dyad,
            is,
            lord,
            after,
        } => {
            let (a, b) = m.dyads[*dyad];
            if !(ws.active[a] && ws.active[b]) {
                return false;
            }
            let status = ws.status[*dyad];
            let right = match (is, status) {
                (StatusKind::Peace, DyadStatus::Peace)
                | (StatusKind::War, DyadStatus::War { .. })
                | (StatusKind::Truce, DyadStatus::Truce { .. })
                | (StatusKind::Alliance, DyadStatus::Alliance)
                | (StatusKind::Tie, DyadStatus::Alliance | DyadStatus::Vassal { .. }) => true,
                (StatusKind::Vassal, DyadStatus::Vassal { lord: l }) => {
                    lord.is_none_or(|side| usize::from(l) == if side == 0 { a } else { b })
                }
                _ => false,
            };
            right && since(ws.outcome.memory[*dyad].status_from, *after)
        }
        CompiledCondition::WarBegun { dyad, by, after } => {
            let from = &ws.outcome.memory[*dyad].onset_from;
            let last = match by {
                Some(side) => from[usize::from(*side)],
                None => most_recent(from[0], from[1]),
            };
            since(last, *after)
        }
        CompiledCondition::WarEnded {
            dyad,
            how,
            winner,
            after,
        } => {
            let ended = &ws.outcome.memory[*dyad].ended_from;
            let hows: &[usize] = match how {
                Some(WarEndKind::Truce) => &[0],
                Some(WarEndKind::Capitulation) => &[1],
                Some(WarEndKind::Ceased) => &[2],
                None => &[0, 1, 2],
            };
            let winners: &[usize] = match winner {
                Some(0) => &[0],
                Some(_) => &[1],
                None => &[0, 1, 2],
            };
            let last = hows
                .iter()
                .flat_map(|&h| winners.iter().map(move |&w| ended[h][w]))
                .fold(NEVER, most_recent);
            since(last, *after)
        }
        CompiledCondition::Balance {
            dyad,
            favour,
            at_least,
        } => {
            matches!(ws.status[*dyad], DyadStatus::War { .. }) && {
                let b = ws.balance[*dyad];
                (if *favour == 0 { b } else { -b }) >= *at_least
            }
        }
        CompiledCondition::Ended { polity, after } => {
            let ceased = ws.outcome.ceased[*polity];
            ceased != NEVER && since(ceased + 1, *after)
        }
        CompiledCondition::Fired { event, after } => since(ws.fired_from[*event], *after),
        CompiledCondition::All(list) => list.iter().all(|x| condition_holds(m, ws, x, t)),
        CompiledCondition::Any(list) => list.iter().any(|x| condition_holds(m, ws, x, t)),
        CompiledCondition::Not(x) => !condition_holds(m, ws, x, t),
    }
}

/// The later of two "from" months, [`NEVER`] counting as never.
#[inline]
fn most_recent(x: u32, y: u32) -> u32 {
    match (x == NEVER, y == NEVER) {
        (true, _) => y,
        (_, true) => x,
        _ => x.max(y),
    }
}

/// Apply one effect of a scripted event; `root` is the model as compiled, and the effect acts
/// under the run's present variant of it.
fn apply_effect<V: Models, O: Observer>(
    models: &mut V,
    ws: &mut Workspace,
    t: u32,
    effect: &CompiledEffect,
    obs: &mut O,
) {
    let live = |ws: &Workspace, a: usize, b: usize| ws.active[a] && ws.active[b];
    if let CompiledEffect::Set { slot, digit, .. } = *effect {
        let s = &models.root().set_slots[slot];
        let next = ws.variant - usize::from(ws.setter[slot]) * s.stride + usize::from(digit) * s.stride;
        models.enter(next);
    }
    let root = models.root();
    let m = root.variant(ws.variant);
    match *effect {
        CompiledEffect::Contact { a, b, value } if live(ws, a, b) => {
            let before = ws.pair(a, b).contact;
            ws.pair_mut(a, b).contact = value;
            ws.pair_mut(b, a).contact = value;
            ws.refresh_contact(m, a, b);
            ws.refresh_contact(m, b, a);
            obs.happening(
                t,
                Happening::Contact {
                    a,
                    b,
                    before,
                    after: value,
                },
            );
        }
        CompiledEffect::Trust { of, toward, delta } if live(ws, of, toward) => {
            let st = ws.pair_mut(of, toward);
            let before = st.trust;
            st.trust = (before + delta).clamp(0.0, 1.0);
            let after = st.trust;
            obs.happening(
                t,
                Happening::Trust {
                    of,
                    toward,
                    before,
                    after,
                },
            );
        }
        CompiledEffect::Fear { of, toward, amount } if live(ws, of, toward) => {
            ws.pair_mut(of, toward).shock += amount;
            obs.happening(t, Happening::FearShock { of, toward, amount });
        }
        CompiledEffect::HostileAct {
            actor,
            victim,
            severity,
        } if live(ws, actor, victim) => {
            hostile_act(m, ws, t, actor, victim, severity, true, obs);
        }
        CompiledEffect::Strength { polity, factor } if ws.active[polity] => {
            let before = ws.strength[polity];
            ws.strength[polity] = before * factor;
            ws.base_strength[polity] *= factor;
            ws.refresh_strength(polity);
            obs.happening(
                t,
                Happening::Strength {
                    polity,
                    before,
                    after: ws.strength[polity],
                },
            );
        }
        CompiledEffect::Stability { polity, delta } if ws.active[polity] => {
            let before = ws.stability[polity];
            ws.stability[polity] = (before + delta).clamp(0.0, 1.0);
            obs.happening(
                t,
                Happening::Stability {
                    polity,
                    before,
                    after: ws.stability[polity],
                },
            );
        }
        CompiledEffect::Cease { polity } if ws.active[polity] => cease(m, ws, t, polity, obs),
        CompiledEffect::EndTie { a, b } if live(ws, a, b) => {
            let d = m.dyad_of[a * m.n + b];
            let tied = matches!(ws.status[d], DyadStatus::Alliance | DyadStatus::Vassal { .. });
            if tied {
                if ws.status[d] == DyadStatus::Alliance {
                    ws.set_allied(a, b, false);
                }
                ws.status[d] = DyadStatus::Peace;
                ws.outcome.note(t, d, Deed::TieDissolved);
                obs.happening(t, Happening::TieEnded { a, b });
            }
        }
        CompiledEffect::Set { slot, digit, write } => {
            let s = &root.set_slots[slot];
            ws.variant = ws.variant - usize::from(ws.setter[slot]) * s.stride + usize::from(digit) * s.stride;
            ws.setter[slot] = digit;
            let next = root.variant(ws.variant);
            ws.adopt(next);
            ws.write_state(next, write);
            obs.happening(t, Happening::Set { slot, digit });
        }
        CompiledEffect::Rename { polity, name } => obs.happening(t, Happening::Renamed { polity, name }),
        _ => {}
    }
}

fn cease<O: Observer>(m: &Model, ws: &mut Workspace, t: u32, x: usize, obs: &mut O) {
    cease_after(m, ws, t, x, None, obs);
}

/// `x` ceases to exist at month offset `t`; the war of pair `ended` (if any) has already been
/// recorded as ended (by `x`'s capitulation), so only its other wars are recorded as ended by
/// its end.
fn cease_after<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    x: usize,
    ended: Option<usize>,
    obs: &mut O,
) {
    ws.active[x] = false;
    ws.outcome.ceased[x] = t;
    for y in (0..m.n).filter(|&y| y != x) {
        ws.pair_mut(x, y).live = false;
        ws.pair_mut(y, x).live = false;
    }
    for (d, &(a, b)) in m.dyads.iter().enumerate() {
        if a != x && b != x {
            continue;
        }
        if let DyadStatus::War { .. } = ws.status[d] {
            ws.wars[a] -= 1;
            ws.wars[b] -= 1;
        }
        if matches!(ws.status[d], DyadStatus::War { .. }) && ended != Some(d) {
            ws.outcome.note(
                t,
                d,
                Deed::Ended {
                    side: side(a, x) as u8,
                },
            );
        }
        if ws.status[d] == DyadStatus::Alliance {
            ws.set_allied(a, b, false);
        }
        ws.status[d] = DyadStatus::Peace;
        ws.balance[d] = 0.0;
    }
    for y in 0..m.n {
        if y == x || ws.plan[y] == x as u32 {
            ws.plan[y] = NO_PLAN;
        }
    }
    obs.happening(t, Happening::Ceased { polity: x });
}

impl Workspace {
    /// The hostile acts of ordered pair `p` in the 64 months up to month `t`, as bit masks
    /// (bit 0 = month `t`, bit k = month `t − k`), the agents' and the scripted apart. The masks
    /// are shifted lazily, only when they are read or written.
    #[inline]
    fn acts_window(&mut self, p: usize, t: u32) -> &mut ActMonths {
        let age = t - self.acts_since[p];
        let bits = self.acts_bits[p];
        self.acts_bits[p] = if age >= ACTS_HISTORY_MONTHS {
            ActMonths::NONE
        } else {
            ActMonths {
                agents: bits.agents << age,
                scripted: bits.scripted << age,
            }
        };
        self.acts_since[p] = t;
        &mut self.acts_bits[p]
    }
}

/// Side of polity `i` in unordered pair `(a, b)`: 0 for `a`, 1 for `b`.
#[inline(always)]
fn side(a: usize, i: usize) -> usize {
    usize::from(i != a)
}

#[allow(clippy::too_many_arguments)]
#[inline]
fn hostile_act<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    actor: usize,
    victim: usize,
    severity: f64,
    scripted: bool,
    obs: &mut O,
) {
    let n = m.n;
    let loss = (m.provocation_trust_loss[victim] * severity).min(1.0);
    let shock = m.provocation_fear[victim] * severity;
    let seen = ws.pair_mut(victim, actor);
    let before = seen.trust;
    seen.trust = before * (1.0 - loss);
    seen.shock += shock;
    let after = seen.trust;
    let months = ws.acts_window(actor * n + victim, t);
    if scripted {
        months.scripted |= 1;
    } else {
        months.agents |= 1;
    }
    let d = m.dyad_of[actor * n + victim];
    let s = side(m.dyads[d].0, actor);
    let out = &mut ws.outcome.dyads[d];
    out.acts[s] += 1;
    out.scripted_acts[s] += u32::from(scripted);
    obs.happening(
        t,
        Happening::HostileAct {
            actor,
            victim,
            scripted,
            trust_before: before,
            trust_after: after,
        },
    );
}

/// Hostile acts, the fear update and the mobilization step of month offset `t`, which is month
/// `tick` counted from the first warm-up month (the reaction delay counts ticks).
fn fear_spiral<O: Observer>(m: &Model, ws: &mut Workspace, draws: &[u32], t: u32, tick: u32, obs: &mut O) {
    // Hostile acts first: an act of j against i touches only how i sees j (its trust and a
    // fear shock), so the fear updates below never depend on the order of pairs.
    // Most months no act can come of the draw (`Provoker::quiet_bound`): that is checked first.
    for pv in &m.provokers {
        let raw = draws[pv.slot];
        if u64::from(raw) >= pv.quiet_bound {
            continue;
        }
        let st = &ws.pairs[pv.q];
        if !st.live || matches!(ws.status[pv.dyad], DyadStatus::War { .. }) {
            continue;
        }
        let rate = pv.rate * st.contact_eff;
        if uniform(raw) < rate {
            hostile_act(m, ws, t, pv.actor, pv.victim, 1.0, false, obs);
        }
    }
    // The fear spiral, pair by pair in the order of their noise slots (row i, how i sees
    // everyone else, is one run of pairs), with pairs and draws zipped together: no index
    // arithmetic, and no bounds checks (the polity indices are `u8`s into `PolityArray`s).
    // `target[i]` is set to the sum of i's fears, in the order of j, for every polity i (0 for
    // a row with no live pair). Pairs with a ceased polity are skipped.
    let noise = &draws[m.schedule.noise(0)..m.schedule.noise(0) + ws.pairs.len()];
    update_fears(&mut ws.pairs, noise, &ws.mobilization, &mut ws.target);
    // A court reacts late or mobilizes for a war plan only where some polity has a delay or a
    // plan: otherwise the plain step below is the same, and quicker.
    if m.delayed || (m.deliberate && ws.plan.iter().any(|&p| p != NO_PLAN)) {
        deliberate_mobilization(m, ws, tick);
        return;
    }
    let polities = ws
        .mobilization
        .iter_mut()
        .zip(ws.target.iter_mut())
        .zip(&ws.active);
    for (((mobilization, target), &active), &lag) in polities.zip(&m.mobilization_lag) {
        if active {
            *target = fear::mobilization_target(*target);
            *mobilization = fear::next_mobilization(*mobilization, *target, lag);
        }
    }
}

/// The mobilization step when a court reacts late or mobilizes for a war plan
/// (`Model::deliberate`): polity *i*'s target is its fear sum of `reaction_delay_i` months ago
/// (its initial fears' before the run has that many months), and 1 from `reaction_delay_i`
/// months after it adopted a war plan on.
fn deliberate_mobilization(m: &Model, ws: &mut Workspace, tick: u32) {
    let now = tick as usize % RING;
    for i in 0..ws.n {
        if !ws.active[i] {
            continue;
        }
        let delay = m.reaction_delay[i];
        let mut total = ws.target[i];
        if delay > 0 {
            let ring = &mut ws.ring[i * RING..(i + 1) * RING];
            ring[now] = total;
            total = ring[(now + RING - delay as usize) % RING];
        }
        if ws.plan[i] != NO_PLAN && tick >= ws.plan_since[i] + delay {
            total = 1.0;
        }
        let target = fear::mobilization_target(total);
        ws.target[i] = target;
        ws.mobilization[i] = fear::next_mobilization(ws.mobilization[i], target, m.mobilization_lag[i]);
    }
}

/// One month of Richardson's fear update for every live ordered pair, zipped with its noise
/// draw, setting `total[i]` to the sum of *i*'s fears (in the order of *j*) for every polity
/// *i*, 0 where none of its pairs is live. A row is one run of pairs, so the running sum of
/// the current row stays in a register and is stored when the row ends (rather than every pair
/// adding to memory and waiting for the last pair's store, after a memset of the sums).
/// Kept out of line so that the compiler gives this loop its registers, apart from the rest
/// of the month.
#[inline(never)]
fn update_fears(pairs: &mut [PairState], noise: &[u32], mobilization: &PolityArray, total: &mut PolityArray) {
    let (mut row, mut sum) = (0u8, 0.0);
    for (st, &raw) in pairs.iter_mut().zip(noise) {
        if st.sees != row {
            total[usize::from(row)] = sum;
            (row, sum) = (st.sees, 0.0);
        }
        if !st.live {
            continue;
        }
        let trust = st.trust + st.recovery * (st.trust0 - st.trust);
        st.trust = trust;
        let threat = fear::threat_exposed(st.exposure, mobilization[usize::from(st.seen)], trust);
        // A uniform on (-1, 1) from the raw draw: 2u - 1 with u = (raw + 1/2) / 2^32.
        let centred = f64::from(raw) * (2.0 / 4_294_967_296.0) - (1.0 - 1.0 / 4_294_967_296.0);
        let f = fear::next_fear(
            st.fear,
            st.gain,
            threat,
            st.decay,
            st.grievance,
            st.amplitude * centred,
            st.shock,
        );
        st.shock = 0.0;
        st.fear = f;
        sum += f;
    }
    total[usize::from(row)] = sum;
}

fn decisions<O: Observer>(m: &Model, ws: &mut Workspace, draws: &[u32], t: u32, obs: &mut O) {
    for (d, ix) in m.dyad_index.iter().enumerate() {
        let DyadIndex {
            a,
            b,
            ab,
            ba,
            q_ab,
            q_ba,
            ..
        } = *ix;
        let raws = || (draws[ix.decision_slots[0]], draws[ix.decision_slots[1]]);
        // Months at war are counted at the end of the month: the onset month counts, the month
        // of a truce does not (`begin_war` counts its month).
        match ws.status[d] {
            DyadStatus::Peace => {
                // A pair with a ceased polity is at peace and stays so.
                if !ws.pairs[q_ab].live {
                    continue;
                }
                let (raw_ab, raw_ba) = raws();
                let planned = ws.plan[a] == b as u32 || ws.plan[b] == a as u32;
                // Most months at peace nothing can happen: no war plan, fear below both
                // thresholds and both draws above any greed and tie probability
                // (`Model::quiet_bound`). Check that first, on the raw draws.
                if !planned
                    && ws.pairs[q_ab].fear <= ix.war_threshold[0]
                    && ws.pairs[q_ba].fear <= ix.war_threshold[1]
                    && u64::from(raw_ab) >= ix.quiet_bound[0]
                    && u64::from(raw_ba) >= ix.quiet_bound[1]
                {
                    continue;
                }
                if planned && carry_out_plans(m, ws, draws, t, d, obs) {
                    continue;
                }
                let (u_ab, u_ba) = (uniform(raw_ab), uniform(raw_ba));
                let motive_ab = war_motive(m, ws, a, b, ab, q_ab);
                let motive_ba = war_motive(m, ws, b, a, ba, q_ba);
                let h_ab = hazard::war_hazard(&motive_ab);
                let h_ba = hazard::war_hazard(&motive_ba);
                if let Some(first) = first_to_act(u_ab, h_ab, u_ba, h_ba) {
                    let (i, j) = if first == 0 { (a, b) } else { (b, a) };
                    begin_war(m, ws, draws, t, d, i, j, Onset::Decided, obs);
                    continue;
                }
                // A court whose war hazard fires before it is ready adopts a war plan: it
                // mobilizes for the war (after its reaction delay) and strikes when ready.
                if m.deliberate {
                    let mut adopted = false;
                    for (i, j, u, motive) in [(a, b, u_ab, &motive_ab), (b, a, u_ba, &motive_ba)] {
                        if motive.ready == 0.0
                            && ws.plan[i] == NO_PLAN
                            && u < hazard::war_hazard_if_ready(motive)
                        {
                            adopt_plan(ws, t, m.warmup + t, d, i, j, side(a, i), obs);
                            adopted = true;
                        }
                    }
                    if adopted {
                        continue;
                    }
                }
                if m.mechanisms.alliances {
                    ties(m, ws, t, d, a, b, u_ab - h_ab, u_ba - h_ba, obs);
                }
            }
            DyadStatus::Alliance | DyadStatus::Vassal { .. } => {
                let exit = m.rules.alliance_exit_trust;
                if ws.pairs[q_ab].trust < exit || ws.pairs[q_ba].trust < exit {
                    if ws.status[d] == DyadStatus::Alliance {
                        ws.set_allied(a, b, false);
                    }
                    ws.status[d] = DyadStatus::Peace;
                    ws.outcome.note(t, d, Deed::TieDissolved);
                    obs.happening(t, Happening::TieDissolved { a, b });
                }
            }
            DyadStatus::War { since, .. } => {
                // A war begun this month (an ally joined it after this pair's turn came up
                // empty) has had its month counted by `begin_war` and cannot end yet.
                if ws.begun[d] == t {
                    continue;
                }
                let (raw_ab, raw_ba) = raws();
                // Most months at war neither side capitulates or seeks talks: both draws lie
                // above any capitulation and talks probability (`DyadIndex::talks_bound`).
                // A side may capitulate only while the balance is decisive against it.
                let decisive = ws.balance[d].abs() >= m.rules.capitulation_balance && ws.balance[d] != 0.0;
                if decisive || u64::from(raw_ab) < ix.talks_bound[0] || u64::from(raw_ba) < ix.talks_bound[1]
                {
                    let (u_ab, u_ba) = (uniform(raw_ab), uniform(raw_ba));
                    let balance = ws.balance[d];
                    let weigh = m.mechanisms.victory_odds;
                    let decisive = m.rules.capitulation_balance;
                    // The odds are worked out only where they can matter: for a side whose
                    // balance is decisive against it, or whose draw lies below twice its
                    // unweighed talks hazard (the weight `1 − seen balance` is at most 2).
                    let odds = |x: usize, y: usize| if weigh { war_odds(m, ws, x, y) } else { 0.0 };
                    let cap = |x: usize, y: usize, own: f64| {
                        if own <= -decisive && own < 0.0 && m.capitulation_propensity[x] > 0.0 {
                            war::capitulation_hazard(m.capitulation_propensity[x], own, decisive, odds(x, y))
                        } else {
                            0.0
                        }
                    };
                    let (cap_a, cap_b) = (cap(a, b, balance), cap(b, a, -balance));
                    if u_ab < cap_a || u_ba < cap_b {
                        let (loser, winner) = if u_ab < cap_a { (a, b) } else { (b, a) };
                        capitulate(m, ws, t, d, loser, winner, obs);
                        continue;
                    }
                    if m.mechanisms.truces {
                        let months = t - since;
                        // The talks hazard before its weight and its cap at 1, once per side.
                        let talks = |x: usize, y: usize, own: f64, out: f64, u: f64| {
                            let wish = hazard::talks_wish(m.talk_propensity[x], months, ws.stability[x], out);
                            if !weigh {
                                (wish * 1.0).min(1.0)
                            } else if u < (wish * 2.0).min(1.0) {
                                (wish * (1.0 - war::seen_balance(own, odds(x, y)))).min(1.0)
                            } else {
                                0.0
                            }
                        };
                        let [out_a, out_b] = ix.outmatched;
                        let p_a = talks(a, b, balance, out_a, u_ab - cap_a);
                        let p_b = talks(b, a, -balance, out_b, u_ba - cap_b);
                        if let Some(first) = first_to_act(u_ab - cap_a, p_a, u_ba - cap_b, p_b) {
                            let (seeker, other) = if first == 0 { (a, b) } else { (b, a) };
                            let success =
                                hazard::talks_success(m.rules.talks_success, m.rigidity[a], m.rigidity[b]);
                            let truce = uniform(draws[m.schedule.talks(d)]) < success;
                            let out = &mut ws.outcome.dyads[d];
                            out.talks = out.talks.saturating_add(1);
                            ws.outcome.note(
                                t,
                                d,
                                Deed::Talks {
                                    by: first as u8,
                                    truce,
                                },
                            );
                            obs.happening(t, Happening::Talks { seeker, other, truce });
                            if truce {
                                conclude_truce(m, ws, t, d, obs);
                                continue;
                            }
                        }
                    }
                }
                ws.outcome.dyads[d].months_at_war += 1;
            }
            DyadStatus::Truce { since } => {
                let (raw_ab, raw_ba) = raws();
                // Most months of a truce neither side breaches it: both draws lie above any
                // breach probability (`DyadIndex::breach_bound`).
                if u64::from(raw_ab) < ix.breach_bound[0] || u64::from(raw_ba) < ix.breach_bound[1] {
                    let (u_ab, u_ba) = (uniform(raw_ab), uniform(raw_ba));
                    let p_a =
                        hazard::breach_hazard(m.breach_propensity[a], ws.pairs[q_ab].trust, m.rigidity[a]);
                    let p_b =
                        hazard::breach_hazard(m.breach_propensity[b], ws.pairs[q_ba].trust, m.rigidity[b]);
                    if let Some(first) = first_to_act(u_ab, p_a, u_ba, p_b) {
                        let (i, j) = if first == 0 { (a, b) } else { (b, a) };
                        let out = &mut ws.outcome.dyads[d];
                        out.truces_broken = out.truces_broken.saturating_add(1);
                        begin_war(m, ws, draws, t, d, i, j, Onset::Breach, obs);
                        continue;
                    }
                }
                if t - since >= m.rules.truce_months {
                    ws.status[d] = DyadStatus::Peace;
                    ws.outcome.note(t, d, Deed::Peace);
                    obs.happening(t, Happening::TruceBecomesPeace { a, b });
                }
            }
        }
    }
}

/// Which of two sides acts this month, if any: side 0 when `u0 < p0`, side 1 when `u1 < p1`.
/// When both do, the one whose draw lies deeper inside its probability (smaller `u / p`, the
/// earlier event in a continuous-time reading) acts first.
#[inline(always)]
fn first_to_act(u0: f64, p0: f64, u1: f64, p1: f64) -> Option<usize> {
    match (u0 < p0, u1 < p1) {
        (false, false) => None,
        (true, false) => Some(0),
        (false, true) => Some(1),
        (true, true) => Some(usize::from(u1 * p0 < u0 * p1)),
    }
}

/// What moves *i* to start a war on *j* this month ([`hazard::war_hazard`] turns it into a
/// probability); `p = i·n + j` indexes the model's pair matrices and `q` the ordered pair.
/// Below the threshold without greed, a motive whose hazard is 0 even when ready.
#[inline(always)]
fn war_motive(m: &Model, ws: &Workspace, i: usize, j: usize, p: usize, q: usize) -> WarMotive {
    let st = &ws.pairs[q];
    // Whether greed may count (`free_hands`): the pair is at peace, so every war `i` fights is
    // against a third polity.
    let free = hazard::free_hands(m.mechanisms.free_hands, u32::from(ws.wars[i]));
    // Quick exit for the common case: fear below the threshold and no greed that counts.
    if st.fear <= m.war_threshold[i] && (m.greed[i] <= 0.0 || free == 0.0) {
        return NO_MOTIVE;
    }
    let willing = if m.mechanisms.instability {
        ws.stability[i] / (1.0 + f64::from(ws.wars[i]))
    } else {
        1.0
    };
    // i's own mobilized force, and j's as i sees it (the truth when i perceives j's strength
    // rightly: the factor is then exactly 1).
    let own = ws.strength[i] * ws.mobilization[i];
    let seen = ws.strength[j] * ws.mobilization[j] * st.perceived;
    // The odds weigh only the preventive motive: work them out only when fear is above the
    // threshold.
    let victory = if m.odds_weight[i] > 0.0 && st.fear > m.war_threshold[i] {
        let odds = war::contest_win_probability(own, seen, m.rules.contest_decisiveness);
        war::victory_factor(odds, m.odds_weight[i])
    } else {
        1.0
    };
    WarMotive {
        fear: st.fear,
        threshold: m.war_threshold[i],
        propensity: m.war_propensity[i],
        greed: m.greed[i],
        advantage: hazard::advantage(own, seen),
        contact: st.contact_eff,
        ready: if ws.mobilization[i] >= m.war_readiness[i] {
            1.0
        } else {
            0.0
        },
        unrestrained: m.unrestrained[p],
        willing,
        victory,
        free,
    }
}

/// A motive whose war hazard is 0, ready or not.
const NO_MOTIVE: WarMotive = WarMotive {
    fear: 0.0,
    threshold: 0.0,
    propensity: 0.0,
    greed: 0.0,
    advantage: 0.0,
    contact: 0.0,
    ready: 1.0,
    unrestrained: 0.0,
    willing: 0.0,
    victory: 1.0,
    free: 1.0,
};

/// The war plans aimed across pair `d` at peace: a plan is carried out (the war begins, its
/// planner the initiator) as soon as its polity is mobilized to its `war_readiness`, and dropped
/// when its motive is gone (the war hazard, if ready, would be 0). Returns whether a war began.
fn carry_out_plans<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    d: usize,
    obs: &mut O,
) -> bool {
    let ix = &m.dyad_index[d];
    for (i, j, p, q) in [(ix.a, ix.b, ix.ab, ix.q_ab), (ix.b, ix.a, ix.ba, ix.q_ba)] {
        if ws.plan[i] != j as u32 {
            continue;
        }
        let motive = war_motive(m, ws, i, j, p, q);
        if hazard::war_hazard_if_ready(&motive) <= 0.0 {
            ws.plan[i] = NO_PLAN;
        } else if motive.ready > 0.0 {
            begin_war(m, ws, draws, t, d, i, j, Onset::Planned, obs);
            return true;
        }
    }
    false
}

/// Polity `i` (side `s` of pair `d`) adopts a war plan against `j` at month offset `t`, tick
/// `tick`.
#[allow(clippy::too_many_arguments)]
fn adopt_plan<O: Observer>(
    ws: &mut Workspace,
    t: u32,
    tick: u32,
    d: usize,
    i: usize,
    j: usize,
    s: usize,
    obs: &mut O,
) {
    ws.plan[i] = j as u32;
    ws.plan_since[i] = tick;
    ws.outcome.note(t, d, Deed::WarPlan { by: s as u8 });
    obs.happening(
        t,
        Happening::WarPlan {
            planner: i,
            target: j,
        },
    );
}

/// A tie formed between `a` and `b`: their war plans against each other are dropped.
fn drop_plans(ws: &mut Workspace, a: usize, b: usize) {
    for (x, y) in [(a, b), (b, a)] {
        if ws.plan[x] == y as u32 {
            ws.plan[x] = NO_PLAN;
        }
    }
}

/// Whether `x` and `k` are allies.
#[inline]
fn allied(m: &Model, ws: &Workspace, x: usize, k: usize) -> bool {
    x != k && matches!(ws.status[m.dyad_of[x * m.n + k]], DyadStatus::Alliance)
}

/// Whether `x` and `k` are at war.
#[inline]
fn at_war(m: &Model, ws: &Workspace, x: usize, k: usize) -> bool {
    x != k && matches!(ws.status[m.dyad_of[x * m.n + k]], DyadStatus::War { .. })
}

/// The mobilized force of `x`'s side in its war with `y`: `x` and every ally of `x` at war with
/// `y`, each `strength · mobilization`, as `seer` perceives them (its perception factor of each
/// member; `None`: the truth).
#[inline(always)]
fn coalition_force(m: &Model, ws: &Workspace, x: usize, y: usize, seer: Option<usize>) -> f64 {
    let own = match seer {
        Some(i) if i != x => ws.pair(i, x).perceived,
        _ => 1.0,
    };
    let force = ws.strength[x] * ws.mobilization[x] * own;
    if ws.allies[x] == 0 {
        return force;
    }
    force + allies_force(m, ws, x, y, seer)
}

/// The part of [`coalition_force`] that `x`'s allies at war with `y` bring.
#[cold]
fn allies_force(m: &Model, ws: &Workspace, x: usize, y: usize, seer: Option<usize>) -> f64 {
    let seen = |k: usize| match seer {
        Some(i) if i != k => ws.pair(i, k).perceived,
        _ => 1.0,
    };
    let mut force = 0.0;
    for k in 0..m.n {
        if ws.active[k] && k != y && allied(m, ws, x, k) && at_war(m, ws, k, y) {
            force += ws.strength[k] * ws.mobilization[k] * seen(k);
        }
    }
    force
}

/// *i*'s odds of winning a month of its war with *j*: its side's force against *j*'s side's
/// as *i* perceives it.
fn war_odds(m: &Model, ws: &Workspace, i: usize, j: usize) -> f64 {
    war::contest_win_probability(
        coalition_force(m, ws, i, j, None),
        coalition_force(m, ws, j, i, Some(i)),
        m.rules.contest_decisiveness,
    )
}

/// The war of pair `d` ends at month offset `t` because talks succeeded: a truce, with the
/// terms that follow the war balance when wars are a process (`war_process`).
fn conclude_truce<O: Observer>(m: &Model, ws: &mut Workspace, t: u32, d: usize, obs: &mut O) {
    let (a, b) = m.dyads[d];
    let ix = m.dyad_index[d];
    let out = &mut ws.outcome.dyads[d];
    out.truces = out.truces.saturating_add(1);
    ws.status[d] = DyadStatus::Truce { since: t };
    ws.wars[a] -= 1;
    ws.wars[b] -= 1;
    let gain = m.rules.truce_trust_gain;
    ws.pairs[ix.q_ab].trust = (ws.pairs[ix.q_ab].trust + gain).min(1.0);
    ws.pairs[ix.q_ba].trust = (ws.pairs[ix.q_ba].trust + gain).min(1.0);
    let balance = std::mem::replace(&mut ws.balance[d], 0.0);
    if !m.mechanisms.war_process {
        return;
    }
    let (winner, loser) = if balance > 0.0 { (a, b) } else { (b, a) };
    let terms = war::terms(balance.abs(), m.rules.terms_cession, m.rules.terms_junior);
    if terms != war::Terms::Even {
        impose_terms(m, ws, t, d, winner, loser, terms, obs);
    }
}

/// The loser of pair `d`'s war capitulates at month offset `t`: it ends as a state when it is
/// `conquerable`, else it cedes and becomes the winner's vassal ([`war::Terms::Junior`]; with
/// `alliances` off, a truce with a cession).
fn capitulate<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    loser: usize,
    winner: usize,
    obs: &mut O,
) {
    let a = m.dyads[d].0;
    ws.outcome.note(
        t,
        d,
        Deed::Capitulation {
            side: side(a, loser) as u8,
        },
    );
    let balance = if loser == a { ws.balance[d] } else { -ws.balance[d] };
    obs.happening(
        t,
        Happening::Capitulation {
            loser,
            winner,
            balance,
        },
    );
    if m.conquerable[loser] {
        cease_after(m, ws, t, loser, Some(d), obs);
        return;
    }
    ws.wars[winner] -= 1;
    ws.wars[loser] -= 1;
    ws.status[d] = DyadStatus::Truce { since: t };
    ws.balance[d] = 0.0;
    impose_terms(m, ws, t, d, winner, loser, war::Terms::Junior, obs);
}

/// The terms of a peace in pair `d` (just out of war): a cession of `cession_share` of the
/// loser's base (and present) strength to the winner, and for junior status a vassal tie with
/// the winner as lord, each side's trust at least `alliance_exit_trust + truce_trust_gain`.
#[allow(clippy::too_many_arguments)]
fn impose_terms<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    winner: usize,
    loser: usize,
    terms: war::Terms,
    obs: &mut O,
) {
    let a = m.dyads[d].0;
    let share = m.rules.cession_share;
    let ceded = ws.strength[loser] * share;
    ws.base_strength[winner] += ws.base_strength[loser] * share;
    ws.base_strength[loser] *= 1.0 - share;
    ws.strength[winner] += ceded;
    ws.strength[loser] -= ceded;
    ws.refresh_strength(winner);
    ws.refresh_strength(loser);
    // Junior status is a vassal tie: without ties (`alliances` off) the loser only cedes.
    let junior = terms == war::Terms::Junior && m.mechanisms.alliances;
    ws.outcome.note(
        t,
        d,
        Deed::Terms {
            winner: side(a, winner) as u8,
            junior,
        },
    );
    obs.happening(
        t,
        Happening::Terms {
            winner,
            loser,
            junior,
        },
    );
    if junior {
        let floor = (m.rules.alliance_exit_trust + m.rules.truce_trust_gain).min(1.0);
        let ix = m.dyad_index[d];
        for q in [ix.q_ab, ix.q_ba] {
            ws.pairs[q].trust = ws.pairs[q].trust.max(floor);
        }
        form_vassal_tie(m, ws, t, d, loser, winner, obs);
    }
}

/// The month's course of every war, after the decisions: with `war_process`, each pair at war
/// fights a contest that moves its balance and costs both sides strength and stability; with
/// `misperception`, each side's misperception of the other shrinks; then (`war_process`) every
/// polity regains part of its war losses.
fn war_process(m: &Model, ws: &mut Workspace, draws: &[u32]) {
    let contest = m.mechanisms.war_process;
    if !contest && !m.mechanisms.misperception {
        return;
    }
    let rules = &m.rules;
    let mut at_war = false;
    for d in 0..m.dyads.len() {
        if !matches!(ws.status[d], DyadStatus::War { .. }) {
            continue;
        }
        at_war = true;
        let (a, b) = m.dyads[d];
        if contest {
            let force_a = coalition_force(m, ws, a, b, None);
            let force_b = coalition_force(m, ws, b, a, None);
            let p_a = war::contest_win_probability(force_a, force_b, rules.contest_decisiveness);
            let a_won = uniform(draws[m.schedule.contest(d)]) < p_a;
            ws.balance[d] = war::next_balance(ws.balance[d], a_won, rules.war_step);
            let share_a = war::loss_share(force_a, force_b);
            for (x, share) in [(a, share_a), (b, 1.0 - share_a)] {
                ws.attrition[x] *= 1.0 - rules.war_cost * share;
                if m.mechanisms.instability {
                    ws.stability[x] = (ws.stability[x] - rules.war_unrest * share).max(0.0);
                }
            }
        }
        // Fighting teaches: each side's misperception of the other shrinks.
        let ix = m.dyad_index[d];
        for q in [ix.q_ab, ix.q_ba] {
            if ws.pairs[q].perceived != 1.0 {
                ws.pairs[q].perceived = perception::learn(ws.pairs[q].perceived, rules.war_learning);
                ws.refresh_exposure(q);
            }
        }
    }
    if !contest {
        return;
    }
    // Each polity's losses of the month (in all its wars), then its recovery toward its base
    // strength ([`war::recover`]); the strength ratios are recomputed once.
    let healing = || (0..m.n).any(|x| ws.active[x] && ws.strength[x] < ws.base_strength[x]);
    if !at_war && !healing() {
        return;
    }
    let (mut changed, mut last) = (0, 0);
    let polities = ws
        .attrition
        .iter_mut()
        .zip(ws.strength.iter_mut())
        .zip(&ws.base_strength)
        .zip(&ws.active)
        .enumerate();
    for (x, (((attrition, strength), &base), &active)) in polities {
        let loss = std::mem::replace(attrition, 1.0);
        if !active || (loss == 1.0 && *strength >= base) {
            continue;
        }
        let healed = war::recover(*strength * loss, base, rules.strength_recovery);
        if healed != *strength {
            *strength = healed;
            changed += 1;
            last = x;
        }
    }
    match changed {
        0 => {}
        1 => ws.refresh_strength(last),
        _ => ws.refresh_all_strengths(),
    }
}

/// How a war began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Onset {
    /// A decision at peace (§6.2).
    Decided,
    /// A war plan carried out when ready.
    Planned,
    /// A truce broken.
    Breach,
    /// An ally entered the war of an attacked ally (`breach`: breaking its own truce with the
    /// attacker).
    Joined {
        /// Whether the ally broke a truce to join.
        breach: bool,
    },
}

/// Polity `i` begins a war on `j` in pair `d` at month offset `t` (how: `onset`). When `j` was
/// attacked (not joined against) and ties are by consent, each of `j`'s allies then decides
/// whether to join the war on `j`'s side.
#[allow(clippy::too_many_arguments)]
fn begin_war<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    d: usize,
    i: usize,
    j: usize,
    onset: Onset,
    obs: &mut O,
) {
    let n = m.n;
    let (a, _) = m.dyads[d];
    let fear_before = ws.pair(i, j).fear;
    ws.status[d] = DyadStatus::War {
        initiator: i as u16,
        since: t,
    };
    ws.balance[d] = 0.0;
    ws.begun[d] = t;
    ws.wars[i] += 1;
    ws.wars[j] += 1;
    // A plan against the enemy is done with, the planner's and the target's alike.
    for (x, y) in [(i, j), (j, i)] {
        if ws.plan[x] == y as u32 {
            ws.plan[x] = NO_PLAN;
        }
    }
    let first = ws.outcome.dyads[d].first_onset == NEVER;
    let (x, y) = m.dyads[d];
    let history_xy = *ws.acts_window(x * n + y, t);
    let history_yx = *ws.acts_window(y * n + x, t);
    let out = &mut ws.outcome.dyads[d];
    out.wars = out.wars.saturating_add(1);
    // The onset month is a month at war.
    out.months_at_war += 1;
    if first {
        out.first_onset = t;
        out.initiator = side(a, i) as u8;
        out.acts_history_at_onset = [history_xy, history_yx];
        out.mobilization_at_onset = [ws.mobilization[x] as f32, ws.mobilization[y] as f32];
    }
    let breach = matches!(onset, Onset::Breach | Onset::Joined { breach: true });
    let joined = matches!(onset, Onset::Joined { .. });
    ws.outcome.note(
        t,
        d,
        Deed::War {
            by: side(a, i) as u8,
            breach,
            joined,
        },
    );
    let shock = m.rules.war_fear_shock;
    ws.pair_mut(i, j).fear += shock;
    ws.pair_mut(j, i).fear += shock;
    ws.pair_mut(j, i).trust = 0.0;
    obs.happening(
        t,
        Happening::WarBegins {
            initiator: i,
            target: j,
            breach,
            joined,
            fear: fear_before,
            mobilization: ws.mobilization[i],
        },
    );
    if !joined && m.mechanisms.consent {
        call_allies(m, ws, draws, t, i, j, obs);
    }
}

/// `j` was attacked by `i`: each ally `k` of `j` that is at peace, or in a truce concluded before
/// this month, with `i` joins
/// the war against `i` with probability `join_propensity_k · trust_kj`, decided on the talks
/// slot of pair {k, i} (unused this month: that pair is not at war). A joined war calls no
/// further allies.
fn call_allies<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    draws: &[u32],
    t: u32,
    i: usize,
    j: usize,
    obs: &mut O,
) {
    for k in 0..m.n {
        if k == i || k == j || !ws.active[k] || !allied(m, ws, j, k) || m.join_propensity[k] <= 0.0 {
            continue;
        }
        let dk = m.dyad_of[k * m.n + i];
        // A truce concluded this month has used the pair's talks number already.
        let breach = match ws.status[dk] {
            DyadStatus::Peace => false,
            DyadStatus::Truce { since } if since < t => true,
            _ => continue,
        };
        let p = m.join_propensity[k] * ws.pair(k, j).trust;
        if uniform(draws[m.schedule.talks(dk)]) < p {
            if breach {
                let out = &mut ws.outcome.dyads[dk];
                out.truces_broken = out.truces_broken.saturating_add(1);
            }
            begin_war(m, ws, draws, t, dk, k, i, Onset::Joined { breach }, obs);
        }
    }
}

/// Pair `d` forms an alliance at month offset `t`.
fn form_alliance<O: Observer>(m: &Model, ws: &mut Workspace, t: u32, d: usize, obs: &mut O) {
    let (a, b) = m.dyads[d];
    ws.status[d] = DyadStatus::Alliance;
    ws.set_allied(a, b, true);
    drop_plans(ws, a, b);
    ws.outcome.dyads[d].alliance_formed = true;
    ws.outcome.note(t, d, Deed::Alliance);
    obs.happening(t, Happening::AllianceFormed { a, b });
}

/// In pair `d`, `vassal` accepts the suzerainty of `lord` at month offset `t`.
fn form_vassal_tie<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    vassal: usize,
    lord: usize,
    obs: &mut O,
) {
    let (a, b) = m.dyads[d];
    ws.status[d] = DyadStatus::Vassal { lord: lord as u16 };
    drop_plans(ws, a, b);
    let s = side(a, lord) as u8;
    ws.outcome.dyads[d].vassal_lord = 1 + s;
    ws.outcome.note(t, d, Deed::Vassal { lord: s });
    obs.happening(t, Happening::VassalAccepted { vassal, lord });
}

/// *i*'s wish to ally with *j* this month: `alliance_propensity_i · min(1, common fear) ·
/// trust_ij` (0 without contact). Under `consent` it is multiplied by the effective contact.
fn alliance_will(m: &Model, ws: &Workspace, i: usize, j: usize) -> f64 {
    let p = ordered(m.n, i, j);
    if m.alliance_propensity[i] <= 0.0 || ws.pairs[p].contact_eff <= 0.0 {
        return 0.0;
    }
    let mut common: f64 = 0.0;
    for k in 0..m.n {
        if k != i && k != j && ws.active[k] {
            common = common.max(ws.pair(i, k).fear.min(ws.pair(j, k).fear));
        }
    }
    hazard::alliance_hazard(m.alliance_propensity[i], common, ws.pairs[p].trust)
}

/// *i*'s wish to become *j*'s vassal this month (0 without contact).
fn vassal_wish(m: &Model, ws: &Workspace, i: usize, j: usize) -> f64 {
    let st = ws.pair(i, j);
    if st.contact_eff <= 0.0 {
        return 0.0;
    }
    hazard::vassal_hazard(
        m.vassal_propensity[i],
        st.fear,
        m.rigidity[i],
        ws.strength[i],
        ws.strength[j],
    )
}

/// Ties by consent (`consent`), from peace when no war began: an alliance forms when both
/// sides' draws fall below their wills (`rest_i < alliance_will_ij`, each side's own draw), and
/// neither is allied with a polity at war with the other; else side *i* offers to submit to *j*
/// when its draw falls in the band `[will_ij, will_ij + vassal_wish_ij)`, and *j* accepts when
/// its own draw falls below `vassal_acceptance_j · contact_ji` (*a*'s offer is considered first).
#[allow(clippy::too_many_arguments)]
fn ties_by_consent<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    a: usize,
    b: usize,
    rest_ab: f64,
    rest_ba: f64,
    obs: &mut O,
) {
    // Every tie needs one side's draw below its propensities: skip the work otherwise.
    if rest_ab >= m.alliance_propensity[a] + m.vassal_propensity[a]
        && rest_ba >= m.alliance_propensity[b] + m.vassal_propensity[b]
    {
        return;
    }
    // The wills are at most the propensities: work them out only where they can matter.
    let both_may_ally = rest_ab < m.alliance_propensity[a] && rest_ba < m.alliance_propensity[b];
    let will = |i: usize, j: usize, rest: f64| {
        if both_may_ally || rest < m.alliance_propensity[i] + m.vassal_propensity[i] {
            alliance_will(m, ws, i, j) * ws.pair(i, j).contact_eff
        } else {
            0.0
        }
    };
    let (will_a, will_b) = (will(a, b, rest_ab), will(b, a, rest_ba));
    if both_may_ally && rest_ab < will_a && rest_ba < will_b {
        let enemy_of_ally = (0..m.n).any(|k| {
            (allied(m, ws, a, k) && at_war(m, ws, b, k)) || (allied(m, ws, b, k) && at_war(m, ws, a, k))
        });
        if !enemy_of_ally {
            form_alliance(m, ws, t, d, obs);
            return;
        }
    }
    for (i, j, rest_i, will_i, rest_j) in [(a, b, rest_ab, will_a, rest_ba), (b, a, rest_ba, will_b, rest_ab)]
    {
        if rest_i < will_i || rest_i - will_i >= vassal_wish(m, ws, i, j) {
            continue;
        }
        if rest_j < m.vassal_acceptance[j] * ws.pair(j, i).contact_eff {
            form_vassal_tie(m, ws, t, d, i, j, obs);
            return;
        }
    }
}

/// Alliance and vassalage from peace. `rest_ab` is `u_ab − h_ab` (the part of the decision draw
/// above the war hazard), so a tie is decided on the same slot without touching war decisions.
#[allow(clippy::too_many_arguments)]
fn ties<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    a: usize,
    b: usize,
    rest_ab: f64,
    rest_ba: f64,
    obs: &mut O,
) {
    if m.mechanisms.consent {
        ties_by_consent(m, ws, t, d, a, b, rest_ab, rest_ba, obs);
        return;
    }
    for (i, j, rest) in [(a, b, rest_ab), (b, a, rest_ba)] {
        // Both tie probabilities are bounded by the propensities: skip the work when the draw
        // lies above that bound (most months).
        if rest >= m.alliance_propensity[i] + m.vassal_propensity[i] {
            continue;
        }
        let ally = alliance_will(m, ws, i, j);
        if rest < ally {
            form_alliance(m, ws, t, d, obs);
            return;
        }
        if rest - ally < vassal_wish(m, ws, i, j) {
            form_vassal_tie(m, ws, t, d, i, j, obs);
            return;
        }
    }
}
