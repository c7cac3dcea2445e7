//! The basket a channel prices: its lines, its customer, its coupon codes, when and where
//! it is priced; checked, every problem named by a JSON pointer.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The most lines a basket may have by default.
pub const DEFAULT_MAX_LINES: usize = 1_000;
/// The largest unit price or quantity the engine prices: beyond, totals could overflow.
const MAX_UNIT_PRICE: Decimal = Decimal::from_parts(0xA764_0000, 0x0DE0_B6B3, 0, false, 0); // 10^18
const MAX_QUANTITY: u32 = 1_000_000;
/// The largest basket subtotal (sum of unit price × quantity) the engine prices: every
/// discount, allocation and total of a smaller basket is computed exactly, without
/// overflow, whatever the campaigns.
pub const MAX_SUBTOTAL: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0); // 10^15
/// The years an `at` may fall in: time zone rules are known, and every date computed from
/// it (a week, a birthday window) stays representable.
pub const AT_YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;
/// The longest text field (ids, names, segments, attribute keys and values), in bytes.
pub const MAX_TEXT: usize = 256;
/// Why a unit price with too many significant digits is refused.
const PRICE_DIGITS: &str = "has too many significant digits: without its trailing zeros, \
                            its digits must make a number below 2^63 (9223372036854775808)";
/// Why a text holding U+0000 is refused (PostgreSQL cannot store it).
pub const NO_NUL: &str = "must not contain the NUL character (U+0000)";
/// The most coupon codes a basket may carry.
pub const MAX_COUPONS: usize = 100;

/// A basket to price: the body of `POST /v1/evaluate` less the request's options.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Basket {
    /// ISO 4217 code of every amount, such as `EUR`.
    pub currency: String,
    /// The sales channel, such as `web`, `store` or `app`.
    pub channel: String,
    /// The store, for store channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// When the basket is priced; now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<FixedOffset>>,
    /// The customer; absent for an anonymous basket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Coupon codes the customer entered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coupons: Vec<String>,
    /// The lines.
    pub lines: Vec<Line>,
}

/// The customer, as the channel knows them.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The retailer's customer id.
    pub id: String,
    /// Loyalty tier, such as `gold`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty_tier: Option<String>,
    /// Segments, such as `card-holder`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<String>,
    /// Date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<NaiveDate>,
    /// Free attributes, such as `gender: f`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// One line of a basket.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// The channel's line id, unique in the basket.
    pub id: String,
    /// The product's SKU.
    pub sku: String,
    /// Units, at least 1.
    pub quantity: u32,
    /// Price of one unit, at least 0.
    pub unit_price: Decimal,
    /// Categories of the product.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Brand of the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Free attributes of the product.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

use super::field_problem::FieldProblem;

impl Basket {
    /// Checks what serde cannot: ranges, uniqueness, sizes. Every problem is reported.
    pub fn validate(&self, max_lines: usize) -> Result<(), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let currency_ok =
            self.currency.len() == 3 && self.currency.bytes().all(|b| b.is_ascii_uppercase());
        if !currency_ok {
            problems.push(FieldProblem::new(
                "/currency",
                "must be an ISO 4217 code such as EUR",
            ));
        }
        text(&mut problems, "/channel", &self.channel, false);
        if let Some(at) = self.at {
            if !AT_YEARS.contains(&at.year()) {
                problems.push(FieldProblem::new(
                    "/at",
                    format!(
                        "must fall in the years {} to {}",
                        AT_YEARS.start(),
                        AT_YEARS.end()
                    ),
                ));
            }
        }
        if let Some(store) = &self.store {
            text(&mut problems, "/store", store, false);
        }
        if self.lines.len() > max_lines {
            problems.push(FieldProblem::new(
                "/lines",
                format!("{} lines; at most {max_lines} are priced", self.lines.len()),
            ));
            return Err(problems);
        }
        let mut ids = HashSet::new();
        for (i, line) in self.lines.iter().enumerate() {
            // Pointers are spelt out only for a problem: a right basket formats none.
            let at = |field: &str| format!("/lines/{i}/{field}");
            text_at(&mut problems, || at("id"), &line.id, false);
            if !ids.insert(line.id.as_str()) {
                problems.push(FieldProblem::new(
                    at("id"),
                    format!("line id {:?} appears twice", line.id),
                ));
            }
            text_at(&mut problems, || at("sku"), &line.sku, false);
            if line.quantity == 0 || line.quantity > MAX_QUANTITY {
                problems.push(FieldProblem::new(
                    at("quantity"),
                    format!("must be from 1 to {MAX_QUANTITY}"),
                ));
            }
            if line.unit_price.is_sign_negative() && !line.unit_price.is_zero() {
                problems.push(FieldProblem::new(at("unit_price"), "must be 0 or more"));
            } else if line.unit_price >= MAX_UNIT_PRICE || line.unit_price.scale() > 9 {
                problems.push(FieldProblem::new(
                    at("unit_price"),
                    "must be below 10^18 with at most 9 decimals",
                ));
            } else if i64::try_from(line.unit_price.normalize().mantissa()).is_err() {
                // The plugin contract's decimal is a 64-bit mantissa and a scale: without
                // this check, `12345678901.123456789` was valid here and then refused at
                // `/lines` when lowered for the plugins.
                problems.push(FieldProblem::new(at("unit_price"), PRICE_DIGITS));
            }
            for (j, category) in line.categories.iter().enumerate() {
                text_at(
                    &mut problems,
                    || format!("/lines/{i}/categories/{j}"),
                    category,
                    false,
                );
            }
            if let Some(brand) = &line.brand {
                text_at(&mut problems, || at("brand"), brand, true);
            }
            if !line.attributes.is_empty() {
                attributes(&mut problems, &at("attributes"), &line.attributes);
            }
        }
        if problems.is_empty() && self.subtotal_within_range().is_none() {
            problems.push(FieldProblem::new(
                "/lines",
                format!(
                    "the basket's subtotal (unit prices × quantities) must be below {MAX_SUBTOTAL}"
                ),
            ));
        }
        if let Some(customer) = &self.customer {
            text(&mut problems, "/customer/id", &customer.id, false);
            if let Some(tier) = &customer.loyalty_tier {
                text(&mut problems, "/customer/loyalty_tier", tier, true);
            }
            for (j, segment) in customer.segments.iter().enumerate() {
                text_at(
                    &mut problems,
                    || format!("/customer/segments/{j}"),
                    segment,
                    false,
                );
            }
            attributes(&mut problems, "/customer/attributes", &customer.attributes);
        }
        if self.coupons.len() > MAX_COUPONS {
            problems.push(FieldProblem::new(
                "/coupons",
                format!("{} coupon codes; at most {MAX_COUPONS}", self.coupons.len()),
            ));
        }
        for (j, code) in self.coupons.iter().enumerate() {
            text_at(&mut problems, || format!("/coupons/{j}"), code, false);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The basket's subtotal when it is below [`MAX_SUBTOTAL`].
    fn subtotal_within_range(&self) -> Option<Decimal> {
        self.lines.iter().try_fold(Decimal::ZERO, |sum, line| {
            line.unit_price
                .checked_mul(Decimal::from(line.quantity))
                .and_then(|subtotal| sum.checked_add(subtotal))
                .filter(|sum| *sum < MAX_SUBTOTAL)
        })
    }

    /// The basket as it is meant rather than as it is spelled, for telling a retry from
    /// another basket: every unit price without trailing zeros (`19.9` for `"19.90"`),
    /// every coupon code as it is matched ([`super::coupon::normalize`]: trimmed, upper
    /// case), and `at` in UTC (the instant prices; plugins see each campaign's own offset,
    /// never the one `at` was written with). Two baskets with the same canonical form get
    /// the same answer. Everything else is compared as written: ids, channels, segments and
    /// attributes are matched exactly, case included, and the order of lines and codes
    /// can change what applies.
    pub fn canonical(&self) -> Basket {
        let mut basket = self.clone();
        basket.at = basket.at.map(|at| at.with_timezone(&Utc).fixed_offset());
        for code in &mut basket.coupons {
            *code = super::coupon::normalize(code);
        }
        for line in &mut basket.lines {
            line.unit_price = line.unit_price.normalize();
        }
        basket
    }

    /// The basket's subtotal: the sum of unit price × quantity.
    pub fn subtotal(&self) -> Decimal {
        self.lines
            .iter()
            .map(|line| line.unit_price * Decimal::from(line.quantity))
            .sum()
    }
}

/// Checks one text field at `pointer`: not empty (unless `may_be_empty`), no NUL, at most
/// [`MAX_TEXT`] bytes.
pub(crate) fn text(
    problems: &mut Vec<FieldProblem>,
    pointer: &str,
    value: &str,
    may_be_empty: bool,
) {
    text_at(problems, || pointer.to_string(), value, may_be_empty);
}

/// [`text`], with the pointer spelt out by `pointer` only when the field is wrong.
pub(crate) fn text_at(
    problems: &mut Vec<FieldProblem>,
    pointer: impl FnOnce() -> String,
    value: &str,
    may_be_empty: bool,
) {
    let message = if value.is_empty() && !may_be_empty {
        "must not be empty".to_string()
    } else if value.contains('\0') {
        NO_NUL.to_string()
    } else if value.len() > MAX_TEXT {
        format!("at most {MAX_TEXT} bytes")
    } else {
        return;
    };
    problems.push(FieldProblem::new(pointer(), message));
}

/// Checks free attributes at `pointer`: each key a non-empty text, each value a text.
pub(crate) fn attributes(
    problems: &mut Vec<FieldProblem>,
    pointer: &str,
    attributes: &BTreeMap<String, String>,
) {
    for (key, value) in attributes {
        let at = || format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
        text_at(problems, at, key, false);
        text_at(problems, at, value, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: serde_json::Value) -> Basket {
        serde_json::from_value(json).expect("well-formed request")
    }

    #[test]
    fn ten_to_the_eighteen_is_the_price_ceiling() {
        assert_eq!(MAX_UNIT_PRICE.to_string(), "1000000000000000000");
    }

    #[test]
    fn every_problem_is_named_by_its_pointer() {
        let r = request(serde_json::json!({
            "currency": "eur", "channel": "web",
            "lines": [
                { "id": "1", "sku": "A", "quantity": 0, "unit_price": "1.00" },
                { "id": "1", "sku": "", "quantity": 1, "unit_price": "-2" }
            ]
        }));
        let pointers: Vec<String> = r
            .validate(10)
            .expect_err("invalid")
            .into_iter()
            .map(|p| p.pointer)
            .collect();
        assert_eq!(
            pointers,
            [
                "/currency",
                "/lines/0/quantity",
                "/lines/1/id",
                "/lines/1/sku",
                "/lines/1/unit_price"
            ]
        );
    }

    #[test]
    fn texts_in_lists_and_maps_are_named_by_their_pointers() {
        let long = "x".repeat(MAX_TEXT + 1);
        let r = request(serde_json::json!({
            "currency": "EUR", "channel": "web", "coupons": ["OK", ""],
            "customer": { "id": "c-1", "segments": ["a", "b\u{0}"],
                          "attributes": { "": "v" } },
            "lines": [
                { "id": "1", "sku": "A", "quantity": 1, "unit_price": "1.00",
                  "categories": ["tops", ""], "brand": long,
                  "attributes": { "a/b~c": "\u{0}", "fine": "" } }
            ]
        }));
        let problems = r.validate(10).expect_err("invalid");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/lines/0/categories/1",
                "/lines/0/brand",
                "/lines/0/attributes/a~1b~0c",
                "/customer/segments/1",
                "/customer/attributes/",
                "/coupons/1"
            ]
        );
        assert_eq!(problems[1].message, format!("at most {MAX_TEXT} bytes"));
        assert_eq!(problems[2].message, NO_NUL);
    }

    #[test]
    fn the_canonical_form_keeps_the_meaning_and_drops_the_spelling() {
        let spelled = |price: &str, code: &str, at: &str| {
            request(serde_json::json!({
                "currency": "EUR", "channel": "web", "at": at, "coupons": [code],
                "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": price } ]
            }))
            .canonical()
        };
        let json = |basket: Basket| serde_json::to_value(basket).expect("json");
        let first = json(spelled("19.9", "welcome", "2026-03-08T12:00:00+01:00"));
        assert_eq!(first["lines"][0]["unit_price"], "19.9");
        assert_eq!(first["coupons"], serde_json::json!(["WELCOME"]));
        assert_eq!(first["at"], "2026-03-08T11:00:00Z");
        for (price, code, at) in [
            ("19.90", " WELCOME ", "2026-03-08T11:00:00Z"),
            ("19.900000000", "Welcome", "2026-03-08T06:00:00-05:00"),
        ] {
            assert_eq!(json(spelled(price, code, at)), first, "{price} {code} {at}");
        }
        assert_eq!(
            json(spelled("-0.00", "A", "2026-03-08T11:00:00Z"))["lines"][0]["unit_price"],
            "0"
        );
        for (price, code, at) in [
            ("19.91", "welcome", "2026-03-08T12:00:00+01:00"),
            ("19.9", "welcome2", "2026-03-08T12:00:00+01:00"),
            ("19.9", "welcome", "2026-03-08T12:00:00+02:00"),
        ] {
            assert_ne!(json(spelled(price, code, at)), first, "{price} {code} {at}");
        }
    }

    #[test]
    fn a_unit_price_a_plugin_cannot_be_given_is_refused_at_its_pointer() {
        // Caught by the `basket_json` fuzz target's property (a valid basket lowers for the
        // plugins): valid here, then refused at `/lines` when lowered (a 64-bit mantissa).
        let priced = |price: &str| {
            request(serde_json::json!({
                "currency": "EUR", "channel": "web",
                "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": price } ]
            }))
        };
        for price in ["10000000000.000000001", "12345678901.123456789"] {
            let basket = priced(price);
            assert_eq!(
                basket.validate(10),
                Err(vec![FieldProblem::new("/lines/0/unit_price", PRICE_DIGITS)]),
                "{price}"
            );
        }
        for price in [
            "9223372036.854775807",
            "1000000000.123456789",
            "99999999999999.990000000",
        ] {
            assert_eq!(priced(price).validate(10), Ok(()), "{price}");
        }
    }

    #[test]
    fn too_many_lines_is_one_problem() {
        let line = serde_json::json!({ "id": "x", "sku": "A", "quantity": 1, "unit_price": "1" });
        let lines: Vec<_> = (0..3)
            .map(|i| {
                let mut l = line.clone();
                l["id"] = i.to_string().into();
                l
            })
            .collect();
        let r = request(serde_json::json!({ "currency": "EUR", "channel": "web", "lines": lines }));
        let problems = r.validate(2).expect_err("too many");
        assert_eq!(
            problems,
            [FieldProblem::new("/lines", "3 lines; at most 2 are priced")]
        );
    }
}
