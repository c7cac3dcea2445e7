//! The decision journal (docs/history.md): a sample of evaluations, each with the basket as
//! priced, the answer as sent, and the revision and plugin version of every campaign whose
//! plugin ran. Recording never delays an answer: a sampled evaluation is offered to a
//! bounded queue (a full queue drops it and counts it), and one writer task compresses
//! and stores what the queue holds, in batches, and prunes what is past the retention.
//! Commits are journalled by their redemption row, in the commit's own transaction.

use super::evaluator::Snapshot;
use super::{Service, ServiceError};
use crate::engine::response::EvaluateResponse;
use crate::engine::LiveCampaign;
use crate::metrics;
use crate::model::basket::Basket;
use crate::model::customer_data::CustomerData;
use crate::model::policy::Policy;
use crate::model::usage::{CampaignUsage, CouponState, CustomerUse};
use crate::model::Usage;
use crate::store::JournalRow;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::mpsc;

/// Entries one batch of the writer takes from the queue at most.
const BATCH: usize = 2_048;
/// How long the writer lets a batch gather after its first entry: one transaction (and one
/// sync to disk) per tenth of a second rather than per handful of entries.
const GATHER: Duration = Duration::from_millis(100);
/// How often the writer prunes entries past the retention.
const PRUNE_EVERY: Duration = Duration::from_secs(3_600);
/// The largest decompressed basket or answer read back (a guard against a corrupt row).
const MAX_INFLATED: u64 = 16 << 20;

/// What the journal records and keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalSettings {
    /// The share of evaluations recorded, in percent (0 to 100).
    pub sample_percent: u8,
    /// How long an entry is kept.
    pub retention: Duration,
    /// Sampled evaluations waiting for the writer at most; past it they are dropped.
    pub queue: usize,
}

impl Default for JournalSettings {
    /// 1 % of evaluations, kept 30 days, 10,000 waiting at most.
    fn default() -> Self {
        Self {
            sample_percent: 1,
            retention: Duration::from_secs(30 * 86_400),
            queue: 10_000,
        }
    }
}

/// A campaign whose plugin ran for a journalled evaluation, as it was then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalCampaign {
    /// Its id.
    pub id: String,
    /// Its revision (`GET /v1/campaigns/{id}/revisions/{revision}`).
    pub revision: i64,
    /// Its plugin's name.
    pub plugin: String,
    /// The plugin version that ran.
    pub version: String,
    /// That version's SHA-256.
    pub sha256: String,
}

/// A journalled evaluation, as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct JournalEntry {
    /// The answer's `evaluation_id`.
    pub evaluation_id: String,
    /// When it was answered (the server's clock).
    pub recorded_at: DateTime<Utc>,
    /// The instant the basket was priced at.
    pub priced_at: DateTime<Utc>,
    /// The campaigns whose plugin ran, with their revisions and plugin versions.
    pub campaigns: Vec<JournalCampaign>,
    /// The basket as priced (the stored profile merged).
    pub basket: serde_json::Value,
    /// The answer as sent.
    pub answer: serde_json::Value,
}

/// What an answer depended on besides its basket, instant, campaigns and plugin versions:
/// the usage and group policies it was priced under, and whether it explained. Kept for
/// the campaigns the entry names only.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct ReplayContext {
    /// The request's `explain`.
    pub(super) explain: bool,
    /// The policy of each group of those campaigns.
    pub(super) policies: BTreeMap<String, Policy>,
    /// Those campaigns' budget and cap usage.
    pub(super) usage: BTreeMap<String, CampaignUsage>,
    /// The customer's past redemptions of them.
    pub(super) customer: Vec<CustomerUse>,
    /// The basket's coupon codes as stored then.
    pub(super) coupons: BTreeMap<String, CouponState>,
    /// What plugins could ask about the customer.
    pub(super) customer_data: Option<CustomerData>,
}

/// A campaign that applied to a committed order, as the order keeps it.
#[derive(Clone, Debug, Serialize)]
pub struct OrderCampaign {
    /// Its definition at the order, `plugin_version` set to the version that ran.
    pub campaign: serde_json::Value,
    /// That version's SHA-256.
    pub sha256: String,
}

/// A committed order, as the journal shows it (commits are always journalled).
#[derive(Clone, Debug, Serialize)]
pub struct OrderEntry {
    /// The order's id.
    pub order_id: String,
    /// The commit answer's `evaluation_id`.
    pub evaluation_id: String,
    /// When it was committed, by the server's clock.
    pub committed_at: DateTime<Utc>,
    /// When it was cancelled, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The campaigns that applied, as at the order (empty for orders committed before
    /// they were kept).
    pub campaigns: Vec<OrderCampaign>,
    /// The basket as priced (`null` for orders committed before it was kept).
    pub basket: serde_json::Value,
    /// The commit's answer as sent.
    pub answer: serde_json::Value,
}

/// A sampled evaluation on its way to the writer, which works out what to store.
pub(super) struct Pending {
    evaluation_id: String,
    recorded_at: DateTime<Utc>,
    priced_at: DateTime<Utc>,
    basket: Basket,
    /// The answer's JSON, as sent.
    answer: Bytes,
    explain: bool,
    /// The campaigns whose plugin ran.
    considered: Vec<String>,
    snapshot: Arc<Snapshot>,
    usage: Usage,
}

/// An answered evaluation of the journal's sample.
pub(super) struct Answered<'a> {
    pub(super) basket: Basket,
    pub(super) body: &'a Bytes,
    pub(super) answer: &'a EvaluateResponse,
    pub(super) explain: bool,
    pub(super) snapshot: &'a Arc<Snapshot>,
    pub(super) usage: Usage,
    pub(super) now: DateTime<Utc>,
}

/// The queue between evaluations and the writer.
pub(super) struct Recorder {
    settings: JournalSettings,
    sender: mpsc::Sender<Pending>,
    receiver: Mutex<Option<mpsc::Receiver<Pending>>>,
}

impl Recorder {
    pub(super) fn new(settings: JournalSettings) -> Self {
        let (sender, receiver) = mpsc::channel(settings.queue.max(1));
        Self {
            settings,
            sender,
            receiver: Mutex::new(Some(receiver)),
        }
    }

    pub(super) fn settings(&self) -> JournalSettings {
        self.settings
    }

    /// Queues `pending` for the writer unless the queue is full, in which case it is
    /// dropped and counted; whether it was queued.
    fn offer(&self, pending: Pending) -> bool {
        let queued = self.sender.try_send(pending).is_ok();
        if !queued {
            metrics::journal_entries("dropped", 1);
        }
        queued
    }

    /// Whether this evaluation is one of the sample.
    pub(super) fn sampled(&self) -> bool {
        match self.settings.sample_percent {
            0 => false,
            100.. => true,
            percent => rand::random_range(0..100u8) < percent,
        }
    }
}

impl Service {
    /// Offers an answered evaluation of the sample (drawn before it ran, so `usage` could
    /// be kept) to the journal: never waits, and a full queue drops it (counted).
    pub(super) fn journal_evaluation(&self, answered: Answered<'_>) {
        let pending = Pending {
            evaluation_id: answered.answer.evaluation_id.clone(),
            recorded_at: answered.now,
            priced_at: answered
                .basket
                .at
                .map_or(answered.now, |at| at.with_timezone(&Utc)),
            basket: answered.basket,
            answer: answered.body.clone(),
            explain: answered.explain,
            considered: answered.answer.considered.clone(),
            snapshot: Arc::clone(answered.snapshot),
            usage: answered.usage,
        };
        self.journal.offer(pending);
    }

    /// The stored row of journalled evaluation `evaluation_id` (a 404 when there is none).
    pub(super) async fn journal_row(
        &self,
        evaluation_id: &str,
    ) -> Result<JournalRow, ServiceError> {
        self.store
            .journal_entry(evaluation_id)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "evaluation {evaluation_id} is not in the journal: it was not sampled, \
                     or is past the retention"
                ))
            })
    }

    /// The journalled evaluation `evaluation_id`.
    pub async fn journal_entry(&self, evaluation_id: &str) -> Result<JournalEntry, ServiceError> {
        let row = self.journal_row(evaluation_id).await?;
        let unreadable = |what: &str, why: String| unreadable(evaluation_id, what, why);
        Ok(JournalEntry {
            campaigns: serde_json::from_str(&row.campaigns)
                .map_err(|e| unreadable("campaigns", e.to_string()))?,
            basket: inflate(&row.basket).map_err(|why| unreadable("basket", why))?,
            answer: inflate(&row.answer).map_err(|why| unreadable("answer", why))?,
            evaluation_id: row.evaluation_id,
            recorded_at: row.recorded_at,
            priced_at: row.priced_at,
        })
    }
}

impl Service {
    /// The committed order `order_id`, as the journal shows it.
    pub async fn journal_order(&self, order_id: &str) -> Result<OrderEntry, ServiceError> {
        let order = self.store.committed_order(order_id).await?.ok_or_else(|| {
            ServiceError::NotFound(format!("order {order_id} was never committed"))
        })?;
        let unreadable = |what: &str, why: String| {
            ServiceError::Unavailable(format!(
                "the {what} of order {order_id} is unreadable: {why}"
            ))
        };
        let answer: serde_json::Value =
            serde_json::from_str(&order.answer).map_err(|e| unreadable("answer", e.to_string()))?;
        let basket = match &order.basket {
            Some(json) => {
                serde_json::from_str(json).map_err(|e| unreadable("basket", e.to_string()))?
            }
            None => serde_json::Value::Null,
        };
        let campaigns = match &order.pricing {
            Some(json) => {
                let priced: Vec<serde_json::Value> = serde_json::from_str(json)
                    .map_err(|e| unreadable("campaigns", e.to_string()))?;
                priced
                    .into_iter()
                    .map(|mut priced| OrderCampaign {
                        campaign: priced["campaign"].take(),
                        sha256: priced["sha256"].as_str().unwrap_or_default().to_string(),
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        Ok(OrderEntry {
            evaluation_id: answer["evaluation_id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            order_id: order.order_id,
            committed_at: order.committed_at,
            cancelled_at: order.cancelled_at,
            campaigns,
            basket,
            answer,
        })
    }
}

/// The journal's writer: stores what the queue holds, a batch at a time, until `stopping`;
/// then stores what is left and ends. Prunes past the retention once an hour.
pub async fn run_journal_writer(
    service: std::sync::Arc<Service>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let taken = service
        .journal
        .receiver
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let Some(mut receiver) = taken else {
        return;
    };
    let retention = service.journal.settings().retention;
    let mut pruned_at: Option<tokio::time::Instant> = None;
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let mut last = tokio::select! {
            received = receiver.recv_many(&mut batch, BATCH) => received == 0,
            _ = stopping.changed() => true,
        };
        if !last {
            last = tokio::select! {
                () = tokio::time::sleep(GATHER) => false,
                _ = stopping.changed() => true,
            };
        }
        if last {
            receiver.close();
        }
        while batch.len() < BATCH || last {
            match receiver.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            let taken: Vec<Pending> = std::mem::take(&mut batch);
            let count = taken.len() as u64;
            let rows = tokio::task::spawn_blocking(move || {
                taken.into_iter().filter_map(row).collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default();
            match service.store.insert_journal(&rows).await {
                Ok(()) => metrics::journal_entries("written", count),
                Err(error) => {
                    metrics::journal_entries("failed", count);
                    tracing::warn!(%error, entries = count, "journal entries not written");
                }
            }
        }
        if last {
            break;
        }
        if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            pruned_at = Some(tokio::time::Instant::now());
            let before =
                service.clock.now() - chrono::Duration::from_std(retention).unwrap_or_default();
            match service.store.prune_journal(before).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "journal entries past the retention pruned"),
                Err(error) => tracing::warn!(%error, "the journal could not be pruned"),
            }
        }
    }
}

/// The error for a part (`what`) of journal entry `evaluation_id` that cannot be read.
pub(super) fn unreadable(evaluation_id: &str, what: &str, why: String) -> ServiceError {
    ServiceError::Unavailable(format!(
        "the journal's {what} of {evaluation_id} is unreadable: {why}"
    ))
}

/// The stored row of `pending`: its basket, answer and context as compressed JSON, and
/// the campaigns it names: those whose plugin ran, or with `explain` every live one (the
/// answer lists why each other one was set aside).
fn row(pending: Pending) -> Option<JournalRow> {
    let index = &pending.snapshot.index;
    let named: Vec<&Arc<LiveCampaign>> = if pending.explain {
        index.all().iter().collect()
    } else {
        pending
            .considered
            .iter()
            .filter_map(|id| index.get(id))
            .collect()
    };
    let campaigns: Vec<JournalCampaign> = named
        .iter()
        .map(|live| {
            let metadata = live.plugin.metadata();
            JournalCampaign {
                id: live.campaign.id.clone(),
                revision: live.revision,
                plugin: metadata.name.clone(),
                version: metadata.version.to_string(),
                sha256: live.plugin.sha256().to_string(),
            }
        })
        .collect();
    let usage = &pending.usage;
    let context = ReplayContext {
        explain: pending.explain,
        policies: named
            .iter()
            .filter_map(|live| live.campaign.group.as_ref())
            .filter_map(|group| Some((group.clone(), *pending.snapshot.policies.get(group)?)))
            .collect(),
        usage: named
            .iter()
            .filter_map(|live| {
                let id = &live.campaign.id;
                Some((id.clone(), usage.campaigns.get(id)?.clone()))
            })
            .collect(),
        customer: usage
            .customer
            .iter()
            .filter(|used| named.iter().any(|live| live.campaign.id == used.campaign))
            .cloned()
            .collect(),
        coupons: usage
            .coupons
            .iter()
            .map(|(code, state)| (code.clone(), state.clone()))
            .collect(),
        customer_data: usage.customer_data.as_deref().cloned(),
    };
    let basket = compress(&serde_json::to_vec(&pending.basket).ok()?);
    let answer = compress(&pending.answer);
    let context = compress(&serde_json::to_vec(&context).ok()?);
    let campaigns = serde_json::to_string(&campaigns).ok()?;
    Some(JournalRow {
        evaluation_id: pending.evaluation_id,
        recorded_at: pending.recorded_at,
        priced_at: pending.priced_at,
        channel: pending.basket.channel,
        store_id: pending.basket.store,
        customer_id: pending.basket.customer.map(|customer| customer.id),
        campaigns,
        basket,
        answer,
        context,
    })
}

/// `json` compressed with LZ4 (its size first).
fn compress(json: &[u8]) -> Vec<u8> {
    lz4_flex::compress_prepend_size(json)
}

/// The JSON value [`compress`] wrote.
fn inflate(bytes: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(&inflate_bytes(bytes)?).map_err(|e| e.to_string())
}

/// The bytes [`compress`] was given.
pub(super) fn inflate_bytes(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let size = bytes
        .get(..4)
        .and_then(|head| <[u8; 4]>::try_from(head).ok())
        .map(u32::from_le_bytes)
        .ok_or("shorter than its size")?;
    if u64::from(size) > MAX_INFLATED {
        return Err(format!(
            "it says {size} bytes, more than can be a basket or an answer"
        ));
    }
    lz4_flex::decompress_size_prepended(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_comes_back_from_its_compressed_form() {
        let line = serde_json::json!({"id": "1", "unit_price": "120.00"});
        let value = serde_json::json!({ "lines": vec![line; 20] });
        let bytes = compress(value.to_string().as_bytes());
        assert!(
            bytes.len() < value.to_string().len() / 4,
            "{} bytes",
            bytes.len()
        );
        assert_eq!(inflate(&bytes), Ok(value));
        assert!(inflate(b"not lz4").is_err());
        assert!(
            inflate(&[0xff, 0xff, 0xff, 0x7f, 0]).is_err(),
            "a size too big is refused"
        );
    }

    #[test]
    fn a_full_queue_drops_what_comes_next_and_keeps_what_it_holds() {
        let recorder = Recorder::new(JournalSettings {
            queue: 2,
            ..JournalSettings::default()
        });
        let pending = |id: &str| Pending {
            evaluation_id: id.to_string(),
            recorded_at: Utc::now(),
            priced_at: Utc::now(),
            basket: serde_json::from_value(serde_json::json!({
                "currency": "EUR", "channel": "web",
                "lines": [ { "id": "1", "sku": "A", "quantity": 1, "unit_price": "10.00" } ]
            }))
            .expect("a basket"),
            answer: Bytes::from_static(b"{}"),
            explain: false,
            considered: Vec::new(),
            snapshot: Arc::default(),
            usage: Usage::default(),
        };
        let offered: Vec<bool> = ["ev_1", "ev_2", "ev_3", "ev_4"]
            .into_iter()
            .map(|id| recorder.offer(pending(id)))
            .collect();
        assert_eq!(offered, [true, true, false, false]);
        let mut receiver = recorder
            .receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("the receiver");
        let kept: Vec<String> = std::iter::from_fn(|| receiver.try_recv().ok())
            .map(|pending| pending.evaluation_id)
            .collect();
        assert_eq!(kept, ["ev_1", "ev_2"], "the queue keeps what came first");
        assert!(recorder.offer(pending("ev_5")), "room again once taken");
    }

    #[test]
    fn the_sample_rate_holds_at_its_ends() {
        let recorder = |percent| {
            Recorder::new(JournalSettings {
                sample_percent: percent,
                ..JournalSettings::default()
            })
        };
        assert!((0..1_000).all(|_| !recorder(0).sampled()));
        assert!((0..1_000).all(|_| recorder(100).sampled()));
        let half = recorder(50);
        let hits = (0..10_000).filter(|_| half.sampled()).count();
        assert!((4_000..6_000).contains(&hits), "{hits} of 10,000 at 50 %");
    }
}
