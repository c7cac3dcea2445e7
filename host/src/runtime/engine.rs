//! The one place the wasmtime `Engine` is configured, and the epoch ticker beside it.
//!
//! Every choice here was measured on the 2-core machine class: fuel
//! metering on (deterministic instruction budget), epoch interruption for the wall-clock
//! deadline, the pooling allocator so a fresh sandbox costs a few microseconds, and the
//! first 192 KiB of each linear memory kept resident between sandboxes (plugins link with a
//! 64 KiB stack, so one evaluation's pages are all in there and never fault).
//!
//! NaN canonicalisation is on: every float operation that may produce a NaN produces the one
//! canonical NaN, so a plugin computing with floats answers the same bits on every host
//! whatever its CPU (x86-64 and aarch64 produce NaNs of different signs and payloads).

use std::thread;
use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// The largest linear memory any plugin may be configured for (per-plugin limits are
/// enforced below it by the store's limiter).
pub const MAX_MEMORY_CEILING: usize = crate::model::plugin_limits::MAX_MEMORY_BYTES as usize;

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
        // The same NaN bits on every CPU, so every host answers alike (docs/plugin-contract.md).
        .cranelift_nan_canonicalization(true)
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{Instance, Module, Store};

    /// A core module exporting `div(f32, f32) -> i32`: the bits of the quotient.
    const DIV_BITS: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
        0x01, 0x07, 0x01, 0x60, 0x02, 0x7d, 0x7d, 0x01, 0x7f, // type: (f32, f32) -> i32
        0x03, 0x02, 0x01, 0x00, // function 0 of type 0
        0x07, 0x07, 0x01, 0x03, b'd', b'i', b'v', 0x00, 0x00, // export "div"
        0x0a, 0x0a, 0x01, 0x08, 0x00, // code: one body, no locals
        // local.get 0, local.get 1, f32.div, i32.reinterpret_f32, end
        0x20, 0x00, 0x20, 0x01, 0x95, 0xbc, 0x0b,
    ];

    #[test]
    fn a_nan_has_the_canonical_bits_on_every_cpu() {
        let engine = build_engine(PoolSize { instances: 2 }).expect("the engine");
        let module = Module::new(&engine, DIV_BITS).expect("a valid module");
        let mut store = Store::new(&engine, ());
        store.set_fuel(1_000_000).expect("fuel is on");
        store.set_epoch_deadline(1_000_000);
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let div = instance
            .get_typed_func::<(f32, f32), i32>(&mut store, "div")
            .expect("div");
        let bits = div.call(&mut store, (0.0, 0.0)).expect("0 / 0 runs") as u32;
        // x86-64 alone gives 0xffc00000 (its "default NaN" has the sign bit set).
        assert_eq!(
            bits, 0x7fc0_0000,
            "0 / 0 is the canonical NaN, got {bits:#010x}"
        );
        let bits = div
            .call(&mut store, (f32::INFINITY, f32::NEG_INFINITY))
            .expect("runs") as u32;
        assert_eq!(bits, 0x7fc0_0000, "inf / -inf too, got {bits:#010x}");
    }
}
