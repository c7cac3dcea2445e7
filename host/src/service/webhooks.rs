//! Webhooks (`/v1/webhooks`, role ops): subscribing an endpoint (its URL checked against
//! the addresses deliveries may not reach, its secret made and shown once), listing them
//! without their secrets, their deliveries, and dead letters queued again; and
//! `campaign.ended`, sent once per campaign when it is ended or its end time passes.

use super::{events, Service, ServiceError};
use crate::delivery::sign::{new_secret, new_webhook_id};
use crate::delivery::{destination, WebhookSettings};
use crate::model::campaign::Status;
use crate::model::webhook::{EventType, NewWebhook};
use crate::model::FieldProblem;
use crate::store::{DeliveryCounts, DeliveryStatus, StoredDelivery, StoredWebhook};
use chrono::SecondsFormat;
use serde_json::json;

/// The most deliveries one listing answers.
pub const MAX_DELIVERIES_LISTED: i64 = 500;

impl Service {
    /// How deliveries are made.
    pub fn webhook_settings(&self) -> WebhookSettings {
        self.webhooks
    }

    /// Subscribes `webhook`: refused at `/url` when its host is, or resolves to, an
    /// address deliveries may not reach. The answer holds the secret: the only time it is
    /// shown.
    pub async fn create_webhook(&self, webhook: NewWebhook) -> Result<StoredWebhook, ServiceError> {
        if let Some(why) = destination::refused(&webhook.url, self.webhooks.allow_private).await {
            return Err(ServiceError::Invalid(vec![FieldProblem::new(
                "/url",
                format!(
                    "deliveries may not reach it: {why} (loopback, link-local and private \
                     addresses need the server flag --webhook-allow-private)"
                ),
            )]));
        }
        let stored = StoredWebhook {
            id: new_webhook_id(),
            url: webhook.url.to_string(),
            events: webhook.events,
            description: webhook.description,
            secret: new_secret(),
            created_at: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6),
            counts: DeliveryCounts::default(),
        };
        self.store.create_webhook(&stored).await?;
        tracing::info!(webhook = %stored.id, url = %stored.url, "webhook created");
        Ok(stored)
    }

    /// Every webhook, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<StoredWebhook>, ServiceError> {
        Ok(self.store.webhooks().await?)
    }

    /// Webhook `id`.
    pub async fn webhook(&self, id: &str) -> Result<StoredWebhook, ServiceError> {
        self.store
            .webhook(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("webhook {id} not found")))
    }

    /// Deletes webhook `id` and its deliveries, dead letters included.
    pub async fn delete_webhook(&self, id: &str) -> Result<(), ServiceError> {
        if self.store.delete_webhook(id).await? {
            tracing::info!(webhook = %id, "webhook deleted");
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!("webhook {id} not found")))
        }
    }

    /// The newest `limit` deliveries of webhook `id`, those in `status` only if given.
    pub async fn deliveries(
        &self,
        id: &str,
        status: Option<DeliveryStatus>,
        limit: i64,
    ) -> Result<Vec<StoredDelivery>, ServiceError> {
        self.webhook(id).await?;
        let limit = limit.clamp(1, MAX_DELIVERIES_LISTED);
        Ok(self.store.deliveries(id, status, limit).await?)
    }

    /// Queues the dead letter of event `event_id` to webhook `id` again, with a new retry
    /// horizon: a 409 unless it is a dead letter.
    pub async fn retry_delivery(
        &self,
        id: &str,
        event_id: &str,
    ) -> Result<StoredDelivery, ServiceError> {
        self.webhook(id).await?;
        let found = self.store.delivery(id, event_id).await?.ok_or_else(|| {
            ServiceError::NotFound(format!("webhook {id} has no delivery of event {event_id}"))
        })?;
        if found.status != DeliveryStatus::Dead {
            return Err(ServiceError::Conflict(format!(
                "the delivery of event {event_id} is {}: only a dead letter is retried",
                found.status.as_str()
            )));
        }
        self.store
            .retry_dead(id, Some(event_id), chrono::Utc::now())
            .await?;
        self.outbox.notify_one();
        self.store
            .delivery(id, event_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("webhook {id} not found")))
    }

    /// Queues every dead letter of webhook `id` again; how many.
    pub async fn retry_dead_letters(&self, id: &str) -> Result<u64, ServiceError> {
        self.webhook(id).await?;
        let requeued = self.store.retry_dead(id, None, chrono::Utc::now()).await?;
        self.outbox.notify_one();
        Ok(requeued)
    }

    /// Sends `campaign.ended` for every stored campaign that is ended, or whose end time
    /// has passed (drafts aside), once per campaign whichever host sees it first.
    pub async fn send_ended_campaigns(&self) -> Result<(), ServiceError> {
        // The campaigns already sent, read once per host.
        let mut known = self.ended_sent.lock().await;
        let sent = match &mut *known {
            Some(sent) => sent,
            None => known.insert(
                self.store
                    .campaigns_with_event(EventType::CampaignEnded)
                    .await?
                    .into_iter()
                    .collect(),
            ),
        };
        let now = self.clock.now();
        for stored in self.store.campaigns().await? {
            let campaign = stored.campaign;
            if sent.contains(&campaign.id) {
                continue;
            }
            let ends_at = campaign
                .schedule
                .ends_at
                .map(|at| at.with_timezone(&chrono::Utc));
            let reason = match campaign.status {
                Status::Ended => "ended",
                Status::Draft => continue,
                _ if ends_at.is_some_and(|at| at <= now) => "end_time_passed",
                _ => continue,
            };
            let event = events::event(
                EventType::CampaignEnded,
                None,
                Some(&campaign.id),
                now,
                json!({
                    "campaign": campaign.id, "reason": reason,
                    "ends_at": ends_at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
                }),
            );
            if self.store.add_campaign_event_once(&event).await? {
                self.outbox.notify_one();
            }
            sent.insert(campaign.id);
        }
        Ok(())
    }
}
