//! The centre's side of store nodes (docs/store-nodes.md): what a store node copies (the
//! feed of campaigns, groups, plugin versions and channel keys, the customer profiles a
//! page at a time, each plugin component by its SHA-256), and taking its committed orders
//! back exactly once. The store node's side is [`super::upstream`].

use super::events;
use super::leases::leasable_limits;
use super::{Service, ServiceError};
use crate::auth::Role;
use crate::model::campaign::Campaign;
use crate::model::plugin_limits::PluginLimits;
use crate::model::Policy;
use crate::store::{lease_holder, LeaseAsk, LeaseTake};
use crate::store::{ForwardedEvents, MirroredKey, QueuedEntry, StoredCampaign, TakenBack};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
    /// `(id, profile as stored, JSON)`, or `(id, None)` where the customer was erased
    /// (the store erases them too), in write order: a profile written again after an
    /// erasure comes after it.
    pub customers: Vec<(String, Option<String>)>,
    /// Where the next page starts: this page's last write's time and id (`None` for an
    /// empty page: the cursor sent stays).
    pub cursor: Option<(String, String)>,
    /// Whether more profiles may follow at once (this page is full).
    pub more: bool,
}

/// What a store node asks for when it leases a campaign: at least this much (it may get
/// less: what is left), and a slice of what is free when that is more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreLeaseAsk {
    /// The campaign.
    pub campaign_id: String,
    /// Redemptions needed at least.
    pub redemptions: u64,
    /// Minor units of the budget's currency needed at least.
    pub minor: i64,
    /// Whether the store's lease of the campaign starts again from what its forwarded
    /// orders used (the store ended its last one): what that one left unused comes back.
    #[serde(default)]
    pub rebase: bool,
}

/// A lease a store node holds, or what a lease added to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreLease {
    /// The lease's id at the centre.
    pub id: String,
    /// The campaign.
    pub campaign_id: String,
    /// Redemptions added (`None`: the campaign has no cap).
    pub redemptions: Option<u64>,
    /// Minor units of the budget's currency added (`None`: it has no budget).
    pub minor: Option<i64>,
    /// When the lease ends unless renewed, in milliseconds since 1970 by the centre's
    /// clock.
    pub expires_at_ms: i64,
}

/// The store leases a renewal kept, and until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreLeasesRenewed {
    /// The leases still held.
    pub ids: Vec<String>,
    /// Their new end, in milliseconds since 1970 by the centre's clock.
    pub expires_at_ms: i64,
}

impl Service {
    /// Leases store node `store_id` a slice of a campaign's cap and budget
    /// (docs/store-nodes.md): under the campaign's lock, at least what it asks (or what is
    /// left), an eighth of what is free when that is more.
    pub async fn lease_for_store(
        &self,
        store_id: &str,
        ask: &StoreLeaseAsk,
    ) -> Result<StoreLease, ServiceError> {
        let stored = self
            .store
            .campaign(&ask.campaign_id)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!("campaign {} not found", ask.campaign_id))
            })?;
        let limits = leasable_limits(&stored.campaign).ok_or_else(|| {
            ServiceError::Conflict(format!(
                "campaign {} cannot be leased: only a redemption cap and a budget in a named \
                 currency can (a per-customer limit or coupons are counted at the centre)",
                ask.campaign_id
            ))
        })?;
        let now_ms = self.clock.now().timestamp_millis();
        let ttl_ms = self.store_lease_ttl_ms();
        let granted = self
            .store
            .lease(&LeaseAsk {
                campaign_id: &ask.campaign_id,
                holder: &lease_holder(store_id),
                new_id: &crate::auth::new_key_id(),
                limits,
                need: LeaseTake {
                    redemptions: ask.redemptions,
                    minor: ask.minor.max(0),
                },
                rebase: ask.rebase,
                now_ms,
                ttl_ms,
            })
            .await?;
        crate::metrics::lease_taken();
        Ok(StoreLease {
            id: granted.id,
            campaign_id: ask.campaign_id.clone(),
            redemptions: granted.redemptions,
            minor: granted.minor,
            expires_at_ms: now_ms.saturating_add(ttl_ms),
        })
    }

    /// How long a store node's lease lives unless renewed, in milliseconds.
    fn store_lease_ttl_ms(&self) -> i64 {
        i64::try_from(self.leases.store_ttl().as_millis()).unwrap_or(i64::MAX)
    }

    /// Renews store node `store_id`'s leases `ids` that have not expired.
    pub async fn renew_store_leases(
        &self,
        store_id: &str,
        ids: &[String],
    ) -> Result<StoreLeasesRenewed, ServiceError> {
        let now_ms = self.clock.now().timestamp_millis();
        let expires_at_ms = now_ms.saturating_add(self.store_lease_ttl_ms());
        let ids = self
            .store
            .renew_store_leases(&lease_holder(store_id), ids, now_ms, expires_at_ms)
            .await?;
        Ok(StoreLeasesRenewed { ids, expires_at_ms })
    }

    /// Every store node that handed orders back, with what it handed back and when it
    /// last did: a store long unseen is offline, or stuck.
    pub async fn known_stores(&self) -> Result<Vec<crate::store::KnownStore>, ServiceError> {
        Ok(self.store.known_stores().await?)
    }

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
        // The budgets' currencies, to count what a store's order took from its lease.
        let budget_currencies: HashMap<String, String> = self
            .evaluator
            .snapshot()
            .index
            .all()
            .iter()
            .filter_map(|live| {
                let kept_in = live.campaign.limits.budget_currency.clone()?;
                Some((live.campaign.id.clone(), kept_in))
            })
            .collect();
        let taken = {
            let _turn = self.commit_turn().await?;
            let snapshot = self.evaluator.snapshot();
            let (low, now) = (self.webhooks.budget_low_percent, self.clock.now());
            let events = ForwardedEvents {
                committed: &events::forwarded,
                cancelled: &|order_id, customer, at| {
                    // A store node neither issues reward codes nor withdraws them.
                    events::cancelled(order_id, customer, &[], &[], at)
                },
                crossed: &|campaign_id, was, is| {
                    let Some(live) = snapshot.index.get(campaign_id) else {
                        return Vec::new();
                    };
                    events::crossed(&live.campaign, was, is, low)
                        .into_iter()
                        .map(|(kind, data)| events::event(kind, None, Some(campaign_id), now, data))
                        .collect()
                },
            };
            self.store
                .take_back(store_id, entries, &budget_currencies, &events)
                .await?
        };
        if taken.applied > 0 {
            self.outbox.notify_one();
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
