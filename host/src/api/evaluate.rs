//! `POST /v1/evaluate`: price a basket; changes nothing.

use super::json::Json;
use super::problem::{ApiError, Problem};
use super::schemas;
use super::AppState;
use crate::model::{Basket, Customer, Line};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// The body of `POST /v1/evaluate` (and, beside an `order_id`, of `POST /v1/redemptions`):
/// a basket, and how much to explain.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// ISO 4217 code of every amount, such as `EUR`.
    pub currency: String,
    /// The sales channel, such as `web`, `store` or `app`.
    pub channel: String,
    /// The store, for store channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// When the basket is priced; now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<FixedOffset>>,
    /// The customer; absent for an anonymous basket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Coupon codes the customer entered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coupons: Vec<String>,
    /// The lines.
    pub lines: Vec<Line>,
    /// List the campaigns the prefilter set aside too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub explain: bool,
}

impl EvaluateRequest {
    /// The basket, and whether to explain.
    pub fn into_parts(self) -> (Basket, bool) {
        let basket = Basket {
            currency: self.currency,
            channel: self.channel,
            store: self.store,
            at: self.at,
            customer: self.customer,
            coupons: self.coupons,
            lines: self.lines,
        };
        (basket, self.explain)
    }
}

/// Price a basket
///
/// Prices the basket against the running campaigns: totals, per-line breakdown, applied
/// campaigns with their effects, gifts, points, and the campaigns that did not apply with
/// a reason (docs/api.md "Evaluate"). Changes nothing.
#[utoipa::path(
    post,
    path = "/v1/evaluate",
    tag = "evaluate",
    request_body(content = schemas::EvaluateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The priced basket", body = schemas::EvaluateResponse),
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
) -> Result<Response, ApiError> {
    let (basket, explain) = request.into_parts();
    basket
        .validate(state.limits.max_lines)
        .map_err(ApiError::validation)?;
    let body = state.service.evaluate(basket, explain).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}
