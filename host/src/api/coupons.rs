//! `POST /v1/campaigns/{id}/coupons` (generate random codes in bulk, or create chosen
//! ones) and `GET /v1/campaigns/{id}/coupons` (list them with their uses, page by page).

use super::extract::{known_params, Path, QueryPairs};
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::model::coupon::{
    self, check_code, check_prefix, normalize, CodeSource, Coupon, CouponQuery, CreatedCoupons,
    NewCoupons, MAX_CHOSEN, MAX_COUNT, MAX_LIMIT, MAX_USES_PER_CODE,
};
use crate::model::FieldProblem;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    let new = request.validate(Utc::now()).map_err(ApiError::validation)?;
    let created = state.service.create_coupons(&id, new).await?;
    Ok((StatusCode::CREATED, axum::Json(created.into())))
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
    let query = QueryParser::parse(&pairs).map_err(ApiError::invalid_query)?;
    Ok(axum::Json(state.service.coupons(&id, query).await?.into()))
}

/// The body of `POST /v1/campaigns/{id}/coupons`: either `count` random codes (with an
/// optional `prefix`) or the `codes` chosen by marketing, each allowing `uses_per_code`
/// uses until `expires_at`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponsRequest {
    /// How many random codes to generate, 1 to 100,000. Exactly one of `count` and `codes`.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000, example = 1000)]
    pub count: Option<u64>,
    /// What generated codes start with: up to 24 of A-Z, 0-9, - and _ (stored upper-case).
    #[serde(default)]
    #[schema(example = "SPRING-")]
    pub prefix: Option<String>,
    /// The codes to create, 1 to 10,000, each 1 to 64 of A-Z, 0-9, - and _ (stored
    /// upper-case). Exactly one of `count` and `codes`.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 10000, example = json!(["WELCOME10"]))]
    pub codes: Option<Vec<String>>,
    /// How many redemptions each code allows, 1 to 1,000,000; 1 when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000000, example = 1)]
    pub uses_per_code: Option<u64>,
    /// When the codes stop working (RFC 3339, in the future); never when absent.
    #[serde(default)]
    #[schema(format = DateTime, example = "2026-06-30T23:59:59+02:00")]
    pub expires_at: Option<String>,
}

impl CouponsRequest {
    /// Checks every field (`now`: what `expires_at` must be later than); every problem is
    /// reported, each at its JSON pointer.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<NewCoupons, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let source = match (&self.count, &self.codes) {
            (Some(_), Some(_)) => {
                problems.push(FieldProblem::new(
                    "/codes",
                    "give either count (random codes) or codes (chosen codes), not both",
                ));
                None
            }
            (None, None) => {
                problems.push(FieldProblem::new(
                    "/count",
                    "give count (how many random codes) or codes (the codes to create)",
                ));
                None
            }
            (Some(count), None) => {
                let count_ok = (1..=MAX_COUNT).contains(count);
                if !count_ok {
                    problems.push(FieldProblem::new(
                        "/count",
                        format!("must be from 1 to {MAX_COUNT}"),
                    ));
                }
                let prefix = self.prefix.as_deref().unwrap_or_default();
                let prefix_ok = check_prefix(prefix)
                    .map_err(|why| problems.push(FieldProblem::new("/prefix", why)))
                    .is_ok();
                match usize::try_from(*count) {
                    Ok(count) if count_ok && prefix_ok => Some(CodeSource::Generate {
                        count,
                        prefix: normalize(prefix),
                    }),
                    _ => None,
                }
            }
            (None, Some(codes)) => {
                if self.prefix.is_some() {
                    problems.push(FieldProblem::new(
                        "/prefix",
                        "a prefix is for generated codes (count); chosen codes are taken as given",
                    ));
                }
                if codes.is_empty() || codes.len() > MAX_CHOSEN {
                    problems.push(FieldProblem::new(
                        "/codes",
                        format!("must hold 1 to {MAX_CHOSEN} codes"),
                    ));
                }
                let before = problems.len();
                for (i, code) in codes.iter().enumerate() {
                    if let Err(why) = check_code(code) {
                        problems.push(FieldProblem::new(format!("/codes/{i}"), why));
                    }
                }
                (problems.len() == before)
                    .then(|| CodeSource::Chosen(codes.iter().map(|c| normalize(c)).collect()))
            }
        };
        let uses_per_code = match self.uses_per_code {
            None => Some(1),
            Some(uses) if (1..=MAX_USES_PER_CODE).contains(&uses) => u32::try_from(uses).ok(),
            Some(_) => None,
        };
        if uses_per_code.is_none() {
            problems.push(FieldProblem::new(
                "/uses_per_code",
                format!("must be from 1 to {MAX_USES_PER_CODE}"),
            ));
        }
        let mut expires_at = None;
        if let Some(text) = &self.expires_at {
            match DateTime::parse_from_rfc3339(text.trim()) {
                Ok(time) => {
                    let time = time.with_timezone(&Utc).trunc_subsecs(6);
                    if time <= now {
                        problems.push(FieldProblem::new(
                            "/expires_at",
                            "is in the past: codes would never work",
                        ));
                    }
                    expires_at = Some(time);
                }
                Err(_) => problems.push(FieldProblem::new(
                    "/expires_at",
                    "must be an RFC 3339 date-time such as 2026-06-30T23:59:59+02:00",
                )),
            }
        }
        match (source, uses_per_code) {
            (Some(source), Some(uses_per_code)) if problems.is_empty() => Ok(NewCoupons {
                source,
                uses_per_code,
                expires_at,
            }),
            _ => Err(problems),
        }
    }
}

/// The answer to `POST /v1/campaigns/{id}/coupons` (201).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CouponsCreated {
    /// The campaign's id.
    #[schema(example = "spring-sale")]
    pub campaign: String,
    /// How many codes were created (`count`, or the number of `codes`).
    #[schema(example = 2)]
    pub created: usize,
    /// How many redemptions each code allows.
    #[schema(example = 1)]
    pub uses_per_code: u32,
    /// When they stop working; absent: never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Every code created, upper-case.
    #[schema(example = json!(["SPRING-7K3M9Q2XJ4HD", "SPRING-0R8TZW5N6BVE"]))]
    pub codes: Vec<String>,
}

pub(crate) struct QueryParser;

impl QueryParser {
    /// Reads `search`, `after` and `limit` from the query string's pairs. A parameter that
    /// is unknown, repeated or malformed is a problem at the pointer of its name (`/limit`);
    /// an empty `search` or `after` is as good as none.
    pub fn parse(pairs: &[(String, String)]) -> Result<CouponQuery, Vec<FieldProblem>> {
        let mut query = CouponQuery::default();
        let mut problems = Vec::new();
        for param in known_params(pairs, &["search", "after", "limit"], &mut problems) {
            if param.name == "limit" {
                match param.integer_in(1..=i64::from(MAX_LIMIT)) {
                    // In range, so it fits.
                    Ok(limit) => query.limit = limit as u32,
                    Err(problem) => problems.push(problem),
                }
                continue;
            }
            let code = normalize(param.value);
            if code.is_empty() {
                continue;
            }
            match check_code(&code) {
                Ok(()) if param.name == "search" => query.search = Some(code),
                Ok(()) => query.after = Some(code),
                Err(why) => problems.push(FieldProblem::new(param.pointer, why)),
            }
        }
        if problems.is_empty() {
            Ok(query)
        } else {
            Err(problems)
        }
    }
}

/// One code in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CouponView {
    /// The code, upper-case.
    #[schema(example = "SPRING-7K3M9Q2XJ4HD")]
    pub code: String,
    /// How many redemptions used it (cancelled orders give their use back).
    pub uses: u32,
    /// How many redemptions it allows.
    pub uses_per_code: u32,
    /// When it stops working; absent: never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The customer a personal code belongs to; absent: anyone's.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "c-1042")]
    pub customer: Option<String>,
}

impl From<Coupon> for CouponView {
    fn from(coupon: Coupon) -> Self {
        Self {
            code: coupon.code,
            uses: coupon.uses,
            uses_per_code: coupon.uses_per_code,
            expires_at: coupon.expires_at,
            created_at: coupon.created_at,
            customer: coupon.customer_id,
        }
    }
}

impl From<CreatedCoupons> for CouponsCreated {
    fn from(created: CreatedCoupons) -> Self {
        Self {
            campaign: created.campaign,
            created: created.codes.len(),
            uses_per_code: created.uses_per_code,
            expires_at: created.expires_at,
            codes: created.codes,
        }
    }
}

impl From<coupon::CouponPage> for CouponPage {
    fn from(page: coupon::CouponPage) -> Self {
        Self {
            campaign: page.campaign,
            total: page.total,
            coupons: page.coupons.into_iter().map(CouponView::from).collect(),
            next: page.next,
        }
    }
}

/// The answer to `GET /v1/campaigns/{id}/coupons`: one page of codes, in code order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CouponPage {
    /// The campaign's id.
    #[schema(example = "spring-sale")]
    pub campaign: String,
    /// How many codes the campaign has in all (whatever `search`).
    pub total: i64,
    /// This page's codes.
    pub coupons: Vec<CouponView>,
    /// The `after` of the next page; `null` on the last page.
    #[schema(required = true)]
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .expect("a time")
    }

    fn request(json: serde_json::Value) -> Result<NewCoupons, Vec<String>> {
        let request: CouponsRequest = serde_json::from_value(json).expect("parses");
        request
            .validate(now())
            .map_err(|problems| problems.into_iter().map(|p| p.pointer).collect())
    }

    #[test]
    fn a_request_is_count_or_codes() {
        use serde_json::json;
        assert_eq!(
            request(json!({ "count": 5, "prefix": "spr-" })),
            Ok(NewCoupons {
                source: CodeSource::Generate {
                    count: 5,
                    prefix: "SPR-".into()
                },
                uses_per_code: 1,
                expires_at: None
            })
        );
        let chosen = request(json!({ "codes": [" welcome10", "VIP"], "uses_per_code": 3,
                                     "expires_at": "2026-06-30T23:59:59+02:00" }))
        .expect("valid");
        assert_eq!(
            chosen.source,
            CodeSource::Chosen(vec!["WELCOME10".into(), "VIP".into()])
        );
        assert_eq!(chosen.uses_per_code, 3);
        assert_eq!(
            chosen.expires_at,
            Utc.with_ymd_and_hms(2026, 6, 30, 21, 59, 59).single()
        );

        assert_eq!(request(json!({})), Err(vec!["/count".into()]));
        assert_eq!(
            request(json!({ "count": 1, "codes": ["A"] })),
            Err(vec!["/codes".into()])
        );
        assert_eq!(request(json!({ "count": 0 })), Err(vec!["/count".into()]));
        assert_eq!(
            request(json!({ "count": 100_001 })),
            Err(vec!["/count".into()])
        );
        assert!(request(json!({ "count": 100_000 })).is_ok());
        assert_eq!(
            request(json!({ "count": 1, "prefix": "no spaces" })),
            Err(vec!["/prefix".into()])
        );
        assert_eq!(
            request(json!({ "codes": ["A"], "prefix": "P" })),
            Err(vec!["/prefix".into()])
        );
        assert_eq!(request(json!({ "codes": [] })), Err(vec!["/codes".into()]));
        assert_eq!(
            request(json!({ "codes": ["OK", "not ok", ""] })),
            Err(vec!["/codes/1".into(), "/codes/2".into()])
        );
        assert_eq!(
            request(json!({ "count": 1, "uses_per_code": 0, "expires_at": "tomorrow" })),
            Err(vec!["/uses_per_code".into(), "/expires_at".into()])
        );
        assert_eq!(
            request(json!({ "count": 1, "uses_per_code": 1_000_001 })),
            Err(vec!["/uses_per_code".into()])
        );
        assert_eq!(
            request(json!({ "count": 1, "expires_at": "2026-03-01T12:00:00Z" })),
            Err(vec!["/expires_at".into()])
        );
        let codes: Vec<String> = (0..=MAX_CHOSEN).map(|i| format!("C{i}")).collect();
        assert_eq!(
            request(json!({ "codes": codes })),
            Err(vec!["/codes".into()])
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<CouponsRequest>(r#"{"count": 1, "colour": 1}"#).is_err());
    }

    #[test]
    fn the_listing_query_is_read_with_pointers() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let pointers = |list: &[(&str, &str)]| -> Vec<String> {
            QueryParser::parse(&pairs(list))
                .expect_err("refused")
                .into_iter()
                .map(|p| p.pointer)
                .collect()
        };
        assert_eq!(QueryParser::parse(&[]), Ok(CouponQuery::default()));
        assert_eq!(
            QueryParser::parse(&pairs(&[
                ("search", "spr"),
                ("after", "spr-x"),
                ("limit", "1000")
            ])),
            Ok(CouponQuery {
                search: Some("SPR".into()),
                after: Some("SPR-X".into()),
                limit: 1000
            })
        );
        assert_eq!(
            QueryParser::parse(&pairs(&[("search", ""), ("after", " ")])),
            Ok(CouponQuery::default())
        );
        assert_eq!(pointers(&[("limit", "0")]), ["/limit"]);
        assert_eq!(pointers(&[("limit", "1001")]), ["/limit"]);
        assert_eq!(pointers(&[("limit", "ten")]), ["/limit"]);
        assert_eq!(pointers(&[("limit", "1"), ("limit", "2")]), ["/limit"]);
        assert_eq!(pointers(&[("search", "a b")]), ["/search"]);
        assert_eq!(pointers(&[("after", "é")]), ["/after"]);
        assert_eq!(pointers(&[("a/b", "1")]), ["/a~1b"]);
    }
}
