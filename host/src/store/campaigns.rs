//! Campaigns as stored, and their history (migration 16): every write keeps, in its own
//! transaction, the revision it wrote, who wrote it and when, so a campaign's past can be
//! read back whole and a journal entry's "campaign c at revision r" always names one body.

use super::{
    decode_campaign, encode_campaign, now, parse_timestamp, timestamp, CampaignRow, Store,
    StoreError, StoredCampaign, CAMPAIGN_COLUMNS,
};
use crate::model::campaign::Campaign;
use chrono::{DateTime, Utc};

/// What a revision did to its campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevisionAction {
    /// The campaign was created (or created again after a deletion).
    Created,
    /// The campaign was replaced, patched, activated, paused or ended.
    Replaced,
    /// The campaign was deleted: the revision has no body.
    Deleted,
}

impl RevisionAction {
    /// Its stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Replaced => "replaced",
            Self::Deleted => "deleted",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Created, Self::Replaced, Self::Deleted]
            .into_iter()
            .find(|action| action.as_str() == text)
    }
}

/// One revision of a campaign, as its write left it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRevision {
    /// The campaign's id.
    pub campaign_id: String,
    /// Its number: one more than the id's previous revision, whatever was deleted between.
    pub revision: i64,
    /// What the write did.
    pub action: RevisionAction,
    /// Who wrote it: the API key's label (or role, for a key without one); empty for a
    /// revision stored before history was kept.
    pub author: String,
    /// When it was written (the server's clock).
    pub written_at: DateTime<Utc>,
    /// The campaign as written; `None` for a deletion.
    pub campaign: Option<Campaign>,
}

type RevisionRow = (String, i64, String, String, String, Option<String>);

const REVISION_COLUMNS: &str = "campaign_id, revision, action, author, written_at, body";

impl Store {
    /// Every campaign, ordered by id (byte order).
    pub async fn campaigns(&self) -> Result<Vec<StoredCampaign>, StoreError> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id");
        let rows: Vec<CampaignRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        rows.into_iter().map(decode_campaign).collect()
    }

    /// The campaign with this id, if any.
    pub async fn campaign(&self, id: &str) -> Result<Option<StoredCampaign>, StoreError> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1");
        let row: Option<CampaignRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(decode_campaign).transpose()
    }

    /// Stores a new campaign, written by `author`; [`StoreError::Exists`] if its id is
    /// taken. Its revision is 1, or one more than the last revision of a deleted campaign
    /// of the same id.
    pub async fn create_campaign(
        &self,
        campaign: &Campaign,
        author: &str,
    ) -> Result<StoredCampaign, StoreError> {
        let body = encode_campaign(campaign)?;
        let now = now();
        let stamp = timestamp(now);
        let mut tx = self.begin_read_then_write().await?;
        let (last,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(revision), 0) FROM campaign_revisions WHERE campaign_id = $1",
        )
        .bind(&campaign.id)
        .fetch_one(&mut *tx)
        .await?;
        let revision = last + 1;
        let inserted = sqlx::query(
            "INSERT INTO campaigns (id, body, revision, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&campaign.id)
        .bind(&body)
        .bind(revision)
        .bind(&stamp)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::Exists(campaign.id.clone()));
        }
        insert_revision(
            &mut tx,
            &campaign.id,
            revision,
            RevisionAction::Created,
            author,
            &stamp,
            Some(&body),
        )
        .await?;
        tx.commit().await?;
        Ok(StoredCampaign {
            campaign: campaign.clone(),
            revision,
            created_at: now,
            updated_at: now,
        })
    }

    /// Replaces the campaign of the same id, written by `author`; with `expected_revision`
    /// `Some(r)`, refuses with [`StoreError::Stale`] unless the stored revision is `r`
    /// (atomically: one `UPDATE … WHERE id = ? AND revision = ?`). The revision grows by
    /// one; [`StoreError::NotFound`] if no campaign has the id.
    pub async fn replace_campaign(
        &self,
        campaign: &Campaign,
        expected_revision: Option<i64>,
        author: &str,
    ) -> Result<StoredCampaign, StoreError> {
        let body = encode_campaign(campaign)?;
        let now = now();
        let stamp = timestamp(now);
        let mut tx = self.begin_read_then_write().await?;
        let updated: Vec<(i64, String)> = match expected_revision {
            Some(expected) => {
                sqlx::query_as(
                    "UPDATE campaigns SET body = $1, revision = revision + 1, updated_at = $2 \
                     WHERE id = $3 AND revision = $4 RETURNING revision, created_at",
                )
                .bind(&body)
                .bind(&stamp)
                .bind(&campaign.id)
                .bind(expected)
                .fetch_all(&mut *tx)
                .await?
            }
            None => {
                sqlx::query_as(
                    "UPDATE campaigns SET body = $1, revision = revision + 1, updated_at = $2 \
                     WHERE id = $3 RETURNING revision, created_at",
                )
                .bind(&body)
                .bind(&stamp)
                .bind(&campaign.id)
                .fetch_all(&mut *tx)
                .await?
            }
        };
        let Some((revision, created_at)) = updated.into_iter().next() else {
            // Nothing changed: tell a missing campaign from a moved-on one.
            let exists: Option<(i64,)> =
                sqlx::query_as("SELECT revision FROM campaigns WHERE id = $1")
                    .bind(&campaign.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match (exists, expected_revision) {
                (Some(_), Some(expected)) => StoreError::Stale {
                    id: campaign.id.clone(),
                    expected,
                },
                _ => StoreError::NotFound(campaign.id.clone()),
            });
        };
        insert_revision(
            &mut tx,
            &campaign.id,
            revision,
            RevisionAction::Replaced,
            author,
            &stamp,
            Some(&body),
        )
        .await?;
        tx.commit().await?;
        Ok(StoredCampaign {
            campaign: campaign.clone(),
            revision,
            created_at: parse_timestamp(&created_at)
                .map_err(|why| StoreError::Corrupt(campaign.id.clone(), why))?,
            updated_at: now,
        })
    }

    /// Deletes the campaign, `author` recorded as having deleted it; whether there was one.
    pub async fn delete_campaign(&self, id: &str, author: &str) -> Result<bool, StoreError> {
        let stamp = timestamp(now());
        let mut tx = self.begin_read_then_write().await?;
        let deleted: Vec<(i64,)> =
            sqlx::query_as("DELETE FROM campaigns WHERE id = $1 RETURNING revision")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        let Some((revision,)) = deleted.into_iter().next() else {
            return Ok(false);
        };
        insert_revision(
            &mut tx,
            id,
            revision + 1,
            RevisionAction::Deleted,
            author,
            &stamp,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every revision of the campaign `id` (deleted or not), oldest first.
    pub async fn campaign_revisions(&self, id: &str) -> Result<Vec<StoredRevision>, StoreError> {
        let sql = format!(
            "SELECT {REVISION_COLUMNS} FROM campaign_revisions WHERE campaign_id = $1 \
             ORDER BY revision"
        );
        let rows: Vec<RevisionRow> = sqlx::query_as(&sql).bind(id).fetch_all(&self.pool).await?;
        rows.into_iter().map(decode_revision).collect()
    }

    /// Revision `revision` of the campaign `id`, if it was written.
    pub async fn campaign_revision(
        &self,
        id: &str,
        revision: i64,
    ) -> Result<Option<StoredRevision>, StoreError> {
        let sql = format!(
            "SELECT {REVISION_COLUMNS} FROM campaign_revisions \
             WHERE campaign_id = $1 AND revision = $2"
        );
        let row: Option<RevisionRow> = sqlx::query_as(&sql)
            .bind(id)
            .bind(revision)
            .fetch_optional(&self.pool)
            .await?;
        row.map(decode_revision).transpose()
    }
}

async fn insert_revision(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    revision: i64,
    action: RevisionAction,
    author: &str,
    stamp: &str,
    body: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO campaign_revisions (campaign_id, revision, action, author, written_at, body) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(revision)
    .bind(action.as_str())
    .bind(author)
    .bind(stamp)
    .bind(body)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn decode_revision(
    (campaign_id, revision, action, author, written_at, body): RevisionRow,
) -> Result<StoredRevision, StoreError> {
    let corrupt = |why: String| {
        StoreError::Corrupt(campaign_id.clone(), format!("revision {revision}: {why}"))
    };
    let action = RevisionAction::parse(&action)
        .ok_or_else(|| corrupt(format!("unknown action {action:?}")))?;
    let campaign = body
        .map(|body| serde_json::from_str::<Campaign>(&body))
        .transpose()
        .map_err(|why| corrupt(why.to_string()))?;
    Ok(StoredRevision {
        written_at: parse_timestamp(&written_at).map_err(corrupt)?,
        campaign_id,
        revision,
        action,
        author,
        campaign,
    })
}
