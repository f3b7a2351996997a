//! Patterns over the whole history: a pattern's share from `score` equals the share counted by
//! hand from `trace`'s records of the same runs (one pattern of each kind), several pattern
//! files give the same bytes at any thread count and through shards, and bad pattern files are
//! refused with their position.

use std::collections::BTreeMap;
use std::fs;

use crate::common::{jinsong, ok, root, text};

/// One pattern of each kind of the record's vocabulary, for the baseline.
const KINDS: &str = r#"(patterns: [
    (name: "happens", rule: Happens(event: (kind: Truce, a: "jin", b: "song"),
        window: After(event: (kind: War, a: "jin", b: "song", nth: 1), within: 24))),
    (name: "count", rule: Count(event: (kind: Talks, a: "jin", b: "song"),
        window: Between(from: "1125-01", to: "1135-12"), at_least: 3)),
    (name: "precedes", rule: Precedes(first: (kind: End, polity: "liao"), then: (kind: War, a: "jin", b: "song"))),
    (name: "share", rule: WarShare(a: "jin", b: "song", window: Between(from: "1126-01", to: "1135-12"), at_least: 0.3)),
    (name: "peace", rule: PeaceHolds(a: "song", b: "xixia", window: After(event: (kind: Peace, a: "song", b: "xixia"), within: 12))),
    (name: "ends", rule: WarEnds(a: "jin", b: "song", nth: 1, how: Truce)),
    (name: "lasts", rule: WarLasts(a: "jin", b: "song", nth: 1, at_least: 3, at_most: 24)),
])"#;

/// One traced run: its record (month offset, pair, kind, by) and, per pair, the months at war.
struct Traced {
    record: Vec<(u32, String, &'static str)>,
    ends: BTreeMap<String, u32>,
    at_war: BTreeMap<String, Vec<bool>>,
}

const MONTHS: usize = 28 * 12;

fn offset(month: &str) -> u32 {
    let (y, m) = month.split_once('-').unwrap();
    (y.parse::<u32>().unwrap() - 1115) * 12 + m.parse::<u32>().unwrap() - 1
}

/// Trace run `r` into `dir/t<r>`: its `outcome.json`.
fn trace_outcome(dir: &std::path::Path, r: u64) -> serde_json::Value {
    let out = format!("t{r}");
    ok(
        dir,
        &[
            "trace",
            "--run",
            &r.to_string(),
            "--no-charts",
            "--quiet",
            "--out",
            &out,
        ],
    );
    serde_json::from_str(&fs::read_to_string(dir.join(&out).join("outcome.json")).unwrap()).unwrap()
}

fn traced(dir: &std::path::Path, r: u64) -> Traced {
    let out = format!("t{r}");
    let json = trace_outcome(dir, r);
    let kinds = [
        "war",
        "breach",
        "talks",
        "truce",
        "ended",
        "peace",
        "alliance",
        "vassal",
        "tie_dissolved",
        "joins",
        "war_plan",
        "capitulation",
        "terms",
    ];
    let record = json["record"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let kind = kinds.iter().find(|k| **k == h["kind"].as_str().unwrap()).unwrap();
            (
                offset(h["month"].as_str().unwrap()),
                format!("{}-{}", h["a"].as_str().unwrap(), h["b"].as_str().unwrap()),
                *kind,
            )
        })
        .collect();
    let ends = json["ceased"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), offset(v.as_str().unwrap())))
        .collect();
    // At war in month t: at war at the end of t, or at the end of t − 1 (at the start of t).
    let mut end_status: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    for line in fs::read_to_string(dir.join(&out).join("trace.csv"))
        .unwrap()
        .lines()
        .skip(1)
    {
        let f: Vec<&str> = line.split(',').collect();
        let (month, i, j, status) = (f[0], f[1], f[2], f[6]);
        let key = if i < j {
            format!("{i}-{j}")
        } else {
            format!("{j}-{i}")
        };
        end_status.entry(key).or_insert_with(|| vec![false; MONTHS])[offset(month) as usize] |=
            status == "war";
    }
    let at_war = end_status
        .into_iter()
        .map(|(k, end)| {
            let months = (0..MONTHS).map(|t| end[t] || (t > 0 && end[t - 1])).collect();
            (k, months)
        })
        .collect();
    Traced { record, ends, at_war }
}

impl Traced {
    fn months(&self, pair: &str, kind: &str) -> Vec<u32> {
        let ok = |k: &str| match kind {
            "war" => k == "war" || k == "breach" || k == "joins",
            "talks" => k == "talks" || k == "truce",
            "warend" => k == "truce" || k == "ended" || k == "capitulation",
            other => k == other,
        };
        self.record
            .iter()
            .filter(|(_, p, k)| p == pair && ok(k))
            .map(|(t, _, _)| *t)
            .collect()
    }

    fn share(&self, pair: &str, from: u32, to: u32) -> f64 {
        let war = &self.at_war[pair];
        (from..=to).filter(|&t| war[t as usize]).count() as f64 / f64::from(to - from + 1)
    }

    /// The seven patterns of [`KINDS`], counted from the trace alone.
    fn matches(&self) -> [bool; 7] {
        let js = "jin-song";
        let first_war = self.months(js, "war").first().copied();
        let happens =
            first_war.is_some_and(|w| self.months(js, "truce").iter().any(|&t| w <= t && t <= w + 24));
        let (from, to) = (offset("1125-01"), offset("1135-12"));
        let count = self
            .months(js, "talks")
            .iter()
            .filter(|&&t| from <= t && t <= to)
            .count()
            >= 3;
        let precedes = match (self.ends.get("liao"), first_war) {
            (Some(&e), Some(w)) => e <= w,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let share = self.share(js, offset("1126-01"), offset("1135-12")) >= 0.3;
        let peace = match self.months("song-xixia", "peace").first() {
            Some(&p) => self.share("song-xixia", p, (p + 12).min(MONTHS as u32 - 1)) == 0.0,
            None => false,
        };
        let first_end = first_war.and_then(|w| {
            self.record
                .iter()
                .filter(|(t, p, k)| {
                    p == js && *t >= w && (*k == "truce" || *k == "ended" || *k == "capitulation")
                })
                .map(|(t, _, k)| (*t, *k))
                .next()
        });
        let ends = first_end.is_some_and(|(_, k)| k == "truce");
        let lasts = match (first_war, first_end) {
            (Some(w), Some((e, _))) => {
                let length = (w..=e).filter(|&t| self.at_war[js][t as usize]).count();
                (3..=24).contains(&length)
            }
            _ => false,
        };
        [happens, count, precedes, share, peace, ends, lasts]
    }
}

#[test]
fn score_shares_equal_the_shares_counted_from_trace_records() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("kinds.ron"), KINDS).unwrap();
    let runs = 60;
    let baseline = root().join("scenarios/baseline.ron");
    ok(
        dir,
        &[
            "score",
            baseline.to_str().unwrap(),
            "--patterns",
            "kinds.ron",
            "--runs",
            &runs.to_string(),
            "--no-charts",
            "--out",
            "s",
        ],
    );
    let csv = fs::read_to_string(dir.join("s/scores.csv")).unwrap();
    let matched_of = |name: &str| -> u64 {
        let row = csv.lines().find(|l| l.split(',').nth(1) == Some(name)).unwrap();
        row.split(',').nth(2).unwrap().parse().unwrap()
    };
    let mut by_hand = [0u64; 7];
    for r in 0..runs {
        for (k, m) in traced(dir, r).matches().into_iter().enumerate() {
            by_hand[k] += u64::from(m);
        }
    }
    let names = ["happens", "count", "precedes", "share", "peace", "ends", "lasts"];
    for (k, name) in names.iter().enumerate() {
        let matched = matched_of(name);
        assert_eq!(
            matched, by_hand[k],
            "{name}: score says {matched} of {runs}, the traces {}",
            by_hand[k]
        );
    }
    // Not a vacuous comparison: every pattern holds in some runs and fails in others (or at
    // least is not constant across all of them together).
    assert!(
        by_hand.iter().filter(|&&x| x > 0 && x < runs).count() >= 4,
        "{by_hand:?}"
    );
}

#[test]
fn several_pattern_files_give_the_same_bytes_whatever_the_threads_and_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scenarios = root().join("scenarios");
    let history = scenarios.join("patterns/history.ron");
    let timeline = scenarios.join("patterns/timeline.ron");
    let reading = scenarios.join("readings/jurchen_greed.ron");
    let args = |out: &str, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "score",
            scenarios.join("baseline.ron").to_str().unwrap(),
            reading.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(
            [
                "--patterns",
                history.to_str().unwrap(),
                "--patterns",
                timeline.to_str().unwrap(),
            ]
            .map(String::from),
        );
        v.extend(["--runs", "700", "--no-charts", "--quiet", "--out", out].map(String::from));
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |a: Vec<String>| ok(dir, &a.iter().map(String::as_str).collect::<Vec<_>>());
    run(args("one", &["--threads", "1"]));
    run(args("two", &["--threads", "2"]));
    for k in 1..=3 {
        run(args("parts", &["--shard", &format!("{k}/3")]));
    }
    let parts: Vec<String> = (1..=3).map(|k| format!("parts/part-{k}-of-3.json")).collect();
    let mut merge: Vec<&str> = vec!["merge"];
    merge.extend(parts.iter().map(String::as_str));
    merge.extend(["--no-charts", "--quiet", "--out", "merged"]);
    ok(dir, &merge);
    for file in ["scores.json", "scores.csv"] {
        let one = fs::read(dir.join("one").join(file)).unwrap();
        assert_eq!(
            one,
            fs::read(dir.join("two").join(file)).unwrap(),
            "{file}: 1 and 2 threads"
        );
        assert_eq!(
            one,
            fs::read(dir.join("merged").join(file)).unwrap(),
            "{file}: shards and merge"
        );
    }
    let csv = fs::read_to_string(dir.join("one/scores.csv")).unwrap();
    assert!(
        csv.contains("joint:") && csv.contains("timeline.ron"),
        "each file's joint match: {csv}"
    );
}

#[test]
fn bad_history_patterns_are_refused_with_their_place() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let baseline = root().join("scenarios/baseline.ron");
    for (rule, needle) in [
        ("Happens(event: (kind: Coup, a: \"jin\", b: \"song\"))", "p.ron:1:"),
        ("Happens(event: (kind: War, a: \"jin\", b: \"qi\"))", "unknown polity `qi`"),
        ("Happens(event: (kind: War, a: \"jin\", b: \"song\"), window: After(event: (kind: End, a: \"jin\")))", "`a` is not for `End`"),
        ("Happens(event: (kind: Peace, a: \"jin\", b: \"song\", by: \"jin\"))", "has no actor"),
        ("WarShare(a: \"jin\", b: \"song\", at_least: 1.5)", "a share lies in 0 ..= 1"),
        ("WarLasts(a: \"jin\", b: \"song\", nth: 0)", "nth counts from 1"),
        ("Happens(event: (kind: Vassal, a: \"jin\", b: \"song\", by: \"koryo\"))", "is not in the pair"),
    ] {
        fs::write(dir.join("p.ron"), format!("(patterns: [(name: \"p\", rule: {rule})])")).unwrap();
        let out = jinsong(dir, &["score", baseline.to_str().unwrap(), "--patterns", "p.ron", "--runs", "10", "--out", "x"]);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{rule}");
        assert!(err.contains(needle) && err.contains("p.ron:"), "{rule}: {err}");
        assert!(!dir.join("x").exists());
    }
    // `check` prints each rule in words.
    let out = ok(&root(), &["check", "scenarios/patterns/timeline.ron"]);
    let words = text(&out.stdout);
    assert!(
        words.contains(
            "koryo_submits_after_liao: all of: [a vassal tie formed with jin as lord between koryo and jin"
        ),
        "{words}"
    );
}

#[test]
fn events_by_year_counts_the_runs_that_trace_records_show() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let runs = 40u64;
    ok(
        dir,
        &[
            "run",
            "--runs",
            &runs.to_string(),
            "--no-charts",
            "--quiet",
            "--out",
            "r",
        ],
    );
    let csv = fs::read_to_string(dir.join("r/events_by_year.csv")).unwrap();
    // (pair, year, kind, actor) → runs, counted from each run's trace.
    let mut expected: BTreeMap<(String, i32, String, String), u64> = BTreeMap::new();
    for r in 0..runs {
        let json = trace_outcome(dir, r);
        let mut seen = std::collections::BTreeSet::new();
        for h in json["record"].as_array().unwrap() {
            let pair = format!("{},{}", h["a"].as_str().unwrap(), h["b"].as_str().unwrap());
            let year: i32 = h["month"].as_str().unwrap()[..4].parse().unwrap();
            let by = h["by"].as_str().map(String::from);
            let kind = h["kind"].as_str().unwrap();
            // A breach is also a war; talks that ended in a truce are also talks; an ally's
            // war is a war, and a breach when it broke a truce.
            let kinds: Vec<&str> = match kind {
                "breach" => vec!["war", "breach"],
                "truce" => vec!["talks", "truce"],
                "joins" if h["breach"] == true => vec!["war", "breach", "joins"],
                "joins" => vec!["war", "joins"],
                k => vec![k],
            };
            for k in kinds {
                let mut whos = vec!["any".to_string()];
                whos.extend(by.clone());
                for w in whos {
                    seen.insert((pair.clone(), year, k.to_string(), w));
                }
            }
        }
        for key in seen {
            *expected.entry(key).or_insert(0) += 1;
        }
    }
    let mut found: BTreeMap<(String, i32, String, String), u64> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let n: u64 = f[5].parse().unwrap();
        assert_eq!(f[6].parse::<f64>().unwrap(), n as f64 / runs as f64, "{line}");
        found.insert(
            (
                format!("{},{}", f[0], f[1]),
                f[2].parse().unwrap(),
                f[3].to_string(),
                f[4].to_string(),
            ),
            n,
        );
    }
    assert!(found.len() > 50, "{} rows", found.len());
    assert_eq!(found, expected);
}
