//! Customer profiles (docs/customers.md): written whole or by merge patch, listed, erased
//! with their orders anonymised, and read by every evaluation that names a customer,
//! through a short-lived cache so that a basket naming only `customer.id` is priced with
//! the stored profile without a database read per basket.
//!
//! The cache keeps what the store answered, a profile or its absence, for
//! [`PROFILE_FRESHNESS`]. A write through this host drops the entry and moves an epoch on,
//! so a read that began before the write does not cache what it read: this host's next
//! evaluation sees the write. (A read whose epoch check falls between the write's store
//! and its epoch move can still cache the old profile, for [`PROFILE_FRESHNESS`] at most.)
//! Another host's write is seen once the entry expires.

use super::{Service, ServiceError};
use crate::engine::wallet::{self, Offer, Place};
use crate::model::customer::CustomerProfile;
use crate::model::{Basket, Customer, FieldProblem, Usage};
use crate::store::{CustomerOrder, Erased, StoredCustomer, StoredLot, StoredSpend};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long a host keeps a profile (or its absence) an evaluation read.
pub const PROFILE_FRESHNESS: Duration = Duration::from_secs(2);
/// The most profiles a host keeps in memory.
pub const PROFILES_KEPT: u64 = 100_000;
/// How many times a merge patch is tried again when another write changed the profile
/// between its read and its write.
const PATCH_ATTEMPTS: usize = 5;

/// The profiles evaluations read lately, by customer id (`None`: none is stored).
pub(super) struct ProfileCache {
    profiles: moka::sync::Cache<String, Option<Arc<CustomerProfile>>>,
    /// Moved on by every write through this host: a read that began in another epoch
    /// does not cache what it read.
    epoch: AtomicU64,
}

impl ProfileCache {
    pub(super) fn new() -> Self {
        ProfileCache {
            profiles: moka::sync::Cache::builder()
                .max_capacity(PROFILES_KEPT)
                .time_to_live(PROFILE_FRESHNESS)
                .build(),
            epoch: AtomicU64::new(0),
        }
    }

    /// Forgets `id`'s profile, after a write of it.
    fn forget(&self, id: &str) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.profiles.invalidate(id);
    }
}

/// A page of profiles, and the id to pass as `after` for the next (`None` on the last).
#[derive(Debug)]
pub struct CustomerPage {
    /// The profiles, in id order.
    pub customers: Vec<StoredCustomer>,
    /// The last id of this page when more may follow.
    pub next: Option<String>,
}

impl Service {
    /// The stored profile of `id`; not found when there is none.
    pub async fn customer(&self, id: &str) -> Result<StoredCustomer, ServiceError> {
        self.store
            .customer(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("customer {id} not found")))
    }

    /// Stores `profile` as the whole profile of `id` (its `id`, when given, must be `id`);
    /// the stored profile and whether it is new.
    pub async fn put_customer(
        &self,
        id: &str,
        mut profile: CustomerProfile,
    ) -> Result<(StoredCustomer, bool), ServiceError> {
        if profile.id.as_deref().is_some_and(|given| given != id) {
            return Err(ServiceError::Invalid(vec![FieldProblem::new(
                "/id",
                format!("must be the id of the path ({id:?}), or left out"),
            )]));
        }
        profile.id = Some(id.to_string());
        profile
            .validate(self.today())
            .map_err(ServiceError::Invalid)?;
        let stored = self.store.put_customer(id, &profile).await;
        self.customers.forget(id);
        Ok(stored?)
    }

    /// Applies an RFC 7396 merge patch to the profile of `id`, checks the result whole and
    /// stores it; not found when there is no profile. A write of the same profile between
    /// this one's read and write makes it read again and patch what that write left.
    pub async fn patch_customer(
        &self,
        id: &str,
        merge_patch: serde_json::Value,
    ) -> Result<StoredCustomer, ServiceError> {
        if merge_patch.get("id").is_some_and(|given| given != id) {
            return Err(ServiceError::Invalid(vec![FieldProblem::new(
                "/id",
                "the id of a profile cannot change",
            )]));
        }
        for _ in 0..PATCH_ATTEMPTS {
            let current = self.customer(id).await?;
            let mut body = serde_json::to_value(&current.profile).map_err(|e| {
                ServiceError::Unavailable(format!("cannot read customer {id}: {e}"))
            })?;
            crate::model::merge_patch::merge(&mut body, merge_patch.clone());
            let mut profile: CustomerProfile =
                serde_path_to_error::deserialize(body).map_err(|error| {
                    let message = error.inner().to_string();
                    let pointer = crate::json_pointer::pointer(error.path().iter(), &message);
                    ServiceError::Invalid(vec![FieldProblem::new(pointer, message)])
                })?;
            profile.id = Some(id.to_string());
            profile
                .validate(self.today())
                .map_err(ServiceError::Invalid)?;
            let written = self
                .store
                .replace_customer_if_unchanged(id, &profile, current.updated_at)
                .await;
            self.customers.forget(id);
            if written? {
                return self.customer(id).await;
            }
        }
        Err(ServiceError::Busy(format!(
            "customer {id} kept changing while it was patched; try again"
        )))
    }

    /// Erases the customer `id`: the profile, and their id on every order (amounts stay).
    /// Not found when Remise knows nothing of them.
    pub async fn erase_customer(&self, id: &str) -> Result<Erased, ServiceError> {
        let erased = self.store.erase_customer(id, self.clock.now()).await;
        self.customers.forget(id);
        let erased = erased?;
        if !erased.profile && erased.orders == 0 {
            return Err(ServiceError::NotFound(format!("customer {id} not found")));
        }
        tracing::info!(
            orders = erased.orders,
            profile = erased.profile,
            "customer erased"
        );
        Ok(erased)
    }

    /// Up to `limit` profiles in id order whose id starts with `prefix`, after `after`.
    pub async fn customers(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<CustomerPage, ServiceError> {
        let customers = self.store.customers_page(prefix, after, limit).await?;
        let next = (customers.len() == limit as usize)
            .then(|| customers.last().and_then(|last| last.profile.id.clone()))
            .flatten();
        Ok(CustomerPage { customers, next })
    }

    /// Creates or replaces `rows` (`(id, stored body)`, ids distinct, each checked):
    /// one batch of an import.
    pub(super) async fn upsert_customers(
        &self,
        rows: &[(String, String)],
    ) -> Result<crate::store::Upserted, ServiceError> {
        let upserted = self.store.upsert_customers(rows, self.clock.now()).await;
        for (id, _) in rows {
            self.customers.forget(id);
        }
        Ok(upserted?)
    }

    /// The basket with its customer as evaluations price them: the stored profile, if
    /// any, under what the basket sent ([`CustomerProfile::under`]). When the profile
    /// cannot be read (the database is down), the basket is priced as it is sent.
    pub(super) async fn with_stored_profile(&self, mut basket: Basket) -> Basket {
        let Some(sent) = &basket.customer else {
            return basket;
        };
        // A till keeps selling while the database is down: the basket is then priced with
        // the profile this host still holds, if any, else with what it sends, rather than
        // wait for a read that cannot answer or refuse it.
        let stored = if self.propagation.is_degraded() {
            self.customers.profiles.get(&sent.id).flatten()
        } else {
            match self.stored_profile(&sent.id).await {
                Ok(stored) => stored,
                Err(error) => {
                    tracing::warn!(%error, "no customer profile read: priced as the basket says");
                    None
                }
            }
        };
        if let Some(stored) = stored {
            basket.customer = Some(stored.under(sent));
        }
        basket
    }

    /// The stored profile of `id`, from the cache when it is fresh there.
    async fn stored_profile(&self, id: &str) -> Result<Option<Arc<CustomerProfile>>, ServiceError> {
        if let Some(known) = self.customers.profiles.get(id) {
            return Ok(known);
        }
        let epoch = self.customers.epoch.load(Ordering::SeqCst);
        let read = super::redemptions::within_read_timeout(self.store.customer(id)).await?;
        let profile = read.map(|stored| Arc::new(stored.profile));
        if self.customers.epoch.load(Ordering::SeqCst) == epoch {
            self.customers
                .profiles
                .insert(id.to_string(), profile.clone());
        }
        Ok(profile)
    }

    /// The wallet of customer `id`: the offers they can get at `place` at `at` (now when
    /// absent), with what is left of each for them; not found without a stored profile.
    pub async fn wallet(
        &self,
        id: &str,
        place: Place<'_>,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<Offer>, ServiceError> {
        self.ensure_fresh().await;
        let Some(profile) = self.stored_profile(id).await? else {
            return Err(ServiceError::NotFound(format!("customer {id} not found")));
        };
        let customer = profile.under(&Customer {
            id: id.to_string(),
            loyalty_tier: None,
            segments: Vec::new(),
            birthdate: None,
            attributes: Default::default(),
        });
        let snapshot = self.evaluator.snapshot();
        let uses = if snapshot.caps_customers {
            super::redemptions::within_read_timeout(self.store.customer_uses(id)).await?
        } else {
            Vec::new()
        };
        let usage = Usage {
            campaigns: self.evaluator.usage(),
            customer: uses,
            coupons: Default::default(),
            customer_data: None,
        };
        let codes = self.store.customer_codes(id).await?;
        let at = at.unwrap_or_else(|| self.clock.now());
        Ok(wallet::offers(
            &snapshot.index,
            &usage,
            &customer,
            &codes,
            place,
            at,
        ))
    }

    /// The points of customer `id` at `at`: their balance (what is left of the lots
    /// neither reversed nor expired), every lot and every order's spend, newest first.
    /// Not found when Remise knows neither a profile nor a lot of theirs.
    pub async fn points(
        &self,
        id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(i64, Vec<StoredLot>, Vec<StoredSpend>), ServiceError> {
        let lots = self.store.points_lots(id).await?;
        if lots.is_empty() && self.store.customer(id).await?.is_none() {
            return Err(ServiceError::NotFound(format!("customer {id} not found")));
        }
        let balance = lots
            .iter()
            .filter(|lot| lot.reversed_at.is_none() && lot.expires_at.is_none_or(|end| at < end))
            .map(|lot| lot.remaining)
            .fold(0i64, i64::saturating_add);
        let spends = self.store.points_spends(id).await?;
        Ok((balance, lots, spends))
    }

    /// The newest `limit` orders of customer `id`, newest first. Not found when Remise
    /// knows neither a profile nor an order of theirs.
    pub async fn customer_orders(
        &self,
        id: &str,
        limit: u32,
    ) -> Result<Vec<CustomerOrder>, ServiceError> {
        let orders = self.store.customer_orders(id, limit).await?;
        if orders.is_empty() && self.store.customer(id).await?.is_none() {
            return Err(ServiceError::NotFound(format!("customer {id} not found")));
        }
        Ok(orders)
    }

    /// Now, by the server's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Today, by the server's clock (UTC): the latest birth date a profile may give.
    pub(super) fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }
}
