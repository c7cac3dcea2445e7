//! What a plugin proposes for a basket once the host has checked it: discounts on lines or
//! the order, gifts, points earned or spent, messages and rewards for a later order. The runtime produces these; money prices them.

use rust_decimal::Decimal;
use serde::Serialize;

/// The longest gift SKU a plugin may name.
pub const MAX_SKU_BYTES: usize = 256;
/// The longest message a plugin may return.
pub const MAX_MESSAGE_BYTES: usize = 1_024;
/// The most units of one gift.
pub const MAX_GIFT_QUANTITY: u32 = 1_000;
/// The most points one effect may grant or spend (JavaScript's largest exact integer).
pub const MAX_POINTS: u64 = (1 << 53) - 1;
/// The longest campaign id a reward may name.
pub const MAX_REWARD_CAMPAIGN_BYTES: usize = 128;
/// The longest a reward code may stay valid, in days.
pub const MAX_REWARD_DAYS: u32 = 3_650;
/// The most channels a reward code may be limited to.
pub const MAX_REWARD_CHANNELS: usize = 16;
/// The longest channel name a reward may give.
pub const MAX_CHANNEL_BYTES: usize = 64;

/// What a plugin proposes, checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Effect {
    /// Money off lines or the order.
    Discount {
        /// What it applies to.
        target: Target,
        /// How big it is.
        value: DiscountValue,
    },
    /// A free item.
    Gift {
        /// The gift's SKU.
        sku: String,
        /// How many.
        quantity: u32,
    },
    /// Loyalty points earned.
    Points {
        /// How many.
        points: u64,
    },
    /// A message for the customer.
    Message {
        /// Its text.
        text: String,
    },
    /// Loyalty points spent from the customer's balance (contract 1.1).
    SpendPoints {
        /// How many.
        points: u64,
    },
    /// A personal code of another campaign, issued to the customer at commit (contract 1.1).
    IssueReward {
        /// The campaign the code is for.
        campaign: String,
        /// How many days it stays valid from the commit.
        valid_days: u32,
        /// Where it may be used; empty: wherever the campaign runs.
        channels: Vec<String>,
    },
}

/// What a discount applies to.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The order.
    Order,
    /// Some lines, or units of them.
    Lines(Vec<LineTarget>),
}

/// Units of one line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineTarget {
    /// The line's index in the request.
    #[serde(skip)]
    pub index: usize,
    /// The line's id, as the channel sent it.
    pub line: String,
    /// How many units; all of them when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<u32>,
}

/// How big a discount is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountValue {
    /// A percentage of the target, 0 to 100.
    Percent(Decimal),
    /// An amount off the target as a whole.
    Amount(Decimal),
    /// The target as a whole sells for this.
    FixedPrice(Decimal),
}
