//! Plugin versions uploaded by ops (`PUT /v1/plugins/{name}`), rolled back
//! (`POST /v1/plugins/{name}/rollback`) and deleted (`DELETE
//! /v1/plugins/{name}/versions/{version}`), without a restart.
//!
//! An upload is compiled on a blocking thread, never on the async workers, checked (a
//! component implementing `remise:scenario`, named as its path, a version not yet loaded),
//! checked again against every campaign that would follow it, stored, and swapped in with
//! those campaigns in one snapshot: an evaluation in flight finishes on the version it
//! started with, the next one sees the new version. A refused upload changes nothing.

use super::evaluator::Snapshot;
use super::{Service, ServiceError};
use crate::engine::LiveCampaign;
use crate::model::campaign::Campaign;
use crate::model::plugin_limits::PluginLimits;
use crate::model::FieldProblem;
use crate::registry::watch::DroppedPlugins;
use crate::registry::PluginView;
use crate::runtime::{Limits, Plugin};
use sha2::{Digest, Sha256};
use std::sync::{Arc, PoisonError};

/// The largest plugin an upload may send unless configured otherwise: 4 MiB.
pub const DEFAULT_MAX_PLUGIN_BYTES: usize = 4 << 20;

/// What an upload did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uploaded {
    /// A new version, now current.
    New,
    /// The bytes of a version already loaded: it is current again, nothing compiled.
    Known,
}

impl Service {
    /// The catalogue.
    pub fn plugins(&self) -> Vec<PluginView> {
        let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        registry
            .plugins
            .keys()
            .filter_map(|name| registry.view(name, self.max_plugin_bytes))
            .collect()
    }

    /// One plugin of the catalogue.
    pub fn plugin(&self, name: &str) -> Option<PluginView> {
        let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        registry.view(name, self.max_plugin_bytes)
    }

    /// The largest plugin an upload may send.
    pub fn max_plugin_bytes(&self) -> usize {
        self.max_plugin_bytes
    }

    /// The largest component an upload of plugin `name` may send: its own limit, never
    /// above the server's.
    pub fn max_upload_bytes(&self, name: &str) -> usize {
        self.registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .configured_limits(name)
            .upload_limit(self.max_plugin_bytes)
    }

    /// Sets plugin `name`'s own limits (`PUT /v1/plugins/{name}/limits`): checked against
    /// the server-wide bounds, stored, applied to every version at once (a run in flight
    /// finishes under the limits it started with), and propagated to the other hosts.
    pub async fn set_plugin_limits(
        &self,
        name: &str,
        limits: PluginLimits,
    ) -> Result<(), ServiceError> {
        let max_upload = u64::try_from(self.max_plugin_bytes).unwrap_or(u64::MAX);
        limits.validate(max_upload).map_err(ServiceError::Invalid)?;
        let _write = self.writes.lock().await;
        if !self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .plugins
            .contains_key(name)
        {
            return Err(ServiceError::NotFound(format!("plugin {name} not found")));
        }
        self.store.set_plugin_limits(name, &limits).await?;
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .set_limits(name, limits);
        self.changed().await;
        Ok(())
    }

    /// Uploads `bytes` as a version of plugin `name` and makes it the version unpinned
    /// campaigns follow. Known bytes make their version current again without compiling.
    pub async fn upload_plugin(
        &self,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<Uploaded, ServiceError> {
        let result = self
            .upload(Some(name), bytes, None)
            .await
            .map(|(_, uploaded)| uploaded);
        crate::metrics::plugin_reloaded(name, result.is_ok());
        result
    }

    /// Uploads `bytes` as a version of plugin `name` that shadows the current one at
    /// `sample_percent` (docs/shadow.md) rather than replacing it; the bytes of a version
    /// already loaded start shadowing without compiling.
    pub async fn upload_shadow(
        &self,
        name: &str,
        bytes: Vec<u8>,
        sample_percent: u8,
    ) -> Result<Uploaded, ServiceError> {
        let result = self
            .upload(Some(name), bytes, Some(sample_percent))
            .await
            .map(|(_, uploaded)| uploaded);
        crate::metrics::plugin_reloaded(name, result.is_ok());
        result
    }

    /// Loads a component dropped in the plugin folder the way an upload does, under the
    /// name its metadata gives; returns that name. `file` names it in the metrics when
    /// it is refused.
    pub async fn load_dropped_plugin(
        &self,
        file: &str,
        bytes: Vec<u8>,
    ) -> Result<(String, Uploaded), ServiceError> {
        let result = self.upload(None, bytes, None).await;
        match &result {
            Ok((name, _)) => crate::metrics::plugin_reloaded(name, true),
            Err(_) => crate::metrics::plugin_reloaded(file, false),
        }
        result
    }

    /// Uploads `bytes`, which must be plugin `expected` when it is given; as a shadow at
    /// that sample rate when `shadow` is given, else as the current version.
    async fn upload(
        &self,
        expected: Option<&str>,
        bytes: Vec<u8>,
        shadow: Option<u8>,
    ) -> Result<(String, Uploaded), ServiceError> {
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        let _write = self.writes.lock().await;
        let known = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .plugins
            .iter()
            .filter(|(name, _)| expected.is_none_or(|expected| expected == name.as_str()))
            .flat_map(|(_, versions)| versions.values())
            .find(|p| p.sha256() == sha256)
            .cloned();
        if let Some(plugin) = known {
            let name = plugin.metadata().name.clone();
            match shadow {
                Some(percent) => {
                    let version = plugin.metadata().version.to_string();
                    self.start_shadow_locked(&name, &version, percent).await?;
                }
                None => self.make_current(&name, plugin).await?,
            }
            return Ok((name, Uploaded::Known));
        }

        let loader = Arc::clone(&self.loader);
        let plugin = tokio::task::spawn_blocking(move || {
            loader.load(&bytes, Limits::default()).map(|p| (p, bytes))
        })
        .await
        .map_err(|e| ServiceError::Unavailable(format!("compiling the plugin: {e}")))?;
        let (plugin, bytes) =
            plugin.map_err(|error| refused(format!("not a valid plugin: {error}")))?;
        self.registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .apply_limits(&plugin);
        let metadata = plugin.metadata();
        // The route read at most the limit of the name in its path; a dropped file is
        // only known by name now.
        let limit = self.max_upload_bytes(&metadata.name);
        if bytes.len() > limit {
            return Err(refused(format!(
                "{} is {} bytes; uploads of it may be at most {limit}",
                metadata.name,
                bytes.len()
            )));
        }
        if let Some(expected) = expected.filter(|expected| *expected != metadata.name) {
            return Err(refused(format!(
                "the component is named {:?}, not {expected:?}",
                metadata.name
            )));
        }
        let name = metadata.name.clone();
        let name = name.as_str();
        let version = metadata.version.clone();
        let exists = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .plugins
            .get(name)
            .is_some_and(|versions| versions.contains_key(&version));
        if exists {
            return Err(refused(format!(
                "{name} {version} is already loaded, with other bytes; a new upload needs a new version"
            )));
        }
        let plugin = Arc::new(plugin);
        let followers = self.followers_on(name, &plugin)?;
        if let Some(percent) = shadow {
            let current = self
                .registry
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .current(name)
                .map(|current| current.metadata().version.clone())
                .ok_or_else(|| {
                    refused(format!(
                        "{name} has no version yet: a shadow needs a current one"
                    ))
                })?;
            let uploaded_at = self
                .store
                .add_shadow_version(
                    name,
                    &version.to_string(),
                    &sha256,
                    &bytes,
                    &current.to_string(),
                    percent,
                )
                .await?;
            self.register_upload(name, plugin, uploaded_at.0, current);
            self.load_shadows().await?;
            self.changed().await;
            return Ok((name.to_string(), Uploaded::New));
        }
        let uploaded_at = self
            .store
            .add_plugin_version(name, &version.to_string(), &sha256, &bytes)
            .await?;
        self.register_upload(name, plugin, uploaded_at, version);
        self.swap_all(followers);
        self.changed().await;
        Ok((name.to_string(), Uploaded::New))
    }

    /// Puts an uploaded version of `name` in the registry, with `current` the version its
    /// unpinned campaigns follow.
    fn register_upload(
        &self,
        name: &str,
        plugin: Arc<Plugin>,
        uploaded_at: chrono::DateTime<chrono::Utc>,
        current: semver::Version,
    ) {
        let version = plugin.metadata().version.clone();
        let mut registry = self
            .registry
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        registry
            .uploaded
            .insert((name.to_string(), version.clone()), uploaded_at);
        registry
            .plugins
            .entry(name.to_string())
            .or_default()
            .insert(version, plugin);
        registry.current.insert(name.to_string(), current);
    }

    /// Makes the version before the current one of `name` current again.
    pub async fn rollback_plugin(&self, name: &str) -> Result<(), ServiceError> {
        let result = self.rollback(name).await;
        crate::metrics::plugin_reloaded(name, result.is_ok());
        result
    }

    async fn rollback(&self, name: &str) -> Result<(), ServiceError> {
        let _write = self.writes.lock().await;
        let previous = {
            let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
            let versions = registry
                .plugins
                .get(name)
                .ok_or_else(|| ServiceError::NotFound(format!("plugin {name} not found")))?;
            let current = registry
                .current(name)
                .map(|plugin| plugin.metadata().version.clone())
                .ok_or_else(|| ServiceError::NotFound(format!("plugin {name} has no version")))?;
            versions
                .range(..current.clone())
                .next_back()
                .map(|(_, plugin)| plugin.clone())
                .ok_or_else(|| {
                    ServiceError::Conflict(format!("{name} has no version before {current}"))
                })?
        };
        self.make_current(name, previous).await
    }

    /// Deletes an uploaded version that no campaign pins and that is not current.
    pub async fn delete_plugin_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<(), ServiceError> {
        let _write = self.writes.lock().await;
        let parsed = semver::Version::parse(version)
            .map_err(|_| ServiceError::NotFound(format!("{name} has no version {version}")))?;
        {
            let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
            if !registry
                .plugins
                .get(name)
                .is_some_and(|versions| versions.contains_key(&parsed))
            {
                return Err(ServiceError::NotFound(format!(
                    "{name} has no version {version}"
                )));
            }
            if !registry
                .uploaded
                .contains_key(&(name.to_string(), parsed.clone()))
            {
                return Err(ServiceError::Conflict(format!(
                    "{name} {version} ships with the service (catalogue or plugin folder); only uploaded versions can be deleted"
                )));
            }
            if registry
                .current(name)
                .is_some_and(|plugin| plugin.metadata().version == parsed)
            {
                return Err(ServiceError::Conflict(format!(
                    "{name} {version} is the current version; roll back first"
                )));
            }
        }
        if self.is_shadow(name, version) {
            return Err(ServiceError::Conflict(format!(
                "{name} {version} shadows the current version; end the shadow first"
            )));
        }
        let pinned: Vec<String> = self
            .store
            .campaigns()
            .await?
            .into_iter()
            .map(|stored| stored.campaign)
            .filter(|c| c.plugin == name && c.plugin_version.as_ref() == Some(&parsed))
            .map(|c| c.id)
            .collect();
        if !pinned.is_empty() {
            return Err(ServiceError::Conflict(format!(
                "{name} {version} is pinned by campaigns {}",
                pinned.join(", ")
            )));
        }
        if self
            .store
            .plugin_in_orders(&format!("{name}@{version}"))
            .await?
        {
            return Err(ServiceError::Conflict(format!(
                "{name} {version} priced orders that may still be returned, and a return \
                 prices the kept lines on the version that priced the order"
            )));
        }
        self.store.delete_plugin_version(name, version).await?;
        {
            let mut registry = self
                .registry
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(versions) = registry.plugins.get_mut(name) {
                versions.remove(&parsed);
            }
            registry.uploaded.remove(&(name.to_string(), parsed));
        }
        self.changed().await;
        Ok(())
    }

    /// Makes `plugin` the version of `name` that unpinned campaigns follow (checked
    /// against them first), in the store and then in one snapshot swap.
    pub(super) async fn make_current(
        &self,
        name: &str,
        plugin: Arc<Plugin>,
    ) -> Result<(), ServiceError> {
        let followers = self.followers_on(name, &plugin)?;
        let version = plugin.metadata().version.clone();
        self.store
            .set_current_plugin_version(name, &version.to_string())
            .await?;
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .current
            .insert(name.to_string(), version);
        self.swap_all(followers);
        self.changed().await;
        Ok(())
    }

    /// Every live campaign of plugin `name` without a pin, prepared on `plugin`; refused
    /// (nothing changes) when `plugin` does not accept the params of one of them.
    pub(super) fn followers_on(
        &self,
        name: &str,
        plugin: &Arc<Plugin>,
    ) -> Result<Vec<LiveCampaign>, ServiceError> {
        let snapshot = self.evaluator.snapshot();
        let mut followers = Vec::new();
        let mut problems = Vec::new();
        for live in snapshot.index.all() {
            let campaign: &Campaign = &live.campaign;
            if campaign.plugin != name || campaign.plugin_version.is_some() {
                continue;
            }
            match plugin.check_params(&campaign.params.to_string()) {
                Ok(Ok(prepared)) => followers.push(LiveCampaign {
                    campaign: campaign.clone(),
                    plugin: plugin.clone(),
                    prepared,
                    revision: live.revision,
                }),
                Ok(Err(refusals)) => problems.extend(refusals.into_iter().map(|p| {
                    FieldProblem::new(
                        "",
                        format!(
                            "campaign {} follows {name}, and {} refuses its params at {}: {}",
                            campaign.id,
                            plugin.metadata().version,
                            if p.pointer.is_empty() {
                                "/"
                            } else {
                                &p.pointer
                            },
                            p.message
                        ),
                    )
                })),
                Err(error) => problems.push(FieldProblem::new(
                    "",
                    format!(
                        "campaign {} follows {name}, and {} fails on its params: {error}",
                        campaign.id,
                        plugin.metadata().version
                    ),
                )),
            }
        }
        if problems.is_empty() {
            Ok(followers)
        } else {
            Err(ServiceError::Invalid(problems))
        }
    }

    /// Puts every campaign of `followers` in the snapshot in one swap.
    fn swap_all(&self, followers: Vec<LiveCampaign>) {
        let followers = followers.into_iter().map(Arc::new).collect();
        self.evaluator.update_snapshot(|current| {
            Snapshot::new(
                Arc::new(current.index.replacing(followers)),
                current.policies.clone(),
            )
        });
    }
}

fn refused(message: String) -> ServiceError {
    ServiceError::Invalid(vec![FieldProblem::new("", message)])
}

impl DroppedPlugins for Service {
    type Error = ServiceError;

    async fn load_dropped(&self, file: &str, bytes: Vec<u8>) -> Result<String, ServiceError> {
        self.load_dropped_plugin(file, bytes)
            .await
            .map(|(name, _)| name)
    }
}
