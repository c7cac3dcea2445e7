//! The outbox (migration 15): events written in the transaction of the change they tell
//! of, so that a crash after the change loses none (only those some webhook receives), and
//! campaign events sent once per campaign whichever host sees the change first. The delivery worker reads them back
//! ([`super::webhooks`]).

use super::{timestamp, CommitTx, Store, StoreError};
use crate::model::webhook::{EventType, Subscription};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

/// Events one `INSERT` writes (six parameters each).
const EVENTS_PER_INSERT: usize = 500;

/// An event to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// Its id, `evt_…`: what a receiver deduplicates on.
    pub id: String,
    /// What happened.
    pub kind: EventType,
    /// The customer it concerns, if any: their events are delivered in order.
    pub customer_id: Option<String>,
    /// The campaign it concerns, if any.
    pub campaign_id: Option<String>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
    /// The JSON every subscriber receives.
    pub body: String,
}

/// Which event types some webhook receives, as a transaction read them: an event no
/// webhook receives is not written (a webhook receives the events that happen after it is
/// created), so a database without webhooks pays one read of an empty table per change.
#[derive(Clone, Debug, Default)]
pub struct Receivers(Vec<Subscription>);

impl Receivers {
    /// Reads them on `conn`, inside the caller's transaction.
    pub(super) async fn read(conn: &mut AnyConnection) -> Result<Receivers, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT events FROM webhooks")
            .fetch_all(&mut *conn)
            .await?;
        rows.iter()
            .map(|(events,)| super::webhooks::decode_events(events))
            .collect::<Result<Vec<_>, _>>()
            .map(Receivers)
    }

    /// Whether some webhook receives events of type `kind`.
    pub fn want(&self, kind: EventType) -> bool {
        self.0
            .iter()
            .any(|subscription| subscription.receives(kind))
    }
}

impl CommitTx {
    /// Reads now which event types some webhook receives, so that a group's commits ask
    /// [`CommitTx::wants_event`] without a statement (one would write the rows kept).
    pub async fn read_receivers(&mut self) -> Result<(), StoreError> {
        if self.receivers.is_none() {
            self.receivers = Some(Receivers::read(self.conn().await?).await?);
        }
        Ok(())
    }

    /// Whether some webhook receives events of type `kind`, as of this transaction.
    pub async fn wants_event(&mut self, kind: EventType) -> Result<bool, StoreError> {
        self.read_receivers().await?;
        Ok(self.receivers.as_ref().is_some_and(|r| r.want(kind)))
    }

    /// Writes `event` in the commit's (or cancel's, or return's) transaction, if some
    /// webhook receives its type.
    pub async fn add_event(&mut self, event: &NewEvent) -> Result<(), StoreError> {
        if !self.wants_event(event.kind).await? {
            return Ok(());
        }
        add_events(self.conn().await?, std::slice::from_ref(event)).await
    }

    /// Writes campaign event `kind` of `campaign_id` (built by `event` only then) in this
    /// transaction, if some webhook receives its type and none of its type was written for
    /// the campaign before (by this host or another).
    pub async fn add_campaign_event_once(
        &mut self,
        campaign_id: &str,
        kind: EventType,
        event: impl FnOnce() -> NewEvent,
    ) -> Result<(), StoreError> {
        if self.wants_event(kind).await?
            && campaign_event_once(self.conn().await?, campaign_id, kind).await?
        {
            add_events(self.conn().await?, &[event()]).await?;
        }
        Ok(())
    }
}

impl Store {
    /// Writes `event` for its campaign unless one of its type was written for that campaign
    /// before (by this host or another), or no webhook receives its type; whether it was
    /// written.
    pub async fn add_campaign_event_once(&self, event: &NewEvent) -> Result<bool, StoreError> {
        let Some(campaign_id) = event.campaign_id.as_deref() else {
            return Err(StoreError::Inconsistent(format!(
                "campaign event {} names no campaign",
                event.id
            )));
        };
        let mut tx = self.begin_read_then_write().await?;
        if !Receivers::read(&mut tx).await?.want(event.kind) {
            return Ok(false);
        }
        let first = campaign_event_once(&mut tx, campaign_id, event.kind).await?;
        if first {
            add_events(&mut tx, std::slice::from_ref(event)).await?;
        }
        tx.commit().await?;
        Ok(first)
    }

    /// The campaigns that have had an event of type `kind`.
    pub async fn campaigns_with_event(&self, kind: EventType) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT campaign_id FROM campaign_events_sent WHERE type = $1")
                .bind(kind.as_str())
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(campaign,)| campaign).collect())
    }
}

/// Writes `events` on `conn` (inside the caller's transaction), a few hundred a statement.
pub(super) async fn add_events(
    conn: &mut AnyConnection,
    events: &[NewEvent],
) -> Result<(), StoreError> {
    for batch in events.chunks(EVENTS_PER_INSERT) {
        let rows = (0..batch.len())
            .map(|i| {
                let n = 6 * i;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO outbox_events (id, type, customer_id, campaign_id, created_at, body) \
             VALUES {rows}"
        );
        let mut query = sqlx::query(&sql);
        for event in batch {
            query = query
                .bind(event.id.as_str())
                .bind(event.kind.as_str())
                .bind(event.customer_id.as_deref())
                .bind(event.campaign_id.as_deref())
                .bind(timestamp(event.created_at))
                .bind(event.body.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn campaign_event_once(
    conn: &mut AnyConnection,
    campaign_id: &str,
    kind: EventType,
) -> Result<bool, StoreError> {
    let marked = sqlx::query(
        "INSERT INTO campaign_events_sent (campaign_id, type) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(campaign_id)
    .bind(kind.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(marked.rows_affected() == 1)
}
