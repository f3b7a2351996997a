//! Partial results of one shard (`part-K-of-N.json`), to be merged by `jinsong merge`, and what
//! part files and checkpoints share: the envelope ([`BatchFile`]) and its digest.
//!
//! A part is an envelope around a command's integer counts:
//!
//! ```json
//! {
//!   "format": "jinsong-part/2",
//!   "command": "run",
//!   "shard": {"index": 2, "count": 8},
//!   "scenario_hash": "fnv1a64:…",
//!   "seed": 1125,
//!   "argv": ["jinsong", "run", "--shard", "2/8", …],
//!   "settings": {…},
//!   "counts": {…},
//!   "digest": "sha256:…"
//! }
//! ```
//!
//! `settings` holds everything besides the scenario and seed that the counts depend on (runs,
//! `--by`, the dyad, the varied paths …); parts belong together only when `format`, `command`,
//! `scenario_hash`, `seed`, `shard.count` and `settings` agree. `argv` is informative only, but
//! covered by the digest like every other field.
//!
//! # The digest
//!
//! `digest` is `sha256:` and 64 lowercase hex digits: SHA-256 of the file's **canonical
//! encoding**, which is its JSON value without the top-level `digest` member, written compactly
//! (no white space) with the members of every object sorted by key (by the bytes of their
//! UTF-8 names) and every string, number and literal written as `serde_json` writes it
//! (integers as integers, other numbers in the shortest form that reads back as the same
//! `f64`). It covers everything in the file: the batch's identity (format, command, shard,
//! scenario hash, seed, settings), `argv`, a checkpoint's `done` and the counts. Every reader
//! (resume, `merge`, a shard that finds its part already written) recomputes it before
//! anything in the file is used, and refuses the file, named, when it differs ([`open`]).
//!
//! A digest detects edits and corruption (a changed number, a truncated or duplicated array, a
//! copied field), not a determined forger: anyone can recompute it, since it has no secret. The
//! readers therefore also check every invariant of the counts that can be checked (see each
//! study's [`fits`](crate::study::Study::fits)); what neither catches is an edit that is
//! consistent *and* whose digest was recomputed.

use serde::{Deserialize, Serialize};

use super::kind::StudyKind;
use super::shard::Shard;
use crate::scenario::Scenario;

/// The `format` tag of part files written by this version.
pub const PART_FORMAT: &str = "jinsong-part/2";

/// How a [`BatchFile`]'s `digest` begins.
pub const DIGEST_PREFIX: &str = "sha256:";

/// A batch's counts in a file, with what identifies the batch: a shard's part (`done`
/// absent) or a checkpoint ([`crate::batch::checkpoint::Checkpoint`], `done` present). Both
/// files have these fields in this order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchFile<C> {
    /// [`PART_FORMAT`] or [`CHECKPOINT_FORMAT`](crate::batch::checkpoint::CHECKPOINT_FORMAT).
    pub format: String,
    /// The command that wrote it.
    pub command: StudyKind,
    /// Which shard (`1/1` for a whole batch).
    pub shard: Shard,
    /// [`scenario_hash`] of the scenario(s) after `--set` overrides.
    pub scenario_hash: String,
    /// Master seed.
    pub seed: u64,
    /// The command line that wrote it (for the record; not compared).
    pub argv: Vec<String>,
    /// Command-specific settings that must agree between parts, or to resume.
    pub settings: serde_json::Value,
    /// Of a checkpoint: work items done, the prefix `0 .. done` of the shard's items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<u64>,
    /// Command-specific integer counts, merged by addition.
    pub counts: C,
}

/// Write `v` in the canonical encoding (see the module docs): compact, object members sorted by
/// key at every level.
fn canonical(v: &serde_json::Value, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    match v {
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(x, out)?;
            }
            out.push(b']');
        }
        serde_json::Value::Object(map) => {
            let mut members: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, x)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, k)?;
                out.push(b':');
                canonical(x, out)?;
            }
            out.push(b'}');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

/// The digest of a batch file's JSON value: `sha256:` and the SHA-256 of its canonical encoding
/// (see the module docs), the top-level `digest` member left out.
pub fn digest_of(file: &serde_json::Value) -> Result<String, serde_json::Error> {
    use sha2::Digest;
    let mut bytes = Vec::new();
    match file {
        serde_json::Value::Object(map) if map.contains_key("digest") => {
            let mut map = map.clone();
            map.remove("digest");
            canonical(&serde_json::Value::Object(map), &mut bytes)?;
        }
        other => canonical(other, &mut bytes)?,
    }
    let hash = sha2::Sha256::digest(&bytes);
    let mut text = String::with_capacity(DIGEST_PREFIX.len() + 64);
    text.push_str(DIGEST_PREFIX);
    for b in hash {
        text.push_str(&format!("{b:02x}"));
    }
    Ok(text)
}

/// Seal a batch file's JSON value: set its top-level `digest` to [`digest_of`] the rest. A
/// value that is not an object is left as it is.
pub fn seal(file: &mut serde_json::Value) -> Result<(), serde_json::Error> {
    let digest = digest_of(file)?;
    if let serde_json::Value::Object(map) = file {
        map.insert("digest".into(), serde_json::Value::String(digest));
    }
    Ok(())
}

/// A [`BatchFile`] as written: its fields in order, then its digest.
#[derive(Serialize)]
struct Sealed<'a, C> {
    #[serde(flatten)]
    file: &'a BatchFile<C>,
    digest: String,
}

impl<C: Serialize> BatchFile<C> {
    /// The file's JSON text, one line with its fields in order and its `digest` last (see the
    /// module docs): what part files and checkpoints are written as.
    pub fn sealed_json(&self) -> Result<String, serde_json::Error> {
        let digest = digest_of(&serde_json::to_value(self)?)?;
        serde_json::to_string(&Sealed { file: self, digest })
    }
}

/// Open a batch file's text that should have the format tag `format` ([`PART_FORMAT`] or
/// [`CHECKPOINT_FORMAT`](crate::batch::checkpoint::CHECKPOINT_FORMAT)): parse it, check its
/// format, then its digest, and only then decode its envelope (the counts are left as JSON).
/// The error says what is wrong, in words, for the caller to name the file.
pub fn open(text: &str, format: &str) -> Result<BatchFile<serde_json::Value>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let found = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
    if found != format {
        let family = format.split('/').next().unwrap_or(format);
        return Err(match found.split_once('/') {
            Some((f, _)) if f == family => format!(
                "format `{found}` is of another version of jinsong (this version reads `{format}`, \
                 whose files carry a digest); write it again with this version"
            ),
            _ => format!("format `{found}`, expected `{format}`"),
        });
    }
    let Some(written) = value.get("digest").and_then(|d| d.as_str()) else {
        return Err("it has no `digest` (every file of this format carries one)".into());
    };
    let computed = digest_of(&value).map_err(|e| e.to_string())?;
    if written != computed {
        return Err(
            "its digest does not match its content: the file was edited or damaged after it was \
             written (remove it and compute it again)"
                .into(),
        );
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// One shard's partial result (a [`BatchFile`] without `done`).
pub type Part<C> = BatchFile<C>;

/// The file name of shard `K/N`'s part: `part-K-of-N.json`.
pub fn part_file_name(shard: Shard) -> String {
    format!("part-{}-of-{}.json", shard.index, shard.count)
}

/// 64-bit FNV-1a over `bytes`, from `h`.
fn fnv1a64(mut h: u64, bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(PRIME);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// A stable fingerprint of a text that counts depend on (a pattern file): `fnv1a64:<16 hex>`.
pub fn text_hash(text: &str) -> String {
    format!("fnv1a64:{:016x}", fnv1a64(FNV_OFFSET, text.as_bytes()))
}

/// A stable fingerprint of resolved scenarios (after overrides): 64-bit FNV-1a over their JSON
/// encodings, in order, written `fnv1a64:<16 hex digits>`. It changes when any field changes
/// (name and description included) and is the same on every machine and thread count.
pub fn scenario_hash(scenarios: &[&Scenario]) -> String {
    let mut h = FNV_OFFSET;
    for sc in scenarios {
        // Serializing a plain data struct to JSON cannot fail; fall back to its debug text.
        let bytes = serde_json::to_vec(sc).unwrap_or_else(|_| format!("{sc:?}").into_bytes());
        h = fnv1a64(h, &bytes);
        h = fnv1a64(h, &[0xff]);
    }
    format!("fnv1a64:{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::LoadedScenario;

    #[test]
    fn hash_is_stable_and_sensitive() {
        let base = LoadedScenario::baseline().unwrap().scenario;
        let h = scenario_hash(&[&base]);
        assert_eq!(h, scenario_hash(&[&base.clone()]));
        assert!(h.starts_with("fnv1a64:") && h.len() == 8 + 16);
        let mut other = base.clone();
        other.polities[0].mobilization_lag += 1.0;
        assert_ne!(h, scenario_hash(&[&other]));
        assert_ne!(scenario_hash(&[&base, &other]), scenario_hash(&[&other, &base]));
        assert_eq!(part_file_name(Shard::new(3, 7).unwrap()), "part-3-of-7.json");
    }

    fn sample() -> BatchFile<serde_json::Value> {
        BatchFile {
            format: PART_FORMAT.into(),
            command: super::super::kind::StudyKind::Run,
            shard: Shard::new(1, 2).unwrap(),
            scenario_hash: "fnv1a64:0000000000000001".into(),
            seed: 7,
            argv: vec!["jinsong".into()],
            settings: serde_json::json!({"runs": 10, "odds": [0.1, 1e-300, 2.5e300]}),
            done: None,
            counts: serde_json::json!({"runs": 5, "war_runs": [u64::MAX, 0], "phi": [-3]}),
        }
    }

    /// A sealed file opens to what was written; any change of a value, a key or the format is
    /// refused; white space and the order of members are not content.
    #[test]
    fn the_digest_covers_every_value_and_only_values() {
        let file = sample();
        let text = file.sealed_json().unwrap();
        assert!(
            text.ends_with("\"}") && text.contains(",\"digest\":\"sha256:"),
            "{text}"
        );
        assert_eq!(open(&text, PART_FORMAT).unwrap(), file);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        assert_eq!(open(&pretty, PART_FORMAT).unwrap(), file);
        for (from, to) in [
            ("\"seed\":7", "\"seed\":8"),
            ("\"runs\":5", "\"runs\":5.0"),
            ("[\"jinsong\"]", "[\"jinsong \"]"),
            ("[-3]", "[-3,-3]"),
            ("\"index\":1", "\"index\":2"),
        ] {
            assert!(text.contains(from), "{from}");
            let e = open(&text.replacen(from, to, 1), PART_FORMAT).unwrap_err();
            assert!(e.contains("digest does not match"), "{from}: {e}");
        }
        let mut resealed: serde_json::Value =
            serde_json::from_str(&text.replacen("\"seed\":7", "\"seed\":8", 1)).unwrap();
        seal(&mut resealed).unwrap();
        assert_eq!(open(&resealed.to_string(), PART_FORMAT).unwrap().seed, 8);
        let unsealed = text.split(",\"digest\"").next().unwrap().to_string() + "}";
        assert!(open(&unsealed, PART_FORMAT).unwrap_err().contains("no `digest`"));
        let old = text.replace(PART_FORMAT, "jinsong-part/1");
        let e = open(&old, PART_FORMAT).unwrap_err();
        assert!(e.contains("`jinsong-part/1` is of another version"), "{e}");
        let e = open(&text, "jinsong-checkpoint/2").unwrap_err();
        assert!(e.contains("expected `jinsong-checkpoint/2`"), "{e}");
        // The canonical encoding sorts members at every level.
        let mut a = Vec::new();
        canonical(
            &serde_json::json!({"b": {"y": 1, "x": [true, null]}, "a": "é"}),
            &mut a,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(a).unwrap(),
            "{\"a\":\"é\",\"b\":{\"x\":[true,null],\"y\":1}}"
        );
    }
}
