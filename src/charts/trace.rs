//! The chart of `trace`: fear, trust and mobilization of every polity over one run, with the
//! run's scripted events and war onsets marked.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::{centred, date_label, draw_axes, err, err_dbg, legend_block, legend_note, legend_width};
use super::{encode_png, register_fonts, ChartError, ChartOptions, Drawn, Format, Rendered};
use super::{
    month_field, render_each, text_width, titled, year_of, Axis, Dash, Grid, Key, Stroke, GREY, PALETTE,
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

/// The header of `trace.csv` before Model 2 added its columns (such folders still plot).
const TRACE_HEADER_V1: &str = "month,polity,other,fear,trust,mobilization,status";

/// Parse the text of `trace.csv` (with Model 2's columns, or without them as version 1 wrote
/// it); the error says which line is wrong and why.
pub fn parse_trace(text: &str) -> Result<Vec<TraceRow>, String> {
    let mut rows = Vec::new();
    let records = if text.lines().next().map(str::trim_end) == Some(TRACE_HEADER_V1) {
        super::csv_records(text, TRACE_HEADER_V1, 7)?
    } else {
        super::csv_records(text, TRACE_HEADER, TRACE_HEADER.split(',').count())?
    };
    for (n, f) in records {
        let num = |k: usize, name: &str| -> Result<f64, String> {
            f[k].parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("line {n}: {name} `{}` is not a number", f[k]))
        };
        rows.push(TraceRow {
            month: month_field(n, f[0])?,
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
            month: month_field(n, f[0])?,
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

/// `trace`: one panel per polity with its fear (solid, left axis in fear units, scaled to the
/// panel) and trust (dashed, right axis, a share) toward each polity it faces, coloured by that
/// polity, and its own mobilization (black, right axis); scripted events are grey vertical
/// lines labelled above the panels (staggered, never overlapping, each joined to its line; those
/// without room are counted in the legend), war onsets vermillion dotted lines.
pub fn trace(
    rows: &[TraceRow],
    events: &[TraceEvent],
    format: Format,
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let title = "One run: fear, trust and mobilization by polity";
    render!(format, opts, "trace", title, |area| draw_trace(
        area, rows, events, opts
    ))
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

// How each kind of line looks (fear and trust take the colour of the polity they are toward).
/// Fear: solid.
const FEAR: Stroke = Stroke {
    colour: GREY,
    width: 2.0,
    dash: None,
};
/// Trust: dashed.
const TRUST: Stroke = Stroke {
    colour: GREY,
    width: 1.5,
    dash: Some(Dash {
        on: 6.0,
        off: 4.0,
        phase: 0.0,
    }),
};
/// The polity's own mobilization: thick black.
const MOBILIZATION: Stroke = Stroke {
    colour: BLACK,
    width: 2.5,
    dash: None,
};
/// A scripted event: thin light grey.
const SCRIPTED: Stroke = Stroke {
    colour: RGBColor(0xA9, 0xA9, 0xA9),
    width: 1.2,
    dash: None,
};
/// A war begins: vermillion dots.
const WAR: Stroke = Stroke {
    colour: PALETTE[1],
    width: 2.0,
    dash: Some(Dash {
        on: 3.0,
        off: 4.0,
        phase: 0.0,
    }),
};

/// A dashed line series of `stroke` (which must be dashed) through `points`.
fn dashed<I>(points: I, stroke: Stroke, opts: &ChartOptions) -> DashedLineSeries<I::IntoIter, u32>
where
    I: IntoIterator<Item = (f64, f64)>,
    I::IntoIter: Clone,
{
    let d = stroke.dash.unwrap_or(Dash {
        on: 1.0,
        off: 0.0,
        phase: 0.0,
    });
    DashedLineSeries::new(points, opts.px(d.on), opts.px(d.off), stroke.style(opts))
}

/// A label placed in the band above the panels: its text, left edge, width and row (0 lowest),
/// and its event's x.
pub(super) struct Placed {
    pub(super) label: String,
    pub(super) left: i32,
    pub(super) width: i32,
    pub(super) row: usize,
    pub(super) x: i32,
}

/// Lay out the labels of `events` (text and the event's x, in order of x) in `rows` rows of a
/// band `width` pixels wide, each label `room(text)` pixels wide: a label stays inside the band
/// and over its event (a tick under it marks the event), in the lowest row where it touches no
/// other label, as near centred on its event as it can. With `clear_ticks` (ticks that run down
/// from each label's row through the rows below it), no label covers another label's tick, and
/// each label sits as near as it can to ending at its own tick (so that the ticks of the labels
/// after it pass to its right), in a higher row rather than over a tick still to come where it
/// can. Returns the labels placed and how many found no room.
pub(super) fn layout_labels(
    events: &[(&str, i32)],
    rows: usize,
    width: i32,
    clear_ticks: bool,
    room: impl Fn(&str) -> i32,
) -> (Vec<Placed>, usize) {
    let mut taken: Vec<Vec<(i32, i32)>> = vec![Vec::new(); rows];
    let free = |row: &[(i32, i32)], (a, b): (i32, i32)| row.iter().all(|&(c, d)| b <= c || d <= a);
    let mut placed: Vec<Placed> = Vec::new();
    let mut skipped = 0;
    for (i, &(label, x)) in events.iter().enumerate() {
        let w = room(label).min(width);
        // Left edges that keep the label whole and over x.
        let (lo, hi) = ((x + 2 - w).max(0), (x - 2).min(width - w));
        // The ticks passing through row r (of the labels above it), as spans to keep clear.
        let ticks_through = |r: usize| -> Vec<(i32, i32)> {
            placed
                .iter()
                .filter(|p| clear_ticks && p.row > r)
                .map(|p| (p.x - 1, p.x + 2))
                .collect()
        };
        // The events still to place, whose ticks a label had better leave clear.
        let later: Vec<(i32, i32)> = match clear_ticks {
            true => events[i + 1..].iter().map(|&(_, x)| (x - 1, x + 2)).collect(),
            false => Vec::new(),
        };
        let ideal = if clear_ticks { x + 2 - w } else { x - w / 2 };
        let find = |strict: bool| {
            (0..rows).find_map(|r| {
                // Its own tick would cross a label of a row below.
                if clear_ticks && (0..r).any(|q| taken[q].iter().any(|&(c, d)| c - 1 <= x && x <= d)) {
                    return None;
                }
                let ticks = ticks_through(r);
                let mut candidates = vec![x - w / 2, lo, hi];
                let avoid = if strict { &later[..] } else { &[] };
                for &(c, d) in taken[r].iter().chain(&ticks).chain(avoid) {
                    candidates.extend([d, c - w]);
                }
                candidates
                    .into_iter()
                    .filter(|&l| {
                        let span = (l, l + w);
                        lo <= l && l <= hi && free(&taken[r], span) && free(&ticks, span) && free(avoid, span)
                    })
                    .min_by_key(|&l| ((l - ideal).abs(), l))
                    .map(|l| (r, l))
            })
        };
        let spot = find(true).or_else(|| find(false));
        let Some((row, left)) = spot else {
            skipped += 1;
            continue;
        };
        taken[row].push((left, left + w));
        placed.push(Placed {
            label: label.to_string(),
            left,
            width: w,
            row,
            x,
        });
    }
    (placed, skipped)
}

fn draw_trace<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[TraceRow],
    events: &[TraceEvent],
    opts: &ChartOptions,
) -> Drawn {
    let ids = polities(rows);
    let colour = |id: &str| {
        ids.iter()
            .position(|x| x == id)
            .map_or(GREY, |i| PALETTE[i % PALETTE.len()])
    };
    let (w, _) = area.dim_in_pixel();
    let (grid, legend) = area.split_horizontally(w - legend_width(opts, 16));
    let toward: Vec<(String, Key)> = ids.iter().map(|id| (id.clone(), Key::Fill(colour(id)))).collect();
    let y = legend_block(&legend, opts, opts.px(20.0) as i32, "Toward", &toward)?;
    let lines = [
        ("fear of it", FEAR),
        ("trust in it", TRUST),
        ("mobilization", MOBILIZATION),
        ("scripted event", SCRIPTED),
        ("war begins", WAR),
    ]
    .map(|(l, s)| (l.to_string(), Key::Line(s)));
    let notes_y = legend_block(&legend, opts, y + opts.px(10.0) as i32, "Line", &lines)?;
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
    // A band at the top for the labels of scripted events, up to five rows.
    let scripted: Vec<&TraceEvent> = events.iter().filter(|e| e.kind == "event").collect();
    let line = opts.font_px(12.0).round() as i32 + opts.px(7.0) as i32;
    let (gw, gh) = grid.dim_in_pixel();
    let label_rows = if scripted.is_empty() {
        0
    } else {
        ((gh as i32 / 4 - opts.px(12.0) as i32) / line).clamp(0, 5) as usize
    };
    let band = if label_rows == 0 {
        0
    } else {
        label_rows as i32 * line + opts.px(12.0) as i32
    };
    let (labels, below) = grid.split_vertically(band as u32);
    // The axis descriptions, once for all panels: fear on the left, shares on the right.
    let strip = (opts.font_px(15.0) * 1.8).round() as u32;
    let (bw, bh) = below.dim_in_pixel();
    let (left, rest) = below.split_horizontally(strip);
    let (panels_area, right) = rest.split_horizontally(bw.saturating_sub(2 * strip));
    let n = actors.len();
    let x_area = opts.label_area(13.0, 15.0, 1.4);
    let middle = ((bh.saturating_sub(x_area)) / 2) as i32;
    for (strip_area, text, turn) in [
        (&left, "Fear (fear units)", FontTransform::Rotate270),
        (
            &right,
            "Trust, mobilization (share, 0–1)",
            FontTransform::Rotate90,
        ),
    ] {
        strip_area
            .draw(&Text::new(
                text.to_string(),
                (strip as i32 / 2, middle),
                centred(opts, 15.0).transform(turn),
            ))
            .map_err(err_dbg)?;
    }
    let (_, ph) = panels_area.dim_in_pixel();
    let each = ph.saturating_sub(x_area) / n as u32;
    let breaks: Vec<u32> = (1..n as u32).map(|k| k * each).collect();
    let panels = panels_area.split_by_breakpoints([] as [u32; 0], breaks);
    let mut event_x: Vec<(&str, i32)> = Vec::new();
    for (p, (id, panel)) in actors.iter().zip(&panels).enumerate() {
        let last = p + 1 == n;
        let mine: Vec<&TraceRow> = rows.iter().filter(|r| &r.polity == *id).collect();
        // Fear on its own scale in each panel; trust and mobilization on a share scale.
        let top = mine.iter().map(|r| r.fear).fold(1.0f64, f64::max) * 1.05;
        let bottom = mine.iter().map(|r| r.fear).fold(0.0f64, f64::min);
        let share_top = mine
            .iter()
            .flat_map(|r| [r.trust, r.mobilization])
            .fold(1.0f64, f64::max)
            * 1.05;
        let share_bottom = mine
            .iter()
            .flat_map(|r| [r.trust, r.mobilization])
            .fold(0.0f64, f64::min);
        let tick_area = text_width(opts, 13.0, 5) + opts.px(12.0);
        let mut chart = ChartBuilder::on(panel)
            .margin(opts.px(6.0))
            .caption(id.as_str(), opts.font(16.0))
            .x_label_area_size(if last { x_area } else { opts.px(8.0) })
            .y_label_area_size(tick_area)
            .right_y_label_area_size(tick_area)
            .build_cartesian_2d(t0..t1, bottom..top)
            .map_err(err_dbg)?
            .set_secondary_coord(t0..t1, share_bottom..share_top);
        let x_fmt = |v: &f64| if last { date_label(*v) } else { String::new() };
        let y_fmt = |v: &f64| format!("{v:.1}");
        let x_desc = if last { "Date (year CE, end of month)" } else { "" };
        draw_axes(
            &mut chart,
            opts,
            Axis::new(10, &x_fmt, x_desc),
            Axis::new(4, &y_fmt, ""),
            Grid::Both,
            (13.0, 15.0),
        )?;
        chart
            .configure_secondary_axes()
            .y_labels(3)
            .y_label_formatter(&y_fmt)
            .label_style(opts.font(13.0))
            .draw()
            .map_err(err_dbg)?;
        for e in events {
            let involved = e.label.split('→').any(|side| side == id.as_str());
            if e.kind == "war" && !involved {
                continue;
            }
            let x = year_of(e.month) + 0.5 / 12.0;
            let line = [(x, bottom), (x, top)];
            if e.kind == "event" {
                chart
                    .draw_series(LineSeries::new(line, SCRIPTED.style(opts)))
                    .map_err(err_dbg)?;
                if p == 0 {
                    let (px, _) = chart.plotting_area().map_coordinate(&(x, top));
                    event_x.push((&e.label, px - grid.get_base_pixel().0));
                }
            } else {
                chart.draw_series(dashed(line, WAR, opts)).map_err(err_dbg)?;
            }
        }
        let x = |r: &TraceRow| year_of(r.month) + 1.0 / 12.0;
        let mut months: Vec<(f64, f64)> = mine.iter().map(|r| (x(r), r.mobilization)).collect();
        months.dedup_by(|a, b| a.0 == b.0);
        chart
            .draw_secondary_series(LineSeries::new(months, MOBILIZATION.style(opts)))
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
                    Stroke { colour: c, ..FEAR }.style(opts),
                ))
                .map_err(err_dbg)?;
            chart
                .draw_secondary_series(dashed(
                    toward.iter().map(|r| (x(r), r.trust)),
                    Stroke { colour: c, ..TRUST },
                    opts,
                ))
                .map_err(err_dbg)?;
        }
    }
    // Event labels in the band, each with a tick under it at its event.
    let pad = opts.px(6.0) as i32;
    let (placed, skipped) = layout_labels(&event_x, label_rows, gw as i32, false, |l| {
        text_width(opts, 12.0, l.chars().count()) as i32 + pad
    });
    let text = opts.font_px(12.0).round() as i32;
    for p in &placed {
        let top = band - opts.px(4.0) as i32 - (p.row as i32 + 1) * line;
        labels
            .draw(&Text::new(
                p.label.clone(),
                (p.left + p.width / 2, top),
                opts.font(12.0)
                    .color(&GREY)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err_dbg)?;
        labels
            .draw(&PathElement::new(
                [(p.x, top + text + 1), (p.x, top + line - 1)],
                GREY.stroke_width(opts.px(1.2)),
            ))
            .map_err(err_dbg)?;
    }
    if skipped > 0 {
        let y = notes_y + opts.px(6.0) as i32;
        let s = if skipped == 1 { "" } else { "s" };
        legend_note(&legend, opts, y, &format!("{skipped} event{s} unlabelled"))?;
        legend_note(&legend, opts, y + line + 2, "(see events.csv)")?;
    }
    Ok(())
}
