//! Fuzz target: bytes → scenario file → read (a plain scenario, or a variant of the shipped
//! baseline) → validate → (if valid) compile, one run, an override.
//!
//! Loading must answer Ok or Err for any text, never panic, overflow the stack or exhaust
//! memory; a scenario that validates must compile and simulate. The input is written to
//! `<tmp>/scenarios/counterfactuals/fuzz.ron` beside a copy of the baseline, so that a variant
//! with `base: "../baseline.ron"` (as the seeds have) finds its base.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use jinsong::engine::{simulate, Silent, Workspace};
use jinsong::model::Model;
use jinsong::scenario::{LoadedScenario, Override, BASELINE_RON};
use libfuzzer_sys::fuzz_target;

/// Largest `pairs × months` simulated per input, to keep executions fast.
const SIMULATED_DYAD_MONTHS: u64 = 20_000;

/// The file each input is written to.
fn input_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("jinsong-fuzz-{}", std::process::id()));
        let dir = root.join("scenarios/counterfactuals");
        std::fs::create_dir_all(&dir).expect("cannot create the fuzz folder");
        std::fs::write(root.join("scenarios/baseline.ron"), BASELINE_RON).expect("cannot write the base");
        dir.join("fuzz.ron")
    })
}

fuzz_target!(|data: &[u8]| {
    let file = input_file();
    std::fs::write(file, data).expect("cannot write the fuzz input");
    let loaded = match LoadedScenario::read(file) {
        Ok(l) => l,
        Err(e) => {
            assert!(!e.problems.is_empty());
            let _ = e.to_string();
            return;
        }
    };
    if let Err(e) = loaded.validate() {
        assert!(!e.problems.is_empty());
        let _ = e.to_string();
        return;
    }
    let sc = &loaded.scenario;
    let model = Model::compile(sc);
    let n = sc.polities.len() as u64;
    let months = sc.start.months_until(sc.end) as u64 + 1;
    if n * (n - 1) / 2 * months <= SIMULATED_DYAD_MONTHS {
        let mut ws = Workspace::new(&model);
        simulate(&model, sc.seed, 0, &mut ws, &mut Silent);
    }
    // An override on a valid scenario, validated again.
    if let Ok(o) = format!("polities.{}.strength=2", sc.polities[0].id).parse::<Override>() {
        let mut again = loaded.clone();
        if again.apply_overrides(&[o]).is_ok() {
            let _ = again.validate();
        }
    }
});
