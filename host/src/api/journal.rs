//! `/v1/journal/{evaluation_id}` (roles marketing and ops): one journalled evaluation, with
//! its basket as priced, its answer as sent, and the revision and plugin version of every
//! campaign whose plugin ran; `…/replay`, which prices it again with what was in force
//! then; and `/v1/journal/orders/{order_id}`, a committed order. docs/history.md.

use super::extract::Path;
use super::problem::{ApiError, Problem};
use super::schemas;
use super::AppState;
use axum::extract::State;
use chrono::{DateTime, Utc};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType};
use utoipa::ToSchema;

/// A campaign whose plugin ran for a journalled evaluation, as it was then.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the answer is the service's own type.
pub struct JournalCampaign {
    /// Its id.
    pub id: String,
    /// Its revision then (`GET /v1/campaigns/{id}/revisions/{revision}`).
    pub revision: i64,
    /// Its plugin's name.
    pub plugin: String,
    /// The plugin version that ran.
    pub version: String,
    /// That version's SHA-256, hex.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
}

/// A journalled evaluation.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the answer is the service's own type.
pub struct JournalEntry {
    /// The answer's `evaluation_id`.
    pub evaluation_id: String,
    /// When it was answered, by the server's clock.
    pub recorded_at: DateTime<Utc>,
    /// The instant the basket was priced at.
    pub priced_at: DateTime<Utc>,
    /// Each campaign whose plugin ran, with its revision and plugin version.
    pub campaigns: Vec<JournalCampaign>,
    /// The basket as priced: the request's, with the stored profile merged.
    #[schema(schema_with = json_object)]
    pub basket: serde_json::Value,
    /// The answer as sent (`POST /v1/evaluate`).
    #[schema(schema_with = json_object)]
    pub answer: serde_json::Value,
}

fn json_object() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .description(Some("JSON, as it was then."))
        .into()
}

/// One journalled evaluation
///
/// Evaluations are journalled at the server's sample rate (`--journal-sample-percent`)
/// and kept for its retention (`--journal-retention-days`). An entry is written a moment
/// after its answer, off the request path.
#[utoipa::path(
    get,
    path = "/v1/journal/{evaluation_id}",
    tag = "journal",
    params(("evaluation_id" = String, Path, description = "The answer's evaluation_id")),
    responses(
        (status = 200, description = "The entry", body = JournalEntry),
        (status = 404, description = "Not journalled: not sampled, not written yet, or past the retention", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(evaluation_id): Path<String>,
) -> Result<axum::Json<crate::service::JournalEntry>, ApiError> {
    Ok(axum::Json(
        state.service.journal_entry(&evaluation_id).await?,
    ))
}

/// A journalled evaluation priced again.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the answer is the service's own type.
pub struct Replay {
    /// The evaluation.
    pub evaluation_id: String,
    /// Whether the answer came out byte for byte as it was sent.
    pub identical: bool,
    /// Where the answers differ, from the one sent to the replayed one; empty when
    /// identical.
    pub differences: Vec<super::revisions::ChangeView>,
    /// The replayed answer.
    #[schema(schema_with = json_object)]
    pub answer: serde_json::Value,
}

/// Replay a journalled evaluation
///
/// Prices the entry again with what was in force then: each campaign at its revision, on
/// the plugin build of its SHA-256 (loaded, stored, or archived when its version was
/// deleted), under the budget, cap and coupon usage and the group policies recorded with
/// it, at the instant it was priced. Says whether the answer is byte for byte the one
/// sent, and where it differs. An entry with `explain` differs at least in its traces'
/// wall times.
#[utoipa::path(
    post,
    path = "/v1/journal/{evaluation_id}/replay",
    tag = "journal",
    params(("evaluation_id" = String, Path, description = "The answer's evaluation_id")),
    responses(
        (status = 200, description = "Replayed", body = Replay),
        (status = 404, description = "Not journalled", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "What was in force then is gone (a plugin build no host stores)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn replay(
    State(state): State<AppState>,
    Path(evaluation_id): Path<String>,
) -> Result<axum::Json<crate::service::Replayed>, ApiError> {
    Ok(axum::Json(state.service.replay(&evaluation_id).await?))
}

/// A campaign that applied to a committed order, as the order keeps it.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the answer is the service's own type.
pub struct OrderCampaign {
    /// Its definition at the order, `plugin_version` set to the version that ran.
    pub campaign: schemas::Campaign,
    /// That version's SHA-256, hex.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
}

/// A committed order, as the journal keeps it.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the answer is the service's own type.
pub struct OrderEntry {
    /// The order's id.
    pub order_id: String,
    /// The commit answer's `evaluation_id`.
    pub evaluation_id: String,
    /// When it was committed, by the server's clock.
    pub committed_at: DateTime<Utc>,
    /// When it was cancelled, if it was.
    #[schema(nullable = false)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The campaigns that applied, as at the order (empty for orders committed before
    /// they were kept).
    pub campaigns: Vec<OrderCampaign>,
    /// The basket as priced (`null` for orders committed before it was kept).
    #[schema(schema_with = json_object)]
    pub basket: serde_json::Value,
    /// The commit's answer as sent (`POST /v1/redemptions`).
    #[schema(schema_with = json_object)]
    pub answer: serde_json::Value,
}

/// A committed order in the journal
///
/// Commits are always journalled, by their order's own row, written in the commit's
/// transaction: the basket as priced, the answer as sent, and each applied campaign as it
/// was, pinned to the plugin version that ran and that version's SHA-256.
#[utoipa::path(
    get,
    path = "/v1/journal/orders/{order_id}",
    tag = "journal",
    params(("order_id" = String, Path, description = "The order's id, as the channel committed it")),
    responses(
        (status = 200, description = "The order", body = OrderEntry),
        (status = 404, description = "No order of that id was committed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn order(
    State(state): State<AppState>,
    Path(order_id): Path<String>,
) -> Result<axum::Json<crate::service::OrderEntry>, ApiError> {
    Ok(axum::Json(state.service.journal_order(&order_id).await?))
}
