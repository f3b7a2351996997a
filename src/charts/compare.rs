//! Charts of `compare`: `compare_forest` (probability by the date per scenario, and paired
//! differences from the first) and `compare_curves` (cumulative first-onset curves).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::hypothesis::{category, text_width};
use super::{
    encode_png, register_fonts, ChartError, ChartOptions, Drawn, Format, Rendered, GREY, GRID, PALETTE,
};
use super::{
    err, err_dbg, legend_width, probability_by_date, render_each, side_legend, signed_tick, titled, year_of,
};
use crate::calendar::Month;
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
            month: f[1]
                .parse()
                .map_err(|_| format!("line {n}: month `{}` is not YYYY-MM", f[1]))?,
            onsets: f[2]
                .parse()
                .map_err(|_| format!("line {n}: onsets `{}` is not a count", f[2]))?,
            cumulative_probability: match f[3].parse::<f64>() {
                Ok(v) if (0.0..=1.0).contains(&v) => v,
                _ => {
                    return Err(format!(
                        "line {n}: cumulative_probability `{}` is not a probability in [0, 1]",
                        f[3]
                    ))
                }
            },
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
    let chart = format!("compare_forest.{format}");
    render!(format, opts, chart, |root| draw_forest(root, c, opts))
}

/// `compare_curves`: the cumulative probability of the pair's first onset by month, one curve
/// per scenario.
pub fn compare_curves(
    c: &Comparison,
    rows: &[CompareCurveRow],
    format: Format,
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let chart = format!("compare_curves.{format}");
    render!(format, opts, chart, |root| draw_curves(root, c, rows, opts))
}

fn pair(c: &Comparison) -> String {
    let [a, b] = &c.dyad.0;
    format!("{a}–{b}")
}

/// A horizontal interval with a dot, at category `y`.
fn interval<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    y: f64,
    (lo, mid, hi): (f64, f64, f64),
    colour: RGBColor,
    opts: &ChartOptions,
) -> Drawn {
    let line = colour.stroke_width(opts.px(2.5));
    chart
        .draw_series(LineSeries::new([(lo, y), (hi, y)], line))
        .map_err(err_dbg)?;
    for x in [lo, hi] {
        chart
            .draw_series(LineSeries::new([(x, y - 0.12), (x, y + 0.12)], line))
            .map_err(err_dbg)?;
    }
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
    root: &DrawingArea<DB, Shift>,
    c: &Comparison,
    opts: &ChartOptions,
) -> Drawn {
    let area = titled(
        root,
        opts,
        &format!("P(first war onset {} by {}) across scenarios", pair(c), c.by),
    )?;
    // First scenario on top.
    let n = c.scenarios.len().max(1);
    let names: Vec<String> = c.scenarios.iter().rev().map(|s| s.scenario.clone()).collect();
    let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let (w, _) = area.dim_in_pixel();
    let y_area = text_width(opts, 16.0, longest) + opts.label_area(16.0, 19.0, 1.0);
    let (left, right) = area.split_horizontally((w + y_area) / 2);
    let mut chart = ChartBuilder::on(&left)
        .margin(opts.px(16.0))
        .caption("Probability, Wilson 95% interval", opts.font(17.0))
        .x_label_area_size(opts.label_area(16.0, 19.0, 1.4))
        .y_label_area_size(y_area)
        .build_cartesian_2d(0.0..1.0, -0.5..n as f64 - 0.5)
        .map_err(err_dbg)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(6)
        .y_labels(n)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| category(&names, *v))
        .x_desc(format!("P(first war onset by {})", c.by))
        .y_desc("Scenario")
        .label_style(opts.font(16.0))
        .axis_desc_style(opts.font(19.0))
        .draw()
        .map_err(err_dbg)?;
    for (i, s) in c.scenarios.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        interval(
            &mut chart,
            y,
            (s.ci95[0], s.probability, s.ci95[1]),
            PALETTE[0],
            opts,
        )?;
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
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(6)
        .y_labels(n)
        .x_label_formatter(&signed_tick)
        .y_label_formatter(&|_| String::new())
        .x_desc(format!("Difference in probability from {first}"))
        .label_style(opts.font(16.0))
        .axis_desc_style(opts.font(19.0))
        .draw()
        .map_err(err_dbg)?;
    chart
        .draw_series(LineSeries::new(
            [(0.0, -0.5), (0.0, n as f64 - 0.5)],
            GREY.stroke_width(opts.px(1.5)),
        ))
        .map_err(err_dbg)?;
    for d in &c.differences {
        let Some(i) = c.scenarios.iter().position(|s| s.scenario == d.scenario) else {
            continue;
        };
        let y = (n - 1 - i) as f64;
        interval(
            &mut chart,
            y,
            (d.ci95[0], d.difference, d.ci95[1]),
            PALETTE[1],
            opts,
        )?;
    }
    Ok(())
}

fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Comparison,
    rows: &[CompareCurveRow],
    opts: &ChartOptions,
) -> Drawn {
    let area = titled(
        root,
        opts,
        &format!(
            "Probability of the first war onset {} by date, per scenario",
            pair(c)
        ),
    )?;
    let entries: Vec<(String, RGBColor)> = c
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                format!("{} ({:.3})", s.scenario, s.probability),
                PALETTE[i % PALETTE.len()],
            )
        })
        .collect();
    let longest = entries.iter().map(|e| e.0.chars().count()).max().unwrap_or(0);
    let (w, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(w - legend_width(opts, longest.max(20)));
    side_legend(&legend, opts, &format!("Scenario (P by {})", c.by), &entries)?;
    let start = rows.iter().map(|r| r.month).min().unwrap_or(c.by);
    let x0 = year_of(start);
    let x1 = year_of(c.by) + 1.0 / 12.0;
    let top = rows
        .iter()
        .map(|r| r.cumulative_probability)
        .fold(0.0f64, f64::max);
    let top = if top <= 0.0 { 1.0 } else { (top * 1.1).min(1.0) };
    let mut chart = probability_by_date(&plot, opts, x0..x1, top, 2)?;
    for (i, s) in c.scenarios.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let points: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.scenario == s.scenario)
            .map(|r| (year_of(r.month) + 1.0 / 12.0, r.cumulative_probability))
            .collect();
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(opts.px(2.5))))
            .map_err(err_dbg)?;
    }
    Ok(())
}
