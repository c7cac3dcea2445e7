//! A partial return as a till sends it (`POST /v1/redemptions/{order_id}/returns`): its
//! own id and which units of which lines come back, checked on their own; and the order as
//! it stands between returns, what the next return starts from.

use crate::basket::text;
use crate::field_problem::FieldProblem;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The most lines one return may name (an order has at most as many lines as a basket).
pub const MAX_RETURN_LINES: usize = 1_000;

/// Units of some lines of a committed order coming back.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// The channel's id for this return, 1 to 256 bytes: the same id again is a retry.
    pub return_id: String,
    /// The lines coming back, each at most once.
    pub lines: Vec<ReturnedLine>,
}

/// Some units of one line coming back.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnedLine {
    /// The line's id, as the order's basket gave it.
    pub id: String,
    /// How many units, at least 1.
    pub quantity: u32,
}

impl ReturnRequest {
    /// Every problem of the request on its own (the order is not looked at), each at its
    /// pointer: an empty or over-long id, no lines, a line named twice, no units.
    pub fn validate(&self) -> Result<(), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        text(&mut problems, "/return_id", &self.return_id, false);
        if self.lines.is_empty() {
            problems.push(FieldProblem::new("/lines", "must name at least one line"));
        } else if self.lines.len() > MAX_RETURN_LINES {
            problems.push(FieldProblem::new(
                "/lines",
                format!("at most {MAX_RETURN_LINES} lines"),
            ));
        }
        let mut seen = HashSet::new();
        for (i, line) in self.lines.iter().enumerate() {
            let at = format!("/lines/{i}/id");
            text(&mut problems, &at, &line.id, false);
            if !seen.insert(line.id.as_str()) {
                problems.push(FieldProblem::new(
                    at,
                    format!("line {:?} is named twice", line.id),
                ));
            }
            if line.quantity == 0 {
                problems.push(FieldProblem::new(
                    format!("/lines/{i}/quantity"),
                    "must be at least 1",
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// An order as it stands after its commit or its latest return.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct OrderState {
    /// Every line of the order, in the basket's order, with the units it still holds (0
    /// once all came back) and what they cost now.
    pub lines: Vec<HeldLine>,
    /// The free items the order still gives.
    pub gifts: Vec<HeldGift>,
    /// The points each campaign still grants the order.
    pub points: Vec<HeldPoints>,
    /// What the customer has paid, net of every refund.
    pub total: Decimal,
}

/// One line of an [`OrderState`].
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct HeldLine {
    /// The line's id.
    pub id: String,
    /// Units bought.
    pub bought: u32,
    /// Units the customer still holds.
    pub quantity: u32,
    /// What those units cost after discounts.
    pub total: Decimal,
}

/// A free item an order gives.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct HeldGift {
    /// The campaign that gives it.
    pub campaign: String,
    /// Its SKU.
    pub sku: String,
    /// How many.
    pub quantity: u32,
}

/// Points a campaign grants an order.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct HeldPoints {
    /// The campaign.
    pub campaign: String,
    /// How many.
    pub points: u64,
}

/// `amounts` (minor units, none negative) shares of `total` (minor units, of either
/// sign), proportional to each amount and summing to `total` exactly: each share is
/// rounded toward zero, then the units left go one each to the largest remainders (the
/// first on ties). With every amount zero, the first share takes it all.
pub fn shares(total: i64, amounts: &[i64]) -> Vec<i64> {
    let mut shares = vec![0_i64; amounts.len()];
    if amounts.is_empty() {
        return shares;
    }
    let whole: i128 = amounts.iter().map(|&a| i128::from(a.max(0))).sum();
    if whole == 0 {
        shares[0] = total;
        return shares;
    }
    let total = i128::from(total);
    let mut remainders = Vec::with_capacity(amounts.len());
    let mut given: i128 = 0;
    for (i, &amount) in amounts.iter().enumerate() {
        let product = total * i128::from(amount.max(0));
        let share = product / whole;
        given += share;
        shares[i] = i64::try_from(share).unwrap_or(0);
        remainders.push(((product % whole).abs(), i));
    }
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let step: i64 = if total >= 0 { 1 } else { -1 };
    let left = usize::try_from((total - given).unsigned_abs()).unwrap_or(0);
    for &(_, i) in remainders.iter().cycle().take(left) {
        shares[i] += step;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(value: serde_json::Value) -> ReturnRequest {
        serde_json::from_value(value).expect("a return request")
    }

    fn pointers(request: &ReturnRequest) -> Vec<String> {
        request
            .validate()
            .expect_err("refused")
            .into_iter()
            .map(|p| p.pointer)
            .collect()
    }

    #[test]
    fn a_return_names_each_line_once_with_units() {
        let good = request(json!({"return_id": "r-1", "lines": [{"id": "2", "quantity": 1}]}));
        assert_eq!(good.validate(), Ok(()));
        let bad = request(json!({"return_id": "", "lines": [
            {"id": "2", "quantity": 0}, {"id": "2", "quantity": 1}, {"id": "", "quantity": 1}
        ]}));
        assert_eq!(
            pointers(&bad),
            [
                "/return_id",
                "/lines/0/quantity",
                "/lines/1/id",
                "/lines/2/id"
            ]
        );
        let empty = request(json!({"return_id": "r", "lines": []}));
        assert_eq!(pointers(&empty), ["/lines"]);
        let unknown = serde_json::from_value::<ReturnRequest>(
            json!({"return_id": "r", "lines": [], "refund": 1}),
        );
        assert!(unknown.is_err());
    }

    #[test]
    fn shares_are_proportional_and_exact() {
        assert_eq!(shares(900, &[2700]), [900]);
        assert_eq!(shares(100, &[1, 1, 1]), [34, 33, 33]);
        assert_eq!(shares(-100, &[1, 1, 1]), [-34, -33, -33]);
        assert_eq!(shares(10, &[0, 0]), [10, 0]);
        assert_eq!(shares(7, &[300, 100]), [5, 2]);
        assert_eq!(shares(0, &[5, 5]), [0, 0]);
        for total in [-1_001, -7, 0, 1, 999, 12_345] {
            let parts = shares(total, &[3, 7, 11, 0, 13]);
            assert_eq!(parts.iter().sum::<i64>(), total, "{parts:?}");
        }
    }
}
