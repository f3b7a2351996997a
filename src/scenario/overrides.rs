//! `--set PATH=VALUE`: override any number or switch of a scenario by path.
//!
//! Paths use polity and event ids: `polities.song.mobilization_lag`,
//! `relations.song.jin.provocation_rate` (a directed pair the file does not list is added with
//! its defaults first), `events.pingzhou.probability`, `mechanisms.provocations`,
//! `rules.talks_success`, `seed`, `runs`. A path that leads nowhere is answered with the nearest
//! valid paths. The overridden scenario must be validated again.

use std::str::FromStr;

use serde_json::Value;

use super::schema::{Relation, Scenario};

/// One `PATH=VALUE` override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Dotted path.
    pub path: String,
    /// The new value as written.
    pub value: String,
}

impl FromStr for Override {
    type Err = String;
    fn from_str(s: &str) -> Result<Override, String> {
        let (path, value) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not PATH=VALUE (e.g. polities.song.mobilization_lag=2)"))?;
        if path.trim().is_empty() || value.trim().is_empty() {
            return Err(format!(
                "`{s}` is not PATH=VALUE (e.g. polities.song.mobilization_lag=2)"
            ));
        }
        Ok(Override {
            path: path.trim().to_string(),
            value: value.trim().to_string(),
        })
    }
}

/// Every path that `--set` accepts for `sc`, sorted.
pub fn leaf_paths(sc: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(v) = serde_json::to_value(sc) else {
        return out;
    };
    let mut push_leaves = |prefix: &str, obj: &Value, skip: &[&str]| {
        if let Value::Object(map) = obj {
            for (k, x) in map {
                if !skip.contains(&k.as_str()) && (x.is_number() || x.is_boolean()) {
                    out.push(format!("{prefix}{k}"));
                }
            }
        }
    };
    push_leaves("", &v, &[]);
    push_leaves("mechanisms.", &v["mechanisms"], &[]);
    push_leaves("rules.", &v["rules"], &[]);
    for p in &sc.polities {
        if let Some(obj) = find(&v["polities"], |x| x["id"] == p.id.as_str()) {
            push_leaves(&format!("polities.{}.", p.id), obj, &[]);
        }
    }
    let blank = serde_json::to_value(Relation::unlisted("", "")).unwrap_or(Value::Null);
    for a in &sc.polities {
        for b in &sc.polities {
            if a.id != b.id {
                push_leaves(&format!("relations.{}.{}.", a.id, b.id), &blank, &[]);
            }
        }
    }
    for e in &sc.events {
        out.push(format!("events.{}.probability", e.id));
    }
    out.sort();
    out.dedup();
    out
}

fn find(list: &Value, pred: impl Fn(&Value) -> bool) -> Option<&Value> {
    list.as_array()?.iter().find(|x| pred(x))
}

fn find_mut(list: &mut Value, pred: impl Fn(&Value) -> bool) -> Option<&mut Value> {
    list.as_array_mut()?.iter_mut().find(|x| pred(x))
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn unknown_path(sc: &Scenario, path: &str) -> String {
    let mut paths = leaf_paths(sc);
    paths.sort_by_key(|p| (levenshtein(p, path), p.clone()));
    let nearest: Vec<String> = paths.into_iter().take(3).collect();
    format!(
        "no such number or switch; nearest valid paths: {}",
        nearest.join(", ")
    )
}

/// Apply one override, returning the changed scenario (not yet validated).
pub fn apply_override(sc: &Scenario, o: &Override) -> Result<Scenario, String> {
    let mut v = serde_json::to_value(sc).map_err(|e| e.to_string())?;
    let segs: Vec<&str> = o.path.split('.').collect();
    let leaf: Option<&mut Value> = match segs.as_slice() {
        ["polities", id, field] => {
            find_mut(&mut v["polities"], |x| x["id"] == *id).and_then(|p| p.get_mut(*field))
        }
        ["relations", from, to, field] => {
            let known = |id: &str| sc.polities.iter().any(|p| p.id == id);
            if from != to && known(from) && known(to) {
                let list = &mut v["relations"];
                let listed = find(list, |x| x["from"] == *from && x["to"] == *to).is_some();
                if !listed {
                    if let (Some(arr), Ok(r)) = (
                        list.as_array_mut(),
                        serde_json::to_value(Relation::unlisted(from, to)),
                    ) {
                        arr.push(r);
                    }
                }
                find_mut(list, |x| x["from"] == *from && x["to"] == *to).and_then(|r| r.get_mut(*field))
            } else {
                None
            }
        }
        ["events", id, "probability"] => {
            find_mut(&mut v["events"], |x| x["id"] == *id).and_then(|e| e.get_mut("probability"))
        }
        ["mechanisms", name] => v["mechanisms"].get_mut(*name),
        ["rules", name] => v["rules"].get_mut(*name),
        [top @ ("seed" | "runs")] => v.get_mut(*top),
        _ => None,
    };
    let leaf = match leaf {
        Some(l) if l.is_number() || l.is_boolean() => l,
        _ => return Err(unknown_path(sc, &o.path)),
    };
    *leaf = if leaf.is_boolean() {
        match o.value.as_str() {
            "true" | "on" => Value::Bool(true),
            "false" | "off" => Value::Bool(false),
            other => return Err(format!("`{other}` is not a switch value (true or false)")),
        }
    } else if leaf.is_u64() {
        let n: u64 = o
            .value
            .parse()
            .map_err(|_| format!("`{}` is not a whole number ≥ 0", o.value))?;
        Value::from(n)
    } else {
        let x: f64 = o
            .value
            .parse()
            .map_err(|_| format!("`{}` is not a number", o.value))?;
        if !x.is_finite() {
            return Err(format!("`{}` is not a finite number", o.value));
        }
        Value::from(x)
    };
    serde_json::from_value(v).map_err(|e| format!("cannot take `{}`: {e}", o.value))
}
