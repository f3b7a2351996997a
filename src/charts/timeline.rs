//! The chart `timeline` of a `run`: for each pair in which anything happened, the probability by
//! calendar year of each kind of happening (a war begun, talks, a truce concluded, a truce
//! broken, an alliance or a vassal tie formed), read from `events_by_year.csv`; the windows of
//! HISTORY.md's dated rows (`scenarios/patterns/timeline.ron`) are shaded on their pair's panel
//! and labelled with the pattern's name.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::trace::{layout_labels, Placed};
use super::{centred, csv_records, draw_axes, err, err_dbg, field, legend_block, legend_note};
use super::{encode_png, register_fonts, titled, ChartError, ChartOptions, Drawn, Format};
use super::{legend_width, pair_label, panel_caption, probability_field, text_width, year_of};
use super::{Axis, Chart, Grid, Key, Stroke, PALETTE};
use crate::engine::outcome::Deed;
use crate::patterns::{Kind, Pattern, PatternSet, Rule, Window};
use crate::study::run::Summary;

/// The header line of `events_by_year.csv`.
pub const EVENTS_BY_YEAR_HEADER: &str = "a,b,year,kind,actor,runs,probability";

/// The pattern file whose dated windows the chart shades, as shipped.
const TIMELINE_FILE: &str = "scenarios/patterns/timeline.ron";
const TIMELINE_RON: &str = include_str!("../../scenarios/patterns/timeline.ron");

/// Most panels drawn; the pairs with the most happenings are kept.
pub const MAX_TIMELINE_PANELS: usize = 6;

/// One row of `events_by_year.csv`: the runs in which a kind of happening came at least once in
/// a calendar year in a pair, done by `actor` (or by either side: `any`).
#[derive(Debug, Clone, PartialEq)]
pub struct HappeningRow {
    /// First polity id.
    pub a: String,
    /// Second polity id.
    pub b: String,
    /// Calendar year.
    pub year: i32,
    /// Kind of happening, one of [`Deed::KINDS`] (`war`, `breach`, `talks`, …).
    pub kind: String,
    /// Who did it: a polity id, or `any`.
    pub actor: String,
    /// Runs in which it happened at least once that year.
    pub runs: u64,
    /// Their share of all runs.
    pub probability: f64,
}

/// Parse the text of `events_by_year.csv`; the error says which line is wrong and why.
pub fn parse_events_by_year(text: &str) -> Result<Vec<HappeningRow>, String> {
    let mut rows = Vec::new();
    for (n, f) in csv_records(text, EVENTS_BY_YEAR_HEADER, 7)? {
        if !Deed::KINDS.contains(&f[3]) {
            return Err(format!(
                "line {n}: kind `{}` is not one of {}",
                f[3],
                Deed::KINDS.join(", ")
            ));
        }
        if f[4].is_empty() {
            return Err(format!(
                "line {n}: actor is empty (expected a polity id or `any`)"
            ));
        }
        rows.push(HappeningRow {
            a: f[0].to_string(),
            b: f[1].to_string(),
            year: field(n, "year", f[2], "a year")?,
            kind: f[3].to_string(),
            actor: f[4].to_string(),
            runs: field(n, "runs", f[5], "a count")?,
            probability: probability_field(n, "probability", f[6])?,
        });
    }
    Ok(rows)
}

/// A kind of happening the chart draws: its name in `events_by_year.csv`, its words in the
/// legend, its colour, and the kind of pattern event that names it.
struct Shown {
    name: &'static str,
    words: &'static str,
    colour: RGBColor,
    kind: Kind,
}

/// The kinds drawn, in legend order (a war's end, peace and a tie dissolved are not drawn).
const KINDS: [Shown; 6] = [
    Shown {
        name: "war",
        words: "war begun",
        colour: PALETTE[1],
        kind: Kind::War,
    },
    Shown {
        name: "breach",
        words: "truce broken",
        colour: PALETTE[4],
        kind: Kind::Breach,
    },
    Shown {
        name: "talks",
        words: "talks",
        colour: PALETTE[5],
        kind: Kind::Talks,
    },
    Shown {
        name: "truce",
        words: "truce concluded",
        colour: PALETTE[2],
        kind: Kind::Truce,
    },
    Shown {
        name: "alliance",
        words: "alliance formed",
        colour: PALETTE[0],
        kind: Kind::Alliance,
    },
    Shown {
        name: "vassal",
        words: "vassal tie formed",
        colour: PALETTE[3],
        kind: Kind::Vassal,
    },
];

/// The legend's swatch for a shaded window (each is shaded in its kind's colour).
const SHADE_KEY: RGBColor = RGBColor(0xD9, 0xD9, 0xD9);
/// Opacity of a shaded window.
const SHADE: f64 = 0.16;

/// A dated window of a pattern on a pair's panel: the pattern's name, the kind drawn (an index
/// into [`KINDS`]) and its months as fractional years, `from` to the end of `to`.
#[derive(Debug, Clone, PartialEq)]
struct Mark {
    name: String,
    kind: usize,
    from: f64,
    to: f64,
}

/// The patterns of `scenarios/patterns/timeline.ron` as shipped.
fn timeline_patterns() -> Result<Vec<Pattern>, String> {
    PatternSet::parse(TIMELINE_FILE, TIMELINE_RON)
        .map(|set| set.patterns)
        .map_err(err)
}

/// The marks of `patterns` on the pair `a`–`b`: every top-level `Happens` of a kind drawn, with
/// a `Between` window, whose event names the pair (in either order).
fn marks(patterns: &[Pattern], a: &str, b: &str) -> Vec<Mark> {
    let mut out = Vec::new();
    for p in patterns {
        let Rule::Happens(h) = &p.rule else { continue };
        let Window::Between(w) = &h.window else { continue };
        let Some(kind) = KINDS.iter().position(|k| k.kind == h.event.kind) else {
            continue;
        };
        let (Some(x), Some(y)) = (h.event.a.as_deref(), h.event.b.as_deref()) else {
            continue;
        };
        if (x, y) == (a, b) || (y, x) == (a, b) {
            out.push(Mark {
                name: p.name.clone(),
                kind,
                from: year_of(w.from),
                to: year_of(w.to) + 1.0 / 12.0,
            });
        }
    }
    out
}

/// A pair's panel: its place in the summary, the probability of each kind (as [`KINDS`]) in
/// each year of the run, and its happenings (runs × years, all kinds).
struct Series {
    dyad: usize,
    by_kind: Vec<Vec<f64>>,
    total: u64,
}

/// The pairs with a happening of a kind drawn, most happenings first (ties in scenario order).
fn series(summary: &Summary, rows: &[HappeningRow]) -> Vec<Series> {
    let (y0, y1) = (summary.start.year(), summary.end.year());
    let years = (y1 - y0 + 1).max(0) as usize;
    let mut out = Vec::new();
    for (i, d) in summary.dyads.iter().enumerate() {
        let mut by_kind = vec![vec![0.0; years]; KINDS.len()];
        let mut total = 0;
        for r in rows
            .iter()
            .filter(|r| r.a == d.a && r.b == d.b && r.actor == "any")
        {
            let Some(k) = KINDS.iter().position(|k| k.name == r.kind) else {
                continue;
            };
            if r.year < y0 || r.year > y1 || r.runs == 0 {
                continue;
            }
            by_kind[k][(r.year - y0) as usize] = r.probability;
            total += r.runs;
        }
        if total > 0 {
            out.push(Series {
                dyad: i,
                by_kind,
                total,
            });
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.total));
    out
}

/// `timeline`: one panel per pair in which anything happened (the [`MAX_TIMELINE_PANELS`]
/// pairs with the most happenings; a note counts the others), with a step line per kind of
/// happening (a war begun, a truce broken, talks, a truce concluded, an alliance or a vassal tie
/// formed): the share of runs in which it came at least once in each calendar year, 0 in years
/// without a row of `events_by_year.csv` (its rows with actor `any`). The windows of the
/// top-level `Happens` rules of `scenarios/patterns/timeline.ron` (HISTORY.md's dated rows)
/// whose event names the pair are shaded in their kind's colour and labelled with the pattern's
/// name above the panel (in non-overlapping rows; those without room are counted in the
/// legend).
pub fn timeline(
    summary: &Summary,
    rows: &[HappeningRow],
    format: Format,
    opts: &ChartOptions,
) -> Result<Vec<u8>, ChartError> {
    let title = format!(
        "{}: probability of each happening by year ({} runs)",
        summary.scenario, summary.runs
    );
    render!(format, opts, "timeline", &title, |area| draw_timeline(
        area, summary, rows, opts
    ))
}

/// Size in points of the labels of marks.
const MARK_PT: f64 = 12.0;
/// Size in points of tick labels.
const TICK_PT: f64 = 13.0;

/// A mark's label for the layout: its text, kind and x in pixels of its panel.
struct MarkLabel {
    name: String,
    kind: usize,
    x: i32,
}

fn draw_timeline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    summary: &Summary,
    rows: &[HappeningRow],
    opts: &ChartOptions,
) -> Drawn {
    let patterns = timeline_patterns()?;
    let mut pairs = series(summary, rows);
    if pairs.is_empty() {
        let (w, h) = area.dim_in_pixel();
        let text = format!(
            "No war, talks, truce or tie in any pair in {} runs ({} .. {})",
            summary.runs, summary.start, summary.end
        );
        return area
            .draw(&Text::new(
                text,
                (w as i32 / 2, h as i32 / 2),
                centred(opts, 24.0),
            ))
            .map_err(err_dbg);
    }
    let left_out = pairs.len().saturating_sub(MAX_TIMELINE_PANELS);
    pairs.truncate(MAX_TIMELINE_PANELS);
    let (y0, y1) = (summary.start.year(), summary.end.year());
    let (x0, x1) = (f64::from(y0), f64::from(y1) + 1.0);
    // The marks of each pair shown that fall inside the run.
    let pair_marks: Vec<Vec<Mark>> = pairs
        .iter()
        .map(|s| {
            let d = &summary.dyads[s.dyad];
            marks(&patterns, &d.a, &d.b)
                .into_iter()
                .filter(|m| m.to > x0 && m.from < x1)
                .collect()
        })
        .collect();

    // The legend: a line per kind, then what the shading means.
    let (w, _) = area.dim_in_pixel();
    let (grid, legend) = area.split_horizontally(w - legend_width(opts, 28));
    let lines: Vec<(String, Key)> = KINDS
        .iter()
        .map(|k| {
            let stroke = Stroke {
                colour: k.colour,
                width: 2.5,
                dash: None,
            };
            (k.words.to_string(), Key::Line(stroke))
        })
        .collect();
    let y = legend_block(
        &legend,
        opts,
        opts.px(20.0) as i32,
        "Happened in the year",
        &lines,
    )?;
    let note_line = opts.font_px(15.0).round() as i32 + opts.px(6.0) as i32;
    let mut note_y = y;
    if pair_marks.iter().any(|m| !m.is_empty()) {
        let shaded = [("HISTORY.md: dated row".to_string(), Key::Fill(SHADE_KEY))];
        note_y = legend_block(&legend, opts, y + opts.px(10.0) as i32, "Shaded", &shaded)?;
        for note in ["(scenarios/patterns/timeline.ron)", "in the colour of its kind"] {
            legend_note(&legend, opts, note_y, note)?;
            note_y += note_line;
        }
    }

    // The axis descriptions, once for all panels: probability on the left, years below.
    let strip = (opts.font_px(15.0) * 1.8).round() as u32;
    let (gw, gh) = grid.dim_in_pixel();
    let (left, rest) = grid.split_horizontally(strip);
    let (panels_area, bottom) = rest.split_vertically(gh.saturating_sub(strip));
    left.draw(&Text::new(
        "Probability (share of runs)".to_string(),
        (strip as i32 / 2, (gh.saturating_sub(strip) / 2) as i32),
        centred(opts, 15.0).transform(FontTransform::Rotate270),
    ))
    .map_err(err_dbg)?;
    bottom
        .draw(&Text::new(
            "Year (CE)".to_string(),
            (((gw - strip) / 2) as i32, (strip / 2) as i32),
            centred(opts, 15.0),
        ))
        .map_err(err_dbg)?;

    let n = pairs.len();
    let (grid_rows, cols) = match n {
        1..=3 => (n, 1),
        4 => (2, 2),
        _ => (n.div_ceil(2), 2),
    };
    let panels = panels_area.split_evenly((grid_rows, cols));

    // First pass: captions, and the labels of each panel's marks laid out in rows above it.
    let line = opts.font_px(MARK_PT).round() as i32 + opts.px(5.0) as i32;
    let pad = opts.px(6.0) as i32;
    let mut below = Vec::new();
    let mut layouts = Vec::new();
    let mut unlabelled = 0;
    let mut used_rows = 0;
    for ((s, panel), mine) in pairs.iter().zip(&panels).zip(pair_marks) {
        let d = &summary.dyads[s.dyad];
        let plot = panel_caption(panel, opts, &pair_label(summary, d), "")?;
        let (pw, ph) = plot.dim_in_pixel();
        let cap = ((f64::from(ph) * 0.4 - f64::from(pad)) / f64::from(line)).floor();
        let cap = cap.clamp(0.0, 4.0) as usize;
        let mut labels: Vec<MarkLabel> = {
            // Where x falls in the panel: the same with or without the band above it.
            let chart = panel_chart(&plot, opts, x0..x1, 0)?;
            let base = plot.get_base_pixel().0;
            mine.iter()
                .map(|m| {
                    let mid = (m.from.max(x0) + m.to.min(x1)) / 2.0;
                    MarkLabel {
                        name: m.name.clone(),
                        kind: m.kind,
                        x: chart.plotting_area().map_coordinate(&(mid, 1.0)).0 - base,
                    }
                })
                .collect()
        };
        labels.sort_by_key(|l| l.x);
        let events: Vec<(&str, i32)> = labels.iter().map(|l| (l.name.as_str(), l.x)).collect();
        let (placed, skipped) = layout_labels(&events, cap, pw as i32, true, |l| {
            text_width(opts, MARK_PT, l.chars().count()) as i32 + pad
        });
        unlabelled += skipped;
        used_rows = used_rows.max(placed.iter().map(|p| p.row + 1).max().unwrap_or(0));
        let placed: Vec<(Placed, usize)> = placed
            .into_iter()
            .map(|p| {
                let kind = labels.iter().find(|l| l.name == p.label).map_or(0, |l| l.kind);
                (p, kind)
            })
            .collect();
        below.push((plot, mine));
        layouts.push(placed);
    }
    let band = if used_rows == 0 {
        0
    } else {
        used_rows as i32 * line + pad
    };

    // Second pass: each panel's shaded windows, lines and labels.
    let text = opts.font_px(MARK_PT).round() as i32;
    for ((s, (plot, mine)), placed) in pairs.iter().zip(&below).zip(&layouts) {
        let mut chart = panel_chart(plot, opts, x0..x1, band as u32)?;
        let y_tick = |v: &f64| {
            let t = format!("{v:.2}");
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        draw_axes(
            &mut chart,
            opts,
            Axis::new(8, &super::year_tick, ""),
            Axis::new(3, &y_tick, ""),
            Grid::Both,
            (TICK_PT, 13.0),
        )?;
        chart
            .draw_series(mine.iter().map(|m| {
                Rectangle::new(
                    [(m.from.max(x0), 0.0), (m.to.min(x1), 1.0)],
                    KINDS[m.kind].colour.mix(SHADE).filled(),
                )
            }))
            .map_err(err_dbg)?;
        // War last, on top.
        for (k, values) in s.by_kind.iter().enumerate().rev() {
            if values.iter().all(|&p| p == 0.0) {
                continue;
            }
            let steps = values.iter().enumerate().flat_map(|(i, &p)| {
                let x = x0 + i as f64;
                [(x, p), (x + 1.0, p)]
            });
            chart
                .draw_series(LineSeries::new(steps, KINDS[k].colour.stroke_width(opts.px(2.5))))
                .map_err(err_dbg)?;
        }
        let top = band + opts.px(4.0) as i32;
        for (p, kind) in placed {
            let y = band - (p.row as i32 + 1) * line;
            let colour = KINDS[*kind].colour;
            plot.draw(&Text::new(
                p.label.clone(),
                (p.left + p.width / 2, y),
                opts.font(MARK_PT)
                    .color(&colour)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err_dbg)?;
            plot.draw(&PathElement::new(
                [(p.x, y + text + 1), (p.x, top)],
                colour.stroke_width(opts.px(1.2)),
            ))
            .map_err(err_dbg)?;
        }
    }

    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let notes = [
        (
            unlabelled,
            format!("{unlabelled} mark{} unlabelled", plural(unlabelled)),
            "(no room)",
        ),
        (
            left_out,
            format!("{left_out} more pair{} not shown", plural(left_out)),
            "(see events_by_year.csv)",
        ),
    ];
    for (count, first, second) in notes {
        if count == 0 {
            continue;
        }
        note_y += opts.px(6.0) as i32;
        legend_note(&legend, opts, note_y, &first)?;
        legend_note(&legend, opts, note_y + note_line, second)?;
        note_y += 2 * note_line;
    }
    Ok(())
}

/// A panel's chart below its caption: years `x` along x, probability 0 to 1 up, with `band`
/// pixels above it for the labels of marks.
fn panel_chart<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    opts: &ChartOptions,
    x: std::ops::Range<f64>,
    band: u32,
) -> Result<Chart<'a, DB>, String> {
    ChartBuilder::on(plot)
        .margin(opts.px(8.0))
        .margin_top(band + opts.px(4.0))
        .x_label_area_size((opts.font_px(TICK_PT) * 1.3).round() as u32 + opts.px(8.0))
        .y_label_area_size(text_width(opts, TICK_PT, 3) + opts.px(10.0))
        .build_cartesian_2d(x, 0.0..1.0)
        .map_err(err_dbg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_timeline_marks_jin_and_song_in_either_order() {
        let patterns = timeline_patterns().unwrap();
        let names = |a, b| -> Vec<String> { marks(&patterns, a, b).into_iter().map(|m| m.name).collect() };
        let jin_song = names("jin", "song");
        assert_eq!(jin_song, names("song", "jin"));
        for name in [
            "alliance_at_sea",
            "jin_invades_1125",
            "jin_breaks_1140",
            "shaoxing_1141",
        ] {
            assert!(jin_song.iter().any(|n| n == name), "{name}: {jin_song:?}");
        }
        // After windows, WarEnds and rules under Not are not marks.
        for name in ["talks_at_first_siege", "truce_1126", "koryo_refuses_song"] {
            assert!(!jin_song.iter().any(|n| n == name), "{name}");
        }
        assert!(names("a", "b").is_empty());
    }

    #[test]
    fn rows_parse_and_bad_ones_name_their_line() {
        let ok = "a,b,year,kind,actor,runs,probability\njin,song,1125,war,any,3,0.3\n";
        let rows = parse_events_by_year(ok).unwrap();
        assert_eq!(rows[0].year, 1125);
        assert_eq!(rows[0].runs, 3);
        for (bad, why) in [
            ("jin,song,1125,war,any,x,0.3", "runs"),
            ("jin,song,11x,war,any,3,0.3", "year"),
            ("jin,song,1125,feud,any,3,0.3", "kind"),
            ("jin,song,1125,war,any,3,1.5", "probability"),
            ("jin,song,1125,war,any,3", "fields"),
        ] {
            let text = format!("{EVENTS_BY_YEAR_HEADER}\n{bad}\n");
            let e = parse_events_by_year(&text).unwrap_err();
            assert!(e.starts_with("line 2:") && e.contains(why), "{e}");
        }
    }
}
