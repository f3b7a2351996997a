//! Scenario files: the RON schema, loading with precise errors, validation and `--set`
//! overrides.
//!
//! Loading a scenario never panics on user input. A syntax or type error names the file, the
//! `line:column` and the field path; a validated scenario reports every range or reference
//! problem it finds, one line each. User text that a message quotes is cut to
//! [`MAX_ECHO_CHARS`] characters, and control characters in a message are escaped (`\u{1b}`).

pub mod condition;
mod describe;
pub(crate) mod locate;
mod overrides;
pub mod prior;
mod schema;
mod validate;

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// User text in messages: kept here under its old name; it lives in [`crate::text`].
pub use crate::text;
pub(crate) use crate::text::{clip_path, clip_quoted, control_note, escape_controls, quote, text_controls};
pub use crate::text::{list_ids, MAX_ECHO_CHARS, MAX_IDS_LISTED};
pub use overrides::{apply_override, leaf_paths, Override, MAX_OVERRIDE_BYTES};
pub use schema::*;
pub use validate::{
    field_range, field_ranges, set_paths, set_value_text, set_variants, validate, SetPath, MAX_DYAD_MONTHS,
    MAX_EFFECTS, MAX_EVENTS, MAX_ID_BYTES, MAX_MONTHS, MAX_NAME_BYTES, MAX_POLITIES, MAX_REACTION_DELAY,
    MAX_RUNS, MAX_SET_VARIANTS, MAX_TEXT_BYTES, MAX_WARMUP,
};
pub use validate::{
    number_problem, MAX_FACTOR, MAX_STRENGTH, MAX_STRENGTH_CHANGE, MIN_FACTOR, MIN_STRENGTH, TIED,
};

/// Largest input file (scenario, variant or pattern file) that is read, in bytes (16 MiB).
/// Larger files, and endless ones such as `/dev/zero`, are refused before they fill memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Deepest nesting of values in a RON input file, as ron counts it (a struct or list one level,
/// a rule such as `Not(…)` two, so `Not(` nests 27 deep around a rule). The limit keeps a
/// hostile file (`Not(Not(Not(…)))`) from overflowing the stack.
pub const MAX_NESTING: usize = 64;
/// Longest chain of variants (a variant of a variant of …).
pub const MAX_VARIANT_DEPTH: usize = 8;
/// Most overrides one variant file or one command line may apply (each re-checks the scenario).
pub const MAX_OVERRIDES: usize = 1000;
/// Longest `base` path of a variant, in bytes (a relative path to a scenario is far shorter).
pub const MAX_BASE_BYTES: usize = 1024;

/// The baseline scenario compiled into the binary (`scenarios/baseline.ron`).
pub const BASELINE_RON: &str = include_str!("../../scenarios/baseline.ron");
/// The name under which the embedded baseline is reported in errors.
pub const BASELINE_FILE: &str = "<embedded>/scenarios/baseline.ron";

/// A scenario written as a change to another: `(base: "../baseline.ron", name: "…", set: […])`.
///
/// Counterfactuals are variants, so that they cannot drift from the scenario they change. The
/// base path is relative to the variant file and at most [`MAX_BASE_BYTES`] long. Variants of
/// variants are allowed (up to [`MAX_VARIANT_DEPTH`] deep, without cycles); a variant has at
/// most [`MAX_OVERRIDES`] overrides, each at most [`MAX_OVERRIDE_BYTES`] long.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// The scenario this one changes, relative to this file.
    pub base: String,
    /// The variant's name (names its output folder).
    pub name: String,
    /// What the variant claims or removes.
    #[serde(default)]
    pub description: String,
    /// Overrides, in `--set` syntax, applied in order.
    #[serde(default)]
    pub set: Vec<String>,
}

/// Parse a RON document of type `T` that came from `file`, the way every input file of jinsong is
/// read: the `unwrap_variant_newtypes` and `implicit_some` extensions on, and a syntax or type
/// error reported with the file, its `line:column` and the field path. Nesting deeper than
/// [`MAX_NESTING`] is an error. The error quotes at most [`MAX_ECHO_CHARS`] characters of any
/// text of the file, and none of a file that does not begin like a `T` (`/etc/passwd` as a
/// variant's base).
pub fn parse_ron<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, ScenarioError> {
    let options = ron::Options::default()
        .with_default_extension(
            ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES | ron::extensions::Extensions::IMPLICIT_SOME,
        )
        .with_recursion_limit(MAX_NESTING);
    let spanned = |e: ron::error::SpannedError, path: &str| {
        let pos = (e.span.start.line, e.span.start.col);
        let message = match e.code {
            ron::Error::ExceededRecursionLimit => {
                format!(
                    "nested too deeply (allowed: at most {MAX_NESTING} levels; a rule such as `Not(…)` takes two)"
                )
            }
            // At the top, the name found is the file's first word: not worth echoing.
            ron::Error::ExpectedDifferentStructName { expected, .. } if path.is_empty() => {
                format!("Expected struct `{expected}` (or `(`) but found another word")
            }
            code => clip_quoted(&code.to_string()),
        };
        ScenarioError::one(file, Some(pos), path, message)
    };
    let mut de = ron::Deserializer::from_str_with_options(text, &options).map_err(|e| spanned(e, ""))?;
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            // serde_path_to_error writes `.` for the root and `?` where it lost track.
            let path = if path == "." || path == "?" {
                String::new()
            } else {
                clip_path(&path)
            };
            return Err(spanned(de.span_error(e.into_inner()), &path));
        }
    };
    de.end().map_err(|e| spanned(de.span_error(e), ""))?;
    Ok(value)
}

/// One problem in a scenario, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (or `--set`, or the embedded baseline).
    pub file: String,
    /// `(line, column)`, 1-based, where known.
    pub position: Option<(usize, usize)>,
    /// Field path, e.g. `polities.song.mobilization_lag`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// One line, with any control character escaped (`\u{1b}`), so that no problem can drive a
/// terminal.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", escape_controls(&self.file))?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", escape_controls(&self.path))?;
        }
        write!(f, ": {}", escape_controls(&self.message))
    }
}

/// Everything wrong with a scenario (at least one problem).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The problems, in file order where known.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, p) in self.problems.iter().enumerate() {
            if k > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl ScenarioError {
    /// One problem in `file` at `position` (if known), at field `path`.
    pub fn one(file: &str, position: Option<(usize, usize)>, path: &str, message: String) -> Self {
        ScenarioError {
            problems: vec![Problem {
                file: file.to_string(),
                position,
                path: path.to_string(),
                message,
            }],
        }
    }
}

/// A scenario read from a file, with its source kept for locating later problems.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The parsed scenario (after any overrides).
    pub scenario: Scenario,
    /// The file it came from, as given.
    pub file: String,
    source: String,
    /// Overridden field paths, each with where its new value was written (the last wins).
    overridden: Vec<(String, Problem)>,
    /// Every file read to make it: the file, then the base of each variant in the chain.
    files: Vec<PathBuf>,
}

impl LoadedScenario {
    /// Parse RON `source` that came from `file`. Does not validate.
    pub fn parse(file: &str, source: &str) -> Result<LoadedScenario, ScenarioError> {
        // Distributions written in place of values are taken out first (the text keeps every
        // position), then placed by the path of the value they stood for.
        let (text, written) = prior::extract(source)
            .map_err(|(pos, message)| ScenarioError::one(file, Some(pos), "", message))?;
        let mut scenario: Scenario = parse_ron(file, &text)?;
        if !written.is_empty() {
            let all = locate::positions(&text);
            for w in written {
                let at = all
                    .iter()
                    .filter(|(_, &pos)| pos == w.position)
                    .map(|(path, _)| path.as_str())
                    .max_by_key(|path| path.len())
                    .unwrap_or("");
                let path = prior::set_path_of(&scenario, at)
                    .map_err(|message| ScenarioError::one(file, Some(w.position), at, message))?;
                let o = Override {
                    path: path.clone(),
                    value: w.dist.to_string(),
                };
                overrides::apply_override_in_place(&mut scenario, &o)
                    .map_err(|message| ScenarioError::one(file, Some(w.position), &path, message))?;
                if let Some(p) = scenario.priors.iter_mut().find(|p| p.path == path) {
                    p.at = at.to_string();
                }
            }
        }
        Ok(LoadedScenario {
            scenario,
            file: file.to_string(),
            source: text,
            overridden: Vec::new(),
            files: Vec::new(),
        })
    }

    /// Read and parse a file: a scenario, or a [`Variant`] of one (its base is read, validated
    /// and changed by the variant's overrides). Does not validate a plain scenario.
    pub fn read(path: &Path) -> Result<LoadedScenario, ScenarioError> {
        Self::read_chain(path, &mut Vec::new())
    }

    /// Every file read to make this scenario: its own, then the base of each variant of the
    /// chain (empty for the embedded baseline).
    pub fn chain(&self) -> &[PathBuf] {
        &self.files
    }

    /// Read `path`, a link in a chain of variants; `chain` holds the files read before it.
    fn read_chain(path: &Path, chain: &mut Vec<PathBuf>) -> Result<LoadedScenario, ScenarioError> {
        let file = crate::text::path(path);
        let source = read_input(path, "scenario")?;
        let Ok(variant) = ron::Options::default()
            .with_recursion_limit(MAX_NESTING)
            .from_str::<Variant>(&source)
        else {
            let mut plain = Self::parse(&file, &source)?;
            plain.files = vec![path.to_path_buf()];
            return Ok(plain);
        };
        let mut fields: Vec<String> = ["base", "name", "description", "set"].map(String::from).to_vec();
        fields.extend((0..variant.set.len().min(MAX_OVERRIDES)).map(|k| format!("set[{k}]")));
        let positions = locate::positions_of(&source, &fields);
        let at = |field: &str| locate::nearest(&positions, field);
        let refuse = |field: &str, message: String| Err(ScenarioError::one(&file, at(field), field, message));
        let here = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if chain.contains(&here) {
            return refuse(
                "base",
                format!("the chain of variants comes back to {file} (a cycle)"),
            );
        }
        if chain.len() >= MAX_VARIANT_DEPTH {
            return refuse(
                "base",
                format!(
                    "variants nest too deeply (allowed: at most {MAX_VARIANT_DEPTH} variants in a chain)"
                ),
            );
        }
        if variant.set.len() > MAX_OVERRIDES {
            return refuse(
                "set",
                format!(
                    "{} overrides given (allowed: at most {MAX_OVERRIDES})",
                    variant.set.len()
                ),
            );
        }
        if variant.base.len() > MAX_BASE_BYTES {
            return refuse(
                "base",
                format!(
                    "{} is {} bytes long (allowed: at most {MAX_BASE_BYTES})",
                    quote(&variant.base),
                    variant.base.len()
                ),
            );
        }
        chain.push(here);
        let base_path = path.parent().unwrap_or(Path::new(".")).join(&variant.base);
        let mut base = Self::read_chain(&base_path, chain)?;
        base.files.insert(0, path.to_path_buf());
        base.validate()?;
        let mut overrides = Vec::new();
        for (k, text) in variant.set.iter().enumerate() {
            let item = format!("set[{k}]");
            let o = text
                .parse::<Override>()
                .map_err(|message| ScenarioError::one(&file, at(&item), &item, message))?;
            overrides.push(o);
        }
        for (k, o) in overrides.iter().enumerate() {
            overrides::apply_override_in_place(&mut base.scenario, o).map_err(|message| {
                ScenarioError::one(
                    &file,
                    at(&format!("set[{k}]")),
                    &format!("set: {}", clip_path(&o.path)),
                    message,
                )
            })?;
            base.overridden.push((
                o.path.clone(),
                Problem {
                    file: file.clone(),
                    position: at(&format!("set[{k}]")),
                    path: String::new(),
                    message: String::new(),
                },
            ));
        }
        base.scenario.name = variant.name;
        let given = |field: &str| Problem {
            file: file.clone(),
            position: at(field),
            path: String::new(),
            message: String::new(),
        };
        base.overridden.push(("name".into(), given("name")));
        if !variant.description.is_empty() {
            base.scenario.description = variant.description;
            base.overridden.push(("description".into(), given("description")));
        }
        // Problems found later are in the base file's text, except overridden values.
        Ok(base)
    }

    /// The embedded baseline scenario.
    pub fn baseline() -> Result<LoadedScenario, ScenarioError> {
        Self::parse(BASELINE_FILE, BASELINE_RON)
    }

    /// Apply `--set` overrides in order.
    ///
    /// At most [`MAX_OVERRIDES`].
    pub fn apply_overrides(&mut self, overrides: &[Override]) -> Result<(), ScenarioError> {
        if overrides.len() > MAX_OVERRIDES {
            return Err(ScenarioError::one(
                "--set",
                None,
                "",
                format!(
                    "{} overrides given (allowed: at most {MAX_OVERRIDES})",
                    overrides.len()
                ),
            ));
        }
        for o in overrides {
            overrides::apply_override_in_place(&mut self.scenario, o)
                .map_err(|message| ScenarioError::one("--set", None, &clip_path(&o.path), message))?;
            self.overridden.push((
                o.path.clone(),
                Problem {
                    file: "--set".into(),
                    position: None,
                    path: String::new(),
                    message: String::new(),
                },
            ));
        }
        Ok(())
    }

    /// Validate, reporting every problem with its position in the source file.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let found = validate(&self.scenario);
        if found.is_empty() {
            return Ok(());
        }
        let wanted: Vec<&str> = found.iter().map(|v| v.source_path.as_str()).collect();
        let positions = locate::positions_of(&self.source, &wanted);
        let mut problems: Vec<Problem> = found
            .into_iter()
            .map(|v| {
                // A value given by --set (or a variant's `set`) is reported where it was given,
                // not at the file's old value.
                match self.overridden.iter().rev().find(|(path, _)| *path == v.path) {
                    Some((_, given)) => Problem {
                        file: given.file.clone(),
                        position: given.position,
                        path: v.path,
                        message: v.message,
                    },
                    None => Problem {
                        file: self.file.clone(),
                        position: locate::nearest(&positions, &v.source_path),
                        path: v.path,
                        message: v.message,
                    },
                }
            })
            .collect();
        problems.sort_by_key(|p| p.position.unwrap_or((usize::MAX, 0)));
        Err(ScenarioError { problems })
    }
}

/// Read an input file as UTF-8 text, refusing one larger than [`MAX_FILE_BYTES`] before reading
/// it whole (`what` names the kind of file in the error: "scenario", "pattern file").
pub fn read_input(path: &Path, what: &str) -> Result<String, ScenarioError> {
    read_input_within(path, what, MAX_FILE_BYTES)
}

/// [`read_input`] with another size limit, `limit` bytes.
pub fn read_input_within(path: &Path, what: &str, limit: u64) -> Result<String, ScenarioError> {
    let file = crate::text::path(path);
    let fail = |message: String| ScenarioError::one(&file, None, "", message);
    let handle = crate::output::open_input(path).map_err(|e| fail(format!("cannot read the {what}: {e}")))?;
    let mut bytes = Vec::new();
    handle
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read the {what}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(fail(format!(
            "the {what} is too large (allowed: at most {limit} bytes)"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
        ScenarioError::one(
            &file,
            Some((line, col)),
            "",
            format!("the {what} is not UTF-8 text"),
        )
    })
}
