//! The centre's side of store nodes (docs/store-nodes.md): what a store node copies (the
//! feed of campaigns, groups, plugin versions and channel keys, the customer profiles a
//! page at a time, each plugin component by its SHA-256), and taking its committed orders
//! back exactly once. The store node's side is [`super::upstream`].

use super::{Service, ServiceError};
use crate::auth::Role;
use crate::model::campaign::Campaign;
use crate::model::plugin_limits::PluginLimits;
use crate::model::Policy;
use crate::store::{MirroredKey, QueuedEntry, StoredCampaign, TakenBack};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most entries a store node sends in one request.
pub const MAX_FORWARDED_ENTRIES: usize = 500;

/// The most customer profiles one page of the customers feed holds.
pub const MAX_CUSTOMERS_PAGE: u32 = 1_000;

/// What a store node copies from the centre, as of the centre's generation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    /// The centre's generation: it moves on with every write of campaigns, groups,
    /// plugins or keys, so a store node that holds it has nothing new to copy.
    pub generation: i64,
    /// Every campaign, with its revision and times.
    pub campaigns: Vec<FeedCampaign>,
    /// Every configured group's policy.
    pub groups: Vec<(String, Policy)>,
    /// Every uploaded plugin version (components fetched apart, by SHA-256).
    pub plugins: Vec<FeedPlugin>,
    /// The version each uploaded plugin's unpinned campaigns follow.
    pub current: Vec<(String, String)>,
    /// Each plugin's own limits, where ops set some.
    pub limits: Vec<(String, PluginLimits)>,
    /// The channel keys (tills), by hash, revoked ones included.
    pub keys: Vec<MirroredKey>,
}

/// A campaign as the feed carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedCampaign {
    /// The campaign.
    pub campaign: Campaign,
    /// Its revision at the centre.
    pub revision: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last written.
    pub updated_at: DateTime<Utc>,
}

impl From<StoredCampaign> for FeedCampaign {
    fn from(stored: StoredCampaign) -> Self {
        FeedCampaign {
            campaign: stored.campaign,
            revision: stored.revision,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        }
    }
}

impl From<FeedCampaign> for StoredCampaign {
    fn from(fed: FeedCampaign) -> Self {
        StoredCampaign {
            campaign: fed.campaign,
            revision: fed.revision,
            created_at: fed.created_at,
            updated_at: fed.updated_at,
        }
    }
}

/// An uploaded plugin version as the feed carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedPlugin {
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The hex SHA-256 of its component.
    pub sha256: String,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
}

/// One page of the customers feed, oldest write first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomersFeed {
    /// `(id, profile as stored, JSON)`.
    pub customers: Vec<(String, String)>,
    /// Where the next page starts: this page's last profile's write time and id (`None`
    /// for an empty page: the cursor sent stays).
    pub cursor: Option<(String, String)>,
    /// Whether more profiles may follow at once (this page is full).
    pub more: bool,
}

impl Service {
    /// What a store node copies, or `None` when its `generation` is the centre's (nothing
    /// changed since it last copied).
    pub async fn store_feed(&self, generation: Option<i64>) -> Result<Option<Feed>, ServiceError> {
        let now = self.store.generation().await?;
        if generation == Some(now) {
            return Ok(None);
        }
        let campaigns = self.store.campaigns().await?;
        let plugins = self.store.plugin_versions().await?;
        Ok(Some(Feed {
            generation: now,
            campaigns: campaigns.into_iter().map(FeedCampaign::from).collect(),
            groups: self.store.groups().await?,
            plugins: plugins
                .into_iter()
                .map(|plugin| FeedPlugin {
                    name: plugin.name,
                    version: plugin.version,
                    sha256: plugin.sha256,
                    uploaded_at: plugin.uploaded_at,
                })
                .collect(),
            current: self.store.current_plugin_versions().await?,
            limits: self.store.plugin_limits().await?,
            keys: self.store.keys_for_mirror(Role::Channel).await?,
        }))
    }

    /// The component of an uploaded plugin version, by its SHA-256.
    pub async fn store_component(&self, sha256: &str) -> Result<Vec<u8>, ServiceError> {
        self.store
            .plugin_by_sha256(sha256)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no plugin version has sha256 {sha256}")))
    }

    /// Up to `limit` profiles written after `after`, oldest write first.
    pub async fn customers_feed(
        &self,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<CustomersFeed, ServiceError> {
        let limit = limit.clamp(1, MAX_CUSTOMERS_PAGE);
        let rows = self.store.customers_written_after(after, limit).await?;
        let more = rows.len() == limit as usize;
        let cursor = rows.last().map(|(id, _, at)| (at.clone(), id.clone()));
        Ok(CustomersFeed {
            customers: rows.into_iter().map(|(id, body, _)| (id, body)).collect(),
            cursor,
            more,
        })
    }

    /// Takes store node `store_id`'s forwarded `entries` back: each applied exactly once,
    /// in order ([`crate::store::Store::take_back`]).
    pub async fn take_back(
        &self,
        store_id: &str,
        entries: &[QueuedEntry],
    ) -> Result<TakenBack, ServiceError> {
        if entries.len() > MAX_FORWARDED_ENTRIES {
            return Err(ServiceError::Invalid(vec![
                crate::model::FieldProblem::new(
                    "/entries",
                    format!("at most {MAX_FORWARDED_ENTRIES} entries per request"),
                ),
            ]));
        }
        if entries.windows(2).any(|pair| pair[0].seq >= pair[1].seq) {
            return Err(ServiceError::Invalid(vec![
                crate::model::FieldProblem::new(
                    "/entries",
                    "entries must come in increasing seq order",
                ),
            ]));
        }
        let taken = {
            let _turn = self.commit_turn().await?;
            self.store.take_back(store_id, entries).await?
        };
        if taken.applied > 0 {
            crate::metrics::store_entries_taken_back(taken.applied);
            // Evaluations here see what the store's orders used from then on.
            self.evaluator.set_usage(self.store.usage().await?);
        }
        for (seq, why) in &taken.refused {
            tracing::warn!(store = store_id, seq, %why, "a store node's order was refused");
        }
        Ok(taken)
    }
}
