//! Coupon codes in the `coupons` table (`migrations/sqlite/0002_redemptions.sql`).
//!
//! Codes arrive normalized (upper-case, [`crate::model::coupon::normalize`]); the primary key on
//! `code` makes them unique across campaigns. Bulk inserts are multi-row
//! `INSERT … ON CONFLICT (code) DO NOTHING RETURNING code` statements in one transaction,
//! so a code that exists already is skipped and reported rather than failing the batch,
//! and 100,000 codes take 200 statements. Listing is a keyset walk of the
//! `(campaign_id, code)` index: a page costs the same at the first code and the last.
//! The SQL is plain (numbered parameters, `RETURNING`, `ON CONFLICT`) so PostgreSQL runs
//! it too; there, `code` wants `COLLATE "C"` so that code order is byte order, as here.

use super::{now, parse_timestamp, timestamp, Store, StoreError};
use crate::model::coupon::Coupon;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// The most parameters one statement binds: SQLite's limit (32,766) with room to spare;
/// PostgreSQL's is 65,535.
const MAX_PARAMS: usize = 32_000;

/// Codes per `INSERT` statement (each binds one parameter, plus four shared ones).
/// Measured on 100,000 sorted codes in one transaction: one row per statement takes
/// ~2-4 s, 50 to 1,000 rows ~0.5 s, 4,000 rows 0.8 s and 16,000 rows 2.8 s (preparing a
/// statement grows faster than its number of parameters).
const INSERT_BATCH: usize = 500;

/// The columns of a coupon row, in the order the queries select them.
const COUPON_COLUMNS: &str = "code, campaign_id, uses_per_code, uses, expires_at, \
     created_at, customer_id, issued_by, channels";

/// A coupon row: code, campaign_id, uses_per_code, uses, expires_at, created_at,
/// customer_id, issued_by, channels.
type CouponRow = (
    String,
    String,
    i64,
    i64,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Store {
    /// Stores `codes` (normalized) for `campaign_id` in one transaction; a code that exists
    /// already, in this campaign or another, is skipped. Returns how many were inserted.
    pub async fn insert_coupons(
        &self,
        campaign_id: &str,
        codes: &[String],
        uses_per_code: u32,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<usize, StoreError> {
        let skipped = self
            .insert_coupons_skipping(campaign_id, codes, uses_per_code, expires_at)
            .await?;
        Ok(codes.len() - skipped.len())
    }

    /// As [`Store::insert_coupons`], and returns the codes skipped because they exist
    /// already (a code given twice is skipped the second time), in the order given.
    pub async fn insert_coupons_skipping(
        &self,
        campaign_id: &str,
        codes: &[String],
        uses_per_code: u32,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let skipped = insert(&mut tx, campaign_id, codes, uses_per_code, expires_at).await?;
        tx.commit().await?;
        Ok(skipped)
    }

    /// Stores all of `codes` (normalized) for `campaign_id`, or none: when some exist
    /// already, nothing is stored and they are returned (in the order given). An empty
    /// answer means every code was stored.
    pub async fn insert_coupons_or_none(
        &self,
        campaign_id: &str,
        codes: &[String],
        uses_per_code: u32,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let skipped = insert(&mut tx, campaign_id, codes, uses_per_code, expires_at).await?;
        if skipped.is_empty() {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(skipped)
    }

    /// A page of the codes of `campaign_id`, in code order: those starting with `search`
    /// (normalized) if given, after the code `after` if given, at most `limit`.
    pub async fn coupons_of(
        &self,
        campaign_id: &str,
        search: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Coupon>, StoreError> {
        // A prefix is a range of the index: codes hold only bytes below 0x7F, so every code
        // starting with P sorts in [P, P + "\x7f").
        let upper = search.map(|prefix| format!("{prefix}\u{7f}"));
        let mut conditions: Vec<(&str, &str)> = Vec::new();
        if let (Some(prefix), Some(upper)) = (search, upper.as_deref()) {
            conditions.push((">=", prefix));
            conditions.push(("<", upper));
        }
        if let Some(after) = after {
            conditions.push((">", after));
        }
        let mut sql = format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE campaign_id = $1");
        for (i, (op, _)) in conditions.iter().enumerate() {
            sql.push_str(&format!(" AND code {op} ${}", i + 2));
        }
        sql.push_str(&format!(" ORDER BY code LIMIT ${}", conditions.len() + 2));
        let mut query = sqlx::query_as::<_, CouponRow>(&sql).bind(campaign_id);
        for (_, value) in conditions {
            query = query.bind(value);
        }
        let rows = query.bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.into_iter().map(decode_coupon).collect()
    }

    /// A page of the personal codes of `campaign_id`, in code order, after the code
    /// `after` if given, at most `limit`.
    pub async fn personal_codes_page(
        &self,
        campaign_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Coupon>, StoreError> {
        let sql = format!(
            "SELECT {COUPON_COLUMNS} FROM coupons WHERE campaign_id = $1 \
             AND customer_id IS NOT NULL AND code > $2 ORDER BY code LIMIT $3"
        );
        let rows = sqlx::query_as::<_, CouponRow>(&sql)
            .bind(campaign_id)
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(decode_coupon).collect()
    }

    /// How many codes `campaign_id` has.
    pub async fn coupon_count(&self, campaign_id: &str) -> Result<i64, StoreError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM coupons WHERE campaign_id = $1")
                .bind(campaign_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(count)
    }

    /// The stored coupons among `codes` (normalized), in code order; codes not stored are
    /// left out. One `SELECT … WHERE code IN (…)` (one per 32,000 codes).
    pub async fn coupons_by_codes(&self, codes: &[String]) -> Result<Vec<Coupon>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        coupons_by_codes(&mut conn, codes).await
    }
}

/// [`Store::coupons_by_codes`] on one connection (or inside a transaction).
pub(super) async fn coupons_by_codes(
    conn: &mut sqlx::AnyConnection,
    codes: &[String],
) -> Result<Vec<Coupon>, StoreError> {
    let mut coupons = Vec::new();
    for chunk in codes.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT {COUPON_COLUMNS} FROM coupons WHERE code IN ({}) ORDER BY code",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, CouponRow>(&sql);
        for code in chunk {
            query = query.bind(code.as_str());
        }
        for row in query.fetch_all(&mut *conn).await? {
            coupons.push(decode_coupon(row)?);
        }
    }
    if codes.len() > MAX_PARAMS {
        coupons.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(coupons)
}

/// Inserts `codes` in batches inside `tx`, skipping those that exist; returns the skipped.
async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    campaign_id: &str,
    codes: &[String],
    uses_per_code: u32,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Vec<String>, StoreError> {
    let created_at = timestamp(now());
    let expires_at = expires_at.map(timestamp);
    // In code order, each index grows at one end rather than splitting pages all over:
    // 100,000 random codes go in ~35 % faster.
    let mut sorted: Vec<&str> = codes.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut inserted: HashSet<String> = HashSet::with_capacity(codes.len());
    for batch in sorted.chunks(INSERT_BATCH) {
        let rows = (0..batch.len())
            .map(|i| format!("(${}, $1, $2, $3, $4)", i + 5))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO coupons (code, campaign_id, uses_per_code, expires_at, created_at) \
             VALUES {rows} ON CONFLICT (code) DO NOTHING RETURNING code"
        );
        let mut query = sqlx::query_as::<_, (String,)>(&sql)
            .bind(campaign_id)
            .bind(i64::from(uses_per_code))
            .bind(expires_at.as_deref())
            .bind(created_at.as_str());
        for code in batch {
            query = query.bind(*code);
        }
        let returned = query.fetch_all(&mut **tx).await?;
        inserted.extend(returned.into_iter().map(|(code,)| code));
    }
    // Each code returned was inserted once; any other occurrence was skipped.
    Ok(codes
        .iter()
        .filter(|code| !inserted.remove(code.as_str()))
        .cloned()
        .collect())
}

/// `$first, $first+1, …` (`count` of them).
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn decode_coupon(
    (
        code,
        campaign_id,
        uses_per_code,
        uses,
        expires_at,
        created_at,
        customer_id,
        issued_by,
        channels,
    ): CouponRow,
) -> Result<Coupon, StoreError> {
    let corrupt = |what: &str, why: String| {
        super::column_error(&format!("coupons.{what}"), format!("coupon {code}: {why}"))
    };
    let count = |what: &str, value: i64| {
        u32::try_from(value).map_err(|_| corrupt(what, format!("{value} is out of range")))
    };
    Ok(Coupon {
        uses_per_code: count("uses_per_code", uses_per_code)?,
        uses: count("uses", uses)?,
        expires_at: expires_at
            .as_deref()
            .map(parse_timestamp)
            .transpose()
            .map_err(|why| corrupt("expires_at", why))?,
        created_at: parse_timestamp(&created_at).map_err(|why| corrupt("created_at", why))?,
        channels: channels
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|why| corrupt("channels", why.to_string()))?
            .unwrap_or_default(),
        code,
        campaign_id,
        customer_id,
        issued_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use tempfile::TempDir;

    /// A fresh store in a new temporary directory (kept alive by the returned guard).
    async fn fresh() -> (Store, TempDir) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = super::super::testing::fresh_database_url(dir.path(), "remise").await;
        let store = Store::open(&url).await.expect("the store opens");
        (store, dir)
    }

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|c| c.to_string()).collect()
    }

    fn listed(coupons: &[Coupon]) -> Vec<&str> {
        coupons.iter().map(|c| c.code.as_str()).collect()
    }

    #[tokio::test]
    async fn coupons_round_trip_with_their_fields() {
        let (store, _dir) = fresh().await;
        let expires = Utc
            .with_ymd_and_hms(2026, 6, 30, 21, 59, 59)
            .single()
            .expect("a time");
        let before = now();
        let inserted = store
            .insert_coupons("spring", &codes(&["B", "A", "C"]), 2, Some(expires))
            .await
            .expect("insert");
        assert_eq!(inserted, 3);
        assert_eq!(store.coupon_count("spring").await.expect("count"), 3);
        assert_eq!(store.coupon_count("other").await.expect("count"), 0);

        let page = store
            .coupons_of("spring", None, None, 10)
            .await
            .expect("list");
        assert_eq!(listed(&page), ["A", "B", "C"]);
        let a = &page[0];
        assert_eq!(a.campaign_id, "spring");
        assert_eq!((a.uses_per_code, a.uses), (2, 0));
        assert_eq!(a.expires_at, Some(expires));
        assert!(a.created_at >= before && a.created_at <= now());

        let found = store
            .coupons_by_codes(&codes(&["C", "NOPE", "A"]))
            .await
            .expect("by codes");
        assert_eq!(listed(&found), ["A", "C"]);
        assert_eq!(found[0], page[0]);
        assert!(store
            .coupons_by_codes(&[])
            .await
            .expect("by no codes")
            .is_empty());

        store
            .insert_coupons("never", &codes(&["N"]), 1, None)
            .await
            .expect("insert");
        let never = store.coupons_by_codes(&codes(&["N"])).await.expect("get");
        assert_eq!(never[0].expires_at, None);
        assert_eq!(never[0].uses_per_code, 1);
    }

    #[tokio::test]
    async fn an_existing_code_is_skipped_and_counted_as_not_inserted() {
        let (store, _dir) = fresh().await;
        store
            .insert_coupons("autumn", &codes(&["TAKEN", "MINE"]), 1, None)
            .await
            .expect("insert");
        let inserted = store
            .insert_coupons("spring", &codes(&["NEW1", "TAKEN", "NEW2"]), 5, None)
            .await
            .expect("insert");
        assert_eq!(inserted, 2, "TAKEN belongs to autumn");
        let skipped = store
            .insert_coupons_skipping("spring", &codes(&["MINE", "NEW3", "NEW3", "NEW1"]), 5, None)
            .await
            .expect("insert");
        assert_eq!(skipped, ["MINE", "NEW3", "NEW1"], "a repeat is skipped too");
        let spring = store
            .coupons_of("spring", None, None, 10)
            .await
            .expect("list");
        assert_eq!(listed(&spring), ["NEW1", "NEW2", "NEW3"]);
        let taken = store
            .coupons_by_codes(&codes(&["TAKEN"]))
            .await
            .expect("get");
        assert_eq!(taken[0].campaign_id, "autumn");
        assert_eq!(
            taken[0].uses_per_code, 1,
            "the existing code is left as it was"
        );
    }

    #[tokio::test]
    async fn chosen_codes_are_all_inserted_or_none() {
        let (store, _dir) = fresh().await;
        store
            .insert_coupons("autumn", &codes(&["TAKEN"]), 1, None)
            .await
            .expect("insert");
        let taken = store
            .insert_coupons_or_none("spring", &codes(&["FRESH", "TAKEN"]), 1, None)
            .await
            .expect("insert");
        assert_eq!(taken, ["TAKEN"]);
        assert_eq!(store.coupon_count("spring").await.expect("count"), 0);
        let taken = store
            .insert_coupons_or_none("spring", &codes(&["FRESH", "ALSO"]), 1, None)
            .await
            .expect("insert");
        assert!(taken.is_empty());
        assert_eq!(store.coupon_count("spring").await.expect("count"), 2);
    }

    #[tokio::test]
    async fn many_codes_go_in_batches_and_page_by_keyset() {
        let (store, _dir) = fresh().await;
        // More than two statements' worth, with a code repeated across a batch boundary.
        let mut many: Vec<String> = (0..10_001).map(|i| format!("M{i:05}")).collect();
        many.push("M00000".into());
        let skipped = store
            .insert_coupons_skipping("big", &many, 1, None)
            .await
            .expect("insert");
        assert_eq!(skipped, ["M00000"]);
        assert_eq!(store.coupon_count("big").await.expect("count"), 10_001);

        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store
                .coupons_of("big", None, after.as_deref(), 1_000)
                .await
                .expect("page");
            let Some(last) = page.last() else { break };
            after = Some(last.code.clone());
            seen.extend(page.into_iter().map(|c| c.code));
        }
        assert_eq!(seen, many[..10_001]);

        let found = store.coupons_by_codes(&many).await.expect("by codes");
        assert_eq!(found.len(), 10_001);
    }

    #[tokio::test]
    async fn search_is_a_prefix_within_the_campaign() {
        let (store, _dir) = fresh().await;
        let spring = codes(&["SPR-1", "SPR_2", "SPRING", "SP", "SPS", "XSPR", "SPR"]);
        store
            .insert_coupons("spring", &spring, 1, None)
            .await
            .expect("insert");
        store
            .insert_coupons("other", &codes(&["SPR-OTHER"]), 1, None)
            .await
            .expect("insert");
        let found = store
            .coupons_of("spring", Some("SPR"), None, 10)
            .await
            .expect("search");
        assert_eq!(listed(&found), ["SPR", "SPR-1", "SPRING", "SPR_2"]);
        let found = store
            .coupons_of("spring", Some("SPR_"), None, 10)
            .await
            .expect("search");
        assert_eq!(listed(&found), ["SPR_2"], "_ is no wildcard");
        let found = store
            .coupons_of("spring", Some("SPR"), Some("SPR-1"), 2)
            .await
            .expect("search");
        assert_eq!(listed(&found), ["SPRING", "SPR_2"]);
        let found = store
            .coupons_of("spring", Some("NONE"), None, 10)
            .await
            .expect("search");
        assert!(found.is_empty());
    }
}
