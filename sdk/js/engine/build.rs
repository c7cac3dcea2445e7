//! The engine leaves `wasm32-wasip2`'s link as a core module: `remise plugin build`
//! pre-initialises it with a scenario, then makes the component.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--skip-wit-component");
    }
}
