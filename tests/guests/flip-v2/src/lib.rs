//! `flip` 2.0.0, a test plugin for uploads, rollbacks and hot swaps: it takes 20 % off the
//! order, so an answer shows which version priced it (1.0.0 takes 10 %).

/// The version this crate exports (read by the export, which native builds leave out).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const VERSION: &str = "2.0.0";
/// Percent off the order.
const PERCENT_OFF: u32 = 20;

include!("../../flip-v1/src/flip.rs");
