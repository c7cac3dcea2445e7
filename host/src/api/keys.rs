//! `POST /v1/keys` (create a key, shown once), `GET /v1/keys` (list them, never the key nor
//! its hash) and `DELETE /v1/keys/{id}` (revoke one): the keys' lifecycle, admin only
//! (docs/api.md "Keys").

use super::extract::Path;
use super::json::Json;
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::auth::{KeySource, Role};
use crate::model::FieldProblem;
use crate::store::StoredKey;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

/// A key as listed: never the key, nor its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct KeyView {
    /// The key's public id (16 hex digits): what `DELETE /v1/keys/{id}` names. It tells
    /// nothing of the key.
    #[schema(example = "3f9a0c1d2e4b5a69")]
    pub id: String,
    /// What the key may do.
    pub role: Role,
    /// A name for people, such as `web shop`; `null` when it has none.
    #[schema(example = "web shop")]
    pub label: Option<String>,
    /// `configured` (the configuration file or `REMISE_ADMIN_KEY`: revoked by a start
    /// whose configuration no longer names it) or `created` (by `POST /v1/keys`, or by
    /// the first start).
    pub source: KeySource,
    /// When the key was first stored.
    pub created_at: DateTime<Utc>,
    /// When a request last carried it (written at most once a minute per host); `null`
    /// if none did.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; `null` while it works.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<StoredKey> for KeyView {
    fn from(key: StoredKey) -> Self {
        KeyView {
            id: key.id,
            role: key.role,
            label: (!key.label.is_empty()).then_some(key.label),
            source: key.source,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// A key just created: the key itself, shown this once, and how it is listed (the fields
/// of [`KeyView`], written out so the document describes one closed object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct KeyCreated {
    /// The key, to give to the client that will send it as `Authorization: Bearer <key>`.
    /// Only its hash is stored: it is never shown again.
    #[schema(example = "rk_5e0c8b0d2a7f4f61b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4")]
    pub key: String,
    /// The key's public id (16 hex digits): what `DELETE /v1/keys/{id}` names.
    #[schema(example = "3f9a0c1d2e4b5a69")]
    pub id: String,
    /// What the key may do.
    pub role: Role,
    /// A name for people; `null` when it has none.
    #[schema(example = "web shop")]
    pub label: Option<String>,
    /// `created`.
    pub source: KeySource,
    /// When the key was stored.
    pub created_at: DateTime<Utc>,
    /// `null`: not used yet.
    pub last_used_at: Option<DateTime<Utc>>,
    /// `null`: it works.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl KeyCreated {
    fn new(key: String, view: KeyView) -> Self {
        KeyCreated {
            key,
            id: view.id,
            role: view.role,
            label: view.label,
            source: view.source,
            created_at: view.created_at,
            last_used_at: view.last_used_at,
            revoked_at: view.revoked_at,
        }
    }
}

/// The body of `POST /v1/keys`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    /// What the new key may do.
    pub role: Role,
    /// A name for people, such as `web shop`: up to 100 characters, no control
    /// characters; none when absent or empty.
    #[serde(default)]
    #[schema(example = "web shop")]
    pub label: Option<String>,
}

impl KeyRequest {
    /// The label to store (`""`: none), or the problem with it.
    fn label(&self) -> Result<String, FieldProblem> {
        let label = self.label.as_deref().unwrap_or_default().trim();
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(FieldProblem::new(
                "/label",
                format!("is longer than {MAX_LABEL_CHARS} characters"),
            ));
        }
        if label.chars().any(char::is_control) {
            return Err(FieldProblem::new("/label", "holds a control character"));
        }
        Ok(label.to_string())
    }
}

/// Create a key
///
/// A new random key (`rk_` and 64 hex digits: 256 bits) with `role`, answered this once:
/// only its hash is stored. Every host accepts it from now on.
#[utoipa::path(
    post,
    path = "/v1/keys",
    tag = "keys",
    request_body(content = KeyRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The key, shown this once", body = KeyCreated),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not declared as JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a role, or the label is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Json(request): Json<KeyRequest>,
) -> Result<(StatusCode, axum::Json<KeyCreated>), ApiError> {
    let label = request
        .label()
        .map_err(|problem| ApiError::validation(vec![problem]))?;
    let created = state.service.create_key(request.role, &label).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(KeyCreated::new(created.key, created.stored.into())),
    ))
}

/// List the keys
///
/// Every key, revoked ones included, oldest first: id, role, label, source, when created,
/// last used and revoked. Never a key nor its hash.
#[utoipa::path(
    get,
    path = "/v1/keys",
    tag = "keys",
    responses((status = 200, description = "Every key", body = Vec<KeyView>)),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<KeyView>>, ApiError> {
    let keys = state.service.keys().await?;
    Ok(axum::Json(keys.into_iter().map(KeyView::from).collect()))
}

/// Revoke a key
///
/// The key is refused from now on: at once by the host that answers, within a second by
/// every other host on the same database. A revoked key stays revoked; revoking it again
/// changes nothing. A configured key revoked here stays revoked even if the configuration
/// still names it.
#[utoipa::path(
    delete,
    path = "/v1/keys/{id}",
    tag = "keys",
    params(("id" = String, Path, description = "The key's id, as `GET /v1/keys` lists it")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No key has this id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.service.revoke_key(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str) -> Result<String, FieldProblem> {
        KeyRequest {
            role: Role::Channel,
            label: Some(text.to_string()),
        }
        .label()
    }

    #[test]
    fn a_label_is_short_and_printable() {
        assert_eq!(label(" web shop ").ok().as_deref(), Some("web shop"));
        assert_eq!(label("").ok().as_deref(), Some(""));
        assert_eq!(
            label(&"é".repeat(MAX_LABEL_CHARS)).map(|l| l.len()).ok(),
            Some(200)
        );
        for bad in [&"a".repeat(MAX_LABEL_CHARS + 1), "tab\there", "nul\0"] {
            let problem = label(bad).expect_err("refused");
            assert_eq!(problem.pointer, "/label", "{bad:?}");
        }
    }

    #[test]
    fn the_body_needs_a_role() {
        let body: KeyRequest =
            super::super::json::parse(br#"{"role": "channel", "label": "tills"}"#).expect("parses");
        assert_eq!(body.role, Role::Channel);
        let error =
            super::super::json::parse::<KeyRequest>(br#"{"role": "root"}"#).expect_err("refused");
        assert_eq!(error.errors()[0].pointer, "/role");
        let error =
            super::super::json::parse::<KeyRequest>(br#"{"label": "x"}"#).expect_err("refused");
        assert!(!error.errors().is_empty());
    }
}
