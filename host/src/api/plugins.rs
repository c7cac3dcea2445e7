//! `GET /v1/plugins` and `GET /v1/plugins/{name}`: the catalogue, with every version's
//! description and parameter schema; `PUT /v1/plugins/{name}` (upload a version),
//! `POST /v1/plugins/{name}/rollback`, `DELETE /v1/plugins/{name}/versions/{version}` and
//! `PUT /v1/plugins/{name}/limits` (the plugin's own fuel, memory, deadline and upload
//! size) for ops.

use super::extract::{known_params, Path, QueryPairs};
use super::json::Json;
use super::problem::{ApiError, Problem, ProblemKind};
use super::schemas;
use super::AppState;
use crate::model::plugin_limits::PluginLimits;
use crate::service::{PluginView, Uploaded};
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;

/// List the plugins
///
/// Every plugin of the catalogue, by name, with its versions, description and parameter
/// JSON Schema.
#[utoipa::path(
    get,
    path = "/v1/plugins",
    tag = "plugins",
    responses((status = 200, description = "The catalogue, by name", body = Vec<schemas::Plugin>)),
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
        (status = 200, description = "The plugin", body = schemas::Plugin),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<axum::Json<PluginView>, ApiError> {
    view(&state, &name).map(axum::Json)
}

/// Upload a plugin version
///
/// The body is the component (`.wasm`), at most 4 MiB unless configured otherwise (for
/// the server, `--max-plugin-bytes`, or for this plugin, its `upload_bytes` limit). It
/// must implement `remise:scenario`, be named as the path, and carry a semver version
/// not loaded yet; every campaign that follows the plugin (no pin) must still be accepted
/// by it. It is compiled off the request threads, stored, and swapped in at once: 201. The
/// bytes of a version already loaded make it current again without compiling: 200. A
/// refused upload changes nothing: 422 with the reason. With `?shadow=<percent>`, the
/// version does not become current: it shadows the current one on that share of live
/// evaluations (`GET /v1/plugins/{name}/shadow`, docs/shadow.md).
#[utoipa::path(
    put,
    path = "/v1/plugins/{name}",
    tag = "plugins",
    params(
        ("name" = String, Path, description = "The plugin's name, as its metadata says"),
        ("shadow" = Option<u8>, Query, description = "Upload it as a shadow of the current version, run on this percent (1 to 100) of live evaluations, instead of making it current"),
    ),
    request_body(content = Vec<u8>, content_type = "application/wasm"),
    responses(
        (status = 201, description = "A new version, now current", body = schemas::Plugin),
        (status = 200, description = "A version already loaded, current again", body = schemas::Plugin),
        (status = 413, description = "The component is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid plugin, another name, a version already loaded, or a following campaign refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn upload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryPairs(pairs): QueryPairs,
    body: Body,
) -> Result<(StatusCode, axum::Json<PluginView>), ApiError> {
    let mut problems = Vec::new();
    let mut shadow = None;
    for param in known_params(&pairs, &["shadow"], &mut problems) {
        match param.integer_in(1..=100) {
            Ok(percent) => shadow = u8::try_from(percent).ok(),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let limit = state.service.max_upload_bytes(&name);
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            ProblemKind::PayloadTooLarge,
            format!("a plugin may be at most {limit} bytes"),
        )
    })?;
    let uploaded = match shadow {
        Some(percent) => {
            state
                .service
                .upload_shadow(&name, bytes.to_vec(), percent)
                .await?
        }
        None => state.service.upload_plugin(&name, bytes.to_vec()).await?,
    };
    let view = view(&state, &name)?;
    let status = match uploaded {
        Uploaded::New => StatusCode::CREATED,
        Uploaded::Known => StatusCode::OK,
    };
    Ok((status, axum::Json(view)))
}

/// Roll a plugin back
///
/// Campaigns without a pin run on the version before the current one again.
#[utoipa::path(
    post,
    path = "/v1/plugins/{name}/rollback",
    tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    responses(
        (status = 200, description = "The plugin, its previous version current", body = schemas::Plugin),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No version before the current one", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A following campaign's params are refused by the previous version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn rollback(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<axum::Json<PluginView>, ApiError> {
    state.service.rollback_plugin(&name).await?;
    view(&state, &name).map(axum::Json)
}

/// Delete an uploaded plugin version
///
/// Only an uploaded version that is not current and that no campaign pins.
#[utoipa::path(
    delete,
    path = "/v1/plugins/{name}/versions/{version}",
    tag = "plugins",
    params(
        ("name" = String, Path, description = "The plugin's name"),
        ("version" = String, Path, description = "The version, such as 2.0.0"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Pinned by a campaign, current, or shipped with the service", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn delete_version(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_plugin_version(&name, &version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a plugin's own limits
///
/// The limits every version of the plugin runs under, on every host: `fuel` (for a basket
/// of up to 200 lines, from 1,000 to 1,000,000,000), `memory_bytes` (1 MiB to 256 MiB),
/// `deadline_ms` (1 to 100) and `upload_bytes` (1 KiB to the server's
/// `--max-plugin-bytes`). A field left out is the server's default; `{}` sets every one
/// back to it. Runs in flight finish under the limits they started with.
#[utoipa::path(
    put,
    path = "/v1/plugins/{name}/limits",
    tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    request_body(content = schemas::PluginLimitsBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The plugin, under its new limits", body = schemas::Plugin),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A limit out of its bounds, or an unknown field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn set_limits(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(limits): Json<PluginLimits>,
) -> Result<axum::Json<PluginView>, ApiError> {
    state.service.set_plugin_limits(&name, limits).await?;
    view(&state, &name).map(axum::Json)
}

/// Plugin `name` as the catalogue shows it now, or a 404.
fn view(state: &AppState, name: &str) -> Result<PluginView, ApiError> {
    state
        .service
        .plugin(name)
        .ok_or_else(|| ApiError::not_found(format!("plugin {name} not found")))
}
