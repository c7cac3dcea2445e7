//! A store node's budget leases (docs/store-nodes.md): for each campaign whose only limits
//! are a cap and a budget, the store holds a slice leased from the centre, and serves the
//! campaign with that slice as its limits, so its local commits never grant past it, with
//! the link down or not. The slice is topped up while the centre answers, renewed with
//! every pull, and dropped a minute before the centre would take it back.

use super::{Centre, UpstreamError};
use crate::model::campaign::{Campaign, Status};
use crate::model::usage::CampaignUsage;
use crate::money::currency;
use crate::service::{leasable_limits, Service, StoreLease, StoreLeaseAsk, StoreLeasesRenewed};
use crate::store::{Store, StoreError, StoredCampaign};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How long before the centre's end of a lease the store stops selling against it, so
/// that a store clock a little ahead of the centre's never sells on a lease taken back.
const EXPIRY_MARGIN_MS: i64 = 60_000;

/// How long a store waits before asking again for a campaign the centre had nothing free
/// of: a campaign spent everywhere costs the centre one small transaction per store every
/// 30 seconds, not every pull.
const EMPTY_LEASE_PAUSE_MS: i64 = 30_000;

/// A campaign's lease as this store holds it: what its local orders may have used in all
/// (its *allowance*: what it used before the lease, plus every slice granted since).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Held {
    /// The lease's id at the centre; `None` once it ended (the allowance then stays at what
    /// the store had used: the campaign is spent here until a new lease).
    id: Option<String>,
    /// Redemptions the local orders may have used in all (`None`: no cap).
    redemptions: Option<u64>,
    /// Minor units of the budget's currency they may have granted in all (`None`: no
    /// budget).
    minor: Option<i64>,
    /// The centre's end of the lease, milliseconds since 1970.
    expires_at_ms: i64,
    /// The last slice granted: the store asks for more once half of it is left.
    last_redemptions: u64,
    last_minor: i64,
    /// When the centre had nothing free at the last ask: not asked again before then.
    #[serde(default)]
    next_ask_ms: i64,
    /// The newest entry of the queue when the lease ended: a new lease waits until the
    /// centre has it, so every order sold on the old one counts there before the new
    /// slice is cut (`None`: nothing was waiting).
    #[serde(default)]
    sold_until_seq: Option<i64>,
}

fn key(campaign_id: &str) -> String {
    format!("lease:{campaign_id}")
}

async fn load(store: &Store, campaign_id: &str) -> Result<Option<Held>, StoreError> {
    Ok(store
        .sync_value(&key(campaign_id))
        .await?
        .and_then(|text| serde_json::from_str(&text).ok()))
}

async fn save(store: &Store, campaign_id: &str, held: &Held) -> Result<(), StoreError> {
    let text = serde_json::to_string(held)
        .map_err(|why| StoreError::Database(sqlx::Error::Encode(Box::new(why))))?;
    store.set_sync_value(&key(campaign_id), &text).await
}

/// The centre's `campaigns` as this store serves them: each leasable one with its
/// allowance as its cap and budget (what its local orders used when it holds no lease, so
/// that it is spent here).
pub(super) async fn with_lease_limits(
    store: &Store,
    campaigns: &[StoredCampaign],
) -> Result<Vec<StoredCampaign>, StoreError> {
    let usage = store.usage().await?;
    let mut served = Vec::with_capacity(campaigns.len());
    for stored in campaigns {
        let mut stored = stored.clone();
        if let Some(limits) = leasable_limits(&stored.campaign) {
            let used = usage.get(&stored.campaign.id).cloned().unwrap_or_default();
            let held = load(store, &stored.campaign.id).await?.unwrap_or_default();
            let campaign = &mut stored.campaign;
            if limits.cap.is_some() {
                campaign.limits.redemptions = Some(held.redemptions.unwrap_or(used.redemptions));
            }
            if limits.budget_minor.is_some() {
                let scale = campaign
                    .limits
                    .budget_currency
                    .as_deref()
                    .and_then(currency::minor_unit)
                    .unwrap_or(2);
                let minor = held.minor.unwrap_or(used.granted_minor).max(0);
                campaign.limits.budget = Some(Decimal::new(minor, scale));
            }
        }
        served.push(stored);
    }
    Ok(served)
}

/// Whether `campaign` is served at a store node on a lease.
pub fn is_store_leased(campaign: &Campaign) -> bool {
    leasable_limits(campaign).is_some()
}

/// Keeps this store's leases: drops those about to end, and, while the centre answers
/// (`online`), renews the others, leases the campaigns that have none (once the orders
/// sold on an earlier lease have all reached the centre) and tops up those half spent.
/// Whether an allowance changed (the campaigns are then served again).
pub(super) async fn keep_leases(
    service: &Service,
    centre: &Centre,
    campaigns: &[StoredCampaign],
    online: bool,
) -> Result<bool, UpstreamError> {
    let store = service.store();
    let now_ms = service.now().timestamp_millis();
    let usage = store.usage().await?;
    let (oldest_waiting, newest_waiting) = store.queue_span().await?;
    let leased: Vec<&StoredCampaign> = campaigns
        .iter()
        .filter(|stored| is_store_leased(&stored.campaign))
        .collect();
    let mut changed = false;
    let mut live = Vec::new();
    for stored in &leased {
        let id = &stored.campaign.id;
        let Some(mut held) = load(store, id).await? else {
            continue;
        };
        if held.id.is_some() && now_ms > held.expires_at_ms - EXPIRY_MARGIN_MS {
            let used = usage.get(id).cloned().unwrap_or_default();
            end(&mut held, &used, newest_waiting);
            save(store, id, &held).await?;
            tracing::warn!(campaign = %id, "the budget lease ended before the centre renewed it: the campaign is spent here until a new one");
            changed = true;
        }
        if let Some(lease_id) = &held.id {
            live.push((id.clone(), lease_id.clone()));
        }
    }
    if !online {
        return Ok(changed);
    }
    if !live.is_empty() {
        let ids: Vec<&String> = live.iter().map(|(_, id)| id).collect();
        let renewed: StoreLeasesRenewed = centre
            .post("leases/renew", &serde_json::json!({ "ids": ids }))
            .await?;
        for (campaign_id, lease_id) in &live {
            let Some(mut held) = load(store, campaign_id).await? else {
                continue;
            };
            if renewed.ids.contains(lease_id) {
                held.expires_at_ms = renewed.expires_at_ms;
            } else {
                let used = usage.get(campaign_id).cloned().unwrap_or_default();
                end(&mut held, &used, newest_waiting);
                changed = true;
            }
            save(store, campaign_id, &held).await?;
        }
    }
    for stored in leased {
        if stored.campaign.status != Status::Active {
            continue;
        }
        let id = &stored.campaign.id;
        let Some(limits) = leasable_limits(&stored.campaign) else {
            continue;
        };
        let used = usage.get(id).cloned().unwrap_or_default();
        let mut held = load(store, id).await?.unwrap_or_default();
        // A cap or a budget added or removed at the centre: the lease ends here, and the
        // next one is cut under the new limits.
        let reshaped = limits.cap.is_some() != held.redemptions.is_some()
            || limits.budget_minor.is_some() != held.minor.is_some();
        if held.id.is_some() && reshaped {
            end(&mut held, &used, newest_waiting);
            save(store, id, &held).await?;
            changed = true;
        }
        let wanted = wants_lease(&held, &used, oldest_waiting);
        if !wanted || now_ms < held.next_ask_ms {
            continue;
        }
        let ask = StoreLeaseAsk {
            campaign_id: id.clone(),
            redemptions: 1,
            minor: 1,
            // A new lease drops what an earlier one of this store left unused at the
            // centre: every order sold on it has been counted there.
            rebase: held.id.is_none(),
        };
        let lease: StoreLease = match centre.post("leases", &ask).await {
            Ok(lease) => lease,
            Err(error) => {
                tracing::debug!(campaign = %id, %error, "no budget lease for now");
                continue;
            }
        };
        let granted_redemptions = lease.redemptions.unwrap_or(0);
        let granted_minor = lease.minor.unwrap_or(0);
        if held.id.is_none() {
            // A new lease: what the store sold before counts already at the centre.
            held.redemptions = lease.redemptions.map(|_| used.redemptions);
            held.minor = lease.minor.map(|_| used.granted_minor);
        }
        held.redemptions = held.redemptions.map(|r| r + granted_redemptions);
        held.minor = held.minor.map(|m| m + granted_minor);
        held.id = Some(lease.id);
        held.expires_at_ms = lease.expires_at_ms;
        held.last_redemptions = granted_redemptions;
        held.last_minor = granted_minor;
        // Nothing was free: ask again later rather than at every pull.
        let nothing = granted_redemptions == 0 && granted_minor == 0;
        held.next_ask_ms = if nothing {
            now_ms + EMPTY_LEASE_PAUSE_MS
        } else {
            0
        };
        save(store, id, &held).await?;
        crate::metrics::lease_taken();
        changed = true;
    }
    Ok(changed)
}

/// Whether the store asks the centre for a slice of a campaign it holds `held` of, having
/// `used` this much, with `oldest_waiting` the oldest entry its queue still holds: a first
/// lease at once; a new one once the centre has every order sold on the last; more once
/// half of the last slice is spent.
fn wants_lease(held: &Held, used: &CampaignUsage, oldest_waiting: Option<i64>) -> bool {
    match &held.id {
        None => held
            .sold_until_seq
            .is_none_or(|sold| oldest_waiting.is_none_or(|oldest| oldest > sold)),
        Some(_) => {
            let low_redemptions = held.redemptions.is_some_and(|allowed| {
                allowed.saturating_sub(used.redemptions) * 2 <= held.last_redemptions
            });
            let low_minor = held
                .minor
                .is_some_and(|allowed| (allowed - used.granted_minor) * 2 <= held.last_minor);
            low_redemptions || low_minor
        }
    }
}

/// The lease is over: the allowance stays at what the store `used`, and a new one waits
/// for the centre to have the queue's entries up to `newest_waiting`.
fn end(held: &mut Held, used: &CampaignUsage, newest_waiting: Option<i64>) {
    held.id = None;
    held.redemptions = held.redemptions.map(|_| used.redemptions);
    held.minor = held.minor.map(|_| used.granted_minor);
    held.sold_until_seq = newest_waiting;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(redemptions: u64, granted_minor: i64) -> CampaignUsage {
        CampaignUsage {
            currency: Some("EUR".to_string()),
            redemptions,
            granted_minor,
        }
    }

    #[test]
    fn a_first_lease_is_asked_at_once_and_a_new_one_once_the_old_ones_orders_reached_the_centre() {
        let first = Held::default();
        assert!(wants_lease(&first, &used(0, 0), Some(3)));
        let mut ended = Held::default();
        end(&mut ended, &used(7, 700), Some(10));
        assert_eq!(
            (ended.sold_until_seq, ended.id.as_deref()),
            (Some(10), None)
        );
        // Entries up to 10 still wait: no new lease yet.
        assert!(!wants_lease(&ended, &used(7, 700), Some(5)));
        assert!(!wants_lease(&ended, &used(7, 700), Some(10)));
        // The centre has them all (only newer ones wait, or none).
        assert!(wants_lease(&ended, &used(7, 700), Some(11)));
        assert!(wants_lease(&ended, &used(7, 700), None));
    }

    #[test]
    fn a_lease_is_topped_up_once_half_of_its_last_slice_is_spent() {
        let held = Held {
            id: Some("lease".to_string()),
            redemptions: Some(20),
            minor: None,
            last_redemptions: 10,
            ..Held::default()
        };
        assert!(!wants_lease(&held, &used(14, 0), None), "6 of 10 left");
        assert!(wants_lease(&held, &used(15, 0), None), "5 of 10 left");
        let budget = Held {
            id: Some("lease".to_string()),
            redemptions: None,
            minor: Some(1_000),
            last_minor: 800,
            ..Held::default()
        };
        assert!(
            !wants_lease(&budget, &used(3, 500), None),
            "5.00 of 8.00 left"
        );
        assert!(
            wants_lease(&budget, &used(3, 600), None),
            "4.00 of 8.00 left"
        );
    }
}
