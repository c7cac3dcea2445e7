//! `POST /v1/campaigns/{id}/distributions` (hand out personal codes to a list of customers
//! or a segment, honouring consent), `GET` (what they came to: assigned, used, conversion
//! per channel) and `GET …/distributions.csv` (every personal code, for tools without
//! webhooks). docs/api.md "Personal codes".

use super::extract::Path;
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::model::customer_csv::write_row;
use crate::model::distribution::DistributionRequest;
use crate::service::Distributed;
use crate::store::DistributionCounts;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// The largest body a distribution accepts: a list of 100,000 customer ids does not fit in
/// the 1 MiB other bodies are held to.
pub(crate) const MAX_BODY_BYTES: usize = 16 << 20;

/// The body of a distribution (at most 16 MiB). Unknown fields are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Only its schema is used: the body is read as the model's request.
#[schema(example = json!({"segment": "vip", "consent": "email", "prefix": "VIP-"}))]
pub struct DistributionBody {
    /// These customer ids (at most 100,000), whether or not a profile is stored for them.
    /// Exactly one of `customers` and `segment`.
    pub customers: Option<Vec<String>>,
    /// Every stored profile in this segment.
    pub segment: Option<String>,
    /// `email` or `sms`: only customers whose stored profile consents to it get a code.
    #[schema(example = "email")]
    pub consent: Option<String>,
    /// What the codes start with (up to 24 of `A-Z`, `0-9`, `-`, `_`), then 12 random
    /// characters.
    pub prefix: Option<String>,
    /// Redemptions each code allows, 1 to 1,000,000; 1 when absent.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub uses_per_code: Option<u64>,
    /// When the codes stop working (RFC 3339, in the future); never when absent.
    pub expires_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// `true`: count who would get a code (the preview of a distribution), and hand out
    /// none.
    pub dry_run: Option<bool>,
}

/// A customer and their personal code.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignedCode {
    /// The customer id.
    pub customer: String,
    /// Their code.
    #[schema(example = "VIP-7K3M9Q2XJ4HD")]
    pub code: String,
}

/// A customer left out of a distribution.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedCustomer {
    /// The customer id.
    pub customer: String,
    /// Why, such as `no consent to email`.
    pub reason: String,
}

/// What a distribution did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionDone {
    /// The campaign.
    pub campaign: String,
    /// How many codes were handed out now (in a dry run: would be).
    pub assigned: usize,
    /// Whether this was a dry run: nothing was handed out.
    pub dry_run: bool,
    /// The codes handed out now, by customer id.
    pub codes: Vec<AssignedCode>,
    /// Customers who had a code of the campaign already and keep it.
    pub already_assigned: usize,
    /// How many customers were left out.
    pub skipped: usize,
    /// The first 1,000 customers left out, with why.
    pub skipped_customers: Vec<SkippedCustomer>,
}

impl From<Distributed> for DistributionDone {
    fn from(done: Distributed) -> Self {
        DistributionDone {
            campaign: done.campaign,
            dry_run: done.dry_run,
            assigned: done.would_assign,
            codes: done
                .assigned
                .into_iter()
                .map(|(customer, code)| AssignedCode { customer, code })
                .collect(),
            already_assigned: done.already,
            skipped: done.skipped_count,
            skipped_customers: done
                .skipped
                .into_iter()
                .map(|(customer, reason)| SkippedCustomer { customer, reason })
                .collect(),
        }
    }
}

/// What a campaign's personal codes came to.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionReport {
    /// The campaign.
    pub campaign: String,
    /// Personal codes handed out.
    pub assigned: i64,
    /// Of those, used by an order still standing.
    pub used: i64,
    /// `used / assigned`, to four decimals ("0" without codes).
    #[schema(value_type = String, example = "0.2500")]
    pub conversion: Decimal,
    /// Orders that used a personal code, by channel.
    pub by_channel: Vec<ChannelConversion>,
}

/// Orders on one channel that used a personal code.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelConversion {
    /// The channel.
    pub channel: String,
    /// Orders on it that used a personal code of the campaign.
    pub orders: i64,
    /// `orders / assigned`, to four decimals.
    #[schema(value_type = String, example = "0.1500")]
    pub conversion: Decimal,
}

/// `part / whole` to four decimals, 0 when `whole` is 0.
fn ratio(part: i64, whole: i64) -> Decimal {
    if whole <= 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(part) / Decimal::from(whole)).round_dp(4)
}

impl DistributionReport {
    fn new(campaign: String, counts: DistributionCounts) -> Self {
        let assigned = counts.assigned;
        DistributionReport {
            campaign,
            assigned,
            used: counts.used,
            conversion: ratio(counts.used, assigned),
            by_channel: counts
                .by_channel
                .into_iter()
                .map(|(channel, orders)| ChannelConversion {
                    channel,
                    orders,
                    conversion: ratio(orders, assigned),
                })
                .collect(),
        }
    }
}

/// Hand out personal codes
///
/// One code of the campaign (which must require a coupon) for each customer listed, or for
/// each stored profile of a segment; with `consent`, only customers whose stored profile
/// consents to being reached that way. A customer who has a code of the campaign keeps it
/// (`already_assigned`): the same distribution again hands out nothing new. A personal code
/// works only in its customer's baskets; anyone else's basket gets it back as `not_applied`,
/// with `detail` saying why.
#[utoipa::path(
    post,
    path = "/v1/campaigns/{id}/distributions",
    tag = "coupons",
    params(("id" = String, Path, description = "The campaign id")),
    request_body(content = DistributionBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Codes handed out (possibly none new)", body = DistributionDone),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The campaign does not require a coupon", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 16 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The request is not valid, each field at fault named by a pointer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(request): Json<DistributionRequest>,
) -> Result<(StatusCode, axum::Json<DistributionDone>), ApiError> {
    let distribution = request.validate(Utc::now()).map_err(ApiError::validation)?;
    let done = state.service.distribute(&id, distribution).await?;
    Ok((StatusCode::CREATED, axum::Json(done.into())))
}

/// What a campaign's personal codes came to
///
/// Codes handed out, used, and the conversion: in all and per channel (orders on that
/// channel that used one). A cancelled order gives its use back, so it no longer counts.
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}/distributions",
    tag = "coupons",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The report", body = DistributionReport),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn report(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<DistributionReport>, ApiError> {
    let counts = state.service.distribution_counts(&id).await?;
    Ok(axum::Json(DistributionReport::new(id, counts)))
}

/// Personal codes a page of `distributions.csv` reads at a time.
const CSV_PAGE: u32 = 5_000;

/// A campaign's personal codes as CSV
///
/// Every personal code of the campaign, in code order, streamed as CSV (`customer, code,
/// uses, uses_per_code, expires_at`): what an e-mail or SMS tool without webhooks imports.
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}/distributions.csv",
    tag = "coupons",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "Every personal code", content_type = "text/csv", body = String),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    use futures_util::StreamExt;
    state.service.campaign_exists(&id).await?;
    let service = state.service.clone();
    let header = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(axum::body::Bytes::from_static(
            b"customer,code,uses,uses_per_code,expires_at\r\n",
        ))
    });
    let rows = futures_util::stream::unfold(Some(None::<String>), move |cursor| {
        let (service, id) = (service.clone(), id.clone());
        async move {
            let after = cursor?;
            let page = match service
                .personal_codes_page(&id, after.as_deref(), CSV_PAGE)
                .await
            {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(%error, "personal codes CSV cut short");
                    return Some((Err(std::io::Error::other(error.to_string())), None));
                }
            };
            if page.is_empty() {
                return None;
            }
            let mut text = String::new();
            for code in &page {
                write_row(
                    &mut text,
                    &[
                        code.customer_id.clone().unwrap_or_default(),
                        code.code.clone(),
                        code.uses.to_string(),
                        code.uses_per_code.to_string(),
                        code.expires_at
                            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                            .unwrap_or_default(),
                    ],
                );
            }
            let next = (page.len() == CSV_PAGE as usize)
                .then(|| page.last().map(|code| Some(code.code.clone())))
                .flatten();
            Some((Ok(axum::body::Bytes::from(text)), next))
        }
    });
    let mut response = axum::body::Body::from_stream(header.chain(rows)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        axum::http::header::CONTENT_DISPOSITION,
        axum::http::HeaderValue::from_static("attachment; filename=\"personal-codes.csv\""),
    );
    Ok(response)
}
