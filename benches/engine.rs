//! Engine benchmarks (issue 2, "Performance"):
//!
//! - `baseline_one_run`: one run of the embedded baseline on one thread, with a reused
//!   [`Workspace`] and a new run index each iteration;
//! - `chacha_draws_equivalent`: the time it takes just to draw as many ChaCha8 `u64` words as
//!   one run draws (building the seeded generator and setting its stream included, as a run
//!   does), the floor a run is compared with (target: a run within 2× of it);
//! - `chacha_fill_bytes_equivalent`: the same words copied out of ChaCha one `fill_bytes` call
//!   per month, as the engine did until session 5 (it now copies up to 16 KiB of months per
//!   call, `RunStream::fill_months`; for comparison only);
//! - `chacha_blocks_equivalent`: the same words as bare ChaCha8 blocks, generated straight
//!   into one 64-word buffer with no copying at all (`ChaCha8Core::generate`): the cost of the
//!   ChaCha8 arithmetic alone, below which no run can go;
//! - `run_stream_equivalent/{avx512,portable}`: the same words drawn the way a run draws them
//!   now, through `RunStream` (`fill_months`, 16 KiB at a time) with the AVX-512 kernel of
//!   `src/rng/chacha8.rs` and with `rand_chacha`'s own code: the cost of a run's draws in the
//!   engine as it is (the `avx512` line is skipped on a CPU without AVX-512);
//! - `baseline_mechanisms_off`: one run of the baseline with every mechanism switched off
//!   (same draws, same polities, no events, provocations, talks, ties, spiral gain…): what the
//!   monthly loop itself costs, apart from what the mechanisms do;
//! - `batch_10k_runs/threads_1` and `batch_10k_runs/threads_N`: a batch of 10,000 runs on a
//!   dedicated pool of 1 and of all available threads; criterion prints runs/s (target:
//!   ≥ 20,000 runs/s on one thread, two threads ≥ 1.8× one).
//!
//! Run with `cargo bench --bench engine`. Sample sizes are kept small so the whole file takes
//! a few minutes on two cores.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use jinsong::batch::fold::Batch;
use jinsong::engine::{simulate, Silent, Workspace};
use jinsong::model::Model;
use jinsong::rng::chacha8::ChaChaBackend;
use jinsong::rng::draws::RunStream;
use jinsong::scenario::{LoadedScenario, Mechanisms};
use rand::rand_core::block::Generator;
use rand::{Rng, SeedableRng};
use rand_chacha::{ChaCha8Core, ChaCha8Rng};

/// Runs in one batch of `batch_10k_runs`.
const BATCH_RUNS: u64 = 10_000;

fn baseline_model() -> (Model, u64) {
    model_with(&[])
}

/// The baseline with `overrides` (`path=value`) applied.
fn model_with(overrides: &[String]) -> (Model, u64) {
    let mut loaded = LoadedScenario::baseline().expect("the embedded baseline parses");
    let overrides: Vec<_> = overrides
        .iter()
        .map(|o| o.parse().expect("a valid override"))
        .collect();
    loaded.apply_overrides(&overrides).expect("overrides apply");
    loaded.validate().expect("the embedded baseline is valid");
    let seed = loaded.scenario.seed;
    (Model::compile(&loaded.scenario), seed)
}

/// Draw `words` ChaCha8 words from stream `run` of `seed`, the way a run does, and fold them
/// so that none can be optimised away.
#[inline(never)]
fn draw_words(seed: u64, run: u64, words: u64) -> u64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(run);
    let mut acc = 0u64;
    for _ in 0..words {
        acc = acc.rotate_left(1) ^ rng.next_u64();
    }
    acc
}

fn engine_benches(c: &mut Criterion) {
    let (model, seed) = baseline_model();
    let words = model.words_per_run();
    let mut ws = Workspace::new(&model);

    // The bench compares a run with exactly the words it draws: check the count once.
    let drawn = simulate(&model, seed, 0, &mut ws, &mut Silent);
    assert_eq!(drawn, words, "simulate() must draw model.words_per_run() words");
    eprintln!(
        "baseline: {} polities, {} months, {} ChaCha8 u64 words per run ({} per month)",
        model.n,
        model.months,
        words,
        model.schedule.words_per_month()
    );

    let mut group = c.benchmark_group("engine");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(1));

    let mut run = 0u64;
    // The per-run cost of a scenario's priors, apart from the run itself: drawing the ten
    // priors of scenarios/readings/priors/mutual_fear.ron and writing them into a copy of the
    // model (variant 0, and three variants as a run entering three `Set` variants does).
    {
        let priors: Vec<String> = [
            "polities.jin.greed=LogUniform(0.0005, 0.01)",
            "polities.jin.war_propensity=Uniform(0.08, 0.3)",
            "polities.jin.provocation_trust_loss=Uniform(0.04, 0.15)",
            "polities.jin.provocation_fear=Uniform(0.03, 0.12)",
            "polities.jin.war_readiness=Uniform(0.1, 0.9)",
            "polities.jin.stability=Uniform(0.4, 1.0)",
            "polities.song.mobilization_lag=Uniform(2, 24)",
            "polities.song.war_readiness=Uniform(0.3, 1.0)",
            "relations.jin.song.trust=Beta(5, 5)",
            "relations.song.jin.provocation_rate=Uniform(0.1, 0.5)",
        ]
        .map(String::from)
        .to_vec();
        let (with_priors, seed) = model_with(&priors);
        let mut own = with_priors.clone();
        let mut stream = jinsong::rng::draws::PriorStream::new(seed);
        let mut values = vec![0.0; with_priors.priors.len()];
        let mut run = 0u64;
        group.bench_function("priors_draw_only/10_priors", |b| {
            b.iter(|| {
                run = run.wrapping_add(1);
                jinsong::model::prior::draw_run(&with_priors, &mut stream, run, &mut values);
                black_box(&values);
            })
        });
        // Variant 0 and three more, as a run entering three `Set` variants patches them.
        let patch_four = |own: &mut Model, values: &[f64]| {
            let slots = &with_priors.set_slots;
            jinsong::model::prior::patch_all(own, 0, slots, &with_priors.priors, values);
            for k in 1..4 {
                let variant = &mut own.variants[k];
                jinsong::model::prior::patch_all(variant, k + 1, slots, &with_priors.priors, values);
            }
            black_box(&own.quiet_bound);
        };
        group.bench_function("priors_patch_only/4_models", |b| {
            b.iter(|| patch_four(&mut own, &values))
        });
        group.bench_function("priors_draw_and_patch/10_priors", |b| {
            b.iter(|| {
                run = run.wrapping_add(1);
                jinsong::model::prior::draw_run(&with_priors, &mut stream, run, &mut values);
                patch_four(&mut own, &values);
            })
        });
    }

    group.bench_function("baseline_one_run", |b| {
        b.iter(|| {
            run = run.wrapping_add(1);
            black_box(simulate(
                black_box(&model),
                black_box(seed),
                run,
                &mut ws,
                &mut Silent,
            ));
            black_box(&ws.outcome);
        })
    });

    let mut run = 0u64;
    group.bench_function(format!("chacha_draws_equivalent/{words}_words"), |b| {
        b.iter(|| {
            run = run.wrapping_add(1);
            black_box(draw_words(black_box(seed), run, black_box(words)))
        })
    });

    // The same number of words copied out of ChaCha's block buffer one month per `fill_bytes`
    // call (the engine now copies several months per call, src/rng/draws.rs).
    let month_bytes = 8 * model.schedule.words_per_month();
    let months = model.months;
    let mut buf = vec![0u8; month_bytes];
    let mut run = 0u64;
    group.bench_function(format!("chacha_fill_bytes_equivalent/{words}_words"), |b| {
        b.iter(|| {
            run = run.wrapping_add(1);
            let mut rng = ChaCha8Rng::seed_from_u64(black_box(seed));
            rng.set_stream(run);
            for _ in 0..months {
                rng.fill_bytes(&mut buf);
                black_box(&buf);
            }
        })
    });
    // The bare ChaCha8 arithmetic for the same words: 64-word blocks generated in place.
    let blocks = (2 * words).div_ceil(64);
    let mut block = [0u32; 64];
    group.bench_function(format!("chacha_blocks_equivalent/{words}_words"), |b| {
        b.iter(|| {
            let mut core = ChaCha8Core::from_seed(black_box([7; 32]));
            for _ in 0..blocks {
                core.generate(&mut block);
                black_box(&block);
            }
        })
    });

    // The run's words through `RunStream`, as the engine draws them, with each backend.
    let mut words_buf = vec![0u32; 2 * words as usize];
    for (name, backend) in [
        ("avx512", ChaChaBackend::Avx512),
        ("portable", ChaChaBackend::Portable),
    ] {
        if RunStream::with_backend(seed, 0, backend).is_none() {
            eprintln!("run_stream_equivalent/{name}: this CPU cannot run it, skipped");
            continue;
        }
        let mut run = 0u64;
        group.bench_function(format!("run_stream_equivalent/{name}/{words}_words"), |b| {
            b.iter(|| {
                run = run.wrapping_add(1);
                let Some(mut stream) = RunStream::with_backend(black_box(seed), run, backend) else {
                    return;
                };
                for chunk in words_buf.chunks_mut(4096) {
                    stream.fill_months(chunk);
                }
                black_box(&words_buf);
            })
        });
    }

    let off: Vec<String> = Mechanisms::NAMES
        .iter()
        .map(|m| format!("mechanisms.{m}=false"))
        .collect();
    let (model_off, _) = model_with(&off);
    assert_eq!(
        model_off.words_per_run(),
        words,
        "switches never change the draws"
    );
    let mut ws_off = Workspace::new(&model_off);
    let mut run = 0u64;
    group.bench_function("baseline_mechanisms_off", |b| {
        b.iter(|| {
            run = run.wrapping_add(1);
            black_box(simulate(
                &model_off,
                black_box(seed),
                run,
                &mut ws_off,
                &mut Silent,
            ));
        })
    });
    group.finish();

    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("batch_10k_runs");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(12))
        .throughput(Throughput::Elements(BATCH_RUNS));
    let mut thread_counts = vec![1];
    if all > 1 {
        thread_counts.push(all);
    }
    for threads in thread_counts {
        group.bench_function(format!("threads_{threads}"), |b| {
            b.iter(|| {
                let batch = Batch {
                    model: &model,
                    seed,
                    first_run: 0,
                    runs: BATCH_RUNS,
                };
                let tally = batch
                    .run_with_threads(threads, &|_| {})
                    .expect("thread pool builds");
                assert_eq!(tally.runs, BATCH_RUNS);
                black_box(tally)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, engine_benches);
criterion_main!(benches);
