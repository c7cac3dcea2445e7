//! `GET /v1/campaigns/{id}/stats`: a campaign's evaluations, applications, redemptions,
//! discount granted, budget and cap left, per channel and per day.

use super::extract::Path;
use super::problem::{ApiError, Problem};
use super::schemas;
use super::AppState;
use crate::service::CampaignStats;
use axum::extract::State;

/// A campaign's stats
///
/// Evaluations in which its plugin ran for it, applications, redemptions (cancelled ones
/// given back), discount granted, what is left of its budget and redemption cap, whether
/// its objective is met, and redemptions and discount per channel and per day (days in
/// the campaign's timezone). They survive a restart.
#[utoipa::path(
    get,
    path = "/v1/campaigns/{id}/stats",
    tag = "campaigns",
    params(("id" = String, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "Its stats", body = schemas::CampaignStats),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn stats(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<CampaignStats>, ApiError> {
    Ok(axum::Json(state.service.campaign_stats(&id).await?))
}
