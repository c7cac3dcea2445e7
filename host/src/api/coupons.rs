//! `POST /v1/campaigns/{id}/coupons` (generate random codes in bulk, or create chosen
//! ones) and `GET /v1/campaigns/{id}/coupons` (list them with their uses, page by page).

use super::extract::{Path, QueryPairs};
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::coupons::{CouponPage, CouponQuery, CouponsCreated, CouponsRequest};
use axum::extract::State;
use axum::http::StatusCode;

/// Create coupon codes
///
/// Either `count` random codes (an optional `prefix`, then 12 characters of Crockford
/// base32: 60 random bits), or the chosen `codes`. Codes are stored upper-case and match
/// in any case. Chosen codes are all created or none: one given twice, or one that exists
/// already (in any campaign), is a 409 naming it.
#[utoipa::path(
    post,
    path = "/v1/campaigns/{id}/coupons",
    tag = "coupons",
    params(("id" = String, Path, description = "The campaign id")),
    request_body(content = CouponsRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Every code created", body = CouponsCreated),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A chosen code is given twice or exists already; nothing was created", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The request is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(request): Json<CouponsRequest>,
) -> Result<(StatusCode, axum::Json<CouponsCreated>), ApiError> {
    let created = state.service.generate_coupons(&id, request).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// List a campaign's coupon codes
///
/// In code order, with their uses, `limit` at a time; pass the answer's `next` as `after`
/// for the next page (`next` is null on the last one).
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}/coupons",
    tag = "coupons",
    params(
        ("id" = String, Path, description = "The campaign id"),
        ("search" = Option<String>, Query, description = "Only codes starting with this (any case)"),
        ("after" = Option<String>, Query, description = "Only codes after this one: the `next` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "The most codes answered, 1 to 1000; 100 when absent"),
    ),
    responses(
        (status = 200, description = "A page of codes", body = CouponPage),
        (status = 400, description = "The query string cannot be decoded", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid (its pointer is its name: /limit)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<axum::Json<CouponPage>, ApiError> {
    let query = CouponQuery::from_pairs(&pairs).map_err(ApiError::invalid_query)?;
    Ok(axum::Json(state.service.coupons(&id, query).await?))
}
