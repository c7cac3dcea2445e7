//! What one sandbox (one `Store`) holds: its limits, the bounded log, and the resource
//! limiter that caps linear memory and remembers the peak and any refusal.
//!
//! The log import reads the plugin's message where it lies, in the plugin's memory, and
//! copies only what the log keeps: a plugin logging megabytes in a loop makes the host
//! allocate nothing, and once it has offered more than [`MAX_LOG_OFFERED_BYTES`] in all
//! its run ends ([`LogFlood`]).

use super::bindings::Level;
use wasmtime::component::{Linker, WasmStr};
use wasmtime::{ResourceLimiter, StoreContextMut};

/// The log a plugin may write in one sandbox: the first lines only.
pub const MAX_LOG_LINES: usize = 64;
/// …and at most this many bytes in all.
pub const MAX_LOG_BYTES: usize = 8 << 10;
/// The most a plugin may offer the log in one run, kept or not: past it the run ends
/// ([`LogFlood`]). 100,000 short lines are well inside it.
pub const MAX_LOG_OFFERED_BYTES: usize = 1 << 20;

/// A plugin offered the log more than [`MAX_LOG_OFFERED_BYTES`]: the error the log import
/// ends the run with.
#[derive(Debug, thiserror::Error)]
#[error("the plugin logged more than {limit} bytes")]
pub struct LogFlood {
    /// The budget it went past.
    pub limit: usize,
}

/// One line of a plugin's log.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LogLine {
    /// `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// What the plugin wrote (cut to the log's byte budget).
    pub message: String,
}

/// The state of one store.
pub struct Sandbox {
    memory_limit: usize,
    table_elements_limit: usize,
    /// The largest linear memory granted, in bytes.
    pub peak_memory: usize,
    /// Set when a memory growth was refused: the run failed for lack of memory.
    pub memory_refused: bool,
    /// What the plugin logged.
    pub log: Vec<LogLine>,
    log_bytes: usize,
    /// Bytes the plugin offered the log, kept or not.
    log_offered: usize,
    /// Log lines dropped because the log was full.
    pub log_dropped: usize,
}

impl Sandbox {
    /// A sandbox whose linear memory may not exceed `memory_limit` bytes.
    pub fn new(memory_limit: usize) -> Self {
        Self {
            memory_limit,
            table_elements_limit: 100_000,
            peak_memory: 0,
            memory_refused: false,
            log: Vec::new(),
            log_bytes: 0,
            log_offered: 0,
            log_dropped: 0,
        }
    }

    /// The last `panic: …` line the SDK's panic hook logged, if any.
    pub fn panic_message(&self) -> Option<&str> {
        self.log
            .iter()
            .rev()
            .find_map(|line| line.message.strip_prefix("panic: "))
    }
}

impl ResourceLimiter for Sandbox {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            self.memory_refused = true;
            return Ok(false);
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.table_elements_limit)
    }

    fn instances(&self) -> usize {
        64
    }

    fn tables(&self) -> usize {
        64
    }

    fn memories(&self) -> usize {
        4
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

impl Sandbox {
    /// How many bytes of a message the log would keep now.
    fn log_room(&self) -> usize {
        if self.log.len() >= MAX_LOG_LINES {
            0
        } else {
            MAX_LOG_BYTES.saturating_sub(self.log_bytes)
        }
    }

    /// Counts `offered` bytes against the run's budget and keeps `kept` (at most
    /// [`Sandbox::log_room`] bytes of the message).
    fn log(&mut self, level: Level, offered: usize, kept: String) -> Result<(), LogFlood> {
        self.log_offered = self.log_offered.saturating_add(offered);
        if self.log_offered > MAX_LOG_OFFERED_BYTES {
            return Err(LogFlood {
                limit: MAX_LOG_OFFERED_BYTES,
            });
        }
        if self.log_room() == 0 {
            self.log_dropped += 1;
            return Ok(());
        }
        self.log_bytes += kept.len();
        self.log.push(LogLine {
            level: level_name(level),
            message: kept,
        });
        Ok(())
    }
}

/// Offers `remise:scenario/host@1.0.0`'s `log` to plugins. Unlike the import bindgen
/// generates, it lifts the message as a [`WasmStr`], a view of the plugin's memory, so the
/// host copies only the part the log keeps.
pub fn add_log_to_linker(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    linker.instance("remise:scenario/host@1.0.0")?.func_wrap(
        "log",
        |mut store: StoreContextMut<'_, Sandbox>, (level, message): (Level, WasmStr)| {
            let (offered, kept) = {
                let text = message.to_str(&store)?;
                let mut cut = text.len().min(store.data().log_room());
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                (text.len(), text[..cut].to_string())
            };
            store.data_mut().log(level, offered, kept)?;
            Ok(())
        },
    )
}
