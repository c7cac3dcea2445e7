//! Events and webhook subscriptions (`POST /v1/webhooks`): the event types Remise tells
//! other tools about, and a subscription checked on its own, each problem at its pointer:
//! an http or https URL, known event types. Whether the URL's host may be reached (no
//! loopback, link-local or private address) needs name resolution, so the host checks it
//! with [`forbidden_address`].

use crate::field_problem::FieldProblem;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest webhook URL accepted, in bytes.
pub const MAX_URL_BYTES: usize = 2_048;

/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 256;

/// What happened, as a webhook's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    /// A distribution handed a personal code to a customer.
    #[serde(rename = "coupon.assigned")]
    CouponAssigned,
    /// A commit issued a reward (a personal code of another campaign).
    #[serde(rename = "reward.issued")]
    RewardIssued,
    /// An order was committed.
    #[serde(rename = "redemption.committed")]
    RedemptionCommitted,
    /// An order was cancelled.
    #[serde(rename = "redemption.cancelled")]
    RedemptionCancelled,
    /// Lines of an order were returned.
    #[serde(rename = "redemption.returned")]
    RedemptionReturned,
    /// A campaign reached its budget or its redemption cap.
    #[serde(rename = "campaign.objective_met")]
    CampaignObjectiveMet,
    /// A campaign's budget used passed the server's alert threshold.
    #[serde(rename = "campaign.budget_low")]
    CampaignBudgetLow,
    /// A campaign ended: its end time passed, or it was ended.
    #[serde(rename = "campaign.ended")]
    CampaignEnded,
}

impl EventType {
    /// Every type, in the order the docs list them.
    pub const ALL: [EventType; 8] = [
        EventType::CouponAssigned,
        EventType::RewardIssued,
        EventType::RedemptionCommitted,
        EventType::RedemptionCancelled,
        EventType::RedemptionReturned,
        EventType::CampaignObjectiveMet,
        EventType::CampaignBudgetLow,
        EventType::CampaignEnded,
    ];

    /// Its name, as written in a delivery and a subscription.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CouponAssigned => "coupon.assigned",
            EventType::RewardIssued => "reward.issued",
            EventType::RedemptionCommitted => "redemption.committed",
            EventType::RedemptionCancelled => "redemption.cancelled",
            EventType::RedemptionReturned => "redemption.returned",
            EventType::CampaignObjectiveMet => "campaign.objective_met",
            EventType::CampaignBudgetLow => "campaign.budget_low",
            EventType::CampaignEnded => "campaign.ended",
        }
    }

    /// The type named `name`, if any.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// Which events a webhook receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subscription {
    /// Every type, present and future (`["*"]`).
    All,
    /// These types, each once, in the order of [`EventType::ALL`].
    Only(Vec<EventType>),
}

impl Subscription {
    /// Whether it receives events of type `kind`.
    pub fn receives(&self, kind: EventType) -> bool {
        match self {
            Subscription::All => true,
            Subscription::Only(kinds) => kinds.contains(&kind),
        }
    }

    /// The names, as stored and shown: `["*"]`, or each type's name.
    pub fn names(&self) -> Vec<String> {
        match self {
            Subscription::All => vec!["*".into()],
            Subscription::Only(kinds) => kinds.iter().map(|k| k.as_str().to_string()).collect(),
        }
    }

    /// The subscription stored as `names` ([`Subscription::names`]); unknown names (of a
    /// later version) are left out.
    pub fn from_names(names: &[String]) -> Subscription {
        if names.iter().any(|name| name == "*") {
            return Subscription::All;
        }
        let mut kinds: Vec<EventType> = names.iter().filter_map(|n| EventType::parse(n)).collect();
        kinds.sort_unstable();
        kinds.dedup();
        Subscription::Only(kinds)
    }
}

/// The body of `POST /v1/webhooks`, as sent.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// Where deliveries are POSTed: an http or https URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The event types it receives, or `["*"]`.
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// A note for people.
    #[serde(default)]
    pub description: Option<String>,
}

/// A checked subscription; its host is still to be resolved and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWebhook {
    /// The URL, parsed.
    pub url: url::Url,
    /// What it receives.
    pub events: Subscription,
    /// A note for people (possibly empty).
    pub description: String,
}

impl WebhookRequest {
    /// The subscription, or every problem at its pointer: a URL of at most
    /// [`MAX_URL_BYTES`] with the scheme http or https, a host, no user name or password
    /// and no fragment; at least one event, each a known type or `*`; a description of at
    /// most [`MAX_DESCRIPTION_CHARS`] characters.
    pub fn validate(self) -> Result<NewWebhook, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let url = match self.url {
            None => {
                problems.push(FieldProblem::new("/url", "is required"));
                None
            }
            Some(text) => match check_url(&text) {
                Ok(url) => Some(url),
                Err(why) => {
                    problems.push(FieldProblem::new("/url", why));
                    None
                }
            },
        };
        let events = match self.events {
            None => {
                problems.push(FieldProblem::new("/events", "is required"));
                None
            }
            Some(names) if names.is_empty() => {
                problems.push(FieldProblem::new(
                    "/events",
                    "must list an event type, or \"*\" for every type",
                ));
                None
            }
            Some(names) => {
                for (i, name) in names.iter().enumerate() {
                    if name != "*" && EventType::parse(name).is_none() {
                        problems.push(FieldProblem::new(
                            format!("/events/{i}"),
                            format!(
                                "unknown event type {name:?}: one of {}, or \"*\"",
                                EventType::ALL.map(EventType::as_str).join(", ")
                            ),
                        ));
                    }
                }
                Some(Subscription::from_names(&names))
            }
        };
        let description = self.description.unwrap_or_default();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            problems.push(FieldProblem::new(
                "/description",
                format!("at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        } else if description.contains('\0') {
            problems.push(FieldProblem::new("/description", "must not contain NUL"));
        }
        match (url, events) {
            (Some(url), Some(events)) if problems.is_empty() => Ok(NewWebhook {
                url,
                events,
                description,
            }),
            _ => Err(problems),
        }
    }
}

/// `text` as a webhook URL, or why not.
fn check_url(text: &str) -> Result<url::Url, String> {
    if text.len() > MAX_URL_BYTES {
        return Err(format!("at most {MAX_URL_BYTES} bytes"));
    }
    let url = url::Url::parse(text).map_err(|why| format!("not a URL: {why}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme must be http or https, not {:?}",
            url.scheme()
        ));
    }
    if url.host().is_none() {
        return Err("must name a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password: deliveries are signed".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    Ok(url)
}

/// Why a delivery may not go to `address` unless private addresses are allowed: loopback,
/// unspecified, link-local (cloud metadata endpoints live there), private (RFC 1918,
/// unique-local IPv6), shared (carrier-grade NAT), broadcast, multicast, documentation or
/// reserved; IPv4 addresses mapped into IPv6 are judged as IPv4. `None`: a public address.
pub fn forbidden_address(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = address.octets();
    if address.is_loopback() {
        Some("a loopback address")
    } else if address.is_unspecified() || a == 0 {
        Some("an unspecified address")
    } else if address.is_link_local() {
        Some("a link-local address")
    } else if address.is_private() {
        Some("a private address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (carrier-grade NAT) address")
    } else if address.is_broadcast() || address.is_multicast() || a >= 240 {
        Some("a broadcast, multicast or reserved address")
    } else if address.is_documentation() || (a == 198 && (b == 18 || b == 19)) {
        Some("a documentation or benchmarking address")
    } else {
        None
    }
}

fn forbidden_v6(address: Ipv6Addr) -> Option<&'static str> {
    let first = address.segments()[0];
    if address.is_loopback() {
        Some("a loopback address")
    } else if address.is_unspecified() {
        Some("an unspecified address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a private (unique local) address")
    } else if address.is_multicast() {
        Some("a multicast address")
    } else if first == 0x2001 && address.segments()[1] == 0x0db8 {
        Some("a documentation address")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(body: serde_json::Value) -> Result<NewWebhook, Vec<String>> {
        let request: WebhookRequest = serde_json::from_value(body).expect("a request");
        request
            .validate()
            .map_err(|problems| problems.into_iter().map(|p| p.pointer).collect())
    }

    #[test]
    fn a_webhook_names_an_http_url_and_known_events() {
        let hook = check(json!({ "url": "https://crm.example/hooks?x=1",
                                 "events": ["reward.issued", "coupon.assigned", "reward.issued"] }))
        .expect("valid");
        assert_eq!(
            hook.events,
            Subscription::Only(vec![EventType::CouponAssigned, EventType::RewardIssued])
        );
        assert!(!hook.events.receives(EventType::CampaignEnded));
        let all = check(json!({ "url": "http://crm.example", "events": ["*"] })).expect("valid");
        assert!(all.events.receives(EventType::CampaignEnded));
        assert_eq!(all.events.names(), vec!["*".to_string()]);
        assert_eq!(
            check(json!({})),
            Err(vec!["/url".to_string(), "/events".to_string()])
        );
        for url in [
            "ftp://crm.example/",
            "file:///etc/passwd",
            "not a url",
            "https://user:pw@crm.example/",
            "https://crm.example/#x",
        ] {
            assert_eq!(
                check(json!({ "url": url, "events": ["*"] })),
                Err(vec!["/url".to_string()]),
                "{url}"
            );
        }
        assert_eq!(
            check(json!({ "url": "https://crm.example", "events": ["*", "order.paid"] })),
            Err(vec!["/events/1".to_string()])
        );
        assert_eq!(
            check(json!({ "url": "https://crm.example", "events": [] })),
            Err(vec!["/events".to_string()])
        );
        assert_eq!(
            check(json!({ "url": "https://crm.example", "events": ["*"],
                          "description": "x".repeat(257) })),
            Err(vec!["/description".to_string()])
        );
    }

    #[test]
    fn private_loopback_and_link_local_addresses_are_forbidden() {
        for forbidden in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            let address: IpAddr = forbidden.parse().expect("an address");
            assert!(forbidden_address(address).is_some(), "{forbidden}");
        }
        for public in [
            "93.184.215.14",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let address: IpAddr = public.parse().expect("an address");
            assert_eq!(forbidden_address(address), None, "{public}");
        }
    }

    #[test]
    fn every_type_reads_back_by_its_name() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).expect("json"),
                json!(kind.as_str())
            );
        }
    }
}
