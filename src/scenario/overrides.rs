//! `--set PATH=VALUE`: override any number or switch of a scenario by path.
//!
//! Paths use polity and event ids: `polities.song.mobilization_lag`,
//! `relations.song.jin.provocation_rate` (a directed pair the file does not list is added with
//! its defaults first), `events.pingzhou.probability`, `mechanisms.provocations`,
//! `rules.talks_success`, `seed`, `runs`. A path that leads nowhere is answered with the nearest
//! valid paths. The overridden scenario must be validated again.
//!
//! An override is at most [`MAX_OVERRIDE_BYTES`] long, and the search for the nearest paths
//! compares a path with a bounded set of candidates (the relations only of the polities whose
//! ids are nearest to the ids in the path), so a hostile override is answered at once.

use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::prior::{Distribution, Prior};
use super::schema::{Mechanisms, Relation, Scenario};
use crate::text::{clip_quoted, quote};

/// Longest override `PATH=VALUE` (a `--set`, or an entry of a variant's `set`), in bytes. Paths of
/// real fields are short: the longest, `relations.<id>.<id>.provocation_rate` with two ids of
/// [`MAX_ID_BYTES`](super::MAX_ID_BYTES), is 156 bytes, which leaves 99 for the value.
pub const MAX_OVERRIDE_BYTES: usize = 256;

/// How many nearest valid paths a path that leads nowhere is answered with.
const NEAREST: usize = 3;

/// One `PATH=VALUE` override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Dotted path.
    pub path: String,
    /// The new value as written.
    pub value: String,
}

/// Why an override longer than [`MAX_OVERRIDE_BYTES`] (`bytes` long, starting with `text`) is
/// refused.
fn too_long(text: &str, bytes: usize) -> String {
    format!(
        "{} is {bytes} bytes long (allowed: at most {MAX_OVERRIDE_BYTES} bytes for PATH=VALUE; no path of a field is longer than 156)",
        quote(text)
    )
}

impl FromStr for Override {
    type Err = String;
    fn from_str(s: &str) -> Result<Override, String> {
        if s.len() > MAX_OVERRIDE_BYTES {
            return Err(too_long(s, s.len()));
        }
        let malformed = || {
            format!(
                "{} is not PATH=VALUE (e.g. polities.song.mobilization_lag=2)",
                quote(s)
            )
        };
        let (path, value) = s.split_once('=').ok_or_else(malformed)?;
        if path.trim().is_empty() || value.trim().is_empty() {
            return Err(malformed());
        }
        Ok(Override {
            path: path.trim().to_string(),
            value: value.trim().to_string(),
        })
    }
}

/// The fields of the scenario itself that `--set` reaches (the others are in its parts).
const TOP_LEVEL: [&str; 3] = ["seed", "runs", "warmup"];

/// Every path that `--set` accepts for `sc`, sorted.
pub fn leaf_paths(sc: &Scenario) -> Vec<String> {
    let ids: Vec<&str> = sc.polities.iter().map(|p| p.id.as_str()).collect();
    paths_with_relations(sc, &ids, &ids)
}

/// `x` as JSON (`Null` if it cannot be written, which no scenario part does).
///
/// A Model 3 number that `x` leaves out of its JSON (one written out only when it differs from
/// its default) is filled in with its default, so that `--set` reaches it like any other.
fn json<T: Serialize + DeserializeOwned>(x: &T) -> Value {
    let mut v = serde_json::to_value(x).unwrap_or(Value::Null);
    if let Value::Object(map) = &v {
        let missing: Vec<(&str, Value)> = super::describe::MODEL3_DEFAULTS
            .iter()
            .filter(|(name, _)| !map.contains_key(*name))
            .filter_map(|(name, text)| Some((*name, serde_json::from_str::<Value>(text).ok()?)))
            .collect();
        for (name, default) in missing {
            // Only the fields that `T` has (its parts refuse unknown fields).
            let mut with = v.clone();
            with[name] = default.clone();
            if serde_json::from_value::<T>(with).is_ok() {
                v[name] = default;
            }
        }
    }
    v
}

/// The paths that `--set` accepts for `sc`, with the relations only of the directed pairs from a
/// polity of `from` to another of `to`, sorted.
fn paths_with_relations(sc: &Scenario, from: &[&str], to: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = TOP_LEVEL.iter().map(|s| s.to_string()).collect();
    // The switches by name: one that is off by default is not written out in JSON when off.
    out.extend(Mechanisms::NAMES.iter().map(|n| format!("mechanisms.{n}")));
    let mut push_leaves = |prefix: &str, obj: &Value| {
        if let Value::Object(map) = obj {
            for (k, x) in map {
                if x.is_number() || x.is_boolean() {
                    out.push(format!("{prefix}{k}"));
                }
            }
        }
    };
    push_leaves("rules.", &json(&sc.rules));
    for p in &sc.polities {
        push_leaves(&format!("polities.{}.", p.id), &json(p));
    }
    let blank = json(&Relation::unlisted("", ""));
    for a in from {
        for b in to.iter().filter(|b| *b != a) {
            push_leaves(&format!("relations.{a}.{b}."), &blank);
        }
    }
    for e in &sc.events {
        out.push(format!("events.{}.probability", e.id));
    }
    out.sort();
    out.dedup();
    out
}

/// The Levenshtein distance between `a` and `b` (in characters) if it is at most `limit`.
///
/// The smallest entry of a row of the table never decreases from one row to the next, so the
/// computation stops as soon as a row holds nothing within `limit`; a length difference beyond
/// `limit` is answered at once.
fn distance_within(a: &[char], b: &str, limit: usize) -> Option<usize> {
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        let mut least = row[0];
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            least = least.min(row[j + 1]);
            prev = cur;
        }
        if least > limit {
            return None;
        }
    }
    Some(row[b.len()]).filter(|&d| d <= limit)
}

/// The `k` items nearest to `target` (by edit distance, then alphabetically), nearest first.
fn nearest<'a>(target: &str, items: impl IntoIterator<Item = &'a str>, k: usize) -> Vec<&'a str> {
    let target: Vec<char> = target.chars().collect();
    let mut best: Vec<(usize, &str)> = Vec::with_capacity(k + 1);
    for item in items {
        let limit = if best.len() < k { usize::MAX } else { best[k - 1].0 };
        if let Some(d) = distance_within(&target, item, limit) {
            let at = best.partition_point(|&(bd, bi)| (bd, bi) < (d, item));
            best.insert(at, (d, item));
            best.truncate(k);
        }
    }
    best.into_iter().map(|(_, item)| item).collect()
}

/// Why `path` leads nowhere, with the nearest valid paths.
///
/// The candidates are every valid path except that the relations are only those between the
/// polities whose ids are nearest to the path's second and third parts (`relations.<from>.<to>`),
/// so the work is bounded by the number of polities and events, not by their square; `path` is
/// at most [`MAX_OVERRIDE_BYTES`] long.
fn unknown_path(sc: &Scenario, path: &str) -> String {
    let part = |k: usize| path.split('.').nth(k).unwrap_or("");
    let ids = || sc.polities.iter().map(|p| p.id.as_str());
    let from = nearest(part(1), ids(), NEAREST);
    let to = nearest(part(2), ids(), NEAREST);
    let candidates = paths_with_relations(sc, &from, &to);
    let found = nearest(path, candidates.iter().map(String::as_str), NEAREST);
    format!(
        "no such number or switch; nearest valid paths: {}",
        found.join(", ")
    )
}

/// An override that did not apply.
enum Miss {
    /// The path leads to no number or switch.
    Nowhere,
    /// The value does not fit the field.
    Value(String),
}

/// The value `text` for the number or switch `leaf` (of the same kind).
fn leaf_value(leaf: &Value, text: &str) -> Result<Value, Miss> {
    let bad = |what: &str| Miss::Value(format!("{} is not {what}", quote(text)));
    if leaf.is_boolean() {
        match text {
            "true" | "on" => Ok(Value::Bool(true)),
            "false" | "off" => Ok(Value::Bool(false)),
            _ => Err(bad("a switch value (true or false)")),
        }
    } else if leaf.is_u64() {
        let n: u64 = text.parse().map_err(|_| bad("a whole number ≥ 0"))?;
        Ok(Value::from(n))
    } else {
        let x: f64 = text.parse().map_err(|_| bad("a number"))?;
        if !x.is_finite() {
            return Err(bad("a finite number"));
        }
        Ok(Value::from(x))
    }
}

/// Set the number or switch `field` of `x` (a part of a scenario) to `text`. `x` is left as it
/// was unless the whole change succeeds.
fn set_field<T: Serialize + DeserializeOwned>(x: &mut T, field: &str, text: &str) -> Result<(), Miss> {
    let mut v = json(x);
    let leaf = v
        .get_mut(field)
        .filter(|l| l.is_number() || l.is_boolean())
        .ok_or(Miss::Nowhere)?;
    *leaf = leaf_value(leaf, text)?;
    *x = serde_json::from_value(v).map_err(|e| {
        Miss::Value(format!(
            "cannot take {}: {}",
            quote(text),
            clip_quoted(&e.to_string())
        ))
    })?;
    Ok(())
}

/// The value at path `path` of `sc` as JSON (the defaults of a relation for a relation path),
/// if the path names a field of a polity, a relation or the rules.
fn leaf(sc: &Scenario, path: &str) -> Option<Value> {
    let segs: Vec<&str> = path.split('.').collect();
    match segs.as_slice() {
        ["polities", id, field] => sc
            .polities
            .iter()
            .find(|p| p.id == *id)
            .and_then(|p| json(p).get(*field).cloned()),
        ["relations", _, _, field] => json(&Relation::unlisted("", "")).get(*field).cloned(),
        ["rules", field] => json(&sc.rules).get(*field).cloned(),
        _ => None,
    }
}

/// Whether `path` names a whole-number field of `sc` (`reaction_delay`, `truce_months`).
fn is_whole_number(sc: &Scenario, path: &str) -> bool {
    leaf(sc, path).is_some_and(|v| v.is_u64())
}

/// Whether `path` names a switch (a `true`/`false` field) of `sc` rather than a number.
pub(crate) fn is_switch(sc: &Scenario, path: &str) -> bool {
    (path.starts_with("mechanisms.") && path.split('.').count() == 2)
        || leaf(sc, path).is_some_and(|v| v.is_boolean())
}

/// Check that override `o` applies to `sc` (its path, and a value of the kind the path takes),
/// without changing `sc` and without work that grows with `sc`: it is applied to a copy that
/// holds only the polities, relation and event the path names.
pub(crate) fn check_override(sc: &Scenario, o: &Override) -> Result<(), String> {
    let segs: Vec<&str> = o.path.split('.').collect();
    let named = |id: &str| segs.len() >= 3 && (segs[1] == id || (segs[0] == "relations" && segs[2] == id));
    let mut part = Scenario {
        name: sc.name.clone(),
        description: String::new(),
        start: sc.start,
        end: sc.end,
        seed: sc.seed,
        runs: sc.runs,
        warmup: sc.warmup,
        mechanisms: sc.mechanisms,
        rules: sc.rules,
        polities: sc.polities.iter().filter(|p| named(&p.id)).cloned().collect(),
        relations: sc
            .relations
            .iter()
            .filter(|r| segs.len() == 4 && r.from == segs[1] && r.to == segs[2])
            .cloned()
            .collect(),
        statuses: Vec::new(),
        events: sc
            .events
            .iter()
            .filter(|e| segs.first() == Some(&"events") && named(&e.id))
            .cloned()
            .collect(),
        priors: Vec::new(),
        posterior: None,
    };
    apply_override_in_place(&mut part, o)
}

/// Apply one override to `sc` in place. Only the part of the scenario that the path names is
/// converted, so the work does not grow with the size of the scenario (beyond finding the part).
/// On an error `sc` is unchanged.
///
/// A value that is a distribution (`Uniform(0.3, 0.7)`) makes the number a prior: the scenario
/// keeps the distribution's center at the path and the prior in [`Scenario::priors`]. A plain
/// value fixes the number again and removes any prior at the path.
pub(crate) fn apply_override_in_place(sc: &mut Scenario, o: &Override) -> Result<(), String> {
    let bytes = o.path.len() + 1 + o.value.len();
    if bytes > MAX_OVERRIDE_BYTES {
        return Err(too_long(&format!("{}={}", o.path, o.value), bytes));
    }
    if let Some(dist) = Distribution::parse(&o.value) {
        let dist = dist?;
        if let Some(problem) = dist.problem() {
            return Err(problem);
        }
        // The center, inside the field's range even when the prior is not (validation then
        // refuses the prior, not its center).
        let mut center = dist.center();
        if let Some((lo, hi, open)) = super::field_range(sc, &o.path) {
            if center > hi || center < lo || (open && center <= lo) {
                center = 0.5 * (lo + hi);
            }
        }
        let center = Override {
            path: o.path.clone(),
            value: super::set_value_text(center).ok_or_else(|| format!("{dist} has no usable center"))?,
        };
        if is_switch(sc, &o.path) {
            return Err(format!(
                "{} is a switch: it takes true or false, not a distribution",
                quote(&o.path)
            ));
        }
        if TOP_LEVEL.contains(&o.path.as_str()) {
            return Err(format!(
                "{} takes no prior (only the real numbers of polities, relations, rules and event probabilities do)",
                quote(&o.path)
            ));
        }
        if is_whole_number(sc, &o.path) {
            return Err(format!(
                "{} is a whole number: it takes no prior (write a variant per value instead)",
                quote(&o.path)
            ));
        }
        apply_override_in_place(sc, &center)?;
        sc.priors.retain(|p| p.path != o.path);
        sc.priors.push(Prior {
            path: o.path.clone(),
            dist,
            at: String::new(),
        });
        return Ok(());
    }
    let segs: Vec<&str> = o.path.split('.').collect();
    let known = |id: &str| sc.polities.iter().any(|p| p.id == id);
    let result = match segs.as_slice() {
        ["polities", id, field] => match sc.polities.iter_mut().find(|p| p.id == *id) {
            Some(p) => set_field(p, field, &o.value),
            None => Err(Miss::Nowhere),
        },
        ["relations", from, to, field] if from != to && known(from) && known(to) => {
            match sc.relations.iter_mut().find(|r| r.from == *from && r.to == *to) {
                Some(r) => set_field(r, field, &o.value),
                None => {
                    let mut r = Relation::unlisted(from, to);
                    set_field(&mut r, field, &o.value).map(|()| sc.relations.push(r))
                }
            }
        }
        ["events", id, field @ "probability"] => match sc.events.iter_mut().find(|e| e.id == *id) {
            Some(e) => set_field(e, field, &o.value),
            None => Err(Miss::Nowhere),
        },
        ["mechanisms", name] => match sc.mechanisms.switch_mut(name) {
            Some(switch) => {
                leaf_value(&Value::Bool(*switch), &o.value).map(|v| *switch = v == Value::Bool(true))
            }
            None => Err(Miss::Nowhere),
        },
        ["rules", name] => set_field(&mut sc.rules, name, &o.value),
        ["warmup"] => leaf_value(&Value::from(sc.warmup), &o.value).and_then(|v| {
            let months = v.as_u64().and_then(|m| u32::try_from(m).ok());
            months
                .map(|m| sc.warmup = m)
                .ok_or_else(|| Miss::Value(format!("`{}` is not a number of months", o.value)))
        }),
        [top] if TOP_LEVEL.contains(top) => {
            let slot = if *top == "seed" {
                &mut sc.seed
            } else {
                &mut sc.runs
            };
            leaf_value(&Value::from(*slot), &o.value).map(|v| *slot = v.as_u64().unwrap_or(*slot))
        }
        _ => Err(Miss::Nowhere),
    };
    match result {
        Ok(()) => {
            sc.priors.retain(|p| p.path != o.path);
            Ok(())
        }
        Err(Miss::Value(message)) => Err(message),
        Err(Miss::Nowhere) => Err(unknown_path(sc, &o.path)),
    }
}

/// Apply one override, returning the changed scenario (not yet validated).
pub fn apply_override(sc: &Scenario, o: &Override) -> Result<Scenario, String> {
    let mut out = sc.clone();
    apply_override_in_place(&mut out, o)?;
    Ok(out)
}
