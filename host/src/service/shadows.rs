//! Shadow runs (docs/shadow.md): a loaded plugin version shadows the current one of its
//! plugin. A sample of live evaluations that ran a campaign following that plugin is run
//! again off the request path, once on the live version and once with the shadow in its
//! place, with the same basket, instant and usage; what would differ (effects, amounts,
//! errors) is counted, with examples, beside both versions' fuel and wall time. The
//! answer sent never waits for nor depends on it: a full queue drops the sample (counted).
//! One call promotes the shadow to current.

use super::evaluator::Snapshot;
use super::{Service, ServiceError};
use crate::engine::prefilter::Reason;
use crate::engine::response::{AppliedCampaign, EvaluateResponse, PricedEffect, Trace};
use crate::engine::{self, CampaignIndex, LiveCampaign};
use crate::metrics;
use crate::model::{Basket, Usage};
use crate::runtime::Plugin;
use crate::store::{ShadowExample, ShadowKey, ShadowTally, ShadowTallyRow, StoredShadow};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Sampled evaluations waiting for the shadow worker at most; past it they are dropped.
const QUEUE: usize = 1_024;
/// How long the worker lets results gather before writing them: one transaction per
/// tenth of a second.
const GATHER: Duration = Duration::from_millis(100);
/// The share of live evaluations a shadow runs on unless told.
pub const DEFAULT_SHADOW_SAMPLE_PERCENT: u8 = 10;

/// A shadow as this host runs it: the stored shadow and its loaded version.
#[derive(Clone)]
pub(super) struct ActiveShadow {
    stored: StoredShadow,
    plugin: Arc<Plugin>,
}

/// The shadows this host runs, and the queue to its shadow worker.
pub(super) struct Shadows {
    active: RwLock<Arc<HashMap<String, ActiveShadow>>>,
    sender: mpsc::Sender<ShadowJob>,
    receiver: Mutex<Option<mpsc::Receiver<ShadowJob>>>,
    /// Each shadow's index, by plugin: the live index it was made from, and the index with
    /// the followers on the shadow version (made once per snapshot, not per evaluation).
    indexes: Mutex<HashMap<String, ShadowIndex>>,
}

/// A live index, and the same with the followers of a shadowed plugin on its shadow.
struct ShadowIndex {
    live: Arc<CampaignIndex>,
    shadowed: Arc<CampaignIndex>,
}

impl Shadows {
    pub(super) fn new() -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        Shadows {
            active: RwLock::new(Arc::new(HashMap::new())),
            sender,
            receiver: Mutex::new(Some(receiver)),
            indexes: Mutex::new(HashMap::new()),
        }
    }

    fn active(&self) -> Arc<HashMap<String, ActiveShadow>> {
        self.active
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The shadows this evaluation is a sample of (one draw for all of them), if any.
    pub(super) fn draw(&self) -> Option<Arc<HashMap<String, ActiveShadow>>> {
        let active = self.active();
        if active.is_empty() {
            return None;
        }
        let draw = rand::random_range(0..100u8);
        active
            .values()
            .any(|shadow| shadow.stored.sample_percent > draw)
            .then(|| {
                Arc::new(
                    active
                        .iter()
                        .filter(|(_, shadow)| shadow.stored.sample_percent > draw)
                        .map(|(name, shadow)| (name.clone(), shadow.clone()))
                        .collect(),
                )
            })
    }
}

/// A sampled evaluation on its way to the shadow worker.
pub(super) struct ShadowJob {
    evaluation_id: String,
    basket: Basket,
    now: DateTime<Utc>,
    snapshot: Arc<Snapshot>,
    usage: Usage,
    shadows: Arc<HashMap<String, ActiveShadow>>,
}

/// What became of one campaign on one version.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// It applied.
    Applied {
        /// What it granted.
        discount: Decimal,
        /// Its effects and their amounts.
        effects: Vec<PricedEffect>,
    },
    /// It did not apply.
    Rejected {
        /// Why (`docs/api.md`'s rejection reasons).
        reason: Reason,
        /// The detail.
        detail: String,
    },
    /// Its plugin did not run for it.
    NotRun,
}

impl Outcome {
    fn failed(&self) -> bool {
        matches!(
            self,
            Outcome::Rejected {
                reason: Reason::PluginError
                    | Reason::FuelExhausted
                    | Reason::MemoryExceeded
                    | Reason::Timeout
                    | Reason::InvalidEffects,
                ..
            }
        )
    }
}

/// One campaign whose outcome differs between the versions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CampaignDivergence {
    /// The campaign.
    pub campaign: String,
    /// How it differs: `effects`, `amounts`, `errors`.
    pub kinds: Vec<&'static str>,
    /// On the live version.
    pub live: Outcome,
    /// On the shadow.
    pub shadow: Outcome,
}

/// A divergent evaluation, as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ShadowExampleView {
    /// The evaluation's id (in the journal when it was sampled there too).
    pub evaluation_id: String,
    /// When it was compared.
    pub recorded_at: DateTime<Utc>,
    /// The campaigns that differ.
    pub campaigns: serde_json::Value,
}

/// How many compared evaluations diverged, by kind (one evaluation may count in several).
#[derive(Clone, Debug, Serialize)]
pub struct Divergences {
    /// A campaign's effects differ, or it applies on one version only.
    pub effects: i64,
    /// A campaign's amounts differ.
    pub amounts: i64,
    /// One version failed (error, fuel, memory, time) where the other did not.
    pub errors: i64,
}

/// One version's cost over the compared evaluations.
#[derive(Clone, Debug, Serialize)]
pub struct Cost {
    /// Fuel used, summed.
    pub fuel: i64,
    /// Mean fuel per compared evaluation.
    pub fuel_mean: i64,
    /// Mean wall time per compared evaluation, in microseconds.
    pub time_mean_us: i64,
}

/// `GET /v1/plugins/{name}/shadow`: what a shadow found so far, over every host.
#[derive(Clone, Debug, Serialize)]
pub struct ShadowReport {
    /// The plugin.
    pub plugin: String,
    /// The shadowing version.
    pub version: String,
    /// The version answering live now.
    pub live_version: String,
    /// The share of live evaluations that also run the shadow, in percent.
    pub sample_percent: u8,
    /// When the shadow started.
    pub started_at: DateTime<Utc>,
    /// Evaluations run on both versions.
    pub compared: i64,
    /// Those whose answer would differ.
    pub divergent: i64,
    /// How.
    pub divergences: Divergences,
    /// The live version's cost.
    pub live: Cost,
    /// The shadow's cost.
    pub shadow: Cost,
    /// Divergent evaluations (the first 20).
    pub examples: Vec<ShadowExampleView>,
}

impl Service {
    /// Reads the shadows from the store and runs those whose version is loaded here.
    pub(super) async fn load_shadows(&self) -> Result<(), ServiceError> {
        let stored = self.store.shadows().await?;
        let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        let mut active = HashMap::new();
        for shadow in stored {
            let plugin = semver::Version::parse(&shadow.version)
                .ok()
                .and_then(|version| registry.plugins.get(&shadow.plugin)?.get(&version))
                .cloned();
            match plugin {
                Some(plugin) => {
                    active.insert(
                        shadow.plugin.clone(),
                        ActiveShadow {
                            stored: shadow,
                            plugin,
                        },
                    );
                }
                None => tracing::warn!(
                    plugin = %shadow.plugin,
                    version = %shadow.version,
                    "the shadow's version is not loaded on this host: it does not run here"
                ),
            }
        }
        drop(registry);
        *self
            .shadows
            .active
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(active);
        Ok(())
    }

    /// Makes loaded `version` shadow plugin `name` at `sample_percent`, a new report.
    pub async fn start_shadow(
        &self,
        name: &str,
        version: &str,
        sample_percent: u8,
    ) -> Result<ShadowReport, ServiceError> {
        let _write = self.writes.lock().await;
        self.start_shadow_locked(name, version, sample_percent)
            .await?;
        self.shadow_report(name).await
    }

    /// [`Service::start_shadow`], under the write lock.
    pub(super) async fn start_shadow_locked(
        &self,
        name: &str,
        version: &str,
        sample_percent: u8,
    ) -> Result<(), ServiceError> {
        let plugin = self.shadow_candidate(name, version)?;
        self.followers_on(name, &plugin)?;
        self.store
            .start_shadow(name, version, sample_percent)
            .await?;
        self.load_shadows().await?;
        self.changed().await;
        Ok(())
    }

    /// Whether `version` of `name` shadows its current version on this host.
    pub(super) fn is_shadow(&self, name: &str, version: &str) -> bool {
        self.shadows
            .active()
            .get(name)
            .is_some_and(|shadow| shadow.stored.version == version)
    }

    /// Checks that `version` of `name` is loaded and not current.
    fn shadow_candidate(&self, name: &str, version: &str) -> Result<Arc<Plugin>, ServiceError> {
        let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        let versions = registry
            .plugins
            .get(name)
            .ok_or_else(|| ServiceError::NotFound(format!("plugin {name} not found")))?;
        let plugin = semver::Version::parse(version)
            .ok()
            .and_then(|parsed| versions.get(&parsed))
            .cloned()
            .ok_or_else(|| {
                ServiceError::Invalid(vec![crate::model::FieldProblem::new(
                    "/version",
                    format!("{name} has no version {version} loaded"),
                )])
            })?;
        if registry
            .current(name)
            .is_some_and(|current| current.sha256() == plugin.sha256())
        {
            return Err(ServiceError::Invalid(vec![
                crate::model::FieldProblem::new(
                    "/version",
                    format!("{name} {version} is the current version: a shadow must be another"),
                ),
            ]));
        }
        Ok(plugin)
    }

    /// Ends plugin `name`'s shadow (its report stays stored).
    pub async fn end_shadow(&self, name: &str) -> Result<(), ServiceError> {
        let _write = self.writes.lock().await;
        if !self.store.end_shadow(name).await? {
            return Err(ServiceError::NotFound(format!(
                "plugin {name} has no shadow"
            )));
        }
        self.load_shadows().await?;
        self.changed().await;
        Ok(())
    }

    /// Makes plugin `name`'s shadow its current version (checked against the campaigns
    /// that follow it, as an upload is) and ends the shadow; its final report.
    pub async fn promote_shadow(&self, name: &str) -> Result<ShadowReport, ServiceError> {
        let report = self.shadow_report(name).await?;
        let _write = self.writes.lock().await;
        let plugin = self.shadow_candidate(name, &report.version)?;
        self.make_current(name, plugin).await?;
        self.store.end_shadow(name).await?;
        self.load_shadows().await?;
        self.changed().await;
        Ok(report)
    }

    /// What plugin `name`'s shadow found so far, over every host.
    pub async fn shadow_report(&self, name: &str) -> Result<ShadowReport, ServiceError> {
        let shadow = self
            .store
            .shadows()
            .await?
            .into_iter()
            .find(|shadow| shadow.plugin == name)
            .ok_or_else(|| ServiceError::NotFound(format!("plugin {name} has no shadow")))?;
        let (tallies, examples) = self
            .store
            .shadow_results(name, &shadow.version, shadow.started_at)
            .await?;
        let mut total = ShadowTally::default();
        for (_, tally) in &tallies {
            total.add(tally);
        }
        let live_version = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .current(name)
            .map(|plugin| plugin.metadata().version.to_string())
            .unwrap_or_default();
        let mean = |sum: i64| {
            if total.compared > 0 {
                sum / total.compared
            } else {
                0
            }
        };
        Ok(ShadowReport {
            plugin: shadow.plugin,
            version: shadow.version,
            live_version,
            sample_percent: shadow.sample_percent,
            started_at: shadow.started_at,
            compared: total.compared,
            divergent: total.divergent,
            divergences: Divergences {
                effects: total.effects,
                amounts: total.amounts,
                errors: total.errors,
            },
            live: Cost {
                fuel: total.live_fuel,
                fuel_mean: mean(total.live_fuel),
                time_mean_us: mean(total.live_time_us),
            },
            shadow: Cost {
                fuel: total.shadow_fuel,
                fuel_mean: mean(total.shadow_fuel),
                time_mean_us: mean(total.shadow_time_us),
            },
            examples: examples.into_iter().map(example_view).collect(),
        })
    }

    /// Offers an answered evaluation drawn for `shadows` to the shadow worker, when a
    /// campaign that follows a shadowed plugin ran in it: never waits, and a full queue
    /// drops it (counted).
    pub(super) fn shadow_evaluation(
        &self,
        shadows: Arc<HashMap<String, ActiveShadow>>,
        basket: &Basket,
        usage: Usage,
        answer: &EvaluateResponse,
        snapshot: &Arc<Snapshot>,
        now: DateTime<Utc>,
    ) {
        let ran_a_follower = answer
            .considered
            .iter()
            .filter_map(|id| snapshot.index.get(id))
            .any(|live| {
                live.campaign.plugin_version.is_none()
                    && shadows.contains_key(&live.campaign.plugin)
            });
        if !ran_a_follower {
            return;
        }
        let job = ShadowJob {
            evaluation_id: answer.evaluation_id.clone(),
            basket: basket.clone(),
            now,
            snapshot: Arc::clone(snapshot),
            usage,
            shadows,
        };
        if self.shadows.sender.try_send(job).is_err() {
            metrics::shadow_runs("dropped", 1);
        }
    }

    /// The index of `snapshot` with the campaigns following `shadow`'s plugin on the
    /// shadow version (made once per snapshot); `None` when the shadow refuses the params
    /// of one of them, which a start or an upload as shadow would have said.
    fn shadow_index(
        &self,
        snapshot: &Snapshot,
        shadow: &ActiveShadow,
    ) -> Option<Arc<CampaignIndex>> {
        let name = &shadow.stored.plugin;
        if let Some(ShadowIndex { live, shadowed }) = self
            .shadows
            .indexes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
        {
            let same_version = shadowed
                .all()
                .iter()
                .find(|live| {
                    live.campaign.plugin == *name && live.campaign.plugin_version.is_none()
                })
                .is_none_or(|follower| follower.plugin.sha256() == shadow.plugin.sha256());
            if Arc::ptr_eq(live, &snapshot.index) && same_version {
                return Some(Arc::clone(shadowed));
            }
        }
        let mut followers = Vec::new();
        for live in snapshot.index.all() {
            if live.campaign.plugin != *name || live.campaign.plugin_version.is_some() {
                continue;
            }
            match shadow
                .plugin
                .check_params(&live.campaign.params.to_string())
            {
                Ok(Ok(prepared)) => followers.push(Arc::new(LiveCampaign {
                    campaign: live.campaign.clone(),
                    plugin: Arc::clone(&shadow.plugin),
                    prepared,
                    revision: live.revision,
                })),
                _ => return None,
            }
        }
        let shadowed = Arc::new(snapshot.index.replacing(followers));
        self.shadows
            .indexes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                name.clone(),
                ShadowIndex {
                    live: Arc::clone(&snapshot.index),
                    shadowed: Arc::clone(&shadowed),
                },
            );
        Some(shadowed)
    }

    /// Runs `job` on both versions of each of its shadows, and says what each found.
    fn compare(&self, job: &ShadowJob) -> Vec<(ShadowTallyRow, Option<ShadowExample>)> {
        let policies = &job.snapshot.policies;
        let policy = |group: &str| policies.get(group).copied().unwrap_or_default();
        let run = |index: &CampaignIndex| {
            let deadline = Instant::now() + engine::PLUGIN_TIME_BUDGET;
            let request = engine::Request::new(&job.basket, true, job.now, deadline);
            engine::evaluate(
                request,
                index,
                policy,
                &job.usage,
                job.evaluation_id.clone(),
            )
            .ok()
        };
        let mut found = Vec::new();
        for shadow in job.shadows.values() {
            let name = &shadow.stored.plugin;
            let followers: BTreeSet<&str> = job
                .snapshot
                .index
                .all()
                .iter()
                .filter(|live| {
                    live.campaign.plugin == *name && live.campaign.plugin_version.is_none()
                })
                .map(|live| live.campaign.id.as_str())
                .collect();
            let Some(live_version) = job
                .snapshot
                .index
                .all()
                .iter()
                .find(|live| followers.contains(live.campaign.id.as_str()))
                .map(|live| live.plugin.metadata().version.to_string())
            else {
                continue;
            };
            let Some(shadowed) = self.shadow_index(&job.snapshot, shadow) else {
                metrics::shadow_runs("failed", 1);
                continue;
            };
            let (Some(live), Some(other)) = (run(&job.snapshot.index), run(&shadowed)) else {
                metrics::shadow_runs("failed", 1);
                continue;
            };
            let mut tally = ShadowTally {
                compared: 1,
                ..ShadowTally::default()
            };
            let (live_fuel, live_time) = cost(&live, &followers);
            let (shadow_fuel, shadow_time) = cost(&other, &followers);
            tally.live_fuel = live_fuel;
            tally.live_time_us = live_time;
            tally.shadow_fuel = shadow_fuel;
            tally.shadow_time_us = shadow_time;
            let divergences: Vec<CampaignDivergence> = followers
                .iter()
                .filter_map(|id| diverge(id, outcome(&live, id), outcome(&other, id)))
                .collect();
            let mut example = None;
            if !divergences.is_empty() {
                tally.divergent = 1;
                let has = |kind| i64::from(divergences.iter().any(|d| d.kinds.contains(&kind)));
                tally.effects = has("effects");
                tally.amounts = has("amounts");
                tally.errors = has("errors");
                example = serde_json::to_string(&divergences)
                    .ok()
                    .map(|json| ShadowExample {
                        evaluation_id: job.evaluation_id.clone(),
                        recorded_at: self.clock.now(),
                        example: json,
                    });
            }
            let row = ShadowTallyRow {
                shadow: (
                    name.clone(),
                    shadow.stored.version.clone(),
                    shadow.stored.started_at,
                ),
                live_version,
                tally,
            };
            found.push((row, example));
        }
        found
    }
}

/// What `id` came to in `answer`.
fn outcome(answer: &EvaluateResponse, id: &str) -> Outcome {
    if let Some(applied) = answer.applied.iter().find(|a| a.campaign == id) {
        return applied_outcome(applied);
    }
    match answer.rejected.iter().find(|r| r.campaign == id) {
        Some(rejected) => Outcome::Rejected {
            reason: rejected.rejection.reason,
            detail: rejected.rejection.detail.clone(),
        },
        None => Outcome::NotRun,
    }
}

fn applied_outcome(applied: &AppliedCampaign) -> Outcome {
    Outcome::Applied {
        discount: applied.discount,
        effects: applied.effects.clone(),
    }
}

/// How `id`'s outcome differs between the versions, if it does.
fn diverge(id: &str, live: Outcome, shadow: Outcome) -> Option<CampaignDivergence> {
    if live == shadow {
        return None;
    }
    let mut kinds = Vec::new();
    if live.failed() || shadow.failed() {
        kinds.push("errors");
    }
    match (&live, &shadow) {
        (
            Outcome::Applied {
                discount: a,
                effects: x,
            },
            Outcome::Applied {
                discount: b,
                effects: y,
            },
        ) => {
            let effects =
                |list: &[PricedEffect]| list.iter().map(|e| e.effect.clone()).collect::<Vec<_>>();
            if effects(x) != effects(y) {
                kinds.push("effects");
            }
            let amounts = |list: &[PricedEffect]| list.iter().map(|e| e.amount).collect::<Vec<_>>();
            if a != b || amounts(x) != amounts(y) {
                kinds.push("amounts");
            }
        }
        (Outcome::Applied { .. }, _) | (_, Outcome::Applied { .. }) => {
            kinds.push("effects");
            kinds.push("amounts");
        }
        _ => {}
    }
    if kinds.is_empty() {
        // Rejected on both for other reasons (one lost a conflict the other won, say).
        kinds.push("effects");
    }
    Some(CampaignDivergence {
        campaign: id.to_string(),
        kinds,
        live,
        shadow,
    })
}

/// The fuel and wall time (µs) the runs of `followers` took in `answer` (each sandbox
/// counted once).
fn cost(answer: &EvaluateResponse, followers: &BTreeSet<&str>) -> (i64, i64) {
    let mut seen: Vec<*const Trace> = Vec::new();
    let (mut fuel, mut time) = (0i64, 0i64);
    let traces = answer
        .applied
        .iter()
        .filter(|a| followers.contains(a.campaign.as_str()))
        .filter_map(|a| a.trace.as_ref())
        .chain(
            answer
                .rejected
                .iter()
                .filter(|r| followers.contains(r.campaign.as_str()))
                .filter_map(|r| r.trace.as_ref()),
        );
    for trace in traces {
        let pointer = Arc::as_ptr(trace);
        if seen.contains(&pointer) {
            continue;
        }
        seen.push(pointer);
        fuel = fuel.saturating_add(i64::try_from(trace.fuel_used).unwrap_or(i64::MAX));
        time = time.saturating_add(i64::try_from(trace.wall_time_us).unwrap_or(i64::MAX));
    }
    (fuel, time)
}

fn example_view(example: ShadowExample) -> ShadowExampleView {
    ShadowExampleView {
        campaigns: serde_json::from_str(&example.example).unwrap_or(serde_json::Value::Null),
        evaluation_id: example.evaluation_id,
        recorded_at: example.recorded_at,
    }
}

/// The shadow worker: runs what the queue holds on both versions, off the request path,
/// and writes what it found every [`GATHER`], until `stopping`.
pub async fn run_shadow_worker(
    service: Arc<Service>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let taken = service
        .shadows
        .receiver
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let Some(mut receiver) = taken else {
        return;
    };
    let mut jobs = Vec::new();
    loop {
        let stop = tokio::select! {
            received = receiver.recv_many(&mut jobs, 64) => received == 0,
            _ = stopping.changed() => true,
        };
        if stop {
            return;
        }
        let gathered_until = tokio::time::Instant::now() + GATHER;
        let mut tallies: HashMap<(ShadowKey, String), ShadowTally> = HashMap::new();
        let mut examples = Vec::new();
        let mut count = 0u64;
        loop {
            let batch = std::mem::take(&mut jobs);
            let worker = Arc::clone(&service);
            let found = tokio::task::spawn_blocking(move || {
                batch
                    .iter()
                    .map(|job| worker.compare(job))
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default();
            for (row, example) in found.into_iter().flatten() {
                count += 1;
                tallies
                    .entry((row.shadow.clone(), row.live_version))
                    .or_default()
                    .add(&row.tally);
                if let Some(example) = example {
                    examples.push((row.shadow, example));
                }
            }
            if tokio::time::Instant::now() >= gathered_until {
                break;
            }
            tokio::select! {
                received = receiver.recv_many(&mut jobs, 64) => if received == 0 { break },
                () = tokio::time::sleep_until(gathered_until) => break,
                _ = stopping.changed() => break,
            }
        }
        let rows: Vec<ShadowTallyRow> = tallies
            .into_iter()
            .map(|((shadow, live_version), tally)| ShadowTallyRow {
                shadow,
                live_version,
                tally,
            })
            .collect();
        match service.store.add_shadow_results(&rows, &examples).await {
            Ok(()) => metrics::shadow_runs("compared", count),
            Err(error) => {
                metrics::shadow_runs("failed", count);
                tracing::warn!(%error, runs = count, "shadow results not written");
            }
        }
    }
}
