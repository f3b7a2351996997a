//! What the result files that `plot` reads imply about each other, checked before anything is
//! drawn: counts against runs, curves against the summaries they come from, values against the
//! ranges the model keeps them in, posterior draws against their priors. Each check returns the
//! one-line reason a file is refused (the caller names the file).
//!
//! What no file records cannot be checked: a curve or table of another batch whose counts are
//! all the same as this one's (`onset_curve.csv`, `compare_curves.csv`, `sweep.csv` carry no
//! seed or scenario), which run of which seed a `trace.csv` tells, the range a `Normal` prior is
//! truncated to (a posterior value of one is checked to be finite only), and whether a bootstrap
//! interval is the one its seed gives.

use std::collections::BTreeMap;

use super::compare::CompareCurveRow;
use super::posterior::{PosteriorReport, SampleRow};
use super::trace::TraceRow;
use super::CurveRow;
use crate::calendar::Month;
use crate::scenario::prior::Distribution;
use crate::study::compare::Comparison;
use crate::study::run::Summary;

/// `Err(message)` when `bad`.
fn refuse(bad: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    match bad {
        true => Err(message()),
        false => Ok(()),
    }
}

/// Whether `share` is `hits / runs` (as the commands compute it, up to rounding).
pub(crate) fn is_share(share: f64, hits: u64, runs: u64) -> bool {
    runs > 0 && (share - hits as f64 / runs as f64).abs() <= 1e-9
}

/// The months `first ..= last`, in order.
fn months(first: Month, last: Month) -> Vec<Month> {
    let n = first.months_until(last).max(-1) + 1;
    (0..n).map(|k| first.plus(k as u32)).collect()
}

/// `onset_curve.csv` against `summary.json`: every pair of the summary, month by month over its
/// span; each month's cumulative probability the onsets so far over the summary's runs, inside
/// its interval; each year's onsets the summary's `onset_by_year`, all of them its
/// `war_probability`, the lower median month its `median_onset`. A curve of another run (or
/// another seed) with the same pairs is refused here.
pub(crate) fn run_curve(summary: &Summary, rows: &[CurveRow]) -> Result<(), String> {
    let span = months(summary.start, summary.end);
    let runs = summary.runs;
    for d in &summary.dyads {
        let pair = format!("pair {}–{}", d.a, d.b);
        let mine: Vec<&CurveRow> = rows.iter().filter(|r| r.a == d.a && r.b == d.b).collect();
        refuse(mine.len() != span.len(), || {
            format!(
                "{pair}: {} months, but summary.json spans {} ({} .. {})",
                mine.len(),
                span.len(),
                summary.start,
                summary.end
            )
        })?;
        let mut so_far = 0u64;
        let mut by_year: BTreeMap<i32, u64> = BTreeMap::new();
        let mut median = None;
        let total: u64 = d.onset_by_year.values().sum();
        for (r, &month) in mine.iter().zip(&span) {
            refuse(r.month != month, || {
                format!(
                    "{pair}: month {} where {month} was due (months in order, none missing)",
                    r.month
                )
            })?;
            so_far = so_far.saturating_add(r.onsets);
            refuse(so_far > runs, || {
                format!("{pair}: {so_far} first onsets by {month} in {runs} runs (summary.json)")
            })?;
            refuse(!is_share(r.cumulative_probability, so_far, runs), || {
                format!(
                    "{pair}: cumulative_probability {} at {month} is not {so_far} onsets / {runs} runs of summary.json (are the files from the same run?)",
                    r.cumulative_probability
                )
            })?;
            refuse(
                !(r.ci_low <= r.cumulative_probability && r.cumulative_probability <= r.ci_high),
                || {
                    format!(
                        "{pair}: cumulative_probability {} at {month} lies outside its interval [{}, {}]",
                        r.cumulative_probability, r.ci_low, r.ci_high
                    )
                },
            )?;
            if r.onsets > 0 {
                *by_year.entry(month.year()).or_default() += r.onsets;
            }
            if median.is_none() && total > 0 && so_far > (total - 1) / 2 {
                median = Some(month);
            }
        }
        let onset_by_year: BTreeMap<i32, u64> = d
            .onset_by_year
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(y, &n)| (y.parse().unwrap_or(i32::MIN), n))
            .collect();
        refuse(by_year != onset_by_year, || {
            format!("{pair}: the onsets by year differ from summary.json's onset_by_year (are the files from the same run?)")
        })?;
        refuse(median != d.median_onset, || {
            format!(
                "{pair}: the curve's median onset {} is not summary.json's {}",
                median.map_or("none".into(), |m| m.to_string()),
                d.median_onset.map_or("none".into(), |m| m.to_string())
            )
        })?;
    }
    Ok(())
}

/// `compare_curves.csv` against `compare.json`: each scenario's curve over consecutive months,
/// its cumulative probability the onsets so far over one number of runs for every scenario
/// (`compare.json` does not record it: the first month with an onset tells it), equal to the
/// scenario's probability at `by`.
pub(crate) fn compare_curves(c: &Comparison, rows: &[CompareCurveRow]) -> Result<(), String> {
    // The curves, scenario by scenario in compare.json's order: a new one begins where the
    // scenario's name changes or the months begin again.
    let mut blocks: Vec<&[CompareCurveRow]> = Vec::new();
    let mut begin = 0;
    for k in 1..=rows.len() {
        if k == rows.len() || rows[k].scenario != rows[k - 1].scenario || rows[k].month <= rows[k - 1].month {
            blocks.push(&rows[begin..k]);
            begin = k;
        }
    }
    refuse(blocks.len() != c.scenarios.len(), || {
        format!(
            "{} curves for the {} scenarios of compare.json (are the files from the same comparison?)",
            blocks.len(),
            c.scenarios.len()
        )
    })?;
    let mut runs: Option<u64> = None;
    for (block, s) in blocks.iter().zip(&c.scenarios) {
        let scenario = crate::text::quote(&s.scenario);
        let mut so_far = 0u64;
        let mut last: Option<Month> = None;
        for r in block.iter() {
            refuse(r.scenario != s.scenario, || {
                format!(
                    "the curve of scenario {scenario} is named {} (are the files from the same comparison?)",
                    crate::text::quote(&r.scenario)
                )
            })?;
            if let Some(m) = last {
                refuse(m.plus(1) != r.month, || {
                    format!(
                        "scenario {scenario}: month {} follows {m} (months in order, none missing)",
                        r.month
                    )
                })?;
            }
            last = Some(r.month);
            so_far = so_far.saturating_add(r.onsets);
            let p = r.cumulative_probability;
            if so_far > 0 && p > 0.0 && runs.is_none() {
                runs = Some((so_far as f64 / p).round() as u64);
            }
            let fits = match (so_far, runs) {
                (0, _) => p == 0.0,
                (_, Some(n)) => is_share(p, so_far, n),
                (_, None) => false,
            };
            refuse(!fits, || {
                format!(
                    "scenario {scenario}: cumulative_probability {p} at {} is not {so_far} onsets / {} runs (are the files from the same comparison?)",
                    r.month,
                    runs.map_or("the".into(), |n| n.to_string())
                )
            })?;
        }
        let at_by = block
            .iter()
            .find(|r| r.month == c.by)
            .map(|r| r.cumulative_probability);
        refuse(at_by.is_none_or(|p| (s.probability - p).abs() > 1e-9), || {
            format!(
                "scenario {scenario}: the curve at {} is not compare.json's probability {} (are the files from the same comparison?)",
                c.by, s.probability
            )
        })?;
    }
    Ok(())
}

/// `trace.csv`: fear finite and not negative, trust and mobilization in [0, 1] (the model keeps
/// them there).
pub(crate) fn trace(rows: &[TraceRow]) -> Result<(), String> {
    for r in rows {
        let at = format!(
            "{} {} of {}",
            r.month,
            crate::text::clip(&r.polity),
            crate::text::clip(&r.other)
        );
        refuse(r.fear < 0.0, || format!("{at}: fear {} is negative", r.fear))?;
        for (name, x) in [("trust", r.trust), ("mobilization", r.mobilization)] {
            refuse(!(0.0..=1.0).contains(&x), || {
                format!("{at}: {name} {x} is not in [0, 1]")
            })?;
        }
    }
    Ok(())
}

/// Rounding allowed at the ends of a prior's support (a value drawn as `exp` of a uniform).
const SUPPORT_SLACK: f64 = 1e-9;

/// `posterior_sample.csv` against `posterior.json`: every value inside the support of its
/// parameter's prior (one of the values of a `Choice`), every draw of a reading from one run and
/// no run drawn twice.
pub(crate) fn posterior_values(report: &PosteriorReport, rows: &[SampleRow]) -> Result<(), String> {
    let mut priors: BTreeMap<(&str, &str), Distribution> = BTreeMap::new();
    for r in &report.readings {
        for q in &r.parameters {
            let d = match Distribution::parse(&q.prior) {
                Some(Ok(d)) if d.problem().is_none() => d,
                _ => {
                    return Err(format!(
                        "reading {}: {}: prior {} is not a distribution jinsong takes",
                        crate::text::quote(&r.scenario),
                        crate::text::quote(&q.path),
                        crate::text::quote(&q.prior)
                    ))
                }
            };
            priors.insert((&r.scenario, &q.path), d);
        }
    }
    let mut run_of: BTreeMap<(&str, u64), u64> = BTreeMap::new();
    let mut draw_of: BTreeMap<(&str, u64), u64> = BTreeMap::new();
    for row in rows {
        let at = format!(
            "reading {}: draw {}: {}",
            crate::text::quote(&row.scenario),
            row.draw,
            crate::text::quote(&row.path)
        );
        if let Some(d) = priors.get(&(row.scenario.as_str(), row.path.as_str())) {
            let (lo, hi) = d.support();
            let slack = SUPPORT_SLACK * lo.abs().max(hi.abs()).max(1.0);
            let inside = match d {
                Distribution::Choice(v) => v
                    .iter()
                    .any(|&c| (c - row.value).abs() <= SUPPORT_SLACK * c.abs().max(1.0)),
                _ => row.value >= lo - slack && row.value <= hi + slack,
            };
            refuse(!inside, || {
                format!("{at}: value {} lies outside its prior {d}", row.value)
            })?;
        }
        let run = *run_of.entry((&row.scenario, row.draw)).or_insert(row.run);
        refuse(run != row.run, || {
            format!(
                "{at}: run {}, but the draw's other values come from run {run}",
                row.run
            )
        })?;
        let draw = *draw_of.entry((&row.scenario, row.run)).or_insert(row.draw);
        refuse(draw != row.draw, || {
            format!(
                "{at}: run {} is drawn twice (draws {draw} and {})",
                row.run, row.draw
            )
        })?;
    }
    Ok(())
}
