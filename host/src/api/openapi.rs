//! The OpenAPI 3.1 description of every route (`GET /openapi.json`), built with utoipa from
//! the `#[utoipa::path]` of each handler. Bodies whose types live in other modules (the
//! basket, the campaign, the evaluate response, the catalogue) are described as objects
//! with a description pointing to SPEC.md rather than field by field.
//!
//! A test checks that every route of [`super::ROUTES`] (what the router serves, beside the
//! console's files, which are no part of the API) is in the document, with the same method
//! and whether it needs a key, and the other way round. The 403 answer of each operation
//! names the roles [`super::ROUTES`] gives it, so the document cannot drift from the router.

use super::problem::{Problem, ProblemField};
use super::{
    auth, campaigns, coupons, evaluate, groups, health, me, metrics, plugins, redemptions, stats,
    ROUTES,
};
use crate::auth::Role;
use crate::coupons::{CouponPage, CouponView, CouponsCreated, CouponsRequest};
use crate::engine::resolve::Policy;
use std::borrow::Cow;
use std::sync::LazyLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Ref, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

/// Declares a documentation-only schema: an object named `$name` with a description.
macro_rules! described_object {
    ($(#[$doc:meta])* $type:ident, $name:literal, $description:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $type;

        impl PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some($description))
                    .into()
            }
        }

        impl ToSchema for $type {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

described_object!(
    /// The schema of [`crate::basket::EvaluateRequest`].
    EvaluateRequestSchema,
    "EvaluateRequest",
    "A basket to price (SPEC.md \"Evaluate: request\"): `currency` (ISO 4217), `channel`, \
     `lines` [{`id`, `sku`, `quantity` (positive integer), `unit_price` (decimal string), \
     `categories`, `brand`, `attributes`}] are required; `store`, `at` (RFC 3339, now when \
     absent), `customer` {`id`, `loyalty_tier`, `segments`, `birthdate`, `attributes`}, \
     `coupons` and `explain` (list the campaigns the prefilter set aside) are optional. \
     Unknown fields are refused."
);

described_object!(
    /// The schema of [`crate::engine::response::EvaluateResponse`].
    EvaluateResponseSchema,
    "EvaluateResponse",
    "A priced basket (SPEC.md \"Evaluate: response\"): `evaluation_id`, `currency`, \
     `subtotal`, `discount_total`, `total` (decimal strings), `lines` [{`id`, `subtotal`, \
     `discount`, `total`}], `applied` [{`campaign`, `plugin`, `discount`, `effects`, \
     `messages`, `coupon` (the code it took, if any)}], `gifts` [{`campaign`, `sku`, \
     `quantity`}], `points` [{`campaign`, `points`}], `rejected` [{`campaign`, `reason`, \
     `detail`}], and when the basket has coupon codes `coupons` [{`code`, `status` \
     (applied, not_applied, unknown, expired, used_up), `campaign`}]."
);

described_object!(
    /// The schema of a commit's body.
    RedemptionRequestSchema,
    "RedemptionRequest",
    "An order to commit: `order_id` (1 to 128 bytes, the channel's id of the order; the \
     key of idempotency) and every field of an EvaluateRequest beside it."
);

described_object!(
    /// The schema of a commit's answer.
    RedemptionResponseSchema,
    "RedemptionResponse",
    "The committed order: `order_id` and every field of an EvaluateResponse, with what \
     each applied campaign took from its budget."
);

described_object!(
    /// The schema of [`crate::service::Cancelled`].
    CancelledSchema,
    "Cancelled",
    "A cancelled order: `order_id` and `cancelled_at` (RFC 3339)."
);

described_object!(
    /// The schema of [`crate::service::CampaignStats`].
    CampaignStatsSchema,
    "CampaignStats",
    "A campaign's stats: `campaign`, `evaluations`, `applications`, `redemptions`, \
     `currency` (of its redemptions; absent before the first), `discount_granted`, \
     `budget` and `budget_left`, `redemptions_cap` and `redemptions_left` (each when it \
     has one), `objective_met`, `by_channel` [{`channel`, `redemptions`, `discount`}] and \
     `by_day` [{`date`, `redemptions`, `discount`}], days in the campaign's timezone."
);

described_object!(
    /// The schema of [`crate::campaign::Campaign`].
    CampaignSchema,
    "Campaign",
    "A campaign (SPEC.md \"Campaign\"): `id`, `name`, `plugin` and `params` (checked \
     against the plugin's parameter schema) are required; `plugin_version` (latest when \
     absent), `status` (draft, active, paused, ended), `schedule`, `audience`, \
     `coupon_required`, `priority`, `group`, `exclusive` and `limits` are optional. \
     Unknown fields are refused."
);

described_object!(
    /// The schema of [`crate::service::CampaignView`].
    CampaignViewSchema,
    "StoredCampaign",
    "A stored campaign: every field of a Campaign, plus `revision` (1 when created, one \
     more per write; send it back in If-Match), `created_at` and `updated_at`."
);

described_object!(
    /// The schema of a JSON merge patch of a campaign.
    MergePatchSchema,
    "CampaignMergePatch",
    "An RFC 7396 JSON merge patch of a Campaign: members given replace, `null` removes, \
     objects merge. The patched campaign is checked as a whole."
);

described_object!(
    /// The schema of [`crate::service::PluginView`].
    PluginSchema,
    "Plugin",
    "A plugin of the catalogue: `name`, `latest` (the version campaigns without a pin run \
     on) and `versions` [{`version`, `sha256`, `size_bytes`, `description`, \
     `params_schema` (a JSON Schema)}]."
);

described_object!(
    /// The schema of this document.
    OpenApiSchema,
    "OpenApiDocument",
    "This OpenAPI 3.1 document."
);

/// The schema of [`Policy`]: one of its JSON names.
#[derive(Clone, Copy, Debug)]
pub struct PolicySchema;

impl PartialSchema for PolicySchema {
    fn schema() -> RefOr<Schema> {
        let names = [
            Policy::BestForCustomer,
            Policy::BestForMerchant,
            Policy::Priority,
        ]
        .map(Policy::as_str);
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .description(Some(
                "How an exclusivity group picks its one campaign: best_for_customer (largest \
                 discount), best_for_merchant (smallest discount) or priority (lowest \
                 priority number).",
            ))
            .into()
    }
}

impl ToSchema for PolicySchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Policy")
    }
}

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
        me::me,
        health::healthz,
        health::readyz,
        metrics::metrics,
        document,
    ),
    components(schemas(
        Problem,
        ProblemField,
        PolicySchema,
        CouponsRequest,
        CouponsCreated,
        CouponPage,
        CouponView
    )),
    modifiers(&Security),
    tags(
        (name = "evaluate", description = "Price baskets (role channel or marketing)"),
        (name = "redemptions", description = "Commit and cancel orders (role channel)"),
        (name = "campaigns", description = "Manage campaigns (role marketing)"),
        (name = "coupons", description = "Coupon codes of a campaign (role marketing)"),
        (name = "groups", description = "Exclusivity group policies (role marketing)"),
        (name = "plugins", description = "The plugin catalogue (reads: role marketing or ops; \
                                           uploads, rollbacks and deletes: role ops)"),
        (name = "keys", description = "The calling key (any key)"),
        (name = "health", description = "Liveness and readiness (no key)"),
        (name = "ops", description = "Metrics (role ops)"),
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
    responses((status = 200, description = "This document", body = OpenApiSchema))
)]
pub(crate) async fn document() -> axum::Json<&'static utoipa::openapi::OpenApi> {
    axum::Json(&DOCUMENT)
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
