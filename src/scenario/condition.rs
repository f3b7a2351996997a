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
/// Most conditions of all events' `when` together (each is read in every month of every run).
pub const MAX_TOTAL_CONDITION_NODES: usize = 16_384;

/// The words that begin a condition, as written in a file (`Fired(…)`, `All([…])`).
pub const CONDITION_NAMES: [&str; 9] = [
    "Status", "WarBegun", "WarEnded", "Balance", "Ended", "Fired", "All", "Any", "Not",
];

/// The refusal of more than [`MAX_TOTAL_CONDITION_NODES`] conditions in all events.
pub fn too_many_conditions() -> String {
    format!(
        "the events' conditions hold more than {MAX_TOTAL_CONDITION_NODES} conditions in all (allowed: at most {MAX_TOTAL_CONDITION_NODES}; each is read in every month of every run)"
    )
}

/// How many conditions `c` holds (itself and its parts at every level), counting no further
/// than `cap`: the work is at most `cap` steps whatever the size of `c`.
pub fn node_count(c: &Condition, cap: usize) -> usize {
    let mut count = 0usize;
    let mut stack = vec![c];
    while let Some(c) = stack.pop() {
        count += 1;
        if count >= cap {
            return cap;
        }
        match c {
            Condition::All(list) | Condition::Any(list) => {
                stack.extend(list.iter().take(cap - count));
            }
            Condition::Not(x) => stack.push(x),
            _ => {}
        }
    }
    count
}

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
                let room = (MAX_CONDITION_NODES + 1).saturating_sub(out.len() + stack.len());
                for (k, x) in list.iter().enumerate().take(room).rev() {
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

/// Whether condition `c` can hold at some time, when `fired(k)` says whether event `k` (its
/// index in `index`) can fire. Only `Fired` is decided (by `fired`; an unknown id, reported
/// elsewhere, counts as possible); every other condition on the state can hold, and so can a
/// `Not`. `All` needs every part, `Any` one (so `Any([])` never holds).
fn possible(
    c: &Condition,
    index: &std::collections::HashMap<&str, usize>,
    fired: &dyn Fn(usize) -> bool,
    depth: usize,
) -> bool {
    if depth > MAX_CONDITION_DEPTH {
        return true;
    }
    match c {
        Condition::Fired(f) => index.get(f.event.as_str()).is_none_or(|&k| fired(k)),
        Condition::All(list) => list.iter().all(|x| possible(x, index, fired, depth + 1)),
        Condition::Any(list) => list.iter().any(|x| possible(x, index, fired, depth + 1)),
        _ => true,
    }
}

/// Events that wait on each other through `Fired` so that none of them can ever fire (a
/// deadlock), as a cycle of event indices from an event back to itself, if `sc` has one.
///
/// The rule: an event *can fire* when its condition can hold given the events that can fire
/// (the least fixed point, from the events whose condition needs no other event). An event that
/// cannot fire only because of a cycle of waits is refused: its condition could hold if every
/// event not already doomed fired (the greatest fixed point). So `a = Fired(b)`, `b = Fired(a)`
/// is refused, while `a = Any([Fired(b), Ended(liao)])`, `b = Fired(a)` is taken (`a` may fire
/// once Liao has ended, then `b`). An event whose condition can never hold by itself
/// (`Any([])`), and those waiting on it, are not a cycle and not refused here. The work is
/// linear in the conditions' total size (each condition is read again once per event it names).
pub fn cycle(sc: &Scenario) -> Option<Vec<usize>> {
    use std::collections::HashMap;
    let n = sc.events.len();
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (k, e) in sc.events.iter().enumerate() {
        index.entry(e.id.as_str()).or_insert(k);
    }
    // The events each event names, and the events that name each event.
    let named: Vec<Vec<usize>> = sc
        .events
        .iter()
        .map(|e| {
            let mut v: Vec<usize> = e
                .when
                .as_ref()
                .map(|c| {
                    events_named(c)
                        .into_iter()
                        .filter_map(|id| index.get(id).copied())
                        .collect()
                })
                .unwrap_or_default();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    if named.iter().all(Vec::is_empty) {
        return None;
    }
    let mut named_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, list) in named.iter().enumerate() {
        for &x in list {
            named_by[x].push(k);
        }
    }
    let holds = |k: usize, state: &[bool]| {
        sc.events[k]
            .when
            .as_ref()
            .is_none_or(|c| possible(c, &index, &|x| state[x], 0))
    };
    // Least fixed point: start from none, add events as their condition becomes possible.
    let mut can = vec![false; n];
    let mut queue: Vec<usize> = (0..n).collect();
    while let Some(k) = queue.pop() {
        if !can[k] && holds(k, &can) {
            can[k] = true;
            queue.extend(named_by[k].iter().copied().filter(|&x| !can[x]));
        }
    }
    // Greatest fixed point: start from all, drop events whose condition cannot hold.
    let mut alive = vec![true; n];
    let mut queue: Vec<usize> = (0..n).collect();
    while let Some(k) = queue.pop() {
        if alive[k] && !holds(k, &alive) {
            alive[k] = false;
            queue.extend(named_by[k].iter().copied().filter(|&x| alive[x]));
        }
    }
    // Deadlocked: alive but unable to fire. Each names another deadlocked event (else its
    // condition would read the same in both), so following those names comes back round.
    let stuck = |k: usize| alive[k] && !can[k];
    let start = (0..n).find(|&k| stuck(k))?;
    let mut path = vec![start];
    let mut on_path = vec![usize::MAX; n];
    on_path[start] = 0;
    loop {
        let v = *path.last()?;
        let w = *named[v].iter().find(|&&w| stuck(w))?;
        if on_path[w] != usize::MAX {
            let mut cyc = path[on_path[w]..].to_vec();
            cyc.push(w);
            return Some(cyc);
        }
        on_path[w] = path.len();
        path.push(w);
    }
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
