//! Webhook signatures: HMAC-SHA256, keyed by the webhook's secret, over the delivery's
//! Unix timestamp, a dot and the body, so a receiver can tell a delivery came from this
//! server and refuse an old one replayed (docs/webhooks.md "Checking a delivery").

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The header that carries the signature: `t=<unix seconds>,v1=<hex HMAC>`.
pub const SIGNATURE_HEADER: &str = "Remise-Signature";

/// A new webhook secret: `whsec_` and 64 hex digits (256 bits from the OS generator).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

/// A new webhook id: `wh_` and 16 hex digits.
pub fn new_webhook_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    format!("wh_{}", hex::encode(bytes))
}

/// A new event id: `evt_` and 32 hex digits (128 random bits), what receivers
/// deduplicate on.
pub fn new_event_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("evt_{}", hex::encode(bytes))
}

/// The value of [`SIGNATURE_HEADER`] for `body` sent at `timestamp` (Unix seconds) to a
/// webhook with `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, body))
    )
}

/// Whether `header` ([`SIGNATURE_HEADER`]) signs `body` with `secret`, as a receiver
/// checks it (in constant time); the timestamp it names, when it does.
pub fn verify(secret: &str, header: &str, body: &[u8]) -> Option<i64> {
    let mut timestamp = None;
    let mut given = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => given = Some(value),
            _ => {}
        }
    }
    let (timestamp, given) = (timestamp?, given?);
    let bytes = hex::decode(given).ok()?;
    let mut expected = keyed(secret);
    expected.update(format!("{timestamp}.").as_bytes());
    expected.update(body);
    expected.verify_slice(&bytes).ok().map(|()| timestamp)
}

fn keyed(secret: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"))
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = keyed(secret);
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_secret_only() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_") && secret.len() == 70);
        let header = signature(&secret, 1_764_000_000, b"{\"id\":\"evt_1\"}");
        assert_eq!(
            verify(&secret, &header, b"{\"id\":\"evt_1\"}"),
            Some(1_764_000_000)
        );
        assert_eq!(verify(&secret, &header, b"{\"id\":\"evt_2\"}"), None);
        assert_eq!(verify(&new_secret(), &header, b"{\"id\":\"evt_1\"}"), None);
        let moved = header.replace("t=1764000000", "t=1764000001");
        assert_eq!(verify(&secret, &moved, b"{\"id\":\"evt_1\"}"), None);
        assert_eq!(verify(&secret, "v1=zz", b""), None);
    }

    #[test]
    fn the_signature_is_rfc_4231s_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = keyed("Jefe");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
