//! The OpenAPI 3.1 description of every route (`GET /openapi.json`), built with utoipa from
//! the `#[utoipa::path]` of each handler, and its browsable view (`GET /docs`, Swagger UI,
//! embedded in the binary: [`docs`]). Bodies whose types live in the model, the engine or
//! the service (which know nothing of utoipa) are described field by field by the mirror
//! types of [`super::schemas`]; `tests/tests/suite/openapi_answers.rs` checks real answers of
//! every route against the document.
//!
//! A test checks that every route of [`super::ROUTES`] (what the router serves, beside the
//! console's files, which are no part of the API) is in the document, with the same method
//! and whether it needs a key, and the other way round. The 403 answer of each operation
//! names the roles [`super::ROUTES`] gives it, so the document cannot drift from the router.

use super::coupons::{CouponPage, CouponView, CouponsCreated, CouponsRequest};
use super::groups::{GroupBody, GroupView};
use super::health::Health;
use super::keys::{KeyCreated, KeyRequest, KeyView};
use super::me::Me;
use super::problem::{Problem, ProblemField};
use super::schemas;
use super::{
    auth, campaigns, coupons, customer_account, customer_files, customers, distributions, evaluate,
    groups, health, journal, keys, me, metrics, plugins, redemptions, returns, revisions, shadows,
    simulations, stats, stores, webhooks, ROUTES,
};
use crate::auth::Role;
use axum::http::header::{HeaderName, HeaderValue};
use axum::middleware::map_response;
use axum::response::Response;
use axum::Router;
use std::sync::LazyLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::Ref;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Remise",
        description = "Remise, an omnichannel promotion engine: HTTP API v1. Errors are \
                       application/problem+json (RFC 9457) with JSON pointers to the fields \
                       at fault."
    ),
    paths(
        evaluate::evaluate,
        redemptions::redeem,
        redemptions::cancel,
        returns::create,
        distributions::create,
        distributions::report,
        distributions::csv,
        returns::list,
        campaigns::list,
        campaigns::create,
        campaigns::get,
        campaigns::replace,
        campaigns::patch,
        campaigns::delete,
        campaigns::activate,
        campaigns::pause,
        campaigns::end,
        stats::stats,
        coupons::create,
        coupons::list,
        groups::list,
        groups::get,
        groups::put,
        plugins::list,
        plugins::get,
        plugins::upload,
        plugins::rollback,
        plugins::delete_version,
        plugins::set_limits,
        me::me,
        keys::create,
        keys::list,
        keys::revoke,
        customers::list,
        customers::get,
        customer_account::offers,
        customer_account::points,
        customer_account::orders,
        customers::put,
        customers::patch,
        customers::erase,
        customer_files::import,
        customer_files::export,
        health::healthz,
        health::readyz,
        metrics::metrics,
        journal::get,
        journal::replay,
        journal::order,
        revisions::list,
        revisions::get,
        revisions::diff,
        shadows::start,
        shadows::report,
        shadows::end,
        shadows::promote,
        simulations::start,
        simulations::list,
        simulations::get,
        simulations::cancel,
        webhooks::create,
        webhooks::list,
        webhooks::get,
        webhooks::delete,
        webhooks::deliveries,
        webhooks::retry,
        webhooks::retry_all,
        stores::list,
        stores::feed,
        stores::component,
        stores::customers,
        stores::orders,
        stores::lease,
        stores::renew,
        document,
    ),
    components(schemas(
        Problem,
        ProblemField,
        stores::StoreView,
        schemas::DecimalString,
        schemas::EvaluateRequest,
        schemas::Customer,
        schemas::Line,
        schemas::EvaluateResponse,
        schemas::LineResult,
        schemas::Trace,
        schemas::TraceLine,
        schemas::AppliedCampaign,
        schemas::PricedEffect,
        schemas::Target,
        schemas::LineTarget,
        schemas::DiscountValue,
        schemas::GiftResult,
        schemas::PointsResult,
        schemas::RewardResult,
        schemas::RejectedCampaign,
        schemas::Reason,
        schemas::CouponResult,
        schemas::CouponStatus,
        schemas::RedemptionRequest,
        schemas::RedemptionResponse,
        schemas::Cancelled,
        returns::ReturnBody,
        journal::JournalCampaign,
        journal::JournalEntry,
        journal::Replay,
        journal::OrderCampaign,
        journal::OrderEntry,
        revisions::RevisionSummary,
        revisions::RevisionList,
        revisions::Revision,
        revisions::ChangeView,
        revisions::DiffView,
        shadows::ShadowBody,
        shadows::ShadowReportView,
        shadows::ShadowDivergences,
        shadows::ShadowCost,
        shadows::ShadowExample,
        simulations::SimulationBody,
        simulations::BasketsBody,
        simulations::WindowBody,
        crate::service::SimulationView,
        crate::service::SourceView,
        crate::simulate::SimulationReport,
        crate::simulate::report::Totals,
        crate::simulate::report::CampaignOutcome,
        crate::simulate::report::Slice,
        webhooks::WebhookBody,
        webhooks::WebhookView,
        webhooks::WebhookCreated,
        webhooks::WebhookList,
        webhooks::DeliveryView,
        webhooks::DeliveryList,
        webhooks::Requeued,
        distributions::DistributionBody,
        distributions::DistributionDone,
        distributions::AssignedCode,
        distributions::SkippedCustomer,
        distributions::DistributionReport,
        distributions::ChannelConversion,
        returns::ReturnedLineBody,
        returns::ReturnAnswer,
        returns::RefundLine,
        returns::CampaignChange,
        returns::HeldPoints,
        returns::HeldGift,
        returns::OrderState,
        returns::HeldLine,
        returns::ReturnList,
        schemas::CampaignStats,
        schemas::ChannelStats,
        schemas::DayStats,
        schemas::Campaign,
        schemas::StoredCampaign,
        schemas::SetAside,
        schemas::SetAsideStatus,
        schemas::Status,
        schemas::Schedule,
        schemas::Weekday,
        schemas::HourRange,
        schemas::Audience,
        schemas::CampaignLimits,
        schemas::Period,
        schemas::CampaignMergePatch,
        schemas::Plugin,
        schemas::PluginVersion,
        schemas::PluginError,
        schemas::PluginLimits,
        schemas::PluginLimitsBody,
        schemas::PolicySchema,
        GroupView,
        GroupBody,
        CouponsRequest,
        CouponsCreated,
        CouponPage,
        CouponView,
        Me,
        Role,
        crate::auth::KeySource,
        KeyView,
        KeyCreated,
        KeyRequest,
        Health,
        customers::CustomerProfile,
        customers::CustomerConsentBody,
        customers::StoredCustomer,
        customers::CustomerConsent,
        customers::CustomerList,
        customers::CustomerErased,
        customer_files::CustomerImport,
        customer_files::ImportProblem,
        customer_account::Wallet,
        customer_account::WalletOffer,
        customer_account::WalletCode,
        customer_account::Points,
        customer_account::PointsLotView,
        customer_account::PointsSpendView,
        customer_account::CustomerOrders,
        customer_account::CustomerOrderView,
        customer_account::CustomerOrderLine,
        schemas::OpenApiDocument
    )),
    modifiers(&Security),
    tags(
        (name = "evaluate", description = "Price baskets (role channel or marketing)"),
        (name = "redemptions", description = "Commit and cancel orders (role channel); \
                                             return some of their lines (role channel or \
                                             marketing)"),
        (name = "campaigns", description = "Manage campaigns (role marketing)"),
        (name = "coupons", description = "Coupon codes of a campaign (role marketing)"),
        (name = "customers", description = "Customer profiles: read, write, erase, import, \
                                             export (role marketing); a customer's wallet of \
                                             offers and points (role channel or marketing)"),
        (name = "groups", description = "Exclusivity group policies (role marketing)"),
        (name = "plugins", description = "The plugin catalogue (reads: role marketing or ops; \
                                           uploads, rollbacks and deletes: role ops)"),
        (name = "keys", description = "The calling key (any key); creating, listing and \
                                        revoking keys (role admin)"),
        (name = "health", description = "Liveness and readiness (no key)"),
        (name = "ops", description = "Metrics (role ops)"),
        (name = "webhooks", description = "Events delivered to other tools: subscriptions, \
                                            deliveries and dead letters (role ops)"),
        (name = "journal", description = "The decision journal: sampled evaluations with \
                                           their baskets, answers and campaign revisions \
                                           (roles marketing and ops)"),
        (name = "simulations", description = "What-if simulations: draft campaigns priced \
         beside today's over real baskets (role marketing or ops)"),
        (name = "stores", description = "What store nodes copy from the centre and the orders \
                                          they hand back (role store; docs/store-nodes.md)"),
        (name = "meta", description = "This document (no key)"),
    )
)]
pub struct ApiDoc;

/// Adds the bearer scheme, and the 401, 403 and 503 answers of every operation that needs
/// a key.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "An API key: Authorization: Bearer <key>. Keys carry a role: channel, \
                 marketing, ops or admin (all).",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));

        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    super::problem::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                if operation.security.as_ref().is_none_or(Vec::is_empty) {
                    continue;
                }
                let forbidden = match roles(path, method) {
                    Some(roles) if every_role(roles) => None,
                    Some(roles) => Some(format!(
                        "The key's role is not accepted: this route needs {} (admin may \
                         use every route)",
                        auth::needed(roles)
                    )),
                    None => Some("The key's role does not allow this route".to_string()),
                };
                let responses = &mut operation.responses.responses;
                for (status, description) in [
                    (
                        "401",
                        Some("No key, a malformed Authorization header, or an unknown key"),
                    ),
                    ("403", forbidden.as_deref()),
                    ("503", Some("The database cannot be reached")),
                ] {
                    let Some(description) = description else {
                        continue;
                    };
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(description).into());
                }
            }
        }
    }
}

/// The operations of a path item that the API uses, each with its method.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", &mut item.get),
        ("POST", &mut item.post),
        ("PUT", &mut item.put),
        ("PATCH", &mut item.patch),
        ("DELETE", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|o| (method, o)))
}

/// Whether a route accepting `roles` accepts every key (it then never answers 403).
fn every_role(roles: &[Role]) -> bool {
    Role::ALL.iter().all(|role| role.allows_any(roles))
}

/// The roles [`ROUTES`] gives `method path`, if it routes it with a key check.
fn roles(path: &str, method: &str) -> Option<&'static [Role]> {
    ROUTES
        .iter()
        .find(|route| route.path == path && route.method.as_str() == method)
        .and_then(|route| route.roles)
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

/// The OpenAPI document
///
/// This OpenAPI 3.1 description of every route.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "This document", body = schemas::OpenApiDocument))
)]
pub(crate) async fn document() -> axum::Json<&'static utoipa::openapi::OpenApi> {
    axum::Json(&DOCUMENT)
}

/// The document `GET /openapi.json` serves, as pretty JSON: `web/openapi.json`, from which
/// the console's typed client is generated, is this text.
pub fn document_json() -> String {
    serde_json::to_string_pretty(&*DOCUMENT).unwrap_or_default()
}

/// Where the browsable view of the document is: `GET /docs` redirects to `/docs/`, the page;
/// its files are under `/docs/`.
pub const DOCS: &str = "/docs";

/// What the browsable view may load and run: only its own files (Swagger UI's, embedded in
/// the binary: nothing comes from a CDN), and `connect-src 'self'` for the document and
/// "Try it out". Swagger UI's page has no inline script; React sets `style` attributes.
pub const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The route templates of the browsable view, as [`docs`] routes them (metrics count its
/// requests under these).
pub const DOCS_ROUTES: [&str; 3] = ["/docs", "/docs/", "/docs/{*rest}"];

/// Whether `path` is the browsable view's (the console may not route a file there).
pub fn is_docs_path(path: &str) -> bool {
    path == DOCS || path.starts_with("/docs/")
}

/// `GET /docs`: Swagger UI over `/openapi.json`, no key (as the document itself), its files
/// vendored in `utoipa-swagger-ui` and embedded in the binary, so the page works without
/// any network but this server's. No part of the API: not in [`ROUTES`] nor in the
/// document. Every answer carries [`DOCS_CONTENT_SECURITY_POLICY`] and the console's other
/// security headers.
pub fn docs<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let config = Config::from("/openapi.json")
        // No badge fetched from validator.swagger.io.
        .validator_url("none")
        .display_request_duration(true)
        .persist_authorization(false);
    Router::from(SwaggerUi::new(DOCS).config(config)).layer(map_response(docs_headers))
}

async fn docs_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let security = [
        ("content-security-policy", DOCS_CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ];
    for (name, value) in security {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(ApiDoc::openapi()).expect("the document serializes")
    }

    #[test]
    fn the_document_is_openapi_3_1() {
        let doc = document();
        assert!(doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")));
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn every_route_of_the_router_is_in_the_document_and_only_those() {
        let doc = document();
        let mut missing = Vec::new();
        for route in ROUTES {
            let operation = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
            if !operation.is_object() {
                missing.push(format!("{} {}", route.method.as_str(), route.path));
                continue;
            }
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            assert_eq!(
                secured,
                route.roles.is_some(),
                "{} {}: security in the document does not match the router",
                route.method.as_str(),
                route.path
            );
            if let Some(roles) = route.roles {
                assert!(operation["responses"]["401"].is_object());
                if every_role(roles) {
                    assert!(operation["responses"]["403"].is_null());
                    continue;
                }
                let forbidden = operation["responses"]["403"]["description"]
                    .as_str()
                    .unwrap_or_default();
                assert!(
                    forbidden.contains(&auth::needed(roles)),
                    "{} {}: the 403 does not name the roles: {forbidden}",
                    route.method.as_str(),
                    route.path
                );
            }
        }
        assert!(
            missing.is_empty(),
            "routes missing from the OpenAPI document: {missing:?}"
        );

        let mut extra = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                let routed = ROUTES
                    .iter()
                    .any(|r| r.path == path && r.method.as_str().eq_ignore_ascii_case(method));
                if !routed && method != "parameters" {
                    extra.push(format!("{method} {path}"));
                }
            }
        }
        assert!(extra.is_empty(), "documented but not routed: {extra:?}");
    }

    #[test]
    fn the_document_names_no_file_outside_the_repository() {
        let text = document().to_string();
        assert!(!text.contains("SPEC.md"), "the document mentions SPEC.md");
    }

    #[test]
    fn request_bodies_refuse_unknown_fields_as_the_server_does() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        for name in [
            "EvaluateRequest",
            "RedemptionRequest",
            "Customer",
            "Line",
            "Campaign",
            "Schedule",
            "HourRange",
            "Audience",
            "CampaignLimits",
            "GroupBody",
            "CouponsRequest",
            "PluginLimitsBody",
            "CustomerProfile",
            "CustomerConsentBody",
            "ReturnBody",
            "DistributionBody",
            "ReturnedLineBody",
        ] {
            assert_eq!(
                schemas[name]["additionalProperties"],
                Value::Bool(false),
                "{name} does not refuse unknown fields"
            );
        }
    }

    /// The property names of component `name`.
    fn properties(doc: &Value, name: &str) -> Vec<String> {
        let mut names: Vec<String> = doc["components"]["schemas"][name]["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn bodies_built_from_others_have_their_fields_and_theirs_only() {
        let doc = document();
        for (name, base, extra) in [
            ("RedemptionRequest", "EvaluateRequest", &["order_id"][..]),
            ("RedemptionResponse", "EvaluateResponse", &["order_id"][..]),
            (
                "StoredCampaign",
                "Campaign",
                &["created_at", "revision", "set_aside", "updated_at"][..],
            ),
        ] {
            let mut expected = properties(&doc, base);
            assert!(!expected.is_empty(), "{base} has no properties");
            expected.extend(extra.iter().map(|field| field.to_string()));
            expected.sort();
            assert_eq!(properties(&doc, name), expected, "{name}");
        }
    }

    /// Whether `instance` is valid against `schema`, a schema of the document (its `$ref`s
    /// resolved in the document's `components`); the problems when not.
    fn check(doc: &Value, schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
        let mut root = schema.as_object().cloned().unwrap_or_default();
        root.insert("components".into(), doc["components"].clone());
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .expect("the schema compiles");
        let problems: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    #[test]
    fn every_example_is_valid_against_its_schema() {
        let doc = document();
        let mut checked = 0;
        for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
            let mut examples = vec![(name.clone(), schema)];
            for (field, property) in schema["properties"].as_object().into_iter().flatten() {
                examples.push((format!("{name}.{field}"), property));
            }
            for (what, schema) in examples {
                if let Some(example) = schema.get("example") {
                    let valid = check(&doc, schema, example);
                    assert!(valid.is_ok(), "the example of {what}: {valid:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 20, "only {checked} examples");
    }

    /// `web/openapi.json`, from which the console's typed client is generated.
    fn web_copy() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/openapi.json")
    }

    #[test]
    fn the_console_copy_of_the_document_is_up_to_date() {
        let copy = std::fs::read_to_string(web_copy()).unwrap_or_default();
        assert!(
            copy.trim_end() == document_json(),
            "web/openapi.json is not the document: run `cargo test --release -p remise --lib \
             api::openapi::tests::write_the_console_copy -- --ignored` and commit it"
        );
    }

    #[test]
    #[ignore = "writes web/openapi.json"]
    fn write_the_console_copy() {
        std::fs::write(web_copy(), format!("{}\n", document_json()))
            .expect("web/openapi.json is writable");
    }

    #[test]
    fn every_schema_referenced_is_defined() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for piece in text.split("\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap_or_default();
            assert!(
                schemas.contains_key(name),
                "{name} is referenced, not defined"
            );
        }
    }
}
