//! Checks of result files read back (by `jinsong plot`): a file that is valid JSON but
//! nonsense (no scenario, a probability outside 0..1, an interval that does not hold its
//! estimate, a year outside the span, more onsets than runs) or that contradicts itself (a rate
//! that is no whole number of runs, Shapley values that do not add up to all_on − all_off,
//! initiators that do not add up to the onsets, a joint match above a pattern's, a difference
//! that is not the probabilities', a Sobol index outside its estimator's bounds) is refused with
//! what is wrong, before anything is drawn or written. The checks across files are in
//! `charts::invariants`.

use super::attribute::Attribution;
use super::compare::Comparison;
use super::run::Summary;
use super::score::ScoreReport;
use super::sensitivity::Sensitivity;

/// A result file that can be checked once read back.
pub trait Checked {
    /// Whether it is one the command that writes it can write (see the module docs).
    fn check(&self) -> Result<(), String>;
}

macro_rules! checked {
    ($($t:ty),*) => {
        $(impl Checked for $t {
            fn check(&self) -> Result<(), String> {
                <$t>::check(self)
            }
        })*
    };
}
checked!(Summary, ScoreReport, Comparison, Attribution, Sensitivity);

/// `Err` naming `what` unless `0 ≤ lo ≤ p ≤ hi ≤ 1` (all finite).
fn probability(what: &str, p: f64, [lo, hi]: [f64; 2]) -> Result<(), String> {
    let ok = [p, lo, hi].iter().all(|x| x.is_finite()) && 0.0 <= lo && lo <= p && p <= hi && hi <= 1.0;
    match ok {
        true => Ok(()),
        false => Err(format!(
            "{what}: {p} with interval [{lo}, {hi}] is not a probability inside its interval"
        )),
    }
}

/// `Err` naming `what` unless `value` is finite and in `lo ..= hi`.
fn within(what: &str, value: f64, lo: f64, hi: f64) -> Result<(), String> {
    match value.is_finite() && (lo..=hi).contains(&value) {
        true => Ok(()),
        false => Err(format!("{what}: {value} is out of range ({lo} ..= {hi})")),
    }
}

/// `Err` naming `what` unless `rate · runs` is a whole number of runs (rates are counts over runs).
fn whole(what: &str, rate: f64, runs: u64) -> Result<(), String> {
    let n = rate * runs as f64;
    refuse(
        (n - n.round()).abs() > 1e-6 * (runs as f64).max(1.0).sqrt(),
        || format!("{what}: {rate} is no whole number of runs out of {runs}"),
    )
}

/// `Err(message)` when `bad`.
fn refuse(bad: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    match bad {
        true => Err(message()),
        false => Ok(()),
    }
}

impl Summary {
    /// Whether this summary (read from `summary.json`) is one a run can write: see the module
    /// docs.
    pub fn check(&self) -> Result<(), String> {
        refuse(self.runs == 0, || "runs: 0 (a batch has at least one run)".into())?;
        refuse(self.end < self.start, || {
            format!("end {} is before start {}", self.end, self.start)
        })?;
        refuse(self.dyads.is_empty(), || {
            "dyads: none (a scenario has at least two polities)".into()
        })?;
        let years = self.start.year()..=self.end.year();
        for d in &self.dyads {
            let pair = format!("dyads {}–{}", d.a, d.b);
            probability(&format!("{pair}: war_probability"), d.war_probability, d.ci95)?;
            for year in d.onset_by_year.keys().chain(d.initiator_by_year.keys()) {
                let y: i32 = year
                    .parse()
                    .map_err(|_| format!("{pair}: `{year}` is not a year"))?;
                refuse(!years.contains(&y), || {
                    format!("{pair}: year {y} lies outside {} .. {}", self.start, self.end)
                })?;
            }
            let onsets: u64 = d.onset_by_year.values().sum();
            refuse(onsets > self.runs, || {
                format!("{pair}: {onsets} first onsets in {} runs", self.runs)
            })?;
            let expected = d.war_probability * self.runs as f64;
            refuse((onsets as f64 - expected).abs() > 0.5, || {
                format!("{pair}: onset_by_year counts {onsets} onsets, war_probability says {expected}")
            })?;
            let started: u64 = d.initiator_counts.values().sum();
            refuse(started != onsets, || {
                format!("{pair}: {started} initiators for {onsets} first onsets")
            })?;
            if let Some(m) = d.median_onset {
                refuse(m < self.start || m > self.end, || {
                    format!("{pair}: median onset {m} outside the span")
                })?;
            }
        }
        for p in &self.polities {
            probability(
                &format!("polities {}: ceased_probability", p.id),
                p.ceased_probability,
                p.ci95,
            )?;
        }
        Ok(())
    }
}

impl ScoreReport {
    /// Whether this report (read from `scores.json`) is one `score` can write.
    pub fn check(&self) -> Result<(), String> {
        refuse(self.scenarios.is_empty(), || "scenarios: none".into())?;
        refuse(self.patterns.is_empty(), || "patterns: none".into())?;
        for s in &self.scenarios {
            refuse(s.runs == 0, || format!("scenario {}: 0 runs", s.scenario))?;
            refuse(s.patterns.0.len() != self.patterns.len(), || {
                format!(
                    "scenario {}: {} pattern rates for {} patterns",
                    s.scenario,
                    s.patterns.0.len(),
                    self.patterns.len()
                )
            })?;
            for (name, r) in s
                .patterns
                .0
                .iter()
                .chain(std::iter::once(&("joint".to_string(), s.joint)))
            {
                probability(&format!("scenario {}: {name}", s.scenario), r.rate, r.ci95)?;
                whole(&format!("scenario {}: {name}", s.scenario), r.rate, s.runs)?;
                // Runs that match every pattern match each one (and each file's joint).
                refuse(s.joint.rate > r.rate + 1e-12, || {
                    format!(
                        "scenario {}: joint {} is above {name}'s {} (runs that match all patterns match each)",
                        s.scenario, s.joint.rate, r.rate
                    )
                })?;
            }
            for f in &s.files {
                probability(
                    &format!("scenario {}: joint of {}", s.scenario, f.file),
                    f.joint.rate,
                    f.joint.ci95,
                )?;
                whole(
                    &format!("scenario {}: joint of {}", s.scenario, f.file),
                    f.joint.rate,
                    s.runs,
                )?;
                refuse(s.joint.rate > f.joint.rate + 1e-12, || {
                    format!(
                        "scenario {}: joint {} is above the joint {} of {}",
                        s.scenario, s.joint.rate, f.joint.rate, f.file
                    )
                })?;
            }
        }
        Ok(())
    }
}

impl Comparison {
    /// Whether this comparison (read from `compare.json`) is one `compare` can write.
    pub fn check(&self) -> Result<(), String> {
        refuse(self.scenarios.is_empty(), || "scenarios: none".into())?;
        for s in &self.scenarios {
            probability(&format!("scenario {}", s.scenario), s.probability, s.ci95)?;
        }
        refuse(self.differences.len() + 1 != self.scenarios.len(), || {
            format!(
                "{} differences for {} scenarios",
                self.differences.len(),
                self.scenarios.len()
            )
        })?;
        for (d, s) in self.differences.iter().zip(&self.scenarios[1..]) {
            refuse(d.scenario != s.scenario, || {
                format!("difference {}: scenario {} is due there", d.scenario, s.scenario)
            })?;
            let gap = s.probability - self.scenarios[0].probability;
            refuse((d.difference - gap).abs() > 1e-9, || {
                format!(
                    "difference {}: {} is not its probability {} less the first's {}",
                    d.scenario, d.difference, s.probability, self.scenarios[0].probability
                )
            })?;
            let [lo, hi] = d.ci95;
            refuse(!(lo <= d.difference && d.difference <= hi), || {
                format!("difference {}: outside its interval", d.scenario)
            })?;
            within(&format!("difference {}", d.scenario), d.difference, -1.0, 1.0)?;
            within(
                &format!("difference {}: p_value", d.scenario),
                d.p_value,
                0.0,
                1.0,
            )?;
        }
        Ok(())
    }
}

impl Attribution {
    /// Whether this attribution (read from `attribution.json`) is one `attribute` can write.
    pub fn check(&self) -> Result<(), String> {
        refuse(self.mechanisms.is_empty(), || "mechanisms: none".into())?;
        probability("all_on", self.all_on.probability, self.all_on.ci95)?;
        probability("all_off", self.all_off.probability, self.all_off.ci95)?;
        for m in &self.mechanisms {
            within(&format!("mechanism {}", m.mechanism), m.shapley, -1.0, 1.0)?;
            let [lo, hi] = m.ci95;
            within(&format!("mechanism {}: interval", m.mechanism), lo, -1.0, 1.0)?;
            within(&format!("mechanism {}: interval", m.mechanism), hi, lo, 1.0)?;
        }
        // Efficiency: the Shapley values add up to all_on less all_off.
        let sum: f64 = self.mechanisms.iter().map(|m| m.shapley).sum();
        let gap = self.all_on.probability - self.all_off.probability;
        refuse((sum - gap).abs() > 1e-9 * self.mechanisms.len() as f64, || {
            format!(
                "the Shapley values add up to {sum}, but all_on less all_off is {gap} (they add up to it exactly)"
            )
        })?;
        // The first onsets all on: all_on's count, split among initiators and provocations.
        let onsets = self.initiators.onsets;
        refuse((onsets == 0) != (self.all_on.probability == 0.0), || {
            format!(
                "initiators: {onsets} first onsets, but all_on's probability is {}",
                self.all_on.probability
            )
        })?;
        if onsets > 0 {
            let runs = (onsets as f64 / self.all_on.probability).round() as u64;
            whole("all_off", self.all_off.probability, runs)?;
        }
        let shares =
            |what: &str, total: u64, by: &std::collections::BTreeMap<String, super::attribute::Share>| {
                let counted: u64 = by.values().map(|x| x.count).sum();
                refuse(counted != total, || {
                    format!("{what}: the counts add up to {counted}, not {total}")
                })?;
                for (id, x) in by {
                    let want = (total > 0).then(|| x.count as f64 / total as f64);
                    refuse(
                        x.share.is_some() != want.is_some()
                            || x.share.zip(want).is_some_and(|(a, b)| (a - b).abs() > 1e-9),
                        || format!("{what} {id}: share {:?} is not {} / {total}", x.share, x.count),
                    )?;
                }
                Ok::<(), String>(())
            };
        shares("initiators", onsets, &self.initiators.by_polity)?;
        let p = &self.provoked_first;
        refuse(p.onsets != onsets || p.count > onsets, || {
            format!(
                "provoked_first: {} of {} onsets, but initiators has {onsets}",
                p.count, p.onsets
            )
        })?;
        let provoked: u64 = p.by_initiator.values().map(|x| x.count).sum();
        refuse(provoked != p.count, || {
            format!(
                "provoked_first: by_initiator adds up to {provoked}, not {}",
                p.count
            )
        })?;
        for (id, x) in &p.by_initiator {
            let struck = self.initiators.by_polity.get(id).map_or(0, |s| s.count);
            refuse(x.count > struck, || {
                format!(
                    "provoked_first {id}: {} provoked of the {struck} first onsets it began",
                    x.count
                )
            })?;
        }
        if let Some(a) = &p.agents {
            let by = |k: &str| a.by_scripted.get(k).copied().unwrap_or(0);
            let (gained, lost) = (by("provoked"), by("not_provoked"));
            refuse(
                a.count > onsets
                    || gained > p.count
                    || lost > a.count
                    || u128::from(p.count) + u128::from(lost) != u128::from(a.count) + u128::from(gained),
                || {
                    format!(
                        "provoked_first.agents: {} of {onsets} onsets, with {gained} provoked and {lost} not \
                         by scripted acts alone, does not give provoked_first's {}",
                        a.count, p.count
                    )
                },
            )?;
        }
        Ok(())
    }
}

impl Sensitivity {
    /// Whether this analysis (read from `sensitivity.json`) is one `sensitivity` can write.
    pub fn check(&self) -> Result<(), String> {
        refuse(self.parameters.is_empty(), || "parameters: none".into())?;
        refuse(self.samples < 2 || self.runs == 0, || {
            "samples and runs must be positive".into()
        })?;
        refuse(
            self.evaluations != self.samples * (self.parameters.len() + 2),
            || {
                format!(
                    "{} evaluations for {} samples of {} parameters",
                    self.evaluations,
                    self.samples,
                    self.parameters.len()
                )
            },
        )?;
        within("outcome_mean", self.outcome_mean, 0.0, 1.0)?;
        within("outcome_variance", self.outcome_variance, 0.0, 0.25)?;
        let (mean, var) = (self.outcome_mean, self.outcome_variance);
        // Outcomes in [0, 1] have a variance of at most mean · (1 − mean).
        refuse(var > mean * (1.0 - mean) + 1e-12, || {
            format!("outcome_variance {var} is above mean · (1 − mean) for the mean {mean}")
        })?;
        // The estimators' own bounds for outcomes in [0, 1]: 0 ≤ ST ≤ 1 / (2V) (Jansen), and
        // |S| ≤ 2·√ST (Cauchy–Schwarz on the Saltelli estimator); both 0 when V is 0.
        let slack = 1e-9;
        for p in &self.parameters {
            for (what, x, [lo, hi]) in [
                ("first order", p.first_order, p.first_order_ci95),
                ("total", p.total, p.total_ci95),
            ] {
                refuse(
                    !x.is_finite() || !lo.is_finite() || !hi.is_finite() || lo > hi,
                    || {
                        format!(
                            "{}: {what} index {x} with interval [{lo}, {hi}] is not a number and an interval",
                            p.path
                        )
                    },
                )?;
            }
            refuse(p.total_ci95[0] < -slack, || {
                format!(
                    "{}: the total index's interval begins below 0 ({})",
                    p.path, p.total_ci95[0]
                )
            })?;
            let most = match var > 0.0 {
                true => 1.0 / (2.0 * var),
                false => 0.0,
            };
            refuse(p.total < -slack || p.total > most * (1.0 + slack) + slack, || {
                format!(
                    "{}: total index {} is outside 0 ..= {most} (1 / (2 · outcome_variance))",
                    p.path, p.total
                )
            })?;
            let first = 2.0 * p.total.max(0.0).sqrt();
            refuse(p.first_order.abs() > first * (1.0 + slack) + slack, || {
                format!(
                    "{}: first-order index {} is outside ±{first} (2·√total)",
                    p.path, p.first_order
                )
            })?;
        }
        Ok(())
    }
}
