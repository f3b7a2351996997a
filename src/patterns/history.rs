//! Patterns over the whole history of a run: its record of happenings (every war begun, talks,
//! truce, breach, peace, tie and state's end: [`crate::engine::outcome::Happened`]), windows
//! relative to another happening of the same run, order, counts, shares of months at war, and
//! the length and end of the n-th war of a pair. `docs/patterns.md` states each rule's meaning,
//! including what it means when its anchor never happens.

use serde::{Deserialize, Serialize};

use super::{Compiler, PatternTracker};
use crate::calendar::Month;
use crate::engine::outcome::{Deed, RunOutcome, NEVER};

/// What kind of happening an [`Event`] selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A war begun in the pair, however it began: a decision at peace, a war plan carried out, a
    /// breach or an ally joining (`by`: the initiator).
    War,
    /// A war begun by breaking a truce (`by`: the side that broke it).
    Breach,
    /// Talks sought, whatever came of them (`by`: the side that sought them).
    Talks,
    /// Talks that ended the war in a truce (`by`: the side that sought them).
    Truce,
    /// A war that ended, by a truce or by a state's end.
    WarEnd,
    /// A truce that held and became peace.
    Peace,
    /// An alliance formed.
    Alliance,
    /// A vassal tie formed (`by`: the lord).
    Vassal,
    /// An alliance or vassal tie dissolved.
    TieDissolved,
    /// A polity ceased to exist (`polity`; no pair).
    End,
    /// An ally entered a war on the side of an attacked ally (`by`: the ally that joined). Also
    /// a `War`.
    Joins,
    /// A decision to go to war taken before being ready: a war plan (`by`: the planner).
    WarPlan,
    /// A war ended by a side's capitulation (`by`: the side that capitulated). Also a `WarEnd`.
    Capitulation,
    /// A peace with terms, after a truce or a capitulation (`by`: the winner).
    Terms,
    /// A peace in which the loser accepted junior status, a vassal tie (`by`: the winner, the
    /// new lord). Also `Terms` and `Vassal`.
    Junior,
}

impl Kind {
    fn takes_by(self) -> bool {
        matches!(
            self,
            Kind::War
                | Kind::Breach
                | Kind::Talks
                | Kind::Truce
                | Kind::Vassal
                | Kind::Joins
                | Kind::WarPlan
                | Kind::Capitulation
                | Kind::Terms
                | Kind::Junior
        )
    }

    fn words(self) -> &'static str {
        match self {
            Kind::War => "a war begun",
            Kind::Breach => "a truce broken",
            Kind::Talks => "talks sought",
            Kind::Truce => "a truce concluded",
            Kind::WarEnd => "a war ended",
            Kind::Peace => "a truce become peace",
            Kind::Alliance => "an alliance formed",
            Kind::Vassal => "a vassal tie formed",
            Kind::TieDissolved => "a tie dissolved",
            Kind::End => "the end of",
            Kind::Joins => "an ally joining a war",
            Kind::WarPlan => "a war plan adopted",
            Kind::Capitulation => "a capitulation",
            Kind::Terms => "a peace with terms",
            Kind::Junior => "junior status imposed",
        }
    }
}

/// A happening of a run's record: `(kind: War, a: "jin", b: "song", by: "jin", nth: 2)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// What kind of happening.
    pub kind: Kind,
    /// One polity of the pair (every kind but `End`).
    #[serde(default)]
    pub a: Option<String>,
    /// The other polity of the pair.
    #[serde(default)]
    pub b: Option<String>,
    /// The polity that ends (`End` only).
    #[serde(default)]
    pub polity: Option<String>,
    /// Who did it, where the kind has an actor (see [`Kind`]); any side when absent.
    #[serde(default)]
    pub by: Option<String>,
    /// Only the n-th happening (1 = the first) of those the other fields select, counted over
    /// the whole run; every one when absent.
    #[serde(default)]
    pub nth: Option<u32>,
}

/// The months a rule looks at.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum Window {
    /// The whole run.
    #[default]
    Whole,
    /// From `from` to `to`, inclusive.
    Between(Between),
    /// From the month of the first happening `event` selects, for `within` months more (to the
    /// end when absent). Empty when that happening never comes.
    After(After),
    /// The months before the first happening `event` selects. The whole run when it never
    /// comes.
    Before(Before),
}

/// Payload of [`Window::Between`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Between {
    /// First month.
    pub from: Month,
    /// Last month (inclusive).
    pub to: Month,
}

/// Payload of [`Window::After`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct After {
    /// The anchor.
    pub event: Event,
    /// Months after the anchor's month that still count (0: the anchor's month only).
    #[serde(default)]
    pub within: Option<u32>,
}

/// Payload of [`Window::Before`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Before {
    /// The anchor.
    pub event: Event,
}

/// Payload of `Happens`: a happening `event` selects falls in `window`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Happens {
    /// What must happen.
    pub event: Event,
    /// When (default: the whole run).
    #[serde(default)]
    pub window: Window,
}

/// Payload of `Count`: how many happenings `event` selects fall in `window`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    /// What is counted.
    pub event: Event,
    /// When (default: the whole run).
    #[serde(default)]
    pub window: Window,
    /// At least this many (default 0).
    #[serde(default)]
    pub at_least: u32,
    /// At most this many (no bound when absent).
    #[serde(default)]
    pub at_most: Option<u32>,
}

/// Payload of `Precedes`: `first` happens, and before the first happening `then` selects
/// (which need not come at all).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Precedes {
    /// What must come first.
    pub first: Event,
    /// What must not come before it.
    pub then: Event,
}

/// Payload of `WarShare`: the share of the window's months in which the pair is at war.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarShare {
    /// One polity of the pair.
    pub a: String,
    /// The other.
    pub b: String,
    /// The months (default: the whole run).
    #[serde(default)]
    pub window: Window,
    /// At least this share, 0 ..= 1 (default 0).
    #[serde(default)]
    pub at_least: f64,
    /// At most this share, 0 ..= 1 (default 1).
    #[serde(default = "one")]
    pub at_most: f64,
}

fn one() -> f64 {
    1.0
}

/// Payload of `PeaceHolds`: the pair is at war in no month of the window, and the window is
/// not empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeaceHolds {
    /// One polity of the pair.
    pub a: String,
    /// The other.
    pub b: String,
    /// The months.
    pub window: Window,
}

/// How a war ended, for `WarEnds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ending {
    /// By talks that concluded a truce.
    Truce,
    /// Because a side ceased to exist.
    StateEnd,
    /// It was still under way at the end of the run.
    Running,
    /// A side capitulated (Model 2; a conquerable side's capitulation ends it as a state, and
    /// still counts here).
    Capitulation,
}

/// Payload of `WarEnds`: the n-th war begun in the pair ended as `how`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarEnds {
    /// One polity of the pair.
    pub a: String,
    /// The other.
    pub b: String,
    /// Which war (1 = the first begun in the run).
    pub nth: u32,
    /// How it ended.
    pub how: Ending,
}

/// Payload of `WarLasts`: the n-th war begun in the pair lasted at least / at most so many
/// months (its onset month to its last month at war, both counted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarLasts {
    /// One polity of the pair.
    pub a: String,
    /// The other.
    pub b: String,
    /// Which war (1 = the first begun in the run).
    pub nth: u32,
    /// At least this many months (default 1).
    #[serde(default = "one_month")]
    pub at_least: u32,
    /// At most this many months; a war still under way at the end has no known length and
    /// fails this bound (no bound when absent).
    #[serde(default)]
    pub at_most: Option<u32>,
}

fn one_month() -> u32 {
    1
}

/// An [`Event`] resolved against a model.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Selector {
    /// A happening of the pair `dyad` of `kind`, by side `by` if given, the n-th if given.
    Pair {
        dyad: usize,
        kind: Kind,
        by: Option<u8>,
        nth: Option<u32>,
    },
    /// The end of polity `polity`.
    End { polity: usize },
}

/// A [`Window`] resolved against a model.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Span {
    Whole,
    Between(u32, u32),
    After(Box<Selector>, Option<u32>),
    Before(Box<Selector>),
}

/// The record rules, compiled.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum HistoryNode {
    Happens(Selector, Span),
    Count(Selector, Span, u32, Option<u32>),
    Precedes(Selector, Selector),
    WarShare {
        slot: usize,
        span: Span,
        lo: f64,
        hi: f64,
    },
    WarEnds {
        dyad: usize,
        nth: u32,
        how: Ending,
    },
    WarLasts {
        dyad: usize,
        slot: usize,
        nth: u32,
        lo: u32,
        hi: Option<u32>,
    },
}

impl Compiler<'_> {
    /// Resolve `event` (at field path `path`).
    pub(super) fn event(&mut self, e: &Event, path: &str) -> Option<Selector> {
        if e.nth == Some(0) {
            self.fail(
                &format!("{path}.nth"),
                "nth",
                "nth counts from 1 (the first)".into(),
            );
            return None;
        }
        if e.kind == Kind::End {
            for (field, given) in [("a", &e.a), ("b", &e.b), ("by", &e.by)] {
                if given.is_some() {
                    self.fail(
                        &format!("{path}.{field}"),
                        field,
                        format!("`{field}` is not for `End`: name the polity with `polity`"),
                    );
                    return None;
                }
            }
            let Some(id) = &e.polity else {
                self.fail(
                    &format!("{path}.polity"),
                    "End",
                    "`End` needs the polity that ends: `polity`".into(),
                );
                return None;
            };
            if e.nth.is_some_and(|n| n > 1) {
                self.fail(
                    &format!("{path}.nth"),
                    "nth",
                    "a polity ends once: nth can only be 1".into(),
                );
                return None;
            }
            return Some(Selector::End {
                polity: self.polity(id, &format!("{path}.polity"))?,
            });
        }
        if e.polity.is_some() {
            self.fail(
                &format!("{path}.polity"),
                "polity",
                "`polity` is for `End`; name a pair with `a` and `b`".into(),
            );
            return None;
        }
        let (Some(a), Some(b)) = (&e.a, &e.b) else {
            self.fail(
                &format!("{path}.a"),
                "kind",
                format!("`{:?}` needs a pair: `a` and `b`", e.kind),
            );
            return None;
        };
        let pair = self.pair(a, b, path);
        let by = match &e.by {
            Some(_) if !e.kind.takes_by() => {
                self.fail(
                    &format!("{path}.by"),
                    "by",
                    format!("`{:?}` has no actor: leave out `by`", e.kind),
                );
                return None;
            }
            Some(id) => Some(self.side(pair, id, &format!("{path}.by"), a, b)?),
            None => None,
        };
        Some(Selector::Pair {
            dyad: pair?.0,
            kind: e.kind,
            by,
            nth: e.nth,
        })
    }

    /// Resolve `window` (at field path `path`).
    pub(super) fn span(&mut self, w: &Window, path: &str) -> Option<Span> {
        Some(match w {
            Window::Whole => Span::Whole,
            Window::Between(x) => {
                let (from, to) = self.window(x.from, x.to, &format!("{path}.Between"))?;
                Span::Between(from, to)
            }
            Window::After(x) => Span::After(
                Box::new(self.event(&x.event, &format!("{path}.After.event"))?),
                x.within,
            ),
            Window::Before(x) => {
                Span::Before(Box::new(self.event(&x.event, &format!("{path}.Before.event"))?))
            }
        })
    }

    /// A share bound in 0 ..= 1.
    fn share(&mut self, value: f64, path: &str, field: &str) -> Option<f64> {
        if (0.0..=1.0).contains(&value) {
            return Some(value);
        }
        self.fail(
            &format!("{path}.{field}"),
            field,
            format!("{field} is {value}: a share lies in 0 ..= 1"),
        );
        None
    }

    /// Whether `at_least ..= at_most` can hold anything (else a problem is reported).
    fn bounds<T: PartialOrd>(&mut self, at_least: T, at_most: Option<T>, path: &str) -> bool {
        if at_most.is_some_and(|hi| hi < at_least) {
            let message = "at_most is below at_least: nothing can match".into();
            self.fail(&format!("{path}.at_most"), "at_most", message);
            return false;
        }
        true
    }

    /// A war number, from 1.
    fn nth(&mut self, nth: u32, path: &str) -> Option<u32> {
        if nth >= 1 {
            return Some(nth);
        }
        self.fail(
            &format!("{path}.nth"),
            "nth",
            "nth counts from 1 (the first war)".into(),
        );
        None
    }

    pub(super) fn happens(&mut self, r: &Happens, path: &str) -> Option<HistoryNode> {
        let e = self.event(&r.event, &format!("{path}.event"));
        let w = self.span(&r.window, &format!("{path}.window"));
        Some(HistoryNode::Happens(e?, w?))
    }

    pub(super) fn count(&mut self, r: &Count, path: &str) -> Option<HistoryNode> {
        let e = self.event(&r.event, &format!("{path}.event"));
        let w = self.span(&r.window, &format!("{path}.window"));
        if !self.bounds(r.at_least, r.at_most, path) {
            return None;
        }
        Some(HistoryNode::Count(e?, w?, r.at_least, r.at_most))
    }

    pub(super) fn precedes(&mut self, r: &Precedes, path: &str) -> Option<HistoryNode> {
        let first = self.event(&r.first, &format!("{path}.first"));
        let then = self.event(&r.then, &format!("{path}.then"));
        Some(HistoryNode::Precedes(first?, then?))
    }

    pub(super) fn war_share(&mut self, r: &WarShare, path: &str) -> Option<HistoryNode> {
        let pair = self.pair(&r.a, &r.b, path);
        let span = self.span(&r.window, &format!("{path}.window"));
        let lo = self.share(r.at_least, path, "at_least");
        let hi = self.share(r.at_most, path, "at_most");
        let (d, span, lo, hi) = (pair?.0, span?, lo?, hi?);
        if !self.bounds(lo, Some(hi), path) {
            return None;
        }
        Some(HistoryNode::WarShare {
            slot: self.watch(d),
            span,
            lo,
            hi,
        })
    }

    pub(super) fn peace_holds(&mut self, r: &PeaceHolds, path: &str) -> Option<HistoryNode> {
        let pair = self.pair(&r.a, &r.b, path);
        let span = self.span(&r.window, &format!("{path}.window"));
        let (d, span) = (pair?.0, span?);
        Some(HistoryNode::WarShare {
            slot: self.watch(d),
            span,
            lo: 0.0,
            hi: 0.0,
        })
    }

    pub(super) fn war_ends(&mut self, r: &WarEnds, path: &str) -> Option<HistoryNode> {
        let pair = self.pair(&r.a, &r.b, path);
        let nth = self.nth(r.nth, path);
        Some(HistoryNode::WarEnds {
            dyad: pair?.0,
            nth: nth?,
            how: r.how,
        })
    }

    pub(super) fn war_lasts(&mut self, r: &WarLasts, path: &str) -> Option<HistoryNode> {
        let pair = self.pair(&r.a, &r.b, path);
        let nth = self.nth(r.nth, path);
        if !self.bounds(r.at_least, r.at_most, path) {
            return None;
        }
        let d = pair?.0;
        Some(HistoryNode::WarLasts {
            dyad: d,
            slot: self.watch(d),
            nth: nth?,
            lo: r.at_least,
            hi: r.at_most,
        })
    }
}

/// Whether a record entry is of the kind and actor `kind`/`by` selects.
fn is(deed: Deed, kind: Kind, by: Option<u8>) -> bool {
    let side_ok = |s: u8| by.is_none_or(|b| b == s);
    match (kind, deed) {
        (Kind::War, Deed::War { by: s, .. }) => side_ok(s),
        (
            Kind::Breach,
            Deed::War {
                by: s, breach: true, ..
            },
        ) => side_ok(s),
        (
            Kind::Joins,
            Deed::War {
                by: s, joined: true, ..
            },
        ) => side_ok(s),
        (Kind::WarPlan, Deed::WarPlan { by: s }) => side_ok(s),
        (Kind::Capitulation, Deed::Capitulation { side: s }) => side_ok(s),
        (Kind::Terms, Deed::Terms { winner: s, .. }) => side_ok(s),
        (
            Kind::Junior,
            Deed::Terms {
                winner: s,
                junior: true,
            },
        ) => side_ok(s),
        (Kind::Talks, Deed::Talks { by: s, .. }) => side_ok(s),
        (Kind::Truce, Deed::Talks { by: s, truce: true }) => side_ok(s),
        (Kind::WarEnd, Deed::Talks { truce: true, .. } | Deed::Ended { .. } | Deed::Capitulation { .. }) => {
            true
        }
        (Kind::Peace, Deed::Peace)
        | (Kind::Alliance, Deed::Alliance)
        | (Kind::TieDissolved, Deed::TieDissolved) => true,
        (Kind::Vassal, Deed::Vassal { lord }) => side_ok(lord),
        _ => false,
    }
}

/// The months (offsets) of the happenings `sel` selects, in order, with their place in the
/// record (a state's end comes first in its month: events are applied before decisions).
fn matches<'o>(sel: &'o Selector, o: &'o RunOutcome) -> Box<dyn Iterator<Item = (u32, usize)> + 'o> {
    match sel {
        Selector::End { polity } => {
            let t = o.ceased[*polity];
            Box::new((t != NEVER).then_some((t, 0)).into_iter())
        }
        Selector::Pair { dyad, kind, by, nth } => {
            let all = o
                .record
                .iter()
                .enumerate()
                .filter(move |(_, h)| usize::from(h.dyad) == *dyad && is(h.deed, *kind, *by))
                .map(|(k, h)| (h.month, k + 1));
            match nth {
                Some(n) => Box::new(all.skip(*n as usize - 1).take(1)),
                None => Box::new(all),
            }
        }
    }
}

/// The first happening `sel` selects: (month, place in the record).
fn first(sel: &Selector, o: &RunOutcome) -> Option<(u32, usize)> {
    matches(sel, o).next()
}

/// The window's months as `from ..= to` offsets, or `None` when it is empty.
fn months(span: &Span, o: &RunOutcome, last: u32) -> Option<(u32, u32)> {
    match span {
        Span::Whole => Some((0, last)),
        Span::Between(from, to) => Some((*from, *to)),
        Span::After(sel, within) => {
            let (t, _) = first(sel, o)?;
            Some((t, within.map_or(last, |w| t.saturating_add(w).min(last))))
        }
        Span::Before(sel) => match first(sel, o) {
            None => Some((0, last)),
            Some((0, _)) => None,
            Some((t, _)) => Some((0, t - 1)),
        },
    }
}

impl PatternTracker<'_> {
    /// Whether a record rule holds for the run whose outcome is `o`.
    pub(super) fn history(&self, node: &HistoryNode, o: &RunOutcome) -> bool {
        let last = self.patterns.months.saturating_sub(1);
        let in_span =
            |span: &Span, t: u32| months(span, o, last).is_some_and(|(from, to)| from <= t && t <= to);
        match node {
            HistoryNode::Happens(sel, span) => matches(sel, o).any(|(t, _)| in_span(span, t)),
            HistoryNode::Count(sel, span, lo, hi) => {
                let n = matches(sel, o).filter(|&(t, _)| in_span(span, t)).count() as u32;
                *lo <= n && hi.is_none_or(|h| n <= h)
            }
            HistoryNode::Precedes(a, b) => match (first(a, o), first(b, o)) {
                (Some(x), Some(y)) => x < y,
                (Some(_), None) => true,
                (None, _) => false,
            },
            HistoryNode::WarShare { slot, span, lo, hi } => match months(span, o, last) {
                Some((from, to)) if from <= to => {
                    let at_war = (from..=to).filter(|&t| self.at_war(*slot, t, t)).count() as f64;
                    let share = at_war / f64::from(to - from + 1);
                    *lo <= share && share <= *hi
                }
                _ => false,
            },
            HistoryNode::WarEnds { dyad, nth, how } => match war(o, *dyad, *nth) {
                Some((_, end)) => *how == end.map_or(Ending::Running, |(_, e)| e),
                None => false,
            },
            HistoryNode::WarLasts {
                dyad,
                slot,
                nth,
                lo,
                hi,
            } => match war(o, *dyad, *nth) {
                Some((onset, end)) => {
                    let until = end.map_or(last, |(t, _)| t);
                    // The end's month counts when the pair was still at war in it (a truce
                    // concluded, or a state's end, during the month).
                    let length = (onset..=until).filter(|&t| self.at_war(*slot, t, t)).count() as u32;
                    // A war still under way at the end has no known length: it meets a lower
                    // bound it has already passed, never an upper one.
                    let below = hi.is_none_or(|h| end.is_some() && length <= h);
                    *lo <= length && below
                }
                None => false,
            },
        }
    }
}

/// The n-th war begun in pair `dyad`: its onset month, and its end (month and how) if it
/// ended within the run.
fn war(o: &RunOutcome, dyad: usize, nth: u32) -> Option<(u32, Option<(u32, Ending)>)> {
    let mine = |h: &&crate::engine::outcome::Happened| usize::from(h.dyad) == dyad;
    let (k, onset) = o
        .record
        .iter()
        .enumerate()
        .filter(|(_, h)| mine(h) && matches!(h.deed, Deed::War { .. }))
        .nth(nth as usize - 1)
        .map(|(k, h)| (k, h.month))?;
    let end = o.record[k + 1..].iter().filter(mine).find_map(|h| match h.deed {
        Deed::Talks { truce: true, .. } => Some((h.month, Ending::Truce)),
        Deed::Ended { .. } => Some((h.month, Ending::StateEnd)),
        Deed::Capitulation { .. } => Some((h.month, Ending::Capitulation)),
        _ => None,
    });
    Some((onset, end))
}

/// In words, for `jinsong check`.
pub(super) fn event_words(e: &Event) -> String {
    if e.kind == Kind::End {
        return format!("the end of {}", e.polity.as_deref().unwrap_or("?"));
    }
    let nth = match e.nth {
        Some(1) => "the first of ".to_string(),
        Some(n) => format!("the {} of ", ordinal(n)),
        None => String::new(),
    };
    let by = match (&e.by, e.kind) {
        (Some(x), Kind::Vassal) => format!(" with {x} as lord"),
        (Some(x), _) => format!(" by {x}"),
        (None, _) => String::new(),
    };
    format!(
        "{nth}{}{by} between {} and {}",
        e.kind.words(),
        e.a.as_deref().unwrap_or("?"),
        e.b.as_deref().unwrap_or("?")
    )
}

/// `2nd`, `3rd`, `11th`.
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// A window in words.
pub(super) fn window_words(w: &Window) -> String {
    match w {
        Window::Whole => "at any time of the run".into(),
        Window::Between(x) => format!("between {} and {}", x.from, x.to),
        Window::After(x) => match x.within {
            Some(m) => format!(
                "within {m} months after {} (never, if that never happens)",
                event_words(&x.event)
            ),
            None => format!("after {} (never, if that never happens)", event_words(&x.event)),
        },
        Window::Before(x) => format!(
            "before {} (at any time, if that never happens)",
            event_words(&x.event)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::Happened;
    use crate::model::Model;
    use crate::patterns::PatternSet;
    use crate::scenario::LoadedScenario;

    /// Three polities a, b, c over 1200-01 .. 1209-12 (120 months), at peace at the start.
    fn model() -> Model {
        let text = r#"(name: "t", start: "1200-01", end: "1209-12", polities: [
            (id: "a", name: "A", strength: 1.0, potential: 1.0, mobilization_lag: 1.0, fear_gain: 0.1, fear_decay: 0.1),
            (id: "b", name: "B", strength: 1.0, potential: 1.0, mobilization_lag: 1.0, fear_gain: 0.1, fear_decay: 0.1),
            (id: "c", name: "C", strength: 1.0, potential: 1.0, mobilization_lag: 1.0, fear_gain: 0.1, fear_decay: 0.1),
        ])"#;
        Model::compile(&LoadedScenario::parse("t.ron", text).unwrap().scenario)
    }

    /// A hand-made run: its record (month, pair a–b, deed), the months a–b was at war, and the
    /// month offset polity c ceased (if any).
    struct Run {
        record: Vec<(u32, Deed)>,
        at_war: Vec<u32>,
        c_ends: Option<u32>,
    }

    /// Whether the one pattern `rule` holds for each run.
    fn holds(rule: &str, runs: &[Run]) -> Vec<bool> {
        let m = model();
        let text = format!("(patterns: [(name: \"p\", rule: {rule})])");
        let set = PatternSet::parse("p.ron", &text).unwrap();
        let compiled = set.compile("p.ron", &m).unwrap();
        let ab = m.dyad_of[1];
        runs.iter()
            .map(|run| {
                let mut o = RunOutcome::new(m.dyads.len(), m.n);
                for &(month, deed) in &run.record {
                    o.record.push(Happened {
                        month,
                        dyad: ab as u16,
                        deed,
                    });
                }
                o.ceased[2] = run.c_ends.unwrap_or(NEVER);
                let mut t = compiled.tracker();
                for &month in &run.at_war {
                    for (k, &d) in compiled.watched.iter().enumerate() {
                        if d == ab {
                            t.war[k * compiled.words + month as usize / 64] |= 1 << (month % 64);
                        }
                    }
                }
                t.matches(&o) == 1
            })
            .collect()
    }

    /// Each rule of `table` holds in the runs marked `y` of its string (`n`: it does not).
    fn expect(runs: &[Run], table: &[(&str, &str)]) {
        for (rule, expected) in table {
            let got: String = holds(rule, runs)
                .iter()
                .map(|&h| if h { 'y' } else { 'n' })
                .collect();
            assert_eq!(&got, expected, "{rule} (y: holds, n: not, run by run)");
        }
    }

    const WAR_A: Deed = Deed::War {
        by: 0,
        breach: false,
        joined: false,
    };
    const BREACH_B: Deed = Deed::War {
        by: 1,
        breach: true,
        joined: false,
    };
    const TRUCE_A: Deed = Deed::Talks { by: 0, truce: true };
    const TALKS_B: Deed = Deed::Talks { by: 1, truce: false };

    fn run(record: &[(u32, Deed)], at_war: std::ops::Range<u32>) -> Run {
        Run {
            record: record.to_vec(),
            at_war: at_war.collect(),
            c_ends: None,
        }
    }

    #[test]
    fn happens_in_absolute_and_relative_windows() {
        let runs = [
            run(&[(10, WAR_A), (13, TALKS_B), (15, TRUCE_A)], 10..16),
            run(&[(10, WAR_A), (30, TRUCE_A)], 10..31),
            run(&[], 0..0),
        ];
        expect(
            &runs,
            &[
                (
                    r#"Happens(event: (kind: Truce, a: "a", b: "b"), window: After(event: (kind: War, a: "a", b: "b", nth: 1), within: 6))"#,
                    "ynn",
                ),
                (
                    r#"Happens(event: (kind: Talks, a: "a", b: "b", by: "b"), window: Between(from: "1201-01", to: "1201-03"))"#,
                    "ynn",
                ),
                (
                    r#"Happens(event: (kind: War, a: "a", b: "b"), window: Before(event: (kind: Breach, a: "a", b: "b")))"#,
                    "yyn",
                ),
                (r#"Happens(event: (kind: Talks, a: "a", b: "b", nth: 2))"#, "ynn"),
            ],
        );
    }

    #[test]
    fn counts_order_and_ends() {
        let runs = [
            Run {
                record: vec![(10, WAR_A), (15, TRUCE_A), (40, BREACH_B)],
                at_war: (10..16).chain(40..120).collect(),
                c_ends: None,
            },
            Run {
                record: vec![(10, WAR_A), (20, Deed::Ended { side: 1 })],
                at_war: (10..21).collect(),
                c_ends: Some(5),
            },
            run(&[(50, WAR_A)], 50..120),
        ];
        expect(
            &runs,
            &[
                (r#"Count(event: (kind: War, a: "a", b: "b"), at_least: 2)"#, "ynn"),
                (r#"Count(event: (kind: War, a: "a", b: "b"), at_most: 1)"#, "nyy"),
                (
                    r#"Happens(event: (kind: Breach, a: "a", b: "b", by: "b"))"#,
                    "ynn",
                ),
                (
                    r#"Precedes(first: (kind: End, polity: "c"), then: (kind: War, a: "a", b: "b"))"#,
                    "nyn",
                ),
                (r#"WarEnds(a: "a", b: "b", nth: 1, how: Truce)"#, "ynn"),
                (r#"WarEnds(a: "a", b: "b", nth: 1, how: StateEnd)"#, "nyn"),
                (r#"WarEnds(a: "a", b: "b", nth: 1, how: Running)"#, "nny"),
                (r#"WarEnds(a: "a", b: "b", nth: 2, how: Running)"#, "ynn"),
            ],
        );
    }

    #[test]
    fn shares_peace_and_lengths() {
        let runs = [
            run(&[(10, WAR_A), (15, TRUCE_A)], 10..16),
            run(&[(0, WAR_A)], 0..120),
            run(&[], 0..0),
        ];
        expect(
            &runs,
            &[
                (
                    r#"PeaceHolds(a: "a", b: "b", window: Between(from: "1201-05", to: "1209-12"))"#,
                    "yny",
                ),
                (
                    r#"WarShare(a: "a", b: "b", window: Between(from: "1200-11", to: "1201-10"), at_least: 0.5)"#,
                    "yyn",
                ),
                (r#"WarShare(a: "a", b: "b", at_most: 0.1)"#, "yny"),
                (
                    r#"PeaceHolds(a: "a", b: "b", window: After(event: (kind: Truce, a: "a", b: "b")))"#,
                    "nnn",
                ),
                (
                    r#"WarLasts(a: "a", b: "b", nth: 1, at_least: 6, at_most: 6)"#,
                    "ynn",
                ),
                (r#"WarLasts(a: "a", b: "b", nth: 1, at_least: 100)"#, "nyn"),
                (
                    r#"WarLasts(a: "a", b: "b", nth: 1, at_least: 1, at_most: 500)"#,
                    "ynn",
                ),
            ],
        );
    }
}
