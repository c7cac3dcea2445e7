//! The runtime's typed errors: why a plugin could not be loaded, and why a run failed.
//! Each run failure maps to one of the API's machine-readable reasons.

use super::effects::InvalidEffect;
use serde::Serialize;

/// Why a `.wasm` cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a WebAssembly component (a core module, or not wasm at all).
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    /// The component imports something the host does not offer.
    #[error("imports `{0}`, which the host does not offer (only remise:scenario/host@1.0.0)")]
    ForbiddenImport(String),
    /// The component does not implement the world `remise:scenario@1.0.0`.
    #[error("does not implement the world remise:scenario@1.0.0: {0}")]
    NotAScenario(String),
    /// Its metadata could not be read, or is not valid.
    #[error("invalid metadata: {0}")]
    Metadata(String),
}

/// Why one run of a plugin produced no effects.
#[derive(Debug, Clone, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RunError {
    /// The plugin trapped: a panic, `unreachable`, a stack overflow, an out-of-bounds access.
    #[error("plugin trapped: {message}")]
    Trap {
        /// What happened, with the plugin's panic message when it left one.
        message: String,
    },
    /// It used up its fuel (instruction budget).
    #[error("plugin ran out of fuel ({limit} units)")]
    FuelExhausted {
        /// The budget it had.
        limit: u64,
    },
    /// It asked for more linear memory than it may have.
    #[error("plugin exceeded its memory limit ({limit} bytes)")]
    MemoryExceeded {
        /// The cap, in bytes.
        limit: usize,
    },
    /// It ran past its wall-clock deadline.
    #[error("plugin timed out after {limit_ms} ms")]
    Timeout {
        /// The deadline, in milliseconds.
        limit_ms: u64,
    },
    /// Its answer broke the contract.
    #[error("invalid effects: {detail}")]
    InvalidEffects {
        /// What was wrong.
        detail: String,
    },
    /// It handed the host more than it may in one call (an answer, prepared params,
    /// metadata or one log message): the host refused to copy it.
    #[error("the plugin handed the host more than {limit} bytes in one call")]
    OutputTooLarge {
        /// The most one call may hand the host, in bytes.
        limit: usize,
    },
    /// It offered its log more than it may in one run.
    #[error("plugin logged more than {limit} bytes")]
    LogFlood {
        /// The budget, in bytes.
        limit: usize,
    },
    /// The plugin itself reported an error (`scenario-error`).
    #[error("plugin error ({kind}): {message}")]
    Plugin {
        /// `invalid_params`, `unsupported` or `failed`.
        kind: &'static str,
        /// Its message.
        message: String,
    },
    /// No sandbox could be made (the pool is full); nothing of the plugin ran.
    #[error("no sandbox available: {message}")]
    Unavailable {
        /// Why.
        message: String,
    },
}

impl RunError {
    /// the API's machine-readable rejection reason.
    pub fn reason(&self) -> &'static str {
        match self {
            RunError::Trap { .. }
            | RunError::Plugin { .. }
            | RunError::Unavailable { .. }
            | RunError::LogFlood { .. } => "plugin_error",
            RunError::FuelExhausted { .. } => "fuel_exhausted",
            RunError::MemoryExceeded { .. } => "memory_exceeded",
            RunError::Timeout { .. } => "timeout",
            RunError::InvalidEffects { .. } | RunError::OutputTooLarge { .. } => "invalid_effects",
        }
    }
}

impl From<InvalidEffect> for RunError {
    fn from(error: InvalidEffect) -> Self {
        RunError::InvalidEffects {
            detail: error.to_string(),
        }
    }
}
