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
            wanted.extend(later_polity_fields().iter().map(|f| format!("polities[{k}].{f}")));
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
        for f in later_polity_fields() {
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
/// serialized form with Model 3's unwritten defaults filled in (`?` if there is no such field).
fn field_text<T: serde::Serialize>(item: &T, name: &str) -> String {
    serde_json::to_value(item)
        .ok()
        .map(super::schema::with_unwritten_defaults)
        .and_then(|v| v.get(name).map(ToString::to_string))
        .unwrap_or_else(|| "?".into())
}

/// The rules Model 2 and Model 3 added: all but the first four of version 1.
const MODEL2_RULES: &[&str] = super::prior::RULE_FIELDS.split_at(4).1;
/// The whole-number rules Model 3 added (no prior may stand for them).
const WHOLE_RULES: [&str; 2] = ["cession_delay", "default_memory"];
/// The polity fields Model 2 and Model 3 added: the whole number `reaction_delay`, the switch
/// `conquerable`, and the real numbers after version 1's in [`super::prior::POLITY_FIELDS`].
fn later_polity_fields() -> Vec<&'static str> {
    let mut fields = vec!["reaction_delay", "conquerable"];
    fields.extend_from_slice(super::prior::POLITY_FIELDS.split_at(VERSION_1_POLITY_NUMBERS).1);
    fields
}
/// How many of [`super::prior::POLITY_FIELDS`] version 1 had.
const VERSION_1_POLITY_NUMBERS: usize = 21;
/// The relation fields Model 2 added.
const MODEL2_RELATION: [&str; 2] = ["strength_bias", "perception_noise"];
