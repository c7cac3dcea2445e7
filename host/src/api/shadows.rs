//! `/v1/plugins/{name}/shadow`: a plugin version that shadows the current one on a sample
//! of live evaluations, off the request path (ops start, end and promote it; marketing and
//! ops read its report). docs/shadow.md.

use super::extract::Path;
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::model::FieldProblem;
use crate::service::{ShadowReport, DEFAULT_SHADOW_SAMPLE_PERCENT};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType};
use utoipa::ToSchema;

/// How compared evaluations diverged, by kind (one evaluation may count in several).
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the answer is the service's own type.
pub struct ShadowDivergences {
    /// A campaign's effects differ, or it applies on one version only.
    pub effects: i64,
    /// A campaign's amounts differ.
    pub amounts: i64,
    /// One version failed (plugin error, fuel, memory, time, invalid effects).
    pub errors: i64,
}

/// One version's cost over the compared evaluations.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the answer is the service's own type.
pub struct ShadowCost {
    /// Fuel used, summed.
    pub fuel: i64,
    /// Mean fuel per compared evaluation.
    pub fuel_mean: i64,
    /// Mean wall time per compared evaluation, in microseconds.
    pub time_mean_us: i64,
}

/// A divergent evaluation.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the answer is the service's own type.
pub struct ShadowExample {
    /// The evaluation's id.
    pub evaluation_id: String,
    /// When it was compared.
    pub recorded_at: DateTime<Utc>,
    /// Each campaign that differs: `campaign`, `kinds`, and its `live` and `shadow`
    /// outcome (`applied` with `discount` and `effects`, `rejected` with `reason` and
    /// `detail`, or `not_run`).
    #[schema(schema_with = divergences)]
    pub campaigns: serde_json::Value,
}

fn divergences() -> Schema {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .description(Some("One campaign's outcome on both versions.")),
        )
        .into()
}

/// What a shadow found so far, over every host.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the answer is the service's own type.
pub struct ShadowReportView {
    /// The plugin.
    pub plugin: String,
    /// The shadowing version.
    pub version: String,
    /// The version answering live now.
    pub live_version: String,
    /// The share of live evaluations that also run the shadow, in percent.
    #[schema(minimum = 1, maximum = 100)]
    pub sample_percent: u8,
    /// When the shadow started: the report counts from then.
    pub started_at: DateTime<Utc>,
    /// Evaluations run on both versions.
    pub compared: i64,
    /// Those whose answer would differ.
    pub divergent: i64,
    /// How.
    pub divergences: ShadowDivergences,
    /// The live version's cost.
    pub live: ShadowCost,
    /// The shadow's cost.
    pub shadow: ShadowCost,
    /// Divergent evaluations (the first 20).
    pub examples: Vec<ShadowExample>,
}

/// Which version shadows, and how often.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShadowBody {
    /// A loaded version of the plugin, not the current one.
    #[schema(example = "2.0.0")]
    pub version: String,
    /// The share of live evaluations that also run it, in percent (default 10).
    #[schema(minimum = 1, maximum = 100, example = 100)]
    pub sample_percent: Option<u8>,
}

/// The sample rate `given`, checked (at `pointer`): 1 to 100, or the default.
pub fn sample_percent(given: Option<u8>, pointer: &str) -> Result<u8, ApiError> {
    match given {
        None => Ok(DEFAULT_SHADOW_SAMPLE_PERCENT),
        Some(percent @ 1..=100) => Ok(percent),
        Some(other) => Err(ApiError::validation(vec![FieldProblem::new(
            pointer,
            format!("{other} is not a share of evaluations: give 1 to 100 (percent)"),
        )])),
    }
}

/// Start a shadow
///
/// `version` (loaded, not current) shadows the plugin's current version from now on: a
/// `sample_percent` of the live evaluations that run a campaign following the plugin (no
/// pin) also run it, off the request path, and what would differ is reported. Every
/// following campaign's params must be accepted by it. Replaces the plugin's shadow, if
/// any, and starts a new report. To upload a version straight into shadow, send
/// `PUT /v1/plugins/{name}?shadow=<percent>`.
#[utoipa::path(
    put,
    path = "/v1/plugins/{name}/shadow",
    tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    request_body = ShadowBody,
    responses(
        (status = 200, description = "The shadow runs; its report, empty", body = ShadowReportView),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The version is not loaded, is current, or refuses a following campaign's params", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<ShadowBody>,
) -> Result<axum::Json<ShadowReport>, ApiError> {
    let percent = sample_percent(body.sample_percent, "/sample_percent")?;
    let report = state
        .service
        .start_shadow(&name, &body.version, percent)
        .await?;
    Ok(axum::Json(report))
}

/// A shadow's report
///
/// What the shadow found so far, summed over every host: evaluations compared, those
/// whose answer would differ and how, both versions' fuel and wall time, and examples.
/// Results reach it within a second or so of the evaluations.
#[utoipa::path(
    get,
    path = "/v1/plugins/{name}/shadow",
    tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    responses(
        (status = 200, description = "The report", body = ShadowReportView),
        (status = 404, description = "The plugin has no shadow", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn report(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<axum::Json<ShadowReport>, ApiError> {
    Ok(axum::Json(state.service.shadow_report(&name).await?))
}

/// End a shadow
///
/// The shadow stops running; the live version was never affected.
#[utoipa::path(
    delete,
    path = "/v1/plugins/{name}/shadow",
    tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "The plugin has no shadow", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn end(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.service.end_shadow(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Promote a shadow
///
/// The shadow becomes the version campaigns without a pin follow (checked against them,
/// as an upload is), and stops shadowing. Answers its final report.
#[utoipa::path(
    post,
    path = "/v1/plugins/{name}/shadow/promote",
    tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    responses(
        (status = 200, description = "Promoted; the shadow's final report", body = ShadowReportView),
        (status = 404, description = "The plugin has no shadow", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A following campaign's params are refused by the shadow", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn promote(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<axum::Json<ShadowReport>, ApiError> {
    Ok(axum::Json(state.service.promote_shadow(&name).await?))
}
