//! Exclusivity groups: each group's policy, read and set; a change reaches the evaluator's
//! snapshot at once.

use super::evaluator::Snapshot;
use super::{Service, ServiceError};
use crate::model::Policy;
use std::sync::Arc;

impl Service {
    /// Every configured group.
    pub async fn groups(&self) -> Result<Vec<(String, Policy)>, ServiceError> {
        Ok(self.store.groups().await?)
    }

    /// A group's policy (`best_for_customer` when never configured).
    pub async fn group(&self, name: &str) -> Result<Policy, ServiceError> {
        let groups = self.store.groups().await?;
        Ok(groups
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, policy)| policy)
            .unwrap_or_default())
    }

    /// Sets a group's policy.
    pub async fn set_group(&self, name: &str, policy: Policy) -> Result<(), ServiceError> {
        let _write = self.writes.lock().await;
        self.store.set_group(name, policy).await?;
        self.evaluator.update_snapshot(|current| {
            let mut policies = current.policies.clone();
            policies.insert(name.to_string(), policy);
            Snapshot::new(Arc::clone(&current.index), policies)
        });
        self.changed().await;
        Ok(())
    }
}
