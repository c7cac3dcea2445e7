//! What campaigns have already used of their budgets, caps and coupons: the running totals
//! the store keeps and the service gathers for each evaluation.

use crate::customer_data::CustomerData;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// What the engine knows of past redemptions for one evaluation.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    /// By campaign id; a campaign absent has used nothing. Shared: the service keeps one
    /// map for every evaluation until a commit replaces it.
    pub campaigns: Arc<HashMap<String, CampaignUsage>>,
    /// The basket's customer's redemptions (empty without a customer).
    pub customer: Vec<CustomerUse>,
    /// The basket's coupon codes that exist, by normalized code.
    pub coupons: HashMap<String, CouponState>,
    /// What contract-1.1 plugins may ask about the basket's customer: read only when a
    /// candidate's plugin imports it, `None` otherwise and for an anonymous basket.
    pub customer_data: Option<Arc<CustomerData>>,
}

/// One campaign's running totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignUsage {
    /// The currency `granted_minor` counts in: that of its first order that granted a
    /// discount; `None` while it has granted nothing (orders without a discount, and
    /// cancels that give everything back, fix no currency).
    pub currency: Option<String>,
    /// Orders committed.
    pub redemptions: u64,
    /// Discount granted, in minor units of `currency`.
    pub granted_minor: i64,
}

/// One past redemption of a campaign by the basket's customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerUse {
    /// The campaign.
    pub campaign: String,
    /// The day of the redemption in the campaign's timezone.
    pub local_date: NaiveDate,
}

/// A coupon code as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponState {
    /// The campaign it unlocks.
    pub campaign: String,
    /// Uses so far.
    pub uses: u32,
    /// Uses it allows.
    pub uses_per_code: u32,
    /// When it stops being accepted.
    pub expires_at: Option<DateTime<Utc>>,
    /// The customer it belongs to (a personal code); anyone's when `None`.
    pub customer: Option<String>,
    /// The channels it may be used in (a reward); empty: wherever its campaign runs.
    pub channels: Vec<String>,
}
