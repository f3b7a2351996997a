//! Charts of a batch's results, in SVG (for papers) and PNG (for slides).
//!
//! Drawing needs no system fonts: DejaVu Sans, embedded by the `dejavu` crate, is registered
//! with plotters once under the `sans-serif` family. The theme uses the Okabe–Ito palette
//! (colour-blind safe), labels every axis with its unit, puts legends beside the data rather
//! than on it, and draws a title that [`ChartOptions::title`] can drop (journals put titles in
//! captions).
//!
//! Charts are drawn only from saved results ([`Summary`] and the rows of `onset_curve.csv`), so
//! `jinsong plot DIR` redraws them without running anything. Rendering is deterministic: the
//! same results give the same bytes.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
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

/// Smallest and largest accepted chart sides, in pixels.
pub const SIDE_RANGE: (u32, u32) = (300, 8000);

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
    #[error("{file}: {problem}")]
    Input {
        /// The file.
        file: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Drawing or encoding failed.
    #[error("cannot draw {chart}: {problem}")]
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
                    "`{text}` has an empty entry (expected e.g. svg,png)"
                )))
            }
            other => {
                return Err(ChartError::Format(format!(
                    "unknown format `{other}` (allowed: svg, png)"
                )))
            }
        };
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// Parse `WxH` in pixels, e.g. `1200x750`.
pub fn parse_size(text: &str) -> Result<(u32, u32), ChartError> {
    let bad = |why: &str| ChartError::Size(format!("`{text}` {why}"));
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
    let (lo, hi) = SIDE_RANGE;
    if !(lo..=hi).contains(&w) || !(lo..=hi).contains(&h) {
        return Err(bad(&format!("is out of range (each side {lo} to {hi} pixels)")));
    }
    Ok((w, h))
}

/// How charts are drawn.
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

/// Parse the text of `onset_curve.csv`; the error says which line is wrong and why.
pub fn parse_onset_curve(text: &str) -> Result<Vec<CurveRow>, String> {
    let mut rows = Vec::new();
    for (n, f) in csv_records(text, CURVE_HEADER, 7)? {
        let prob = |k: usize, name: &str| -> Result<f64, String> {
            match f[k].parse::<f64>() {
                Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
                _ => Err(format!(
                    "line {n}: {name} `{}` is not a probability in [0, 1]",
                    f[k]
                )),
            }
        };
        rows.push(CurveRow {
            a: f[0].to_string(),
            b: f[1].to_string(),
            month: f[2]
                .parse()
                .map_err(|_| format!("line {n}: month `{}` is not YYYY-MM", f[2]))?,
            onsets: f[3]
                .parse()
                .map_err(|_| format!("line {n}: onsets `{}` is not a count", f[3]))?,
            cumulative_probability: prob(4, "cumulative_probability")?,
            ci_low: prob(5, "ci_low")?,
            ci_high: prob(6, "ci_high")?,
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
    let (file, text) = read("summary.json")?;
    let summary: Summary = serde_json::from_str(&text).map_err(|e| ChartError::Input {
        file: file.clone(),
        problem: format!("not a valid summary ({e})"),
    })?;
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
                    r.a, r.b
                ),
            });
        }
    }
    Ok((summary, rows))
}

/// The charts of a `run`, by name without extension.
pub const RUN_CHARTS: [&str; 2] = ["onset_curves", "onset_years"];

/// Draw every chart of a `run` in every format of `opts`: (file name, bytes or error), in a
/// fixed order. A panic inside the drawing library is caught and reported as an error.
pub fn render_run_charts(
    summary: &Summary,
    rows: &[CurveRow],
    opts: &ChartOptions,
) -> Vec<(String, Result<Vec<u8>, ChartError>)> {
    render_each(&RUN_CHARTS, opts, |name, format| match name {
        "onset_curves" => onset_curves(summary, rows, format, opts),
        _ => onset_years(summary, format, opts),
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
        let file = path.display().to_string();
        std::fs::read_to_string(&path)
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
fn read_json<T: serde::de::DeserializeOwned>(
    files: &dyn ResultFiles,
    name: &str,
    what: &str,
) -> Result<T, ChartError> {
    let (file, text) = files.text(name)?;
    serde_json::from_str(&text).map_err(|e| ChartError::Input {
        file,
        problem: format!("not a valid {what} ({e})"),
    })
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
pub fn draw_study(
    kind: StudyKind,
    files: &dyn ResultFiles,
    opts: &ChartOptions,
) -> Result<Rendered, ChartError> {
    Ok(match kind {
        StudyKind::Run => {
            let (summary, rows) = run_results(files)?;
            render_run_charts(&summary, &rows, opts)
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
    })
}

/// Draw the charts of a `trace` from `trace.csv` and `events.csv` (when there).
pub fn draw_trace(files: &dyn ResultFiles, opts: &ChartOptions) -> Result<Rendered, ChartError> {
    let rows = read_csv(files, "trace.csv", parse_trace)?;
    let events = match files.has("events.csv") {
        true => read_csv(files, "events.csv", parse_trace_events)?,
        false => Vec::new(),
    };
    Ok(render_trace_charts(&rows, &events, opts))
}

/// Re-draw every chart of a finished output folder from the result files found in it: each
/// study kind whose [`StudyKind::chart_inputs`] are there (`summary.json`/`onset_curve.csv`,
/// `scores.json`, `compare.json`/`compare_curves.csv`, `attribution.json`, `sweep.csv`,
/// `sensitivity.json`), and `trace.csv`/`events.csv` of a trace. Every chart is drawn before
/// anything is returned, so a missing or corrupted file (named in the error) means nothing is
/// written. A folder with none of these files is an error naming `summary.json`.
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
            file: dir.join("summary.json").display().to_string(),
            problem: "cannot read it, and no other result file (attribution.json, scores.json, compare.json, trace.csv, sweep.csv, sensitivity.json) is there \
                      either: is this a finished output folder?"
                .into(),
        });
    }
    rendered
        .into_iter()
        .map(|(file, r)| r.map(|bytes| (file, bytes)))
        .collect()
}

/// Draw `$draw(&root)` on a white canvas of the requested format and return the file's bytes.
macro_rules! render {
    ($format:expr, $opts:expr, $chart:expr, $draw:expr) => {{
        register_fonts();
        let (w, h) = ($opts.width, $opts.height);
        let fail = |problem: String| ChartError::Draw {
            chart: $chart.to_string(),
            problem,
        };
        match $format {
            Format::Svg => {
                let mut text = String::new();
                {
                    let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
                    root.fill(&WHITE).map_err(|e| fail(err(e)))?;
                    $draw(&root).map_err(fail)?;
                    root.present().map_err(|e| fail(err(e)))?;
                }
                Ok(text.into_bytes())
            }
            Format::Png => {
                let mut pixels = vec![0u8; w as usize * h as usize * 3];
                {
                    let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
                    root.fill(&WHITE).map_err(|e| fail(err(e)))?;
                    $draw(&root).map_err(fail)?;
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
    let chart = format!("onset_curves.{format}");
    render!(format, opts, chart, |root| draw_onset_curves(
        root, summary, rows, opts
    ))
}

/// `onset_years`: first onsets per year for each pair that had one, stacked by initiator, one
/// panel per pair.
pub fn onset_years(summary: &Summary, format: Format, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    let chart = format!("onset_years.{format}");
    render!(format, opts, chart, |root| draw_onset_years(root, summary, opts))
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

/// A date tick: `1125` at January, `1125-07` otherwise.
/// Axes for a cumulative probability over calendar dates (`onset_curves`, `compare_curves`):
/// dates on x, probability from 0 to `top` on y with `y_digits` decimals, the shared grid and
/// axis labels. Returns the chart to draw series on.
fn probability_by_date<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, plotters::coord::Shift>,
    opts: &ChartOptions,
    x: std::ops::Range<f64>,
    top: f64,
    y_digits: usize,
) -> Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    String,
> {
    let mut chart = ChartBuilder::on(plot)
        .margin(opts.px(16.0))
        .x_label_area_size(opts.label_area(16.0, 19.0, 1.4))
        .y_label_area_size(opts.label_area(16.0, 19.0, 1.9))
        .build_cartesian_2d(x, 0.0..top)
        .map_err(err_dbg)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(10)
        .y_labels(11)
        .x_label_formatter(&|v| date_label(*v))
        .y_label_formatter(&|v| format!("{v:.y_digits$}"))
        .x_desc("Date (year CE, end of month)")
        .y_desc("Cumulative probability of first war onset")
        .label_style(opts.font(16.0))
        .axis_desc_style(opts.font(19.0))
        .draw()
        .map_err(err_dbg)?;
    Ok(chart)
}

/// A tick label for a signed value (a difference or a Shapley value): `0`, or `+0.12`/`−0.12`.
fn signed_tick(v: &f64) -> String {
    if v.abs() < 1e-9 {
        "0".into()
    } else {
        format!("{v:+.2}")
    }
}

fn date_label(v: f64) -> String {
    let m = (v * 12.0).round() as i64;
    let (y, mo) = (m.div_euclid(12), m.rem_euclid(12) + 1);
    if mo == 1 {
        y.to_string()
    } else {
        format!("{y}-{mo:02}")
    }
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
    let style = opts.font(24.0).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Center,
    ));
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
    let line = opts.px(30.0) as i32;
    let sw = opts.px(22.0) as i32;
    let x0 = opts.px(14.0) as i32;
    let mut y = opts.px(20.0) as i32;
    area.draw(&Text::new(heading.to_string(), (x0, y), opts.font(18.0)))
        .map_err(err_dbg)?;
    y += line;
    for (label, colour) in entries {
        area.draw(&Rectangle::new(
            [(x0, y + 2), (x0 + sw, y + sw * 2 / 3 + 2)],
            colour.filled(),
        ))
        .map_err(err_dbg)?;
        area.draw(&Text::new(
            label.clone(),
            (x0 + sw + opts.px(8.0) as i32, y),
            opts.font(17.0),
        ))
        .map_err(err_dbg)?;
        y += line;
    }
    Ok(())
}

/// Width in pixels of a legend whose longest label has `chars` characters.
fn legend_width(opts: &ChartOptions, chars: usize) -> u32 {
    let w = opts.px(17.0 * 0.62 * chars as f64 + 60.0);
    w.min(opts.width * 2 / 5)
}

fn draw_onset_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    summary: &Summary,
    rows: &[CurveRow],
    opts: &ChartOptions,
) -> Drawn {
    let area = titled(
        root,
        opts,
        &format!(
            "{}: probability of the first war onset by date ({} runs)",
            summary.scenario, summary.runs
        ),
    )?;
    let pairs = fighting(summary);
    if pairs.is_empty() {
        return no_war(&area, summary, opts);
    }
    let entries: Vec<(String, RGBColor)> = pairs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                format!("{} ({:.3})", pair_label(summary, d), d.war_probability),
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
        let mut band: Vec<(f64, f64)> = mine.iter().map(|r| (x(r), r.ci_high)).collect();
        band.extend(mine.iter().rev().map(|r| (x(r), r.ci_low)));
        chart
            .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.18).filled())))
            .map_err(err_dbg)?;
        chart
            .draw_series(LineSeries::new(
                mine.iter().map(|r| (x(r), r.cumulative_probability)),
                colour.stroke_width(opts.px(2.5)),
            ))
            .map_err(err_dbg)?;
    }
    wilson_band_note(&legend, opts)
}

/// A note low in a legend area on what the shaded bands of a probability chart are.
fn wilson_band_note<DB: DrawingBackend>(legend: &DrawingArea<DB, Shift>, opts: &ChartOptions) -> Drawn {
    let (_, lh) = legend.dim_in_pixel();
    legend
        .draw(&Text::new(
            "Shaded: Wilson 95% interval".to_string(),
            (opts.px(14.0) as i32, lh as i32 - opts.px(90.0) as i32),
            opts.font(15.0).color(&GREY),
        ))
        .map_err(err_dbg)?;
    Ok(())
}

fn draw_onset_years<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    summary: &Summary,
    opts: &ChartOptions,
) -> Drawn {
    let area = titled(
        root,
        opts,
        &format!(
            "{}: first war onsets per year, by initiator ({} runs)",
            summary.scenario, summary.runs
        ),
    )?;
    let pairs = fighting(summary);
    if pairs.is_empty() {
        return no_war(&area, summary, opts);
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
        let mut chart = ChartBuilder::on(panel)
            .margin(opts.px(10.0))
            .caption(
                format!("{} ({} first onsets)", pair_label(summary, d), total),
                opts.font(17.0),
            )
            .x_label_area_size(opts.label_area(13.0, 14.0, 1.4))
            .y_label_area_size(opts.label_area(13.0, 14.0, 1.9))
            .build_cartesian_2d(f64::from(y0) - 0.5..f64::from(y1) + 0.5, 0.0..top)
            .map_err(err_dbg)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&|v| {
                if (v - v.round()).abs() < 1e-6 {
                    format!("{:.0}", v)
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| {
                if (v - v.round()).abs() < 1e-6 {
                    format!("{:.0}", v)
                } else {
                    String::new()
                }
            })
            .x_desc("Year (CE)")
            .y_desc("First onsets (runs)")
            .label_style(opts.font(13.0))
            .axis_desc_style(opts.font(14.0))
            .draw()
            .map_err(err_dbg)?;
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

impl FromStr for Format {
    type Err = ChartError;
    fn from_str(s: &str) -> Result<Format, ChartError> {
        match parse_formats(s)?.as_slice() {
            [f] => Ok(*f),
            _ => Err(ChartError::Format(format!("`{s}` is not one format"))),
        }
    }
}

mod compare;
mod hypothesis;
mod sweep;
mod trace;
pub use compare::{
    compare_curves, compare_forest, parse_compare_curves, render_compare_charts, CompareCurveRow,
    COMPARE_CHARTS,
};
pub use hypothesis::{
    attribution, render_attribution_charts, render_score_charts, scores, ATTRIBUTION_CHARTS, SCORE_CHARTS,
};
pub use sweep::{
    parse_sweep_csv, render_sensitivity_charts, render_sweep_charts, sensitivity, sweep, SweepRow,
    SweepTable, SENSITIVITY_CHARTS, SWEEP_CHARTS,
};
pub use trace::{
    parse_trace, parse_trace_events, render_trace_charts, trace, TraceEvent, TraceRow, TRACE_CHARTS,
};
