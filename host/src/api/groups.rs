//! `GET /v1/groups`, `GET/PUT /v1/groups/{name}`: the policy of an exclusivity group,
//! `{"policy": "best_for_customer"}`. A group never configured uses `best_for_customer`.

use super::extract::Path;
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::schemas::PolicySchema;
use super::AppState;
use crate::model::Policy;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An exclusivity group and its policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct GroupView {
    /// The group's name, as campaigns name it in `group`.
    #[schema(example = "seasonal")]
    pub name: String,
    /// How the group picks its one campaign.
    #[schema(value_type = PolicySchema)]
    pub policy: Policy,
}

/// The body of `PUT /v1/groups/{name}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    /// How the group picks its one campaign.
    #[schema(value_type = PolicySchema)]
    pub policy: Policy,
}

/// List the configured groups
///
/// Every group whose policy was set; a group never configured uses `best_for_customer`.
#[utoipa::path(
    get,
    path = "/v1/groups",
    tag = "groups",
    responses((status = 200, description = "The configured groups", body = Vec<GroupView>)),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<GroupView>>, ApiError> {
    let groups = state.service.groups().await?;
    Ok(axum::Json(
        groups
            .into_iter()
            .map(|(name, policy)| GroupView { name, policy })
            .collect(),
    ))
}

/// Get a group's policy
#[utoipa::path(
    get,
    path = "/v1/groups/{name}",
    tag = "groups",
    params(("name" = String, Path, description = "The group's name: 1 to 64 of a-z, 0-9, _ and -")),
    responses(
        (status = 200, description = "The group's policy (`best_for_customer` when never configured)", body = GroupView),
        (status = 400, description = "Not a group name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<axum::Json<GroupView>, ApiError> {
    check_name(&name)?;
    let policy = state.service.group(&name).await?;
    Ok(axum::Json(GroupView { name, policy }))
}

/// Set a group's policy
#[utoipa::path(
    put,
    path = "/v1/groups/{name}",
    tag = "groups",
    params(("name" = String, Path, description = "The group's name: 1 to 64 of a-z, 0-9, _ and -")),
    request_body(content = GroupBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The group's policy, as set", body = GroupView),
        (status = 400, description = "Not a group name, or the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a policy", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn put(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<GroupBody>,
) -> Result<axum::Json<GroupView>, ApiError> {
    check_name(&name)?;
    state.service.set_group(&name, body.policy).await?;
    Ok(axum::Json(GroupView {
        name,
        policy: body.policy,
    }))
}

/// A group name is what a campaign's `group` may be: 1 to 64 of `a-z`, `0-9`, `_`, `-`.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "a group name is 1 to 64 characters of a-z, 0-9, _ and -",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_slugs() {
        assert!(check_name("seasonal").is_ok());
        assert!(check_name("black_friday-2026").is_ok());
        for bad in ["", "Seasonal", "a b", "é", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_body_is_one_policy() {
        let body: GroupBody =
            super::super::json::parse(br#"{"policy": "best_for_merchant"}"#).expect("parses");
        assert_eq!(body.policy, Policy::BestForMerchant);
        let error = super::super::json::parse::<GroupBody>(br#"{"policy": "cheapest"}"#)
            .expect_err("refused");
        assert_eq!(error.errors()[0].pointer, "/policy");
        let error = super::super::json::parse::<GroupBody>(br#"{"policy": "priority", "x": 1}"#)
            .expect_err("refused");
        assert_eq!(error.errors()[0].pointer, "/x");
    }
}
