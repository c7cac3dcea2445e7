//! Campaign parameters: checked and prepared once, when a campaign is saved; loaded cheaply
//! on every evaluation.
//!
//! `check-params` receives JSON, deserialises it into the scenario's `Params` (any serde
//! error becomes a problem with a JSON pointer), runs [`crate::Scenario::check`], and
//! returns the params re-encoded as compact postcard bytes, which `evaluate` decodes far
//! faster than JSON. A `Params` type that postcard cannot round-trip (it uses
//! `#[serde(flatten)]` or untagged enums) is kept as JSON instead: the first byte says which.
//! Prepared bytes belong to one plugin version; the host prepares again for another.

use crate::wit::remise::scenario::types::ScenarioError;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::wit::remise::scenario::types::ParamProblem;

const JSON: u8 = 0;
const POSTCARD: u8 = 1;

impl ParamProblem {
    /// A problem with the parameter at `pointer` (a JSON pointer such as `/tiers/0`).
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// Parses `json` into `P`, or says which field is wrong.
pub fn parse<P: DeserializeOwned>(json: &str) -> Result<P, ParamProblem> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let params = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| ParamProblem::new(pointer(error.path()), error.inner().to_string()))?;
    deserializer
        .end()
        .map_err(|error| ParamProblem::new("", error.to_string()))?;
    Ok(params)
}

/// Encodes checked params into the bytes `evaluate` receives.
pub fn encode<P: Serialize + DeserializeOwned>(params: &P) -> Result<Vec<u8>, ParamProblem> {
    if let Ok(compact) = postcard::to_allocvec(params) {
        if postcard::from_bytes::<P>(&compact).is_ok() {
            let mut bytes = Vec::with_capacity(compact.len() + 1);
            bytes.push(POSTCARD);
            bytes.extend_from_slice(&compact);
            return Ok(bytes);
        }
    }
    let mut bytes = vec![JSON];
    serde_json::to_writer(&mut bytes, params)
        .map_err(|error| ParamProblem::new("", format!("cannot encode the parameters: {error}")))?;
    Ok(bytes)
}

/// Decodes the bytes [`encode`] produced.
pub fn decode<P: DeserializeOwned>(bytes: &[u8]) -> Result<P, ScenarioError> {
    let invalid = |error: String| ScenarioError::InvalidParams(error);
    match bytes.split_first() {
        Some((&POSTCARD, rest)) => postcard::from_bytes(rest).map_err(|e| invalid(e.to_string())),
        Some((&JSON, rest)) => serde_json::from_slice(rest).map_err(|e| invalid(e.to_string())),
        _ => Err(invalid("prepared parameters of an unknown format".into())),
    }
}

/// The JSON pointer (RFC 6901) of a serde path.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        out.push('/');
        match segment {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => out.push_str(variant),
            Segment::Unknown => out.push('-'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Tier {
        min_subtotal: Decimal,
        percent_off: Option<Decimal>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Params {
        tiers: Vec<Tier>,
    }

    #[test]
    fn prepared_params_round_trip_through_postcard() {
        let params: Params =
            parse(r#"{"tiers":[{"min_subtotal":"100.00","percent_off":"10"}]}"#).expect("valid");
        let bytes = encode(&params).expect("encodable");
        assert_eq!(bytes[0], POSTCARD);
        assert_eq!(decode::<Params>(&bytes).expect("decodable"), params);
    }

    #[test]
    fn a_wrong_field_is_named_by_its_pointer() {
        let problem = parse::<Params>(r#"{"tiers":[{"min_subtotal":"x"}]}"#).expect_err("invalid");
        assert_eq!(problem.pointer, "/tiers/0/min_subtotal");
        let problem =
            parse::<Params>(r#"{"tiers":[],"colour":1}"#).expect_err("unknown field refused");
        assert!(problem.message.contains("colour"), "{}", problem.message);
    }

    #[test]
    fn garbage_bytes_are_an_error_not_a_panic() {
        assert!(decode::<Params>(&[]).is_err());
        assert!(decode::<Params>(&[9, 1, 2]).is_err());
        assert!(decode::<Params>(&[POSTCARD, 200, 200, 200]).is_err());
    }
}
