//! `GET /healthz` (the process answers) and `GET /readyz` (it can serve: the database
//! answers). Neither needs a key.

use super::problem::{ApiError, Problem, ProblemKind};
use super::AppState;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of a health answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (alive) or `ready`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness
///
/// 200 while the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "The process is alive", body = Health))
)]
pub(crate) async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// Readiness
///
/// 200 when the service can serve (the database answers), 503 otherwise.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "Not ready", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    if state.service.ready().await {
        Ok(axum::Json(Health { status: "ready" }))
    } else {
        Err(ApiError::new(
            ProblemKind::Unavailable,
            "not ready: the database does not answer",
        ))
    }
}
