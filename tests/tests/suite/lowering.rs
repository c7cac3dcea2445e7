//! The host hands each sandbox the basket in bulk copies (`remise::runtime::lower`) rather
//! than field by field. Whatever the basket, a plugin in the sandbox must read exactly what
//! the SDK reads natively from the same request: the `echo` test plugin spells out every
//! field it sees, and both answers are compared.

use crate::support;

use proptest::prelude::*;
use remise::runtime::{Effect, Limits, Plugin};
use remise_sdk::testing::{prepare, TestBasket as NativeBasket};
use serde_json::{json, Value};
use std::sync::LazyLock;

fn echo() -> &'static Plugin {
    static ECHO: LazyLock<Plugin> = LazyLock::new(|| {
        support::runtime()
            .load(&remise_tests::guest("echo"), Limits::default())
            .expect("the echo plugin loads")
    });
    &ECHO
}

/// What the plugin read in the sandbox, one message per line, customer and context.
fn sandboxed(request: &Value) -> Vec<String> {
    let basket = support::basket(request.clone());
    support::succeeded(support::run(echo(), json!({}), &basket))
        .into_iter()
        .map(|effect| match effect {
            Effect::Message { text } => text,
            other => panic!("echo answers messages only, got {other:?}"),
        })
        .collect()
}

/// What the same plugin reads natively, through the SDK's own encoder.
fn native(request: &Value) -> Vec<String> {
    let basket = NativeBasket::from_json(request).expect("the SDK reads the request");
    basket
        .evaluate::<echo::Echo>(&prepare::<echo::Echo>(&json!({})))
        .expect("echo answers")
        .into_iter()
        .map(|effect| match effect {
            remise_sdk::Effect::Message(text) => text,
            other => panic!("echo answers messages only, got {other:?}"),
        })
        .collect()
}

fn word() -> impl Strategy<Value = String> {
    "[a-zé0-9-]{1,12}"
}

fn attributes() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(word(), word(), 0..4).prop_map(|map| json!(map))
}

fn price() -> impl Strategy<Value = String> {
    (0u64..10_000_000, 0u32..5).prop_map(|(mantissa, scale)| {
        rust_decimal::Decimal::new(mantissa as i64, scale).to_string()
    })
}

fn line(index: usize) -> impl Strategy<Value = Value> {
    (
        word(),
        1u32..1_000,
        price(),
        prop::collection::vec(word(), 0..4),
        prop::option::of(word()),
        attributes(),
    )
        .prop_map(
            move |(sku, quantity, unit_price, categories, brand, attributes)| {
                let mut line = json!({
                    "id": format!("line-{index}"),
                    "sku": sku,
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "categories": categories,
                    "attributes": attributes,
                });
                if let Some(brand) = brand {
                    line["brand"] = json!(brand);
                }
                line
            },
        )
}

fn customer() -> impl Strategy<Value = Value> {
    (
        word(),
        prop::option::of(word()),
        prop::collection::vec(word(), 0..4),
        prop::option::of((1930i32..2010, 1u32..13, 1u32..29)),
        attributes(),
    )
        .prop_map(|(id, tier, segments, birthdate, attributes)| {
            let mut customer = json!({ "id": id, "segments": segments, "attributes": attributes });
            if let Some(tier) = tier {
                customer["loyalty_tier"] = json!(tier);
            }
            if let Some((year, month, day)) = birthdate {
                customer["birthdate"] = json!(format!("{year:04}-{month:02}-{day:02}"));
            }
            customer
        })
}

fn request() -> impl Strategy<Value = Value> {
    let lines = (0usize..25).prop_flat_map(|count| (0..count).map(line).collect::<Vec<_>>());
    (
        lines,
        prop::option::of(customer()),
        prop::sample::select(vec!["web", "store", "app"]),
        prop::option::of(word()),
        prop::sample::select(vec![
            "2026-03-01T09:30:00+01:00",
            "2026-07-14T23:59:59-04:00",
            "2027-01-01T00:00:00Z",
        ]),
    )
        .prop_map(|(lines, customer, channel, store, at)| {
            let mut request = json!({
                "currency": "EUR",
                "channel": channel,
                "at": at,
                "lines": lines,
            });
            if let Some(customer) = customer {
                request["customer"] = customer;
            }
            if let Some(store) = store {
                request["store"] = json!(store);
            }
            request
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_plugin_reads_in_the_sandbox_what_it_reads_natively(request in request()) {
        let native = native(&request);
        let sandboxed = sandboxed(&request);
        prop_assert_eq!(sandboxed, native);
    }
}

#[test]
fn every_field_of_a_full_basket_reaches_the_plugin() {
    let request = json!({
        "currency": "EUR",
        "channel": "store",
        "store": "paris-01",
        "at": "2026-03-01T09:30:00+01:00",
        "customer": {
            "id": "c-42", "loyalty_tier": "gold", "segments": ["vip", "web"],
            "birthdate": "1990-02-28", "attributes": { "city": "Lyon" },
        },
        "lines": [
            { "id": "a", "sku": "SKU-1", "quantity": 3, "unit_price": "12.50",
              "categories": ["tops", "summer"], "brand": "acme",
              "attributes": { "color": "red", "size": "M" } },
            { "id": "b", "sku": "SKU-2", "quantity": 1, "unit_price": "0.99" },
        ],
    });
    assert_eq!(
        sandboxed(&request),
        [
            "line 0 id=a sku=SKU-1 quantity=3 unit_price=12.5 categories=[tops,summer] \
             brand=Some(\"acme\") attributes=[color=red;size=M;]",
            "line 1 id=b sku=SKU-2 quantity=1 unit_price=0.99 categories=[] brand=None \
             attributes=[]",
            "customer id=c-42 tier=Some(\"gold\") segments=[vip,web] birthdate=Some(1990-02-28) \
             attributes=[city=Lyon;]",
            "currency=EUR channel=store store=Some(\"paris-01\") unix_seconds=1772353800 \
             utc_offset_minutes=60 local_date=Some(2026-03-01)",
        ]
    );
}
