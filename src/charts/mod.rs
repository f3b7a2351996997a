//! Charts of a batch's results, in SVG (for papers) and PNG (for slides).
//!
//! Drawing needs no system fonts: DejaVu Sans, embedded by the `dejavu` crate, is registered
//! with plotters once under the `sans-serif` family. The theme uses the Okabe–Ito palette
//! (colour-blind safe), labels every axis with its unit, puts legends beside the data rather
//! than on it, and draws a title that [`ChartOptions::title`] can drop (journals put titles in
//! captions).
//!
//! Charts are drawn only from saved results (for a `run`: [`Summary`] and the rows of
//! `onset_curve.csv` and `events_by_year.csv`), so `jinsong plot DIR` redraws them without
//! running anything. Rendering is deterministic: the
//! same results give the same bytes.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Once;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::calendar::Month;
use crate::study::run::{DyadSummary, Summary};
use crate::study::StudyKind;

/// Font family under which the embedded font is registered.
const FAMILY: &str = "sans-serif";

/// The Okabe–Ito palette, yellow last (it is faint on white).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];
const GREY: RGBColor = RGBColor(0x70, 0x70, 0x70);
const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

/// The smallest chart `--size` accepts, width × height in pixels. Text never shrinks below a
/// readable size (see [`ChartOptions`]), so on a smaller canvas titles, tick labels and legends
/// would run into each other: such sizes are refused rather than drawn badly.
pub const MIN_SIZE: (u32, u32) = (800, 500);

/// The largest chart side `--size` accepts, in pixels.
pub const MAX_SIDE: u32 = 8000;

/// Why a chart could not be made or its inputs read.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// `--format` named something other than `svg` or `png`.
    #[error("--format: {0}")]
    Format(String),
    /// `--size` is not `WxH` in range.
    #[error("--size: {0}")]
    Size(String),
    /// A result file is missing or corrupted.
    #[error("{file}: {}", crate::text::clip_quoted(.problem))]
    Input {
        /// The file.
        file: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Drawing or encoding failed.
    #[error("cannot draw {chart}: {}", crate::text::clip_quoted(.problem))]
    Draw {
        /// The chart's file name.
        chart: String,
        /// What went wrong.
        problem: String,
    },
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics (RGB).
    Png,
}

impl Format {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// Parse a comma-separated list of formats, e.g. `svg,png`.
pub fn parse_formats(text: &str) -> Result<Vec<Format>, ChartError> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let f = match part.trim().to_ascii_lowercase().as_str() {
            "svg" => Format::Svg,
            "png" => Format::Png,
            "" => {
                return Err(ChartError::Format(format!(
                    "{} has an empty entry (expected e.g. svg,png)",
                    crate::text::quote(text)
                )))
            }
            other => {
                return Err(ChartError::Format(format!(
                    "unknown format {} (allowed: svg, png)",
                    crate::text::quote(other)
                )))
            }
        };
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// Parse `WxH` in pixels, e.g. `1200x750`: each side at most [`MAX_SIDE`], and at least
/// [`MIN_SIZE`].
pub fn parse_size(text: &str) -> Result<(u32, u32), ChartError> {
    let bad = |why: &str| ChartError::Size(format!("{} {why}", crate::text::quote(text)));
    let (w, h) = text
        .trim()
        .split_once(['x', 'X'])
        .ok_or_else(|| bad("is not WIDTHxHEIGHT in pixels (e.g. 1200x750)"))?;
    let side = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| bad("is not WIDTHxHEIGHT in pixels (e.g. 1200x750)"))
    };
    let (w, h) = (side(w)?, side(h)?);
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(bad(&format!(
            "is too large (each side at most {MAX_SIDE} pixels)"
        )));
    }
    let (min_w, min_h) = MIN_SIZE;
    if w < min_w || h < min_h {
        return Err(bad(&format!(
            "is too small: charts need at least {min_w}x{min_h} pixels to stay readable"
        )));
    }
    Ok((w, h))
}

/// How charts are drawn.
///
/// Sizes: every font, line width and margin is its size at the default 1200×750 times the scale
/// `min(width / 1200, height / 750)`, so a chart keeps its proportions at any size; text is
/// never drawn smaller than 11 pixels, however. Below [`MIN_SIZE`] (800×500) that floor would
/// make titles, tick labels and legends overlap, so [`ChartOptions::parse`] (and so `--size`)
/// refuses such sizes with an error naming the minimum; options built directly with a smaller
/// size still draw, with no promise that text does not overlap. Tick labels are thinned to what
/// fits along each axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartOptions {
    /// Formats to write, each chart once per format.
    pub formats: Vec<Format>,
    /// Width in pixels (SVG user units).
    pub width: u32,
    /// Height in pixels (SVG user units).
    pub height: u32,
    /// Draw the title.
    pub title: bool,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            formats: vec![Format::Svg, Format::Png],
            width: 1200,
            height: 750,
            title: true,
        }
    }
}

impl ChartOptions {
    /// Options from the command-line texts of `--format` and `--size` and the `--no-title` flag.
    pub fn parse(formats: &str, size: &str, no_title: bool) -> Result<ChartOptions, ChartError> {
        let formats = parse_formats(formats)?;
        let (width, height) = parse_size(size)?;
        Ok(ChartOptions {
            formats,
            width,
            height,
            title: !no_title,
        })
    }

    /// Scale of text and lines relative to the default 1200×750.
    fn scale(&self) -> f64 {
        (f64::from(self.width) / 1200.0)
            .min(f64::from(self.height) / 750.0)
            .max(0.6)
    }

    /// Font size in pixels for a size of `pt` at the default scale (11 at least).
    fn font_px(&self, pt: f64) -> f64 {
        (pt * self.scale()).max(11.0)
    }

    fn font(&self, pt: f64) -> TextStyle<'static> {
        (FAMILY, self.font_px(pt)).into_font().into()
    }

    /// Room for tick labels of size `tick` and an axis description of size `desc`.
    fn label_area(&self, tick: f64, desc: f64, factor: f64) -> u32 {
        (factor * (self.font_px(tick) + self.font_px(desc)) + 16.0).round() as u32
    }

    fn px(&self, x: f64) -> u32 {
        (x * self.scale()).round().max(1.0) as u32
    }
}

/// Register the embedded font with plotters (once per process).
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded files are valid TrueType; if registration failed, drawing text would
        // report an error (never a panic) and the chart would be skipped with a warning.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// One row of `onset_curve.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveRow {
    /// First polity id.
    pub a: String,
    /// Second polity id.
    pub b: String,
    /// Month.
    pub month: Month,
    /// First onsets in that month.
    pub onsets: u64,
    /// Share of runs with a first onset by the end of the month.
    pub cumulative_probability: f64,
    /// Wilson 95% lower bound.
    pub ci_low: f64,
    /// Wilson 95% upper bound.
    pub ci_high: f64,
}

pub(crate) use invariants::is_share;

/// The header line of `onset_curve.csv`.
pub const CURVE_HEADER: &str = "a,b,month,onsets,cumulative_probability,ci_low,ci_high";

/// The data lines of a CSV `text` whose first line must be `header`: `(line number, fields)`
/// for each non-empty line, each split on commas into exactly `width` fields. Errors name the
/// line and what is wrong. Every result file that `plot` reads back goes through here.
pub(crate) fn csv_records<'a>(
    text: &'a str,
    header: &str,
    width: usize,
) -> Result<Vec<(usize, Vec<&'a str>)>, String> {
    let mut lines = text.lines();
    match lines.next() {
        Some(h) if h.trim_end() == header => {}
        Some(h) => return Err(format!("line 1: expected the header `{header}`, found `{h}`")),
        None => return Err("the file is empty (expected a header and rows)".into()),
    }
    let mut records = Vec::new();
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.trim_end().split(',').collect();
        if f.len() != width {
            return Err(format!("line {n}: expected {width} fields, found {}", f.len()));
        }
        records.push((n, f));
    }
    Ok(records)
}

/// Field `value`, called `name`, of line `n` of a CSV file parsed as a `T`; the error says it
/// is not `what`.
fn field<T: FromStr>(n: usize, name: &str, value: &str, what: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("line {n}: {name} `{value}` is not {what}"))
}

/// A `month` field (`YYYY-MM`) of line `n`.
fn month_field(n: usize, value: &str) -> Result<Month, String> {
    field(n, "month", value, "YYYY-MM")
}

/// An `onsets` field (a count) of line `n`.
fn onsets_field(n: usize, value: &str) -> Result<u64, String> {
    field(n, "onsets", value, "a count")
}

/// A probability field, called `name`, of line `n`: a number in [0, 1].
fn probability_field(n: usize, name: &str, value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "line {n}: {name} `{value}` is not a probability in [0, 1]"
        )),
    }
}

/// Parse the text of `onset_curve.csv`; the error says which line is wrong and why.
pub fn parse_onset_curve(text: &str) -> Result<Vec<CurveRow>, String> {
    let mut rows = Vec::new();
    for (n, f) in csv_records(text, CURVE_HEADER, 7)? {
        rows.push(CurveRow {
            a: f[0].to_string(),
            b: f[1].to_string(),
            month: month_field(n, f[2])?,
            onsets: onsets_field(n, f[3])?,
            cumulative_probability: probability_field(n, "cumulative_probability", f[4])?,
            ci_low: probability_field(n, "ci_low", f[5])?,
            ci_high: probability_field(n, "ci_high", f[6])?,
        });
    }
    Ok(rows)
}

/// Read `summary.json` and `onset_curve.csv` from a finished `run` folder.
pub fn load_run_results(dir: &Path) -> Result<(Summary, Vec<CurveRow>), ChartError> {
    run_results(&Folder(dir))
}

/// `summary.json` and `onset_curve.csv` of a `run`, checked against each other.
fn run_results(files: &dyn ResultFiles) -> Result<(Summary, Vec<CurveRow>), ChartError> {
    let read = |name: &str| files.text(name);
    let summary: Summary = read_json(files, "summary.json", "summary")?;
    let (file, text) = read("onset_curve.csv")?;
    let rows = parse_onset_curve(&text).map_err(|problem| ChartError::Input {
        file: file.clone(),
        problem,
    })?;
    for r in &rows {
        if !summary.dyads.iter().any(|d| d.a == r.a && d.b == r.b) {
            return Err(ChartError::Input {
                file,
                problem: format!(
                    "pair {}–{} is not in summary.json (are the files from the same run?)",
                    crate::text::clip(&r.a),
                    crate::text::clip(&r.b)
                ),
            });
        }
    }
    invariants::run_curve(&summary, &rows).map_err(|problem| ChartError::Input { file, problem })?;
    Ok((summary, rows))
}

/// `events_by_year.csv` of a `run`, checked against its summary (every pair in it, every year
/// inside the run, no more runs than the summary's); `None` when the file is not there (a
/// folder written before it existed).
fn run_events(files: &dyn ResultFiles, summary: &Summary) -> Result<Option<Vec<HappeningRow>>, ChartError> {
    if !files.has("events_by_year.csv") {
        return Ok(None);
    }
    let (file, text) = files.text("events_by_year.csv")?;
    let rows = parse_events_by_year(&text).map_err(|problem| ChartError::Input {
        file: file.clone(),
        problem,
    })?;
    let (y0, y1) = (summary.start.year(), summary.end.year());
    for r in &rows {
        let problem = if !summary.dyads.iter().any(|d| d.a == r.a && d.b == r.b) {
            format!(
                "pair {}–{} is not in summary.json (are the files from the same run?)",
                r.a, r.b
            )
        } else if r.year < y0 || r.year > y1 {
            format!(
                "year {} of pair {}–{} is outside the run ({y0} .. {y1} in summary.json)",
                r.year, r.a, r.b
            )
        } else if r.runs > summary.runs {
            format!(
                "{} runs in {} of pair {}–{}, but summary.json has {} runs in all",
                r.runs, r.year, r.a, r.b, summary.runs
            )
        } else if !is_share(r.probability, r.runs, summary.runs) {
            format!(
                "probability {} in {} of pair {}–{} is not {} runs / {} runs of summary.json",
                r.probability, r.year, r.a, r.b, r.runs, summary.runs
            )
        } else {
            continue;
        };
        return Err(ChartError::Input { file, problem });
    }
    Ok(Some(rows))
}

/// The charts of a `run`, by name without extension (`timeline` only where
/// `events_by_year.csv` is there).
pub const RUN_CHARTS: [&str; 3] = ["onset_curves", "onset_years", "timeline"];

/// Every chart file a study of `kind` may draw, in every format (those of an earlier run that a
/// new run does not replace are stale, and are removed when the new results are written).
pub fn chart_files(kind: StudyKind) -> Vec<String> {
    let names: &[&str] = match kind {
        StudyKind::Run => &RUN_CHARTS,
        StudyKind::Score => &hypothesis::SCORE_CHARTS,
        StudyKind::Calibrate => &[],
        StudyKind::Compare => &compare::COMPARE_CHARTS,
        StudyKind::Attribute => &hypothesis::ATTRIBUTION_CHARTS,
        StudyKind::Sweep => &sweep::SWEEP_CHARTS,
        StudyKind::Sensitivity => &sweep::SENSITIVITY_CHARTS,
        StudyKind::Evidence => &posterior::POSTERIOR_CHARTS,
        StudyKind::Robustness => &robustness::ROBUSTNESS_CHARTS,
    };
    chart_files_of(names)
}

/// The files of the charts `names` in every format.
pub fn chart_files_of(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .flat_map(|n| [Format::Svg, Format::Png].map(|f| format!("{n}.{}", f.extension())))
        .collect()
}

/// Draw every chart of a `run` in every format of `opts`: (file name, bytes or error), in a
/// fixed order; `timeline` only when the rows of `events_by_year.csv` are given (`events`). A
/// panic inside the drawing library is caught and reported as an error.
pub fn render_run_charts(
    summary: &Summary,
    rows: &[CurveRow],
    events: Option<&[HappeningRow]>,
    opts: &ChartOptions,
) -> Vec<(String, Result<Vec<u8>, ChartError>)> {
    let names = match events {
        Some(_) => &RUN_CHARTS[..],
        None => &RUN_CHARTS[..2],
    };
    render_each(names, opts, |name, format| match name {
        "onset_curves" => onset_curves(summary, rows, format, opts),
        "onset_years" => onset_years(summary, format, opts),
        _ => timeline(summary, events.unwrap_or_default(), format, opts),
    })
}

/// The output of a batch of charts: (file name, bytes or why it could not be drawn).
pub type Rendered = Vec<(String, Result<Vec<u8>, ChartError>)>;

/// Draw each named chart in each format of `opts` with `draw(name, format)`, in a fixed order;
/// a panic inside the drawing library is caught and reported as an error.
fn render_each(
    names: &[&str],
    opts: &ChartOptions,
    draw: impl Fn(&str, Format) -> Result<Vec<u8>, ChartError>,
) -> Rendered {
    let mut out = Vec::new();
    for &name in names {
        for &format in &opts.formats {
            let file = format!("{name}.{}", format.extension());
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| draw(name, format)))
                .unwrap_or_else(|_| {
                    Err(ChartError::Draw {
                        chart: file.clone(),
                        problem: "the drawing library panicked".into(),
                    })
                });
            out.push((file, result));
        }
    }
    out
}

/// Where result files are read from: a finished output folder ([`Folder`]) or the files a
/// study has just computed ([`MemoryFiles`]). Charts are always drawn from result files, so a
/// command and `jinsong plot` draw the same bytes.
pub trait ResultFiles {
    /// Whether the file `name` is there.
    fn has(&self, name: &str) -> bool;
    /// The file `name` as text, with its name for messages; the error names the file.
    fn text(&self, name: &str) -> Result<(String, String), ChartError>;
}

/// The result files of a finished output folder.
pub struct Folder<'a>(pub &'a Path);

impl ResultFiles for Folder<'_> {
    fn has(&self, name: &str) -> bool {
        self.0.join(name).exists()
    }

    fn text(&self, name: &str) -> Result<(String, String), ChartError> {
        let path = self.0.join(name);
        let file = crate::text::path(&path);
        crate::output::read_text(&path)
            .map(|t| (file.clone(), t))
            .map_err(|e| ChartError::Input {
                file,
                problem: format!("cannot read it ({e})"),
            })
    }
}

/// Result files held in memory, `(name, contents)`.
pub struct MemoryFiles<'a>(pub &'a [(String, Vec<u8>)]);

impl ResultFiles for MemoryFiles<'_> {
    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    fn text(&self, name: &str) -> Result<(String, String), ChartError> {
        let missing = || ChartError::Input {
            file: name.to_string(),
            problem: "not among the results".into(),
        };
        let (_, bytes) = self.0.iter().find(|(n, _)| n == name).ok_or_else(missing)?;
        let text = String::from_utf8(bytes.clone()).map_err(|e| ChartError::Input {
            file: name.to_string(),
            problem: e.to_string(),
        })?;
        Ok((name.to_string(), text))
    }
}

/// Read and decode a JSON result file; `what` says what it should be ("a summary").
fn read_json<T: serde::de::DeserializeOwned + crate::study::check::Checked>(
    files: &dyn ResultFiles,
    name: &str,
    what: &str,
) -> Result<T, ChartError> {
    let (file, text) = files.text(name)?;
    let value: T = serde_json::from_str(&text).map_err(|e| ChartError::Input {
        file: file.clone(),
        problem: format!("not a valid {what} ({e})"),
    })?;
    // Valid JSON can still be nonsense (a probability of 2, a year 99999): refused too.
    value.check().map_err(|problem| ChartError::Input {
        file,
        problem: format!("{problem} (no command of jinsong writes that)"),
    })?;
    Ok(value)
}

/// Parse a CSV result file with `parse`; the error names the file.
fn read_csv<T>(
    files: &dyn ResultFiles,
    name: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, ChartError> {
    let (file, text) = files.text(name)?;
    parse(&text).map_err(|problem| ChartError::Input { file, problem })
}

/// Draw the charts of a study of kind `kind` from its result files (none for a calibration).
///
/// A `run` ([`RUN_CHARTS`]): `onset_curves` and `onset_years` from `summary.json` and
/// `onset_curve.csv`, and `timeline` from `events_by_year.csv` (with `summary.json`) when that
/// file is there; a folder written before it existed draws the other two. Each CSV file's pairs
/// must be `summary.json`'s.
///
/// A `robustness`: `robustness`, the forest plot of the Bayes factors, from `robustness.json`.
///
/// An `evidence` ([`POSTERIOR_CHARTS`]): `posterior_marginals` from `posterior.json` and
/// `posterior_corner` from it and `posterior_sample.csv`, whose readings, parameters and draws
/// must be `posterior.json`'s; none when no reading has priors.
pub fn draw_study(
    kind: StudyKind,
    files: &dyn ResultFiles,
    opts: &ChartOptions,
) -> Result<Rendered, ChartError> {
    Ok(match kind {
        StudyKind::Run => {
            let (summary, rows) = run_results(files)?;
            let events = run_events(files, &summary)?;
            render_run_charts(&summary, &rows, events.as_deref(), opts)
        }
        StudyKind::Score => render_score_charts(&read_json(files, "scores.json", "score report")?, opts),
        StudyKind::Calibrate => Vec::new(),
        StudyKind::Compare => {
            let c: crate::study::compare::Comparison = read_json(files, "compare.json", "comparison")?;
            let rows = read_csv(files, "compare_curves.csv", parse_compare_curves)?;
            if let Some(r) = rows
                .iter()
                .find(|r| !c.scenarios.iter().any(|s| s.scenario == r.scenario))
            {
                return Err(ChartError::Input {
                    file: files.text("compare_curves.csv")?.0,
                    problem: format!(
                        "scenario `{}` is not in compare.json (are the files from the same comparison?)",
                        r.scenario
                    ),
                });
            }
            if let Err(problem) = invariants::compare_curves(&c, &rows) {
                return Err(ChartError::Input {
                    file: files.text("compare_curves.csv")?.0,
                    problem,
                });
            }
            render_compare_charts(&c, &rows, opts)
        }
        StudyKind::Attribute => {
            render_attribution_charts(&read_json(files, "attribution.json", "attribution")?, opts)
        }
        StudyKind::Sweep => render_sweep_charts(&read_csv(files, "sweep.csv", parse_sweep_csv)?, opts),
        StudyKind::Sensitivity => render_sensitivity_charts(
            &read_json(files, "sensitivity.json", "sensitivity analysis")?,
            opts,
        ),
        StudyKind::Evidence => {
            let p: PosteriorReport = read_json(files, "posterior.json", "posterior")?;
            let rows = read_csv(files, "posterior_sample.csv", parse_posterior_sample)?;
            if let Err(problem) =
                check_posterior_sample(&p, &rows).and_then(|()| invariants::posterior_values(&p, &rows))
            {
                return Err(ChartError::Input {
                    file: files.text("posterior_sample.csv")?.0,
                    problem,
                });
            }
            render_posterior_charts(&p, &rows, opts)
        }
        StudyKind::Robustness => robustness::render_robustness_charts(
            &read_json(files, "robustness.json", "robustness panel")?,
            opts,
        ),
    })
}

/// Draw the charts of a `trace` from `trace.csv` and `events.csv` (when there).
pub fn draw_trace(files: &dyn ResultFiles, opts: &ChartOptions) -> Result<Rendered, ChartError> {
    let rows = read_csv(files, "trace.csv", parse_trace)?;
    if let Err(problem) = invariants::trace(&rows) {
        return Err(ChartError::Input {
            file: files.text("trace.csv")?.0,
            problem,
        });
    }
    let events = match files.has("events.csv") {
        true => read_csv(files, "events.csv", parse_trace_events)?,
        false => Vec::new(),
    };
    Ok(render_trace_charts(&rows, &events, opts))
}

/// Re-draw every chart of a finished output folder from the result files found in it: each
/// study kind whose [`StudyKind::chart_inputs`] are there (`summary.json`/`onset_curve.csv`,
/// with `events_by_year.csv` for the `timeline` chart when it is there; `scores.json`,
/// `compare.json`/`compare_curves.csv`, `attribution.json`, `sweep.csv`, `sensitivity.json`,
/// `posterior.json` with `posterior_sample.csv`, `robustness.json`),
/// and `trace.csv`/`events.csv` of a trace (see [`draw_study`]). Every chart is drawn before
/// anything is returned, so a missing or corrupted file (named in the error, with the line for
/// a CSV file) means nothing is written. A folder with none of these files is an error naming
/// `summary.json`.
pub fn render_folder(dir: &Path, opts: &ChartOptions) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let files = Folder(dir);
    let mut rendered: Rendered = Vec::new();
    let mut found = false;
    for kind in StudyKind::ALL {
        if kind.chart_inputs().iter().any(|f| files.has(f)) {
            found = true;
            rendered.extend(draw_study(kind, &files, opts)?);
        }
    }
    if files.has("trace.csv") || files.has("events.csv") {
        found = true;
        rendered.extend(draw_trace(&files, opts)?);
    }
    if !found {
        return Err(ChartError::Input {
            file: crate::text::path(dir.join("summary.json")),
            problem: "cannot read it, and no other result file (attribution.json, scores.json, compare.json, trace.csv, sweep.csv, sensitivity.json, \
                      posterior.json, robustness.json) is there \
                      either: is this a finished output folder?"
                .into(),
        });
    }
    rendered
        .into_iter()
        .map(|(file, r)| r.map(|bytes| (file, bytes)))
        .collect()
}

/// Draw the chart `$name` (a file name without extension): on a white canvas of the requested
/// format, the title `$title` (unless the options drop it), then `$draw(&area)` on the area
/// below it; returns the file's bytes.
macro_rules! render {
    ($format:expr, $opts:expr, $name:expr, $title:expr, $draw:expr) => {{
        register_fonts();
        let (w, h) = ($opts.width, $opts.height);
        let chart = format!("{}.{}", $name, $format);
        let fail = |problem: String| ChartError::Draw {
            chart: chart.clone(),
            problem,
        };
        match $format {
            Format::Svg => {
                let mut text = String::new();
                {
                    let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
                    root.fill(&WHITE).map_err(|e| fail(err(e)))?;
                    $draw(&titled(&root, $opts, $title).map_err(fail)?).map_err(fail)?;
                    root.present().map_err(|e| fail(err(e)))?;
                }
                Ok(text.into_bytes())
            }
            Format::Png => {
                let mut pixels = vec![0u8; w as usize * h as usize * 3];
                {
                    let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
                    root.fill(&WHITE).map_err(|e| fail(err(e)))?;
                    $draw(&titled(&root, $opts, $title).map_err(fail)?).map_err(fail)?;
                    root.present().map_err(|e| fail(err(e)))?;
                }
                encode_png(&pixels, w, h).map_err(fail)
            }
        }
    }};
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(rgb).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(bytes)
}

/// `onset_curves`: cumulative probability of the first war onset over time for each pair that
/// had one in some run, with its Wilson 95% band.
pub fn onset_curves(
    summary: &Summary,
    rows: &[CurveRow],
    format: Format,
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let title = format!(
        "{}: probability of the first war onset by date ({} runs)",
        summary.scenario, summary.runs
    );
    render!(format, opts, "onset_curves", &title, |area| draw_onset_curves(
        area, summary, rows, opts
    ))
}

/// `onset_years`: first onsets per year for each pair that had one, stacked by initiator, one
/// panel per pair.
pub fn onset_years(summary: &Summary, format: Format, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    let title = format!(
        "{}: first war onsets per year, by initiator ({} runs)",
        summary.scenario, summary.runs
    );
    render!(format, opts, "onset_years", &title, |area| draw_onset_years(
        area, summary, opts
    ))
}

type Drawn = Result<(), String>;

fn err<E: fmt::Display>(e: E) -> String {
    e.to_string()
}

fn err_dbg<E: fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Display name of a polity id (the id itself if unknown).
fn name<'a>(summary: &'a Summary, id: &'a str) -> &'a str {
    summary
        .polities
        .iter()
        .find(|p| p.id == id)
        .map_or(id, |p| p.name.as_str())
}

fn pair_label(summary: &Summary, d: &DyadSummary) -> String {
    format!("{} – {}", name(summary, &d.a), name(summary, &d.b))
}

/// Pairs with at least one first onset, most likely first (ties in scenario order).
fn fighting(summary: &Summary) -> Vec<&DyadSummary> {
    let mut v: Vec<&DyadSummary> = summary.dyads.iter().filter(|d| d.war_probability > 0.0).collect();
    v.sort_by(|x, y| y.war_probability.total_cmp(&x.war_probability));
    v
}

/// Fractional year of the start of a month.
fn year_of(m: Month) -> f64 {
    f64::from(m.year()) + f64::from(m.month_of_year() - 1) / 12.0
}

/// Axes for a cumulative probability over calendar dates (`onset_curves`, `compare_curves`):
/// dates on x, probability from 0 to `top` on y with `y_digits` decimals, the shared grid and
/// axis labels. Returns the chart to draw series on.
fn probability_by_date<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    opts: &ChartOptions,
    x: std::ops::Range<f64>,
    top: f64,
    y_digits: usize,
) -> Result<Chart<'a, DB>, String> {
    let mut chart = ChartBuilder::on(plot)
        .margin(opts.px(16.0))
        .x_label_area_size(opts.label_area(16.0, 19.0, 1.4))
        .y_label_area_size(opts.label_area(16.0, 19.0, 1.9))
        .build_cartesian_2d(x, 0.0..top)
        .map_err(err_dbg)?;
    draw_axes(
        &mut chart,
        opts,
        Axis::new(10, &|v| date_label(*v), "Date (year, end of month)"),
        Axis::new(
            11,
            &|v| format!("{v:.y_digits$}"),
            "Cumulative probability of first war onset",
        ),
        Grid::Both,
        (16.0, 19.0),
    )?;
    Ok(chart)
}

/// A chart with numeric axes, as every chart here has.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A tick label for a count: the number at whole values, nothing between them.
fn integer_tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// A tick label for any number, as plotters writes it by default.
fn plain_tick(v: &f64) -> String {
    <RangedCoordf64 as ValueFormatter<f64>>::format(v)
}

/// A probability (or share) in [0, 1] with `digits` decimals, or with more where `digits` would
/// round it to a bound it does not reach: a value above 0 never reads `0.000` (0.0004 reads
/// `0.0004`), one below 1 never reads `1.000`. Exactly 0 and 1 read `0` and `1`.
fn probability_text(v: f64, digits: usize) -> String {
    if v == 0.0 || v == 1.0 {
        return format!("{v:.0}");
    }
    for d in digits..=12 {
        let text = format!("{v:.d$}");
        let shown: f64 = text.parse().unwrap_or(v);
        if shown != 0.0 && shown != 1.0 {
            return text;
        }
    }
    v.to_string()
}

/// An interval as `[lo, hi]`, each bound written by [`probability_text`].
fn interval_text([lo, hi]: [f64; 2], digits: usize) -> String {
    let (lo, hi) = (probability_text(lo, digits), probability_text(hi, digits));
    format!("[{lo}, {hi}]")
}

/// Which grid lines a chart draws (at its tick labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grid {
    /// None (heat maps).
    None,
    /// Vertical lines only (bars by category).
    Vertical,
    /// Horizontal lines only (bars over years).
    Horizontal,
    /// Both.
    Both,
}

/// One axis of a chart: at most `ticks` tick labels, how each reads, and its description (none
/// when empty).
struct Axis<'a> {
    ticks: usize,
    label: &'a dyn Fn(&f64) -> String,
    desc: &'a str,
}

impl<'a> Axis<'a> {
    fn new(ticks: usize, label: &'a dyn Fn(&f64) -> String, desc: &'a str) -> Axis<'a> {
        Axis { ticks, label, desc }
    }
}

/// The most tick labels, `wanted` at most (2 at least), that fit along `room` pixels of the
/// axis `range` when the label at value `v` takes `extent(v)` pixels along it.
fn fitting_ticks(range: &RangedCoordf64, wanted: usize, room: u32, extent: impl Fn(f64) -> f64) -> usize {
    let mut n = wanted;
    while n > 2 {
        let points = range.key_points(n);
        let widest = points.iter().map(|&v| extent(v)).fold(0.0, f64::max);
        if points.len() as f64 * widest <= f64::from(room) {
            break;
        }
        n -= 1;
    }
    n
}

/// The axes of `chart` in the common style: tick labels of `tick` points and descriptions of
/// `desc` points, the light grid lines of `grid`, and no more tick labels than fit side by side
/// (x) or one above the other (y).
fn draw_axes<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    opts: &ChartOptions,
    x: Axis<'_>,
    y: Axis<'_>,
    grid: Grid,
    (tick, desc): (f64, f64),
) -> Drawn {
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let spec = chart.as_coord_spec();
    let x_ticks = fitting_ticks(spec.x_spec(), x.ticks, w, |v| {
        f64::from(text_width(opts, tick, (x.label)(&v).chars().count())) + opts.font_px(tick) / 2.0
    });
    let y_ticks = fitting_ticks(spec.y_spec(), y.ticks, h, |_| opts.font_px(tick) * 1.3);
    let mut mesh = chart.configure_mesh();
    match grid {
        Grid::None => mesh.disable_mesh(),
        Grid::Vertical => mesh.disable_y_mesh(),
        Grid::Horizontal => mesh.disable_x_mesh(),
        Grid::Both => &mut mesh,
    };
    mesh.light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(x_ticks)
        .y_labels(y_ticks)
        .x_label_formatter(x.label)
        .y_label_formatter(y.label)
        .label_style(opts.font(tick))
        .axis_desc_style(opts.font(desc));
    if !x.desc.is_empty() {
        mesh.x_desc(x.desc);
    }
    if !y.desc.is_empty() {
        mesh.y_desc(y.desc);
    }
    mesh.draw().map_err(err_dbg)
}

/// A chart with one row per category of `names` (bottom up) and values `x` along x, with room
/// on the left for the longest name, `right` points of margin on the right and `caption` above.
fn by_category<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    opts: &ChartOptions,
    x: std::ops::Range<f64>,
    names: &[String],
    caption: Option<&str>,
    right: f64,
) -> Result<Chart<'a, DB>, String> {
    let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(opts.px(16.0))
        .margin_right(opts.px(right))
        .x_label_area_size(opts.label_area(16.0, 19.0, 1.4))
        .y_label_area_size(text_width(opts, 16.0, longest) + opts.label_area(16.0, 19.0, 1.0));
    if let Some(caption) = caption {
        builder.caption(caption, opts.font(17.0));
    }
    builder
        .build_cartesian_2d(x, -0.5..names.len().max(1) as f64 - 0.5)
        .map_err(err_dbg)
}

/// A vertical line at x = 0 across the `n` rows of a chart by category.
fn zero_line<DB: DrawingBackend>(chart: &mut Chart<'_, DB>, n: usize, style: ShapeStyle) -> Drawn {
    chart
        .draw_series(LineSeries::new([(0.0, -0.5), (0.0, n as f64 - 0.5)], style))
        .map_err(err_dbg)?;
    Ok(())
}

/// An interval from `lo` to `hi` at height `y`, with end caps `cap` up and down.
fn whisker<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    y: f64,
    [lo, hi]: [f64; 2],
    cap: f64,
    style: ShapeStyle,
) -> Drawn {
    let lines = [
        [(lo, y), (hi, y)],
        [(lo, y - cap), (lo, y + cap)],
        [(hi, y - cap), (hi, y + cap)],
    ];
    chart
        .draw_series(lines.map(|line| PathElement::new(line, style)))
        .map_err(err_dbg)?;
    Ok(())
}

/// A dash pattern, in points at the default scale: `on` drawn, `off` left out, starting
/// `phase` into the pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Dash {
    on: f64,
    off: f64,
    phase: f64,
}

/// How a line looks: colour, width in points at the default scale, and dashes (none: solid).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stroke {
    colour: RGBColor,
    width: f64,
    dash: Option<Dash>,
}

impl Stroke {
    fn style(&self, opts: &ChartOptions) -> ShapeStyle {
        self.colour.stroke_width(opts.px(self.width))
    }
}

/// The pieces of the polyline `points` (in pixels) that `dash` (in pixels) draws.
fn dash_pieces(points: &[(f64, f64)], dash: Dash) -> Vec<Vec<(i32, i32)>> {
    let period = dash.on + dash.off;
    let mut pos = dash.phase.rem_euclid(period);
    let mut pieces = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    if let Some(&first) = points.first() {
        if pos < dash.on {
            current.push(first);
        }
    }
    for seg in points.windows(2) {
        let (a, b) = (seg[0], seg[1]);
        let len = (b.0 - a.0).hypot(b.1 - a.1);
        if len == 0.0 {
            continue;
        }
        let mut t = 0.0;
        loop {
            let drawing = pos < dash.on;
            let to_switch = if drawing { dash.on - pos } else { period - pos };
            if t + to_switch > len {
                pos += len - t;
                if drawing {
                    current.push(b);
                }
                break;
            }
            t += to_switch;
            let f = t / len;
            let p = (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
            if drawing {
                current.push(p);
                pieces.push(std::mem::take(&mut current));
                pos = dash.on;
            } else {
                current = vec![p];
                pos = 0.0;
            }
        }
    }
    pieces.push(current);
    pieces
        .into_iter()
        .filter(|p| p.len() >= 2)
        .map(|p| {
            p.into_iter()
                .map(|(x, y)| (x.round() as i32, y.round() as i32))
                .collect()
        })
        .collect()
}

/// Draw the polyline `points` (pixels of `area`) with `stroke`.
fn draw_stroke<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[(f64, f64)],
    stroke: Stroke,
    opts: &ChartOptions,
) -> Drawn {
    let style = stroke.style(opts);
    let pieces = match stroke.dash {
        None => vec![points
            .iter()
            .map(|&(x, y)| (x.round() as i32, y.round() as i32))
            .collect()],
        Some(d) => {
            let k = opts.scale();
            dash_pieces(
                points,
                Dash {
                    on: (d.on * k).max(1.0),
                    off: d.off * k,
                    phase: d.phase * k,
                },
            )
        }
    };
    for piece in pieces {
        area.draw(&PathElement::new(piece, style)).map_err(err_dbg)?;
    }
    Ok(())
}

/// Draw a series of data points on `chart` with `stroke` (its dashes laid out in pixels).
fn draw_series_stroke<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    points: &[(f64, f64)],
    stroke: Stroke,
    opts: &ChartOptions,
) -> Drawn {
    if stroke.dash.is_none() {
        chart
            .draw_series(LineSeries::new(points.iter().copied(), stroke.style(opts)))
            .map_err(err_dbg)?;
        return Ok(());
    }
    let plot = chart.plotting_area();
    let (bx, by) = plot.get_base_pixel();
    let pixels: Vec<(f64, f64)> = points
        .iter()
        .map(|p| {
            let (x, y) = plot.map_coordinate(p);
            (f64::from(x - bx), f64::from(y - by))
        })
        .collect();
    draw_stroke(&plot.strip_coord_spec(), &pixels, stroke, opts)
}

/// How a legend entry shows its series: a colour swatch, or a sample of its line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    Fill(RGBColor),
    Line(Stroke),
}

/// A block of a legend from `top` down in its own area: a heading, then a key and a label per
/// entry. Returns the first free line below it.
fn legend_block<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    opts: &ChartOptions,
    top: i32,
    heading: &str,
    entries: &[(String, Key)],
) -> Result<i32, String> {
    let line = opts.px(30.0) as i32;
    let x0 = opts.px(14.0) as i32;
    let lines = entries.iter().any(|(_, k)| matches!(k, Key::Line(_)));
    let sw = opts.px(if lines { 34.0 } else { 22.0 }) as i32;
    let mut y = top;
    area.draw(&Text::new(heading.to_string(), (x0, y), opts.font(18.0)))
        .map_err(err_dbg)?;
    y += line;
    for (label, key) in entries {
        match key {
            Key::Fill(colour) => area
                .draw(&Rectangle::new(
                    [
                        (x0, y + 2),
                        (x0 + opts.px(22.0) as i32, y + opts.px(22.0) as i32 * 2 / 3 + 2),
                    ],
                    colour.filled(),
                ))
                .map_err(err_dbg)?,
            Key::Line(stroke) => {
                let mid = f64::from(y) + opts.font_px(17.0) / 2.0;
                draw_stroke(
                    area,
                    &[(f64::from(x0), mid), (f64::from(x0 + sw), mid)],
                    *stroke,
                    opts,
                )?;
            }
        }
        area.draw(&Text::new(
            label.clone(),
            (x0 + sw + opts.px(8.0) as i32, y),
            opts.font(17.0),
        ))
        .map_err(err_dbg)?;
        y += line;
    }
    Ok(y)
}

/// A grey note in a legend area at height `y`.
fn legend_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    opts: &ChartOptions,
    y: i32,
    note: &str,
) -> Drawn {
    area.draw(&Text::new(
        note.to_string(),
        (opts.px(14.0) as i32, y),
        opts.font(15.0).color(&GREY),
    ))
    .map_err(err_dbg)
}

/// A tick label for a signed value (a difference or a Shapley value): `0`, or `+0.12`/`−0.12`.
fn signed_tick(v: &f64) -> String {
    if v.abs() < 1e-9 {
        "0".into()
    } else {
        format!("{v:+.2}")
    }
}

/// A date tick: `1125` at January, `1125-07` otherwise.
fn date_label(v: f64) -> String {
    let m = (v * 12.0).round() as i64;
    let (y, mo) = (m.div_euclid(12), m.rem_euclid(12) + 1);
    let year = crate::calendar::year_label(y as i32);
    if mo == 1 {
        year
    } else {
        format!("{year}-{mo:02}")
    }
}

/// A tick label for an astronomical year: `1125`, `431 BCE`; empty between whole years.
pub(crate) fn year_tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        crate::calendar::year_label(v.round() as i32)
    } else {
        String::new()
    }
}

/// Text of `pt` points centred on a point.
fn centred(opts: &ChartOptions, pt: f64) -> TextStyle<'static> {
    opts.font(pt).pos(Pos::new(HPos::Center, VPos::Center))
}

/// The label of category `v` (an integer position) among `names`, empty between them.
fn category(names: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    names.get(i as usize).cloned().unwrap_or_default()
}

/// Pixels for a text of `chars` characters at size `pt` (a generous estimate: DejaVu Sans
/// averages less).
fn text_width(opts: &ChartOptions, pt: f64, chars: usize) -> u32 {
    (opts.font_px(pt) * 0.55 * chars as f64).round() as u32
}

/// Title (unless dropped) and the remaining area.
fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    opts: &ChartOptions,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    if opts.title {
        let m = opts.px(8.0);
        root.margin(m, 0, 0, 0)
            .titled(title, opts.font(26.0))
            .map_err(err_dbg)
    } else {
        Ok(root.clone())
    }
}

/// The whole canvas says that no pair fought.
fn no_war<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
    opts: &ChartOptions,
) -> Drawn {
    let (w, h) = area.dim_in_pixel();
    let style = centred(opts, 24.0);
    let text = format!(
        "No war onset in any pair in {} runs ({} .. {})",
        summary.runs, summary.start, summary.end
    );
    area.draw(&Text::new(text, (w as i32 / 2, h as i32 / 2), style))
        .map_err(err_dbg)
}

/// A legend in its own area: a colour swatch and a label per entry, top to bottom.
fn side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    opts: &ChartOptions,
    heading: &str,
    entries: &[(String, RGBColor)],
) -> Drawn {
    let keys: Vec<(String, Key)> = entries.iter().map(|(l, c)| (l.clone(), Key::Fill(*c))).collect();
    legend_block(area, opts, opts.px(20.0) as i32, heading, &keys)?;
    Ok(())
}

/// Width in pixels of a legend whose longest label has `chars` characters.
fn legend_width(opts: &ChartOptions, chars: usize) -> u32 {
    let w = opts.px(17.0 * 0.62 * chars as f64 + 60.0);
    w.min(opts.width * 2 / 5)
}

fn draw_onset_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
    rows: &[CurveRow],
    opts: &ChartOptions,
) -> Drawn {
    let pairs = fighting(summary);
    if pairs.is_empty() {
        return no_war(area, summary, opts);
    }
    let entries: Vec<(String, RGBColor)> = pairs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                format!(
                    "{} ({})",
                    pair_label(summary, d),
                    probability_text(d.war_probability, 3)
                ),
                PALETTE[i % PALETTE.len()],
            )
        })
        .collect();
    let longest = entries.iter().map(|e| e.0.chars().count()).max().unwrap_or(0);
    let (w, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(w - legend_width(opts, longest.max(24)));
    side_legend(&legend, opts, &format!("Pair (P by {})", summary.end), &entries)?;

    let x0 = year_of(summary.start);
    let x1 = year_of(summary.end) + 1.0 / 12.0;
    let mut chart = probability_by_date(&plot, opts, x0..x1, 1.0, 1)?;

    for (i, d) in pairs.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let mine: Vec<&CurveRow> = rows.iter().filter(|r| r.a == d.a && r.b == d.b).collect();
        if mine.is_empty() {
            continue;
        }
        let x = |r: &CurveRow| year_of(r.month) + 1.0 / 12.0;
        let band: Vec<(f64, f64, f64)> = mine.iter().map(|r| (x(r), r.ci_low, r.ci_high)).collect();
        draw_band(&mut chart, &band, colour)?;
        chart
            .draw_series(LineSeries::new(
                mine.iter().map(|r| (x(r), r.cumulative_probability)),
                colour.stroke_width(opts.px(2.5)),
            ))
            .map_err(err_dbg)?;
    }
    wilson_band_note(&legend, opts)
}

/// A shaded band between `lo` and `hi` of the points `(x, lo, hi)`.
fn draw_band<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    points: &[(f64, f64, f64)],
    colour: RGBColor,
) -> Drawn {
    let mut outline: Vec<(f64, f64)> = points.iter().map(|&(x, _, hi)| (x, hi)).collect();
    outline.extend(points.iter().rev().map(|&(x, lo, _)| (x, lo)));
    chart
        .draw_series(std::iter::once(Polygon::new(outline, colour.mix(0.18).filled())))
        .map_err(err_dbg)?;
    Ok(())
}

/// A note low in a legend area on what the shaded bands of a probability chart are.
fn wilson_band_note<DB: DrawingBackend>(legend: &DrawingArea<DB, Shift>, opts: &ChartOptions) -> Drawn {
    let (_, lh) = legend.dim_in_pixel();
    legend_note(
        legend,
        opts,
        lh as i32 - opts.px(90.0) as i32,
        "Shaded: Wilson 95% interval",
    )
}

fn draw_onset_years<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
    opts: &ChartOptions,
) -> Drawn {
    let pairs = fighting(summary);
    if pairs.is_empty() {
        return no_war(area, summary, opts);
    }
    // One colour per polity, the same in every panel.
    let colour_of = |id: &str| -> RGBColor {
        summary
            .polities
            .iter()
            .position(|p| p.id == id)
            .map_or(GREY, |i| PALETTE[i % PALETTE.len()])
    };
    let mut initiators: Vec<&str> = Vec::new();
    for p in &summary.polities {
        if pairs
            .iter()
            .any(|d| d.initiator_counts.get(&p.id).copied().unwrap_or(0) > 0)
        {
            initiators.push(&p.id);
        }
    }
    let split_known = pairs.iter().all(|d| !d.initiator_by_year.is_empty());
    let mut entries: Vec<(String, RGBColor)> = if split_known {
        initiators
            .iter()
            .map(|id| (name(summary, id).to_string(), colour_of(id)))
            .collect()
    } else {
        vec![("all initiators".to_string(), GREY)]
    };
    if entries.is_empty() {
        entries.push(("all initiators".to_string(), GREY));
    }
    let longest = entries.iter().map(|e| e.0.chars().count()).max().unwrap_or(0);
    let (w, _) = area.dim_in_pixel();
    let (grid, legend) = area.split_horizontally(w - legend_width(opts, longest.max(14)));
    side_legend(&legend, opts, "Initiator", &entries)?;

    let n = pairs.len();
    let cols = match n {
        1 => 1,
        2..=4 => 2,
        _ => 3,
    };
    let rows = n.div_ceil(cols);
    let panels = grid.split_evenly((rows, cols));
    let y0 = summary.start.year();
    let y1 = summary.end.year();
    for (d, panel) in pairs.iter().zip(&panels) {
        let total: u64 = d.onset_by_year.values().sum();
        let max = d.onset_by_year.values().copied().max().unwrap_or(1).max(1);
        let top = (max as f64 * 1.12).ceil();
        let counts = format!("({total} first onsets)");
        let plot = panel_caption(panel, opts, &pair_label(summary, d), &counts)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(opts.px(10.0))
            .margin_top(opts.px(4.0))
            .x_label_area_size(opts.label_area(13.0, 14.0, 1.4))
            .y_label_area_size(opts.label_area(13.0, 14.0, 1.9))
            .build_cartesian_2d(f64::from(y0) - 0.5..f64::from(y1) + 0.5, 0.0..top)
            .map_err(err_dbg)?;
        draw_axes(
            &mut chart,
            opts,
            Axis::new(6, &year_tick, "Year"),
            Axis::new(5, &integer_tick, "First onsets (runs)"),
            Grid::Horizontal,
            (13.0, 14.0),
        )?;
        let mut bars = Vec::new();
        for (year, &count) in &d.onset_by_year {
            let Ok(y) = year.parse::<i32>() else { continue };
            let x = f64::from(y);
            let split: Vec<(RGBColor, u64)> = match d.initiator_by_year.get(year) {
                Some(by) if split_known => [&d.a, &d.b]
                    .iter()
                    .map(|id| (colour_of(id), by.get(*id).copied().unwrap_or(0)))
                    .collect(),
                _ => vec![(GREY, count)],
            };
            let mut base = 0.0;
            for (colour, c) in split {
                if c == 0 {
                    continue;
                }
                let top = base + c as f64;
                bars.push(Rectangle::new([(x - 0.4, base), (x + 0.4, top)], colour.filled()));
                base = top;
            }
        }
        chart.draw_series(bars).map_err(err_dbg)?;
    }
    Ok(())
}

/// A panel's caption, `head` and `tail` on one line (`head tail`, or `head` alone when `tail` is
/// empty) if it fits the panel's width at 17 points, else on two lines, each shrunk to fit (to
/// the 11-pixel floor); returns the panel below it.
fn panel_caption<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    opts: &ChartOptions,
    head: &str,
    tail: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    let (w, _) = panel.dim_in_pixel();
    let room = w.saturating_sub(2 * opts.px(10.0));
    let one = format!("{head} {tail}").trim_end().to_string();
    let lines: Vec<&str> = if text_width(opts, 17.0, one.chars().count()) <= room {
        vec![&one]
    } else {
        [head, tail].into_iter().filter(|l| !l.is_empty()).collect()
    };
    let mut y = opts.px(4.0) as i32;
    for line in lines {
        let chars = line.chars().count().max(1);
        let pt = (17.0 * f64::from(room) / f64::from(text_width(opts, 17.0, chars)).max(1.0)).min(17.0);
        panel
            .draw(&Text::new(
                line.to_string(),
                (w as i32 / 2, y),
                opts.font(pt).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err_dbg)?;
        y += opts.font_px(pt).round() as i32 + opts.px(3.0) as i32;
    }
    Ok(panel.margin(y.max(0) as u32, 0, 0, 0))
}

impl FromStr for Format {
    type Err = ChartError;
    fn from_str(s: &str) -> Result<Format, ChartError> {
        match parse_formats(s)?.as_slice() {
            [f] => Ok(*f),
            _ => Err(ChartError::Format(format!(
                "{} is not one format",
                crate::text::quote(s)
            ))),
        }
    }
}

mod compare;
mod hypothesis;
mod invariants;
mod posterior;
mod robustness;
mod sweep;
mod timeline;
mod trace;
pub use compare::{
    compare_curves, compare_forest, parse_compare_curves, render_compare_charts, CompareCurveRow,
    COMPARE_CHARTS,
};
pub use hypothesis::{
    attribution, render_attribution_charts, render_score_charts, scores, ATTRIBUTION_CHARTS, SCORE_CHARTS,
};
pub use posterior::{
    check_posterior_sample, parse_posterior_sample, posterior_corner, posterior_marginals,
    render_posterior_charts, PosteriorReport, SampleRow, MAX_CORNER_PARAMETERS, MAX_CORNER_POINTS,
    POSTERIOR_CHARTS, POSTERIOR_SAMPLE_HEADER,
};
pub use sweep::{
    parse_sweep_csv, render_sensitivity_charts, render_sweep_charts, sensitivity, sweep, SweepRow,
    SweepTable, SENSITIVITY_CHARTS, SWEEP_CHARTS,
};
pub use timeline::{
    parse_events_by_year, timeline, HappeningRow, EVENTS_BY_YEAR_HEADER, MAX_TIMELINE_PANELS,
};
pub use trace::{
    parse_trace, parse_trace_events, render_trace_charts, trace, TraceEvent, TraceRow, TRACE_CHARTS,
};
