//! A JSON body read strictly: one document, every way it can be wrong named. Not JSON
//! (a syntax error, a truncation, trailing characters) is a syntax error with its line and
//! column; JSON of the wrong shape (a wrong type, a missing, unknown or duplicate field, a
//! bad value) or a text holding U+0000 is a problem at the JSON pointer of the field. For
//! an unknown, missing or duplicate field the pointer names that field itself
//! (`/lines/0/colour`), not the object holding it. The API maps these to 400 and 422.

use crate::json_pointer::{pointer, push_token};
use crate::FieldProblem;
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use serde_path_to_error::Segment;

/// Why a body could not be read as the type asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not one JSON document.
    #[error("not JSON: {message} at line {line} column {column}")]
    Syntax {
        /// What serde_json found, without its position.
        message: String,
        /// The line, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
    },
    /// JSON, but not of the type asked for, or a text holding U+0000.
    #[error("{} at {:?}", .0.message, .0.pointer)]
    Field(FieldProblem),
}

/// Parses `bytes` as one JSON document of type `T`. A string or key holding U+0000 is a
/// 422 at its pointer: no field of the API may carry it, and PostgreSQL cannot store it.
/// A body that is not JSON is a syntax error even when a wrong field comes first (serde
/// stops at the first error it meets, and `{"colour": 1, "lines" [` meets the unknown
/// field first): the body is read once more as a JSON value, only on that path, to tell
/// which (a value, not `IgnoredAny`, which skips strings without checking their UTF-8).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    parse_as(bytes).map_err(|error| match error {
        BodyError::Field(_) => match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(_) => error,
            Err(syntax) => shape_error(&[], &syntax),
        },
        BodyError::Syntax { .. } => error,
    })
}

fn parse_as<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    if let Some(at) = nul_pointer(bytes) {
        return Err(BodyError::Field(FieldProblem::new(
            at,
            crate::basket::NO_NUL,
        )));
    }
    // Most bodies are right: read them without tracking the path, and read a wrong one
    // again with it, for the pointer (the same bytes meet the same error).
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    if let Ok(value) = T::deserialize(&mut deserializer) {
        if deserializer.end().is_ok() {
            return Ok(value);
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| shape_error(error.path(), error.inner()))?;
    deserializer
        .end()
        .map_err(|error| shape_error(&[], &error))?;
    Ok(value)
}

/// The pointer of the first string or key of the JSON document `bytes` that holds U+0000
/// (which JSON can only spell `\u0000`), if any. Documents without that escape are not
/// parsed twice.
fn nul_pointer(bytes: &[u8]) -> Option<String> {
    const ESCAPE: &[u8] = b"\\u0000";
    if !bytes.windows(ESCAPE.len()).any(|window| window == ESCAPE) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    find_nul(&value, String::new())
}

fn find_nul(value: &serde_json::Value, at: String) -> Option<String> {
    match value {
        serde_json::Value::String(text) => text.contains('\0').then_some(at),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let mut here = at.clone();
            push_token(&mut here, &i.to_string());
            find_nul(item, here)
        }),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let mut here = at.clone();
            push_token(&mut here, key);
            if key.contains('\0') {
                Some(here)
            } else {
                find_nul(item, here)
            }
        }),
        _ => None,
    }
}

/// The problem for a serde error found at `path`.
fn shape_error<'a>(
    path: impl IntoIterator<Item = &'a Segment>,
    error: &serde_json::Error,
) -> BodyError {
    let message = message(error);
    match error.classify() {
        Category::Data => BodyError::Field(FieldProblem::new(pointer(path, &message), message)),
        Category::Syntax | Category::Eof | Category::Io => BodyError::Syntax {
            message,
            line: error.line(),
            column: error.column(),
        },
    }
}

/// serde_json's message without its ` at line L column C` suffix.
fn message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Basket;

    #[test]
    fn a_body_that_is_not_json_is_a_syntax_error_even_after_a_wrong_field() {
        // Found by fuzz/basket_json: the unknown field `c` came before the missing `:`.
        let body = br#"{"currency":"JPY","channel":"store","c","lines":[]}"#;
        assert!(matches!(
            parse::<Basket>(body),
            Err(BodyError::Syntax { line: 1, .. })
        ));
        let body = b"{\"channel\":\"\xff\",\"c\":1,\"lines\":[]}";
        assert!(matches!(
            parse::<Basket>(body),
            Err(BodyError::Syntax { .. })
        ));
        let body = br#"{"currency":"JPY","channel":"store","c":1,"lines":[]}"#;
        assert!(matches!(parse::<Basket>(body), Err(BodyError::Field(p)) if p.pointer == "/c"));
    }
}
