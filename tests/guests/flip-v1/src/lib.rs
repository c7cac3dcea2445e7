//! `flip` 1.0.0, a test plugin for uploads, rollbacks and hot swaps: it takes 10 % off the
//! order, so an answer shows which version priced it. `flip-v2` is its 2.0.0 (20 %),
//! built from the same body (`flip.rs`) with other constants.

/// The version this crate exports (read by the export, which native builds leave out).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const VERSION: &str = "1.0.0";
/// Percent off the order.
const PERCENT_OFF: u32 = 10;

include!("flip.rs");
