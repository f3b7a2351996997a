//! `jinsong attribute`: split the change in war probability between mechanisms with Shapley
//! values, and say who struck first and who provoked first.
//!
//! # The game
//!
//! For k named mechanisms (1 ≤ k ≤ [`MAX_MECHANISMS`]) every combination S ⊆ {0, …, k−1} (a
//! bit mask: bit i is `mechanisms[i]`) is a model: the switches in S on, the other named switches
//! off, every other switch as in the scenario. Run *r* of every combination uses the same random
//! stream *r* (common random numbers). The run's payoff is v_r(S) = 1 when the pair's first war
//! onset falls at a month offset ≤ `by` under combination S, else 0.
//!
//! # Shapley values
//!
//! Per run, the Shapley value of mechanism i is
//! φ_i(r) = Σ_{S ⊆ N∖{i}} |S|!·(k−|S|−1)!/k! · (v_r(S ∪ {i}) − v_r(S)).
//! It is accumulated as the integer k!·φ_i(r) ([`ShapleyKernel::scaled`]), so that sums over
//! runs are exact and do not depend on how runs are split between threads. The reported value is
//! φ_i = Σ_r k!·φ_i(r) / (k!·N), the Shapley value of the game S ↦ P(S) (Shapley values are
//! linear in the game). By efficiency, Σ_i k!·φ_i(r) = k!·(v_r(N) − v_r(∅)) in every run, so the
//! values add up to P(all on) − P(all off) exactly in integers, and to rounding in the floats.
//!
//! # Interval
//!
//! A streaming Poisson bootstrap with [`BOOTSTRAP_REPLICATES`] = 200 replicates: run *r* gets,
//! for each replicate b, a weight w_rb ~ Poisson(1) drawn by inversion from its own uniform, from
//! the dedicated stream `ChaCha8Rng::seed_from_u64(seed ^ `[`BOOTSTRAP_SALT`]`)` with
//! `set_stream(r)` (so the weights depend only on (seed, r)). Each replicate keeps the integer sums
//! Σ_r w_rb and Σ_r w_rb·k!·φ_i(r); its estimate of φ_i is their ratio over k!. The `ci95` is the
//! 2.5% and 97.5% percentiles of the replicate estimates (linear interpolation between order
//! statistics, Hyndman–Fan type 7), over the replicates whose total weight is positive. Memory
//! does not grow with the number of runs.
//!
//! # Cost
//!
//! 2^k simulations per run, each stopped after the month `by` ([`crate::study::compare::truncate`]).
//! The 2^k models are compiled once; each worker thread keeps one workspace per combination and
//! allocates nothing per run.
//!
//! # Who struck first, who provoked first
//!
//! From the all-on combination: among runs with a first onset in the pair by `by`, how many each
//! side started (`initiators`), and how many of those onsets came after the target had committed
//! more hostile acts against the initiator than the initiator against the target in the 36 months
//! up to the onset (`provoked_first`, the same rule as `summary.json`). Shares carry Wilson 95%
//! intervals.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::calendar::Month;
use std::ops::Range;

use super::dyad::{check_dyad, truncate, DyadError, DyadIds};
use super::{Finished, Study, StudyError, StudyKind};
use crate::batch::fold::{fold_runs, wave_runs};
use crate::batch::Counts;
use crate::engine::outcome::{Acts, NEVER};
use crate::engine::{simulate, Silent, Workspace};
use crate::model::Model;
use crate::rng::draws::uniform;
use crate::scenario::{validate, Mechanisms, Scenario};
use crate::stats::bootstrap::{poisson1, poisson1_cdf};
use crate::stats::shapley::ShapleyKernel;
use crate::stats::{quantile_sorted, wilson, Z95};

/// The most mechanisms `attribute` accepts (2^10 = 1024 combinations per run).
pub const MAX_MECHANISMS: usize = 10;
/// Poisson bootstrap replicates.
pub const BOOTSTRAP_REPLICATES: usize = 200;
/// Mixed into the seed of the bootstrap weights' stream ("SHAPLEY!" in ASCII, roughly), so that
/// the weights never reuse the simulation's numbers.
pub const BOOTSTRAP_SALT: u64 = 0x5348_4150_4c45_5921;
/// Run indices per unit of parallel work (fixed, so results do not depend on the thread count).
pub const ATTRIBUTION_CHUNK_RUNS: u64 = 16;

/// Why an attribution cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributionError {
    /// No mechanism named.
    #[error("--mechanisms: name at least one mechanism (valid: {valid})")]
    NoMechanisms {
        /// The valid names, comma-separated.
        valid: String,
    },
    /// More than [`MAX_MECHANISMS`] mechanisms.
    #[error(
        "--mechanisms: {count} mechanisms named, at most {MAX_MECHANISMS} allowed (all 2^k \
         combinations are simulated)"
    )]
    TooManyMechanisms {
        /// How many were named.
        count: usize,
    },
    /// A name that is not a mechanism switch.
    #[error("--mechanisms: {} is not a mechanism (valid: {valid})", crate::text::quote(.name))]
    UnknownMechanism {
        /// The unknown name.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// A mechanism named twice.
    #[error("--mechanisms: {} is named twice", crate::text::quote(.name))]
    DuplicateMechanism {
        /// The repeated name.
        name: String,
    },
    /// Zero runs.
    #[error("--runs: 0 is out of range (allowed: 1 or more)")]
    NoRuns,
    /// The scenario does not validate.
    #[error("scenario `{scenario}` is invalid:\n{problems}")]
    InvalidScenario {
        /// Scenario name.
        scenario: String,
        /// One line per problem: `path: message`.
        problems: String,
    },
    /// A bad pair or date.
    #[error(transparent)]
    Dyad(#[from] DyadError),
}

// ---------------------------------------------------------------------------------------------
// The results
// ---------------------------------------------------------------------------------------------

/// A probability with its Wilson 95% interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probability {
    /// Share of runs with a first war onset in the pair by `by`.
    pub probability: f64,
    /// Wilson 95% interval.
    pub ci95: [f64; 2],
    /// Runs with an onset by `by` (not written).
    #[serde(skip)]
    pub successes: u64,
}

impl Probability {
    fn of(successes: u64, runs: u64) -> Probability {
        let (lo, hi) = wilson(successes, runs, Z95);
        Probability {
            probability: successes as f64 / runs as f64,
            ci95: [lo, hi],
            successes,
        }
    }
}

/// One mechanism's Shapley value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MechanismShare {
    /// The switch name.
    pub mechanism: String,
    /// Its Shapley value for P(first onset by `by`) (probability points, may be negative).
    pub shapley: f64,
    /// Poisson-bootstrap 95% percentile interval.
    pub ci95: [f64; 2],
    /// k!·Σ_r φ(r), the exact integer sum behind `shapley` (not written).
    #[serde(skip)]
    pub scaled_sum: i64,
}

/// A count among first onsets and its share, with a Wilson 95% interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// Number of first onsets.
    pub count: u64,
    /// `count / onsets`, or null when there was no onset.
    pub share: Option<f64>,
    /// Wilson 95% interval of the share (`[0, 1]` when there was no onset).
    pub ci95: [f64; 2],
}

impl Share {
    fn of(count: u64, onsets: u64) -> Share {
        let (lo, hi) = wilson(count, onsets, Z95);
        Share {
            count,
            share: (onsets > 0).then(|| count as f64 / onsets as f64),
            ci95: [lo, hi],
        }
    }
}

/// Who struck first: `{"onsets": N, "by_polity": {id: {"count", "share", "ci95"}}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Initiators {
    /// Runs with a first onset in the pair by `by`, all mechanisms on.
    pub onsets: u64,
    /// Polity id → first onsets it started, and their share of `onsets`.
    pub by_polity: BTreeMap<String, Share>,
}

/// Who provoked first: `{"onsets", "count", "share", "ci95", "by_initiator"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvokedFirst {
    /// Runs with a first onset in the pair by `by`, all mechanisms on.
    pub onsets: u64,
    /// Onsets where the target's hostile acts against the initiator in the 36 months up to the
    /// onset outnumbered the initiator's against the target.
    pub count: u64,
    /// `count / onsets`, or null when there was no onset.
    pub share: Option<f64>,
    /// Wilson 95% interval of the share.
    pub ci95: [f64; 2],
    /// Initiator's id → its first onsets that had been provoked in this sense, and their share of
    /// that initiator's first onsets.
    pub by_initiator: BTreeMap<String, Share>,
    /// The onsets provoked first with the agents' own acts only (scripted acts left out).
    /// Absent from files of earlier versions.
    #[serde(default)]
    pub agents: Option<ProvokedByAgents>,
}

/// Who provoked first with the agents' own acts only: `{"count", "share", "ci95",
/// "by_scripted"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvokedByAgents {
    /// Onsets where the target's months with acts of its own outnumbered the initiator's.
    pub count: u64,
    /// `count / onsets`, or null when there was no onset.
    pub share: Option<f64>,
    /// Wilson 95% interval of the share.
    pub ci95: [f64; 2],
    /// Onsets whose answer the scripted acts alone decide: `provoked` (provoked first with all
    /// acts, not with the agents' own only) and `not_provoked` (the reverse).
    pub by_scripted: BTreeMap<String, u64>,
}

/// The result of [`attribute`]; serialises to `attribution.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// The pair, `"a,b"` in the order given.
    pub dyad: DyadIds,
    /// Last month counted (inclusive).
    pub by: Month,
    /// P(first onset by `by`) with every named mechanism on.
    pub all_on: Probability,
    /// P(first onset by `by`) with every named mechanism off.
    pub all_off: Probability,
    /// Each named mechanism's Shapley value, in the order named.
    pub mechanisms: Vec<MechanismShare>,
    /// Who struck first, all mechanisms on.
    pub initiators: Initiators,
    /// Who provoked first, all mechanisms on.
    pub provoked_first: ProvokedFirst,
    /// Scenario name (not written).
    #[serde(skip)]
    pub scenario: String,
    /// Runs (not written).
    #[serde(skip)]
    pub runs: u64,
    /// Master seed (not written).
    #[serde(skip)]
    pub seed: u64,
    /// k! (not written).
    #[serde(skip)]
    pub factorial: i64,
    /// Runs with an onset by `by` under each combination, indexed by bit mask (not written).
    #[serde(skip)]
    pub combination_successes: Vec<u64>,
}

/// Integer sums of an attribution over some run indices: added up over chunks, waves or shards,
/// in any order, they give the sums over all runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrTally {
    /// Run indices counted (each under every combination). Absent from files of earlier
    /// versions.
    #[serde(default)]
    pub runs: u64,
    /// Per combination: runs with an onset by `by`.
    pub successes: Vec<u64>,
    /// Per mechanism: Σ_r k!·φ_i(r).
    pub phi: Vec<i64>,
    /// Per replicate: Σ_r w_rb.
    pub boot_weight: Vec<i64>,
    /// Per replicate and mechanism (`b * k + i`): Σ_r w_rb·k!·φ_i(r).
    pub boot_phi: Vec<i64>,
    /// All on: first onsets by `by`, by initiator side.
    pub initiator: [u64; 2],
    /// All on: provoked first onsets, by initiator side.
    pub provoked: [u64; 2],
    /// All on: onsets provoked first with the agents' own acts only, by initiator side.
    pub provoked_agents: [u64; 2],
    /// All on: onsets provoked first with all acts but not with the agents' own only (`[0]`),
    /// and the reverse (`[1]`).
    pub provoked_by_scripted: [u64; 2],
}

impl AttrTally {
    /// No runs yet, for `k` mechanisms.
    pub fn new(k: usize) -> AttrTally {
        AttrTally {
            runs: 0,
            successes: vec![0; 1 << k],
            phi: vec![0; k],
            boot_weight: vec![0; BOOTSTRAP_REPLICATES],
            boot_phi: vec![0; BOOTSTRAP_REPLICATES * k],
            initiator: [0; 2],
            provoked: [0; 2],
            provoked_agents: [0; 2],
            provoked_by_scripted: [0; 2],
        }
    }

    /// Whether it has the shape of an attribution over `k` mechanisms.
    pub fn fits(&self, k: usize) -> bool {
        self.successes.len() == 1 << k
            && self.phi.len() == k
            && self.boot_weight.len() == BOOTSTRAP_REPLICATES
            && self.boot_phi.len() == BOOTSTRAP_REPLICATES * k
    }

    /// Add the sums of `o` (integer addition: the order of merges does not matter).
    pub fn merge(&mut self, o: &AttrTally) {
        self.runs += o.runs;
        let add_u = |a: &mut Vec<u64>, b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        let add_i = |a: &mut Vec<i64>, b: &[i64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add_u(&mut self.successes, &o.successes);
        add_i(&mut self.phi, &o.phi);
        add_i(&mut self.boot_weight, &o.boot_weight);
        add_i(&mut self.boot_phi, &o.boot_phi);
        for s in 0..2 {
            self.initiator[s] += o.initiator[s];
            self.provoked[s] += o.provoked[s];
            self.provoked_agents[s] += o.provoked_agents[s];
            self.provoked_by_scripted[s] += o.provoked_by_scripted[s];
        }
    }
}

/// Per-worker state: one workspace per combination and the per-run scratch.
struct Worker {
    workspaces: Vec<Workspace>,
    v: Vec<i64>,
    phi: Vec<i64>,
    weights: Vec<i64>,
}

/// Check the mechanism names: 1 to [`MAX_MECHANISMS`], each a switch of
/// [`Mechanisms::NAMES`], none twice.
pub fn check_mechanisms(mechanisms: &[&str]) -> Result<(), AttributionError> {
    let valid = || Mechanisms::NAMES.join(", ");
    if mechanisms.is_empty() {
        return Err(AttributionError::NoMechanisms { valid: valid() });
    }
    if mechanisms.len() > MAX_MECHANISMS {
        return Err(AttributionError::TooManyMechanisms {
            count: mechanisms.len(),
        });
    }
    for (i, name) in mechanisms.iter().enumerate() {
        if !Mechanisms::NAMES.contains(name) {
            return Err(AttributionError::UnknownMechanism {
                name: name.to_string(),
                valid: valid(),
            });
        }
        if mechanisms[..i].contains(name) {
            return Err(AttributionError::DuplicateMechanism {
                name: name.to_string(),
            });
        }
    }
    Ok(())
}

/// The scenario under combination `mask`: `mechanisms[i]` on iff bit i of `mask` is set.
pub fn combination(scenario: &Scenario, mechanisms: &[&str], mask: usize) -> Scenario {
    let mut sc = scenario.clone();
    for (i, name) in mechanisms.iter().enumerate() {
        if let Some(switch) = sc.mechanisms.switch_mut(name) {
            *switch = mask & (1 << i) != 0;
        }
    }
    sc
}

/// Shapley attribution of P(first war onset in `dyad` at a month offset ≤ `by`) to the named
/// `mechanisms` of `scenario`, over runs `0..runs` under `seed` on common random numbers, with
/// the initiator and provoked-first shares of the all-on combination. See the module
/// documentation for the formulas. Runs on the current rayon pool; `progress` is called from the
/// worker threads with the number of run indices just finished (each covers all 2^k
/// combinations).
pub fn attribute(
    scenario: &Scenario,
    mechanisms: &[&str],
    dyad: (usize, usize),
    by: u32,
    seed: u64,
    runs: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Attribution, AttributionError> {
    let tally = attribute_counts(scenario, mechanisms, dyad, by, seed, 0..runs, progress)?;
    let settings = AttributeSettings {
        runs,
        mechanisms: mechanisms.iter().map(|m| m.to_string()).collect(),
        dyad,
        by,
        scenario: scenario.clone(),
    };
    Attribution::from_counts(&settings, seed, tally)
}

/// The combinations' models, truncated after `by`, and the index of the dyad, after checking
/// the mechanisms, the scenario and the dyad.
fn combination_models(
    scenario: &Scenario,
    mechanisms: &[&str],
    dyad: (usize, usize),
    by: u32,
) -> Result<(Vec<Model>, usize), AttributionError> {
    check_mechanisms(mechanisms)?;
    let problems = validate(scenario);
    if !problems.is_empty() {
        return Err(AttributionError::InvalidScenario {
            scenario: scenario.name.clone(),
            problems: problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect::<Vec<_>>()
                .join("\n"),
        });
    }
    let k = mechanisms.len();
    let combos = 1usize << k;
    let mut models: Vec<Model> = (0..combos)
        .map(|mask| Model::compile(&combination(scenario, mechanisms, mask)))
        .collect();
    let d = check_dyad(&models[0], dyad, by)?;
    // Nothing after `by` matters: stop there (see `compare::truncate`).
    for m in &mut models {
        *m = truncate(m, by);
    }
    Ok((models, d))
}

/// The integer sums of [`attribute`] for the run indices `runs` only (a shard, or a wave of a
/// long attribution): sums over consecutive ranges add up to the sums over their union.
pub fn attribute_counts(
    scenario: &Scenario,
    mechanisms: &[&str],
    dyad: (usize, usize),
    by: u32,
    seed: u64,
    runs: std::ops::Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<AttrTally, AttributionError> {
    let (models, d) = combination_models(scenario, mechanisms, dyad, by)?;
    let k = mechanisms.len();
    let combos = 1usize << k;
    let kernel = ShapleyKernel::new(k);
    let cdf = poisson1_cdf();

    Ok(fold_runs(
        runs,
        ATTRIBUTION_CHUNK_RUNS,
        || Worker {
            workspaces: models.iter().map(Workspace::new).collect(),
            v: vec![0; combos],
            phi: vec![0; k],
            weights: vec![0; BOOTSTRAP_REPLICATES],
        },
        || AttrTally::new(k),
        |w, t, r| run_once(&models, d, by, seed, r, w, &kernel, &cdf, t),
        AttrTally::merge,
        progress,
    ))
}

impl Attribution {
    /// The attribution of [`attribute`] from its integer sums over the runs `0..settings.runs`
    /// (however they were computed: at once, in waves, or in shards merged).
    pub fn from_counts(
        settings: &AttributeSettings,
        seed: u64,
        tally: AttrTally,
    ) -> Result<Attribution, AttributionError> {
        let (scenario, dyad, by, runs) = (&settings.scenario, settings.dyad, settings.by, settings.runs);
        let mechanisms: Vec<&str> = settings.mechanisms.iter().map(String::as_str).collect();
        let (models, d) = combination_models(scenario, &mechanisms, dyad, by)?;
        if runs == 0 {
            return Err(AttributionError::NoRuns);
        }
        let k = mechanisms.len();
        let all_on = (1usize << k) - 1;
        let kernel = ShapleyKernel::new(k);
        // Results from the integer sums.
        let fact = kernel.factorial();
        let denom = fact as f64 * runs as f64;
        let mut replicate_means = vec![Vec::with_capacity(BOOTSTRAP_REPLICATES); k];
        for b in 0..BOOTSTRAP_REPLICATES {
            let wsum = tally.boot_weight[b];
            if wsum <= 0 {
                continue;
            }
            for (i, means) in replicate_means.iter_mut().enumerate() {
                means.push(tally.boot_phi[b * k + i] as f64 / (fact as f64 * wsum as f64));
            }
        }
        let mechanisms_out = mechanisms
            .iter()
            .zip(&tally.phi)
            .zip(&mut replicate_means)
            .map(|((name, &sum), means)| {
                let shapley = sum as f64 / denom;
                means.sort_by(f64::total_cmp);
                let ci95 = match (quantile_sorted(means, 0.025), quantile_sorted(means, 0.975)) {
                    (Some(lo), Some(hi)) => [lo, hi],
                    _ => [shapley, shapley],
                };
                MechanismShare {
                    mechanism: name.to_string(),
                    shapley,
                    ci95,
                    scaled_sum: sum,
                }
            })
            .collect();

        let model = &models[all_on];
        let (a, b) = model.dyads[d];
        let sides = [model.ids[a].clone(), model.ids[b].clone()];
        let onsets = tally.initiator[0] + tally.initiator[1];
        let provoked = tally.provoked[0] + tally.provoked[1];
        let (plo, phi) = wilson(provoked, onsets, Z95);
        let by_agents = tally.provoked_agents[0] + tally.provoked_agents[1];
        let (alo, ahi) = wilson(by_agents, onsets, Z95);
        let by_polity = (0..2)
            .map(|s| (sides[s].clone(), Share::of(tally.initiator[s], onsets)))
            .collect();
        let by_initiator = (0..2)
            .map(|s| (sides[s].clone(), Share::of(tally.provoked[s], tally.initiator[s])))
            .collect();

        Ok(Attribution {
            dyad: DyadIds([model.ids[dyad.0].clone(), model.ids[dyad.1].clone()]),
            by: model.start.plus(by),
            all_on: Probability::of(tally.successes[all_on], runs),
            all_off: Probability::of(tally.successes[0], runs),
            mechanisms: mechanisms_out,
            initiators: Initiators { onsets, by_polity },
            provoked_first: ProvokedFirst {
                onsets,
                count: provoked,
                share: (onsets > 0).then(|| provoked as f64 / onsets as f64),
                ci95: [plo, phi],
                by_initiator,
                agents: Some(ProvokedByAgents {
                    count: by_agents,
                    share: (onsets > 0).then(|| by_agents as f64 / onsets as f64),
                    ci95: [alo, ahi],
                    by_scripted: ["provoked", "not_provoked"]
                        .iter()
                        .zip(tally.provoked_by_scripted)
                        .map(|(k, n)| (k.to_string(), n))
                        .collect(),
                }),
            },
            scenario: scenario.name.clone(),
            runs,
            seed,
            factorial: fact,
            combination_successes: tally.successes,
        })
    }
}

/// Simulate run `r` under every combination and fold it into `t`.
#[allow(clippy::too_many_arguments)]
#[inline]
fn run_once(
    models: &[Model],
    d: usize,
    by: u32,
    seed: u64,
    r: u64,
    w: &mut Worker,
    kernel: &ShapleyKernel,
    cdf: &[f64; 19],
    t: &mut AttrTally,
) {
    t.runs += 1;
    let all_on = models.len() - 1;
    for (mask, (m, ws)) in models.iter().zip(w.workspaces.iter_mut()).enumerate() {
        simulate(m, seed, r, ws, &mut Silent);
        let o = &ws.outcome.dyads[d];
        let x = o.first_onset != NEVER && o.first_onset <= by;
        w.v[mask] = i64::from(x);
        t.successes[mask] += u64::from(x);
        if x && mask == all_on {
            let s = usize::from(o.initiator.min(1));
            t.initiator[s] += 1;
            let (all, agents) = (o.provoked_first(Acts::All), o.provoked_first(Acts::Agents));
            t.provoked[s] += u64::from(all);
            t.provoked_agents[s] += u64::from(agents);
            t.provoked_by_scripted[0] += u64::from(all && !agents);
            t.provoked_by_scripted[1] += u64::from(agents && !all);
        }
    }
    kernel.scaled(&w.v, &mut w.phi);
    for (acc, &p) in t.phi.iter_mut().zip(&w.phi) {
        *acc += p;
    }

    // Poisson(1) bootstrap weights of this run, from their own stream.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ BOOTSTRAP_SALT);
    rng.set_stream(r);
    for wt in w.weights.iter_mut() {
        *wt = poisson1(cdf, uniform(rng.next_u32()));
    }
    for (acc, &wt) in t.boot_weight.iter_mut().zip(&w.weights) {
        *acc += wt;
    }
    if w.phi.iter().any(|&p| p != 0) {
        let k = w.phi.len();
        for (row, &wt) in t.boot_phi.chunks_exact_mut(k).zip(&w.weights) {
            if wt != 0 {
                for (acc, &p) in row.iter_mut().zip(&w.phi) {
                    *acc += wt * p;
                }
            }
        }
    }
}

impl Attribution {
    /// `attribution.json`, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }

    /// A table for the terminal.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let [a, b] = &self.dyad.0;
        let _ = writeln!(
            out,
            "Shapley attribution of P(first war onset {a}–{b} by {}) in `{}`: {} runs, seed {}, \
             {} combinations on common random numbers",
            self.by,
            self.scenario,
            self.runs,
            self.seed,
            self.combination_successes.len()
        );
        let p = |x: &Probability| format!("{:.4} [{:.4}, {:.4}]", x.probability, x.ci95[0], x.ci95[1]);
        let _ = writeln!(out, "all on:  {}", p(&self.all_on));
        let _ = writeln!(out, "all off: {}", p(&self.all_off));
        let width = self
            .mechanisms
            .iter()
            .map(|m| m.mechanism.len())
            .max()
            .unwrap_or(0)
            .max("mechanism".len());
        let _ = writeln!(
            out,
            "{:<width$}  {:>8}  {:>18}",
            "mechanism", "Shapley", "bootstrap 95% CI"
        );
        let mut total = 0.0;
        for m in &self.mechanisms {
            total += m.shapley;
            let ci = format!("[{:+.4}, {:+.4}]", m.ci95[0], m.ci95[1]);
            let _ = writeln!(out, "{:<width$}  {:>+8.4}  {:>18}", m.mechanism, m.shapley, ci);
        }
        let _ = writeln!(out, "{:<width$}  {:>+8.4}  (= all on − all off)", "sum", total);
        let share = |s: Option<f64>| s.map_or("–".to_string(), |x| format!("{:.1}%", 100.0 * x));
        let _ = write!(out, "struck first (of {} onsets):", self.initiators.onsets);
        for (id, s) in &self.initiators.by_polity {
            let _ = write!(out, " {id} {} ({})", s.count, share(s.share));
        }
        out.push('\n');
        let pf = &self.provoked_first;
        let _ = writeln!(
            out,
            "provoked first (target's hostile acts in the 36 months before outnumbered the \
             initiator's): {} of {} ({}, 95% CI [{:.3}, {:.3}])",
            pf.count,
            pf.onsets,
            share(pf.share),
            pf.ci95[0],
            pf.ci95[1]
        );
        if let Some(a) = &pf.agents {
            let by = |k: &str| a.by_scripted.get(k).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "  with the agents' own acts only (scripted acts left out): {} of {} ({}, 95% CI \
                 [{:.3}, {:.3}]); decided by scripted acts alone: {} provoked, {} not",
                a.count,
                pf.onsets,
                share(a.share),
                a.ci95[0],
                a.ci95[1],
                by("provoked"),
                by("not_provoked")
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_inversion_has_mean_one() {
        let cdf = poisson1_cdf();
        // Integrate the inverse CDF over a fine grid of uniforms.
        let n = 1_000_000;
        let mean: f64 = (0..n)
            .map(|j| poisson1(&cdf, (j as f64 + 0.5) / n as f64) as f64)
            .sum::<f64>()
            / n as f64;
        assert!((mean - 1.0).abs() < 1e-4, "{mean}");
        assert_eq!(poisson1(&cdf, 0.3), 0);
        assert_eq!(poisson1(&cdf, 0.5), 1);
    }

    #[test]
    fn quantiles_interpolate() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(quantile_sorted(&v, 0.025), Some(2.5));
        assert_eq!(quantile_sorted(&v, 0.5), Some(50.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }
}

impl Counts for AttrTally {
    fn merge(&mut self, other: &AttrTally) {
        AttrTally::merge(self, other);
    }
}

/// What an `attribute` part or checkpoint keeps besides its counts: enough to finish without
/// the input files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttributeSettings {
    /// Runs per combination (all shards).
    pub runs: u64,
    /// The mechanisms switched, in order.
    pub mechanisms: Vec<String>,
    /// The pair, as polity indices.
    pub dyad: (usize, usize),
    /// The outcome's last month, as an offset from the start.
    pub by: u32,
    /// The scenario (all mechanisms as given).
    pub scenario: Scenario,
}

settings_scenarios!(AttributeSettings, scenario);

/// `jinsong attribute` as a [`Study`]: its work items are run indices (each run under every
/// combination of the mechanisms), its counts an [`AttrTally`].
pub struct AttributeStudy {
    settings: AttributeSettings,
    seed: u64,
}

impl AttributeStudy {
    fn mechanisms(&self) -> Vec<&str> {
        self.settings.mechanisms.iter().map(String::as_str).collect()
    }
}

impl Study for AttributeStudy {
    const KIND: StudyKind = StudyKind::Attribute;
    type Settings = AttributeSettings;
    type Counts = AttrTally;

    fn new(settings: AttributeSettings, seed: u64) -> Result<AttributeStudy, StudyError> {
        let study = AttributeStudy { settings, seed };
        combination_models(
            &study.settings.scenario,
            &study.mechanisms(),
            study.settings.dyad,
            study.settings.by,
        )?;
        Ok(study)
    }

    study_of_runs!(AttributeSettings);

    fn runs_per_item(&self) -> u64 {
        1 << self.settings.mechanisms.len()
    }

    /// A wave costs about as many simulations as a wave of `run`.
    fn wave(&self, threads: usize) -> u64 {
        (wave_runs(threads) >> self.settings.mechanisms.len()).max(ATTRIBUTION_CHUNK_RUNS * threads as u64)
    }

    fn empty(&self) -> AttrTally {
        AttrTally::new(self.settings.mechanisms.len())
    }

    /// Besides the shape: no count above the runs; the all-on combination's onsets by side
    /// add up to its successes, the provoked ones at most those; the Shapley sums add up to
    /// k!·(all on − all off) (efficiency, exact in integers); each bootstrap replicate's
    /// weight is not negative and bounds its Shapley sums.
    fn fits(&self, t: &AttrTally, items: Range<u64>) -> Result<(), String> {
        use super::need;
        let n = items.end - items.start;
        let k = self.settings.mechanisms.len();
        need(t.fits(k), || {
            "its combinations or replicates are not those of the mechanisms".into()
        })?;
        need(t.runs == n, || format!("runs {} where {n} runs are done", t.runs))?;
        for (c, &x) in t.successes.iter().enumerate() {
            need(x <= n, || format!("successes[{c}] {x} is above runs {n}"))?;
        }
        let (all_on, all_off) = (t.successes[(1 << k) - 1], t.successes[0]);
        let onsets = u128::from(t.initiator[0]) + u128::from(t.initiator[1]);
        need(onsets == u128::from(all_on), || {
            format!("initiator adds up to {onsets}, not the {all_on} onsets with all mechanisms on")
        })?;
        for s in 0..2 {
            need(t.provoked[s] <= t.initiator[s], || {
                format!(
                    "provoked[{s}] {} is above initiator[{s}] {}",
                    t.provoked[s], t.initiator[s]
                )
            })?;
            need(t.provoked_agents[s] <= t.initiator[s], || {
                format!(
                    "provoked_agents[{s}] {} is above initiator[{s}] {}",
                    t.provoked_agents[s], t.initiator[s]
                )
            })?;
        }
        let sum = |x: [u64; 2]| u128::from(x[0]) + u128::from(x[1]);
        let [gained, lost] = t.provoked_by_scripted.map(u128::from);
        need(
            gained <= sum(t.provoked)
                && lost <= sum(t.provoked_agents)
                && sum(t.provoked) + lost == sum(t.provoked_agents) + gained,
            || format!("provoked_by_scripted [{gained}, {lost}] does not take provoked_agents to provoked"),
        )?;
        let fact: i128 = (1..=k as i128).product();
        let phi: i128 = t.phi.iter().map(|&p| i128::from(p)).sum();
        need(phi == fact * (i128::from(all_on) - i128::from(all_off)), || {
            format!(
                "phi adds up to {phi}, not k!·(all on − all off) = {}",
                fact * (i128::from(all_on) - i128::from(all_off))
            )
        })?;
        for (b, (&w, row)) in t.boot_weight.iter().zip(t.boot_phi.chunks(k.max(1))).enumerate() {
            need(w >= 0, || format!("boot_weight[{b}] {w} is negative"))?;
            let sum: i128 = row.iter().map(|&p| i128::from(p)).sum();
            need(sum.abs() <= fact * i128::from(w), || {
                format!("boot_phi of replicate {b} adds up to {sum}, beyond k!·boot_weight[{b}]")
            })?;
        }
        Ok(())
    }

    fn count(
        &self,
        items: Range<u64>,
        t: &mut AttrTally,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), StudyError> {
        let s = &self.settings;
        let combos = self.runs_per_item();
        let counted = attribute_counts(
            &s.scenario,
            &self.mechanisms(),
            s.dyad,
            s.by,
            self.seed,
            items,
            &|n| progress(n * combos),
        )?;
        t.merge(&counted);
        Ok(())
    }

    fn finish(&self, t: AttrTally) -> Result<Finished, StudyError> {
        let s = &self.settings;
        let attribution = Attribution::from_counts(s, self.seed, t)?;
        Ok(Finished {
            files: vec![("attribution.json".into(), attribution.to_json().into_bytes())],
            head: attribution.table(),
            wrote: "attribution.json".into(),
            variant: None,
        })
    }
}
