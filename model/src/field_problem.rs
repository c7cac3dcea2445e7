//! A problem with one field of an input, named by its JSON pointer: what every check of
//! the model (baskets, campaigns, coupons) reports, and what the API shows as a 422.

use serde::Serialize;

/// A problem with one field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// JSON pointer to the field, such as `/lines/3/quantity`.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl FieldProblem {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}
