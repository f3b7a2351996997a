//! Charts of `evidence`: `posterior_marginals` (each parameter's prior and posterior histograms,
//! per reading) and `posterior_corner` (the posterior sample of each reading, pair by pair).
//!
//! Both are drawn from the result files alone: `posterior.json` ([`PosteriorReport`]) and
//! `posterior_sample.csv` ([`SampleRow`]), so `jinsong plot` redraws them byte for byte.
//!
//! `posterior_corner` is drawn at the requested size. `posterior_marginals` keeps the requested
//! width but grows taller than the requested height when its panels need it (many readings or
//! parameters): every panel keeps a plot area of at least 110 pixels (more on a larger scale), so
//! three readings of ten or eleven parameters give a PNG about 1800 pixels tall at the default
//! 1200×750 (at most 30000). The height depends on the files and the options alone, so it is the
//! same every time.

use std::collections::{BTreeMap, BTreeSet};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use super::{centred, fitting_ticks, legend_block, legend_note, panel_caption, text_width};
use super::{encode_png, err, err_dbg, legend_width, register_fonts, render_each, titled};
use super::{Chart, ChartError, ChartOptions, Drawn, Format, Key, Rendered, Stroke, GREY, GRID, PALETTE};
use crate::stats::posterior::Summary;
use crate::study::check::Checked;
use crate::study::evidence::{ParameterPosterior, ReadingPosterior};

/// The charts of `evidence`, by name without extension.
pub const POSTERIOR_CHARTS: [&str; 2] = ["posterior_marginals", "posterior_corner"];

/// The header line of `posterior_sample.csv`.
pub const POSTERIOR_SAMPLE_HEADER: &str = "scenario,draw,run,path,value";

/// The most parameters of one reading that `posterior_corner` shows: when there are more, the
/// ones the record moved most (smallest `overlap`; ties: the earlier parameter), in their
/// order; the chart says so.
pub const MAX_CORNER_PARAMETERS: usize = 6;

/// The least height in pixels of the plot area of a `posterior_marginals` panel (more on a larger
/// scale): the figure grows taller than the requested height to keep it.
const MIN_MARGINAL_PLOT: u32 = 110;

/// The tallest `posterior_marginals` grows, in pixels (beyond that, panels get less room).
const MAX_MARGINALS_HEIGHT: u32 = 30_000;

/// The most draws of one reading shown as points below the diagonal of `posterior_corner`
/// (fewer when readings stand side by side: 1200 / readings, so 600 for two): the draws with the
/// smallest numbers, a random subset, as the sample is ordered by a hash of seed and run. The
/// diagonal's histograms use every draw.
pub const MAX_CORNER_POINTS: usize = 1000;

/// The light grey of a prior's histogram.
const PRIOR_FILL: RGBColor = RGBColor(0xC9, 0xC9, 0xC9);

/// `posterior.json` of `evidence`: each reading's parameters, their prior and posterior
/// histograms on common bins and their summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PosteriorReport {
    /// Master seed.
    pub seed: u64,
    /// Bins of every histogram.
    pub bins: usize,
    /// Draws of the prior that its summaries describe (at most).
    pub prior_draws: u64,
    /// The readings, in the order given.
    pub readings: Vec<ReadingPosterior>,
}

/// `Err(message)` when `bad`.
fn refuse(bad: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    match bad {
        true => Err(message()),
        false => Ok(()),
    }
}

/// The sum of `counts`, or `Err` naming `what` when it overflows.
fn total(what: &str, counts: &[u64]) -> Result<u64, String> {
    counts
        .iter()
        .try_fold(0u64, |a, &b| a.checked_add(b))
        .ok_or_else(|| format!("{what}: the counts overflow"))
}

/// `Err` naming `what` unless the summary's numbers are finite and in order.
fn check_summary(what: &str, s: &Summary) -> Result<(), String> {
    let numbers = [s.mean, s.sd, s.q05, s.q50, s.q95];
    refuse(numbers.iter().any(|x| !x.is_finite()), || {
        format!("{what}: a number is not finite")
    })?;
    refuse(s.sd < 0.0 || !(s.q05 <= s.q50 && s.q50 <= s.q95), || {
        format!(
            "{what}: sd {} and quantiles {} ≤ {} ≤ {} are not a summary",
            s.sd, s.q05, s.q50, s.q95
        )
    })
}

impl PosteriorReport {
    /// Whether this report (read from `posterior.json`) is one `evidence` can write: histograms
    /// of `bins` counts over a finite range `lo < hi` (positive on a log scale), never more
    /// matching runs than runs in a bin, as many matching runs in every posterior histogram as
    /// the reading matched, no more sampled runs than matching ones, finite summaries.
    pub fn check(&self) -> Result<(), String> {
        refuse(self.bins == 0, || {
            "bins: 0 (histograms have at least one bin)".into()
        })?;
        refuse(self.readings.is_empty(), || "readings: none".into())?;
        for r in &self.readings {
            refuse(r.sample > r.matched, || {
                format!(
                    "reading {}: {} runs in the posterior sample, but only {} matched",
                    r.scenario, r.sample, r.matched
                )
            })?;
            let mut runs: Option<u64> = None;
            for q in &r.parameters {
                let at = format!("reading {}: {}", r.scenario, q.path);
                let [lo, hi] = q.bins_range;
                refuse(!(lo.is_finite() && hi.is_finite() && lo < hi), || {
                    format!("{at}: bins_range [{lo}, {hi}] is not a range (finite, lo < hi)")
                })?;
                refuse(q.log_bins && lo <= 0.0, || {
                    format!("{at}: bins_range [{lo}, {hi}] cannot be binned on a log scale")
                })?;
                for (name, bins) in [
                    ("prior_bins", &q.prior_bins),
                    ("posterior_bins", &q.posterior_bins),
                ] {
                    refuse(bins.len() != self.bins, || {
                        format!("{at}: {name} has {} counts, bins is {}", bins.len(), self.bins)
                    })?;
                }
                let prior = total(&format!("{at}: prior_bins"), &q.prior_bins)?;
                let post = total(&format!("{at}: posterior_bins"), &q.posterior_bins)?;
                refuse(post > prior, || {
                    format!("{at}: {post} matching runs in posterior_bins, but {prior} runs in prior_bins")
                })?;
                if let Some(k) = (0..self.bins).find(|&k| q.posterior_bins[k] > q.prior_bins[k]) {
                    return Err(format!(
                        "{at}: bin {k} holds {} matching runs of {} runs",
                        q.posterior_bins[k], q.prior_bins[k]
                    ));
                }
                refuse(post != r.matched, || {
                    format!(
                        "{at}: posterior_bins counts {post} runs, but {} matched",
                        r.matched
                    )
                })?;
                if let Some(other) = runs.filter(|&n| n != prior) {
                    return Err(format!(
                        "{at}: prior_bins counts {prior} runs, the reading's first parameter {other}"
                    ));
                }
                runs = Some(prior);
                if let Some(s) = &q.prior_summary {
                    check_summary(&format!("{at}: prior_summary"), s)?;
                }
                if let Some(s) = &q.posterior {
                    check_summary(&format!("{at}: posterior"), s)?;
                }
                if let Some(x) = q.shrinkage {
                    refuse(!x.is_finite() || x > 1.0, || {
                        format!("{at}: shrinkage {x} is out of range")
                    })?;
                }
                if let Some(x) = q.overlap {
                    refuse(!(0.0..=1.0 + 1e-9).contains(&x), || {
                        format!("{at}: overlap {x} is not in [0, 1]")
                    })?;
                }
            }
        }
        Ok(())
    }
}

impl Checked for PosteriorReport {
    fn check(&self) -> Result<(), String> {
        PosteriorReport::check(self)
    }
}

/// One row of `posterior_sample.csv`: one value of one draw of a reading's posterior sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRow {
    /// The reading (scenario name).
    pub scenario: String,
    /// The draw's number in the sample (0, 1, …).
    pub draw: u64,
    /// The run it comes from.
    pub run: u64,
    /// The parameter's path.
    pub path: String,
    /// Its value in that run.
    pub value: f64,
}

/// Parse the text of `posterior_sample.csv`; the error says which line is wrong and why.
pub fn parse_posterior_sample(text: &str) -> Result<Vec<SampleRow>, String> {
    let mut rows = Vec::new();
    for (n, f) in super::csv_records(text, POSTERIOR_SAMPLE_HEADER, 5)? {
        for (name, v) in [("scenario", f[0]), ("path", f[3])] {
            refuse(v.trim().is_empty(), || format!("line {n}: {name} is empty"))?;
        }
        let value = match f[4].parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => return Err(format!("line {n}: value `{}` is not a finite number", f[4])),
        };
        rows.push(SampleRow {
            scenario: f[0].to_string(),
            draw: super::field(n, "draw", f[1], "a count")?,
            run: super::field(n, "run", f[2], "a run number")?,
            path: f[3].to_string(),
            value,
        });
    }
    Ok(rows)
}

/// Whether the rows of `posterior_sample.csv` belong to `report`: every row of a reading and a
/// parameter it has, a draw below the reading's `sample`, each value once, and every draw
/// complete. The error says what is wrong.
pub fn check_posterior_sample(report: &PosteriorReport, rows: &[SampleRow]) -> Result<(), String> {
    let mut seen: BTreeSet<(&str, u64, &str)> = BTreeSet::new();
    let mut per_reading: BTreeMap<&str, u64> = BTreeMap::new();
    for row in rows {
        let Some(r) = report.readings.iter().find(|r| r.scenario == row.scenario) else {
            return Err(format!(
                "reading `{}` is not in posterior.json (are the files from the same evidence?)",
                row.scenario
            ));
        };
        refuse(!r.parameters.iter().any(|q| q.path == row.path), || {
            format!(
                "reading `{}`: parameter `{}` is not among its priors in posterior.json",
                row.scenario, row.path
            )
        })?;
        refuse(row.draw >= r.sample, || {
            format!(
                "reading `{}`: draw {}, but posterior.json keeps {} draws",
                row.scenario, row.draw, r.sample
            )
        })?;
        refuse(!seen.insert((&row.scenario, row.draw, &row.path)), || {
            format!(
                "reading `{}`: draw {} has two values of `{}`",
                row.scenario, row.draw, row.path
            )
        })?;
        *per_reading.entry(&row.scenario).or_default() += 1;
    }
    for r in &report.readings {
        let have = per_reading.get(r.scenario.as_str()).copied().unwrap_or(0);
        let want = r.sample.saturating_mul(r.parameters.len() as u64);
        refuse(have != want, || {
            format!(
                "reading `{}`: {have} values, but posterior.json says {} draws of {} parameters",
                r.scenario,
                r.sample,
                r.parameters.len()
            )
        })?;
    }
    Ok(())
}

/// Draw the charts of `evidence` in every format of `opts`; none when no reading has priors
/// (there is no posterior to show).
pub fn render_posterior_charts(p: &PosteriorReport, rows: &[SampleRow], opts: &ChartOptions) -> Rendered {
    if p.readings.iter().all(|r| r.parameters.is_empty()) {
        return Vec::new();
    }
    render_each(&POSTERIOR_CHARTS, opts, |name, format| match name {
        "posterior_marginals" => posterior_marginals(p, format, opts),
        _ => posterior_corner(p, rows, format, opts),
    })
}

/// `posterior_marginals`: for each reading (a heading, then its panels), one panel per
/// parameter with the share of runs in each bin of its prior (all runs, grey) and of its
/// posterior (the runs that matched every pattern, blue) on the same bins, its values along x
/// (log scale where the bins are). A reading that matched in no run shows its priors only and
/// says so. The chart has the width of `opts` and at least its height: taller when the panels
/// need it, so that every panel keeps a plot area of at least 110 pixels.
pub fn posterior_marginals(
    p: &PosteriorReport,
    format: Format,
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let title = "Prior and posterior of each reading's parameters (posterior: runs that matched the record)";
    let opts = &marginals_options(p, opts, title);
    render!(format, opts, "posterior_marginals", title, |area| draw_marginals(
        area, p, opts
    ))
}

/// `opts` with the height `posterior_marginals` needs: the requested one, or more when its
/// panels would get less than their least height (see [`MIN_MARGINAL_PLOT`]). A taller canvas
/// may draw text larger (the scale follows width and height), so the height is raised until it
/// holds what it needs at its own scale; the scale is capped by the width, so this stops.
fn marginals_options(p: &PosteriorReport, opts: &ChartOptions, title: &str) -> ChartOptions {
    let mut tall = opts.clone();
    let cap = MAX_MARGINALS_HEIGHT.max(opts.height);
    for _ in 0..8 {
        let need = marginals_height(p, &tall, title).min(cap);
        if need <= tall.height {
            break;
        }
        tall.height = need;
    }
    tall
}

/// The height `posterior_marginals` needs with `opts`: its title, then each reading's heading and
/// rows of panels of their least height.
fn marginals_height(p: &PosteriorReport, opts: &ChartOptions, title: &str) -> u32 {
    let layout = MarginalLayout::of(p, opts);
    let content = u64::from(layout.head_h) * p.readings.len() as u64
        + u64::from(min_marginal_panel(opts)) * layout.panel_rows as u64;
    let need = u64::from(title_height(opts, title)) + content;
    u32::try_from(need).unwrap_or(u32::MAX)
}

/// Pixels the title takes at the top of a canvas of `opts` (none without a title).
fn title_height(opts: &ChartOptions, title: &str) -> u32 {
    // The embedded font first, as when drawing: without it the title cannot be measured.
    register_fonts();
    let mut text = String::new();
    let root = SVGBackend::with_string(&mut text, (opts.width, opts.height)).into_drawing_area();
    let rest = titled(&root, opts, title).map(|rest| rest.dim_in_pixel().1);
    match rest {
        Ok(h) => opts.height.saturating_sub(h),
        // Not measured: a generous estimate (the same every time).
        Err(_) => opts.px(8.0) + (opts.font_px(26.0) * 2.0).round() as u32,
    }
}

/// The least height of a `posterior_marginals` panel: a caption of two lines at most, the plot
/// area of [`MIN_MARGINAL_PLOT`] pixels (scaled) and its x tick labels, with the margins.
fn min_marginal_panel(opts: &ChartOptions) -> u32 {
    let caption = opts.px(4.0) + 2 * (opts.font_px(17.0).round() as u32 + opts.px(3.0));
    let plot = opts.px(f64::from(MIN_MARGINAL_PLOT)).max(MIN_MARGINAL_PLOT);
    caption + opts.px(2.0) + plot + x_tick_area(opts, 13.0) + opts.px(8.0)
}

/// `posterior_corner`: for each reading with priors (side by side), a corner plot of its
/// posterior sample (`posterior_sample.csv`): below the diagonal the sampled values of each
/// pair of parameters (at most [`MAX_CORNER_POINTS`] draws), on the diagonal each parameter's
/// histogram over the sample with its prior behind. At most [`MAX_CORNER_PARAMETERS`]
/// parameters: when a reading has more, those the record moved most (smallest `overlap` in
/// `posterior.json`, ties to the earlier one), in their order; the reading's heading says so.
pub fn posterior_corner(
    p: &PosteriorReport,
    rows: &[SampleRow],
    format: Format,
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let title = "Posterior sample of each reading: parameters pair by pair (runs that matched the record)";
    render!(format, opts, "posterior_corner", title, |area| draw_corner(
        area, p, rows, opts
    ))
}

/// A number with three significant digits and no trailing zeros (`0.005`, `18`, `0.00316`),
/// in exponent form far from 1 (`1.2e-7`).
fn number_text(x: f64) -> String {
    fn trim(s: &str) -> &str {
        match s.contains('.') {
            true => s.trim_end_matches('0').trim_end_matches('.'),
            false => s,
        }
    }
    if !x.is_finite() {
        return x.to_string();
    }
    if x.abs() < 1e-300 {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i32;
    if (-4..6).contains(&mag) {
        let d = (2 - mag).max(0) as usize;
        trim(&format!("{x:.d$}")).to_string()
    } else {
        let s = format!("{x:.2e}");
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim(m)),
            None => s,
        }
    }
}

/// Where a parameter's values lie along an axis: the value itself, or its log10 when the bins
/// are on a log scale.
fn to_axis(q: &ParameterPosterior, v: f64) -> f64 {
    match q.log_bins {
        true => v.log10(),
        false => v,
    }
}

/// The axis range of a parameter: its bins' span, in axis units.
fn axis_range(q: &ParameterPosterior) -> std::ops::Range<f64> {
    let [lo, hi] = q.bins_range;
    to_axis(q, lo)..to_axis(q, hi)
}

/// How a tick of a parameter's axis reads: the value (from its log10 on a log scale).
fn value_tick(q: &ParameterPosterior) -> impl Fn(&f64) -> String {
    let log = q.log_bins;
    move |v: &f64| match log {
        true => number_text(10f64.powf(*v)),
        false => number_text(*v),
    }
}

/// The bin of value `v` among the parameter's bins (values outside go to the edge bins).
fn bin_index(q: &ParameterPosterior, v: f64) -> usize {
    let n = q.prior_bins.len().max(1);
    let [lo, hi] = q.bins_range;
    let t = match q.log_bins {
        true => (v.ln() - lo.ln()) / (hi.ln() - lo.ln()),
        false => (v - lo) / (hi - lo),
    };
    ((t * n as f64).floor().max(0.0) as usize).min(n - 1)
}

/// Each count's share of their total (all 0 when there is none).
fn shares(counts: &[u64]) -> Vec<f64> {
    let sum: u64 = counts.iter().fold(0u64, |a, &b| a.saturating_add(b));
    counts
        .iter()
        .map(|&c| if sum == 0 { 0.0 } else { c as f64 / sum as f64 })
        .collect()
}

/// The top of a share axis holding `shares`, with some room above.
fn share_top<'a>(shares: impl IntoIterator<Item = &'a f64>) -> f64 {
    let max = shares.into_iter().copied().fold(0.0f64, f64::max);
    match max > 0.0 {
        true => max * 1.15,
        false => 1.0,
    }
}

/// The left edge of bin `k` of `n` over `range`, in axis units.
fn edge(range: &std::ops::Range<f64>, k: usize, n: usize) -> f64 {
    range.start + (range.end - range.start) * k as f64 / n.max(1) as f64
}

/// A prior's histogram: a light grey bar per bin of `range`.
fn prior_bars<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    range: &std::ops::Range<f64>,
    shares: &[f64],
) -> Drawn {
    let n = shares.len();
    chart
        .draw_series(
            shares
                .iter()
                .enumerate()
                .filter(|(_, s)| **s > 0.0)
                .map(|(k, &s)| {
                    Rectangle::new(
                        [(edge(range, k, n), 0.0), (edge(range, k + 1, n), s)],
                        PRIOR_FILL.filled(),
                    )
                }),
        )
        .map_err(err_dbg)?;
    Ok(())
}

/// How a posterior's histogram is outlined.
fn posterior_stroke() -> Stroke {
    Stroke {
        colour: PALETTE[0],
        width: 2.0,
        dash: None,
    }
}

/// A posterior's histogram: a translucent blue area under a blue outline, over bins of `range`.
fn posterior_steps<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    range: &std::ops::Range<f64>,
    shares: &[f64],
    opts: &ChartOptions,
) -> Drawn {
    let n = shares.len();
    let mut outline = vec![(range.start, 0.0)];
    for (k, &s) in shares.iter().enumerate() {
        outline.push((edge(range, k, n), s));
        outline.push((edge(range, k + 1, n), s));
    }
    outline.push((range.end, 0.0));
    chart
        .draw_series(std::iter::once(Polygon::new(
            outline.clone(),
            PALETTE[0].mix(0.22).filled(),
        )))
        .map_err(err_dbg)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            outline,
            posterior_stroke().style(opts),
        )))
        .map_err(err_dbg)?;
    Ok(())
}

/// The legend of both charts: what the grey and the blue are, then `notes` in grey.
fn posterior_legend<DB: DrawingBackend>(
    legend: &DrawingArea<DB, Shift>,
    opts: &ChartOptions,
    heading: &str,
    notes: &[&str],
) -> Drawn {
    let entries = [
        ("prior".to_string(), Key::Fill(PRIOR_FILL)),
        ("posterior".to_string(), Key::Line(posterior_stroke())),
    ];
    let mut y = legend_block(legend, opts, opts.px(20.0) as i32, heading, &entries)?;
    y += opts.px(8.0) as i32;
    for note in notes {
        legend_note(legend, opts, y, note)?;
        y += opts.px(22.0) as i32;
    }
    Ok(())
}

/// The longest text among `texts`, in characters.
fn longest(texts: &[&str]) -> usize {
    texts.iter().map(|t| t.chars().count()).max().unwrap_or(0)
}

/// Runs in all of a reading (what its prior histograms count), if it has a parameter.
fn runs_of(r: &ReadingPosterior) -> Option<u64> {
    r.parameters
        .first()
        .map(|q| q.prior_bins.iter().fold(0u64, |a, &b| a.saturating_add(b)))
}

/// A reading's heading: its name and how many runs matched.
fn reading_heading(r: &ReadingPosterior) -> String {
    match (runs_of(r), r.matched) {
        (None, _) => format!("{}: no priors (every number is fixed)", r.scenario),
        (Some(runs), 0) => format!("{}: no run matched (of {runs} runs): prior only", r.scenario),
        (Some(runs), m) => format!("{}: {m} of {runs} runs matched", r.scenario),
    }
}

/// Panel columns for readings of at most `most` parameters.
fn marginal_columns(most: usize) -> usize {
    match most {
        0..=4 => most.max(1),
        5 | 6 => 3,
        _ => 4,
    }
}

/// How `posterior_marginals` lays out its panels: `cols` panels a row, `panel_rows` rows in all,
/// a heading of `head_h` pixels above each reading.
struct MarginalLayout {
    cols: usize,
    panel_rows: usize,
    head_h: u32,
}

impl MarginalLayout {
    fn of(p: &PosteriorReport, opts: &ChartOptions) -> MarginalLayout {
        let most = p.readings.iter().map(|r| r.parameters.len()).max().unwrap_or(0);
        let cols = marginal_columns(most);
        MarginalLayout {
            cols,
            panel_rows: p.readings.iter().map(|r| r.parameters.len().div_ceil(cols)).sum(),
            head_h: (opts.font_px(17.0) * 1.7).round() as u32,
        }
    }
}

fn draw_marginals<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &PosteriorReport,
    opts: &ChartOptions,
) -> Drawn {
    let heading = "Share of runs per bin";
    let notes = ["prior: all runs", "posterior: matched runs"];
    let (w, _) = area.dim_in_pixel();
    let (grid, legend) = area.split_horizontally(w - legend_width(opts, longest(&notes).max(heading.len())));
    posterior_legend(&legend, opts, heading, &notes)?;

    let MarginalLayout {
        cols,
        panel_rows,
        head_h,
    } = MarginalLayout::of(p, opts);
    let rows_of = |r: &ReadingPosterior| r.parameters.len().div_ceil(cols);
    let (gw, gh) = grid.dim_in_pixel();
    let readings = p.readings.len() as u32;
    // At least the least height, unless the canvas reached its cap (see `marginals_options`).
    let panel_h = gh.saturating_sub(readings * head_h) / panel_rows.max(1) as u32;
    let panel_w = gw / cols as u32;
    let mut y = 0u32;
    for r in &p.readings {
        let head = grid.clone().shrink((0, y), (gw, head_h));
        let text = reading_heading(r);
        let room = gw.saturating_sub(2 * opts.px(14.0));
        let pt = (17.0 * f64::from(room)
            / f64::from(text_width(opts, 17.0, text.chars().count().max(1))).max(1.0))
        .min(17.0);
        head.draw(&Text::new(
            text,
            (opts.px(14.0) as i32, (head_h / 2) as i32),
            opts.font(pt).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err_dbg)?;
        y += head_h;
        for (i, q) in r.parameters.iter().enumerate() {
            let (row, col) = ((i / cols) as u32, (i % cols) as u32);
            let panel = grid
                .clone()
                .shrink((col * panel_w, y + row * panel_h), (panel_w, panel_h));
            draw_marginal_panel(&panel, r, q, opts)?;
        }
        y += rows_of(r) as u32 * panel_h;
    }
    Ok(())
}

/// Pixels of a tick label area for labels of `tick` points along x (one line of text).
fn x_tick_area(opts: &ChartOptions, tick: f64) -> u32 {
    (opts.font_px(tick) * 1.3).round() as u32 + opts.px(10.0)
}

fn draw_marginal_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    r: &ReadingPosterior,
    q: &ParameterPosterior,
    opts: &ChartOptions,
) -> Drawn {
    let mut notes = Vec::new();
    if q.log_bins {
        notes.push("log scale".to_string());
    }
    match (r.matched, q.overlap) {
        (0, _) => notes.push("prior only".into()),
        (_, Some(o)) => notes.push(format!("overlap {o:.2}")),
        _ => {}
    }
    let tail = match notes.is_empty() {
        true => String::new(),
        false => format!("({})", notes.join(", ")),
    };
    let plot = panel_caption(panel, opts, &q.path, &tail)?;
    let prior = shares(&q.prior_bins);
    let post = shares(&q.posterior_bins);
    let top = share_top(prior.iter().chain(&post));
    let range = axis_range(q);
    let y_label = |v: &f64| number_text(*v);
    let widest = [top, top / 3.0]
        .iter()
        .map(|v| y_label(v).chars().count())
        .max()
        .unwrap_or(4);
    // The tick label area never takes more than the panel has below its caption: plotters would
    // otherwise lay out a (second) label area above the plot and write every x tick twice.
    let (_, ph) = plot.dim_in_pixel();
    let lx = x_tick_area(opts, 13.0).min(ph.saturating_sub(opts.px(8.0) + opts.px(2.0) + 1));
    let mut chart = ChartBuilder::on(&plot)
        .margin(opts.px(8.0))
        .margin_top(opts.px(2.0))
        .x_label_area_size(lx)
        .y_label_area_size(text_width(opts, 13.0, widest + 1) + opts.px(10.0))
        .build_cartesian_2d(range.clone(), 0.0..top)
        .map_err(err_dbg)?;
    let x_label = value_tick(q);
    super::draw_axes(
        &mut chart,
        opts,
        super::Axis::new(6, &x_label, ""),
        super::Axis::new(4, &y_label, ""),
        super::Grid::Horizontal,
        (13.0, 14.0),
    )?;
    prior_bars(&mut chart, &range, &prior)?;
    if r.matched == 0 {
        let mid = (range.start + range.end) / 2.0;
        chart
            .draw_series(std::iter::once(Text::new(
                "no run matched".to_string(),
                (mid, top * 0.55),
                centred(opts, 15.0).color(&BLACK),
            )))
            .map_err(err_dbg)?;
    } else {
        posterior_steps(&mut chart, &range, &post, opts)?;
    }
    Ok(())
}

/// A short name for an axis: the path without its first part when it has three or more
/// (`jin.greed` for `polities.jin.greed`).
fn short_path(path: &str) -> &str {
    match path.split_once('.') {
        Some((_, rest)) if rest.contains('.') => rest,
        _ => path,
    }
}

/// `text` at the largest size up to `pt` points (11 pixels at least) that fits `room` pixels,
/// cut at its start with `…` when even that is too long; returns the text and its size.
fn fit_text(opts: &ChartOptions, text: &str, pt: f64, room: u32) -> (String, f64) {
    let chars = text.chars().count().max(1);
    let full = f64::from(text_width(opts, pt, chars)).max(1.0);
    let pt = (pt * f64::from(room) / full).min(pt);
    if text_width(opts, pt, chars) <= room {
        return (text.to_string(), pt);
    }
    // At the floor: keep what fits of the end.
    let per = opts.font_px(pt) * 0.55;
    let keep = ((f64::from(room) / per).floor() as usize)
        .saturating_sub(1)
        .max(1);
    let tail: String = text.chars().skip(chars.saturating_sub(keep)).collect();
    (format!("…{tail}"), pt)
}

/// The draws of a reading in the sample, by number: each one's value per parameter (NaN where
/// the file has none).
fn draws_of(r: &ReadingPosterior, rows: &[SampleRow]) -> BTreeMap<u64, Vec<f64>> {
    let mut draws: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for row in rows.iter().filter(|x| x.scenario == r.scenario) {
        if let Some(i) = r.parameters.iter().position(|q| q.path == row.path) {
            draws
                .entry(row.draw)
                .or_insert_with(|| vec![f64::NAN; r.parameters.len()])[i] = row.value;
        }
    }
    draws
}

fn draw_corner<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &PosteriorReport,
    rows: &[SampleRow],
    opts: &ChartOptions,
) -> Drawn {
    let heading = "Posterior sample";
    let notes = [
        "diagonal: share of draws",
        "per bin, prior behind;",
        "below: one dot per draw",
    ];
    let (w, _) = area.dim_in_pixel();
    let (grid, legend) = area.split_horizontally(w - legend_width(opts, longest(&notes)));
    posterior_legend(&legend, opts, heading, &notes)?;
    // Readings with draws get a corner plot each; those without are named below them.
    let mut shown = Vec::new();
    let mut empty = Vec::new();
    for r in p.readings.iter().filter(|r| !r.parameters.is_empty()) {
        let draws = draws_of(r, rows);
        match draws.is_empty() {
            true => empty.push(r.scenario.as_str()),
            false => shown.push((r, draws)),
        }
    }
    let (gw, gh) = grid.dim_in_pixel();
    let grid = match empty.is_empty() {
        true => grid,
        false => {
            let strip_h = (opts.font_px(16.0) * 2.0).round() as u32;
            let (top, strip) = grid.split_vertically(gh.saturating_sub(strip_h));
            let text = format!("No run matched, so no posterior sample: {}", empty.join(", "));
            let room = gw.saturating_sub(2 * opts.px(14.0));
            let (text, pt) = fit_text(opts, &text, 16.0, room);
            strip
                .draw(&Text::new(
                    text,
                    (opts.px(14.0) as i32, (strip_h / 2) as i32),
                    opts.font(pt).pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(err_dbg)?;
            top
        }
    };
    let (gw, gh) = grid.dim_in_pixel();
    if shown.is_empty() {
        let text = "No run matched in any reading: no posterior sample".to_string();
        return grid
            .draw(&Text::new(
                text,
                ((gw / 2) as i32, (gh / 2) as i32),
                centred(opts, 18.0),
            ))
            .map_err(err_dbg);
    }
    let n = shown.len() as u32;
    let gap = opts.px(16.0);
    let block_w = gw.saturating_sub(gap * (n - 1)) / n;
    let cap = (MAX_CORNER_POINTS * 6 / 5 / n as usize).min(MAX_CORNER_POINTS);
    for (i, (r, draws)) in shown.iter().enumerate() {
        let block = grid
            .clone()
            .shrink((i as u32 * (block_w + gap), 0), (block_w, gh));
        draw_reading_corner(&block, r, draws, cap, opts)?;
    }
    Ok(())
}

/// One reading's corner plot in `block` from its `draws` (not none), its heading on top; at
/// most `cap` draws as dots.
fn draw_reading_corner<DB: DrawingBackend>(
    block: &DrawingArea<DB, Shift>,
    r: &ReadingPosterior,
    draws: &BTreeMap<u64, Vec<f64>>,
    cap: usize,
    opts: &ChartOptions,
) -> Drawn {
    let all = r.parameters.len();
    let picked = corner_parameters(r);
    let k = picked.len();
    let params: Vec<&ParameterPosterior> = picked.iter().map(|&i| &r.parameters[i]).collect();
    let shown = draws.len().min(cap);
    let mut tail = Vec::new();
    if all > k {
        tail.push(format!(
            "the {k} of {all} parameters the record moved most (least overlap)"
        ));
    }
    if k > 1 && draws.len() > shown {
        tail.push(format!("{shown} of them as dots"));
    }
    let head = format!("{}: {} posterior draws", r.scenario, draws.len());
    let body = corner_caption(block, opts, &head, &tail)?;
    let (tick, desc) = (12.0, 13.0);
    let (bw, bh) = body.dim_in_pixel();
    let ly = text_width(opts, tick, 6) + (opts.font_px(desc) * 1.4).round() as u32 + opts.px(10.0);
    let lx = x_tick_area(opts, tick) + (opts.font_px(desc) * 1.4).round() as u32;
    let right = opts.px(10.0);
    let cell_w = bw.saturating_sub(ly + right) / k as u32;
    let cell_h = bh.saturating_sub(lx) / k as u32;
    let margin = opts.px(5.0);
    // Each parameter's values over all draws, in order.
    let columns: Vec<Vec<f64>> = picked
        .iter()
        .map(|&i| draws.values().map(|v| v[i]).filter(|x| x.is_finite()).collect())
        .collect();
    for i in 0..k {
        for j in 0..=i {
            let (left, width) = match j {
                0 => (0, ly + cell_w),
                _ => (ly + j as u32 * cell_w, cell_w),
            };
            let height = if i + 1 == k { cell_h + lx } else { cell_h };
            let cell = body.clone().shrink((left, i as u32 * cell_h), (width, height));
            let bottom = i + 1 == k;
            let (qx, qy) = (params[j], params[i]);
            let x_range = axis_range(qx);
            if i == j {
                let mut counts = vec![0u64; qx.prior_bins.len()];
                for &v in &columns[j] {
                    if let Some(c) = counts.get_mut(bin_index(qx, v)) {
                        *c += 1;
                    }
                }
                let (prior, post) = (shares(&qx.prior_bins), shares(&counts));
                let top = share_top(prior.iter().chain(&post));
                let mut chart = corner_chart(
                    &cell,
                    margin,
                    (bottom, j == 0),
                    (lx, ly),
                    x_range.clone(),
                    0.0..top,
                )?;
                let ax = CornerAxis {
                    q: qx,
                    show: bottom,
                    trim: j > 0,
                };
                corner_axes(&mut chart, opts, ax, None, (tick, desc))?;
                prior_bars(&mut chart, &x_range, &prior)?;
                posterior_steps(&mut chart, &x_range, &post, opts)?;
                continue;
            }
            let y_range = axis_range(qy);
            let mut chart = corner_chart(
                &cell,
                margin,
                (bottom, j == 0),
                (lx, ly),
                x_range.clone(),
                y_range.clone(),
            )?;
            let ax = CornerAxis {
                q: qx,
                show: bottom,
                trim: j > 0,
            };
            let ay = CornerAxis {
                q: qy,
                show: j == 0,
                trim: i > 1,
            };
            corner_axes(&mut chart, opts, ax, Some(ay), (tick, desc))?;
            let inside = |v: f64, r: &std::ops::Range<f64>| v >= r.start && v <= r.end;
            let points: Vec<(f64, f64)> = draws
                .values()
                .take(cap)
                .map(|v| (to_axis(qx, v[picked[j]]), to_axis(qy, v[picked[i]])))
                .filter(|&(x, y)| inside(x, &x_range) && inside(y, &y_range))
                .collect();
            let dot = opts.px(1.6);
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&pt| Circle::new(pt, dot, PALETTE[0].mix(0.4).filled())),
                )
                .map_err(err_dbg)?;
        }
    }
    Ok(())
}

/// A corner plot's caption on top of `block`: `head` on one line (as [`panel_caption`]), then
/// `notes` (if any) joined by `; ` in parentheses at 13 points, wrapped at spaces onto as many
/// lines as the width needs (blocks side by side are narrow); returns the area below.
fn corner_caption<DB: DrawingBackend>(
    block: &DrawingArea<DB, Shift>,
    opts: &ChartOptions,
    head: &str,
    notes: &[String],
) -> Result<DrawingArea<DB, Shift>, String> {
    let below = panel_caption(block, opts, head, "")?;
    if notes.is_empty() {
        return Ok(below);
    }
    let (w, _) = below.dim_in_pixel();
    let room = w.saturating_sub(2 * opts.px(10.0));
    let pt = 13.0;
    let text = format!("({})", notes.join("; "));
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if text_width(opts, pt, line.chars().count() + 1 + word.chars().count()) <= room => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    let mut y = 0i32;
    for line in lines {
        let (line, size) = fit_text(opts, &line, pt, room);
        below
            .draw(&Text::new(
                line,
                (w as i32 / 2, y),
                opts.font(size).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err_dbg)?;
        y += opts.font_px(size).round() as i32 + opts.px(3.0) as i32;
    }
    Ok(below.margin(y as u32 + opts.px(2.0), 0, 0, 0))
}

/// The parameters of `r` that its corner plot shows, by index in order: all of them up to
/// [`MAX_CORNER_PARAMETERS`], else the ones the record moved most: the smallest `overlap`
/// (none counts as unmoved; ties: the earlier parameter).
fn corner_parameters(r: &ReadingPosterior) -> Vec<usize> {
    let moved = |i: usize| r.parameters[i].overlap.unwrap_or(f64::INFINITY);
    let mut order: Vec<usize> = (0..r.parameters.len()).collect();
    order.sort_by(|&a, &b| moved(a).total_cmp(&moved(b)).then(a.cmp(&b)));
    order.truncate(MAX_CORNER_PARAMETERS);
    order.sort_unstable();
    order
}

/// A panel of a corner plot on `cell`: the same margins everywhere, tick label areas only on
/// the outer edge (`(bottom, left)`: `lx` pixels below, `ly` to the left), so that the
/// plotting areas of a column (and of a row) line up.
fn corner_chart<'a, DB: DrawingBackend>(
    cell: &'a DrawingArea<DB, Shift>,
    margin: u32,
    (bottom, left): (bool, bool),
    (lx, ly): (u32, u32),
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Chart<'a, DB>, String> {
    ChartBuilder::on(cell)
        .margin(margin)
        .x_label_area_size(if bottom { lx } else { 0 })
        .y_label_area_size(if left { ly } else { 0 })
        .build_cartesian_2d(x, y)
        .map_err(err_dbg)
}

/// One axis of a corner panel: its parameter, whether its tick labels and name show (outer
/// edge only), and whether the label at its near end is left out (where it would run into the
/// neighbouring panel's).
#[derive(Clone, Copy)]
struct CornerAxis<'a> {
    q: &'a ParameterPosterior,
    show: bool,
    trim: bool,
}

/// Whether `v` lies within 6% of the span of `range` from its start (`at_end`: its end).
fn near(range: &std::ops::Range<f64>, v: f64, at_end: bool) -> bool {
    let room = (range.end - range.start).abs() * 0.06;
    match at_end {
        true => range.end - v <= room,
        false => v - range.start <= room,
    }
}

/// The grid, frame and (on the outer edge) tick labels and names of a corner panel: `x` along
/// x, `y` along y, or `None` on the diagonal (shares: no labels, no y axis).
fn corner_axes<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    opts: &ChartOptions,
    x: CornerAxis<'_>,
    y: Option<CornerAxis<'_>>,
    (tick, desc): (f64, f64),
) -> Drawn {
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let spec = chart.as_coord_spec();
    let (xr, yr) = (spec.x_spec().range(), spec.y_spec().range());
    let x_value = value_tick(x.q);
    let nx = fitting_ticks(spec.x_spec(), 5, w, |v| {
        f64::from(text_width(opts, tick, x_value(&v).chars().count())) + opts.font_px(tick)
    });
    let ny = fitting_ticks(spec.y_spec(), 5, h, |_| opts.font_px(tick) * 1.6);
    let x_label = |v: &f64| match x.show && !(x.trim && near(&xr, *v, false)) {
        true => x_value(v),
        false => String::new(),
    };
    let y_value: Box<dyn Fn(&f64) -> String> = match y {
        Some(a) => Box::new(value_tick(a.q)),
        None => Box::new(|_: &f64| String::new()),
    };
    let y_label = |v: &f64| match y {
        Some(a) if a.show && !(a.trim && near(&yr, *v, true)) => y_value(v),
        _ => String::new(),
    };
    let room = w + 2 * opts.px(3.0);
    let (x_desc, x_pt) = fit_text(opts, short_path(&x.q.path), desc, room);
    let mut mesh = chart.configure_mesh();
    if y.is_none() {
        mesh.disable_y_mesh().disable_y_axis();
    }
    mesh.light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(nx)
        .y_labels(ny)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(opts.font(tick));
    if x.show {
        mesh.x_desc(x_desc).axis_desc_style(opts.font(x_pt));
    }
    if let Some(a) = y.filter(|a| a.show) {
        let (y_desc, y_pt) = fit_text(opts, short_path(&a.q.path), desc, h + 2 * opts.px(3.0));
        mesh.y_desc(y_desc).axis_desc_style(opts.font(x_pt.min(y_pt)));
    }
    mesh.draw().map_err(err_dbg)?;
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(xr.start, yr.start), (xr.end, yr.end)],
            GREY.mix(0.6).stroke_width(1),
        )))
        .map_err(err_dbg)?;
    Ok(())
}
