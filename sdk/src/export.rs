//! The glue `register_scenario!` expands to: the world's three exports, implemented once
//! for every [`Scenario`].

use crate::basket::{Basket, Context};
use crate::params;
use crate::wit::remise::scenario::types::{Basket as RawBasket, Context as RawContext};
use crate::wit::remise::scenario::types::{Campaign, Metadata, ParamProblem};
use crate::{Effect, Scenario, ScenarioError};

pub use std::string::String;
pub use std::vec::Vec;

/// Sends a panic's message to the host log before the abort traps: the host then reports
/// the plugin's own words rather than a bare `unreachable`.
fn install_panic_hook() {
    #[cfg(target_arch = "wasm32")]
    std::panic::set_hook(Box::new(|info| {
        crate::log::error(&format!("panic: {info}"))
    }));
}

/// `metadata`: the plugin's identity and its params schema, derived from the type.
pub fn metadata<S: Scenario>(name: &str, version: &str) -> Metadata {
    install_panic_hook();
    let schema = schemars::schema_for!(S::Params);
    Metadata {
        name: name.into(),
        version: version.into(),
        description: S::DESCRIPTION.into(),
        params_schema: serde_json::to_string(&schema).unwrap_or_else(|_| "{}".into()),
    }
}

/// `check-params`: parse, check, prepare.
pub fn check_params<S: Scenario>(json: &str) -> Result<Vec<u8>, Vec<ParamProblem>> {
    install_panic_hook();
    let parsed: S::Params = params::parse(json).map_err(|problem| vec![problem])?;
    let problems = S::check(&parsed);
    if !problems.is_empty() {
        return Err(problems);
    }
    params::encode(&parsed).map_err(|problem| vec![problem])
}

/// `evaluate`: each campaign's prepared params against the one basket.
pub fn evaluate<S: Scenario>(
    basket: &RawBasket,
    context: &RawContext,
    campaigns: &[Campaign],
) -> Vec<Result<Vec<Effect>, ScenarioError>> {
    install_panic_hook();
    let view = Basket::new(basket);
    let context = Context::new(basket, context);
    campaigns
        .iter()
        .map(|campaign| {
            let params = params::decode::<S::Params>(&campaign.params)?;
            S::evaluate(&params, &view, &context)
        })
        .collect()
}
