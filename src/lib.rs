//! # jinsong
//!
//! Agent-based Monte Carlo simulation of diplomatic crises, built to test A. Kim's (2013)
//! mutual-fear account of the Jin–Song wars (1125–1142) against its rivals.
//!
//! Polities are agents with fear, trust and mobilization; each month they update fear by
//! Richardson's arms-race equations ([`model::fear`]), commit hostile acts, and decide on war,
//! talks, truces, alliances and vassalage ([`model::hazard`]). The layers, each a folder of
//! `src/`, from the bottom up (a layer uses only those below it):
//!
//! ```text
//! cli        argument parsing, dispatch, files and charts of a finished study   (binary edge)
//! charts     SVG/PNG drawn from result files
//! study      one file per long command: run, score, calibrate, compare, attribute, sweep, sensitivity
//! batch      the parallel fold over runs, shards, checkpoints, parts, merge, the driver with Ctrl-C
//! patterns   the historical record as predicates over one run
//! engine     the monthly loop, its observers (chronicle) and what a run leaves (outcome)
//! model      a scenario compiled to arrays; the fear and decision equations
//! scenario   the RON schema, loading, variants, --set overrides, validation
//! rng        one ChaCha8 stream per run on a fixed schedule of draw slots          (no deps)
//! calendar   months, the unit of time                                              (no deps)
//! stats      Wilson intervals, paired tests, quantiles, designs, Shapley values     (no deps)
//! output     staging folders and atomic writes                                     (no deps)
//! text       user text in messages: control characters escaped, length clipped     (no deps)
//! ```
//!
//! A run is a pure function of (scenario, seed, run index): run *r* draws only from
//! `ChaCha8Rng::seed_from_u64(seed)` on stream *r*, on a fixed monthly draw schedule
//! ([`rng::draws`]), so results are identical whatever the thread count and scenarios that differ
//! in one word are compared on common random numbers. Where the CPU has AVX-512, the words of
//! that generator are computed sixteen blocks at a time ([`rng::chacha8`]): the same words,
//! faster. `docs/architecture.md` shows how to add a study or a mechanism.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod batch;
pub mod calendar;
pub mod charts;
pub mod cli;
pub mod engine;
pub mod model;
pub mod output;
pub mod patterns;
pub mod rng;
pub mod scenario;
pub mod stats;
pub mod study;
pub mod text;
