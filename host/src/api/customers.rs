//! `/v1/customers`, `/v1/imports/customers`, `/v1/exports/customers`: customer profiles
//! (docs/customers.md), written whole or by merge patch, listed page by page, erased,
//! imported in bulk from NDJSON or CSV read as the body arrives, and exported as a stream;
//! a customer's wallet of offers (`/v1/customers/{id}/offers`), points
//! (`/v1/customers/{id}/points`) and orders (`/v1/customers/{id}/orders`).

use super::extract::{Path, QueryPairs};
use super::json::Json;
use super::problem::{ApiError, Problem, ProblemField, ProblemKind};
use super::AppState;
use crate::engine::response::money;
use crate::engine::wallet::{Offer, Place};
use crate::json_pointer::push_token;
use crate::model::basket::{AT_YEARS, MAX_TEXT};
use crate::model::campaign::Period;
use crate::model::customer::CustomerProfile as Profile;
use crate::model::customer_csv::{write_row, CsvColumns};
use crate::model::FieldProblem;
use crate::money::currency;
use crate::service::{CustomerPage, ImportFormat, ImportReport, Service};
use crate::store::{self, CustomerOrder, Erased};
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use utoipa::ToSchema;

/// The most profiles a page lists.
const MAX_LIMIT: u32 = 1_000;
/// Profiles per page when `limit` is absent.
const DEFAULT_LIMIT: u32 = 100;
/// Profiles an export reads from the database at a time.
const EXPORT_PAGE: u32 = 1_000;

/// What the customer agreed to be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerConsent {
    /// E-mail; `false` when absent.
    pub email: bool,
    /// Text messages; `false` when absent.
    pub sms: bool,
}

/// A customer's profile as written by `PUT` (or one line of an NDJSON import, where `id` is
/// required). Unknown fields are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Only its schema is used: the body is read as the model's profile.
pub struct CustomerProfile {
    /// The customer id: left out, or the id of the path.
    #[schema(min_length = 1, max_length = 256, example = "c-1042")]
    id: Option<String>,
    /// Loyalty tier (1 to 256 bytes).
    #[schema(min_length = 1, max_length = 256, example = "gold")]
    loyalty_tier: Option<String>,
    /// Segments, each 1 to 256 bytes, at most 100, none twice.
    #[schema(max_items = 100, example = json!(["card-holder"]))]
    segments: Option<Vec<String>>,
    /// Date of birth, `YYYY-MM-DD`, from 1900-01-01 to today.
    birthdate: Option<NaiveDate>,
    /// Free attributes (keys 1 to 256 bytes, values up to 256), at most 64.
    #[schema(example = json!({"favourite_store": "lyon-3"}))]
    attributes: Option<BTreeMap<String, String>>,
    /// What the customer agreed to be sent; each `false` when absent.
    consent: Option<CustomerConsentBody>,
}

/// Consent as written: each `false` when absent. Unknown fields are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Only its schema is used.
pub struct CustomerConsentBody {
    /// E-mail.
    email: Option<bool>,
    /// Text messages.
    sms: Option<bool>,
}

/// A stored profile.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct StoredCustomer {
    /// The customer id, as baskets send it in `customer.id`.
    #[schema(example = "c-1042")]
    pub id: String,
    /// Loyalty tier.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "gold")]
    pub loyalty_tier: Option<String>,
    /// Segments.
    pub segments: Vec<String>,
    /// Date of birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<NaiveDate>,
    /// Free attributes.
    pub attributes: BTreeMap<String, String>,
    /// What the customer agreed to be sent.
    pub consent: CustomerConsent,
    /// When it was first stored.
    pub created_at: DateTime<Utc>,
    /// When it was last written.
    pub updated_at: DateTime<Utc>,
}

impl From<store::StoredCustomer> for StoredCustomer {
    fn from(stored: store::StoredCustomer) -> Self {
        let profile = stored.profile;
        StoredCustomer {
            id: profile.id.unwrap_or_default(),
            loyalty_tier: profile.loyalty_tier,
            segments: profile.segments,
            birthdate: profile.birthdate,
            attributes: profile.attributes,
            consent: CustomerConsent {
                email: profile.consent.email,
                sms: profile.consent.sms,
            },
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        }
    }
}

/// A page of profiles.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerList {
    /// The profiles, in id order (byte order).
    pub customers: Vec<StoredCustomer>,
    /// The id to pass as `after` for the next page; `null` on the last.
    pub next: Option<String>,
}

impl From<CustomerPage> for CustomerList {
    fn from(page: CustomerPage) -> Self {
        CustomerList {
            customers: page
                .customers
                .into_iter()
                .map(StoredCustomer::from)
                .collect(),
            next: page.next,
        }
    }
}

/// What erasing a customer did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerErased {
    /// The customer id.
    pub id: String,
    /// Whether a profile was stored, now deleted.
    pub profile_erased: bool,
    /// How many of their orders no longer name them (their amounts stay).
    pub orders_anonymised: u64,
}

/// One bad line of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblem {
    /// The line (NDJSON) or row (CSV, the header being row 1), from 1.
    pub line: u64,
    /// The line's customer id, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What is wrong, each at the JSON pointer of the profile's field.
    pub errors: Vec<ProblemField>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerImport {
    /// Lines (or rows, the header included) read.
    pub lines: u64,
    /// Profiles written.
    pub imported: u64,
    /// Of those, profiles that did not exist.
    pub created: u64,
    /// Of those, profiles replaced.
    pub updated: u64,
    /// Bad lines, skipped.
    pub rejected: u64,
    /// The first 1,000 bad lines.
    pub problems: Vec<ImportProblem>,
}

impl From<ImportReport> for CustomerImport {
    fn from(report: ImportReport) -> Self {
        CustomerImport {
            lines: report.lines,
            imported: report.imported,
            created: report.created,
            updated: report.updated,
            rejected: report.rejected,
            problems: report
                .problems
                .into_iter()
                .map(|problem| ImportProblem {
                    line: problem.line,
                    id: problem.id,
                    errors: problem
                        .errors
                        .into_iter()
                        .map(|error| ProblemField {
                            pointer: error.pointer,
                            message: error.message,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

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
    let (balance, lots) = state.service.points(&id, at).await?;
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
        CustomerOrderView {
            currency: text("currency"),
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
/// applied and the points earned, as committed.
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

/// Get a customer's profile
#[utoipa::path(
    get,
    path = "/v1/customers/{id}",
    tag = "customers",
    params(("id" = String, Path, description = "The customer id")),
    responses(
        (status = 200, description = "The profile", body = StoredCustomer),
        (status = 404, description = "No profile is stored for this id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<StoredCustomer>, ApiError> {
    Ok(axum::Json(state.service.customer(&id).await?.into()))
}

/// Create or replace a customer's profile
///
/// The body is the whole profile. A basket naming this customer is priced with it from the
/// next evaluation on (docs/customers.md "Which wins").
#[utoipa::path(
    put,
    path = "/v1/customers/{id}",
    tag = "customers",
    params(("id" = String, Path, description = "The customer id")),
    request_body(content = CustomerProfile, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = StoredCustomer,
            headers(("Location" = String, description = "/v1/customers/{id}"))),
        (status = 200, description = "Replaced", body = StoredCustomer),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The profile is not valid, each field at fault named by its pointer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn put(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(profile): Json<Profile>,
) -> Result<Response, ApiError> {
    check_id(&id)?;
    let (stored, created) = state.service.put_customer(&id, profile).await?;
    if !created {
        return Ok(axum::Json(StoredCustomer::from(stored)).into_response());
    }
    let mut response = (
        StatusCode::CREATED,
        axum::Json(StoredCustomer::from(stored)),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/customers/{}", encode_segment(&id))) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// Change part of a customer's profile
///
/// An RFC 7396 JSON merge patch (`application/merge-patch+json`, or `application/json`):
/// members set replace, `null` removes, `attributes` and `consent` merge key by key. The
/// result is checked as a whole.
#[utoipa::path(
    patch,
    path = "/v1/customers/{id}",
    tag = "customers",
    params(("id" = String, Path, description = "The customer id")),
    request_body(content = CustomerProfile, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The profile as stored", body = StoredCustomer),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No profile is stored for this id", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The patched profile is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(merge_patch): Json<serde_json::Value>,
) -> Result<axum::Json<StoredCustomer>, ApiError> {
    if !merge_patch.is_object() {
        return Err(ApiError::validation(vec![FieldProblem::new(
            "",
            "a merge patch of a profile is a JSON object",
        )]));
    }
    let stored = state.service.patch_customer(&id, merge_patch).await?;
    Ok(axum::Json(stored.into()))
}

/// Erase a customer
///
/// Deletes the profile and takes the customer's id off their orders, which keep every
/// amount (docs/customers.md "Erasing a customer").
#[utoipa::path(
    delete,
    path = "/v1/customers/{id}",
    tag = "customers",
    params(("id" = String, Path, description = "The customer id")),
    responses(
        (status = 200, description = "What was erased", body = CustomerErased),
        (status = 404, description = "Remise knows nothing of this id: no profile, no order", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn erase(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<CustomerErased>, ApiError> {
    let Erased { profile, orders } = state.service.erase_customer(&id).await?;
    Ok(axum::Json(CustomerErased {
        id,
        profile_erased: profile,
        orders_anonymised: orders,
    }))
}

/// List customers
///
/// In id order (byte order), `limit` at a time; pass the answer's `next` as `after` for
/// the next page (`next` is null on the last one).
#[utoipa::path(
    get,
    path = "/v1/customers",
    tag = "customers",
    params(
        ("prefix" = Option<String>, Query, description = "Only ids starting with this (exactly, case included)"),
        ("after" = Option<String>, Query, description = "Only ids after this one: the `next` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "The most profiles answered, 1 to 1000; 100 when absent"),
    ),
    responses(
        (status = 200, description = "A page of profiles", body = CustomerList),
        (status = 400, description = "The query string cannot be decoded", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid (its pointer is its name: /limit)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> Result<axum::Json<CustomerList>, ApiError> {
    let query =
        parse_query(&pairs, &["prefix", "after", "limit"]).map_err(ApiError::invalid_query)?;
    let page = state
        .service
        .customers(
            query.prefix.as_deref().unwrap_or(""),
            query.after.as_deref(),
            query.limit,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

/// Import customers in bulk
///
/// NDJSON (`application/x-ndjson`, one profile with its `id` per line) or CSV (`text/csv`,
/// a header row first), read as it arrives, with no size limit but the request timeout.
/// Each line is checked alone: the good ones are written (created or replaced whole), the
/// bad ones reported with their line and pointers (docs/customers.md "Import").
#[utoipa::path(
    post,
    path = "/v1/imports/customers",
    tag = "customers",
    request_body(content = String, description = "NDJSON profiles, or CSV with a header row", content(
        (String = "application/x-ndjson"),
        (String = "text/csv"),
    )),
    responses(
        (status = 200, description = "The import's report", body = CustomerImport),
        (status = 400, description = "The body could not be read to its end", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is neither NDJSON nor CSV", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The CSV header is not valid (pointer /header/<column>); nothing was imported", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<CustomerImport>, ApiError> {
    let format = import_format(&headers)?;
    let mut import = state.service.import_customers(format);
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::new(
                ProblemKind::BadRequest,
                format!("the body could not be read to its end: {error}"),
            )
        })?;
        import.feed(&chunk).await?;
    }
    let report = import.finish().await?;
    tracing::info!(
        imported = report.imported,
        rejected = report.rejected,
        "customers imported"
    );
    Ok(axum::Json(report.into()))
}

/// Export every customer
///
/// Every profile in id order, streamed: NDJSON (the default, one profile per line, as an
/// import reads it) or CSV (`format=csv`, the import's columns, one `attributes.<key>`
/// column per attribute key in use).
#[utoipa::path(
    get,
    path = "/v1/exports/customers",
    tag = "customers",
    params(("format" = Option<String>, Query, description = "`ndjson` (the default) or `csv`")),
    responses(
        (status = 200, description = "Every profile", content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = 400, description = "The query string cannot be decoded", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown format (pointer /format)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn export(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let query = parse_query(&pairs, &["format"]).map_err(ApiError::invalid_query)?;
    let service = state.service.clone();
    let (media_type, file, body) = match query.format {
        ImportFormat::Ndjson => (
            "application/x-ndjson",
            "customers.ndjson",
            Body::from_stream(pages(service, None)),
        ),
        ImportFormat::Csv => {
            let keys = attribute_keys(&service).await?;
            let columns = Arc::new(CsvColumns::for_export(keys.iter().map(String::as_str)));
            let mut header = String::new();
            write_row(&mut header, &columns.header());
            let header = futures_util::stream::once(async move {
                Ok::<_, std::io::Error>(axum::body::Bytes::from(header))
            });
            (
                "text/csv; charset=utf-8",
                "customers.csv",
                Body::from_stream(header.chain(pages(service, Some(columns)))),
            )
        }
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// Every attribute key some profile uses, in order: the CSV export's columns.
async fn attribute_keys(service: &Service) -> Result<BTreeSet<String>, ApiError> {
    let mut keys = BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let page = service.customers("", after.as_deref(), EXPORT_PAGE).await?;
        for stored in &page.customers {
            keys.extend(stored.profile.attributes.keys().cloned());
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(keys),
        }
    }
}

/// The export's body after its header: one chunk per page of profiles, as NDJSON lines or,
/// with `columns`, CSV rows. A database failure midway ends the body early (the client
/// sees a cut answer) and is logged.
fn pages(
    service: Arc<Service>,
    columns: Option<Arc<CsvColumns>>,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some(None::<String>), move |cursor| {
        let service = service.clone();
        let columns = columns.clone();
        async move {
            let after = cursor?;
            let page = match service.customers("", after.as_deref(), EXPORT_PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(%error, "customer export cut short");
                    return Some((Err(std::io::Error::other(error.to_string())), None));
                }
            };
            let mut text = String::new();
            for stored in page.customers {
                match &columns {
                    Some(columns) => write_row(&mut text, &columns.row(&stored.profile)),
                    None => {
                        if let Ok(line) = serde_json::to_string(&stored.profile) {
                            text.push_str(&line);
                            text.push('\n');
                        }
                    }
                }
            }
            let next = page.next.map(Some);
            Some((Ok(axum::body::Bytes::from(text)), next))
        }
    })
}

/// The format an import's `Content-Type` names; 415 for any other.
fn import_format(headers: &HeaderMap) -> Result<ImportFormat, ApiError> {
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media_type.as_str() {
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines" => Ok(ImportFormat::Ndjson),
        "text/csv" => Ok(ImportFormat::Csv),
        _ => Err(ApiError::new(
            ProblemKind::UnsupportedMediaType,
            "an import is NDJSON (Content-Type: application/x-ndjson) or CSV (text/csv)",
        )),
    }
}

/// A path's customer id: 1 to 256 bytes, no NUL (as a basket's `customer.id`).
fn check_id(id: &str) -> Result<(), ApiError> {
    let probe = Profile {
        id: Some(id.to_string()),
        ..Profile::default()
    };
    probe
        .validate(NaiveDate::MAX)
        .map_err(|_| ApiError::bad_request("the customer id must be 1 to 256 bytes, without NUL"))
}

/// `id` as one path segment: percent-encoded but for unreserved characters.
fn encode_segment(id: &str) -> String {
    let mut encoded = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The query of a list, an export or a wallet.
struct CustomerQuery {
    prefix: Option<String>,
    after: Option<String>,
    limit: u32,
    format: ImportFormat,
    channel: Option<String>,
    store: Option<String>,
    currency: Option<String>,
    at: Option<DateTime<Utc>>,
}

/// Reads the `known` parameters from the query string's pairs; one unknown, repeated or
/// malformed is a problem at the pointer of its name (`/limit`).
fn parse_query(
    pairs: &[(String, String)],
    known: &[&str],
) -> Result<CustomerQuery, Vec<FieldProblem>> {
    let mut query = CustomerQuery {
        prefix: None,
        after: None,
        limit: DEFAULT_LIMIT,
        format: ImportFormat::Ndjson,
        channel: None,
        store: None,
        currency: None,
        at: None,
    };
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (name, value) in pairs {
        let mut pointer = String::new();
        push_token(&mut pointer, name);
        if !seen.insert(name.as_str()) {
            problems.push(FieldProblem::new(pointer, "given more than once"));
            continue;
        }
        match name.as_str() {
            _ if !known.contains(&name.as_str()) => problems.push(FieldProblem::new(
                pointer,
                format!("unknown query parameter: {} are known", known.join(", ")),
            )),
            "prefix" if !value.is_empty() => query.prefix = Some(value.clone()),
            "after" if !value.is_empty() => query.after = Some(value.clone()),
            "prefix" | "after" => {}
            "limit" => match value.trim().parse::<u32>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => query.limit = limit,
                _ => problems.push(FieldProblem::new(
                    pointer,
                    format!("must be an integer from 1 to {MAX_LIMIT}"),
                )),
            },
            "format" => match value.as_str() {
                "ndjson" => query.format = ImportFormat::Ndjson,
                "csv" => query.format = ImportFormat::Csv,
                _ => problems.push(FieldProblem::new(pointer, "must be ndjson or csv")),
            },
            "channel" | "store" => {
                if value.is_empty() || value.len() > MAX_TEXT || value.contains('\0') {
                    problems.push(FieldProblem::new(
                        pointer,
                        format!("must be 1 to {MAX_TEXT} bytes, without NUL"),
                    ));
                } else if name == "channel" {
                    query.channel = Some(value.clone());
                } else {
                    query.store = Some(value.clone());
                }
            }
            "currency" => match currency::minor_unit(value) {
                Some(_) => query.currency = Some(value.clone()),
                None => problems.push(FieldProblem::new(
                    pointer,
                    "must be an ISO 4217 code such as EUR",
                )),
            },
            _ => match DateTime::parse_from_rfc3339(value) {
                Ok(at) if AT_YEARS.contains(&at.year()) => {
                    query.at = Some(at.with_timezone(&Utc));
                }
                _ => problems.push(FieldProblem::new(
                    pointer,
                    format!(
                        "must be an RFC 3339 instant with an offset, in the years {} to {}",
                        AT_YEARS.start(),
                        AT_YEARS.end()
                    ),
                )),
            },
        }
    }
    if problems.is_empty() {
        Ok(query)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    fn pointers(list: &[(&str, &str)], known: &[&str]) -> Vec<String> {
        parse_query(&pairs(list), known)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|problem| problem.pointer)
            .collect()
    }

    #[test]
    fn a_query_names_each_bad_parameter() {
        let list = ["prefix", "after", "limit"];
        assert_eq!(pointers(&[("limit", "0")], &list), ["/limit"]);
        assert_eq!(pointers(&[("limit", "1001")], &list), ["/limit"]);
        assert_eq!(pointers(&[("format", "csv")], &list), ["/format"]);
        assert_eq!(pointers(&[("format", "xml")], &["format"]), ["/format"]);
        let wallet = ["channel", "store", "currency", "at"];
        assert_eq!(pointers(&[("channel", "")], &wallet), ["/channel"]);
        assert_eq!(pointers(&[("currency", "EURO")], &wallet), ["/currency"]);
        assert_eq!(pointers(&[("at", "2026-12-03")], &wallet), ["/at"]);
        assert_eq!(
            pointers(&[("at", "0001-01-01T00:00:00Z")], &wallet),
            ["/at"]
        );
        let at = parse_query(&pairs(&[("at", "2026-12-03T10:00:00+01:00")]), &wallet)
            .expect("a good instant");
        assert_eq!(
            at.at.map(|at| at.to_rfc3339()).as_deref(),
            Some("2026-12-03T09:00:00+00:00")
        );
        assert_eq!(
            pointers(&[("prefix", "a"), ("prefix", "b")], &list),
            ["/prefix"]
        );
        let query =
            parse_query(&pairs(&[("prefix", "c-"), ("limit", "5")]), &list).expect("a good query");
        assert_eq!((query.prefix.as_deref(), query.limit), (Some("c-"), 5));
    }

    #[test]
    fn a_location_encodes_the_id_as_one_segment() {
        assert_eq!(encode_segment("c-1.a_b~"), "c-1.a_b~");
        assert_eq!(encode_segment("a/b é"), "a%2Fb%20%C3%A9");
    }
}
