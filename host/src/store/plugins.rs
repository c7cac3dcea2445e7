//! Uploaded plugin versions, each plugin's current version, and each plugin's own limits
//! in the store.

use super::{now, parse_timestamp, timestamp, Store, StoreError};
use crate::model::plugin_limits::PluginLimits;
use chrono::{DateTime, Utc};

/// An uploaded plugin version, without its bytes ([`Store::plugin_component`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPlugin {
    /// Its name.
    pub name: String,
    /// Its semantic version, as text.
    pub version: String,
    /// The hex sha256 of its component.
    pub sha256: String,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
}

impl Store {
    /// Stores an uploaded version and makes it its plugin's current one, in one
    /// transaction; returns its upload time.
    pub async fn add_plugin_version(
        &self,
        name: &str,
        version: &str,
        sha256: &str,
        component: &[u8],
    ) -> Result<DateTime<Utc>, StoreError> {
        let uploaded_at = now();
        let mut tx = self.pool.begin().await?;
        insert_version(&mut tx, name, version, sha256, component, uploaded_at).await?;
        set_current(&mut tx, name, version).await?;
        tx.commit().await?;
        Ok(uploaded_at)
    }

    /// Stores an uploaded version that shadows `current` (which stays, or becomes, the
    /// version unpinned campaigns follow) at `sample_percent`, in one transaction;
    /// returns its upload time and the shadow.
    pub async fn add_shadow_version(
        &self,
        name: &str,
        version: &str,
        sha256: &str,
        component: &[u8],
        current: &str,
        sample_percent: u8,
    ) -> Result<(DateTime<Utc>, super::StoredShadow), StoreError> {
        let uploaded_at = now();
        let mut tx = self.pool.begin().await?;
        insert_version(&mut tx, name, version, sha256, component, uploaded_at).await?;
        set_current(&mut tx, name, current).await?;
        let shadow = super::shadows::start_shadow(&mut tx, name, version, sample_percent).await?;
        tx.commit().await?;
        Ok((uploaded_at, shadow))
    }

    /// Stores a version copied from the centre (a store node's), without making it current
    /// (the centre's current versions are copied apart); a version already stored stays.
    pub async fn add_mirrored_plugin_version(
        &self,
        name: &str,
        version: &str,
        sha256: &str,
        component: &[u8],
        uploaded_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let held: Option<(String,)> =
            sqlx::query_as("SELECT sha256 FROM plugin_versions WHERE name = $1 AND version = $2")
                .bind(name)
                .bind(version)
                .fetch_optional(&mut *conn)
                .await?;
        if held.is_none() {
            insert_version(&mut conn, name, version, sha256, component, uploaded_at).await?;
        }
        Ok(())
    }

    /// Sets the version `name`'s unpinned campaigns follow.
    pub async fn set_current_plugin_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        set_current(&mut conn, name, version).await
    }

    /// Deletes an uploaded version, archiving its bytes by SHA-256 in the same transaction
    /// (a journal entry or an order may name it); `false` when there was none.
    pub async fn delete_plugin_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO plugin_archive (sha256, name, version, component, archived_at) \
             SELECT sha256, name, version, component, $3 FROM plugin_versions \
             WHERE name = $1 AND version = $2 ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(name)
        .bind(version)
        .bind(timestamp(now()))
        .execute(&mut *tx)
        .await?;
        let deleted = sqlx::query("DELETE FROM plugin_versions WHERE name = $1 AND version = $2")
            .bind(name)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected() > 0)
    }

    /// The bytes of an uploaded version, stored or archived, by the SHA-256 a journal
    /// entry or an order names.
    pub async fn plugin_by_sha256(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT component FROM plugin_versions WHERE sha256 = $1 LIMIT 1")
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some((component,)) => Ok(Some(component)),
            None => self.archived_plugin(sha256).await,
        }
    }

    /// The bytes of a deleted version, by the SHA-256 a journal entry or an order names.
    pub async fn archived_plugin(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT component FROM plugin_archive WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(component,)| component))
    }

    /// Every uploaded version, oldest upload first, without the bytes: a host catching up
    /// with another's upload fetches only the components it has not loaded.
    pub async fn plugin_versions(&self) -> Result<Vec<StoredPlugin>, StoreError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT name, version, sha256, uploaded_at FROM plugin_versions \
             ORDER BY uploaded_at, name, version",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(name, version, sha256, uploaded_at)| {
                Ok(StoredPlugin {
                    uploaded_at: parse_timestamp(&uploaded_at)
                        .map_err(|e| super::column_error("uploaded_at", e))?,
                    name,
                    version,
                    sha256,
                })
            })
            .collect()
    }

    /// The component bytes of an uploaded version, if it is stored.
    pub async fn plugin_component(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as(
            "SELECT component FROM plugin_versions WHERE name = $1 AND version = $2",
        )
        .bind(name)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(component,)| component))
    }

    /// Each plugin's current version, where one was set.
    pub async fn current_plugin_versions(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT name, version FROM plugin_current")
            .fetch_all(&self.pool)
            .await?)
    }
}

impl Store {
    /// Every plugin's own limits, where ops set some.
    pub async fn plugin_limits(&self) -> Result<Vec<(String, PluginLimits)>, StoreError> {
        type Row = (String, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT name, fuel, memory_bytes, deadline_ms, upload_bytes FROM plugin_limits",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(name, fuel, memory_bytes, deadline_ms, upload_bytes)| {
                let read = |column: &str, value: Option<i64>| {
                    value
                        .map(|value| {
                            u64::try_from(value)
                                .map_err(|_| super::column_error(column, format!("{value} < 0")))
                        })
                        .transpose()
                };
                let limits = PluginLimits {
                    fuel: read("fuel", fuel)?,
                    memory_bytes: read("memory_bytes", memory_bytes)?,
                    deadline_ms: read("deadline_ms", deadline_ms)?,
                    upload_bytes: read("upload_bytes", upload_bytes)?,
                };
                Ok((name, limits))
            })
            .collect()
    }

    /// Sets plugin `name`'s own limits (all unset: the defaults, and no row).
    pub async fn set_plugin_limits(
        &self,
        name: &str,
        limits: &PluginLimits,
    ) -> Result<(), StoreError> {
        if *limits == PluginLimits::default() {
            sqlx::query("DELETE FROM plugin_limits WHERE name = $1")
                .bind(name)
                .execute(&self.pool)
                .await?;
            return Ok(());
        }
        let column =
            |value: Option<u64>| value.map(|value| i64::try_from(value).unwrap_or(i64::MAX));
        sqlx::query(
            "INSERT INTO plugin_limits (name, fuel, memory_bytes, deadline_ms, upload_bytes) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO UPDATE SET fuel = excluded.fuel, \
             memory_bytes = excluded.memory_bytes, deadline_ms = excluded.deadline_ms, \
             upload_bytes = excluded.upload_bytes",
        )
        .bind(name)
        .bind(column(limits.fuel))
        .bind(column(limits.memory_bytes))
        .bind(column(limits.deadline_ms))
        .bind(column(limits.upload_bytes))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

async fn set_current(
    conn: &mut sqlx::AnyConnection,
    name: &str,
    version: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO plugin_current (name, version) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET version = excluded.version",
    )
    .bind(name)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts an uploaded version.
async fn insert_version(
    conn: &mut sqlx::AnyConnection,
    name: &str,
    version: &str,
    sha256: &str,
    component: &[u8],
    uploaded_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO plugin_versions (name, version, sha256, size, component, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(name)
    .bind(version)
    .bind(sha256)
    .bind(i64::try_from(component.len()).unwrap_or(i64::MAX))
    .bind(component)
    .bind(timestamp(uploaded_at))
    .execute(conn)
    .await?;
    Ok(())
}
