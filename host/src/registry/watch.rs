//! The watched plugin folder (`--plugin-dir`): a `.wasm` file dropped or replaced there is
//! handed to a [`DroppedPlugins`] (the service loads it the way an upload is: checked,
//! stored, swapped in at once). A broken file is logged and ignored, and the version before
//! it keeps serving.
//!
//! The folder is polled (no platform file-event API to depend on), and a file is read
//! only once its size and modification time held still for one poll, so a copy still
//! being written is not read half-way.

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How often the folder is looked at.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// What tells a file changed: its size and modification time.
type Stamp = (u64, Option<SystemTime>);

/// What takes the plugins dropped in the folder.
pub trait DroppedPlugins: Send + Sync + 'static {
    /// Why a file was refused.
    type Error: Debug + Send;

    /// Loads the component `bytes` of file `file`; the plugin's name on success.
    fn load_dropped(
        &self,
        file: &str,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<String, Self::Error>> + Send;
}

/// Watches `dir` for as long as `service` is alive. The files there now were loaded at
/// start.
pub fn watch_plugin_dir<S: DroppedPlugins>(
    service: &Arc<S>,
    dir: PathBuf,
) -> tokio::task::JoinHandle<()> {
    let service = Arc::downgrade(service);
    // Taken now, not when the task first runs: a file dropped in between is new.
    let mut handled = scan(&dir);
    tokio::spawn(async move {
        let mut last = handled.clone();
        let mut every = tokio::time::interval(WATCH_INTERVAL);
        loop {
            every.tick().await;
            let Some(service) = service.upgrade() else {
                return;
            };
            let listed = dir.clone();
            let Ok(now) = tokio::task::spawn_blocking(move || scan(&listed)).await else {
                continue;
            };
            for (path, stamp) in &now {
                let settled = last.get(path) == Some(stamp);
                if settled && handled.get(path) != Some(stamp) {
                    handled.insert(path.clone(), *stamp);
                    load(service.as_ref(), path).await;
                }
            }
            handled.retain(|path, _| now.contains_key(path));
            last = now;
        }
    })
}

async fn load<S: DroppedPlugins>(service: &S, path: &Path) {
    let file = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = match tokio::fs::read(path).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::warn!(%file, %error, "plugin folder: file unreadable, ignored");
            return;
        }
    };
    match service.load_dropped(&file, bytes).await {
        Ok(name) => tracing::info!(%file, plugin = %name, "plugin folder: file loaded"),
        Err(error) => tracing::warn!(%file, ?error, "plugin folder: file ignored"),
    }
}

/// Every `.wasm` file of `dir` and its stamp; an unreadable folder is empty.
fn scan(dir: &Path) -> HashMap<PathBuf, Stamp> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return HashMap::new();
    };
    entries
        .flatten()
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "wasm"))
        .filter_map(|entry| {
            let meta = entry.metadata().ok().filter(|meta| meta.is_file())?;
            Some((entry.path(), (meta.len(), meta.modified().ok())))
        })
        .collect()
}
