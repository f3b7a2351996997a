//! Fuzz target: bytes → `posterior_sample.csv` → `read_posterior_sample` (what `--posterior`
//! reads) for the reading `reading`.
//!
//! The reader must answer Ok or Err for any file, never panic; an error is one line naming the
//! file.
#![no_main]

mod common;

use jinsong::scenario::prior::{read_posterior_sample, SAMPLE_FILE};
use libfuzzer_sys::fuzz_target;

use common::folder;

fuzz_target!(|data: &[u8]| {
    let dir = folder().path();
    std::fs::write(dir.join(SAMPLE_FILE), data).expect("the sample is written");
    if let Err(e) = read_posterior_sample(dir, "reading") {
        assert!(!e.to_string().is_empty());
    }
});
