//! Range and reference checks on a parsed scenario. Every problem is reported, not only the
//! first.

use std::collections::HashSet;

use super::condition;
use super::prior::{Distribution, Prior};
use super::schema::*;
use crate::text::{control_note, quote, text_controls};

/// Most polities a scenario may name (the engine's pair state grows with the square).
pub const MAX_POLITIES: usize = 128;
/// Most `pairs × months` cells a scenario may ask for (the onset histogram of one tally has one
/// counter per pair and month; this keeps it under 32 MiB).
pub const MAX_DYAD_MONTHS: u64 = 4 << 20;
/// Longest horizon, in months (1,000 years).
pub const MAX_MONTHS: i64 = 12_000;
/// Most runs one batch may ask for.
pub const MAX_RUNS: u64 = 1 << 40;
/// Most scripted events (each takes a random draw in every month of every run).
pub const MAX_EVENTS: usize = 4096;
/// Most effects of one scripted event.
pub const MAX_EFFECTS: usize = 256;
/// Longest polity or event id, in bytes.
pub const MAX_ID_BYTES: usize = 64;
/// Longest scenario name or polity display name, in bytes.
pub const MAX_NAME_BYTES: usize = 100;
/// Longest free text (`description`, an event's `text`, a relation's `provocation_text`), in
/// bytes. No text may hold a control character (Unicode category Cc, such as ESC), which would
/// reach the terminal and `chronicle.txt`; only a `description` may hold newlines and tabs.
pub const MAX_TEXT_BYTES: usize = 4096;
/// Longest warm-up before `start`, in months (50 years).
pub const MAX_WARMUP: u32 = 600;
/// Longest reaction delay of a court, in months ([`Polity::reaction_delay`]).
pub const MAX_REACTION_DELAY: u32 = 24;
/// Lowest strength or potential of a polity. Both are divided by each other (the strength ratio
/// in fear, the talks factor `2·p_j / (p_i + p_j)`): with the highest, [`MAX_STRENGTH`], every
/// ratio stays within 1e12 and fear finite (a strength of 5e-324 would make it infinite).
pub const MIN_STRENGTH: f64 = 1e-6;
/// Highest strength or potential of a polity.
pub const MAX_STRENGTH: f64 = 1e6;
/// Lowest factor of a scripted `Strength` effect.
pub const MIN_FACTOR: f64 = 1e-3;
/// Highest factor of a scripted `Strength` effect.
pub const MAX_FACTOR: f64 = 100.0;
/// The most that all the `Strength` effects on one polity, if all fire, may multiply its
/// strength by (and the least is the reciprocal): with [`MIN_STRENGTH`] ..= [`MAX_STRENGTH`],
/// a strength stays within 1e-12 ..= 1e12 whatever fires, so that its ratios stay finite.
pub const MAX_STRENGTH_CHANGE: f64 = 1e6;
/// Most problems reported one by one; the rest are counted in a last line.
pub const MAX_PROBLEMS: usize = 100;

/// The polities an effect names, each with its field.
type EffectPolities<'a> = Vec<(&'static str, &'a String)>;
/// The number an effect carries, if any: its field, value and allowed range.
type EffectNumber = Option<(&'static str, f64, f64, f64)>;

/// One problem found by [`validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Field path with polity and event ids, as `--set` writes it (`polities.song.strength`).
    pub path: String,
    /// Field path as in the file (`polities[1].strength`), for locating it.
    pub source_path: String,
    /// What is wrong, with the allowed range.
    pub message: String,
}

struct Checker {
    found: Vec<Violation>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    more: usize,
    /// Every range checked: (path, lowest, highest, whether the lowest is excluded).
    ranges: Vec<(String, f64, f64, bool)>,
}

impl Checker {
    fn push(&mut self, path: String, source_path: String, message: String) {
        if self.found.len() >= MAX_PROBLEMS {
            self.more += 1;
            return;
        }
        self.found.push(Violation {
            path,
            source_path,
            message,
        });
    }

    fn range(&mut self, path: &str, src: &str, value: f64, lo: f64, hi: f64, unit: &str) {
        self.ranges.push((path.to_string(), lo, hi, false));
        if let Some(message) = number_problem(value, lo, hi, false, unit) {
            self.push(path.to_string(), src.to_string(), message);
        }
    }

    fn polity(&mut self, ids: &HashSet<&str>, path: &str, src: &str, id: &str) -> bool {
        if ids.contains(id) {
            return true;
        }
        if self.found.len() >= MAX_PROBLEMS {
            // Not listed: only counted, without building the list of known ids.
            self.more += 1;
            return false;
        }
        let mut known: Vec<&str> = ids.iter().copied().collect();
        known.sort_unstable();
        let listed = super::list_ids(&known, ", ");
        self.push(
            path.to_string(),
            src.to_string(),
            format!("unknown polity id {} (known: {listed})", quote(id)),
        );
        false
    }

    /// Check the id of item `k` of `list` (`polities`), whose ids so far are `seen`, and return
    /// the paths by which the item's fields are reported: with its id (`polities.song`) when the
    /// id is usable, else with its index (`polities[3]`); and its path in the file.
    fn item_id<'a>(
        &mut self,
        seen: &mut HashSet<&'a str>,
        list: &str,
        kind: &str,
        k: usize,
        id: &'a str,
    ) -> (String, String) {
        let src = format!("{list}[{k}]");
        if !is_id(id) {
            self.push(
                format!("{src}.id"),
                format!("{src}.id"),
                format!(
                    "{} is not an id{} (allowed: 1 to {MAX_ID_BYTES} of a-z 0-9 _)",
                    quote(id),
                    control_note(id)
                ),
            );
            return (src.clone(), src);
        }
        let path = format!("{list}.{id}");
        if !seen.insert(id) {
            self.push(
                format!("{path}.id"),
                format!("{src}.id"),
                format!("duplicate {kind} id `{id}`"),
            );
        }
        (path, src)
    }

    /// A free text longer than [`MAX_TEXT_BYTES`], or with a control character (newline and tab
    /// are allowed when `layout`).
    fn text(&mut self, path: &str, src: &str, text: &str, layout: bool) {
        if let Some(message) = text_controls(text, layout) {
            self.push(path.to_string(), src.to_string(), message);
        }
        if text.len() > MAX_TEXT_BYTES {
            self.push(
                path.to_string(),
                src.to_string(),
                format!(
                    "the text is {} bytes long (allowed: at most {MAX_TEXT_BYTES})",
                    text.len()
                ),
            );
        }
    }
}

/// What is wrong with `value` as a number in `lo ..= hi` (`lo` excluded when `open`), if
/// anything: not finite, outside the range, or subnormal (below `f64::MIN_POSITIVE` in size but
/// not 0: no field's computation is meant to run on one, and a reciprocal of one overflows).
/// Every real number a scenario gives (plainly, by `--set`, by a variant, a `Set` effect, a
/// prior's support or a posterior sample) is checked by this one function.
pub fn number_problem(value: f64, lo: f64, hi: f64, open: bool, unit: &str) -> Option<String> {
    let inside = if open {
        value > lo && value <= hi
    } else {
        (lo..=hi).contains(&value)
    };
    if !inside {
        let allowed = if open {
            format!("greater than {lo}, at most {hi}{unit}")
        } else {
            format!("{lo} ..= {hi}{unit}")
        };
        return Some(format!(
            "{} is out of range (allowed: {allowed})",
            super::prior::number_text(value)
        ));
    }
    if value != 0.0 && value.abs() < f64::MIN_POSITIVE {
        return Some(format!(
            "{value:e} is subnormal (allowed: 0, or at least {:e} in size)",
            f64::MIN_POSITIVE
        ));
    }
    None
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_BYTES
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Most combinations of values that the `Set` effects of a scenario may make (each is a model
/// compiled before the runs; see [`set_variants`]).
pub const MAX_SET_VARIANTS: usize = 64;

/// Check ranges, ids and references; return every problem found (empty when valid).
pub fn validate(sc: &Scenario) -> Vec<Violation> {
    validate_with(sc, true)
}

/// [`validate`], checking the `Set` effects (with the scenario they make) only if `check_sets`.
fn validate_with(sc: &Scenario, check_sets: bool) -> Vec<Violation> {
    check(sc, check_sets).finish()
}

/// The checker after checking `sc` (with the ranges it checked).
fn check(sc: &Scenario, check_sets: bool) -> Checker {
    let mut c = Checker {
        found: Vec::new(),
        more: 0,
        ranges: Vec::new(),
    };

    let name_ok = !sc.name.is_empty()
        && !sc.name.starts_with('.')
        && sc.name.len() <= MAX_NAME_BYTES
        && sc
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !name_ok {
        c.push(
            "name".into(),
            "name".into(),
            format!(
                "{} is not a usable name{} (allowed: 1 to {MAX_NAME_BYTES} of A-Z a-z 0-9 _ - . not starting with `.`; it names the output folder)",
                quote(&sc.name),
                control_note(&sc.name)
            ),
        );
    }
    c.text("description", "description", &sc.description, true);
    let months = sc.start.months_until(sc.end);
    if months <= 0 {
        c.push(
            "end".into(),
            "end".into(),
            format!("end {} must be after start {}", sc.end, sc.start),
        );
    } else if months >= MAX_MONTHS {
        c.push(
            "end".into(),
            "end".into(),
            format!(
                "the span {} .. {} is too long (at most {MAX_MONTHS} months)",
                sc.start, sc.end
            ),
        );
    }
    if !(1..=MAX_RUNS).contains(&sc.runs) {
        c.push(
            "runs".into(),
            "runs".into(),
            format!("{} is out of range (allowed: 1 ..= {MAX_RUNS})", sc.runs),
        );
    }

    if sc.warmup > MAX_WARMUP {
        c.push(
            "warmup".into(),
            "warmup".into(),
            format!(
                "{} is out of range (allowed: 0 ..= {MAX_WARMUP} months)",
                sc.warmup
            ),
        );
    }
    let r = &sc.rules;
    for (field, v, hi) in [
        ("contest_decisiveness", r.contest_decisiveness, 10.0),
        ("war_step", r.war_step, 1.0),
        ("war_cost", r.war_cost, 1.0),
        ("war_unrest", r.war_unrest, 1.0),
        ("strength_recovery", r.strength_recovery, 1.0),
        ("terms_cession", r.terms_cession, 1.0),
        ("terms_junior", r.terms_junior, 1.0),
        ("cession_share", r.cession_share, 1.0),
        ("capitulation_balance", r.capitulation_balance, 1.0),
        ("war_learning", r.war_learning, 1.0),
        ("armies_per_potential", r.armies_per_potential, 10.0),
        ("settlement_noise", r.settlement_noise, 10.0),
        ("talks_learning", r.talks_learning, 1.0),
        ("cession_per_line", r.cession_per_line, 1.0),
        ("seeker_share", r.seeker_share, 1.0),
        ("treaty_settling", r.treaty_settling, 1200.0),
        ("tribute_strength", r.tribute_strength, 1.0),
        ("demarcation_strength", r.demarcation_strength, 1.0),
    ] {
        let path = format!("rules.{field}");
        c.range(&path, &path, v, 0.0, hi, "");
    }
    c.range(
        "rules.war_fear_shock",
        "rules.war_fear_shock",
        r.war_fear_shock,
        0.0,
        10.0,
        "",
    );
    c.range(
        "rules.talks_success",
        "rules.talks_success",
        r.talks_success,
        0.0,
        1.0,
        "",
    );
    c.range(
        "rules.settlement_horizon",
        "rules.settlement_horizon",
        r.settlement_horizon,
        1.0,
        600.0,
        " months",
    );
    c.range(
        "rules.cession_delay",
        "rules.cession_delay",
        f64::from(r.cession_delay),
        0.0,
        120.0,
        " months",
    );
    c.range(
        "rules.default_memory",
        "rules.default_memory",
        f64::from(r.default_memory),
        1.0,
        120.0,
        " months",
    );
    c.range(
        "rules.truce_months",
        "rules.truce_months",
        f64::from(r.truce_months),
        1.0,
        1200.0,
        " months",
    );
    c.range(
        "rules.truce_trust_gain",
        "rules.truce_trust_gain",
        r.truce_trust_gain,
        0.0,
        1.0,
        "",
    );
    c.range(
        "rules.alliance_exit_trust",
        "rules.alliance_exit_trust",
        r.alliance_exit_trust,
        0.0,
        1.0,
        "",
    );

    if sc.polities.len() < 2 || sc.polities.len() > MAX_POLITIES {
        c.push(
            "polities".into(),
            "polities".into(),
            format!(
                "{} polities given (allowed: 2 ..= {MAX_POLITIES})",
                sc.polities.len()
            ),
        );
    }
    if sc.events.len() > MAX_EVENTS {
        c.push(
            "events".into(),
            "events".into(),
            format!("{} events given (allowed: at most {MAX_EVENTS})", sc.events.len()),
        );
    }
    if sc.polities.len() > MAX_POLITIES || sc.events.len() > MAX_EVENTS {
        // Too large to check item by item: the work would grow with the excess.
        return c;
    }
    let n = sc.polities.len() as u64;
    if months > 0 && n >= 2 && n * (n - 1) / 2 * (months as u64 + 1) > MAX_DYAD_MONTHS {
        c.push(
            "polities".into(),
            "polities".into(),
            format!(
                "{} pairs over {} months is too large (pairs × months at most {MAX_DYAD_MONTHS})",
                n * (n - 1) / 2,
                months + 1
            ),
        );
    }

    let mut ids = HashSet::new();
    for (k, p) in sc.polities.iter().enumerate() {
        let (path, src) = c.item_id(&mut ids, "polities", "polity", k, &p.id);
        let f = |field: &str| (format!("{path}.{field}"), format!("{src}.{field}"));
        if p.name.len() > MAX_NAME_BYTES || p.name.chars().any(char::is_control) {
            let (a, b) = f("name");
            c.push(
                a,
                b,
                format!(
                    "{} is not a usable display name{} (allowed: at most {MAX_NAME_BYTES} bytes, no control characters)",
                    quote(&p.name),
                    control_note(&p.name)
                ),
            );
        }
        let checks: [(&str, f64, f64, f64, &str); 31] = [
            ("enforcement", p.enforcement, 0.0, 1.0, " per month"),
            ("default_propensity", p.default_propensity, 0.0, 1.0, " per month"),
            ("projection_decay", p.projection_decay, 0.0, 20.0, ""),
            ("army_growth", p.army_growth, 0.0, 1.0, " per month"),
            ("war_burden", p.war_burden, 0.0, 1.0, " per month"),
            ("submission_cost", p.submission_cost, 0.0, 10.0, ""),
            ("tribute_gain", p.tribute_gain, 0.0, 10.0, ""),
            (
                "reaction_delay",
                f64::from(p.reaction_delay),
                0.0,
                f64::from(MAX_REACTION_DELAY),
                " months",
            ),
            ("join_propensity", p.join_propensity, 0.0, 1.0, ""),
            ("vassal_acceptance", p.vassal_acceptance, 0.0, 1.0, " per month"),
            ("odds_weight", p.odds_weight, 0.0, 5.0, ""),
            (
                "capitulation_propensity",
                p.capitulation_propensity,
                0.0,
                1.0,
                " per month",
            ),
            ("mobilization", p.mobilization, 0.0, 1.0, ""),
            ("mobilization_lag", p.mobilization_lag, 0.0, 120.0, " months"),
            ("stability", p.stability, 0.0, 1.0, ""),
            ("fear_gain", p.fear_gain, 0.0, 10.0, " per month"),
            ("fear_decay", p.fear_decay, 0.0, 1.0, " per month"),
            ("fear_noise", p.fear_noise, 0.0, 1.0, ""),
            ("trust_recovery", p.trust_recovery, 0.0, 1.0, " per month"),
            ("war_threshold", p.war_threshold, 0.0, 10.0, ""),
            ("war_propensity", p.war_propensity, 0.0, 1.0, " per month"),
            ("war_readiness", p.war_readiness, 0.0, 1.0, ""),
            ("greed", p.greed, 0.0, 1.0, " per month"),
            ("isolation", p.isolation, 0.0, 1.0, ""),
            ("status_rigidity", p.status_rigidity, 0.0, 1.0, ""),
            ("talk_propensity", p.talk_propensity, 0.0, 1.0, " per month"),
            ("vassal_propensity", p.vassal_propensity, 0.0, 1.0, " per month"),
            (
                "alliance_propensity",
                p.alliance_propensity,
                0.0,
                1.0,
                " per month",
            ),
            ("breach_propensity", p.breach_propensity, 0.0, 1.0, " per month"),
            ("provocation_trust_loss", p.provocation_trust_loss, 0.0, 1.0, ""),
            ("provocation_fear", p.provocation_fear, 0.0, 10.0, ""),
        ];
        for (field, v, lo, hi, unit) in checks.iter() {
            let (a, b) = f(field);
            c.range(&a, &b, *v, *lo, *hi, unit);
        }
        // Strengths and potentials are divided by each other (the strength ratio of fear, the
        // talks factor): their range keeps every ratio within 1e12.
        let (a, b) = f("strength");
        c.range(&a, &b, p.strength, MIN_STRENGTH, MAX_STRENGTH, "");
        let (a, b) = f("potential");
        c.range(&a, &b, p.potential, MIN_STRENGTH, MAX_STRENGTH, "");
    }

    let mut seen_rel = HashSet::new();
    for (k, r) in sc.relations.iter().enumerate() {
        let src = format!("relations[{k}]");
        let from_ok = c.polity(&ids, &format!("{src}.from"), &format!("{src}.from"), &r.from);
        let to_ok = c.polity(&ids, &format!("{src}.to"), &format!("{src}.to"), &r.to);
        let path = if from_ok && to_ok {
            format!("relations.{}.{}", r.from, r.to)
        } else {
            src.clone()
        };
        if from_ok && to_ok {
            if r.from == r.to {
                c.push(
                    path.clone(),
                    src.clone(),
                    "a polity has no relation to itself".into(),
                );
            } else if !seen_rel.insert((r.from.as_str(), r.to.as_str())) {
                c.push(
                    path.clone(),
                    src.clone(),
                    format!("duplicate relation {} → {}", r.from, r.to),
                );
            }
        }
        for (field, v) in [
            ("contact", r.contact),
            ("trust", r.trust),
            ("grievance", r.grievance),
            ("provocation_rate", r.provocation_rate),
            ("restraint", r.restraint),
        ] {
            c.range(
                &format!("{path}.{field}"),
                &format!("{src}.{field}"),
                v,
                0.0,
                1.0,
                "",
            );
        }
        c.range(
            &format!("{path}.fear"),
            &format!("{src}.fear"),
            r.fear,
            0.0,
            10.0,
            "",
        );
        c.range(
            &format!("{path}.strength_bias"),
            &format!("{src}.strength_bias"),
            r.strength_bias,
            0.1,
            10.0,
            "",
        );
        c.range(
            &format!("{path}.perception_noise"),
            &format!("{src}.perception_noise"),
            r.perception_noise,
            0.0,
            2.0,
            "",
        );
        c.text(
            &format!("{path}.provocation_text"),
            &format!("{src}.provocation_text"),
            &r.provocation_text,
            false,
        );
    }

    let mut seen_pair = HashSet::new();
    for (k, s) in sc.statuses.iter().enumerate() {
        let src = format!("statuses[{k}]");
        let a_ok = c.polity(&ids, &format!("{src}.a"), &format!("{src}.a"), &s.a);
        let b_ok = c.polity(&ids, &format!("{src}.b"), &format!("{src}.b"), &s.b);
        if !(a_ok && b_ok) {
            continue;
        }
        if s.a == s.b {
            c.push(
                format!("{src}.b"),
                format!("{src}.b"),
                "a status needs two different polities".into(),
            );
            continue;
        }
        let key = if s.a < s.b {
            (s.a.as_str(), s.b.as_str())
        } else {
            (s.b.as_str(), s.a.as_str())
        };
        if !seen_pair.insert(key) {
            c.push(
                src.clone(),
                src.clone(),
                format!("duplicate status for {} – {}", s.a, s.b),
            );
        }
        let member = |who: &str| who == s.a || who == s.b;
        match &s.status {
            Status::Vassal(v) if !member(&v.lord) => c.push(
                format!("{src}.status.lord"),
                format!("{src}.status.lord"),
                format!("lord {} must be `{}` or `{}`", quote(&v.lord), s.a, s.b),
            ),
            Status::War(w) if !member(&w.initiator) => c.push(
                format!("{src}.status.initiator"),
                format!("{src}.status.initiator"),
                format!("initiator {} must be `{}` or `{}`", quote(&w.initiator), s.a, s.b),
            ),
            _ => {}
        }
    }

    // The conditions of all events together: each is read in every month of every run.
    let mut nodes = 0usize;
    for e in &sc.events {
        if let Some(when) = &e.when {
            nodes = nodes.saturating_add(condition::node_count(when, condition::MAX_CONDITION_NODES + 1));
        }
        if nodes > condition::MAX_TOTAL_CONDITION_NODES {
            c.push("events".into(), "events".into(), condition::too_many_conditions());
            return c;
        }
    }
    // Every name a polity goes by (its id, its display name, the names `Rename` gives it),
    // folded to lower case: a `Rename` may not take another polity's.
    let mut names: std::collections::HashMap<String, Vec<&str>> = std::collections::HashMap::new();
    let mut called: Vec<(&str, &str)> = Vec::new();
    for p in &sc.polities {
        called.push((&p.id, &p.id));
        called.push((&p.name, &p.id));
    }
    for e in &sc.events {
        for f in &e.effects {
            if let Effect::Rename(x) = f {
                called.push((&x.name, &x.polity));
            }
        }
    }
    for (name, id) in called {
        let v = names.entry(name.trim().to_lowercase()).or_default();
        if !v.contains(&id) && v.len() < 2 {
            v.push(id);
        }
    }
    let mut event_ids = HashSet::new();
    let event_names: HashSet<&str> = sc.events.iter().map(|e| e.id.as_str()).collect();
    for (k, e) in sc.events.iter().enumerate() {
        let (path, src) = c.item_id(&mut event_ids, "events", "event", k, &e.id);
        c.range(
            &format!("{path}.probability"),
            &format!("{src}.probability"),
            e.probability,
            0.0,
            1.0,
            "",
        );
        c.text(&format!("{path}.text"), &format!("{src}.text"), &e.text, false);
        if e.effects.len() > MAX_EFFECTS {
            c.push(
                format!("{path}.effects"),
                format!("{src}.effects"),
                format!(
                    "{} effects given (allowed: at most {MAX_EFFECTS})",
                    e.effects.len()
                ),
            );
            continue;
        }
        let to = e.to.unwrap_or(e.from);
        if to < e.from {
            c.push(
                format!("{path}.to"),
                format!("{src}.to"),
                format!("window ends ({to}) before it begins ({})", e.from),
            );
        } else if to < sc.start || e.from > sc.end {
            c.push(
                format!("{path}.from"),
                format!("{src}.from"),
                format!(
                    "window {} ..= {to} lies outside the scenario ({} ..= {})",
                    e.from, sc.start, sc.end
                ),
            );
        }
        if let Some(when) = &e.when {
            c.condition(
                &ids,
                &event_names,
                &format!("{path}.when"),
                &format!("{src}.when"),
                when,
            );
        }
        if let Some(w) = e.within {
            let (wp, ws) = (format!("{path}.within"), format!("{src}.within"));
            if e.when.is_none() {
                c.push(
                    wp,
                    ws,
                    "`within` needs a condition (`when`): it counts from the month the condition first holds"
                        .into(),
                );
            } else if w == 0 || i64::from(w) > MAX_MONTHS {
                c.push(
                    wp,
                    ws,
                    format!("{w} is out of range (allowed: 1 ..= {MAX_MONTHS} months)"),
                );
            }
        }
        for (x, effect) in e.effects.iter().enumerate() {
            let ep = format!("{path}.effects[{x}]");
            let es = format!("{src}.effects[{x}]");
            let ids_ok = |c: &mut Checker, field: &str, id: &str| {
                c.polity(&ids, &format!("{ep}.{field}"), &format!("{es}.{field}"), id)
            };
            // Each effect's polities (two for an effect between a pair) and its number with
            // the number's range.
            let (polities, number): (EffectPolities<'_>, EffectNumber) = match effect {
                Effect::Contact(x) => (vec![("a", &x.a), ("b", &x.b)], Some(("value", x.value, 0.0, 1.0))),
                Effect::Trust(x) => (
                    vec![("of", &x.of), ("toward", &x.toward)],
                    Some(("delta", x.delta, -1.0, 1.0)),
                ),
                Effect::Fear(x) => (
                    vec![("of", &x.of), ("toward", &x.toward)],
                    Some(("amount", x.amount, -10.0, 10.0)),
                ),
                Effect::HostileAct(x) => (
                    vec![("actor", &x.actor), ("victim", &x.victim)],
                    Some(("severity", x.severity, 0.0, 10.0)),
                ),
                Effect::Strength(x) => (vec![("polity", &x.polity)], None),
                Effect::Stability(x) => (vec![("polity", &x.polity)], Some(("delta", x.delta, -1.0, 1.0))),
                Effect::Cease(x) => (vec![("polity", &x.polity)], None),
                Effect::EndTie(x) => (vec![("a", &x.a), ("b", &x.b)], None),
                Effect::Set(_) => (vec![], None),
                Effect::Rename(x) => (vec![("polity", &x.polity)], None),
            };
            match effect {
                Effect::Set(x) if check_sets => c.set_effect(sc, &ep, &es, x),
                Effect::Rename(x) => {
                    c.text(&format!("{ep}.name"), &format!("{es}.name"), &x.name, false);
                    let taken = names
                        .get(&x.name.trim().to_lowercase())
                        .and_then(|ids| ids.iter().find(|&&id| id != x.polity.as_str()));
                    if let Some(other) = taken {
                        c.push(
                            format!("{ep}.name"),
                            format!("{es}.name"),
                            format!(
                                "{} is already a name of polity `{other}` (a polity may not take another's name or id: the chronicle could not tell them apart)",
                                quote(&x.name)
                            ),
                        );
                    }
                    if x.name.trim().is_empty() || x.name.len() > MAX_NAME_BYTES {
                        c.push(
                            format!("{ep}.name"),
                            format!("{es}.name"),
                            format!("a display name is 1 to {MAX_NAME_BYTES} bytes, not only spaces"),
                        );
                    }
                }
                _ => {}
            }
            for (field, id) in &polities {
                ids_ok(&mut c, field, id);
            }
            if let Some((field, value, lo, hi)) = number {
                c.range(
                    &format!("{ep}.{field}"),
                    &format!("{es}.{field}"),
                    value,
                    lo,
                    hi,
                    "",
                );
            }
            if let Effect::Strength(x) = effect {
                c.range(
                    &format!("{ep}.factor"),
                    &format!("{es}.factor"),
                    x.factor,
                    MIN_FACTOR,
                    MAX_FACTOR,
                    "",
                );
            }
            if let [(_, a), (_, b)] = polities.as_slice() {
                if a == b {
                    c.push(
                        ep.clone(),
                        es.clone(),
                        "an effect between a polity and itself".into(),
                    );
                }
            }
        }
    }
    if let Some(cyc) = condition::cycle(sc) {
        let mut ids: Vec<&str> = cyc.iter().map(|&k| sc.events[k].id.as_str()).collect();
        if ids.len() > 12 {
            // A long cycle: its first events, then its end.
            let end = ids.split_off(ids.len() - 2);
            ids.truncate(8);
            ids.push("…");
            ids.extend(end);
        }
        let first = cyc[0];
        let message = if cyc.len() == 2 {
            format!(
                "event `{}` is conditioned on its own firing: it could never fire",
                ids[0]
            )
        } else {
            format!(
                "events conditioned on each other in a cycle ({}): none of them could ever fire",
                ids.join(" waits for ")
            )
        };
        c.push(
            format!("events.{}.when", sc.events[first].id),
            format!("events[{first}].when"),
            message,
        );
    }
    if check_sets {
        let combos = set_variants(sc);
        if combos > MAX_SET_VARIANTS as u128 {
            c.push(
                "events".into(),
                "events".into(),
                format!(
                    "the events' Set effects make {combos} combinations of values (allowed: at most {MAX_SET_VARIANTS}; each is compiled before the runs): set fewer paths, or set each path from fewer events"
                ),
            );
        }
        c.tied(sc, &set_paths(sc));
        c.strength_changes(sc);
        c.priors(sc);
        c.posterior(sc);
    }
    c
}

/// A path that the `Set` effects of a scenario set, with the events that set it.
#[derive(Debug, Clone, PartialEq)]
pub struct SetPath {
    /// The `--set` path.
    pub path: String,
    /// Each setter as (event index, value), in the order of events; an event that sets the path
    /// twice counts once, with its last value.
    pub setters: Vec<(usize, f64)>,
}

/// The paths that the `Set` effects of `sc` set, in the order they first appear.
pub fn set_paths(sc: &Scenario) -> Vec<SetPath> {
    let mut paths: Vec<SetPath> = Vec::new();
    for (e, event) in sc.events.iter().enumerate() {
        for f in &event.effects {
            let Effect::Set(x) = f else { continue };
            let k = match paths.iter().position(|p| p.path == x.path) {
                Some(k) => k,
                None => {
                    paths.push(SetPath {
                        path: x.path.clone(),
                        setters: Vec::new(),
                    });
                    paths.len() - 1
                }
            };
            match paths[k].setters.last_mut() {
                Some(last) if last.0 == e => last.1 = x.value,
                _ => paths[k].setters.push((e, x.value)),
            }
        }
    }
    paths
}

/// How many combinations of values the `Set` effects of `sc` can make: per path set by `k`
/// events, `1 + k` choices (none yet, or the last of those events to fire).
pub fn set_variants(sc: &Scenario) -> u128 {
    set_paths(sc)
        .iter()
        .fold(1u128, |acc, p| acc.saturating_mul(1 + p.setters.len() as u128))
}

impl Checker {
    /// Check the condition `when` of an event (at `path`, `src` in the file).
    fn condition(
        &mut self,
        ids: &HashSet<&str>,
        events: &HashSet<&str>,
        path: &str,
        src: &str,
        when: &Condition,
    ) {
        let nodes = condition::walk(when);
        if nodes.len() > condition::MAX_CONDITION_NODES
            || nodes.iter().any(|(_, d, _)| *d >= condition::MAX_CONDITION_DEPTH)
        {
            self.push(
                path.to_string(),
                src.to_string(),
                format!(
                    "the condition is too large (allowed: at most {} conditions, nested at most {} deep)",
                    condition::MAX_CONDITION_NODES,
                    condition::MAX_CONDITION_DEPTH
                ),
            );
            return;
        }
        for (sub, _, c) in nodes {
            let (p, s) = (format!("{path}{sub}"), format!("{src}{sub}"));
            let pair = |me: &mut Checker, a: &str, b: &str, side: &[(&str, &Option<String>)]| {
                let ok = me.polity(ids, &format!("{p}.a"), &format!("{s}.a"), a)
                    & me.polity(ids, &format!("{p}.b"), &format!("{s}.b"), b);
                if ok && a == b {
                    me.push(
                        p.clone(),
                        s.clone(),
                        format!("a condition on the pair of `{a}` with itself"),
                    );
                }
                for (field, x) in side {
                    if let Some(x) = x {
                        if x != a && x != b {
                            me.push(
                                format!("{p}.{field}"),
                                format!("{s}.{field}"),
                                format!("{field} {} must be `{a}` or `{b}`", quote(x)),
                            );
                        }
                    }
                }
            };
            let after = match c {
                Condition::Status(x) => {
                    pair(self, &x.a, &x.b, &[("lord", &x.lord)]);
                    if x.lord.is_some() && x.is != StatusKind::Vassal {
                        self.push(
                            format!("{p}.lord"),
                            format!("{s}.lord"),
                            "a lord is named only with `is: Vassal`".into(),
                        );
                    }
                    Some(x.after)
                }
                Condition::WarBegun(x) => {
                    pair(self, &x.a, &x.b, &[("by", &x.by)]);
                    Some(x.after)
                }
                Condition::WarEnded(x) => {
                    pair(self, &x.a, &x.b, &[("winner", &x.winner)]);
                    Some(x.after)
                }
                Condition::Balance(x) => {
                    let ok = self.polity(ids, &format!("{p}.favour"), &format!("{s}.favour"), &x.favour)
                        & self.polity(ids, &format!("{p}.against"), &format!("{s}.against"), &x.against);
                    if ok && x.favour == x.against {
                        self.push(
                            p.clone(),
                            s.clone(),
                            "a balance of a polity against itself".into(),
                        );
                    }
                    self.range(
                        &format!("{p}.at_least"),
                        &format!("{s}.at_least"),
                        x.at_least,
                        -1.0,
                        1.0,
                        "",
                    );
                    None
                }
                Condition::Ended(x) => {
                    self.polity(ids, &format!("{p}.polity"), &format!("{s}.polity"), &x.polity);
                    Some(x.after)
                }
                Condition::Fired(x) => {
                    if !events.contains(x.event.as_str()) {
                        if self.found.len() >= MAX_PROBLEMS {
                            // Only counted, without building the list of known ids.
                            self.more += 1;
                        } else {
                            let mut known: Vec<&str> = events.iter().copied().collect();
                            known.sort_unstable();
                            self.push(
                                format!("{p}.event"),
                                format!("{s}.event"),
                                format!(
                                    "unknown event id {} (known: {})",
                                    quote(&x.event),
                                    super::list_ids(&known, ", ")
                                ),
                            );
                        }
                    }
                    Some(x.after)
                }
                Condition::All(_) | Condition::Any(_) | Condition::Not(_) => None,
            };
            if let Some(m) = after {
                if i64::from(m) > MAX_MONTHS {
                    self.push(
                        format!("{p}.after"),
                        format!("{s}.after"),
                        format!("{m} is out of range (allowed: 0 ..= {MAX_MONTHS} months)"),
                    );
                }
            }
        }
    }

    /// Check a `Set` effect (at `ep`, `es` in the file): its path must be one `--set` reaches with
    /// a number, and the scenario with the value set must be valid at that path.
    fn set_effect(&mut self, sc: &Scenario, ep: &str, es: &str, x: &SetEffect) {
        let (pp, ps) = (format!("{ep}.path"), format!("{es}.path"));
        let structural = ["seed", "runs", "warmup"];
        if structural.contains(&x.path.as_str()) || x.path.starts_with("mechanisms.") {
            self.push(
                pp,
                ps,
                format!(
                    "{} cannot be set during a run (allowed: the numbers of polities, relations, rules and events' probabilities)",
                    quote(&x.path)
                ),
            );
            return;
        }
        if super::overrides::is_switch(sc, &x.path) {
            self.push(pp, ps, format!("{} is a switch, not a number", quote(&x.path)));
            return;
        }
        let Some(value) = set_value_text(x.value) else {
            self.push(
                format!("{ep}.value"),
                format!("{es}.value"),
                format!("{} is not a finite number", x.value),
            );
            return;
        };
        // The path and the kind of number it takes, on a scenario that only names the part the
        // path names (so that the work does not grow with the scenario).
        let o = super::Override {
            path: x.path.clone(),
            value,
        };
        if let Err(message) = super::overrides::check_override(sc, &o) {
            if self.found.len() >= MAX_PROBLEMS {
                self.more += 1;
                return;
            }
            // Said again on the whole scenario, for the nearest paths it knows (only for the
            // problems listed, so the work stays bounded).
            let message = super::overrides::apply_override(sc, &o).err().unwrap_or(message);
            self.push(pp, ps, format!("{}: {message}", quote(&x.path)));
            return;
        }
        // Its range: the one every other value of the path has. (Rules that tie it to another
        // number are checked with every value both can take, in `tied`.)
        if let Some((lo, hi, open)) = field_range(sc, &x.path) {
            if let Some(message) = number_problem(x.value, lo, hi, open, "") {
                self.push(
                    format!("{ep}.value"),
                    format!("{es}.value"),
                    format!("{}: {message}", x.path),
                );
            }
        }
    }
}

/// The text by which a `Set` value is handed to `--set`'s parser: whole numbers without a
/// decimal point (so that whole-number fields take them), others as Rust prints them (in
/// scientific notation below 1e-6 and from 1e15 on, [`super::prior::number_text`]). `None`
/// if not finite.
pub fn set_value_text(value: f64) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        Some(format!("{}", value as i64))
    } else {
        // Scientific notation for the very small and very large: short, and read back exactly.
        Some(super::prior::number_text(value))
    }
}

/// The allowed range of the number at `--set` path `path` of `sc`: (lowest, highest, whether the
/// lowest is excluded), or `None` for a path that names no checked number (or an id `sc` lacks).
///
/// The ranges are those [`validate`] checks (the one source), read once from a check of the
/// built-in baseline and looked up by field, so that a lookup costs no validation.
pub fn field_range(sc: &Scenario, path: &str) -> Option<(f64, f64, bool)> {
    let key = range_key(path)?;
    let known = |id: &str| sc.polities.iter().any(|p| p.id == id);
    let ids_ok = match path.split('.').collect::<Vec<_>>().as_slice() {
        ["polities", id, _] => known(id),
        ["relations", a, b, _] => known(a) && known(b),
        ["events", id, _] => sc.events.iter().any(|e| e.id == *id),
        _ => true,
    };
    if !ids_ok {
        return None;
    }
    range_table().get(&key).copied()
}

/// The field of a `--set` path with its ids left out (`polities.*.greed`), or `None` for a path
/// of another shape.
fn range_key(path: &str) -> Option<String> {
    match path.split('.').collect::<Vec<_>>().as_slice() {
        ["polities", _, field] => Some(format!("polities.*.{field}")),
        ["relations", _, _, field] => Some(format!("relations.*.*.{field}")),
        ["rules", field] => Some(format!("rules.{field}")),
        ["events", _, field] => Some(format!("events.*.{field}")),
        _ => None,
    }
}

/// Every field's range as [`validate`] checks it, by [`range_key`].
fn range_table() -> &'static std::collections::HashMap<String, (f64, f64, bool)> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<String, (f64, f64, bool)>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let base: Scenario = super::parse_ron(super::BASELINE_FILE, super::BASELINE_RON)
            .unwrap_or_else(|_| unreachable!("the built-in baseline parses (a test checks it)"));
        checked_ranges(&base)
            .into_iter()
            .filter_map(|(path, lo, hi, open)| Some((range_key(&path)?, (lo, hi, open))))
            .collect()
    })
}

/// The allowed range of every number of `sc` that validation checks, by `--set` path:
/// `(path, lowest, highest, whether the lowest is excluded)` (one validation for all of them).
pub fn field_ranges(sc: &Scenario) -> Vec<(String, f64, f64, bool)> {
    let mut plain = sc.clone();
    plain.priors.clear();
    checked_ranges(&plain)
}

/// Rules that tie two numbers: `(the lower, the higher, why)`. Each must hold for every value
/// each number can take in a run: its fixed value or its prior's whole support, and every value
/// a `Set` effect gives it (the engine compiles a model for every combination of `Set` values).
pub const TIED: [(&str, &str, &str); 1] = [(
    "rules.terms_cession",
    "rules.terms_junior",
    "junior status is the harsher term",
)];

/// The value of a number [`TIED`] names.
fn tied_value(sc: &Scenario, path: &str) -> Option<f64> {
    match path {
        "rules.terms_cession" => Some(sc.rules.terms_cession),
        "rules.terms_junior" => Some(sc.rules.terms_junior),
        _ => None,
    }
}

impl Checker {
    /// Check every rule of [`TIED`] for every combination of (a prior's support ends, the fixed
    /// value) × (the values `Set` effects give), in one place.
    fn tied(&mut self, sc: &Scenario, sets: &[SetPath]) {
        // The lowest and highest value of `path` in a run, and what can give them.
        let reach = |path: &str| -> Option<(f64, f64, Vec<String>)> {
            let fixed = tied_value(sc, path)?;
            let (mut lo, mut hi, mut from) = match sc.priors.iter().find(|p| p.path == path) {
                Some(p) => {
                    let (a, b) = match p.dist {
                        Distribution::Normal(..) => {
                            let (lo, hi, _) = field_range(sc, path)?;
                            (lo, hi)
                        }
                        _ => p.dist.support(),
                    };
                    (a, b, vec![format!("its prior {}", p.dist)])
                }
                None => (fixed, fixed, Vec::new()),
            };
            if let Some(set) = sets.iter().find(|s| s.path == path) {
                for &(e, v) in &set.setters {
                    lo = lo.min(v);
                    hi = hi.max(v);
                    from.push(format!("a Set by event `{}` to {v}", sc.events[e].id));
                }
            }
            Some((lo, hi, from))
        };
        for (low, high, why) in TIED {
            let (Some((_, low_hi, low_from)), Some((high_lo, _, high_from))) = (reach(low), reach(high))
            else {
                continue;
            };
            if high_lo >= low_hi {
                continue;
            }
            let message = if low_from.is_empty() && high_from.is_empty() {
                format!("{high_lo} is below {low} {low_hi} ({why})")
            } else {
                let from = |list: &[String]| {
                    if list.is_empty() {
                        "its fixed value".to_string()
                    } else {
                        list.join(", ")
                    }
                };
                format!(
                    "a run can have {high} {high_lo} below {low} {low_hi} ({why}): {high} takes {}; {low} takes {} (allowed: the lowest {high} at least the highest {low})",
                    from(&high_from),
                    from(&low_from)
                )
            };
            self.push(high.to_string(), high.to_string(), message);
        }
    }

    /// Check that the `Strength` effects on each polity, all fired, multiply its strength by at
    /// most [`MAX_STRENGTH_CHANGE`] and at least its reciprocal.
    fn strength_changes(&mut self, sc: &Scenario) {
        let mut change: std::collections::HashMap<&str, (f64, f64)> = std::collections::HashMap::new();
        for e in &sc.events {
            for f in &e.effects {
                if let Effect::Strength(x) = f {
                    if !(x.factor.is_finite() && x.factor > 0.0) {
                        continue;
                    }
                    let c = change.entry(x.polity.as_str()).or_insert((1.0, 1.0));
                    if x.factor < 1.0 {
                        c.0 *= x.factor;
                    } else {
                        c.1 *= x.factor;
                    }
                }
            }
        }
        let mut over: Vec<(&str, (f64, f64))> = change
            .into_iter()
            .filter(|(_, (down, up))| *down < 1.0 / MAX_STRENGTH_CHANGE || *up > MAX_STRENGTH_CHANGE)
            .collect();
        over.sort_by(|a, b| a.0.cmp(b.0));
        for (id, (down, up)) in over {
            self.push(
                "events".into(),
                "events".into(),
                format!(
                    "the Strength effects on `{id}`, all fired, multiply its strength by {down:e} to {up:e} (allowed: {:e} ..= {MAX_STRENGTH_CHANGE:e}, so that strengths and their ratios stay finite)",
                    1.0 / MAX_STRENGTH_CHANGE
                ),
            );
        }
    }
}

impl Checker {
    /// Check the priors of `sc`: each on a real number `--set` reaches, once, with numbers that
    /// make a distribution, inside the field's range (a `Normal` is truncated to it), and the
    /// scenario valid at each end of its support.
    fn priors(&mut self, sc: &Scenario) {
        if sc.priors.is_empty() {
            return;
        }
        let where_ = |p: &Prior, k: usize| -> (String, String) {
            let src = if p.at.is_empty() {
                format!("priors[{k}]")
            } else {
                p.at.clone()
            };
            (p.path.clone(), src)
        };
        if sc.priors.len() > super::prior::MAX_PRIORS {
            self.push(
                "priors".into(),
                "priors".into(),
                format!(
                    "{} priors given (allowed: at most {})",
                    sc.priors.len(),
                    super::prior::MAX_PRIORS
                ),
            );
            return;
        }
        let mut seen = HashSet::new();
        for (k, p) in sc.priors.iter().enumerate() {
            let (path, src) = where_(p, k);
            if !seen.insert(p.path.as_str()) {
                self.push(path, src, format!("a second prior for {}", quote(&p.path)));
                continue;
            }
            if let Some(problem) = p.dist.problem() {
                self.push(path, src, problem);
                continue;
            }
            // The field's range, looked up (no validation per prior: the work grows with the
            // priors plus the scenario, not their product).
            let range = field_range(sc, &p.path).filter(|_| super::prior::takes_prior(&p.path));
            let Some((lo, hi, open)) = range else {
                self.push(
                    path,
                    src,
                    format!("{} takes no prior (only the real numbers of polities, relations, rules and event probabilities do)", quote(&p.path)),
                );
                continue;
            };
            let allowed = if open {
                format!("greater than {lo}, at most {hi}")
            } else {
                format!("{lo} ..= {hi}")
            };
            match &p.dist {
                Distribution::Normal(_, sd) if *sd > 1000.0 * (hi - lo) => {
                    self.push(
                        path,
                        src,
                        format!("{} is too wide for the field's range (allowed: an sd of at most 1000 times the range's width, {}; wider, the truncated Normal is a Uniform on the range: write that)", p.dist, 1000.0 * (hi - lo)),
                    );
                }
                Distribution::Normal(mean, _) => {
                    if number_problem(*mean, lo, hi, open, "").is_some() {
                        self.push(
                            path,
                            src,
                            format!("{}: its mean is outside the field's range (allowed: {allowed}; a Normal is truncated to the range)", p.dist),
                        );
                    }
                }
                dist => {
                    // Every value the prior can give: the ends of its support, and every value
                    // of a Choice (none subnormal).
                    let (a, b) = dist.support();
                    let mut points = vec![a, b];
                    if let Distribution::Choice(v) = dist {
                        points.extend(v.iter().copied());
                    }
                    let outside = |x: f64| x > hi || x < lo || (open && x <= lo);
                    if points.iter().any(|&x| outside(x)) {
                        self.push(
                            path,
                            src,
                            format!("{} reaches outside the field's range (allowed: {allowed}; only a Normal is truncated)", p.dist),
                        );
                    } else if let Some(why) = points.iter().find_map(|&x| number_problem(x, lo, hi, open, ""))
                    {
                        self.push(path, src, format!("{}: {why}", p.dist));
                    }
                }
            }
        }
    }
}

impl Checker {
    /// Check a posterior sample the priors are drawn from: every path a prior, whole rows,
    /// every value finite and inside its field's range.
    fn posterior(&mut self, sc: &Scenario) {
        let Some(sample) = &sc.posterior else { return };
        let here = |c: &mut Checker, message: String| c.push("posterior".into(), "posterior".into(), message);
        if sample.paths.is_empty()
            || sample.values.is_empty()
            || sample.values.len() % sample.paths.len() != 0
        {
            here(
                self,
                format!("the posterior sample {} has no whole rows", quote(&sample.from)),
            );
            return;
        }
        for (k, path) in sample.paths.iter().enumerate() {
            let Some(prior) = sc.priors.iter().find(|p| p.path == *path) else {
                here(
                    self,
                    format!(
                        "the posterior sample {} has {}, which is not a prior of `{}`",
                        quote(&sample.from),
                        quote(path),
                        sc.name
                    ),
                );
                return;
            };
            // The prior's own support (a Normal's is the field's range it is truncated to).
            let Some((lo, hi, open)) = field_range(sc, path) else {
                continue;
            };
            let inside = |v: f64| -> bool {
                if number_problem(v, lo, hi, open, "").is_some() {
                    return false;
                }
                match &prior.dist {
                    Distribution::Normal(..) => true,
                    Distribution::Choice(values) => values.contains(&v),
                    dist => {
                        let (a, b) = dist.support();
                        (a..=b).contains(&v)
                    }
                }
            };
            let column = sample.values.iter().skip(k).step_by(sample.paths.len());
            let outside = column.clone().filter(|&&v| !inside(v)).count();
            if let Some(v) = column.clone().find(|&&v| !inside(v)) {
                here(
                    self,
                    format!(
                        "the posterior sample {} gives {path} {outside} of {} values outside its prior in `{}`, {} (the first: {v}): a sample must lie within the priors of the reading that draws from it",
                        quote(&sample.from),
                        sample.rows(),
                        sc.name,
                        prior.dist
                    ),
                );
                return;
            }
        }
    }
}

/// The ranges of every number of `sc` as [`validate`] checks them.
fn checked_ranges(sc: &Scenario) -> Vec<(String, f64, f64, bool)> {
    check(sc, false).ranges
}

impl Checker {
    /// The problems, with a last line counting those beyond [`MAX_PROBLEMS`].
    fn finish(mut self) -> Vec<Violation> {
        if self.more > 0 {
            self.found.push(Violation {
                path: String::new(),
                source_path: "…".into(),
                message: format!("and {} more problems", self.more),
            });
        }
        self.found
    }
}
