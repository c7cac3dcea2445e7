//! The service as a replica of the shared database ([`crate::registry::propagation`]):
//! what a catch-up with other hosts' writes reloads (plugin versions, then campaigns and
//! groups), and the service's doors onto the propagation (announce a write, make sure a
//! request runs on fresh state, readiness).

use super::{Service, ServiceError};
use crate::registry::propagation::{self, Propagation, Readiness, Replica};
use crate::registry::{self};
use crate::store::Store;
use std::sync::PoisonError;

impl Replica for Service {
    type Error = ServiceError;

    fn store(&self) -> &Store {
        &self.store
    }

    fn propagation(&self) -> &Propagation {
        &self.propagation
    }

    /// Reloads plugins, keys, campaigns and groups written elsewhere (a key revoked
    /// elsewhere is refused from then on). Holds the write lock
    /// throughout, so an upload or a campaign write made on this host meanwhile is never
    /// overwritten by the copy the catch-up started from.
    async fn catch_up(&self) -> Result<(), ServiceError> {
        let write = self.writes.lock().await;
        let mut registry = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        registry::load_uploaded(&self.store, &self.loader, &mut registry).await?;
        *self
            .registry
            .write()
            .unwrap_or_else(PoisonError::into_inner) = registry;
        self.reload_under(&write).await
    }

    async fn refresh_usage(&self) -> Result<(), ServiceError> {
        let usage = self.store.usage().await?;
        self.evaluator.set_usage(usage);
        Ok(())
    }
}

impl Service {
    /// Tells other hosts that campaigns, groups, plugins or keys were just written (under the
    /// write lock, after the write is stored).
    pub(super) async fn changed(&self) {
        self.propagation.announce(&self.store).await;
    }

    /// Makes sure this host's cached state is as new as the database's, for an
    /// evaluation; never waits long nor fails ([`propagation::ensure_fresh`]).
    pub(super) async fn ensure_fresh(&self) {
        propagation::ensure_fresh(self).await;
    }

    /// Makes sure a commit runs on state as new as the database's: a 503 when that
    /// cannot be known.
    pub(super) async fn ensure_fresh_for_commit(&self) -> Result<(), ServiceError> {
        if propagation::ensure_fresh_for_commit(self).await {
            Ok(())
        } else {
            Err(ServiceError::Unavailable(
                "the database does not answer: the order cannot be committed now".into(),
            ))
        }
    }

    /// Whether the host can serve, for `/readyz`.
    pub async fn readiness(&self) -> Readiness {
        self.propagation.readiness(&self.store).await
    }
}
