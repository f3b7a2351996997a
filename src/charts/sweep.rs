//! Charts of `sweep` (`sweep`: a line per pair for one varied parameter, a heat map for two) and
//! of `sensitivity` (`sensitivity`: first-order and total indices with their intervals).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::hypothesis::{heat, heat_scale};
use super::{by_category, category, centred, draw_axes, draw_band, plain_tick, probability_text};
use super::{encode_png, register_fonts, text_width, whisker, wilson_band_note, zero_line, Axis, Grid};
use super::{err, err_dbg, legend_width, render_each, side_legend, titled, ChartError, ChartOptions};
use super::{Drawn, Format, Rendered, PALETTE};
use crate::study::sensitivity::Sensitivity;

/// The charts of `sweep`, by name without extension.
pub const SWEEP_CHARTS: [&str; 1] = ["sweep"];
/// The charts of `sensitivity`, by name without extension.
pub const SENSITIVITY_CHARTS: [&str; 1] = ["sensitivity"];

/// The fixed columns of `sweep.csv` after the varied paths.
const FIXED: [&str; 7] = [
    "a",
    "b",
    "runs",
    "war_runs",
    "war_probability",
    "ci_low",
    "ci_high",
];
/// The columns added with `--by`.
const BY: [&str; 5] = ["by", "by_runs", "by_probability", "by_ci_low", "by_ci_high"];

/// One row of `sweep.csv`, with the probability that the charts show: the one by `--by` when
/// the sweep had one, else the one by the end.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// The varied values, as written.
    pub values: Vec<String>,
    /// First polity id.
    pub a: String,
    /// Second polity id.
    pub b: String,
    /// The probability shown.
    pub probability: f64,
    /// Its Wilson 95% interval.
    pub ci: [f64; 2],
}

/// `sweep.csv` as read back for drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepTable {
    /// The varied paths.
    pub paths: Vec<String>,
    /// `--by` as written, if the sweep had one.
    pub by: Option<String>,
    /// Runs per point.
    pub runs: u64,
    /// The rows in file order.
    pub rows: Vec<SweepRow>,
}

/// Parse the text of `sweep.csv`; the error names the line and what is wrong.
pub fn parse_sweep_csv(text: &str) -> Result<SweepTable, String> {
    let header = text
        .lines()
        .next()
        .ok_or("the file is empty (expected a header and rows)")?;
    let cols: Vec<&str> = header.trim_end().split(',').collect();
    let k = cols
        .iter()
        .position(|c| *c == "a")
        .filter(|&k| k >= 1 && cols[k..].starts_with(&FIXED))
        .ok_or_else(|| format!("line 1: `{header}` is not a sweep.csv header"))?;
    let with_by = match &cols[k + FIXED.len()..] {
        [] => false,
        rest if rest == BY => true,
        _ => return Err(format!("line 1: `{header}` is not a sweep.csv header")),
    };
    let paths: Vec<String> = cols[..k].iter().map(|c| c.to_string()).collect();
    let mut table = SweepTable {
        paths,
        by: None,
        runs: 0,
        rows: Vec::new(),
    };
    for (n, f) in super::csv_records(text, header.trim_end(), cols.len())? {
        let prob = |i: usize| -> Result<f64, String> {
            match f[i].parse::<f64>() {
                Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
                _ => Err(format!("line {n}: `{}` is not a probability in [0, 1]", f[i])),
            }
        };
        let count = |i: usize, name: &str| -> Result<u64, String> {
            f[i].parse()
                .map_err(|_| format!("line {n}: {name} `{}` is not a count", f[i]))
        };
        let runs = count(k + 2, "runs")?;
        refuse_row(runs == 0, || format!("line {n}: runs is 0"))?;
        refuse_row(!table.rows.is_empty() && runs != table.runs, || {
            format!(
                "line {n}: {runs} runs, but the rows above have {} (every point runs as many)",
                table.runs
            )
        })?;
        table.runs = runs;
        // Each probability is its count over the runs, inside its interval.
        let counted = |c: usize, p: usize, what: &str| -> Result<u64, String> {
            let hits = count(c, what)?;
            let share = prob(p)?;
            let [lo, hi] = [prob(p + 1)?, prob(p + 2)?];
            refuse_row(hits > runs, || format!("line {n}: {what} {hits} of {runs} runs"))?;
            refuse_row(!super::is_share(share, hits, runs), || {
                format!("line {n}: probability {share} is not {what} {hits} / runs {runs}")
            })?;
            refuse_row(!(lo <= share && share <= hi), || {
                format!("line {n}: probability {share} lies outside its interval [{lo}, {hi}]")
            })?;
            Ok(hits)
        };
        let war_runs = counted(k + 3, k + 4, "war_runs")?;
        let at = if with_by { k + FIXED.len() + 2 } else { k + 4 };
        if with_by {
            table.by = Some(f[k + FIXED.len()].to_string());
            let by_runs = counted(k + FIXED.len() + 1, at, "by_runs")?;
            refuse_row(by_runs > war_runs, || {
                format!(
                    "line {n}: by_runs {by_runs} first onsets by `by`, but war_runs {war_runs} by the end"
                )
            })?;
        }
        table.rows.push(SweepRow {
            values: f[..k].iter().map(|v| v.to_string()).collect(),
            a: f[k].to_string(),
            b: f[k + 1].to_string(),
            probability: prob(at)?,
            ci: [prob(at + 1)?, prob(at + 2)?],
        });
    }
    Ok(table)
}

/// `Err(message)` when `bad`.
fn refuse_row(bad: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    match bad {
        true => Err(message()),
        false => Ok(()),
    }
}

/// Draw the sweep's chart in every format of `opts`: for one varied path, the probability
/// against the value with its Wilson band, one line per pair that fought; for two varied paths
/// forming a full grid, a heat map of one pair (the only one, or the one whose probability varies
/// most). Other sweeps (three or more paths, or a scattered two-path sample) have no chart.
pub fn render_sweep_charts(t: &SweepTable, opts: &ChartOptions) -> Rendered {
    let drawable = match t.paths.len() {
        1 => true,
        2 => heat_grid(t).is_some(),
        _ => false,
    };
    if !drawable {
        return Vec::new();
    }
    render_each(&SWEEP_CHARTS, opts, |_, format| sweep(t, format, opts))
}

/// Draw the sensitivity chart in every format of `opts`.
pub fn render_sensitivity_charts(s: &Sensitivity, opts: &ChartOptions) -> Rendered {
    render_each(&SENSITIVITY_CHARTS, opts, |_, format| {
        sensitivity(s, format, opts)
    })
}

/// `sweep`: see [`render_sweep_charts`].
pub fn sweep(t: &SweepTable, format: Format, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    let grid = if t.paths.len() == 2 { heat_grid(t) } else { None };
    let title = match grid {
        Some((_, _, (a, b), _)) => format!("{a}–{b}: {} ({} runs per point)", outcome_words(t), t.runs),
        None => format!(
            "{} against {} ({} runs per point)",
            outcome_words(t),
            t.paths[0],
            t.runs
        ),
    };
    render!(format, opts, "sweep", &title, |area| if t.paths.len() == 1 {
        draw_line(area, t, opts)
    } else {
        draw_heat(area, t, opts)
    })
}

/// `sensitivity`: first-order and total Sobol indices per parameter with bootstrap intervals.
pub fn sensitivity(s: &Sensitivity, format: Format, opts: &ChartOptions) -> Result<Vec<u8>, ChartError> {
    let title = format!(
        "Sobol indices of {} ({} base samples × {} runs)",
        s.outcome, s.samples, s.runs
    );
    render!(format, opts, "sensitivity", &title, |area| draw_sensitivity(
        area, s, opts
    ))
}

fn outcome_words(t: &SweepTable) -> String {
    match &t.by {
        Some(by) => format!("P(first war onset by {by})"),
        None => "P(war onset by the end)".into(),
    }
}

/// Pairs in file order with the rows of each.
fn by_pair(t: &SweepTable) -> Vec<((String, String), Vec<&SweepRow>)> {
    let mut out: Vec<((String, String), Vec<&SweepRow>)> = Vec::new();
    for r in &t.rows {
        let key = (r.a.clone(), r.b.clone());
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, rows)) => rows.push(r),
            None => out.push((key, vec![r])),
        }
    }
    out
}

/// The x position of each distinct value of column `c`: the numbers themselves when every
/// value is a number, else positions 0, 1, … in order of first appearance (with their labels).
fn axis(t: &SweepTable, c: usize) -> (Vec<String>, bool) {
    let mut distinct: Vec<String> = Vec::new();
    for r in &t.rows {
        if !distinct.contains(&r.values[c]) {
            distinct.push(r.values[c].clone());
        }
    }
    let numeric = distinct.iter().all(|v| v.parse::<f64>().is_ok());
    if numeric {
        distinct.sort_by(|x, y| {
            let (x, y) = (x.parse::<f64>().unwrap_or(0.0), y.parse::<f64>().unwrap_or(0.0));
            x.total_cmp(&y)
        });
    }
    (distinct, numeric)
}

fn draw_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &SweepTable,
    opts: &ChartOptions,
) -> Drawn {
    let (values, numeric) = axis(t, 0);
    let x_of = |v: &str| -> f64 {
        if numeric {
            v.parse().unwrap_or(0.0)
        } else {
            values.iter().position(|x| x == v).unwrap_or(0) as f64
        }
    };
    let pairs: Vec<_> = by_pair(t)
        .into_iter()
        .filter(|(_, rows)| rows.iter().any(|r| r.probability > 0.0))
        .collect();
    let entries: Vec<(String, RGBColor)> = pairs
        .iter()
        .enumerate()
        .map(|(i, ((a, b), _))| (format!("{a}–{b}"), PALETTE[i % PALETTE.len()]))
        .collect();
    let (w, _) = area.dim_in_pixel();
    let longest = entries.iter().map(|e| e.0.chars().count()).max().unwrap_or(0);
    let (plot, legend) = area.split_horizontally(w - legend_width(opts, longest.max(20)));
    side_legend(&legend, opts, "Pair", &entries)?;
    let (x0, x1) = if numeric {
        let lo = x_of(&values[0]);
        let hi = x_of(&values[values.len() - 1]);
        if hi > lo {
            (lo, hi)
        } else {
            (lo - 0.5, lo + 0.5)
        }
    } else {
        (-0.5, values.len() as f64 - 0.5)
    };
    let mut chart = ChartBuilder::on(&plot)
        .margin(opts.px(16.0))
        .margin_right(opts.px(30.0))
        .x_label_area_size(opts.label_area(16.0, 19.0, 1.4))
        .y_label_area_size(opts.label_area(16.0, 19.0, 1.9))
        .build_cartesian_2d(x0..x1, 0.0..1.0)
        .map_err(err_dbg)?;
    let names = values.clone();
    let category_label = move |v: &f64| category(&names, *v);
    let (x_ticks, x_label): (usize, &dyn Fn(&f64) -> String) = if numeric {
        (11, &plain_tick)
    } else {
        (values.len(), &category_label)
    };
    let y_desc = outcome_words(t);
    draw_axes(
        &mut chart,
        opts,
        Axis::new(x_ticks, x_label, &t.paths[0]),
        Axis::new(11, &|v| format!("{v:.1}"), &y_desc),
        Grid::Both,
        (16.0, 19.0),
    )?;
    for (i, (_, rows)) in pairs.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let mut pts: Vec<(f64, &SweepRow)> = rows.iter().map(|r| (x_of(&r.values[0]), *r)).collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let band: Vec<(f64, f64, f64)> = pts.iter().map(|(x, r)| (*x, r.ci[0], r.ci[1])).collect();
        draw_band(&mut chart, &band, colour)?;
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|(x, r)| (*x, r.probability)),
                colour.stroke_width(opts.px(2.5)),
            ))
            .map_err(err_dbg)?;
        chart
            .draw_series(
                pts.iter()
                    .map(|(x, r)| Circle::new((*x, r.probability), opts.px(3.5), colour.filled())),
            )
            .map_err(err_dbg)?;
    }
    wilson_band_note(&legend, opts)
}

/// The heat map's data when the two-path sweep is a full grid: (x values, y values, pair, the
/// probability per (x, y)).
type HeatGrid = (Vec<String>, Vec<String>, (String, String), Vec<Vec<f64>>);

fn heat_grid(t: &SweepTable) -> Option<HeatGrid> {
    let (xs, _) = axis(t, 0);
    let (ys, _) = axis(t, 1);
    let pairs = by_pair(t);
    let spread = |rows: &Vec<&SweepRow>| {
        let lo = rows.iter().map(|r| r.probability).fold(1.0, f64::min);
        let hi = rows.iter().map(|r| r.probability).fold(0.0, f64::max);
        hi - lo
    };
    let (pair, rows) = pairs.iter().fold(
        None::<&((String, String), Vec<&SweepRow>)>,
        |best, p| match best {
            Some(b) if spread(&b.1) >= spread(&p.1) => Some(b),
            _ => Some(p),
        },
    )?;
    if rows.len() != xs.len() * ys.len() {
        return None;
    }
    let mut grid = vec![vec![f64::NAN; ys.len()]; xs.len()];
    for r in rows {
        let i = xs.iter().position(|x| *x == r.values[0])?;
        let j = ys.iter().position(|y| *y == r.values[1])?;
        grid[i][j] = r.probability;
    }
    if grid.iter().flatten().any(|v| v.is_nan()) {
        return None;
    }
    Some((xs, ys, pair.clone(), grid))
}

fn draw_heat<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &SweepTable,
    opts: &ChartOptions,
) -> Drawn {
    let (xs, ys, _, grid) = heat_grid(t).ok_or("the sweep is not a full two-way grid")?;
    let (w, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(w - legend_width(opts, 14));
    let (nx, ny) = (xs.len(), ys.len());
    let longest = ys.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let mut chart = ChartBuilder::on(&plot)
        .margin(opts.px(16.0))
        .x_label_area_size(opts.label_area(16.0, 19.0, 1.4))
        .y_label_area_size(text_width(opts, 16.0, longest) + opts.label_area(16.0, 19.0, 1.0))
        .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)
        .map_err(err_dbg)?;
    let step = |n: usize| n.div_ceil(11).max(1);
    let (sx, sy) = (step(nx), step(ny));
    // Every `step`-th label of `names`.
    let every = |names: &[String], step: usize, v: f64| {
        if (v.round() as usize).is_multiple_of(step) {
            category(names, v)
        } else {
            String::new()
        }
    };
    let xl = |v: &f64| every(&xs, sx, *v);
    let yl = |v: &f64| every(&ys, sy, *v);
    draw_axes(
        &mut chart,
        opts,
        Axis::new(nx, &xl, &t.paths[0]),
        Axis::new(ny, &yl, &t.paths[1]),
        Grid::None,
        (16.0, 19.0),
    )?;
    let write_in = nx <= 12 && ny <= 12;
    for (i, col) in grid.iter().enumerate() {
        for (j, &p) in col.iter().enumerate() {
            let (x, y) = (i as f64, j as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    heat(p).filled(),
                )))
                .map_err(err_dbg)?;
            if write_in {
                let ink = if p > 0.55 { WHITE } else { BLACK };
                chart
                    .draw_series(std::iter::once(Text::new(
                        probability_text(p, 2),
                        (x, y),
                        centred(opts, 14.0).color(&ink),
                    )))
                    .map_err(err_dbg)?;
            }
        }
    }
    heat_scale(&legend, "Probability", opts)?;
    Ok(())
}

fn draw_sensitivity<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Sensitivity,
    opts: &ChartOptions,
) -> Drawn {
    let (w, _) = area.dim_in_pixel();
    let entries = vec![
        ("first order".to_string(), PALETTE[0]),
        ("total".to_string(), PALETTE[1]),
    ];
    let (plot, legend) = area.split_horizontally(w - legend_width(opts, 14));
    side_legend(&legend, opts, "Index", &entries)?;
    // Largest total on top: plotters counts y upwards, so sort ascending.
    let mut rows: Vec<_> = s.parameters.iter().collect();
    rows.sort_by(|x, y| x.total.total_cmp(&y.total).then_with(|| y.path.cmp(&x.path)));
    let names: Vec<String> = rows.iter().map(|p| p.path.clone()).collect();
    let n = rows.len().max(1);
    let lo = rows
        .iter()
        .map(|p| p.first_order_ci95[0].min(p.total_ci95[0]))
        .fold(0.0f64, f64::min);
    let hi = rows
        .iter()
        .map(|p| p.first_order_ci95[1].max(p.total_ci95[1]))
        .fold(0.0f64, f64::max)
        .max(0.1);
    let pad = (hi - lo) * 0.05;
    let mut chart = by_category(&plot, opts, lo - pad..hi + pad, &names, None, 30.0)?;
    draw_axes(
        &mut chart,
        opts,
        Axis::new(
            9,
            &|v| format!("{v:.2}"),
            "Sobol index (share of the outcome's variance; bootstrap 95% interval)",
        ),
        Axis::new(n, &|v| category(&names, *v), "Parameter"),
        Grid::Vertical,
        (16.0, 19.0),
    )?;
    for (i, p) in rows.iter().enumerate() {
        for (k, (value, ci)) in [(p.first_order, p.first_order_ci95), (p.total, p.total_ci95)]
            .into_iter()
            .enumerate()
        {
            let y = i as f64 + if k == 0 { 0.17 } else { -0.17 };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.15), (value, y + 0.15)],
                    PALETTE[k].mix(0.85).filled(),
                )))
                .map_err(err_dbg)?;
            whisker(&mut chart, y, ci, 0.07, BLACK.stroke_width(opts.px(2.0)))?;
        }
    }
    zero_line(&mut chart, n, BLACK.stroke_width(opts.px(1.5)))
}
