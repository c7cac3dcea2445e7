//! `/v1/simulations`: what-if simulations (marketing and ops). Draft campaigns, not saved,
//! priced beside today's campaigns over real baskets, as a job with progress that can be
//! cancelled. docs/simulation.md.

use super::extract::Path;
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::schemas;
use super::AppState;
use crate::auth::KeyInfo;
use crate::model::campaign::Campaign;
use crate::model::FieldProblem;
use crate::money::currency;
use crate::service::{BasketSource, SimulationRequest, SimulationView};
use crate::simulate::basket_line;
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use std::str::FromStr;
use utoipa::ToSchema;

/// The largest simulation body: baskets sent inline take room (about 2 KB a 20-line
/// basket). Larger sets go through `remise simulate`, which streams a file.
pub(crate) const MAX_BODY_BYTES: usize = 64 << 20;
/// The most baskets one request may send inline.
pub const MAX_UPLOADED_BASKETS: usize = 100_000;

/// A simulation to run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationBody {
    /// 1 to 20 draft campaigns, each the body of `POST /v1/campaigns`; not saved. Their
    /// status and dates are ignored: each runs as if active over the baskets. One with a
    /// live campaign's id takes its place.
    #[schema(value_type = Vec<schemas::Campaign>)]
    pub drafts: Vec<Campaign>,
    /// Where the baskets come from.
    pub baskets: BasketsBody,
    /// The currency amounts are counted in; baskets in another are left out. The first
    /// basket's when absent.
    #[schema(example = "EUR")]
    pub currency: Option<String>,
    /// The IANA time zone days are counted in (default `UTC`).
    #[schema(example = "Europe/Paris")]
    pub timezone: Option<String>,
}

/// Where a simulation's baskets come from: exactly one of these.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BasketsBody {
    /// The orders committed in a window that stand (not cancelled), in commit order.
    pub orders: Option<WindowBody>,
    /// The journal's entries of a window (sampled evaluations and every commit).
    pub journal: Option<WindowBody>,
    /// Baskets, one JSON object per line: the body of `POST /v1/evaluate` less `explain`.
    /// Each is priced at its `at`, or now; at most 100,000.
    pub ndjson: Option<String>,
}

/// A window of time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowBody {
    /// The first instant (inclusive).
    pub from: DateTime<FixedOffset>,
    /// The end (exclusive); at most 366 days after `from`.
    pub to: DateTime<FixedOffset>,
}

/// Start a simulation
///
/// Checks the drafts against their plugins, then prices the baskets, in time order,
/// against today's campaigns with the drafts beside them, counting each basket as if it
/// were committed (budgets and caps run out as they would), and each basket a draft
/// touched again without the drafts. Answers at once with the job; `GET
/// /v1/simulations/{id}` follows its progress and report.
#[utoipa::path(
    post,
    path = "/v1/simulations",
    tag = "simulations",
    request_body = SimulationBody,
    responses(
        (status = 202, description = "Started; the job, `running`", body = SimulationView,
         headers(("Location" = String, description = "The job's URL"))),
        (status = 409, description = "Two simulations already run on this host", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A draft, the window, an uploaded basket, the currency or the time zone is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn start(
    State(state): State<AppState>,
    key: Option<Extension<KeyInfo>>,
    Json(body): Json<SimulationBody>,
) -> Result<Response, ApiError> {
    // Up to 100,000 uploaded baskets to read: off the async workers.
    let max_lines = state.limits.max_lines;
    let request = tokio::task::spawn_blocking(move || simulation_request(body, max_lines))
        .await
        .map_err(|e| {
            ApiError::from(crate::service::ServiceError::Unavailable(format!(
                "reading the simulation failed unexpectedly: {e}"
            )))
        })??;
    let author = key.map(|Extension(key)| key.author()).unwrap_or_default();
    let view = state.service.start_simulation(request, &author).await?;
    let location = HeaderValue::from_str(&format!("/v1/simulations/{}", view.id)).ok();
    let mut response = (StatusCode::ACCEPTED, axum::Json(view)).into_response();
    if let Some(location) = location {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// A simulation
///
/// Its status (`running`, `done`, `cancelled`, `failed`, or `abandoned` when its host
/// stopped), its progress (`done` of `total` baskets) and its report so far.
#[utoipa::path(
    get,
    path = "/v1/simulations/{id}",
    tag = "simulations",
    params(("id" = String, Path, description = "The simulation's id")),
    responses(
        (status = 200, description = "The simulation", body = SimulationView),
        (status = 404, description = "No such simulation", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<SimulationView>, ApiError> {
    Ok(axum::Json(state.service.simulation(&id).await?))
}

/// The latest simulations
///
/// The 50 latest, newest first, without their reports.
#[utoipa::path(
    get,
    path = "/v1/simulations",
    tag = "simulations",
    responses((status = 200, description = "The simulations", body = Vec<SimulationView>)),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<SimulationView>>, ApiError> {
    Ok(axum::Json(state.service.simulations().await?))
}

/// Cancel a simulation
///
/// Its host stops after the chunk of baskets it is pricing (within a second or so) and
/// keeps what it counted; the job then shows `cancelled`.
#[utoipa::path(
    post,
    path = "/v1/simulations/{id}/cancel",
    tag = "simulations",
    params(("id" = String, Path, description = "The simulation's id")),
    responses(
        (status = 200, description = "Asked to stop", body = SimulationView),
        (status = 404, description = "No such simulation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It has already ended", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<SimulationView>, ApiError> {
    Ok(axum::Json(state.service.cancel_simulation(&id).await?))
}

/// `body` checked: one basket source, a known currency and time zone, uploaded baskets
/// valid (at most `max_lines` lines each).
fn simulation_request(
    body: SimulationBody,
    max_lines: usize,
) -> Result<SimulationRequest, ApiError> {
    let mut problems = Vec::new();
    let invalid = |pointer: &str, message: String| FieldProblem::new(pointer, message);
    if let Some(code) = &body.currency {
        if currency::minor_unit(code).is_none() {
            problems.push(invalid(
                "/currency",
                format!("{code:?} is not an ISO 4217 currency such as EUR"),
            ));
        }
    }
    let timezone = match body.timezone.as_deref() {
        None => chrono_tz::UTC,
        Some(name) => chrono_tz::Tz::from_str(name).unwrap_or_else(|_| {
            problems.push(invalid(
                "/timezone",
                format!("{name:?} is not an IANA time zone such as Europe/Paris"),
            ));
            chrono_tz::UTC
        }),
    };
    let utc = |at: DateTime<FixedOffset>| at.with_timezone(&Utc);
    let baskets = match body.baskets {
        BasketsBody {
            orders: Some(window),
            journal: None,
            ndjson: None,
        } => Some(BasketSource::Orders {
            from: utc(window.from),
            to: utc(window.to),
        }),
        BasketsBody {
            orders: None,
            journal: Some(window),
            ndjson: None,
        } => Some(BasketSource::Journal {
            from: utc(window.from),
            to: utc(window.to),
        }),
        BasketsBody {
            orders: None,
            journal: None,
            ndjson: Some(text),
        } => match uploaded(&text, max_lines) {
            Ok(baskets) => Some(BasketSource::Uploaded(baskets)),
            Err(problem) => {
                problems.push(problem);
                None
            }
        },
        _ => {
            problems.push(invalid(
                "/baskets",
                "give exactly one of `orders`, `journal` (a window) or `ndjson` (baskets)".into(),
            ));
            None
        }
    };
    match baskets {
        Some(baskets) if problems.is_empty() => Ok(SimulationRequest {
            drafts: body.drafts,
            baskets,
            currency: body.currency,
            timezone,
        }),
        _ => Err(ApiError::validation(problems)),
    }
}

/// The baskets of an NDJSON upload (blank lines skipped); the first bad line's problem.
fn uploaded(text: &str, max_lines: usize) -> Result<Vec<crate::model::Basket>, FieldProblem> {
    let pointer = "/baskets/ndjson";
    let mut baskets = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if baskets.len() == MAX_UPLOADED_BASKETS {
            return Err(FieldProblem::new(
                pointer,
                format!(
                    "more than {MAX_UPLOADED_BASKETS} baskets: run larger sets with \
                     `remise simulate`"
                ),
            ));
        }
        let basket = basket_line(line, max_lines)
            .map_err(|why| FieldProblem::new(pointer, format!("line {}: {why}", number + 1)))?;
        baskets.push(basket);
    }
    if baskets.is_empty() {
        return Err(FieldProblem::new(pointer, "holds no basket"));
    }
    Ok(baskets)
}
