//! The integration tests, one crate with a module per topic (so the test binary links once).
//!
//! They drive the real `jinsong` binary (`common`) or the library, in temporary folders.

mod common;

mod acts;
mod charts;
mod cli;
mod compare_attribution;
mod events;
mod evidence;
mod files;
mod free_hands;
mod golden;
mod hardening;
mod history;
mod hostile;
mod hypothesis;
mod layers;
mod model;
mod model2;
mod model3;
mod mutated;
mod patterns;
mod priors;
mod protocol;
mod resume;
mod robustness;
mod sensitivity;
mod shards;
mod sweep;
