//! The protocol of the readings (`docs/protocol.md`) against the files that encode them: every
//! number a reading sets is covered by a claim the protocol lists for that reading, or by a shared
//! prior, with the very distribution the protocol gives; the baseline stands at the centres of the
//! shared priors; no scenario number is marked as calibrated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jinsong::scenario::prior::Distribution;
use jinsong::scenario::LoadedScenario;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The cells of every row of the markdown table under the heading that starts with `heading`.
fn table(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let start = doc
        .lines()
        .position(|l| l.starts_with("## ") && l[3..].starts_with(heading))
        .unwrap_or_else(|| panic!("docs/protocol.md has no section `{heading}`"));
    let mut rows = Vec::new();
    for line in doc.lines().skip(start + 1) {
        if line.starts_with("## ") {
            break;
        }
        let line = line.trim();
        if !line.starts_with('|') || line.starts_with("|---") {
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().trim_matches('`').to_string())
            .collect();
        rows.push(cells);
    }
    assert!(rows.len() > 1, "the table of `{heading}` is empty");
    rows.remove(0); // the header
    rows
}

fn dist(text: &str) -> Distribution {
    match Distribution::parse(text) {
        Some(Ok(d)) => d,
        other => panic!("`{text}` is not a distribution: {other:?}"),
    }
}

/// (id → (path, distribution)) of §3.
fn shared(doc: &str) -> BTreeMap<String, (String, Distribution)> {
    table(doc, "3. Shared priors")
        .into_iter()
        .map(|r| (r[0].clone(), (r[1].clone(), dist(&r[2]))))
        .collect()
}

/// (claim, reading, path, distribution) of §4.
fn claims(doc: &str) -> Vec<(String, String, String, Distribution)> {
    table(doc, "4. Claims")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[4].clone(), dist(&r[5])))
        .collect()
}

fn protocol() -> String {
    std::fs::read_to_string(root().join("docs/protocol.md")).unwrap()
}

/// The `set` lines of a variant file: (the override's path, its value, the comment's text).
fn set_lines(path: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if !t.starts_with('"') {
            continue;
        }
        let close = t[1..].find('"').expect("a closing quote") + 1;
        let entry = &t[1..close];
        let (p, v) = entry.split_once('=').expect("path=value");
        let comment = t
            .split_once("//")
            .map(|(_, c)| c.trim().to_string())
            .unwrap_or_default();
        out.push((p.to_string(), v.to_string(), comment));
    }
    out
}

const READINGS: [&str; 3] = ["mutual_fear", "jurchen_greed", "both_wanted_war"];

#[test]
fn every_prior_of_a_reading_is_a_listed_claim_or_a_shared_prior() {
    let doc = protocol();
    let shared = shared(&doc);
    let claims = claims(&doc);
    let dir = root().join("scenarios/readings/priors");
    // The shared file: every line names its shared prior, with the protocol's distribution.
    let lines = set_lines(&dir.join("shared.ron"));
    assert_eq!(
        lines.len(),
        shared.len(),
        "shared.ron sets every shared prior once"
    );
    for (p, v, c) in &lines {
        let (sp, sd) = shared
            .get(c.as_str())
            .unwrap_or_else(|| panic!("shared.ron: `{p}` names no shared prior ({c})"));
        assert_eq!((sp, sd), (p, &dist(v)), "shared.ron: {c}");
    }
    for reading in READINGS {
        let file = dir.join(format!("{reading}.ron"));
        let own: Vec<_> = claims.iter().filter(|c| c.1 == reading).collect();
        assert!(!own.is_empty(), "the protocol lists no claim of {reading}");
        // Each line names a claim of this reading that covers its path with this distribution.
        let lines = set_lines(&file);
        for (p, v, c) in &lines {
            assert!(
                own.iter()
                    .any(|(id, _, cp, cd)| id == c && cp == p && *cd == dist(v)),
                "{reading}: `{p}={v}` ({c}) is not a claim the protocol lists for {reading}"
            );
        }
        assert_eq!(
            lines.len(),
            own.len(),
            "{reading}: every number of its claims, once"
        );
        // The loaded reading: every prior is its claim's or the shared one, nothing else.
        let loaded = LoadedScenario::read(&file).unwrap().scenario;
        assert_eq!(
            loaded.priors.len(),
            shared.len(),
            "{reading}: one prior per shared number"
        );
        for prior in &loaded.priors {
            let claimed = own.iter().find(|c| c.2 == prior.path);
            let expected = match claimed {
                Some(c) => &c.3,
                None => {
                    &shared
                        .values()
                        .find(|s| s.0 == prior.path)
                        .unwrap_or_else(|| {
                            panic!("{reading}: {} has a prior the protocol does not list", prior.path)
                        })
                        .1
                }
            };
            assert_eq!(&prior.dist, expected, "{reading}: {}", prior.path);
        }
        // The point reading: the centres of its claims' priors, the baseline elsewhere.
        let point = root().join(format!("scenarios/readings/{reading}.ron"));
        let lines = set_lines(&point);
        assert_eq!(
            lines.len(),
            own.len(),
            "{reading}.ron: every number of its claims, once"
        );
        for (p, v, c) in &lines {
            let id = c.split(':').next().unwrap_or_default().trim();
            let claim = own
                .iter()
                .find(|(cid, _, cp, _)| cid == id && cp == p)
                .unwrap_or_else(|| panic!("{reading}.ron: `{p}` ({c}) is not a claim the protocol lists"));
            let value: f64 = v.parse().unwrap();
            let centre = claim.3.center();
            assert!(
                (value - centre).abs() <= 1e-3 * centre.abs(),
                "{reading}.ron: {p} = {value}, the centre of {} is {centre}",
                claim.3
            );
        }
    }
}

#[test]
fn every_claim_halves_its_shared_prior() {
    let doc = protocol();
    let shared = shared(&doc);
    for (id, reading, path, d) in claims(&doc) {
        let (_, s) = shared
            .values()
            .find(|s| s.0 == path)
            .unwrap_or_else(|| panic!("{id}: {path} has no shared prior"));
        let (lo, hi) = match s {
            Distribution::Uniform(a, b) | Distribution::LogUniform(a, b) => (*a, *b),
            other => panic!("{id}: a claim halves a Uniform or LogUniform, not {other}"),
        };
        let mid = s.center();
        let halves = [(lo, mid), (mid, hi)];
        let (a, b) = match (&d, s) {
            (Distribution::Uniform(a, b), Distribution::Uniform(..)) => (*a, *b),
            (Distribution::LogUniform(a, b), Distribution::LogUniform(..)) => (*a, *b),
            _ => panic!("{id} ({reading}): {path}: {d} is not of the shared prior's kind {s}"),
        };
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-3 * y.abs().max(1e-9);
        assert!(
            halves.iter().any(|(l, h)| close(a, *l) && close(b, *h)),
            "{id} ({reading}): {path}: {d} is not a half of {s}"
        );
    }
}

#[test]
fn the_baseline_stands_at_the_centres_of_the_shared_priors() {
    let doc = protocol();
    let shared = shared(&doc);
    let text = std::fs::read_to_string(root().join("scenarios/baseline.ron")).unwrap();
    let mut seen = Vec::new();
    for line in text.lines() {
        let Some((code, comment)) = line.split_once("//") else {
            continue;
        };
        let Some(at) = comment.find("shared prior S-") else {
            continue;
        };
        let id: String = comment[at + "shared prior ".len()..]
            .chars()
            .take_while(|c| *c == 'S' || *c == '-' || c.is_ascii_digit())
            .collect();
        let (path, d) = shared
            .get(&id)
            .unwrap_or_else(|| panic!("baseline: {id} is not a shared prior"));
        let field = path.rsplit('.').next().unwrap();
        let key = format!("{field}:");
        let after = &code[code
            .find(&key)
            .unwrap_or_else(|| panic!("baseline: {id}'s line has no {field}"))
            + key.len()..];
        let value: f64 = after
            .trim_start()
            .split(|c: char| c == ',' || c.is_whitespace())
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let centre = d.center();
        assert!(
            (value - centre).abs() <= 1e-3 * centre.abs(),
            "baseline: {path} = {value}, the centre of {d} ({id}) is {centre}"
        );
        seen.push(id);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen.len(),
        shared.len(),
        "the baseline names every shared prior: {seen:?}"
    );
}

#[test]
fn no_scenario_number_is_calibrated_on_the_evidence() {
    let mut files = Vec::new();
    let mut stack = vec![root().join("scenarios")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "ron") && !p.to_string_lossy().contains("cases") {
                files.push(p);
            }
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !text.to_lowercase().contains("calibrated"),
            "{} carries a calibrated number",
            f.display()
        );
    }
}
