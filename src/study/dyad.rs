//! The outcome most studies count: a pair of polities (`--dyad a,b`) and a date (`--by`): a
//! first war onset in the pair in or before that month.

use serde::{Deserialize, Serialize, Serializer};

use crate::calendar::Month;
use crate::model::Model;

/// A badly chosen pair or date, shared by `compare` and `attribute`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DyadError {
    /// A polity index beyond the scenario's polities.
    #[error("--dyad: polity index {index} is out of range (the scenario has {polities} polities)")]
    OutOfRange {
        /// The index given.
        index: usize,
        /// Number of polities.
        polities: usize,
    },
    /// Both sides are the same polity.
    #[error("--dyad: {} is not a pair: name two different polities", crate::text::quote(&format!("{0},{0}", .id)))]
    SamePolity {
        /// The polity id.
        id: String,
    },
    /// `--dyad` is not written `a,b`.
    #[error("--dyad: {} is not a pair: expected two polity ids, e.g. `jin,song`", crate::text::quote(.text))]
    Syntax {
        /// The text given.
        text: String,
    },
    /// A polity id that the scenario does not have.
    #[error("--dyad: {} is not a polity of the scenario (polities: {valid})", crate::text::quote(.id))]
    UnknownPolity {
        /// The id given.
        id: String,
        /// The scenario's ids, comma-separated.
        valid: String,
    },
    /// The date is before the first simulated month.
    #[error("--by: {by} is before the first simulated month {start}")]
    ByBeforeStart {
        /// The date given.
        by: Month,
        /// The first simulated month.
        start: Month,
    },
    /// The date is after the last simulated month.
    #[error("--by: {by} is after the last simulated month {end}")]
    ByAfterEnd {
        /// The date given.
        by: Month,
        /// The last simulated month.
        end: Month,
    },
}

/// The polity indices of `--dyad a,b` in `model` (in the order written).
pub fn resolve_dyad(model: &Model, text: &str) -> Result<(usize, usize), DyadError> {
    let syntax = || DyadError::Syntax {
        text: text.to_string(),
    };
    let (a, b) = text.split_once(',').ok_or_else(syntax)?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() || b.contains(',') {
        return Err(syntax());
    }
    let find = |id: &str| {
        model
            .ids
            .iter()
            .position(|x| x == id)
            .ok_or_else(|| DyadError::UnknownPolity {
                id: id.to_string(),
                valid: crate::scenario::list_ids(&model.ids, ", "),
            })
    };
    let (i, j) = (find(a)?, find(b)?);
    if i == j {
        return Err(DyadError::SamePolity { id: a.to_string() });
    }
    Ok((i, j))
}

/// The month offset of `--by` in `model` (0 = `start`); it must lie in the simulated span.
pub fn by_offset(model: &Model, by: Month) -> Result<u32, DyadError> {
    let offset = model.start.months_until(by);
    let end = model.start.plus(model.months.saturating_sub(1));
    if offset < 0 {
        return Err(DyadError::ByBeforeStart {
            by,
            start: model.start,
        });
    }
    if offset >= i64::from(model.months) {
        return Err(DyadError::ByAfterEnd { by, end });
    }
    Ok(offset as u32)
}

/// `model` simulated only up to month offset `by` (inclusive): what happens by `by` is the same
/// as in a full-length run, since month *t* depends only on months ≤ *t* and every month draws
/// the same numbers from the run's stream. A `by` beyond the end leaves the model as it is.
pub fn truncate(model: &Model, by: u32) -> Model {
    let mut m = model.clone();
    m.months = m.months.min(by.saturating_add(1));
    m
}

/// Check that `dyad` names two distinct polities of `model` and that `by` lies in its span.
pub(crate) fn check_dyad(model: &Model, dyad: (usize, usize), by: u32) -> Result<usize, DyadError> {
    for index in [dyad.0, dyad.1] {
        if index >= model.n {
            return Err(DyadError::OutOfRange {
                index,
                polities: model.n,
            });
        }
    }
    if dyad.0 == dyad.1 {
        return Err(DyadError::SamePolity {
            id: model.ids[dyad.0].clone(),
        });
    }
    if model.months == 0 || by >= model.months {
        return Err(DyadError::ByAfterEnd {
            by: model.start.plus(by),
            end: model.start.plus(model.months.saturating_sub(1)),
        });
    }
    Ok(model.dyad_of[dyad.0 * model.n + dyad.1])
}

/// A pair of polity ids, written `"jin,song"` in JSON (the `--dyad` syntax, in the order given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DyadIds(pub [String; 2]);

impl std::fmt::Display for DyadIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.0[0], self.0[1])
    }
}

impl Serialize for DyadIds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DyadIds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.split_once(',') {
            Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains(',') => {
                Ok(DyadIds([a.to_string(), b.to_string()]))
            }
            _ => Err(serde::de::Error::custom(format!(
                "`{text}` is not a pair: expected \"a,b\""
            ))),
        }
    }
}
