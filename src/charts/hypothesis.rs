//! Charts of the hypothesis commands: `attribution` (from `attribute`) and `scores` (from
//! `score`).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{by_category, category, draw_axes, interval_text, legend_block, legend_note, probability_text};
use super::{centred, GREY};
use super::{encode_png, register_fonts, signed_tick, text_width, whisker, zero_line, Axis, Grid, PALETTE};
use super::{
    err, err_dbg, legend_width, render_each, titled, ChartError, ChartOptions, Drawn, Format, Rendered,
};
use crate::study::attribute::Attribution;
use crate::study::score::ScoreReport;

/// The charts of `attribute`, by name without extension.
pub const ATTRIBUTION_CHARTS: [&str; 1] = ["attribution"];

/// The charts of `score`, by name without extension.
pub const SCORE_CHARTS: [&str; 1] = ["scores"];

/// Draw every chart of `attribute` in every format of `opts`.
pub fn render_attribution_charts(a: &Attribution, opts: &ChartOptions) -> Rendered {
    render_each(&ATTRIBUTION_CHARTS, opts, |_, format| {
        attribution(a, format, opts)
    })
}

/// Draw every chart of `score` in every format of `opts`.
pub fn render_score_charts(s: &ScoreReport, opts: &ChartOptions) -> Rendered {
    render_each(&SCORE_CHARTS, opts, |_, format| scores(s, format, opts))
}

/// `attribution`: each mechanism's Shapley value for P(first war onset by the date) with its
/// bootstrap 95% interval, sorted (largest on top), with a zero line; the probabilities with
/// every mechanism on and off are given under the title.
pub fn attribution(a: &Attribution, format: Format, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    let [da, db] = &a.dyad.0;
    let title = format!("Shapley attribution of P(first war onset {da}–{db} by {})", a.by);
    render!(format, opts, "attribution", &title, |area| draw_attribution(
        area, a, opts
    ))
}

/// `scores`: the share of runs matching each pattern, and all of them jointly, for each
/// scenario, as a heat map with the rates written in the cells.
pub fn scores(s: &ScoreReport, format: Format, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    let runs = s.scenarios.first().map_or(0, |x| x.runs);
    let title = format!("Match with the historical patterns ({runs} runs per scenario)");
    render!(format, opts, "scores", &title, |area| draw_scores(area, s, opts))
}

/// A readable name for a mechanism switch: `fear_spiral` reads "fear spiral", `events`
/// "scripted events"; an unknown name with its underscores as spaces.
fn mechanism_label(id: &str) -> String {
    match id {
        "events" => "scripted events".into(),
        "status_rigidity" => "status rigidity".into(),
        other => other.replace('_', " "),
    }
}

fn draw_attribution<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: &Attribution,
    opts: &ChartOptions,
) -> Drawn {
    // Largest value on top: plotters counts y upwards, so sort ascending.
    let mut rows: Vec<_> = a.mechanisms.iter().collect();
    rows.sort_by(|x, y| {
        x.shapley
            .total_cmp(&y.shapley)
            .then_with(|| y.mechanism.cmp(&x.mechanism))
    });
    let names: Vec<String> = rows.iter().map(|m| mechanism_label(&m.mechanism)).collect();
    let n = rows.len().max(1);
    let lo = rows
        .iter()
        .map(|m| m.ci95[0].min(m.shapley))
        .fold(0.0f64, f64::min);
    let hi = rows
        .iter()
        .map(|m| m.ci95[1].max(m.shapley))
        .fold(0.0f64, f64::max);
    let pad = ((hi - lo) * 0.08).max(0.01);
    let p = |x: &crate::study::attribute::Probability| {
        format!(
            "{} {}",
            probability_text(x.probability, 3),
            interval_text(x.ci95, 3)
        )
    };
    // Only what attribution.json keeps, so that `plot` redraws the same chart.
    let subtitle = format!(
        "All mechanisms on: P = {}; all off: P = {} (Wilson 95% intervals)",
        p(&a.all_on),
        p(&a.all_off)
    );
    let mut chart = by_category(area, opts, lo - pad..hi + pad, &names, Some(&subtitle), 40.0)?;
    let x_desc = format!(
        "Shapley value (change in probability of first war onset by {}, with bootstrap 95% interval)",
        a.by
    );
    draw_axes(
        &mut chart,
        opts,
        Axis::new(9, &signed_tick, &x_desc),
        Axis::new(n, &|v| category(&names, *v), "Mechanism"),
        Grid::Vertical,
        (16.0, 19.0),
    )?;
    let half = 0.32;
    chart
        .draw_series(rows.iter().enumerate().map(|(i, m)| {
            let y = i as f64;
            let colour = if m.shapley >= 0.0 { PALETTE[0] } else { PALETTE[1] };
            Rectangle::new(
                [(0.0, y - half), (m.shapley, y + half)],
                colour.mix(0.85).filled(),
            )
        }))
        .map_err(err_dbg)?;
    zero_line(&mut chart, n, BLACK.stroke_width(opts.px(1.5)))?;
    for (i, m) in rows.iter().enumerate() {
        whisker(
            &mut chart,
            i as f64,
            m.ci95,
            0.12,
            BLACK.stroke_width(opts.px(2.0)),
        )?;
    }
    Ok(())
}

/// A colour scale for [`heat`] in a legend area: its title, then six swatches 0.0 … 1.0.
/// Returns the first free line below it.
pub(super) fn heat_scale<DB: DrawingBackend>(
    legend: &DrawingArea<DB, Shift>,
    title: &str,
    opts: &ChartOptions,
) -> Result<i32, String> {
    let x0 = opts.px(14.0) as i32;
    let mut y = legend_block(legend, opts, opts.px(20.0) as i32, title, &[])?;
    let sw = opts.px(22.0) as i32;
    for k in 0..=5 {
        let v = f64::from(k) / 5.0;
        legend
            .draw(&Rectangle::new([(x0, y), (x0 + sw, y + sw)], heat(v).filled()))
            .map_err(err_dbg)?;
        legend
            .draw(&Rectangle::new(
                [(x0, y), (x0 + sw, y + sw)],
                GREY.stroke_width(1),
            ))
            .map_err(err_dbg)?;
        legend
            .draw(&Text::new(
                format!("{v:.1}"),
                (x0 + sw + opts.px(8.0) as i32, y + 2),
                opts.font(16.0),
            ))
            .map_err(err_dbg)?;
        y += sw + opts.px(6.0) as i32;
    }
    Ok(y)
}

/// A sequential colour for a rate or probability in [0, 1]: white to Okabe–Ito blue.
pub(super) fn heat(rate: f64) -> RGBColor {
    let t = rate.clamp(0.0, 1.0);
    let RGBColor(r, g, b) = PALETTE[0];
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * t).round() as u8;
    RGBColor(mix(r), mix(g), mix(b))
}

fn draw_scores<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &ScoreReport,
    opts: &ChartOptions,
) -> Drawn {
    // Rows: patterns top to bottom in file order, then the joint match; columns: scenarios.
    let mut rows: Vec<String> = s.patterns.clone();
    rows.push("all jointly".to_string());
    let nr = rows.len();
    let nc = s.scenarios.len().max(1);
    // y counts upwards: row r (from the top) sits at nr - 1 - r.
    let y_names: Vec<String> = rows.iter().rev().cloned().collect();
    let x_names: Vec<String> = s.scenarios.iter().map(|x| x.scenario.clone()).collect();
    let longest = rows.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    let (w, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(w - legend_width(opts, 12));
    let y_area = text_width(opts, 16.0, longest) + opts.label_area(16.0, 19.0, 1.0);
    // Scenario names wider than their column go on two staggered lines.
    let (pw, _) = plot.dim_in_pixel();
    let column = f64::from(pw.saturating_sub(y_area + 2 * opts.px(16.0))) / nc as f64;
    let widest = x_names.iter().map(|x| x.chars().count()).max().unwrap_or(0);
    let stagger = f64::from(text_width(opts, 16.0, widest)) > column * 0.92;
    let x_area = opts.label_area(16.0, 19.0, if stagger { 2.2 } else { 1.4 });
    let mut chart = ChartBuilder::on(&plot)
        .margin(opts.px(16.0))
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(-0.5..nc as f64 - 0.5, -0.5..nr as f64 - 0.5)
        .map_err(err_dbg)?;
    let x_label = |v: &f64| {
        if stagger {
            String::new()
        } else {
            category(&x_names, *v)
        }
    };
    draw_axes(
        &mut chart,
        opts,
        Axis::new(nc, &x_label, "Scenario"),
        Axis::new(nr, &|v| category(&y_names, *v), "Pattern"),
        Grid::None,
        (16.0, 19.0),
    )?;
    let text_pt = if nc > 6 { 13.0 } else { 17.0 };
    for (c, sc) in s.scenarios.iter().enumerate() {
        let mut rates: Vec<f64> = sc.patterns.0.iter().map(|(_, r)| r.rate).collect();
        rates.push(sc.joint.rate);
        for (r, &rate) in rates.iter().enumerate() {
            let (x, y) = (c as f64, (nr - 1 - r) as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    heat(rate).filled(),
                )))
                .map_err(err_dbg)?;
            let ink = if rate > 0.55 { WHITE } else { BLACK };
            chart
                .draw_series(std::iter::once(Text::new(
                    probability_text(rate, 3),
                    (x, y),
                    centred(opts, text_pt).color(&ink),
                )))
                .map_err(err_dbg)?;
        }
    }
    if stagger {
        let line = opts.font_px(16.0).round() as i32 + opts.px(4.0) as i32;
        let (bx, by) = area.get_base_pixel();
        for (c, label) in x_names.iter().enumerate() {
            let (px, py) = chart.plotting_area().map_coordinate(&(c as f64, -0.5));
            let y = py + opts.px(8.0) as i32 + if c % 2 == 1 { line } else { 0 };
            area.draw(&Text::new(
                label.clone(),
                (px - bx, y - by),
                opts.font(16.0).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err_dbg)?;
        }
    }
    // Cell borders and a heavier line above the joint row.
    for c in 0..=nc {
        let x = c as f64 - 0.5;
        chart
            .draw_series(LineSeries::new(
                [(x, -0.5), (x, nr as f64 - 0.5)],
                WHITE.stroke_width(opts.px(2.0)),
            ))
            .map_err(err_dbg)?;
    }
    for r in 0..=nr {
        let y = r as f64 - 0.5;
        let style = if r == 1 {
            BLACK.stroke_width(opts.px(2.5))
        } else {
            WHITE.stroke_width(opts.px(2.0))
        };
        chart
            .draw_series(LineSeries::new([(-0.5, y), (nc as f64 - 0.5, y)], style))
            .map_err(err_dbg)?;
    }
    // A colour scale beside the map.
    let y = heat_scale(&legend, "Match rate", opts)?;
    legend_note(&legend, opts, y + opts.px(8.0) as i32, "share of runs")
}
