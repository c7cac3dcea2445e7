//! What one sandbox (one `Store`) holds: its limits, the bounded log, and the resource
//! limiter that caps linear memory and remembers the peak and any refusal.

use super::bindings::{remise::scenario::host, Level};
use wasmtime::ResourceLimiter;

/// The log a plugin may write in one sandbox: the first lines only.
pub const MAX_LOG_LINES: usize = 64;
/// …and at most this many bytes in all.
pub const MAX_LOG_BYTES: usize = 8 << 10;

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

impl host::Host for Sandbox {
    fn log(&mut self, level: Level, message: String) {
        let room = MAX_LOG_BYTES.saturating_sub(self.log_bytes);
        if self.log.len() >= MAX_LOG_LINES || room == 0 {
            self.log_dropped += 1;
            return;
        }
        let mut message = message;
        if message.len() > room {
            let mut cut = room;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        self.log_bytes += message.len();
        self.log.push(LogLine {
            level: level_name(level),
            message,
        });
    }
}
