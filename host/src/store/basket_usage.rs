//! What pricing one basket reads besides the campaigns' usage (the customer's redemptions,
//! the coupons, the customer's data), each part only when it can change the answer, on one
//! connection: an evaluation's, a commit's pricing and its check under its locks alike.

use super::customer_data::customer_data;
use super::redemptions::{coupon_states, customer_uses, CommitTx};
use super::{Store, StoreError};
use crate::model::usage::{CampaignUsage, Usage};
use chrono::{DateTime, Utc};
use remise_model::customer_data::DEFAULT_HISTORY_WINDOW_DAYS;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::Arc;

/// What pricing one basket reads besides the campaigns' usage, each part only when it
/// can change the answer.
#[derive(Clone, Debug)]
pub struct BasketReads<'a> {
    /// The basket's customer, if it names one.
    pub customer_id: Option<&'a str>,
    /// Whether to read the customer's redemptions (some campaign caps customers).
    pub customer_uses: bool,
    /// The instant to read the customer's data at (history and points), when a plugin
    /// reads customers.
    pub customer_data_at: Option<DateTime<Utc>>,
    /// The basket's coupon codes, normalized.
    pub coupon_codes: Vec<String>,
}

impl BasketReads<'_> {
    /// Whether there is nothing to read.
    fn asks_nothing(&self) -> bool {
        self.coupon_codes.is_empty()
            && (self.customer_id.is_none()
                || (!self.customer_uses && self.customer_data_at.is_none()))
    }
}

async fn basket_usage(
    conn: &mut AnyConnection,
    reads: BasketReads<'_>,
    campaigns: Arc<HashMap<String, CampaignUsage>>,
) -> Result<Usage, StoreError> {
    let customer = match reads.customer_id {
        Some(id) if reads.customer_uses => customer_uses(conn, id).await?,
        _ => Vec::new(),
    };
    let coupons = if reads.coupon_codes.is_empty() {
        HashMap::new()
    } else {
        coupon_states(conn, &reads.coupon_codes).await?
    };
    let customer_data = match (reads.customer_id, reads.customer_data_at) {
        (Some(id), Some(at)) => Some(Arc::new(
            customer_data(conn, id, at, DEFAULT_HISTORY_WINDOW_DAYS).await?,
        )),
        _ => None,
    };
    Ok(Usage {
        campaigns,
        customer,
        coupons,
        customer_data,
    })
}

/// The usage of a basket that asks nothing more than `campaigns`: nothing is read.
fn nothing_read(campaigns: Arc<HashMap<String, CampaignUsage>>) -> Usage {
    Usage {
        campaigns,
        ..Usage::default()
    }
}

impl Store {
    /// The usage a basket is priced against: `campaigns` and what `reads` asks of the
    /// basket's customer and coupons, on one connection, or none when it asks nothing.
    pub async fn basket_usage(
        &self,
        reads: BasketReads<'_>,
        campaigns: Arc<HashMap<String, CampaignUsage>>,
    ) -> Result<Usage, StoreError> {
        if reads.asks_nothing() {
            return Ok(nothing_read(campaigns));
        }
        let mut conn = self.pool.acquire().await?;
        basket_usage(&mut conn, reads, campaigns).await
    }
}

impl CommitTx {
    /// [`Store::basket_usage`], as of this transaction: under a commit's locks, the
    /// customer's redemptions, coupons and points balance no other commit can change.
    pub async fn basket_usage(
        &mut self,
        reads: BasketReads<'_>,
        campaigns: Arc<HashMap<String, CampaignUsage>>,
    ) -> Result<Usage, StoreError> {
        // Asking nothing sends nothing: a group's rows kept stay kept ([`CommitTx`]).
        if reads.asks_nothing() {
            return Ok(nothing_read(campaigns));
        }
        basket_usage(self.conn().await?, reads, campaigns).await
    }
}
