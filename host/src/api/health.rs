//! `GET /healthz` (the process answers) and `GET /readyz` (it can serve: `ready` when the
//! database answers, `degraded` when it does not and evaluations are answered from the
//! cached campaigns). Neither needs a key.

use super::AppState;
use crate::service::Readiness;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of a health answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (alive), `ready`, or `degraded` (the database does not answer: evaluations
    /// are served from the cached campaigns, commits fail with 503).
    #[schema(example = "ok")]
    pub status: &'static str,
    /// Why the host is degraded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
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
    axum::Json(Health {
        status: "ok",
        detail: None,
    })
}

/// Readiness
///
/// 200 `ready` when the database answers; 200 `degraded`, with why, when it does not: the
/// host still answers evaluations from its cached campaigns (a load balancer should keep
/// sending them), while commits and campaign changes fail with 503 until it is back.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "`ready`, or `degraded` with a `detail`", body = Health),
    )
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> axum::Json<Health> {
    axum::Json(match state.service.readiness().await {
        Readiness::Ready => Health {
            status: "ready",
            detail: None,
        },
        Readiness::Degraded { detail } => Health {
            status: "degraded",
            detail: Some(detail),
        },
    })
}
