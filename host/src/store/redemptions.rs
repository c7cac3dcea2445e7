//! Redemptions, campaign usage (budgets, caps, evaluation counters) and coupon uses in the
//! store. A commit or a cancel is one [`CommitTx`], which holds the locks of what it
//! touches ([`CommitLock`]) from its first read, so every read it makes of them is still
//! true when it writes, whichever process or host runs it.
//!
//! Money is INTEGER minor units; every query is plain SQL that PostgreSQL also speaks.

pub use super::commit_tx::{CommitLock, CommitTx, LeaseTake};
use super::order_rows::{CampaignRow, LotRow, OrderRows};
use super::{now, parse_timestamp, timestamp, Store, StoreError};
use crate::model::usage::{CampaignUsage, CouponState, CustomerUse};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// A stored redemption, as a retry or a cancel needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRedemption {
    /// SHA-256 of the basket as committed.
    pub request_hash: String,
    /// The answer given, as JSON text.
    pub response: String,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The id of the key that committed it ([`crate::auth::KeyInfo::hash`]); `None` for
    /// orders committed before orders recorded their key.
    pub key_hash: Option<String>,
}

/// An order to record.
#[derive(Clone, Debug)]
pub struct NewRedemption<'a> {
    /// The channel's order id.
    pub order_id: &'a str,
    /// SHA-256 of the basket.
    pub request_hash: &'a str,
    /// The answer, as JSON text.
    pub response: &'a str,
    /// The customer, if any.
    pub customer_id: Option<&'a str>,
    /// The channel.
    pub channel: &'a str,
    /// The id of the key that commits it ([`crate::auth::KeyInfo::hash`]), never the key.
    pub key_hash: &'a str,
    /// The basket's currency.
    pub currency: &'a str,
    /// What each applied campaign took.
    pub campaigns: Vec<CampaignTake<'a>>,
    /// The points each campaign granted the customer (recorded only with a customer).
    pub points: Vec<PointsLot<'a>>,
    /// The basket as priced, JSON: what a return re-prices the kept lines from.
    pub basket: &'a str,
    /// The applied campaigns' definitions and plugin versions, JSON: what a return
    /// re-prices them under.
    pub pricing: &'a str,
    /// What contract-1.1 plugins were told of the customer, JSON; `None` when none asked.
    pub customer_data: Option<&'a str>,
}

/// Points one campaign granted an order's customer.
#[derive(Clone, Debug)]
pub struct PointsLot<'a> {
    /// The campaign.
    pub campaign_id: &'a str,
    /// How many, at least 1.
    pub points: i64,
    /// When the order earned them: the commit's time by the server's clock.
    pub earned_at: DateTime<Utc>,
    /// When they stop counting; never when `None`.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What one applied campaign took from an order.
#[derive(Clone, Debug)]
pub struct CampaignTake<'a> {
    /// The campaign.
    pub campaign_id: &'a str,
    /// The order's day in the campaign's timezone.
    pub local_date: NaiveDate,
    /// Its discount, in minor units of the order's currency.
    pub discount_minor: i64,
    /// The coupon code (normalized) it used.
    pub coupon: Option<&'a str>,
    /// The plugin version it ran on, `name@version`.
    pub plugin: &'a str,
}

/// One row of a campaign's redemptions, for its stats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedemptionRow {
    /// The order's channel.
    pub channel: String,
    /// The order's day in the campaign's timezone.
    pub local_date: NaiveDate,
    /// Redemptions on that channel that day.
    pub redemptions: i64,
    /// Their discount, in minor units.
    pub discount_minor: i64,
}

/// A campaign's counters as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageRow {
    /// Budget, cap and currency state.
    pub usage: CampaignUsage,
    /// Evaluations in which its plugin ran for it.
    pub evaluations: i64,
    /// Evaluations in which it applied.
    pub applications: i64,
}

/// The most order ids one query of [`CommitTx::committed_among`] looks up.
const ORDER_IDS_PER_QUERY: usize = 100;

/// Campaign `campaign_id`'s committed usage, and what live leases hold of it beyond what
/// their orders used, read in one statement (one snapshot: the orders of a leased batch
/// that commits meanwhile move the usage and their lease's use together).
pub(super) async fn held_and_used(
    tx: &mut CommitTx,
    campaign_id: &str,
) -> Result<HeldAndUsed, StoreError> {
    type Row = (Option<String>, Option<i64>, Option<i64>, i64, i64);
    let row: Row = sqlx::query_as(
        "SELECT (SELECT currency FROM campaign_usage WHERE campaign_id = $1), \
         (SELECT redemptions FROM campaign_usage WHERE campaign_id = $1), \
         (SELECT granted_minor FROM campaign_usage WHERE campaign_id = $1), \
         CAST(COALESCE((SELECT SUM(granted_redemptions - used_redemptions) FROM budget_leases \
           WHERE campaign_id = $1 AND granted_redemptions IS NOT NULL), 0) AS BIGINT), \
         CAST(COALESCE((SELECT SUM(granted_minor - used_minor) FROM budget_leases \
           WHERE campaign_id = $1 AND granted_minor IS NOT NULL), 0) AS BIGINT)",
    )
    .bind(campaign_id)
    .fetch_one(tx.conn().await?)
    .await?;
    Ok(HeldAndUsed {
        used: CampaignUsage {
            currency: row.0,
            redemptions: u64::try_from(row.1.unwrap_or(0)).unwrap_or(0),
            granted_minor: row.2.unwrap_or(0),
        },
        held_redemptions: u64::try_from(row.3).unwrap_or(0),
        held_minor: row.4.max(0),
    })
}

/// A campaign's committed usage and what live leases hold beyond it.
#[derive(Clone, Debug, Default)]
pub(super) struct HeldAndUsed {
    /// What its committed orders used.
    pub(super) used: CampaignUsage,
    /// Redemptions leased and not yet used.
    pub(super) held_redemptions: u64,
    /// Minor units leased and not yet used.
    pub(super) held_minor: i64,
}

impl HeldAndUsed {
    /// The usage a commit that takes no lease checks against: the leased parts count as
    /// used, since other hosts may use them without this campaign's lock.
    pub(super) fn as_taken(&self) -> CampaignUsage {
        CampaignUsage {
            currency: self.used.currency.clone(),
            redemptions: self.used.redemptions.saturating_add(self.held_redemptions),
            granted_minor: self.used.granted_minor.saturating_add(self.held_minor),
        }
    }
}

impl Store {
    /// The redemption of `order_id`, if one was ever committed (read outside any commit:
    /// a commit reads it again once it holds the order's lock).
    pub async fn redemption(&self, order_id: &str) -> Result<Option<StoredRedemption>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        redemption(&mut conn, order_id).await
    }

    /// Every campaign's usage.
    pub async fn usage(&self) -> Result<HashMap<String, CampaignUsage>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(usage_rows(&mut conn, None)
            .await?
            .into_iter()
            .map(|(id, row)| (id, row.usage))
            .collect())
    }

    /// One campaign's counters (zero when it has none yet).
    pub async fn usage_of(&self, campaign_id: &str) -> Result<UsageRow, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(usage_rows(&mut conn, Some(campaign_id))
            .await?
            .into_iter()
            .next()
            .map(|(_, row)| row)
            .unwrap_or_default())
    }

    /// A customer's redemptions of every campaign.
    pub async fn customer_uses(&self, customer_id: &str) -> Result<Vec<CustomerUse>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        customer_uses(&mut conn, customer_id).await
    }

    /// The coupons among `codes` (normalized) that exist, by code.
    pub async fn coupon_states(
        &self,
        codes: &[String],
    ) -> Result<HashMap<String, CouponState>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        coupon_states(&mut conn, codes).await
    }

    /// Adds evaluation and application counts: `(campaign, evaluations, applications)`.
    /// The rows are written in campaign order, the order commits write them in: two hosts'
    /// flushes, or a flush and a commit, never wait for each other in a circle (which
    /// PostgreSQL breaks only after a second, failing one of them).
    /// On a store node, the counts are also queued for the centre, in the same transaction.
    pub async fn add_evaluation_counts(
        &self,
        counts: &[(String, u64, u64)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        add_counts(&mut tx, counts).await?;
        self.forward_counts(&mut tx, counts).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A campaign's redemptions by channel and local day.
    pub async fn redemptions_by_day(
        &self,
        campaign_id: &str,
    ) -> Result<Vec<RedemptionRow>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT channel, local_date, COUNT(*), CAST(SUM(discount_minor) AS BIGINT) \
             FROM redemption_campaigns \
             WHERE campaign_id = $1 GROUP BY channel, local_date ORDER BY local_date, channel",
        )
        .bind(campaign_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(channel, date, redemptions, discount_minor)| {
                Ok(RedemptionRow {
                    channel,
                    local_date: parse_date(&date)?,
                    redemptions,
                    discount_minor,
                })
            })
            .collect()
    }
}

/// The redemption of `order_id` on `conn`, if one was ever committed.
async fn redemption(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Option<StoredRedemption>, StoreError> {
    type Row = (String, String, Option<String>, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT request_hash, response, cancelled_at, key_hash FROM redemptions \
         WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(request_hash, response, cancelled_at, key_hash)| {
        Ok(StoredRedemption {
            request_hash,
            response,
            cancelled_at: cancelled_at
                .map(|t| parse_timestamp(&t).map_err(|e| column("cancelled_at", e)))
                .transpose()?,
            key_hash,
        })
    })
    .transpose()
}

impl CommitTx {
    /// The redemption of `order_id`, if one was ever committed, as of this transaction.
    pub async fn redemption(
        &mut self,
        order_id: &str,
    ) -> Result<Option<StoredRedemption>, StoreError> {
        redemption(self.conn().await?, order_id).await
    }

    /// Which of `order_ids` were ever committed, as of this transaction: one query for a
    /// whole group of commits.
    pub async fn committed_among(
        &mut self,
        order_ids: &[&str],
    ) -> Result<HashSet<String>, StoreError> {
        let mut committed = HashSet::new();
        for chunk in order_ids.chunks(ORDER_IDS_PER_QUERY) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT order_id FROM redemptions WHERE order_id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query_as::<_, (String,)>(&sql);
            for order_id in chunk {
                query = query.bind(*order_id);
            }
            let rows = query.fetch_all(self.conn().await?).await?;
            committed.extend(rows.into_iter().map(|(order_id,)| order_id));
        }
        Ok(committed)
    }

    /// The usage of each of the campaigns `ids`, as of this transaction (zero for those
    /// that have used nothing).
    pub async fn usage_of(
        &mut self,
        ids: impl IntoIterator<Item = &str>,
    ) -> Result<HashMap<String, CampaignUsage>, StoreError> {
        let mut usage = HashMap::new();
        for id in ids {
            let taken = held_and_used(self, id).await?.as_taken();
            usage.insert(id.to_string(), taken);
        }
        Ok(usage)
    }

    /// Every campaign's usage, as of this transaction.
    pub async fn usage(&mut self) -> Result<HashMap<String, CampaignUsage>, StoreError> {
        Ok(usage_rows(self.conn().await?, None)
            .await?
            .into_iter()
            .map(|(id, row)| (id, row.usage))
            .collect())
    }

    /// Every campaign's usage as this transaction leaves it: what it wrote (cancels), plus
    /// what its recorded orders add at [`CommitTx::commit`].
    pub async fn usage_after(&mut self) -> Result<HashMap<String, CampaignUsage>, StoreError> {
        let mut usage = self.usage().await?;
        for (campaign_id, added) in &self.usage_added {
            let row = usage.entry(campaign_id.clone()).or_default();
            if row.currency.is_none() {
                row.currency.clone_from(&added.currency);
            }
            row.redemptions = row.redemptions.saturating_add_signed(added.redemptions);
            row.granted_minor += added.granted_minor;
        }
        Ok(usage)
    }

    /// Records a committed order: its row, what each campaign took, the campaigns'
    /// running totals and the coupon uses.
    pub async fn record(&mut self, redemption: &NewRedemption<'_>) -> Result<(), StoreError> {
        let at = now();
        self.record_at(redemption, at).await?;
        if self.forward {
            self.forward_order(redemption, at).await?;
        }
        Ok(())
    }

    /// [`CommitTx::record`], committed at `at` (a store node's order, taken back by the
    /// centre, keeps the time the store committed it).
    pub(super) async fn record_at(
        &mut self,
        redemption: &NewRedemption<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // A coupon use is checked as it is taken; the order's rows follow, kept for the
        // group's next statement when this commit sends nothing else ([`CommitTx`]).
        for code in redemption.campaigns.iter().filter_map(|take| take.coupon) {
            let used = sqlx::query(
                "UPDATE coupons SET uses = uses + 1 WHERE code = $1 AND uses < uses_per_code",
            )
            .bind(code)
            .execute(self.conn().await?)
            .await?;
            if used.rows_affected() != 1 {
                return Err(StoreError::Inconsistent(format!(
                    "coupon {code} has no use left to take"
                )));
            }
        }
        self.keep_or_write(rows_of(redemption, at)).await?;
        for take in &redemption.campaigns {
            // The currency of what it granted is that of the first order that grants money:
            // an order without a discount fixes none.
            let added = self
                .usage_added
                .entry(take.campaign_id.to_string())
                .or_default();
            if added.currency.is_none() && take.discount_minor > 0 {
                added.currency = Some(redemption.currency.to_string());
            }
            added.redemptions += 1;
            added.granted_minor += take.discount_minor;
        }
        Ok(())
    }

    /// Cancels the redemption of `order_id` at `at`: gives back every campaign's count,
    /// discount and coupon use, reverses the points it granted, and marks the order
    /// cancelled. Returns the campaigns it
    /// gave to.
    pub async fn cancel(
        &mut self,
        order_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let takes: Vec<(String, i64, Option<String>)> = sqlx::query_as(
            "SELECT campaign_id, discount_minor, coupon FROM redemption_campaigns \
             WHERE order_id = $1 ORDER BY campaign_id",
        )
        .bind(order_id)
        .fetch_all(self.conn().await?)
        .await?;
        for (campaign_id, discount_minor, coupon) in &takes {
            // Once everything it granted is given back, its grants are in no currency.
            sqlx::query(
                "UPDATE campaign_usage SET redemptions = redemptions - 1, \
                 granted_minor = granted_minor - $2, \
                 currency = CASE WHEN granted_minor = $2 THEN NULL ELSE currency END \
                 WHERE campaign_id = $1",
            )
            .bind(campaign_id)
            .bind(discount_minor)
            .execute(self.conn().await?)
            .await?;
            if let Some(code) = coupon {
                sqlx::query("UPDATE coupons SET uses = uses - 1 WHERE code = $1 AND uses > 0")
                    .bind(code)
                    .execute(self.conn().await?)
                    .await?;
            }
        }
        sqlx::query(
            "UPDATE points_lots SET reversed_at = $2 WHERE order_id = $1 AND reversed_at IS NULL",
        )
        .bind(order_id)
        .bind(timestamp(at))
        .execute(self.conn().await?)
        .await?;
        sqlx::query("DELETE FROM redemption_campaigns WHERE order_id = $1")
            .bind(order_id)
            .execute(self.conn().await?)
            .await?;
        sqlx::query("UPDATE redemptions SET cancelled_at = $2 WHERE order_id = $1")
            .bind(order_id)
            .bind(timestamp(at))
            .execute(self.conn().await?)
            .await?;
        if self.forward {
            self.forward_cancel(order_id, at).await?;
        }
        Ok(takes.into_iter().map(|(campaign, _, _)| campaign).collect())
    }
}

/// The rows of `redemption`, committed at `at` (its points lots only with a customer).
fn rows_of(redemption: &NewRedemption<'_>, at: DateTime<Utc>) -> OrderRows {
    let lots = match redemption.customer_id {
        Some(_) => redemption
            .points
            .iter()
            .map(|lot| LotRow {
                campaign_id: lot.campaign_id.to_string(),
                points: lot.points,
                earned_at: timestamp(lot.earned_at),
                expires_at: lot.expires_at.map(timestamp),
            })
            .collect(),
        None => Vec::new(),
    };
    OrderRows {
        order_id: redemption.order_id.to_string(),
        request_hash: redemption.request_hash.to_string(),
        response: redemption.response.to_string(),
        customer_id: redemption.customer_id.map(str::to_string),
        channel: redemption.channel.to_string(),
        currency: redemption.currency.to_string(),
        created_at: timestamp(at),
        key_hash: redemption.key_hash.to_string(),
        basket: redemption.basket.to_string(),
        pricing: redemption.pricing.to_string(),
        customer_data: redemption.customer_data.map(str::to_string),
        campaigns: redemption
            .campaigns
            .iter()
            .map(|take| CampaignRow {
                campaign_id: take.campaign_id.to_string(),
                local_date: take.local_date.to_string(),
                discount_minor: take.discount_minor,
                coupon: take.coupon.map(str::to_string),
                plugin: take.plugin.to_string(),
            })
            .collect(),
        lots,
        purchases: Vec::new(),
    }
}

/// Adds `(campaign, evaluations, applications)` counts to the campaigns' usage rows, in
/// campaign order.
pub(super) async fn add_counts(
    conn: &mut AnyConnection,
    counts: &[(String, u64, u64)],
) -> Result<(), StoreError> {
    let mut in_order: Vec<&(String, u64, u64)> = counts.iter().collect();
    in_order.sort_by(|a, b| a.0.cmp(&b.0));
    for (campaign, evaluations, applications) in in_order {
        sqlx::query(
            "INSERT INTO campaign_usage (campaign_id, evaluations, applications) \
             VALUES ($1, $2, $3) ON CONFLICT (campaign_id) DO UPDATE SET \
             evaluations = campaign_usage.evaluations + excluded.evaluations, \
             applications = campaign_usage.applications + excluded.applications",
        )
        .bind(campaign)
        .bind(i64::try_from(*evaluations).unwrap_or(i64::MAX))
        .bind(i64::try_from(*applications).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn usage_rows(
    conn: &mut AnyConnection,
    campaign_id: Option<&str>,
) -> Result<Vec<(String, UsageRow)>, StoreError> {
    let sql = "SELECT campaign_id, currency, redemptions, granted_minor, evaluations, \
               applications FROM campaign_usage";
    type Row = (String, Option<String>, i64, i64, i64, i64);
    let rows: Vec<Row> = match campaign_id {
        Some(id) => {
            sqlx::query_as(&format!("{sql} WHERE campaign_id = $1"))
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
        }
        None => sqlx::query_as(sql).fetch_all(&mut *conn).await?,
    };
    Ok(rows
        .into_iter()
        .map(
            |(id, currency, redemptions, granted_minor, evaluations, applications)| {
                let usage = CampaignUsage {
                    currency,
                    redemptions: u64::try_from(redemptions).unwrap_or(0),
                    granted_minor,
                };
                (
                    id,
                    UsageRow {
                        usage,
                        evaluations,
                        applications,
                    },
                )
            },
        )
        .collect())
}

pub(super) async fn customer_uses(
    conn: &mut AnyConnection,
    customer_id: &str,
) -> Result<Vec<CustomerUse>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT campaign_id, local_date FROM redemption_campaigns WHERE customer_id = $1",
    )
    .bind(customer_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(campaign, date)| {
            Ok(CustomerUse {
                campaign,
                local_date: parse_date(&date)?,
            })
        })
        .collect()
}

pub(super) async fn coupon_states(
    conn: &mut AnyConnection,
    codes: &[String],
) -> Result<HashMap<String, CouponState>, StoreError> {
    Ok(super::coupons::coupons_by_codes(conn, codes)
        .await?
        .into_iter()
        .map(|coupon| {
            let state = CouponState {
                campaign: coupon.campaign_id,
                uses: coupon.uses,
                uses_per_code: coupon.uses_per_code,
                expires_at: coupon.expires_at,
                customer: coupon.customer_id,
                channels: coupon.channels,
            };
            (coupon.code, state)
        })
        .collect())
}

fn parse_date(text: &str) -> Result<NaiveDate, StoreError> {
    text.parse()
        .map_err(|e| column("local_date", format!("{text:?}: {e}")))
}

fn column(name: &str, why: String) -> StoreError {
    super::column_error(name, why)
}
