//! The prefilter, step 2 of the evaluation (docs/api.md): whether a campaign is a candidate for a
//! basket, decided natively in the host before any plugin runs, and if not, which condition
//! failed, in words marketing can read.

use crate::model::campaign::{Audience, Campaign, Schedule, Status, Weekday};
use crate::model::Basket;
use crate::runtime::RunError;
use chrono::{DateTime, Datelike, FixedOffset, NaiveTime, Offset, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::fmt::Display;

/// How many entries of a campaign's list a detail names before it cuts the list short.
const LISTED: usize = 10;

/// the API's machine-readable reason why a campaign did not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A targeting or schedule condition does not hold, or the basket is not in its
    /// budget's currency.
    NotEligible,
    /// Another campaign won its group, or an exclusive campaign won.
    LostConflict,
    /// Its budget is spent.
    BudgetExhausted,
    /// A redemption cap or a per-customer cap is reached.
    LimitReached,
    /// The plugin trapped or reported an error.
    PluginError,
    /// The plugin ran out of fuel.
    FuelExhausted,
    /// The plugin exceeded its memory limit.
    MemoryExceeded,
    /// The plugin ran past its deadline.
    Timeout,
    /// The plugin's answer broke the contract.
    InvalidEffects,
    /// Its check failed on this host (its plugin is missing here, or refused or could not
    /// check its params), so it runs on no basket here; its campaign's `set_aside` says
    /// why.
    Suspended,
}

impl Reason {
    /// The reason of a failed plugin run.
    pub fn from_run_error(e: &RunError) -> Reason {
        match e.reason() {
            "fuel_exhausted" => Reason::FuelExhausted,
            "memory_exceeded" => Reason::MemoryExceeded,
            "timeout" => Reason::Timeout,
            "invalid_effects" => Reason::InvalidEffects,
            _ => Reason::PluginError,
        }
    }
}

/// Why a campaign did not apply: the reason and a human sentence such as
/// `loyalty tier gold not in [platinum]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    /// Machine-readable.
    pub reason: Reason,
    /// For people.
    pub detail: String,
}

impl Rejection {
    /// A rejection for `reason`.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }

    /// A failed targeting or schedule condition.
    pub fn not_eligible(detail: impl Into<String>) -> Self {
        Self::new(Reason::NotEligible, detail)
    }
}

/// Whether `campaign` is a candidate for `request` at instant `at`. Conditions are checked
/// in this order and the first that fails is reported: status, schedule (start, end, days
/// of week, hours), channel, store, audience (customers, segments, loyalty tiers,
/// attributes), coupon. Budgets and caps are not checked here.
pub fn check(campaign: &Campaign, request: &Basket, at: DateTime<Utc>) -> Result<(), Rejection> {
    check_in(campaign, campaign.schedule.timezone(), request, at)
}

/// [`check`] for a campaign whose time zone, `zone`, is already parsed.
pub fn check_in(
    campaign: &Campaign,
    zone: Tz,
    request: &Basket,
    at: DateTime<Utc>,
) -> Result<(), Rejection> {
    if campaign.status != Status::Active {
        return Err(Rejection::not_eligible(format!(
            "status is {}",
            campaign.status.as_str()
        )));
    }
    if !in_schedule(&campaign.schedule, zone, at) {
        schedule(campaign, zone, at)?;
    }
    audience(&campaign.audience, request)?;
    // Any code will do for now: matching the campaign's own codes, and counting their
    // uses, comes with coupon management.
    if campaign.coupon_required && request.coupons.is_empty() {
        return Err(Rejection::not_eligible("coupon required, basket has none"));
    }
    Ok(())
}

/// The UTC offset, in minutes, of a campaign's time zone `zone` at `at` (60 in Paris in
/// winter, 120 in summer); plugins receive it to reason in local time.
pub fn offset_minutes(zone: Tz, at: DateTime<Utc>) -> i32 {
    at.with_timezone(&zone).offset().fix().local_minus_utc() / 60
}

/// Whether `schedule`, whose time zone is `zone`, holds at `at`: what [`schedule`] checks,
/// without writing why not.
pub fn in_schedule(schedule: &Schedule, zone: Tz, at: DateTime<Utc>) -> bool {
    if schedule.starts_at.is_some_and(|start| at < start)
        || schedule.ends_at.is_some_and(|end| at > end)
    {
        return false;
    }
    if schedule.days_of_week.is_empty() && schedule.hours.is_empty() {
        return true;
    }
    let local = at.with_timezone(&zone);
    let days = &schedule.days_of_week;
    let hours = &schedule.hours;
    (days.is_empty() || days.contains(&Weekday::from(local.weekday())))
        && (hours.is_empty() || hours.iter().any(|h| h.contains(local.time())))
}

/// Why `campaign`'s schedule does not hold at `at`, or `Ok` when it does.
fn schedule(campaign: &Campaign, zone: Tz, at: DateTime<Utc>) -> Result<(), Rejection> {
    let schedule = &campaign.schedule;
    let (local, tz) = (at.with_timezone(&zone), zone.name());
    let stamp = |t: DateTime<FixedOffset>| t.to_rfc3339_opts(SecondsFormat::AutoSi, false);
    let fail = |what: String| {
        let when = stamp(local.fixed_offset());
        Err(Rejection::not_eligible(format!(
            "{what}, basket at {when} ({tz})"
        )))
    };
    if let Some(start) = schedule.starts_at.filter(|start| at < *start) {
        return fail(format!("not started: starts at {}", stamp(start)));
    }
    if let Some(end) = schedule.ends_at.filter(|end| at > *end) {
        return fail(format!("ended: ends at {}", stamp(end)));
    }
    let (day, time) = (Weekday::from(local.weekday()), local.time());
    let days = &schedule.days_of_week;
    if !days.is_empty() && !days.contains(&day) {
        let days = list(days.iter().map(|d| d.as_str()));
        let day = day.as_str();
        return Err(Rejection::not_eligible(format!(
            "local day {day} not in {days} ({tz})"
        )));
    }
    let hours = &schedule.hours;
    if !hours.is_empty() && !hours.iter().any(|h| h.contains(time)) {
        let hhmm = |t: NaiveTime| t.format("%H:%M");
        let hours = list(
            hours
                .iter()
                .map(|h| format!("{}-{}", hhmm(h.from), hhmm(h.to))),
        );
        let time = hhmm(time);
        return Err(Rejection::not_eligible(format!(
            "local time {time} not in {hours} ({tz})"
        )));
    }
    Ok(())
}

fn audience(a: &Audience, request: &Basket) -> Result<(), Rejection> {
    let customer = request.customer.as_ref();
    let anonymous = |what: &str| format!("anonymous basket, campaign targets {what}");
    one_of("channel", Some(&request.channel), &a.channels, String::new)?;
    let no_store = || "no store, campaign targets".to_string();
    one_of("store", request.store.as_ref(), &a.stores, no_store)?;
    let id = customer.map(|c| &c.id);
    one_of("customer", id, &a.customers, || anonymous("customers"))?;
    if !a.segments.is_empty() {
        let held = customer.map(|c| &c.segments);
        if !held.is_some_and(|held| held.iter().any(|s| a.segments.contains(s))) {
            let targets = list(&a.segments);
            return Err(Rejection::not_eligible(match held {
                None => format!("{} {targets}", anonymous("segments")),
                Some(held) if held.is_empty() => {
                    format!("customer has no segment, campaign targets {targets}")
                }
                Some(held) => format!("none of segments {} in {targets}", list(held)),
            }));
        }
    }
    let absent = |what: &str, none: String| match customer {
        None => anonymous(what),
        Some(_) => none,
    };
    let tier = customer.and_then(|c| c.loyalty_tier.as_ref());
    one_of("loyalty tier", tier, &a.loyalty_tiers, || {
        absent("loyalty tiers", "no loyalty tier, campaign targets".into())
    })?;
    for (key, values) in &a.attributes {
        let value = customer.and_then(|c| c.attributes.get(key));
        one_of(format_args!("attribute {key}"), value, values, || {
            absent(
                &format!("attribute {key}"),
                format!("no attribute {key}, campaign targets"),
            )
        })?;
    }
    Ok(())
}

/// Holds when `targets` is empty (everyone) or lists `value`. Otherwise the detail is
/// `{what} {value} not in [targets]`, or `{absent()} [targets]` when there is no value.
fn one_of(
    what: impl Display,
    value: Option<&String>,
    targets: &[String],
    absent: impl FnOnce() -> String,
) -> Result<(), Rejection> {
    match value {
        _ if targets.is_empty() => Ok(()),
        Some(value) if targets.contains(value) => Ok(()),
        Some(value) => Err(format!("{what} {value} not in {}", list(targets))),
        None => Err(format!("{} {}", absent(), list(targets))),
    }
    .map_err(Rejection::not_eligible)
}

/// `[a, b, c]`, cut after [`LISTED`] entries: `[a, …, j, … 90 more]`.
fn list<T: Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut shown = Vec::new();
    let mut more = 0usize;
    for item in items {
        if shown.len() < LISTED {
            shown.push(item.to_string());
        } else {
            more += 1;
        }
    }
    if more > 0 {
        shown.push(format!("… {more} more"));
    }
    format!("[{}]", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn merged(mut base: Value, patch: Value) -> Value {
        if let (Some(target), Some(fields)) = (base.as_object_mut(), patch.as_object()) {
            target.extend(fields.clone());
        }
        base
    }

    /// An active campaign with `patch` merged in; it must validate.
    fn campaign(patch: Value) -> Campaign {
        let base =
            json!({ "id": "c", "name": "C", "plugin": "p", "params": {}, "status": "active" });
        let campaign: Campaign = serde_json::from_value(merged(base, patch)).expect("campaign");
        campaign.validate().expect("valid campaign");
        campaign
    }

    fn basket(patch: Value) -> Basket {
        let base = json!({ "currency": "EUR", "channel": "web",
                           "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "9" } ] });
        serde_json::from_value(merged(base, patch)).expect("basket")
    }

    /// `Ok(())`, or the detail of a `not_eligible` rejection.
    fn outcome(campaign: &Campaign, basket: &Basket, at: &str) -> Result<(), String> {
        let at: DateTime<Utc> = at.parse().expect("instant");
        check(campaign, basket, at).map_err(|rejection| {
            assert_eq!(rejection.reason, Reason::NotEligible);
            rejection.detail
        })
    }

    /// Checks an anonymous web basket at instant `at`: `""` expects a candidate, any other
    /// text the detail of the rejection.
    fn expect(campaign: &Campaign, at: &str, detail: &str) {
        let want = Some(detail).filter(|d| !d.is_empty()).map(String::from);
        let got = outcome(campaign, &basket(json!({})), at).err();
        assert_eq!(got, want, "at {at}");
    }

    const NOON: &str = "2026-03-08T12:00:00Z";

    #[test]
    fn only_active_campaigns_are_candidates() {
        expect(&campaign(json!({})), NOON, "");
        for status in ["draft", "paused", "ended"] {
            let c = campaign(json!({ "status": status }));
            expect(&c, NOON, &format!("status is {status}"));
        }
    }

    #[test]
    fn start_and_end_are_instants_and_both_inclusive() {
        let c = campaign(json!({ "schedule": { "timezone": "Europe/Paris",
            "starts_at": "2026-03-08T00:00:00+01:00", "ends_at": "2026-03-08T23:59:59+01:00" } }));
        let basket_at = |local: &str| format!("basket at 2026-03-{local}+01:00 (Europe/Paris)");
        let early = "not started: starts at 2026-03-08T00:00:00+01:00";
        expect(
            &c,
            "2026-03-07T22:59:59Z",
            &format!("{early}, {}", basket_at("07T23:59:59")),
        );
        expect(&c, "2026-03-07T23:00:00Z", "");
        expect(&c, "2026-03-08T22:59:59Z", "");
        let late = "ended: ends at 2026-03-08T23:59:59+01:00";
        expect(
            &c,
            "2026-03-08T23:00:00Z",
            &format!("{late}, {}", basket_at("09T00:00:00")),
        );
    }

    #[test]
    fn days_of_week_are_local_days_of_the_campaign_timezone() {
        // 8 March 2026 is a Sunday.
        let schedule = json!({ "timezone": "Europe/Paris", "days_of_week": ["sun"] });
        let c = campaign(json!({ "schedule": schedule }));
        expect(
            &c,
            "2026-03-07T22:59:59Z",
            "local day sat not in [sun] (Europe/Paris)",
        );
        expect(&c, "2026-03-07T23:00:00Z", "");
        expect(&c, "2026-03-08T22:59:59Z", "");
        expect(
            &c,
            "2026-03-08T23:00:00Z",
            "local day mon not in [sun] (Europe/Paris)",
        );
        // Without a time zone, days are UTC days: 23:00Z on the 7th is still Saturday.
        let utc = campaign(json!({ "schedule": { "days_of_week": ["sun"] } }));
        expect(
            &utc,
            "2026-03-07T23:00:00Z",
            "local day sat not in [sun] (UTC)",
        );
    }

    #[test]
    fn happy_hour_follows_winter_and_summer_time() {
        let c = campaign(json!({ "schedule": { "timezone": "Europe/Paris",
            "hours": [ { "from": "17:00", "to": "19:00" } ] } }));
        let not_in = |time: &str| format!("local time {time} not in [17:00-19:00] (Europe/Paris)");
        expect(&c, "2026-01-15T15:59:59Z", &not_in("16:59"));
        expect(&c, "2026-01-15T16:30:00Z", "");
        expect(&c, "2026-01-15T18:30:00Z", &not_in("19:30"));
        expect(&c, "2026-07-15T15:30:00Z", "");
        expect(&c, "2026-07-15T16:30:00Z", "");
        expect(&c, "2026-07-15T17:00:00Z", &not_in("19:00"));
    }

    #[test]
    fn a_range_crossing_midnight_holds_on_each_local_day_it_covers() {
        // Friday 6 March 2026, Paris in winter (UTC+1); the day is the local date at the instant.
        let c = campaign(json!({ "schedule": { "timezone": "Europe/Paris",
            "days_of_week": ["fri"], "hours": [ { "from": "22:00", "to": "02:00" } ] } }));
        let not_in = |time: &str| format!("local time {time} not in [22:00-02:00] (Europe/Paris)");
        expect(&c, "2026-03-06T20:59:00Z", &not_in("21:59"));
        expect(&c, "2026-03-06T21:00:00Z", "");
        expect(&c, "2026-03-06T22:59:59Z", "");
        expect(&c, "2026-03-06T00:30:00Z", "");
        expect(&c, "2026-03-06T01:00:00Z", &not_in("02:00"));
        expect(
            &c,
            "2026-03-07T00:30:00Z",
            "local day sat not in [fri] (Europe/Paris)",
        );
        let two = campaign(json!({ "schedule": { "hours": [
            { "from": "09:00", "to": "12:00" }, { "from": "14:00", "to": "18:00" } ] } }));
        expect(&two, "2026-03-06T15:00:00Z", "");
        let detail = "local time 13:00 not in [09:00-12:00, 14:00-18:00] (UTC)";
        expect(&two, "2026-03-06T13:00:00Z", detail);
    }

    #[test]
    fn every_audience_condition_matches_or_names_what_failed() {
        let c = campaign(
            json!({ "audience": { "channels": ["store"], "stores": ["paris-rivoli"],
            "customers": ["c-123", "c-9"], "segments": ["card-holder", "vip"],
            "loyalty_tiers": ["gold", "platinum"], "attributes": { "gender": ["f"] } } }),
        );
        let full = json!({ "channel": "store", "store": "paris-rivoli",
            "customer": { "id": "c-123", "loyalty_tier": "gold", "segments": ["card-holder"],
                          "attributes": { "gender": "f" } } });
        // `full` with the field at `pointer` set to `value`, or removed when it is null.
        let with = |pointer: &str, value: Value| {
            let mut patch = full.clone();
            let (parent, key) = pointer.rsplit_once('/').expect("pointer");
            let object = patch
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .expect("parent");
            match value {
                Value::Null => object.remove(key),
                value => object.insert(key.into(), value),
            };
            outcome(&c, &basket(patch), NOON)
        };
        assert_eq!(outcome(&c, &basket(full.clone()), NOON), Ok(()));
        assert_eq!(with("/customer/segments", json!(["x", "vip"])), Ok(()));
        let no = |detail: &str| Err(detail.to_string());
        let none = Value::Null;
        assert_eq!(
            with("/channel", json!("web")),
            no("channel web not in [store]")
        );
        assert_eq!(
            with("/store", json!("lyon")),
            no("store lyon not in [paris-rivoli]")
        );
        assert_eq!(
            with("/store", none.clone()),
            no("no store, campaign targets [paris-rivoli]")
        );
        assert_eq!(
            with("/customer/id", json!("c-1")),
            no("customer c-1 not in [c-123, c-9]")
        );
        let anonymous = "anonymous basket, campaign targets customers [c-123, c-9]";
        assert_eq!(with("/customer", none.clone()), no(anonymous));
        let segments = "none of segments [x, y] in [card-holder, vip]";
        assert_eq!(with("/customer/segments", json!(["x", "y"])), no(segments));
        let segments = "customer has no segment, campaign targets [card-holder, vip]";
        assert_eq!(with("/customer/segments", none.clone()), no(segments));
        let tier = "loyalty tier silver not in [gold, platinum]";
        assert_eq!(with("/customer/loyalty_tier", json!("silver")), no(tier));
        let tier = "no loyalty tier, campaign targets [gold, platinum]";
        assert_eq!(with("/customer/loyalty_tier", none.clone()), no(tier));
        let gender = json!({ "gender": "m" });
        let attribute = "attribute gender m not in [f]";
        assert_eq!(with("/customer/attributes", gender), no(attribute));
        let attribute = "no attribute gender, campaign targets [f]";
        assert_eq!(with("/customer/attributes", none), no(attribute));
    }

    #[test]
    fn anonymous_baskets_match_only_audiences_that_need_no_customer() {
        expect(&campaign(json!({ "audience": {} })), NOON, "");
        let attributes = json!({ "attributes": { "gender": ["f", "m"] } });
        for (audience, targets) in [
            (json!({ "segments": ["vip"] }), "segments [vip]"),
            (json!({ "loyalty_tiers": ["gold"] }), "loyalty tiers [gold]"),
            (attributes, "attribute gender [f, m]"),
        ] {
            let c = campaign(json!({ "audience": audience }));
            expect(
                &c,
                NOON,
                &format!("anonymous basket, campaign targets {targets}"),
            );
        }
    }

    #[test]
    fn coupon_required_needs_a_code() {
        let c = campaign(json!({ "coupon_required": true }));
        expect(&c, NOON, "coupon required, basket has none");
        let coupon = basket(json!({ "coupons": ["WELCOME10"] }));
        assert_eq!(outcome(&c, &coupon, NOON), Ok(()));
    }

    #[test]
    fn the_first_failing_condition_is_reported() {
        let all = json!({ "coupon_required": true, "audience": { "channels": ["store"] },
                          "schedule": { "days_of_week": ["mon"] } });
        let paused = campaign(merged(all.clone(), json!({ "status": "paused" })));
        expect(&paused, NOON, "status is paused");
        let c = campaign(all);
        expect(&c, NOON, "local day sun not in [mon] (UTC)");
        expect(&c, "2026-03-09T12:00:00Z", "channel web not in [store]");
        let store = basket(json!({ "channel": "store" }));
        let monday = "2026-03-09T12:00:00Z";
        assert_eq!(
            outcome(&c, &store, monday),
            Err("coupon required, basket has none".into())
        );
    }

    #[test]
    fn local_offset_follows_the_campaign_timezone() {
        for (zone, at, minutes) in [
            ("Europe/Paris", "2026-01-15T12:00:00Z", 60),
            ("Europe/Paris", "2026-07-15T12:00:00Z", 120),
            ("Asia/Kathmandu", "2026-07-15T12:00:00Z", 345),
            ("America/New_York", "2026-01-15T12:00:00Z", -300),
            ("UTC", "2026-07-15T12:00:00Z", 0),
        ] {
            let c = campaign(json!({ "schedule": { "timezone": zone } }));
            let at = at.parse().expect("instant");
            assert_eq!(
                offset_minutes(c.schedule.timezone(), at),
                minutes,
                "{zone} {at}"
            );
        }
        let utc = campaign(json!({}));
        assert_eq!(
            offset_minutes(utc.schedule.timezone(), NOON.parse().expect("i")),
            0
        );
    }

    #[test]
    fn run_errors_map_to_their_reasons() {
        let errors = [
            RunError::Trap {
                message: "x".into(),
            },
            RunError::FuelExhausted { limit: 1 },
            RunError::MemoryExceeded { limit: 1 },
            RunError::Timeout { limit_ms: 50 },
            RunError::InvalidEffects { detail: "x".into() },
            RunError::Plugin {
                kind: "failed",
                message: "x".into(),
            },
            RunError::Unavailable {
                message: "x".into(),
            },
        ];
        for error in &errors {
            let reason = serde_json::to_value(Reason::from_run_error(error)).expect("json");
            assert_eq!(reason, json!(error.reason()));
        }
        let rejection = serde_json::to_value(Rejection::not_eligible("status is draft"));
        let want = json!({ "reason": "not_eligible", "detail": "status is draft" });
        assert_eq!(rejection.expect("json"), want);
    }

    #[test]
    fn long_lists_are_cut_short() {
        assert_eq!(list(0..12), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … 2 more]");
        assert_eq!(list(Vec::<String>::new()), "[]");
    }
}
