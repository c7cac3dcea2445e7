//! Coupon codes of a campaign: generated in bulk or chosen by marketing, and listed page
//! by page with their uses (docs/api.md `POST/GET /v1/campaigns/{id}/coupons`).
//!
//! Generated codes carry 60 random bits, so one colliding with a stored code is
//! practically impossible; it is still handled: the store skips it (`ON CONFLICT DO
//! NOTHING`) and says which, and that many more are generated, a few rounds at most.
//! Chosen codes are all created or none: one that exists already, or is given twice, is a
//! 409 naming it.

use super::{Service, ServiceError};
use crate::model::coupon::{
    self as coupons, CodeSource, CouponPage, CouponQuery, CreatedCoupons, NewCoupons,
};
use std::collections::HashSet;
use std::future::Future;

/// Rounds of generation before giving up on filling `count` (each round replaces the
/// codes the last one found taken; with 60 bits a second round is already never needed).
const GENERATION_ROUNDS: usize = 8;

impl Service {
    /// Creates the codes `new` asks for, for the campaign `campaign_id`.
    pub async fn create_coupons(
        &self,
        campaign_id: &str,
        new: NewCoupons,
    ) -> Result<CreatedCoupons, ServiceError> {
        self.check_coupon_campaign(campaign_id).await?;
        let codes = match new.source {
            CodeSource::Generate { count, prefix } => {
                let (uses_per_code, expires_at) = (new.uses_per_code, new.expires_at);
                let insert = |batch: Vec<String>| async move {
                    let skipped = self
                        .store
                        .insert_coupons_skipping(campaign_id, &batch, uses_per_code, expires_at)
                        .await?;
                    Ok((batch, skipped))
                };
                let created = generate_stored(count, &prefix, insert).await?;
                if created.len() < count {
                    // Never seen: 60 random bits collide with a stored code once in ~10^12
                    // for a million stored codes. The codes created are kept and answered.
                    tracing::warn!(
                        campaign = %campaign_id,
                        created = created.len(),
                        count,
                        "fewer codes generated than asked"
                    );
                }
                created
            }
            CodeSource::Chosen(codes) => {
                let twice = coupons::duplicates(&codes);
                if !twice.is_empty() {
                    return Err(ServiceError::Conflict(format!(
                        "codes given more than once: {}",
                        coupons::name_codes(&twice)
                    )));
                }
                let taken = self
                    .store
                    .insert_coupons_or_none(campaign_id, &codes, new.uses_per_code, new.expires_at)
                    .await?;
                if !taken.is_empty() {
                    return Err(ServiceError::Conflict(format!(
                        "codes that exist already (none was created): {}",
                        coupons::name_codes(&taken)
                    )));
                }
                codes
            }
        };
        Ok(CreatedCoupons {
            campaign: campaign_id.to_string(),
            uses_per_code: new.uses_per_code,
            expires_at: new.expires_at,
            codes,
        })
    }

    /// A page of the campaign's codes with their uses, in code order.
    pub async fn coupons(
        &self,
        campaign_id: &str,
        query: CouponQuery,
    ) -> Result<CouponPage, ServiceError> {
        self.check_coupon_campaign(campaign_id).await?;
        let limit = query.limit.clamp(1, coupons::MAX_LIMIT);
        let mut page = self
            .store
            .coupons_of(
                campaign_id,
                query.search.as_deref(),
                query.after.as_deref(),
                limit + 1,
            )
            .await?;
        let more = page.len() > limit as usize;
        page.truncate(limit as usize);
        let next = more
            .then(|| page.last().map(|coupon| coupon.code.clone()))
            .flatten();
        Ok(CouponPage {
            campaign: campaign_id.to_string(),
            total: self.store.coupon_count(campaign_id).await?,
            coupons: page,
            next,
        })
    }

    /// `Ok` when the campaign exists, a 404 otherwise.
    async fn check_coupon_campaign(&self, campaign_id: &str) -> Result<(), ServiceError> {
        match self.store.campaign(campaign_id).await? {
            Some(_) => Ok(()),
            None => Err(ServiceError::NotFound(format!(
                "campaign {campaign_id} not found"
            ))),
        }
    }
}

/// Generates `count` codes starting with `prefix` and stores them with `insert`, which
/// gives the batch back with the codes it skipped because they exist; each round replaces
/// the skipped ones, for [`GENERATION_ROUNDS`] rounds at most. Returns the codes stored.
async fn generate_stored<F, Fut>(
    count: usize,
    prefix: &str,
    mut insert: F,
) -> Result<Vec<String>, ServiceError>
where
    F: FnMut(Vec<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<String>, Vec<String>), ServiceError>>,
{
    let mut created = Vec::with_capacity(count);
    for _ in 0..GENERATION_ROUNDS {
        let wanted = count - created.len();
        if wanted == 0 {
            break;
        }
        let (mut batch, skipped) = insert(coupons::generate(wanted, prefix)).await?;
        if !skipped.is_empty() {
            let skipped: HashSet<String> = skipped.into_iter().collect();
            batch.retain(|code| !skipped.contains(code));
        }
        created.append(&mut batch);
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn codes_found_taken_are_replaced_by_new_ones() {
        let mut rounds: Vec<Vec<String>> = Vec::new();
        let created = generate_stored(10, "P-", |batch: Vec<String>| {
            rounds.push(batch.clone());
            // The first round finds three of its codes taken.
            let skipped = if rounds.len() == 1 {
                batch[..3].to_vec()
            } else {
                Vec::new()
            };
            async { Ok((batch, skipped)) }
        })
        .await
        .expect("generated");
        assert_eq!(rounds.len(), 2);
        assert_eq!((rounds[0].len(), rounds[1].len()), (10, 3));
        assert_eq!(created.len(), 10);
        assert!(rounds[0][..3].iter().all(|taken| !created.contains(taken)));
        assert_eq!(created[..7], rounds[0][3..]);
        assert_eq!(created[7..], rounds[1][..]);
    }

    #[tokio::test]
    async fn generation_gives_up_after_a_few_rounds() {
        let mut calls = 0;
        let created = generate_stored(5, "", |batch: Vec<String>| {
            calls += 1;
            let skipped = batch.clone();
            async { Ok((batch, skipped)) }
        })
        .await
        .expect("no error");
        assert!(created.is_empty());
        assert_eq!(calls, GENERATION_ROUNDS);

        let failed = generate_stored(5, "", |_| async {
            Err(ServiceError::Unavailable("down".into()))
        })
        .await;
        assert!(matches!(failed, Err(ServiceError::Unavailable(_))));
    }
}
