//! API keys and roles (docs/api.md "Authentication"): bearer keys carry one role; `admin`
//! holds them all; a route accepts one role or a few ([`Role::allows_any`]). Keys are stored as their SHA-256: they are 256-bit random strings, so a
//! fast hash loses nothing to guessing and costs nothing per request.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::str::FromStr;
use std::sync::Arc;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Channels: evaluate and commit baskets.
    Channel,
    /// Marketing: campaigns, groups, coupons, stats, the catalogue; evaluate (to try a
    /// basket).
    Marketing,
    /// Ops: plugin uploads, rollbacks, metrics; the catalogue.
    Ops,
    /// A store node (`remise serve --upstream`): reads what the centre serves (campaigns,
    /// groups, plugins, channel keys, customer profiles) and hands back the orders it
    /// committed (docs/store-nodes.md).
    Store,
    /// Everything.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Channel,
        Role::Marketing,
        Role::Ops,
        Role::Store,
        Role::Admin,
    ];

    /// Whether a key with this role may do what needs `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self == Role::Admin || self == needed
    }

    /// Whether a key with this role may use a route that accepts any of `accepted`
    /// (`admin` may use every route, even one that lists no role).
    pub fn allows_any(self, accepted: &[Role]) -> bool {
        self == Role::Admin || accepted.contains(&self)
    }

    /// The role's name, as in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Channel => "channel",
            Role::Marketing => "marketing",
            Role::Ops => "ops",
            Role::Store => "store",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "channel" => Ok(Role::Channel),
            "marketing" => Ok(Role::Marketing),
            "ops" => Ok(Role::Ops),
            "store" => Ok(Role::Store),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?} (channel, marketing, ops, store, admin)"
            )),
        }
    }
}

/// What a request's key is: its hash, its role, and the label people gave it (`None` when
/// it has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// The hex SHA-256 the key is stored under ([`hash_key`]), never the key. What a
    /// redemption records as the key that committed it. (The public id of
    /// `DELETE /v1/keys/{id}` is another, [`new_key_id`].)
    pub hash: Arc<str>,
    /// What the key may do.
    pub role: Role,
    /// A name for people, such as `web shop`.
    pub label: Option<Arc<str>>,
}

impl KeyInfo {
    /// What a campaign's history says of a write by this key: its label, or `<role> key`.
    pub fn author(&self) -> String {
        match &self.label {
            Some(label) => label.to_string(),
            None => format!("{} key", self.role.as_str()),
        }
    }

    /// The key stored under `hash` (its [`hash_key`]) with `role` and `label`; an empty
    /// label (keys are stored with `""` when configured without one) is none.
    pub fn new(hash: &str, role: Role, label: &str) -> Self {
        Self {
            hash: Arc::from(hash),
            role,
            label: (!label.is_empty()).then(|| Arc::from(label)),
        }
    }
}

/// Where a key comes from, which decides what ends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// The configuration file or `REMISE_ADMIN_KEY`: revoked by a start whose configuration
    /// no longer names it.
    Configured,
    /// Created by `POST /v1/keys`, or by the first start: lasts until revoked.
    Created,
}

impl KeySource {
    /// The source's name, as stored and answered.
    pub fn as_str(self) -> &'static str {
        match self {
            KeySource::Configured => "configured",
            KeySource::Created => "created",
        }
    }
}

impl FromStr for KeySource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "configured" => Ok(KeySource::Configured),
            "created" => Ok(KeySource::Created),
            other => Err(format!(
                "unknown key source {other:?} (configured, created)"
            )),
        }
    }
}

/// The fewest characters a key may have: a configured key shorter is refused at start
/// (ours are 67).
pub const MIN_KEY_CHARS: usize = 32;

/// The stored form of a key: its SHA-256, in hex.
pub fn hash_key(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))
}

/// A new random key: `rk_` and 64 hex digits (256 bits from the OS generator).
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("rk_{}", hex::encode(bytes))
}

/// A new public key id: 16 hex digits (64 random bits), what lists show and
/// `DELETE /v1/keys/{id}` names; it tells nothing of the key.
pub fn new_key_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_holds_every_role_and_the_others_only_their_own() {
        assert!(Role::Admin.allows(Role::Ops));
        assert!(Role::Marketing.allows(Role::Marketing));
        assert!(!Role::Marketing.allows(Role::Channel));
        assert!(!Role::Channel.allows(Role::Admin));
    }

    #[test]
    fn a_route_may_accept_several_roles() {
        let accepted = [Role::Channel, Role::Marketing];
        assert!(Role::Channel.allows_any(&accepted));
        assert!(Role::Marketing.allows_any(&accepted));
        assert!(!Role::Ops.allows_any(&accepted));
        assert!(Role::Admin.allows_any(&accepted));
        assert!(Role::Admin.allows_any(&[]));
        assert!(!Role::Ops.allows_any(&[]));
        assert!(Role::ALL.iter().all(|role| role.allows_any(&Role::ALL)));
    }

    #[test]
    fn an_empty_label_is_none() {
        assert_eq!(KeyInfo::new("00", Role::Ops, "").label, None);
        let key = KeyInfo::new("00", Role::Ops, "night shift");
        assert_eq!(key.label.as_deref(), Some("night shift"));
        assert_eq!(&*key.hash, "00");
    }

    #[test]
    fn keys_are_random_and_hashes_stable() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert_eq!(a.len(), 67);
        assert_eq!(hash_key("k"), hash_key("k"));
        assert_ne!(hash_key(&a), hash_key(&b));
        let id = new_key_id();
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, new_key_id());
    }
}
