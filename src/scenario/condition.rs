//! Conditions of events on the state of a run (model 2): what they name, how they depend on
//! each other, and how they read in words (`jinsong check` and the chronicle).
//!
//! The schema is [`Condition`]; the engine reads its compiled form
//! ([`crate::model::CompiledCondition`]).

use super::schema::{Condition, Scenario, StatusKind, WarEndKind};

/// Most conditions one event's `when` may nest or list, all levels together.
pub const MAX_CONDITION_NODES: usize = 256;
/// Deepest nesting of `All`, `Any` and `Not`.
pub const MAX_CONDITION_DEPTH: usize = 16;

/// Every condition of `c` (itself first, then its parts, depth first) with its source path
/// relative to `c` (`""` for `c`; `[0][2]` for the third item of an `All` list), as the error
/// locator writes paths: `All([x, y])` lists its items under `[0][k]`, `Not(x)` its condition
/// under `[0]`. Stops below [`MAX_CONDITION_DEPTH`].
pub fn walk(c: &Condition) -> Vec<(String, usize, &Condition)> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), 0usize, c)];
    while let Some((path, depth, c)) = stack.pop() {
        if out.len() > MAX_CONDITION_NODES {
            break;
        }
        match c {
            Condition::All(list) | Condition::Any(list) if depth < MAX_CONDITION_DEPTH => {
                for (k, x) in list.iter().enumerate().rev() {
                    stack.push((format!("{path}[0][{k}]"), depth + 1, x));
                }
            }
            Condition::Not(x) if depth < MAX_CONDITION_DEPTH => {
                stack.push((format!("{path}[0]"), depth + 1, x));
            }
            _ => {}
        }
        out.push((path, depth, c));
    }
    out
}

/// The events whose firing `c` asks about (`Fired`), in order, possibly repeated.
pub fn events_named(c: &Condition) -> Vec<&str> {
    walk(c)
        .into_iter()
        .filter_map(|(_, _, c)| match c {
            Condition::Fired(f) => Some(f.event.as_str()),
            _ => None,
        })
        .collect()
}

/// A cycle of events conditioned on each other (`Fired`), as event indices from an event back
/// to itself, if `sc` has one. Such events could never fire: each waits for the other.
pub fn cycle(sc: &Scenario) -> Option<Vec<usize>> {
    let index = |id: &str| sc.events.iter().position(|e| e.id == id);
    let edges: Vec<Vec<usize>> = sc
        .events
        .iter()
        .map(|e| {
            e.when
                .as_ref()
                .map(|c| events_named(c).into_iter().filter_map(index).collect())
                .unwrap_or_default()
        })
        .collect();
    // Depth-first search with colours: 0 unseen, 1 on the path, 2 done.
    let mut colour = vec![0u8; edges.len()];
    for root in 0..edges.len() {
        if colour[root] != 0 {
            continue;
        }
        let mut path = vec![root];
        let mut next = vec![0usize];
        colour[root] = 1;
        while let (Some(&v), Some(k)) = (path.last(), next.last_mut()) {
            if let Some(&w) = edges[v].get(*k) {
                *k += 1;
                match colour[w] {
                    0 => {
                        colour[w] = 1;
                        path.push(w);
                        next.push(0);
                    }
                    1 => {
                        let from = path.iter().position(|&x| x == w).unwrap_or(0);
                        let mut cyc = path[from..].to_vec();
                        cyc.push(w);
                        return Some(cyc);
                    }
                    _ => {}
                }
            } else {
                colour[v] = 2;
                path.pop();
                next.pop();
            }
        }
    }
    None
}

fn after(months: u32, what: &str) -> String {
    match months {
        0 => String::new(),
        1 => format!(" at least 1 month {what}"),
        m => format!(" at least {m} months {what}"),
    }
}

/// `c` in words, with polities called by their display names in `sc` (an unknown id by itself).
pub fn words_in(c: &Condition, sc: &Scenario) -> String {
    let name = |id: &str| {
        sc.polities
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    };
    words(c, &name)
}

/// `c` in words, with polities called by `name` (an id to a display name) and events by id:
/// "Jin and Song at war for at least 6 months, and the Liao remnants have ceased to exist".
pub fn words(c: &Condition, name: &dyn Fn(&str) -> String) -> String {
    words_at(c, name, 0)
}

fn words_at(c: &Condition, name: &dyn Fn(&str) -> String, depth: usize) -> String {
    if depth > MAX_CONDITION_DEPTH {
        return "…".into();
    }
    let join = |list: &[Condition], word: &str| -> String {
        let parts: Vec<String> = list
            .iter()
            .map(|x| {
                let w = words_at(x, name, depth + 1);
                if matches!(x, Condition::All(_) | Condition::Any(_)) {
                    format!("({w})")
                } else {
                    w
                }
            })
            .collect();
        parts.join(word)
    };
    match c {
        Condition::Status(s) => {
            let (a, b) = (name(&s.a), name(&s.b));
            let held = after(s.after, "long");
            let held = held
                .replacen(" at least", " for at least", 1)
                .replace(" long", "");
            match (s.is, &s.lord) {
                (StatusKind::Peace, _) => format!("{a} and {b} at peace{held}"),
                (StatusKind::War, _) => format!("{a} and {b} at war{held}"),
                (StatusKind::Truce, _) => format!("{a} and {b} in a truce{held}"),
                (StatusKind::Alliance, _) => format!("{a} and {b} allied{held}"),
                (StatusKind::Vassal, Some(lord)) => {
                    let vassal = if *lord == s.a { &b } else { &a };
                    format!("{vassal} a vassal of {}{held}", name(lord))
                }
                (StatusKind::Vassal, None) => format!("{a} and {b} tied as lord and vassal{held}"),
                (StatusKind::Tie, _) => format!("{a} and {b} allied or tied as lord and vassal{held}"),
            }
        }
        Condition::WarBegun(w) => {
            let who = match &w.by {
                Some(by) => format!("{} has begun a war on {}", name(by), name(other(by, &w.a, &w.b))),
                None => format!("a war of {} and {} has begun", name(&w.a), name(&w.b)),
            };
            format!("{who}{}", after(w.after, "ago"))
        }
        Condition::WarEnded(w) => {
            let how = match w.how {
                Some(WarEndKind::Truce) => " in a truce",
                Some(WarEndKind::Capitulation) => " in a capitulation",
                Some(WarEndKind::Ceased) => " with the end of a state",
                None => "",
            };
            let won = w
                .winner
                .as_ref()
                .map(|x| format!(", {} the winner", name(x)))
                .unwrap_or_default();
            format!(
                "a war of {} and {} has ended{how}{won}{}",
                name(&w.a),
                name(&w.b),
                after(w.after, "ago")
            )
        }
        Condition::Balance(x) => format!(
            "the war balance favours {} over {} by at least {}",
            name(&x.favour),
            name(&x.against),
            x.at_least
        ),
        Condition::Ended(x) => format!("{} has ceased to exist{}", name(&x.polity), after(x.after, "ago")),
        Condition::Fired(x) => format!("event `{}` has happened{}", x.event, after(x.after, "ago")),
        Condition::All(list) if list.is_empty() => "always".into(),
        Condition::Any(list) if list.is_empty() => "never".into(),
        Condition::All(list) => join(list, ", and "),
        Condition::Any(list) => join(list, ", or "),
        Condition::Not(x) => format!("not ({})", words_at(x, name, depth + 1)),
    }
}

/// The side of `a`–`b` that is not `x`.
fn other<'a>(x: &str, a: &'a str, b: &'a str) -> &'a str {
    if x == a {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::schema::{EndedCondition, FiredCondition, StatusCondition};

    fn fired(e: &str) -> Condition {
        Condition::Fired(FiredCondition {
            event: e.into(),
            after: 0,
        })
    }

    #[test]
    fn walks_with_locator_paths() {
        let c = Condition::All(vec![fired("a"), Condition::Not(Box::new(fired("b")))]);
        let paths: Vec<String> = walk(&c).into_iter().map(|(p, _, _)| p).collect();
        assert_eq!(paths, ["", "[0][0]", "[0][1]", "[0][1][0]"]);
        assert_eq!(events_named(&c), ["a", "b"]);
    }

    #[test]
    fn reads_in_words() {
        let c = Condition::All(vec![
            Condition::Status(StatusCondition {
                a: "jin".into(),
                b: "song".into(),
                is: StatusKind::War,
                lord: None,
                after: 6,
            }),
            Condition::Ended(EndedCondition {
                polity: "liao".into(),
                after: 0,
            }),
        ]);
        let w = words(&c, &|id: &str| id.to_uppercase());
        assert_eq!(
            w,
            "JIN and SONG at war for at least 6 months, and LIAO has ceased to exist"
        );
    }
}
