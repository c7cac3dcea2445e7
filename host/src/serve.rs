//! `remise serve`: opens the store, loads the plugins, makes sure an admin key exists, and
//! serves the API until shutdown. [`start`] and [`run`] are the testable entry points (the
//! mini-redis shape): `main` only parses flags.

use crate::api::{app, ApiLimits};
use crate::auth::{Role, MIN_KEY_CHARS};
use crate::clock::Clock;
use crate::delivery::WebhookSettings;
use crate::registry::watch::watch_plugin_dir;
use crate::registry::{load_plugins, CacheDirError, Loader};
use crate::runtime::engine::PoolSize;
use crate::runtime::Runtime;
use crate::service::{keep_in_sync, Service, ServiceError, FIRST_START_LABEL};
use crate::service::{JournalSettings, LeaseSettings, UpstreamSettings};
use crate::store::{Backend, PoolSettings, Store, StoreError};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Where and how to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://file.db` or `postgres://…`.
    pub database_url: String,
    /// A folder of extra `.wasm` plugins loaded at start.
    pub plugin_dir: Option<PathBuf>,
    /// A TOML configuration file (API keys).
    pub config: Option<PathBuf>,
    /// The admin key (`REMISE_ADMIN_KEY`).
    pub admin_key: Option<String>,
    /// The largest plugin an upload may send, in bytes (`REMISE_MAX_PLUGIN_BYTES`).
    pub max_plugin_bytes: usize,
    /// How far a commit's `at` may be from the server's clock (`REMISE_MAX_CLOCK_SKEW`).
    pub max_clock_skew: Duration,
    /// The server's clock (the system's; tests may hold it still).
    pub clock: Clock,
    /// Where compiled plugins are kept across restarts (`REMISE_CACHE_DIR`); by default
    /// beside a SQLite file (`remise.db` → `remise.db-compiled/`), none for `:memory:`.
    pub cache_dir: Option<PathBuf>,
    /// The database pool's size and patience.
    pub pool: PoolSettings,
    /// How webhooks are delivered.
    pub webhooks: WebhookSettings,
    /// What the decision journal records and keeps.
    pub journal: JournalSettings,
    /// Whether and how budgets are leased (docs/scaling.md, "Budget leases").
    pub leases: LeaseSettings,
    /// The centre, when this host is a store node (docs/store-nodes.md).
    pub upstream: Option<UpstreamSettings>,
}

/// The compiled-plugin folder of `options`: the one given, else beside the SQLite file.
fn cache_dir(options: &ServeOptions) -> Option<PathBuf> {
    if options.cache_dir.is_some() {
        return options.cache_dir.clone();
    }
    let file = options
        .database_url
        .strip_prefix("sqlite://")
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|path| !path.is_empty() && !path.contains(":memory:"))?;
    Some(PathBuf::from(format!("{file}-compiled")))
}

/// The configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// API keys and their roles.
    #[serde(default)]
    pub keys: Vec<ConfiguredKey>,
}

/// One `[[keys]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfiguredKey {
    /// The key itself, as channels will send it.
    pub key: String,
    /// `channel`, `marketing`, `ops`, `store` or `admin`.
    pub role: Role,
    /// A name for people.
    #[serde(default)]
    pub label: String,
}

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration file cannot be read.
    #[error("configuration {path}: {detail}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A configured key is too short to be safe: which one (never the key itself).
    #[error("{0}")]
    ShortKey(String),
    /// The database cannot be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The sandbox cannot start or a catalogue plugin cannot be loaded.
    #[error("plugins: {0}")]
    Plugins(String),
    /// The compiled-plugin cache folder is not private to the service.
    #[error("{0}")]
    CacheDir(#[from] CacheDirError),
    /// The service cannot read its state.
    #[error("service: {0:?}")]
    Service(ServiceError),
    /// Budget leases were asked for on a database that serves one host.
    #[error(
        "--budget-leases needs PostgreSQL: on SQLite one host commits alone, and leases \
         would only hold its budgets back"
    )]
    LeasesNeedPostgres,
}

/// A started service, and the admin key it created because no key was active (to print
/// once).
pub struct Started {
    /// The service.
    pub service: Arc<Service>,
    /// The admin key made because none existed.
    pub created_admin_key: Option<String>,
}

fn read_config(path: &Path) -> Result<ConfigFile, StartError> {
    let error = |detail: String| StartError::Config {
        path: path.to_path_buf(),
        detail,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    toml::from_str(&text).map_err(|e| error(e.to_string()))
}

/// Refuses a configured key shorter than [`MIN_KEY_CHARS`], naming it by where it is
/// configured (never by its value).
fn check_key_lengths(options: &ServeOptions, config: &ConfigFile) -> Result<(), StartError> {
    let short = |what: String, key: &str| {
        StartError::ShortKey(format!(
            "{what} has {} characters: a key needs {MIN_KEY_CHARS} or more \
             (`openssl rand -hex 32` makes one)",
            key.chars().count()
        ))
    };
    if let Some(key) = &options.admin_key {
        if key.chars().count() < MIN_KEY_CHARS {
            return Err(short("REMISE_ADMIN_KEY (--admin-key)".to_string(), key));
        }
    }
    let file = options
        .config
        .as_deref()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    for (index, entry) in config.keys.iter().enumerate() {
        if entry.key.chars().count() < MIN_KEY_CHARS {
            let label = if entry.label.is_empty() {
                String::new()
            } else {
                format!(", labelled {:?}", entry.label)
            };
            return Err(short(
                format!(
                    "configuration {file}: key {} of [[keys]] (role {}{label})",
                    index + 1,
                    entry.role.as_str()
                ),
                &entry.key,
            ));
        }
    }
    Ok(())
}

/// Opens everything `options` names, registers the configured keys (revoking the
/// configured keys it no longer names), and makes sure an admin key exists.
pub async fn start(options: &ServeOptions) -> Result<Started, StartError> {
    let config = match &options.config {
        Some(path) => read_config(path)?,
        None => ConfigFile::default(),
    };
    check_key_lengths(options, &config)?;
    let mut store = Store::open_with(&options.database_url, options.pool).await?;
    if options.upstream.is_some() {
        store = store.forwarding();
    }
    if options.leases.enabled && store.backend() != Backend::Postgres {
        return Err(StartError::LeasesNeedPostgres);
    }
    let plugin_dir = options.plugin_dir.clone();
    let cache_dir = cache_dir(options);
    let (loader, plugins) = tokio::task::spawn_blocking(move || {
        let runtime = Runtime::with_pool(PoolSize::default())
            .map_err(|e| StartError::Plugins(format!("{e:#}")))?;
        let loader = Loader::new(Arc::new(runtime), cache_dir)?;
        let plugins = load_plugins(&loader, plugin_dir.as_deref())
            .map_err(|e| StartError::Plugins(e.to_string()))?;
        Ok::<_, StartError>((Arc::new(loader), plugins))
    })
    .await
    .map_err(|e| StartError::Plugins(e.to_string()))??;
    let service = Service::start(store, loader, plugins, options.max_plugin_bytes)
        .await
        .map_err(StartError::Service)?
        .with_max_clock_skew(options.max_clock_skew)
        .with_clock(options.clock.clone())
        .with_webhooks(options.webhooks)
        .with_journal(options.journal)
        .with_leases(options.leases);
    let service = match &options.upstream {
        Some(upstream) => service.as_store_node(upstream.clone()),
        None => service,
    };
    let mut configured: Vec<&str> = Vec::new();
    for key in &config.keys {
        service
            .configure_key(&key.key, key.role, &key.label)
            .await
            .map_err(StartError::Service)?;
        configured.push(&key.key);
    }
    if let Some(key) = &options.admin_key {
        service
            .configure_key(key, Role::Admin, "REMISE_ADMIN_KEY")
            .await
            .map_err(StartError::Service)?;
        configured.push(key);
    }
    service
        .revoke_unconfigured_keys(&configured)
        .await
        .map_err(StartError::Service)?;
    let mut created_admin_key = None;
    if service.key_count().await.map_err(StartError::Service)? == 0 {
        let created = service
            .create_key(Role::Admin, FIRST_START_LABEL)
            .await
            .map_err(StartError::Service)?;
        created_admin_key = Some(created.key);
    }
    let service = Arc::new(service);
    keep_in_sync(&service);
    if let Some(dir) = &options.plugin_dir {
        watch_plugin_dir(&service, dir.clone());
    }
    Ok(Started {
        service,
        created_admin_key,
    })
}

/// How the server treats connections and requests.
#[derive(Clone, Copy, Debug)]
pub struct ServerSettings {
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// How long requests in flight may take to finish once shutdown starts.
    pub shutdown_grace: Duration,
    /// Body size, lines and the request timeout.
    pub limits: ApiLimits,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            shutdown_grace: SHUTDOWN_GRACE,
            limits: ApiLimits::default(),
        }
    }
}

/// Serves the API on `listener` until `shutdown` completes, then lets requests in flight
/// finish for at most [`SHUTDOWN_GRACE`], saves the counters and closes the store.
pub async fn run(
    listener: TcpListener,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with(listener, service, shutdown, ServerSettings::default()).await
}

/// [`run`] with `settings`.
pub async fn run_with(
    listener: TcpListener,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    settings: ServerSettings,
) -> std::io::Result<()> {
    // The campaigns' evaluation counters reach the store every second, and once more
    // when serving ends (a crash loses at most the last second's counts; redemptions are
    // durable before they are answered).
    // Told to stop between two rounds at shutdown rather than aborted: a write cut off
    // mid-statement would still reach a SQLite file after its final checkpoint.
    let (stop_tasks, stopping) = tokio::sync::watch::channel(false);
    let flusher = {
        let service = Arc::clone(&service);
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(COUNTS_FLUSH_INTERVAL);
            let mut ticks: u64 = 0;
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stopping.changed() => break,
                }
                if let Err(error) = service.flush_counts().await {
                    tracing::warn!(%error, "evaluation counters not saved yet");
                }
                // Campaigns whose end time passed get their `campaign.ended` event.
                if ticks.is_multiple_of(ENDED_CAMPAIGNS_EVERY) {
                    if let Err(error) = service.send_ended_campaigns().await {
                        tracing::warn!(%error, "campaign.ended events wait for the database");
                    }
                }
                ticks += 1;
            }
        })
    };
    // Budget leases are renewed, and those left idle given back, from this task.
    let leases = tokio::spawn(crate::service::run_lease_keeper(
        Arc::clone(&service),
        stopping.clone(),
    ));
    // A store node copies from its centre and forwards its orders there from this task.
    let upstream = service.upstream().cloned().map(|upstream| {
        tokio::spawn(crate::service::run_store_node(
            Arc::clone(&service),
            upstream,
            stopping.clone(),
        ))
    });
    // Sampled evaluations reach the journal from this task.
    let journal = tokio::spawn(crate::service::run_journal_writer(
        Arc::clone(&service),
        stopping.clone(),
    ));
    // Shadow versions run on sampled evaluations, off the request path, in this task.
    let shadows = tokio::spawn(crate::service::run_shadow_worker(
        Arc::clone(&service),
        stopping.clone(),
    ));
    // The outbox's events reach their webhooks from this task (and from every other host
    // on the same database).
    let mut deliveries = crate::delivery::spawn(
        service.store().clone(),
        service.webhook_settings(),
        service.outbox_wake(),
        stopping,
    )
    .map_err(std::io::Error::other)?;
    let app = app(Arc::clone(&service), settings.limits);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // An answer goes out as soon as it is written, not held back to
                    // gather more (Nagle's algorithm): an HTTP server answers and waits.
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(%error, "TCP_NODELAY could not be set");
                    }
                    stream
                }
                Err(error) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(settings.header_read_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing the requests in flight");
    if tokio::time::timeout(settings.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_ms = settings.shutdown_grace.as_millis() as u64,
            "requests still in flight at the end of the grace period were dropped"
        );
    }
    // Both finish the round they are in: the flusher's last flush, the deliveries' attempts
    // in flight (for at most DELIVERIES_GRACE; one cut off then keeps its lease and is
    // sent again once the lease ends, after a restart or by another host).
    let _ = stop_tasks.send(true);
    let _ = flusher.await;
    let _ = journal.await;
    let _ = shadows.await;
    let _ = leases.await;
    if let Some(upstream) = upstream {
        let _ = upstream.await;
    }
    if tokio::time::timeout(DELIVERIES_GRACE, &mut deliveries)
        .await
        .is_err()
    {
        deliveries.abort();
        let _ = deliveries.await;
    }
    if let Err(error) = service.flush_counts().await {
        tracing::error!(%error, "evaluation counters lost at shutdown");
    }
    service.close().await;
    Ok(())
}

/// How long a client may take to send a request's headers before its connection is
/// closed (a slow-headers client holds no more than this).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long requests in flight may take to finish once shutdown starts.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How often the campaigns' evaluation counters are written to the store.
pub const COUNTS_FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// How long shutdown waits for the webhook attempts in flight.
const DELIVERIES_GRACE: Duration = Duration::from_secs(2);

/// Every how many flushes the campaigns are looked at for `campaign.ended` (an end at
/// the hands of marketing is sent at once).
const ENDED_CAMPAIGNS_EVERY: u64 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    fn options(database_url: &str, cache_dir: Option<&str>) -> ServeOptions {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            plugin_dir: None,
            config: None,
            admin_key: None,
            max_plugin_bytes: crate::service::DEFAULT_MAX_PLUGIN_BYTES,
            max_clock_skew: crate::service::DEFAULT_MAX_CLOCK_SKEW,
            clock: Clock::system(),
            cache_dir: cache_dir.map(PathBuf::from),
            pool: PoolSettings::default(),
            webhooks: WebhookSettings::default(),
            journal: JournalSettings::default(),
            leases: LeaseSettings::default(),
            upstream: None,
        }
    }

    #[test]
    fn compiled_plugins_are_kept_beside_the_sqlite_file_unless_told() {
        let dir = |url, given| cache_dir(&options(url, given));
        assert_eq!(
            dir("sqlite://remise.db", None),
            Some(PathBuf::from("remise.db-compiled"))
        );
        assert_eq!(
            dir("sqlite:///var/lib/remise/r.db?mode=rwc", None),
            Some(PathBuf::from("/var/lib/remise/r.db-compiled"))
        );
        assert_eq!(dir("sqlite::memory:", None), None);
        assert_eq!(
            dir("sqlite::memory:", Some("/cache")),
            Some(PathBuf::from("/cache"))
        );
    }
}
