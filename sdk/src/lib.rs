//! `remise-sdk`: what a Remise scenario plugin is written against.
//!
//! A plugin is one type implementing [`Scenario`], exported with [`register_scenario!`]:
//!
//! ```ignore
//! use remise_sdk::prelude::*;
//!
//! #[derive(Deserialize, Serialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! pub struct Params { percent_off: Decimal }
//!
//! pub struct TenPercent;
//! impl Scenario for TenPercent {
//!     type Params = Params;
//!     const DESCRIPTION: &'static str = "A percentage off the whole order.";
//!     fn evaluate(p: &Params, basket: &Basket<'_>, _: &Context<'_>) -> Result<Vec<Effect>, ScenarioError> {
//!         Ok(vec![effects::percent_off_order(p.percent_off)])
//!     }
//! }
//! remise_sdk::register_scenario!(TenPercent);
//! ```
//!
//! The same source builds for `wasm32-wasip2` (the plugin) and natively, where
//! [`testing`] runs it on JSON baskets in plain `cargo test`.
//!
//! Modules: [`basket`] reads the flat basket the host sends, [`money`] converts and rounds
//! decimals, [`effects`] builds effects, [`params`] prepares parameters once per campaign,
//! [`testing`] runs a scenario natively. The generated bindings stay private in `wit`.
#![warn(missing_docs)]

pub mod basket;
pub mod effects;
#[doc(hidden)]
pub mod export;
pub mod limits;
pub mod log;
pub mod money;
pub mod params;
pub mod testing;

/// The generated bindings of `wit/v1` (private to the SDK; authors use the re-exports).
#[doc(hidden)]
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod wit {
    wit_bindgen::generate!({
        path: "../wit/v1",
        world: "scenario",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "remise_sdk::wit",
        additional_derives: [PartialEq],
    });
}

pub use basket::{Basket, Context, Customer, Line};
pub use params::ParamProblem;
pub use rust_decimal::Decimal;
pub use wit::remise::scenario::types::{
    Discount, DiscountValue, Effect, Gift, LineTarget, ScenarioError, Target,
};

/// A promotion scenario. Implement it on a unit struct and export it with
/// [`register_scenario!`]; the plugin's name and version are the crate's.
pub trait Scenario {
    /// The campaign parameters. Their JSON Schema, derived from the type, is what the
    /// plugin reports, so schema and code never disagree. Add
    /// `#[serde(deny_unknown_fields)]` so a misspelt parameter is refused.
    type Params: serde::de::DeserializeOwned + serde::Serialize + schemars::JsonSchema;

    /// One paragraph for the catalogue.
    const DESCRIPTION: &'static str;

    /// Checks the schema cannot express (tiers in order, one of two fields set…). Each
    /// problem names its field with a JSON pointer. Runs once, when a campaign is saved.
    fn check(_params: &Self::Params) -> Vec<ParamProblem> {
        Vec::new()
    }

    /// Proposes effects for one campaign on one basket. Nothing to offer is `Ok(vec![])`.
    fn evaluate(
        params: &Self::Params,
        basket: &Basket<'_>,
        context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError>;
}

/// What most plugins need, in one `use remise_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::basket::{Basket, Context, Customer, Line, UnitPick};
    pub use crate::effects;
    pub use crate::limits;
    pub use crate::money::{self, percent_of};
    pub use crate::{Effect, ParamProblem, Scenario, ScenarioError};
    pub use rust_decimal::Decimal;
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
}

/// Exports a [`Scenario`] as the plugin's implementation of the world `remise:scenario`.
/// Call it once, at the top level of the plugin crate. On native builds it only checks
/// that the type implements the trait, so the crate's unit tests run without wasm.
///
/// The plugin's name and version are the crate's (`CARGO_PKG_NAME`, `CARGO_PKG_VERSION`),
/// unless given: `register_scenario!(MyScenario, name = "my-offer", version = "2.1.0")`.
#[macro_export]
macro_rules! register_scenario {
    ($scenario:ty) => {
        $crate::register_scenario!(
            $scenario,
            name = env!("CARGO_PKG_NAME"),
            version = env!("CARGO_PKG_VERSION")
        );
    };
    ($scenario:ty, name = $name:expr, version = $version:expr) => {
        #[allow(dead_code)]
        struct RemiseScenarioExport;

        impl $crate::wit::Guest for RemiseScenarioExport {
            fn metadata() -> $crate::wit::remise::scenario::types::Metadata {
                $crate::export::metadata::<$scenario>($name, $version)
            }

            fn check_params(
                params_json: $crate::export::String,
            ) -> ::core::result::Result<
                $crate::export::Vec<u8>,
                $crate::export::Vec<$crate::wit::remise::scenario::types::ParamProblem>,
            > {
                $crate::export::check_params::<$scenario>(&params_json)
            }

            fn evaluate(
                basket: $crate::wit::remise::scenario::types::Basket,
                context: $crate::wit::remise::scenario::types::Context,
                campaigns: $crate::export::Vec<$crate::wit::remise::scenario::types::Campaign>,
            ) -> $crate::export::Vec<
                ::core::result::Result<
                    $crate::export::Vec<$crate::Effect>,
                    $crate::ScenarioError,
                >,
            > {
                $crate::export::evaluate::<$scenario>(&basket, &context, &campaigns)
            }
        }

        #[cfg(target_arch = "wasm32")]
        $crate::wit::export!(RemiseScenarioExport with_types_in $crate::wit);
    };
}
