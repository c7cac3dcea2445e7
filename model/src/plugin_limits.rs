//! A plugin's own limits, as ops set them (`PUT /v1/plugins/{name}/limits`): fuel, linear
//! memory, wall-clock deadline and upload size, each unset (the server's default) or a
//! value inside the server-wide bounds below. They apply to every version of the plugin.

use super::FieldProblem;
use serde::{Deserialize, Serialize};

/// The least fuel a plugin may be given.
pub const MIN_FUEL: u64 = 1_000;
/// The most fuel a plugin may be given (for a basket of up to 200 lines): 100 × the default.
pub const MAX_FUEL: u64 = 1_000_000_000;
/// The least linear memory a plugin may be given: 1 MiB.
pub const MIN_MEMORY_BYTES: u64 = 1 << 20;
/// The most linear memory a plugin may be given: 256 MiB, the sandbox pool's slot size.
pub const MAX_MEMORY_BYTES: u64 = 256 << 20;
/// The longest deadline a plugin may be given, in milliseconds: an evaluation's whole time
/// for plugins, so a longer one could never be used.
pub const MAX_DEADLINE_MS: u64 = 100;
/// The smallest upload size a plugin may be given: 1 KiB.
pub const MIN_UPLOAD_BYTES: u64 = 1 << 10;

/// The limits ops set on one plugin; `None` is the server's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginLimits {
    /// Fuel for a basket of up to 200 lines (then scaled with the basket, ×10 at most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Linear memory cap, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// Wall-clock deadline of one run, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// The largest component an upload of this plugin may send, in bytes (at most the
    /// server's `--max-plugin-bytes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_bytes: Option<u64>,
}

impl PluginLimits {
    /// Checks every value against the server-wide bounds; `max_upload_bytes` is the
    /// server's own upload limit.
    pub fn validate(&self, max_upload_bytes: u64) -> Result<(), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut check = |pointer: &str, value: Option<u64>, min: u64, max: u64, unit: &str| {
            if let Some(value) = value {
                if !(min..=max).contains(&value) {
                    problems.push(FieldProblem::new(
                        pointer,
                        format!("{value} is not from {min} to {max}{unit}"),
                    ));
                }
            }
        };
        check("/fuel", self.fuel, MIN_FUEL, MAX_FUEL, "");
        check(
            "/memory_bytes",
            self.memory_bytes,
            MIN_MEMORY_BYTES,
            MAX_MEMORY_BYTES,
            " bytes",
        );
        check("/deadline_ms", self.deadline_ms, 1, MAX_DEADLINE_MS, " ms");
        check(
            "/upload_bytes",
            self.upload_bytes,
            MIN_UPLOAD_BYTES,
            max_upload_bytes.max(MIN_UPLOAD_BYTES),
            " bytes (the server's --max-plugin-bytes)",
        );
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The largest upload of this plugin: its own limit, never above the server's.
    pub fn upload_limit(&self, server_max: usize) -> usize {
        self.upload_bytes
            .and_then(|bytes| usize::try_from(bytes).ok())
            .map_or(server_max, |bytes| bytes.min(server_max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_limits_are_valid_and_the_default() {
        assert_eq!(PluginLimits::default().validate(4 << 20), Ok(()));
        assert_eq!(PluginLimits::default().upload_limit(4 << 20), 4 << 20);
    }

    #[test]
    fn each_value_out_of_bounds_is_named_by_its_pointer() {
        let limits = PluginLimits {
            fuel: Some(0),
            memory_bytes: Some(MAX_MEMORY_BYTES + 1),
            deadline_ms: Some(0),
            upload_bytes: Some(5 << 20),
        };
        let problems = limits.validate(4 << 20).expect_err("refused");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/fuel", "/memory_bytes", "/deadline_ms", "/upload_bytes"]
        );
        let within = PluginLimits {
            fuel: Some(MIN_FUEL),
            memory_bytes: Some(MAX_MEMORY_BYTES),
            deadline_ms: Some(MAX_DEADLINE_MS),
            upload_bytes: Some(4 << 20),
        };
        assert_eq!(within.validate(4 << 20), Ok(()));
    }

    #[test]
    fn the_upload_limit_never_exceeds_the_servers() {
        let limits = PluginLimits {
            upload_bytes: Some(2 << 20),
            ..PluginLimits::default()
        };
        assert_eq!(limits.upload_limit(4 << 20), 2 << 20);
        assert_eq!(limits.upload_limit(1 << 20), 1 << 20);
    }
}
