// The body of the `flip` test plugin, shared by its versions; each crate sets `VERSION`
// and `PERCENT_OFF` before including it.

use remise_sdk::prelude::*;

/// The campaign parameters: none.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// The scenario.
pub struct Flip;

impl Scenario for Flip {
    type Params = Params;
    const DESCRIPTION: &'static str =
        "A test plugin whose versions take different percentages off; never deploy it.";

    fn evaluate(
        _params: &Params,
        _basket: &Basket<'_>,
        _context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        Ok(vec![effects::percent_off_order(Decimal::from(PERCENT_OFF))])
    }
}

remise_sdk::register_scenario!(Flip, name = "flip", version = VERSION);
