//! `/v1/campaigns`: create, read, replace, merge-patch (RFC 7396), delete, and change a
//! campaign's status at once. Writes may carry `If-Match: "<revision>"`; a stale one is a
//! 409. Every campaign answered carries its revision in `ETag`.

use super::extract::{IfMatch, Path};
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::schemas;
use super::AppState;
use crate::auth::KeyInfo;
use crate::model::campaign::{Campaign, Status};
use crate::model::FieldProblem;
use crate::service::CampaignView;
use axum::extract::State;
use axum::http::header::{ETAG, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

/// Who a write is by, for the campaign's history: the key's label, or its role.
fn author(key: Option<Extension<KeyInfo>>) -> String {
    key.map(|Extension(key)| key.author()).unwrap_or_default()
}

/// A campaign with its revision in `ETag`.
fn answer(status: StatusCode, view: CampaignView) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", view.revision)).ok();
    let mut response = (status, axum::Json(view)).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(ETAG, etag);
    }
    response
}

/// List the campaigns
///
/// Every stored campaign, whatever its status.
#[utoipa::path(
    get,
    path = "/v1/campaigns",
    tag = "campaigns",
    responses((status = 200, description = "Every campaign", body = Vec<schemas::StoredCampaign>)),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<CampaignView>>, ApiError> {
    Ok(axum::Json(state.service.campaigns().await?))
}

/// Create a campaign
///
/// Checks the campaign and its parameters against its plugin's schema, and stores it
/// (draft unless `status` says otherwise).
#[utoipa::path(
    post,
    path = "/v1/campaigns",
    tag = "campaigns",
    request_body(content = schemas::Campaign, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = schemas::StoredCampaign,
            headers(
                ("Location" = String, description = "/v1/campaigns/{id}"),
                ("ETag" = String, description = "The revision, quoted: \"1\"")
            )),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The campaign is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Json(campaign): Json<Campaign>,
) -> Result<Response, ApiError> {
    let view = state
        .service
        .create_campaign(campaign, &author(key))
        .await?;
    let location = HeaderValue::from_str(&format!("/v1/campaigns/{}", view.campaign.id)).ok();
    let mut response = answer(StatusCode::CREATED, view);
    if let Some(location) = location {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// Get a campaign
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}",
    tag = "campaigns",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The campaign", body = schemas::StoredCampaign,
            headers(("ETag" = String, description = "The revision, quoted"))),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(answer(StatusCode::OK, state.service.campaign(&id).await?))
}

/// Replace a campaign
///
/// The body is the whole campaign; its `id` must be the one in the path. The next
/// evaluation sees the change.
#[utoipa::path(
    put,
    path = "/v1/campaigns/{id}",
    tag = "campaigns",
    params(
        ("id" = String, Path, description = "The campaign id"),
        ("If-Match" = Option<String>, Header, description = "The revision the write replaces, quoted: \"3\"; a stale one is a 409"),
    ),
    request_body(content = schemas::Campaign, content_type = "application/json"),
    responses(
        (status = 200, description = "The campaign as stored", body = schemas::StoredCampaign,
            headers(("ETag" = String, description = "The new revision, quoted"))),
        (status = 400, description = "The body is not JSON, or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The revision is stale", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The campaign is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(revision): IfMatch,
    key: Option<Extension<KeyInfo>>,
    Json(campaign): Json<Campaign>,
) -> Result<Response, ApiError> {
    let view = state
        .service
        .replace_campaign(&id, campaign, revision, &author(key))
        .await?;
    Ok(answer(StatusCode::OK, view))
}

/// Change part of a campaign
///
/// An RFC 7396 JSON merge patch (`application/merge-patch+json`, or `application/json`):
/// members set replace, `null` removes, objects merge. The result is checked as a whole.
#[utoipa::path(
    patch,
    path = "/v1/campaigns/{id}",
    tag = "campaigns",
    params(
        ("id" = String, Path, description = "The campaign id"),
        ("If-Match" = Option<String>, Header, description = "The revision the write replaces, quoted: \"3\"; a stale one is a 409"),
    ),
    request_body(content = schemas::CampaignMergePatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The campaign as stored", body = schemas::StoredCampaign,
            headers(("ETag" = String, description = "The new revision, quoted"))),
        (status = 400, description = "The body is not JSON, or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The revision is stale", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The patched campaign is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(revision): IfMatch,
    key: Option<Extension<KeyInfo>>,
    Json(merge_patch): Json<serde_json::Value>,
) -> Result<Response, ApiError> {
    if !merge_patch.is_object() {
        return Err(ApiError::validation(vec![FieldProblem::new(
            "",
            "a merge patch of a campaign is a JSON object",
        )]));
    }
    let view = state
        .service
        .patch_campaign(&id, merge_patch, revision, &author(key))
        .await?;
    Ok(answer(StatusCode::OK, view))
}

/// Delete a campaign
#[utoipa::path(
    delete,
    path = "/v1/campaigns/{id}",
    tag = "campaigns",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    key: Option<Extension<KeyInfo>>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_campaign(&id, &author(key)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_status(
    state: AppState,
    id: String,
    status: Status,
    key: Option<Extension<KeyInfo>>,
) -> Result<Response, ApiError> {
    Ok(answer(
        StatusCode::OK,
        state.service.set_status(&id, status, &author(key)).await?,
    ))
}

/// Activate a campaign
///
/// It applies from the next evaluation on.
#[utoipa::path(
    post,
    path = "/v1/campaigns/{id}/activate",
    tag = "campaigns",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The campaign, active", body = schemas::StoredCampaign),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change conflicts with the campaign's state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The campaign is no longer valid (its plugin refuses it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn activate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    key: Option<Extension<KeyInfo>>,
) -> Result<Response, ApiError> {
    set_status(state, id, Status::Active, key).await
}

/// Pause a campaign
///
/// It stops applying from the next evaluation on, and may be activated again.
#[utoipa::path(
    post,
    path = "/v1/campaigns/{id}/pause",
    tag = "campaigns",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The campaign, paused", body = schemas::StoredCampaign),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change conflicts with the campaign's state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The campaign is no longer valid (its plugin refuses it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn pause(
    State(state): State<AppState>,
    Path(id): Path<String>,
    key: Option<Extension<KeyInfo>>,
) -> Result<Response, ApiError> {
    set_status(state, id, Status::Paused, key).await
}

/// End a campaign
///
/// It stops applying from the next evaluation on, for good.
#[utoipa::path(
    post,
    path = "/v1/campaigns/{id}/end",
    tag = "campaigns",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The campaign, ended", body = schemas::StoredCampaign),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change conflicts with the campaign's state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The campaign is no longer valid (its plugin refuses it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn end(
    State(state): State<AppState>,
    Path(id): Path<String>,
    key: Option<Extension<KeyInfo>>,
) -> Result<Response, ApiError> {
    set_status(state, id, Status::Ended, key).await
}
