//! Charts: rendering from fixed results, the `--format`/`--size`/`--no-title` options, drawing
//! without system fonts, and `jinsong plot` on good and bad folders.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jinsong::charts::{
    load_run_results, onset_curves, onset_years, parse_formats, parse_size, ChartOptions, CurveRow, Format,
};
use jinsong::report::Summary;
use tempfile::TempDir;

const SMALL: &str = include_str!("data/small.ron");

fn jinsong(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jinsong"))
        .current_dir(dir)
        .env("FONTCONFIG_FILE", "/nonexistent")
        .args(args)
        .output()
        .expect("cannot start the jinsong binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(dir: &Path, args: &[&str]) -> Output {
    let out = jinsong(dir, args);
    assert!(
        out.status.success(),
        "jinsong {args:?} failed: {}",
        text(&out.stderr)
    );
    out
}

fn listing(dir: &Path) -> BTreeSet<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, at: &Path, out: &mut BTreeSet<(PathBuf, Vec<u8>)>) {
        for entry in fs::read_dir(at).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if path.is_dir() {
                out.insert((rel, Vec::new()));
                walk(root, &path, out);
            } else {
                out.insert((rel, fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
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
    for (w, h) in [(1200, 750), (640, 480)] {
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
    assert!(curves.contains("Date (year CE"));
    assert!(curves.contains("small: probability"), "title");
    assert!(years.contains("First onsets (runs)"));
    assert!(years.contains("Year (CE)"));
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
    for bad in ["800", "axb", "10x10", "0x600", "99999x600"] {
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
    assert_eq!(names.len(), 2, "{names:?}");
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
