//! `POST /v1/redemptions` (commit an order: `order_id` plus the basket) and `DELETE
//! /v1/redemptions/{order_id}` (cancel or return it).

use super::evaluate::EvaluateRequest;
use super::extract::Path;
use super::json::{self, Json};
use super::problem::{ApiError, Problem};
use super::schemas;
use super::AppState;
use crate::auth::KeyInfo;
use crate::model::{Basket, FieldProblem};
use crate::service::{Cancelled, MAX_ORDER_ID};
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::Value;

/// The header that marks the answer to a retry: the first answer, given again.
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Commit an order
///
/// Re-evaluates the basket against what is left of every budget, cap, per-customer limit
/// and coupon, records what applied and which key committed it, and answers once it is
/// durable: 201 with the priced basket and its `order_id`. The same `order_id` with the
/// same basket answers the first answer again (200, `Idempotent-Replayed: true`) and
/// counts once; with another basket, or once cancelled, it is a 409. An order id another
/// channel's key committed is a 409 that tells nothing of that order.
#[utoipa::path(
    post,
    path = "/v1/redemptions",
    tag = "redemptions",
    request_body(content = schemas::RedemptionRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Committed", body = schemas::RedemptionResponse),
        (status = 200, description = "Already committed with this basket: the first answer", body = schemas::RedemptionResponse),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The order was committed with another basket, or cancelled, or by another key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The order id or the basket is not valid, each field at fault named by a pointer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn redeem(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let key = caller(key)?;
    let (order_id, basket, explain) = split(body)?;
    basket
        .validate(state.limits.max_lines)
        .map_err(ApiError::validation)?;
    let redeemed = state
        .service
        .redeem(order_id, basket, explain, &key)
        .await?;
    Ok(created_or_replayed(redeemed.response, redeemed.replayed))
}

/// The answer to an idempotent write: 201, or for a retry that answers the first answer
/// again, 200 with `Idempotent-Replayed: true`. Commits and returns answer alike.
pub(super) fn created_or_replayed(body: Value, replayed: bool) -> Response {
    let mut response = axum::Json(body).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    } else {
        *response.status_mut() = StatusCode::CREATED;
    }
    response
}

/// Cancel or return an order
///
/// Gives back every budget, cap, per-customer use and coupon use the order took.
/// Cancelling again answers the first cancel; an order never committed is a 404, and so is
/// an order another channel's key committed. An admin key may cancel any order.
#[utoipa::path(
    delete,
    path = "/v1/redemptions/{order_id}",
    tag = "redemptions",
    params(("order_id" = String, Path, description = "The order id the commit gave")),
    responses(
        (status = 200, description = "Cancelled", body = schemas::Cancelled),
        (status = 404, description = "No such order, or another key's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Path(order_id): Path<String>,
) -> Result<axum::Json<Cancelled>, ApiError> {
    let key = caller(key)?;
    Ok(axum::Json(
        state.service.cancel_redemption(&order_id, &key).await?,
    ))
}

/// The key of the request, which the route's key check put there (redemption and return
/// routes alike).
pub(super) fn caller(key: Option<Extension<KeyInfo>>) -> Result<KeyInfo, ApiError> {
    key.map(|Extension(key)| key)
        .ok_or_else(|| ApiError::internal("a redemption route without its key check"))
}

/// The order id and the basket of a commit's body. The basket is read with the same rules
/// (and pointers) as an evaluation's.
fn split(body: Value) -> Result<(String, Basket, bool), ApiError> {
    let Value::Object(mut fields) = body else {
        return Err(ApiError::validation(vec![FieldProblem::new(
            "",
            "must be an object: order_id and a basket",
        )]));
    };
    let order_id = match fields.remove("order_id") {
        Some(Value::String(id)) if !id.is_empty() && id.len() <= MAX_ORDER_ID => id,
        Some(Value::String(_)) => {
            return Err(ApiError::validation(vec![FieldProblem::new(
                "/order_id",
                format!("must be 1 to {MAX_ORDER_ID} bytes"),
            )]))
        }
        Some(_) => {
            return Err(ApiError::validation(vec![FieldProblem::new(
                "/order_id",
                "must be a string",
            )]))
        }
        None => {
            return Err(ApiError::validation(vec![FieldProblem::new(
                "/order_id",
                "missing field `order_id`",
            )]))
        }
    };
    let basket = serde_json::to_vec(&Value::Object(fields))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let (basket, explain) = json::parse::<EvaluateRequest>(&basket)?.into_parts();
    Ok((order_id, basket, explain))
}
