//! The bounded log a plugin writes through the host (natively: standard error).

use crate::wit::remise::scenario::host;

pub use host::Level;

/// Writes one line to the evaluation's log. The host keeps the first few KiB and drops
/// the rest, so logging never fails and never grows without bound.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

/// Logs at `debug` level.
pub fn debug(message: &str) {
    log(Level::Debug, message)
}

/// Logs at `info` level.
pub fn info(message: &str) {
    log(Level::Info, message)
}

/// Logs at `warn` level.
pub fn warn(message: &str) {
    log(Level::Warn, message)
}

/// Logs at `error` level.
pub fn error(message: &str) {
    log(Level::Error, message)
}
