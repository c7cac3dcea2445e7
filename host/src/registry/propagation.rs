//! Propagation between hosts on one database: how a host learns that another wrote
//! plugins, campaigns or groups, catches up, tells others of its own writes, and keeps
//! serving from what it holds while the database is briefly unreachable.
//!
//! Every write of campaigns, groups or plugins moves the store's generation on after it
//! ([`Propagation::announce`]); an announcement that fails is owed and retried by the poll
//! until it lands, so no write stays unseen by other hosts. On PostgreSQL, each evaluation
//! and commit first reads the generation (one row, [`FRESHNESS_TIMEOUT`] at most) and has
//! the [`Replica`] catch up when another host moved it, so a change made on one host is
//! seen by every host's very next evaluation; a poll every [`POLL_INTERVAL`]
//! ([`keep_in_sync`]) catches idle hosts up too, compiles plugins uploaded elsewhere before
//! traffic needs them, and refreshes the budget and cap usage evaluations check against.
//! When the database does not answer, evaluations go on with the cached state without
//! waiting on it, and `/readyz` says the host is degraded until the poll reaches the
//! database again; commits, which must reach the database, fail with a 503.
//!
//! What a catch-up reloads is the replica's (the service's); this module knows only the
//! generation, the host's mark on it, and whether the database answers.

use crate::store::{Backend, Store};
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

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

/// How long one readiness probe's finding answers `/readyz`: the database is asked at
/// most this often, however often `/readyz` is called, and on a connection reserved for
/// commits and the probe, so a burst of `/readyz` costs the pool nothing.
pub const READINESS_MAX_AGE: Duration = Duration::from_secs(1);

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

/// What a host holds that other hosts' writes make stale: the service, which reloads
/// plugins, campaigns and groups, and the usage evaluations check against.
pub trait Replica: Send + Sync + 'static {
    /// Why a reload failed.
    type Error: Display + Send;

    /// The database shared with the other hosts.
    fn store(&self) -> &Store;

    /// This host's mark on the generation.
    fn propagation(&self) -> &Propagation;

    /// Reloads everything other hosts may have written: plugin versions (added and
    /// deleted), the version each plugin follows, campaigns and groups.
    fn catch_up(&self) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Re-reads every campaign's budget and cap usage, which other hosts' commits move.
    fn refresh_usage(&self) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// One host's mark on the store's generation, and whether the database answers.
pub struct Propagation {
    /// The store generation the cached campaigns, groups and plugins reflect.
    generation: AtomicI64,
    /// One catch-up at a time.
    catching_up: tokio::sync::Mutex<()>,
    /// How many of this host's announcements failed since the last one that landed: its
    /// writes other hosts have not been told of yet.
    announcements_owed: AtomicU64,
    /// Since when the database has not answered, while it does not.
    unreachable_since: Mutex<Option<DateTime<Utc>>>,
    /// The last readiness probe: when it ended, and whether the database answered it.
    last_probe: Mutex<Option<(Instant, bool)>>,
    /// One readiness probe at a time.
    probing: tokio::sync::Mutex<()>,
}

impl Propagation {
    /// A host whose state reflects `generation` (read before loading it).
    pub fn new(generation: i64) -> Self {
        Self {
            generation: AtomicI64::new(generation),
            catching_up: tokio::sync::Mutex::new(()),
            announcements_owed: AtomicU64::new(0),
            unreachable_since: Mutex::new(None),
            last_probe: Mutex::new(None),
            probing: tokio::sync::Mutex::new(()),
        }
    }

    /// Tells other hosts that campaigns, groups or plugins were just written (call it
    /// under the write lock, after the write): moves the generation on, and keeps this
    /// host's own mark on it when nothing else changed in between (else the next check
    /// catches up). When the database refuses, the announcement is owed, and the poll
    /// retries it until it lands; whether it landed now.
    pub async fn announce(&self, store: &Store) -> bool {
        match self.bump(store).await {
            Ok(()) => true,
            Err(error) => {
                self.announcements_owed.fetch_add(1, Ordering::AcqRel);
                tracing::warn!(%error, "a change is not announced to other hosts yet: retried until it is");
                false
            }
        }
    }

    /// Moves the generation on, keeping this host's mark on it when it was the latest.
    async fn bump(&self, store: &Store) -> Result<(), crate::store::StoreError> {
        let generation = store.bump_generation().await?;
        let _ = self.generation.compare_exchange(
            generation - 1,
            generation,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        Ok(())
    }

    /// Retries an owed announcement, if any (the writes it tells of are stored: any bump
    /// made after them announces them all).
    async fn pay_owed_announcement(&self, store: &Store) {
        let owed = self.announcements_owed.load(Ordering::Acquire);
        if owed == 0 {
            return;
        }
        match self.bump(store).await {
            // An announcement that failed meanwhile may be of a write stored after this
            // bump: it stays owed.
            Ok(()) => {
                if self
                    .announcements_owed
                    .compare_exchange(owed, 0, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    tracing::info!("changes that could not be announced earlier now are");
                }
            }
            Err(error) => tracing::debug!(%error, "an owed announcement is still refused"),
        }
    }

    /// Whether a write of this host is not yet known to the others.
    pub fn owes_announcement(&self) -> bool {
        self.announcements_owed.load(Ordering::Acquire) > 0
    }

    /// Whether the database has not answered since some instant: evaluations then answer
    /// from what this host holds, and wait for no read.
    pub fn is_degraded(&self) -> bool {
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

    /// Whether the host can serve: the database answers, or it is degraded. The database
    /// is asked at most once per [`READINESS_MAX_AGE`]; meanwhile, and while another call
    /// asks it, the last finding answers.
    pub async fn readiness(&self, store: &Store) -> Readiness {
        let answered = match self.last_probe(true) {
            Some(answered) => answered,
            None => match self.probing.try_lock() {
                Ok(_probing) => self.probe(store).await,
                // Another call is asking: its last finding, or (on the very first) its own.
                Err(_) => match self.last_probe(false) {
                    Some(answered) => answered,
                    None => {
                        let _probing = self.probing.lock().await;
                        match self.last_probe(false) {
                            Some(answered) => answered,
                            None => self.probe(store).await,
                        }
                    }
                },
            },
        };
        if !answered {
            let since = self.mark_unreachable();
            return Readiness::Degraded {
                detail: format!(
                    "the database has not answered since {}: evaluations are answered \
                     from the campaigns cached then; commits and campaign changes fail \
                     with 503 until it is back",
                    since.to_rfc3339_opts(SecondsFormat::Secs, true)
                ),
            };
        }
        if self.owes_announcement() {
            return Readiness::Degraded {
                detail: "a change made on this host has not reached the other hosts yet: \
                         it is retried until it does"
                    .into(),
            };
        }
        Readiness::Ready
    }

    /// Whether the database answered the last probe; `None` when there was none, or (if
    /// `recent_only`) when it is older than [`READINESS_MAX_AGE`].
    fn last_probe(&self, recent_only: bool) -> Option<bool> {
        let last = *self
            .last_probe
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        last.filter(|(at, _)| !recent_only || at.elapsed() < READINESS_MAX_AGE)
            .map(|(_, answered)| answered)
    }

    /// Asks the database whether it answers, and remembers what it said.
    async fn probe(&self, store: &Store) -> bool {
        let answered = matches!(
            tokio::time::timeout(READY_TIMEOUT, store.ping()).await,
            Ok(Ok(()))
        );
        if answered {
            self.mark_reachable();
        } else {
            self.mark_unreachable();
        }
        *self
            .last_probe
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), answered));
        answered
    }
}

/// Makes sure `replica`'s cached state is as new as the database's, for a request
/// (PostgreSQL only: a SQLite file has one host). Never fails: when the database does not
/// answer within [`FRESHNESS_TIMEOUT`], the cached state serves (an error, or the poll's
/// longer wait running out, marks the host degraded); while it is degraded, requests do not
/// wait on the database for this, and the poll ([`keep_in_sync`]) notices when it is back.
pub async fn ensure_fresh<R: Replica>(replica: &R) {
    if replica.store().backend() == Backend::Sqlite || replica.propagation().is_degraded() {
        return;
    }
    // A slow answer under load is not an outage: only an error marks the host degraded.
    let _ = check(replica, FRESHNESS_TIMEOUT, false, Connections::Shared).await;
}

/// Makes sure a commit runs on state as new as the database's (PostgreSQL only): a commit
/// must not grant from a stale cache; whether it is (when the generation cannot be read,
/// the commit must be refused).
pub async fn ensure_fresh_for_commit<R: Replica>(replica: &R) -> bool {
    if replica.store().backend() == Backend::Sqlite {
        return true;
    }
    // No timeout of its own: the pool's acquire timeout and the statement timeout bound
    // the wait, as they do for the commit's transaction right after.
    check(replica, Duration::MAX, true, Connections::Reserved).await
}

/// Which of the store's connections a check reads the generation on.
#[derive(Clone, Copy)]
enum Connections {
    /// Those every request shares.
    Shared,
    /// Those reserved for commits ([`Store::generation_for_commit`]).
    Reserved,
}

/// Reads the generation (waiting `timeout` at most) and catches up when it moved on;
/// whether the state is now known to be fresh. An error marks the host degraded, and so
/// does running out of time when `timeout_is_outage`.
async fn check<R: Replica>(
    replica: &R,
    timeout: Duration,
    timeout_is_outage: bool,
    connections: Connections,
) -> bool {
    let propagation = replica.propagation();
    let store = replica.store();
    let generation = async {
        match connections {
            Connections::Shared => store.generation().await,
            Connections::Reserved => store.generation_for_commit().await,
        }
    };
    match tokio::time::timeout(timeout, generation).await {
        Ok(Ok(generation)) => {
            propagation.mark_reachable();
            if generation > propagation.generation.load(Ordering::Acquire) {
                let _catching_up = propagation.catching_up.lock().await;
                if propagation.generation.load(Ordering::Acquire) >= generation {
                    return true; // another request caught up meanwhile
                }
                if let Err(error) = replica.catch_up().await {
                    tracing::warn!(%error, "reloading changes made on other hosts failed");
                    return false;
                }
                propagation
                    .generation
                    .fetch_max(generation, Ordering::AcqRel);
            }
            true
        }
        Ok(Err(_)) => {
            propagation.mark_unreachable();
            false
        }
        Err(_) => {
            if timeout_is_outage {
                propagation.mark_unreachable();
            }
            false
        }
    }
}

/// On PostgreSQL, every [`POLL_INTERVAL`] until `replica` is dropped: pays an owed
/// announcement, catches up with changes made by other hosts, and refreshes budget usage.
pub fn keep_in_sync<R: Replica>(replica: &Arc<R>) {
    if replica.store().backend() == Backend::Sqlite {
        return;
    }
    let replica: Weak<R> = Arc::downgrade(replica);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(POLL_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let Some(replica) = replica.upgrade() else {
                return;
            };
            replica
                .propagation()
                .pay_owed_announcement(replica.store())
                .await;
            check(replica.as_ref(), POLL_TIMEOUT, true, Connections::Shared).await;
            if let Ok(Err(error)) =
                tokio::time::timeout(POLL_INTERVAL * 4, replica.refresh_usage()).await
            {
                tracing::warn!(%error, "budget usage not refreshed");
            }
        }
    });
}
