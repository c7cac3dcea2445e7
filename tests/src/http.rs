//! The one HTTP harness of the integration tests, so that the server options, the keys,
//! the problem+json pointers, the `/metrics` sample reader and the docs' example campaign
//! are each written once: a real `remise serve` (its own `start` and `run`) on a loopback
//! port with a fresh database (a temporary SQLite file, or a new PostgreSQL database under
//! `scripts/with-postgres.sh`) and test guests in its plugin folder, more hosts on the same
//! database, and shorthands for calling it with each role's key.

use remise::clock::Clock;
use remise::delivery::WebhookSettings;
use remise::serve::{run_with, start, ServeOptions, ServerSettings, StartError};
use remise::service::LeaseSettings;
use remise::store::testing::fresh_database_url;
use remise::store::PoolSettings;
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A future compiled once, here. Rust compiles an `async fn`'s body again in every crate
/// that awaits it (a release build shares no generic code, and an async body counts as
/// one), down through every async function it awaits: each test binary that started a
/// server compiled the whole server's async code again, about 30 s of CPU a binary. The
/// harness's calls into the server (start, HTTP calls, commits at once) return this box,
/// which a test awaits through a pointer to code compiled in this crate.
type Compiled<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The admin key, given as `REMISE_ADMIN_KEY` would be (`/v1/me` labels it so).
pub const ADMIN: &str = "test-admin-key-0123456789abcdef0123";
/// A channel key, labelled "web shop".
pub const CHANNEL: &str = "test-channel-key-0123456789abcdef01";
/// Another channel's key, labelled "store tills": orders one channel commits are not
/// another's.
pub const STORE_CHANNEL: &str = "test-store-channel-key-0123456789abcdef";
/// A marketing key, configured without a label.
pub const MARKETING: &str = "test-marketing-key-0123456789abcdef01";
/// An ops key, labelled "ops on call".
pub const OPS: &str = "test-ops-key-0123456789abcdef012345";

/// The options every test server starts from: a loopback port of the OS's choosing, the
/// database `database_url`, the default plugin size limit and pool, the compiled-plugin
/// folder every test shares ([`shared_cache_dir`]); no plugin folder, no configuration
/// file, no admin key (a first start creates one).
pub fn options(database_url: String) -> ServeOptions {
    ServeOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url,
        plugin_dir: None,
        config: None,
        admin_key: None,
        max_plugin_bytes: remise::service::DEFAULT_MAX_PLUGIN_BYTES,
        max_clock_skew: remise::service::DEFAULT_MAX_CLOCK_SKEW,
        clock: Clock::system(),
        cache_dir: Some(shared_cache_dir()),
        pool: PoolSettings::default(),
        // Receivers in tests listen on loopback; failures are retried every 100 ms or
        // so and given up on after 2 s, so a test sees a dead letter soon.
        webhooks: WebhookSettings {
            allow_private: true,
            timeout: std::time::Duration::from_secs(2),
            retry_base: std::time::Duration::from_millis(100),
            retry_for: std::time::Duration::from_secs(2),
            ..WebhookSettings::default()
        },
        // Every evaluation is journalled, so a test can read back any of them.
        journal: remise::service::JournalSettings {
            sample_percent: 100,
            ..remise::service::JournalSettings::default()
        },
        leases: LeaseSettings::default(),
        upstream: None,
    }
}

/// The compiled-plugin folder of every test server, under this build's target folder: a
/// test server loads the catalogue as a restarted `remise serve` does, from the code its
/// cache folder holds (beside the SQLite file by default), instead of compiling it again
/// (about 3 s of both cores per start, most of the suite's time before). Its files are
/// named by the sha256 of their plugin and written atomically, so tests running at once,
/// in one process or several, share it safely. A test that needs a plugin compiled while
/// it watches uploads bytes no test uploaded before.
pub fn shared_cache_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("OUT_DIR")).join("compiled-plugins")
}

/// A running server, with test guests (the hostile one unless told) in its plugin folder.
pub struct Server {
    /// `http://127.0.0.1:{port}`, to which a path is appended.
    pub base: String,
    /// A client for requests the shorthands do not cover.
    pub client: Client,
    stop: oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
    dir: TempDir,
    guests: Vec<String>,
    database_url: String,
    pool: PoolSettings,
    clock: Clock,
    keys: Keys,
    settings: ServerSettings,
    leases: LeaseSettings,
}

/// The keys a server is configured with: its configuration file's text and its
/// `REMISE_ADMIN_KEY`.
#[derive(Clone, Debug)]
pub struct Keys {
    /// The TOML of the configuration file (`[[keys]]` entries).
    pub config: String,
    /// The admin key, given as `REMISE_ADMIN_KEY` would be.
    pub admin_key: Option<String>,
}

impl Default for Keys {
    /// One key per role but admin in the file, [`ADMIN`] as `REMISE_ADMIN_KEY`.
    fn default() -> Self {
        Keys {
            config: format!(
                "[[keys]]\nkey = \"{CHANNEL}\"\nrole = \"channel\"\nlabel = \"web shop\"\n\n\
                 [[keys]]\nkey = \"{STORE_CHANNEL}\"\nrole = \"channel\"\nlabel = \"store tills\"\n\n\
                 [[keys]]\nkey = \"{MARKETING}\"\nrole = \"marketing\"\n\n\
                 [[keys]]\nkey = \"{OPS}\"\nrole = \"ops\"\nlabel = \"ops on call\"\n"
            ),
            admin_key: Some(ADMIN.into()),
        }
    }
}

/// An answer with its headers.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Header `name` as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A threshold-discount campaign: `value` (`percent_off` or `amount_off`) from 0.00, on
/// every channel, in Paris time, with `extra` fields.
pub fn offer(id: &str, value: Value, extra: Value) -> Value {
    let mut tier = json!({ "min_subtotal": "0" });
    if let (Some(tier), Some(value)) = (tier.as_object_mut(), value.as_object()) {
        tier.extend(value.clone());
    }
    let mut campaign = json!({
        "id": id, "name": id, "plugin": "threshold-discount", "status": "active",
        "params": { "tiers": [tier] }, "schedule": { "timezone": "Europe/Paris" }
    });
    if let (Some(campaign), Some(extra)) = (campaign.as_object_mut(), extra.as_object()) {
        campaign.extend(extra.clone());
    }
    campaign
}

impl Server {
    /// Uploads `bytes` as a version of plugin `name` with `key` (`PUT /v1/plugins/{name}`).
    pub fn upload<'a>(
        &'a self,
        name: &'a str,
        bytes: Vec<u8>,
        key: &'a str,
    ) -> Compiled<'a, (StatusCode, Value)> {
        Box::pin(async move {
            let response = self
                .client
                .put(format!("{}/v1/plugins/{name}", self.base))
                .bearer_auth(key)
                .header("content-type", "application/wasm")
                .body(bytes)
                .send()
                .await
                .expect("the server answers");
            let status = response.status();
            (status, response.json().await.unwrap_or(Value::Null))
        })
    }

    /// A server with the hostile guest in its plugin folder.
    pub async fn start() -> Server {
        Server::start_with(&["hostile"]).await
    }

    /// A server with the test guests `guests` in its plugin folder.
    pub async fn start_with(guests: &[&str]) -> Server {
        Server::start_with_pool(guests, PoolSettings::default()).await
    }

    /// A server with the test guests `guests` and the database pool `pool`.
    pub async fn start_with_pool(guests: &[&str], pool: PoolSettings) -> Server {
        Server::start_with_settings(guests, pool, ServerSettings::default()).await
    }

    /// A server with the test guests `guests`, the database pool `pool` and the server
    /// settings `settings` (limits on requests in progress, timeouts).
    pub async fn start_with_settings(
        guests: &[&str],
        pool: PoolSettings,
        settings: ServerSettings,
    ) -> Server {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let database_url = fresh_database_url(dir.path(), "remise").await;
        Server::start_in(
            dir,
            names(guests),
            database_url,
            pool,
            Keys::default(),
            Clock::system(),
            settings,
            LeaseSettings::default(),
        )
        .await
        .expect("the service starts")
    }

    /// A server (with no test guest) whose clock is held at `at` (RFC 3339): commits are
    /// priced at it, until [`Server::set_clock`] moves it.
    pub async fn start_held_at(at: &str) -> Server {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let database_url = fresh_database_url(dir.path(), "remise").await;
        let clock = Clock::held_at(rfc3339(at));
        Server::start_in(
            dir,
            Vec::new(),
            database_url,
            PoolSettings::default(),
            Keys::default(),
            clock,
            ServerSettings::default(),
            LeaseSettings::default(),
        )
        .await
        .expect("the service starts")
    }

    /// Moves the clock of a server started by [`Server::start_held_at`] to `at`.
    pub fn set_clock(&self, at: &str) {
        assert!(
            self.clock.set(rfc3339(at)),
            "set_clock needs a server started held at a time"
        );
    }

    /// Another host on the database `database_url` (another server's
    /// [`Server::database_url`]): its own folder, plugin folder (with `guests`) and
    /// configuration, the same keys.
    pub async fn start_on(database_url: &str, guests: &[&str]) -> Server {
        Server::start_on_with_pool(database_url, guests, PoolSettings::default()).await
    }

    /// [`Server::start_on`] with the database pool `pool`.
    pub async fn start_on_with_pool(
        database_url: &str,
        guests: &[&str],
        pool: PoolSettings,
    ) -> Server {
        let dir = tempfile::tempdir().expect("a temporary folder");
        Server::start_in(
            dir,
            names(guests),
            database_url.to_string(),
            pool,
            Keys::default(),
            Clock::system(),
            ServerSettings::default(),
            LeaseSettings::default(),
        )
        .await
        .expect("the service starts")
    }

    /// [`Server::start_on_with_pool`] for a host that leases budgets as `leases` say
    /// (`--budget-leases`).
    pub async fn start_on_leasing(
        database_url: &str,
        pool: PoolSettings,
        leases: LeaseSettings,
    ) -> Server {
        let dir = tempfile::tempdir().expect("a temporary folder");
        Server::start_in(
            dir,
            Vec::new(),
            database_url.to_string(),
            pool,
            Keys::default(),
            Clock::system(),
            ServerSettings::default(),
            leases,
        )
        .await
        .expect("the service starts")
    }

    /// The database this server runs on, for [`Server::start_on`].
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// Stops serving and starts again on the same database with the test guests `guests`
    /// (only) in its plugin folder.
    pub async fn restart_with(self, guests: &[&str]) -> Server {
        for guest in &self.guests {
            let _ = std::fs::remove_file(self.plugin_dir().join(format!("{guest}.wasm")));
        }
        let mut server = self;
        server.guests = names(guests);
        server.restart().await
    }

    /// Stops serving (gracefully, as on SIGTERM) and starts again on the same database.
    pub async fn restart(self) -> Server {
        let keys = self.keys.clone();
        self.restart_with_keys(keys)
            .await
            .expect("the service starts again")
    }

    /// Stops serving (gracefully, as on SIGTERM) and starts again on the same database with
    /// the configured keys `keys`: the start's error when it refuses them.
    pub async fn restart_with_keys(self, keys: Keys) -> Result<Server, StartError> {
        let Server {
            stop,
            serving,
            dir,
            guests,
            database_url,
            pool,
            clock,
            settings,
            leases,
            ..
        } = self;
        let _ = stop.send(());
        serving
            .await
            .expect("the server task ends")
            .expect("the server stops cleanly");
        Server::start_in(
            dir,
            guests,
            database_url,
            pool,
            keys,
            clock,
            settings,
            leases,
        )
        .await
    }

    // One per thing a test may vary: a struct for them would only be unpacked again here.
    #[allow(clippy::too_many_arguments)]
    fn start_in(
        dir: TempDir,
        guests: Vec<String>,
        database_url: String,
        pool: PoolSettings,
        keys: Keys,
        clock: Clock,
        settings: ServerSettings,
        leases: LeaseSettings,
    ) -> Compiled<'static, Result<Server, StartError>> {
        Box::pin(async move {
            let config = dir.path().join("remise.toml");
            std::fs::write(&config, &keys.config).expect("config written");
            let plugins = dir.path().join("plugins");
            std::fs::create_dir_all(&plugins).expect("a plugin folder");
            for guest in &guests {
                let (_, wasm) = crate::GUESTS
                    .iter()
                    .find(|(name, _)| name == guest)
                    .unwrap_or_else(|| panic!("the {guest} guest is built"));
                std::fs::copy(wasm, plugins.join(format!("{guest}.wasm")))
                    .unwrap_or_else(|e| panic!("{guest}.wasm copied: {e}"));
            }
            let options = ServeOptions {
                plugin_dir: Some(plugins),
                config: Some(config),
                admin_key: keys.admin_key.clone(),
                pool,
                clock: clock.clone(),
                leases,
                ..options(database_url.clone())
            };
            let started = start(&options).await?;
            assert!(
                started.created_admin_key.is_none() || keys.admin_key.is_none(),
                "an admin key was given"
            );
            let listener = TcpListener::bind(options.listen)
                .await
                .expect("a loopback port");
            let base = format!("http://{}", listener.local_addr().expect("bound"));
            let (stop, stopped) = oneshot::channel::<()>();
            let serving = tokio::spawn(run_with(
                listener,
                started.service,
                async {
                    let _ = stopped.await;
                },
                settings,
            ));
            Ok(Server {
                base,
                client: Client::new(),
                stop,
                serving,
                dir,
                guests,
                database_url,
                pool,
                clock,
                keys,
                settings,
                leases,
            })
        })
    }

    /// The folder the server watches for plugins (`--plugin-dir`).
    pub fn plugin_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("plugins")
    }

    /// `method path` with `key` as its bearer token (a key, or `None` for no
    /// `Authorization` header) and `body` as JSON: the status and the body, JSON when it
    /// parses, else a string, `null` when empty.
    pub async fn call<'k>(
        &self,
        method: Method,
        path: &str,
        key: impl Into<Option<&'k str>>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let answer = self.send(method, path, key, body).await;
        (answer.status, answer.body)
    }

    /// [`Server::call`] keeping the answer's headers.
    pub async fn send<'k>(
        &self,
        method: Method,
        path: &str,
        key: impl Into<Option<&'k str>>,
        body: Option<Value>,
    ) -> Answer {
        self.send_compiled(method, path, key.into(), body).await
    }

    /// [`Server::send`], compiled once ([`Compiled`]).
    fn send_compiled<'a>(
        &'a self,
        method: Method,
        path: &'a str,
        key: Option<&'a str>,
        body: Option<Value>,
    ) -> Compiled<'a, Answer> {
        Box::pin(async move {
            let mut request = self.client.request(method, format!("{}{path}", self.base));
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.expect("the server answers");
            let status = response.status();
            let headers = response.headers().clone();
            let text = response.text().await.expect("a body");
            let body = if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            };
            Answer {
                status,
                headers,
                body,
            }
        })
    }

    /// Creates `campaign` with the marketing key: the campaign as stored.
    pub async fn create(&self, campaign: Value) -> Value {
        let (status, body) = self
            .call(Method::POST, "/v1/campaigns", MARKETING, Some(campaign))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Replaces the campaign of `campaign`'s id with it, with the marketing key.
    pub async fn replace(&self, campaign: Value) {
        let path = format!("/v1/campaigns/{}", campaign["id"].as_str().expect("an id"));
        let (status, body) = self
            .call(Method::PUT, &path, MARKETING, Some(campaign))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// Sets the policy of `group` with the marketing key.
    pub async fn set_policy(&self, group: &str, policy: &str) {
        let (status, body) = self
            .call(
                Method::PUT,
                &format!("/v1/groups/{group}"),
                MARKETING,
                Some(json!({ "policy": policy })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// Evaluates `basket` with the channel key: the answer.
    pub async fn evaluate(&self, basket: Value) -> Value {
        let (status, body) = self
            .call(Method::POST, "/v1/evaluate", CHANNEL, Some(basket))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Commits `order` with the channel key (`POST /v1/redemptions`): the answer with its
    /// headers, a replay's `Idempotent-Replayed` among them.
    pub async fn commit(&self, order: Value) -> Answer {
        self.commit_with(CHANNEL, order).await
    }

    /// Commits `order` with `key`.
    pub async fn commit_with(&self, key: &str, order: Value) -> Answer {
        self.send(Method::POST, "/v1/redemptions", key, Some(order))
            .await
    }

    /// Cancels order `order_id` with the channel key (`DELETE /v1/redemptions/{id}`).
    pub async fn cancel(&self, order_id: &str) -> (StatusCode, Value) {
        self.cancel_with(CHANNEL, order_id).await
    }

    /// Cancels order `order_id` with `key`.
    pub async fn cancel_with(&self, key: &str, order_id: &str) -> (StatusCode, Value) {
        let path = format!("/v1/redemptions/{order_id}");
        self.call(Method::DELETE, &path, key, None).await
    }

    /// The stats of `campaign`, read with the marketing key.
    pub async fn stats(&self, campaign: &str) -> Value {
        let path = format!("/v1/campaigns/{campaign}/stats");
        let (status, body) = self.call(Method::GET, &path, MARKETING, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Rolls plugin `name` back to its previous version with the admin key.
    pub async fn rollback(&self, name: &str) -> (StatusCode, Value) {
        let path = format!("/v1/plugins/{name}/rollback");
        self.call(Method::POST, &path, ADMIN, None).await
    }

    /// The discount `campaign` gets on `basket` in this host's evaluation, if it applies.
    pub async fn discount_on(&self, basket: Value, campaign: &str) -> Option<String> {
        let answer = self.evaluate(basket).await;
        discount_of(&answer, campaign).map(str::to_string)
    }

    /// `GET /metrics` with the admin key: the Prometheus text, to read with [`sample`].
    pub async fn metrics(&self) -> String {
        let (status, body) = self.call(Method::GET, "/metrics", ADMIN, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        match body {
            Value::String(text) => text,
            other => panic!("text, not {other}"),
        }
    }

    /// Posts `body` to `path` and expects a 422 problem naming exactly `pointers`.
    pub async fn refused(&self, path: &str, key: &str, body: Value, pointers: &[&str]) {
        let (status, problem) = self.call(Method::POST, path, key, Some(body.clone())).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {problem}"
        );
        assert_eq!(problem["status"], 422, "{problem}");
        assert_eq!(self::pointers(&problem), pointers, "{body} → {problem}");
    }
}

/// `guests` as owned names, kept for [`Server::restart`].
fn names(guests: &[&str]) -> Vec<String> {
    guests.iter().map(|g| g.to_string()).collect()
}

/// The discount `campaign` got in an evaluation's or a commit's answer, if it applied.
pub fn discount_of<'a>(answer: &'a Value, campaign: &str) -> Option<&'a str> {
    answer["applied"]
        .as_array()?
        .iter()
        .find(|a| a["campaign"] == campaign)
        .and_then(|a| a["discount"].as_str())
}

/// The JSON pointers of a problem+json answer's `errors`, in order (`?` for an error
/// without one); none when it has no `errors`.
pub fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["pointer"].as_str().unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Commits all `orders` at once with the channel key, the i-th through
/// `hosts[i % hosts.len()]`: each order's index, status and answer, in the orders' order.
pub fn commit_at_once<'a>(
    hosts: &'a [&'a Server],
    orders: Vec<Value>,
) -> Compiled<'a, Vec<(usize, StatusCode, Value)>> {
    Box::pin(async move {
        let mut commits = tokio::task::JoinSet::new();
        for (i, order) in orders.into_iter().enumerate() {
            let host = hosts[i % hosts.len()];
            let (client, base) = (host.client.clone(), host.base.clone());
            commits.spawn(async move {
                let response = client
                    .post(format!("{base}/v1/redemptions"))
                    .bearer_auth(CHANNEL)
                    .json(&order)
                    .send()
                    .await
                    .expect("the server answers");
                let status = response.status();
                (
                    i,
                    status,
                    response.json::<Value>().await.expect("a JSON answer"),
                )
            });
        }
        let mut answers = commits.join_all().await;
        answers.sort_by_key(|(i, _, _)| *i);
        answers
    })
}

/// The value of the one sample of `name` whose labels include every `labels` pair, or
/// `None` when no such line is in the Prometheus exposition `text` (`GET /metrics`).
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .find(|line| {
            labels
                .iter()
                .all(|(key, value)| line.contains(&format!("{key}=\"{value}\"")))
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

/// The example campaign of docs/api.md, "10 % dès 100 €": `threshold-discount` with the
/// params of `examples/ten-from-100.json` (10 % off from 100.00), active, for everyone.
pub fn ten_from_100() -> Value {
    json!({
        "id": "ten-from-100", "name": "10 % dès 100 €", "plugin": "threshold-discount",
        "params": crate::ten_from_100_params(),
        "status": "active"
    })
}

/// `at`, an RFC 3339 time, in UTC.
fn rfc3339(at: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(at)
        .unwrap_or_else(|e| panic!("{at} is not RFC 3339: {e}"))
        .with_timezone(&chrono::Utc)
}
