//! Lowers a basket into the flat wire shape of `sdk/wit/v1`: one text buffer with strings
//! named by symbol, scalar-only lines, two shared pools. Built once per evaluation and passed by reference to every
//! plugin call, so its cost is paid once however many plugins run.

use super::bindings::types as wire;
use super::lower::WireBasket;
use crate::model::Basket;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use remise_model::customer_data::CustomerData;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A decimal that does not fit the wire's 64-bit mantissa.
#[derive(Debug, thiserror::Error)]
#[error("{0} does not fit a 64-bit decimal")]
pub struct DecimalOutOfRange(pub Decimal);

/// A decimal for the wire (validated baskets always fit).
pub fn decimal(value: Decimal) -> Result<wire::Decimal, DecimalOutOfRange> {
    let normalized = value.normalize();
    let mantissa = i64::try_from(normalized.mantissa()).map_err(|_| DecimalOutOfRange(value))?;
    Ok(wire::Decimal {
        mantissa,
        scale: normalized.scale() as u8,
    })
}

/// A calendar date for the wire.
pub fn date(value: NaiveDate) -> wire::Date {
    wire::Date {
        year: value.year(),
        month: value.month() as u8,
        day: value.day() as u8,
    }
}

/// A basket and its context, lowered. Cloning it shares the basket: a clone costs a
/// reference count, so each plugin group of a request can have its own local time.
#[derive(Clone)]
pub struct WireInput {
    /// The basket, its record lists laid out for the sandbox.
    pub basket: Arc<WireBasket>,
    /// Where and when.
    pub context: wire::Context,
    /// What contract-1.1 plugins that import `customer` are told of the basket's
    /// customer (`None`: nothing, as for an anonymous basket).
    pub customer: Option<Arc<CustomerData>>,
}

impl WireInput {
    /// Sets the evaluation instant and the offset plugins see (each campaign's timezone
    /// may differ), without lowering the basket again.
    pub fn set_time(&mut self, at: DateTime<FixedOffset>) {
        self.context.unix_seconds = at.timestamp();
        self.context.utc_offset_minutes = at.offset().local_minus_utc() / 60;
        self.context.local_date = date(at.date_naive());
    }
}

struct Encoder {
    text: String,
    symbol_ends: Vec<u32>,
    refs: Vec<wire::Symbol>,
    pairs: Vec<wire::Pair>,
}

impl Encoder {
    fn with_capacity(request: &Basket) -> Self {
        let strings = 8 + request.lines.len() * 6;
        let mut symbol_ends = Vec::with_capacity(strings);
        symbol_ends.push(0); // symbol 0: the empty string
        Self {
            text: String::with_capacity(strings * 8),
            symbol_ends,
            refs: Vec::with_capacity(request.lines.len() * 2),
            pairs: Vec::new(),
        }
    }

    /// A symbol for `s` (validated baskets stay far below 4 GiB of text).
    fn text(&mut self, s: &str) -> wire::Symbol {
        if s.is_empty() {
            return 0;
        }
        self.text.push_str(s);
        self.symbol_ends.push(self.text.len() as u32);
        (self.symbol_ends.len() - 1) as u32
    }

    fn list(&mut self, items: &[String]) -> wire::PoolRange {
        let start = self.refs.len() as u32;
        for item in items {
            let r = self.text(item);
            self.refs.push(r);
        }
        wire::PoolRange {
            start,
            count: items.len() as u32,
        }
    }

    fn pairs(&mut self, items: &BTreeMap<String, String>) -> wire::PoolRange {
        let start = self.pairs.len() as u32;
        for (key, value) in items {
            let pair = wire::Pair {
                key: self.text(key),
                value: self.text(value),
            };
            self.pairs.push(pair);
        }
        wire::PoolRange {
            start,
            count: items.len() as u32,
        }
    }
}

/// Lowers `request`, priced at `at` (whose offset is the one plugins see).
pub fn encode(request: &Basket, at: DateTime<FixedOffset>) -> Result<WireInput, DecimalOutOfRange> {
    let mut enc = Encoder::with_capacity(request);
    let currency = enc.text(&request.currency);
    let channel = enc.text(&request.channel);
    let store = enc.text(request.store.as_deref().unwrap_or(""));
    let mut lines = Vec::with_capacity(request.lines.len());
    for line in &request.lines {
        lines.push(wire::Line {
            id: enc.text(&line.id),
            sku: enc.text(&line.sku),
            quantity: line.quantity,
            unit_price: decimal(line.unit_price)?,
            categories: enc.list(&line.categories),
            brand: enc.text(line.brand.as_deref().unwrap_or("")),
            attributes: enc.pairs(&line.attributes),
        });
    }
    let customer = request.customer.as_ref().map(|c| wire::Customer {
        id: enc.text(&c.id),
        loyalty_tier: enc.text(c.loyalty_tier.as_deref().unwrap_or("")),
        segments: enc.list(&c.segments),
        birthdate: c.birthdate.map(date),
        attributes: enc.pairs(&c.attributes),
    });
    let mut input = WireInput {
        basket: Arc::new(WireBasket::new(wire::Basket {
            text: enc.text,
            symbol_ends: enc.symbol_ends,
            currency,
            lines,
            refs: enc.refs,
            pairs: enc.pairs,
            customer,
        })),
        context: wire::Context {
            channel,
            store,
            unix_seconds: 0,
            utc_offset_minutes: 0,
            local_date: date(NaiveDate::MIN),
        },
        customer: None,
    };
    input.set_time(at);
    Ok(input)
}
