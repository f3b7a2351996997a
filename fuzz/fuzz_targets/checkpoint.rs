//! Fuzz target: bytes → `checkpoint.json` → `Checkpoint::resume` (what `--resume` reads),
//! against the identity of the file itself when it is a checkpoint's JSON, else against a fixed
//! one.
//!
//! Resume must answer Ok or Err for any file, never panic.
#![no_main]

mod common;

use jinsong::batch::checkpoint::{checkpoint_file_name, Checkpoint, Identity};
use jinsong::batch::shard::Shard;
use jinsong::study::StudyKind;
use libfuzzer_sys::fuzz_target;

use common::folder;

fuzz_target!(|data: &[u8]| {
    let dir = folder().path();
    std::fs::write(dir.join(checkpoint_file_name(Shard::WHOLE)), data).expect("the file is written");
    let expected = serde_json::from_slice::<Checkpoint<serde_json::Value>>(data)
        .map(|c| c.identity())
        .unwrap_or(Identity {
            command: StudyKind::Run,
            shard: Shard::WHOLE,
            scenario_hash: String::new(),
            seed: 0,
            settings: serde_json::Value::Null,
        });
    let _ = Checkpoint::<serde_json::Value>::resume(dir, &expected, 1_000_000);
});
