//! The service behind the HTTP API: campaigns checked against their plugin and stored, a
//! snapshot of live campaigns that every evaluation reads without touching the database,
//! the plugin catalogue, and API keys.
//!
//! Writes go to the store first, then replace the snapshot (one `Arc` swap), so the very
//! next evaluation sees the change and an evaluation in flight finishes on what it started
//! with. Writes are serialised by one lock: they are rare, and it keeps the snapshot equal
//! to the store. Hosts sharing a PostgreSQL database catch up with one another's writes
//! through the store's generation ([`sync`]).

mod coupons;
mod evaluator;
mod plugins;
mod redemptions;
mod stats;
mod sync;
mod watch;

pub use plugins::{Uploaded, DEFAULT_MAX_PLUGIN_BYTES};
pub use redemptions::{Cancelled, Redeemed, MAX_ORDER_ID};
pub use stats::{CampaignStats, ChannelStats, DayStats};
pub use sync::{keep_in_sync, Readiness, FRESHNESS_TIMEOUT, POLL_INTERVAL};
pub use watch::{watch_plugin_dir, WATCH_INTERVAL};

use crate::auth::{hash_key, KeyInfo, Role};
use crate::engine::response::EvaluateResponse;
use crate::engine::{self, CampaignIndex, EvaluateError, LiveCampaign};
use crate::model::campaign::{Campaign, Status};
use crate::model::Policy;
use crate::model::{Basket, FieldProblem};
use crate::runtime::{LoadError, Plugin, Runtime};
use crate::store::{Store, StoreError, StoredCampaign};
use chrono::{DateTime, Utc};
use evaluator::{Evaluator, Snapshot};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

/// Why a service call failed, in terms the API maps to a status.
#[derive(Debug, thiserror::Error)]
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
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Exists(_) | StoreError::Stale { .. } => {
                ServiceError::Conflict(error.to_string())
            }
            StoreError::NotFound(_) => ServiceError::NotFound(error.to_string()),
            other => {
                tracing::warn!(error = %other, "store");
                ServiceError::Unavailable("the database is unavailable".into())
            }
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

/// A stored campaign, as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CampaignView {
    /// The campaign.
    #[serde(flatten)]
    pub campaign: Campaign,
    /// Its revision: 1 when created, one more per write (`If-Match`).
    pub revision: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<StoredCampaign> for CampaignView {
    fn from(stored: StoredCampaign) -> Self {
        Self {
            campaign: stored.campaign,
            revision: stored.revision,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        }
    }
}

/// A plugin of the catalogue, with every version loaded.
#[derive(Clone, Debug, Serialize)]
pub struct PluginView {
    /// Its name.
    pub name: String,
    /// Every version, oldest first.
    pub versions: Vec<PluginVersionView>,
    /// The version campaigns without a pin run on.
    pub latest: String,
}

/// One version of a plugin.
#[derive(Clone, Debug, Serialize)]
pub struct PluginVersionView {
    /// Its semantic version.
    pub version: String,
    /// The hex sha256 of its component.
    pub sha256: String,
    /// The component's size.
    pub size_bytes: usize,
    /// What it does.
    pub description: String,
    /// The JSON Schema of its parameters.
    pub params_schema: serde_json::Value,
    /// When ops uploaded it; absent for the catalogue and the plugin folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploaded_at: Option<DateTime<Utc>>,
}

/// Every loaded plugin version, by name then version, and the version each plugin's
/// unpinned campaigns follow when an upload or a rollback set one (else the highest).
#[derive(Clone, Default)]
struct Registry {
    plugins: BTreeMap<String, BTreeMap<semver::Version, Arc<Plugin>>>,
    current: HashMap<String, semver::Version>,
    uploaded: HashMap<(String, semver::Version), DateTime<Utc>>,
}

impl Registry {
    fn add(&mut self, plugin: Plugin) -> Arc<Plugin> {
        let plugin = Arc::new(plugin);
        let metadata = plugin.metadata();
        self.plugins
            .entry(metadata.name.clone())
            .or_default()
            .insert(metadata.version.clone(), plugin.clone());
        plugin
    }

    /// The version of `name` that unpinned campaigns run on.
    fn current(&self, name: &str) -> Option<&Arc<Plugin>> {
        let versions = self.plugins.get(name)?;
        self.current
            .get(name)
            .and_then(|version| versions.get(version))
            .or_else(|| versions.values().next_back())
    }

    /// The version a campaign runs on, or the problem with its plugin fields.
    fn for_campaign(&self, campaign: &Campaign) -> Result<Arc<Plugin>, FieldProblem> {
        let versions = self.plugins.get(&campaign.plugin).ok_or_else(|| {
            FieldProblem::new("/plugin", format!("no plugin named {:?}", campaign.plugin))
        })?;
        match &campaign.plugin_version {
            Some(pin) => versions.get(pin).cloned().ok_or_else(|| {
                FieldProblem::new(
                    "/plugin_version",
                    format!("{} has no version {pin}", campaign.plugin),
                )
            }),
            None => self
                .current(&campaign.plugin)
                .cloned()
                .ok_or_else(|| FieldProblem::new("/plugin", "the plugin has no version")),
        }
    }

    fn view(&self, name: &str) -> Option<PluginView> {
        let versions = self.plugins.get(name)?;
        Some(PluginView {
            name: name.to_string(),
            versions: versions
                .values()
                .map(|plugin| {
                    let metadata = plugin.metadata();
                    PluginVersionView {
                        version: metadata.version.to_string(),
                        sha256: plugin.sha256().to_string(),
                        size_bytes: plugin.size(),
                        description: metadata.description.clone(),
                        params_schema: metadata.params_schema.clone(),
                        uploaded_at: self
                            .uploaded
                            .get(&(name.to_string(), metadata.version.clone()))
                            .copied(),
                    }
                })
                .collect(),
            latest: self
                .current(name)
                .map(|plugin| plugin.metadata().version.to_string())
                .unwrap_or_default(),
        })
    }
}

/// The service.
pub struct Service {
    store: Store,
    registry: RwLock<Registry>,
    /// What evaluations read, the threads they run on, and their counts.
    evaluator: Evaluator,
    keys: RwLock<HashMap<String, KeyInfo>>,
    writes: tokio::sync::Mutex<()>,
    /// Compiles uploaded plugins.
    runtime: Arc<Runtime>,
    /// The largest plugin an upload may send.
    max_plugin_bytes: usize,
    /// Serialises this process's commits and cancels (SQLite's write lock, taken at the
    /// start of each, serialises them across processes).
    commits: tokio::sync::Mutex<()>,
    /// The store generation the cached campaigns, groups and plugins reflect ([`sync`]).
    generation: AtomicI64,
    /// One catch-up with other hosts' changes at a time.
    catching_up: tokio::sync::Mutex<()>,
    /// Since when the database has not answered, while it does not.
    unreachable_since: Mutex<Option<DateTime<Utc>>>,
}

impl Service {
    /// A service over `store` serving `plugins`; reads every campaign, group and key.
    /// Uploaded plugin versions are read from the store and compiled by `runtime`; an
    /// upload may send at most `max_plugin_bytes`.
    pub async fn start(
        store: Store,
        runtime: Arc<Runtime>,
        plugins: Vec<Plugin>,
        max_plugin_bytes: usize,
    ) -> Result<Service, ServiceError> {
        let mut registry = Registry::default();
        for plugin in plugins {
            registry.add(plugin);
        }
        plugins::load_uploaded(&store, &runtime, &mut registry).await?;
        // Read before the campaigns: whatever changes after it is caught up on later.
        let generation = store.generation().await?;
        let service = Service {
            store,
            registry: RwLock::new(registry),
            evaluator: Evaluator::new()?,
            keys: RwLock::new(HashMap::new()),
            writes: tokio::sync::Mutex::new(()),
            commits: tokio::sync::Mutex::new(()),
            runtime,
            max_plugin_bytes,
            generation: AtomicI64::new(generation),
            catching_up: tokio::sync::Mutex::new(()),
            unreachable_since: Mutex::new(None),
        };
        service.reload().await?;
        Ok(service)
    }

    /// Reads campaigns, groups and keys from the store again.
    pub async fn reload(&self) -> Result<(), ServiceError> {
        let _write = self.writes.lock().await;
        let stored = self.store.campaigns().await?;
        let groups = self.store.groups().await?;
        let usage = self.store.usage().await?;
        self.evaluator.set_usage(usage);
        let mut live = Vec::with_capacity(stored.len());
        for stored in stored {
            let id = stored.campaign.id.clone();
            match self.prepare(stored.campaign) {
                Ok(campaign) => live.push(Arc::new(campaign)),
                // A campaign its plugin no longer accepts stays stored; it is reported on
                // its next write and set aside until then.
                Err(problems) => {
                    tracing::warn!(campaign = %id, ?problems, "campaign set aside: its plugin refuses it")
                }
            }
        }
        self.evaluator.set_snapshot(Snapshot::new(
            CampaignIndex::new(live),
            groups.into_iter().collect(),
        ));
        Ok(())
    }

    /// Registers an API key (stored hashed) with `role` and `label` (`""`: none).
    pub async fn add_key(&self, key: &str, role: Role, label: &str) -> Result<(), ServiceError> {
        let hash = hash_key(key);
        self.store.add_key(&hash, role, label).await?;
        self.keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(hash, KeyInfo::new(role, label));
        Ok(())
    }

    /// How many keys the store holds.
    pub async fn key_count(&self) -> Result<i64, ServiceError> {
        Ok(self.store.key_count().await?)
    }

    /// The role and label of `key`, `None` when it is unknown.
    pub async fn key(&self, key: &str) -> Result<Option<KeyInfo>, ServiceError> {
        let hash = hash_key(key);
        if let Some(info) = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&hash)
        {
            return Ok(Some(info.clone()));
        }
        let info = self.store.key(&hash).await?;
        if let Some(info) = &info {
            self.keys
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(hash, info.clone());
        }
        Ok(info)
    }

    /// Prices a validated basket on the evaluation threads. Changes nothing but counters.
    /// Its plugins' time (`engine::PLUGIN_TIME_BUDGET`) counts from once the cached state
    /// is known fresh (at most [`FRESHNESS_TIMEOUT`] after arrival, PostgreSQL only), so
    /// time spent waiting for a free evaluation thread is part of it.
    pub async fn evaluate(
        &self,
        basket: Basket,
        explain: bool,
    ) -> Result<EvaluateResponse, ServiceError> {
        self.ensure_fresh().await;
        let deadline = Instant::now() + engine::PLUGIN_TIME_BUDGET;
        let snapshot = self.evaluator.snapshot();
        let usage = self.usage_for_evaluation(&basket, &snapshot).await?;
        let (_, response) = self
            .evaluator
            .run(basket, explain, snapshot, usage, deadline)
            .await?;
        self.evaluator.count(&response);
        Ok(response)
    }

    /// Closes the store (on shutdown, once the counters are saved).
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// Every stored campaign.
    pub async fn campaigns(&self) -> Result<Vec<CampaignView>, ServiceError> {
        Ok(self
            .store
            .campaigns()
            .await?
            .into_iter()
            .map(CampaignView::from)
            .collect())
    }

    /// One stored campaign.
    pub async fn campaign(&self, id: &str) -> Result<CampaignView, ServiceError> {
        self.store
            .campaign(id)
            .await?
            .map(CampaignView::from)
            .ok_or_else(|| ServiceError::NotFound(format!("campaign {id} not found")))
    }

    /// Checks and stores a new campaign.
    pub async fn create_campaign(&self, campaign: Campaign) -> Result<CampaignView, ServiceError> {
        let _write = self.writes.lock().await;
        let live = self.prepare(campaign).map_err(ServiceError::Invalid)?;
        let stored = self.store.create_campaign(&live.campaign).await?;
        self.evaluator.swap_in(live);
        self.changed().await;
        Ok(stored.into())
    }

    /// Checks and replaces a campaign (`expected_revision`: the `If-Match` of the request).
    pub async fn replace_campaign(
        &self,
        id: &str,
        campaign: Campaign,
        expected_revision: Option<i64>,
    ) -> Result<CampaignView, ServiceError> {
        let _write = self.writes.lock().await;
        self.replace_locked(id, campaign, expected_revision).await
    }

    async fn replace_locked(
        &self,
        id: &str,
        campaign: Campaign,
        expected_revision: Option<i64>,
    ) -> Result<CampaignView, ServiceError> {
        if campaign.id != id {
            return Err(ServiceError::Invalid(vec![FieldProblem::new(
                "/id",
                format!("the body names campaign {:?}, the path {id:?}", campaign.id),
            )]));
        }
        let live = self.prepare(campaign).map_err(ServiceError::Invalid)?;
        let stored = self
            .store
            .replace_campaign(&live.campaign, expected_revision)
            .await?;
        self.evaluator.swap_in(live);
        self.changed().await;
        Ok(stored.into())
    }

    /// Applies an RFC 7396 merge patch to a campaign, then checks and stores it.
    pub async fn patch_campaign(
        &self,
        id: &str,
        merge_patch: serde_json::Value,
        expected_revision: Option<i64>,
    ) -> Result<CampaignView, ServiceError> {
        let _write = self.writes.lock().await;
        let current = self.campaign(id).await?;
        let mut body = serde_json::to_value(&current.campaign)
            .map_err(|e| ServiceError::Unavailable(format!("cannot read campaign {id}: {e}")))?;
        merge(&mut body, merge_patch);
        let campaign: Campaign = serde_path_to_error::deserialize(body).map_err(|error| {
            let message = error.inner().to_string();
            let pointer = crate::json_pointer::pointer(error.path().iter(), &message);
            ServiceError::Invalid(vec![FieldProblem::new(pointer, message)])
        })?;
        self.replace_locked(id, campaign, expected_revision.or(Some(current.revision)))
            .await
    }

    /// Deletes a campaign.
    pub async fn delete_campaign(&self, id: &str) -> Result<(), ServiceError> {
        let _write = self.writes.lock().await;
        if !self.store.delete_campaign(id).await? {
            return Err(ServiceError::NotFound(format!("campaign {id} not found")));
        }
        self.evaluator
            .update_snapshot(|draft| draft.live.retain(|live| live.campaign.id != id));
        self.changed().await;
        Ok(())
    }

    /// Activates, pauses or ends a campaign at once.
    pub async fn set_status(&self, id: &str, status: Status) -> Result<CampaignView, ServiceError> {
        let _write = self.writes.lock().await;
        let current = self.campaign(id).await?;
        let mut campaign = current.campaign;
        campaign.status = status;
        self.replace_locked(id, campaign, Some(current.revision))
            .await
    }

    /// Every configured group.
    pub async fn groups(&self) -> Result<Vec<(String, Policy)>, ServiceError> {
        Ok(self.store.groups().await?)
    }

    /// A group's policy (`best_for_customer` when never configured).
    pub async fn group(&self, name: &str) -> Result<Policy, ServiceError> {
        let groups = self.store.groups().await?;
        Ok(groups
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, policy)| policy)
            .unwrap_or_default())
    }

    /// Sets a group's policy.
    pub async fn set_group(&self, name: &str, policy: Policy) -> Result<(), ServiceError> {
        let _write = self.writes.lock().await;
        self.store.set_group(name, policy).await?;
        self.evaluator.update_snapshot(|draft| {
            draft.policies.insert(name.to_string(), policy);
        });
        self.changed().await;
        Ok(())
    }

    /// The catalogue.
    pub fn plugins(&self) -> Vec<PluginView> {
        let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        registry
            .plugins
            .keys()
            .filter_map(|name| registry.view(name))
            .collect()
    }

    /// One plugin of the catalogue.
    pub fn plugin(&self, name: &str) -> Option<PluginView> {
        let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        registry.view(name)
    }

    /// Checks a campaign against its plugin and prepares its parameters.
    fn prepare(&self, campaign: Campaign) -> Result<LiveCampaign, Vec<FieldProblem>> {
        campaign.validate()?;
        let plugin = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .for_campaign(&campaign)
            .map_err(|problem| vec![problem])?;
        let prepared = match plugin.check_params(&campaign.params.to_string()) {
            Ok(Ok(prepared)) => prepared,
            Ok(Err(problems)) => {
                return Err(problems
                    .into_iter()
                    .map(|p| FieldProblem::new(format!("/params{}", p.pointer), p.message))
                    .collect())
            }
            Err(error) => {
                return Err(vec![FieldProblem::new(
                    "/params",
                    format!("the plugin could not check them: {error}"),
                )])
            }
        };
        Ok(LiveCampaign {
            campaign,
            plugin,
            prepared,
        })
    }
}

/// RFC 7396 JSON merge patch.
fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    match patch {
        serde_json::Value::Object(fields) => {
            if !target.is_object() {
                *target = serde_json::Value::Object(Default::default());
            }
            if let serde_json::Value::Object(target) = target {
                for (key, value) in fields {
                    if value.is_null() {
                        target.remove(&key);
                    } else {
                        merge(target.entry(key).or_insert(serde_json::Value::Null), value);
                    }
                }
            }
        }
        other => *target = other,
    }
}

/// Loads the plugins a service serves: the embedded catalogue, then every `.wasm` of
/// `plugin_dir` (a broken file is reported and skipped).
pub fn load_plugins(
    runtime: &crate::runtime::Runtime,
    plugin_dir: Option<&std::path::Path>,
) -> Result<Vec<Plugin>, LoadError> {
    let mut plugins = Vec::new();
    for (_, bytes) in crate::catalogue::PLUGINS {
        plugins.push(runtime.load(bytes, crate::runtime::Limits::default())?);
    }
    if let Some(dir) = plugin_dir {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(dir = %dir.display(), %error, "plugin folder unreadable");
                return Ok(plugins);
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "wasm") {
                let loaded = std::fs::read(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| {
                        runtime
                            .load(&bytes, crate::runtime::Limits::default())
                            .map_err(|e| e.to_string())
                    });
                match loaded {
                    Ok(plugin) => plugins.push(plugin),
                    Err(error) => {
                        tracing::warn!(file = %path.display(), %error, "plugin file ignored")
                    }
                }
            }
        }
    }
    Ok(plugins)
}

#[cfg(test)]
mod tests {
    use super::merge;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({ "a": "b", "c": { "d": "e", "f": "g" } });
        merge(&mut target, json!({ "a": "z", "c": { "f": null } }));
        assert_eq!(target, json!({ "a": "z", "c": { "d": "e" } }));
        let mut target = json!({ "a": [1, 2] });
        merge(&mut target, json!({ "a": [3] }));
        assert_eq!(target, json!({ "a": [3] }));
    }
}
