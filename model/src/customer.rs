//! A customer's stored profile (docs/customers.md): what a retailer keeps about a customer
//! so every channel prices them alike, checked field by field, and how it combines with
//! what a basket sends about the same customer.

use crate::basket::{attributes, text, Customer};
use crate::FieldProblem;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The most segments a profile may have.
pub const MAX_SEGMENTS: usize = 100;
/// The most attributes a profile may have.
pub const MAX_ATTRIBUTES: usize = 64;
/// The earliest birth date a profile may give.
pub const EARLIEST_BIRTHDATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

/// What the customer agreed to be sent. Remise sends nothing itself: it keeps the consent
/// for the tools that do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// E-mail.
    #[serde(default)]
    pub email: bool,
    /// Text messages.
    #[serde(default)]
    pub sms: bool,
}

/// A customer's profile: the body of `PUT /v1/customers/{id}` (where `id` may be left
/// out) and one line of an import (where it is required).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerProfile {
    /// The retailer's customer id, as baskets send it in `customer.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Loyalty tier, such as `gold`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty_tier: Option<String>,
    /// Segments, such as `card-holder`.
    #[serde(default)]
    pub segments: Vec<String>,
    /// Date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<NaiveDate>,
    /// Free attributes, such as `favourite_store: lyon-3`.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// What the customer agreed to be sent.
    #[serde(default)]
    pub consent: Consent,
}

impl CustomerProfile {
    /// Checks what serde cannot, every problem named by its pointer: the id (when given),
    /// texts, at most [`MAX_SEGMENTS`] distinct segments and [`MAX_ATTRIBUTES`]
    /// attributes, a birth date from [`EARLIEST_BIRTHDATE`] to `today`.
    pub fn validate(&self, today: NaiveDate) -> Result<(), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        if let Some(id) = &self.id {
            text(&mut problems, "/id", id, false);
        }
        if let Some(tier) = &self.loyalty_tier {
            text(&mut problems, "/loyalty_tier", tier, false);
        }
        if self.segments.len() > MAX_SEGMENTS {
            problems.push(FieldProblem::new(
                "/segments",
                format!("{} segments; at most {MAX_SEGMENTS}", self.segments.len()),
            ));
        } else {
            let mut seen = HashSet::new();
            for (i, segment) in self.segments.iter().enumerate() {
                let at = format!("/segments/{i}");
                text(&mut problems, &at, segment, false);
                if !seen.insert(segment.as_str()) {
                    problems.push(FieldProblem::new(
                        at,
                        format!("segment {segment:?} appears twice"),
                    ));
                }
            }
        }
        if let Some(birthdate) = self.birthdate {
            if birthdate < EARLIEST_BIRTHDATE || birthdate > today {
                problems.push(FieldProblem::new(
                    "/birthdate",
                    format!("must be from {EARLIEST_BIRTHDATE} to today ({today})"),
                ));
            }
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            problems.push(FieldProblem::new(
                "/attributes",
                format!(
                    "{} attributes; at most {MAX_ATTRIBUTES}",
                    self.attributes.len()
                ),
            ));
        } else {
            attributes(&mut problems, "/attributes", &self.attributes);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The customer an evaluation prices: this stored profile, overridden by what the
    /// basket sent (`sent`): its tier and birth date when it sends them, its segments when
    /// it sends some (the list whole), its attributes key by key. The id is the basket's.
    pub fn under(&self, sent: &Customer) -> Customer {
        let mut attributes = self.attributes.clone();
        attributes.extend(
            sent.attributes
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );
        Customer {
            id: sent.id.clone(),
            loyalty_tier: sent
                .loyalty_tier
                .clone()
                .or_else(|| self.loyalty_tier.clone()),
            segments: if sent.segments.is_empty() {
                self.segments.clone()
            } else {
                sent.segments.clone()
            },
            birthdate: sent.birthdate.or(self.birthdate),
            attributes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).expect("a date")
    }

    fn profile(json: serde_json::Value) -> CustomerProfile {
        serde_json::from_value(json).expect("a well-formed profile")
    }

    #[test]
    fn every_problem_of_a_profile_is_named_by_its_pointer() {
        let bad = profile(serde_json::json!({
            "id": "",
            "loyalty_tier": "",
            "segments": ["vip", "", "vip"],
            "birthdate": "2026-12-04",
            "attributes": { "": "x", "a/b": "\u{0}" },
        }));
        let pointers: Vec<String> = bad
            .validate(today())
            .expect_err("invalid")
            .into_iter()
            .map(|problem| problem.pointer)
            .collect();
        assert_eq!(
            pointers,
            [
                "/id",
                "/loyalty_tier",
                "/segments/1",
                "/segments/2",
                "/birthdate",
                "/attributes/",
                "/attributes/a~1b"
            ]
        );
        let old = profile(serde_json::json!({ "birthdate": "1899-12-31" }));
        assert!(old.validate(today()).is_err());
        let born_today = profile(serde_json::json!({ "birthdate": "2026-12-03" }));
        assert_eq!(born_today.validate(today()), Ok(()));
    }

    #[test]
    fn too_many_segments_or_attributes_are_one_problem_each() {
        let segments: Vec<String> = (0..=MAX_SEGMENTS).map(|i| format!("s{i}")).collect();
        let attributes: BTreeMap<String, String> = (0..=MAX_ATTRIBUTES)
            .map(|i| (format!("k{i}"), String::new()))
            .collect();
        let crowded = CustomerProfile {
            segments,
            attributes,
            ..CustomerProfile::default()
        };
        let problems = crowded.validate(today()).expect_err("too many");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/segments", "/attributes"]);
    }

    #[test]
    fn what_the_basket_sends_wins_over_the_stored_profile() {
        let stored = profile(serde_json::json!({
            "loyalty_tier": "gold",
            "segments": ["card-holder"],
            "birthdate": "1988-04-12",
            "attributes": { "store": "lyon", "lang": "fr" },
            "consent": { "email": true },
        }));
        let only_id: Customer =
            serde_json::from_value(serde_json::json!({ "id": "c-1" })).expect("customer");
        let priced = stored.under(&only_id);
        assert_eq!(priced.id, "c-1");
        assert_eq!(priced.loyalty_tier.as_deref(), Some("gold"));
        assert_eq!(priced.segments, ["card-holder"]);
        assert_eq!(priced.birthdate, NaiveDate::from_ymd_opt(1988, 4, 12));
        assert_eq!(priced.attributes.len(), 2);

        let sending: Customer = serde_json::from_value(serde_json::json!({
            "id": "c-1",
            "loyalty_tier": "silver",
            "segments": ["staff"],
            "birthdate": "1990-01-01",
            "attributes": { "store": "paris" },
        }))
        .expect("customer");
        let priced = stored.under(&sending);
        assert_eq!(priced.loyalty_tier.as_deref(), Some("silver"));
        assert_eq!(priced.segments, ["staff"]);
        assert_eq!(priced.birthdate, NaiveDate::from_ymd_opt(1990, 1, 1));
        assert_eq!(priced.attributes["store"], "paris");
        assert_eq!(priced.attributes["lang"], "fr");
    }
}
