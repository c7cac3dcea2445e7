//! The webhook delivery worker (docs/webhooks.md): one background task per host that fans
//! each outbox event out to the webhooks subscribed to its type, then POSTs the deliveries
//! due, signed, at least once, a customer's in order, retrying with exponential backoff
//! until the retry horizon and then keeping them as dead letters. Hosts sharing a database
//! share the work: an attempt first leases its delivery, so two hosts do not send it at
//! once, and a host that dies mid-attempt lets another try once the lease ends.

pub mod destination;
pub mod sign;

use crate::store::{Attempt, DueDelivery, Store};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How deliveries are made (`--webhook-*` flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Whether webhook URLs may reach loopback, link-local and private addresses.
    pub allow_private: bool,
    /// How long one attempt may take, connection, request and answer included.
    pub timeout: Duration,
    /// The wait after a first failure; each further failure doubles it, up to
    /// [`MAX_RETRY_DELAY`].
    pub retry_base: Duration,
    /// How long a delivery is retried from when it was queued before it becomes a dead
    /// letter.
    pub retry_for: Duration,
    /// The share of a campaign's budget granted, in percent, at which
    /// `campaign.budget_low` is sent.
    pub budget_low_percent: u8,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private: false,
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(10),
            retry_for: Duration::from_secs(24 * 60 * 60),
            budget_low_percent: 80,
        }
    }
}

/// The longest wait between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(60 * 60);

/// The most of an endpoint's answer read (the rest is dropped): its status decides, the
/// start of its body only explains a failure.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// How much of a failed answer's body is kept as its error.
const ERROR_EXCERPT_CHARS: usize = 200;

/// Events fanned out at a time.
const FAN_OUT_BATCH: i64 = 500;

/// Deliveries read at a time.
const DUE_BATCH: i64 = 64;

/// Deliveries in flight at once, on one host.
const CONCURRENT_DELIVERIES: usize = 16;

/// How often the worker looks for work it was not woken for: events of other hosts,
/// retries whose time has come.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How long delivered deliveries and events are kept.
const RETENTION: chrono::Duration = chrono::Duration::days(7);

/// How often what is past [`RETENTION`] is removed.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Why the delivery client cannot be built.
#[derive(Debug, thiserror::Error)]
#[error("the webhook client cannot be built: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// Starts the worker on `store`; `wake` tells it an event was written on this host, and
/// `stop` (once it changes) to end after the round it is in.
pub fn spawn(
    store: Store,
    settings: WebhookSettings,
    wake: Arc<Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, ClientError> {
    let client = client(settings)?;
    Ok(tokio::spawn(async move {
        let mut pruned_at = tokio::time::Instant::now();
        loop {
            if *stop.borrow() {
                break;
            }
            let busy = match round(&store, &client, settings).await {
                Ok(busy) => busy,
                Err(error) => {
                    tracing::warn!(%error, "webhook deliveries wait for the database");
                    false
                }
            };
            if pruned_at.elapsed() >= PRUNE_INTERVAL {
                pruned_at = tokio::time::Instant::now();
                match store.prune_outbox(Utc::now() - RETENTION).await {
                    Ok(events) => tracing::debug!(events, "old events and deliveries removed"),
                    Err(error) => tracing::warn!(%error, "old events not removed yet"),
                }
            }
            if !busy {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(POLL_INTERVAL) => {}
                    _ = stop.changed() => break,
                }
            }
        }
    }))
}

/// The HTTP client of deliveries: no proxy from the environment, no redirects (a 3xx is a
/// failure: a redirect could lead anywhere), the guarded resolver, the attempt's timeout.
fn client(settings: WebhookSettings) -> Result<reqwest::Client, ClientError> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(destination::GuardedResolver {
            allow_private: settings.allow_private,
        }))
        .connect_timeout(settings.timeout)
        .timeout(settings.timeout)
        .user_agent(concat!("Remise-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Fans out what is new and sends what is due; whether there was anything to do.
async fn round(
    store: &Store,
    client: &reqwest::Client,
    settings: WebhookSettings,
) -> Result<bool, crate::store::StoreError> {
    let fanned = store.fan_out(FAN_OUT_BATCH, Utc::now()).await?;
    let due = store.due_deliveries(Utc::now(), DUE_BATCH).await?;
    let sent = !due.is_empty();
    futures_util::stream::iter(due)
        .for_each_concurrent(CONCURRENT_DELIVERIES, |delivery| async move {
            if let Err(error) = deliver(store, client, settings, &delivery).await {
                tracing::warn!(%error, webhook = %delivery.webhook_id, event = %delivery.event_id,
                    "a webhook delivery's outcome was not recorded; it will be tried again");
            }
        })
        .await;
    Ok(fanned > 0 || sent)
}

/// One attempt at `delivery`, if this host wins its lease.
async fn deliver(
    store: &Store,
    client: &reqwest::Client,
    settings: WebhookSettings,
    delivery: &DueDelivery,
) -> Result<(), crate::store::StoreError> {
    let now = Utc::now();
    let lease = settings.timeout + Duration::from_secs(5);
    let lease_until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    if !store.claim_delivery(delivery, now, lease_until).await? {
        return Ok(());
    }
    let outcome = attempt(client, settings, delivery).await;
    let done = Utc::now();
    let attempt = match outcome {
        Ok(status) => {
            crate::metrics::webhook_delivered(true);
            Attempt::Delivered { status }
        }
        Err((status, error)) => {
            crate::metrics::webhook_delivered(false);
            let retry_at = retry_at(settings, delivery, done);
            if retry_at.is_none() {
                tracing::warn!(webhook = %delivery.webhook_id, event = %delivery.event_id,
                    attempts = delivery.attempts + 1, %error,
                    "a webhook delivery is a dead letter");
            } else {
                tracing::debug!(webhook = %delivery.webhook_id, event = %delivery.event_id,
                    %error, "a webhook delivery failed; it will be retried");
            }
            Attempt::Failed {
                status,
                error,
                retry_at,
            }
        }
    };
    store.record_attempt(delivery, &attempt, done).await
}

/// When to try `delivery` again after its attempt failed at `now`: the retry base doubled
/// per earlier attempt (at most [`MAX_RETRY_DELAY`]) with up to a tenth more at random, so
/// that deliveries failed together are not retried together; `None` once that is past the
/// retry horizon.
fn retry_at(
    settings: WebhookSettings,
    delivery: &DueDelivery,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let doublings = u32::try_from(delivery.attempts.clamp(0, 30)).unwrap_or(30);
    let delay = settings
        .retry_base
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY_DELAY);
    let jitter = delay.mul_f64(rand::random::<f64>() / 10.0);
    let at = now + chrono::Duration::from_std(delay + jitter).ok()?;
    let horizon = delivery.queued_at + chrono::Duration::from_std(settings.retry_for).ok()?;
    (at <= horizon).then_some(at)
}

/// POSTs `delivery`: its 2xx status, or the status (if an answer came) and why it failed.
async fn attempt(
    client: &reqwest::Client,
    settings: WebhookSettings,
    delivery: &DueDelivery,
) -> Result<u16, (Option<u16>, String)> {
    let url = url::Url::parse(&delivery.url).map_err(|why| (None, format!("bad URL: {why}")))?;
    // An IP literal never meets the resolver: it is checked here.
    let literal = match url.host() {
        Some(url::Host::Ipv4(v4)) => Some(std::net::IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(std::net::IpAddr::V6(v6)),
        _ => None,
    };
    if let Some(why) = literal
        .filter(|_| !settings.allow_private)
        .and_then(destination::literal)
    {
        return Err((None, format!("refused: {why}")));
    }
    let timestamp = Utc::now().timestamp();
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Remise-Event-Id", &delivery.event_id)
        .header("Remise-Event-Type", &delivery.kind)
        .header(
            "Remise-Delivery-Attempt",
            (delivery.attempts + 1).to_string(),
        )
        .header(
            sign::SIGNATURE_HEADER,
            sign::signature(&delivery.secret, timestamp, delivery.body.as_bytes()),
        )
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|error| (None, describe(&error)))?;
    let status = response.status();
    let excerpt = read_capped(response).await;
    if status.is_success() {
        Ok(status.as_u16())
    } else {
        let excerpt: String = excerpt.chars().take(ERROR_EXCERPT_CHARS).collect();
        Err((
            Some(status.as_u16()),
            format!("HTTP {}: {}", status.as_u16(), excerpt.trim()),
        ))
    }
}

/// Up to [`MAX_ANSWER_BYTES`] of `response`'s body, as text; the rest is not read.
async fn read_capped(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < MAX_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(MAX_ANSWER_BYTES);
    String::from_utf8_lossy(&body).into_owned()
}

/// `error` for people: a timeout, a refused connection, a refused address, with its causes.
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    causes.dedup();
    if causes.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {}", causes.join(": "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(attempts: i64, queued_at: DateTime<Utc>) -> DueDelivery {
        DueDelivery {
            webhook_id: "wh_1".into(),
            event_seq: 1,
            event_id: "evt_1".into(),
            kind: "redemption.committed".into(),
            body: "{}".into(),
            url: "https://crm.example".into(),
            secret: "whsec_x".into(),
            attempts,
            queued_at,
            next_attempt_at: String::new(),
        }
    }

    #[test]
    fn retries_double_until_the_horizon_then_stop() {
        let settings = WebhookSettings::default();
        let queued = Utc::now();
        let first = retry_at(settings, &due(0, queued), queued).expect("retried");
        let wait = (first - queued).num_milliseconds();
        assert!((10_000..=11_000).contains(&wait), "{wait} ms");
        let third = retry_at(settings, &due(2, queued), queued).expect("retried");
        let wait = (third - queued).num_milliseconds();
        assert!((40_000..=44_000).contains(&wait), "{wait} ms");
        let late = retry_at(settings, &due(20, queued), queued).expect("retried");
        assert!(late - queued <= chrono::Duration::minutes(66));
        let past = queued + chrono::Duration::hours(24);
        assert_eq!(retry_at(settings, &due(30, queued), past), None);
    }
}
