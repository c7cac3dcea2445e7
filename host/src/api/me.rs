//! `GET /v1/me` (any valid key): the calling key's role and label, so a client such as the
//! console can tell, once signed in, which pages to show.

use super::problem::ApiError;
use crate::auth::{KeyInfo, Role};
use axum::Extension;
use serde::Serialize;
use utoipa::ToSchema;

/// Who is calling: the key's role and label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Me {
    /// What the key may do (`admin`: everything).
    pub role: Role,
    /// The key's label in the configuration, such as `web shop`; `null` when it has none.
    #[schema(example = "web shop")]
    pub label: Option<String>,
}

/// Who am I
///
/// The role and label of the key this request carries. Every valid key may ask.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "keys",
    responses((status = 200, description = "The key's role and label", body = Me)),
    security(("bearer" = []))
)]
pub(crate) async fn me(key: Option<Extension<KeyInfo>>) -> Result<axum::Json<Me>, ApiError> {
    // The key check of the route puts the key there; without it, the route is unguarded.
    let Some(Extension(key)) = key else {
        return Err(ApiError::internal("GET /v1/me without its key check"));
    };
    Ok(axum::Json(Me {
        role: key.role,
        label: key.label.as_deref().map(str::to_string),
    }))
}
