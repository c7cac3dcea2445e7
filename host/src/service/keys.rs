//! API keys: registered hashed, looked up by every request that carries one (cached).

use super::{Service, ServiceError};
use crate::auth::{hash_key, KeyInfo, Role};
use std::sync::PoisonError;

impl Service {
    /// Registers an API key (stored hashed) with `role` and `label` (`""`: none).
    pub async fn add_key(&self, key: &str, role: Role, label: &str) -> Result<(), ServiceError> {
        let hash = hash_key(key);
        self.store.add_key(&hash, role, label).await?;
        self.keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(hash.clone(), KeyInfo::new(&hash, role, label));
        Ok(())
    }

    /// How many keys the store holds.
    pub async fn key_count(&self) -> Result<i64, ServiceError> {
        Ok(self.store.key_count().await?)
    }

    /// The role and label of `key`, `None` when it is unknown.
    pub async fn key(&self, key: &str) -> Result<Option<KeyInfo>, ServiceError> {
        let hash = hash_key(key);
        if let Some(info) = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&hash)
        {
            return Ok(Some(info.clone()));
        }
        let info = self.store.key(&hash).await?;
        if let Some(info) = &info {
            self.keys
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(hash, info.clone());
        }
        Ok(info)
    }
}
