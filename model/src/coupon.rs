//! Coupon codes: how a code is written and generated, what a request to create codes
//! becomes once checked, and a stored code with its uses.
//!
//! A code is 1 to 64 characters of `A-Z`, `0-9`, `-` and `_`, stored upper-case; matching
//! is case-insensitive everywhere because every code is [`normalize`]d (trimmed,
//! upper-cased) before it is stored or looked up. A generated code is an optional prefix
//! followed by 12 characters of Crockford's base32 (no `I`, `L`, `O`, `U`, so nothing reads
//! as a digit or an obscenity): 60 bits from `rand::rng()`, a CSPRNG seeded by the
//! operating system. A code cannot be inferred from others, and someone who knows the
//! prefix hits one of 100,000 codes once in 2^60 / 10^5 ≈ 10^13 guesses.

use chrono::{DateTime, Utc};
use rand::RngCore;
use std::collections::HashSet;

/// The longest code, in characters.
pub const MAX_CODE: usize = 64;
/// The longest prefix of generated codes, in characters.
pub const MAX_PREFIX: usize = 24;
/// The random characters of a generated code (5 bits each: 60 bits).
pub const RANDOM_CHARS: usize = 12;
/// The most codes one request generates.
pub const MAX_COUNT: u64 = 100_000;
/// The most chosen codes one request creates.
pub const MAX_CHOSEN: usize = 10_000;
/// The most uses one code may allow.
pub const MAX_USES_PER_CODE: u64 = 1_000_000;
/// The page size of a listing when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 100;
/// The largest page of a listing.
pub const MAX_LIMIT: u32 = 1_000;

/// Crockford's base32 alphabet: digits and upper-case letters but `I`, `L`, `O`, `U`.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// How many codes a message names before it says "and N more".
const NAMED_CODES: usize = 20;

/// The form codes are stored and compared in: trimmed, ASCII upper-case.
pub fn normalize(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

fn is_code_char(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
}

/// Whether `code`, once normalized, is a code: 1 to 64 of `A-Z`, `0-9`, `-`, `_`.
pub fn check_code(code: &str) -> Result<(), String> {
    let code = normalize(code);
    if code.is_empty() || code.len() > MAX_CODE || !code.bytes().all(is_code_char) {
        return Err(format!(
            "a code is 1 to {MAX_CODE} characters of A-Z, 0-9, - and _ (letters in either case)"
        ));
    }
    Ok(())
}

/// Whether `prefix`, once normalized, may start generated codes: up to 24 of `A-Z`, `0-9`,
/// `-`, `_` (empty is no prefix).
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    let prefix = normalize(prefix);
    if prefix.len() > MAX_PREFIX || !prefix.bytes().all(is_code_char) {
        return Err(format!(
            "a prefix is up to {MAX_PREFIX} characters of A-Z, 0-9, - and _ (letters in either case)"
        ));
    }
    Ok(())
}

/// `count` new codes, distinct from one another: `prefix` (normalized; the caller has
/// checked it with [`check_prefix`]) followed by 12 random Crockford base32 characters.
pub fn generate(count: usize, prefix: &str) -> Vec<String> {
    let prefix = normalize(prefix);
    let mut rng = rand::rng();
    let mut seen = HashSet::with_capacity(count);
    let mut codes = Vec::with_capacity(count);
    while codes.len() < count {
        let bits = rng.next_u64() >> (64 - 5 * RANDOM_CHARS);
        if !seen.insert(bits) {
            continue;
        }
        let mut code = String::with_capacity(prefix.len() + RANDOM_CHARS);
        code.push_str(&prefix);
        for i in (0..RANDOM_CHARS).rev() {
            code.push(char::from(CROCKFORD[((bits >> (5 * i)) & 31) as usize]));
        }
        codes.push(code);
    }
    codes
}

/// The codes of `codes` that appear more than once, each named once, in the order of
/// their second appearance.
pub fn duplicates(codes: &[String]) -> Vec<String> {
    let mut seen = HashSet::with_capacity(codes.len());
    let mut named = HashSet::new();
    codes
        .iter()
        .filter(|code| !seen.insert(code.as_str()) && named.insert(code.as_str()))
        .cloned()
        .collect()
}

/// `A, B, C` for a message, naming at most 20 codes and counting the rest.
pub fn name_codes(codes: &[String]) -> String {
    let mut text = codes
        .iter()
        .take(NAMED_CODES)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if codes.len() > NAMED_CODES {
        text.push_str(&format!(" and {} more", codes.len() - NAMED_CODES));
    }
    text
}

/// Where the codes of a [`NewCoupons`] come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeSource {
    /// `count` random codes starting with `prefix` (normalized, possibly empty).
    Generate {
        /// How many.
        count: usize,
        /// What they start with.
        prefix: String,
    },
    /// These codes, normalized, in the order given (possibly with duplicates, which the
    /// service refuses with a 409).
    Chosen(Vec<String>),
}

/// A checked [`CouponsRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCoupons {
    /// The codes to create.
    pub source: CodeSource,
    /// How many uses each code allows.
    pub uses_per_code: u32,
    /// When they stop working (microsecond precision, as stored).
    pub expires_at: Option<DateTime<Utc>>,
}

/// The query of `GET /v1/campaigns/{id}/coupons`, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponQuery {
    /// Only codes that start with this (normalized).
    pub search: Option<String>,
    /// Only codes after this one (normalized), in code order: the `next` of the last page.
    pub after: Option<String>,
    /// The most codes answered, 1 to 1,000.
    pub limit: u32,
}

impl Default for CouponQuery {
    fn default() -> Self {
        Self {
            search: None,
            after: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// A stored code with its uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coupon {
    /// The code, upper-case.
    pub code: String,
    /// The campaign it unlocks.
    pub campaign_id: String,
    /// How many redemptions it allows.
    pub uses_per_code: u32,
    /// How many redemptions used it.
    pub uses: u32,
    /// When it stops working; never when `None`.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was created (microsecond precision).
    pub created_at: DateTime<Utc>,
    /// The customer it belongs to: only their baskets may use it. Anyone's when `None`.
    pub customer_id: Option<String>,
    /// The order whose commit issued it, for a reward (contract 1.1's `issue-reward`).
    pub issued_by: Option<String>,
    /// The channels it may be used in; empty: wherever its campaign runs.
    pub channels: Vec<String>,
}

/// The codes one request created for a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedCoupons {
    /// The campaign's id.
    pub campaign: String,
    /// How many redemptions each code allows.
    pub uses_per_code: u32,
    /// When they stop working; never when `None`.
    pub expires_at: Option<DateTime<Utc>>,
    /// Every code created, upper-case.
    pub codes: Vec<String>,
}

/// One page of a campaign's codes, in code order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponPage {
    /// The campaign's id.
    pub campaign: String,
    /// How many codes the campaign has in all (whatever the search).
    pub total: i64,
    /// This page's codes.
    pub coupons: Vec<Coupon>,
    /// The code to list after for the next page; `None` on the last page.
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalized_and_checked() {
        assert_eq!(normalize("  welcome10 "), "WELCOME10");
        assert_eq!(normalize("Spring-Sale_2"), "SPRING-SALE_2");
        for good in ["A", "welcome10", " SPRING-7K3M_9 ", &"x".repeat(64)] {
            assert_eq!(check_code(good), Ok(()), "{good:?}");
        }
        for bad in ["", "   ", "A B", "É", "a.b", "a/b", "ß", &"x".repeat(65)] {
            assert!(check_code(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_prefix(""), Ok(()));
        assert_eq!(check_prefix("spring-"), Ok(()));
        assert!(check_prefix(&"P".repeat(25)).is_err());
        assert!(check_prefix("SPRING 2026").is_err());
    }

    #[test]
    fn generated_codes_are_distinct_crockford_base32_after_the_prefix() {
        let codes = generate(10_000, " spring- ");
        assert_eq!(codes.len(), 10_000);
        let distinct: HashSet<&String> = codes.iter().collect();
        assert_eq!(distinct.len(), 10_000);
        for code in &codes {
            let random = code
                .strip_prefix("SPRING-")
                .expect("the prefix, normalized");
            assert_eq!(random.len(), RANDOM_CHARS);
            assert!(random.bytes().all(|b| CROCKFORD.contains(&b)), "{code}");
            assert!(!random.contains(['I', 'L', 'O', 'U']), "{code}");
            assert_eq!(check_code(code), Ok(()));
        }
        assert!(generate(0, "").is_empty());
        assert!(generate(3, "").iter().all(|c| c.len() == RANDOM_CHARS));
    }

    #[test]
    fn generated_codes_spread_over_the_whole_alphabet() {
        // 60 random bits: every character of every position takes every value.
        let codes = generate(20_000, "");
        for position in 0..RANDOM_CHARS {
            let used: HashSet<u8> = codes.iter().map(|c| c.as_bytes()[position]).collect();
            assert_eq!(used.len(), 32, "position {position}");
        }
    }

    #[test]
    fn duplicates_are_named_once() {
        let codes: Vec<String> = ["A", "B", "A", "C", "A", "B"].map(String::from).to_vec();
        assert_eq!(duplicates(&codes), ["A", "B"]);
        assert!(duplicates(&codes[..2]).is_empty());
        let many: Vec<String> = (0..25).map(|i| format!("C{i}")).collect();
        assert_eq!(name_codes(&many[..2]), "C0, C1");
        assert!(name_codes(&many).ends_with("C19 and 5 more"));
    }
}
