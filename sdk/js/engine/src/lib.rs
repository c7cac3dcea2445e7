//! The JavaScript engine of Remise plugins: QuickJS in WebAssembly, running one scenario
//! written in JavaScript behind the `remise:scenario` world. `remise plugin build` loads
//! the scenario into it once and snapshots the result, so a run starts with the script
//! already compiled and its exports looked up.

// Only a WebAssembly build has an engine; natively the crate is empty.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::missing_safety_doc)]

mod decimal;
mod js;
mod quick;
mod values;

use js::Engine;
use quick::Failure;
use std::cell::UnsafeCell;

wit_bindgen::generate!({ path: "../../wit/v1", world: "scenario" });

/// The engine the snapshot holds: set once by [`remise_js_init`], read by every export.
struct Slot(UnsafeCell<Option<Engine>>);

// SAFETY: a WebAssembly instance runs one thread.
unsafe impl Sync for Slot {}

static ENGINE: Slot = Slot(UnsafeCell::new(None));

/// The scenario's source, written by the builder before it calls [`remise_js_init`].
struct Source(UnsafeCell<Vec<u8>>);

// SAFETY: as above.
unsafe impl Sync for Source {}

static SOURCE: Source = Source(UnsafeCell::new(Vec::new()));

fn engine() -> &'static mut Engine {
    // SAFETY: one thread; the builder initialised it before the snapshot.
    match unsafe { &mut *ENGINE.0.get() } {
        Some(engine) => engine,
        None => fatal("this component was not built by `remise plugin build`"),
    }
}

fn fatal(message: &str) -> ! {
    remise::scenario::host::log(remise::scenario::host::Level::Error, message);
    std::process::abort()
}

/// Where the builder writes the scenario's `len` bytes of UTF-8.
#[no_mangle]
pub extern "C" fn remise_js_source(len: u32) -> *mut u8 {
    // SAFETY: one thread.
    let source = unsafe { &mut *SOURCE.0.get() };
    *source = vec![0; len as usize + 1];
    source.as_mut_ptr()
}

/// Loads the scenario written by [`remise_js_source`]; the builder snapshots what follows.
#[export_name = "remise-js-init"]
pub extern "C" fn remise_js_init() {
    // SAFETY: one thread.
    let source = std::mem::take(unsafe { &mut *SOURCE.0.get() });
    match Engine::load(source) {
        // SAFETY: one thread.
        Ok(engine) => unsafe { *ENGINE.0.get() = Some(engine) },
        Err(failure) => fatal(&failure.message),
    }
}

struct Scenario;

impl Guest for Scenario {
    fn metadata() -> Metadata {
        engine().metadata.clone()
    }

    fn check_params(params_json: String) -> Result<Vec<u8>, Vec<ParamProblem>> {
        engine().check_params(params_json)
    }

    fn evaluate(
        basket: Basket,
        context: Context,
        campaigns: Vec<Campaign>,
    ) -> Vec<Result<Vec<Effect>, ScenarioError>> {
        let engine = engine();
        match engine.evaluate(&basket, &context, &campaigns) {
            Ok(answers) => answers,
            Err(Failure { message }) => campaigns
                .iter()
                .map(|_| Err(ScenarioError::Failed(message.clone())))
                .collect(),
        }
    }
}

export!(Scenario);

/// QuickJS reads the clock for `Date` and its random seed; a plugin has no clock (the
/// context gives the time), and WASI's clock traps in the sandbox.
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub unsafe extern "C" fn clock_gettime(_clock: i32, out: *mut u8) -> i32 {
    std::ptr::write_bytes(out, 0, 16);
    0
}

/// As [`clock_gettime`].
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub unsafe extern "C" fn gettimeofday(out: *mut u8, _zone: *mut u8) -> i32 {
    std::ptr::write_bytes(out, 0, 16);
    0
}
