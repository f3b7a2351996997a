//! Judgements as distributions: a number of a scenario written as a prior.
//!
//! Any number that `--set` reaches (a polity's or a relation's number, a rule, an event's
//! probability) may be written as a distribution instead of a value, in the file
//! (`greed: Uniform(0.0, 0.02)`), in a variant's `set` list or on the command line
//! (`--set 'polities.jin.greed=Uniform(0.0, 0.02)'`). Whole numbers (`reaction_delay`,
//! `truce_months`), switches, `seed`, `runs` and `warmup` take no prior.
//!
//! **Support.** `Normal(mean, sd)` is *truncated* to the field's allowed range (its mean must lie
//! inside it); every other distribution must lie inside the range and is *refused* otherwise,
//! with the range in the message. `Beta(a, b)` lives on `[0, 1]`.
//!
//! The scenario keeps a fixed value at each path with a prior, its [`Distribution::center`], so
//! that it validates and reads like any other; a run never uses it: it draws the value
//! (`crate::model::prior`). Fixing the path again (`--set PATH=0.5`) removes the prior.

use serde::{Deserialize, Serialize};

use crate::text::quote;

/// The polity numbers a prior may stand for (every real number of a polity).
pub const POLITY_FIELDS: [&str; 32] = [
    "strength",
    "potential",
    "mobilization",
    "mobilization_lag",
    "stability",
    "fear_gain",
    "fear_decay",
    "fear_noise",
    "trust_recovery",
    "war_threshold",
    "war_propensity",
    "war_readiness",
    "greed",
    "isolation",
    "status_rigidity",
    "talk_propensity",
    "vassal_propensity",
    "alliance_propensity",
    "breach_propensity",
    "provocation_trust_loss",
    "provocation_fear",
    "join_propensity",
    "vassal_acceptance",
    "odds_weight",
    "capitulation_propensity",
    "projection_decay",
    "army_growth",
    "war_burden",
    "submission_cost",
    "tribute_gain",
    "enforcement",
    "default_propensity",
];

/// The relation numbers a prior may stand for (every real number of a relation).
pub const RELATION_FIELDS: [&str; 8] = [
    "contact",
    "trust",
    "fear",
    "grievance",
    "provocation_rate",
    "restraint",
    "strength_bias",
    "perception_noise",
];

/// The rules a prior may stand for (every real-number rule; `truce_months` is a whole number):
/// version 1's four, then the ten Model 2 added and the nine of Model 3 (`check` lists the
/// later ones it fills in).
pub const RULE_FIELDS: [&str; 23] = [
    "war_fear_shock",
    "talks_success",
    "truce_trust_gain",
    "alliance_exit_trust",
    "contest_decisiveness",
    "war_step",
    "war_cost",
    "war_unrest",
    "strength_recovery",
    "terms_cession",
    "terms_junior",
    "cession_share",
    "capitulation_balance",
    "war_learning",
    "armies_per_potential",
    "settlement_horizon",
    "settlement_noise",
    "talks_learning",
    "cession_per_line",
    "seeker_share",
    "treaty_settling",
    "tribute_strength",
    "demarcation_strength",
];

/// Whether a prior may stand for the number at `--set` path `path` (by the shape of the path
/// and its field; the ids are checked elsewhere).
pub fn takes_prior(path: &str) -> bool {
    let segs: Vec<&str> = path.split('.').collect();
    match segs.as_slice() {
        ["polities", _, field] => POLITY_FIELDS.contains(field),
        ["relations", _, _, field] => RELATION_FIELDS.contains(field),
        ["rules", field] => RULE_FIELDS.contains(field),
        ["events", _, "probability"] => true,
        _ => false,
    }
}

/// Most priors one scenario may have.
pub const MAX_PRIORS: usize = 256;
/// Smallest shape of a `Beta`: below it the draws crowd so close to 0 and 1 that the sampler
/// (in logarithms) can no longer honour the distribution in doubles.
pub const MIN_BETA_SHAPE: f64 = 1e-3;
/// Largest shape of a `Beta`.
pub const MAX_BETA_SHAPE: f64 = 1e6;
/// Most values of one `Choice`.
pub const MAX_CHOICES: usize = 256;

/// A prior distribution of one number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Distribution {
    /// Uniform on `[lo, hi]`, `lo < hi`.
    Uniform(f64, f64),
    /// `exp` of a uniform on `[ln lo, ln hi]`, `0 < lo < hi`.
    LogUniform(f64, f64),
    /// Normal with this mean and standard deviation (`sd > 0`), truncated to the field's range.
    Normal(f64, f64),
    /// Beta with shapes `a > 0`, `b > 0`, on `[0, 1]`.
    Beta(f64, f64),
    /// Triangular on `[lo, hi]` with its mode, `lo ≤ mode ≤ hi`, `lo < hi`.
    Triangular(f64, f64, f64),
    /// One of these values, each equally likely.
    Choice(Vec<f64>),
}

/// The words that begin a distribution, as written in a file or a `--set`.
pub const DISTRIBUTION_NAMES: [&str; 6] = ["Uniform", "LogUniform", "Normal", "Beta", "Triangular", "Choice"];

/// A number as a distribution is written: the shortest text that reads back to it, in
/// scientific notation when it is very large or very small (`1e300`, not 301 digits).
pub fn number_text(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e15 || x.abs() < 1e-6) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

impl std::fmt::Display for Distribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = |x: &f64| number_text(*x);
        match self {
            Distribution::Uniform(a, b) => write!(f, "Uniform({}, {})", n(a), n(b)),
            Distribution::LogUniform(a, b) => write!(f, "LogUniform({}, {})", n(a), n(b)),
            Distribution::Normal(a, b) => write!(f, "Normal({}, {})", n(a), n(b)),
            Distribution::Beta(a, b) => write!(f, "Beta({}, {})", n(a), n(b)),
            Distribution::Triangular(a, m, b) => write!(f, "Triangular({}, {}, {})", n(a), n(m), n(b)),
            Distribution::Choice(v) => {
                let items: Vec<String> = v.iter().map(n).collect();
                write!(f, "Choice([{}])", items.join(", "))
            }
        }
    }
}

impl Distribution {
    /// Parse `text` (`Uniform(0.3, 0.7)`) as a distribution; `None` when it does not begin with
    /// one of [`DISTRIBUTION_NAMES`] followed by `(`; an error when it does but is malformed.
    pub fn parse(text: &str) -> Option<Result<Distribution, String>> {
        let t = text.trim();
        let name_end = t.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(t.len());
        if !DISTRIBUTION_NAMES.contains(&&t[..name_end]) || !t[name_end..].trim_start().starts_with('(') {
            return None;
        }
        Some(
            ron::Options::default()
                .with_recursion_limit(8)
                .from_str::<Distribution>(t)
                .map_err(|e| {
                    format!(
                        "{} is not a distribution: {} (e.g. Uniform(0.3, 0.7), LogUniform(0.001, 0.1), Normal(0.5, 0.1), Beta(2, 5), Triangular(0, 0.2, 1), Choice([1, 2, 4]))",
                        quote(t),
                        super::clip_quoted(&e.code.to_string())
                    )
                }),
        )
    }

    /// What is wrong with the distribution's own numbers, if anything.
    pub fn problem(&self) -> Option<String> {
        // Finite, and none subnormal (no sampler is meant to compute with one).
        let finite = |xs: &[f64]| {
            xs.iter()
                .all(|x| x.is_finite() && (*x == 0.0 || x.abs() >= f64::MIN_POSITIVE))
        };
        let bad = |why: &str| Some(format!("{self} {why}"));
        let numbers: &[f64] = match self {
            Distribution::Uniform(a, b)
            | Distribution::LogUniform(a, b)
            | Distribution::Normal(a, b)
            | Distribution::Beta(a, b) => &[*a, *b],
            Distribution::Triangular(a, m, b) => &[*a, *m, *b],
            Distribution::Choice(v) => v,
        };
        if let Some(x) = numbers.iter().find(|x| **x != 0.0 && x.abs() < f64::MIN_POSITIVE) {
            return Some(format!(
                "{self}: {x:e} is subnormal (allowed: 0, or at least {:e} in size)",
                f64::MIN_POSITIVE
            ));
        }
        match self {
            Distribution::Uniform(a, b) if !finite(&[*a, *b]) || a >= b => bad("needs lo < hi, both finite"),
            Distribution::LogUniform(a, b) if !finite(&[*a, *b]) || *a <= 0.0 || a >= b => {
                bad("needs 0 < lo < hi, both finite")
            }
            Distribution::Normal(m, s) if !finite(&[*m, *s]) || *s <= 0.0 => {
                bad("needs a finite mean and sd > 0")
            }
            Distribution::Beta(a, b)
                if !finite(&[*a, *b])
                    || *a < MIN_BETA_SHAPE
                    || *b < MIN_BETA_SHAPE
                    || *a > MAX_BETA_SHAPE
                    || *b > MAX_BETA_SHAPE =>
            {
                bad("needs shapes a and b from 0.001 to 1e6 (the sampler is exact only there)")
            }
            Distribution::Triangular(a, m, b) if !finite(&[*a, *m, *b]) || a >= b || m < a || m > b => {
                bad("needs lo ≤ mode ≤ hi and lo < hi, all finite")
            }
            Distribution::Choice(v) if v.is_empty() || v.len() > MAX_CHOICES || !finite(v) => Some(format!(
                "a Choice needs 1 to {MAX_CHOICES} finite values (given: {})",
                v.len()
            )),
            _ => None,
        }
    }

    /// The smallest and largest value it can give, before any truncation (infinite for a
    /// `Normal`).
    pub fn support(&self) -> (f64, f64) {
        match self {
            Distribution::Uniform(a, b)
            | Distribution::LogUniform(a, b)
            | Distribution::Triangular(a, _, b) => (*a, *b),
            Distribution::Normal(..) => (f64::NEG_INFINITY, f64::INFINITY),
            Distribution::Beta(..) => (0.0, 1.0),
            Distribution::Choice(v) => (
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
        }
    }

    /// The fixed value the scenario keeps at the path (for validation and for reading the file):
    /// the middle of a `Uniform`, the geometric middle of a `LogUniform`, the mean of a `Normal`
    /// or `Beta`, the mode of a `Triangular`, the first value of a `Choice`. Runs never use it.
    pub fn center(&self) -> f64 {
        match self {
            Distribution::Uniform(a, b) => 0.5 * (a + b),
            Distribution::LogUniform(a, b) => (a * b).sqrt(),
            Distribution::Normal(m, _) => *m,
            Distribution::Beta(a, b) => a / (a + b),
            Distribution::Triangular(_, m, _) => *m,
            Distribution::Choice(v) => v.first().copied().unwrap_or(0.0),
        }
    }
}

/// One number of a scenario given as a distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prior {
    /// The `--set` path of the number (`polities.jin.greed`).
    pub path: String,
    /// Its distribution.
    pub dist: Distribution,
    /// Where it was written in the file, as a field path of the file (`polities[1].greed`);
    /// empty when it came from a `--set` or a variant.
    #[serde(default, skip_serializing)]
    pub at: String,
}

/// A finished posterior to draw a scenario's priors from instead (`--posterior DIR`): rows of
/// values, one column per path, as `evidence` wrote them to `posterior_sample.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosteriorSample {
    /// Where it came from: the folder as given and the reading whose posterior it is.
    pub from: String,
    /// The paths of the columns (each a prior of the scenario).
    pub paths: Vec<String>,
    /// The values, row after row (`rows × paths.len()`).
    pub values: Vec<f64>,
}

impl PosteriorSample {
    /// How many rows it has.
    pub fn rows(&self) -> usize {
        self.values.len() / self.paths.len().max(1)
    }
}

/// Largest posterior sample file that `--posterior DIR` reads (128 MiB); `evidence` refuses,
/// before any run, a `--sample` whose file could be larger ([`sample_row_bytes`]), so that
/// whatever `evidence` writes, `--posterior` reads.
pub const MAX_SAMPLE_FILE_BYTES: u64 = 128 << 20;

/// The header of the posterior sample file.
pub const SAMPLE_HEADER: &str = "scenario,draw,run,path,value\n";

/// The most bytes one row of the posterior sample file can take for reading `name` and path
/// `path`: the draw (at most 6 digits), the run (at most 13), the value as [`number_text`]
/// writes it (at most 24), four commas and a line break.
pub fn sample_row_bytes(name: &str, path: &str) -> u64 {
    (name.len() + path.len() + 6 + 13 + 24 + 5) as u64
}

/// One row of the posterior sample file: draw `draw` of reading `name` (from run `run`) gives
/// `path` the value `value`.
pub fn sample_row(out: &mut String, name: &str, draw: usize, run: u64, path: &str, value: f64) {
    use std::fmt::Write;
    let _ = writeln!(out, "{name},{draw},{run},{path},{}", number_text(value));
}

/// The name of the posterior sample file that `evidence` writes and `--posterior DIR` reads.
pub const SAMPLE_FILE: &str = "posterior_sample.csv";

/// Read the posterior sample of reading `name` from `dir`/[`SAMPLE_FILE`] (tidy rows
/// `scenario,draw,run,path,value`). When the file holds no rows of `name` but those of exactly
/// one reading, that reading's are taken (a counterfactual run on the posterior of the reading
/// it changes). Errors are one line with the file (and line).
pub fn read_posterior_sample(
    dir: &std::path::Path,
    name: &str,
) -> Result<PosteriorSample, super::ScenarioError> {
    let path = dir.join(SAMPLE_FILE);
    let file = crate::text::path(&path);
    let text = super::read_input_within(&path, "posterior sample", MAX_SAMPLE_FILE_BYTES)?;
    let fail = |line: usize, message: String| {
        super::ScenarioError::one(&file, (line > 0).then_some((line, 1)), "", message)
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "scenario,draw,run,path,value")) => {}
        _ => {
            return Err(fail(
                1,
                "not a posterior sample (the header must be scenario,draw,run,path,value)".into(),
            ))
        }
    }
    // (scenario, draw, path, value) of every row.
    let mut rows: Vec<(&str, u64, &str, f64)> = Vec::new();
    for (k, line) in lines {
        let cols: Vec<&str> = line.split(',').collect();
        let [scenario, draw, _run, p, value] = cols.as_slice() else {
            return Err(fail(k + 1, format!("{} is not 5 columns", quote(line))));
        };
        let draw: u64 = draw
            .parse()
            .map_err(|_| fail(k + 1, format!("draw {} is not a whole number", quote(draw))))?;
        let value: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| fail(k + 1, format!("value {} is not a finite number", quote(value))))?;
        rows.push((scenario, draw, p, value));
    }
    let mut readings: Vec<&str> = rows.iter().map(|r| r.0).collect();
    readings.sort_unstable();
    readings.dedup();
    let chosen = if readings.contains(&name) {
        name
    } else if let [only] = readings.as_slice() {
        only
    } else {
        return Err(fail(
            0,
            format!(
                "holds no posterior of `{name}` (it holds: {})",
                super::list_ids(&readings, ", ")
            ),
        ));
    };
    let mine: Vec<&(&str, u64, &str, f64)> = rows.iter().filter(|r| r.0 == chosen).collect();
    let mut paths: Vec<String> = Vec::new();
    for r in &mine {
        if !paths.iter().any(|p| p == r.2) {
            paths.push(r.2.to_string());
        }
    }
    let draws = mine.iter().map(|r| r.1).max().map_or(0, |d| d + 1) as usize;
    if mine.len() != draws * paths.len() {
        return Err(fail(
            0,
            format!(
                "the draws of `{chosen}` do not each give every one of its {} paths once",
                paths.len()
            ),
        ));
    }
    let mut values = vec![f64::NAN; mine.len()];
    for r in &mine {
        let c = paths.iter().position(|p| p == r.2).unwrap_or(0);
        values[r.1 as usize * paths.len() + c] = r.3;
    }
    if values.iter().any(|v| v.is_nan()) {
        return Err(fail(0, format!("a draw of `{chosen}` gives a path twice")));
    }
    Ok(PosteriorSample {
        from: format!("{} ({chosen})", crate::text::path(dir)),
        paths,
        values,
    })
}

/// A distribution written as a value in RON text, found by [`extract`].
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// Its distribution.
    pub dist: Distribution,
    /// `(line, column)` of its first character, 1-based.
    pub position: (usize, usize),
}

/// A problem at `(line, column)` of a file, with its message.
pub type Misplaced = ((usize, usize), String);

/// Find every distribution written as a value in RON `source` (after a `:`, outside strings and
/// comments) and blank it out: the returned text has `0` in its place followed by spaces (line
/// breaks kept), so that every other position of the file is unchanged. Errors are
/// `((line, column), message)`.
pub fn extract(source: &str) -> Result<(String, Vec<Written>), Misplaced> {
    let bytes = source.as_bytes();
    let mut out = bytes.to_vec();
    let mut found = Vec::new();
    let mut cur = super::locate::Cursor {
        text: bytes,
        at: 0,
        line: 1,
        col: 1,
    };
    // What came last outside strings and comments: whether a `:`, and the word if a word.
    let mut after_colon = false;
    let mut last_word: Option<String> = None;
    // Whether that `:` followed the word `dist` (an entry of an explicit
    // `priors: [(path: …, dist: …)]` list, which parses as a distribution and is left alone).
    let mut after_dist = false;
    let mut conditions = 0usize;
    loop {
        cur.skip_trivia();
        let Some(c) = cur.peek() else { break };
        if c == b'r' && cur.at_raw_string() {
            cur.raw_string();
            (after_colon, last_word) = (false, None);
            continue;
        }
        if c == b'"' {
            cur.string();
            (after_colon, last_word) = (false, None);
            continue;
        }
        if !(c.is_ascii_alphabetic() || c == b'_') {
            after_dist = c == b':' && last_word.as_deref() == Some("dist");
            (after_colon, last_word) = (c == b':', None);
            cur.bump();
            continue;
        }
        let (start, position) = (cur.at, (cur.line, cur.col));
        let word = cur.ident();
        let mut open = cur.at;
        while open < bytes.len() && bytes[open].is_ascii_whitespace() {
            open += 1;
        }
        // The conditions of all events, counted before anything is parsed: a file of more is
        // refused at once, where the first one too many is written.
        if super::condition::CONDITION_NAMES.contains(&word.as_str()) && bytes.get(open) == Some(&b'(') {
            conditions += 1;
            if conditions > super::condition::MAX_TOTAL_CONDITION_NODES {
                return Err((position, super::condition::too_many_conditions()));
            }
        }
        let written = after_colon && !after_dist && DISTRIBUTION_NAMES.contains(&word.as_str());
        if !(written && bytes.get(open) == Some(&b'(')) {
            (after_colon, last_word) = (false, Some(word));
            continue;
        }
        // The matching parenthesis (a distribution holds numbers, commas and one list).
        let mut depth = 0usize;
        let mut close = None;
        for (k, &b) in bytes.iter().enumerate().skip(open) {
            match b {
                b'(' | b'[' => depth += 1,
                b')' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(k);
                        break;
                    }
                }
                b'"' => break,
                _ => {}
            }
        }
        let Some(close) = close else {
            return Err((position, format!("{word}( is not closed")));
        };
        let dist = match Distribution::parse(&source[start..=close]) {
            Some(Ok(d)) => d,
            Some(Err(message)) => return Err((position, message)),
            None => return Err((position, format!("{word}( is not a distribution"))),
        };
        found.push(Written { dist, position });
        for (k, b) in out.iter_mut().enumerate().take(close + 1).skip(start) {
            if *b != b'\n' {
                *b = if k == start { b'0' } else { b' ' };
            }
        }
        while cur.at <= close {
            cur.bump();
        }
        (after_colon, last_word) = (false, None);
    }
    // Only ASCII bytes were replaced by ASCII bytes: the text is still UTF-8.
    let text = String::from_utf8(out).map_err(|_| ((1, 1), "the scenario is not UTF-8 text".to_string()))?;
    Ok((text, found))
}

/// The `--set` path of a value at file path `at` (`polities[1].greed` → `polities.jin.greed`),
/// or why a prior cannot sit there.
pub fn set_path_of(sc: &super::Scenario, at: &str) -> Result<String, String> {
    let refuse = || {
        format!(
            "a prior may stand only for a real number that --set reaches (a polity's or a relation's number, a rule, an event's probability); `{at}` is not one"
        )
    };
    let (head, field) = at.rsplit_once('.').ok_or_else(refuse)?;
    let index =
        |prefix: &str| -> Option<usize> { head.strip_prefix(prefix)?.strip_suffix(']')?.parse().ok() };
    if head == "rules" {
        return Ok(format!("rules.{field}"));
    }
    if let Some(k) = index("polities[") {
        let p = sc.polities.get(k).ok_or_else(refuse)?;
        return Ok(format!("polities.{}.{field}", p.id));
    }
    if let Some(k) = index("relations[") {
        let r = sc.relations.get(k).ok_or_else(refuse)?;
        return Ok(format!("relations.{}.{}.{field}", r.from, r.to));
    }
    if let Some(k) = index("events[") {
        let e = sc.events.get(k).ok_or_else(refuse)?;
        if field == "probability" {
            return Ok(format!("events.{}.probability", e.id));
        }
    }
    Err(refuse())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_distribution_is_blanked_and_every_other_position_kept() {
        let src =
            "(a: 1, // Uniform(0, 1)\n b: Uniform(0.2,\n 0.4), c: \"x: Beta(1, 1)\", d: Choice([1, 2]))";
        let (text, found) = extract(src).unwrap();
        assert_eq!(text.len(), src.len());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].dist, Distribution::Uniform(0.2, 0.4));
        assert_eq!(found[0].position, (2, 5));
        assert_eq!(found[1].dist, Distribution::Choice(vec![1.0, 2.0]));
        assert_eq!(text.lines().nth(1), Some(" b: 0           "));
        assert!(text.contains("\"x: Beta(1, 1)\""));
        assert_eq!(text.lines().count(), src.lines().count());
    }

    #[test]
    fn an_explicit_list_of_priors_is_left_to_the_parser() {
        let src = "(priors: [(path: \"polities.a.greed\", dist : Uniform(0, 0.1))], g: Beta(1, 2))";
        let (text, found) = extract(src).unwrap();
        assert!(text.contains("dist : Uniform(0, 0.1)"), "{text}");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].dist, Distribution::Beta(1.0, 2.0));
    }

    #[test]
    fn malformed_distributions_are_refused_with_their_position() {
        let err = extract("(\n  b: Uniform(0.2),\n)").unwrap_err();
        assert_eq!(err.0, (2, 6));
        assert!(err.1.contains("not a distribution"), "{}", err.1);
        assert!(Distribution::Uniform(0.5, 0.2).problem().is_some());
        assert!(Distribution::LogUniform(0.0, 0.2).problem().is_some());
        assert!(Distribution::Normal(0.5, 0.0).problem().is_some());
        assert!(Distribution::Triangular(0.0, 2.0, 1.0).problem().is_some());
        assert!(Distribution::Choice(vec![]).problem().is_some());
        assert!(Distribution::Beta(2.0, 5.0).problem().is_none());
    }

    #[test]
    fn distributions_read_back_as_written() {
        for d in [
            Distribution::Uniform(0.3, 0.7),
            Distribution::LogUniform(0.001, 0.1),
            Distribution::Normal(0.5, 0.1),
            Distribution::Beta(2.0, 5.0),
            Distribution::Triangular(0.0, 0.2, 1.0),
            Distribution::Choice(vec![1.0, 2.5, 4.0]),
            Distribution::Beta(1e300, 1e-12),
        ] {
            assert_eq!(Distribution::parse(&d.to_string()), Some(Ok(d.clone())));
        }
        assert_eq!(Distribution::parse("0.5"), None);
    }
}
