//! The schemas of the API's bodies in the OpenAPI document: types that only derive `ToSchema`, mirroring the serde shape of the model, engine and service types (which know nothing of utoipa), checked against real answers by `tests/tests/suite/openapi_answers.rs`.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::borrow::Cow;
use std::collections::BTreeMap;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// The pattern of every decimal the API writes: an optional minus, digits, and optionally
/// a point and more digits; never an exponent.
pub const DECIMAL_PATTERN: &str = r"^-?[0-9]+(\.[0-9]+)?$";

/// A decimal number written as a JSON string, never a JSON number: `"19.90"`, `"0"`,
/// `"1005"`. Amounts in answers carry exactly the decimals of the basket's currency
/// (`"297.00"` in EUR, `"1005"` in JPY). See docs/api.md, "Conventions".
// Named `DecimalString` in Rust, `Decimal` in the document: utoipa takes any type named
// `Decimal` for `rust_decimal::Decimal` and describes it inline, without the pattern.
#[derive(ToSchema)]
#[schema(
    as = Decimal,
    value_type = String,
    format = "decimal",
    pattern = r"^-?[0-9]+(\.[0-9]+)?$",
    example = "19.90"
)]
pub struct DecimalString(pub String);

/// Declares a basket body: the fields of [`crate::api::evaluate::EvaluateRequest`], after
/// the fields given first. Unknown fields are refused.
macro_rules! basket_body {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty,)* }
    ) => {
        #[derive(ToSchema)]
        $(#[$meta])*
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
            /// ISO 4217 code of every amount: three upper-case letters, such as `EUR`, of
            /// an active currency.
            #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
            pub currency: String,
            /// The sales channel, such as `web`, `store` or `app` (1 to 256 bytes).
            #[schema(min_length = 1, max_length = 256, example = "web")]
            pub channel: String,
            /// The store, for store channels (1 to 256 bytes).
            #[serde(default)]
            #[schema(min_length = 1, max_length = 256, example = "paris-rivoli")]
            pub store: Option<String>,
            /// When the basket is priced (RFC 3339 with an offset): schedules, hours,
            /// per-customer periods and plugins all use it. Now when absent.
            #[serde(default)]
            #[schema(example = "2026-03-08T17:30:00+01:00")]
            pub at: Option<DateTime<FixedOffset>>,
            /// The customer; absent for an anonymous basket.
            #[serde(default)]
            pub customer: Option<Customer>,
            /// Coupon codes the customer entered: at most 100, each 1 to 256 bytes,
            /// matched in any case.
            #[serde(default)]
            #[schema(max_items = 100, example = json!(["WELCOME10"]))]
            pub coupons: Vec<String>,
            /// The lines, which may be none: at most 1,000 by default (the server's
            /// `--max-lines`); more is one 422 problem at `/lines`.
            pub lines: Vec<Line>,
            /// Also list the campaigns the prefilter set aside, with why.
            #[serde(default)]
            #[schema(default = false)]
            pub explain: bool,
        }
    };
}

basket_body!(
    /// The body of `POST /v1/evaluate`: a basket to price, and whether to explain. Unknown
    /// fields are refused, each named by its JSON pointer. See docs/api.md, "Evaluate a
    /// basket".
    #[schema(example = json!(example_basket(None)))]
    EvaluateRequest {}
);

basket_body!(
    /// The body of `POST /v1/redemptions`: the order's id beside every field of an
    /// EvaluateRequest. Unknown fields are refused. See docs/api.md, "Redemptions".
    #[schema(example = json!(example_basket(Some("web-100234"))))]
    RedemptionRequest {
        /// The channel's id of the order, 1 to 128 bytes: the key of idempotency (the same
        /// order with the same basket answers the first answer again).
        #[schema(min_length = 1, max_length = 128, example = "web-100234")]
        order_id: String,
    }
);

/// The basket of docs/api.md's example, with `order_id` when given.
fn example_basket(order_id: Option<&str>) -> serde_json::Value {
    let mut basket = serde_json::json!({
        "currency": "EUR", "channel": "store", "store": "paris-rivoli",
        "at": "2026-03-08T17:30:00+01:00",
        "customer": { "id": "c-123", "loyalty_tier": "gold", "segments": ["card-holder"],
                      "birthdate": "1990-03-10", "attributes": { "gender": "f" } },
        "coupons": ["WELCOME10"],
        "lines": [ { "id": "1", "sku": "TSHIRT-M", "quantity": 2, "unit_price": "19.90",
                     "categories": ["apparel", "tops"], "brand": "acme",
                     "attributes": { "color": "red" } } ]
    });
    if let Some(order_id) = order_id {
        basket["order_id"] = order_id.into();
    }
    basket
}

/// The customer, as the channel knows them. Unknown fields are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The retailer's customer id (1 to 256 bytes).
    #[schema(min_length = 1, max_length = 256, example = "c-123")]
    pub id: String,
    /// Loyalty tier, such as `gold` (up to 256 bytes).
    #[serde(default)]
    #[schema(max_length = 256, example = "gold")]
    pub loyalty_tier: Option<String>,
    /// Segments, such as `card-holder` (each 1 to 256 bytes).
    #[serde(default)]
    pub segments: Vec<String>,
    /// Date of birth, `YYYY-MM-DD`.
    #[serde(default)]
    pub birthdate: Option<NaiveDate>,
    /// Free attributes, such as `gender: f` (keys 1 to 256 bytes, values up to 256).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// One line of a basket. Unknown fields are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// The channel's line id, unique in the basket (1 to 256 bytes).
    #[schema(min_length = 1, max_length = 256, example = "1")]
    pub id: String,
    /// The product's SKU (1 to 256 bytes).
    #[schema(min_length = 1, max_length = 256, example = "TSHIRT-M")]
    pub sku: String,
    /// Units, 1 to 1,000,000.
    #[schema(minimum = 1, maximum = 1_000_000, example = 2)]
    pub quantity: u32,
    /// Price of one unit: 0 or more, below 10^18, at most 9 decimals.
    pub unit_price: DecimalString,
    /// Categories of the product (each 1 to 256 bytes).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Brand of the product (up to 256 bytes).
    #[serde(default)]
    #[schema(max_length = 256)]
    pub brand: Option<String>,
    /// Free attributes of the product (keys 1 to 256 bytes, values up to 256).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// Declares a priced basket: the fields of
/// [`crate::engine::response::EvaluateResponse`], after the fields given first.
macro_rules! priced_basket {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty,)* }
    ) => {
        #[derive(ToSchema)]
        $(#[$meta])*
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
            /// Unique id of this evaluation, `ev_…`.
            #[schema(pattern = "^ev_", example = "ev_19c7f2a3b10_5e0c13a72a")]
            pub evaluation_id: String,
            /// The basket's currency.
            #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
            pub currency: String,
            /// Sum of the line subtotals.
            pub subtotal: DecimalString,
            /// Sum of every discount.
            pub discount_total: DecimalString,
            /// What the customer pays: `subtotal - discount_total`, never negative.
            pub total: DecimalString,
            /// Each line, in request order.
            pub lines: Vec<LineResult>,
            /// The campaigns that applied, in application order (`priority` ascending,
            /// then id).
            pub applied: Vec<AppliedCampaign>,
            /// Free items of the applied campaigns.
            pub gifts: Vec<GiftResult>,
            /// Loyalty points of the applied campaigns.
            pub points: Vec<PointsResult>,
            /// Loyalty points the applied campaigns spend; absent when none do.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub points_spent: Vec<PointsResult>,
            /// Rewards for a later order: promised by an evaluation, issued by a commit;
            /// absent when there are none.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub rewards: Vec<RewardResult>,
            /// Campaigns that did not apply, and why (those the prefilter set aside only
            /// when the request sets `explain`).
            pub rejected: Vec<RejectedCampaign>,
            /// Each coupon code of the basket and what became of it; absent when the
            /// basket has none.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub coupons: Vec<CouponResult>,
        }
    };
}

priced_basket!(
    /// A priced basket: totals, lines, applied campaigns with their effects, gifts, points,
    /// rejections. See docs/api.md, "Evaluate a basket: Response".
    EvaluateResponse {}
);

priced_basket!(
    /// A committed order: its `order_id` and the priced basket as committed. A retry of
    /// the same order with the same basket answers this again, as first answered.
    RedemptionResponse {
        /// The order's id, as the commit gave it.
        #[schema(example = "web-100234")]
        order_id: String,
    }
);

/// One line's money.
#[derive(ToSchema)]
pub struct LineResult {
    /// The channel's line id.
    pub id: String,
    /// Unit price × quantity.
    pub subtotal: DecimalString,
    /// Every discount on the line, its share of order discounts included.
    pub discount: DecimalString,
    /// `subtotal - discount`.
    pub total: DecimalString,
}

/// A campaign that applied.
#[derive(ToSchema)]
pub struct AppliedCampaign {
    /// Its id.
    pub campaign: String,
    /// `name@version` of the plugin version that ran.
    #[schema(example = "threshold-discount@1.0.0")]
    pub plugin: String,
    /// The coupon code (upper-case) it took; present only for a `coupon_required`
    /// campaign.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub coupon: Option<String>,
    /// What it granted, after clamping: the sum of its effects' amounts.
    pub discount: DecimalString,
    /// Each effect the plugin proposed, with the amount it came to.
    pub effects: Vec<PricedEffect>,
    /// The messages it returned.
    pub messages: Vec<String>,
    /// What its plugin's run cost and logged: only when the request asked `explain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub trace: Option<Trace>,
}

/// What one plugin's run for the basket cost and logged (`explain: true`). The campaigns of
/// one plugin run together in one sandbox, so each carries the same trace, naming them all.
#[derive(ToSchema)]
pub struct Trace {
    /// The campaigns that ran in the sandbox, in the order the plugin saw them.
    pub campaigns: Vec<String>,
    /// Sandboxes used: 1, or one more per campaign run alone after a shared run failed.
    pub sandboxes: u32,
    /// Fuel (WebAssembly instructions, roughly) the run used.
    pub fuel_used: u64,
    /// Fuel it was granted.
    pub fuel_limit: u64,
    /// Its wall time, instantiation included, in microseconds.
    pub wall_time_us: u64,
    /// The largest linear memory it had, in bytes.
    pub peak_memory_bytes: u64,
    /// What the plugin logged: the first 64 lines and 8 KiB.
    pub log: Vec<TraceLine>,
    /// Lines dropped past those bounds.
    pub log_dropped: u64,
}

/// One line a plugin logged.
#[derive(ToSchema)]
pub struct TraceLine {
    /// `debug`, `info`, `warn` or `error`.
    #[schema(pattern = "^(debug|info|warn|error)$")]
    pub level: String,
    /// What it wrote.
    pub message: String,
}

/// An effect a plugin proposed, tagged by `type`, with the `amount` it came to after
/// clamping (0 for gifts, points and messages).
#[derive(ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PricedEffect {
    /// Money off lines or the order.
    #[schema(title = "PricedDiscount")]
    Discount {
        /// What it applies to.
        target: Target,
        /// How big it is.
        value: DiscountValue,
        /// What it came to.
        amount: DecimalString,
    },
    /// A free item.
    #[schema(title = "PricedGift")]
    Gift {
        /// The gift's SKU.
        sku: String,
        /// How many, 1 to 1,000.
        #[schema(minimum = 1, maximum = 1000)]
        quantity: u32,
        /// Always 0.
        amount: DecimalString,
    },
    /// Loyalty points earned.
    #[schema(title = "PricedPoints")]
    Points {
        /// How many, at most 2^53 - 1.
        #[schema(maximum = 9_007_199_254_740_991_u64)]
        points: u64,
        /// Always 0.
        amount: DecimalString,
    },
    /// A message for the customer.
    #[schema(title = "PricedMessage")]
    Message {
        /// Its text (at most 1,024 bytes).
        text: String,
        /// Always 0.
        amount: DecimalString,
    },
    /// Loyalty points spent (contract 1.1): the campaign's discount is what they buy.
    #[schema(title = "PricedSpendPoints")]
    SpendPoints {
        /// How many, at most 2^53 - 1.
        #[schema(maximum = 9_007_199_254_740_991_u64)]
        points: u64,
        /// Always 0.
        amount: DecimalString,
    },
    /// A personal code of another campaign for a later order (contract 1.1).
    #[schema(title = "PricedIssueReward")]
    IssueReward {
        /// The campaign the code is for.
        campaign: String,
        /// Days it stays valid from the commit (1 to 3,650).
        valid_days: u32,
        /// Where it may be used; empty: wherever the campaign runs.
        channels: Vec<String>,
        /// Always 0.
        amount: DecimalString,
    },
}

/// What a discount applies to: `"order"`, or `{"lines": [...]}`.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The whole order.
    Order,
    /// Some lines, or units of them.
    Lines(Vec<LineTarget>),
}

/// Units of one line.
#[derive(ToSchema)]
pub struct LineTarget {
    /// The line's id, as the channel sent it.
    pub line: String,
    /// How many units; all of them when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 1)]
    pub units: Option<u32>,
}

/// How big a discount is: `{"percent": "10"}` (of the target, 0 to 100), `{"amount":
/// "5.00"}` (off the target as a whole) or `{"fixed_price": "40.00"}` (the target as a
/// whole sells for this).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscountValue {
    /// A percentage of the target, 0 to 100.
    Percent(DecimalString),
    /// An amount off the target as a whole.
    Amount(DecimalString),
    /// The target as a whole sells for this.
    FixedPrice(DecimalString),
}

/// A free item.
#[derive(ToSchema)]
pub struct GiftResult {
    /// The campaign that gives it.
    pub campaign: String,
    /// Its SKU.
    pub sku: String,
    /// How many.
    #[schema(minimum = 1)]
    pub quantity: u32,
}

/// Loyalty points earned.
#[derive(ToSchema)]
pub struct PointsResult {
    /// The campaign that grants them.
    pub campaign: String,
    /// How many.
    #[schema(maximum = 9_007_199_254_740_991_u64)]
    pub points: u64,
}

/// A reward for a later order: a personal code of `reward_campaign`.
#[derive(ToSchema)]
pub struct RewardResult {
    /// The campaign that grants it.
    pub campaign: String,
    /// The campaign the code is for.
    pub reward_campaign: String,
    /// Days it stays valid from the commit.
    pub valid_days: u32,
    /// Where it may be used; empty: wherever `reward_campaign` runs.
    pub channels: Vec<String>,
    /// The code, once a commit issued it.
    pub code: Option<String>,
    /// When the code stops being valid, once issued.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why a commit could not issue it.
    pub not_issued: Option<String>,
}

/// A campaign that did not apply, and why.
#[derive(ToSchema)]
pub struct RejectedCampaign {
    /// Its id.
    pub campaign: String,
    /// Machine-readable.
    pub reason: Reason,
    /// For people, such as `loyalty tier gold not in [platinum]`; lists are cut after 10
    /// entries.
    pub detail: String,
    /// What its plugin's run cost and logged, when it ran: only when the request asked
    /// `explain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub trace: Option<Trace>,
}

/// Why a campaign did not apply: `not_eligible` (a targeting, schedule, status or coupon
/// condition does not hold, the basket is not in its budget's currency, or the plugin
/// proposed nothing), `lost_conflict` (another campaign won its group, or an exclusive one
/// won), `budget_exhausted`, `limit_reached` (redemption cap, per-customer cap or coupon
/// uses), `plugin_error`, `fuel_exhausted`, `memory_exceeded`, `timeout`,
/// `invalid_effects` (the plugin's answer broke the contract), `suspended` (its check failed
/// on this host: its campaign's `set_aside` says why). See docs/api.md, "Rejection
/// reasons".
#[derive(ToSchema)]
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
    /// Its check failed on this host, which serves it on no basket; its campaign's
    /// `set_aside` says why.
    Suspended,
}

/// A coupon code of the basket and what became of it.
#[derive(ToSchema)]
pub struct CouponResult {
    /// The code as the basket wrote it.
    pub code: String,
    /// What became of it.
    pub status: CouponStatus,
    /// The campaign it belongs to, when the code exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub campaign: Option<String>,
    /// Why a valid code did not apply when the code itself says why: a personal code of
    /// another customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "personal to another customer")]
    pub detail: Option<String>,
}

/// What became of a coupon code: `applied` (its campaign applied with it), `not_applied`
/// (valid, but its campaign did not apply: see `rejected`), `unknown` (no such code),
/// `expired` (past its `expires_at`), `used_up` (every use it allows is taken).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CouponStatus {
    /// Its campaign applied with it.
    Applied,
    /// Valid, but its campaign did not apply.
    NotApplied,
    /// No such code.
    Unknown,
    /// Past its `expires_at`.
    Expired,
    /// Every use it allows is taken.
    UsedUp,
}

/// A cancelled (or returned) order.
#[derive(ToSchema)]
pub struct Cancelled {
    /// The order.
    pub order_id: String,
    /// When it was cancelled (the first cancel, for a repeated one).
    pub cancelled_at: DateTime<Utc>,
}

/// A campaign's stats. See docs/api.md, "Campaign stats".
#[derive(ToSchema)]
pub struct CampaignStats {
    /// The campaign.
    pub campaign: String,
    /// Evaluations in which its plugin ran for it (it passed targeting, schedule, caps).
    pub evaluations: u64,
    /// Evaluations in which it applied.
    pub applications: u64,
    /// Orders committed with it (cancelled ones given back).
    pub redemptions: u64,
    /// The currency of its amounts: its budget's, or for a campaign without a budget, that
    /// of the first order it granted a discount to; absent while neither is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// Discount granted by committed orders.
    pub discount_granted: DecimalString,
    /// Its budget, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub budget: Option<DecimalString>,
    /// What is left of the budget, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub budget_left: Option<DecimalString>,
    /// Its redemption cap, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub redemptions_cap: Option<u64>,
    /// What is left of the cap, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub redemptions_left: Option<u64>,
    /// Whether its budget or its cap is reached: it no longer applies.
    pub objective_met: bool,
    /// Per channel, by channel name.
    pub by_channel: Vec<ChannelStats>,
    /// Per day in the campaign's timezone, oldest first.
    pub by_day: Vec<DayStats>,
}

/// Redemptions and discount on one channel.
#[derive(ToSchema)]
pub struct ChannelStats {
    /// The channel.
    pub channel: String,
    /// Orders.
    pub redemptions: u64,
    /// Discount granted.
    pub discount: DecimalString,
}

/// Redemptions and discount on one day.
#[derive(ToSchema)]
pub struct DayStats {
    /// The day, in the campaign's timezone.
    pub date: NaiveDate,
    /// Orders.
    pub redemptions: u64,
    /// Discount granted.
    pub discount: DecimalString,
}

/// The JSON parameters of a campaign: any JSON value, checked against the JSON Schema of
/// its plugin (`params_schema` in the catalogue).
fn any_params() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .description(Some(
            "The plugin's parameters, checked against its `params_schema`: any JSON value \
             that schema accepts (usually an object).",
        ))
        .into()
}

/// A plugin's `params_schema`: a JSON Schema, an object or a boolean.
fn json_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Boolean]))
        .description(Some(
            "The JSON Schema (2020-12) of its parameters: an object, or a boolean schema.",
        ))
        .into()
}

/// A campaign: one enabled use of a plugin, with its parameters, targeting, schedule,
/// limits and stacking. Only `id`, `name`, `plugin` and `params` are required; unknown
/// fields are refused, each named by its JSON pointer. See docs/api.md, "The campaign
/// body".
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "ten-from-100", "name": "10 % dès 100 €", "plugin": "threshold-discount",
    "params": { "tiers": [ { "min_subtotal": "100.00", "percent_off": "10" } ] },
    "status": "active", "audience": { "channels": ["web"] }
}))]
pub struct Campaign {
    /// Unique id: 1 to 64 of `a-z`, `0-9`, `_`, `-`.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$", example = "ten-from-100")]
    pub id: String,
    /// What marketing calls it: 1 to 200 characters, not only spaces.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The plugin's name: 1 to 64 of `a-z`, `0-9`, `-`.
    #[schema(pattern = "^[a-z0-9-]{1,64}$", example = "threshold-discount")]
    pub plugin: String,
    /// The plugin version to run (a pin), such as `1.0.0`; the plugin's current version
    /// when absent.
    #[serde(default)]
    #[schema(
        pattern = r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$",
        example = "1.0.0"
    )]
    pub plugin_version: Option<String>,
    /// The plugin's parameters, checked against its `params_schema`.
    #[schema(schema_with = any_params)]
    pub params: serde_json::Value,
    /// Where it is in its life; `draft` when absent.
    #[serde(default)]
    #[schema(default = "draft")]
    pub status: Status,
    /// When it runs; always when absent or empty.
    #[serde(default)]
    pub schedule: Schedule,
    /// Whom it targets; everyone when absent or empty.
    #[serde(default)]
    pub audience: Audience,
    /// The basket must carry a usable coupon code of the campaign; `false` when absent.
    #[serde(default)]
    #[schema(default = false)]
    pub coupon_required: bool,
    /// Lower applies first on ties and under the `priority` group policy; 100 when
    /// absent.
    #[serde(default)]
    #[schema(default = 100, example = 100)]
    pub priority: i32,
    /// Its exclusivity group (1 to 64 of `a-z`, `0-9`, `_`, `-`): at most one campaign of
    /// a group applies.
    #[serde(default)]
    #[schema(pattern = "^[a-z0-9_-]{1,64}$", example = "seasonal")]
    pub group: Option<String>,
    /// When it wins, no other campaign applies; `false` when absent.
    #[serde(default)]
    #[schema(default = false)]
    pub exclusive: bool,
    /// Budget and caps; none when absent.
    #[serde(default)]
    pub limits: CampaignLimits,
    /// How many days the loyalty points it grants stay usable after the order (1 to
    /// 3650); forever when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650, example = 365)]
    pub points_valid_days: Option<u32>,
}

/// A stored campaign, as the API answers it: every field of a Campaign (those with a
/// default always present), plus its `revision`, `created_at` and `updated_at`.
#[derive(ToSchema)]
pub struct StoredCampaign {
    /// Unique id.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$", example = "ten-from-100")]
    pub id: String,
    /// What marketing calls it.
    pub name: String,
    /// The plugin's name.
    #[schema(example = "threshold-discount")]
    pub plugin: String,
    /// The pinned plugin version; absent when it follows the plugin's current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        nullable = false,
        pattern = r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
    )]
    pub plugin_version: Option<String>,
    /// The plugin's parameters.
    #[schema(schema_with = any_params)]
    pub params: serde_json::Value,
    /// Where it is in its life.
    pub status: Status,
    /// When it runs.
    pub schedule: Schedule,
    /// Whom it targets.
    pub audience: Audience,
    /// Whether the basket must carry a usable coupon code of the campaign.
    pub coupon_required: bool,
    /// Its priority: lower applies first.
    pub priority: i32,
    /// Its exclusivity group; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub group: Option<String>,
    /// Whether no other campaign applies when it wins.
    pub exclusive: bool,
    /// Budget and caps.
    pub limits: CampaignLimits,
    /// How many days the loyalty points it grants stay usable; absent: forever.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub points_valid_days: Option<u32>,
    /// Its revision: 1 when created, one more per write. Send it back, quoted, in
    /// `If-Match` (the answer's `ETag` carries it too).
    #[schema(minimum = 1, example = 1)]
    pub revision: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Present when this host does not serve the campaign as stored: its check against
    /// its plugin failed here (the plugin version is missing on this host, refuses the
    /// params, or could not check them).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub set_aside: Option<SetAside>,
}

/// Why a host does not serve a stored campaign as stored.
#[derive(ToSchema)]
pub struct SetAside {
    /// `serving_previous`: the last good version this host checked still serves;
    /// `suspended`: nothing serves it on this host (evaluations with `explain` list it
    /// with reason `suspended`).
    pub status: SetAsideStatus,
    /// Why its check failed on this host.
    pub reason: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// How a campaign whose check failed on this host is served.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SetAsideStatus {
    /// Its last good version still serves.
    ServingPrevious,
    /// Nothing serves it here.
    Suspended,
}

/// Where a campaign is in its life: `draft` (being prepared; never applies), `active`,
/// `paused` (may be activated again), `ended` (stopped for good).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being prepared; never applies.
    Draft,
    /// Applies to the baskets it targets.
    Active,
    /// Set aside for now; may be activated again.
    Paused,
    /// Stopped for good.
    Ended,
}

/// When a campaign runs. Every condition set must hold; an empty schedule always holds.
/// Unknown fields are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// First instant it applies (inclusive).
    #[serde(default)]
    pub starts_at: Option<DateTime<FixedOffset>>,
    /// Last instant it applies (inclusive); after `starts_at`.
    #[serde(default)]
    pub ends_at: Option<DateTime<FixedOffset>>,
    /// IANA zone of `days_of_week`, `hours` and per-customer periods, such as
    /// `Europe/Paris`; UTC when absent.
    #[serde(default)]
    #[schema(example = "Europe/Paris")]
    pub timezone: Option<String>,
    /// Local days it applies on, each once; every day when empty.
    #[serde(default)]
    pub days_of_week: Vec<Weekday>,
    /// Local hours it applies in; all day when empty.
    #[serde(default)]
    pub hours: Vec<HourRange>,
}

/// A day of the week.
#[derive(ToSchema)]
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

/// A range of local clock time, `from` inclusive to `to` exclusive, each `"HH:MM"` from
/// `00:00` to `23:59`. When `to` is not after `from` the range crosses midnight; `to`
/// may not equal `from`. Unknown fields are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HourRange {
    /// Start, inclusive.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "17:00")]
    pub from: String,
    /// End, exclusive.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "20:00")]
    pub to: String,
}

/// Whom a campaign targets. An empty list means everyone. Unknown fields are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Sales channels, such as `web`, `store`.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Stores; a basket without a store does not match a non-empty list.
    #[serde(default)]
    pub stores: Vec<String>,
    /// Customer segments; the customer must be in at least one.
    #[serde(default)]
    pub segments: Vec<String>,
    /// Loyalty tiers; the customer's tier must be one of them.
    #[serde(default)]
    pub loyalty_tiers: Vec<String>,
    /// Customer ids.
    #[serde(default)]
    pub customers: Vec<String>,
    /// For each customer attribute, the values accepted (at least one); a customer
    /// without the attribute does not match.
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// Budget and caps of a campaign. Unknown fields are refused. See docs/api.md, "Limits:
/// budget, caps, per-customer frequency".
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignLimits {
    /// Total discount it may grant, in `budget_currency`: 0 or more, below 10^18, at most 4
    /// decimals.
    #[serde(default)]
    pub budget: Option<DecimalString>,
    /// The currency of `budget`: an active ISO 4217 code, such as `EUR`. Required with a
    /// budget, refused without one. Only baskets in it spend the budget; to a basket in
    /// another currency the campaign does not apply (`not_eligible`). Absent from a
    /// campaign stored before budgets named their currency whose budget was never spent:
    /// its budget is kept in the currency of the first order that spends it, and its next
    /// write must name the currency (pausing or ending it need not).
    #[serde(default)]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub budget_currency: Option<String>,
    /// Total redemptions (orders) it may have.
    #[serde(default)]
    pub redemptions: Option<u64>,
    /// Redemptions one customer may have per `per_customer_period`, 1 or more.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub per_customer: Option<u32>,
    /// The period of `per_customer` (which it needs); the campaign's whole life when
    /// absent.
    #[serde(default)]
    pub per_customer_period: Option<Period>,
    /// When the budget left is smaller than the discount, grant what is left instead of
    /// setting the campaign aside; `false` when absent.
    #[serde(default)]
    #[schema(default = false)]
    pub partial: bool,
}

/// The period of a per-customer cap: the campaign's whole life, or a calendar day, week
/// (ISO, from Monday) or month in the campaign's timezone.
#[derive(ToSchema)]
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

/// An RFC 7396 JSON merge patch of a Campaign (`application/merge-patch+json`): an object
/// whose members replace the campaign's, `null` removes a member (back to its default),
/// objects merge member by member. The patched campaign is checked as a whole, as a
/// Campaign body is; `id` may not change.
#[derive(Clone, Copy, Debug)]
pub struct CampaignMergePatch;

impl PartialSchema for CampaignMergePatch {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "An RFC 7396 JSON merge patch of a Campaign: members given replace the \
                 campaign's, `null` removes a member (back to its default), objects merge \
                 member by member. The patched campaign is checked as a whole, as a \
                 Campaign body is (so only the Campaign's members may appear). See \
                 docs/api.md, \"Writing campaigns: revisions, If-Match, merge patch\".",
            ))
            .examples([serde_json::json!({ "priority": 50, "schedule": { "hours": null } })])
            .into()
    }
}

impl ToSchema for CampaignMergePatch {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CampaignMergePatch")
    }
}

/// A plugin of the catalogue, with every version loaded. See docs/api.md, "Plugins".
#[derive(ToSchema)]
pub struct Plugin {
    /// Its name, such as `threshold-discount`.
    #[schema(example = "threshold-discount")]
    pub name: String,
    /// Every version, oldest first.
    pub versions: Vec<PluginVersion>,
    /// The version campaigns without a pin run on.
    #[schema(
        pattern = r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$",
        example = "1.0.0"
    )]
    pub latest: String,
    /// The limits every version runs under (the server's defaults where ops set none).
    pub limits: PluginLimits,
    /// The limits ops set on this plugin (`PUT /v1/plugins/{name}/limits`), the others
    /// being the server's defaults: `{}` when none.
    pub configured_limits: PluginLimitsBody,
    /// Its latest failures on the host that answered, newest first, every version
    /// together (at most 20; kept in that host's memory).
    pub latest_errors: Vec<PluginError>,
    /// How many failures that host saw since it loaded the plugin's versions.
    pub errors_total: u64,
}

/// A campaign a plugin could not answer for.
#[derive(ToSchema)]
pub struct PluginError {
    /// When (the host's clock).
    pub at: DateTime<Utc>,
    /// The version that ran.
    #[schema(example = "1.0.0")]
    pub version: String,
    /// The campaign.
    pub campaign: String,
    /// The typed reason, as in a rejected campaign's `reason`.
    #[schema(example = "fuel_exhausted")]
    pub reason: String,
    /// What happened (at most 500 bytes).
    pub message: String,
}

/// The limits a plugin runs and is uploaded under. See docs/plugin-contract.md, "Limits".
#[derive(ToSchema)]
pub struct PluginLimits {
    /// Fuel for a basket of up to 200 lines (then scaled with the basket, ×10 at most).
    #[schema(example = 10_000_000)]
    pub fuel: u64,
    /// Linear memory cap, in bytes.
    #[schema(example = 16_777_216)]
    pub memory_bytes: u64,
    /// Wall-clock deadline of one run, in milliseconds.
    #[schema(example = 50)]
    pub deadline_ms: u64,
    /// The most effects one campaign's answer may hold.
    #[schema(example = 1000)]
    pub max_effects: u64,
    /// The largest component an upload of this plugin may send, in bytes.
    #[schema(example = 4_194_304)]
    pub upload_bytes: u64,
}

/// A plugin's own limits, as ops set them: each left out is the server's default.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginLimitsBody {
    /// Fuel for a basket of up to 200 lines: 1,000 to 1,000,000,000.
    #[schema(minimum = 1000, maximum = 1_000_000_000, nullable = false)]
    pub fuel: Option<u64>,
    /// Linear memory cap, in bytes: 1 MiB to 256 MiB.
    #[schema(minimum = 1_048_576, maximum = 268_435_456, nullable = false)]
    pub memory_bytes: Option<u64>,
    /// Wall-clock deadline of one run, in milliseconds: 1 to 100.
    #[schema(minimum = 1, maximum = 100, nullable = false)]
    pub deadline_ms: Option<u64>,
    /// The largest upload of this plugin, in bytes: 1 KiB to the server's
    /// `--max-plugin-bytes`.
    #[schema(minimum = 1024, nullable = false)]
    pub upload_bytes: Option<u64>,
}

/// One version of a plugin.
#[derive(ToSchema)]
pub struct PluginVersion {
    /// Its semantic version.
    #[schema(
        pattern = r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$",
        example = "1.0.0"
    )]
    pub version: String,
    /// The hex SHA-256 of its component.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    /// The component's size, in bytes.
    pub size_bytes: u64,
    /// What it does.
    pub description: String,
    /// The JSON Schema of its parameters.
    #[schema(schema_with = json_schema)]
    pub params_schema: serde_json::Value,
    /// When ops uploaded it; absent for the catalogue and the plugin folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub uploaded_at: Option<DateTime<Utc>>,
    /// The language it was written in, as its component's producers sections say
    /// (`Rust`, `JavaScript`, …); `null` when it does not say.
    #[schema(example = "Rust")]
    pub language: Option<String>,
}

/// The schema of [`crate::model::Policy`]: one of its JSON names.
#[derive(Clone, Copy, Debug)]
pub struct PolicySchema;

impl PartialSchema for PolicySchema {
    fn schema() -> RefOr<Schema> {
        use crate::model::Policy;
        let names = [
            Policy::BestForCustomer,
            Policy::BestForMerchant,
            Policy::Priority,
        ]
        .map(Policy::as_str);
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .description(Some(
                "How an exclusivity group picks its one campaign: best_for_customer (largest \
                 discount), best_for_merchant (smallest discount) or priority (lowest \
                 priority number).",
            ))
            .into()
    }
}

impl ToSchema for PolicySchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Policy")
    }
}

/// The schema of `GET /openapi.json`'s answer.
#[derive(Clone, Copy, Debug)]
pub struct OpenApiDocument;

impl PartialSchema for OpenApiDocument {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "This OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0).",
            ))
            .property(
                "openapi",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^3\.1\.[0-9]+$")),
            )
            .required("openapi")
            .property("info", ObjectBuilder::new().schema_type(Type::Object))
            .required("info")
            .property("paths", ObjectBuilder::new().schema_type(Type::Object))
            .required("paths")
            .property("components", ObjectBuilder::new().schema_type(Type::Object))
            .into()
    }
}

impl ToSchema for OpenApiDocument {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("OpenApiDocument")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::prefilter::Reason as RealReason;
    use crate::engine::usage::CouponStatus as RealCouponStatus;
    use crate::model::campaign::Weekday as RealWeekday;
    use crate::model::campaign::{Period as RealPeriod, Status as RealStatus};
    use serde::Serialize;
    use serde_json::Value;

    /// The values of the schema of `T`, an enum of strings.
    fn values<T: PartialSchema>() -> Vec<String> {
        let schema = serde_json::to_value(T::schema()).expect("a schema serializes");
        schema["enum"]
            .as_array()
            .expect("an enum of strings")
            .iter()
            .map(|value| value.as_str().expect("a string").to_string())
            .collect()
    }

    /// What serde writes for each of `all`, which `index` proves is every variant: a new
    /// variant fails to compile in `index` until it is given the next number, and then this
    /// fails until it is listed in `all`.
    fn names<T: Serialize>(all: &[T], index: impl Fn(&T) -> usize) -> Vec<String> {
        let mut indices: Vec<usize> = all.iter().map(&index).collect();
        indices.sort_unstable();
        assert_eq!(
            indices,
            (0..all.len()).collect::<Vec<_>>(),
            "a variant is missing"
        );
        all.iter()
            .map(|value| match serde_json::to_value(value) {
                Ok(Value::String(name)) => name,
                other => panic!("not a string: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn the_enums_have_the_values_serde_writes() {
        use RealReason::*;
        let reasons = [
            NotEligible,
            LostConflict,
            BudgetExhausted,
            LimitReached,
            PluginError,
            FuelExhausted,
            MemoryExceeded,
            Timeout,
            InvalidEffects,
            Suspended,
        ];
        let reason_index = |r: &RealReason| match r {
            NotEligible => 0,
            LostConflict => 1,
            BudgetExhausted => 2,
            LimitReached => 3,
            PluginError => 4,
            FuelExhausted => 5,
            MemoryExceeded => 6,
            Timeout => 7,
            InvalidEffects => 8,
            Suspended => 9,
        };
        assert_eq!(values::<Reason>(), names(&reasons, reason_index));

        let statuses = [
            RealCouponStatus::Applied,
            RealCouponStatus::NotApplied,
            RealCouponStatus::Unknown,
            RealCouponStatus::Expired,
            RealCouponStatus::UsedUp,
        ];
        let status_index = |s: &RealCouponStatus| match s {
            RealCouponStatus::Applied => 0,
            RealCouponStatus::NotApplied => 1,
            RealCouponStatus::Unknown => 2,
            RealCouponStatus::Expired => 3,
            RealCouponStatus::UsedUp => 4,
        };
        assert_eq!(values::<CouponStatus>(), names(&statuses, status_index));

        let lives = [
            RealStatus::Draft,
            RealStatus::Active,
            RealStatus::Paused,
            RealStatus::Ended,
        ];
        let life_index = |s: &RealStatus| match s {
            RealStatus::Draft => 0,
            RealStatus::Active => 1,
            RealStatus::Paused => 2,
            RealStatus::Ended => 3,
        };
        assert_eq!(values::<Status>(), names(&lives, life_index));

        use crate::service::SetAsideStatus as RealSetAside;
        let set_aside = [RealSetAside::ServingPrevious, RealSetAside::Suspended];
        let set_aside_index = |s: &RealSetAside| match s {
            RealSetAside::ServingPrevious => 0,
            RealSetAside::Suspended => 1,
        };
        assert_eq!(
            values::<SetAsideStatus>(),
            names(&set_aside, set_aside_index)
        );

        let days = [
            RealWeekday::Mon,
            RealWeekday::Tue,
            RealWeekday::Wed,
            RealWeekday::Thu,
            RealWeekday::Fri,
            RealWeekday::Sat,
            RealWeekday::Sun,
        ];
        let day_index = |d: &RealWeekday| match d {
            RealWeekday::Mon => 0,
            RealWeekday::Tue => 1,
            RealWeekday::Wed => 2,
            RealWeekday::Thu => 3,
            RealWeekday::Fri => 4,
            RealWeekday::Sat => 5,
            RealWeekday::Sun => 6,
        };
        assert_eq!(values::<Weekday>(), names(&days, day_index));

        let periods = [
            RealPeriod::Campaign,
            RealPeriod::Day,
            RealPeriod::Week,
            RealPeriod::Month,
        ];
        let period_index = |p: &RealPeriod| match p {
            RealPeriod::Campaign => 0,
            RealPeriod::Day => 1,
            RealPeriod::Week => 2,
            RealPeriod::Month => 3,
        };
        assert_eq!(values::<Period>(), names(&periods, period_index));
    }

    #[test]
    fn decimals_are_strings_of_the_pattern_the_server_writes() {
        let schema = serde_json::to_value(DecimalString::schema()).expect("a schema serializes");
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["format"], "decimal");
        assert_eq!(schema["pattern"], DECIMAL_PATTERN);
        for amount in ["0", "19.90", "-0.50", "1005", "0.000000001"] {
            let decimal: rust_decimal::Decimal = amount.parse().expect("a decimal");
            let written = serde_json::to_value(decimal).expect("serializes");
            assert_eq!(written, Value::String(amount.to_string()));
        }
    }
}
