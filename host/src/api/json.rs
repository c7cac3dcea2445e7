//! The JSON body extractor: every way a body can be wrong becomes a problem, never a 5xx.
//!
//! - not declared as JSON (`application/json` or `application/*+json`): 415;
//! - over the body limit ([`axum::extract::DefaultBodyLimit`]): 413;
//! - not JSON (syntax error, truncated, trailing characters): 400, pointer `""`, with the
//!   line and column;
//! - JSON of the wrong shape (a wrong type, a missing field, an unknown field, a bad value):
//!   422 with the JSON pointer of the field. For an unknown, missing or duplicate field the
//!   pointer names that field itself (`/lines/0/colour`), not the object holding it.

use super::problem::{ApiError, ProblemKind};
#[cfg(test)]
use crate::json_pointer::{named_field, NamedField};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use remise_model::body::{self, BodyError};
use serde::de::DeserializeOwned;

/// A JSON body of type `T`, parsed strictly; rejections are problem+json.
#[derive(Clone, Copy, Debug, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::new(
                ProblemKind::UnsupportedMediaType,
                "the body must be JSON: send Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        ProblemKind::PayloadTooLarge,
                        "the body is larger than this server accepts",
                    )
                } else {
                    ApiError::bad_request(format!(
                        "the body could not be read: {}",
                        rejection.body_text()
                    ))
                }
            })?;
        parse(&bytes).map(Json)
    }
}

/// Whether the request declares a JSON body: `application/json` or `application/<x>+json`
/// (such as `application/merge-patch+json`), with any parameters.
pub fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.strip_prefix("application/") {
        Some(subtype) => subtype == "json" || (subtype.len() > 5 && subtype.ends_with("+json")),
        None => false,
    }
}

/// Parses `bytes` as one JSON document of type `T` ([`remise_model::body::parse`]): a
/// syntax error is a 400 at the whole body, a wrong shape or a NUL a 422 at its pointer.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    body::parse(bytes).map_err(|error| match error {
        BodyError::Syntax {
            message,
            line,
            column,
        } => ApiError::invalid_json(&message, line, column),
        BodyError::Field(problem) => ApiError::validation(vec![problem]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::evaluate::EvaluateRequest;
    use crate::model::campaign::Campaign;
    use axum::http::HeaderValue;

    fn problem<T: DeserializeOwned + std::fmt::Debug>(json: &str) -> ApiError {
        parse::<T>(json.as_bytes()).expect_err("refused")
    }

    fn pointers(error: &ApiError) -> Vec<&str> {
        error.errors().iter().map(|p| p.pointer.as_str()).collect()
    }

    const LINE: &str = r#"{ "id": "1", "sku": "A", "quantity": 1, "unit_price": "1.00" }"#;

    fn basket(lines: &str) -> String {
        format!(r#"{{ "currency": "EUR", "channel": "web", "lines": [{lines}] }}"#)
    }

    #[test]
    fn a_nul_character_anywhere_is_named_by_its_pointer() {
        let body = r#"{"currency":"EUR","channel":"web","customer":{"id":"a\u0000b"},"coupons":["ok"],"lines":[]}"#;
        assert_eq!(
            pointers(&problem::<EvaluateRequest>(body)),
            ["/customer/id"]
        );
        let body = r#"{"currency":"EUR","channel":"web","coupons":["ok","x\u0000"],"lines":[]}"#;
        assert_eq!(pointers(&problem::<EvaluateRequest>(body)), ["/coupons/1"]);
        let body = r#"{"a/b\u0000":1}"#;
        assert_eq!(
            pointers(&problem::<serde_json::Value>(body)),
            ["/a~1b\u{0}"]
        );
        // An escaped backslash before "u0000" is no NUL.
        let body = r#"{"currency":"EUR","channel":"web\\u0000","lines":[]}"#;
        assert!(parse::<EvaluateRequest>(body.as_bytes()).is_ok());
    }

    #[test]
    fn a_well_formed_basket_parses() {
        let request: EvaluateRequest = parse(basket(LINE).as_bytes()).expect("parses");
        assert_eq!(request.lines.len(), 1);
    }

    #[test]
    fn an_unknown_field_is_named_by_its_own_pointer() {
        let line = LINE.replace("\"id\"", "\"colour\": \"red\", \"id\"");
        let error = problem::<EvaluateRequest>(&basket(&format!("{LINE}, {line}")));
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(pointers(&error), ["/lines/1/colour"]);
        assert!(error.errors()[0]
            .message
            .starts_with("unknown field `colour`"));

        let error = problem::<Campaign>(
            r#"{ "id": "a", "name": "A", "plugin": "p", "params": {}, "colour": 1 }"#,
        );
        assert_eq!(pointers(&error), ["/colour"]);
    }

    #[test]
    fn a_wrong_type_is_named_by_the_field_pointer() {
        let line = LINE.replace("\"quantity\": 1", "\"quantity\": \"two\"");
        let error = problem::<EvaluateRequest>(&basket(&line));
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(pointers(&error), ["/lines/0/quantity"]);

        let line = LINE.replace("\"quantity\": 1", "\"quantity\": -1");
        assert_eq!(
            pointers(&problem::<EvaluateRequest>(&basket(&line))),
            ["/lines/0/quantity"]
        );
        let error = problem::<EvaluateRequest>("[]");
        assert_eq!(pointers(&error), [""]);
    }

    #[test]
    fn a_missing_field_is_named_by_its_pointer() {
        let line = r#"{ "id": "1", "quantity": 1, "unit_price": "1.00" }"#;
        let error = problem::<EvaluateRequest>(&basket(line));
        assert_eq!(pointers(&error), ["/lines/0/sku"]);
        let error = problem::<EvaluateRequest>(r#"{ "currency": "EUR", "lines": [] }"#);
        assert_eq!(pointers(&error), ["/channel"]);
    }

    #[test]
    fn a_duplicate_field_is_named_by_its_pointer() {
        let line = LINE.replace("\"id\": \"1\"", "\"id\": \"1\", \"id\": \"2\"");
        let error = problem::<EvaluateRequest>(&basket(&line));
        assert_eq!(pointers(&error), ["/lines/0/id"]);
    }

    #[test]
    fn an_unknown_field_inside_a_field_of_its_name_is_named_once_more() {
        let error = problem::<Campaign>(
            r#"{ "id": "a", "name": "A", "plugin": "p", "params": {}, "limits": { "limits": 1 } }"#,
        );
        assert_eq!(pointers(&error), ["/limits/limits"]);
        let error = problem::<Campaign>(
            r#"{ "id": "a", "name": "A", "plugin": "p", "params": {}, "schedule": { "hours": [ { "from": "25:00", "to": "10:00" } ] } }"#,
        );
        assert_eq!(pointers(&error), ["/schedule/hours/0/from"]);
    }

    #[test]
    fn keys_are_escaped_in_pointers() {
        let json = basket(&LINE.replace("\"id\"", "\"attributes\": { \"a/b~c\": 1 }, \"id\""));
        let error = problem::<EvaluateRequest>(&json);
        assert_eq!(pointers(&error), ["/lines/0/attributes/a~1b~0c"]);
        let error =
            problem::<EvaluateRequest>(&basket(&LINE.replace("\"id\"", "\"a/b\": 1, \"id\"")));
        assert_eq!(pointers(&error), ["/lines/0/a~1b"]);
    }

    #[test]
    fn syntax_errors_are_400_at_the_whole_body_with_line_and_column() {
        for text in [
            "{\"currency\": ",
            "{,}",
            "",
            "{} {}",
            "nul",
            "{\"a\": \"\\ud800\"}",
        ] {
            let error = problem::<serde_json::Value>(text);
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{text:?}");
            assert_eq!(error.kind(), ProblemKind::InvalidJson);
            assert_eq!(pointers(&error), [""]);
            assert!(error.detail().contains(" at line "), "{}", error.detail());
        }
        let error = problem::<EvaluateRequest>("{\n  \"currency\": ,\n}");
        assert!(
            error.detail().ends_with("at line 2 column 15"),
            "{}",
            error.detail()
        );
    }

    #[test]
    fn deep_nesting_is_a_400_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let error = problem::<serde_json::Value>(&deep);
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn named_fields_are_read_from_serde_messages() {
        use NamedField::{Missing, Unknown};
        assert_eq!(
            named_field("unknown field `colour`, expected one of `id`, `sku`"),
            Some(Unknown("colour"))
        );
        assert_eq!(
            named_field("unknown field `x`, expected `a`"),
            Some(Unknown("x"))
        );
        assert_eq!(
            named_field("unknown field `x`, there are no fields"),
            Some(Unknown("x"))
        );
        assert_eq!(
            named_field("unknown field `a`, expected`, expected `b`"),
            Some(Unknown("a`, expected"))
        );
        assert_eq!(named_field("missing field `lines`"), Some(Missing("lines")));
        assert_eq!(named_field("duplicate field `id`"), Some(Missing("id")));
        assert_eq!(
            named_field("invalid type: integer `1`, expected a string"),
            None
        );
        assert_eq!(named_field("unknown variant `x`, expected `a`"), None);
    }

    #[test]
    fn json_media_types_are_recognised() {
        let accepts = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_str(value).expect("a header"),
            );
            is_json(&headers)
        };
        assert!(accepts("application/json"));
        assert!(accepts("Application/JSON; charset=utf-8"));
        assert!(accepts("application/merge-patch+json"));
        assert!(!accepts("text/plain"));
        assert!(!accepts("application/+json"));
        assert!(!accepts("application/jsonx"));
        assert!(!accepts("text/json"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
