//! What a contract-1.1 plugin may ask about the basket's customer beyond the basket
//! (wit/v1.1's `customer` interface): the stored profile, the points balance and the
//! purchase history, read by the host before the run and answered from memory.

use crate::customer::CustomerProfile;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How many days back the purchase history reaches unless the host is told otherwise.
pub const DEFAULT_HISTORY_WINDOW_DAYS: u32 = 365;

/// Everything the host knows of one customer for one evaluation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct CustomerData {
    /// The profile as stored, if the customer has one.
    pub profile: Option<StoredProfile>,
    /// The points the customer can spend now.
    pub points_balance: u64,
    /// What they bought within the window.
    pub history: PurchaseHistory,
}

/// A stored profile and the day it was first stored.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct StoredProfile {
    /// The profile.
    pub profile: CustomerProfile,
    /// The day (UTC) it was first stored.
    pub member_since: NaiveDate,
}

/// What the customer bought, by SKU and by category, within `window_days`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct PurchaseHistory {
    /// How many days back it reaches.
    pub window_days: u32,
    /// By SKU.
    pub skus: HashMap<String, Purchases>,
    /// By category.
    pub categories: HashMap<String, Purchases>,
}

impl Default for PurchaseHistory {
    fn default() -> Self {
        Self {
            window_days: DEFAULT_HISTORY_WINDOW_DAYS,
            skus: HashMap::new(),
            categories: HashMap::new(),
        }
    }
}

/// What is kept of purchases: by SKU or by category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// A product SKU.
    Sku,
    /// A product category.
    Category,
}

impl ItemKind {
    /// How the purchase history table names it.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Sku => "sku",
            ItemKind::Category => "category",
        }
    }

    /// The kind a history row names, if it is one.
    pub fn parse(text: &str) -> Option<ItemKind> {
        match text {
            "sku" => Some(ItemKind::Sku),
            "category" => Some(ItemKind::Category),
            _ => None,
        }
    }
}

/// What was bought of one SKU or category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Purchases {
    /// Units bought.
    pub quantity: u64,
    /// Orders that held it.
    pub orders: u32,
    /// The day of the first of them.
    pub first: NaiveDate,
    /// The day of the last of them.
    pub last: NaiveDate,
}

impl PurchaseHistory {
    /// The items of `kind`.
    pub fn of(&self, kind: ItemKind) -> &HashMap<String, Purchases> {
        match kind {
            ItemKind::Sku => &self.skus,
            ItemKind::Category => &self.categories,
        }
    }

    /// What was bought of `item`.
    pub fn purchases(&self, kind: ItemKind, item: &str) -> Option<Purchases> {
        self.of(kind).get(item).copied()
    }

    /// The items of `kind`, the most recently bought first (then by name), at most `limit`.
    pub fn purchased(&self, kind: ItemKind, limit: usize) -> Vec<(&str, Purchases)> {
        let mut items: Vec<(&str, Purchases)> = self
            .of(kind)
            .iter()
            .map(|(item, purchases)| (item.as_str(), *purchases))
            .collect();
        items.sort_by(|a, b| b.1.last.cmp(&a.1.last).then_with(|| a.0.cmp(b.0)));
        items.truncate(limit);
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn purchased_lists_the_most_recent_first_and_stops_at_the_limit() {
        let mut history = PurchaseHistory::default();
        for (item, last) in [("shoes", 3), ("bags", 9), ("hats", 9), ("socks", 1)] {
            history.categories.insert(
                item.into(),
                Purchases {
                    quantity: 1,
                    orders: 1,
                    first: day(1),
                    last: day(last),
                },
            );
        }
        let items: Vec<&str> = history
            .purchased(ItemKind::Category, 3)
            .into_iter()
            .map(|(item, _)| item)
            .collect();
        assert_eq!(items, ["bags", "hats", "shoes"]);
        assert_eq!(history.purchases(ItemKind::Sku, "shoes"), None);
        assert_eq!(
            ItemKind::parse(ItemKind::Category.as_str()),
            Some(ItemKind::Category)
        );
    }
}
