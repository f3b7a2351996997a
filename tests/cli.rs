//! Command-line tests: they drive the real `jinsong` binary in temporary folders.
//!
//! - `summary.json`, `onset_curve.csv` and `events_by_year.csv` are byte-identical at 1, 2 and
//!   8 threads;
//! - run R of `trace` is run R of `run` (counts are additive, so the summary of `--runs R+1`
//!   minus that of `--runs R` is exactly run R);
//! - every bad input of the issue is refused with a clear message (file, `line:column`, field
//!   path), a non-zero exit status, no panic, and no output folder created;
//! - `check` prints one line per polity and relation.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{baseline_path, jinsong, listing, ok, ok_env, text, SMALL};
use jinsong::scenario::LoadedScenario;
use jinsong::study::run::Summary;
use serde_json::Value;
use tempfile::TempDir;

/// `(line, column)`, 1-based, of byte `at` in `text`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
    (line, col)
}

/// Replace the single occurrence of `from` in `text` by `to`; return the new text and the
/// `line:column` at which `marker` (a part of `to`) starts.
fn edit(text: &str, from: &str, to: &str, marker: &str) -> (String, (usize, usize)) {
    assert_eq!(
        text.matches(from).count(),
        1,
        "fixture must hold `{from}` exactly once"
    );
    let at = text.find(from).unwrap();
    let new = format!("{}{to}{}", &text[..at], &text[at + from.len()..]);
    let m = to.find(marker).expect("marker is part of the replacement");
    let pos = position(&new, at + m);
    (new, pos)
}

/// Run `args` in `dir` and require a clean refusal: non-zero status, no panic, every `expect`
/// in stderr, nothing written to stdout about results, and nothing created in `dir`.
fn refused(dir: &Path, args: &[&str], expect: &[String]) -> String {
    let before = listing(dir);
    let out = jinsong(dir, args);
    let stderr = text(&out.stderr);
    let stdout = text(&out.stdout);
    assert!(!out.status.success(), "jinsong {args:?} succeeded:\n{stdout}");
    assert_ne!(out.status.code(), None, "jinsong {args:?} was killed by a signal");
    assert!(
        !stderr.contains("panicked"),
        "jinsong {args:?} panicked:\n{stderr}"
    );
    assert!(
        !stdout.contains("wrote"),
        "jinsong {args:?} claims to have written results"
    );
    for e in expect {
        assert!(
            stderr.contains(e.as_str()),
            "jinsong {args:?}: stderr lacks `{e}`:\n{stderr}"
        );
    }
    assert_eq!(
        listing(dir),
        before,
        "jinsong {args:?} created something although it failed:\n{stderr}"
    );
    stderr
}

/// Write `bad` as `bad.ron` and require `check`, `run` and `trace` to refuse it, each naming
/// the file and `line:column` and every string of `expect`.
fn refuse_file(bad: &str, pos: Option<(usize, usize)>, expect: &[&str]) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("bad.ron"), bad).unwrap();
    let mut want: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
    want.push(match pos {
        Some((line, col)) => format!("bad.ron:{line}:{col}"),
        None => "bad.ron:".to_string(),
    });
    refused(dir, &["check", "bad.ron"], &want);
    refused(
        dir,
        &["run", "bad.ron", "--runs", "10", "--out", "out/run"],
        &want,
    );
    refused(dir, &["trace", "bad.ron", "--out", "out/trace"], &want);
}

fn read_summary(dir: &Path) -> Summary {
    let s = fs::read_to_string(dir.join("summary.json")).unwrap();
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// `onset_curve.csv` as (a, b, month) → onsets.
fn read_curve(dir: &Path) -> BTreeMap<(String, String, String), u64> {
    let s = fs::read_to_string(dir.join("onset_curve.csv")).unwrap();
    let mut lines = s.lines();
    assert_eq!(
        lines.next(),
        Some("a,b,month,onsets,cumulative_probability,ci_low,ci_high")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 7, "{l}");
            (
                (f[0].to_string(), f[1].to_string(), f[2].to_string()),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reproducibility
// ---------------------------------------------------------------------------------------------

/// The AVX-512 ChaCha8 kernel (src/chacha8.rs) and `rand_chacha`'s own code give the same
/// results, byte for byte. On a CPU without AVX-512 both runs use the portable code and this
/// only checks that the switch is accepted; the unit tests of `chacha8` compare the words.
#[test]
fn summary_is_byte_identical_with_either_chacha_backend() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let args = |out: &'static str| ["run", "--runs", "2000", "--seed", "11", "--out", out, "--quiet"];
    ok(dir, &args("fastest"));
    ok_env(dir, &args("portable"), &[("JINSONG_CHACHA_BACKEND", "portable")]);
    for file in ["summary.json", "onset_curve.csv", "events_by_year.csv"] {
        let fastest = fs::read(dir.join("fastest").join(file)).unwrap();
        assert!(!fastest.is_empty());
        let portable = fs::read(dir.join("portable").join(file)).unwrap();
        assert!(fastest == portable, "{file} differs between the ChaCha8 backends");
    }
}

#[test]
fn summary_is_byte_identical_at_1_2_and_8_threads() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    for t in ["1", "2", "8"] {
        let out = format!("t{t}");
        ok(
            dir,
            &["run", "--runs", "3000", "--threads", t, "--out", &out, "--quiet"],
        );
    }
    // The shipped file gives what the embedded baseline gives.
    let shipped = baseline_path();
    ok(
        dir,
        &[
            "run",
            shipped.to_str().unwrap(),
            "--runs",
            "3000",
            "--threads",
            "2",
            "--out",
            "file",
            "--quiet",
        ],
    );
    for file in ["summary.json", "onset_curve.csv", "events_by_year.csv"] {
        let one = fs::read(dir.join("t1").join(file)).unwrap();
        assert!(!one.is_empty());
        for other in ["t2", "t8", "file"] {
            let bytes = fs::read(dir.join(other).join(file)).unwrap();
            assert!(bytes == one, "{other}/{file} differs from t1/{file}");
        }
    }

    // The keys the issue asks for.
    let v: Value = serde_json::from_slice(&fs::read(dir.join("t1/summary.json")).unwrap()).unwrap();
    for key in ["scenario", "seed", "runs", "start", "end", "dyads"] {
        assert!(v.get(key).is_some(), "summary.json lacks `{key}`");
    }
    assert_eq!(v["scenario"], "baseline");
    assert_eq!(v["runs"], 3000);
    assert_eq!(v["seed"], 1125);
    assert_eq!(
        (v["start"].as_str(), v["end"].as_str()),
        (Some("1115-01"), Some("1142-12"))
    );
    let dyads = v["dyads"].as_array().unwrap();
    assert_eq!(dyads.len(), 10, "every unordered pair of the five polities");
    for d in dyads {
        for key in [
            "a",
            "b",
            "war_probability",
            "ci95",
            "median_onset",
            "onset_by_year",
            "initiator_counts",
        ] {
            assert!(d.get(key).is_some(), "a dyad lacks `{key}`: {d}");
        }
        let p = d["war_probability"].as_f64().unwrap();
        let ci = d["ci95"].as_array().unwrap();
        let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
        assert!(0.0 <= lo && lo <= p && p <= hi && hi <= 1.0, "{d}");
    }
    // Nothing half-written is left behind.
    assert!(listing(dir)
        .iter()
        .all(|p| !p.to_string_lossy().contains("partial")));
}

#[test]
fn default_output_folder_is_output_slash_scenario_name() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    let out = ok(dir, &["run", "small.ron", "--runs", "50"]);
    assert!(dir.join("output/small/summary.json").is_file());
    assert!(dir.join("output/small/onset_curve.csv").is_file());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("a–b"), "the table names the pair a–b:\n{stdout}");
    // Running again replaces the results in place.
    ok(dir, &["run", "small.ron", "--runs", "60", "--quiet"]);
    assert_eq!(read_summary(&dir.join("output/small")).runs, 60);
    assert!(listing(dir)
        .iter()
        .all(|p| !p.to_string_lossy().contains("partial")));
}

/// Run R of `trace` is run R of `run`: the summary of `--runs R+1` minus the summary of
/// `--runs R` (counts are additive and run indices start at 0) must be exactly what
/// `trace --run R` reports in outcome.json.
#[test]
fn trace_run_r_is_run_r_of_a_batch() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let seed = "77";
    let mut onsets_seen = 0;
    for r in [0u64, 7, 42] {
        let upto = |n: u64| -> Option<PathBuf> {
            if n == 0 {
                return None;
            }
            let out = format!("runs{n}");
            let n = n.to_string();
            ok(
                dir,
                &["run", "--runs", &n, "--seed", seed, "--out", &out, "--quiet"],
            );
            Some(dir.join(out))
        };
        let after = upto(r + 1).unwrap();
        let before = upto(r);
        let trace = format!("trace{r}");
        let rs = r.to_string();
        ok(
            dir,
            &["trace", "--run", &rs, "--seed", seed, "--out", &trace, "--quiet"],
        );
        let trace = dir.join(trace);

        let csv = fs::read_to_string(trace.join("trace.csv")).unwrap();
        let mut rows = csv.lines();
        assert_eq!(
            rows.next(),
            Some("month,polity,other,fear,trust,mobilization,status,strength,stability,perceived,balance,war_plan")
        );
        let first: Vec<&str> = rows.next().unwrap().split(',').collect();
        assert_eq!(first.len(), 12);
        assert_eq!(first[0], "1115-01");
        assert!(fs::read_to_string(trace.join("chronicle.txt"))
            .unwrap()
            .starts_with(&format!("baseline: run {r} of seed {seed}")));

        let outcome: Value = serde_json::from_slice(&fs::read(trace.join("outcome.json")).unwrap()).unwrap();
        assert_eq!(outcome["run"], r);
        assert_eq!(outcome["seed"], 77);
        let s1 = read_summary(&after);
        let c1 = read_curve(&after);
        let (s0, c0) = match &before {
            Some(b) => (Some(read_summary(b)), read_curve(b)),
            None => (None, BTreeMap::new()),
        };
        let traced = outcome["dyads"].as_array().unwrap();
        assert_eq!(traced.len(), s1.dyads.len());
        for (k, (t, d1)) in traced.iter().zip(&s1.dyads).enumerate() {
            let d0 = s0.as_ref().map(|s| &s.dyads[k]);
            assert_eq!(
                (t["a"].as_str(), t["b"].as_str()),
                (Some(d1.a.as_str()), Some(d1.b.as_str()))
            );
            let pair = format!("run {r}, {}–{}", d1.a, d1.b);
            let count = |p: f64, runs: u64| (p * runs as f64).round() as i64;
            // Months of first onset that run R added to the onset curve.
            let added: Vec<(String, i64)> = c1
                .iter()
                .filter(|((a, b, _), _)| a == &d1.a && b == &d1.b)
                .filter_map(|(key, &n1)| {
                    let n0 = c0.get(key).copied().unwrap_or(0);
                    (n1 != n0).then(|| (key.2.clone(), n1 as i64 - n0 as i64))
                })
                .collect();
            let war_added = count(d1.war_probability, r + 1) - d0.map_or(0, |d| count(d.war_probability, r));
            let initiators_added: Vec<(String, i64)> = d1
                .initiator_counts
                .iter()
                .filter_map(|(id, &n1)| {
                    let n0 = d0.map_or(0, |d| d.initiator_counts.get(id).copied().unwrap_or(0));
                    (n1 != n0).then(|| (id.clone(), n1 as i64 - n0 as i64))
                })
                .collect();
            let years_added: i64 = d1.onset_by_year.values().map(|&n| n as i64).sum::<i64>()
                - d0.map_or(0, |d| d.onset_by_year.values().map(|&n| n as i64).sum());
            match t["first_onset"].as_str() {
                Some(month) => {
                    onsets_seen += 1;
                    assert_eq!(added, [(month.to_string(), 1)], "{pair}: onset month");
                    assert_eq!(war_added, 1, "{pair}: war_probability");
                    assert_eq!(years_added, 1, "{pair}: onset_by_year");
                    let year = &month[..4];
                    let y1 = d1.onset_by_year.get(year).copied().unwrap_or(0);
                    let y0 = d0.map_or(0, |d| d.onset_by_year.get(year).copied().unwrap_or(0));
                    assert_eq!(y1, y0 + 1, "{pair}: onset_by_year[{year}]");
                    let who = t["initiator"].as_str().expect("an onset has an initiator");
                    assert_eq!(initiators_added, [(who.to_string(), 1)], "{pair}: initiator");
                }
                None => {
                    assert!(t["initiator"].is_null(), "{pair}");
                    assert!(
                        added.is_empty(),
                        "{pair}: the batch has an onset the trace lacks: {added:?}"
                    );
                    assert_eq!(war_added, 0, "{pair}: war_probability");
                    assert_eq!(years_added, 0, "{pair}: onset_by_year");
                    assert!(
                        initiators_added.is_empty(),
                        "{pair}: initiators {initiators_added:?}"
                    );
                }
            }
            // Whole-run counts: wars begun and months at war.
            let wars = count(d1.wars_per_run, r + 1) - d0.map_or(0, |d| count(d.wars_per_run, r));
            assert_eq!(Some(wars), t["wars"].as_i64(), "{pair}: wars");
            let months =
                count(d1.months_at_war_per_run, r + 1) - d0.map_or(0, |d| count(d.months_at_war_per_run, r));
            assert_eq!(Some(months), t["months_at_war"].as_i64(), "{pair}: months at war");
        }
        // Polities that ceased to exist.
        let ceased = outcome["ceased"].as_object().unwrap();
        for (k, p1) in s1.polities.iter().enumerate() {
            let n1 = (p1.ceased_probability * (r + 1) as f64).round() as i64;
            let n0 = s0.as_ref().map_or(0, |s| {
                (s.polities[k].ceased_probability * r as f64).round() as i64
            });
            assert_eq!(
                n1 - n0,
                i64::from(ceased.contains_key(&p1.id)),
                "run {r}: did {} cease?",
                p1.id
            );
        }
    }
    assert!(onsets_seen > 0, "the comparison saw no war onset at all");
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn fixture_is_valid() {
    let tmp = TempDir::new().unwrap();
    fs::write(tmp.path().join("small.ron"), SMALL).unwrap();
    ok(tmp.path(), &["check", "small.ron"]);
}

#[test]
fn truncated_file_is_refused() {
    let cut = SMALL.find("relations: [").unwrap() + "relations: [".len();
    let bad = &SMALL[..cut];
    let (eof_line, _) = position(bad, bad.len());
    refuse_file(bad, None, &[&format!("bad.ron:{eof_line}:"), "relations"]);
    // Cut in the middle of a number, a string and a comment too.
    for needle in ["0.05,", "\"Gamma\"", "test fixture"] {
        let cut = SMALL.find(needle).unwrap() + 2;
        let bad = &SMALL[..cut];
        let (eof_line, _) = position(bad, bad.len());
        refuse_file(bad, None, &[&format!("bad.ron:{eof_line}:")]);
    }
    refuse_file("", None, &[]);
}

#[test]
fn malformed_syntax_is_refused() {
    // A missing comma: the error points at the next field.
    let (bad, pos) = edit(
        SMALL,
        "name: \"small\",\n    description",
        "name: \"small\"\n    description",
        "description",
    );
    refuse_file(&bad, Some(pos), &["comma"]);
    // An unclosed list.
    let (bad, _) = edit(
        SMALL,
        "(a: \"b\", b: \"c\", status: Alliance),\n    ],",
        "(a: \"b\", b: \"c\", status: Alliance),\n    ",
        "(a:",
    );
    refuse_file(&bad, None, &[]);
}

#[test]
fn unknown_field_at_top_level_is_refused() {
    let (bad, pos) = edit(SMALL, "    seed: 7,", "    colour: 3,\n    seed: 7,", "colour");
    refuse_file(&bad, Some(pos), &["colour", "Unexpected field"]);
}

#[test]
fn unknown_field_in_a_polity_is_refused() {
    let (bad, pos) = edit(
        SMALL,
        "fear_gain: 0.2, fear_decay: 0.1)",
        "fear_gain: 0.2, faer_decay: 0.1)",
        "faer_decay",
    );
    refuse_file(&bad, Some(pos), &["polities[2].faer_decay"]);
}

/// ron ignores a misspelt field inside an enum struct variant unless guarded: each payload
/// must refuse it, a required field (`value`) and a defaulted one (`severity`) alike.
#[test]
fn unknown_field_inside_an_event_effect_is_refused() {
    let (bad, pos) = edit(
        SMALL,
        "Contact(a: \"a\", b: \"b\", value: 0.9)",
        "Contact(a: \"a\", b: \"b\", valeu: 0.9)",
        "valeu",
    );
    refuse_file(&bad, Some(pos), &["events[0].effects[0]", "valeu"]);
    let (bad, pos) = edit(SMALL, "severity: 2.0", "sevrity: 2.0", "sevrity");
    refuse_file(&bad, Some(pos), &["events[1].effects[0]", "sevrity"]);
    let (bad, pos) = edit(
        SMALL,
        "Cease(polity: \"c\")",
        "Cease(polity: \"c\", when: \"1206-01\")",
        "when",
    );
    refuse_file(&bad, Some(pos), &["events[2].effects[0]", "when"]);
    // Also in the payload of a status.
    let (bad, pos) = edit(
        SMALL,
        "status: Alliance",
        "status: War(initiator: \"b\", reason: \"x\")",
        "reason",
    );
    refuse_file(&bad, Some(pos), &["statuses[0]", "reason"]);
}

#[test]
fn value_out_of_range_is_refused_with_its_range() {
    let (bad, pos) = edit(SMALL, "mobilization_lag: 6.0", "mobilization_lag: 500.0", "500.0");
    refuse_file(
        &bad,
        Some(pos),
        &["polities.b.mobilization_lag", "500", "0 ..= 120"],
    );
    let (bad, pos) = edit(
        SMALL,
        "(from: \"c\", to: \"a\", contact: 0.3, trust: 0.5)",
        "(from: \"c\", to: \"a\", contact: 0.3, trust: 1.5)",
        "1.5",
    );
    refuse_file(&bad, Some(pos), &["relations.c.a.trust", "1.5", "0 ..= 1"]);
    let (bad, pos) = edit(SMALL, "probability: 0.3", "probability: -0.3", "-0.3");
    refuse_file(&bad, Some(pos), &["events.collapse.probability", "0 ..= 1"]);
    let (bad, pos) = edit(SMALL, "strength: 0.8", "strength: 0.0", "0.0");
    refuse_file(&bad, Some(pos), &["polities.b.strength", "0.000001 ..= 1000000"]);
}

#[test]
fn unknown_polity_id_is_refused() {
    let (bad, pos) = edit(
        SMALL,
        "(from: \"c\", to: \"a\"",
        "(from: \"c\", to: \"zz\"",
        "\"zz\"",
    );
    refuse_file(&bad, Some(pos), &["relations[2].to", "zz"]);
    let (bad, pos) = edit(SMALL, "Cease(polity: \"c\")", "Cease(polity: \"cc\")", "\"cc\"");
    refuse_file(&bad, Some(pos), &["events.collapse.effects[0].polity", "cc"]);
    let (bad, pos) = edit(
        SMALL,
        "HostileAct(actor: \"b\", victim: \"a\"",
        "HostileAct(actor: \"b\", victim: \"q\"",
        "\"q\"",
    );
    refuse_file(&bad, Some(pos), &["events.insult.effects[0].victim", "`q`"]);
}

#[test]
fn end_before_start_is_refused() {
    let (bad, pos) = edit(SMALL, "end: \"1209-12\"", "end: \"1199-12\"", "\"1199-12\"");
    refuse_file(&bad, Some(pos), &["end", "1199-12", "1200-01"]);
    // end equal to start is not after it either.
    let (bad, pos) = edit(SMALL, "end: \"1209-12\"", "end: \"1200-01\"", "\"1200-01\"");
    refuse_file(&bad, Some(pos), &["end"]);
}

#[test]
fn zero_runs_is_refused() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    refused(
        dir,
        &["run", "small.ron", "--runs", "0", "--out", "out/x"],
        &["--runs".into()],
    );
    refused(dir, &["run", "--runs", "0", "--out", "out/x"], &["--runs".into()]);
    // runs: 0 in the file.
    let (bad, pos) = edit(SMALL, "runs: 100", "runs: 0", "0");
    refuse_file(&bad, Some(pos), &["runs"]);
}

#[test]
fn bad_set_path_names_the_nearest_valid_paths() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    for (set, nearest) in [
        ("polities.b.mobilisation_lag=2", "polities.b.mobilization_lag"),
        ("mechanisms.provocation=false", "mechanisms.provocations"),
        (
            "relations.a.b.provocaton_rate=0",
            "relations.a.b.provocation_rate",
        ),
        ("events.insult.probabilty=0.1", "events.insult.probability"),
    ] {
        let path = set.split('=').next().unwrap();
        for cmd in [
            vec!["run", "small.ron", "--set", set, "--out", "out/x"],
            vec!["check", "small.ron", "--set", set],
            vec!["trace", "small.ron", "--set", set, "--out", "out/t"],
        ] {
            refused(dir, &cmd, &["--set".into(), path.into(), nearest.into()]);
        }
    }
    // And on the embedded baseline.
    refused(
        dir,
        &[
            "run",
            "--set",
            "polities.song.mobilisation_lag=2",
            "--out",
            "out/x",
        ],
        &["polities.song.mobilization_lag".into()],
    );
    // Not PATH=VALUE at all.
    refused(
        dir,
        &[
            "run",
            "small.ron",
            "--set",
            "polities.b.strength",
            "--out",
            "out/x",
        ],
        &["--set".into()],
    );
}

#[test]
fn set_with_an_out_of_range_value_is_refused() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    // The value came from --set, so the message names --set (not the file's old value).
    refused(
        dir,
        &[
            "run",
            "small.ron",
            "--set",
            "polities.b.mobilization_lag=500",
            "--out",
            "out/x",
        ],
        &[
            "--set".into(),
            "polities.b.mobilization_lag".into(),
            "500".into(),
            "0 ..= 120".into(),
        ],
    );
    refused(
        dir,
        &["check", "small.ron", "--set", "relations.a.b.trust=2"],
        &["relations.a.b.trust".into(), "0 ..= 1".into()],
    );
    // A relation the file does not list gets its defaults, then the value is checked.
    refused(
        dir,
        &["check", "small.ron", "--set", "relations.a.c.contact=-1"],
        &["relations.a.c.contact".into(), "0 ..= 1".into()],
    );
    refused(
        dir,
        &[
            "run",
            "small.ron",
            "--set",
            "mechanisms.provocations=maybe",
            "--out",
            "out/x",
        ],
        &["mechanisms.provocations".into(), "maybe".into()],
    );
    refused(
        dir,
        &[
            "run",
            "small.ron",
            "--set",
            "polities.b.strength=abc",
            "--out",
            "out/x",
        ],
        &["polities.b.strength".into(), "abc".into()],
    );
    // An in-range override is accepted.
    ok(
        dir,
        &["check", "small.ron", "--set", "polities.b.mobilization_lag=120"],
    );
}

/// An `--out` whose parent is a regular file cannot be created (this holds for root too, who
/// ignores permissions); an `--out` that is itself a regular file is refused as well.
#[test]
fn unwritable_out_is_refused() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    fs::write(dir.join("afile"), "not a folder").unwrap();
    for cmd in [
        vec!["run", "small.ron", "--runs", "10", "--out", "afile/out"],
        vec!["trace", "small.ron", "--out", "afile/out"],
        vec!["run", "small.ron", "--runs", "10", "--out", "afile"],
        vec!["run", "small.ron", "--runs", "10", "--out", "afile/deeper/out"],
    ] {
        let out = cmd[cmd.len() - 1].to_string();
        refused(dir, &cmd, &[out]);
    }
    assert_eq!(fs::read_to_string(dir.join("afile")).unwrap(), "not a folder");
}

/// The reason an `--out` cannot be written is said once, not repeated.
#[test]
fn unwritable_out_message_states_its_cause_once() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("afile"), "not a folder").unwrap();
    let stderr = refused(dir, &["run", "--runs", "10", "--out", "afile"], &["afile".into()]);
    assert_eq!(
        stderr.matches("is not a folder").count(),
        1,
        "the cause is repeated: {stderr}"
    );
}

#[test]
fn every_problem_of_a_file_is_reported() {
    let (bad, p1) = edit(
        SMALL,
        "strength: 1.0, potential: 1.0",
        "strength: -1.0, potential: 1.0",
        "-1.0",
    );
    let (bad, p2) = edit(
        &bad,
        "(from: \"c\", to: \"a\", contact: 0.3",
        "(from: \"c\", to: \"a\", contact: 3.0",
        "3.0",
    );
    let (bad, p3) = edit(&bad, "probability: 0.5", "probability: 1.5", "1.5");
    let (bad, p4) = edit(&bad, "Cease(polity: \"c\")", "Cease(polity: \"x\")", "\"x\"");
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("bad.ron"), &bad).unwrap();
    let want = [
        (p1, "polities.a.strength"),
        (p2, "relations.c.a.contact"),
        (p3, "events.insult.probability"),
        (p4, "events.collapse.effects[0].polity"),
    ];
    let expect: Vec<String> = want
        .iter()
        .flat_map(|((l, c), path)| [format!("bad.ron:{l}:{c}: {path}"), path.to_string()])
        .collect();
    for cmd in [vec!["check", "bad.ron"], vec!["run", "bad.ron", "--out", "out/x"]] {
        let stderr = refused(dir, &cmd, &expect);
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("bad.ron:")).collect();
        assert_eq!(lines.len(), 4, "one line per problem:\n{stderr}");
        // In file order.
        for (line, (_, path)) in lines.iter().zip(&want) {
            assert!(line.contains(path), "problems out of file order:\n{stderr}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// check
// ---------------------------------------------------------------------------------------------

#[test]
fn check_prints_one_line_per_polity_and_relation() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("small.ron"), SMALL).unwrap();
    let shipped = baseline_path();
    for file in [shipped, dir.join("small.ron")] {
        let sc = LoadedScenario::read(&file).unwrap().scenario;
        let out = ok(dir, &["check", file.to_str().unwrap()]);
        let stdout = text(&out.stdout);
        let polities: Vec<&str> = stdout.lines().filter(|l| l.starts_with("polity ")).collect();
        let relations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("relation ")).collect();
        assert_eq!(polities.len(), sc.polities.len(), "{stdout}");
        assert_eq!(relations.len(), sc.relations.len(), "{stdout}");
        for (line, p) in polities.iter().zip(&sc.polities) {
            assert!(line.contains(&p.id) && line.contains(&p.name), "{line}");
        }
        for (line, r) in relations.iter().zip(&sc.relations) {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert!(
                words.contains(&r.from.as_str()) && words.contains(&r.to.as_str()),
                "{line}"
            );
        }
        assert!(listing(dir).len() == 1, "check writes nothing");
    }
    let baseline = LoadedScenario::read(&baseline_path()).unwrap().scenario;
    assert_eq!(baseline.polities.len(), 5);
    let ids: Vec<&str> = baseline.polities.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["jin", "song", "koryo", "xixia", "liao"]);
}
