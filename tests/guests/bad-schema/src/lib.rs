//! `bad-schema`: a test plugin whose params schema does not compile: one property claims
//! the JSON type `percentage`, which JSON Schema does not have. The runtime must refuse to
//! load it (`tests/tests/hostile.rs`) rather than serve a plugin whose params it cannot check.

use remise_sdk::prelude::*;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Percent off the order, described with a type that does not exist.
    #[schemars(schema_with = "not_a_json_type")]
    pub percent_off: u32,
}

/// A schema that the draft 2020-12 meta-schema refuses.
fn not_a_json_type(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "percentage" })
}

/// The scenario.
pub struct BadSchema;

impl Scenario for BadSchema {
    type Params = Params;
    const DESCRIPTION: &'static str = "A test plugin with an invalid params schema.";

    fn evaluate(
        params: &Params,
        _basket: &Basket<'_>,
        _context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        Ok(vec![effects::percent_off_order(Decimal::from(
            params.percent_off,
        ))])
    }
}

remise_sdk::register_scenario!(BadSchema);
