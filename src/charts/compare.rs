//! Charts of `compare`: `compare_forest` (probability by the date per scenario, and paired
//! differences from the first) and `compare_curves` (cumulative first-onset curves).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    by_category, category, draw_axes, draw_band, draw_series_stroke, legend_block, wilson_band_note,
};
use super::{
    encode_png, register_fonts, text_width, whisker, zero_line, Axis, Chart, Dash, Grid, Key, Stroke,
};
use super::{err, err_dbg, legend_width, probability_by_date, probability_text, render_each, signed_tick};
use super::{
    month_field, onsets_field, probability_field, titled, year_of, ChartError, ChartOptions, Drawn, Format,
    Rendered, GREY, PALETTE,
};
use crate::calendar::Month;
use crate::stats::{wilson, Z95};
use crate::study::compare::{Comparison, CURVES_HEADER};

/// The charts of `compare`, by name without extension.
pub const COMPARE_CHARTS: [&str; 2] = ["compare_forest", "compare_curves"];

/// One row of `compare_curves.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareCurveRow {
    /// Scenario name.
    pub scenario: String,
    /// Month.
    pub month: Month,
    /// First onsets in the pair that month.
    pub onsets: u64,
    /// Share of runs with a first onset by the end of the month.
    pub cumulative_probability: f64,
}

/// Parse the text of `compare_curves.csv`; the error says which line is wrong and why.
pub fn parse_compare_curves(text: &str) -> Result<Vec<CompareCurveRow>, String> {
    let mut rows = Vec::new();
    for (n, f) in super::csv_records(text, CURVES_HEADER, 4)? {
        rows.push(CompareCurveRow {
            scenario: f[0].to_string(),
            month: month_field(n, f[1])?,
            onsets: onsets_field(n, f[2])?,
            cumulative_probability: probability_field(n, "cumulative_probability", f[3])?,
        });
    }
    Ok(rows)
}

/// Draw every chart of `compare` in every format of `opts`.
pub fn render_compare_charts(c: &Comparison, rows: &[CompareCurveRow], opts: &ChartOptions) -> Rendered {
    render_each(&COMPARE_CHARTS, opts, |name, format| match name {
        "compare_forest" => compare_forest(c, format, opts),
        _ => compare_curves(c, rows, format, opts),
    })
}

/// `compare_forest`: left, each scenario's probability of a first onset in the pair by the date
/// with its Wilson 95% interval; right, each scenario's paired difference from the first with
/// its 95% interval and a zero line.
pub fn compare_forest(c: &Comparison, format: Format, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    let title = format!("P(first war onset {} by {}) across scenarios", pair(c), c.by);
    render!(format, opts, "compare_forest", &title, |area| draw_forest(
        area, c, opts
    ))
}

/// `compare_curves`: the cumulative probability of the pair's first onset by month, one curve
/// per scenario with its Wilson 95% band (the runs are read off the curves), from a little
/// before the first onset in any scenario to the date. The first scenario's curve is solid, the
/// others dashed in interleaved slots, so that curves that coincide all stay visible.
pub fn compare_curves(
    c: &Comparison,
    rows: &[CompareCurveRow],
    format: Format,
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let title = format!(
        "Probability of the first war onset {} by date, per scenario",
        pair(c)
    );
    render!(format, opts, "compare_curves", &title, |area| draw_curves(
        area, c, rows, opts
    ))
}

fn pair(c: &Comparison) -> String {
    let [a, b] = &c.dyad.0;
    format!("{a}–{b}")
}

/// A horizontal interval with end caps and a dot at `mid`, at category `y`.
fn interval<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    y: f64,
    ci: [f64; 2],
    mid: f64,
    colour: RGBColor,
    opts: &ChartOptions,
) -> Drawn {
    whisker(chart, y, ci, 0.12, colour.stroke_width(opts.px(2.5)))?;
    chart
        .draw_series(std::iter::once(Circle::new(
            (mid, y),
            opts.px(6.0),
            colour.filled(),
        )))
        .map_err(err_dbg)?;
    Ok(())
}

fn draw_forest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Comparison,
    opts: &ChartOptions,
) -> Drawn {
    // First scenario on top.
    let n = c.scenarios.len().max(1);
    let names: Vec<String> = c.scenarios.iter().rev().map(|s| s.scenario.clone()).collect();
    let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let (w, _) = area.dim_in_pixel();
    let y_area = text_width(opts, 16.0, longest) + opts.label_area(16.0, 19.0, 1.0);
    let (left, right) = area.split_horizontally((w + y_area) / 2);
    let caption = "Probability, Wilson 95% interval";
    let mut chart = by_category(&left, opts, 0.0..1.0, &names, Some(caption), 16.0)?;
    let x_desc = format!("P(first war onset by {})", c.by);
    draw_axes(
        &mut chart,
        opts,
        Axis::new(6, &|v| format!("{v:.1}"), &x_desc),
        Axis::new(n, &|v| category(&names, *v), "Scenario"),
        Grid::Vertical,
        (16.0, 19.0),
    )?;
    for (i, s) in c.scenarios.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        interval(&mut chart, y, s.ci95, s.probability, PALETTE[0], opts)?;
    }

    let lo = c.differences.iter().map(|d| d.ci95[0]).fold(0.0f64, f64::min);
    let hi = c.differences.iter().map(|d| d.ci95[1]).fold(0.0f64, f64::max);
    let pad = ((hi - lo) * 0.08).max(0.01);
    let first = c.scenarios.first().map_or("", |s| s.scenario.as_str());
    let mut chart = ChartBuilder::on(&right)
        .margin(opts.px(16.0))
        .margin_left(opts.px(8.0))
        .caption(
            format!("Paired difference from {first}, 95% interval"),
            opts.font(17.0),
        )
        .x_label_area_size(opts.label_area(16.0, 19.0, 1.4))
        .y_label_area_size(opts.px(8.0))
        .build_cartesian_2d(lo - pad..hi + pad, -0.5..n as f64 - 0.5)
        .map_err(err_dbg)?;
    let x_desc = format!("Difference in probability from {first}");
    draw_axes(
        &mut chart,
        opts,
        Axis::new(6, &signed_tick, &x_desc),
        Axis::new(n, &|_| String::new(), ""),
        Grid::Vertical,
        (16.0, 19.0),
    )?;
    zero_line(&mut chart, n, GREY.stroke_width(opts.px(1.5)))?;
    for d in &c.differences {
        if let Some(i) = c.scenarios.iter().position(|s| s.scenario == d.scenario) {
            let y = (n - 1 - i) as f64;
            interval(&mut chart, y, d.ci95, d.difference, PALETTE[1], opts)?;
        }
    }
    Ok(())
}

/// Runs per scenario of a comparison, from its curves: every row's cumulative probability is
/// its cumulative count of first onsets over the runs, so the row with the most onsets gives
/// the runs (rounded). `None` when no scenario had an onset or the rows disagree.
fn runs_from_curves(rows: &[CompareCurveRow]) -> Option<u64> {
    // Each row with its scenario's cumulative count of first onsets by its month.
    let mut counts = Vec::with_capacity(rows.len());
    let mut cum = 0u64;
    for (i, r) in rows.iter().enumerate() {
        if i > 0 && rows[i - 1].scenario != r.scenario {
            cum = 0;
        }
        cum += r.onsets;
        counts.push((cum, r.cumulative_probability));
    }
    let (cum, p) = counts.iter().filter(|(_, p)| *p > 0.0).fold(
        None,
        |best: Option<(u64, f64)>, &(c, p)| match best {
            Some((b, _)) if b >= c => best,
            _ => Some((c, p)),
        },
    )?;
    let runs = (cum as f64 / p).round();
    if !(runs >= cum as f64 && runs < 1e15) {
        return None;
    }
    // Every row must agree: its cumulative count over these runs is its probability.
    let agree = counts
        .iter()
        .all(|&(c, p)| (c as f64 / runs - p).abs() <= 1e-9 && c as f64 <= runs);
    agree.then_some(runs as u64)
}

/// How scenario `i` of `k` is drawn in `compare_curves`: the first solid, the others dashed,
/// each in its own slot of a common period with one slot left free, so that where curves
/// coincide every one of them still shows.
fn curve_stroke(i: usize, k: usize) -> Stroke {
    const DASH: f64 = 9.0;
    let colour = PALETTE[i % PALETTE.len()];
    let dash = (i > 0).then(|| Dash {
        on: DASH,
        off: DASH * (k.max(2) - 1) as f64,
        phase: -DASH * (i - 1) as f64,
    });
    Stroke {
        colour,
        width: 2.5,
        dash,
    }
}

fn draw_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Comparison,
    rows: &[CompareCurveRow],
    opts: &ChartOptions,
) -> Drawn {
    let k = c.scenarios.len();
    let entries: Vec<(String, Key)> = c
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let label = format!("{} ({})", s.scenario, probability_text(s.probability, 3));
            (label, Key::Line(curve_stroke(i, k)))
        })
        .collect();
    let longest = entries.iter().map(|e| e.0.chars().count()).max().unwrap_or(0);
    let (w, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(w - legend_width(opts, longest.max(20) + 2));
    let heading = format!("Scenario (P by {})", c.by);
    legend_block(&legend, opts, opts.px(20.0) as i32, &heading, &entries)?;
    let runs = runs_from_curves(rows);
    // Each scenario's points (x, p, low, high): at the end of each month, with its Wilson band
    // when the runs are known.
    let curves: Vec<Vec<(f64, f64, f64, f64)>> = c
        .scenarios
        .iter()
        .map(|s| {
            let mut cum = 0;
            rows.iter()
                .filter(|r| r.scenario == s.scenario)
                .map(|r| {
                    cum += r.onsets;
                    let p = r.cumulative_probability;
                    let (lo, hi) = runs.map_or((p, p), |n| wilson(cum.min(n), n, Z95));
                    (year_of(r.month) + 1.0 / 12.0, p, lo, hi)
                })
                .collect()
        })
        .collect();
    // From a little before the first onset in any scenario to the date.
    let start = year_of(rows.iter().map(|r| r.month).min().unwrap_or(c.by));
    let x1 = year_of(c.by) + 1.0 / 12.0;
    let x0 = match rows.iter().filter(|r| r.onsets > 0).map(|r| r.month).min() {
        Some(m) => {
            let first = year_of(m);
            (first - ((x1 - first) * 0.04).max(1.0 / 12.0)).max(start)
        }
        None => start,
    };
    let top = curves
        .iter()
        .flatten()
        .map(|&(_, p, _, hi)| p.max(hi))
        .fold(0.0f64, f64::max);
    let top = if top <= 0.0 { 1.0 } else { (top * 1.1).min(1.0) };
    let mut chart = probability_by_date(&plot, opts, x0..x1, top, 2)?;
    // Only the part from x0: before the first onset every curve is 0.
    let shown: Vec<Vec<(f64, f64, f64, f64)>> = curves
        .iter()
        .map(|pts| {
            let from = pts.iter().position(|p| p.0 >= x0).unwrap_or(pts.len());
            let mut v = pts[from..].to_vec();
            if let Some(&(x, _, _, _)) = v.first() {
                if x > x0 {
                    let before = from.checked_sub(1).map(|i| pts[i]);
                    let (_, p, lo, hi) = before.unwrap_or((x0, 0.0, 0.0, 0.0));
                    v.insert(0, (x0, p, lo, hi));
                }
            }
            v
        })
        .collect();
    if runs.is_some() {
        for (i, pts) in shown.iter().enumerate() {
            let band: Vec<(f64, f64, f64)> = pts.iter().map(|&(x, _, lo, hi)| (x, lo, hi)).collect();
            draw_band(&mut chart, &band, PALETTE[i % PALETTE.len()])?;
        }
        wilson_band_note(&legend, opts)?;
    }
    for (i, pts) in shown.iter().enumerate() {
        let line: Vec<(f64, f64)> = pts.iter().map(|&(x, p, _, _)| (x, p)).collect();
        draw_series_stroke(&mut chart, &line, curve_stroke(i, k), opts)?;
    }
    Ok(())
}
