//! `/v1/customers`: customer profiles (docs/customers.md), written whole or by merge patch,
//! listed page by page, erased; and the query parameters every customer route reads. Their
//! files (imports, exports) are [`super::customer_files`]; what a customer can get, has and
//! bought (wallet, points, orders), [`super::customer_account`].

use super::extract::{known_params, Path, QueryPairs};
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::model::basket::{AT_YEARS, MAX_TEXT};
use crate::model::customer::CustomerProfile as Profile;
use crate::model::FieldProblem;
use crate::money::currency;
use crate::service::{CustomerPage, ImportFormat};
use crate::store::{self, Erased};
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The most profiles a page lists.
const MAX_LIMIT: u32 = 1_000;
/// Profiles per page when `limit` is absent.
const DEFAULT_LIMIT: u32 = 100;

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
pub(super) struct CustomerQuery {
    pub(super) prefix: Option<String>,
    pub(super) after: Option<String>,
    pub(super) limit: u32,
    pub(super) format: ImportFormat,
    pub(super) channel: Option<String>,
    pub(super) store: Option<String>,
    pub(super) currency: Option<String>,
    pub(super) at: Option<DateTime<Utc>>,
}

/// Reads the `known` parameters from the query string's pairs; one unknown, repeated or
/// malformed is a problem at the pointer of its name (`/limit`).
pub(super) fn parse_query(
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
    for param in known_params(pairs, known, &mut problems) {
        let (name, value, pointer) = (param.name, param.value, param.pointer.clone());
        match name {
            "prefix" if !value.is_empty() => query.prefix = Some(value.to_string()),
            "after" if !value.is_empty() => query.after = Some(value.to_string()),
            "prefix" | "after" => {}
            "limit" => match param.integer_in(1..=i64::from(MAX_LIMIT)) {
                // In range, so it fits.
                Ok(limit) => query.limit = limit as u32,
                Err(problem) => problems.push(problem),
            },
            "format" => match value {
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
                    query.channel = Some(value.to_string());
                } else {
                    query.store = Some(value.to_string());
                }
            }
            "currency" => match currency::minor_unit(value) {
                Some(_) => query.currency = Some(value.to_string()),
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
