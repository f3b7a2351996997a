//! Scenario files: the RON schema, loading with precise errors, validation and `--set`
//! overrides.
//!
//! Loading a scenario never panics on user input. A syntax or type error names the file, the
//! `line:column` and the field path; a validated scenario reports every range or reference
//! problem it finds, one line each.

mod locate;
mod overrides;
mod schema;
mod validate;

use std::fmt;
use std::path::Path;

pub use overrides::{apply_override, leaf_paths, Override};
pub use schema::*;
pub use validate::{validate, MAX_DYAD_MONTHS, MAX_POLITIES, MAX_RUNS};

/// The baseline scenario compiled into the binary (`scenarios/baseline.ron`).
pub const BASELINE_RON: &str = include_str!("../../scenarios/baseline.ron");
/// The name under which the embedded baseline is reported in errors.
pub const BASELINE_FILE: &str = "<embedded>/scenarios/baseline.ron";

/// A scenario written as a change to another: `(base: "../baseline.ron", name: "…", set: […])`.
///
/// Counterfactuals are variants, so that they cannot drift from the scenario they change. The
/// base path is relative to the variant file. Variants of variants are allowed (up to a depth of
/// 8).
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
/// error reported with the file, its `line:column` and the field path.
pub fn parse_ron<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, ScenarioError> {
    let options = ron::Options::default().with_default_extension(
        ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES | ron::extensions::Extensions::IMPLICIT_SOME,
    );
    let spanned = |e: ron::error::SpannedError, path: &str| {
        let pos = (e.span.start.line, e.span.start.col);
        ScenarioError::one(file, Some(pos), path, e.code.to_string())
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
                path
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

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
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
    fn one(file: &str, position: Option<(usize, usize)>, path: &str, message: String) -> Self {
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
    overridden: Vec<String>,
}

impl LoadedScenario {
    /// Parse RON `source` that came from `file`. Does not validate.
    pub fn parse(file: &str, source: &str) -> Result<LoadedScenario, ScenarioError> {
        let scenario: Scenario = parse_ron(file, source)?;
        Ok(LoadedScenario {
            scenario,
            file: file.to_string(),
            source: source.to_string(),
            overridden: Vec::new(),
        })
    }

    /// Read and parse a file: a scenario, or a [`Variant`] of one (its base is read, validated
    /// and changed by the variant's overrides). Does not validate a plain scenario.
    pub fn read(path: &Path) -> Result<LoadedScenario, ScenarioError> {
        Self::read_at_depth(path, 0)
    }

    fn read_at_depth(path: &Path, depth: usize) -> Result<LoadedScenario, ScenarioError> {
        let file = path.display().to_string();
        let source = std::fs::read_to_string(path)
            .map_err(|e| ScenarioError::one(&file, None, "", format!("cannot read the scenario: {e}")))?;
        if let Ok(variant) = ron::Options::default().from_str::<Variant>(&source) {
            if depth >= 8 {
                return Err(ScenarioError::one(
                    &file,
                    None,
                    "base",
                    "variants nest deeper than 8".into(),
                ));
            }
            let base_path = path.parent().unwrap_or(Path::new(".")).join(&variant.base);
            let mut base = Self::read_at_depth(&base_path, depth + 1)?;
            base.validate()?;
            let mut overrides = Vec::new();
            for (k, text) in variant.set.iter().enumerate() {
                let o = text
                    .parse::<Override>()
                    .map_err(|message| ScenarioError::one(&file, None, &format!("set[{k}]"), message))?;
                overrides.push(o);
            }
            for o in &overrides {
                base.scenario = apply_override(&base.scenario, o).map_err(|message| {
                    ScenarioError::one(&file, None, &format!("set: {}", o.path), message)
                })?;
                base.overridden.push(o.path.clone());
            }
            base.scenario.name = variant.name;
            if !variant.description.is_empty() {
                base.scenario.description = variant.description;
            }
            // Problems found later are in the base file's text, except overridden values.
            return Ok(base);
        }
        Self::parse(&file, &source)
    }

    /// The embedded baseline scenario.
    pub fn baseline() -> Result<LoadedScenario, ScenarioError> {
        Self::parse(BASELINE_FILE, BASELINE_RON)
    }

    /// Apply `--set` overrides in order.
    pub fn apply_overrides(&mut self, overrides: &[Override]) -> Result<(), ScenarioError> {
        for o in overrides {
            self.scenario = apply_override(&self.scenario, o)
                .map_err(|message| ScenarioError::one("--set", None, &o.path, message))?;
            self.overridden.push(o.path.clone());
        }
        Ok(())
    }

    /// Validate, reporting every problem with its position in the source file.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let found = validate(&self.scenario);
        if found.is_empty() {
            return Ok(());
        }
        let positions = locate::positions(&self.source);
        let mut problems: Vec<Problem> = found
            .into_iter()
            .map(|v| {
                // A value given by --set is reported as such, not at the file's old value.
                if self.overridden.contains(&v.path) {
                    Problem {
                        file: "--set".into(),
                        position: None,
                        path: v.path,
                        message: v.message,
                    }
                } else {
                    Problem {
                        file: self.file.clone(),
                        position: locate::nearest(&positions, &v.source_path),
                        path: v.path,
                        message: v.message,
                    }
                }
            })
            .collect();
        problems.sort_by_key(|p| p.position.unwrap_or((usize::MAX, 0)));
        Err(ScenarioError { problems })
    }
}
