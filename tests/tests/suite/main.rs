//! The integration tests that can share one process, one module per subject: compiled and
//! linked as one binary, so the harness's generic code and the test dependencies are built
//! once, not once per file (on two cores that saves minutes of every build). Run one
//! subject with `cargo test --release -p remise-tests --test suite <module>::`.
//!
//! Four subjects keep a binary of their own: `metrics` and `suspended` read process-wide
//! counters and gauges that another module's servers would move, `saturation` measures
//! what a loaded server does, and `console` drives Chromium.

#[path = "../support/mod.rs"]
mod support;

mod api;
mod bounded_output;
mod cache;
mod catalogue;
mod clock;
mod cluster;
mod determinism;
mod engine;
mod faults;
mod hostile;
mod keys;
mod openapi_answers;
mod plugin_limits;
mod plugins;
mod properties;
mod redemptions;
mod scenarios;
mod server;
mod valid_looking_input;
