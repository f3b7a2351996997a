//! What one run leaves behind: the outcomes MODEL.md asks to record, per pair and per polity.
//!
//! A [`RunOutcome`] is overwritten by every run of a worker thread (no allocation per run) and
//! folded at once into a [`crate::batch::tally::Tally`]; raw runs are never kept.

/// "Never" for month offsets.
pub const NEVER: u32 = u32::MAX;

/// Outcome of one unordered pair `a < b` in one run. Side 0 is `a`, side 1 is `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DyadOutcome {
    /// Month offset of the first war onset in the run, or [`NEVER`].
    pub first_onset: u32,
    /// Side (0 = a, 1 = b) that started the first war.
    pub initiator: u8,
    /// Months with hostile acts of each side against the other in the 36 months up to the first
    /// onset (the onset month included). A random act happens at most once a month per ordered
    /// pair, so this is the number of acts unless a scripted act falls in the same month.
    pub acts_before_onset: [u8; 2],
    /// Hostile acts of each side against the other in the 64 months up to the first onset, one
    /// bit per month: bit 0 is the onset month, bit k the month k months before it.
    pub acts_history_at_onset: [u64; 2],
    /// Mobilization of each side at the first onset.
    pub mobilization_at_onset: [f32; 2],
    /// Hostile acts of each side against the other over the whole run.
    pub acts: [u32; 2],
    /// Wars begun in the pair during the run (first onset and breaches).
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
}

impl DyadOutcome {
    /// The outcome of a pair before anything happened.
    pub const EMPTY: DyadOutcome = DyadOutcome {
        first_onset: NEVER,
        initiator: 0,
        acts_before_onset: [0; 2],
        acts_history_at_onset: [0; 2],
        mobilization_at_onset: [0.0; 2],
        acts: [0; 2],
        wars: 0,
        months_at_war: 0,
        talks: 0,
        truces: 0,
        truces_broken: 0,
        vassal_lord: 0,
        alliance_formed: false,
    };
}

/// Everything one run records.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// Per unordered pair, in [`crate::model::Model::dyads`] order.
    pub dyads: Vec<DyadOutcome>,
    /// Per polity: month offset at which it ceased to exist, or [`NEVER`].
    pub ceased: Vec<u32>,
}

impl RunOutcome {
    /// An empty outcome for `dyads` pairs and `polities` polities.
    pub fn new(dyads: usize, polities: usize) -> RunOutcome {
        RunOutcome {
            dyads: vec![DyadOutcome::EMPTY; dyads],
            ceased: vec![NEVER; polities],
        }
    }

    /// Forget the previous run.
    pub fn reset(&mut self) {
        self.dyads.fill(DyadOutcome::EMPTY);
        self.ceased.fill(NEVER);
    }
}
