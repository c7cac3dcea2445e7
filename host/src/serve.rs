//! `remise serve`: opens the store, loads the plugins, makes sure an admin key exists, and
//! serves the API until shutdown. [`start`] and [`run`] are the testable entry points (the
//! mini-redis shape): `main` only parses flags.

use crate::api::{app, ApiLimits};
use crate::auth::{new_key, Role};
use crate::runtime::Runtime;
use crate::service::{load_plugins, Service, ServiceError};
use crate::store::{Store, StoreError};
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
    /// `sqlite://file.db`.
    pub database_url: String,
    /// A folder of extra `.wasm` plugins loaded at start.
    pub plugin_dir: Option<PathBuf>,
    /// A TOML configuration file (API keys).
    pub config: Option<PathBuf>,
    /// The admin key (`REMISE_ADMIN_KEY`).
    pub admin_key: Option<String>,
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
    /// `channel`, `marketing`, `ops` or `admin`.
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
    /// The database cannot be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The sandbox cannot start or a catalogue plugin cannot be loaded.
    #[error("plugins: {0}")]
    Plugins(String),
    /// The service cannot read its state.
    #[error("service: {0:?}")]
    Service(ServiceError),
}

/// A started service, and the admin key it created on a first run (to print once).
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

/// Opens everything `options` names and makes sure an admin key exists.
pub async fn start(options: &ServeOptions) -> Result<Started, StartError> {
    let config = match &options.config {
        Some(path) => read_config(path)?,
        None => ConfigFile::default(),
    };
    let store = Store::open(&options.database_url).await?;
    let plugin_dir = options.plugin_dir.clone();
    let plugins = tokio::task::spawn_blocking(move || {
        let runtime = Runtime::new().map_err(|e| format!("{e:#}"))?;
        load_plugins(&runtime, plugin_dir.as_deref()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| StartError::Plugins(e.to_string()))?
    .map_err(StartError::Plugins)?;
    let service = Service::start(store, plugins)
        .await
        .map_err(StartError::Service)?;
    for key in &config.keys {
        service
            .add_key(&key.key, key.role, &key.label)
            .await
            .map_err(StartError::Service)?;
    }
    if let Some(key) = &options.admin_key {
        service
            .add_key(key, Role::Admin, "REMISE_ADMIN_KEY")
            .await
            .map_err(StartError::Service)?;
    }
    let mut created_admin_key = None;
    if service.key_count().await.map_err(StartError::Service)? == 0 {
        let key = new_key();
        service
            .add_key(&key, Role::Admin, "created on first start")
            .await
            .map_err(StartError::Service)?;
        created_admin_key = Some(key);
    }
    Ok(Started {
        service: Arc::new(service),
        created_admin_key,
    })
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The campaigns' evaluation counters reach the store every second, and once more
    // when serving ends (a crash loses at most the last second's counts; redemptions are
    // durable before they are answered).
    let flusher = {
        let service = Arc::clone(&service);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(COUNTS_FLUSH_INTERVAL);
            loop {
                every.tick().await;
                if let Err(error) = service.flush_counts().await {
                    eprintln!("remise: evaluation counters not saved yet: {error}");
                }
            }
        })
    };
    let served = axum::serve(listener, app(Arc::clone(&service), ApiLimits::default()))
        .with_graceful_shutdown(shutdown)
        .await;
    flusher.abort();
    if let Err(error) = service.flush_counts().await {
        eprintln!("remise: evaluation counters lost at shutdown: {error}");
    }
    served
}

/// How often the campaigns' evaluation counters are written to the store.
pub const COUNTS_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
