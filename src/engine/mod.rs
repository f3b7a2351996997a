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
//! 4. every unordered pair takes its **decision** for its status (war onset from peace, talks
//!    at war, breach of a truce, alliance or vassalage from peace) from [`crate::model::hazard`], and
//!    the pairs at war at the end of it count a month at war (the onset month counts, the month
//!    of a truce does not). Most months each status has a quick exit on the raw draws that is
//!    exact (`Model::quiet_bound`, `DyadIndex::talks_bound`, `DyadIndex::breach_bound`);
//! 5. the observer sees the month's end.
//!
//! The engine allocates nothing per run: a [`Workspace`] is reused by each worker thread. What
//! a run leaves behind is its [`outcome`]; `trace` watches it through the [`chronicle`].

pub mod chronicle;
pub mod outcome;

use crate::engine::outcome::{Deed, RunOutcome, NEVER};
use crate::model::fear;
use crate::model::hazard::{self, WarMotive};
use crate::model::{CompiledEffect, DyadIndex, DyadStatus, Model};
use crate::rng::draws::{uniform, RunStream};
use crate::scenario::MAX_POLITIES;

/// The window over which `summary.json` counts hostile acts before an onset (the onset month
/// included), as HISTORY.md's third pattern does.
pub const ACTS_WINDOW_MONTHS: u32 = 36;
const ACTS_MASK: u64 = (1 << ACTS_WINDOW_MONTHS) - 1;
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
    /// `initiator` started a war on `target` (`breach`: by breaking a truce).
    WarBegins {
        initiator: usize,
        target: usize,
        breach: bool,
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
    /// `contact_eff · ratio`, the constant part of the threat (see [`fear::threat_exposed`]),
    /// refreshed whenever a contact or a strength changes.
    exposure: f64,
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
    acts_bits: Vec<u64>,
    status: Vec<DyadStatus>,
    fired: Vec<bool>,
    /// The outcome of the last run simulated in this workspace.
    pub outcome: RunOutcome,
}

impl Workspace {
    /// A workspace sized for `model`, which has at most [`MAX_POLITIES`] polities (as every
    /// validated scenario does; panics otherwise).
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
            acts_bits: vec![0; n * n],
            status: vec![DyadStatus::Peace; model.dyads.len()],
            fired: vec![false; model.events.len()],
            outcome: RunOutcome::new(model.dyads.len(), n),
        }
    }

    fn reset(&mut self, m: &Model) {
        self.strength.copy_from_slice(&m.strength);
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
        self.acts_bits.fill(0);
        self.acts_since.fill(0);
        self.status.copy_from_slice(&m.status);
        self.fired.fill(false);
        self.outcome.reset();
        self.wars.fill(0);
        for (d, s) in m.status.iter().enumerate() {
            if let DyadStatus::War { .. } = s {
                let (a, b) = m.dyads[d];
                self.wars[a] += 1;
                self.wars[b] += 1;
            }
        }
        for i in 0..n {
            self.refresh_strength(i);
            for j in (0..n).filter(|&j| j != i) {
                self.refresh_contact(m, i, j);
            }
        }
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

    fn refresh_strength(&mut self, i: usize) {
        let n = self.n;
        for j in (0..n).filter(|&j| j != i) {
            let ratio_ij = self.strength[j] / self.strength[i];
            let ratio_ji = self.strength[i] / self.strength[j];
            let ij = self.pair_mut(i, j);
            ij.ratio = ratio_ij;
            ij.exposure = ij.contact_eff * ij.ratio;
            let ji = self.pair_mut(j, i);
            ji.ratio = ratio_ji;
            ji.exposure = ji.contact_eff * ji.ratio;
        }
    }

    fn refresh_contact(&mut self, m: &Model, i: usize, j: usize) {
        let st = self.pair_mut(i, j);
        st.contact_eff = st.contact * m.openness[i] * m.openness[j];
        st.exposure = st.contact_eff * st.ratio;
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
}

/// Simulate run `run` of `model` under master seed `seed` into `ws.outcome`, telling `obs`
/// what happens. Returns the number of 64-bit ChaCha8 words drawn.
pub fn simulate<O: Observer>(model: &Model, seed: u64, run: u64, ws: &mut Workspace, obs: &mut O) -> u64 {
    ws.reset(model);
    let mut stream = RunStream::new(seed, run);
    // The draws are copied out of ChaCha several months at a time (`RunStream::fill_months`),
    // and lent to the month's steps beside the workspace.
    let stride = 2 * model.schedule.words_per_month();
    let per_fill = months_per_fill(model) as u32;
    let mut draws = std::mem::take(&mut ws.draws);
    let mut t = 0;
    while t < model.months {
        let batch = per_fill.min(model.months - t);
        let filled = &mut draws[..batch as usize * stride];
        stream.fill_months(filled);
        for month in filled.chunks_exact(stride) {
            scripted_events(model, ws, month, t, obs);
            fear_spiral(model, ws, month, t, obs);
            decisions(model, ws, month, t, obs);
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
/// copy stays in the L1 cache), at least 1 and at most 64.
fn months_per_fill(model: &Model) -> usize {
    (16 * 1024 / (8 * model.schedule.words_per_month().max(1))).clamp(1, 64)
}

fn scripted_events<O: Observer>(m: &Model, ws: &mut Workspace, draws: &[u32], t: u32, obs: &mut O) {
    for e in m.events_at(t).iter().map(|&e| e as usize) {
        if ws.fired[e] {
            continue;
        }
        let h = m.events[e].hazard(i64::from(t));
        if h <= 0.0 || uniform(draws[m.schedule.event(e)]) >= h {
            continue;
        }
        ws.fired[e] = true;
        obs.happening(t, Happening::Event { event: e });
        for effect in &m.events[e].effects {
            apply_effect(m, ws, t, effect, obs);
        }
    }
}

fn apply_effect<O: Observer>(m: &Model, ws: &mut Workspace, t: u32, effect: &CompiledEffect, obs: &mut O) {
    let live = |ws: &Workspace, a: usize, b: usize| ws.active[a] && ws.active[b];
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
        _ => {}
    }
}

fn cease<O: Observer>(m: &Model, ws: &mut Workspace, t: u32, x: usize, obs: &mut O) {
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
            ws.outcome.note(
                t,
                d,
                Deed::Ended {
                    side: side(a, x) as u8,
                },
            );
        }
        ws.status[d] = DyadStatus::Peace;
    }
    obs.happening(t, Happening::Ceased { polity: x });
}

impl Workspace {
    /// The hostile acts of ordered pair `p` in the 64 months up to month `t`, as a bit mask
    /// (bit 0 = month `t`, bit k = month `t − k`). The mask is shifted lazily, only when it is
    /// read or written.
    #[inline]
    fn acts_window(&mut self, p: usize, t: u32) -> &mut u64 {
        let age = t - self.acts_since[p];
        self.acts_bits[p] = if age >= ACTS_HISTORY_MONTHS {
            0
        } else {
            self.acts_bits[p] << age
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
    *ws.acts_window(actor * n + victim, t) |= 1;
    let d = m.dyad_of[actor * n + victim];
    let s = side(m.dyads[d].0, actor);
    ws.outcome.dyads[d].acts[s] += 1;
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

fn fear_spiral<O: Observer>(m: &Model, ws: &mut Workspace, draws: &[u32], t: u32, obs: &mut O) {
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
                // Most months at peace nothing can happen: fear below both thresholds and both
                // draws above any greed and tie probability (`Model::quiet_bound`). Check that
                // first, on the raw draws.
                if ws.pairs[q_ab].fear <= ix.war_threshold[0]
                    && ws.pairs[q_ba].fear <= ix.war_threshold[1]
                    && u64::from(raw_ab) >= ix.quiet_bound[0]
                    && u64::from(raw_ba) >= ix.quiet_bound[1]
                {
                    continue;
                }
                let (u_ab, u_ba) = (uniform(raw_ab), uniform(raw_ba));
                let h_ab = war_hazard(m, ws, a, b, ab, q_ab);
                let h_ba = war_hazard(m, ws, b, a, ba, q_ba);
                if let Some(first) = first_to_act(u_ab, h_ab, u_ba, h_ba) {
                    let (i, j) = if first == 0 { (a, b) } else { (b, a) };
                    begin_war(m, ws, t, d, i, j, false, obs);
                } else if m.mechanisms.alliances {
                    ties(m, ws, t, d, a, b, u_ab - h_ab, u_ba - h_ba, obs);
                }
            }
            DyadStatus::Alliance | DyadStatus::Vassal { .. } => {
                let exit = m.rules.alliance_exit_trust;
                if ws.pairs[q_ab].trust < exit || ws.pairs[q_ba].trust < exit {
                    ws.status[d] = DyadStatus::Peace;
                    ws.outcome.note(t, d, Deed::TieDissolved);
                    obs.happening(t, Happening::TieDissolved { a, b });
                }
            }
            DyadStatus::War { since, .. } => {
                let (raw_ab, raw_ba) = raws();
                // Most months at war neither side seeks talks: both draws lie above any talks
                // probability (`DyadIndex::talks_bound`).
                if m.mechanisms.truces
                    && (u64::from(raw_ab) < ix.talks_bound[0] || u64::from(raw_ba) < ix.talks_bound[1])
                {
                    let (u_ab, u_ba) = (uniform(raw_ab), uniform(raw_ba));
                    let months = t - since;
                    let [out_a, out_b] = ix.outmatched;
                    let p_a =
                        hazard::talks_hazard_outmatched(m.talk_propensity[a], months, ws.stability[a], out_a);
                    let p_b =
                        hazard::talks_hazard_outmatched(m.talk_propensity[b], months, ws.stability[b], out_b);
                    if let Some(first) = first_to_act(u_ab, p_a, u_ba, p_b) {
                        let (seeker, other) = if first == 0 { (a, b) } else { (b, a) };
                        let success =
                            hazard::talks_success(m.rules.talks_success, m.rigidity[a], m.rigidity[b]);
                        let truce = uniform(draws[m.schedule.talks(d)]) < success;
                        let out = &mut ws.outcome.dyads[d];
                        out.talks = out.talks.saturating_add(1);
                        if truce {
                            out.truces = out.truces.saturating_add(1);
                            ws.status[d] = DyadStatus::Truce { since: t };
                            ws.wars[a] -= 1;
                            ws.wars[b] -= 1;
                            let gain = m.rules.truce_trust_gain;
                            ws.pairs[q_ab].trust = (ws.pairs[q_ab].trust + gain).min(1.0);
                            ws.pairs[q_ba].trust = (ws.pairs[q_ba].trust + gain).min(1.0);
                        }
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
                            continue;
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
                        begin_war(m, ws, t, d, i, j, true, obs);
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

/// The war hazard of *i* on *j*; `p = i·n + j` indexes the model's pair matrices and `q` the
/// ordered pair.
#[inline(always)]
fn war_hazard(m: &Model, ws: &Workspace, i: usize, j: usize, p: usize, q: usize) -> f64 {
    let st = &ws.pairs[q];
    // Quick exit for the common case: fear below the threshold and no greed.
    if st.fear <= m.war_threshold[i] && m.greed[i] <= 0.0 {
        return 0.0;
    }
    let willing = if m.mechanisms.instability {
        ws.stability[i] / (1.0 + f64::from(ws.wars[i]))
    } else {
        1.0
    };
    let motive = WarMotive {
        fear: st.fear,
        threshold: m.war_threshold[i],
        propensity: m.war_propensity[i],
        greed: m.greed[i],
        advantage: hazard::advantage(
            ws.strength[i] * ws.mobilization[i],
            ws.strength[j] * ws.mobilization[j],
        ),
        contact: st.contact_eff,
        ready: if ws.mobilization[i] >= m.war_readiness[i] {
            1.0
        } else {
            0.0
        },
        unrestrained: m.unrestrained[p],
        willing,
    };
    hazard::war_hazard(&motive)
}

#[allow(clippy::too_many_arguments)]
fn begin_war<O: Observer>(
    m: &Model,
    ws: &mut Workspace,
    t: u32,
    d: usize,
    i: usize,
    j: usize,
    breach: bool,
    obs: &mut O,
) {
    let n = m.n;
    let (a, _) = m.dyads[d];
    let fear_before = ws.pair(i, j).fear;
    ws.status[d] = DyadStatus::War {
        initiator: i as u16,
        since: t,
    };
    ws.wars[i] += 1;
    ws.wars[j] += 1;
    let first = ws.outcome.dyads[d].first_onset == NEVER;
    let (x, y) = m.dyads[d];
    let history_xy = *ws.acts_window(x * n + y, t);
    let history_yx = *ws.acts_window(y * n + x, t);
    let acts_xy = (history_xy & ACTS_MASK).count_ones() as u8;
    let acts_yx = (history_yx & ACTS_MASK).count_ones() as u8;
    let out = &mut ws.outcome.dyads[d];
    out.wars = out.wars.saturating_add(1);
    // The onset month is a month at war.
    out.months_at_war += 1;
    if first {
        out.first_onset = t;
        out.initiator = side(a, i) as u8;
        out.acts_before_onset = [acts_xy, acts_yx];
        out.acts_history_at_onset = [history_xy, history_yx];
        out.mobilization_at_onset = [ws.mobilization[x] as f32, ws.mobilization[y] as f32];
    }
    ws.outcome.note(
        t,
        d,
        Deed::War {
            by: side(a, i) as u8,
            breach,
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
            fear: fear_before,
            mobilization: ws.mobilization[i],
        },
    );
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
    let n = m.n;
    for (i, j, rest) in [(a, b, rest_ab), (b, a, rest_ba)] {
        // Both tie probabilities are bounded by the propensities: skip the work when the draw
        // lies above that bound (most months).
        if rest >= m.alliance_propensity[i] + m.vassal_propensity[i] {
            continue;
        }
        let p = ordered(n, i, j);
        let mut ally = 0.0;
        if m.alliance_propensity[i] > 0.0 && ws.pairs[p].contact_eff > 0.0 {
            let mut common: f64 = 0.0;
            for k in 0..n {
                if k != i && k != j && ws.active[k] {
                    common = common.max(ws.pair(i, k).fear.min(ws.pair(j, k).fear));
                }
            }
            ally = hazard::alliance_hazard(m.alliance_propensity[i], common, ws.pairs[p].trust);
        }
        if rest < ally {
            ws.status[d] = DyadStatus::Alliance;
            ws.outcome.dyads[d].alliance_formed = true;
            ws.outcome.note(t, d, Deed::Alliance);
            obs.happening(t, Happening::AllianceFormed { a, b });
            return;
        }
        let vassal = if ws.pairs[p].contact_eff > 0.0 {
            hazard::vassal_hazard(
                m.vassal_propensity[i],
                ws.pairs[p].fear,
                m.rigidity[i],
                ws.strength[i],
                ws.strength[j],
            )
        } else {
            0.0
        };
        if rest - ally < vassal {
            ws.status[d] = DyadStatus::Vassal { lord: j as u16 };
            ws.outcome.dyads[d].vassal_lord = 1 + side(a, j) as u8;
            ws.outcome.note(
                t,
                d,
                Deed::Vassal {
                    lord: side(a, j) as u8,
                },
            );
            obs.happening(t, Happening::VassalAccepted { vassal: i, lord: j });
            return;
        }
    }
}
