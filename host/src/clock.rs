//! The server's clock: the time commits are priced at and recorded on, and the `at` of an
//! evaluation that names none. One value the service holds, so a test can hold it still.

use chrono::{DateTime, Utc};
use std::sync::{Arc, PoisonError, RwLock};

/// Where "now" comes from: the system's clock, or a clock held at a time that moves only
/// when it is [`Clock::set`] (tests of day boundaries, expiries and per-day limits).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    held: Option<Arc<RwLock<DateTime<Utc>>>>,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Clock {
        Clock { held: None }
    }

    /// A clock held at `at`, which moves only when set.
    pub fn held_at(at: DateTime<Utc>) -> Clock {
        Clock {
            held: Some(Arc::new(RwLock::new(at))),
        }
    }

    /// Now, by this clock.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.held {
            Some(held) => *held.read().unwrap_or_else(PoisonError::into_inner),
            None => Utc::now(),
        }
    }

    /// Moves a held clock (and every copy of it) to `at`; `false` for the system's clock,
    /// which cannot be moved.
    pub fn set(&self, at: DateTime<Utc>) -> bool {
        match &self.held {
            Some(held) => {
                *held.write().unwrap_or_else(PoisonError::into_inner) = at;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_clock_moves_only_when_set_and_every_copy_with_it() {
        let start = DateTime::parse_from_rfc3339("2026-03-08T12:00:00+01:00")
            .map(|at| at.with_timezone(&Utc))
            .expect("a time");
        let clock = Clock::held_at(start);
        let copy = clock.clone();
        assert_eq!(copy.now(), start);
        let later = start + chrono::Duration::hours(12);
        assert!(clock.set(later));
        assert_eq!(copy.now(), later);
        assert!(!Clock::system().set(later));
        assert!((Clock::system().now() - Utc::now()).num_seconds().abs() < 60);
    }
}
