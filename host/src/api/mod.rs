//! The HTTP API v1 of docs/api.md, over axum: [`app`] builds the whole router from one table,
//! [`ROUTES`] (method, path, roles, handler), which the OpenAPI test checks too, and adds
//! the marketing console's files ([`console`]), which are no part of the API: not in
//! [`ROUTES`], not in the OpenAPI document, no key.
//!
//! - [`json`]: the JSON body extractor; every serde error is a 400 or 422 naming the field
//!   by its JSON pointer; a body over the limit is a 413, one not declared JSON a 415.
//! - [`admission`]: how many requests are in progress at once (commits in a lane of their
//!   own, health routes free), 503 with `Retry-After` beyond.
//! - [`auth`]: `Authorization: Bearer <key>` and the roles each route accepts.
//! - [`problem`]: every error as `application/problem+json` (RFC 9457).
//! - [`edge`]: request ids, the access log, the request timeout, panics as 500s,
//!   compression, sensitive headers (tower-http).
//! - [`openapi`]: the OpenAPI 3.1 document served at `GET /openapi.json`, and its
//!   browsable view at `GET /docs` (Swagger UI, no key, no part of the API either);
//!   [`schemas`]: the schemas of its bodies.
//! - [`metrics`]: `GET /metrics`, and the middleware that counts and times every request
//!   by route template.
//! - [`console`]: the marketing console (`GET /`, `/assets/…`), built from `web/` by
//!   `build.rs` and embedded in the binary.
//!
//! Handlers are thin: they parse, call [`Service`], and answer.

pub mod admission;
pub mod auth;
mod campaigns;
pub mod console;
pub mod coupons;
mod customer_account;
mod customer_files;
mod customers;
mod distributions;
pub mod edge;
pub mod evaluate;
pub mod extract;
mod groups;
mod health;
mod journal;
pub mod json;
mod keys;
mod me;
mod metrics;
pub mod openapi;
mod plugins;
pub mod problem;
mod redemptions;
mod returns;
mod revisions;
pub mod schemas;
mod shadows;
mod simulations;
mod stats;
pub mod stores;
mod track;
mod webhooks;

use crate::auth::Role;
use crate::model::basket::DEFAULT_MAX_LINES;
use crate::service::Service;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use problem::{ApiError, ProblemKind};
use std::sync::Arc;

/// Limits on what a request may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiLimits {
    /// The largest body accepted, in bytes (413 beyond); 1 MiB by default.
    pub max_body_bytes: usize,
    /// The most lines a basket may have (422 beyond); 1,000 by default.
    pub max_lines: usize,
    /// The longest a request may take before it is answered 503; 30 s by default.
    pub request_timeout: std::time::Duration,
    /// Requests in progress at once, commits and health checks apart; 512 by default.
    pub max_requests_in_flight: usize,
    /// Commits and cancels in progress at once (they run one at a time; the others wait
    /// their turn); 256 by default.
    pub max_commits_in_flight: usize,
    /// How long a request beyond those limits waits for a slot before it is answered 503
    /// with `Retry-After`; 1 s by default.
    pub queue_timeout: std::time::Duration,
}

impl Default for ApiLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            max_lines: DEFAULT_MAX_LINES,
            request_timeout: std::time::Duration::from_secs(30),
            max_requests_in_flight: 512,
            max_commits_in_flight: 256,
            queue_timeout: std::time::Duration::from_secs(1),
        }
    }
}

/// What every handler sees.
#[derive(Clone)]
pub(crate) struct AppState {
    service: Arc<Service>,
    limits: ApiLimits,
}

/// The HTTP methods the API routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// `GET` (and `HEAD`).
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Verb {
    /// The method's name, such as `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Patch => MethodFilter::PATCH,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// One route: method, path (axum and OpenAPI syntax alike), the roles it accepts (`None`:
/// no key; `admin` is always accepted), and its handler for that method.
pub(crate) struct Route {
    pub method: Verb,
    pub path: &'static str,
    pub roles: Option<&'static [Role]>,
    pub handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

const fn route(
    method: Verb,
    path: &'static str,
    roles: Option<&'static [Role]>,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        roles,
        handler,
    }
}

const CHANNEL: Option<&[Role]> = Some(&[Role::Channel]);
const MARKETING: Option<&[Role]> = Some(&[Role::Marketing]);
const OPS: Option<&[Role]> = Some(&[Role::Ops]);
/// Store nodes at the centre (docs/store-nodes.md).
const STORE: Option<&[Role]> = Some(&[Role::Store]);
/// Evaluate: channels, and marketing's "try a basket" in the console (it changes nothing).
const CHANNEL_OR_MARKETING: Option<&[Role]> = Some(&[Role::Channel, Role::Marketing]);
/// Catalogue reads: marketing picks plugins for campaigns, ops sees what is loaded.
const MARKETING_OR_OPS: Option<&[Role]> = Some(&[Role::Marketing, Role::Ops]);
/// Admin keys only (`admin` may use every route, even one that lists no role).
const ADMIN: Option<&[Role]> = Some(&[]);
/// Any valid key.
const ANY_KEY: Option<&[Role]> = Some(&Role::ALL);

/// Every route the API serves. [`app`] routes exactly these (and, apart, the console's
/// files, which [`console::routable`] keeps off every path here); the OpenAPI test checks
/// the document describes exactly these.
pub(crate) const ROUTES: &[Route] = &[
    route(Verb::Post, "/v1/evaluate", CHANNEL_OR_MARKETING, |m| {
        on(m, evaluate::evaluate)
    }),
    route(Verb::Post, "/v1/redemptions", CHANNEL, |m| {
        on(m, redemptions::redeem)
    }),
    route(Verb::Delete, "/v1/redemptions/{order_id}", CHANNEL, |m| {
        on(m, redemptions::cancel)
    }),
    route(
        Verb::Post,
        "/v1/redemptions/{order_id}/returns",
        CHANNEL_OR_MARKETING,
        |m| on(m, returns::create),
    ),
    route(
        Verb::Get,
        "/v1/redemptions/{order_id}/returns",
        CHANNEL_OR_MARKETING,
        |m| on(m, returns::list),
    ),
    route(Verb::Get, "/v1/campaigns", MARKETING, |m| {
        on(m, campaigns::list)
    }),
    route(Verb::Post, "/v1/campaigns", MARKETING, |m| {
        on(m, campaigns::create)
    }),
    route(Verb::Get, "/v1/campaigns/{id}", MARKETING, |m| {
        on(m, campaigns::get)
    }),
    route(Verb::Put, "/v1/campaigns/{id}", MARKETING, |m| {
        on(m, campaigns::replace)
    }),
    route(Verb::Patch, "/v1/campaigns/{id}", MARKETING, |m| {
        on(m, campaigns::patch)
    }),
    route(Verb::Delete, "/v1/campaigns/{id}", MARKETING, |m| {
        on(m, campaigns::delete)
    }),
    route(Verb::Post, "/v1/campaigns/{id}/activate", MARKETING, |m| {
        on(m, campaigns::activate)
    }),
    route(Verb::Post, "/v1/campaigns/{id}/pause", MARKETING, |m| {
        on(m, campaigns::pause)
    }),
    route(Verb::Post, "/v1/campaigns/{id}/end", MARKETING, |m| {
        on(m, campaigns::end)
    }),
    route(
        Verb::Get,
        "/v1/journal/{evaluation_id}",
        MARKETING_OR_OPS,
        |m| on(m, journal::get),
    ),
    route(
        Verb::Get,
        "/v1/journal/orders/{order_id}",
        MARKETING_OR_OPS,
        |m| on(m, journal::order),
    ),
    route(
        Verb::Post,
        "/v1/journal/{evaluation_id}/replay",
        MARKETING_OR_OPS,
        |m| on(m, journal::replay),
    ),
    route(Verb::Get, "/v1/campaigns/{id}/revisions", MARKETING, |m| {
        on(m, revisions::list)
    }),
    route(
        Verb::Get,
        "/v1/campaigns/{id}/revisions/{revision}",
        MARKETING,
        |m| on(m, revisions::get),
    ),
    route(Verb::Get, "/v1/campaigns/{id}/diff", MARKETING, |m| {
        on(m, revisions::diff)
    }),
    route(Verb::Get, "/v1/campaigns/{id}/stats", MARKETING, |m| {
        on(m, stats::stats)
    }),
    route(Verb::Post, "/v1/campaigns/{id}/coupons", MARKETING, |m| {
        on(m, coupons::create)
    }),
    route(Verb::Get, "/v1/campaigns/{id}/coupons", MARKETING, |m| {
        on(m, coupons::list)
    }),
    route(
        Verb::Post,
        "/v1/campaigns/{id}/distributions",
        MARKETING,
        |m| {
            on(m, distributions::create).layer(DefaultBodyLimit::max(distributions::MAX_BODY_BYTES))
        },
    ),
    route(
        Verb::Get,
        "/v1/campaigns/{id}/distributions",
        MARKETING,
        |m| on(m, distributions::report),
    ),
    route(
        Verb::Get,
        "/v1/campaigns/{id}/distributions.csv",
        MARKETING,
        |m| on(m, distributions::csv),
    ),
    route(Verb::Get, "/v1/groups", MARKETING, |m| on(m, groups::list)),
    route(Verb::Get, "/v1/groups/{name}", MARKETING, |m| {
        on(m, groups::get)
    }),
    route(Verb::Put, "/v1/groups/{name}", MARKETING, |m| {
        on(m, groups::put)
    }),
    route(Verb::Get, "/v1/plugins", MARKETING_OR_OPS, |m| {
        on(m, plugins::list)
    }),
    route(Verb::Get, "/v1/plugins/{name}", MARKETING_OR_OPS, |m| {
        on(m, plugins::get)
    }),
    route(Verb::Put, "/v1/plugins/{name}", OPS, |m| {
        on(m, plugins::upload)
    }),
    route(Verb::Post, "/v1/plugins/{name}/rollback", OPS, |m| {
        on(m, plugins::rollback)
    }),
    route(Verb::Put, "/v1/plugins/{name}/limits", OPS, |m| {
        on(m, plugins::set_limits)
    }),
    route(
        Verb::Get,
        "/v1/plugins/{name}/shadow",
        MARKETING_OR_OPS,
        |m| on(m, shadows::report),
    ),
    route(Verb::Put, "/v1/plugins/{name}/shadow", OPS, |m| {
        on(m, shadows::start)
    }),
    route(Verb::Delete, "/v1/plugins/{name}/shadow", OPS, |m| {
        on(m, shadows::end)
    }),
    route(Verb::Post, "/v1/plugins/{name}/shadow/promote", OPS, |m| {
        on(m, shadows::promote)
    }),
    route(Verb::Post, "/v1/simulations", MARKETING_OR_OPS, |m| {
        on(m, simulations::start).layer(DefaultBodyLimit::max(simulations::MAX_BODY_BYTES))
    }),
    route(Verb::Get, "/v1/simulations", MARKETING_OR_OPS, |m| {
        on(m, simulations::list)
    }),
    route(Verb::Get, "/v1/simulations/{id}", MARKETING_OR_OPS, |m| {
        on(m, simulations::get)
    }),
    route(
        Verb::Post,
        "/v1/simulations/{id}/cancel",
        MARKETING_OR_OPS,
        |m| on(m, simulations::cancel),
    ),
    route(
        Verb::Delete,
        "/v1/plugins/{name}/versions/{version}",
        OPS,
        |m| on(m, plugins::delete_version),
    ),
    route(Verb::Get, "/v1/customers", MARKETING, |m| {
        on(m, customers::list)
    }),
    route(Verb::Get, "/v1/customers/{id}", MARKETING, |m| {
        on(m, customers::get)
    }),
    route(
        Verb::Get,
        "/v1/customers/{id}/offers",
        CHANNEL_OR_MARKETING,
        |m| on(m, customer_account::offers),
    ),
    route(
        Verb::Get,
        "/v1/customers/{id}/points",
        CHANNEL_OR_MARKETING,
        |m| on(m, customer_account::points),
    ),
    route(Verb::Get, "/v1/customers/{id}/orders", MARKETING, |m| {
        on(m, customer_account::orders)
    }),
    route(Verb::Put, "/v1/customers/{id}", MARKETING, |m| {
        on(m, customers::put)
    }),
    route(Verb::Patch, "/v1/customers/{id}", MARKETING, |m| {
        on(m, customers::patch)
    }),
    route(Verb::Delete, "/v1/customers/{id}", MARKETING, |m| {
        on(m, customers::erase)
    }),
    route(Verb::Post, "/v1/imports/customers", MARKETING, |m| {
        on(m, customer_files::import)
    }),
    route(Verb::Get, "/v1/exports/customers", MARKETING, |m| {
        on(m, customer_files::export)
    }),
    route(Verb::Get, "/v1/me", ANY_KEY, |m| on(m, me::me)),
    route(Verb::Post, "/v1/keys", ADMIN, |m| on(m, keys::create)),
    route(Verb::Get, "/v1/keys", ADMIN, |m| on(m, keys::list)),
    route(Verb::Delete, "/v1/keys/{id}", ADMIN, |m| {
        on(m, keys::revoke)
    }),
    route(Verb::Get, "/healthz", None, |m| on(m, health::healthz)),
    route(Verb::Get, "/readyz", None, |m| on(m, health::readyz)),
    route(Verb::Get, "/openapi.json", None, |m| {
        on(m, openapi::document)
    }),
    route(Verb::Get, "/metrics", OPS, |m| on(m, metrics::metrics)),
    route(Verb::Post, "/v1/webhooks", OPS, |m| on(m, webhooks::create)),
    route(Verb::Get, "/v1/webhooks", OPS, |m| on(m, webhooks::list)),
    route(Verb::Get, "/v1/webhooks/{id}", OPS, |m| {
        on(m, webhooks::get)
    }),
    route(Verb::Delete, "/v1/webhooks/{id}", OPS, |m| {
        on(m, webhooks::delete)
    }),
    route(Verb::Get, "/v1/webhooks/{id}/deliveries", OPS, |m| {
        on(m, webhooks::deliveries)
    }),
    route(
        Verb::Post,
        "/v1/webhooks/{id}/deliveries/{event_id}/retry",
        OPS,
        |m| on(m, webhooks::retry),
    ),
    route(Verb::Post, "/v1/webhooks/{id}/retry", OPS, |m| {
        on(m, webhooks::retry_all)
    }),
    route(Verb::Get, "/v1/stores", OPS, |m| on(m, stores::list)),
    route(Verb::Get, "/v1/stores/{store}/feed", STORE, |m| {
        on(m, stores::feed)
    }),
    route(
        Verb::Get,
        "/v1/stores/{store}/components/{sha256}",
        STORE,
        |m| on(m, stores::component),
    ),
    route(Verb::Get, "/v1/stores/{store}/customers", STORE, |m| {
        on(m, stores::customers)
    }),
    route(Verb::Post, "/v1/stores/{store}/orders", STORE, |m| {
        on(m, stores::orders)
    }),
    route(Verb::Post, "/v1/stores/{store}/leases", STORE, |m| {
        on(m, stores::lease)
    }),
    route(Verb::Post, "/v1/stores/{store}/leases/renew", STORE, |m| {
        on(m, stores::renew)
    }),
];

/// The whole API over `service`: every route of [`ROUTES`] behind its roles, the console's
/// files ([`console::routes`]), the document's browsable view ([`openapi::docs`]), problem+json for unknown routes (404) and methods (405),
/// the body limit of `limits`, and every request counted and timed for `GET /metrics` (the
/// process's recorder is installed on first call).
pub fn app(service: Arc<Service>, limits: ApiLimits) -> Router {
    crate::metrics::install();
    let mut router = Router::new();
    let store_node = service.upstream().is_some();
    for route in ROUTES {
        let mut handler = (route.handler)(route.method.filter());
        if store_node && route.owned_by_centre() {
            handler = handler.route_layer(from_fn(refused_on_store_nodes));
        }
        if let Some(roles) = route.roles {
            let guard = auth::Guard {
                service: Arc::clone(&service),
                roles,
            };
            handler = handler.route_layer(from_fn_with_state(guard, auth::require));
        }
        router = router.route(route.path, handler);
    }
    let router = router
        .merge(console::routes())
        .merge(openapi::docs())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(from_fn(track::track))
        .with_state(AppState { service, limits })
        .layer(from_fn_with_state(
            admission::Admission::new(&limits),
            admission::admit,
        ));
    edge::wrap(router, limits.request_timeout)
}

impl Route {
    /// Whether this route changes what a store node copies from its centre (campaigns and
    /// their coupons, groups, plugins, customer profiles) or what the centre does for the
    /// stores (webhooks, told of the stores' orders there): a store node refuses it, since
    /// its copy would lose the change, or its webhooks tell twice.
    fn owned_by_centre(&self) -> bool {
        !matches!(self.method, Verb::Get)
            && [
                "/v1/campaigns",
                "/v1/groups",
                "/v1/plugins",
                "/v1/customers",
                "/v1/imports",
                "/v1/webhooks",
            ]
            .iter()
            .any(|prefix| self.path.starts_with(prefix))
    }
}

/// What a store node answers a write its centre owns.
async fn refused_on_store_nodes(
    request: axum::extract::Request,
    _next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    ApiError::from(crate::service::ServiceError::Conflict(format!(
        "this host is a store node: {} is changed at the centre, and copied here \
         (docs/store-nodes.md)",
        request.uri().path()
    )))
    .into_response()
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        ProblemKind::MethodNotAllowed,
        format!("{method} is not allowed on {}", uri.path()),
    )
}
