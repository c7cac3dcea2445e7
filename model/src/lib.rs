//! Remise's ground floor: what Remise talks about (a basket and its lines and customer, a
//! customer's stored profile and its CSV form, what a plugin may ask about a customer, a partial return, a campaign, an effect a plugin proposes, a
//! group's policy, what campaigns have used, a coupon, the ISO 4217 currencies, a plugin's
//! own limits), exact money, and the checks that need nothing but the values themselves: a
//! JSON body read strictly, an RFC 7396 merge patch, a plugin's answer, a campaign's params
//! against its plugin's schema. Every problem is named by a JSON pointer ([`json_pointer`]).
//!
//! It is its own crate so that it holds no I/O, no sandbox and no server (the host, which
//! imports it, holds those), and so `fuzz/` can build it in a minute: the fuzz targets
//! (`basket_json`, `effects`, `params`) run these checks on the fuzzer's bytes.

pub mod basket;
pub mod body;
pub mod campaign;
pub mod coupon;
pub mod currency;
pub mod customer;
pub mod customer_csv;
pub mod customer_data;
pub mod distribution;
pub mod effect;
pub mod field_problem;
pub mod json_pointer;
pub mod merge_patch;
pub mod money;
pub mod order_return;
pub mod params_schema;
pub mod plugin_limits;
pub mod policy;
pub mod proposal;
pub mod usage;
pub mod webhook;

pub use basket::{Basket, Customer, Line};
pub use campaign::Campaign;
pub use effect::Effect;
pub use field_problem::FieldProblem;
pub use policy::Policy;
pub use usage::Usage;
