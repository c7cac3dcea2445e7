//! `POST /v1/redemptions/{order_id}/returns` (return some units of an order's lines: what
//! the till refunds, line by line) and `GET` (the returns recorded), docs/returns.md.

use super::extract::Path;
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::redemptions::{caller, created_or_replayed};
use super::AppState;
use crate::auth::KeyInfo;
use crate::model::order_return::ReturnRequest;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use chrono::{DateTime, Utc};
use utoipa::ToSchema;

/// The body of a return. Unknown fields are refused.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the service writes the JSON.
#[serde(deny_unknown_fields)]
#[schema(example = json!({"return_id": "web-100234-r1", "lines": [{"id": "2", "quantity": 1}]}))]
pub struct ReturnBody {
    /// The channel's id for this return, 1 to 256 bytes: the key of idempotency (the same
    /// id with the same lines answers the first answer again).
    #[schema(min_length = 1, max_length = 256)]
    pub return_id: String,
    /// The lines coming back, each named once.
    pub lines: Vec<ReturnedLineBody>,
}

/// Some units of one line of the order.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the service writes the JSON.
#[serde(deny_unknown_fields)]
pub struct ReturnedLineBody {
    /// The line's id in the order's basket.
    pub id: String,
    /// How many units come back, at least 1 and at most what the order still holds.
    #[schema(minimum = 1)]
    pub quantity: u32,
}

/// A return, as recorded.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the service writes the JSON.
pub struct ReturnAnswer {
    /// The order.
    pub order_id: String,
    /// The channel's id for the return.
    pub return_id: String,
    /// The order's currency.
    pub currency: String,
    /// When it was recorded, by the server's clock.
    pub returned_at: DateTime<Utc>,
    /// Each returned line, in the request's order, with what the till refunds.
    pub lines: Vec<RefundLine>,
    /// What the till refunds in all: what the customer had paid, less what the kept lines
    /// now cost, never below zero.
    #[schema(value_type = String, example = "18.00")]
    pub refund_total: rust_decimal::Decimal,
    /// What the kept lines lose of their discounts, taken from the returned lines' value.
    #[schema(value_type = String, example = "9.00")]
    pub withdrawn_total: rust_decimal::Decimal,
    /// What the kept lines now cost beyond what the customer paid, which a return never
    /// charges; absent when nothing.
    #[schema(value_type = Option<String>)]
    pub unrecovered: Option<rust_decimal::Decimal>,
    /// Each campaign the order held before the return, and what it grants after.
    pub campaigns: Vec<CampaignChange>,
    /// Points the order no longer earns, by campaign.
    pub points_reversed: Vec<HeldPoints>,
    /// Free items the order no longer gives, by campaign: the till takes them back.
    pub gifts_withdrawn: Vec<HeldGift>,
    /// The order after the return.
    pub order: OrderState,
}

/// What the till refunds for one returned line.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the service writes the JSON.
pub struct RefundLine {
    /// The line's id.
    pub id: String,
    /// Units returned.
    pub quantity: u32,
    /// What those units had cost the customer.
    #[schema(value_type = String, example = "27.00")]
    pub paid: rust_decimal::Decimal,
    /// The kept lines' lost discounts charged to this line (negative when they now get
    /// more off).
    #[schema(value_type = String, example = "9.00")]
    pub withdrawn: rust_decimal::Decimal,
    /// `paid - withdrawn`, to the minor unit.
    #[schema(value_type = String, example = "18.00")]
    pub refund: rust_decimal::Decimal,
}

/// What a return changed for one campaign of the order.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the service writes the JSON.
pub struct CampaignChange {
    /// The campaign.
    pub campaign: String,
    /// Its discount on the order before the return.
    #[schema(value_type = String)]
    pub discount_before: rust_decimal::Decimal,
    /// Its discount after (0 when withdrawn).
    #[schema(value_type = String)]
    pub discount_after: rust_decimal::Decimal,
    /// `kept`, `reduced`, `increased`, or `withdrawn` (it no longer applies: its
    /// redemption, coupon use and per-customer use are given back).
    #[schema(example = "withdrawn")]
    pub status: String,
}

/// Points a campaign grants, or no longer grants.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the service writes the JSON.
pub struct HeldPoints {
    /// The campaign.
    pub campaign: String,
    /// How many.
    pub points: u64,
}

/// Free items of a campaign.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the service writes the JSON.
pub struct HeldGift {
    /// The campaign.
    pub campaign: String,
    /// Their SKU.
    pub sku: String,
    /// How many.
    pub quantity: u32,
}

/// An order as it stands after a return.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the service writes the JSON.
pub struct OrderState {
    /// Every line bought, in the basket's order.
    pub lines: Vec<HeldLine>,
    /// The free items it still gives.
    pub gifts: Vec<HeldGift>,
    /// The points each campaign still grants it.
    pub points: Vec<HeldPoints>,
    /// What the customer has paid, net of every refund.
    #[schema(value_type = String, example = "90.00")]
    pub total: rust_decimal::Decimal,
}

/// One line of an order after a return.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the service writes the JSON.
pub struct HeldLine {
    /// The line's id.
    pub id: String,
    /// Units bought.
    pub bought: u32,
    /// Units the customer still holds.
    pub quantity: u32,
    /// What they cost now, after discounts.
    #[schema(value_type = String, example = "90.00")]
    pub total: rust_decimal::Decimal,
}

/// The returns of an order.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the service writes the JSON.
pub struct ReturnList {
    /// The order.
    pub order_id: String,
    /// Its returns, first first.
    pub returns: Vec<ReturnAnswer>,
}

/// Return some units of an order
///
/// The lines the order keeps are priced again under the campaigns and plugin versions that
/// priced the order (never today's), and the answer says, per returned line, what the till
/// refunds to the minor unit. A threshold discount the kept lines no longer reach is taken
/// from the refund; what the kept lines no longer take goes back to budgets, caps, coupon
/// uses and points (docs/returns.md). The same `return_id` with the same lines answers the
/// first answer again (200, `Idempotent-Replayed: true`); with other lines it is a 409.
/// The order's own key, a marketing key or an admin key may return it.
#[utoipa::path(
    post,
    path = "/v1/redemptions/{order_id}/returns",
    tag = "redemptions",
    params(("order_id" = String, Path, description = "The order id the commit gave")),
    request_body(content = ReturnBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded", body = ReturnAnswer),
        (status = 200, description = "Already recorded with these lines: the first answer", body = ReturnAnswer),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, or another channel's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The return id was used with other lines, the order was cancelled or predates returns, or what priced it is gone", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A line is unknown to the order or returned beyond what it holds, each named by a pointer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Path(order_id): Path<String>,
    Json(request): Json<ReturnRequest>,
) -> Result<Response, ApiError> {
    let key = caller(key)?;
    request.validate().map_err(ApiError::validation)?;
    let returned = state.service.return_lines(&order_id, request, &key).await?;
    Ok(created_or_replayed(returned.response, returned.replayed))
}

/// An order's returns
///
/// Every return recorded for the order, first first, each as it was answered.
#[utoipa::path(
    get,
    path = "/v1/redemptions/{order_id}/returns",
    tag = "redemptions",
    params(("order_id" = String, Path, description = "The order id the commit gave")),
    responses(
        (status = 200, description = "The returns", body = ReturnList),
        (status = 404, description = "No such order, or another channel's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Path(order_id): Path<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let key = caller(key)?;
    let returns = state.service.returns_of(&order_id, &key).await?;
    Ok(axum::Json(
        serde_json::json!({ "order_id": order_id, "returns": returns }),
    ))
}
