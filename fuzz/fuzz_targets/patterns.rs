//! Fuzz target: bytes → pattern file parse → compile against the baseline → one run scored.
//!
//! Parsing and compiling must answer Ok or Err for any text, never panic or overflow the stack
//! (deeply nested `All`/`Any`/`Not`); compiled patterns must evaluate on a run.
#![no_main]

use std::sync::OnceLock;

use jinsong::engine::{simulate, Workspace};
use jinsong::model::Model;
use jinsong::patterns::PatternSet;
use jinsong::scenario::LoadedScenario;
use libfuzzer_sys::fuzz_target;

fn baseline() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let loaded = LoadedScenario::baseline().expect("the embedded baseline parses");
        Model::compile(&loaded.scenario)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let set = match PatternSet::parse("fuzz.ron", text) {
        Ok(s) => s,
        Err(e) => {
            assert!(!e.problems.is_empty());
            return;
        }
    };
    let model = baseline();
    let compiled = match set.compile("fuzz.ron", model) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.problems.is_empty());
            let _ = e.to_string();
            return;
        }
    };
    let mut ws = Workspace::new(model);
    let mut tracker = compiled.tracker();
    simulate(model, 1125, 0, &mut ws, &mut tracker);
    let _ = tracker.matches(&ws.outcome);
});
