//! The service behind the HTTP API, one file per resource: [`campaigns`] (checked against
//! their plugin and stored), [`groups`], [`keys`], [`plugins`] (uploads, rollbacks), [`redemptions`], [`returns`],
//! [`coupons`] (and [`distributions`] of personal codes), [`stats`], [`customers`] (profiles, and [`customer_import`] for imports in
//! bulk), [`webhooks`] and the outbox [`events`] changes write; the [`evaluator`] that owns what evaluations read and the
//! threads they run on; and [`sync`], what a catch-up with other hosts reloads.
//!
//! Writes go to the store first, then replace the snapshot (one `Arc` swap), so the very
//! next evaluation sees the change and an evaluation in flight finishes on what it started
//! with. Writes are serialised by one lock: they are rare, and it keeps the snapshot equal
//! to the store. Hosts sharing a PostgreSQL database catch up with one another's writes
//! through the store's generation ([`crate::registry::propagation`]).

mod campaigns;
mod checks;
mod commit_groups;
mod commit_locks;
mod coupons;
mod customer_import;
mod customers;
mod distributions;
mod evaluator;
mod events;
mod groups;
mod journal;
mod keys;
mod leases;
mod orders;
mod plugins;
mod redemptions;
mod replay;
mod returns;
mod revisions;
mod shadows;
mod simulations;
mod stats;
mod store_feed;
mod sync;
mod upstream;
mod webhooks;

pub use crate::registry::propagation::{keep_in_sync, Readiness, FRESHNESS_TIMEOUT, POLL_INTERVAL};
pub use campaigns::CampaignView;
pub use checks::{SetAside, SetAsideStatus};
pub use customer_import::{Import, ImportFormat, ImportReport, LineProblem, IMPORT_BATCH};
pub use customers::{CustomerPage, PROFILES_KEPT, PROFILE_FRESHNESS};
pub use distributions::Distributed;
pub use journal::{
    run_journal_writer, JournalCampaign, JournalEntry, JournalSettings, OrderCampaign, OrderEntry,
};
pub use keys::{CreatedKey, FIRST_START_LABEL, MISS_LOOKUPS, UNKNOWN_KEYS_KEPT};
pub use leases::{
    leasable_limits, run_lease_keeper, LeaseSettings, DEFAULT_LEASE_TTL, DEFAULT_STORE_LEASE_TTL,
};
pub use plugins::{Uploaded, DEFAULT_MAX_PLUGIN_BYTES};
pub use redemptions::{Cancelled, Redeemed, DEFAULT_MAX_CLOCK_SKEW, MAX_ORDER_ID};
pub use replay::{Replayed, Verified};
pub use returns::Returned;
pub use revisions::{CampaignDiff, Change, RevisionView};
pub use shadows::{
    run_shadow_worker, CampaignDivergence, Cost, Divergences, Outcome, ShadowExampleView,
    ShadowReport, DEFAULT_SHADOW_SAMPLE_PERCENT,
};
pub use simulations::{
    BasketSource, SimulationRequest, SimulationView, SourceView, MAX_DRAFTS,
    MAX_RUNNING_SIMULATIONS, MAX_WINDOW_DAYS,
};
pub use stats::{CampaignStats, ChannelStats, DayStats};
pub use store_feed::{
    CustomersFeed, Feed, FeedCampaign, FeedPlugin, StoreLease, StoreLeaseAsk, StoreLeasesRenewed,
    MAX_CUSTOMERS_PAGE, MAX_FORWARDED_ENTRIES,
};
pub use upstream::{run_store_node, UpstreamSettings, PULL_INTERVAL};
pub use webhooks::MAX_DELIVERIES_LISTED;

use crate::clock::Clock;
use crate::delivery::WebhookSettings;
use crate::engine::{self, CampaignIndex, EvaluateError};
use crate::model::{Basket, FieldProblem};
use crate::registry::propagation::Propagation;
use crate::registry::Loader;
use crate::registry::{self, Registry, RegistryError};
pub use crate::registry::{PluginVersionView, PluginView};
use crate::runtime::Plugin;
use crate::store::{Store, StoreError};
use evaluator::{Evaluator, Snapshot};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// Why a service call failed, in terms the API maps to a status.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is not valid: 422, with pointers into the request body.
    #[error("invalid input")]
    Invalid(Vec<FieldProblem>),
    /// Something named does not exist: 404.
    #[error("{0}")]
    NotFound(String),
    /// The write conflicts with the stored state: 409.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached: 503.
    #[error("{0}")]
    Unavailable(String),
    /// A wait ran out (the commit lock, held too long): 503, to retry shortly.
    #[error("{0}")]
    Busy(String),
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Exists(_) | StoreError::Stale { .. } => {
                ServiceError::Conflict(error.to_string())
            }
            StoreError::NotFound(_) => ServiceError::NotFound(error.to_string()),
            StoreError::LeaseLost(_) => {
                ServiceError::Busy(format!("{error}: this host had stopped renewing it; retry"))
            }
            other => {
                tracing::warn!(error = %other, "store");
                ServiceError::Unavailable("the database is unavailable".into())
            }
        }
    }
}

impl From<RegistryError> for ServiceError {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::Store(error) => error.into(),
            RegistryError::Load(detail) => ServiceError::Unavailable(detail),
        }
    }
}

impl From<EvaluateError> for ServiceError {
    fn from(error: EvaluateError) -> Self {
        match error {
            EvaluateError::UnknownCurrency(_) => {
                ServiceError::Invalid(vec![FieldProblem::new("/currency", error.to_string())])
            }
            EvaluateError::OutOfRange(detail) => {
                ServiceError::Invalid(vec![FieldProblem::new("/lines", detail)])
            }
        }
    }
}

/// How strictly a campaign is checked before it goes live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checked {
    /// A body a client wrote (create, replace, merge patch): every rule of
    /// [`Campaign::validate`].
    AsWritten,
    /// A body as stored, read back or only given a new status: it may predate a rule
    /// ([`Campaign::validate_stored`]), and must still load.
    AsStored,
}

/// The service.
pub struct Service {
    store: Store,
    registry: RwLock<Registry>,
    /// What evaluations read, the threads they run on, and their counts.
    evaluator: Evaluator,
    /// The active keys, and what tells an unknown key fast ([`keys`]).
    keys: keys::KeyCache,
    /// The customer profiles evaluations read lately ([`customers`]).
    customers: customers::ProfileCache,
    writes: tokio::sync::Mutex<()>,
    /// Compiles uploaded plugins.
    loader: Arc<Loader>,
    /// The largest plugin an upload may send.
    max_plugin_bytes: usize,
    /// How far a commit's `at` may be from the server's clock.
    max_clock_skew: std::time::Duration,
    /// The server's clock: commits are priced at it, and evaluations without an `at`.
    clock: Clock,
    /// Serialises this process's commits and cancels on SQLite (whose write lock, taken at
    /// the start of each, serialises them across processes); on PostgreSQL they take the
    /// locks of what they touch instead ([`crate::store::CommitLock`]).
    commits: tokio::sync::Mutex<()>,
    /// Commits and cancels that reached the database and ended: while it moves, those
    /// waiting for their turn wait on.
    commits_finished: std::sync::atomic::AtomicU64,
    /// The commits waiting on the same limited campaigns, written together
    /// ([`commit_groups`]).
    commit_groups: commit_groups::CommitGroups<redemptions::Member>,
    /// The budget leases this host holds ([`leases`]).
    leases: leases::LeaseBook,
    /// This host's mark on the store's generation, and whether the database answers.
    propagation: Propagation,
    /// The stored campaigns this host does not serve as stored, and why.
    set_aside: RwLock<HashMap<String, SetAside>>,
    /// How webhooks are delivered (and whether their URLs may be private).
    webhooks: WebhookSettings,
    /// Wakes the delivery worker when this host writes an event.
    outbox: Arc<tokio::sync::Notify>,
    /// The campaigns `campaign.ended` was sent for, once read ([`webhooks`]).
    ended_sent: tokio::sync::Mutex<Option<std::collections::HashSet<String>>>,
    /// The queue to the decision journal's writer ([`journal`]).
    journal: journal::Recorder,
    /// The plugin versions shadowing current ones, and the queue to the shadow worker
    /// ([`shadows`]).
    shadows: shadows::Shadows,
    /// Simulations running on this host ([`simulations`]).
    simulations_running: std::sync::atomic::AtomicUsize,
    /// The centre, when this host is a store node ([`upstream`]): it serves a copy of the
    /// centre's campaigns and forwards its orders there.
    upstream: Option<UpstreamSettings>,
}

impl Service {
    /// A service over `store` serving `plugins`; reads every campaign, group and key.
    /// Uploaded plugin versions are read from the store and compiled by `loader`; an
    /// upload may send at most `max_plugin_bytes`.
    pub async fn start(
        store: Store,
        loader: Arc<Loader>,
        plugins: Vec<Plugin>,
        max_plugin_bytes: usize,
    ) -> Result<Service, ServiceError> {
        let mut registry = Registry::default();
        for plugin in plugins {
            registry.add(plugin);
        }
        registry::load_uploaded(&store, &loader, &mut registry).await?;
        // Read before the campaigns: whatever changes after it is caught up on later.
        let generation = store.generation().await?;
        let service = Service {
            store,
            registry: RwLock::new(registry),
            evaluator: Evaluator::new()?,
            keys: keys::KeyCache::new(),
            customers: customers::ProfileCache::new(),
            writes: tokio::sync::Mutex::new(()),
            commits: tokio::sync::Mutex::new(()),
            commits_finished: std::sync::atomic::AtomicU64::new(0),
            commit_groups: commit_groups::CommitGroups::default(),
            leases: leases::LeaseBook::new(LeaseSettings::default()),
            loader,
            max_plugin_bytes,
            max_clock_skew: DEFAULT_MAX_CLOCK_SKEW,
            clock: Clock::system(),
            propagation: Propagation::new(generation),
            set_aside: RwLock::new(HashMap::new()),
            webhooks: WebhookSettings::default(),
            outbox: Arc::new(tokio::sync::Notify::new()),
            ended_sent: tokio::sync::Mutex::new(None),
            journal: journal::Recorder::new(JournalSettings::default()),
            shadows: shadows::Shadows::new(),
            simulations_running: std::sync::atomic::AtomicUsize::new(0),
            upstream: None,
        };
        service.reload().await?;
        Ok(service)
    }

    /// The service with commits refused when their `at` is further than `skew` from the
    /// server's clock.
    pub fn with_max_clock_skew(mut self, skew: std::time::Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// The service journalling evaluations as `settings` say.
    pub fn with_journal(mut self, settings: JournalSettings) -> Self {
        self.journal = journal::Recorder::new(settings);
        self
    }

    /// The service as a store node's ([`upstream`]): campaigns with limits counted across
    /// stores (caps, budgets, per-customer limits, coupons) are suspended here, and returns
    /// are taken at the centre. Its store must queue orders for the centre
    /// ([`Store::forwarding`]).
    pub fn as_store_node(mut self, upstream: UpstreamSettings) -> Self {
        self.upstream = Some(upstream);
        self
    }

    /// The centre, when this host is a store node.
    pub fn upstream(&self) -> Option<&UpstreamSettings> {
        self.upstream.as_ref()
    }

    /// The service leasing budgets as `settings` say.
    pub fn with_leases(mut self, settings: LeaseSettings) -> Self {
        self.leases = leases::LeaseBook::new(settings);
        self
    }

    /// The service delivering webhooks as `settings` say.
    pub fn with_webhooks(mut self, settings: WebhookSettings) -> Self {
        self.webhooks = settings;
        self
    }

    /// What wakes the delivery worker: notified when this host writes an event.
    pub fn outbox_wake(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.outbox)
    }

    /// The store, for the delivery worker.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The service priced by `clock` instead of the system's clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Reads keys, campaigns and groups from the store again.
    pub async fn reload(&self) -> Result<(), ServiceError> {
        let write = self.writes.lock().await;
        self.reload_under(&write).await
    }

    /// [`Service::reload`], for a caller that holds the write lock (`_write`).
    async fn reload_under(
        &self,
        _write: &tokio::sync::MutexGuard<'_, ()>,
    ) -> Result<(), ServiceError> {
        self.reload_keys().await?;
        let stored = self.store.campaigns().await?;
        let groups = self.store.groups().await?;
        let usage = self.store.usage().await?;
        self.evaluator.set_usage(usage);
        let live = self
            .recheck(
                stored
                    .into_iter()
                    .map(|s| (s.campaign, s.revision))
                    .collect(),
            )
            .await;
        self.evaluator.set_snapshot(Snapshot::new(
            Arc::new(CampaignIndex::new(live)),
            groups.into_iter().collect(),
        ));
        self.load_shadows().await
    }

    /// Prices a validated basket on the evaluation threads, and answers the JSON of its
    /// `EvaluateResponse`, which the journal shares when it samples it. Changes nothing
    /// but counters.
    /// Its plugins' time (`engine::PLUGIN_TIME_BUDGET`) counts from once the cached state
    /// is known fresh (at most [`FRESHNESS_TIMEOUT`] after arrival, PostgreSQL only), so
    /// time spent waiting for a free evaluation thread is part of it.
    pub async fn evaluate(
        &self,
        basket: Basket,
        explain: bool,
    ) -> Result<bytes::Bytes, ServiceError> {
        self.ensure_fresh().await;
        let basket = self.with_stored_profile(basket).await;
        let deadline = Instant::now() + engine::PLUGIN_TIME_BUDGET;
        let snapshot = self.evaluator.snapshot();
        let usage = self.usage_for_evaluation(&basket, &snapshot).await?;
        let shadows = self.shadows.draw();
        // Kept only for the sample, which the journal and shadows price again from.
        let journalled = self.journal.sampled();
        let kept_usage = (journalled || shadows.is_some()).then(|| usage.clone());
        let now = self.clock.now();
        let (basket, response) = self
            .evaluator
            .run(basket, explain, Arc::clone(&snapshot), usage, now, deadline)
            .await?;
        self.evaluator.count(&response);
        let mut response = response;
        if explain {
            self.explain_set_aside(&mut response);
            self.explain_store_leases(&mut response);
        }
        let body = serde_json::to_vec(&response)
            .map(bytes::Bytes::from)
            .map_err(|e| ServiceError::Unavailable(format!("cannot write the answer: {e}")))?;
        if let (Some(shadows), Some(usage)) = (shadows, &kept_usage) {
            self.shadow_evaluation(shadows, &basket, usage.clone(), &response, &snapshot, now);
        }
        if let (true, Some(usage)) = (journalled, kept_usage) {
            self.journal_evaluation(journal::Answered {
                basket,
                body: &body,
                answer: &response,
                explain,
                snapshot: &snapshot,
                usage,
                now,
            });
        }
        Ok(body)
    }

    /// Closes the store (on shutdown, once the counters are saved).
    pub async fn close(&self) {
        self.store.close().await;
    }
}
