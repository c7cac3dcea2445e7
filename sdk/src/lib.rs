//! `remise-sdk`: what a Remise scenario plugin is written against.
//!
//! Remise is a promotion engine whose scenarios are sandboxed WebAssembly components
//! implementing the world `remise:scenario` (the contract, in this crate's `wit/`). A plugin
//! is one type implementing [`Scenario`], exported with [`register_scenario!`]; the host
//! does everything generic (targeting, schedules, coupons, budgets, conflicts, exact money).
//!
//! # Guide: a plugin from nothing
//!
//! **1. The project.** `remise plugin new shoe-week` writes a project that builds on its
//! own: a `Cargo.toml` with `crate-type = ["cdylib", "rlib"]` and the release profile the
//! sandbox expects (LTO, one codegen unit, `panic = "abort"`, stripped), a
//! `.cargo/config.toml` linking with a 64 KiB stack, this SDK under `vendor/remise-sdk`, a
//! scenario with unit tests, and fixtures. Once: `rustup target add wasm32-wasip2`.
//!
//! **2. The scenario.** Parameters are a serde + schemars type: the host checks every
//! campaign against the JSON Schema derived from it, then calls [`Scenario::check`] for
//! what a schema cannot say. [`Scenario::evaluate`] reads the basket through [`basket`]'s
//! views and proposes [`effects`]; the host settles conflicts, budgets and rounding. A
//! complete plugin, and its test:
//!
//! ```
//! use remise_sdk::prelude::*;
//!
//! /// The campaign parameters; decimals are JSON strings ("15").
//! #[derive(Debug, Deserialize, Serialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! pub struct Params {
//!     /// Percentage off every pair of shoes, above 0 and at most 100.
//!     pub percent_off: Decimal,
//!     /// How many pairs the basket must hold.
//!     #[schemars(range(min = 1))]
//!     pub min_pairs: u32,
//! }
//!
//! pub struct ShoeWeek;
//!
//! impl Scenario for ShoeWeek {
//!     type Params = Params;
//!     const DESCRIPTION: &'static str = "A percentage off every pair of shoes, from N pairs.";
//!
//!     fn check(p: &Params) -> Vec<ParamProblem> {
//!         if p.percent_off <= Decimal::ZERO || p.percent_off > Decimal::ONE_HUNDRED {
//!             return vec![ParamProblem::new("/percent_off", "must be above 0 and at most 100")];
//!         }
//!         Vec::new()
//!     }
//!
//!     fn evaluate(
//!         p: &Params,
//!         basket: &Basket<'_>,
//!         _context: &Context<'_>,
//!     ) -> Result<Vec<Effect>, ScenarioError> {
//!         let shoes: Vec<Line<'_>> = basket.lines_in_category("shoes").collect();
//!         let pairs: u32 = shoes.iter().map(|line| line.quantity()).sum();
//!         if shoes.is_empty() || pairs < p.min_pairs {
//!             return Ok(vec![]);
//!         }
//!         let lines = shoes.iter().map(|line| line.index());
//!         Ok(vec![effects::percent_off_lines(lines, p.percent_off)])
//!     }
//! }
//!
//! // The world's three exports (metadata, check-params, evaluate); natively, a type check.
//! remise_sdk::register_scenario!(ShoeWeek, name = "shoe-week", version = "1.0.0");
//!
//! // 3. Test it natively: the same prepare → decode → evaluate path as the component.
//! use remise_sdk::testing::{check, dec, run, web_basket};
//! use serde_json::json;
//!
//! let params = json!({ "percent_off": "15", "min_pairs": 2 });
//! let basket = web_basket(json!([
//!     { "id": "1", "sku": "RUN-42", "quantity": 2, "unit_price": "89.90", "categories": ["shoes"] },
//!     { "id": "2", "sku": "SOCKS", "quantity": 1, "unit_price": "12.00", "categories": ["socks"] }
//! ]));
//! assert_eq!(
//!     run::<ShoeWeek>(&params, &basket),
//!     Ok(vec![effects::percent_off_lines([0], dec("15"))])
//! );
//! let problems = check::<ShoeWeek>(&json!({ "percent_off": "150", "min_pairs": 1 }))
//!     .expect_err("out of range");
//! assert_eq!(problems[0].pointer, "/percent_off");
//! ```
//!
//! **3. Test** with `cargo test`: [`testing`] runs the scenario natively on JSON baskets
//! (the body of `POST /v1/evaluate`).
//!
//! **4. Build** the component with `cargo build --release --target wasm32-wasip2`. For a
//! sandbox about a quarter cheaper, build for `wasm32-unknown-unknown` instead and make the
//! core module a component with `wasm-tools component new` (the SDK then brings the
//! plugin's allocator; the stack is 16 KiB): see "The faster build" in the plugin contract.
//!
//! **5. Run the real component** in the service's sandbox and limits, on a basket:
//! `remise plugin run --wasm target/wasm32-wasip2/release/shoe_week.wasm --params
//! params.json --basket basket.json` prints its effects, fuel, memory and time.
//!
//! **6. Serve it**: `PUT /v1/plugins/shoe-week` with the `.wasm` and an `ops` key, then a
//! campaign with `"plugin": "shoe-week"`; `POST /v1/evaluate` applies it. A new version is
//! the same upload with a higher `version`; campaigns that do not pin one follow it.
//!
//! The same source builds for `wasm32-wasip2` or `wasm32-unknown-unknown` (the plugin) and
//! natively, where [`testing`] runs it on JSON baskets in plain `cargo test`.
//!
//! # Contract versions
//!
//! By default a plugin is built for contract 1.1 (`wit/v1.1`, world
//! `remise:scenario@1.1.0`): on top of 1.0 it may read what the host knows of the
//! basket's customer ([`customer`]: stored profile, points balance, purchase history) and
//! propose two more effects, [`effects::spend_points`] and [`effects::issue_reward`]. The
//! cargo feature `contract-1-0` builds the very same source for contract 1.0 (`wit/v1`,
//! `remise:scenario@1.0.0`), for hosts that only load 1.0 plugins; the 1.1-only API is
//! then absent, so a plugin that uses it does not compile for 1.0. [`CONTRACT`] says which
//! one a build targets. The host reads customer data before a run only for a plugin whose
//! component imports `remise:scenario/customer`, which a 1.1 plugin does only when it
//! calls a [`customer`] function: a plugin that never does costs no more than a 1.0 one.
//!
//! Modules: [`basket`] reads the flat basket the host sends, [`money`] converts and rounds
//! decimals, [`effects`] builds effects, [`params`] prepares parameters once per campaign,
//! [`customer`] (1.1) asks the host about the customer, [`testing`] runs a scenario
//! natively (and sets the customer data [`customer`] answers with there). The generated
//! bindings stay private in `wit`.
#![warn(missing_docs)]

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
#[allow(unsafe_code)]
mod allocator;
pub mod basket;
#[cfg(not(feature = "contract-1-0"))]
pub mod customer;
pub mod effects;
#[doc(hidden)]
pub mod export;
pub mod limits;
pub mod log;
pub mod money;
pub mod params;
pub mod testing;

/// The generated bindings of `wit/v1.1` (private to the SDK; authors use the re-exports).
#[cfg(not(feature = "contract-1-0"))]
#[doc(hidden)]
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod wit {
    wit_bindgen::generate!({
        path: "wit/v1.1",
        world: "scenario",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "remise_sdk::wit",
        additional_derives: [PartialEq],
    });
}

/// The generated bindings of `wit/v1` (feature `contract-1-0`; private to the SDK).
#[cfg(feature = "contract-1-0")]
#[doc(hidden)]
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod wit {
    wit_bindgen::generate!({
        path: "wit/v1",
        world: "scenario",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "remise_sdk::wit",
        additional_derives: [PartialEq],
    });
}

/// The contract version this build of the plugin implements: `1.1.0`, or `1.0.0` with the
/// feature `contract-1-0`.
#[cfg(not(feature = "contract-1-0"))]
pub const CONTRACT: &str = "1.1.0";
/// The contract version this build of the plugin implements: `1.1.0`, or `1.0.0` with the
/// feature `contract-1-0`.
#[cfg(feature = "contract-1-0")]
pub const CONTRACT: &str = "1.0.0";

pub use basket::{Basket, Context, Customer, Line};
/// The date library of the SDK's API (`NaiveDate` for birthdates, local dates, purchases).
pub use chrono;
pub use params::ParamProblem;
pub use rust_decimal::Decimal;
/// What a scenario proposes: contract 1.1's effect (1.0's, plus `SpendPoints` and
/// `IssueReward`). Build it with [`effects`].
#[cfg(not(feature = "contract-1-0"))]
pub use wit::remise::scenario::effects::{Effect, Reward};
/// What a scenario proposes: contract 1.0's effect. Build it with [`effects`].
#[cfg(feature = "contract-1-0")]
pub use wit::remise::scenario::types::Effect;
pub use wit::remise::scenario::types::{
    Discount, DiscountValue, Gift, LineTarget, ScenarioError, Target,
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
    #[cfg(not(feature = "contract-1-0"))]
    pub use crate::customer::{self, ItemKind};
    pub use crate::effects;
    pub use crate::limits;
    pub use crate::money::{self, percent_of};
    pub use crate::{Effect, ParamProblem, Scenario, ScenarioError};
    pub use chrono::NaiveDate;
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
