//! Streaming aggregation: integer counts of run outcomes.
//!
//! Runs are folded into a [`Tally`] as they finish; the raw runs are never kept, so memory does
//! not grow with the number of runs. All fields are integers (mobilization is summed in
//! millionths), so merging tallies in any order gives the same totals: results do not depend on
//! the thread count or on how runs were split.

use serde::{Deserialize, Serialize};

use crate::engine::outcome::{Acts, Deed, DyadOutcome, RunOutcome, NEVER};
use crate::engine::ACTS_WINDOW_MONTHS;

/// Kinds of happening counted by year ([`Deed::KINDS`]).
pub const KINDS: usize = Deed::KINDS.len();
use crate::model::Model;

/// Mobilization at onset is summed in units of 10⁻⁶.
pub const MOBILIZATION_UNIT: f64 = 1e-6;
/// A side counts as fully mobilized at onset from this level up.
pub const FULLY_MOBILIZED: f32 = 0.99;

/// Counts for one unordered pair `a < b` (side 0 = a, side 1 = b).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DyadTally {
    /// Runs with a war onset in the pair by the end.
    pub war_runs: u64,
    /// First onsets by month offset.
    pub onsets_by_month: Vec<u64>,
    /// First onsets started by each side.
    pub initiator: [u64; 2],
    /// First onsets by month offset and by the side that started them.
    pub initiator_by_month: Vec<[u64; 2]>,
    /// First onsets where the target's months with hostile acts in the 36 months before
    /// outnumbered the initiator's, all acts counted (the initiator had been provoked more
    /// than it provoked: [`DyadOutcome::provoked_first`]`(All)`).
    pub provoked_first: u64,
    /// The same with the agents' own acts only ([`DyadOutcome::provoked_first`]`(Agents)`).
    pub provoked_first_agents: u64,
    /// First onsets whose answer the scripted acts decide: `[0]` provoked first with all acts
    /// but not with the agents' own only, `[1]` the reverse. So
    /// `provoked_first = provoked_first_agents + [0] − [1]`.
    pub provoked_first_by_scripted: [u64; 2],
    /// Months with hostile acts of each side in the 36 months before the first onset (all
    /// acts), summed over runs.
    pub acts_before_onset: [u64; 2],
    /// The same with the agents' own acts only.
    pub agent_acts_before_onset: [u64; 2],
    /// The same with the scripted acts only.
    pub scripted_acts_before_onset: [u64; 2],
    /// Hostile acts of each side over whole runs (all acts).
    pub acts: [u64; 2],
    /// The scripted ones among `acts`.
    pub scripted_acts: [u64; 2],
    /// Mobilization of each side at first onset, summed in millionths.
    pub mobilization_at_onset: [u64; 2],
    /// First onsets at which each side was not fully mobilized.
    pub unready_at_onset: [u64; 2],
    /// Wars begun (first onsets and breaches).
    pub wars: u64,
    /// Months at war.
    pub months_at_war: u64,
    /// Talks opened.
    pub talks: u64,
    /// Truces concluded.
    pub truces: u64,
    /// Truces broken.
    pub truces_broken: u64,
    /// Runs in which each side became the other's lord.
    pub vassal_lord: [u64; 2],
    /// Runs in which the pair allied.
    pub alliance_runs: u64,
    /// Runs in which each kind of happening ([`Deed::KINDS`]) came at least once in a year:
    /// `by_year[(year · KINDS + kind) · 3 + who]`, `who` 0 or 1 for the side that acted, 2 for
    /// either side (or for a kind without an actor). Years count from the start's year.
    /// Absent from files of earlier versions.
    #[serde(default)]
    pub by_year: Vec<u64>,
    /// Happenings of each kind by the side that acted (2: kinds without an actor), summed over
    /// runs: `acted[kind · 3 + who]`. Absent from files of earlier versions.
    #[serde(default)]
    pub acted: Vec<u64>,
    /// How the wars begun in the run ended: by a truce, by a side's end, or not at all (still
    /// under way at the end). Absent from files of earlier versions.
    #[serde(default)]
    pub endings: [u64; 3],
    /// Wars begun in the run that ended in a side's capitulation (Model 2; a capitulation that
    /// ends a conquerable side as a state counts here, not as a state's end). Absent from
    /// files of earlier versions.
    #[serde(default)]
    pub capitulations: u64,
}

/// Counts over a batch of runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Runs folded in.
    pub runs: u64,
    /// Per unordered pair.
    pub dyads: Vec<DyadTally>,
    /// Per polity: runs in which it ceased to exist.
    pub ceased: Vec<u64>,
    /// The start's month of the year (0 = January): happenings are counted by calendar year.
    #[serde(default)]
    pub first_month: u32,
    /// Calendar years the span touches.
    #[serde(default)]
    pub years: u32,
}

impl DyadTally {
    /// Count who provoked first at the first onset of `o` (which has one), with all acts and
    /// with the agents' own only, and whether the scripted acts decided it.
    fn add_provoked(&mut self, o: &DyadOutcome) {
        let (all, agents) = (o.provoked_first(Acts::All), o.provoked_first(Acts::Agents));
        self.provoked_first += u64::from(all);
        self.provoked_first_agents += u64::from(agents);
        self.provoked_first_by_scripted[0] += u64::from(all && !agents);
        self.provoked_first_by_scripted[1] += u64::from(agents && !all);
    }
}

impl Tally {
    /// An empty tally for `model`.
    pub fn new(model: &Model) -> Tally {
        let months = model.months as usize;
        let first_month = model.start.month_of_year() - 1;
        let years = (first_month + model.months.max(1) - 1) / 12 + 1;
        Tally {
            runs: 0,
            dyads: (0..model.dyads.len())
                .map(|_| DyadTally {
                    war_runs: 0,
                    onsets_by_month: vec![0; months],
                    initiator: [0; 2],
                    initiator_by_month: vec![[0; 2]; months],
                    provoked_first: 0,
                    provoked_first_agents: 0,
                    provoked_first_by_scripted: [0; 2],
                    acts_before_onset: [0; 2],
                    agent_acts_before_onset: [0; 2],
                    scripted_acts_before_onset: [0; 2],
                    acts: [0; 2],
                    scripted_acts: [0; 2],
                    mobilization_at_onset: [0; 2],
                    unready_at_onset: [0; 2],
                    wars: 0,
                    months_at_war: 0,
                    talks: 0,
                    truces: 0,
                    truces_broken: 0,
                    vassal_lord: [0; 2],
                    alliance_runs: 0,
                    by_year: vec![0; years as usize * KINDS * 3],
                    acted: vec![0; KINDS * 3],
                    endings: [0; 3],
                    capitulations: 0,
                })
                .collect(),
            ceased: vec![0; model.n],
            first_month,
            years,
        }
    }

    /// Fold one run in.
    pub fn add(&mut self, run: &RunOutcome) {
        self.runs += 1;
        for (t, o) in self.dyads.iter_mut().zip(&run.dyads) {
            if o.first_onset != NEVER {
                let s = o.initiator as usize;
                t.war_runs += 1;
                t.onsets_by_month[o.first_onset as usize] += 1;
                t.initiator[s] += 1;
                t.initiator_by_month[o.first_onset as usize][s] += 1;
                t.add_provoked(o);
                for k in 0..2 {
                    let before = |acts| u64::from(o.acts_before_onset(k, acts, ACTS_WINDOW_MONTHS));
                    t.acts_before_onset[k] += before(Acts::All);
                    t.agent_acts_before_onset[k] += before(Acts::Agents);
                    t.scripted_acts_before_onset[k] += before(Acts::Scripted);
                    let m = f64::from(o.mobilization_at_onset[k]).clamp(0.0, 1.0);
                    t.mobilization_at_onset[k] += (m / MOBILIZATION_UNIT).round() as u64;
                    if o.mobilization_at_onset[k] < FULLY_MOBILIZED {
                        t.unready_at_onset[k] += 1;
                    }
                }
            }
            for k in 0..2 {
                t.acts[k] += u64::from(o.acts_in_run(k, Acts::All));
                t.scripted_acts[k] += u64::from(o.acts_in_run(k, Acts::Scripted));
            }
            t.wars += u64::from(o.wars);
            t.months_at_war += u64::from(o.months_at_war);
            t.talks += u64::from(o.talks);
            t.truces += u64::from(o.truces);
            t.truces_broken += u64::from(o.truces_broken);
            if o.vassal_lord > 0 {
                t.vassal_lord[usize::from(o.vassal_lord - 1)] += 1;
            }
            t.alliance_runs += u64::from(o.alliance_formed);
        }
        for (c, &m) in self.ceased.iter_mut().zip(&run.ceased) {
            *c += u64::from(m != NEVER);
        }
        self.add_record(run);
    }

    /// Fold in the run's record: happenings by year (once per run, kind, year and actor) and
    /// by actor, and how each war ended.
    fn add_record(&mut self, run: &RunOutcome) {
        // Which (pair, kind · 3 + who) were already counted in the current year: the record is
        // in order, so a set cleared at each new year tells a first happening from a repeat.
        let mut seen = Seen::new(self.dyads.len());
        let mut current = usize::MAX;
        for h in &run.record {
            let y = ((self.first_month + h.month) / 12) as usize;
            if y != current {
                seen.clear();
                current = y;
            }
            let d = usize::from(h.dyad);
            let Some(t) = self.dyads.get_mut(d) else { continue };
            // Its kind, its actor, and a second kind it also is (a breach is a war, a truce
            // is talks): see `Deed::KINDS`.
            let (kind, by, also) = match h.deed {
                Deed::War { by, breach, joined } => (0, Some(by), [breach.then_some(1), joined.then_some(9)]),
                Deed::Talks { by, truce } => (2, Some(by), [truce.then_some(3), None]),
                Deed::Ended { side } => (4, Some(side), [None; 2]),
                Deed::Peace => (5, None, [None; 2]),
                Deed::Alliance => (6, None, [None; 2]),
                Deed::Vassal { lord } => (7, Some(lord), [None; 2]),
                Deed::TieDissolved => (8, None, [None; 2]),
                Deed::WarPlan { by } => (10, Some(by), [None; 2]),
                Deed::Capitulation { side } => (11, Some(side), [None; 2]),
                Deed::Terms { winner, .. } => (12, Some(winner), [None; 2]),
            };
            let who = by.map_or(2, usize::from);
            for kind in std::iter::once(kind).chain(also.into_iter().flatten()) {
                t.acted[kind * 3 + who] += 1;
                let base = (y * KINDS + kind) * 3;
                if base + 2 >= t.by_year.len() {
                    continue;
                }
                if who != 2 && seen.first(d, kind * 3 + who) {
                    t.by_year[base + who] += 1;
                }
                if seen.first(d, kind * 3 + 2) {
                    t.by_year[base + 2] += 1;
                }
            }
            match h.deed {
                Deed::Talks { truce: true, .. } => t.endings[0] += 1,
                Deed::Ended { .. } => t.endings[1] += 1,
                Deed::Capitulation { .. } => t.capitulations += 1,
                _ => {}
            }
        }
        for (t, o) in self.dyads.iter_mut().zip(&run.dyads) {
            t.endings[2] += u64::from(o.war_at_end);
        }
    }

    /// Whether this tally has the shape of `model`'s (its pairs, months and polities): a tally
    /// read from a file must fit before it is merged or reported.
    pub fn fits(&self, model: &Model) -> bool {
        let months = model.months as usize;
        self.dyads.len() == model.dyads.len()
            && self.ceased.len() == model.n
            && self.years == Tally::new(model).years
            && self.dyads.iter().all(|d| {
                d.onsets_by_month.len() == months
                    && d.initiator_by_month.len() == months
                    && d.by_year.len() == self.years as usize * KINDS * 3
                    && d.acted.len() == KINDS * 3
            })
    }

    /// Check that this tally, read from a file, can be the counts of exactly `runs` runs of
    /// `model`: its shape ([`Tally::fits`]) and every invariant [`Tally::add`] keeps, so that a
    /// hand edit that makes the counts impossible (more wars than runs, onsets by month that do
    /// not add up to the runs at war, …) is refused. `Err` names the first field that is wrong,
    /// by its path in the file's `counts`.
    pub fn verify(&self, model: &Model, runs: u64) -> Result<(), String> {
        let need = |ok: bool, what: &dyn Fn() -> String| if ok { Ok(()) } else { Err(what()) };
        need(self.fits(model), &|| {
            "its pairs, months, polities or years are not those of the scenario".into()
        })?;
        need(self.first_month == model.start.month_of_year() - 1, &|| {
            format!("first_month {} is not the scenario's", self.first_month)
        })?;
        need(self.runs == runs, &|| {
            format!("runs {} where {runs} runs are done", self.runs)
        })?;
        for (i, &c) in self.ceased.iter().enumerate() {
            need(c <= runs, &|| format!("ceased[{i}] {c} is above runs {runs}"))?;
        }
        // Kinds of happening whose totals the record also counts as endings.
        const TRUCE: usize = 3;
        const ENDED: usize = 4;
        const CAPITULATION: usize = 11;
        for (d, t) in self.dyads.iter().enumerate() {
            let at = |field: &str| format!("dyads[{d}].{field}");
            let wr = t.war_runs;
            need(wr <= runs, &|| {
                format!("{} {wr} is above runs {runs}", at("war_runs"))
            })?;
            let sum: u128 = t.onsets_by_month.iter().map(|&x| u128::from(x)).sum();
            need(sum == u128::from(wr), &|| {
                format!("{} add up to {sum}, not war_runs {wr}", at("onsets_by_month"))
            })?;
            let sides = u128::from(t.initiator[0]) + u128::from(t.initiator[1]);
            need(sides == u128::from(wr), &|| {
                format!("{} add up to {sides}, not war_runs {wr}", at("initiator"))
            })?;
            let mut by_side = [0u128; 2];
            for (m, (pair, &total)) in t.initiator_by_month.iter().zip(&t.onsets_by_month).enumerate() {
                let both = u128::from(pair[0]) + u128::from(pair[1]);
                need(both == u128::from(total), &|| {
                    format!(
                        "{}[{m}] adds up to {both}, not onsets_by_month[{m}] {total}",
                        at("initiator_by_month")
                    )
                })?;
                by_side[0] += u128::from(pair[0]);
                by_side[1] += u128::from(pair[1]);
            }
            for (k, &sum) in by_side.iter().enumerate() {
                need(sum == u128::from(t.initiator[k]), &|| {
                    format!(
                        "{} of side {k} add up to {sum}, not initiator[{k}] {}",
                        at("initiator_by_month"),
                        t.initiator[k]
                    )
                })?;
                need(t.unready_at_onset[k] <= wr, &|| {
                    format!(
                        "{}[{k}] {} is above war_runs {wr}",
                        at("unready_at_onset"),
                        t.unready_at_onset[k]
                    )
                })?;
                let most = u128::from(wr) * (1.0 / MOBILIZATION_UNIT).round() as u128;
                need(u128::from(t.mobilization_at_onset[k]) <= most, &|| {
                    format!(
                        "{}[{k}] {} is above full mobilization in all {wr} onsets",
                        at("mobilization_at_onset"),
                        t.mobilization_at_onset[k]
                    )
                })?;
                let (all, agents, scripted) = (
                    u128::from(t.acts_before_onset[k]),
                    u128::from(t.agent_acts_before_onset[k]),
                    u128::from(t.scripted_acts_before_onset[k]),
                );
                for (field, n) in [
                    ("acts_before_onset", all),
                    ("agent_acts_before_onset", agents),
                    ("scripted_acts_before_onset", scripted),
                ] {
                    need(n <= u128::from(wr) * u128::from(ACTS_WINDOW_MONTHS), &|| {
                        format!(
                            "{}[{k}] {n} is more than {ACTS_WINDOW_MONTHS} months with acts in each of {wr} onsets",
                            at(field)
                        )
                    })?;
                }
                // A month with acts of either kind counts once among all acts.
                need(
                    agents <= all && scripted <= all && all <= agents + scripted,
                    &|| {
                        format!(
                        "{}[{k}] {all} is not between the larger and the sum of its agents' ({agents}) and scripted ({scripted}) parts",
                        at("acts_before_onset")
                    )
                    },
                )?;
                need(t.scripted_acts[k] <= t.acts[k], &|| {
                    format!(
                        "{}[{k}] {} is above acts[{k}] {}",
                        at("scripted_acts"),
                        t.scripted_acts[k],
                        t.acts[k]
                    )
                })?;
            }
            for (field, n) in [
                ("provoked_first", t.provoked_first),
                ("provoked_first_agents", t.provoked_first_agents),
            ] {
                need(n <= wr, &|| format!("{} {n} is above war_runs {wr}", at(field)))?;
            }
            let [gained, lost] = t.provoked_first_by_scripted;
            need(
                gained <= t.provoked_first
                    && lost <= t.provoked_first_agents
                    && u128::from(t.provoked_first) + u128::from(lost)
                        == u128::from(t.provoked_first_agents) + u128::from(gained),
                &|| {
                    format!(
                        "{} [{gained}, {lost}] does not take provoked_first_agents {} to provoked_first {}",
                        at("provoked_first_by_scripted"),
                        t.provoked_first_agents,
                        t.provoked_first
                    )
                },
            )?;
            let lords = u128::from(t.vassal_lord[0]) + u128::from(t.vassal_lord[1]);
            need(lords <= u128::from(runs), &|| {
                format!("{} add up to {lords}, above runs {runs}", at("vassal_lord"))
            })?;
            need(t.alliance_runs <= runs, &|| {
                format!("{} {} is above runs {runs}", at("alliance_runs"), t.alliance_runs)
            })?;
            need(t.endings[2] <= runs, &|| {
                format!("{}[2] {} is above runs {runs}", at("endings"), t.endings[2])
            })?;
            // Happenings by year: once per run, year, kind and actor; a year counted for an
            // actor is counted for either side too; and each needs a happening of its kind.
            let mut years_of = vec![0u128; KINDS * 3];
            for (y, row) in t.by_year.chunks(KINDS * 3).enumerate() {
                for kind in 0..KINDS {
                    let slot = &row[kind * 3..kind * 3 + 3];
                    for (who, &n) in slot.iter().enumerate() {
                        need(n <= runs, &|| {
                            format!(
                                "{}[{}] {n} is above runs {runs}",
                                at("by_year"),
                                (y * KINDS + kind) * 3 + who
                            )
                        })?;
                        years_of[kind * 3 + who] += u128::from(n);
                    }
                    need(slot[0] <= slot[2] && slot[1] <= slot[2], &|| {
                        format!(
                            "{}[{}..{}]: a side's count is above either side's",
                            at("by_year"),
                            (y * KINDS + kind) * 3,
                            (y * KINDS + kind) * 3 + 3
                        )
                    })?;
                }
            }
            for kind in 0..KINDS {
                let acted = |who: usize| u128::from(t.acted[kind * 3 + who]);
                for who in 0..2 {
                    need(years_of[kind * 3 + who] <= acted(who), &|| {
                        format!(
                            "{}: years with `{}` by side {who} outnumber its happenings",
                            at("by_year"),
                            Deed::KINDS[kind]
                        )
                    })?;
                }
                need(years_of[kind * 3 + 2] <= acted(0) + acted(1) + acted(2), &|| {
                    format!(
                        "{}: years with `{}` outnumber its happenings",
                        at("by_year"),
                        Deed::KINDS[kind]
                    )
                })?;
            }
            let all = |kind: usize| (0..3).map(|w| u128::from(t.acted[kind * 3 + w])).sum::<u128>();
            for (e, kind) in [(0, TRUCE), (1, ENDED)] {
                need(u128::from(t.endings[e]) == all(kind), &|| {
                    format!(
                        "{}[{e}] {} is not the number of `{}` happenings",
                        at("endings"),
                        t.endings[e],
                        Deed::KINDS[kind]
                    )
                })?;
            }
            need(u128::from(t.capitulations) == all(CAPITULATION), &|| {
                format!(
                    "{} {} is not the number of `capitulation` happenings",
                    at("capitulations"),
                    t.capitulations
                )
            })?;
        }
        Ok(())
    }

    /// Add another tally of the same model.
    pub fn merge(&mut self, other: &Tally) {
        self.runs += other.runs;
        for (t, o) in self.dyads.iter_mut().zip(&other.dyads) {
            t.war_runs += o.war_runs;
            for (x, y) in t.onsets_by_month.iter_mut().zip(&o.onsets_by_month) {
                *x += y;
            }
            for (x, y) in t.initiator_by_month.iter_mut().zip(&o.initiator_by_month) {
                x[0] += y[0];
                x[1] += y[1];
            }
            for k in 0..2 {
                t.initiator[k] += o.initiator[k];
                t.acts_before_onset[k] += o.acts_before_onset[k];
                t.agent_acts_before_onset[k] += o.agent_acts_before_onset[k];
                t.scripted_acts_before_onset[k] += o.scripted_acts_before_onset[k];
                t.acts[k] += o.acts[k];
                t.scripted_acts[k] += o.scripted_acts[k];
                t.provoked_first_by_scripted[k] += o.provoked_first_by_scripted[k];
                t.mobilization_at_onset[k] += o.mobilization_at_onset[k];
                t.unready_at_onset[k] += o.unready_at_onset[k];
                t.vassal_lord[k] += o.vassal_lord[k];
            }
            t.provoked_first += o.provoked_first;
            t.provoked_first_agents += o.provoked_first_agents;
            t.wars += o.wars;
            t.months_at_war += o.months_at_war;
            t.talks += o.talks;
            t.truces += o.truces;
            t.truces_broken += o.truces_broken;
            t.alliance_runs += o.alliance_runs;
            for (x, y) in t.by_year.iter_mut().zip(&o.by_year) {
                *x += y;
            }
            for (x, y) in t.acted.iter_mut().zip(&o.acted) {
                *x += y;
            }
            t.capitulations += o.capitulations;
            for k in 0..3 {
                t.endings[k] += o.endings[k];
            }
        }
        for (c, o) in self.ceased.iter_mut().zip(&other.ceased) {
            *c += o;
        }
    }
}

/// A set of (pair, slot) keys, `slot < 3 · KINDS`: a bit set on the stack for scenarios of up
/// to 26 pairs (7 polities), beyond that a bit set borrowed from the worker thread's reusable
/// buffer ([`LARGE_SEEN`]), so that no run allocates (the buffer grows once per thread). Only
/// the words touched since the last clear are cleared.
struct Seen {
    bits: [u64; 16],
    words: usize,
}

thread_local! {
    /// The bit set and the touched words of [`Seen`] for large scenarios, kept per thread.
    static LARGE_SEEN: std::cell::RefCell<(Vec<u64>, Vec<u32>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

impl Seen {
    fn new(dyads: usize) -> Seen {
        let keys = dyads * 3 * KINDS;
        let words = keys.div_ceil(64);
        if words > 16 {
            LARGE_SEEN.with(|cell| {
                let (bits, touched) = &mut *cell.borrow_mut();
                if bits.len() < words {
                    bits.resize(words, 0);
                }
                for &w in touched.iter() {
                    bits[w as usize] = 0;
                }
                touched.clear();
            });
        }
        Seen { bits: [0; 16], words }
    }

    fn clear(&mut self) {
        if self.words <= 16 {
            self.bits[..self.words].fill(0);
            return;
        }
        LARGE_SEEN.with(|cell| {
            let (bits, touched) = &mut *cell.borrow_mut();
            for &w in touched.iter() {
                bits[w as usize] = 0;
            }
            touched.clear();
        });
    }

    /// Whether (`d`, `slot`) is new; it is in the set afterwards.
    fn first(&mut self, d: usize, slot: usize) -> bool {
        let key = d * 3 * KINDS + slot;
        let (w, bit) = (key / 64, 1u64 << (key % 64));
        if self.words <= 16 {
            let new = self.bits[w] & bit == 0;
            self.bits[w] |= bit;
            return new;
        }
        LARGE_SEEN.with(|cell| {
            let (bits, touched) = &mut *cell.borrow_mut();
            let new = bits[w] & bit == 0;
            if bits[w] == 0 {
                touched.push(w as u32);
            }
            bits[w] |= bit;
            new
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// `Seen` is a set of (pair, slot) keys, cleared by `clear` and by a new `Seen`, on the stack
    /// and in the thread's buffer alike (10 pairs; 1,000 pairs).
    #[test]
    fn seen_is_a_set_that_clears() {
        for dyads in [10usize, 1000] {
            let slots = 3 * KINDS;
            let keys: Vec<(usize, usize)> = (0..5000)
                .map(|k: usize| ((k * 7919) % dyads, (k * 104_729) % slots))
                .collect();
            for round in 0..3 {
                let mut seen = Seen::new(dyads);
                let mut model = HashSet::new();
                for (k, &(d, slot)) in keys.iter().enumerate() {
                    if k % 1700 == 0 {
                        seen.clear();
                        model.clear();
                    }
                    assert_eq!(
                        seen.first(d, slot),
                        model.insert((d, slot)),
                        "{dyads} pairs, round {round}, key {k}"
                    );
                }
            }
        }
    }
}
