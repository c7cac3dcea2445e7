//! Personal codes handed out in bulk (`POST /v1/campaigns/{id}/distributions`, docs/api.md
//! "Personal codes"): one code of the campaign per customer, to a list of ids or to a
//! segment of the stored profiles, honouring their consent; idempotent per campaign and
//! customer (a customer who has a code keeps it); and what the codes came to.

use super::events;
use super::{Service, ServiceError};
use crate::model::coupon;
use crate::model::customer::CustomerProfile;
use crate::model::distribution::{ConsentChannel, Distribution, Recipients};
use crate::store::DistributionCounts;
use std::collections::{HashMap, HashSet};

/// Rounds of code generation before giving up on a customer (each round gives the
/// customers whose code was found taken a new one; with 60 random bits a second round is
/// already never needed).
const GENERATION_ROUNDS: usize = 8;

/// Profiles read at a time while walking a segment.
const SEGMENT_PAGE: u32 = 5_000;

/// How many skipped customers an answer names (it counts them all).
pub const SKIPPED_NAMED: usize = 1_000;

/// What a distribution did.
#[derive(Debug)]
pub struct Distributed {
    /// The campaign.
    pub campaign: String,
    /// Whether nothing was handed out: only counted.
    pub dry_run: bool,
    /// How many customers get a code now (or would, in a dry run).
    pub would_assign: usize,
    /// The codes handed out now: (customer, code), in customer order; none in a dry run.
    pub assigned: Vec<(String, String)>,
    /// Customers who had a code of the campaign already (they keep it).
    pub already: usize,
    /// Customers left out, and why: the first [`SKIPPED_NAMED`].
    pub skipped: Vec<(String, String)>,
    /// How many were left out.
    pub skipped_count: usize,
}

impl Service {
    /// Hands one personal code of campaign `campaign_id` to each customer `distribution`
    /// names who has none yet.
    pub async fn distribute(
        &self,
        campaign_id: &str,
        distribution: Distribution,
    ) -> Result<Distributed, ServiceError> {
        let stored =
            self.store.campaign(campaign_id).await?.ok_or_else(|| {
                ServiceError::NotFound(format!("campaign {campaign_id} not found"))
            })?;
        if !stored.campaign.coupon_required {
            return Err(ServiceError::Conflict(format!(
                "campaign {campaign_id} does not require a coupon, so a personal code would \
                 change nothing; set coupon_required first"
            )));
        }
        let mut skipped = Skipped::default();
        let targets = self
            .recipients(&distribution.to, distribution.consent, &mut skipped)
            .await?;
        let existing = self.store.personal_codes(campaign_id, &targets).await?;
        let mut already = existing.len();
        let mut pending: Vec<String> = targets
            .into_iter()
            .filter(|customer| !existing.contains_key(customer))
            .collect();
        if distribution.dry_run {
            return Ok(Distributed {
                campaign: campaign_id.to_string(),
                dry_run: true,
                would_assign: pending.len(),
                assigned: Vec::new(),
                already,
                skipped_count: skipped.count,
                skipped: skipped.named,
            });
        }
        let mut assigned = Vec::with_capacity(pending.len());
        for _ in 0..GENERATION_ROUNDS {
            if pending.is_empty() {
                break;
            }
            let codes = coupon::generate(pending.len(), &distribution.prefix);
            let pairs: Vec<(String, String)> = codes.into_iter().zip(pending).collect();
            let now = self.clock.now();
            let expires_at = distribution.expires_at;
            let assigned_event = move |code: &str, customer: &str| {
                events::assigned(campaign_id, code, customer, expires_at, now)
            };
            let got: HashSet<String> = self
                .store
                .insert_personal_codes(
                    campaign_id,
                    &pairs,
                    distribution.uses_per_code,
                    distribution.expires_at,
                    &assigned_event,
                )
                .await?
                .into_iter()
                .collect();
            let mut missed = Vec::new();
            for (code, customer) in pairs {
                if got.contains(&customer) {
                    assigned.push((customer, code));
                } else {
                    missed.push(customer);
                }
            }
            // A customer missed for a code taken gets another; one given a code by a
            // distribution running at the same time keeps that one.
            let meanwhile = self.store.personal_codes(campaign_id, &missed).await?;
            already += meanwhile.len();
            pending = missed
                .into_iter()
                .filter(|customer| !meanwhile.contains_key(customer))
                .collect();
        }
        for customer in pending {
            skipped.add(customer, "no free code could be generated".into());
        }
        if !assigned.is_empty() {
            self.outbox.notify_one();
        }
        assigned.sort_unstable();
        Ok(Distributed {
            campaign: campaign_id.to_string(),
            dry_run: false,
            would_assign: assigned.len(),
            assigned,
            already,
            skipped_count: skipped.count,
            skipped: skipped.named,
        })
    }

    /// What the personal codes of campaign `campaign_id` came to.
    pub async fn distribution_counts(
        &self,
        campaign_id: &str,
    ) -> Result<DistributionCounts, ServiceError> {
        self.campaign_exists(campaign_id).await?;
        Ok(self.store.distribution_counts(campaign_id).await?)
    }

    /// A page of the personal codes of campaign `campaign_id`, in code order, after
    /// `after`: what `distributions.csv` streams.
    pub async fn personal_codes_page(
        &self,
        campaign_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<crate::model::coupon::Coupon>, ServiceError> {
        Ok(self
            .store
            .personal_codes_page(campaign_id, after, limit)
            .await?)
    }

    /// `Ok` when campaign `campaign_id` exists, a 404 otherwise.
    pub async fn campaign_exists(&self, campaign_id: &str) -> Result<(), ServiceError> {
        match self.store.campaign(campaign_id).await? {
            Some(_) => Ok(()),
            None => Err(ServiceError::NotFound(format!(
                "campaign {campaign_id} not found"
            ))),
        }
    }

    /// The customers `to` names, each once, less those `consent` leaves out (into
    /// `skipped`).
    async fn recipients(
        &self,
        to: &Recipients,
        consent: Option<ConsentChannel>,
        skipped: &mut Skipped,
    ) -> Result<Vec<String>, ServiceError> {
        match to {
            Recipients::Listed(ids) => {
                let Some(channel) = consent else {
                    return Ok(ids.clone());
                };
                let profiles: HashMap<String, CustomerProfile> = self
                    .store
                    .customers_by_ids(ids)
                    .await?
                    .into_iter()
                    .filter_map(|stored| {
                        let id = stored.profile.id.clone()?;
                        Some((id, stored.profile))
                    })
                    .collect();
                let mut targets = Vec::with_capacity(ids.len());
                for id in ids {
                    match profiles.get(id) {
                        None => skipped.add(
                            id.clone(),
                            format!("no stored profile, so no consent to {}", channel.as_str()),
                        ),
                        Some(profile) if !channel.allowed_by(&profile.consent) => {
                            skipped.add(id.clone(), no_consent(channel))
                        }
                        Some(_) => targets.push(id.clone()),
                    }
                }
                Ok(targets)
            }
            Recipients::Segment(segment) => {
                let mut targets = Vec::new();
                let mut after: Option<String> = None;
                loop {
                    let page = self
                        .store
                        .customers_page("", after.as_deref(), SEGMENT_PAGE)
                        .await?;
                    let Some(last) = page.last() else { break };
                    after = last.profile.id.clone();
                    let full = page.len() == SEGMENT_PAGE as usize;
                    for stored in page {
                        let profile = stored.profile;
                        let Some(id) = profile.id.clone() else {
                            continue;
                        };
                        if !profile.segments.iter().any(|s| s == segment) {
                            continue;
                        }
                        match consent {
                            Some(channel) if !channel.allowed_by(&profile.consent) => {
                                skipped.add(id, no_consent(channel))
                            }
                            _ => targets.push(id),
                        }
                    }
                    if !full {
                        break;
                    }
                }
                Ok(targets)
            }
        }
    }
}

fn no_consent(channel: ConsentChannel) -> String {
    format!("no consent to {}", channel.as_str())
}

/// Customers left out: the first [`SKIPPED_NAMED`] with why, and how many in all.
#[derive(Default)]
struct Skipped {
    named: Vec<(String, String)>,
    count: usize,
}

impl Skipped {
    fn add(&mut self, customer: String, why: String) {
        self.count += 1;
        if self.named.len() < SKIPPED_NAMED {
            self.named.push((customer, why));
        }
    }
}
