//! The plugin registry: every loaded plugin version by name, the version unpinned
//! campaigns follow, when ops uploaded each; loading the embedded catalogue, the plugin
//! folder and the versions uploaded on any host ([`load_uploaded`]); and the watched
//! plugin folder ([`watch`]); the compiled-code cache every load goes through
//! ([`cache`]); and the propagation of every write between hosts on one database
//! ([`propagation`]). Uploads, rollbacks and deletions, which also re-check campaigns, are the
//! service's ([`crate::service`]).

pub mod cache;
pub mod propagation;
pub mod watch;

pub use cache::{CacheDirError, CacheStats, Loader};

use crate::model::campaign::Campaign;
use crate::model::plugin_limits::PluginLimits;
use crate::model::FieldProblem;
use crate::runtime::failures::KEPT_FAILURES;
use crate::runtime::{Limits, LoadError, Plugin};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Why the registry could not load what the store holds.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The store did not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The loading thread failed.
    #[error("loading stored plugins: {0}")]
    Load(String),
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
    /// The limits every version runs under (the server's defaults where ops set none).
    pub limits: LimitsView,
    /// The limits ops set on this plugin (`PUT /v1/plugins/{name}/limits`); the others
    /// are the server's defaults.
    pub configured_limits: PluginLimits,
    /// Its latest failures on the host that answers, newest first, every version together
    /// (at most 20).
    pub latest_errors: Vec<PluginErrorView>,
    /// How many failures that host saw since it loaded the plugin's versions.
    pub errors_total: u64,
}

/// A campaign a plugin could not answer for.
#[derive(Clone, Debug, Serialize)]
pub struct PluginErrorView {
    /// When (the host's clock).
    pub at: DateTime<Utc>,
    /// The version that ran.
    pub version: String,
    /// The campaign.
    pub campaign: String,
    /// The typed reason (`fuel_exhausted`, `memory_exceeded`, `timeout`, `plugin_error`,
    /// `invalid_effects`, …).
    pub reason: &'static str,
    /// What happened.
    pub message: String,
}

/// The limits a plugin runs and is uploaded under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LimitsView {
    /// Fuel for a basket of up to 200 lines (then scaled with the basket, ×10 at most).
    pub fuel: u64,
    /// Linear memory cap, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock deadline of one run, in milliseconds.
    pub deadline_ms: u64,
    /// The most effects one campaign's answer may hold.
    pub max_effects: usize,
    /// The largest component an upload of this plugin may send, in bytes.
    pub upload_bytes: usize,
}

impl LimitsView {
    /// The limits of a plugin whose own are `configured`, on a server whose uploads may
    /// send at most `max_plugin_bytes`.
    pub fn new(configured: &PluginLimits, max_plugin_bytes: usize) -> LimitsView {
        let limits = Limits::configured(configured);
        LimitsView {
            fuel: limits.fuel,
            memory_bytes: limits.memory_bytes,
            deadline_ms: u64::try_from(limits.deadline.as_millis()).unwrap_or(u64::MAX),
            max_effects: limits.max_effects,
            upload_bytes: configured.upload_limit(max_plugin_bytes),
        }
    }
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
    /// The language it was written in, as its component says (`null` when it does not).
    pub language: Option<String>,
}

/// Every loaded plugin version, by name then version, and the version each plugin's
/// unpinned campaigns follow when an upload or a rollback set one (else the highest).
#[derive(Clone, Default)]
pub struct Registry {
    /// Every version, by name then version.
    pub(crate) plugins: BTreeMap<String, BTreeMap<semver::Version, Arc<Plugin>>>,
    /// The version each plugin's unpinned campaigns follow, when one was set.
    pub(crate) current: HashMap<String, semver::Version>,
    /// When ops uploaded each uploaded version.
    pub(crate) uploaded: HashMap<(String, semver::Version), DateTime<Utc>>,
    /// The limits ops set on each plugin, by name (none: the defaults).
    pub(crate) limits: HashMap<String, PluginLimits>,
}

impl Registry {
    /// The limits ops set on plugin `name` (all unset when none).
    pub fn configured_limits(&self, name: &str) -> PluginLimits {
        self.limits.get(name).copied().unwrap_or_default()
    }

    /// Sets plugin `name`'s own limits, on every version loaded and every one to come.
    pub fn set_limits(&mut self, name: &str, configured: PluginLimits) {
        if configured == PluginLimits::default() {
            self.limits.remove(name);
        } else {
            self.limits.insert(name.to_string(), configured);
        }
        let limits = Limits::configured(&configured);
        for plugin in self
            .plugins
            .get(name)
            .into_iter()
            .flat_map(BTreeMap::values)
        {
            plugin.set_limits(limits);
        }
    }

    /// Gives `plugin` the limits ops set on its name.
    pub fn apply_limits(&self, plugin: &Plugin) {
        plugin.set_limits(Limits::configured(
            &self.configured_limits(&plugin.metadata().name),
        ));
    }

    /// Adds a loaded version (replacing one with its name and version), under the limits
    /// ops set on its name.
    pub fn add(&mut self, plugin: Plugin) -> Arc<Plugin> {
        self.apply_limits(&plugin);
        let plugin = Arc::new(plugin);
        let metadata = plugin.metadata();
        self.plugins
            .entry(metadata.name.clone())
            .or_default()
            .insert(metadata.version.clone(), plugin.clone());
        plugin
    }

    /// The version of `name` that unpinned campaigns run on.
    pub fn current(&self, name: &str) -> Option<&Arc<Plugin>> {
        let versions = self.plugins.get(name)?;
        self.current
            .get(name)
            .and_then(|version| versions.get(version))
            .or_else(|| versions.values().next_back())
    }

    /// The version a campaign runs on, or the problem with its plugin fields.
    pub fn for_campaign(&self, campaign: &Campaign) -> Result<Arc<Plugin>, FieldProblem> {
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

    /// The catalogue's view of plugin `name`, on a server whose uploads may send at most
    /// `max_plugin_bytes`.
    pub fn view(&self, name: &str, max_plugin_bytes: usize) -> Option<PluginView> {
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
                        language: plugin.language().map(str::to_string),
                    }
                })
                .collect(),
            latest_errors: latest_errors(versions),
            errors_total: versions
                .values()
                .map(|plugin| plugin.failures().total())
                .sum(),
            latest: self
                .current(name)
                .map(|plugin| plugin.metadata().version.to_string())
                .unwrap_or_default(),
            limits: LimitsView::new(&self.configured_limits(name), max_plugin_bytes),
            configured_limits: self.configured_limits(name),
        })
    }
}

/// The latest failures of every version of one plugin, newest first, at most
/// [`KEPT_FAILURES`].
fn latest_errors(versions: &BTreeMap<semver::Version, Arc<Plugin>>) -> Vec<PluginErrorView> {
    let mut errors: Vec<PluginErrorView> = versions
        .iter()
        .flat_map(|(version, plugin)| {
            plugin
                .failures()
                .latest()
                .into_iter()
                .map(move |failure| PluginErrorView {
                    at: failure.at,
                    version: version.to_string(),
                    campaign: failure.campaign,
                    reason: failure.reason,
                    message: failure.message,
                })
        })
        .collect();
    errors.sort_by_key(|error| std::cmp::Reverse(error.at));
    errors.truncate(KEPT_FAILURES);
    errors
}

/// Makes `registry`'s uploaded versions those of the store: registers every stored
/// version, forgets those deleted since (on any host), sets each plugin's current
/// version, and gives every version the limits ops set on its plugin. Only the components not already in `registry` with the same bytes are fetched
/// and compiled, so a host catching up with another's change pays for new uploads alone.
/// A stored version that no longer loads is logged and skipped.
pub async fn load_uploaded(
    store: &Store,
    loader: &Arc<Loader>,
    registry: &mut Registry,
) -> Result<(), RegistryError> {
    let stored = store.plugin_versions().await?;
    let configured: HashMap<String, PluginLimits> =
        store.plugin_limits().await?.into_iter().collect();
    for name in registry.limits.keys().cloned().collect::<Vec<_>>() {
        if !configured.contains_key(&name) {
            registry.set_limits(&name, PluginLimits::default());
        }
    }
    for (name, limits) in configured {
        registry.set_limits(&name, limits);
    }
    let deleted: Vec<(String, semver::Version)> = registry
        .uploaded
        .keys()
        .filter(|(name, version)| {
            !stored
                .iter()
                .any(|s| &s.name == name && s.version == version.to_string())
        })
        .cloned()
        .collect();
    for (name, version) in deleted {
        tracing::info!(plugin = %name, %version, "plugin version deleted on another host: unloaded");
        if let Some(versions) = registry.plugins.get_mut(&name) {
            versions.remove(&version);
            if versions.is_empty() {
                registry.plugins.remove(&name);
            }
        }
        registry.uploaded.remove(&(name, version));
    }
    let mut missing = Vec::new();
    for version in stored {
        let loaded = semver::Version::parse(&version.version)
            .ok()
            .filter(|parsed| {
                registry
                    .plugins
                    .get(&version.name)
                    .and_then(|versions| versions.get(parsed))
                    .is_some_and(|plugin| plugin.sha256() == version.sha256)
            });
        match loaded {
            Some(parsed) => {
                registry
                    .uploaded
                    .insert((version.name, parsed), version.uploaded_at);
            }
            None => {
                if let Some(component) = store
                    .plugin_component(&version.name, &version.version)
                    .await?
                {
                    missing.push((version, component));
                }
            }
        }
    }
    let loader = Arc::clone(loader);
    let loaded = tokio::task::spawn_blocking(move || {
        missing
            .into_iter()
            .filter_map(
                |(version, component)| match loader.load(&component, Limits::default()) {
                    Ok(plugin) => Some((plugin, version.uploaded_at)),
                    Err(error) => {
                        tracing::warn!(
                            plugin = %version.name,
                            version = %version.version,
                            %error,
                            "stored plugin version skipped"
                        );
                        None
                    }
                },
            )
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| RegistryError::Load(e.to_string()))?;
    for (plugin, uploaded_at) in loaded {
        let plugin = registry.add(plugin);
        let metadata = plugin.metadata();
        registry.uploaded.insert(
            (metadata.name.clone(), metadata.version.clone()),
            uploaded_at,
        );
    }
    for (name, version) in store.current_plugin_versions().await? {
        if let Ok(version) = semver::Version::parse(&version) {
            registry.current.insert(name, version);
        }
    }
    Ok(())
}

/// Loads the plugins a service serves: the embedded catalogue, then every `.wasm` of
/// `plugin_dir` (a broken file is reported and skipped).
pub fn load_plugins(
    loader: &Loader,
    plugin_dir: Option<&std::path::Path>,
) -> Result<Vec<Plugin>, LoadError> {
    let mut plugins = Vec::new();
    for (_, bytes) in crate::catalogue::PLUGINS {
        plugins.push(loader.load(bytes, Limits::default())?);
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
                        loader
                            .load(&bytes, Limits::default())
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
