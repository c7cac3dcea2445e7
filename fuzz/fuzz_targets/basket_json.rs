//! The basket JSON, as `POST /v1/evaluate` reads it: any bytes are read strictly
//! (`remise_model::body::parse`) then checked (`Basket::validate`) without a panic, every
//! problem names a place that exists in the body, and a basket that passes prices exactly:
//! its canonical form is stable, it survives a JSON round trip, and with no campaign its
//! total is its subtotal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use remise_model::basket::{Basket, DEFAULT_MAX_LINES, MAX_SUBTOTAL};
use remise_model::body::{self, BodyError};
use remise_model::{currency, money};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

fuzz_target!(|bytes: &[u8]| {
    let basket = match body::parse::<Basket>(bytes) {
        Ok(basket) => basket,
        Err(BodyError::Syntax { line, .. }) => {
            assert!(line >= 1, "a syntax error is on a line from 1");
            return;
        }
        Err(BodyError::Field(problem)) => {
            assert_names_a_place(bytes, &problem.pointer);
            return;
        }
    };
    if let Err(problems) = basket.validate(DEFAULT_MAX_LINES) {
        assert!(!problems.is_empty(), "a refusal says why");
        for problem in &problems {
            assert_names_a_place(bytes, &problem.pointer);
        }
        return;
    }
    let canonical = basket.canonical();
    assert_eq!(
        to_value(&canonical.canonical()),
        to_value(&canonical),
        "the canonical form of a canonical basket is itself"
    );
    let written = serde_json::to_vec(&basket).expect("a basket serializes");
    let read: Basket = body::parse(&written).expect("a basket reads back what it wrote");
    assert_eq!(
        to_value(&read),
        to_value(&basket),
        "a JSON round trip keeps the basket"
    );

    let subtotal = basket.subtotal();
    assert!(subtotal >= rust_decimal::Decimal::ZERO && subtotal <= MAX_SUBTOTAL);
    // A code of three capitals ISO 4217 does not list passes `validate`; the engine refuses
    // it (422 at /currency) before pricing.
    let Some(decimals) = currency::minor_unit(&basket.currency) else {
        return;
    };
    let priced = money::price(&basket.lines, &[], decimals);
    assert_eq!(priced.discount_total, rust_decimal::Decimal::ZERO);
    assert_eq!(priced.total, priced.subtotal, "no campaign, no discount");
    assert_eq!(priced.lines.len(), basket.lines.len());
});

fn to_value(basket: &Basket) -> Value {
    serde_json::to_value(basket).expect("a basket serializes")
}

/// A problem's pointer is `""` (the whole body) or names a place in the body as JSON.
///
/// A body may repeat a key (`{"lines": [...], "lines": [...]}`): the struct reader stops
/// at the first problem it meets, which can be inside the first copy, while
/// `serde_json::Value` keeps the last. So the place is looked for in both readings.
fn assert_names_a_place(bytes: &[u8], pointer: &str) {
    if pointer.is_empty() {
        return;
    }
    assert!(pointer.starts_with('/'), "{pointer:?} is a JSON pointer");
    let last_wins: Value = serde_json::from_slice(bytes).expect("a shape problem is in JSON");
    let first_wins = serde_json::from_slice::<FirstWins>(bytes)
        .expect("a shape problem is in JSON")
        .0;
    // A missing field is named by where it would be: its parent exists.
    let parent = &pointer[..pointer.rfind('/').unwrap_or(0)];
    let names = |value: &Value| value.pointer(pointer).is_some() || value.pointer(parent).is_some();
    assert!(
        names(&last_wins) || names(&first_wins),
        "{pointer:?} names no place in the body"
    );
}

/// The body as JSON where a repeated key keeps its first value, not its last.
struct FirstWins(Value);

impl<'de> Deserialize<'de> for FirstWins {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(FirstWinsVisitor)
            .map(FirstWins)
    }
}

struct FirstWinsVisitor;

impl<'de> Visitor<'de> for FirstWinsVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(FirstWins(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some((key, FirstWins(value))) = map.next_entry::<String, FirstWins>()? {
            object.entry(key).or_insert(value);
        }
        Ok(Value::Object(object))
    }
}
