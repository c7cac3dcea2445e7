//! Personal codes handed out in bulk (`POST /v1/campaigns/{id}/distributions`): to whom (a
//! list of customer ids, or a segment of the stored profiles), under which consent, and
//! what the codes look like; checked on their own, each problem at its pointer.

use crate::basket::text;
use crate::coupon::{check_prefix, normalize, MAX_USES_PER_CODE};
use crate::customer::Consent;
use crate::field_problem::FieldProblem;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use std::collections::HashSet;

/// The most customers one request may list.
pub const MAX_LISTED: usize = 100_000;

/// The body of a distribution, as sent.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionRequest {
    /// These customers (ids), whether or not a profile is stored for them.
    #[serde(default)]
    pub customers: Option<Vec<String>>,
    /// Every stored profile in this segment.
    #[serde(default)]
    pub segment: Option<String>,
    /// Only customers whose stored profile consents to being reached this way.
    #[serde(default)]
    pub consent: Option<ConsentChannel>,
    /// What the codes start with (up to 24 of `A-Z`, `0-9`, `-`, `_`).
    #[serde(default)]
    pub prefix: Option<String>,
    /// How many redemptions each code allows; 1 when absent.
    #[serde(default)]
    pub uses_per_code: Option<u64>,
    /// When the codes stop working; never when absent.
    #[serde(default)]
    pub expires_at: Option<DateTime<FixedOffset>>,
    /// Count who would get a code, and hand out none.
    #[serde(default)]
    pub dry_run: bool,
}

/// How the codes will reach the customers, whose consent the distribution honours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentChannel {
    /// By e-mail.
    Email,
    /// By text message.
    Sms,
}

impl ConsentChannel {
    /// Whether `consent` lets the customer be reached this way.
    pub fn allowed_by(self, consent: &Consent) -> bool {
        match self {
            ConsentChannel::Email => consent.email,
            ConsentChannel::Sms => consent.sms,
        }
    }

    /// Its name, as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentChannel::Email => "email",
            ConsentChannel::Sms => "sms",
        }
    }
}

/// Who gets a code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recipients {
    /// These customer ids, each once, in the order first given.
    Listed(Vec<String>),
    /// Every stored profile in this segment.
    Segment(String),
}

/// A checked distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distribution {
    /// Who gets a code.
    pub to: Recipients,
    /// The consent each must have given, if any.
    pub consent: Option<ConsentChannel>,
    /// What the codes start with, normalized (possibly empty).
    pub prefix: String,
    /// How many redemptions each code allows.
    pub uses_per_code: u32,
    /// When the codes stop working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Count who would get a code, and hand out none.
    pub dry_run: bool,
}

impl DistributionRequest {
    /// The distribution, or every problem at its pointer: exactly one of `customers` and
    /// `segment`; ids and the segment 1 to 256 bytes without NUL; at most [`MAX_LISTED`]
    /// customers; a prefix codes may start with; 1 to 1,000,000 uses; an expiry after
    /// `now`.
    pub fn validate(self, now: DateTime<Utc>) -> Result<Distribution, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let to = match (self.customers, self.segment) {
            (Some(_), Some(_)) | (None, None) => {
                problems.push(FieldProblem::new(
                    "",
                    "name either `customers` (a list of ids) or `segment`, not both",
                ));
                None
            }
            (Some(ids), None) => {
                if ids.is_empty() {
                    problems.push(FieldProblem::new("/customers", "must list a customer"));
                } else if ids.len() > MAX_LISTED {
                    problems.push(FieldProblem::new(
                        "/customers",
                        format!("at most {MAX_LISTED} customers a request"),
                    ));
                }
                for (i, id) in ids.iter().enumerate().take(MAX_LISTED) {
                    text(&mut problems, &format!("/customers/{i}"), id, false);
                }
                let mut seen = HashSet::with_capacity(ids.len());
                let once = ids
                    .into_iter()
                    .filter(|id| seen.insert(id.clone()))
                    .collect();
                Some(Recipients::Listed(once))
            }
            (None, Some(segment)) => {
                text(&mut problems, "/segment", &segment, false);
                Some(Recipients::Segment(segment))
            }
        };
        let prefix = self.prefix.unwrap_or_default();
        if let Err(why) = check_prefix(&prefix) {
            problems.push(FieldProblem::new("/prefix", why));
        }
        let uses_per_code = self.uses_per_code.unwrap_or(1);
        if !(1..=MAX_USES_PER_CODE).contains(&uses_per_code) {
            problems.push(FieldProblem::new(
                "/uses_per_code",
                format!("must be 1 to {MAX_USES_PER_CODE}"),
            ));
        }
        let expires_at = self.expires_at.map(|at| at.with_timezone(&Utc));
        if expires_at.is_some_and(|at| at <= now) {
            problems.push(FieldProblem::new("/expires_at", "must be in the future"));
        }
        match to {
            Some(to) if problems.is_empty() => Ok(Distribution {
                to,
                consent: self.consent,
                prefix: normalize(&prefix),
                uses_per_code: u32::try_from(uses_per_code).unwrap_or(1),
                expires_at,
                dry_run: self.dry_run,
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(body: serde_json::Value) -> Result<Distribution, Vec<String>> {
        let request: DistributionRequest = serde_json::from_value(body).expect("a request");
        let now = DateTime::parse_from_rfc3339("2026-06-17T10:00:00Z")
            .expect("a time")
            .with_timezone(&Utc);
        request
            .validate(now)
            .map_err(|problems| problems.into_iter().map(|p| p.pointer).collect())
    }

    #[test]
    fn a_distribution_names_a_list_or_a_segment() {
        let listed = check(
            json!({ "customers": ["c-1", "c-2", "c-1"], "consent": "email",
                                   "prefix": "vip-" }),
        )
        .expect("valid");
        assert_eq!(
            listed.to,
            Recipients::Listed(vec!["c-1".into(), "c-2".into()])
        );
        assert_eq!(listed.prefix, "VIP-");
        assert_eq!(listed.uses_per_code, 1);
        assert_eq!(listed.consent, Some(ConsentChannel::Email));
        let segment = check(json!({ "segment": "vip" })).expect("valid");
        assert_eq!(segment.to, Recipients::Segment("vip".into()));
        assert_eq!(check(json!({})), Err(vec![String::new()]));
        assert_eq!(
            check(json!({ "customers": ["c"], "segment": "vip" })),
            Err(vec![String::new()])
        );
        assert_eq!(
            check(json!({ "customers": ["ok", ""], "prefix": "no space",
                          "uses_per_code": 0, "expires_at": "2026-06-17T11:00:00+02:00" })),
            Err(vec![
                "/customers/1".to_string(),
                "/prefix".into(),
                "/uses_per_code".into(),
                "/expires_at".into()
            ])
        );
        assert_eq!(
            check(json!({ "customers": [] })),
            Err(vec!["/customers".to_string()])
        );
    }
}
