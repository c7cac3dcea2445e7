//! The OpenAPI document against real answers: a real server from the shared harness
//! (`remise_tests::http`: its keys, a fresh database, the catalogue plugins).
//! Every route the document lists is called for real, and every answer is checked against
//! what the document declares for its status: the status must be documented, the media
//! type must be the one declared, and the body must validate against the declared schema
//! (its `$ref`s resolved in the document's own `components`). Request bodies that the
//! server accepts are checked against the declared request schema too.
//!
//! Answers are checked strictly: every object schema that lists `properties` is taken as
//! closed (`additionalProperties: false` added in the test's copy, not in the document,
//! whose answers stay open to new fields for clients), so a field the server starts to send
//! without the document saying so fails here, as does a field it stops sending.

use remise_tests::http::{self, ADMIN, CHANNEL, MARKETING, OPS, STORE_CHANNEL};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const JSON: &str = "application/json";
const MERGE_PATCH: &str = "application/merge-patch+json";

/// A request body.
enum Body {
    None,
    /// JSON, sent as `application/json` or the media type given.
    Json(Value, &'static str),
    /// Bytes as they are, with a media type.
    Raw(Vec<u8>, &'static str),
}

/// An answer: its status, media type (without parameters) and body (JSON when it parses,
/// else a JSON string of the text; `null` when empty).
struct Answer {
    status: StatusCode,
    media_type: String,
    replayed: bool,
    body: Value,
}

/// The OpenAPI document, and the checks of answers against it.
struct Contract {
    document: Value,
    /// The document's `components`, every object schema with `properties` closed.
    strict: Value,
    /// `METHOD template` of every operation called, and `METHOD template status` of every
    /// answer checked.
    called: BTreeSet<String>,
    answers: BTreeSet<String>,
}

impl Contract {
    fn new(document: Value) -> Contract {
        let mut strict = document["components"].clone();
        if let Some(schemas) = strict["schemas"].as_object_mut() {
            for (name, schema) in schemas.iter_mut() {
                // The document's own schema describes only a few members of it.
                if name != "OpenApiDocument" {
                    close(schema);
                }
            }
        }
        Contract {
            document,
            strict,
            called: BTreeSet::new(),
            answers: BTreeSet::new(),
        }
    }

    /// A validator of `schema`, with the `components` of `components` to resolve its
    /// `$ref`s against (`#/components/schemas/…`).
    fn validator(schema: &Value, components: &Value) -> jsonschema::Validator {
        let mut root = match schema {
            Value::Object(schema) => schema.clone(),
            other => panic!("a schema that is not an object: {other}"),
        };
        root.insert("components".into(), components.clone());
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("the schema {schema} compiles: {e}"))
    }

    /// The problems of `instance` against `schema`, strictly or as the document says.
    fn problems(&self, schema: &Value, instance: &Value, strictly: bool) -> Vec<String> {
        let components = if strictly {
            &self.strict
        } else {
            &self.document["components"]
        };
        Contract::validator(schema, components)
            .iter_errors(instance)
            .map(|e| format!("at {}: {e}", e.instance_path()))
            .collect()
    }

    /// The operation `method template` of the document.
    fn operation(&self, method: &Method, template: &str) -> &Value {
        let operation = &self.document["paths"][template][method.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {template} is not in the document"
        );
        operation
    }

    /// The schema of `method template`'s request body of media type `media_type`.
    fn request_schema(&self, method: &Method, template: &str, media_type: &str) -> &Value {
        let schema =
            &self.operation(method, template)["requestBody"]["content"][media_type]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template}: no {media_type} request body documented"
        );
        schema
    }

    /// Whether the document accepts `body` as `method template`'s request.
    fn accepts_request(&self, method: &Method, template: &str, body: &Value) -> bool {
        let schema = self.request_schema(method, template, JSON);
        self.problems(schema, body, false).is_empty()
    }

    /// Checks `answer` to `method template` against the document.
    fn check(&mut self, method: &Method, template: &str, answer: &Answer) {
        let status = answer.status.as_u16().to_string();
        let declared = &self.operation(method, template)["responses"][&status];
        assert!(
            declared.is_object(),
            "{method} {template} answered {status}, which the document does not declare: {}",
            answer.body
        );
        match declared["content"].as_object() {
            None => assert!(
                answer.body.is_null(),
                "{method} {template} {status}: a body where the document declares none: {}",
                answer.body
            ),
            Some(content) => {
                let schema = content
                    .get(&answer.media_type)
                    .map(|media| &media["schema"])
                    .unwrap_or_else(|| {
                        panic!(
                            "{method} {template} {status}: answered {:?}, the document declares {:?}",
                            answer.media_type,
                            content.keys().collect::<Vec<_>>()
                        )
                    });
                let problems = self.problems(schema, &answer.body, true);
                assert!(
                    problems.is_empty(),
                    "{method} {template} {status}: the answer does not match the document:\n{}\n\
                     answer: {}",
                    problems.join("\n"),
                    serde_json::to_string_pretty(&answer.body).unwrap_or_default()
                );
            }
        }
        self.called.insert(format!("{method} {template}"));
        self.answers.insert(format!("{method} {template} {status}"));
    }

    /// Every `METHOD template` of the document.
    fn operations(&self) -> BTreeSet<String> {
        let mut all = BTreeSet::new();
        for (path, item) in self.document["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                if method != "parameters" {
                    all.insert(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        all
    }
}

/// Adds `additionalProperties: false` to every object schema of `schema` that lists
/// `properties` and says nothing of others.
fn close(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object.contains_key("properties") && !object.contains_key("additionalProperties") {
                object.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (key, value) in object.iter_mut() {
                // Examples and defaults are values, not schemas.
                if !matches!(key.as_str(), "example" | "examples" | "default" | "enum") {
                    close(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close),
        _ => {}
    }
}

/// A running server, and the contract each answer is checked against.
struct Server {
    base: String,
    /// A client that shows redirects rather than following them.
    client: Client,
    contract: Contract,
    _server: http::Server,
}

impl Server {
    /// Its clock is held at noon on a June day inside every schedule the test writes: a
    /// commit is priced at the server's time, and `ten-from-100` runs from 06:00 to 02:00
    /// in Paris until the end of 2026, so a real clock made the test fail at night.
    async fn start() -> Server {
        let server = http::Server::start_held_at("2026-06-16T12:00:00+02:00").await;
        let base = server.base.clone();
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let document = client
            .get(format!("{base}/openapi.json"))
            .send()
            .await
            .expect("the server answers")
            .json::<Value>()
            .await
            .expect("the document is JSON");
        Server {
            base,
            client,
            contract: Contract::new(document),
            _server: server,
        }
    }

    /// Sends `method path` (an instance of `template`) with `key` and `body`, checks the
    /// answer against the document, and returns it.
    async fn call(
        &mut self,
        method: Method,
        template: &str,
        path: &str,
        key: Option<&str>,
        body: Body,
    ) -> Answer {
        self.send(method, template, path, key, body, &[]).await
    }

    async fn send(
        &mut self,
        method: Method,
        template: &str,
        path: &str,
        key: Option<&str>,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let sent = match body {
            Body::None => None,
            Body::Json(value, media_type) => {
                request = request
                    .header(CONTENT_TYPE, media_type)
                    .body(value.to_string());
                Some((value, media_type))
            }
            Body::Raw(bytes, media_type) => {
                request = request.header(CONTENT_TYPE, media_type).body(bytes);
                None
            }
        };
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let media_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let replayed = response.headers().contains_key("idempotent-replayed");
        let text = response.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else if media_type == JSON || media_type.ends_with("+json") {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{method} {path}: a body declared JSON is not: {e}"))
        } else {
            Value::String(text)
        };
        let answer = Answer {
            status,
            media_type,
            replayed,
            body,
        };
        // A request the server took must be one the document describes.
        if let Some((value, media_type)) = sent {
            if status.is_success() {
                let schema = self.contract.request_schema(&method, template, media_type);
                let problems = self.contract.problems(schema, &value, false);
                assert!(
                    problems.is_empty(),
                    "{method} {template}: the server took a body the document refuses:\n{}\n{value}",
                    problems.join("\n")
                );
            }
        }
        self.contract.check(&method, template, &answer);
        answer
    }

    /// `call`, asserting the status.
    async fn expect(
        &mut self,
        status: StatusCode,
        method: Method,
        template: &str,
        path: &str,
        key: Option<&str>,
        body: Body,
    ) -> Value {
        let answer = self.call(method.clone(), template, path, key, body).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        answer.body
    }
}

fn json_body(value: Value) -> Body {
    Body::Json(value, JSON)
}

/// A campaign with every field set (not the docs' example, `http::ten_from_100`).
fn every_field_campaign() -> Value {
    json!({
        "id": "ten-from-100", "name": "10 % dès 100 €", "plugin": "threshold-discount",
        "plugin_version": "1.0.0", "points_valid_days": 365,
        "params": { "tiers": [ { "min_subtotal": "100.00", "percent_off": "10" } ] },
        "status": "active",
        "schedule": {
            "starts_at": "2026-01-01T00:00:00+01:00", "ends_at": "2026-12-31T23:59:59+01:00",
            "timezone": "Europe/Paris",
            "days_of_week": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "hours": [ { "from": "06:00", "to": "02:00" } ]
        },
        "audience": {
            "channels": ["web", "store"], "stores": [], "segments": ["card-holder"],
            "loyalty_tiers": ["gold", "platinum"], "customers": [],
            "attributes": { "gender": ["f", "m"] }
        },
        "coupon_required": false, "priority": 10, "group": "seasonal", "exclusive": false,
        "limits": {
            "budget": "5000.00", "budget_currency": "EUR", "redemptions": 1000, "per_customer": 5,
            "per_customer_period": "day", "partial": true
        }
    })
}

/// The other campaigns: one per kind of effect, one that loses its group, one that needs
/// a coupon, and a draft.
fn more_campaigns() -> Vec<Value> {
    vec![
        json!({ "id": "five-off", "name": "5 € dès 50 €", "plugin": "threshold-discount",
                "params": { "tiers": [ { "min_subtotal": "50.00", "amount_off": "5.00" } ] },
                "status": "active", "group": "seasonal", "priority": 20 }),
        json!({ "id": "gold-tier", "name": "Gold", "plugin": "loyalty-reward",
                "params": { "tiers": { "gold": { "percent_off": "5" } },
                            "birthday": { "window_days": 7, "gift_sku": "CAKE" } },
                "status": "active", "priority": 30 }),
        json!({ "id": "double-points", "name": "Double points", "plugin": "points-multiplier",
                "params": { "points_per_unit": "1", "multiplier": "2" },
                "status": "active", "priority": 40 }),
        json!({ "id": "socks-bundle", "name": "2 socks for 10 €", "plugin": "bundle-price",
                "params": { "items": [ { "sku": "SOCK", "quantity": 2 } ], "price": "10.00" },
                "status": "active", "priority": 5 }),
        json!({ "id": "welcome", "name": "Welcome", "plugin": "threshold-discount",
                "params": { "tiers": [ { "min_subtotal": "0", "percent_off": "5" } ] },
                "status": "active", "coupon_required": true, "priority": 50 }),
        json!({ "id": "store-reward", "name": "Un bon en magasin",
                "plugin": "cross-channel-reward",
                "params": { "min_spend": "50.00", "reward_campaign": "welcome", "valid_days": 30,
                            "channels": ["store"] },
                "status": "active", "priority": 60 }),
        json!({ "id": "later", "name": "Later", "plugin": "free-gift",
                "params": { "min_subtotal": "10.00", "gift": { "sku": "TOTE" } } }),
    ]
}

/// A basket with every field set, which every campaign above concerns.
fn basket() -> Value {
    json!({
        "currency": "EUR", "channel": "web", "store": "paris-rivoli",
        "at": "2026-03-08T12:00:00+01:00",
        "customer": {
            "id": "c-123", "loyalty_tier": "gold", "segments": ["card-holder"],
            "birthdate": "1990-03-10", "attributes": { "gender": "f" }
        },
        "coupons": ["welcome10", "NOPE"],
        "lines": [
            { "id": "1", "sku": "COAT", "quantity": 1, "unit_price": "100.00",
              "categories": ["apparel"], "brand": "acme", "attributes": { "color": "red" } },
            { "id": "2", "sku": "SOCK", "quantity": 3, "unit_price": "7.50" }
        ],
        "explain": true
    })
}

/// The `type` of every effect of `answer`'s applied campaigns, with the form of its target.
fn effect_kinds(answer: &Value) -> BTreeSet<String> {
    let mut kinds = BTreeSet::new();
    for applied in answer["applied"].as_array().into_iter().flatten() {
        for effect in applied["effects"].as_array().into_iter().flatten() {
            let kind = effect["type"].as_str().unwrap_or("?").to_string();
            let kind = match &effect["target"] {
                Value::String(target) => format!("{kind} {target}"),
                Value::Object(target) if target.contains_key("lines") => format!("{kind} lines"),
                _ => kind,
            };
            kinds.insert(kind);
        }
    }
    kinds
}

fn strings(values: &Value, field: &str) -> BTreeSet<String> {
    values
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|value| value[field].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn every_route_answers_as_the_document_says() {
    let mut server = Server::start().await;
    let ok = StatusCode::OK;
    let (get, post, put, patch, delete) = (
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    );

    // Meta, health, identity, metrics.
    let document = server
        .expect(
            ok,
            get.clone(),
            "/openapi.json",
            "/openapi.json",
            None,
            Body::None,
        )
        .await;
    let library: Value =
        serde_json::from_str(&remise::api::openapi::document_json()).expect("JSON");
    assert_eq!(document, library, "the served document is the library's");
    for template in ["/healthz", "/readyz"] {
        server
            .expect(ok, get.clone(), template, template, None, Body::None)
            .await;
    }
    for key in [ADMIN, CHANNEL, MARKETING, OPS] {
        server
            .expect(ok, get.clone(), "/v1/me", "/v1/me", Some(key), Body::None)
            .await;
    }
    server
        .expect(
            StatusCode::UNAUTHORIZED,
            get.clone(),
            "/v1/me",
            "/v1/me",
            None,
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::UNAUTHORIZED,
            get.clone(),
            "/metrics",
            "/metrics",
            None,
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::FORBIDDEN,
            get.clone(),
            "/metrics",
            "/metrics",
            Some(CHANNEL),
            Body::None,
        )
        .await;

    // The catalogue.
    let plugins = server
        .expect(
            ok,
            get.clone(),
            "/v1/plugins",
            "/v1/plugins",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert_eq!(plugins.as_array().map(Vec::len), Some(9), "{plugins}");
    let one = "/v1/plugins/{name}";
    server
        .expect(
            ok,
            get.clone(),
            one,
            "/v1/plugins/threshold-discount",
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            one,
            "/v1/plugins/nope",
            Some(OPS),
            Body::None,
        )
        .await;

    // Campaigns: create, refuse, read.
    let campaigns = "/v1/campaigns";
    let campaign = "/v1/campaigns/{id}";
    let created = server
        .expect(
            StatusCode::CREATED,
            post.clone(),
            campaigns,
            campaigns,
            Some(MARKETING),
            json_body(every_field_campaign()),
        )
        .await;
    assert_eq!(created["revision"], 1);
    for body in more_campaigns() {
        server
            .expect(
                StatusCode::CREATED,
                post.clone(),
                campaigns,
                campaigns,
                Some(MARKETING),
                json_body(body),
            )
            .await;
    }
    server
        .expect(
            StatusCode::CONFLICT,
            post.clone(),
            campaigns,
            campaigns,
            Some(MARKETING),
            json_body(every_field_campaign()),
        )
        .await;
    let mut unknown = every_field_campaign();
    unknown["id"] = json!("other");
    unknown["colour"] = json!("red");
    assert!(!server.contract.accepts_request(&post, campaigns, &unknown));
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            post.clone(),
            campaigns,
            campaigns,
            Some(MARKETING),
            json_body(unknown),
        )
        .await;
    server
        .expect(
            StatusCode::BAD_REQUEST,
            post.clone(),
            campaigns,
            campaigns,
            Some(MARKETING),
            Body::Raw(b"{".to_vec(), JSON),
        )
        .await;
    server
        .expect(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            post.clone(),
            campaigns,
            campaigns,
            Some(MARKETING),
            Body::Raw(b"{}".to_vec(), "text/plain"),
        )
        .await;
    let big = json!({ "name": "x".repeat(2 << 20) });
    server
        .expect(
            StatusCode::PAYLOAD_TOO_LARGE,
            post.clone(),
            campaigns,
            campaigns,
            Some(MARKETING),
            json_body(big),
        )
        .await;
    let listed = server
        .expect(
            ok,
            get.clone(),
            campaigns,
            campaigns,
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(8));
    server
        .expect(
            ok,
            get.clone(),
            campaign,
            "/v1/campaigns/ten-from-100",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            campaign,
            "/v1/campaigns/nope",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::FORBIDDEN,
            get.clone(),
            campaigns,
            campaigns,
            Some(CHANNEL),
            Body::None,
        )
        .await;

    // Keys (admin): create (the key shown once), list, revoke.
    let keys = "/v1/keys";
    let created = server
        .expect(
            StatusCode::CREATED,
            post.clone(),
            keys,
            keys,
            Some(ADMIN),
            Body::Json(json!({ "role": "channel", "label": "kiosk" }), JSON),
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            post.clone(),
            keys,
            keys,
            Some(ADMIN),
            Body::Json(json!({ "role": "root" }), JSON),
        )
        .await;
    server
        .expect(
            StatusCode::FORBIDDEN,
            post.clone(),
            keys,
            keys,
            Some(OPS),
            Body::Json(json!({ "role": "ops" }), JSON),
        )
        .await;
    let listed = server
        .expect(ok, get.clone(), keys, keys, Some(ADMIN), Body::None)
        .await;
    assert!(
        listed.as_array().is_some_and(|keys| keys.len() > 4),
        "{listed}"
    );
    let key = "/v1/keys/{id}";
    let id = created["id"].as_str().expect("an id");
    server
        .expect(
            StatusCode::NO_CONTENT,
            delete.clone(),
            key,
            &format!("/v1/keys/{id}"),
            Some(ADMIN),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            delete.clone(),
            key,
            "/v1/keys/0000000000000000",
            Some(ADMIN),
            Body::None,
        )
        .await;

    // Groups.
    let groups = "/v1/groups";
    let group = "/v1/groups/{name}";
    let policy = json!({ "policy": "best_for_customer" });
    server
        .expect(
            ok,
            put.clone(),
            group,
            "/v1/groups/seasonal",
            Some(MARKETING),
            json_body(policy),
        )
        .await;
    server
        .expect(ok, get.clone(), groups, groups, Some(MARKETING), Body::None)
        .await;
    server
        .expect(
            ok,
            get.clone(),
            group,
            "/v1/groups/never-set",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::BAD_REQUEST,
            get.clone(),
            group,
            "/v1/groups/Not%20A%20Name",
            Some(MARKETING),
            Body::None,
        )
        .await;
    let cheapest = json!({ "policy": "cheapest" });
    assert!(!server.contract.accepts_request(&put, group, &cheapest));
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            put.clone(),
            group,
            "/v1/groups/seasonal",
            Some(MARKETING),
            json_body(cheapest),
        )
        .await;

    // Coupons.
    let coupons = "/v1/campaigns/{id}/coupons";
    let welcome_coupons = "/v1/campaigns/welcome/coupons";
    let chosen = json!({ "codes": ["welcome10", "VIP-1"], "uses_per_code": 5,
                         "expires_at": "2099-06-30T23:59:59+02:00" });
    server
        .expect(
            StatusCode::CREATED,
            post.clone(),
            coupons,
            welcome_coupons,
            Some(MARKETING),
            json_body(chosen.clone()),
        )
        .await;
    server
        .expect(
            StatusCode::CREATED,
            post.clone(),
            coupons,
            welcome_coupons,
            Some(MARKETING),
            json_body(json!({ "count": 3, "prefix": "spring-" })),
        )
        .await;
    server
        .expect(
            StatusCode::CONFLICT,
            post.clone(),
            coupons,
            welcome_coupons,
            Some(MARKETING),
            json_body(chosen),
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            post.clone(),
            coupons,
            welcome_coupons,
            Some(MARKETING),
            json_body(json!({ "count": 0 })),
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            post.clone(),
            coupons,
            "/v1/campaigns/nope/coupons",
            Some(MARKETING),
            json_body(json!({ "count": 1 })),
        )
        .await;
    let page = server
        .expect(
            ok,
            get.clone(),
            coupons,
            "/v1/campaigns/welcome/coupons?limit=2",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert!(page["next"].is_string(), "{page}");
    let page = server
        .expect(
            ok,
            get.clone(),
            coupons,
            "/v1/campaigns/welcome/coupons?search=vip",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert!(page["next"].is_null(), "{page}");
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            get.clone(),
            coupons,
            "/v1/campaigns/welcome/coupons?limit=0",
            Some(MARKETING),
            Body::None,
        )
        .await;

    // Personal codes: handed out, again (nothing new), refused, and the report.
    let distributions = "/v1/campaigns/{id}/distributions";
    let welcome_distributions = "/v1/campaigns/welcome/distributions";
    let handed = server
        .expect(
            StatusCode::CREATED,
            post.clone(),
            distributions,
            welcome_distributions,
            Some(MARKETING),
            json_body(
                json!({ "customers": ["c-123", "c-9"], "prefix": "p-", "uses_per_code": 2,
                              "expires_at": "2099-06-30T23:59:59+02:00" }),
            ),
        )
        .await;
    assert_eq!(handed["assigned"], 2, "{handed}");
    let someone_elses = handed["codes"][1]["code"].clone();
    let again = server
        .expect(
            StatusCode::CREATED,
            post.clone(),
            distributions,
            welcome_distributions,
            Some(MARKETING),
            json_body(json!({ "segment": "card-holder", "consent": "sms" })),
        )
        .await;
    assert_eq!(again["assigned"], 0, "{again}");
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            post.clone(),
            distributions,
            welcome_distributions,
            Some(MARKETING),
            json_body(json!({ "customers": [] })),
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            post.clone(),
            distributions,
            "/v1/campaigns/nope/distributions",
            Some(MARKETING),
            json_body(json!({ "customers": ["c-1"] })),
        )
        .await;
    server
        .expect(
            ok,
            get.clone(),
            distributions,
            welcome_distributions,
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            distributions,
            "/v1/campaigns/nope/distributions",
            Some(MARKETING),
            Body::None,
        )
        .await;
    let codes_csv = server
        .expect(
            ok,
            get.clone(),
            "/v1/campaigns/{id}/distributions.csv",
            "/v1/campaigns/welcome/distributions.csv",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert_eq!(
        codes_csv.as_str().map(|text| text.lines().count()),
        Some(3),
        "{codes_csv}"
    );
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            "/v1/campaigns/{id}/distributions.csv",
            "/v1/campaigns/nope/distributions.csv",
            Some(MARKETING),
            Body::None,
        )
        .await;
    let mut not_mine = basket();
    not_mine["coupons"] = json!([someone_elses]);
    let answer = server
        .expect(
            ok,
            post.clone(),
            "/v1/evaluate",
            "/v1/evaluate",
            Some(CHANNEL),
            json_body(not_mine),
        )
        .await;
    assert_eq!(
        answer["coupons"][0]["detail"], "personal to another customer",
        "{answer}"
    );

    // Evaluate: every kind of effect, of target, of rejection and of coupon status.
    let evaluate = "/v1/evaluate";
    let answer = server
        .expect(
            ok,
            post.clone(),
            evaluate,
            evaluate,
            Some(CHANNEL),
            json_body(basket()),
        )
        .await;
    let kinds = effect_kinds(&answer);
    for kind in [
        "discount lines",
        "discount order",
        "gift",
        "points",
        "issue_reward",
    ] {
        assert!(kinds.contains(kind), "no {kind} effect in {answer}");
    }
    let applied: BTreeSet<String> = strings(&answer["applied"], "coupon");
    assert_eq!(
        applied,
        BTreeSet::from(["WELCOME10".to_string()]),
        "{answer}"
    );
    let reasons = strings(&answer["rejected"], "reason");
    for reason in ["lost_conflict", "not_eligible"] {
        assert!(
            reasons.contains(reason),
            "no {reason} rejection in {answer}"
        );
    }
    let statuses = strings(&answer["coupons"], "status");
    for status in ["applied", "unknown"] {
        assert!(statuses.contains(status), "no {status} coupon in {answer}");
    }
    assert!(
        !answer["gifts"].as_array().is_none_or(Vec::is_empty),
        "{answer}"
    );
    assert!(
        !answer["points"].as_array().is_none_or(Vec::is_empty),
        "{answer}"
    );
    assert_eq!(
        answer["rewards"][0]["reward_campaign"], "welcome",
        "{answer}"
    );

    // The validator does reject answers that drift from the document.
    let schema = json!({ "$ref": "#/components/schemas/EvaluateResponse" });
    assert!(server.contract.problems(&schema, &answer, true).is_empty());
    let drifted = [
        ("without total", {
            let mut a = answer.clone();
            a.as_object_mut().map(|a| a.remove("total"));
            a
        }),
        ("with an undocumented field", {
            let mut a = answer.clone();
            a["surprise"] = json!(1);
            a
        }),
        ("with a number for a decimal", {
            let mut a = answer.clone();
            a["lines"][0]["discount"] = json!(10.5);
            a
        }),
        ("with an unknown reason", {
            let mut a = answer.clone();
            a["rejected"][0]["reason"] = json!("bad_luck");
            a
        }),
        ("with a gift effect without its sku", {
            let mut a = answer.clone();
            for applied in a["applied"].as_array_mut().into_iter().flatten() {
                for effect in applied["effects"].as_array_mut().into_iter().flatten() {
                    if effect["type"] == "gift" {
                        effect.as_object_mut().map(|e| e.remove("sku"));
                    }
                }
            }
            a
        }),
    ];
    for (what, doctored) in drifted {
        assert_ne!(doctored, answer, "{what}: nothing was changed");
        assert!(
            !server
                .contract
                .problems(&schema, &doctored, true)
                .is_empty(),
            "an answer {what} was taken for a valid EvaluateResponse"
        );
    }

    let mut bad_line = basket();
    bad_line["lines"][0]["colour"] = json!("red");
    assert!(!server.contract.accepts_request(&post, evaluate, &bad_line));
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            post.clone(),
            evaluate,
            evaluate,
            Some(CHANNEL),
            json_body(bad_line),
        )
        .await;
    server
        .expect(
            StatusCode::BAD_REQUEST,
            post.clone(),
            evaluate,
            evaluate,
            Some(CHANNEL),
            Body::Raw(b"{\"currency\": ".to_vec(), JSON),
        )
        .await;
    server
        .expect(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            post.clone(),
            evaluate,
            evaluate,
            Some(CHANNEL),
            Body::Raw(b"{}".to_vec(), "text/plain"),
        )
        .await;
    server
        .expect(
            StatusCode::PAYLOAD_TOO_LARGE,
            post.clone(),
            evaluate,
            evaluate,
            Some(CHANNEL),
            json_body(json!({ "x": "y".repeat(2 << 20) })),
        )
        .await;
    server
        .expect(
            StatusCode::FORBIDDEN,
            post.clone(),
            evaluate,
            evaluate,
            Some(OPS),
            json_body(basket()),
        )
        .await;

    // Redemptions: commit, replay, conflict, cancel.
    let redemptions = "/v1/redemptions";
    let redemption = "/v1/redemptions/{order_id}";
    // A commit is priced at the server's time: its baskets name no `at`.
    let order = |id: &str, basket: Value| {
        let mut order = basket;
        if let Some(fields) = order.as_object_mut() {
            fields.remove("at");
        }
        order["order_id"] = json!(id);
        order
    };
    let committed = server
        .call(
            post.clone(),
            redemptions,
            redemptions,
            Some(CHANNEL),
            json_body(order("o-1", basket())),
        )
        .await;
    assert_eq!(committed.status, StatusCode::CREATED, "{}", committed.body);
    assert_eq!(committed.body["order_id"], "o-1");
    let replay = server
        .call(
            post.clone(),
            redemptions,
            redemptions,
            Some(CHANNEL),
            json_body(order("o-1", basket())),
        )
        .await;
    assert_eq!(
        (replay.status, replay.replayed),
        (ok, true),
        "{}",
        replay.body
    );
    assert_eq!(replay.body, committed.body);
    let mut other = basket();
    other["lines"][1]["quantity"] = json!(4);
    server
        .expect(
            StatusCode::CONFLICT,
            post.clone(),
            redemptions,
            redemptions,
            Some(CHANNEL),
            json_body(order("o-1", other.clone())),
        )
        .await;
    server
        .expect(
            StatusCode::CREATED,
            post.clone(),
            redemptions,
            redemptions,
            Some(CHANNEL),
            json_body(order("o-2", other)),
        )
        .await;
    let without_id = basket();
    assert!(!server
        .contract
        .accepts_request(&post, redemptions, &without_id));
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            post.clone(),
            redemptions,
            redemptions,
            Some(CHANNEL),
            json_body(without_id),
        )
        .await;
    server
        .expect(
            StatusCode::BAD_REQUEST,
            post.clone(),
            redemptions,
            redemptions,
            Some(CHANNEL),
            Body::Raw(b"nope".to_vec(), JSON),
        )
        .await;
    server
        .expect(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            post.clone(),
            redemptions,
            redemptions,
            Some(CHANNEL),
            Body::Raw(b"{}".to_vec(), "text/plain"),
        )
        .await;
    server
        .expect(
            StatusCode::PAYLOAD_TOO_LARGE,
            post.clone(),
            redemptions,
            redemptions,
            Some(CHANNEL),
            json_body(json!({ "x": "y".repeat(2 << 20) })),
        )
        .await;
    server
        .expect(
            ok,
            delete.clone(),
            redemption,
            "/v1/redemptions/o-1",
            Some(CHANNEL),
            Body::None,
        )
        .await;
    server
        .expect(
            ok,
            delete.clone(),
            redemption,
            "/v1/redemptions/o-1",
            Some(CHANNEL),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            delete.clone(),
            redemption,
            "/v1/redemptions/never",
            Some(CHANNEL),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::CONFLICT,
            post.clone(),
            redemptions,
            redemptions,
            Some(CHANNEL),
            json_body(order("o-1", basket())),
        )
        .await;

    // Returns of o-2 (4 socks): one back, the same return again, more than it holds,
    // another channel's key, and the list.
    let returns = "/v1/redemptions/{order_id}/returns";
    let one_sock = json!({ "return_id": "r-1", "lines": [ { "id": "2", "quantity": 1 } ] });
    let first_return = server
        .expect(
            StatusCode::CREATED,
            post.clone(),
            returns,
            "/v1/redemptions/o-2/returns",
            Some(CHANNEL),
            json_body(one_sock.clone()),
        )
        .await;
    assert!(first_return["refund_total"].is_string(), "{first_return}");
    let again = server
        .call(
            post.clone(),
            returns,
            "/v1/redemptions/o-2/returns",
            Some(MARKETING),
            json_body(one_sock),
        )
        .await;
    assert_eq!((again.status, again.replayed), (ok, true), "{}", again.body);
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            post.clone(),
            returns,
            "/v1/redemptions/o-2/returns",
            Some(CHANNEL),
            json_body(json!({ "return_id": "r-2", "lines": [ { "id": "2", "quantity": 9 } ] })),
        )
        .await;
    server
        .expect(
            StatusCode::CONFLICT,
            post.clone(),
            returns,
            "/v1/redemptions/o-2/returns",
            Some(CHANNEL),
            json_body(json!({ "return_id": "r-1", "lines": [ { "id": "1", "quantity": 1 } ] })),
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            post.clone(),
            returns,
            "/v1/redemptions/o-2/returns",
            Some(STORE_CHANNEL),
            json_body(json!({ "return_id": "r-3", "lines": [ { "id": "1", "quantity": 1 } ] })),
        )
        .await;
    server
        .expect(
            StatusCode::BAD_REQUEST,
            post.clone(),
            returns,
            "/v1/redemptions/o-2/returns",
            Some(CHANNEL),
            Body::Raw(b"nope".to_vec(), JSON),
        )
        .await;
    server
        .expect(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            post.clone(),
            returns,
            "/v1/redemptions/o-2/returns",
            Some(CHANNEL),
            Body::Raw(b"{}".to_vec(), "text/plain"),
        )
        .await;
    let list = server
        .expect(
            ok,
            get.clone(),
            returns,
            "/v1/redemptions/o-2/returns",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert_eq!(list["returns"][0], first_return);
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            returns,
            "/v1/redemptions/never/returns",
            Some(CHANNEL),
            Body::None,
        )
        .await;

    // Stats, with a budget, a cap and redemptions by channel and day.
    let stats = "/v1/campaigns/{id}/stats";
    let answer = server
        .expect(
            ok,
            get.clone(),
            stats,
            "/v1/campaigns/ten-from-100/stats",
            Some(MARKETING),
            Body::None,
        )
        .await;
    for field in [
        "currency",
        "budget",
        "budget_left",
        "redemptions_cap",
        "redemptions_left",
    ] {
        assert!(
            answer[field].is_string() || answer[field].is_number(),
            "no {field}: {answer}"
        );
    }
    assert!(
        !answer["by_day"].as_array().is_none_or(Vec::is_empty),
        "{answer}"
    );
    server
        .expect(
            ok,
            get.clone(),
            stats,
            "/v1/campaigns/later/stats",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            stats,
            "/v1/campaigns/nope/stats",
            Some(MARKETING),
            Body::None,
        )
        .await;

    // Campaign writes: replace, merge patch, status changes, delete.
    let five_off = "/v1/campaigns/five-off";
    let mut replaced = more_campaigns()[0].clone();
    replaced["name"] = json!("5 € dès 60 €");
    replaced["params"] = json!({ "tiers": [ { "min_subtotal": "60.00", "amount_off": "5.00" } ] });
    let answer = server
        .send(
            put.clone(),
            campaign,
            five_off,
            Some(MARKETING),
            json_body(replaced.clone()),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(answer.status, ok, "{}", answer.body);
    let answer = server
        .send(
            put.clone(),
            campaign,
            five_off,
            Some(MARKETING),
            json_body(replaced.clone()),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    let answer = server
        .send(
            put.clone(),
            campaign,
            five_off,
            Some(MARKETING),
            json_body(replaced.clone()),
            &[("if-match", "one")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    let mut nope = replaced.clone();
    nope["id"] = json!("nope");
    server
        .expect(
            StatusCode::NOT_FOUND,
            put.clone(),
            campaign,
            "/v1/campaigns/nope",
            Some(MARKETING),
            json_body(nope),
        )
        .await;
    replaced["priority"] = json!("high");
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            put.clone(),
            campaign,
            five_off,
            Some(MARKETING),
            json_body(replaced),
        )
        .await;
    let merge_patch = json!({ "priority": 25, "limits": { "redemptions": 10 }, "group": null });
    server
        .expect(
            ok,
            patch.clone(),
            campaign,
            five_off,
            Some(MARKETING),
            Body::Json(merge_patch.clone(), MERGE_PATCH),
        )
        .await;
    let answer = server
        .send(
            patch.clone(),
            campaign,
            five_off,
            Some(MARKETING),
            Body::Json(merge_patch.clone(), MERGE_PATCH),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            patch.clone(),
            campaign,
            five_off,
            Some(MARKETING),
            Body::Json(json!([1]), MERGE_PATCH),
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            patch.clone(),
            campaign,
            five_off,
            Some(MARKETING),
            Body::Json(json!({ "colour": "red" }), MERGE_PATCH),
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            patch.clone(),
            campaign,
            "/v1/campaigns/nope",
            Some(MARKETING),
            Body::Json(merge_patch, MERGE_PATCH),
        )
        .await;
    for (action, status) in [
        ("activate", "active"),
        ("pause", "paused"),
        ("end", "ended"),
    ] {
        let template = format!("/v1/campaigns/{{id}}/{action}");
        let answer = server
            .expect(
                ok,
                post.clone(),
                &template,
                &format!("/v1/campaigns/later/{action}"),
                Some(MARKETING),
                Body::None,
            )
            .await;
        assert_eq!(answer["status"], status);
        server
            .expect(
                StatusCode::NOT_FOUND,
                post.clone(),
                &template,
                &format!("/v1/campaigns/nope/{action}"),
                Some(MARKETING),
                Body::None,
            )
            .await;
    }
    server
        .expect(
            StatusCode::NO_CONTENT,
            delete.clone(),
            campaign,
            five_off,
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            delete.clone(),
            campaign,
            five_off,
            Some(MARKETING),
            Body::None,
        )
        .await;

    // Plugins: upload (known bytes, a new version, refused), roll back, delete a version.
    let upload = "/v1/plugins/{name}";
    let free_gift = remise::catalogue::plugin("free-gift")
        .expect("free-gift is in the catalogue")
        .to_vec();
    server
        .expect(
            ok,
            put.clone(),
            upload,
            "/v1/plugins/free-gift",
            Some(OPS),
            Body::Raw(free_gift.clone(), "application/wasm"),
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            put.clone(),
            upload,
            "/v1/plugins/free-gift",
            Some(OPS),
            Body::Raw(b"\0asm not really".to_vec(), "application/wasm"),
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            put.clone(),
            upload,
            "/v1/plugins/bundle-price",
            Some(OPS),
            Body::Raw(
                remise_tests::catalogue_version("free-gift", 1),
                "application/wasm",
            ),
        )
        .await;
    server
        .expect(
            StatusCode::PAYLOAD_TOO_LARGE,
            put.clone(),
            upload,
            "/v1/plugins/free-gift",
            Some(OPS),
            Body::Raw(
                vec![0; remise::service::DEFAULT_MAX_PLUGIN_BYTES + 1],
                "application/wasm",
            ),
        )
        .await;
    // A plugin's own limits (issue 15 item 16): set, refused out of bounds, unknown plugin.
    let limits = "/v1/plugins/{name}/limits";
    let limited = server
        .expect(
            StatusCode::OK,
            put.clone(),
            limits,
            "/v1/plugins/free-gift/limits",
            Some(OPS),
            Body::Json(json!({ "fuel": 5_000_000, "deadline_ms": 40 }), JSON),
        )
        .await;
    assert_eq!(limited["name"], "free-gift", "{limited}");
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            put.clone(),
            limits,
            "/v1/plugins/free-gift/limits",
            Some(OPS),
            Body::Json(json!({ "deadline_ms": 0 }), JSON),
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            put.clone(),
            limits,
            "/v1/plugins/no-such-plugin/limits",
            Some(OPS),
            Body::Json(json!({ "fuel": 5_000_000 }), JSON),
        )
        .await;
    let rollback = "/v1/plugins/{name}/rollback";
    server
        .expect(
            StatusCode::CONFLICT,
            post.clone(),
            rollback,
            "/v1/plugins/free-gift/rollback",
            Some(OPS),
            Body::None,
        )
        .await;
    let uploaded = server
        .expect(
            StatusCode::CREATED,
            put.clone(),
            upload,
            "/v1/plugins/free-gift",
            Some(OPS),
            Body::Raw(
                remise_tests::catalogue_version("free-gift", 1),
                "application/wasm",
            ),
        )
        .await;
    assert_eq!(uploaded["latest"], "1.0.1", "{uploaded}");
    assert!(
        uploaded["versions"][1]["uploaded_at"].is_string(),
        "{uploaded}"
    );
    let version = "/v1/plugins/{name}/versions/{version}";
    server
        .expect(
            StatusCode::CONFLICT,
            delete.clone(),
            version,
            "/v1/plugins/free-gift/versions/1.0.1",
            Some(OPS),
            Body::None,
        )
        .await;
    let rolled_back = server
        .expect(
            ok,
            post.clone(),
            rollback,
            "/v1/plugins/free-gift/rollback",
            Some(OPS),
            Body::None,
        )
        .await;
    assert_eq!(rolled_back["latest"], "1.0.0", "{rolled_back}");
    server
        .expect(
            StatusCode::NOT_FOUND,
            post.clone(),
            rollback,
            "/v1/plugins/nope/rollback",
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NO_CONTENT,
            delete.clone(),
            version,
            "/v1/plugins/free-gift/versions/1.0.1",
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            delete.clone(),
            version,
            "/v1/plugins/free-gift/versions/1.0.1",
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::CONFLICT,
            delete.clone(),
            version,
            "/v1/plugins/free-gift/versions/1.0.0",
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::FORBIDDEN,
            put.clone(),
            upload,
            "/v1/plugins/free-gift",
            Some(MARKETING),
            Body::Raw(free_gift, "application/wasm"),
        )
        .await;

    // Shadow runs: a version uploaded as a shadow, its report, a restart of it, refusals,
    // its promotion, and one more shadow ended.
    server
        .expect(
            StatusCode::CREATED,
            put.clone(),
            upload,
            "/v1/plugins/free-gift?shadow=100",
            Some(OPS),
            Body::Raw(
                remise_tests::catalogue_version("free-gift", 2),
                "application/wasm",
            ),
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            put.clone(),
            upload,
            "/v1/plugins/free-gift?shadow=0",
            Some(OPS),
            Body::Raw(
                remise_tests::catalogue_version("free-gift", 3),
                "application/wasm",
            ),
        )
        .await;
    let shadow = "/v1/plugins/{name}/shadow";
    let report = server
        .expect(
            ok,
            get.clone(),
            shadow,
            "/v1/plugins/free-gift/shadow",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert_eq!(
        (&report["version"], &report["live_version"]),
        (&json!("1.0.2"), &json!("1.0.0")),
        "{report}"
    );
    server
        .expect(
            ok,
            put.clone(),
            shadow,
            "/v1/plugins/free-gift/shadow",
            Some(OPS),
            Body::Json(json!({ "version": "1.0.2", "sample_percent": 50 }), JSON),
        )
        .await;
    for body in [
        json!({ "version": "1.0.0" }),
        json!({ "version": "1.0.2", "sample_percent": 0 }),
    ] {
        server
            .expect(
                StatusCode::UNPROCESSABLE_ENTITY,
                put.clone(),
                shadow,
                "/v1/plugins/free-gift/shadow",
                Some(OPS),
                Body::Json(body, JSON),
            )
            .await;
    }
    server
        .expect(
            StatusCode::NOT_FOUND,
            put.clone(),
            shadow,
            "/v1/plugins/nope/shadow",
            Some(OPS),
            Body::Json(json!({ "version": "1.0.0" }), JSON),
        )
        .await;
    let promote = "/v1/plugins/{name}/shadow/promote";
    server
        .expect(
            ok,
            post.clone(),
            promote,
            "/v1/plugins/free-gift/shadow/promote",
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            post.clone(),
            promote,
            "/v1/plugins/free-gift/shadow/promote",
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            shadow,
            "/v1/plugins/free-gift/shadow",
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            ok,
            put.clone(),
            shadow,
            "/v1/plugins/free-gift/shadow",
            Some(OPS),
            Body::Json(json!({ "version": "1.0.0" }), JSON),
        )
        .await;
    server
        .expect(
            StatusCode::NO_CONTENT,
            delete.clone(),
            shadow,
            "/v1/plugins/free-gift/shadow",
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            delete.clone(),
            shadow,
            "/v1/plugins/free-gift/shadow",
            Some(OPS),
            Body::None,
        )
        .await;
    let restored = server
        .expect(
            ok,
            post.clone(),
            rollback,
            "/v1/plugins/free-gift/rollback",
            Some(OPS),
            Body::None,
        )
        .await;
    assert_eq!(restored["latest"], "1.0.0", "{restored}");

    // What-if simulations: one over uploaded baskets, followed to its end, listed, a
    // cancel too late, and refusals.
    let draft = json!({ "id": "draft-20", "name": "20 %", "plugin": "threshold-discount",
                        "params": { "tiers": [ { "min_subtotal": "0", "percent_off": "20" } ] },
                        "limits": { "budget": "30.00", "budget_currency": "EUR" } });
    let baskets = [("web", None), ("store", Some("paris"))]
        .iter()
        .map(|(channel, store)| {
            json!({ "currency": "EUR", "channel": channel, "store": store,
                    "at": "2026-11-02T10:00:00+01:00",
                    "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "100.00" } ] })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let simulations = "/v1/simulations";
    let started = server
        .expect(
            StatusCode::ACCEPTED,
            post.clone(),
            simulations,
            simulations,
            Some(MARKETING),
            json_body(json!({ "drafts": [draft], "timezone": "Europe/Paris",
                              "baskets": { "ndjson": baskets } })),
        )
        .await;
    let simulation = "/v1/simulations/{id}";
    let path = format!("/v1/simulations/{}", started["id"].as_str().unwrap_or("?"));
    let began = std::time::Instant::now();
    let job = loop {
        let job = server
            .expect(ok, get.clone(), simulation, &path, Some(OPS), Body::None)
            .await;
        if job["status"] != "running" || began.elapsed() > std::time::Duration::from_secs(30) {
            break job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(
        job["report"]["campaigns"][0]["runs_out_on"], "2026-11-02",
        "{job}"
    );
    server
        .expect(
            ok,
            get.clone(),
            simulations,
            simulations,
            Some(MARKETING),
            Body::None,
        )
        .await;
    let cancel = "/v1/simulations/{id}/cancel";
    server
        .expect(
            StatusCode::CONFLICT,
            post.clone(),
            cancel,
            &format!("{path}/cancel"),
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            post.clone(),
            cancel,
            "/v1/simulations/sim_none/cancel",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            simulation,
            "/v1/simulations/sim_none",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            post.clone(),
            simulations,
            simulations,
            Some(MARKETING),
            json_body(json!({ "drafts": [], "baskets": { "ndjson": "" } })),
        )
        .await;

    // Customer profiles, imports and exports.
    let customer = "/v1/customers/{id}";
    let created = server
        .expect(
            StatusCode::CREATED,
            put.clone(),
            customer,
            "/v1/customers/c-1",
            Some(MARKETING),
            json_body(json!({
                "loyalty_tier": "gold", "segments": ["card-holder"], "birthdate": "1988-04-12",
                "attributes": { "store": "lyon" }, "consent": { "email": true }
            })),
        )
        .await;
    assert_eq!(created["consent"], json!({ "email": true, "sms": false }));
    server
        .expect(
            ok,
            put.clone(),
            customer,
            "/v1/customers/c-1",
            Some(MARKETING),
            json_body(json!({ "id": "c-1", "loyalty_tier": "gold" })),
        )
        .await;
    for (status, body) in [
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json_body(json!({ "colour": "red" })),
        ),
        (StatusCode::BAD_REQUEST, Body::Raw(b"{".to_vec(), JSON)),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Body::Raw(b"{}".to_vec(), "text/plain"),
        ),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Body::Raw(vec![b' '; 2 << 20], JSON),
        ),
    ] {
        server
            .expect(
                status,
                put.clone(),
                customer,
                "/v1/customers/c-2",
                Some(MARKETING),
                body,
            )
            .await;
    }
    server
        .expect(
            ok,
            get.clone(),
            customer,
            "/v1/customers/c-1",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            customer,
            "/v1/customers/nobody",
            Some(MARKETING),
            Body::None,
        )
        .await;
    let patched = server
        .expect(
            ok,
            patch.clone(),
            customer,
            "/v1/customers/c-1",
            Some(MARKETING),
            Body::Json(
                json!({ "segments": null, "consent": { "sms": true } }),
                MERGE_PATCH,
            ),
        )
        .await;
    assert_eq!(patched["segments"], json!([]), "{patched}");
    for (status, path, body) in [
        (StatusCode::NOT_FOUND, "/v1/customers/nobody", json!({})),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "/v1/customers/c-1",
            json!({ "birthdate": "soon" }),
        ),
    ] {
        server
            .expect(
                status,
                patch.clone(),
                customer,
                path,
                Some(MARKETING),
                Body::Json(body, MERGE_PATCH),
            )
            .await;
    }
    for (status, body) in [
        (
            StatusCode::BAD_REQUEST,
            Body::Raw(b"{".to_vec(), MERGE_PATCH),
        ),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Body::Raw(b"{}".to_vec(), "text/plain"),
        ),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Body::Raw(vec![b' '; 2 << 20], MERGE_PATCH),
        ),
    ] {
        server
            .expect(
                status,
                patch.clone(),
                customer,
                "/v1/customers/c-1",
                Some(MARKETING),
                body,
            )
            .await;
    }
    let offers = "/v1/customers/{id}/offers";
    let wallet = server
        .expect(
            ok,
            get.clone(),
            offers,
            "/v1/customers/c-1/offers?channel=web&currency=EUR",
            Some(CHANNEL),
            Body::None,
        )
        .await;
    assert!(
        wallet["offers"].as_array().is_some_and(|o| !o.is_empty()),
        "{wallet}"
    );
    for (status, path) in [
        (StatusCode::NOT_FOUND, "/v1/customers/nobody/offers"),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "/v1/customers/c-1/offers?at=soon",
        ),
    ] {
        server
            .expect(status, get.clone(), offers, path, Some(CHANNEL), Body::None)
            .await;
    }
    let points = "/v1/customers/{id}/points";
    let balance = server
        .expect(
            ok,
            get.clone(),
            points,
            "/v1/customers/c-1/points",
            Some(CHANNEL),
            Body::None,
        )
        .await;
    assert_eq!(balance["balance"], 0, "{balance}");
    for (status, path) in [
        (StatusCode::NOT_FOUND, "/v1/customers/nobody/points"),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "/v1/customers/c-1/points?at=soon",
        ),
    ] {
        server
            .expect(status, get.clone(), points, path, Some(CHANNEL), Body::None)
            .await;
    }
    let orders = "/v1/customers/{id}/orders";
    server
        .expect(
            ok,
            get.clone(),
            orders,
            "/v1/customers/c-1/orders?limit=10",
            Some(MARKETING),
            Body::None,
        )
        .await;
    for (status, path) in [
        (StatusCode::NOT_FOUND, "/v1/customers/nobody/orders"),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "/v1/customers/c-1/orders?limit=0",
        ),
    ] {
        server
            .expect(
                status,
                get.clone(),
                orders,
                path,
                Some(MARKETING),
                Body::None,
            )
            .await;
    }
    let imports = "/v1/imports/customers";
    let report = server
        .expect(
            ok,
            post.clone(),
            imports,
            imports,
            Some(MARKETING),
            Body::Raw(
                b"{\"id\":\"c-2\",\"segments\":[\"vip\"]}\n{\"id\":\"c-3\",\"birthdate\":\"x\"}\n"
                    .to_vec(),
                "application/x-ndjson",
            ),
        )
        .await;
    assert_eq!(
        (report["imported"].clone(), report["rejected"].clone()),
        (json!(1), json!(1))
    );
    server
        .expect(
            ok,
            post.clone(),
            imports,
            imports,
            Some(MARKETING),
            Body::Raw(b"id,segments\nc-4,a|b\n".to_vec(), "text/csv"),
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            post.clone(),
            imports,
            imports,
            Some(MARKETING),
            Body::Raw(b"id,colour\nc-5,red\n".to_vec(), "text/csv"),
        )
        .await;
    server
        .expect(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            post.clone(),
            imports,
            imports,
            Some(MARKETING),
            Body::Raw(b"{}".to_vec(), JSON),
        )
        .await;
    let list = "/v1/customers";
    let page = server
        .expect(
            ok,
            get.clone(),
            list,
            "/v1/customers?prefix=c-&limit=2",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert_eq!(page["next"], "c-2", "{page}");
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            get.clone(),
            list,
            "/v1/customers?limit=0",
            Some(MARKETING),
            Body::None,
        )
        .await;
    let exports = "/v1/exports/customers";
    let ndjson = server
        .expect(
            ok,
            get.clone(),
            exports,
            exports,
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert_eq!(
        ndjson.as_str().map(|text| text.lines().count()),
        Some(3),
        "{ndjson}"
    );
    let csv = server
        .expect(
            ok,
            get.clone(),
            exports,
            "/v1/exports/customers?format=csv",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert!(
        csv.as_str()
            .is_some_and(|text| text.starts_with("id,loyalty_tier,")),
        "{csv}"
    );
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            get.clone(),
            exports,
            "/v1/exports/customers?format=xml",
            Some(MARKETING),
            Body::None,
        )
        .await;
    let erased = server
        .expect(
            ok,
            delete.clone(),
            customer,
            "/v1/customers/c-1",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert_eq!(erased["profile_erased"], true, "{erased}");
    server
        .expect(
            StatusCode::NOT_FOUND,
            delete.clone(),
            customer,
            "/v1/customers/c-1",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::FORBIDDEN,
            get.clone(),
            customer,
            "/v1/customers/c-2",
            Some(CHANNEL),
            Body::None,
        )
        .await;

    // Webhooks: subscribe (the secret shown once), an order's event to an endpoint that
    // refuses connections becomes a dead letter (the test server gives up after 2 s), retry.
    let webhooks = "/v1/webhooks";
    let webhook = "/v1/webhooks/{id}";
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            post.clone(),
            webhooks,
            webhooks,
            Some(OPS),
            json_body(json!({ "url": "ftp://crm.example/", "events": ["*"] })),
        )
        .await;
    let created = server
        .expect(
            StatusCode::CREATED,
            post.clone(),
            webhooks,
            webhooks,
            Some(OPS),
            json_body(json!({ "url": "http://127.0.0.1:9/hook",
                              "events": ["redemption.committed"], "description": "CRM" })),
        )
        .await;
    let hook_id = created["id"].as_str().expect("an id").to_string();
    let hook_path = format!("/v1/webhooks/{hook_id}");
    let committed = server
        .call(
            post.clone(),
            redemptions,
            redemptions,
            Some(CHANNEL),
            json_body(order("o-webhook", basket())),
        )
        .await;
    assert_eq!(committed.status, StatusCode::CREATED, "{}", committed.body);
    let deliveries = "/v1/webhooks/{id}/deliveries";
    let dead_path = format!("{hook_path}/deliveries?status=dead");
    let mut dead = Value::Null;
    for _ in 0..200 {
        dead = server
            .expect(
                ok,
                get.clone(),
                deliveries,
                &dead_path,
                Some(OPS),
                Body::None,
            )
            .await;
        if dead["deliveries"].as_array().is_some_and(|d| !d.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let event_id = dead["deliveries"][0]["event_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a dead letter: {dead}"))
        .to_string();
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            get.clone(),
            deliveries,
            &format!("{hook_path}/deliveries?status=lost"),
            Some(OPS),
            Body::None,
        )
        .await;
    let retry = "/v1/webhooks/{id}/deliveries/{event_id}/retry";
    let retry_path = format!("{hook_path}/deliveries/{event_id}/retry");
    server
        .expect(ok, post.clone(), retry, &retry_path, Some(OPS), Body::None)
        .await;
    server
        .expect(
            StatusCode::CONFLICT,
            post.clone(),
            retry,
            &retry_path,
            Some(OPS),
            Body::None,
        )
        .await;
    let retry_all = "/v1/webhooks/{id}/retry";
    server
        .expect(
            ok,
            post.clone(),
            retry_all,
            &format!("{hook_path}/retry"),
            Some(OPS),
            Body::None,
        )
        .await;
    let listed = server
        .expect(ok, get.clone(), webhooks, webhooks, Some(OPS), Body::None)
        .await;
    assert!(listed["webhooks"][0]["secret"].is_null(), "{listed}");
    server
        .expect(ok, get.clone(), webhook, &hook_path, Some(OPS), Body::None)
        .await;
    server
        .expect(
            StatusCode::NO_CONTENT,
            delete.clone(),
            webhook,
            &hook_path,
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            webhook,
            &hook_path,
            Some(OPS),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::FORBIDDEN,
            get.clone(),
            webhooks,
            webhooks,
            Some(MARKETING),
            Body::None,
        )
        .await;

    // The journal: an evaluation, once its entry is written, and one never journalled.
    let journal = "/v1/journal/{evaluation_id}";
    let priced = server
        .call(
            post.clone(),
            "/v1/evaluate",
            "/v1/evaluate",
            Some(CHANNEL),
            json_body(basket()),
        )
        .await;
    let evaluation_id = priced.body["evaluation_id"]
        .as_str()
        .expect("an evaluation id")
        .to_string();
    let journalled = format!("/v1/journal/{evaluation_id}");
    let mut written = false;
    for _ in 0..200 {
        let answer = server
            .call(get.clone(), journal, &journalled, Some(OPS), Body::None)
            .await;
        if answer.status == StatusCode::OK {
            written = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(written, "{evaluation_id} reached the journal");
    server
        .expect(ok, get.clone(), journal, &journalled, Some(OPS), Body::None)
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            journal,
            "/v1/journal/ev_never",
            Some(MARKETING),
            Body::None,
        )
        .await;
    let order = "/v1/journal/orders/{order_id}";
    let journalled_order = server
        .expect(
            ok,
            get.clone(),
            order,
            "/v1/journal/orders/o-1",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert_eq!(journalled_order["order_id"], "o-1", "{journalled_order}");
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            order,
            "/v1/journal/orders/never-ordered",
            Some(OPS),
            Body::None,
        )
        .await;
    let replay = "/v1/journal/{evaluation_id}/replay";
    let replayed = server
        .expect(
            ok,
            post.clone(),
            replay,
            &format!("{journalled}/replay"),
            Some(MARKETING),
            Body::None,
        )
        .await;
    // That basket explains, so only its traces' wall times may differ.
    assert!(
        replayed["differences"]
            .as_array()
            .is_some_and(|changes| changes.iter().all(|change| change["path"]
                .as_str()
                .is_some_and(|path| path.ends_with("/wall_time_us")))),
        "{replayed}"
    );
    server
        .expect(
            StatusCode::NOT_FOUND,
            post.clone(),
            replay,
            "/v1/journal/ev_never/replay",
            Some(OPS),
            Body::None,
        )
        .await;

    // A campaign's history: its revisions, one whole, a diff, and their refusals.
    let revisions = "/v1/campaigns/{id}/revisions";
    let listed = server
        .expect(
            ok,
            get.clone(),
            revisions,
            "/v1/campaigns/five-off/revisions",
            Some(MARKETING),
            Body::None,
        )
        .await;
    assert!(
        listed["revisions"].as_array().is_some_and(|r| r.len() > 1),
        "{listed}"
    );
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            revisions,
            "/v1/campaigns/never-was/revisions",
            Some(MARKETING),
            Body::None,
        )
        .await;
    let revision = "/v1/campaigns/{id}/revisions/{revision}";
    server
        .expect(
            ok,
            get.clone(),
            revision,
            "/v1/campaigns/five-off/revisions/1",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::BAD_REQUEST,
            get.clone(),
            revision,
            "/v1/campaigns/five-off/revisions/first",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            revision,
            "/v1/campaigns/five-off/revisions/999",
            Some(MARKETING),
            Body::None,
        )
        .await;
    let diff = "/v1/campaigns/{id}/diff";
    server
        .expect(
            ok,
            get.clone(),
            diff,
            "/v1/campaigns/five-off/diff?from=1",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            get.clone(),
            diff,
            "/v1/campaigns/five-off/diff?from=2&to=1",
            Some(MARKETING),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            diff,
            "/v1/campaigns/five-off/diff?to=999",
            Some(MARKETING),
            Body::None,
        )
        .await;

    // The routes store nodes call at the centre (an admin key may call them too).
    let feed = "/v1/stores/{store}/feed";
    let fed = server
        .expect(
            ok,
            get.clone(),
            feed,
            "/v1/stores/lyon-1/feed",
            Some(ADMIN),
            Body::None,
        )
        .await;
    let generation = fed["generation"].as_i64().expect("a generation");
    server
        .expect(
            StatusCode::NO_CONTENT,
            get.clone(),
            feed,
            &format!("/v1/stores/lyon-1/feed?generation={generation}"),
            Some(ADMIN),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::BAD_REQUEST,
            get.clone(),
            feed,
            "/v1/stores/lyon%201/feed",
            Some(ADMIN),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            get.clone(),
            feed,
            "/v1/stores/lyon-1/feed?generation=new",
            Some(ADMIN),
            Body::None,
        )
        .await;
    let component = "/v1/stores/{store}/components/{sha256}";
    let sha256 = fed["plugins"][0]["sha256"]
        .as_str()
        .expect("an uploaded version")
        .to_string();
    server
        .expect(
            ok,
            get.clone(),
            component,
            &format!("/v1/stores/lyon-1/components/{sha256}"),
            Some(ADMIN),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::NOT_FOUND,
            get.clone(),
            component,
            &format!("/v1/stores/lyon-1/components/{}", "0".repeat(64)),
            Some(ADMIN),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::BAD_REQUEST,
            get.clone(),
            component,
            "/v1/stores/lyon-1/components/not-hex",
            Some(ADMIN),
            Body::None,
        )
        .await;
    let store_customers = "/v1/stores/{store}/customers";
    server
        .expect(
            ok,
            get.clone(),
            store_customers,
            "/v1/stores/lyon-1/customers?limit=2",
            Some(ADMIN),
            Body::None,
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            get.clone(),
            store_customers,
            "/v1/stores/lyon-1/customers?after_id=c-1",
            Some(ADMIN),
            Body::None,
        )
        .await;
    let store_orders = "/v1/stores/{store}/orders";
    server
        .expect(
            ok,
            Method::POST,
            store_orders,
            "/v1/stores/lyon-1/orders",
            Some(ADMIN),
            json_body(json!({ "entries": [] })),
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::POST,
            store_orders,
            "/v1/stores/lyon-1/orders",
            Some(ADMIN),
            json_body(json!({ "entries": [
                { "seq": 2, "entry": { "kind": "cancel", "order_id": "o-x", "cancelled_at": "2026-01-01T00:00:00Z" } },
                { "seq": 1, "entry": { "kind": "cancel", "order_id": "o-y", "cancelled_at": "2026-01-01T00:00:00Z" } }
            ] })),
        )
        .await;
    server
        .expect(
            StatusCode::BAD_REQUEST,
            Method::POST,
            store_orders,
            "/v1/stores/lyon-1/orders",
            Some(ADMIN),
            Body::Raw(b"{".to_vec(), JSON),
        )
        .await;

    // The store nodes the centre knows: the one that handed back no entry above.
    let stores = server
        .expect(
            ok,
            get.clone(),
            "/v1/stores",
            "/v1/stores",
            Some(OPS),
            Body::None,
        )
        .await;
    assert_eq!(stores[0]["store_id"], "lyon-1", "{stores}");
    assert_eq!(stores[0]["entries"], 0, "{stores}");

    // A store node's budget leases.
    server
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/v1/campaigns",
            "/v1/campaigns",
            Some(ADMIN),
            json_body(json!({ "id": "store-capped", "name": "store capped",
                    "plugin": "threshold-discount", "status": "active",
                    "limits": { "redemptions": 10 },
                    "params": { "tiers": [ { "min_subtotal": "0", "amount_off": "1.00" } ] } })),
        )
        .await;
    let lease = "/v1/stores/{store}/leases";
    let leased = server
        .expect(
            ok,
            Method::POST,
            lease,
            "/v1/stores/lyon-1/leases",
            Some(ADMIN),
            json_body(json!({ "campaign_id": "store-capped", "redemptions": 1, "minor": 1 })),
        )
        .await;
    assert_eq!(
        leased["redemptions"], 2,
        "an eighth of 10, rounded up: {leased}"
    );
    server
        .expect(
            StatusCode::NOT_FOUND,
            Method::POST,
            lease,
            "/v1/stores/lyon-1/leases",
            Some(ADMIN),
            json_body(json!({ "campaign_id": "never-was", "redemptions": 1, "minor": 1 })),
        )
        .await;
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::POST,
            lease,
            "/v1/stores/lyon-1/leases",
            Some(ADMIN),
            json_body(json!({ "campaign": "store-capped" })),
        )
        .await;
    let renew = "/v1/stores/{store}/leases/renew";
    let renewed = server
        .expect(
            ok,
            Method::POST,
            renew,
            "/v1/stores/lyon-1/leases/renew",
            Some(ADMIN),
            json_body(json!({ "ids": [leased["id"], "not-a-lease"] })),
        )
        .await;
    assert_eq!(renewed["ids"], json!([leased["id"]]), "{renewed}");
    server
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::POST,
            renew,
            "/v1/stores/lyon-1/leases/renew",
            Some(ADMIN),
            json_body(json!({ "ids": "all" })),
        )
        .await;

    // Metrics last, with every request above counted.
    let metrics = server
        .expect(
            ok,
            get.clone(),
            "/metrics",
            "/metrics",
            Some(OPS),
            Body::None,
        )
        .await;
    assert!(
        metrics
            .as_str()
            .is_some_and(|text| text.contains("remise_")),
        "{metrics}"
    );

    // Every operation of the document was called.
    let missing: Vec<String> = server
        .contract
        .operations()
        .difference(&server.contract.called)
        .cloned()
        .collect();
    assert!(missing.is_empty(), "operations never called: {missing:?}");
    println!(
        "{} operations called, {} documented (operation, status) pairs answered and checked:",
        server.contract.called.len(),
        server.contract.answers.len()
    );
    for answer in &server.contract.answers {
        println!("  {answer}");
    }
}

#[tokio::test]
async fn the_docs_page_is_served_with_everything_it_loads() {
    let server = Server::start().await;
    let fetch = |path: &str| {
        let request = server.client.get(format!("{}{path}", server.base));
        async move {
            let response = request.send().await.expect("the server answers");
            let status = response.status();
            let headers = response.headers().clone();
            let text = response.text().await.expect("a body");
            (status, headers, text)
        }
    };
    let (status, headers, _) = fetch("/docs").await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(
        headers.get("location").and_then(|v| v.to_str().ok()),
        Some("/docs/")
    );
    let (status, headers, page) = fetch("/docs/").await;
    assert_eq!(status, StatusCode::OK);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert!(header("content-type").starts_with("text/html"));
    assert_eq!(
        header("content-security-policy"),
        remise::api::openapi::DOCS_CONTENT_SECURITY_POLICY
    );
    assert_eq!(header("x-content-type-options"), "nosniff");
    // Every script and style the page loads is one of its own files, served here.
    let mut loaded = 0;
    for piece in page.split(['"', '\'']) {
        if piece.starts_with("http:") || piece.starts_with("https:") || piece.starts_with("//") {
            panic!("the page loads {piece} from elsewhere");
        }
        if piece.ends_with(".js") || piece.ends_with(".css") {
            let path = format!("/docs/{}", piece.trim_start_matches("./"));
            let (status, _, file) = fetch(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(!file.is_empty(), "{path}");
            loaded += 1;
        }
    }
    assert!(
        loaded >= 3,
        "the page loads {loaded} scripts and styles: {page}"
    );
    let (_, _, initializer) = fetch("/docs/swagger-initializer.js").await;
    assert!(initializer.contains("\"/openapi.json\""), "{initializer}");
    assert!(
        initializer.contains("\"validatorUrl\": \"none\""),
        "{initializer}"
    );
    assert!(!initializer.contains("petstore"), "{initializer}");
    // Its requests are counted under its own routes, not as unmatched ones.
    let metrics = server
        .client
        .get(format!("{}/metrics", server.base))
        .bearer_auth(OPS)
        .send()
        .await
        .expect("the server answers")
        .text()
        .await
        .expect("a body");
    for route in remise::api::openapi::DOCS_ROUTES {
        assert!(
            metrics.contains(&format!("route=\"{route}\"")),
            "no requests counted for {route}"
        );
    }
    // The document is unchanged by the page beside it.
    let (status, _, document) = fetch("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let document: Value = serde_json::from_str(&document).expect("JSON");
    assert!(document["paths"]
        .as_object()
        .is_some_and(|paths| !paths.contains_key("/docs")));
}
