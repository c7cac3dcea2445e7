//! Remise: an omnichannel promotion engine whose scenarios are sandboxed WebAssembly
//! components.
//!
//! A tour, in the order a basket flows through:
//!
//! - [`basket`]: the evaluate request channels send (SPEC.md), parsed and checked, every
//!   problem named by a JSON pointer.
//! - [`campaign`]: the campaign of SPEC.md (plugin, parameters, schedule, audience, limits),
//!   parsed strictly and validated; [`engine::prefilter`] decides natively which campaigns
//!   are candidates for a basket, and why the others are not.
//! - [`runtime`]: the sandbox. Loads plugin components, checks them against the world
//!   `remise:scenario@1.0.0` (`wit/v1`), and runs them in a fresh store per evaluation
//!   under fuel, memory, deadline and output limits; [`runtime::encode`] lowers the basket
//!   into the WIT's flat shape once per evaluation; [`runtime::effects`] checks what a
//!   plugin answered.
//! - [`money`]: exact amounts from the applied effects: clamping, allocation of order
//!   discounts with the remainder rule, rounding to the currency's minor unit
//!   ([`money::currency`], ISO 4217), totals.
//! - [`catalogue`]: the six scenario plugins of `plugins/`, built from source by
//!   `build.rs` and embedded in the binary.
//! - [`coupons`]: coupon codes: how they are written and generated (60 random bits of
//!   Crockford base32 after an optional prefix), and the bodies of the coupon routes.
//! - [`store`]: campaigns (with revisions, for stale-write checks), group policies and API
//!   keys, in the embedded SQLite file, created and migrated on first start.
//! - [`service`]: campaigns checked against their plugin and stored, the snapshot of live
//!   campaigns every evaluation reads, the catalogue, API keys ([`auth`]).
//! - [`api`]: the HTTP API v1 over axum: one route table, bearer keys and roles, JSON
//!   bodies whose every error is `application/problem+json` naming the field by its JSON
//!   pointer, and the OpenAPI 3.1 document.
//! - [`metrics`]: Prometheus metrics (`GET /metrics`): requests and latency by route,
//!   evaluations, plugin runs, fuel and failures, redemptions, plugin reloads.
//! - [`serve`]: `remise serve`: store, plugins, admin key, then the API until shutdown.
//! - [`cli`]: `remise serve`, `remise plugin run` and `remise plugin inspect`.
#![warn(missing_docs)]

pub mod api;
pub mod auth;
pub mod basket;
pub mod campaign;
pub mod catalogue;
pub mod cli;
pub mod coupons;
pub mod engine;
pub mod json_pointer;
pub mod metrics;
pub mod money;
pub mod runtime;
pub mod serve;
pub mod service;
pub mod store;
