//! The chart of `trace`: fear, trust and mobilization of every polity over one run, with the
//! run's scripted events and war onsets marked.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::hypothesis::text_width;
use super::{date_label, err, err_dbg, legend_width, render_each, titled, year_of};
use super::{
    encode_png, register_fonts, ChartError, ChartOptions, Drawn, Format, Rendered, GREY, GRID, PALETTE,
};
use crate::calendar::Month;
use crate::engine::chronicle::{EVENTS_HEADER, TRACE_HEADER};

/// The charts of `trace`, by name without extension.
pub const TRACE_CHARTS: [&str; 1] = ["trace"];

/// One row of `trace.csv`: one polity's view of another at the end of a month.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRow {
    /// Month.
    pub month: Month,
    /// The polity whose fear and trust these are.
    pub polity: String,
    /// The polity feared and trusted.
    pub other: String,
    /// Fear of `other`.
    pub fear: f64,
    /// Trust in `other`.
    pub trust: f64,
    /// Mobilization of `polity`.
    pub mobilization: f64,
}

/// One row of `events.csv`: a scripted event or a war onset of the traced run.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEvent {
    /// Month.
    pub month: Month,
    /// `event` (scripted) or `war` (a war begins).
    pub kind: String,
    /// The event's id, or `initiator→target`.
    pub label: String,
}

/// Parse the text of `trace.csv`; the error says which line is wrong and why.
pub fn parse_trace(text: &str) -> Result<Vec<TraceRow>, String> {
    let mut rows = Vec::new();
    for (n, f) in super::csv_records(text, TRACE_HEADER, 7)? {
        let num = |k: usize, name: &str| -> Result<f64, String> {
            f[k].parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("line {n}: {name} `{}` is not a number", f[k]))
        };
        rows.push(TraceRow {
            month: f[0]
                .parse()
                .map_err(|_| format!("line {n}: month `{}` is not YYYY-MM", f[0]))?,
            polity: f[1].to_string(),
            other: f[2].to_string(),
            fear: num(3, "fear")?,
            trust: num(4, "trust")?,
            mobilization: num(5, "mobilization")?,
        });
    }
    Ok(rows)
}

/// Parse the text of `events.csv`; the error says which line is wrong and why.
pub fn parse_trace_events(text: &str) -> Result<Vec<TraceEvent>, String> {
    let mut rows = Vec::new();
    for (n, f) in super::csv_records(text, EVENTS_HEADER, 3)? {
        if f[1] != "event" && f[1] != "war" {
            return Err(format!("line {n}: kind `{}` is neither event nor war", f[1]));
        }
        rows.push(TraceEvent {
            month: f[0]
                .parse()
                .map_err(|_| format!("line {n}: month `{}` is not YYYY-MM", f[0]))?,
            kind: f[1].to_string(),
            label: f[2].to_string(),
        });
    }
    Ok(rows)
}

/// Draw every chart of `trace` in every format of `opts`.
pub fn render_trace_charts(rows: &[TraceRow], events: &[TraceEvent], opts: &ChartOptions) -> Rendered {
    render_each(&TRACE_CHARTS, opts, |_, format| trace(rows, events, format, opts))
}

/// `trace`: one panel per polity with its mobilization (black) and its fear (solid) and trust
/// (dashed) toward each polity it faces, coloured by that polity; scripted events are grey
/// vertical lines labelled in the top panel, war onsets vermillion dotted lines.
pub fn trace(
    rows: &[TraceRow],
    events: &[TraceEvent],
    format: Format,
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let chart = format!("trace.{format}");
    render!(format, opts, chart, |root| draw_trace(root, rows, events, opts))
}

/// Ids in order of first appearance.
fn polities(rows: &[TraceRow]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        for id in [&r.polity, &r.other] {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
    }
    out
}

fn draw_trace<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[TraceRow],
    events: &[TraceEvent],
    opts: &ChartOptions,
) -> Drawn {
    let area = titled(root, opts, "One run: fear, trust and mobilization by polity")?;
    let ids = polities(rows);
    let colour = |id: &str| {
        ids.iter()
            .position(|x| x == id)
            .map_or(GREY, |i| PALETTE[i % PALETTE.len()])
    };
    let mut entries: Vec<(String, RGBColor)> = ids.iter().map(|id| (id.clone(), colour(id))).collect();
    entries.push(("mobilization".into(), BLACK));
    let (w, _) = area.dim_in_pixel();
    let (grid, legend) = area.split_horizontally(w - legend_width(opts, 16));
    super::side_legend(&legend, opts, "Toward / series", &entries)?;
    let (_, lh) = legend.dim_in_pixel();
    let x0 = opts.px(14.0) as i32;
    for (k, note) in [
        "solid: fear of it",
        "dashed: trust in it",
        "grey: scripted event",
        "dotted: war begins",
    ]
    .iter()
    .enumerate()
    {
        legend
            .draw(&Text::new(
                note.to_string(),
                (x0, lh as i32 - opts.px(30.0 * (4 - k) as f64) as i32),
                opts.font(15.0).color(&GREY),
            ))
            .map_err(err_dbg)?;
    }
    let actors: Vec<&String> = ids
        .iter()
        .filter(|id| rows.iter().any(|r| &r.polity == *id))
        .collect();
    if actors.is_empty() {
        return Err("trace.csv has no rows".into());
    }
    let (Some(start), Some(end)) = (
        rows.iter().map(|r| r.month).min(),
        rows.iter().map(|r| r.month).max(),
    ) else {
        return Err("trace.csv has no rows".into());
    };
    let (t0, t1) = (year_of(start), year_of(end) + 1.0 / 12.0);
    // Room at the top of the first panel for staggered event labels.
    let scripted: Vec<&TraceEvent> = events.iter().filter(|e| e.kind == "event").collect();
    let label_rows = 4usize;
    let label_px = (opts.font_px(13.0) + 4.0) as u32 * label_rows as u32 + opts.px(6.0);
    let (labels, panels_area) = grid.split_vertically(label_px.min(grid.dim_in_pixel().1 / 3));
    let n = actors.len();
    let x_area = opts.label_area(13.0, 15.0, 1.4);
    let (_, ph) = panels_area.dim_in_pixel();
    let each = ph.saturating_sub(x_area) / n as u32;
    let breaks: Vec<u32> = (1..n as u32).map(|k| k * each).collect();
    let panels = panels_area.split_by_breakpoints([] as [u32; 0], breaks);
    for (p, (id, panel)) in actors.iter().zip(&panels).enumerate() {
        let last = p + 1 == n;
        let mine: Vec<&TraceRow> = rows.iter().filter(|r| &r.polity == *id).collect();
        let values = || mine.iter().flat_map(|r| [r.fear, r.trust, r.mobilization]);
        let top = values().fold(1.0f64, f64::max) * 1.05;
        let bottom = values().fold(0.0f64, f64::min);
        let mut chart = ChartBuilder::on(panel)
            .margin(opts.px(6.0))
            .margin_right(opts.px(16.0))
            .caption(id.as_str(), opts.font(16.0))
            .x_label_area_size(if last {
                opts.label_area(13.0, 15.0, 1.4)
            } else {
                opts.px(8.0)
            })
            .y_label_area_size(opts.label_area(13.0, 15.0, 1.9))
            .build_cartesian_2d(t0..t1, bottom..top)
            .map_err(err_dbg)?;
        let x_fmt = |v: &f64| if last { date_label(*v) } else { String::new() };
        let y_fmt = |v: &f64| format!("{v:.1}");
        let mut mesh = chart.configure_mesh();
        mesh.light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_labels(10)
            .y_labels(4)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .y_desc("Level")
            .label_style(opts.font(13.0))
            .axis_desc_style(opts.font(15.0));
        if last {
            mesh.x_desc("Date (year CE, end of month)");
        }
        mesh.draw().map_err(err_dbg)?;
        for e in events {
            let involved = e.label.split('→').any(|side| side == id.as_str());
            if e.kind == "war" && !involved {
                continue;
            }
            let x = year_of(e.month) + 0.5 / 12.0;
            let line = [(x, bottom), (x, top)];
            if e.kind == "event" {
                chart
                    .draw_series(LineSeries::new(line, GREY.mix(0.7).stroke_width(opts.px(1.2))))
                    .map_err(err_dbg)?;
            } else {
                chart
                    .draw_series(DashedLineSeries::new(
                        line,
                        opts.px(3.0),
                        opts.px(4.0),
                        PALETTE[1].stroke_width(opts.px(2.0)),
                    ))
                    .map_err(err_dbg)?;
            }
        }
        let x = |r: &TraceRow| year_of(r.month) + 1.0 / 12.0;
        let mut months: Vec<(f64, f64)> = mine.iter().map(|r| (x(r), r.mobilization)).collect();
        months.dedup_by(|a, b| a.0 == b.0);
        chart
            .draw_series(LineSeries::new(months, BLACK.stroke_width(opts.px(2.5))))
            .map_err(err_dbg)?;
        for other in &ids {
            let toward: Vec<&&TraceRow> = mine.iter().filter(|r| &r.other == other).collect();
            if toward.is_empty() {
                continue;
            }
            let c = colour(other);
            chart
                .draw_series(LineSeries::new(
                    toward.iter().map(|r| (x(r), r.fear)),
                    c.stroke_width(opts.px(2.0)),
                ))
                .map_err(err_dbg)?;
            chart
                .draw_series(DashedLineSeries::new(
                    toward.iter().map(|r| (x(r), r.trust)),
                    opts.px(6.0),
                    opts.px(4.0),
                    c.stroke_width(opts.px(1.5)),
                ))
                .map_err(err_dbg)?;
        }
        if p == 0 {
            // Event labels above the first panel, staggered over three rows.
            let line = (opts.font_px(13.0) + 4.0) as i32;
            let (lx0, _) = labels.get_base_pixel();
            let (_, ly1) = labels.get_base_pixel();
            // Each label takes the first row where it does not touch the one before it there.
            let mut ends = vec![i32::MIN; label_rows];
            for e in &scripted {
                let (px, _) = chart
                    .plotting_area()
                    .map_coordinate(&(year_of(e.month) + 0.5 / 12.0, top));
                let half = (f64::from(text_width(opts, 12.0, e.label.chars().count())) / 2.0) as i32 + 4;
                let Some(row) = ends.iter().position(|&end| px - half > end) else {
                    continue;
                };
                ends[row] = px + half;
                let y = ly1 + opts.px(4.0) as i32 + row as i32 * line;
                labels
                    .draw(&Text::new(
                        e.label.clone(),
                        (px - lx0, y - ly1),
                        opts.font(12.0)
                            .color(&GREY)
                            .pos(Pos::new(HPos::Center, VPos::Top)),
                    ))
                    .map_err(err_dbg)?;
            }
        }
    }
    Ok(())
}
