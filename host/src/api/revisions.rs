//! `/v1/campaigns/{id}/revisions` and `/diff` (role marketing): a campaign's history, one
//! revision whole, and what changed between two. docs/history.md.

use super::extract::{known_params, Path, QueryPairs};
use super::problem::{ApiError, Problem};
use super::schemas;
use super::AppState;
use crate::service::{CampaignDiff, Change, RevisionView};
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType};
use utoipa::ToSchema;

/// One revision of a campaign, as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionSummary {
    /// Its number: 1 when the campaign was created, one more per write; a campaign created
    /// again after its deletion goes on from the last number.
    pub revision: i64,
    /// `created`, `replaced` (replaced, patched, activated, paused or ended) or `deleted`.
    #[schema(pattern = "^(created|replaced|deleted)$", example = "replaced")]
    pub action: String,
    /// Who wrote it: the API key's label, or `<role> key` for a key without one (empty
    /// for the revision a campaign stored before history was kept started from).
    #[schema(example = "Marie (marketing)")]
    pub author: String,
    /// When it was written, by the server's clock.
    pub written_at: DateTime<Utc>,
}

/// A campaign's revisions.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    /// Newest first.
    pub revisions: Vec<RevisionSummary>,
}

/// One revision, whole.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the answer is the service's `RevisionView`.
pub struct Revision {
    /// Its number.
    pub revision: i64,
    /// `created`, `replaced` or `deleted`.
    #[schema(pattern = "^(created|replaced|deleted)$")]
    pub action: String,
    /// Who wrote it.
    pub author: String,
    /// When it was written.
    pub written_at: DateTime<Utc>,
    /// The campaign as this revision wrote it; absent for a deletion.
    #[schema(nullable = false)]
    pub campaign: Option<schemas::Campaign>,
}

/// One change between two revisions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// `add`, `remove` or `replace` (RFC 6902).
    #[schema(pattern = "^(add|remove|replace)$", example = "replace")]
    pub op: String,
    /// Where, as a JSON pointer into the campaign (`""`: the whole campaign, as when one
    /// side is a deletion).
    #[schema(example = "/limits/budget")]
    pub path: String,
    /// The value before; absent for `add`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = any_value)]
    pub before: Option<serde_json::Value>,
    /// The value after; absent for `remove`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = any_value)]
    pub after: Option<serde_json::Value>,
}

/// What changed in a campaign between two of its revisions.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffView {
    /// The campaign's id.
    pub campaign_id: String,
    /// The older revision.
    pub from: i64,
    /// The newer revision.
    pub to: i64,
    /// Each change; empty when both revisions wrote the same campaign (a status set to
    /// what it was, say).
    pub changes: Vec<ChangeView>,
}

fn any_value() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .description(Some("Any JSON value, as the campaign held it."))
        .into()
}

impl From<RevisionView> for RevisionSummary {
    fn from(view: RevisionView) -> Self {
        Self {
            revision: view.revision,
            action: view.action.to_string(),
            author: view.author,
            written_at: view.written_at,
        }
    }
}

impl From<Change> for ChangeView {
    fn from(change: Change) -> Self {
        Self {
            op: change.op.to_string(),
            path: change.path,
            before: change.before,
            after: change.after,
        }
    }
}

impl From<CampaignDiff> for DiffView {
    fn from(diff: CampaignDiff) -> Self {
        Self {
            campaign_id: diff.campaign_id,
            from: diff.from,
            to: diff.to,
            changes: diff.changes.into_iter().map(ChangeView::from).collect(),
        }
    }
}

/// A campaign's history
///
/// Every revision a write left (created, replaced, deleted), newest first, with who wrote
/// it and when. A deleted campaign keeps its history.
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}/revisions",
    tag = "campaigns",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "Its revisions", body = RevisionList),
        (status = 404, description = "No campaign of that id was ever created", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<RevisionList>, ApiError> {
    let revisions = state.service.campaign_revisions(&id).await?;
    Ok(axum::Json(RevisionList {
        revisions: revisions.into_iter().map(RevisionSummary::from).collect(),
    }))
}

/// One revision of a campaign
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}/revisions/{revision}",
    tag = "campaigns",
    params(
        ("id" = String, Path, description = "The campaign id"),
        ("revision" = i64, Path, description = "The revision number"),
    ),
    responses(
        (status = 200, description = "The revision, with the campaign as it wrote it", body = Revision),
        (status = 400, description = "The revision is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such revision", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path((id, revision)): Path<(String, i64)>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let view = state.service.campaign_revision(&id, revision).await?;
    serde_json::to_value(view)
        .map(axum::Json)
        .map_err(|e| ApiError::internal(format!("cannot write revision {revision}: {e}")))
}

/// What changed in a campaign
///
/// The changes from revision `from` to revision `to`, as RFC 6902 operations with the
/// value before and after each. `to` defaults to the newest revision, `from` to the one
/// before `to`.
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}/diff",
    tag = "campaigns",
    params(
        ("id" = String, Path, description = "The campaign id"),
        ("from" = Option<i64>, Query, description = "The older revision (default: the one before `to`)"),
        ("to" = Option<i64>, Query, description = "The newer revision (default: the newest)"),
    ),
    responses(
        (status = 200, description = "The changes", body = DiffView),
        (status = 404, description = "No such campaign or revision", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is malformed, unknown, or from is not older than to", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn diff(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<axum::Json<DiffView>, ApiError> {
    let mut problems = Vec::new();
    let (mut from, mut to) = (None, None);
    for param in known_params(&pairs, &["from", "to"], &mut problems) {
        match param.integer_in(1..=i64::MAX) {
            Ok(n) if param.name == "from" => from = Some(n),
            Ok(n) => to = Some(n),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let diff = state.service.campaign_diff(&id, from, to).await?;
    Ok(axum::Json(DiffView::from(diff)))
}
