//! Storage (docs/api.md "Storage and deployment"): campaigns, group policies, API keys,
//! redemptions, coupons, plugin versions, customer profiles and points, in one SQLite file (the embedded default,
//! created and migrated on first start) or in PostgreSQL shared by many hosts.
//!
//! A campaign is stored whole, as the JSON of [`Campaign`], with a `revision` that starts
//! at 1 and grows by one per replace: [`Store::replace_campaign`] can refuse a write made
//! against an older revision ([`StoreError::Stale`], a 409 for the API) in one atomic
//! `UPDATE … WHERE id = … AND revision = …`.
//!
//! One store, two databases: the queries are plain SQL that both speak (numbered `$n`
//! parameters, `ON CONFLICT … DO UPDATE`, `RETURNING`, timestamps as RFC 3339 UTC text
//! written here, money as integer minor units), run through sqlx's `Any` driver, so no
//! query is written twice. Only the schemas (`migrations/sqlite`, `migrations/postgres`:
//! the same tables with each database's types) and how a commit takes its lock
//! ([`Store::begin_commit`]) differ. Queries are checked at run time (`sqlx::query`), not
//! at build time, so building needs no database.

use crate::model::campaign::Campaign;
use crate::model::Policy;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::AnyPool;
use sqlx::Executor;
use std::sync::Once;
use std::time::Duration;

mod anonymise;
mod basket_usage;
mod campaigns;
mod commit_tx;
mod coupons;
mod customer_data;
mod customers;
mod journal;
mod keys;
mod leases;
mod order_rows;
mod outbox;
mod personal_codes;
mod plugins;
mod points;
mod redemptions;
mod returns;
mod shadows;
mod simulations;
mod store_nodes;
#[doc(hidden)]
pub mod testing;
#[cfg(test)]
mod tests;
mod webhooks;

pub use crate::model::coupon::Coupon;
pub use basket_usage::BasketReads;
pub use campaigns::{RevisionAction, StoredRevision};
pub use customer_data::{PurchasedUnits, StoredSpend};
pub use customers::{encode_profile, CustomerOrder, Erased, StoredCustomer, Upserted};
pub use journal::{CommittedOrder, JournalRow};
pub use keys::{Revoked, StoredKey};
pub use leases::{slice, Granted, LeaseAsk, LeaseLimits, LeaseRow};
pub use outbox::NewEvent;
pub use personal_codes::{DistributionCounts, NewReward};
pub use plugins::StoredPlugin;
pub use points::StoredLot;
pub use redemptions::{
    CampaignTake, CommitLock, CommitTx, LeaseTake, NewRedemption, PointsLot, RedemptionRow,
    StoredRedemption, UsageRow,
};
pub use returns::{HeldCampaign, NewReturn, OrderForReturn, StoredReturn, TakeChange};
pub use shadows::{
    ShadowExample, ShadowKey, ShadowTally, ShadowTallyRow, StoredShadow, SHADOW_EXAMPLES_KEPT,
};
pub use simulations::{Cursor, SimulationProgress, SimulationRow, StoredBasket};
pub use store_nodes::{
    lease_holder, Forwarded, ForwardedEvents, ForwardedLot, ForwardedOrder, ForwardedTake,
    KnownStore, MirroredKey, QueuedEntry, TakenBack,
};
pub use webhooks::{
    Attempt, DeliveryCounts, DeliveryStatus, DueDelivery, StoredDelivery, StoredWebhook,
};

/// The SQLite migrations, embedded in the binary.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The PostgreSQL migrations, embedded in the binary: the same tables with PostgreSQL's
/// types. sqlx takes an advisory lock while it migrates, so hosts starting together
/// migrate one at a time.
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a SQLite connection waits for another's write lock before giving up with
/// "database is locked", in milliseconds.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// The database behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file: the embedded default, one host.
    Sqlite,
    /// PostgreSQL: shared by many hosts.
    Postgres,
}

impl Backend {
    /// The backend a database URL names: `sqlite:…`, or `postgres://…` / `postgresql://…`.
    pub fn of_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(sqlx::Error::Configuration(
                format!(
                    "{:?} is neither a SQLite URL (sqlite://path/to/file.db, sqlite::memory:) \
                     nor a PostgreSQL one (postgres://user:password@host/database)",
                    crate::logging::redact_url(url)
                )
                .into(),
            )
            .into())
        }
    }
}

/// The connection pool's size and patience (`--db-max-connections`,
/// `--db-acquire-timeout-ms`, `--db-statement-timeout-ms`, `--commit-lock-timeout-ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections at most; `None`: 4 for SQLite (it writes one at a time whatever the
    /// count; a few let reads proceed beside a write), 16 for PostgreSQL. Commits and the
    /// readiness probe have [`RESERVED_CONNECTIONS`] (SQLite) or
    /// [`RESERVED_CONNECTIONS_POSTGRES`] more of their own.
    pub max_connections: Option<u32>,
    /// How long a caller waits for a connection (a free one, or a new one while the
    /// database is unreachable) before its request fails with a 503.
    pub acquire_timeout: Duration,
    /// How long one PostgreSQL statement may run before the database cancels it (the
    /// request then fails with a 503); SQLite has no such limit.
    pub statement_timeout: Duration,
    /// How long a commit or a cancel waits for the database's commit lock (held by a
    /// commit of another host, or of another process on a SQLite file), and how long it
    /// waits for its turn on this host while no commit ahead of it finishes, before it
    /// fails with a 503 and `Retry-After`.
    pub commit_lock_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: None,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(10),
            commit_lock_timeout: Duration::from_secs(5),
        }
    }
}

/// The connections kept apart for commits, cancels and the readiness probe on SQLite, so
/// that no amount of other traffic (evaluations, unknown keys) can keep a commit waiting
/// for a connection: commits take one at a time (SQLite writes one at a time), the probe
/// another.
pub const RESERVED_CONNECTIONS: u32 = 2;

/// The same on PostgreSQL, where commits that share no lock ([`CommitLock`]) run in
/// parallel, each on a connection of its own.
pub const RESERVED_CONNECTIONS_POSTGRES: u32 = 10;

/// What a pool is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Every request but commits.
    Shared,
    /// Commits, cancels and the readiness probe ([`RESERVED_CONNECTIONS`]).
    Reserved,
}

/// Opens a pool of at most `max` connections to `url` for `purpose`, each connection set
/// up as the backend needs (SQLite: WAL, full sync, foreign keys, how long to wait for the
/// write lock; PostgreSQL: the statement timeout and, for commits, the lock timeout).
async fn connect(
    backend: Backend,
    url: &str,
    settings: PoolSettings,
    max: u32,
    purpose: Use,
) -> Result<AnyPool, StoreError> {
    let options = AnyPoolOptions::new()
        .acquire_timeout(settings.acquire_timeout)
        .max_connections(max);
    let lock_wait_ms = millis(settings.commit_lock_timeout);
    let pool = match backend {
        Backend::Sqlite => {
            // A commit waits for another process's write lock no longer than it would for
            // another host's commit lock; other writes keep SQLite's usual patience.
            let busy_timeout_ms = match purpose {
                Use::Shared => u128::from(SQLITE_BUSY_TIMEOUT_MS),
                Use::Reserved => lock_wait_ms,
            };
            options
                // An in-memory database lives as long as one of its connections: keep
                // one open (the reserved ones all), and never retire them (nothing is
                // gained by reconnecting to a local file).
                .min_connections(match purpose {
                    Use::Shared => 1,
                    Use::Reserved => max,
                })
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        // WAL with synchronous FULL syncs the WAL at every commit, so a
                        // redemption acknowledged has reached the disk: it survives a
                        // power loss or an OS crash, not only a crash of the process
                        // (NORMAL would sync only at checkpoints and could lose the
                        // last commits to a power loss). It costs one fsync per commit
                        // (docs/operations.md, "SQLite: one host").
                        conn.execute(
                            format!(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = {busy_timeout_ms};"
                            )
                            .as_str(),
                        )
                        .await?;
                        Ok(())
                    })
                })
                .connect(&sqlite_creating(url))
                .await?
        }
        Backend::Postgres => {
            let statement_timeout_ms = millis(settings.statement_timeout);
            // The commit lock is an advisory lock: `lock_timeout` bounds the wait for it
            // (and for rows another host's commit holds). Other connections keep no lock
            // timeout: the migrations' own advisory lock must wait for another host that
            // is migrating.
            let lock_timeout = match purpose {
                Use::Shared => String::new(),
                Use::Reserved => format!(" SET lock_timeout = {lock_wait_ms};"),
            };
            let setup = format!("SET statement_timeout = {statement_timeout_ms};{lock_timeout}");
            let options = match purpose {
                // Open before a commit or the probe needs them, and kept open.
                Use::Reserved => options.min_connections(max),
                Use::Shared => options,
            };
            options
                .after_connect(move |conn, _| {
                    let setup = setup.clone();
                    Box::pin(async move {
                        conn.execute(setup.as_str()).await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await?
        }
    };
    Ok(pool)
}

/// `duration` in whole milliseconds, at least 1 (0 would mean "no limit" to both databases).
fn millis(duration: Duration) -> u128 {
    duration.as_millis().max(1)
}

/// The columns of a campaign row, in the order the queries select them.
const CAMPAIGN_COLUMNS: &str = "id, body, revision, created_at, updated_at";

/// A campaign row: id, body, revision, created_at, updated_at.
type CampaignRow = (String, String, i64, String, String);

/// The store: a pool of connections to one SQLite or PostgreSQL database, through sqlx's
/// `Any` driver so that every query is written once for both. Cheap to clone (the pool is
/// shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// Commits, cancels and the readiness probe ([`RESERVED_CONNECTIONS`],
    /// [`RESERVED_CONNECTIONS_POSTGRES`]); the same pool
    /// as `pool` for an in-memory database.
    reserved: AnyPool,
    backend: Backend,
    commit_lock_timeout: Duration,
    /// The URL of a SQLite file, checkpointed at [`Store::close`]; `None` for PostgreSQL
    /// and in-memory databases.
    sqlite_file: Option<String>,
    /// Whether every order committed or cancelled is queued for the centre too: a store
    /// node's store ([`Store::forwarding`]).
    forwarding: bool,
}

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed (including a malformed URL or a file that cannot be
    /// opened).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A campaign with this id already exists.
    #[error("campaign {0} already exists")]
    Exists(String),
    /// No campaign has this id.
    #[error("campaign {0} not found")]
    NotFound(String),
    /// The campaign was changed since the revision the writer read.
    #[error("campaign {id} changed since revision {expected}")]
    Stale {
        /// The campaign's id.
        id: String,
        /// The revision the writer expected.
        expected: i64,
    },
    /// A stored campaign does not read back as a [`Campaign`]: the id and why.
    #[error("stored campaign {0} is unreadable: {1}")]
    Corrupt(String, String),
    /// A write found the data not as the transaction read it.
    #[error("inconsistent data: {0}")]
    Inconsistent(String),
    /// A budget lease this transaction's orders took from was taken back (it expired) or
    /// would be overdrawn: the transaction is rolled back.
    #[error("budget lease {0} was taken back")]
    LeaseLost(String),
}

/// A campaign as stored, with its revision and timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCampaign {
    /// The campaign.
    pub campaign: Campaign,
    /// 1 when created, one more per replace.
    pub revision: i64,
    /// When it was created (microsecond precision).
    pub created_at: DateTime<Utc>,
    /// When it was last created or replaced (microsecond precision).
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// [`Store::open_with`] the default pool settings.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, PoolSettings::default()).await
    }

    /// Opens `sqlite://path/to/file.db` (created if missing, WAL journal synced at every
    /// commit, foreign keys on), `sqlite::memory:`, or `postgres://…` (its `sslmode`
    /// honoured: `require` and the `verify-*` modes speak TLS or fail), and runs the
    /// migrations.
    ///
    /// A SQLite file's directory must exist: a missing one is an error, as is a URL of
    /// another scheme.
    pub async fn open_with(url: &str, settings: PoolSettings) -> Result<Store, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = Backend::of_url(url)?;
        // Each connection to `sqlite::memory:` through `Any` is a database of its own: an
        // in-memory store has one connection, shared by commits and everything else.
        let in_memory = backend == Backend::Sqlite && url.contains(":memory:");
        let max = match backend {
            Backend::Sqlite if in_memory => 1,
            Backend::Sqlite => settings.max_connections.unwrap_or(4),
            Backend::Postgres => settings.max_connections.unwrap_or(16),
        };
        let pool = connect(backend, url, settings, max, Use::Shared).await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        let reserved = if in_memory {
            pool.clone()
        } else {
            let reserved = match backend {
                Backend::Sqlite => RESERVED_CONNECTIONS,
                Backend::Postgres => RESERVED_CONNECTIONS_POSTGRES,
            };
            connect(backend, url, settings, reserved, Use::Reserved).await?
        };
        Ok(Store {
            pool,
            reserved,
            backend,
            commit_lock_timeout: settings.commit_lock_timeout,
            sqlite_file: (backend == Backend::Sqlite && !in_memory).then(|| sqlite_creating(url)),
            forwarding: false,
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction that reads before it writes: on SQLite it takes the write lock from
    /// the start (`BEGIN IMMEDIATE`), for a deferred one that read and then finds another
    /// connection wrote meanwhile fails at once ("database is locked") instead of waiting.
    pub(crate) async fn begin_read_then_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// This store reading through the connections reserved for commits: what a commit
    /// reads before it takes its locks, so that no amount of other traffic keeps it
    /// waiting for a connection.
    pub fn for_commits(&self) -> Store {
        Store {
            pool: self.reserved.clone(),
            ..self.clone()
        }
    }

    /// How long a commit waits for the commit lock ([`PoolSettings::commit_lock_timeout`]).
    pub fn commit_lock_timeout(&self) -> Duration {
        self.commit_lock_timeout
    }

    /// Closes every connection, waiting for those in use to be given back, then (SQLite)
    /// checkpoints the WAL into the database file, so a copy of the file alone is the
    /// whole database.
    pub async fn close(&self) {
        self.pool.close().await;
        self.reserved.close().await;
        if let Some(url) = &self.sqlite_file {
            // Once the pools are closed nothing else of this process writes: a write still
            // in flight (a key's last use, say) has finished, and a later one is refused.
            // The checkpoint then runs alone, and the last connection's close removes the
            // emptied log.
            if let Err(error) = checkpoint(url).await {
                tracing::warn!(%error, "the WAL could not be checkpointed at shutdown");
            }
        }
    }

    /// Whether the database answers (for `/readyz`), through the reserved connections:
    /// a pool busy with other traffic is not a database that does not answer.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reserved).await?;
        Ok(())
    }

    /// Every configured group and its policy, ordered by name. A group not listed uses
    /// [`Policy::default`].
    pub async fn groups(&self) -> Result<Vec<(String, Policy)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT name, policy FROM groups ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(name, policy)| {
                let policy = parse_policy(&policy).ok_or_else(|| {
                    column_error(
                        "groups.policy",
                        format!("group {name:?}: unknown policy {policy:?}"),
                    )
                })?;
                Ok((name, policy))
            })
            .collect()
    }

    /// Sets a group's policy, creating the group if needed.
    pub async fn set_group(&self, name: &str, policy: Policy) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO groups (name, policy) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET policy = excluded.policy",
        )
        .bind(name)
        .bind(policy.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The generation of campaigns, groups and plugins: moved on by every write of them
    /// ([`Store::bump_generation`]), by whichever host.
    pub async fn generation(&self) -> Result<i64, StoreError> {
        generation(&self.pool).await
    }

    /// [`Store::generation`] through the connections reserved for commits, which read it
    /// before they begin.
    pub async fn generation_for_commit(&self) -> Result<i64, StoreError> {
        generation(&self.reserved).await
    }

    /// Moves the generation on, after a write of campaigns, groups or plugins; the new one.
    pub async fn bump_generation(&self) -> Result<i64, StoreError> {
        let (generation,): (i64,) = sqlx::query_as(
            "UPDATE state_generation SET generation = generation + 1 WHERE id = 1 \
             RETURNING generation",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(generation)
    }
}

/// Moves the whole WAL of the SQLite file at `url` into the database file and empties it,
/// and makes sure it stays empty: a write that lands after the checkpoint (see
/// [`checkpoint_once`]) is taken in by another round, [`CHECKPOINT_ROUNDS`] at most,
/// until the log is found empty.
async fn checkpoint(url: &str) -> Result<(), sqlx::Error> {
    for _ in 0..CHECKPOINT_ROUNDS {
        checkpoint_once(url).await?;
        let left = wal_file(url).and_then(|wal| std::fs::metadata(wal).ok());
        if left.is_none_or(|metadata| metadata.len() == 0) {
            return Ok(());
        }
        tracing::debug!("a write reached the log after the shutdown checkpoint; once more");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The write-ahead log beside the SQLite file of `url` (`sqlite://path?options`).
fn wal_file(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    (!path.is_empty()).then(|| std::path::PathBuf::from(format!("{path}-wal")))
}

/// One round of [`checkpoint`]. SQLite answers a checkpoint it could not finish (a
/// connection of the closed pools still being torn down holds a read) with `busy = 1`
/// rather than an error: it is tried again, [`CHECKPOINT_TRIES`] times at most.
async fn checkpoint_once(url: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(url).await?;
    for _ in 0..CHECKPOINT_TRIES {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut connection)
            .await?;
        if busy == 0 {
            break;
        }
        tracing::debug!("the shutdown checkpoint found the database busy; trying again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A statement whose future was dropped (a task cut off at shutdown) still runs to its
    // end on SQLite's worker thread, and may commit just after the checkpoint: a few more
    // passes take such a late write into the database file too.
    for _ in 0..LATE_WRITE_PASSES {
        tokio::time::sleep(Duration::from_millis(50)).await;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut connection)
            .await?;
    }
    connection.close().await
}

/// Rounds of the shutdown checkpoint, each with its own connection, until the log is found
/// empty.
const CHECKPOINT_ROUNDS: usize = 10;

/// How many more checkpoints follow the shutdown's first, 50 ms apart.
const LATE_WRITE_PASSES: usize = 3;

/// How many times a shutdown checkpoint is tried while SQLite reports it busy.
const CHECKPOINT_TRIES: usize = 40;

/// A SQLite URL that creates its file when missing (`mode=rwc`), unless it sets a mode
/// or is in memory.
fn sqlite_creating(url: &str) -> String {
    if url.contains(":memory:") || url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

async fn generation(pool: &AnyPool) -> Result<i64, StoreError> {
    let (generation,): (i64,) =
        sqlx::query_as("SELECT generation FROM state_generation WHERE id = 1")
            .fetch_one(pool)
            .await?;
    Ok(generation)
}

/// Now, to the microsecond: what the text form keeps, so a returned [`StoredCampaign`]
/// equals the one read back later.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The stored form of a time: RFC 3339, UTC, six decimals, `Z`; fixed width, so text order
/// is time order.
fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|why| format!("timestamp {text:?}: {why}"))
}

fn encode_campaign(campaign: &Campaign) -> Result<String, StoreError> {
    serde_json::to_string(campaign)
        .map_err(|why| StoreError::Database(sqlx::Error::Encode(Box::new(why))))
}

fn decode_campaign(
    (id, body, revision, created_at, updated_at): CampaignRow,
) -> Result<StoredCampaign, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt(id.clone(), why);
    let campaign: Campaign = serde_json::from_str(&body).map_err(|why| corrupt(why.to_string()))?;
    if campaign.id != id {
        return Err(corrupt(format!("its body has the id {:?}", campaign.id)));
    }
    Ok(StoredCampaign {
        revision,
        created_at: parse_timestamp(&created_at).map_err(corrupt)?,
        updated_at: parse_timestamp(&updated_at).map_err(corrupt)?,
        campaign,
    })
}

fn parse_policy(text: &str) -> Option<Policy> {
    [
        Policy::BestForCustomer,
        Policy::BestForMerchant,
        Policy::Priority,
    ]
    .into_iter()
    .find(|policy| policy.as_str() == text)
}

/// A stored value of a column that does not read back.
fn column_error(column: &str, why: String) -> StoreError {
    StoreError::Database(sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: why.into(),
    })
}
