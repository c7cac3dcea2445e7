//! API keys: configured at start, created and revoked by admins (`/v1/keys`), and looked up
//! by every request that carries one.
//!
//! Every active key is held in memory ([`KeyCache`]): loaded at start, reloaded by each
//! catch-up with other hosts, changed at once by this host's own writes. A key found there
//! costs no query. A key not found there is looked up in the store (it may have been
//! created on another host since the last catch-up), at most [`MISS_LOOKUPS`] at a time,
//! and remembered as unknown (in a bounded cache) when the store does not know it either,
//! so random or revoked keys cannot take the database pool from the requests that need it.
//! A key's last use is written at most once a minute, off the request's path.

use super::{Service, ServiceError};
use crate::auth::{hash_key, new_key, new_key_id, KeyInfo, Role};
use crate::store::{Revoked, StoredKey};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// How many lookups of keys unknown in memory may use the database at once.
pub const MISS_LOOKUPS: usize = 2;

/// How many unknown key hashes are remembered (the least useful are dropped beyond).
pub const UNKNOWN_KEYS_KEPT: u64 = 10_000;

/// How often a key's last use is written, at most.
pub const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// The label of the admin key a first start creates.
pub const FIRST_START_LABEL: &str = "created on first start";

/// A key created by `POST /v1/keys`: the key itself, shown this once, and how it is
/// stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedKey {
    /// The key, as clients will send it. Never stored, never shown again.
    pub key: String,
    /// How it is stored and listed.
    pub stored: StoredKey,
}

/// An active key in memory, and when this host last wrote its use.
#[derive(Debug)]
struct KnownKey {
    info: KeyInfo,
    /// Milliseconds since [`KeyCache::since`] of the last write of its use, plus one (0:
    /// never written by this host).
    used_written: AtomicU64,
}

/// The active keys and what else tells a key's lookup (see the module's documentation).
pub(super) struct KeyCache {
    state: RwLock<KnownKeys>,
    /// Hashes the store did not know when looked up: refused without a query.
    unknown: moka::sync::Cache<Arc<str>, ()>,
    /// At most [`MISS_LOOKUPS`] store lookups at once.
    lookups: tokio::sync::Semaphore,
    /// The origin of [`KnownKey::used_written`].
    since: Instant,
}

struct KnownKeys {
    /// Moved on by every change of the active keys (created, revoked, reloaded): a lookup
    /// that read the store before a change must not cache what it read.
    epoch: u64,
    active: HashMap<Arc<str>, Arc<KnownKey>>,
}

impl KeyCache {
    pub(super) fn new() -> Self {
        Self {
            state: RwLock::new(KnownKeys {
                epoch: 0,
                active: HashMap::new(),
            }),
            unknown: moka::sync::Cache::builder()
                .max_capacity(UNKNOWN_KEYS_KEPT)
                .build(),
            lookups: tokio::sync::Semaphore::new(MISS_LOOKUPS),
            since: Instant::now(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, KnownKeys> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, KnownKeys> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the active keys with `active` (as the store has them now); keys no longer
    /// there are refused from now on, keys new there are no longer unknown.
    pub(super) fn replace(&self, active: Vec<KeyInfo>) {
        let mut state = self.write();
        state.epoch += 1;
        let mut next = HashMap::with_capacity(active.len());
        for info in active {
            self.unknown.invalidate(&info.hash);
            let known = match state.active.get(&info.hash) {
                Some(old) if old.info == info => Arc::clone(old),
                Some(old) => Arc::new(KnownKey {
                    info: info.clone(),
                    used_written: AtomicU64::new(old.used_written.load(Ordering::Relaxed)),
                }),
                None => Arc::new(KnownKey {
                    info: info.clone(),
                    used_written: AtomicU64::new(0),
                }),
            };
            next.insert(Arc::clone(&info.hash), known);
        }
        state.active = next;
    }

    /// Adds (or updates) one active key.
    fn insert(&self, info: KeyInfo) {
        let mut state = self.write();
        state.epoch += 1;
        self.unknown.invalidate(&info.hash);
        state.active.insert(
            Arc::clone(&info.hash),
            Arc::new(KnownKey {
                info,
                used_written: AtomicU64::new(0),
            }),
        );
    }

    /// Forgets one key: refused from now on.
    fn remove(&self, hash: &str) {
        let mut state = self.write();
        state.epoch += 1;
        state.active.remove(hash);
    }

    /// Whether this host should write the key's use now (at most once per
    /// [`LAST_USED_EVERY`]); claims the write when it should.
    fn claim_use_write(&self, known: &KnownKey) -> bool {
        let now = u64::try_from(self.since.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let last = known.used_written.load(Ordering::Relaxed);
        let every = u64::try_from(LAST_USED_EVERY.as_millis()).unwrap_or(u64::MAX);
        (last == 0 || now.saturating_sub(last) >= every)
            && known
                .used_written
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
    }
}

impl Service {
    /// Registers a configured key (the configuration file, `REMISE_ADMIN_KEY`), stored
    /// hashed, with `role` and `label` (`""`: none). A key revoked earlier stays revoked
    /// (said in the log): whether it is active.
    pub async fn configure_key(
        &self,
        key: &str,
        role: Role,
        label: &str,
    ) -> Result<bool, ServiceError> {
        let hash = hash_key(key);
        let _write = self.writes.lock().await;
        let active = self
            .store
            .configure_key(&hash, &new_key_id(), role, label)
            .await?;
        if active {
            self.keys.insert(KeyInfo::new(&hash, role, label));
        } else {
            tracing::warn!(
                label,
                role = role.as_str(),
                "a configured key was revoked earlier: it stays revoked (remove it from the \
                 configuration, and give the client a new key)"
            );
        }
        Ok(active)
    }

    /// Revokes every configured key that `configured` (the keys of this start's
    /// configuration) does not name, so a key removed from the configuration stops working,
    /// and tells other hosts of this start's keys (revoked, new, or with a new role). The
    /// labels of the keys revoked.
    pub async fn revoke_unconfigured_keys(
        &self,
        configured: &[&str],
    ) -> Result<Vec<String>, ServiceError> {
        let hashes: Vec<String> = configured.iter().map(|key| hash_key(key)).collect();
        let _write = self.writes.lock().await;
        let revoked = self.store.revoke_configured_keys_except(&hashes).await?;
        for (hash, label) in &revoked {
            self.keys.remove(hash);
            tracing::info!(
                label = label.as_str(),
                "a key no longer in the configuration is revoked"
            );
        }
        self.changed().await;
        Ok(revoked.into_iter().map(|(_, label)| label).collect())
    }

    /// Creates a key with `role` and `label` (`""`: none): a new random key, returned this
    /// once, stored hashed; other hosts are told.
    pub async fn create_key(&self, role: Role, label: &str) -> Result<CreatedKey, ServiceError> {
        let key = new_key();
        let hash = hash_key(&key);
        let _write = self.writes.lock().await;
        let stored = self
            .store
            .create_key(&hash, &new_key_id(), role, label)
            .await?;
        self.keys.insert(KeyInfo::new(&hash, role, label));
        self.changed().await;
        Ok(CreatedKey { key, stored })
    }

    /// Every key, revoked ones included, oldest first; never the key nor its hash.
    pub async fn keys(&self) -> Result<Vec<StoredKey>, ServiceError> {
        Ok(self.store.keys().await?)
    }

    /// Revokes the key with public id `id`: refused by this host at once, by the others
    /// once they catch up. Revoking a revoked key changes nothing; an unknown id is
    /// [`ServiceError::NotFound`].
    pub async fn revoke_key(&self, id: &str) -> Result<(), ServiceError> {
        let _write = self.writes.lock().await;
        match self.store.revoke_key(id).await? {
            Revoked::Now(hash) => {
                self.keys.remove(&hash);
                self.changed().await;
                Ok(())
            }
            Revoked::Already => Ok(()),
            Revoked::Unknown => Err(ServiceError::NotFound(format!("no key has the id {id}"))),
        }
    }

    /// How many active keys the store holds.
    pub async fn key_count(&self) -> Result<i64, ServiceError> {
        Ok(self.store.key_count().await?)
    }

    /// The role and label of `key`, `None` when it is unknown or revoked.
    pub async fn key(&self, key: &str) -> Result<Option<KeyInfo>, ServiceError> {
        let hash = hash_key(key);
        let (known, epoch) = {
            let state = self.keys.read();
            (state.active.get(hash.as_str()).cloned(), state.epoch)
        };
        if let Some(known) = known {
            self.note_use(&known);
            return Ok(Some(known.info.clone()));
        }
        if self.keys.unknown.contains_key(hash.as_str()) {
            return Ok(None);
        }
        let found = {
            let _permit =
                self.keys.lookups.acquire().await.map_err(|_| {
                    ServiceError::Unavailable("the key lookups are closed".to_string())
                })?;
            self.store.key(&hash).await?
        };
        let mut state = self.keys.write();
        // A key created or revoked meanwhile: what was read may be stale, so it is not kept.
        if state.epoch == epoch {
            match &found {
                Some(info) => {
                    state.active.insert(
                        Arc::clone(&info.hash),
                        Arc::new(KnownKey {
                            info: info.clone(),
                            used_written: AtomicU64::new(0),
                        }),
                    );
                }
                None => self.keys.unknown.insert(Arc::from(hash.as_str()), ()),
            }
        }
        Ok(found)
    }

    /// Writes the key's last use, off the request's path, when a minute has passed since
    /// this host last did.
    fn note_use(&self, known: &KnownKey) {
        if !self.keys.claim_use_write(known) {
            return;
        }
        let store = self.store.clone();
        let hash = Arc::clone(&known.info.hash);
        tokio::spawn(async move {
            if let Err(error) = store.touch_key(&hash).await {
                tracing::debug!(%error, "a key's last use was not written");
            }
        });
    }

    /// Re-reads the active keys (at start, and in each catch-up with other hosts).
    pub(super) async fn reload_keys(&self) -> Result<(), ServiceError> {
        let active = self.store.active_keys().await?;
        self.keys.replace(active);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keys_use_is_written_at_most_once_a_minute() {
        let cache = KeyCache::new();
        let known = KnownKey {
            info: KeyInfo::new("00", Role::Ops, ""),
            used_written: AtomicU64::new(0),
        };
        assert!(cache.claim_use_write(&known), "never written");
        assert!(!cache.claim_use_write(&known), "written just now");
        // As if written over a minute ago.
        known.used_written.store(1, Ordering::Relaxed);
        let cache = KeyCache {
            since: Instant::now()
                .checked_sub(LAST_USED_EVERY + Duration::from_secs(1))
                .expect("the clock has run a minute"),
            ..KeyCache::new()
        };
        assert!(cache.claim_use_write(&known));
    }

    #[test]
    fn a_reload_forgets_revoked_keys_and_unknowns_that_now_exist() {
        let cache = KeyCache::new();
        cache.insert(KeyInfo::new("a", Role::Ops, ""));
        cache.unknown.insert(Arc::from("b"), ());
        cache.replace(vec![KeyInfo::new("b", Role::Channel, "tills")]);
        let state = cache.read();
        assert!(!state.active.contains_key("a"));
        assert!(state.active.contains_key("b"));
        assert!(!cache.unknown.contains_key("b"));
    }
}
