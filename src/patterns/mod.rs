//! Historical patterns as data: predicates over one run's outcome, read from a RON file.
//!
//! A pattern file lists named rules built from a small vocabulary, so that a user adds a pattern
//! by editing the file, not the code:
//!
//! ```ron
//! (patterns: [
//!     (name: "onset_window", description: "HISTORY.md 1",
//!      rule: OnsetWithin(a: "jin", b: "song", from: "1125-06", to: "1126-06")),
//!     (name: "jin_strikes", rule: Initiator(a: "jin", b: "song", polity: "jin")),
//!     (name: "koryo_stays_out",
//!      rule: All([AtPeaceWithAll(polity: "koryo", from: "1126-01", to: "1142-12"),
//!                 Not(OnsetWithin(a: "koryo", b: "song", from: "1126-01", to: "1142-12"))])),
//! ])
//! ```
//!
//! The rules ([`Rule`]) and their exact meaning:
//!
//! | rule | holds when |
//! |---|---|
//! | `OnsetWithin(a, b, from, to)` | the first war onset of the pair falls in `from ..= to` |
//! | `Initiator(a, b, polity)` | there is a first onset in the pair and `polity` started it |
//! | `ActsExceed(a, b, actor, months)` | there is a first onset, and in the `months` months up to it (the onset month included) `actor` committed more hostile acts against the other than the other against `actor` |
//! | `OnsetAfterCeased(a, b, polity)` | there is a first onset, `polity` ceased to exist, and it ceased in the onset month or earlier |
//! | `NoWar(a, b, from, to)` | the pair is at war in no month of `from ..= to` |
//! | `AtPeaceWithAll(polity, from, to)` | `polity` is at war with nobody in any month of `from ..= to` |
//! | `MobilizationBelow(a, b, polity, level)` | there is a first onset and `polity`'s mobilization at it is below `level` |
//! | `All([...])`, `Any([...])`, `Not(rule)` | all, any, or not |
//!
//! Pairs are unordered: `(a: "song", b: "jin")` names the same pair as `(a: "jin", b: "song")`.
//! Dates are `"YYYY-MM"`, windows are inclusive and must lie inside the scenario's span.
//!
//! **"At war in a month."** A pair is at war in month *m* when it is at war at any time in *m*:
//! at the start of *m* (the end of the month before, or the scenario's initial statuses for the
//! first month) or at its end. A war under way at `start` therefore counts in the first month,
//! and so does a war that ends in a month (by a truce, or because a side ceased to exist).
//! Within one month a pair changes status at most once, so nothing is missed.
//!
//! **"After it ceased."** Within a month the engine applies scripted events (and so a polity's
//! end) before the war decisions (see [`crate::engine`]), so an onset in the very month a polity
//! ceased did come after it: `OnsetAfterCeased` holds when `ceased ≤ onset` (month offsets).
//!
//! Files are parsed like scenario files (every struct, including each rule's payload, refuses
//! unknown fields), and problems are reported as a [`ScenarioError`] naming the file, the
//! `line:column` where known, and the field path (`patterns.onset_window.rule.b`).

mod history;

use std::path::Path;

use serde::{Deserialize, Serialize};

use history::HistoryNode;
pub use history::{
    After, Before, Between, Count, Ending, Event, Happens, Kind, PeaceHolds, Precedes, WarEnds, WarLasts,
    WarShare, Window,
};

use crate::calendar::Month;
use crate::engine::outcome::{Acts, RunOutcome, NEVER};
use crate::engine::{Observer, Workspace};
use crate::model::{DyadStatus, Model};
use crate::scenario::{control_note, quote, text_controls, Problem, ScenarioError};

/// Most patterns a file may hold (a run's matches are one bit each in a `u64`).
pub const MAX_PATTERNS: usize = 64;
/// Longest look-back of [`Rule::ActsExceed`], in months (the engine keeps 64 months of acts).
pub const MAX_ACTS_MONTHS: u32 = crate::engine::ACTS_HISTORY_MONTHS;

/// One predicate over a run. Each payload is its own struct so that a misspelt field is an
/// error (ron would silently ignore it inside an enum struct variant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rule {
    /// The first war onset of the pair falls inside the window.
    OnsetWithin(OnsetWithin),
    /// The first war of the pair was started by `polity` (false when there was none).
    Initiator(Initiator),
    /// Before the first onset, `actor`'s hostile acts against the other outnumber the other's
    /// against `actor` (false when there was no onset).
    ActsExceed(ActsExceed),
    /// The pair's first onset came in or after the month `polity` ceased to exist (false when
    /// there was no onset or the polity never ceased).
    OnsetAfterCeased(OnsetAfterCeased),
    /// The pair is at war in no month of the window (wars under way at start included).
    NoWar(NoWar),
    /// The polity is at war with nobody in any month of the window.
    AtPeaceWithAll(AtPeaceWithAll),
    /// At the pair's first onset, `polity`'s mobilization is below `level` (false when there
    /// was no onset).
    MobilizationBelow(MobilizationBelow),
    /// A happening of the run's record falls in a window.
    Happens(Happens),
    /// So many happenings of the record fall in a window.
    Count(Count),
    /// One happening comes before another (which need not come at all).
    Precedes(Precedes),
    /// The pair is at war in a share of the window's months within bounds.
    WarShare(WarShare),
    /// The pair is at war in no month of a (non-empty) window.
    PeaceHolds(PeaceHolds),
    /// The n-th war begun in the pair ended by a truce, by a state's end, or not at all.
    WarEnds(WarEnds),
    /// The n-th war begun in the pair lasted within bounds, in months.
    WarLasts(WarLasts),
    /// Every rule holds (at least one rule).
    All(Vec<Rule>),
    /// Some rule holds (at least one rule).
    Any(Vec<Rule>),
    /// The rule does not hold.
    Not(Box<Rule>),
}

impl Rule {
    /// The rule in words, as `jinsong check` prints it.
    pub fn words(&self) -> String {
        use history::{event_words, window_words};
        let pair = |a: &str, b: &str| format!("{a}–{b}");
        match self {
            Rule::OnsetWithin(r) => format!(
                "the first war between {} begins between {} and {} (false without a war)",
                pair(&r.a, &r.b),
                r.from,
                r.to
            ),
            Rule::Initiator(r) => format!(
                "{} begins the first war between {} (false without a war)",
                r.polity,
                pair(&r.a, &r.b)
            ),
            Rule::ActsExceed(r) => format!(
                "in the {} months up to the first war between {}, {} commits {} in more months than the other side (false without a war)",
                r.months,
                pair(&r.a, &r.b),
                r.actor,
                match r.acts {
                    Acts::All => "hostile acts (its own or scripted)",
                    Acts::Agents => "hostile acts of its own (scripted acts left out)",
                    Acts::Scripted => "scripted hostile acts (its own left out)",
                }
            ),
            Rule::OnsetAfterCeased(r) => format!(
                "the first war between {} begins in or after the month {} ends (false if either never happens)",
                pair(&r.a, &r.b),
                r.polity
            ),
            Rule::NoWar(r) => format!("{} are at war in no month between {} and {}", pair(&r.a, &r.b), r.from, r.to),
            Rule::AtPeaceWithAll(r) => format!("{} is at war with nobody between {} and {}", r.polity, r.from, r.to),
            Rule::MobilizationBelow(r) => format!(
                "{}'s mobilization is below {} when the first war between {} begins (false without a war)",
                r.polity,
                r.level,
                pair(&r.a, &r.b)
            ),
            Rule::All(rules) => format!("all of: [{}]", rules.iter().map(Rule::words).collect::<Vec<_>>().join("; ")),
            Rule::Any(rules) => format!("any of: [{}]", rules.iter().map(Rule::words).collect::<Vec<_>>().join("; ")),
            Rule::Not(r) => format!("not ({})", r.words()),
            Rule::Happens(r) => format!("{} happens {}", event_words(&r.event), window_words(&r.window)),
            Rule::Count(r) => {
                let most = r.at_most.map_or(String::new(), |m| format!(" and at most {m}"));
                format!(
                    "at least {}{most} of {} happen {}",
                    r.at_least,
                    event_words(&r.event),
                    window_words(&r.window)
                )
            }
            Rule::Precedes(r) => format!(
                "{} happens, and before any {} (which need not happen)",
                event_words(&r.first),
                event_words(&r.then)
            ),
            Rule::WarShare(r) => format!(
                "{} are at war in {}–{}% of the months {} (false if there are none)",
                pair(&r.a, &r.b),
                r.at_least * 100.0,
                r.at_most * 100.0,
                window_words(&r.window)
            ),
            Rule::PeaceHolds(r) => format!(
                "{} are at war in no month {} (false if there are none)",
                pair(&r.a, &r.b),
                window_words(&r.window)
            ),
            Rule::WarEnds(r) => format!(
                "war number {} begun between {} ends {} (false if it never begins)",
                r.nth,
                pair(&r.a, &r.b),
                match r.how {
                    Ending::Truce => "by a truce",
                    Ending::StateEnd => "by a side's end",
                    Ending::Running => "not at all within the run",
                    Ending::Capitulation => "by a side's capitulation",
                }
            ),
            Rule::WarLasts(r) => {
                let most = r.at_most.map_or(String::new(), |m| format!(" and at most {m} (and ends)"));
                format!(
                    "war number {} begun between {} lasts at least {} months{most} (false if it never begins)",
                    r.nth,
                    pair(&r.a, &r.b),
                    r.at_least
                )
            }
        }
    }
}

/// Payload of [`Rule::OnsetWithin`] and [`Rule::NoWar`]: a pair and a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnsetWithin {
    /// One polity of the pair.
    pub a: String,
    /// The other polity of the pair.
    pub b: String,
    /// First month of the window.
    pub from: Month,
    /// Last month of the window (inclusive).
    pub to: Month,
}

/// Payload of [`Rule::Initiator`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Initiator {
    /// One polity of the pair.
    pub a: String,
    /// The other polity of the pair.
    pub b: String,
    /// The side that must have started the first war (`a` or `b`).
    pub polity: String,
}

/// Payload of [`Rule::ActsExceed`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActsExceed {
    /// One polity of the pair.
    pub a: String,
    /// The other polity of the pair.
    pub b: String,
    /// The side whose hostile acts must be more numerous (`a` or `b`).
    pub actor: String,
    /// Look-back in months, 1 ..= 64, counting the onset month as the first (36 is the window
    /// of `summary.json`'s `provoked_first`).
    pub months: u32,
    /// Which acts count: `All` (the default: the agents' own and the scripted), `Agents` (the
    /// agents' own only) or `Scripted` (the scripted only).
    #[serde(default, skip_serializing_if = "Acts::is_all")]
    pub acts: Acts,
}

/// Payload of [`Rule::OnsetAfterCeased`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnsetAfterCeased {
    /// One polity of the pair.
    pub a: String,
    /// The other polity of the pair.
    pub b: String,
    /// The polity that must have ceased first (any polity).
    pub polity: String,
}

/// Payload of [`Rule::NoWar`]: a pair and a window, as for [`Rule::OnsetWithin`].
pub type NoWar = OnsetWithin;

/// Payload of [`Rule::AtPeaceWithAll`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtPeaceWithAll {
    /// The polity.
    pub polity: String,
    /// First month of the window.
    pub from: Month,
    /// Last month of the window (inclusive).
    pub to: Month,
}

/// Payload of [`Rule::MobilizationBelow`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MobilizationBelow {
    /// One polity of the pair.
    pub a: String,
    /// The other polity of the pair.
    pub b: String,
    /// The side whose mobilization is read (`a` or `b`).
    pub polity: String,
    /// The level, 0 ..= 1. Mobilization is recorded in single precision and compared in single
    /// precision, as `summary.json`'s `unready_at_onset` does at 0.99.
    pub level: f64,
}

/// One named pattern. Neither its name nor its description may hold a control character
/// (a description may hold newlines and tabs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// Name used in results: 1 to 64 of `a-z 0-9 _`, unique in the file, not `joint`.
    pub name: String,
    /// Free text: what the pattern says and where it comes from.
    #[serde(default)]
    pub description: String,
    /// The predicate.
    pub rule: Rule,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    patterns: Vec<Pattern>,
}

/// A pattern file as parsed, not yet checked against a scenario; or several files joined
/// ([`PatternSet::join`]), scored together.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternSet {
    /// The patterns, in file order.
    pub patterns: Vec<Pattern>,
    /// The source text, to locate problems found by [`PatternSet::compile`].
    source: String,
    /// Of joined files: each file as given and its own set (empty for one file).
    parts: Vec<(String, PatternSet)>,
}

fn problem(file: &str, position: Option<(usize, usize)>, path: &str, message: String) -> Problem {
    Problem {
        file: file.to_string(),
        position,
        path: path.to_string(),
        message,
    }
}

impl PatternSet {
    /// Parse RON `text` that came from `file` (the file name is only used in errors).
    pub fn parse(file: &str, text: &str) -> Result<PatternSet, ScenarioError> {
        let parsed: PatternFile = crate::scenario::parse_ron(file, text)?;
        Ok(PatternSet {
            patterns: parsed.patterns,
            source: text.to_string(),
            parts: Vec::new(),
        })
    }

    /// Several pattern files scored together: their patterns in order, each file's joint match
    /// reported too. Pattern names must be unique across the files, and there may be at most
    /// [`MAX_PATTERNS`] in all. One file is returned as it is.
    pub fn join(mut files: Vec<(String, PatternSet)>) -> Result<PatternSet, ScenarioError> {
        if files.len() == 1 {
            return Ok(files.remove(0).1);
        }
        let mut problems = Vec::new();
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (file, set) in &files {
            for p in &set.patterns {
                if let Some((other, _)) = seen.iter().find(|(_, n)| *n == p.name) {
                    let locator = Locator::new(&set.source, &set.patterns);
                    let k = set.patterns.iter().position(|q| q.name == p.name).unwrap_or(0);
                    let pos = locator.find_string(k, |v| v == p.name);
                    problems.push(problem(
                        file,
                        pos,
                        &format!("patterns.{}.name", p.name),
                        format!("`{}` also names a pattern of {other}: names must differ across the files scored together", p.name),
                    ));
                }
                seen.push((file, &p.name));
            }
        }
        if seen.len() > MAX_PATTERNS {
            problems.push(problem(
                &files[0].0,
                None,
                "patterns",
                format!(
                    "{} patterns in the files together: at most {MAX_PATTERNS} are allowed",
                    seen.len()
                ),
            ));
        }
        if !problems.is_empty() {
            return Err(ScenarioError { problems });
        }
        Ok(PatternSet {
            patterns: files.iter().flat_map(|(_, s)| s.patterns.clone()).collect(),
            source: String::new(),
            parts: files,
        })
    }

    /// Whether `text` is a pattern file (`(patterns: …)`) rather than a scenario.
    pub fn is_pattern_file(text: &str) -> bool {
        let code: String = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ");
        let rest = code.trim_start().strip_prefix('(').unwrap_or("");
        rest.trim_start().starts_with("patterns")
    }

    /// The text of each file: the one file's, or each joined file's in order.
    pub fn sources(&self) -> Vec<&str> {
        match self.parts.is_empty() {
            true => vec![self.source.as_str()],
            false => self.parts.iter().map(|(_, s)| s.source.as_str()).collect(),
        }
    }

    /// Of joined files: each file as given and how many patterns it holds (empty for one file).
    pub fn files(&self) -> Vec<(String, usize)> {
        self.parts
            .iter()
            .map(|(f, s)| (f.clone(), s.patterns.len()))
            .collect()
    }

    /// The text the patterns were parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Read and parse a pattern file.
    pub fn read(path: &Path) -> Result<PatternSet, ScenarioError> {
        let file = crate::text::path(path);
        let text = crate::scenario::read_input(path, "pattern file")?;
        Self::parse(&file, &text)
    }

    /// Check the patterns against `model` (polity ids, pairs, windows inside the scenario's
    /// span, look-backs, levels, names) and compile them. Every problem found is reported, each
    /// with `file`, its position where it can be found, and its field path. A compiled set is
    /// only valid for the model it was compiled against (its initial statuses and span).
    pub fn compile(&self, file: &str, model: &Model) -> Result<CompiledPatterns, ScenarioError> {
        // Joined files: each is checked on its own, so that problems name its file and line.
        let mut file_masks = Vec::new();
        let mut first = 0;
        for (part_file, part) in &self.parts {
            part.compile(part_file, model)?;
            let n = part.patterns.len();
            file_masks.push(((1u128 << (first + n)) - (1u128 << first)) as u64);
            first += n;
        }
        let mut compiled = self.compile_one(file, model)?;
        compiled.file_masks = file_masks;
        Ok(compiled)
    }

    fn compile_one(&self, file: &str, model: &Model) -> Result<CompiledPatterns, ScenarioError> {
        let mut c = Compiler {
            file,
            model,
            locator: Locator::new(&self.source, &self.patterns),
            problems: Vec::new(),
            watched: Vec::new(),
            pattern: 0,
        };
        if self.patterns.is_empty() {
            c.problems.push(problem(
                file,
                None,
                "patterns",
                "the file holds no pattern".into(),
            ));
        }
        if self.patterns.len() > MAX_PATTERNS {
            c.problems.push(problem(
                file,
                None,
                "patterns",
                format!(
                    "{} patterns: at most {MAX_PATTERNS} are allowed",
                    self.patterns.len()
                ),
            ));
        }
        let mut nodes = Vec::with_capacity(self.patterns.len());
        let mut names: Vec<String> = Vec::with_capacity(self.patterns.len());
        for (k, p) in self.patterns.iter().enumerate() {
            c.pattern = k;
            let label = if name_ok(&p.name) {
                p.name.clone()
            } else {
                format!("[{k}]")
            };
            if !name_ok(&p.name) {
                // A name with control characters is not written as its debug form.
                let pos = c
                    .locator
                    .find_string(k, |v| v == p.name)
                    .or_else(|| c.locator.find(k, "name"));
                c.problems.push(problem(
                    file,
                    pos,
                    &format!("patterns{label}.name"),
                    format!(
                        "{} is not a usable pattern name{}: 1 to 64 of a-z 0-9 _, and not `joint`",
                        quote(&p.name),
                        control_note(&p.name)
                    ),
                ));
            } else if names.contains(&p.name) {
                let pos = c.locator.find_string(k, |v| v == p.name);
                c.problems.push(problem(
                    file,
                    pos,
                    &format!("patterns.{label}.name"),
                    format!("a second pattern is named `{}`", p.name),
                ));
            }
            names.push(p.name.clone());
            let path = if label.starts_with('[') {
                format!("patterns{label}")
            } else {
                format!("patterns.{label}")
            };
            if let Some(message) = text_controls(&p.description, true) {
                c.fail(&format!("{path}.description"), "description", message);
            }
            nodes.push(c.node(&p.rule, &format!("{path}.rule")));
        }
        let mut problems = c.problems;
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.position.unwrap_or((usize::MAX, 0)));
            return Err(ScenarioError { problems });
        }
        let initial_war = c
            .watched
            .iter()
            .map(|&d| matches!(model.status[d], DyadStatus::War { .. }))
            .collect();
        Ok(CompiledPatterns {
            names,
            nodes: nodes.into_iter().map(|n| n.expect("no problems")).collect(),
            words: (model.months as usize).div_ceil(64),
            watched: c.watched,
            initial_war,
            ids: model.ids.clone(),
            start: model.start,
            months: model.months,
            file_masks: Vec::new(),
        })
    }
}

fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name != "joint"
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Finds approximately where a value of pattern `k` is written: the pattern's text runs from its
/// `name: "…"` to the next pattern's, and the value is searched for inside it. A string value is
/// found by comparing what each string literal of the file *reads as* (RON's own decoding) with
/// the value, never by searching for some escaped form of it: a literal may write a character raw
/// (a tab, a NUL, any Unicode) or escaped in several ways, and each must be found.
struct Locator<'a> {
    text: &'a str,
    /// Byte offset of each pattern's name literal (or of the previous one when not found).
    starts: Vec<usize>,
    /// Every string literal of the text outside comments: (offset of its opening quote, its
    /// value as RON reads it).
    literals: Vec<(usize, String)>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str, patterns: &[Pattern]) -> Locator<'a> {
        let literals = crate::scenario::locate::string_literals(text);
        let mut starts = Vec::with_capacity(patterns.len());
        // Names come in file order: each search goes on after the last name found.
        let mut next = 0;
        let mut from = 0;
        for p in patterns {
            let found = literals[next..].iter().position(|(pos, value)| {
                let before = text[..*pos].trim_end();
                *value == p.name
                    && before.ends_with(':')
                    && before[..before.len() - 1].trim_end().ends_with("name")
            });
            match found {
                Some(k) => {
                    next += k + 1;
                    let pos = literals[next - 1].0;
                    starts.push(pos);
                    from = pos + 1;
                }
                None => starts.push(from),
            }
        }
        Locator {
            text,
            starts,
            literals,
        }
    }

    /// The byte range of pattern `k`'s text.
    fn region(&self, k: usize) -> Option<(usize, usize)> {
        let lo = *self.starts.get(k)?;
        let hi = self
            .starts
            .get(k + 1)
            .copied()
            .filter(|&h| h > lo)
            .unwrap_or(self.text.len());
        Some((lo, hi))
    }

    /// `(line, column)` (1-based) of byte offset `at`.
    fn line_column(&self, at: usize) -> (usize, usize) {
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// `(line, column)` of the first `needle` (a field name, a word) in pattern `k`'s text.
    fn find(&self, k: usize, needle: &str) -> Option<(usize, usize)> {
        let (lo, hi) = self.region(k)?;
        let at = lo + self.text[lo..hi].find(needle)?;
        Some(self.line_column(at))
    }

    /// `(line, column)` of the first string literal in pattern `k`'s text whose value satisfies
    /// `wanted`.
    fn find_string(&self, k: usize, wanted: impl Fn(&str) -> bool) -> Option<(usize, usize)> {
        let (lo, hi) = self.region(k)?;
        let (at, _) = self
            .literals
            .iter()
            .find(|(pos, value)| (lo..hi).contains(pos) && wanted(value))?;
        Some(self.line_column(*at))
    }
}

struct Compiler<'a> {
    file: &'a str,
    model: &'a Model,
    locator: Locator<'a>,
    problems: Vec<Problem>,
    /// Pairs whose months at war the tracker records.
    watched: Vec<usize>,
    /// The pattern being compiled.
    pattern: usize,
}

impl Compiler<'_> {
    fn fail(&mut self, path: &str, needle: &str, message: String) {
        let pos = self.locator.find(self.pattern, needle);
        self.problems.push(problem(self.file, pos, path, message));
    }

    /// A problem at the first string literal of this pattern that reads as `value`.
    fn fail_at_string(&mut self, path: &str, value: &str, message: String) {
        let pos = self.locator.find_string(self.pattern, |v| v == value);
        self.problems.push(problem(self.file, pos, path, message));
    }

    /// A problem at the first string literal of this pattern that reads as the month `month`.
    fn fail_at_month(&mut self, path: &str, month: Month, message: String) {
        let pos = self
            .locator
            .find_string(self.pattern, |v| v.parse::<Month>().is_ok_and(|m| m == month));
        self.problems.push(problem(self.file, pos, path, message));
    }

    fn polity(&mut self, id: &str, path: &str) -> Option<usize> {
        let found = self.model.ids.iter().position(|x| x == id);
        if found.is_none() {
            self.fail_at_string(
                path,
                id,
                format!(
                    "unknown polity {}: the scenario's polities are {}",
                    quote(id),
                    self.model.ids.join(", ")
                ),
            );
        }
        found
    }

    /// The unordered pair of `a` and `b`: `(dyad, index of a, index of b)`.
    fn pair(&mut self, a: &str, b: &str, path: &str) -> Option<(usize, usize, usize)> {
        let i = self.polity(a, &format!("{path}.a"));
        let j = self.polity(b, &format!("{path}.b"));
        let (i, j) = (i?, j?);
        if i == j {
            self.fail_at_string(
                &format!("{path}.b"),
                b,
                format!("`{a}` and `{b}` are the same polity: a pair needs two"),
            );
            return None;
        }
        Some((self.model.dyad_of[i * self.model.n + j], i, j))
    }

    /// Side (0 = the pair's first polity in scenario order) of `id`, which must be in the pair.
    fn side(
        &mut self,
        pair: Option<(usize, usize, usize)>,
        id: &str,
        path: &str,
        a: &str,
        b: &str,
    ) -> Option<u8> {
        let (d, _, _) = pair?;
        let x = self.polity(id, path)?;
        let (first, second) = self.model.dyads[d];
        if x == first {
            Some(0)
        } else if x == second {
            Some(1)
        } else {
            self.fail_at_string(path, id, format!("`{id}` is not in the pair {a}–{b}"));
            None
        }
    }

    /// Month offsets of an inclusive window inside the scenario's span.
    fn window(&mut self, from: Month, to: Month, path: &str) -> Option<(u32, u32)> {
        let start = self.model.start;
        let end = self.model.month(self.model.months.saturating_sub(1));
        if from > to {
            self.fail_at_month(
                &format!("{path}.from"),
                from,
                format!("empty window: from {from} is after to {to}"),
            );
            return None;
        }
        let mut ok = true;
        for (month, field) in [(from, "from"), (to, "to")] {
            if month < start || month > end {
                self.fail_at_month(
                    &format!("{path}.{field}"),
                    month,
                    format!("{month} lies outside the scenario's span {start}..{end}"),
                );
                ok = false;
            }
        }
        ok.then(|| (start.months_until(from) as u32, start.months_until(to) as u32))
    }

    fn watch(&mut self, d: usize) -> usize {
        if let Some(k) = self.watched.iter().position(|&x| x == d) {
            k
        } else {
            self.watched.push(d);
            self.watched.len() - 1
        }
    }

    fn node(&mut self, rule: &Rule, path: &str) -> Option<Node> {
        match rule {
            Rule::OnsetWithin(r) => {
                let pair = self.pair(&r.a, &r.b, path);
                let window = self.window(r.from, r.to, path);
                let ((d, _, _), (from, to)) = (pair?, window?);
                Some(Node::OnsetWithin { d, from, to })
            }
            Rule::Initiator(r) => {
                let pair = self.pair(&r.a, &r.b, path);
                let side = self.side(pair, &r.polity, &format!("{path}.polity"), &r.a, &r.b)?;
                Some(Node::Initiator { d: pair?.0, side })
            }
            Rule::ActsExceed(r) => {
                let pair = self.pair(&r.a, &r.b, path);
                let side = self.side(pair, &r.actor, &format!("{path}.actor"), &r.a, &r.b);
                if !(1..=MAX_ACTS_MONTHS).contains(&r.months) {
                    self.fail(
                        &format!("{path}.months"),
                        "months",
                        format!(
                            "months is {}: the look-back must be 1 ..= {MAX_ACTS_MONTHS}",
                            r.months
                        ),
                    );
                    return None;
                }
                Some(Node::ActsExceed(ActsNode {
                    d: pair?.0,
                    side: side? as usize,
                    months: r.months,
                    acts: r.acts,
                }))
            }
            Rule::OnsetAfterCeased(r) => {
                let pair = self.pair(&r.a, &r.b, path);
                let polity = self.polity(&r.polity, &format!("{path}.polity"));
                Some(Node::OnsetAfterCeased {
                    d: pair?.0,
                    polity: polity?,
                })
            }
            Rule::NoWar(r) => {
                let pair = self.pair(&r.a, &r.b, path);
                let window = self.window(r.from, r.to, path);
                let ((d, _, _), (from, to)) = (pair?, window?);
                let slot = self.watch(d);
                Some(Node::NoWar { slot, from, to })
            }
            Rule::AtPeaceWithAll(r) => {
                let polity = self.polity(&r.polity, &format!("{path}.polity"));
                let window = self.window(r.from, r.to, path);
                let (x, (from, to)) = (polity?, window?);
                let n = self.model.n;
                let slots = (0..n)
                    .filter(|&j| j != x)
                    .map(|j| {
                        let d = self.model.dyad_of[x * n + j];
                        self.watch(d)
                    })
                    .collect();
                Some(Node::AtPeaceWithAll { slots, from, to })
            }
            Rule::MobilizationBelow(r) => {
                let pair = self.pair(&r.a, &r.b, path);
                let side = self.side(pair, &r.polity, &format!("{path}.polity"), &r.a, &r.b);
                if !(0.0..=1.0).contains(&r.level) {
                    self.fail(
                        &format!("{path}.level"),
                        "level",
                        format!("level is {}: it must lie in 0 ..= 1", r.level),
                    );
                    return None;
                }
                Some(Node::MobilizationBelow {
                    d: pair?.0,
                    side: side? as usize,
                    level: r.level as f32,
                })
            }
            Rule::All(rules) | Rule::Any(rules) => {
                let all = matches!(rule, Rule::All(_));
                let word = if all { "All" } else { "Any" };
                if rules.is_empty() {
                    self.fail(
                        &format!("{path}.{word}"),
                        word,
                        format!("{word}([]) is empty: give it at least one rule"),
                    );
                    return None;
                }
                let parts: Vec<Option<Node>> = rules
                    .iter()
                    .enumerate()
                    .map(|(k, r)| self.node(r, &format!("{path}.{word}[{k}]")))
                    .collect();
                let parts: Option<Vec<Node>> = parts.into_iter().collect();
                let parts = parts?;
                Some(if all { Node::All(parts) } else { Node::Any(parts) })
            }
            Rule::Not(inner) => Some(Node::Not(Box::new(self.node(inner, &format!("{path}.Not"))?))),
            Rule::Happens(r) => Some(Node::History(self.happens(r, &format!("{path}.Happens"))?)),
            Rule::Count(r) => Some(Node::History(self.count(r, &format!("{path}.Count"))?)),
            Rule::Precedes(r) => Some(Node::History(self.precedes(r, &format!("{path}.Precedes"))?)),
            Rule::WarShare(r) => Some(Node::History(self.war_share(r, &format!("{path}.WarShare"))?)),
            Rule::PeaceHolds(r) => Some(Node::History(self.peace_holds(r, &format!("{path}.PeaceHolds"))?)),
            Rule::WarEnds(r) => Some(Node::History(self.war_ends(r, &format!("{path}.WarEnds"))?)),
            Rule::WarLasts(r) => Some(Node::History(self.war_lasts(r, &format!("{path}.WarLasts"))?)),
        }
    }
}

/// A compiled [`Rule::ActsExceed`]: pair `d`, the actor's side, the look-back and the acts.
#[derive(Debug, Clone, PartialEq)]
struct ActsNode {
    d: usize,
    side: usize,
    months: u32,
    acts: Acts,
}

/// A compiled rule: polity ids resolved to indices, dates to month offsets.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    OnsetWithin { d: usize, from: u32, to: u32 },
    Initiator { d: usize, side: u8 },
    ActsExceed(ActsNode),
    OnsetAfterCeased { d: usize, polity: usize },
    NoWar { slot: usize, from: u32, to: u32 },
    AtPeaceWithAll { slots: Vec<usize>, from: u32, to: u32 },
    MobilizationBelow { d: usize, side: usize, level: f32 },
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    History(HistoryNode),
}

/// Patterns checked against one model, ready to test runs of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledPatterns {
    names: Vec<String>,
    nodes: Vec<Node>,
    /// Pairs whose months at war are recorded by the tracker.
    watched: Vec<usize>,
    /// Whether each watched pair is at war at `start`.
    initial_war: Vec<bool>,
    /// `u64` words of month bits per watched pair.
    words: usize,
    ids: Vec<String>,
    start: Month,
    months: u32,
    /// Of joined files: the bits of each file's patterns (empty for one file).
    file_masks: Vec<u64>,
}

impl CompiledPatterns {
    /// Of joined files: the bits of each file's patterns in [`PatternTracker::matches`] (empty
    /// for one file).
    pub fn file_masks(&self) -> &[u64] {
        &self.file_masks
    }

    /// Pattern names, in file order (bit *k* of [`PatternTracker::matches`] is pattern *k*).
    pub fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// Whether these patterns can score runs of `model`: same polity ids, start and length as
    /// the model they were compiled against. (Initial statuses are not compared: compile the
    /// patterns for each scenario.)
    pub fn fits(&self, model: &Model) -> bool {
        self.ids == model.ids && self.start == model.start && self.months == model.months
    }

    /// A tracker to pass as the observer of [`crate::engine::simulate`]. One tracker can be
    /// reused across runs: it starts afresh whenever it sees month offset 0.
    pub fn tracker(&self) -> PatternTracker<'_> {
        let mut t = PatternTracker {
            patterns: self,
            war: vec![0; self.watched.len() * self.words],
            prev: self.initial_war.clone(),
        };
        t.reset();
        t
    }
}

/// Records what the patterns need to know of a run beyond its [`RunOutcome`] (the months each
/// watched pair spent at war), and tells which patterns a run matched.
#[derive(Debug, Clone)]
pub struct PatternTracker<'a> {
    patterns: &'a CompiledPatterns,
    /// `war[slot * words + t / 64]` bit `t % 64`: watched pair `slot` was at war in month `t`.
    war: Vec<u64>,
    /// Whether each watched pair was at war at the end of the last month seen.
    prev: Vec<bool>,
}

impl Observer for PatternTracker<'_> {
    #[inline]
    fn month_end(&mut self, t: u32, ws: &Workspace) {
        let p = self.patterns;
        if p.watched.is_empty() {
            return;
        }
        if t == 0 {
            self.reset();
        }
        let word = t as usize / 64;
        if word >= p.words {
            return;
        }
        let bit = 1u64 << (t % 64);
        for (k, &d) in p.watched.iter().enumerate() {
            let now = matches!(ws.status(d), DyadStatus::War { .. });
            if now || self.prev[k] {
                self.war[k * p.words + word] |= bit;
            }
            self.prev[k] = now;
        }
    }
}

impl PatternTracker<'_> {
    /// Forget the run seen so far (done automatically at month offset 0).
    pub fn reset(&mut self) {
        self.war.fill(0);
        self.prev.copy_from_slice(&self.patterns.initial_war);
    }

    /// Which patterns the run just simulated matched: bit *k* is set when pattern *k* holds.
    /// `outcome` is that run's outcome (`ws.outcome`); the tracker must have observed the run.
    pub fn matches(&self, outcome: &RunOutcome) -> u64 {
        self.patterns.nodes.iter().enumerate().fold(0, |bits, (k, node)| {
            bits | (u64::from(self.holds(node, outcome)) << k)
        })
    }

    /// Whether watched pair `slot` was at war in any month of `from ..= to`.
    fn at_war(&self, slot: usize, from: u32, to: u32) -> bool {
        let words = &self.war[slot * self.patterns.words..(slot + 1) * self.patterns.words];
        let (from, to) = (from as usize, to as usize);
        (from / 64..=to / 64).any(|w| {
            let lo = if w == from / 64 { from % 64 } else { 0 };
            let hi = if w == to / 64 { to % 64 } else { 63 };
            let mask = (u64::MAX >> (63 - hi)) & (u64::MAX << lo);
            words.get(w).is_some_and(|x| x & mask != 0)
        })
    }

    fn holds(&self, node: &Node, o: &RunOutcome) -> bool {
        match node {
            Node::OnsetWithin { d, from, to } => {
                let t = o.dyads[*d].first_onset;
                t != NEVER && *from <= t && t <= *to
            }
            Node::Initiator { d, side } => {
                let x = &o.dyads[*d];
                x.first_onset != NEVER && x.initiator == *side
            }
            Node::ActsExceed(a) => o.dyads[a.d].acts_exceed(a.side, a.acts, a.months),
            Node::OnsetAfterCeased { d, polity } => {
                let onset = o.dyads[*d].first_onset;
                let ceased = o.ceased[*polity];
                onset != NEVER && ceased != NEVER && ceased <= onset
            }
            Node::NoWar { slot, from, to } => !self.at_war(*slot, *from, *to),
            Node::AtPeaceWithAll { slots, from, to } => slots.iter().all(|&s| !self.at_war(s, *from, *to)),
            Node::MobilizationBelow { d, side, level } => {
                let x = &o.dyads[*d];
                x.first_onset != NEVER && x.mobilization_at_onset[*side] < *level
            }
            Node::All(parts) => parts.iter().all(|n| self.holds(n, o)),
            Node::Any(parts) => parts.iter().any(|n| self.holds(n, o)),
            Node::Not(inner) => !self.holds(inner, o),
            Node::History(h) => self.history(h, o),
        }
    }
}
