//! The compiled-code cache: plugin components by the sha256 of their bytes, in memory and,
//! optionally, on disk, so loading known bytes never compiles them again.
//!
//! [`Loader::load`] asks the cache for a component before it compiles one, then has the
//! runtime check it ([`Runtime::check`]). The memory cache (`moka`) holds compiled [`Component`]s, cheap to clone,
//! so loading known bytes again costs no compilation. The disk cache, when the runtime has
//! a cache directory, holds [`Component::serialize`]'s output in one file per component,
//! named by the sha256 of the source bytes and a key of the engine's configuration and
//! wasmtime version, so a restart loads the compiled code instead of compiling it again.
//!
//! Loading compiled code is unsafe (wasmtime runs it as it finds it), so a file is checked
//! before wasmtime sees it: it opens with a header holding the sha256 of the compiled image
//! that follows, and an image whose hash differs (a flipped bit, a truncated or foreign
//! file) is deleted and compiled again, never deserialized. The directory itself must be
//! private to the service: [`Loader::new`] refuses one that group or others may write, or
//! that another user owns ([`CacheDirError`]), and creates a missing one with mode 0700.
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
const LAYOUT_VERSION: &str = "remise-code-cache-v2";

/// The first bytes of every cache file, before the sha256 of the image.
const MAGIC: &[u8; 16] = b"remise-cwasm-v2\n";

/// The header of a cache file: [`MAGIC`], then the sha256 of the compiled image after it.
const HEADER_LEN: usize = MAGIC.len() + 32;

/// The suffix of a cache file.
const EXTENSION: &str = "cwasm";

/// The runtime and its compiled-code cache: what loads every plugin version.
pub struct Loader {
    runtime: std::sync::Arc<Runtime>,
    cache: CodeCache,
}

impl Loader {
    /// A loader over `runtime`, keeping compiled components in `cache_dir` too (created
    /// with mode 0700 if needed) when it is given, so the next process loads them without
    /// compiling. The directory must be private to the service: whoever can write it can
    /// run code in this process, so one that group or others may write, or that another
    /// user owns, is refused. One that cannot be created is reported and compiled code is
    /// kept in memory only; one that cannot be written is reported once; loading never
    /// fails because of it.
    pub fn new(
        runtime: std::sync::Arc<Runtime>,
        cache_dir: Option<PathBuf>,
    ) -> Result<Self, CacheDirError> {
        let cache = CodeCache::new(runtime.engine(), cache_dir)?;
        Ok(Loader { runtime, cache })
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

/// Why a cache directory is refused: someone else could put code in it that this process
/// would run.
#[derive(Debug, thiserror::Error)]
pub enum CacheDirError {
    /// Group or others may write the directory.
    #[error(
        "plugin cache folder {} is writable by group or others (mode {mode:03o}): whoever \
         can write there can run code in this service; make it private (chmod 700) or \
         choose another --cache-dir",
        dir.display()
    )]
    Writable {
        /// The directory.
        dir: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Another user owns the directory.
    #[error(
        "plugin cache folder {} is owned by uid {owner}, not by the uid this service runs \
         as ({user}): whoever owns it can put code there that this service would run; \
         give it to the service's user (chown) or choose another --cache-dir",
        dir.display()
    )]
    Owner {
        /// The directory.
        dir: PathBuf,
        /// Its owner's uid.
        owner: u32,
        /// The service's effective uid.
        user: u32,
    },
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
    /// Cache files that could not be used (a checksum that does not match, a file wasmtime
    /// refuses), deleted and compiled again.
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
}

/// Distinguishes this process's temporary files from one another, across every cache of
/// the process (two caches on one directory, as test servers have, never pick one name).
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

impl CodeCache {
    /// A cache for components compiled by `engine`; on disk too when `dir` is given and can
    /// be created (if it cannot, that is reported and only the memory cache is used). A
    /// directory others could write code into is refused.
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Result<Self, CacheDirError> {
        let disk = match dir {
            None => None,
            Some(dir) => match create_private_dir(&dir) {
                Ok(()) => Some(DiskCache {
                    dir,
                    engine_key: engine_key(engine),
                    problem_reported: AtomicBool::new(false),
                }),
                Err(DirProblem::Unsafe(refused)) => return Err(refused),
                Err(DirProblem::Io(error)) => {
                    tracing::warn!(
                        dir = %dir.display(),
                        %error,
                        "plugin cache folder unusable: compiled code is not kept on disk"
                    );
                    None
                }
            },
        };
        Ok(Self {
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
        })
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
    /// file whose checksum does not match, or that wasmtime refuses, is deleted (and the
    /// component compiled again); its code is never run.
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
        // Read whole, checked, and handed to wasmtime from this copy: what runs is what was
        // checked, whatever happens to the file afterwards.
        let file = match fs::read(&path) {
            Ok(file) => file,
            Err(error) => {
                disk.report_once(&format!("{}: {error}", path.display()));
                return None;
            }
        };
        let image = match checked_image(&file) {
            Ok(image) => image,
            Err(problem) => {
                self.discard(&path, problem);
                return None;
            }
        };
        // SAFETY: `deserialize` trusts its bytes to be code wasmtime compiled (it copies
        // them, so nothing here must outlive the call). They are:
        // - The file's header holds the sha256 of the image, checked just above on this
        //   very copy: a file damaged since it was written (a flipped bit, a truncation, a
        //   partial write) is refused before wasmtime sees it.
        // - Only `DiskCache::write` writes files under these names: the output of this
        //   process's own `Component::serialize`, written to a fresh temporary file of the
        //   same directory (`create_new`), synced, then renamed.
        // - The name is the sha256 of the source bytes and a sha256 of the engine's
        //   `precompile_compatibility_hash` (target, compiler flags, tunables, wasm
        //   features, wasmtime version) and of `LAYOUT_VERSION`: a file is only read for
        //   exactly the bytes it was compiled from, by an engine that compiles them the
        //   same way. wasmtime checks its header, version and flags again.
        // - The checksum stops accidents, not an attacker who can write the directory (they
        //   can write a matching checksum too): the directory must be private to the
        //   service, and `create_private_dir` refuses one that group or others may write
        //   or that another user owns.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize(engine, image) };
        match loaded {
            Ok(component) => Some(component),
            Err(error) => {
                self.discard(&path, format!("{error:#}"));
                None
            }
        }
    }

    /// Counts, reports and deletes a cache file that cannot be used.
    fn discard(&self, path: &Path, problem: String) {
        self.disk_discarded.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            file = %path.display(),
            problem,
            "cached plugin unusable: deleted and compiled again, not run"
        );
        if let Err(error) = fs::remove_file(path) {
            tracing::warn!(file = %path.display(), %error, "cached plugin not deleted");
        }
    }
}

/// The compiled image of a cache file, if its header is [`MAGIC`] and the sha256 of the
/// image; else what is wrong.
fn checked_image(file: &[u8]) -> Result<&[u8], String> {
    let (header, image) = file
        .split_at_checked(HEADER_LEN)
        .ok_or_else(|| format!("{} bytes, shorter than a header", file.len()))?;
    let (magic, expected) = header.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err("not a cache file of this layout".into());
    }
    if Sha256::digest(image).as_slice() != expected {
        return Err("checksum mismatch: the compiled code changed since it was written".into());
    }
    Ok(image)
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
        self.dir.join(format!(
            "{}-{}.{EXTENSION}",
            hex::encode(sha256),
            self.engine_key
        ))
    }

    /// Writes `component` under its name, after a header holding the sha256 of its image,
    /// atomically: a temporary file of the same directory, synced, then renamed (a name
    /// never shows a partial file).
    fn write(&self, sha256: &[u8; 32], component: &Component) -> io::Result<()> {
        let compiled = component.serialize().map_err(io::Error::other)?;
        let mut image = Vec::with_capacity(HEADER_LEN + compiled.len());
        image.extend_from_slice(MAGIC);
        image.extend_from_slice(&Sha256::digest(&compiled));
        image.extend_from_slice(&compiled);
        let path = self.path(sha256);
        let temp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            hex::encode(sha256),
            std::process::id(),
            NEXT_TEMP.fetch_add(1, Ordering::Relaxed)
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

/// Why a cache directory is not used.
enum DirProblem {
    /// It cannot be created or read: reported, and the cache stays in memory.
    Io(io::Error),
    /// Someone else could write code into it: refused.
    Unsafe(CacheDirError),
}

impl From<io::Error> for DirProblem {
    fn from(error: io::Error) -> Self {
        DirProblem::Io(error)
    }
}

/// Creates `dir` and its parents (with mode 0700 on Unix), and checks that it is private:
/// owned by this process's user, not writable by group or others.
fn create_private_dir(dir: &Path) -> Result<(), DirProblem> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::other("not a directory").into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(DirProblem::Unsafe(CacheDirError::Writable {
                dir: dir.to_path_buf(),
                mode,
            }));
        }
        let user = effective_uid();
        if meta.uid() != user {
            return Err(DirProblem::Unsafe(CacheDirError::Owner {
                dir: dir.to_path_buf(),
                owner: meta.uid(),
                user,
            }));
        }
    }
    Ok(())
}

/// The effective uid of this process: the owner of the files it creates.
#[cfg(unix)]
fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions, touches no memory of ours and cannot fail.
    #[allow(unsafe_code)]
    unsafe {
        libc::geteuid()
    }
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
    hex::encode(&digest[..16])
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
