//! Campaigns checked against their plugin off the async workers, and the stored campaigns
//! a host cannot serve as stored kept in sight (issue 15 item 7): a reload never drops a
//! campaign silently.
//!
//! A check runs the plugin's `check-params` (and the params JSON Schema), which may take
//! milliseconds: it runs on tokio's blocking threads, never on an async worker. A reload
//! re-checks only the campaigns whose body or plugin version changed since this host last
//! served them. One whose check the plugin could not finish here (out of time or fuel, as
//! on a loaded machine) keeps serving its last good version (`serving_previous`); one with
//! none, or whose plugin version is missing here or refuses its params, is `suspended`.
//! Either is shown with its reason in
//! the campaign's API answer (`set_aside`), in an evaluation's `rejected` with `explain`
//! (`suspended`), in the `remise_campaigns_set_aside` gauge and in the log. A check that
//! fails because the plugin ran out of time or fuel (a loaded machine) is tried once more
//! before the campaign is set aside.

use super::{Checked, Service};
use crate::engine::prefilter::{Reason, Rejection};
use crate::engine::response::{EvaluateResponse, RejectedCampaign};
use crate::engine::LiveCampaign;
use crate::model::campaign::Campaign;
use crate::model::FieldProblem;
use crate::runtime::Plugin;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

/// How a stored campaign is served on this host when its check fails here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetAsideStatus {
    /// Its last good version (checked earlier on this host) still serves.
    ServingPrevious,
    /// Nothing serves it: it applies to no basket on this host.
    Suspended,
}

/// A stored campaign this host does not serve as stored, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetAside {
    /// Whether its last good version still serves.
    pub status: SetAsideStatus,
    /// Why its check failed on this host.
    pub reason: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// Why a check failed: the problems, and whether the plugin only could not finish it (out
/// of time, fuel or memory, or trapped), which a busy machine can cause, rather than found
/// the campaign wrong or was missing.
struct CheckFailure {
    problems: Vec<FieldProblem>,
    could_not_run: bool,
}

impl From<Vec<FieldProblem>> for CheckFailure {
    fn from(problems: Vec<FieldProblem>) -> Self {
        CheckFailure {
            problems,
            could_not_run: false,
        }
    }
}

/// Why a store node suspends a campaign whose limits are counted across stores.
fn store_node_limits() -> FieldProblem {
    FieldProblem::new(
        "/limits",
        "a store node does not apply a campaign with a per-customer limit or coupons: \
         those are counted at the centre (a campaign whose only limits are a cap and a \
         budget applies here on a budget lease)",
    )
}

/// A campaign as checked: live, or why it is kept out.
type CheckResult = Result<LiveCampaign, CheckFailure>;

impl Service {
    /// Checks a campaign (as `checked` says) and against its plugin, and prepares its
    /// parameters, on a blocking thread.
    pub(super) async fn prepare(
        &self,
        campaign: Campaign,
        checked: Checked,
    ) -> Result<LiveCampaign, Vec<FieldProblem>> {
        let plugin = self.plugin_for(&campaign);
        tokio::task::spawn_blocking(move || check(campaign, checked, plugin))
            .await
            .unwrap_or_else(|error| {
                Err(vec![FieldProblem::new(
                    "/params",
                    format!("the check of the params failed unexpectedly: {error}"),
                )]
                .into())
            })
            .map_err(|failure| failure.problems)
    }

    /// Checks a campaign (as `checked` says) against the given `plugin` build rather than
    /// the one its name and pin find, and prepares its parameters, on a blocking thread.
    pub(super) async fn prepare_on(
        &self,
        campaign: Campaign,
        checked: Checked,
        plugin: Arc<Plugin>,
    ) -> Result<LiveCampaign, Vec<FieldProblem>> {
        tokio::task::spawn_blocking(move || check(campaign, checked, Ok(plugin)))
            .await
            .unwrap_or_else(|error| {
                Err(vec![FieldProblem::new(
                    "/params",
                    format!("the check of the params failed unexpectedly: {error}"),
                )]
                .into())
            })
            .map_err(|failure| failure.problems)
    }

    /// Checks every stored campaign again after a reload, off the async workers, and says
    /// which ones serve: re-checked, unchanged since this host last served them, or kept
    /// at their last good version. Records the ones set aside.
    pub(super) async fn recheck(&self, stored: Vec<(Campaign, i64)>) -> Vec<Arc<LiveCampaign>> {
        let previous: HashMap<String, Arc<LiveCampaign>> = self
            .evaluator
            .snapshot()
            .index
            .all()
            .iter()
            .map(|live| (live.campaign.id.clone(), live.clone()))
            .collect();
        let mut live = Vec::with_capacity(stored.len());
        let mut to_check = Vec::new();
        let mut kept_out = Vec::new();
        for (campaign, revision) in stored {
            if self.upstream.is_some()
                && super::commit_locks::is_limited(&campaign)
                && !super::upstream::is_store_leased(&campaign)
            {
                kept_out.push((
                    campaign.id.clone(),
                    CheckFailure::from(vec![store_node_limits()]),
                ));
                continue;
            }
            let plugin = self.plugin_for(&campaign);
            match (previous.get(&campaign.id), &plugin) {
                // Served already, as stored and on the same plugin version: nothing to run.
                (Some(served), Ok(plugin))
                    if served.revision == revision
                        && served.campaign == campaign
                        && served.plugin.sha256() == plugin.sha256() =>
                {
                    live.push(served.clone())
                }
                _ => to_check.push((campaign, revision, plugin)),
            }
        }
        let checked = tokio::task::spawn_blocking(move || {
            to_check
                .into_iter()
                .map(|(campaign, revision, plugin)| {
                    let id = campaign.id.clone();
                    let checked = check(campaign, Checked::AsStored, plugin)
                        .map(|live| LiveCampaign { revision, ..live });
                    (id, checked)
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        let checked = checked
            .into_iter()
            .chain(kept_out.into_iter().map(|(id, failure)| (id, Err(failure))));

        let before = self
            .set_aside
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut set_aside = HashMap::new();
        for (id, result) in checked {
            match result {
                Ok(campaign) => live.push(Arc::new(campaign)),
                Err(CheckFailure {
                    problems,
                    could_not_run,
                }) => {
                    let reason = problems
                        .iter()
                        .map(|p| format!("{}: {}", p.pointer, p.message))
                        .collect::<Vec<_>>()
                        .join("; ");
                    // Only a check that could not run keeps the last good version: a
                    // plugin version deleted, or one that refuses the params, serves none.
                    let status = match previous.get(&id).filter(|_| could_not_run) {
                        Some(served) => {
                            live.push(served.clone());
                            SetAsideStatus::ServingPrevious
                        }
                        None => SetAsideStatus::Suspended,
                    };
                    tracing::warn!(campaign = %id, ?status, %reason, "campaign set aside: its check failed on this host");
                    let since = before
                        .get(&id)
                        .filter(|was| was.status == status && was.reason == reason)
                        .map_or_else(|| self.clock.now(), |was| was.since);
                    set_aside.insert(
                        id,
                        SetAside {
                            status,
                            reason,
                            since,
                        },
                    );
                }
            }
        }
        live.sort_by(|a, b| a.campaign.id.cmp(&b.campaign.id));
        self.record_set_aside(set_aside);
        live
    }

    /// On a store node, a leased campaign rejected for its cap or budget is rejected for
    /// this store's lease, which is what is spent: its detail says so.
    pub(super) fn explain_store_leases(&self, response: &mut EvaluateResponse) {
        if self.upstream.is_none() {
            return;
        }
        let snapshot = self.evaluator.snapshot();
        for rejected in &mut response.rejected {
            let spent = matches!(
                rejected.rejection.reason,
                Reason::LimitReached | Reason::BudgetExhausted
            );
            let leased = snapshot
                .index
                .get(&rejected.campaign)
                .is_some_and(|live| super::upstream::is_store_leased(&live.campaign));
            if spent && leased {
                rejected.rejection.detail = format!(
                    "this store's budget lease from the centre is spent ({}): the campaign \
                     applies here again once the centre grants more",
                    rejected.rejection.detail
                );
            }
        }
    }

    /// Why campaign `id` is set aside on this host, if it is.
    pub(super) fn set_aside_of(&self, id: &str) -> Option<SetAside> {
        self.set_aside
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// Campaign `id` was just checked and served (written on this host), or deleted: not
    /// set aside any more.
    pub(super) fn clear_set_aside(&self, id: &str) {
        let mut set_aside = self
            .set_aside
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if set_aside.remove(id).is_some() {
            self.record_set_aside(set_aside);
        }
    }

    /// With `explain`, every suspended campaign is listed in `response.rejected`: a
    /// campaign this host cannot run is never silently missing from an explanation.
    pub(super) fn explain_set_aside(&self, response: &mut EvaluateResponse) {
        let set_aside = self
            .set_aside
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let mut suspended: Vec<(&String, &SetAside)> = set_aside
            .iter()
            .filter(|(_, s)| s.status == SetAsideStatus::Suspended)
            .collect();
        suspended.sort_by(|a, b| a.0.cmp(b.0));
        for (id, set_aside) in suspended {
            response.rejected.push(RejectedCampaign {
                campaign: id.clone(),
                rejection: Rejection::new(
                    Reason::Suspended,
                    format!("suspended on this host: {}", set_aside.reason),
                ),
                trace: None,
            });
        }
    }

    fn record_set_aside(&self, set_aside: HashMap<String, SetAside>) {
        let count = |status| set_aside.values().filter(|s| s.status == status).count();
        crate::metrics::campaigns_set_aside(
            count(SetAsideStatus::ServingPrevious),
            count(SetAsideStatus::Suspended),
        );
        *self
            .set_aside
            .write()
            .unwrap_or_else(PoisonError::into_inner) = set_aside;
    }

    /// The plugin version that serves `campaign` on this host.
    fn plugin_for(&self, campaign: &Campaign) -> Result<Arc<Plugin>, FieldProblem> {
        self.registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .for_campaign(campaign)
    }
}

/// Checks `campaign` (as `checked` says) against `plugin`, and prepares its params. A
/// plugin that could not finish its check (out of time or fuel, as on a loaded machine)
/// gets one more try.
fn check(
    campaign: Campaign,
    checked: Checked,
    plugin: Result<Arc<Plugin>, FieldProblem>,
) -> CheckResult {
    match checked {
        Checked::AsWritten => campaign.validate()?,
        Checked::AsStored => campaign.validate_stored()?,
    }
    let plugin = plugin.map_err(|problem| vec![problem])?;
    let params = campaign.params.to_string();
    let outcome = match plugin.check_params(&params) {
        Err(_) => plugin.check_params(&params),
        done => done,
    };
    let prepared = match outcome {
        Ok(Ok(prepared)) => prepared,
        Ok(Err(problems)) => {
            return Err(problems
                .into_iter()
                .map(|p| FieldProblem::new(format!("/params{}", p.pointer), p.message))
                .collect::<Vec<_>>()
                .into())
        }
        Err(error) => {
            return Err(CheckFailure {
                problems: vec![FieldProblem::new(
                    "/params",
                    format!("the plugin could not check them: {error}"),
                )],
                could_not_run: true,
            })
        }
    };
    Ok(LiveCampaign {
        campaign,
        plugin,
        prepared,
        revision: 0,
    })
}
