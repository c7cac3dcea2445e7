//! Coupon codes (SPEC.md `POST/GET /v1/campaigns/{id}/coupons`): how a code is written,
//! how codes are generated, and the bodies of the two routes.
//!
//! A code is 1 to 64 characters of `A-Z`, `0-9`, `-` and `_`, stored upper-case; matching
//! is case-insensitive everywhere because every code is [`normalize`]d (trimmed,
//! upper-cased) before it is stored or looked up. A generated code is an optional prefix
//! followed by 12 characters of Crockford's base32 (no `I`, `L`, `O`, `U`, so nothing reads
//! as a digit or an obscenity): 60 bits from `rand::rng()`, a CSPRNG seeded by the
//! operating system. A code cannot be inferred from others, and someone who knows the
//! prefix hits one of 100,000 codes once in 2^60 / 10^5 ≈ 10^13 guesses.

use crate::basket::FieldProblem;
use crate::json_pointer::push_token;
use crate::store::Coupon;
use chrono::{DateTime, SubsecRound, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

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

/// The body of `POST /v1/campaigns/{id}/coupons`: either `count` random codes (with an
/// optional `prefix`) or the `codes` chosen by marketing, each allowing `uses_per_code`
/// uses until `expires_at`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponsRequest {
    /// How many random codes to generate, 1 to 100,000. Exactly one of `count` and `codes`.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000, example = 1000)]
    pub count: Option<u64>,
    /// What generated codes start with: up to 24 of A-Z, 0-9, - and _ (stored upper-case).
    #[serde(default)]
    #[schema(example = "SPRING-")]
    pub prefix: Option<String>,
    /// The codes to create, 1 to 10,000, each 1 to 64 of A-Z, 0-9, - and _ (stored
    /// upper-case). Exactly one of `count` and `codes`.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 10000, example = json!(["WELCOME10"]))]
    pub codes: Option<Vec<String>>,
    /// How many redemptions each code allows, 1 to 1,000,000; 1 when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000000, example = 1)]
    pub uses_per_code: Option<u64>,
    /// When the codes stop working (RFC 3339, in the future); never when absent.
    #[serde(default)]
    #[schema(format = DateTime, example = "2026-06-30T23:59:59+02:00")]
    pub expires_at: Option<String>,
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

impl CouponsRequest {
    /// Checks every field (`now`: what `expires_at` must be later than); every problem is
    /// reported, each at its JSON pointer.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<NewCoupons, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let source = match (&self.count, &self.codes) {
            (Some(_), Some(_)) => {
                problems.push(FieldProblem::new(
                    "/codes",
                    "give either count (random codes) or codes (chosen codes), not both",
                ));
                None
            }
            (None, None) => {
                problems.push(FieldProblem::new(
                    "/count",
                    "give count (how many random codes) or codes (the codes to create)",
                ));
                None
            }
            (Some(count), None) => {
                let count_ok = (1..=MAX_COUNT).contains(count);
                if !count_ok {
                    problems.push(FieldProblem::new(
                        "/count",
                        format!("must be from 1 to {MAX_COUNT}"),
                    ));
                }
                let prefix = self.prefix.as_deref().unwrap_or_default();
                let prefix_ok = check_prefix(prefix)
                    .map_err(|why| problems.push(FieldProblem::new("/prefix", why)))
                    .is_ok();
                match usize::try_from(*count) {
                    Ok(count) if count_ok && prefix_ok => Some(CodeSource::Generate {
                        count,
                        prefix: normalize(prefix),
                    }),
                    _ => None,
                }
            }
            (None, Some(codes)) => {
                if self.prefix.is_some() {
                    problems.push(FieldProblem::new(
                        "/prefix",
                        "a prefix is for generated codes (count); chosen codes are taken as given",
                    ));
                }
                if codes.is_empty() || codes.len() > MAX_CHOSEN {
                    problems.push(FieldProblem::new(
                        "/codes",
                        format!("must hold 1 to {MAX_CHOSEN} codes"),
                    ));
                }
                let before = problems.len();
                for (i, code) in codes.iter().enumerate() {
                    if let Err(why) = check_code(code) {
                        problems.push(FieldProblem::new(format!("/codes/{i}"), why));
                    }
                }
                (problems.len() == before)
                    .then(|| CodeSource::Chosen(codes.iter().map(|c| normalize(c)).collect()))
            }
        };
        let uses_per_code = match self.uses_per_code {
            None => Some(1),
            Some(uses) if (1..=MAX_USES_PER_CODE).contains(&uses) => u32::try_from(uses).ok(),
            Some(_) => None,
        };
        if uses_per_code.is_none() {
            problems.push(FieldProblem::new(
                "/uses_per_code",
                format!("must be from 1 to {MAX_USES_PER_CODE}"),
            ));
        }
        let mut expires_at = None;
        if let Some(text) = &self.expires_at {
            match DateTime::parse_from_rfc3339(text.trim()) {
                Ok(time) => {
                    let time = time.with_timezone(&Utc).trunc_subsecs(6);
                    if time <= now {
                        problems.push(FieldProblem::new(
                            "/expires_at",
                            "is in the past: codes would never work",
                        ));
                    }
                    expires_at = Some(time);
                }
                Err(_) => problems.push(FieldProblem::new(
                    "/expires_at",
                    "must be an RFC 3339 date-time such as 2026-06-30T23:59:59+02:00",
                )),
            }
        }
        match (source, uses_per_code) {
            (Some(source), Some(uses_per_code)) if problems.is_empty() => Ok(NewCoupons {
                source,
                uses_per_code,
                expires_at,
            }),
            _ => Err(problems),
        }
    }
}

/// The answer to `POST /v1/campaigns/{id}/coupons` (201).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CouponsCreated {
    /// The campaign's id.
    #[schema(example = "spring-sale")]
    pub campaign: String,
    /// How many codes were created (`count`, or the number of `codes`).
    #[schema(example = 2)]
    pub created: usize,
    /// How many redemptions each code allows.
    #[schema(example = 1)]
    pub uses_per_code: u32,
    /// When they stop working; absent: never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Every code created, upper-case.
    #[schema(example = json!(["SPRING-7K3M9Q2XJ4HD", "SPRING-0R8TZW5N6BVE"]))]
    pub codes: Vec<String>,
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

impl CouponQuery {
    /// Reads `search`, `after` and `limit` from the query string's pairs. A parameter that
    /// is unknown, repeated or malformed is a problem at the pointer of its name (`/limit`);
    /// an empty `search` or `after` is as good as none.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<CouponQuery, Vec<FieldProblem>> {
        let mut query = CouponQuery::default();
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        for (name, value) in pairs {
            let mut pointer = String::new();
            push_token(&mut pointer, name);
            if !seen.insert(name.as_str()) {
                problems.push(FieldProblem::new(pointer, "given more than once"));
                continue;
            }
            match name.as_str() {
                "search" | "after" => {
                    let code = normalize(value);
                    if code.is_empty() {
                        continue;
                    }
                    match check_code(&code) {
                        Ok(()) if name == "search" => query.search = Some(code),
                        Ok(()) => query.after = Some(code),
                        Err(why) => problems.push(FieldProblem::new(pointer, why)),
                    }
                }
                "limit" => match value.trim().parse::<u32>() {
                    Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => query.limit = limit,
                    _ => problems.push(FieldProblem::new(
                        pointer,
                        format!("must be an integer from 1 to {MAX_LIMIT}"),
                    )),
                },
                _ => problems.push(FieldProblem::new(
                    pointer,
                    "unknown query parameter: search, after and limit are known",
                )),
            }
        }
        if problems.is_empty() {
            Ok(query)
        } else {
            Err(problems)
        }
    }
}

/// One code in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CouponView {
    /// The code, upper-case.
    #[schema(example = "SPRING-7K3M9Q2XJ4HD")]
    pub code: String,
    /// How many redemptions used it (cancelled orders give their use back).
    pub uses: u32,
    /// How many redemptions it allows.
    pub uses_per_code: u32,
    /// When it stops working; absent: never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<Coupon> for CouponView {
    fn from(coupon: Coupon) -> Self {
        Self {
            code: coupon.code,
            uses: coupon.uses,
            uses_per_code: coupon.uses_per_code,
            expires_at: coupon.expires_at,
            created_at: coupon.created_at,
        }
    }
}

/// The answer to `GET /v1/campaigns/{id}/coupons`: one page of codes, in code order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CouponPage {
    /// The campaign's id.
    #[schema(example = "spring-sale")]
    pub campaign: String,
    /// How many codes the campaign has in all (whatever `search`).
    pub total: i64,
    /// This page's codes.
    pub coupons: Vec<CouponView>,
    /// The `after` of the next page; `null` on the last page.
    #[schema(required = true)]
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .expect("a time")
    }

    fn request(json: serde_json::Value) -> Result<NewCoupons, Vec<String>> {
        let request: CouponsRequest = serde_json::from_value(json).expect("parses");
        request
            .validate(now())
            .map_err(|problems| problems.into_iter().map(|p| p.pointer).collect())
    }

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

    #[test]
    fn a_request_is_count_or_codes() {
        use serde_json::json;
        assert_eq!(
            request(json!({ "count": 5, "prefix": "spr-" })),
            Ok(NewCoupons {
                source: CodeSource::Generate {
                    count: 5,
                    prefix: "SPR-".into()
                },
                uses_per_code: 1,
                expires_at: None
            })
        );
        let chosen = request(json!({ "codes": [" welcome10", "VIP"], "uses_per_code": 3,
                                     "expires_at": "2026-06-30T23:59:59+02:00" }))
        .expect("valid");
        assert_eq!(
            chosen.source,
            CodeSource::Chosen(vec!["WELCOME10".into(), "VIP".into()])
        );
        assert_eq!(chosen.uses_per_code, 3);
        assert_eq!(
            chosen.expires_at,
            Utc.with_ymd_and_hms(2026, 6, 30, 21, 59, 59).single()
        );

        assert_eq!(request(json!({})), Err(vec!["/count".into()]));
        assert_eq!(
            request(json!({ "count": 1, "codes": ["A"] })),
            Err(vec!["/codes".into()])
        );
        assert_eq!(request(json!({ "count": 0 })), Err(vec!["/count".into()]));
        assert_eq!(
            request(json!({ "count": 100_001 })),
            Err(vec!["/count".into()])
        );
        assert!(request(json!({ "count": 100_000 })).is_ok());
        assert_eq!(
            request(json!({ "count": 1, "prefix": "no spaces" })),
            Err(vec!["/prefix".into()])
        );
        assert_eq!(
            request(json!({ "codes": ["A"], "prefix": "P" })),
            Err(vec!["/prefix".into()])
        );
        assert_eq!(request(json!({ "codes": [] })), Err(vec!["/codes".into()]));
        assert_eq!(
            request(json!({ "codes": ["OK", "not ok", ""] })),
            Err(vec!["/codes/1".into(), "/codes/2".into()])
        );
        assert_eq!(
            request(json!({ "count": 1, "uses_per_code": 0, "expires_at": "tomorrow" })),
            Err(vec!["/uses_per_code".into(), "/expires_at".into()])
        );
        assert_eq!(
            request(json!({ "count": 1, "uses_per_code": 1_000_001 })),
            Err(vec!["/uses_per_code".into()])
        );
        assert_eq!(
            request(json!({ "count": 1, "expires_at": "2026-03-01T12:00:00Z" })),
            Err(vec!["/expires_at".into()])
        );
        let codes: Vec<String> = (0..=MAX_CHOSEN).map(|i| format!("C{i}")).collect();
        assert_eq!(
            request(json!({ "codes": codes })),
            Err(vec!["/codes".into()])
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<CouponsRequest>(r#"{"count": 1, "colour": 1}"#).is_err());
    }

    #[test]
    fn the_listing_query_is_read_with_pointers() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let pointers = |list: &[(&str, &str)]| -> Vec<String> {
            CouponQuery::from_pairs(&pairs(list))
                .expect_err("refused")
                .into_iter()
                .map(|p| p.pointer)
                .collect()
        };
        assert_eq!(CouponQuery::from_pairs(&[]), Ok(CouponQuery::default()));
        assert_eq!(
            CouponQuery::from_pairs(&pairs(&[
                ("search", "spr"),
                ("after", "spr-x"),
                ("limit", "1000")
            ])),
            Ok(CouponQuery {
                search: Some("SPR".into()),
                after: Some("SPR-X".into()),
                limit: 1000
            })
        );
        assert_eq!(
            CouponQuery::from_pairs(&pairs(&[("search", ""), ("after", " ")])),
            Ok(CouponQuery::default())
        );
        assert_eq!(pointers(&[("limit", "0")]), ["/limit"]);
        assert_eq!(pointers(&[("limit", "1001")]), ["/limit"]);
        assert_eq!(pointers(&[("limit", "ten")]), ["/limit"]);
        assert_eq!(pointers(&[("limit", "1"), ("limit", "2")]), ["/limit"]);
        assert_eq!(pointers(&[("search", "a b")]), ["/search"]);
        assert_eq!(pointers(&[("after", "é")]), ["/after"]);
        assert_eq!(pointers(&[("a/b", "1")]), ["/a~1b"]);
    }
}
