// The body of the `flip` test plugin, shared by its versions; each crate sets `VERSION`
// and `PERCENT_OFF` before including it.

use remise_sdk::prelude::*;

/// The campaign parameters: none needed.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// A percentage that replaces the version's own, so that every version agrees on
    /// this campaign (shadow-run tests compare versions on campaigns of both kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_off: Option<u32>,
}

/// The scenario.
pub struct Flip;

impl Scenario for Flip {
    type Params = Params;
    const DESCRIPTION: &'static str =
        "A test plugin whose versions take different percentages off; never deploy it.";

    fn evaluate(
        params: &Params,
        _basket: &Basket<'_>,
        _context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        let percent = params.percent_off.unwrap_or(PERCENT_OFF);
        Ok(vec![effects::percent_off_order(Decimal::from(percent))])
    }
}

remise_sdk::register_scenario!(Flip, name = "flip", version = VERSION);
