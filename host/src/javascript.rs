//! `remise plugin build scenario.js`: a JavaScript scenario made a plugin component with no
//! toolchain but this binary. The embedded engine (QuickJS in WebAssembly, `sdk/js/engine`)
//! loads the script once, and its memory is snapshotted with `wasmtime-wizer`, as
//! Shopify's JavaScript functions do, so every run starts with the script compiled; then
//! `wit-component` makes the core module the `remise:scenario` component.

mod declarations;

pub use declarations::{pascal, typescript};

use futures_util::FutureExt;
use wasmtime::{Caller, Config, Engine, Extern, Instance, Linker, Module, Store, Val};
use wasmtime_wizer::{InstanceState, SnapshotVal, Wizer};

include!(concat!(env!("OUT_DIR"), "/js_engine.rs"));

/// The engine's export that loads the scenario; the snapshot is taken after it.
const INIT: &str = "remise-js-init";
/// The engine's export that gives where to write the scenario's bytes.
const SOURCE: &str = "remise_js_source";
/// The largest scenario accepted: a plugin's whole upload is bounded by default at 5 MiB.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Fuel for loading a scenario: a large script compiles in well under this.
const LOAD_FUEL: u64 = 2_000_000_000;
/// Linear memory for loading a scenario: a plugin's own cap (`MAX_MEMORY_BYTES`).
const LOAD_MEMORY: usize = crate::model::plugin_limits::MAX_MEMORY_BYTES as usize;

/// The store's state while the scenario loads: what it logged, and its memory cap.
struct Loading {
    log: Vec<String>,
    limits: wasmtime::StoreLimits,
}

/// Why a scenario could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// This binary was built with `REMISE_SKIP_JS=1`.
    #[error("this remise was built without the JavaScript engine (REMISE_SKIP_JS was set)")]
    NoEngine,
    /// The script is larger than [`MAX_SOURCE_BYTES`].
    #[error("the scenario is {0} bytes; at most {MAX_SOURCE_BYTES} are accepted")]
    TooLarge(usize),
    /// The script failed to load: a syntax error, a missing export, a throw.
    #[error("{0}")]
    Scenario(String),
    /// The engine or the tools around it failed; not the script's fault.
    #[error("building the component failed: {0}")]
    Internal(String),
}

fn internal(error: impl std::fmt::Display) -> BuildError {
    BuildError::Internal(error.to_string())
}

/// The component for the JavaScript scenario `source` (an ES module exporting `metadata`,
/// `evaluate` and optionally `checkParams`).
pub fn build(source: &str) -> Result<Vec<u8>, BuildError> {
    let engine_module = ENGINE.ok_or(BuildError::NoEngine)?;
    if source.len() > MAX_SOURCE_BYTES {
        return Err(BuildError::TooLarge(source.len()));
    }
    let mut wizer = Wizer::new();
    wizer.init_func(INIT);
    let (context, instrumented) = wizer.instrument(engine_module).map_err(internal)?;
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).map_err(internal)?;
    let module = Module::new(&engine, &instrumented).map_err(internal)?;
    let mut linker: Linker<Loading> = Linker::new(&engine);
    linker
        .func_wrap("remise:scenario/host@1.0.0", "log", keep_log)
        .map_err(internal)?;
    linker
        .define_unknown_imports_as_traps(&module)
        .map_err(internal)?;
    let limits = wasmtime::StoreLimitsBuilder::new()
        .memory_size(LOAD_MEMORY)
        .build();
    let mut store = Store::new(
        &engine,
        Loading {
            log: Vec::new(),
            limits,
        },
    );
    store.limiter(|loading| &mut loading.limits);
    store.set_fuel(LOAD_FUEL).map_err(internal)?;
    let instance = linker.instantiate(&mut store, &module).map_err(internal)?;
    if let Some(initialize) = instance.get_func(&mut store, "_initialize") {
        initialize
            .typed::<(), ()>(&store)
            .and_then(|f| f.call(&mut store, ()))
            .map_err(internal)?;
    }
    let at = instance
        .get_typed_func::<u32, u32>(&mut store, SOURCE)
        .and_then(|f| f.call(&mut store, source.len() as u32))
        .map_err(internal)?;
    let memory = instance
        .get_memory(&mut store, "memory")
        .ok_or_else(|| internal("the engine exports no memory"))?;
    memory
        .write(&mut store, at as usize, source.as_bytes())
        .map_err(internal)?;
    let loaded = instance
        .get_typed_func::<(), ()>(&mut store, INIT)
        .and_then(|f| f.call(&mut store, ()));
    if let Err(trap) = loaded {
        let said = store.data().log.join("\n");
        return Err(if said.is_empty() {
            BuildError::Scenario(format!("the scenario did not load: {trap}"))
        } else {
            BuildError::Scenario(said)
        });
    }
    let mut state = Snapshotted {
        store: &mut store,
        instance,
    };
    let snapshot = wizer
        .snapshot(&context, &mut state)
        .now_or_never()
        .ok_or_else(|| internal("the snapshot waited on nothing and still did not finish"))?
        .map_err(internal)?;
    let component = wit_component::ComponentEncoder::default()
        .module(&snapshot)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(internal)?;
    // The language ops' plugin page shows (`runtime::producers`).
    let mut producers = wasm_metadata::Producers::empty();
    producers.add(
        "processed-by",
        crate::runtime::producers::JAVASCRIPT_BUILDER,
        env!("CARGO_PKG_VERSION"),
    );
    producers.add_to_wasm(&component).map_err(internal)
}

/// `log(level, message)` while the scenario loads: what it says explains a failure.
fn keep_log(mut caller: Caller<'_, Loading>, _level: i32, at: i32, len: i32) {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return;
    };
    let mut bytes = vec![0; (len as u32 as usize).min(64 << 10)];
    if memory.read(&caller, at as u32 as usize, &mut bytes).is_ok() {
        let line = String::from_utf8_lossy(&bytes).into_owned();
        caller.data_mut().log.push(line);
    }
}

/// What wizer reads of the instance after the scenario loaded.
struct Snapshotted<'a> {
    store: &'a mut Store<Loading>,
    instance: Instance,
}

impl InstanceState for Snapshotted<'_> {
    async fn global_get(&mut self, name: &str, _: wasmtime::wasmparser::ValType) -> SnapshotVal {
        // wizer asks only for the globals its instrumentation exported.
        let value = self
            .instance
            .get_global(&mut *self.store, name)
            .map(|global| global.get(&mut *self.store));
        match value {
            Some(Val::I64(x)) => SnapshotVal::I64(x),
            Some(Val::F32(x)) => SnapshotVal::F32(x),
            Some(Val::F64(x)) => SnapshotVal::F64(x),
            Some(Val::V128(x)) => SnapshotVal::V128(x.as_u128()),
            Some(Val::I32(x)) => SnapshotVal::I32(x),
            _ => SnapshotVal::I32(0),
        }
    }

    async fn memory_contents(&mut self, name: &str, contents: impl FnOnce(&[u8]) + Send) {
        match self.instance.get_memory(&mut *self.store, name) {
            Some(memory) => contents(memory.data(&*self.store)),
            None => contents(&[]),
        }
    }
}
