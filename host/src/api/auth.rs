//! `Authorization: Bearer <key>` on every route that needs a role (docs/api.md
//! "Authentication"): no or a malformed header, or an unknown key, is 401 with a
//! `WWW-Authenticate: Bearer` challenge; a key whose role the route does not accept is
//! 403. A route accepts one role or a few; `admin` may use every route
//! ([`Role::allows_any`]). The check runs before the body is read, and hands the key's
//! [`KeyInfo`] to the handler as a request extension.

use super::problem::ApiError;
use crate::auth::{KeyInfo, Role};
use crate::service::Service;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The challenge of a request without credentials.
const CHALLENGE: &str = "Bearer realm=\"remise\"";
/// The challenge of a malformed `Authorization` header.
const CHALLENGE_MALFORMED: &str = "Bearer realm=\"remise\", error=\"invalid_request\"";
/// The challenge of an unknown key.
const CHALLENGE_UNKNOWN: &str = "Bearer realm=\"remise\", error=\"invalid_token\"";
/// Longer keys are refused without a lookup; ours are 67 characters.
const MAX_KEY: usize = 1_024;

/// What the guard of one route needs: the service (for keys) and the roles the route
/// accepts.
#[derive(Clone)]
pub struct Guard {
    /// The service that knows the keys.
    pub service: Arc<Service>,
    /// The roles the route accepts (`admin` is always accepted).
    pub roles: &'static [Role],
}

/// Middleware: lets the request through when its key's role is one `guard.roles` accepts,
/// with the key's [`KeyInfo`] in the request's extensions.
pub async fn require(State(guard): State<Guard>, mut request: Request, next: Next) -> Response {
    match authorize(&guard, request.headers()).await {
        Ok(key) => {
            request.extensions_mut().insert(key);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

async fn authorize(guard: &Guard, headers: &HeaderMap) -> Result<KeyInfo, ApiError> {
    let key = bearer(headers)?;
    match guard.service.key(key).await? {
        None => Err(ApiError::unauthorized(
            "the key is not known",
            CHALLENGE_UNKNOWN,
        )),
        Some(key) if key.role.allows_any(guard.roles) => Ok(key),
        Some(key) => Err(ApiError::forbidden(format!(
            "a {} key cannot use this route: it needs {}",
            key.role.as_str(),
            needed(guard.roles)
        ))),
    }
}

/// The roles a route accepts, for people: `the marketing role`, `the marketing or ops
/// role`, `the channel, marketing or ops role`; `admin` always is.
pub fn needed(roles: &[Role]) -> String {
    let names: Vec<&str> = roles
        .iter()
        .filter(|role| **role != Role::Admin)
        .map(|role| role.as_str())
        .collect();
    match names.split_last() {
        None => "the admin role".to_string(),
        Some((only, [])) => format!("the {only} role"),
        Some((last, rest)) => format!("the {} or {last} role", rest.join(", ")),
    }
}

/// The key of `Authorization: Bearer <key>` (scheme case-insensitive, RFC 6750 `token68`).
pub fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(ApiError::unauthorized(
            "send an API key: Authorization: Bearer <key>",
            CHALLENGE,
        ));
    };
    let malformed = |why: &str| {
        ApiError::unauthorized(
            format!("malformed Authorization header: {why}; expected Bearer <key>"),
            CHALLENGE_MALFORMED,
        )
    };
    if values.next().is_some() {
        return Err(malformed("sent more than once"));
    }
    let value = value
        .to_str()
        .map_err(|_| malformed("not visible ASCII"))?
        .trim();
    let (scheme, key) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(malformed("not the Bearer scheme"));
    }
    let key = key.trim_start_matches(' ');
    if key.is_empty() {
        return Err(malformed("no key"));
    }
    if key.len() > MAX_KEY || !is_token68(key) {
        return Err(malformed("the key is not a token"));
    }
    Ok(key)
}

/// RFC 7235 `token68`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(key: &str) -> bool {
    let body = key.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::super::problem::ProblemKind;
    use super::*;
    use axum::http::HeaderValue;

    fn parse(values: &[&[u8]]) -> Result<String, ApiError> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                AUTHORIZATION,
                HeaderValue::from_bytes(value).expect("a header value"),
            );
        }
        bearer(&headers).map(str::to_string)
    }

    #[test]
    fn the_roles_a_route_accepts_are_named() {
        assert_eq!(needed(&[Role::Ops]), "the ops role");
        assert_eq!(
            needed(&[Role::Marketing, Role::Ops]),
            "the marketing or ops role"
        );
        assert_eq!(
            needed(&[Role::Channel, Role::Marketing, Role::Ops]),
            "the channel, marketing or ops role"
        );
        assert_eq!(needed(&[]), "the admin role");
        assert_eq!(needed(&[Role::Admin]), "the admin role");
    }

    #[test]
    fn a_bearer_key_is_read() {
        let key = "rk_00ff";
        assert_eq!(parse(&[b"Bearer rk_00ff"]).ok().as_deref(), Some(key));
        assert_eq!(parse(&[b"bearer   rk_00ff "]).ok().as_deref(), Some(key));
        assert_eq!(parse(&[b"BEARER abc+/=="]).ok().as_deref(), Some("abc+/=="));
    }

    #[test]
    fn no_header_is_401_with_a_challenge() {
        let error = parse(&[]).expect_err("refused");
        assert_eq!(error.kind(), ProblemKind::Unauthorized);
        let response = error.into_response();
        let challenge = response
            .headers()
            .get(axum::http::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }

    #[test]
    fn malformed_headers_are_401() {
        let cases: &[&[&[u8]]] = &[
            &[b"Basic dXNlcjpwYXNz"],
            &[b"Bearer"],
            &[b"Bearer "],
            &[b"Bearerrk_00ff"],
            &[b"Bearer a b"],
            &[b"Bearer =="],
            &[b"Bearer \xff\xfe"],
            &[b"Bearer a", b"Bearer b"],
            &[b""],
        ];
        for values in cases {
            let error = parse(values).expect_err("refused");
            assert_eq!(error.kind(), ProblemKind::Unauthorized, "{values:?}");
        }
        let long = format!("Bearer {}", "a".repeat(MAX_KEY + 1));
        assert!(parse(&[long.as_bytes()]).is_err());
    }
}
