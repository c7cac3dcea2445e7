//! What the host knows of the basket's customer beyond the basket (contract 1.1's
//! `customer` interface): the stored profile, the points balance and the purchase history,
//! as SDK types with chrono dates, so a plugin never handles the wire records.
//!
//! The host reads these before the run, only for a plugin whose component imports the
//! interface, which a plugin does only if it calls one of these functions: a plugin that
//! never does costs no more than one built for contract 1.0. For an anonymous basket, or a
//! customer the host has never stored, every answer is empty: no profile, 0 points, no
//! purchases.
//!
//! In a `wasm32` build these call the host. In a native build (unit tests) they answer
//! with what [`crate::testing::with_customer_data`] set for the current thread, and the
//! empty answers by default (no profile, 0 points, a 365-day window, no purchases).
//!
//! A record holding an impossible date, which the host never sends, reads as absent.

use chrono::NaiveDate;
use std::collections::BTreeMap;

/// What a purchase history is kept by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// A product SKU.
    Sku,
    /// A product category.
    Category,
}

/// The customer's profile as stored in Remise, before the basket's own fields override it
/// for this evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The loyalty tier, such as `gold`.
    pub loyalty_tier: Option<String>,
    /// The segments the customer belongs to.
    pub segments: Vec<String>,
    /// The date of birth, if known.
    pub birthdate: Option<NaiveDate>,
    /// Free attributes, by name.
    pub attributes: BTreeMap<String, String>,
    /// Whether the customer accepts marketing e-mail.
    pub consent_email: bool,
    /// Whether the customer accepts marketing SMS.
    pub consent_sms: bool,
    /// The day the profile was first stored (UTC).
    pub member_since: NaiveDate,
}

impl Profile {
    /// An empty profile first stored on `member_since` (for tests and builders).
    pub fn new(member_since: NaiveDate) -> Self {
        Self {
            loyalty_tier: None,
            segments: Vec::new(),
            birthdate: None,
            attributes: BTreeMap::new(),
            consent_email: false,
            consent_sms: false,
            member_since,
        }
    }

    /// The value of the attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    /// Whether the customer is in `segment`.
    pub fn in_segment(&self, segment: &str) -> bool {
        self.segments.iter().any(|s| s == segment)
    }
}

/// What the customer bought of one SKU or category within the history window, from
/// committed orders (cancelled orders and returned units deducted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Purchases {
    /// Units bought.
    pub quantity: u64,
    /// Orders that held it.
    pub orders: u32,
    /// The day of the first of those orders (UTC).
    pub first_purchase: NaiveDate,
    /// The day of the last of those orders (UTC).
    pub last_purchase: NaiveDate,
}

impl Purchases {
    /// Whole days from the last purchase to `today` (negative if it is after `today`).
    pub fn days_since_last(&self, today: NaiveDate) -> i64 {
        (today - self.last_purchase).num_days()
    }
}

/// One item of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchasedItem {
    /// The SKU or category.
    pub item: String,
    /// What was bought of it.
    pub purchases: Purchases,
}

/// The stored profile, if the customer has one.
pub fn stored_profile() -> Option<Profile> {
    imp::stored_profile()
}

/// The points the customer can spend now: what is left of their lots that have not
/// expired. 0 for an anonymous basket.
pub fn points_balance() -> u64 {
    imp::points_balance()
}

/// How many days back the purchase history reaches (the host's setting, 365 by default).
pub fn history_window_days() -> u32 {
    imp::history_window_days()
}

/// What the customer bought of `item` (a SKU or a category, by `kind`) in the window.
pub fn purchases(kind: ItemKind, item: &str) -> Option<Purchases> {
    imp::purchases(kind, item)
}

/// The items of `kind` the customer bought in the window, the most recently bought first,
/// at most `limit` of them.
pub fn purchased(kind: ItemKind, limit: u32) -> Vec<PurchasedItem> {
    imp::purchased(kind, limit)
}

/// From the wire records of `wit/v1.1` to the SDK's types.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod wire {
    use super::{ItemKind, Profile, PurchasedItem, Purchases};
    use crate::wit::remise::scenario::customer as raw;
    use crate::wit::remise::scenario::types::Date;
    use chrono::NaiveDate;

    pub fn kind(kind: ItemKind) -> raw::ItemKind {
        match kind {
            ItemKind::Sku => raw::ItemKind::Sku,
            ItemKind::Category => raw::ItemKind::Category,
        }
    }

    pub fn date(d: Date) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(d.year, u32::from(d.month), u32::from(d.day))
    }

    pub fn profile(p: raw::Profile) -> Option<Profile> {
        Some(Profile {
            member_since: date(p.member_since)?,
            loyalty_tier: p.loyalty_tier,
            segments: p.segments,
            birthdate: p.birthdate.and_then(date),
            attributes: p.attributes.into_iter().collect(),
            consent_email: p.consent_email,
            consent_sms: p.consent_sms,
        })
    }

    pub fn purchases(p: raw::PurchaseSummary) -> Option<Purchases> {
        Some(Purchases {
            quantity: p.quantity,
            orders: p.orders,
            first_purchase: date(p.first_purchase)?,
            last_purchase: date(p.last_purchase)?,
        })
    }

    pub fn item(i: raw::PurchasedItem) -> Option<PurchasedItem> {
        Some(PurchasedItem {
            item: i.item,
            purchases: purchases(i.purchases)?,
        })
    }
}

/// The plugin: each call asks the host.
#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{wire, ItemKind, Profile, PurchasedItem, Purchases};
    use crate::wit::remise::scenario::customer as raw;

    pub fn stored_profile() -> Option<Profile> {
        raw::stored_profile().and_then(wire::profile)
    }

    pub fn points_balance() -> u64 {
        raw::points_balance()
    }

    pub fn history_window_days() -> u32 {
        raw::history_window_days()
    }

    pub fn purchases(kind: ItemKind, item: &str) -> Option<Purchases> {
        raw::purchases(wire::kind(kind), item).and_then(wire::purchases)
    }

    pub fn purchased(kind: ItemKind, limit: u32) -> Vec<PurchasedItem> {
        raw::purchased(wire::kind(kind), limit)
            .into_iter()
            .filter_map(wire::item)
            .collect()
    }
}

/// What this module answers natively: per thread, set by a test
/// (`testing::with_customer_data`, re-exported there).
pub(crate) mod test_data {
    use super::{ItemKind, Profile, PurchasedItem, Purchases};
    use std::cell::{Cell, RefCell};

    /// What the host knows of the basket's customer, as a test sets it.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct CustomerData {
        /// The stored profile (default: none).
        pub profile: Option<Profile>,
        /// The points balance (default: 0).
        pub points_balance: u64,
        /// How many days back the history reaches (default: 365).
        pub history_window_days: u32,
        /// What was bought, by SKU (any order: `purchased` sorts).
        pub skus: Vec<PurchasedItem>,
        /// What was bought, by category (any order: `purchased` sorts).
        pub categories: Vec<PurchasedItem>,
    }

    impl Default for CustomerData {
        fn default() -> Self {
            Self {
                profile: None,
                points_balance: 0,
                history_window_days: 365,
                skus: Vec::new(),
                categories: Vec::new(),
            }
        }
    }

    impl CustomerData {
        /// With this points balance.
        pub fn with_points(mut self, points: u64) -> Self {
            self.points_balance = points;
            self
        }

        /// With this stored profile.
        pub fn with_profile(mut self, profile: Profile) -> Self {
            self.profile = Some(profile);
            self
        }

        /// With this history window.
        pub fn with_history_window_days(mut self, days: u32) -> Self {
            self.history_window_days = days;
            self
        }

        /// With `purchases` of `item` (replacing what was set for it).
        pub fn with_purchases(
            mut self,
            kind: ItemKind,
            item: impl Into<String>,
            purchases: Purchases,
        ) -> Self {
            let item = item.into();
            let history = match kind {
                ItemKind::Sku => &mut self.skus,
                ItemKind::Category => &mut self.categories,
            };
            history.retain(|bought| bought.item != item);
            history.push(PurchasedItem { item, purchases });
            self
        }

        /// The history kept by `kind`.
        pub fn history(&self, kind: ItemKind) -> &[PurchasedItem] {
            match kind {
                ItemKind::Sku => &self.skus,
                ItemKind::Category => &self.categories,
            }
        }

        /// What the host answers for an anonymous basket: nothing, in the same window.
        #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
        fn anonymous(&self) -> Self {
            Self {
                history_window_days: self.history_window_days,
                ..Self::default()
            }
        }
    }

    thread_local! {
        static CURRENT: RefCell<Option<CustomerData>> = const { RefCell::new(None) };
        static ANONYMOUS: Cell<bool> = const { Cell::new(false) };
    }

    /// Puts the previous value back when dropped, even if the test panics.
    struct Restore(Option<CustomerData>);

    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|current| *current.borrow_mut() = previous);
        }
    }

    /// Runs `run` with `crate::customer` answering from `data` on this thread, e.g.
    /// `with_customer_data(CustomerData::default().with_points(500), || run::<S>(&p, &b))`.
    pub fn with_customer_data<R>(data: CustomerData, run: impl FnOnce() -> R) -> R {
        let previous = CURRENT.with(|current| current.borrow_mut().replace(data));
        let _restore = Restore(previous);
        run()
    }

    /// Reads what the current thread's test set (the defaults when nothing is set, the
    /// empty answers while an anonymous basket is evaluated).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn with_current_customer<R>(read: impl FnOnce(&CustomerData) -> R) -> R {
        CURRENT.with(|current| {
            let current = current.borrow();
            let unset;
            let data = match current.as_ref() {
                Some(data) => data,
                None => {
                    unset = CustomerData::default();
                    &unset
                }
            };
            if ANONYMOUS.with(Cell::get) {
                read(&data.anonymous())
            } else {
                read(data)
            }
        })
    }

    /// While alive, the basket being evaluated is anonymous.
    pub(crate) struct AnonymousRun(bool);

    impl AnonymousRun {
        pub(crate) fn start(anonymous: bool) -> Self {
            Self(ANONYMOUS.with(|flag| flag.replace(anonymous)))
        }
    }

    impl Drop for AnonymousRun {
        fn drop(&mut self) {
            ANONYMOUS.with(|flag| flag.set(self.0));
        }
    }
}

/// Native builds: what the test set for this thread (`testing::with_customer_data`).
#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::test_data::with_current_customer;
    use super::{ItemKind, Profile, PurchasedItem, Purchases};

    pub fn stored_profile() -> Option<Profile> {
        with_current_customer(|data| data.profile.clone())
    }

    pub fn points_balance() -> u64 {
        with_current_customer(|data| data.points_balance)
    }

    pub fn history_window_days() -> u32 {
        with_current_customer(|data| data.history_window_days)
    }

    pub fn purchases(kind: ItemKind, item: &str) -> Option<Purchases> {
        with_current_customer(|data| {
            data.history(kind)
                .iter()
                .find(|bought| bought.item == item)
                .map(|bought| bought.purchases)
        })
    }

    pub fn purchased(kind: ItemKind, limit: u32) -> Vec<PurchasedItem> {
        let mut items = with_current_customer(|data| data.history(kind).to_vec());
        items.sort_by(|a, b| {
            b.purchases
                .last_purchase
                .cmp(&a.purchases.last_purchase)
                .then_with(|| a.item.cmp(&b.item))
        });
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        items
    }
}

#[cfg(test)]
mod tests {
    use super::test_data::{with_customer_data, CustomerData};
    use super::*;
    use crate::wit::remise::scenario::customer as raw;
    use crate::wit::remise::scenario::types::Date;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real test date")
    }

    fn bought(orders: u32, last: NaiveDate) -> Purchases {
        Purchases {
            quantity: u64::from(orders),
            orders,
            first_purchase: day(2025, 1, 1),
            last_purchase: last,
        }
    }

    #[test]
    fn without_data_every_answer_is_empty() {
        assert_eq!(stored_profile(), None);
        assert_eq!(points_balance(), 0);
        assert_eq!(history_window_days(), 365);
        assert_eq!(purchases(ItemKind::Sku, "A"), None);
        assert!(purchased(ItemKind::Category, 10).is_empty());
    }

    #[test]
    fn a_test_sets_what_the_host_would_answer() {
        let data = CustomerData::default()
            .with_points(1_250)
            .with_profile(Profile::new(day(2024, 3, 1)))
            .with_purchases(ItemKind::Category, "shoes", bought(4, day(2025, 6, 1)))
            .with_purchases(ItemKind::Category, "bags", bought(1, day(2025, 9, 1)))
            .with_purchases(ItemKind::Category, "tops", bought(2, day(2025, 6, 1)))
            .with_purchases(ItemKind::Sku, "RUN-1", bought(2, day(2025, 6, 1)));
        with_customer_data(data, || {
            assert_eq!(points_balance(), 1_250);
            assert_eq!(
                stored_profile().map(|p| p.member_since),
                Some(day(2024, 3, 1))
            );
            assert_eq!(
                purchases(ItemKind::Category, "shoes").map(|p| p.orders),
                Some(4)
            );
            assert_eq!(purchases(ItemKind::Sku, "shoes"), None);
            let recent: Vec<String> = purchased(ItemKind::Category, 2)
                .into_iter()
                .map(|bought| bought.item)
                .collect();
            // Most recent first; ties by name.
            assert_eq!(recent, ["bags", "shoes"]);
        });
        assert_eq!(points_balance(), 0, "the data is gone after the closure");
    }

    #[test]
    fn wire_records_with_impossible_dates_read_as_absent() {
        let good = Date {
            year: 2025,
            month: 2,
            day: 28,
        };
        let bad = Date {
            year: 2025,
            month: 2,
            day: 30,
        };
        let record = |last| raw::PurchaseSummary {
            quantity: 3,
            orders: 2,
            first_purchase: good,
            last_purchase: last,
        };
        assert_eq!(
            wire::purchases(record(good)).map(|p| p.last_purchase),
            Some(day(2025, 2, 28))
        );
        assert_eq!(wire::purchases(record(bad)), None);
        let profile = raw::Profile {
            loyalty_tier: Some("gold".into()),
            segments: vec!["vip".into()],
            birthdate: Some(bad),
            attributes: vec![("size".into(), "42".into())],
            consent_email: true,
            consent_sms: false,
            member_since: good,
        };
        let read = wire::profile(profile.clone()).expect("a valid profile");
        assert_eq!(read.birthdate, None);
        assert_eq!(read.attribute("size"), Some("42"));
        assert!(read.in_segment("vip"));
        assert_eq!(
            wire::profile(raw::Profile {
                member_since: bad,
                ..profile
            }),
            None
        );
    }
}
