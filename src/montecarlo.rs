//! The seeded Monte Carlo batch: runs in parallel with rayon, folded into one [`Tally`].
//!
//! Runs are cut into fixed chunks of [`CHUNK_RUNS`] run indices; each chunk is simulated by one
//! worker with a reused [`Workspace`] and folded into a chunk tally, and chunk tallies are merged
//! by integer addition. The result is the same whatever the number of threads.
//!
//! Long commands run a batch in *waves* ([`wave_runs`] consecutive run indices at a time, in
//! order): after each wave the runs done form a prefix whose counts are complete, where a
//! checkpoint can be written or the command stopped cleanly (see [`crate::checkpoint`]).
//! Because counts are integers merged by addition, a batch continued from any prefix gives
//! exactly the counts of an uninterrupted one.

use rayon::prelude::*;

use crate::engine::{simulate, Silent, Workspace};
use crate::model::Model;
use crate::tally::Tally;

/// Run indices per unit of parallel work.
pub const CHUNK_RUNS: u64 = 256;

/// Chunks per worker thread in one wave (a wave of 2 threads is 2 · 32 · 256 = 16,384 runs:
/// long enough that the wait for the wave's last chunk costs little, short enough that a
/// checkpoint or a Ctrl-C comes within a second or two).
pub const WAVE_CHUNKS_PER_THREAD: u64 = 32;

/// Runs per wave for `threads` worker threads: [`WAVE_CHUNKS_PER_THREAD`] chunks of
/// [`CHUNK_RUNS`] each.
pub fn wave_runs(threads: usize) -> u64 {
    WAVE_CHUNKS_PER_THREAD * CHUNK_RUNS * threads.max(1) as u64
}

/// A batch: which runs of which model under which seed.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// The model.
    pub model: &'a Model,
    /// Master seed.
    pub seed: u64,
    /// Run indices `first_run .. first_run + runs`.
    pub first_run: u64,
    /// Number of runs.
    pub runs: u64,
}

impl Batch<'_> {
    /// Simulate every run of the batch on the current rayon pool. `progress` is called from the
    /// worker threads with the number of runs just finished.
    pub fn run(&self, progress: &(dyn Fn(u64) + Sync)) -> Tally {
        let chunks = self.runs.div_ceil(CHUNK_RUNS);
        let end = self.first_run + self.runs;
        (0..chunks)
            .into_par_iter()
            .map_init(
                || Workspace::new(self.model),
                |ws, c| {
                    let mut tally = Tally::new(self.model);
                    let lo = self.first_run + c * CHUNK_RUNS;
                    let hi = (lo + CHUNK_RUNS).min(end);
                    for r in lo..hi {
                        simulate(self.model, self.seed, r, ws, &mut Silent);
                        tally.add(&ws.outcome);
                    }
                    progress(hi - lo);
                    tally
                },
            )
            .reduce_with(|mut a, b| {
                a.merge(&b);
                a
            })
            .unwrap_or_else(|| Tally::new(self.model))
    }

    /// Simulate on a dedicated pool of `threads` threads (0 = rayon's default).
    pub fn run_with_threads(
        &self,
        threads: usize,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Tally, rayon::ThreadPoolBuildError> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
        Ok(pool.install(|| self.run(progress)))
    }
}
