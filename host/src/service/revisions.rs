//! A campaign's history as the API shows it: its revisions, one of them whole, and what
//! changed between two (RFC 6902 operations, each with the value before and after).

use super::{Service, ServiceError};
use crate::model::campaign::Campaign;
use crate::model::FieldProblem;
use crate::store::StoredRevision;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// One revision of a campaign.
#[derive(Clone, Debug, Serialize)]
pub struct RevisionView {
    /// Its number.
    pub revision: i64,
    /// `created`, `replaced` or `deleted`.
    pub action: &'static str,
    /// Who wrote it: the API key's label, or `<role> key`.
    pub author: String,
    /// When it was written.
    pub written_at: DateTime<Utc>,
    /// The campaign as written (absent from lists, and for a deletion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<Campaign>,
}

impl RevisionView {
    fn new(stored: StoredRevision, with_body: bool) -> Self {
        Self {
            revision: stored.revision,
            action: stored.action.as_str(),
            author: stored.author,
            written_at: stored.written_at,
            campaign: stored.campaign.filter(|_| with_body),
        }
    }
}

/// What changed in a campaign between two of its revisions.
#[derive(Clone, Debug, Serialize)]
pub struct CampaignDiff {
    /// The campaign's id.
    pub campaign_id: String,
    /// The older revision.
    pub from: i64,
    /// The newer revision.
    pub to: i64,
    /// Each change, in document order.
    pub changes: Vec<Change>,
}

/// One change: an RFC 6902 operation (`add`, `remove` or `replace`) at a JSON pointer, with
/// the value there before and after.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// `add`, `remove` or `replace`.
    pub op: &'static str,
    /// Where, as a JSON pointer into the campaign (`""`: the whole of it).
    pub path: String,
    /// The value before (absent for an `add`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The value after (absent for a `remove`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

impl Service {
    /// Every revision of the campaign `id`, newest first, without their bodies.
    pub async fn campaign_revisions(&self, id: &str) -> Result<Vec<RevisionView>, ServiceError> {
        let revisions = self.store.campaign_revisions(id).await?;
        if revisions.is_empty() {
            return Err(ServiceError::NotFound(format!(
                "campaign {id} has no history: it was never created"
            )));
        }
        Ok(revisions
            .into_iter()
            .rev()
            .map(|stored| RevisionView::new(stored, false))
            .collect())
    }

    /// Revision `revision` of the campaign `id`, whole.
    pub async fn campaign_revision(
        &self,
        id: &str,
        revision: i64,
    ) -> Result<RevisionView, ServiceError> {
        self.revision(id, revision)
            .await
            .map(|stored| RevisionView::new(stored, true))
    }

    async fn revision(&self, id: &str, revision: i64) -> Result<StoredRevision, ServiceError> {
        self.store
            .campaign_revision(id, revision)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!("campaign {id} has no revision {revision}"))
            })
    }

    /// What changed in the campaign `id` from revision `from` to revision `to`; `to`
    /// defaults to the newest, `from` to the one before `to`.
    pub async fn campaign_diff(
        &self,
        id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<CampaignDiff, ServiceError> {
        let to = match to {
            Some(to) => to,
            None => self
                .store
                .campaign_revisions(id)
                .await?
                .last()
                .map(|newest| newest.revision)
                .ok_or_else(|| {
                    ServiceError::NotFound(format!(
                        "campaign {id} has no history: it was never created"
                    ))
                })?,
        };
        let from = from.unwrap_or(to - 1);
        if from >= to {
            return Err(ServiceError::Invalid(vec![FieldProblem::new(
                "/from",
                format!("from ({from}) must be an older revision than to ({to})"),
            )]));
        }
        let (older, newer) = (self.revision(id, from).await?, self.revision(id, to).await?);
        Ok(CampaignDiff {
            campaign_id: id.to_string(),
            from,
            to,
            changes: changes(&body(&older)?, &body(&newer)?),
        })
    }
}

/// A revision's campaign as JSON (`null` for a deletion).
fn body(revision: &StoredRevision) -> Result<Value, ServiceError> {
    serde_json::to_value(&revision.campaign).map_err(|e| {
        ServiceError::Unavailable(format!(
            "cannot read revision {} of campaign {}: {e}",
            revision.revision, revision.campaign_id
        ))
    })
}

/// The changes from `older` to `newer`, found by `json-patch`'s RFC 6902 diff.
pub fn changes(older: &Value, newer: &Value) -> Vec<Change> {
    json_patch::diff(older, newer)
        .0
        .into_iter()
        .filter_map(|operation| {
            use json_patch::PatchOperation as Op;
            let (op, path) = match &operation {
                Op::Add(add) => ("add", add.path.to_string()),
                Op::Remove(remove) => ("remove", remove.path.to_string()),
                Op::Replace(replace) => ("replace", replace.path.to_string()),
                // The diff writes only the three above.
                Op::Move(_) | Op::Copy(_) | Op::Test(_) => return None,
            };
            let before = (op != "add")
                .then(|| older.pointer(&path).cloned())
                .flatten();
            let after = match operation {
                Op::Add(add) => Some(add.value),
                Op::Replace(replace) => Some(replace.value),
                _ => None,
            };
            Some(Change {
                op,
                path,
                before,
                after,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_change_names_its_pointer_and_both_values() {
        let older = json!({"name": "10 %", "limits": {"budget": "500.00"}, "stores": ["a"]});
        let newer = json!({"name": "12 %", "limits": {}, "stores": ["a", "b"], "group": "g"});
        let mut found = changes(&older, &newer);
        found.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(
            found,
            [
                Change {
                    op: "add",
                    path: "/group".into(),
                    before: None,
                    after: Some(json!("g")),
                },
                Change {
                    op: "remove",
                    path: "/limits/budget".into(),
                    before: Some(json!("500.00")),
                    after: None,
                },
                Change {
                    op: "replace",
                    path: "/name".into(),
                    before: Some(json!("10 %")),
                    after: Some(json!("12 %")),
                },
                Change {
                    op: "add",
                    path: "/stores/1".into(),
                    before: None,
                    after: Some(json!("b")),
                },
            ]
        );
    }

    #[test]
    fn a_deletion_replaces_the_whole_campaign_by_null() {
        let older = json!({"name": "10 %"});
        assert_eq!(
            changes(&older, &Value::Null),
            [Change {
                op: "replace",
                path: String::new(),
                before: Some(older.clone()),
                after: Some(Value::Null),
            }]
        );
        assert!(changes(&older, &older).is_empty());
    }
}
