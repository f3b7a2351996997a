//! # jinsong
//!
//! Agent-based Monte Carlo simulation of diplomatic crises, built to test A. Kim's (2013)
//! mutual-fear account of the Jin–Song wars (1125–1142) against its rivals.
//!
//! Polities are agents with fear, trust and mobilization; each month they update fear by
//! Richardson's arms-race equations ([`fear`]), commit hostile acts, and decide on war, talks,
//! truces, alliances and vassalage ([`hazard`]). The monthly loop is in [`engine`]; the scenario
//! schema in [`scenario`]; the seeded parallel batch in [`montecarlo`], folded into integer
//! counts ([`tally`]) and reported with Wilson intervals ([`report`]).
//!
//! A run is a pure function of (scenario, seed, run index): run *r* draws only from
//! `ChaCha8Rng::seed_from_u64(seed)` on stream *r*, on a fixed monthly draw schedule
//! ([`draws`]), so results are identical whatever the thread count and scenarios that differ
//! in one word are compared on common random numbers. Where the CPU has AVX-512, the words of
//! that generator are computed sixteen blocks at a time ([`chacha8`]): the same words, faster.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attribution;
pub mod calendar;
pub mod calibrate;
pub mod chacha8;
pub mod charts;
pub mod checkpoint;
pub mod chronicle;
pub mod cli;
pub mod compare;
pub mod draws;
pub mod engine;
pub mod fear;
pub mod hazard;
pub mod merge;
pub mod model;
pub mod montecarlo;
pub mod outcome;
pub mod output;
pub mod part;
pub mod patterns;
pub mod report;
pub mod scenario;
pub mod score;
pub mod sensitivity;
pub mod shard;
pub mod stats;
pub mod sweep;
pub mod tally;
