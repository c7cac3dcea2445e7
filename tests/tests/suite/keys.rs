//! Keys have a lifecycle (issue 15 item 1): an admin creates a key (shown once), lists them
//! (never a key nor its hash) and revokes one, refused at once by the host that revoked it
//! and within a second by another host on the same PostgreSQL; a key removed from the
//! configuration (or a rotated `REMISE_ADMIN_KEY`) stops working at the next start; a
//! configured key shorter than 32 characters is refused at start; an unknown key already
//! refused is refused again without asking the database (issue 15 item 6).

use remise::auth::hash_key;
use remise::serve::StartError;
use remise::store::testing::{execute, postgres_server};
use remise_tests::http::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Creates a key with `role` and `label` as the admin: the answer, checked to be a 201.
async fn create(server: &Server, role: &str, label: &str) -> Value {
    let (status, created) = server
        .call(
            Method::POST,
            "/v1/keys",
            ADMIN,
            Some(json!({ "role": role, "label": label })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// `GET /v1/keys` as the admin.
async fn list(server: &Server) -> Vec<Value> {
    let (status, keys) = server.call(Method::GET, "/v1/keys", ADMIN, None).await;
    assert_eq!(status, StatusCode::OK, "{keys}");
    keys.as_array().cloned().expect("a list of keys")
}

/// The listed key labelled `label`.
async fn listed(server: &Server, label: &str) -> Value {
    list(server)
        .await
        .into_iter()
        .find(|key| key["label"] == label)
        .unwrap_or_else(|| panic!("a key labelled {label} is listed"))
}

/// The status of `GET /v1/me` with `key`.
async fn me(server: &Server, key: &str) -> StatusCode {
    server.call(Method::GET, "/v1/me", key, None).await.0
}

#[tokio::test]
async fn an_admin_creates_lists_and_revokes_keys() {
    let server = Server::start_with(&[]).await;
    let created = create(&server, "channel", "kiosk").await;
    let key = created["key"].as_str().expect("the key, shown once");
    assert!(key.starts_with("rk_") && key.len() == 67, "{created}");
    assert_eq!(created["role"], "channel");
    assert_eq!(created["source"], "created");
    assert!(created["revoked_at"].is_null() && created["last_used_at"].is_null());
    let id = created["id"].as_str().expect("an id").to_string();
    // The new key works at once, with its role and label.
    assert_eq!(
        server.call(Method::GET, "/v1/me", key, None).await,
        (
            StatusCode::OK,
            json!({ "role": "channel", "label": "kiosk" })
        )
    );
    // Listed with every configured key, without the key.
    let keys = list(&server).await;
    assert_eq!(keys.len(), 6, "{keys:?}");
    let kiosk = listed(&server, "kiosk").await;
    assert_eq!(kiosk["id"], id.as_str());
    assert!(kiosk.get("key").is_none(), "{kiosk}");
    let admin = listed(&server, "REMISE_ADMIN_KEY").await;
    assert_eq!(
        (&admin["role"], &admin["source"]),
        (&json!("admin"), &json!("configured"))
    );
    // Only admins manage keys.
    for other in [MARKETING, OPS, CHANNEL] {
        for (method, path) in [
            (Method::GET, "/v1/keys".to_string()),
            (Method::POST, "/v1/keys".to_string()),
            (Method::DELETE, format!("/v1/keys/{id}")),
        ] {
            let body = (method == Method::POST).then(|| json!({ "role": "admin" }));
            let (status, problem) = server.call(method.clone(), &path, other, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {problem}");
        }
    }
    // A body that names no role, or one of none, is a 422 at /role; a label too long at
    // /label.
    server
        .refused("/v1/keys", ADMIN, json!({ "role": "root" }), &["/role"])
        .await;
    server
        .refused(
            "/v1/keys",
            ADMIN,
            json!({ "role": "ops", "label": "x".repeat(101) }),
            &["/label"],
        )
        .await;

    // Revoked: refused at once on this host, listed with its revocation time.
    let path = format!("/v1/keys/{id}");
    let (status, body) = server.call(Method::DELETE, &path, ADMIN, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, problem) = server.call(Method::GET, "/v1/me", key, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    let (status, _) = server.call(Method::GET, "/v1/plugins", key, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(listed(&server, "kiosk").await["revoked_at"].is_string());
    // Again: nothing changes. An unknown id is a 404.
    let (status, _) = server.call(Method::DELETE, &path, ADMIN, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = server
        .call(Method::DELETE, "/v1/keys/0000000000000000", ADMIN, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    // It stays revoked across a restart; the other keys still work.
    let server = server.restart().await;
    assert_eq!(me(&server, key).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&server, OPS).await, StatusCode::OK);
}

#[tokio::test]
async fn the_list_never_shows_a_key_nor_its_hash() {
    let server = Server::start_with(&[]).await;
    let created = create(&server, "ops", "night shift").await;
    let key = created["key"].as_str().expect("the key").to_string();
    // Used once, so its last use is listed too.
    assert_eq!(me(&server, &key).await, StatusCode::OK);
    let (status, text) = {
        let response = server
            .client
            .get(format!("{}/v1/keys", server.base))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("the server answers");
        (response.status(), response.text().await.expect("a body"))
    };
    assert_eq!(status, StatusCode::OK, "{text}");
    for secret in [ADMIN, CHANNEL, STORE_CHANNEL, MARKETING, OPS, key.as_str()] {
        assert!(!text.contains(secret), "a key is listed: {text}");
        assert!(
            !text.contains(&hash_key(secret)),
            "a key's hash is listed: {text}"
        );
        // Nor a part of one long enough to matter.
        assert!(!text.contains(&hash_key(secret)[..16]), "{text}");
    }
    // The last use is written off the request's path: it shows soon.
    let started = Instant::now();
    loop {
        if listed(&server, "night shift").await["last_used_at"].is_string() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the key's last use is not listed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_key_removed_from_the_configuration_stops_working_at_the_next_start() {
    let server = Server::start_with(&[]).await;
    let created = create(&server, "marketing", "agency").await;
    let made = created["key"].as_str().expect("the key").to_string();
    for key in [ADMIN, OPS, CHANNEL, made.as_str()] {
        assert_eq!(me(&server, key).await, StatusCode::OK);
    }
    // The ops key leaves the file, and REMISE_ADMIN_KEY is rotated.
    let rotated = "rotated-admin-key-0123456789abcdef0123";
    let keys = Keys {
        config: format!(
            "[[keys]]\nkey = \"{CHANNEL}\"\nrole = \"channel\"\nlabel = \"web shop\"\n\n\
             [[keys]]\nkey = \"{MARKETING}\"\nrole = \"marketing\"\n"
        ),
        admin_key: Some(rotated.to_string()),
    };
    let server = server
        .restart_with_keys(keys)
        .await
        .expect("the service starts again");
    for (key, expected) in [
        (OPS, StatusCode::UNAUTHORIZED),
        (ADMIN, StatusCode::UNAUTHORIZED),
        (rotated, StatusCode::OK),
        (CHANNEL, StatusCode::OK),
        // A key created through the API lasts until revoked.
        (made.as_str(), StatusCode::OK),
    ] {
        assert_eq!(me(&server, key).await, expected, "{key}");
    }
    let (status, keys_listed) = server.call(Method::GET, "/v1/keys", rotated, None).await;
    assert_eq!(status, StatusCode::OK);
    let ops = keys_listed
        .as_array()
        .and_then(|keys| keys.iter().find(|key| key["label"] == "ops on call"))
        .expect("the ops key is still listed");
    assert_eq!(ops["source"], "configured");
    assert!(ops["revoked_at"].is_string(), "{ops}");
    // Named in the configuration again, a revoked key stays revoked.
    let server = server
        .restart_with_keys(Keys::default())
        .await
        .expect("the service starts again");
    assert_eq!(me(&server, OPS).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&server, ADMIN).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&server, CHANNEL).await, StatusCode::OK);
}

#[tokio::test]
async fn a_configured_key_shorter_than_32_characters_is_refused_at_start() {
    let server = Server::start_with(&[]).await;
    let keys = Keys {
        config: "[[keys]]\nkey = \"short-till-key\"\nrole = \"channel\"\nlabel = \"tills\"\n"
            .to_string(),
        ..Keys::default()
    };
    let error = match server.restart_with_keys(keys).await {
        Ok(_) => panic!("a 14-character key is accepted"),
        Err(error) => error,
    };
    let message = error.to_string();
    assert!(matches!(error, StartError::ShortKey(_)), "{message}");
    assert!(
        message.contains("key 1 of [[keys]]")
            && message.contains("\"tills\"")
            && message.contains("14 characters")
            && message.contains("32"),
        "{message}"
    );
    assert!(
        !message.contains("short-till-key"),
        "the key is shown: {message}"
    );
}

#[tokio::test]
async fn an_unknown_key_already_refused_is_refused_again_without_the_database() {
    let server = Server::start_with(&[]).await;
    let stranger = "rk_0000000000000000000000000000000000000000000000000000000000000000";
    assert_eq!(me(&server, stranger).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&server, OPS).await, StatusCode::OK);
    // The keys' table goes away: a lookup in the database would fail (a 503).
    execute(
        server.database_url(),
        "ALTER TABLE api_keys RENAME TO api_keys_away",
    )
    .await;
    let refused = me(&server, stranger).await;
    let known = me(&server, OPS).await;
    let new_stranger = me(&server, "rk_1111").await;
    execute(
        server.database_url(),
        "ALTER TABLE api_keys_away RENAME TO api_keys",
    )
    .await;
    assert_eq!(refused, StatusCode::UNAUTHORIZED, "asked the database");
    assert_eq!(known, StatusCode::OK, "asked the database");
    // A key never seen is looked up: the database's failure shows.
    assert_eq!(new_stranger, StatusCode::SERVICE_UNAVAILABLE);
    // A key created since is not refused for having been unknown.
    let created = create(&server, "ops", "later").await;
    let key = created["key"].as_str().expect("the key");
    assert_eq!(me(&server, key).await, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_on_one_host_is_refused_by_the_other_within_a_second() {
    if postgres_server().is_none() {
        println!("skipped: needs PostgreSQL (scripts/with-postgres.sh)");
        return;
    }
    let a = Server::start_with(&[]).await;
    let b = Server::start_on(a.database_url(), &[]).await;
    // Created on A, the key works on B at once (B finds it in the database).
    let created = create(&a, "channel", "kiosk").await;
    let key = created["key"].as_str().expect("the key").to_string();
    let id = created["id"].as_str().expect("an id").to_string();
    for host in [&a, &b] {
        assert_eq!(me(host, &key).await, StatusCode::OK);
    }
    let (status, _) = a
        .call(Method::DELETE, &format!("/v1/keys/{id}"), ADMIN, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let revoked = Instant::now();
    assert_eq!(
        me(&a, &key).await,
        StatusCode::UNAUTHORIZED,
        "A refuses at once"
    );
    loop {
        if me(&b, &key).await == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            revoked.elapsed() < Duration::from_secs(1),
            "B still takes the key revoked on A"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "B refused the key {} ms after A revoked it",
        revoked.elapsed().as_millis()
    );
    // A key removed from the configuration when A restarts is refused by B as well.
    let keys = Keys {
        config: format!(
            "[[keys]]\nkey = \"{CHANNEL}\"\nrole = \"channel\"\nlabel = \"web shop\"\n\n\
             [[keys]]\nkey = \"{MARKETING}\"\nrole = \"marketing\"\n"
        ),
        ..Keys::default()
    };
    assert_eq!(me(&b, OPS).await, StatusCode::OK);
    let _a = a.restart_with_keys(keys).await.expect("A starts again");
    let restarted = Instant::now();
    loop {
        if me(&b, OPS).await == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(1),
            "B still takes the key A's configuration dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
