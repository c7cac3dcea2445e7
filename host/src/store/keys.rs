//! API keys in the store: stored by the hex SHA-256 of the key (never the key), each with a
//! public id, a role, a label, where it comes from, when it was created, last used and
//! revoked. A revoked key keeps its row (lists show it, redemptions still name it) and is
//! never accepted again.

use super::{column_error, now, parse_timestamp, timestamp, Store, StoreError};
use crate::auth::{KeyInfo, KeySource, Role};
use chrono::{DateTime, Utc};
use std::str::FromStr;

/// A key as lists show it: everything but the key and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    /// Its public id ([`crate::auth::new_key_id`]).
    pub id: String,
    /// What it may do.
    pub role: Role,
    /// A name for people; `""`: none.
    pub label: String,
    /// Where it comes from.
    pub source: KeySource,
    /// When it was first stored.
    pub created_at: DateTime<Utc>,
    /// When a request last carried it (to the minute), if one did.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What revoking a key by its id did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// It is revoked now: the hash it was stored under, to forget.
    Now(String),
    /// It was revoked already.
    Already,
    /// No key has this id.
    Unknown,
}

/// A key row as [`Store::keys`] selects it.
type KeyRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

impl Store {
    /// Records a configured key by its hash ([`crate::auth::hash_key`]) under the new id
    /// `id`; a key already stored keeps its id, creation time and revocation, and takes
    /// the new role and label. Whether it is active (not revoked).
    pub async fn configure_key(
        &self,
        key_hash: &str,
        id: &str,
        role: Role,
        label: &str,
    ) -> Result<bool, StoreError> {
        // `fetch_all`: the statement runs to its end, so the write is over when this returns.
        let rows: Vec<(Option<String>,)> = sqlx::query_as(
            "INSERT INTO api_keys (key_hash, id, role, label, source, created_at) \
             VALUES ($1, $2, $3, $4, 'configured', $5) \
             ON CONFLICT (key_hash) DO UPDATE SET role = excluded.role, \
             label = excluded.label, source = 'configured' RETURNING revoked_at",
        )
        .bind(key_hash)
        .bind(id)
        .bind(role.as_str())
        .bind(label)
        .bind(timestamp(now()))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .first()
            .is_some_and(|(revoked_at,)| revoked_at.is_none()))
    }

    /// Stores a key created by the service (`POST /v1/keys`, the first start) under `id`.
    pub async fn create_key(
        &self,
        key_hash: &str,
        id: &str,
        role: Role,
        label: &str,
    ) -> Result<StoredKey, StoreError> {
        let created_at = now();
        sqlx::query(
            "INSERT INTO api_keys (key_hash, id, role, label, source, created_at) \
             VALUES ($1, $2, $3, $4, 'created', $5)",
        )
        .bind(key_hash)
        .bind(id)
        .bind(role.as_str())
        .bind(label)
        .bind(timestamp(created_at))
        .execute(&self.pool)
        .await?;
        Ok(StoredKey {
            id: id.to_string(),
            role,
            label: label.to_string(),
            source: KeySource::Created,
            created_at,
            last_used_at: None,
            revoked_at: None,
        })
    }

    /// The role and label of the active (not revoked) key with this hash, if any.
    pub async fn key(&self, key_hash: &str) -> Result<Option<KeyInfo>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT role, label FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(role, label)| key_info(key_hash, &role, &label))
            .transpose()
    }

    /// Every active key, as requests are checked against them.
    pub async fn active_keys(&self) -> Result<Vec<KeyInfo>, StoreError> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT key_hash, role, label FROM api_keys WHERE revoked_at IS NULL")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|(hash, role, label)| key_info(hash, role, label))
            .collect()
    }

    /// Every key, revoked ones included, oldest first.
    pub async fn keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let rows: Vec<KeyRow> = sqlx::query_as(
            "SELECT id, role, label, source, created_at, last_used_at, revoked_at \
             FROM api_keys ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(decode_key).collect()
    }

    /// Revokes the key with this public id.
    pub async fn revoke_key(&self, id: &str) -> Result<Revoked, StoreError> {
        let revoked: Vec<(String,)> = sqlx::query_as(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
             RETURNING key_hash",
        )
        .bind(timestamp(now()))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        if let Some((hash,)) = revoked.into_iter().next() {
            return Ok(Revoked::Now(hash));
        }
        let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM api_keys WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match exists {
            Some(_) => Revoked::Already,
            None => Revoked::Unknown,
        })
    }

    /// Revokes every active configured key whose hash is not in `configured`: the keys the
    /// configuration of this start no longer names. The hash and label of each.
    pub async fn revoke_configured_keys_except(
        &self,
        configured: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let stored: Vec<(String, String)> = sqlx::query_as(
            "SELECT key_hash, label FROM api_keys \
             WHERE source = 'configured' AND revoked_at IS NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        let stamp = timestamp(now());
        let mut revoked = Vec::new();
        for (hash, label) in stored {
            if configured.contains(&hash) {
                continue;
            }
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 WHERE key_hash = $2 AND revoked_at IS NULL",
            )
            .bind(&stamp)
            .bind(&hash)
            .execute(&self.pool)
            .await?;
            revoked.push((hash, label));
        }
        Ok(revoked)
    }

    /// Records that a request carried the key with this hash, now.
    pub async fn touch_key(&self, key_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE key_hash = $2")
            .bind(timestamp(now()))
            .bind(key_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many active keys are stored (none on a first run: one is then created and
    /// printed).
    pub async fn key_count(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
                .fetch_one(&self.pool)
                .await?;
        Ok(count)
    }
}

fn key_info(hash: &str, role: &str, label: &str) -> Result<KeyInfo, StoreError> {
    Role::from_str(role)
        .map(|role| KeyInfo::new(hash, role, label))
        .map_err(|why| column_error("api_keys.role", why))
}

fn decode_key(
    (id, role, label, source, created_at, last_used_at, revoked_at): KeyRow,
) -> Result<StoredKey, StoreError> {
    let time = |column: &str, text: &str| {
        parse_timestamp(text).map_err(|why| column_error(column, format!("key {id}: {why}")))
    };
    Ok(StoredKey {
        role: Role::from_str(&role).map_err(|why| column_error("api_keys.role", why))?,
        source: KeySource::from_str(&source).map_err(|why| column_error("api_keys.source", why))?,
        created_at: time("api_keys.created_at", &created_at)?,
        last_used_at: last_used_at
            .as_deref()
            .map(|text| time("api_keys.last_used_at", text))
            .transpose()?,
        revoked_at: revoked_at
            .as_deref()
            .map(|text| time("api_keys.revoked_at", text))
            .transpose()?,
        id,
        label,
    })
}
