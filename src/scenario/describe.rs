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
