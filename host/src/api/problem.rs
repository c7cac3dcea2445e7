//! Errors as RFC 9457 problem details (`application/problem+json`): a stable `type` URI
//! per kind of problem, a `title`, the `status`, a human `detail`, and `errors`, the list
//! of `{pointer, message}` naming each field at fault with a JSON pointer into the request
//! body. A 5xx never says more than that something failed on our side: the real error goes
//! to stderr.

use crate::model::FieldProblem;
use crate::service::ServiceError;
use axum::http::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// The base of every problem `type` URI.
pub const PROBLEM_BASE: &str = "https://remise.dev/problems/";

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The `Retry-After` of every 503, in seconds: what makes a 503 unavailable was a wait that
/// ran out (a database connection, the commit lock, a slot among the requests in
/// progress), which a second later is usually over.
pub const RETRY_AFTER_SECONDS: &str = "1";

/// The longest `detail` or error message sent back: serde messages quote the input, which
/// may be a megabyte long.
const MAX_MESSAGE: usize = 512;

/// A kind of problem: its `type` URI, `title` and status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// 400: the body is not JSON (syntax error, truncated, trailing characters).
    InvalidJson,
    /// 400: a header or path segment is malformed.
    BadRequest,
    /// 401: no key, a malformed `Authorization` header, or an unknown key.
    Unauthorized,
    /// 403: the key's role does not allow the route.
    Forbidden,
    /// 404: no such route, campaign or plugin.
    NotFound,
    /// 405: the route exists, not with this method.
    MethodNotAllowed,
    /// 409: the id is taken or the revision is stale.
    Conflict,
    /// 413: the body is over the limit.
    PayloadTooLarge,
    /// 415: the body is not declared as JSON.
    UnsupportedMediaType,
    /// 422: well-formed JSON that is not a valid request; `errors` names every field.
    Validation,
    /// 503: the database cannot be reached, or the service is not ready.
    Unavailable,
    /// 500: a bug of ours.
    Internal,
}

impl ProblemKind {
    /// Every kind, for documentation and tests.
    pub const ALL: [ProblemKind; 12] = [
        ProblemKind::InvalidJson,
        ProblemKind::BadRequest,
        ProblemKind::Unauthorized,
        ProblemKind::Forbidden,
        ProblemKind::NotFound,
        ProblemKind::MethodNotAllowed,
        ProblemKind::Conflict,
        ProblemKind::PayloadTooLarge,
        ProblemKind::UnsupportedMediaType,
        ProblemKind::Validation,
        ProblemKind::Unavailable,
        ProblemKind::Internal,
    ];

    /// The last segment of the `type` URI, such as `validation`.
    pub fn slug(self) -> &'static str {
        match self {
            ProblemKind::InvalidJson => "invalid-json",
            ProblemKind::BadRequest => "bad-request",
            ProblemKind::Unauthorized => "unauthorized",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::Conflict => "conflict",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::Validation => "validation",
            ProblemKind::Unavailable => "unavailable",
            ProblemKind::Internal => "internal",
        }
    }

    /// The `type` URI, such as `https://remise.dev/problems/validation`.
    pub fn type_uri(self) -> String {
        format!("{PROBLEM_BASE}{}", self.slug())
    }

    /// The short, fixed summary of the kind.
    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::InvalidJson => "The body is not valid JSON",
            ProblemKind::BadRequest => "Bad request",
            ProblemKind::Unauthorized => "Authentication required",
            ProblemKind::Forbidden => "Not allowed for this key",
            ProblemKind::NotFound => "Not found",
            ProblemKind::MethodNotAllowed => "Method not allowed",
            ProblemKind::Conflict => "Conflict",
            ProblemKind::PayloadTooLarge => "Body too large",
            ProblemKind::UnsupportedMediaType => "Unsupported media type",
            ProblemKind::Validation => "The request is not valid",
            ProblemKind::Unavailable => "Service unavailable",
            ProblemKind::Internal => "Internal error",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::InvalidJson | ProblemKind::BadRequest => StatusCode::BAD_REQUEST,
            ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::Conflict => StatusCode::CONFLICT,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The body of an error response (RFC 9457).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://remise.dev/problems/validation",
    "title": "The request is not valid",
    "status": 422,
    "detail": "1 problem with the request body",
    "errors": [ { "pointer": "/lines/3/quantity", "message": "must be from 1 to 1000000" } ]
}))]
pub struct Problem {
    /// A URI naming the kind of problem, under `https://remise.dev/problems/`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The fields at fault; empty when the problem is not about one field.
    pub errors: Vec<ProblemField>,
    /// This occurrence: the request id (`x-request-id`) the answer carries, to find the
    /// request in the logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// A field at fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON pointer (RFC 6901) into the request body, such as `/lines/3/quantity`; `""` is
    /// the whole body.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// An error answered as `application/problem+json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    kind: ProblemKind,
    detail: String,
    errors: Vec<FieldProblem>,
    challenge: Option<&'static str>,
}

impl ApiError {
    /// A problem of `kind` with a human `detail`.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: truncate(detail.into()),
            errors: Vec::new(),
            challenge: None,
        }
    }

    /// 422 naming every field at fault.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let detail = match errors.len() {
            1 => "1 problem with the request body".to_string(),
            n => format!("{n} problems with the request body"),
        };
        let errors = errors
            .into_iter()
            .map(|p| FieldProblem::new(p.pointer, truncate(p.message)))
            .collect();
        Self {
            errors,
            ..Self::new(ProblemKind::Validation, detail)
        }
    }

    /// 422 naming every query parameter at fault, each by a pointer to its name (`/limit`).
    pub fn invalid_query(errors: Vec<FieldProblem>) -> Self {
        let detail = match errors.len() {
            1 => "1 problem with the query string".to_string(),
            n => format!("{n} problems with the query string"),
        };
        Self {
            detail,
            ..Self::validation(errors)
        }
    }

    /// 400 for a body that is not JSON at all, at `line` and `column` (1-based).
    pub fn invalid_json(message: &str, line: usize, column: usize) -> Self {
        Self {
            errors: vec![FieldProblem::new("", truncate(message.to_string()))],
            ..Self::new(
                ProblemKind::InvalidJson,
                format!("{message} at line {line} column {column}"),
            )
        }
    }

    /// 400 for a malformed header or path segment.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(ProblemKind::BadRequest, detail)
    }

    /// 401, with `WWW-Authenticate: <challenge>`.
    pub fn unauthorized(detail: impl Into<String>, challenge: &'static str) -> Self {
        Self {
            challenge: Some(challenge),
            ..Self::new(ProblemKind::Unauthorized, detail)
        }
    }

    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ProblemKind::Forbidden, detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ProblemKind::NotFound, detail)
    }

    /// 503; `cause` goes to stderr, the client learns only that we are unavailable.
    pub fn unavailable(cause: impl fmt::Display) -> Self {
        tracing::warn!(%cause, "answered 503");
        Self::new(
            ProblemKind::Unavailable,
            "the service cannot answer right now; try again shortly",
        )
    }

    /// 500; `cause` goes to stderr, the client learns nothing of it.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(%cause, "answered 500");
        Self::new(ProblemKind::Internal, "an internal error occurred")
    }

    /// The kind of problem.
    pub fn kind(&self) -> ProblemKind {
        self.kind
    }

    /// The status it is answered with.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// The fields at fault.
    pub fn errors(&self) -> &[FieldProblem] {
        &self.errors
    }

    /// The human detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The response body.
    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: self.kind.type_uri(),
            title: self.kind.title().to_string(),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
            errors: self
                .errors
                .iter()
                .map(|p| ProblemField {
                    pointer: p.pointer.clone(),
                    message: p.message.clone(),
                })
                .collect(),
            instance: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.status(), self.detail)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        let body = serde_json::to_vec(&self.problem()).unwrap_or_else(|_| {
            // Plain strings and numbers always serialize; this is never reached.
            format!(r#"{{"status":{}}}"#, status.as_u16()).into_bytes()
        });
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(challenge) = self.challenge {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        if self.kind == ProblemKind::Unavailable {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
        }
        response
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(problems) => ApiError::validation(problems),
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::Conflict(why) => ApiError::new(ProblemKind::Conflict, why),
            ServiceError::Unavailable(why) => ApiError::unavailable(why),
            ServiceError::Busy(why) => {
                tracing::warn!(cause = %why, "answered 503");
                ApiError::new(
                    ProblemKind::Unavailable,
                    "commits are waiting on one that does not finish; try again shortly",
                )
            }
        }
    }
}

/// `text` cut to at most [`MAX_MESSAGE`] bytes, on a character boundary, with `…` when cut.
fn truncate(mut text: String) -> String {
    if text.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn body(error: ApiError) -> (StatusCode, Option<String>, Value) {
        let problem = serde_json::to_value(error.problem()).expect("serializes");
        let response = error.into_response();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (response.status(), content_type, problem)
    }

    #[test]
    fn a_validation_problem_has_the_rfc_9457_shape() {
        let error = ApiError::validation(vec![
            FieldProblem::new("/lines/3/quantity", "must be from 1 to 1000000"),
            FieldProblem::new("/currency", "must be an ISO 4217 code such as EUR"),
        ]);
        let (status, content_type, problem) = body(error);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
        assert_eq!(
            problem,
            json!({
                "type": "https://remise.dev/problems/validation",
                "title": "The request is not valid",
                "status": 422,
                "detail": "2 problems with the request body",
                "errors": [
                    { "pointer": "/lines/3/quantity", "message": "must be from 1 to 1000000" },
                    { "pointer": "/currency", "message": "must be an ISO 4217 code such as EUR" }
                ]
            })
        );
    }

    #[test]
    fn every_kind_has_its_own_uri_under_one_base_and_matching_status() {
        let mut uris: Vec<String> = ProblemKind::ALL.iter().map(|k| k.type_uri()).collect();
        assert!(uris.iter().all(|u| u.starts_with(PROBLEM_BASE)));
        uris.sort();
        uris.dedup();
        assert_eq!(uris.len(), ProblemKind::ALL.len());
        for kind in ProblemKind::ALL {
            let (status, _, problem) = body(ApiError::new(kind, "x"));
            assert_eq!(status, kind.status());
            assert_eq!(problem["status"], kind.status().as_u16());
            assert_eq!(problem["errors"], json!([]));
        }
    }

    #[test]
    fn server_errors_never_leak_their_cause() {
        for error in [
            ApiError::internal("sqlite: disk I/O error at /var/lib/remise.db"),
            ApiError::unavailable("pool timed out: postgres://user:secret@db"),
            ServiceError::Unavailable("postgres://user:secret@db".into()).into(),
        ] {
            let (status, _, problem) = body(error);
            assert!(status.is_server_error());
            let text = problem.to_string();
            assert!(
                !text.contains("secret") && !text.contains("sqlite"),
                "{text}"
            );
        }
    }

    #[test]
    fn service_errors_map_to_their_status() {
        let cases = [
            (
                ServiceError::Invalid(vec![FieldProblem::new("/id", "taken")]),
                422,
            ),
            (ServiceError::NotFound("campaign x not found".into()), 404),
            (ServiceError::Conflict("revision 3 is stale".into()), 409),
            (ServiceError::Unavailable("down".into()), 503),
        ];
        for (error, status) in cases {
            let error = ApiError::from(error);
            assert_eq!(error.status().as_u16(), status);
        }
        let not_found = ApiError::from(ServiceError::NotFound("campaign x not found".into()));
        assert_eq!(not_found.detail(), "campaign x not found");
    }

    #[test]
    fn unauthorized_carries_a_bearer_challenge() {
        let response = ApiError::unauthorized("no key", "Bearer").into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response
                .headers()
                .get(WWW_AUTHENTICATE)
                .map(|v| v.as_bytes()),
            Some(&b"Bearer"[..])
        );
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let error = ApiError::validation(vec![FieldProblem::new("", "é".repeat(1_000))]);
        let message = &error.errors()[0].message;
        assert!(message.len() <= MAX_MESSAGE + '…'.len_utf8());
        assert!(message.ends_with('…'));
    }
}
