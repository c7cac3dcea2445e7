//! JSON pointers (RFC 6901) for serde errors: which field of a request body a
//! deserialisation error is about. Shared by the API's body extractor and the service's
//! merge-patch, so both name a bad field the same way.

use serde_path_to_error::Segment;

/// The JSON pointer of the field a data error is about: the path serde_path_to_error
/// tracked, naming the field itself for an unknown, missing or duplicate field. (For an
/// unknown field the tracked path already ends with the key; for a missing or duplicate
/// one it stops at the object holding it, so the field the message names is appended.) A
/// segment whose position is unknown cuts the pointer there: it names the deepest
/// ancestor known.
pub fn pointer<'a>(path: impl IntoIterator<Item = &'a Segment>, message: &str) -> String {
    let mut pointer = String::new();
    let mut last_key = None;
    for segment in path {
        last_key = None;
        match segment {
            Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                push_token(&mut pointer, key);
                last_key = Some(key.as_str());
            }
            Segment::Enum { variant } => push_token(&mut pointer, variant),
            Segment::Unknown => return pointer,
        }
    }
    match named_field(message) {
        Some(NamedField::Unknown(field)) if last_key == Some(field) => {}
        Some(NamedField::Unknown(field) | NamedField::Missing(field)) => {
            push_token(&mut pointer, field)
        }
        None => {}
    }
    pointer
}

/// Appends `/token`, escaped as RFC 6901 says.
pub fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

/// A field a serde message names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedField<'a> {
    /// "unknown field `x`, expected …": the path may already end with it.
    Unknown(&'a str),
    /// "missing field `x`" or "duplicate field `x`": the path stops at its object.
    Missing(&'a str),
}

/// The field serde names in "unknown field `x`, expected …", "missing field `x`" or
/// "duplicate field `x`".
pub fn named_field(message: &str) -> Option<NamedField<'_>> {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let end = rest
            .rfind("`, expected")
            .or_else(|| rest.rfind("`, there are no fields"))?;
        return Some(NamedField::Unknown(&rest[..end]));
    }
    ["missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.strip_suffix('`'))
        .map(NamedField::Missing)
}
