//! Many hosts on one database: keeping this host's cached campaigns, group policies and
//! plugins in step with what other hosts write, and serving from that cache while the
//! database is briefly unreachable.
//!
//! Every write of campaigns, groups or plugins moves the store's generation on after it
//! ([`Service::changed`]). On PostgreSQL, each evaluation and commit first reads the
//! generation (one row, [`FRESHNESS_TIMEOUT`] at most) and reloads when another
//! host moved it, so a change made on one host is seen by every host's very next
//! evaluation; a poll every [`POLL_INTERVAL`] ([`keep_in_sync`]) reloads idle hosts too,
//! compiles plugins uploaded elsewhere before traffic needs them, and refreshes the budget
//! and cap usage evaluations check against. When the database does not answer, evaluations
//! go on with the cached state without waiting on it, and `/readyz` says the host is
//! degraded until the poll reaches the database again; commits, which must reach the
//! database, fail with a 503.

use super::{Service, ServiceError};
use crate::registry;
use crate::store::Backend;
use chrono::{DateTime, SecondsFormat, Utc};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError, Weak};
use std::time::Duration;

/// How long an evaluation waits to learn the generation before going on with the cache.
/// Long enough that a loaded database still answers in time (50 ms was not, under the
/// test suite's load, and the next evaluation then missed a change made elsewhere); the
/// plugins' time budget counts from after this check, and a host known to be degraded
/// skips it.
pub const FRESHNESS_TIMEOUT: Duration = Duration::from_millis(500);

/// How long the poll waits to learn the generation: it is off the request path, and
/// marks the host degraded when the database does not answer in that time.
const POLL_TIMEOUT: Duration = Duration::from_secs(1);

/// How often a host on PostgreSQL checks for changes made elsewhere without traffic.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How long a readiness check waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether the host can serve, for `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// The database answers.
    Ready,
    /// The database does not answer: evaluations are served from the cached campaigns,
    /// commits fail.
    Degraded {
        /// Why, for people.
        detail: String,
    },
}

impl Service {
    /// Records that campaigns, groups or plugins were just written (under the write lock):
    /// moves the generation on, and keeps this host's own mark on it when nothing else
    /// changed in between (else the next check reloads).
    pub(super) async fn changed(&self) {
        match self.store.bump_generation().await {
            Ok(generation) => {
                let _ = self.generation.compare_exchange(
                    generation - 1,
                    generation,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                );
            }
            // The write itself is stored; other hosts see it at their next reload.
            Err(error) => {
                tracing::warn!(%error, "the change could not be announced to other hosts")
            }
        }
    }

    /// Makes sure this host's cached state is as new as the database's, for a request
    /// (PostgreSQL only: a SQLite file has one host). Never fails: when the database does
    /// not answer within [`FRESHNESS_TIMEOUT`], the cached state serves (an error, or the
    /// poll's longer wait running out, marks the host degraded); while it is degraded,
    /// requests do not wait on the database for this, and the poll ([`keep_in_sync`])
    /// notices when it is back.
    pub(super) async fn ensure_fresh(&self) {
        if self.store.backend() == Backend::Sqlite || self.is_degraded() {
            return;
        }
        // A slow answer under load is not an outage: only an error marks the host degraded.
        let _ = self.check_generation(FRESHNESS_TIMEOUT, false).await;
    }

    /// Makes sure a commit runs on state as new as the database's (PostgreSQL only): a
    /// commit must not grant from a stale cache, so when the generation cannot be read
    /// the commit is refused (503).
    pub(super) async fn ensure_fresh_for_commit(&self) -> Result<(), ServiceError> {
        if self.store.backend() == Backend::Sqlite {
            return Ok(());
        }
        // No timeout of its own: the pool's acquire timeout bounds the wait, as it does
        // for the commit's transaction right after.
        if self.check_generation(Duration::MAX, true).await {
            Ok(())
        } else {
            Err(ServiceError::Unavailable(
                "the database does not answer: the order cannot be committed now".into(),
            ))
        }
    }

    /// Reads the generation (waiting `timeout` at most) and catches up when it moved on;
    /// whether the state is now known to be fresh. An error marks the host degraded, and
    /// so does running out of time when `timeout_is_outage`.
    async fn check_generation(&self, timeout: Duration, timeout_is_outage: bool) -> bool {
        match tokio::time::timeout(timeout, self.store.generation()).await {
            Ok(Ok(generation)) => {
                self.mark_reachable();
                if generation > self.generation.load(Ordering::Acquire) {
                    if let Err(error) = self.catch_up(generation).await {
                        tracing::warn!(%error, "reloading changes made on other hosts failed");
                        return false;
                    }
                }
                true
            }
            Ok(Err(_)) => {
                self.mark_unreachable();
                false
            }
            Err(_) => {
                if timeout_is_outage {
                    self.mark_unreachable();
                }
                false
            }
        }
    }

    /// Reloads plugins, campaigns and groups written elsewhere, up to at least `generation`.
    async fn catch_up(&self, generation: i64) -> Result<(), ServiceError> {
        let _catching_up = self.catching_up.lock().await;
        if self.generation.load(Ordering::Acquire) >= generation {
            return Ok(()); // another request caught up meanwhile
        }
        let mut registry = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        registry::load_uploaded(&self.store, &self.loader, &mut registry).await?;
        *self
            .registry
            .write()
            .unwrap_or_else(PoisonError::into_inner) = registry;
        self.reload().await?;
        self.generation.fetch_max(generation, Ordering::AcqRel);
        Ok(())
    }

    /// Re-reads every campaign's budget and cap usage, which other hosts' commits move.
    async fn refresh_usage(&self) -> Result<(), ServiceError> {
        let usage = self.store.usage().await?;
        self.evaluator.set_usage(usage);
        Ok(())
    }

    /// Whether the host can serve: the database answers, or it is degraded.
    pub async fn readiness(&self) -> Readiness {
        match tokio::time::timeout(READY_TIMEOUT, self.store.ping()).await {
            Ok(Ok(())) => {
                self.mark_reachable();
                Readiness::Ready
            }
            Ok(Err(_)) | Err(_) => {
                let since = self.mark_unreachable();
                Readiness::Degraded {
                    detail: format!(
                        "the database has not answered since {}: evaluations are answered \
                         from the campaigns cached then; commits and campaign changes fail \
                         with 503 until it is back",
                        since.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ),
                }
            }
        }
    }

    fn is_degraded(&self) -> bool {
        self.unreachable_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    fn mark_reachable(&self) {
        *self
            .unreachable_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Marks the database unreachable; since when it has been.
    fn mark_unreachable(&self) -> DateTime<Utc> {
        *self
            .unreachable_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(Utc::now)
    }
}

/// On PostgreSQL, checks for changes made by other hosts every [`POLL_INTERVAL`] and
/// refreshes budget usage, until the service is dropped.
pub fn keep_in_sync(service: &Arc<Service>) {
    if service.store.backend() == Backend::Sqlite {
        return;
    }
    let service: Weak<Service> = Arc::downgrade(service);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(POLL_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let Some(service) = service.upgrade() else {
                return;
            };
            service.check_generation(POLL_TIMEOUT, true).await;
            if let Ok(Err(error)) =
                tokio::time::timeout(POLL_INTERVAL * 4, service.refresh_usage()).await
            {
                tracing::warn!(%error, "budget usage not refreshed");
            }
        }
    });
}
