//! A restart with 100 plugins: the time `Runtime::load` takes for all of them (a) compiling
//! each from scratch, (b) in a fresh runtime whose cache directory an earlier one filled
//! (files in the page cache: a restart, not a cold boot), (c) from the memory cache of the
//! same runtime (a reload of known bytes). Every load still checks the component and reads
//! its metadata in a sandbox; only the compilation differs.
//!
//! The 100 plugins are the six catalogue plugins, each with a different custom section
//! appended (`remise_tests::with_custom_section`): 100 distinct byte strings, so 100
//! distinct sha256 and 100 compilations, of six kinds of code.
//!
//! `cargo bench -p remise-tests --bench restart` (about 5 minutes on 2 cores); prints the
//! medians and ratios at the end. Compiling 100 plugins takes tens of seconds, more than
//! criterion's ten samples can afford, so (a) is timed by hand: the median of 3 fresh
//! runtimes. (b) and (c) are criterion's. Run as a test (`cargo test --all-targets`, no
//! `--bench`), it loads 12 plugins once each way, as a smoke run.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use remise::registry::Loader;
use remise::runtime::engine::PoolSize;
use remise::runtime::{Limits, Plugin, Runtime};
use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether this is `cargo bench` (criterion's measurements) rather than a smoke run.
fn full() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// How many plugins, and how many from-scratch runs: the full figures under `cargo
/// bench`, a smoke run under `cargo test`.
fn sizes() -> (usize, usize) {
    if full() {
        (100, 3)
    } else {
        (12, 1)
    }
}

const CATALOGUE: [&str; 6] = [
    "threshold-discount",
    "buy-x-get-y",
    "bundle-price",
    "loyalty-reward",
    "free-gift",
    "points-multiplier",
];

/// `count` distinct components: catalogue plugin `i % 6`, marked with `i`.
fn plugins(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let base = remise_tests::catalogue(CATALOGUE[i % CATALOGUE.len()]);
            remise_tests::with_custom_section(base, "remise-bench", &(i as u32).to_le_bytes())
        })
        .collect()
}

fn runtime(cache_dir: Option<&Path>) -> Loader {
    let runtime = Runtime::with_pool(PoolSize::default()).expect("the runtime starts");
    Loader::new(Arc::new(runtime), cache_dir.map(Path::to_path_buf))
        .expect("the cache dir is private")
}

fn load_all(runtime: &Loader, plugins: &[Vec<u8>]) -> Vec<Plugin> {
    plugins
        .iter()
        .map(|bytes| runtime.load(bytes, Limits::default()).expect("loads"))
        .collect()
}

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion")
}

fn bench(c: &mut Criterion) {
    let (count, runs) = sizes();
    let plugins = plugins(count);
    let temp = tempfile::tempdir().expect("a temporary dir");
    let cache_dir = temp.path().join("cache");

    // (a), by hand: each run a fresh runtime without a cache dir.
    let mut compile_ms: Vec<f64> = (0..runs)
        .map(|_| {
            let runtime = runtime(None);
            let started = Instant::now();
            let loaded = load_all(&runtime, &plugins);
            let ms = started.elapsed().as_secs_f64() * 1e3;
            assert_eq!(runtime.cache_stats().compiled, count as u64);
            drop((loaded, runtime));
            ms
        })
        .collect();
    compile_ms.sort_by(f64::total_cmp);
    let compile = compile_ms[compile_ms.len() / 2];
    println!("{count} plugins compiled from scratch: {compile_ms:.0?} ms");

    // Fill the cache directory once, and check each case below does what its name says.
    let started = Instant::now();
    let filler = runtime(Some(&cache_dir));
    let loaded = load_all(&filler, &plugins);
    let stats = filler.cache_stats();
    assert_eq!(
        (stats.compiled, stats.disk_writes),
        (count as u64, count as u64),
        "{stats:?}"
    );
    let distinct: HashSet<&str> = loaded.iter().map(|p| p.sha256()).collect();
    assert_eq!(distinct.len(), count, "distinct components");
    println!(
        "filling the cache dir (compiling and writing): {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    drop((loaded, filler));
    let started = Instant::now();
    let check = runtime(Some(&cache_dir));
    println!(
        "a fresh runtime (engine, pool of 1,000 sandboxes, linker): {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    drop(load_all(&check, &plugins));
    let stats = check.cache_stats();
    assert_eq!(
        (stats.disk_hits, stats.compiled),
        (count as u64, 0),
        "{stats:?}"
    );
    drop(load_all(&check, &plugins));
    assert_eq!(check.cache_stats().memory_hits, count as u64);
    drop(check);

    let mut group = c.benchmark_group("restart-100-plugins");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("disk-cache", |b| {
        b.iter_batched(
            || runtime(Some(&cache_dir)),
            |runtime| {
                let loaded = load_all(&runtime, &plugins);
                (runtime, loaded)
            },
            BatchSize::PerIteration,
        )
    });
    let warm = runtime(None);
    drop(load_all(&warm, &plugins));
    group.bench_function("memory-cache", |b| {
        b.iter_batched(
            || (),
            |()| load_all(&warm, &plugins),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    // A smoke run measures nothing: the estimates on disk would be an earlier run's.
    let (true, Some(disk), Some(memory)) =
        (full(), median_ms("disk-cache"), median_ms("memory-cache"))
    else {
        return;
    };
    println!("\nloading {count} plugins (medians; per plugin in brackets):");
    for (what, ms) in [
        ("compiled from scratch", compile),
        ("fresh runtime, warm cache dir", disk),
        ("same runtime, memory cache", memory),
    ] {
        println!(
            "  {what:<30} {ms:>9.1} ms  ({:>7.2} ms)  {:>6.1}× faster than compiling",
            ms / count as f64,
            compile / ms
        );
    }
}

fn median_ms(function: &str) -> Option<f64> {
    let path = output_dir()
        .join("restart-100-plugins")
        .join(function)
        .join("new/estimates.json");
    let estimates: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(estimates["median"]["point_estimate"].as_f64()? / 1e6)
}

fn config() -> Criterion {
    Criterion::default().output_directory(&output_dir())
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);
