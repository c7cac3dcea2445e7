//! Remise: an omnichannel promotion engine whose scenarios are sandboxed WebAssembly
//! components.
//!
//! A tour, from the ground floor up; each floor imports only the ones below it
//! (`host/tests/layers.rs` checks it):
//!
//! - [`model`] (the `remise-model` crate, `model/`, re-exported here with [`money`] and
//!   [`json_pointer`]): what Remise talks about: the basket ([`model::Basket`], its lines and
//!   customer), the campaign, the effects a plugin proposes, a group's policy, what
//!   campaigns have used, coupon codes; and their checks, each problem named by a JSON
//!   pointer ([`json_pointer`]): a JSON body read strictly ([`model::body`]), a plugin's
//!   answer ([`model::proposal`]), a campaign's params against its plugin's schema
//!   ([`model::params_schema`]). `fuzz/` fuzzes these three. [`auth`] hashes and makes API keys. [`clock`] is the
//!   server's clock, which commits are priced at.
//! - [`money`]: exact amounts from the applied effects: clamping, allocation of order
//!   discounts with the remainder rule, rounding to the currency's minor unit
//!   ([`money::currency`], ISO 4217), totals (docs/money.md).
//! - [`runtime`]: the sandbox. Loads plugin components, checks them against the world
//!   `remise:scenario@1.0.0` (`sdk/wit/v1`), and runs them in a fresh store per evaluation
//!   under fuel, memory, deadline and output limits; [`runtime::encode`] lowers a basket
//!   into the WIT's flat shape once per evaluation; [`runtime::effects`] hands what a
//!   plugin answered to [`model::proposal`]'s checks. [`catalogue`] embeds the
//!   six plugins of `plugins/`, built from source by `build.rs`.
//! - [`engine`]: one evaluation in five named stages: [`engine::select`] (the prefilter),
//!   [`engine::run`] (plugins), [`engine::settle`] (conflicts and budgets), price
//!   ([`money`]), [`engine::answer`]. [`metrics`] counts what they do.
//! - [`store`]: campaigns (with revisions), groups, keys, coupons, redemptions and plugin
//!   versions, in SQLite or PostgreSQL, migrated on start.
//! - [`delivery`]: the webhook worker: the outbox's events fanned out to subscribed
//!   endpoints and POSTed, signed ([`delivery::sign`]), retried, dead-lettered; the
//!   addresses deliveries may not reach ([`delivery::destination`]).
//! - [`registry`]: every loaded plugin version, the version unpinned campaigns follow,
//!   loading the catalogue, the plugin folder and uploaded versions through the
//!   compiled-code cache ([`registry::cache`]); the watched folder ([`registry::watch`]);
//!   how every write reaches the other hosts on one database ([`registry::propagation`]).
//! - [`service`]: campaigns checked against their plugin and stored, one file per
//!   resource (campaigns, groups, keys, redemptions, coupons, stats, plugin uploads), the
//!   [`service`]'s evaluator (snapshot, usage, evaluation threads), and what a catch-up
//!   with other hosts reloads.
//! - [`api`]: the HTTP API v1 over axum: the HTTP bodies, one route table, bearer keys and
//!   roles, problem+json errors with JSON pointers, the OpenAPI document, the edge layers
//!   (request ids, access log, timeout, panics, compression) and the console's files.
//! - [`serve`] runs `remise serve` (store, plugins, admin key, then the API until a bounded
//!   graceful shutdown); [`cli`] parses every command; [`logging`] sets up `tracing`.
#![warn(missing_docs)]

pub use remise_model as model;
pub use remise_model::{json_pointer, money};

pub mod api;
pub mod auth;
pub mod catalogue;
pub mod cli;
pub mod clock;
pub mod delivery;
pub mod engine;
pub mod javascript;
pub mod logging;
pub mod metrics;
pub mod registry;
pub mod runtime;
pub mod scaffold;
pub mod serve;
pub mod service;
pub mod simulate;
pub mod store;
