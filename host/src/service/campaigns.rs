//! Campaigns: listed, read, created, replaced, merge-patched, deleted, activated, paused
//! and ended; every write checked against its plugin, stored, then swapped into the
//! evaluator's snapshot.

use super::{Checked, Service, ServiceError, SetAside};
use crate::engine::{usage, LiveCampaign};
use crate::model::campaign::{Campaign, Status};
use crate::model::FieldProblem;
use crate::money::currency;
use crate::store::StoredCampaign;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A stored campaign, as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CampaignView {
    /// The campaign.
    #[serde(flatten)]
    pub campaign: Campaign,
    /// Its revision: 1 when created, one more per write (`If-Match`).
    pub revision: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Why this host does not serve it as stored (its check failed here), if it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_aside: Option<SetAside>,
}

impl From<StoredCampaign> for CampaignView {
    fn from(stored: StoredCampaign) -> Self {
        Self {
            campaign: stored.campaign,
            revision: stored.revision,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
            set_aside: None,
        }
    }
}

impl Service {
    /// Every stored campaign.
    pub async fn campaigns(&self) -> Result<Vec<CampaignView>, ServiceError> {
        Ok(self
            .store
            .campaigns()
            .await?
            .into_iter()
            .map(|stored| self.view(stored))
            .collect())
    }

    /// `stored` as the API shows it on this host.
    fn view(&self, stored: StoredCampaign) -> CampaignView {
        let set_aside = self.set_aside_of(&stored.campaign.id);
        CampaignView {
            set_aside,
            ..CampaignView::from(stored)
        }
    }

    /// One stored campaign.
    pub async fn campaign(&self, id: &str) -> Result<CampaignView, ServiceError> {
        self.store
            .campaign(id)
            .await?
            .map(|stored| self.view(stored))
            .ok_or_else(|| ServiceError::NotFound(format!("campaign {id} not found")))
    }

    /// Checks and stores a new campaign, written by `author` (what its history names).
    pub async fn create_campaign(
        &self,
        campaign: Campaign,
        author: &str,
    ) -> Result<CampaignView, ServiceError> {
        let _write = self.writes.lock().await;
        let live = self
            .prepare(campaign, Checked::AsWritten)
            .await
            .map_err(ServiceError::Invalid)?;
        self.check_budget_currency(&live.campaign).await?;
        let stored = self.store.create_campaign(&live.campaign, author).await?;
        self.clear_set_aside(&live.campaign.id);
        self.evaluator.swap_in(LiveCampaign {
            revision: stored.revision,
            ..live
        });
        self.changed().await;
        Ok(stored.into())
    }

    /// Checks and replaces a campaign (`expected_revision`: the `If-Match` of the request).
    pub async fn replace_campaign(
        &self,
        id: &str,
        campaign: Campaign,
        expected_revision: Option<i64>,
        author: &str,
    ) -> Result<CampaignView, ServiceError> {
        let _write = self.writes.lock().await;
        self.replace_locked(id, campaign, expected_revision, Checked::AsWritten, author)
            .await
    }

    async fn replace_locked(
        &self,
        id: &str,
        campaign: Campaign,
        expected_revision: Option<i64>,
        checked: Checked,
        author: &str,
    ) -> Result<CampaignView, ServiceError> {
        if campaign.id != id {
            return Err(ServiceError::Invalid(vec![FieldProblem::new(
                "/id",
                format!("the body names campaign {:?}, the path {id:?}", campaign.id),
            )]));
        }
        let live = self
            .prepare(campaign, checked)
            .await
            .map_err(ServiceError::Invalid)?;
        self.check_budget_currency(&live.campaign).await?;
        let stored = self
            .store
            .replace_campaign(&live.campaign, expected_revision, author)
            .await?;
        self.clear_set_aside(&live.campaign.id);
        self.evaluator.swap_in(LiveCampaign {
            revision: stored.revision,
            ..live
        });
        self.changed().await;
        Ok(stored.into())
    }

    /// Applies an RFC 7396 merge patch to a campaign, then checks and stores it.
    pub async fn patch_campaign(
        &self,
        id: &str,
        merge_patch: serde_json::Value,
        expected_revision: Option<i64>,
        author: &str,
    ) -> Result<CampaignView, ServiceError> {
        let _write = self.writes.lock().await;
        let current = self.campaign(id).await?;
        let mut body = serde_json::to_value(&current.campaign)
            .map_err(|e| ServiceError::Unavailable(format!("cannot read campaign {id}: {e}")))?;
        crate::model::merge_patch::merge(&mut body, merge_patch);
        let campaign: Campaign = serde_path_to_error::deserialize(body).map_err(|error| {
            let message = error.inner().to_string();
            let pointer = crate::json_pointer::pointer(error.path().iter(), &message);
            ServiceError::Invalid(vec![FieldProblem::new(pointer, message)])
        })?;
        self.replace_locked(
            id,
            campaign,
            expected_revision.or(Some(current.revision)),
            Checked::AsWritten,
            author,
        )
        .await
    }

    /// Deletes a campaign (its history is kept).
    pub async fn delete_campaign(&self, id: &str, author: &str) -> Result<(), ServiceError> {
        let _write = self.writes.lock().await;
        if !self.store.delete_campaign(id, author).await? {
            return Err(ServiceError::NotFound(format!("campaign {id} not found")));
        }
        self.evaluator.take_out(id);
        self.clear_set_aside(id);
        self.changed().await;
        Ok(())
    }

    /// Activates, pauses or ends a campaign at once.
    pub async fn set_status(
        &self,
        id: &str,
        status: Status,
        author: &str,
    ) -> Result<CampaignView, ServiceError> {
        let _write = self.writes.lock().await;
        let current = self.campaign(id).await?;
        let mut campaign = current.campaign;
        campaign.status = status;
        // Only the status changes: a campaign stored before a rule can still be paused or
        // ended at once, its other fields checked as they were stored.
        let view = self
            .replace_locked(
                id,
                campaign,
                Some(current.revision),
                Checked::AsStored,
                author,
            )
            .await?;
        if status == Status::Ended {
            // The event's own failure is not the end's: the next round of the server's
            // ticker sends it.
            if let Err(error) = self.send_ended_campaigns().await {
                tracing::warn!(%error, campaign = id, "campaign.ended is sent later");
            }
        }
        Ok(view)
    }

    /// Refuses a budget in another currency than the one the campaign's discounts were
    /// granted in (a campaign id may also carry the usage of a deleted campaign of that
    /// id): what it granted could not be counted against it.
    async fn check_budget_currency(&self, campaign: &Campaign) -> Result<(), ServiceError> {
        let Some(kept_in) = &campaign.limits.budget_currency else {
            return Ok(());
        };
        if campaign.limits.budget.is_none() {
            return Ok(());
        }
        let used = self.store.usage_of(&campaign.id).await?.usage;
        let Some(granted_in) = usage::granted_elsewhere(campaign, Some(&used)) else {
            return Ok(());
        };
        let decimals = currency::minor_unit(granted_in).unwrap_or(2);
        let granted = usage::from_minor(used.granted_minor, decimals);
        Err(ServiceError::Invalid(vec![FieldProblem::new(
            "/limits/budget_currency",
            format!(
                "it has granted {granted} {granted_in} already, which a budget in {kept_in} \
                 cannot count: keep {granted_in}, or end this campaign and start another"
            ),
        )]))
    }
}
