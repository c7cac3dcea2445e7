//! The store against real SQLite files in temporary directories.

use super::testing::fresh_database_url;
use super::*;
use crate::auth::{hash_key, KeyInfo, Role};
use crate::model::campaign::testing::spec_example;
use serde_json::json;
use std::collections::HashMap;
use tempfile::TempDir;

fn example() -> Campaign {
    serde_json::from_value(spec_example()).expect("the example campaign parses")
}

fn minimal(id: &str) -> Campaign {
    serde_json::from_value(json!({ "id": id, "name": "C", "plugin": "free-gift", "params": {} }))
        .expect("a minimal campaign parses")
}

/// A fresh store (SQLite in a new temporary directory kept alive by the returned guard,
/// or a new PostgreSQL database when the suite runs on PostgreSQL).
async fn fresh() -> (Store, TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = fresh_database_url(dir.path(), "remise").await;
    let store = Store::open(&url).await.expect("the store opens");
    (store, dir)
}

#[tokio::test]
async fn campaigns_round_trip_through_create_get_list_replace_delete() {
    let (store, _dir) = fresh().await;
    store.ping().await.expect("ping");
    assert!(store.campaigns().await.expect("list").is_empty());
    assert!(store.campaign("ten-from-100").await.expect("get").is_none());

    let campaign = example();
    let created = store
        .create_campaign(&campaign, "test")
        .await
        .expect("create");
    assert_eq!(created.campaign, campaign);
    assert_eq!(created.revision, 1);
    assert_eq!(created.created_at, created.updated_at);

    let read = store.campaign("ten-from-100").await.expect("get");
    assert_eq!(read.as_ref(), Some(&created));
    // The JSON stored is the campaign's, field for field.
    let read = read.expect("it is there");
    assert_eq!(
        serde_json::to_value(&read.campaign).expect("serialize"),
        serde_json::to_value(&campaign).expect("serialize")
    );

    store
        .create_campaign(&minimal("a-first"), "test")
        .await
        .expect("create");
    let ids: Vec<String> = store
        .campaigns()
        .await
        .expect("list")
        .into_iter()
        .map(|stored| stored.campaign.id)
        .collect();
    assert_eq!(ids, ["a-first", "ten-from-100"]);

    let mut changed = campaign.clone();
    changed.name = "12 % dès 100 €".into();
    changed.params = json!({ "tiers": [ { "min_subtotal": "100.00", "percent_off": "12" } ] });
    let replaced = store
        .replace_campaign(&changed, None, "test")
        .await
        .expect("replace");
    assert_eq!(replaced.revision, 2);
    assert_eq!(replaced.created_at, created.created_at);
    assert!(replaced.updated_at >= created.updated_at);
    assert_eq!(
        store.campaign("ten-from-100").await.expect("get"),
        Some(replaced)
    );

    assert!(store
        .delete_campaign("ten-from-100", "test")
        .await
        .expect("delete"));
    assert!(!store
        .delete_campaign("ten-from-100", "test")
        .await
        .expect("delete"));
    assert!(store.campaign("ten-from-100").await.expect("get").is_none());
    assert_eq!(store.campaigns().await.expect("list").len(), 1);
}

#[tokio::test]
async fn every_write_keeps_its_revision_and_a_deleted_id_goes_on_numbering() {
    let (store, _dir) = fresh().await;
    let first = example();
    store
        .create_campaign(&first, "Marie")
        .await
        .expect("create");
    let mut second = first.clone();
    second.name = "12 % dès 100 €".into();
    store
        .replace_campaign(&second, Some(1), "ops key")
        .await
        .expect("replace");
    // A refused write leaves no revision behind.
    assert!(matches!(
        store.replace_campaign(&first, Some(1), "late").await,
        Err(StoreError::Stale { .. })
    ));
    assert!(store
        .delete_campaign(&first.id, "Paul")
        .await
        .expect("delete"));
    let again = store
        .create_campaign(&first, "Marie")
        .await
        .expect("created again");
    assert_eq!(again.revision, 4, "numbering goes on after the deletion");

    let revisions = store.campaign_revisions(&first.id).await.expect("history");
    let summary: Vec<(i64, RevisionAction, &str)> = revisions
        .iter()
        .map(|r| (r.revision, r.action, r.author.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, RevisionAction::Created, "Marie"),
            (2, RevisionAction::Replaced, "ops key"),
            (3, RevisionAction::Deleted, "Paul"),
            (4, RevisionAction::Created, "Marie"),
        ]
    );
    assert_eq!(revisions[0].campaign.as_ref(), Some(&first));
    assert_eq!(revisions[1].campaign.as_ref(), Some(&second));
    assert_eq!(revisions[2].campaign, None);
    assert!(revisions
        .windows(2)
        .all(|w| w[0].written_at <= w[1].written_at));
    let one = store
        .campaign_revision(&first.id, 2)
        .await
        .expect("read")
        .expect("revision 2 is kept");
    assert_eq!(one, revisions[1]);
    assert!(store
        .campaign_revision(&first.id, 5)
        .await
        .expect("read")
        .is_none());
    assert!(store
        .campaign_revisions("never-was")
        .await
        .expect("read")
        .is_empty());
}

#[tokio::test]
async fn a_taken_id_is_refused_and_the_first_campaign_kept() {
    let (store, _dir) = fresh().await;
    store
        .create_campaign(&example(), "test")
        .await
        .expect("create");
    let mut other = minimal("ten-from-100");
    other.name = "another".into();
    match store.create_campaign(&other, "test").await {
        Err(StoreError::Exists(id)) => assert_eq!(id, "ten-from-100"),
        other => panic!("expected Exists, got {other:?}"),
    }
    let kept = store.campaign("ten-from-100").await.expect("get");
    assert_eq!(kept.map(|stored| stored.campaign), Some(example()));
}

#[tokio::test]
async fn a_replace_against_a_stale_revision_is_refused() {
    let (store, _dir) = fresh().await;
    let campaign = example();
    store
        .create_campaign(&campaign, "test")
        .await
        .expect("create");
    let mut changed = campaign.clone();
    changed.priority = 5;

    for wrong in [0, 2, -1] {
        match store.replace_campaign(&changed, Some(wrong), "test").await {
            Err(StoreError::Stale { id, expected }) => {
                assert_eq!((id.as_str(), expected), ("ten-from-100", wrong));
            }
            other => panic!("expected Stale, got {other:?}"),
        }
    }
    let unchanged = store
        .campaign("ten-from-100")
        .await
        .expect("get")
        .expect("there");
    assert_eq!((unchanged.revision, unchanged.campaign.priority), (1, 100));

    let second = store
        .replace_campaign(&changed, Some(1), "test")
        .await
        .expect("replace at 1");
    assert_eq!(second.revision, 2);
    // The writer who read revision 1 too is now stale.
    assert!(matches!(
        store.replace_campaign(&campaign, Some(1), "test").await,
        Err(StoreError::Stale { expected: 1, .. })
    ));
    let third = store
        .replace_campaign(&campaign, Some(2), "test")
        .await
        .expect("replace at 2");
    assert_eq!(third.revision, 3);
    let read = store
        .campaign("ten-from-100")
        .await
        .expect("get")
        .expect("there");
    assert_eq!((read.revision, read.campaign.priority), (3, 100));
}

#[tokio::test]
async fn replacing_a_missing_campaign_is_not_found() {
    let (store, _dir) = fresh().await;
    for expected in [None, Some(1)] {
        match store.replace_campaign(&example(), expected, "test").await {
            Err(StoreError::NotFound(id)) => assert_eq!(id, "ten-from-100"),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
    assert!(store.campaigns().await.expect("list").is_empty());
}

#[tokio::test]
async fn concurrent_replaces_at_one_revision_let_exactly_one_through() {
    let (store, _dir) = fresh().await;
    store
        .create_campaign(&example(), "test")
        .await
        .expect("create");
    let writers = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut changed = example();
            changed.priority = i;
            store.replace_campaign(&changed, Some(1), "test").await
        })
    });
    let mut won = 0;
    for writer in writers.collect::<Vec<_>>() {
        match writer.await.expect("the task ends") {
            Ok(stored) => {
                assert_eq!(stored.revision, 2);
                won += 1;
            }
            Err(StoreError::Stale { .. }) => {}
            Err(other) => panic!("expected Stale, got {other}"),
        }
    }
    assert_eq!(won, 1);
    let read = store
        .campaign("ten-from-100")
        .await
        .expect("get")
        .expect("there");
    assert_eq!(read.revision, 2);
}

#[tokio::test]
async fn groups_are_upserted() {
    let (store, _dir) = fresh().await;
    assert!(store.groups().await.expect("groups").is_empty());
    store
        .set_group("seasonal", Policy::Priority)
        .await
        .expect("set");
    store
        .set_group("loyalty", Policy::BestForMerchant)
        .await
        .expect("set");
    store
        .set_group("seasonal", Policy::BestForCustomer)
        .await
        .expect("set again");
    assert_eq!(
        store.groups().await.expect("groups"),
        [
            ("loyalty".to_owned(), Policy::BestForMerchant),
            ("seasonal".to_owned(), Policy::BestForCustomer),
        ]
    );
}

#[tokio::test]
async fn keys_are_found_by_hash_and_upserted() {
    let (store, _dir) = fresh().await;
    assert_eq!(store.key_count().await.expect("count"), 0);
    let (admin, channel) = (hash_key("rk_admin"), hash_key("rk_till"));
    store
        .configure_key(&admin, "a0", Role::Admin, "first run")
        .await
        .expect("add");
    store
        .configure_key(&channel, "c0", Role::Marketing, "tills")
        .await
        .expect("add");
    store
        .configure_key(&channel, "c1", Role::Channel, "")
        .await
        .expect("re-add");
    assert_eq!(store.key_count().await.expect("count"), 2);
    assert_eq!(
        store.key(&admin).await.expect("key"),
        Some(KeyInfo::new(&admin, Role::Admin, "first run"))
    );
    // The new role and label; an empty label is none.
    assert_eq!(
        store.key(&channel).await.expect("key"),
        Some(KeyInfo {
            hash: channel.as_str().into(),
            role: Role::Channel,
            label: None
        })
    );
    assert_eq!(store.key(&hash_key("rk_nobody")).await.expect("key"), None);
    // The key itself is not a hash of anything stored.
    assert_eq!(store.key("rk_admin").await.expect("key"), None);
    // A re-configured key keeps its first id.
    let ids: Vec<String> = store
        .keys()
        .await
        .expect("keys")
        .into_iter()
        .map(|key| key.id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"c0".to_string()), "{ids:?}");
}

#[tokio::test]
async fn a_revoked_key_is_listed_but_never_found_again() {
    let (store, _dir) = fresh().await;
    let (configured, created) = (hash_key("rk_configured"), hash_key("rk_created"));
    store
        .configure_key(&configured, "1111", Role::Ops, "ops")
        .await
        .expect("configure");
    let made = store
        .create_key(&created, "2222", Role::Channel, "tills")
        .await
        .expect("create");
    assert_eq!(made.source, crate::auth::KeySource::Created);
    assert_eq!(store.active_keys().await.expect("active").len(), 2);
    // A start whose configuration names no key revokes the configured one only.
    let revoked = store
        .revoke_configured_keys_except(&[])
        .await
        .expect("revoke");
    assert_eq!(revoked, [(configured.clone(), "ops".to_string())]);
    assert_eq!(store.key(&configured).await.expect("key"), None);
    assert!(store.key(&created).await.expect("key").is_some());
    // Configured again, it stays revoked.
    assert!(!store
        .configure_key(&configured, "3333", Role::Ops, "ops")
        .await
        .expect("configure"));
    assert_eq!(store.key(&configured).await.expect("key"), None);
    assert_eq!(
        store.revoke_key("2222").await.expect("revoke"),
        Revoked::Now(created.clone())
    );
    assert_eq!(
        store.revoke_key("2222").await.expect("revoke"),
        Revoked::Already
    );
    assert_eq!(
        store.revoke_key("9999").await.expect("revoke"),
        Revoked::Unknown
    );
    assert_eq!(store.key_count().await.expect("count"), 0);
    store.touch_key(&configured).await.expect("touch");
    let keys = store.keys().await.expect("keys");
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|key| key.revoked_at.is_some()), "{keys:?}");
    assert!(keys
        .iter()
        .any(|key| key.id == "1111" && key.last_used_at.is_some()));
}

#[tokio::test]
async fn data_survives_reopening_the_database() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = fresh_database_url(dir.path(), "remise").await;
    let created = {
        let store = Store::open(&url).await.expect("open");
        let created = store
            .create_campaign(&example(), "test")
            .await
            .expect("create");
        store
            .set_group("seasonal", Policy::Priority)
            .await
            .expect("set");
        store
            .configure_key(&hash_key("k"), "k0", Role::Ops, "ops")
            .await
            .expect("add");
        store.close().await;
        created
    };
    // Opening again runs the (already applied) migrations again: a no-op.
    let store = Store::open(&url).await.expect("reopen");
    assert_eq!(store.campaigns().await.expect("list"), [created]);
    assert_eq!(
        store.groups().await.expect("groups"),
        [("seasonal".to_owned(), Policy::Priority)]
    );
    assert_eq!(
        store.key(&hash_key("k")).await.expect("key"),
        Some(KeyInfo::new(&hash_key("k"), Role::Ops, "ops"))
    );
}

#[tokio::test]
async fn an_in_memory_store_works() {
    let store = Store::open("sqlite::memory:").await.expect("open");
    store
        .create_campaign(&example(), "test")
        .await
        .expect("create");
    assert_eq!(store.campaigns().await.expect("list").len(), 1);
}

#[tokio::test]
async fn opening_in_a_missing_directory_or_another_scheme_is_an_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = dir.path().join("no").join("such").join("remise.db");
    let result = Store::open(&format!("sqlite://{}", missing.display())).await;
    assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
    assert!(!missing.exists());

    let result = Store::open("mysql://localhost/remise").await;
    assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
}

#[tokio::test]
async fn an_unreadable_stored_campaign_is_corrupt_not_a_panic() {
    let (store, _dir) = fresh().await;
    store
        .create_campaign(&minimal("ok"), "test")
        .await
        .expect("create");
    sqlx::query(
        "INSERT INTO campaigns (id, body, revision, created_at, updated_at) \
         VALUES ('bad', '{\"id\": \"bad\"}', 1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
    )
    .execute(&store.pool)
    .await
    .expect("insert by hand");
    match store.campaign("bad").await {
        Err(StoreError::Corrupt(id, _)) => assert_eq!(id, "bad"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(matches!(
        store.campaigns().await,
        Err(StoreError::Corrupt(..))
    ));
    assert!(store.campaign("ok").await.expect("get").is_some());
}

#[tokio::test]
async fn every_sqlite_connection_uses_wal_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("remise.db").display());
    let settings = PoolSettings {
        max_connections: Some(4),
        ..PoolSettings::default()
    };
    let store = Store::open_with(&url, settings)
        .await
        .expect("the store opens");
    // Every connection of the pool at once, so none is checked twice.
    let mut connections = Vec::new();
    for _ in 0..4 {
        connections.push(store.pool.acquire().await.expect("a connection"));
    }
    for conn in &mut connections {
        let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&mut **conn)
            .await
            .expect("journal_mode");
        let (synchronous,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&mut **conn)
            .await
            .expect("synchronous");
        let (foreign_keys,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(&mut **conn)
            .await
            .expect("foreign_keys");
        // synchronous: 2 is FULL (the WAL is synced at every commit), 1 NORMAL.
        assert_eq!((journal.as_str(), synchronous, foreign_keys), ("wal", 2, 1));
    }
}

/// A PostgreSQL server that answers its first message, an SSLRequest, with `answer` and
/// sends what the client sends next (up to 5 bytes) on `seen`.
async fn fake_postgres(answer: u8) -> (String, tokio::sync::mpsc::Receiver<Vec<u8>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("bound");
    let (seen, received) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 8];
            if socket.read_exact(&mut request).await.is_err() {
                continue;
            }
            // Length 8, then the SSLRequest code 80877103.
            assert_eq!(
                request,
                [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f],
                "an SSLRequest"
            );
            if socket.write_all(&[answer]).await.is_err() {
                continue;
            }
            let mut next = vec![0u8; 5];
            let read = socket.read(&mut next).await.unwrap_or(0);
            next.truncate(read);
            let _ = seen.send(next).await;
        }
    });
    (
        format!("postgres://remise:s3cret@{address}/remise"),
        received,
    )
}

#[tokio::test]
async fn sslmode_require_speaks_tls_or_refuses_a_server_without_it() {
    let settings = PoolSettings {
        max_connections: Some(1),
        acquire_timeout: std::time::Duration::from_secs(2),
        ..PoolSettings::default()
    };
    // A server that accepts TLS: what follows the SSLRequest is a TLS handshake record.
    let (url, mut seen) = fake_postgres(b'S').await;
    let opened = Store::open_with(&format!("{url}?sslmode=require"), settings).await;
    assert!(
        opened.is_err(),
        "the fake server never finishes a handshake"
    );
    let next = seen
        .recv()
        .await
        .expect("the client went on after the SSLRequest");
    assert_eq!(
        next.first(),
        Some(&0x16),
        "a TLS ClientHello, not clear text: {next:?}"
    );

    // A server without TLS: refused with a clear error, never a connection in clear.
    let (url, _seen) = fake_postgres(b'N').await;
    match Store::open_with(&format!("{url}?sslmode=require"), settings).await {
        Err(error) => {
            let message = error.to_string();
            assert!(
                message.contains("TLS") && !message.contains("s3cret"),
                "{message}"
            );
        }
        Ok(_) => panic!("sslmode=require must not connect in clear"),
    }
}

/// A database at `url` with the migrations up to `version` only, as the Remise of then
/// left it: a pool on it.
async fn migrated_up_to(url: &str, version: u32, dir: &std::path::Path) -> AnyPool {
    let backend = Backend::of_url(url).expect("a database URL");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(match backend {
        Backend::Sqlite => "migrations/sqlite",
        Backend::Postgres => "migrations/postgres",
    });
    let then = dir.join(format!("migrations-{version}"));
    std::fs::create_dir_all(&then).expect("a folder");
    for entry in std::fs::read_dir(&source).expect("the migrations") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let number: u32 = name
            .get(..4)
            .and_then(|n| n.parse().ok())
            .unwrap_or(u32::MAX);
        if number <= version {
            std::fs::copy(&path, then.join(name)).expect("copied");
        }
    }
    sqlx::any::install_default_drivers();
    let url = match backend {
        Backend::Sqlite => sqlite_creating(url),
        Backend::Postgres => url.to_string(),
    };
    let pool = AnyPool::connect(&url).await.expect("the database opens");
    Migrator::new(then.as_path())
        .await
        .expect("the migrations read")
        .run(&pool)
        .await
        .expect("migrated");
    pool
}

#[tokio::test]
async fn migration_5_names_the_currency_each_spent_budget_was_spent_in() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = fresh_database_url(dir.path(), "remise").await;
    let pool = migrated_up_to(&url, 4, dir.path()).await;
    // As Remise left them before budgets named their currency: a budget spent in EUR; one
    // whose currency an order without a discount fixed to USD; a campaign without a budget
    // that granted EUR.
    let campaigns = [
        ("spent", json!({ "budget": "100.00" }), Some("EUR"), 500),
        (
            "unspent",
            json!({ "budget": "50.00", "partial": true }),
            Some("USD"),
            0,
        ),
        ("no-budget", json!({ "redemptions": 10 }), Some("EUR"), 300),
        ("never-used", json!({ "budget": "10.00" }), None, 0),
    ];
    let at = "2026-03-01T00:00:00.000000Z";
    for (id, limits, currency, granted) in &campaigns {
        let body = json!({ "id": id, "name": "C", "plugin": "free-gift", "params": {},
                           "limits": limits });
        sqlx::query(
            "INSERT INTO campaigns (id, body, revision, created_at, updated_at) \
             VALUES ($1, $2, 1, $3, $3)",
        )
        .bind(*id)
        .bind(body.to_string())
        .bind(at)
        .execute(&pool)
        .await
        .expect("a campaign of then");
        if let Some(currency) = currency {
            sqlx::query(
                "INSERT INTO campaign_usage (campaign_id, currency, redemptions, granted_minor) \
                 VALUES ($1, $2, 2, $3)",
            )
            .bind(*id)
            .bind(*currency)
            .bind(*granted)
            .execute(&pool)
            .await
            .expect("its usage");
        }
    }
    pool.close().await;

    // Today's Remise opens it: migration 5 runs, and every campaign still loads.
    let store = Store::open(&url)
        .await
        .expect("the store opens and migrates");
    let mut stored = store.campaigns().await.expect("every campaign reads");
    stored.sort_by(|a, b| a.campaign.id.cmp(&b.campaign.id));
    let found: Vec<(&str, Option<&str>, i64)> = stored
        .iter()
        .map(|s| {
            let limits = &s.campaign.limits;
            (
                s.campaign.id.as_str(),
                limits.budget_currency.as_deref(),
                s.revision,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("never-used", None, 1),
            ("no-budget", None, 1),
            ("spent", Some("EUR"), 2),
            ("unspent", None, 1),
        ]
    );
    for s in &stored {
        assert_eq!(s.campaign.validate_stored(), Ok(()), "{}", s.campaign.id);
    }
    let spent = &stored[2].campaign.limits;
    assert_eq!(spent.budget, Some(rust_decimal::Decimal::new(10_000, 2)));
    assert_eq!(store.generation().await.expect("generation"), 1);

    let usage = store.usage().await.expect("usage");
    let currency = |id: &str| usage.get(id).and_then(|u| u.currency.as_deref());
    assert_eq!(currency("spent"), Some("EUR"));
    assert_eq!(
        currency("unspent"),
        None,
        "fixed by an order that granted nothing"
    );
    assert_eq!(currency("no-budget"), Some("EUR"));
    assert_eq!(usage["unspent"].redemptions, 2);
}

#[tokio::test]
async fn a_deleted_plugin_version_is_archived_by_its_sha256() {
    let (store, _dir) = fresh().await;
    let bytes = b"\0asm pretend component".to_vec();
    store
        .add_plugin_version("flip", "2.0.0", "ab12", &bytes)
        .await
        .expect("upload");
    assert_eq!(store.archived_plugin("ab12").await.expect("read"), None);
    assert!(store
        .delete_plugin_version("flip", "2.0.0")
        .await
        .expect("delete"));
    assert_eq!(
        store.plugin_component("flip", "2.0.0").await.expect("read"),
        None
    );
    assert_eq!(
        store.archived_plugin("ab12").await.expect("read"),
        Some(bytes.clone()),
        "never lost"
    );
    // Uploaded and deleted again: archived once, the same bytes.
    store
        .add_plugin_version("flip", "2.0.0", "ab12", &bytes)
        .await
        .expect("upload again");
    assert!(store
        .delete_plugin_version("flip", "2.0.0")
        .await
        .expect("delete"));
    assert!(!store
        .delete_plugin_version("flip", "2.0.0")
        .await
        .expect("delete"));
    assert_eq!(
        store.archived_plugin("ab12").await.expect("read"),
        Some(bytes)
    );
}

#[tokio::test]
async fn journal_rows_round_trip_and_are_pruned_by_age() {
    let (store, _dir) = fresh().await;
    let at = |s: &str| -> chrono::DateTime<Utc> { s.parse().expect("a time") };
    let row = |id: &str, recorded: &str| JournalRow {
        evaluation_id: id.into(),
        recorded_at: at(recorded),
        priced_at: at("2026-12-01T10:00:00Z"),
        channel: "web".into(),
        store_id: Some("paris-1".into()),
        customer_id: None,
        campaigns: "[]".into(),
        basket: vec![1, 2, 3],
        answer: (0..=255).collect(),
        context: vec![4, 5],
    };
    let rows: Vec<JournalRow> = (0..250)
        .map(|i| row(&format!("ev_{i}"), "2026-12-01T10:00:00Z"))
        .chain([JournalRow {
            campaigns: r#"[{"id":"x","revision":2}]"#.into(),
            ..row("ev_new", "2026-12-03T10:00:00Z")
        }])
        .collect();
    store.insert_journal(&rows).await.expect("written");
    // Written again (a retried batch): kept as it was.
    store.insert_journal(&rows[..1]).await.expect("no conflict");
    assert_eq!(
        store.journal_entry("ev_7").await.expect("read"),
        Some(rows[7].clone())
    );
    assert_eq!(store.journal_entry("ev_none").await.expect("read"), None);
    let day = store
        .journal_ids(at("2026-12-03T00:00:00Z"), at("2026-12-04T00:00:00Z"))
        .await
        .expect("listed");
    assert_eq!(day, ["ev_new"], "a day's entries");
    let pruned = store
        .prune_journal(at("2026-12-02T00:00:00Z"))
        .await
        .expect("pruned");
    assert_eq!(pruned, 250);
    assert_eq!(store.journal_entry("ev_7").await.expect("read"), None);
    assert_eq!(
        store.journal_entry("ev_new").await.expect("read"),
        Some(rows[250].clone()),
        "each entry reads its own campaign list"
    );
}

#[test]
fn the_log_of_a_sqlite_url_is_the_file_beside_it() {
    use super::wal_file;
    use std::path::PathBuf;
    assert_eq!(
        wal_file("sqlite:///var/lib/remise/remise.db?mode=rwc"),
        Some(PathBuf::from("/var/lib/remise/remise.db-wal"))
    );
    assert_eq!(
        wal_file("sqlite:remise.db"),
        Some(PathBuf::from("remise.db-wal"))
    );
    assert_eq!(wal_file("postgres://h/db"), None);
    assert_eq!(wal_file("sqlite://"), None);
}

/// An order taking 5.00 from campaign `campaign`.
fn order<'a>(order_id: &'a str, campaign: &'a str) -> NewRedemption<'a> {
    NewRedemption {
        order_id,
        request_hash: "hash",
        response: "{}",
        customer_id: None,
        channel: "web",
        key_hash: "key",
        currency: "EUR",
        campaigns: vec![CampaignTake {
            plugin: "threshold-discount",
            campaign_id: campaign,
            local_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 4).expect("a date"),
            discount_minor: 500,
            coupon: None,
        }],
        points: Vec::new(),
        basket: "{}",
        pricing: "[]",
        customer_data: None,
    }
}

#[tokio::test]
async fn a_commit_rolled_back_to_its_savepoint_leaves_the_others_of_its_transaction() {
    let (store, _dir) = fresh().await;
    let locks = [
        CommitLock::Campaign("hot".into()),
        CommitLock::Order("kept-1".into()),
        CommitLock::Order("undone".into()),
        CommitLock::Order("kept-2".into()),
    ];
    let mut tx = store.begin_commit(&locks).await.expect("the commit begins");
    for (order_id, keep) in [("kept-1", true), ("undone", false), ("kept-2", true)] {
        tx.savepoint().await.expect("a savepoint");
        tx.record(&order(order_id, "hot"))
            .await
            .expect("the order is written");
        if keep {
            tx.release_savepoint().await.expect("released");
        } else {
            tx.rollback_to_savepoint().await.expect("rolled back");
        }
    }
    // What the orders add to the campaign's usage row is written at commit, once.
    let used = tx.usage_of(["hot"]).await.expect("the usage");
    assert_eq!(used["hot"].redemptions, 0);
    tx.commit().await.expect("the transaction commits");

    for (order_id, kept) in [("kept-1", true), ("undone", false), ("kept-2", true)] {
        let stored = store.redemption(order_id).await.expect("read");
        assert_eq!(stored.is_some(), kept, "{order_id}");
    }
    let usage = store.usage().await.expect("the usage");
    assert_eq!(usage["hot"].redemptions, 2);
    assert_eq!(usage["hot"].granted_minor, 1000);
}

#[tokio::test]
async fn a_groups_kept_rows_are_read_back_and_an_order_whose_rows_fail_fails_alone() {
    let (store, _dir) = fresh().await;
    let one = LeaseTake {
        redemptions: 1,
        minor: 500,
    };
    let leased = lease(&store, "a", one, 0).await;
    // An order committed before: recording it again cannot be written.
    let mut tx = store.begin_commit(&[]).await.expect("begins");
    tx.record(&order("taken", "hot")).await.expect("written");
    tx.commit().await.expect("commits");

    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).expect("a date");
    let units = [PurchasedUnits {
        kind: remise_model::customer_data::ItemKind::Sku,
        item: "A".into(),
        quantity: 2,
    }];
    // PostgreSQL keeps the rows; SQLite, where a statement is no round trip, writes
    // each order's at once, and the order already committed fails as it is recorded.
    let keeps = store.backend() == Backend::Postgres;
    let mut tx = store.begin_commit(&[]).await.expect("begins");
    tx.keep_rows();
    for (order_id, keep) in [
        ("kept-1", true),
        ("taken", true),
        ("undone", false),
        ("kept-2", true),
    ] {
        tx.savepoint().await.expect("a savepoint");
        let mut new = order(order_id, "hot");
        new.customer_id = Some("c-1");
        let recorded = tx.record(&new).await;
        if order_id == "taken" && !keeps {
            assert!(recorded.is_err(), "written at once, and refused");
            tx.rollback_to_savepoint().await.expect("rolled back");
            continue;
        }
        recorded.expect("kept, or written");
        tx.add_purchases("c-1", day, &units, 1, 1)
            .await
            .expect("kept");
        tx.use_lease(&leased.id, one);
        if keep {
            tx.release_savepoint().await.expect("released");
        } else {
            // A read first writes the rows kept: "taken" fails then, inside a commit
            // that is rolled back afterwards, which must not bring its take back.
            tx.redemption("taken").await.expect("read");
            tx.rollback_to_savepoint().await.expect("rolled back");
        }
        if order_id == "kept-1" {
            // A read sends the rows kept first, and sees them.
            let read = tx.redemption("kept-1").await.expect("read");
            assert!(read.is_some(), "a kept order is read back in its group");
        }
    }
    let unwritten = tx.commit_group().await.expect("the group commits");
    let names: Vec<&str> = unwritten.iter().map(|(id, _)| id.as_str()).collect();
    let expected: &[&str] = if keeps { &["taken"] } else { &[] };
    assert_eq!(names, expected, "only the order already committed fails");

    for (order_id, written) in [("kept-1", true), ("kept-2", true), ("undone", false)] {
        let stored = store.redemption(order_id).await.expect("read");
        assert_eq!(stored.is_some(), written, "{order_id}");
    }
    let usage = store.usage().await.expect("the usage");
    assert_eq!(
        usage["hot"].redemptions, 3,
        "the first taken, kept-1, kept-2"
    );
    assert_eq!(usage["hot"].granted_minor, 1_500);
    let rows = store.leases_of("hot").await.expect("the leases");
    let used = rows
        .iter()
        .find(|row| row.holder == "a")
        .expect("the lease");
    assert_eq!(
        used.used_redemptions, 2,
        "the failed order gave its take back"
    );
    assert_eq!(used.used_minor, 1_000);
    let now = chrono::Utc::now();
    let data = store.customer_data("c-1", now, 3_650).await.expect("data");
    let bought = &data.history.skus["A"];
    assert_eq!(
        (bought.quantity, bought.orders),
        (4, 2),
        "two orders' rows summed into one, the failed one's not"
    );
}

/// Asks for a lease of `hot` (a cap of 10 and a budget of 100.00) for `holder`.
async fn lease(store: &Store, holder: &str, need: LeaseTake, now_ms: i64) -> Granted {
    let new_id = format!("lease-{holder}-{now_ms}");
    store
        .lease(&LeaseAsk {
            campaign_id: "hot",
            holder,
            new_id: &new_id,
            limits: LeaseLimits {
                cap: Some(10),
                budget_minor: Some(10_000),
            },
            need,
            rebase: false,
            now_ms,
            ttl_ms: 1_000,
        })
        .await
        .expect("a lease")
}

#[test]
fn a_slice_is_an_eighth_of_what_is_free_at_least_what_is_needed_at_most_what_is_free() {
    assert_eq!(slice(80, 1), 10);
    assert_eq!(slice(81, 1), 11, "rounded up");
    assert_eq!(slice(80, 30), 30);
    assert_eq!(slice(5, 30), 5);
    assert_eq!(slice(1, 1), 1);
    assert_eq!(slice(0, 1), 0);
    assert_eq!(slice(-3, 1), 0, "nothing when more is held than free");
}

#[tokio::test]
async fn leases_hold_what_is_free_and_an_expired_one_comes_back() {
    let (store, _dir) = fresh().await;
    let one = LeaseTake {
        redemptions: 1,
        minor: 500,
    };
    // An eighth of what is free, or what is needed when more.
    let a = lease(&store, "a", one, 0).await;
    assert_eq!((a.redemptions, a.minor), (Some(2), Some(1_250)));
    let needy = LeaseTake {
        redemptions: 7,
        minor: 3_500,
    };
    let b = lease(&store, "b", needy, 0).await;
    assert_eq!((b.redemptions, b.minor), (Some(7), Some(3_500)));
    // Only one redemption is free now; asking again adds to the holder's own row.
    let again = lease(&store, "a", needy, 0).await;
    assert_eq!(again.id, a.id, "one row per holder and campaign");
    assert_eq!(again.redemptions, Some(1));
    let none = lease(&store, "c", one, 0).await;
    assert_eq!(none.redemptions, Some(0), "all held");

    // A commit that takes no lease counts the leased parts as used.
    let lock = [CommitLock::Campaign("hot".into())];
    let mut tx = store.begin_commit(&lock).await.expect("begins");
    let taken = tx.usage_of(["hot"]).await.expect("the usage");
    assert_eq!(taken["hot"].redemptions, 10);
    drop(tx);

    // b commits two orders against its lease; then b stops renewing. Past its expiry,
    // the next lease takes back what b did not use, never what its orders used.
    let mut tx = store.begin_commit(&[]).await.expect("begins");
    for order_id in ["b-1", "b-2"] {
        tx.record(&order(order_id, "hot")).await.expect("written");
        tx.use_lease(&b.id, one);
    }
    tx.commit().await.expect("commits");
    let rows = store.leases_of("hot").await.expect("the rows");
    assert_eq!(rows.len(), 3, "{rows:?}");
    let c = lease(&store, "c", one, 2_000).await;
    assert_eq!(c.redemptions, Some(1), "an eighth of the 5 b left unused");
    let holders: Vec<String> = store
        .leases_of("hot")
        .await
        .expect("the rows")
        .into_iter()
        .map(|row| row.holder)
        .collect();
    assert_eq!(holders, ["c"], "the expired rows are gone: {holders:?}");

    // An order counted against a lease that is gone, or past what it holds, fails its
    // whole transaction.
    let mut tx = store.begin_commit(&[]).await.expect("begins");
    tx.record(&order("late-b", "hot")).await.expect("written");
    tx.use_lease(&b.id, one);
    assert!(matches!(tx.commit().await, Err(StoreError::LeaseLost(id)) if id == b.id));
    let mut tx = store.begin_commit(&[]).await.expect("begins");
    tx.record(&order("too-much", "hot")).await.expect("written");
    tx.use_lease(
        &c.id,
        LeaseTake {
            redemptions: 2,
            minor: 0,
        },
    );
    assert!(matches!(tx.commit().await, Err(StoreError::LeaseLost(_))));
    assert_eq!(store.redemption("late-b").await.expect("read"), None);
    let usage = store.usage().await.expect("the usage");
    assert_eq!(usage["hot"].redemptions, 2, "only b's two orders");
}

#[tokio::test]
async fn a_lease_rebased_under_new_limits_drops_its_unused_part_and_is_bound_by_a_new_cap() {
    let (store, _dir) = fresh().await;
    let one = LeaseTake {
        redemptions: 1,
        minor: 500,
    };
    let ask = |limits: LeaseLimits, rebase: bool| LeaseAsk {
        campaign_id: "hot",
        holder: "a",
        new_id: "lease-a",
        limits,
        need: one,
        rebase,
        now_ms: 0,
        ttl_ms: 60_000,
    };
    // Leased under a budget of 100.00 only: the row bounds no redemptions.
    let budget_only = LeaseLimits {
        cap: None,
        budget_minor: Some(10_000),
    };
    let first = store
        .lease(&ask(budget_only, false))
        .await
        .expect("a lease");
    assert_eq!((first.redemptions, first.minor), (None, Some(1_250)));
    let mut tx = store.begin_commit(&[]).await.expect("begins");
    for order_id in ["a-1", "a-2"] {
        tx.record(&order(order_id, "hot")).await.expect("written");
        tx.use_lease(&first.id, one);
    }
    tx.commit().await.expect("commits");

    // Marketing adds a cap of 3. The row starts again from what its orders used (2, and
    // 10.00): its unused 2.50 no longer counts, and the cap now bounds it.
    let capped = LeaseLimits {
        cap: Some(3),
        budget_minor: Some(10_000),
    };
    let again = store.lease(&ask(capped, true)).await.expect("a lease");
    assert_eq!(again.id, first.id);
    assert_eq!(again.redemptions, Some(1), "3 less the 2 used");
    assert_eq!(again.minor, Some(1_094), "an eighth of 87.50, rounded up");
    let rows = store.leases_of("hot").await.expect("the rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].granted_redemptions, Some(3));
    assert_eq!(rows[0].granted_minor, Some(1_000 + 1_094));
    let mut tx = store.begin_commit(&[]).await.expect("begins");
    tx.use_lease(
        &again.id,
        LeaseTake {
            redemptions: 2,
            minor: 0,
        },
    );
    assert!(matches!(tx.commit().await, Err(StoreError::LeaseLost(_))));
}

/// No webhook listens in these tests: the events are never built.
const NO_EVENTS: ForwardedEvents<'static> = ForwardedEvents {
    committed: &|_| unreachable!("no webhook listens"),
    cancelled: &|_, _, _| unreachable!("no webhook listens"),
    crossed: &|_, _, _| unreachable!("no webhook listens"),
};

#[tokio::test]
async fn a_store_nodes_queue_is_taken_back_once_in_order_with_its_lease() {
    let (store_node, _store_dir) = fresh().await;
    let store_node = store_node.forwarding();
    let (centre, _centre_dir) = fresh().await;
    // Two orders committed at the store, then the first cancelled there.
    for order_id in ["o-1", "o-2"] {
        let lock = CommitLock::Order(order_id.to_string());
        let mut tx = store_node.begin_commit([&lock]).await.expect("begun");
        tx.record(&order(order_id, "c")).await.expect("recorded");
        tx.commit().await.expect("committed");
    }
    let lock = CommitLock::Order("o-1".to_string());
    let mut tx = store_node.begin_commit([&lock]).await.expect("begun");
    tx.cancel("o-1", Utc::now()).await.expect("cancelled");
    tx.commit().await.expect("committed");
    let queued = store_node.queued(10).await.expect("queued");
    let kinds: Vec<(&str, bool)> = queued
        .iter()
        .map(|q| {
            (
                q.entry.order_id(),
                matches!(q.entry, Forwarded::Cancel { .. }),
            )
        })
        .collect();
    assert_eq!(kinds, [("o-1", false), ("o-2", false), ("o-1", true)]);
    assert!(queued.windows(2).all(|pair| pair[0].seq < pair[1].seq));

    // The store holds a lease of the campaign at the centre.
    let granted = centre
        .lease(&LeaseAsk {
            campaign_id: "c",
            holder: &lease_holder("lyon"),
            new_id: "lease-1",
            limits: LeaseLimits {
                cap: Some(80),
                budget_minor: Some(80_000),
            },
            need: LeaseTake {
                redemptions: 1,
                minor: 1,
            },
            rebase: false,
            now_ms: 0,
            ttl_ms: 86_400_000,
        })
        .await
        .expect("leased");
    assert_eq!(granted.redemptions, Some(10));
    let currencies = HashMap::from([("c".to_string(), "EUR".to_string())]);

    // The orders first; then everything again (an answer lost): the orders are
    // acknowledged, not applied twice, and the cancel is applied.
    let taken = centre
        .take_back("lyon", &queued[..2], &currencies, &NO_EVENTS)
        .await
        .expect("taken back");
    assert_eq!((taken.applied, taken.already), (2, 0));
    assert_eq!(taken.last_seq, queued[1].seq);
    let used = |rows: Vec<LeaseRow>| (rows[0].used_redemptions, rows[0].used_minor);
    assert_eq!(used(centre.leases_of("c").await.expect("rows")), (2, 1_000));
    let taken = centre
        .take_back("lyon", &queued, &currencies, &NO_EVENTS)
        .await
        .expect("taken back");
    assert_eq!((taken.applied, taken.already), (1, 2));
    assert_eq!(taken.last_seq, queued[2].seq);
    let usage = centre.usage_of("c").await.expect("usage");
    assert_eq!(
        (usage.usage.redemptions, usage.usage.granted_minor),
        (1, 500)
    );
    assert_eq!(used(centre.leases_of("c").await.expect("rows")), (1, 500));
    let stored = centre.redemption("o-2").await.expect("read");
    assert!(stored.is_some_and(|o| o.cancelled_at.is_none()));

    // Another store's order under a known id with another basket is refused, and kept
    // aside there rather than sent again.
    let (other, _other_dir) = fresh().await;
    let other = other.forwarding();
    let mut clash = order("o-2", "c");
    clash.request_hash = "another basket";
    let lock = CommitLock::Order("o-2".to_string());
    let mut tx = other.begin_commit([&lock]).await.expect("begun");
    tx.record(&clash).await.expect("recorded");
    tx.commit().await.expect("committed");
    let sent = other.queued(10).await.expect("queued");
    let taken = centre
        .take_back("nantes", &sent, &currencies, &NO_EVENTS)
        .await
        .expect("taken back");
    assert_eq!(taken.applied, 0);
    assert_eq!(taken.refused.len(), 1, "{taken:?}");
    other.acknowledge(&taken).await.expect("acknowledged");
    assert_eq!(other.queue_counts().await.expect("counts"), (0, 1));
    assert!(other.queued(10).await.expect("queued").is_empty());

    // The store drops what the centre acknowledged.
    store_node
        .acknowledge(&taken_all(queued[2].seq))
        .await
        .expect("acknowledged");
    assert_eq!(store_node.queue_counts().await.expect("counts"), (0, 0));
}

/// The centre's answer that it applied everything up to `seq`.
fn taken_all(seq: i64) -> TakenBack {
    TakenBack {
        last_seq: seq,
        ..TakenBack::default()
    }
}

/// Order `order_id` of customer `c-42`, whose basket, answer and data name them (their id,
/// birth date and tier), as the erasure tests need.
fn with_customer(order_id: &str) -> NewRedemption<'_> {
    NewRedemption {
        customer_id: Some("c-42"),
        basket: r#"{"customer":{"id":"c-42","birth_date":"1990-05-01","loyalty_tier":"gold"}}"#,
        response: r#"{"rejected":[{"campaign":"b","detail":"c-42 is not in segment vip"}]}"#,
        customer_data: Some(r#"{"history":[]}"#),
        ..order(order_id, "c")
    }
}

#[tokio::test]
async fn an_erasure_takes_the_customer_out_of_a_store_nodes_refused_orders() {
    let (store_node, _dir) = fresh().await;
    let store_node = store_node.forwarding();
    let at = |seconds: i64| Utc::now() + chrono::Duration::seconds(seconds);
    // Three orders the centre refused: two of the customer's, committed before and after
    // the erasure (by the store's clock), and another customer's.
    let mut tx = store_node.begin_commit(&[]).await.expect("begun");
    tx.record(&with_customer("before")).await.expect("recorded");
    let late = with_customer("after");
    tx.record_at(&late, at(5)).await.expect("recorded");
    tx.forward_order(&late, at(5)).await.expect("queued");
    let other = NewRedemption {
        customer_id: Some("c-7"),
        ..order("other", "c")
    };
    tx.record(&other).await.expect("recorded");
    tx.commit().await.expect("committed");
    let queued = store_node.queued(10).await.expect("queued");
    assert_eq!(queued.len(), 3);
    let refused = TakenBack {
        refused: queued
            .iter()
            .map(|entry| (entry.seq, "known with another basket".to_string()))
            .collect(),
        ..TakenBack::default()
    };
    store_node
        .acknowledge(&refused)
        .await
        .expect("acknowledged");

    store_node
        .erase_customer("c-42", at(2))
        .await
        .expect("erased");

    let bodies: Vec<(String, String)> =
        sqlx::query_as("SELECT order_id, body FROM forward_queue ORDER BY seq")
            .fetch_all(&store_node.pool)
            .await
            .expect("the queue");
    let kept: HashMap<String, ForwardedOrder> = bodies
        .into_iter()
        .map(|(order_id, body)| match serde_json::from_str(&body) {
            Ok(Forwarded::Order(order)) => (order_id, *order),
            other => panic!("{order_id}: not an order: {other:?}"),
        })
        .collect();
    assert_eq!(kept.len(), 3, "every refused order stays in the queue");
    // Committed before the erasure: without its customer, every amount kept.
    let before = &kept["before"];
    assert_eq!(before.customer_id, None);
    assert_eq!(before.customer_data, None);
    assert!(!before.response.contains("c-42"), "{}", before.response);
    assert!(
        !before.basket.contains("c-42") && !before.basket.contains("1990"),
        "{}",
        before.basket
    );
    assert_eq!(before.campaigns[0].discount_minor, 500);
    // Committed after it, or another customer's: as sent.
    assert_eq!(kept["after"].customer_id.as_deref(), Some("c-42"));
    assert!(kept["after"].basket.contains("1990"));
    assert_eq!(kept["other"].customer_id.as_deref(), Some("c-7"));
    assert_eq!(store_node.queue_counts().await.expect("counts"), (0, 3));
}

#[tokio::test]
async fn an_erasure_reaches_store_nodes_in_the_customers_feed_and_their_late_orders() {
    let (centre, _centre_dir) = fresh().await;
    let (store_node, _store_dir) = fresh().await;
    let store_node = store_node.forwarding();
    let at = |seconds: i64| Utc::now() + chrono::Duration::seconds(seconds);

    // An order committed at the store before the erasure at the centre, and one after.
    let mut tx = store_node.begin_commit(&[]).await.expect("begun");
    tx.record(&with_customer("before")).await.expect("recorded");
    tx.commit().await.expect("committed");
    centre
        .upsert_customers(
            &[("c-7".into(), "{}".into()), ("c-42".into(), "{}".into())],
            at(1),
        )
        .await
        .expect("profiles");
    let erased = centre.erase_customer("c-42", at(2)).await.expect("erased");
    assert!(erased.profile);
    centre
        .upsert_customers(
            &[("c-42".into(), r#"{"loyalty_tier":"silver"}"#.into())],
            at(3),
        )
        .await
        .expect("the customer comes back");

    // The feed gives the writes in their order: the erasure between the two profiles.
    let feed = centre
        .customers_written_after(None, 10)
        .await
        .expect("the feed");
    let walk: Vec<(&str, bool)> = feed
        .iter()
        .map(|(id, body, _)| (id.as_str(), body.is_some()))
        .collect();
    assert_eq!(walk, [("c-7", true), ("c-42", false), ("c-42", true)]);
    let (last_id, _, last_at) = &feed[1];
    let after = centre
        .customers_written_after(Some((last_at, last_id)), 10)
        .await
        .expect("the rest");
    assert_eq!(after.len(), 1, "the cursor resumes after the erasure");

    // The order committed after the erasure (at the store's clock, 3 s on).
    let late = with_customer("after");
    let mut tx = store_node.begin_commit(&[]).await.expect("begun");
    tx.record_at(&late, at(3)).await.expect("recorded");
    tx.forward_order(&late, at(3)).await.expect("queued");
    tx.commit().await.expect("committed");

    let queued = store_node.queued(10).await.expect("queued");
    let taken = centre
        .take_back("lyon", &queued, &HashMap::new(), &NO_EVENTS)
        .await
        .expect("taken back");
    assert_eq!(taken.applied, 2);
    let row = |order_id: &'static str| {
        let pool = centre.pool.clone();
        async move {
            sqlx::query_as::<_, (Option<String>, String, Option<String>, Option<String>)>(
                "SELECT customer_id, response, basket, customer_data FROM redemptions \
                 WHERE order_id = $1",
            )
            .bind(order_id)
            .fetch_one(&pool)
            .await
            .expect("the order is recorded")
        }
    };
    // Forwarded after the erasure but committed before it: recorded without its customer.
    let (customer, response, basket_kept, data) = row("before").await;
    assert_eq!(customer, None);
    assert!(!response.contains("c-42"), "{response}");
    let basket_kept = basket_kept.expect("the basket");
    assert!(
        !basket_kept.contains("c-42") && !basket_kept.contains("1990"),
        "{basket_kept}"
    );
    assert!(
        basket_kept.contains("gold"),
        "the tier stays: {basket_kept}"
    );
    assert_eq!(data, None);
    // Committed after it: the customer who came back keeps their order.
    let (customer, response, _, _) = row("after").await;
    assert_eq!(customer.as_deref(), Some("c-42"));
    assert!(response.contains("c-42"));
    // Every amount stays.
    let usage = centre.usage_of("c").await.expect("usage");
    assert_eq!(
        (usage.usage.redemptions, usage.usage.granted_minor),
        (2, 1_000)
    );
}

#[tokio::test]
async fn a_store_nodes_orders_tell_a_campaigns_objective_once() {
    use crate::model::webhook::EventType;
    let (centre, _centre_dir) = fresh().await;
    let (store_node, _store_dir) = fresh().await;
    let store_node = store_node.forwarding();
    centre
        .create_webhook(&crate::store::StoredWebhook {
            id: "wh_1".into(),
            url: "https://crm.example/hooks".into(),
            events: crate::model::webhook::Subscription::All,
            description: "CRM".into(),
            secret: "secret".into(),
            created_at: Utc::now(),
            counts: Default::default(),
        })
        .await
        .expect("subscribed");
    for order_id in ["o-1", "o-2", "o-3"] {
        let mut tx = store_node.begin_commit(&[]).await.expect("begun");
        tx.record(&order(order_id, "c")).await.expect("recorded");
        tx.commit().await.expect("committed");
    }
    let queued = store_node.queued(10).await.expect("queued");
    let event = |kind: EventType, campaign: Option<&str>| NewEvent {
        id: format!("evt_{}", uuid_like()),
        kind,
        customer_id: None,
        campaign_id: campaign.map(str::to_string),
        created_at: Utc::now(),
        body: "{}".into(),
    };
    // The campaign's objective: two orders.
    let events = ForwardedEvents {
        committed: &|_| event(EventType::RedemptionCommitted, None),
        cancelled: &|_, _, _| event(EventType::RedemptionCancelled, None),
        crossed: &|campaign, was, is| {
            if was.redemptions < 2 && is.redemptions >= 2 {
                vec![event(EventType::CampaignObjectiveMet, Some(campaign))]
            } else {
                Vec::new()
            }
        },
    };
    let told = |kind: &'static str| {
        let pool = centre.pool.clone();
        async move {
            sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM outbox_events WHERE type = $1")
                .bind(kind)
                .fetch_one(&pool)
                .await
                .expect("counted")
                .0
        }
    };
    // One order, then the other two: the objective is crossed in the second batch.
    centre
        .take_back("lyon", &queued[..1], &HashMap::new(), &events)
        .await
        .expect("taken back");
    assert_eq!(told("campaign.objective_met").await, 0);
    centre
        .take_back("lyon", &queued, &HashMap::new(), &events)
        .await
        .expect("taken back");
    assert_eq!(told("redemption.committed").await, 3);
    assert_eq!(told("campaign.objective_met").await, 1);
}

/// A distinct id for a test's event.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed).to_string()
}
