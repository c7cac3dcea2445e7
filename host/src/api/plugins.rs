//! `GET /v1/plugins` and `GET /v1/plugins/{name}`: the catalogue, with every version's
//! description and parameter schema.

use super::extract::Path;
use super::openapi::PluginSchema;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::service::PluginView;
use axum::extract::State;

/// List the plugins
///
/// Every plugin of the catalogue, by name, with its versions, description and parameter
/// JSON Schema.
#[utoipa::path(
    get,
    path = "/v1/plugins",
    tag = "plugins",
    responses((status = 200, description = "The catalogue, by name", body = Vec<PluginSchema>)),
    security(("bearer" = []))
)]
pub(crate) async fn list(State(state): State<AppState>) -> axum::Json<Vec<PluginView>> {
    axum::Json(state.service.plugins())
}

/// Get a plugin
#[utoipa::path(
    get,
    path = "/v1/plugins/{name}",
    tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name, such as threshold-discount")),
    responses(
        (status = 200, description = "The plugin", body = PluginSchema),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<axum::Json<PluginView>, ApiError> {
    state
        .service
        .plugin(&name)
        .map(axum::Json)
        .ok_or_else(|| ApiError::not_found(format!("plugin {name} not found")))
}
