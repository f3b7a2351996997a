//! Fuzz target: bytes → a part file → `PartFile::read`, `check_parts` and the counts (what
//! `jinsong merge` reads).
//!
//! Reading and checking must answer Ok or Err for any file, never panic.
#![no_main]

mod common;

use jinsong::batch::merge::{check_parts, PartFile};
use libfuzzer_sys::fuzz_target;

use common::folder;

fuzz_target!(|data: &[u8]| {
    let path = folder().path().join("part-1-of-1.json");
    std::fs::write(&path, data).expect("the part is written");
    let Ok(part) = PartFile::read(&path) else {
        return;
    };
    if let Ok(parts) = check_parts(vec![part]) {
        for p in &parts {
            let _ = p.counts::<serde_json::Value>();
        }
    }
});
