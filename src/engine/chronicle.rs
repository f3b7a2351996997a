//! `trace`: one run told as a dated chronicle in plain words, with its monthly state.
//!
//! The [`Chronicle`] is an [`Observer`] of the very engine that batch runs use, so run *R* of
//! `trace` is run *R* of `run`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::calendar::Month;
use crate::engine::outcome::{Acts, Deed, DyadOutcome, RunOutcome, NEVER};
use crate::engine::{Happening, Observer, Workspace, ACTS_WINDOW_MONTHS};
use crate::model::Model;

/// The header line of `trace.csv`.
pub const TRACE_HEADER: &str =
    "month,polity,other,fear,trust,mobilization,status,strength,stability,perceived,balance,war_plan";

/// The header line of `events.csv`.
pub const EVENTS_HEADER: &str = "month,kind,label";

/// Collects the chronicle lines and the `trace.csv` rows of one run.
pub struct Chronicle<'m> {
    model: &'m Model,
    /// Chronicle lines, in order.
    pub lines: Vec<String>,
    /// `trace.csv` text.
    pub csv: String,
    /// `events.csv` text: the months of scripted events (`event`, by id) and of war onsets
    /// (`war`, `initiator→target`), for the `trace` chart.
    pub events: String,
    open_event: Option<(u32, usize)>,
    /// Indices of the lines that are turning points.
    turning: Vec<usize>,
    /// The polities' display names as the run has them now (`Rename` effects change them).
    names: Vec<String>,
}

impl<'m> Chronicle<'m> {
    /// An empty chronicle for `model`.
    pub fn new(model: &'m Model) -> Chronicle<'m> {
        Chronicle {
            model,
            lines: Vec::new(),
            csv: format!("{TRACE_HEADER}\n"),
            events: format!("{EVENTS_HEADER}\n"),
            open_event: None,
            turning: Vec::new(),
            names: model.names.clone(),
        }
    }

    fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// The possessive of polity `i`'s name: "Jin's", "Liao remnants'".
    fn whose(&self, i: usize) -> String {
        let name = self.name(i);
        match name.ends_with('s') {
            true => format!("{name}'"),
            false => format!("{name}'s"),
        }
    }

    /// Mark the line just written as a turning point of the run (a war begun, a truce or a
    /// peace, a tie formed or dissolved, a state's end), for the summary of `trace`.
    fn turning_point(&mut self) {
        if let Some(last) = self.lines.len().checked_sub(1) {
            if self.turning.last() != Some(&last) {
                self.turning.push(last);
            }
        }
    }

    /// The turning points of the run (see [`Chronicle::turning_point`]), at most `max` lines,
    /// each as in the chronicle.
    pub fn turning_points(&self, max: usize) -> Vec<&str> {
        self.turning
            .iter()
            .take(max)
            .map(|&k| self.lines[k].as_str())
            .collect()
    }

    /// The run told by its turning points (at most `max`), with where the whole chronicle is
    /// (`file`): what `trace` prints without `--full`.
    pub fn summary(&self, max: usize, file: &std::path::Path) -> String {
        let mut told: String = self
            .turning_points(max)
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        let more = self.turning_count().saturating_sub(max);
        if more > 0 {
            let _ = writeln!(told, "… and {more} more turning points");
        }
        let _ = writeln!(
            told,
            "({} turning points: wars begun, truces, peace, ties and their end, states' end; the whole chronicle, {} lines, is in {}; --full prints it)",
            self.turning_count(),
            self.lines.len(),
            crate::text::path(file)
        );
        told
    }

    /// How many turning points the run had.
    pub fn turning_count(&self) -> usize {
        self.turning.len()
    }

    fn line(&mut self, t: u32, text: String) {
        self.open_event = None;
        self.lines.push(format!("{} {text}", self.model.month(t)));
    }

    /// Add a clause to the open scripted event's line, or make it a line of its own.
    fn clause(&mut self, t: u32, text: String) {
        match self.open_event {
            Some((et, k)) if et == t => {
                let line = &mut self.lines[k];
                line.push_str(if line.ends_with(')') || !line.contains(": ") {
                    ": "
                } else {
                    "; "
                });
                line.push_str(&text);
            }
            _ => self.line(t, text),
        }
    }

    /// The chronicle as text, one line per entry.
    pub fn text(&self) -> String {
        let mut s = self.lines.join("\n");
        s.push('\n');
        s
    }
}

impl Observer for Chronicle<'_> {
    fn happening(&mut self, t: u32, what: Happening) {
        let month = self.model.month(t);
        match what {
            Happening::Event { event } => {
                let _ = writeln!(self.events, "{month},event,{}", self.model.events[event].id);
            }
            Happening::WarBegins {
                initiator, target, ..
            } => {
                let (a, b) = (&self.model.ids[initiator], &self.model.ids[target]);
                let _ = writeln!(self.events, "{month},war,{a}→{b}");
            }
            _ => {}
        }
        match what {
            Happening::Event { event } => {
                let ev = &self.model.events[event];
                let mut text = if ev.text.is_empty() {
                    ev.id.clone()
                } else {
                    ev.text.clone()
                };
                if !ev.reason.is_empty() {
                    let _ = write!(text, " (its condition held: {})", ev.reason);
                }
                self.line(t, text);
                self.open_event = Some((t, self.lines.len() - 1));
            }
            Happening::Contact { a, b, before, after } => {
                let s = format!(
                    "contact {}–{} {before:.2} → {after:.2}",
                    self.name(a),
                    self.name(b)
                );
                self.clause(t, s);
            }
            Happening::Trust {
                of,
                toward,
                before,
                after,
            } => {
                let s = format!(
                    "{} trust in {} {before:.2} → {after:.2}",
                    self.whose(of),
                    self.name(toward)
                );
                self.clause(t, s);
            }
            Happening::FearShock { of, toward, amount } => {
                let s = format!("{} fear of {} {amount:+.2}", self.whose(of), self.name(toward));
                self.clause(t, s);
            }
            Happening::HostileAct {
                actor,
                victim,
                scripted,
                trust_before,
                trust_after,
            } => {
                let effect = format!(
                    "{} trust in {} {trust_before:.2} → {trust_after:.2}",
                    self.whose(victim),
                    self.name(actor)
                );
                if scripted {
                    let s = format!(
                        "a hostile act of {} against {}, {effect}",
                        self.name(actor),
                        self.name(victim)
                    );
                    self.clause(t, s);
                } else {
                    let text = &self.model.provocation_text[actor * self.model.n + victim];
                    let deed = if text.is_empty() {
                        format!("commits a hostile act against {}", self.name(victim))
                    } else {
                        text.clone()
                    };
                    self.line(t, format!("{} {deed}: {effect}", self.name(actor)));
                }
            }
            Happening::Strength {
                polity,
                before,
                after,
            } => {
                let s = format!("{} strength {before:.2} → {after:.2}", self.whose(polity));
                self.clause(t, s);
            }
            Happening::Stability {
                polity,
                before,
                after,
            } => {
                let s = format!("{} stability {before:.2} → {after:.2}", self.whose(polity));
                self.clause(t, s);
            }
            Happening::Ceased { polity } => {
                let s = format!("{} ceases to exist as a state", self.name(polity));
                self.clause(t, s);
                self.turning_point();
            }
            Happening::WarBegins {
                initiator,
                target,
                breach,
                joined,
                fear,
                mobilization,
            } => {
                let how = match (joined, breach) {
                    (true, true) => "breaks the truce to join its ally's war against",
                    (true, false) => "joins its ally's war against",
                    (false, true) => "breaks the truce and attacks",
                    (false, false) => "goes to war against",
                };
                let s = format!(
                    "WAR: {} {how} {} ({} fear of {} {fear:.2}, its mobilization {mobilization:.2})",
                    self.name(initiator),
                    self.name(target),
                    self.whose(initiator),
                    self.name(target)
                );
                self.line(t, s);
                self.turning_point();
            }
            Happening::Talks { seeker, other, truce } => {
                let result = if truce {
                    "a truce is agreed"
                } else {
                    "the talks fail"
                };
                let s = format!(
                    "{} seeks talks with {}: {result}",
                    self.name(seeker),
                    self.name(other)
                );
                self.line(t, s);
                if truce {
                    self.turning_point();
                }
            }
            Happening::TruceBecomesPeace { a, b } => {
                let s = format!(
                    "the truce between {} and {} has held and becomes peace",
                    self.name(a),
                    self.name(b)
                );
                self.line(t, s);
                self.turning_point();
            }
            Happening::AllianceFormed { a, b } => {
                let s = format!(
                    "{} and {} ally against a common threat",
                    self.name(a),
                    self.name(b)
                );
                self.line(t, s);
                self.turning_point();
            }
            Happening::VassalAccepted { vassal, lord } => {
                let s = format!(
                    "{} accepts the suzerainty of {}",
                    self.name(vassal),
                    self.name(lord)
                );
                self.line(t, s);
                self.turning_point();
            }
            Happening::TieEnded { a, b } => {
                let s = format!("the tie between {} and {} ends", self.name(a), self.name(b));
                self.clause(t, s);
                self.turning_point();
            }
            Happening::Set { slot, digit } => {
                let s = &self.model.set_slots[slot];
                let value = s.values[usize::from(digit) - 1];
                self.clause(t, format!("{} is set to {value}", s.path));
            }
            Happening::Renamed { polity, name } => {
                let new = self.model.aliases[name].clone();
                let s = format!("{} is called {new} from now on", self.name(polity));
                self.clause(t, s);
                self.names[polity] = new;
            }
            Happening::TieDissolved { a, b } => {
                let s = format!(
                    "the tie between {} and {} dissolves for lack of trust",
                    self.name(a),
                    self.name(b)
                );
                self.line(t, s);
                self.turning_point();
            }
            Happening::WarPlan { planner, target } => {
                let s = format!(
                    "{} decides on war with {} and mobilizes for it",
                    self.name(planner),
                    self.name(target)
                );
                self.line(t, s);
            }
            Happening::Capitulation {
                loser,
                winner,
                balance,
            } => {
                let s = format!(
                    "{} capitulates to {} (the war's balance {balance:+.2} for it)",
                    self.name(loser),
                    self.name(winner)
                );
                self.line(t, s);
                self.turning_point();
            }
            Happening::Terms {
                winner,
                loser,
                junior,
            } => {
                let terms = if junior {
                    "cedes land and accepts junior status"
                } else {
                    "cedes land and pays"
                };
                let s = format!("terms: {} {terms} to {}", self.name(loser), self.name(winner));
                self.line(t, s);
            }
            Happening::Offer {
                seeker,
                other,
                line,
                junior,
                surplus,
            } => {
                let junior = if junior {
                    format!(", with {} as its junior partner", self.name(other))
                } else {
                    String::new()
                };
                let answer = if surplus >= 0.0 { "above" } else { "below" };
                let s = format!(
                    "{} asks for the line at {line:+.2} on its side{junior}: {answer} what {} expects of fighting on, by {:.2}",
                    self.name(seeker),
                    self.name(other),
                    surplus.abs()
                );
                self.clause(t, s);
            }
            Happening::Settled {
                gainer,
                loser,
                share,
                lord,
            } => {
                let mut s = if share > 0.0 {
                    format!(
                        "terms: the line moves toward {}; {} cedes {:.0}% of its strength",
                        self.name(gainer),
                        self.name(loser),
                        share * 100.0
                    )
                } else {
                    "terms: the line stays".to_string()
                };
                if let Some(lord) = lord {
                    let vassal = if lord == gainer { loser } else { gainer };
                    s.push_str(&format!(
                        "; {} accepts junior status under {}",
                        self.name(vassal),
                        self.name(lord)
                    ));
                }
                self.line(t, s);
            }
            Happening::CessionHanded { from, to, share } => {
                let s = format!(
                    "{} hands over to {} the cession the treaty imposed ({:.0}% of its strength)",
                    self.name(from),
                    self.name(to),
                    share * 100.0
                );
                self.line(t, s);
            }
            Happening::Default { debtor, creditor } => {
                let s = format!(
                    "{} withholds the cession it owes {} under their treaty",
                    self.name(debtor),
                    self.name(creditor)
                );
                self.line(t, s);
                self.turning_point();
            }
        }
    }

    fn month_end(&mut self, t: u32, state: &Workspace) {
        let m = self.model;
        let month = m.month(t);
        for i in 0..m.n {
            if !state.is_active(i) {
                continue;
            }
            for j in 0..m.n {
                if i == j || !state.is_active(j) {
                    continue;
                }
                let d = m.dyad_of[i * m.n + j];
                let status = state.status(d).word();
                // The balance of the pair's war as `i` stands in it.
                let balance = if m.dyads[d].0 == i {
                    state.balance(d)
                } else {
                    -state.balance(d)
                };
                let plan = if state.war_plan(i) == Some(j) { 1 } else { 0 };
                let _ = writeln!(
                    self.csv,
                    "{month},{},{},{:.6},{:.6},{:.6},{status},{:.6},{:.6},{:.6},{:.6},{plan}",
                    m.ids[i],
                    m.ids[j],
                    state.fear(i, j),
                    state.trust(i, j),
                    state.mobilization(i),
                    state.strength(i),
                    state.stability(i),
                    state.perceived(i, j),
                    balance
                );
            }
        }
    }
}

/// `outcome.json` of a traced run: what `run` folds into its counts for this run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TracedOutcome {
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Run index.
    pub run: u64,
    /// Per unordered pair.
    pub dyads: Vec<TracedDyad>,
    /// Polity id → month it ceased to exist (absent if it did not).
    pub ceased: std::collections::BTreeMap<String, Month>,
    /// The run's record, in order (see [`crate::engine::outcome`]): what patterns of the
    /// whole history read.
    pub record: Vec<TracedHappening>,
    /// The values the run drew for the scenario's priors, by path (absent without priors).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub parameters: std::collections::BTreeMap<String, f64>,
}

/// One happening of a traced run's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TracedHappening {
    /// When.
    pub month: Month,
    /// First polity id of the pair.
    pub a: String,
    /// Second polity id.
    pub b: String,
    /// `war`, `breach` (a war begun by breaking a truce), `joins` (a war begun by an ally of
    /// the attacked side; `breach` says whether it broke a truce to do so), `talks`, `truce`
    /// (talks that ended the war), `ended` (a war ended by a side's end), `peace`, `alliance`,
    /// `vassal`, `tie_dissolved`, `war_plan`, `capitulation`, `terms` (`junior` says whether
    /// the loser accepted junior status).
    pub kind: &'static str,
    /// Who: the initiator, the breaker, the seeker of talks, the side that ended, the lord,
    /// the planner, the side that capitulated, the winner of the terms.
    pub by: Option<String>,
    /// For `joins`: whether the ally broke a truce to join.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breach: Option<bool>,
    /// For `terms`: whether the loser accepted junior status (a vassal tie).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub junior: Option<bool>,
}

/// One pair of a traced run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TracedDyad {
    /// First polity id.
    pub a: String,
    /// Second polity id.
    pub b: String,
    /// Month of the first war onset, or null.
    pub first_onset: Option<Month>,
    /// Id of the initiator of the first war, or null.
    pub initiator: Option<String>,
    /// Months with hostile acts of a and b against each other in the 36 months up to the first
    /// onset, every act counted (the agents' own and the scripted).
    pub acts_before_onset: [u32; 2],
    /// The same with the agents' own acts only.
    pub agent_acts_before_onset: [u32; 2],
    /// The same with the scripted acts only.
    pub scripted_acts_before_onset: [u32; 2],
    /// Wars begun in the pair.
    pub wars: u16,
    /// Months at war.
    pub months_at_war: u32,
}

impl TracedOutcome {
    /// Describe `outcome`, the result of run `run` of `model` under `seed`.
    pub fn new(model: &Model, seed: u64, run: u64, outcome: &RunOutcome) -> TracedOutcome {
        let before = |o: &DyadOutcome, acts| [0, 1].map(|k| o.acts_before_onset(k, acts, ACTS_WINDOW_MONTHS));
        TracedOutcome {
            scenario: model.name.clone(),
            seed,
            run,
            dyads: model
                .dyads
                .iter()
                .zip(&outcome.dyads)
                .map(|(&(a, b), o)| {
                    let fought = o.first_onset != NEVER;
                    TracedDyad {
                        a: model.ids[a].clone(),
                        b: model.ids[b].clone(),
                        first_onset: fought.then(|| model.month(o.first_onset)),
                        initiator: fought.then(|| model.ids[if o.initiator == 0 { a } else { b }].clone()),
                        acts_before_onset: before(o, Acts::All),
                        agent_acts_before_onset: before(o, Acts::Agents),
                        scripted_acts_before_onset: before(o, Acts::Scripted),
                        wars: o.wars,
                        months_at_war: o.months_at_war,
                    }
                })
                .collect(),
            ceased: outcome
                .ceased
                .iter()
                .enumerate()
                .filter(|(_, &m)| m != NEVER)
                .map(|(i, &m)| (model.ids[i].clone(), model.month(m)))
                .collect(),
            record: outcome
                .record
                .iter()
                .map(|h| {
                    let (a, b) = model.dyads[usize::from(h.dyad)];
                    let id = |side: u8| Some(model.ids[if side == 0 { a } else { b }].clone());
                    let (mut breach, mut junior) = (None, None);
                    let (kind, by) = match h.deed {
                        Deed::War {
                            by,
                            joined: true,
                            breach: broke,
                        } => {
                            breach = Some(broke);
                            ("joins", id(by))
                        }
                        Deed::War {
                            by, breach: false, ..
                        } => ("war", id(by)),
                        Deed::War { by, breach: true, .. } => ("breach", id(by)),
                        Deed::Talks { by, truce: false } => ("talks", id(by)),
                        Deed::Talks { by, truce: true } => ("truce", id(by)),
                        Deed::Ended { side } => ("ended", id(side)),
                        Deed::Peace => ("peace", None),
                        Deed::Alliance => ("alliance", None),
                        Deed::Vassal { lord } => ("vassal", id(lord)),
                        Deed::TieDissolved => ("tie_dissolved", None),
                        Deed::WarPlan { by } => ("war_plan", id(by)),
                        Deed::Capitulation { side } => ("capitulation", id(side)),
                        Deed::Terms { winner, junior: j } => {
                            junior = Some(j);
                            ("terms", id(winner))
                        }
                    };
                    TracedHappening {
                        month: model.month(h.month),
                        a: model.ids[a].clone(),
                        b: model.ids[b].clone(),
                        kind,
                        by,
                        breach,
                        junior,
                    }
                })
                .collect(),
            parameters: Default::default(),
        }
    }
}
