//! The contract's bounds on effects (`wit/v1`, `wit/v1.1`): the host refuses an answer that
//! breaks one, so a plugin checks its parameters against them when a campaign is saved.

/// The longest gift SKU, in bytes.
pub const MAX_GIFT_SKU_BYTES: usize = 256;
/// The most units of one gift.
pub const MAX_GIFT_QUANTITY: u32 = 1_000;
/// The most points one effect may grant or spend (2^53 − 1, exact in every JSON reader).
pub const MAX_POINTS: u64 = (1 << 53) - 1;
/// The longest message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 1_024;
/// The most effects one campaign's answer may hold (the host's default).
pub const MAX_EFFECTS: usize = 1_000;
/// The longest campaign id a reward may name, in bytes (contract 1.1).
pub const MAX_REWARD_CAMPAIGN_BYTES: usize = 128;
/// The longest a reward code may stay valid, in days (contract 1.1).
pub const MAX_REWARD_DAYS: u32 = 3_650;
/// The most channels a reward code may be limited to (contract 1.1).
pub const MAX_REWARD_CHANNELS: usize = 16;
/// The longest channel name a reward may give, in bytes (contract 1.1).
pub const MAX_CHANNEL_BYTES: usize = 64;
