//! The evaluator: owns what every evaluation reads (the snapshot of live campaigns and
//! group policies, the usage of every campaign as last committed), the threads
//! evaluations run on, and the evaluation counts not yet written for the stats.
//!
//! Writes replace the snapshot (one `Arc` swap), so the very next evaluation sees the
//! change and an evaluation in flight finishes on what it started with. A writer builds the
//! next snapshot beside the current one, holding only the writers' lock: evaluations never
//! wait on a write, only on the swap itself.

use super::ServiceError;
use crate::engine::response::EvaluateResponse;
use crate::engine::{self, CampaignIndex, LiveCampaign};
use crate::model::usage::{CampaignUsage, Usage};
use crate::model::{Basket, Policy};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

/// What evaluations read: every campaign the plugins could prepare (indexed), and group
/// policies.
#[derive(Default)]
pub(super) struct Snapshot {
    pub(super) index: Arc<CampaignIndex>,
    pub(super) policies: HashMap<String, Policy>,
    /// Whether some live campaign caps uses per customer: only then does an evaluation
    /// read the customer's past redemptions. Worked out once per snapshot.
    pub(super) caps_customers: bool,
    /// Whether some live campaign's plugin asks about the customer (contract 1.1's
    /// `customer`): only then does an evaluation read the customer's data.
    pub(super) reads_customer: bool,
}

impl Snapshot {
    pub(super) fn new(index: Arc<CampaignIndex>, policies: HashMap<String, Policy>) -> Self {
        let caps_customers = index
            .all()
            .iter()
            .any(|live| live.campaign.limits.per_customer.is_some());
        let reads_customer = index.all().iter().any(|live| live.plugin.reads_customer());
        Snapshot {
            index,
            policies,
            caps_customers,
            reads_customer,
        }
    }
}

/// What evaluations read, where they run, and what they counted.
pub(super) struct Evaluator {
    snapshot: RwLock<Arc<Snapshot>>,
    /// Held by whoever builds the next snapshot, so that each builds on the one before.
    writer: Mutex<()>,
    /// Every campaign's usage as last committed: what evaluations check caps and budgets
    /// against (a commit re-reads it inside its transaction).
    usage: RwLock<Arc<HashMap<String, CampaignUsage>>>,
    /// Where evaluations run: one thread per core, off the async workers, so a slow plugin
    /// never stalls the HTTP side, and a request's plugin groups can run in parallel.
    pool: rayon::ThreadPool,
    /// Where commits' evaluations run: threads of their own, one per core (commits that
    /// share no limited campaign run in parallel), so that evaluations queued on `pool`,
    /// however many, never make a commit wait or spend its plugins' time.
    commit_pool: rayon::ThreadPool,
    /// Evaluations started, for their ids.
    evaluations: AtomicU64,
    /// This host's random part of every evaluation id: two hosts that start the same
    /// counter in the same millisecond still give distinct ids.
    host_tag: u32,
    /// Evaluation and application counts not yet written to the store.
    pending_counts: Mutex<HashMap<String, (u64, u64)>>,
}

/// What one engine run prices: the basket (with `explain`), on `snapshot` and `usage`, at
/// `now` when the basket names no `at`.
struct Run {
    basket: Basket,
    explain: bool,
    snapshot: Arc<Snapshot>,
    usage: Usage,
    now: DateTime<Utc>,
}

impl Evaluator {
    /// An evaluator with nothing live yet and one thread per core.
    pub(super) fn new() -> Result<Self, ServiceError> {
        Ok(Evaluator {
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            writer: Mutex::new(()),
            usage: RwLock::new(Arc::new(HashMap::new())),
            pool: rayon::ThreadPoolBuilder::new()
                .thread_name(|i| format!("remise-eval-{i}"))
                .build()
                .map_err(|e| ServiceError::Unavailable(format!("no evaluation threads: {e}")))?,
            commit_pool: rayon::ThreadPoolBuilder::new()
                .thread_name(|i| format!("remise-commit-{i}"))
                .build()
                .map_err(|e| ServiceError::Unavailable(format!("no commit thread: {e}")))?,
            evaluations: AtomicU64::new(0),
            host_tag: rand::random(),
            pending_counts: Mutex::new(HashMap::new()),
        })
    }

    /// The live campaigns and group policies, as of now.
    pub(super) fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs the engine on an evaluation thread, its plugins done by `deadline`; gives the
    /// request back with the answer.
    pub(super) async fn run(
        &self,
        basket: Basket,
        explain: bool,
        snapshot: Arc<Snapshot>,
        usage: Usage,
        now: DateTime<Utc>,
        deadline: Instant,
    ) -> Result<(Basket, EvaluateResponse), ServiceError> {
        let run = Run {
            basket,
            explain,
            snapshot,
            usage,
            now,
        };
        self.run_on(&self.pool, run, move || deadline).await
    }

    /// Runs the engine for a commit on the commits' own threads; its plugins have
    /// [`engine::PLUGIN_TIME_BUDGET`] from when it starts there.
    pub(super) async fn run_commit(
        &self,
        basket: Basket,
        explain: bool,
        snapshot: Arc<Snapshot>,
        usage: Usage,
        now: DateTime<Utc>,
    ) -> Result<(Basket, EvaluateResponse), ServiceError> {
        let run = Run {
            basket,
            explain,
            snapshot,
            usage,
            now,
        };
        self.run_on(&self.commit_pool, run, || {
            Instant::now() + engine::PLUGIN_TIME_BUDGET
        })
        .await
    }

    /// Runs the engine on a thread of `pool`, with the deadline `deadline` gives when the
    /// run starts there.
    async fn run_on(
        &self,
        pool: &rayon::ThreadPool,
        run: Run,
        deadline: impl FnOnce() -> Instant + Send + 'static,
    ) -> Result<(Basket, EvaluateResponse), ServiceError> {
        let Run {
            basket,
            explain,
            snapshot,
            usage,
            now,
        } = run;
        let number = self.evaluations.fetch_add(1, Ordering::Relaxed);
        let millis = Utc::now().timestamp_millis();
        let id = format!("ev_{millis:x}_{:08x}{number:x}", self.host_tag);
        tracing::Span::current().record("evaluation_id", id.as_str());
        let (answer, answered) = tokio::sync::oneshot::channel();
        pool.spawn(move || {
            let deadline = deadline();
            let policies = &snapshot.policies;
            let policy = |group: &str| policies.get(group).copied().unwrap_or_default();
            crate::metrics::evaluation();
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                let request = engine::Request::new(&basket, explain, now, deadline);
                engine::evaluate(request, &snapshot.index, policy, &usage, id)
            }));
            // The request may have gone (client disconnected): nobody to tell.
            let _ = answer.send(result.map(|result| result.map(|response| (basket, response))));
        });
        match answered.await {
            Ok(Ok(result)) => Ok(result?),
            Ok(Err(_)) | Err(_) => Err(ServiceError::Unavailable(
                "the evaluation failed unexpectedly".into(),
            )),
        }
    }

    /// Runs `job` on an evaluation thread: an engine run inside it spreads its plugin groups
    /// over this service's threads, never over rayon's process-wide pool, which anything
    /// else in the process may be holding.
    pub(super) async fn on_evaluation_thread<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let (done, finished) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            let _ = done.send(panic::catch_unwind(AssertUnwindSafe(job)));
        });
        match finished.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) | Err(_) => Err(ServiceError::Unavailable(
                "the evaluation failed unexpectedly".into(),
            )),
        }
    }

    /// Replaces the snapshot.
    pub(super) fn set_snapshot(&self, snapshot: Snapshot) {
        self.update_snapshot(|_| snapshot);
    }

    /// Every campaign's committed usage, as last seen.
    pub(super) fn usage(&self) -> Arc<HashMap<String, CampaignUsage>> {
        self.usage
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces every campaign's committed usage.
    pub(super) fn set_usage(&self, usage: HashMap<String, CampaignUsage>) {
        *self.usage.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(usage);
    }

    /// Replaces the committed usage of the campaigns in `changed`, keeping the others'
    /// (commits that share no campaign end in any order). The map is copied only when an
    /// evaluation still reads the current one.
    pub(super) fn merge_usage(&self, changed: HashMap<String, CampaignUsage>) {
        let mut usage = self.usage.write().unwrap_or_else(PoisonError::into_inner);
        Arc::make_mut(&mut usage).extend(changed);
    }

    /// Puts `live` in the snapshot in place of the campaign with its id, or adds it.
    pub(super) fn swap_in(&self, live: LiveCampaign) {
        let live = Arc::new(live);
        self.update_snapshot(|current| {
            Snapshot::new(Arc::new(current.index.with(live)), current.policies.clone())
        });
    }

    /// Takes the campaign `id` out of the snapshot.
    pub(super) fn take_out(&self, id: &str) {
        self.update_snapshot(|current| {
            Snapshot::new(
                Arc::new(current.index.without(id)),
                current.policies.clone(),
            )
        });
    }

    /// Replaces the snapshot with what `next` makes of the current one. `next` runs
    /// beside the current snapshot, which evaluations keep reading until the swap.
    pub(super) fn update_snapshot(&self, next: impl FnOnce(&Snapshot) -> Snapshot) {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let next = Arc::new(next(&self.snapshot()));
        let previous = std::mem::replace(
            &mut *self
                .snapshot
                .write()
                .unwrap_or_else(PoisonError::into_inner),
            next,
        );
        // Dropped once the lock is given back.
        drop(previous);
    }

    /// Counts an evaluation for the stats: each campaign whose plugin ran, and each that
    /// applied.
    pub(super) fn count(&self, response: &EvaluateResponse) {
        let mut pending = self
            .pending_counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for id in &response.considered {
            add_counts(&mut pending, id, 1, 0);
        }
        for applied in &response.applied {
            add_counts(&mut pending, &applied.campaign, 0, 1);
        }
    }

    /// The counts gathered since last taken: (campaign, evaluations, applications).
    pub(super) fn take_counts(&self) -> Vec<(String, u64, u64)> {
        std::mem::take(
            &mut *self
                .pending_counts
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
        .into_iter()
        .map(|(id, (evaluations, applications))| (id, evaluations, applications))
        .collect()
    }

    /// Gives back counts that could not be written, for the next try.
    pub(super) fn restore_counts(&self, counts: Vec<(String, u64, u64)>) {
        let mut pending = self
            .pending_counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (id, evaluations, applications) in counts {
            let entry = pending.entry(id).or_default();
            entry.0 += evaluations;
            entry.1 += applications;
        }
    }

    /// Counts not yet written for `campaign_id`: (evaluations, applications).
    pub(super) fn pending_counts_of(&self, campaign_id: &str) -> (u64, u64) {
        self.pending_counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(campaign_id)
            .copied()
            .unwrap_or_default()
    }
}

/// Adds to `campaign`'s pending counts, copying its id only the first time it is counted
/// since the last flush.
fn add_counts(
    pending: &mut HashMap<String, (u64, u64)>,
    campaign: &str,
    evaluations: u64,
    applications: u64,
) {
    if let Some(counts) = pending.get_mut(campaign) {
        counts.0 += evaluations;
        counts.1 += applications;
    } else {
        pending.insert(campaign.to_string(), (evaluations, applications));
    }
}
