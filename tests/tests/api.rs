//! The HTTP API over real HTTP: `remise serve`'s own entry points on a loopback port, a
//! fresh database, the catalogue plugins embedded in the binary and nothing else. Expected
//! amounts are worked out by hand from docs/api.md.

use remise::api::console;
use remise::serve::start;
use remise::store::testing::fresh_database_url;
use remise_tests::http::{
    options, pointers, sample, ten_from_100, Server, ADMIN, CHANNEL, MARKETING, OPS,
};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A server with the catalogue only: no test guest in its plugin folder.
async fn catalogue_server() -> Server {
    Server::start_with(&[]).await
}

/// The docs' example campaign, on the web channel only.
fn ten_from_100_web() -> Value {
    let mut campaign = ten_from_100();
    campaign["audience"] = json!({ "channels": ["web"] });
    campaign
}

fn basket(channel: &str, price: &str) -> Value {
    json!({
        "currency": "EUR", "channel": channel, "at": "2026-03-08T12:00:00+01:00",
        "lines": [ { "id": "1", "sku": "COAT", "quantity": 1, "unit_price": price } ]
    })
}

#[tokio::test]
async fn keys_and_roles_gate_every_route() {
    let server = catalogue_server().await;
    let (status, body) = server.call(Method::GET, "/v1/campaigns", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["status"], 401);
    let (status, _) = server
        .call(Method::GET, "/v1/campaigns", Some("not-a-key"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = server
        .call(Method::GET, "/v1/campaigns", Some(CHANNEL), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["detail"],
        "a channel key cannot use this route: it needs the marketing role"
    );
    let (status, _) = server
        .call(Method::GET, "/v1/campaigns", Some(ADMIN), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn some_routes_accept_several_roles() {
    let server = catalogue_server().await;
    server.create(ten_from_100_web()).await;
    // Marketing tries a basket in the console: evaluation changes nothing.
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/evaluate",
            Some(MARKETING),
            Some(basket("web", "120.00")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["discount_total"], "12.00");
    // Committing stays the channels' job.
    let mut order = basket("web", "120.00");
    order["order_id"] = json!("o-1");
    let (status, _) = server
        .call(
            Method::POST,
            "/v1/redemptions",
            Some(MARKETING),
            Some(order),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Ops reads the catalogue, not the campaigns.
    let (status, body) = server
        .call(Method::GET, "/v1/plugins", Some(OPS), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(9), "{body}");
    let (status, body) = server
        .call(
            Method::GET,
            "/v1/plugins/threshold-discount",
            Some(OPS),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "threshold-discount");
    let (status, body) = server
        .call(Method::GET, "/v1/campaigns", Some(OPS), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = server
        .call(
            Method::POST,
            "/v1/evaluate",
            Some(OPS),
            Some(basket("web", "1.00")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Channels do not read the catalogue; the 403 names the roles accepted.
    for path in ["/v1/plugins", "/v1/plugins/threshold-discount"] {
        let (status, body) = server.call(Method::GET, path, Some(CHANNEL), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(
            body["detail"],
            "a channel key cannot use this route: it needs the marketing or ops role"
        );
    }
}

#[tokio::test]
async fn every_key_can_ask_who_it_is() {
    let server = catalogue_server().await;
    let me = |key| server.call(Method::GET, "/v1/me", key, None);
    assert_eq!(
        me(Some(ADMIN)).await,
        (
            StatusCode::OK,
            json!({ "role": "admin", "label": "REMISE_ADMIN_KEY" })
        )
    );
    assert_eq!(
        me(Some(CHANNEL)).await,
        (
            StatusCode::OK,
            json!({ "role": "channel", "label": "web shop" })
        )
    );
    assert_eq!(
        me(Some(OPS)).await,
        (
            StatusCode::OK,
            json!({ "role": "ops", "label": "ops on call" })
        )
    );
    // Configured without a label.
    assert_eq!(
        me(Some(MARKETING)).await,
        (
            StatusCode::OK,
            json!({ "role": "marketing", "label": null })
        )
    );
    let (status, body) = me(None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = me(Some("not-a-key")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A header of `headers` as text, `""` when absent.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// `GET path` with the given request headers: status, headers, body bytes.
async fn fetch(
    server: &Server,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = server.client.get(format!("{}{path}", server.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("a body").to_vec();
    (status, headers, body)
}

#[tokio::test]
async fn the_console_page_is_served_with_its_security_headers() {
    let server = catalogue_server().await;
    let (status, headers, body) = fetch(&server, "/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&headers, "cache-control"), "no-cache");
    assert_eq!(
        header(&headers, "content-security-policy"),
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'"
    );
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
    assert_eq!(header(&headers, "vary"), "Accept-Encoding");
    assert_eq!(header(&headers, "content-encoding"), "");
    let index = console::asset("/index.html").expect("the page is embedded");
    assert_eq!(body, index.bytes);
    assert!(body.starts_with(b"<!doctype html>"));
    assert_eq!(header(&headers, "etag"), index.etag);

    // The page is revalidated, and unchanged it is a 304.
    let (status, headers, body) = fetch(&server, "/", &[("if-none-match", index.etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(header(&headers, "etag"), index.etag);

    // No key needed, and the console is not in the API's description.
    let (_, doc) = server.call(Method::GET, "/openapi.json", None, None).await;
    assert!(doc["paths"]["/"].is_null());
    assert!(doc["paths"]["/v1/me"]["get"].is_object());

    // Paths that are no file are still the API's 404.
    for path in ["/nope.html", "/assets/nope.js", "/index.htm"] {
        let (status, headers, _) = fetch(&server, path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&headers, "content-type"), "application/problem+json");
    }
}

#[tokio::test]
async fn console_assets_are_immutable_gzipped_when_asked_and_revalidated() {
    let server = catalogue_server().await;
    if !console::BUILT {
        eprintln!("built with REMISE_SKIP_CONSOLE: no /assets/ to serve");
        return;
    }
    let asset = console::ASSETS
        .iter()
        .find(|a| a.path.starts_with("/assets/") && a.path.ends_with(".js") && a.gzip.is_some())
        .expect("the build has a compressible script under /assets/");
    let gzipped = asset.gzip.expect("it has a gzip form");

    let (status, headers, body) =
        fetch(&server, asset.path, &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-encoding"), "gzip");
    assert_eq!(
        header(&headers, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        header(&headers, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&headers, "vary"), "Accept-Encoding");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert!(body.starts_with(&[0x1f, 0x8b]), "a gzip stream");
    assert_eq!(body, gzipped);
    assert!(body.len() < asset.bytes.len());
    let gzip_tag = header(&headers, "etag").to_string();

    // Not asked (or refused): the plain bytes, under another tag.
    for accept in [None, Some("identity"), Some("gzip;q=0")] {
        let request: Vec<(&str, &str)> =
            accept.map(|a| ("accept-encoding", a)).into_iter().collect();
        let (status, headers, body) = fetch(&server, asset.path, &request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header(&headers, "content-encoding"), "", "{accept:?}");
        assert_eq!(header(&headers, "vary"), "Accept-Encoding");
        assert_eq!(body, asset.bytes, "{accept:?}");
        assert_eq!(header(&headers, "etag"), asset.etag);
        assert_ne!(asset.etag, gzip_tag);
    }

    // The tag it was sent with: 304, no body.
    let (status, headers, body) = fetch(
        &server,
        asset.path,
        &[("accept-encoding", "gzip"), ("if-none-match", &gzip_tag)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(header(&headers, "etag"), gzip_tag);
    assert_eq!(
        header(&headers, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    let (status, _, body) = fetch(&server, asset.path, &[("if-none-match", asset.etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    // Another tag: the file again.
    let (status, _, body) = fetch(&server, asset.path, &[("if-none-match", "\"0000\"")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, asset.bytes);

    // Counted under the route template, never the file's name.
    let (status, metrics) = server
        .call(Method::GET, "/metrics", Some(ADMIN), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let metrics = metrics.as_str().unwrap_or_default();
    assert!(metrics.contains("route=\"/assets/{*file}\""), "{metrics}");
    assert!(!metrics.contains(asset.path), "{metrics}");
}

#[tokio::test]
async fn ten_percent_from_100_on_the_web_only() {
    let server = catalogue_server().await;
    server.create(ten_from_100_web()).await;

    let web = server.evaluate(basket("web", "120.00")).await;
    assert_eq!(
        (
            web["subtotal"].clone(),
            web["discount_total"].clone(),
            web["total"].clone()
        ),
        (json!("120.00"), json!("12.00"), json!("108.00"))
    );
    assert_eq!(web["applied"][0]["campaign"], "ten-from-100");
    assert_eq!(web["applied"][0]["plugin"], "threshold-discount@1.0.0");
    assert_eq!(
        web["lines"],
        json!([ { "id": "1", "subtotal": "120.00", "discount": "12.00", "total": "108.00" } ])
    );

    let below = server.evaluate(basket("web", "99.99")).await;
    assert_eq!(below["discount_total"], "0.00");
    assert_eq!(below["rejected"][0]["reason"], "not_eligible");

    let mut store = basket("store", "120.00");
    let quiet = server.evaluate(store.clone()).await;
    assert_eq!(
        quiet["rejected"],
        json!([]),
        "without explain the prefilter stays quiet"
    );
    store["explain"] = json!(true);
    let explained = server.evaluate(store).await;
    assert_eq!(explained["discount_total"], "0.00");
    assert_eq!(explained["rejected"][0]["campaign"], "ten-from-100");
    assert_eq!(explained["rejected"][0]["reason"], "not_eligible");
}

#[tokio::test]
async fn campaigns_are_managed_and_the_next_evaluation_sees_every_change() {
    let server = catalogue_server().await;
    let created = server.create(ten_from_100_web()).await;
    assert_eq!(created["revision"], 1);
    assert_eq!(created["status"], "active");

    let (status, listed) = server
        .call(Method::GET, "/v1/campaigns", Some(MARKETING), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    let (status, paused) = server
        .call(
            Method::POST,
            "/v1/campaigns/ten-from-100/pause",
            Some(MARKETING),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["status"], "paused");
    assert_eq!(
        server.evaluate(basket("web", "120.00")).await["discount_total"],
        "0.00"
    );

    let (status, _) = server
        .call(
            Method::POST,
            "/v1/campaigns/ten-from-100/activate",
            Some(MARKETING),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        server.evaluate(basket("web", "120.00")).await["discount_total"],
        "12.00"
    );

    let patch =
        json!({ "params": { "tiers": [ { "min_subtotal": "100.00", "percent_off": "20" } ] } });
    let (status, patched) = server
        .call(
            Method::PATCH,
            "/v1/campaigns/ten-from-100",
            Some(MARKETING),
            Some(patch),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        server.evaluate(basket("web", "120.00")).await["discount_total"],
        "24.00"
    );

    let mut replaced = ten_from_100_web();
    replaced["audience"] = json!({ "channels": ["store"] });
    let (status, body) = server
        .call(
            Method::PUT,
            "/v1/campaigns/ten-from-100",
            Some(MARKETING),
            Some(replaced),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        server.evaluate(basket("web", "120.00")).await["discount_total"],
        "0.00"
    );
    assert_eq!(
        server.evaluate(basket("store", "120.00")).await["discount_total"],
        "12.00"
    );

    let (status, _) = server
        .call(
            Method::DELETE,
            "/v1/campaigns/ten-from-100",
            Some(MARKETING),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server
        .call(
            Method::GET,
            "/v1/campaigns/ten-from-100",
            Some(MARKETING),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["status"], 404);
    assert_eq!(
        server.evaluate(basket("store", "120.00")).await["discount_total"],
        "0.00"
    );
}

#[tokio::test]
async fn bad_campaigns_are_refused_with_pointers() {
    let server = catalogue_server().await;
    let mut bad_params = ten_from_100_web();
    bad_params["params"] =
        json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "150" } ] });
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns",
            Some(MARKETING),
            Some(bad_params),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(pointers(&body), ["/params/tiers/0/percent_off"]);

    let mut unknown_plugin = ten_from_100_web();
    unknown_plugin["plugin"] = json!("no-such-plugin");
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns",
            Some(MARKETING),
            Some(unknown_plugin),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pointers(&body), ["/plugin"]);

    let mut missing_version = ten_from_100_web();
    missing_version["plugin_version"] = json!("9.9.9");
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns",
            Some(MARKETING),
            Some(missing_version),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pointers(&body), ["/plugin_version"]);

    let mut unknown_field = ten_from_100_web();
    unknown_field["colour"] = json!("red");
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/campaigns",
            Some(MARKETING),
            Some(unknown_field),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(pointers(&body), ["/colour"]);

    server.create(ten_from_100_web()).await;
    let (status, _) = server
        .call(
            Method::POST,
            "/v1/campaigns",
            Some(MARKETING),
            Some(ten_from_100_web()),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let patch = json!({ "colour": "red" });
    let (status, body) = server
        .call(
            Method::PATCH,
            "/v1/campaigns/ten-from-100",
            Some(MARKETING),
            Some(patch),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(pointers(&body), ["/colour"]);
}

#[tokio::test]
async fn a_group_policy_set_over_the_api_picks_the_winner() {
    let server = catalogue_server().await;
    for (id, percent) in [("five", "5"), ("fifteen", "15")] {
        server
            .create(json!({
                "id": id, "name": id, "plugin": "threshold-discount", "status": "active", "group": "loyalty",
                "params": { "tiers": [ { "min_subtotal": "0", "percent_off": percent } ] }
            }))
            .await;
    }
    let (status, body) = server
        .call(Method::GET, "/v1/groups/loyalty", Some(MARKETING), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["policy"], "best_for_customer", "never configured");
    assert_eq!(
        server.evaluate(basket("web", "100.00")).await["discount_total"],
        "15.00"
    );

    let margin = json!({ "policy": "best_for_merchant" });
    let (status, body) = server
        .call(
            Method::PUT,
            "/v1/groups/loyalty",
            Some(MARKETING),
            Some(margin),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer = server.evaluate(basket("web", "100.00")).await;
    assert_eq!(answer["discount_total"], "5.00");
    assert_eq!(answer["rejected"][0]["campaign"], "fifteen");
    assert_eq!(answer["rejected"][0]["reason"], "lost_conflict");
}

#[tokio::test]
async fn malformed_baskets_get_4xx_with_pointers() {
    let server = catalogue_server().await;
    let mut zero = basket("web", "10.00");
    zero["lines"][0]["quantity"] = json!(0);
    let (status, body) = server
        .call(Method::POST, "/v1/evaluate", Some(CHANNEL), Some(zero))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(pointers(&body), ["/lines/0/quantity"]);

    let line = json!({ "id": "x", "sku": "A", "quantity": 1, "unit_price": "1.00" });
    let lines: Vec<Value> = (0..1001)
        .map(|i| {
            let mut l = line.clone();
            l["id"] = json!(i.to_string());
            l
        })
        .collect();
    let many = json!({ "currency": "EUR", "channel": "web", "lines": lines });
    let (status, body) = server
        .call(Method::POST, "/v1/evaluate", Some(CHANNEL), Some(many))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pointers(&body), ["/lines"]);

    let mut unknown = basket("web", "10.00");
    unknown["lines"][0]["colour"] = json!("red");
    let (status, body) = server
        .call(Method::POST, "/v1/evaluate", Some(CHANNEL), Some(unknown))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(pointers(&body), ["/lines/0/colour"]);

    let mut currency = basket("web", "10.00");
    currency["currency"] = json!("EUX");
    let (status, body) = server
        .call(Method::POST, "/v1/evaluate", Some(CHANNEL), Some(currency))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pointers(&body), ["/currency"]);

    let huge = "x".repeat(2 << 20);
    let response = server
        .client
        .post(format!("{}/v1/evaluate", server.base))
        .bearer_auth(CHANNEL)
        .header("content-type", "application/json")
        .body(format!("{{\"currency\": \"{huge}\"}}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let response = server
        .client
        .post(format!("{}/v1/evaluate", server.base))
        .bearer_auth(CHANNEL)
        .header("content-type", "application/json")
        .body("{\"currency\": ")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let server = catalogue_server().await;
    let (status, body) = server.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        body["openapi"]
    );
    assert!(body["paths"]["/v1/evaluate"]["post"].is_object());
}

#[tokio::test]
async fn the_catalogue_is_listed() {
    let server = catalogue_server().await;
    let (status, body) = server
        .call(Method::GET, "/v1/plugins", Some(MARKETING), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        [
            "bundle-price",
            "buy-x-get-y",
            "category-winback",
            "cross-channel-reward",
            "free-gift",
            "loyalty-reward",
            "points-multiplier",
            "points-redemption",
            "threshold-discount"
        ]
    );
    let (status, _) = server
        .call(Method::GET, "/v1/plugins/nope", Some(MARKETING), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_first_start_creates_and_prints_an_admin_key_once() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let options = options(fresh_database_url(dir.path(), "first").await);
    let first = start(&options).await.expect("starts");
    let key = first.created_admin_key.clone().expect("a key is created");
    assert!(key.starts_with("rk_"));
    drop(first);
    let second = start(&options).await.expect("starts again");
    assert!(second.created_admin_key.is_none(), "the key exists now");
}

/// Crockford's base32: the characters of a generated code after its prefix.
const CROCKFORD: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn spring_sale() -> Value {
    json!({
        "id": "spring-sale", "name": "Spring sale", "plugin": "threshold-discount",
        "params": { "tiers": [ { "min_subtotal": "50.00", "percent_off": "10" } ] },
        "coupon_required": true
    })
}

fn codes_of(body: &Value) -> Vec<String> {
    body["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("a code").to_string())
        .collect()
}

fn listed_codes(page: &Value) -> Vec<String> {
    page["coupons"]
        .as_array()
        .expect("coupons")
        .iter()
        .map(|c| c["code"].as_str().expect("a code").to_string())
        .collect()
}

#[tokio::test]
async fn a_hundred_thousand_coupons_are_generated_in_one_request_and_listed() {
    let server = catalogue_server().await;
    server.create(spring_sale()).await;
    let path = "/v1/campaigns/spring-sale/coupons";

    let started = std::time::Instant::now();
    let (status, body) = server
        .call(
            Method::POST,
            path,
            Some(MARKETING),
            Some(json!({ "count": 100_000, "prefix": "spring-" })),
        )
        .await;
    let elapsed = started.elapsed();
    eprintln!("100,000 coupon codes generated over HTTP in {elapsed:.2?}");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["campaign"], "spring-sale");
    assert_eq!(body["created"], 100_000);
    assert_eq!(body["uses_per_code"], 1);
    assert!(body.get("expires_at").is_none());
    let generated = codes_of(&body);
    assert_eq!(generated.len(), 100_000);
    let distinct: std::collections::HashSet<&String> = generated.iter().collect();
    assert_eq!(distinct.len(), 100_000);
    for code in &generated {
        let random = code
            .strip_prefix("SPRING-")
            .expect("the prefix, upper-case");
        assert_eq!(random.len(), 12, "{code}");
        assert!(random.chars().all(|c| CROCKFORD.contains(c)), "{code}");
    }

    // Every code, page after page, in code order.
    let mut listed = Vec::new();
    let mut query = format!("{path}?limit=1000");
    loop {
        let (status, page) = server
            .call(Method::GET, &query, Some(MARKETING), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 100_000);
        let codes = listed_codes(&page);
        assert!(codes.len() <= 1000);
        listed.extend(codes);
        match page["next"].as_str() {
            Some(next) => query = format!("{path}?limit=1000&after={next}"),
            None => break,
        }
    }
    let mut expected = generated.clone();
    expected.sort();
    assert_eq!(listed, expected);

    let (_, first) = server.call(Method::GET, path, Some(MARKETING), None).await;
    assert_eq!(
        first["coupons"].as_array().map(Vec::len),
        Some(100),
        "limit 100 by default"
    );
    let coupon = &first["coupons"][0];
    assert_eq!(coupon["uses"], 0);
    assert_eq!(coupon["uses_per_code"], 1);
    assert!(coupon["created_at"].is_string());
    assert!(coupon.get("expires_at").is_none());

    // A prefix search, in lower case.
    let prefix = format!("SPRING-{}", &generated[0][7..9]);
    let wanted: Vec<&String> = expected.iter().filter(|c| c.starts_with(&prefix)).collect();
    let (status, found) = server
        .call(
            Method::GET,
            &format!("{path}?search={}&limit=1000", prefix.to_lowercase()),
            Some(MARKETING),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        listed_codes(&found).iter().collect::<Vec<_>>(),
        wanted,
        "every code starting with {prefix}, and only those"
    );
    assert!(found["next"].is_null());
}

#[tokio::test]
async fn chosen_coupons_are_stored_upper_case_all_or_none() {
    let server = catalogue_server().await;
    server.create(spring_sale()).await;
    let path = "/v1/campaigns/spring-sale/coupons";
    let (status, body) = server
        .call(
            Method::POST,
            path,
            Some(MARKETING),
            Some(
                json!({ "codes": ["welcome10", " Vip_2026 "], "uses_per_code": 5,
                         "expires_at": "2099-06-30T23:59:59+02:00" }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!({ "campaign": "spring-sale", "created": 2, "uses_per_code": 5,
                "expires_at": "2099-06-30T21:59:59Z", "codes": ["WELCOME10", "VIP_2026"] })
    );
    let (status, page) = server.call(Method::GET, path, Some(MARKETING), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 2);
    assert!(page["next"].is_null());
    assert_eq!(listed_codes(&page), ["VIP_2026", "WELCOME10"]);
    assert_eq!(page["coupons"][1]["uses"], 0);
    assert_eq!(page["coupons"][1]["uses_per_code"], 5);
    assert_eq!(page["coupons"][1]["expires_at"], "2099-06-30T21:59:59Z");

    // A code that exists (in any case) is a 409 naming it, and nothing is created.
    let (status, body) = server
        .call(
            Method::POST,
            path,
            Some(MARKETING),
            Some(json!({ "codes": ["BRAND-NEW", "Welcome10"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("WELCOME10")),
        "{body}"
    );
    let (_, page) = server.call(Method::GET, path, Some(MARKETING), None).await;
    assert_eq!(page["total"], 2, "BRAND-NEW was not created");

    // So is a code given twice.
    let (status, body) = server
        .call(
            Method::POST,
            path,
            Some(MARKETING),
            Some(json!({ "codes": ["TWICE", "twice", "ONCE"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("TWICE")),
        "{body}"
    );

    // Another campaign cannot take a code either: codes are unique across campaigns.
    let mut other = spring_sale();
    other["id"] = json!("other");
    server.create(other).await;
    let (status, _) = server
        .call(
            Method::POST,
            "/v1/campaigns/other/coupons",
            Some(MARKETING),
            Some(json!({ "codes": ["VIP_2026"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_coupon_requests_get_4xx_with_pointers() {
    let server = catalogue_server().await;
    server.create(spring_sale()).await;
    let path = "/v1/campaigns/spring-sale/coupons";
    for (body, pointer) in [
        (json!({ "count": 0 }), "/count"),
        (json!({ "count": 100_001 }), "/count"),
        (json!({ "count": -1 }), "/count"),
        (json!({ "count": 1, "codes": ["A"] }), "/codes"),
        (json!({}), "/count"),
        (json!({ "count": 1, "colour": "red" }), "/colour"),
        (
            json!({ "count": 1, "expires_at": "next tuesday" }),
            "/expires_at",
        ),
        (
            json!({ "count": 1, "expires_at": "2020-01-01T00:00:00Z" }),
            "/expires_at",
        ),
        (json!({ "count": 1, "uses_per_code": 0 }), "/uses_per_code"),
        (json!({ "count": 1, "prefix": "not a prefix" }), "/prefix"),
        (json!({ "codes": [] }), "/codes"),
        (json!({ "codes": ["OK", "NOT OK"] }), "/codes/1"),
        (json!({ "codes": ["A"], "prefix": "P-" }), "/prefix"),
    ] {
        let (status, problem) = server
            .call(Method::POST, path, Some(MARKETING), Some(body.clone()))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(pointers(&problem), [pointer], "{body}");
    }

    for (query, pointer) in [
        ("limit=0", "/limit"),
        ("limit=1001", "/limit"),
        ("limit=many", "/limit"),
        ("search=a%20b", "/search"),
        ("after=%C3%A9", "/after"),
        ("colour=red", "/colour"),
    ] {
        let (status, problem) = server
            .call(
                Method::GET,
                &format!("{path}?{query}"),
                Some(MARKETING),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert_eq!(pointers(&problem), [pointer], "{query}");
        assert_eq!(problem["detail"], "1 problem with the query string");
    }

    let unknown = "/v1/campaigns/no-such-campaign/coupons";
    let (status, _) = server
        .call(
            Method::POST,
            unknown,
            Some(MARKETING),
            Some(json!({ "count": 1 })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .call(Method::GET, unknown, Some(MARKETING), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = server
        .call(
            Method::POST,
            path,
            Some(CHANNEL),
            Some(json!({ "count": 1 })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server.call(Method::GET, path, Some(CHANNEL), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = server
        .call(Method::POST, path, Some(ADMIN), Some(json!({ "count": 3 })))
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "admin holds every role: {body}"
    );
    assert_eq!(codes_of(&body).len(), 3);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_plugin_runs_with_their_fuel() {
    let server = catalogue_server().await;
    server.create(ten_from_100_web()).await;
    for price in ["120.00", "150.00", "50.00"] {
        server.evaluate(basket("web", price)).await;
    }
    let (status, _) = server
        .call(
            Method::GET,
            "/v1/campaigns/ten-from-100",
            Some(MARKETING),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.call(Method::GET, "/no/such/route", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = server.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .call(Method::GET, "/metrics", Some(CHANNEL), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let response = server
        .client
        .get(format!("{}/metrics", server.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.expect("a body");

    // Other tests of this file share the process's recorder: counts are at least ours.
    let evaluate = [
        ("route", "/v1/evaluate"),
        ("method", "POST"),
        ("status", "200"),
    ];
    let requests = sample(&text, "remise_http_requests_total", &evaluate);
    assert!(requests.is_some_and(|n| n >= 3.0), "{text}");
    let mut bucket = evaluate.to_vec();
    bucket.push(("le", "1"));
    let within_a_second = sample(
        &text,
        "remise_http_request_duration_seconds_bucket",
        &bucket,
    );
    assert!(within_a_second.is_some_and(|n| n >= 3.0), "{text}");
    assert!(
        text.contains("remise_http_request_duration_seconds_bucket{")
            && text.contains("le=\"0.0005\""),
        "{text}"
    );
    // The route template, never the raw path; a path no route serves is `unmatched`.
    let by_id = [
        ("route", "/v1/campaigns/{id}"),
        ("method", "GET"),
        ("status", "200"),
    ];
    assert!(
        sample(&text, "remise_http_requests_total", &by_id).is_some(),
        "{text}"
    );
    assert!(!text.contains("ten-from-100"), "{text}");
    let unmatched = [("route", "unmatched"), ("method", "GET"), ("status", "404")];
    assert!(
        sample(&text, "remise_http_requests_total", &unmatched).is_some(),
        "{text}"
    );
    let forbidden = [("route", "/metrics"), ("status", "403")];
    assert!(
        sample(&text, "remise_http_requests_total", &forbidden).is_some(),
        "{text}"
    );

    let plugin = [("plugin", "threshold-discount"), ("version", "1.0.0")];
    let runs = sample(&text, "remise_plugin_runs_total", &plugin);
    assert!(runs.is_some_and(|n| n >= 3.0), "{text}");
    let fuel = sample(&text, "remise_plugin_fuel_used_total", &plugin);
    assert!(fuel.is_some_and(|n| n > 0.0), "{text}");
    let evaluations = sample(&text, "remise_evaluations_total", &[]);
    assert!(evaluations.is_some_and(|n| n >= 3.0), "{text}");
}
