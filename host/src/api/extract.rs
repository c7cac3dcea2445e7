//! Extractors whose rejections are problem+json: path segments, query strings and
//! `If-Match`.

use super::problem::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::IF_MATCH;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

/// Whether a percent-encoded path or query holds an encoded NUL (`%00`), which no name
/// or code of the API may carry and PostgreSQL cannot store.
fn encodes_nul(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| w == b"%00")
}

/// Path parameters; a segment that cannot be decoded (such as invalid UTF-8) or that
/// holds U+0000 is a 400.
#[derive(Clone, Debug)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if encodes_nul(parts.uri.path()) {
            return Err(ApiError::bad_request(
                "a path segment must not contain the NUL character (%00)",
            ));
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) if rejection.status().is_server_error() => {
                Err(ApiError::internal(rejection.body_text()))
            }
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// The query string as its `name=value` pairs, percent-decoded, in order (repeats kept,
/// so a handler can refuse them). A query that cannot be decoded or holds U+0000 is a 400.
#[derive(Clone, Debug, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_some_and(encodes_nul) {
            return Err(ApiError::bad_request(
                "the query must not contain the NUL character (%00)",
            ));
        }
        match axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state).await
        {
            Ok(axum::extract::Query(pairs)) => Ok(QueryPairs(pairs)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// One parameter of a query string, known to its route and given once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryParam<'a> {
    /// Its name, one of those the route knows.
    pub name: &'a str,
    /// Its value, percent-decoded.
    pub value: &'a str,
    /// The JSON pointer a problem with it is reported at (`/limit`).
    pub pointer: String,
}

impl QueryParam<'_> {
    /// The value as an integer within `range`, or the problem that it is not.
    pub fn integer_in(
        &self,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<i64, crate::model::FieldProblem> {
        match self.value.trim().parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(crate::model::FieldProblem::new(
                self.pointer.clone(),
                format!(
                    "must be an integer from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }
}

/// The parameters of `pairs` a route knows (`known`), in order. An unknown or repeated
/// name is added to `problems` at its pointer instead, so one answer names them all.
pub fn known_params<'a>(
    pairs: &'a [(String, String)],
    known: &[&str],
    problems: &mut Vec<crate::model::FieldProblem>,
) -> Vec<QueryParam<'a>> {
    let mut seen = std::collections::HashSet::new();
    let mut params = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        let mut pointer = String::new();
        crate::json_pointer::push_token(&mut pointer, name);
        if !known.contains(&name.as_str()) {
            problems.push(crate::model::FieldProblem::new(
                pointer,
                format!("unknown query parameter: {} are known", known.join(", ")),
            ));
        } else if !seen.insert(name.as_str()) {
            problems.push(crate::model::FieldProblem::new(
                pointer,
                "given more than once",
            ));
        } else {
            params.push(QueryParam {
                name,
                value,
                pointer,
            });
        }
    }
    params
}

/// `If-Match: "<revision>"`: the revision a write expects to replace. `None` when the
/// header is absent or `*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if_match(&parts.headers).map(IfMatch)
    }
}

/// Reads `If-Match` (see [`IfMatch`]).
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let mut values = headers.get_all(IF_MATCH).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let malformed = || {
        ApiError::bad_request(
            "If-Match must be one strong entity tag holding the campaign's revision, such as \"3\"",
        )
    };
    if values.next().is_some() {
        return Err(malformed());
    }
    let value = value.to_str().map_err(|_| malformed())?.trim();
    if value == "*" {
        return Ok(None);
    }
    let revision = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(malformed)?;
    revision.parse().map(Some).map_err(|_| malformed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, StatusCode};

    fn parse(values: &[&str]) -> Result<Option<i64>, ApiError> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(IF_MATCH, HeaderValue::from_str(value).expect("a header"));
        }
        if_match(&headers)
    }

    #[test]
    fn a_quoted_revision_is_read() {
        assert_eq!(parse(&[]).ok(), Some(None));
        assert_eq!(parse(&["\"3\""]).ok(), Some(Some(3)));
        assert_eq!(parse(&[" \"12\" "]).ok(), Some(Some(12)));
        assert_eq!(parse(&["*"]).ok(), Some(None));
    }

    #[test]
    fn anything_else_is_a_400() {
        for bad in [
            "3",
            "\"\"",
            "W/\"3\"",
            "\"-1\"",
            "\"3\", \"4\"",
            "\"99999999999999999999\"",
            "\"x\"",
            "\"",
        ] {
            let error = parse(&[bad]).expect_err(bad);
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
        assert!(parse(&["\"1\"", "\"2\""]).is_err());
    }
}
