//! What one run leaves behind: the outcomes MODEL.md asks to record, per pair and per polity.
//!
//! A [`RunOutcome`] is overwritten by every run of a worker thread (no allocation per run) and
//! folded at once into a [`crate::batch::tally::Tally`]; raw runs are never kept.
//!
//! Besides the per-pair summaries it keeps the run's **record**: every war begun, every talks
//! opened (and whether they ended the war in a truce), every war ended by a state's end, every
//! truce that became peace, every tie formed or dissolved, in the order they happened. The
//! record is a list reused from run to run (its memory is kept), bounded by [`MAX_RECORD`]
//! happenings; a run with more keeps the first ones and is marked ([`RunOutcome::overflow`]).

use serde::{Deserialize, Serialize};

/// "Never" for month offsets.
pub const NEVER: u32 = u32::MAX;

/// Outcome of one unordered pair `a < b` in one run. Side 0 is `a`, side 1 is `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DyadOutcome {
    /// Month offset of the first war onset in the run, or [`NEVER`].
    pub first_onset: u32,
    /// Side (0 = a, 1 = b) that started the first war.
    pub initiator: u8,
    /// The months with hostile acts of each side against the other in the 64 months up to the
    /// first onset, the agents' own acts and the scripted ones apart (see [`ActMonths`]).
    /// What `summary.json`, the patterns and `attribute` count of it is
    /// [`DyadOutcome::acts_before_onset`].
    pub acts_history_at_onset: [ActMonths; 2],
    /// Mobilization of each side at the first onset.
    pub mobilization_at_onset: [f32; 2],
    /// Hostile acts of each side against the other over the whole run, all of them (agents'
    /// own and scripted).
    pub acts: [u32; 2],
    /// The scripted ones among [`DyadOutcome::acts`] (from events' `HostileAct` effects).
    pub scripted_acts: [u32; 2],
    /// Wars begun in the pair during the run (however begun: decisions, war plans, breaches,
    /// allies joining).
    pub wars: u16,
    /// Months the pair spent at war.
    pub months_at_war: u32,
    /// Talks opened.
    pub talks: u16,
    /// Truces concluded.
    pub truces: u16,
    /// Truces broken.
    pub truces_broken: u16,
    /// 0: never a vassal tie; 1 + side: the side that became lord.
    pub vassal_lord: u8,
    /// Whether an alliance formed during the run.
    pub alliance_formed: bool,
    /// Whether the pair was at war at the end of the run.
    pub war_at_end: bool,
}

impl DyadOutcome {
    /// The outcome of a pair before anything happened.
    pub const EMPTY: DyadOutcome = DyadOutcome {
        first_onset: NEVER,
        initiator: 0,
        acts_history_at_onset: [ActMonths::NONE; 2],
        mobilization_at_onset: [0.0; 2],
        acts: [0; 2],
        scripted_acts: [0; 2],
        wars: 0,
        months_at_war: 0,
        talks: 0,
        truces: 0,
        truces_broken: 0,
        vassal_lord: 0,
        alliance_formed: false,
        war_at_end: false,
    };

    /// Months with hostile acts of side `side` against the other, of the kind `acts`, among
    /// the `months` months up to and including the first onset (`months` in 1 ..= 64; 0 without
    /// an onset). The one count of acts before an onset: `summary.json`, `attribute`, `trace`
    /// and [`Rule::ActsExceed`](crate::patterns::Rule::ActsExceed) all read it.
    #[inline]
    pub fn acts_before_onset(&self, side: usize, acts: Acts, months: u32) -> u32 {
        if self.first_onset == NEVER {
            return 0;
        }
        (self.acts_history_at_onset[side].of(acts) & ActMonths::window(months)).count_ones()
    }

    /// Whether side `actor` had more months with hostile acts of the kind `acts` than the
    /// other side in the `months` months up to the first onset (false without an onset; a tie
    /// is not more).
    #[inline]
    pub fn acts_exceed(&self, actor: usize, acts: Acts, months: u32) -> bool {
        self.first_onset != NEVER
            && self.acts_before_onset(actor, acts, months) > self.acts_before_onset(1 - actor, acts, months)
    }

    /// Whether the first onset was **provoked first** with acts of the kind `acts`: the target
    /// had more months with hostile acts against the initiator than the initiator against the
    /// target in the [`ACTS_WINDOW_MONTHS`](crate::engine::ACTS_WINDOW_MONTHS) months up to it
    /// (false without an onset).
    #[inline]
    pub fn provoked_first(&self, acts: Acts) -> bool {
        let target = 1 - usize::from(self.initiator.min(1));
        self.acts_exceed(target, acts, crate::engine::ACTS_WINDOW_MONTHS)
    }

    /// Hostile acts of side `side` against the other of the kind `acts` over the whole run.
    #[inline]
    pub fn acts_in_run(&self, side: usize, acts: Acts) -> u32 {
        match acts {
            Acts::All => self.acts[side],
            Acts::Agents => self.acts[side] - self.scripted_acts[side],
            Acts::Scripted => self.scripted_acts[side],
        }
    }
}

/// Which hostile acts a count takes in: an agent's own acts (drawn from its
/// `provocation_rate`, §4 of `docs/model.md`), the scripted ones (events' `HostileAct`
/// effects), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Acts {
    /// Every act, the agents' own and the scripted (a month counts when it has either).
    #[default]
    All,
    /// The agents' own acts only.
    Agents,
    /// The scripted acts only.
    Scripted,
}

impl Acts {
    /// Every kind, in the order `All`, `Agents`, `Scripted`.
    pub const EVERY: [Acts; 3] = [Acts::All, Acts::Agents, Acts::Scripted];

    /// Whether this is [`Acts::All`] (the default, left out when written).
    pub fn is_all(&self) -> bool {
        *self == Acts::All
    }

    /// The kind's name as written in files: `All`, `Agents` or `Scripted`.
    pub fn name(self) -> &'static str {
        match self {
            Acts::All => "All",
            Acts::Agents => "Agents",
            Acts::Scripted => "Scripted",
        }
    }
}

/// The months with hostile acts of one ordered pair, one bit per month (bit 0 = the month of
/// reference, bit *k* = *k* months before it): the agents' own acts and the scripted acts in
/// two masks. A month with both kinds has its bit in both; [`ActMonths::of`]`(All)` is their
/// union, so a month counts once however many acts it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActMonths {
    /// Months with an act drawn from the actor's provocation rate.
    pub agents: u64,
    /// Months with a scripted act (an event's `HostileAct` effect).
    pub scripted: u64,
}

impl ActMonths {
    /// No act in any month.
    pub const NONE: ActMonths = ActMonths {
        agents: 0,
        scripted: 0,
    };

    /// The months with acts of the kind `acts`.
    #[inline]
    pub fn of(self, acts: Acts) -> u64 {
        match acts {
            Acts::All => self.agents | self.scripted,
            Acts::Agents => self.agents,
            Acts::Scripted => self.scripted,
        }
    }

    /// The mask of the `months` months up to and including the month of reference (all 64
    /// from 64 up).
    #[inline]
    pub fn window(months: u32) -> u64 {
        if months >= 64 {
            u64::MAX
        } else {
            (1u64 << months) - 1
        }
    }
}

/// Most happenings one run's record keeps (far more than any history of the span has: the
/// baseline's runs record about a hundred).
pub const MAX_RECORD: usize = 4096;

/// What happened to a pair, in a run's record. Sides are 0 (the pair's `a`) and 1 (`b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deed {
    /// Side `by` began a war; `breach`: by breaking a truce; `joined`: as the ally of a
    /// polity the other side attacked.
    War {
        /// The initiator's side.
        by: u8,
        /// Whether it broke a truce.
        breach: bool,
        /// Whether it entered the war as an attacked polity's ally.
        joined: bool,
    },
    /// Side `by` sought talks; `truce`: they ended the war in a truce.
    Talks {
        /// The seeker's side.
        by: u8,
        /// Whether a truce was concluded.
        truce: bool,
    },
    /// The war ended because side `side` ceased to exist.
    Ended {
        /// The side that ceased.
        side: u8,
    },
    /// A truce held and became peace.
    Peace,
    /// An alliance formed.
    Alliance,
    /// A vassal tie formed, side `lord` the lord.
    Vassal {
        /// The lord's side.
        lord: u8,
    },
    /// An alliance or vassal tie dissolved.
    TieDissolved,
    /// Side `by` decided on war before it was ready and began to mobilize for it.
    WarPlan {
        /// The planner's side.
        by: u8,
    },
    /// Side `side` capitulated; the war ended (in its end as a state if it was conquerable,
    /// else in junior terms).
    Capitulation {
        /// The side that capitulated.
        side: u8,
    },
    /// A peace with terms: the loser ceded to side `winner`, and accepted junior status (a vassal
    /// tie) if `junior`.
    Terms {
        /// The winner's side.
        winner: u8,
        /// Whether the loser became the winner's vassal.
        junior: bool,
    },
}

impl Deed {
    /// The names of the kinds of happening counted by year: what `events_by_year.csv` and
    /// `summary.json` call them. Every war begun is a `war` (a breach is also a `breach`) and
    /// all talks are `talks` (those that ended in a truce are also a `truce`); the actor is the
    /// initiator, the breaker, the seeker, the side that ended or the lord. A war begun by an
    /// ally is also `joins`; `war_plan` is a decision to mobilize for war, `capitulation` a
    /// war ended by a side's capitulation (the actor), `terms` a peace with terms (the actor
    /// is the winner).
    pub const KINDS: [&'static str; 13] = [
        "war",
        "breach",
        "talks",
        "truce",
        "ended",
        "peace",
        "alliance",
        "vassal",
        "tie_dissolved",
        "joins",
        "war_plan",
        "capitulation",
        "terms",
    ];
}

/// One happening of a run's record: at month offset `month`, in pair `dyad` (an index into
/// [`crate::model::Model::dyads`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Happened {
    /// Month offset.
    pub month: u32,
    /// The pair.
    pub dyad: u16,
    /// What happened.
    pub deed: Deed,
}

/// What a pair's record last says of each kind, for the conditions of events (model 2). Months
/// are stored as "from": the month offset after the happening (`month + 1`), the first month
/// whose start sees it; [`NEVER`] for never. A status at `start` counts from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairMemory {
    /// From when the pair's present status counts.
    pub status_from: u32,
    /// From when the most recent war begun by each side counts.
    pub onset_from: [u32; 2],
    /// From when the most recent end of a war counts, by how it ended (truce, capitulation,
    /// a state's end) and by its winner's side (2: no winner, a truce without terms).
    pub ended_from: [[u32; 3]; 3],
    /// The month of the last truce, and what `ended_from[0][2]` was before it (a truce with
    /// terms is moved to its winner when the terms are noted, in the same month).
    truce: (u32, u32),
}

impl PairMemory {
    /// Nothing has happened; the status at `start` counts from 0.
    pub const START: PairMemory = PairMemory {
        status_from: 0,
        onset_from: [NEVER; 2],
        ended_from: [[NEVER; 3]; 3],
        truce: (NEVER, NEVER),
    };

    /// Remember `deed` of month offset `month`.
    #[inline]
    fn note(&mut self, month: u32, deed: Deed) {
        let from = month.saturating_add(1);
        match deed {
            Deed::War { by, .. } => {
                self.onset_from[usize::from(by & 1)] = from;
                self.status_from = from;
            }
            Deed::Talks { truce: true, .. } => {
                self.truce = (month, self.ended_from[0][2]);
                self.ended_from[0][2] = from;
                self.status_from = from;
            }
            Deed::Talks { truce: false, .. } | Deed::WarPlan { .. } => {}
            Deed::Ended { side } => {
                self.ended_from[2][usize::from(1 - (side & 1))] = from;
                self.status_from = from;
            }
            Deed::Capitulation { side } => {
                self.ended_from[1][usize::from(1 - (side & 1))] = from;
                self.status_from = from;
            }
            Deed::Terms { winner, junior } => {
                if self.truce.0 == month {
                    self.ended_from[0][2] = self.truce.1;
                    self.ended_from[0][usize::from(winner & 1)] = from;
                    self.truce.0 = NEVER;
                }
                if junior {
                    self.status_from = from;
                }
            }
            Deed::Peace | Deed::Alliance | Deed::Vassal { .. } | Deed::TieDissolved => {
                self.status_from = from;
            }
        }
    }
}

/// Everything one run records.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// Per unordered pair, in [`crate::model::Model::dyads`] order.
    pub dyads: Vec<DyadOutcome>,
    /// Per polity: month offset at which it ceased to exist, or [`NEVER`].
    pub ceased: Vec<u32>,
    /// The run's happenings in order (see the module docs), at most [`MAX_RECORD`].
    pub record: Vec<Happened>,
    /// Whether the run had more happenings than [`MAX_RECORD`] (the first are kept).
    pub overflow: bool,
    /// Per unordered pair, what its record last says of each kind (kept whether or not the
    /// record overflowed), which the conditions of events read.
    pub memory: Vec<PairMemory>,
}

impl RunOutcome {
    /// An empty outcome for `dyads` pairs and `polities` polities.
    pub fn new(dyads: usize, polities: usize) -> RunOutcome {
        RunOutcome {
            dyads: vec![DyadOutcome::EMPTY; dyads],
            ceased: vec![NEVER; polities],
            record: Vec::with_capacity(256),
            overflow: false,
            memory: vec![PairMemory::START; dyads],
        }
    }

    /// Forget the previous run (the record's memory is kept).
    pub fn reset(&mut self) {
        self.dyads.fill(DyadOutcome::EMPTY);
        self.ceased.fill(NEVER);
        self.record.clear();
        self.overflow = false;
        self.memory.fill(PairMemory::START);
    }

    /// Add a happening to the record.
    #[inline]
    pub fn note(&mut self, month: u32, dyad: usize, deed: Deed) {
        self.memory[dyad].note(month, deed);
        if self.record.len() < MAX_RECORD {
            self.record.push(Happened {
                month,
                dyad: dyad as u16,
                deed,
            });
        } else {
            self.overflow = true;
        }
    }
}
