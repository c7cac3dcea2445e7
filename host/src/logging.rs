//! Where the process's events go: `tracing` events and spans, filtered by `RUST_LOG`
//! (default `info`), written to stderr as text or JSON lines. Records of crates that log
//! through the `log` facade (sqlx's statements among them) become events too, so
//! `RUST_LOG=debug` shows them. hyper 1 emits no events of its own (its `tracing` is behind
//! an unstable cfg): the server loop logs each connection hyper ends with an error (a
//! header-read timeout, a malformed request) at `debug`.
//!
//! At `info`, no event carries a key, a password or a customer's id: keys are never
//! logged, database URLs are shown without their password, and customer and order ids
//! appear only at `debug`.

use clap::ValueEnum;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// How events are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The filter when `RUST_LOG` is unset: this crate and the others at `info`.
pub const DEFAULT_FILTER: &str = "info";

/// Installs the process's subscriber. A second call (tests) changes nothing.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, never in a file or a collector.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true);
    // Fails only when a subscriber is already installed: the first one stays.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// `url` with its password, if any, replaced by `***`, for logs and errors.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_a_log() {
        assert_eq!(
            redact_url("postgres://remise:s3cret@db:5432/remise?sslmode=require"),
            "postgres://remise:***@db:5432/remise?sslmode=require"
        );
        assert_eq!(redact_url("postgres://db/remise"), "postgres://db/remise");
        assert_eq!(redact_url("sqlite://remise.db"), "sqlite://remise.db");
    }
}
