//! Friendly, zero-copy views over the flat basket the host sends.
//!
//! The wire basket keeps every string in one buffer, names strings by symbol, and keeps
//! every list in a shared pool (see `wit/v1`). These views hand out `&str`, [`Decimal`]
//! and iterators instead, and never panic on a malformed reference: an unknown symbol or
//! an out-of-range slice reads as empty.

use crate::money;
use crate::wit::remise::scenario::types as raw;
use chrono::NaiveDate;
use rust_decimal::Decimal;

fn text(basket: &raw::Basket, symbol: raw::Symbol) -> &str {
    let ends = &basket.symbol_ends;
    let index = symbol as usize;
    let start = match index.checked_sub(1) {
        Some(previous) => ends.get(previous).copied().unwrap_or(0),
        None => 0,
    };
    let end = ends.get(index).copied().unwrap_or(0);
    basket.text.get(start as usize..end as usize).unwrap_or("")
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn pool<T>(items: &[T], range: raw::PoolRange) -> &[T] {
    let start = range.start as usize;
    let end = start.saturating_add(range.count as usize);
    items.get(start..end).unwrap_or(&[])
}

fn date(d: raw::Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year, u32::from(d.month), u32::from(d.day))
}

/// The basket being priced.
#[derive(Clone, Copy)]
pub struct Basket<'a> {
    raw: &'a raw::Basket,
}

impl<'a> Basket<'a> {
    /// Wraps the wire basket.
    pub fn new(raw: &'a raw::Basket) -> Self {
        Self { raw }
    }

    /// The ISO 4217 currency of every amount, such as `EUR`.
    pub fn currency(&self) -> &'a str {
        text(self.raw, self.raw.currency)
    }

    /// The lines, in the order the channel sent them.
    pub fn lines(&self) -> impl ExactSizeIterator<Item = Line<'a>> + 'a {
        let basket = self.raw;
        basket
            .lines
            .iter()
            .enumerate()
            .map(move |(index, raw)| Line {
                basket,
                index: index as u32,
                raw,
            })
    }

    /// The line at `index`, if there is one.
    pub fn line(&self, index: u32) -> Option<Line<'a>> {
        let raw = self.raw.lines.get(index as usize)?;
        Some(Line {
            basket: self.raw,
            index,
            raw,
        })
    }

    /// How many lines the basket has.
    pub fn len(&self) -> usize {
        self.raw.lines.len()
    }

    /// Whether the basket has no lines.
    pub fn is_empty(&self) -> bool {
        self.raw.lines.is_empty()
    }

    /// The customer, `None` for an anonymous basket.
    pub fn customer(&self) -> Option<Customer<'a>> {
        self.raw.customer.as_ref().map(|raw| Customer {
            basket: self.raw,
            raw,
        })
    }

    /// The sum of every line's subtotal.
    pub fn subtotal(&self) -> Decimal {
        self.eligible_subtotal(|_| true)
    }

    /// The sum of the subtotals of the lines `eligible` accepts.
    pub fn eligible_subtotal(&self, eligible: impl Fn(&Line<'a>) -> bool) -> Decimal {
        let totals = self
            .lines()
            .filter(|line| eligible(line))
            .map(|line| (line.raw.unit_price, line.raw.quantity));
        money::sum_of_line_totals(totals).unwrap_or_else(|| {
            self.lines()
                .filter(|line| eligible(line))
                .map(|line| line.subtotal())
                .sum()
        })
    }

    /// The lines whose SKU is `sku`.
    pub fn lines_with_sku<'s>(&self, sku: &'s str) -> impl Iterator<Item = Line<'a>> + 's
    where
        'a: 's,
    {
        self.lines().filter(move |line| line.sku() == sku)
    }

    /// The lines in category `category`.
    pub fn lines_in_category<'s>(&self, category: &'s str) -> impl Iterator<Item = Line<'a>> + 's
    where
        'a: 's,
    {
        self.lines().filter(move |line| line.in_category(category))
    }

    /// Units of the lines `eligible` accepts, cheapest unit price first (ties: the smaller
    /// line id first, so the choice does not depend on the order of the lines), grouped per
    /// line. Buy-X-get-Y and bundles start from this.
    pub fn units_by_price(&self, eligible: impl Fn(&Line<'a>) -> bool) -> Vec<UnitPick> {
        let mut picks: Vec<(Decimal, &str, UnitPick)> = self
            .lines()
            .filter(|line| eligible(line))
            .map(|line| {
                (
                    line.unit_price(),
                    line.id(),
                    UnitPick {
                        line: line.index(),
                        units: line.quantity(),
                    },
                )
            })
            .collect();
        picks.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
        picks.into_iter().map(|(_, _, pick)| pick).collect()
    }

    /// The `count` cheapest units among the lines `eligible` accepts (fewer when the
    /// basket has fewer), as line indexes and unit counts, cheapest first.
    pub fn cheapest_units(
        &self,
        eligible: impl Fn(&Line<'a>) -> bool,
        count: u32,
    ) -> Vec<UnitPick> {
        take_units(self.units_by_price(eligible), count)
    }

    /// The `count` most expensive units among the lines `eligible` accepts, dearest first.
    pub fn dearest_units(&self, eligible: impl Fn(&Line<'a>) -> bool, count: u32) -> Vec<UnitPick> {
        let mut picks = self.units_by_price(eligible);
        picks.reverse();
        take_units(picks, count)
    }
}

fn take_units(picks: Vec<UnitPick>, mut count: u32) -> Vec<UnitPick> {
    let mut taken = Vec::new();
    for pick in picks {
        if count == 0 {
            break;
        }
        let units = pick.units.min(count);
        count -= units;
        taken.push(UnitPick {
            line: pick.line,
            units,
        });
    }
    taken
}

/// Some units of one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitPick {
    /// The line's index in the basket.
    pub line: u32,
    /// How many of its units.
    pub units: u32,
}

/// One line of the basket.
#[derive(Clone, Copy)]
pub struct Line<'a> {
    basket: &'a raw::Basket,
    index: u32,
    raw: &'a raw::Line,
}

impl<'a> Line<'a> {
    /// The line's index in the basket: what effects name it by.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The line id the channel sent.
    pub fn id(&self) -> &'a str {
        text(self.basket, self.raw.id)
    }

    /// The product's SKU.
    pub fn sku(&self) -> &'a str {
        text(self.basket, self.raw.sku)
    }

    /// Units on the line.
    pub fn quantity(&self) -> u32 {
        self.raw.quantity
    }

    /// The price of one unit.
    pub fn unit_price(&self) -> Decimal {
        money::from_wire(self.raw.unit_price)
    }

    /// Unit price × quantity.
    pub fn subtotal(&self) -> Decimal {
        money::line_total(self.raw.unit_price, self.raw.quantity)
    }

    /// The product's categories.
    pub fn categories(&self) -> impl Iterator<Item = &'a str> + 'a {
        let basket = self.basket;
        pool(&basket.refs, self.raw.categories)
            .iter()
            .map(move |r| text(basket, *r))
    }

    /// Whether the product is in `category`.
    pub fn in_category(&self, category: &str) -> bool {
        self.categories().any(|c| c == category)
    }

    /// Whether the product is in any of `categories`.
    pub fn in_any_category<S: AsRef<str>>(&self, categories: &[S]) -> bool {
        self.categories()
            .any(|c| categories.iter().any(|wanted| wanted.as_ref() == c))
    }

    /// The product's brand, if the channel sent one.
    pub fn brand(&self) -> Option<&'a str> {
        non_empty(text(self.basket, self.raw.brand))
    }

    /// The value of the product attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<&'a str> {
        find_pair(self.basket, self.raw.attributes, key)
    }

    /// Every product attribute as `(key, value)`, in key order.
    pub fn attributes(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        pairs(self.basket, self.raw.attributes)
    }
}

fn pairs<'a>(
    basket: &'a raw::Basket,
    range: raw::PoolRange,
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    pool(&basket.pairs, range)
        .iter()
        .map(move |pair| (text(basket, pair.key), text(basket, pair.value)))
}

fn find_pair<'a>(basket: &'a raw::Basket, range: raw::PoolRange, key: &str) -> Option<&'a str> {
    pool(&basket.pairs, range)
        .iter()
        .find(|pair| text(basket, pair.key) == key)
        .map(|pair| text(basket, pair.value))
}

/// The customer of a non-anonymous basket.
#[derive(Clone, Copy)]
pub struct Customer<'a> {
    basket: &'a raw::Basket,
    raw: &'a raw::Customer,
}

impl<'a> Customer<'a> {
    /// The retailer's customer id.
    pub fn id(&self) -> &'a str {
        text(self.basket, self.raw.id)
    }

    /// The loyalty tier, such as `gold`.
    pub fn loyalty_tier(&self) -> Option<&'a str> {
        non_empty(text(self.basket, self.raw.loyalty_tier))
    }

    /// The customer's segments.
    pub fn segments(&self) -> impl Iterator<Item = &'a str> + 'a {
        let basket = self.basket;
        pool(&basket.refs, self.raw.segments)
            .iter()
            .map(move |r| text(basket, *r))
    }

    /// Whether the customer is in `segment`.
    pub fn in_segment(&self, segment: &str) -> bool {
        self.segments().any(|s| s == segment)
    }

    /// The customer's date of birth, if known.
    pub fn birthdate(&self) -> Option<NaiveDate> {
        self.raw.birthdate.and_then(date)
    }

    /// The value of the customer attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<&'a str> {
        find_pair(self.basket, self.raw.attributes, key)
    }

    /// Every customer attribute as `(key, value)`, in key order.
    pub fn attributes(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        pairs(self.basket, self.raw.attributes)
    }
}

/// Where and when the basket is priced.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    basket: &'a raw::Basket,
    raw: &'a raw::Context,
}

impl<'a> Context<'a> {
    /// Wraps the wire context; its strings live in `basket`'s text.
    pub fn new(basket: &'a raw::Basket, raw: &'a raw::Context) -> Self {
        Self { basket, raw }
    }

    /// The sales channel, such as `web` or `store`.
    pub fn channel(&self) -> &'a str {
        text(self.basket, self.raw.channel)
    }

    /// The store, for a store channel.
    pub fn store(&self) -> Option<&'a str> {
        non_empty(text(self.basket, self.raw.store))
    }

    /// The evaluation instant, in seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.raw.unix_seconds
    }

    /// The offset from UTC of the campaign's timezone at that instant, in minutes.
    pub fn utc_offset_minutes(&self) -> i32 {
        self.raw.utc_offset_minutes
    }

    /// The local calendar date of the evaluation (in the campaign's timezone).
    pub fn local_date(&self) -> Option<NaiveDate> {
        date(self.raw.local_date)
    }
}
