//! The one parallel fold over a batch's work, with rayon.
//!
//! Work is cut into fixed chunks ([`CHUNK_RUNS`] run indices for a batch of runs); each chunk
//! is counted by one worker with a reused workspace into counts of its own, and chunk counts
//! are merged in chunk order. Counts are integers merged by addition, so the result is the same
//! whatever the number of threads. Every study counts its runs through [`fold_runs`] (or, for
//! work that is not a plain range of runs, [`fold_chunks`]).
//!
//! Long commands run a batch in *waves* ([`wave_runs`] consecutive run indices at a time, in
//! order): after each wave the runs done form a prefix whose counts are complete, where a
//! checkpoint can be written or the command stopped cleanly (see [`crate::batch::driver`]).

use std::ops::Range;

use rayon::prelude::*;

use crate::batch::tally::Tally;
use crate::engine::{simulate, Silent, Workspace};
use crate::model::Model;

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

/// Count chunks `0..chunks` on the current rayon pool: `count(&mut workspace, c)` counts chunk
/// `c` (each worker makes its workspace once with `workspace`), and the chunks' counts are
/// merged with `merge` in chunk order. `None` when there are no chunks.
pub fn fold_chunks<W, A: Send>(
    chunks: u64,
    workspace: impl Fn() -> W + Sync + Send,
    count: impl Fn(&mut W, u64) -> A + Sync + Send,
    merge: impl Fn(&mut A, &A) + Sync + Send,
) -> Option<A> {
    (0..chunks)
        .into_par_iter()
        .map_init(workspace, count)
        .reduce_with(|mut a, b| {
            merge(&mut a, &b);
            a
        })
}

/// Count the runs `runs` on the current rayon pool, `chunk` runs to a unit of work:
/// `add(&mut workspace, &mut counts, r)` folds run `r` into counts that start as `empty()`;
/// `merge` adds two counts. `progress` is called from the worker threads with the number of
/// run indices just finished. The result is identical for any number of threads.
pub fn fold_runs<W, A: Send>(
    runs: Range<u64>,
    chunk: u64,
    workspace: impl Fn() -> W + Sync + Send,
    empty: impl Fn() -> A + Sync + Send,
    add: impl Fn(&mut W, &mut A, u64) + Sync + Send,
    merge: impl Fn(&mut A, &A) + Sync + Send,
    progress: &(dyn Fn(u64) + Sync),
) -> A {
    let chunk = chunk.max(1);
    let chunks = runs.end.saturating_sub(runs.start).div_ceil(chunk);
    let counted = fold_chunks(
        chunks,
        workspace,
        |w, c| {
            let mut counts = empty();
            let lo = runs.start + c * chunk;
            let hi = (lo + chunk).min(runs.end);
            for r in lo..hi {
                add(w, &mut counts, r);
            }
            progress(hi - lo);
            counts
        },
        merge,
    );
    counted.unwrap_or_else(empty)
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
    /// Simulate every run of the batch on the current rayon pool into a [`Tally`]. `progress`
    /// is called from the worker threads with the number of runs just finished.
    pub fn run(&self, progress: &(dyn Fn(u64) + Sync)) -> Tally {
        fold_runs(
            self.first_run..self.first_run + self.runs,
            CHUNK_RUNS,
            || Workspace::new(self.model),
            || Tally::new(self.model),
            |ws, tally, r| {
                simulate(self.model, self.seed, r, ws, &mut Silent);
                tally.add(&ws.outcome);
            },
            Tally::merge,
            progress,
        )
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
