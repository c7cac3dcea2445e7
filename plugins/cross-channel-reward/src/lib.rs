//! `cross-channel-reward`: "commandez en ligne, profitez-en en magasin". An order of at
//! least `min_spend` issues the customer a reward for a later order (contract 1.1's
//! `issue-reward`): at commit, the host creates them a personal code of the campaign
//! `reward_campaign`, valid `valid_days` days in `channels`.
//!
//! Only a basket with a customer and at least one line earns it, in one of `earn_channels`
//! when the campaign names some, and when the lines' subtotal (before discounts) reaches
//! `min_spend`. A message in French tells the customer where the code awaits. How often one
//! customer earns it is the campaign's `per_customer` limit, not the plugin's.

use remise_sdk::prelude::*;

/// The campaign parameters.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The subtotal of the lines (before discounts) from which an order earns the reward,
    /// 0 or more, such as `"50.00"`.
    pub min_spend: Decimal,
    /// The id of the campaign whose personal code is issued (a campaign with coupons), 1 to
    /// 128 bytes. Its schedule, channels and stores say where the code can be used.
    pub reward_campaign: String,
    /// How many days the code stays valid from the order's commit, 1 to 3,650.
    pub valid_days: u32,
    /// The channels where the code may be used, such as `["store"]` (at most 16); empty:
    /// wherever the reward campaign runs.
    #[serde(default)]
    pub channels: Vec<String>,
    /// When set, only orders placed in these channels earn the reward.
    #[serde(default)]
    pub earn_channels: Vec<String>,
}

/// The scenario.
pub struct CrossChannelReward;

/// Problems with a list of channel names at `at`.
fn check_channels(at: &str, channels: &[String], problems: &mut Vec<ParamProblem>) {
    for (i, channel) in channels.iter().enumerate() {
        if channel.is_empty() || channel.len() > limits::MAX_CHANNEL_BYTES {
            problems.push(ParamProblem::new(
                format!("{at}/{i}"),
                format!("must be 1 to {} bytes long", limits::MAX_CHANNEL_BYTES),
            ));
        }
    }
}

impl Scenario for CrossChannelReward {
    type Params = Params;
    const DESCRIPTION: &'static str = "Cross-channel reward: an order whose subtotal reaches \
        min_spend, optionally only in some channels, issues the customer a personal code of \
        another campaign for a later order, valid some days in the channels given (\"un bon \
        de réduction vous attend en magasin\").";

    fn check(params: &Params) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        if params.min_spend.is_sign_negative() {
            problems.push(ParamProblem::new("/min_spend", "must be 0 or more"));
        }
        if params.reward_campaign.is_empty()
            || params.reward_campaign.len() > limits::MAX_REWARD_CAMPAIGN_BYTES
        {
            problems.push(ParamProblem::new(
                "/reward_campaign",
                format!(
                    "must be a campaign id of 1 to {} bytes",
                    limits::MAX_REWARD_CAMPAIGN_BYTES
                ),
            ));
        }
        if params.valid_days == 0 || params.valid_days > limits::MAX_REWARD_DAYS {
            problems.push(ParamProblem::new(
                "/valid_days",
                format!("must be 1 to {}", limits::MAX_REWARD_DAYS),
            ));
        }
        if params.channels.len() > limits::MAX_REWARD_CHANNELS {
            problems.push(ParamProblem::new(
                "/channels",
                format!("at most {} channels", limits::MAX_REWARD_CHANNELS),
            ));
        }
        check_channels("/channels", &params.channels, &mut problems);
        check_channels("/earn_channels", &params.earn_channels, &mut problems);
        problems
    }

    fn evaluate(
        params: &Params,
        basket: &Basket<'_>,
        context: &Context<'_>,
    ) -> Result<Vec<Effect>, ScenarioError> {
        if basket.customer().is_none() || basket.is_empty() {
            return Ok(Vec::new());
        }
        let channel = context.channel();
        if !params.earn_channels.is_empty() && !params.earn_channels.iter().any(|c| c == channel) {
            return Ok(Vec::new());
        }
        // Beyond what a decimal holds, the subtotal reaches any threshold.
        let reached = basket
            .lines()
            .try_fold(Decimal::ZERO, |sum, line| {
                line.unit_price()
                    .checked_mul(Decimal::from(line.quantity()))
                    .and_then(|price| sum.checked_add(price))
            })
            .is_none_or(|subtotal| subtotal >= params.min_spend);
        if !reached {
            return Ok(Vec::new());
        }
        Ok(vec![
            effects::issue_reward(
                params.reward_campaign.as_str(),
                params.valid_days,
                params.channels.clone(),
            ),
            effects::message(message(&params.channels, params.valid_days)),
        ])
    }
}

/// "Un bon de réduction vous attend en magasin (valable 30 jours)".
fn message(channels: &[String], valid_days: u32) -> String {
    let places: Option<Vec<&str>> = channels
        .iter()
        .map(|channel| match channel.as_str() {
            "store" => Some("en magasin"),
            "web" => Some("en ligne"),
            "app" => Some("sur l'application"),
            _ => None,
        })
        .collect();
    let mut places = places.unwrap_or_default();
    places.dedup();
    let where_ = match places.split_last() {
        None => "pour votre prochaine commande".to_string(),
        Some((only, [])) => (*only).to_string(),
        Some((last, rest)) => format!("{} ou {last}", rest.join(", ")),
    };
    let days = if valid_days == 1 { "jour" } else { "jours" };
    format!("Un bon de réduction vous attend {where_} (valable {valid_days} {days})")
}

remise_sdk::register_scenario!(CrossChannelReward);

#[cfg(test)]
mod tests {
    use super::*;
    use remise_sdk::testing::{check, run};
    use serde_json::{json, Value};

    fn store_reward() -> Value {
        json!({
            "min_spend": "50.00", "reward_campaign": "bon-magasin-10",
            "valid_days": 30, "channels": ["store"]
        })
    }

    fn basket(channel: &str, unit_price: &str) -> Value {
        json!({
            "currency": "EUR", "channel": channel,
            "customer": { "id": "c-1" },
            "lines": [{ "id": "1", "sku": "A", "quantity": 2, "unit_price": unit_price }]
        })
    }

    fn issued(params: &Value, basket: &Value) -> Vec<Effect> {
        run::<CrossChannelReward>(params, basket).expect("evaluates")
    }

    #[test]
    fn an_order_reaching_the_spend_earns_the_reward() {
        assert_eq!(
            issued(&store_reward(), &basket("web", "25.00")),
            vec![
                effects::issue_reward("bon-magasin-10", 30, vec!["store".into()]),
                effects::message("Un bon de réduction vous attend en magasin (valable 30 jours)"),
            ]
        );
        assert!(issued(&store_reward(), &basket("web", "24.99")).is_empty());
    }

    #[test]
    fn only_a_known_customer_with_lines_earns_it() {
        let mut anonymous = basket("web", "100");
        anonymous
            .as_object_mut()
            .expect("an object")
            .remove("customer");
        assert!(issued(&store_reward(), &anonymous).is_empty());
        let free = json!({ "min_spend": "0", "reward_campaign": "x", "valid_days": 1 });
        let empty = json!({ "currency": "EUR", "customer": { "id": "c" }, "lines": [] });
        assert!(issued(&free, &empty).is_empty());
        assert_eq!(
            issued(&free, &basket("store", "0")),
            vec![
                effects::issue_reward("x", 1, vec![]),
                effects::message(
                    "Un bon de réduction vous attend pour votre prochaine commande (valable 1 jour)"
                ),
            ]
        );
    }

    #[test]
    fn earn_channels_restrict_where_it_is_earned() {
        let mut params = store_reward();
        params["earn_channels"] = json!(["web", "app"]);
        params["channels"] = json!(["store", "app"]);
        assert!(issued(&params, &basket("store", "100")).is_empty());
        assert_eq!(
            issued(&params, &basket("app", "100")),
            vec![
                effects::issue_reward("bon-magasin-10", 30, vec!["store".into(), "app".into()]),
                effects::message(
                    "Un bon de réduction vous attend en magasin ou sur l'application (valable 30 jours)"
                ),
            ]
        );
        params["channels"] = json!(["kiosk"]);
        assert_eq!(
            issued(&params, &basket("web", "100")).get(1),
            Some(&effects::message(
                "Un bon de réduction vous attend pour votre prochaine commande (valable 30 jours)"
            ))
        );
    }

    #[test]
    fn bad_params_are_named_by_pointer() {
        let pointers = |params: Value| -> Vec<String> {
            check::<CrossChannelReward>(&params)
                .expect_err("refused")
                .into_iter()
                .map(|problem| problem.pointer)
                .collect()
        };
        assert_eq!(
            pointers(json!({ "min_spend": "-1", "reward_campaign": "", "valid_days": 0 })),
            ["/min_spend", "/reward_campaign", "/valid_days"]
        );
        assert_eq!(
            pointers(json!({
                "min_spend": "0", "reward_campaign": "r".repeat(129), "valid_days": 3_651,
                "channels": ["web", ""], "earn_channels": ["x".repeat(65)]
            })),
            [
                "/reward_campaign",
                "/valid_days",
                "/channels/1",
                "/earn_channels/0"
            ]
        );
        let seventeen: Vec<String> = (0..17).map(|i| format!("c{i}")).collect();
        assert_eq!(
            pointers(json!({
                "min_spend": "0", "reward_campaign": "r", "valid_days": 3_650, "channels": seventeen
            })),
            ["/channels"]
        );
        assert!(check::<CrossChannelReward>(&json!({
            "min_spend": "0", "reward_campaign": "r".repeat(128), "valid_days": 3_650
        }))
        .is_ok());
    }
}
