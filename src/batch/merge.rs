//! Merging shards: reading `part-K-of-N.json` files and checking that they belong together.
//!
//! Parts belong together when they have this version's format and the same command, shard count
//! `N`, scenario hash, seed and settings, and every shard `1 ..= N` is there exactly once. Each
//! part's digest must match its content before anything in it is used, and its counts must fit
//! its shard's runs (the study's [`fits`](crate::study::Study::fits)). The
//! first problem found is reported in one line naming the files involved. The command-specific
//! finishing (adding the counts and writing the files a single-machine command writes) is in
//! the command line (`jinsong merge`).

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::batch::checkpoint::{difference, Identity};
use crate::batch::part::{Part, PART_FORMAT};
use crate::batch::shard::Shard;

/// Why parts cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A part could not be read.
    #[error("cannot read part {}: {source}", crate::text::path(path))]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not a part of this version, or its counts do not decode.
    #[error("{}: not a jinsong part file: {}", crate::text::path(path), crate::text::clip_quoted(.reason))]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The parts do not belong together (foreign, missing or duplicate parts).
    #[error("merge: {0}")]
    Refused(String),
}

/// One part file as read, its counts not yet decoded.
#[derive(Debug, Clone)]
pub struct PartFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its contents.
    pub part: Part<serde_json::Value>,
}

impl PartFile {
    /// Read a part file and check it: this version's format tag, a digest that matches its
    /// content ([`crate::batch::part::open`]) and a valid shard. Its counts are checked against
    /// its shard when they are decoded for a merge ([`crate::batch::driver::add_parts`]).
    pub fn read(path: &Path) -> Result<PartFile, MergeError> {
        let text = crate::output::read_text(path).map_err(|source| MergeError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let corrupt = |reason: String| MergeError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let part = crate::batch::part::open(&text, PART_FORMAT).map_err(corrupt)?;
        Shard::new(part.shard.index, part.shard.count).map_err(corrupt)?;
        Ok(PartFile {
            path: path.to_path_buf(),
            part,
        })
    }

    /// Its identity, with the shard count compared and the index left out (`1/1`).
    pub fn identity(&self) -> Identity {
        Identity {
            command: self.part.command,
            // Parts of one batch differ in their index; the count is compared separately.
            shard: Shard::WHOLE,
            scenario_hash: self.part.scenario_hash.clone(),
            seed: self.part.seed,
            settings: self.part.settings.clone(),
        }
    }

    /// Decode the counts.
    pub fn counts<C: DeserializeOwned>(&self) -> Result<C, MergeError> {
        serde_json::from_value(self.part.counts.clone()).map_err(|e| MergeError::Corrupt {
            path: self.path.clone(),
            reason: format!("counts: {e}"),
        })
    }
}

/// Check that `parts` belong together and form shards `1 ..= N` exactly once; on success they
/// are returned in shard order.
pub fn check_parts(mut parts: Vec<PartFile>) -> Result<Vec<PartFile>, MergeError> {
    let Some(first) = parts.first().cloned() else {
        return Err(MergeError::Refused("no part files given".into()));
    };
    let name = |p: &PartFile| crate::text::path(&p.path);
    let n = first.part.shard.count;
    for p in &parts[1..] {
        if p.part.shard.count != n {
            return Err(MergeError::Refused(format!(
                "mixed shard counts: {} is shard {} but {} is shard {}",
                name(p),
                p.part.shard,
                name(&first),
                first.part.shard
            )));
        }
        if let Some(what) = difference(&p.identity(), &first.identity()) {
            return Err(MergeError::Refused(format!(
                "{} does not belong with {}: {what}",
                name(p),
                name(&first)
            )));
        }
    }
    parts.sort_by_key(|p| p.part.shard.index);
    for w in parts.windows(2) {
        if w[0].part.shard.index == w[1].part.shard.index {
            return Err(MergeError::Refused(format!(
                "shard {} is given twice: {} and {}",
                w[0].part.shard,
                name(&w[0]),
                name(&w[1])
            )));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| parts.binary_search_by_key(k, |p| p.part.shard.index).is_err())
        .take(10)
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        let more = if (parts.len() as u64) + (missing.len() as u64) < n {
            " …"
        } else {
            ""
        };
        return Err(MergeError::Refused(format!(
            "missing shard{} {}{more} of {n} (given {} of {n} parts)",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            parts.len()
        )));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(k: u64, n: u64, seed: u64) -> PartFile {
        PartFile {
            path: PathBuf::from(format!(
                "p/{}",
                crate::batch::part::part_file_name(Shard::new(k, n).unwrap())
            )),
            part: Part {
                format: PART_FORMAT.into(),
                command: crate::batch::kind::StudyKind::Run,
                shard: Shard::new(k, n).unwrap(),
                scenario_hash: "fnv1a64:0".into(),
                seed,
                argv: vec![],
                settings: serde_json::json!({"runs": 10}),
                done: None,
                counts: serde_json::json!(k),
            },
        }
    }

    #[test]
    fn complete_sets_are_sorted_and_problems_named() {
        let ok = check_parts(vec![part(3, 3, 1), part(1, 3, 1), part(2, 3, 1)]).unwrap();
        let ks: Vec<u64> = ok.iter().map(|p| p.part.shard.index).collect();
        assert_eq!(ks, [1, 2, 3]);
        let e = check_parts(vec![part(1, 3, 1), part(3, 3, 1)])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "merge: missing shard 2 of 3 (given 2 of 3 parts)");
        let e = check_parts(vec![part(1, 2, 1), part(1, 2, 1), part(2, 2, 1)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("shard 1/2 is given twice"), "{e}");
        let e = check_parts(vec![part(1, 2, 1), part(2, 2, 9)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("p/part-2-of-2.json does not belong with p/part-1-of-2.json: seed 9, not 1"),
            "{e}"
        );
        let e = check_parts(vec![part(1, 2, 1), part(2, 3, 1)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("mixed shard counts"), "{e}");
    }
}
