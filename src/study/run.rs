//! `jinsong run`: war-onset probabilities of one scenario, written as `summary.json`,
//! `onset_curve.csv` and the terminal table.
//!
//! Everything here is computed from the integer counts of a [`Tally`], so the files are
//! byte-identical whatever the thread count. No timing or date of the run itself is written.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::calendar::Month;
use crate::model::Model;
use crate::scenario::Mechanisms;
use crate::stats::{wilson, Z95};
use std::ops::Range;

use super::{Finished, Study, StudyError, StudyKind};
use crate::batch::fold::Batch;
use crate::batch::tally::{DyadTally, Tally, KINDS, MOBILIZATION_UNIT};
use crate::batch::Counts;
use crate::engine::outcome::Deed;
use crate::scenario::Scenario;

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Runs.
    pub runs: u64,
    /// First month.
    pub start: Month,
    /// Last month.
    pub end: Month,
    /// Mechanism switches in force.
    pub mechanisms: Mechanisms,
    /// One entry per unordered pair, in scenario order.
    pub dyads: Vec<DyadSummary>,
    /// One entry per polity.
    pub polities: Vec<PolitySummary>,
    /// The numbers given as distributions, by path, as written: the probabilities above are
    /// predictive, averaged over them (absent without priors).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub priors: BTreeMap<String, String>,
    /// Where the priors were drawn from instead, when a finished posterior was given
    /// (`--posterior`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawn_from: Option<String>,
}

/// Results for one unordered pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DyadSummary {
    /// First polity id.
    pub a: String,
    /// Second polity id.
    pub b: String,
    /// Share of runs with a war onset in the pair by `end`.
    pub war_probability: f64,
    /// Wilson 95% interval of `war_probability`.
    pub ci95: [f64; 2],
    /// Median month of first onset among runs that had one (lower median), or null.
    pub median_onset: Option<Month>,
    /// Year → number of runs whose first onset fell in that year (years without onsets left out).
    pub onset_by_year: BTreeMap<String, u64>,
    /// Polity id → number of first onsets it started.
    pub initiator_counts: BTreeMap<String, u64>,
    /// Year → polity id → number of first onsets it started in that year (years without onsets
    /// left out). Absent from files written before it existed.
    #[serde(default)]
    pub initiator_by_year: BTreeMap<String, BTreeMap<String, u64>>,
    /// First onsets where the target's months with hostile acts in the 36 months before
    /// outnumbered the initiator's, every act counted (the agents' own and the scripted).
    pub provoked_first: u64,
    /// The same with the agents' own acts only (scripted acts left out).
    pub provoked_first_agents: u64,
    /// First onsets whose answer the scripted acts alone decide: `provoked` counts those
    /// provoked first with all acts but not with the agents' own only, `not_provoked` the
    /// reverse; `provoked_first = provoked_first_agents + provoked − not_provoked`.
    pub provoked_first_by_scripted: BTreeMap<String, u64>,
    /// Polity id → mean months with hostile acts against the other in the 36 months before the
    /// first onset (over runs with an onset), every act counted.
    pub hostile_acts_before_onset: BTreeMap<String, f64>,
    /// The same with the agents' own acts only.
    pub agent_acts_before_onset: BTreeMap<String, f64>,
    /// The same with the scripted acts only.
    pub scripted_acts_before_onset: BTreeMap<String, f64>,
    /// Polity id → mean hostile acts against the other per run (every act).
    pub hostile_acts_per_run: BTreeMap<String, f64>,
    /// Polity id → mean scripted hostile acts against the other per run (among those of
    /// `hostile_acts_per_run`).
    pub scripted_acts_per_run: BTreeMap<String, f64>,
    /// Polity id → mean mobilization at the first onset (over runs with an onset).
    pub mobilization_at_onset: BTreeMap<String, f64>,
    /// Polity id → first onsets at which it was not fully mobilized (below 0.99).
    pub unready_at_onset: BTreeMap<String, u64>,
    /// Mean number of wars begun per run (first onsets and breaches).
    pub wars_per_run: f64,
    /// Mean months at war per run.
    pub months_at_war_per_run: f64,
    /// Mean talks opened per run.
    pub talks_per_run: f64,
    /// Mean truces concluded per run.
    pub truces_per_run: f64,
    /// Mean truces broken per run.
    pub truces_broken_per_run: f64,
    /// Lord's id → runs in which the other became its vassal.
    pub vassalage: BTreeMap<String, u64>,
    /// Runs in which the pair allied.
    pub alliance_runs: u64,
    /// Year → kind of happening → who (a polity id, or `any`) → runs in which it happened at
    /// least once that year. The kinds are `war` (every war begun, by its initiator), `breach`
    /// (by the side that broke the truce), `talks` and `truce` (by the seeker), `ended` (a war
    /// ended by a side's end, by that side), `peace`, `alliance`, `vassal` (by the lord) and
    /// `tie_dissolved`; years without any are left out. Absent from files of earlier versions.
    #[serde(default)]
    pub happenings_by_year: BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>,
    /// Kind → who → happenings per run (breaches by the breaker, truces by the seeker, …).
    #[serde(default)]
    pub happenings_per_run: BTreeMap<String, BTreeMap<String, f64>>,
    /// How the wars begun in the runs ended: by a truce, by a side's end, or not within the
    /// run (`running_at_end`), as counts of wars.
    #[serde(default)]
    pub war_endings: BTreeMap<String, u64>,
}

/// Results for one polity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolitySummary {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Share of runs in which it ceased to exist.
    pub ceased_probability: f64,
    /// Wilson 95% interval.
    pub ci95: [f64; 2],
}

fn per_run(x: u64, runs: u64) -> f64 {
    if runs == 0 {
        0.0
    } else {
        x as f64 / runs as f64
    }
}

/// Who acted, for the tables of happenings: a side's polity id, or `any` (either side, or a
/// kind without an actor).
fn who(ids: &[&String; 2], w: usize) -> String {
    match w {
        0 | 1 => ids[w].clone(),
        _ => "any".to_string(),
    }
}

/// The counts `t.by_year` as (calendar year, kind, who, runs), leaving out zeros.
fn by_year<'t>(
    model: &'t Model,
    t: &'t DyadTally,
    ids: &'t [&String; 2],
) -> impl Iterator<Item = (i32, &'static str, String, u64)> + 't {
    t.by_year
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(move |(slot, &n)| {
            let (year, kind, w) = (slot / (KINDS * 3), slot / 3 % KINDS, slot % 3);
            (
                model.start.year() + year as i32,
                Deed::KINDS[kind],
                who(ids, w),
                n,
            )
        })
}

/// The `happenings_by_year` of a pair's counts `t` (see [`DyadSummary`]).
fn happenings_by_year(
    model: &Model,
    t: &DyadTally,
    ids: &[&String; 2],
) -> BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>> {
    let mut out: BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>> = BTreeMap::new();
    for (year, kind, w, n) in by_year(model, t, ids) {
        out.entry(year.to_string())
            .or_default()
            .entry(kind.to_string())
            .or_default()
            .insert(w, n);
    }
    out
}

/// `events_by_year.csv`: one row per pair, year, kind of happening and who (a polity id, or
/// `any`), with the runs in which it happened at least once that year and their share of all
/// runs. A tidy table for pandas and R.
pub fn events_by_year_csv(model: &Model, tally: &Tally) -> String {
    let mut out = String::from("a,b,year,kind,actor,runs,probability\n");
    for (&(a, b), t) in model.dyads.iter().zip(&tally.dyads) {
        let ids = [&model.ids[a], &model.ids[b]];
        for (year, kind, w, n) in by_year(model, t, &ids) {
            let _ = writeln!(
                out,
                "{},{},{year},{kind},{w},{n},{}",
                ids[0],
                ids[1],
                per_run(n, tally.runs)
            );
        }
    }
    out
}

/// Lower median month offset of first onsets, if any.
pub fn median_onset(t: &DyadTally) -> Option<u32> {
    if t.war_runs == 0 {
        return None;
    }
    let mut cum = 0;
    for (m, &c) in t.onsets_by_month.iter().enumerate() {
        cum += c;
        if 2 * cum >= t.war_runs {
            return Some(m as u32);
        }
    }
    None
}

impl Summary {
    /// Build the summary of `tally` for `model` under `seed`.
    pub fn new(model: &Model, seed: u64, tally: &Tally) -> Summary {
        let runs = tally.runs;
        let dyads = model
            .dyads
            .iter()
            .zip(&tally.dyads)
            .map(|(&(a, b), t)| {
                let ids = [&model.ids[a], &model.ids[b]];
                let by_side = |f: &dyn Fn(usize) -> f64| -> BTreeMap<String, f64> {
                    (0..2).map(|k| (ids[k].clone(), f(k))).collect()
                };
                let by_side_u = |v: [u64; 2]| -> BTreeMap<String, u64> {
                    (0..2).map(|k| (ids[k].clone(), v[k])).collect()
                };
                let mut onset_by_year = BTreeMap::new();
                for (m, &c) in t.onsets_by_month.iter().enumerate() {
                    if c > 0 {
                        *onset_by_year
                            .entry(model.month(m as u32).year().to_string())
                            .or_insert(0) += c;
                    }
                }
                let mut initiator_by_year: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
                for (m, c) in t.initiator_by_month.iter().enumerate() {
                    if c[0] + c[1] > 0 {
                        let year = initiator_by_year
                            .entry(model.month(m as u32).year().to_string())
                            .or_default();
                        for (id, n) in ids.iter().zip(c) {
                            *year.entry((*id).clone()).or_insert(0) += n;
                        }
                    }
                }
                let (lo, hi) = wilson(t.war_runs, runs, Z95);
                DyadSummary {
                    a: ids[0].clone(),
                    b: ids[1].clone(),
                    war_probability: per_run(t.war_runs, runs),
                    ci95: [lo, hi],
                    median_onset: median_onset(t).map(|m| model.month(m)),
                    onset_by_year,
                    initiator_counts: by_side_u(t.initiator),
                    initiator_by_year,
                    provoked_first: t.provoked_first,
                    provoked_first_agents: t.provoked_first_agents,
                    provoked_first_by_scripted: ["provoked", "not_provoked"]
                        .iter()
                        .zip(t.provoked_first_by_scripted)
                        .map(|(k, n)| (k.to_string(), n))
                        .collect(),
                    hostile_acts_before_onset: by_side(&|k| per_run(t.acts_before_onset[k], t.war_runs)),
                    agent_acts_before_onset: by_side(&|k| per_run(t.agent_acts_before_onset[k], t.war_runs)),
                    scripted_acts_before_onset: by_side(&|k| {
                        per_run(t.scripted_acts_before_onset[k], t.war_runs)
                    }),
                    hostile_acts_per_run: by_side(&|k| per_run(t.acts[k], runs)),
                    scripted_acts_per_run: by_side(&|k| per_run(t.scripted_acts[k], runs)),
                    mobilization_at_onset: by_side(&|k| {
                        per_run(t.mobilization_at_onset[k], t.war_runs) * MOBILIZATION_UNIT
                    }),
                    unready_at_onset: by_side_u(t.unready_at_onset),
                    wars_per_run: per_run(t.wars, runs),
                    months_at_war_per_run: per_run(t.months_at_war, runs),
                    talks_per_run: per_run(t.talks, runs),
                    truces_per_run: per_run(t.truces, runs),
                    truces_broken_per_run: per_run(t.truces_broken, runs),
                    vassalage: by_side_u(t.vassal_lord),
                    alliance_runs: t.alliance_runs,
                    happenings_by_year: happenings_by_year(model, t, &ids),
                    happenings_per_run: Deed::KINDS
                        .iter()
                        .enumerate()
                        .filter_map(|(kind, name)| {
                            let row: BTreeMap<String, f64> = (0..3)
                                .filter(|&w| t.acted.get(kind * 3 + w).is_some_and(|&x| x > 0))
                                .map(|w| (who(&ids, w), per_run(t.acted[kind * 3 + w], runs)))
                                .collect();
                            (!row.is_empty()).then(|| (name.to_string(), row))
                        })
                        .collect(),
                    war_endings: ["truce", "state_end", "running_at_end", "capitulation"]
                        .iter()
                        .zip(t.endings.into_iter().chain([t.capitulations]))
                        .map(|(k, n)| (k.to_string(), n))
                        .collect(),
                }
            })
            .collect();
        let polities = (0..model.n)
            .map(|i| {
                let (lo, hi) = wilson(tally.ceased[i], runs, Z95);
                PolitySummary {
                    id: model.ids[i].clone(),
                    name: model.names[i].clone(),
                    ceased_probability: per_run(tally.ceased[i], runs),
                    ci95: [lo, hi],
                }
            })
            .collect();
        Summary {
            scenario: model.name.clone(),
            seed,
            runs,
            start: model.start,
            end: model.month(model.months - 1),
            mechanisms: model.mechanisms,
            dyads,
            polities,
            priors: model
                .priors
                .iter()
                .map(|p| (p.path.clone(), p.dist.to_string()))
                .collect(),
            drawn_from: model.sample.as_ref().map(|s| s.from.clone()),
        }
    }

    /// `summary.json` text (pretty-printed, newline-terminated).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The table printed by `run`: pairs that fought in some run first, by probability.
    pub fn table(&self) -> String {
        let mut rows: Vec<&DyadSummary> = self.dyads.iter().collect();
        rows.sort_by(|x, y| y.war_probability.total_cmp(&x.war_probability));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<16} {:>18}  {:<17} {:<13} first strike",
            "pair",
            format!("P(war by {})", self.end),
            "95% CI (Wilson)",
            "median onset"
        );
        let mut quiet = Vec::new();
        for d in rows {
            let pair = format!("{}–{}", d.a, d.b);
            if d.war_probability == 0.0 {
                quiet.push(pair);
                continue;
            }
            let total: u64 = d.initiator_counts.values().sum();
            let shares: Vec<String> = [&d.a, &d.b]
                .iter()
                .map(|id| {
                    let c = d.initiator_counts.get(*id).copied().unwrap_or(0);
                    format!("{id} {:.1}%", 100.0 * per_run(c, total))
                })
                .collect();
            let _ = writeln!(
                out,
                "{:<16} {:>18.4}  [{:.4}, {:.4}]  {:<13} {}",
                pair,
                d.war_probability,
                d.ci95[0],
                d.ci95[1],
                d.median_onset
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "-".into()),
                shares.join(" · ")
            );
        }
        if !quiet.is_empty() {
            let _ = writeln!(out, "no war in any of {} runs: {}", self.runs, quiet.join(", "));
        }
        self.provoked_lines(&mut out);
        self.history_table(&mut out);
        out
    }

    /// Who provoked first, per pair whose first onsets had acts before them: with all acts and
    /// with the agents' own only, and how many answers the scripted acts alone decide.
    fn provoked_lines(&self, out: &mut String) {
        let mut rows: Vec<&DyadSummary> = self
            .dyads
            .iter()
            .filter(|d| d.hostile_acts_before_onset.values().any(|&x| x > 0.0))
            .collect();
        rows.sort_by(|x, y| y.war_probability.total_cmp(&x.war_probability));
        for d in rows {
            let onsets: u64 = d.initiator_counts.values().sum();
            let by = |k: &str| d.provoked_first_by_scripted.get(k).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "provoked first {}–{}: {} of {onsets} onsets ({:.1}%) with all acts, {} ({:.1}%) with \
                 the agents' own only; scripted acts alone decide {} provoked, {} not",
                d.a,
                d.b,
                d.provoked_first,
                100.0 * per_run(d.provoked_first, onsets),
                d.provoked_first_agents,
                100.0 * per_run(d.provoked_first_agents, onsets),
                by("provoked"),
                by("not_provoked")
            );
        }
    }

    /// The whole history per pair that fought or tied: wars and months at war per run, truces
    /// and breaches (by the breaker), ties, and how the wars ended.
    fn history_table(&self, out: &mut String) {
        let mut rows: Vec<&DyadSummary> = self
            .dyads
            .iter()
            .filter(|d| !d.happenings_per_run.is_empty())
            .collect();
        if rows.is_empty() {
            return;
        }
        rows.sort_by(|x, y| y.wars_per_run.total_cmp(&x.wars_per_run));
        let _ = writeln!(
            out,
            "{:<16} {:>8} {:>10} {:>7}  {:<22} {:<18} wars ended: truce · capitulation · state's end · running",
            "per run", "wars", "months war", "truces", "breaches by", "ties (alliance/vassal)"
        );
        let of = |d: &DyadSummary, kind: &str, who: &str| {
            d.happenings_per_run
                .get(kind)
                .and_then(|m| m.get(who))
                .copied()
                .unwrap_or(0.0)
        };
        for d in rows {
            let breaches = format!(
                "{} {:.2} · {} {:.2}",
                d.a,
                of(d, "breach", &d.a),
                d.b,
                of(d, "breach", &d.b)
            );
            let vassal = of(d, "vassal", &d.a) + of(d, "vassal", &d.b);
            let ties = format!("{:.2}/{:.2}", of(d, "alliance", "any"), vassal);
            let ended: u64 = d.war_endings.values().sum();
            let pct = |k: &str| 100.0 * per_run(d.war_endings.get(k).copied().unwrap_or(0), ended);
            let _ = writeln!(
                out,
                "{:<16} {:>8.2} {:>10.1} {:>7.2}  {:<22} {:<18} {:.0}% · {:.0}% · {:.0}% · {:.0}%",
                format!("{}–{}", d.a, d.b),
                d.wars_per_run,
                d.months_at_war_per_run,
                d.truces_per_run,
                breaches,
                ties,
                pct("truce"),
                pct("capitulation"),
                pct("state_end"),
                pct("running_at_end")
            );
        }
    }
}

/// `onset_curve.csv`: one row per pair and month, the cumulative probability of a first onset
/// by the end of that month with its Wilson 95% interval.
pub fn onset_curve_csv(model: &Model, tally: &Tally) -> String {
    let mut out = String::from("a,b,month,onsets,cumulative_probability,ci_low,ci_high\n");
    for (&(a, b), t) in model.dyads.iter().zip(&tally.dyads) {
        let mut cum = 0;
        for (m, &c) in t.onsets_by_month.iter().enumerate() {
            cum += c;
            let (lo, hi) = wilson(cum, tally.runs, Z95);
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{}",
                model.ids[a],
                model.ids[b],
                model.month(m as u32),
                c,
                per_run(cum, tally.runs),
                lo,
                hi
            );
        }
    }
    out
}

/// What a `run` part or checkpoint keeps besides its counts: enough to finish without the
/// scenario files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSettings {
    /// Runs of the whole batch (all shards).
    pub runs: u64,
    /// The scenario after overrides.
    pub scenario: Scenario,
}

settings_scenarios!(RunSettings, scenario);

/// `jinsong run` as a [`Study`]: its work items are runs, its counts a [`Tally`].
#[derive(Debug)]
pub struct RunStudy {
    settings: RunSettings,
    seed: u64,
    model: Model,
}

impl Counts for Tally {
    fn merge(&mut self, other: &Tally) {
        Tally::merge(self, other);
    }
}

impl Study for RunStudy {
    const KIND: StudyKind = StudyKind::Run;
    type Settings = RunSettings;
    type Counts = Tally;

    fn new(settings: RunSettings, seed: u64) -> Result<RunStudy, StudyError> {
        let model = Model::compile(&settings.scenario);
        Ok(RunStudy {
            settings,
            seed,
            model,
        })
    }

    study_of_runs!(RunSettings);

    fn empty(&self) -> Tally {
        Tally::new(&self.model)
    }

    fn fits(&self, tally: &Tally, items: Range<u64>) -> Result<(), String> {
        tally.verify(&self.model, items.end - items.start)
    }

    fn count(
        &self,
        items: Range<u64>,
        tally: &mut Tally,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), StudyError> {
        let batch = Batch {
            model: &self.model,
            seed: self.seed(),
            first_run: items.start,
            runs: items.end - items.start,
        };
        tally.merge(&batch.run(progress));
        Ok(())
    }

    fn finish(&self, tally: Tally) -> Result<Finished, StudyError> {
        let summary = Summary::new(&self.model, self.seed(), &tally);
        let head = format!(
            "{}: {} runs, seed {}, {} .. {}\n{}",
            summary.scenario,
            tally.runs,
            self.seed(),
            summary.start,
            summary.end,
            summary.table()
        );
        Ok(Finished {
            files: vec![
                ("summary.json".into(), summary.to_json().into_bytes()),
                (
                    "onset_curve.csv".into(),
                    onset_curve_csv(&self.model, &tally).into_bytes(),
                ),
                (
                    "events_by_year.csv".into(),
                    events_by_year_csv(&self.model, &tally).into_bytes(),
                ),
            ],
            head,
            wrote: "summary.json, onset_curve.csv and events_by_year.csv".into(),
            variant: None,
        })
    }
}
