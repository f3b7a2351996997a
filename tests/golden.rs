//! Golden results: small batches of every shipped scenario through every command, their result
//! files pinned by hash in `tests/golden/pins.txt`.
//!
//! Any change that moves a number fails here until the pins are renewed on purpose:
//!
//! ```sh
//! JINSONG_UPDATE_GOLDEN=1 cargo test --profile ci --test tests golden
//! ```
//!
//! and the commit that renews them says which numbers moved and why. Charts (`.svg`, `.png`)
//! are not pinned (their look is tested in the charts tests); every other file a command writes
//! is. `.ci/run` runs this test with both ChaCha8 backends (`JINSONG_CHACHA_BACKEND=portable`),
//! so the AVX-512 kernel and `rand_chacha` must give the same bytes.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::common::{jinsong, listing, root, text};

/// Each command as `(id, arguments)`; `OUT` is replaced by `out/<id>`. Commands run in a copy of
/// `scenarios/`, so every path they record is relative and the same on every machine.
const COMMANDS: &[(&str, &[&str])] = &[
    (
        "run-peloponnesian_war",
        &[
            "run",
            "scenarios/cases/peloponnesian_war.ron",
            "--runs",
            "600",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "score-peloponnesian_war",
        &[
            "score",
            "scenarios/cases/peloponnesian_war.ron",
            "--patterns",
            "scenarios/cases/peloponnesian_war_patterns.ron",
            "--runs",
            "600",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-embedded",
        &["run", "--runs", "600", "--no-charts", "--out", "OUT"],
    ),
    (
        "run-baseline",
        &[
            "run",
            "scenarios/baseline.ron",
            "--runs",
            "600",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-set",
        &[
            "run",
            "--runs",
            "600",
            "--seed",
            "7",
            "--set",
            "mechanisms.provocations=false",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-threads-1",
        &[
            "run",
            "--runs",
            "600",
            "--threads",
            "1",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-mutual_fear",
        &[
            "run",
            "scenarios/readings/mutual_fear.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-jurchen_greed",
        &[
            "run",
            "scenarios/readings/jurchen_greed.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-both_wanted_war",
        &[
            "run",
            "scenarios/readings/both_wanted_war.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-mutual_fear_priors",
        &[
            "run",
            "scenarios/readings/priors/mutual_fear.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-jurchen_greed_priors",
        &[
            "run",
            "scenarios/readings/priors/jurchen_greed.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-both_wanted_war_priors",
        &[
            "run",
            "scenarios/readings/priors/both_wanted_war.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-no_pingzhou",
        &[
            "run",
            "scenarios/counterfactuals/no_pingzhou.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-no_song_provocations",
        &[
            "run",
            "scenarios/counterfactuals/no_song_provocations.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-song_fast",
        &[
            "run",
            "scenarios/counterfactuals/song_fast.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-no_shared_border",
        &[
            "run",
            "scenarios/counterfactuals/no_shared_border.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-no_jin_restraint",
        &[
            "run",
            "scenarios/counterfactuals/no_jin_restraint.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-koryo_open",
        &[
            "run",
            "scenarios/counterfactuals/koryo_open.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "run-shard-1",
        &["run", "--runs", "600", "--shard", "1/2", "--out", "OUT"],
    ),
    (
        "run-shard-2",
        &["run", "--runs", "600", "--shard", "2/2", "--out", "OUT"],
    ),
    (
        "trace-baseline",
        &["trace", "--run", "3", "--quiet", "--no-charts", "--out", "OUT"],
    ),
    (
        "run-model3",
        &[
            "run",
            "scenarios/model3/model3.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "trace-model3",
        &[
            "trace",
            "scenarios/model3/model3.ron",
            "--run",
            "8",
            "--seed",
            "2026",
            "--quiet",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "trace-jurchen_greed",
        &[
            "trace",
            "scenarios/readings/jurchen_greed.ron",
            "--run",
            "11",
            "--seed",
            "5",
            "--quiet",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "trace-koryo_open",
        &[
            "trace",
            "scenarios/counterfactuals/koryo_open.ron",
            "--quiet",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "score-readings",
        &[
            "score",
            "scenarios/readings/mutual_fear.ron",
            "scenarios/readings/jurchen_greed.ron",
            "scenarios/readings/both_wanted_war.ron",
            "scenarios/readings/priors/mutual_fear.ron",
            "scenarios/readings/priors/jurchen_greed.ron",
            "scenarios/readings/priors/both_wanted_war.ron",
            "--patterns",
            "scenarios/patterns/history.ron",
            "--runs",
            "500",
            "--seed",
            "1125",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "score-counterfactuals",
        &[
            "score",
            "scenarios/baseline.ron",
            "scenarios/counterfactuals/no_pingzhou.ron",
            "scenarios/counterfactuals/no_song_provocations.ron",
            "scenarios/counterfactuals/song_fast.ron",
            "scenarios/counterfactuals/no_shared_border.ron",
            "scenarios/counterfactuals/no_jin_restraint.ron",
            "scenarios/counterfactuals/koryo_open.ron",
            "--patterns",
            "scenarios/patterns/history.ron",
            "--runs",
            "400",
            "--seed",
            "1125",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "score-timeline",
        &[
            "score",
            "scenarios/baseline.ron",
            "scenarios/readings/priors/mutual_fear.ron",
            "scenarios/readings/priors/jurchen_greed.ron",
            "scenarios/readings/priors/both_wanted_war.ron",
            "--patterns",
            "scenarios/patterns/history.ron",
            "--patterns",
            "scenarios/patterns/timeline.ron",
            "--runs",
            "400",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "compare-counterfactuals",
        &[
            "compare",
            "scenarios/baseline.ron",
            "scenarios/counterfactuals/no_pingzhou.ron",
            "scenarios/counterfactuals/no_song_provocations.ron",
            "scenarios/counterfactuals/song_fast.ron",
            "scenarios/counterfactuals/no_shared_border.ron",
            "scenarios/counterfactuals/no_jin_restraint.ron",
            "scenarios/counterfactuals/koryo_open.ron",
            "--by",
            "1127-12",
            "--runs",
            "500",
            "--seed",
            "1125",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "compare-readings",
        &[
            "compare",
            "scenarios/readings/mutual_fear.ron",
            "scenarios/readings/jurchen_greed.ron",
            "scenarios/readings/both_wanted_war.ron",
            "--dyad",
            "jin,koryo",
            "--runs",
            "500",
            "--seed",
            "1125",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "attribute-baseline",
        &[
            "attribute",
            "--mechanisms",
            "provocations,fear_spiral,events",
            "--by",
            "1127-12",
            "--runs",
            "300",
            "--seed",
            "1125",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "attribute-jurchen_greed",
        &[
            "attribute",
            "scenarios/readings/jurchen_greed.ron",
            "--mechanisms",
            "greed,restraint",
            "--runs",
            "300",
            "--seed",
            "1125",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "sweep-grid",
        &[
            "sweep",
            "--vary",
            "polities.song.mobilization_lag=2..14:3",
            "--vary",
            "relations.song.jin.provocation_rate=0,0.05",
            "--runs",
            "200",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "sweep-lhs",
        &[
            "sweep",
            "scenarios/readings/both_wanted_war.ron",
            "--vary",
            "polities.jin.war_readiness=0.2..0.8",
            "--sample",
            "lhs:4",
            "--dyad",
            "jin,song",
            "--by",
            "1127-12",
            "--runs",
            "200",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "sensitivity-baseline",
        &[
            "sensitivity",
            "--vary",
            "polities.song.mobilization_lag=2..14",
            "--vary",
            "relations.jin.song.trust=0.2..0.9",
            "--samples",
            "8",
            "--runs",
            "100",
            "--bootstrap",
            "50",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
    (
        "calibrate-jurchen_greed",
        &[
            "calibrate",
            "scenarios/readings/jurchen_greed.ron",
            "--free",
            "polities.jin.war_readiness=0.1..0.9",
            "--free",
            "polities.song.mobilization_lag=2..24",
            "--budget",
            "6",
            "--runs",
            "300",
            "--seed",
            "1125",
            "--out",
            "OUT",
            "--write",
            "OUT/jurchen_greed_calibrated.ron",
        ],
    ),
    (
        "robustness-panel",
        &[
            "robustness",
            "scenarios/robustness/panel.ron",
            "--runs",
            "300",
            "--no-charts",
            "--out",
            "OUT",
        ],
    ),
];

/// Merges of the parts written above: `(id, parts, the single-machine command they must equal)`.
const MERGES: &[(&str, &[&str], &str)] = &[("merge-run", &["run-shard-1", "run-shard-2"], "run-embedded")];

/// 64-bit FNV-1a of a file's bytes, as 16 hex digits (a fingerprint for change detection).
fn fnv(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// `id/file → hash` for every result file under `out/<id>` (charts and part files left out).
fn pins_of(out: &Path, id: &str, pins: &mut BTreeMap<String, String>) {
    let dir = out.join(id);
    for rel in listing(&dir) {
        let name = rel.to_string_lossy().into_owned();
        let path = dir.join(&rel);
        if path.is_dir() || name.ends_with(".svg") || name.ends_with(".png") || name.starts_with("part-") {
            continue;
        }
        let bytes = fs::read(&path).unwrap();
        pins.insert(format!("{id}/{name}"), fnv(&bytes));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn golden_results_are_pinned() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    copy_dir(&root().join("scenarios"), &dir.join("scenarios"));
    let out = dir.join("out");
    let mut found = BTreeMap::new();
    for (id, args) in COMMANDS {
        let target = format!("out/{id}");
        let args: Vec<String> = args.iter().map(|a| a.replace("OUT", &target)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = jinsong(dir, &args);
        assert!(
            o.status.success(),
            "{id}: jinsong {args:?} failed: {}",
            text(&o.stderr)
        );
        pins_of(&out, id, &mut found);
    }
    for (id, parts, single) in MERGES {
        let mut args = vec!["merge".to_string()];
        for p in *parts {
            for rel in listing(&out.join(p)) {
                if rel.to_string_lossy().starts_with("part-") {
                    args.push(format!("out/{p}/{}", rel.display()));
                }
            }
        }
        args.extend(["--no-charts", "--quiet", "--out"].map(String::from));
        args.push(format!("out/{id}"));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = jinsong(dir, &argv);
        assert!(
            o.status.success(),
            "{id}: jinsong {argv:?} failed: {}",
            text(&o.stderr)
        );
        let mut merged = BTreeMap::new();
        pins_of(&out, id, &mut merged);
        let mut alone = BTreeMap::new();
        pins_of(&out, single, &mut alone);
        let strip = |m: &BTreeMap<String, String>, id: &str| -> BTreeMap<String, String> {
            m.iter()
                .map(|(k, v)| (k.trim_start_matches(id).to_string(), v.clone()))
                .collect()
        };
        assert_eq!(
            strip(&merged, id),
            strip(&alone, single),
            "{id}: merged parts differ from `{single}`"
        );
        found.extend(merged);
    }
    let pins_path = root().join("tests/golden/pins.txt");
    let rendered: String = found.iter().map(|(k, v)| format!("{v}  {k}\n")).collect();
    if std::env::var_os("JINSONG_UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(pins_path.parent().unwrap()).unwrap();
        let header = "# Golden results: FNV-1a 64 of each result file of tests/golden.rs's commands.\n\
                      # Renew with JINSONG_UPDATE_GOLDEN=1 (see tests/golden.rs), and say why in the commit.\n";
        fs::write(&pins_path, format!("{header}{rendered}")).unwrap();
        eprintln!("golden: wrote {} pins to {}", found.len(), pins_path.display());
        return;
    }
    let pinned = fs::read_to_string(&pins_path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (create it with JINSONG_UPDATE_GOLDEN=1)",
            pins_path.display()
        )
    });
    let expected: BTreeMap<String, String> = pinned
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once("  ").map(|(h, k)| (k.to_string(), h.to_string())))
        .collect();
    let mut problems = Vec::new();
    for (k, v) in &expected {
        match found.get(k) {
            None => problems.push(format!("missing: {k}")),
            Some(h) if h != v => problems.push(format!("moved: {k} (pinned {v}, now {h})")),
            _ => {}
        }
    }
    for k in found.keys().filter(|k| !expected.contains_key(*k)) {
        problems.push(format!("new, not pinned: {k}"));
    }
    assert!(
        problems.is_empty(),
        "{} of {} golden results differ; if the change is meant, renew the pins with \
         JINSONG_UPDATE_GOLDEN=1 and say why in the commit:\n{}",
        problems.len(),
        expected.len(),
        problems.join("\n")
    );
}
