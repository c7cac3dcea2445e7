//! `/v1/stores/{store}/…`: the routes store nodes call at the centre (docs/store-nodes.md),
//! with a key of the `store` role: the feed of what they copy, plugin components by
//! SHA-256, customer profiles a page at a time, and the orders they committed, handed
//! back. Node to node, not for integrators: their bodies are described in
//! docs/store-nodes.md, and the document gives them as open objects.

use super::extract::{known_params, Path, QueryPairs};
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::auth::{KeyInfo, Role};
use crate::model::FieldProblem;
use crate::service::{StoreLeaseAsk, MAX_CUSTOMERS_PAGE};
use crate::store::QueuedEntry;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A store id: 1 to 64 of `a-z`, `A-Z`, `0-9`, `_` and `-`.
pub fn check_store_id(id: &str) -> Result<(), String> {
    let valid = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "store id {id:?}: 1 to 64 of letters, digits, _ and -"
        ))
    }
}

/// Checks the path's store id, and that the calling key may act for that store: a `store`
/// key acts only for the store its label names (so a key taken from one store cannot hand
/// the centre orders as another); `admin` for any.
fn store_path(id: &str, key: Option<Extension<KeyInfo>>) -> Result<(), ApiError> {
    check_store_id(id).map_err(ApiError::bad_request)?;
    let key = super::redemptions::caller(key)?;
    if key.role == Role::Store && key.label.as_deref() != Some(id) {
        return Err(ApiError::forbidden(format!(
            "this store key is for the store its label names ({}), not {id}: create each \
             store's key with the store's id as its label",
            key.label.as_deref().unwrap_or("none")
        )));
    }
    Ok(())
}

/// What a store node copies
///
/// Campaigns, groups, uploaded plugin versions (without their bytes), current versions,
/// plugin limits and channel keys (by hash), as of the centre's generation. With
/// `generation` equal to the centre's, 204: nothing changed.
#[utoipa::path(
    get,
    path = "/v1/stores/{store}/feed",
    tag = "stores",
    params(
        ("store" = String, Path, description = "The store's id: 1 to 64 of letters, digits, _ and -"),
        ("generation" = Option<i64>, Query, description = "The generation the store node holds"),
    ),
    responses(
        (status = 200, description = "What to copy (docs/store-nodes.md)", body = Object),
        (status = 204, description = "Nothing changed since `generation`"),
        (status = 400, description = "Not a store id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid (its pointer is its name)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn feed(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Path(store): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    store_path(&store, key)?;
    let mut problems = Vec::new();
    let mut generation = None;
    for param in known_params(&pairs, &["generation"], &mut problems) {
        match param.integer_in(0..=i64::MAX) {
            Ok(value) => generation = Some(value),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid_query(problems));
    }
    Ok(match state.service.store_feed(generation).await? {
        Some(feed) => axum::Json(feed).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// A plugin component, by its SHA-256
#[utoipa::path(
    get,
    path = "/v1/stores/{store}/components/{sha256}",
    tag = "stores",
    params(
        ("store" = String, Path, description = "The store's id"),
        ("sha256" = String, Path, description = "The hex SHA-256 of an uploaded version's component"),
    ),
    responses(
        (status = 200, description = "The component's bytes", body = String, content_type = "application/wasm"),
        (status = 400, description = "Not a store id, or not a hex SHA-256", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No uploaded version has this SHA-256", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn component(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Path((store, sha256)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    store_path(&store, key)?;
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad_request("sha256 must be 64 hex digits"));
    }
    let bytes = state
        .service
        .store_component(&sha256.to_ascii_lowercase())
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/wasm")], bytes).into_response())
}

/// Customer profiles written since a cursor
///
/// Oldest write first, `limit` at a time (1 to 1000, 1000 when absent); pass the answer's
/// `cursor` back as `after_time` and `after_id` for the next page, while `more` is true.
#[utoipa::path(
    get,
    path = "/v1/stores/{store}/customers",
    tag = "stores",
    params(
        ("store" = String, Path, description = "The store's id"),
        ("after_time" = Option<String>, Query, description = "The cursor's write time"),
        ("after_id" = Option<String>, Query, description = "The cursor's customer id"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "The most profiles answered"),
    ),
    responses(
        (status = 200, description = "A page of profiles (docs/store-nodes.md)", body = Object),
        (status = 400, description = "Not a store id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid (its pointer is its name)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn customers(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Path(store): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    store_path(&store, key)?;
    let mut problems = Vec::new();
    let (mut after_time, mut after_id, mut limit) = (None, None, MAX_CUSTOMERS_PAGE);
    for param in known_params(&pairs, &["after_time", "after_id", "limit"], &mut problems) {
        match param.name {
            "after_time" => after_time = Some(param.value),
            "after_id" => after_id = Some(param.value),
            _ => match param.integer_in(1..=i64::from(MAX_CUSTOMERS_PAGE)) {
                Ok(value) => limit = u32::try_from(value).unwrap_or(MAX_CUSTOMERS_PAGE),
                Err(problem) => problems.push(problem),
            },
        }
    }
    let after = match (after_time, after_id) {
        (Some(time), Some(id)) => Some((time, id)),
        (None, None) => None,
        _ => {
            problems.push(FieldProblem::new(
                "/after_time",
                "after_time and after_id come together",
            ));
            None
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::invalid_query(problems));
    }
    let page = state.service.customers_feed(after, limit).await?;
    Ok(axum::Json(page).into_response())
}

/// The body of `POST /v1/stores/{store}/orders`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entries {
    entries: Vec<QueuedEntry>,
}

/// Hand back a store node's orders
///
/// The entries of the store node's queue (orders committed there, and cancels), in
/// increasing `seq` order, at most 500. Each is applied once: an entry at or below the
/// store's last applied `seq` is acknowledged again, never applied twice. An order whose
/// id the centre holds with another basket is refused and listed in `refused`.
#[utoipa::path(
    post,
    path = "/v1/stores/{store}/orders",
    tag = "stores",
    params(("store" = String, Path, description = "The store's id")),
    request_body(content = Object, description = "`{\"entries\": [{\"seq\": 1, \"entry\": {…}}]}` (docs/store-nodes.md)"),
    responses(
        (status = 200, description = "What was applied, and the last seq applied", body = Object),
        (status = 400, description = "Not a store id, or not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Entries out of order, too many, or not entries", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable: send them again", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn orders(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Path(store): Path<String>,
    Json(body): Json<Entries>,
) -> Result<Response, ApiError> {
    store_path(&store, key)?;
    let taken = state.service.take_back(&store, &body.entries).await?;
    Ok(axum::Json(taken).into_response())
}

/// Lease a slice of a campaign's cap and budget to a store node
///
/// `{"campaign_id": "…", "redemptions": 1, "minor": 1}`: at least that much (or what is
/// left), an eighth of what is free when that is more. The store node commits against it
/// offline; it lives `--store-lease-ttl-secs` unless renewed.
#[utoipa::path(
    post,
    path = "/v1/stores/{store}/leases",
    tag = "stores",
    params(("store" = String, Path, description = "The store's id")),
    request_body(content = Object, description = "The campaign and what is needed at least (docs/store-nodes.md)"),
    responses(
        (status = 200, description = "What the lease added, and its end", body = Object),
        (status = 400, description = "Not a store id, or not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The campaign cannot be leased (a per-customer limit, coupons, or no cap nor budget)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a lease request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn lease(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Path(store): Path<String>,
    Json(ask): Json<StoreLeaseAsk>,
) -> Result<Response, ApiError> {
    store_path(&store, key)?;
    let lease = state.service.lease_for_store(&store, &ask).await?;
    Ok(axum::Json(lease).into_response())
}

/// The body of `POST /v1/stores/{store}/leases/renew`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LeaseIds {
    ids: Vec<String>,
}

/// Renew a store node's leases
///
/// `{"ids": ["…"]}`: each lease not yet expired lives `--store-lease-ttl-secs` more; the
/// answer lists those renewed (one missing expired, and is the store's no more).
#[utoipa::path(
    post,
    path = "/v1/stores/{store}/leases/renew",
    tag = "stores",
    params(("store" = String, Path, description = "The store's id")),
    request_body(content = Object, description = "`{\"ids\": [\"…\"]}`"),
    responses(
        (status = 200, description = "The leases renewed, and their new end", body = Object),
        (status = 400, description = "Not a store id, or not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a list of lease ids", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn renew(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Path(store): Path<String>,
    Json(body): Json<LeaseIds>,
) -> Result<Response, ApiError> {
    store_path(&store, key)?;
    let renewed = state.service.renew_store_leases(&store, &body.ids).await?;
    Ok(axum::Json(renewed).into_response())
}

/// A store node as the centre knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoreView {
    /// The store's id.
    #[schema(example = "lyon-part-dieu")]
    pub store_id: String,
    /// The orders and cancels it handed back, each applied once.
    pub entries: i64,
    /// The last of its queue's sequence numbers applied.
    pub last_seq: i64,
    /// When it last handed entries back: a store long unseen is offline, or stuck.
    pub seen_at: DateTime<Utc>,
    /// The budget leases it holds.
    pub leases: i64,
}

/// List the store nodes
///
/// Every store node that handed orders back to the centre, by id, with when it last did.
#[utoipa::path(
    get,
    path = "/v1/stores",
    tag = "stores",
    responses((status = 200, description = "The store nodes", body = Vec<StoreView>)),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<StoreView>>, ApiError> {
    let stores = state.service.known_stores().await?;
    Ok(axum::Json(
        stores
            .into_iter()
            .map(|known| StoreView {
                store_id: known.store_id,
                entries: known.entries,
                last_seq: known.last_seq,
                seen_at: known.seen_at,
                leases: known.leases,
            })
            .collect(),
    ))
}
