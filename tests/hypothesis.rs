//! The hypothesis commands: calibration recovers a known optimum, and `score`, `calibrate`,
//! `compare` and `attribute` refuse bad input with a clear message, no panic and nothing written.

use crate::common::{baseline_path, jinsong, root, SMALL};
use jinsong::patterns::PatternSet;
use jinsong::scenario::LoadedScenario;
use jinsong::stats::Z95;
use jinsong::study::calibrate::{calibrate, FreeParameter, Search};

/// Polity `a` starts a war on `b` with the same probability `h` = war_propensity every month
/// (fear 1, threshold 0, no fear dynamics); `b` never does.
const CONSTANT_HAZARD: &str = r#"(
    name: "constant_hazard",
    start: "1120-01",
    end: "1129-12",
    polities: [
        (id: "a", name: "A", strength: 1.0, potential: 1.0, mobilization_lag: 1.0,
         fear_gain: 0.0, fear_decay: 0.0, war_propensity: 0.05),
        (id: "b", name: "B", strength: 1.0, potential: 1.0, mobilization_lag: 1.0,
         fear_gain: 0.0, fear_decay: 0.0),
    ],
    relations: [
        (from: "a", to: "b", contact: 1.0, fear: 1.0),
        (from: "b", to: "a", contact: 1.0),
    ],
)"#;

/// The first onset falls in the second year (month offsets 12 ..= 23).
const SECOND_YEAR: &str = r#"(patterns: [
    (name: "second_year", description: "first onset in 1121",
     rule: OnsetWithin(a: "a", b: "b", from: "1121-01", to: "1121-12")),
])"#;

/// P(first onset in months 12..=23) = (1−h)^12 − (1−h)^24.
fn second_year(h: f64) -> f64 {
    (1.0 - h).powi(12) - (1.0 - h).powi(24)
}

#[test]
fn calibration_recovers_a_known_optimum() {
    // (1−h)^12 − (1−h)^24 is largest where (1−h)^12 = 1/2: h* = 1 − 2^(−1/12).
    let best_h = 1.0 - 2f64.powf(-1.0 / 12.0);
    assert!((second_year(best_h) - 0.25).abs() < 1e-12);
    let scenario = LoadedScenario::parse("constant_hazard.ron", CONSTANT_HAZARD).unwrap();
    scenario.validate().unwrap();
    let patterns = PatternSet::parse("second_year.ron", SECOND_YEAR).unwrap();
    let free = [FreeParameter {
        path: "polities.a.war_propensity".into(),
        lo: 0.005,
        hi: 0.3,
    }];
    let runs = 4000;
    let calibration = calibrate(
        &scenario.scenario,
        (&patterns, "second_year.ron"),
        &free,
        Search {
            budget: 24,
            runs,
            seed: 1125,
        },
        &|_| {},
    )
    .unwrap();
    let found = calibration.best().values[0];
    // The match rate is flat near its top, so recovering h* means landing where the rate is
    // statistically indistinguishable from its maximum: within 3 standard errors of a rate of
    // 0.25 over `runs` runs (with common random numbers the real noise of a comparison is
    // smaller still). That region is found exactly from the formula.
    let se = (0.25 * 0.75 / runs as f64).sqrt();
    let floor = 0.25 - 3.0 * se;
    assert!(
        second_year(found) >= floor,
        "calibration found h = {found:.4}, where the true match rate is {:.4}, below {floor:.4} \
         (h* = {best_h:.4})",
        second_year(found)
    );
    // And that region is narrow enough for the test to mean something: the ends of the search
    // range are far outside it.
    assert!(second_year(0.005) < floor && second_year(0.3) < floor);
    // The joint count reported for the best point is consistent with the formula at that point
    // (Wilson 95% interval of the reported rate; a miss here has probability about 5%, but the
    // seed is fixed).
    let best = calibration.best();
    let (lo, hi) = jinsong::stats::wilson(best.joint, best.runs, Z95 + 1.0);
    assert!(lo - 0.02 <= second_year(found) && second_year(found) <= hi + 0.02);
    // The written variant sets exactly the found value.
    let text = calibration.variant_file("constant_hazard.ron", "constant_hazard_calibrated", "test");
    assert!(
        text.contains(&format!("\"polities.a.war_propensity={found}\"")),
        "{text}"
    );
}

/// Run from a fresh temporary folder holding copies of the shipped scenarios; the command must
/// fail with every `expected` text on stderr, without panicking and without writing `output/`.
fn refused(args: &[&str], files: &[(&str, &str)], expected: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let root = root();
    for sub in [
        "scenarios",
        "scenarios/readings",
        "scenarios/counterfactuals",
        "scenarios/patterns",
    ] {
        std::fs::create_dir_all(tmp.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(root.join(sub)).unwrap() {
            let entry = entry.unwrap();
            if entry.path().is_file() {
                std::fs::copy(entry.path(), tmp.path().join(sub).join(entry.file_name())).unwrap();
            }
        }
    }
    for (name, text) in files {
        std::fs::write(tmp.path().join(name), text).unwrap();
    }
    let out = jinsong(tmp.path(), args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    for e in expected {
        assert!(stderr.contains(e), "{args:?}: stderr lacks `{e}`:\n{stderr}");
    }
    assert!(!tmp.path().join("output").exists(), "{args:?} wrote output/");
}

const BAD_POLITY: &str = r#"(patterns: [
    (name: "p", description: "", rule: Initiator(a: "jin", b: "sung", polity: "jin")),
])"#;
const EMPTY_WINDOW: &str = r#"(patterns: [
    (name: "p", description: "", rule: OnsetWithin(a: "jin", b: "song", from: "1126-06", to: "1125-06")),
])"#;
const TYPO_IN_RULE: &str = r#"(patterns: [
    (name: "p", description: "", rule: Initiator(a: "jin", b: "song", polty: "jin")),
])"#;

#[test]
fn score_refuses_bad_patterns() {
    refused(
        &[
            "score",
            "scenarios/baseline.ron",
            "--patterns",
            "bad.ron",
            "--runs",
            "10",
        ],
        &[("bad.ron", BAD_POLITY)],
        &["bad.ron:2:", "patterns.p.rule.b", "sung"],
    );
    refused(
        &[
            "score",
            "scenarios/baseline.ron",
            "--patterns",
            "bad.ron",
            "--runs",
            "10",
        ],
        &[("bad.ron", EMPTY_WINDOW)],
        &["bad.ron:2:", "patterns.p.rule"],
    );
    refused(
        &[
            "score",
            "scenarios/baseline.ron",
            "--patterns",
            "bad.ron",
            "--runs",
            "10",
        ],
        &[("bad.ron", TYPO_IN_RULE)],
        &["bad.ron:2:", "polty"],
    );
    refused(
        &[
            "calibrate",
            "scenarios/baseline.ron",
            "--patterns",
            "bad.ron",
            "--free",
            "polities.jin.war_readiness=0.1..0.9",
        ],
        &[("bad.ron", BAD_POLITY)],
        &["bad.ron:2:", "sung"],
    );
}

#[test]
fn calibrate_refuses_bad_free_parameters() {
    refused(
        &[
            "calibrate",
            "scenarios/baseline.ron",
            "--free",
            "polities.jin.war_readyness=0.1..0.9",
            "--runs",
            "10",
        ],
        &[],
        &["polities.jin.war_readyness", "polities.jin.war_readiness"],
    );
    refused(
        &[
            "calibrate",
            "scenarios/baseline.ron",
            "--free",
            "polities.jin.war_readiness=0.9..0.1",
        ],
        &[],
        &["--free", "LO < HI"],
    );
    refused(
        &[
            "calibrate",
            "scenarios/baseline.ron",
            "--free",
            "polities.jin.war_readiness=0.1..1.5",
        ],
        &[],
        &["polities.jin.war_readiness", "out of range"],
    );
}

#[test]
fn attribute_refuses_bad_mechanisms() {
    refused(
        &[
            "attribute",
            "--mechanisms",
            "fear_spiral,provocation",
            "--runs",
            "10",
        ],
        &[],
        &["--mechanisms", "provocation", "provocations"],
    );
    let eleven = "fear_spiral,provocations,events,mobilization_lag,restraint,isolation,status_rigidity,instability,alliances,truces,greed";
    refused(
        &["attribute", "--mechanisms", eleven, "--runs", "10"],
        &[],
        &["--mechanisms", "10"],
    );
    refused(
        &[
            "attribute",
            "--mechanisms",
            "greed",
            "--dyad",
            "jin,sung",
            "--runs",
            "10",
        ],
        &[],
        &["--dyad", "sung"],
    );
}

#[test]
fn compare_refuses_different_polity_sets_and_bad_dates() {
    refused(
        &["compare", "scenarios/baseline.ron", "small.ron", "--runs", "10"],
        &[("small.ron", SMALL)],
        &["small.ron", "polities", "scenarios/baseline.ron"],
    );
    refused(
        &[
            "compare",
            "scenarios/baseline.ron",
            "scenarios/counterfactuals/no_pingzhou.ron",
            "--by",
            "1150-01",
        ],
        &[],
        &["--by", "1150-01"],
    );
    refused(
        &[
            "compare",
            "scenarios/baseline.ron",
            "scenarios/counterfactuals/no_pingzhou.ron",
            "--by",
            "1127-13",
        ],
        &[],
        &["--by", "1127-13"],
    );
}

#[test]
fn compare_with_itself_gives_zero_difference_and_p_one() {
    let tmp = tempfile::tempdir().unwrap();
    let base = baseline_path();
    let base = base.to_str().unwrap();
    let out = tmp.path().join("cmp");
    let o = jinsong(
        tmp.path(),
        &[
            "compare",
            base,
            base,
            "--runs",
            "2000",
            "--by",
            "1127-12",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    let d = &json["differences"][0];
    assert_eq!(d["difference"].as_f64(), Some(0.0));
    assert_eq!(d["p_value"].as_f64(), Some(1.0));
    assert_eq!(d["ci95"][0].as_f64(), Some(0.0));
    assert_eq!(d["ci95"][1].as_f64(), Some(0.0));
    let p = json["scenarios"][0]["probability"].as_f64().unwrap();
    assert!(p > 0.0 && p < 1.0, "the outcome is not degenerate: {p}");
}

/// Every batch command takes `--seed` and `--runs` from the scenario when they are not given
/// (the small scenario: seed 7, 100 runs), and a command about a pair names the scenario's pairs
/// when it has no `jin,song` to default to.
#[test]
fn batch_defaults_come_from_the_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("small.ron");
    std::fs::write(&small, SMALL).unwrap();
    let patterns = tmp.path().join("p.ron");
    std::fs::write(
        &patterns,
        r#"(patterns: [(name: "war", description: "", rule: OnsetWithin(a: "a", b: "b", from: "1200-01", to: "1209-12"))])"#,
    )
    .unwrap();
    let small = small.to_str().unwrap();
    let out = tmp.path().join("score");
    let o = jinsong(
        tmp.path(),
        &[
            "score",
            small,
            "--patterns",
            patterns.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-charts",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    let json = std::fs::read_to_string(out.join("scores.json")).unwrap();
    assert!(json.contains("\"runs\": 100"), "{json}\n{csv}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("100 runs per scenario, seed 7"), "{stdout}");
    for cmd in [
        vec!["attribute", small, "--mechanisms", "provocations"],
        vec!["compare", small, small],
        vec!["sensitivity", small, "--vary", "polities.a.fear_gain=0.1..0.3"],
    ] {
        let o = jinsong(tmp.path(), &cmd);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{cmd:?}");
        assert!(
            stderr.contains("has no pair jin,song to default to; its pairs: a,b a,c b,c"),
            "{cmd:?}: {stderr}"
        );
    }
}
