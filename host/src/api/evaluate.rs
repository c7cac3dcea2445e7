//! `POST /v1/evaluate`: price a basket; changes nothing.

use super::json::Json;
use super::openapi::{EvaluateRequestSchema, EvaluateResponseSchema};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::basket::EvaluateRequest;
use crate::engine::response::EvaluateResponse;
use axum::extract::State;

/// Price a basket
///
/// Prices the basket against the running campaigns: totals, per-line breakdown, applied
/// campaigns with their effects, gifts, points, and the campaigns that did not apply with
/// a reason (SPEC.md "Evaluate"). Changes nothing.
#[utoipa::path(
    post,
    path = "/v1/evaluate",
    tag = "evaluate",
    request_body(content = EvaluateRequestSchema, content_type = "application/json"),
    responses(
        (status = 200, description = "The priced basket", body = EvaluateResponseSchema),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The basket is not valid, each field at fault named by a pointer; more lines than the limit is one problem at /lines", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn evaluate(
    State(state): State<AppState>,
    Json(request): Json<EvaluateRequest>,
) -> Result<axum::Json<EvaluateResponse>, ApiError> {
    request
        .validate(state.limits.max_lines)
        .map_err(ApiError::validation)?;
    Ok(axum::Json(state.service.evaluate(request).await?))
}
