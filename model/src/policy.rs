//! How a group of campaigns picks its one winner: best for the customer, best for the
//! merchant, or by priority.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How a group picks its one campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// The largest discount wins: the loyalty choice, and the default of a group never
    /// configured.
    #[default]
    BestForCustomer,
    /// The smallest discount wins: the margin choice.
    BestForMerchant,
    /// The lowest `priority` number wins.
    Priority,
}

impl Policy {
    /// The policy's name as it appears in JSON (`"best_for_customer"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::BestForCustomer => "best_for_customer",
            Policy::BestForMerchant => "best_for_merchant",
            Policy::Priority => "priority",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
