//! The compiled-code cache: plugin components by the sha256 of their bytes, in memory and,
//! optionally, on disk, so loading known bytes never compiles them again.
//!
//! [`Loader::load`] asks the cache for a component before it compiles one, then has the
//! runtime check it ([`Runtime::check`]). The memory cache (`moka`) holds compiled [`Component`]s, cheap to clone,
//! so loading known bytes again costs no compilation. The disk cache, when the runtime has
//! a cache directory, holds [`Component::serialize`]'s output in one file per component,
//! named by the sha256 of the source bytes and a key of the engine's configuration and
//! wasmtime version, so a restart maps the compiled code instead of compiling it again.
//!
//! Only components that passed every check of `load` are kept (in memory and on disk);
//! every check still runs on a hit, only the compilation is skipped. A file that cannot be
//! used is deleted and its component compiled again; a directory that cannot be read or
//! written is reported once and then only counted: the cache never makes a load fail.

use crate::runtime::{Limits, LoadError, Plugin, Runtime};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use wasmtime::component::Component;
use wasmtime::Engine;

/// The most compiled code the memory cache keeps, in bytes: about 200 components (a
/// catalogue plugin compiles to 1.0 to 1.3 MiB). Components in use stay alive through their
/// plugins whatever the cache evicts; what it alone keeps alive is code no plugin uses any
/// more, so it is bounded.
pub const MEMORY_CAPACITY_BYTES: u64 = 256 << 20;

/// Changes whenever this module changes what it writes; part of every file name.
const LAYOUT_VERSION: &str = "remise-code-cache-v1";

/// The suffix of a cache file.
const EXTENSION: &str = "cwasm";

/// The runtime and its compiled-code cache: what loads every plugin version.
pub struct Loader {
    runtime: std::sync::Arc<Runtime>,
    cache: CodeCache,
}

impl Loader {
    /// A loader over `runtime`, keeping compiled components in `cache_dir` too (created if
    /// needed) when it is given, so the next process loads them without compiling. The
    /// directory must be private to the service: whoever can write it can run code in this
    /// process. One that cannot be created is reported and compiled code is kept in memory
    /// only; one that cannot be written is reported once; loading never fails because of it.
    pub fn new(runtime: std::sync::Arc<Runtime>, cache_dir: Option<PathBuf>) -> Self {
        let cache = CodeCache::new(runtime.engine(), cache_dir);
        Loader { runtime, cache }
    }

    /// Compiles (or finds compiled) and checks a component, and reads its metadata. Bytes
    /// loaded before (by this loader, or into its cache directory by an earlier one) are
    /// not compiled again; every check still runs on them.
    pub fn load(&self, bytes: &[u8], limits: Limits) -> Result<Plugin, LoadError> {
        let digest = Sha256::digest(bytes);
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(&digest);
        let found = self
            .cache
            .find(self.runtime.engine(), &sha256, bytes)
            .map_err(LoadError::NotAComponent)?;
        let plugin = self.runtime.check(&found.component, bytes, limits)?;
        self.cache.keep(&sha256, &found);
        Ok(plugin)
    }

    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The directory compiled components are kept in, if there is a usable one.
    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache.dir()
    }

    /// What the compiled-code cache has done so far.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }
}

/// What the cache has done since the loader started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Loads whose component was in memory: no compilation, no disk access.
    pub memory_hits: u64,
    /// Loads whose component was read from the cache directory.
    pub disk_hits: u64,
    /// Loads that compiled their component (`Component::new`), successfully or not.
    pub compiled: u64,
    /// Components written to the cache directory.
    pub disk_writes: u64,
    /// Components that could not be written to the cache directory.
    pub disk_write_failures: u64,
    /// Cache files that could not be used, deleted and compiled again.
    pub disk_discarded: u64,
}

/// Where a component came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Memory,
    Disk,
    Compiled,
}

/// A component the cache found or compiled, not yet kept (see [`CodeCache::keep`]).
pub(crate) struct Found {
    pub component: Component,
    pub source: Source,
}

/// The memory cache, and the disk cache when there is a usable directory.
pub(crate) struct CodeCache {
    memory: moka::sync::Cache<[u8; 32], Component>,
    disk: Option<DiskCache>,
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    compiled: AtomicU64,
    disk_writes: AtomicU64,
    disk_write_failures: AtomicU64,
    disk_discarded: AtomicU64,
}

struct DiskCache {
    dir: PathBuf,
    /// Hex key of the engine's compilation settings and wasmtime version.
    engine_key: String,
    /// Whether a failed access was already reported (the next ones are only counted or
    /// ignored: a broken directory would otherwise log once per plugin).
    problem_reported: AtomicBool,
    /// Distinguishes this process's temporary files from one another.
    next_temp: AtomicU64,
}

impl CodeCache {
    /// A cache for components compiled by `engine`; on disk too when `dir` is given and can
    /// be created (if it cannot, that is reported and only the memory cache is used).
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let disk = dir.and_then(|dir| match create_private_dir(&dir) {
            Ok(()) => Some(DiskCache {
                dir,
                engine_key: engine_key(engine),
                problem_reported: AtomicBool::new(false),
                next_temp: AtomicU64::new(0),
            }),
            Err(error) => {
                tracing::warn!(
                    dir = %dir.display(),
                    %error,
                    "plugin cache folder unusable: compiled code is not kept on disk"
                );
                None
            }
        });
        Self {
            memory: moka::sync::Cache::builder()
                .max_capacity(MEMORY_CAPACITY_BYTES)
                .weigher(|_, component: &Component| code_size(component))
                .build(),
            disk,
            memory_hits: AtomicU64::new(0),
            disk_hits: AtomicU64::new(0),
            compiled: AtomicU64::new(0),
            disk_writes: AtomicU64::new(0),
            disk_write_failures: AtomicU64::new(0),
            disk_discarded: AtomicU64::new(0),
        }
    }

    /// The cache directory in use, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.disk.as_ref().map(|disk| disk.dir.as_path())
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            memory_hits: self.memory_hits.load(Ordering::Relaxed),
            disk_hits: self.disk_hits.load(Ordering::Relaxed),
            compiled: self.compiled.load(Ordering::Relaxed),
            disk_writes: self.disk_writes.load(Ordering::Relaxed),
            disk_write_failures: self.disk_write_failures.load(Ordering::Relaxed),
            disk_discarded: self.disk_discarded.load(Ordering::Relaxed),
        }
    }

    /// The component of `bytes` (whose sha256 is `sha256`): from memory, from disk, or
    /// compiled. The error is the compiler's, when `bytes` are not a valid component.
    pub fn find(&self, engine: &Engine, sha256: &[u8; 32], bytes: &[u8]) -> Result<Found, String> {
        if let Some(component) = self.memory.get(sha256) {
            self.memory_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Found {
                component,
                source: Source::Memory,
            });
        }
        if let Some(component) = self
            .disk
            .as_ref()
            .and_then(|disk| self.read(disk, engine, sha256))
        {
            self.disk_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Found {
                component,
                source: Source::Disk,
            });
        }
        self.compiled.fetch_add(1, Ordering::Relaxed);
        let component = Component::new(engine, bytes).map_err(|e| format!("{e:#}"))?;
        Ok(Found {
            component,
            source: Source::Compiled,
        })
    }

    /// Keeps a component that passed every check of `load`: in memory, and on disk when it
    /// was just compiled. A failed write is reported (the first one) and counted.
    pub fn keep(&self, sha256: &[u8; 32], found: &Found) {
        if found.source != Source::Memory {
            self.memory.insert(*sha256, found.component.clone());
        }
        let Some(disk) = self
            .disk
            .as_ref()
            .filter(|_| found.source == Source::Compiled)
        else {
            return;
        };
        match disk.write(sha256, &found.component) {
            Ok(()) => {
                self.disk_writes.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                self.disk_write_failures.fetch_add(1, Ordering::Relaxed);
                disk.report_once(&format!("compiled code not kept on disk: {error}"));
            }
        }
    }

    /// The component of `sha256` from the cache directory, if a usable file holds it. A
    /// file that cannot be deserialized is deleted (and the component compiled again).
    fn read(&self, disk: &DiskCache, engine: &Engine, sha256: &[u8; 32]) -> Option<Component> {
        let path = disk.path(sha256);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => {
                disk.report_once(&format!(
                    "{} is not a regular file, ignored",
                    path.display()
                ));
                return None;
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => return None,
            Err(error) => {
                disk.report_once(&format!("{}: {error}", path.display()));
                return None;
            }
        }
        // SAFETY: `deserialize_file` trusts the file to hold code wasmtime compiled, and
        // maps it, so the file must also never change while the component lives. Both hold:
        // - Only `DiskCache::write` creates files under these names: the output of this
        //   process's own `Component::serialize`, written to a fresh temporary file of the
        //   same directory (`create_new`), synced, then renamed, so a name never shows a
        //   partial file.
        // - The name is the sha256 of the source bytes and a sha256 of the engine's
        //   `precompile_compatibility_hash` (target, compiler flags, tunables, wasm
        //   features, wasmtime version) and of `LAYOUT_VERSION`: a file is only read for
        //   exactly the bytes it was compiled from, by an engine that compiles them the
        //   same way. wasmtime checks its header, version and flags again, and a file that
        //   fails to deserialize is deleted and the component compiled again.
        // - Files are never written in place: a rename or a delete leaves a mapped file's
        //   contents as they were, so a component in use keeps the code it was loaded with.
        // - What is left is anyone else writing into the directory: whoever can write it
        //   can run code in this process. The cache directory must be private to the
        //   service (it is created with mode 0700; `create_private_dir` warns when an
        //   existing one is writable by group or others).
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        match loaded {
            Ok(component) => Some(component),
            Err(error) => {
                self.disk_discarded.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    file = %path.display(),
                    error = format!("{error:#}"),
                    "cached plugin unusable: deleted and compiled again"
                );
                if let Err(error) = fs::remove_file(&path) {
                    tracing::warn!(file = %path.display(), %error, "cached plugin not deleted");
                }
                None
            }
        }
    }
}

impl DiskCache {
    /// Reports the first problem with the directory on stderr; the next ones are only
    /// counted in [`CacheStats`] (or not at all, for a file that cannot be read).
    fn report_once(&self, problem: &str) {
        if !self.problem_reported.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                dir = %self.dir.display(),
                problem,
                "plugin cache folder problem (further problems are not reported)"
            );
        }
    }

    /// `<sha256 of the bytes>-<engine key>.cwasm`.
    fn path(&self, sha256: &[u8; 32]) -> PathBuf {
        self.dir
            .join(format!("{}-{}.{EXTENSION}", hex(sha256), self.engine_key))
    }

    /// Writes `component` under its name, atomically: a temporary file of the same
    /// directory, synced, then renamed (a name never shows a partial file).
    fn write(&self, sha256: &[u8; 32], component: &Component) -> io::Result<()> {
        let image = component.serialize().map_err(io::Error::other)?;
        let path = self.path(sha256);
        let temp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            hex(sha256),
            std::process::id(),
            self.next_temp.fetch_add(1, Ordering::Relaxed)
        ));
        let written = write_new(&temp, &image).and_then(|()| fs::rename(&temp, &path));
        if written.is_err() {
            // It may not even exist; nothing else to do about it.
            let _ = fs::remove_file(&temp);
        }
        written
    }
}

/// Creates `path` (mode 0600 on Unix, failing if it exists), writes `bytes` and syncs.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Creates `dir` and its parents (the last with mode 0700 on Unix); warns when it already
/// exists and group or others may write it.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::other("not a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o022 != 0 {
            tracing::warn!(
                dir = %dir.display(),
                "plugin cache folder is writable by group or others: it must be private to the service"
            );
        }
    }
    Ok(())
}

/// The bytes of compiled code a component holds (the memory cache's weight).
fn code_size(component: &Component) -> u32 {
    let range = component.image_range();
    u32::try_from(range.end.addr().saturating_sub(range.start.addr())).unwrap_or(u32::MAX)
}

/// 32 hex digits of the sha256 of what makes compiled code usable by `engine`.
fn engine_key(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    LAYOUT_VERSION.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let digest = hasher.0.finalize();
    hex(&digest[..16])
}

/// A [`Hasher`] over sha256, so the engine key is stable across runs and Rust releases
/// (unlike `DefaultHasher`) and long enough never to collide.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        self.0
            .clone()
            .finalize()
            .iter()
            .take(8)
            .fold(0, |acc, byte| acc << 8 | u64::from(*byte))
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}
