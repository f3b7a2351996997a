//! The chart of `robustness`: a forest plot of the Bayes factors over the panel.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    by_category, category, draw_axes, encode_png, err, err_dbg, legend_block, legend_note, legend_width,
};
use super::{register_fonts, render_each, signed_tick, titled, whisker, zero_line, Axis, Grid, Key};
use super::{ChartError, ChartOptions, Drawn, Format, Rendered, PALETTE};
use crate::study::robustness::ForestInput;

/// The charts of `robustness`, by name without extension.
pub const ROBUSTNESS_CHARTS: [&str; 1] = ["robustness"];

/// Jeffreys' thresholds on log10 of a Bayes factor: substantial, strong, very strong, decisive.
pub const JEFFREYS: [f64; 4] = [0.5, 1.0, 1.5, 2.0];

/// Draw every chart of `robustness` in every format of `opts`.
pub fn render_robustness_charts(f: &ForestInput, opts: &ChartOptions) -> Rendered {
    render_each(&ROBUSTNESS_CHARTS, opts, |_, format| forest(f, format, opts))
}

/// `robustness`: one row per condition of the panel (the base on top, then the variants and the
/// left-out patterns), per pair of readings the log10 Bayes factor with its 95% interval; each
/// pair's base value as a vertical line in its colour, Jeffreys' bands shaded.
pub fn forest(f: &ForestInput, format: Format, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    let title = format!(
        "Bayes factors over the robustness panel ({} runs per reading)",
        f.runs
    );
    render!(format, opts, "robustness", &title, |area| draw_forest(
        area, f, opts
    ))
}

fn draw_forest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    f: &ForestInput,
    opts: &ChartOptions,
) -> Drawn {
    let conditions = f.conditions();
    let pairs = f.pairs();
    let n = conditions.len().max(1);
    let np = pairs.len().max(1);
    // Top to bottom in file order: plotters counts y upwards.
    let names: Vec<String> = conditions.iter().rev().map(|(v, _)| v.clone()).collect();
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for b in &f.bayes_factors {
        if let (Some(l), Some([a, z])) = (b.log10, b.ci95) {
            lo = lo.min(l).min(a);
            hi = hi.max(l).max(z);
        }
    }
    lo = lo.min(-0.6);
    hi = hi.max(0.6);
    let pad = (hi - lo) * 0.05;
    let (x0, x1) = (lo - pad, hi + pad);
    let pair_labels: Vec<String> = pairs.iter().map(|(a, b)| format!("{a} / {b}")).collect();
    let longest = pair_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(24);
    let (w, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(w - legend_width(opts, longest));
    let mut chart = by_category(&plot, opts, x0..x1, &names, None, 24.0)?;
    // Jeffreys' bands, darker the stronger, on both sides.
    for (k, &t) in JEFFREYS.iter().enumerate() {
        let next = JEFFREYS.get(k + 1).copied().unwrap_or(f64::INFINITY);
        let shade = RGBColor(0, 0, 0).mix(0.035 * (k + 1) as f64);
        for (a, b) in [(t, next), (-next, -t)] {
            let (a, b) = (a.max(x0), b.min(x1));
            if a < b {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(a, -0.5), (b, n as f64 - 0.5)],
                        shade.filled(),
                    )))
                    .map_err(err_dbg)?;
            }
        }
    }
    let x_desc = "log10 Bayes factor (first / second reading), with 95% interval";
    draw_axes(
        &mut chart,
        opts,
        Axis::new(9, &signed_tick, x_desc),
        Axis::new(n, &|v| category(&names, *v), "Variant"),
        Grid::Vertical,
        (16.0, 19.0),
    )?;
    zero_line(&mut chart, n, BLACK.stroke_width(opts.px(1.5)))?;
    let colour = |p: usize| PALETTE[p % PALETTE.len()];
    // Each pair's base value.
    for (p, b) in f.bayes_factors.iter().take(pairs.len()).enumerate() {
        if let Some(l) = b.log10 {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    [(l, -0.5), (l, n as f64 - 0.5)],
                    colour(p).mix(0.7).stroke_width(opts.px(1.5)),
                )))
                .map_err(err_dbg)?;
        }
    }
    let step = 0.7 / np as f64;
    for (k, b) in f.bayes_factors.iter().enumerate() {
        let (c, p) = (k / np, k % np);
        let y = (n - 1 - c) as f64 + (p as f64 - (np as f64 - 1.0) / 2.0) * -step;
        if let (Some(l), Some(ci)) = (b.log10, b.ci95) {
            whisker(
                &mut chart,
                y,
                ci,
                step * 0.3,
                colour(p).stroke_width(opts.px(2.0)),
            )?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    (l, y),
                    opts.px(4.5),
                    colour(p).filled(),
                )))
                .map_err(err_dbg)?;
        }
    }
    let keys: Vec<(String, Key)> = pair_labels
        .iter()
        .enumerate()
        .map(|(p, l)| (l.clone(), Key::Fill(colour(p))))
        .collect();
    let y = legend_block(&legend, opts, opts.px(20.0) as i32, "Pair", &keys)?;
    let line = opts.px(22.0) as i32;
    let notes = [
        "vertical line: the base value",
        "shaded: Jeffreys' bands at",
        "|log10| 0.5, 1, 1.5, 2",
        "(substantial, strong,",
        "very strong, decisive)",
    ];
    for (i, note) in notes.iter().enumerate() {
        legend_note(&legend, opts, y + opts.px(8.0) as i32 + i as i32 * line, note)?;
    }
    Ok(())
}
