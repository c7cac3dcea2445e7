//! Shadow runs in the store (issue 19 item 5): which loaded version shadows each plugin,
//! and what the shadow runs of every host found, summed.

use super::{column_error, now, parse_timestamp, timestamp, Store, StoreError};
use chrono::{DateTime, Utc};

/// A plugin version that shadows its plugin's current one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredShadow {
    /// The plugin.
    pub plugin: String,
    /// The shadowing version.
    pub version: String,
    /// The share of live evaluations that also run it, in percent.
    pub sample_percent: u8,
    /// When it started shadowing: its report counts from then.
    pub started_at: DateTime<Utc>,
}

/// A shadow's plugin, version and start: what names its report.
pub type ShadowKey = (String, String, DateTime<Utc>);

/// What a batch of shadow runs found, to add to a shadow's report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShadowTally {
    /// Evaluations run on both versions.
    pub compared: i64,
    /// Those whose answer would differ.
    pub divergent: i64,
    /// Those where a campaign's effects differ (or it applies on one version only).
    pub effects: i64,
    /// Those where a campaign's amounts differ.
    pub amounts: i64,
    /// Those where one version failed (error, fuel, memory, time) and the other did not.
    pub errors: i64,
    /// Fuel the live version used, summed.
    pub live_fuel: i64,
    /// Fuel the shadow used, summed.
    pub shadow_fuel: i64,
    /// The live version's wall time, summed, in microseconds.
    pub live_time_us: i64,
    /// The shadow's wall time, summed, in microseconds.
    pub shadow_time_us: i64,
}

impl ShadowTally {
    /// Adds `other` to this tally.
    pub fn add(&mut self, other: &ShadowTally) {
        self.compared += other.compared;
        self.divergent += other.divergent;
        self.effects += other.effects;
        self.amounts += other.amounts;
        self.errors += other.errors;
        self.live_fuel += other.live_fuel;
        self.shadow_fuel += other.shadow_fuel;
        self.live_time_us += other.live_time_us;
        self.shadow_time_us += other.shadow_time_us;
    }
}

/// The tally of one shadow against one live version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShadowTallyRow {
    /// The shadow's plugin, version and start.
    pub shadow: ShadowKey,
    /// The version that answered live.
    pub live_version: String,
    /// What was found.
    pub tally: ShadowTally,
}

/// A divergent evaluation kept as an example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShadowExample {
    /// The evaluation's id.
    pub evaluation_id: String,
    /// When it was compared.
    pub recorded_at: DateTime<Utc>,
    /// Both sides' outcomes, JSON.
    pub example: String,
}

/// The examples one shadow keeps at most.
pub const SHADOW_EXAMPLES_KEPT: i64 = 20;

type ShadowRow = (String, String, i64, String);

fn decode_shadow(
    (plugin, version, sample_percent, started_at): ShadowRow,
) -> Result<StoredShadow, StoreError> {
    Ok(StoredShadow {
        plugin,
        version,
        sample_percent: u8::try_from(sample_percent.clamp(0, 100)).unwrap_or(100),
        started_at: parse_timestamp(&started_at).map_err(|e| column_error("started_at", e))?,
    })
}

impl Store {
    /// Makes `version` shadow `plugin` at `sample_percent`, from now (a new report);
    /// returns the shadow.
    pub async fn start_shadow(
        &self,
        plugin: &str,
        version: &str,
        sample_percent: u8,
    ) -> Result<StoredShadow, StoreError> {
        let mut conn = self.pool.acquire().await?;
        start_shadow(&mut conn, plugin, version, sample_percent).await
    }

    /// Ends `plugin`'s shadow (its report stays stored); whether there was one.
    pub async fn end_shadow(&self, plugin: &str) -> Result<bool, StoreError> {
        let ended = sqlx::query("DELETE FROM plugin_shadows WHERE plugin = $1")
            .bind(plugin)
            .execute(&self.pool)
            .await?;
        Ok(ended.rows_affected() > 0)
    }

    /// Every shadow.
    pub async fn shadows(&self) -> Result<Vec<StoredShadow>, StoreError> {
        let rows: Vec<ShadowRow> = sqlx::query_as(
            "SELECT plugin, version, sample_percent, started_at FROM plugin_shadows \
             ORDER BY plugin",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(decode_shadow).collect()
    }

    /// Adds what a batch of shadow runs found to their shadows' reports, and keeps their
    /// examples while a shadow has fewer than [`SHADOW_EXAMPLES_KEPT`], in one
    /// transaction.
    pub async fn add_shadow_results(
        &self,
        tallies: &[ShadowTallyRow],
        examples: &[(ShadowKey, ShadowExample)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for row in tallies {
            let (plugin, version, started_at) = &row.shadow;
            let t = &row.tally;
            sqlx::query(
                "INSERT INTO shadow_tallies (plugin, version, started_at, live_version, \
                 compared, divergent, effects, amounts, errors, live_fuel, shadow_fuel, \
                 live_time_us, shadow_time_us) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (plugin, version, started_at, live_version) DO UPDATE SET \
                 compared = shadow_tallies.compared + excluded.compared, \
                 divergent = shadow_tallies.divergent + excluded.divergent, \
                 effects = shadow_tallies.effects + excluded.effects, \
                 amounts = shadow_tallies.amounts + excluded.amounts, \
                 errors = shadow_tallies.errors + excluded.errors, \
                 live_fuel = shadow_tallies.live_fuel + excluded.live_fuel, \
                 shadow_fuel = shadow_tallies.shadow_fuel + excluded.shadow_fuel, \
                 live_time_us = shadow_tallies.live_time_us + excluded.live_time_us, \
                 shadow_time_us = shadow_tallies.shadow_time_us + excluded.shadow_time_us",
            )
            .bind(plugin)
            .bind(version)
            .bind(timestamp(*started_at))
            .bind(&row.live_version)
            .bind(t.compared)
            .bind(t.divergent)
            .bind(t.effects)
            .bind(t.amounts)
            .bind(t.errors)
            .bind(t.live_fuel)
            .bind(t.shadow_fuel)
            .bind(t.live_time_us)
            .bind(t.shadow_time_us)
            .execute(&mut *tx)
            .await?;
        }
        for ((plugin, version, started_at), example) in examples {
            sqlx::query(
                "INSERT INTO shadow_examples \
                 (plugin, version, started_at, evaluation_id, recorded_at, example) \
                 SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT COUNT(*) FROM shadow_examples \
                 WHERE plugin = $1 AND version = $2 AND started_at = $3) < $7 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(plugin)
            .bind(version)
            .bind(timestamp(*started_at))
            .bind(&example.evaluation_id)
            .bind(timestamp(example.recorded_at))
            .bind(&example.example)
            .bind(SHADOW_EXAMPLES_KEPT)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The report of the shadow of `plugin` by `version` started at `started_at`: its
    /// tallies by live version, and its examples, oldest first.
    pub async fn shadow_results(
        &self,
        plugin: &str,
        version: &str,
        started_at: DateTime<Utc>,
    ) -> Result<(Vec<(String, ShadowTally)>, Vec<ShadowExample>), StoreError> {
        type TallyRow = (String, i64, i64, i64, i64, i64, i64, i64, i64, i64);
        let tallies: Vec<TallyRow> = sqlx::query_as(
            "SELECT live_version, compared, divergent, effects, amounts, errors, live_fuel, \
             shadow_fuel, live_time_us, shadow_time_us FROM shadow_tallies \
             WHERE plugin = $1 AND version = $2 AND started_at = $3 ORDER BY live_version",
        )
        .bind(plugin)
        .bind(version)
        .bind(timestamp(started_at))
        .fetch_all(&self.pool)
        .await?;
        let examples: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT evaluation_id, recorded_at, example FROM shadow_examples \
             WHERE plugin = $1 AND version = $2 AND started_at = $3 \
             ORDER BY recorded_at, evaluation_id",
        )
        .bind(plugin)
        .bind(version)
        .bind(timestamp(started_at))
        .fetch_all(&self.pool)
        .await?;
        let tallies = tallies
            .into_iter()
            .map(|row| {
                let (live, compared, divergent, effects, amounts, errors) =
                    (row.0, row.1, row.2, row.3, row.4, row.5);
                let tally = ShadowTally {
                    compared,
                    divergent,
                    effects,
                    amounts,
                    errors,
                    live_fuel: row.6,
                    shadow_fuel: row.7,
                    live_time_us: row.8,
                    shadow_time_us: row.9,
                };
                (live, tally)
            })
            .collect();
        let examples = examples
            .into_iter()
            .map(|(evaluation_id, recorded_at, example)| {
                Ok(ShadowExample {
                    recorded_at: parse_timestamp(&recorded_at)
                        .map_err(|e| column_error("recorded_at", e))?,
                    evaluation_id,
                    example,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((tallies, examples))
    }
}

/// Makes `version` shadow `plugin` at `sample_percent`, from now, on `conn`.
pub(super) async fn start_shadow(
    conn: &mut sqlx::AnyConnection,
    plugin: &str,
    version: &str,
    sample_percent: u8,
) -> Result<StoredShadow, StoreError> {
    let started_at = now();
    sqlx::query(
        "INSERT INTO plugin_shadows (plugin, version, sample_percent, started_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (plugin) DO UPDATE SET \
         version = excluded.version, sample_percent = excluded.sample_percent, \
         started_at = excluded.started_at",
    )
    .bind(plugin)
    .bind(version)
    .bind(i64::from(sample_percent))
    .bind(timestamp(started_at))
    .execute(conn)
    .await?;
    Ok(StoredShadow {
        plugin: plugin.to_string(),
        version: version.to_string(),
        sample_percent,
        started_at,
    })
}
