//! `schema-limits`: a test plugin whose parameter limits live only in its JSON Schema
//! (schemars attributes), never in its code. Its `check` is the SDK's default, which finds
//! nothing, so a campaign that breaks a limit is refused only by the host's own schema
//! check (`tests/tests/hostile.rs`, `tests/tests/scenarios.rs`). Evaluated, it takes
//! `percent_off` % off the order.

use remise_sdk::prelude::*;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Percent off the order, from 1 to 10: only the schema says so.
    #[schemars(range(min = 1, max = 10))]
    pub percent_off: u32,
    /// A label of 2 to 8 capital letters, such as `SPRING`: only the schema says so.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Z]{2,8}$"))]
    pub label: Option<String>,
}

/// The scenario.
pub struct SchemaLimits;

impl Scenario for SchemaLimits {
    type Params = Params;
    const DESCRIPTION: &'static str =
        "A test plugin whose parameter limits only its schema states; never deploy it.";

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

remise_sdk::register_scenario!(SchemaLimits);
