//! The state of a run (docs/model.md §1): the [`Workspace`] a worker thread reuses run after
//! run, each pair's state ([`PairState`]), and how a run starts: its reset, the header's
//! perceptions (`Workspace::perceive`), a move to another variant of the model
//! (`Workspace::adopt`, `Workspace::write_state`) and the draws of its priors.

use super::ACTS_HISTORY_MONTHS;
use crate::engine::outcome::{ActMonths, RunOutcome, NEVER};
use crate::model::perception;
use crate::model::{DyadStatus, Model, StateWrite};
use crate::rng::draws::{uniform, PriorStream};
use crate::scenario::MAX_POLITIES;

/// How polity *i* sees polity *j* during a run, kept together so that the monthly loop reads
/// one cache line per pair. Pairs are stored by ordered-pair index `q` (see [`ordered`]), the
/// order of their noise slots: row *i* is `pairs[i(n−1)..(i+1)(n−1)]`, the diagonal left out.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct PairState {
    pub(super) fear: f64,
    pub(super) trust: f64,
    pub(super) shock: f64,
    /// Raw contact, before isolation.
    pub(super) contact: f64,
    /// Contact after both sides' isolation policies.
    pub(super) contact_eff: f64,
    /// `strength_j / strength_i`.
    pub(super) ratio: f64,
    /// `contact_eff · ratio · perceived`, the constant part of the threat (see
    /// [`crate::model::fear::threat_exposed`]), refreshed whenever a contact, a strength or a perception
    /// changes.
    pub(super) exposure: f64,
    /// *i*'s perception factor of *j*'s strength (1: the truth; [`crate::model::perception`]).
    pub(super) perceived: f64,
    /// Initial trust (the model's), toward which trust recovers.
    pub(super) trust0: f64,
    /// Grievance (the model's).
    pub(super) grievance: f64,
    /// *i*'s fear gain, noise amplitude, fear decay and trust recovery (the model's), copied
    /// here so that the fear spiral reads everything about a pair from one place. `gain` and
    /// `decay` are kept apart on purpose: side by side, the compiler packs `gain · threat` and
    /// `decay · fear` into one SIMD multiply plus two shuffles, which is slower (README,
    /// "Performance").
    pub(super) gain: f64,
    pub(super) amplitude: f64,
    pub(super) decay: f64,
    pub(super) recovery: f64,
    /// *i*, the polity that sees (a `u8` indexes a [`PolityArray`] without a bounds check).
    pub(super) sees: u8,
    /// *j*, the polity seen.
    pub(super) seen: u8,
    /// Whether both polities still exist.
    pub(super) live: bool,
}

/// One number per polity, in an array with room for any polity index a `u8` can hold, so that
/// the fear spiral indexes it by [`PairState::sees`] and [`PairState::seen`] without a bounds
/// check (a scenario has at most [`MAX_POLITIES`] polities).
pub(super) type PolityArray = [f64; 256];
const _: () = assert!(MAX_POLITIES <= 256);

/// No war plan.
pub(super) const NO_PLAN: u32 = u32::MAX;
/// Months of fear sums kept for the reaction delay: the longest delay plus the current month.
pub(super) const RING: usize = crate::scenario::MAX_REACTION_DELAY as usize + 1;

/// Index of ordered pair *i → j* (`i ≠ j`) among the `n(n−1)` ordered pairs, row-major with
/// the diagonal left out: the same index as `Model::ordered_of[i * n + j]`.
#[inline(always)]
pub(super) fn ordered(n: usize, i: usize, j: usize) -> usize {
    i * (n - 1) + j - usize::from(j > i)
}

/// No side (a treaty that made nobody junior).
pub(super) const NO_SIDE: u8 = 2;

/// The treaty in force in a pair (`treaties`, docs/model.md §6.12): made when a war ended in a
/// truce or in junior status, ended by a war, by peace or by the end of the tie it made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Treaty {
    /// Month offset it was made ([`NEVER`]: no treaty in force).
    pub(super) made: u32,
    /// The lord's side (0 or 1) when it made the other side junior, else [`NO_SIDE`].
    pub(super) lord: u8,
    /// Whether a cession it imposed has been handed over (the line is demarcated).
    pub(super) demarcated: bool,
    /// Month offset from which a cession it imposes is handed over ([`NEVER`]: none owed).
    pub(super) due: u32,
    /// The side (0 or 1) that owes it.
    pub(super) debtor: u8,
    /// The share of the debtor's base strength owed.
    pub(super) owed: f64,
    /// Per side, the month offset of its last default ([`NEVER`]: none).
    pub(super) defaulted: [u32; 2],
}

impl Treaty {
    /// No treaty in force.
    pub(super) const NONE: Treaty = Treaty {
        made: NEVER,
        lord: NO_SIDE,
        demarcated: false,
        due: NEVER,
        debtor: NO_SIDE,
        owed: 0.0,
        defaulted: [NEVER; 2],
    };

    /// A treaty made at month offset `t` with no content yet.
    pub(super) const fn plain(t: u32) -> Treaty {
        Treaty {
            made: t,
            ..Treaty::NONE
        }
    }
}

/// The mutable state of one run, reused across runs by one worker thread.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub(super) n: usize,
    /// The draws of up to [`months_per_fill`] months, one stride of `2 · words_per_month` each.
    pub(super) draws: Vec<u32>,
    pub(super) acts_since: Vec<u32>,
    pub(super) strength: Vec<f64>,
    pub(super) mobilization: Box<PolityArray>,
    pub(super) target: Box<PolityArray>,
    pub(super) stability: Vec<f64>,
    pub(super) active: Vec<bool>,
    pub(super) wars: Vec<u16>,
    pub(super) pairs: Vec<PairState>,
    /// Per ordered pair `i · n + j`, the months with hostile acts of `i` against `j` (agents'
    /// and scripted apart), shifted lazily ([`Workspace::acts_window`]).
    pub(super) acts_bits: Vec<ActMonths>,
    pub(super) status: Vec<DyadStatus>,
    /// Per event, the month offset after the one it fired in (`NEVER`: not yet), which
    /// `Fired` conditions read.
    pub(super) fired_from: Vec<u32>,
    /// Per conditional event, the month offset its window opened (the first month its
    /// condition held), or `NEVER`.
    pub(super) opened: Vec<u32>,
    /// Per conditional event, the months of its open window in which its condition held.
    pub(super) held: Vec<u32>,
    /// Per event, whether its condition holds this month (read before any event fires).
    pub(super) holds: Vec<bool>,
    /// Per path of [`Model::set_slots`], the setter whose value it has (0: none yet).
    pub(super) setter: Vec<u16>,
    /// The variant of the model the run is under ([`Model::variant`]).
    pub(super) variant: usize,
    /// Per ordered pair, the uniform of its perception in the run's header (kept only when a
    /// `Set` may draw a perception again).
    pub(super) header_u: Vec<f64>,
    /// Strength before war losses (initial strength, changed by scripted `Strength` effects and
    /// cessions); war losses heal toward it.
    pub(super) base_strength: Vec<f64>,
    /// Per unordered pair, the war balance seen from side 0, in `[−1, 1]` (0 out of war).
    pub(super) balance: Vec<f64>,
    /// Per unordered pair, the line of its last treaty seen from side 0, in `[−1, 1]` (0 before
    /// any; `bargaining` and `treaties`).
    pub(super) line: Vec<f64>,
    /// Per unordered pair, the treaty in force (`treaties`; [`Treaty::NONE`] when none).
    pub(super) treaty: Vec<Treaty>,
    /// Per polity, how many allies it has now (to skip the search for allies in a war).
    pub(super) allies: Vec<u16>,
    /// Per polity, its strength change of the month's wars, as a factor (`war_process`).
    pub(super) attrition: Vec<f64>,
    /// Per pair, the month offset its current war was begun in a decision of this run (a war
    /// listed in `statuses` was not), or `NEVER`.
    pub(super) begun: Vec<u32>,
    /// Per polity, the polity its war plan is aimed at, or [`NO_PLAN`].
    pub(super) plan: Vec<u32>,
    /// Per polity, the tick (month counted from the first warm-up month) its plan was adopted.
    pub(super) plan_since: Vec<u32>,
    /// Per polity, its fear sums of the last [`RING`] months (`ring[i * RING + tick % RING]`),
    /// for the reaction delay.
    pub(super) ring: Vec<f64>,
    /// The outcome of the last run simulated in this workspace.
    pub outcome: RunOutcome,
    /// With priors: this worker's own copy of the model, into which each run writes its drawn
    /// values (made at the first run).
    pub(super) own: Option<Box<Model>>,
    /// The address of the model `own` was copied from.
    pub(super) own_of: usize,
    /// With priors: the values the last run drew, one per prior in order ([`Workspace::drawn`]).
    pub(super) drawn: Vec<f64>,
    /// With priors: the parameter streams of the last seed.
    pub(super) prior_stream: Option<(u64, PriorStream)>,
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
            line: vec![0.0; model.dyads.len()],
            treaty: vec![Treaty::NONE; model.dyads.len()],
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
    pub(super) fn draw_parameters(&mut self, model: &Model, seed: u64, run: u64, values: &mut [f64]) {
        let stream = match &mut self.prior_stream {
            Some((s, stream)) if *s == seed => stream,
            slot => &mut slot.insert((seed, PriorStream::new(seed))).1,
        };
        crate::model::prior::draw_run(model, stream, run, values);
    }

    pub(super) fn reset(&mut self, m: &Model) {
        self.strength.copy_from_slice(&m.strength);
        self.base_strength.copy_from_slice(&m.strength);
        self.begun.fill(NEVER);
        self.balance.fill(0.0);
        self.line.fill(0.0);
        self.treaty.fill(Treaty::NONE);
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
                // A truce at `start` is governed by a treaty without content (`treaties`).
                DyadStatus::Truce { .. } if m.mechanisms.treaties => self.treaty[d] = Treaty::plain(0),
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
    pub(super) fn perceive(&mut self, m: &Model, header: &[u32]) {
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
    pub(super) fn adopt(&mut self, m: &Model) {
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
    pub(super) fn write_state(&mut self, m: &Model, write: StateWrite) {
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
    pub(super) fn refresh_exposure(&mut self, q: usize) {
        let st = &mut self.pairs[q];
        st.exposure = st.contact_eff * st.ratio * st.perceived;
    }

    /// Pair `q` of `i → j`.
    #[inline(always)]
    pub(super) fn pair(&self, i: usize, j: usize) -> &PairState {
        &self.pairs[ordered(self.n, i, j)]
    }

    /// Pair `q` of `i → j`, mutably.
    #[inline(always)]
    pub(super) fn pair_mut(&mut self, i: usize, j: usize) -> &mut PairState {
        &mut self.pairs[ordered(self.n, i, j)]
    }

    /// Count `a` and `b` as allies (`true`) or no longer (`false`).
    pub(super) fn set_allied(&mut self, a: usize, b: usize, now: bool) {
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
    pub(super) fn refresh_all_strengths(&mut self) {
        let strength = &self.strength;
        for st in &mut self.pairs {
            st.ratio = strength[usize::from(st.seen)] / strength[usize::from(st.sees)];
            st.exposure = st.contact_eff * st.ratio * st.perceived;
        }
    }

    pub(super) fn refresh_strength(&mut self, i: usize) {
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

    pub(super) fn refresh_contact(&mut self, m: &Model, i: usize, j: usize) {
        let st = self.pair_mut(i, j);
        st.contact_eff = st.contact * m.openness[i] * m.openness[j];
        st.exposure = st.contact_eff * st.ratio * st.perceived;
    }

    /// The hostile acts of ordered pair `p` in the 64 months up to month `t`, as bit masks
    /// (bit 0 = month `t`, bit k = month `t − k`), the agents' and the scripted apart. The masks
    /// are shifted lazily, only when they are read or written.
    #[inline]
    pub(super) fn acts_window(&mut self, p: usize, t: u32) -> &mut ActMonths {
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

/// How many months of draws are copied out of ChaCha at once: as many as fit in 16 KiB (the
/// copy stays in the L1 cache), at least 1 and at most 64, and room for the run's header.
pub(super) fn months_per_fill(model: &Model) -> usize {
    let months = (16 * 1024 / (8 * model.schedule.words_per_month().max(1))).clamp(1, 64);
    months.max(
        model
            .schedule
            .header_words()
            .div_ceil(model.schedule.words_per_month().max(1)),
    )
}

/// Side of polity `i` in unordered pair `(a, b)`: 0 for `a`, 1 for `b`.
#[inline(always)]
pub(super) fn side(a: usize, i: usize) -> usize {
    usize::from(i != a)
}

/// Whether `x` and `k` are allies.
#[inline]
pub(super) fn allied(m: &Model, ws: &Workspace, x: usize, k: usize) -> bool {
    x != k && matches!(ws.status[m.dyad_of[x * m.n + k]], DyadStatus::Alliance)
}

/// Whether `x` and `k` are at war.
#[inline]
pub(super) fn at_war(m: &Model, ws: &Workspace, x: usize, k: usize) -> bool {
    x != k && matches!(ws.status[m.dyad_of[x * m.n + k]], DyadStatus::War { .. })
}
