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
        let on = |n: &str| {
            let mut m = sc.mechanisms;
            m.switch_mut(n).is_some_and(|s| *s)
        };
        // The switches that default to `true`, named when off; those that default to `false`
        // (`free_hands`), always named with their state.
        let off: Vec<&str> = Mechanisms::NAMES
            .iter()
            .copied()
            .filter(|n| !Mechanisms::DEFAULT_OFF.contains(n) && !on(n))
            .collect();
        let except = match off.is_empty() {
            true => String::new(),
            false => format!(" except {}", off.join(", ")),
        };
        let optional: Vec<String> = Mechanisms::DEFAULT_OFF
            .iter()
            .map(|n| format!("; {n} {}", if on(n) { "on" } else { "off" }))
            .collect();
        let _ = writeln!(out, "mechanisms: all on{except}{}", optional.concat());
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
            if let Some(when) = &e.when {
                let _ = writeln!(out, "      when {}", super::condition::words_in(when, sc));
                if let Some(w) = e.within {
                    let months = if w == 1 { "month" } else { "months" };
                    let _ = writeln!(out, "      within {w} {months} of the first month it holds");
                }
            }
            for f in &e.effects {
                match f {
                    super::Effect::Set(x) => {
                        let _ = writeln!(out, "      sets {} = {} for the rest of the run", x.path, x.value);
                    }
                    super::Effect::EndTie(x) => {
                        let _ = writeln!(out, "      ends the tie of {} and {}", x.a, x.b);
                    }
                    super::Effect::Rename(x) => {
                        let _ = writeln!(out, "      renames {} to {:?}", x.polity, x.name);
                    }
                    _ => {}
                }
            }
        }
        for p in &sc.priors {
            let how = match p.dist {
                super::prior::Distribution::Normal(..) => " (truncated to the field's range)",
                _ => "",
            };
            let _ = writeln!(
                out,
                "prior {} ~ {}{how}: drawn anew by every run (the fixed value shown above is not used)",
                p.path, p.dist
            );
        }
        if let Some(s) = &sc.posterior {
            let _ = writeln!(
                out,
                "priors drawn from the posterior sample of {} ({} draws of {} paths)",
                s.from,
                s.rows(),
                s.paths.len()
            );
        }
        let priors = match sc.priors.len() {
            0 => String::new(),
            1 => ", 1 prior".to_string(),
            k => format!(", {k} priors"),
        };
        let _ = writeln!(
            out,
            "ok: {} polities, {} relations, {} events{priors}",
            sc.polities.len(),
            sc.relations.len(),
            sc.events.len()
        );
        out
    }
}

impl super::LoadedScenario {
    /// The fields added by Model 2 and Model 3 that this scenario's file leaves out (and no
    /// override sets), with the value `jinsong check` says it filled in (the field's default,
    /// read from the loaded scenario itself): one line per field, naming the polities or
    /// relations it was filled in for. A file written for an earlier model thus shows what the
    /// later ones assumed on its behalf.
    pub fn defaults_filled(&self) -> Vec<String> {
        let sc = &self.scenario;
        let model2 = &Mechanisms::NAMES[Mechanisms::VERSION_1_SWITCHES..Mechanisms::MODEL_2_SWITCHES];
        let model3 = &Mechanisms::NAMES[Mechanisms::LATER_SWITCHES..];
        let switches: Vec<&str> = model2.iter().chain(model3).copied().collect();
        let mut wanted: Vec<String> = vec!["warmup".into()];
        wanted.extend(switches.iter().map(|s| format!("mechanisms.{s}")));
        let rules: Vec<&str> = MODEL2_RULES.iter().chain(&WHOLE_RULES).copied().collect();
        wanted.extend(rules.iter().map(|r| format!("rules.{r}")));
        for k in 0..sc.polities.len() {
            wanted.extend(MODEL2_POLITY.iter().map(|f| format!("polities[{k}].{f}")));
        }
        for k in 0..sc.relations.len() {
            wanted.extend(MODEL2_RELATION.iter().map(|f| format!("relations[{k}].{f}")));
        }
        let found = super::locate::positions_of(&self.source, &wanted);
        let given = |source_path: &str, set_path: &str| {
            found.contains_key(source_path) || self.overridden.iter().any(|(p, _)| p == set_path)
        };
        let mut lines = Vec::new();
        if !given("warmup", "warmup") {
            lines.push(format!("warmup = {} months", sc.warmup));
        }
        let mechanisms = serde_json::to_value(sc.mechanisms).unwrap_or_default();
        for s in switches
            .iter()
            .filter(|s| !given(&format!("mechanisms.{s}"), &format!("mechanisms.{s}")))
        {
            let value = match &mechanisms[*s] {
                serde_json::Value::Null => "false".to_string(),
                v => v.to_string(),
            };
            lines.push(format!("mechanisms.{s} = {value}"));
        }
        for r in rules {
            let path = format!("rules.{r}");
            if !given(&path, &path) {
                lines.push(format!("{path} = {}", field_text(&sc.rules, r)));
            }
        }
        // A field left out holds its default, the same for every item: the first one's value.
        for f in MODEL2_POLITY {
            let missing: Vec<&super::Polity> = sc
                .polities
                .iter()
                .enumerate()
                .filter(|(k, p)| !given(&format!("polities[{k}].{f}"), &format!("polities.{}.{f}", p.id)))
                .map(|(_, p)| p)
                .collect();
            if let Some(first) = missing.first() {
                let ids: Vec<&str> = missing.iter().map(|p| p.id.as_str()).collect();
                lines.push(format!(
                    "polities.*.{f} = {} for {}",
                    field_text(*first, f),
                    super::list_ids(&ids, ", ")
                ));
            }
        }
        for f in MODEL2_RELATION {
            let missing: Vec<&super::Relation> = sc
                .relations
                .iter()
                .enumerate()
                .filter(|(k, r)| {
                    !given(
                        &format!("relations[{k}].{f}"),
                        &format!("relations.{}.{}.{f}", r.from, r.to),
                    )
                })
                .map(|(_, r)| r)
                .collect();
            if let Some(first) = missing.first() {
                let pairs: Vec<String> = missing.iter().map(|r| format!("{}→{}", r.from, r.to)).collect();
                lines.push(format!(
                    "relations.*.*.{f} = {} for {}",
                    field_text(*first, f),
                    super::list_ids(&pairs, ", ")
                ));
            }
        }
        lines
    }
}

/// One field of a scenario item (a polity, a relation, the rules) as text, read through its
/// serialized form; a Model 3 field left out of that form holds its default
/// ([`MODEL3_DEFAULTS`]); `?` if there is no such field.
fn field_text<T: serde::Serialize>(item: &T, name: &str) -> String {
    serde_json::to_value(item)
        .ok()
        .and_then(|v| v.get(name).map(ToString::to_string))
        .or_else(|| {
            MODEL3_DEFAULTS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_string())
        })
        .unwrap_or_else(|| "?".into())
}

/// The defaults of Model 3's numbers, which a scenario writes out only when they differ from
/// them (so that every file of an earlier scenario stays as it was).
pub(crate) const MODEL3_DEFAULTS: [(&str, &str); 18] = [
    ("armies_per_potential", "0.0"),
    ("settlement_horizon", "24.0"),
    ("settlement_noise", "0.1"),
    ("talks_learning", "0.1"),
    ("cession_per_line", "0.2"),
    ("seeker_share", "0.5"),
    ("projection_decay", "0.0"),
    ("army_growth", "0.0"),
    ("war_burden", "0.01"),
    ("submission_cost", "1.0"),
    ("tribute_gain", "0.0"),
    ("enforcement", "0.1"),
    ("default_propensity", "0.05"),
    ("cession_delay", "3"),
    ("default_memory", "12"),
    ("treaty_settling", "24.0"),
    ("tribute_strength", "0.5"),
    ("demarcation_strength", "0.2"),
];

/// The rules Model 2 and Model 3 added: all but the first four of version 1.
const MODEL2_RULES: &[&str] = super::prior::RULE_FIELDS.split_at(4).1;
/// The whole-number rules Model 3 added (no prior may stand for them).
const WHOLE_RULES: [&str; 2] = ["cession_delay", "default_memory"];
/// The polity fields Model 2 and Model 3 added.
const MODEL2_POLITY: [&str; 13] = [
    "reaction_delay",
    "join_propensity",
    "vassal_acceptance",
    "odds_weight",
    "capitulation_propensity",
    "conquerable",
    "projection_decay",
    "army_growth",
    "war_burden",
    "submission_cost",
    "tribute_gain",
    "enforcement",
    "default_propensity",
];
/// The relation fields Model 2 added.
const MODEL2_RELATION: [&str; 2] = ["strength_bias", "perception_noise"];
