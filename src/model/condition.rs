//! Conditions of events, compiled (model 2): polity and event ids resolved to indices, sides
//! of a pair to 0 (its first polity) and 1. The engine reads them at the start of a month
//! (`condition_holds` in `src/engine/events.rs`); the schema and its reading in words are in
//! [`crate::scenario::condition`].

use crate::scenario::{Condition, StatusKind, WarEndKind};

/// A compiled [`Condition`]. `after` is in months; a side is 0 for the pair's first polity
/// (the lower index) and 1 for the other.
// The variant docs name the fields; they are indices and values as in the schema.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub enum CompiledCondition {
    /// The pair has the status (`lord`: the lord's side for a vassal tie, if named).
    Status {
        dyad: usize,
        is: StatusKind,
        lord: Option<u8>,
        after: u32,
    },
    /// A war of the pair was begun in the run (by side `by`, if named).
    WarBegun { dyad: usize, by: Option<u8>, after: u32 },
    /// A war of the pair ended in the run (how, and won by side `winner`, if named).
    WarEnded {
        dyad: usize,
        how: Option<WarEndKind>,
        winner: Option<u8>,
        after: u32,
    },
    /// The pair is at war and its balance favours side `favour` by at least `at_least`.
    Balance { dyad: usize, favour: u8, at_least: f64 },
    /// The polity has ceased to exist.
    Ended { polity: usize, after: u32 },
    /// The event has fired.
    Fired { event: usize, after: u32 },
    /// All hold.
    All(Vec<CompiledCondition>),
    /// One holds.
    Any(Vec<CompiledCondition>),
    /// It does not hold.
    Not(Box<CompiledCondition>),
}

/// Compile `c` with `polity` and `event` resolving ids to indices and `dyad` giving the pair
/// index of two polity indices (the scenario is validated: every id is known).
pub fn compile_condition(
    c: &Condition,
    polity: &dyn Fn(&str) -> usize,
    event: &dyn Fn(&str) -> usize,
    dyad: &dyn Fn(usize, usize) -> usize,
) -> CompiledCondition {
    // The side of polity `x` in the pair of `a` and `b`: 0 for the lower index.
    let side = |x: &str, a: &str, b: &str| -> u8 {
        let (ia, ib, ix) = (polity(a), polity(b), polity(x));
        u8::from(ix == ia.max(ib))
    };
    let pair = |a: &str, b: &str| dyad(polity(a), polity(b));
    let rec = |x: &Condition| compile_condition(x, polity, event, dyad);
    match c {
        Condition::Status(s) => CompiledCondition::Status {
            dyad: pair(&s.a, &s.b),
            is: s.is,
            lord: s.lord.as_deref().map(|l| side(l, &s.a, &s.b)),
            after: s.after,
        },
        Condition::WarBegun(w) => CompiledCondition::WarBegun {
            dyad: pair(&w.a, &w.b),
            by: w.by.as_deref().map(|x| side(x, &w.a, &w.b)),
            after: w.after,
        },
        Condition::WarEnded(w) => CompiledCondition::WarEnded {
            dyad: pair(&w.a, &w.b),
            how: w.how,
            winner: w.winner.as_deref().map(|x| side(x, &w.a, &w.b)),
            after: w.after,
        },
        Condition::Balance(x) => CompiledCondition::Balance {
            dyad: pair(&x.favour, &x.against),
            favour: side(&x.favour, &x.favour, &x.against),
            at_least: x.at_least,
        },
        Condition::Ended(x) => CompiledCondition::Ended {
            polity: polity(&x.polity),
            after: x.after,
        },
        Condition::Fired(x) => CompiledCondition::Fired {
            event: event(&x.event),
            after: x.after,
        },
        Condition::All(list) => CompiledCondition::All(list.iter().map(rec).collect()),
        Condition::Any(list) => CompiledCondition::Any(list.iter().map(rec).collect()),
        Condition::Not(x) => CompiledCondition::Not(Box::new(rec(x))),
    }
}
