//! What commits and returns share about a committed order: which keys may see it, the day
//! it counts on in its customer's history, and the campaigns it was priced with.

use crate::auth::{KeyInfo, Role};
use crate::model::{Basket, Campaign};
use crate::store::OrderForReturn;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A campaign that applied to an order, as the order keeps it: its definition then, pinned
/// to the plugin version it ran on, and that version's SHA-256.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub(super) struct PricedCampaign {
    /// The definition at the order, `plugin_version` set to the version that ran.
    pub(super) campaign: Campaign,
    /// The SHA-256 of that version's component.
    pub(super) sha256: String,
}

/// Whether the key `caller` may see (replay, cancel) an order the key `owner` committed:
/// the same key, or an admin key (which holds every role, and cancels for any channel, for
/// instance once a channel's key was replaced). An order committed before orders recorded
/// their key (`owner` is `None`) is every channel's, as it was when it was committed.
pub(super) fn may_see(owner: Option<&str>, caller: &KeyInfo) -> bool {
    caller.role == Role::Admin || owner.is_none_or(|owner| owner == &*caller.hash)
}

/// The day an order counts on in its customer's purchase history: that of the server's
/// clock when it was committed (its priced basket's `at`).
pub(super) fn order_day(basket: &Basket, order: &OrderForReturn) -> NaiveDate {
    basket
        .at
        .map(|at| at.with_timezone(&Utc).date_naive())
        .unwrap_or_else(|| order.created_at.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_seen_by_its_key_an_admin_key_and_for_old_rows_every_key() {
        let (web, store) = (
            KeyInfo::new("web", Role::Channel, ""),
            KeyInfo::new("store", Role::Channel, ""),
        );
        let admin = KeyInfo::new("root", Role::Admin, "");
        assert!(may_see(Some("web"), &web));
        assert!(!may_see(Some("web"), &store));
        assert!(may_see(Some("web"), &admin));
        assert!(may_see(None, &store));
    }
}
