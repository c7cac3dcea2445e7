//! Stage 2: each plugin group runs once, in one sandbox for all of its candidates, none
//! past the request's deadline and each within its fair share of the request's time. What
//! each candidate proposed, or why it did not.

use super::prefilter::{Reason, Rejection};
use super::response::{RejectedCampaign, Trace};
use super::select::{rejected_campaign, PluginGroup};
use super::{EvaluateError, LiveCampaign, Request};
use crate::metrics;
use crate::model::{Effect, Usage};
use crate::runtime::failures::Failure;
use crate::runtime::{encode, fair_share_end, Evaluation, PreparedParams};
use chrono::{FixedOffset, Offset, Utc};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A campaign whose plugin answered with effects.
#[derive(Clone)]
pub struct Proposal<'a> {
    /// The campaign.
    pub live: &'a LiveCampaign,
    /// What its plugin proposed, checked.
    pub effects: Vec<Effect>,
    /// Its plugin's run, with `explain`.
    pub trace: Option<Arc<Trace>>,
}

impl Proposal<'_> {
    /// The campaign set aside after its plugin proposed, for `rejection`.
    pub fn rejected(&self, rejection: Rejection) -> RejectedCampaign {
        RejectedCampaign {
            trace: self.trace.clone(),
            ..rejected_campaign(self.live, rejection)
        }
    }
}

/// What the plugins answered.
pub struct Proposals<'a> {
    /// The campaigns that proposed effects, in group order.
    pub proposals: Vec<Proposal<'a>>,
    /// The campaigns that proposed nothing, or whose plugin failed or never ran.
    pub rejected: Vec<RejectedCampaign>,
}

/// Runs every group of `groups` for `request`. Groups run in parallel on the current
/// rayon pool when it has idle threads; under load its threads are busy, nothing is
/// stolen, and the groups run one after the other on the thread that took the request,
/// with no hand-off cost.
///
/// Each group gets its fair share of the request's time: when it starts, an equal part of
/// what is left for the groups not yet done ([`fair_share_end`]). A group that needs less
/// leaves the rest to those after it, so one slow plugin (even one in several groups, as
/// in campaigns of two timezones) runs out of its own share and never leaves the other
/// plugins `timeout`.
pub fn run_plugins<'a>(
    request: Request<'_>,
    groups: &[PluginGroup<'a>],
    usage: &Usage,
) -> Result<Proposals<'a>, EvaluateError> {
    let mut out = Proposals {
        proposals: Vec::new(),
        rejected: Vec::new(),
    };
    if groups.is_empty() {
        return Ok(out);
    }
    let (basket, at) = (request.basket, request.at);
    let mut input =
        encode(basket, at.fixed_offset()).map_err(|e| EvaluateError::OutOfRange(e.to_string()))?;
    input.customer = usage.customer_data.clone();
    let done = AtomicUsize::new(0);
    let run_group = |group: &PluginGroup<'a>| -> Option<Evaluation> {
        let now = Instant::now();
        if now >= request.deadline {
            return None;
        }
        let not_done = groups.len() - done.load(Ordering::Acquire);
        let until = fair_share_end(now, request.deadline, not_done);
        // Offsets come from the timezone database (within a day): UTC is never used.
        let tz = FixedOffset::east_opt(group.offset_minutes * 60).unwrap_or(Utc.fix());
        let mut input = input.clone();
        input.set_time(at.with_timezone(&tz));
        let prepared: Vec<&PreparedParams> = group.members.iter().map(|l| &l.prepared).collect();
        let evaluation =
            group.members[0]
                .plugin
                .evaluate_until(&basket.lines, &input, &prepared, until);
        done.fetch_add(1, Ordering::AcqRel);
        Some(evaluation)
    };
    // One group runs where it is: handing it to the pool would only add a hop.
    let runs: Vec<Option<Evaluation>> = if groups.len() > 1 {
        groups.par_iter().map(run_group).collect()
    } else {
        groups.iter().map(run_group).collect()
    };
    for (group, run) in groups.iter().zip(runs) {
        collect(group, run, request.explain, &mut out);
    }
    Ok(out)
}

/// Sorts one group's run (`None`: it never started) into proposals and rejections, each
/// with the run's trace when `explain`.
fn collect<'a>(
    group: &PluginGroup<'a>,
    run: Option<Evaluation>,
    explain: bool,
    out: &mut Proposals<'a>,
) {
    let plugin = group.members[0].plugin.metadata();
    let Some(run) = run else {
        for live in &group.members {
            let detail = format!(
                "the request's time for plugins was spent before {} ran",
                live.campaign.plugin
            );
            record_failure(live, "timeout", &detail);
            out.rejected.push(rejected_campaign(
                live,
                Rejection::new(Reason::Timeout, detail),
            ));
        }
        return;
    };
    metrics::plugin_ran(plugin, &run.report);
    let trace = explain.then(|| {
        let report = run.report;
        Arc::new(Trace {
            campaigns: group
                .members
                .iter()
                .map(|live| live.campaign.id.clone())
                .collect(),
            sandboxes: report.sandboxes,
            fuel_used: report.fuel_used,
            fuel_limit: report.fuel_limit,
            wall_time_us: report.wall_time_us,
            peak_memory_bytes: report.peak_memory_bytes,
            log: report.log,
            log_dropped: report.log_dropped,
        })
    });
    for (live, result) in group.members.iter().copied().zip(run.results) {
        let proposal = |effects| Proposal {
            live,
            effects,
            trace: trace.clone(),
        };
        match result {
            Ok(effects) if effects.is_empty() => {
                out.rejected
                    .push(proposal(effects).rejected(Rejection::not_eligible(format!(
                        "{} proposed nothing for this basket",
                        live.campaign.plugin
                    ))))
            }
            Ok(effects) => out.proposals.push(proposal(effects)),
            Err(error) => {
                let detail = error.to_string();
                record_failure(live, error.reason(), &detail);
                out.rejected.push(
                    proposal(Vec::new())
                        .rejected(Rejection::new(Reason::from_run_error(&error), detail)),
                )
            }
        }
    }
}

/// Counts a campaign its plugin could not answer for, with the typed `reason`: in the
/// metrics, and in the plugin's latest failures (ops' plugin page).
fn record_failure(live: &LiveCampaign, reason: &'static str, detail: &str) {
    metrics::plugin_failed(live.plugin.metadata(), reason);
    live.plugin.failures().record(Failure {
        at: Utc::now(),
        campaign: live.campaign.id.clone(),
        reason,
        message: detail.to_string(),
    });
}
