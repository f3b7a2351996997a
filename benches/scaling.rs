//! Scaling benchmarks:
//!
//! - `scaling_batch_10k/threads_1` and `threads_N`: a batch of 10,000 baseline runs on a pool of
//!   one and of all available threads;
//! - `scaling_polities/N`: cost per run of a generated scenario of N = 2, 4, 8, 16 and 32
//!   polities over ten years (polities on a ring, each in contact with both neighbours, plus
//!   N/2 random chords from a fixed seed; parameters drawn from fixed ranges by the same seed);
//! - `scaling_horizon/Y`: cost per run of the baseline with `end` moved to 1, 10, 25, 50 and 100
//!   years after its start;
//! - `sweep_end_to_end`: a 5 × 5 grid × 200 runs sweep of the baseline (compile, run, count,
//!   write the CSV text), on all threads.
//!
//! Criterion prints throughput in runs per second. Sample sizes and measurement times are small
//! so that `cargo bench --bench scaling` takes a few minutes; `-- --test` runs each once.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput};
use jinsong::batch::fold::Batch;
use jinsong::engine::{simulate, Silent, Workspace};
use jinsong::model::Model;
use jinsong::scenario::{LoadedScenario, Scenario};
use jinsong::study::sweep::{design, Sample, Sweep, Vary};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn baseline() -> Scenario {
    let loaded = LoadedScenario::baseline().expect("the embedded baseline parses");
    loaded.validate().expect("the embedded baseline is valid");
    loaded.scenario
}

/// A scenario of `n` polities over ten years, generated from a fixed seed.
fn generated(n: usize) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut u = |lo: f64, hi: f64| lo + (hi - lo) * ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64);
    let mut ron = String::from(
        "(name: \"generated\", start: \"1200-01\", end: \"1209-12\", seed: 1, runs: 100,\n polities: [\n",
    );
    for i in 0..n {
        let _ = writeln!(
            ron,
            "  (id: \"p{i}\", name: \"P{i}\", strength: {:.3}, potential: {:.3}, mobilization_lag: {:.1}, \
             fear_gain: {:.3}, fear_decay: 0.1, war_threshold: {:.3}, war_propensity: 0.05, talk_propensity: 0.2),",
            u(0.3, 1.5),
            u(0.5, 2.0),
            u(1.0, 12.0),
            u(0.1, 0.4),
            u(0.3, 0.8)
        );
    }
    ron.push_str(" ],\n relations: [\n");
    let mut edges: Vec<(usize, usize)> = (0..n).map(|i| (i, (i + 1) % n)).filter(|(a, b)| a != b).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(2027);
    for _ in 0..n / 2 {
        let a = (rng.next_u64() % n as u64) as usize;
        let b = (rng.next_u64() % n as u64) as usize;
        edges.push((a, b));
    }
    edges.retain(|(a, b)| a != b);
    let mut seen = std::collections::BTreeSet::new();
    for (a, b) in edges {
        for (x, y) in [(a, b), (b, a)] {
            if seen.insert((x, y)) {
                let _ = writeln!(
                    ron,
                    "  (from: \"p{x}\", to: \"p{y}\", contact: 0.6, trust: 0.4, fear: 0.1, provocation_rate: 0.05),"
                );
            }
        }
    }
    ron.push_str(" ],\n)\n");
    let loaded = LoadedScenario::parse("generated.ron", &ron).expect("the generated scenario parses");
    loaded.validate().expect("the generated scenario is valid");
    loaded.scenario
}

fn per_run(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, name: String, model: &Model) {
    let mut ws = Workspace::new(model);
    let mut run = 0u64;
    group.bench_function(name, |b| {
        b.iter(|| {
            run = run.wrapping_add(1);
            black_box(simulate(black_box(model), 1125, run, &mut ws, &mut Silent));
            black_box(&ws.outcome);
        })
    });
}

fn quick<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group
}

fn scaling_benches(c: &mut Criterion) {
    let base = baseline();
    let model = Model::compile(&base);

    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = quick(c, "scaling_batch_10k");
    group
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Elements(10_000));
    let mut threads = vec![1];
    if all > 1 {
        threads.push(all);
    }
    for t in threads {
        group.bench_function(format!("threads_{t}"), |b| {
            b.iter(|| {
                let batch = Batch {
                    model: &model,
                    seed: 1125,
                    first_run: 0,
                    runs: 10_000,
                };
                let tally = batch.run_with_threads(t, &|_| {}).expect("thread pool builds");
                black_box(tally.runs)
            })
        });
    }
    group.finish();

    let mut group = quick(c, "scaling_polities");
    group.throughput(Throughput::Elements(1));
    for n in [2, 4, 8, 16, 32] {
        let m = Model::compile(&generated(n));
        per_run(&mut group, format!("{n}"), &m);
    }
    group.finish();

    let mut group = quick(c, "scaling_horizon");
    group.throughput(Throughput::Elements(1));
    for years in [1u32, 10, 25, 50, 100] {
        let mut sc = base.clone();
        sc.end = sc.start.plus(12 * years - 1);
        let m = Model::compile(&sc);
        per_run(&mut group, format!("{years}y"), &m);
    }
    group.finish();

    let varies: Vec<Vary> = [
        "polities.song.mobilization_lag=2..24:5",
        "relations.song.jin.provocation_rate=0..0.3:5",
    ]
    .iter()
    .map(|s| s.parse().expect("valid --vary"))
    .collect();
    let d = design(&varies, Sample::Grid, 1125).expect("valid design");
    let sweep = Sweep {
        design: d,
        pairs: model
            .dyads
            .iter()
            .map(|&(a, b)| (model.ids[a].clone(), model.ids[b].clone()))
            .collect(),
        dyads: (0..model.dyads.len()).collect(),
        by: None,
        by_offset: None,
        runs: 200,
        seed: 1125,
        only_by: false,
    };
    let mut group = quick(c, "sweep_end_to_end");
    group
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Elements(25 * 200));
    group.bench_function("grid_5x5_200_runs", |b| {
        b.iter(|| {
            let counts = sweep.count(&base, 0..25, &|_| {}).expect("valid sweep");
            black_box(sweep.csv(&counts).len())
        })
    });
    group.finish();
}

criterion_group!(benches, scaling_benches);
criterion_main!(benches);
