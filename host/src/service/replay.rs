//! Replaying the journal (docs/history.md): a journalled evaluation priced again with what
//! was in force then (each campaign at its revision, on the plugin build of its SHA-256,
//! under the usage and group policies recorded with it, at the instant it was priced, with
//! its evaluation id), and whether the answer comes out byte for byte as it was sent; and
//! a day's entries replayed at once (`remise journal verify --day D`).

use super::journal::{inflate_bytes, unreadable, JournalCampaign, ReplayContext};
use super::revisions::{changes, Change};
use super::{Checked, Service, ServiceError};
use crate::engine::{self, CampaignIndex, LiveCampaign};
use crate::model::basket::Basket;
use crate::model::Usage;
use crate::runtime::{Limits, Plugin};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

/// A journalled evaluation priced again.
#[derive(Clone, Debug, Serialize)]
pub struct Replayed {
    /// The evaluation.
    pub evaluation_id: String,
    /// Whether the answer is byte for byte the one sent.
    pub identical: bool,
    /// Where the answers differ (RFC 6902 operations, from the sent answer to the replayed
    /// one, with both values); empty when identical.
    pub differences: Vec<Change>,
    /// The replayed answer.
    pub answer: serde_json::Value,
}

/// A day of the journal replayed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Verified {
    /// Entries replayed.
    pub replayed: usize,
    /// Those whose answer came out byte for byte as sent.
    pub identical: usize,
    /// Those that differ, with where.
    pub different: Vec<Replayed>,
    /// Those that could not be replayed, with why.
    pub failed: Vec<(String, String)>,
}

impl Service {
    /// Prices journalled evaluation `evaluation_id` again with what was in force then.
    pub async fn replay(&self, evaluation_id: &str) -> Result<Replayed, ServiceError> {
        let row = self.journal_row(evaluation_id).await?;
        let unreadable = |what: &str, why: String| unreadable(evaluation_id, what, why);
        let campaigns: Vec<JournalCampaign> = serde_json::from_str(&row.campaigns)
            .map_err(|e| unreadable("campaigns", e.to_string()))?;
        let basket: Basket = inflate_bytes(&row.basket)
            .and_then(|json| serde_json::from_slice(&json).map_err(|e| e.to_string()))
            .map_err(|why| unreadable("basket", why))?;
        let context: ReplayContext = inflate_bytes(&row.context)
            .and_then(|json| serde_json::from_slice(&json).map_err(|e| e.to_string()))
            .map_err(|why| unreadable("context", why))?;
        let sent = inflate_bytes(&row.answer).map_err(|why| unreadable("answer", why))?;

        let mut live = Vec::with_capacity(campaigns.len());
        for named in &campaigns {
            live.push(Arc::new(self.as_then(named).await?));
        }
        let index = CampaignIndex::new(live);
        let usage = Usage {
            campaigns: Arc::new(context.usage.into_iter().collect()),
            customer: context.customer,
            coupons: context.coupons.into_iter().collect(),
            customer_data: context.customer_data.map(Arc::new),
        };
        let policies: HashMap<_, _> = context.policies.into_iter().collect();
        let (explain, priced_at, id) = (context.explain, row.priced_at, row.evaluation_id);
        let answer = self
            .evaluator
            .on_evaluation_thread(move || {
                let deadline = Instant::now() + engine::PLUGIN_TIME_BUDGET;
                let request = engine::Request::new(&basket, explain, priced_at, deadline);
                let policy = |group: &str| policies.get(group).copied().unwrap_or_default();
                engine::evaluate(request, &index, policy, &usage, id)
            })
            .await??;
        let replayed = serde_json::to_vec(&answer)
            .map_err(|e| ServiceError::Unavailable(format!("cannot write the answer: {e}")))?;
        let as_value = |bytes: &[u8]| serde_json::from_slice(bytes).unwrap_or_default();
        let (sent_value, answer) = (as_value(&sent), as_value(&replayed));
        Ok(Replayed {
            evaluation_id: evaluation_id.to_string(),
            identical: sent == replayed,
            differences: changes(&sent_value, &answer),
            answer,
        })
    }

    /// Campaign `named` as it was: its revision, prepared on the plugin build it ran on.
    async fn as_then(&self, named: &JournalCampaign) -> Result<LiveCampaign, ServiceError> {
        let revision = self
            .store
            .campaign_revision(&named.id, named.revision)
            .await?
            .and_then(|revision| revision.campaign)
            .ok_or_else(|| {
                ServiceError::Conflict(format!(
                    "campaign {} has no revision {} to replay with",
                    named.id, named.revision
                ))
            })?;
        let plugin = self.plugin_build(named).await?;
        let mut prepared = self
            .prepare_on(revision, Checked::AsStored, plugin)
            .await
            .map_err(|problems| {
                ServiceError::Conflict(format!(
                    "campaign {} at revision {} cannot be prepared on {}@{} again: {}",
                    named.id,
                    named.revision,
                    named.plugin,
                    named.version,
                    problems
                        .iter()
                        .map(|p| format!("{}: {}", p.pointer, p.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                ))
            })?;
        prepared.revision = named.revision;
        Ok(prepared)
    }

    /// The plugin build of `named`'s SHA-256: loaded here, or compiled from the store (an
    /// uploaded version, or an archived one).
    async fn plugin_build(&self, named: &JournalCampaign) -> Result<Arc<Plugin>, ServiceError> {
        let loaded = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .plugins
            .values()
            .flat_map(|versions| versions.values())
            .find(|plugin| plugin.sha256() == named.sha256)
            .cloned();
        if let Some(plugin) = loaded {
            return Ok(plugin);
        }
        let bytes = self
            .store
            .plugin_by_sha256(&named.sha256)
            .await?
            .ok_or_else(|| {
                ServiceError::Conflict(format!(
                    "{}@{} (sha256 {}) is neither loaded here nor stored: it shipped with a \
                     host's plugin folder or catalogue that no longer has it",
                    named.plugin, named.version, named.sha256
                ))
            })?;
        let loader = Arc::clone(&self.loader);
        let plugin = tokio::task::spawn_blocking(move || loader.load(&bytes, Limits::default()))
            .await
            .map_err(|e| ServiceError::Unavailable(format!("compiling the plugin: {e}")))?
            .map_err(|e| {
                ServiceError::Conflict(format!(
                    "{}@{} no longer loads: {e}",
                    named.plugin, named.version
                ))
            })?;
        self.registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .apply_limits(&plugin);
        Ok(Arc::new(plugin))
    }

    /// Replays every entry recorded on `day` (UTC).
    pub async fn verify_journal_day(&self, day: NaiveDate) -> Result<Verified, ServiceError> {
        let from: DateTime<Utc> = day.and_time(chrono::NaiveTime::MIN).and_utc();
        let to = from + chrono::Duration::days(1);
        let mut verified = Verified::default();
        for id in self.store.journal_ids(from, to).await? {
            verified.replayed += 1;
            match self.replay(&id).await {
                Ok(replayed) if replayed.identical => verified.identical += 1,
                Ok(replayed) => verified.different.push(replayed),
                Err(error) => verified.failed.push((id, error.to_string())),
            }
        }
        Ok(verified)
    }
}
