//! `/v1/customers/{id}/offers`, `/points` and `/orders` (docs/customers.md): what a customer
//! can get now (the wallet), has (points) and bought (orders), for tills, apps and agents.

use super::customers::parse_query;
use super::extract::{Path, QueryPairs};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::engine::response::money;
use crate::engine::usage::from_minor;
use crate::engine::wallet::{Offer, Place};
use crate::model::campaign::Period;
use crate::model::order_return::OrderState;
use crate::model::Basket;
use crate::money::currency;
use crate::store::CustomerOrder;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// One offer of a customer's wallet: a campaign they can get, and what is left of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WalletOffer {
    /// The campaign's id.
    #[schema(example = "ten-from-100")]
    pub campaign: String,
    /// What marketing calls it.
    #[schema(example = "10 % dès 100 €")]
    pub name: String,
    /// Its plugin.
    #[schema(example = "threshold-discount")]
    pub plugin: String,
    /// Lower applies first on ties.
    pub priority: i32,
    /// Its exclusivity group, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// When it wins, no other campaign applies.
    pub exclusive: bool,
    /// When it ends, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<chrono::FixedOffset>>,
    /// The channels it is for (empty: every channel).
    pub channels: Vec<String>,
    /// The stores it is for (empty: every store).
    pub stores: Vec<String>,
    /// Uses left to this customer in the current period of its per-customer cap; absent
    /// without a cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uses_left: Option<u32>,
    /// The period of `uses_left`: `campaign`, `day`, `week` or `month`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "campaign")]
    pub per_customer_period: Option<Period>,
    /// Redemptions left to everyone; absent without a cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redemptions_left: Option<u64>,
    /// Budget left, in `budget_currency`; absent without a budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "4820.00")]
    pub budget_left: Option<rust_decimal::Decimal>,
    /// The currency of `budget_left`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "EUR")]
    pub budget_currency: Option<String>,
    /// The customer's personal codes of this campaign, usable now; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<WalletCode>,
}

/// A personal code in a customer's wallet.
#[derive(Debug, Serialize, ToSchema)]
pub struct WalletCode {
    /// The code, to type at the till or in the app.
    #[schema(example = "VIP-7K3M9Q2XJ4HD")]
    pub code: String,
    /// Uses left.
    pub uses_left: u32,
    /// When it stops working; absent: never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// The channels it may be used in (a reward); absent: wherever the campaign runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// The order whose commit issued it, for a reward.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<String>,
}

impl From<&Offer> for WalletOffer {
    fn from(offer: &Offer) -> Self {
        let campaign = &offer.live.campaign;
        let limits = &campaign.limits;
        let budget = offer.budget_left.as_ref();
        WalletOffer {
            campaign: campaign.id.clone(),
            name: campaign.name.clone(),
            plugin: campaign.plugin.clone(),
            priority: campaign.priority,
            group: campaign.group.clone(),
            exclusive: campaign.exclusive,
            ends_at: campaign.schedule.ends_at.map(|end| {
                end.with_timezone(&campaign.schedule.timezone())
                    .fixed_offset()
            }),
            channels: campaign.audience.channels.clone(),
            stores: campaign.audience.stores.clone(),
            uses_left: offer.uses_left,
            per_customer_period: limits
                .per_customer
                .map(|_| limits.per_customer_period.unwrap_or(Period::Campaign)),
            redemptions_left: offer.redemptions_left,
            budget_left: budget
                .map(|(left, currency)| money(*left, currency::minor_unit(currency).unwrap_or(2))),
            budget_currency: budget.map(|(_, currency)| currency.clone()),
            codes: offer
                .codes
                .iter()
                .map(|code| WalletCode {
                    code: code.code.clone(),
                    uses_left: code.uses_per_code.saturating_sub(code.uses),
                    expires_at: code.expires_at,
                    channels: code.channels.clone(),
                    issued_by: code.issued_by.clone(),
                })
                .collect(),
        }
    }
}

/// A customer's wallet.
#[derive(Debug, Serialize, ToSchema)]
pub struct Wallet {
    /// The customer id.
    pub customer: String,
    /// The instant the offers hold at.
    pub at: DateTime<Utc>,
    /// The channel asked for; absent: any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The store asked for; absent: any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// The offers, lowest priority value first, then by id.
    pub offers: Vec<WalletOffer>,
}

/// A customer's wallet of offers
///
/// What this customer can get now (or at `at`) on a channel and in a store: every active
/// campaign whose schedule, channel, store and audience let them in and whose caps, budget
/// and per-customer uses leave them something, with what is left (docs/customers.md "The
/// wallet"). What an app, a till or a call-centre agent shows before the basket exists.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/offers",
    tag = "customers",
    params(
        ("id" = String, Path, description = "The customer id"),
        ("channel" = Option<String>, Query, description = "The channel, such as `store`; absent: any"),
        ("store" = Option<String>, Query, description = "The store; absent: any"),
        ("currency" = Option<String>, Query, description = "The currency the customer pays in (ISO 4217): campaigns whose budget is kept in another are left out; absent: any"),
        ("at" = Option<String>, Query, description = "When (RFC 3339); now when absent"),
    ),
    responses(
        (status = 200, description = "The wallet", body = Wallet),
        (status = 400, description = "The query string cannot be decoded", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No profile is stored for this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid (its pointer is its name: /at)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn offers(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<axum::Json<Wallet>, ApiError> {
    let query = parse_query(&pairs, &["channel", "store", "currency", "at"])
        .map_err(ApiError::invalid_query)?;
    let place = Place {
        channel: query.channel.as_deref(),
        store: query.store.as_deref(),
        currency: query.currency.as_deref(),
    };
    let offers = state.service.wallet(&id, place, query.at).await?;
    Ok(axum::Json(Wallet {
        customer: id,
        at: query.at.unwrap_or_else(|| state.service.now()),
        channel: query.channel.clone(),
        store: query.store.clone(),
        offers: offers.iter().map(WalletOffer::from).collect(),
    }))
}

/// One lot of a customer's points: what one campaign granted one order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointsLotView {
    /// The order that earned it.
    pub order_id: String,
    /// The campaign that granted it.
    pub campaign: String,
    /// Points granted.
    pub points: i64,
    /// Points of it left to spend (0 once reversed or expired counts for nothing).
    pub remaining: i64,
    /// When the order was committed.
    pub earned_at: DateTime<Utc>,
    /// When it stops counting; absent: never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When its order was cancelled; absent unless it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversed_at: Option<DateTime<Utc>>,
    /// `active`, `expired` or `reversed`, at the answer's `at`.
    #[schema(example = "active")]
    pub state: &'static str,
}

/// A customer's points.
#[derive(Debug, Serialize, ToSchema)]
pub struct Points {
    /// The customer id.
    pub customer: String,
    /// The instant the balance holds at.
    pub at: DateTime<Utc>,
    /// Points usable at `at`: what is left of the lots neither expired nor reversed.
    pub balance: i64,
    /// Every lot, newest first.
    pub lots: Vec<PointsLotView>,
    /// The points each order spent (contract 1.1's `spend-points`), newest first; absent
    /// when none did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spent: Vec<PointsSpendView>,
}

/// The points one campaign of one order spent.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointsSpendView {
    /// The order that spent them.
    pub order_id: String,
    /// The campaign that spent them.
    pub campaign: String,
    /// How many (less what a return gave back).
    pub points: i64,
    /// When the order was committed.
    pub spent_at: DateTime<Utc>,
    /// When they went back to the balance (the order cancelled, or the campaign
    /// withdrawn by a return); absent unless they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversed_at: Option<DateTime<Utc>>,
}

/// A customer's points
///
/// The balance and the history of lots: what each campaign granted each committed order,
/// when it expires, and whether a cancel reversed it (docs/customers.md "Points").
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/points",
    tag = "customers",
    params(
        ("id" = String, Path, description = "The customer id"),
        ("at" = Option<String>, Query, description = "When (RFC 3339); now when absent"),
    ),
    responses(
        (status = 200, description = "The balance and the lots", body = Points),
        (status = 400, description = "The query string cannot be decoded", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Remise knows no profile and no points of this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid (its pointer is its name: /at)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn points(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<axum::Json<Points>, ApiError> {
    let query = parse_query(&pairs, &["at"]).map_err(ApiError::invalid_query)?;
    let at = query.at.unwrap_or_else(|| state.service.now());
    let (balance, lots, spends) = state.service.points(&id, at).await?;
    let lots = lots
        .into_iter()
        .map(|lot| PointsLotView {
            state: if lot.reversed_at.is_some() {
                "reversed"
            } else if lot.expires_at.is_some_and(|end| at >= end) {
                "expired"
            } else {
                "active"
            },
            order_id: lot.order_id,
            campaign: lot.campaign_id,
            points: lot.points,
            remaining: lot.remaining,
            earned_at: lot.earned_at,
            expires_at: lot.expires_at,
            reversed_at: lot.reversed_at,
        })
        .collect();
    Ok(axum::Json(Points {
        customer: id,
        at,
        balance,
        lots,
        spent: spends
            .into_iter()
            .map(|spend| PointsSpendView {
                order_id: spend.order_id,
                campaign: spend.campaign_id,
                points: spend.points,
                spent_at: spend.spent_at,
                reversed_at: spend.reversed_at,
            })
            .collect(),
    }))
}

/// One of a customer's orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOrderView {
    /// The channel's order id.
    pub order_id: String,
    /// The channel it was committed on.
    pub channel: String,
    /// When it was committed.
    pub committed_at: DateTime<Utc>,
    /// When it was cancelled; absent unless it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Its currency.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Sum of the line subtotals, as committed.
    #[schema(value_type = String, example = "120.00")]
    pub subtotal: String,
    /// Sum of every discount, as committed.
    #[schema(value_type = String, example = "12.00")]
    pub discount_total: String,
    /// What the customer paid.
    #[schema(value_type = String, example = "108.00")]
    pub total: String,
    /// The campaigns that applied.
    pub campaigns: Vec<String>,
    /// The loyalty points it earned.
    pub points: u64,
    /// How many returns it had.
    pub returns: i64,
    /// What its returns refunded in all.
    #[schema(value_type = String, example = "18.00")]
    pub refunded: String,
    /// Whether lines of it may still be returned (`POST
    /// /v1/redemptions/{order_id}/returns`): not cancelled, committed since orders keep
    /// what a return needs, and some unit still held.
    pub returnable: bool,
    /// Its lines, with the units still held; empty for orders committed before returns
    /// existed.
    pub lines: Vec<CustomerOrderLine>,
}

/// One line of a customer's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOrderLine {
    /// The line's id.
    pub id: String,
    /// Its SKU.
    pub sku: String,
    /// The price of one unit, before discounts.
    #[schema(value_type = String, example = "30.00")]
    pub unit_price: rust_decimal::Decimal,
    /// Units bought.
    pub bought: u32,
    /// Units the customer still holds (bought, less those returned).
    pub held: u32,
}

impl From<CustomerOrder> for CustomerOrderView {
    fn from(order: CustomerOrder) -> Self {
        let answer: serde_json::Value = serde_json::from_str(&order.response).unwrap_or_default();
        let text = |field: &str| answer[field].as_str().unwrap_or_default().to_string();
        let campaigns = answer["applied"]
            .as_array()
            .map(|applied| {
                applied
                    .iter()
                    .filter_map(|a| a["campaign"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let points = answer["points"]
            .as_array()
            .map(|points| points.iter().filter_map(|p| p["points"].as_u64()).sum())
            .unwrap_or_default();
        let basket: Option<Basket> = order
            .basket
            .as_deref()
            .and_then(|basket| serde_json::from_str(basket).ok());
        let kept: Option<OrderState> = order
            .kept
            .as_deref()
            .and_then(|kept| serde_json::from_str(kept).ok());
        let lines: Vec<CustomerOrderLine> = basket
            .map(|basket| {
                basket
                    .lines
                    .into_iter()
                    .map(|line| {
                        let held = kept
                            .as_ref()
                            .and_then(|kept| kept.lines.iter().find(|held| held.id == line.id))
                            .map_or(line.quantity, |held| held.quantity);
                        CustomerOrderLine {
                            held,
                            bought: line.quantity,
                            unit_price: line.unit_price,
                            sku: line.sku,
                            id: line.id,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let currency = text("currency");
        let decimals = currency::minor_unit(&currency).unwrap_or(2);
        CustomerOrderView {
            returnable: order.cancelled_at.is_none() && lines.iter().any(|line| line.held > 0),
            returns: order.returns,
            refunded: money(from_minor(order.refunded_minor, decimals), decimals).to_string(),
            lines,
            currency,
            subtotal: text("subtotal"),
            discount_total: text("discount_total"),
            total: text("total"),
            order_id: order.order_id,
            channel: order.channel,
            committed_at: order.created_at,
            cancelled_at: order.cancelled_at,
            campaigns,
            points,
        }
    }
}

/// A customer's orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOrders {
    /// The customer id.
    pub customer: String,
    /// The newest orders, newest first.
    pub orders: Vec<CustomerOrderView>,
}

/// A customer's orders
///
/// Their newest committed orders, cancelled ones included: totals, the campaigns that
/// applied and the points earned, as committed; their lines with the units still held, and
/// what their returns refunded.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/orders",
    tag = "customers",
    params(
        ("id" = String, Path, description = "The customer id"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "The most orders answered, 1 to 1000; 100 when absent"),
    ),
    responses(
        (status = 200, description = "The orders", body = CustomerOrders),
        (status = 400, description = "The query string cannot be decoded", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Remise knows no profile and no order of this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid (its pointer is its name: /limit)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn orders(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<axum::Json<CustomerOrders>, ApiError> {
    let query = parse_query(&pairs, &["limit"]).map_err(ApiError::invalid_query)?;
    let orders = state.service.customer_orders(&id, query.limit).await?;
    Ok(axum::Json(CustomerOrders {
        customer: id,
        orders: orders.into_iter().map(CustomerOrderView::from).collect(),
    }))
}
