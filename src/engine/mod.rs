//! One stochastic history: the monthly loop of the model.
//!
//! A run is a pure function of (model, seed, run index): it draws only from
//! [`RunStream::new(seed, run)`](crate::rng::draws::RunStream), on the fixed schedule of
//! [`crate::rng::draws`]. Each month, in this order ([`simulate`] and its month loop are in
//! this file; each step has a file of its own):
//!
//! 1. **scripted events** whose window contains the month may fire (their effects apply now;
//!    fear shocks enter this month's fear update) — `events.rs`;
//! 2. every ordered pair with a positive provocation rate, not at war, may commit a **hostile
//!    act**: the victim's trust in the actor drops and it takes a fear shock — `fear_spiral.rs`;
//! 3. for every active ordered pair *i → j*: *i*'s trust in *j* recovers toward its initial
//!    level, then the **fear spiral** of [`crate::model::fear`] updates `fear_ij` from last month's
//!    mobilization (a synchronous update: the order of pairs never matters); then every polity
//!    moves its **mobilization** toward `min(1, Σ_j fear_ij)` — `fear_spiral.rs`;
//! 4. every unordered pair takes its **decision** for its status (from peace: a war plan carried
//!    out, a war onset, a war plan adopted, or an alliance or vassalage by consent; at war:
//!    capitulation or talks; in a truce: a breach) from [`crate::model::hazard`] and
//!    [`crate::model::war`]; an attacked polity's allies decide whether to join; the pairs at war
//!    at the end of it count a month at war (the onset month counts, the month of a truce does
//!    not). Most months each status has a quick exit on the raw draws that is exact
//!    (`Model::quiet_bound`, `DyadIndex::talks_bound`, `DyadIndex::breach_bound`) —
//!    `decisions.rs` (the month's decisions, and those at peace), `onset.rs` (a war begins,
//!    allies join), `settlement.rs` (at war: capitulation, talks, terms), `truce.rs` (in a
//!    truce: a breach, or peace), `ties.rs` (alliances and vassal ties);
//! 5. **war as a process** (`war_process`): every pair at war fights the month's contest, which
//!    moves its balance and costs strength and stability; misperceptions shrink at war; war
//!    losses heal toward each polity's base strength — `war_process.rs`;
//! 6. the observer sees the month's end.
//!
//! Before the first month a run draws its header (each pair's misperception), and runs its
//! warm-up months (acts, fears and mobilization only; nothing is counted).
//!
//! The engine allocates nothing per run: a [`Workspace`] (`workspace.rs`) is reused by each
//! worker thread. What a run leaves behind is its [`outcome`]; `trace` watches it through the
//! [`chronicle`].

mod bargaining;
pub mod chronicle;
mod decisions;
mod events;
mod fear_spiral;
mod onset;
pub mod outcome;
mod settlement;
mod ties;
mod treaty;
mod truce;
mod war_process;
mod workspace;

pub use events::conditional_hazard;
pub use workspace::Workspace;

use crate::engine::outcome::ActMonths;
use crate::model::{DyadStatus, Model};
use crate::rng::draws::RunStream;
use decisions::decisions;
use events::scripted_events;
use fear_spiral::fear_spiral;
use war_process::war_process;
use workspace::months_per_fill;

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
    /// Bargained talks (`bargaining`): `seeker` demanded of `other` the treaty line `line` (from
    /// its own side), with `other` as its junior if `junior`; the terms beat `other`'s value of
    /// fighting on by `surplus`.
    Offer {
        seeker: usize,
        other: usize,
        line: f64,
        junior: bool,
        surplus: f64,
    },
    /// The terms of a bargained settlement: the line moved toward `gainer`, and `loser` cedes
    /// (or owes) `share` of its base strength; `lord`, if any, took the other side as its junior.
    Settled {
        gainer: usize,
        loser: usize,
        share: f64,
        lord: Option<usize>,
    },
    /// `from` handed over to `to` the cession of `share` of its base strength that a treaty
    /// made it owe (`treaties`).
    CessionHanded { from: usize, to: usize, share: f64 },
    /// `debtor` withheld the cession it owed `creditor` under their treaty (`treaties`).
    Default { debtor: usize, creditor: usize },
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
