//! Fuzz target: bytes → one result file of a finished folder → `render_folder` (what
//! `jinsong plot` does). The first byte chooses the file (`summary.json`, `onset_curve.csv`,
//! `events_by_year.csv`, `scores.json`, `compare.json`, `compare_curves.csv`,
//! `attribution.json`, `sweep.csv`, `sensitivity.json`, `posterior.json`,
//! `posterior_sample.csv`, `trace.csv`, `events.csv`); the rest is its content, in a folder of
//! its own.
//!
//! `plot` must answer Ok or Err for any file, never panic.
#![no_main]

use jinsong::charts::{render_folder, ChartOptions, Format};
use libfuzzer_sys::fuzz_target;

const FILES: [&str; 13] = [
    "summary.json",
    "onset_curve.csv",
    "events_by_year.csv",
    "scores.json",
    "compare.json",
    "compare_curves.csv",
    "attribution.json",
    "sweep.csv",
    "sensitivity.json",
    "posterior.json",
    "posterior_sample.csv",
    "trace.csv",
    "events.csv",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let dir = tempfile::TempDir::new().expect("a temporary folder");
    let name = FILES[pick as usize % FILES.len()];
    std::fs::write(dir.path().join(name), content).expect("the file is written");
    let opts = ChartOptions {
        formats: vec![Format::Svg],
        width: 800,
        height: 500,
        title: true,
    };
    let _ = render_folder(dir.path(), &opts);
});
