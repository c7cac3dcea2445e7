//! RFC 7396 JSON merge patch: how a `PATCH` changes part of a stored body (a campaign, a
//! customer's profile) before the result is checked as a whole.

/// Applies `patch` to `target` (RFC 7396): members set replace, `null` removes, objects
/// merge member by member, anything else replaces the whole.
pub fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    match patch {
        serde_json::Value::Object(fields) => {
            if !target.is_object() {
                *target = serde_json::Value::Object(Default::default());
            }
            if let serde_json::Value::Object(target) = target {
                for (key, value) in fields {
                    if value.is_null() {
                        target.remove(&key);
                    } else {
                        merge(target.entry(key).or_insert(serde_json::Value::Null), value);
                    }
                }
            }
        }
        other => *target = other,
    }
}

#[cfg(test)]
mod tests {
    use super::merge;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({ "a": "b", "c": { "d": "e", "f": "g" } });
        merge(&mut target, json!({ "a": "z", "c": { "f": null } }));
        assert_eq!(target, json!({ "a": "z", "c": { "d": "e" } }));
        let mut target = json!({ "a": [1, 2] });
        merge(&mut target, json!({ "a": [3] }));
        assert_eq!(target, json!({ "a": [3] }));
    }
}
