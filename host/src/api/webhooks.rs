//! `/v1/webhooks` (role ops): subscribe an endpoint to events (its secret shown once), list
//! and delete subscriptions (never their secrets), list a webhook's deliveries, and queue
//! dead letters again. docs/webhooks.md.

use super::extract::{known_params, Path, QueryPairs};
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::model::webhook::WebhookRequest;
use crate::model::FieldProblem;
use crate::service::MAX_DELIVERIES_LISTED;
use crate::store::{DeliveryStatus, StoredDelivery, StoredWebhook};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of `POST /v1/webhooks`. Unknown fields are refused.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the body is read as the model's request.
#[schema(example = json!({"url": "https://crm.example/hooks/remise",
                          "events": ["coupon.assigned", "reward.issued"],
                          "description": "CRM: personal codes and rewards"}))]
pub struct WebhookBody {
    /// Where deliveries are POSTed: http or https, at most 2,048 bytes, no user name or
    /// password, no fragment. Its host may not be (or resolve to) a loopback, link-local or
    /// private address unless the server runs with `--webhook-allow-private`.
    pub url: String,
    /// The event types it receives (`coupon.assigned`, `reward.issued`,
    /// `redemption.committed`, `redemption.cancelled`, `redemption.returned`,
    /// `campaign.objective_met`, `campaign.budget_low`, `campaign.ended`), or `["*"]` for
    /// every type.
    pub events: Vec<String>,
    /// A note for people, up to 256 characters.
    pub description: Option<String>,
}

/// A webhook as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// Its id, `wh_` and 16 hex digits.
    #[schema(example = "wh_3f9a0c1d2e4b5a69")]
    pub id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The event types it receives, or `["*"]`.
    pub events: Vec<String>,
    /// A note for people (possibly empty).
    pub description: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Deliveries waiting for their first attempt or a retry.
    pub pending: i64,
    /// Deliveries the endpoint accepted (kept 7 days).
    pub delivered: i64,
    /// Dead letters: deliveries given up on after the retry horizon.
    pub dead: i64,
}

impl From<StoredWebhook> for WebhookView {
    fn from(webhook: StoredWebhook) -> Self {
        WebhookView {
            events: webhook.events.names(),
            id: webhook.id,
            url: webhook.url,
            description: webhook.description,
            created_at: webhook.created_at,
            pending: webhook.counts.pending,
            delivered: webhook.counts.delivered,
            dead: webhook.counts.dead,
        }
    }
}

/// A webhook just created, with its secret: shown this once (the fields of
/// [`WebhookView`], written out so the document describes one closed object).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    /// Its id, `wh_` and 16 hex digits.
    #[schema(example = "wh_3f9a0c1d2e4b5a69")]
    pub id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The event types it receives, or `["*"]`.
    pub events: Vec<String>,
    /// A note for people (possibly empty).
    pub description: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// 0.
    pub pending: i64,
    /// 0.
    pub delivered: i64,
    /// 0.
    pub dead: i64,
    /// Signs every delivery (`Remise-Signature`, docs/webhooks.md): keep it with the
    /// receiver. It is never shown again.
    #[schema(example = "whsec_5e0c8b0d2a7f4f61b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4")]
    pub secret: String,
}

/// Every webhook.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    /// Oldest first.
    pub webhooks: Vec<WebhookView>,
}

/// One event to one webhook.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The event's id, `evt_…`: the same in every attempt, for the receiver to deduplicate.
    pub event_id: String,
    /// The event's type.
    #[schema(example = "redemption.committed")]
    pub r#type: String,
    /// `pending`, `delivered` or `dead`.
    #[schema(example = "dead", pattern = "^(pending|delivered|dead)$")]
    pub status: String,
    /// Attempts made since it was queued (a retried dead letter counts from 0 again).
    pub attempts: i64,
    /// When it was queued (again, for a retried dead letter): retries stop at the horizon
    /// counted from it.
    pub queued_at: DateTime<Utc>,
    /// When it is tried next, while pending.
    pub next_attempt_at: DateTime<Utc>,
    /// When it was last tried.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status the endpoint last answered, if it answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the endpoint accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The customer the event concerns.
    pub customer_id: Option<String>,
    /// The campaign the event concerns.
    pub campaign_id: Option<String>,
}

impl From<StoredDelivery> for DeliveryView {
    fn from(delivery: StoredDelivery) -> Self {
        DeliveryView {
            event_id: delivery.event_id,
            r#type: delivery.kind,
            status: delivery.status.as_str().to_string(),
            attempts: delivery.attempts,
            queued_at: delivery.queued_at,
            next_attempt_at: delivery.next_attempt_at,
            last_attempt_at: delivery.last_attempt_at,
            last_status: delivery.last_status,
            last_error: delivery.last_error,
            delivered_at: delivery.delivered_at,
            customer_id: delivery.customer_id,
            campaign_id: delivery.campaign_id,
        }
    }
}

/// A webhook's deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest event first.
    pub deliveries: Vec<DeliveryView>,
}

/// Dead letters queued again.
#[derive(Debug, Serialize, ToSchema)]
pub struct Requeued {
    /// How many.
    pub requeued: u64,
}

/// Subscribe a webhook
///
/// Every event of the listed types that happens from now on is POSTed to `url`, signed
/// with the secret this answer shows once (docs/webhooks.md). The URL's host is resolved
/// now: a name of a loopback, link-local or private address is refused (unless the server
/// allows them), and so it is again at every delivery.
#[utoipa::path(
    post,
    path = "/v1/webhooks",
    tag = "webhooks",
    request_body(content = WebhookBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Subscribed; the secret is shown this once", body = WebhookCreated),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The URL or an event type is not valid, each at its pointer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Json(request): Json<WebhookRequest>,
) -> Result<(StatusCode, axum::Json<WebhookCreated>), ApiError> {
    let webhook = request.validate().map_err(ApiError::validation)?;
    let mut created = state.service.create_webhook(webhook).await?;
    let secret = std::mem::take(&mut created.secret);
    let view = WebhookView::from(created);
    Ok((
        StatusCode::CREATED,
        axum::Json(WebhookCreated {
            id: view.id,
            url: view.url,
            events: view.events,
            description: view.description,
            created_at: view.created_at,
            pending: view.pending,
            delivered: view.delivered,
            dead: view.dead,
            secret,
        }),
    ))
}

/// List the webhooks
///
/// Every webhook with its deliveries counted by status; never a secret.
#[utoipa::path(
    get,
    path = "/v1/webhooks",
    tag = "webhooks",
    responses((status = 200, description = "Every webhook", body = WebhookList)),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<axum::Json<WebhookList>, ApiError> {
    let webhooks = state.service.webhooks().await?;
    Ok(axum::Json(WebhookList {
        webhooks: webhooks.into_iter().map(WebhookView::from).collect(),
    }))
}

/// Read a webhook
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook", body = WebhookView),
        (status = 404, description = "No webhook has this id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<WebhookView>, ApiError> {
    Ok(axum::Json(state.service.webhook(&id).await?.into()))
}

/// Delete a webhook
///
/// No event is delivered to it any more; its deliveries, dead letters included, are
/// forgotten.
#[utoipa::path(
    delete,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No webhook has this id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_webhook(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a webhook's deliveries
///
/// The newest deliveries first (at most `limit`, 100 by default, 500 at most), those of one
/// `status` (`pending`, `delivered`, `dead`) when given.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The webhook's id"),
        ("status" = Option<String>, Query, description = "`pending`, `delivered` or `dead`"),
        ("limit" = Option<i64>, Query, description = "1 to 500; 100 when absent"),
    ),
    responses(
        (status = 200, description = "Its deliveries", body = DeliveryList),
        (status = 404, description = "No webhook has this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status, a limit out of range, or an unknown parameter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<axum::Json<DeliveryList>, ApiError> {
    let (status, limit) = delivery_query(&pairs).map_err(ApiError::invalid_query)?;
    let deliveries = state.service.deliveries(&id, status, limit).await?;
    Ok(axum::Json(DeliveryList {
        deliveries: deliveries.into_iter().map(DeliveryView::from).collect(),
    }))
}

/// Retry a dead letter
///
/// The dead delivery of event `event_id` is queued again, due at once, with a new retry
/// horizon.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/deliveries/{event_id}/retry",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The webhook's id"),
        ("event_id" = String, Path, description = "The event's id"),
    ),
    responses(
        (status = 200, description = "Queued again", body = DeliveryView),
        (status = 404, description = "No such webhook or delivery", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The delivery is not a dead letter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn retry(
    State(state): State<AppState>,
    Path((id, event_id)): Path<(String, String)>,
) -> Result<axum::Json<DeliveryView>, ApiError> {
    let delivery = state.service.retry_delivery(&id, &event_id).await?;
    Ok(axum::Json(delivery.into()))
}

/// Retry every dead letter
///
/// Every dead delivery of the webhook is queued again, due at once, with a new retry
/// horizon.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/retry",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "How many were queued again", body = Requeued),
        (status = 404, description = "No webhook has this id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn retry_all(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<Requeued>, ApiError> {
    let requeued = state.service.retry_dead_letters(&id).await?;
    Ok(axum::Json(Requeued { requeued }))
}

/// The deliveries' query: `status` and `limit`, each at most once.
fn delivery_query(
    pairs: &[(String, String)],
) -> Result<(Option<DeliveryStatus>, i64), Vec<FieldProblem>> {
    let mut status = None;
    let mut limit = 100;
    let mut problems = Vec::new();
    for param in known_params(pairs, &["status", "limit"], &mut problems) {
        match param.name {
            "status" if param.value.is_empty() => {}
            "status" => match DeliveryStatus::parse(param.value) {
                Some(parsed) => status = Some(parsed),
                None => problems.push(FieldProblem::new(
                    param.pointer,
                    "must be pending, delivered or dead",
                )),
            },
            _ => match param.integer_in(1..=MAX_DELIVERIES_LISTED) {
                Ok(n) => limit = n,
                Err(problem) => problems.push(problem),
            },
        }
    }
    if problems.is_empty() {
        Ok((status, limit))
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Result<(Option<DeliveryStatus>, i64), Vec<String>> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        delivery_query(&pairs).map_err(|p| p.into_iter().map(|p| p.pointer).collect())
    }

    #[test]
    fn the_deliveries_query_names_a_status_and_a_limit() {
        assert_eq!(query(&[]), Ok((None, 100)));
        assert_eq!(
            query(&[("status", "dead"), ("limit", "5")]),
            Ok((Some(DeliveryStatus::Dead), 5))
        );
        assert_eq!(query(&[("status", "lost")]), Err(vec!["/status".into()]));
        assert_eq!(query(&[("limit", "501")]), Err(vec!["/limit".into()]));
        assert_eq!(query(&[("order", "x")]), Err(vec!["/order".into()]));
    }
}
