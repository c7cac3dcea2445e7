//! The one place the wasmtime `Engine` is configured, and the epoch ticker beside it.
//!
//! Every choice here was measured on the 2-core machine class: fuel
//! metering on (deterministic instruction budget), epoch interruption for the wall-clock
//! deadline, the pooling allocator so a fresh sandbox costs a few microseconds, and the
//! first 192 KiB of each linear memory kept resident between sandboxes (plugins link with a
//! 64 KiB stack, so one evaluation's pages are all in there and never fault).

use std::thread;
use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// The largest linear memory any plugin may be configured for (per-plugin limits are
/// enforced below it by the store's limiter).
pub const MAX_MEMORY_CEILING: usize = 256 << 20;

/// Sizes of the sandbox pool.
#[derive(Clone, Copy, Debug)]
pub struct PoolSize {
    /// Sandboxes alive at once (evaluations in flight × plugins per evaluation).
    pub instances: u32,
}

impl Default for PoolSize {
    fn default() -> Self {
        Self { instances: 1_000 }
    }
}

/// Builds the engine every plugin is compiled for and run in.
pub fn build_engine(pool: PoolSize) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .consume_fuel(true)
        .epoch_interruption(true)
        .wasm_backtrace_max_frames(None)
        .parallel_compilation(true);
    let mut pooling = PoolingAllocationConfig::default();
    let instances = pool.instances;
    pooling
        .total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(8))
        .total_memories(instances)
        .total_tables(instances.saturating_mul(8))
        .max_memory_size(MAX_MEMORY_CEILING)
        .linear_memory_keep_resident(192 << 10)
        .table_keep_resident(64 << 10);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    Engine::new(&config)
}

/// Advances `engine`'s epoch every [`EPOCH_TICK`] until the engine is dropped.
pub fn spawn_epoch_ticker(engine: &Engine) -> std::io::Result<()> {
    let weak = engine.weak();
    thread::Builder::new()
        .name("remise-epoch".into())
        .spawn(move || loop {
            thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        })
        .map(drop)
}
