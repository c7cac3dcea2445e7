//! `GET /metrics` (role `ops`): the Prometheus text exposition of [`crate::metrics`].

use crate::metrics as recorded;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

/// The content type of the Prometheus text format.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Metrics
///
/// Every metric in the Prometheus text format: HTTP requests and latency by route
/// template, method and status; evaluations; plugin runs, fuel and failures (by docs/api.md
/// reason); committed redemptions; plugin reloads.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "ops",
    responses((
        status = 200,
        description = "The metrics, in the Prometheus text exposition format 0.0.4",
        body = String,
        content_type = "text/plain"
    )),
    security(("bearer" = []))
)]
pub(crate) async fn metrics() -> Response {
    ([(CONTENT_TYPE, TEXT_FORMAT)], recorded::render()).into_response()
}
