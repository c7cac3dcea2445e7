//! A plugin version's latest failures, kept in memory on each host for ops' plugin page:
//! when, for which campaign, the typed reason and the message. Written only when a run
//! fails, so a plugin that never fails never touches it.

use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// How many failures each plugin version keeps.
pub const KEPT_FAILURES: usize = 20;

/// A failure's message is cut to this many bytes (on a character boundary).
const MESSAGE_BYTES: usize = 500;

/// One campaign a run could not answer for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// When it failed (this host's clock).
    pub at: DateTime<Utc>,
    /// The campaign.
    pub campaign: String,
    /// The typed reason: `fuel_exhausted`, `memory_exceeded`, `timeout`, `plugin_error`,
    /// `invalid_effects`, ….
    pub reason: &'static str,
    /// What happened, at most 500 bytes.
    pub message: String,
}

/// The latest [`KEPT_FAILURES`] failures of one plugin version, and how many there were.
#[derive(Debug, Default)]
pub struct FailureLog {
    latest: Mutex<VecDeque<Failure>>,
    total: AtomicU64,
}

impl FailureLog {
    /// Keeps `failure`, forgetting the oldest beyond [`KEPT_FAILURES`].
    pub fn record(&self, mut failure: Failure) {
        if failure.message.len() > MESSAGE_BYTES {
            let mut end = MESSAGE_BYTES;
            while !failure.message.is_char_boundary(end) {
                end -= 1;
            }
            failure.message.truncate(end);
        }
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        if latest.len() == KEPT_FAILURES {
            latest.pop_back();
        }
        latest.push_front(failure);
    }

    /// The failures kept, newest first.
    pub fn latest(&self) -> Vec<Failure> {
        let latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        latest.iter().cloned().collect()
    }

    /// How many failures this host saw since the version was loaded.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(campaign: &str, message: String) -> Failure {
        Failure {
            at: Utc::now(),
            campaign: campaign.into(),
            reason: "plugin_error",
            message,
        }
    }

    #[test]
    fn keeps_the_newest_first_and_counts_them_all() {
        let log = FailureLog::default();
        for i in 0..KEPT_FAILURES + 5 {
            log.record(failure(&format!("c{i}"), "boom".into()));
        }
        let latest = log.latest();
        assert_eq!(latest.len(), KEPT_FAILURES);
        assert_eq!(latest[0].campaign, format!("c{}", KEPT_FAILURES + 4));
        assert_eq!(latest[KEPT_FAILURES - 1].campaign, "c5");
        assert_eq!(
            log.total(),
            u64::try_from(KEPT_FAILURES + 5).expect("small")
        );
    }

    #[test]
    fn long_messages_are_cut_on_a_character() {
        let log = FailureLog::default();
        log.record(failure("c", "é".repeat(400)));
        let kept = &log.latest()[0].message;
        assert!(kept.len() <= MESSAGE_BYTES && kept.chars().all(|c| c == 'é'));
        assert_eq!(kept.len(), MESSAGE_BYTES);
    }
}
