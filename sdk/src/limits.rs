//! The contract's bounds on effects (`wit/v1`): the host refuses an answer that breaks
//! one, so a plugin checks its parameters against them when a campaign is saved.

/// The longest gift SKU, in bytes.
pub const MAX_GIFT_SKU_BYTES: usize = 256;
/// The most units of one gift.
pub const MAX_GIFT_QUANTITY: u32 = 1_000;
/// The most points one effect may grant (2^53 − 1, exact in every JSON reader).
pub const MAX_POINTS: u64 = (1 << 53) - 1;
/// The longest message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 1_024;
/// The most effects one campaign's answer may hold (the host's default).
pub const MAX_EFFECTS: usize = 1_000;
