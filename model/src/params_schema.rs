//! A plugin's params JSON Schema, compiled once when the plugin loads and checked by the host
//! on every campaign save, before the plugin's own `check-params` runs.
//!
//! The schema names its draft with `$schema` (schemars writes 2020-12); without one it is
//! read as 2020-12. Nothing outside the schema is ever fetched: the validator is built
//! offline, so a `$ref` to a URL or a file makes the schema fail to compile.

use serde::Serialize;
use serde_json::Value;

/// The longest text (pointer or message) of one parameter problem.
pub const MAX_PROBLEM_TEXT: usize = 1_024;

/// A problem the schema or the plugin found in a campaign's parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParamProblem {
    /// JSON pointer into the parameters.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// `text` cut to at most [`MAX_PROBLEM_TEXT`] bytes, on a character boundary: what a plugin
/// or a schema says is stored and shown, so it is bounded.
pub fn cut(mut text: String) -> String {
    if text.len() > MAX_PROBLEM_TEXT {
        let mut end = MAX_PROBLEM_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Why a plugin's params schema cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("params schema does not compile (at {pointer:?} in the schema): {message}")]
pub struct SchemaError {
    /// JSON pointer into the schema.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// A compiled params schema.
pub struct ParamsSchema {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for ParamsSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParamsSchema").finish_non_exhaustive()
    }
}

impl ParamsSchema {
    /// Compiles `schema`, checking it against its draft's meta-schema first.
    pub fn compile(schema: &Value) -> Result<Self, SchemaError> {
        let validator = jsonschema::options()
            .offline()
            .build(schema)
            .map_err(|error| SchemaError {
                pointer: error.instance_path().as_str().to_owned(),
                message: cut(error.to_string()),
            })?;
        Ok(Self { validator })
    }

    /// What the schema finds wrong in `params`, at most `limit` problems (none when it
    /// accepts them). Each pointer is the instance location of the error (`""` for the root).
    pub fn problems(&self, params: &Value, limit: usize) -> Vec<ParamProblem> {
        self.validator
            .iter_errors(params)
            .take(limit)
            .map(|error| ParamProblem {
                pointer: cut(error.instance_path().as_str().to_owned()),
                message: cut(error.to_string()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_constraint_is_reported_at_its_pointer() {
        let schema = ParamsSchema::compile(&json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "count": { "type": "integer", "minimum": 1, "maximum": 10 },
                "a/b": { "type": "string", "maxLength": 2 }
            },
            "required": ["count"],
            "additionalProperties": false
        }))
        .expect("compiles");
        assert!(schema.problems(&json!({ "count": 10 }), 100).is_empty());
        let problems = schema.problems(&json!({ "count": 11, "a/b": "long" }), 100);
        let mut pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        pointers.sort_unstable();
        assert_eq!(pointers, ["/a~1b", "/count"], "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("greater than the maximum of 10")),
            "{problems:?}"
        );
        let root = schema.problems(&json!({ "count": 1, "colour": "red" }), 100);
        assert_eq!(root.len(), 1, "{root:?}");
        assert_eq!(root[0].pointer, "");
        assert!(root[0].message.contains("colour"), "{root:?}");
    }

    #[test]
    fn problems_are_capped() {
        let schema =
            ParamsSchema::compile(&json!({ "items": { "type": "string" } })).expect("compiles");
        let many: Vec<u32> = (0..500).collect();
        assert_eq!(schema.problems(&json!(many), 100).len(), 100);
    }

    #[test]
    fn without_schema_keyword_it_is_draft_2020_12() {
        // `prefixItems` exists only from 2020-12 on; an older draft would ignore it.
        let schema = ParamsSchema::compile(&json!({ "prefixItems": [{ "type": "string" }] }))
            .expect("compiles");
        assert_eq!(schema.problems(&json!([1]), 100).len(), 1);
        let draft7 = ParamsSchema::compile(&json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "prefixItems": [{ "type": "string" }]
        }))
        .expect("compiles");
        assert!(draft7.problems(&json!([1]), 100).is_empty());
    }

    #[test]
    fn a_schema_that_is_not_valid_does_not_compile() {
        let error = ParamsSchema::compile(&json!({ "properties": { "n": { "type": "banana" } } }))
            .expect_err("refused");
        assert_eq!(error.pointer, "/properties/n/type", "{error}");
        let error =
            ParamsSchema::compile(&json!({ "pattern": "(" })).expect_err("a bad regex is refused");
        assert!(!error.message.is_empty());
    }

    #[test]
    fn remote_references_are_never_fetched() {
        for reference in [
            "https://example.com/params.json",
            "file:///etc/passwd",
            "http://127.0.0.1:9/schema.json",
        ] {
            let error = ParamsSchema::compile(&json!({ "$ref": reference }))
                .expect_err("an outside reference does not compile");
            assert!(!error.message.is_empty(), "{reference}");
        }
    }
}
