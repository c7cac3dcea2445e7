//! The campaign of docs/api.md: one use of a plugin with its parameters, targeting, schedule,
//! limits and stacking, parsed strictly (unknown fields refused) and checked field by field.

use super::currency;
use super::field_problem::FieldProblem;
use chrono::{DateTime, FixedOffset, NaiveTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

/// The longest campaign name, in characters.
const MAX_NAME: usize = 200;
/// The longest id, plugin name or group name, in characters.
const MAX_SLUG: usize = 64;
/// The longest audience entry, in bytes (as for basket fields).
const MAX_TEXT: usize = 256;
/// The most decimals a budget may carry: the largest minor unit of ISO 4217 (CLF, UYW).
const MAX_BUDGET_DECIMALS: u32 = 4;
/// Budgets stay below 10^18, the engine's price ceiling.
const MAX_BUDGET: Decimal = Decimal::from_parts(0xA764_0000, 0x0DE0_B6B3, 0, false, 0);

/// A campaign: one enabled use of a plugin.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    /// Unique id, 1 to 64 of `a-z`, `0-9`, `_`, `-`.
    pub id: String,
    /// What marketing calls it.
    pub name: String,
    /// The plugin's name.
    pub plugin: String,
    /// The plugin version to run; the latest when absent.
    #[serde(default, with = "version", skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<semver::Version>,
    /// The plugin's parameters, checked against its schema.
    pub params: serde_json::Value,
    /// Draft when absent.
    #[serde(default)]
    pub status: Status,
    /// When it runs; always when empty.
    #[serde(default)]
    pub schedule: Schedule,
    /// Whom it targets; everyone when empty.
    #[serde(default)]
    pub audience: Audience,
    /// The basket must carry a coupon code of the campaign.
    #[serde(default)]
    pub coupon_required: bool,
    /// Lower applies first on ties and under the `priority` group policy; 100 by default.
    #[serde(default = "default_priority")]
    pub priority: i32,
    /// The exclusivity group: at most one campaign of a group applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// When it wins, no other campaign applies.
    #[serde(default)]
    pub exclusive: bool,
    /// Budget and caps.
    #[serde(default)]
    pub limits: CampaignLimits,
    /// How many days the loyalty points it grants stay usable after the order, 1 to
    /// [`MAX_POINTS_VALID_DAYS`]; forever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_valid_days: Option<u32>,
}

/// The longest points may stay usable: ten years.
pub const MAX_POINTS_VALID_DAYS: u32 = 3_650;

fn default_priority() -> i32 {
    100
}

/// Where a campaign is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being prepared; never applies.
    #[default]
    Draft,
    /// Applies to the baskets it targets.
    Active,
    /// Set aside for now; may be activated again.
    Paused,
    /// Stopped for good.
    Ended,
}

impl Status {
    /// The JSON name, such as `paused`.
    pub fn as_str(self) -> &'static str {
        ["draft", "active", "paused", "ended"][self as usize]
    }
}

/// When a campaign runs. Every condition set must hold; an empty schedule always holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Schedule {
    /// First instant it applies (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<FixedOffset>>,
    /// Last instant it applies (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<FixedOffset>>,
    /// IANA zone of `days_of_week` and `hours`, such as `Europe/Paris`; UTC when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Local days it applies on; every day when empty.
    pub days_of_week: Vec<Weekday>,
    /// Local hours it applies in; all day when empty.
    pub hours: Vec<HourRange>,
}

impl Schedule {
    /// The campaign's time zone: UTC when absent or not an IANA name (which
    /// [`Campaign::validate`] refuses).
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.timezone
            .as_deref()
            .and_then(|name| chrono_tz::Tz::from_str(name).ok())
            .unwrap_or(chrono_tz::UTC)
    }
}

/// A day of the week, `mon` to `sun`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// The JSON name, such as `mon`.
    pub fn as_str(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self as usize]
    }
}

impl From<chrono::Weekday> for Weekday {
    fn from(day: chrono::Weekday) -> Self {
        use Weekday::*;
        [Mon, Tue, Wed, Thu, Fri, Sat, Sun][day.num_days_from_monday() as usize % 7]
    }
}

/// A range of local clock time, `"HH:MM"` to `"HH:MM"`: `from` inclusive, `to` exclusive.
/// When `to` is not after `from` the range crosses midnight: `22:00`–`02:00` holds from
/// 22:00 to 23:59 and from 00:00 to 01:59, each on its own local day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HourRange {
    /// Start, inclusive.
    #[serde(with = "hhmm")]
    pub from: NaiveTime,
    /// End, exclusive.
    #[serde(with = "hhmm")]
    pub to: NaiveTime,
}

impl HourRange {
    /// Whether local clock time `time` is inside the range.
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.from < self.to {
            self.from <= time && time < self.to
        } else {
            self.from <= time || time < self.to
        }
    }
}

/// Whom a campaign targets. An empty list means everyone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Audience {
    /// Sales channels, such as `web`, `store`.
    pub channels: Vec<String>,
    /// Stores; a basket without a store does not match a non-empty list.
    pub stores: Vec<String>,
    /// Customer segments; the customer must be in at least one.
    pub segments: Vec<String>,
    /// Loyalty tiers; the customer's tier must be one of them.
    pub loyalty_tiers: Vec<String>,
    /// Customer ids.
    pub customers: Vec<String>,
    /// For each attribute, the values accepted; a customer without it does not match.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// Budget and caps of a campaign.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CampaignLimits {
    /// Total discount it may grant, in `budget_currency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<Decimal>,
    /// The ISO 4217 currency of `budget`, such as `EUR`: only baskets in it may spend the
    /// budget. Required with a budget, but absent from campaigns stored before budgets named
    /// their currency (see [`Campaign::validate_stored`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_currency: Option<String>,
    /// Total redemptions (orders) it may have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redemptions: Option<u64>,
    /// Redemptions one customer may have per `per_customer_period`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_customer: Option<u32>,
    /// The period of `per_customer`; the campaign's whole life when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_customer_period: Option<Period>,
    /// When the budget left is smaller than the discount, grant what is left instead of
    /// setting the campaign aside.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// The period of a per-customer cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// The campaign's whole life.
    Campaign,
    /// A calendar day.
    Day,
    /// A calendar week.
    Week,
    /// A calendar month.
    Month,
}

impl Campaign {
    /// Checks what serde cannot: formats, ranges, consistency. Every problem is reported,
    /// each named by its JSON pointer. What every write must pass.
    pub fn validate(&self) -> Result<(), Vec<FieldProblem>> {
        self.check(true)
    }

    /// [`Campaign::validate`] for a campaign as stored, which may have been written before
    /// budgets named their currency: a budget without `budget_currency` is accepted (it is
    /// kept in the currency of the first order that spends it). Its next write must name
    /// the currency.
    pub fn validate_stored(&self) -> Result<(), Vec<FieldProblem>> {
        self.check(false)
    }

    /// `budget_currency_required`: whether a budget must name its currency.
    fn check(&self, budget_currency_required: bool) -> Result<(), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut problem = |pointer: &str, message: &str| {
            problems.push(FieldProblem::new(pointer, message));
        };
        const SLUG: &str = "must be 1 to 64 characters of a-z, 0-9, _ and -";
        if !is_slug(&self.id, true) {
            problem("/id", SLUG);
        }
        if self.name.trim().is_empty() {
            problem("/name", "must not be empty");
        } else if self.name.chars().count() > MAX_NAME {
            problem("/name", "at most 200 characters");
        }
        if !is_slug(&self.plugin, false) {
            problem("/plugin", "must be 1 to 64 characters of a-z, 0-9 and -");
        }
        if matches!(&self.group, Some(group) if !is_slug(group, true)) {
            problem("/group", SLUG);
        }
        if self
            .points_valid_days
            .is_some_and(|days| !(1..=MAX_POINTS_VALID_DAYS).contains(&days))
        {
            problem("/points_valid_days", "must be from 1 to 3650 days");
        }

        let schedule = &self.schedule;
        if let (Some(start), Some(end)) = (schedule.starts_at, schedule.ends_at) {
            if end <= start {
                problem("/schedule/ends_at", "must be after starts_at");
            }
        }
        let zone = schedule.timezone.as_deref();
        if zone.is_some_and(|zone| chrono_tz::Tz::from_str(zone).is_err()) {
            let iana = "not an IANA time zone such as Europe/Paris";
            problem("/schedule/timezone", iana);
        }
        let mut days = HashSet::new();
        for (i, day) in schedule.days_of_week.iter().enumerate() {
            if !days.insert(*day) {
                let twice = format!("{} appears twice", day.as_str());
                problem(&format!("/schedule/days_of_week/{i}"), &twice);
            }
        }
        for (i, range) in schedule.hours.iter().enumerate() {
            if range.from == range.to {
                let differ = "must differ from `from`; a range crossing midnight ends before it";
                problem(&format!("/schedule/hours/{i}/to"), differ);
            }
        }

        let audience = &self.audience;
        for (field, list) in [
            ("channels", &audience.channels),
            ("stores", &audience.stores),
            ("segments", &audience.segments),
            ("loyalty_tiers", &audience.loyalty_tiers),
            ("customers", &audience.customers),
        ] {
            for (i, value) in list.iter().enumerate() {
                if let Some(message) = bad_text(value, false) {
                    problem(&format!("/audience/{field}/{i}"), message);
                }
            }
        }
        for (key, values) in &audience.attributes {
            let at = format!("/audience/attributes/{}", escape(key));
            if let Some(message) = bad_text(key, false) {
                problem(&at, message);
            }
            if values.is_empty() {
                problem(&at, "must list at least one value");
            }
            for (i, value) in values.iter().enumerate() {
                if let Some(message) = bad_text(value, true) {
                    problem(&format!("{at}/{i}"), message);
                }
            }
        }

        let limits = &self.limits;
        if let Some(budget) = limits.budget {
            if budget.is_sign_negative() && !budget.is_zero() {
                problem("/limits/budget", "must be 0 or more");
            } else if budget >= MAX_BUDGET || budget.scale() > MAX_BUDGET_DECIMALS {
                let bounds = "must be below 10^18 with at most 4 decimals";
                problem("/limits/budget", bounds);
            }
        }
        match (&limits.budget, &limits.budget_currency) {
            (_, Some(code)) if currency::minor_unit(code).is_none() => {
                let iso = "must be an active ISO 4217 code in upper case, such as EUR";
                problem("/limits/budget_currency", iso);
            }
            (None, Some(_)) => {
                let needs = "needs budget, the amount it is the currency of";
                problem("/limits/budget_currency", needs);
            }
            (Some(_), None) if budget_currency_required => {
                let missing = "missing: a budget names its ISO 4217 currency, such as EUR";
                problem("/limits/budget_currency", missing);
            }
            _ => {}
        }
        if limits.per_customer == Some(0) {
            problem("/limits/per_customer", "must be 1 or more");
        }
        if limits.per_customer_period.is_some() && limits.per_customer.is_none() {
            let needs = "needs per_customer, the redemptions allowed per period";
            problem("/limits/per_customer_period", needs);
        }

        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// 1 to 64 of `a-z`, `0-9`, `-`, and `_` when `underscore`.
fn is_slug(value: &str, underscore: bool) -> bool {
    !value.is_empty()
        && value.len() <= MAX_SLUG
        && value.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (underscore && b == b'_')
        })
}

fn bad_text(value: &str, may_be_empty: bool) -> Option<&'static str> {
    if value.is_empty() && !may_be_empty {
        Some("must not be empty")
    } else if value.len() > MAX_TEXT {
        Some("at most 256 bytes")
    } else {
        None
    }
}

/// Escapes one JSON pointer token (RFC 6901).
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `"HH:MM"` as a [`NaiveTime`], both ways.
mod hhmm {
    use chrono::{NaiveTime, Timelike};
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(time: &NaiveTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:02}:{:02}", time.hour(), time.minute()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveTime, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse(&text).ok_or_else(|| {
            de::Error::custom(format!(
                "invalid time {text:?}: expected \"HH:MM\" from 00:00 to 23:59"
            ))
        })
    }

    fn parse(text: &str) -> Option<NaiveTime> {
        let bytes = text.as_bytes();
        if bytes.len() != 5 || bytes[2] != b':' {
            return None;
        }
        let two = |at: usize| -> Option<u32> {
            let (a, b) = (bytes[at], bytes[at + 1]);
            (a.is_ascii_digit() && b.is_ascii_digit())
                .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        };
        NaiveTime::from_hms_opt(two(0)?, two(3)?, 0)
    }
}

/// A [`semver::Version`] as its string, such as `"1.0.0"`.
mod version {
    use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

    type Version = Option<semver::Version>;

    pub fn serialize<S: Serializer>(version: &Version, serializer: S) -> Result<S::Ok, S::Error> {
        version
            .as_ref()
            .map(ToString::to_string)
            .serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Version, D::Error> {
        let Some(text) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        semver::Version::parse(&text).map(Some).map_err(|e| {
            de::Error::custom(format!("invalid version {text:?}: {e} (expected 1.0.0)"))
        })
    }
}

/// The campaign of the spec, for tests here and in the host (feature `testing`).
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    use serde_json::{json, Value};

    /// The example campaign of docs/api.md, verbatim.
    pub fn spec_example() -> Value {
        json!({
          "id": "ten-from-100",
          "name": "10 % dès 100 €",
          "plugin": "threshold-discount",
          "plugin_version": "1.0.0",
          "params": { "tiers": [ { "min_subtotal": "100.00", "percent_off": "10" } ] },
          "status": "draft",
          "schedule": { "starts_at": "2026-03-01T00:00:00+01:00", "ends_at": "2026-03-31T23:59:59+02:00",
                        "timezone": "Europe/Paris", "days_of_week": ["fri", "sat"],
                        "hours": [ { "from": "17:00", "to": "20:00" } ] },
          "audience": { "channels": ["web", "store"], "stores": ["paris-rivoli"], "segments": ["card-holder"],
                        "loyalty_tiers": ["gold", "platinum"], "customers": [], "attributes": { "gender": ["f"] } },
          "coupon_required": false,
          "priority": 100,
          "group": "seasonal",
          "exclusive": false,
          "limits": { "budget": "5000.00", "budget_currency": "EUR", "redemptions": 1000, "per_customer": 1,
                      "per_customer_period": "campaign" }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::testing::spec_example;
    use super::*;
    use serde_json::{json, Value};

    fn minimal() -> Value {
        json!({ "id": "c1", "name": "C", "plugin": "free-gift", "params": {} })
    }

    /// `base` with `value` set at `pointer`, creating the objects on the way.
    fn with(mut base: Value, pointer: &str, value: Value) -> Value {
        let mut at = &mut base;
        for token in pointer.split('/').skip(1) {
            let object = at.as_object_mut().expect("an object on the way");
            at = object.entry(token).or_insert_with(|| json!({}));
        }
        *at = value;
        base
    }

    fn parse(value: Value) -> Result<Campaign, serde_json::Error> {
        serde_json::from_value(value)
    }

    /// The pointers of the problems of `value`.
    fn pointers(value: Value) -> Vec<String> {
        let campaign = parse(value).expect("well-formed campaign");
        let problems = campaign.validate().err().unwrap_or_default();
        problems.into_iter().map(|p| p.pointer).collect()
    }

    #[test]
    fn spec_example_parses_validates_and_round_trips() {
        let campaign = parse(spec_example()).expect("the example campaign parses");
        assert_eq!(campaign.validate(), Ok(()));
        assert_eq!(campaign.plugin_version, Some(semver::Version::new(1, 0, 0)));
        assert_eq!(campaign.schedule.timezone(), chrono_tz::Europe::Paris);
        assert_eq!(campaign.schedule.days_of_week, [Weekday::Fri, Weekday::Sat]);
        let eight_pm = NaiveTime::from_hms_opt(20, 0, 0).expect("time");
        assert_eq!(campaign.schedule.hours[0].to, eight_pm);
        assert_eq!(campaign.limits.budget, Some(Decimal::new(500_000, 2)));
        assert_eq!(campaign.limits.budget_currency.as_deref(), Some("EUR"));
        assert_eq!(campaign.limits.per_customer_period, Some(Period::Campaign));
        let back = serde_json::to_value(&campaign).expect("serializes");
        assert_eq!(back, spec_example());
    }

    #[test]
    fn only_id_name_plugin_params_are_required_and_defaults_apply() {
        let campaign = parse(minimal()).expect("minimal campaign");
        assert_eq!(campaign.validate(), Ok(()));
        assert_eq!((campaign.status, campaign.priority), (Status::Draft, 100));
        assert!(!campaign.coupon_required && !campaign.exclusive);
        assert_eq!(campaign.schedule, Schedule::default());
        assert_eq!(campaign.schedule.timezone(), chrono_tz::UTC);
        assert_eq!(campaign.audience, Audience::default());
        assert_eq!(campaign.limits, CampaignLimits::default());
        for field in ["id", "name", "plugin", "params"] {
            let mut value = minimal();
            value.as_object_mut().expect("object").remove(field);
            let error = parse(value).expect_err("required field").to_string();
            let want = format!("missing field `{field}`");
            assert!(error.contains(&want), "{error}");
        }
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let hour = json!([{ "from": "17:00", "to": "19:00", "tz": "x" }]);
        for (pointer, value, field) in [
            ("/colour", json!("red"), "colour"),
            ("/schedule/startsAt", json!("x"), "startsAt"),
            ("/audience/tiers", json!(["gold"]), "tiers"),
            ("/limits/per_order", json!(1), "per_order"),
            ("/schedule/hours", hour, "tz"),
        ] {
            let error = parse(with(minimal(), pointer, value)).expect_err("unknown field");
            let (error, want) = (error.to_string(), format!("unknown field `{field}`"));
            assert!(error.contains(&want), "{error}");
        }
    }

    #[test]
    fn malformed_values_are_refused_by_serde() {
        let hours = |from: &str| json!([{ "from": from, "to": "19:00" }]);
        for (pointer, value, words) in [
            ("/status", json!("running"), "unknown variant `running`"),
            ("/schedule/days_of_week", json!(["monday"]), "`monday`"),
            ("/schedule/hours", hours("7:00"), "invalid time \"7:00\""),
            ("/schedule/hours", hours("24:00"), "invalid time \"24:00\""),
            ("/schedule/hours", hours("17:00:00"), "invalid time"),
            ("/plugin_version", json!("1.0"), "invalid version \"1.0\""),
            ("/limits/per_customer_period", json!("year"), "`year`"),
        ] {
            let error = parse(with(minimal(), pointer, value)).expect_err("malformed");
            assert!(error.to_string().contains(words), "{error}");
        }
    }

    #[test]
    fn hours_serialize_back_as_hh_mm_and_partial_only_when_set() {
        let hours = json!([{ "from": "22:05", "to": "02:00" }]);
        let value = with(minimal(), "/schedule/hours", hours);
        let value = with(value, "/limits/partial", json!(true));
        let back = serde_json::to_value(parse(value.clone()).expect("valid")).expect("json");
        assert_eq!(back["schedule"]["hours"], value["schedule"]["hours"]);
        assert_eq!(back["limits"], json!({ "partial": true }));
    }

    #[test]
    fn every_problem_is_named_by_its_pointer() {
        // The problem is at `pointer` followed by the third text.
        let (hour, days) = (
            json!([{ "from": "17:00", "to": "17:00" }]),
            json!(["fri", "fri"]),
        );
        for (pointer, value, under) in [
            ("/id", json!(""), ""),
            ("/id", json!("Ten-From-100"), ""),
            ("/id", json!("a".repeat(65)), ""),
            ("/name", json!("  "), ""),
            ("/name", json!("n".repeat(201)), ""),
            ("/plugin", json!(""), ""),
            ("/plugin", json!("free_gift"), ""),
            ("/group", json!(""), ""),
            ("/group", json!("g".repeat(65)), ""),
            ("/schedule/timezone", json!("Mars/Olympus"), ""),
            ("/schedule/days_of_week", days, "/1"),
            ("/schedule/hours", hour, "/0/to"),
            ("/audience/channels", json!(["web", ""]), "/1"),
            ("/audience/customers", json!(["x".repeat(257)]), "/0"),
            ("/audience/attributes", json!({ "a/b": [] }), "/a~1b"),
            ("/limits/budget", json!("-0.01"), ""),
            ("/limits/budget", json!("1.00001"), ""),
            ("/limits/budget", json!("1000000000000000000"), ""),
            ("/limits/per_customer", json!(0), ""),
            ("/limits/per_customer_period", json!("day"), ""),
        ] {
            let found = pointers(with(base_for(pointer), pointer, value.clone()));
            assert_eq!(found, [format!("{pointer}{under}")], "{pointer} = {value}");
        }
    }

    /// [`minimal`], with a budget of 100.00 EUR when `pointer` is under the budget's.
    fn base_for(pointer: &str) -> Value {
        if pointer.starts_with("/limits/budget") {
            let budget = json!({ "budget": "100.00", "budget_currency": "EUR" });
            with(minimal(), "/limits", budget)
        } else {
            minimal()
        }
    }

    #[test]
    fn a_budget_names_an_iso_4217_currency() {
        let limits = |limits: Value| with(minimal(), "/limits", limits);
        let currency = "/limits/budget_currency";
        for (body, found) in [
            (json!({ "budget": "100.00" }), vec![currency]),
            (json!({ "budget_currency": "EUR" }), vec![currency]),
            (
                json!({ "budget": "100.00", "budget_currency": "EUR" }),
                vec![],
            ),
            (
                json!({ "budget": "5000", "budget_currency": "JPY" }),
                vec![],
            ),
            (
                json!({ "budget": "100.00", "budget_currency": "eur" }),
                vec![currency],
            ),
            (
                json!({ "budget": "100.00", "budget_currency": "EUX" }),
                vec![currency],
            ),
            (
                json!({ "budget": "100.00", "budget_currency": "XAU" }),
                vec![currency],
            ),
            (
                json!({ "budget": "100.00", "budget_currency": "" }),
                vec![currency],
            ),
            (
                json!({ "budget": "-1", "budget_currency": "EURO" }),
                vec!["/limits/budget", currency],
            ),
        ] {
            assert_eq!(pointers(limits(body.clone())), found, "{body}");
        }
        let error = parse(limits(json!({ "budget": "1", "budget_currency": 978 })))
            .expect_err("a number is no currency");
        assert!(error.to_string().contains("expected a string"), "{error}");

        // A campaign stored before budgets named their currency still reads and validates
        // as stored; a write must name it.
        let stored = parse(limits(json!({ "budget": "100.00" }))).expect("parses");
        assert_eq!(stored.validate_stored(), Ok(()));
        let missing = stored.validate().expect_err("a write names the currency");
        assert_eq!(missing[0].pointer, currency);
        assert!(missing[0].message.contains("ISO 4217"), "{:?}", missing[0]);
        let orphan = parse(limits(json!({ "budget_currency": "EUR" }))).expect("parses");
        assert!(orphan.validate_stored().is_err());
    }

    #[test]
    fn all_problems_are_reported_together() {
        let value = with(minimal(), "/id", json!("Bad Id"));
        let value = with(value, "/name", json!(""));
        let schedule = json!({ "starts_at": "2026-03-02T00:00:00+01:00",
            "ends_at": "2026-03-01T23:00:00Z", "timezone": "Mars/Olympus" });
        let value = with(value, "/schedule", schedule);
        let limits = json!({ "budget": "0.12345", "per_customer": 0 });
        let value = with(value, "/limits", limits);
        let expected = ["/id", "/name", "/schedule/ends_at", "/schedule/timezone"];
        let limits = [
            "/limits/budget",
            "/limits/budget_currency",
            "/limits/per_customer",
        ];
        let expected = [&expected[..], &limits[..]].concat();
        assert_eq!(pointers(value), expected);
    }

    #[test]
    fn values_at_their_bounds_are_accepted() {
        let hours = json!([{ "from": "22:00", "to": "00:00" }]);
        let limits = json!({ "budget": "0", "budget_currency": "CLF", "per_customer": 1,
                             "per_customer_period": "month" });
        for (pointer, value) in [
            ("/id", json!("a_b-".repeat(16))),
            ("/name", json!("n".repeat(200))),
            ("/group", json!("z".repeat(64))),
            ("/schedule/hours", hours),
            ("/schedule/timezone", json!("UTC")),
            ("/limits", limits),
            ("/limits/budget", json!("99.1234")),
        ] {
            let found = pointers(with(base_for(pointer), pointer, value.clone()));
            assert!(found.is_empty(), "{pointer} = {value}: {found:?}");
        }
    }

    #[test]
    fn hour_ranges_hold_from_inclusive_to_exclusive_and_may_cross_midnight() {
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").expect("time");
        for (from, to, inside, outside) in [
            ("17:00", "19:00", ["17:00", "18:59"], ["16:59", "19:00"]),
            ("22:00", "02:00", ["22:00", "01:59"], ["21:59", "02:00"]),
            ("22:00", "00:00", ["22:00", "23:59"], ["21:59", "00:00"]),
        ] {
            let range = json!({ "from": from, "to": to });
            let range: HourRange = serde_json::from_value(range).expect("range");
            assert!(inside.iter().all(|s| range.contains(t(s))), "{from}-{to}");
            assert!(!outside.iter().any(|s| range.contains(t(s))), "{from}-{to}");
        }
    }
}
