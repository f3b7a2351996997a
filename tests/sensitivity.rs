//! The Sobol estimator on a function with known indices, and `jinsong sensitivity` end to end.

use std::f64::consts::PI;

use crate::common::jinsong;
use jinsong::study::sensitivity::{sobol_indices, SaltelliDesign, BOOTSTRAP};

/// Ishigami function with a = 7, b = 0.1 on [−π, π]³.
fn ishigami(x: &[f64]) -> f64 {
    let (a, b) = (7.0, 0.1);
    x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
}

#[test]
fn ishigami_indices_lie_in_their_bootstrap_intervals() {
    // Analytic values (Ishigami & Homma 1990; Saltelli et al. 2008, §4.9).
    let s1 = [0.3139, 0.4424, 0.0];
    let st = [0.5576, 0.4424, 0.2437];
    let n = 8192;
    let design = SaltelliDesign::new(n, 3, 2026);
    let y: Vec<f64> = design
        .rows
        .iter()
        .map(|u| ishigami(&u.iter().map(|&v| -PI + 2.0 * PI * v).collect::<Vec<_>>()))
        .collect();
    let ix = sobol_indices(&y, n, 3, BOOTSTRAP, 2026);
    for i in 0..3 {
        let [lo, hi] = ix[i].first_order_ci95;
        assert!(
            lo <= s1[i] && s1[i] <= hi,
            "S{} = {} not in [{lo}, {hi}]",
            i + 1,
            s1[i]
        );
        assert!(hi - lo < 0.1, "S{} interval [{lo}, {hi}] is too wide", i + 1);
        let [lo, hi] = ix[i].total_ci95;
        assert!(
            lo <= st[i] && st[i] <= hi,
            "ST{} = {} not in [{lo}, {hi}]",
            i + 1,
            st[i]
        );
        assert!(hi - lo < 0.1, "ST{} interval [{lo}, {hi}] is too wide", i + 1);
    }
    // The same inputs give the same intervals.
    assert_eq!(ix, sobol_indices(&y, n, 3, BOOTSTRAP, 2026));
}

#[test]
fn sensitivity_writes_indices_and_plot_redraws_them() {
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path();
    let run = |args: &[&str]| jinsong(dir, args);
    let out = run(&[
        "sensitivity",
        "--vary",
        "relations.song.jin.provocation_rate=0..0.3",
        "--vary",
        "polities.song.mobilization_lag=2..24",
        "--samples",
        "16",
        "--runs",
        "60",
        "--bootstrap",
        "100",
        "--by",
        "1127-12",
        "--out",
        "s",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("s/sensitivity.json")).unwrap()).unwrap();
    assert_eq!(json["outcome"], "P(first war onset jin–song by 1127-12)");
    assert_eq!(json["evaluations"], 16 * 4);
    let params = json["parameters"].as_array().unwrap();
    assert_eq!(params.len(), 2);
    for p in params {
        for key in ["first_order", "total"] {
            assert!(p[key].as_f64().unwrap().is_finite());
            let ci = p[format!("{key}_ci95")].as_array().unwrap();
            assert!(ci[0].as_f64().unwrap() <= ci[1].as_f64().unwrap());
        }
    }
    let svg = std::fs::read(dir.join("s/sensitivity.svg")).unwrap();
    std::fs::remove_file(dir.join("s/sensitivity.svg")).unwrap();
    let out = run(&["plot", "s", "--format", "svg"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(dir.join("s/sensitivity.svg")).unwrap(), svg);

    // A list is not a range; one base sample is too few. Nothing is written.
    for bad in [
        vec![
            "sensitivity",
            "--vary",
            "mechanisms.provocations=true,false",
            "--out",
            "bad",
        ],
        vec![
            "sensitivity",
            "--vary",
            "polities.jin.stability=0.5..0.9",
            "--samples",
            "1",
            "--out",
            "bad",
        ],
        vec![
            "sensitivity",
            "--vary",
            "polities.jin.stability=0.5..1.5",
            "--out",
            "bad",
        ],
    ] {
        let out = run(&bad);
        assert_eq!(out.status.code(), Some(1), "{bad:?}");
        assert!(!dir.join("bad").exists(), "{bad:?}");
    }
}
