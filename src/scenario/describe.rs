//! A scenario in one line per polity, relation, status and event: what `jinsong check` prints.

use std::fmt::Write as _;

use super::{Mechanisms, Scenario};

impl Scenario {
    /// What `jinsong check` prints of this scenario, read from `file`.
    pub fn describe(&self, file: &str) -> String {
        let sc = self;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: scenario `{}`, {} .. {}, seed {}, {} runs",
            file, sc.name, sc.start, sc.end, sc.seed, sc.runs
        );
        let off: Vec<&str> = Mechanisms::NAMES
            .iter()
            .copied()
            .filter(|n| {
                let mut m = sc.mechanisms;
                m.switch_mut(n).is_some_and(|s| !*s)
            })
            .collect();
        let except = match off.is_empty() {
            true => String::new(),
            false => format!(" except {}", off.join(", ")),
        };
        let _ = writeln!(out, "mechanisms: all on{except}");
        for p in &sc.polities {
            let _ = writeln!(
                out,
                "polity {:<8} {:<14} strength {:.2} potential {:.2} mobilization {:.2} lag {} stability {:.2} fear_gain {} fear_decay {} war_threshold {} war_propensity {} greed {} isolation {} rigidity {}",
                p.id, p.name, p.strength, p.potential, p.mobilization, p.mobilization_lag, p.stability,
                p.fear_gain, p.fear_decay, p.war_threshold, p.war_propensity, p.greed, p.isolation, p.status_rigidity
            );
        }
        for r in &sc.relations {
            let _ = writeln!(
                out,
                "relation {:>8} → {:<8} contact {:.2} trust {:.2} fear {:.2} grievance {} provocation_rate {} restraint {}",
                r.from, r.to, r.contact, r.trust, r.fear, r.grievance, r.provocation_rate, r.restraint
            );
        }
        for s in &sc.statuses {
            let _ = writeln!(out, "status {}–{}: {:?}", s.a, s.b, s.status);
        }
        for e in &sc.events {
            let to = e.to.unwrap_or(e.from);
            let _ = writeln!(
                out,
                "event {:<18} {} ..= {} p={} effects={}",
                e.id,
                e.from,
                to,
                e.probability,
                e.effects.len()
            );
        }
        let _ = writeln!(
            out,
            "ok: {} polities, {} relations, {} events",
            sc.polities.len(),
            sc.relations.len(),
            sc.events.len()
        );
        out
    }
}

impl super::LoadedScenario {
    /// The fields added by Model 2 that this scenario's file leaves out (or overrides), with the
    /// default `jinsong check` says it filled in: one line per field, naming the polities or
    /// relations it was filled in for. A file written for version 1 thus shows what Model 2
    /// assumed on its behalf.
    pub fn defaults_filled(&self) -> Vec<String> {
        let sc = &self.scenario;
        let mut wanted: Vec<String> = vec!["warmup".into()];
        wanted.extend(MODEL2_SWITCHES.iter().map(|s| format!("mechanisms.{s}")));
        wanted.extend(MODEL2_RULES.iter().map(|(r, _)| format!("rules.{r}")));
        for k in 0..sc.polities.len() {
            wanted.extend(MODEL2_POLITY.iter().map(|(f, _)| format!("polities[{k}].{f}")));
        }
        for k in 0..sc.relations.len() {
            wanted.extend(MODEL2_RELATION.iter().map(|(f, _)| format!("relations[{k}].{f}")));
        }
        let found = super::locate::positions_of(&self.source, &wanted);
        let given = |source_path: &str, set_path: &str| {
            found.contains_key(source_path) || self.overridden.iter().any(|(p, _)| p == set_path)
        };
        let mut lines = Vec::new();
        if !given("warmup", "warmup") {
            lines.push("warmup = 0 months".to_string());
        }
        let switches: Vec<&str> = MODEL2_SWITCHES
            .iter()
            .copied()
            .filter(|s| !given(&format!("mechanisms.{s}"), &format!("mechanisms.{s}")))
            .collect();
        if !switches.is_empty() {
            lines.push(format!("mechanisms {} = true", switches.join(", ")));
        }
        for (r, default) in MODEL2_RULES {
            let path = format!("rules.{r}");
            if !given(&path, &path) {
                lines.push(format!("{path} = {default}"));
            }
        }
        for (f, default) in MODEL2_POLITY {
            let missing: Vec<&str> = sc
                .polities
                .iter()
                .enumerate()
                .filter(|(k, p)| !given(&format!("polities[{k}].{f}"), &format!("polities.{}.{f}", p.id)))
                .map(|(_, p)| p.id.as_str())
                .collect();
            if !missing.is_empty() {
                lines.push(format!(
                    "polities.*.{f} = {default} for {}",
                    super::list_ids(&missing, ", ")
                ));
            }
        }
        for (f, default) in MODEL2_RELATION {
            let missing: Vec<String> = sc
                .relations
                .iter()
                .enumerate()
                .filter(|(k, r)| {
                    !given(
                        &format!("relations[{k}].{f}"),
                        &format!("relations.{}.{}.{f}", r.from, r.to),
                    )
                })
                .map(|(_, r)| format!("{}→{}", r.from, r.to))
                .collect();
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(String::as_str).collect();
                lines.push(format!(
                    "relations.*.*.{f} = {default} for {}",
                    super::list_ids(&names, ", ")
                ));
            }
        }
        lines
    }
}

/// The switches Model 2 added (all default `true`).
const MODEL2_SWITCHES: [&str; 5] = [
    "consent",
    "war_process",
    "victory_odds",
    "misperception",
    "reaction_delay",
];
/// The rules Model 2 added, with their defaults as `check` prints them.
const MODEL2_RULES: [(&str, &str); 10] = [
    ("contest_decisiveness", "1"),
    ("war_step", "0.05"),
    ("war_cost", "0.01"),
    ("war_unrest", "0.002"),
    ("strength_recovery", "0.02"),
    ("terms_cession", "0.3"),
    ("terms_junior", "0.7"),
    ("cession_share", "0.1"),
    ("capitulation_balance", "0.9"),
    ("war_learning", "0.05"),
];
/// The polity fields Model 2 added, with their defaults.
const MODEL2_POLITY: [(&str, &str); 6] = [
    ("reaction_delay", "0 months"),
    ("join_propensity", "0.5"),
    ("vassal_acceptance", "1"),
    ("odds_weight", "1"),
    ("capitulation_propensity", "0.1"),
    ("conquerable", "false"),
];
/// The relation fields Model 2 added, with their defaults.
const MODEL2_RELATION: [(&str, &str); 2] = [("strength_bias", "1"), ("perception_noise", "0")];
