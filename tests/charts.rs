//! Charts: rendering from fixed results, the `--format`/`--size`/`--no-title` options, drawing
//! without system fonts, and `jinsong plot` on good and bad folders.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{text, SMALL};
use jinsong::charts::{
    attribution, compare_curves, compare_forest, load_run_results, onset_curves, onset_years,
    parse_compare_curves, parse_events_by_year, parse_formats, parse_size, parse_trace, parse_trace_events,
    scores, timeline, trace, ChartOptions, CompareCurveRow, CurveRow, Format, HappeningRow,
    MAX_TIMELINE_PANELS,
};
use jinsong::charts::{
    check_posterior_sample, parse_posterior_sample, posterior_corner, posterior_marginals, PosteriorReport,
    SampleRow, MAX_CORNER_PARAMETERS, POSTERIOR_CHARTS, POSTERIOR_SAMPLE_HEADER,
};
use jinsong::patterns::{Kind, PatternSet, Rule, Window};
use jinsong::study::attribute::Attribution;
use jinsong::study::compare::Comparison;
use jinsong::study::run::Summary;
use jinsong::study::score::{PatternCounts, ScoreReport};
use tempfile::TempDir;

/// Every run of the binary here hides the system fonts: the charts must draw without them.
const NO_FONTS: [(&str, &str); 1] = [("FONTCONFIG_FILE", "/nonexistent")];

/// [`crate::common::jinsong`] without system fonts.
fn jinsong(dir: &Path, args: &[&str]) -> Output {
    crate::common::jinsong_env(dir, args, &NO_FONTS)
}

/// [`crate::common::ok`] without system fonts.
fn ok(dir: &Path, args: &[&str]) -> Output {
    crate::common::ok_env(dir, args, &NO_FONTS)
}

/// [`crate::common::listing`] with the bytes of each file (a folder has none).
fn listing(dir: &Path) -> BTreeSet<(PathBuf, Vec<u8>)> {
    crate::common::listing(dir)
        .into_iter()
        .map(|rel| {
            let path = dir.join(&rel);
            let bytes = if path.is_dir() {
                Vec::new()
            } else {
                fs::read(&path).unwrap()
            };
            (rel, bytes)
        })
        .collect()
}

/// A finished `run` of the small fixture in `dir/run` (no charts), and its results.
fn small_run(dir: &Path) -> (PathBuf, Summary, Vec<CurveRow>) {
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    ok(
        dir,
        &[
            "run",
            "small.ron",
            "--runs",
            "300",
            "--out",
            "run",
            "--quiet",
            "--no-charts",
        ],
    );
    let run = dir.join("run");
    let (summary, rows) = load_run_results(&run).unwrap();
    (run, summary, rows)
}

/// Decode a PNG: (width, height, number of distinct colours).
fn decode_png(bytes: &[u8]) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let step = info.color_type.samples();
    let colours: BTreeSet<&[u8]> = buf[..info.buffer_size()].chunks(step).collect();
    (info.width, info.height, colours.len())
}

/// A minimal well-formedness check: one root, tags balanced and properly nested.
fn assert_well_formed_xml(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unclosed `<`");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().expect("closing tag without an opening one");
            assert_eq!(open, name.trim(), "mis-nested tags");
        } else {
            let name: String = tag
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '/')
                .collect();
            assert!(!name.is_empty(), "empty tag");
            if stack.is_empty() {
                roots += 1;
            }
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    assert_eq!(roots, 1, "one root element");
}

fn options(w: u32, h: u32, title: bool) -> ChartOptions {
    ChartOptions {
        formats: vec![Format::Svg, Format::Png],
        width: w,
        height: h,
        title,
    }
}

#[test]
fn both_charts_render_as_png_at_the_requested_size_and_are_not_blank() {
    let tmp = TempDir::new().unwrap();
    let (_, summary, rows) = small_run(tmp.path());
    assert!(summary.dyads.iter().any(|d| d.war_probability > 0.0));
    for (w, h) in [(1200, 750), (800, 500)] {
        let opts = options(w, h, true);
        let curves = onset_curves(&summary, &rows, Format::Png, &opts).unwrap();
        let years = onset_years(&summary, Format::Png, &opts).unwrap();
        for bytes in [curves, years] {
            let (dw, dh, colours) = decode_png(&bytes);
            assert_eq!((dw, dh), (w, h));
            assert!(colours > 1, "the PNG is blank");
        }
    }
}

#[test]
fn svg_is_well_formed_and_names_pairs_and_axes() {
    let tmp = TempDir::new().unwrap();
    let (_, summary, rows) = small_run(tmp.path());
    let opts = options(1200, 750, true);
    let curves = String::from_utf8(onset_curves(&summary, &rows, Format::Svg, &opts).unwrap()).unwrap();
    let years = String::from_utf8(onset_years(&summary, Format::Svg, &opts).unwrap()).unwrap();
    for svg in [&curves, &years] {
        assert_well_formed_xml(svg);
        assert!(svg.contains("Alpha – Beta"), "the pair Alpha – Beta is named");
    }
    assert!(curves.contains("Cumulative probability of first war onset"));
    assert!(curves.contains("Date (year, end of month)"));
    assert!(curves.contains("small: probability"), "title");
    assert!(years.contains("First onsets (runs)"));
    assert!(years.contains("Year"));
    assert!(years.contains("Initiator"));

    // --no-title drops the title only.
    let untitled = onset_curves(&summary, &rows, Format::Svg, &options(1200, 750, false)).unwrap();
    let untitled = String::from_utf8(untitled).unwrap();
    assert!(!untitled.contains("small: probability"));
    assert!(untitled.contains("Cumulative probability of first war onset"));
}

#[test]
fn pairs_that_never_fight_are_left_out_and_no_war_says_so() {
    let tmp = TempDir::new().unwrap();
    let (_, mut summary, rows) = small_run(tmp.path());
    let opts = options(900, 600, true);
    let svg = String::from_utf8(onset_curves(&summary, &rows, Format::Svg, &opts).unwrap()).unwrap();
    for d in &summary.dyads {
        if d.war_probability == 0.0 {
            let label = format!("{} – {}", name(&summary, &d.a), name(&summary, &d.b));
            assert!(!svg.contains(&label), "{label} never fought but is drawn");
        }
    }
    for d in &mut summary.dyads {
        d.war_probability = 0.0;
        d.onset_by_year.clear();
        d.initiator_by_year.clear();
    }
    for bytes in [
        onset_curves(&summary, &rows, Format::Svg, &opts).unwrap(),
        onset_years(&summary, Format::Svg, &opts).unwrap(),
    ] {
        let svg = String::from_utf8(bytes).unwrap();
        assert_well_formed_xml(&svg);
        assert!(svg.contains("No war onset in any pair"));
    }
    let (_, _, colours) = decode_png(&onset_years(&summary, Format::Png, &opts).unwrap());
    assert!(colours > 1);
}

fn name<'a>(s: &'a Summary, id: &'a str) -> &'a str {
    s.polities
        .iter()
        .find(|p| p.id == id)
        .map_or(id, |p| p.name.as_str())
}

#[test]
fn options_parse_and_refuse_with_clear_messages() {
    assert_eq!(parse_formats("svg,png").unwrap(), vec![Format::Svg, Format::Png]);
    assert_eq!(parse_formats("PNG").unwrap(), vec![Format::Png]);
    assert_eq!(parse_size("800x600").unwrap(), (800, 600));
    let e = parse_formats("svg,pdf").unwrap_err().to_string();
    assert!(e.contains("pdf") && e.contains("svg, png"), "{e}");
    for bad in ["800", "axb", "10x10", "0x600", "99999x600", "400x300"] {
        let e = parse_size(bad).unwrap_err().to_string();
        assert!(e.starts_with("--size") && e.contains(bad), "{e}");
    }
}

#[test]
fn run_draws_charts_without_system_fonts_and_plot_redraws_them() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    ok(
        dir,
        &[
            "run",
            "small.ron",
            "--runs",
            "200",
            "--out",
            "a",
            "--quiet",
            "--size",
            "800x500",
        ],
    );
    for f in [
        "summary.json",
        "onset_curve.csv",
        "onset_curves.svg",
        "onset_curves.png",
        "onset_years.svg",
        "onset_years.png",
    ] {
        assert!(dir.join("a").join(f).is_file(), "run wrote {f}");
    }
    let (w, h, _) = decode_png(&fs::read(dir.join("a/onset_curves.png")).unwrap());
    assert_eq!((w, h), (800, 500));

    // --no-charts and --format.
    ok(
        dir,
        &[
            "run",
            "small.ron",
            "--runs",
            "200",
            "--out",
            "b",
            "--quiet",
            "--no-charts",
        ],
    );
    let names: Vec<String> = fs::read_dir(dir.join("b"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // The results and no chart.
    assert!(
        names.iter().any(|n| n == "summary.json") && names.iter().any(|n| n == "onset_curve.csv"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.ends_with(".svg") || n.ends_with(".png")),
        "{names:?}"
    );
    ok(
        dir,
        &[
            "run",
            "small.ron",
            "--runs",
            "200",
            "--out",
            "c",
            "--quiet",
            "--format",
            "svg",
        ],
    );
    assert!(dir.join("c/onset_years.svg").is_file());
    assert!(!dir.join("c/onset_years.png").exists());

    // plot redraws the same charts, deterministically.
    ok(dir, &["plot", "b", "--size", "800x500"]);
    for f in [
        "onset_curves.svg",
        "onset_curves.png",
        "onset_years.svg",
        "onset_years.png",
    ] {
        assert_eq!(
            fs::read(dir.join("a").join(f)).unwrap(),
            fs::read(dir.join("b").join(f)).unwrap(),
            "{f}: plot gives what run drew"
        );
    }
}

#[test]
fn bad_options_are_refused_before_anything_is_written() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    for args in [["--format", "gif"], ["--size", "big"]] {
        let mut all = vec!["run", "small.ron", "--runs", "10", "--out", "x"];
        all.extend(args);
        let out = jinsong(dir, &all);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains(args[0]), "{}", text(&out.stderr));
        assert!(!dir.join("x").exists());
    }
}

#[test]
fn plot_on_missing_or_corrupted_results_names_the_file_and_writes_nothing() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let (run, _, _) = small_run(dir);
    let summary = fs::read_to_string(run.join("summary.json")).unwrap();
    let curve = fs::read_to_string(run.join("onset_curve.csv")).unwrap();

    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("summary.json", None, "cannot read"),
        (
            "summary.json",
            Some(summary[..summary.len() / 2].to_string()),
            "not a valid summary",
        ),
        ("summary.json", Some("[]".into()), "not a valid summary"),
        ("onset_curve.csv", None, "cannot read"),
        ("onset_curve.csv", Some("a,b\n".into()), "header"),
        ("onset_curve.csv", Some(curve.replacen(",0,", ",x,", 1)), "line 2"),
    ];
    for (file, contents, expect) in cases {
        fs::write(run.join("summary.json"), &summary).unwrap();
        fs::write(run.join("onset_curve.csv"), &curve).unwrap();
        match &contents {
            None => fs::remove_file(run.join(file)).unwrap(),
            Some(c) => fs::write(run.join(file), c).unwrap(),
        }
        let before = listing(dir);
        let out = jinsong(dir, &["plot", "run"]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "plot succeeded with a bad {file}");
        assert!(stderr.contains(file), "the message names {file}: {stderr}");
        assert!(stderr.contains(expect), "the message says `{expect}`: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(listing(dir), before, "plot wrote nothing");
    }
    let out = jinsong(dir, &["plot", "nowhere"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("summary.json"));
    assert!(!dir.join("nowhere").exists());
}

// ---------------------------------------------------------------------------------------------
// attribute → attribution, score → scores
// ---------------------------------------------------------------------------------------------

/// A small fixed attribution: three mechanisms, one negative.
fn fixed_attribution() -> Attribution {
    serde_json::from_str(
        r#"{
  "dyad": "jin,song", "by": "1142-12",
  "all_on": {"probability": 0.9, "ci95": [0.88, 0.92]},
  "all_off": {"probability": 0.1, "ci95": [0.08, 0.12]},
  "mechanisms": [
    {"mechanism": "fear_spiral", "shapley": 0.5, "ci95": [0.45, 0.55]},
    {"mechanism": "provocations", "shapley": 0.35, "ci95": [0.3, 0.4]},
    {"mechanism": "mobilization_lag", "shapley": -0.05, "ci95": [-0.08, -0.02]}
  ],
  "initiators": {"onsets": 900, "by_polity": {"jin": {"count": 900, "share": 1.0, "ci95": [0.99, 1.0]}}},
  "provoked_first": {"onsets": 900, "count": 450, "share": 0.5, "ci95": [0.47, 0.53], "by_initiator": {}},
  "scenario": "fixture", "runs": 1000, "seed": 7, "factorial": 6,
  "combination_successes": [100, 200, 300, 400, 500, 600, 700, 900]
}"#,
    )
    .expect("the fixed attribution parses")
}

/// A small fixed score report: two scenarios, three patterns.
fn fixed_scores() -> ScoreReport {
    let names: Vec<String> = ["onset_window", "jin_strikes", "song_unready"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let counts = |m: [u64; 3], joint| PatternCounts {
        runs: 100,
        matched: m.to_vec(),
        joint,
        ..PatternCounts::new(3)
    };
    ScoreReport::new(
        &names,
        &[
            ("baseline".to_string(), counts([30, 96, 67], 25)),
            ("no_shared_border".to_string(), counts([0, 1, 1], 0)),
        ],
    )
}

#[test]
fn attribution_and_scores_render_png_at_size_and_not_blank() {
    let a = fixed_attribution();
    let s = fixed_scores();
    for (w, h) in [(1200, 750), (800, 500)] {
        let opts = options(w, h, true);
        for bytes in [
            attribution(&a, Format::Png, &opts).unwrap(),
            scores(&s, Format::Png, &opts).unwrap(),
        ] {
            let (dw, dh, colours) = decode_png(&bytes);
            assert_eq!((dw, dh), (w, h));
            assert!(colours > 1, "the PNG is blank");
        }
    }
}

#[test]
fn attribution_and_scores_svg_name_their_rows_and_axes() {
    let opts = options(1200, 750, true);
    let svg = String::from_utf8(attribution(&fixed_attribution(), Format::Svg, &opts).unwrap()).unwrap();
    assert_well_formed_xml(&svg);
    for m in [
        "fear spiral",
        "provocations",
        "mobilization lag",
        "Mechanism",
        "Shapley value",
        "All mechanisms on: P = 0.900",
    ] {
        assert!(svg.contains(m), "attribution names {m}");
    }
    assert!(
        svg.contains("Shapley attribution of P(first war onset jin–song by 1142-12)"),
        "title"
    );
    let untitled = String::from_utf8(
        attribution(&fixed_attribution(), Format::Svg, &options(1200, 750, false)).unwrap(),
    )
    .unwrap();
    assert!(!untitled.contains("Shapley attribution of"));
    assert!(
        untitled.contains("all off: P = 0.100"),
        "all on/off stay without the title"
    );

    let svg = String::from_utf8(scores(&fixed_scores(), Format::Svg, &opts).unwrap()).unwrap();
    assert_well_formed_xml(&svg);
    for m in [
        "baseline",
        "no_shared_border",
        "onset_window",
        "jin_strikes",
        "song_unready",
        "all jointly",
        "Scenario",
        "Pattern",
        "0.960",
        "0.250",
    ] {
        assert!(svg.contains(m), "scores names {m}");
    }
}

#[test]
fn attribute_and_score_draw_their_charts_and_plot_redraws_them() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    fs::write(dir.join("p.ron"), PATTERNS).unwrap();
    ok(
        dir,
        &[
            "attribute",
            "small.ron",
            "--mechanisms",
            "fear_spiral,provocations",
            "--dyad",
            "a,b",
            "--runs",
            "100",
            "--out",
            "attr",
            "--quiet",
            "--size",
            "800x500",
        ],
    );
    ok(
        dir,
        &[
            "attribute",
            "small.ron",
            "--mechanisms",
            "fear_spiral,provocations",
            "--dyad",
            "a,b",
            "--runs",
            "100",
            "--out",
            "attr2",
            "--quiet",
            "--no-charts",
        ],
    );
    assert!(dir.join("attr/attribution.svg").is_file());
    assert!(!dir.join("attr2/attribution.png").exists());
    ok(dir, &["plot", "attr2", "--size", "800x500"]);
    for f in ["attribution.svg", "attribution.png"] {
        assert_eq!(
            fs::read(dir.join("attr").join(f)).unwrap(),
            fs::read(dir.join("attr2").join(f)).unwrap(),
            "{f}"
        );
    }
    ok(
        dir,
        &[
            "score",
            "small.ron",
            "--patterns",
            "p.ron",
            "--runs",
            "100",
            "--out",
            "sc",
            "--quiet",
            "--format",
            "png",
            "--no-title",
        ],
    );
    assert!(dir.join("sc/scores.png").is_file());
    assert!(!dir.join("sc/scores.svg").exists());
    let (w, h, _) = decode_png(&fs::read(dir.join("sc/scores.png")).unwrap());
    assert_eq!((w, h), (1200, 750));

    // A corrupted result file is named, and nothing is written.
    fs::write(dir.join("sc/scores.json"), "{\"patterns\": 3}").unwrap();
    let before = listing(dir);
    let out = jinsong(dir, &["plot", "sc"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("scores.json") && stderr.contains("not a valid score report"),
        "{stderr}"
    );
    assert_eq!(listing(dir), before);
}

/// A pattern file for the small fixture.
const PATTERNS: &str = r#"(patterns: [
    (name: "alpha_beta_fight", description: "Alpha and Beta fight",
     rule: OnsetWithin(a: "a", b: "b", from: "1200-01", to: "1209-12")),
])"#;

// ---------------------------------------------------------------------------------------------
// compare → compare_forest, compare_curves
// ---------------------------------------------------------------------------------------------

/// A small fixed comparison of three scenarios and its monthly curves.
fn fixed_comparison() -> (Comparison, Vec<CompareCurveRow>) {
    let c: Comparison = serde_json::from_str(
        r#"{"dyad": "jin,song", "by": "1126-12",
  "scenarios": [
    {"scenario": "baseline", "probability": 0.6, "ci95": [0.55, 0.65]},
    {"scenario": "song_fast", "probability": 0.3, "ci95": [0.25, 0.35]},
    {"scenario": "no_pingzhou", "probability": 0.65, "ci95": [0.6, 0.7]}
  ],
  "differences": [
    {"scenario": "song_fast", "difference": -0.3, "ci95": [-0.35, -0.25], "p_value": 0.0001},
    {"scenario": "no_pingzhou", "difference": 0.05, "ci95": [-0.01, 0.11], "p_value": 0.2}
  ]}"#,
    )
    .expect("the fixed comparison parses");
    let mut csv = String::from("scenario,month,onsets,cumulative_probability\n");
    for (s, p) in [("baseline", 0.6), ("song_fast", 0.3), ("no_pingzhou", 0.65)] {
        for m in 0..24u32 {
            let month = format!("{}-{:02}", 1125 + m / 12, m % 12 + 1);
            csv.push_str(&format!("{s},{month},1,{}\n", p * f64::from(m + 1) / 24.0));
        }
    }
    (c, parse_compare_curves(&csv).unwrap())
}

#[test]
fn compare_charts_render_png_at_size_and_svg_names_scenarios() {
    let (c, rows) = fixed_comparison();
    for (w, h) in [(1200, 750), (800, 500)] {
        let opts = options(w, h, true);
        for bytes in [
            compare_forest(&c, Format::Png, &opts).unwrap(),
            compare_curves(&c, &rows, Format::Png, &opts).unwrap(),
        ] {
            let (dw, dh, colours) = decode_png(&bytes);
            assert_eq!((dw, dh), (w, h));
            assert!(colours > 1, "the PNG is blank");
        }
    }
    let opts = options(1200, 750, true);
    let forest = String::from_utf8(compare_forest(&c, Format::Svg, &opts).unwrap()).unwrap();
    let curves = String::from_utf8(compare_curves(&c, &rows, Format::Svg, &opts).unwrap()).unwrap();
    for svg in [&forest, &curves] {
        assert_well_formed_xml(svg);
        for s in ["baseline", "song_fast", "no_pingzhou"] {
            assert!(svg.contains(s), "names {s}");
        }
    }
    assert!(forest.contains("Scenario") && forest.contains("P(first war onset by 1126-12)"));
    assert!(forest.contains("Difference in probability from baseline"));
    assert!(
        curves.contains("Cumulative probability of first war onset")
            && curves.contains("Date (year, end of month)")
    );
}

#[test]
fn compare_writes_curves_and_charts_and_plot_redraws_them() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    fs::write(
        dir.join("other.ron"),
        SMALL.replacen("name: \"small\"", "name: \"other\"", 1),
    )
    .unwrap();
    let args = [
        "compare",
        "small.ron",
        "other.ron",
        "--dyad",
        "a,b",
        "--runs",
        "200",
        "--quiet",
    ];
    let mut a = args.to_vec();
    a.extend(["--out", "c1", "--size", "800x500"]);
    ok(dir, &a);
    let mut b = args.to_vec();
    b.extend(["--out", "c2", "--no-charts", "--threads", "1"]);
    ok(dir, &b);
    // Same numbers at any thread count, and the curve ends at the probability by the date.
    for f in ["compare.json", "compare_curves.csv"] {
        assert_eq!(
            fs::read(dir.join("c1").join(f)).unwrap(),
            fs::read(dir.join("c2").join(f)).unwrap(),
            "{f}"
        );
    }
    let c: Comparison =
        serde_json::from_str(&fs::read_to_string(dir.join("c1/compare.json")).unwrap()).unwrap();
    let rows = parse_compare_curves(&fs::read_to_string(dir.join("c1/compare_curves.csv")).unwrap()).unwrap();
    for s in &c.scenarios {
        let last = rows.iter().rfind(|r| r.scenario == s.scenario).unwrap();
        assert_eq!(last.month, c.by);
        assert!((last.cumulative_probability - s.probability).abs() < 1e-12);
    }
    assert!(!dir.join("c2/compare_forest.svg").exists());
    ok(dir, &["plot", "c2", "--size", "800x500"]);
    for f in [
        "compare_forest.svg",
        "compare_forest.png",
        "compare_curves.svg",
        "compare_curves.png",
    ] {
        assert_eq!(
            fs::read(dir.join("c1").join(f)).unwrap(),
            fs::read(dir.join("c2").join(f)).unwrap(),
            "{f}"
        );
    }
    fs::remove_file(dir.join("c2/compare_curves.csv")).unwrap();
    let before = listing(dir);
    let out = jinsong(dir, &["plot", "c2"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("compare_curves.csv"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(listing(dir), before);
}

// ---------------------------------------------------------------------------------------------
// trace → trace
// ---------------------------------------------------------------------------------------------

#[test]
fn trace_chart_renders_and_names_polities_events_and_axes() {
    let mut csv = String::from("month,polity,other,fear,trust,mobilization,status\n");
    for m in 0..36u32 {
        let month = format!("{}-{:02}", 1200 + m / 12, m % 12 + 1);
        let f = f64::from(m) / 36.0;
        csv.push_str(&format!("{month},a,b,{f},0.5,{},peace\n", f / 2.0));
        csv.push_str(&format!("{month},b,a,{},0.4,0.2,peace\n", 1.0 - f));
    }
    let rows = parse_trace(&csv).unwrap();
    let events =
        parse_trace_events("month,kind,label\n1200-06,event,border\n1201-03,event,insult\n1202-01,war,a→b\n")
            .unwrap();
    for (w, h) in [(1200, 750), (800, 500)] {
        let (dw, dh, colours) =
            decode_png(&trace(&rows, &events, Format::Png, &options(w, h, true)).unwrap());
        assert_eq!((dw, dh), (w, h));
        assert!(colours > 1);
    }
    let svg =
        String::from_utf8(trace(&rows, &events, Format::Svg, &options(1200, 750, true)).unwrap()).unwrap();
    assert_well_formed_xml(&svg);
    for s in [
        "border",
        "insult",
        "mobilization",
        "Date (year CE",
        "Fear (fear units)",
        ">\na\n",
        ">\nb\n",
    ] {
        assert!(svg.contains(s), "names {s}");
    }
}

#[test]
fn trace_command_draws_and_plot_redraws() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    ok(
        dir,
        &[
            "trace",
            "small.ron",
            "--out",
            "t1",
            "--quiet",
            "--size",
            "800x500",
        ],
    );
    ok(
        dir,
        &["trace", "small.ron", "--out", "t2", "--quiet", "--no-charts"],
    );
    assert!(dir.join("t1/events.csv").is_file());
    assert!(!dir.join("t2/trace.png").exists());
    ok(dir, &["plot", "t2", "--size", "800x500"]);
    for f in ["trace.svg", "trace.png"] {
        assert_eq!(
            fs::read(dir.join("t1").join(f)).unwrap(),
            fs::read(dir.join("t2").join(f)).unwrap(),
            "{f}"
        );
    }
    fs::write(
        dir.join("t2/events.csv"),
        "month,kind,label\nnot-a-month,event,x\n",
    )
    .unwrap();
    let before = listing(dir);
    let out = jinsong(dir, &["plot", "t2"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("events.csv") && stderr.contains("line 2"),
        "{stderr}"
    );
    assert_eq!(listing(dir), before);
}

// ---------------------------------------------------------------------------------------------
// What a reader sees: measured on the SVG
// ---------------------------------------------------------------------------------------------

/// A `<text>` element of an SVG: position, size, anchor, whether it is turned, and its text.
#[derive(Debug, Clone)]
struct SvgText {
    x: f64,
    y: f64,
    size: f64,
    anchor: String,
    dy: String,
    turned: bool,
    text: String,
}

/// The value of attribute `name` in the tag text `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    let j = tag[i..].find('"')?;
    Some(&tag[i..i + j])
}

/// Every `<text>` of an SVG written by plotters.
fn svg_texts(svg: &str) -> Vec<SvgText> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text ") {
        rest = &rest[i..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        let close = rest.find("</text>").unwrap();
        let text = rest[end + 1..close]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        let num = |n: &str| attr(tag, n).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        out.push(SvgText {
            x: num("x"),
            y: num("y"),
            size: num("font-size"),
            anchor: attr(tag, "text-anchor").unwrap_or("start").to_string(),
            dy: attr(tag, "dy").unwrap_or("").to_string(),
            turned: tag.contains("transform="),
            text,
        });
        rest = &rest[close..];
    }
    out
}

/// The box a horizontal text covers, (left, top, right, bottom), with DejaVu Sans's characters
/// taken as 0.6 em wide on average (a fair estimate; real widths vary around it).
fn text_box(t: &SvgText) -> (f64, f64, f64, f64) {
    let w = t.text.chars().count() as f64 * 0.6 * t.size;
    let left = match t.anchor.as_str() {
        "middle" => t.x - w / 2.0,
        "end" => t.x - w,
        _ => t.x,
    };
    let top = if t.dy == "0.5ex" { t.y - t.size / 2.0 } else { t.y };
    (left, top, left + w, top + t.size)
}

fn overlap(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// A `<polyline>` of an SVG: stroke colour, stroke width and points.
type Polyline = (String, f64, Vec<(f64, f64)>);

/// Every `<polyline>` of an SVG.
fn svg_polylines(svg: &str) -> Vec<Polyline> {
    svg.split("<polyline ")
        .skip(1)
        .map(|rest| {
            let tag = &rest[..rest.find("/>").unwrap()];
            let tag = format!(" {tag}");
            let points = attr(&tag, "points")
                .unwrap()
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            let width = attr(&tag, "stroke-width").unwrap().parse().unwrap();
            (attr(&tag, "stroke").unwrap().to_string(), width, points)
        })
        .collect()
}

fn length(points: &[(f64, f64)]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
        .sum()
}

fn vertical_extent(points: &[(f64, f64)]) -> f64 {
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    hi - lo
}

fn svg(bytes: Result<Vec<u8>, jinsong::charts::ChartError>) -> String {
    let text = String::from_utf8(bytes.unwrap()).unwrap();
    assert_well_formed_xml(&text);
    text
}

/// `trace.csv` of two polities over 1200–1229: `a`'s fear of `b` rises from 0 to `peak`, its
/// mobilization from 0 to 1; `b`'s fear of `a` stays under 1.
fn two_polity_trace(peak: f64) -> Vec<jinsong::charts::TraceRow> {
    let mut csv = String::from("month,polity,other,fear,trust,mobilization,status\n");
    let months = 360u32;
    for m in 0..months {
        let month = format!("{}-{:02}", 1200 + m / 12, m % 12 + 1);
        let f = f64::from(m) / f64::from(months - 1);
        csv.push_str(&format!("{month},a,b,{},0.5,{f},peace\n", peak * f));
        csv.push_str(&format!("{month},b,a,{},0.4,0.3,peace\n", 0.8 * (1.0 - f)));
    }
    parse_trace(&csv).unwrap()
}

#[test]
fn trace_event_labels_stay_inside_the_chart_above_the_panels_and_never_overlap() {
    let rows = two_polity_trace(1.0);
    let mut events = String::from("month,kind,label\n1200-01,event,a_very_long_opening_event_label\n");
    let mut labels = vec!["a_very_long_opening_event_label".to_string()];
    for k in 0..20u32 {
        let label = format!("clustered_event_{k}");
        events.push_str(&format!("{}-{:02},event,{label}\n", 1210 + k / 12, k % 12 + 1));
        labels.push(label);
    }
    events.push_str("1229-12,event,a_very_long_closing_event_label\n1215-01,war,a→b\n");
    labels.push("a_very_long_closing_event_label".into());
    let events = parse_trace_events(&events).unwrap();
    for (w, h, title) in [(1200, 750, true), (1200, 750, false), (800, 500, false)] {
        let svg = svg(trace(&rows, &events, Format::Svg, &options(w, h, title)));
        let texts = svg_texts(&svg);
        let caption = texts
            .iter()
            .find(|t| t.text == "a" && t.anchor == "middle")
            .expect("the first panel's caption");
        let drawn: Vec<&SvgText> = texts.iter().filter(|t| labels.contains(&t.text)).collect();
        assert!(
            drawn.len() >= 6,
            "{w}x{h}: only {} event labels drawn",
            drawn.len()
        );
        for edge in [
            "a_very_long_opening_event_label",
            "a_very_long_closing_event_label",
        ] {
            assert!(drawn.iter().any(|t| t.text == edge), "{w}x{h}: {edge} is drawn");
        }
        for (i, a) in drawn.iter().enumerate() {
            let b = text_box(a);
            assert!(
                b.0 >= 0.0 && b.2 <= f64::from(w) && b.1 >= 4.0,
                "{w}x{h}: {} leaves the canvas: {b:?}",
                a.text
            );
            assert!(
                b.3 <= caption.y,
                "{w}x{h}: {} reaches into the first panel ({} > {})",
                a.text,
                b.3,
                caption.y
            );
            for c in &drawn[i + 1..] {
                assert!(
                    !overlap(b, text_box(c)),
                    "{w}x{h}: {} overlaps {}",
                    a.text,
                    c.text
                );
            }
        }
        // What found no room is counted, not silently dropped.
        let missing = labels.len() - drawn.len();
        if missing > 0 {
            let note = format!(
                "{missing} event{} unlabelled",
                if missing == 1 { "" } else { "s" }
            );
            assert!(svg.contains(&note), "{w}x{h}: the legend says `{note}`");
        }
    }
}

#[test]
fn trace_legend_separates_colours_from_line_styles_and_axes_give_units() {
    let rows = two_polity_trace(1.0);
    let events = parse_trace_events("month,kind,label\n1205-01,event,border\n").unwrap();
    let svg = svg(trace(&rows, &events, Format::Svg, &options(1200, 750, true)));
    let texts = svg_texts(&svg);
    let y_of = |s: &str| {
        texts
            .iter()
            .find(|t| t.text == s && !t.turned && t.x > 900.0)
            .unwrap_or_else(|| panic!("the legend has `{s}`"))
            .y
    };
    // Colours (toward which polity) in one block, line styles (mobilization among them) in
    // another below it.
    assert!(y_of("Toward") < y_of("a") && y_of("a") < y_of("b"));
    assert!(y_of("b") < y_of("Line"));
    for s in [
        "fear of it",
        "trust in it",
        "mobilization",
        "scripted event",
        "war begins",
    ] {
        assert!(y_of("Line") < y_of(s), "{s} is under the line-style heading");
    }
    assert!(!svg.contains("Level"), "no unitless `Level` axis");
    assert!(svg.contains("Fear (fear units)"));
    assert!(svg.contains("Trust, mobilization (share, 0–1)"));
}

#[test]
fn trace_fear_of_15_does_not_flatten_trust_and_mobilization() {
    let rows = two_polity_trace(15.0);
    let svg = svg(trace(&rows, &[], Format::Svg, &options(1200, 750, true)));
    let lines = svg_polylines(&svg);
    let long = |colour: &str| {
        lines
            .iter()
            .filter(|(c, _, p)| c == colour && p.len() > 50)
            .map(|(_, _, p)| p.clone())
            .next()
            .unwrap_or_else(|| panic!("a long {colour} line"))
    };
    // In a's panel: its fear of b (vermillion) rises to 15, its mobilization (black) to 1.
    let fear = vertical_extent(&long("#D55E00"));
    let mobilization = vertical_extent(&long("#000000"));
    assert!(
        mobilization > 0.6 * fear,
        "mobilization spans {mobilization} px against fear's {fear} px"
    );
}

/// A comparison of `scenarios` with the same curve each: over 1115-01 to 1142-12, with first
/// onsets (out of 200 runs) from 1140-03 on.
fn coinciding_comparison(scenarios: &[&str]) -> (Comparison, Vec<CompareCurveRow>) {
    let runs = 200u64;
    let mut csv = String::from("scenario,month,onsets,cumulative_probability\n");
    let mut last = 0.0;
    for s in scenarios {
        let mut cum = 0u64;
        for m in 0..336u32 {
            let onsets = if m >= 302 && m % 2 == 0 { 3 } else { 0 };
            cum += onsets;
            last = cum as f64 / runs as f64;
            let month = format!("{}-{:02}", 1115 + m / 12, m % 12 + 1);
            csv.push_str(&format!("{s},{month},{onsets},{last}\n"));
        }
    }
    let list: Vec<String> = scenarios
        .iter()
        .map(|s| format!(r#"{{"scenario": "{s}", "probability": {last}, "ci95": [0.2, 0.3]}}"#))
        .collect();
    let diffs: Vec<String> = scenarios[1..]
        .iter()
        .map(|s| {
            format!(r#"{{"scenario": "{s}", "difference": 0.0, "ci95": [-0.01, 0.01], "p_value": 1.0}}"#)
        })
        .collect();
    let json = format!(
        r#"{{"dyad": "jin,song", "by": "1142-12", "scenarios": [{}], "differences": [{}]}}"#,
        list.join(","),
        diffs.join(",")
    );
    let c: Comparison = serde_json::from_str(&json).unwrap();
    (c, parse_compare_curves(&csv).unwrap())
}

#[test]
fn compare_curves_that_coincide_all_show_and_have_wilson_bands() {
    let (c, rows) = coinciding_comparison(&["baseline", "same_again", "and_again"]);
    let svg = svg(compare_curves(&c, &rows, Format::Svg, &options(1200, 750, true)));
    let lines = svg_polylines(&svg);
    let curve = lines
        .iter()
        .filter(|(c, _, _)| c == "#0072B2")
        .map(|(_, _, p)| length(p))
        .fold(0.0, f64::max);
    for colour in ["#D55E00", "#009E73"] {
        let dashes: Vec<f64> = lines
            .iter()
            .filter(|(c, _, _)| c == colour)
            .map(|(_, _, p)| length(p))
            .collect();
        assert!(
            dashes.len() >= 20,
            "{colour} is drawn in dashes: {}",
            dashes.len()
        );
        let drawn: f64 = dashes.iter().sum();
        assert!(
            drawn < 0.6 * curve,
            "{colour}'s dashes ({drawn} px) leave room for the curve under them ({curve} px)"
        );
    }
    // The two dashed curves take turns: their dashes do not start at the same points.
    let starts = |colour: &str| -> BTreeSet<(i64, i64)> {
        lines
            .iter()
            .filter(|(c, _, p)| c == colour && p.len() >= 2)
            .map(|(_, _, p)| (p[0].0 as i64, p[0].1 as i64))
            .collect()
    };
    let (a, b) = (starts("#D55E00"), starts("#009E73"));
    assert!(a.intersection(&b).count() * 4 < a.len(), "the dashes are offset");
    for colour in ["#0072B2", "#D55E00", "#009E73"] {
        assert!(
            svg.contains(&format!("fill=\"{colour}\"")) && svg.contains("<polygon"),
            "a Wilson band in {colour}"
        );
    }
    assert!(svg.contains("Wilson 95% interval"));
}

#[test]
fn compare_curves_start_a_little_before_the_first_onset() {
    let (c, rows) = coinciding_comparison(&["baseline", "other"]);
    let svg = svg(compare_curves(&c, &rows, Format::Svg, &options(1200, 750, true)));
    let years: Vec<f64> = svg_texts(&svg)
        .iter()
        .filter(|t| {
            let b = t.text.as_bytes();
            (b.len() == 4 || (b.len() == 7 && b[4] == b'-'))
                && t.text.chars().filter(|c| c.is_ascii_digit()).count() == b.len() - b.len() / 7
        })
        .map(|t| t.text[..4].parse().unwrap())
        .collect();
    let first = years.iter().copied().fold(f64::INFINITY, f64::min);
    // The first onset is in 1140-03; the scenarios start in 1115.
    assert!(
        (1138.0..=1140.0).contains(&first),
        "the first date tick is {first}: {years:?}"
    );
}

#[test]
fn attribution_intervals_never_round_to_zero_and_mechanisms_read_as_words() {
    let mut a = fixed_attribution();
    a.all_off.probability = 0.0;
    a.all_off.ci95 = [0.0, 0.000_384];
    a.mechanisms[2].mechanism = "events".into();
    let svg = svg(attribution(&a, Format::Svg, &options(1200, 750, true)));
    assert!(!svg.contains("0.000, 0.000"), "an interval reads [0.000, 0.000]");
    assert!(
        svg.contains("all off: P = 0 [0, 0.0004]"),
        "the exact interval is written"
    );
    assert!(
        svg.contains("on: P = 0.900 [0.880, 0.920]"),
        "ordinary values keep 3 decimals"
    );
    for m in ["fear spiral", "provocations", "scripted events"] {
        assert!(svg.contains(&format!(">\n{m}\n<")), "the mechanism reads `{m}`");
    }
    assert!(!svg.contains("fear_spiral"));
}

#[test]
fn sizes_below_the_readable_minimum_are_refused_with_the_minimum_named() {
    for small in ["400x300", "799x500", "800x499", "640x480"] {
        let e = parse_size(small).unwrap_err().to_string();
        assert!(e.contains(small) && e.contains("800x500"), "{e}");
        assert!(ChartOptions::parse("svg", small, false).is_err());
    }
    assert_eq!(parse_size("800x500").unwrap(), (800, 500));
    assert_eq!(parse_size("8000x8000").unwrap(), (8000, 8000));
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    let out = jinsong(
        dir,
        &[
            "run",
            "small.ron",
            "--runs",
            "10",
            "--out",
            "x",
            "--size",
            "400x300",
        ],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--size") && stderr.contains("800x500"),
        "{stderr}"
    );
    assert!(!dir.join("x").exists());
}

#[test]
fn at_the_smallest_size_no_two_texts_overlap() {
    let tmp = TempDir::new().unwrap();
    let (run, summary, rows) = small_run(tmp.path());
    let happenings = events_by_year(&run);
    let (base_summary, base_happenings) = baseline_happenings(tmp.path());
    let (c, curves) = fixed_comparison();
    let trace_rows = two_polity_trace(3.0);
    let events = parse_trace_events("month,kind,label\n1205-01,event,border_incident\n").unwrap();
    let opts = options(800, 500, true);
    let charts = [
        ("onset_curves", onset_curves(&summary, &rows, Format::Svg, &opts)),
        ("onset_years", onset_years(&summary, Format::Svg, &opts)),
        ("compare_forest", compare_forest(&c, Format::Svg, &opts)),
        ("compare_curves", compare_curves(&c, &curves, Format::Svg, &opts)),
        (
            "attribution",
            attribution(&fixed_attribution(), Format::Svg, &opts),
        ),
        ("scores", scores(&fixed_scores(), Format::Svg, &opts)),
        ("trace", trace(&trace_rows, &events, Format::Svg, &opts)),
        ("timeline", timeline(&summary, &happenings, Format::Svg, &opts)),
        (
            "timeline (baseline, with marks)",
            timeline(&base_summary, &base_happenings, Format::Svg, &opts),
        ),
    ];
    for (name, bytes) in charts {
        assert_no_text_overlaps(name, &svg(bytes), 800.0);
    }
}

/// No two horizontal texts of `svg` (the chart `name`, `width` pixels wide) overlap, with a
/// gap of a quarter of their size side by side, and none leaves the canvas.
fn assert_no_text_overlaps(name: &str, svg: &str, width: f64) {
    let texts: Vec<SvgText> = svg_texts(svg)
        .into_iter()
        .filter(|t| !t.turned && !t.text.is_empty())
        .collect();
    // Texts side by side need a gap of a quarter of their size at least.
    let spaced = |t: &SvgText| {
        let (l, top, r, bottom) = text_box(t);
        (l - t.size / 8.0, top, r + t.size / 8.0, bottom)
    };
    for (i, a) in texts.iter().enumerate() {
        let b = text_box(a);
        assert!(
            b.0 >= -1.0 && b.2 <= width + 1.0,
            "{name}: `{}` leaves the canvas: {b:?}",
            a.text
        );
        for t in &texts[i + 1..] {
            assert!(
                !overlap(spaced(a), spaced(t)),
                "{name}: `{}` overlaps `{}`",
                a.text,
                t.text
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// run → timeline (events_by_year.csv, with HISTORY.md's dated rows shaded)
// ---------------------------------------------------------------------------------------------

/// The rows of `events_by_year.csv` in the run folder `run`.
fn events_by_year(run: &Path) -> Vec<HappeningRow> {
    parse_events_by_year(&fs::read_to_string(run.join("events_by_year.csv")).unwrap()).unwrap()
}

/// A `run` of the baseline (500 runs, no charts) in `dir/baseline`: its summary and the rows of
/// its `events_by_year.csv`.
fn baseline_happenings(dir: &Path) -> (Summary, Vec<HappeningRow>) {
    let scenario = crate::common::baseline_path();
    let scenario = scenario.to_str().unwrap();
    let args = [
        "run",
        scenario,
        "--runs",
        "500",
        "--out",
        "baseline",
        "--quiet",
        "--no-charts",
    ];
    ok(dir, &args);
    let run = dir.join("baseline");
    (load_run_results(&run).unwrap().0, events_by_year(&run))
}

/// The kinds of happening the timeline draws, as `events_by_year.csv` and pattern files name
/// them.
const TIMELINE_KINDS: [(&str, Kind); 6] = [
    ("war", Kind::War),
    ("breach", Kind::Breach),
    ("talks", Kind::Talks),
    ("truce", Kind::Truce),
    ("alliance", Kind::Alliance),
    ("vassal", Kind::Vassal),
];

#[test]
fn run_draws_the_timeline_and_plot_redraws_the_same_bytes() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec!["run", "small.ron", "--runs", "200", "--out", out, "--quiet"];
        args.extend(extra);
        ok(dir, &args);
    };
    run("drawn", &[]);
    run("bare", &["--no-charts"]);
    for f in ["events_by_year.csv", "timeline.svg", "timeline.png"] {
        assert!(dir.join("drawn").join(f).is_file(), "run wrote {f}");
    }
    assert!(!dir.join("bare/timeline.svg").exists());
    let (w, h, colours) = decode_png(&fs::read(dir.join("drawn/timeline.png")).unwrap());
    assert_eq!((w, h), (1200, 750));
    assert!(colours > 1, "the PNG is blank");
    let svg = fs::read_to_string(dir.join("drawn/timeline.svg")).unwrap();
    assert_well_formed_xml(&svg);
    assert!(svg.contains("small: probability of each happening by year (200 runs)"));
    assert!(svg.contains("Probability (share of runs)") && svg.contains("Year (CE)"));

    let out = ok(dir, &["plot", "bare"]);
    assert!(
        text(&out.stdout).contains("timeline.svg"),
        "{}",
        text(&out.stdout)
    );
    for f in ["timeline.svg", "timeline.png"] {
        assert_eq!(
            fs::read(dir.join("drawn").join(f)).unwrap(),
            fs::read(dir.join("bare").join(f)).unwrap(),
            "{f}: plot gives what run drew"
        );
    }
}

#[test]
fn timeline_has_a_panel_per_pair_that_happened_and_shades_the_dated_rows_of_jin_and_song() {
    let tmp = TempDir::new().unwrap();
    let (summary, rows) = baseline_happenings(tmp.path());
    let svg = svg(timeline(&summary, &rows, Format::Svg, &options(1200, 750, true)));

    // The pairs with a happening of a kind drawn, most happenings first.
    let mut pairs: Vec<(String, u64)> = summary
        .dyads
        .iter()
        .map(|d| {
            let total = rows
                .iter()
                .filter(|r| r.a == d.a && r.b == d.b && r.actor == "any")
                .filter(|r| TIMELINE_KINDS.iter().any(|(k, _)| *k == r.kind))
                .map(|r| r.runs)
                .sum();
            (
                format!("{} – {}", name(&summary, &d.a), name(&summary, &d.b)),
                total,
            )
        })
        .filter(|(_, total)| *total > 0)
        .collect();
    pairs.sort_by_key(|p| std::cmp::Reverse(p.1));
    assert!(
        pairs.len() > 1,
        "the baseline has happenings in several pairs: {pairs:?}"
    );
    for (i, (label, _)) in pairs.iter().enumerate() {
        let panel = format!(">\n{label}\n<");
        assert_eq!(
            svg.contains(&panel),
            i < MAX_TIMELINE_PANELS,
            "{label}: a panel for each of the {MAX_TIMELINE_PANELS} pairs with most happenings"
        );
    }
    let left_out = pairs.len().saturating_sub(MAX_TIMELINE_PANELS);
    if left_out > 0 {
        let s = if left_out == 1 { "" } else { "s" };
        assert!(svg.contains(&format!("{left_out} more pair{s} not shown")));
    }
    assert!(
        svg.contains(">\nJin – Northern Song\n<"),
        "Jin – Song has a panel"
    );

    // Every top-level Happens row with a Between window of Jin and Song is shaded and labelled.
    let file = crate::common::scenarios_dir().join("patterns/timeline.ron");
    let patterns = PatternSet::parse("timeline.ron", &fs::read_to_string(file).unwrap()).unwrap();
    let jin_song: Vec<&str> = patterns
        .patterns
        .iter()
        .filter(|p| match &p.rule {
            Rule::Happens(h) => {
                let pair = (h.event.a.as_deref(), h.event.b.as_deref());
                matches!(h.window, Window::Between(_))
                    && TIMELINE_KINDS.iter().any(|(_, k)| *k == h.event.kind)
                    && (pair == (Some("jin"), Some("song")) || pair == (Some("song"), Some("jin")))
            }
            _ => false,
        })
        .map(|p| p.name.as_str())
        .collect();
    assert!(jin_song.contains(&"jin_invades_1125"), "{jin_song:?}");
    for name in &jin_song {
        assert!(
            svg.contains(&format!(">\n{name}\n<")),
            "the mark {name} is labelled"
        );
    }
    let shaded = svg.matches("opacity=\"0.16\"").count();
    assert!(shaded >= jin_song.len(), "{shaded} shaded windows");
    // Windows after another happening, other rules and rules under Not are no marks.
    for name in [
        "talks_at_first_siege",
        "truce_1126",
        "long_war",
        "koryo_refuses_song",
    ] {
        assert!(!svg.contains(name), "{name} is not a dated window");
    }
    for legend in [
        "war begun",
        "truce broken",
        "talks",
        "truce concluded",
        "alliance formed",
        "vassal tie formed",
        "HISTORY.md: dated row",
        "(scenarios/patterns/timeline.ron)",
    ] {
        assert!(
            svg.contains(&format!(">\n{legend}\n<")),
            "the legend says `{legend}`"
        );
    }
    assert_no_text_overlaps("timeline", &svg, 1200.0);

    // Without happenings, the chart says so.
    let none = timeline(&summary, &[], Format::Svg, &options(1200, 750, true)).unwrap();
    let none = String::from_utf8(none).unwrap();
    assert!(none.contains("No war, talks, truce or tie in any pair"));
}

#[test]
fn plot_without_events_by_year_draws_the_other_run_charts() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let (run, _, _) = small_run(dir);
    // A folder written before events_by_year.csv existed.
    fs::remove_file(run.join("events_by_year.csv")).unwrap();
    let out = ok(dir, &["plot", "run"]);
    for f in [
        "onset_curves.svg",
        "onset_curves.png",
        "onset_years.svg",
        "onset_years.png",
    ] {
        assert!(run.join(f).is_file(), "plot drew {f}");
    }
    assert!(!run.join("timeline.svg").exists() && !run.join("timeline.png").exists());
    assert!(!text(&out.stdout).contains("timeline"), "{}", text(&out.stdout));
}

#[test]
fn plot_on_a_corrupted_events_by_year_names_the_file_and_line_and_writes_nothing() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let (run, _, _) = small_run(dir);
    let good = fs::read_to_string(run.join("events_by_year.csv")).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    assert!(lines.len() > 3, "the fixture has happenings: {good}");
    // Line 3 with its last field (or its pair) replaced.
    let with_line_3 = |line: String| {
        let mut v: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        v[2] = line;
        v.join("\n") + "\n"
    };
    let (head, _) = lines[2].rsplit_once(',').unwrap();
    let (_, tail) = lines[2].split_once(',').unwrap();
    let (_, tail) = tail.split_once(',').unwrap();
    let cases = [
        (with_line_3(format!("{head},0.x5")), "line 3: probability `0.x5`"),
        (with_line_3(format!("{head},1.5")), "line 3: probability `1.5`"),
        (
            with_line_3(format!("a,zz,{tail}")),
            "pair a–zz is not in summary.json",
        ),
        ("a,b,year\n".to_string(), "line 1: expected the header"),
    ];
    for (contents, expect) in cases {
        fs::write(run.join("events_by_year.csv"), &contents).unwrap();
        let before = listing(dir);
        let out = jinsong(dir, &["plot", "run"]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "plot succeeded with {contents}");
        assert!(
            stderr.contains("events_by_year.csv"),
            "the message names the file: {stderr}"
        );
        assert!(stderr.contains(expect), "the message says `{expect}`: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(listing(dir), before, "plot wrote nothing");
    }
}

// ---------------------------------------------------------------------------------------------
// evidence → posterior_marginals, posterior_corner
// ---------------------------------------------------------------------------------------------

/// A pattern file that fits the small fixture: a first war between Alpha and Beta by 1205.
const SMALL_PATTERNS: &str =
    r#"(patterns: [(name: "ab_war", rule: OnsetWithin(a: "a", b: "b", from: "1200-01", to: "1205-12"))])"#;

/// The small fixture, its patterns and a reading of it with priors on two real numbers, written
/// into `dir` (`small.ron`, `patterns.ron`, `priors.ron`).
fn write_evidence_inputs(dir: &Path) {
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    fs::write(dir.join("patterns.ron"), SMALL_PATTERNS).unwrap();
    fs::write(
        dir.join("priors.ron"),
        r#"(
    base: "small.ron",
    name: "small_priors",
    set: ["polities.a.fear_gain=Uniform(0.1, 0.5)", "relations.a.b.trust=Beta(2, 2)"],
)"#,
    )
    .unwrap();
}

/// `jinsong evidence` of the reading with priors into `dir/out`, with `extra` options.
fn run_evidence(dir: &Path, out: &str, extra: &[&str]) {
    let mut args = vec![
        "evidence",
        "priors.ron",
        "--patterns",
        "patterns.ron",
        "--runs",
        "600",
        "--sample",
        "300",
        "--out",
        out,
        "--quiet",
    ];
    args.extend(extra);
    ok(dir, &args);
}

/// Every file a posterior chart is written to, in both formats.
fn posterior_chart_files() -> Vec<String> {
    POSTERIOR_CHARTS
        .iter()
        .flat_map(|c| [format!("{c}.svg"), format!("{c}.png")])
        .collect()
}

#[test]
fn evidence_draws_the_posterior_charts_and_plot_redraws_the_same_bytes() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    write_evidence_inputs(dir);
    run_evidence(dir, "e1", &["--size", "800x500"]);
    run_evidence(dir, "e2", &["--no-charts", "--threads", "1"]);
    for f in ["evidence.json", "posterior.json", "posterior_sample.csv"] {
        assert_eq!(
            fs::read(dir.join("e1").join(f)).unwrap(),
            fs::read(dir.join("e2").join(f)).unwrap(),
            "{f}"
        );
    }
    let e1 = dir.join("e1");
    for f in posterior_chart_files() {
        assert!(e1.join(&f).is_file(), "evidence wrote {f}");
        assert!(!dir.join("e2").join(&f).exists(), "--no-charts drew no {f}");
    }
    let (w, h, colours) = decode_png(&fs::read(e1.join("posterior_corner.png")).unwrap());
    assert_eq!((w, h), (800, 500));
    assert!(colours > 2);
    // The marginals keep the width and grow taller only when their panels need it.
    let (w, h, colours) = decode_png(&fs::read(e1.join("posterior_marginals.png")).unwrap());
    assert_eq!(w, 800);
    assert!(h >= 500, "{h}");
    assert!(colours > 2);
    // The SVG (drawn first, in a fresh process) is as tall as the PNG.
    let svg = fs::read_to_string(e1.join("posterior_marginals.svg")).unwrap();
    assert!(
        svg.contains(&format!("height=\"{h}\"")),
        "the SVG is {h} pixels tall too"
    );
    // The reading matched in some runs: its posterior is drawn, under its name and the paths.
    let report: PosteriorReport =
        serde_json::from_str(&fs::read_to_string(e1.join("posterior.json")).unwrap()).unwrap();
    assert!(report.readings[0].matched > 0, "the fixture matches in some runs");
    for chart in POSTERIOR_CHARTS {
        let svg = fs::read_to_string(e1.join(format!("{chart}.svg"))).unwrap();
        assert_well_formed_xml(&svg);
        assert!(svg.contains("small_priors"), "{chart} names the reading");
        assert!(
            svg.contains(">\nprior\n<") && svg.contains(">\nposterior\n<"),
            "{chart}: legend"
        );
        assert!(!svg.contains("no run matched"), "{chart}");
    }
    let marginals = fs::read_to_string(e1.join("posterior_marginals.svg")).unwrap();
    assert!(marginals.contains("polities.a.fear_gain") && marginals.contains("relations.a.b.trust"));
    let corner = fs::read_to_string(e1.join("posterior_corner.svg")).unwrap();
    assert!(corner.contains("a.fear_gain") && corner.contains("a.b.trust"));
    assert!(corner.contains("<circle"), "the pair is drawn as dots");

    // plot draws the same bytes from the result files, at any time.
    let out = ok(dir, &["plot", "e2", "--size", "800x500"]);
    assert!(
        text(&out.stdout).contains("posterior_corner.svg"),
        "{}",
        text(&out.stdout)
    );
    for f in posterior_chart_files() {
        assert_eq!(
            fs::read(e1.join(&f)).unwrap(),
            fs::read(dir.join("e2").join(&f)).unwrap(),
            "{f}: plot gives what evidence drew"
        );
    }
}

#[test]
fn plot_on_a_corrupted_evidence_folder_names_the_file_and_writes_nothing() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    write_evidence_inputs(dir);
    run_evidence(dir, "ev", &["--no-charts"]);
    let ev = dir.join("ev");
    let json = fs::read_to_string(ev.join("posterior.json")).unwrap();
    let csv = fs::read_to_string(ev.join("posterior_sample.csv")).unwrap();
    // posterior.json with one change to its first parameter.
    let edit = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        change(&mut v["readings"][0]["parameters"][0]);
        serde_json::to_string_pretty(&v).unwrap()
    };
    let short_bins = edit(&|q| {
        q["prior_bins"].as_array_mut().unwrap().pop();
    });
    let reversed = edit(&|q| q["bins_range"] = serde_json::json!([1.0, 0.5]));
    let more_matched = edit(&|q| {
        let prior: u64 = q["prior_bins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .sum();
        q["posterior_bins"][0] = serde_json::json!(prior + 1);
    });
    let (head, rest) = csv.split_once('\n').unwrap();
    let first = rest.lines().next().unwrap();
    let (before_value, _) = first.rsplit_once(',').unwrap();
    let bad_value = format!("{head}\n{before_value},x\n{rest}");
    let unknown = format!("{head}\n{}", rest.replace("small_priors,", "elsewhere,"));
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        (
            "posterior.json",
            Some(json[..json.len() / 2].to_string()),
            "not a valid posterior",
        ),
        (
            "posterior.json",
            Some(short_bins),
            "prior_bins has 39 counts, bins is 40",
        ),
        ("posterior.json", Some(reversed), "is not a range"),
        ("posterior.json", Some(more_matched), "matching runs"),
        ("posterior_sample.csv", None, "cannot read"),
        (
            "posterior_sample.csv",
            Some("scenario,draw\n".into()),
            "line 1: expected the header",
        ),
        ("posterior_sample.csv", Some(bad_value), "line 2: value `x`"),
        (
            "posterior_sample.csv",
            Some(unknown),
            "`elsewhere` is not in posterior.json",
        ),
    ];
    for (file, contents, expect) in cases {
        fs::write(ev.join("posterior.json"), &json).unwrap();
        fs::write(ev.join("posterior_sample.csv"), &csv).unwrap();
        match &contents {
            None => fs::remove_file(ev.join(file)).unwrap(),
            Some(c) => fs::write(ev.join(file), c).unwrap(),
        }
        let before = listing(dir);
        let out = jinsong(dir, &["plot", "ev"]);
        let stderr = text(&out.stderr);
        assert!(
            !out.status.success(),
            "plot succeeded with a bad {file} ({expect})"
        );
        assert!(stderr.contains(file), "the message names {file}: {stderr}");
        assert!(stderr.contains(expect), "the message says `{expect}`: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(listing(dir), before, "plot wrote nothing");
    }
}

/// A fixed `posterior.json` and its sample: `wide` with 8 parameters (one on log bins) that
/// matched in 90 runs, 50 of them sampled; `unmatched` with one parameter and no match. The
/// overlaps of `wide` are 0.9 for `p0`, 0.5 for `p5` and 0.6 for the others: `p5` and the
/// first five of the ties (`p1`..`p4`, `p6`) moved most.
fn fixed_posterior() -> (PosteriorReport, Vec<SampleRow>) {
    let prior: Vec<u64> = (0..40u64).map(|k| 20 + (k * 7) % 11).collect();
    let post: Vec<u64> = (0..40u64)
        .map(|k| if (10..28).contains(&k) { 5 } else { 0 })
        .collect();
    let matched: u64 = post.iter().sum();
    let summary = serde_json::json!({"n": 50, "mean": 0.4, "sd": 0.1, "q05": 0.2, "q50": 0.4, "q95": 0.6});
    let parameter = |i: usize, matched: bool| {
        let (range, log) = if i == 6 {
            ([0.001, 0.1], true)
        } else {
            ([0.0, 1.0], false)
        };
        serde_json::json!({
            "path": format!("polities.p{i}.value_{i}"),
            "prior": "Uniform(0, 1)",
            "bins_range": range,
            "log_bins": log,
            "prior_summary": summary,
            "posterior": if matched { summary.clone() } else { serde_json::Value::Null },
            "shrinkage": if matched { serde_json::json!(0.25) } else { serde_json::Value::Null },
            "overlap": match (matched, i) {
                (false, _) => serde_json::Value::Null,
                (true, 0) => serde_json::json!(0.9),
                (true, 5) => serde_json::json!(0.5),
                (true, _) => serde_json::json!(0.6),
            },
            "prior_bins": prior,
            "posterior_bins": if matched { post.clone() } else { vec![0; 40] },
            "warnings": [],
        })
    };
    let json = serde_json::json!({
        "seed": 1, "bins": 40, "prior_draws": 20000,
        "readings": [
            {"scenario": "wide", "matched": matched, "sample": 50,
             "parameters": (0..8).map(|i| parameter(i, true)).collect::<Vec<_>>()},
            {"scenario": "unmatched", "matched": 0, "sample": 0, "parameters": [parameter(0, false)]},
        ],
    });
    let report: PosteriorReport = serde_json::from_value(json).unwrap();
    report.check().unwrap();
    let mut csv = format!("{POSTERIOR_SAMPLE_HEADER}\n");
    for d in 0..50u64 {
        for i in 0..8u64 {
            let t = ((d * 37 + i * 11) % 97) as f64 / 97.0;
            let v = if i == 6 {
                0.001 * 100f64.powf(t)
            } else {
                0.25 + 0.5 * t
            };
            csv.push_str(&format!("wide,{d},{},polities.p{i}.value_{i},{v}\n", 1000 + d));
        }
    }
    let rows = parse_posterior_sample(&csv).unwrap();
    check_posterior_sample(&report, &rows).unwrap();
    (report, rows)
}

#[test]
fn posterior_charts_show_unmatched_readings_and_the_six_most_moved_parameters_deterministically() {
    let (report, rows) = fixed_posterior();
    for (w, h) in [(1200, 750), (800, 500)] {
        let opts = options(w, h, true);
        // The corner plot at the size asked for; the marginals at its width, and at least its
        // height (taller when the panels need it).
        let (dw, dh, colours) = decode_png(&posterior_corner(&report, &rows, Format::Png, &opts).unwrap());
        assert_eq!((dw, dh), (w, h));
        assert!(colours > 2);
        let marginals = posterior_marginals(&report, Format::Png, &opts).unwrap();
        assert_eq!(
            marginals,
            posterior_marginals(&report, Format::Png, &opts).unwrap()
        );
        let (dw, dh, colours) = decode_png(&marginals);
        assert_eq!(dw, w);
        assert!(dh >= h, "{dh} < {h}");
        assert!(colours > 2);
    }
    // Three readings of 11 parameters (the real case): 9 rows of panels, each keeping a plot
    // area, so the figure grows well past 750 pixels, the same every time.
    let mut many = report.clone();
    let wide = many.readings[0].clone();
    many.readings = (0..3)
        .map(|k| {
            let mut r = wide.clone();
            r.scenario = format!("reading_{k}");
            for i in 8..11 {
                let mut q = wide.parameters[1].clone();
                q.path = format!("polities.p{i}.value_{i}");
                r.parameters.push(q);
            }
            r
        })
        .collect();
    many.check().unwrap();
    let opts = options(1200, 750, true);
    let png = posterior_marginals(&many, Format::Png, &opts).unwrap();
    assert_eq!(png, posterior_marginals(&many, Format::Png, &opts).unwrap());
    let (dw, dh, _) = decode_png(&png);
    assert_eq!(dw, 1200);
    assert!(dh >= 9 * (110 + 60), "9 rows of panels with room to plot: {dh}");
    let svg = String::from_utf8(posterior_marginals(&many, Format::Svg, &opts).unwrap()).unwrap();
    assert_well_formed_xml(&svg);
    assert!(
        svg.contains(&format!("height=\"{dh}\"")),
        "the SVG is as tall as the PNG"
    );
    // So does `jinsong plot` in a fresh process (the SVG drawn first), byte for byte.
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("ev");
    fs::create_dir(&dir).unwrap();
    for r in &mut many.readings {
        r.sample = 0;
    }
    fs::write(dir.join("posterior.json"), serde_json::to_string(&many).unwrap()).unwrap();
    fs::write(
        dir.join("posterior_sample.csv"),
        format!("{POSTERIOR_SAMPLE_HEADER}\n"),
    )
    .unwrap();
    ok(tmp.path(), &["plot", "ev"]);
    let drawn = fs::read(dir.join("posterior_marginals.png")).unwrap();
    assert_eq!(drawn, png, "plot draws the same PNG");
    let drawn = fs::read_to_string(dir.join("posterior_marginals.svg")).unwrap();
    assert!(
        drawn.contains(&format!("height=\"{dh}\"")),
        "plot's SVG is {dh} pixels tall"
    );
    let opts = options(1200, 750, true);
    let marginals = posterior_marginals(&report, Format::Svg, &opts).unwrap();
    assert_eq!(
        marginals,
        posterior_marginals(&report, Format::Svg, &opts).unwrap(),
        "deterministic"
    );
    let marginals = String::from_utf8(marginals).unwrap();
    assert_well_formed_xml(&marginals);
    for s in [
        "wide: 90 of ",
        "unmatched: no run matched",
        "no run matched",
        "polities.p7.value_7",
        "log scale",
        "Share of runs per bin",
    ] {
        assert!(marginals.contains(s), "marginals show `{s}`");
    }
    let corner = posterior_corner(&report, &rows, Format::Svg, &opts).unwrap();
    assert_eq!(
        corner,
        posterior_corner(&report, &rows, Format::Svg, &opts).unwrap(),
        "deterministic"
    );
    let corner = String::from_utf8(corner).unwrap();
    assert_well_formed_xml(&corner);
    assert!(corner.contains(&format!(
        "the {MAX_CORNER_PARAMETERS} of 8 parameters the record moved most (least overlap)"
    )));
    assert!(corner.contains("wide: 50 posterior draws"));
    assert!(corner.contains("No run matched, so no posterior sample: unmatched"));
    // 15 pairs of the six that moved most (least overlap: p5, then the ties p1..p4 and p6 by
    // index), 50 draws each; nothing of p0 (moved least) nor p7 (the last of the ties).
    assert_eq!(corner.matches("<circle").count(), 15 * 50);
    assert!(!corner.contains("p0.value_0") && !corner.contains("p7.value_7"));
    for i in 1..=6 {
        assert!(corner.contains(&format!("p{i}.value_{i}")), "p{i} is shown");
    }
    // In their order of appearance (not by overlap): the rows below the first name p2..p6,
    // top down, so p5 (the least overlap) comes after p4.
    let at = |i: usize| corner.find(&format!("p{i}.value_{i}")).unwrap();
    assert!((2..6).all(|i| at(i) < at(i + 1)), "order kept");

    // A single parameter: the marginal alone, no dots.
    let mut one = report.clone();
    one.readings.truncate(1);
    one.readings[0].parameters.truncate(1);
    let rows1: Vec<SampleRow> = rows
        .iter()
        .filter(|r| r.path == "polities.p0.value_0")
        .cloned()
        .collect();
    check_posterior_sample(&one, &rows1).unwrap();
    let corner = String::from_utf8(posterior_corner(&one, &rows1, Format::Svg, &opts).unwrap()).unwrap();
    assert!(!corner.contains("<circle") && corner.contains("p0.value_0"));
}

#[test]
fn posterior_files_that_do_not_fit_are_refused_with_what_is_wrong() {
    let (report, rows) = fixed_posterior();
    let refused = |change: &dyn Fn(&mut PosteriorReport), expect: &str| {
        let mut r = report.clone();
        change(&mut r);
        let e = r.check().unwrap_err();
        assert!(e.contains(expect), "`{expect}` in: {e}");
    };
    refused(
        &|r| r.readings[0].parameters[1].posterior_bins[0] = 1000,
        "1090 matching runs in posterior_bins, but 1002 runs in prior_bins",
    );
    refused(
        &|r| r.readings[0].parameters[1].posterior_bins[0] = 30,
        "bin 0 holds 30 matching runs of 20 runs",
    );
    refused(
        &|r| r.readings[0].parameters[2].prior_bins.push(1),
        "prior_bins has 41 counts",
    );
    refused(
        &|r| r.readings[0].parameters[0].bins_range = [0.5, 0.5],
        "is not a range",
    );
    refused(
        &|r| r.readings[0].parameters[6].bins_range = [0.0, 0.1],
        "log scale",
    );
    refused(&|r| r.readings[0].sample = 1000, "only 90 matched");
    refused(
        &|r| r.readings[0].parameters[0].overlap = Some(f64::NAN),
        "overlap",
    );
    refused(&|r| r.readings.clear(), "readings: none");

    let header = format!("{POSTERIOR_SAMPLE_HEADER}\n");
    for (csv, expect) in [
        ("scenario,draw,run,value\n".to_string(), "line 1"),
        (
            format!("{header}wide,0,1,p,0.5\nwide,x,1,p,0.5\n"),
            "line 3: draw `x`",
        ),
        (format!("{header}wide,0,1,p,inf\n"), "line 2: value `inf`"),
        (format!("{header}wide,0,1\n"), "line 2: expected 5 fields"),
        (format!("{header},0,1,p,0.5\n"), "line 2: scenario is empty"),
    ] {
        let e = parse_posterior_sample(&csv).unwrap_err();
        assert!(e.contains(expect), "`{expect}` in: {e}");
    }
    let mut extra = rows.clone();
    extra.push(SampleRow {
        draw: 50,
        ..rows[0].clone()
    });
    let e = check_posterior_sample(&report, &extra).unwrap_err();
    assert!(e.contains("draw 50, but posterior.json keeps 50 draws"), "{e}");
    let e = check_posterior_sample(&report, &rows[1..]).unwrap_err();
    assert!(e.contains("399 values"), "{e}");
    let mut twice = rows.clone();
    twice[1].path = twice[0].path.clone();
    let e = check_posterior_sample(&report, &twice).unwrap_err();
    assert!(e.contains("two values"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// plot checks what the result files imply about each other
// ---------------------------------------------------------------------------------------------

/// `path` with `edit` applied to its JSON.
fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut v);
    fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// `path` with the field `column` of its data line `line` (1 = the first after the header)
/// replaced by `value`.
fn edit_csv(path: &Path, line: usize, column: usize, value: &str) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut fields: Vec<String> = lines[line].split(',').map(String::from).collect();
    fields[column] = value.to_string();
    lines[line] = fields.join(",");
    fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// Copy `file` of the sibling folder `other` over the folder `d`'s own.
fn copy_from_sibling(d: &Path, other: &str, file: &str) {
    fs::copy(d.parent().unwrap().join(other).join(file), d.join(file)).unwrap();
}

/// `plot` took result files that contradict themselves: Shapley values that do not add up to
/// all_on less all_off, a Sobol index of 1e9, a fear of −7e300, a posterior draw outside its
/// prior, another run's `onset_curve.csv` (or `compare_curves.csv`) with the same pairs, a
/// sweep's probability that is not its count over the runs, a pattern rate that is no count of
/// runs, a difference that is not the probabilities'. Each is now refused within one second in
/// one line naming the file and what is wrong, and nothing is written; the untouched folders
/// still plot.
#[test]
fn plot_refuses_result_files_that_contradict_themselves() {
    let (tmp, base, _, toy_patterns) = crate::common::plot_fixture();
    let dir = tmp.path();
    let toy = crate::common::toy();
    let quiet = ["-q", "--no-charts", "--runs"];
    let runs: [&[&str]; 8] = [
        &["run", "small.ron", "--out", "run", "--seed", "1"],
        &["run", "small.ron", "--out", "run2", "--seed", "2"],
        &["trace", "small.ron", "--out", "trace", "-q", "--no-charts"],
        &[
            "attribute",
            &base,
            "--mechanisms",
            "greed,consent",
            "--out",
            "attr",
        ],
        &[
            "sensitivity",
            &base,
            "--vary",
            "polities.jin.war_readiness=0.1..0.9",
            "--samples",
            "8",
            "--out",
            "sens",
        ],
        &[
            "sweep",
            "small.ron",
            "--vary",
            "polities.a.fear_gain=0.1..0.5:3",
            "--out",
            "sweep",
        ],
        &["score", &base, "--out", "score"],
        &[
            "evidence",
            "reading.ron",
            "--patterns",
            &toy_patterns,
            "--out",
            "ev",
        ],
    ];
    for args in runs {
        let mut all: Vec<&str> = args.to_vec();
        if args[0] != "trace" {
            all.extend(quiet);
            all.push("100");
        }
        ok(dir, &all);
    }
    let folders = ["run", "trace", "attr", "sens", "sweep", "score", "ev"];
    for f in folders {
        ok(dir, &["plot", f, "--format", "svg"]);
    }
    // A comparison of two readings of the toy (same polities), seeds 1 and 2.
    fs::write(
        dir.join("other.ron"),
        format!("(base: \"{toy}\", name: \"other\", set: [\"polities.a.greed=0.02\"])"),
    )
    .unwrap();
    for (out, seed) in [("cmp", "1"), ("cmp2", "2")] {
        ok(
            dir,
            &[
                "compare",
                &toy,
                "other.ron",
                "--dyad",
                "a,b",
                "--out",
                out,
                "--seed",
                seed,
                "-q",
                "--no-charts",
                "--runs",
                "400",
            ],
        );
    }
    ok(dir, &["plot", "cmp", "--format", "svg"]);

    let copy = |from: &str, to: &str| {
        let (a, b) = (dir.join(from), dir.join(to));
        fs::create_dir_all(&b).unwrap();
        for e in fs::read_dir(&a).unwrap() {
            let e = e.unwrap();
            if e.path().extension().is_some_and(|x| x == "svg") {
                continue;
            }
            fs::copy(e.path(), b.join(e.file_name())).unwrap();
        }
    };
    type Edit = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, &str, &str, Edit)> = vec![
        (
            "attr",
            "attribution.json",
            "add up to",
            Box::new(|d: &Path| {
                edit_json(&d.join("attribution.json"), |v| {
                    let s = v["mechanisms"][0]["shapley"].as_f64().unwrap();
                    v["mechanisms"][0]["shapley"] = (s + 0.01).into();
                    v["mechanisms"][0]["ci95"] = serde_json::json!([-0.5, 0.5]);
                })
            }),
        ),
        (
            "sens",
            "sensitivity.json",
            "total index",
            Box::new(|d: &Path| {
                edit_json(&d.join("sensitivity.json"), |v| {
                    v["outcome_mean"] = 0.5.into();
                    v["outcome_variance"] = 0.1.into();
                    v["parameters"][0]["total"] = 1e9.into();
                    v["parameters"][0]["total_ci95"] = serde_json::json!([0.0, 2e9]);
                })
            }),
        ),
        (
            "trace",
            "trace.csv",
            "fear -7",
            Box::new(|d: &Path| edit_csv(&d.join("trace.csv"), 3, 3, "-7e300")),
        ),
        (
            "ev",
            "posterior_sample.csv",
            "outside its prior",
            Box::new(|d: &Path| edit_csv(&d.join("posterior_sample.csv"), 1, 4, "0.5")),
        ),
        (
            "run",
            "onset_curve.csv",
            "same run",
            Box::new(|d: &Path| copy_from_sibling(d, "run2", "onset_curve.csv")),
        ),
        (
            "cmp",
            "compare_curves.csv",
            "same comparison",
            Box::new(|d: &Path| copy_from_sibling(d, "cmp2", "compare_curves.csv")),
        ),
        (
            "cmp",
            "compare.json",
            "less the first",
            Box::new(|d: &Path| {
                edit_json(&d.join("compare.json"), |v| {
                    v["differences"][0]["difference"] = 0.25.into();
                    v["differences"][0]["ci95"] = serde_json::json!([-1.0, 1.0]);
                })
            }),
        ),
        (
            "sweep",
            "sweep.csv",
            "is not war_runs",
            Box::new(|d: &Path| {
                // war_probability and its interval (after the one varied path, a, b, runs and
                // war_runs) of the first row: a probability its count does not give.
                edit_csv(&d.join("sweep.csv"), 1, 5, "0.123");
                edit_csv(&d.join("sweep.csv"), 1, 6, "0");
                edit_csv(&d.join("sweep.csv"), 1, 7, "1")
            }),
        ),
        (
            "score",
            "scores.json",
            "no whole number of runs",
            Box::new(|d: &Path| {
                edit_json(&d.join("scores.json"), |v| {
                    // Below every pattern's rate (runs that match all match each), and no
                    // k/n: the smallest positive pattern rate times 7776/7777.
                    let rates: Vec<f64> = match &v["scenarios"][0]["patterns"] {
                        serde_json::Value::Object(m) => {
                            m.values().filter_map(|r| r["rate"].as_f64()).collect()
                        }
                        serde_json::Value::Array(a) => {
                            a.iter().filter_map(|r| r[1]["rate"].as_f64()).collect()
                        }
                        _ => Vec::new(),
                    };
                    let least = rates.into_iter().filter(|r| *r > 0.0).fold(1.0, f64::min);
                    v["scenarios"][0]["joint"]["rate"] = (least * (7776.0 / 7777.0)).into();
                    v["scenarios"][0]["joint"]["ci95"] = serde_json::json!([0.0, 1.0]);
                })
            }),
        ),
    ];
    for (k, (from, file, expect, edit)) in cases.iter().enumerate() {
        let case = format!("case{k}");
        copy(from, &case);
        let folder = dir.join(&case);
        edit(&folder);
        let before = listing(dir);
        let started = std::time::Instant::now();
        let out = jinsong(dir, &["plot", &case, "--format", "svg"]);
        let took = started.elapsed();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{case} ({from}, {file}): {stderr}");
        assert!(took < std::time::Duration::from_secs(1), "{case} took {took:?}");
        assert_eq!(stderr.lines().count(), 1, "{case}: one line: {stderr}");
        assert!(
            stderr.contains(&format!("{case}/{file}")) && stderr.contains(expect),
            "{case}: the message names {file} and says `{expect}`: {stderr}"
        );
        assert_eq!(listing(dir), before, "{case}: plot wrote nothing");
    }
}
