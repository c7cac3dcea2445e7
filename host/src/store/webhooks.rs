//! Webhooks and their deliveries (migration 15): the subscriptions, the fan-out of each
//! outbox event to the webhooks subscribed to its type, the deliveries due (a customer's
//! in order: one waits while an earlier one of the same webhook and customer is pending),
//! the lease an attempt takes so that two hosts do not send the same delivery at once,
//! and what each attempt came to.

use super::{parse_timestamp, timestamp, Store, StoreError};
use crate::model::webhook::{EventType, Subscription};
use chrono::{DateTime, Utc};

/// Deliveries one fan-out `INSERT` writes (eight parameters each).
const DELIVERIES_PER_INSERT: usize = 400;

/// A subscribed endpoint, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredWebhook {
    /// `wh_…`.
    pub id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// What it receives.
    pub events: Subscription,
    /// A note for people.
    pub description: String,
    /// Signs the deliveries: never listed, never logged.
    pub secret: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its deliveries by status.
    pub counts: DeliveryCounts,
}

/// How many deliveries of a webhook are in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    /// Waiting for their first attempt or for a retry.
    pub pending: i64,
    /// Accepted by the endpoint (a 2xx answer).
    pub delivered: i64,
    /// Given up on after the retry horizon: dead letters.
    pub dead: i64,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not accepted yet.
    Pending,
    /// Accepted.
    Delivered,
    /// Given up on.
    Dead,
}

impl DeliveryStatus {
    /// Its name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }

    /// The status named `name`.
    pub fn parse(name: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Dead,
        ]
        .into_iter()
        .find(|status| status.as_str() == name)
    }
}

/// One event to one webhook, as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDelivery {
    /// The event's id.
    pub event_id: String,
    /// The event's type, as written.
    pub kind: String,
    /// The customer it concerns.
    pub customer_id: Option<String>,
    /// The campaign it concerns.
    pub campaign_id: Option<String>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i64,
    /// When it was queued (again, for a retried dead letter): the retry horizon counts
    /// from it.
    pub queued_at: DateTime<Utc>,
    /// When it is tried next (while pending).
    pub next_attempt_at: DateTime<Utc>,
    /// When it was last tried.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last answer, if one came.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was accepted.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A delivery due now, with what sending it needs.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    /// The webhook.
    pub webhook_id: String,
    /// The event's position in the outbox.
    pub event_seq: i64,
    /// The event's id.
    pub event_id: String,
    /// The event's type.
    pub kind: String,
    /// The JSON to POST.
    pub body: String,
    /// The webhook's URL.
    pub url: String,
    /// The webhook's secret.
    pub secret: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// The `next_attempt_at` it was read with: claiming it checks nobody moved it since.
    pub next_attempt_at: String,
}

/// What an attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Accepted with this status.
    Delivered {
        /// The 2xx status.
        status: u16,
    },
    /// Failed: try again at `retry_at`, or (`None`) give up.
    Failed {
        /// The status of the answer, if one came.
        status: Option<u16>,
        /// Why, for people.
        error: String,
        /// When to try again; `None`: a dead letter.
        retry_at: Option<DateTime<Utc>>,
    },
}

/// The columns of a shown delivery, in the order [`decode_delivery`] reads them.
const DELIVERY_COLUMNS: &str = "e.id, e.type, e.customer_id, e.campaign_id, d.status, \
     d.attempts, d.queued_at, d.next_attempt_at, d.last_attempt_at, d.last_status, \
     d.last_error, d.delivered_at";

type DeliveryRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

type WebhookRow = (String, String, String, String, String, String);

impl Store {
    /// Stores a new webhook.
    pub async fn create_webhook(&self, webhook: &StoredWebhook) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO webhooks (id, url, events, description, secret, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&webhook.id)
        .bind(&webhook.url)
        .bind(encode_events(&webhook.events)?)
        .bind(&webhook.description)
        .bind(&webhook.secret)
        .bind(timestamp(webhook.created_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every webhook with its delivery counts, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<StoredWebhook>, StoreError> {
        let rows: Vec<WebhookRow> = sqlx::query_as(
            "SELECT id, url, events, description, secret, created_at FROM webhooks \
             ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let counts: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT webhook_id, status, COUNT(*) FROM webhook_deliveries \
             GROUP BY webhook_id, status",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let mut webhook = decode_webhook(row)?;
                for (id, status, count) in &counts {
                    if *id == webhook.id {
                        webhook.counts.add(status, *count);
                    }
                }
                Ok(webhook)
            })
            .collect()
    }

    /// The webhook `id` with its delivery counts, if any.
    pub async fn webhook(&self, id: &str) -> Result<Option<StoredWebhook>, StoreError> {
        let row: Option<WebhookRow> = sqlx::query_as(
            "SELECT id, url, events, description, secret, created_at FROM webhooks WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut webhook = decode_webhook(row)?;
        let counts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM webhook_deliveries WHERE webhook_id = $1 \
             GROUP BY status",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for (status, count) in counts {
            webhook.counts.add(&status, count);
        }
        Ok(Some(webhook))
    }

    /// Deletes webhook `id` and its deliveries; whether there was one.
    pub async fn delete_webhook(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// Queues the next `limit` events not fanned out yet for every webhook subscribed to
    /// their type (none may be), and marks them fanned out; how many events it took. Two
    /// hosts fanning out the same event queue each delivery once.
    pub async fn fan_out(&self, limit: i64, now: DateTime<Utc>) -> Result<usize, StoreError> {
        /// seq, id, type, customer_id, campaign_id.
        type EventRow = (i64, String, String, Option<String>, Option<String>);
        let events: Vec<EventRow> = sqlx::query_as(
            "SELECT seq, id, type, customer_id, campaign_id FROM outbox_events \
             WHERE fanned_out = 0 ORDER BY seq LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        if events.is_empty() {
            return Ok(0);
        }
        let hooks: Vec<(String, String)> = sqlx::query_as("SELECT id, events FROM webhooks")
            .fetch_all(&self.pool)
            .await?;
        let hooks: Vec<(String, Subscription)> = hooks
            .into_iter()
            .map(|(id, events)| Ok((id, decode_events(&events)?)))
            .collect::<Result<_, StoreError>>()?;
        let mut deliveries: Vec<(&str, i64, String)> = Vec::new();
        for (seq, id, kind, customer, campaign) in &events {
            let Some(kind) = EventType::parse(kind) else {
                continue;
            };
            // A customer's events keep their order; a campaign's too; others have none.
            let key = match (customer, campaign) {
                (Some(customer), _) => format!("customer:{customer}"),
                (None, Some(campaign)) => format!("campaign:{campaign}"),
                (None, None) => format!("event:{id}"),
            };
            for (hook, subscription) in &hooks {
                if subscription.receives(kind) {
                    deliveries.push((hook.as_str(), *seq, key.clone()));
                }
            }
        }
        let stamp = timestamp(now);
        let mut tx = self.pool.begin().await?;
        for batch in deliveries.chunks(DELIVERIES_PER_INSERT) {
            let rows = (0..batch.len())
                .map(|i| {
                    format!(
                        "(${}, ${}, ${}, 'pending', 0, $1, $1)",
                        3 * i + 2,
                        3 * i + 3,
                        3 * i + 4
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO webhook_deliveries (webhook_id, event_seq, order_key, status, \
                 attempts, queued_at, next_attempt_at) VALUES {rows} ON CONFLICT DO NOTHING"
            );
            let mut query = sqlx::query(&sql).bind(stamp.as_str());
            for (hook, seq, key) in batch {
                query = query.bind(*hook).bind(*seq).bind(key.as_str());
            }
            query.execute(&mut *tx).await?;
        }
        // Only the events read: on PostgreSQL an event of a transaction still open may have
        // a number in between, and is fanned out once it is seen.
        let seqs = events
            .iter()
            .map(|(seq, ..)| seq.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(&format!(
            "UPDATE outbox_events SET fanned_out = 1 WHERE seq IN ({seqs})"
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(events.len())
    }

    /// Up to `limit` deliveries due at `now`, the longest due first: pending, their time
    /// come, and no earlier delivery of the same webhook and customer (or campaign) still
    /// pending. Read in the order of the index of due deliveries, so a backlog is not
    /// sorted whole at every round.
    pub async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        type Row = (
            String,
            i64,
            String,
            String,
            String,
            String,
            String,
            i64,
            String,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT d.webhook_id, d.event_seq, e.id, e.type, e.body, w.url, w.secret, \
             d.attempts, d.queued_at, d.next_attempt_at \
             FROM webhook_deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id \
             JOIN outbox_events e ON e.seq = d.event_seq \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                 WHERE p.webhook_id = d.webhook_id AND p.order_key = d.order_key \
                 AND p.status = 'pending' AND p.event_seq < d.event_seq) \
             ORDER BY d.next_attempt_at, d.event_seq LIMIT $2",
        )
        .bind(timestamp(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(
                    webhook_id,
                    event_seq,
                    event_id,
                    kind,
                    body,
                    url,
                    secret,
                    attempts,
                    queued,
                    next,
                )| {
                    Ok(DueDelivery {
                        queued_at: parse_timestamp(&queued).map_err(|why| {
                            super::column_error("webhook_deliveries.queued_at", why)
                        })?,
                        webhook_id,
                        event_seq,
                        event_id,
                        kind,
                        body,
                        url,
                        secret,
                        attempts,
                        next_attempt_at: next,
                    })
                },
            )
            .collect()
    }

    /// Takes `delivery` for one attempt, leased until `lease_until` (a host that dies
    /// mid-attempt lets another try once it passes); `false` when another host took it
    /// first.
    pub async fn claim_delivery(
        &self,
        delivery: &DueDelivery,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let claimed = sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $1, \
             last_attempt_at = $2 WHERE webhook_id = $3 AND event_seq = $4 \
             AND status = 'pending' AND next_attempt_at = $5",
        )
        .bind(timestamp(lease_until))
        .bind(timestamp(now))
        .bind(&delivery.webhook_id)
        .bind(delivery.event_seq)
        .bind(&delivery.next_attempt_at)
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Records what the attempt at `delivery` came to.
    pub async fn record_attempt(
        &self,
        delivery: &DueDelivery,
        attempt: &Attempt,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let query = match attempt {
            Attempt::Delivered { status } => sqlx::query(
                "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $1, \
                 last_status = $2, last_error = NULL WHERE webhook_id = $3 AND event_seq = $4 \
                 AND status = 'pending'",
            )
            .bind(timestamp(now))
            .bind(i64::from(*status)),
            Attempt::Failed {
                status,
                error,
                retry_at,
            } => sqlx::query(
                "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, \
                 last_status = $3, last_error = $4 WHERE webhook_id = $5 AND event_seq = $6 \
                 AND status = 'pending'",
            )
            .bind(if retry_at.is_some() {
                "pending"
            } else {
                "dead"
            })
            .bind(timestamp(retry_at.unwrap_or(now)))
            .bind(status.map(i64::from))
            .bind(error.as_str()),
        };
        query
            .bind(&delivery.webhook_id)
            .bind(delivery.event_seq)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Up to `limit` deliveries of webhook `id` (those in `status` only, if given), newest
    /// event first.
    pub async fn deliveries(
        &self,
        id: &str,
        status: Option<DeliveryStatus>,
        limit: i64,
    ) -> Result<Vec<StoredDelivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
             JOIN outbox_events e ON e.seq = d.event_seq \
             WHERE d.webhook_id = $1 AND ($2 = '' OR d.status = $2) \
             ORDER BY d.event_seq DESC LIMIT $3"
        );
        let rows: Vec<DeliveryRow> = sqlx::query_as(&sql)
            .bind(id)
            .bind(status.map(DeliveryStatus::as_str).unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(decode_delivery).collect()
    }

    /// The delivery of event `event_id` to webhook `id`, if any.
    pub async fn delivery(
        &self,
        id: &str,
        event_id: &str,
    ) -> Result<Option<StoredDelivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
             JOIN outbox_events e ON e.seq = d.event_seq \
             WHERE d.webhook_id = $1 AND e.id = $2"
        );
        let row: Option<DeliveryRow> = sqlx::query_as(&sql)
            .bind(id)
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(decode_delivery).transpose()
    }

    /// Queues the dead letters of webhook `id` again (only event `event_id`'s, if given),
    /// due at once with a new retry horizon and schedule (its attempts count from 0
    /// again); how many.
    pub async fn retry_dead(
        &self,
        id: &str,
        event_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let requeued = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', queued_at = $1, \
             next_attempt_at = $1, attempts = 0 WHERE webhook_id = $2 AND status = 'dead' \
             AND ($3 = '' OR event_seq IN (SELECT seq FROM outbox_events WHERE id = $3))",
        )
        .bind(timestamp(now))
        .bind(id)
        .bind(event_id.unwrap_or(""))
        .execute(&self.pool)
        .await?;
        Ok(requeued.rows_affected())
    }

    /// Forgets what is older than `before`: delivered deliveries, and events no delivery
    /// waits on; how many events went.
    pub async fn prune_outbox(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = timestamp(before);
        sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < $1",
        )
        .bind(&before)
        .execute(&self.pool)
        .await?;
        let events = sqlx::query(
            "DELETE FROM outbox_events WHERE created_at < $1 AND fanned_out = 1 \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = outbox_events.seq)",
        )
        .bind(&before)
        .execute(&self.pool)
        .await?;
        Ok(events.rows_affected())
    }
}

impl DeliveryCounts {
    fn add(&mut self, status: &str, count: i64) {
        match DeliveryStatus::parse(status) {
            Some(DeliveryStatus::Pending) => self.pending += count,
            Some(DeliveryStatus::Delivered) => self.delivered += count,
            Some(DeliveryStatus::Dead) => self.dead += count,
            None => {}
        }
    }
}

fn encode_events(events: &Subscription) -> Result<String, StoreError> {
    serde_json::to_string(&events.names())
        .map_err(|why| StoreError::Database(sqlx::Error::Encode(Box::new(why))))
}

pub(super) fn decode_events(text: &str) -> Result<Subscription, StoreError> {
    let names: Vec<String> = serde_json::from_str(text)
        .map_err(|why| super::column_error("webhooks.events", why.to_string()))?;
    Ok(Subscription::from_names(&names))
}

fn decode_webhook(
    (id, url, events, description, secret, created_at): WebhookRow,
) -> Result<StoredWebhook, StoreError> {
    Ok(StoredWebhook {
        events: decode_events(&events)?,
        created_at: parse_timestamp(&created_at)
            .map_err(|why| super::column_error("webhooks.created_at", why))?,
        id,
        url,
        description,
        secret,
        counts: DeliveryCounts::default(),
    })
}

fn decode_delivery(row: DeliveryRow) -> Result<StoredDelivery, StoreError> {
    let (
        event_id,
        kind,
        customer_id,
        campaign_id,
        status,
        attempts,
        queued_at,
        next_attempt_at,
        last_attempt_at,
        last_status,
        last_error,
        delivered_at,
    ) = row;
    let time = |text: &str| {
        parse_timestamp(text).map_err(|why| super::column_error("webhook_deliveries", why))
    };
    Ok(StoredDelivery {
        status: DeliveryStatus::parse(&status).ok_or_else(|| {
            super::column_error("webhook_deliveries.status", format!("unknown {status:?}"))
        })?,
        queued_at: time(&queued_at)?,
        next_attempt_at: time(&next_attempt_at)?,
        last_attempt_at: last_attempt_at.as_deref().map(time).transpose()?,
        delivered_at: delivered_at.as_deref().map(time).transpose()?,
        event_id,
        kind,
        customer_id,
        campaign_id,
        attempts,
        last_status,
        last_error,
    })
}
