//! Conflict resolution (docs/api.md "Evaluation, in order", step 4): of the campaigns whose
//! plugins proposed effects, which ones apply, in which order, and why the others lost.
//!
//! The resolver is pure: it sees each candidate's id, priority, group, exclusivity and the
//! discount it grants on this basket alone, and the policy of each group through a closure
//! (a group never configured uses `best_for_customer`; the caller's closure says so). The
//! same candidates, in any input order, always give the same answer.
//!
//! The rules, in the order they are applied:
//!
//! 1. **Groups.** At most one campaign of an exclusivity group applies, chosen by the
//!    group's [`Policy`]: `best_for_customer` takes the largest discount,
//!    `best_for_merchant` the smallest, `priority` the lowest `priority` number. Ties break
//!    by `priority` (lower first), then campaign id (lexicographic, byte order). The policy
//!    closure is called once per group present among the candidates. A group name is taken
//!    as given: `Some("")` is a group named `""`, not "no group".
//! 2. **Stacking.** Campaigns with no group stack: each one is a winner of its own.
//! 3. **Exclusivity.** An exclusive campaign only excludes others *when it wins*: one that
//!    loses inside its group excludes nobody. Among the winners (group winners and
//!    ungrouped campaigns), if any is exclusive, exactly one exclusive campaign applies,
//!    alone; every other winner, exclusive or not, loses with a detail naming it. When
//!    several exclusive campaigns win, the one applied is the first by `priority` (lower
//!    first, as Talon.One evaluates exclusive campaigns in priority order and stops at the
//!    first that applies), then by larger discount (the customer-friendly choice, as for an
//!    unconfigured group), then by id.
//! 4. **Order.** The applied campaigns come in application order: `priority` ascending,
//!    then id. [`crate::money::price`] applies them in that order, so when a clamp bites, the
//!    campaign with the lower priority number is served first.
//!
//! Every candidate ends in exactly one of [`Resolution::applied`] or [`Resolution::lost`];
//! `lost` is in candidate (input) order. Discounts are compared as exact decimals, so
//! `15.0` and `15.00` are equal. A campaign granting only gifts, points or messages has a
//! discount of 0 and competes as such. Should two candidates share an id (the caller should
//! not let that happen), their input order is the last tie-breaker.

pub use crate::model::policy::Policy;
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A campaign whose plugin proposed effects, as the resolver sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The campaign id.
    pub id: &'a str,
    /// The campaign's priority: lower number first.
    pub priority: i32,
    /// The exclusivity group it belongs to, if any.
    pub group: Option<&'a str>,
    /// Whether it excludes every other campaign when it wins.
    pub exclusive: bool,
    /// What it grants on this basket alone.
    pub discount: Decimal,
}

/// The outcome: which candidates apply, in application order, and why the others lost.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolution {
    /// Indexes into the candidates slice, in application order (priority ascending, then
    /// id).
    pub applied: Vec<usize>,
    /// Index into the candidates slice and a human detail, e.g.
    /// `"group seasonal: vip-15 won (best_for_customer)"`; in candidate order.
    pub lost: Vec<(usize, String)>,
}

/// Priority ascending, then id.
fn application_order(a: &Candidate<'_>, b: &Candidate<'_>) -> Ordering {
    a.priority.cmp(&b.priority).then_with(|| a.id.cmp(b.id))
}

/// Among exclusive winners: priority ascending, then larger discount, then id.
fn exclusive_order(a: &Candidate<'_>, b: &Candidate<'_>) -> Ordering {
    a.priority
        .cmp(&b.priority)
        .then_with(|| b.discount.cmp(&a.discount))
        .then_with(|| a.id.cmp(b.id))
}

/// Settles the conflicts between `candidates`; `policy` gives the policy of a group by name
/// (called once per group present). See the module documentation for the rules.
pub fn resolve(candidates: &[Candidate<'_>], policy: impl Fn(&str) -> Policy) -> Resolution {
    let mut lost: Vec<(usize, String)> = Vec::new();
    let mut winners: Vec<usize> = Vec::new();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, candidate) in candidates.iter().enumerate() {
        match candidate.group {
            Some(group) => groups.entry(group).or_default().push(i),
            None => winners.push(i),
        }
    }

    for (group, members) in groups {
        let policy = policy(group);
        let best = members
            .iter()
            .copied()
            .min_by(|&a, &b| rank(policy, &candidates[a], &candidates[b]).then(a.cmp(&b)));
        let Some(best) = best else { continue };
        winners.push(best);
        for member in members.into_iter().filter(|&m| m != best) {
            lost.push((
                member,
                format!("group {group}: {} won ({policy})", candidates[best].id),
            ));
        }
    }

    let exclusive = winners
        .iter()
        .copied()
        .filter(|&i| candidates[i].exclusive)
        .min_by(|&a, &b| exclusive_order(&candidates[a], &candidates[b]).then(a.cmp(&b)));
    let mut applied = match exclusive {
        Some(alone) => {
            let name = candidates[alone].id;
            for other in winners.into_iter().filter(|&w| w != alone) {
                let detail = if candidates[other].exclusive {
                    format!(
                        "exclusive campaign {name} applies alone \
                         (first exclusive winner by priority, then discount, then id)"
                    )
                } else {
                    format!("exclusive campaign {name} applies alone")
                };
                lost.push((other, detail));
            }
            vec![alone]
        }
        None => winners,
    };

    applied.sort_by(|&a, &b| application_order(&candidates[a], &candidates[b]).then(a.cmp(&b)));
    lost.sort_by_key(|(i, _)| *i);
    Resolution { applied, lost }
}

/// Orders two candidates of one group under `policy`: `Less` when `a` is preferred. Ties
/// break by priority, then id.
fn rank(policy: Policy, a: &Candidate<'_>, b: &Candidate<'_>) -> Ordering {
    let by_policy = match policy {
        Policy::BestForCustomer => b.discount.cmp(&a.discount),
        Policy::BestForMerchant => a.discount.cmp(&b.discount),
        Policy::Priority => Ordering::Equal,
    };
    by_policy.then_with(|| application_order(a, b))
}

#[cfg(test)]
mod tests {
    //! Every expectation below is worked out by hand from the rules in the module docs.

    use super::*;
    use std::cell::RefCell;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    fn stacking(id: &'static str, priority: i32, discount: &str) -> Candidate<'static> {
        Candidate {
            id,
            priority,
            group: None,
            exclusive: false,
            discount: dec(discount),
        }
    }

    fn grouped(
        id: &'static str,
        priority: i32,
        group: &'static str,
        discount: &str,
    ) -> Candidate<'static> {
        Candidate {
            group: Some(group),
            ..stacking(id, priority, discount)
        }
    }

    fn exclusive(mut candidate: Candidate<'static>) -> Candidate<'static> {
        candidate.exclusive = true;
        candidate
    }

    fn everywhere(policy: Policy) -> impl Fn(&str) -> Policy {
        move |_| policy
    }

    /// Applied ids in order, and lost (id, detail) in candidate order.
    fn outcome<'a>(
        candidates: &[Candidate<'a>],
        resolution: &Resolution,
    ) -> (Vec<&'a str>, Vec<(&'a str, String)>) {
        (
            resolution
                .applied
                .iter()
                .map(|&i| candidates[i].id)
                .collect(),
            resolution
                .lost
                .iter()
                .map(|(i, detail)| (candidates[*i].id, detail.clone()))
                .collect(),
        )
    }

    fn lost(items: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        items.iter().map(|&(id, d)| (id, d.to_string())).collect()
    }

    /// A gold card-holder qualifies for three offers of the group `loyalty`, listed in the
    /// brief's order: 15.00 at priority 3, 10.00 at priority 1, 20.00 at priority 2.
    fn gold_offers() -> Vec<Candidate<'static>> {
        vec![
            grouped("gold-15", 3, "loyalty", "15.00"),
            grouped("card-10", 1, "loyalty", "10.00"),
            grouped("spring-20", 2, "loyalty", "20.00"),
        ]
    }

    #[test]
    fn gold_card_holder_best_for_customer_takes_the_largest_discount() {
        let candidates = gold_offers();
        let resolution = resolve(&candidates, everywhere(Policy::BestForCustomer));
        assert_eq!(resolution.applied, vec![2]);
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                vec!["spring-20"],
                lost(&[
                    (
                        "gold-15",
                        "group loyalty: spring-20 won (best_for_customer)"
                    ),
                    (
                        "card-10",
                        "group loyalty: spring-20 won (best_for_customer)"
                    ),
                ])
            )
        );
    }

    #[test]
    fn gold_card_holder_best_for_merchant_takes_the_smallest_discount() {
        let candidates = gold_offers();
        let resolution = resolve(&candidates, everywhere(Policy::BestForMerchant));
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                vec!["card-10"],
                lost(&[
                    ("gold-15", "group loyalty: card-10 won (best_for_merchant)"),
                    (
                        "spring-20",
                        "group loyalty: card-10 won (best_for_merchant)"
                    ),
                ])
            )
        );
    }

    #[test]
    fn gold_card_holder_priority_takes_the_lowest_priority_number() {
        let candidates = gold_offers();
        let resolution = resolve(&candidates, everywhere(Policy::Priority));
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                vec!["card-10"],
                lost(&[
                    ("gold-15", "group loyalty: card-10 won (priority)"),
                    ("spring-20", "group loyalty: card-10 won (priority)"),
                ])
            )
        );
    }

    /// The same three amounts with priorities arranged so that each policy picks a
    /// different offer.
    #[test]
    fn each_policy_picks_a_different_offer() {
        let candidates = vec![
            grouped("gold-15", 1, "loyalty", "15.00"),
            grouped("card-10", 3, "loyalty", "10.00"),
            grouped("spring-20", 2, "loyalty", "20.00"),
        ];
        let winner = |policy| {
            let resolution = resolve(&candidates, everywhere(policy));
            outcome(&candidates, &resolution).0
        };
        assert_eq!(winner(Policy::BestForCustomer), vec!["spring-20"]);
        assert_eq!(winner(Policy::BestForMerchant), vec!["card-10"]);
        assert_eq!(winner(Policy::Priority), vec!["gold-15"]);
    }

    #[test]
    fn discount_ties_break_by_priority_then_id() {
        // 15.0 and 15.00 are the same amount; "b-offer" has the lower priority number.
        let candidates = vec![
            grouped("a-offer", 2, "seasonal", "15.00"),
            grouped("b-offer", 1, "seasonal", "15.0"),
            grouped("c-offer", 1, "seasonal", "9.00"),
        ];
        let resolution = resolve(&candidates, everywhere(Policy::BestForCustomer));
        assert_eq!(outcome(&candidates, &resolution).0, vec!["b-offer"]);

        // Same amount, same priority: the id decides, whatever the input order.
        let candidates = vec![
            grouped("zeta", 4, "seasonal", "5.00"),
            grouped("beta", 4, "seasonal", "5.00"),
            grouped("alpha", 4, "seasonal", "5.00"),
        ];
        for policy in [
            Policy::BestForCustomer,
            Policy::BestForMerchant,
            Policy::Priority,
        ] {
            let resolution = resolve(&candidates, everywhere(policy));
            assert_eq!(
                outcome(&candidates, &resolution),
                (
                    vec!["alpha"],
                    lost(&[
                        ("zeta", &format!("group seasonal: alpha won ({policy})")),
                        ("beta", &format!("group seasonal: alpha won ({policy})")),
                    ])
                )
            );
        }
    }

    #[test]
    fn merchant_ties_break_by_priority_then_id() {
        let candidates = vec![
            grouped("m-2", 7, "margin", "3.00"),
            grouped("m-1", 7, "margin", "3.00"),
            grouped("m-0", 8, "margin", "3.00"),
            grouped("m-big", 1, "margin", "30.00"),
        ];
        let resolution = resolve(&candidates, everywhere(Policy::BestForMerchant));
        assert_eq!(outcome(&candidates, &resolution).0, vec!["m-1"]);
    }

    #[test]
    fn priority_policy_ignores_the_discount_and_breaks_ties_by_id() {
        let candidates = vec![
            grouped("small", 5, "g", "1.00"),
            grouped("huge", 5, "g", "99.00"),
            grouped("first", -2, "g", "0.50"),
        ];
        let resolution = resolve(&candidates, everywhere(Policy::Priority));
        assert_eq!(outcome(&candidates, &resolution).0, vec!["first"]);

        let candidates = &candidates[..2];
        let resolution = resolve(candidates, everywhere(Policy::Priority));
        assert_eq!(outcome(candidates, &resolution).0, vec!["huge"]);
    }

    #[test]
    fn an_exclusive_campaign_beats_stackable_ones() {
        let candidates = vec![
            stacking("points-x2", 10, "0"),
            stacking("five-off", 20, "5.00"),
            exclusive(stacking("black-friday", 50, "30.00")),
            grouped("vip-15", 1, "seasonal", "15.00"),
            grouped("vip-10", 2, "seasonal", "10.00"),
        ];
        let resolution = resolve(&candidates, everywhere(Policy::BestForCustomer));
        assert_eq!(resolution.applied, vec![2]);
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                vec!["black-friday"],
                lost(&[
                    ("points-x2", "exclusive campaign black-friday applies alone"),
                    ("five-off", "exclusive campaign black-friday applies alone"),
                    ("vip-15", "exclusive campaign black-friday applies alone"),
                    ("vip-10", "group seasonal: vip-15 won (best_for_customer)"),
                ])
            )
        );
    }

    #[test]
    fn an_exclusive_group_winner_excludes_everyone() {
        let candidates = vec![
            stacking("welcome", 1, "2.00"),
            exclusive(grouped("vip-15", 5, "seasonal", "15.00")),
            grouped("vip-10", 2, "seasonal", "10.00"),
        ];
        let resolution = resolve(&candidates, everywhere(Policy::BestForCustomer));
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                vec!["vip-15"],
                lost(&[
                    ("welcome", "exclusive campaign vip-15 applies alone"),
                    ("vip-10", "group seasonal: vip-15 won (best_for_customer)"),
                ])
            )
        );
    }

    #[test]
    fn two_exclusive_winners_the_lower_priority_number_applies() {
        // "solo-a" wins its group; "solo-b" is ungrouped with a lower priority number.
        let candidates = vec![
            exclusive(grouped("solo-a", 5, "seasonal", "40.00")),
            grouped("other", 9, "seasonal", "1.00"),
            exclusive(stacking("solo-b", 1, "10.00")),
            stacking("stack", 0, "3.00"),
        ];
        let resolution = resolve(&candidates, everywhere(Policy::BestForCustomer));
        let rival = "exclusive campaign solo-b applies alone \
                     (first exclusive winner by priority, then discount, then id)";
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                vec!["solo-b"],
                lost(&[
                    ("solo-a", rival),
                    ("other", "group seasonal: solo-a won (best_for_customer)"),
                    ("stack", "exclusive campaign solo-b applies alone"),
                ])
            )
        );
    }

    #[test]
    fn two_exclusive_winners_same_priority_larger_discount_then_id() {
        let candidates = vec![
            exclusive(stacking("x-small", 3, "5.00")),
            exclusive(stacking("x-large", 3, "25.00")),
        ];
        let resolution = resolve(&candidates, everywhere(Policy::BestForCustomer));
        assert_eq!(outcome(&candidates, &resolution).0, vec!["x-large"]);

        let candidates = vec![
            exclusive(stacking("x-b", 3, "25.00")),
            exclusive(stacking("x-a", 3, "25.0")),
        ];
        let resolution = resolve(&candidates, everywhere(Policy::BestForCustomer));
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                vec!["x-a"],
                lost(&[(
                    "x-b",
                    "exclusive campaign x-a applies alone \
                     (first exclusive winner by priority, then discount, then id)"
                )])
            )
        );
    }

    #[test]
    fn ungrouped_campaigns_stack_beside_a_group_winner_in_application_order() {
        let candidates = vec![
            stacking("points-x2", 100, "0"),
            grouped("vip-15", 50, "seasonal", "15.00"),
            stacking("bundle", 5, "4.00"),
            grouped("vip-10", 10, "seasonal", "10.00"),
            stacking("anniversary", 5, "6.00"),
            stacking("early", -1, "1.00"),
        ];
        let resolution = resolve(&candidates, everywhere(Policy::BestForCustomer));
        assert_eq!(resolution.applied, vec![5, 4, 2, 1, 0]);
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                vec!["early", "anniversary", "bundle", "vip-15", "points-x2"],
                lost(&[("vip-10", "group seasonal: vip-15 won (best_for_customer)")])
            )
        );
    }

    #[test]
    fn an_exclusive_campaign_that_loses_in_its_group_excludes_nobody() {
        let candidates = vec![
            exclusive(grouped("solo", 1, "seasonal", "5.00")),
            grouped("vip-10", 2, "seasonal", "10.00"),
            stacking("welcome", 3, "2.00"),
        ];
        let resolution = resolve(&candidates, everywhere(Policy::BestForCustomer));
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                vec!["vip-10", "welcome"],
                lost(&[("solo", "group seasonal: vip-10 won (best_for_customer)")])
            )
        );

        // Under the priority policy the same exclusive campaign wins its group, and then
        // applies alone.
        let resolution = resolve(&candidates, everywhere(Policy::Priority));
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                vec!["solo"],
                lost(&[
                    ("vip-10", "group seasonal: solo won (priority)"),
                    ("welcome", "exclusive campaign solo applies alone"),
                ])
            )
        );
    }

    #[test]
    fn each_group_uses_its_own_policy_asked_once() {
        let candidates = vec![
            grouped("c-big", 1, "customer", "20.00"),
            grouped("c-small", 2, "customer", "5.00"),
            grouped("m-big", 1, "merchant", "20.00"),
            grouped("m-small", 2, "merchant", "5.00"),
            grouped("p-big", 2, "prio", "20.00"),
            grouped("p-small", 1, "prio", "5.00"),
            grouped("u-big", 2, "unconfigured", "20.00"),
            grouped("u-small", 1, "unconfigured", "5.00"),
        ];
        let asked = RefCell::new(Vec::new());
        let resolution = resolve(&candidates, |group| {
            asked.borrow_mut().push(group.to_string());
            match group {
                "merchant" => Policy::BestForMerchant,
                "prio" => Policy::Priority,
                "customer" => Policy::BestForCustomer,
                _ => Policy::default(),
            }
        });
        let mut asked = asked.into_inner();
        asked.sort();
        assert_eq!(asked, vec!["customer", "merchant", "prio", "unconfigured"]);
        assert_eq!(
            outcome(&candidates, &resolution),
            (
                // Priority 1: c-big, p-small; priority 2: m-small, u-big.
                vec!["c-big", "p-small", "m-small", "u-big"],
                lost(&[
                    ("c-small", "group customer: c-big won (best_for_customer)"),
                    ("m-big", "group merchant: m-small won (best_for_merchant)"),
                    ("p-big", "group prio: p-small won (priority)"),
                    (
                        "u-small",
                        "group unconfigured: u-big won (best_for_customer)"
                    ),
                ])
            )
        );
    }

    #[test]
    fn a_lone_group_member_wins_its_group() {
        let candidates = vec![grouped("only", 1, "seasonal", "0")];
        let resolution = resolve(&candidates, everywhere(Policy::BestForMerchant));
        assert_eq!(resolution.applied, vec![0]);
        assert!(resolution.lost.is_empty());
    }

    #[test]
    fn empty_input_resolves_to_nothing_without_asking_for_a_policy() {
        let resolution = resolve(&[], |group| panic!("policy asked for {group}"));
        assert_eq!(resolution, Resolution::default());
    }

    #[test]
    fn policy_json_names() {
        for (policy, name) in [
            (Policy::BestForCustomer, "best_for_customer"),
            (Policy::BestForMerchant, "best_for_merchant"),
            (Policy::Priority, "priority"),
        ] {
            let json = serde_json::to_string(&policy).expect("serialize");
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<Policy>(&json).expect("deserialize"),
                policy
            );
            assert_eq!(policy.to_string(), name);
        }
        assert_eq!(Policy::default(), Policy::BestForCustomer);
        assert!(serde_json::from_str::<Policy>("\"cheapest\"").is_err());
    }

    /// A small deterministic generator, so the invariants below are checked on many
    /// baskets without a property-testing dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self, bound: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % bound
        }
    }

    const IDS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const GROUPS: [Option<&str>; 4] = [None, Some("g1"), Some("g2"), None];

    fn policy_of(group: &str) -> Policy {
        match group {
            "g1" => Policy::BestForMerchant,
            _ => Policy::BestForCustomer,
        }
    }

    #[test]
    fn invariants_hold_and_input_order_does_not_matter() {
        let mut rng = Rng(0x5eed_cafe_f00d_beef);
        for _ in 0..2_000 {
            let count = rng.next(IDS.len() as u64 + 1) as usize;
            let candidates: Vec<Candidate<'static>> = IDS[..count]
                .iter()
                .map(|&id| Candidate {
                    id,
                    priority: rng.next(4) as i32 - 1,
                    group: GROUPS[rng.next(GROUPS.len() as u64) as usize],
                    exclusive: rng.next(5) == 0,
                    discount: Decimal::new(rng.next(4) as i64 * 250, 2),
                })
                .collect();
            let resolution = resolve(&candidates, policy_of);

            // Every candidate ends in exactly one of applied or lost.
            let mut seen: Vec<usize> = resolution
                .applied
                .iter()
                .copied()
                .chain(resolution.lost.iter().map(|(i, _)| *i))
                .collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..count).collect::<Vec<_>>());

            // At most one campaign of a group applies.
            let applied: Vec<&Candidate<'_>> =
                resolution.applied.iter().map(|&i| &candidates[i]).collect();
            for group in ["g1", "g2"] {
                assert!(applied.iter().filter(|c| c.group == Some(group)).count() <= 1);
            }
            // An applied exclusive campaign applies alone.
            if applied.iter().any(|c| c.exclusive) {
                assert_eq!(applied.len(), 1);
            }
            // Something applies whenever there is a candidate.
            assert_eq!(applied.is_empty(), candidates.is_empty());
            // Application order: priority, then id.
            assert!(applied
                .windows(2)
                .all(|w| (w[0].priority, w[0].id) < (w[1].priority, w[1].id)));
            // Lost in candidate order, each with a detail.
            assert!(resolution.lost.windows(2).all(|w| w[0].0 < w[1].0));
            assert!(resolution.lost.iter().all(|(_, d)| !d.is_empty()));

            // The same basket, candidates reversed: the same answer by id.
            let reversed: Vec<Candidate<'static>> = candidates.iter().rev().copied().collect();
            let again = resolve(&reversed, policy_of);
            let (applied_ids, mut lost_ids) = outcome(&candidates, &resolution);
            let (again_applied, mut again_lost) = outcome(&reversed, &again);
            lost_ids.sort();
            again_lost.sort();
            assert_eq!(applied_ids, again_applied);
            assert_eq!(lost_ids, again_lost);
        }
    }
}
